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

impl Control {
    /// As [`Control::on_request`], for a mode without ping-pong sessions
    /// (`mode=vchan`): `poweroff`, `halt` and `reboot` are acknowledged,
    /// then `leave` says goodbye to whoever is connected, then the domain
    /// ends. `suspend` is not advertised there ([`advertise_end_only`]):
    /// asked anyway, it gets one warning and no ack.
    pub fn on_request_leaving(&mut self, leave: impl FnOnce()) {
        let Some(value) = keys::read(SHUTDOWN) else { return };
        if value.is_empty() || self.last.as_deref() == Some(value.as_str()) {
            self.last = (!value.is_empty()).then_some(value);
            return;
        }
        let reason = match value.as_str() {
            "poweroff" | "halt" => Reason::Poweroff,
            "reboot" => Reason::Reboot,
            "suspend" => {
                log::warn!("{SHUTDOWN}: request suspend: not supported in this mode (not advertised): ignored");
                self.last = Some(value);
                return;
            }
            _ => {
                log::warn!("{SHUTDOWN}: unknown request {}: ignored", keys::shown(&value));
                self.last = Some(value);
                return;
            }
        };
        log::info!("control: request {value}: acknowledged");
        ack();
        leave();
        shutdown::end(reason)
    }
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

/// Says we answer poweroff and reboot, not suspend (`mode=vchan`).
pub fn advertise_end_only() {
    for key in &FEATURES[..2] {
        publish(key, "1");
    }
}
