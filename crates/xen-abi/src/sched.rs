//! `sched_op` (hypercall 29): yield, block, shut down, poll.
//!
//! Mirrors `xen/include/public/sched.h`.

/// `SCHEDOP_yield` (sched.h): give up the CPU, stay runnable.
pub const SCHEDOP_yield: u32 = 0;
/// `SCHEDOP_block` (sched.h): sleep until an event is pending (HVM: `hlt` is equivalent).
pub const SCHEDOP_block: u32 = 1;
/// `SCHEDOP_shutdown` (sched.h): arg is [`SchedShutdown`].
pub const SCHEDOP_shutdown: u32 = 2;
/// `SCHEDOP_poll` (sched.h): arg is [`SchedPoll`].
pub const SCHEDOP_poll: u32 = 3;
/// `SCHEDOP_remote_shutdown` (sched.h).
pub const SCHEDOP_remote_shutdown: u32 = 4;
/// `SCHEDOP_shutdown_code` (sched.h).
pub const SCHEDOP_shutdown_code: u32 = 5;
/// `SCHEDOP_watchdog` (sched.h).
pub const SCHEDOP_watchdog: u32 = 6;
/// `SCHEDOP_pin_override` (sched.h).
pub const SCHEDOP_pin_override: u32 = 7;

/// `SHUTDOWN_poweroff` (sched.h): exited normally.
pub const SHUTDOWN_poweroff: u32 = 0;
/// `SHUTDOWN_reboot` (sched.h).
pub const SHUTDOWN_reboot: u32 = 1;
/// `SHUTDOWN_suspend` (sched.h).
pub const SHUTDOWN_suspend: u32 = 2;
/// `SHUTDOWN_crash` (sched.h): tell the toolstack we crashed.
pub const SHUTDOWN_crash: u32 = 3;
/// `SHUTDOWN_watchdog` (sched.h).
pub const SHUTDOWN_watchdog: u32 = 4;
/// `SHUTDOWN_soft_reset` (sched.h).
pub const SHUTDOWN_soft_reset: u32 = 5;

/// Most ports `SCHEDOP_poll` accepts. Not in the public headers: it is the
/// `nr_ports > 128` check of `do_poll()` in `xen/common/sched/core.c`.
pub const SCHED_POLL_MAX_PORTS: u32 = 128;

/// `struct sched_shutdown` (sched.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SchedShutdown {
    /// `SHUTDOWN_*`.
    pub reason: u32,
}
assert_layout!(SchedShutdown, size = 4, align = 4, reason @ 0);

/// `struct sched_poll` (sched.h): block until one of `ports` is pending or
/// the timeout passes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SchedPoll {
    /// `XEN_GUEST_HANDLE(evtchn_port_t)`: guest address of a `u32` array.
    pub ports: u64,
    /// Entries in `ports` (at most [`SCHED_POLL_MAX_PORTS`]).
    pub nr_ports: u32,
    /// Absolute system time (ns) to give up at; 0 = no timeout.
    pub timeout: u64,
}
assert_layout!(SchedPoll, size = 24, align = 8, ports @ 0, nr_ports @ 8, timeout @ 16);
