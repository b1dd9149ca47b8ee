//! `mode=vchan`: xenbell as a libxenvchan server that echoes every byte.
//!
//! Each offer (libxenvchan init.c `libxenvchan_server_init`, see crate
//! vchan): pages from the heap for the shared page and any external ring,
//! each granted to `remote`; an unbound port only `remote` may bind; the page
//! set up (`cli_live = 2`, `srv_live = 1`, `cli_notify = WRITE`); then
//! `ring-ref` and `event-channel` written under
//! `data/vchan/<remote>/<n>` in one transaction, readable by `remote`.
//! The client (Xen's vchan-socket-proxy, xenbell-dom0 vchan) maps the page,
//! binds the port and sets `cli_live = 1`.
//!
//! Serving: on each event, echo what is readable (bounded by the free space
//! of the ring we write, so nothing is held back), ask for an event before
//! sleeping (io.c: request-notify, then re-check). The client is gone when
//! its live byte reads 0 (libxenvchan's gntdev unmap-notify clears it and
//! sends an event when the client process ends). A client that breaks the
//! protocol (ring counters out of range, a live byte that is not 0/1/2) is
//! dropped with one line. Either way the port is closed, the grants revoked
//! (only once unmapped: a grant still mapped stays granted and its pages
//! stay allocated, retried before each new offer) and the channel offered
//! again on fresh pages and a fresh port.
//!
//! The toolstack (`control/shutdown`, watched while serving, idle or busy):
//! the client first sees `srv_live` = 0 and an event (as at
//! libxenvchan_close); then `xl shutdown`/`xl reboot` end the domain, and
//! `xl save`/`migrate` suspend it: the offer is torn down, and afterwards
//! (in a new domain: grant table mapped again, watch and features again,
//! our new domid in the path; or cancelled) the channel is offered anew.
//!
//! Nothing here runs in the upcall except [`on_event`], which only counts.

use alloc::alloc::{alloc_zeroed, dealloc, Layout};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, AtomicU8, Ordering};

use cmdline::Config;
use gnttab::GrantError;
use vchan::{ring_pages, Endpoint, Live, Orders, Role, SharedPage, VchanError};
use xen_abi::grant_table::GrantRef;
use xen_abi::{DomId, Port};
use xenbell_proto::console::{VchanClientGone, VchanReady};
use xs_wire::{Perm, PermKind, XsError};

use super::control::{self, Control, Request};
use crate::watchdog::{self, Phase};
use crate::xen::suspend::{Outcome, SuspendError};
use crate::xen::xenstore::{self, XsClientError, XsErrorKind};
use crate::xen::{events, evtchn, grant, wait};

/// Events on the current offer's port.
static EVENTS: AtomicU64 = AtomicU64::new(0);

/// The port's handler, in the upcall: counts only.
fn on_event(_: Port) {
    EVENTS.fetch_add(1, Ordering::Release);
}

const PAGE: usize = 4096;
/// Bytes moved per echo step.
const CHUNK: usize = 4096;
/// How long a departed client's grants may stay mapped before we give up
/// waiting (the gntdev unmap follows its unmap-notify closely).
const REVOKE_TRIES: u32 = 50;
const REVOKE_SLICE_NS: u64 = 20_000_000;

/// Zeroed, page-aligned heap pages (identity-mapped: address = GFN << 12).
struct Pages {
    ptr: NonNull<u8>,
    len: usize,
}

impl Pages {
    fn new(len: usize) -> Result<Pages, String> {
        let layout = Layout::from_size_align(len, PAGE).map_err(|e| e.to_string())?;
        // SAFETY: len > 0 (a ring or a page), valid layout.
        let ptr = unsafe { alloc_zeroed(layout) };
        NonNull::new(ptr).map(|ptr| Pages { ptr, len }).ok_or_else(|| format!("heap: no {len} bytes for vchan pages"))
    }

