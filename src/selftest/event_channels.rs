//! selftest=evtchn: the event-channel machinery against real Xen, through the
//! real upcall path.
//!
//! How: a loopback channel (alloc_unbound for ourselves, then
//! bind_interdomain to it) gives two ports A and B; a send on B raises A.
//! Checks, each a line of its own:
//! - `unhandled_vector_eoi` (per-vCPU upcall vector only: not run under the
//!   callback vector, which bypasses the local APIC): a
//!   self-IPI on vector 0xf5, which has no handler, must arrive (counted as
//!   unexpected) and be EOI'd: left in service it would block its priority
//!   class 0xf, the upcall vector 0xf3 with it, and every later check would
//!   time out;
//! - `loopback_status`: each state through EVTCHNOP_status (A unbound, then
//!   A and B interdomain to each other);
//! - `bind_event`: the event Xen sets on B at bind time;
//! - `exact_count`: 10,000 notifications, each one awaited before the next
//!   (so none can coalesce: the count must be exact);
//! - `masked_then_unmasked`: an event sent while A is masked waits in
//!   pending and arrives promptly after unmask;
//! - `close_states`: close gives "closed" here and "unbound" on the peer;
//! - `bad_port`: a bad port gives the typed error, `Port` refuses 0 and 131072;
//! - `timer`: VIRQ_TIMER fires;
//! - `drop_closes`: the owned Channel closes A on drop;
//! - `ipi_channel`: an IPI channel to ourselves (bind_ipi) delivers, and
//!   closes on drop;
//! - `priority`: EVTCHNOP_set_priority under the ABI in use: under FIFO
//!   priorities 0 and 15 are accepted and 16 is EINVAL, and a port at
//!   priority 0 is served before a port at 15 raised first (both masked
//!   while raised, then unmasked together: Xen links them in the unmask
//!   order, the consumer serves queue 0 first); under 2-level Xen refuses
//!   set_priority (the ABI has no priorities).
//!
//! The checks on the loopback channel need `loopback_status`: without it
//! they are ERRORs (not run). False passes it guards against: a handler
//! counting the bind-time event (cleared first), an upcall that never runs
//! (every step waits for the handler's count, with a timeout that fails the
//! check).

use core::sync::atomic::{AtomicU64, Ordering};

use xen_abi::errno::EINVAL;
use xen_abi::shared_info::elapsed_ns;
use xen_abi::xen::DOMID_SELF;
use xen_abi::Port;

use super::report::{ensure, error, failure, Suite, Verdict};
use crate::xen::events::Channel;
use crate::xen::evtchn::{self, PortState};
use crate::xen::{events, time, upcall, wait};

const ROUNDS: u64 = 10_000;
const TIMEOUT_NS: u64 = 1_000_000_000;
const UNMASK_TIMEOUT_NS: u64 = 100_000_000;
/// A vector nothing handles, in the upcall vector's priority class (0xf).
const UNHANDLED_VECTOR: u8 = 0xf5;

static HITS: AtomicU64 = AtomicU64::new(0);

fn on_event(_: Port) {
    HITS.fetch_add(1, Ordering::Relaxed);
}

fn hits() -> u64 {
    HITS.load(Ordering::Relaxed)
}

pub fn run(suite: &mut Suite) {
    log::info!("selftest: event-channel ABI {}", events::abi_name());
    if upcall::uses_lapic() {
        suite.check("unhandled_vector_eoi", unhandled_vector_eoi);
    } else {
        log::info!(
            "selftest: the upcall comes by the callback vector (no local APIC in use): no unhandled_vector_eoi check"
        );
    }
    let mut ports = None;
    suite.check("loopback_status", || {
        ports = Some(loopback()?);
        Ok(())
    });
    if let Some((a, b)) = ports {
        suite.check("bind_event", || {
            ensure!(events::is_pending(b), "Xen did not set B pending at bind time");
            events::clear_pending(b);
            Ok(())
        });
        let chan = Channel::new(a, on_event);
        suite.check("exact_count", || exact_count(a, b));
        suite.check("masked_then_unmasked", || masked_then_unmasked(a, b));
        suite.check("close_states", || {
            evtchn::close(b).map_err(failure)?;
            let sb = evtchn::status(b).map_err(failure)?;
            let sa = chan.status().map_err(failure)?;
            ensure!(sb == PortState::Closed, "status B after close = {sb:?}");
            ensure!(matches!(sa, PortState::Unbound { .. }), "status A after peer closed = {sa:?}, want unbound");
            Ok(())
        });
        suite.check("drop_closes", || {
            drop(chan);
            let sa = evtchn::status(a).map_err(failure)?;
            ensure!(sa == PortState::Closed, "status A after drop = {sa:?}");
            Ok(())
        });
    } else {
        for name in ["bind_event", "exact_count", "masked_then_unmasked", "close_states", "drop_closes"] {
            suite.not_run(name, "loopback_status");
        }
    }
    suite.check("bad_port", bad_port);
    suite.check("timer", timer);
    suite.check("ipi_channel", ipi_channel);
    suite.check("priority", priority);

    let (upcalls, dispatched, unhandled) = events::counters();
    log::info!(
        "selftest: upcalls={upcalls} dispatched={dispatched} unhandled={unhandled} unexpected_vectors={}",
        crate::arch::traps::unexpected_interrupts()
    );
}

