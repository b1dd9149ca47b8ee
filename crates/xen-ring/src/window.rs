//! Pure arithmetic: how much can be read or written, and where.

use core::fmt;
use core::ops::Range;

/// What is wrong with a ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingError {
    /// The counters claim `prod - cons > size` bytes in flight: the peer wrote
    /// garbage (or we were handed the wrong page). Nothing was read or written.
    Corrupt { prod: u32, cons: u32, size: u32 },
    /// The ring size is not a power of two (a caller bug).
    BadSize(u32),
}

impl fmt::Display for RingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RingError::Corrupt { prod, cons, size } => {
                write!(f, "corrupt ring: prod {prod:#x} - cons {cons:#x} exceeds size {size}")
            }
            RingError::BadSize(size) => write!(f, "ring size {size} is not a power of two"),
        }
    }
}

/// A run of `len <= size` stream bytes starting at counter value `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    start: u32,
    len: u32,
    size: u32,
}

impl Window {
    /// Number of bytes in the window.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// True if the window is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The counter value of the first byte.
    pub fn start(&self) -> u32 {
        self.start
    }

    /// The first `n` bytes of the window (all of it if shorter).
    pub fn take(self, n: usize) -> Window {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        Window { len: self.len.min(n), ..self }
    }

    /// The window as at most two index ranges into the data array: up to the
    /// end of the array, then from index 0. Both lie inside `0..size`; the
    /// second is empty unless the window wraps.
    pub fn spans(&self) -> [Range<usize>; 2] {
        let start = (self.start & (self.size - 1)) as usize;
        let size = self.size as usize;
        let len = self.len as usize; // <= size, by construction
        let first = len.min(size - start);
        [start..start + first, 0..len - first]
    }
}

fn check_size(size: u32) -> Result<(), RingError> {
    if size.is_power_of_two() && size <= 1 << 31 {
        Ok(())
    } else {
        Err(RingError::BadSize(size))
    }
}

/// Bytes in flight, `prod - cons`, if the counters are consistent.
fn in_flight(prod: u32, cons: u32, size: u32) -> Result<u32, RingError> {
    check_size(size)?;
    let used = prod.wrapping_sub(cons);
    if used > size {
        return Err(RingError::Corrupt { prod, cons, size });
    }
    Ok(used)
}

/// For the reader: the bytes that can be read, given our `cons` and the
/// peer's `prod` (read once).
pub fn readable(cons: u32, prod: u32, size: u32) -> Result<Window, RingError> {
    let len = in_flight(prod, cons, size)?;
    Ok(Window { start: cons, len, size })
}

/// For the writer: the free space that can be written, given our `prod` and
/// the peer's `cons` (read once).
pub fn writable(prod: u32, cons: u32, size: u32) -> Result<Window, RingError> {
    let used = in_flight(prod, cons, size)?;
    Ok(Window { start: prod, len: size - used, size })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_full_and_wrapping() {
        assert_eq!(readable(5, 5, 16).unwrap().len(), 0);
        assert_eq!(writable(5, 5, 16).unwrap().len(), 16);
        assert_eq!(readable(5, 21, 16).unwrap().len(), 16);
        assert_eq!(writable(21, 5, 16).unwrap().len(), 0);
        // Spans across the array end.
        let w = readable(14, 19, 16).unwrap();
        assert_eq!(w.spans(), [14..16, 0..3]);
        assert_eq!(w.take(1).spans(), [14..15, 0..0]);
        // Counters wrapping through u32::MAX.
        let w = readable(u32::MAX - 1, 3, 16).unwrap();
        assert_eq!((w.len(), w.spans()), (5, [14..16, 0..3]));
        let w = writable(u32::MAX, u32::MAX - 15, 16).unwrap();
        assert_eq!((w.len(), w.spans()), (1, [15..16, 0..0]));
    }

    #[test]
    fn corrupt_counters_and_bad_sizes() {
        assert_eq!(readable(0, 17, 16), Err(RingError::Corrupt { prod: 17, cons: 0, size: 16 }));
        // A producer "behind" the consumer is a huge wrapping difference.
        assert_eq!(readable(10, 9, 16), Err(RingError::Corrupt { prod: 9, cons: 10, size: 16 }));
        assert_eq!(writable(9, 10, 16), Err(RingError::Corrupt { prod: 9, cons: 10, size: 16 }));
        assert_eq!(readable(0, 0, 0), Err(RingError::BadSize(0)));
        assert_eq!(readable(0, 0, 24), Err(RingError::BadSize(24)));
        assert_eq!(readable(0, 0, 1 << 31).unwrap().len(), 0);
    }
}
