//! The GDT (64-bit kernel code and data) and the TSS whose interrupt stack
//! table gives every exception a known-good stack (interrupts use the stack
//! they interrupt: see idt.rs).

use spin::Once;
use x86_64::instructions::segmentation::{Segment, CS, DS, ES, FS, GS, SS};
use x86_64::instructions::tables::load_tss;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use x86_64::structures::tss::TaskStateSegment;
use x86_64::VirtAddr;

use super::stacks;

/// IST slots (1-based, as the IDT gate encodes them).
pub const IST_EXCEPTION: u8 = 1;
pub const IST_DOUBLE_FAULT: u8 = 2;
pub const IST_NMI_MCE: u8 = 3;

static TSS: Once<TaskStateSegment> = Once::new();
static GDT: Once<(GlobalDescriptorTable, SegmentSelector, SegmentSelector, SegmentSelector)> = Once::new();

pub fn code_selector() -> u16 {
    GDT.get().map(|g| g.1 .0).unwrap_or(0x08)
}

pub fn init() {
    let tss = TSS.call_once(|| {
        let mut tss = TaskStateSegment::new();
        let mut ist = [VirtAddr::zero(); 7];
        ist[(IST_EXCEPTION - 1) as usize] = VirtAddr::new(stacks::IST_EXCEPTION.top());
        ist[(IST_DOUBLE_FAULT - 1) as usize] = VirtAddr::new(stacks::IST_DOUBLE_FAULT.top());
        ist[(IST_NMI_MCE - 1) as usize] = VirtAddr::new(stacks::IST_NMI_MCE.top());
        tss.interrupt_stack_table = ist;
        tss
    });
    let gdt = GDT.call_once(|| {
        let mut gdt = GlobalDescriptorTable::new();
        let code = gdt.append(Descriptor::kernel_code_segment());
        let data = gdt.append(Descriptor::kernel_data_segment());
        let tss_sel = gdt.append(Descriptor::tss_segment(tss));
        (gdt, code, data, tss_sel)
    });
    gdt.0.load();
    // SAFETY: the selectors index the GDT just loaded, whose descriptors are
    // valid flat 64-bit code/data segments and a TSS that lives forever.
    unsafe {
        CS::set_reg(gdt.1);
        for set in [DS::set_reg, ES::set_reg, FS::set_reg, GS::set_reg, SS::set_reg] {
            set(gdt.2);
        }
        load_tss(gdt.3);
    }
}
