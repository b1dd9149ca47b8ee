//! How Xen interrupts us: the event-channel upcall vector.
//!
//! - Per-vCPU vector (HVMOP_set_evtchn_upcall_vector), where Xen's CPUID leaf
//!   base+4 advertises it: delivered through the local APIC, so the handler
//!   must EOI.
//! - The global callback vector (HVM_PARAM_CALLBACK_IRQ, type 2 "vector",
//!   needs XENFEAT_hvm_callback_vector): no EOI.
//!
//! `upcall=auto` takes the per-vCPU vector where Xen offers it *and* the
//! APIC is virtualised in hardware (then the EOI costs no exit), else the
//! callback vector: with one vCPU both deliver the same events, and an EOI
//! that traps to Xen costs ~20% of a round trip under QEMU TCG (measured by
//! `make bench`, variant upcall=percpu).

use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use xen_abi::cpuid::{XEN_HVM_CPUID_APIC_ACCESS_VIRT, XEN_HVM_CPUID_UPCALL_VECTOR, XEN_HVM_CPUID_X2APIC_VIRT};
use xen_abi::hvm::{callback_via_vector, HVM_PARAM_CALLBACK_IRQ};

use cmdline::Upcall;

use super::{events, hvm, lapic, XenError};
use crate::arch::traps::register_interrupt;

pub const UPCALL_VECTOR: u8 = 0xf3;

static NEEDS_EOI: AtomicBool = AtomicBool::new(false);
/// The delivery install() chose (0: none yet, 1: per-vCPU, 2: callback), for reinstall().
static CHOSEN: AtomicU8 = AtomicU8::new(0);

/// `HVM_PARAM_CALLBACK_IRQ` = 1: a GSI-type via (GSI 1) that a PVH domain
/// has no IO-APIC or PIC to deliver through, so Xen stores it and delivers
/// nothing by it (hvm/irq.c `hvm_set_callback_via`). It exists for the
/// toolstack: xg_resume.c `modify_returncode()` writes the "suspend
/// cancelled" return value 1 into vCPU 0 only when this param is non-zero.
/// Linux and FreeBSD set the same value next to the per-vCPU vector.
const CALLBACK_IRQ_TOOLSTACK_HINT: u64 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    PerVcpuVector,
    CallbackVector,
}

fn handler() {
    if NEEDS_EOI.load(Ordering::Relaxed) {
        // Edge: events the decoder's budget left are re-raised with a
        // self-IPI before the EOI; it is taken after the `iret`.
        events::upcall(evtchn_2l::Delivery::Edge, reraise);
        lapic::eoi();
    } else {
        events::upcall(evtchn_2l::Delivery::Level, reraise);
    }
}

fn reraise() {
    lapic::self_ipi(UPCALL_VECTOR);
}

/// Sends `vector` to ourselves through the local APIC, if the upcall uses
/// it (the per-vCPU vector); false (nothing sent) with the callback vector.
/// For self tests.
/// Whether the upcall comes through the local APIC (the per-vCPU vector).
/// Local-APIC EOI writes since boot (the per-vCPU vector's, and any for an
/// unexpected vector).
pub fn eois() -> u64 {
    lapic::eois()
}

pub fn uses_lapic() -> bool {
    NEEDS_EOI.load(Ordering::Relaxed)
}

pub fn self_ipi(vector: u8) -> bool {
    if !NEEDS_EOI.load(Ordering::Relaxed) {
        return false;
    }
    lapic::self_ipi(vector);
    true
}

