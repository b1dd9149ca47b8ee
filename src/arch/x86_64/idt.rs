//! The IDT: all 256 vectors point at the stubs of traps.s. Exceptions run on
//! IST stacks (a known-good stack even when the fault is a stack overflow);
//! interrupts run on the stack they interrupt.
//!
//! Why not an IST stack for interrupts too: the CPU loads the IST pointer
//! afresh on every delivery, so a second delivery before the first handler
//! is done writes its frame over the first one, and the first return address
//! is lost. It does happen: Xen under QEMU TCG re-delivered the upcall vector
//! at the first instruction of its own stub (seen about once in ten
//! `peer-killed` runs); on an IST stack the handler then returned into its
//! stub forever, ~1.5 M times a second, and the main loop never ran again.
//! On the interrupted stack the re-delivery nests: the inner handler
//! returns into the stub, the outer one runs (finding nothing new) and
//! returns where the kernel was. traps.rs counts such re-deliveries.

use spin::Once;
use x86_64::structures::DescriptorTablePointer;
use x86_64::VirtAddr;

use super::gdt;
use super::traps::{stub_address, NUM_EXCEPTIONS};

/// A 64-bit interrupt gate (Intel SDM vol. 3, 6.14.1).
#[derive(Clone, Copy, Default)]
#[repr(C)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    type_attr: u8,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}

/// Present, DPL 0, type 0xE (64-bit interrupt gate: IF is cleared on entry).
const GATE_INTERRUPT: u8 = 0x8E;

impl Gate {
    fn new(handler: u64, selector: u16, ist: u8) -> Gate {
        Gate {
            offset_low: handler as u16,
            selector,
            ist,
            type_attr: GATE_INTERRUPT,
            offset_mid: (handler >> 16) as u16,
            offset_high: (handler >> 32) as u32,
            reserved: 0,
        }
    }
}

#[repr(C, align(16))]
struct Idt([Gate; 256]);

static IDT: Once<Idt> = Once::new();

const VEC_NMI: usize = 2;
const VEC_DOUBLE_FAULT: usize = 8;
const VEC_MACHINE_CHECK: usize = 18;

fn ist_for(vector: usize) -> u8 {
    match vector {
        VEC_DOUBLE_FAULT => gdt::IST_DOUBLE_FAULT,
        VEC_NMI | VEC_MACHINE_CHECK => gdt::IST_NMI_MCE,
        v if v < NUM_EXCEPTIONS => gdt::IST_EXCEPTION,
        // No IST: the interrupted stack (see the module doc).
        _ => 0,
    }
}

pub fn init() {
    let cs = gdt::code_selector();
    let idt = IDT.call_once(|| {
        let mut idt = Idt([Gate::default(); 256]);
        for (v, gate) in idt.0.iter_mut().enumerate() {
            *gate = Gate::new(stub_address(v), cs, ist_for(v));
        }
        idt
    });
    let ptr = DescriptorTablePointer {
        limit: (core::mem::size_of::<Idt>() - 1) as u16,
        base: VirtAddr::new(idt as *const Idt as u64),
    };
    // SAFETY: the table is 'static and every gate points at a stub in traps.s.
    unsafe { x86_64::instructions::tables::lidt(&ptr) };
}
