//! ioctl request numbers (Linux `include/uapi/asm-generic/ioctl.h`) and the
//! raw call, in the style of vmm-sys-util: numbers come from a const fn given
//! the payload *type*, so the size field cannot drift from the struct.

use std::mem::size_of;
use std::os::fd::{AsRawFd, BorrowedFd};

use libc::{c_int, c_ulong};

/// `_IOC_NONE`: no direction (what `xen/evtchn.h` and `xen/privcmd.h` use).
pub const IOC_NONE: u32 = 0;
/// `_IOC_WRITE`: userspace writes the argument.
pub const IOC_WRITE: u32 = 1;
/// `_IOC_READ`: userspace reads the argument.
pub const IOC_READ: u32 = 2;

const NR_SHIFT: u32 = 0;
const TYPE_SHIFT: u32 = 8;
const SIZE_SHIFT: u32 = 16;
const DIR_SHIFT: u32 = 30;
const SIZE_BITS: u32 = 14;

/// Linux's `_IOC(dir, type, nr, size)`. Fails to compile (in a const) if
/// `size` does not fit the 14-bit size field.
pub const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> c_ulong {
    assert!(size < 1 << SIZE_BITS, "ioctl payload too large for _IOC");
    ((dir << DIR_SHIFT) | ((size as u32) << SIZE_SHIFT) | ((ty as u32) << TYPE_SHIFT) | ((nr as u32) << NR_SHIFT))
        as c_ulong
}

/// `_IOC(_IOC_NONE, ty, nr, sizeof(T))`.
pub const fn ioc_none<T>(ty: u8, nr: u8) -> c_ulong {
    ioc(IOC_NONE, ty, nr, size_of::<T>())
}

/// `ioctl(fd, request, arg)` with a pointer to `arg`; returns the raw result
/// (negative with `errno` set on failure).
///
/// # Safety
/// `request` must be an ioctl of `fd`'s driver whose argument is a pointer to
/// a `T` (a `#[repr(C)]` mirror of the driver's struct), which the driver
/// reads and writes only within `size_of::<T>()` bytes and does not keep.
pub unsafe fn ioctl_with_mut<T>(fd: BorrowedFd<'_>, request: c_ulong, arg: &mut T) -> c_int {
    // SAFETY: the caller guarantees `request` takes a `*mut T` used only for
    // the duration of the call; `arg` is a valid, exclusive `T`.
    unsafe { libc::ioctl(fd.as_raw_fd(), request as _, arg as *mut T) }
}

/// `ioctl(fd, request)` for a request without argument.
///
/// # Safety
/// `request` must be an ioctl of `fd`'s driver that takes no argument.
pub unsafe fn ioctl_no_arg(fd: BorrowedFd<'_>, request: c_ulong) -> c_int {
    // SAFETY: the caller guarantees the request reads no argument; the
    // unused third argument is a null pointer.
    unsafe { libc::ioctl(fd.as_raw_fd(), request as _, std::ptr::null_mut::<libc::c_void>()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_linux() {
        // _IOWR('T', 1, u32) style checks of the field layout.
        assert_eq!(ioc(IOC_NONE, b'E', 5, 0), 0x4505);
        assert_eq!(ioc(IOC_READ | IOC_WRITE, b'T', 1, 4), 0xC004_5401);
        assert_eq!(ioc(IOC_WRITE, b'P', 0, 48), 0x4030_5000);
        assert_eq!(ioc_none::<[u64; 6]>(b'P', 0), 0x30_5000);
    }
}
