//! The Xen console: what `xl console` and xenconsoled's log show.
//!
//! - As a domU: the PV console ring (HVM_PARAM_CONSOLE_PFN / _EVTCHN,
//!   `xencons_interface` in xen/include/public/io/console.h). We produce
//!   into `out` as far as it has room, notify, and drop the rest: never a
//!   wait for xenconsoled, in any context (a stopped daemon must not stop
//!   the ping-pong; Linux's hvc_xen `__write_console` does the same). Dropped
//!   bytes are counted, and once the ring has room again one line reports
//!   them: `[console: N bytes dropped while xenconsoled did not read]`.
//! - As dom0 (no ring): the console_io hypercall.
//!
//! The fatal paths (panic, exception) write through [`write_fatal`], which
//! only tries the backend's lock: the code they interrupted may hold it.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use spin::Mutex;
use xen_abi::console::{CONSOLEIO_write, XenconsInterface};
use xen_abi::hvm::{HVM_PARAM_CONSOLE_EVTCHN, HVM_PARAM_CONSOLE_PFN};
use xen_abi::Port;
use xen_ring::Producer;

use super::ring::PageRing;
use super::{evtchn, hypercall};

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
/// Bytes dropped (ring full or corrupt) and not yet reported. Written only
/// with `BACKEND` held; an atomic so that it needs no `static mut`.
static DROPPED: AtomicU64 = AtomicU64::new(0);
/// The ring's last byte is not a newline (a write was cut short, or a
/// writer wrote part of a line): the report then starts on a line of its own.
static CUT: AtomicBool = AtomicBool::new(false);
/// The backend is console_io: the fatal path may use it without the lock.
static CONSOLE_IO: AtomicBool = AtomicBool::new(false);

/// Finds the console and registers it as a log sink. Returns its description.
///
/// May be called again (after a resume: the ring page and port may be new):
/// it then starts over on the console as Xen describes it now. Bytes dropped
/// and not yet reported stay counted.
pub fn init() -> &'static str {
    let backend = probe();
    let (what, io) = match backend {
        Backend::Ring(_) => ("PV console ring", false),
        Backend::ConsoleIo => ("console_io hypercall", true),
    };
    // Interrupts off: a handler that logs while we hold the lock would spin.
    crate::arch::without_interrupts(|| {
        let mut guard = BACKEND.lock();
        CONSOLE_IO.store(io, Ordering::Relaxed);
        CUT.store(false, Ordering::Relaxed);
        *guard = Some(backend);
    });
    crate::console::set_xen_sink(write, write_fatal, io);
    what
}

/// The console Xen gives us now: the ring (its page and port from the HVM
/// params; producing starts after whatever the ring holds already), or
/// console_io when there is no ring.
fn probe() -> Backend {
    let pfn = super::hvm::get_param(HVM_PARAM_CONSOLE_PFN).unwrap_or(0);
    let port = super::hvm::get_param(HVM_PARAM_CONSOLE_EVTCHN).ok().and_then(|p| Port::new(p as u32).ok());
    match (pfn, port) {
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
    }
}

/// Writes what fits of `bytes` (none if the ring is corrupt), notifies
/// xenconsoled if anything was written, and counts the rest as dropped.
fn write_ring(r: &mut Ring, bytes: &[u8]) {
    let written = r.producer.write(&mut r.out, bytes).unwrap_or(0);
    if written > 0 {
        let _ = evtchn::send(r.port);
        CUT.store(bytes[written - 1] != b'\n', Ordering::Relaxed);
    }
    let lost = bytes.len() - written;
    if lost > 0 {
        DROPPED.fetch_add(lost as u64, Ordering::Relaxed);
    }
}

/// Reports the bytes dropped so far, if the whole report fits now (a full
/// ring keeps counting instead of dropping parts of its own report).
fn report_dropped(r: &mut Ring) {
    let dropped = DROPPED.load(Ordering::Relaxed);
    if dropped == 0 {
        return;
    }
    let mut note = crate::console::LineBuf::new();
    let _ = core::fmt::Write::write_fmt(
        &mut note,
        format_args!(
            "{}[console: {dropped} bytes dropped while xenconsoled did not read]\n",
            if CUT.load(Ordering::Relaxed) { "\n" } else { "" }
        ),
    );
    let note = note.as_bytes();
    if r.producer.free(&r.out).is_ok_and(|free| free as usize >= note.len()) {
        write_ring(r, note);
        DROPPED.store(0, Ordering::Relaxed);
        CUT.store(false, Ordering::Relaxed);
    }
}

fn write_to(backend: &mut Option<Backend>, bytes: &[u8]) {
    match backend.as_mut() {
        Some(Backend::Ring(r)) => {
            report_dropped(r);
            write_ring(r, bytes);
        }
        Some(Backend::ConsoleIo) => console_io(bytes),
        None => {}
    }
}

fn console_io(bytes: &[u8]) {
    // SAFETY: bytes is valid for its length during the call.
    unsafe { hypercall::console_io(CONSOLEIO_write, bytes.len() as u64, bytes.as_ptr() as u64) };
}

/// The sink: called with the console lock held, interrupts off. Never waits
/// for the backend.
fn write(bytes: &[u8]) {
    write_to(&mut BACKEND.lock(), bytes);
}

/// The sink of the fatal paths: as [`write`], but if the backend's lock is
/// held (by the code the fault or panic interrupted) the bytes go to
/// console_io where that is our console, and otherwise only to port 0xe9
/// (which the caller writes anyway), instead of spinning with IF=0.
fn write_fatal(bytes: &[u8]) {
    match BACKEND.try_lock() {
        Some(mut guard) => write_to(&mut guard, bytes),
        None if CONSOLE_IO.load(Ordering::Relaxed) => console_io(bytes),
        None => {}
    }
}

/// Waits (bounded by `timeout_ns`, in 10 ms slices) until
/// xenconsoled has read everything in the ring: before the domain ends,
/// whose ring the toolstack may destroy at once, and before a suspend, whose
/// restore zeroes it. True when the ring is empty (or there is none). Safe
/// on any path: it gives up at once if the console is in use (a crash
/// inside the console), and counts slices rather than trusting the clock
/// alone. Never on the event path: it waits for xenconsoled.
pub fn drain(timeout_ns: u64) -> bool {
    const POLL_SLICE_NS: u64 = 10_000_000;
    let Some(mut guard) = BACKEND.try_lock() else { return false };
    let Some(Backend::Ring(r)) = guard.as_mut() else { return true };
    for _ in 0..timeout_ns / POLL_SLICE_NS {
        super::events::clear_pending(r.port);
        if r.producer.free(&r.out).unwrap_or(0) as usize >= XenconsInterface::OUT_SIZE {
            return true;
        }
        let _ = evtchn::send(r.port);
        let _ = super::sched::poll(&[r.port], super::time::system_time_ns() + POLL_SLICE_NS);
    }
    false
}

/// After a resume in a new domain: the ring page (same HVM_PARAM_CONSOLE_PFN)
/// was zeroed by the restore and the port is a new one: start over with
/// [`init`] (which re-reads both), and notify in case xenconsoled looked
/// before we were back.
pub fn reconnect() -> &'static str {
    let what = init();
    if let Some(Backend::Ring(r)) = BACKEND.lock().as_ref() {
        let _ = evtchn::send(r.port);
    }
    what
}
