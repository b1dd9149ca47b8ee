//! Several vCPUs, Xen's part: count the vCPUs Xen gave the domain, start
//! each application processor (AP) the PVH way, and give each vCPU its own
//! event machinery: upcall delivery, a `VIRQ_TIMER` port, an IPI port.
//!
//! Bring-up (docs/misc/pvh.pandoc "AP startup"; Xen hvm/domain.c
//! `arch_set_info_hvm_guest`): `VCPUOP_is_up(n)` answers for every vCPU the
//! domain has and -ENOENT past the last; an AP starts with
//! `VCPUOP_initialise(n, vcpu_hvm_context)` in 64-bit mode (the boot CPU's
//! CR0/CR3/CR4/EFER, its own stack, interrupts off) and `VCPUOP_up(n)`.
//! The boot CPU then waits (yielding its pCPU) until the AP says it is
//! online. APs start one at a time: each sets itself up while the boot CPU
//! waits, so their set-up never races with another's.
//!
//! Per vCPU (the checklist in docs/architecture.md "Several vCPUs"): the
//! vcpu_info in shared_info (vCPUs below 32 have one there); the upcall on
//! every vCPU (the callback vector needs nothing more; the per-vCPU vector
//! needs the AP's own local APIC enabled and HVMOP_set_evtchn_upcall_vector
//! for it); under FIFO a control block (EVTCHNOP_init_control, before any
//! port is routed to it); `VIRQ_TIMER` bound on that vCPU; one IPI port
//! (EVTCHNOP_bind_ipi). An AP then idles in `sti; hlt` and runs the
//! handlers of the ports routed to it.
//!
//! A vCPU that fails to start or to set itself up is reported in one line
//! naming it and the error; it takes itself down (VCPUOP_down) and the
//! others work on.

use core::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};

use handler_table::HandlerTable;
use xen_abi::ops::{VCPUOP_down, VCPUOP_initialise, VCPUOP_is_up, VCPUOP_set_singleshot_timer, VCPUOP_up};
use xen_abi::vcpu::{VcpuHvmContext, VcpuHvmX86_64, VcpuSetSingleshotTimer};
use xen_abi::xen::VIRQ_TIMER;
use xen_abi::{errno, Errno, Port};

use super::{events, evtchn, fifo, hypercall, time, upcall, XenError};
use crate::arch::smp::{self as arch_smp, MAX_CPUS};

/// How long the boot CPU waits for an AP to come up.
const AP_START_NS: u64 = 2_000_000_000;

/// vCPUs online (bit n: vCPU n): the boot CPU always.
static ONLINE: AtomicU64 = AtomicU64::new(1);
/// vCPUs the domain has (VCPUOP_is_up answers for them), 0 until counted.
static PRESENT: AtomicU32 = AtomicU32::new(0);
/// Per AP: 0 not started, 1 starting, 2 online, 3 failed, 4 going down
/// or down (VCPUOP_down of itself; VCPUOP_up brings it back).
static STATE: [AtomicU8; MAX_CPUS] = [const { AtomicU8::new(0) }; MAX_CPUS];
const STARTING: u8 = 1;
const UP: u8 = 2;
const FAILED: u8 = 3;
const DOWN: u8 = 4;
/// Each vCPU's IPI port and VIRQ_TIMER port (0: none; vCPU 0's timer is
/// wait.rs's, and it has an IPI port only when there are APs).
static IPI_PORT: [AtomicU32; MAX_CPUS] = [const { AtomicU32::new(0) }; MAX_CPUS];
static TIMER_PORT: [AtomicU32; MAX_CPUS] = [const { AtomicU32::new(0) }; MAX_CPUS];
/// IPIs received and VIRQ_TIMER events, per vCPU (APs' timers only: the
/// boot CPU's timer belongs to wait.rs).
static IPIS: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];
static TICKS: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];

