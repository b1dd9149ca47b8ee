//! Where log lines go: COM1 (if there is one), port 0xe9 (Xen's and QEMU's
//! debug console), and, once Xen is set up, a Xen console registered with
//! [`set_xen_sink`] (the PV console ring, or console_io as dom0).
//!
//! Writers take one lock with interrupts disabled, so an interrupt handler
//! that logs cannot deadlock against the code it interrupted. The fatal paths
//! (panic, exception) use [`write_unlocked`], which never waits.

pub mod debugcon;
mod line;
pub mod serial;

pub use line::LineBuf;

use core::sync::atomic::{AtomicBool, Ordering};

use handler_table::HandlerTable;
use spin::Mutex;

static LOCK: Mutex<()> = Mutex::new(());

/// The Xen console's writers, registered from the Xen layer above: slot
/// [`SINK`] for ordinary lines, slot [`FATAL_SINK`] for the fatal paths
/// (which must not wait for any lock).
// SAFETY: fn(&[u8]) is a fn pointer type.
static XEN_SINKS: HandlerTable<fn(&[u8]), 2> = unsafe { HandlerTable::new() };
const SINK: usize = 0;
const FATAL_SINK: usize = 1;
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
    let _ = XEN_SINKS.set(FATAL_SINK, fatal_sink);
    let _ = XEN_SINKS.set(SINK, sink);
    DEBUGCON.store(!replaces_debugcon, Ordering::Relaxed);
}

/// Writes to every sink. `\n` becomes `\r\n` on the serial port only.
pub fn write(bytes: &[u8]) {
    crate::arch::without_interrupts(|| {
        let _guard = LOCK.lock();
        write_sinks(bytes, SINK);
    });
}

/// As [`write`] without taking the lock, and with the Xen sink's lock-free
/// variant: for panic and fault reports only, where the interrupted code may
/// hold a lock. Never waits. Output may interleave.
pub fn write_unlocked(bytes: &[u8]) {
    write_sinks(bytes, FATAL_SINK);
}

/// Serial, port 0xe9 (unless the Xen sink replaces it), then Xen sink `xen`.
fn write_sinks(bytes: &[u8], xen: usize) {
    serial::write(bytes);
    if DEBUGCON.load(Ordering::Relaxed) {
        debugcon::write(bytes);
    }
    if let Some(sink) = XEN_SINKS.get(xen) {
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
