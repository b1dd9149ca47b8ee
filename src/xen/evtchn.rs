//! EVTCHNOP_*: the event-channel operations, typed. Each is one hypercall;
//! failures are `XenError`s naming the operation ("EVTCHNOP_send: EINVAL").

pub use xen_abi::evtchn::PortState;
use xen_abi::evtchn::*;
use xen_abi::ops;
use xen_abi::xen::{DomId, DOMID_SELF};
pub use xen_abi::Port;

use super::{hypercall, XenError};

fn op<O: ops::SafeOp>(cmd: O, arg: &mut O::Arg) -> Result<(), XenError> {
    hypercall::call(cmd, arg).map(|_| ())
}

/// Xen handed us a port number: check it is one we can use.
fn port(name: &'static str, raw: u32) -> Result<Port, XenError> {
    Port::new(raw).map_err(|_| XenError { op: name, errno: xen_abi::Errno(xen_abi::errno::ERANGE) })
}

/// A new port in state unbound that only `remote` may bind.
pub fn alloc_unbound(remote: DomId) -> Result<Port, XenError> {
    let mut a = EvtchnAllocUnbound { dom: DOMID_SELF, remote_dom: remote, port: 0 };
    op(ops::EVTCHNOP_alloc_unbound, &mut a)?;
    port("EVTCHNOP_alloc_unbound", a.port)
}

/// Connects a new local port to `remote_port` of `remote`. Xen sets the new
/// local port pending at once (event_channel.c does so on every bind).
pub fn bind_interdomain(remote: DomId, remote_port: u32) -> Result<Port, XenError> {
    let mut a = EvtchnBindInterdomain { remote_dom: remote, remote_port, local_port: 0 };
    op(ops::EVTCHNOP_bind_interdomain, &mut a)?;
    port("EVTCHNOP_bind_interdomain", a.local_port)
}

pub fn bind_virq(virq: u32, vcpu: u32) -> Result<Port, XenError> {
    let mut a = EvtchnBindVirq { virq, vcpu, port: 0 };
    op(ops::EVTCHNOP_bind_virq, &mut a)?;
    port("EVTCHNOP_bind_virq", a.port)
}

pub fn bind_ipi(vcpu: u32) -> Result<Port, XenError> {
    let mut a = EvtchnBindIpi { vcpu, port: 0 };
    op(ops::EVTCHNOP_bind_ipi, &mut a)?;
    port("EVTCHNOP_bind_ipi", a.port)
}

pub fn bind_vcpu(p: Port, vcpu: u32) -> Result<(), XenError> {
    op(ops::EVTCHNOP_bind_vcpu, &mut EvtchnBindVcpu { port: p.get(), vcpu })
}

pub fn close(p: Port) -> Result<(), XenError> {
    op(ops::EVTCHNOP_close, &mut EvtchnClose { port: p.get() })
}

/// Notifies the other end. Dropped silently by Xen if nobody is bound yet.
pub fn send(p: Port) -> Result<(), XenError> {
    op(ops::EVTCHNOP_send, &mut EvtchnSend { port: p.get() })
}

/// EVTCHNOP_unmask: clears the mask bit and has Xen re-deliver a pending event.
pub fn unmask(p: Port) -> Result<(), XenError> {
    op(ops::EVTCHNOP_unmask, &mut EvtchnUnmask { port: p.get() })
}

/// Closes every port of `dom` (DOMID_SELF: ours). Nothing calls it yet: it
/// would close the timer, console and xenstore ports too. Part of the API for
/// a kernel that re-initialises its channels (e.g. after kexec).
#[allow(dead_code)]
pub fn reset(dom: DomId) -> Result<(), XenError> {
    op(ops::EVTCHNOP_reset, &mut EvtchnReset { dom })
}

/// What Xen says our port `p` is (EVTCHNOP_status).
pub fn status(p: Port) -> Result<PortState, XenError> {
    let mut s = EvtchnStatus::query(DOMID_SELF, p.get());
    op(ops::EVTCHNOP_status, &mut s)?;
    Ok(s.state())
}
