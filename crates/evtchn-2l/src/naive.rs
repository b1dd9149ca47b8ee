//! BASELINE ONLY: the naive scan, for benchmarks against [`crate::Decoder`].

use xen_abi::evtchn::{BITS_PER_WORD, NR_WORDS};

use crate::{EventSource, Stats};

/// **Baseline, not for production.** Scans all 4096 bits from bit 0 on every
/// pass, ignoring the selector's content (it is still taken, to keep the
/// protocol) and keeping no cursor, so low ports are always served first.
///
/// It still test-and-clears before `handle`, skips port 0 and stops after
/// `max_passes` passes (then [`Stats::more_pending`] is set), so benchmarks
/// compare scanning cost, not correctness bugs.
pub fn naive_scan<S, F>(src: &S, max_passes: u32, mut handle: F) -> Stats
where
    S: EventSource + ?Sized,
    F: FnMut(u32),
{
    let mut stats = Stats::default();
    loop {
        if stats.passes == max_passes.max(1) {
            stats.more_pending = true;
            return stats;
        }
        stats.passes += 1;
        src.clear_upcall_pending();
        let _ = src.take_pending_sel();
        for word in 0..NR_WORDS {
            stats.words_scanned = stats.words_scanned.saturating_add(1);
            let mut bits = src.pending(word) & !src.mask(word);
            if word == 0 {
                bits &= !1;
            }
            while bits != 0 {
                let port = (word * BITS_PER_WORD) as u32 + bits.trailing_zeros();
                bits &= bits - 1;
                if src.test_and_clear_pending(port) {
                    stats.dispatched += 1;
                    handle(port);
                } else {
                    stats.raced = stats.raced.saturating_add(1);
                }
            }
        }
        if !src.upcall_pending() {
            return stats;
        }
    }
}
