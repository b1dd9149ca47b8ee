//! `ping`: bind to the guest's port, drain the bind event, open a session,
//! then N rounds of notify + wait for the answer, timing each round trip
//! (CLOCK_MONOTONIC, which `Instant` reads on Linux); then close the
//! session. A guest that shuts down mid-run (guest-state 5) ends the run
//! with exit 7 naming why (`leaving`).

use std::io::Write;
use std::time::{Duration, Instant};

use crate::channel::EventChannel;
use crate::cli::PingArgs;
use crate::cmd::say;
use crate::domain::Domain;
use crate::failure::{Exit, Failure};
use crate::follow::{self, Follower, Pause};
use crate::guest::{close_session, connect, event_failure, guest_leaving, has_left, leaving_failure, Connection};
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
    run_following(ev, xs, args, out, progress, Follower::sleeper())
}

/// `run`, with the pause `--follow` takes between looks at xenstore.
pub fn run_following<'a, E: EventChannel, T: Transport>(
    ev: &mut E,
    xs: &mut Xenbus<T>,
    args: &PingArgs,
    out: &mut dyn Write,
    progress: &mut Progress,
    pause: Pause<'a, E, T>,
) -> Result<(), Failure> {
    let conn = connect(ev, xs, &args.domain, args.port, args.timeout, args.legacy)?;
    let mut follow = Follower::new(conn, follow::WINDOW, pause);
    let start = Instant::now();
    let (samples, stopped) = rounds(ev, xs, args, progress, &mut follow);
    let elapsed = start.elapsed();
    progress.finish();
    let Connection { dom, port, .. } = &follow.conn;
    let summary = Summary::new(args.rounds, &samples, elapsed);
    let report = match (args.json, args.follow) {
        (true, true) => crate::json::text(&follow.json(summary.json())),
        (true, false) => summary.to_json(),
        (false, true) => summary.to_line(dom.id, *port) + &follow.describe(),
        (false, false) => summary.to_line(dom.id, *port),
    };
    say(out, &report);
    close_session(ev, xs, &follow.conn);
    let dom = &follow.conn.dom;
    match stopped {
        None => Ok(()),
        Some(Stop::Timeout) if has_left(xs, &follow.conn) => Err(leaving_failure(xs, dom)),
        Some(Stop::Timeout) => Err(no_answer(xs, dom, args.timeout)),
        Some(Stop::Failed(f)) => Err(f),
    }
}

/// How long a round waits before looking whether the guest is leaving.
const LOOK_SLICE: Duration = Duration::from_millis(100);

enum Stop {
    Timeout,
    Failed(Failure),
}

/// A round went unanswered: say what xenstore tells about the guest (gone,
/// suspending, migrating away, shutting down) or that it is merely silent.
fn no_answer<T: Transport>(xs: &mut Xenbus<T>, dom: &Domain, timeout: Duration) -> Failure {
    Failure::new(Exit::Timeout, follow::cause(xs, dom).message(dom, timeout.as_millis()))
}

/// Up to `args.rounds` rounds; the round-trip times in ns, and why it
/// stopped early, if it did. With `--follow`, an unanswered round is sent
/// again once the guest is back (see follow.rs).
fn rounds<E: EventChannel, T: Transport>(
    ev: &mut E,
    xs: &mut Xenbus<T>,
    args: &PingArgs,
    progress: &mut Progress,
    follow: &mut Follower<'_, E, T>,
) -> (Vec<u64>, Option<Stop>) {
    let n = args.rounds;
    let mut samples = Vec::with_capacity(n.min(1 << 20) as usize);
    let mut local = follow.conn.local;
    while samples.len() < n as usize {
        progress.tick("round", samples.len() as u64, u64::from(n));
        let sent = Instant::now();
        // Without --follow a guest that says it is leaving ends the run at
        // once (exit 7 naming why); with it, its absence is followed.
        let answer = {
            let conn = &follow.conn;
            let mut leaving = || if args.follow { None } else { guest_leaving(xs, conn) };
            round(ev, local, args.timeout, &mut leaving)
        };
        match answer {
            Ok(Some(rtt)) => {
                follow.answered();
                samples.push(rtt);
            }
            Ok(None) if args.follow => match follow.recover(ev, xs, sent, args.timeout) {
                Ok(l) => local = l,
                Err(f) => return (samples, Some(Stop::Failed(f))),
            },
            Ok(None) => return (samples, Some(Stop::Timeout)),
            Err(f) if args.follow => match follow.recover(ev, xs, sent, args.timeout) {
                // The binding broke (the old domain died under it): go on with the new one.
                Ok(l) => local = l,
                Err(_) => return (samples, Some(Stop::Failed(f))),
            },
            Err(f) => return (samples, Some(Stop::Failed(f))),
        }
    }
    (samples, None)
}

