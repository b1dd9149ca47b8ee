//! The writing side of a ring: owns `prod`, trusts nothing about `cons`.

use core::sync::atomic::Ordering;

use crate::{writable, RingError, RingMemory};

/// Our private producer counter. The copy in the shared page is written, never
/// read back, so the peer cannot move it under us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Producer {
    prod: u32,
}

impl Producer {
    /// Starts producing at counter value `prod` (read once at connect time).
    pub const fn new(prod: u32) -> Producer {
        Producer { prod }
    }

    /// Our counter.
    pub fn counter(&self) -> u32 {
        self.prod
    }

    /// Free bytes now (reads the peer's `cons` once, Acquire).
    pub fn free<M: RingMemory>(&self, mem: &M) -> Result<u32, RingError> {
        let cons = mem.load_cons(Ordering::Acquire);
        Ok(writable(self.prod, cons, M::SIZE)?.len())
    }

    /// Writes as much of `src` as fits; returns how many bytes (0 if the ring
    /// is full). On `Err` nothing was written and `prod` is unchanged.
    pub fn write<M: RingMemory>(&mut self, mem: &mut M, src: &[u8]) -> Result<usize, RingError> {
        const { assert!(M::SIZE.is_power_of_two()) };
        // Acquire: our data writes below must not land before we saw the
        // reader free the space (pairs with the reader's Release store of `cons`).
        let cons = mem.load_cons(Ordering::Acquire);
        let window = writable(self.prod, cons, M::SIZE)?.take(src.len());
        let [first, second] = window.spans();
        let (head, tail) = src.split_at(first.len());
        mem.write_bytes(first.start, head);
        mem.write_bytes(second.start, &tail[..second.len()]);
        self.prod = self.prod.wrapping_add(window.len());
        // Release: the data is visible before the peer sees the new `prod`.
        mem.store_prod(self.prod, Ordering::Release);
        Ok(window.len() as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ArrayRing;

    #[test]
    fn writes_across_the_wrap_until_full() {
        let mut ring = ArrayRing::<8>::new(u32::MAX - 1);
        let mut p = Producer::new(u32::MAX - 1);
        assert_eq!(p.write(&mut ring, b"abc"), Ok(3));
        assert_eq!(&ring.data[6..8], b"ab");
        assert_eq!(ring.data[0], b'c');
        assert_eq!(ring.prod, 1);
        assert_eq!(p.free(&ring), Ok(5));
        assert_eq!(p.write(&mut ring, b"0123456789"), Ok(5));
        assert_eq!(p.write(&mut ring, b"z"), Ok(0));
    }

    #[test]
    fn corrupt_cons_writes_nothing() {
        let mut ring = ArrayRing::<8>::new(0);
        ring.cons = 1; // "ahead" of prod: wrapping difference is huge
        let mut p = Producer::new(0);
        assert_eq!(p.write(&mut ring, b"abc"), Err(RingError::Corrupt { prod: 0, cons: 1, size: 8 }));
        assert_eq!((p.counter(), ring.prod, ring.data), (0, 0, [0; 8]));
    }
}
