//! The xenbell protocol with the guest (docs/protocol.md): its
//! published port and state keys, binding to the port, draining the bind
//! event, and the session handshake (XenBus states, xen/include/public/io/
//! xenbus.h): we write `peer-state` = 3 after binding and wait for the
//! guest's `guest-state` = 4; when done 5, unbind, 6, and wait for
//! guest-state to leave 4. A guest without `guest-state` (an older xenbell)
//! gets no handshake (legacy).

use std::time::{Duration, Instant};
use xenbell_proto::xenstore::xenbus_state as xb;

use xen_abi::evtchn::PortState;

use crate::channel::{EventChannel, OpError};
use crate::cli::DomainSpec;
use crate::domain::{home, locate, store_failure, Domain};
use crate::failure::{Exit, Failure};
use crate::xenbus::{Transport, Xenbus};

/// The guest's keys (relative to its home): docs/protocol.md.
pub use xenbell_proto::xenstore::{
    GUEST_STATE as GUEST_STATE_KEY, LEAVING as LEAVING_KEY, PEER_STATE as PEER_STATE_KEY, PORT as PORT_KEY,
    STATE as STATE_KEY,
};
/// How long the guest may take to open or close a session: more than one
/// of its own xenstore requests may take (5 s, then it gives up), since the
/// guest can be inside one (say, after xenstored stalled) when our request
/// comes.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(12);
const WATCH_TOKEN: &str = "xenbell-dom0";

/// `/local/domain/<id>/<key>`.
pub fn key_path(domid: u32, key: &str) -> String {
    format!("{}/{key}", home(domid))
}

/// A port number as written in xenstore; port 0 is never allocated.
pub fn parse_port(text: &str) -> Option<u32> {
    text.trim().parse::<u32>().ok().filter(|&p| p != 0)
}

/// The port to bind: `--port` if given, else the guest's published one
/// (exit 5 if it is missing or malformed).
pub fn remote_port<T: Transport>(xs: &mut Xenbus<T>, dom: &Domain, given: Option<u32>) -> Result<u32, Failure> {
    if let Some(port) = given {
        return Ok(port);
    }
    let path = key_path(dom.id, PORT_KEY);
    match xs.read_text(&path).map_err(|e| store_failure(&path, "read", e))? {
        None => Err(Failure::new(
            Exit::NoPort,
            format!("domain {} has not published {PORT_KEY}: is xenbell running?", dom.id),
        )),
        Some(text) => parse_port(&text).ok_or_else(|| {
            let text = echo::echo(&text);
            Failure::new(Exit::NoPort, format!("domain {} published a bad port {text} at {PORT_KEY}", dom.id))
        }),
    }
}

/// The guest's state key, if present.
pub fn state<T: Transport>(xs: &mut Xenbus<T>, domid: u32) -> Result<Option<String>, Failure> {
    let path = key_path(domid, STATE_KEY);
    xs.read_text(&path).map_err(|e| store_failure(&path, "read", e))
}

/// Binds to `port` of `dom`; a refusal is exit 6 with the reason (exit 4
/// if the domain does not exist: ESRCH, from a `--domain <id> --port` that
/// nothing looked up before). Xen says
/// only EINVAL for "no such port", "already bound" and "offered to another
/// domain", so the port's state is asked for (EVTCHNOP_status) to tell which.
pub fn bind<E: EventChannel>(ev: &mut E, dom: &Domain, port: u32) -> Result<u32, Failure> {
    let e = match ev.bind_interdomain(dom.id, port) {
        Ok(local) => return Ok(local),
        Err(e) => e,
    };
    let subject = format!("{} port {port}", dom.describe());
    if e.errno() == Some(libc::ESRCH) {
        return Err(Failure::new(Exit::NoDomain, format!("{subject}: cannot bind: no such domain ({})", e.source)));
    }
    let why = match e.errno() {
        Some(libc::EINVAL) => why_invalid(ev, dom, port),
        Some(libc::EPERM) | Some(libc::EACCES) => "not permitted".to_string(),
        Some(libc::EBUSY) => "busy".to_string(),
        _ => "refused".to_string(),
    };
    Err(Failure::new(Exit::BindRefused, format!("{subject}: cannot bind: {why} ({})", e.source)))
}

