//! The process: arguments in, devices opened, command run, exit code out.

use std::ffi::OsString;
use std::io;

use crate::cli::{self, Command};
use crate::cmd;
use crate::evtchn::{self, EvtchnDev};
use crate::failure::{Exit, Failure};
use crate::privcmd::{self, Privcmd};
use crate::progress::Progress;
use crate::signals;
use crate::xenbus::{self, DevXenbus, Xenbus};

/// Runs the tool; returns the exit code. Messages go to stderr, results to stdout.
pub fn main(args: Vec<OsString>) -> i32 {
    let args: Result<Vec<String>, _> = args.into_iter().map(OsString::into_string).collect();
    let result = match args {
        Err(bad) => Err(Failure::usage(format!("argument {bad:?} is not UTF-8\n{}", cli::USAGE))),
        Ok(args) => cli::parse(&args).and_then(run),
    };
    match result {
        Ok(()) => Exit::Ok.code(),
        Err(f) => {
            eprintln!("xenbell-dom0: {}", f.message);
            f.exit.code()
        }
    }
}

/// A device that failed to open: missing means we are not on Xen (exit 3).
pub fn device_failure(path: &str, e: &io::Error, hint: &str) -> Failure {
    match e.kind() {
        io::ErrorKind::NotFound => Failure::new(Exit::NotXen, format!("not running on Xen: {path} missing ({hint})")),
        io::ErrorKind::PermissionDenied => {
            Failure::failed(format!("cannot open {path}: permission denied (run as root)"))
        }
        _ => Failure::failed(format!("cannot open {path}: {e}")),
    }
}

fn open_evtchn() -> Result<EvtchnDev, Failure> {
    EvtchnDev::open().map_err(|e| device_failure(evtchn::DEVICE, &e, "load xen-evtchn?"))
}

fn open_xenbus() -> Result<Xenbus<DevXenbus>, Failure> {
    DevXenbus::open().map(Xenbus::new).map_err(|e| device_failure(xenbus::DEVICE, &e, "mount xenfs or load xenbus?"))
}

fn run(command: Command) -> Result<(), Failure> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match command {
        Command::Help => {
            cmd::say(&mut out, cli::USAGE);
            Ok(())
        }
        Command::Ping(args) => {
            let mut ev = open_evtchn()?;
            cmd::ping::run(&mut ev, &mut open_xenbus()?, &args, &mut out, &mut Progress::stderr())
        }
        Command::Serve(args) => {
            let mut ev = open_evtchn()?;
            cmd::serve::run(&mut ev, &mut open_xenbus()?, &args, &mut out, &mut Progress::stderr())
        }
        Command::Flood(args) => {
            let mut ev = open_evtchn()?;
            cmd::flood::run(&mut ev, &mut open_xenbus()?, &args, &mut out, &mut Progress::stderr())
        }
        Command::Status { domain } => {
            let mut xs = open_xenbus()?;
            match Privcmd::open() {
                Ok(mut p) => cmd::status::run(&mut xs, &domain, Ok(&mut p), &mut out),
                Err(e) => cmd::status::run(&mut xs, &domain, Err(format!("{}: {e}", privcmd::DEVICE)), &mut out),
            }
        }
        Command::Offer { remote } => {
            let mut ev = open_evtchn()?;
            let mut xs = open_xenbus()?;
            signals::install().map_err(|e| Failure::failed(format!("cannot install signal handlers: {e}")))?;
            cmd::offer::run(&mut ev, &mut xs, remote, &mut out, &signals::stop_requested)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_errors_map_to_exit_codes() {
        let missing = io::Error::from(io::ErrorKind::NotFound);
        let f = device_failure(evtchn::DEVICE, &missing, "load xen-evtchn?");
        assert_eq!(f, Failure::new(Exit::NotXen, "not running on Xen: /dev/xen/evtchn missing (load xen-evtchn?)"));
        let denied = io::Error::from_raw_os_error(libc::EACCES);
        assert_eq!(device_failure(evtchn::DEVICE, &denied, "").exit, Exit::Failed);
        let other = io::Error::from_raw_os_error(libc::EIO);
        assert_eq!(device_failure(evtchn::DEVICE, &other, "").exit, Exit::Failed);
    }

    #[test]
    fn usage_errors_exit_2() {
        assert_eq!(main(vec!["ping".into(), "--rounds".into(), "abc".into()]), 2);
        assert_eq!(main(vec![]), 2);
        use std::os::unix::ffi::OsStringExt;
        assert_eq!(main(vec![OsString::from_vec(vec![0xff])]), 2);
    }
}
