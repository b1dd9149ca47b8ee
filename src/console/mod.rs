//! Where log lines go: COM1 (if there is one), port 0xe9 (Xen's and QEMU's
//! debug console), and, once Xen is set up, a Xen console registered with
//! [`set_xen_sink`] (the PV console ring, or console_io as dom0).
//!
//! Writers take one lock with interrupts disabled, so an interrupt handler
//! that logs cannot deadlock against the code it interrupted. The fatal paths
//! (panic, exception) use [`write_unlocked`], which never waits.

pub mod debugcon;
pub mod serial;

use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use spin::Mutex;

static LOCK: Mutex<()> = Mutex::new(());

/// A Xen console writer: `fn(bytes)`, stored as an address (0 = none).
static XEN_SINK: AtomicUsize = AtomicUsize::new(0);
/// Its variant for the fatal paths, which must not wait for any lock.
static XEN_FATAL_SINK: AtomicUsize = AtomicUsize::new(0);
/// Off when the Xen sink already reaches Xen's own console (console_io).
static DEBUGCON: AtomicBool = AtomicBool::new(true);

/// Probes COM1. Call once, before the first write.
pub fn init() {
    serial::init();
}

/// Adds a Xen console (called by the xen layer once its console is ready).
/// `sink` never waits for the backend; `fatal_sink` does not even wait for
/// a lock (the fatal paths may have interrupted its holder).
/// `replaces_debugcon`: the sink writes to Xen's console itself (console_io
/// as dom0), so port 0xe9 would print every line twice there.
pub fn set_xen_sink(sink: fn(&[u8]), fatal_sink: fn(&[u8]), replaces_debugcon: bool) {
    XEN_FATAL_SINK.store(fatal_sink as usize, Ordering::Release);
    XEN_SINK.store(sink as usize, Ordering::Release);
    DEBUGCON.store(!replaces_debugcon, Ordering::Relaxed);
}

fn load_sink(sink: &AtomicUsize) -> Option<fn(&[u8])> {
    match sink.load(Ordering::Acquire) {
        0 => None,
        // SAFETY: only set_xen_sink stores non-zero values: addresses of `fn(&[u8])`.
        addr => Some(unsafe { core::mem::transmute::<usize, fn(&[u8])>(addr) }),
    }
}

/// Writes to every sink. `\n` becomes `\r\n` on the serial port only.
pub fn write(bytes: &[u8]) {
    crate::arch::without_interrupts(|| {
        let _guard = LOCK.lock();
        write_sinks(bytes, &XEN_SINK);
    });
}

/// As [`write`] without taking the lock, and with the Xen sink's lock-free
/// variant: for panic and fault reports only, where the interrupted code may
/// hold a lock. Never waits. Output may interleave.
pub fn write_unlocked(bytes: &[u8]) {
    write_sinks(bytes, &XEN_FATAL_SINK);
}

fn write_sinks(bytes: &[u8], xen: &AtomicUsize) {
    serial::write(bytes);
    if DEBUGCON.load(Ordering::Relaxed) {
        debugcon::write(bytes);
    }
    if let Some(sink) = load_sink(xen) {
        sink(bytes);
    }
}

/// `core::fmt::Write` over [`write_unlocked`], for the fatal paths.
pub struct Unlocked;

impl core::fmt::Write for Unlocked {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        write_unlocked(s.as_bytes());
        Ok(())
    }
}
