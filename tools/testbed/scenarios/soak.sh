#!/bin/sh
# testbed: dom0
# timeout: 1800
# on-request: yes
#
# soak: 1,000,000 ping-pong rounds led by dom0 against one guest, and both sides'
# counters equal at the end. Not part of `make e2e`/`make test` (about 12 minutes under
# TCG at ~1400 rounds/s); run it with `make soak`.
#
# How: `xl create xenbell.cfg`; once it is ready, `xenbell-dom0 ping --domain xenbell
# --rounds 1000000 --timeout-ms 5000 --json` must exit 0 with rounds_ok 1000000 (the
# generous per-round timeout only bounds a lost event, which still fails the run). The
# guest must then print "xenbell: disconnected" and the session line "session with
# domain 0: received=1000000 answered=1000000" (the tool drains the bind-time event, so
# the guest sees exactly one event per round), and must not have crashed. The duration
# (dom0's clock) and rate are printed as the line "soak: ...", which `make soak` shows.
#
# Could falsely pass: the tool counts a round only when its port fires, which only the
# bound guest can cause; the guest counts in its upcall handler. Both counters are
# totals, so an event lost and made up for by a spurious one elsewhere would cancel out,
# but the tool waits for one answer per ping, so a lost one stalls it into exit 7.
. /xenbell/testbed/scenario-lib.sh

rounds=1000000
guest_create /xenbell/xl-configs/xenbell.cfg
wait_guest_line xenbell "xenbell: ready port=[0-9]+ remote=0" 30 || fail "no 'xenbell: ready' line"
echo "soak: $rounds rounds, dom0 leads"
t0=$(tb_cs)
out=$(/xenbell/xenbell-dom0 ping --domain xenbell --rounds $rounds --timeout-ms 5000 --json 2>&1)
rc=$?
cs=$(($(tb_cs) - t0))
echo "ping (exit $rc): $out"
ok=$(echo "$out" | sed -n 's/.*"rounds_ok":\([0-9]*\).*/\1/p')
[ "$rc" = 0 ] || fail "ping exited $rc after $((cs / 100)) s with rounds_ok=$ok: $out"
[ "$ok" = "$rounds" ] || fail "rounds_ok=$ok of $rounds"
wait_guest_line xenbell "session with domain 0: received=[0-9]+ answered=[0-9]+" 10 ||
    fail "no session line from the guest after the run"
line=$(guest_output xenbell | grep -m 1 "session with domain 0:")
echo "guest: $line"
recv=$(echo "$line" | sed -n 's/.*received=\([0-9]*\).*/\1/p')
ans=$(echo "$line" | sed -n 's/.*answered=\([0-9]*\).*/\1/p')
[ "$recv" = "$ok" ] && [ "$ans" = "$ok" ] ||
    fail "counters differ: dom0 rounds_ok=$ok, guest '${line#*pingpong: }'"
guest_has_line xenbell "shutdown reason=crash|FATAL|PANIC" && fail "the guest crashed"
rate=$((rounds * 100 / (cs > 0 ? cs : 1)))
echo "soak: $rounds rounds in $((cs / 100)).$((cs / 10 % 10)) s ($rate rounds/s); dom0 rounds_ok=$ok, guest ${line#*pingpong: }"
guest_destroy xenbell
pass
