//! Monotonic time since boot, from Xen's vcpu_time_info.

/// Nanoseconds of Xen system time, or None before the Xen clock is set up
/// (and always under plain QEMU).
pub fn now_ns() -> Option<u64> {
    crate::xen::time::now_ns()
}
