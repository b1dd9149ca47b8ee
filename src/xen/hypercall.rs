//! The one way into Xen: `call hypercall_page + nr * 32`.
//!
//! Three layers (as XTF does it): [`raw`] has one `asm!` primitive per arity
//! with the register convention; [`call`], [`call_raw`] and [`vcpu`] take a
//! command of `xen_abi::ops`, which carries its hypercall, its argument type
//! and its name, so a command cannot be given the wrong structure and every
//! failure names its command; typed helpers that return what the caller wants
//! live with each subsystem (sched.rs, evtchn.rs, ...).
//!
//! The page is filled with `ret` (0xc3) before we hand it to Xen, so a call
//! into a page Xen did not fill returns instead of running zeroes; install()
//! then checks that Xen did fill it.

use core::cell::UnsafeCell;

use xen_abi::hypercall as nr;
use xen_abi::ops::{Op, SafeOp, SafeVcpuOp, VcpuOp};

use super::XenError;

const PAGE_SIZE: usize = 4096;
const STUB_SIZE: u64 = 32;
const RET: u8 = 0xc3;
/// Xen's stubs start with `mov $nr, %eax` (opcode 0xb8).
const MOV_EAX_IMM32: u8 = 0xb8;

#[repr(C, align(4096))]
pub struct HypercallPage(UnsafeCell<[u8; PAGE_SIZE]>);

// SAFETY: written once by install() before any hypercall, then only by Xen
// (via the MSR write) and only executed afterwards.
unsafe impl Sync for HypercallPage {}

#[link_section = ".bss.xenpages"]
static PAGE: HypercallPage = HypercallPage(UnsafeCell::new([0; PAGE_SIZE]));

fn page_addr() -> u64 {
    PAGE.0.get() as u64
}

/// Fills the page with `ret`, asks Xen (through `msr`) to write its stubs
/// there, and checks that it did.
pub fn install(msr: u32) -> Result<(), XenError> {
    let page = PAGE.0.get();
    // SAFETY: the page is ours and not yet in use by anyone.
    unsafe { core::ptr::write_bytes(page as *mut u8, RET, PAGE_SIZE) };
    // SAFETY: the MSR comes from Xen's CPUID leaf; the value is the
    // guest-physical (= identity-mapped virtual) address of a page we own.
    unsafe { crate::arch::cpu::wrmsr(msr, page_addr()) };
    // Xen wrote the page behind the compiler's back: read it volatile.
    // SAFETY: reading our own page.
    let first = unsafe { core::ptr::read_volatile(page as *const u8) };
    if first != MOV_EAX_IMM32 {
        return Err(XenError { op: "hypercall page", errno: xen_abi::Errno(xen_abi::errno::EFAULT) });
    }
    Ok(())
}

/// Hypercalls made since boot (every one goes through [`raw`]).
static CALLS: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// How many hypercalls this kernel made since boot: each is one exit to Xen.
pub fn count() -> u64 {
    CALLS.load(core::sync::atomic::Ordering::Relaxed)
}

fn counted() {
    CALLS.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
}

pub mod raw {
    //! `call stub` with arguments in rdi, rsi, rdx, r10, r8 (Xen's x86_64
    //! convention); the result comes back in rax; argument registers are
    //! clobbered.
    use core::arch::asm;

    /// # Safety
    /// The hypercall page must be installed; pointer arguments must point to
    /// memory valid for what hypercall `nr` reads and writes.
    pub unsafe fn call2(nr: u32, a1: u64, a2: u64) -> i64 {
        let ret: i64;
        super::counted();
        let stub = super::page_addr() + nr as u64 * super::STUB_SIZE;
        // SAFETY: forwarded from the caller; the stub is Xen's code.
        unsafe {
            asm!("call {stub}", stub = in(reg) stub,
                 inlateout("rdi") a1 => _, inlateout("rsi") a2 => _,
                 lateout("rax") ret, lateout("rdx") _, lateout("r10") _, lateout("r8") _,
                 lateout("rcx") _, lateout("r11") _)
        };
        ret
    }

