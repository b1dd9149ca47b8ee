//! `selftest=smp`: several vCPUs, on Xen (xl config `vcpus = 2..8`).
//!
//! Checks:
//! - `vcpus_online`: every vCPU the domain has (up to xenbell's 8) is up.
//! - `ipi_all_pairs`: each vCPU sends an IPI to every other one, and each
//!   answers every sender with an IPI back: n * (n - 1) requests, each
//!   answered, none handled on a vCPU other than its port's.
//! - `timer_per_vcpu`: each AP arms its own one-shot timer
//!   (VCPUOP_set_singleshot_timer) and its VIRQ_TIMER fires on that AP.
//! - `bind_vcpu`: a loopback port moved to each vCPU in turn
//!   (EVTCHNOP_bind_vcpu) is handled on that vCPU.
//! - `no_double_delivery`: every vCPU at once sends [`ROUNDS`] events, one at
//!   a time, to a loopback port bound to the next vCPU, each send waiting
//!   for its answer: every send is handled exactly once (none lost, none
//!   twice), on the port's vCPU.
//!
//! Could falsely pass: with one physical CPU (QEMU `-smp 1` under the test
//! bed) the vCPUs take turns, so `no_double_delivery` then proves the
//! routing and the per-vCPU decoders, not true simultaneity; the test bed
//! runs it with two physical CPUs as well.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use xen_abi::xen::DOMID_SELF;
use xen_abi::Port;

use super::report::{ensure, error, failure, Suite, Verdict};
use crate::xen::smp::{self, MAX_VCPUS};
use crate::xen::{events, evtchn, sched, time, wait};

const TIMEOUT_NS: u64 = 2_000_000_000;
/// Events each vCPU sends in `no_double_delivery`.
const ROUNDS: u64 = 300;

pub fn run(suite: &mut Suite) {
    smp::on_ipi_hook(on_ipi);
    smp::on_timer_hook(on_timer);
    suite.check("vcpus_online", vcpus_online);
    suite.check("ipi_all_pairs", ipi_all_pairs);
    suite.check("timer_per_vcpu", timer_per_vcpu);
    suite.check("bind_vcpu", bind_vcpu);
    suite.check("no_double_delivery", no_double_delivery);
    for v in smp::online_vcpus() {
        let (upcalls, handled) = events::counters_on(v as usize);
        let (ipis, ticks) = smp::counters(v);
        log::info!(
            "selftest: vcpu {v}: {upcalls} upcalls, {handled} events handled ({ipis} IPIs, {ticks} AP timer events)"
        );
    }
}

fn vcpus_online() -> Verdict {
    let n = smp::online();
    let present = smp::present().min(MAX_VCPUS as u32);
    ensure!(n == present, "{n} of {present} vCPUs online");
    log::info!("selftest: {n} vCPUs online");
    Ok(())
}

/// All other online vCPUs than `v`, as a bit set.
fn others(v: u32) -> u64 {
    smp::online_vcpus().filter(|&o| o != v).fold(0, |m, o| m | 1 << o)
}

/// IPI mailboxes: GO (bit v: vCPU v sends its requests), REQUESTS[t]
/// (senders waiting for t's answer), ANSWERED[s] (who answered s).
static GO: AtomicU64 = AtomicU64::new(0);
static REQUESTS: [AtomicU64; MAX_VCPUS] = [const { AtomicU64::new(0) }; MAX_VCPUS];
static ANSWERED: [AtomicU64; MAX_VCPUS] = [const { AtomicU64::new(0) }; MAX_VCPUS];
/// Timer mailboxes: ARM (bit v: vCPU v arms its timer), FIRED_ON[v] (the
/// vCPU + 1 the timer of v fired on).
static FIRED_ON: [AtomicU32; MAX_VCPUS] = [const { AtomicU32::new(0) }; MAX_VCPUS];

