//! Checks the header layout and the notify constants against the real
//! `xen/io/libxenvchan.h` (libxen-dev) by compiling a tiny C program. Without
//! the header the comparison is skipped with a printed reason, or fails under
//! `XENBELL_REQUIRE_HEADERS=1` (`make host-test`).

use std::mem::{offset_of, size_of};

use vchan::*;

const HEADER: &str = "/usr/include/xen/io/libxenvchan.h";

const PROGRAM: &str = r#"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <xen/io/libxenvchan.h>
#define P(x) printf(#x " %lu\n", (unsigned long)(x))
#define O(f) printf("offset " #f " %lu\n", (unsigned long)offsetof(struct vchan_interface, f))
int main(void) {
    P(VCHAN_NOTIFY_WRITE); P(VCHAN_NOTIFY_READ);
    P(sizeof(struct vchan_interface)); P(sizeof(struct ring_shared));
    O(left.cons); O(left.prod); O(right.cons); O(right.prod); O(left_order); O(right_order);
    O(cli_live); O(srv_live); O(cli_notify); O(srv_notify); O(grants);
    return 0;
}
"#;

#[test]
fn matches_libxenvchan_h() {
    let ours: Vec<(&str, u64)> = vec![
        ("VCHAN_NOTIFY_WRITE", VCHAN_NOTIFY_WRITE.into()),
        ("VCHAN_NOTIFY_READ", VCHAN_NOTIFY_READ.into()),
        ("sizeof(struct vchan_interface)", HEADER_SIZE as u64),
        ("sizeof(struct ring_shared)", size_of::<RingShared>() as u64),
        ("offset left.cons", (offset_of!(SharedPage, left) + offset_of!(RingShared, cons)) as u64),
        ("offset left.prod", (offset_of!(SharedPage, left) + offset_of!(RingShared, prod)) as u64),
        ("offset right.cons", (offset_of!(SharedPage, right) + offset_of!(RingShared, cons)) as u64),
        ("offset right.prod", (offset_of!(SharedPage, right) + offset_of!(RingShared, prod)) as u64),
        ("offset left_order", offset_of!(SharedPage, left_order) as u64),
        ("offset right_order", offset_of!(SharedPage, right_order) as u64),
        ("offset cli_live", offset_of!(SharedPage, cli_live) as u64),
        ("offset srv_live", offset_of!(SharedPage, srv_live) as u64),
        ("offset cli_notify", offset_of!(SharedPage, cli_notify) as u64),
        ("offset srv_notify", offset_of!(SharedPage, srv_notify) as u64),
        ("offset grants", offset_of!(SharedPage, rest) as u64),
    ];
    let Some(real) = c_probe::Probe {
        name: "vchan",
        headers: &[HEADER],
        packages: "libxen-dev",
        files: &[],
        cc_args: &[],
        program: PROGRAM,
    }
    .values() else {
        return;
    };
    c_probe::assert_matches(&ours, &real);
}
