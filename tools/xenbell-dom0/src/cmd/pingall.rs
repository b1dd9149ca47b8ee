//! `ping --ports all|P1,P2,...`: `--rounds N` ping-pong rounds on every port
//! a guest started with `ports=K` offers (`data/xenbell/ports/<i>`, i = 0, 1,
//! ... until the first missing key), or on the listed ones among them.
//!
//! In batches of [`BATCH`] ports: bind each, drain the bind-time events (never
//! counted as answers), then play every port of the batch at once in one event
//! loop: notify each, and whenever a port answers, record its round trip
//! (`Instant`, into a [`latency::Histogram`] per port) and notify it again
//! until it has N answers. A port unanswered for `--timeout-ms` is given up
//! (silent); the others play on. Then the ports are unbound. No session
//! handshake: the guest answers every event on these ports, on the same port.
//!
//! Prints one report per port (index order), then a summary with the total
//! rounds per second (over the whole run, binds included). Exit 5 if the guest
//! published no `ports/0` (or a listed port is not among them), 6 if a bind is
//! refused, 7 if a port went silent (the message names the first ones and
//! their answered rounds; the reports are printed first, no later batch runs).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::io::Write;
use std::time::{Duration, Instant};

use latency::Histogram;
use serde::Serialize;
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

/// Silent ports named in the exit-7 message.
const NAMED: usize = 8;

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

/// One port's outcome. Round trips in microseconds, one decimal; `None`
/// when no round was answered.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PortReport {
    /// `i` of `data/xenbell/ports/<i>`.
    pub index: usize,
    pub port: u32,
    /// Rounds asked for (`--rounds`).
    pub rounds: u32,
    pub answered: u32,
    pub p50_us: Option<f64>,
    pub p99_us: Option<f64>,
}

impl PortReport {
    /// `port <p> (ports/<i>): rounds=<n> answered=<a> p50_us=<x> p99_us=<y>`
    /// (`-` for a percentile of no rounds).
    fn to_line(&self) -> String {
        let us = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"));
        format!(
            "port {} (ports/{}): rounds={} answered={} p50_us={} p99_us={}",
            self.port,
            self.index,
            self.rounds,
            self.answered,
            us(self.p50_us),
            us(self.p99_us)
        )
    }
}

/// `ping --ports --json`'s object; field order is the interface
/// (docs/protocol.md): today's five keys first, as scenarios grep them.
#[derive(Serialize)]
struct Report<'a> {
    /// Ports selected.
    ports: usize,
    /// Ports that answered all `rounds`.
    answered: usize,
    lowest: u32,
    highest: u32,
    /// The whole run, binds included.
    ms: u128,
    /// Rounds per port.
    rounds: u32,
    /// Answers over all ports.
    total_rounds: u64,
    rounds_per_s: f64,
    per_port: &'a [PortReport],
}

pub fn run<E: EventChannel, T: Transport>(
    ev: &mut E,
    xs: &mut Xenbus<T>,
    args: &PingAllArgs,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let dom = locate(xs, &args.domain, None)?;
    let mut ports: Vec<(usize, u32)> = published(xs, &dom)?.into_iter().enumerate().collect();
    if let PortsSpec::List(wanted) = &args.ports {
        if let Some(p) = wanted.iter().find(|p| !ports.iter().any(|q| q.1 == **p)) {
            return Err(Failure::new(
                Exit::NoPort,
                format!(
                    "{} port {p}: not among the {} ports it publishes under {PORTS_DIR}/",
                    dom.describe(),
                    ports.len()
                ),
            ));
        }
        ports.retain(|p| wanted.contains(&p.1));
    }
    let start = Instant::now();
    let mut reports = Vec::with_capacity(ports.len());
    let mut silent = None;
    for batch in ports.chunks(BATCH) {
        let mut slots = Vec::with_capacity(batch.len());
        let result = ping_batch(ev, &dom, batch, args, &mut slots);
        for slot in &slots {
            let _ = ev.unbind(slot.local);
        }
        result?;
        reports.extend(slots.iter().map(|s| s.report(args.rounds)));
        if slots.iter().any(|s| s.silent) {
            silent = Some(silent_failure(&dom, &slots, args));
            break;
        }
    }
    let elapsed = start.elapsed();
    let (low, high) = (ports.iter().map(|p| p.1).min().unwrap_or(0), ports.iter().map(|p| p.1).max().unwrap_or(0));
    let answered = reports.iter().filter(|r| r.answered == args.rounds).count();
    let total: u64 = reports.iter().map(|r| u64::from(r.answered)).sum();
    let secs = elapsed.as_secs_f64();
    let per_s = if secs > 0.0 { one_decimal(total as f64 / secs) } else { 0.0 };
    let ms = elapsed.as_millis();
    if args.json {
        let report = Report {
            ports: ports.len(),
            answered,
            lowest: low,
            highest: high,
            ms,
            rounds: args.rounds,
            total_rounds: total,
            rounds_per_s: per_s,
            per_port: &reports,
        };
        say(out, &crate::json::text(&report));
    } else {
        for r in &reports {
            say(out, &r.to_line());
        }
        say(
            out,
            &format!(
                "{}: {answered} of {} ports answered (ports {low}..={high}), {total} rounds in {ms} ms: {per_s:.1} rounds/s",
                dom.describe(),
                ports.len()
            ),
        );
    }
    silent.map_or(Ok(()), Err)
}

