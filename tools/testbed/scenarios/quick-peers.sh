#!/bin/sh
# testbed: dom0
# timeout: 150
#
# quick-peers: ten `xenbell-dom0 ping --rounds 20` back to back are ten sessions, never
# merged, although Xen hands every one of them the same dom0 port; and a peer that speaks
# no handshake (`ping --legacy`: plain bind + send) is still answered.
#
# How: `xl create xenbell.cfg`; ten pings of 20 rounds, one right after the other, each
# must exit 0 with rounds_ok 20. The guest's console log must then hold exactly 10
# "xenbell: connected", 10 "xenbell: disconnected" and 10 session lines, each
# "received=20 answered=20". Then `ping --legacy --rounds 20` must get all 20 answers and
# the guest must log a legacy session (its first event opens it; the status check closes
# it) of received=20 answered=20.
#
# Could falsely pass: none known for the count: a merge shows as fewer lines and a
# session line of 40 or more; lines from another guest cannot enter this console log.
# The legacy check relies on --legacy really skipping the handshake (host tests check
# that it writes no peer-state).
. /xenbell/testbed/scenario-lib.sh

log=/var/log/xen/console/guest-xenbell.log
guest_create /xenbell/xl-configs/xenbell.cfg
wait_guest_line xenbell "xenbell: ready port=[0-9]+ remote=0" 30 || fail "no 'xenbell: ready' line"

i=0
while [ $i -lt 10 ]; do
    i=$((i + 1))
    out=$(/xenbell/xenbell-dom0 ping --domain xenbell --rounds 20 --json 2>&1) || fail "ping $i exited $?: $out"
    echo "$out" | grep -q '"rounds_ok":20,' || fail "ping $i: not all 20 rounds: $out"
done
tb_wait 10 sh -c "[ \$(grep -c 'session with domain 0:' $log) -ge 10 ]" ||
    fail "only $(grep -c 'session with domain 0:' "$log") session lines after 10 pings"
c=$(grep -c 'xenbell: connected' "$log")
d=$(grep -c 'xenbell: disconnected' "$log")
s=$(grep -c 'session with domain 0: received=20 answered=20 ' "$log")
echo "quick-peers: connected=$c disconnected=$d sessions(20/20)=$s"
grep 'session with domain 0:' "$log" | sed 's/.*INFO  //' | sort | uniq -c
[ "$c" = 10 ] && [ "$d" = 10 ] && [ "$s" = 10 ] ||
    fail "want 10 connected, 10 disconnected, 10 sessions of 20/20; got $c, $d, $s"
[ "$(xs_read xenbell data/xenbell/guest-state)" = 2 ] || fail "guest-state is '$(xs_read xenbell data/xenbell/guest-state)' after the runs, not 2"

out=$(/xenbell/xenbell-dom0 ping --domain xenbell --rounds 20 --legacy --json 2>&1) || fail "legacy ping exited $?: $out"
echo "legacy: $out"
echo "$out" | grep -q '"rounds_ok":20,' || fail "legacy ping: not all 20 rounds: $out"
wait_guest_line xenbell "legacy session" 5 || fail "the guest did not log a legacy session"
tb_wait 10 sh -c "grep 'session with domain 0:' $log | sed -n 11p | grep -q 'received=20 answered=20'" ||
    fail "legacy session line: $(grep 'session with domain 0:' "$log" | sed -n 11p)"
guest_has_line xenbell "shutdown reason=crash|watchdog:" && fail "the guest reported trouble"
pass
