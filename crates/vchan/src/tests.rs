use super::*;

fn server_page(orders: Orders) -> SharedPage {
    let page = SharedPage::new();
    page.init_server(orders, &[]).unwrap();
    page
}

#[test]
fn server_defaults_match_libxenvchan() {
    assert_eq!(Orders::SERVER_DEFAULT, Orders { left: 10, right: 11 });
    assert_eq!(Orders::for_server(10, 10), Some(Orders { left: 10, right: 11 }));
    assert_eq!(Orders::for_server(11, 10), Some(Orders { left: 11, right: 10 }));
    assert_eq!(Orders::for_server(11, 11), Some(Orders { left: 11, right: 12 }));
    assert_eq!(Orders::for_server(16, 16), Some(Orders { left: 16, right: 16 }));
    assert_eq!(Orders::for_server(10, 20), Some(Orders { left: 11, right: 20 }));
    assert_eq!(Orders::for_server(9, 12), None);
    assert_eq!(Orders::for_server(12, 21), None);
    for l in MIN_ORDER..=MAX_ORDER {
        for r in MIN_ORDER..=MAX_ORDER {
            let o = Orders::for_server(l, r).unwrap();
            assert_eq!(o.check(), Ok(o), "min {l}/{r}");
            assert!(o.left >= l && o.right >= r, "min {l}/{r} got {o:?}");
        }
    }
}

#[test]
fn client_refuses_what_libxenvchan_refuses() {
    let bad = |left, right| Orders { left, right }.check() == Err(VchanError::BadOrders { left, right });
    assert!(bad(10, 10) && bad(11, 11) && bad(9, 11) && bad(10, 21) && bad(0, 0) && bad(u16::MAX, 12));
    // 20/20: 512 grant refs = 2048 bytes after the header: fits (no in-page ring).
    assert_eq!(Orders { left: 20, right: 20 }.check().map(Orders::grant_count), Ok(512));
    // 10 + 20: the 256 refs would run into the ring at 1024.
    assert!(bad(10, 20));
    assert!(Orders { left: 11, right: 20 }.check().is_ok());
}

#[test]
fn init_server_writes_the_setup_values() {
    let page = SharedPage::new();
    page.rest[5].store(0xaa, Ordering::Relaxed);
    let orders = Orders { left: 12, right: 13 };
    assert_eq!(page.init_server(orders, &[7]), Err(VchanError::GrantCount { expected: 3, got: 1 }));
    page.init_server(orders, &[0x1234_5678, 9, 10]).unwrap();
    assert_eq!(page.client_orders(), Ok(orders));
    assert_eq!((page.grant(0), page.grant(1), page.grant(2)), (Some(0x1234_5678), Some(9), Some(10)));
    assert_eq!(page.rest[5].load(Ordering::Relaxed), 0);
    assert_eq!(page.rest[0].load(Ordering::Relaxed), 0x78, "little-endian grant list");
    assert_eq!(page.cli_live.load(Ordering::Relaxed), LIVE_NOT_YET);
    assert_eq!(page.srv_live.load(Ordering::Relaxed), LIVE_CONNECTED);
    assert_eq!(page.cli_notify.load(Ordering::Relaxed), VCHAN_NOTIFY_WRITE);
    assert_eq!(page.grant(1018), None);
    assert!(page.grant(1017).is_some());
}

#[test]
fn in_page_rings_sit_where_the_header_says() {
    let page = SharedPage::new();
    let base = &page as *const SharedPage as usize;
    let small = page.in_page_ring(10).unwrap();
    let large = page.in_page_ring(11).unwrap();
    assert_eq!((small.as_ptr() as usize - base, small.len()), (1024, 1024));
    assert_eq!((large.as_ptr() as usize - base, large.len()), (2048, 2048));
    assert!(page.in_page_ring(12).is_none());
}

