//! libxenvchan's wire format: one shared page holding a 24-byte header, the
//! grant list and (for orders 10 and 11) the rings themselves, against a peer
//! that may write anything into that page at any time.
//!
//! Source: `xen/include/public/io/libxenvchan.h` (Xen 4.17, `struct
//! vchan_interface`, `VCHAN_NOTIFY_*`) for the layout; `tools/libs/vchan/init.c`
//! (order choice, setup values, client checks) and `tools/libs/vchan/io.c`
//! (data path, notify bits) for the behaviour that interoperates with Xen's
//! own tools. Layout and constants are compared with the installed header by
//! `tests/c_header.rs`.
//!
//! Roles: the **server** grants the pages and allocates the event channel; the
//! **client** maps them. The `left` ring carries client → server bytes, the
//! `right` ring server → client. Each ring is a power-of-two byte array with
//! free-running `u32` counters, the index arithmetic of [`xen_ring`].
//!
//! Against a hostile peer ([`Endpoint`]):
//! - our own counters (`cons` of the ring we read, `prod` of the ring we
//!   write) are kept privately, stored to the page and never read back;
//! - the peer's counter is read once per operation; `prod - cons > size` is
//!   [`VchanError::Corrupt`], nothing copied;
//! - ring sizes are ours (the slices we were given), never re-read from the
//!   page, and every data index is masked, so nothing reaches outside a ring;
//! - no operation loops on a value the peer controls: every call is bounded
//!   by the length of the caller's buffer;
//! - all shared memory is accessed through atomics (bytes: `Relaxed`, ordered
//!   by the Acquire/Release counter accesses and the `SeqCst` fences that
//!   mirror libxenvchan's `xen_mb()`).
#![cfg_attr(not(test), no_std)]

use core::sync::atomic::{fence, AtomicU16, AtomicU32, AtomicU8, Ordering};

use xen_ring::{readable, writable, RingError, Window};

/// Page size of the shared page and of each external ring page (x86).
pub const PAGE_SIZE: usize = 4096;
/// `sizeof(struct vchan_interface)` (libxenvchan.h): the header before `grants[]`.
pub const HEADER_SIZE: usize = 24;
/// `VCHAN_NOTIFY_WRITE` (libxenvchan.h): "send an event when you write".
pub const VCHAN_NOTIFY_WRITE: u8 = 0x1;
/// `VCHAN_NOTIFY_READ` (libxenvchan.h): "send an event when you consume".
pub const VCHAN_NOTIFY_READ: u8 = 0x2;
/// Smallest ring order: 1 KiB, in the shared page at offset 1024 (libxenvchan.h).
pub const MIN_ORDER: u16 = 10;
/// Order of the 2 KiB in-page ring at offset 2048 (libxenvchan.h).
pub const LARGE_IN_PAGE_ORDER: u16 = 11;
/// First order on external pages: `PAGE_SHIFT` (libxenvchan.h "12+").
pub const FIRST_PAGED_ORDER: u16 = 12;
/// Largest ring order libxenvchan accepts: 1 MiB (`MAX_RING_SHIFT` in init.c).
pub const MAX_ORDER: u16 = 20;
/// Page offset of the order-10 ring.
pub const SMALL_RING_OFFSET: usize = 1024;
/// Page offset of the order-11 ring.
pub const LARGE_RING_OFFSET: usize = 2048;

/// `*_live` byte values (libxenvchan.h "Shutdown detection").
pub const LIVE_EXITED: u8 = 0;
/// The side is connected.
pub const LIVE_CONNECTED: u8 = 1;
/// The client has not connected yet (only `cli_live`).
pub const LIVE_NOT_YET: u8 = 2;

/// `struct ring_shared` (libxenvchan.h): one ring's counters.
#[repr(C)]
#[derive(Debug, Default)]
pub struct RingShared {
    /// Consumer counter (free-running).
    pub cons: AtomicU32,
    /// Producer counter (free-running).
    pub prod: AtomicU32,
}

