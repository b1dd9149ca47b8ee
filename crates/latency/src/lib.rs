//! A latency histogram in constant memory (about 15 KiB), so that leading a
//! million rounds costs no more RAM than leading ten: the kernel runs in a
//! few MiB.
//!
//! Log-linear buckets: values below 64 have a bucket each; above, each power
//! of two is split into 64 equal buckets. A percentile is reported as the
//! middle of its bucket, within 1/128 (0.8 %) of a value in that bucket.
#![cfg_attr(not(test), no_std)]

/// Sub-buckets per power of two (and the exact range below it).
const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;
/// Powers of two from 2^6 to 2^63, 64 buckets each, plus the 64 exact ones.
pub const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) * SUB as usize;

pub struct Histogram {
    counts: [u32; BUCKETS],
    count: u64,
    min: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

fn bucket(v: u64) -> usize {
    if v < SUB {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros(); // >= SUB_BITS
    let sub = (v >> (exp - SUB_BITS)) & (SUB - 1);
    ((exp - SUB_BITS + 1) as u64 * SUB + sub) as usize
}

/// The range `[low, high)` of values that land in bucket `b`.
fn bounds(b: usize) -> (u64, u64) {
    let b = b as u64;
    if b < SUB {
        return (b, b + 1);
    }
    let exp = (b / SUB) as u32 - 1 + SUB_BITS;
    let width = 1u64 << (exp - SUB_BITS);
    let low = (1u64 << exp) + (b % SUB) * width;
    (low, low.saturating_add(width))
}

impl Histogram {
    pub const fn new() -> Histogram {
        Histogram { counts: [0; BUCKETS], count: 0, min: u64::MAX, max: 0 }
    }

    pub fn record(&mut self, v: u64) {
        let c = &mut self.counts[bucket(v)];
        *c = c.saturating_add(1);
        self.count += 1;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn min(&self) -> Option<u64> {
        (self.count > 0).then_some(self.min)
    }

    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    /// The `p`-th percentile (0..=100): the smallest bucket holding at least
    /// `ceil(p/100 * count)` values, reported as its middle, clamped to the
    /// recorded min and max. None when empty.
    pub fn percentile(&self, p: u32) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = (self.count * p.min(100) as u64).div_ceil(100).max(1);
        let mut seen = 0u64;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += c as u64;
            if seen >= rank {
                let (low, high) = bounds(b);
                let mid = low + (high - low) / 2;
                return Some(mid.clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact percentile with the same rank rule, from sorted samples.
    fn exact(sorted: &[u64], p: u32) -> u64 {
        let rank = (sorted.len() as u64 * p as u64).div_ceil(100).max(1);
        sorted[rank as usize - 1]
    }

    #[test]
    fn buckets_tile_the_range() {
        // Every bucket's bounds contain exactly the values that map to it.
        for b in 0..BUCKETS - 1 {
            let (low, high) = bounds(b);
            assert_eq!(bucket(low), b, "low of {b}");
            assert_eq!(bucket(high - 1), b, "high-1 of {b}");
            assert_eq!(bounds(b + 1).0, high, "gap after {b}");
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn small_values_are_exact() {
        let mut h = Histogram::new();
        for v in 1..=50 {
            h.record(v);
        }
        assert_eq!(h.percentile(50), Some(25));
        assert_eq!(h.percentile(100), Some(50));
        assert_eq!(h.min(), Some(1));
    }

    #[test]
    fn percentiles_within_a_bucket_of_exact() {
        // Deterministic pseudo-random latencies spanning 1 us .. 50 ms.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut samples = Vec::new();
        let mut h = Histogram::new();
        for _ in 0..100_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let v = 1_000 + (seed % 50_000_000) / (1 + seed % 97);
            samples.push(v);
            h.record(v);
        }
        samples.sort_unstable();
        for p in [1, 10, 50, 90, 99, 100] {
            let got = h.percentile(p).unwrap() as f64;
            let want = exact(&samples, p) as f64;
            assert!((got - want).abs() / want <= 1.0 / 64.0, "p{p}: {got} vs exact {want}");
        }
        assert_eq!(h.count(), 100_000);
        assert_eq!(h.max(), samples.last().copied());
    }

    #[test]
    fn empty_and_single() {
        let mut h = Histogram::new();
        assert_eq!(h.percentile(50), None);
        h.record(612_345);
        assert_eq!(h.percentile(50), Some(612_345));
        assert_eq!(h.percentile(99), Some(612_345));
    }
}
