//! (e) The two ways Xen delivers the upcall, and a decoder that stops on its
//! budget with work left.
//!
//! A vCPU is modelled as: Xen raises ports (`xen_set_pending`); the vCPU
//! takes the upcall while one is due and runs [`Decoder::upcall`]. What
//! "due" means is the delivery:
//! - level (callback vector): while `evtchn_upcall_pending` is set;
//! - edge (per-vCPU LAPIC vector): once per injection, and Xen injects only
//!   when it changes the flag from 0 to 1 (`Raise::Raised { upcall: true }`),
//!   or when the guest's re-raise hook (a self-IPI) requests it.
//!
//! The budget is 2 events per call, so three ports need a second call. With
//! edge delivery the flag left set by the decoder's requeue raises nothing,
//! and it also swallows every later 0->1 change: without the re-raise, the
//! third port and every later one stay pending for good.
//!
//! False passes: the model's vCPU takes every due upcall at once; a real one
//! takes it after the EOI and `iret`. The order does not matter here: the
//! check is only that every event is dispatched exactly once.

use std::cell::Cell;

use evtchn_2l::{Decoder, Delivery, Limits, OwnedBitmaps, Raise};

struct Vcpu {
    bm: OwnedBitmaps,
    dec: Decoder,
    delivery: Delivery,
    /// Edge: an injection (or self-IPI) is waiting in the IRR.
    irr: Cell<bool>,
    reraises: Cell<u32>,
    got: Vec<u32>,
}

impl Vcpu {
    fn new(delivery: Delivery) -> Self {
        Vcpu {
            bm: OwnedBitmaps::new(),
            dec: Decoder::with_limits(Limits { max_passes: 8, max_events: 2 }),
            delivery,
            irr: Cell::new(false),
            reraises: Cell::new(0),
            got: vec![],
        }
    }

    fn xen_raise(&self, port: u32) {
        if self.bm.xen_set_pending(port) == (Raise::Raised { upcall: true }) {
            self.irr.set(true);
        }
    }

    /// Takes upcalls while one is due (bounded, so a bug cannot hang the test).
    fn take_upcalls(&mut self) {
        for _ in 0..100 {
            let due = match self.delivery {
                Delivery::Level => self.bm.upcall(),
                Delivery::Edge => self.irr.replace(false),
            };
            if !due {
                return;
            }
            let (irr, reraises, got) = (&self.irr, &self.reraises, &mut self.got);
            self.dec.upcall(
                &self.bm.source(),
                self.delivery,
                || {
                    reraises.set(reraises.get() + 1);
                    irr.set(true);
                },
                |p| got.push(p),
            );
        }
        panic!("upcalls still due after 100 deliveries");
    }
}

#[test]
fn edge_delivery_reraises_what_the_budget_left() {
    let mut v = Vcpu::new(Delivery::Edge);
    for p in [5, 6, 7] {
        v.xen_raise(p);
    }
    v.take_upcalls();
    assert_eq!(v.got, [5, 6, 7], "the port past the budget was not dispatched");
    assert_eq!(v.reraises.get(), 1);
    // Nothing left behind that would swallow the next injection.
    assert!(!v.bm.upcall());
    v.xen_raise(8);
    v.take_upcalls();
    assert_eq!(v.got, [5, 6, 7, 8], "a later event was not delivered");
}

#[test]
fn edge_delivery_budget_exhausted_many_times() {
    let mut v = Vcpu::new(Delivery::Edge);
    let ports: Vec<u32> = (1..40).map(|i| i * 97 % 4096).collect();
    for &p in &ports {
        v.xen_raise(p);
    }
    v.take_upcalls();
    let mut got = v.got.clone();
    got.sort_unstable();
    let mut want = ports.clone();
    want.sort_unstable();
    assert_eq!(got, want);
    assert!(ports.iter().all(|&p| !v.bm.is_pending(p)));
}

#[test]
fn level_delivery_needs_no_reraise() {
    let mut v = Vcpu::new(Delivery::Level);
    for p in [5, 6, 7] {
        v.xen_raise(p);
    }
    v.take_upcalls();
    assert_eq!(v.got, [5, 6, 7]);
    assert_eq!(v.reraises.get(), 0, "Xen re-injects a level upcall itself");
    v.xen_raise(8);
    v.take_upcalls();
    assert_eq!(v.got, [5, 6, 7, 8]);
}
