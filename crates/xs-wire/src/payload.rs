//! Taking reply payloads apart: directory listings, watch events, NULs.

use crate::WireError;

/// The bytes of `s` before its first NUL (all of `s` if it has none).
pub(crate) fn until_nul(s: &[u8]) -> &[u8] {
    match s.iter().position(|&b| b == 0) {
        Some(i) => &s[..i],
        None => s,
    }
}

/// `payload` without one trailing NUL, e.g. a `GET_DOMAIN_PATH` reply.
pub fn trim_nul(payload: &[u8]) -> &[u8] {
    payload.strip_suffix(b"\0").unwrap_or(payload)
}

/// Iterator over the child names of a `DIRECTORY` reply (`a\0b\0c\0`).
/// Empty names (an empty reply, doubled NULs) are skipped; a last name
/// without its NUL is still yielded.
#[derive(Clone, Debug)]
pub struct Directory<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Directory<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let name = until_nul(self.rest);
            // Skip the name and its NUL, if there is one.
            self.rest = self.rest.get(name.len() + 1..).unwrap_or(&[]);
            if !name.is_empty() {
                return Some(name);
            }
        }
    }
}

/// Splits a `DIRECTORY` reply into child names.
pub fn split_directory(payload: &[u8]) -> Directory<'_> {
    Directory { rest: payload }
}

/// A `WATCH_EVENT` payload: the path that changed and the watch's token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WatchEvent<'a> {
    pub path: &'a [u8],
    pub token: &'a [u8],
}

/// Splits `path\0token\0`. The path's NUL is required; the token's is not.
pub fn parse_watch_event(payload: &[u8]) -> Result<WatchEvent<'_>, WireError> {
    let path = until_nul(payload);
    let Some(rest) = payload.get(path.len() + 1..) else {
        return Err(WireError::MalformedWatchEvent);
    };
    Ok(WatchEvent { path, token: until_nul(rest) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_entries() {
        let names: Vec<&[u8]> = split_directory(b"0\x007\x0012\0").collect();
        assert_eq!(names, [&b"0"[..], b"7", b"12"]);
        assert_eq!(split_directory(b"").count(), 0);
        assert_eq!(split_directory(b"\0").count(), 0);
        let names: Vec<&[u8]> = split_directory(b"a\0\0b").collect();
        assert_eq!(names, [&b"a"[..], b"b"]);
    }

    #[test]
    fn watch_events() {
        let ev = parse_watch_event(b"/local/domain/7/data\0tok\0").unwrap();
        assert_eq!((ev.path, ev.token), (&b"/local/domain/7/data"[..], &b"tok"[..]));
        assert_eq!(parse_watch_event(b"p\0t").unwrap().token, b"t");
        assert_eq!(parse_watch_event(b"p\0").unwrap().token, b"");
        assert_eq!(parse_watch_event(b"no nul"), Err(WireError::MalformedWatchEvent));
        assert_eq!(parse_watch_event(b""), Err(WireError::MalformedWatchEvent));
    }

    #[test]
    fn trims_one_nul() {
        assert_eq!(trim_nul(b"/local/domain/7\0"), b"/local/domain/7");
        assert_eq!(trim_nul(b"x"), b"x");
        assert_eq!(trim_nul(b"x\0\0"), b"x\0");
    }
}