/// Events handled on a vCPU other than their port's (an IPI or VIRQ_TIMER
/// port of vCPU n dispatched elsewhere): 0 unless routing is broken.
static MISROUTED: AtomicU64 = AtomicU64::new(0);
/// Work for each AP to run outside its upcall, interrupts on ([`run_on`]).
// SAFETY: fn(u32) is a fn pointer type.
static WORK: HandlerTable<fn(u32), MAX_CPUS> = unsafe { HandlerTable::new() };

// SAFETY: fn(u32) is a fn pointer type.
static IPI_HOOK: HandlerTable<fn(u32), 1> = unsafe { HandlerTable::new() };
// SAFETY: as above.
static TIMER_HOOK: HandlerTable<fn(u32), 1> = unsafe { HandlerTable::new() };

/// This vCPU's id.
pub fn this_vcpu() -> u32 {
    arch_smp::index()
}

/// xenbell's limit on vCPUs.
pub const MAX_VCPUS: usize = MAX_CPUS;

/// vCPUs the domain has (0 before start_aps counted them).
pub fn present() -> u32 {
    PRESENT.load(Ordering::Relaxed)
}

/// vCPUs online now (the boot CPU included).
pub fn online() -> u32 {
    ONLINE.load(Ordering::Acquire).count_ones()
}

/// Is vCPU `vcpu` online?
pub fn is_online(vcpu: u32) -> bool {
    (vcpu as usize) < MAX_CPUS && ONLINE.load(Ordering::Acquire) & (1 << vcpu) != 0
}

/// The vCPUs online, in order.
pub fn online_vcpus() -> impl Iterator<Item = u32> + Clone {
    let set = ONLINE.load(Ordering::Acquire);
    (0..MAX_CPUS as u32).filter(move |v| set & (1 << v) != 0)
}

/// vCPUs the domain has (the xl config's `vcpus`/`maxvcpus`), counted
/// with VCPUOP_is_up until -ENOENT.
fn count() -> u32 {
    let mut n = 1;
    // 128: far above MAX_CPUS; only bounds the loop.
    while n < 128 {
        match hypercall::vcpu(VCPUOP_is_up, n, &mut ()) {
            Ok(_) => n += 1,
            Err(e) if e.errno == Errno(errno::ENOENT) => break,
            Err(e) => {
                log::warn!("vcpu {n}: {e}: counted no further");
                break;
            }
        }
    }
    n
}

/// Starts every AP of the domain (up to MAX_CPUS vCPUs in all) and prints
/// `xenbell: vcpus online=N`. Boot CPU, once, with the heap up and
/// interrupts on (it waits for each AP). Returns N.
pub fn start_aps() -> u32 {
    let present = count();
    PRESENT.store(present, Ordering::Relaxed);
    let n = present.min(MAX_CPUS as u32);
    if present > n {
        log::warn!("vcpus: the domain has {present}; xenbell runs on {n} (its limit), the others stay down");
    }
    if n > 1 {
        // The boot vCPU's IPI port (its VIRQ_TIMER is wait.rs's).
        if let Err(e) = bind_ipi_port(0) {
            log::error!("vcpu 0: IPI port: {e}");
        }
        if arch_smp::prepare_aps(n as usize) {
            arch_smp::set_ap_main(ap_main);
            for vcpu in 1..n {
                if let Err(e) = start(vcpu) {
                    STATE[vcpu as usize].store(FAILED, Ordering::Relaxed);
                    log::error!("vcpu {vcpu}: not started: {e}");
                }
            }
        } else {
            log::error!("vcpus: no memory for the stacks of {} APs: vcpus 1..{n} not started", n - 1);
        }
    }
    let online = online();
    log::info!("{}", xenbell_proto::console::VcpusOnline { online, present });
    online
}

