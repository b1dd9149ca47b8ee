//! `ports=K`: K ports offered to `remote` instead of one. Port 0 of them is
//! the ping-pong port (sessions, handshake); the other K-1 only answer:
//! every event on one is answered with an event on the same port, from the
//! upcall. All K are published as `data/xenbell/ports/<i>`. With several
//! vCPUs, port i is handled on the i-th online vCPU (mod their number:
//! EVTCHNOP_bind_vcpu), so K ports keep every vCPU busy.
//!
//! Each extra port keeps its own session and counters: a session opens with
//! the port's first event and closes when the main loop, looking every
//! `STATUS_TICK_NS` at the ports with an open session, finds it unbound
//! (the peer closed its end or died); then it prints
//! `pingpong: ports/<i> (port <p>, vcpu <v>): session with domain <d> closed: received=<n> answered=<n>`
//! (at level debug above [`REPORTED_PORTS`] ports, with one summary line).
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

use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use spin::Once;
use xen_abi::xen::DomId;
use xen_abi::Port;
use xenbell_proto::xenstore::PORTS_DIR;

use super::fatal;
use crate::xen::evtchn::{self, PortState};
use crate::xen::{events, smp, xenstore};

/// One extra port (`ports/<index>`, index >= 1): its counters and session.
struct Extra {
    index: u32,
    port: Port,
    vcpu: u32,
    received: AtomicU64,
    answered: AtomicU64,
    open: AtomicBool,
}

/// The extra ports in index order, and raw port -> position in `EXTRA`
/// (u32::MAX: not an extra port). Written once by offer(), before any of
/// them is unmasked; read-only afterwards (the counters are atomics).
static EXTRA: Once<Vec<Extra>> = Once::new();
static POSITION: Once<Vec<u32>> = Once::new();
/// Extra ports with an open session.
static OPEN: AtomicU32 = AtomicU32::new(0);
static REMOTE: AtomicU32 = AtomicU32::new(0);
/// Up to this many ports, each session's end is an info line.
pub const REPORTED_PORTS: u32 = 64;

/// Ports a 2-level domain can offer besides console, xenstore and timer.
const TWO_LEVEL_ROOM: u32 = 4095 - 3;

fn extra(port: Port) -> Option<&'static Extra> {
    let pos = *POSITION.get()?.get(port.get() as usize)?;
    EXTRA.get()?.get(pos as usize)
}

/// Every event on an extra port, on the vCPU it is bound to: answer it.
fn on_extra(port: Port) {
    let Some(e) = extra(port) else { return };
    e.received.fetch_add(1, Ordering::Relaxed);
    if !e.open.swap(true, Ordering::AcqRel) {
        OPEN.fetch_add(1, Ordering::AcqRel);
        // The main loop (vCPU 0) looks after open sessions: wake it.
        if smp::this_vcpu() != 0 {
            let _ = smp::send_ipi(0);
        }
    }
    match evtchn::send(port) {
        Ok(()) => {
            e.answered.fetch_add(1, Ordering::Relaxed);
        }
        Err(err) => log::warn!("pingpong: port {}: answer: {err}", port.get()),
    }
}

/// Extra ports with an open session (the main loop polls while any is).
pub fn open_sessions() -> u32 {
    OPEN.load(Ordering::Acquire)
}

/// Closes the session of every extra port whose peer is gone (EVTCHNOP_status
/// no longer interdomain), with its line. Main loop, every status tick
/// while [`open_sessions`] is not 0.
pub fn check_sessions() {
    let Some(all) = EXTRA.get() else { return };
    let report = (all.len() as u32) < REPORTED_PORTS;
    let (mut closed, mut received, mut answered) = (0u32, 0u64, 0u64);
    for e in all.iter().filter(|e| e.open.load(Ordering::Acquire)) {
        match evtchn::status(e.port) {
            Ok(PortState::Interdomain { .. }) => continue,
            Ok(_) => {}
            Err(err) => {
                log::warn!("pingpong: {PORTS_DIR}/{} (port {}): {err}", e.index, e.port.get());
                continue;
            }
        }
        // The peer is gone: nothing more can arrive until a new one binds.
        e.open.store(false, Ordering::Release);
        let (r, a) = (e.received.swap(0, Ordering::AcqRel), e.answered.swap(0, Ordering::AcqRel));
        OPEN.fetch_sub(1, Ordering::AcqRel);
        let line = format_args!(
            "pingpong: {PORTS_DIR}/{} (port {}, vcpu {}): session with domain {} closed: received={r} answered={a}",
            e.index,
            e.port.get(),
            e.vcpu,
            REMOTE.load(Ordering::Relaxed)
        );
        if report {
            log::info!("{line}");
        } else {
            log::debug!("{line}");
        }
        closed += 1;
        received += r;
        answered += a;
    }
    if !report && closed > 0 {
        log::info!("pingpong: {closed} sessions on extra ports closed: received={received} answered={answered}");
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
    REMOTE.store(u32::from(remote), Ordering::Relaxed);
    let vcpus: Vec<u32> = smp::online_vcpus().collect();
    let mut all = Vec::with_capacity(k as usize - 1);
    for i in 1..k {
        let port = evtchn::alloc_unbound(remote).unwrap_or_else(|e| {
            fatal(format_args!(
                "{PORTS_DIR}/{i}: port {} of {k}: {e} (the xl config's max_event_channels limits a domain's ports)",
                i + 1
            ))
        });
        let vcpu = vcpus[i as usize % vcpus.len()];
        all.push(Extra {
            index: i,
            port,
            vcpu,
            received: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            open: AtomicBool::new(false),
        });
    }
    let top = all.iter().map(|e| e.port.get()).max().unwrap_or(0);
    let mut position = alloc::vec![u32::MAX; top as usize + 1];
    for (n, e) in all.iter().enumerate() {
        position[e.port.get() as usize] = n as u32;
    }
    POSITION.call_once(|| position);
    let all = EXTRA.call_once(|| all);
    publish(0, first);
    let (mut low, mut high) = (first.get(), first.get());
    for e in all {
        events::bind_handler(e.port, on_extra);
        if e.vcpu != 0 {
            if let Err(err) = events::bind_vcpu(e.port, e.vcpu) {
                fatal(format_args!("{PORTS_DIR}/{}: port {}: to vcpu {}: {err}", e.index, e.port.get(), e.vcpu));
            }
        }
        publish(e.index, e.port);
        low = low.min(e.port.get());
        high = high.max(e.port.get());
    }
    log::info!("{}", xenbell_proto::console::PortsOffered { count: k, remote, lowest: low, highest: high });
    if vcpus.len() > 1 {
        log::info!("pingpong: ports/<i> handled on vcpu <i mod {}> of vcpus {vcpus:?}", vcpus.len());
    }
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
