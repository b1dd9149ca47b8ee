//! A byte ring inside a page shared with another domain, as xen-ring's
//! `RingMemory`: data bytes by volatile access (the peer writes them behind
//! the compiler's back), counters by atomics with the ordering xen-ring asks
//! for. Indices are masked here too, so no caller can reach outside the page.

use core::sync::atomic::{AtomicU32, Ordering};

use xen_ring::RingMemory;

/// One direction: `SIZE` data bytes at `page + data`, counters at
/// `page + prod` / `page + cons`.
pub struct PageRing<const SIZE: u32> {
    page: usize,
    data: usize,
    prod: usize,
    cons: usize,
}

impl<const SIZE: u32> PageRing<SIZE> {
    /// # Safety
    /// `page` must be a mapped 4 KiB page shared with the peer for the ring's
    /// lifetime; `data..data + SIZE`, `prod` and `cons` (4-byte aligned) must
    /// lie inside it.
    pub const unsafe fn new(page: usize, data: usize, prod: usize, cons: usize) -> Self {
        assert!(data + SIZE as usize <= 4096 && prod + 4 <= 4096 && cons + 4 <= 4096);
        assert!(prod.is_multiple_of(4) && cons.is_multiple_of(4));
        PageRing { page, data, prod, cons }
    }

    fn counter(&self, off: usize) -> &AtomicU32 {
        // SAFETY: new()'s contract: an aligned u32 inside the shared page.
        unsafe { &*((self.page + off) as *const AtomicU32) }
    }

    fn byte(&self, index: usize) -> *mut u8 {
        (self.page + self.data + (index & (SIZE as usize - 1))) as *mut u8
    }
}

impl<const SIZE: u32> RingMemory for PageRing<SIZE> {
    const SIZE: u32 = SIZE;

    fn read_byte(&self, index: usize) -> u8 {
        // SAFETY: masked index inside the data area of the shared page.
        unsafe { core::ptr::read_volatile(self.byte(index)) }
    }

    fn write_byte(&mut self, index: usize, byte: u8) {
        // SAFETY: as read_byte.
        unsafe { core::ptr::write_volatile(self.byte(index), byte) }
    }

    fn load_prod(&self, order: Ordering) -> u32 {
        self.counter(self.prod).load(order)
    }

    fn load_cons(&self, order: Ordering) -> u32 {
        self.counter(self.cons).load(order)
    }

    fn store_prod(&mut self, value: u32, order: Ordering) {
        self.counter(self.prod).store(value, order)
    }

    fn store_cons(&mut self, value: u32, order: Ordering) {
        self.counter(self.cons).store(value, order)
    }
}
