//! selftest=xenstore: the kernel's xenstore client against the real
//! xenstored, under our own home (relative paths resolve there).
//!
//! How: mkdir, write, read back, directory, a read of a missing key (must be
//! the typed ENOENT), a 1900-byte value (bigger than the 1024-byte rings, so
//! request and reply both wrap around them; xenstored refuses values over
//! 2048 bytes from a guest with ENOSPC) written and read back exactly,
//! a transaction (two writes committed together, read back), reconnect()
//! (the client started afresh on the same ring, as after a resume, then
//! used), watch (xenstored fires a watch once when it is set, then on each
//! change; watch_event_pending() must turn true for it), rm, unwatch. False
//! passes it guards against: a client that returns stale replies (each value
//! is distinct and compared), a silent watch (each event is awaited with a
//! timeout that fails the test), an aborted transaction (its keys are read
//! back outside it).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::xen::xenstore;

const DIR: &str = "data/xenbell/selftest";
const TOKEN: &str = "selftest-token";
const WATCH_TIMEOUT_NS: u64 = 2_000_000_000;

fn expect_event(what: &str) -> Result<(String, String), String> {
    match xenstore::next_watch_event(WATCH_TIMEOUT_NS) {
        Ok(Some(ev)) if ev.1 == TOKEN => Ok(ev),
        Ok(Some(ev)) => Err(format!("{what}: watch event with token {:?}", ev.1)),
        Ok(None) => Err(format!("{what}: no watch event within 2 s")),
        Err(e) => Err(format!("{what}: {e}")),
    }
}

pub fn run() -> Result<u32, String> {
    if !xenstore::init() {
        return Err("no xenstore ring".into());
    }
    let e = |e: xenstore::XsClientError| format!("{e}");
    let mut n = 0;
    xenstore::mkdir(DIR).map_err(e)?;
    xenstore::write(&format!("{DIR}/a"), "alpha").map_err(e)?;
    let v = xenstore::read(&format!("{DIR}/a")).map_err(e)?;
    if v != "alpha" {
        return Err(format!("read back {v:?}, wrote \"alpha\""));
    }
    n += 1;
    let dir = xenstore::directory(DIR).map_err(e)?;
    if dir != ["a"] {
        return Err(format!("directory {DIR} = {dir:?}, want [\"a\"]"));
    }
    n += 1;
    match xenstore::read(&format!("{DIR}/missing")) {
        Err(err) if err.is_enoent() => log::info!("selftest: missing key gives \"{err}\""),
        other => return Err(format!("read of a missing key: {other:?}")),
    }
    n += 1;
    let big: String = (0..1900u32).map(|i| (b'a' + (i * 7 % 26) as u8) as char).collect();
    xenstore::write(&format!("{DIR}/big"), &big).map_err(e)?;
    let back = xenstore::read(&format!("{DIR}/big")).map_err(e)?;
    if back != big {
        return Err(format!("1900-byte value came back as {} bytes, different", back.len()));
    }
    n += 1;

    let tx = xenstore::transaction_start().map_err(e)?;
    xenstore::tx_write(tx, &format!("{DIR}/tx1"), "one").map_err(e)?;
    xenstore::tx_write(tx, &format!("{DIR}/tx2"), "two").map_err(e)?;
    xenstore::transaction_end(tx, true).map_err(e)?;
    let (one, two) =
        (xenstore::read(&format!("{DIR}/tx1")).map_err(e)?, xenstore::read(&format!("{DIR}/tx2")).map_err(e)?);
    if (one.as_str(), two.as_str()) != ("one", "two") {
        return Err(format!("after the transaction: tx1={one:?} tx2={two:?}"));
    }
    n += 1;

    // Nothing is in flight here, so the counters Xen's page holds are at a
    // message boundary, as after a resume.
    if !xenstore::reconnect() {
        return Err("reconnect found no ring".into());
    }
    if xenstore::read(&format!("{DIR}/a")).map_err(e)? != "alpha" {
        return Err("read after reconnect differs".into());
    }
    n += 1;

    xenstore::watch(DIR, TOKEN).map_err(e)?;
    if !crate::xen::wait::wait_until(Some(WATCH_TIMEOUT_NS), xenstore::watch_event_pending) {
        return Err("watch_event_pending() stayed false after the watch was set".into());
    }
    let first = expect_event("watch registration")?;
    log::info!("selftest: watch fired on registration for {:?}", first.0);
    n += 1;
    xenstore::write(&format!("{DIR}/b"), "beta").map_err(e)?;
    // The change may be reported for the node or its parent: accept either,
    // skipping any repeat of the registration event.
    let mut seen: Vec<String> = Vec::new();
    loop {
        let ev = expect_event("write under the watch")?;
        if ev.0.ends_with("/b") {
            break;
        }
        seen.push(ev.0);
        if seen.len() > 4 {
            return Err(format!("no event for {DIR}/b, only {seen:?}"));
        }
    }
    n += 1;
    xenstore::rm(DIR).map_err(e)?;
    match xenstore::directory(DIR) {
        Err(err) if err.is_enoent() => n += 1,
        other => return Err(format!("directory after rm: {other:?}")),
    }
    xenstore::unwatch(DIR, TOKEN).map_err(e)?;
    n += 1;
    log::info!("selftest: xenstore watch events dropped: {}", xenstore::watch_events_dropped());
    Ok(n)
}
