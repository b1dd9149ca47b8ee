//! Errors: [`WireError`] for a broken stream or a request that cannot be
//! encoded, [`XsError`] for an `ERROR` reply from xenstored.

use core::fmt;

/// The byte stream or a request violates the wire format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireError {
    /// A header's type is not in `enum xsd_sockmsg_type`.
    UnknownType(u32),
    /// A header's `len` exceeds `PAYLOAD_MAX` (4096).
    PayloadTooLong(u32),
    /// A request's payload would exceed `PAYLOAD_MAX`.
    RequestTooLong(usize),
    /// The caller's buffer cannot hold the encoded request (`needed` bytes).
    BufferTooSmall { needed: usize },
    /// A path or token contains a NUL byte, which would split it on the wire.
    EmbeddedNul,
    /// A `WATCH_EVENT` payload lacks the NUL that ends its path.
    MalformedWatchEvent,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::UnknownType(t) => write!(f, "xenstore message of unknown type {t}"),
            WireError::PayloadTooLong(n) => {
                write!(f, "xenstore message announces {n} payload bytes (max 4096)")
            }
            WireError::RequestTooLong(n) => {
                write!(f, "xenstore request payload of {n} bytes (max 4096)")
            }
            WireError::BufferTooSmall { needed } => {
                write!(f, "buffer too small for xenstore request ({needed} bytes needed)")
            }
            WireError::EmbeddedNul => f.write_str("xenstore path or token contains a NUL byte"),
            WireError::MalformedWatchEvent => f.write_str("malformed xenstore watch event"),
        }
    }
}

/// The errno name carried by an `ERROR` reply, e.g. `"ENOENT\0"`. The list is
/// `xsd_errors[]` from `io/xs_wire.h` plus `EQUOTA` (oxenstored's quota error).
#[allow(clippy::upper_case_acronyms)] // named exactly as on the wire
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XsError {
    EINVAL,
    EACCES,
    EEXIST,
    EISDIR,
    ENOENT,
    ENOMEM,
    ENOSPC,
    EIO,
    ENOTEMPTY,
    ENOSYS,
    EROFS,
    EBUSY,
    EAGAIN,
    EISCONN,
    E2BIG,
    EPERM,
    EQUOTA,
    /// Any other text (first 15 bytes kept, for messages).
    Other(OtherText),
}

/// Up to 15 bytes of an unrecognised error name, kept inline (no allocation).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct OtherText {
    len: u8,
    bytes: [u8; 15],
}

impl OtherText {
    /// The kept bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl fmt::Debug for OtherText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.as_bytes().escape_ascii())
    }
}

/// Pairs of (wire name, variant), for parsing and printing.
const KNOWN: [(&str, XsError); 17] = [
    ("EINVAL", XsError::EINVAL),
    ("EACCES", XsError::EACCES),
    ("EEXIST", XsError::EEXIST),
    ("EISDIR", XsError::EISDIR),
    ("ENOENT", XsError::ENOENT),
    ("ENOMEM", XsError::ENOMEM),
    ("ENOSPC", XsError::ENOSPC),
    ("EIO", XsError::EIO),
    ("ENOTEMPTY", XsError::ENOTEMPTY),
    ("ENOSYS", XsError::ENOSYS),
    ("EROFS", XsError::EROFS),
    ("EBUSY", XsError::EBUSY),
    ("EAGAIN", XsError::EAGAIN),
    ("EISCONN", XsError::EISCONN),
    ("E2BIG", XsError::E2BIG),
    ("EPERM", XsError::EPERM),
    ("EQUOTA", XsError::EQUOTA),
];

impl XsError {
    /// Parses an `ERROR` payload: the name up to the first NUL (or the end).
    pub fn from_payload(payload: &[u8]) -> XsError {
        let name = crate::payload::until_nul(payload);
        for (text, err) in KNOWN {
            if name == text.as_bytes() {
                return err;
            }
        }
        let mut other = OtherText { len: 0, bytes: [0; 15] };
        let n = name.len().min(other.bytes.len());
        other.bytes[..n].copy_from_slice(&name[..n]);
        other.len = n as u8; // n <= 15
        XsError::Other(other)
    }

    /// The wire name, e.g. `"ENOENT"`; `None` for [`XsError::Other`].
    pub fn name(&self) -> Option<&'static str> {
        KNOWN.iter().find(|(_, e)| e == self).map(|(text, _)| *text)
    }
}

impl fmt::Display for XsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self) {
            (Some(name), _) => f.write_str(name),
            (None, XsError::Other(t)) => write!(f, "{}", t.as_bytes().escape_ascii()),
            (None, _) => f.write_str("?"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_parse_with_or_without_nul() {
        for (text, err) in KNOWN {
            let mut with_nul = text.as_bytes().to_vec();
            with_nul.push(0);
            assert_eq!(XsError::from_payload(&with_nul), err);
            assert_eq!(XsError::from_payload(text.as_bytes()), err);
            assert_eq!(err.to_string(), text);
        }
    }

    #[test]
    fn unknown_names_are_kept_truncated() {
        let e = XsError::from_payload(b"EWHATEVER_THIS_IS_LONG\0junk");
        match e {
            XsError::Other(t) => assert_eq!(t.as_bytes(), b"EWHATEVER_THIS_"),
            other => panic!("{other:?}"),
        }
        assert_eq!(e.name(), None);
        assert_eq!(XsError::from_payload(b"\xff\n").to_string(), "\\xff\\n");
        assert!(matches!(XsError::from_payload(b""), XsError::Other(t) if t.as_bytes().is_empty()));
    }
}
