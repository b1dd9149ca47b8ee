//! Compares the ioctl numbers in this crate with the real headers, by
//! compiling a tiny C program: Linux's `xen/evtchn.h` and `xen/privcmd.h`
//! (linux-libc-dev; privcmd.h needs Xen's `xen/xen.h` from libxen-dev). The
//! EVTCHNOP_status numbers and `struct evtchn_status` are xen-abi's, checked
//! by its own header test. Missing headers skip the test with a printed reason, or fail
//! it with a pointer to `make deps` under `XENBELL_REQUIRE_HEADERS=1`
//! (`make host-test`); a failing compiler always fails.
//!
//! `xen/privcmd.h` includes the kernel-internal `<xen/interface/xen.h>`; a
//! one-line shim maps it to libxen-dev's `<xen/xen.h>`.

use xenbell_dom0::evtchn_dev::*;
use xenbell_dom0::privcmd::IOCTL_PRIVCMD_HYPERCALL;

const HEADERS: [&str; 3] = ["/usr/include/xen/evtchn.h", "/usr/include/xen/privcmd.h", "/usr/include/xen/xen.h"];

const PROGRAM: &str = r#"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <xen/xen.h>
#include <xen/evtchn.h>
#include <xen/privcmd.h>
#define P(x) printf(#x " %lu\n", (unsigned long)(x))
int main(void) {
    P(IOCTL_EVTCHN_BIND_VIRQ); P(IOCTL_EVTCHN_BIND_INTERDOMAIN); P(IOCTL_EVTCHN_BIND_UNBOUND_PORT);
    P(IOCTL_EVTCHN_UNBIND); P(IOCTL_EVTCHN_NOTIFY); P(IOCTL_EVTCHN_RESET); P(IOCTL_EVTCHN_RESTRICT_DOMID);
    P(IOCTL_PRIVCMD_HYPERCALL);
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
    ];
    let Some(real) = real_values() else { return };
    c_probe::assert_matches(&ours, &real);
}
