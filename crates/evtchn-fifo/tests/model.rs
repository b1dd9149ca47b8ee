//! (a) Model: the consumer against a plain-collections model of the ABI.
//!
//! What: for any sequence of raises, masks, unmasks (the XSA-332 rule, with
//! `EVTCHNOP_unmask` played by `XenFifo` when it says so), priority changes
//! and bounded runs, whose handlers may raise further ports (as a ping-pong
//! answer does), the consumer dispatches exactly the ports, in exactly the
//! order, of the model: 16 FIFO queues of ports, served lowest number
//! (highest priority) first, one entry at a time, re-choosing the queue
//! after every entry; an entry whose port is masked or no longer pending is
//! dropped from its queue without a dispatch; a pending, masked port is
//! queued again when unmasked. The final word bits (PENDING, MASKED)
//! match the model, and a run that stopped on its limit leaves the upcall
//! flag set.
//! How: proptest, 1..40 ports in a 64-word array, Xen's linking played by
//! `XenFifo` (tail cmpxchg, head + ready when the tail was consumed).
//! False passes: the model encodes the same reading of event_fifo.c as
//! `XenFifo`; a misreading shared by both would not show here (the test bed
//! runs the consumer against the real Xen).

use std::collections::VecDeque;

use evtchn_fifo::{mask, unmask, Consumer, Limits, OwnedFifo, Unmask, XenFifo, MASKED, PENDING};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Raise(u32),
    Mask(u32),
    Unmask(u32),
    SetPriority(u32, u8),
    /// Run with this step limit; the handler of `answer.0` raises `answer.1`
    /// the first time it runs in this call.
    Run(u32, Option<(u32, u32)>),
}

fn port() -> impl Strategy<Value = u32> {
    1u32..40
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => port().prop_map(Op::Raise),
        1 => port().prop_map(Op::Mask),
        2 => port().prop_map(Op::Unmask),
        2 => (port(), prop_oneof![Just(0u8), Just(7), Just(15), 0u8..16]).prop_map(|(p, q)| Op::SetPriority(p, q)),
        2 => (1u32..12, proptest::option::of((port(), port()))).prop_map(|(n, a)| Op::Run(n, a)),
    ]
}

struct Model {
    pending: [bool; 64],
    masked: [bool; 64],
    linked: [bool; 64],
    prio: [u8; 64],
    queues: [VecDeque<u32>; 16],
}

impl Model {
    fn new() -> Self {
        Model {
            pending: [false; 64],
            masked: [false; 64],
            linked: [false; 64],
            prio: [7; 64],
            queues: std::array::from_fn(|_| VecDeque::new()),
        }
    }

    fn raise(&mut self, p: u32) {
        let i = p as usize;
        self.pending[i] = true;
        if !self.masked[i] && !self.linked[i] {
            self.linked[i] = true;
            self.queues[self.prio[i] as usize].push_back(p);
        }
    }

    fn unmask(&mut self, p: u32) {
        let i = p as usize;
        if self.masked[i] {
            self.masked[i] = false;
            if self.pending[i] {
                self.raise(p);
            }
        }
    }

    /// Returns (dispatched ports, stopped on the limit with work left).
    fn run(&mut self, limit: u32, answer: Option<(u32, u32)>) -> (Vec<u32>, bool) {
        let mut out = Vec::new();
        let mut answered = false;
        let mut steps = 0;
        while let Some(q) = (0..16).find(|&q| !self.queues[q].is_empty()) {
            if steps == limit {
                return (out, true);
            }
            steps += 1;
            let p = self.queues[q].pop_front().unwrap();
            let i = p as usize;
            self.linked[i] = false;
            if self.pending[i] && !self.masked[i] {
                self.pending[i] = false;
                out.push(p);
                if let Some((from, to)) = answer {
                    if from == p && !answered {
                        answered = true;
                        self.raise(to);
                    }
                }
            }
        }
        (out, false)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn consumer_matches_the_model(ops in proptest::collection::vec(op(), 1..80)) {
        let mem = OwnedFifo::new(64);
        let mut xen = XenFifo::new(64);
        let mut model = Model::new();
        let mut consumer = Consumer::new();
        for op in ops {
            match op {
                Op::Raise(p) => {
                    xen.set_pending(&mem, p);
                    model.raise(p);
                }
                Op::Mask(p) => {
                    mask(mem.word(p));
                    model.masked[p as usize] = true;
                }
                Op::Unmask(p) => {
                    if unmask(mem.word(p)) == Unmask::Hypercall {
                        xen.unmask(&mem, p);
                    }
                    model.unmask(p);
                }
                Op::SetPriority(p, q) => {
                    xen.set_priority(p, q);
                    model.prio[p as usize] = q;
                }
                Op::Run(limit, answer) => {
                    consumer.set_limits(Limits { max_steps: limit });
                    let (want, want_more) = model.run(limit, answer);
                    let mut got = Vec::new();
                    let mut answered = false;
                    let stats = consumer.run(&mem.source(), |p| {
                        got.push(p);
                        if let Some((from, to)) = answer {
                            if from == p && !answered {
                                answered = true;
                                xen.set_pending(&mem, to);
                            }
                        }
                    });
                    prop_assert_eq!(&got, &want);
                    prop_assert_eq!(stats.dispatched as usize, got.len());
                    prop_assert_eq!(stats.more_pending, want_more);
                    // Set when work is left; may also be set by a raise the
                    // run itself already consumed (a spurious upcall, harmless).
                    prop_assert!(mem.upcall() || !want_more);
                    prop_assert_eq!(stats.bad_links, 0);
                }
            }
        }
        // Drain, then compare every word's bits with the model.
        let (want, _) = model.run(u32::MAX, None);
        consumer.set_limits(Limits { max_steps: u32::MAX });
        let mut got = Vec::new();
        consumer.run(&mem.source(), |p| got.push(p));
        prop_assert_eq!(got, want);
        for p in 1..40u32 {
            let w = mem.word(p).load(std::sync::atomic::Ordering::SeqCst);
            prop_assert_eq!(w & PENDING != 0, model.pending[p as usize], "port {} PENDING", p);
            prop_assert_eq!(w & MASKED != 0, model.masked[p as usize], "port {} MASKED", p);
        }
    }
}
