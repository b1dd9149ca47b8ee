//! The kernel command line: space-separated `key=value` words.
//!
//! | key | values | default |
//! |---|---|---|
//! | `log` | error, warn, info, debug, trace | info |
//! | `remote` | domid allowed to bind our port | 0 |
//! | `mode` | serve, lead, vchan | serve |
//! | `rounds` | rounds to lead in `mode=lead` | 1000 |
//! | `vchan` | `n` of the vchan path `data/vchan/<remote>/<n>` in `mode=vchan` | 1 |
//! | `vchan_order` | minimum ring order (both rings) in `mode=vchan`, 10..=20 | libxenvchan's server default |
//! | `selftest` | evtchn, xenstore, nesting, stall, smp, fault, panic | none |
//! | `upcall` | auto, percpu, callback (how Xen delivers events) | auto |
//! | `evtchn` | auto, fifo, 2l (the event-channel ABI) | auto |
//! | `ports` | ports offered to `remote`, 1..=16000 | 1 |
//! | `priority` | FIFO priority of the ping-pong port, 0 (highest)..=15 | none (Xen's 7) |

#![cfg_attr(not(test), no_std)]

use core::fmt;

use echo::echo;

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
    /// A libxenvchan server that echoes every byte its client sends.
    Vchan,
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
    /// Every vCPU up, IPIs between all of them, per-vCPU timers, a port
    /// moved between vCPUs, no event handled twice under concurrent sends.
    Smp,
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

/// Which event-channel ABI to use (event_channel.h: 2-level, or FIFO
/// through EVTCHNOP_init_control, Xen >= 4.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvtchnAbi {
    /// FIFO where Xen offers it (init_control succeeds), else 2-level.
    Auto,
    /// FIFO; if Xen refuses it, 2-level with one warning line.
    Fifo,
    /// 2-level only: FIFO is never tried.
    TwoLevel,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub log: LogLevel,
    pub remote: u16,
    pub mode: Mode,
    pub rounds: u32,
    pub selftest: Option<Selftest>,
    pub upcall: Upcall,
    /// `n` in `data/vchan/<remote>/<n>` (mode=vchan).
    pub vchan: u32,
    /// Minimum ring order for both rings (mode=vchan); None: libxenvchan's
    /// server default (1 KiB in, 2 KiB out).
    pub vchan_order: Option<u16>,
    pub evtchn: EvtchnAbi,
    /// Ports offered to `remote` (`data/xenbell/ports/<i>`), 1..=[`MAX_PORTS`].
    pub ports: u32,
    /// EVTCHNOP_set_priority for the ping-pong port (FIFO only), 0..=15.
    pub priority: Option<u8>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            log: LogLevel::Info,
            remote: 0,
            mode: Mode::Serve,
            rounds: 1000,
            selftest: None,
            upcall: Upcall::Auto,
            vchan: 1,
            vchan_order: None,
            evtchn: EvtchnAbi::Auto,
            ports: 1,
            priority: None,
        }
    }
}

/// The known keys, in the order the help text lists them.
pub const KEYS: [&str; 11] =
    ["log", "remote", "mode", "rounds", "selftest", "upcall", "vchan", "vchan_order", "evtchn", "ports", "priority"];
/// Domain ids at and above this are reserved by Xen (DOMID_FIRST_RESERVED).
pub const DOMID_FIRST_RESERVED: u32 = 0x7FF0;
pub const MAX_ROUNDS: u32 = 100_000_000;
/// Most ports `ports=` may ask for (the kernel's handler table has 16384 slots).
pub const MAX_PORTS: u32 = 16_000;

