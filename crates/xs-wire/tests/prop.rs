//! Property tests of the incremental parser and the encoders.
//!
//! - Hostile input: arbitrary bytes in arbitrary chunks never panic and every
//!   `feed` returns (a loop that made no progress would hang the test).
//! - Chunking: a valid stream parses to the same messages whether fed whole,
//!   split at each single position, or cut into arbitrary chunks.
//! - Round trip: every encoded request parses back to its header and payload.
//!
//! Known false pass: the generated streams use only known types, so the
//! error path on a valid-looking but unknown type is covered by unit tests.

use proptest::prelude::*;
use xs_wire::{Header, Message, MsgType, Parser, Request, WireError, HEADER_LEN, PAYLOAD_MAX};

type Parsed = (Vec<(Header, Vec<u8>)>, Option<WireError>);

/// Feeds `chunks` in order; stops at the first error, as a client must.
fn parse_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Parsed {
    let mut parser = Parser::new();
    let mut out = Vec::new();
    for chunk in chunks {
        let r = parser.feed(chunk, |m: Message<'_>| {
            assert_eq!(m.payload.len(), m.header.len as usize);
            assert!(m.payload.len() <= PAYLOAD_MAX);
            out.push((m.header, m.payload.to_vec()));
        });
        if let Err(e) = r {
            return (out, Some(e));
        }
    }
    (out, None)
}

/// Cuts `bytes` at the given (unsorted, possibly out-of-range) positions.
fn split_at_points(bytes: &[u8], points: &[usize]) -> Vec<Vec<u8>> {
    let mut cuts: Vec<usize> = points.iter().map(|p| p % (bytes.len() + 1)).collect();
    cuts.push(0);
    cuts.push(bytes.len());
    cuts.sort_unstable();
    cuts.windows(2).map(|w| bytes[w[0]..w[1]].to_vec()).collect()
}

fn message() -> impl Strategy<Value = (MsgType, u32, u32, Vec<u8>)> {
    let payload = prop_oneof![
        9 => proptest::collection::vec(any::<u8>(), 0..64),
        1 => proptest::collection::vec(any::<u8>(), PAYLOAD_MAX - 4..=PAYLOAD_MAX),
    ];
    (proptest::sample::select(MsgType::ALL.to_vec()), any::<u32>(), any::<u32>(), payload)
}

fn encode(msgs: &[(MsgType, u32, u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (ty, req_id, tx_id, payload) in msgs {
        let h = Header { ty: *ty, req_id: *req_id, tx_id: *tx_id, len: payload.len() as u32 };
        out.extend_from_slice(&h.encode());
        out.extend_from_slice(payload);
    }
    out
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048),
                                   points in proptest::collection::vec(any::<usize>(), 0..16)) {
        let chunks = split_at_points(&bytes, &points);
        let (msgs, err) = parse_chunks(chunks.iter().map(Vec::as_slice));
        // Whatever happened, chunking must not change it.
        prop_assert_eq!((msgs, err), parse_chunks([bytes.as_slice()]));
    }

    #[test]
    fn headers_with_random_fields_are_validated(raw in any::<[u8; HEADER_LEN]>(), tail in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut bytes = raw.to_vec();
        bytes.extend(tail);
        let (_, err) = parse_chunks([bytes.as_slice()]);
        let ty = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
        let len = u32::from_le_bytes([raw[12], raw[13], raw[14], raw[15]]);
        if MsgType::from_u32(ty).is_none() {
            prop_assert_eq!(err, Some(WireError::UnknownType(ty)));
        } else if len as usize > PAYLOAD_MAX {
            prop_assert_eq!(err, Some(WireError::PayloadTooLong(len)));
        }
    }

    #[test]
    fn valid_stream_parses_identically_at_every_split(msgs in proptest::collection::vec(message(), 0..6)) {
        let stream = encode(&msgs);
        let (whole, err) = parse_chunks([stream.as_slice()]);
        prop_assert_eq!(err, None);
        prop_assert_eq!(whole.len(), msgs.len());
        for (got, (ty, req_id, tx_id, payload)) in whole.iter().zip(&msgs) {
            prop_assert_eq!(got.0, Header { ty: *ty, req_id: *req_id, tx_id: *tx_id, len: payload.len() as u32 });
            prop_assert_eq!(&got.1, payload);
        }
        // Every single split position (a ring wrap can fall anywhere).
        for i in 0..=stream.len() {
            let (a, b) = stream.split_at(i);
            prop_assert_eq!(&parse_chunks([a, b]), &(whole.clone(), None), "split at {}", i);
        }
    }

    #[test]
    fn valid_stream_parses_identically_in_any_chunks(msgs in proptest::collection::vec(message(), 0..6),
                                                     points in proptest::collection::vec(any::<usize>(), 0..64)) {
        let stream = encode(&msgs);
        let chunks = split_at_points(&stream, &points);
        prop_assert_eq!(parse_chunks(chunks.iter().map(Vec::as_slice)), parse_chunks([stream.as_slice()]));
    }

    #[test]
    fn requests_round_trip(path in "[a-z/]{1,40}", token in "[a-z0-9]{0,8}",
                           value in proptest::collection::vec(any::<u8>(), 0..128),
                           req_id in any::<u32>(), tx_id in any::<u32>(), domid in any::<u32>()) {
        let requests = [
            (Request::Read { path: &path }, [path.as_bytes(), b"\0"].concat()),
            (Request::Write { path: &path, value: &value }, [path.as_bytes(), b"\0", &value].concat()),
            (Request::Directory { path: &path }, [path.as_bytes(), b"\0"].concat()),
            (Request::Watch { path: &path, token: &token }, [path.as_bytes(), b"\0", token.as_bytes(), b"\0"].concat()),
            (Request::GetDomainPath { domid }, format!("{domid}\0").into_bytes()),
        ];
        for (req, expected) in requests {
            let bytes = req.to_vec(req_id, tx_id).unwrap();
            let mut buf = [0u8; HEADER_LEN + PAYLOAD_MAX];
            let n = req.encode_into(req_id, tx_id, &mut buf).unwrap();
            prop_assert_eq!(&buf[..n], bytes.as_slice());
            let (msgs, err) = parse_chunks([bytes.as_slice()]);
            prop_assert_eq!(err, None);
            prop_assert_eq!(msgs[0].0, Header { ty: req.msg_type(), req_id, tx_id, len: expected.len() as u32 });
            prop_assert_eq!(&msgs[0].1, &expected);
        }
    }
}
