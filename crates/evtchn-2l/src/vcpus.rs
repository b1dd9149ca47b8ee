//! [`OwnedVcpus`]: the 2-level bitmaps of a guest with several vCPUs, in
//! ordinary memory, plus an emulation of Xen's side and of the guest's
//! port-moving protocol, for host tests and benchmarks.
//!
//! Shared by all vCPUs: `shared_info.evtchn_pending` and `evtchn_mask`.
//! Per vCPU: `vcpu_info.evtchn_pending_sel` and `evtchn_upcall_pending`, and
//! the guest's bitmap of the ports bound to that vCPU (Linux
//! `drivers/xen/events/events_2l.c` `cpu_evtchn_mask`). Per port: Xen's
//! notify vCPU (`struct evtchn.notify_vcpu_id`, xen/include/xen/sched.h),
//! which `EVTCHNOP_bind_vcpu` changes.

use core::sync::atomic::{AtomicU64, AtomicU8, Ordering};

use xen_abi::evtchn::{BITS_PER_WORD, NR_EVENT_CHANNELS, NR_WORDS};

use crate::{Raise, SharedBitmaps};

/// The event bitmaps of a guest with `N` vCPUs (`1 <= N <= 255`).
/// [`OwnedVcpus::source`] gives vCPU `k`'s decoder view; the `xen_*`
/// methods play the hypervisor, the `guest_*` methods the kernel's side of
/// masking, unmasking and moving a port.
///
/// All methods take `&self` and may run on different threads; every access
/// is a SeqCst atomic, like Xen's locked bit operations. Moves and unmasks of
/// one port must not overlap each other (the kernel serializes them per
/// port); they may overlap anything else.
#[derive(Debug)]
pub struct OwnedVcpus<const N: usize> {
    pending: [AtomicU64; NR_WORDS],
    mask: [AtomicU64; NR_WORDS],
    sel: [AtomicU64; N],
    upcall: [AtomicU8; N],
    /// Guest side: per vCPU, the ports bound to it.
    owned: [[AtomicU64; NR_WORDS]; N],
    /// Xen side: per port, the vCPU it notifies.
    notify: [AtomicU8; NR_EVENT_CHANNELS],
}

fn split(port: u32) -> (usize, u64) {
    let port = port as usize;
    assert!(port < NR_EVENT_CHANNELS, "port {port}: beyond the 2-level ABI's {NR_EVENT_CHANNELS} ports");
    (port / BITS_PER_WORD, 1u64 << (port % BITS_PER_WORD))
}

impl<const N: usize> OwnedVcpus<N> {
    /// Nothing pending, nothing masked, every selector and upcall flag
    /// clear; every port notifies vCPU 0 and is bound to vCPU 0 on the guest
    /// side too (Xen's default for interdomain and unbound ports and global
    /// VIRQs: `notify_vcpu_id = 0` at allocation, xen/common/event_channel.c).
    ///
    /// Panics if `N` is 0 or above 255.
    pub fn new() -> Self {
        assert!(N >= 1 && N <= u8::MAX as usize, "OwnedVcpus: {N} vCPUs, want 1..=255");
        let vcpus = OwnedVcpus {
            pending: [const { AtomicU64::new(0) }; NR_WORDS],
            mask: [const { AtomicU64::new(0) }; NR_WORDS],
            sel: [const { AtomicU64::new(0) }; N],
            upcall: [const { AtomicU8::new(0) }; N],
            owned: [const { [const { AtomicU64::new(0) }; NR_WORDS] }; N],
            notify: [const { AtomicU8::new(0) }; NR_EVENT_CHANNELS],
        };
        for w in &vcpus.owned[0] {
            w.store(!0, Ordering::SeqCst);
        }
        vcpus
    }

