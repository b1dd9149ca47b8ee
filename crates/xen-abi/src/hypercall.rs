//! Hypercall numbers: the index of a hypercall's 32-byte stub in the
//! hypercall page (`call page + nr * 32`).
//!
//! Mirrors `__HYPERVISOR_*` in `xen/include/public/xen.h` (C names without
//! the leading `__`). Only the hypercalls xenbell uses are listed.

/// `__HYPERVISOR_memory_op` (xen.h): `XENMEM_*` operations, see [`crate::memory`].
pub const HYPERVISOR_memory_op: u32 = 12;
/// `__HYPERVISOR_set_timer_op` (xen.h): one-shot timer at an absolute system time (ns).
pub const HYPERVISOR_set_timer_op: u32 = 15;
/// `__HYPERVISOR_xen_version` (xen.h): `XENVER_*`, see [`crate::xen`].
pub const HYPERVISOR_xen_version: u32 = 17;
/// `__HYPERVISOR_console_io` (xen.h): `CONSOLEIO_*`, see [`crate::console`].
pub const HYPERVISOR_console_io: u32 = 18;
/// `__HYPERVISOR_grant_table_op` (xen.h).
pub const HYPERVISOR_grant_table_op: u32 = 20;
/// `__HYPERVISOR_vcpu_op` (xen.h): `VCPUOP_*`, see [`crate::vcpu`].
pub const HYPERVISOR_vcpu_op: u32 = 24;
/// `__HYPERVISOR_sched_op` (xen.h): `SCHEDOP_*`, see [`crate::sched`].
pub const HYPERVISOR_sched_op: u32 = 29;
/// `__HYPERVISOR_event_channel_op` (xen.h): `EVTCHNOP_*`, see [`crate::evtchn`].
pub const HYPERVISOR_event_channel_op: u32 = 32;
/// `__HYPERVISOR_hvm_op` (xen.h): `HVMOP_*`, see [`crate::hvm`].
pub const HYPERVISOR_hvm_op: u32 = 34;