    fn gfns(&self) -> impl Iterator<Item = u64> + '_ {
        let first = self.ptr.as_ptr() as u64 >> 12;
        (0..(self.len / PAGE) as u64).map(move |i| first + i)
    }

    fn atomics(&self) -> &[AtomicU8] {
        // SAFETY: we own len bytes at ptr, zero-initialised, for as long as
        // self lives; AtomicU8 has u8's layout and every access (ours and,
        // once granted, the peer's) is atomic.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr() as *const AtomicU8, self.len) }
    }

    fn shared_page(&self) -> &SharedPage {
        // SAFETY: a whole page, 4096-aligned, zeroed: a valid SharedPage
        // (all atomics); lives as long as self.
        unsafe { &*(self.ptr.as_ptr() as *const SharedPage) }
    }
}

impl Drop for Pages {
    fn drop(&mut self) {
        // SAFETY: allocated in new() with this layout; dropped only once
        // every grant of these pages is revoked (see Offer::teardown).
        unsafe { dealloc(self.ptr.as_ptr(), Layout::from_size_align_unchecked(self.len, PAGE)) }
    }
}

/// One offer of the channel: its memory, grants and port.
struct Offer {
    page: Pages,
    left: Option<Pages>,
    right: Option<Pages>,
    /// The shared page's ref first, then the ring pages' refs.
    grants: Vec<GrantRef>,
    port: Option<Port>,
}

impl Offer {
    fn new(remote: DomId, orders: Orders) -> Result<Offer, String> {
        let ext = |order: u16| match ring_pages(order) {
            0 => Ok(None),
            n => Pages::new(n * PAGE).map(Some),
        };
        let mut offer = Offer {
            page: Pages::new(PAGE)?,
            left: ext(orders.left)?,
            right: ext(orders.right)?,
            grants: Vec::new(),
            port: None,
        };
        let gfns: Vec<u64> =
            offer.page.gfns().chain(offer.left.iter().chain(offer.right.iter()).flat_map(Pages::gfns)).collect();
        for gfn in gfns {
            match grant::grant(remote, gfn, false) {
                Ok(r) => offer.grants.push(r),
                Err(e) => {
                    let kept = offer.teardown();
                    return Err(format!("vchan: grant of frame {gfn:#x} to domain {remote}: {e}{kept}"));
                }
            }
        }
        offer.page.shared_page().init_server(orders, &offer.grants[1..]).map_err(|e| format!("vchan: setup: {e}"))?;
        let port = evtchn::alloc_unbound(remote).map_err(|e| format!("vchan: {e}"))?;
        offer.port = Some(port);
        EVENTS.store(0, Ordering::Release);
        events::bind_handler(port, on_event);
        Ok(offer)
    }

    fn rings(&self, orders: Orders) -> (&[AtomicU8], &[AtomicU8]) {
        (self.ring(orders.left, &self.left), self.ring(orders.right, &self.right))
    }

    /// The ring of `order`: in the shared page, or the external pages
    /// Offer::new allocated for it.
    fn ring<'a>(&'a self, order: u16, ext: &'a Option<Pages>) -> &'a [AtomicU8] {
        match self.page.shared_page().in_page_ring(order) {
            Some(r) => r,
            None => ext.as_ref().map_or(&[][..], Pages::atomics),
        }
    }

    /// Closes the port and revokes every grant, waiting a little for the
    /// client's unmap. Returns "" when all is released, else a note naming
    /// the grants still mapped (the offer must then be kept, not dropped).
    fn teardown(&mut self) -> String {
        if let Some(port) = self.port.take() {
            events::unbind_handler(port);
            if let Err(e) = evtchn::close(port) {
                log::warn!("vchan: port {}: {e}", port.get());
            }
        }
        for attempt in 0..REVOKE_TRIES {
            let mut still: Vec<GrantError> = Vec::new();
            self.grants.retain(|&r| match grant::revoke(r) {
                Ok(()) => false,
                Err(e) => {
                    still.push(e);
                    true
                }
            });
            if self.grants.is_empty() {
                return String::new();
            }
            if attempt + 1 == REVOKE_TRIES {
                return format!("; {} grants kept, first: {}", still.len(), still[0]);
            }
            wait::sleep(REVOKE_SLICE_NS);
        }
        String::new()
    }
}

/// Why a session ended.
enum End {
    Gone,
    /// What the client did wrong.
    Broken(String),
    /// The toolstack asked for a suspend (acknowledged).
    Suspend,
}

