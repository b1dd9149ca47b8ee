//! Shared pieces of the fuzz targets (fuzz/fuzz_targets/*.rs):
//!
//! - [`Src`]: the fuzzer's bytes as a stream of small decisions, readable
//!   through `&self` (so a `RingMemory` or an `EventSource` called with
//!   `&self` can ask "what does the peer do now?"); it reads zeros once the
//!   input is used up, so every target ends.
//! - [`HostileRing`]: one direction of a shared byte ring whose other side is
//!   a hostile domain: at every read of its counter the peer may move it
//!   honestly, set it to anything, scribble on our counter's copy in the page
//!   or on the data; every access is logged and checked to be in bounds.
//! - [`checked_write`], [`checked_read`]: `Producer::write` / `Consumer::read`
//!   plus the per-operation contract checked against the access log.
//! - [`check_free_range`]: the invariants of `bootinfo::largest_free_range`
//!   against an independent model (used by `memmap` and `start_info`).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::sync::atomic::Ordering;

use bootinfo::Range;
use xen_ring::{Consumer, Producer, RingError, RingMemory};

/// The fuzzer input as a stream of decisions; zeros after its end.
pub struct Src<'a> {
    data: &'a [u8],
    pos: Cell<usize>,
}

impl<'a> Src<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Src { data, pos: Cell::new(0) }
    }

    /// True once every input byte has been used.
    pub fn is_empty(&self) -> bool {
        self.pos.get() >= self.data.len()
    }

    pub fn u8(&self) -> u8 {
        let p = self.pos.get();
        match self.data.get(p) {
            Some(&b) => {
                self.pos.set(p + 1);
                b
            }
            None => 0,
        }
    }

    pub fn u16(&self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    pub fn u32(&self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    pub fn u64(&self) -> u64 {
        u64::from(self.u32()) | u64::from(self.u32()) << 32
    }

    /// A value in `0..n` (`n > 0`), from one byte (two if `n > 256`).
    pub fn below(&self, n: u32) -> u32 {
        debug_assert!(n > 0);
        if n <= 256 {
            u32::from(self.u8()) % n
        } else {
            u32::from(self.u16()) % n
        }
    }

    /// Up to `max` raw bytes (fewer at the end of the input).
    pub fn bytes(&self, max: usize) -> &'a [u8] {
        let p = self.pos.get().min(self.data.len());
        let n = max.min(self.data.len() - p);
        self.pos.set(p + n);
        &self.data[p..p + n]
    }

    /// All bytes not yet used.
    pub fn rest(&self) -> &'a [u8] {
        self.bytes(usize::MAX)
    }
}

/// One access of the ring code to a [`HostileRing`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    LoadProd(u32),
    LoadCons(u32),
    StoreProd(u32),
    StoreCons(u32),
    Read(usize, u8),
    Write(usize, u8),
}

/// Which counter belongs to the peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// We produce (console `out`, xenstore `req`); the peer consumes and owns `cons`.
    WeProduce,
    /// We consume (console `in`, xenstore `rsp`); the peer produces and owns `prod`.
    WeConsume,
}

/// A ring of `N` bytes in a page shared with a hostile peer, driven by the
/// fuzzer. Whenever our code loads the peer's counter, the peer acts first
/// (see [`HostileRing::peer_acts`]); whenever we read a data byte the peer
/// may have overwritten it just before.
pub struct HostileRing<'a, const N: usize> {
    src: &'a Src<'a>,
    side: Side,
    data: RefCell<[u8; N]>,
    prod: Cell<u32>,
    cons: Cell<u32>,
    log: RefCell<Vec<Access>>,
    /// Peer as producer: bytes it still wants to send.
    pub outgoing: RefCell<VecDeque<u8>>,
    /// Peer as consumer: bytes it took from the ring (honest reads only).
    pub consumed: RefCell<Vec<u8>>,
    /// Peer as producer: bytes it put in the ring honestly, in order.
    pub sent: RefCell<Vec<u8>>,
    /// The peer did something a correct peer never does (lied about its
    /// counter, touched ours, overwrote data in flight). Stream-integrity
    /// checks only apply while this is false.
    pub lied: Cell<bool>,
}

