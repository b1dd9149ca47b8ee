//! sched_op: shutdown, poll.

use xen_abi::ops::{SCHEDOP_poll, SCHEDOP_shutdown, SCHEDOP_yield};
use xen_abi::sched::{SchedPoll, SchedShutdown};
use xen_abi::Port;

use super::{hypercall, XenError};

/// SCHEDOP_shutdown with a `SHUTDOWN_*` reason. Returns only on failure.
pub fn shutdown(reason: u32) -> Result<(), XenError> {
    let mut arg = SchedShutdown { reason };
    hypercall::call(SCHEDOP_shutdown, &mut arg).map(|_| ())
}

/// SCHEDOP_yield: gives this vCPU's pCPU to another runnable vCPU (of
/// any domain) for a moment.
pub fn yield_now() -> Result<(), XenError> {
    hypercall::call(SCHEDOP_yield, &mut ()).map(|_| ())
}

/// SCHEDOP_poll: blocks until one of `ports` (at most 8) is pending or Xen
/// system time `deadline_ns` passes (0: no deadline). Returns at once if
/// one is pending already. Blocks even with interrupts off (Xen's
/// `do_poll` checks the ports, not the upcall), so it suits the paths that
/// may run with IF=0 (the console drain before a shutdown).
pub fn poll(ports: &[Port], deadline_ns: u64) -> Result<(), XenError> {
    let raw: [u32; 8] = core::array::from_fn(|i| ports.get(i).map_or(0, |p| p.get()));
    let n = ports.len().min(raw.len());
    let mut arg = SchedPoll { ports: raw.as_ptr() as u64, nr_ports: n as u32, timeout: deadline_ns };
    // SAFETY: arg.ports points to `n` valid ports that outlive the call.
    unsafe { hypercall::call_raw(SCHEDOP_poll, &mut arg) }.map(|_| ())
}

/// SCHEDOP_shutdown(SHUTDOWN_suspend): returns when the domain runs again,
/// with Xen's (or the toolstack's) answer: 0 = resumed in a new domain, 1 =
/// the suspend was cancelled (xen/include/public/sched.h, SCHEDOP_shutdown).
/// The 1 is written into vCPU 0's RAX by the toolstack (xg_resume.c
/// `modify_returncode`), so call this on vCPU 0 only.
pub fn suspend() -> Result<u64, XenError> {
    let mut arg = SchedShutdown { reason: xen_abi::sched::SHUTDOWN_suspend };
    // The domain's memory (this stack included) is what a restore brings back.
    hypercall::call(SCHEDOP_shutdown, &mut arg).map_err(|e| XenError { op: "SCHEDOP_shutdown(SHUTDOWN_suspend)", ..e })
}