    /// vCPU `vcpu`'s decoder view: the shared bitmaps, its selector and
    /// upcall flag, and its owned-ports bitmap (it dispatches only the ports
    /// bound to it). Panics if `vcpu >= N`.
    pub fn source(&self, vcpu: usize) -> SharedBitmaps<'_> {
        self.source_all_ports(vcpu).with_owned(&self.owned[vcpu])
    }

    /// vCPU `vcpu`'s view without the owned-ports bitmap: it dispatches every
    /// pending, unmasked port of the words its selector names, also ports
    /// bound to other vCPUs. Only for showing why [`source`](Self::source)
    /// restricts the scan. Panics if `vcpu >= N`.
    pub fn source_all_ports(&self, vcpu: usize) -> SharedBitmaps<'_> {
        SharedBitmaps::new(&self.pending, &self.mask, &self.sel[vcpu], &self.upcall[vcpu])
    }

    /// The vCPU Xen notifies for `port` (`notify_vcpu_id`).
    pub fn notify_vcpu(&self, port: u32) -> usize {
        split(port);
        usize::from(self.notify[port as usize].load(Ordering::SeqCst))
    }

    /// Xen raising `port` (`evtchn_port_set_pending(d, chn->notify_vcpu_id,
    /// chn)`, xen/common/event_channel.c): reads the notify vCPU once, then
    /// [`xen_set_pending_on`](Self::xen_set_pending_on) that vCPU. Returns
    /// the vCPU and what the raise did.
    pub fn xen_set_pending(&self, port: u32) -> (usize, Raise) {
        let vcpu = self.notify_vcpu(port);
        (vcpu, self.xen_set_pending_on(port, vcpu))
    }

    /// Xen's `evtchn_2l_set_pending(v, evtchn)` (xen/common/event_2l.c) with
    /// `v` = vCPU `vcpu`: test-and-set the shared pending bit; if it was
    /// clear and the port is not masked, test-and-set bit `port / 64` of
    /// `vcpu`'s selector; if that was clear, set `vcpu`'s upcall flag
    /// (`vcpu_mark_events_pending`). Taking the vCPU as an argument allows
    /// replaying a raise that read the notify vCPU before a concurrent
    /// `EVTCHNOP_bind_vcpu` changed it. Panics if `vcpu >= N`.
    pub fn xen_set_pending_on(&self, port: u32, vcpu: usize) -> Raise {
        let (word, bit) = split(port);
        if self.pending[word].fetch_or(bit, Ordering::SeqCst) & bit != 0 {
            return Raise::Coalesced;
        }
        if self.mask[word].load(Ordering::SeqCst) & bit != 0 {
            return Raise::Masked;
        }
        Raise::Raised { upcall: self.raise_word(vcpu, word) }
    }

    /// Xen's `EVTCHNOP_unmask` (`evtchn_2l_unmask`, xen/common/event_2l.c):
    /// test-and-clear the mask bit; if it was set and the port is pending,
    /// test-and-set the selector bit of the port's notify vCPU and, if that
    /// was clear, its upcall flag. Returns that vCPU and whether this
    /// changed its upcall flag from 0 to 1 (see [`Raise`]).
    pub fn xen_unmask(&self, port: u32) -> (usize, bool) {
        let (word, bit) = split(port);
        let vcpu = self.notify_vcpu(port);
        let upcall = self.mask[word].fetch_and(!bit, Ordering::SeqCst) & bit != 0
            && self.pending[word].load(Ordering::SeqCst) & bit != 0
            && self.raise_word(vcpu, word);
        (vcpu, upcall)
    }

    /// Xen's `EVTCHNOP_bind_vcpu` (`evtchn_bind_vcpu`,
    /// xen/common/event_channel.c) for an interdomain/unbound port or a
    /// global VIRQ: sets the port's notify vCPU, nothing else (pending, mask
    /// and selectors are left alone). Panics if `vcpu >= N` (Xen: -ENOENT).
    pub fn xen_bind_vcpu(&self, port: u32, vcpu: usize) {
        split(port);
        assert!(vcpu < N, "port {port}: bind to vCPU {vcpu}, but there are {N}");
        self.notify[port as usize].store(vcpu as u8, Ordering::SeqCst);
    }

    fn raise_word(&self, vcpu: usize, word: usize) -> bool {
        let sel_bit = 1u64 << word;
        if self.sel[vcpu].fetch_or(sel_bit, Ordering::SeqCst) & sel_bit != 0 {
            return false;
        }
        // vcpu_mark_events_pending: test-and-set, injects only on 0->1.
        self.upcall[vcpu].swap(1, Ordering::SeqCst) == 0
    }

    /// Guest masking `port` (atomic OR into the shared mask). True if it was
    /// masked already.
    pub fn guest_mask(&self, port: u32) -> bool {
        let (word, bit) = split(port);
        self.mask[word].fetch_or(bit, Ordering::SeqCst) & bit != 0
    }

    /// The kernel's 2-level unmask (src/xen/events.rs `unmask`): if `port` is
    /// pending, leave the mask set and call [`xen_unmask`](Self::xen_unmask)
    /// (which re-raises on the notify vCPU, also when that is another vCPU);
    /// else clear the mask bit locally and look at pending again: if Xen set
    /// it in between (and so saw the mask and raised nothing), set the mask
    /// again and call `xen_unmask`. Returns whether the hypercall was made.
    pub fn guest_unmask(&self, port: u32) -> bool {
        let (word, bit) = split(port);
        if self.pending[word].load(Ordering::SeqCst) & bit == 0 {
            self.mask[word].fetch_and(!bit, Ordering::SeqCst);
            if self.pending[word].load(Ordering::SeqCst) & bit == 0 {
                return false;
            }
            self.mask[word].fetch_or(bit, Ordering::SeqCst);
        }
        self.xen_unmask(port);
        true
    }

    /// The vCPU whose owned-ports bitmap has `port` (the first one, if a
    /// bug set it in several), or None (in the middle of a move, or never
    /// bound).
    pub fn owner(&self, port: u32) -> Option<usize> {
        let (word, bit) = split(port);
        (0..N).find(|&v| self.owned[v][word].load(Ordering::SeqCst) & bit != 0)
    }

    /// Moves `port` to vCPU `to` as Linux does (`events_base.c`
    /// `xen_rebind_evtchn_to_cpu`, `events_2l.c` `evtchn_2l_bind_to_cpu`):
    /// [`guest_mask`](Self::guest_mask), [`xen_bind_vcpu`](Self::xen_bind_vcpu),
    /// [`guest_disown`](Self::guest_disown), [`guest_own`](Self::guest_own),
    /// then [`guest_unmask`](Self::guest_unmask) unless it was masked before.
    /// While it is masked no decoder starts dispatching it, and the unmask
    /// re-raises a pending event on the new vCPU. Panics if `to >= N`.
    pub fn guest_move(&self, port: u32, to: usize) {
        let was_masked = self.guest_mask(port);
        self.xen_bind_vcpu(port, to);
        self.guest_disown(port);
        self.guest_own(port, to);
        if !was_masked {
            self.guest_unmask(port);
        }
    }

    /// Guest: clears `port` in every vCPU's owned bitmap (first half of an
    /// owner change; Linux clears the old CPU's bit first).
    pub fn guest_disown(&self, port: u32) {
        let (word, bit) = split(port);
        for owned in &self.owned {
            owned[word].fetch_and(!bit, Ordering::SeqCst);
        }
    }

    /// Guest: sets `port` in vCPU `vcpu`'s owned bitmap. Panics if `vcpu >= N`.
    pub fn guest_own(&self, port: u32, vcpu: usize) {
        let (word, bit) = split(port);
        self.owned[vcpu][word].fetch_or(bit, Ordering::SeqCst);
    }

    /// Is `port`'s pending bit set?
    pub fn is_pending(&self, port: u32) -> bool {
        let (word, bit) = split(port);
        self.pending[word].load(Ordering::SeqCst) & bit != 0
    }

    /// Is `port`'s mask bit set?
    pub fn is_masked(&self, port: u32) -> bool {
        let (word, bit) = split(port);
        self.mask[word].load(Ordering::SeqCst) & bit != 0
    }

    /// vCPU `vcpu`'s selector.
    pub fn pending_sel(&self, vcpu: usize) -> u64 {
        self.sel[vcpu].load(Ordering::SeqCst)
    }

    /// vCPU `vcpu`'s upcall flag.
    pub fn upcall(&self, vcpu: usize) -> bool {
        self.upcall[vcpu].load(Ordering::SeqCst) != 0
    }

    /// Lowest vCPU whose upcall flag is set.
    pub fn any_upcall(&self) -> Option<usize> {
        (0..N).find(|&v| self.upcall(v))
    }
}

