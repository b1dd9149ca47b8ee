#!/bin/sh
# testbed: dom0
# timeout: 150
# compat: 4.20
#
# pingpong-guest-leads: the guest leads 1000 rounds (mode=lead) against
# `xenbell-dom0 serve`, times them with Xen's clock, and prints the done line.
#
# How: `xl create xenbell-lead.cfg` (cmdline "mode=lead rounds=1000"); once it published
# its port, `xenbell-dom0 serve --domain xenbell-lead` answers every ping and exits 0
# when the guest writes state=done. Checks: "xenbell: done rounds=1000 ok=1000 rtt_ns
# p50=X p99=Y" with 0 < X <= Y; the serve tool answered exactly as many events as the
# guest received (1000 rounds + the warm-up ping), which the guest's session line shows.
#
# Could falsely pass: the guest counts a round only when an event arrives on its port
# after its ping, which only the bound serve tool can cause.
. /xenbell/testbed/scenario-lib.sh

guest_create /xenbell/xl-configs/xenbell-lead.cfg
wait_guest_line xenbell-lead "xenbell: ready port=" 30 || fail "no 'xenbell: ready' line"
out=$(/xenbell/xenbell-dom0 serve --domain xenbell-lead --timeout-ms 10000) || fail "serve exited $?: $out"
echo "$out"
answered=$(echo "$out" | sed -n 's/^answered \([0-9]*\) events.*/\1/p')
line=$(guest_output xenbell-lead | grep -m 1 "xenbell: done")
echo "$line"
echo "$line" | grep -Eq "xenbell: done rounds=1000 ok=1000 rtt_ns p50=[0-9]+ p99=[0-9]+" || fail "bad done line: '$line'"
p50=$(echo "$line" | sed 's/.*p50=\([0-9]*\).*/\1/'); p99=$(echo "$line" | sed 's/.*p99=\([0-9]*\).*/\1/')
[ "$p50" -gt 0 ] && [ "$p50" -le "$p99" ] || fail "implausible percentiles p50=$p50 p99=$p99"
[ "$(xs_read xenbell-lead data/xenbell/state)" = done ] || [ "$(xs_read xenbell-lead data/xenbell/state)" = ready ] ||
    fail "state is '$(xs_read xenbell-lead data/xenbell/state)'"
wait_guest_line xenbell-lead "session with domain 0: received=$answered " 10 ||
    fail "guest received != $answered answered by serve: $(guest_output xenbell-lead | grep 'session with' | tail -n 1)"
pass
