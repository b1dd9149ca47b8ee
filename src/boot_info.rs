//! What the PVH loader told us: hvm_start_info, the command line and the
//! memory map, validated by the bootinfo crate and copied into the kernel
//! before anything else touches memory (QEMU's loader puts them in page 0,
//! which paging.rs unmaps; Xen puts them just after the image, in what becomes
//! the heap).

use core::fmt;

use bootinfo::{Range, StartInfoError};
use xen_abi::start_info::{HvmMemmapTableEntry, HvmStartInfo, XEN_HVM_MEMMAP_TYPE_RAM};

use crate::arch::paging;

const MIB: u64 = 1 << 20;

use bootinfo::start_info::{MAX_CMDLINE, MAX_MEMMAP_ENTRIES};
use spin::Once;

const NO_ENTRY: HvmMemmapTableEntry = HvmMemmapTableEntry { addr: 0, size: 0, type_: 0, reserved: 0 };

pub struct BootInfo {
    pub start_info_paddr: u64,
    pub start_info: HvmStartInfo,
    pub cmdline: &'static str,
    memmap: [HvmMemmapTableEntry; MAX_MEMMAP_ENTRIES as usize],
    memmap_len: usize,
}

/// The command line's copy: filled once by [`read`], read-only afterwards.
static CMDLINE: Once<[u8; MAX_CMDLINE]> = Once::new();

pub struct BootError(StartInfoError);

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// True if `[paddr, paddr + len)` is mapped memory we may read.
fn readable(paddr: u64, len: u64) -> bool {
    let Some(end) = paddr.checked_add(len) else { return false };
    paddr != 0 && end <= paging::mapped_limit() && paging::is_mapped(paddr) && paging::is_mapped(end - 1)
}

fn check(what: &'static str, paddr: u64, len: u64, align: u64) -> Result<(), BootError> {
    if !paddr.is_multiple_of(align) || !readable(paddr, len) {
        return Err(BootError(StartInfoError::BadPointer { what, paddr }));
    }
    Ok(())
}

/// Validates and copies the start info. Must run before paging.rs unmaps page 0.
pub fn read(paddr: u64) -> Result<BootInfo, BootError> {
    check("hvm_start_info", paddr, core::mem::size_of::<HvmStartInfo>() as u64, 8)?;
    // SAFETY: the range is mapped, aligned and readable (checked above); the
    // loader wrote it before jumping to us and nobody writes it afterwards.
    let si = unsafe { core::ptr::read(paddr as *const HvmStartInfo) };
    bootinfo::validate(&si).map_err(BootError)?;

    let mut info = BootInfo {
        start_info_paddr: paddr,
        start_info: si,
        cmdline: "",
        memmap: [NO_ENTRY; MAX_MEMMAP_ENTRIES as usize],
        memmap_len: 0,
    };
    if bootinfo::start_info::has_memmap(&si) {
        let n = si.memmap_entries as usize;
        let mm_len = (n * core::mem::size_of::<HvmMemmapTableEntry>()) as u64;
        check("memory map", si.memmap_paddr, mm_len, 8)?;
        // SAFETY: validated count, mapped and aligned range, loader-written data.
        let memmap = unsafe { core::slice::from_raw_parts(si.memmap_paddr as *const HvmMemmapTableEntry, n) };
        info.set_memmap(memmap);
    }
    let mut copy = [0; MAX_CMDLINE];

    let cmdline = match si.cmdline_paddr {
        0 => 0,
        p => {
            // Read at most MAX_CMDLINE bytes, fewer if the map ends sooner.
            let len = (bootinfo::start_info::MAX_CMDLINE as u64).min(paging::mapped_limit().saturating_sub(p));
            check("command line", p, len.max(1), 1)?;
            // SAFETY: [p, p + len) is mapped (checked above).
            let bytes = unsafe { core::slice::from_raw_parts(p as *const u8, len as usize) };
            let text = bootinfo::cmdline_from_bytes(bytes).map_err(BootError)?;
            copy[..text.len()].copy_from_slice(text.as_bytes());
            text.len()
        }
    };
    let copy = CMDLINE.call_once(|| copy);
    // The copy holds the bytes cmdline_from_bytes just accepted as UTF-8.
    info.cmdline = core::str::from_utf8(&copy[..cmdline]).unwrap_or("");
    Ok(info)
}

fn type_name(t: u32) -> &'static str {
    match t {
        1 => "RAM",
        2 => "reserved",
        3 => "ACPI",
        4 => "ACPI NVS",
        5 => "unusable",
        6 => "disabled",
        7 => "persistent",
        _ => "unknown",
    }
}

extern "C" {
    // linker.ld
    static __image_start: u8;
    static __image_end: u8;
}

impl BootInfo {
    pub fn memmap(&self) -> &[HvmMemmapTableEntry] {
        &self.memmap[..self.memmap_len]
    }

    /// Replaces the memory map (at most 128 entries are kept).
    pub fn set_memmap(&mut self, entries: &[HvmMemmapTableEntry]) {
        let n = entries.len().min(self.memmap.len());
        self.memmap[..n].copy_from_slice(&entries[..n]);
        self.memmap_len = n;
    }

    fn ram(&self) -> impl Iterator<Item = Range> + '_ {
        self.memmap()
            .iter()
            .filter(|e| e.type_ == XEN_HVM_MEMMAP_TYPE_RAM)
            .map(|e| Range::new(e.addr, e.addr.saturating_add(e.size)))
    }

    /// One summary line at info; the entries themselves at debug (each log
    /// line costs boot time under Xen).
    pub fn log_memory_map(&self) {
        let total: u64 = self.ram().map(|r| r.len()).sum();
        log::info!(
            "memory map: {} entries, RAM total {} KiB (start_info v{} at {:#x})",
            self.memmap_len,
            total / 1024,
            self.start_info.version,
            self.start_info_paddr
        );
        for e in self.memmap() {
            log::debug!(
                "  {:#012x}-{:#012x} {:>8} KiB {}",
                e.addr,
                e.addr.saturating_add(e.size),
                e.size / 1024,
                type_name(e.type_)
            );
        }
    }

    /// The largest free RAM range: RAM minus low memory and the image (with
    /// its stacks and page tables); the start-info data was copied and may be
    /// reused. Extends the identity map first if RAM lies above 4 GiB.
    pub fn heap_range(&self) -> Option<Range> {
        let top = self.ram().map(|r| r.end).max().unwrap_or(0);
        if top > paging::BOOT_MAPPED {
            let mapped = paging::map_up_to(top);
            if mapped < top {
                log::warn!("memory: RAM above {:#x} is not mapped (page-table pool exhausted)", mapped);
            }
        }
        // Only the addresses of the linker symbols are taken.
        let image = Range::new(core::ptr::addr_of!(__image_start) as u64, core::ptr::addr_of!(__image_end) as u64);
        let reserved = [Range::new(0, MIB), image];
        let heap = bootinfo::largest_free_range(self.ram(), &reserved, paging::mapped_limit())?;
        log::info!("memory: heap {:#x}-{:#x} ({} KiB)", heap.start, heap.end, heap.len() / 1024);
        Some(heap)
    }
}
