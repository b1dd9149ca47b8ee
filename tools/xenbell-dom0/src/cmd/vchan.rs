//! `vchan`: a libxenvchan client (crate vchan for the wire format,
//! `/dev/xen/gntdev` for the pages, `/dev/xen/evtchn` for the events).
//!
//! Connecting (libxenvchan init.c `libxenvchan_client_init`): read
//! `<path>/ring-ref` and `<path>/event-channel` (0 is refused), bind the
//! port, map the shared page read-write with an unmap-notify that clears
//! `cli_live` and sends an event (so the server sees us leave even if we are
//! killed), check the orders, map the external rings (ours to write
//! read-write, the server's read-only), then `cli_live = 1`, ask for write
//! events, and notify.
//!
//! Modes: `cat` (stdin to the server, the server's bytes to stdout; after
//! stdin's end, exits once the server has been quiet for `--timeout-ms`),
//! `--echo-test BYTES` (random bytes out, compared as they come back; prints
//! the throughput) and `--latency N` (N round trips of one small message
//! each, 1..64 bytes; prints min/p50/p99/max in us). Both measurements may
//! run on one connection (echo-test first). Exit 9 on the first differing
//! byte or a broken ring.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use echo::echo;
use vchan::{ring_pages, Endpoint, Live, Role, SharedPage, VchanError};

use crate::cli::VchanArgs;
use crate::cmd::say;
use crate::domain::{self, home};
use crate::evtchn_dev::EvtchnDev;
use crate::failure::{Exit, Failure};
use crate::gntdev::{Gntdev, Mapping};
use crate::stats::percentile;
use crate::xenbus::{Transport, Xenbus};

/// Offset of `cli_live` in the shared page (libxenvchan.h).
const CLI_LIVE_OFFSET: usize = std::mem::offset_of!(SharedPage, cli_live);

fn bad_peer(path: &str, e: VchanError) -> Failure {
    Failure::new(Exit::Mismatch, format!("{path}: vchan server broke the protocol: {e}"))
}

fn gone(path: &str) -> Failure {
    Failure::new(Exit::Timeout, format!("{path}: vchan server left (srv_live = 0)"))
}

/// Reads a decimal key the client refuses as 0 (init.c).
fn read_key<T: Transport>(xs: &mut Xenbus<T>, path: &str) -> Result<u32, Failure> {
    match xs.read_text(path) {
        Ok(Some(v)) => match v.trim().parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(Failure::new(Exit::NoPort, format!("{path}: bad value {} (a non-zero number)", echo(&v)))),
        },
        Ok(None) => Err(Failure::new(Exit::NoPort, format!("{path}: missing (is the vchan server up?)"))),
        Err(e) => Err(domain::store_failure(path, "read", e)),
    }
}

fn shared_page<'a>(m: &'a Mapping<'_>) -> &'a SharedPage {
    let bytes = m.atomics();
    assert!(bytes.len() >= std::mem::size_of::<SharedPage>());
    // SAFETY: a page-aligned (mmap) mapping of at least one page of
    // atomics; SharedPage is one page of atomics, align 4096, so every bit
    // pattern is valid and every access atomic. Lives as long as `m`.
    unsafe { &*(bytes.as_ptr() as *const SharedPage) }
}

pub fn run<T: Transport>(
    ev: &mut EvtchnDev,
    gnt: &Gntdev,
    xs: &mut Xenbus<T>,
    args: &VchanArgs,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let dom = domain::resolve(xs, &args.domain)?;
    let path = args.path.clone().unwrap_or_else(|| format!("{}/data/vchan/0/1", home(dom.id)));
    let gref = read_key(xs, &format!("{path}/ring-ref"))?;
    let port = read_key(xs, &format!("{path}/event-channel"))?;
    let local = ev
        .bind_interdomain(dom.id, port)
        .map_err(|e| Failure::new(Exit::BindRefused, format!("{path}: {}: {e}", dom.describe())))?;
    let map_err = |e| Failure::new(Exit::Internal, format!("{path}: {e}"));
    let page_map = gnt.map(dom.id, &[gref], true).map_err(map_err)?;
    page_map.notify_on_unmap(CLI_LIVE_OFFSET, local).map_err(map_err)?;
    let page = shared_page(&page_map);
    let orders = page.client_orders().map_err(|e| bad_peer(&path, e))?;
    let (lp, rp) = (ring_pages(orders.left), ring_pages(orders.right));
    let grants: Vec<u32> = (0..lp + rp).map(|i| page.grant(i).expect("checked by client_orders")).collect();
    let left_map = if lp > 0 { Some(gnt.map(dom.id, &grants[..lp], true).map_err(map_err)?) } else { None };
    let right_map = if rp > 0 { Some(gnt.map(dom.id, &grants[lp..], false).map_err(map_err)?) } else { None };
    let left = match &left_map {
        Some(m) => &m.atomics()[..1 << orders.left],
        None => page.in_page_ring(orders.left).expect("in-page order"),
    };
    let right = match &right_map {
        Some(m) => &m.atomics()[..1 << orders.right],
        None => page.in_page_ring(orders.right).expect("in-page order"),
    };
    let mut ep = Endpoint::new(page, Role::Client, left, right).map_err(|e| bad_peer(&path, e))?;
    ep.connect();
    let _ = ev.notify(local);
    let mut link = Link { ev, port: local, path: &path, timeout: args.timeout };
    if args.corrupt {
        return corrupt(page, &mut link, out);
    }
    if args.echo_test.is_none() && args.latency.is_none() {
        return cat(&mut ep, &mut link, out);
    }
    if let Some(n) = args.echo_test {
        echo_test(&mut ep, &mut link, n, out)?;
    }
    if let Some(n) = args.latency {
        latency(&mut ep, &mut link, n, out)?;
    }
    ep.close();
    link.notify(true);
    Ok(())
}

