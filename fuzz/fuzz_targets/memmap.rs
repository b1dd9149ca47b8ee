//! Fuzz target `memmap`: `bootinfo::largest_free_range`, the heap choice,
//! on arbitrary RAM ranges, reserved ranges and identity-map limits.
//!
//! Input: a limit (u64::MAX, 4 GiB, or arbitrary), up to 8 RAM ranges and up
//! to 8 reserved ranges, each end drawn from: page multiples below 256 MiB,
//! off-by-a-few around them, arbitrary u64, values near u64::MAX, or an end
//! of an earlier range (adjacent and identical ranges); so ranges may be
//! empty, inverted, overlapping, unsorted or overflowing.
//!
//! Invariants checked (`check_free_range` in fuzz/src/lib.rs):
//! - never a panic, always terminates (libFuzzer's -timeout catches loops);
//! - `None` exactly when no whole free page exists;
//! - otherwise the result is non-empty, page-aligned, below the limit,
//!   inside one RAM range, outside every non-empty reserved range, and as
//!   long as the longest free run of an independent u128 model;
//! - the length does not depend on the order of the RAM or reserved ranges.
#![no_main]

use bootinfo::{largest_free_range, Range};
use libfuzzer_sys::fuzz_target;
use xenbell_fuzz::{check_free_range, Src};

fn point(s: &Src<'_>, earlier: &[u64]) -> u64 {
    match s.u8() % 8 {
        0 | 1 => u64::from(s.below(65536)) * 4096,
        2 => (u64::from(s.below(65536)) * 4096).wrapping_add(u64::from(s.below(9))).wrapping_sub(4),
        3 => s.u64(),
        4 => u64::MAX - u64::from(s.below(8192)),
        5 if !earlier.is_empty() => earlier[s.below(earlier.len() as u32) as usize],
        _ => u64::from(s.u16()) * 4096 + u64::from(s.below(4096)),
    }
}

fuzz_target!(|data: &[u8]| {
    let s = Src::new(data);
    let limit = match s.u8() % 4 {
        0 => u64::MAX,
        1 => 4 << 30,
        _ => point(&s, &[]),
    };
    let mut points = Vec::new();
    let mut ranges = |n: u32| -> Vec<Range> {
        (0..n)
            .map(|_| {
                let a = point(&s, &points);
                points.push(a);
                let b = if s.u8().is_multiple_of(4) {
                    point(&s, &points)
                } else {
                    a.saturating_add(u64::from(s.below(1 << 16)) * 4096)
                };
                points.push(b);
                Range::new(a, b)
            })
            .collect()
    };
    let ram = ranges(s.below(9));
    let reserved = ranges(s.below(9));
    let got = largest_free_range(ram.iter().copied(), &reserved, limit);
    check_free_range(&ram, &reserved, limit, got);
    let len = got.map_or(0, |r| r.len());
    let mut ram_rev = ram.clone();
    ram_rev.reverse();
    let mut res_rev = reserved.clone();
    res_rev.reverse();
    let again = largest_free_range(ram_rev.iter().copied(), &res_rev, limit);
    assert_eq!(again.map_or(0, |r| r.len()), len, "result depends on the order of the ranges");
});
