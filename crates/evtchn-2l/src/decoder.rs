//! [`Decoder`]: the fair, bounded 2-level scan.

pub use xen_abi::evtchn::Delivery;
use xen_abi::evtchn::{BITS_PER_WORD, NR_EVENT_CHANNELS, NR_WORDS};

use crate::EventSource;

/// Work bounds of one [`Decoder::run`] call (values below 1 count as 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most passes (selector takes) per call.
    pub max_passes: u32,
    /// Most handler calls per call.
    pub max_events: u32,
}

impl Limits {
    /// 8 passes, 4096 events: every port at least once, bounded under a flood.
    pub const DEFAULT: Limits = Limits { max_passes: 8, max_events: NR_EVENT_CHANNELS as u32 };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// What one call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Handler calls (events delivered).
    pub dispatched: u32,
    /// Passes: selector takes.
    pub passes: u32,
    /// Word (or word-part) scans: `pending & !mask` evaluations.
    pub words_scanned: u32,
    /// Candidates whose pending bit someone else cleared between the scan
    /// and our test-and-clear; not dispatched.
    pub raced: u32,
    /// Stopped on a limit with work left. The upcall flag is set (and the
    /// unscanned selector bits are back in `evtchn_pending_sel`), so calling
    /// `run` again continues. Whether Xen injects the upcall again by itself
    /// depends on the [`Delivery`]: see [`Decoder::upcall`].
    pub more_pending: bool,
}

/// The 2-level decoder of one vCPU. Its only state is the cursor: the port
/// the next scan starts at, one past the last port served.
#[derive(Clone, Debug)]
pub struct Decoder {
    next: u32,
    limits: Limits,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

/// `Err(selector bits not yet scanned)` when the event budget ran out.
type PassResult = Result<(), u64>;

impl Decoder {
    /// Cursor at port 0, [`Limits::DEFAULT`].
    pub const fn new() -> Self {
        Decoder { next: 0, limits: Limits::DEFAULT }
    }

    /// Same, with other limits.
    pub const fn with_limits(limits: Limits) -> Self {
        Decoder { next: 0, limits }
    }

    /// Moves the cursor: the next scan starts at `port` (mod 4096).
    pub fn set_cursor(&mut self, port: u32) {
        self.next = port % NR_EVENT_CHANNELS as u32;
    }

    /// The port the next scan starts at.
    pub const fn cursor(&self) -> u32 {
        self.next
    }

    /// The limits in force.
    pub const fn limits(&self) -> Limits {
        self.limits
    }

    /// One upcall: [`run`](Self::run), then, if it stopped with work left
    /// and `delivery` is [`Delivery::Edge`], calls `reraise` (which must make
    /// the upcall vector pending again, e.g. a self-IPI, so the rest is
    /// handled on the next delivery instead of waiting for an injection that
    /// never comes). With [`Delivery::Level`] Xen re-injects by itself.
    ///
    /// Linux never sets `evtchn_upcall_pending` itself on HVM; it loops
    /// while the flag is set (`__xen_evtchn_do_upcall`). Here the loop is
    /// bounded, and the re-raise stands in for the rest of it.
    pub fn upcall<S, F, R>(&mut self, src: &S, delivery: Delivery, reraise: R, handle: F) -> Stats
    where
        S: EventSource + ?Sized,
        F: FnMut(u32),
        R: FnOnce(),
    {
        let stats = self.run(src, handle);
        delivery.after_pass(stats.more_pending, reraise);
        stats
    }

    /// Delivers pending, unmasked events to `handle(port)`.
    ///
    /// Each pass: clear the upcall flag, take the selector, scan the selected
    /// words from the cursor (wrapping) and test-and-clear each candidate's
    /// pending bit before calling `handle`. Passes repeat while the upcall
    /// flag was set again, within [`Limits`]. Port 0 is never dispatched.
    pub fn run<S, F>(&mut self, src: &S, mut handle: F) -> Stats
    where
        S: EventSource + ?Sized,
        F: FnMut(u32),
    {
        let max_passes = self.limits.max_passes.max(1);
        let mut budget = self.limits.max_events.max(1);
        let mut stats = Stats::default();
        loop {
            // Only reached first, or after seeing the upcall flag set again:
            // stopping here leaves that flag (and the selector) for later.
            if stats.passes == max_passes || budget == 0 {
                stats.more_pending = true;
                return stats;
            }
            stats.passes += 1;
            src.clear_upcall_pending();
            let sel = src.take_pending_sel();
            if let Err(left) = self.pass(src, sel, &mut budget, &mut stats, &mut handle) {
                src.requeue(left);
                stats.more_pending = true;
                return stats;
            }
            if !src.upcall_pending() {
                return stats;
            }
        }
    }

    /// One scan of the words in `sel`, starting at the cursor. The cursor's
    /// word is scanned in two parts (bits from the cursor up first, the bits
    /// below it last), so every port is visited once, in the cyclic order
    /// `cursor, cursor + 1, ..., 4095, 0, ..., cursor - 1`.
    fn pass<S, F>(&mut self, src: &S, mut sel: u64, budget: &mut u32, stats: &mut Stats, handle: &mut F) -> PassResult
    where
        S: EventSource + ?Sized,
        F: FnMut(u32),
    {
        let start_word = self.next as usize / BITS_PER_WORD;
        let start_bit = self.next % BITS_PER_WORD as u32;
        for step in 0..=NR_WORDS {
            let word = (start_word + step) % NR_WORDS;
            let word_bit = 1u64 << word;
            if sel & word_bit == 0 {
                continue;
            }
            let range = match step {
                0 => !0u64 << start_bit,
                NR_WORDS => !(!0u64 << start_bit),
                _ => !0u64,
            };
            // The word is finished after this part unless this is the first
            // half of a split start word.
            let finishes_word = step != 0 || start_bit == 0;
            if range != 0 {
                stats.words_scanned = stats.words_scanned.saturating_add(1);
                let mut bits = src.pending(word) & !src.mask(word) & src.owned(word) & range;
                if word == 0 {
                    bits &= !1; // port 0: Xen never allocates it
                }
                while bits != 0 {
                    let port = (word * BITS_PER_WORD) as u32 + bits.trailing_zeros();
                    if *budget == 0 {
                        self.next = port;
                        return Err(sel);
                    }
                    bits &= bits - 1;
                    if src.test_and_clear_pending(port) {
                        *budget -= 1;
                        stats.dispatched += 1;
                        self.next = (port + 1) % NR_EVENT_CHANNELS as u32;
                        handle(port);
                    } else {
                        stats.raced = stats.raced.saturating_add(1);
                    }
                }
            }
            if finishes_word {
                sel &= !word_bit;
            }
        }
        debug_assert_eq!(sel, 0);
        Ok(())
    }
}