/// Why Xen refused a bind with EINVAL, from what it says about the port now.
fn why_invalid<E: EventChannel>(ev: &mut E, dom: &Domain, port: u32) -> String {
    match ev.remote_port_state(dom.id, port) {
        Some(Ok(PortState::Interdomain {
            remote,
            remote_port,
        })) => format!(
            "it is already bound, by domain {remote} port {remote_port}; only one peer at a time (is another xenbell-dom0 running?)"
        ),
        Some(Ok(PortState::Unbound { remote })) => format!(
            "it is offered to domain {remote}, not to us (the guest's remote= says who may bind it)"
        ),
        Some(Ok(PortState::Closed)) => {
            "the domain has no such port open (closed; a stale --port or published port?)".to_string()
        }
        Some(Ok(other)) => format!("it is a {other} port, not one offered for binding"),
        Some(Err(e)) if e.errno() == Some(libc::EINVAL) => {
            "the domain has no such port (never allocated; a wrong --port?)".to_string()
        }
        _ => "not offered to this domain, already bound, or closed".to_string(),
    }
}

/// Consumes the event Xen raises on a freshly bound local port (always, see
/// docs/protocol.md) so it is not mistaken for the peer's first message.
/// Returns false if it did not come within `timeout` (then nothing is lost:
/// the next event is the peer's).
pub fn drain_bind_event<E: EventChannel>(ev: &mut E, local: u32, timeout: Duration) -> Result<bool, Failure> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match ev.wait(left).map_err(event_failure)? {
            Some(port) => {
                ev.unmask(port).map_err(event_failure)?;
                if port == local {
                    return Ok(true);
                }
            }
            None => return Ok(false),
        }
    }
}

/// A bound connection to a guest's published port.
pub struct Connection {
    pub dom: Domain,
    /// The guest's port.
    pub port: u32,
    /// Our end.
    pub local: u32,
    /// The guest speaks the session handshake (it has `guest-state`).
    pub handshake: bool,
}

/// What `ping`, `serve` and `flood` all start with: find the domain, its
/// port (`port` or the published one), bind it, drain the bind event, and
/// open a session if the guest speaks the handshake (and `legacy` is not
/// asked for). A numeric domain with an explicit port is "talk to this port
/// directly": nothing is looked up and no handshake is made, so it works
/// with xenstored stopped (the guest then keeps a legacy session).
pub fn connect<E: EventChannel, T: Transport>(
    ev: &mut E,
    xs: &mut Xenbus<T>,
    domain: &DomainSpec,
    port: Option<u32>,
    timeout: Duration,
    legacy: bool,
) -> Result<Connection, Failure> {
    let direct = port.is_some() && matches!(domain, DomainSpec::Id(_));
    let dom = locate(xs, domain, port)?;
    let port = remote_port(xs, &dom, port)?;
    let handshake = !legacy && !direct && read_key(xs, dom.id, GUEST_STATE_KEY)?.is_some();
    if handshake {
        let path = key_path(dom.id, GUEST_STATE_KEY);
        xs.watch(&path, WATCH_TOKEN).map_err(|e| store_failure(&path, "watch", e))?;
    }
    let local = bind(ev, &dom, port)?;
    let conn = Connection { dom, port, local, handshake };
    let opened = drain_bind_event(ev, local, timeout).and_then(|_| match handshake {
        true => open_session(xs, &conn.dom),
        false => Ok(()),
    });
    if let Err(f) = opened {
        let _ = ev.unbind(local);
        return Err(f);
    }
    Ok(conn)
}

fn read_key<T: Transport>(xs: &mut Xenbus<T>, domid: u32, key: &str) -> Result<Option<String>, Failure> {
    let path = key_path(domid, key);
    xs.read_text(&path).map_err(|e| store_failure(&path, "read", e))
}

fn write_key<T: Transport>(xs: &mut Xenbus<T>, domid: u32, key: &str, value: &str) -> Result<(), Failure> {
    let path = key_path(domid, key);
    xs.write(&path, value.as_bytes()).map_err(|e| store_failure(&path, "write", e))
}

