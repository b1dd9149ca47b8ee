#!/bin/sh
# testbed: dom0
# timeout: 300
#
# migrate-follow: `xl migrate` to the same host while `xenbell-dom0 ping --follow` runs;
# the tool follows the guest into its new domain and every round is answered, counted
# alike on both sides.
#
# How: `xl create xenbell.cfg`; `ping --follow --rounds 20000 --json` in the background;
# once the guest says "connected", `xl migrate -s "" xenbell "xl migrate-receive"` (an
# empty -s makes xl run the receiver command itself: a local migration without ssh) must
# exit 0, leaving one domain "xenbell" with another domid that printed "xenbell: resumed"
# (its console log is guest-xenbell--incoming.log: xenconsoled names it at first sight).
# The ping must exit 0 with rounds_ok 20000, rebinds 1, rounds_resent >= 1 (it did cross
# the move) and domid = the new one. The guest's session lines (in both logs: the old
# session is reported by the new domain, after the resume) must add up to 20000 received
# and 20000 answered.
#
# Could falsely pass: a ping that ended before the migration would not cross it: rebinds 1
# and the new domid in its report rule that out. Rounds lost in the move are re-sent, so
# rounds_ok alone would hide a loss: the guest-side sums check that each round was
# received and answered exactly once.
. /xenbell/testbed/scenario-lib.sh

logs="/var/log/xen/console/guest-xenbell.log /var/log/xen/console/guest-xenbell--incoming.log"
rounds=20000
guest_create /xenbell/xl-configs/xenbell.cfg
d1=$(guest_domid xenbell)
wait_guest_line xenbell "xenbell: ready port=[0-9]+ remote=0" 30 || fail "no 'xenbell: ready' line"
/xenbell/xenbell-dom0 ping --domain xenbell --rounds $rounds --follow --json > /tmp/mf.out 2> /tmp/mf.err &
pid=$!
wait_guest_line xenbell "xenbell: connected remote=0" 10 || fail "the guest did not say connected"
echo "+ xl migrate -s \"\" xenbell \"xl migrate-receive\""
guest_migrate xenbell "$d1" "the migration"
d2=$migrated_to
wait $pid
rc=$?
out=$(cat /tmp/mf.out)
echo "ping: $out"
[ "$rc" = 0 ] || fail "ping --follow exited $rc: $(cat /tmp/mf.err)"
echo "$out" | grep -q "\"rounds_ok\":$rounds," || fail "not all $rounds rounds answered"
echo "$out" | grep -q '"rebinds":1,' || fail "the ping did not rebind exactly once"
echo "$out" | grep -q '"rounds_resent":0,' && fail "no round was re-sent: the ping did not cross the move"
echo "$out" | grep -q "\"domid\":$d2}" || fail "the ping did not end on the new domain $d2"
tb_wait 20 grep -q "xenbell: resumed domid=$d2 " $logs 2>/dev/null || fail "no 'xenbell: resumed domid=$d2' line"
tb_wait 10 sh -c "[ \$(cat $logs 2>/dev/null | grep -c 'session with domain 0:') -ge 2 ]" || fail "fewer than 2 session lines"
cat $logs 2>/dev/null | grep -E "xenbell: (suspending|resumed|ready|connected)|session with|jumped"
# shellcheck disable=SC2086 # two log files
sums=$(session_sums $logs)
[ "$sums" = "$rounds $rounds" ] || fail "guest's session sums (received answered) = $sums, expected $rounds $rounds"
cat $logs 2>/dev/null | grep -Eq "shutdown reason=crash|watchdog:|WARN  wait:" && fail "guest trouble: $(cat $logs | grep -E -m 2 'shutdown reason=crash|watchdog:|WARN  wait:')"
guest_destroy xenbell
pass
