//! selftest=evtchn: the event-channel machinery against real Xen, through the
//! real upcall path.
//!
//! How: a loopback channel (alloc_unbound for ourselves, then
//! bind_interdomain to it) gives two ports A and B; a send on B raises A.
//! Checks: each state through EVTCHNOP_status; the bind-time event Xen sets
//! on B; 10,000 notifications, each one awaited before the next (so none can
//! coalesce: the count must be exact); an event sent while A is masked waits
//! in pending and arrives after unmask; close gives "closed" here and
//! "unbound" on the peer; a bad port gives the typed error; VIRQ_TIMER fires;
//! bind_vcpu re-targets A; an IPI channel to ourselves (bind_ipi) delivers through an
//! owned Channel, which closes its port on drop.
//! First, with the per-vCPU upcall vector (through the local APIC): a
//! self-IPI on vector 0xf5, which has no handler, must arrive (counted as
//! unexpected) and be EOI'd: left in service it would block its priority
//! class 0xf, the upcall vector 0xf3 with it, and every later step would
//! time out.
//! False passes it guards against: a handler counting the bind-time event
//! (cleared first), an upcall that never runs (every step waits for the
//! handler's count, with a timeout that fails the test).

use core::sync::atomic::{AtomicU64, Ordering};

use xen_abi::errno::EINVAL;
use xen_abi::shared_info::elapsed_ns;
use xen_abi::xen::DOMID_SELF;
use xen_abi::Port;

use crate::xen::events::Channel;
use crate::xen::evtchn::{self, Status};
use crate::xen::{events, time, upcall, wait};

const ROUNDS: u64 = 10_000;
const TIMEOUT_NS: u64 = 1_000_000_000;
const UNMASK_TIMEOUT_NS: u64 = 100_000_000;
/// A vector no handler is registered for, in the upcall vector's priority
/// class (0xf0-0xff).
const UNHANDLED_VECTOR: u8 = 0xf5;

static HITS: AtomicU64 = AtomicU64::new(0);

fn on_event(_: Port) {
    HITS.fetch_add(1, Ordering::Relaxed);
}

fn hits() -> u64 {
    HITS.load(Ordering::Relaxed)
}

macro_rules! check {
    ($n:ident, $cond:expr, $($msg:tt)*) => {{
        if !$cond {
            return Err(alloc::format!($($msg)*));
        }
        $n += 1;
    }};
}

