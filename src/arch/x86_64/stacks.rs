//! Statically allocated stacks, each with an unmapped guard page below it.
//!
//! The boot stack is defined by boot/pvh_entry.s in linker.ld's `.bss.stacks`;
//! the IST stacks used by exceptions (see gdt.rs) are defined
//! here, in the same section. A stack overflow runs into the
//! guard page and raises #PF (or #DF), which the trap code reports.

use core::cell::UnsafeCell;

pub const PAGE_SIZE: usize = 4096;

/// A guard page followed by `N` bytes of stack, page aligned.
#[repr(C, align(4096))]
pub struct GuardedStack<const N: usize> {
    guard: [u8; PAGE_SIZE],
    stack: UnsafeCell<[u8; N]>,
}

// SAFETY: the stack memory is only ever used by the CPU as a stack (through the
// TSS), never accessed from Rust, so sharing the static between contexts is sound.
unsafe impl<const N: usize> Sync for GuardedStack<N> {}

impl<const N: usize> GuardedStack<N> {
    pub const fn new() -> Self {
        assert!(N.is_multiple_of(PAGE_SIZE));
        GuardedStack { guard: [0; PAGE_SIZE], stack: UnsafeCell::new([0; N]) }
    }
    pub fn guard_page(&self) -> u64 {
        self.guard.as_ptr() as u64
    }
    pub fn bottom(&self) -> u64 {
        self.stack.get() as u64
    }
    /// Initial stack pointer (16-byte aligned, one past the end).
    pub fn top(&self) -> u64 {
        self.bottom() + N as u64
    }
}

macro_rules! stack {
    ($name:ident, $size:expr) => {
        #[link_section = ".bss.stacks"]
        pub static $name: GuardedStack<{ $size }> = GuardedStack::new();
    };
}

extern "C" {
    // boot/pvh_entry.s: the boot stack and its guard page (symbols only; never dereferenced).
    static boot_stack_guard: u8;
    static boot_stack_bottom: u8;
    static boot_stack_top: u8;
}

fn boot_stack() -> (u64, u64, u64) {
    // Taking the address of an extern static reads nothing from it.
    (
        core::ptr::addr_of!(boot_stack_guard) as u64,
        core::ptr::addr_of!(boot_stack_bottom) as u64,
        core::ptr::addr_of!(boot_stack_top) as u64,
    )
}
stack!(IST_EXCEPTION, 16 * 1024);
stack!(IST_DOUBLE_FAULT, 8 * 1024);
stack!(IST_NMI_MCE, 8 * 1024);

/// (name, guard page, bottom, top) of every stack, for paging.rs and for
/// bounding the frame-pointer walk of a backtrace.
pub fn all() -> [(&'static str, u64, u64, u64); 4] {
    [
        ("boot", boot_stack().0, boot_stack().1, boot_stack().2),
        ("exception", IST_EXCEPTION.guard_page(), IST_EXCEPTION.bottom(), IST_EXCEPTION.top()),
        ("double-fault", IST_DOUBLE_FAULT.guard_page(), IST_DOUBLE_FAULT.bottom(), IST_DOUBLE_FAULT.top()),
        ("nmi-mce", IST_NMI_MCE.guard_page(), IST_NMI_MCE.bottom(), IST_NMI_MCE.top()),
    ]
}

/// The stack that contains `addr`, if any: (name, bottom, top).
pub fn containing(addr: u64) -> Option<(&'static str, u64, u64)> {
    all().into_iter().find(|s| addr >= s.2 && addr < s.3).map(|s| (s.0, s.2, s.3))
}
