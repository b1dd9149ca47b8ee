//! Event dispatch: the upcall runs the consumer of the event-channel ABI in
//! use and calls the handler bound to each port. The ABI is chosen once at
//! boot ([`init_abi`], `evtchn=auto|fifo|2l`): the fair 2-level decoder
//! (crate evtchn-2l) over shared_info, or the FIFO consumer (crate
//! evtchn-fifo) over the control block and event array (`fifo`).
//!
//! Invariants:
//! - Every port is masked from init() on; a port is unmasked only while a
//!   handler is bound to it (bind_handler/unbind_handler).
//! - The decoder clears a port's pending bit (atomically) before its handler
//!   runs, so an event raised during the handler is seen on the next pass.
//! - Events on a port with no handler are counted and logged once, never fatal.
//!
//! Several vCPUs: Xen notifies one vCPU per port (vCPU 0 unless the port
//! was bound to another, or moved with [`bind_vcpu`]). Each vCPU runs its
//! own decoder or FIFO consumer in its own upcall. Under 2-level the
//! pending and mask bitmaps are shared and only the selector is per vCPU,
//! so each vCPU scans only the ports it owns (`OWNED`, one bitmap per
//! vCPU, a port's bit set in exactly one: Linux events_2l.c
//! `cpu_evtchn_mask`); under FIFO each vCPU has its own queues. Either
//! way an event is dispatched once, on one vCPU (pending is cleared
//! atomically before the handler runs).

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use cmdline::EvtchnAbi;
use evtchn_2l::{Decoder, Delivery, SharedBitmaps};
use evtchn_fifo::{Consumer, SharedFifo, Unmask};
use handler_table::HandlerTable;
use spin::Mutex;
use xen_abi::evtchn::{NR_EVENT_CHANNELS, NR_WORDS};
use xen_abi::Port;

use super::evtchn::{self, PortState};
use super::{fifo, shared, XenError};
use crate::arch::smp::{self, MAX_CPUS};

/// A port's handler: runs in the upcall, interrupts disabled, on the
/// interrupt stack. It must be short and must not block.
pub type Handler = fn(Port);

/// Ports that can have a handler: 16384 (FIFO allows 131072; a slot costs 8
/// bytes of .bss). 2-level ports (below 4096) all fit.
pub const MAX_HANDLED_PORTS: usize = 16384;

// SAFETY: Handler is a fn pointer type.
static HANDLERS: HandlerTable<Handler, MAX_HANDLED_PORTS> = unsafe { HandlerTable::new() };
/// Each vCPU's 2-level decoder and FIFO consumer (only that vCPU's upcall
/// takes its lock, with interrupts off: never contended).
static DECODER: [Mutex<Decoder>; MAX_CPUS] = [const { Mutex::new(Decoder::new()) }; MAX_CPUS];
static CONSUMER: [Mutex<Consumer>; MAX_CPUS] = [const { Mutex::new(Consumer::new()) }; MAX_CPUS];
type Bitmap = [AtomicU64; NR_WORDS];
/// 2-level: the ports each vCPU dispatches (bit set in exactly one bitmap:
/// the vCPU Xen notifies for that port). All vCPU 0's from mask_all() on,
/// as Xen's ports are. (Zero here: a non-zero initialiser would put 4 KiB
/// into the image's .data.)
static OWNED: [Bitmap; MAX_CPUS] = [const { [const { AtomicU64::new(0) }; NR_WORDS] }; MAX_CPUS];
/// Upcalls and events dispatched, per vCPU.
static UPCALLS_ON: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];
static DISPATCHED_ON: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];
/// The ABI in use: false = 2-level, true = FIFO. Set once by init_abi (and
/// again by reset after a restore), before the upcall is installed or with
/// interrupts off.
static FIFO: AtomicBool = AtomicBool::new(false);
static UPCALLS: AtomicU64 = AtomicU64::new(0);
static DISPATCHED: AtomicU64 = AtomicU64::new(0);
static UNHANDLED: AtomicU64 = AtomicU64::new(0);
static UNHANDLED_LOGGED: AtomicBool = AtomicBool::new(false);

/// Masks every port, and gives every port to vCPU 0 (2-level owners).
/// Called once shared_info is mapped, before the upcall is installed, and
/// by reset().
pub fn mask_all() {
    for w in shared::mask() {
        // Plain store of all-ones: nothing is unmasked yet, no bit to keep.
        w.store(!0, Ordering::SeqCst);
    }
    for (cpu, owned) in OWNED.iter().enumerate() {
        for w in owned {
            w.store(if cpu == 0 { !0 } else { 0 }, Ordering::SeqCst);
        }
    }
}