fn one_decimal(x: f64) -> f64 {
    if x.is_finite() {
        (x * 10.0).round() / 10.0
    } else {
        0.0
    }
}

/// ns to microseconds, one decimal.
fn micros(ns: u64) -> f64 {
    (ns as f64 / 100.0).round() / 10.0
}

/// One port of a batch while it plays.
struct Slot {
    index: usize,
    remote: u32,
    local: u32,
    answered: u32,
    /// When the outstanding notify went out; `None` when none is (done or silent).
    sent: Option<Instant>,
    /// Given up: unanswered for `--timeout-ms`.
    silent: bool,
    /// Round trips in ns (boxed: 15 KiB each).
    rtt: Box<Histogram>,
}

impl Slot {
    fn report(&self, rounds: u32) -> PortReport {
        PortReport {
            index: self.index,
            port: self.remote,
            rounds,
            answered: self.answered,
            p50_us: self.rtt.percentile(50).map(micros),
            p99_us: self.rtt.percentile(99).map(micros),
        }
    }
}

/// Exit 7 naming the first [`NAMED`] silent ports of `slots` and the rounds each got.
fn silent_failure(dom: &Domain, slots: &[Slot], args: &PingAllArgs) -> Failure {
    let silent: Vec<&Slot> = slots.iter().filter(|s| s.silent).collect();
    let named: Vec<String> = silent
        .iter()
        .take(NAMED)
        .map(|s| format!("{} after {} of {} rounds", s.remote, s.answered, args.rounds))
        .collect();
    Failure::new(
        Exit::Timeout,
        format!(
            "{}: {} of {} ports did not answer within {} ms (ports {}{})",
            dom.describe(),
            silent.len(),
            slots.len(),
            args.timeout.as_millis(),
            named.join(", "),
            if silent.len() > named.len() { ", ..." } else { "" }
        ),
    )
}

/// Binds, drains and plays one batch of (index, port); `slots` gets every
/// bind made, so the caller unbinds them whatever happens. A silent port is
/// marked in its slot, not an error here.
fn ping_batch<E: EventChannel>(
    ev: &mut E,
    dom: &Domain,
    batch: &[(usize, u32)],
    args: &PingAllArgs,
    slots: &mut Vec<Slot>,
) -> Result<(), Failure> {
    for &(index, port) in batch {
        let local = bind(ev, dom, port)?;
        slots.push(Slot {
            index,
            remote: port,
            local,
            answered: 0,
            sent: None,
            silent: false,
            rtt: Box::new(Histogram::new()),
        });
    }
    let by_local: HashMap<u32, usize> = slots.iter().enumerate().map(|(i, s)| (s.local, i)).collect();
    drain(ev, &by_local, args.timeout)?;
    play(ev, slots, &by_local, args.rounds, args.timeout)
}

/// Consumes the bind-time events: one per new local port, each once, or until
/// `timeout` passes without one. Xen raises each new port during its bind, so
/// all are pending before this starts, and none is left to pass for an answer.
fn drain<E: EventChannel>(ev: &mut E, by_local: &HashMap<u32, usize>, timeout: Duration) -> Result<(), Failure> {
    let mut draining: BTreeSet<u32> = by_local.keys().copied().collect();
    while !draining.is_empty() {
        match ev.wait(timeout).map_err(event_failure)? {
            Some(local) => {
                ev.unmask(local).map_err(event_failure)?;
                draining.remove(&local);
            }
            None => break,
        }
    }
    Ok(())
}

