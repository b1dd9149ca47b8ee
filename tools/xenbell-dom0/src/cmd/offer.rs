//! `offer`: the guest's role, for a Linux guest. Allocates a port for
//! `--remote`, publishes it, guest-state=2 and state=ready under our own
//! home, answers every event with a notify, and on SIGTERM or SIGINT writes
//! state=done and guest-state=6, removes the port key and unbinds.
//!
//! Sessions as xenbell has them (README "Session handshake"): a watch on
//! peer-state, looked at whenever no event came for [`STOP_POLL`]: 3 opens
//! a session (guest-state=4, state=connected), 5/6 closes it (2, ready). A
//! peer without the handshake: state=connected from its first event.

use std::io::Write;
use std::time::Duration;
use xenbell_proto::xenstore::{state, xenbus_state as xb};

use crate::channel::EventChannel;
use crate::cli::OfferArgs;
use crate::cmd::{say, say_json};
use crate::domain::{home, store_failure};
use crate::failure::{Exit, Failure};
use crate::guest::{event_failure, GUEST_STATE_KEY, PEER_STATE_KEY, PORT_KEY, STATE_KEY};
use crate::xenbus::{Transport, Xenbus};
use serde::Serialize;

/// How often the loop looks at the stop flag and the watch when no event
/// comes (a peer waits this long at most for its session to open).
const STOP_POLL: Duration = Duration::from_millis(100);
const WATCH_TOKEN: &str = "xenbell-offer";

/// `offer --json`'s output: one JSON line per event, `"event"` first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum OfferEvent {
    /// The port is allocated and published at `key`.
    Offering { port: u32, remote: u32, key: String },
    /// A peer opened (peer-state 3) or closed (5, 6) a session.
    Session { open: bool },
    /// Stopped (SIGTERM/SIGINT, or an error): events answered in all.
    Done { answered: u64, remote: u32 },
}

