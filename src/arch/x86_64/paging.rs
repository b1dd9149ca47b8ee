//! Adjustments to the identity map built by boot/pvh_entry.s.
//!
//! The boot code maps the first 4 GiB with 2 MiB pages, except the first 2 MiB
//! which use 4 KiB pages (`boot_pt`). Here we unmap page 0 (so a null pointer
//! faults) and the guard page of every stack (splitting a 2 MiB page into
//! 4 KiB pages where a guard page lies above the first 2 MiB: the APs'
//! stacks come from the heap), and extend the map to RAM the memory map
//! reports above 4 GiB.

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
    static mut boot_pd: [u64; 4 * 512];
}

#[repr(C, align(4096))]
struct PageDirs([[u64; 512]; SPARE_PDS]);
static mut SPARE: PageDirs = PageDirs([[0; 512]; SPARE_PDS]);

/// Page tables for 2 MiB pages split into 4 KiB ones (guard pages above
/// the first 2 MiB); `SPLIT_USED` of them are in use. Two cover any block
/// of up to 2 MiB of AP stacks.
const SPLIT_PTS: usize = 2;
#[repr(C, align(4096))]
struct PageTables([[u64; 512]; SPLIT_PTS]);
static mut SPLIT: PageTables = PageTables([[0; 512]; SPLIT_PTS]);
static SPLIT_USED: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// Unmaps page 0 and every stack's guard page.
pub fn protect_boot_mappings() {
    unmap_low_page(0);
    for guard in stacks::boot_guard_pages() {
        unmap_low_page(guard);
    }
}

/// Unmaps the 4 KiB page at `addr` (page aligned, below 4 GiB), splitting
/// the 2 MiB page around it first if need be. False (nothing changed) if
/// it is not such a page or no page table is left for the split. Boot CPU
/// only, while no other CPU runs (the split is flushed from this CPU's TLB
/// only).
pub fn unmap_page(addr: u64) -> bool {
    if !addr.is_multiple_of(PAGE_SIZE as u64) || addr >= BOOT_MAPPED {
        return false;
    }
    if addr < MIB2 {
        unmap_low_page(addr);
        return true;
    }
    let pde = (addr / MIB2) as usize;
    // SAFETY: boot_pd is the live page directory of the first 4 GiB, only
    // this CPU runs; an entry is read, and replaced by a table that maps
    // the same 2 MiB with 4 KiB pages before any page of it is unmapped.
    unsafe {
        let pd = &mut *addr_of_mut!(boot_pd);
        if pd[pde] & PTE_HUGE != 0 {
            let n = SPLIT_USED.load(core::sync::atomic::Ordering::Relaxed);
            if n == SPLIT_PTS {
                return false;
            }
            SPLIT_USED.store(n + 1, core::sync::atomic::Ordering::Relaxed);
            let pt = &mut (*addr_of_mut!(SPLIT)).0[n];
            let base = pde as u64 * MIB2;
            for (i, e) in pt.iter_mut().enumerate() {
                *e = (base + (i * PAGE_SIZE) as u64) | PTE_PRESENT | PTE_WRITABLE;
            }
            pd[pde] = pt.as_ptr() as u64 | PTE_PRESENT | PTE_WRITABLE;
            // A 2 MiB entry becomes a table: flush every translation.
            tlb::flush_all();
        }
        let pt = (pd[pde] & !0xfff) as *mut u64;
        *pt.add(((addr % MIB2) / PAGE_SIZE as u64) as usize) = 0;
    }
    tlb::flush(VirtAddr::new(addr));
    true
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
    if addr < BOOT_MAPPED && stacks::is_guard_page(addr & !(PAGE_SIZE as u64 - 1)) {
        return false;
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
