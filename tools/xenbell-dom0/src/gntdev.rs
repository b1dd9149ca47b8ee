//! `/dev/xen/gntdev`: Linux's device for mapping other domains' grants into
//! this process (`include/uapi/xen/gntdev.h`, `drivers/xen/gntdev.c`).
//!
//! `IOCTL_GNTDEV_MAP_GRANT_REF` reserves `count` grants and returns an
//! offset (`index`); `mmap` of the device at that offset maps them (read-only
//! if the mapping is `PROT_READ` only); `munmap` then
//! `IOCTL_GNTDEV_UNMAP_GRANT_REF` releases them. `IOCTL_GNTDEV_SET_UNMAP_NOTIFY`
//! makes the driver clear one byte of the mapping and/or send an event when
//! it is unmapped, also when the process dies: libxenvchan's client uses it on
//! `cli_live`, which is how the server notices a killed client.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::AtomicU8;

use libc::c_ulong;

use crate::channel::OpError;
use crate::ioctl::{ioc_none, ioctl_with_mut};

pub const DEVICE: &str = "/dev/xen/gntdev";
const PAGE: usize = 4096;

/// `struct ioctl_gntdev_grant_ref` (gntdev.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct GrantRefArg {
    pub domid: u32,
    pub r#ref: u32,
}

/// `struct ioctl_gntdev_map_grant_ref` (gntdev.h) with one ref: the size
/// the ioctl number encodes. More refs follow it in memory ([`MapMany`]).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct MapGrantRef {
    pub count: u32,
    pub pad: u32,
    pub index: u64,
    pub refs: [GrantRefArg; 1],
}

/// `struct ioctl_gntdev_unmap_grant_ref` (gntdev.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct UnmapGrantRef {
    pub index: u64,
    pub count: u32,
    pub pad: u32,
}

/// `struct ioctl_gntdev_unmap_notify` (gntdev.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct UnmapNotify {
    pub index: u64,
    pub action: u32,
    pub event_channel_port: u32,
}

/// `UNMAP_NOTIFY_CLEAR_BYTE` (gntdev.h): clear the byte at `index`.
pub const UNMAP_NOTIFY_CLEAR_BYTE: u32 = 0x1;
/// `UNMAP_NOTIFY_SEND_EVENT` (gntdev.h): send an event on the port.
pub const UNMAP_NOTIFY_SEND_EVENT: u32 = 0x2;

pub const IOCTL_GNTDEV_MAP_GRANT_REF: c_ulong = ioc_none::<MapGrantRef>(b'G', 0);
pub const IOCTL_GNTDEV_UNMAP_GRANT_REF: c_ulong = ioc_none::<UnmapGrantRef>(b'G', 1);
pub const IOCTL_GNTDEV_SET_UNMAP_NOTIFY: c_ulong = ioc_none::<UnmapNotify>(b'G', 7);

/// The map ioctl's argument for up to 257 refs (a 1 MiB ring plus the page).
#[repr(C)]
struct MapMany {
    head: MapGrantRef,
    more: [GrantRefArg; 256],
}

/// An open `/dev/xen/gntdev`.
#[derive(Debug)]
pub struct Gntdev {
    fd: OwnedFd,
}

/// Grants of one domain mapped contiguously into this process.
#[derive(Debug)]
pub struct Mapping<'a> {
    dev: &'a Gntdev,
    addr: NonNull<u8>,
    len: usize,
    index: u64,
}

impl Gntdev {
    pub fn open() -> io::Result<Gntdev> {
        let file: File = OpenOptions::new().read(true).write(true).open(DEVICE)?;
        Ok(Gntdev { fd: file.into() })
    }