/// One notify and the wait for its answer: `Some(rtt_ns)`, or `None` on
/// timeout. Every [`LOOK_SLICE`] without an answer it asks `leaving`.
fn round<E: EventChannel>(
    ev: &mut E,
    local: u32,
    timeout: Duration,
    leaving: &mut dyn FnMut() -> Option<Failure>,
) -> Result<Option<u64>, Failure> {
    let sent = Instant::now();
    ev.notify(local).map_err(event_failure)?;
    let deadline = sent + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(port) = ev.wait(left.min(LOOK_SLICE)).map_err(event_failure)? else {
            if let Some(f) = leaving() {
                return Err(f);
            }
            if left <= LOOK_SLICE {
                return Ok(None);
            }
            continue;
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
            legacy: false,
            follow: false,
            ports: None,
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
                "domain 7 (xenbell): no answer within 1000 ms: the domain is gone (destroyed, saved or migrated away?)"
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

    fn peer_states(xs: &mut Xenbus<FakeStore>) -> Vec<String> {
        let store = xs.transport_mut();
        store.written("/local/domain/7/data/xenbell/peer-state").into_iter().map(String::from).collect()
    }

    #[test]
    fn handshake_opens_and_closes_a_session() {
        let store = FakeStore::new().with_guest(7, "xenbell", 5);
        let (mut ev, mut xs) = (FakeEvtchn::new(Peer::Server { answers: 100 }), Xenbus::new(store));
        run(&mut ev, &mut xs, &args(10, true), &mut Vec::new(), &mut Progress::off()).unwrap();
        // 3 (open), 5 (finished), 6 (unbound); the guest is ready again.
        assert_eq!(peer_states(&mut xs), ["3", "5", "6"]);
        let store = xs.transport_mut();
        assert_eq!(store.written("/local/domain/7/data/xenbell/guest-state"), ["4", "2", "2"]);
        assert_eq!(store.get("/local/domain/7/data/xenbell/guest-state").as_deref(), Some("2"));
        assert_eq!((ev.notifies, ev.unbound.clone()), (10, vec![41]));
    }

    #[test]
    fn legacy_speaks_no_handshake() {
        let store = FakeStore::new().with_guest(7, "xenbell", 5);
        let (mut ev, mut xs) = (FakeEvtchn::new(Peer::Server { answers: 100 }), Xenbus::new(store));
        let a = PingArgs { legacy: true, ..args(4, true) };
        run(&mut ev, &mut xs, &a, &mut Vec::new(), &mut Progress::off()).unwrap();
        assert_eq!(peer_states(&mut xs), Vec::<String>::new());
        assert_eq!((ev.notifies, ev.unbound.clone()), (4, vec![41]));
    }

    #[test]
    fn a_stale_session_is_closed_before_asking_for_ours() {
        let mut store = FakeStore::new().with_guest(7, "xenbell", 5);
        // The previous peer died without a goodbye: the guest still has it.
        store.set("/local/domain/7/data/xenbell/guest-state", "4");
        store.set("/local/domain/7/data/xenbell/peer-state", "3");
        let (mut ev, mut xs) = (FakeEvtchn::new(Peer::Server { answers: 100 }), Xenbus::new(store));
        run(&mut ev, &mut xs, &args(2, true), &mut Vec::new(), &mut Progress::off()).unwrap();
        // 6 (close the stale one), 3, 5, 6.
        assert_eq!(peer_states(&mut xs), ["6", "3", "5", "6"]);
    }

    #[test]
    fn a_guest_that_never_opens_is_exit_7_and_unbound() {
        let mut store = FakeStore::new().with_guest(7, "xenbell", 5);
        store.guest = None; // has guest-state, does not answer the handshake
        let (mut ev, mut xs) = (FakeEvtchn::new(Peer::Server { answers: 100 }), Xenbus::new(store));
        let f = run(&mut ev, &mut xs, &args(2, true), &mut Vec::new(), &mut Progress::off()).unwrap_err();
        assert_eq!(f, Failure::new(Exit::Timeout, "domain 7 (xenbell) did not open a session within 12000 ms"));
        assert_eq!((ev.notifies, ev.unbound.clone()), (0, vec![41]));
        assert_eq!(peer_states(&mut xs), ["3"]);
    }

    #[test]
    fn a_guest_shutting_down_mid_run_is_exit_7_naming_why() {
        let mut store = FakeStore::new().with_guest(7, "xenbell", 5);
        store.leave_when_polled = Some("poweroff");
        let (mut ev, mut xs) = (FakeEvtchn::new(Peer::Server { answers: 3 }), Xenbus::new(store));
        let mut out = Vec::new();
        let f = run(&mut ev, &mut xs, &args(10, false), &mut out, &mut Progress::off()).unwrap_err();
        assert_eq!(
            f,
            Failure::new(Exit::Timeout, "domain 7 (xenbell) shut down (leaving=\"poweroff\"): the session is over")
        );
        assert!(String::from_utf8(out).unwrap().starts_with("domain 7 port 5: 3/10 rounds"));
        // It still says goodbye, so the leaving guest need not wait for it.
        assert_eq!((ev.unbound.clone(), peer_states(&mut xs)), (vec![41], vec!["3".into(), "5".into(), "6".into()]));
    }

    #[test]
    fn refused_bind_is_exit_6() {
        let (mut ev, mut xs) = setup(Peer::Silent);
        ev.refuse_bind = Some(libc::EINVAL);
        let f = run(&mut ev, &mut xs, &args(1, false), &mut Vec::new(), &mut Progress::off()).unwrap_err();
        assert_eq!(f.exit, Exit::BindRefused);
    }
}