impl<'a, const N: usize> HostileRing<'a, N> {
    /// Both counters at `start`, data from the fuzzer (garbage in the page).
    pub fn new(src: &'a Src<'a>, side: Side, start: u32) -> Self {
        let mut data = [0u8; N];
        let junk = src.bytes(N.min(64));
        for (i, b) in junk.iter().enumerate() {
            data[i * 7 % N] = *b;
        }
        HostileRing {
            src,
            side,
            data: RefCell::new(data),
            prod: Cell::new(start),
            cons: Cell::new(start),
            log: RefCell::new(Vec::new()),
            outgoing: RefCell::new(VecDeque::new()),
            consumed: RefCell::new(Vec::new()),
            sent: RefCell::new(Vec::new()),
            lied: Cell::new(false),
        }
    }

    pub fn page_prod(&self) -> u32 {
        self.prod.get()
    }

    pub fn page_cons(&self) -> u32 {
        self.cons.get()
    }

    /// Takes the access log (and clears it).
    pub fn take_log(&self) -> Vec<Access> {
        core::mem::take(&mut *self.log.borrow_mut())
    }

    fn mask(i: u32) -> usize {
        i as usize & (N - 1)
    }

    /// The peer's move, made just before our code reads the peer's counter.
    /// Honest moves: consume (as consumer) or produce (as producer) some
    /// bytes within what the counters allow. Hostile moves: set the peer's
    /// counter to anything, near-miss values (size + 1 ahead, 1 behind), move
    /// our counter's copy, scribble data.
    pub fn peer_acts(&self) {
        let s = self.src;
        let steps = s.below(3);
        for _ in 0..steps {
            match s.u8() % 16 {
                0..=7 => self.honest_move(),
                8 => self.lie(s.u32()),
                9 => {
                    // One past what a consistent counter could be.
                    let (ours, _) = self.counters();
                    let v = match self.side {
                        Side::WeProduce => ours.wrapping_sub(N as u32 + 1),
                        Side::WeConsume => ours.wrapping_add(N as u32 + 1),
                    };
                    self.lie(v)
                }
                10 => {
                    // "Behind" our counter: a huge wrapping difference.
                    let (ours, _) = self.counters();
                    let v = match self.side {
                        Side::WeProduce => ours.wrapping_add(1 + s.below(4)),
                        Side::WeConsume => ours.wrapping_sub(1 + s.below(4)),
                    };
                    self.lie(v)
                }
                11 => {
                    // Scribble on our counter's copy in the page.
                    self.lied.set(true);
                    let v = s.u32();
                    match self.side {
                        Side::WeProduce => self.prod.set(v),
                        Side::WeConsume => self.cons.set(v),
                    }
                }
                12 => {
                    self.lied.set(true);
                    let i = s.below(N as u32) as usize;
                    self.data.borrow_mut()[i] = s.u8();
                }
                _ => {} // idle: the peer has not looked at the ring yet
            }
        }
    }

    /// (our counter as stored in the page, the peer's counter)
    fn counters(&self) -> (u32, u32) {
        match self.side {
            Side::WeProduce => (self.prod.get(), self.cons.get()),
            Side::WeConsume => (self.cons.get(), self.prod.get()),
        }
    }

    fn lie(&self, v: u32) {
        self.lied.set(true);
        match self.side {
            Side::WeProduce => self.cons.set(v),
            Side::WeConsume => self.prod.set(v),
        }
    }