/// Sends vCPU `v`'s requests: an IPI to every other vCPU.
fn send_requests(v: u32) {
    for t in smp::online_vcpus().filter(|&t| t != v) {
        REQUESTS[t as usize].fetch_or(1 << v, Ordering::AcqRel);
        if let Err(e) = smp::send_ipi(t) {
            log::warn!("selftest: vcpu {v}: IPI to vcpu {t}: {e}");
        }
    }
}

/// Every IPI, on the vCPU that takes it (in its upcall).
fn on_ipi(v: u32) {
    if GO.fetch_and(!(1 << v), Ordering::AcqRel) & (1 << v) != 0 {
        send_requests(v);
    }
    let senders = REQUESTS[v as usize].swap(0, Ordering::AcqRel);
    for s in (0..MAX_VCPUS as u32).filter(|s| senders & (1 << s) != 0) {
        ANSWERED[s as usize].fetch_or(1 << v, Ordering::AcqRel);
        if let Err(e) = smp::send_ipi(s) {
            log::warn!("selftest: vcpu {v}: answer to vcpu {s}: {e}");
        }
    }
}

fn ipi_all_pairs() -> Verdict {
    let misrouted = smp::misrouted();
    for a in &ANSWERED {
        a.store(0, Ordering::SeqCst);
    }
    let aps = others(0);
    GO.store(aps, Ordering::SeqCst);
    for t in smp::online_vcpus().filter(|&t| t != 0) {
        smp::send_ipi(t).map_err(failure)?;
    }
    send_requests(0);
    let done = || smp::online_vcpus().all(|v| ANSWERED[v as usize].load(Ordering::Acquire) == others(v));
    let ok = wait::wait_until(Some(TIMEOUT_NS), done);
    for v in smp::online_vcpus() {
        let got = ANSWERED[v as usize].load(Ordering::Acquire);
        ensure!(ok || got == others(v), "vcpu {v}: answered by {got:#b}, want {:#b}", others(v));
    }
    ensure!(ok, "not every pair answered within 2 s");
    ensure!(smp::misrouted() == misrouted, "{} IPIs handled on another vCPU", smp::misrouted() - misrouted);
    let n = smp::online();
    log::info!("selftest: {} IPIs between {n} vCPUs, each answered", n * (n - 1));
    Ok(())
}

fn on_timer(v: u32) {
    FIRED_ON[v as usize].store(smp::this_vcpu() + 1, Ordering::Release);
    // Wake the boot vCPU, which waits for this.
    let _ = smp::send_ipi(0);
}

/// On an AP (run_on: interrupts on): arm this vCPU's timer 5 ms ahead.
fn arm(v: u32) {
    if let Err(e) = smp::arm_timer(time::system_time_ns() + 5_000_000) {
        log::warn!("selftest: vcpu {v}: arming its timer: {e}");
    }
}

fn timer_per_vcpu() -> Verdict {
    let misrouted = smp::misrouted();
    let aps: alloc::vec::Vec<u32> = smp::online_vcpus().filter(|&v| v != 0).collect();
    for &v in &aps {
        FIRED_ON[v as usize].store(0, Ordering::SeqCst);
        smp::run_on(v, arm).map_err(error)?;
    }
    let fired = || aps.iter().all(|&v| FIRED_ON[v as usize].load(Ordering::Acquire) != 0);
    ensure!(wait::wait_until(Some(TIMEOUT_NS), fired), "not every AP's timer fired within 2 s");
    for &v in &aps {
        let on = FIRED_ON[v as usize].load(Ordering::Acquire) - 1;
        ensure!(on == v, "vcpu {v}'s timer fired on vcpu {on}");
    }
    ensure!(smp::misrouted() == misrouted, "{} timer events on another vCPU", smp::misrouted() - misrouted);
    log::info!("selftest: timers of vcpus {aps:?} fired each on its own vCPU");
    Ok(())
}

/// The vCPU + 1 the loopback port was last handled on, and how often.
static MOVED_ON: AtomicU32 = AtomicU32::new(0);
static MOVED_HITS: AtomicU64 = AtomicU64::new(0);

