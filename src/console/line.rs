//! A line formatted on the stack before it is written: the console lock is
//! then held only for the copy, and a line too long for the buffer is cut
//! with a visible marker instead of failing.

use core::fmt::{self, Write};

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