/// Starts AP `vcpu` and waits until it is online, failed, or late.
fn start(vcpu: u32) -> Result<(), XenError> {
    if events::using_fifo() {
        fifo::init_vcpu(vcpu as usize)?;
    }
    let Some(s) = arch_smp::ap_start(vcpu as usize) else {
        return Err(XenError { op: "AP start state (no stacks)", errno: Errno(errno::ENOMEM) });
    };
    let mut ctx = VcpuHvmContext::long_mode(VcpuHvmX86_64 {
        rip: s.rip,
        rsp: s.rsp,
        rdi: s.rdi,
        // Only the must-be-one bit: interrupts off until the AP is set up.
        rflags: 2,
        cr0: s.cr0,
        cr3: s.cr3,
        cr4: s.cr4,
        efer: s.efer,
        ..Default::default()
    });
    STATE[vcpu as usize].store(STARTING, Ordering::Relaxed);
    // SAFETY: rip is the AP entry, rsp the top of a stack reserved for this
    // AP alone, cr3 our page tables: the vCPU runs our code on our memory.
    // EEXIST (initialised before, e.g. by an earlier kernel) is an error
    // too: VCPUOP_up alone would resume that old state, not ours.
    unsafe { hypercall::vcpu_raw(VCPUOP_initialise, vcpu, &mut ctx) }?;
    hypercall::vcpu(VCPUOP_up, vcpu, &mut ())?;
    // UP, or FAILED (the AP reported its error itself).
    if wait_for(|| matches!(STATE[vcpu as usize].load(Ordering::Acquire), UP | FAILED)) {
        Ok(())
    } else {
        Err(XenError { op: "AP start (not online within 2 s of VCPUOP_up)", errno: Errno(errno::ETIMEDOUT) })
    }
}

/// On the AP, once its CPU state is set up: its event machinery, then
/// online (or one error line and down), then idle: `sti; hlt` until an
/// interrupt, whose handlers run in the upcall; after each wake-up the
/// work [`run_on`] left for this vCPU, with interrupts on.
fn ap_main(vcpu: u32) {
    match setup(vcpu) {
        Ok(()) => {
            ONLINE.fetch_or(1 << vcpu, Ordering::AcqRel);
            STATE[vcpu as usize].store(UP, Ordering::Release);
            loop {
                // Look with interrupts off, then `sti; hlt` atomically: an
                // IPI that brings work after the look is taken after the
                // `hlt` and wakes it (with interrupts on during the look, it
                // could be handled before the `hlt`, which then sleeps on).
                crate::arch::cpu::irq_disable();
                match WORK.clear(vcpu as usize) {
                    Some(work) => {
                        crate::arch::cpu::irq_enable();
                        work(vcpu);
                    }
                    None => crate::arch::cpu::idle(),
                }
            }
        }
        Err(e) => {
            log::error!("vcpu {vcpu}: set-up: {e}: taking it down");
            STATE[vcpu as usize].store(FAILED, Ordering::Release);
            // VCPUOP_down of ourselves: Xen deschedules this vCPU for good
            // (the boot vCPU and the others go on; were we the last one
            // running, the domain would be powered off).
            let _ = hypercall::vcpu(VCPUOP_down, vcpu, &mut ());
        }
    }
}

fn setup(vcpu: u32) -> Result<(), XenError> {
    upcall::install_on_this_vcpu(vcpu)?;
    bind_own_ports(vcpu)
}

/// Binds VIRQ_TIMER and an IPI port on `vcpu` (from any vCPU: both take
/// the target vCPU).
fn bind_own_ports(vcpu: u32) -> Result<(), XenError> {
    let timer = evtchn::bind_virq(VIRQ_TIMER, vcpu)?;
    TIMER_PORT[vcpu as usize].store(timer.get(), Ordering::Relaxed);
    events::bind_handler_on(timer, vcpu, on_timer);
    bind_ipi_port(vcpu)
}

/// EVTCHNOP_bind_ipi for `vcpu`, handled by [`on_ipi`] there.
fn bind_ipi_port(vcpu: u32) -> Result<(), XenError> {
    let ipi = evtchn::bind_ipi(vcpu)?;
    IPI_PORT[vcpu as usize].store(ipi.get(), Ordering::Release);
    events::bind_handler_on(ipi, vcpu, on_ipi);
    Ok(())
}

