//! hvm_op: HVM parameters (where Xen put the console and xenstore rings, how
//! to deliver the upcall) and the per-vCPU upcall vector.

use xen_abi::hvm::{XenHvmEvtchnUpcallVector, XenHvmParam};
use xen_abi::ops::{HVMOP_get_param, HVMOP_set_evtchn_upcall_vector, HVMOP_set_param};
use xen_abi::xen::DOMID_SELF;

use super::{hypercall, XenError};

pub fn get_param(index: u32) -> Result<u64, XenError> {
    let mut p = XenHvmParam { domid: DOMID_SELF, pad: 0, index, value: 0 };
    hypercall::call(HVMOP_get_param, &mut p)?;
    Ok(p.value)
}

pub fn set_param(index: u32, value: u64) -> Result<(), XenError> {
    let mut p = XenHvmParam { domid: DOMID_SELF, pad: 0, index, value };
    hypercall::call(HVMOP_set_param, &mut p).map(|_| ())
}

pub fn set_evtchn_upcall_vector(vcpu: u32, vector: u8) -> Result<(), XenError> {
    let mut a = XenHvmEvtchnUpcallVector { vcpu, vector };
    hypercall::call(HVMOP_set_evtchn_upcall_vector, &mut a).map(|_| ())
}
