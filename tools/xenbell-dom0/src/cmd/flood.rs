//! `flood`: bind, drain, then `--count` notifications back to back without
//! waiting (events coalesce: the guest sees at most one per wake-up).

use std::io::Write;
use std::time::Instant;

use crate::channel::EventChannel;
use crate::cli::FloodArgs;
use crate::cmd::{say, say_json};
use serde::Serialize;

use crate::failure::Failure;
use crate::guest::{close_session, connect, event_failure};
use crate::progress::Progress;
use crate::xenbus::{Transport, Xenbus};

/// `flood --json`'s object: what was sent, how long it took (s, 3
/// decimals) and the rate (per second, whole).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FloodJson {
    pub domid: u32,
    pub name: Option<String>,
    pub port: u32,
    pub sent: u64,
    pub seconds: f64,
    pub per_s: f64,
}

pub fn run<E: EventChannel, T: Transport>(
    ev: &mut E,
    xs: &mut Xenbus<T>,
    args: &FloodArgs,
    out: &mut dyn Write,
    progress: &mut Progress,
) -> Result<(), Failure> {
    let conn = connect(ev, xs, &args.domain, args.port, args.timeout, false)?;
    let (dom, port, local) = (&conn.dom, conn.port, conn.local);
    let start = Instant::now();
    let mut sent: u64 = 0;
    let mut error = None;
    while sent < args.count {
        if let Err(e) = ev.notify(local) {
            error = Some(event_failure(e));
            break;
        }
        sent += 1;
        if sent.is_multiple_of(4096) {
            progress.tick("sent", sent, args.count);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    progress.finish();
    let rate = if secs > 0.0 { sent as f64 / secs } else { 0.0 };
    if args.json {
        let json = FloodJson {
            domid: dom.id,
            name: dom.name.clone(),
            port,
            sent,
            seconds: (secs * 1000.0).round() / 1000.0,
            per_s: rate.round(),
        };
        say_json(out, &json);
    } else {
        say(
            out,
            &format!("sent {sent} notifications to {} port {port} in {:.3} s ({rate:.0}/s)", dom.describe(), secs),
        );
    }
    close_session(ev, xs, &conn);
    error.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::DomainSpec;
    use crate::fakes::{FakeEvtchn, FakeStore, Peer};
    use std::time::Duration;

    #[test]
    fn sends_exactly_count() {
        let mut store = FakeStore::new().with_domain(7, "xenbell");
        store.set("/local/domain/7/data/xenbell/port", "5");
        let (mut ev, mut xs) = (FakeEvtchn::new(Peer::Silent), Xenbus::new(store));
        let mut args = FloodArgs {
            domain: DomainSpec::Id(7),
            port: None,
            count: 10_000,
            timeout: Duration::from_millis(5),
            json: false,
        };
        let mut out = Vec::new();
        run(&mut ev, &mut xs, &args, &mut out, &mut Progress::off()).unwrap();
        assert_eq!(ev.notifies, 10_000);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("sent 10000 notifications to domain 7 (xenbell) port 5 in "), "{text}");
        args.json = true;
        let mut out = Vec::new();
        run(&mut ev, &mut xs, &args, &mut out, &mut Progress::off()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!((v["domid"].as_u64(), v["port"].as_u64(), v["sent"].as_u64()), (Some(7), Some(5), Some(10_000)));
        assert!(v["seconds"].is_f64() && v["per_s"].is_f64(), "{v}");
    }
}
