//! Incremental reply parser: bytes in, complete messages out.

use crate::{Header, MsgType, WireError, XsError, HEADER_LEN, MESSAGE_MAX};

/// A complete message, borrowed from the [`Parser`] until its next `push`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub header: Header,
    /// Exactly `header.len` bytes.
    pub payload: &'a [u8],
}

impl<'a> Message<'a> {
    /// The payload of a normal reply, or the typed error of an `ERROR` reply.
    pub fn result(&self) -> Result<&'a [u8], XsError> {
        match self.header.ty {
            MsgType::Error => Err(XsError::from_payload(self.payload)),
            _ => Ok(self.payload),
        }
    }
}

/// Reassembles messages from bytes that arrive in arbitrary chunks.
///
/// It holds at most one message in a fixed `MESSAGE_MAX` buffer, validates the
/// header as soon as its 16 bytes are in (before waiting for any payload), and
/// after a bad header refuses all further input until [`Parser::reset`]: the
/// stream has no resynchronisation point, so nothing after it can be trusted.
pub struct Parser {
    buf: [u8; MESSAGE_MAX],
    /// Bytes of the current message in `buf`.
    filled: usize,
    /// The current message's header, once its 16 bytes are in and valid.
    header: Option<Header>,
    /// The last `push` returned the message in `buf`; start afresh next time.
    complete: bool,
    /// Sticky stream error.
    error: Option<WireError>,
}

impl Default for Parser {
    fn default() -> Self {
        Parser::new()
    }
}

impl Parser {
    /// An empty parser.
    pub const fn new() -> Parser {
        Parser { buf: [0; MESSAGE_MAX], filled: 0, header: None, complete: false, error: None }
    }

    /// Forgets any partial message and a stream error.
    pub fn reset(&mut self) {
        *self = Parser::new();
    }

    /// True when no partial message is buffered (a message boundary).
    pub fn is_idle(&self) -> bool {
        self.complete || self.filled == 0
    }

