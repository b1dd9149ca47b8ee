//! The pending-port patterns of `make bench`'s decoder benchmark (benches/decoder.rs).

/// Ports 1..=4095 are usable (Xen never allocates port 0).
pub const LAST_PORT: u32 = evtchn_2l::NR_EVENT_CHANNELS as u32 - 1;

/// The ports raised for a case of `n` pending ports:
/// - 1: port 1000 (in the middle of word 15);
/// - 64: one port in each of the 64 words (`64 * w + 7`), so the selector has every
///   bit set and each word holds one candidate: the worst case per event for a scan;
/// - 4096: every port (1..=4095; port 0 is never dispatched, so 4095 events).
pub fn pattern(n: u32) -> Vec<u32> {
    match n {
        1 => vec![1000],
        64 => (0..64).map(|w| 64 * w + 7).collect(),
        _ => (1..=LAST_PORT).collect(),
    }
}

/// The ports linked for a FIFO case of `n` pending ports: the 2-level patterns for 1, 64
/// and 4096 (the same ports, so the two ABIs are compared on equal work), and ports
/// 1..=100,000 for 100,000 (beyond the 2-level ABI).
pub fn fifo_pattern(n: u32) -> Vec<u32> {
    match n {
        1 | 64 | 4096 => pattern(n),
        _ => (1..=n).collect(),
    }
}
