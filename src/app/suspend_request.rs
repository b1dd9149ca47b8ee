//! A minimal `control/shutdown` listener for `suspend` only (the full one,
//! with poweroff and reboot, comes with the control-watch work; this one is
//! to be folded into its dispatcher, which calls
//! [`super::lifecycle::suspend_and_resume`] the same way).
//!
//! libxl writes `suspend` into `control/shutdown` for `xl save` and `xl
//! migrate` and waits 60 s for an ack: any other value, here `""` (never an
//! rm: the node would come back owned by dom0). Then it waits for the domain
//! to be shut down with reason suspend (libxl_dom_suspend.c).

use bootinfo::Config;

use super::lifecycle::suspend_and_resume;
use super::peer::Peer;
use crate::xen::xenstore;

const CONTROL: &str = "control/shutdown";
const TOKEN: &str = "xenbell-suspend";
const FEATURE: &str = "control/feature-suspend";

/// Watches `control/shutdown` and says we answer suspend requests. Called
/// at start and again in each new domain (the watch dies with the old one).
pub fn watch() {
    if let Err(e) = xenstore::watch(CONTROL, TOKEN) {
        log::warn!("lifecycle: {e}: suspend requests will not be seen");
        return;
    }
    // A node libxl made for us (writable, not creatable: control/ is dom0's).
    if let Err(e) = xenstore::write(FEATURE, "1") {
        log::warn!("lifecycle: {e}");
    }
}

/// Takes the queued watch events without waiting; on a `suspend` request,
/// acknowledges it and suspends. From the main loop only.
pub fn poll(cfg: &Config, peer: &mut Peer) {
    let mut fired = false;
    loop {
        match xenstore::next_watch_event(0) {
            Ok(Some((_, token))) => fired |= token == TOKEN,
            Ok(None) => break,
            Err(e) => {
                log::warn!("lifecycle: {e}");
                break;
            }
        }
    }
    if !fired {
        return;
    }
    crate::watchdog::progress(crate::watchdog::Phase::Xenstore);
    match xenstore::read(CONTROL) {
        Ok(v) if v == "suspend" => {
            if let Err(e) = xenstore::write(CONTROL, "") {
                log::warn!("lifecycle: {e}: suspend request not acknowledged, not suspending");
                return;
            }
            let _ = suspend_and_resume(cfg, peer, watch);
        }
        Ok(_) => {}
        Err(e) if e.is_enoent() => {}
        Err(e) => log::warn!("lifecycle: {e}"),
    }
}