/// The ABI in use, for the console and self tests: "FIFO" or "2-level".
pub fn abi_name() -> &'static str {
    if using_fifo() {
        "FIFO"
    } else {
        "2-level"
    }
}

/// True if the FIFO ABI is in use.
pub fn using_fifo() -> bool {
    FIFO.load(Ordering::Relaxed)
}

/// Chooses the event-channel ABI, after mask_all() and before any port is
/// bound or the upcall installed: FIFO for `auto` and `fifo` where Xen
/// accepts EVTCHNOP_init_control, else 2-level (with one warning line when
/// FIFO was tried and refused). `2l` never tries FIFO. Prints the line
/// naming the ABI in use. An error only if Xen switched us to FIFO and then
/// refused the event array: the domain then has no working ABI.
pub fn init_abi(want: EvtchnAbi) -> Result<(), XenError> {
    let how = match want {
        EvtchnAbi::Auto => "evtchn=auto",
        EvtchnAbi::Fifo => "evtchn=fifo",
        EvtchnAbi::TwoLevel => "evtchn=2l",
    };
    if want != EvtchnAbi::TwoLevel {
        match fifo::init() {
            Ok(()) => {
                FIFO.store(true, Ordering::Relaxed);
                log::info!("evtchn: ABI FIFO ({how}; {} ports in the event array)", fifo::ports());
                return Ok(());
            }
            Err(e) if fifo::ports() == 0 && e.op.starts_with("EVTCHNOP_init_control") => {
                log::warn!("evtchn: FIFO refused by Xen ({e}): using 2-level");
            }
            Err(e) => return Err(e),
        }
    }
    FIFO.store(false, Ordering::Relaxed);
    log::info!("evtchn: ABI 2-level ({how}; {NR_EVENT_CHANNELS} ports)");
    Ok(())
}

/// Adds FIFO event-array pages until `port` has a word (nothing under
/// 2-level). Main loop only.
pub fn ensure_port(port: u32) -> Result<(), XenError> {
    if using_fifo() {
        fifo::ensure_port(port)
    } else {
        Ok(())
    }
}

/// EVTCHNOP_set_priority (FIFO only; 0 highest ..= 15 lowest, 7 default).
/// Under 2-level: Xen's answer (EINVAL: the 2-level ABI has no priorities).
pub fn set_priority(port: Port, priority: u32) -> Result<(), XenError> {
    fifo::set_priority(port.get(), priority)
}

/// Forgets every handler and restarts the decoder, with every port masked:
/// for a new domain after a restore or migration, where the old port
/// numbers mean nothing (only the store and console ports exist, under
/// numbers Xen chose anew) and Xen's fresh shared_info has every mask bit
/// clear. Interrupts must be off; the caller binds handlers again.
/// A new domain starts 2-level: under FIFO the switch is made again
/// (init_control, the array pages re-used and masked; Linux
/// evtchn_fifo_resume); if Xen refuses it there, 2-level with a warning.
pub fn reset() -> Result<(), XenError> {
    mask_all();
    HANDLERS.clear_all();
    for cpu in 0..MAX_CPUS {
        *DECODER[cpu].lock() = Decoder::new();
        *CONSUMER[cpu].lock() = Consumer::new();
    }
    if using_fifo() {
        if let Err(e) = fifo::resume() {
            if !e.op.starts_with("EVTCHNOP_init_control") {
                return Err(e);
            }
            log::warn!("evtchn: FIFO refused by Xen after resume ({e}): using 2-level");
            FIFO.store(false, Ordering::Relaxed);
        }
    }
    Ok(())
}

pub fn mask(port: Port) {
    if using_fifo() {
        if let Some(w) = fifo::word(port.get()) {
            evtchn_fifo::mask(w);
        }
        return;
    }
    if port.is_two_level() {
        shared::mask()[port.word()].fetch_or(port.bit_mask(), Ordering::SeqCst);
    }
}

