//! `ping --follow`: keep pinging a guest across `xl save`/`xl restore`,
//! `xl save -c` and `xl migrate`.
//!
//! When a round goes unanswered, [`cause`] reads what xenstore says about
//! the guest (docs/lifecycle.md, docs/protocol.md):
//! - `data/xenbell/leaving` = `suspend` (written by the guest just before
//!   it suspends), or `poweroff` / `reboot`;
//! - its `name` turned into `<name>--migratedaway` (xl migrate renames the
//!   old domain before the new one runs);
//! - its home is gone (destroyed, or saved: a save destroys the domain).
//!
//! Without `--follow` that becomes the exit-7 message. With it, a
//! [`Follower`] waits for the guest to publish again: the same domain back
//! in service with the same port (a cancelled suspend: the binding still
//! works), or a domain of the same name and another domid whose
//! `data/xenbell/port` is published with state `ready` (a restore or an
//! incoming migration), which it binds. The unanswered round is then sent
//! again. The report counts re-sent rounds, rebinds and the time the guest
//! was unreachable.

use std::time::{Duration, Instant};

use echo::echo;
use serde::Serialize;

use crate::channel::EventChannel;
use crate::domain::{home, Domain};
use crate::failure::{Exit, Failure};
use crate::guest::{
    bind, drain_bind_event, key_path, open_session, parse_port, watch_guest_state, Connection, GUEST_STATE_KEY,
    PORT_KEY, STATE_KEY,
};
use crate::stats::SummaryJson;
use crate::xenbus::{Transport, Xenbus};

/// `ping --follow --json`'s object: the summary's fields, then the follow counters.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FollowedJson {
    #[serde(flatten)]
    pub summary: SummaryJson,
    pub rounds_resent: u64,
    pub rebinds: u64,
    pub unreachable_ms: u64,
    /// The domain it ended on.
    pub domid: u32,
}

/// Written by the guest before it leaves: `suspend`, `poweroff`, `reboot`.
pub const LEAVING_KEY: &str = "data/xenbell/leaving";
/// How long to wait for the guest to come back (a migration under QEMU TCG
/// takes tens of seconds).
pub const WINDOW: Duration = Duration::from_secs(180);
/// How often xenstore is looked at while waiting.
pub const POLL: Duration = Duration::from_millis(100);
/// Suffixes `xl migrate` gives the two domains during a move (xl_migrate.c).
const MIGRATE_SUFFIXES: [&str; 2] = ["--migratedaway", "--incoming"];

/// What xenstore says about a guest that stopped answering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// Nothing: the domain is there, not leaving.
    Silent,
    /// `leaving` = `suspend`: an `xl save` or `xl migrate` under way.
    Suspending,
    /// Renamed `<name>--migratedaway` by `xl migrate`.
    MigratingAway(String),
    /// `leaving` = `poweroff`, `reboot` or another reason.
    ShuttingDown(String),
    /// Its xenstore home is gone.
    Gone,
}

/// `name` without the suffix `xl migrate` adds during a move.
pub fn base_name(name: &str) -> &str {
    MIGRATE_SUFFIXES.iter().find_map(|s| name.strip_suffix(s)).unwrap_or(name)
}

/// Reads `dom`'s home, name and leaving key. A read that fails counts as
/// nothing said (Silent), never as an error: this only explains a timeout.
pub fn cause<T: Transport>(xs: &mut Xenbus<T>, dom: &Domain) -> Cause {
    if matches!(xs.read_opt(&home(dom.id)), Ok(None)) {
        return Cause::Gone;
    }
    if let Ok(Some(name)) = xs.read_text(&key_path(dom.id, "name")) {
        if name.ends_with(MIGRATE_SUFFIXES[0]) && dom.name.as_deref() != Some(name.as_str()) {
            return Cause::MigratingAway(name);
        }
    }
    match xs.read_text(&key_path(dom.id, LEAVING_KEY)) {
        Ok(Some(r)) if r == "suspend" => Cause::Suspending,
        Ok(Some(r)) if !r.is_empty() => Cause::ShuttingDown(r),
        _ => Cause::Silent,
    }
}

impl Cause {
    /// The exit-7 line: what happened to `dom`, after `ms` without an answer.
    pub fn message(&self, dom: &Domain, ms: u128) -> String {
        let who = dom.describe();
        match self {
            Cause::Silent => format!("domain {}: no answer within {ms} ms: guest gone or not serving?", dom.id),
            Cause::Gone => {
                format!("{who}: no answer within {ms} ms: the domain is gone (destroyed, saved or migrated away?)")
            }
            Cause::Suspending => format!(
                "{who}: no answer within {ms} ms: it is suspending ({LEAVING_KEY}=suspend: xl save or xl migrate; --follow waits for it)"
            ),
            Cause::MigratingAway(name) => format!(
                "{who}: no answer within {ms} ms: it is being migrated away (now named {}; --follow rebinds to the new domain)",
                echo(name)
            ),
            Cause::ShuttingDown(r) => {
                format!("{who}: no answer within {ms} ms: it is shutting down ({LEAVING_KEY}={})", echo(r))
            }
        }
    }
}

