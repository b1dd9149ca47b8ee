//! vCPU hotplug as the toolstack asks it: `xl vcpu-set <dom> <n>` (and
//! `maxvcpus` above `vcpus` in the xl config) writes
//! `cpu/<k>/availability` = `online` or `offline` under our home for each
//! vCPU k (libxl `libxl_set_vcpuonline`; Linux's drivers/xen/cpu_hotplug.c
//! reads the same keys). We watch `cpu` (only with more than one vCPU) and
//! bring each AP up or down to match:
//!
//! - offline: the ports it handles move to vCPU 0 (app::ports), then it
//!   takes itself down (VCPUOP_down; xen::smp::take_down);
//! - online: VCPUOP_up (or its first start), then its ports move back.
//!
//! vCPU 0 runs the main loop and never goes down (Linux does not unplug
//! CPU 0 either). Console lines: `xenbell: vcpu <k> offline` / `online`,
//! then `xenbell: vcpus online=N present=M`.

use alloc::format;

use super::{keys, ports};
use crate::xen::smp;

/// The watched path (relative to our home) and its token.
pub const CPU_DIR: &str = "cpu";

/// Whether there is anything to watch: a domain with one vCPU cannot get
/// another (xl refuses vcpu-set above maxvcpus).
pub fn hotpluggable() -> bool {
    smp::present() > 1
}

/// Reads every AP's `cpu/<k>/availability` and brings it up or down to
/// match. A missing or unknown value changes nothing (a value we cannot
/// read is reported once per change, escaped).
pub fn on_change() {
    let present = smp::present().min(smp::MAX_VCPUS as u32);
    let mut changed = false;
    for k in 1..present {
        let key = format!("{CPU_DIR}/{k}/availability");
        let Some(value) = keys::read(&key) else { continue };
        let (want, online) = (value.as_str(), smp::is_online(k));
        match want {
            "online" if !online => {
                match smp::bring_up(k) {
                    Ok(()) => {
                        ports::move_back(k);
                        log::info!("xenbell: vcpu {k} online ({key})");
                    }
                    Err(e) => log::error!("vcpu {k}: {e}: stays offline"),
                }
                changed = true;
            }
            "offline" if online => {
                ports::move_off(k);
                match smp::take_down(k) {
                    Ok(()) => log::info!("xenbell: vcpu {k} offline ({key})"),
                    Err(e) => {
                        log::error!("vcpu {k}: {e}");
                        ports::move_back(k);
                    }
                }
                changed = true;
            }
            "online" | "offline" => {}
            other => log::warn!("{key}: unknown value {}: ignored (online or offline)", keys::shown(other)),
        }
    }
    if changed {
        ports::rekick();
        log::info!("{}", xenbell_proto::console::VcpusOnline { online: smp::online(), present: smp::present() });
    }
}
