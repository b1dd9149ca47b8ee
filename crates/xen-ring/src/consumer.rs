//! The reading side of a ring: owns `cons`, trusts nothing about `prod`.

use core::sync::atomic::Ordering;

use crate::{readable, RingError, RingMemory};

/// Our private consumer counter. The copy in the shared page is written, never
/// read back, so the peer cannot move it under us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Consumer {
    cons: u32,
}

impl Consumer {
    /// Starts consuming at counter value `cons` (read once at connect time).
    pub const fn new(cons: u32) -> Consumer {
        Consumer { cons }
    }

    /// Our counter.
    pub fn counter(&self) -> u32 {
        self.cons
    }

    /// Bytes ready to read now (reads the peer's `prod` once, Acquire).
    pub fn available<M: RingMemory>(&self, mem: &M) -> Result<u32, RingError> {
        let prod = mem.load_prod(Ordering::Acquire);
        Ok(readable(self.cons, prod, M::SIZE)?.len())
    }

    /// Reads up to `dst.len()` bytes; returns how many (0 if the ring is
    /// empty). On `Err` nothing was read and `cons` is unchanged.
    pub fn read<M: RingMemory>(&mut self, mem: &mut M, dst: &mut [u8]) -> Result<usize, RingError> {
        const { assert!(M::SIZE.is_power_of_two()) };
        // Acquire: the data reads below must not see bytes older than this
        // `prod` announces (pairs with the writer's Release store of `prod`).
        let prod = mem.load_prod(Ordering::Acquire);
        let window = readable(self.cons, prod, M::SIZE)?.take(dst.len());
        let [first, second] = window.spans();
        let (head, tail) = dst.split_at_mut(first.len());
        mem.read_bytes(first.start, head);
        mem.read_bytes(second.start, &mut tail[..second.len()]);
        self.cons = self.cons.wrapping_add(window.len());
        // Release: our data reads complete before the peer can see the space
        // freed and overwrite it.
        mem.store_cons(self.cons, Ordering::Release);
        Ok(window.len() as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ArrayRing;

    #[test]
    fn reads_across_the_wrap() {
        let mut ring = ArrayRing::<8>::new(6);
        ring.data = *b"cdefghab";
        ring.prod = 6 + 8;
        let mut c = Consumer::new(6);
        let mut out = [0u8; 5];
        assert_eq!(c.read(&mut ring, &mut out), Ok(5));
        assert_eq!(&out, b"abcde");
        assert_eq!((c.counter(), ring.cons), (11, 11));
        assert_eq!(c.available(&ring), Ok(3));
        assert_eq!(c.read(&mut ring, &mut out), Ok(3));
        assert_eq!(&out[..3], b"fgh");
        assert_eq!(c.read(&mut ring, &mut out), Ok(0));
    }

    #[test]
    fn corrupt_prod_reads_nothing() {
        let mut ring = ArrayRing::<8>::new(0);
        ring.prod = 9;
        let mut c = Consumer::new(0);
        let mut out = [0u8; 16];
        assert_eq!(c.read(&mut ring, &mut out), Err(RingError::Corrupt { prod: 9, cons: 0, size: 8 }));
        assert_eq!((c.counter(), ring.cons), (0, 0));
    }

    #[test]
    fn a_peer_moving_our_counter_is_ignored() {
        let mut ring = ArrayRing::<8>::new(0);
        ring.data[0] = b'x';
        ring.prod = 1;
        ring.cons = 1000; // the peer scribbles on our counter
        let mut c = Consumer::new(0);
        let mut out = [0u8; 4];
        assert_eq!(c.read(&mut ring, &mut out), Ok(1));
        assert_eq!((out[0], ring.cons), (b'x', 1));
    }
}
