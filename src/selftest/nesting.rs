//! `selftest=nesting`: an interrupt delivered again while its own handler
//! runs must return where each delivery came from.
//!
//! Xen under QEMU TCG once re-delivered the upcall vector at the first
//! instruction of its stub. With interrupts on an IST stack, the second
//! frame overwrote the first and the handler returned into its own stub
//! forever (see arch/x86_64/idt.rs). Here the handler of a test vector
//! raises the same vector once more with `int`: on the interrupted stack the
//! inner delivery nests and both return; on an IST stack the outer return
//! address would be lost and the outer handler would run its tail again
//! (counted: more than one return is a failure, not a hang).

use core::sync::atomic::{AtomicU32, Ordering};

use super::report::{self, ensure, Outcome, Suite};
use crate::arch::traps::register_interrupt;

/// A vector nothing else uses.
const VECTOR: u8 = 0xf8;

static ENTRIES: AtomicU32 = AtomicU32::new(0);
static RETURNS: AtomicU32 = AtomicU32::new(0);

fn handler() {
    let depth = ENTRIES.fetch_add(1, Ordering::SeqCst);
    if depth == 0 {
        // SAFETY: a software interrupt to a vector whose gate and handler
        // are installed; the handler touches only these atomics.
        unsafe { core::arch::asm!("int 0xf8") };
    }
    // The outer delivery gets here once, after the inner one returned.
    if RETURNS.fetch_add(1, Ordering::SeqCst) >= 2 {
        // Looping back here again and again: report now, from the handler.
        let why = "the handler's tail ran more than twice: a return address was lost";
        report::print("nesting", Some("both_return"), Outcome::Failure, Some(&why));
        report::print("nesting", None, Outcome::Failure, Some(&"stopped in the interrupt handler"));
        report::end(Outcome::Failure);
    }
}

pub fn run(suite: &mut Suite) {
    register_interrupt(VECTOR, handler);
    let canary: u64 = 0x5eed_f00d_cafe_beef;
    let canary = core::hint::black_box(canary);
    // SAFETY: as in the handler.
    unsafe { core::arch::asm!("int 0xf8") };
    suite.check("both_return", || {
        let (entries, returns) = (ENTRIES.load(Ordering::SeqCst), RETURNS.load(Ordering::SeqCst));
        ensure!((entries, returns) == (2, 2), "entries={entries} returns={returns}, want 2 and 2");
        Ok(())
    });
    suite.check("locals_kept", || {
        let canary = core::hint::black_box(canary);
        ensure!(canary == 0x5eed_f00d_cafe_beef, "a local changed across the interrupts: {canary:#x}");
        Ok(())
    });
    log::info!(
        "selftest: vector {VECTOR:#x} delivered twice, nested (interrupts re-delivered at a stub's entry so far: {})",
        crate::arch::traps::redelivered()
    );
}
