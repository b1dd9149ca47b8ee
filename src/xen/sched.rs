//! sched_op: shutdown.

use xen_abi::sched::{SCHEDOP_shutdown, SchedShutdown};

use super::{hypercall, XenError};

/// SCHEDOP_shutdown with a `SHUTDOWN_*` reason. Returns only on failure.
pub fn shutdown(reason: u32) -> Result<(), XenError> {
    let mut arg = SchedShutdown { reason };
    // SAFETY: arg is a valid sched_shutdown that outlives the call.
    let ret = unsafe { hypercall::sched_op(SCHEDOP_shutdown, &mut arg as *mut _ as u64) };
    XenError::check("SCHEDOP_shutdown", ret).map(|_| ())
}
