//! What the engine needs from the byte pipe to xenstored, and that pipe for
//! a shared ring pair (`xenstore_domain_interface`) plus an event channel.

use core::fmt;

use xen_ring::{Consumer, Producer, RingError, RingMemory};

/// A byte pipe to xenstored. Neither `write` nor `read` may block; the engine
/// calls them in passes (write what it has, then read what there is) and,
/// when a pass moved no byte, calls [`Transport::wait`].
///
/// Implementations: [`RingTransport`] (the guest's shared ring page and
/// event channel), the dom0 tool's `/dev/xen/xenbus` fd, and test fakes.
pub trait Transport {
    /// Why the pipe failed. The engine treats any error as fatal for the
    /// connection: the byte streams can no longer be trusted to be in step.
    type Error: fmt::Display;

    /// Writes a prefix of `bytes`, as much as there is room for now;
    /// returns its length (0 if there is no room).
    fn write(&mut self, bytes: &[u8]) -> Result<usize, Self::Error>;

    /// Reads the bytes available now into `buf`, up to its length; returns
    /// how many (0 if none).
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error>;

    /// Waits until the peer may have made progress (bytes to read, room to
    /// write) or until `deadline_ns` (on the [`Transport::now_ns`] clock);
    /// returning early is allowed, waiting past the deadline is not. A
    /// notification that came after the first `write`/`read` of the pass
    /// just ended must end the wait at once (no lost wake-up).
    fn wait(&mut self, deadline_ns: u64);

    /// A monotonic clock in nanoseconds.
    fn now_ns(&self) -> u64;
}

/// The event-channel side of a shared ring pair: how to ring the peer's bell
/// and how to wait for ours.
pub trait Doorbell {
    /// Notifies the peer (EVTCHNOP_send on the store port).
    fn notify(&mut self);
    /// A counter the peer's notifications increment (the port's handler
    /// counts them). Only changes matter; it may wrap.
    fn events(&self) -> u64;
    /// Waits until [`Doorbell::events`] differs from `seen` or until
    /// `deadline_ns`; may return early.
    fn wait(&mut self, seen: u64, deadline_ns: u64);
    /// A monotonic clock in nanoseconds.
    fn now_ns(&self) -> u64;
}

/// A [`Transport`] over the two byte rings of `xenstore_domain_interface`
/// (`xen/include/public/io/xs_wire.h`: `req[1024]` we produce, `rsp[1024]`
/// we consume). Index arithmetic and barriers are xen-ring's; the peer
/// (xenstored) is untrusted: a counter claiming more than a ring's worth
/// of bytes is [`RingError::Corrupt`], and nothing is read or written.
pub struct RingTransport<M: RingMemory, D: Doorbell> {
    req: M,
    rsp: M,
    producer: Producer,
    consumer: Consumer,
    doorbell: D,
    /// The doorbell counter at the start of the current pass.
    seen: u64,
    /// A pass is under way (`seen` is its start).
    in_pass: bool,
}

impl<M: RingMemory, D: Doorbell> RingTransport<M, D> {
    /// Starts on the rings with the counters as found in the page (`req_prod`
    /// for our producer, `rsp_cons` for our consumer), as after boot or a
    /// resume, where Xen (or the toolstack) left them.
    pub fn new(req: M, rsp: M, doorbell: D) -> Self {
        use core::sync::atomic::Ordering;
        let producer = Producer::new(req.load_prod(Ordering::Acquire));
        let consumer = Consumer::new(rsp.load_cons(Ordering::Acquire));
        let seen = doorbell.events();
        RingTransport { req, rsp, producer, consumer, doorbell, seen, in_pass: false }
    }

    /// The doorbell (tests inspect their fake through this).
    pub fn doorbell_mut(&mut self) -> &mut D {
        &mut self.doorbell
    }

    fn begin_pass(&mut self) {
        if !self.in_pass {
            self.seen = self.doorbell.events();
            self.in_pass = true;
        }
    }
}

impl<M: RingMemory, D: Doorbell> Transport for RingTransport<M, D> {
    type Error = RingError;

    fn write(&mut self, bytes: &[u8]) -> Result<usize, RingError> {
        self.begin_pass();
        let n = self.producer.write(&mut self.req, bytes)?;
        if n > 0 {
            // producer.write stored req_prod with Release: the bytes are
            // visible before the notification makes xenstored look.
            self.doorbell.notify();
        }
        Ok(n)
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize, RingError> {
        self.begin_pass();
        let n = self.consumer.read(&mut self.rsp, buf)?;
        if n > 0 {
            // Room again: xenstored may be waiting to write the rest.
            self.doorbell.notify();
        }
        Ok(n)
    }

    fn wait(&mut self, deadline_ns: u64) {
        let seen = if self.in_pass { self.seen } else { self.doorbell.events() };
        self.in_pass = false;
        self.doorbell.wait(seen, deadline_ns);
    }

    fn now_ns(&self) -> u64 {
        self.doorbell.now_ns()
    }
}