/// After a restore or migration (the boot CPU, interrupts off, after
/// events::reset and upcall::reinstall): the APs sleep on in `hlt`, but
/// their ports are gone with the old domain and the per-vCPU upcall vector
/// is not in the migration stream. Each gets both again.
pub fn resume() -> Result<(), XenError> {
    if PRESENT.load(Ordering::Relaxed) < 2 {
        return Ok(());
    }
    for port in IPI_PORT.iter().chain(&TIMER_PORT) {
        port.store(0, Ordering::Relaxed);
    }
    bind_ipi_port(0)?;
    for vcpu in 1..MAX_CPUS as u32 {
        match STATE[vcpu as usize].load(Ordering::Acquire) {
            UP => {
                if let Err(e) = rebuild(vcpu) {
                    // No timer, IPI or upcall for it here: nothing may be
                    // routed to it (the ports stay on vCPU 0).
                    log::error!("vcpu {vcpu}: after the resume: {e}: out of the online set");
                    ONLINE.fetch_and(!(1 << vcpu), Ordering::AcqRel);
                }
            }
            // Rebuilt when it comes up again (bring_up).
            DOWN => {
                STALE.fetch_or(1 << vcpu, Ordering::AcqRel);
            }
            _ => {}
        }
    }
    Ok(())
}

/// APs that were down across a resume: their ports and upcall vector are
/// set up again when they come back.
static STALE: AtomicU64 = AtomicU64::new(0);

/// An AP's per-vCPU state in a new domain (from any vCPU).
fn rebuild(vcpu: u32) -> Result<(), XenError> {
    upcall::reinstall_for(vcpu)?;
    bind_own_ports(vcpu)
}

/// A per-vCPU port's event (its IPI or VIRQ_TIMER port), on the vCPU that
/// handles it: counted as misrouted if `mine` (that vCPU's port of this
/// kind) is another port, counted in `count`, then `hook(vcpu)`.
fn per_vcpu_event(
    port: Port,
    mine: &[AtomicU32; MAX_CPUS],
    count: &[AtomicU64; MAX_CPUS],
    hook: &HandlerTable<fn(u32), 1>,
) {
    let vcpu = this_vcpu();
    if mine[vcpu as usize].load(Ordering::Relaxed) != port.get() {
        MISROUTED.fetch_add(1, Ordering::Relaxed);
    }
    count[vcpu as usize].fetch_add(1, Ordering::Relaxed);
    if let Some(hook) = hook.get(0) {
        hook(vcpu);
    }
}

fn on_ipi(port: Port) {
    per_vcpu_event(port, &IPI_PORT, &IPIS, &IPI_HOOK);
}

fn on_timer(port: Port) {
    per_vcpu_event(port, &TIMER_PORT, &TICKS, &TIMER_HOOK);
}

/// Runs `hook(vcpu)` on every IPI, on the receiving vCPU, in its upcall
/// (interrupts off: keep it short). IPIs carry no payload: the sender
/// leaves what it wants in memory first (EVTCHNOP_send orders it).
pub fn on_ipi_hook(hook: fn(u32)) {
    let _ = IPI_HOOK.set(0, hook);
}

/// Runs `hook(vcpu)` on every VIRQ_TIMER event of an AP, on that AP.
pub fn on_timer_hook(hook: fn(u32)) {
    let _ = TIMER_HOOK.set(0, hook);
}

/// Sends an IPI to `vcpu` (EVTCHNOP_send on its IPI port), from any vCPU.
pub fn send_ipi(vcpu: u32) -> Result<(), XenError> {
    let port = IPI_PORT.get(vcpu as usize).map_or(0, |p| p.load(Ordering::Acquire));
    let Ok(port) = Port::new(port) else {
        return Err(XenError { op: "IPI (vcpu not online)", errno: Errno(errno::ENOENT) });
    };
    evtchn::send(port)
}

/// Has AP `vcpu` run `work(vcpu)` outside its upcall, with interrupts on
/// (it may wait, e.g. for events handled on that same vCPU): the work is
/// left in its slot and an IPI wakes the AP. One piece of work at a time
/// per AP; a newer one replaces one not yet started.
pub fn run_on(vcpu: u32, work: fn(u32)) -> Result<(), XenError> {
    if vcpu == 0 || !is_online(vcpu) {
        return Err(XenError { op: "run_on (not an online AP)", errno: Errno(errno::EINVAL) });
    }
    let _ = WORK.set(vcpu as usize, work);
    send_ipi(vcpu)
}