/// The shared page: `struct vchan_interface` (libxenvchan.h) followed by
/// the rest of the page (the `grants[]` list, then in-page rings).
#[repr(C, align(4096))]
#[derive(Debug)]
pub struct SharedPage {
    /// Client writes, server reads.
    pub left: RingShared,
    /// Server writes, client reads.
    pub right: RingShared,
    /// Order of the left ring.
    pub left_order: AtomicU16,
    /// Order of the right ring.
    pub right_order: AtomicU16,
    /// Client liveness ([`LIVE_EXITED`], [`LIVE_CONNECTED`], [`LIVE_NOT_YET`]).
    pub cli_live: AtomicU8,
    /// Server liveness.
    pub srv_live: AtomicU8,
    /// Bits the server asked the client to notify on (the client tests and
    /// clears them).
    pub cli_notify: AtomicU8,
    /// Bits the client asked the server to notify on.
    pub srv_notify: AtomicU8,
    /// Page bytes 24..4096: `grants[]` (little-endian `u32`, left ring's
    /// pages first) and the in-page rings.
    pub rest: [AtomicU8; PAGE_SIZE - HEADER_SIZE],
}

const _: () = assert!(core::mem::size_of::<SharedPage>() == PAGE_SIZE);
const _: () = assert!(core::mem::offset_of!(SharedPage, left_order) == 16);
const _: () = assert!(core::mem::offset_of!(SharedPage, srv_notify) == 23);
const _: () = assert!(core::mem::offset_of!(SharedPage, rest) == HEADER_SIZE);

impl Default for SharedPage {
    fn default() -> Self {
        Self::new()
    }
}

/// What went wrong, with the values that show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VchanError {
    /// A ring's counters claim more than `size` bytes in flight.
    Corrupt { ring: Ring, prod: u32, cons: u32, size: u32 },
    /// Ring orders the client must refuse (libxenvchan's checks, plus the
    /// grant list having to fit before the in-page ring).
    BadOrders { left: u16, right: u16 },
    /// A live byte that is none of 0, 1, 2.
    BadLive(u8),
    /// A ring slice whose length is not `1 << order` for an order in range
    /// (a caller bug).
    BadRingLength(usize),
    /// More grant refs passed than the orders need, or fewer (a caller bug).
    GrantCount { expected: usize, got: usize },
}

/// Which ring an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ring {
    /// Client → server.
    Left,
    /// Server → client.
    Right,
}

impl core::fmt::Display for VchanError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            VchanError::Corrupt { ring, prod, cons, size } => {
                write!(f, "{ring:?} ring corrupt: prod {prod} - cons {cons} > size {size}")
            }
            VchanError::BadOrders { left, right } => write!(f, "orders refused: left {left}, right {right}"),
            VchanError::BadLive(v) => write!(f, "live byte {v} is not 0, 1 or 2"),
            VchanError::BadRingLength(n) => write!(f, "ring length {n} is not 2^10..2^20"),
            VchanError::GrantCount { expected, got } => write!(f, "grant list: {got} refs, orders need {expected}"),
        }
    }
}

/// The two ring orders of a channel (`left_order`, `right_order`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Orders {
    /// Client → server ring: `1 << left` bytes.
    pub left: u16,
    /// Server → client ring.
    pub right: u16,
}

/// Pages an external ring of `order` takes (0 for in-page orders).
pub const fn ring_pages(order: u16) -> usize {
    if order >= FIRST_PAGED_ORDER {
        1 << (order - FIRST_PAGED_ORDER)
    } else {
        0
    }
}

fn min_order(bytes: u32) -> u16 {
    let mut order = FIRST_PAGED_ORDER;
    while (1u64 << order) < bytes as u64 {
        order += 1;
    }
    order
}

impl Orders {
    /// What `libxenvchan_server_init(.., 0, 0)` picks (and so
    /// vchan-socket-proxy's server): a 1 KiB left ring and a 2 KiB right ring,
    /// both inside the shared page.
    pub const SERVER_DEFAULT: Orders = Orders { left: MIN_ORDER, right: LARGE_IN_PAGE_ORDER };

