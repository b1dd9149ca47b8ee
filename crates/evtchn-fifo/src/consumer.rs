//! [`Consumer`]: walks the per-priority queues of one vCPU.

use core::sync::atomic::AtomicU32;
pub use xen_abi::evtchn::Delivery;

use crate::{clear_linked, take_pending, FifoSource, EVTCHN_FIFO_MAX_QUEUES, QUEUES_MASK};

/// Work bound of one [`Consumer::run`] (values below 1 count as 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most queue entries consumed per call (dispatched or not: masked,
    /// spurious and bad entries count too, so a link cycle ends here).
    pub max_steps: u32,
}

impl Limits {
    /// 4096 entries per upcall: as many as the 2-level decoder's event
    /// budget, so a flood yields to the main loop between upcalls.
    pub const DEFAULT: Limits = Limits { max_steps: 4096 };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// What one call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Handler calls.
    pub dispatched: u32,
    /// Queue entries consumed (words whose LINKED we cleared, plus bad ones).
    pub steps: u32,
    /// Entries that were masked or no longer pending: unlinked, not
    /// dispatched (a masked one keeps PENDING for EVTCHNOP_unmask).
    pub skipped: u32,
    /// Heads or links naming a port with no event word (0 from a head, or
    /// beyond the event array): the queue was treated as ending there.
    pub bad_links: u32,
    /// Stopped on the limit with queues left: they are carried to the next
    /// call, and the upcall flag is set (see [`Delivery`]).
    pub more_pending: bool,
}

/// One vCPU's consumer state: the local head of each queue (the next port
/// to consume, 0 = read `head[q]` from the control block) and the ready
/// bits carried over from a call that hit its limit.
#[derive(Clone, Debug)]
pub struct Consumer {
    head: [u32; EVTCHN_FIFO_MAX_QUEUES],
    carry: u32,
    limits: Limits,
}

impl Default for Consumer {
    fn default() -> Self {
        Consumer::new()
    }
}

impl Consumer {
    /// Empty local queues, [`Limits::DEFAULT`].
    pub const fn new() -> Self {
        Consumer::with_limits(Limits::DEFAULT)
    }

    /// Same, with other limits.
    pub const fn with_limits(limits: Limits) -> Self {
        Consumer { head: [0; EVTCHN_FIFO_MAX_QUEUES], carry: 0, limits }
    }

    /// Changes the limits; the queue state is kept.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// The limits in force.
    pub const fn limits(&self) -> Limits {
        self.limits
    }

    /// One upcall: [`run`](Self::run), then, if it stopped with work left and
    /// `delivery` is [`Delivery::Edge`], `reraise` (e.g. a self-IPI of the
    /// upcall vector).
    pub fn upcall<S, F, R>(&mut self, src: &S, delivery: Delivery, reraise: R, handle: F) -> Stats
    where
        S: FifoSource + ?Sized,
        F: FnMut(u32),
        R: FnOnce(),
    {
        let stats = self.run(src, handle);
        delivery.after_pass(stats.more_pending, reraise);
        stats
    }

    /// Delivers the queued events to `handle(port)`, highest priority first,
    /// FIFO within a priority, PENDING cleared before each call. Stops after
    /// [`Limits::max_steps`] entries; never calls `handle` for a masked
    /// port, for port 0 or for a port without an event word.
    pub fn run<S, F>(&mut self, src: &S, mut handle: F) -> Stats
    where
        S: FifoSource + ?Sized,
        F: FnMut(u32),
    {
        let mut stats = Stats::default();
        let mut budget = self.limits.max_steps.max(1);
        src.clear_upcall_pending();
        let mut ready = (self.carry | src.take_ready()) & QUEUES_MASK;
        self.carry = 0;
        while ready != 0 {
            if budget == 0 {
                self.carry = ready;
                src.set_upcall_pending();
                stats.more_pending = true;
                return stats;
            }
            budget -= 1;
            let q = ready.trailing_zeros() as usize;
            self.consume_one(src, q, &mut ready, &mut stats, &mut handle);
            // Re-read ready after every event: a queue of higher priority
            // that became ready preempts the one being walked.
            ready |= src.take_ready() & QUEUES_MASK;
        }
        stats
    }

    fn consume_one<S, F>(&mut self, src: &S, q: usize, ready: &mut u32, stats: &mut Stats, handle: &mut F)
    where
        S: FifoSource + ?Sized,
        F: FnMut(u32),
    {
        stats.steps += 1;
        let mut port = self.head[q];
        if port == 0 {
            port = src.head(q);
        }
        let word: Option<&AtomicU32> = if port == 0 { None } else { src.word(port) };
        let Some(word) = word else {
            // Nothing we can read: end this queue. Xen starts it again with
            // a new head (and ready bit) when it links the next event.
            stats.bad_links += 1;
            self.head[q] = 0;
            *ready &= !(1 << q);
            return;
        };
        let next = clear_linked(word);
        if next == 0 {
            *ready &= !(1 << q);
        }
        self.head[q] = next;
        if take_pending(word) {
            stats.dispatched += 1;
            handle(port);
        } else {
            stats.skipped += 1;
        }
    }
}
