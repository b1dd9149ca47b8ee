//! The end of the road: exception and panic reports.
//!
//! Every fatal path prints a dump (what happened, registers, a backtrace of
//! frame pointers) straight to the console sinks without taking locks, then
//! stops the machine with a failure status: SCHEDOP_shutdown(crash) under Xen,
//! isa-debug-exit under plain QEMU. A fault inside a fatal path does not
//! recurse: it prints one line and stops at once.

use core::fmt::Write;
use core::panic::PanicInfo;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::arch::cpu;
use crate::arch::traps::{TrapFrame, EXCEPTION_NAMES};
use crate::console::Unlocked;

static IN_FATAL: AtomicBool = AtomicBool::new(false);
const MAX_FRAMES: usize = 16;
const VEC_PAGE_FAULT: u64 = 14;

/// Claims the fatal path; a second caller (a fault while reporting) stops at once.
fn enter(what: &str) {
    if IN_FATAL.swap(true, Ordering::SeqCst) {
        let _ = writeln!(Unlocked, "FATAL: {what} while reporting a fatal error; stopping");
        crate::shutdown::crash_now();
    }
}

/// Called by the trap dispatcher for vectors 0..32.
pub fn exception(f: &TrapFrame) -> ! {
    let name = EXCEPTION_NAMES[(f.vector & 31) as usize];
    enter(name);
    let mut w = Unlocked;
    let _ = writeln!(w, "FATAL: exception {name} (vector {}) error_code={:#x}", f.vector, f.error_code);
    let _ = writeln!(
        w,
        "  rip={:#018x} rsp={:#018x} rflags={:#010x} cs={:#x} ss={:#x}",
        f.rip, f.rsp, f.rflags, f.cs, f.ss
    );
    let cr2 = cpu::cr2();
    let _ = write!(w, "  cr2={cr2:#018x}");
    if f.vector == VEC_PAGE_FAULT {
        let _ = write!(w, " ({})", describe_page_fault(f.error_code, cr2));
    }
    let _ = writeln!(w);
    let _ = writeln!(w, "  rax={:#018x} rbx={:#018x} rcx={:#018x} rdx={:#018x}", f.rax, f.rbx, f.rcx, f.rdx);
    let _ = writeln!(w, "  rsi={:#018x} rdi={:#018x} rbp={:#018x} r8 ={:#018x}", f.rsi, f.rdi, f.rbp, f.r8);
    let _ = writeln!(w, "  r9 ={:#018x} r10={:#018x} r11={:#018x} r12={:#018x}", f.r9, f.r10, f.r11, f.r12);
    let _ = writeln!(w, "  r13={:#018x} r14={:#018x} r15={:#018x}", f.r13, f.r14, f.r15);
    backtrace(&mut w, f.rip, f.rbp);
    crate::shutdown::crash();
}

fn describe_page_fault(code: u64, cr2: u64) -> &'static str {
    let on_guard = crate::arch::stacks::is_guard_page(cr2);
    match (on_guard, cr2 < 4096, code & 1 != 0) {
        (true, _, _) => "stack overflow: access to a guard page",
        (_, true, _) => "null pointer: access to page 0",
        (_, _, false) => "access to an unmapped page",
        (_, _, true) => "protection violation",
    }
}

/// Prints `rip`, then the return addresses of the frame-pointer chain that
/// starts at `rbp`. Only frames inside one of our stacks are followed.
fn backtrace(w: &mut impl Write, rip: u64, mut rbp: u64) {
    let _ = writeln!(w, "  backtrace (addr2line -e target/xenbell.elf <addr>):");
    if rip != 0 {
        let _ = writeln!(w, "    #0  {rip:#018x}");
    }
    for n in 1..MAX_FRAMES {
        let Some((_, _, top)) = crate::arch::stacks::containing(rbp) else { break };
        if !rbp.is_multiple_of(8) || rbp + 16 > top {
            break;
        }
        // SAFETY: [rbp, rbp + 16) lies inside one of our (mapped) stacks,
        // checked just above; reading it cannot fault.
        let (next, ret) = unsafe { (*(rbp as *const u64), *((rbp + 8) as *const u64)) };
        if ret == 0 {
            break;
        }
        let _ = writeln!(w, "    #{n:<2} {ret:#018x}");
        if next <= rbp {
            break;
        }
        rbp = next;
    }
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    enter("panic");
    let mut w = Unlocked;
    let _ = crate::logger::write_timestamp(&mut w);
    let _ = writeln!(w, "PANIC: {}", info.message());
    if let Some(loc) = info.location() {
        let _ = writeln!(w, "  at {}:{}:{}", loc.file(), loc.line(), loc.column());
    }
    backtrace(&mut w, 0, cpu::frame_pointer());
    crate::shutdown::crash();
}