    /// The orders `libxenvchan_server_init(left_min, right_min)` chooses for
    /// minimum ring sizes `1 << left_min` and `1 << right_min` (init.c: in-page
    /// rings when both fit, one in-page ring when one fits, else the smallest
    /// page-sized orders). None if a minimum is outside `MIN_ORDER..=MAX_ORDER`.
    pub fn for_server(left_min: u16, right_min: u16) -> Option<Orders> {
        if !(MIN_ORDER..=MAX_ORDER).contains(&left_min) || !(MIN_ORDER..=MAX_ORDER).contains(&right_min) {
            return None;
        }
        let (l, r) = (1u32 << left_min, 1u32 << right_min);
        let (small, large) = (1u32 << MIN_ORDER, 1u32 << LARGE_IN_PAGE_ORDER);
        let mut o = Orders { left: min_order(l), right: min_order(r) };
        if l <= small && r <= large {
            o = Orders::SERVER_DEFAULT;
        } else if l <= large && r <= small {
            o = Orders { left: LARGE_IN_PAGE_ORDER, right: MIN_ORDER };
        } else if l <= large {
            o.left = LARGE_IN_PAGE_ORDER;
        } else if r <= large {
            o.right = LARGE_IN_PAGE_ORDER;
        }
        Some(o)
    }

    /// Grant refs the list holds: the left ring's pages, then the right's.
    pub fn grant_count(self) -> usize {
        ring_pages(self.left) + ring_pages(self.right)
    }

    /// The client's acceptance test (init.c `libxenvchan_client_init`): both
    /// orders in `MIN_ORDER..=MAX_ORDER`, not the same in-page order twice;
    /// and (ours, so a list never overlaps a ring) the grant list ends before
    /// the first in-page ring.
    pub fn check(self) -> Result<Orders, VchanError> {
        let bad = Err(VchanError::BadOrders { left: self.left, right: self.right });
        let range = MIN_ORDER..=MAX_ORDER;
        if !range.contains(&self.left) || !range.contains(&self.right) {
            return bad;
        }
        if self.left == self.right && self.left < FIRST_PAGED_ORDER {
            return bad;
        }
        let limit = [self.left, self.right].iter().filter_map(|&o| in_page_offset(o)).min().unwrap_or(PAGE_SIZE);
        if HEADER_SIZE + 4 * self.grant_count() > limit {
            return bad;
        }
        Ok(self)
    }
}

/// Page offset of an in-page ring of `order`, None for external rings.
pub const fn in_page_offset(order: u16) -> Option<usize> {
    match order {
        MIN_ORDER => Some(SMALL_RING_OFFSET),
        LARGE_IN_PAGE_ORDER => Some(LARGE_RING_OFFSET),
        _ => None,
    }
}

impl SharedPage {
    /// An all-zero page (for tests and host tools; the kernel views granted
    /// memory through a reference instead).
    pub const fn new() -> SharedPage {
        SharedPage {
            left: RingShared { cons: AtomicU32::new(0), prod: AtomicU32::new(0) },
            right: RingShared { cons: AtomicU32::new(0), prod: AtomicU32::new(0) },
            left_order: AtomicU16::new(0),
            right_order: AtomicU16::new(0),
            cli_live: AtomicU8::new(0),
            srv_live: AtomicU8::new(0),
            cli_notify: AtomicU8::new(0),
            srv_notify: AtomicU8::new(0),
            rest: [const { AtomicU8::new(0) }; PAGE_SIZE - HEADER_SIZE],
        }
    }