/// What is wrong with a command line. Borrowed from the command line itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmdlineError<'a> {
    UnknownKey { key: &'a str },
    NotKeyValue { word: &'a str },
    BadValue { key: &'a str, value: &'a str, expected: &'static str },
    Repeated { key: &'a str },
}

/// The known keys, for error messages.
const KNOWN: &str =
    "known keys: log, remote, mode, rounds, selftest, upcall, vchan, vchan_order, evtchn, ports, priority";

impl fmt::Display for CmdlineError<'_> {
    /// One line, its subject first (`key '...'` or `word '...'`), the
    /// untrusted parts echoed bounded and escaped ([`echo`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CmdlineError::UnknownKey { key } => write!(f, "cmdline: key {}: unknown ({KNOWN})", echo(key)),
            CmdlineError::NotKeyValue { word } => write!(f, "cmdline: word {}: not key=value ({KNOWN})", echo(word)),
            CmdlineError::BadValue { key, value, expected } => {
                write!(f, "cmdline: key {}: bad value {}: expected {expected}", echo(key), echo(value))
            }
            CmdlineError::Repeated { key } => write!(f, "cmdline: key {}: given more than once", echo(key)),
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
                "vchan" => Mode::Vchan,
                _ => return Err(bad("serve, lead or vchan")),
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
                "smp" => Selftest::Smp,
                _ => return Err(bad("one of evtchn, xenstore, nesting, stall, smp, fault, panic")),
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
        "vchan" => {
            cfg.vchan = match parse_u32(value) {
                Some(n) => n,
                _ => return Err(bad("a number, 0..=4294967295")),
            }
        }
        "vchan_order" => {
            cfg.vchan_order = match parse_u32(value) {
                Some(n) if (10..=20).contains(&n) => Some(n as u16),
                _ => return Err(bad("a ring order, 10..=20")),
            }
        }
        "ports" => {
            cfg.ports = match parse_u32(value) {
                Some(n) if (1..=MAX_PORTS).contains(&n) => n,
                _ => return Err(bad("a number of ports, 1..=16000")),
            }
        }
        "priority" => {
            cfg.priority = match parse_u32(value) {
                Some(n) if n <= 15 => Some(n as u8),
                _ => return Err(bad("a FIFO priority, 0 (highest)..=15")),
            }
        }
        "evtchn" => {
            cfg.evtchn = match value {
                "auto" => EvtchnAbi::Auto,
                "fifo" => EvtchnAbi::Fifo,
                "2l" => EvtchnAbi::TwoLevel,
                _ => return Err(bad("one of auto, fifo, 2l")),
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
        let c = Config::parse(
            "log=debug remote=7 mode=lead rounds=250 selftest=evtchn upcall=callback evtchn=2l ports=5000 priority=0",
        )
        .unwrap();
        assert_eq!(
            c,
            Config {
                log: LogLevel::Debug,
                remote: 7,
                mode: Mode::Lead,
                rounds: 250,
                selftest: Some(Selftest::Evtchn),
                upcall: Upcall::Callback,
                vchan: 1,
                vchan_order: None,
                evtchn: EvtchnAbi::TwoLevel,
                ports: 5000,
                priority: Some(0),
            }
        );
        let c = Config::parse("mode=vchan remote=0 vchan=7 vchan_order=16").unwrap();
        assert_eq!((c.mode, c.vchan, c.vchan_order), (Mode::Vchan, 7, Some(16)));
    }

    #[test]
    fn unknown_key_is_named() {
        let e = Config::parse("log=info colour=red").unwrap_err();
        assert_eq!(e, CmdlineError::UnknownKey { key: "colour" });
        assert!(e.to_string().starts_with("cmdline: key 'colour': unknown (known keys: log, "), "{e}");
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
            ("vchan=x", "vchan", "x"),
            ("vchan_order=9", "vchan_order", "9"),
            ("vchan_order=21", "vchan_order", "21"),
            ("evtchn=3l", "evtchn", "3l"),
            ("ports=0", "ports", "0"),
            ("ports=16001", "ports", "16001"),
            ("priority=16", "priority", "16"),
        ] {
            let e = Config::parse(line).unwrap_err();
            match e {
                CmdlineError::BadValue { key: k, value: v, .. } => assert_eq!((k, v), (key, value), "{line}"),
                other => panic!("{line}: {other:?}"),
            }
            let msg = e.to_string();
            let want = format!("cmdline: key '{key}': bad value '{value}': expected ");
            assert!(msg.starts_with(&want), "{msg}");
        }
    }

    #[test]
    fn bare_word_and_repeats() {
        assert_eq!(Config::parse("hello").unwrap_err(), CmdlineError::NotKeyValue { word: "hello" });
        assert!(matches!(Config::parse("rounds").unwrap_err(), CmdlineError::BadValue { key: "rounds", .. }));
        assert_eq!(Config::parse("log=info log=debug").unwrap_err(), CmdlineError::Repeated { key: "log" });
    }

    #[test]
    fn long_and_hostile_values_are_echoed_bounded_key_first() {
        let line = format!("rounds={}", "1234567890".repeat(60));
        let msg = Config::parse(&line).unwrap_err().to_string();
        assert_eq!(
            msg,
            "cmdline: key 'rounds': bad value '1234567890123456789012345678901234567890...' (600 bytes): \
             expected a number of rounds, 1..=100000000"
        );
        let msg = Config::parse("mode=\x1b[2Jlead\u{202e}").unwrap_err().to_string();
        assert_eq!(msg, "cmdline: key 'mode': bad value '\\x1b[2Jlead\\u{202e}': expected serve, lead or vchan");
        let msg = Config::parse("log=info \x07bell").unwrap_err().to_string();
        assert!(msg.starts_with("cmdline: word '\\x07bell': not key=value"), "{msg}");
    }

    proptest::proptest! {
        /// Whatever the command line, an error is one bounded line of no
        /// control characters that names its subject (the key, or the word
        /// that is not key=value) first, escaped.
        #[test]
        fn errors_bounded_escaped_subject_first(words in proptest::collection::vec(
            "(log|remote|mode|rounds|selftest|upcall|[a-z]{1,8}|[\\PC\\pC]{0,200})(=[\\PC\\pC]{0,700})?", 1..4)
        ) {
            let line = words.join(" ");
            let Err(e) = Config::parse(&line) else { return Ok(()) };
            let msg = e.to_string();
            proptest::prop_assert!(msg.len() <= 256, "{} bytes: {msg}", msg.len());
            proptest::prop_assert!(!msg.chars().any(char::is_control), "{msg:?}");
            let subject = match e {
                CmdlineError::UnknownKey { key } | CmdlineError::Repeated { key } | CmdlineError::BadValue { key, .. } => {
                    format!("cmdline: key {}: ", echo(key))
                }
                CmdlineError::NotKeyValue { word } => format!("cmdline: word {}: ", echo(word)),
            };
            proptest::prop_assert!(msg.starts_with(&subject), "{msg} does not start with {subject}");
        }
    }

    #[test]
    fn limits() {
        assert_eq!(Config::parse("remote=32751").unwrap().remote, 32751);
        assert_eq!(Config::parse("rounds=100000000").unwrap().rounds, MAX_ROUNDS);
        assert!(Config::parse("rounds=100000001").is_err());
    }
}
