//! The kernel heap: a linked-list allocator over the largest free RAM range of
//! the memory map. Allocation disables interrupts, so an interrupt handler
//! that allocates cannot deadlock against the code it interrupted.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::NonNull;

use linked_list_allocator::Heap;
use spin::Mutex;

pub struct IrqSafeHeap(Mutex<Heap>);

#[global_allocator]
static HEAP: IrqSafeHeap = IrqSafeHeap(Mutex::new(Heap::empty()));

/// Hands `[start, start + size)` to the allocator.
///
/// # Safety
/// The range must be identity-mapped RAM used by nothing else, for ever.
pub unsafe fn init(start: u64, size: u64) {
    crate::arch::without_interrupts(|| {
        // SAFETY: forwarded from the caller.
        unsafe { HEAP.0.lock().init(start as *mut u8, size as usize) }
    });
}

/// (used, free) bytes.
pub fn usage() -> (usize, usize) {
    crate::arch::without_interrupts(|| {
        let h = HEAP.0.lock();
        (h.used(), h.free())
    })
}

// SAFETY: allocate_first_fit/deallocate are given the caller's layout
// unchanged, under the lock, with interrupts disabled.
unsafe impl GlobalAlloc for IrqSafeHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        crate::arch::without_interrupts(|| {
            self.0.lock().allocate_first_fit(layout).map_or(core::ptr::null_mut(), |p| p.as_ptr())
        })
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(ptr) = NonNull::new(ptr) else { return };
        crate::arch::without_interrupts(|| {
            // SAFETY: GlobalAlloc's contract: ptr came from alloc with this layout.
            unsafe { self.0.lock().deallocate(ptr, layout) }
        });
    }
}
