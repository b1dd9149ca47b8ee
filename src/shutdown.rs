//! How the kernel ends: a clean poweroff, a reboot or a crash, under Xen or
//! plain QEMU. [`fail`] is the one way to end on an error: the error line,
//! then a shutdown with reason crash.

use core::fmt::Write;

use crate::arch::cpu;

/// QEMU's isa-debug-exit device (`-device isa-debug-exit,iobase=0xf4,iosize=4`):
/// writing `v` makes QEMU exit with status `(v << 1) | 1`.
const ISA_DEBUG_EXIT: u16 = 0xf4;
/// QEMU exit status 33.
pub const QEMU_EXIT_SUCCESS: u32 = 0x10;
/// QEMU exit status 35.
pub const QEMU_EXIT_FAILURE: u32 = 0x11;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reason {
    Poweroff,
    /// The toolstack restarts the domain (xl's `on_reboot`, default restart).
    Reboot,
    Crash,
}

impl Reason {
    /// Its name in `xenbell: shutdown reason=<name>` (and in `leaving`).
    pub fn name(self) -> &'static str {
        match self {
            Reason::Poweroff => "poweroff",
            Reason::Reboot => "reboot",
            Reason::Crash => "crash",
        }
    }
}

/// Ends the domain (or the QEMU run) after saying so on the console.
pub fn end(reason: Reason) -> ! {
    let name = reason.name();
    let _ = crate::logger::write_timestamp(&mut crate::console::Unlocked);
    let _ = writeln!(crate::console::Unlocked, "{}", xenbell_proto::console::Shutdown { reason: name });
    // The toolstack may destroy the domain at once: let xenconsoled read
    // the line first (bounded).
    let _ = crate::xen::console::drain(CONSOLE_DRAIN_NS);
    stop(reason)
}

/// How long a shutdown waits for xenconsoled to read the last lines.
const CONSOLE_DRAIN_NS: u64 = 500_000_000;

pub fn poweroff() -> ! {
    end(Reason::Poweroff)
}

/// Logs `what` (an error that names its subject first) and crashes: the one
/// "log an error, then crash" of the kernel.
pub fn fail(what: impl core::fmt::Display) -> ! {
    log::error!("{what}");
    crash()
}

pub fn crash() -> ! {
    end(Reason::Crash)
}

/// Crash without another word (used when reporting itself failed).
pub fn crash_now() -> ! {
    stop(Reason::Crash)
}

fn stop(reason: Reason) -> ! {
    crate::xen::shutdown(match reason {
        Reason::Poweroff => xen_abi::sched::SHUTDOWN_poweroff,
        Reason::Reboot => xen_abi::sched::SHUTDOWN_reboot,
        Reason::Crash => xen_abi::sched::SHUTDOWN_crash,
    });
    let code = match reason {
        Reason::Poweroff | Reason::Reboot => QEMU_EXIT_SUCCESS,
        Reason::Crash => QEMU_EXIT_FAILURE,
    };
    // SAFETY: isa-debug-exit ends the QEMU process; where the device does not
    // exist (Xen, real hardware) the write is ignored.
    unsafe { cpu::port::outl(ISA_DEBUG_EXIT, code) };
    cpu::halt_forever()
}