    /// # Safety
    /// As [`call2`].
    pub unsafe fn call3(nr: u32, a1: u64, a2: u64, a3: u64) -> i64 {
        let ret: i64;
        super::counted();
        let stub = super::page_addr() + nr as u64 * super::STUB_SIZE;
        // SAFETY: forwarded from the caller; the stub is Xen's code.
        unsafe {
            asm!("call {stub}", stub = in(reg) stub,
                 inlateout("rdi") a1 => _, inlateout("rsi") a2 => _, inlateout("rdx") a3 => _,
                 lateout("rax") ret, lateout("r10") _, lateout("r8") _,
                 lateout("rcx") _, lateout("r11") _)
        };
        ret
    }
}

/// The argument pointer of a command: its structure, or 0 when it takes none.
fn arg_ptr<T>(arg: &mut T) -> u64 {
    if core::mem::size_of::<T>() == 0 {
        0
    } else {
        arg as *mut T as u64
    }
}

/// `HYPERVISOR_<x>(cmd, arg)` for a command whose argument holds no guest
/// address: safe. Returns Xen's non-negative result, or the command's name
/// with the errno.
pub fn call<O: SafeOp>(op: O, arg: &mut O::Arg) -> Result<u64, XenError> {
    // SAFETY: SafeOp: `arg` is the structure O's command expects and holds no
    // guest address, so Xen touches only `arg`, valid and exclusive here.
    unsafe { call_raw(op, arg) }
}

/// As [`call`], for any command.
///
/// # Safety
/// Every guest address or frame inside `arg` must be valid for what Xen does
/// with it under this command (reads, writes, or maps a page there).
pub unsafe fn call_raw<O: Op>(_: O, arg: &mut O::Arg) -> Result<u64, XenError> {
    // SAFETY: O's Arg is the structure its command expects (Op's contract);
    // the addresses inside are the caller's promise.
    let ret = unsafe { raw::call2(O::HYPERCALL, O::CMD as u64, arg_ptr(arg)) };
    XenError::check(O::NAME, ret)
}

/// `HYPERVISOR_vcpu_op(cmd, vcpu, arg)` for a command whose argument holds
/// no guest address: safe.
pub fn vcpu<O: SafeVcpuOp>(op: O, vcpu: u32, arg: &mut O::Arg) -> Result<u64, XenError> {
    // SAFETY: SafeVcpuOp: Xen touches only `arg`, valid and exclusive here.
    unsafe { vcpu_raw(op, vcpu, arg) }
}

/// As [`vcpu`], for any vCPU command.
///
/// # Safety
/// As [`call_raw`].
pub unsafe fn vcpu_raw<O: VcpuOp>(_: O, vcpu: u32, arg: &mut O::Arg) -> Result<u64, XenError> {
    // SAFETY: as in call_raw.
    let ret = unsafe { raw::call3(nr::HYPERVISOR_vcpu_op, O::CMD as u64, vcpu as u64, arg_ptr(arg)) };
    XenError::check(O::NAME, ret)
}

/// `HYPERVISOR_console_io(cmd, count, buffer)`.
///
/// # Safety
/// `buf` must be valid for `count` bytes.
pub unsafe fn console_io(cmd: u32, count: u64, buf: u64) -> i64 {
    // SAFETY: forwarded from the caller.
    unsafe { raw::call3(nr::HYPERVISOR_console_io, cmd as u64, count, buf) }
}

/// `HYPERVISOR_set_timer_op(deadline_ns)`: one-shot timer at an absolute
/// system time; 0 cancels.
pub fn set_timer_op(deadline_ns: u64) -> Result<(), XenError> {
    // SAFETY: no pointer argument.
    let ret = unsafe { raw::call2(nr::HYPERVISOR_set_timer_op, deadline_ns, 0) };
    XenError::check("set_timer_op", ret).map(|_| ())
}

/// (XENVER_version, XENVER_get_features submap 0).
pub fn xen_version_features() -> Result<(u32, u32), XenError> {
    use xen_abi::ops::{XENVER_get_features, XENVER_version};
    let v = call(XENVER_version, &mut ())?;
    let mut fi = xen_abi::xen::XenFeatureInfo { submap_idx: 0, submap: 0 };
    call(XENVER_get_features, &mut fi)?;
    Ok((v as u32, fi.submap))
}