fn unhandled_vector_eoi() -> Verdict {
    let before = crate::arch::traps::unexpected_interrupts();
    ensure!(upcall::self_ipi(UNHANDLED_VECTOR), "no self-IPI although the local APIC delivers the upcall");
    let arrived = wait::wait_until(Some(UNMASK_TIMEOUT_NS), || crate::arch::traps::unexpected_interrupts() > before);
    ensure!(arrived, "a self-IPI on vector {UNHANDLED_VECTOR:#x} (no handler) never arrived");
    log::info!("selftest: self-IPI on vector {UNHANDLED_VECTOR:#x} (no handler) taken; the upcall must still work");
    Ok(())
}

/// Opens the loopback channel: (A, B), checking each state on the way.
fn loopback() -> Result<(Port, Port), super::report::Problem> {
    let a = evtchn::alloc_unbound(DOMID_SELF).map_err(failure)?;
    let sa = evtchn::status(a).map_err(failure)?;
    ensure!(matches!(sa, PortState::Unbound { .. }), "status A {} after alloc = {sa:?}, want unbound", a.get());
    let b = evtchn::bind_interdomain(DOMID_SELF, a.get()).map_err(failure)?;
    log::info!("selftest: loopback channel A={} B={}", a.get(), b.get());
    let sa = evtchn::status(a).map_err(failure)?;
    let sb = evtchn::status(b).map_err(failure)?;
    ensure!(
        matches!(sa, PortState::Interdomain { remote_port, .. } if remote_port == b.get()),
        "status A = {sa:?}, want interdomain to B"
    );
    ensure!(
        matches!(sb, PortState::Interdomain { remote_port, .. } if remote_port == a.get()),
        "status B = {sb:?}, want interdomain to A"
    );
    Ok((a, b))
}

fn exact_count(a: Port, b: Port) -> Verdict {
    // Notifications for A go to vCPU 0 (already so; Xen accepts the rebind).
    evtchn::bind_vcpu(a, 0).map_err(failure)?;
    let start = hits();
    let t0 = time::system_time_ns();
    for i in 0..ROUNDS {
        let want = hits() + 1;
        evtchn::send(b).map_err(failure)?;
        ensure!(wait::wait_until(Some(TIMEOUT_NS), || hits() >= want), "notification {i} never reached the handler");
    }
    let dt = elapsed_ns(t0, time::system_time_ns());
    let got = hits() - start;
    ensure!(got == ROUNDS, "handler ran {got} times for {ROUNDS} notifications");
    log::info!(
        "selftest: {ROUNDS} notifications through the upcall in {} ms ({} ns each)",
        dt / 1_000_000,
        dt / ROUNDS
    );
    Ok(())
}

fn masked_then_unmasked(a: Port, b: Port) -> Verdict {
    events::mask(a);
    ensure!(events::is_masked(a), "port A not masked after mask()");
    let before = hits();
    evtchn::send(b).map_err(failure)?;
    wait::sleep(10_000_000);
    let pending = events::is_pending(a);
    ensure!(hits() == before && pending, "masked port: delivered={} pending={pending}", hits() - before);
    // Unmask must re-deliver at once, not at the next unrelated upcall: a
    // short timeout (the timer would otherwise rescue a lost re-raise).
    events::unmask(a);
    ensure!(
        wait::wait_until(Some(UNMASK_TIMEOUT_NS), || hits() == before + 1),
        "event sent while masked not delivered promptly after unmask"
    );
    Ok(())
}

