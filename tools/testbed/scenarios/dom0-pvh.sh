#!/bin/bash
# testbed: own-boot
# timeout: 150
#
# dom0-pvh: Xen boots the xenbell kernel directly as a PVH dom0 (no Linux), and the
# kernel comes up and shuts itself down cleanly.
#
# How: runs on the host. `runner.py boot-pvh-dom0` starts QEMU with Xen and
# `dom0=pvh dom0-iommu=none dom0_mem=256M`, the kernel as the only multiboot module, and
# stops it once Xen reports dom0's shutdown (or a fatal line, or after 90 s). Then the
# serial log must hold the banner "xenbell: booting version=" (as "(d0) ..." port-0xe9
# lines or plain console lines), "xenbell: shutdown reason=poweroff", and Xen's
# "Hardware Dom0 halted" (its reaction to SCHEDOP_shutdown(poweroff) from dom0), and
# neither "xenbell: shutdown reason=crash" nor Xen's "Hardware Dom0 crashed".
#
# Could falsely pass: a kernel that prints the shutdown line and powers off without doing
# any work passes; this checks booting and shutting down only, under a different
# dom0-vs-domU environment (no xenstore, no console ring).
. "$TB_HOST_LIB"  # tools/testbed/host-lib.sh

log=$TB_OUT/serial.log
tb_runner boot-pvh-dom0 --cmdline "log=info" --log "$log" --timeout 90 \
    --until 'Hardware Dom0 (halted|shutdown|crashed)'
grep -q "xenbell: booting version=" "$log" ||
    fail "no banner 'xenbell: booting version=' on the Xen console"
grep -m 1 "xenbell: booting version=" "$log"
if grep -q "xenbell: shutdown reason=crash" "$log"; then
    why=$(grep -E "ERROR|panic" "$log" | tail -n 1 | sed 's/^\[ *[0-9.]*\] //')
    fail "xenbell shut down with reason=crash${why:+ after: $why}"
fi
grep -q "Hardware Dom0 crashed" "$log" && fail "Xen reports: Hardware Dom0 crashed"
grep -q "xenbell: shutdown reason=poweroff" "$log" ||
    fail "no 'xenbell: shutdown reason=poweroff' line"
grep -q "Hardware Dom0 halted" "$log" ||
    fail "Xen did not report 'Hardware Dom0 halted' (dom0 did not power off cleanly)"
pass
