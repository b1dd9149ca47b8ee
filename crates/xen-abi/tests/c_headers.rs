//! Compares this crate with the real Xen headers (Debian libxen-dev,
//! `/usr/include/xen/`).
//!
//! What: every struct size, alignment, field offset and field size, and every
//! constant of the crate, plus the full errno list and the `evtchn_status`
//! union accessors.
//! How: [`table`] lists each item once, as a Rust value next to a C
//! expression; `support::run_c` compiles a C program printing all the C
//! expressions with `cc` against the installed headers (interface version =
//! the headers' latest), runs it and the test prints a table of mismatches.
//! `every_public_item_is_in_the_table` scans `src/` so a new constant or
//! field without a line here fails too.
//! False passes: a C expression that does not measure what the label says
//! (e.g. a typo'd member that happens to exist) would compare the wrong
//! thing; a header that is present but from a different Xen than 4.17 is
//! compared as is (its interface version is printed). Missing headers skip
//! the comparison with a reason printed on stderr, or fail it with a `make
//! deps` hint under `XENBELL_REQUIRE_HEADERS=1` (`make host-test` sets it).

mod support;

use support::{konst, layout, Check};
use xen_abi::console::*;
use xen_abi::cpuid::*;
use xen_abi::evtchn::*;
use xen_abi::grant_table::*;
use xen_abi::hvm::*;
use xen_abi::hypercall::*;
use xen_abi::memory::*;
use xen_abi::sched::*;
use xen_abi::shared_info::*;
use xen_abi::start_info::*;
use xen_abi::vcpu::*;
use xen_abi::xen::*;
use xen_abi::xenstore::*;