/// The event side of the connection.
struct Link<'a> {
    ev: &'a mut EvtchnDev,
    port: u32,
    path: &'a str,
    timeout: Duration,
}

impl Link<'_> {
    fn notify(&self, yes: bool) {
        if yes {
            let _ = self.ev.notify(self.port);
        }
    }

    /// Waits up to `t` for our port; true if it fired (and is unmasked again).
    fn wait(&mut self, t: Duration) -> Result<bool, Failure> {
        match self.ev.wait(t) {
            Ok(Some(p)) => {
                let _ = self.ev.unmask(p);
                Ok(true)
            }
            Ok(None) => Ok(false),
            Err(e) => Err(Failure::new(Exit::Internal, format!("{}: {e}", self.path))),
        }
    }
}

/// The hostile client: our producer counter 1 MiB + 1 ahead of the server's
/// consumer (more than any ring holds), an event, then wait for the server to
/// say it closed (`srv_live = 0`).
fn corrupt(page: &SharedPage, link: &mut Link<'_>, out: &mut dyn Write) -> Result<(), Failure> {
    use std::sync::atomic::Ordering;
    let cons = page.left.cons.load(Ordering::Acquire);
    page.left.prod.store(cons.wrapping_add((1 << 20) + 1), Ordering::Release);
    link.notify(true);
    let deadline = Instant::now() + link.timeout;
    while page.srv_live.load(Ordering::Acquire) != vchan::LIVE_EXITED {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::new(
                Exit::Timeout,
                format!("{}: corrupt: the server did not close within {} ms", link.path, link.timeout.as_millis()),
            ));
        }
        link.wait(left.min(Duration::from_millis(50)))?;
    }
    say(out, "vchan corrupt: left.prod set out of range; the server closed the channel");
    Ok(())
}

fn random_bytes(n: usize) -> Result<Vec<u8>, Failure> {
    let mut v = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut v))
        .map_err(|e| Failure::new(Exit::Internal, format!("/dev/urandom: {e}")))?;
    Ok(v)
}

