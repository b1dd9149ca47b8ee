#!/bin/sh
# testbed: dom0
# timeout: 90
#
# xenstore-selftest: the kernel's xenstore client against the real xenstored
# (`selftest=xenstore`): mkdir/write/read/directory, the typed ENOENT of a missing key,
# a 1900-byte value that wraps both 1024-byte rings, watch events, rm, unwatch.
#
# How: `xl create` with cmdline "selftest=xenstore"; the kernel prints one
# "RESULT: SUCCESS|FAILURE" line and powers off or crashes. We require SUCCESS and,
# from dom0, that the kernel's test directory is gone again (its rm worked).
#
# Could falsely pass: only if the kernel's checks were wrong; each value read back is
# compared with what was written, and each awaited watch event has a timeout.
. /xenbell/testbed/scenario-lib.sh

name=xenbell-xs
sed -e "s/^name *=.*/name = \"$name\"/" -e "s/^cmdline *=.*/cmdline = \"selftest=xenstore\"/" \
    /xenbell/xl-configs/xenbell.cfg > /tmp/$name.cfg
guest_create /tmp/$name.cfg
d=$(guest_domid $name)
wait_guest_line $name "RESULT: (SUCCESS|FAILURE)" 60 || fail "no RESULT line within 60 s"
guest_output $name | grep -E "selftest:|RESULT:" | sort -u
guest_has_line $name "RESULT: SUCCESS selftest=xenstore" || fail "$(guest_output $name | grep -m1 'RESULT:')"
xenstore-read /local/domain/$d/data/xenbell/selftest/a > /dev/null 2>&1 && fail "the test directory is still there"
pass
