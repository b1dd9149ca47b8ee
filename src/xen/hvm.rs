//! hvm_op: HVM parameters (where Xen put the console and xenstore rings, how
//! to deliver the upcall) and the per-vCPU upcall vector.

use xen_abi::hvm::{
    HVMOP_get_param, HVMOP_set_evtchn_upcall_vector, HVMOP_set_param, XenHvmEvtchnUpcallVector, XenHvmParam,
};
use xen_abi::xen::DOMID_SELF;

use super::{hypercall, XenError};

pub fn get_param(index: u32) -> Result<u64, XenError> {
    let mut p = XenHvmParam { domid: DOMID_SELF, pad: 0, index, value: 0 };
    // SAFETY: p is a valid xen_hvm_param for the call.
    let ret = unsafe { hypercall::hvm_op(HVMOP_get_param, &mut p as *mut _ as u64) };
    XenError::check("HVMOP_get_param", ret)?;
    Ok(p.value)
}

pub fn set_param(index: u32, value: u64) -> Result<(), XenError> {
    let mut p = XenHvmParam { domid: DOMID_SELF, pad: 0, index, value };
    // SAFETY: p is a valid xen_hvm_param for the call.
    let ret = unsafe { hypercall::hvm_op(HVMOP_set_param, &mut p as *mut _ as u64) };
    XenError::check("HVMOP_set_param", ret).map(|_| ())
}

pub fn set_evtchn_upcall_vector(vcpu: u32, vector: u8) -> Result<(), XenError> {
    let mut a = XenHvmEvtchnUpcallVector { vcpu, vector };
    // SAFETY: a is a valid xen_hvm_evtchn_upcall_vector for the call.
    let ret = unsafe { hypercall::hvm_op(HVMOP_set_evtchn_upcall_vector, &mut a as *mut _ as u64) };
    XenError::check("HVMOP_set_evtchn_upcall_vector", ret).map(|_| ())
}
