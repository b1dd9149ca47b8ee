//! The Xen layer: detection, hypercalls, and (as they come up) shared_info,
//! events, console, clock and xenstore.

mod cpuid;
pub mod error;
pub mod hypercall;
pub mod sched;
pub mod time;

use core::sync::atomic::{AtomicBool, Ordering};

pub use error::XenError;

use crate::platform::Reason;

static ON_XEN: AtomicBool = AtomicBool::new(false);

/// True once hypercalls work.
pub fn present() -> bool {
    ON_XEN.load(Ordering::Acquire)
}

/// Finds Xen and installs the hypercall page. Returns false (and changes
/// nothing) when not running on Xen.
pub fn init() -> bool {
    let Some(leaves) = cpuid::detect() else { return false };
    log::info!(
        "xen: found Xen {}.{} (CPUID base {:#x}, hypercall MSR {:#x})",
        leaves.major, leaves.minor, leaves.base, leaves.hypercall_msr
    );
    if let Err(e) = hypercall::install(leaves.hypercall_msr) {
        log::error!("xen: {e}");
        crate::platform::crash();
    }
    ON_XEN.store(true, Ordering::Release);
    match hypercall::xen_version_features() {
        Ok((version, features)) => log::info!(
            "xen: version {}.{} via hypercall, features {features:#010x} (hvm_callback_vector: {})",
            version >> 16,
            version & 0xffff,
            features & (1 << xen_abi::xen::XENFEAT_hvm_callback_vector) != 0
        ),
        Err(e) => log::warn!("xen: {e}"),
    }
    true
}

/// Asks Xen to end this domain. Returns only if not on Xen (or Xen refused).
pub fn shutdown(reason: Reason) {
    if present() {
        let code = match reason {
            Reason::Poweroff => xen_abi::sched::SHUTDOWN_poweroff,
            Reason::Crash => xen_abi::sched::SHUTDOWN_crash,
        };
        let _ = sched::shutdown(code);
    }
}
