//! Event dispatch: the upcall runs the fair 2-level decoder (crate
//! evtchn-2l) over shared_info and calls the handler bound to each port.
//!
//! Invariants:
//! - Every port is masked from init() on; a port is unmasked only while a
//!   handler is bound to it (bind_handler/unbind_handler).
//! - The decoder clears a port's pending bit (atomically) before its handler
//!   runs, so an event raised during the handler is seen on the next pass.
//! - Events on a port with no handler are counted and logged once, never fatal.

use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use evtchn_2l::{Decoder, SharedBitmaps};
use spin::Mutex;
use xen_abi::evtchn::NR_EVENT_CHANNELS;
use xen_abi::Port;

use super::{evtchn, shared};

/// A port's handler: runs in the upcall, interrupts disabled, on the
/// interrupt stack. It must be short and must not block.
pub type Handler = fn(Port);

static HANDLERS: [AtomicUsize; NR_EVENT_CHANNELS] = [const { AtomicUsize::new(0) }; NR_EVENT_CHANNELS];
static DECODER: Mutex<Decoder> = Mutex::new(Decoder::new());
static UPCALLS: AtomicU64 = AtomicU64::new(0);
static DISPATCHED: AtomicU64 = AtomicU64::new(0);
static UNHANDLED: AtomicU64 = AtomicU64::new(0);
static UNHANDLED_LOGGED: AtomicBool = AtomicBool::new(false);

/// Masks every port. Called once shared_info is mapped, before the upcall
/// is installed.
pub fn mask_all() {
    for w in shared::mask() {
        // Plain store of all-ones: nothing is unmasked yet, no bit to keep.
        w.store(!0, Ordering::SeqCst);
    }
}

/// Forgets every handler and restarts the decoder, with every port masked:
/// for a new domain after a restore or migration, where the old port
/// numbers mean nothing (only the store and console ports exist, under
/// numbers Xen chose anew) and Xen's fresh shared_info has every mask bit
/// clear. Interrupts must be off; the caller binds handlers again.
pub fn reset() {
    mask_all();
    for h in &HANDLERS {
        h.store(0, Ordering::Release);
    }
    *DECODER.lock() = Decoder::new();
}

pub fn mask(port: Port) {
    shared::mask()[port.word()].fetch_or(port.bit_mask(), Ordering::SeqCst);
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
pub fn unmask(port: Port) {
    let (word, bit) = (port.word(), port.bit_mask());
    if shared::pending()[word].load(Ordering::SeqCst) & bit == 0 {
        shared::mask()[word].fetch_and(!bit, Ordering::SeqCst);
        if shared::pending()[word].load(Ordering::SeqCst) & bit == 0 {
            return;
        }
        shared::mask()[word].fetch_or(bit, Ordering::SeqCst);
    }
    if let Err(e) = evtchn::unmask(port) {
        log::warn!("events: {e}");
    }
}

pub fn is_pending(port: Port) -> bool {
    shared::pending()[port.word()].load(Ordering::SeqCst) & port.bit_mask() != 0
}

pub fn is_masked(port: Port) -> bool {
    shared::mask()[port.word()].load(Ordering::SeqCst) & port.bit_mask() != 0
}

/// Clears a pending event without handling it (e.g. the one Xen raises on
/// our side when we bind).
pub fn clear_pending(port: Port) {
    shared::pending()[port.word()].fetch_and(!port.bit_mask(), Ordering::SeqCst);
}

/// Routes `port` to `handler` and unmasks it.
pub fn bind_handler(port: Port, handler: Handler) {
    // Release: the handler is visible before the unmask lets events in.
    HANDLERS[port.get() as usize].store(handler as usize, Ordering::Release);
    unmask(port);
}

/// Masks `port` and forgets its handler.
pub fn unbind_handler(port: Port) {
    mask(port);
    HANDLERS[port.get() as usize].store(0, Ordering::Release);
}

fn dispatch(raw: u32) {
    let Ok(port) = Port::new(raw) else { return };
    match HANDLERS[raw as usize].load(Ordering::Acquire) {
        0 => {
            UNHANDLED.fetch_add(1, Ordering::Relaxed);
            if !UNHANDLED_LOGGED.swap(true, Ordering::Relaxed) {
                log::warn!("events: event on port {raw} with no handler (counted; logged once)");
            }
        }
        addr => {
            // SAFETY: only bind_handler stores non-zero values: `Handler`s.
            let handler: Handler = unsafe { core::mem::transmute::<usize, Handler>(addr) };
            DISPATCHED.fetch_add(1, Ordering::Relaxed);
            handler(port);
        }
    }
}

/// The upcall: decode and dispatch until nothing is pending (bounded per
/// call by the decoder's limits; Xen re-injects if more is left).
pub fn upcall() {
    UPCALLS.fetch_add(1, Ordering::Relaxed);
    let src = SharedBitmaps::new(shared::pending(), shared::mask(), shared::pending_sel(), shared::upcall_pending());
    // Interrupts are off in the upcall, and nothing else takes this lock.
    let mut decoder = DECODER.lock();
    decoder.run(&src, dispatch);
}

/// (upcalls, events dispatched, events with no handler).
pub fn counters() -> (u64, u64, u64) {
    (UPCALLS.load(Ordering::Relaxed), DISPATCHED.load(Ordering::Relaxed), UNHANDLED.load(Ordering::Relaxed))
}
