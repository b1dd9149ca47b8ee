//! The `log` backend: one line per record, `[seconds.micros] LEVEL message`,
//! timestamped with Xen's clock when there is one, formatted into a buffer
//! first so the console lock is held only for the copy.

use core::fmt::{self, Write};

use log::{LevelFilter, Log, Metadata, Record};

struct Logger;
static LOGGER: Logger = Logger;

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
        let mut line = crate::console::LineBuf::new();
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

pub fn level_filter(l: cmdline::LogLevel) -> LevelFilter {
    match l {
        cmdline::LogLevel::Error => LevelFilter::Error,
        cmdline::LogLevel::Warn => LevelFilter::Warn,
        cmdline::LogLevel::Info => LevelFilter::Info,
        cmdline::LogLevel::Debug => LevelFilter::Debug,
        cmdline::LogLevel::Trace => LevelFilter::Trace,
    }
}