fn on_moved(_: Port) {
    MOVED_ON.store(smp::this_vcpu() + 1, Ordering::Release);
    MOVED_HITS.fetch_add(1, Ordering::AcqRel);
    let _ = smp::send_ipi(0);
}

/// A loopback pair: (the end we send on, the end that receives).
fn loopback() -> Result<(Port, Port), crate::xen::XenError> {
    let a = evtchn::alloc_unbound(DOMID_SELF)?;
    let b = evtchn::bind_interdomain(DOMID_SELF, a.get())?;
    // The bind raised b once: not an event of the test.
    events::clear_pending(b);
    Ok((a, b))
}

fn close(ports: &[Port]) {
    for &p in ports {
        events::unbind_handler(p);
        let _ = evtchn::close(p);
    }
}

fn bind_vcpu() -> Verdict {
    let (a, b) = loopback().map_err(error)?;
    events::bind_handler(b, on_moved);
    let result = (|| -> Verdict {
        for v in smp::online_vcpus().chain(core::iter::once(0)) {
            events::bind_vcpu(b, v).map_err(failure)?;
            let hits = MOVED_HITS.load(Ordering::Acquire);
            evtchn::send(a).map_err(failure)?;
            let arrived = wait::wait_until(Some(TIMEOUT_NS), || MOVED_HITS.load(Ordering::Acquire) > hits);
            ensure!(arrived, "port {b} moved to vcpu {v}: its event not handled within 2 s");
            let on = MOVED_ON.load(Ordering::Acquire) - 1;
            ensure!(on == v, "port {b} moved to vcpu {v}: handled on vcpu {on}");
        }
        Ok(())
    })();
    close(&[b, a]);
    result?;
    log::info!("selftest: port {b} moved to every vCPU with EVTCHNOP_bind_vcpu, handled on each");
    Ok(())
}

/// Per vCPU v: the loopback pair whose receiving end is bound to v (the
/// sending end as a raw port), the sender's last request and the last
/// request answered, events handled, deliveries with no new request, and
/// events handled on another vCPU.
static SEND_PORT: [AtomicU32; MAX_VCPUS] = [const { AtomicU32::new(0) }; MAX_VCPUS];
static RECV_PORT: [AtomicU32; MAX_VCPUS] = [const { AtomicU32::new(0) }; MAX_VCPUS];
static REQUEST: [AtomicU64; MAX_VCPUS] = [const { AtomicU64::new(0) }; MAX_VCPUS];
static ANSWER: [AtomicU64; MAX_VCPUS] = [const { AtomicU64::new(0) }; MAX_VCPUS];
static HANDLED: [AtomicU64; MAX_VCPUS] = [const { AtomicU64::new(0) }; MAX_VCPUS];
static EMPTY: AtomicU64 = AtomicU64::new(0);
static ELSEWHERE: AtomicU64 = AtomicU64::new(0);
static SENDERS_DONE: AtomicU64 = AtomicU64::new(0);
static SEND_ERRORS: AtomicU64 = AtomicU64::new(0);

fn owner_of(port: Port) -> Option<usize> {
    RECV_PORT.iter().position(|p| p.load(Ordering::Relaxed) == port.get())
}

fn on_flood(port: Port) {
    let Some(v) = owner_of(port) else { return };
    if smp::this_vcpu() as usize != v {
        ELSEWHERE.fetch_add(1, Ordering::Relaxed);
    }
    HANDLED[v].fetch_add(1, Ordering::Relaxed);
    let req = REQUEST[v].load(Ordering::Acquire);
    // Each send waits for its answer: one event, one new request.
    if ANSWER[v].swap(req, Ordering::AcqRel) == req {
        EMPTY.fetch_add(1, Ordering::Relaxed);
    }
}