/// Runs every check; Ok(number of checks) or Err(what failed).
pub fn run() -> Result<u32, alloc::string::String> {
    let mut n = 0;
    let e = |e: crate::xen::XenError| alloc::format!("{e}");

    let before = crate::arch::traps::unexpected_interrupts();
    if upcall::self_ipi(UNHANDLED_VECTOR) {
        let arrived =
            wait::wait_until(Some(UNMASK_TIMEOUT_NS), || crate::arch::traps::unexpected_interrupts() > before);
        check!(n, arrived, "a self-IPI on vector {UNHANDLED_VECTOR:#x} (no handler) never arrived");
        log::info!("selftest: self-IPI on vector {UNHANDLED_VECTOR:#x} (no handler) taken; the upcall must still work");
    }

    let a = evtchn::alloc_unbound(DOMID_SELF).map_err(e)?;
    check!(
        n,
        matches!(evtchn::status(a).map_err(e)?, Status::Unbound { .. }),
        "port A {} not unbound after alloc",
        a.get()
    );
    let b = evtchn::bind_interdomain(DOMID_SELF, a.get()).map_err(e)?;
    log::info!("selftest: loopback channel A={} B={}", a.get(), b.get());
    let sa = evtchn::status(a).map_err(e)?;
    let sb = evtchn::status(b).map_err(e)?;
    check!(
        n,
        matches!(sa, Status::Interdomain { port, .. } if port == b.get()),
        "status A = {sa:?}, want interdomain to B"
    );
    check!(
        n,
        matches!(sb, Status::Interdomain { port, .. } if port == a.get()),
        "status B = {sb:?}, want interdomain to A"
    );
    check!(n, events::is_pending(b), "Xen did not set B pending at bind time");
    events::clear_pending(b);

    let chan = Channel::new(a, on_event);
    // Notifications for A go to vCPU 0 (already so; Xen accepts the rebind).
    evtchn::bind_vcpu(a, 0).map_err(e)?;
    let t0 = time::system_time_ns();
    for i in 0..ROUNDS {
        let want = hits() + 1;
        evtchn::send(b).map_err(e)?;
        if !wait::wait_until(Some(TIMEOUT_NS), || hits() >= want) {
            return Err(alloc::format!("notification {i} never reached the handler"));
        }
    }
    let dt = elapsed_ns(t0, time::system_time_ns());
    check!(n, hits() == ROUNDS, "handler ran {} times for {ROUNDS} notifications", hits());
    log::info!(
        "selftest: {ROUNDS} notifications through the upcall in {} ms ({} ns each)",
        dt / 1_000_000,
        dt / ROUNDS
    );

    events::mask(a);
    check!(n, events::is_masked(a), "port A not masked after mask()");
    let before = hits();
    evtchn::send(b).map_err(e)?;
    wait::sleep(10_000_000);
    check!(
        n,
        hits() == before && events::is_pending(a),
        "masked port: delivered={} pending={}",
        hits() - before,
        events::is_pending(a)
    );
    // Unmask must re-deliver at once, not at the next unrelated upcall: a
    // short timeout (the timer would otherwise rescue a lost re-raise).
    events::unmask(a);
    check!(
        n,
        wait::wait_until(Some(UNMASK_TIMEOUT_NS), || hits() == before + 1),
        "event sent while masked not delivered promptly after unmask"
    );

    evtchn::close(b).map_err(e)?;
    let sb = evtchn::status(b).map_err(e)?;
    let sa = chan.status().map_err(e)?;
    check!(n, sb == Status::Closed, "status B after close = {sb:?}");
    check!(n, matches!(sa, Status::Unbound { .. }), "status A after peer closed = {sa:?}, want unbound");

    let bad = Port::new(4095).map_err(|_| alloc::string::String::from("Port::new(4095) refused"))?;
    match evtchn::send(bad) {
        Err(err) => {
            check!(n, err.errno.0 == EINVAL, "send on unallocated port: {err}, want EINVAL");
            log::info!("selftest: bad port gives the typed error \"{err}\"");
        }
        Ok(()) => return Err("send on unallocated port 4095 succeeded".into()),
    }
    check!(n, Port::new(0).is_err() && Port::new(4096).is_err(), "Port accepts 0 or 4096");

    // sleep() arms the one-shot timer and idles until it fires.
    let fired = wait::timer_fired();
    let t0 = time::system_time_ns();
    wait::sleep(5_000_000);
    let slept = elapsed_ns(t0, time::system_time_ns());
    check!(n, wait::timer_fired() > fired && slept >= 5_000_000, "VIRQ_TIMER did not fire (slept {slept} ns)");

    drop(chan);
    let sa = evtchn::status(a).map_err(e)?;
    check!(n, sa == Status::Closed, "status A after drop = {sa:?}");

    let ipi = Channel::new(evtchn::bind_ipi(0).map_err(e)?, on_event);
    check!(n, evtchn::status(ipi.port()).map_err(e)? == Status::Ipi, "IPI port status is not ipi");
    let before = hits();
    ipi.notify().map_err(e)?;
    check!(n, wait::wait_until(Some(TIMEOUT_NS), || hits() == before + 1), "IPI to ourselves not delivered");
    let ipi_port = ipi.port();
    drop(ipi);
    check!(n, evtchn::status(ipi_port).map_err(e)? == Status::Closed, "IPI port not closed by drop");

    let (upcalls, dispatched, unhandled) = events::counters();
    log::info!(
        "selftest: upcalls={upcalls} dispatched={dispatched} unhandled={unhandled} unexpected_vectors={}",
        crate::arch::traps::unexpected_interrupts()
    );
    Ok(n)
}
