//! The one error type of the Xen layer: which operation failed, with which
//! Xen errno. Displays as e.g. "EVTCHNOP_bind_interdomain: EINVAL (-22)".

use core::fmt;

use xen_abi::Errno;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XenError {
    /// The operation, named as in Xen's headers (e.g. "EVTCHNOP_send").
    pub op: &'static str,
    pub errno: Errno,
}

impl XenError {
    /// Converts a hypercall's return value: negative values are `-errno`.
    pub fn check(op: &'static str, ret: i64) -> Result<u64, XenError> {
        Errno::check(ret).map_err(|errno| XenError { op, errno })
    }
}

impl fmt::Display for XenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (-{})", self.op, self.errno.name(), self.errno.0)
    }
}