/// vCPU `s` sends ROUNDS events, one at a time, to the port bound to the
/// next vCPU. Interrupts on (run_on, or the boot vCPU's own call).
fn sender(s: u32) {
    let vcpus: alloc::vec::Vec<u32> = smp::online_vcpus().collect();
    let i = vcpus.iter().position(|&v| v == s).unwrap_or(0);
    let t = vcpus[(i + 1) % vcpus.len()] as usize;
    let Ok(port) = Port::new(SEND_PORT[t].load(Ordering::Acquire)) else { return };
    for r in 1..=ROUNDS {
        REQUEST[t].store(r, Ordering::Release);
        if evtchn::send(port).is_err() {
            SEND_ERRORS.fetch_add(1, Ordering::Relaxed);
            break;
        }
        let deadline = time::system_time_ns() + TIMEOUT_NS;
        while ANSWER[t].load(Ordering::Acquire) < r {
            if time::system_time_ns() > deadline {
                SEND_ERRORS.fetch_add(1, Ordering::Relaxed);
                SENDERS_DONE.fetch_or(1 << s, Ordering::AcqRel);
                return;
            }
            // The receiver may share our physical CPU.
            let _ = sched::yield_now();
        }
    }
    SENDERS_DONE.fetch_or(1 << s, Ordering::AcqRel);
}

fn no_double_delivery() -> Verdict {
    let vcpus: alloc::vec::Vec<u32> = smp::online_vcpus().collect();
    let mut ports = alloc::vec::Vec::new();
    for &v in &vcpus {
        let (a, b) = loopback().map_err(error)?;
        ports.extend([b, a]);
        SEND_PORT[v as usize].store(a.get(), Ordering::Release);
        RECV_PORT[v as usize].store(b.get(), Ordering::Release);
        REQUEST[v as usize].store(0, Ordering::Release);
        ANSWER[v as usize].store(0, Ordering::Release);
        HANDLED[v as usize].store(0, Ordering::Release);
        events::bind_handler(b, on_flood);
        events::bind_vcpu(b, v).map_err(error)?;
    }
    for c in [&EMPTY, &ELSEWHERE, &SENDERS_DONE, &SEND_ERRORS] {
        c.store(0, Ordering::SeqCst);
    }
    let t0 = time::system_time_ns();
    for &v in vcpus.iter().filter(|&&v| v != 0) {
        smp::run_on(v, sender).map_err(error)?;
    }
    sender(0);
    let all = vcpus.iter().fold(0u64, |m, v| m | 1 << v);
    let finished = wait::wait_until(Some(TIMEOUT_NS), || SENDERS_DONE.load(Ordering::Acquire) == all);
    let ms = time::system_time_ns().saturating_sub(t0) / 1_000_000;
    close(&ports);
    for p in &SEND_PORT {
        p.store(0, Ordering::Relaxed);
    }
    ensure!(finished, "senders {:#b} of {all:#b} finished within 2 s", SENDERS_DONE.load(Ordering::Acquire));
    ensure!(
        SEND_ERRORS.load(Ordering::Acquire) == 0,
        "{} sends failed or went unanswered for 2 s",
        SEND_ERRORS.load(Ordering::Acquire)
    );
    for &v in &vcpus {
        let (h, a) = (HANDLED[v as usize].load(Ordering::Acquire), ANSWER[v as usize].load(Ordering::Acquire));
        ensure!(h == ROUNDS && a == ROUNDS, "port on vcpu {v}: {h} events handled, {a} answered, of {ROUNDS} sent");
    }
    ensure!(
        EMPTY.load(Ordering::Acquire) == 0,
        "{} events handled twice (no new send behind them)",
        EMPTY.load(Ordering::Acquire)
    );
    ensure!(
        ELSEWHERE.load(Ordering::Acquire) == 0,
        "{} events handled on another vCPU than their port's",
        ELSEWHERE.load(Ordering::Acquire)
    );
    log::info!(
        "selftest: {} vCPUs each sent {ROUNDS} events to the next one's port at once: each handled once, on its vCPU ({ms} ms)",
        vcpus.len()
    );
    Ok(())
}
