//! The 16-byte message header, `struct xsd_sockmsg`.

use crate::{MsgType, WireError, PAYLOAD_MAX};

/// Size of the encoded header.
pub const HEADER_LEN: usize = 16;

/// A decoded and validated `xsd_sockmsg`: known type, `len <= PAYLOAD_MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub ty: MsgType,
    /// Request identifier, echoed in the reply.
    pub req_id: u32,
    /// Transaction id, 0 outside a transaction.
    pub tx_id: u32,
    /// Payload length in bytes.
    pub len: u32,
}

impl Header {
    /// The wire form: four little-endian `u32`s.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let fields = [self.ty.as_u32(), self.req_id, self.tx_id, self.len];
        for (chunk, field) in out.chunks_exact_mut(4).zip(fields) {
            chunk.copy_from_slice(&field.to_le_bytes());
        }
        out
    }

    /// A whole message as xenstored sends one: the header (`tx_id` 0, `len`
    /// the payload's length), then the payload. What fakes and tests that
    /// play xenstored build their replies and watch events with. The length
    /// is not checked against [`PAYLOAD_MAX`], so they can also send what a
    /// broken xenstored would.
    pub fn message(ty: MsgType, req_id: u32, payload: &[u8]) -> alloc::vec::Vec<u8> {
        let header = Header { ty, req_id, tx_id: 0, len: payload.len() as u32 };
        let mut v = header.encode().to_vec();
        v.extend_from_slice(payload);
        v
    }

    /// Decodes and validates a header. An unknown type or a `len` above
    /// [`PAYLOAD_MAX`] is an error: the stream cannot be trusted past it.
    pub fn decode(bytes: &[u8; HEADER_LEN]) -> Result<Header, WireError> {
        let field = |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let (raw_ty, req_id, tx_id, len) = (field(0), field(4), field(8), field(12));
        let ty = MsgType::from_u32(raw_ty).ok_or(WireError::UnknownType(raw_ty))?;
        if len as usize > PAYLOAD_MAX {
            return Err(WireError::PayloadTooLong(len));
        }
        Ok(Header { ty, req_id, tx_id, len })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_little_endian() {
        let h = Header { ty: MsgType::Write, req_id: 0x0102_0304, tx_id: 7, len: 4096 };
        let bytes = h.encode();
        assert_eq!(&bytes[..8], &[11, 0, 0, 0, 4, 3, 2, 1]);
        assert_eq!(Header::decode(&bytes), Ok(h));
    }

    #[test]
    fn rejects_long_and_unknown() {
        let mut bytes = Header { ty: MsgType::Read, req_id: 1, tx_id: 0, len: 4097 }.encode();
        assert_eq!(Header::decode(&bytes), Err(WireError::PayloadTooLong(4097)));
        bytes[0..4].copy_from_slice(&99u32.to_le_bytes());
        assert_eq!(Header::decode(&bytes), Err(WireError::UnknownType(99)));
    }
}