/// THE table: one line per item. `layout!` covers a struct (size, align and
/// the listed fields), `konst!` a constant (same name in C, or `= "C expr"`).
#[rustfmt::skip] // keep the table dense: several related constants per line
fn table() -> Vec<Check> {
    let bits = "sizeof(xen_ulong_t) * 8";
    let words = "sizeof(((struct shared_info *)0)->evtchn_pending) / sizeof(xen_ulong_t)";
    [
        // hypercall.rs (xen.h)
        konst!(HYPERVISOR_memory_op = "__HYPERVISOR_memory_op"),
        konst!(HYPERVISOR_set_timer_op = "__HYPERVISOR_set_timer_op"),
        konst!(HYPERVISOR_xen_version = "__HYPERVISOR_xen_version"),
        konst!(HYPERVISOR_console_io = "__HYPERVISOR_console_io"),
        konst!(HYPERVISOR_grant_table_op = "__HYPERVISOR_grant_table_op"),
        konst!(HYPERVISOR_vcpu_op = "__HYPERVISOR_vcpu_op"),
        konst!(HYPERVISOR_sched_op = "__HYPERVISOR_sched_op"),
        konst!(HYPERVISOR_event_channel_op = "__HYPERVISOR_event_channel_op"),
        konst!(HYPERVISOR_hvm_op = "__HYPERVISOR_hvm_op"),
        // xen.rs (xen.h, version.h, features.h)
        konst!(DOMID_FIRST_RESERVED), konst!(DOMID_SELF), konst!(DOMID_IO), konst!(DOMID_XEN),
        konst!(DOMID_COW), konst!(DOMID_INVALID), konst!(DOMID_IDLE), konst!(DOMID_MASK),
        konst!(VIRQ_TIMER), konst!(VIRQ_DEBUG), konst!(VIRQ_CONSOLE), konst!(VIRQ_DOM_EXC),
        konst!(VIRQ_TBUF), konst!(VIRQ_DEBUGGER), konst!(VIRQ_XENOPROF), konst!(VIRQ_CON_RING),
        konst!(VIRQ_PCPU_STATE), konst!(VIRQ_MEM_EVENT), konst!(VIRQ_ARGO), konst!(VIRQ_ENOMEM),
        konst!(VIRQ_XENPMU), konst!(VIRQ_ARCH_0), konst!(NR_VIRQS),
        konst!(XENVER_version), konst!(XENVER_extraversion), konst!(XENVER_compile_info),
        konst!(XENVER_capabilities), konst!(XENVER_changeset), konst!(XENVER_platform_parameters),
        konst!(XENVER_get_features), konst!(XENVER_pagesize), konst!(XENVER_guest_handle),
        konst!(XENVER_commandline), konst!(XENVER_build_id),
        layout!(XenFeatureInfo = "struct xen_feature_info": submap_idx, submap),
        konst!(XENFEAT_writable_page_tables), konst!(XENFEAT_writable_descriptor_tables),
        konst!(XENFEAT_auto_translated_physmap), konst!(XENFEAT_supervisor_mode_kernel),
        konst!(XENFEAT_pae_pgdir_above_4gb), konst!(XENFEAT_mmu_pt_update_preserve_ad),
        konst!(XENFEAT_highmem_assist), konst!(XENFEAT_gnttab_map_avail_bits),
        konst!(XENFEAT_hvm_callback_vector), konst!(XENFEAT_hvm_safe_pvclock),
        konst!(XEN_HVM_CPUID_APIC_ACCESS_VIRT), konst!(XEN_HVM_CPUID_X2APIC_VIRT),
        konst!(XEN_HVM_CPUID_UPCALL_VECTOR), konst!(XEN_HVM_CPUID_DOMID_PRESENT),
        konst!(XENFEAT_hvm_pirqs), konst!(XENFEAT_dom0),
        konst!(XENFEAT_memory_op_vnode_supported), konst!(XENFEAT_ARM_SMCCC_supported),
        konst!(XENFEAT_linux_rsdp_unrestricted), konst!(XENFEAT_not_direct_mapped),
        konst!(XENFEAT_direct_mapped), konst!(XENFEAT_NR_SUBMAPS),
        // evtchn.rs, evtchn/ops.rs (event_channel.h)
        konst!(EVTCHNOP_bind_interdomain), konst!(EVTCHNOP_bind_virq), konst!(EVTCHNOP_bind_pirq),
        konst!(EVTCHNOP_close), konst!(EVTCHNOP_send), konst!(EVTCHNOP_status),
        konst!(EVTCHNOP_alloc_unbound), konst!(EVTCHNOP_bind_ipi), konst!(EVTCHNOP_bind_vcpu),
        konst!(EVTCHNOP_unmask), konst!(EVTCHNOP_reset), konst!(EVTCHNOP_init_control),
        konst!(EVTCHNOP_expand_array), konst!(EVTCHNOP_set_priority),
        konst!(EVTCHNSTAT_closed), konst!(EVTCHNSTAT_unbound), konst!(EVTCHNSTAT_interdomain),
        konst!(EVTCHNSTAT_pirq), konst!(EVTCHNSTAT_virq), konst!(EVTCHNSTAT_ipi),
        konst!(BIND_PIRQ__WILL_SHARE),
        konst!(EVTCHN_FIFO_PRIORITY_MAX), konst!(EVTCHN_FIFO_PRIORITY_DEFAULT),
        konst!(EVTCHN_FIFO_PRIORITY_MIN), konst!(EVTCHN_FIFO_MAX_QUEUES),
        konst!(EVTCHN_FIFO_PENDING), konst!(EVTCHN_FIFO_MASKED), konst!(EVTCHN_FIFO_LINKED),
        konst!(EVTCHN_FIFO_BUSY), konst!(EVTCHN_FIFO_LINK_BITS), konst!(EVTCHN_FIFO_LINK_MASK),
        konst!(EVTCHN_FIFO_NR_CHANNELS),
        konst!(EVTCHN_FIFO_EVENT_WORDS_PER_PAGE = "4096 / sizeof(event_word_t)"),
        konst!(EVTCHN_FIFO_MAX_EVENT_ARRAY_PAGES = "EVTCHN_FIFO_NR_CHANNELS / (4096 / sizeof(event_word_t))"),
        layout!(EvtchnFifoControlBlock = "struct evtchn_fifo_control_block": ready, _rsvd, head),
        konst!(BITS_PER_WORD = bits), konst!(NR_WORDS = words),
        konst!(NR_EVENT_CHANNELS = "EVTCHN_2L_NR_CHANNELS"),
        layout!(EvtchnAllocUnbound = "struct evtchn_alloc_unbound": dom, remote_dom, port),
        layout!(EvtchnBindInterdomain = "struct evtchn_bind_interdomain":
            remote_dom, remote_port, local_port),
        layout!(EvtchnBindVirq = "struct evtchn_bind_virq": virq, vcpu, port),
        layout!(EvtchnBindPirq = "struct evtchn_bind_pirq": pirq, flags, port),
        layout!(EvtchnBindIpi = "struct evtchn_bind_ipi": vcpu, port),
        layout!(EvtchnClose = "struct evtchn_close": port),
        layout!(EvtchnSend = "struct evtchn_send": port),
        layout!(EvtchnStatus = "struct evtchn_status": dom, port, status, vcpu, u),
        layout!(EvtchnBindVcpu = "struct evtchn_bind_vcpu": port, vcpu),
        layout!(EvtchnUnmask = "struct evtchn_unmask": port),
        layout!(EvtchnReset = "struct evtchn_reset": dom),
        layout!(EvtchnInitControl = "struct evtchn_init_control":
            control_gfn, offset, vcpu, link_bits, _pad),
        layout!(EvtchnExpandArray = "struct evtchn_expand_array": array_gfn),
        layout!(EvtchnSetPriority = "struct evtchn_set_priority": port, priority),
        // shared_info.rs (xen.h, arch-x86/xen.h)
        konst!(XEN_LEGACY_MAX_VCPUS),
        konst!(XEN_PVCLOCK_TSC_STABLE_BIT), konst!(XEN_PVCLOCK_GUEST_STOPPED),
        layout!(VcpuTimeInfo = "struct vcpu_time_info": version, pad0, tsc_timestamp,
            system_time, tsc_to_system_mul, tsc_shift, flags, pad1),
        layout!(ArchVcpuInfo = "struct arch_vcpu_info": cr2, pad),
        layout!(VcpuInfo = "struct vcpu_info": evtchn_upcall_pending, evtchn_upcall_mask,
            evtchn_pending_sel, arch, time),
        layout!(ArchSharedInfo = "struct arch_shared_info": max_pfn, pfn_to_mfn_frame_list_list,
            nmi_reason, p2m_cr3, p2m_vaddr, p2m_generation),
        layout!(SharedInfo = "struct shared_info": vcpu_info, evtchn_pending, evtchn_mask,
            wc_version, wc_sec, wc_nsec, wc_sec_hi, arch),
        // memory.rs (memory.h)
        konst!(XENMEM_add_to_physmap),
        konst!(XENMAPSPACE_shared_info), konst!(XENMAPSPACE_grant_table), konst!(XENMAPSPACE_gmfn),
        konst!(XENMAPSPACE_gmfn_range), konst!(XENMAPSPACE_gmfn_foreign),
        konst!(XENMAPSPACE_dev_mmio),
        layout!(XenAddToPhysmap = "struct xen_add_to_physmap": domid, size, space, idx, gpfn),
        konst!(XENMEM_memory_map),
        konst!(XENMEM_maximum_reservation),
        layout!(XenMemoryMap = "struct xen_memory_map": nr_entries, buffer),
        // grant_table.rs (grant_table.h)
        konst!(GNTTABOP_map_grant_ref), konst!(GNTTABOP_unmap_grant_ref), konst!(GNTTABOP_setup_table),
        konst!(GNTTABOP_copy), konst!(GNTTABOP_query_size), konst!(GNTTABOP_set_version),
        konst!(GNTTABOP_get_version), konst!(GNTTAB_NR_RESERVED_ENTRIES),
        konst!(GNTTAB_RESERVED_CONSOLE), konst!(GNTTAB_RESERVED_XENSTORE),
        konst!(GTF_invalid), konst!(GTF_permit_access), konst!(GTF_type_mask), konst!(GTF_readonly),
        konst!(GTF_reading), konst!(GTF_writing),
        konst!(GRANT_ENTRIES_PER_FRAME_V1 = "4096 / sizeof(struct grant_entry_v1)"),
        layout!(GrantEntryV1 = "struct grant_entry_v1": flags, domid, frame),
        layout!(GnttabQuerySize = "struct gnttab_query_size": dom, nr_frames, max_nr_frames, status),
        // vcpu.rs (vcpu.h)
        konst!(VCPUOP_initialise), konst!(VCPUOP_up), konst!(VCPUOP_down), konst!(VCPUOP_is_up),
        konst!(VCPUOP_get_runstate_info), konst!(VCPUOP_register_runstate_memory_area),
        konst!(VCPUOP_set_periodic_timer), konst!(VCPUOP_stop_periodic_timer),
        konst!(VCPUOP_set_singleshot_timer), konst!(VCPUOP_stop_singleshot_timer),
        konst!(VCPUOP_register_vcpu_info), konst!(VCPUOP_send_nmi), konst!(VCPUOP_get_physid),
        konst!(VCPUOP_register_vcpu_time_memory_area), konst!(VCPU_SSHOTTMR_future),
        layout!(VcpuRegisterVcpuInfo = "struct vcpu_register_vcpu_info": mfn, offset, rsvd),
        layout!(VcpuSetSingleshotTimer = "struct vcpu_set_singleshot_timer": timeout_abs_ns, flags),
        layout!(VcpuSetPeriodicTimer = "struct vcpu_set_periodic_timer": period_ns),
        // vcpu.rs (hvm/hvm_vcpu.h)
        konst!(VCPU_HVM_MODE_64B),
        layout!(VcpuHvmX86_64 = "struct vcpu_hvm_x86_64": rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, rip, rflags,
            cr0, cr3, cr4, efer),
        layout!(VcpuHvmContext = "struct vcpu_hvm_context": mode, pad, x86_64 = "cpu_regs.x86_64"),
        // sched.rs (sched.h)
        konst!(SCHEDOP_yield), konst!(SCHEDOP_block), konst!(SCHEDOP_shutdown), konst!(SCHEDOP_poll),
        konst!(SCHEDOP_remote_shutdown), konst!(SCHEDOP_shutdown_code), konst!(SCHEDOP_watchdog),
        konst!(SCHEDOP_pin_override),
        konst!(SHUTDOWN_poweroff), konst!(SHUTDOWN_reboot), konst!(SHUTDOWN_suspend),
        konst!(SHUTDOWN_crash), konst!(SHUTDOWN_watchdog), konst!(SHUTDOWN_soft_reset),
        layout!(SchedShutdown = "struct sched_shutdown": reason),
        layout!(SchedPoll = "struct sched_poll": ports, nr_ports, timeout),
        // hvm.rs (hvm/hvm_op.h, hvm/params.h)
        konst!(HVMOP_set_param), konst!(HVMOP_get_param), konst!(HVMOP_set_evtchn_upcall_vector),
        layout!(XenHvmParam = "struct xen_hvm_param": domid, pad, index, value),
        layout!(XenHvmEvtchnUpcallVector = "struct xen_hvm_evtchn_upcall_vector": vcpu, vector),
        konst!(HVM_PARAM_CALLBACK_IRQ), konst!(HVM_PARAM_STORE_PFN), konst!(HVM_PARAM_STORE_EVTCHN),
        konst!(HVM_PARAM_CONSOLE_PFN), konst!(HVM_PARAM_CONSOLE_EVTCHN),
        konst!(HVM_PARAM_CALLBACK_IRQ_TYPE_MASK),
        konst!(HVM_PARAM_CALLBACK_TYPE_SHIFT = "__builtin_ctzll(HVM_PARAM_CALLBACK_IRQ_TYPE_MASK)"),
        konst!(HVM_PARAM_CALLBACK_TYPE_GSI), konst!(HVM_PARAM_CALLBACK_TYPE_PCI_INTX),
        konst!(HVM_PARAM_CALLBACK_TYPE_VECTOR),
        // start_info.rs (arch-x86/hvm/start_info.h, elfnote.h, xen.h)
        konst!(XEN_ELFNOTE_PHYS32_ENTRY), konst!(XEN_HVM_START_MAGIC_VALUE),
        konst!(XEN_HVM_MEMMAP_TYPE_RAM), konst!(XEN_HVM_MEMMAP_TYPE_RESERVED),
        konst!(XEN_HVM_MEMMAP_TYPE_ACPI), konst!(XEN_HVM_MEMMAP_TYPE_NVS),
        konst!(XEN_HVM_MEMMAP_TYPE_UNUSABLE), konst!(XEN_HVM_MEMMAP_TYPE_DISABLED),
        konst!(XEN_HVM_MEMMAP_TYPE_PMEM), konst!(SIF_PRIVILEGED), konst!(SIF_INITDOMAIN),
        layout!(HvmStartInfo = "struct hvm_start_info": magic, version, flags, nr_modules,
            modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr, memmap_entries, reserved),
        layout!(HvmModlistEntry = "struct hvm_modlist_entry": paddr, size, cmdline_paddr, reserved),
        layout!(HvmMemmapTableEntry = "struct hvm_memmap_table_entry":
            addr, size, type_ = "type", reserved),
        // console.rs (xen.h, io/console.h)
        konst!(CONSOLEIO_write), konst!(CONSOLEIO_read),
        layout!(XenconsInterface = "struct xencons_interface":
            in_ = "in", out, in_cons, in_prod, out_cons, out_prod),
        vec![Check::new("const IN_SIZE", "sizeof(((struct xencons_interface *)0)->in)",
            XenconsInterface::IN_SIZE as u64)],
        vec![Check::new("const OUT_SIZE", "sizeof(((struct xencons_interface *)0)->out)",
            XenconsInterface::OUT_SIZE as u64)],
        // xenstore.rs (io/xs_wire.h)
        konst!(XENSTORE_RING_SIZE), konst!(XENSTORE_PAYLOAD_MAX), konst!(XENSTORE_ABS_PATH_MAX),
        konst!(XENSTORE_REL_PATH_MAX), konst!(XENSTORE_SERVER_FEATURE_RECONNECTION),
        konst!(XENSTORE_SERVER_FEATURE_ERROR), konst!(XENSTORE_CONNECTED),
        konst!(XENSTORE_RECONNECT), konst!(XENSTORE_ERROR_NONE), konst!(XENSTORE_ERROR_COMM),
        konst!(XENSTORE_ERROR_RINGIDX), konst!(XENSTORE_ERROR_PROTO),
        konst!(XS_CONTROL), konst!(XS_DIRECTORY), konst!(XS_READ), konst!(XS_GET_PERMS),
        konst!(XS_WATCH), konst!(XS_UNWATCH), konst!(XS_TRANSACTION_START),
        konst!(XS_TRANSACTION_END), konst!(XS_INTRODUCE), konst!(XS_RELEASE),
        konst!(XS_GET_DOMAIN_PATH), konst!(XS_WRITE), konst!(XS_MKDIR), konst!(XS_RM),
        konst!(XS_SET_PERMS), konst!(XS_WATCH_EVENT), konst!(XS_ERROR),
        konst!(XS_IS_DOMAIN_INTRODUCED), konst!(XS_RESUME), konst!(XS_SET_TARGET),
        konst!(XS_RESET_WATCHES), konst!(XS_DIRECTORY_PART), konst!(XS_TYPE_COUNT),
        konst!(XS_INVALID), konst!(XS_WATCH_PATH), konst!(XS_WATCH_TOKEN),
        layout!(XsdSockmsg = "struct xsd_sockmsg": type_ = "type", req_id, tx_id, len),
        layout!(XenstoreDomainInterface = "struct xenstore_domain_interface": req, rsp,
            req_cons, req_prod, rsp_cons, rsp_prod, server_features, connection, error),
    ]
    .concat()
}

