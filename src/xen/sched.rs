//! sched_op: shutdown.

use xen_abi::ops::SCHEDOP_shutdown;
use xen_abi::sched::SchedShutdown;

use super::{hypercall, XenError};

/// SCHEDOP_shutdown with a `SHUTDOWN_*` reason. Returns only on failure.
pub fn shutdown(reason: u32) -> Result<(), XenError> {
    let mut arg = SchedShutdown { reason };
    hypercall::call(SCHEDOP_shutdown, &mut arg).map(|_| ())
}
