#!/bin/sh
# testbed: dom0
# timeout: 90
#
# xenstore-selftest: the kernel's xenstore client against the real xenstored
# (`selftest=xenstore`): mkdir/write/read/directory, the typed ENOENT of a missing key,
# a 1900-byte value that wraps both 1024-byte rings, a transaction, a reconnect on the
# HVM params' ring and port, watch events, rm, unwatch.
#
# How: `xl create` with cmdline "selftest=xenstore"; the kernel prints one result line
# per named check and one "selftest: xenstore: RESULT: <R>" line (docs/protocol.md), and
# powers off or crashes. We require SUCCESS (no line: CRASH) with 11 checks and, from
# dom0, that the kernel's test directory is gone again (its rm worked).
#
# Could falsely pass: only if the kernel's checks were wrong; each value read back is
# compared with what was written, and each awaited watch event has a timeout.
. /xenbell/testbed/scenario-lib.sh

name=xenbell-xs
sed -e "s/^name *=.*/name = \"$name\"/" -e "s/^cmdline *=.*/cmdline = \"selftest=xenstore\"/" \
    /xenbell/xl-configs/xenbell.cfg > /tmp/$name.cfg
guest_create /tmp/$name.cfg
d=$(guest_domid $name)
result=$(guest_selftest $name xenstore 60)
guest_output $name | grep -E "selftest:" | sort -u
[ "$result" = SUCCESS ] || fail "selftest xenstore: $result $(selftest_why $name xenstore)"
guest_has_line $name "selftest: xenstore: RESULT: SUCCESS: 11 checks: 11 SUCCESS" || fail "not 11 checks"
xenstore-read /local/domain/$d/data/xenbell/selftest/a > /dev/null 2>&1 && fail "the test directory is still there"
pass
