//! `bench-probe`: what `make bench` needs in dom0 besides `xenbell-dom0` itself
//! (busybox's shell has no clock finer than 10 ms, and `ping --json` gives
//! percentiles, not the samples a histogram needs).
//!
//! ```text
//! bench-probe boot CFG NAME TIMEOUT_MS   run `xl create CFG`; meanwhile poll xenstore every
//!                                        (2-50 ms) for domain NAME and its data/xenbell/state;
//!                                        one JSON line: xl's exit status and duration, when
//!                                        the domain appeared and when state became ready
//!                                        (ms from just before xl was started)
//! bench-probe boot CFG NAME TIMEOUT_MS paused
//!                                        the same, split in two: `xl create -p CFG` (the
//!                                        toolstack builds the domain, left paused), then
//!                                        `xl unpause NAME`; adds create_ms and unpause_ms
//! bench-probe samples NAME ROUNDS OUT    the same rounds as `xenbell-dom0 ping` (the same
//!                                        library calls: resolve, bind, drain the bind event,
//!                                        notify + wait + unmask), every round trip in ns
//!                                        written to OUT, one per line
//! ```
//!
//! Exit status: 0 ok, 1 not ready / a round failed, 2 usage.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::fd::AsFd;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use xenbell_dom0::cli::DomainSpec;
use xenbell_dom0::domain::{home, resolve};
use xenbell_dom0::evtchn_dev::EvtchnDev;
use xenbell_dom0::guest::{bind, drain_bind_event, remote_port, STATE_KEY};
use xenbell_dom0::xenbus::{DevXenbus, Xenbus};