/// Our domid, from xenstore (it changes with a restore or migration).
fn own_domid() -> DomId {
    let domid = xenstore::read("domid").unwrap_or_else(|e| super::fatal(e));
    domid.parse().unwrap_or_else(|_| super::fatal(format_args!("xenstore domid: bad value {domid:?}")))
}

/// The `control/shutdown` watch and the features we answer.
fn watch_control() {
    if let Err(e) = xenstore::watch(control::SHUTDOWN, TOKEN_CONTROL) {
        super::fatal(e);
    }
    control::advertise();
}

pub fn run(cfg: &Config) -> ! {
    let q = grant::init().unwrap_or_else(|e| super::fatal(format_args!("vchan: grant table: {e}")));
    log::info!(
        "vchan: grant table v1 mapped, {} of at most {} frames (status {})",
        q.nr_frames,
        q.max_nr_frames,
        q.status
    );
    let orders = match cfg.vchan_order {
        Some(o) => Orders::for_server(o, o).unwrap_or(Orders::SERVER_DEFAULT),
        None => Orders::SERVER_DEFAULT,
    };
    let rel = format!("data/vchan/{}/{}", cfg.remote, cfg.vchan);
    let mut own = own_domid();
    watch_control();
    let mut ctl = Control::new();
    let mut kept: Vec<Offer> = Vec::new();
    loop {
        kept.retain_mut(|o| !o.teardown().is_empty());
        let mut offer = Offer::new(cfg.remote, orders).unwrap_or_else(|e| super::fatal(e));
        let port = offer.port.map_or(0, |p| p.get());
        if let Err(e) = publish(&rel, offer.grants[0], port, own, cfg.remote) {
            super::fatal(e);
        }
        let path = format!("/local/domain/{own}/{rel}");
        log::info!("{}", VchanReady { path: &path });
        let (end, bytes) = serve(&offer, orders, &mut ctl);
        // libxenvchan_close: srv_live = 0, then an event, so a client still
        // there (one we dropped) sees the server go.
        offer.page.shared_page().srv_live.store(vchan::LIVE_EXITED, Ordering::SeqCst);
        if let Some(p) = offer.port {
            let _ = evtchn::send(p);
        }
        let note = offer.teardown();
        if !note.is_empty() {
            kept.push(offer);
        }
        match end {
            End::Gone => log::info!("{}{note}", VchanClientGone { bytes }),
            End::Broken(e) => log::warn!("xenbell: vchan client dropped: {e} (after {bytes} bytes){note}"),
            End::Suspend => {
                if suspend() {
                    // A new domain: the grants still kept went with the old
                    // one (grant::resume forgot them); their pages are ours.
                    kept.clear();
                    own = own_domid();
                    watch_control();
                }
            }
        }
    }
}

/// `ring-ref` and `event-channel` under `rel`, in one transaction, each with
/// permissions `[n<own>, r<remote>]` as libxenvchan sets them. A commit
/// that raced another writer (EAGAIN) is retried.
fn publish(rel: &str, gref: GrantRef, port: u32, own: DomId, remote: DomId) -> Result<(), XsClientError> {
    let perms = [Perm { kind: PermKind::None, domid: own }, Perm { kind: PermKind::Read, domid: remote }];
    let mut attempt = 0;
    loop {
        watchdog::progress(Phase::Xenstore);
        let tx = xenstore::transaction_start()?;
        let body = || -> Result<(), XsClientError> {
            for (key, value) in [("ring-ref", gref), ("event-channel", port)] {
                let p = format!("{rel}/{key}");
                xenstore::tx_write(tx, &p, &format!("{value}"))?;
                xenstore::tx_set_perms(tx, &p, &perms)?;
            }
            Ok(())
        };
        if let Err(e) = body() {
            let _ = xenstore::transaction_end(tx, false);
            return Err(e);
        }
        match xenstore::transaction_end(tx, true) {
            Err(e) if attempt < 8 && is_eagain(&e) => attempt += 1,
            other => return other,
        }
    }
}

fn is_eagain(e: &XsClientError) -> bool {
    matches!(&e.kind, XsErrorKind::Client(xs_client::Error::Store(XsError::EAGAIN)))
}

const TOKEN_CONTROL: &str = "control-shutdown";

