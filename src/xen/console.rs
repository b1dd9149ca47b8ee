//! The Xen console: what `xl console` and xenconsoled's log show.
//!
//! - As a domU: the PV console ring (HVM_PARAM_CONSOLE_PFN / _EVTCHN). We
//!   produce into `out`, then notify. When the ring is full we wait for
//!   xenconsoled with SCHEDOP_poll on the console port (bounded); bytes are
//!   dropped only if the daemon does not read for a whole second, and then
//!   counted and reported once it reads again. Never dropped silently.
//! - As dom0 (no ring): the console_io hypercall.

use core::sync::atomic::{AtomicU64, Ordering};

use spin::Mutex;
use xen_abi::console::{CONSOLEIO_write, XenconsInterface};
use xen_abi::hvm::{HVM_PARAM_CONSOLE_EVTCHN, HVM_PARAM_CONSOLE_PFN};
use xen_abi::Port;
use xen_ring::Producer;

use super::ring::PageRing;
use super::{events, evtchn, hypercall, sched, time};

type OutRing = PageRing<{ XenconsInterface::OUT_SIZE as u32 }>;

struct Ring {
    out: OutRing,
    producer: Producer,
    port: Port,
}

enum Backend {
    Ring(Ring),
    ConsoleIo,
}

static BACKEND: Mutex<Option<Backend>> = Mutex::new(None);
static DROPPED: AtomicU64 = AtomicU64::new(0);
const FULL_WAIT_NS: u64 = 1_000_000_000;
const POLL_SLICE_NS: u64 = 10_000_000;

/// Finds the console and registers it as a log sink. Returns its description.
pub fn init() -> &'static str {
    let pfn = super::hvm::get_param(HVM_PARAM_CONSOLE_PFN).unwrap_or(0);
    let port = super::hvm::get_param(HVM_PARAM_CONSOLE_EVTCHN).ok().and_then(|p| Port::new(p as u32).ok());
    let backend = match (pfn, port) {
        (pfn, Some(port)) if pfn != 0 && pfn < crate::arch::paging::mapped_limit() >> 12 => {
            let page = (pfn << 12) as usize;
            // SAFETY: Xen gave us this page for the console ring; it is
            // identity-mapped (checked against the map's end) and the offsets
            // are those of xencons_interface (checked against the headers).
            let out = unsafe {
                OutRing::new(
                    page,
                    core::mem::offset_of!(XenconsInterface, out),
                    core::mem::offset_of!(XenconsInterface, out_prod),
                    core::mem::offset_of!(XenconsInterface, out_cons),
                )
            };
            // Start after whatever is in the ring already (our prod is ours).
            let prod = xen_ring::RingMemory::load_prod(&out, Ordering::Relaxed);
            Backend::Ring(Ring { out, producer: Producer::new(prod), port })
        }
        _ => Backend::ConsoleIo,
    };
    let (what, io) = match backend {
        Backend::Ring(_) => ("PV console ring", false),
        Backend::ConsoleIo => ("console_io hypercall", true),
    };
    *BACKEND.lock() = Some(backend);
    crate::console::set_xen_sink(write, io);
    what
}

/// After a resume in a new domain: the ring page (same HVM_PARAM_CONSOLE_PFN)
/// was zeroed by the restore and the port is a new one, so the producer
/// restarts from the page and the port is read again (init()). A kept
/// producer index would be far ahead of out_cons, and xenconsoled ignores a
/// ring with `prod - cons` above its size (tools/console/daemon/io.c).
/// Interrupts off: nothing may log before this (no sink to write to).
pub fn reconnect() -> &'static str {
    let what = init();
    if let Some(Backend::Ring(r)) = BACKEND.lock().as_ref() {
        // In case xenconsoled looked before we were back.
        let _ = evtchn::send(r.port);
    }
    what
}

/// Waits (bounded by `timeout_ns`, sleeping in SCHEDOP_poll on the console
/// port) until xenconsoled has read everything we wrote: before a suspend,
/// whose restore zeroes the ring. True when the ring is empty.
pub fn drain(timeout_ns: u64) -> bool {
    let deadline = time::system_time_ns().saturating_add(timeout_ns);
    loop {
        let port = match BACKEND.lock().as_ref() {
            Some(Backend::Ring(r)) => {
                let out = &r.out;
                if xen_ring::RingMemory::load_cons(out, Ordering::Acquire)
                    == xen_ring::RingMemory::load_prod(out, Ordering::Relaxed)
                {
                    return true;
                }
                r.port
            }
            _ => return true,
        };
        let now = time::system_time_ns();
        if now >= deadline {
            return false;
        }
        events::clear_pending(port);
        let _ = sched::poll(&[port], now + POLL_SLICE_NS.min(deadline - now));
    }
}

fn write_ring(r: &mut Ring, mut bytes: &[u8]) {
    let mut waited = 0;
    while !bytes.is_empty() {
        let n = match r.producer.write(&mut r.out, bytes) {
            Ok(n) => n,
            Err(_) => {
                // A corrupt ring (the backend wrote nonsense counters):
                // nothing sane to write into. Counted, reported when the
                // ring is sane again.
                DROPPED.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                return;
            }
        };
        if n > 0 {
            bytes = &bytes[n..];
            let _ = evtchn::send(r.port);
            continue;
        }
        if waited >= FULL_WAIT_NS {
            DROPPED.fetch_add(bytes.len() as u64, Ordering::Relaxed);
            return;
        }
        // Full: clear the port, re-check, then sleep until xenconsoled
        // notifies us (it does after consuming) or a slice passes.
        events::clear_pending(r.port);
        if r.producer.free(&r.out).unwrap_or(0) == 0 {
            let _ = sched::poll(&[r.port], time::system_time_ns() + POLL_SLICE_NS);
        }
        waited += POLL_SLICE_NS;
    }
}

/// The sink: called with the console lock held, interrupts off.
fn write(bytes: &[u8]) {
    let mut guard = BACKEND.lock();
    match guard.as_mut() {
        Some(Backend::Ring(r)) => {
            let dropped = DROPPED.swap(0, Ordering::Relaxed);
            if dropped > 0 {
                let mut note = crate::logger::LineBuf::new();
                let _ = core::fmt::Write::write_fmt(
                    &mut note,
                    format_args!("[console: {dropped} bytes dropped while xenconsoled did not read]\n"),
                );
                write_ring(r, note.as_bytes());
            }
            write_ring(r, bytes);
        }
        Some(Backend::ConsoleIo) => {
            // SAFETY: bytes is valid for its length during the call.
            unsafe { hypercall::console_io(CONSOLEIO_write, bytes.len() as u64, bytes.as_ptr() as u64) };
        }
        None => {}
    }
}