/// Unmasks `port` so that an event already pending is delivered, not lost.
///
/// Xen raises the upcall for an event only if the port was unmasked when it
/// set the pending bit. EVTCHNOP_unmask re-raises a pending event, but only
/// if it finds the mask bit still set (Xen's evtchn_2l_unmask does
/// test_and_clear on the mask). So:
/// - pending now: leave the mask set and let Xen unmask and re-raise;
/// - not pending: clear the mask ourselves (no hypercall), then look again.
///   If Xen set pending between our look and our clear, it saw the mask and
///   raised nothing: set the mask again and take the hypercall path. If it
///   sets pending after our clear, it raises the upcall itself.
///
/// FIFO: the XSA-332 rule (evtchn_fifo::unmask): clear MASKED ourselves
/// only while the port is not pending (and not BUSY), else EVTCHNOP_unmask.
pub fn unmask(port: Port) {
    if using_fifo() {
        let local = fifo::word(port.get()).map(evtchn_fifo::unmask);
        if local == Some(Unmask::Done) {
            return;
        }
        // Pending, BUSY for long, or no array page yet (Xen keeps the
        // event and its mask state until the page exists).
        if let Err(e) = evtchn::unmask(port) {
            log::warn!("events: port {}: {e}", port.get());
        }
        return;
    }
    if !port.is_two_level() {
        // Xen never gives a 2-level domain such a port.
        log::warn!("events: port {}: beyond the 2-level ABI's 4096 ports: not unmasked", port.get());
        return;
    }
    let (word, bit) = (port.word(), port.bit_mask());
    if shared::pending()[word].load(Ordering::SeqCst) & bit == 0 {
        shared::mask()[word].fetch_and(!bit, Ordering::SeqCst);
        if shared::pending()[word].load(Ordering::SeqCst) & bit == 0 {
            return;
        }
        shared::mask()[word].fetch_or(bit, Ordering::SeqCst);
    }
    if let Err(e) = evtchn::unmask(port) {
        log::warn!("events: port {}: {e}", port.get());
    }
}

pub fn is_pending(port: Port) -> bool {
    if using_fifo() {
        return fifo::word(port.get()).is_some_and(evtchn_fifo::is_pending);
    }
    port.is_two_level() && shared::pending()[port.word()].load(Ordering::SeqCst) & port.bit_mask() != 0
}

pub fn is_masked(port: Port) -> bool {
    if using_fifo() {
        return fifo::word(port.get()).is_none_or(evtchn_fifo::is_masked);
    }
    !port.is_two_level() || shared::mask()[port.word()].load(Ordering::SeqCst) & port.bit_mask() != 0
}

/// Clears a pending event without handling it (e.g. the one Xen raises on
/// our side when we bind).
pub fn clear_pending(port: Port) {
    if using_fifo() {
        if let Some(w) = fifo::word(port.get()) {
            evtchn_fifo::clear_pending(w);
        }
        return;
    }
    if port.is_two_level() {
        shared::pending()[port.word()].fetch_and(!port.bit_mask(), Ordering::SeqCst);
    }
}

/// Routes `port` to `handler` and unmasks it.
pub fn bind_handler(port: Port, handler: Handler) {
    // FIFO: the port's array page must exist before its word is unmasked.
    if let Err(e) = ensure_port(port.get()) {
        log::warn!("events: port {}: {e}", port.get());
    }
    // Release (in set): the handler is visible before the unmask lets events in.
    if let Err(e) = HANDLERS.set(port.get() as usize, handler) {
        log::warn!("events: port {}: {e}: left masked", port.get());
        return;
    }
    unmask(port);
}

/// As [`bind_handler`], for a port Xen notifies `vcpu` for (a per-vCPU
/// VIRQ or an IPI bound to `vcpu`): `vcpu` dispatches it.
pub fn bind_handler_on(port: Port, vcpu: u32, handler: Handler) {
    set_owner(port, vcpu);
    bind_handler(port, handler);
}

/// Records that `vcpu` dispatches `port` (2-level; FIFO needs nothing: Xen
/// links the port into that vCPU's queues).
fn set_owner(port: Port, vcpu: u32) {
    if !port.is_two_level() || vcpu as usize >= MAX_CPUS {
        return;
    }
    // The new owner first: for a moment both may scan the port, which
    // test-and-clear of its pending bit keeps to one dispatch; never none.
    OWNED[vcpu as usize][port.word()].fetch_or(port.bit_mask(), Ordering::SeqCst);
    for (cpu, owned) in OWNED.iter().enumerate() {
        if cpu != vcpu as usize {
            owned[port.word()].fetch_and(!port.bit_mask(), Ordering::SeqCst);
        }
    }
}