/// Pauses between two looks at xenstore while waiting for the guest: a
/// sleep of [`POLL`]; host tests move the fake guest here instead.
pub type Pause<'a, E, T> = Box<dyn FnMut(&mut E, &mut Xenbus<T>) + 'a>;

/// The connection `ping --follow` keeps, and what following it cost.
pub struct Follower<'a, E, T: Transport> {
    pub conn: Connection,
    /// The guest's name to look for after a move.
    name: Option<String>,
    /// Rounds sent again after the guest came back.
    pub resent: u64,
    /// New bindings (new domain or port).
    pub rebinds: u64,
    /// Time from each unanswered round's send until the guest was back.
    pub unreachable: Duration,
    /// Since when the guest has not answered (None: it answers).
    since: Option<Instant>,
    window: Duration,
    pause: Pause<'a, E, T>,
}

impl<'a, E: EventChannel, T: Transport> Follower<'a, E, T> {
    pub fn new(conn: Connection, window: Duration, pause: Pause<'a, E, T>) -> Self {
        let name = conn.dom.name.as_deref().map(|n| base_name(n).to_string());
        Follower { conn, name, resent: 0, rebinds: 0, unreachable: Duration::ZERO, since: None, window, pause }
    }

    /// A sleep of [`POLL`].
    pub fn sleeper() -> Pause<'a, E, T> {
        Box::new(|_, _| std::thread::sleep(POLL))
    }

    /// A round was answered.
    pub fn answered(&mut self) {
        if let Some(t) = self.since.take() {
            self.unreachable += t.elapsed();
        }
    }

    /// A round sent at `sent` went unanswered: wait for the guest (bounded
    /// by the window, counted from the first unanswered round) and return
    /// the local port to send the round again on. Exit 7 if it does not
    /// come back or is powering off.
    pub fn recover(
        &mut self,
        ev: &mut E,
        xs: &mut Xenbus<T>,
        sent: Instant,
        timeout: Duration,
    ) -> Result<u32, Failure> {
        let since = *self.since.get_or_insert(sent);
        let first = cause(xs, &self.conn.dom);
        if first == Cause::ShuttingDown("poweroff".into()) {
            return Err(Failure::new(Exit::Timeout, first.message(&self.conn.dom, timeout.as_millis())));
        }
        loop {
            // Checked first: a guest that is there but never answers would
            // otherwise be "back" at every look.
            if since.elapsed() >= self.window {
                let name = self.name.as_deref().unwrap_or("?");
                let message = format!(
                    "{} did not come back as '{name}' within {} s ({})",
                    self.conn.dom.describe(),
                    self.window.as_secs(),
                    first.message(&self.conn.dom, timeout.as_millis())
                );
                return Err(Failure::new(Exit::Timeout, message));
            }
            if let Some(local) = self.back(ev, xs) {
                self.resent += 1;
                return Ok(local);
            }
            (self.pause)(ev, xs);
        }
    }

    /// The local port to use if the guest is back: the old binding when the
    /// same domain serves the same port again (a cancelled suspend, or a
    /// slow round), else a new binding to a domain of the same name.
    fn back(&mut self, ev: &mut E, xs: &mut Xenbus<T>) -> Option<u32> {
        let old = &self.conn.dom;
        if cause(xs, old) == Cause::Silent && published(xs, old.id).map(|(p, _)| p) == Some(self.conn.port) {
            return Some(self.conn.local);
        }
        let name = self.name.clone()?;
        let ids = xs.directory("/local/domain").ok()?;
        for id in ids.iter().filter_map(|e| e.parse::<u32>().ok()).filter(|&id| id != old.id) {
            if xs.read_text(&key_path(id, "name")).ok().flatten().as_deref() != Some(name.as_str()) {
                continue;
            }
            let dom = Domain { id, name: Some(name.clone()) };
            let Some((port, state)) = published(xs, id) else { continue };
            if state != xenbell_proto::xenstore::state::READY || cause(xs, &dom) != Cause::Silent {
                continue;
            }
            // A refusal here (not yet offered to us, say) is retried on the next look.
            let Ok(local) = bind(ev, &dom, port) else { continue };
            if drain_bind_event(ev, local, Duration::from_secs(1)).is_err() {
                let _ = ev.unbind(local);
                continue;
            }
            // The new domain's guest starts without a session: ask for one
            // as connect() did (it has guest-state unless it is legacy).
            // (A watch on the new domain's guest-state first: the handshake
            // waits on its changes; the old domain's watch says nothing.)
            let handshake = self.conn.handshake
                && matches!(xs.read_text(&key_path(id, GUEST_STATE_KEY)), Ok(Some(_)))
                && watch_guest_state(xs, id).is_ok()
                && open_session(xs, &dom).is_ok();
            let _ = ev.unbind(self.conn.local);
            self.conn = Connection { dom, port, local, handshake };
            self.rebinds += 1;
            return Some(local);
        }
        None
    }

    /// `summary` with the follow counters added (`ping --follow --json`).
    pub fn json(&self, summary: SummaryJson) -> FollowedJson {
        FollowedJson {
            summary,
            rounds_resent: self.resent,
            rebinds: self.rebinds,
            unreachable_ms: u64::try_from(self.unreachable.as_millis()).unwrap_or(u64::MAX),
            domid: self.conn.dom.id,
        }
    }

    /// The text line's addition.
    pub fn describe(&self) -> String {
        format!(
            "; followed: {} rounds re-sent, {} rebinds, unreachable {} ms, now {}",
            self.resent,
            self.rebinds,
            self.unreachable.as_millis(),
            self.conn.dom.describe()
        )
    }
}

