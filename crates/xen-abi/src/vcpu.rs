//! `vcpu_op` (hypercall 24): per-vCPU timers and `vcpu_info` placement.
//!
//! Mirrors `xen/include/public/vcpu.h`.

/// `VCPUOP_initialise` (vcpu.h).
pub const VCPUOP_initialise: u32 = 0;
/// `VCPUOP_up` (vcpu.h).
pub const VCPUOP_up: u32 = 1;
/// `VCPUOP_down` (vcpu.h).
pub const VCPUOP_down: u32 = 2;
/// `VCPUOP_is_up` (vcpu.h).
pub const VCPUOP_is_up: u32 = 3;
/// `VCPUOP_get_runstate_info` (vcpu.h).
pub const VCPUOP_get_runstate_info: u32 = 4;
/// `VCPUOP_register_runstate_memory_area` (vcpu.h).
pub const VCPUOP_register_runstate_memory_area: u32 = 5;
/// `VCPUOP_set_periodic_timer` (vcpu.h): arg is [`VcpuSetPeriodicTimer`].
pub const VCPUOP_set_periodic_timer: u32 = 6;
/// `VCPUOP_stop_periodic_timer` (vcpu.h): arg is NULL.
pub const VCPUOP_stop_periodic_timer: u32 = 7;
/// `VCPUOP_set_singleshot_timer` (vcpu.h): arg is [`VcpuSetSingleshotTimer`];
/// fires `VIRQ_TIMER`.
pub const VCPUOP_set_singleshot_timer: u32 = 8;
/// `VCPUOP_stop_singleshot_timer` (vcpu.h): arg is NULL.
pub const VCPUOP_stop_singleshot_timer: u32 = 9;
/// `VCPUOP_register_vcpu_info` (vcpu.h): arg is [`VcpuRegisterVcpuInfo`];
/// once per vCPU.
pub const VCPUOP_register_vcpu_info: u32 = 10;
/// `VCPUOP_send_nmi` (vcpu.h).
pub const VCPUOP_send_nmi: u32 = 11;
/// `VCPUOP_get_physid` (vcpu.h).
pub const VCPUOP_get_physid: u32 = 12;
/// `VCPUOP_register_vcpu_time_memory_area` (vcpu.h).
pub const VCPUOP_register_vcpu_time_memory_area: u32 = 13;

/// `VCPU_SSHOTTMR_future` (vcpu.h): fail with `-ETIME` if the timeout is
/// already in the past.
pub const VCPU_SSHOTTMR_future: u32 = 1;

/// `struct vcpu_register_vcpu_info` (vcpu.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VcpuRegisterVcpuInfo {
    /// Frame of the page that will hold this vCPU's `vcpu_info`.
    pub mfn: u64,
    /// Offset of `vcpu_info` in that page.
    pub offset: u32,
    /// Unused.
    pub rsvd: u32,
}
assert_layout!(VcpuRegisterVcpuInfo, size = 16, align = 8, mfn @ 0, offset @ 8, rsvd @ 12);

/// `struct vcpu_set_singleshot_timer` (vcpu.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VcpuSetSingleshotTimer {
    /// Absolute system time (ns) to fire at.
    pub timeout_abs_ns: u64,
    /// `VCPU_SSHOTTMR_*`.
    pub flags: u32,
}
assert_layout!(VcpuSetSingleshotTimer, size = 16, align = 8, timeout_abs_ns @ 0, flags @ 8);

/// `struct vcpu_set_periodic_timer` (vcpu.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VcpuSetPeriodicTimer {
    /// Period in ns.
    pub period_ns: u64,
}
assert_layout!(VcpuSetPeriodicTimer, size = 8, align = 8, period_ns @ 0);