    /// The server's setup (init.c `init_ctrl_page`/`libxenvchan_server_init`):
    /// zeroes the page, writes `orders` and the grant list (`grants`: the left
    /// ring's page refs, then the right's), `cli_live = 2`, `srv_live = 1`,
    /// `cli_notify = VCHAN_NOTIFY_WRITE`, then a release fence so all of it is
    /// visible before the caller publishes the page's grant ref.
    pub fn init_server(&self, orders: Orders, grants: &[u32]) -> Result<(), VchanError> {
        let orders = orders.check()?;
        if grants.len() != orders.grant_count() {
            return Err(VchanError::GrantCount { expected: orders.grant_count(), got: grants.len() });
        }
        for ring in [&self.left, &self.right] {
            ring.cons.store(0, Ordering::Relaxed);
            ring.prod.store(0, Ordering::Relaxed);
        }
        for b in &self.rest {
            b.store(0, Ordering::Relaxed);
        }
        for (i, g) in grants.iter().enumerate() {
            for (j, byte) in g.to_le_bytes().into_iter().enumerate() {
                self.rest[4 * i + j].store(byte, Ordering::Relaxed);
            }
        }
        self.left_order.store(orders.left, Ordering::Relaxed);
        self.right_order.store(orders.right, Ordering::Relaxed);
        self.cli_live.store(LIVE_NOT_YET, Ordering::Relaxed);
        self.srv_live.store(LIVE_CONNECTED, Ordering::Relaxed);
        self.cli_notify.store(VCHAN_NOTIFY_WRITE, Ordering::Relaxed);
        self.srv_notify.store(0, Ordering::Relaxed);
        fence(Ordering::Release);
        Ok(())
    }

    /// The client's reading of the page: the orders, read once and checked
    /// ([`Orders::check`]). Use [`SharedPage::grant`] for `0..grant_count()`.
    pub fn client_orders(&self) -> Result<Orders, VchanError> {
        fence(Ordering::Acquire);
        Orders { left: self.left_order.load(Ordering::Relaxed), right: self.right_order.load(Ordering::Relaxed) }
            .check()
    }

    /// Grant list entry `i` (little-endian `u32` at page offset `24 + 4 i`);
    /// None past the end of the page.
    pub fn grant(&self, i: usize) -> Option<u32> {
        let at = self.rest.get(4 * i..4 * i + 4)?;
        Some(u32::from_le_bytes([0, 1, 2, 3].map(|j| at[j].load(Ordering::Relaxed))))
    }

    /// The in-page ring of `order` (10: page bytes 1024..2048, 11:
    /// 2048..4096), None for other orders.
    pub fn in_page_ring(&self, order: u16) -> Option<&[AtomicU8]> {
        let off = in_page_offset(order)? - HEADER_SIZE;
        Some(&self.rest[off..off + (1 << order)])
    }
}

/// Which end of the channel an [`Endpoint`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Grants the pages; reads `left`, writes `right`.
    Server,
    /// Maps the pages; reads `right`, writes `left`.
    Client,
}

/// The peer's state from its live byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Live {
    /// 0: exited (for the client: also what gntdev's unmap-notify writes
    /// when the client process dies).
    Exited,
    /// 1: connected.
    Connected,
    /// 2: not connected yet.
    NotYet,
}

/// The result of a read or write: bytes moved, and whether the peer asked to
/// be told (the caller then sends an event on the channel's port).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Xfer {
    /// Bytes copied.
    pub bytes: usize,
    /// The peer had set the matching bit in our notify byte (now cleared).
    pub notify: bool,
}

/// One end of an established channel.
#[derive(Debug)]
pub struct Endpoint<'a> {
    page: &'a SharedPage,
    role: Role,
    rx: &'a [AtomicU8],
    tx: &'a [AtomicU8],
    rx_cons: u32,
    tx_prod: u32,
}

fn ring_len_ok(ring: &[AtomicU8]) -> Result<u32, VchanError> {
    let n = ring.len();
    if n.is_power_of_two() && (1 << MIN_ORDER..=1 << MAX_ORDER).contains(&n) {
        Ok(n as u32)
    } else {
        Err(VchanError::BadRingLength(n))
    }
}

