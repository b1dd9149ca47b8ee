//! x86_64: PVH entry, descriptor tables, traps, paging, CPU primitives.

mod boot;
pub mod cpu;
mod gdt;
mod idt;
pub mod paging;
mod pvh_note;
pub mod smp;
pub mod stacks;
pub mod traps;

pub use cpu::without_interrupts;

/// Loads the GDT (with the TSS and its IST stacks) and the IDT, and unmaps the
/// guard pages. Called once, first thing after the console is up.
pub fn init() {
    gdt::init();
    // The segment loads zeroed the GS base.
    smp::set_gs_base(0);
    idt::init();
    paging::protect_boot_mappings();
}
