//! Port 0xe9: Xen prints a guest's bytes there as "(dN) line" on its console
//! (guest_loglvl=all); QEMU writes them to the file of `-debugcon`. Writes to
//! it never block, and are harmless where nothing listens.

use crate::arch::cpu::port::outb;

const PORT: u16 = 0xe9;

/// One `outb` per byte. (`rep outsb` would be one exit per line instead of
/// one per byte, but is emulated by Xen's string-I/O path; while chasing a
/// hang after event floods it was ruled out by going back to plain outb.)
pub fn write(bytes: &[u8]) {
    for &b in bytes {
        // SAFETY: port 0xe9 is the debug console under Xen and QEMU; writing
        // it has no side effect beyond emitting the byte.
        unsafe { outb(PORT, b) };
    }
}