pub fn run<E: EventChannel, T: Transport>(
    ev: &mut E,
    xs: &mut Xenbus<T>,
    args: &OfferArgs,
    out: &mut dyn Write,
    stop: &dyn Fn() -> bool,
) -> Result<(), Failure> {
    let remote = args.remote;
    let local = ev
        .bind_unbound(remote)
        .map_err(|e| Failure::new(Exit::BindRefused, format!("domain {remote}: cannot offer a port: {e}")))?;
    // Relative paths resolve against our own home; the id is for messages.
    let own = xs.read_text("domid").ok().flatten();
    let where_ = own.as_deref().and_then(|d| d.parse::<u32>().ok()).map_or_else(|| "our home".to_string(), home);
    let publish = |xs: &mut Xenbus<T>, key: &str, value: &str| {
        xs.write(key, value.as_bytes()).map_err(|e| store_failure(&format!("{where_}/{key}"), "write", e))
    };
    xs.watch(PEER_STATE_KEY, WATCH_TOKEN)
        .map_err(|e| store_failure(&format!("{where_}/{PEER_STATE_KEY}"), "watch", e))?;
    publish(xs, GUEST_STATE_KEY, xb::INIT_WAIT)?;
    publish(xs, PORT_KEY, &local.to_string())?;
    publish(xs, STATE_KEY, state::READY)?;
    // The peer-state acted on last (several watch events can read one value).
    let mut last: Option<String> = None;
    let mut session = false;
    let key = format!("{where_}/{PORT_KEY}");
    if args.json {
        say_json(out, &OfferEvent::Offering { port: local, remote, key });
    } else {
        say(out, &format!("offering port {local} to domain {remote} ({key})"));
    }
    let mut answered: u64 = 0;
    let result = loop {
        if stop() {
            break Ok(());
        }
        let port = match ev.wait(STOP_POLL) {
            Ok(Some(p)) => p,
            Ok(None) => {
                let mut seen = false;
                while let Ok(Some(_)) = xs.next_watch_event(Duration::ZERO) {
                    seen = true;
                }
                let now = if seen { xs.read_text(PEER_STATE_KEY).ok().flatten() } else { None };
                if now.is_some() && now != last {
                    let (gs, st, open) = match now.as_deref() {
                        Some(xb::INITIALISED) => (xb::CONNECTED, state::CONNECTED, true),
                        Some(xb::CLOSING) | Some(xb::CLOSED) => (xb::INIT_WAIT, state::READY, false),
                        _ => continue,
                    };
                    last = now;
                    session = open;
                    if args.json {
                        say_json(out, &OfferEvent::Session { open });
                    }
                    let _ = publish(xs, GUEST_STATE_KEY, gs);
                    let _ = publish(xs, STATE_KEY, st);
                }
                continue;
            }
            Err(e) if e.source.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => break Err(event_failure(e)),
        };
        if let Err(e) = ev.unmask(port) {
            break Err(event_failure(e));
        }
        if port != local {
            continue;
        }
        if let Err(e) = ev.notify(local) {
            break Err(event_failure(e));
        }
        answered += 1;
        if answered == 1 && !session {
            let _ = publish(xs, STATE_KEY, state::CONNECTED);
        }
    };
    let _ = publish(xs, STATE_KEY, state::DONE);
    let _ = publish(xs, GUEST_STATE_KEY, xb::CLOSED);
    let _ = xs.rm(PORT_KEY);
    let _ = ev.unbind(local);
    if args.json {
        say_json(out, &OfferEvent::Done { answered, remote });
    } else {
        say(out, &format!("answered {answered} events from domain {remote}"));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{FakeEvtchn, FakeStore, Peer};
    use std::cell::Cell;

    #[test]
    fn publishes_answers_and_cleans_up() {
        let mut store = FakeStore::new().with_domain(3, "linux-guest");
        store.own_domid = 3;
        let mut xs = Xenbus::new(store);
        let mut ev = FakeEvtchn::new(Peer::Leader { pings: 7 });
        let mut out = Vec::new();
        // The fake never blocks: stop after enough loop turns for 7 pings.
        let turns = Cell::new(0u32);
        let stop = || {
            turns.set(turns.get() + 1);
            turns.get() > 20
        };
        run(&mut ev, &mut xs, &OfferArgs { remote: 0, json: false }, &mut out, &stop).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "offering port 41 to domain 0 (/local/domain/3/data/xenbell/port)\nanswered 7 events from domain 0\n"
        );
        assert_eq!(ev.offered, vec![(41, 0)]);
        assert_eq!((ev.notifies, ev.unbound.clone()), (7, vec![41]));
        let store = xs.transport_mut();
        assert_eq!(store.get("/local/domain/3/data/xenbell/state").as_deref(), Some("done"));
        assert_eq!(store.get("/local/domain/3/data/xenbell/port"), None);
        let writes: Vec<&str> = store.log.iter().filter(|l| l.starts_with("Write")).map(String::as_str).collect();
        // guest-state 2, port, ready, connected, done, guest-state 6
        assert_eq!(writes.len(), 6, "{writes:?}");
        assert_eq!(writes[1], "Write /local/domain/3/data/xenbell/port");
    }

    #[test]
    fn speaks_the_guest_side_of_the_handshake() {
        let mut store = FakeStore::new().with_domain(3, "linux-guest");
        store.own_domid = 3;
        // A peer already asked (the watch's first fire brings it).
        store.set("/local/domain/3/data/xenbell/peer-state", "3");
        let mut xs = Xenbus::new(store);
        let mut ev = FakeEvtchn::new(Peer::Silent);
        let turns = Cell::new(0u32);
        let stop = || {
            turns.set(turns.get() + 1);
            turns.get() > 3
        };
        let mut out = Vec::new();
        run(&mut ev, &mut xs, &OfferArgs { remote: 0, json: true }, &mut out, &stop).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            concat!(
                r#"{"event":"offering","port":41,"remote":0,"key":"/local/domain/3/data/xenbell/port"}"#,
                "\n",
                r#"{"event":"session","open":true}"#,
                "\n",
                r#"{"event":"done","answered":0,"remote":0}"#,
                "\n"
            )
        );
        let store = xs.transport_mut();
        assert_eq!(store.written("/local/domain/3/data/xenbell/guest-state"), ["2", "4", "6"]);
        assert_eq!(store.written("/local/domain/3/data/xenbell/state"), ["ready", "connected", "done"]);
    }
}
