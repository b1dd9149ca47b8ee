//! Argument structs of the `EVTCHNOP_*` sub-ops.
//!
//! Mirrors the structs of `xen/include/public/event_channel.h`; "IN"/"OUT"
//! say which fields the caller fills in and which Xen writes back.

use super::{
    EVTCHNSTAT_closed, EVTCHNSTAT_interdomain, EVTCHNSTAT_ipi, EVTCHNSTAT_pirq, EVTCHNSTAT_unbound, EVTCHNSTAT_virq,
    EvtchnPort,
};
use crate::xen::DomId;
use core::fmt;

/// `struct evtchn_alloc_unbound` (event_channel.h): allocate a port that only
/// `remote_dom` may bind.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvtchnAllocUnbound {
    /// IN: domain that allocates (`DOMID_SELF`).
    pub dom: DomId,
    /// IN: the only domain allowed to bind the port.
    pub remote_dom: DomId,
    /// OUT: the new local port.
    pub port: EvtchnPort,
}
assert_layout!(EvtchnAllocUnbound, size = 8, align = 4, dom @ 0, remote_dom @ 2, port @ 4);

/// `struct evtchn_bind_interdomain` (event_channel.h). Xen sets the new local
/// port pending at once, so the binder always sees one event.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvtchnBindInterdomain {
    /// IN: domain that allocated the unbound port.
    pub remote_dom: DomId,
    /// IN: that domain's unbound port.
    pub remote_port: EvtchnPort,
    /// OUT: our new port, connected to it.
    pub local_port: EvtchnPort,
}
assert_layout!(EvtchnBindInterdomain, size = 12, align = 4,
    remote_dom @ 0, remote_port @ 4, local_port @ 8);

/// `struct evtchn_bind_virq` (event_channel.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvtchnBindVirq {
    /// IN: `VIRQ_*`.
    pub virq: u32,
    /// IN: vCPU that receives it.
    pub vcpu: u32,
    /// OUT: the new port.
    pub port: EvtchnPort,
}
assert_layout!(EvtchnBindVirq, size = 12, align = 4, virq @ 0, vcpu @ 4, port @ 8);

/// `struct evtchn_bind_pirq` (event_channel.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvtchnBindPirq {
    /// IN: physical IRQ.
    pub pirq: u32,
    /// IN: `BIND_PIRQ__*`.
    pub flags: u32,
    /// OUT: the new port.
    pub port: EvtchnPort,
}
assert_layout!(EvtchnBindPirq, size = 12, align = 4, pirq @ 0, flags @ 4, port @ 8);

/// `struct evtchn_bind_ipi` (event_channel.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvtchnBindIpi {
    /// IN: vCPU that receives it.
    pub vcpu: u32,
    /// OUT: the new port.
    pub port: EvtchnPort,
}
assert_layout!(EvtchnBindIpi, size = 8, align = 4, vcpu @ 0, port @ 4);

/// `struct evtchn_close` (event_channel.h). The peer's port goes back to unbound.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvtchnClose {
    /// IN: port to close.
    pub port: EvtchnPort,
}
assert_layout!(EvtchnClose, size = 4, align = 4, port @ 0);

/// `struct evtchn_send` (event_channel.h). Sending on an unbound port is
/// silently dropped (returns 0).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvtchnSend {
    /// IN: local port to signal the peer through.
    pub port: EvtchnPort,
}
assert_layout!(EvtchnSend, size = 4, align = 4, port @ 0);

/// `struct evtchn_status` (event_channel.h).
///
/// The C union `u` is kept as its two raw 32-bit words; read it with
/// [`EvtchnStatus::state`] or the per-member accessors, which take the
/// x86_64 (little-endian) union layout into account.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvtchnStatus {
    /// IN: domain to query (`DOMID_SELF`).
    pub dom: DomId,
    /// IN: port to query.
    pub port: EvtchnPort,
    /// OUT: `EVTCHNSTAT_*`.
    pub status: u32,
    /// OUT: vCPU the channel is bound to.
    pub vcpu: u32,
    /// OUT: C `union { unbound{dom}; interdomain{dom, port}; pirq; virq; } u`.
    pub u: [u32; 2],
}
assert_layout!(EvtchnStatus, size = 24, align = 4,
    dom @ 0, port @ 4, status @ 8, vcpu @ 12, u @ 16);

