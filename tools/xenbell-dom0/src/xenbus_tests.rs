use super::*;
use crate::fakes::FakeStore;

fn xs() -> Xenbus<FakeStore> {
    Xenbus::new(FakeStore::new().with_domain(0, "Domain-0").with_domain(7, "xenbell"))
}

#[test]
fn read_write_rm_directory() {
    let mut xs = xs();
    assert_eq!(xs.read("/local/domain/7/name").unwrap(), b"xenbell");
    assert_eq!(xs.read_opt("/local/domain/7/nope").unwrap(), None);
    assert!(matches!(xs.read("/nope"), Err(XenbusError::Store(XsError::ENOENT))));
    xs.write("/local/domain/7/data/xenbell/port", b"5").unwrap();
    assert_eq!(xs.read_text("/local/domain/7/data/xenbell/port").unwrap().as_deref(), Some("5"));
    assert_eq!(xs.directory("/local/domain").unwrap(), ["0", "7"]);
    xs.mkdir("/tool/x").unwrap();
    assert_eq!(xs.read("/tool/x").unwrap(), b"");
    xs.rm("/local/domain/7").unwrap();
    assert_eq!(xs.directory("/local/domain").unwrap(), ["0"]);
    assert_eq!(xs.get_domain_path(7).unwrap(), "/local/domain/7");
}

#[test]
fn relative_paths_and_req_ids() {
    let mut xs = xs();
    xs.transport_mut().own_domid = 7;
    assert_eq!(xs.read_text("name").unwrap().as_deref(), Some("xenbell"));
    xs.read_opt("nope").unwrap();
    assert_eq!(xs.transport_mut().req_ids, [1, 2]);
}

#[test]
fn skips_watch_events_and_reassembles_chunks() {
    let mut xs = xs();
    for chunk in [1, 3, 16, 17, 4096] {
        xs.transport_mut().chunk = chunk;
        xs.transport_mut().inject(MsgType::WatchEvent, b"/local/domain/7\0tok\0");
        assert_eq!(xs.read("/local/domain/7/name").unwrap(), b"xenbell", "chunk {chunk}");
    }
}

#[test]
fn timeouts_and_broken_streams() {
    let mut xs = xs();
    xs.transport_mut().silent = true;
    let e = xs.read("/local/domain/7/name").unwrap_err();
    assert_eq!(e.to_string(), "xenstored did not answer");
    let mut xs = self::xs();
    // A header announcing 5000 bytes: the client stops, it does not wait for them.
    let mut bad = xs_wire::Header { ty: MsgType::Read, req_id: 1, tx_id: 0, len: 0 }.encode();
    bad[12..].copy_from_slice(&5000u32.to_le_bytes());
    xs.transport_mut().inject_bytes(&bad);
    assert!(matches!(xs.read("x"), Err(XenbusError::Wire(WireError::PayloadTooLong(5000)))));
    // Broken for good: later requests fail at once, naming the first cause.
    let e = xs.read("x").unwrap_err();
    assert!(matches!(e, XenbusError::Broken(_)), "{e:?}");
    assert!(e.to_string().contains("5000 payload bytes"), "{e}");
}

/// Review finding L5: a reply that comes after its request timed out was
/// taken as the answer to the next request of the same type.
#[test]
fn late_reply_is_not_the_next_answer() {
    let mut xs = xs();
    xs.transport_mut().holding = true;
    let e = xs.read("/local/domain/7/name").unwrap_err();
    assert_eq!(e.to_string(), "xenstored did not answer");
    xs.transport_mut().holding = false;
    // The late "xenbell" comes first; domain 0's read must get its own reply.
    assert_eq!(xs.read("/local/domain/0/name").unwrap(), b"Domain-0");
    assert_eq!(xs.client().late_replies(), 1);
    // A reply to an id never used is ignored too.
    xs.transport_mut().inject_reply(MsgType::Read, 999, b"stray");
    assert_eq!(xs.read("/local/domain/7/name").unwrap(), b"xenbell");
}

#[test]
fn wrong_reply_type_is_an_error() {
    let mut xs = xs();
    // A WRITE-type reply to the READ's id (1).
    xs.transport_mut().inject_reply(MsgType::Write, 1, b"OK\0");
    assert!(matches!(xs.read("/local/domain/7/name"), Err(XenbusError::Unexpected(MsgType::Write))));
}

#[test]
fn requests_that_cannot_be_encoded() {
    let mut xs = xs();
    assert!(matches!(xs.read("a\0b"), Err(XenbusError::Wire(WireError::EmbeddedNul))));
    assert!(matches!(xs.write("p", &[0; 5000]), Err(XenbusError::Wire(WireError::RequestTooLong(_)))));
}
