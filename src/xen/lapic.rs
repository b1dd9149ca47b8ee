//! The local APIC, only as far as the per-vCPU upcall vector needs it:
//! software-enable it, signal end-of-interrupt, and send ourselves an
//! interrupt. xAPIC (MMIO at the APIC base) or x2APIC (MSRs), whichever mode
//! the APIC is in (Intel SDM vol. 3, 11.4 and 12.12).

use core::sync::atomic::{AtomicU64, AtomicU8, Ordering};

use crate::arch::cpu::{rdmsr, wrmsr};

const IA32_APIC_BASE: u32 = 0x1b;
const APIC_BASE_X2APIC: u64 = 1 << 10;
const APIC_BASE_ENABLE: u64 = 1 << 11;
const APIC_BASE_ADDR_MASK: u64 = 0xf_ffff_f000;
const XAPIC_EOI: u64 = 0xb0;
const XAPIC_SVR: u64 = 0xf0;
/// Interrupt command register, low half (the high half, the destination,
/// is ignored with the "self" shorthand).
const XAPIC_ICR_LOW: u64 = 0x300;
/// ICR destination shorthand 01: self (fixed delivery, edge: the other bits 0).
const ICR_DEST_SELF: u32 = 1 << 18;
const X2APIC_EOI: u32 = 0x80b;
const X2APIC_SVR: u32 = 0x80f;
/// x2APIC SELF IPI register: writing a vector sends it to ourselves.
const X2APIC_SELF_IPI: u32 = 0x83f;
const SVR_ENABLE: u32 = 1 << 8;
const SPURIOUS_VECTOR: u32 = 0xff;

const MODE_NONE: u8 = 0;
const MODE_XAPIC: u8 = 1;
const MODE_X2APIC: u8 = 2;
static MODE: AtomicU8 = AtomicU8::new(MODE_NONE);
static mut XAPIC_BASE: u64 = 0;

fn has_apic() -> bool {
    crate::arch::cpu::cpuid(1).3 & (1 << 9) != 0
}

/// Software-enables the APIC (SVR). False if there is none or it is disabled.
pub fn enable() -> bool {
    if !has_apic() {
        return false;
    }
    // SAFETY: IA32_APIC_BASE exists when CPUID reports an APIC.
    let base = unsafe { rdmsr(IA32_APIC_BASE) };
    if base & APIC_BASE_ENABLE == 0 {
        return false;
    }
    if base & APIC_BASE_X2APIC != 0 {
        // SAFETY: x2APIC mode is on, so its MSRs exist; SVR enable with the
        // spurious vector 0xff (which has a stub in the IDT).
        unsafe { wrmsr(X2APIC_SVR, (SVR_ENABLE | SPURIOUS_VECTOR) as u64) };
        MODE.store(MODE_X2APIC, Ordering::Release);
    } else {
        let mmio = base & APIC_BASE_ADDR_MASK;
        if mmio >= crate::arch::paging::BOOT_MAPPED {
            return false;
        }
        // SAFETY: written once here, before MODE publishes it.
        unsafe { XAPIC_BASE = mmio };
        // SAFETY: the xAPIC page is identity-mapped (below 4 GiB); SVR is a
        // 32-bit register written with a volatile store.
        unsafe { core::ptr::write_volatile((mmio + XAPIC_SVR) as *mut u32, SVR_ENABLE | SPURIOUS_VECTOR) };
        MODE.store(MODE_XAPIC, Ordering::Release);
    }
    true
}

/// Makes `vector` pending on this CPU (a fixed self-IPI); it is taken once
/// interrupts are on and no vector of its priority class or above is in
/// service. No-op while the APIC is not enabled.
pub fn self_ipi(vector: u8) {
    match MODE.load(Ordering::Acquire) {
        // SAFETY: x2APIC mode was verified in enable(); SELF IPI takes the
        // vector in bits 7:0.
        MODE_X2APIC => unsafe { wrmsr(X2APIC_SELF_IPI, vector as u64) },
        // SAFETY: XAPIC_BASE was set before MODE (Release/Acquire); the ICR
        // is written with one volatile 32-bit store (the self shorthand needs
        // no destination in the high half).
        MODE_XAPIC => unsafe {
            core::ptr::write_volatile((XAPIC_BASE + XAPIC_ICR_LOW) as *mut u32, ICR_DEST_SELF | vector as u32)
        },
        _ => {}
    }
}

/// EOI writes since boot (each one an exit to Xen's emulated local APIC).
static EOIS: AtomicU64 = AtomicU64::new(0);

pub fn eois() -> u64 {
    EOIS.load(Ordering::Relaxed)
}

pub fn eoi() {
    match MODE.load(Ordering::Acquire) {
        // SAFETY: x2APIC mode was verified in enable(); EOI takes 0.
        MODE_X2APIC => unsafe { wrmsr(X2APIC_EOI, 0) },
        // SAFETY: XAPIC_BASE was set before MODE (Release/Acquire); the EOI
        // register is written with a volatile 32-bit store.
        MODE_XAPIC => unsafe { core::ptr::write_volatile((XAPIC_BASE + XAPIC_EOI) as *mut u32, 0) },
        _ => return,
    }
    EOIS.fetch_add(1, Ordering::Relaxed);
}
