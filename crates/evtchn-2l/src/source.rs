//! [`EventSource`]: the bitmap operations the decoder needs.

/// Access to one vCPU's view of the 2-level event bitmaps.
///
/// Words are indexed `0..NR_WORDS`, ports `0..NR_EVENT_CHANNELS`; callers
/// (the decoder) never pass anything out of range. Implementations must make
/// `take_pending_sel` and `test_and_clear_pending` atomic with respect to the
/// hypervisor's concurrent updates.
pub trait EventSource {
    /// Clears `vcpu_info.evtchn_upcall_pending` ("I am looking now").
    fn clear_upcall_pending(&self);

    /// Reads `vcpu_info.evtchn_upcall_pending`.
    fn upcall_pending(&self) -> bool;

    /// Atomically swaps `vcpu_info.evtchn_pending_sel` with 0 and returns the
    /// old selector: bit `w` means word `w` may hold newly pending ports.
    fn take_pending_sel(&self) -> u64;

    /// Reads `shared_info.evtchn_pending[word]`.
    fn pending(&self, word: usize) -> u64;

    /// Reads `shared_info.evtchn_mask[word]`.
    fn mask(&self, word: usize) -> u64;

    /// The ports of `word` this vCPU dispatches (bit set: bound to this
    /// vCPU). With several vCPUs the pending and mask bitmaps are shared and
    /// only the selector is per vCPU, so a vCPU scanning a word must skip
    /// the ports routed to the others (Linux `events_2l.c`
    /// `cpu_evtchn_mask`). One vCPU owns every port: the default, all ones.
    fn owned(&self, word: usize) -> u64 {
        let _ = word;
        !0
    }

    /// Atomically clears `port`'s pending bit; true if it was set (the caller
    /// now owns this event).
    fn test_and_clear_pending(&self, port: u32) -> bool;

    /// Gives selector bits back (atomic OR into `evtchn_pending_sel`) and sets
    /// `evtchn_upcall_pending`: used when the decoder stops before it scanned
    /// every selected word, so the state reads "more events pending". This
    /// makes Xen re-inject only a level-triggered upcall (see
    /// [`crate::Delivery`]).
    fn requeue(&self, words: u64);
}
