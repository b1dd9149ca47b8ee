//! The GDT (64-bit kernel code and data, one TSS per CPU) and the TSSs whose
//! interrupt stack tables give every exception a known-good stack
//! (interrupts use the stack they interrupt: see idt.rs).
//!
//! One GDT serves every CPU; each CPU loads its own TSS descriptor (`ltr`
//! marks it busy, so two CPUs cannot share one).

use core::cell::UnsafeCell;

use spin::Once;
use x86_64::instructions::segmentation::{Segment, CS, DS, ES, FS, GS, SS};
use x86_64::instructions::tables::{lgdt, load_tss};
use x86_64::structures::gdt::{Descriptor, SegmentSelector};
use x86_64::structures::tss::TaskStateSegment;
use x86_64::structures::DescriptorTablePointer;
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
const CODE: u16 = 8;
const DATA: u16 = 16;
const fn tss_selector(cpu: usize) -> u16 {
    ((3 + 2 * cpu) * 8) as u16
}
/// The TSS descriptor's busy bit (type 0xB busy, 0x9 available: SDM vol. 3,
/// 8.2.2), set by the CPU at `ltr`.
const TSS_BUSY: u64 = 1 << 41;

#[repr(C, align(16))]
struct Table([u64; GDT_SLOTS]);

/// The GDT, as raw descriptors: built once by [`build`]; afterwards the
/// CPUs write it too (`ltr` sets a TSS descriptor's busy bit) and [`load`]
/// clears one busy bit before an AP's `ltr` (an AP started afresh after a
/// restore finds its descriptor still busy). Reached only through raw
/// pointers, never a reference.
static mut GDT: Table = Table([0; GDT_SLOTS]);
static BUILT: Once<()> = Once::new();

fn gdt() -> *mut u64 {
    // SAFETY: only the address of the static is taken.
    unsafe { core::ptr::addr_of_mut!(GDT.0).cast() }
}

/// Fills the table: flat 64-bit code and data, each CPU's TSS descriptor.
fn build() {
    BUILT.call_once(|| {
        let raw = |d: Descriptor| match d {
            Descriptor::UserSegment(v) => [v, 0],
            Descriptor::SystemSegment(lo, hi) => [lo, hi],
        };
        let mut slots = [0u64; GDT_SLOTS];
        slots[(CODE / 8) as usize] = raw(Descriptor::kernel_code_segment())[0];
        slots[(DATA / 8) as usize] = raw(Descriptor::kernel_data_segment())[0];
        for (cpu, tss) in TSS.iter().enumerate() {
            // SAFETY: only the TSS's address is taken (the descriptor holds
            // base and limit); it lives for ever.
            let [lo, hi] = raw(Descriptor::tss_segment(unsafe { &*tss.0.get() }));
            let at = (tss_selector(cpu) / 8) as usize;
            slots[at] = lo;
            slots[at + 1] = hi;
        }
        // SAFETY: the boot CPU alone, once, before any `lgdt` of the table.
        unsafe { core::ptr::write_volatile(core::ptr::addr_of_mut!(GDT), Table(slots)) };
    });
}

pub fn code_selector() -> u16 {
    CODE
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
    build();
    let tss = tss_selector(cpu);
    // SAFETY: `cpu`'s TSS descriptor is used by `cpu` alone, which is this
    // CPU, not yet running on it: clearing its busy bit makes `ltr` accept
    // it again (a no-op the first time).
    unsafe {
        let d = gdt().add((tss / 8) as usize);
        core::ptr::write_volatile(d, core::ptr::read_volatile(d) & !TSS_BUSY);
    }
    let ptr = DescriptorTablePointer { limit: (GDT_SLOTS * 8 - 1) as u16, base: VirtAddr::new(gdt() as u64) };
    // SAFETY: the table is complete (build) and static; the selectors index
    // flat 64-bit code/data descriptors and this CPU's TSS, which lives for
    // ever.
    unsafe {
        lgdt(&ptr);
        CS::set_reg(SegmentSelector(CODE));
        for set in [DS::set_reg, ES::set_reg, FS::set_reg, GS::set_reg, SS::set_reg] {
            set(SegmentSelector(DATA));
        }
        load_tss(SegmentSelector(tss));
    }
}
