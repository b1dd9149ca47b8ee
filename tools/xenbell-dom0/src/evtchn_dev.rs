//! `/dev/xen/evtchn`: Linux's user-space event-channel device
//! (`include/uapi/xen/evtchn.h`, `drivers/xen/evtchn.c`).
//!
//! Bind ioctls return the new local port. When a bound port fires, the driver
//! masks it and queues its number: `read()` yields `u32` ports, and writing a
//! `u32` port back unmasks it (a still-pending event is then re-raised).

use std::fs::{File, OpenOptions};
use std::io;
use std::mem::size_of;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::time::{Duration, Instant};

use libc::c_ulong;

use crate::channel::{EventChannel, OpError};
use crate::ioctl::{ioc, ioc_none, ioctl_no_arg, ioctl_with_mut, IOC_NONE};
use xen_abi::evtchn::PortState;
use xen_abi::Port;

use crate::privcmd::Privcmd;

pub const DEVICE: &str = "/dev/xen/evtchn";

/// `struct ioctl_evtchn_bind_virq`.
#[repr(C)]
pub struct BindVirq {
    pub virq: u32,
}

/// `struct ioctl_evtchn_bind_interdomain`.
#[repr(C)]
pub struct BindInterdomain {
    pub remote_domain: u32,
    pub remote_port: u32,
}

/// `struct ioctl_evtchn_bind_unbound_port`.
#[repr(C)]
pub struct BindUnboundPort {
    pub remote_domain: u32,
}

/// `struct ioctl_evtchn_unbind`.
#[repr(C)]
pub struct Unbind {
    pub port: u32,
}

/// `struct ioctl_evtchn_notify`.
#[repr(C)]
pub struct Notify {
    pub port: u32,
}

/// `struct ioctl_evtchn_restrict_domid` (`domid_t` is a `u16`).
#[repr(C)]
pub struct RestrictDomid {
    pub domid: u16,
}

pub const IOCTL_EVTCHN_BIND_VIRQ: c_ulong = ioc_none::<BindVirq>(b'E', 0);
pub const IOCTL_EVTCHN_BIND_INTERDOMAIN: c_ulong = ioc_none::<BindInterdomain>(b'E', 1);
pub const IOCTL_EVTCHN_BIND_UNBOUND_PORT: c_ulong = ioc_none::<BindUnboundPort>(b'E', 2);
pub const IOCTL_EVTCHN_UNBIND: c_ulong = ioc_none::<Unbind>(b'E', 3);
pub const IOCTL_EVTCHN_NOTIFY: c_ulong = ioc_none::<Notify>(b'E', 4);
pub const IOCTL_EVTCHN_RESET: c_ulong = ioc(IOC_NONE, b'E', 5, 0);
pub const IOCTL_EVTCHN_RESTRICT_DOMID: c_ulong = ioc_none::<RestrictDomid>(b'E', 6);

/// An open `/dev/xen/evtchn`. Closing it unbinds every port it bound.
#[derive(Debug)]
pub struct EvtchnDev {
    fd: OwnedFd,
}

/// A port number from the ioctl's non-negative return value.
fn port(ret: libc::c_int) -> u32 {
    ret as u32
}

impl EvtchnDev {
    /// Opens the device, non-blocking (waits go through `poll`).
    pub fn open() -> io::Result<EvtchnDev> {
        let file: File = OpenOptions::new().read(true).write(true).custom_flags(libc::O_NONBLOCK).open(DEVICE)?;
        Ok(EvtchnDev { fd: file.into() })
    }

    /// `IOCTL_EVTCHN_BIND_INTERDOMAIN`.
    pub fn bind_interdomain(&self, remote_domain: u32, remote_port: u32) -> Result<u32, OpError> {
        let mut arg = BindInterdomain { remote_domain, remote_port };
        // SAFETY: BIND_INTERDOMAIN takes a pointer to this struct and only reads it.
        let ret = unsafe { ioctl_with_mut(self.fd.as_fd(), IOCTL_EVTCHN_BIND_INTERDOMAIN, &mut arg) };
        if ret < 0 {
            return Err(OpError::last(format!(
                "IOCTL_EVTCHN_BIND_INTERDOMAIN(domain {remote_domain}, port {remote_port})"
            )));
        }
        Ok(port(ret))
    }

    /// `IOCTL_EVTCHN_BIND_UNBOUND_PORT`.
    pub fn bind_unbound(&self, remote_domain: u32) -> Result<u32, OpError> {
        let mut arg = BindUnboundPort { remote_domain };
        // SAFETY: BIND_UNBOUND_PORT takes a pointer to this struct and only reads it.
        let ret = unsafe { ioctl_with_mut(self.fd.as_fd(), IOCTL_EVTCHN_BIND_UNBOUND_PORT, &mut arg) };
        if ret < 0 {
            return Err(OpError::last(format!("IOCTL_EVTCHN_BIND_UNBOUND_PORT(domain {remote_domain})")));
        }
        Ok(port(ret))
    }

