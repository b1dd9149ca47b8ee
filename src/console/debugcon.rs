//! Port 0xe9: Xen prints a guest's bytes there as "(dN) line" on its console
//! (guest_loglvl=all); QEMU writes them to the file of `-debugcon`. Writes to
//! it never block, and are harmless where nothing listens.

use crate::arch::cpu::port::outsb;

const PORT: u16 = 0xe9;

/// One `rep outsb` for the whole buffer: under Xen that is one exit to the
/// hypervisor per line instead of one per byte.
pub fn write(bytes: &[u8]) {
    // SAFETY: port 0xe9 is the debug console under Xen and QEMU; writing it
    // has no side effect beyond emitting the bytes, which outsb reads from
    // the slice (valid for its length).
    unsafe { outsb(PORT, bytes) };
}
