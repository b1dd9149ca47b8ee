//! The xenstore client: xs-client's engine over the shared ring pair Xen set
//! up for us (HVM_PARAM_STORE_PFN / HVM_PARAM_STORE_EVTCHN, the page laid
//! out as `xenstore_domain_interface` in `io/xs_wire.h`).
//!
//! This module is the transport (the ring page, the event channel, bounded
//! waits) and a thin API over one global client. The engine does the rest
//! (see crates/xs-client): replies matched by req_id, late replies discarded,
//! a request that timed out half written is finished before the next one,
//! watch events queued (at most [`MAX_QUEUED_WATCH_EVENTS`]; more are counted
//! as dropped), and a broken stream fails every later request at once. Every
//! wait is bounded ([`TIMEOUT_NS`] a request): a silent xenstored gives a
//! Timeout error, never a hang. The other side of the ring is untrusted:
//! xen-ring bounds every index, xs-wire every length.
//!
//! Relative paths resolve in our home, `/local/domain/<domid>`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::mem::offset_of;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use spin::Mutex;
use xen_abi::hvm::{HVM_PARAM_STORE_EVTCHN, HVM_PARAM_STORE_PFN};
use xen_abi::xenstore::{XenstoreDomainInterface, XENSTORE_RING_SIZE};
use xen_abi::Port;
use xen_ring::RingError;
pub use xs_client::Tx;
use xs_client::{Client, Doorbell, Limits, RingTransport};

use super::ring::PageRing;
use super::{events, evtchn, time, wait};

type Ring = PageRing<{ XENSTORE_RING_SIZE as u32 }>;
type Engine = Client<RingTransport<Ring, StoreBell>>;

/// How long one request may take, ring space and reply included.
pub const TIMEOUT_NS: u64 = 5_000_000_000;

/// Watch events kept until taken.
pub const MAX_QUEUED_WATCH_EVENTS: usize = 64;

/// The engine's error on this transport.
pub type ClientError = xs_client::Error<RingError>;

#[derive(Debug)]
pub enum XsErrorKind {
    /// No ring: HVM_PARAM_STORE_PFN is 0 (a PVH dom0), or init() not called.
    NotAvailable,
    /// The engine's error: xenstored's ENOENT/EACCES/..., a timeout, a broken
    /// stream (see xs_client::Error).
    Client(ClientError),
}

/// A failed request: which one, on which path, why.
#[derive(Debug)]
pub struct XsClientError {
    pub op: &'static str,
    pub path: String,
    pub kind: XsErrorKind,
}

impl XsClientError {
    pub fn is_enoent(&self) -> bool {
        matches!(&self.kind, XsErrorKind::Client(e) if e.is_enoent())
    }
}

impl fmt::Display for XsClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "xenstore {} {}: ", self.op, self.path.escape_debug())?;
        match &self.kind {
            XsErrorKind::NotAvailable => write!(f, "no xenstore ring (HVM_PARAM_STORE_PFN is 0)"),
            XsErrorKind::Client(e) => write!(f, "{e}"),
        }
    }
}

/// The store port's doorbell: EVTCHNOP_send, and waits for the port's
/// handler to count an event.
struct StoreBell {
    port: Port,
}

impl Doorbell for StoreBell {
    fn notify(&mut self) {
        let _ = evtchn::send(self.port);
    }

    fn events(&self) -> u64 {
        STORE_EVENTS.load(Ordering::Acquire)
    }

    fn wait(&mut self, seen: u64, deadline_ns: u64) {
        let now = time::system_time_ns();
        if now >= deadline_ns {
            return;
        }
        // A slice of at most 10 ms: should a notification ever be missed,
        // the engine looks at the rings again soon anyway.
        let slice = (deadline_ns - now).min(10_000_000);
        let _ = wait::wait_until(Some(slice), || STORE_EVENTS.load(Ordering::Acquire) != seen);
    }

    fn now_ns(&self) -> u64 {
        time::system_time_ns()
    }
}