fn bad_port() -> Verdict {
    let bad = Port::new(4095).map_err(|e| error(alloc::format!("Port::new(4095) refused: {e}")))?;
    match evtchn::send(bad) {
        Err(err) => {
            ensure!(err.errno.0 == EINVAL, "send on unallocated port: {err}, want EINVAL");
            log::info!("selftest: bad port gives the typed error \"{err}\"");
        }
        Ok(()) => return Err(failure("send on unallocated port 4095 succeeded")),
    }
    ensure!(Port::new(0).is_err() && Port::new(131072).is_err(), "Port accepts 0 or 131072");
    Ok(())
}

/// sleep() arms the one-shot timer and idles until it fires.
fn timer() -> Verdict {
    let fired = wait::timer_fired();
    let t0 = time::system_time_ns();
    wait::sleep(5_000_000);
    let slept = elapsed_ns(t0, time::system_time_ns());
    ensure!(wait::timer_fired() > fired && slept >= 5_000_000, "VIRQ_TIMER did not fire (slept {slept} ns)");
    Ok(())
}

fn ipi_channel() -> Verdict {
    let ipi = Channel::new(evtchn::bind_ipi(0).map_err(failure)?, on_event);
    ensure!(evtchn::status(ipi.port()).map_err(failure)? == PortState::Ipi, "IPI port status is not ipi");
    let before = hits();
    ipi.notify().map_err(failure)?;
    ensure!(wait::wait_until(Some(TIMEOUT_NS), || hits() == before + 1), "IPI to ourselves not delivered");
    let ipi_port = ipi.port();
    drop(ipi);
    ensure!(evtchn::status(ipi_port).map_err(failure)? == PortState::Closed, "IPI port not closed by drop");
    Ok(())
}

static ORDER: spin::Mutex<([u32; 2], usize)> = spin::Mutex::new(([0; 2], 0));

fn on_ordered(port: Port) {
    let mut o = ORDER.lock();
    let i = o.1;
    if i < 2 {
        o.0[i] = port.get();
    }
    o.1 += 1;
}

/// Two loopback channels, (A1, B1) at priority 15 and (A2, B2) at 0.
fn priority() -> Verdict {
    let a1 = evtchn::alloc_unbound(DOMID_SELF).map_err(failure)?;
    let b1 = evtchn::bind_interdomain(DOMID_SELF, a1.get()).map_err(failure)?;
    if !events::using_fifo() {
        let r = events::set_priority(a1, 0);
        let _ = evtchn::close(b1);
        let _ = evtchn::close(a1);
        ensure!(r.is_err(), "2-level: EVTCHNOP_set_priority accepted");
        log::info!("selftest: 2-level: set_priority refused as it should be ({})", r.err().unwrap());
        return Ok(());
    }
    let a2 = evtchn::alloc_unbound(DOMID_SELF).map_err(failure)?;
    let b2 = evtchn::bind_interdomain(DOMID_SELF, a2.get()).map_err(failure)?;
    events::set_priority(a1, 15).map_err(failure)?;
    events::set_priority(a2, 0).map_err(failure)?;
    let bad = events::set_priority(a2, 16);
    ensure!(matches!(bad, Err(e) if e.errno.0 == EINVAL), "set_priority 16: {bad:?}, want EINVAL");
    *ORDER.lock() = ([0; 2], 0);
    let c1 = Channel::new(a1, on_ordered);
    let c2 = Channel::new(a2, on_ordered);
    // Raise both while masked with interrupts off, then unmask the low
    // priority first: Xen links it first, yet queue 0 is served first.
    crate::arch::without_interrupts(|| -> Verdict {
        events::mask(a1);
        events::mask(a2);
        evtchn::send(b1).map_err(failure)?;
        evtchn::send(b2).map_err(failure)?;
        events::unmask(a1);
        events::unmask(a2);
        Ok(())
    })?;
    ensure!(wait::wait_until(Some(TIMEOUT_NS), || ORDER.lock().1 >= 2), "events at priorities 15 and 0 not delivered");
    let (order, n) = *ORDER.lock();
    drop(c1);
    drop(c2);
    let _ = evtchn::close(b1);
    let _ = evtchn::close(b2);
    ensure!(
        n == 2 && order == [a2.get(), a1.get()],
        "order {order:?} ({n} events), want [{a2}, {a1}] (priority 0 first)"
    );
    log::info!("selftest: FIFO: port {a2} (priority 0) served before port {a1} (priority 15, linked first)");
    Ok(())
}