/// Installs the upcall as `want` asks (Auto: per-vCPU where advertised).
pub fn install(cpuid_base: u32, features: u32, want: Upcall) -> Result<Delivery, XenError> {
    register_interrupt(UPCALL_VECTOR, handler);
    let hvm_leaf = crate::arch::cpu::cpuid(cpuid_base + 4).0;
    let per_vcpu = hvm_leaf & XEN_HVM_CPUID_UPCALL_VECTOR != 0;
    let cheap_eoi = hvm_leaf & (XEN_HVM_CPUID_APIC_ACCESS_VIRT | XEN_HVM_CPUID_X2APIC_VIRT) != 0;
    let has_callback = features & (1 << xen_abi::xen::XENFEAT_hvm_callback_vector) != 0;
    if want == Upcall::PerVcpu && !per_vcpu {
        return Err(XenError {
            op: "HVMOP_set_evtchn_upcall_vector (not advertised)",
            errno: xen_abi::Errno(xen_abi::errno::ENOSYS),
        });
    }
    let use_per_vcpu = match want {
        Upcall::PerVcpu => true,
        Upcall::Auto => per_vcpu && (cheap_eoi || !has_callback),
        Upcall::Callback => false,
    };
    if use_per_vcpu && lapic::enable() {
        NEEDS_EOI.store(true, Ordering::Relaxed);
        // The APIC now delivers interrupts: one on a vector without a
        // handler must be EOI'd too, or it blocks its priority class (and
        // 0xf3 with it, if it is in class 0xf) for good.
        crate::arch::traps::set_unexpected_eoi(lapic::eoi);
        set_per_vcpu()?;
        CHOSEN.store(1, Ordering::Relaxed);
        return Ok(Delivery::PerVcpuVector);
    }
    if features & (1 << xen_abi::xen::XENFEAT_hvm_callback_vector) == 0 {
        return Err(XenError { op: "XENFEAT_hvm_callback_vector", errno: xen_abi::Errno(xen_abi::errno::ENOSYS) });
    }
    hvm::set_param(HVM_PARAM_CALLBACK_IRQ, callback_via_vector(UPCALL_VECTOR))?;
    CHOSEN.store(2, Ordering::Relaxed);
    Ok(Delivery::CallbackVector)
}

/// The per-vCPU vector, and the GSI-1 hint for the toolstack. Never a
/// *vector*-type CALLBACK_IRQ next to it: Xen would inject every event
/// twice (once per mechanism).
fn set_per_vcpu() -> Result<(), XenError> {
    hvm::set_evtchn_upcall_vector(0, UPCALL_VECTOR)?;
    hvm::set_param(HVM_PARAM_CALLBACK_IRQ, CALLBACK_IRQ_TOOLSTACK_HINT)
}

/// The upcall on an AP, as install() chose it for the boot CPU, run on that
/// AP: with the per-vCPU vector, its own local APIC enabled (a fresh vLAPIC
/// is software-disabled and drops interrupts) and the vector set for it;
/// the callback vector reaches every vCPU already.
pub fn install_on_this_vcpu(vcpu: u32) -> Result<(), XenError> {
    if CHOSEN.load(Ordering::Relaxed) != 1 {
        return Ok(());
    }
    if !lapic::enable() {
        return Err(XenError {
            op: "HVMOP_set_evtchn_upcall_vector (this vCPU's local APIC is disabled)",
            errno: xen_abi::Errno(xen_abi::errno::ENODEV),
        });
    }
    hvm::set_evtchn_upcall_vector(vcpu, UPCALL_VECTOR)
}

/// After a restore, for an AP (from the boot CPU): the per-vCPU vector
/// again (its local APIC state came back with the vCPU); nothing for the
/// callback vector, which reinstall() set for the domain.
pub fn reinstall_for(vcpu: u32) -> Result<(), XenError> {
    if CHOSEN.load(Ordering::Relaxed) != 1 {
        return Ok(());
    }
    hvm::set_evtchn_upcall_vector(vcpu, UPCALL_VECTOR)
}

/// Sets the upcall up again as install() chose it, in a new domain after a
/// restore or migration: neither HVM_PARAM_CALLBACK_IRQ nor the per-vCPU
/// vector is in the migration stream (xg_sr_save_x86_hvm.c's param list;
/// no save record holds `evtchn_upcall_vector`), so both read 0 there. The
/// vector's IDT entry and the LAPIC state (restored by Xen) stay; the APIC
/// is software-enabled again anyway, as a disabled vLAPIC drops upcalls.
pub fn reinstall() -> Result<(), XenError> {
    match CHOSEN.load(Ordering::Relaxed) {
        1 => {
            if !lapic::enable() {
                return Err(XenError {
                    op: "HVMOP_set_evtchn_upcall_vector (local APIC disabled after resume)",
                    errno: xen_abi::Errno(xen_abi::errno::ENODEV),
                });
            }
            set_per_vcpu()
        }
        2 => hvm::set_param(HVM_PARAM_CALLBACK_IRQ, callback_via_vector(UPCALL_VECTOR)),
        _ => Ok(()),
    }
}