/// On an AP (run_on): VCPUOP_down of itself. Xen deschedules it inside the
/// hypercall; VCPUOP_up (from [`bring_up`]) makes the hypercall return,
/// and the AP is online again, with its ports and state as they were.
fn down_self(vcpu: u32) {
    // Only if take_down still wants it (it withdraws a request it gave up
    // waiting for): exactly one of the two takes the bit.
    if DOWN_REQUESTED.fetch_and(!(1 << vcpu), Ordering::AcqRel) & (1 << vcpu) == 0 {
        return;
    }
    STATE[vcpu as usize].store(DOWN, Ordering::Release);
    if let Err(e) = hypercall::vcpu(VCPUOP_down, vcpu, &mut ()) {
        log::error!("vcpu {vcpu}: {e}: stays online");
    }
    ONLINE.fetch_or(1 << vcpu, Ordering::AcqRel);
    STATE[vcpu as usize].store(UP, Ordering::Release);
}

/// APs asked to go down whose [`down_self`] has not started (bit n: vCPU n).
static DOWN_REQUESTED: AtomicU64 = AtomicU64::new(0);

/// Waits (yielding) until `done`, for at most AP_START_NS.
fn wait_for(done: impl Fn() -> bool) -> bool {
    let deadline = time::system_time_ns() + AP_START_NS;
    while !done() {
        if time::system_time_ns() > deadline {
            return false;
        }
        let _ = super::sched::yield_now();
    }
    true
}

/// Takes AP `vcpu` offline (CPU hot-unplug, `xl vcpu-set`): it leaves the
/// online set at once (nothing new is routed to it), then takes itself
/// down with VCPUOP_down; returns once Xen says it is down. The caller
/// moves the ports it handles elsewhere first: events for a down vCPU wait
/// until it is up again. Main loop (boot vCPU), interrupts on.
pub fn take_down(vcpu: u32) -> Result<(), XenError> {
    if vcpu == 0 || !is_online(vcpu) {
        return Err(XenError { op: "VCPUOP_down (not an online AP)", errno: Errno(errno::EINVAL) });
    }
    let bit = 1u64 << vcpu;
    ONLINE.fetch_and(!bit, Ordering::AcqRel);
    DOWN_REQUESTED.fetch_or(bit, Ordering::AcqRel);
    let _ = WORK.set(vcpu as usize, down_self);
    let sent = send_ipi(vcpu);
    let down = || {
        STATE[vcpu as usize].load(Ordering::Acquire) == DOWN
            && hypercall::vcpu(VCPUOP_is_up, vcpu, &mut ()).is_ok_and(|up| up == 0)
    };
    if sent.is_ok() && wait_for(down) {
        return Ok(());
    }
    // Withdraw the request; if the AP took it meanwhile, it is going down.
    if DOWN_REQUESTED.fetch_and(!bit, Ordering::AcqRel) & bit != 0 {
        let _ = WORK.clear(vcpu as usize);
        ONLINE.fetch_or(bit, Ordering::AcqRel);
        sent?;
        return Err(XenError {
            op: "VCPUOP_down (the AP did not take the request within 2 s)",
            errno: Errno(errno::ETIMEDOUT),
        });
    }
    if wait_for(down) {
        Ok(())
    } else {
        Err(XenError { op: "VCPUOP_down (the AP did not go down within 2 s)", errno: Errno(errno::ETIMEDOUT) })
    }
}

/// Whether every AP has acknowledged [`park_aps`] (bit n: vCPU n parked).
static PARKED: AtomicU64 = AtomicU64::new(0);
/// Bumped by [`release_aps`]: parked APs wait for it to change.
static RELEASE: AtomicU64 = AtomicU64::new(0);