impl<'a> Endpoint<'a> {
    /// An endpoint over `page` and the two ring arrays (`left`: client →
    /// server, `right`: server → client; each `1 << order` bytes, in the page
    /// ([`SharedPage::in_page_ring`]) or mapped from the grant list). Our own
    /// counters start from the page's values, read once now.
    pub fn new(
        page: &'a SharedPage,
        role: Role,
        left: &'a [AtomicU8],
        right: &'a [AtomicU8],
    ) -> Result<Self, VchanError> {
        ring_len_ok(left)?;
        ring_len_ok(right)?;
        let (rx, tx) = match role {
            Role::Server => (left, right),
            Role::Client => (right, left),
        };
        let mut e = Endpoint { page, role, rx, tx, rx_cons: 0, tx_prod: 0 };
        e.rx_cons = e.rx_shared().cons.load(Ordering::Acquire);
        e.tx_prod = e.tx_shared().prod.load(Ordering::Acquire);
        Ok(e)
    }

    /// This endpoint's role.
    pub fn role(&self) -> Role {
        self.role
    }

    fn rx_shared(&self) -> &RingShared {
        match self.role {
            Role::Server => &self.page.left,
            Role::Client => &self.page.right,
        }
    }

    fn tx_shared(&self) -> &RingShared {
        match self.role {
            Role::Server => &self.page.right,
            Role::Client => &self.page.left,
        }
    }

    fn rx_ring(&self) -> Ring {
        match self.role {
            Role::Server => Ring::Left,
            Role::Client => Ring::Right,
        }
    }

    fn tx_ring(&self) -> Ring {
        match self.role {
            Role::Server => Ring::Right,
            Role::Client => Ring::Left,
        }
    }

    /// The byte the peer sets to ask us for events (`srv_notify` for the server).
    fn own_notify(&self) -> &AtomicU8 {
        match self.role {
            Role::Server => &self.page.srv_notify,
            Role::Client => &self.page.cli_notify,
        }
    }

    /// The byte we set to ask the peer for events.
    fn peer_notify(&self) -> &AtomicU8 {
        match self.role {
            Role::Server => &self.page.cli_notify,
            Role::Client => &self.page.srv_notify,
        }
    }

    fn own_live(&self) -> &AtomicU8 {
        match self.role {
            Role::Server => &self.page.srv_live,
            Role::Client => &self.page.cli_live,
        }
    }

    fn peer_live(&self) -> &AtomicU8 {
        match self.role {
            Role::Server => &self.page.cli_live,
            Role::Client => &self.page.srv_live,
        }
    }

    fn rx_window(&self) -> Result<Window, VchanError> {
        let size = self.rx.len() as u32;
        let prod = self.rx_shared().prod.load(Ordering::Acquire);
        readable(self.rx_cons, prod, size).map_err(|e| self.corrupt(e, self.rx_ring(), prod, self.rx_cons, size))
    }

    fn tx_window(&self) -> Result<Window, VchanError> {
        let size = self.tx.len() as u32;
        let cons = self.tx_shared().cons.load(Ordering::Acquire);
        writable(self.tx_prod, cons, size).map_err(|e| self.corrupt(e, self.tx_ring(), self.tx_prod, cons, size))
    }

    fn corrupt(&self, _e: RingError, ring: Ring, prod: u32, cons: u32, size: u32) -> VchanError {
        VchanError::Corrupt { ring, prod, cons, size }
    }

    /// Bytes ready to read (`libxenvchan_data_ready`, but a corrupt ring is an
    /// error instead of 0).
    pub fn data_ready(&self) -> Result<usize, VchanError> {
        Ok(self.rx_window()?.len() as usize)
    }

    /// Free bytes in the ring we write (`libxenvchan_buffer_space`).
    pub fn buffer_space(&self) -> Result<usize, VchanError> {
        Ok(self.tx_window()?.len() as usize)
    }

    /// Capacity of the ring we write.
    pub fn tx_size(&self) -> usize {
        self.tx.len()
    }

