#!/bin/sh
# testbed: dom0
# timeout: 120
#
# evtchn-selftest: `selftest=evtchn` as a PVH domU, through the real upcall path, with
# both upcall deliveries (per-vCPU vector with EOI, and the HVM callback vector) and
# both event-channel ABIs (FIFO with the per-vCPU vector, 2-level with the callback
# vector: two boots cover both axes; the decoders do not depend on the delivery).
#
# How: for each upcall mode, `xl create xenbell.cfg` with cmdline "selftest=evtchn
# upcall=<mode>" under its own name; the kernel runs its event-channel self test
# (loopback channel, 10,000 notifications each awaited, masked delivery after unmask,
# status of each state, close, a bad port's typed error, VIRQ_TIMER, FIFO priorities or
# their refusal under 2-level), one result line per
# named check and one "selftest: evtchn: RESULT: <R>" line for the whole test
# (docs/protocol.md), then powers off (SUCCESS) or crashes (ERROR, FAILURE). We wait for
# that line (none: CRASH), require SUCCESS with every check's own SUCCESS line, the upcall
# mode we asked for, and check that the guest's PV console log (xenconsoled) holds the
# same lines with Xen-clock timestamps.
#
# Could falsely pass: if the kernel's own checks were wrong; they count handler calls
# against sends exactly, and each step times out into a FAILURE line.
. /xenbell/testbed/scenario-lib.sh

for mode in percpu callback; do
    name=xenbell-st-$mode
    case $mode in
        percpu) want=PerVcpuVector abi=fifo abi_line="evtchn: ABI FIFO .evtchn=fifo;" ;;
        callback) want=CallbackVector abi=2l abi_line="evtchn: ABI 2-level .evtchn=2l;" ;;
    esac
    sed -e "s/^name *=.*/name = \"$name\"/" \
        -e "s/^cmdline *=.*/cmdline = \"selftest=evtchn upcall=$mode evtchn=$abi\"/" \
        /xenbell/xl-configs/xenbell.cfg > /tmp/$name.cfg
    guest_create /tmp/$name.cfg
    result=$(guest_selftest "$name" evtchn 60)
    guest_output "$name" | grep -E "upcall via|evtchn: |selftest:" | sed "s/^/$name: /"
    [ "$result" = SUCCESS ] || fail "$name: selftest evtchn: $result $(selftest_why "$name" evtchn)"
    for check in loopback_status bind_event exact_count masked_then_unmasked close_states drop_closes \
        bad_port timer ipi_channel priority; do
        guest_has_line "$name" "selftest: evtchn/$check: RESULT: SUCCESS" || fail "$name: no SUCCESS line for $check"
    done
    guest_has_line "$name" "upcall via $want" || fail "$name: upcall was not delivered via $want"
    guest_has_line "$name" "$abi_line" || fail "$name: no '$abi_line' line: not the ABI asked for"
    log=/var/log/xen/console/guest-$name.log
    tb_wait 10 grep -q "shutdown reason=poweroff" "$log" ||
        fail "$name: its console log $log lacks 'shutdown reason=poweroff'"
    grep -Eq '^\[ +[0-9]+\.[0-9]{6}\] INFO  selftest: evtchn: RESULT: SUCCESS' "$log" ||
        fail "$name: console log lines are not timestamped: $(grep -m1 'selftest: evtchn: RESULT' "$log")"
done
pass
