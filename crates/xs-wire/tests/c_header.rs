//! Checks the message-type numbers, the header layout and the payload limit
//! against the real `xen/io/xs_wire.h` (libxen-dev) by compiling a tiny C
//! program with the system compiler. Without the header the comparison is
//! skipped with a printed reason, or fails with a pointer to `make deps`
//! under `XENBELL_REQUIRE_HEADERS=1` (`make host-test`); a failing compiler
//! always fails.

use xs_wire::{MsgType, HEADER_LEN, PAYLOAD_MAX};

const HEADER: &str = "/usr/include/xen/io/xs_wire.h";

const PROGRAM: &str = r#"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <xen/io/xs_wire.h>
#define P(x) printf(#x " %lu\n", (unsigned long)(x))
int main(void) {
    P(XS_DIRECTORY); P(XS_READ); P(XS_GET_PERMS); P(XS_WATCH); P(XS_UNWATCH);
    P(XS_TRANSACTION_START); P(XS_TRANSACTION_END); P(XS_GET_DOMAIN_PATH);
    P(XS_WRITE); P(XS_MKDIR); P(XS_RM); P(XS_SET_PERMS); P(XS_WATCH_EVENT);
    P(XS_ERROR); P(XS_RESET_WATCHES); P(XS_DIRECTORY_PART); P(XS_TYPE_COUNT);
    P(sizeof(struct xsd_sockmsg)); P(offsetof(struct xsd_sockmsg, len));
    P(XENSTORE_PAYLOAD_MAX);
    return 0;
}
"#;

fn real_values() -> Option<Vec<(String, u64)>> {
    c_probe::Probe {
        name: "xs-wire",
        headers: &[HEADER],
        packages: "libxen-dev",
        files: &[],
        cc_args: &[],
        program: PROGRAM,
    }
    .values()
}

#[test]
fn matches_xs_wire_h() {
    let ours: &[(&str, u64)] = &[
        ("XS_DIRECTORY", MsgType::Directory.as_u32().into()),
        ("XS_READ", MsgType::Read.as_u32().into()),
        ("XS_GET_PERMS", MsgType::GetPerms.as_u32().into()),
        ("XS_WATCH", MsgType::Watch.as_u32().into()),
        ("XS_UNWATCH", MsgType::Unwatch.as_u32().into()),
        ("XS_TRANSACTION_START", MsgType::TransactionStart.as_u32().into()),
        ("XS_TRANSACTION_END", MsgType::TransactionEnd.as_u32().into()),
        ("XS_GET_DOMAIN_PATH", MsgType::GetDomainPath.as_u32().into()),
        ("XS_WRITE", MsgType::Write.as_u32().into()),
        ("XS_MKDIR", MsgType::Mkdir.as_u32().into()),
        ("XS_RM", MsgType::Rm.as_u32().into()),
        ("XS_SET_PERMS", MsgType::SetPerms.as_u32().into()),
        ("XS_WATCH_EVENT", MsgType::WatchEvent.as_u32().into()),
        ("XS_ERROR", MsgType::Error.as_u32().into()),
        ("XS_RESET_WATCHES", MsgType::ResetWatches.as_u32().into()),
        ("XS_DIRECTORY_PART", MsgType::DirectoryPart.as_u32().into()),
        ("XS_TYPE_COUNT", 23),
        ("sizeof(struct xsd_sockmsg)", HEADER_LEN as u64),
        ("offsetof(struct xsd_sockmsg, len)", 12),
        ("XENSTORE_PAYLOAD_MAX", PAYLOAD_MAX as u64),
    ];
    // Skipped (with a printed reason) where libxen-dev is not installed.
    if let Some(real) = real_values() {
        c_probe::assert_matches(ours, &real);
    }
    // Everything below XS_TYPE_COUNT except the removed XS_RESTRICT (20) is known.
    for t in 0..30u32 {
        assert_eq!(MsgType::from_u32(t).is_some(), t < 23 && t != 20, "type {t}");
    }
}
