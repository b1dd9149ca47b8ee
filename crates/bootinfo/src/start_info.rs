//! Validation of `struct hvm_start_info` (xen/include/public/arch-x86/hvm/start_info.h),
//! which the PVH loader (Xen or QEMU) hands over in %ebx.

use core::fmt;

use xen_abi::start_info::{HvmStartInfo, XEN_HVM_START_MAGIC_VALUE};

/// More memory-map entries than this is taken as corruption.
pub const MAX_MEMMAP_ENTRIES: u32 = 128;
/// The command line is read up to this many bytes (including the NUL).
pub const MAX_CMDLINE: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartInfoError {
    /// The pointer itself is unusable (null, misaligned, not mapped).
    BadPointer {
        what: &'static str,
        paddr: u64,
    },
    BadMagic {
        found: u32,
    },
    /// Version 0 has no memory map, which the kernel needs for its heap.
    NoMemmap {
        version: u32,
    },
    TooManyMemmapEntries {
        entries: u32,
    },
    CmdlineUnterminated,
    CmdlineNotUtf8 {
        at: usize,
    },
}

impl fmt::Display for StartInfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "start_info: ")?;
        match self {
            StartInfoError::BadPointer { what, paddr } => {
                write!(f, "{what}: address {paddr:#x} is not usable")
            }
            StartInfoError::BadMagic { found } => write!(
                f,
                "magic {found:#010x}: bad (expected {XEN_HVM_START_MAGIC_VALUE:#010x}): not started through the PVH entry?"
            ),
            StartInfoError::NoMemmap { version } => {
                write!(f, "version {version}: carries no memory map (need version >= 1 with memmap entries)")
            }
            StartInfoError::TooManyMemmapEntries { entries } => {
                write!(f, "memmap_entries {entries}: more than {MAX_MEMMAP_ENTRIES}: corrupt?")
            }
            StartInfoError::CmdlineUnterminated => {
                write!(f, "cmdline: no NUL within {MAX_CMDLINE} bytes")
            }
            StartInfoError::CmdlineNotUtf8 { at } => write!(f, "cmdline: not UTF-8 (byte {at})"),
        }
    }
}

/// Checks the fixed fields. The caller checks that the addresses inside
/// (memory map, command line) are mapped before reading them.
pub fn validate(si: &HvmStartInfo) -> Result<(), StartInfoError> {
    if si.magic != XEN_HVM_START_MAGIC_VALUE {
        return Err(StartInfoError::BadMagic { found: si.magic });
    }
    if !has_memmap(si) {
        // Not an error here: a PVH dom0 gets version 0 and asks Xen instead.
        return Ok(());
    }
    if si.memmap_entries > MAX_MEMMAP_ENTRIES {
        return Err(StartInfoError::TooManyMemmapEntries { entries: si.memmap_entries });
    }
    if !si.memmap_paddr.is_multiple_of(8) {
        return Err(StartInfoError::BadPointer { what: "memory map", paddr: si.memmap_paddr });
    }
    Ok(())
}

/// Whether the start info carries a memory map (version >= 1, non-empty).
/// Without one the kernel must ask Xen (XENMEM_memory_map) or give up with
/// [`StartInfoError::NoMemmap`].
pub fn has_memmap(si: &HvmStartInfo) -> bool {
    si.version >= 1 && si.memmap_paddr != 0 && si.memmap_entries != 0
}

/// The command line in `bytes` (read from `cmdline_paddr`, at most
/// [`MAX_CMDLINE`] bytes): everything before the first NUL, as UTF-8.
pub fn cmdline_from_bytes(bytes: &[u8]) -> Result<&str, StartInfoError> {
    let bytes = &bytes[..bytes.len().min(MAX_CMDLINE)];
    let len = bytes.iter().position(|&b| b == 0).ok_or(StartInfoError::CmdlineUnterminated)?;
    core::str::from_utf8(&bytes[..len]).map_err(|e| StartInfoError::CmdlineNotUtf8 { at: e.valid_up_to() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> HvmStartInfo {
        HvmStartInfo {
            magic: XEN_HVM_START_MAGIC_VALUE,
            version: 1,
            flags: 0,
            nr_modules: 0,
            modlist_paddr: 0,
            cmdline_paddr: 0x2000,
            rsdp_paddr: 0,
            memmap_paddr: 0x3000,
            memmap_entries: 5,
            reserved: 0,
        }
    }

    #[test]
    fn accepts_good() {
        assert_eq!(validate(&good()), Ok(()));
    }

    #[test]
    fn rejects_each_bad_field() {
        type Case = (fn(&mut HvmStartInfo), StartInfoError);
        let cases: [Case; 3] = [
            (|s| s.magic = 0xdeadbeef, StartInfoError::BadMagic { found: 0xdeadbeef }),
            (|s| s.memmap_entries = 1000, StartInfoError::TooManyMemmapEntries { entries: 1000 }),
            (|s| s.memmap_paddr = 0x3004, StartInfoError::BadPointer { what: "memory map", paddr: 0x3004 }),
        ];
        for (mutate, want) in cases {
            let mut s = good();
            mutate(&mut s);
            assert_eq!(validate(&s), Err(want));
            assert!(want.to_string().starts_with("start_info: "));
        }
    }

    #[test]
    fn version_0_has_no_memmap_but_is_valid() {
        let mut s = good();
        s.version = 0;
        assert_eq!(validate(&s), Ok(()));
        assert!(!has_memmap(&s));
        s = good();
        s.memmap_entries = 0;
        assert!(!has_memmap(&s));
        assert!(has_memmap(&good()));
    }

    #[test]
    fn cmdline() {
        assert_eq!(cmdline_from_bytes(b"log=debug\0junk"), Ok("log=debug"));
        assert_eq!(cmdline_from_bytes(b"\0"), Ok(""));
        assert_eq!(cmdline_from_bytes(b"no terminator"), Err(StartInfoError::CmdlineUnterminated));
        assert_eq!(cmdline_from_bytes(b"ab\xff\0"), Err(StartInfoError::CmdlineNotUtf8 { at: 2 }));
        let long = [b'a'; MAX_CMDLINE + 10];
        assert_eq!(cmdline_from_bytes(&long), Err(StartInfoError::CmdlineUnterminated));
    }
}
