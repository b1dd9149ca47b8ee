//! Exit codes (docs/protocol.md) and the error every command returns.

use std::fmt;

use xenbell_proto::exit;

/// The process exit status. 0-7 are the stable interface; 1 is everything
/// else (an I/O error, no permission, a broken xenstore reply).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Exit {
    Ok = exit::OK,
    Failed = exit::FAILED,
    Usage = exit::USAGE,
    NotXen = exit::NOT_XEN,
    NoDomain = exit::NO_DOMAIN,
    NoPort = exit::NO_PORT,
    BindRefused = exit::BIND_REFUSED,
    Timeout = exit::TIMEOUT,
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

    pub fn failed(message: impl Into<String>) -> Failure {
        Failure::new(Exit::Failed, message)
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
            (Exit::Failed, 1),
            (Exit::Usage, 2),
            (Exit::NotXen, 3),
            (Exit::NoDomain, 4),
            (Exit::NoPort, 5),
            (Exit::BindRefused, 6),
            (Exit::Timeout, 7),
        ];
        for (exit, code) in table {
            assert_eq!(exit.code(), code, "{exit:?}");
        }
        assert_eq!(Failure::usage("x").exit, Exit::Usage);
        assert_eq!(Failure::failed("boom").to_string(), "boom");
    }
}
