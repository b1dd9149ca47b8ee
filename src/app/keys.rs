//! The xenstore keys of the ping-pong (docs: README "Xenstore keys"; the
//! session handshake follows XenBus states, xen/include/public/io/xenbus.h),
//! relative to our home /local/domain/<domid>.

use alloc::string::String;

use crate::xen::xenstore;

pub use xenbell_proto::xenstore::xenbus_state::{CLOSED, CLOSING, CONNECTED, INITIALISED, INIT_WAIT};
pub use xenbell_proto::xenstore::{state, GUEST_STATE, LEAVING, PEER_STATE, PORT, STATE};

/// Writes `key`; a failure is a warning naming the key, never fatal (the
/// peer then waits for a state that does not come, and times out).
pub fn publish(key: &str, value: &str) {
    crate::watchdog::progress(crate::watchdog::Phase::Xenstore);
    if let Err(e) = xenstore::write(key, value) {
        log::warn!("pingpong: {e}");
    }
}

/// The value of `key`, `None` if it does not exist (or cannot be read: the
/// failure is logged).
pub fn read(key: &str) -> Option<String> {
    crate::watchdog::progress(crate::watchdog::Phase::Xenstore);
    match xenstore::read(key) {
        Ok(v) => Some(v),
        Err(e) if e.is_enoent() => None,
        Err(e) => {
            log::warn!("pingpong: {e}");
            None
        }
    }
}

/// An untrusted value for a log line: at most 32 characters, escaped.
pub fn shown(value: &str) -> String {
    alloc::format!("{}", echo::echo(value).max(32))
}