    /// `IOCTL_EVTCHN_UNBIND`.
    pub fn unbind(&self, port: u32) -> Result<(), OpError> {
        let mut arg = Unbind { port };
        // SAFETY: UNBIND takes a pointer to this struct and only reads it.
        let ret = unsafe { ioctl_with_mut(self.fd.as_fd(), IOCTL_EVTCHN_UNBIND, &mut arg) };
        if ret < 0 {
            return Err(OpError::last(format!("IOCTL_EVTCHN_UNBIND(port {port})")));
        }
        Ok(())
    }

    /// `IOCTL_EVTCHN_NOTIFY`.
    pub fn notify(&self, port: u32) -> Result<(), OpError> {
        let mut arg = Notify { port };
        // SAFETY: NOTIFY takes a pointer to this struct and only reads it.
        let ret = unsafe { ioctl_with_mut(self.fd.as_fd(), IOCTL_EVTCHN_NOTIFY, &mut arg) };
        if ret < 0 {
            return Err(OpError::last(format!("IOCTL_EVTCHN_NOTIFY(port {port})")));
        }
        Ok(())
    }

    /// `IOCTL_EVTCHN_RESET`: unbinds every port of this fd.
    pub fn reset(&self) -> Result<(), OpError> {
        // SAFETY: RESET takes no argument.
        let ret = unsafe { ioctl_no_arg(self.fd.as_fd(), IOCTL_EVTCHN_RESET) };
        if ret < 0 {
            return Err(OpError::last("IOCTL_EVTCHN_RESET"));
        }
        Ok(())
    }

    /// Waits up to `timeout` for a fired port: `poll` for input, then `read`
    /// one `u32`. A wake-up that finds nothing to read (`EAGAIN`) waits again
    /// for the time left.
    pub fn wait(&self, timeout: Duration) -> Result<Option<u32>, OpError> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let ready = crate::poll::readable(self.fd.as_fd(), left);
            if !ready.map_err(|source| OpError { op: "poll /dev/xen/evtchn".into(), source })? {
                return Ok(None);
            }
            let mut port = 0u32;
            // SAFETY: reads at most 4 bytes into `port`, a valid u32 we own.
            let n = unsafe { libc::read(self.fd.as_raw_fd(), (&raw mut port).cast(), size_of::<u32>()) };
            if n == size_of::<u32>() as isize {
                return Ok(Some(port));
            }
            if n >= 0 {
                return Err(OpError {
                    op: "read /dev/xen/evtchn".into(),
                    source: io::Error::from(io::ErrorKind::UnexpectedEof),
                });
            }
            let err = OpError::last("read /dev/xen/evtchn");
            if err.errno() != Some(libc::EAGAIN) {
                return Err(err);
            }
        }
    }

    /// Unmasks `port` by writing it back.
    pub fn unmask(&self, port: u32) -> Result<(), OpError> {
        // SAFETY: writes the 4 bytes of `port`, a valid u32.
        let n = unsafe { libc::write(self.fd.as_raw_fd(), (&raw const port).cast(), size_of::<u32>()) };
        if n != size_of::<u32>() as isize {
            return Err(OpError::last(format!("unmask port {port} (write /dev/xen/evtchn)")));
        }
        Ok(())
    }
}

impl EventChannel for EvtchnDev {
    fn bind_interdomain(&mut self, remote_domain: u32, remote_port: u32) -> Result<u32, OpError> {
        EvtchnDev::bind_interdomain(self, remote_domain, remote_port)
    }
    fn bind_unbound(&mut self, remote_domain: u32) -> Result<u32, OpError> {
        EvtchnDev::bind_unbound(self, remote_domain)
    }
    fn unbind(&mut self, port: u32) -> Result<(), OpError> {
        EvtchnDev::unbind(self, port)
    }
    fn notify(&mut self, port: u32) -> Result<(), OpError> {
        EvtchnDev::notify(self, port)
    }
    fn wait(&mut self, timeout: Duration) -> Result<Option<u32>, OpError> {
        EvtchnDev::wait(self, timeout)
    }
    fn unmask(&mut self, port: u32) -> Result<(), OpError> {
        EvtchnDev::unmask(self, port)
    }
    /// Asks Xen through `/dev/xen/privcmd` (dom0 may ask about any domain's port).
    fn remote_port_state(&mut self, domain: u32, port: u32) -> Option<Result<PortState, OpError>> {
        // Not a domain id or not a port: Xen could say nothing about it.
        let (domain, port) = (u16::try_from(domain).ok()?, Port::new(port).ok()?);
        let privcmd = Privcmd::open().ok()?;
        Some(privcmd.evtchn_status(domain, port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_numbers_match_known_values() {
        assert_eq!(IOCTL_EVTCHN_BIND_VIRQ, 0x44500);
        assert_eq!(IOCTL_EVTCHN_BIND_INTERDOMAIN, 0x84501);
        assert_eq!(IOCTL_EVTCHN_BIND_UNBOUND_PORT, 0x44502);
        assert_eq!(IOCTL_EVTCHN_UNBIND, 0x44503);
        assert_eq!(IOCTL_EVTCHN_NOTIFY, 0x44504);
        assert_eq!(IOCTL_EVTCHN_RESET, 0x4505);
        assert_eq!(IOCTL_EVTCHN_RESTRICT_DOMID, 0x24506);
    }
}
