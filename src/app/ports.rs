//! `ports=K`: K ports offered to `remote` instead of one. Port 0 of them is
//! the ping-pong port (sessions, handshake); the other K-1 only answer:
//! every event on one is answered with an event on the same port, from the
//! upcall. All K are published as `data/xenbell/ports/<i>`.
//!
//! Under the 2-level ABI a domain has ports 1..4095, and the console,
//! xenstore and timer ports take three of them: a K that cannot fit is
//! refused before anything is allocated, with one error line naming the key.
//! Xen refuses ports above the domain's `max_event_channels` (xl config;
//! default 1023) with ENOSPC: also one error line. Either ends the domain
//! (reason crash), as a bad command line does.
//!
//! Not carried across a restore or migration: the extra ports go with the
//! old domain, and only the ping-pong port is offered again.

use core::sync::atomic::{AtomicU64, Ordering};

use xen_abi::xen::DomId;
use xen_abi::Port;
use xenbell_proto::xenstore::PORTS_DIR;

use super::fatal;
use crate::xen::{events, evtchn, xenstore};

/// Events received on the extra ports, and answers sent.
static RECEIVED: AtomicU64 = AtomicU64::new(0);
static ANSWERED: AtomicU64 = AtomicU64::new(0);

/// Ports a 2-level domain can offer besides console, xenstore and timer.
const TWO_LEVEL_ROOM: u32 = 4095 - 3;

fn on_extra(port: Port) {
    RECEIVED.fetch_add(1, Ordering::Relaxed);
    match evtchn::send(port) {
        Ok(()) => {
            ANSWERED.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => log::warn!("pingpong: port {}: answer: {e}", port.get()),
    }
}

/// Refuses a `ports=` the ABI in use cannot hold (before any port is
/// allocated): one error line, then a crash shutdown.
pub fn check(k: u32) {
    if k > TWO_LEVEL_ROOM && !events::using_fifo() {
        fatal(format_args!(
            "cmdline: key 'ports': bad value '{k}': over the 2-level event-channel ABI's {TWO_LEVEL_ROOM} free ports \
             (FIFO: evtchn=auto|fifo)"
        ));
    }
}

/// Allocates ports 1..k for `remote`, binds the answering handler to each
/// and publishes all k (`first` is ports/0). Main loop, before `ready`.
pub fn offer(k: u32, first: Port, remote: DomId) {
    if k <= 1 {
        return;
    }
    publish(0, first);
    let (mut low, mut high) = (first.get(), first.get());
    for i in 1..k {
        let port = evtchn::alloc_unbound(remote).unwrap_or_else(|e| {
            fatal(format_args!(
                "{PORTS_DIR}/{i}: port {} of {k}: {e} (the xl config's max_event_channels limits a domain's ports)",
                i + 1
            ))
        });
        events::bind_handler(port, on_extra);
        publish(i, port);
        low = low.min(port.get());
        high = high.max(port.get());
    }
    log::info!("{}", xenbell_proto::console::PortsOffered { count: k, remote, lowest: low, highest: high });
}

fn publish(i: u32, port: Port) {
    crate::watchdog::progress(crate::watchdog::Phase::Xenstore);
    let key = alloc::format!("{PORTS_DIR}/{i}");
    xenstore::write(&key, &alloc::format!("{}", port.get())).unwrap_or_else(|e| fatal(e));
}

/// `priority=P`: EVTCHNOP_set_priority for the ping-pong port (FIFO:
/// served before lower-priority queues, e.g. a flood on the other ports).
/// Under 2-level there are no priorities: one error line, crash shutdown.
/// Not re-applied after a restore (the new domain's port has Xen's 7).
pub fn prioritise(port: Port, priority: u8) {
    if !events::using_fifo() {
        fatal(format_args!("cmdline: key 'priority': bad value '{priority}': needs the FIFO ABI (in use: 2-level)"));
    }
    if let Err(e) = events::set_priority(port, u32::from(priority)) {
        fatal(format_args!("cmdline: key 'priority': port {}: {e}", port.get()));
    }
    log::info!("pingpong: port {} at FIFO priority {priority} (0 highest, 7 Xen's default)", port.get());
}
