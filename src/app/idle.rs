//! What an idle guest costs, measured by the guest itself: wake-ups of the
//! vCPU and xenstore requests between the end of one session (or `ready`)
//! and the moment the next peer's request arrives. Reported in one line
//! when the next session opens, so reporting costs nothing while idle:
//!
//! `pingpong: idle for <ms> ms: wakeups=<n> xenstore_requests=<n>`

use crate::xen::{time, wait, xenstore};

/// The counters at one moment.
#[derive(Clone, Copy)]
pub struct Sample {
    ns: u64,
    wakeups: u64,
    requests: u64,
}

impl Sample {
    pub fn now() -> Sample {
        Sample { ns: time::system_time_ns(), wakeups: wait::wakeups(), requests: xenstore::requests() }
    }
}

pub struct Meter {
    /// Since when we are idle (no session); `None` while a session is open.
    since: Option<Sample>,
    /// Taken when the next peer's request woke us, before we answered it.
    until: Option<Sample>,
}

impl Meter {
    pub fn new() -> Meter {
        Meter { since: None, until: None }
    }

    /// Idle from now (after the last request of a session's close).
    pub fn start(&mut self) {
        self.since = Some(Sample::now());
        self.until = None;
    }

    /// A peer's request (a watch event, a first event) woke us at `woke`,
    /// taken before we touched xenstore for it. Only the first mark counts.
    pub fn mark(&mut self, woke: Sample) {
        if self.since.is_some() && self.until.is_none() {
            self.until = Some(woke);
        }
    }

    /// A session opens: log the idle time that ended, if any.
    pub fn report(&mut self) {
        if let (Some(a), Some(b)) = (self.since.take(), self.until.take()) {
            log::info!(
                "pingpong: idle for {} ms: wakeups={} xenstore_requests={}",
                b.ns.saturating_sub(a.ns) / 1_000_000,
                b.wakeups - a.wakeups,
                b.requests - a.requests
            );
        }
    }
}
