//! Fuzz target `cmdline`: the kernel command line, from the bytes at
//! `cmdline_paddr` (`bootinfo::cmdline_from_bytes`) to a `Config`
//! (`cmdline::Config::parse`).
//!
//! Input: arbitrary bytes, used twice: as the memory at `cmdline_paddr`
//! (NUL-terminated, at most 4096 bytes read), and as text directly (lossy
//! UTF-8), so the parser also sees lines the NUL rule would cut short.
//! Seeds (fuzz/seeds/cmdline) are valid command lines; fuzz/dict/cmdline.dict
//! holds the keys and values.
//!
//! Invariants checked:
//! - never a panic;
//! - `cmdline_from_bytes`: `Ok(s)` exactly when a NUL occurs in the first
//!   4096 bytes and the bytes before it are UTF-8, and `s` is those bytes;
//!   otherwise `CmdlineUnterminated` (no NUL) or `CmdlineNotUtf8 { at }` with
//!   `at` the length of the valid prefix;
//! - an accepted line is within the documented ranges (`remote` below
//!   DOMID_FIRST_RESERVED, `rounds` in 1..=100000000) and round-trips: rendering its `Config` with every key, or
//!   with only the non-default keys, parses back to the same `Config`, and so
//!   do its own words in reverse order or separated by tabs and newlines
//!   (values are rendered from the variant names, so new values need no
//!   change here; a new key does: `render` must learn it, or the round trip
//!   fails on lines that use it);
//! - a rejected line names the culprit: the key/word/value in the error is a
//!   slice of the line itself (or the bare key for `key` without `=`), keys in
//!   `BadValue`/`Repeated` are known keys, `UnknownKey`'s is not, the word in
//!   `NotKeyValue` has no `=`, `Repeated`'s key occurs twice, and the message
//!   starts with `cmdline: key <echo>: ` (or `word <echo>: `), its subject
//!   first, echoed by `echo::echo` (escaped, bounded), a `BadValue`'s value
//!   echoed too; the whole message is printable ASCII of at most 256 bytes.
#![no_main]

use bootinfo::start_info::MAX_CMDLINE;
use bootinfo::{cmdline_from_bytes, StartInfoError};
use cmdline::{CmdlineError, Config};
use cmdline::{DOMID_FIRST_RESERVED, KEYS, MAX_ROUNDS};
use echo::echo;
use libfuzzer_sys::fuzz_target;

/// The command-line value of an enum variant: its name in lower case, the
/// spelling every value uses except `Upcall::PerVcpu` (`percpu`). Written
/// this way so that a new variant (the `Selftest` list grows) needs no change
/// here; if one is spelled differently, the round trip fails and names it.
fn value_name(v: &dyn std::fmt::Debug) -> String {
    match format!("{v:?}").to_ascii_lowercase().as_str() {
        "pervcpu" => "percpu".to_string(),
        other => other.to_string(),
    }
}

fn render(c: &Config, every_key: bool) -> String {
    let d = Config::default();
    let mut words = Vec::new();
    if every_key || c.log != d.log {
        words.push(format!("log={}", value_name(&c.log)));
    }
    if every_key || c.remote != d.remote {
        words.push(format!("remote={}", c.remote));
    }
    if every_key || c.mode != d.mode {
        words.push(format!("mode={}", value_name(&c.mode)));
    }
    if every_key || c.rounds != d.rounds {
        words.push(format!("rounds={}", c.rounds));
    }
    if let Some(t) = c.selftest {
        words.push(format!("selftest={}", value_name(&t)));
    }
    if every_key || c.upcall != d.upcall {
        words.push(format!("upcall={}", value_name(&c.upcall)));
    }
    if every_key || c.vchan != d.vchan {
        words.push(format!("vchan={}", c.vchan));
    }
    if let Some(o) = c.vchan_order {
        words.push(format!("vchan_order={o}"));
    }
    words.join(" ")
}