#[test]
fn bytes_cross_both_ways_with_notifications() {
    let page = server_page(Orders::SERVER_DEFAULT);
    let (l, r) = (page.in_page_ring(10).unwrap(), page.in_page_ring(11).unwrap());
    let mut srv = Endpoint::new(&page, Role::Server, l, r).unwrap();
    let mut cli = Endpoint::new(&page, Role::Client, l, r).unwrap();
    assert_eq!(srv.peer(), Ok(Live::NotYet));
    cli.connect();
    assert_eq!(srv.peer(), Ok(Live::Connected));
    assert_eq!(cli.peer(), Ok(Live::Connected));
    // The server asked for WRITE at init: the client's write must notify, once.
    assert_eq!(cli.write(b"hello"), Ok(Xfer { bytes: 5, notify: true }));
    assert_eq!(cli.write(b"!"), Ok(Xfer { bytes: 1, notify: false }));
    let mut buf = [0u8; 16];
    // connect() asked the server for WRITE; nobody asked for READ.
    assert_eq!(srv.read(&mut buf), Ok(Xfer { bytes: 6, notify: false }));
    assert_eq!(&buf[..6], b"hello!");
    assert_eq!(srv.write(b"back"), Ok(Xfer { bytes: 4, notify: true }));
    assert_eq!(cli.read(&mut buf), Ok(Xfer { bytes: 4, notify: false }));
    assert_eq!(cli.buffer_space(), Ok(1024));
    assert_eq!(srv.buffer_space(), Ok(2048));
    // Fill the client's ring, ask for READ, a server read notifies.
    assert_eq!(cli.write(&[1; 2000]).map(|x| x.bytes), Ok(1024));
    assert_eq!(cli.want_space(), Ok(0));
    assert_eq!(srv.read(&mut buf), Ok(Xfer { bytes: 16, notify: true }));
    assert_eq!(srv.want_data(), Ok(1008));
    cli.close();
    assert_eq!(srv.peer(), Ok(Live::Exited));
}

#[test]
fn a_hostile_peer_gets_errors_not_reads_past_the_ring() {
    let page = server_page(Orders::SERVER_DEFAULT);
    let (l, r) = (page.in_page_ring(10).unwrap(), page.in_page_ring(11).unwrap());
    let mut srv = Endpoint::new(&page, Role::Server, l, r).unwrap();
    page.left.prod.store(1025, Ordering::Relaxed);
    let mut buf = [0u8; 8];
    let err = VchanError::Corrupt { ring: Ring::Left, prod: 1025, cons: 0, size: 1024 };
    assert_eq!(srv.read(&mut buf), Err(err));
    assert_eq!(srv.data_ready(), Err(err));
    page.right.cons.store(5, Ordering::Relaxed); // cons ahead of our prod 0
    assert!(matches!(srv.write(b"x"), Err(VchanError::Corrupt { ring: Ring::Right, .. })));
    // Our own counters in the page are not read back.
    page.left.prod.store(3, Ordering::Relaxed);
    page.left.cons.store(1000, Ordering::Relaxed);
    assert_eq!(srv.read(&mut buf).map(|x| x.bytes), Ok(3));
    assert_eq!(page.left.cons.load(Ordering::Relaxed), 3);
    page.cli_live.store(7, Ordering::Relaxed);
    assert_eq!(srv.peer(), Err(VchanError::BadLive(7)));
    // Orders scribbled after setup change nothing for an existing endpoint.
    page.left_order.store(20, Ordering::Relaxed);
    page.left.prod.store(3 + 1024, Ordering::Relaxed);
    assert_eq!(srv.read(&mut [0u8; 4096]).map(|x| x.bytes), Ok(1024));
}

#[test]
fn ring_lengths_are_checked() {
    let page = SharedPage::new();
    let r = page.in_page_ring(11).unwrap();
    assert_eq!(Endpoint::new(&page, Role::Server, &r[..1000], r).unwrap_err(), VchanError::BadRingLength(1000));
    assert_eq!(Endpoint::new(&page, Role::Server, &r[..512], r).unwrap_err(), VchanError::BadRingLength(512));
}

#[test]
fn errors_print_their_subject() {
    let e = VchanError::Corrupt { ring: Ring::Left, prod: 9, cons: 0, size: 8 };
    assert_eq!(e.to_string(), "Left ring corrupt: prod 9 - cons 0 > size 8");
}
