#!/bin/sh
# testbed: dom0
# timeout: 90
#
# two-binders: two `xenbell-dom0 ping` started at once against the same guest port:
# exactly one wins, the other is refused with exit 6 and a message that says why.
#
# How: `xl create xenbell.cfg`; two `xenbell-dom0 ping --rounds 2000 --json` started
# together in the background (2000 rounds take over a second under TCG, so the winner
# still holds the port when the loser binds). A port can be bound once: Xen refuses the
# second EVTCHNOP_bind_interdomain (EINVAL). One must exit 0 with rounds_ok 2000, the
# other 6, and its stderr must name the port and the domain and say the port is already
# bound (by whom: the tool asks Xen with EVTCHNOP_status), not merely "refused". The
# guest must show a single session, received=2000 answered=2000.
#
# Could falsely pass: if the two did not overlap, both would succeed and we fail (not
# pass); the message check is on wording, so it proves the tool's diagnosis reads right
# on this Xen, not that every cause of EINVAL is told apart.
. /xenbell/testbed/scenario-lib.sh

log=/var/log/xen/console/guest-xenbell.log
guest_create /xenbell/xl-configs/xenbell.cfg
d=$(guest_domid xenbell)
wait_guest_line xenbell "xenbell: ready port=[0-9]+ remote=0" 30 || fail "no 'xenbell: ready' line"
p=$(xs_read xenbell data/xenbell/port)

/xenbell/xenbell-dom0 ping --domain xenbell --rounds 2000 --json > /tmp/tb-a.out 2> /tmp/tb-a.err &
a=$!
/xenbell/xenbell-dom0 ping --domain xenbell --rounds 2000 --json > /tmp/tb-b.out 2> /tmp/tb-b.err &
b=$!
wait $a; ra=$?
wait $b; rb=$?
for x in a b; do
    eval "echo \"ping $x: exit \$r$x\""
    sed "s/^/  $x stdout: /" /tmp/tb-$x.out; sed "s/^/  $x stderr: /" /tmp/tb-$x.err
done
case "$ra $rb" in
    "0 6") win=a lose=b ;;
    "6 0") win=b lose=a ;;
    *) fail "exit statuses $ra and $rb, expected one 0 and one 6" ;;
esac
grep -q '"rounds_ok":2000,' /tmp/tb-$win.out || fail "the winner did not complete 2000 rounds"
msg=$(cat /tmp/tb-$lose.err)
echo "two-binders: ping $win won (exit 0), ping $lose refused (exit 6): $msg"
echo "$msg" | grep -q "domain $d (xenbell) port $p: cannot bind" || fail "refusal does not name domain $d port $p first: $msg"
echo "$msg" | grep -qi "already bound" || fail "refusal does not say the port is already bound: $msg"
grep -q panicked /tmp/tb-a.err /tmp/tb-b.err && fail "a tool panicked"
wait_guest_line xenbell "session with domain 0: received=2000 answered=2000" 10 ||
    fail "guest session line: $(grep 'session with' "$log" | tail -n 1)"
n=$(grep -c "xenbell: connected" "$log")
[ "$n" = 1 ] || fail "$n 'connected' lines in the guest's log, expected 1"
guest_destroy xenbell
pass
