//! The toolstack's requests in `control/shutdown` (written by libxl for
//! `xl shutdown`, `xl reboot`, `xl save`; docs/xenstore-paths.pandoc,
//! tools/libs/light/libxl_domain.c). We acknowledge like Linux
//! (drivers/xen/manage.c): write "" to the key (never rm it: the node would
//! come back owned by dom0 and every later ack fail), and only for requests
//! we carry out; `halt` is treated as `poweroff`. Unknown values get one
//! warning each and are ignored.

use alloc::string::String;

use xen_abi::DomId;

use super::keys::{self, publish};
use super::lifecycle;
use super::session::Sessions;
use crate::shutdown::{self, Reason};

/// Where libxl writes its request.
pub const SHUTDOWN: &str = "control/shutdown";
/// Features we advertise (xenstore-paths.pandoc: "1" = will respond).
/// libxl made these nodes; `control/` is read-only to us, so only these.
const FEATURES: [&str; 3] = ["control/feature-poweroff", "control/feature-reboot", "control/feature-suspend"];

pub struct Control {
    /// The request acted on (or warned about) last: one event per write,
    /// but several events can read one value.
    last: Option<String>,
}

impl Control {
    pub fn new() -> Control {
        Control { last: None }
    }

    /// `control/shutdown` may have changed: act on it (ping-pong mode: the
    /// peer is told through the session's `leaving`).
    /// `rewatch` sets our watches again in a new domain (after a resume).
    pub fn on_request(&mut self, sessions: &mut Sessions, remote: DomId, rewatch: fn()) {
        match self.take_request() {
            Some(Request::End(value, reason)) => {
                acknowledge(&value);
                sessions.leave(reason.name());
                shutdown::end(reason)
            }
            Some(Request::Suspend) => {
                let _ = lifecycle::suspend_and_resume(sessions, remote, rewatch);
            }
            None => {}
        }
    }

    /// What the toolstack asks now, once per new value of the key: `End`
    /// not yet acknowledged (the caller says goodbye first, then [`end`]),
    /// `Suspend` acknowledged already (libxl waits for that before it
    /// suspends). An empty key is our own ack or nothing asked; an unknown
    /// value gets one warning and is ignored.
    pub fn take_request(&mut self) -> Option<Request> {
        let value = keys::read(SHUTDOWN)?;
        if value.is_empty() || self.last.as_deref() == Some(value.as_str()) {
            self.last = (!value.is_empty()).then_some(value);
            return None;
        }
        let request = match value.as_str() {
            "poweroff" | "halt" => Request::End(value.clone(), Reason::Poweroff),
            "reboot" => Request::End(value.clone(), Reason::Reboot),
            "suspend" => {
                acknowledge(&value);
                // Done with this request whatever comes: a new domain starts
                // with an empty key, a cancelled one has our ack in it.
                self.last = None;
                return Some(Request::Suspend);
            }
            _ => {
                log::warn!("{SHUTDOWN}: unknown request {}: ignored", keys::shown(&value));
                self.last = Some(value);
                return None;
            }
        };
        self.last = Some(value);
        Some(request)
    }
}

/// What the toolstack asked ([`Control::take_request`]).
pub enum Request {
    /// poweroff, halt or reboot (not yet acknowledged): the request's value
    /// and how to end.
    End(String, Reason),
    /// suspend, acknowledged already.
    Suspend,
}

/// Acknowledges `value` (poweroff, halt, reboot) and ends the domain.
pub fn end(value: &str, reason: Reason) -> ! {
    acknowledge(value);
    shutdown::end(reason)
}

/// The ack with its line: "" written to the request (libxl's `xl shutdown`
/// returns then).
fn acknowledge(value: &str) {
    log::info!("control: request {value}: acknowledged");
    ack();
}

/// Writes "" to the request: libxl's `xl shutdown` returns then.
fn ack() {
    publish(SHUTDOWN, "");
}

/// Says which requests we answer (all three). A failed write is a warning.
pub fn advertise() {
    for key in FEATURES {
        publish(key, "1");
    }
}