/// Public items with no C counterpart, and why.
const NOT_IN_HEADERS: &[&str] = &[
    // do_poll() in xen/common/sched/core.c, not a header constant.
    "const SCHED_POLL_MAX_PORTS",
    // struct e820entry is Xen-internal (asm-x86/e820.h), not a public header;
    // its layout is checked at compile time in memory.rs.
    "size E820Entry",
    "align E820Entry",
    "offset E820Entry.addr",
    "size E820Entry.addr",
    "offset E820Entry.size",
    "size E820Entry.size",
    "offset E820Entry.type_",
    "size E820Entry.type_",
    // Compared entry by entry with errno.h's XEN_ERRNO list (both directions).
    "const ALL",
];

#[test]
fn rust_matches_c_headers() {
    let checks = table();
    let extra = format!("#include <string.h>\n{}", support::status::STATUS_SAMPLES);
    let Some(c) = support::run_c(&checks, &extra) else { return };
    println!("Xen headers: interface version {:#010x}", c.interface_version);

    let mut bad = vec![];
    for (check, &c_value) in checks.iter().zip(&c.values) {
        if check.rust != c_value {
            bad.push(format!("{:<55} {:>20} {:>20}   {}", check.label, check.rust, c_value, check.c_expr));
        }
    }
    let rust_errnos: Vec<(String, i32)> = xen_abi::errno::ALL.iter().map(|&(n, v)| (n.to_string(), v)).collect();
    for (name, v) in &c.errnos {
        if !rust_errnos.contains(&(name.clone(), *v)) {
            bad.push(format!("{:<55} {:>20} {:>20}   errno.h", format!("errno {name}"), "missing", v));
        }
    }
    for (name, v) in &rust_errnos {
        if !c.errnos.contains(&(name.clone(), *v)) {
            bad.push(format!("{:<55} {:>20} {:>20}   errno.h", format!("errno {name}"), v, "missing"));
        }
    }
    println!("compared {} values and {} errnos with the C headers", checks.len(), c.errnos.len());
    assert!(
        bad.is_empty(),
        "{} mismatch(es) between xen-abi and the Xen headers:\n{:<55} {:>20} {:>20}   C expression\n{}",
        bad.len(),
        "item",
        "rust",
        "C",
        bad.join("\n")
    );
    support::status::check_status_samples(&c.samples);
}

#[test]
fn every_public_item_is_in_the_table() {
    let have: std::collections::BTreeSet<String> = table().into_iter().map(|c| c.label).collect();
    let missing: Vec<String> = support::required_labels()
        .into_iter()
        .filter(|l| !have.contains(l) && !NOT_IN_HEADERS.contains(&l.as_str()))
        .collect();
    assert!(missing.is_empty(), "public items without a line in table():\n{}", missing.join("\n"));
    // The scan itself must see the crate (guards against a scanner that finds nothing).
    assert!(support::required_labels().len() > 300);
}