    fn honest_move(&self) {
        let (prod, cons) = (self.prod.get(), self.cons.get());
        let used = prod.wrapping_sub(cons);
        if used > N as u32 {
            return; // the counters are garbage: an honest peer does nothing
        }
        let want = self.src.below(N as u32 + 1);
        match self.side {
            Side::WeProduce => {
                let n = want.min(used);
                let data = self.data.borrow();
                let mut out = self.consumed.borrow_mut();
                for i in 0..n {
                    out.push(data[Self::mask(cons.wrapping_add(i))]);
                }
                self.cons.set(cons.wrapping_add(n));
            }
            Side::WeConsume => {
                let mut queue = self.outgoing.borrow_mut();
                let n = want.min(N as u32 - used).min(queue.len() as u32);
                let mut data = self.data.borrow_mut();
                let mut sent = self.sent.borrow_mut();
                for i in 0..n {
                    let b = queue.pop_front().unwrap_or(0);
                    data[Self::mask(prod.wrapping_add(i))] = b;
                    sent.push(b);
                }
                self.prod.set(prod.wrapping_add(n));
            }
        }
    }
}

impl<const N: usize> RingMemory for HostileRing<'_, N> {
    const SIZE: u32 = N as u32;

    fn read_byte(&self, index: usize) -> u8 {
        assert!(index < N, "ring read out of bounds: index {index}, size {N}");
        if self.src.u8() % 32 == 31 {
            // The peer overwrites the byte just before we read it.
            self.lied.set(true);
            self.data.borrow_mut()[index] = self.src.u8();
        }
        let b = self.data.borrow()[index];
        self.log.borrow_mut().push(Access::Read(index, b));
        b
    }

    fn write_byte(&mut self, index: usize, byte: u8) {
        assert!(index < N, "ring write out of bounds: index {index}, size {N}");
        self.data.borrow_mut()[index] = byte;
        self.log.borrow_mut().push(Access::Write(index, byte));
    }

    fn load_prod(&self, _: Ordering) -> u32 {
        if self.side == Side::WeConsume {
            self.peer_acts();
        }
        let v = self.prod.get();
        self.log.borrow_mut().push(Access::LoadProd(v));
        v
    }

    fn load_cons(&self, _: Ordering) -> u32 {
        if self.side == Side::WeProduce {
            self.peer_acts();
        }
        let v = self.cons.get();
        self.log.borrow_mut().push(Access::LoadCons(v));
        v
    }

    fn store_prod(&mut self, value: u32, _: Ordering) {
        self.prod.set(value);
        self.log.borrow_mut().push(Access::StoreProd(value));
    }

    fn store_cons(&mut self, value: u32, _: Ordering) {
        self.cons.set(value);
        self.log.borrow_mut().push(Access::StoreCons(value));
    }
}

/// `p.write(mem, src)`, checked against its contract:
/// - reads the peer's `cons` exactly once and never our own `prod` back;
/// - `Err(Corrupt)` exactly when `prod - cons > SIZE` (wrapping), with the
///   values seen, and then nothing written, nothing stored, counter unchanged;
/// - otherwise `Ok(n)`, `n = min(src.len(), SIZE - (prod - cons))`, the bytes
///   `src[..n]` written once each at `(prod + i) mod SIZE`, then `prod + n`
///   stored once, after the data (the Release publish), and kept as counter.
pub fn checked_write<const N: usize>(
    p: &mut Producer,
    mem: &mut HostileRing<'_, N>,
    src: &[u8],
) -> Result<usize, RingError> {
    let before = p.counter();
    mem.take_log();
    let r = p.write(mem, src);
    let log = mem.take_log();
    let size = N as u32;
    let loads: Vec<u32> = log
        .iter()
        .filter_map(|a| match a {
            Access::LoadCons(v) => Some(*v),
            _ => None,
        })
        .collect();
    assert_eq!(loads.len(), 1, "write must read cons exactly once: {log:?}");
    assert!(
        !log.iter().any(|a| matches!(a, Access::LoadProd(_) | Access::StoreCons(_) | Access::Read(..))),
        "write touched what it must not: {log:?}"
    );
    let cons = loads[0];
    let used = before.wrapping_sub(cons);
    if used > size {
        assert_eq!(r, Err(RingError::Corrupt { prod: before, cons, size }));
        assert_eq!(log.len(), 1, "corrupt ring, yet written to: {log:?}");
        assert_eq!(p.counter(), before);
        return r;
    }
    let n = src.len().min((size - used) as usize);
    assert_eq!(r, Ok(n), "prod {before} cons {cons} len {}", src.len());
    let writes: Vec<(usize, u8)> = log
        .iter()
        .filter_map(|a| match a {
            Access::Write(i, b) => Some((*i, *b)),
            _ => None,
        })
        .collect();
    let want: Vec<(usize, u8)> =
        (0..n).map(|i| ((before.wrapping_add(i as u32) & (size - 1)) as usize, src[i])).collect();
    assert_eq!(writes, want, "write put the wrong bytes in the wrong places");
    let stores: Vec<usize> = (0..log.len()).filter(|&i| matches!(log[i], Access::StoreProd(_))).collect();
    assert_eq!(stores.len(), 1, "prod must be stored once: {log:?}");
    assert_eq!(log[stores[0]], Access::StoreProd(before.wrapping_add(n as u32)));
    assert_eq!(stores[0], log.len() - 1, "prod published before the data: {log:?}");
    assert_eq!(p.counter(), before.wrapping_add(n as u32));
    r
}

