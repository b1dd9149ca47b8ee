//! `hvm_op` (hypercall 34): HVM parameters and upcall-vector setup.
//!
//! Mirrors `xen/include/public/hvm/hvm_op.h` and `xen/include/public/hvm/params.h`.

use crate::xen::DomId;

/// `HVMOP_set_param` (hvm_op.h): arg is [`XenHvmParam`].
pub const HVMOP_set_param: u32 = 0;
/// `HVMOP_get_param` (hvm_op.h): arg is [`XenHvmParam`].
pub const HVMOP_get_param: u32 = 1;
/// `HVMOP_set_evtchn_upcall_vector` (hvm_op.h): arg is
/// [`XenHvmEvtchnUpcallVector`]. Delivered through the local APIC: EOI needed.
pub const HVMOP_set_evtchn_upcall_vector: u32 = 23;

/// `struct xen_hvm_param` (hvm_op.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XenHvmParam {
    /// IN: domain (`DOMID_SELF`).
    pub domid: DomId,
    /// C `pad`.
    pub pad: u16,
    /// IN: `HVM_PARAM_*`.
    pub index: u32,
    /// IN (set) / OUT (get).
    pub value: u64,
}
assert_layout!(XenHvmParam, size = 16, align = 8, domid @ 0, pad @ 2, index @ 4, value @ 8);

/// `struct xen_hvm_evtchn_upcall_vector` (hvm_op.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XenHvmEvtchnUpcallVector {
    /// vCPU id.
    pub vcpu: u32,
    /// IDT vector for this vCPU's upcalls.
    pub vector: u8,
}
assert_layout!(XenHvmEvtchnUpcallVector, size = 8, align = 4, vcpu @ 0, vector @ 4);

/// `HVM_PARAM_CALLBACK_IRQ` (params.h): how event upcalls are delivered
/// (domain-wide). Value: `type << 56 | data`, see [`callback_via_vector`].
pub const HVM_PARAM_CALLBACK_IRQ: u32 = 0;
/// `HVM_PARAM_STORE_PFN` (params.h): frame of the xenstore ring.
pub const HVM_PARAM_STORE_PFN: u32 = 1;
/// `HVM_PARAM_STORE_EVTCHN` (params.h): port of the xenstore ring.
pub const HVM_PARAM_STORE_EVTCHN: u32 = 2;
/// `HVM_PARAM_CONSOLE_PFN` (params.h): frame of the PV console ring.
pub const HVM_PARAM_CONSOLE_PFN: u32 = 17;
/// `HVM_PARAM_CONSOLE_EVTCHN` (params.h): port of the PV console ring.
pub const HVM_PARAM_CONSOLE_EVTCHN: u32 = 18;

/// `HVM_PARAM_CALLBACK_IRQ_TYPE_MASK` (params.h): bits 63..56 hold the type.
pub const HVM_PARAM_CALLBACK_IRQ_TYPE_MASK: u64 = 0xFF00_0000_0000_0000;
/// Shift of the type field in `HVM_PARAM_CALLBACK_IRQ` values (the header
/// only gives the mask; 56 = its lowest set bit, checked by the C test).
pub const HVM_PARAM_CALLBACK_TYPE_SHIFT: u32 = 56;
/// `HVM_PARAM_CALLBACK_TYPE_GSI` (params.h).
pub const HVM_PARAM_CALLBACK_TYPE_GSI: u64 = 0;
/// `HVM_PARAM_CALLBACK_TYPE_PCI_INTX` (params.h).
pub const HVM_PARAM_CALLBACK_TYPE_PCI_INTX: u64 = 1;
/// `HVM_PARAM_CALLBACK_TYPE_VECTOR` (params.h, x86): bits 7..0 are an IDT
/// vector. Needs `XENFEAT_hvm_callback_vector`; no EOI for this vector.
pub const HVM_PARAM_CALLBACK_TYPE_VECTOR: u64 = 2;

const _: () = assert!(HVM_PARAM_CALLBACK_IRQ_TYPE_MASK == 0xFF << HVM_PARAM_CALLBACK_TYPE_SHIFT);

/// `HVM_PARAM_CALLBACK_IRQ` value for vector delivery: `(2 << 56) | vector`.
pub const fn callback_via_vector(vector: u8) -> u64 {
    (HVM_PARAM_CALLBACK_TYPE_VECTOR << HVM_PARAM_CALLBACK_TYPE_SHIFT) | vector as u64
}

#[cfg(test)]
mod tests {
    #[test]
    fn callback_value() {
        assert_eq!(super::callback_via_vector(0xf3), 0x0200_0000_0000_00f3);
    }
}
