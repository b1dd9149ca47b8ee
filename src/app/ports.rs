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
//! After a restore or migration (a new domain: the old ports and keys are
//! gone) the extra ports are offered again ([`after_move`]): new ports,
//! published again under the same indices, bound to the same vCPUs, and
//! the sessions open in the old domain reported as ended. The priority of
//! the ping-pong port (`priority=P`) is applied again too.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use spin::{Once, RwLock};
use xen_abi::xen::DomId;
use xen_abi::Port;
use xenbell_proto::xenstore::PORTS_DIR;

use super::fatal;
use crate::xen::evtchn::{self, PortState};
use crate::xen::{events, smp, xenstore};

/// One extra port (`ports/<index>`, index >= 1): its counters and session.
struct Extra {
    index: u32,
    /// The port in this domain (a new one after a move).
    port: AtomicU32,
    /// The vCPU it belongs on (i mod the vCPUs online at boot), and the
    /// one it is bound to now (vCPU 0 while its own is offline).
    vcpu: u32,
    on: AtomicU32,
    received: AtomicU64,
    answered: AtomicU64,
    open: AtomicBool,
}

/// The extra ports in index order (built once by offer(); the counters and
/// ports are atomics), and raw port -> position in `EXTRA` (u32::MAX: not
/// an extra port), written by the main loop as ports are bound (interrupts
/// off while it holds the lock: a handler on this vCPU never waits for it)
/// and read by the handlers on every vCPU.
static EXTRA: Once<Vec<Extra>> = Once::new();
static POSITION: RwLock<Vec<u32>> = RwLock::new(Vec::new());
/// `priority=P` of the ping-pong port, to apply again after a move (0xff: none).
static PRIORITY: AtomicU32 = AtomicU32::new(u32::MAX);
/// Extra ports with an open session.
static OPEN: AtomicU32 = AtomicU32::new(0);
static REMOTE: AtomicU32 = AtomicU32::new(0);
/// Up to this many ports, each session's end is an info line.
pub const REPORTED_PORTS: u32 = 64;

/// Ports a 2-level domain can offer besides console, xenstore and timer.
const TWO_LEVEL_ROOM: u32 = 4095 - 3;

fn extra(port: Port) -> Option<&'static Extra> {
    let pos = *POSITION.read().get(port.get() as usize)?;
    EXTRA.get()?.get(pos as usize)
}

impl Extra {
    fn port(&self) -> Option<Port> {
        Port::new(self.port.load(Ordering::Acquire)).ok()
    }

    /// Ends an open session with its line (`why` if not the peer's unbind).
    fn close(&self, report: bool, why: &str) -> Option<(u64, u64)> {
        if !self.open.swap(false, Ordering::AcqRel) {
            return None;
        }
        let (r, a) = (self.received.swap(0, Ordering::AcqRel), self.answered.swap(0, Ordering::AcqRel));
        OPEN.fetch_sub(1, Ordering::AcqRel);
        let line = format_args!(
            "pingpong: {PORTS_DIR}/{} (port {}, vcpu {}): session with domain {} closed: received={r} answered={a}{why}",
            self.index,
            self.port.load(Ordering::Relaxed),
            self.on.load(Ordering::Relaxed),
            REMOTE.load(Ordering::Relaxed)
        );
        if report {
            log::info!("{line}");
        } else {
            log::debug!("{line}");
        }
        Some((r, a))
    }
}

