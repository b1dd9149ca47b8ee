//! Hypercall commands paired with their argument types, declared once.
//!
//! Most hypercalls are `HYPERVISOR_<x>(cmd, arg)`: a command number and a
//! pointer to the structure that command reads and writes. Passing the wrong
//! structure is the classic bug of a C guest (the compiler cannot see the
//! pairing). Here each command is a zero-sized value of its own type,
//! declared with its hypercall, its argument type and its Xen name, the way
//! rust-vmm's `ioctl_iow_nr!` ties an ioctl number to its payload type:
//!
//! ```ignore
//! hypercall::call(ops::EVTCHNOP_send, &mut EvtchnSend { port })?;
//! ```
//!
//! cannot compile with any other structure, and a failure names itself
//! (`EVTCHNOP_send: EINVAL (-22)`) from [`Op::NAME`]. Commands of
//! `HYPERVISOR_vcpu_op(cmd, vcpu, arg)` implement [`VcpuOp`] instead.
//!
//! Only commands whose whole effect on guest memory is the argument itself
//! are [`SafeOp`]s (the kernel calls them from safe code). A command whose
//! argument holds a guest address or frame that Xen reads, writes or maps
//! (`SCHEDOP_poll`'s port list, `XENMEM_memory_map`'s buffer,
//! `XENMEM_add_to_physmap`'s gfn, the FIFO control block's frame) is an
//! [`Op`] only: its call stays `unsafe`, with the caller vouching for them.
//!
//! Sources: the argument of each command is the one its header documents
//! (`event_channel.h`, `hvm/hvm_op.h`, `memory.h`, `sched.h`, `vcpu.h`,
//! `version.h`); the hypercall numbers are [`crate::hypercall`]'s.
#![allow(non_camel_case_types)]

use crate::evtchn::*;
use crate::hvm::*;
use crate::hypercall::*;
use crate::memory::*;
use crate::sched::*;
use crate::vcpu::*;
use crate::xen::*;

/// A command of a `HYPERVISOR_<x>(cmd, arg)` hypercall.
///
/// # Safety
/// `Arg` must be exactly the structure Xen reads and writes for `CMD` of
/// `HYPERCALL` (or `()` where the command takes no argument): the kernel's
/// safe `call` passes `&mut Arg` to Xen on the strength of this pairing.
pub unsafe trait Op: Copy {
    const HYPERCALL: u32;
    const CMD: u32;
    /// The command's C name, for errors.
    const NAME: &'static str;
    type Arg;
}

/// An [`Op`] whose argument holds no guest address or frame: Xen touches
/// only the argument structure, so calling it cannot break memory safety.
///
/// # Safety
/// Implement only for such commands.
pub unsafe trait SafeOp: Op {}

/// A command of `HYPERVISOR_vcpu_op(cmd, vcpu, arg)`.
///
/// # Safety
/// As [`Op`].
pub unsafe trait VcpuOp: Copy {
    const CMD: u32;
    const NAME: &'static str;
    type Arg;
}

/// A [`VcpuOp`] whose argument holds no guest address or frame.
///
/// # Safety
/// As [`SafeOp`].
pub unsafe trait SafeVcpuOp: VcpuOp {}

macro_rules! ops {
    ($($hypercall:ident { $($cmd:ident => $arg:ty $(, $safe:ident)?);* $(;)? })*) => {$($(
        #[doc = concat!("`", stringify!($cmd), "` of `", stringify!($hypercall), "`, argument [`", stringify!($arg), "`].")]
        #[derive(Clone, Copy, Debug)]
        pub struct $cmd;
        // SAFETY: the pairing is the one the command's header documents
        // (see the module doc).
        unsafe impl Op for $cmd {
            const HYPERCALL: u32 = $hypercall;
            const CMD: u32 = crate::ops::cmd::$cmd;
            const NAME: &'static str = stringify!($cmd);
            type Arg = $arg;
        }
        $(
            // SAFETY: the argument holds no guest address or frame (the
            // `safe` mark in the table below).
            #[doc = concat!("Marked `", stringify!($safe), "` in the table: no guest address in the argument.")]
            unsafe impl SafeOp for $cmd {}
        )?
    )*)*};
}

macro_rules! vcpu_ops {
    ($($cmd:ident => $arg:ty $(, $safe:ident)?);* $(;)?) => {$(
        #[doc = concat!("`", stringify!($cmd), "` of `HYPERVISOR_vcpu_op`, argument [`", stringify!($arg), "`].")]
        #[derive(Clone, Copy, Debug)]
        pub struct $cmd;
        // SAFETY: as in `ops!`.
        unsafe impl VcpuOp for $cmd {
            const CMD: u32 = crate::ops::cmd::$cmd;
            const NAME: &'static str = stringify!($cmd);
            type Arg = $arg;
        }
        $(
            // SAFETY: as in `ops!`.
            #[doc = concat!("Marked `", stringify!($safe), "` in the table: no guest address in the argument.")]
            unsafe impl SafeVcpuOp for $cmd {}
        )?
    )*};
}

