//! Compares the ioctl numbers in this crate with the real headers, by
//! compiling a tiny C program: Linux's `xen/evtchn.h`, `xen/privcmd.h` and
//! `xen/gntdev.h` (ioctl numbers, struct layouts, unmap-notify flags)
//! (linux-libc-dev; privcmd.h needs Xen's `xen/xen.h` from libxen-dev). The
//! EVTCHNOP_status numbers and `struct evtchn_status` are xen-abi's, checked
//! by its own header test. Missing headers skip the test with a printed reason, or fail
//! it with a pointer to `make deps` under `XENBELL_REQUIRE_HEADERS=1`
//! (`make host-test`); a failing compiler always fails.
//!
//! `xen/privcmd.h` includes the kernel-internal `<xen/interface/xen.h>`; a
//! one-line shim maps it to libxen-dev's `<xen/xen.h>`.

use std::mem::{offset_of, size_of};
use xenbell_dom0::evtchn_dev::*;

use xenbell_dom0::gntdev::*;
use xenbell_dom0::privcmd::IOCTL_PRIVCMD_HYPERCALL;

const HEADERS: [&str; 4] =
    ["/usr/include/xen/evtchn.h", "/usr/include/xen/privcmd.h", "/usr/include/xen/xen.h", "/usr/include/xen/gntdev.h"];

const PROGRAM: &str = r#"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <xen/xen.h>
#include <xen/evtchn.h>
#include <xen/privcmd.h>
#include <xen/grant_table.h> /* grant_ref_t, which gntdev.h uses */
#include <xen/gntdev.h>
#define P(x) printf(#x " %lu\n", (unsigned long)(x))
int main(void) {
    P(IOCTL_EVTCHN_BIND_VIRQ); P(IOCTL_EVTCHN_BIND_INTERDOMAIN); P(IOCTL_EVTCHN_BIND_UNBOUND_PORT);
    P(IOCTL_EVTCHN_UNBIND); P(IOCTL_EVTCHN_NOTIFY); P(IOCTL_EVTCHN_RESET); P(IOCTL_EVTCHN_RESTRICT_DOMID);
    P(IOCTL_PRIVCMD_HYPERCALL);
    P(IOCTL_GNTDEV_MAP_GRANT_REF); P(IOCTL_GNTDEV_UNMAP_GRANT_REF); P(IOCTL_GNTDEV_SET_UNMAP_NOTIFY);
    P(UNMAP_NOTIFY_CLEAR_BYTE); P(UNMAP_NOTIFY_SEND_EVENT);
    P(sizeof(struct ioctl_gntdev_grant_ref)); P(sizeof(struct ioctl_gntdev_map_grant_ref));
    P(offsetof(struct ioctl_gntdev_map_grant_ref, index)); P(offsetof(struct ioctl_gntdev_map_grant_ref, refs));
    P(sizeof(struct ioctl_gntdev_unmap_grant_ref)); P(offsetof(struct ioctl_gntdev_unmap_grant_ref, count));
    P(sizeof(struct ioctl_gntdev_unmap_notify)); P(offsetof(struct ioctl_gntdev_unmap_notify, action));
    P(offsetof(struct ioctl_gntdev_unmap_notify, event_channel_port));
    return 0;
}
"#;

fn real_values() -> Option<Vec<(String, u64)>> {
    c_probe::Probe {
        name: "xenbell-dom0",
        headers: &HEADERS,
        packages: "linux-libc-dev, libxen-dev",
        files: &[("xen/interface/xen.h", "#include <xen/xen.h>\n")],
        cc_args: &["-D__XEN_INTERFACE_VERSION__=__XEN_LATEST_INTERFACE_VERSION__"],
        program: PROGRAM,
    }
    .values()
}

#[test]
fn ioctls_and_layouts_match_the_headers() {
    let ours: Vec<(&str, u64)> = vec![
        ("IOCTL_EVTCHN_BIND_VIRQ", IOCTL_EVTCHN_BIND_VIRQ),
        ("IOCTL_EVTCHN_BIND_INTERDOMAIN", IOCTL_EVTCHN_BIND_INTERDOMAIN),
        ("IOCTL_EVTCHN_BIND_UNBOUND_PORT", IOCTL_EVTCHN_BIND_UNBOUND_PORT),
        ("IOCTL_EVTCHN_UNBIND", IOCTL_EVTCHN_UNBIND),
        ("IOCTL_EVTCHN_NOTIFY", IOCTL_EVTCHN_NOTIFY),
        ("IOCTL_EVTCHN_RESET", IOCTL_EVTCHN_RESET),
        ("IOCTL_EVTCHN_RESTRICT_DOMID", IOCTL_EVTCHN_RESTRICT_DOMID),
        ("IOCTL_PRIVCMD_HYPERCALL", IOCTL_PRIVCMD_HYPERCALL),
        ("IOCTL_GNTDEV_MAP_GRANT_REF", IOCTL_GNTDEV_MAP_GRANT_REF),
        ("IOCTL_GNTDEV_UNMAP_GRANT_REF", IOCTL_GNTDEV_UNMAP_GRANT_REF),
        ("IOCTL_GNTDEV_SET_UNMAP_NOTIFY", IOCTL_GNTDEV_SET_UNMAP_NOTIFY),
        ("UNMAP_NOTIFY_CLEAR_BYTE", UNMAP_NOTIFY_CLEAR_BYTE.into()),
        ("UNMAP_NOTIFY_SEND_EVENT", UNMAP_NOTIFY_SEND_EVENT.into()),
        ("sizeof(struct ioctl_gntdev_grant_ref)", size_of::<GrantRefArg>() as u64),
        ("sizeof(struct ioctl_gntdev_map_grant_ref)", size_of::<MapGrantRef>() as u64),
        ("offsetof(struct ioctl_gntdev_map_grant_ref, index)", offset_of!(MapGrantRef, index) as u64),
        ("offsetof(struct ioctl_gntdev_map_grant_ref, refs)", offset_of!(MapGrantRef, refs) as u64),
        ("sizeof(struct ioctl_gntdev_unmap_grant_ref)", size_of::<UnmapGrantRef>() as u64),
        ("offsetof(struct ioctl_gntdev_unmap_grant_ref, count)", offset_of!(UnmapGrantRef, count) as u64),
        ("sizeof(struct ioctl_gntdev_unmap_notify)", size_of::<UnmapNotify>() as u64),
        ("offsetof(struct ioctl_gntdev_unmap_notify, action)", offset_of!(UnmapNotify, action) as u64),
        (
            "offsetof(struct ioctl_gntdev_unmap_notify, event_channel_port)",
            offset_of!(UnmapNotify, event_channel_port) as u64,
        ),
    ];
    let Some(real) = real_values() else { return };
    c_probe::assert_matches(&ours, &real);
}
