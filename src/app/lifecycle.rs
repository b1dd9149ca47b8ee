//! Suspend and resume, as the application sees them (`xl save`, `xl
//! restore`, `xl migrate`, `xl save -c`): [`suspend_and_resume`] is what a
//! `suspend` request in `control/shutdown` ends in, once acknowledged.
//!
//! Keys (PROTOCOL-v2, relative to our home): before leaving we write
//! `data/xenbell/leaving` = `suspend` and `data/xenbell/guest-state` = 5, so
//! a dom0 peer that stops getting answers can tell a suspend from a hang.
//! - Cancelled: the same domain, port and peer binding: the keys go back
//!   (guest-state 4 or 2, leaving removed) and the session goes on.
//! - Resumed in a new domain: the xenstore tree, the port and the peer's
//!   binding are gone. The old session is reported as ended, a new port is
//!   allocated for `remote` and published with state `ready` and
//!   guest-state 2, and the next peer is served.
//!
//! Console lines: `xenbell: suspending`, then `xenbell: suspend cancelled`
//! or `xenbell: resumed domid=<d> incarnation=<n>` followed by a new
//! `xenbell: ready port=<p> remote=<r>`.

use alloc::format;

use bootinfo::Config;

use super::peer::Peer;
use super::{fatal, on_event, publish_state, KEY_PORT};
use crate::xen::suspend::{self, Outcome};
use crate::xen::{events, evtchn, xenstore, XenError};

pub const KEY_GUEST_STATE: &str = "data/xenbell/guest-state";
pub const KEY_LEAVING: &str = "data/xenbell/leaving";
/// XenBus states (xen/include/public/io/xenbus.h).
const XENBUS_INIT_WAIT: u32 = 2;
const XENBUS_CONNECTED: u32 = 4;
const XENBUS_CLOSING: u32 = 5;

fn write_or_warn(key: &str, value: &str) {
    crate::watchdog::progress(crate::watchdog::Phase::Xenstore);
    if let Err(e) = xenstore::write(key, value) {
        log::warn!("lifecycle: {e}");
    }
}

/// Suspends the domain and picks up afterwards (see the module doc).
/// `rewatch` registers the application's xenstore watches again in a new
/// domain (they died with the old one). The error is Xen's refusal to
/// suspend; the domain then goes on as after a cancel.
pub fn suspend_and_resume(cfg: &Config, peer: &mut Peer, rewatch: fn()) -> Result<Outcome, XenError> {
    write_or_warn(KEY_LEAVING, "suspend");
    write_or_warn(KEY_GUEST_STATE, &format!("{XENBUS_CLOSING}"));
    // Events from here on stay pending: on a cancel they are handled once
    // unmasked; in a new domain they went with the old one, and the peer
    // sends them again. Either way, each counted event was answered.
    events::mask(peer.port());
    log::info!("xenbell: suspending");
    let outcome = suspend::suspend();
    match outcome {
        Ok(Outcome::Resumed { domid, incarnation, clock_jump_ns }) => {
            log::info!(
                "xenbell: resumed domid={} incarnation={incarnation}",
                domid.map_or_else(|| "?".into(), |d| format!("{d}"))
            );
            log::info!("lifecycle: Xen system time jumped {} ms across the move", clock_jump_ns / 1_000_000);
            rewatch();
            peer.end_session();
            let port = evtchn::alloc_unbound(cfg.remote).unwrap_or_else(|e| fatal(e));
            xenstore::write(KEY_PORT, &format!("{}", port.get())).unwrap_or_else(|e| fatal(e));
            publish_state("ready");
            write_or_warn(KEY_GUEST_STATE, &format!("{XENBUS_INIT_WAIT}"));
            events::bind_handler(port, on_event);
            *peer = Peer::new(port);
            log::info!("xenbell: ready port={} remote={}", port.get(), cfg.remote);
        }
        Ok(Outcome::Cancelled) | Err(_) => {
            match &outcome {
                Err(e) => log::warn!("lifecycle: {e}: not suspended, going on"),
                _ => log::info!("xenbell: suspend cancelled"),
            }
            let state = if peer.connected() { XENBUS_CONNECTED } else { XENBUS_INIT_WAIT };
            write_or_warn(KEY_GUEST_STATE, &format!("{state}"));
            if let Err(e) = xenstore::rm(KEY_LEAVING) {
                log::warn!("lifecycle: {e}");
            }
            events::unmask(peer.port());
        }
    }
    outcome
}
