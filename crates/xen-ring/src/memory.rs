//! How the ring code touches memory: one small trait, implemented with
//! volatile/atomic accesses on a shared page by the kernel and with a plain
//! struct ([`ArrayRing`]) by tests and host tools.

use core::sync::atomic::Ordering;

/// One direction of a ring: a data array of `SIZE` bytes plus the `prod` and
/// `cons` counters. The ring code passes only indices `< SIZE`; an
/// implementation on raw pointers should still mask them (`& (SIZE - 1)`) so
/// its safety never depends on its caller.
///
/// Counter accesses take the `Ordering` the protocol needs at that step (see
/// the crate docs); an implementation over shared memory must honour it, for
/// example with `AtomicU32::from_ptr(p).load(order)`.
pub trait RingMemory {
    /// Size of the data array; a power of two (checked at compile time).
    const SIZE: u32;

    /// Reads data byte `index` (`index < SIZE`).
    fn read_byte(&self, index: usize) -> u8;

    /// Writes data byte `index` (`index < SIZE`).
    fn write_byte(&mut self, index: usize, byte: u8);

    /// Loads the producer counter.
    fn load_prod(&self, order: Ordering) -> u32;

    /// Loads the consumer counter.
    fn load_cons(&self, order: Ordering) -> u32;

    /// Stores the producer counter.
    fn store_prod(&mut self, value: u32, order: Ordering);

    /// Stores the consumer counter.
    fn store_cons(&mut self, value: u32, order: Ordering);

    /// Copies data bytes `start..start + dst.len()` (within `0..SIZE`) out.
    /// Override for a faster copy.
    fn read_bytes(&self, start: usize, dst: &mut [u8]) {
        for (i, byte) in dst.iter_mut().enumerate() {
            *byte = self.read_byte(start + i);
        }
    }

    /// Copies `src` to data bytes `start..start + src.len()` (within `0..SIZE`).
    /// Override for a faster copy.
    fn write_bytes(&mut self, start: usize, src: &[u8]) {
        for (i, &byte) in src.iter().enumerate() {
            self.write_byte(start + i, byte);
        }
    }
}

/// A ring in ordinary memory, for tests and host-side simulation. Orderings
/// are moot: access goes through `&mut`, so there is no concurrent peer.
#[derive(Clone, Debug)]
pub struct ArrayRing<const N: usize> {
    pub data: [u8; N],
    pub prod: u32,
    pub cons: u32,
}

impl<const N: usize> ArrayRing<N> {
    /// An empty ring with both counters at `start`.
    pub const fn new(start: u32) -> Self {
        ArrayRing { data: [0; N], prod: start, cons: start }
    }
}

impl<const N: usize> RingMemory for ArrayRing<N> {
    const SIZE: u32 = N as u32;

    fn read_byte(&self, index: usize) -> u8 {
        self.data[index]
    }

    fn write_byte(&mut self, index: usize, byte: u8) {
        self.data[index] = byte;
    }

    fn load_prod(&self, _: Ordering) -> u32 {
        self.prod
    }

    fn load_cons(&self, _: Ordering) -> u32 {
        self.cons
    }

    fn store_prod(&mut self, value: u32, _: Ordering) {
        self.prod = value;
    }

    fn store_cons(&mut self, value: u32, _: Ordering) {
        self.cons = value;
    }

    fn read_bytes(&self, start: usize, dst: &mut [u8]) {
        dst.copy_from_slice(&self.data[start..start + dst.len()]);
    }

    fn write_bytes(&mut self, start: usize, src: &[u8]) {
        self.data[start..start + src.len()].copy_from_slice(src);
    }
}