/// The command numbers under their C names (the unit structs above shadow
/// them in this module's value namespace).
mod cmd {
    pub use crate::evtchn::*;
    pub use crate::hvm::*;
    pub use crate::memory::*;
    pub use crate::sched::*;
    pub use crate::vcpu::*;
    pub use crate::xen::*;
}

ops! {
    HYPERVISOR_event_channel_op {
        EVTCHNOP_alloc_unbound => EvtchnAllocUnbound, safe;
        EVTCHNOP_bind_interdomain => EvtchnBindInterdomain, safe;
        EVTCHNOP_bind_virq => EvtchnBindVirq, safe;
        EVTCHNOP_bind_ipi => EvtchnBindIpi, safe;
        EVTCHNOP_bind_vcpu => EvtchnBindVcpu, safe;
        EVTCHNOP_close => EvtchnClose, safe;
        EVTCHNOP_send => EvtchnSend, safe;
        EVTCHNOP_status => EvtchnStatus, safe;
        EVTCHNOP_unmask => EvtchnUnmask, safe;
        EVTCHNOP_reset => EvtchnReset, safe;
        EVTCHNOP_init_control => EvtchnInitControl;
        EVTCHNOP_expand_array => EvtchnExpandArray;
        EVTCHNOP_set_priority => EvtchnSetPriority, safe;
    }
    HYPERVISOR_hvm_op {
        HVMOP_get_param => XenHvmParam, safe;
        HVMOP_set_param => XenHvmParam, safe;
        HVMOP_set_evtchn_upcall_vector => XenHvmEvtchnUpcallVector, safe;
    }
    HYPERVISOR_memory_op {
        XENMEM_add_to_physmap => XenAddToPhysmap;
        XENMEM_memory_map => XenMemoryMap;
        XENMEM_maximum_reservation => DomId, safe;
    }
    HYPERVISOR_sched_op {
        SCHEDOP_yield => (), safe;
        SCHEDOP_block => (), safe;
        SCHEDOP_shutdown => SchedShutdown, safe;
        SCHEDOP_poll => SchedPoll;
    }
    HYPERVISOR_xen_version {
        XENVER_version => (), safe;
        XENVER_get_features => XenFeatureInfo, safe;
    }
}

vcpu_ops! {
    VCPUOP_initialise => VcpuHvmContext;
    VCPUOP_register_vcpu_info => VcpuRegisterVcpuInfo;
    VCPUOP_set_periodic_timer => VcpuSetPeriodicTimer, safe;
    VCPUOP_stop_periodic_timer => (), safe;
    VCPUOP_set_singleshot_timer => VcpuSetSingleshotTimer, safe;
    VCPUOP_stop_singleshot_timer => (), safe;
    VCPUOP_is_up => (), safe;
    VCPUOP_up => (), safe;
    VCPUOP_down => (), safe;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_and_numbers<O: Op>(_: O) -> (&'static str, u32, u32) {
        (O::NAME, O::HYPERCALL, O::CMD)
    }

    fn is_safe<O: SafeOp>(_: O) {}

    #[test]
    fn self_contained_commands_are_safe() {
        is_safe(EVTCHNOP_send);
        is_safe(HVMOP_set_param);
        is_safe(SCHEDOP_shutdown);
        // SCHEDOP_poll, XENMEM_memory_map, XENMEM_add_to_physmap,
        // EVTCHNOP_init_control, EVTCHNOP_expand_array are not: a call of
        // is_safe with one of them does not compile.
    }

    #[test]
    fn commands_carry_their_numbers_and_names() {
        assert_eq!(name_and_numbers(EVTCHNOP_send), ("EVTCHNOP_send", 32, 4));
        assert_eq!(name_and_numbers(HVMOP_get_param), ("HVMOP_get_param", 34, 1));
        assert_eq!(name_and_numbers(SCHEDOP_shutdown), ("SCHEDOP_shutdown", 29, 2));
        assert_eq!(name_and_numbers(XENMEM_add_to_physmap), ("XENMEM_add_to_physmap", 12, 7));
        assert_eq!(<VCPUOP_set_periodic_timer as VcpuOp>::CMD, 6);
        assert_eq!(<VCPUOP_set_periodic_timer as VcpuOp>::NAME, "VCPUOP_set_periodic_timer");
    }
}
