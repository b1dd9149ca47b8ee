//! Exit codes (docs/protocol.md) and the error every command returns. Its
//! message names its subject first (an option, a path, a port, a domain),
//! untrusted parts echoed with [`echo::echo`].

use std::fmt;

use xenbell_proto::exit;

/// The process exit status, the stable interface (docs/protocol.md): every
/// failure has one of these, none is a catch-all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Exit {
    Ok = exit::OK,
    /// A system call that cannot fail on Linux did (sigaction): a bug.
    Internal = exit::FAILED,
    /// Bad arguments.
    Usage = exit::USAGE,
    /// Not on Xen: `/dev/xen/*` missing, or not usable (not root).
    NotXen = exit::NOT_XEN,
    /// No such domain, or a name two domains share.
    NoDomain = exit::NO_DOMAIN,
    /// The guest has not published a (valid) port.
    NoPort = exit::NO_PORT,
    /// Xen refused the bind.
    BindRefused = exit::BIND_REFUSED,
    /// No answer in time, or the peer went away after binding.
    Timeout = exit::TIMEOUT,
    /// xenstore failed: xenstored did not answer within 5 s, refused a
    /// request (EACCES, ...), or broke the wire format.
    Xenstore = exit::XENSTORE,
    /// vchan: the echo came back different, or the server broke the
    /// libxenvchan protocol (a corrupt ring, bad orders or live byte).
    Mismatch = exit::MISMATCH,
}

impl Exit {
    /// The number passed to `exit(3)`.
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// Why a command stopped: the exit status and one line for stderr.
#[derive(Debug, PartialEq, Eq)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl Failure {
    pub fn new(exit: Exit, message: impl Into<String>) -> Failure {
        Failure { exit, message: message.into() }
    }

    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::new(Exit::Usage, message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_protocol_md() {
        let table = [
            (Exit::Ok, 0),
            (Exit::Internal, 1),
            (Exit::Usage, 2),
            (Exit::NotXen, 3),
            (Exit::NoDomain, 4),
            (Exit::NoPort, 5),
            (Exit::BindRefused, 6),
            (Exit::Timeout, 7),
            (Exit::Xenstore, 8),
        ];
        for (exit, code) in table {
            assert_eq!(exit.code(), code, "{exit:?}");
        }
        assert_eq!(Failure::usage("x").exit, Exit::Usage);
        assert_eq!(Failure::new(Exit::Xenstore, "boom").to_string(), "boom");
    }
}
