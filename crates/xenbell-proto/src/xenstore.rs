//! The xenstore keys the guest publishes and its peer reads, relative to the
//! guest's home `/local/domain/<domid>` (docs/protocol.md, "Xenstore").

/// Everything of ours lives under this directory.
pub const DIR: &str = "data/xenbell";
/// The port the guest offers to its `remote` (decimal).
pub const PORT: &str = "data/xenbell/port";
/// The guest's state, human-readable: one of [`state`].
pub const STATE: &str = "data/xenbell/state";
/// Session handshake (docs/protocol.md, "Session handshake"): the guest's
/// XenbusState number (2 InitWait, 4 Connected, 5 Closing, 6 Closed).
pub const GUEST_STATE: &str = "data/xenbell/guest-state";
/// Session handshake: the peer's XenbusState number (3 Initialised,
/// 5 Closing, 6 Closed).
pub const PEER_STATE: &str = "data/xenbell/peer-state";
/// Session handshake: why the guest leaves (`poweroff`, `reboot`,
/// `suspend`), written with guest-state 5 just before it does.
pub const LEAVING: &str = "data/xenbell/leaving";
/// With `ports=K` (K > 1): directory of the K ports offered to `remote`,
/// `data/xenbell/ports/<i>` = port number (decimal), i in 0..K; `ports/0`
/// is the same port as [`PORT`]. Every one of them is answered.
pub const PORTS_DIR: &str = "data/xenbell/ports";
/// The kernel's xenstore self test works here, and removes it again.
pub const SELFTEST_DIR: &str = "data/xenbell/selftest";

/// The values of [`STATE`].
/// XenBus states as written to `GUEST_STATE` / `PEER_STATE` (decimal):
/// `enum xenbus_state` of xen/include/public/io/xenbus.h.
pub mod xenbus_state {
    /// XenbusStateInitWait: the guest published its port, no session.
    pub const INIT_WAIT: &str = "2";
    /// XenbusStateInitialised: the peer bound the port and asks for a session.
    pub const INITIALISED: &str = "3";
    /// XenbusStateConnected: the guest opened the session.
    pub const CONNECTED: &str = "4";
    /// XenbusStateClosing: the side is leaving (the guest writes `LEAVING` first).
    pub const CLOSING: &str = "5";
    /// XenbusStateClosed: the peer unbound.
    pub const CLOSED: &str = "6";
}

pub mod state {
    /// The port is published, no peer is bound.
    pub const READY: &str = "ready";
    /// A peer is bound (a session is open).
    pub const CONNECTED: &str = "connected";
    /// Lead mode finished its rounds.
    pub const DONE: &str = "done";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_under_dir() {
        for key in [PORT, STATE, GUEST_STATE, PEER_STATE, LEAVING, PORTS_DIR, SELFTEST_DIR] {
            let leaf = key.strip_prefix(DIR).and_then(|k| k.strip_prefix('/'));
            assert!(leaf.is_some_and(|l| !l.is_empty() && !l.contains('/')), "{key}");
        }
    }
}
