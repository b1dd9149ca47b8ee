//! Xen error numbers, as returned (negated) in `rax` by hypercalls.
//!
//! Mirrors `xen/include/public/errno.h` (the `XEN_ERRNO(name, value)` list;
//! the C enum members are spelled `XEN_<name>`). The two values marked
//! "internal only" there (`EINTR`, `ERESTART`) are never returned to guests
//! and are left out.

use core::fmt;

macro_rules! xen_errnos {
    ($($name:ident = $value:literal,)*) => {
        $(
            #[doc = concat!("`XEN_", stringify!($name), "` (errno.h).")]
            pub const $name: i32 = $value;
        )*
        /// Every errno of `errno.h` visible to guests, `(name, value)`, in header
        /// order. Aliases (`EWOULDBLOCK`, `EDEADLOCK`) follow their canonical
        /// name, so a lookup by value finds the canonical one first.
        pub const ALL: &[(&str, i32)] = &[$((stringify!($name), $value),)*];
    };
}

xen_errnos! {
    EPERM = 1,
    ENOENT = 2,
    ESRCH = 3,
    EIO = 5,
    ENXIO = 6,
    E2BIG = 7,
    ENOEXEC = 8,
    EBADF = 9,
    ECHILD = 10,
    EAGAIN = 11,
    EWOULDBLOCK = 11,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    EBUSY = 16,
    EEXIST = 17,
    EXDEV = 18,
    ENODEV = 19,
    ENOTDIR = 20,
    EISDIR = 21,
    EINVAL = 22,
    ENFILE = 23,
    EMFILE = 24,
    ENOSPC = 28,
    EROFS = 30,
    EMLINK = 31,
    EDOM = 33,
    ERANGE = 34,
    EDEADLK = 35,
    EDEADLOCK = 35,
    ENAMETOOLONG = 36,
    ENOLCK = 37,
    ENOSYS = 38,
    ENOTEMPTY = 39,
    ENODATA = 61,
    ETIME = 62,
    EBADMSG = 74,
    EOVERFLOW = 75,
    EILSEQ = 84,
    ENOTSOCK = 88,
    EMSGSIZE = 90,
    EOPNOTSUPP = 95,
    EADDRINUSE = 98,
    EADDRNOTAVAIL = 99,
    ENOBUFS = 105,
    EISCONN = 106,
    ENOTCONN = 107,
    ETIMEDOUT = 110,
    ECONNREFUSED = 111,
}

/// Symbolic name of a Xen errno, e.g. `name(22) == "EINVAL"`.
///
/// Accepts the value either positive or negated (as hypercalls return it).
/// Unknown values give `"E?"`.
pub fn name(errno: i32) -> &'static str {
    let value = errno.unsigned_abs();
    ALL.iter().find(|&&(_, v)| v.unsigned_abs() == value).map_or("E?", |&(n, _)| n)
}

/// A Xen errno (positive), the error half of a hypercall result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

impl Errno {
    /// Splits a raw hypercall return value (`rax`): values in `-4095..=-1` are
    /// errors, everything else is a success value.
    pub const fn check(ret: i64) -> Result<u64, Errno> {
        if ret < 0 && ret >= -4095 {
            Err(Errno(-ret as i32))
        } else {
            Ok(ret as u64)
        }
    }

    /// Symbolic name, see [`name`].
    pub fn name(self) -> &'static str {
        name(self.0)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_positive_and_negative() {
        assert_eq!(name(EINVAL), "EINVAL");
        assert_eq!(name(-EINVAL), "EINVAL");
        assert_eq!(name(EAGAIN), "EAGAIN"); // not the alias EWOULDBLOCK
        assert_eq!(name(EDEADLK), "EDEADLK");
        assert_eq!(name(4), "E?"); // EINTR is Xen-internal
        assert_eq!(name(0), "E?");
        assert_eq!(name(i32::MIN), "E?");
    }

    #[test]
    fn check_splits_results() {
        assert_eq!(Errno::check(0), Ok(0));
        assert_eq!(Errno::check(5), Ok(5));
        assert_eq!(Errno::check(-22), Err(Errno(EINVAL)));
        assert_eq!(Errno::check(-4095), Err(Errno(4095)));
        assert_eq!(Errno::check(-4096), Ok((-4096i64) as u64));
        assert_eq!(std::format!("{}", Errno(ENOSYS)), "ENOSYS (38)");
    }
}