static CLIENT: Mutex<Option<Engine>> = Mutex::new(None);
/// Notifications on the store port so far (the port's handler counts).
static STORE_EVENTS: AtomicU64 = AtomicU64::new(0);
/// STORE_EVENTS as read before the last drain of the response ring.
static DRAINED_AT: AtomicU64 = AtomicU64::new(0);
/// Watch events queued in the client after the last call.
static QUEUED: AtomicUsize = AtomicUsize::new(0);
/// Watch events dropped by earlier connections, and in all.
static DROPPED_BEFORE: AtomicU64 = AtomicU64::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);
/// Requests sent, ever (watch-event takes are not requests): for the idle
/// report, which must see none while nothing happens.
static REQUESTS: AtomicU64 = AtomicU64::new(0);
/// The store port bound now (0: none).
static PORT: AtomicU32 = AtomicU32::new(0);

fn on_store_event(_: Port) {
    STORE_EVENTS.fetch_add(1, Ordering::Release);
}

/// Connects to the ring Xen prepared, once; later calls return true at
/// once. False when there is none (a PVH dom0).
pub fn init() -> bool {
    if CLIENT.lock().is_some() {
        return true;
    }
    connect()
}

/// Starts afresh on the ring and port the HVM params name now: after a
/// resume in a new domain the page is zeroed and the port is new. The rings
/// are taken with their counters as found; any request in flight, any
/// queued watch event and any watch xenstored had for us are gone: the
/// caller registers its watches again. False when there is no ring.
pub fn reconnect() -> bool {
    let old = CLIENT.lock().take();
    if let Some(old) = old {
        DROPPED_BEFORE.fetch_add(old.watch_events_dropped(), Ordering::Relaxed);
    }
    if let Ok(port) = Port::new(PORT.swap(0, Ordering::AcqRel)) {
        events::unbind_handler(port);
    }
    QUEUED.store(0, Ordering::Relaxed);
    let ok = connect();
    log::info!("xenstore: reconnect: {}", if ok { "connected" } else { "no ring" });
    ok
}

fn connect() -> bool {
    let pfn = super::hvm::get_param(HVM_PARAM_STORE_PFN).unwrap_or(0);
    let port = super::hvm::get_param(HVM_PARAM_STORE_EVTCHN).ok().and_then(|p| Port::new(p as u32).ok());
    let (Some(port), true) = (port, pfn != 0 && pfn < crate::arch::paging::mapped_limit() >> 12) else {
        return false;
    };
    let page = (pfn << 12) as usize;
    type I = XenstoreDomainInterface;
    // SAFETY: Xen gave us this page for the xenstore ring; it is identity
    // mapped (checked above) and the offsets are xenstore_domain_interface's
    // (checked against the real headers by xen-abi's tests).
    let (req, rsp) = unsafe {
        (
            Ring::new(page, offset_of!(I, req), offset_of!(I, req_prod), offset_of!(I, req_cons)),
            Ring::new(page, offset_of!(I, rsp), offset_of!(I, rsp_prod), offset_of!(I, rsp_cons)),
        )
    };
    let limits = Limits { timeout_ns: TIMEOUT_NS, max_watch_events: MAX_QUEUED_WATCH_EVENTS };
    let client = Client::with_limits(RingTransport::new(req, rsp, StoreBell { port }), limits);
    DRAINED_AT.store(STORE_EVENTS.load(Ordering::Acquire), Ordering::Release);
    *CLIENT.lock() = Some(client);
    PORT.store(port.get(), Ordering::Release);
    events::bind_handler(port, on_store_event);
    true
}

/// Runs `f` on the client, then drains the response ring without waiting
/// (queuing watch events) and publishes what watch_event_pending() reads.
fn with_client<R>(
    op: &'static str,
    path: &str,
    f: impl FnOnce(&mut Engine) -> Result<R, ClientError>,
) -> Result<R, XsClientError> {
    let err = |kind| XsClientError { op, path: String::from(path), kind };
    let mut guard = CLIENT.lock();
    let client = guard.as_mut().ok_or_else(|| err(XsErrorKind::NotAvailable))?;
    if op != "WATCH_EVENT" {
        REQUESTS.fetch_add(1, Ordering::Relaxed);
    }
    let result = f(client);
    // Read before the drain: an event after it keeps watch_event_pending() true.
    let before = STORE_EVENTS.load(Ordering::Acquire);
    let _ = client.poll();
    DRAINED_AT.store(before, Ordering::Release);
    QUEUED.store(client.queued_watch_events(), Ordering::Release);
    DROPPED.store(DROPPED_BEFORE.load(Ordering::Relaxed) + client.watch_events_dropped(), Ordering::Relaxed);
    result.map_err(|e| err(XsErrorKind::Client(e)))
}

