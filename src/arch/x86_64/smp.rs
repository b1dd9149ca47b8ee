//! Several CPUs, the architecture's part: which CPU am I (a per-CPU block
//! reached through the GS base), each application processor's (AP's)
//! stacks and TSS, the register state an AP starts with, and its entry.
//!
//! Starting an AP is the hypervisor's business (src/xen/smp.rs: PVH APs
//! start with VCPUOP_initialise + VCPUOP_up, not INIT-SIPI): this layer
//! gives it [`ApStart`] and, on the AP, runs the function registered with
//! [`set_ap_main`] once the AP has its GDT, TSS, IDT and GS base.
//!
//! CPU numbers here are Xen's vCPU ids (the boot CPU is 0).

use core::arch::asm;

use handler_table::HandlerTable;

use super::cpu::{rdmsr, wrmsr};
use super::{gdt, idt, paging, stacks};

pub use super::gdt::MAX_CPUS;

const IA32_GS_BASE: u32 = 0xc000_0101;
const IA32_EFER: u32 = 0xc000_0080;

/// A CPU's own data, at its GS base. `index` is at offset 0: [`index`]
/// reads it with one `gs`-relative load.
#[repr(C, align(64))]
struct PerCpu {
    index: u32,
}

static PER_CPU: [PerCpu; MAX_CPUS] = {
    let mut a = [const { PerCpu { index: 0 } }; MAX_CPUS];
    let mut i = 0;
    while i < MAX_CPUS {
        a[i].index = i as u32;
        i += 1;
    }
    a
};

/// Points this CPU's GS base at its per-CPU block. Called on the boot CPU
/// at entry and after every GS selector load (which zeroes the base).
pub fn set_gs_base(cpu: usize) {
    // SAFETY: IA32_GS_BASE exists on every x86_64 CPU; the value is the
    // address of a static that lives for ever.
    unsafe { wrmsr(IA32_GS_BASE, &PER_CPU[cpu] as *const PerCpu as u64) };
}

/// This CPU's number (its vCPU id). One load, no exit: usable anywhere,
/// interrupt handlers included, once [`set_gs_base`] ran on this CPU (at
/// kernel entry for the boot CPU, before anything else on an AP).
#[inline]
pub fn index() -> u32 {
    let i: u32;
    // SAFETY: the GS base points at this CPU's PerCpu (set_gs_base), whose
    // first field is the u32 read here.
    unsafe { asm!("mov {:e}, gs:[0]", out(reg) i, options(nostack, readonly, preserves_flags)) };
    i
}

/// What an AP starts with (Xen's `vcpu_hvm_x86_64`): 64-bit mode, paging
/// on with the boot CPU's page tables, interrupts off, at [`ap_entry`]
/// with its own stack and its number as the first argument.
#[derive(Clone, Copy, Debug)]
pub struct ApStart {
    pub rip: u64,
    pub rsp: u64,
    pub rdi: u64,
    pub cr0: u64,
    pub cr3: u64,
    pub cr4: u64,
    pub efer: u64,
}

/// Allocates the stacks of APs 1..cpus (one heap block, guard pages
/// unmapped) and fills their TSSs. Boot CPU, before any AP is started.
/// False if the heap has no room or a guard page cannot be unmapped.
pub fn prepare_aps(cpus: usize) -> bool {
    let aps = cpus.clamp(1, MAX_CPUS) - 1;
    if stacks::alloc_ap_stacks(aps, paging::unmap_page).is_none() {
        return false;
    }
    for i in 0..aps {
        let Some([_, exception, double_fault, nmi_mce]) = stacks::ap_stacks(i) else { return false };
        gdt::set_ist(i + 1, exception.3, double_fault.3, nmi_mce.3);
    }
    true
}

/// The start state of AP `cpu` (1..MAX_CPUS), after [`prepare_aps`].
pub fn ap_start(cpu: usize) -> Option<ApStart> {
    let [main, ..] = stacks::ap_stacks(cpu.checked_sub(1)?)?;
    // SAFETY: reading control registers and EFER has no side effect.
    let (cr0, cr3, cr4, efer) = unsafe {
        let (cr0, cr3, cr4): (u64, u64, u64);
        asm!("mov {}, cr0", out(reg) cr0, options(nomem, nostack, preserves_flags));
        asm!("mov {}, cr3", out(reg) cr3, options(nomem, nostack, preserves_flags));
        asm!("mov {}, cr4", out(reg) cr4, options(nomem, nostack, preserves_flags));
        (cr0, cr3, cr4, rdmsr(IA32_EFER))
    };
    Some(ApStart {
        rip: ap_entry as *const () as u64,
        // As if called: a zero return address (the end of the frame-pointer
        // chain; the stack is zeroed) and rsp + 8 16-byte aligned (SysV).
        rsp: main.3 - 8,
        rdi: cpu as u64,
        cr0,
        cr3,
        cr4,
        efer,
    })
}

// SAFETY: fn(u32) is a fn pointer type.
static AP_MAIN: HandlerTable<fn(u32), 1> = unsafe { HandlerTable::new() };

/// Sets what an AP runs once its CPU state is set up (with its number):
/// the layer above's per-CPU set-up. When it returns, the AP idles with
/// interrupts on for good.
pub fn set_ap_main(main: fn(u32)) {
    let _ = AP_MAIN.set(0, main);
}

/// Where an AP starts (Xen put it in 64-bit mode with flat segments and
/// TR pointing at nothing useful; no GDT, IDT or GS base of ours yet):
/// nothing may fault before the IDT is loaded (a fault then is a triple
/// fault: the domain crashes).
extern "C" fn ap_entry(cpu: u64) -> ! {
    let cpu = cpu as usize;
    gdt::load(cpu);
    set_gs_base(cpu);
    idt::init();
    if let Some(main) = AP_MAIN.get(0) {
        main(cpu as u32);
    }
    loop {
        // `sti; hlt`: never `cli; hlt`, which takes the vCPU offline.
        super::cpu::idle();
    }
}
