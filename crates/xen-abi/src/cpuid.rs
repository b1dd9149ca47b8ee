//! Xen's HVM CPUID leaf (base + 4): what the hypervisor does for an HVM/PVH
//! guest. Mirrors `XEN_HVM_CPUID_*` in `xen/include/public/arch-x86/cpuid.h`.

/// `XEN_HVM_CPUID_APIC_ACCESS_VIRT`: APIC register accesses are virtualised
/// in hardware (an EOI does not exit to Xen).
pub const XEN_HVM_CPUID_APIC_ACCESS_VIRT: u32 = 1 << 0;
/// `XEN_HVM_CPUID_X2APIC_VIRT`: x2APIC MSR accesses are virtualised.
pub const XEN_HVM_CPUID_X2APIC_VIRT: u32 = 1 << 1;
/// `XEN_HVM_CPUID_DOMID_PRESENT`: ECX of leaf base+4 holds our domain id.
pub const XEN_HVM_CPUID_DOMID_PRESENT: u32 = 1 << 4;
/// `XEN_HVM_CPUID_UPCALL_VECTOR`: HVMOP_set_evtchn_upcall_vector is supported.
pub const XEN_HVM_CPUID_UPCALL_VECTOR: u32 = 1 << 6;