/// Waits (by watch events, up to `timeout`) until the guest's state
/// satisfies `done`; returns the state then, or `None` on timeout.
fn wait_guest_state<T: Transport>(
    xs: &mut Xenbus<T>,
    domid: u32,
    timeout: Duration,
    done: impl Fn(Option<&str>) -> bool,
) -> Result<Option<Option<String>>, Failure> {
    let deadline = Instant::now() + timeout;
    loop {
        let state = read_key(xs, domid, GUEST_STATE_KEY)?;
        if done(state.as_deref()) {
            return Ok(Some(state));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let event = xs
            .next_watch_event(left)
            .map_err(|e| store_failure(&key_path(domid, GUEST_STATE_KEY), "wait for a watch event on", e))?;
        if event.is_none() {
            return Ok(None);
        }
    }
}

/// Asks the guest for a session (peer-state 3) and waits for it (guest-state
/// 4). A guest that still has one open (its previous peer died without a
/// goodbye) is told that one is over first (6): every session then starts
/// with a change of peer-state the guest cannot miss.
/// Watches the guest's `guest-state` (the handshake waits on its changes).
pub fn watch_guest_state<T: Transport>(xs: &mut Xenbus<T>, domid: u32) -> Result<(), Failure> {
    let path = key_path(domid, GUEST_STATE_KEY);
    xs.watch(&path, WATCH_TOKEN).map_err(|e| store_failure(&path, "watch", e))
}

pub fn open_session<T: Transport>(xs: &mut Xenbus<T>, dom: &Domain) -> Result<(), Failure> {
    let ms = HANDSHAKE_TIMEOUT.as_millis();
    let state = read_key(xs, dom.id, GUEST_STATE_KEY)?;
    if state.as_deref() == Some(xb::CONNECTED) {
        write_key(xs, dom.id, PEER_STATE_KEY, xb::CLOSED)?;
        if wait_guest_state(xs, dom.id, HANDSHAKE_TIMEOUT, |s| s != Some(xb::CONNECTED))?.is_none() {
            return Err(Failure::new(
                Exit::Timeout,
                format!("{} kept its previous session open for {ms} ms after we closed it", dom.describe()),
            ));
        }
    }
    write_key(xs, dom.id, PEER_STATE_KEY, xb::INITIALISED)?;
    match wait_guest_state(xs, dom.id, HANDSHAKE_TIMEOUT, |s| matches!(s, Some(xb::CONNECTED | xb::CLOSING) | None))? {
        Some(Some(s)) if s == xb::CONNECTED => Ok(()),
        Some(_) => Err(leaving_failure(xs, dom)),
        None => Err(Failure::new(Exit::Timeout, format!("{} did not open a session within {ms} ms", dom.describe()))),
    }
}

/// Ends the session: 5, unbind, 6, then waits (bounded) for the guest to
/// close its side, so that the next peer finds it ready. Best effort: the
/// command's own result is what counts.
pub fn close_session<E: EventChannel, T: Transport>(ev: &mut E, xs: &mut Xenbus<T>, conn: &Connection) {
    if !conn.handshake {
        let _ = ev.unbind(conn.local);
        return;
    }
    let _ = write_key(xs, conn.dom.id, PEER_STATE_KEY, xb::CLOSING);
    let _ = ev.unbind(conn.local);
    let _ = write_key(xs, conn.dom.id, PEER_STATE_KEY, xb::CLOSED);
    let _ = wait_guest_state(xs, conn.dom.id, HANDSHAKE_TIMEOUT, |s| s != Some(xb::CONNECTED));
}

/// Whether the guest said it is leaving (guest-state 5), looking only at
/// watch events already arrived (no request unless one did): cheap enough
/// for every quiet moment of a run.
pub fn guest_leaving<T: Transport>(xs: &mut Xenbus<T>, conn: &Connection) -> Option<Failure> {
    if !conn.handshake {
        return None;
    }
    let mut seen = false;
    while let Ok(Some(_)) = xs.next_watch_event(Duration::ZERO) {
        seen = true;
    }
    let leaving = seen && matches!(read_key(xs, conn.dom.id, GUEST_STATE_KEY), Ok(Some(s)) if s == xb::CLOSING);
    leaving.then(|| leaving_failure(xs, &conn.dom))
}

/// The guest left (guest-state 5, or its home is gone): exit 7, saying why.
pub fn leaving_failure<T: Transport>(xs: &mut Xenbus<T>, dom: &Domain) -> Failure {
    let message = match read_key(xs, dom.id, LEAVING_KEY) {
        Ok(Some(why)) => {
            let why: String = why.chars().take(32).collect();
            format!("{} shut down (leaving={why:?}): the session is over", dom.describe())
        }
        _ => format!("{} is leaving or gone: the session is over", dom.describe()),
    };
    Failure::new(Exit::Timeout, message)
}

/// Whether the guest left, from its keys (for a run that stopped).
pub fn has_left<T: Transport>(xs: &mut Xenbus<T>, conn: &Connection) -> bool {
    conn.handshake && matches!(read_key(xs, conn.dom.id, GUEST_STATE_KEY), Ok(Some(s)) if s == xb::CLOSING)
}

/// An event-channel operation failed after binding: the peer is gone or the
/// device broke; exit 7.
pub fn event_failure(e: OpError) -> Failure {
    Failure::new(Exit::Timeout, format!("{e}: peer gone?"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{FakeEvtchn, FakeStore, Peer};

    fn dom7() -> Domain {
        Domain { id: 7, name: Some("xenbell".into()) }
    }

    #[test]
    fn published_port() {
        let mut fake = FakeStore::new().with_domain(7, "xenbell");
        fake.set("/local/domain/7/data/xenbell/port", "5\n");
        let mut xs = Xenbus::new(fake);
        assert_eq!(remote_port(&mut xs, &dom7(), None), Ok(5));
        assert_eq!(remote_port(&mut xs, &dom7(), Some(9)), Ok(9));
    }

    #[test]
    fn missing_or_bad_port_is_exit_5() {
        let mut xs = Xenbus::new(FakeStore::new().with_domain(7, "xenbell"));
        let f = remote_port(&mut xs, &dom7(), None).unwrap_err();
        assert_eq!(f, Failure::new(Exit::NoPort, "domain 7 has not published data/xenbell/port: is xenbell running?"));
        for bad in ["", "0", "-1", "five", "99999999999"] {
            xs.transport_mut().set("/local/domain/7/data/xenbell/port", bad);
            assert_eq!(remote_port(&mut xs, &dom7(), None).unwrap_err().exit, Exit::NoPort, "{bad:?}");
        }
    }

    #[test]
    fn refused_bind_is_exit_6() {
        let mut ev = FakeEvtchn::new(Peer::Silent);
        ev.refuse_bind = Some(libc::EINVAL);
        let f = bind(&mut ev, &dom7(), 5).unwrap_err();
        assert_eq!(f.exit, Exit::BindRefused);
        assert!(
            f.message.starts_with("domain 7 (xenbell) port 5: cannot bind: not offered to this domain"),
            "{}",
            f.message
        );
    }

    #[test]
    fn refused_bind_says_why_from_the_port_state() {
        let cases: [(Result<PortState, i32>, &str); 5] = [
            (
                Ok(PortState::Interdomain { remote: 0, remote_port: 18 }),
                "it is already bound, by domain 0 port 18; only one peer at a time",
            ),
            (
                Ok(PortState::Unbound { remote: 3 }),
                "it is offered to domain 3, not to us (the guest's remote= says who may bind it)",
            ),
            (Ok(PortState::Closed), "the domain has no such port open"),
            (Err(libc::EINVAL), "the domain has no such port (never allocated"),
            (Ok(PortState::Virq(1)), "it is a virq 1 port, not one offered"),
        ];
        for (state, why) in cases {
            let mut ev = FakeEvtchn::new(Peer::Silent);
            ev.refuse_bind = Some(libc::EINVAL);
            ev.remote_state = Some(state);
            let f = bind(&mut ev, &dom7(), 5).unwrap_err();
            assert_eq!(f.exit, Exit::BindRefused);
            let want = format!("domain 7 (xenbell) port 5: cannot bind: {why}");
            assert!(f.message.starts_with(&want), "{}", f.message);
        }
    }

    #[test]
    fn bind_to_a_domain_that_does_not_exist_is_exit_4() {
        let mut ev = FakeEvtchn::new(Peer::Silent);
        ev.refuse_bind = Some(libc::ESRCH);
        let f = bind(&mut ev, &Domain { id: 77, name: None }, 5).unwrap_err();
        assert_eq!(f.exit, Exit::NoDomain);
        assert!(f.message.starts_with("domain 77 port 5: cannot bind: no such domain ("), "{}", f.message);
    }

    #[test]
    fn drains_the_bind_event_only() {
        let mut ev = FakeEvtchn::new(Peer::Server { answers: 1 });
        let local = bind(&mut ev, &dom7(), 5).unwrap();
        assert_eq!(drain_bind_event(&mut ev, local, Duration::from_millis(10)), Ok(true));
        assert_eq!(ev.unmasks, 1);
        assert_eq!(drain_bind_event(&mut ev, local, Duration::from_millis(10)), Ok(false));
    }
}
