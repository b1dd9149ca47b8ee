//! The Xen layer: detection, hypercalls, and (as they come up) shared_info,
//! events, console, clock and xenstore.

pub mod console;
mod cpuid;
pub mod error;
pub mod events;
pub mod evtchn;
pub mod hvm;
pub mod hypercall;
mod lapic;
pub mod memory;
mod ring;
pub mod sched;
pub mod shared;
pub mod suspend;
pub mod time;
pub mod upcall;
pub mod wait;
pub mod xenstore;

use core::sync::atomic::{AtomicBool, Ordering};

pub use error::XenError;

use crate::platform::Reason;

static ON_XEN: AtomicBool = AtomicBool::new(false);

/// True once hypercalls work.
pub fn present() -> bool {
    ON_XEN.load(Ordering::Acquire)
}

/// Brings up everything Xen offers us, in order: hypercalls, shared_info
/// (events masked, clock), the upcall, the console, the timer; then enables
/// interrupts. Returns false (and changes nothing) when not on Xen. Any
/// failure after Xen was found is fatal, with the failing operation named.
pub fn init(upcall_mode: bootinfo::Upcall, entry_tsc: u64) -> bool {
    let Some(leaves) = cpuid::detect() else { return false };
    log::info!(
        "xen: found Xen {}.{} (CPUID base {:#x}, hypercall MSR {:#x})",
        leaves.major,
        leaves.minor,
        leaves.base,
        leaves.hypercall_msr
    );
    if let Err(e) = hypercall::install(leaves.hypercall_msr) {
        log::error!("xen: {e}");
        crate::platform::crash();
    }
    ON_XEN.store(true, Ordering::Release);
    let features = match hypercall::xen_version_features() {
        Ok((version, features)) => {
            log::info!(
                "xen: version {}.{} via hypercall, features {features:#010x} (hvm_callback_vector: {})",
                version >> 16,
                version & 0xffff,
                features & (1 << xen_abi::xen::XENFEAT_hvm_callback_vector) != 0
            );
            features
        }
        Err(e) => fail(e),
    };
    shared::map().unwrap_or_else(|e| fail(e));
    time::init(entry_tsc);
    events::mask_all();
    let delivery = upcall::install(leaves.base, features, upcall_mode).unwrap_or_else(|e| fail(e));
    let console = console::init();
    crate::arch::cpu::irq_enable();
    let timer = wait::init().unwrap_or_else(|e| fail(e));
    log::info!(
        "xen: shared_info mapped, all ports masked, upcall via {delivery:?} (vector {:#x}), console: {console}, VIRQ_TIMER on port {}",
        upcall::UPCALL_VECTOR,
        timer.get()
    );
    true
}

fn fail(e: XenError) -> ! {
    log::error!("xen: {e}");
    crate::platform::crash();
}

/// Asks Xen to end this domain. Returns only if not on Xen (or Xen refused).
///
/// Works also before init() (a bad command line, say): it then installs the
/// hypercall page first. Otherwise the caller would end in `cli; hlt`, which
/// Xen takes as a poweroff and on_crash="preserve" would not keep the domain.
pub fn shutdown(reason: Reason) {
    if !present() {
        if let Some(leaves) = cpuid::detect() {
            if hypercall::install(leaves.hypercall_msr).is_ok() {
                ON_XEN.store(true, Ordering::Release);
            }
        }
    }
    if present() {
        let code = match reason {
            Reason::Poweroff => xen_abi::sched::SHUTDOWN_poweroff,
            Reason::Crash => xen_abi::sched::SHUTDOWN_crash,
        };
        let _ = sched::shutdown(code);
    }
}
