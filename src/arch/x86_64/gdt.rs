//! The GDT (64-bit kernel code and data, one TSS per CPU) and the TSSs whose
//! interrupt stack tables give every exception a known-good stack
//! (interrupts use the stack they interrupt: see idt.rs).
//!
//! One GDT serves every CPU; each CPU loads its own TSS descriptor (`ltr`
//! marks it busy, so two CPUs cannot share one).

use core::cell::UnsafeCell;

use spin::Once;
use x86_64::instructions::segmentation::{Segment, CS, DS, ES, FS, GS, SS};
use x86_64::instructions::tables::load_tss;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use x86_64::structures::tss::TaskStateSegment;
use x86_64::VirtAddr;

use super::stacks;

/// CPUs (vCPUs) xenbell runs on at most (one TSS descriptor each); a
/// domain's further vCPUs stay down. Re-exported as `smp::MAX_CPUS`.
pub const MAX_CPUS: usize = 8;

/// IST slots (1-based, as the IDT gate encodes them).
pub const IST_EXCEPTION: u8 = 1;
pub const IST_DOUBLE_FAULT: u8 = 2;
pub const IST_NMI_MCE: u8 = 3;

/// A CPU's TSS. Written only before that CPU loads it (the boot CPU's in
/// [`init`], an AP's in [`set_ist`] before the AP is started).
struct Tss(UnsafeCell<TaskStateSegment>);

// SAFETY: each TSS is written by one CPU before the CPU that uses it is
// started (the hypercall that starts it orders the writes), and then only
// read, by the hardware.
unsafe impl Sync for Tss {}

static TSS: [Tss; MAX_CPUS] = [const { Tss(UnsafeCell::new(TaskStateSegment::new())) }; MAX_CPUS];

/// Null, code, data, then one 16-byte TSS descriptor (two slots) per CPU.
const GDT_SLOTS: usize = 3 + 2 * MAX_CPUS;

struct Gdt {
    table: GlobalDescriptorTable<GDT_SLOTS>,
    code: SegmentSelector,
    data: SegmentSelector,
    tss: [SegmentSelector; MAX_CPUS],
}

static GDT: Once<Gdt> = Once::new();

pub fn code_selector() -> u16 {
    GDT.get().map(|g| g.code.0).unwrap_or(0x08)
}

/// Sets the IST stacks (exception, double fault, NMI/MCE: their tops) of
/// `cpu`'s TSS. Before that CPU is started.
pub fn set_ist(cpu: usize, exception: u64, double_fault: u64, nmi_mce: u64) {
    let mut ist = [VirtAddr::zero(); 7];
    ist[(IST_EXCEPTION - 1) as usize] = VirtAddr::new(exception);
    ist[(IST_DOUBLE_FAULT - 1) as usize] = VirtAddr::new(double_fault);
    ist[(IST_NMI_MCE - 1) as usize] = VirtAddr::new(nmi_mce);
    // SAFETY: `cpu` has not loaded its TSS yet (see Tss), so nothing else
    // reads or writes it now.
    unsafe { (*TSS[cpu].0.get()).interrupt_stack_table = ist };
}

/// Builds the GDT (once) and loads it on the boot CPU, with its TSS.
pub fn init() {
    set_ist(0, stacks::IST_EXCEPTION.top(), stacks::IST_DOUBLE_FAULT.top(), stacks::IST_NMI_MCE.top());
    load(0);
}

/// Loads the GDT, the segment registers and `cpu`'s TSS on this CPU.
pub fn load(cpu: usize) {
    let gdt = GDT.call_once(|| {
        let mut table = GlobalDescriptorTable::<GDT_SLOTS>::empty();
        let code = table.append(Descriptor::kernel_code_segment());
        let data = table.append(Descriptor::kernel_data_segment());
        let tss = core::array::from_fn(|i| {
            // SAFETY: only the TSS's address is taken here (the descriptor
            // holds base and limit); it lives for ever.
            table.append(Descriptor::tss_segment(unsafe { &*TSS[i].0.get() }))
        });
        Gdt { table, code, data, tss }
    });
    gdt.table.load();
    // SAFETY: the selectors index the GDT just loaded, whose descriptors are
    // valid flat 64-bit code/data segments and TSSs that live forever; each
    // CPU loads its own TSS once.
    unsafe {
        CS::set_reg(gdt.code);
        for set in [DS::set_reg, ES::set_reg, FS::set_reg, GS::set_reg, SS::set_reg] {
            set(gdt.data);
        }
        load_tss(gdt.tss[cpu]);
    }
}
