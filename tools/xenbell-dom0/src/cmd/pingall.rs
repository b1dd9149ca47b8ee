//! `ping --ports all|P1,P2,...`: one ping on every port a guest started with
//! `ports=K` offers (`data/xenbell/ports/<i>`, i = 0, 1, ... until the first
//! missing key), or on the listed ones among them.
//!
//! In batches of [`BATCH`] ports: bind each, drain the bind-time events,
//! notify each once, then wait until every port of the batch has answered
//! (or `--timeout-ms` passed with none arriving), and unbind them. No
//! session handshake: the guest answers every event on these ports from its
//! upcall. Exit 5 if the guest published no `ports/0`, 6 if a bind is
//! refused, 7 if a port never answered (the message names the first ones).

use std::collections::BTreeSet;
use std::io::Write;
use std::time::Instant;

use xenbell_proto::xenstore::PORTS_DIR;

use crate::channel::EventChannel;
use crate::cli::{PingAllArgs, PortsSpec};
use crate::cmd::say;
use crate::domain::{locate, store_failure, Domain};
use crate::failure::{Exit, Failure};
use crate::guest::{bind, event_failure, key_path, parse_port};
use crate::xenbus::{Transport, Xenbus};

/// Ports bound at a time (each takes one of our local ports).
pub const BATCH: usize = 1024;

/// The ports listed under `ports/`, in index order.
fn published<T: Transport>(xs: &mut Xenbus<T>, dom: &Domain) -> Result<Vec<u32>, Failure> {
    let mut ports = Vec::new();
    loop {
        let path = key_path(dom.id, &format!("{PORTS_DIR}/{}", ports.len()));
        let Some(text) = xs.read_text(&path).map_err(|e| store_failure(&path, "read", e))? else { break };
        let port = parse_port(&text).ok_or_else(|| {
            Failure::new(
                Exit::NoPort,
                format!("{path}: bad port {} published by {}", echo::echo(&text), dom.describe()),
            )
        })?;
        ports.push(port);
    }
    if ports.is_empty() {
        return Err(Failure::new(
            Exit::NoPort,
            format!("{}: no {PORTS_DIR}/0: not started with ports=K (K > 1)?", dom.describe()),
        ));
    }
    Ok(ports)
}