pub fn read(path: &str) -> Result<String, XsClientError> {
    tx_read(Tx::NONE, path)
}

pub fn write(path: &str, value: &str) -> Result<(), XsClientError> {
    tx_write(Tx::NONE, path, value)
}

pub fn mkdir(path: &str) -> Result<(), XsClientError> {
    tx_mkdir(Tx::NONE, path)
}

pub fn rm(path: &str) -> Result<(), XsClientError> {
    tx_rm(Tx::NONE, path)
}

pub fn directory(path: &str) -> Result<Vec<String>, XsClientError> {
    with_client("DIRECTORY", path, |c| c.directory(Tx::NONE, path))
}

pub fn watch(path: &str, token: &str) -> Result<(), XsClientError> {
    with_client("WATCH", path, |c| c.watch(path, token))
}

pub fn unwatch(path: &str, token: &str) -> Result<(), XsClientError> {
    with_client("UNWATCH", path, |c| c.unwatch(path, token))
}

/// XS_TRANSACTION_START: pass the id to the `tx_*` calls, then to
/// [`transaction_end`].
pub fn transaction_start() -> Result<Tx, XsClientError> {
    with_client("TRANSACTION_START", "", |c| c.transaction_start())
}

/// XS_TRANSACTION_END: commit (`commit`) or abort. A commit that raced
/// another writer fails with EAGAIN (`XsError::EAGAIN`): run it again.
pub fn transaction_end(tx: Tx, commit: bool) -> Result<(), XsClientError> {
    with_client("TRANSACTION_END", "", |c| c.transaction_end(tx, commit))
}

/// The value at `path` in transaction `tx` (invalid UTF-8 replaced).
pub fn tx_read(tx: Tx, path: &str) -> Result<String, XsClientError> {
    let v = with_client("READ", path, |c| c.read(tx, path))?;
    Ok(String::from_utf8_lossy(xs_wire::trim_nul(&v)).into_owned())
}

pub fn tx_write(tx: Tx, path: &str, value: &str) -> Result<(), XsClientError> {
    with_client("WRITE", path, |c| c.write(tx, path, value.as_bytes()))
}

pub fn tx_mkdir(tx: Tx, path: &str) -> Result<(), XsClientError> {
    with_client("MKDIR", path, |c| c.mkdir(tx, path))
}

/// XS_SET_PERMS in transaction `tx`: `perms[0]` is the owner and the
/// default for unlisted domains (xs_wire.h, docs/misc/xenstore.txt).
pub fn tx_set_perms(tx: Tx, path: &str, perms: &[xs_wire::Perm]) -> Result<(), XsClientError> {
    with_client("SET_PERMS", path, |c| c.request(tx, &xs_wire::Request::SetPerms { path, perms }).map(|_| ()))
}

pub fn tx_rm(tx: Tx, path: &str) -> Result<(), XsClientError> {
    with_client("RM", path, |c| c.rm(tx, path))
}

/// The oldest queued watch event (path, token), waiting up to `timeout_ns`
/// for one to arrive; 0 does not wait (the main loop's non-blocking take).
pub fn next_watch_event(timeout_ns: u64) -> Result<Option<(String, String)>, XsClientError> {
    let ev = with_client("WATCH_EVENT", "", |c| c.wait_watch_event(timeout_ns))?;
    Ok(ev.map(|e| (e.path, e.token)))
}

/// True when a watch event may be waiting: one is queued, or the store
/// port fired since the ring was last drained (then it may be a reply or
/// free space only; [`next_watch_event`]`(0)` tells). Lock-free and cheap:
/// for the main loop's wait condition (called with interrupts off).
pub fn watch_event_pending() -> bool {
    QUEUED.load(Ordering::Acquire) > 0 || STORE_EVENTS.load(Ordering::Acquire) != DRAINED_AT.load(Ordering::Acquire)
}

/// Requests sent so far.
pub fn requests() -> u64 {
    REQUESTS.load(Ordering::Relaxed)
}

/// Watch events dropped because the queue was full or malformed (all
/// connections).
pub fn watch_events_dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}
