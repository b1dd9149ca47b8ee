//! (c) Edges: priorities, the work bound, and a hostile event array.
//!
//! What: a high-priority event raised while a low-priority queue is being
//! walked is served next (preemption); a run stops after `max_steps`
//! entries and the next run continues where it stopped (FIFO kept); link
//! cycles, links and heads beyond the array, port 0 as a head and garbage
//! `ready` bits end in bounded work without dispatching a port that is not
//! pending and unmasked.
//! How: `OwnedFifo` + `XenFifo`, and hand-written words for hostile states.
//! False passes: each test asserts the exact dispatch sequence or counts.

use std::sync::atomic::Ordering;

use evtchn_fifo::{Consumer, Delivery, Limits, OwnedFifo, XenFifo, LINKED, PENDING};

#[test]
fn a_high_priority_event_preempts_a_low_priority_queue() {
    let mem = OwnedFifo::new(64);
    let mut xen = XenFifo::new(64);
    xen.set_priority(50, 0);
    for p in 1..=10 {
        xen.set_priority(p, 15);
        xen.set_pending(&mem, p);
    }
    let mut order = Vec::new();
    Consumer::new().run(&mem.source(), |p| {
        order.push(p);
        if p == 3 {
            xen.set_pending(&mem, 50);
        }
    });
    assert_eq!(order, [1, 2, 3, 50, 4, 5, 6, 7, 8, 9, 10]);
}

#[test]
fn the_work_bound_carries_the_rest_to_the_next_run_in_order() {
    let mem = OwnedFifo::new(64);
    let mut xen = XenFifo::new(64);
    for p in 1..=10 {
        xen.set_pending(&mem, p);
    }
    let mut c = Consumer::with_limits(Limits { max_steps: 4 });
    let mut order = Vec::new();
    let mut reraised = 0;
    let s = c.upcall(&mem.source(), Delivery::Edge, || reraised += 1, |p| order.push(p));
    assert!(s.more_pending && mem.upcall());
    assert_eq!((order.as_slice(), reraised), (&[1, 2, 3, 4][..], 1));
    // Raised meanwhile: behind the queue's tail.
    xen.set_pending(&mem, 20);
    while mem.upcall() {
        c.run(&mem.source(), |p| order.push(p));
    }
    assert_eq!(order, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20]);
}

#[test]
fn a_link_cycle_ends_at_the_work_bound() {
    let mem = OwnedFifo::new(8);
    // 1 -> 2 -> 1 ..., each relinked by a hostile writer: the consumer
    // clears LINKED each time, so re-arm the words from the handler.
    mem.word(1).store(PENDING | LINKED | 2, Ordering::SeqCst);
    mem.word(2).store(PENDING | LINKED | 1, Ordering::SeqCst);
    mem.cb.head[3].store(1, Ordering::SeqCst);
    mem.cb.ready.store(1 << 3, Ordering::SeqCst);
    let mut c = Consumer::with_limits(Limits { max_steps: 100 });
    let mut n = 0;
    let s = c.run(&mem.source(), |p| {
        n += 1;
        let next = if p == 1 { 2 } else { 1 };
        mem.word(p).store(PENDING | LINKED | next, Ordering::SeqCst);
    });
    assert_eq!((s.steps, s.dispatched, n), (100, 100, 100));
    assert!(s.more_pending);
}

#[test]
fn heads_and_links_outside_the_array_end_the_queue() {
    let mem = OwnedFifo::new(8);
    mem.word(5).store(PENDING | LINKED | 0x1_ffff, Ordering::SeqCst);
    mem.cb.head[0].store(5, Ordering::SeqCst);
    mem.cb.head[1].store(9999, Ordering::SeqCst);
    mem.cb.head[2].store(0, Ordering::SeqCst);
    mem.cb.ready.store(0xffff_ffff, Ordering::SeqCst);
    let mut got = Vec::new();
    let s = Consumer::new().run(&mem.source(), |p| got.push(p));
    assert_eq!(got, [5]);
    // Queue 0: 5, then the link 0x1ffff (bad); queues 1..15: bad heads.
    assert_eq!((s.bad_links, s.steps, s.more_pending), (16, 17, false));
}