    /// Maps `refs` of domain `domid`, contiguously, writable or read-only.
    pub fn map(&self, domid: u32, refs: &[u32], writable: bool) -> Result<Mapping<'_>, OpError> {
        let op =
            || format!("IOCTL_GNTDEV_MAP_GRANT_REF(domain {domid}, {} refs, first {:?})", refs.len(), refs.first());
        if refs.is_empty() || refs.len() > 257 {
            return Err(OpError { op: op(), source: io::Error::from(io::ErrorKind::InvalidInput) });
        }
        let mut arg = MapMany {
            head: MapGrantRef { count: refs.len() as u32, ..Default::default() },
            more: [GrantRefArg::default(); 256],
        };
        for (i, &r) in refs.iter().enumerate() {
            let slot = if i == 0 { &mut arg.head.refs[0] } else { &mut arg.more[i - 1] };
            *slot = GrantRefArg { domid, r#ref: r };
        }
        // SAFETY: MAP_GRANT_REF reads the header and `count` refs laid out
        // right after it (MapMany is repr(C) with no padding between the
        // one-element array and `more`, both of 8-byte GrantRefArg), and
        // writes `index`; the buffer holds 257 refs.
        if unsafe { ioctl_with_mut(self.fd.as_fd(), IOCTL_GNTDEV_MAP_GRANT_REF, &mut arg.head) } < 0 {
            return Err(OpError::last(op()));
        }
        let index = arg.head.index;
        let len = refs.len() * PAGE;
        let prot = if writable { libc::PROT_READ | libc::PROT_WRITE } else { libc::PROT_READ };
        // SAFETY: a fresh shared mapping of the device at the offset the
        // driver just returned; no existing memory is affected.
        let p =
            unsafe { libc::mmap(std::ptr::null_mut(), len, prot, libc::MAP_SHARED, self.fd.as_raw_fd(), index as i64) };
        if p == libc::MAP_FAILED {
            let e = OpError::last(format!("mmap {DEVICE} (domain {domid}, {} refs)", refs.len()));
            self.unmap_refs(index, refs.len() as u32);
            return Err(e);
        }
        let addr = NonNull::new(p.cast()).expect("mmap returned NULL without MAP_FIXED");
        Ok(Mapping { dev: self, addr, len, index })
    }

    fn unmap_refs(&self, index: u64, count: u32) {
        let mut arg = UnmapGrantRef { index, count, pad: 0 };
        // SAFETY: UNMAP_GRANT_REF reads this struct only.
        let _ = unsafe { ioctl_with_mut(self.fd.as_fd(), IOCTL_GNTDEV_UNMAP_GRANT_REF, &mut arg) };
    }
}

impl Mapping<'_> {
    /// The mapped bytes. Shared with the granting domain, which may change
    /// them at any time: atomics only.
    pub fn atomics(&self) -> &[AtomicU8] {
        // SAFETY: len bytes mapped at addr for as long as self lives;
        // AtomicU8 has u8's layout. A read-only mapping is only ever loaded
        // from by our callers (the vchan endpoint never stores to the ring
        // it reads).
        unsafe { std::slice::from_raw_parts(self.addr.as_ptr() as *const AtomicU8, self.len) }
    }

    /// Asks the driver to clear byte `offset` and send an event on local
    /// `port` when this mapping goes away (also when the process dies).
    pub fn notify_on_unmap(&self, offset: usize, port: u32) -> Result<(), OpError> {
        let mut arg = UnmapNotify {
            index: self.index + offset as u64,
            action: UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT,
            event_channel_port: port,
        };
        // SAFETY: SET_UNMAP_NOTIFY reads this struct only.
        if unsafe { ioctl_with_mut(self.dev.fd.as_fd(), IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &mut arg) } < 0 {
            return Err(OpError::last(format!("IOCTL_GNTDEV_SET_UNMAP_NOTIFY(offset {offset}, port {port})")));
        }
        Ok(())
    }
}

impl Drop for Mapping<'_> {
    fn drop(&mut self) {
        // SAFETY: the mapping made in Gntdev::map, unmapped once; nothing
        // borrows it any more (atomics() borrows self).
        unsafe { libc::munmap(self.addr.as_ptr().cast(), self.len) };
        self.dev.unmap_refs(self.index, (self.len / PAGE) as u32);
    }
}
