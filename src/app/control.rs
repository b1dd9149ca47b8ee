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

    /// `control/shutdown` may have changed: act on it.
    /// `rewatch` sets our watches again in a new domain (after a resume).
    pub fn on_request(&mut self, sessions: &mut Sessions, remote: DomId, rewatch: fn()) {
        let Some(value) = keys::read(SHUTDOWN) else { return };
        if value.is_empty() {
            // Our own ack, or nothing asked.
            self.last = None;
            return;
        }
        if self.last.as_deref() == Some(value.as_str()) {
            return;
        }
        match value.as_str() {
            "poweroff" | "halt" => shut(sessions, &value, Reason::Poweroff, "poweroff"),
            "reboot" => shut(sessions, &value, Reason::Reboot, "reboot"),
            "suspend" => {
                log::info!("control: request suspend: acknowledged");
                ack();
                // Done with this request whatever comes: a new domain starts
                // with an empty key, a cancelled one has our ack in it.
                self.last = None;
                let _ = lifecycle::suspend_and_resume(sessions, remote, rewatch);
                return;
            }
            _ => log::warn!("{SHUTDOWN}: unknown request {}: ignored", keys::shown(&value)),
        }
        self.last = Some(value);
    }
}

/// A request for a mode without ping-pong sessions (`mode=vchan`).
pub enum Request {
    /// poweroff, halt or reboot (not yet acknowledged): the request's value
    /// and how to end.
    End(String, Reason),
    /// suspend, acknowledged already.
    Suspend,
}

impl Control {
    /// As [`Control::on_request`], for a mode without ping-pong sessions
    /// (`mode=vchan`): what was asked, for the caller to carry out (after
    /// its goodbye: [`end`] for `End`; the suspend for `Suspend`).
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
                log::info!("control: request suspend: acknowledged");
                ack();
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

/// Acknowledges `value` (poweroff, halt, reboot) and ends the domain.
pub fn end(value: &str, reason: Reason) -> ! {
    log::info!("control: request {value}: acknowledged");
    ack();
    shutdown::end(reason)
}

/// Acknowledges, closes the session (the peer reads `leaving`), ends.
fn shut(sessions: &mut Sessions, value: &str, reason: Reason, leaving: &str) -> ! {
    log::info!("control: request {value}: acknowledged");
    ack();
    sessions.leave(leaving);
    shutdown::end(reason)
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
