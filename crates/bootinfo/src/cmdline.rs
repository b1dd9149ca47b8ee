//! The kernel command line: space-separated `key=value` words.
//!
//! | key | values | default |
//! |---|---|---|
//! | `log` | error, warn, info, debug, trace | info |
//! | `remote` | domid allowed to bind our port | 0 |
//! | `mode` | serve, lead | serve |
//! | `rounds` | rounds to lead in `mode=lead` | 1000 |
//! | `selftest` | evtchn, xenstore, nesting, stall, fault, panic | none |
//! | `upcall` | auto, percpu, callback (how Xen delivers events) | auto |

use core::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Answer every ping from the peer with a pong.
    Serve,
    /// Send pings, time the round trips.
    Lead,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selftest {
    Evtchn,
    Xenstore,
    Fault,
    Panic,
    /// Interrupts nesting on one vector (no IST stack for interrupts).
    Nesting,
    /// The stall watchdog reports a main loop that stops moving.
    Stall,
}

/// How Xen should deliver the event upcall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upcall {
    /// The per-vCPU vector where Xen offers it and the APIC is virtualised
    /// in hardware (a cheap EOI), else the callback vector.
    Auto,
    /// HVMOP_set_evtchn_upcall_vector (through the local APIC, with EOI).
    PerVcpu,
    /// HVM_PARAM_CALLBACK_IRQ with a vector (no EOI).
    Callback,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub log: LogLevel,
    pub remote: u16,
    pub mode: Mode,
    pub rounds: u32,
    pub selftest: Option<Selftest>,
    pub upcall: Upcall,
}

impl Default for Config {
    fn default() -> Self {
        Config { log: LogLevel::Info, remote: 0, mode: Mode::Serve, rounds: 1000, selftest: None, upcall: Upcall::Auto }
    }
}

/// The known keys, in the order the help text lists them.
pub const KEYS: [&str; 6] = ["log", "remote", "mode", "rounds", "selftest", "upcall"];
/// Domain ids at and above this are reserved by Xen (DOMID_FIRST_RESERVED).
pub const DOMID_FIRST_RESERVED: u32 = 0x7FF0;
pub const MAX_ROUNDS: u32 = 100_000_000;

/// What is wrong with a command line. Borrowed from the command line itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmdlineError<'a> {
    UnknownKey { key: &'a str },
    NotKeyValue { word: &'a str },
    BadValue { key: &'a str, value: &'a str, expected: &'static str },
    Repeated { key: &'a str },
}

impl fmt::Display for CmdlineError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CmdlineError::UnknownKey { key } => {
                write!(f, "cmdline: unknown key '{key}' (known keys: log, remote, mode, rounds, selftest, upcall)")
            }
            CmdlineError::NotKeyValue { word } => {
                write!(
                    f,
                    "cmdline: '{word}' is not key=value (known keys: log, remote, mode, rounds, selftest, upcall)"
                )
            }
            CmdlineError::BadValue { key, value, expected } => {
                write!(f, "cmdline: bad value '{value}' for key '{key}': expected {expected}")
            }
            CmdlineError::Repeated { key } => write!(f, "cmdline: key '{key}' given more than once"),
        }
    }
}

