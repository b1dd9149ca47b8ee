#!/bin/bash
# testbed: own-boot
# timeout: 150
#
# evtchn-selftest-dom0: `selftest=evtchn` with the kernel booted directly as Xen's PVH
# dom0 (no Linux: seconds instead of a dom0 boot). As dom0 there is no console ring and
# no memory map in the start info: the kernel writes through console_io and asks Xen
# for the memory map (XENMEM_memory_map).
#
# How: runner.py boot-pvh-dom0 with cmdline "selftest=evtchn"; the Xen console must show
# "selftest: evtchn: RESULT: SUCCESS" (docs/protocol.md; no such line: CRASH), the
# kernel's poweroff line and Xen's "Hardware Dom0 halted".
#
# Could falsely pass: as for evtchn-selftest (the kernel judges itself, exactly).
. "$TB_HOST_LIB"

log=$TB_OUT/serial.log
tb_runner boot-pvh-dom0 --cmdline "selftest=evtchn" --log "$log" --timeout 120 \
    --until 'Hardware Dom0 (halted|shutdown|crashed)'
result=$(selftest_result "$log" evtchn)
[ "$result" = SUCCESS ] || fail "selftest evtchn: $result $(grep -m3 -E 'RESULT: (ERROR|FAILURE)' "$log" | tr '\n' ';')"
grep -m 3 -E "console_io|memory map|selftest: evtchn: RESULT" "$log"
grep -q "console: console_io hypercall" "$log" || fail "the kernel did not use console_io as dom0"
grep -q "xenbell: shutdown reason=poweroff" "$log" || fail "no 'xenbell: shutdown reason=poweroff'"
grep -q "Hardware Dom0 halted" "$log" || fail "Xen did not report 'Hardware Dom0 halted'"
pass
