//! `/dev/xen/privcmd` hypercalls, used by `status` and to explain a refused
//! bind, to ask Xen about a port (EVTCHNOP_status): `include/uapi/xen/privcmd.h`.
//! The hypercall's numbers, argument struct and the decoding of its answer
//! are `xen-abi`'s (`xen/include/public/event_channel.h`), shared with the
//! kernel and checked against the headers there.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, OwnedFd};

use libc::c_ulong;
use xen_abi::evtchn::{EVTCHNOP_status, EvtchnStatus, PortState};
use xen_abi::hypercall::HYPERVISOR_event_channel_op;
use xen_abi::xen::DomId;
use xen_abi::Port;

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
    pub fn evtchn_status(&self, dom: DomId, port: Port) -> Result<PortState, OpError> {
        // On the stack and written here, so the page is present when Xen copies it.
        let mut status = EvtchnStatus::query(dom, port.get());
        let mut call = Hypercall {
            op: HYPERVISOR_event_channel_op.into(),
            arg: [EVTCHNOP_status.into(), (&raw mut status) as u64, 0, 0, 0],
        };
        // SAFETY: PRIVCMD_HYPERCALL takes a pointer to `call`; the hypercall
        // reads and writes only `status` (24 bytes, live until the call returns).
        let ret = unsafe { ioctl_with_mut(self.fd.as_fd(), IOCTL_PRIVCMD_HYPERCALL, &mut call) };
        if ret < 0 {
            return Err(OpError::last(format!("EVTCHNOP_status of domain {dom} port {port}")));
        }
        Ok(status.state())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_number() {
        assert_eq!(IOCTL_PRIVCMD_HYPERCALL, 0x305000);
    }
}
