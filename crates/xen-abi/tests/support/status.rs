//! The `evtchn_status` union check: C stores each union member, prints the
//! struct's bytes, and the Rust accessors must decode what C stored.

use xen_abi::evtchn::{EVTCHNSTAT_ipi, EvtchnStatus, PortState};

/// C statements printing byte images of `struct evtchn_status` with each
/// union member set, for the accessor test.
pub const STATUS_SAMPLES: &str = r#"
    {
        struct evtchn_status s;
        const unsigned char *b = (const unsigned char *)&s;
        size_t i;
#define SAMPLE(name, setup) \
        memset(&s, 0, sizeof(s)); setup; printf("sample " name " "); \
        for (i = 0; i < sizeof(s); i++) { printf("%02x", b[i]); } \
        printf("\n");
        SAMPLE("interdomain", s.status = EVTCHNSTAT_interdomain; s.u.interdomain.dom = 0x1234;
               s.u.interdomain.port = 0x89abcdefu);
        SAMPLE("unbound", s.status = EVTCHNSTAT_unbound; s.u.unbound.dom = 0x7ff0);
        SAMPLE("virq", s.status = EVTCHNSTAT_virq; s.u.virq = 0x01020304u);
        SAMPLE("pirq", s.status = EVTCHNSTAT_pirq; s.u.pirq = 0xa0b0c0d0u);
        SAMPLE("header", s.dom = 0xbeef; s.port = 4095; s.status = EVTCHNSTAT_ipi; s.vcpu = 3);
    }
"#;

/// Builds an `EvtchnStatus` from C's bytes at the Rust field offsets and
/// checks the union accessors decode what C stored.
pub fn check_status_samples(samples: &[(String, Vec<u8>)]) {
    use std::mem::offset_of;
    let get = |name: &str| -> EvtchnStatus {
        let b = &samples.iter().find(|(n, _)| n == name).unwrap().1;
        assert_eq!(b.len(), std::mem::size_of::<EvtchnStatus>());
        let u32_at = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().unwrap());
        let u = offset_of!(EvtchnStatus, u);
        EvtchnStatus {
            dom: u16::from_ne_bytes(b[0..2].try_into().unwrap()),
            port: u32_at(offset_of!(EvtchnStatus, port)),
            status: u32_at(offset_of!(EvtchnStatus, status)),
            vcpu: u32_at(offset_of!(EvtchnStatus, vcpu)),
            u: [u32_at(u), u32_at(u + 4)],
        }
    };
    assert_eq!(get("interdomain").state(), PortState::Interdomain { remote: 0x1234, remote_port: 0x89ab_cdef });
    assert_eq!(get("unbound").state(), PortState::Unbound { remote: 0x7ff0 });
    assert_eq!(get("virq").state(), PortState::Virq(0x0102_0304));
    assert_eq!(get("pirq").state(), PortState::Pirq(0xa0b0_c0d0));
    let h = get("header");
    assert_eq!((h.dom, h.port, h.status, h.vcpu), (0xbeef, 4095, EVTCHNSTAT_ipi, 3));
}
