//! Fuzz target `start_info`: what the kernel does with the PVH start info
//! (src/boot_info.rs) on arbitrary bytes: `bootinfo::validate`,
//! `start_info::has_memmap`, the memory map's RAM ranges into
//! `largest_free_range`, and the command line through `cmdline_from_bytes`
//! and `Config::parse`.
//!
//! Input layout (so seeds are easy to write, see fuzz/seeds/start_info):
//! 56 bytes `struct hvm_start_info` (little-endian fields, zero-padded if
//! short), then the memory map's entries (24 bytes each: addr, size, type,
//! reserved) as many as `memmap_entries` says if `validate` accepted it and
//! the input has them, then 24 bytes: the identity map's end and the kernel
//! image's start and end, then the command-line bytes.
//!
//! Invariants checked:
//! - never a panic; error messages start with `start_info: `;
//! - `validate` accepts exactly a right magic with either no memory map
//!   (version 0, null address or no entries) or at most 128 entries at an
//!   8-aligned address, and otherwise reports the first bad field with its
//!   value (`BadMagic`, `TooManyMemmapEntries`, `BadPointer("memory map")`);
//! - the heap chosen from an accepted memory map, with low memory and the
//!   image reserved, keeps `largest_free_range`'s invariants
//!   (`check_free_range`: page-aligned, inside RAM, outside every reserved
//!   range, below the limit, the largest);
//! - a command line taken from the bytes either parses or fails with an
//!   error; parsing never panics.
#![no_main]

use bootinfo::start_info::{has_memmap, MAX_MEMMAP_ENTRIES};
use bootinfo::{cmdline_from_bytes, validate, Range, StartInfoError};
use cmdline::Config;
use libfuzzer_sys::fuzz_target;
use xen_abi::start_info::{HvmStartInfo, XEN_HVM_MEMMAP_TYPE_RAM, XEN_HVM_START_MAGIC_VALUE};
use xenbell_fuzz::check_free_range;

const MIB: u64 = 1 << 20;

fn take(data: &mut &[u8], n: usize) -> Vec<u8> {
    let k = n.min(data.len());
    let mut v = data[..k].to_vec();
    *data = &data[k..];
    v.resize(n, 0);
    v
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(b[i..i + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i..i + 8].try_into().unwrap())
}

fuzz_target!(|input: &[u8]| {
    let mut data = input;
    let b = take(&mut data, 56);
    let si = HvmStartInfo {
        magic: u32_at(&b, 0),
        version: u32_at(&b, 4),
        flags: u32_at(&b, 8),
        nr_modules: u32_at(&b, 12),
        modlist_paddr: u64_at(&b, 16),
        cmdline_paddr: u64_at(&b, 24),
        rsdp_paddr: u64_at(&b, 32),
        memmap_paddr: u64_at(&b, 40),
        memmap_entries: u32_at(&b, 48),
        reserved: u32_at(&b, 52),
    };
    let has = has_memmap(&si);
    assert_eq!(has, si.version >= 1 && si.memmap_paddr != 0 && si.memmap_entries != 0);
    let r = validate(&si);
    let want = if si.magic != XEN_HVM_START_MAGIC_VALUE {
        Err(StartInfoError::BadMagic { found: si.magic })
    } else if !has {
        Ok(())
    } else if si.memmap_entries > MAX_MEMMAP_ENTRIES {
        Err(StartInfoError::TooManyMemmapEntries { entries: si.memmap_entries })
    } else if !si.memmap_paddr.is_multiple_of(8) {
        Err(StartInfoError::BadPointer { what: "memory map", paddr: si.memmap_paddr })
    } else {
        Ok(())
    };
    assert_eq!(r, want, "{si:x?}");
    if let Err(e) = r {
        assert!(e.to_string().starts_with("start_info: "));
        return;
    }

    // The kernel copies the entries (validate bounded their number) and
    // takes the RAM ones.
    let mut ram = Vec::new();
    if has {
        let avail = data.len() / 24;
        for _ in 0..(si.memmap_entries as usize).min(avail) {
            let e = take(&mut data, 24);
            if u32_at(&e, 16) == XEN_HVM_MEMMAP_TYPE_RAM {
                let (addr, size) = (u64_at(&e, 0), u64_at(&e, 8));
                ram.push(Range::new(addr, addr.saturating_add(size)));
            }
        }
    }
    let tail = take(&mut data, 24);
    let limit = u64_at(&tail, 0);
    let image = Range::new(u64_at(&tail, 8), u64_at(&tail, 16));
    let reserved = [Range::new(0, MIB), image];
    let heap = bootinfo::largest_free_range(ram.iter().copied(), &reserved, limit);
    check_free_range(&ram, &reserved, limit, heap);

    match cmdline_from_bytes(data) {
        Ok(line) => {
            if let Err(e) = Config::parse(line) {
                assert!(e.to_string().starts_with("cmdline: "));
            }
        }
        Err(e) => assert!(e.to_string().starts_with("start_info: ")),
    }
});
