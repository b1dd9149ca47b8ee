//! Stacks, each with an unmapped guard page below it.
//!
//! - The boot CPU's: the boot stack (boot/pvh_entry.s) and the IST stacks
//!   used by exceptions (see gdt.rs), statics in linker.ld's `.bss.stacks`.
//! - Each application processor's (AP, smp.rs): one heap block for all of
//!   them, allocated only when the domain has APs ([`alloc_ap_stacks`]), so
//!   a one-vCPU xenbell carries none. Per AP: a main stack and the three IST
//!   stacks, each above its own guard page.
//!
//! A stack overflow runs into a guard page and raises #PF (or #DF), which
//! the trap code reports.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

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

/// (name, guard page, bottom, top) of the boot CPU's stacks.
fn boot_cpu_stacks() -> [(&'static str, u64, u64, u64); 4] {
    [
        ("boot", boot_stack().0, boot_stack().1, boot_stack().2),
        ("exception", IST_EXCEPTION.guard_page(), IST_EXCEPTION.bottom(), IST_EXCEPTION.top()),
        ("double-fault", IST_DOUBLE_FAULT.guard_page(), IST_DOUBLE_FAULT.bottom(), IST_DOUBLE_FAULT.top()),
        ("nmi-mce", IST_NMI_MCE.guard_page(), IST_NMI_MCE.bottom(), IST_NMI_MCE.top()),
    ]
}

/// The guard pages of the boot CPU's stacks (for paging.rs).
pub fn boot_guard_pages() -> impl Iterator<Item = u64> {
    boot_cpu_stacks().into_iter().map(|s| s.1)
}

/// An AP's stacks, in this order above one another in its block, each
/// above a guard page: (name, bytes).
const AP_STACKS: [(&str, usize); 4] =
    [("ap", 16 * 1024), ("ap-exception", 8 * 1024), ("ap-double-fault", 4 * 1024), ("ap-nmi-mce", 4 * 1024)];
/// Bytes of one AP's block: every stack and its guard page.
const AP_BLOCK: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < AP_STACKS.len() {
        n += PAGE_SIZE + AP_STACKS[i].1;
        i += 1;
    }
    n
};
/// Where the APs' stacks start (0: none yet) and for how many APs.
static AP_BASE: AtomicU64 = AtomicU64::new(0);
static AP_COUNT: AtomicUsize = AtomicUsize::new(0);

/// The stacks of AP `i` (0 for the first AP): (name, guard page, bottom,
/// top) of the main stack and of the exception, double-fault and NMI/MCE
/// IST stacks.
pub fn ap_stacks(i: usize) -> Option<[(&'static str, u64, u64, u64); 4]> {
    if i >= AP_COUNT.load(Ordering::Acquire) {
        return None;
    }
    let mut at = AP_BASE.load(Ordering::Relaxed) + (i * AP_BLOCK) as u64;
    Some(AP_STACKS.map(|(name, size)| {
        let guard = at;
        at += (PAGE_SIZE + size) as u64;
        (name, guard, guard + PAGE_SIZE as u64, at)
    }))
}

/// Allocates the stacks of `aps` APs from the heap (zeroed, page aligned)
/// and unmaps their guard pages (`unmap` is paging.rs's). Boot CPU only,
/// once, before any AP runs. None if the heap has no room.
pub fn alloc_ap_stacks(aps: usize, unmap: fn(u64) -> bool) -> Option<()> {
    if aps == 0 || AP_COUNT.load(Ordering::Relaxed) != 0 {
        return Some(());
    }
    let layout = core::alloc::Layout::from_size_align(aps * AP_BLOCK, PAGE_SIZE).ok()?;
    // SAFETY: a non-zero-sized layout; the block is never freed.
    let base = unsafe { alloc::alloc::alloc_zeroed(layout) };
    if base.is_null() {
        return None;
    }
    AP_BASE.store(base as u64, Ordering::Relaxed);
    AP_COUNT.store(aps, Ordering::Release);
    for i in 0..aps {
        for (_, guard, _, _) in ap_stacks(i)? {
            if !unmap(guard) {
                return None;
            }
        }
    }
    Some(())
}

/// Every stack: the boot CPU's, then each AP's.
fn all() -> impl Iterator<Item = (&'static str, u64, u64, u64)> {
    let aps = AP_COUNT.load(Ordering::Acquire);
    boot_cpu_stacks().into_iter().chain((0..aps).flat_map(|i| ap_stacks(i).into_iter().flatten()))
}

/// True if `addr` lies in the guard page of one of our stacks.
pub fn is_guard_page(addr: u64) -> bool {
    all().any(|s| addr >= s.1 && addr < s.1 + PAGE_SIZE as u64)
}

/// The stack that contains `addr`, if any: (name, bottom, top).
pub fn containing(addr: u64) -> Option<(&'static str, u64, u64)> {
    all().find(|s| addr >= s.2 && addr < s.3).map(|s| (s.0, s.2, s.3))
}
