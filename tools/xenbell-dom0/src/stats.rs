//! Round-trip statistics and their two renderings: one readable line, and the
//! JSON object of docs/protocol.md.

use std::time::Duration;

use serde::Serialize;

/// Nearest-rank percentile of ascending `sorted` samples: the smallest sample
/// with at least `p`% of the samples at or below it. `None` if empty.
pub fn percentile(sorted: &[u64], p: u32) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len() as u128;
    let rank = (u128::from(p.min(100)) * n).div_ceil(100).max(1); // 1-based
    sorted.get((rank - 1) as usize).copied()
}

/// Round-trip times in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rtt {
    pub min: u64,
    pub p50: u64,
    pub p99: u64,
    pub max: u64,
}

/// The outcome of a ping run.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub rounds_requested: u32,
    pub rounds_ok: u32,
    /// `None` when no round completed.
    pub rtt: Option<Rtt>,
    pub rounds_per_s: f64,
}

impl Summary {
    /// Summarises `samples` (ns, any order) measured over `elapsed`.
    pub fn new(rounds_requested: u32, samples: &[u64], elapsed: Duration) -> Summary {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let rtt = match (sorted.first(), sorted.last(), percentile(&sorted, 50), percentile(&sorted, 99)) {
            (Some(&min), Some(&max), Some(p50), Some(p99)) => Some(Rtt { min, p50, p99, max }),
            _ => None,
        };
        let secs = elapsed.as_secs_f64();
        let rounds_per_s = if secs > 0.0 { samples.len() as f64 / secs } else { 0.0 };
        Summary { rounds_requested, rounds_ok: samples.len() as u32, rtt, rounds_per_s }
    }

    /// The JSON object of docs/protocol.md:
    /// `{"rounds_requested":N,"rounds_ok":N,"rtt_ns":{"min":..,"p50":..,"p99":..,"max":..},"rounds_per_s":..}`,
    /// the percentiles `null` when no round completed, the rate with one decimal.
    pub fn json(&self) -> SummaryJson {
        let field = |f: fn(&Rtt) -> u64| self.rtt.as_ref().map(f);
        SummaryJson {
            rounds_requested: self.rounds_requested,
            rounds_ok: self.rounds_ok,
            rtt_ns: RttJson {
                min: field(|r| r.min),
                p50: field(|r| r.p50),
                p99: field(|r| r.p99),
                max: field(|r| r.max),
            },
            rounds_per_s: one_decimal(self.rounds_per_s),
        }
    }

    /// [`Summary::json`] as text.
    pub fn to_json(&self) -> String {
        crate::json::text(&self.json())
    }

    /// One line for people, e.g. `domain 7 port 5: 1000/1000 rounds, rtt min
    /// 9.1 us p50 10.3 us p99 14.0 us max 52.7 us, 95000.0 rounds/s`.
    pub fn to_line(&self, domid: u32, port: u32) -> String {
        let head = format!("domain {domid} port {port}: {}/{} rounds", self.rounds_ok, self.rounds_requested);
        match &self.rtt {
            None => format!("{head}, no round trip completed"),
            Some(r) => format!(
                "{head}, rtt min {} p50 {} p99 {} max {}, {:.1} rounds/s",
                micros(r.min),
                micros(r.p50),
                micros(r.p99),
                micros(r.max),
                self.rounds_per_s
            ),
        }
    }
}

/// A finite JSON number with one decimal (JSON has no NaN or infinity).
/// `x` rounded to one decimal; 0.0 for NaN and infinities (JSON has none).
fn one_decimal(x: f64) -> f64 {
    if x.is_finite() {
        (x * 10.0).round() / 10.0
    } else {
        0.0
    }
}

/// `ping --json`'s object (field order is the interface's).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SummaryJson {
    pub rounds_requested: u32,
    pub rounds_ok: u32,
    pub rtt_ns: RttJson,
    pub rounds_per_s: f64,
}

/// Round-trip percentiles in ns, `null` when no round completed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RttJson {
    pub min: Option<u64>,
    pub p50: Option<u64>,
    pub p99: Option<u64>,
    pub max: Option<u64>,
}

fn micros(ns: u64) -> String {
    format!("{:.1} us", ns as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 0), Some(7));
        assert_eq!(percentile(&[7], 99), Some(7));
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50), Some(50));
        assert_eq!(percentile(&v, 99), Some(99));
        assert_eq!(percentile(&v, 100), Some(100));
        assert_eq!(percentile(&v, 0), Some(1));
        assert_eq!(percentile(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(percentile(&[1, 2, 3], 50), Some(2));
        let v: Vec<u64> = (1..=1000).collect();
        assert_eq!(percentile(&v, 99), Some(990));
        assert_eq!(percentile(&v, 250), Some(1000), "p is clamped to 100");
    }

    #[test]
    fn summary_of_unsorted_samples() {
        let s = Summary::new(5, &[30, 10, 20, 50, 40], Duration::from_millis(1));
        assert_eq!(s.rtt, Some(Rtt { min: 10, p50: 30, p99: 50, max: 50 }));
        assert_eq!((s.rounds_requested, s.rounds_ok), (5, 5));
        assert!((s.rounds_per_s - 5000.0).abs() < 1e-6);
    }

    #[test]
    fn json_is_exactly_the_interface_shape() {
        let s = Summary::new(3, &[1500, 1000, 2000], Duration::from_secs(2));
        assert_eq!(
            s.to_json(),
            r#"{"rounds_requested":3,"rounds_ok":3,"rtt_ns":{"min":1000,"p50":1500,"p99":2000,"max":2000},"rounds_per_s":1.5}"#
        );
        let none = Summary::new(10, &[], Duration::ZERO);
        assert_eq!(
            none.to_json(),
            r#"{"rounds_requested":10,"rounds_ok":0,"rtt_ns":{"min":null,"p50":null,"p99":null,"max":null},"rounds_per_s":0.0}"#
        );
        assert_eq!(one_decimal(f64::NAN), 0.0);
        assert_eq!(one_decimal(f64::INFINITY), 0.0);
        let fast = Summary::new(1, &[1], Duration::from_nanos(10_526_316));
        assert!(fast.to_json().ends_with(r#""rounds_per_s":95.0}"#), "{}", fast.to_json());
        let odd = Summary::new(3, &[1, 2, 3], Duration::from_secs(7));
        assert!(odd.to_json().ends_with(r#""rounds_per_s":0.4}"#), "{}", odd.to_json());
    }

    #[test]
    fn readable_line() {
        let s = Summary::new(2, &[9100, 10300], Duration::from_micros(20));
        assert_eq!(
            s.to_line(7, 5),
            "domain 7 port 5: 2/2 rounds, rtt min 9.1 us p50 9.1 us p99 10.3 us max 10.3 us, 100000.0 rounds/s"
        );
        assert_eq!(
            Summary::new(4, &[], Duration::ZERO).to_line(7, 5),
            "domain 7 port 5: 0/4 rounds, no round trip completed"
        );
    }
}
