//! Memory-map arithmetic: the largest free RAM range once the ranges in use
//! (the kernel image, the start-info data, low memory) are taken out.

/// A half-open physical address range `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub start: u64,
    pub end: u64,
}

impl Range {
    pub const fn new(start: u64, end: u64) -> Range {
        Range { start, end }
    }
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

const PAGE: u64 = 4096;

/// The largest page-aligned piece of any `ram` range that overlaps none of
/// `reserved` and lies below `limit` (the end of the identity map). Ranges
/// may be unsorted, overlapping, or bogus (end < start, end overflowing): such
/// ranges are clipped or ignored, never trusted.
pub fn largest_free_range(ram: impl Iterator<Item = Range>, reserved: &[Range], limit: u64) -> Option<Range> {
    let mut best: Option<Range> = None;
    for r in ram {
        let mut start = align_up(r.start);
        let end = r.end.min(limit) & !(PAGE - 1);
        // Walk the range, skipping over reserved pieces: at each step find the
        // first reserved range that begins inside [start, end) or covers start.
        while start < end {
            let blocker =
                reserved.iter().filter(|x| x.start < x.end && x.end > start && x.start < end).min_by_key(|x| x.start);
            let (piece_end, next) = match blocker {
                Some(b) if b.start <= start => (start, align_up(b.end)),
                Some(b) => (b.start & !(PAGE - 1), align_up(b.end)),
                None => (end, end),
            };
            if piece_end > start && best.is_none_or(|b| piece_end - start > b.len()) {
                best = Some(Range::new(start, piece_end));
            }
            if next <= start {
                break;
            }
            start = next;
        }
    }
    best
}

fn align_up(x: u64) -> u64 {
    x.checked_add(PAGE - 1).map_or(!(PAGE - 1), |v| v & !(PAGE - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    fn free(ram: &[Range], reserved: &[Range]) -> Option<Range> {
        largest_free_range(ram.iter().copied(), reserved, 1 << 32)
    }

    #[test]
    fn image_in_the_middle() {
        // 32 MiB guest: image at 1..1.5 MiB, start info at 2 MiB.
        let ram = [Range::new(0, 0xA0000), Range::new(MIB, 32 * MIB)];
        let res = [Range::new(0, MIB), Range::new(MIB, MIB + 0x80000), Range::new(2 * MIB, 2 * MIB + 100)];
        assert_eq!(free(&ram, &res), Some(Range::new(2 * MIB + PAGE, 32 * MIB)));
    }

    #[test]
    fn nothing_free() {
        assert_eq!(free(&[Range::new(0, MIB)], &[Range::new(0, MIB)]), None);
        assert_eq!(free(&[], &[]), None);
    }

    #[test]
    fn bogus_ranges_are_harmless() {
        let ram = [Range::new(10 * MIB, 5 * MIB), Range::new(u64::MAX - 10, u64::MAX), Range::new(MIB, 3 * MIB)];
        let res = [Range::new(7, 3), Range::new(0, 0)];
        assert_eq!(free(&ram, &res), Some(Range::new(MIB, 3 * MIB)));
    }

    #[test]
    fn limit_clips() {
        let ram = [Range::new(MIB, 8 << 30)];
        assert_eq!(largest_free_range(ram.iter().copied(), &[], 4 << 30), Some(Range::new(MIB, 4 << 30)));
    }

    #[test]
    fn result_never_overlaps_reserved() {
        // A small deterministic fuzz: pseudo-random ranges, checked invariants.
        let mut seed = 0x1234_5678_9abc_def0u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % (64 * MIB)
        };
        for _ in 0..2000 {
            let ram: Vec<Range> = (0..3).map(|_| Range::new(next(), next())).collect();
            let res: Vec<Range> = (0..4).map(|_| Range::new(next(), next())).collect();
            if let Some(f) = free(&ram, &res) {
                assert!(f.start < f.end && f.start % PAGE == 0 && f.end % PAGE == 0);
                assert!(ram.iter().any(|r| r.start <= f.start && f.end <= r.end), "{f:?} not in RAM {ram:?}");
                for r in res.iter().filter(|r| r.start < r.end) {
                    assert!(f.end <= r.start || f.start >= r.end, "{f:?} overlaps {r:?}");
                }
            }
        }
    }
}
