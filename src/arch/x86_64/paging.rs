//! Adjustments to the identity map built by boot/pvh_entry.s.
//!
//! The boot code maps the first 4 GiB with 2 MiB pages, except the first 2 MiB
//! which use 4 KiB pages (`boot_pt`). Here we unmap page 0 (so a null pointer
//! faults) and the guard page of every stack, and extend the map to RAM the
//! memory map reports above 4 GiB.

use core::ptr::addr_of_mut;

use x86_64::instructions::tlb;
use x86_64::VirtAddr;

use super::stacks::{self, PAGE_SIZE};

const PTE_PRESENT: u64 = 1 << 0;
const PTE_WRITABLE: u64 = 1 << 1;
const PTE_HUGE: u64 = 1 << 7;
const GIB: u64 = 1 << 30;
const MIB2: u64 = 2 << 20;
/// The boot map covers this much; PDPT entries 0..4 are used.
pub const BOOT_MAPPED: u64 = 4 * GIB;
/// Extra page directories for RAM above 4 GiB on CPUs without 1 GiB pages.
const SPARE_PDS: usize = 4;

extern "C" {
    // boot/pvh_entry.s
    static mut boot_pt: [u64; 512];
    static mut boot_pdpt: [u64; 512];
}

#[repr(C, align(4096))]
struct PageDirs([[u64; 512]; SPARE_PDS]);
static mut SPARE: PageDirs = PageDirs([[0; 512]; SPARE_PDS]);

/// Unmaps page 0 and every stack's guard page.
pub fn protect_boot_mappings() {
    unmap_low_page(0);
    for (_, guard, _, _) in stacks::all() {
        unmap_low_page(guard);
    }
}

fn unmap_low_page(addr: u64) {
    assert!(addr < MIB2 && addr.is_multiple_of(PAGE_SIZE as u64), "{addr:#x} is not a 4 KiB page in the first 2 MiB");
    // SAFETY: boot_pt is the live page table of the first 2 MiB; we are the only
    // CPU, and the page being unmapped is page 0 or a guard page that no code
    // uses. The TLB entry is flushed right after.
    unsafe { (*addr_of_mut!(boot_pt))[(addr / PAGE_SIZE as u64) as usize] = 0 };
    tlb::flush(VirtAddr::new(addr));
}

/// True if `addr` (an identity-mapped physical address) is mapped and not a
/// guard page: lets fault dumps and backtraces avoid faulting again.
pub fn is_mapped(addr: u64) -> bool {
    if addr < MIB2 {
        // SAFETY: reading an entry of the live page table.
        let pte = unsafe { (*core::ptr::addr_of!(boot_pt))[(addr / PAGE_SIZE as u64) as usize] };
        return pte & PTE_PRESENT != 0;
    }
    addr < mapped_limit()
}

static MAPPED_LIMIT: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(BOOT_MAPPED);

/// End of the identity map.
pub fn mapped_limit() -> u64 {
    MAPPED_LIMIT.load(core::sync::atomic::Ordering::Relaxed)
}

/// Extends the identity map to cover RAM up to `end` (exclusive), with 1 GiB
/// pages where the CPU has them, else 2 MiB pages from a small static pool.
/// Returns the new end of the map (which may be below `end` if the pool ran out).
pub fn map_up_to(end: u64) -> u64 {
    let gib_pages = super::cpu::cpuid(0x8000_0001).3 & (1 << 26) != 0;
    let mut limit = mapped_limit();
    let mut spare = 0;
    while limit < end && limit < 512 * GIB {
        let slot = (limit / GIB) as usize;
        let entry = if gib_pages {
            limit | PTE_PRESENT | PTE_WRITABLE | PTE_HUGE
        } else {
            if spare == SPARE_PDS {
                break;
            }
            // SAFETY: SPARE is used only here, once per slot, before the
            // directory is linked into the live page table.
            let pd = unsafe { &mut (*addr_of_mut!(SPARE)).0[spare] };
            for (i, e) in pd.iter_mut().enumerate() {
                *e = (limit + i as u64 * MIB2) | PTE_PRESENT | PTE_WRITABLE | PTE_HUGE;
            }
            spare += 1;
            pd.as_ptr() as u64 | PTE_PRESENT | PTE_WRITABLE
        };
        // SAFETY: the PDPT slot is unused (beyond the current map) and the
        // entry maps RAM identity; new mappings need no TLB flush.
        unsafe { (*addr_of_mut!(boot_pdpt))[slot] = entry };
        limit += GIB;
    }
    MAPPED_LIMIT.store(limit, core::sync::atomic::Ordering::Relaxed);
    limit
}