/// Moves `port` to `vcpu` (EVTCHNOP_bind_vcpu): its events are delivered
/// and handled there from now on. Only interdomain, unbound and global
/// VIRQ ports move (Xen: EINVAL for per-vCPU VIRQs and IPIs). As Linux's
/// rebind: masked while it moves, so that no vCPU handles it half-way;
/// an event that arrived meanwhile is re-raised on `vcpu` by the unmask.
pub fn bind_vcpu(port: Port, vcpu: u32) -> Result<(), XenError> {
    if vcpu as usize >= MAX_CPUS {
        return Err(XenError {
            op: "EVTCHNOP_bind_vcpu (vcpu beyond xenbell's)",
            errno: xen_abi::Errno(xen_abi::errno::EINVAL),
        });
    }
    let was_masked = is_masked(port);
    mask(port);
    let moved = evtchn::bind_vcpu(port, vcpu);
    if moved.is_ok() {
        set_owner(port, vcpu);
    }
    if !was_masked {
        unmask(port);
    }
    moved
}

/// Masks `port` and forgets its handler.
pub fn unbind_handler(port: Port) {
    mask(port);
    HANDLERS.clear(port.get() as usize);
}

fn dispatch(raw: u32) {
    let Ok(port) = Port::new(raw) else { return };
    match HANDLERS.get(raw as usize) {
        None => {
            UNHANDLED.fetch_add(1, Ordering::Relaxed);
            if !UNHANDLED_LOGGED.swap(true, Ordering::Relaxed) {
                log::warn!("events: port {raw}: event with no handler (counted; logged once)");
            }
        }
        Some(handler) => {
            DISPATCHED.fetch_add(1, Ordering::Relaxed);
            DISPATCHED_ON[smp::index() as usize].fetch_add(1, Ordering::Relaxed);
            handler(port);
        }
    }
}

/// The upcall: decode and dispatch until nothing is pending, bounded per
/// call by the decoder's limits. If more is left, a level-delivered upcall
/// is injected again by Xen; for an edge-delivered one `reraise` makes the
/// vector pending again (see `xen_abi::evtchn::Delivery`).
///
/// Runs on the vCPU Xen interrupted, with that vCPU's vcpu_info and its own
/// decoder (2-level: over the ports it owns) or consumer (FIFO).
pub fn upcall(delivery: Delivery, reraise: fn()) {
    let cpu = smp::index() as usize;
    UPCALLS.fetch_add(1, Ordering::Relaxed);
    UPCALLS_ON[cpu].fetch_add(1, Ordering::Relaxed);
    if using_fifo() {
        let src = SharedFifo::new(fifo::control_block(cpu), shared::upcall_pending(cpu), &fifo::Array);
        // Interrupts are off in the upcall, and only this vCPU takes its lock.
        CONSUMER[cpu].lock().upcall(&src, delivery, reraise, dispatch);
        return;
    }
    let src =
        SharedBitmaps::new(shared::pending(), shared::mask(), shared::pending_sel(cpu), shared::upcall_pending(cpu))
            .with_owned(&OWNED[cpu]);
    // Interrupts are off in the upcall, and only this vCPU takes its lock.
    DECODER[cpu].lock().upcall(&src, delivery, reraise, dispatch);
}

/// (upcalls, events dispatched, events with no handler).
pub fn counters() -> (u64, u64, u64) {
    (UPCALLS.load(Ordering::Relaxed), DISPATCHED.load(Ordering::Relaxed), UNHANDLED.load(Ordering::Relaxed))
}

/// (upcalls, events dispatched) on `vcpu`.
pub fn counters_on(vcpu: usize) -> (u64, u64) {
    (UPCALLS_ON[vcpu].load(Ordering::Relaxed), DISPATCHED_ON[vcpu].load(Ordering::Relaxed))
}

/// A port we own: its handler is unbound, it is masked and closed on drop.
pub struct Channel {
    port: Port,
}

impl Channel {
    /// Takes ownership of `port` and routes its events to `handler`
    /// (which runs in the upcall, interrupts off: keep it short).
    pub fn new(port: Port, handler: Handler) -> Channel {
        bind_handler(port, handler);
        Channel { port }
    }

    pub fn port(&self) -> Port {
        self.port
    }

    pub fn notify(&self) -> Result<(), XenError> {
        evtchn::send(self.port)
    }

    pub fn status(&self) -> Result<PortState, XenError> {
        evtchn::status(self.port)
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        unbind_handler(self.port);
        if let Err(e) = evtchn::close(self.port) {
            log::warn!("evtchn: closing port {}: {e}", self.port.get());
        }
    }
}
