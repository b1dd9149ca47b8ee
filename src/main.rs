//! xenbell: a Xen PVH unikernel that plays event-channel ping-pong with dom0.
//!
//! Boot path: boot/pvh_entry.s (32-bit PVH entry, long mode) ->
//! [`xenbell_entry`] -> console and logger -> arch (GDT/TSS/IDT, guard pages)
//! -> start info and command line -> heap -> Xen (hypercalls, events,
//! console, clock) -> the application.
#![no_std]
#![no_main]

extern crate alloc;

mod app;
mod arch;
mod boot_info;
mod boot_phases;
mod console;
mod fatal;
mod heap;
mod logger;
mod selftest;
mod shutdown;
mod time;
mod watchdog;
mod xen;

use alloc::vec::Vec;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Called by boot/pvh_entry.s on the boot stack, in long mode, interrupts off.
#[no_mangle]
pub extern "C" fn xenbell_entry(start_info_paddr: u64) -> ! {
    let entry_tsc = arch::cpu::rdtsc();
    // Before anything asks which CPU it runs on (arch::smp::index).
    arch::smp::set_gs_base(0);
    boot_phases::entry(entry_tsc);
    console::init();
    logger::init(log::LevelFilter::Info);
    log::info!("{}", xenbell_proto::console::Booting { version: VERSION });
    boot_phases::mark(boot_phases::Phase::Console);
    // Before arch::init(): the start info may live in page 0, unmapped there.
    let boot = boot_info::read(start_info_paddr);
    // A fault from here on is reported (registers, backtrace) and ends the
    // domain with reason crash.
    arch::traps::set_exception_handler(|frame| fatal::exception(frame));
    arch::init();
    let mut boot = match boot {
        Ok(b) => b,
        Err(e) => shutdown::fail(e),
    };
    let config = match cmdline::Config::parse(boot.cmdline) {
        Ok(c) => c,
        Err(e) => shutdown::fail(e),
    };
    logger::init(logger::level_filter(config.log));
    log::info!("cmdline: {:?}", boot.cmdline);
    boot_phases::mark(boot_phases::Phase::Arch);

    // Xen first: its clock timestamps the rest, and a PVH dom0 gets its
    // memory map from Xen rather than from the start info.
    let on_xen = match xen::init(config.upcall, config.evtchn, entry_tsc) {
        Ok(on_xen) => on_xen,
        Err(e) => shutdown::fail(format_args!("xen: {e}")),
    };
    boot_phases::mark(boot_phases::Phase::Xen);
    // The stall watchdog looks at the main loop on every timer tick.
    if on_xen {
        xen::wait::on_tick(watchdog::tick);
    }
    if boot.memmap().is_empty() {
        match on_xen.then(xen::memory::memory_map) {
            Some(Ok(map)) => boot.set_memmap(map),
            Some(Err(e)) => shutdown::fail(format_args!("memory: {e}")),
            None => shutdown::fail(bootinfo::StartInfoError::NoMemmap { version: boot.start_info.version }),
        }
    }
    boot.log_memory_map();

    let heap =
        boot.heap_range().unwrap_or_else(|| shutdown::fail("memory: no free RAM for the heap in the memory map"));
    // SAFETY: heap_range() excludes the image, its stacks and page tables, the
    // start-info data and low memory, and lies inside the identity map.
    unsafe { heap::init(heap.start, heap.len()) };
    heap_check();
    boot_phases::mark(boot_phases::Phase::Heap);
    if on_xen {
        xen::smp::start_aps();
    }
    if let Some(test) = config.selftest {
        selftest::run(test, on_xen);
    }
    if !on_xen {
        log::info!("xenbell: not running on Xen (no Xen CPUID leaves): nothing to talk to, powering off");
        shutdown::poweroff();
    }
    let is_dom0 = boot.start_info.flags & xen_abi::start_info::SIF_INITDOMAIN != 0;
    app::run(&config, is_dom0);
}

/// Proves the heap works: allocate, use and free a vector (small: under
/// TCG every page first touched costs boot time).
fn heap_check() {
    const N: u64 = 1000;
    let v: Vec<u64> = (1..=N).collect();
    let sum: u64 = v.iter().sum();
    let (used, free) = heap::usage();
    drop(v);
    if sum != N * (N + 1) / 2 {
        shutdown::fail(format_args!("heap check: sum {sum} is wrong"));
    }
    log::info!("heap: check ok ({N} u64s, sum {sum}); {} KiB used at peak, {} KiB free", used / 1024, free / 1024);
}
