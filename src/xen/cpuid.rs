//! Finding Xen: its CPUID leaves start at 0x40000000 or, when Xen also offers
//! Viridian (Hyper-V) leaves, at 0x40000100 and so on in 0x100 steps. The base
//! leaf's EBX:ECX:EDX spell "XenVMMXenVMM".

use crate::arch::cpu::cpuid;

const FIRST: u32 = 0x4000_0000;
const LAST: u32 = 0x4001_0000;
const STEP: u32 = 0x100;
const SIGNATURE: [u32; 3] = [0x566e_6558, 0x6558_4d4d, 0x4d4d_566e]; // "XenV" "MMXe" "nVMM"

pub struct XenLeaves {
    pub base: u32,
    pub major: u32,
    pub minor: u32,
    /// MSR to write the hypercall page's address to (leaf base+2, EBX).
    pub hypercall_msr: u32,
}

pub fn detect() -> Option<XenLeaves> {
    // Without the hypervisor bit (CPUID.1:ECX[31]) the 0x4000xxxx leaves are
    // not defined and may echo other leaves.
    if cpuid(1).2 & (1 << 31) == 0 {
        return None;
    }
    let base = (FIRST..LAST).step_by(STEP as usize).find(|&leaf| {
        let (max, b, c, d) = cpuid(leaf);
        [b, c, d] == SIGNATURE && max >= leaf + 2
    })?;
    let version = cpuid(base + 1).0;
    let (pages, msr, _, _) = cpuid(base + 2);
    if pages == 0 {
        return None;
    }
    Some(XenLeaves { base, major: version >> 16, minor: version & 0xffff, hypercall_msr: msr })
}

/// Which domain we are, as far as CPUID tells: (incarnation, domid).
///
/// - incarnation: leaf base+3 subleaf 0, EDX; Xen adds one on every restore
///   or incoming migration (xen/arch/x86/traps.c, `cpuid_hypervisor_leaves`).
/// - domid: leaf base+4 ECX when EAX has `XEN_HVM_CPUID_DOMID_PRESENT`
///   (xen/include/public/arch-x86/cpuid.h); None on a Xen that does not say.
///
/// None when not on Xen.
pub fn identity() -> Option<(u32, Option<u16>)> {
    let base = detect()?.base;
    let incarnation = crate::arch::cpu::cpuid(base + 3).3;
    let (eax, _, ecx, _) = crate::arch::cpu::cpuid(base + 4);
    let domid = (eax & xen_abi::cpuid::XEN_HVM_CPUID_DOMID_PRESENT != 0).then_some(ecx as u16);
    Some((incarnation, domid))
}
