//! The process: arguments in, devices opened, command run, exit code out.

use std::ffi::OsString;
use std::io;
use std::os::unix::ffi::OsStringExt;

use echo::echo;

use crate::cli::{self, Command, PingAllArgs, PingArgs};
use crate::cmd;
use crate::evtchn_dev::{self, EvtchnDev};
use crate::failure::{Exit, Failure};
use crate::privcmd::{self, Privcmd};
use crate::progress::Progress;
use crate::signals;
use crate::xenbus::{DevXenbus, Transport, Xenbus};

/// Runs the tool; returns the exit code. Messages go to stderr, results to stdout.
pub fn main(args: Vec<OsString>) -> i32 {
    let args: Result<Vec<String>, _> = args.into_iter().map(OsString::into_string).collect();
    let result = match args {
        Err(bad) => Err(Failure::usage(format!("argument {}: not UTF-8\n{}", echo(&bad.into_vec()), cli::usage()))),
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

/// A device that failed to open: exit 3 (missing: not on Xen; otherwise
/// not usable, e.g. not root).
pub fn device_failure(path: &str, e: &io::Error, hint: &str) -> Failure {
    let message = match e.kind() {
        io::ErrorKind::NotFound => format!("{path}: missing: not running on Xen? ({hint})"),
        io::ErrorKind::PermissionDenied => format!("{path}: cannot open: permission denied (run as root)"),
        _ => format!("{path}: cannot open: {e}"),
    };
    Failure::new(Exit::NotXen, message)
}

/// A transport opened at its first use: `open` runs at the first request
/// ([`Transport::connect`]), so a command that needs nothing from xenstore
/// (a numeric `--domain` with `--port`) opens no xenbus connection at all
/// and does not notice a hung or stopped xenstored. An open that fails
/// fails that request alone and is tried again at the next one; its error
/// (NotFound, PermissionDenied) becomes exit 3 in
/// [`crate::domain::store_failure`].
pub struct Lazy<T, F> {
    open: F,
    transport: Option<T>,
}

impl<T: Transport, F: FnMut() -> io::Result<T>> Lazy<T, F> {
    pub fn new(open: F) -> Lazy<T, F> {
        Lazy { open, transport: None }
    }

    fn get(&mut self) -> io::Result<&mut T> {
        if self.transport.is_none() {
            self.transport = Some((self.open)()?);
        }
        Ok(self.transport.as_mut().expect("just opened"))
    }
}

impl<T: Transport, F: FnMut() -> io::Result<T>> xs_client::Transport for Lazy<T, F> {
    type Error = io::Error;

    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.get()?.write(bytes)
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.get()?.read(buf)
    }

    fn wait(&mut self, deadline_ns: u64) {
        // Unopened: nothing can arrive (the engine only waits after
        // `connect`, which opens).
        if let Some(t) = &mut self.transport {
            t.wait(deadline_ns);
        }
    }

    /// The opened transport's clock (0 before: the engine reads the clock
    /// only after `connect`).
    fn now_ns(&self) -> u64 {
        self.transport.as_ref().map_or(0, |t| t.now_ns())
    }
}

impl<T: Transport, F: FnMut() -> io::Result<T>> Transport for Lazy<T, F> {
    fn connect(&mut self) -> io::Result<()> {
        self.get()?.connect()
    }
}

fn open_evtchn() -> Result<EvtchnDev, Failure> {
    EvtchnDev::open().map_err(|e| device_failure(evtchn_dev::DEVICE, &e, "load xen-evtchn?"))
}

/// `/dev/xen/xenbus`, opened at the first request (see [`Lazy`]).
fn open_xenbus() -> Xenbus<impl Transport> {
    Xenbus::new(Lazy::new(DevXenbus::open))
}

fn run(command: Command) -> Result<(), Failure> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match command {
        Command::Print(text) => {
            cmd::say(&mut out, &text);
            Ok(())
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell.generator(), &mut cli::definition(), "xenbell-dom0", &mut out);
            Ok(())
        }
        Command::Ping(PingArgs { domain, ports: Some(ports), rounds, timeout, json, .. }) => {
            let mut ev = open_evtchn()?;
            let args = PingAllArgs { domain, ports, rounds, timeout, json };
            cmd::pingall::run(&mut ev, &mut open_xenbus(), &args, &mut out)
        }
        Command::Ping(args) => {
            let mut ev = open_evtchn()?;
            cmd::ping::run(&mut ev, &mut open_xenbus(), &args, &mut out, &mut Progress::stderr())
        }
        Command::Serve(args) => {
            let mut ev = open_evtchn()?;
            cmd::serve::run(&mut ev, &mut open_xenbus(), &args, &mut out, &mut Progress::stderr())
        }
        Command::Flood(args) => {
            let mut ev = open_evtchn()?;
            cmd::flood::run(&mut ev, &mut open_xenbus(), &args, &mut out, &mut Progress::stderr())
        }
        Command::Status(args) => {
            let mut xs = open_xenbus();
            match Privcmd::open() {
                Ok(mut p) => cmd::status::run(&mut xs, &args, Ok(&mut p), &mut out),
                Err(e) => cmd::status::run(&mut xs, &args, Err(format!("{}: {e}", privcmd::DEVICE)), &mut out),
            }
        }
        Command::Offer(args) => {
            let mut ev = open_evtchn()?;
            let mut xs = open_xenbus();
            signals::install()
                .map_err(|e| Failure::new(Exit::Internal, format!("SIGTERM/SIGINT handlers: cannot install: {e}")))?;
            cmd::offer::run(&mut ev, &mut xs, &args, &mut out, &signals::stop_requested)
        }
        Command::Vchan(args) => {
            let mut ev = open_evtchn()?;
            let gnt = crate::gntdev::Gntdev::open()
                .map_err(|e| device_failure(crate::gntdev::DEVICE, &e, "load xen-gntdev?"))?;
            cmd::vchan::run(&mut ev, &gnt, &mut open_xenbus(), &args, &mut out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_errors_map_to_exit_codes() {
        let missing = io::Error::from(io::ErrorKind::NotFound);
        let f = device_failure(evtchn_dev::DEVICE, &missing, "load xen-evtchn?");
        assert_eq!(f, Failure::new(Exit::NotXen, "/dev/xen/evtchn: missing: not running on Xen? (load xen-evtchn?)"));
        let denied = io::Error::from_raw_os_error(libc::EACCES);
        let f = device_failure(evtchn_dev::DEVICE, &denied, "");
        assert_eq!(f, Failure::new(Exit::NotXen, "/dev/xen/evtchn: cannot open: permission denied (run as root)"));
        let other = io::Error::from_raw_os_error(libc::EIO);
        assert_eq!(device_failure(evtchn_dev::DEVICE, &other, "").exit, Exit::NotXen);
    }

    #[test]
    fn usage_errors_exit_2() {
        assert_eq!(main(vec!["ping".into(), "--rounds".into(), "abc".into()]), 2);
        assert_eq!(main(vec![]), 2);
        assert_eq!(main(vec![OsString::from_vec(vec![0xff])]), 2);
    }

    #[test]
    fn xenbus_opens_only_when_xenstore_is_needed() {
        use crate::cli::{DomainSpec, PingArgs};
        use crate::fakes::{FakeEvtchn, FakeStore, Peer};
        use std::cell::Cell;
        use std::time::Duration;

        let opened = Cell::new(0);
        let open = || {
            opened.set(opened.get() + 1);
            let mut store = FakeStore::new().with_domain(7, "xenbell");
            store.set("/local/domain/7/data/xenbell/port", "5");
            Ok(store)
        };
        let mut xs = Xenbus::new(Lazy::new(open));
        let mut args = PingArgs {
            domain: DomainSpec::Id(7),
            port: Some(5),
            rounds: 3,
            timeout: Duration::from_millis(50),
            json: false,
            legacy: false,
            follow: false,
            ports: None,
        };
        let mut ev = FakeEvtchn::new(Peer::Server { answers: 100 });
        cmd::ping::run(&mut ev, &mut xs, &args, &mut Vec::new(), &mut Progress::off()).unwrap();
        assert_eq!((opened.get(), ev.notifies), (0, 3), "a numeric --domain with --port opened xenbus");
        args.port = None;
        cmd::ping::run(&mut ev, &mut xs, &args, &mut Vec::new(), &mut Progress::off()).unwrap();
        assert_eq!(opened.get(), 1);
        args.domain = DomainSpec::Name("xenbell".into());
        cmd::ping::run(&mut ev, &mut xs, &args, &mut Vec::new(), &mut Progress::off()).unwrap();
        assert_eq!(opened.get(), 1, "opened once, then kept");
    }

    #[test]
    fn a_missing_xenbus_device_is_exit_3_when_needed() {
        use crate::cli::DomainSpec;
        let open = || -> io::Result<crate::fakes::FakeStore> { Err(io::ErrorKind::NotFound.into()) };
        let mut xs = Xenbus::new(Lazy::new(open));
        let f = crate::domain::resolve(&mut xs, &DomainSpec::Name("xenbell".into())).unwrap_err();
        assert_eq!(f.exit, Exit::NotXen);
        assert!(f.message.starts_with("/dev/xen/xenbus: "), "{}", f.message);
    }

    #[test]
    fn a_failed_open_is_tried_again_at_the_next_request() {
        use crate::cli::DomainSpec;
        use std::cell::Cell;
        let tries = Cell::new(0);
        let open = || {
            tries.set(tries.get() + 1);
            match tries.get() {
                1 => Err(io::ErrorKind::PermissionDenied.into()),
                _ => Ok(crate::fakes::FakeStore::new().with_domain(7, "xenbell")),
            }
        };
        let mut xs = Xenbus::new(Lazy::new(open));
        let spec = DomainSpec::Name("xenbell".into());
        assert_eq!(crate::domain::resolve(&mut xs, &spec).unwrap_err().exit, Exit::NotXen);
        // Not broken by the failed open: the next request opens and is answered.
        assert_eq!(crate::domain::resolve(&mut xs, &spec).unwrap().id, 7);
        assert_eq!(tries.get(), 2);
    }
}