    /// Consumes bytes from `input` up to the end of the current message.
    /// Returns how many bytes were used and the message if it is now complete;
    /// the rest of `input` belongs to the next call. With non-empty `input` it
    /// always uses at least one byte, so a loop over `push` terminates.
    pub fn push(&mut self, input: &[u8]) -> Result<(usize, Option<Message<'_>>), WireError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.complete {
            self.filled = 0;
            self.header = None;
            self.complete = false;
        }
        let mut used = 0;
        let header = match self.header {
            Some(h) => h,
            None => {
                used = self.fill(HEADER_LEN, input);
                if self.filled < HEADER_LEN {
                    return Ok((used, None));
                }
                let mut raw = [0u8; HEADER_LEN];
                raw.copy_from_slice(&self.buf[..HEADER_LEN]);
                match Header::decode(&raw) {
                    Ok(h) => {
                        self.header = Some(h);
                        h
                    }
                    Err(e) => {
                        self.error = Some(e);
                        return Err(e);
                    }
                }
            }
        };
        // Header::decode bounded len by PAYLOAD_MAX, so total <= MESSAGE_MAX.
        let total = HEADER_LEN + header.len as usize;
        used += self.fill(total, &input[used..]);
        if self.filled < total {
            return Ok((used, None));
        }
        self.complete = true;
        Ok((used, Some(Message { header, payload: &self.buf[HEADER_LEN..total] })))
    }

    /// Feeds all of `input`, calling `on_message` for each completed message.
    pub fn feed(&mut self, mut input: &[u8], mut on_message: impl FnMut(Message<'_>)) -> Result<(), WireError> {
        while !input.is_empty() {
            let (used, message) = self.push(input)?;
            let done = used == 0 && message.is_none();
            if let Some(m) = message {
                on_message(m);
            }
            if done {
                break; // cannot happen (push always progresses); never spin
            }
            input = &input[used..];
        }
        Ok(())
    }

    /// Copies from `input` until `filled == upto`; returns the bytes taken.
    fn fill(&mut self, upto: usize, input: &[u8]) -> usize {
        let want = upto.saturating_sub(self.filled).min(input.len());
        self.buf[self.filled..self.filled + want].copy_from_slice(&input[..want]);
        self.filled += want;
        want
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Request, PAYLOAD_MAX};

    fn collect(p: &mut Parser, bytes: &[u8]) -> Result<Vec<(Header, Vec<u8>)>, WireError> {
        let mut out = Vec::new();
        p.feed(bytes, |m| out.push((m.header, m.payload.to_vec())))?;
        Ok(out)
    }

    #[test]
    fn byte_at_a_time_and_back_to_back() {
        let mut stream = Header::message(MsgType::Read, 1, b"xenbell");
        stream.extend(Header::message(MsgType::Write, 2, b"OK\0"));
        stream.extend(Header::message(MsgType::Error, 3, b"ENOENT\0"));
        stream.extend(Header::message(MsgType::Rm, 4, b""));
        let mut p = Parser::new();
        let mut got = Vec::new();
        for b in &stream {
            got.extend(collect(&mut p, core::slice::from_ref(b)).unwrap());
        }
        assert_eq!(got, collect(&mut Parser::new(), &stream).unwrap());
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].1, b"xenbell");
        assert_eq!(got[3].0.len, 0);
        assert!(p.is_idle());
    }

    #[test]
    fn result_types_errors() {
        let bytes = Header::message(MsgType::Error, 9, b"EACCES\0");
        let mut p = Parser::new();
        let (used, m) = p.push(&bytes).unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(m.unwrap().result(), Err(XsError::EACCES));
        let bytes = Header::message(MsgType::Read, 9, b"5");
        assert_eq!(p.push(&bytes).unwrap().1.unwrap().result(), Ok(&b"5"[..]));
    }

    #[test]
    fn push_stops_at_message_end() {
        let mut stream = Header::message(MsgType::Read, 1, b"ab");
        stream.extend(Header::message(MsgType::Read, 2, b"cd"));
        let mut p = Parser::new();
        let (used, m) = p.push(&stream).unwrap();
        assert_eq!((used, m.unwrap().payload), (HEADER_LEN + 2, &b"ab"[..]));
        let (used2, m) = p.push(&stream[used..]).unwrap();
        assert_eq!((used2, m.unwrap().header.req_id), (HEADER_LEN + 2, 2));
    }

    #[test]
    fn bad_header_is_sticky_until_reset() {
        let mut bad = Header::message(MsgType::Read, 1, b"");
        bad[12..16].copy_from_slice(&(PAYLOAD_MAX as u32 + 1).to_le_bytes());
        let mut p = Parser::new();
        // Rejected as soon as the header is complete, before any payload.
        assert_eq!(p.push(&bad[..15]).unwrap(), (15, None));
        assert_eq!(p.push(&bad[15..]), Err(WireError::PayloadTooLong(4097)));
        assert_eq!(p.push(&Header::message(MsgType::Read, 2, b"")), Err(WireError::PayloadTooLong(4097)));
        p.reset();
        assert!(p.push(&Header::message(MsgType::Read, 2, b"")).unwrap().1.is_some());
        let mut unknown = Header::message(MsgType::Read, 1, b"");
        unknown[..4].copy_from_slice(&20u32.to_le_bytes());
        assert_eq!(collect(&mut Parser::new(), &unknown), Err(WireError::UnknownType(20)));
    }

    #[test]
    fn max_payload_fits() {
        let big = vec![b'z'; PAYLOAD_MAX];
        let got = collect(&mut Parser::new(), &Header::message(MsgType::Read, 1, &big)).unwrap();
        assert_eq!(got[0].1.len(), PAYLOAD_MAX);
    }

    #[test]
    fn parses_its_own_requests() {
        let req = Request::Write { path: "data/xenbell/state", value: b"ready" };
        let got = collect(&mut Parser::new(), &req.to_vec(77, 3).unwrap()).unwrap();
        assert_eq!(got[0].0, Header { ty: MsgType::Write, req_id: 77, tx_id: 3, len: 24 });
        assert_eq!(got[0].1, b"data/xenbell/state\0ready");
    }
}
