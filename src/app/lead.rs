//! mode=lead: we ping, the peer (`xenbell-dom0 serve`) answers; we time each
//! round trip with Xen's clock and print the percentiles. The round trips go
//! into a fixed-size histogram (crate latency, within 1 % of exact), so any
//! number of rounds fits in a few MiB of guest memory.

use latency::Histogram;

use super::keys;
use super::mainloop::Loop;
use super::{received, PORT};
use crate::xen::{evtchn, time, wait};

/// One round's answer must come within this.
const ROUND_TIMEOUT_NS: u64 = 1_000_000_000;
/// Warm-up: the first ping may merge with the event Xen raised on the peer's
/// side at bind time (the peer then drains both as one), so it is retried.
const WARMUP_TRIES: u32 = 10;
const WARMUP_TIMEOUT_NS: u64 = 200_000_000;

/// Sends one ping and waits for the answer; the round trip in ns.
fn ping(timeout_ns: u64) -> Option<u64> {
    let port = *PORT.get()?;
    crate::watchdog::progress(crate::watchdog::Phase::Ping);
    let before = received();
    let t0 = time::system_time_ns();
    if let Err(e) = evtchn::send(port) {
        log::warn!("lead: port {}: {e}", port.get());
        return None;
    }
    wait::wait_until(Some(timeout_ns), || received() > before)
        .then(|| xen_abi::shared_info::elapsed_ns(t0, time::system_time_ns()))
}

/// Leads `rounds` rounds with the first peer that opens a session (a
/// handshake peer: `xenbell-dom0 serve` asks for it; a peer without the
/// handshake sends nothing and is not seen here).
pub fn run(main: &mut Loop, rounds: u32) {
    log::info!("lead: waiting for a peer to ask for a session ({} rounds to lead)", rounds);
    loop {
        while !main.sessions.is_open() {
            main.step();
        }
        if (0..WARMUP_TRIES).any(|_| ping(WARMUP_TIMEOUT_NS).is_some()) {
            break;
        }
        log::warn!("lead: the peer is bound but does not answer; waiting");
    }
    let mut rtts = alloc::boxed::Box::new(Histogram::new());
    for i in 0..rounds {
        match ping(ROUND_TIMEOUT_NS) {
            Some(rtt) => rtts.record(rtt),
            None => {
                log::warn!("lead: round {i}: unanswered within {} ms", ROUND_TIMEOUT_NS / 1_000_000);
                if !main.sessions.check_status() {
                    log::warn!("lead: the peer left after {i} rounds");
                    break;
                }
            }
        }
    }
    let pct = |p| rtts.percentile(p).unwrap_or(0);
    let done =
        xenbell_proto::console::Done { rounds: rounds.into(), ok: rtts.count(), p50_ns: pct(50), p99_ns: pct(99) };
    log::info!("{done}");
    if let (Some(min), Some(max)) = (rtts.min(), rtts.max()) {
        log::info!("lead: rtt_ns min={min} max={max}");
    }
    keys::publish(keys::STATE, keys::state::DONE);
}