/// `(port, state)` as `domid` publishes them, if the port is valid.
fn published<T: Transport>(xs: &mut Xenbus<T>, domid: u32) -> Option<(u32, String)> {
    let port = parse_port(&xs.read_text(&key_path(domid, PORT_KEY)).ok()??)?;
    let state = xs.read_text(&key_path(domid, STATE_KEY)).ok().flatten().unwrap_or_default();
    Some((port, state))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{DomainSpec, PingArgs};
    use crate::cmd::ping::run_following;
    use crate::fakes::{FakeEvtchn, FakeStore, Peer};
    use crate::progress::Progress;

    const OLD: &str = "/local/domain/7";

    /// Domain 7 "xenbell" serving port 5, `answers` times, then silent.
    fn setup(answers: u64) -> (FakeEvtchn, Xenbus<FakeStore>) {
        let mut store = FakeStore::new().with_domain(7, "xenbell");
        store.set(&format!("{OLD}/data/xenbell/port"), "5");
        store.set(&format!("{OLD}/data/xenbell/state"), "connected");
        (FakeEvtchn::new(Peer::Server { answers }), Xenbus::new(store))
    }

    fn args(rounds: u32, follow: bool) -> PingArgs {
        PingArgs {
            domain: DomainSpec::Name("xenbell".into()),
            port: None,
            rounds,
            timeout: Duration::from_millis(20),
            json: true,
            legacy: false,
            follow,
            ports: None,
        }
    }

    fn ping(
        ev: &mut FakeEvtchn,
        xs: &mut Xenbus<FakeStore>,
        a: &PingArgs,
        pause: Pause<'_, FakeEvtchn, FakeStore>,
    ) -> (Result<(), Failure>, String) {
        let mut out = Vec::new();
        let r = run_following(ev, xs, a, &mut out, &mut Progress::off(), pause);
        (r, String::from_utf8(out).unwrap())
    }

    /// The old domain is gone and domain 9 "xenbell" publishes port 6, as after
    /// `xl restore` or `xl migrate`; the new guest answers.
    fn move_to_9(ev: &mut FakeEvtchn, xs: &mut Xenbus<FakeStore>) {
        let store = xs.transport_mut();
        store.nodes.retain(|k, _| !k.starts_with(OLD));
        store.set("/local/domain/9/name", "xenbell");
        store.set("/local/domain/9/data/xenbell/port", "6");
        store.set("/local/domain/9/data/xenbell/state", "ready");
        ev.peer = Peer::Server { answers: 100 };
    }

    #[test]
    fn follows_the_guest_to_a_new_domain() {
        let (mut ev, mut xs) = setup(3);
        xs.transport_mut().set(&format!("{OLD}/data/xenbell/leaving"), "suspend");
        let mut pauses = 0;
        let pause: Pause<'_, FakeEvtchn, FakeStore> = Box::new(|ev, xs| {
            pauses += 1;
            if pauses == 2 {
                move_to_9(ev, xs);
            }
        });
        let (r, out) = ping(&mut ev, &mut xs, &args(10, true), pause);
        r.unwrap();
        assert!(out.contains(r#""rounds_ok":10,"#), "{out}");
        assert!(out.contains(r#""rounds_resent":1,"rebinds":1,"unreachable_ms":"#), "{out}");
        assert!(out.trim_end().ends_with(r#","domid":9}"#), "{out}");
        assert_eq!(ev.binds, vec![(41, 7, 5), (42, 9, 6)]);
        assert_eq!(ev.unbound, vec![41, 42]);
    }

    #[test]
    fn a_cancelled_suspend_goes_on_with_the_same_binding() {
        let (mut ev, mut xs) = setup(3);
        let leaving = format!("{OLD}/data/xenbell/leaving");
        xs.transport_mut().set(&leaving, "suspend");
        let pause: Pause<'_, FakeEvtchn, FakeStore> = Box::new(move |ev, xs| {
            xs.transport_mut().nodes.remove(&leaving);
            ev.peer = Peer::Server { answers: 100 };
        });
        let (r, out) = ping(&mut ev, &mut xs, &args(10, true), pause);
        r.unwrap();
        assert!(out.contains(r#""rounds_ok":10,"#) && out.contains(r#""rounds_resent":1,"rebinds":0,"#), "{out}");
        assert_eq!(ev.binds, vec![(41, 7, 5)]);
    }

    #[test]
    fn without_follow_the_timeout_names_what_happened() {
        let cases = [
            (
                "data/xenbell/leaving",
                "suspend",
                "it is suspending (data/xenbell/leaving=suspend: xl save or xl migrate",
            ),
            ("name", "xenbell--migratedaway", "it is being migrated away (now named 'xenbell--migratedaway'"),
            ("data/xenbell/leaving", "reboot", "it is shutting down (data/xenbell/leaving='reboot')"),
        ];
        for (key, value, why) in cases {
            let (mut ev, mut xs) = setup(2);
            let pause: Pause<'_, FakeEvtchn, FakeStore> =
                Box::new(move |_, xs| xs.transport_mut().set(&format!("{OLD}/{key}"), value));
            // The key changes after the connect: the guest leaves mid-run.
            let mut a = args(5, false);
            a.json = false;
            let mut out = Vec::new();
            let conn = crate::guest::connect(&mut ev, &mut xs, &a.domain, None, a.timeout, a.legacy).unwrap();
            let mut f = Follower::new(conn, WINDOW, pause);
            (f.pause)(&mut ev, &mut xs);
            let msg = cause(&mut xs, &f.conn.dom).message(&f.conn.dom, 20);
            assert_eq!(msg, format!("domain 7 (xenbell): no answer within 20 ms: {why}{}", tail(why)));
            // And through ping itself, with the key set before the rounds stop
            // (a renamed domain could not be found by name to begin with).
            if key == "name" {
                continue;
            }
            let (mut ev, mut xs) = setup(2);
            xs.transport_mut().set(&format!("{OLD}/{key}"), value);
            let r = run_following(&mut ev, &mut xs, &a, &mut out, &mut Progress::off(), Follower::sleeper());
            let f = r.unwrap_err();
            assert_eq!(f.exit, Exit::Timeout);
            assert!(f.message.contains(why), "{}", f.message);
        }
    }

    fn tail(why: &str) -> &'static str {
        if why.starts_with("it is suspending") {
            "; --follow waits for it)"
        } else if why.starts_with("it is being migrated") {
            "; --follow rebinds to the new domain)"
        } else {
            ""
        }
    }

    #[test]
    fn poweroff_is_not_followed() {
        let (mut ev, mut xs) = setup(2);
        xs.transport_mut().set(&format!("{OLD}/data/xenbell/leaving"), "poweroff");
        let pause: Pause<'_, FakeEvtchn, FakeStore> =
            Box::new(|_, _| panic!("must not wait for a guest that powers off"));
        let (r, _) = ping(&mut ev, &mut xs, &args(5, true), pause);
        let f = r.unwrap_err();
        assert_eq!(f.exit, Exit::Timeout);
        assert!(f.message.ends_with("it is shutting down (data/xenbell/leaving='poweroff')"), "{}", f.message);
    }

    #[test]
    fn a_guest_that_never_comes_back_ends_the_wait() {
        let (mut ev, mut xs) = setup(1);
        let conn =
            crate::guest::connect(&mut ev, &mut xs, &DomainSpec::Id(7), None, Duration::from_millis(5), false).unwrap();
        xs.transport_mut().nodes.retain(|k, _| !k.starts_with(OLD));
        let mut f = Follower::new(conn, Duration::ZERO, Box::new(|_, _| {}));
        let e = f.recover(&mut ev, &mut xs, Instant::now(), Duration::from_millis(5)).unwrap_err();
        assert_eq!(e.exit, Exit::Timeout);
        assert!(
            e.message.starts_with("domain 7 (xenbell) did not come back as 'xenbell' within 0 s (domain 7 (xenbell): no answer within 5 ms: the domain is gone"),
            "{}",
            e.message
        );
    }

    #[test]
    fn names_and_untrusted_text() {
        assert_eq!(base_name("xenbell--migratedaway"), "xenbell");
        assert_eq!(base_name("xenbell--incoming"), "xenbell");
        assert_eq!(base_name("xenbell"), "xenbell");
    }
}
