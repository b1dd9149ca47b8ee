//! Event dispatch: the upcall runs the fair 2-level decoder (crate
//! evtchn-2l) over shared_info and calls the handler bound to each port.
//!
//! Invariants:
//! - Every port is masked from init() on; a port is unmasked only while a
//!   handler is bound to it (bind_handler/unbind_handler).
//! - The decoder clears a port's pending bit (atomically) before its handler
//!   runs, so an event raised during the handler is seen on the next pass.
//! - Events on a port with no handler are counted and logged once, never fatal.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use evtchn_2l::{Decoder, Delivery, SharedBitmaps};
use handler_table::HandlerTable;
use spin::Mutex;
use xen_abi::evtchn::NR_EVENT_CHANNELS;
use xen_abi::Port;

use super::evtchn::{self, PortState};
use super::{shared, XenError};

/// A port's handler: runs in the upcall, interrupts disabled, on the
/// interrupt stack. It must be short and must not block.
pub type Handler = fn(Port);

// SAFETY: Handler is a fn pointer type.
static HANDLERS: HandlerTable<Handler, NR_EVENT_CHANNELS> = unsafe { HandlerTable::new() };
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
    HANDLERS.clear_all();
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
        log::warn!("events: port {}: {e}", port.get());
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
    // Release (in set): the handler is visible before the unmask lets events in.
    // Port::new bounds every port below NR_EVENT_CHANNELS, so set cannot fail.
    let _ = HANDLERS.set(port.get() as usize, handler);
    unmask(port);
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
            handler(port);
        }
    }
}

/// The upcall: decode and dispatch until nothing is pending, bounded per
/// call by the decoder's limits. If more is left, a level-delivered upcall
/// is injected again by Xen; for an edge-delivered one `reraise` makes the
/// vector pending again (see `evtchn_2l::Delivery`).
pub fn upcall(delivery: Delivery, reraise: fn()) {
    UPCALLS.fetch_add(1, Ordering::Relaxed);
    let src = SharedBitmaps::new(shared::pending(), shared::mask(), shared::pending_sel(), shared::upcall_pending());
    // Interrupts are off in the upcall, and nothing else takes this lock.
    let mut decoder = DECODER.lock();
    decoder.upcall(&src, delivery, reraise, dispatch);
}

/// (upcalls, events dispatched, events with no handler).
pub fn counters() -> (u64, u64, u64) {
    (UPCALLS.load(Ordering::Relaxed), DISPATCHED.load(Ordering::Relaxed), UNHANDLED.load(Ordering::Relaxed))
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