/// On an AP (run_on): interrupts off, spin until released. While parked
/// it handles no event and touches no shared state.
fn park(vcpu: u32) {
    let seen = RELEASE.load(Ordering::Acquire);
    crate::arch::cpu::irq_disable();
    PARKED.fetch_or(1 << vcpu, Ordering::AcqRel);
    while RELEASE.load(Ordering::Acquire) == seen {
        core::hint::spin_loop();
    }
    PARKED.fetch_and(!(1 << vcpu), Ordering::AcqRel);
    crate::arch::cpu::irq_enable();
}

/// Parks every online AP (outside any upcall, interrupts off) before a
/// suspend, so that none runs a handler while the boot vCPU suspends and,
/// in a new domain, rebuilds what the handlers use (shared_info reads
/// all-ones until it is mapped again; the ports are all new). Boot vCPU,
/// interrupts on. An AP that does not park within 2 s gets a warning.
pub fn park_aps() {
    let aps = ONLINE.load(Ordering::Acquire) & !1;
    if aps == 0 {
        return;
    }
    for vcpu in (1..MAX_CPUS as u32).filter(|v| aps & (1 << v) != 0) {
        if let Err(e) = run_on(vcpu, park) {
            log::warn!("vcpu {vcpu}: not parked for the suspend: {e}");
        }
    }
    if !wait_for(|| PARKED.load(Ordering::Acquire) & aps == aps) {
        log::warn!("vcpus {:#b}: not parked within 2 s; suspending anyway", aps & !PARKED.load(Ordering::Acquire));
    }
}

/// Lets the parked APs go on (after the resume's rebuild, or a cancel).
pub fn release_aps() {
    RELEASE.fetch_add(1, Ordering::AcqRel);
}

/// Brings AP `vcpu` (back) online: VCPUOP_up for one taken down, the whole
/// start for one never started (e.g. down at boot). Main loop.
pub fn bring_up(vcpu: u32) -> Result<(), XenError> {
    if vcpu == 0 || vcpu >= PRESENT.load(Ordering::Relaxed).min(MAX_CPUS as u32) {
        return Err(XenError { op: "VCPUOP_up (no such AP)", errno: Errno(errno::EINVAL) });
    }
    match STATE[vcpu as usize].load(Ordering::Acquire) {
        UP => return Ok(()),
        DOWN => {
            let stale = STALE.fetch_and(!(1 << vcpu), Ordering::AcqRel) & (1 << vcpu) != 0;
            match hypercall::vcpu(VCPUOP_up, vcpu, &mut ()) {
                Ok(_) if stale => rebuild(vcpu)?,
                Ok(_) => {}
                // Down across a save/restore: Xen saves no context for a
                // down vCPU (hvm_save_cpu_ctxt skips it), so in the new
                // domain it is uninitialised and starts afresh.
                Err(e) if stale && e.errno == Errno(errno::EINVAL) => return start(vcpu),
                Err(e) => return Err(e),
            }
        }
        _ => return start(vcpu),
    }
    if wait_for(|| STATE[vcpu as usize].load(Ordering::Acquire) == UP) {
        Ok(())
    } else {
        Err(XenError { op: "VCPUOP_up (the AP did not come back within 2 s)", errno: Errno(errno::ETIMEDOUT) })
    }
}

/// IPI and VIRQ_TIMER events handled on the wrong vCPU (see [`per_vcpu_event`]).
pub fn misrouted() -> u64 {
    MISROUTED.load(Ordering::Relaxed)
}

/// Arms this vCPU's one-shot timer (VCPUOP_set_singleshot_timer: Xen takes
/// it only for the calling vCPU) to fire VIRQ_TIMER at `deadline_ns`
/// (Xen system time).
pub fn arm_timer(deadline_ns: u64) -> Result<(), XenError> {
    let mut t = VcpuSetSingleshotTimer { timeout_abs_ns: deadline_ns, flags: 0 };
    hypercall::vcpu(VCPUOP_set_singleshot_timer, this_vcpu(), &mut t).map(|_| ())
}

/// (IPIs received, AP timer events) on `vcpu`.
pub fn counters(vcpu: u32) -> (u64, u64) {
    let v = vcpu as usize;
    (IPIS[v].load(Ordering::Relaxed), TICKS[v].load(Ordering::Relaxed))
}
