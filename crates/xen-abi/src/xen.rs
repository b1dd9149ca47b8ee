//! Domain ids, virtual IRQs, `xen_version` sub-ops and feature bits.
//!
//! Mirrors `xen/include/public/xen.h` (DOMID_*, VIRQ_*),
//! `xen/include/public/version.h` (XENVER_*, `struct xen_feature_info`) and
//! `xen/include/public/features.h` (XENFEAT_*).

/// `domid_t` (xen.h).
pub type DomId = u16;

/// `DOMID_FIRST_RESERVED` (xen.h): ids from here up are not ordinary domains.
pub const DOMID_FIRST_RESERVED: DomId = 0x7FF0;
/// `DOMID_SELF` (xen.h): "the calling domain".
pub const DOMID_SELF: DomId = 0x7FF0;
/// `DOMID_IO` (xen.h).
pub const DOMID_IO: DomId = 0x7FF1;
/// `DOMID_XEN` (xen.h).
pub const DOMID_XEN: DomId = 0x7FF2;
/// `DOMID_COW` (xen.h).
pub const DOMID_COW: DomId = 0x7FF3;
/// `DOMID_INVALID` (xen.h).
pub const DOMID_INVALID: DomId = 0x7FF4;
/// `DOMID_IDLE` (xen.h).
pub const DOMID_IDLE: DomId = 0x7FFF;
/// `DOMID_MASK` (xen.h).
pub const DOMID_MASK: DomId = 0x7FFF;

/// `VIRQ_TIMER` (xen.h): per-vCPU timer (set_timer_op / singleshot timer).
pub const VIRQ_TIMER: u32 = 0;
/// `VIRQ_DEBUG` (xen.h): request to dump debug info (`xl debug-keys q`).
pub const VIRQ_DEBUG: u32 = 1;
/// `VIRQ_CONSOLE` (xen.h): dom0 only, bytes on the emergency console.
pub const VIRQ_CONSOLE: u32 = 2;
/// `VIRQ_DOM_EXC` (xen.h): dom0 only, exceptional event for some domain.
pub const VIRQ_DOM_EXC: u32 = 3;
/// `VIRQ_TBUF` (xen.h): dom0 only, trace buffer records.
pub const VIRQ_TBUF: u32 = 4;
/// `VIRQ_DEBUGGER` (xen.h): dom0 only, a domain paused for debugging.
pub const VIRQ_DEBUGGER: u32 = 6;
/// `VIRQ_XENOPROF` (xen.h).
pub const VIRQ_XENOPROF: u32 = 7;
/// `VIRQ_CON_RING` (xen.h): dom0 only, bytes on the console ring.
pub const VIRQ_CON_RING: u32 = 8;
/// `VIRQ_PCPU_STATE` (xen.h).
pub const VIRQ_PCPU_STATE: u32 = 9;
/// `VIRQ_MEM_EVENT` (xen.h).
pub const VIRQ_MEM_EVENT: u32 = 10;
/// `VIRQ_ARGO` (xen.h).
pub const VIRQ_ARGO: u32 = 11;
/// `VIRQ_ENOMEM` (xen.h).
pub const VIRQ_ENOMEM: u32 = 12;
/// `VIRQ_XENPMU` (xen.h).
pub const VIRQ_XENPMU: u32 = 13;
/// `VIRQ_ARCH_0` (xen.h): first architecture-specific VIRQ (x86: `VIRQ_MCA`).
pub const VIRQ_ARCH_0: u32 = 16;
/// `NR_VIRQS` (xen.h).
pub const NR_VIRQS: u32 = 24;

/// `XENVER_version` (version.h): returns `major << 16 | minor`.
pub const XENVER_version: u32 = 0;
/// `XENVER_extraversion` (version.h).
pub const XENVER_extraversion: u32 = 1;
/// `XENVER_compile_info` (version.h).
pub const XENVER_compile_info: u32 = 2;
/// `XENVER_capabilities` (version.h).
pub const XENVER_capabilities: u32 = 3;
/// `XENVER_changeset` (version.h).
pub const XENVER_changeset: u32 = 4;
/// `XENVER_platform_parameters` (version.h).
pub const XENVER_platform_parameters: u32 = 5;
/// `XENVER_get_features` (version.h): arg is [`XenFeatureInfo`].
pub const XENVER_get_features: u32 = 6;
/// `XENVER_pagesize` (version.h).
pub const XENVER_pagesize: u32 = 7;
/// `XENVER_guest_handle` (version.h).
pub const XENVER_guest_handle: u32 = 8;
/// `XENVER_commandline` (version.h).
pub const XENVER_commandline: u32 = 9;
/// `XENVER_build_id` (version.h).
pub const XENVER_build_id: u32 = 10;