/// Decoded [`EvtchnStatus`]: what a port is, with its union member. The
/// one decoding of `EVTCHNOP_status` for the kernel and the dom0 tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortState {
    /// `EVTCHNSTAT_closed`: not in use.
    Closed,
    /// `EVTCHNSTAT_unbound`: allocated, waiting for `remote` (`u.unbound.dom`)
    /// to bind it.
    Unbound { remote: DomId },
    /// `EVTCHNSTAT_interdomain`: connected to `remote_port` of `remote`
    /// (`u.interdomain.{dom, port}`).
    Interdomain { remote: DomId, remote_port: EvtchnPort },
    /// `EVTCHNSTAT_pirq`: `u.pirq`.
    Pirq(u32),
    /// `EVTCHNSTAT_virq`: `u.virq`.
    Virq(u32),
    /// `EVTCHNSTAT_ipi`.
    Ipi,
    /// A status value this crate does not know.
    Unknown(u32),
}

impl fmt::Display for PortState {
    /// For messages: `closed`, `unbound (offered to domain 0)`,
    /// `interdomain (connected to domain 0 port 41)`, `virq 1`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortState::Closed => f.write_str("closed"),
            PortState::Unbound { remote } => write!(f, "unbound (offered to domain {remote})"),
            PortState::Interdomain { remote, remote_port } => {
                write!(f, "interdomain (connected to domain {remote} port {remote_port})")
            }
            PortState::Pirq(n) => write!(f, "pirq {n}"),
            PortState::Virq(n) => write!(f, "virq {n}"),
            PortState::Ipi => f.write_str("ipi"),
            PortState::Unknown(n) => write!(f, "unknown status {n}"),
        }
    }
}

impl EvtchnStatus {
    /// `u.unbound.dom`: a `domid_t` at the start of the union (low half of
    /// word 0 on little-endian x86_64).
    pub const fn unbound_dom(&self) -> DomId {
        (self.u[0] & 0xffff) as DomId
    }

    /// `u.interdomain.dom` (same bytes as `u.unbound.dom`).
    pub const fn interdomain_dom(&self) -> DomId {
        (self.u[0] & 0xffff) as DomId
    }

    /// `u.interdomain.port`: the second 32-bit word of the union.
    pub const fn interdomain_port(&self) -> EvtchnPort {
        self.u[1]
    }

    /// `u.pirq`.
    pub const fn pirq(&self) -> u32 {
        self.u[0]
    }

    /// `u.virq`.
    pub const fn virq(&self) -> u32 {
        self.u[0]
    }

    /// The state, with the union member that `status` selects.
    pub const fn state(&self) -> PortState {
        match self.status {
            EVTCHNSTAT_closed => PortState::Closed,
            EVTCHNSTAT_unbound => PortState::Unbound { remote: self.unbound_dom() },
            EVTCHNSTAT_interdomain => {
                PortState::Interdomain { remote: self.interdomain_dom(), remote_port: self.interdomain_port() }
            }
            EVTCHNSTAT_pirq => PortState::Pirq(self.pirq()),
            EVTCHNSTAT_virq => PortState::Virq(self.virq()),
            EVTCHNSTAT_ipi => PortState::Ipi,
            other => PortState::Unknown(other),
        }
    }

    /// The argument for asking about `port` of `dom` (`DOMID_SELF`: ours;
    /// dom0 may ask about any domain's); Xen fills in the rest.
    pub const fn query(dom: DomId, port: EvtchnPort) -> EvtchnStatus {
        EvtchnStatus { dom, port, status: 0, vcpu: 0, u: [0; 2] }
    }
}

/// `struct evtchn_bind_vcpu` (event_channel.h): route a port to another vCPU.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvtchnBindVcpu {
    /// IN: port.
    pub port: EvtchnPort,
    /// IN: vCPU to notify from now on.
    pub vcpu: u32,
}
assert_layout!(EvtchnBindVcpu, size = 8, align = 4, port @ 0, vcpu @ 4);

