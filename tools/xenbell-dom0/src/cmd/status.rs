//! `status`: what xenstore and Xen say about a guest's xenbell port.

use std::io::Write;

use crate::channel::OpError;
use crate::cli::StatusArgs;
use crate::cmd::{say, say_json};
use crate::domain::resolve;
use crate::failure::Failure;
use crate::guest::{key_path, parse_port, state, PORT_KEY};
use serde::Serialize;
use xen_abi::evtchn::PortState;
use xen_abi::xen::DomId;
use xen_abi::Port;

use crate::privcmd::Privcmd;
use crate::xenbus::{Transport, Xenbus};

/// Asks Xen about a port of another domain (EVTCHNOP_status).
pub trait PortQuery {
    fn port_state(&mut self, dom: DomId, port: Port) -> Result<PortState, OpError>;
}

impl PortQuery for Privcmd {
    fn port_state(&mut self, dom: DomId, port: Port) -> Result<PortState, OpError> {
        self.evtchn_status(dom, port)
    }
}

/// `status --json`'s object; `null` where xenstore has nothing (or, for
/// `evtchn`, where there is no valid port to ask Xen about).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatusJson {
    pub domid: u32,
    pub name: Option<String>,
    /// The published port, if it is one.
    pub port: Option<u32>,
    /// `data/xenbell/port` as published (also when it is not a port).
    pub port_text: Option<String>,
    pub state: Option<String>,
    /// Xen's word on the port (EVTCHNOP_status), or `unknown (why)`.
    pub evtchn: Option<String>,
}

/// `query` is `Err(reason)` when there is no way to ask Xen (no privcmd).
pub fn run<T: Transport>(
    xs: &mut Xenbus<T>,
    args: &StatusArgs,
    query: Result<&mut dyn PortQuery, String>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let dom = resolve(xs, &args.domain)?;
    let port_path = key_path(dom.id, PORT_KEY);
    let port_text = xs.read_text(&port_path).map_err(|e| crate::domain::store_failure(&port_path, "read", e))?;
    let port = port_text.as_deref().and_then(parse_port);
    let state = state(xs, dom.id)?;
    let evtchn = port.map(|port| match (query, DomId::try_from(dom.id), Port::new(port)) {
        (Err(why), _, _) => format!("unknown ({why})"),
        (Ok(_), Err(_), _) => format!("unknown (domain id {} does not fit a domid_t)", dom.id),
        (Ok(_), _, Err(e)) => format!("unknown ({e})"),
        (Ok(q), Ok(dom), Ok(port)) => match q.port_state(dom, port) {
            Ok(s) => s.to_string(),
            Err(e) => format!("unknown ({e})"),
        },
    });
    if args.json {
        let json = StatusJson { domid: dom.id, name: dom.name.clone(), port, port_text, state, evtchn };
        say_json(out, &json);
        return Ok(());
    }
    say(out, &dom.describe());
    match (&port_text, port) {
        (None, _) => say(out, &format!("port: none ({PORT_KEY} not published)")),
        (Some(text), None) => say(out, &format!("port: invalid {}", echo::echo(text))),
        (Some(_), Some(p)) => say(out, &format!("port: {p}")),
    }
    say(out, &format!("state: {}", state.as_deref().unwrap_or("none")));
    if let Some(line) = evtchn {
        say(out, &format!("evtchn: {line}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::DomainSpec;
    use crate::fakes::FakeStore;

    struct Says(PortState);
    impl PortQuery for Says {
        fn port_state(&mut self, _: DomId, _: Port) -> Result<PortState, OpError> {
            Ok(self.0)
        }
    }

    fn output_as(store: FakeStore, query: Result<&mut dyn PortQuery, String>, json: bool) -> String {
        let mut out = Vec::new();
        let args = StatusArgs { domain: DomainSpec::Name("xenbell".into()), json };
        run(&mut Xenbus::new(store), &args, query, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn output(store: FakeStore, query: Result<&mut dyn PortQuery, String>) -> String {
        output_as(store, query, false)
    }

    #[test]
    fn json_is_one_object_with_nulls_for_absent() {
        let mut store = FakeStore::new().with_domain(7, "xenbell");
        store.set("/local/domain/7/data/xenbell/port", "5");
        store.set("/local/domain/7/data/xenbell/state", "connected");
        let mut q = Says(PortState::Unbound { remote: 0 });
        let text = output_as(store, Ok(&mut q), true);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert_eq!(v["domid"], 7);
        assert_eq!(v["name"], "xenbell");
        assert_eq!(v["port"], 5);
        assert_eq!(v["state"], "connected");
        assert_eq!(v["evtchn"], PortState::Unbound { remote: 0 }.to_string());
        let store = FakeStore::new().with_domain(7, "xenbell\n\u{1b}");
        let mut out = Vec::new();
        let args = StatusArgs { domain: DomainSpec::Id(7), json: true };
        run(&mut Xenbus::new(store), &args, Err("no privcmd".into()), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "{\"domid\":7,\"name\":\"xenbell\\n\\u001b\",\"port\":null,\"port_text\":null,\"state\":null,\"evtchn\":null}\n"
        );
    }

    #[test]
    fn published_and_bound() {
        let mut store = FakeStore::new().with_domain(7, "xenbell");
        store.set("/local/domain/7/data/xenbell/port", "5");
        store.set("/local/domain/7/data/xenbell/state", "connected");
        let mut q = Says(PortState::Interdomain { remote: 0, remote_port: 41 });
        assert_eq!(
            output(store, Ok(&mut q)),
            "domain 7 (xenbell)\nport: 5\nstate: connected\nevtchn: interdomain (connected to domain 0 port 41)\n"
        );
    }

    #[test]
    fn nothing_published() {
        let store = FakeStore::new().with_domain(7, "xenbell");
        assert_eq!(
            output(store, Err("no /dev/xen/privcmd".into())),
            "domain 7 (xenbell)\nport: none (data/xenbell/port not published)\nstate: none\n"
        );
    }

    #[test]
    fn no_privcmd() {
        let mut store = FakeStore::new().with_domain(7, "xenbell");
        store.set("/local/domain/7/data/xenbell/port", "x");
        assert!(output(store, Err("x".into())).contains("port: invalid 'x'\n"));
    }
}
