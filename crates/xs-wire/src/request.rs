//! Request encoders: header plus payload, into a caller buffer or a `Vec`.

use alloc::vec::Vec;

use crate::{Header, MsgType, WireError, HEADER_LEN, PAYLOAD_MAX};

/// One entry of a `SET_PERMS` list, e.g. `r7`: domain 7 may read.
/// The first entry names the owner and the default for unlisted domains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Perm {
    pub kind: PermKind,
    pub domid: u16,
}

/// Access letter of a [`Perm`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PermKind {
    /// `n`: no access.
    None,
    /// `r`: read.
    Read,
    /// `w`: write.
    Write,
    /// `b`: read and write.
    Both,
}

impl PermKind {
    fn letter(self) -> u8 {
        match self {
            PermKind::None => b'n',
            PermKind::Read => b'r',
            PermKind::Write => b'w',
            PermKind::Both => b'b',
        }
    }
}

/// A request and its arguments. Paths and tokens must not contain NUL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request<'a> {
    /// `READ path\0`; the reply is the value (no trailing NUL).
    Read { path: &'a str },
    /// `WRITE path\0value`; the value is raw bytes without a NUL.
    Write { path: &'a str, value: &'a [u8] },
    /// `MKDIR path\0`.
    Mkdir { path: &'a str },
    /// `RM path\0`.
    Rm { path: &'a str },
    /// `DIRECTORY path\0`; the reply is NUL-separated child names.
    Directory { path: &'a str },
    /// `WATCH path\0token\0`.
    Watch { path: &'a str, token: &'a str },
    /// `UNWATCH path\0token\0`.
    Unwatch { path: &'a str, token: &'a str },
    /// `GET_DOMAIN_PATH domid\0` (decimal); the reply is `/local/domain/<id>\0`.
    GetDomainPath { domid: u32 },
    /// `SET_PERMS path\0perm\0perm\0...`.
    SetPerms { path: &'a str, perms: &'a [Perm] },
    /// `TRANSACTION_START \0`; the reply is the decimal transaction id.
    TransactionStart,
    /// `TRANSACTION_END T\0` (commit) or `F\0` (abort).
    TransactionEnd { commit: bool },
}

impl<'a> Request<'a> {
    /// The message type on the wire.
    pub fn msg_type(&self) -> MsgType {
        match self {
            Request::Read { .. } => MsgType::Read,
            Request::Write { .. } => MsgType::Write,
            Request::Mkdir { .. } => MsgType::Mkdir,
            Request::Rm { .. } => MsgType::Rm,
            Request::Directory { .. } => MsgType::Directory,
            Request::Watch { .. } => MsgType::Watch,
            Request::Unwatch { .. } => MsgType::Unwatch,
            Request::GetDomainPath { .. } => MsgType::GetDomainPath,
            Request::SetPerms { .. } => MsgType::SetPerms,
            Request::TransactionStart => MsgType::TransactionStart,
            Request::TransactionEnd { .. } => MsgType::TransactionEnd,
        }
    }

    /// Calls `emit` with each piece of the payload, in order.
    fn emit_payload(&self, emit: &mut dyn FnMut(&[u8])) -> Result<(), WireError> {
        let mut digits = [0u8; 10];
        let string = |s: &str, emit: &mut dyn FnMut(&[u8])| {
            if s.as_bytes().contains(&0) {
                return Err(WireError::EmbeddedNul);
            }
            emit(s.as_bytes());
            emit(b"\0");
            Ok(())
        };
        match *self {
            Request::Read { path } | Request::Mkdir { path } | Request::Rm { path } | Request::Directory { path } => {
                string(path, emit)?
            }
            Request::Write { path, value } => {
                string(path, emit)?;
                emit(value);
            }
            Request::Watch { path, token } | Request::Unwatch { path, token } => {
                string(path, emit)?;
                string(token, emit)?;
            }
            Request::GetDomainPath { domid } => {
                emit(decimal(domid, &mut digits));
                emit(b"\0");
            }
            Request::SetPerms { path, perms } => {
                string(path, emit)?;
                for perm in perms {
                    emit(&[perm.kind.letter()]);
                    emit(decimal(u32::from(perm.domid), &mut digits));
                    emit(b"\0");
                }
            }
            Request::TransactionStart => emit(b"\0"),
            Request::TransactionEnd { commit } => emit(if commit { b"T\0" } else { b"F\0" }),
        }
        Ok(())
    }

    /// Payload length in bytes, checked against [`PAYLOAD_MAX`].
    pub fn payload_len(&self) -> Result<usize, WireError> {
        let mut len = 0usize;
        self.emit_payload(&mut |piece| len = len.saturating_add(piece.len()))?;
        if len > PAYLOAD_MAX {
            return Err(WireError::RequestTooLong(len));
        }
        Ok(len)
    }

    /// Header and payload for `req_id` / `tx_id` into `buf`; returns the
    /// number of bytes written.
    pub fn encode_into(&self, req_id: u32, tx_id: u32, buf: &mut [u8]) -> Result<usize, WireError> {
        let len = self.payload_len()?;
        let needed = HEADER_LEN + len;
        let Some(out) = buf.get_mut(..needed) else {
            return Err(WireError::BufferTooSmall { needed });
        };
        let header = Header { ty: self.msg_type(), req_id, tx_id, len: len as u32 };
        out[..HEADER_LEN].copy_from_slice(&header.encode());
        let mut at = HEADER_LEN;
        self.emit_payload(&mut |piece| {
            // payload_len() saw the same pieces, so they fit in `out`.
            out[at..at + piece.len()].copy_from_slice(piece);
            at += piece.len();
        })?;
        Ok(needed)
    }

    /// Header and payload as a new `Vec`.
    pub fn to_vec(&self, req_id: u32, tx_id: u32) -> Result<Vec<u8>, WireError> {
        let mut out = alloc::vec![0u8; HEADER_LEN + self.payload_len()?];
        let n = self.encode_into(req_id, tx_id, &mut out)?;
        out.truncate(n);
        Ok(out)
    }
}

/// `value` in decimal, without leading zeros, in the tail of `buf`.
fn decimal(mut value: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            return &buf[start..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(req: Request<'_>) -> Vec<u8> {
        let bytes = req.to_vec(5, 0).unwrap();
        let header = Header::decode(bytes[..HEADER_LEN].try_into().unwrap()).unwrap();
        assert_eq!(header.ty, req.msg_type());
        assert_eq!((header.req_id, header.tx_id), (5, 0));
        assert_eq!(header.len as usize, bytes.len() - HEADER_LEN);
        bytes[HEADER_LEN..].to_vec()
    }

    #[test]
    fn payload_formats() {
        assert_eq!(payload(Request::Read { path: "/local/domain/7/name" }), b"/local/domain/7/name\0");
        assert_eq!(payload(Request::Write { path: "a/b", value: b"ready" }), b"a/b\0ready");
        assert_eq!(payload(Request::Mkdir { path: "d" }), b"d\0");
        assert_eq!(payload(Request::Rm { path: "d" }), b"d\0");
        assert_eq!(payload(Request::Directory { path: "/local/domain" }), b"/local/domain\0");
        assert_eq!(payload(Request::Watch { path: "p", token: "t1" }), b"p\0t1\0");
        assert_eq!(payload(Request::Unwatch { path: "p", token: "t1" }), b"p\0t1\0");
        assert_eq!(payload(Request::GetDomainPath { domid: 0 }), b"0\0");
        assert_eq!(payload(Request::GetDomainPath { domid: 4_294_967_295 }), b"4294967295\0");
        let perms = [Perm { kind: PermKind::Both, domid: 7 }, Perm { kind: PermKind::Read, domid: 0 }];
        assert_eq!(payload(Request::SetPerms { path: "x", perms: &perms }), b"x\0b7\0r0\0");
        assert_eq!(payload(Request::TransactionStart), b"\0");
        assert_eq!(payload(Request::TransactionEnd { commit: true }), b"T\0");
        assert_eq!(payload(Request::TransactionEnd { commit: false }), b"F\0");
    }

    #[test]
    fn rejects_nul_oversize_and_small_buffers() {
        assert_eq!(Request::Read { path: "a\0b" }.to_vec(1, 0), Err(WireError::EmbeddedNul));
        assert_eq!(Request::Watch { path: "a", token: "\0" }.payload_len(), Err(WireError::EmbeddedNul));
        let big = [b'x'; PAYLOAD_MAX];
        assert_eq!(
            Request::Write { path: "p", value: &big }.payload_len(),
            Err(WireError::RequestTooLong(PAYLOAD_MAX + 2))
        );
        let fits = [b'x'; PAYLOAD_MAX - 2];
        assert_eq!(Request::Write { path: "p", value: &fits }.payload_len(), Ok(PAYLOAD_MAX));
        let mut small = [0u8; HEADER_LEN + 2];
        assert_eq!(
            Request::Read { path: "ab" }.encode_into(1, 0, &mut small),
            Err(WireError::BufferTooSmall { needed: HEADER_LEN + 3 })
        );
        let mut exact = [0u8; HEADER_LEN + 3];
        assert_eq!(Request::Read { path: "ab" }.encode_into(1, 0, &mut exact), Ok(HEADER_LEN + 3));
    }
}
