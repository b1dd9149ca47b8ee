//! SIGTERM/SIGINT as a flag, for `offer`, which otherwise runs forever.
//! The handler only stores to an atomic (async-signal-safe); it is installed
//! without SA_RESTART so a blocked `poll` returns EINTR and the loop looks.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// True once SIGTERM or SIGINT arrived after [`install`].
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// Routes SIGTERM and SIGINT to the flag.
pub fn install() -> io::Result<()> {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: all-zero is a valid `sigaction` (empty mask, no flags).
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: `action` is initialised and its handler is async-signal-safe;
        // the old action is not requested.
        let ret = unsafe { libc::sigaction(signal, &action, std::ptr::null_mut()) };
        if ret < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
