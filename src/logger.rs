//! The `log` backend: one line per record, `[seconds.micros] LEVEL message`,
//! timestamped with Xen's clock when there is one, formatted into a buffer
//! first so the console lock is held only for the copy.

use core::fmt::{self, Write};

use log::{LevelFilter, Log, Metadata, Record};

struct Logger;
static LOGGER: Logger = Logger;

/// A line buffer that truncates (with a marker) instead of failing.
pub struct LineBuf {
    buf: [u8; 512],
    len: usize,
    truncated: bool,
}

impl LineBuf {
    pub const fn new() -> Self {
        LineBuf { buf: [0; 512], len: 0, truncated: false }
    }
    pub fn as_bytes(&mut self) -> &[u8] {
        if self.truncated {
            let tail = b" [...]\n";
            let at = self.len.min(self.buf.len() - tail.len());
            self.buf[at..at + tail.len()].copy_from_slice(tail);
            self.len = at + tail.len();
        }
        &self.buf[..self.len]
    }
}

impl Write for LineBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.len() - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        self.truncated |= n < s.len();
        Ok(())
    }
}

/// Writes the `[   12.345678]` prefix: seconds since boot from Xen's clock,
/// or blanks where there is no clock (plain QEMU).
pub fn write_timestamp(w: &mut impl Write) -> fmt::Result {
    match crate::time::now_ns() {
        Some(ns) => write!(w, "[{:5}.{:06}] ", ns / 1_000_000_000, (ns % 1_000_000_000) / 1000),
        None => w.write_str("[      -     ] "),
    }
}

impl Log for Logger {
    fn enabled(&self, m: &Metadata) -> bool {
        m.level() <= log::max_level()
    }

    fn log(&self, r: &Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let mut line = LineBuf::new();
        let _ = write_timestamp(&mut line);
        let _ = writeln!(line, "{:<5} {}", r.level(), r.args());
        crate::console::write(line.as_bytes());
    }

    fn flush(&self) {}
}

pub fn init(level: LevelFilter) {
    // set_logger fails only if called twice; the second call changes the level.
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(level);
}

pub fn level_filter(l: bootinfo::LogLevel) -> LevelFilter {
    match l {
        bootinfo::LogLevel::Error => LevelFilter::Error,
        bootinfo::LogLevel::Warn => LevelFilter::Warn,
        bootinfo::LogLevel::Info => LevelFilter::Info,
        bootinfo::LogLevel::Debug => LevelFilter::Debug,
        bootinfo::LogLevel::Trace => LevelFilter::Trace,
    }
}
