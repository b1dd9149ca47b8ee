//! `serve`: the guest leads (`mode=lead`); we answer each of its events with a
//! notify until it writes state=done, or until `--timeout-ms` passes without
//! an event (exit 7 unless it said done).

use std::io::Write;
use std::time::{Duration, Instant};

use crate::channel::EventChannel;
use crate::cli::ServeArgs;
use crate::cmd::{say, say_json};
use serde::Serialize;

use crate::failure::{Exit, Failure};
use crate::guest::{close_session, connect, event_failure, guest_leaving, state};
use crate::progress::Progress;
use crate::xenbus::{Transport, Xenbus};

/// How often a quiet wait looks at the guest's state key.
const STATE_POLL: Duration = Duration::from_millis(100);

/// `serve --json`'s object, printed when it ends (also on failure).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServeJson {
    pub domid: u32,
    pub name: Option<String>,
    pub port: u32,
    pub answered: u64,
}

pub fn run<E: EventChannel, T: Transport>(
    ev: &mut E,
    xs: &mut Xenbus<T>,
    args: &ServeArgs,
    out: &mut dyn Write,
    progress: &mut Progress,
) -> Result<(), Failure> {
    let conn = connect(ev, xs, &args.domain, args.port, args.timeout, false)?;
    let (dom, port, local) = (conn.dom.clone(), conn.port, conn.local);
    progress.note(&format!("serving {} port {port} (local port {local})", dom.describe()));
    let mut answered: u64 = 0;
    let mut last_event = Instant::now();
    let result = loop {
        let quiet = last_event.elapsed();
        if quiet >= args.timeout {
            break match state(xs, dom.id)? {
                Some(s) if s == "done" => Ok(()),
                _ => Err(Failure::new(
                    Exit::Timeout,
                    format!(
                        "domain {}: no event within {} ms (answered {answered}): guest gone or not leading?",
                        dom.id,
                        args.timeout.as_millis()
                    ),
                )),
            };
        }
        match ev.wait(STATE_POLL.min(args.timeout - quiet)).map_err(event_failure)? {
            Some(p) => {
                ev.unmask(p).map_err(event_failure)?;
                if p == local {
                    ev.notify(local).map_err(event_failure)?;
                    answered += 1;
                    last_event = Instant::now();
                    progress.tick("answered", answered, answered);
                }
            }
            None => {
                if let Some(f) = guest_leaving(xs, &conn) {
                    break Err(f);
                }
                if state(xs, dom.id)?.as_deref() == Some("done") {
                    break Ok(());
                }
            }
        }
    };
    progress.finish();
    close_session(ev, xs, &conn);
    if args.json {
        say_json(out, &ServeJson { domid: dom.id, name: dom.name.clone(), port, answered });
    } else {
        say(out, &format!("answered {answered} events from {} port {port}", dom.describe()));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::DomainSpec;
    use crate::fakes::{FakeEvtchn, FakeStore, Peer};

    fn setup(peer: Peer, state: &str) -> (FakeEvtchn, Xenbus<FakeStore>) {
        let mut store = FakeStore::new().with_domain(7, "xenbell");
        store.set("/local/domain/7/data/xenbell/port", "5");
        store.set("/local/domain/7/data/xenbell/state", state);
        (FakeEvtchn::new(peer), Xenbus::new(store))
    }

    fn args() -> ServeArgs {
        ServeArgs { domain: DomainSpec::Id(7), port: None, timeout: Duration::from_millis(30), json: false }
    }

    #[test]
    fn answers_a_leader_until_done() {
        let (mut ev, mut xs) = setup(Peer::Leader { pings: 25 }, "done");
        let mut out = Vec::new();
        run(&mut ev, &mut xs, &args(), &mut out, &mut Progress::off()).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "answered 25 events from domain 7 (xenbell) port 5\n");
        assert_eq!(ev.notifies, 25);
        assert_eq!(ev.unbound, vec![41]);
    }

    #[test]
    fn json_is_one_object() {
        let (mut ev, mut xs) = setup(Peer::Leader { pings: 25 }, "done");
        let mut out = Vec::new();
        run(&mut ev, &mut xs, &ServeArgs { json: true, ..args() }, &mut out, &mut Progress::off()).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "{\"domid\":7,\"name\":\"xenbell\",\"port\":5,\"answered\":25}\n");
    }

    #[test]
    fn quiet_guest_not_done_is_exit_7() {
        let (mut ev, mut xs) = setup(Peer::Leader { pings: 2 }, "connected");
        let mut out = Vec::new();
        let f = run(&mut ev, &mut xs, &args(), &mut out, &mut Progress::off()).unwrap_err();
        assert_eq!(f.exit, Exit::Timeout);
        assert!(f.message.starts_with("domain 7: no event within 30 ms (answered 2)"), "{}", f.message);
    }
}