    /// Reads up to `dst.len()` bytes (io.c `do_recv`): copy, publish `cons`
    /// (Release), full fence, then test-and-clear `VCHAN_NOTIFY_READ` in our
    /// notify byte. On `Err` nothing was read.
    pub fn read(&mut self, dst: &mut [u8]) -> Result<Xfer, VchanError> {
        let window = self.rx_window()?.take(dst.len());
        if window.is_empty() {
            return Ok(Xfer { bytes: 0, notify: false });
        }
        let mut out = dst.iter_mut();
        for span in window.spans() {
            // The span first: zip polls it first, so `out` is not advanced
            // past the span's end.
            for (byte, slot) in self.rx[span].iter().zip(out.by_ref()) {
                *slot = byte.load(Ordering::Relaxed);
            }
        }
        self.rx_cons = self.rx_cons.wrapping_add(window.len());
        // Release: our data loads complete before the peer sees the space freed.
        self.rx_shared().cons.store(self.rx_cons, Ordering::Release);
        Ok(Xfer { bytes: window.len() as usize, notify: self.take_notify(VCHAN_NOTIFY_READ) })
    }

    /// Writes as much of `src` as fits (io.c `do_send`, the stream mode of
    /// `libxenvchan_write`): copy, publish `prod` (Release), full fence, then
    /// test-and-clear `VCHAN_NOTIFY_WRITE`. On `Err` nothing was written.
    pub fn write(&mut self, src: &[u8]) -> Result<Xfer, VchanError> {
        let window = self.tx_window()?.take(src.len());
        if window.is_empty() {
            return Ok(Xfer { bytes: 0, notify: false });
        }
        let mut input = src.iter();
        for span in window.spans() {
            for (byte, &b) in self.tx[span].iter().zip(input.by_ref()) {
                byte.store(b, Ordering::Relaxed);
            }
        }
        self.tx_prod = self.tx_prod.wrapping_add(window.len());
        // Release: the data is visible before the peer sees `prod` move.
        self.tx_shared().prod.store(self.tx_prod, Ordering::Release);
        Ok(Xfer { bytes: window.len() as usize, notify: self.take_notify(VCHAN_NOTIFY_WRITE) })
    }

    /// io.c `send_notify`: a full fence (the counter store above before the
    /// notify byte is examined), then fetch-and-clear `bit`.
    fn take_notify(&self, bit: u8) -> bool {
        fence(Ordering::SeqCst);
        self.own_notify().fetch_and(!bit, Ordering::SeqCst) & bit != 0
    }

    /// io.c `request_notify(WRITE)` then a re-check: asks the peer for an
    /// event when it writes, and returns the bytes ready now. If this is 0
    /// the caller may wait for the event: a write after this call notifies.
    pub fn want_data(&self) -> Result<usize, VchanError> {
        self.peer_notify().fetch_or(VCHAN_NOTIFY_WRITE, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        self.data_ready()
    }

    /// io.c `request_notify(READ)` then a re-check: asks the peer for an event
    /// when it consumes, and returns the free space now.
    pub fn want_space(&self) -> Result<usize, VchanError> {
        self.peer_notify().fetch_or(VCHAN_NOTIFY_READ, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        self.buffer_space()
    }

    /// The peer's live byte.
    pub fn peer(&self) -> Result<Live, VchanError> {
        match self.peer_live().load(Ordering::Acquire) {
            LIVE_EXITED => Ok(Live::Exited),
            LIVE_CONNECTED => Ok(Live::Connected),
            LIVE_NOT_YET => Ok(Live::NotYet),
            v => Err(VchanError::BadLive(v)),
        }
    }

    /// Marks our side connected (the client does this once set up:
    /// `cli_live = 1`, then asks for write events like init.c).
    pub fn connect(&self) {
        self.own_live().store(LIVE_CONNECTED, Ordering::Release);
        self.peer_notify().fetch_or(VCHAN_NOTIFY_WRITE, Ordering::SeqCst);
    }

    /// `libxenvchan_close`: our live byte to 0; the caller then sends an event.
    pub fn close(&self) {
        fence(Ordering::SeqCst);
        self.own_live().store(LIVE_EXITED, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests;
