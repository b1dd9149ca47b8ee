//! sched_op: shutdown, block, poll, yield.

use xen_abi::sched::{SCHEDOP_poll, SCHEDOP_shutdown, SchedPoll, SchedShutdown};
use xen_abi::Port;

use super::{hypercall, XenError};

/// SCHEDOP_shutdown with a `SHUTDOWN_*` reason. Returns only on failure.
pub fn shutdown(reason: u32) -> Result<(), XenError> {
    let mut arg = SchedShutdown { reason };
    // SAFETY: arg is a valid sched_shutdown that outlives the call.
    let ret = unsafe { hypercall::sched_op(SCHEDOP_shutdown, &mut arg as *mut _ as u64) };
    XenError::check("SCHEDOP_shutdown", ret).map(|_| ())
}

/// SCHEDOP_poll: sleeps until one of `ports` is pending or the absolute
/// system time `deadline_ns` passes (0 = no timeout). Works on masked ports.
pub fn poll(ports: &[Port], deadline_ns: u64) -> Result<(), XenError> {
    let raw: [u32; 8] = core::array::from_fn(|i| ports.get(i).map_or(0, |p| p.get()));
    let n = ports.len().min(raw.len());
    let mut arg = SchedPoll { ports: raw.as_ptr() as u64, nr_ports: n as u32, timeout: deadline_ns };
    // SAFETY: arg points to `n` valid ports that outlive the call.
    let ret = unsafe { hypercall::sched_op(SCHEDOP_poll, &mut arg as *mut _ as u64) };
    XenError::check("SCHEDOP_poll", ret).map(|_| ())
}

/// SCHEDOP_shutdown(SHUTDOWN_suspend): returns when the domain runs again,
/// with Xen's (or the toolstack's) answer: 0 = resumed in a new domain, 1 =
/// the suspend was cancelled (xen/include/public/sched.h, SCHEDOP_shutdown).
/// The 1 is written into vCPU 0's RAX by the toolstack (xg_resume.c
/// `modify_returncode`), so call this on vCPU 0 only.
pub fn suspend() -> Result<u64, XenError> {
    let mut arg = SchedShutdown { reason: xen_abi::sched::SHUTDOWN_suspend };
    // SAFETY: arg is a valid sched_shutdown that outlives the call; the
    // domain's memory (this stack included) is what a restore brings back.
    let ret = unsafe { hypercall::sched_op(SCHEDOP_shutdown, &mut arg as *mut _ as u64) };
    XenError::check("SCHEDOP_shutdown(SHUTDOWN_suspend)", ret)
}