/// `c.read(mem, dst)`, checked like [`checked_write`]: one load of the
/// peer's `prod`, never our `cons` back; `Err(Corrupt)` exactly when
/// `prod - cons > SIZE`; otherwise `n = min(dst.len(), prod - cons)` bytes
/// read once each from `(cons + i) mod SIZE` into `dst[i]` (and nothing
/// past `dst[n]` touched), then `cons + n` stored once, after the reads.
pub fn checked_read<const N: usize>(
    c: &mut Consumer,
    mem: &mut HostileRing<'_, N>,
    dst: &mut [u8],
) -> Result<usize, RingError> {
    let before = c.counter();
    const SENTINEL: u8 = 0xA5;
    dst.fill(SENTINEL);
    mem.take_log();
    let r = c.read(mem, dst);
    let log = mem.take_log();
    let size = N as u32;
    let loads: Vec<u32> = log
        .iter()
        .filter_map(|a| match a {
            Access::LoadProd(v) => Some(*v),
            _ => None,
        })
        .collect();
    assert_eq!(loads.len(), 1, "read must read prod exactly once: {log:?}");
    assert!(
        !log.iter().any(|a| matches!(a, Access::LoadCons(_) | Access::StoreProd(_) | Access::Write(..))),
        "read touched what it must not: {log:?}"
    );
    let prod = loads[0];
    let avail = prod.wrapping_sub(before);
    if avail > size {
        assert_eq!(r, Err(RingError::Corrupt { prod, cons: before, size }));
        assert_eq!(log.len(), 1, "corrupt ring, yet read from: {log:?}");
        assert_eq!(c.counter(), before);
        assert!(dst.iter().all(|&b| b == SENTINEL), "corrupt ring, yet dst written");
        return r;
    }
    let n = dst.len().min(avail as usize);
    assert_eq!(r, Ok(n), "prod {prod} cons {before} len {}", dst.len());
    let reads: Vec<(usize, u8)> = log
        .iter()
        .filter_map(|a| match a {
            Access::Read(i, b) => Some((*i, *b)),
            _ => None,
        })
        .collect();
    assert_eq!(reads.len(), n, "each byte read exactly once: {log:?}");
    for (i, &(idx, b)) in reads.iter().enumerate() {
        assert_eq!(idx, (before.wrapping_add(i as u32) & (size - 1)) as usize, "read out of order");
        assert_eq!(dst[i], b, "dst[{i}] is not the byte read");
    }
    assert!(dst[n..].iter().all(|&b| b == SENTINEL), "read wrote past its count");
    let stores: Vec<usize> = (0..log.len()).filter(|&i| matches!(log[i], Access::StoreCons(_))).collect();
    assert_eq!(stores.len(), 1, "cons must be stored once: {log:?}");
    assert_eq!(log[stores[0]], Access::StoreCons(before.wrapping_add(n as u32)));
    assert_eq!(stores[0], log.len() - 1, "cons published before the reads: {log:?}");
    assert_eq!(c.counter(), before.wrapping_add(n as u32));
    r
}

