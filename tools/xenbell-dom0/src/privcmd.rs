//! `/dev/xen/privcmd` hypercalls, used by `status` and to explain a refused
//! bind, to ask Xen about a port (EVTCHNOP_status): `include/uapi/xen/privcmd.h` and
//! `xen/include/public/event_channel.h`.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, OwnedFd};

use libc::c_ulong;

use crate::channel::OpError;
use crate::ioctl::{ioc_none, ioctl_with_mut};

pub const DEVICE: &str = "/dev/xen/privcmd";

/// `struct privcmd_hypercall`.
#[repr(C)]
pub struct Hypercall {
    pub op: u64,
    pub arg: [u64; 5],
}

pub const IOCTL_PRIVCMD_HYPERCALL: c_ulong = ioc_none::<Hypercall>(b'P', 0);

/// `__HYPERVISOR_event_channel_op`.
pub const HYPERVISOR_EVENT_CHANNEL_OP: u64 = 32;
/// `EVTCHNOP_status`.
pub const EVTCHNOP_STATUS: u64 = 5;

/// `struct evtchn_status` (24 bytes): `dom` u16 @0, `port` @4, `status` @8,
/// `vcpu` @12, union @16 (`unbound.dom` u16 @16; `interdomain.dom` u16 @16,
/// `interdomain.port` @20; `pirq`/`virq` @16).
#[repr(C)]
#[derive(Default)]
pub struct EvtchnStatus {
    pub dom: u16,
    pub port: u32,
    pub status: u32,
    pub vcpu: u32,
    /// The union, as two words: a `domid_t` is the low half of `u[0]` (x86 is
    /// little-endian), a port is `u[1]`, a pirq or virq is `u[0]`.
    pub u: [u32; 2],
}

/// What Xen says a port is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortState {
    Closed,
    /// Allocated, waiting for `remote` to bind it.
    Unbound {
        remote: u16,
    },
    /// Connected to `remote_port` of `remote`.
    Interdomain {
        remote: u16,
        remote_port: u32,
    },
    Pirq(u32),
    Virq(u32),
    Ipi,
    Unknown(u32),
}

impl PortState {
    /// Decodes the status op's output (`EVTCHNSTAT_*`).
    pub fn from_raw(raw: &EvtchnStatus) -> PortState {
        match raw.status {
            0 => PortState::Closed,
            1 => PortState::Unbound { remote: raw.u[0] as u16 },
            2 => PortState::Interdomain { remote: raw.u[0] as u16, remote_port: raw.u[1] },
            3 => PortState::Pirq(raw.u[0]),
            4 => PortState::Virq(raw.u[0]),
            5 => PortState::Ipi,
            other => PortState::Unknown(other),
        }
    }
}

impl fmt::Display for PortState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortState::Closed => f.write_str("closed"),
            PortState::Unbound { remote } => write!(f, "unbound (offered to domain {remote})"),
            PortState::Interdomain { remote, remote_port } => {
                write!(f, "interdomain (connected to domain {remote} port {remote_port})")
            }
            PortState::Pirq(n) => write!(f, "pirq {n}"),
            PortState::Virq(n) => write!(f, "virq {n}"),
            PortState::Ipi => f.write_str("ipi"),
            PortState::Unknown(n) => write!(f, "unknown status {n}"),
        }
    }
}

/// An open `/dev/xen/privcmd`.
pub struct Privcmd {
    fd: OwnedFd,
}

impl Privcmd {
    pub fn open() -> io::Result<Privcmd> {
        let file: File = OpenOptions::new().read(true).write(true).open(DEVICE)?;
        Ok(Privcmd { fd: file.into() })
    }

    /// EVTCHNOP_status for `port` of domain `dom` (dom0 may ask about any).
    pub fn evtchn_status(&self, dom: u16, port: u32) -> Result<PortState, OpError> {
        // On the stack and written here, so the page is present when Xen copies it.
        let mut status = EvtchnStatus { dom, port, ..EvtchnStatus::default() };
        let mut call =
            Hypercall { op: HYPERVISOR_EVENT_CHANNEL_OP, arg: [EVTCHNOP_STATUS, (&raw mut status) as u64, 0, 0, 0] };
        // SAFETY: PRIVCMD_HYPERCALL takes a pointer to `call`; the hypercall
        // reads and writes only `status` (24 bytes, live until the call returns).
        let ret = unsafe { ioctl_with_mut(self.fd.as_fd(), IOCTL_PRIVCMD_HYPERCALL, &mut call) };
        if ret < 0 {
            return Err(OpError::last(format!("EVTCHNOP_status of domain {dom} port {port}")));
        }
        Ok(PortState::from_raw(&status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layout_and_numbers() {
        assert_eq!(IOCTL_PRIVCMD_HYPERCALL, 0x305000);
        assert_eq!(size_of::<EvtchnStatus>(), 24);
        assert_eq!(offset_of!(EvtchnStatus, port), 4);
        assert_eq!(offset_of!(EvtchnStatus, status), 8);
        assert_eq!(offset_of!(EvtchnStatus, u), 16);
    }

    #[test]
    fn decodes_states() {
        let raw = |status, dom: u32, port| EvtchnStatus { status, u: [dom, port], ..Default::default() };
        assert_eq!(PortState::from_raw(&raw(1, 0, 0)), PortState::Unbound { remote: 0 });
        let s = PortState::from_raw(&raw(2, 0, 41));
        assert_eq!(s.to_string(), "interdomain (connected to domain 0 port 41)");
        assert_eq!(PortState::from_raw(&raw(0, 0, 0)).to_string(), "closed");
        assert_eq!(PortState::from_raw(&raw(9, 0, 0)), PortState::Unknown(9));
    }
}
