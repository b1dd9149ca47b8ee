//! Untrusted input echoed in an error message: bounded and escaped.
//!
//! The project's rule (DEVELOPERS.md): every error message names its subject
//! first (`key 'rounds': ...`, `/local/domain/7/name: ...`, `domain 7: ...`),
//! and untrusted input it repeats is bounded and escaped. [`echo`] does the
//! second half, once, for the kernel (its command line, xenstore values) and
//! the dom0 tool (xenstore names and values, arguments):
//!
//! ```
//! use echo::echo;
//! assert_eq!(echo("abc").to_string(), "'abc'");
//! assert_eq!(echo(b"a\nb\xff'").to_string(), r"'a\nb\xff\''");
//! let long = "1".repeat(600);
//! assert_eq!(echo(&long).max(4).to_string(), "'1111...' (600 bytes)");
//! ```
//!
//! The echo is printable ASCII only, whatever the input, so it reads the same
//! on every console (Xen's own console drops or mangles bytes above 0x7f):
//! `\\`, `\'`, `\n`, `\r`, `\t`, `\0`; other ASCII control bytes and every byte
//! that is not part of valid UTF-8 as `\xNN`; every other non-ASCII character
//! (which includes the invisible ones that reorder or hide text) as
//! `\u{NNNN}`. A space is shown as is: the quotes make a leading or trailing
//! space visible.
//!
//! Bound: the escaped text between the quotes is at most `max` bytes
//! ([`DEFAULT_MAX`] unless [`Echo::max`] says otherwise), cut at a whole
//! escape; a cut value ends in `...'` followed by its full length in bytes
//! (`'1234...' (600 bytes)`), so the whole echo is at most `max + `[`OVERHEAD`]
//! bytes.
#![cfg_attr(not(test), no_std)]

use core::fmt::{self, Write};

/// Escaped bytes shown between the quotes, unless [`Echo::max`] says otherwise.
pub const DEFAULT_MAX: usize = 40;

/// The most an echo adds to its `max`: two quotes, `...` and
/// ` (18446744073709551615 bytes)`.
pub const OVERHEAD: usize = 2 + 3 + " (18446744073709551615 bytes)".len();

/// Untrusted bytes, displayed quoted, escaped and bounded; see the crate docs.
#[derive(Clone, Copy, Debug)]
pub struct Echo<'a> {
    bytes: &'a [u8],
    max: usize,
    quoted: bool,
}

/// Echoes `value` (a `str`, a byte slice, a `String`, ...) in quotes.
pub fn echo<B: AsRef<[u8]> + ?Sized>(value: &B) -> Echo<'_> {
    Echo { bytes: value.as_ref(), max: DEFAULT_MAX, quoted: true }
}

impl<'a> Echo<'a> {
    /// Shows at most `max` escaped bytes.
    pub fn max(self, max: usize) -> Echo<'a> {
        Echo { max, ..self }
    }

    /// Without the quotes, for text already delimited (`domain 7 (name)`);
    /// still escaped and bounded. A quote inside is escaped all the same.
    pub fn bare(self) -> Echo<'a> {
        Echo { quoted: false, ..self }
    }
}

/// One escaped unit (a character or an invalid byte), at most 10 bytes
/// (`\u{10ffff}`), ASCII.
struct Unit {
    buf: [u8; 10],
    len: usize,
}

impl Unit {
    fn new() -> Unit {
        Unit { buf: [0; 10], len: 0 }
    }

    fn as_str(&self) -> &str {
        // Only ASCII escapes and whole UTF-8 characters are written.
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("?")
    }
}

impl Write for Unit {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.buf.get_mut(self.len..end).ok_or(fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

fn escape_char(c: char, out: &mut Unit) -> fmt::Result {
    match c {
        '\\' => out.write_str("\\\\"),
        '\'' => out.write_str("\\'"),
        '\n' => out.write_str("\\n"),
        '\r' => out.write_str("\\r"),
        '\t' => out.write_str("\\t"),
        '\0' => out.write_str("\\0"),
        ' '..='~' => out.write_char(c),
        c if c.is_ascii() => write!(out, "\\x{:02x}", c as u32),
        c => write!(out, "\\u{{{:x}}}", c as u32),
    }
}

impl fmt::Display for Echo<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quote = if self.quoted { "'" } else { "" };
        f.write_str(quote)?;
        let mut shown = 0;
        for chunk in self.bytes.utf8_chunks() {
            let chars = chunk.valid().chars().map(Ok);
            let invalid = chunk.invalid().iter().map(|&b| Err(b));
            for item in chars.chain(invalid) {
                let mut unit = Unit::new();
                match item {
                    Ok(c) => escape_char(c, &mut unit)?,
                    Err(b) => write!(unit, "\\x{b:02x}")?,
                }
                if shown + unit.len > self.max {
                    return write!(f, "...{quote} ({} bytes)", self.bytes.len());
                }
                shown += unit.len;
                f.write_str(unit.as_str())?;
            }
        }
        f.write_str(quote)
    }
}

#[cfg(test)]
mod tests;