/// `struct evtchn_unmask` (event_channel.h): clear the mask bit and, if the
/// port is pending, re-raise the selector and upcall.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvtchnUnmask {
    /// IN: port to unmask.
    pub port: EvtchnPort,
}
assert_layout!(EvtchnUnmask, size = 4, align = 4, port @ 0);

/// `struct evtchn_reset` (event_channel.h): close all of a domain's ports.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvtchnReset {
    /// IN: domain (`DOMID_SELF`).
    pub dom: DomId,
}
assert_layout!(EvtchnReset, size = 2, align = 2, dom @ 0);

/// `struct evtchn_init_control` (event_channel.h, FIFO ABI only).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvtchnInitControl {
    /// IN: frame of the control block.
    pub control_gfn: u64,
    /// IN: offset of the control block in that frame.
    pub offset: u32,
    /// IN: vCPU.
    pub vcpu: u32,
    /// OUT: number of link bits.
    pub link_bits: u8,
    /// C `_pad[7]`.
    pub _pad: [u8; 7],
}
assert_layout!(EvtchnInitControl, size = 24, align = 8,
    control_gfn @ 0, offset @ 8, vcpu @ 12, link_bits @ 16, _pad @ 17);

/// `struct evtchn_expand_array` (event_channel.h, FIFO ABI only).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvtchnExpandArray {
    /// IN: frame of the new event array page.
    pub array_gfn: u64,
}
assert_layout!(EvtchnExpandArray, size = 8, align = 8, array_gfn @ 0);

/// `struct evtchn_set_priority` (event_channel.h, FIFO ABI only).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvtchnSetPriority {
    /// IN: port.
    pub port: EvtchnPort,
    /// IN: `EVTCHN_FIFO_PRIORITY_*` (0 highest .. 15 lowest).
    pub priority: u32,
}
assert_layout!(EvtchnSetPriority, size = 8, align = 4, port @ 0, priority @ 4);

/// `struct evtchn_fifo_control_block` (event_channel.h, FIFO ABI): one per
/// vCPU, in a guest page registered with `EVTCHNOP_init_control`. Xen sets
/// bit `q` of `ready` when it puts a port on the empty queue `q` and writes
/// that port to `head[q]`; the guest clears `ready` (xchg) and walks the queues.
/// Shared with Xen: the guest reaches its fields only atomically.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvtchnFifoControlBlock {
    /// Bit `q`: queue `q` (priority `q`, 0 highest) has events.
    pub ready: u32,
    /// C `_rsvd`.
    pub _rsvd: u32,
    /// Head port of each queue, as Xen last wrote it (0: none).
    pub head: [u32; 16],
}
assert_layout!(EvtchnFifoControlBlock, size = 72, align = 4, ready @ 0, _rsvd @ 4, head @ 8);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_union_decoding() {
        let mut s = EvtchnStatus { status: EVTCHNSTAT_interdomain, u: [0xdead_0007, 42], ..Default::default() };
        assert_eq!(s.state(), PortState::Interdomain { remote: 7, remote_port: 42 });
        assert_eq!(s.state().to_string(), "interdomain (connected to domain 7 port 42)");
        s.status = EVTCHNSTAT_unbound;
        assert_eq!(s.state(), PortState::Unbound { remote: 7 });
        assert_eq!(s.state().to_string(), "unbound (offered to domain 7)");
        s.status = EVTCHNSTAT_virq;
        assert_eq!(s.state(), PortState::Virq(0xdead_0007));
        s.status = EVTCHNSTAT_pirq;
        assert_eq!(s.state(), PortState::Pirq(0xdead_0007));
        s.status = EVTCHNSTAT_ipi;
        assert_eq!(s.state(), PortState::Ipi);
        s.status = EVTCHNSTAT_closed;
        assert_eq!(s.state(), PortState::Closed);
        assert_eq!(s.state().to_string(), "closed");
        s.status = 99;
        assert_eq!(s.state(), PortState::Unknown(99));
        assert_eq!(s.state().to_string(), "unknown status 99");
    }
}