pub fn run<E: EventChannel, T: Transport>(
    ev: &mut E,
    xs: &mut Xenbus<T>,
    args: &PingAllArgs,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let dom = locate(xs, &args.domain, None)?;
    let mut ports = published(xs, &dom)?;
    if let PortsSpec::List(wanted) = &args.ports {
        if let Some(p) = wanted.iter().find(|p| !ports.contains(p)) {
            return Err(Failure::new(
                Exit::NoPort,
                format!(
                    "{} port {p}: not among the {} ports it publishes under {PORTS_DIR}/",
                    dom.describe(),
                    ports.len()
                ),
            ));
        }
        ports.retain(|p| wanted.contains(p));
    }
    let start = Instant::now();
    let mut answered = 0usize;
    for batch in ports.chunks(BATCH) {
        let mut locals = Vec::with_capacity(batch.len());
        let result = ping_batch(ev, &dom, batch, args, &mut locals);
        for &(local, _) in &locals {
            let _ = ev.unbind(local);
        }
        answered += result?;
    }
    let ms = start.elapsed().as_millis();
    let (low, high) = (ports.iter().min().copied().unwrap_or(0), ports.iter().max().copied().unwrap_or(0));
    if args.json {
        say(
            out,
            &format!(r#"{{"ports":{},"answered":{answered},"lowest":{low},"highest":{high},"ms":{ms}}}"#, ports.len()),
        );
    } else {
        say(
            out,
            &format!(
                "{}: {answered} of {} ports answered (ports {low}..={high}) in {ms} ms",
                dom.describe(),
                ports.len()
            ),
        );
    }
    Ok(())
}

/// Binds, drains, pings and awaits one batch; `locals` gets (local, remote)
/// for every bind made, so the caller unbinds them whatever happens.
fn ping_batch<E: EventChannel>(
    ev: &mut E,
    dom: &Domain,
    batch: &[u32],
    args: &PingAllArgs,
    locals: &mut Vec<(u32, u32)>,
) -> Result<usize, Failure> {
    for &port in batch {
        locals.push((bind(ev, dom, port)?, port));
    }
    // The bind-time events: one per new local port, each consumed once.
    let mut draining: BTreeSet<u32> = locals.iter().map(|l| l.0).collect();
    while !draining.is_empty() {
        match ev.wait(args.timeout).map_err(event_failure)? {
            Some(local) => {
                ev.unmask(local).map_err(event_failure)?;
                draining.remove(&local);
            }
            None => break, // nothing lost: a late bind event counts as nothing below
        }
    }
    let mut waiting: BTreeSet<u32> = BTreeSet::new();
    for &(local, _) in locals.iter() {
        ev.notify(local).map_err(event_failure)?;
        waiting.insert(local);
    }
    while !waiting.is_empty() {
        match ev.wait(args.timeout).map_err(event_failure)? {
            Some(local) => {
                ev.unmask(local).map_err(event_failure)?;
                waiting.remove(&local);
            }
            None => {
                let missing: Vec<String> =
                    locals.iter().filter(|l| waiting.contains(&l.0)).take(8).map(|l| l.1.to_string()).collect();
                return Err(Failure::new(
                    Exit::Timeout,
                    format!(
                        "{}: {} of {} ports did not answer within {} ms (ports {}{})",
                        dom.describe(),
                        waiting.len(),
                        batch.len(),
                        args.timeout.as_millis(),
                        missing.join(", "),
                        if waiting.len() > missing.len() { ", ..." } else { "" }
                    ),
                ));
            }
        }
    }
    Ok(batch.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::DomainSpec;
    use crate::fakes::{FakeEvtchn, FakeStore, Peer};
    use std::time::Duration;

    fn store(n: u32) -> FakeStore {
        let mut store = FakeStore::new().with_domain(7, "xenbell");
        for i in 0..n {
            store.set(&format!("/local/domain/7/data/xenbell/ports/{i}"), &format!("{}", 4000 + i));
        }
        store
    }

    fn args() -> PingAllArgs {
        PingAllArgs { domain: DomainSpec::Id(7), ports: PortsSpec::All, timeout: Duration::from_millis(5), json: true }
    }

    #[test]
    fn every_published_port_is_bound_pinged_and_unbound() {
        let (mut ev, mut xs) = (FakeEvtchn::new(Peer::Server { answers: u64::MAX }), Xenbus::new(store(1500)));
        let mut out = Vec::new();
        run(&mut ev, &mut xs, &args(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(r#"{"ports":1500,"answered":1500,"lowest":4000,"highest":5499,"ms":"#), "{text}");
        let remote: Vec<u32> = ev.binds.iter().map(|b| b.2).collect();
        assert_eq!(remote, (4000..5500).collect::<Vec<_>>());
        assert_eq!((ev.notifies, ev.unbound.len()), (1500, 1500));
    }

    #[test]
    fn a_silent_port_is_exit_7_naming_it() {
        // Answers only the first 10 pings.
        let (mut ev, mut xs) = (FakeEvtchn::new(Peer::Server { answers: 10 }), Xenbus::new(store(12)));
        let e = run(&mut ev, &mut xs, &args(), &mut Vec::new()).unwrap_err();
        assert_eq!(e.exit, Exit::Timeout, "{e:?}");
        assert!(
            e.message.contains("2 of 12 ports did not answer") && e.message.contains("4010, 4011"),
            "{}",
            e.message
        );
        assert_eq!(ev.unbound.len(), 12);
    }

    #[test]
    fn no_ports_key_is_exit_5() {
        let (mut ev, mut xs) = (FakeEvtchn::new(Peer::Silent), Xenbus::new(store(0)));
        let e = run(&mut ev, &mut xs, &args(), &mut Vec::new()).unwrap_err();
        assert_eq!(e.exit, Exit::NoPort);
    }
}
