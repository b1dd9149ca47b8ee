//! Progress on stderr, only when stderr is a terminal, at most 5 times a second.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

const EVERY: Duration = Duration::from_millis(200);

pub struct Progress {
    enabled: bool,
    last: Option<Instant>,
    shown: bool,
}

impl Progress {
    /// Enabled iff stderr is a terminal.
    pub fn stderr() -> Progress {
        Progress { enabled: std::io::stderr().is_terminal(), last: None, shown: false }
    }

    /// Never shows anything.
    pub fn off() -> Progress {
        Progress { enabled: false, last: None, shown: false }
    }

    /// Shows `what done/total` if enough time passed since the last update.
    pub fn tick(&mut self, what: &str, done: u64, total: u64) {
        if !self.enabled || self.last.is_some_and(|t| t.elapsed() < EVERY) {
            return;
        }
        self.last = Some(Instant::now());
        self.shown = true;
        let _ = write!(std::io::stderr(), "\r{what} {done}/{total}\x1b[K");
    }

    /// A free-form status line (e.g. "serving domain 7"), if enabled.
    pub fn note(&mut self, text: &str) {
        if self.enabled {
            let _ = writeln!(std::io::stderr(), "{text}");
        }
    }

    /// Erases the progress line.
    pub fn finish(&mut self) {
        if self.shown {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
            self.shown = false;
        }
    }
}
