//! Property test: a server and a client endpoint on one page (in one thread),
//! driven by random operations, against a model of two byte queues and the
//! two notify bytes.
//!
//! What: every byte arrives once and in order in each direction, reads and
//! writes move exactly `min(requested, available)` bytes, `data_ready` and
//! `buffer_space` match the model, and `notify` is true exactly when the
//! model says the peer had asked (request bits set by `want_*`/`connect`/
//! server setup, cleared by the matching transfer).
//! False pass: the model shares the notify-bit rules with the code's reading
//! of io.c; a misreading of io.c would be in both (the rules are checked
//! against libxenvchan itself by the interop scenarios).

use std::collections::VecDeque;

use proptest::prelude::*;
use vchan::*;

#[derive(Clone, Debug)]
enum Op {
    Write { client: bool, len: usize },
    Read { client: bool, len: usize },
    WantData { client: bool },
    WantSpace { client: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (any::<bool>(), 0usize..5000).prop_map(|(client, len)| Op::Write { client, len }),
        (any::<bool>(), 0usize..5000).prop_map(|(client, len)| Op::Read { client, len }),
        any::<bool>().prop_map(|client| Op::WantData { client }),
        any::<bool>().prop_map(|client| Op::WantSpace { client }),
    ]
}

fn orders() -> impl Strategy<Value = Orders> {
    (10u16..=14, 10u16..=14).prop_filter_map("client refuses", |(l, r)| Orders::for_server(l, r))
}

/// Backing for an external ring (in Xen: granted pages mapped contiguously).
fn external_ring(order: u16) -> Vec<std::sync::atomic::AtomicU8> {
    (0..1usize << order).map(|_| std::sync::atomic::AtomicU8::new(0)).collect()
}

proptest! {
    #[test]
    fn endpoints_match_the_model(orders in orders(), ops in proptest::collection::vec(op(), 1..200), seed in any::<u8>()) {
        let page = SharedPage::new();
        let grants: Vec<u32> = (0..orders.grant_count() as u32).map(|g| g + 8).collect();
        page.init_server(orders, &grants).unwrap();
        prop_assert_eq!(page.client_orders(), Ok(orders));
        let (lx, rx) = (external_ring(orders.left), external_ring(orders.right));
        let left = page.in_page_ring(orders.left).unwrap_or(&lx);
        let right = page.in_page_ring(orders.right).unwrap_or(&rx);
        let mut srv = Endpoint::new(&page, Role::Server, left, right).unwrap();
        let mut cli = Endpoint::new(&page, Role::Client, left, right).unwrap();
        cli.connect();
        // Model: queues (client→server = left), request bits per side's notify byte.
        let mut q_left: VecDeque<u8> = VecDeque::new();
        let mut q_right: VecDeque<u8> = VecDeque::new();
        let (lsize, rsize) = (1usize << orders.left, 1usize << orders.right);
        let mut cli_notify = VCHAN_NOTIFY_WRITE; // server setup
        let mut srv_notify = VCHAN_NOTIFY_WRITE; // client connect
        let mut next = seed;
        for op in ops {
            match op {
                Op::Write { client, len } => {
                    let data: Vec<u8> = (0..len).map(|_| { next = next.wrapping_add(1); next }).collect();
                    let (ep, q, size, own) = if client {
                        (&mut cli, &mut q_left, lsize, &mut cli_notify)
                    } else {
                        (&mut srv, &mut q_right, rsize, &mut srv_notify)
                    };
                    let n = len.min(size - q.len());
                    let notify = n > 0 && *own & VCHAN_NOTIFY_WRITE != 0;
                    if n > 0 { *own &= !VCHAN_NOTIFY_WRITE; }
                    prop_assert_eq!(ep.write(&data), Ok(Xfer { bytes: n, notify }));
                    q.extend(&data[..n]);
                }
                Op::Read { client, len } => {
                    let (ep, q, own) = if client {
                        (&mut cli, &mut q_right, &mut cli_notify)
                    } else {
                        (&mut srv, &mut q_left, &mut srv_notify)
                    };
                    let n = len.min(q.len());
                    let notify = n > 0 && *own & VCHAN_NOTIFY_READ != 0;
                    if n > 0 { *own &= !VCHAN_NOTIFY_READ; }
                    let mut buf = vec![0u8; len];
                    prop_assert_eq!(ep.read(&mut buf), Ok(Xfer { bytes: n, notify }));
                    let want: Vec<u8> = q.drain(..n).collect();
                    prop_assert_eq!(&buf[..n], &want[..]);
                }
                Op::WantData { client } => {
                    if client {
                        srv_notify |= VCHAN_NOTIFY_WRITE;
                        prop_assert_eq!(cli.want_data(), Ok(q_right.len()));
                    } else {
                        cli_notify |= VCHAN_NOTIFY_WRITE;
                        prop_assert_eq!(srv.want_data(), Ok(q_left.len()));
                    }
                }
                Op::WantSpace { client } => {
                    if client {
                        srv_notify |= VCHAN_NOTIFY_READ;
                        prop_assert_eq!(cli.want_space(), Ok(lsize - q_left.len()));
                    } else {
                        cli_notify |= VCHAN_NOTIFY_READ;
                        prop_assert_eq!(srv.want_space(), Ok(rsize - q_right.len()));
                    }
                }
            }
            prop_assert_eq!(srv.data_ready(), Ok(q_left.len()));
            prop_assert_eq!(cli.data_ready(), Ok(q_right.len()));
            prop_assert_eq!(page.cli_notify.load(std::sync::atomic::Ordering::Relaxed), cli_notify);
            prop_assert_eq!(page.srv_notify.load(std::sync::atomic::Ordering::Relaxed), srv_notify);
        }
    }
}
