//! Compares the ioctl numbers and struct layouts in this crate with the real
//! headers, by compiling a tiny C program: Linux's `xen/evtchn.h` and
//! `xen/privcmd.h` (linux-libc-dev) and Xen's `xen/event_channel.h`
//! (libxen-dev). Missing headers or compiler fail the test with a pointer to
//! `make deps` instead of passing silently.
//!
//! `xen/privcmd.h` includes the kernel-internal `<xen/interface/xen.h>`; a
//! one-line shim maps it to libxen-dev's `<xen/xen.h>`.

use std::path::Path;
use std::process::Command;

use xenbell_dom0::evtchn::*;
use xenbell_dom0::privcmd::{
    EvtchnStatus, EVTCHNOP_STATUS, HYPERVISOR_EVENT_CHANNEL_OP, IOCTL_PRIVCMD_HYPERCALL,
};

const HEADERS: [&str; 3] = [
    "/usr/include/xen/evtchn.h",
    "/usr/include/xen/privcmd.h",
    "/usr/include/xen/event_channel.h",
];

const PROGRAM: &str = r#"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/evtchn.h>
#include <xen/privcmd.h>
#define P(x) printf(#x " %lu\n", (unsigned long)(x))
int main(void) {
    P(IOCTL_EVTCHN_BIND_VIRQ); P(IOCTL_EVTCHN_BIND_INTERDOMAIN); P(IOCTL_EVTCHN_BIND_UNBOUND_PORT);
    P(IOCTL_EVTCHN_UNBIND); P(IOCTL_EVTCHN_NOTIFY); P(IOCTL_EVTCHN_RESET); P(IOCTL_EVTCHN_RESTRICT_DOMID);
    P(IOCTL_PRIVCMD_HYPERCALL); P(__HYPERVISOR_event_channel_op); P(EVTCHNOP_status);
    P(sizeof(struct evtchn_status)); P(offsetof(struct evtchn_status, status));
    P(offsetof(struct evtchn_status, u.interdomain.dom)); P(offsetof(struct evtchn_status, u.interdomain.port));
    return 0;
}
"#;

fn real_values() -> Vec<(String, u64)> {
    for h in HEADERS {
        assert!(
            Path::new(h).exists(),
            "{h} is missing: run make deps (linux-libc-dev, libxen-dev)"
        );
    }
    let dir = std::env::temp_dir().join(format!("xenbell-dom0-c-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("shim/xen/interface")).unwrap();
    std::fs::write(
        dir.join("shim/xen/interface/xen.h"),
        "#include <xen/xen.h>\n",
    )
    .unwrap();
    let (src, exe) = (dir.join("probe.c"), dir.join("probe"));
    std::fs::write(&src, PROGRAM).unwrap();
    let cc = Command::new("cc")
        .arg("-D__XEN_INTERFACE_VERSION__=__XEN_LATEST_INTERFACE_VERSION__")
        .arg("-I")
        .arg(dir.join("shim"))
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .output();
    let ok = matches!(&cc, Ok(o) if o.status.success());
    assert!(ok, "cc failed on the Xen headers: run make deps\n{cc:?}");
    let out = Command::new(&exe).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k.to_string(), v.parse().unwrap())
        })
        .collect()
}

#[test]
fn ioctls_and_layouts_match_the_headers() {
    let ours: Vec<(&str, u64)> = vec![
        ("IOCTL_EVTCHN_BIND_VIRQ", IOCTL_EVTCHN_BIND_VIRQ),
        (
            "IOCTL_EVTCHN_BIND_INTERDOMAIN",
            IOCTL_EVTCHN_BIND_INTERDOMAIN,
        ),
        (
            "IOCTL_EVTCHN_BIND_UNBOUND_PORT",
            IOCTL_EVTCHN_BIND_UNBOUND_PORT,
        ),
        ("IOCTL_EVTCHN_UNBIND", IOCTL_EVTCHN_UNBIND),
        ("IOCTL_EVTCHN_NOTIFY", IOCTL_EVTCHN_NOTIFY),
        ("IOCTL_EVTCHN_RESET", IOCTL_EVTCHN_RESET),
        ("IOCTL_EVTCHN_RESTRICT_DOMID", IOCTL_EVTCHN_RESTRICT_DOMID),
        ("IOCTL_PRIVCMD_HYPERCALL", IOCTL_PRIVCMD_HYPERCALL),
        ("__HYPERVISOR_event_channel_op", HYPERVISOR_EVENT_CHANNEL_OP),
        ("EVTCHNOP_status", EVTCHNOP_STATUS),
        (
            "sizeof(struct evtchn_status)",
            std::mem::size_of::<EvtchnStatus>() as u64,
        ),
        (
            "offsetof(struct evtchn_status, status)",
            std::mem::offset_of!(EvtchnStatus, status) as u64,
        ),
        (
            "offsetof(struct evtchn_status, u.interdomain.dom)",
            std::mem::offset_of!(EvtchnStatus, u) as u64,
        ),
        (
            "offsetof(struct evtchn_status, u.interdomain.port)",
            std::mem::offset_of!(EvtchnStatus, u) as u64 + 4,
        ),
    ];
    let real = real_values();
    assert_eq!(real.len(), ours.len(), "{real:?}");
    for ((name, value), (real_name, real_value)) in ours.iter().zip(&real) {
        assert_eq!((*name, *value), (real_name.as_str(), *real_value));
    }
}
