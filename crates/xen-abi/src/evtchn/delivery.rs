//! How Xen delivers the event-channel upcall to a vCPU, which decides who
//! makes a consumer that stopped with work left run again (the same for the
//! 2-level and the FIFO ABI).

/// The upcall's delivery (xen/arch/x86/hvm/irq.c, xen/common/event_channel.c).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The global callback vector (HVM_PARAM_CALLBACK_IRQ, type vector): Xen
    /// injects it on every VM entry while `evtchn_upcall_pending` is set
    /// (`hvm_vcpu_has_pending_irq`): level. The flag a consumer leaves set
    /// is enough.
    Level,
    /// The per-vCPU vector (HVMOP_set_evtchn_upcall_vector), through the
    /// local APIC: Xen injects it only when it changes `evtchn_upcall_pending`
    /// from 0 to 1 (`vcpu_mark_events_pending`, then `hvm_assert_evtchn_irq`,
    /// an edge). A flag the guest set itself raises nothing, and while it
    /// stays set no later event raises anything either: the guest must raise
    /// the vector itself (a self-IPI).
    Edge,
}

impl Delivery {
    /// What a consumer does after a pass that stopped with work left
    /// (`more_pending`, the flag left set): under edge delivery `reraise`
    /// makes the vector pending again (e.g. a self-IPI); level delivery is
    /// injected again by Xen and needs nothing.
    pub fn after_pass<R: FnOnce()>(self, more_pending: bool, reraise: R) {
        if more_pending && self == Delivery::Edge {
            reraise();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Delivery;

    #[test]
    fn only_an_edge_with_work_left_is_raised_again() {
        for (d, more, want) in [
            (Delivery::Edge, true, true),
            (Delivery::Edge, false, false),
            (Delivery::Level, true, false),
            (Delivery::Level, false, false),
        ] {
            let mut raised = false;
            d.after_pass(more, || raised = true);
            assert_eq!(raised, want, "{d:?} more_pending={more}");
        }
    }
}
