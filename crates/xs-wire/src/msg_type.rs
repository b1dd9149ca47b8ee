//! Message types (`enum xsd_sockmsg_type` in `io/xs_wire.h`).

/// A xenstore message type. The numbering follows `io/xs_wire.h`; 20 (the
/// removed `XS_RESTRICT`) and anything from 23 on are unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum MsgType {
    Control = 0,
    Directory = 1,
    Read = 2,
    GetPerms = 3,
    Watch = 4,
    Unwatch = 5,
    TransactionStart = 6,
    TransactionEnd = 7,
    Introduce = 8,
    Release = 9,
    GetDomainPath = 10,
    Write = 11,
    Mkdir = 12,
    Rm = 13,
    SetPerms = 14,
    WatchEvent = 15,
    Error = 16,
    IsDomainIntroduced = 17,
    Resume = 18,
    SetTarget = 19,
    ResetWatches = 21,
    DirectoryPart = 22,
}

impl MsgType {
    /// Every known type, in wire order.
    pub const ALL: [MsgType; 22] = [
        MsgType::Control,
        MsgType::Directory,
        MsgType::Read,
        MsgType::GetPerms,
        MsgType::Watch,
        MsgType::Unwatch,
        MsgType::TransactionStart,
        MsgType::TransactionEnd,
        MsgType::Introduce,
        MsgType::Release,
        MsgType::GetDomainPath,
        MsgType::Write,
        MsgType::Mkdir,
        MsgType::Rm,
        MsgType::SetPerms,
        MsgType::WatchEvent,
        MsgType::Error,
        MsgType::IsDomainIntroduced,
        MsgType::Resume,
        MsgType::SetTarget,
        MsgType::ResetWatches,
        MsgType::DirectoryPart,
    ];

    /// The type with wire number `raw`, or `None` if it is unknown.
    pub const fn from_u32(raw: u32) -> Option<MsgType> {
        Some(match raw {
            0 => MsgType::Control,
            1 => MsgType::Directory,
            2 => MsgType::Read,
            3 => MsgType::GetPerms,
            4 => MsgType::Watch,
            5 => MsgType::Unwatch,
            6 => MsgType::TransactionStart,
            7 => MsgType::TransactionEnd,
            8 => MsgType::Introduce,
            9 => MsgType::Release,
            10 => MsgType::GetDomainPath,
            11 => MsgType::Write,
            12 => MsgType::Mkdir,
            13 => MsgType::Rm,
            14 => MsgType::SetPerms,
            15 => MsgType::WatchEvent,
            16 => MsgType::Error,
            17 => MsgType::IsDomainIntroduced,
            18 => MsgType::Resume,
            19 => MsgType::SetTarget,
            21 => MsgType::ResetWatches,
            22 => MsgType::DirectoryPart,
            _ => return None,
        })
    }

    /// The wire number.
    pub const fn as_u32(self) -> u32 {
        self as u32
    }
}

#[cfg(test)]
mod tests {
    use super::MsgType;

    #[test]
    fn numbers_round_trip_and_match_xs_wire_h() {
        for t in MsgType::ALL {
            assert_eq!(MsgType::from_u32(t.as_u32()), Some(t));
        }
        // The numbers the kernel and the dom0 tool depend on (xs_wire.h).
        let expected = [
            (MsgType::Directory, 1),
            (MsgType::Read, 2),
            (MsgType::GetPerms, 3),
            (MsgType::Watch, 4),
            (MsgType::Unwatch, 5),
            (MsgType::TransactionStart, 6),
            (MsgType::TransactionEnd, 7),
            (MsgType::GetDomainPath, 10),
            (MsgType::Write, 11),
            (MsgType::Mkdir, 12),
            (MsgType::Rm, 13),
            (MsgType::SetPerms, 14),
            (MsgType::WatchEvent, 15),
            (MsgType::Error, 16),
        ];
        for (t, n) in expected {
            assert_eq!(t.as_u32(), n, "{t:?}");
        }
        assert_eq!(MsgType::from_u32(20), None);
        assert_eq!(MsgType::from_u32(23), None);
        assert_eq!(MsgType::from_u32(0xffff), None);
        assert_eq!(MsgType::from_u32(u32::MAX), None);
    }
}
