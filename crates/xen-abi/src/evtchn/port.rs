//! [`Port`]: an event-channel port number that can name a real channel under
//! either ABI (2-level: below 4096; FIFO: below 131072).

use core::fmt;

use super::{EvtchnPort, BITS_PER_WORD, EVTCHN_FIFO_NR_CHANNELS, NR_EVENT_CHANNELS};

/// A port number in `1..EVTCHN_FIFO_NR_CHANNELS` (1..131072).
///
/// Port 0 is rejected: Xen will never allocate port 0 (Linux' `VALID_EVTCHN`
/// relies on the same rule), so a 0 means "no port" or a bug. Ports from
/// 131072 up exist in neither ABI; ports from 4096 up exist only under FIFO
/// (event_channel.h: `EVTCHN_2L_NR_CHANNELS`, `EVTCHN_FIFO_NR_CHANNELS`), so
/// the 2-level helpers ([`Port::word`], ...) are only for
/// [`Port::is_two_level`] ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct Port(EvtchnPort);

/// Why a raw number is not a [`Port`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvalidPort {
    /// Port 0: Xen will never allocate it.
    Zero,
    /// `>= EVTCHN_FIFO_NR_CHANNELS` (131072): beyond both ABIs.
    OutOfRange(EvtchnPort),
}

impl Port {
    /// Validates a raw port number.
    pub const fn new(raw: EvtchnPort) -> Result<Port, InvalidPort> {
        if raw == 0 {
            Err(InvalidPort::Zero)
        } else if raw as usize >= EVTCHN_FIFO_NR_CHANNELS {
            Err(InvalidPort::OutOfRange(raw))
        } else {
            Ok(Port(raw))
        }
    }

    /// The raw number, for hypercall arguments.
    pub const fn get(self) -> EvtchnPort {
        self.0
    }

    /// Below 4096: a port the 2-level bitmaps have.
    pub const fn is_two_level(self) -> bool {
        (self.0 as usize) < NR_EVENT_CHANNELS
    }

    /// Index of this port's word in `evtchn_pending`/`evtchn_mask`, and of its
    /// bit in `evtchn_pending_sel` (2-level; only for [`Port::is_two_level`]
    /// ports: larger ones give indices past the bitmaps).
    pub const fn word(self) -> usize {
        self.0 as usize / BITS_PER_WORD
    }

    /// Index of this port's bit within its word (0..64).
    pub const fn bit(self) -> u32 {
        self.0 % BITS_PER_WORD as u32
    }

    /// `1 << bit()` as a 64-bit word mask.
    pub const fn bit_mask(self) -> u64 {
        1u64 << self.bit()
    }
}

impl TryFrom<EvtchnPort> for Port {
    type Error = InvalidPort;

    fn try_from(raw: EvtchnPort) -> Result<Self, Self::Error> {
        Port::new(raw)
    }
}

impl From<Port> for EvtchnPort {
    fn from(port: Port) -> EvtchnPort {
        port.0
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Display for InvalidPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidPort::Zero => f.write_str("port 0 is never allocated by Xen"),
            InvalidPort::OutOfRange(p) => {
                write!(f, "port {p} >= {EVTCHN_FIFO_NR_CHANNELS} (FIFO ABI limit)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(Port::new(0), Err(InvalidPort::Zero));
        assert_eq!(Port::new(131072), Err(InvalidPort::OutOfRange(131072)));
        assert_eq!(Port::new(u32::MAX), Err(InvalidPort::OutOfRange(u32::MAX)));
        assert_eq!(Port::new(1).map(Port::get), Ok(1));
        assert_eq!(Port::new(4095).map(Port::get), Ok(4095));
        assert_eq!(Port::new(131071).map(Port::get), Ok(131071));
        assert!(Port::new(4095).unwrap().is_two_level());
        assert!(!Port::new(4096).unwrap().is_two_level());
    }

    #[test]
    fn word_and_bit() {
        let p = Port::new(4095).unwrap();
        assert_eq!((p.word(), p.bit(), p.bit_mask()), (63, 63, 1 << 63));
        let p = Port::new(64).unwrap();
        assert_eq!((p.word(), p.bit(), p.bit_mask()), (1, 0, 1));
        let p = Port::new(65).unwrap();
        assert_eq!((p.word(), p.bit()), (1, 1));
        for raw in 1..4096u32 {
            let p = Port::new(raw).unwrap();
            assert_eq!(p.word() as u32 * 64 + p.bit(), raw);
        }
    }

    #[test]
    fn conversions() {
        assert_eq!(Port::try_from(7u32).map(u32::from), Ok(7));
        assert_eq!(std::format!("{}", Port::new(42).unwrap()), "42");
        assert!(std::format!("{}", InvalidPort::Zero).contains("never"));
    }
}
