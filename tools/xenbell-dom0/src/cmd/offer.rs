//! `offer`: the guest's role, for a Linux guest. Allocates a port for
//! `--remote`, publishes it and state=ready under our own home, answers every
//! event with a notify (state=connected from the first one), and on SIGTERM
//! or SIGINT writes state=done, removes the port key and unbinds.

use std::io::Write;
use std::time::Duration;

use crate::channel::EventChannel;
use crate::cmd::say;
use crate::domain::{home, store_failure};
use crate::failure::{Exit, Failure};
use crate::guest::{event_failure, PORT_KEY, STATE_KEY};
use crate::xenbus::{Transport, Xenbus};

/// How often the loop looks at the stop flag when no signal interrupts it.
const STOP_POLL: Duration = Duration::from_millis(500);

pub fn run<E: EventChannel, T: Transport>(
    ev: &mut E,
    xs: &mut Xenbus<T>,
    remote: u32,
    out: &mut dyn Write,
    stop: &dyn Fn() -> bool,
) -> Result<(), Failure> {
    let local = ev
        .bind_unbound(remote)
        .map_err(|e| Failure::new(Exit::BindRefused, format!("domain {remote}: cannot offer a port: {e}")))?;
    // Relative paths resolve against our own home; the id is for messages.
    let own = xs.read_text("domid").ok().flatten();
    let where_ = own.as_deref().and_then(|d| d.parse::<u32>().ok()).map_or_else(|| "our home".to_string(), home);
    let publish = |xs: &mut Xenbus<T>, key: &str, value: &str| {
        xs.write(key, value.as_bytes()).map_err(|e| store_failure(&format!("{where_}/{key}"), "write", e))
    };
    publish(xs, PORT_KEY, &local.to_string())?;
    publish(xs, STATE_KEY, "ready")?;
    say(out, &format!("offering port {local} to domain {remote} ({where_}/{PORT_KEY})"));
    let mut answered: u64 = 0;
    let result = loop {
        if stop() {
            break Ok(());
        }
        let port = match ev.wait(STOP_POLL) {
            Ok(Some(p)) => p,
            Ok(None) => continue,
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
        if answered == 1 {
            let _ = publish(xs, STATE_KEY, "connected");
        }
    };
    let _ = publish(xs, STATE_KEY, "done");
    let _ = xs.rm(PORT_KEY);
    let _ = ev.unbind(local);
    say(out, &format!("answered {answered} events from domain {remote}"));
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
        run(&mut ev, &mut xs, 0, &mut out, &stop).unwrap();
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
        // port, ready, connected, done
        assert_eq!(writes.len(), 4, "{writes:?}");
        assert_eq!(writes[0], "Write /local/domain/3/data/xenbell/port");
    }
}
