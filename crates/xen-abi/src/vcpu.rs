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

/// `VCPU_HVM_MODE_64B` (hvm/hvm_vcpu.h): the 64-bit registers of
/// [`VcpuHvmContext`] are used and the vCPU starts in long mode.
pub const VCPU_HVM_MODE_64B: u32 = 1;

/// `struct vcpu_hvm_x86_64` (hvm/hvm_vcpu.h): the registers a vCPU of an
/// HVM/PVH domain starts with in 64-bit mode. Xen (hvm/domain.c
/// `arch_set_info_hvm_guest`) requires a canonical `rip`, `cr0.PG`,
/// `cr4.PAE` and `efer.LME`; it sets LMA, flat 64-bit CS and flat data
/// segments itself, but no GDTR/IDTR/GS base (the vCPU loads its own).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VcpuHvmX86_64 {
    pub rax: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rbx: u64,
    pub rsp: u64,
    pub rbp: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rip: u64,
    pub rflags: u64,
    pub cr0: u64,
    pub cr3: u64,
    pub cr4: u64,
    pub efer: u64,
}
assert_layout!(VcpuHvmX86_64, size = 112, align = 8, rsp @ 32, rdi @ 56, rip @ 64, rflags @ 72, cr0 @ 80, efer @ 104);

/// `struct vcpu_hvm_context` (hvm/hvm_vcpu.h): the argument of
/// `VCPUOP_initialise` for an HVM/PVH vCPU (docs/misc/pvh.pandoc, "AP
/// startup"). The C union `cpu_regs` is 120 bytes (its 32-bit member);
/// only the 64-bit member is modelled, `_union_tail` fills the rest.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VcpuHvmContext {
    /// `VCPU_HVM_MODE_*`.
    pub mode: u32,
    /// Must be 0.
    pub pad: u32,
    /// `cpu_regs.x86_64`.
    pub x86_64: VcpuHvmX86_64,
    _union_tail: u64,
}
assert_layout!(VcpuHvmContext, size = 128, align = 8, mode @ 0, pad @ 4, x86_64 @ 8);

impl VcpuHvmContext {
    /// A context that starts the vCPU in 64-bit mode with `regs`.
    pub fn long_mode(regs: VcpuHvmX86_64) -> Self {
        VcpuHvmContext { mode: VCPU_HVM_MODE_64B, pad: 0, x86_64: regs, _union_tail: 0 }
    }
}
