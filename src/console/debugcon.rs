//! Port 0xe9: Xen prints a guest's bytes there as "(dN) line" on its console
//! (guest_loglvl=all); QEMU writes them to the file of `-debugcon`. Writes to
//! it never block, and are harmless where nothing listens.

use crate::arch::cpu::port::outb;

const PORT: u16 = 0xe9;

pub fn write(bytes: &[u8]) {
    for &b in bytes {
        // SAFETY: port 0xe9 is the debug console under Xen and QEMU; writing
        // it has no side effect beyond emitting the byte.
        unsafe { outb(PORT, b) };
    }
}
