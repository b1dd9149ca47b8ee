//! Thin, typed wrappers around single CPU instructions.

use core::arch::asm;

pub use x86_64::instructions::interrupts::without_interrupts;

/// `cpuid` with a sub-leaf of 0. Returns (eax, ebx, ecx, edx).
pub fn cpuid(leaf: u32) -> (u32, u32, u32, u32) {
    let r = core::arch::x86_64::__cpuid_count(leaf, 0);
    (r.eax, r.ebx, r.ecx, r.edx)
}

/// Reads a model-specific register.
///
/// # Safety
/// `msr` must exist on this CPU (a missing MSR raises #GP).
pub unsafe fn rdmsr(msr: u32) -> u64 {
    // SAFETY: the caller guarantees the MSR exists; rdmsr has no other effect.
    unsafe { x86_64::registers::model_specific::Msr::new(msr).read() }
}

/// Writes a model-specific register.
///
/// # Safety
/// `msr` must exist and `value` must be valid for it; the write can change how
/// the machine behaves (e.g. Xen's hypercall-page MSR overwrites a page).
pub unsafe fn wrmsr(msr: u32, value: u64) {
    // SAFETY: the caller guarantees the MSR and value are valid.
    unsafe { x86_64::registers::model_specific::Msr::new(msr).write(value) }
}

/// The faulting address of the last page fault.
pub fn cr2() -> u64 {
    x86_64::registers::control::Cr2::read_raw()
}

/// The current frame pointer (start of a backtrace).
#[inline(always)]
pub fn frame_pointer() -> u64 {
    let rbp: u64;
    // SAFETY: reads a register; no memory is touched.
    unsafe { asm!("mov {}, rbp", out(reg) rbp, options(nomem, nostack, preserves_flags)) };
    rbp
}

/// Time-stamp counter. (Not RDTSCP: Xen under QEMU TCG cannot emulate it.)
pub fn rdtsc() -> u64 {
    // SAFETY: rdtsc only reads the counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// RDTSC that executes only after every earlier instruction (loads
/// included) has completed: LFENCE; RDTSC, as Linux's `rdtsc_ordered()`
/// (arch/x86/include/asm/msr.h) and Xen's own `rdtsc_ordered()`. Needed
/// where the TSC is combined with data read just before it (the pvclock
/// record inside its version check): a plain RDTSC may execute before
/// those loads. Xen sets LFENCE dispatch-serialising on AMD too.
pub fn rdtsc_ordered() -> u64 {
    // SAFETY: LFENCE and RDTSC only order and read; SSE2 (LFENCE) is part
    // of x86_64.
    unsafe {
        core::arch::x86_64::_mm_lfence();
        core::arch::x86_64::_rdtsc()
    }
}

pub fn irq_enable() {
    x86_64::instructions::interrupts::enable();
}

pub fn irq_disable() {
    x86_64::instructions::interrupts::disable();
}

/// Waits for the next interrupt with interrupts enabled (`sti; hlt`, atomic:
/// an interrupt pending at `sti` is taken after `hlt`, not lost).
pub fn idle() {
    x86_64::instructions::interrupts::enable_and_hlt();
}

/// Stops this CPU for good. Under Xen prefer a shutdown hypercall: a vCPU
/// that halts with interrupts disabled is simply taken offline.
pub fn halt_forever() -> ! {
    loop {
        irq_disable();
        x86_64::instructions::hlt();
    }
}

/// One byte out / in on an I/O port.
pub mod port {
    use x86_64::instructions::port::Port;

    /// # Safety
    /// Writing to an I/O port can have arbitrary device side effects; the
    /// caller names a port whose device it knows.
    pub unsafe fn outb(port: u16, value: u8) {
        // SAFETY: forwarded from the caller.
        unsafe { Port::<u8>::new(port).write(value) }
    }

    /// # Safety
    /// As [`outb`]: reading some device registers has side effects.
    pub unsafe fn inb(port: u16) -> u8 {
        // SAFETY: forwarded from the caller.
        unsafe { Port::<u8>::new(port).read() }
    }

    /// # Safety
    /// As [`outb`].
    pub unsafe fn outl(port: u16, value: u32) {
        // SAFETY: forwarded from the caller.
        unsafe { Port::<u32>::new(port).write(value) }
    }
}