fn echo_test(ep: &mut Endpoint<'_>, link: &mut Link<'_>, n: u64, out: &mut dyn Write) -> Result<(), Failure> {
    let path = link.path;
    let data = random_bytes(n as usize)?;
    let (mut sent, mut got) = (0usize, 0usize);
    let mut buf = vec![0u8; 65536];
    let start = Instant::now();
    while got < data.len() {
        let w = ep.write(&data[sent..data.len().min(sent + 65536)]).map_err(|e| bad_peer(path, e))?;
        sent += w.bytes;
        link.notify(w.notify);
        let r = ep.read(&mut buf).map_err(|e| bad_peer(path, e))?;
        link.notify(r.notify);
        if got + r.bytes > sent {
            return Err(Failure::new(
                Exit::Mismatch,
                format!("{path}: echo: {} bytes back, only {} sent", got + r.bytes, sent),
            ));
        }
        if let Some(i) = (0..r.bytes).find(|&i| buf[i] != data[got + i]) {
            return Err(Failure::new(
                Exit::Mismatch,
                format!("{path}: echo: byte {} differs: sent {:#04x}, got {:#04x}", got + i, data[got + i], buf[i]),
            ));
        }
        got += r.bytes;
        if w.bytes > 0 || r.bytes > 0 {
            continue;
        }
        if ep.peer().map_err(|e| bad_peer(path, e))? == Live::Exited {
            return Err(gone(path));
        }
        let space = if sent < data.len() { ep.want_space().map_err(|e| bad_peer(path, e))? } else { 0 };
        if space == 0 && ep.want_data().map_err(|e| bad_peer(path, e))? == 0 && !link.wait(link.timeout)? {
            return Err(Failure::new(
                Exit::Timeout,
                format!(
                    "{path}: echo: nothing for {} ms ({got} of {} bytes back)",
                    link.timeout.as_millis(),
                    data.len()
                ),
            ));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let mbs = data.len() as f64 / 1e6 / secs.max(1e-9);
    say(out, &format!("vchan echo-test: bytes={} ok ms={} MB/s={mbs:.2}", data.len(), (secs * 1000.0) as u64));
    Ok(())
}

/// The largest message of `--latency`: round `i` sends `i % LATENCY_MAX + 1`
/// bytes, so sizes cycle through 1..=64 (all fit the smallest ring, 1 KiB).
pub const LATENCY_MAX: usize = 64;

/// `--latency N`: N round trips, each one message written whole (with its
/// event), then read back whole and compared; a round is timed from before
/// the write to the last byte read. Waits block on the event channel (as
/// `libxenvchan_wait` does), never spin.
fn latency(ep: &mut Endpoint<'_>, link: &mut Link<'_>, rounds: u32, out: &mut dyn Write) -> Result<(), Failure> {
    let path = link.path;
    let data = random_bytes(LATENCY_MAX)?;
    let mut back = [0u8; LATENCY_MAX];
    let mut samples: Vec<u64> = Vec::with_capacity(rounds as usize);
    for i in 0..rounds as usize {
        let msg = &data[..i % LATENCY_MAX + 1];
        let start = Instant::now();
        let mut sent = 0;
        let mut got = 0;
        while got < msg.len() {
            if sent < msg.len() {
                let w = ep.write(&msg[sent..]).map_err(|e| bad_peer(path, e))?;
                sent += w.bytes;
                link.notify(w.notify);
            }
            let r = ep.read(&mut back[got..]).map_err(|e| bad_peer(path, e))?;
            link.notify(r.notify);
            if got + r.bytes > sent {
                return Err(Failure::new(
                    Exit::Mismatch,
                    format!("{path}: latency round {i}: {} bytes back, only {sent} sent", got + r.bytes),
                ));
            }
            got += r.bytes;
            if got == msg.len() || r.bytes > 0 {
                continue;
            }
            if ep.peer().map_err(|e| bad_peer(path, e))? == Live::Exited {
                return Err(gone(path));
            }
            let space = if sent < msg.len() { ep.want_space().map_err(|e| bad_peer(path, e))? } else { 0 };
            if space == 0 && ep.want_data().map_err(|e| bad_peer(path, e))? == 0 && !link.wait(link.timeout)? {
                return Err(Failure::new(
                    Exit::Timeout,
                    format!(
                        "{path}: latency round {i}: nothing for {} ms ({got} of {} bytes back)",
                        link.timeout.as_millis(),
                        msg.len()
                    ),
                ));
            }
        }
        samples.push(start.elapsed().as_nanos() as u64);
        if back[..msg.len()] != *msg {
            let j = (0..msg.len()).find(|&j| back[j] != msg[j]).unwrap_or(0);
            return Err(Failure::new(
                Exit::Mismatch,
                format!("{path}: latency round {i}: byte {j} differs: sent {:#04x}, got {:#04x}", msg[j], back[j]),
            ));
        }
    }
    samples.sort_unstable();
    let us = |p: u32| percentile(&samples, p).map_or(0.0, |ns| ns as f64 / 1000.0);
    say(
        out,
        &format!(
            "vchan latency: rounds={rounds} bytes=1..{} min_us={:.1} p50_us={:.1} p99_us={:.1} max_us={:.1}",
            LATENCY_MAX.min(rounds as usize),
            us(0),
            us(50),
            us(99),
            us(100)
        ),
    );
    Ok(())
}

fn cat(ep: &mut Endpoint<'_>, link: &mut Link<'_>, out: &mut dyn Write) -> Result<(), Failure> {
    let path = link.path;
    let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(16);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = vec![0u8; 65536];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let mut pending: Vec<u8> = Vec::new();
    let mut eof = false;
    let mut quiet_since = Instant::now();
    let mut buf = vec![0u8; 65536];
    loop {
        if pending.is_empty() && !eof {
            match rx.try_recv() {
                Ok(chunk) => pending = chunk,
                Err(mpsc::TryRecvError::Empty) => {}
                Err(mpsc::TryRecvError::Disconnected) => eof = true,
            }
        }
        let w = ep.write(&pending).map_err(|e| bad_peer(path, e))?;
        pending.drain(..w.bytes);
        link.notify(w.notify);
        let r = ep.read(&mut buf).map_err(|e| bad_peer(path, e))?;
        link.notify(r.notify);
        if r.bytes > 0 {
            out.write_all(&buf[..r.bytes])
                .and_then(|()| out.flush())
                .map_err(|e| Failure::new(Exit::Internal, format!("stdout: {e}")))?;
            quiet_since = Instant::now();
        }
        if w.bytes > 0 || r.bytes > 0 {
            continue;
        }
        let peer_left = ep.peer().map_err(|e| bad_peer(path, e))? == Live::Exited;
        if (eof && pending.is_empty() && quiet_since.elapsed() >= link.timeout) || peer_left {
            ep.close();
            link.notify(true);
            return Ok(());
        }
        if !pending.is_empty() {
            ep.want_space().map_err(|e| bad_peer(path, e))?;
        }
        if ep.want_data().map_err(|e| bad_peer(path, e))? == 0 {
            // Short: stdin is polled between waits.
            link.wait(Duration::from_millis(10))?;
        }
    }
}
