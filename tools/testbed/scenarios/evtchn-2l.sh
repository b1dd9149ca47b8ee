#!/bin/sh
# testbed: dom0
# timeout: 240
#
# evtchn-2l: the ping-pong, flood and peer-killed scenarios again, with the guest on the
# 2-level event-channel ABI (`evtchn=2l`); the scenarios themselves run under the default
# `evtchn=auto`, which is FIFO on Xen 4.17. One dom0 boot serves both ABIs.
#
# How: runs pingpong-dom0-leads.sh, flood.sh and peer-killed.sh in turn with
# TB_CMDLINE_EXTRA="evtchn=2l" (scenario-lib's guest_create appends it to the xl
# config's cmdline, in a copy), each under its own name evtchn-2l/<name>; each must
# print its own PASS line and exit 0. After each, the guest xenbell's output (xl dmesg)
# must hold "evtchn: ABI 2-level (evtchn=2l; ...", and no domain may be left; the console logs are
# moved aside before the next one (as job-e2e.sh does between scenarios), since the
# scenarios read the first matching line of guest-xenbell.log.
#
# Could falsely pass: if TB_CMDLINE_EXTRA were not applied the sub-scenarios would pass
# under FIFO: the ABI line in each guest's log rules that out.
. /xenbell/testbed/scenario-lib.sh

for s in pingpong-dom0-leads flood peer-killed; do
    out=/tmp/tb-2l-$s.txt
    TB_CMDLINE_EXTRA="evtchn=2l" TB_SCENARIO="evtchn-2l/$s" TB_OUT=$TB_OUT sh /xenbell/scenarios/$s.sh > "$out" 2>&1
    rc=$?
    sed "s/^/  $s | /" "$out"
    grep -q "^PASS evtchn-2l/$s\$" "$out" && [ $rc -eq 0 ] || fail "$s under evtchn=2l: exit $rc, $(grep -m1 '^FAIL' "$out")"
    # Printed before the PV console is up: in xl dmesg (port 0xe9), not the console log.
    guest_has_line xenbell "evtchn: ABI 2-level .evtchn=2l;" ||
        fail "$s: guest xenbell never said 'evtchn: ABI 2-level (evtchn=2l; ...': TB_CMDLINE_EXTRA not applied"
    left=$(xl list | awk 'NR > 2 { print $1 }' | tr '\n' ' ')
    [ -z "$left" ] || fail "$s left domains running: $left"
    mkdir -p "$TB_OUT/$s"
    mv /var/log/xen/console/guest-*.log "$TB_OUT/$s/" 2>/dev/null
done
pass