/// Whether each extra port's session end is an info line (see the module doc).
fn reported() -> bool {
    EXTRA.get().is_some_and(|all| (all.len() as u32) < REPORTED_PORTS)
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
    let report = reported();
    let (mut closed, mut received, mut answered) = (0u32, 0u64, 0u64);
    for e in all.iter().filter(|e| e.open.load(Ordering::Acquire)) {
        let Some(port) = e.port() else { continue };
        match evtchn::status(port) {
            Ok(PortState::Interdomain { .. }) => continue,
            Ok(_) => {}
            Err(err) => {
                log::warn!("pingpong: {PORTS_DIR}/{} (port {}): {err}", e.index, port.get());
                continue;
            }
        }
        // The peer is gone: nothing more can arrive until a new one binds.
        if let Some((r, a)) = e.close(report, "") {
            closed += 1;
            received += r;
            answered += a;
        }
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
/// (on vCPU i mod the vCPUs online) and publishes all k (`first` is
/// ports/0). Main loop, before `ready`.
pub fn offer(k: u32, first: Port, remote: DomId) {
    if k <= 1 {
        return;
    }
    REMOTE.store(u32::from(remote), Ordering::Relaxed);
    let vcpus: Vec<u32> = smp::online_vcpus().collect();
    EXTRA.call_once(|| {
        (1..k)
            .map(|i| Extra {
                index: i,
                port: AtomicU32::new(0),
                vcpu: vcpus[i as usize % vcpus.len()],
                on: AtomicU32::new(0),
                received: AtomicU64::new(0),
                answered: AtomicU64::new(0),
                open: AtomicBool::new(false),
            })
            .collect()
    });
    bind_all(first, remote);
    if vcpus.len() > 1 {
        log::info!("pingpong: ports/<i> handled on vcpu <i mod {}> of vcpus {vcpus:?}", vcpus.len());
    }
}

/// A port for every extra entry, bound, on its vCPU, published; then the
/// `ports offered` line.
fn bind_all(first: Port, remote: DomId) {
    let Some(all) = EXTRA.get() else { return };
    let k = all.len() as u32 + 1;
    crate::arch::without_interrupts(|| POSITION.write().clear());
    publish(0, first);
    let (mut low, mut high) = (first.get(), first.get());
    for (n, e) in all.iter().enumerate() {
        let i = e.index;
        let port = evtchn::alloc_unbound(remote).unwrap_or_else(|err| {
            fatal(format_args!(
                "{PORTS_DIR}/{i}: port {} of {k}: {err} (the xl config's max_event_channels limits a domain's ports)",
                i + 1
            ))
        });
        e.port.store(port.get(), Ordering::Release);
        crate::arch::without_interrupts(|| {
            let mut position = POSITION.write();
            let at = port.get() as usize;
            if position.len() <= at {
                position.resize(at + 1, u32::MAX);
            }
            position[at] = n as u32;
        });
        events::bind_handler(port, on_extra);
        e.on.store(0, Ordering::Relaxed);
        if e.vcpu != 0 && smp::is_online(e.vcpu) {
            if let Err(err) = events::bind_vcpu(port, e.vcpu) {
                fatal(format_args!("{PORTS_DIR}/{i}: port {}: to vcpu {}: {err}", port.get(), e.vcpu));
            }
            e.on.store(e.vcpu, Ordering::Relaxed);
        }
        publish(i, port);
        low = low.min(port.get());
        high = high.max(port.get());
    }
    log::info!("{}", xenbell_proto::console::PortsOffered { count: k, remote, lowest: low, highest: high });
}

/// Moves every extra port bound to `vcpu` to vCPU 0 (before `vcpu` goes
/// offline). Main loop.
pub fn move_off(vcpu: u32) {
    move_ports(|e| e.on.load(Ordering::Relaxed) == vcpu, 0);
}

/// Moves the extra ports that belong on `vcpu` back to it (once it is
/// online again). Main loop.
pub fn move_back(vcpu: u32) {
    move_ports(|e| e.vcpu == vcpu && e.on.load(Ordering::Relaxed) != vcpu, vcpu);
}

fn move_ports(which: impl Fn(&Extra) -> bool, to: u32) {
    let Some(all) = EXTRA.get() else { return };
    let mut moved = 0;
    for e in all.iter().filter(|e| which(e)) {
        let Some(port) = e.port() else { continue };
        match events::bind_vcpu(port, to) {
            Ok(()) => {
                e.on.store(to, Ordering::Relaxed);
                moved += 1;
            }
            Err(err) => log::warn!("pingpong: {PORTS_DIR}/{} (port {}): to vcpu {to}: {err}", e.index, port.get()),
        }
    }
    if moved > 0 {
        log::info!("pingpong: {moved} ports moved to vcpu {to}");
    }
}

/// Masks and unmasks every extra port once, a while after ports moved
/// between vCPUs with peers sending: closes the window Xen 4.17 leaves in
/// EVTCHNOP_bind_vcpu (docs/architecture.md, "Several vCPUs"): an event
/// raised for the old vCPU after the move stays pending there, unseen; the
/// unmask finds it pending and re-raises it on the port's vCPU now
/// (EVTCHNOP_unmask). Main loop.
pub fn rekick() {
    let Some(all) = EXTRA.get() else { return };
    for port in all.iter().filter_map(Extra::port) {
        if !events::is_masked(port) {
            events::mask(port);
            events::unmask(port);
        }
    }
}

/// In a new domain after a restore or migration, once the ping-pong port
/// `first` is allocated again: its priority again, and the extra ports
/// again (their old sessions reported as ended with the old domain).
pub fn after_move(first: Port, remote: DomId) {
    let p = PRIORITY.load(Ordering::Relaxed);
    if p != u32::MAX {
        // Not fatal here: the new host may have refused FIFO (the domain
        // then went on with 2-level and a warning).
        match events::set_priority(first, p) {
            Ok(()) => log::info!("pingpong: port {} at FIFO priority {p} (0 highest, 7 Xen's default)", first.get()),
            Err(e) => log::warn!("pingpong: port {}: priority {p} not applied again: {e}", first.get()),
        }
    }
    let Some(all) = EXTRA.get() else { return };
    let report = reported();
    for e in all {
        e.close(report, " (the domain moved)");
    }
    bind_all(first, remote);
}

fn publish(i: u32, port: Port) {
    crate::watchdog::progress(crate::watchdog::Phase::Xenstore);
    let key = alloc::format!("{PORTS_DIR}/{i}");
    xenstore::write(&key, &alloc::format!("{}", port.get())).unwrap_or_else(|e| fatal(e));
}

/// `priority=P`: EVTCHNOP_set_priority for the ping-pong port (FIFO:
/// served before lower-priority queues, e.g. a flood on the other ports).
/// Under 2-level there are no priorities: one error line, crash shutdown.
/// Applied again after a move ([`after_move`]).
pub fn prioritise(port: Port, priority: u8) {
    PRIORITY.store(u32::from(priority), Ordering::Relaxed);
    if !events::using_fifo() {
        fatal(format_args!("cmdline: key 'priority': bad value '{priority}': needs the FIFO ABI (in use: 2-level)"));
    }
    if let Err(e) = events::set_priority(port, u32::from(priority)) {
        fatal(format_args!("cmdline: key 'priority': port {}: {e}", port.get()));
    }
    log::info!("pingpong: port {} at FIFO priority {priority} (0 highest, 7 Xen's default)", port.get());
}