/// Plays `rounds` rounds on every slot at once: notify each; on each answer
/// record the round trip and notify again until the slot has `rounds`
/// answers. Outstanding notifies wait in a queue in the order they were sent
/// (each slot has at most one, so its front is the oldest); once the front's
/// `timeout` has passed and no event is ready, that slot is given up.
/// An event on a slot with nothing outstanding (or on no slot) is unmasked
/// and not counted.
fn play<E: EventChannel>(
    ev: &mut E,
    slots: &mut [Slot],
    by_local: &HashMap<u32, usize>,
    rounds: u32,
    timeout: Duration,
) -> Result<(), Failure> {
    // (sent, slot, answers it had when sent): stale once the slot moved on.
    let mut queue: VecDeque<(Instant, usize, u32)> = VecDeque::with_capacity(slots.len());
    for (i, slot) in slots.iter_mut().enumerate() {
        let sent = Instant::now();
        ev.notify(slot.local).map_err(event_failure)?;
        slot.sent = Some(sent);
        queue.push_back((sent, i, slot.answered));
    }
    let mut playing = slots.len();
    while playing > 0 {
        while queue.front().is_some_and(|&(sent, i, n)| slots[i].sent != Some(sent) || slots[i].answered != n) {
            queue.pop_front();
        }
        let Some(&(sent, oldest, _)) = queue.front() else { break }; // cannot be: `playing` counts the queued
        let left = (sent + timeout).saturating_duration_since(Instant::now());
        let Some(local) = ev.wait(left).map_err(event_failure)? else {
            if Instant::now() >= sent + timeout {
                let slot = &mut slots[oldest];
                slot.sent = None;
                slot.silent = true;
                playing -= 1;
            }
            continue;
        };
        let now = Instant::now();
        // Unmask before the next notify, or the next answer stays masked.
        ev.unmask(local).map_err(event_failure)?;
        let Some(&i) = by_local.get(&local) else { continue };
        let slot = &mut slots[i];
        let Some(sent) = slot.sent.take() else { continue };
        slot.rtt.record(u64::try_from(now.duration_since(sent).as_nanos()).unwrap_or(u64::MAX));
        slot.answered += 1;
        if slot.answered < rounds {
            let sent = Instant::now();
            ev.notify(local).map_err(event_failure)?;
            slot.sent = Some(sent);
            queue.push_back((sent, i, slot.answered));
        } else {
            playing -= 1;
        }
    }
    Ok(())
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

    fn args(rounds: u32) -> PingAllArgs {
        PingAllArgs {
            domain: DomainSpec::Id(7),
            ports: PortsSpec::All,
            rounds,
            timeout: Duration::from_millis(5),
            json: true,
        }
    }

    fn json(out: Vec<u8>) -> serde_json::Value {
        serde_json::from_slice(&out).unwrap()
    }

    const PER_PORT: [&str; 6] = ["index", "port", "rounds", "answered", "p50_us", "p99_us"];

    /// The keys of a JSON text in the order written, up to the second
    /// object of `per_port` (serde_json's `Value` sorts them).
    fn keys_in_order(text: &str) -> Vec<&str> {
        let mut keys = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.find("\"") {
            let name = &rest[at + 1..];
            let end = name.find('"').unwrap();
            if name[end + 1..].starts_with(':') {
                keys.push(&name[..end]);
            }
            rest = &name[end + 1..];
            if keys.len() == 9 + 2 * PER_PORT.len() {
                break;
            }
        }
        keys
    }

    #[test]
    fn every_published_port_is_bound_pinged_and_unbound() {
        let (mut ev, mut xs) = (FakeEvtchn::new(Peer::Server { answers: u64::MAX }), Xenbus::new(store(1500)));
        let mut out = Vec::new();
        run(&mut ev, &mut xs, &args(1), &mut out).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        // Today's keys first, in today's order (a scenario greps them).
        assert!(text.starts_with(r#"{"ports":1500,"answered":1500,"lowest":4000,"highest":5499,"ms":"#), "{text}");
        let remote: Vec<u32> = ev.binds.iter().map(|b| b.2).collect();
        assert_eq!(remote, (4000..5500).collect::<Vec<_>>());
        // Two batches, the second bound only after the first was unbound.
        let first_local_of_batch_2 = ev.binds[BATCH].0;
        assert_eq!(ev.unbound.iter().position(|&l| l == first_local_of_batch_2), Some(BATCH));
        assert_eq!((ev.notifies, ev.unbound.len()), (1500, 1500));
        assert_eq!(json(out)["total_rounds"], 1500);
    }

    #[test]
    fn n_rounds_on_k_ports_counted_per_port() {
        let (mut ev, mut xs) = (FakeEvtchn::new(Peer::Server { answers: u64::MAX }), Xenbus::new(store(12)));
        let mut out = Vec::new();
        run(&mut ev, &mut xs, &args(50), &mut out).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        let top =
            ["ports", "answered", "lowest", "highest", "ms", "rounds", "total_rounds", "rounds_per_s", "per_port"];
        let want: Vec<&str> = top.iter().chain(&PER_PORT).chain(&PER_PORT).copied().collect();
        assert_eq!(keys_in_order(&text), want);
        let v = json(out);
        assert_eq!((v["ports"].as_u64(), v["answered"].as_u64()), (Some(12), Some(12)));
        assert_eq!((v["rounds"].as_u64(), v["total_rounds"].as_u64()), (Some(50), Some(600)));
        assert!(v["rounds_per_s"].is_number(), "{v}");
        let per_port = v["per_port"].as_array().unwrap();
        assert_eq!(per_port.len(), 12);
        for (i, p) in per_port.iter().enumerate() {
            assert_eq!(p.as_object().unwrap().len(), PER_PORT.len());
            assert_eq!((p["index"].as_u64(), p["port"].as_u64()), (Some(i as u64), Some(4000 + i as u64)));
            assert_eq!((p["rounds"].as_u64(), p["answered"].as_u64()), (Some(50), Some(50)));
            assert!(p["p50_us"].as_f64().unwrap() <= p["p99_us"].as_f64().unwrap(), "{p}");
            // What the peer sent on that port is what the tool counted.
            assert_eq!(ev.answered_on.get(&(4000 + i as u32)), Some(&50));
        }
        // N notifies per port; the bind-time event drained once per port, not counted.
        assert_eq!((ev.notifies, ev.unmasks), (600, 12 + 600));
    }

    #[test]
    fn listed_ports_only_and_text_lines_in_index_order() {
        let (mut ev, mut xs) = (FakeEvtchn::new(Peer::Server { answers: u64::MAX }), Xenbus::new(store(6)));
        let a = PingAllArgs { ports: PortsSpec::List(vec![4004, 4001]), json: false, ..args(3) };
        let mut out = Vec::new();
        run(&mut ev, &mut xs, &a, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("port 4001 (ports/1): rounds=3 answered=3 p50_us="), "{text}");
        assert!(lines[1].starts_with("port 4004 (ports/4): rounds=3 answered=3 p50_us="), "{text}");
        assert!(lines[0].contains(" p99_us="), "{text}");
        assert!(
            lines[2].starts_with("domain 7 (xenbell): 2 of 2 ports answered (ports 4001..=4004), 6 rounds in "),
            "{text}"
        );
        assert!(lines[2].ends_with(" rounds/s"), "{text}");
        assert_eq!(ev.binds.iter().map(|b| b.2).collect::<Vec<_>>(), [4001, 4004]);
    }

    #[test]
    fn a_port_that_stops_answering_is_exit_7_naming_it() {
        let (mut ev, mut xs) = (FakeEvtchn::new(Peer::Server { answers: u64::MAX }), Xenbus::new(store(5)));
        ev.quiet_after.insert(4003, 7);
        let mut out = Vec::new();
        let e = run(&mut ev, &mut xs, &args(20), &mut out).unwrap_err();
        assert_eq!(e.exit, Exit::Timeout, "{e:?}");
        assert_eq!(
            e.message,
            "domain 7 (xenbell): 1 of 5 ports did not answer within 5 ms (ports 4003 after 7 of 20 rounds)"
        );
        // The others played all their rounds; the reports came out first.
        let v = json(out);
        assert_eq!((v["answered"].as_u64(), v["total_rounds"].as_u64()), (Some(4), Some(4 * 20 + 7)));
        let answered: Vec<u64> =
            v["per_port"].as_array().unwrap().iter().map(|p| p["answered"].as_u64().unwrap()).collect();
        assert_eq!(answered, [20, 20, 20, 7, 20]);
        // 8 notifies on the silent port: 7 answered, the last not.
        assert_eq!(ev.notifies, 4 * 20 + 8);
        assert_eq!(ev.unbound.len(), 5);
    }

    #[test]
    fn silent_ports_are_named_with_their_rounds_and_later_batches_skipped() {
        // The peer answers 10 events in all: ports 4000..4009 once each.
        let (mut ev, mut xs) = (FakeEvtchn::new(Peer::Server { answers: 10 }), Xenbus::new(store(12)));
        let e = run(&mut ev, &mut xs, &args(1), &mut Vec::new()).unwrap_err();
        assert_eq!(e.exit, Exit::Timeout, "{e:?}");
        assert!(
            e.message.contains("2 of 12 ports did not answer")
                && e.message.contains("4010 after 0 of 1 rounds, 4011 after 0 of 1 rounds"),
            "{}",
            e.message
        );
        assert_eq!(ev.unbound.len(), 12);

        let (mut ev, mut xs) = (FakeEvtchn::new(Peer::Server { answers: 0 }), Xenbus::new(store(1030)));
        let e = run(&mut ev, &mut xs, &args(1), &mut Vec::new()).unwrap_err();
        assert!(e.message.contains("1024 of 1024 ports did not answer") && e.message.ends_with(", ...)"), "{e:?}");
        assert_eq!((ev.binds.len(), ev.unbound.len()), (1024, 1024));
    }

    #[test]
    fn an_event_on_a_port_of_no_slot_is_unmasked_not_counted() {
        let mut ev = FakeEvtchn::new(Peer::Server { answers: u64::MAX });
        let (dom, mut slots) = (Domain { id: 7, name: None }, Vec::new());
        let a = args(4);
        ping_batch(&mut ev, &dom, &[(0, 4000), (1, 4001)], &a, &mut slots).unwrap();
        assert!(slots.iter().all(|s| s.answered == 4 && !s.silent && s.sent.is_none()));
        // Slot 1 plays one more round while slot 0's port (not in this
        // play's map; the fake raises the lowest port first) fires first:
        // unmasked, counted nowhere.
        ev.raise(slots[0].local);
        let unmasks = ev.unmasks;
        let only_1: HashMap<u32, usize> = [(slots[1].local, 0)].into();
        play(&mut ev, &mut slots[1..], &only_1, 5, a.timeout).unwrap();
        assert_eq!(slots.iter().map(|s| s.answered).collect::<Vec<_>>(), [4, 5]);
        assert_eq!(ev.unmasks - unmasks, 2);
    }

    #[test]
    fn no_ports_key_is_exit_5() {
        let (mut ev, mut xs) = (FakeEvtchn::new(Peer::Silent), Xenbus::new(store(0)));
        let e = run(&mut ev, &mut xs, &args(1), &mut Vec::new()).unwrap_err();
        assert_eq!(e.exit, Exit::NoPort);
    }

    #[test]
    fn an_unpublished_listed_port_is_exit_5() {
        let (mut ev, mut xs) = (FakeEvtchn::new(Peer::Silent), Xenbus::new(store(3)));
        let a = PingAllArgs { ports: PortsSpec::List(vec![4001, 4009]), ..args(1) };
        let e = run(&mut ev, &mut xs, &a, &mut Vec::new()).unwrap_err();
        assert_eq!(e.exit, Exit::NoPort);
        assert!(e.message.starts_with("domain 7 (xenbell) port 4009: not among the 3 ports"), "{}", e.message);
        assert!(ev.binds.is_empty());
    }

    #[test]
    fn a_refused_bind_is_exit_6_and_nothing_left_bound() {
        let (mut ev, mut xs) = (FakeEvtchn::new(Peer::Silent), Xenbus::new(store(3)));
        ev.refuse_bind = Some(libc::EPERM);
        let e = run(&mut ev, &mut xs, &args(1), &mut Vec::new()).unwrap_err();
        assert_eq!(e.exit, Exit::BindRefused, "{e:?}");
    }

    #[test]
    fn percentiles_in_microseconds() {
        let mut slot = Slot {
            index: 3,
            remote: 9,
            local: 41,
            answered: 2,
            sent: None,
            silent: false,
            rtt: Box::new(Histogram::new()),
        };
        assert_eq!(slot.report(2).to_line(), "port 9 (ports/3): rounds=2 answered=2 p50_us=- p99_us=-");
        slot.rtt.record(12_345);
        assert_eq!(slot.report(2).p50_us, Some(12.3));
        assert_eq!(micros(12_350), 12.4);
    }
}
