#!/bin/sh
# testbed: dom0
# timeout: 150
# pcpus: 2
#
# smp-selftest: `selftest=smp` on a PVH domU with `vcpus = 4` under a Xen with two
# physical CPUs (QEMU -smp 2: two of the guest's vCPUs really run at once), under both
# event-channel ABIs and both upcall deliveries (FIFO with the callback vector, 2-level
# with the per-vCPU vector, whose APs each enable their own local APIC).
#
# How: for each pair, xl create xenbell-smp.cfg with cmdline "selftest=smp evtchn=<abi>
# upcall=<mode>"; the kernel starts every AP (VCPUOP_initialise + VCPUOP_up), prints
# "xenbell: vcpus online=4 present=4", then checks: every vCPU online, an IPI from every
# vCPU to every other answered (12), each AP's one-shot timer firing on that AP, a port
# moved with EVTCHNOP_bind_vcpu to each vCPU handled there, and all four vCPUs sending
# 300 events at once, each to the next vCPU's port and each awaited, every event
# handled exactly once on its port's vCPU. We require the SUCCESS line of every check and
# of the test, and the online line (present=4 is Xen's own count, VCPUOP_is_up).
#
# Could falsely pass: the kernel's own checks decide; each counts exactly (answers
# against requests, events against sends, the vCPU each ran on) and times out into a
# FAILURE line. Two physical CPUs make true simultaneity likely, not certain.
. /xenbell/testbed/scenario-lib.sh

for pair in fifo:callback 2l:percpu; do
    abi=${pair%:*} mode=${pair#*:}
    name=xenbell-smp-$abi
    sed -e "s/^name *=.*/name = \"$name\"/" \
        -e "s/^cmdline *=.*/cmdline = \"selftest=smp evtchn=$abi upcall=$mode\"/" \
        /xenbell/xl-configs/xenbell-smp.cfg > /tmp/$name.cfg
    guest_create /tmp/$name.cfg
    result=$(guest_selftest "$name" smp 90)
    guest_output "$name" | grep -E "vcpus online|upcall via|evtchn: ABI|selftest:" | sed "s/^/$name: /"
    [ "$result" = SUCCESS ] || fail "$name: selftest smp: $result $(selftest_why "$name" smp)"
    guest_has_line "$name" "xenbell: vcpus online=4 present=4" || fail "$name: no 'vcpus online=4 present=4' line"
    for check in vcpus_online ipi_all_pairs timer_per_vcpu bind_vcpu no_double_delivery; do
        guest_has_line "$name" "selftest: smp/$check: RESULT: SUCCESS" || fail "$name: no SUCCESS line for $check"
    done
done
pass
