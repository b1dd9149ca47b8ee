//! `poll(2)` for one fd, with a `Duration` timeout.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

/// Milliseconds for `poll`, rounded up so a short timeout never becomes 0
/// (which would not wait), capped at `i32::MAX`.
pub fn timeout_ms(timeout: Duration) -> libc::c_int {
    let ms = timeout.as_nanos().div_ceil(1_000_000);
    ms.min(i32::MAX as u128) as libc::c_int
}

/// Waits until `fd` is readable (true) or `timeout` passes (false).
/// `EINTR` is returned as `ErrorKind::Interrupted`.
pub fn readable(fd: BorrowedFd<'_>, timeout: Duration) -> io::Result<bool> {
    let mut pfd = libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    // SAFETY: `pfd` is one valid pollfd, and nfds is 1.
    let n = unsafe { libc::poll(&mut pfd, 1, timeout_ms(timeout)) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    // POLLERR/POLLHUP also count as readable: the read reports the problem.
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_up_and_caps() {
        assert_eq!(timeout_ms(Duration::ZERO), 0);
        assert_eq!(timeout_ms(Duration::from_nanos(1)), 1);
        assert_eq!(timeout_ms(Duration::from_millis(1000)), 1000);
        assert_eq!(timeout_ms(Duration::from_secs(u64::MAX)), i32::MAX);
    }

    #[test]
    fn pipe_readable_after_write() {
        let (r, w) = std::io::pipe().unwrap();
        assert!(!readable(r.as_fd(), Duration::from_millis(1)).unwrap());
        std::io::Write::write_all(&mut &w, b"x").unwrap();
        assert!(readable(r.as_fd(), Duration::from_millis(1000)).unwrap());
    }

    use std::os::fd::AsFd;
}
