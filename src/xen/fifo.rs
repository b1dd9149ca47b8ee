//! The FIFO event-channel ABI (event_channel.h, Xen >= 4.4): a control
//! block per vCPU, the event array, and the consumer (crate evtchn-fifo).
//!
//! Order (event_channel.h, Xen's event_fifo.c, Linux events_fifo.c):
//! `EVTCHNOP_init_control` for vCPU 0 before any port is bound to it (its
//! first call switches the domain to FIFO with an empty event array), and
//! for each other vCPU before a port is routed to it ([`init_vcpu`]: Xen
//! drops the events of a vCPU without a control block); then
//! one array page, every word MASKED before Xen sees it, with
//! `EVTCHNOP_expand_array`; further pages as ports need them
//! ([`ensure_port`]). Ports bound before the switch (console, xenstore)
//! start MASKED in the new array: their handlers unmask them when bound.
//!
//! Memory shared with Xen here (control block, array pages) is reached only
//! through atomics (`ControlBlock`, `AtomicU32` words); Xen writes it at any
//! time and the consumer treats it as untrusted (see evtchn-fifo).

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use evtchn_fifo::{ControlBlock, EventArray, MASKED};
use xen_abi::evtchn::{
    EvtchnExpandArray, EvtchnInitControl, EvtchnSetPriority, EVTCHN_FIFO_EVENT_WORDS_PER_PAGE, EVTCHN_FIFO_LINK_BITS,
    EVTCHN_FIFO_MAX_EVENT_ARRAY_PAGES,
};
use xen_abi::ops;

use super::{hypercall, XenError};
use crate::arch::smp::MAX_CPUS;

const PAGE: usize = 4096;
type ArrayPage = [AtomicU32; EVTCHN_FIFO_EVENT_WORDS_PER_PAGE];

#[repr(C, align(4096))]
struct Page(UnsafeCell<[u8; PAGE]>);

// SAFETY: once given to Xen the pages are only accessed through atomics.
unsafe impl Sync for Page {}

/// The control blocks, one per vCPU at `vcpu * CONTROL_STRIDE` in one page
/// (Xen maps the page writable for itself once per vCPU; event_fifo.c
/// `map_control_block` takes any 8-aligned offset up to the page's end
/// minus the block's 72 bytes).
static CONTROL: Page = Page(UnsafeCell::new([0; PAGE]));
const CONTROL_STRIDE: usize = PAGE / MAX_CPUS;
const _: () = assert!(CONTROL_STRIDE >= core::mem::size_of::<ControlBlock>() && CONTROL_STRIDE.is_multiple_of(8));
/// vCPUs whose control block Xen has (bit n: vCPU n), for resume.
static INITIALISED: AtomicU64 = AtomicU64::new(0);
/// Array page 0 (ports 0..1024): static, as the heap does not exist yet
/// when the ABI is chosen; later pages come from the heap.
static ARRAY0: Page = Page(UnsafeCell::new([0; PAGE]));

/// Array pages given to Xen, in order; `NR_PAGES` of them are valid.
static PAGES: [AtomicPtr<ArrayPage>; EVTCHN_FIFO_MAX_EVENT_ARRAY_PAGES] =
    [const { AtomicPtr::new(core::ptr::null_mut()) }; EVTCHN_FIFO_MAX_EVENT_ARRAY_PAGES];
static NR_PAGES: AtomicUsize = AtomicUsize::new(0);

/// vCPU `vcpu`'s control block (`vcpu` < MAX_CPUS).
pub fn control_block(vcpu: usize) -> &'static ControlBlock {
    assert!(vcpu < MAX_CPUS, "vcpu {vcpu}: no FIFO control block");
    // SAFETY: CONTROL is 4096-aligned and 4096 bytes; a ControlBlock (72
    // bytes of atomics, align 4) fits at vcpu * CONTROL_STRIDE (checked
    // above); it lives for ever and is only accessed through these atomics.
    unsafe { &*(CONTROL.0.get().cast::<u8>().add(vcpu * CONTROL_STRIDE) as *const ControlBlock) }
}

/// The event array as the consumer sees it: the pages Xen has.
pub struct Array;

impl EventArray for Array {
    fn word(&self, port: u32) -> Option<&AtomicU32> {
        let page = port as usize / EVTCHN_FIFO_EVENT_WORDS_PER_PAGE;
        // Acquire: pairs with the Release in add_page, so the page pointer
        // is complete before it is used.
        if page >= NR_PAGES.load(Ordering::Acquire) {
            return None;
        }
        let p = PAGES[page].load(Ordering::Acquire);
        // SAFETY: pages below NR_PAGES are non-null, page-aligned, never
        // freed, and accessed only through atomics.
        Some(unsafe { &(*p)[port as usize % EVTCHN_FIFO_EVENT_WORDS_PER_PAGE] })
    }
}

/// The word of `port`, if the array reaches it.
pub fn word(port: u32) -> Option<&'static AtomicU32> {
    Array.word(port)
}

fn frame(addr: usize) -> u64 {
    // Identity-mapped kernel: the guest-physical frame is the address >> 12.
    addr as u64 >> 12
}