/// Poll interval while waiting for a boot: 1/200 of the time waited so far, within
/// 2..50 ms, so the reading is within 0.5% (or 2 ms) and the polling itself (xenstore
/// requests from dom0, which shares the one emulated CPU with the booting guest) costs
/// little even during a Linux guest's 10+ s boot.
fn poll_interval(waited: Duration) -> Duration {
    (waited / 200).clamp(Duration::from_millis(2), Duration::from_millis(50))
}
const ROUND_TIMEOUT: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match words.as_slice() {
        ["boot", cfg, name, timeout, rest @ ..] if rest.is_empty() || rest == ["paused"] => timeout
            .parse()
            .map_err(|_| "TIMEOUT_MS: not a number".to_string())
            .and_then(|t| boot(cfg, name, Duration::from_millis(t), !rest.is_empty())),
        ["samples", name, rounds, out] => {
            rounds.parse().map_err(|_| "ROUNDS: not a number".to_string()).and_then(|n| samples(name, n, out))
        }
        _ => {
            eprintln!("usage: bench-probe boot CFG NAME TIMEOUT_MS [paused] | samples NAME ROUNDS OUT");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("bench-probe: {e}");
            ExitCode::from(1)
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

fn opt_ms(d: Option<Duration>) -> String {
    d.map_or_else(|| "null".to_string(), ms)
}

fn open_xenbus() -> Result<Xenbus<DevXenbus>, String> {
    DevXenbus::open().map(Xenbus::new).map_err(|e| format!("/dev/xen/xenbus: {e}"))
}

fn xl(args: &[&str]) -> Result<std::process::Child, String> {
    Command::new("xl")
        .args(args)
        .stdin(Stdio::null())
        // xl's chatter ("Parsing config from ...") goes to our stderr, not into the
        // JSON line on stdout.
        .stdout(Stdio::from(std::io::stderr().as_fd().try_clone_to_owned().map_err(|e| format!("stderr: {e}"))?))
        .spawn()
        .map_err(|e| format!("xl {}: {e}", args.join(" ")))
}

fn status_code(st: std::process::ExitStatus) -> i32 {
    st.code().unwrap_or(-1)
}

/// `xl create CFG` timed against xenstore: true when the state became ready.
/// `paused`: `xl create -p`, wait for it, then `xl unpause`, each timed.
fn boot(cfg: &str, name: &str, timeout: Duration, paused: bool) -> Result<bool, String> {
    let mut xs = open_xenbus()?;
    let spec = DomainSpec::Name(name.to_string());
    let t0 = Instant::now();
    let mut split = String::new();
    let mut xl_child = if paused {
        let st = xl(&["create", "-p", cfg])?.wait().map_err(|e| format!("waiting for xl: {e}"))?;
        let create = t0.elapsed();
        if !st.success() {
            println!(
                "{{\"name\":\"{name}\",\"domid\":null,\"xl_status\":{},\"create_ms\":{},\
                 \"ready_ms\":null,\"state\":\"\"}}",
                status_code(st),
                ms(create)
            );
            return Ok(false);
        }
        let child = xl(&["unpause", name])?;
        split = format!(",\"create_ms\":{}", ms(create));
        child
    } else {
        xl(&["create", cfg])?
    };
    let mut xl_done: Option<(Duration, i32)> = None;
    let mut domid: Option<u32> = None;
    let mut appeared = None;
    let mut ready = None;
    let mut state = String::new();
    while t0.elapsed() < timeout {
        if xl_done.is_none() {
            if let Ok(Some(st)) = xl_child.try_wait() {
                xl_done = Some((t0.elapsed(), status_code(st)));
            }
        }
        match domid {
            None => {
                if let Ok(d) = resolve(&mut xs, &spec) {
                    domid = Some(d.id);
                    appeared = Some(t0.elapsed());
                }
            }
            Some(id) => {
                let path = format!("{}/{STATE_KEY}", home(id));
                match xs.read_text(&path) {
                    Ok(Some(s)) => {
                        state = s.trim().to_string();
                        if matches!(state.as_str(), "ready" | "connected" | "done") {
                            ready = Some(t0.elapsed());
                            break;
                        }
                    }
                    // No state yet: is the domain still there (it may have crashed
                    // and been destroyed)?
                    _ => {
                        if matches!(xs.read_opt(&home(id)), Ok(None)) {
                            state = "gone".to_string();
                            break;
                        }
                    }
                }
            }
        }
        // xl failed and no domain: nothing will come.
        if matches!(xl_done, Some((_, s)) if s != 0) && domid.is_none() {
            break;
        }
        std::thread::sleep(poll_interval(t0.elapsed()));
    }
    if xl_done.is_none() {
        // xl create returns once the domain runs; wait for it (bounded by the caller's
        // session timeout), so the next command does not race it.
        let st = xl_child.wait().map_err(|e| format!("waiting for xl: {e}"))?;
        xl_done = Some((t0.elapsed(), status_code(st)));
    }
    let (xl_time, xl_status) = xl_done.unwrap_or((Duration::ZERO, -1));
    let xl_key = if paused { "unpause_ms" } else { "xl_ms" };
    println!(
        "{{\"name\":\"{name}\",\"domid\":{},\"xl_status\":{xl_status}{split},\"{xl_key}\":{},\
         \"appeared_ms\":{},\"ready_ms\":{},\"state\":\"{state}\"}}",
        domid.map_or_else(|| "null".to_string(), |d| d.to_string()),
        ms(xl_time),
        opt_ms(appeared),
        opt_ms(ready),
    );
    Ok(ready.is_some())
}

/// Raw round trips against domain NAME: `xenbell-dom0 ping`'s loop, samples kept.
fn samples(name: &str, rounds: u32, out: &str) -> Result<bool, String> {
    let mut xs = open_xenbus()?;
    let mut ev = EvtchnDev::open().map_err(|e| format!("/dev/xen/evtchn: {e}"))?;
    let dom = resolve(&mut xs, &DomainSpec::Name(name.to_string())).map_err(|f| f.message)?;
    let port = remote_port(&mut xs, &dom, None).map_err(|f| f.message)?;
    let local = bind(&mut ev, &dom, port).map_err(|f| f.message)?;
    drain_bind_event(&mut ev, local, ROUND_TIMEOUT).map_err(|f| f.message)?;
    let mut rtts = Vec::with_capacity(rounds as usize);
    let mut failed = None;
    'rounds: for _ in 0..rounds {
        let sent = Instant::now();
        if let Err(e) = ev.notify(local) {
            failed = Some(e.to_string());
            break;
        }
        loop {
            let left = (sent + ROUND_TIMEOUT).saturating_duration_since(Instant::now());
            match ev.wait(left) {
                Ok(Some(p)) => {
                    let rtt = sent.elapsed();
                    if let Err(e) = ev.unmask(p) {
                        failed = Some(e.to_string());
                        break 'rounds;
                    }
                    if p == local {
                        rtts.push(rtt.as_nanos() as u64);
                        break;
                    }
                }
                Ok(None) => {
                    failed = Some("timeout".to_string());
                    break 'rounds;
                }
                Err(e) => {
                    failed = Some(e.to_string());
                    break 'rounds;
                }
            }
        }
    }
    let _ = ev.unbind(local);
    let file = File::create(out).map_err(|e| format!("{out}: {e}"))?;
    let mut w = BufWriter::new(file);
    for r in &rtts {
        writeln!(w, "{r}").map_err(|e| format!("{out}: {e}"))?;
    }
    w.flush().map_err(|e| format!("{out}: {e}"))?;
    println!(
        "samples {name}: {}/{rounds} rounds{}",
        rtts.len(),
        failed.as_deref().map_or_else(String::new, |f| format!(", stopped: {f}"))
    );
    Ok(failed.is_none())
}
