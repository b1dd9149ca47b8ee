//! Trap dispatch: exceptions go to the one exception handler the kernel
//! registered (its fatal report), interrupt vectors to the handler
//! registered for them. Both are registered from above
//! ([`set_exception_handler`], [`register_interrupt`]): this layer calls no
//! policy of its own.

use core::sync::atomic::{AtomicU64, Ordering};

use handler_table::HandlerTable;

core::arch::global_asm!(include_str!("traps.s"), options(att_syntax));

pub const NUM_EXCEPTIONS: usize = 32;
const STUB_SIZE: u64 = 16;

extern "C" {
    static trap_stubs: u8;
    static trap_stubs_end: u8;
}

/// Address of the entry stub of `vector`, with the stubs' layout checked
/// (for building the IDT).
pub fn stub_address(vector: usize) -> u64 {
    // Only the symbols' addresses are taken (safe for extern statics).
    let end = core::ptr::addr_of!(trap_stubs_end) as u64;
    // A stub longer than 16 bytes would shift every later one: check the layout.
    assert_eq!(end - stub_entry(0), 256 * STUB_SIZE, "traps.s: a stub is not 16 bytes");
    stub_entry(vector)
}

/// Address of the entry stub of `vector` (layout checked when the IDT was built).
fn stub_entry(vector: usize) -> u64 {
    core::ptr::addr_of!(trap_stubs) as u64 + vector as u64 * STUB_SIZE
}

/// The stack frame built by traps.s (lowest address first).
#[repr(C)]
#[derive(Debug)]
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    pub vector: u64,
    pub error_code: u64,
    // pushed by the CPU
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

const _: () = assert!(core::mem::size_of::<TrapFrame>() == 22 * 8);

pub const EXCEPTION_NAMES: [&str; NUM_EXCEPTIONS] = [
    "#DE divide error",
    "#DB debug",
    "NMI",
    "#BP breakpoint",
    "#OF overflow",
    "#BR bound range",
    "#UD invalid opcode",
    "#NM device not available",
    "#DF double fault",
    "coprocessor segment overrun",
    "#TS invalid TSS",
    "#NP segment not present",
    "#SS stack-segment fault",
    "#GP general protection",
    "#PF page fault",
    "reserved (15)",
    "#MF x87 floating point",
    "#AC alignment check",
    "#MC machine check",
    "#XM SIMD floating point",
    "#VE virtualization",
    "#CP control protection",
    "reserved (22)",
    "reserved (23)",
    "reserved (24)",
    "reserved (25)",
    "reserved (26)",
    "reserved (27)",
    "#HV hypervisor injection",
    "#VC VMM communication",
    "#SX security",
    "reserved (31)",
];

/// Handlers for interrupt vectors 32..=255.
// SAFETY: fn() is a fn pointer type.
static HANDLERS: HandlerTable<fn(), 256> = unsafe { HandlerTable::new() };
/// What an exception (vector < 32) runs: the kernel's fatal report. It must
/// not return (the faulting instruction would run again).
// SAFETY: fn(&TrapFrame) is a fn pointer type.
static EXCEPTION: HandlerTable<fn(&TrapFrame), 1> = unsafe { HandlerTable::new() };
static UNEXPECTED: AtomicU64 = AtomicU64::new(0);
/// Interrupts delivered at the first instruction of their own stub: a
/// re-delivery before the previous one ran (see idt.rs). Harmless on the
/// interrupted stack; counted, for the stall report and the tests.
static REDELIVERED: AtomicU64 = AtomicU64::new(0);
/// Where the last interrupt came in (RIP, RSP of the interrupted code).
static INTERRUPTED_RIP: AtomicU64 = AtomicU64::new(0);
static INTERRUPTED_RSP: AtomicU64 = AtomicU64::new(0);

/// Interrupts re-delivered at their own stub's entry (see idt.rs).
pub fn redelivered() -> u64 {
    REDELIVERED.load(Ordering::Relaxed)
}

/// RIP and RSP of the code the current (or last) interrupt interrupted: a
/// stall report's answer to "where is the main loop?".
pub fn interrupted_at() -> (u64, u64) {
    (INTERRUPTED_RIP.load(Ordering::Relaxed), INTERRUPTED_RSP.load(Ordering::Relaxed))
}

/// Routes interrupt `vector` (>= 32) to `handler`, which runs with interrupts
/// disabled on the interrupted stack and must not block.
pub fn register_interrupt(vector: u8, handler: fn()) {
    assert!(vector as usize >= NUM_EXCEPTIONS, "vector {vector} is an exception");
    let _ = HANDLERS.set(vector as usize, handler);
}

/// Sets what every exception runs (with the frame of the faulting code): a
/// report that never returns. Until one is set, an exception halts the CPU.
pub fn set_exception_handler(handler: fn(&TrapFrame)) {
    let _ = EXCEPTION.set(0, handler);
}

/// The local APIC's end-of-interrupt (none while no APIC is in use):
/// registered by whoever enables the APIC (the xen layer), so that this
/// layer can EOI an interrupt nobody handles without calling up.
// SAFETY: fn() is a fn pointer type.
static UNEXPECTED_EOI: HandlerTable<fn(), 1> = unsafe { HandlerTable::new() };
/// The APIC's spurious-interrupt vector (SVR): never EOI'd (SDM vol. 3, 11.9).
const SPURIOUS_VECTOR: usize = 0xff;

/// Interrupts that arrived on a vector with no handler.
pub fn unexpected_interrupts() -> u64 {
    UNEXPECTED.load(Ordering::Relaxed)
}

/// Sets the EOI for interrupts on a vector without a handler (other than
/// the spurious vector): call it once the local APIC delivers interrupts.
/// An interrupt left without EOI keeps its in-service bit, which blocks
/// every vector of its priority class and below (Linux `common_interrupt`
/// EOIs unhandled vectors for this reason).
pub fn set_unexpected_eoi(eoi: fn()) {
    let _ = UNEXPECTED_EOI.set(0, eoi);
}

#[no_mangle]
extern "C" fn trap_dispatch(frame: &mut TrapFrame) {
    let vector = frame.vector as usize;
    if vector < NUM_EXCEPTIONS {
        if let Some(report) = EXCEPTION.get(0) {
            report(frame);
        }
        // No handler, or it returned: never run the faulting instruction again.
        super::cpu::halt_forever();
    }
    if frame.rip == stub_entry(vector) {
        REDELIVERED.fetch_add(1, Ordering::Relaxed);
    }
    INTERRUPTED_RIP.store(frame.rip, Ordering::Relaxed);
    INTERRUPTED_RSP.store(frame.rsp, Ordering::Relaxed);
    match HANDLERS.get(vector) {
        None => {
            if UNEXPECTED.fetch_add(1, Ordering::Relaxed) == 0 {
                log::warn!("interrupt vector {vector}: unexpected (no handler; further ones only counted)");
            }
            if vector != SPURIOUS_VECTOR {
                if let Some(eoi) = UNEXPECTED_EOI.get(0) {
                    eoi();
                }
            }
        }
        Some(handler) => handler(),
    }
}