/// Suspends (lines as in the ping-pong mode: docs/lifecycle.md); true if
/// running in a new domain now. A failed rebuild crashes the domain.
fn suspend() -> bool {
    log::info!("xenbell: suspending");
    watchdog::progress(Phase::Off);
    let outcome = crate::xen::suspend::suspend();
    watchdog::progress(Phase::Idle);
    match outcome {
        Ok(Outcome::Resumed { domid, incarnation, .. }) => {
            log::info!(
                "xenbell: resumed domid={} incarnation={incarnation}",
                domid.map_or_else(|| "?".into(), |d| format!("{d}"))
            );
            true
        }
        Ok(Outcome::Cancelled) => {
            log::info!("xenbell: suspend cancelled");
            false
        }
        Err(e @ SuspendError::Resume(_)) => super::fatal(e),
        Err(e) => {
            log::warn!("lifecycle: {e}: not suspended, going on");
            false
        }
    }
}

/// Takes the queued watch events; true if `control/shutdown` fired.
fn control_fired() -> bool {
    let mut fired = false;
    while let Ok(Some((_, token))) = xenstore::next_watch_event(0) {
        fired |= token == TOKEN_CONTROL;
    }
    fired
}

/// Echoes until the client leaves or breaks the protocol; returns why, and
/// the bytes echoed. A poweroff or reboot request ends the domain from here.
fn serve(offer: &Offer, orders: Orders, ctl: &mut Control) -> (End, u64) {
    let (left, right) = offer.rings(orders);
    let page = offer.page.shared_page();
    let port = offer.port.expect("an offer being served has a port");
    let mut ep = match Endpoint::new(page, Role::Server, left, right) {
        Ok(ep) => ep,
        Err(e) => return (End::Broken(e.to_string()), 0),
    };
    let mut bytes = 0u64;
    let mut buf = [0u8; CHUNK];
    let notify = || {
        if let Err(e) = evtchn::send(port) {
            log::debug!("vchan: port {}: {e}", port.get());
        }
    };
    loop {
        // The toolstack's requests, also while data flows without a pause.
        if xenstore::watch_event_pending() && control_fired() {
            if let Some(request) = ctl.take_request() {
                // The client sees the server go first (run() sets srv_live
                // and notifies again for a suspend; harmless).
                page.srv_live.store(vchan::LIVE_EXITED, Ordering::SeqCst);
                notify();
                log::info!("vchan: closed for the toolstack after {bytes} bytes");
                match request {
                    Request::End(value, reason) => control::end(&value, reason),
                    Request::Suspend => return (End::Suspend, bytes),
                }
            }
        }
        let seen = EVENTS.load(Ordering::Acquire);
        let step = || -> Result<Option<usize>, VchanError> {
            if ep.peer()? == Live::Exited {
                return Ok(None);
            }
            Ok(Some(ep.data_ready()?.min(ep.buffer_space()?).min(CHUNK)))
        };
        let n = match step() {
            Ok(None) => return (End::Gone, bytes),
            Ok(Some(n)) => n,
            Err(e) => return (End::Broken(e.to_string()), bytes),
        };
        if n > 0 {
            let moved = ep.read(&mut buf[..n]).and_then(|r| {
                if r.notify {
                    notify();
                }
                let w = ep.write(&buf[..r.bytes])?;
                if w.notify {
                    notify();
                }
                Ok((r.bytes, w.bytes))
            });
            match moved {
                Ok((r, w)) if r == w => bytes += r as u64,
                // The space we measured shrank: only a peer moving its
                // counter back can do that.
                Ok((r, w)) => {
                    return (End::Broken(format!("Right ring: cons moved back ({w} of {r} bytes fit)")), bytes)
                }
                Err(e) => return (End::Broken(e.to_string()), bytes),
            }
            continue;
        }
        // Nothing to move: ask for an event, look again, then sleep.
        let again = match ep.data_ready() {
            Ok(0) => ep.want_data(),
            Ok(_) => ep.want_space(),
            Err(e) => Err(e),
        };
        match again {
            Ok(0) => {}
            Ok(_) => continue,
            Err(e) => return (End::Broken(e.to_string()), bytes),
        }
        watchdog::progress(Phase::Asleep);
        wait::idle_until(|| EVENTS.load(Ordering::Acquire) != seen || xenstore::watch_event_pending());
    }
}
