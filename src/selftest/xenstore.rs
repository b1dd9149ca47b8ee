//! selftest=xenstore: the kernel's xenstore client against the real
//! xenstored, under our own home (relative paths resolve there).
//!
//! Checks, in order: `write_read` (mkdir, write, read back), `directory`,
//! `missing_key` (the typed ENOENT), `big_value` (1900 bytes: bigger than the
//! 1024-byte rings, so request and reply both wrap around them; xenstored
//! refuses values over 2048 bytes from a guest with ENOSPC), `watch_fires`
//! `transaction` (two writes committed together, read back outside it),
//! `reconnect` (the client started afresh on the same ring, as after a
//! resume, then used), `watch_fires` (xenstored fires a watch once when it
//! is set; `watch_event_pending()` must turn true for it), `watch_on_write`
//! (then on each change), `rm`, `unwatch`. No ring at all is an ERROR: the
//! test cannot run. False passes it guards against: a client that returns stale
//! replies (each value is distinct and compared), a silent watch (each event
//! is awaited with a timeout that fails the check).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::report::{ensure, error, failure, Problem, Suite, Verdict};
use crate::xen::xenstore;

use xenbell_proto::xenstore::SELFTEST_DIR as DIR;
const TOKEN: &str = "selftest-token";
const WATCH_TIMEOUT_NS: u64 = 2_000_000_000;

fn expect_event(what: &str) -> Result<(String, String), Problem> {
    match xenstore::next_watch_event(WATCH_TIMEOUT_NS) {
        Ok(Some(ev)) if ev.1 == TOKEN => Ok(ev),
        Ok(Some(ev)) => Err(failure(format!("{what}: watch event with token {:?}", ev.1))),
        Ok(None) => Err(failure(format!("{what}: no watch event within 2 s"))),
        Err(e) => Err(failure(format!("{what}: {e}"))),
    }
}

pub fn run(suite: &mut Suite) {
    if !suite.check("connect", || if xenstore::init() { Ok(()) } else { Err(error("no xenstore ring")) }) {
        return;
    }
    suite.check("write_read", || {
        xenstore::mkdir(DIR).map_err(failure)?;
        xenstore::write(&format!("{DIR}/a"), "alpha").map_err(failure)?;
        let v = xenstore::read(&format!("{DIR}/a")).map_err(failure)?;
        ensure!(v == "alpha", "read back {v:?}, wrote \"alpha\"");
        Ok(())
    });
    suite.check("directory", || {
        let dir = xenstore::directory(DIR).map_err(failure)?;
        ensure!(dir == ["a"], "directory {DIR} = {dir:?}, want [\"a\"]");
        Ok(())
    });
    suite.check("missing_key", || match xenstore::read(&format!("{DIR}/missing")) {
        Err(err) if err.is_enoent() => {
            log::info!("selftest: missing key gives \"{err}\"");
            Ok(())
        }
        other => Err(failure(format!("read of a missing key: {other:?}"))),
    });
    suite.check("big_value", || {
        let big: String = (0..1900u32).map(|i| (b'a' + (i * 7 % 26) as u8) as char).collect();
        xenstore::write(&format!("{DIR}/big"), &big).map_err(failure)?;
        let back = xenstore::read(&format!("{DIR}/big")).map_err(failure)?;
        ensure!(back == big, "1900-byte value came back as {} bytes, different", back.len());
        Ok(())
    });
    suite.check("transaction", || {
        let tx = xenstore::transaction_start().map_err(failure)?;
        xenstore::tx_write(tx, &format!("{DIR}/tx1"), "one").map_err(failure)?;
        xenstore::tx_write(tx, &format!("{DIR}/tx2"), "two").map_err(failure)?;
        xenstore::transaction_end(tx, true).map_err(failure)?;
        let one = xenstore::read(&format!("{DIR}/tx1")).map_err(failure)?;
        let two = xenstore::read(&format!("{DIR}/tx2")).map_err(failure)?;
        ensure!((one.as_str(), two.as_str()) == ("one", "two"), "after the transaction: tx1={one:?} tx2={two:?}");
        Ok(())
    });
    suite.check("reconnect", || {
        // Nothing is in flight here, so the counters Xen's page holds are at
        // a message boundary, as after a resume.
        ensure!(xenstore::reconnect(), "reconnect found no ring");
        let a = xenstore::read(&format!("{DIR}/a")).map_err(failure)?;
        ensure!(a == "alpha", "read after reconnect: {a:?}, want \"alpha\"");
        Ok(())
    });
    let watching = suite.check("watch_fires", || {
        xenstore::watch(DIR, TOKEN).map_err(failure)?;
        ensure!(
            crate::xen::wait::wait_until(Some(WATCH_TIMEOUT_NS), xenstore::watch_event_pending),
            "watch_event_pending() stayed false after the watch was set"
        );
        let first = expect_event("watch registration")?;
        log::info!("selftest: watch fired on registration for {:?}", first.0);
        Ok(())
    });
    if watching {
        suite.check("watch_on_write", watch_on_write);
    } else {
        suite.not_run("watch_on_write", "watch_fires");
    }
    suite.check("rm", || {
        xenstore::rm(DIR).map_err(failure)?;
        match xenstore::directory(DIR) {
            Err(err) if err.is_enoent() => Ok(()),
            other => Err(failure(format!("directory after rm: {other:?}"))),
        }
    });
    if watching {
        suite.check("unwatch", || xenstore::unwatch(DIR, TOKEN).map_err(failure));
    } else {
        suite.not_run("unwatch", "watch_fires");
    }
    log::info!("selftest: xenstore watch events dropped: {}", xenstore::watch_events_dropped());
}

/// A write under the watched directory fires it. The change may be reported
/// for the node or its parent: accept either, skipping any repeat of the
/// registration event.
fn watch_on_write() -> Verdict {
    xenstore::write(&format!("{DIR}/b"), "beta").map_err(failure)?;
    let mut seen: Vec<String> = Vec::new();
    loop {
        let ev = expect_event("write under the watch")?;
        if ev.0.ends_with("/b") {
            return Ok(());
        }
        seen.push(ev.0);
        ensure!(seen.len() <= 4, "no event for {DIR}/b, only {seen:?}");
    }
}
