//! Fuzz target `console_ring`: our side of the PV console's `out` ring (2048
//! bytes, `xen_ring::Producer`) against a hostile console backend.
//!
//! The writer loop mirrors `write_ring` in src/xen/console.rs: write what
//! fits, retry while the ring has space, wait a bounded number of slices when
//! it is full (here 4 polls of `free()` instead of a second of SCHEDOP_poll),
//! then count the rest as dropped; give up on the message when the ring is
//! corrupt. The backend (the fuzzer) acts every time we read its `cons`:
//! consumes honestly, sets `cons` to anything (including one byte too far
//! and "behind" our `prod`), overwrites our `prod` in the page, scribbles on
//! the data. Our starting counter is arbitrary (the kernel adopts whatever
//! `out_prod` it finds), so counters wrap through `u32::MAX`.
//!
//! Invariants checked:
//! - every ring access is inside the 2048-byte array (asserted in the
//!   memory implementation);
//! - each `write`/`free` call keeps its contract (`checked_write`,
//!   `checked_free` in fuzz/src/lib.rs): the peer's counter read once, ours
//!   never read back, corrupt counters (`prod - cons > 2048`) reported as
//!   `RingError::Corrupt` with nothing written, otherwise exactly the bytes
//!   that fit written in order at the masked positions, then `prod` published;
//! - the loop ends: iterations <= message length + waits + 1;
//! - no byte is lost silently: per message, written + dropped + abandoned
//!   (corrupt ring) == offered;
//! - while the backend has been honest, what it consumed is exactly a prefix
//!   of the bytes we wrote, and consumed + still in the ring == all written.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xen_ring::{Producer, RingError, CONSOLE_OUT_SIZE};
use xenbell_fuzz::{checked_free, checked_write, HostileRing, Side, Src};

const SIZE: usize = CONSOLE_OUT_SIZE as usize;
const MAX_WAITS: u32 = 4;

fuzz_target!(|data: &[u8]| {
    let s = Src::new(data);
    let start = match s.u8() % 4 {
        0 => 0,
        1 => u32::MAX - s.below(4096),
        _ => s.u32(),
    };
    let mut ring = HostileRing::<SIZE>::new(&s, Side::WeProduce, start);
    let mut producer = Producer::new(ring.page_prod());
    let mut written: Vec<u8> = Vec::new();
    let mut messages = 0;
    while !s.is_empty() && messages < 64 {
        messages += 1;
        let len = match s.u8() % 8 {
            0 => SIZE + s.below(600) as usize, // longer than the ring
            1 => 0,
            _ => s.below(200) as usize,
        };
        let fill = s.u8();
        let msg: Vec<u8> = (0..len).map(|i| fill.wrapping_add(i as u8)).collect();

        // write_ring
        let (mut rest, mut waited, mut iterations) = (&msg[..], 0u32, 0usize);
        let (mut accepted, mut dropped, mut abandoned) = (0usize, 0usize, 0usize);
        while !rest.is_empty() {
            iterations += 1;
            assert!(iterations <= msg.len() + MAX_WAITS as usize + 1, "write loop does not end");
            let n = match checked_write(&mut producer, &mut ring, rest) {
                Ok(n) => n,
                Err(RingError::Corrupt { .. }) => {
                    abandoned = rest.len();
                    break;
                }
                Err(e) => panic!("unexpected ring error {e:?}"),
            };
            if n > 0 {
                written.extend_from_slice(&rest[..n]);
                accepted += n;
                rest = &rest[n..];
                continue;
            }
            if waited >= MAX_WAITS {
                dropped = rest.len();
                break;
            }
            let _ = checked_free(&producer, &ring);
            waited += 1;
        }
        assert_eq!(accepted + dropped + abandoned, msg.len(), "bytes lost silently");
    }

    if !ring.lied.get() {
        // An honest backend saw exactly our stream, in order.
        let consumed = ring.consumed.borrow().clone();
        assert!(
            consumed.len() <= written.len() && consumed[..] == written[..consumed.len()],
            "the backend read bytes we did not write"
        );
        let in_ring = ring.page_prod().wrapping_sub(ring.page_cons()) as usize;
        assert_eq!(consumed.len() + in_ring, written.len(), "written bytes neither consumed nor in the ring");
        assert_eq!(ring.page_prod(), producer.counter());
    }
});
