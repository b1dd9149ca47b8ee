//! `ping`: bind to the guest's port, drain the bind event, then N rounds of
//! notify + wait for the answer, timing each round trip (CLOCK_MONOTONIC,
//! which `Instant` reads on Linux).

use std::io::Write;
use std::time::{Duration, Instant};

use crate::channel::EventChannel;
use crate::cli::PingArgs;
use crate::cmd::say;
use crate::domain::{home, Domain};
use crate::failure::{Exit, Failure};
use crate::guest::{connect, event_failure, Connection};
use crate::progress::Progress;
use crate::stats::Summary;
use crate::xenbus::{Transport, Xenbus};

pub fn run<E: EventChannel, T: Transport>(
    ev: &mut E,
    xs: &mut Xenbus<T>,
    args: &PingArgs,
    out: &mut dyn Write,
    progress: &mut Progress,
) -> Result<(), Failure> {
    let Connection { dom, port, local } = connect(ev, xs, &args.domain, args.port, args.timeout)?;
    let start = Instant::now();
    let (samples, stopped) = rounds(ev, local, args.rounds, args.timeout, progress);
    let elapsed = start.elapsed();
    progress.finish();
    let summary = Summary::new(args.rounds, &samples, elapsed);
    say(out, &if args.json { summary.to_json() } else { summary.to_line(dom.id, port) });
    let _ = ev.unbind(local);
    match stopped {
        None => Ok(()),
        Some(Stop::Timeout) => Err(no_answer(xs, &dom, args.timeout)),
        Some(Stop::Failed(f)) => Err(f),
    }
}

enum Stop {
    Timeout,
    Failed(Failure),
}

/// A round went unanswered: say whether the guest is gone (its xenstore home
/// was removed, as `xl destroy` does) or merely silent.
fn no_answer<T: Transport>(xs: &mut Xenbus<T>, dom: &Domain, timeout: Duration) -> Failure {
    let ms = timeout.as_millis();
    let message = if matches!(xs.read_opt(&home(dom.id)), Ok(None)) {
        format!("{}: no answer within {ms} ms: the domain is gone (destroyed?)", dom.describe())
    } else {
        format!("domain {}: no answer within {ms} ms: guest gone or not serving?", dom.id)
    };
    Failure::new(Exit::Timeout, message)
}

/// Up to `n` rounds on `local`; the round-trip times in ns, and why it
/// stopped early, if it did.
fn rounds<E: EventChannel>(
    ev: &mut E,
    local: u32,
    n: u32,
    timeout: Duration,
    progress: &mut Progress,
) -> (Vec<u64>, Option<Stop>) {
    let mut samples = Vec::with_capacity(n.min(1 << 20) as usize);
    for done in 0..n {
        progress.tick("round", u64::from(done), u64::from(n));
        match round(ev, local, timeout) {
            Ok(Some(rtt)) => samples.push(rtt),
            Ok(None) => return (samples, Some(Stop::Timeout)),
            Err(f) => return (samples, Some(Stop::Failed(f))),
        }
    }
    (samples, None)
}

/// One notify and the wait for its answer: `Some(rtt_ns)`, or `None` on timeout.
fn round<E: EventChannel>(ev: &mut E, local: u32, timeout: Duration) -> Result<Option<u64>, Failure> {
    let sent = Instant::now();
    ev.notify(local).map_err(event_failure)?;
    let deadline = sent + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(port) = ev.wait(left).map_err(event_failure)? else {
            return Ok(None);
        };
        let rtt = sent.elapsed();
        // Unmask before the next notify, or the next answer stays masked.
        ev.unmask(port).map_err(event_failure)?;
        if port == local {
            return Ok(Some(u64::try_from(rtt.as_nanos()).unwrap_or(u64::MAX)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::DomainSpec;
    use crate::fakes::{FakeEvtchn, FakeStore, Peer};

    fn setup(peer: Peer) -> (FakeEvtchn, Xenbus<FakeStore>) {
        let mut store = FakeStore::new().with_domain(7, "xenbell");
        store.set("/local/domain/7/data/xenbell/port", "5");
        (FakeEvtchn::new(peer), Xenbus::new(store))
    }

    fn args(rounds: u32, json: bool) -> PingArgs {
        PingArgs {
            domain: DomainSpec::Name("xenbell".into()),
            port: None,
            rounds,
            timeout: Duration::from_millis(50),
            json,
        }
    }

    #[test]
    fn rounds_against_a_serving_peer() {
        let (mut ev, mut xs) = setup(Peer::Server { answers: 100 });
        let mut out = Vec::new();
        run(&mut ev, &mut xs, &args(10, true), &mut out, &mut Progress::off()).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(r#"{"rounds_requested":10,"rounds_ok":10,"rtt_ns":{"min":"#), "{text}");
        assert_eq!(ev.binds, vec![(41, 7, 5)]);
        // The bind event was drained, not counted: 10 notifies, 11 unmasks.
        assert_eq!((ev.notifies, ev.unmasks), (10, 11));
        assert_eq!(ev.unbound, vec![41]);
    }

    #[test]
    fn silent_guest_is_exit_7_with_partial_summary() {
        let (mut ev, mut xs) = setup(Peer::Server { answers: 3 });
        let mut out = Vec::new();
        let f = run(&mut ev, &mut xs, &args(10, false), &mut out, &mut Progress::off()).unwrap_err();
        assert_eq!(f, Failure::new(Exit::Timeout, "domain 7: no answer within 50 ms: guest gone or not serving?"));
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("domain 7 port 5: 3/10 rounds, rtt min"), "{text}");
    }

    #[test]
    fn vanished_guest_is_called_gone() {
        let mut xs = Xenbus::new(FakeStore::new().with_domain(3, "other"));
        let dom = Domain { id: 7, name: Some("xenbell".into()) };
        assert_eq!(
            no_answer(&mut xs, &dom, Duration::from_millis(1000)),
            Failure::new(
                Exit::Timeout,
                "domain 7 (xenbell): no answer within 1000 ms: the domain is gone (destroyed?)"
            )
        );
    }

    #[test]
    fn explicit_port_skips_xenstore_port() {
        let mut store = FakeStore::new().with_domain(7, "xenbell");
        store.set("/local/domain/7/data/xenbell/port", "5");
        let (mut ev, mut xs) = (FakeEvtchn::new(Peer::Server { answers: 1 }), Xenbus::new(store));
        let a = PingArgs { port: Some(9), domain: DomainSpec::Id(7), ..args(1, false) };
        run(&mut ev, &mut xs, &a, &mut Vec::new(), &mut Progress::off()).unwrap();
        assert_eq!(ev.binds, vec![(41, 7, 9)]);
        assert!(!xs.transport_mut().log.iter().any(|l| l.contains("data/xenbell/port")));
    }

    #[test]
    fn refused_bind_is_exit_6() {
        let (mut ev, mut xs) = setup(Peer::Silent);
        ev.refuse_bind = Some(libc::EINVAL);
        let f = run(&mut ev, &mut xs, &args(1, false), &mut Vec::new(), &mut Progress::off()).unwrap_err();
        assert_eq!(f.exit, Exit::BindRefused);
    }
}