/// EVTCHNOP_init_control for `vcpu` (its zeroed control block); checks
/// Xen's `link_bits` is 17.
fn init_control(vcpu: usize) -> Result<(), XenError> {
    let cb = control_block(vcpu);
    cb.ready.store(0, Ordering::SeqCst);
    for h in &cb.head {
        h.store(0, Ordering::SeqCst);
    }
    let mut a = EvtchnInitControl {
        control_gfn: frame(CONTROL.0.get() as usize),
        offset: (vcpu * CONTROL_STRIDE) as u32,
        vcpu: vcpu as u32,
        ..Default::default()
    };
    // SAFETY: the frame is CONTROL, a page of ours that Xen may write for
    // ever and that we touch only through atomics.
    unsafe { hypercall::call_raw(ops::EVTCHNOP_init_control, &mut a) }?;
    if u32::from(a.link_bits) != EVTCHN_FIFO_LINK_BITS {
        // The domain is on FIFO now (init_control succeeded): not a refusal to
        // fall back from, so the name does not start with the op's.
        return Err(XenError {
            op: "FIFO link_bits from EVTCHNOP_init_control (not 17)",
            errno: xen_abi::Errno(xen_abi::errno::EINVAL),
        });
    }
    INITIALISED.fetch_or(1 << vcpu, Ordering::Relaxed);
    Ok(())
}

/// EVTCHNOP_init_control for another vCPU, once the domain is on FIFO:
/// before any port is routed to it (its timer, its IPIs). Nothing if it
/// has its control block in this domain already (e.g. re-initialised by
/// [`resume`] while the vCPU was down).
pub fn init_vcpu(vcpu: usize) -> Result<(), XenError> {
    if INITIALISED.load(Ordering::Relaxed) & (1 << vcpu) != 0 {
        return Ok(());
    }
    init_control(vcpu)
}

/// Masks every word of `page` and gives it to Xen as the next array page.
fn add_page(page: *mut ArrayPage) -> Result<(), XenError> {
    let n = NR_PAGES.load(Ordering::Relaxed);
    if n >= EVTCHN_FIFO_MAX_EVENT_ARRAY_PAGES {
        return Err(XenError {
            op: "EVTCHNOP_expand_array (128 pages)",
            errno: xen_abi::Errno(xen_abi::errno::ENOSPC),
        });
    }
    // SAFETY: `page` is a page-aligned page of ours, not yet Xen's.
    for w in unsafe { &*page } {
        // Every port masked before Xen can link any (Linux init_array_page).
        w.store(MASKED, Ordering::SeqCst);
    }
    let mut a = EvtchnExpandArray { array_gfn: frame(page as usize) };
    // SAFETY: the frame is a page of ours that stays allocated for ever and
    // is accessed only through atomics from now on.
    unsafe { hypercall::call_raw(ops::EVTCHNOP_expand_array, &mut a) }?;
    PAGES[n].store(page, Ordering::Release);
    NR_PAGES.store(n + 1, Ordering::Release);
    Ok(())
}

/// Switches the domain to FIFO: init_control for vCPU 0, then array page 0.
/// On error nothing changed if init_control failed (the domain is still
/// 2-level); an expand_array failure after it leaves a FIFO domain with no
/// array, which the caller treats as fatal.
pub fn init() -> Result<(), XenError> {
    init_control(0)?;
    NR_PAGES.store(0, Ordering::SeqCst);
    add_page(ARRAY0.0.get().cast())
}

/// In a new domain after restore or migration (which starts 2-level): the
/// same switch again, re-using the pages we had (Linux evtchn_fifo_resume).
/// Every vCPU that had a control block gets it again.
pub fn resume() -> Result<(), XenError> {
    let had = NR_PAGES.swap(0, Ordering::SeqCst).max(1);
    let vcpus = INITIALISED.swap(0, Ordering::Relaxed) | 1;
    init_control(0)?;
    for (i, slot) in PAGES.iter().enumerate().take(had) {
        let p = if i == 0 { ARRAY0.0.get().cast() } else { slot.load(Ordering::Relaxed) };
        add_page(p)?;
    }
    for vcpu in (1..MAX_CPUS).filter(|v| vcpus & (1 << v) != 0) {
        init_control(vcpu)?;
    }
    Ok(())
}

/// Ports the array reaches now.
pub fn ports() -> usize {
    NR_PAGES.load(Ordering::Acquire) * EVTCHN_FIFO_EVENT_WORDS_PER_PAGE
}

/// Adds array pages (from the heap) until `port` has a word. Main loop only
/// (it allocates and makes hypercalls). A raise on `port` before this is
/// kept by Xen and delivered once the page is added (event_fifo.c).
pub fn ensure_port(port: u32) -> Result<(), XenError> {
    while port as usize >= ports() {
        let layout = core::alloc::Layout::from_size_align(PAGE, PAGE).expect("page layout");
        // SAFETY: a non-zero-sized layout.
        let page = unsafe { alloc::alloc::alloc_zeroed(layout) }.cast::<ArrayPage>();
        if page.is_null() {
            return Err(XenError {
                op: "EVTCHNOP_expand_array (no memory for a page)",
                errno: xen_abi::Errno(xen_abi::errno::ENOMEM),
            });
        }
        add_page(page)?;
    }
    Ok(())
}

/// EVTCHNOP_set_priority: `priority` 0 (highest) ..= 15 (lowest), default 7;
/// applies to the port's next raise (event_fifo.c). EINVAL above 15.
pub fn set_priority(port: u32, priority: u32) -> Result<(), XenError> {
    hypercall::call(ops::EVTCHNOP_set_priority, &mut EvtchnSetPriority { port, priority }).map(|_| ())
}
