//! The xenstore keys of the ping-pong (docs: README "Xenstore keys"; the
//! session handshake follows XenBus states, xen/include/public/io/xenbus.h),
//! relative to our home /local/domain/<domid>.

use alloc::string::String;

use crate::xen::xenstore;

/// The port we offer to `remote`.
pub const PORT: &str = "data/xenbell/port";
/// Human-readable: `ready`, `connected`, `done`.
pub const STATE: &str = "data/xenbell/state";
/// Ours, a XenBus state: 2 InitWait (no session), 4 Connected, 5 Closing (leaving).
pub const GUEST_STATE: &str = "data/xenbell/guest-state";
/// The peer's, a XenBus state: 3 Initialised (asks for a session), 5 Closing, 6 Closed.
pub const PEER_STATE: &str = "data/xenbell/peer-state";
/// Why we leave (`poweroff`, `reboot`, `suspend`), written with guest-state=5.
pub const LEAVING: &str = "data/xenbell/leaving";

/// XenBus states (xenbus.h `enum xenbus_state`).
pub const INIT_WAIT: &str = "2";
pub const INITIALISED: &str = "3";
pub const CONNECTED: &str = "4";
pub const CLOSING: &str = "5";
pub const CLOSED: &str = "6";

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
    let mut cut: String = value.chars().take(32).collect();
    if cut.len() < value.len() {
        cut.push_str("...");
    }
    alloc::format!("{cut:?}")
}
