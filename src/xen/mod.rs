//! The Xen layer: detection, hypercalls, and (as they come up) shared_info,
//! events, console, clock and xenstore.

pub mod console;
mod cpuid;
pub mod error;
pub mod events;
pub mod evtchn;
mod fifo;
pub mod grant;
pub mod hvm;
pub mod hypercall;
mod lapic;
pub mod memory;
mod ring;
pub mod sched;
pub mod shared;
pub mod smp;
pub mod suspend;
pub mod time;
pub mod upcall;
pub mod wait;
pub mod xenstore;

use core::sync::atomic::{AtomicBool, Ordering};

pub use error::XenError;

static ON_XEN: AtomicBool = AtomicBool::new(false);

/// True once hypercalls work.
pub fn present() -> bool {
    ON_XEN.load(Ordering::Acquire)
}

/// Brings up everything Xen offers us, in order: hypercalls, shared_info
/// (events masked, clock), the upcall, the console, the timer; then enables
/// interrupts. Returns Ok(false) (and changes nothing) when not on Xen; an
/// error names the operation that failed once Xen was found (the caller
/// decides what that means: the kernel crashes).
pub fn init(upcall_mode: cmdline::Upcall, evtchn_abi: cmdline::EvtchnAbi, entry_tsc: u64) -> Result<bool, XenError> {
    let Some(leaves) = cpuid::detect() else { return Ok(false) };
    log::info!(
        "xen: found Xen {}.{} (CPUID base {:#x}, hypercall MSR {:#x})",
        leaves.major,
        leaves.minor,
        leaves.base,
        leaves.hypercall_msr
    );
    hypercall::install(leaves.hypercall_msr)?;
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
        Err(e) => return Err(e),
    };
    shared::map()?;
    time::init(entry_tsc);
    events::mask_all();
    events::init_abi(evtchn_abi)?;
    let delivery = upcall::install(leaves.base, features, upcall_mode)?;
    let console = console::init();
    crate::arch::cpu::irq_enable();
    let timer = wait::init()?;
    log::info!(
        "xen: shared_info mapped, all ports masked, upcall via {delivery:?} (vector {:#x}), console: {console}, VIRQ_TIMER on port {}",
        upcall::UPCALL_VECTOR,
        timer.get()
    );
    Ok(true)
}

/// Asks Xen to end this domain. Returns only if not on Xen (or Xen refused).
///
/// Works also before init() (a bad command line, say): it then installs the
/// hypercall page first. Otherwise the caller would end in `cli; hlt`, which
/// Xen takes as a poweroff and on_crash="preserve" would not keep the domain.
/// `code` is a `SHUTDOWN_*` of sched.h (poweroff, reboot, crash, ...).
pub fn shutdown(code: u32) {
    if !present() {
        if let Some(leaves) = cpuid::detect() {
            if hypercall::install(leaves.hypercall_msr).is_ok() {
                ON_XEN.store(true, Ordering::Release);
            }
        }
    }
    if present() {
        let _ = sched::shutdown(code);
    }
}