/// `p.free(mem)`: one load, `SIZE - (prod - cons)` or `Corrupt`.
pub fn checked_free<const N: usize>(p: &Producer, mem: &HostileRing<'_, N>) -> Result<u32, RingError> {
    mem.take_log();
    let r = p.free(mem);
    let log = mem.take_log();
    let [Access::LoadCons(cons)] = log[..] else { panic!("free must load cons once and do nothing else: {log:?}") };
    let used = p.counter().wrapping_sub(cons);
    let size = N as u32;
    let want = if used > size { Err(RingError::Corrupt { prod: p.counter(), cons, size }) } else { Ok(size - used) };
    assert_eq!(r, want);
    r
}

/// `c.available(mem)`: one load, `prod - cons` or `Corrupt`.
pub fn checked_available<const N: usize>(c: &Consumer, mem: &HostileRing<'_, N>) -> Result<u32, RingError> {
    mem.take_log();
    let r = c.available(mem);
    let log = mem.take_log();
    let [Access::LoadProd(prod)] = log[..] else {
        panic!("available must load prod once and do nothing else: {log:?}")
    };
    let avail = prod.wrapping_sub(c.counter());
    let size = N as u32;
    let want = if avail > size { Err(RingError::Corrupt { prod, cons: c.counter(), size }) } else { Ok(avail) };
    assert_eq!(r, want);
    r
}

const PAGE: u128 = 4096;

/// Checks a `largest_free_range(ram, reserved, limit)` result:
/// - `None` exactly when the model finds no free page;
/// - otherwise non-empty, page-aligned, below `limit`, inside one RAM range,
///   overlapping no non-empty reserved range, and as long as the longest
///   free piece of the model.
///
/// The model works in `u128` (no overflow, no saturation): RAM range
/// `[s, e)` offers the whole pages of `[s, min(e, limit))`; a reserved
/// `[a, b)` (a < b) takes out every page it touches; the answer's length is
/// the longest run of consecutive offered pages.
pub fn check_free_range(ram: &[Range], reserved: &[Range], limit: u64, got: Option<Range>) {
    let mut best: u128 = 0;
    let mut holes: Vec<(u128, u128)> = reserved
        .iter()
        .filter(|r| r.start < r.end)
        .map(|r| {
            let a = u128::from(r.start) / PAGE * PAGE;
            let b = u128::from(r.end).div_ceil(PAGE) * PAGE;
            (a, b)
        })
        .collect();
    holes.sort_unstable();
    for r in ram {
        let lo = u128::from(r.start).div_ceil(PAGE) * PAGE;
        let hi = u128::from(r.end.min(limit)) / PAGE * PAGE;
        let mut at = lo;
        for &(a, b) in &holes {
            if at >= hi {
                break;
            }
            if b <= at {
                continue;
            }
            if a > at {
                best = best.max(a.min(hi) - at);
            }
            at = at.max(b);
        }
        if at < hi {
            best = best.max(hi - at);
        }
    }
    let Some(f) = got else {
        assert_eq!(
            best, 0,
            "None, but the model finds {best} free bytes; ram {ram:?} reserved {reserved:?} limit {limit:#x}"
        );
        return;
    };
    let ctx = || format!("result {f:x?}; ram {ram:x?} reserved {reserved:x?} limit {limit:#x}");
    assert!(f.start < f.end, "empty result: {}", ctx());
    assert!(f.start % 4096 == 0 && f.end % 4096 == 0, "not page-aligned: {}", ctx());
    assert!(f.end <= limit, "above the limit: {}", ctx());
    assert!(ram.iter().any(|r| r.start <= f.start && f.end <= r.end), "not inside one RAM range: {}", ctx());
    for r in reserved.iter().filter(|r| r.start < r.end) {
        assert!(f.end <= r.start || f.start >= r.end, "overlaps reserved {r:x?}: {}", ctx());
    }
    assert_eq!(u128::from(f.len()), best, "not the largest free range: {}", ctx());
}