fn parse_u32(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_value<'a>(cfg: &mut Config, key: &'a str, value: &'a str) -> Result<(), CmdlineError<'a>> {
    let bad = |expected| CmdlineError::BadValue { key, value, expected };
    match key {
        "log" => {
            cfg.log = match value {
                "error" => LogLevel::Error,
                "warn" => LogLevel::Warn,
                "info" => LogLevel::Info,
                "debug" => LogLevel::Debug,
                "trace" => LogLevel::Trace,
                _ => return Err(bad("one of error, warn, info, debug, trace")),
            }
        }
        "remote" => {
            cfg.remote = match parse_u32(value) {
                Some(d) if d < DOMID_FIRST_RESERVED => d as u16,
                _ => return Err(bad("a domain id, 0..=32751")),
            }
        }
        "mode" => {
            cfg.mode = match value {
                "serve" => Mode::Serve,
                "lead" => Mode::Lead,
                _ => return Err(bad("serve or lead")),
            }
        }
        "rounds" => {
            cfg.rounds = match parse_u32(value) {
                Some(n) if (1..=MAX_ROUNDS).contains(&n) => n,
                _ => return Err(bad("a number of rounds, 1..=100000000")),
            }
        }
        "selftest" => {
            cfg.selftest = Some(match value {
                "evtchn" => Selftest::Evtchn,
                "xenstore" => Selftest::Xenstore,
                "fault" => Selftest::Fault,
                "panic" => Selftest::Panic,
                "nesting" => Selftest::Nesting,
                "stall" => Selftest::Stall,
                _ => return Err(bad("one of evtchn, xenstore, nesting, stall, fault, panic")),
            })
        }
        "upcall" => {
            cfg.upcall = match value {
                "auto" => Upcall::Auto,
                "percpu" => Upcall::PerVcpu,
                "callback" => Upcall::Callback,
                _ => return Err(bad("one of auto, percpu, callback")),
            }
        }
        _ => return Err(CmdlineError::UnknownKey { key }),
    }
    Ok(())
}

impl Config {
    /// Parses a whole command line. The first problem found is returned.
    pub fn parse(cmdline: &str) -> Result<Config, CmdlineError<'_>> {
        let mut cfg = Config::default();
        let mut seen = [false; KEYS.len()];
        for word in cmdline.split_ascii_whitespace() {
            let Some((key, value)) = word.split_once('=') else {
                return Err(match KEYS.contains(&word) {
                    true => CmdlineError::BadValue { key: word, value: "", expected: "key=value" },
                    false => CmdlineError::NotKeyValue { word },
                });
            };
            let Some(idx) = KEYS.iter().position(|k| *k == key) else {
                return Err(CmdlineError::UnknownKey { key });
            };
            if core::mem::replace(&mut seen[idx], true) {
                return Err(CmdlineError::Repeated { key });
            }
            parse_value(&mut cfg, key, value)?;
        }
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_default() {
        assert_eq!(Config::parse(""), Ok(Config::default()));
        assert_eq!(Config::parse("   \t "), Ok(Config::default()));
    }

    #[test]
    fn every_key() {
        let c = Config::parse("log=debug remote=7 mode=lead rounds=250 selftest=evtchn upcall=callback").unwrap();
        assert_eq!(
            c,
            Config {
                log: LogLevel::Debug,
                remote: 7,
                mode: Mode::Lead,
                rounds: 250,
                selftest: Some(Selftest::Evtchn),
                upcall: Upcall::Callback
            }
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let e = Config::parse("log=info colour=red").unwrap_err();
        assert_eq!(e, CmdlineError::UnknownKey { key: "colour" });
        assert!(e.to_string().contains("unknown key 'colour'"));
    }

    #[test]
    fn bad_values_name_key_and_value() {
        for (line, key, value) in [
            ("rounds=abc", "rounds", "abc"),
            ("rounds=0", "rounds", "0"),
            ("rounds=-1", "rounds", "-1"),
            ("rounds=99999999999", "rounds", "99999999999"),
            ("mode=nonsense", "mode", "nonsense"),
            ("remote=32752", "remote", "32752"),
            ("remote=", "remote", ""),
            ("log=loud", "log", "loud"),
            ("selftest=all", "selftest", "all"),
            ("upcall=fast", "upcall", "fast"),
        ] {
            let e = Config::parse(line).unwrap_err();
            match e {
                CmdlineError::BadValue { key: k, value: v, .. } => assert_eq!((k, v), (key, value), "{line}"),
                other => panic!("{line}: {other:?}"),
            }
            let msg = e.to_string();
            assert!(msg.contains(&format!("'{key}'")) && msg.contains(&format!("'{value}'")), "{msg}");
        }
    }

    #[test]
    fn bare_word_and_repeats() {
        assert_eq!(Config::parse("hello").unwrap_err(), CmdlineError::NotKeyValue { word: "hello" });
        assert!(matches!(Config::parse("rounds").unwrap_err(), CmdlineError::BadValue { key: "rounds", .. }));
        assert_eq!(Config::parse("log=info log=debug").unwrap_err(), CmdlineError::Repeated { key: "log" });
    }

    #[test]
    fn limits() {
        assert_eq!(Config::parse("remote=32751").unwrap().remote, 32751);
        assert_eq!(Config::parse("rounds=100000000").unwrap().rounds, MAX_ROUNDS);
        assert!(Config::parse("rounds=100000001").is_err());
    }
}