impl<const N: usize> Default for OwnedVcpus<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raise_goes_to_the_notify_vcpu_only() {
        let x = OwnedVcpus::<2>::new();
        x.xen_bind_vcpu(70, 1);
        assert_eq!(x.xen_set_pending(70), (1, Raise::Raised { upcall: true }));
        assert_eq!((x.pending_sel(0), x.upcall(0)), (0, false));
        assert_eq!((x.pending_sel(1), x.upcall(1)), (1 << 1, true));
        assert_eq!(x.xen_set_pending(70), (1, Raise::Coalesced));
        assert_eq!(x.xen_set_pending(71), (0, Raise::Raised { upcall: true }));
        assert_eq!((x.pending_sel(0), x.upcall(0)), (1 << 1, true));
    }

    #[test]
    fn masked_raise_then_unmask_raises_on_the_new_notify_vcpu() {
        let x = OwnedVcpus::<3>::new();
        assert!(!x.guest_mask(5));
        assert_eq!(x.xen_set_pending(5), (0, Raise::Masked));
        assert_eq!(x.any_upcall(), None);
        x.xen_bind_vcpu(5, 2);
        assert_eq!(x.xen_unmask(5), (2, true));
        assert_eq!((x.pending_sel(2), x.upcall(2), x.is_masked(5)), (1, true, false));
        assert_eq!((x.pending_sel(0), x.upcall(0)), (0, false));
        // Not masked any more: a second unmask raises nothing.
        assert_eq!(x.xen_unmask(5), (2, false));
    }

    #[test]
    fn guest_unmask_takes_the_hypercall_only_when_pending() {
        let x = OwnedVcpus::<2>::new();
        x.guest_mask(9);
        assert!(!x.guest_unmask(9));
        assert!(!x.is_masked(9));
        x.guest_mask(9);
        x.xen_set_pending(9);
        assert!(x.guest_unmask(9));
        assert!(!x.is_masked(9));
        assert!(x.upcall(0));
    }

    #[test]
    fn move_updates_notify_and_owner_and_restores_the_mask() {
        let x = OwnedVcpus::<2>::new();
        assert_eq!((x.owner(3), x.notify_vcpu(3)), (Some(0), 0));
        x.guest_move(3, 1);
        assert_eq!((x.owner(3), x.notify_vcpu(3), x.is_masked(3)), (Some(1), 1, false));
        x.guest_disown(3);
        assert_eq!(x.owner(3), None);
        x.guest_own(3, 1);
        x.guest_mask(3);
        x.guest_move(3, 0);
        assert_eq!((x.owner(3), x.notify_vcpu(3), x.is_masked(3)), (Some(0), 0, true));
    }
}
