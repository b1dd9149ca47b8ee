//! PVH boot: the ELF note that names the 32-bit entry point, and the
//! `hvm_start_info` block whose physical address arrives in `%ebx`.
//!
//! Mirrors `xen/include/public/arch-x86/hvm/start_info.h`, plus
//! `XEN_ELFNOTE_PHYS32_ENTRY` from `xen/include/public/elfnote.h` and the
//! `SIF_*` flags from `xen/include/public/xen.h`.

/// `XEN_ELFNOTE_PHYS32_ENTRY` (elfnote.h): note type (name "Xen") whose value
/// is the 32-bit physical PVH entry address.
pub const XEN_ELFNOTE_PHYS32_ENTRY: u32 = 18;

/// `XEN_HVM_START_MAGIC_VALUE` (start_info.h): `hvm_start_info.magic`.
pub const XEN_HVM_START_MAGIC_VALUE: u32 = 0x336e_c578;

/// `XEN_HVM_MEMMAP_TYPE_RAM` (start_info.h).
pub const XEN_HVM_MEMMAP_TYPE_RAM: u32 = 1;
/// `XEN_HVM_MEMMAP_TYPE_RESERVED` (start_info.h).
pub const XEN_HVM_MEMMAP_TYPE_RESERVED: u32 = 2;
/// `XEN_HVM_MEMMAP_TYPE_ACPI` (start_info.h).
pub const XEN_HVM_MEMMAP_TYPE_ACPI: u32 = 3;
/// `XEN_HVM_MEMMAP_TYPE_NVS` (start_info.h).
pub const XEN_HVM_MEMMAP_TYPE_NVS: u32 = 4;
/// `XEN_HVM_MEMMAP_TYPE_UNUSABLE` (start_info.h).
pub const XEN_HVM_MEMMAP_TYPE_UNUSABLE: u32 = 5;
/// `XEN_HVM_MEMMAP_TYPE_DISABLED` (start_info.h).
pub const XEN_HVM_MEMMAP_TYPE_DISABLED: u32 = 6;
/// `XEN_HVM_MEMMAP_TYPE_PMEM` (start_info.h).
pub const XEN_HVM_MEMMAP_TYPE_PMEM: u32 = 7;

/// `SIF_PRIVILEGED` (xen.h): flag in [`HvmStartInfo::flags`].
pub const SIF_PRIVILEGED: u32 = 1 << 0;
/// `SIF_INITDOMAIN` (xen.h): flag in [`HvmStartInfo::flags`].
pub const SIF_INITDOMAIN: u32 = 1 << 1;

/// `struct hvm_start_info` (start_info.h), 56 bytes. The `memmap_*` fields
/// exist from `version` 1 on.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HvmStartInfo {
    /// [`XEN_HVM_START_MAGIC_VALUE`].
    pub magic: u32,
    /// Version of this structure (0 or 1).
    pub version: u32,
    /// `SIF_*`.
    pub flags: u32,
    /// Entries at `modlist_paddr`.
    pub nr_modules: u32,
    /// Physical address of an array of [`HvmModlistEntry`].
    pub modlist_paddr: u64,
    /// Physical address of the NUL-terminated command line (0 = none).
    pub cmdline_paddr: u64,
    /// Physical address of the ACPI RSDP.
    pub rsdp_paddr: u64,
    /// Version 1: physical address of an array of [`HvmMemmapTableEntry`].
    pub memmap_paddr: u64,
    /// Version 1: entries in the memory map (0 = none given).
    pub memmap_entries: u32,
    /// Must be zero.
    pub reserved: u32,
}
assert_layout!(HvmStartInfo, size = 56, align = 8,
    magic @ 0, version @ 4, flags @ 8, nr_modules @ 12, modlist_paddr @ 16,
    cmdline_paddr @ 24, rsdp_paddr @ 32, memmap_paddr @ 40, memmap_entries @ 48,
    reserved @ 52);

/// `struct hvm_modlist_entry` (start_info.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HvmModlistEntry {
    /// Physical address of the module.
    pub paddr: u64,
    /// Size in bytes.
    pub size: u64,
    /// Physical address of the module's command line.
    pub cmdline_paddr: u64,
    /// Reserved.
    pub reserved: u64,
}
assert_layout!(HvmModlistEntry, size = 32, align = 8,
    paddr @ 0, size @ 8, cmdline_paddr @ 16, reserved @ 24);

/// `struct hvm_memmap_table_entry` (start_info.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HvmMemmapTableEntry {
    /// Base address.
    pub addr: u64,
    /// Size in bytes.
    pub size: u64,
    /// C `type`: `XEN_HVM_MEMMAP_TYPE_*`.
    pub type_: u32,
    /// Must be zero (version 1).
    pub reserved: u32,
}
assert_layout!(HvmMemmapTableEntry, size = 24, align = 8,
    addr @ 0, size @ 8, type_ @ 16, reserved @ 20);