/// Major version from an `XENVER_version` result.
pub const fn version_major(version: u32) -> u32 {
    version >> 16
}

/// Minor version from an `XENVER_version` result.
pub const fn version_minor(version: u32) -> u32 {
    version & 0xffff
}

/// `struct xen_feature_info` (version.h), argument of `XENVER_get_features`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XenFeatureInfo {
    /// IN: which 32-bit submap to return (`XENFEAT_*` / 32).
    pub submap_idx: u32,
    /// OUT: the submap; bit `n` is feature `submap_idx * 32 + n`.
    pub submap: u32,
}
assert_layout!(XenFeatureInfo, size = 8, align = 4, submap_idx @ 0, submap @ 4);

/// `XENFEAT_writable_page_tables` (features.h).
pub const XENFEAT_writable_page_tables: u32 = 0;
/// `XENFEAT_writable_descriptor_tables` (features.h).
pub const XENFEAT_writable_descriptor_tables: u32 = 1;
/// `XENFEAT_auto_translated_physmap` (features.h).
pub const XENFEAT_auto_translated_physmap: u32 = 2;
/// `XENFEAT_supervisor_mode_kernel` (features.h).
pub const XENFEAT_supervisor_mode_kernel: u32 = 3;
/// `XENFEAT_pae_pgdir_above_4gb` (features.h).
pub const XENFEAT_pae_pgdir_above_4gb: u32 = 4;
/// `XENFEAT_mmu_pt_update_preserve_ad` (features.h).
pub const XENFEAT_mmu_pt_update_preserve_ad: u32 = 5;
/// `XENFEAT_highmem_assist` (features.h).
pub const XENFEAT_highmem_assist: u32 = 6;
/// `XENFEAT_gnttab_map_avail_bits` (features.h).
pub const XENFEAT_gnttab_map_avail_bits: u32 = 7;
/// `XENFEAT_hvm_callback_vector` (features.h): `HVM_PARAM_CALLBACK_IRQ` may
/// use the vector delivery type (see [`crate::hvm::callback_via_vector`]).
pub const XENFEAT_hvm_callback_vector: u32 = 8;
/// `XENFEAT_hvm_safe_pvclock` (features.h).
pub const XENFEAT_hvm_safe_pvclock: u32 = 9;
/// `XENFEAT_hvm_pirqs` (features.h).
pub const XENFEAT_hvm_pirqs: u32 = 10;
/// `XENFEAT_dom0` (features.h).
pub const XENFEAT_dom0: u32 = 11;
/// `XENFEAT_memory_op_vnode_supported` (features.h).
pub const XENFEAT_memory_op_vnode_supported: u32 = 13;
/// `XENFEAT_ARM_SMCCC_supported` (features.h).
pub const XENFEAT_ARM_SMCCC_supported: u32 = 14;
/// `XENFEAT_linux_rsdp_unrestricted` (features.h).
pub const XENFEAT_linux_rsdp_unrestricted: u32 = 15;
/// `XENFEAT_not_direct_mapped` (features.h).
pub const XENFEAT_not_direct_mapped: u32 = 16;
/// `XENFEAT_direct_mapped` (features.h).
pub const XENFEAT_direct_mapped: u32 = 17;
/// `XENFEAT_NR_SUBMAPS` (features.h): number of 32-bit feature submaps.
pub const XENFEAT_NR_SUBMAPS: u32 = 1;

/// True if feature `feature` (`XENFEAT_*`) is set in `info`, a filled-in
/// `XENVER_get_features` answer for submap `feature / 32`.
pub const fn has_feature(info: &XenFeatureInfo, feature: u32) -> bool {
    info.submap_idx == feature / 32 && info.submap & (1 << (feature % 32)) != 0
}