/// `part` is a slice of `line` (same memory), not just equal text.
fn inside(line: &str, part: &str) -> bool {
    let (l, p) = (line.as_ptr() as usize, part.as_ptr() as usize);
    p >= l && p + part.len() <= l + line.len()
}

fn check_parse(line: &str) {
    match Config::parse(line) {
        Ok(cfg) => {
            assert!(u32::from(cfg.remote) < DOMID_FIRST_RESERVED, "remote={} accepted", cfg.remote);
            assert!((1..=MAX_ROUNDS).contains(&cfg.rounds), "rounds={} accepted", cfg.rounds);
            assert!(cfg.vchan_order.is_none_or(|o| (10..=20).contains(&o)), "vchan_order={:?}", cfg.vchan_order);
            for every_key in [true, false] {
                let text = render(&cfg, every_key);
                assert_eq!(Config::parse(&text), Ok(cfg), "{text:?} (from {line:?})");
            }
            let words: Vec<&str> = line.split_ascii_whitespace().collect();
            let reversed: Vec<&str> = words.iter().rev().copied().collect();
            assert_eq!(Config::parse(&reversed.join(" ")), Ok(cfg), "reversed {line:?}");
            assert_eq!(Config::parse(&words.join("\t\n ")), Ok(cfg), "re-spaced {line:?}");
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.len() <= 256 && msg.bytes().all(|b| (b' '..=b'~').contains(&b)), "{msg:?}");
            match e {
                CmdlineError::UnknownKey { key } => {
                    assert!(inside(line, key) && !KEYS.contains(&key), "{e:?}");
                    assert!(msg.starts_with(&format!("cmdline: key {}: ", echo(key))), "{msg}");
                }
                CmdlineError::NotKeyValue { word } => {
                    assert!(
                        inside(line, word) && !word.is_empty() && !word.contains('=') && !KEYS.contains(&word),
                        "{e:?}"
                    );
                    assert!(msg.starts_with(&format!("cmdline: word {}: ", echo(word))), "{msg}");
                }
                CmdlineError::BadValue { key, value, .. } => {
                    assert!(inside(line, key) && KEYS.contains(&key), "{e:?}");
                    assert!(value.is_empty() || inside(line, value), "{e:?}");
                    let want = format!("cmdline: key {}: bad value {}: ", echo(key), echo(value));
                    assert!(msg.starts_with(&want), "{msg}");
                }
                CmdlineError::Repeated { key } => {
                    assert!(inside(line, key) && KEYS.contains(&key), "{e:?}");
                    let n = line
                        .split_ascii_whitespace()
                        .filter(|w| w.split_once('=').map(|(k, _)| k) == Some(key))
                        .count();
                    assert!(n >= 2, "{e:?} but {n} occurrences");
                    assert!(msg.starts_with(&format!("cmdline: key {}: ", echo(key))), "{msg}");
                }
            }
            assert_eq!(Config::parse(line), Err(e), "not deterministic");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let window = &data[..data.len().min(MAX_CMDLINE)];
    let nul = window.iter().position(|&b| b == 0);
    match cmdline_from_bytes(data) {
        Ok(s) => {
            let n = nul.expect("accepted without a NUL in the first 4096 bytes");
            assert_eq!(s.as_bytes(), &window[..n]);
            check_parse(s);
        }
        Err(StartInfoError::CmdlineUnterminated) => assert!(nul.is_none(), "a NUL was there"),
        Err(StartInfoError::CmdlineNotUtf8 { at }) => {
            let n = nul.expect("NotUtf8 without a NUL");
            let e = std::str::from_utf8(&window[..n]).expect_err("NotUtf8 for valid UTF-8");
            assert_eq!(at, e.valid_up_to());
        }
        Err(e) => panic!("unexpected {e:?}"),
    }
    if let Err(e) = cmdline_from_bytes(data) {
        assert!(e.to_string().starts_with("start_info: "));
    }
    check_parse(&String::from_utf8_lossy(data));
});
