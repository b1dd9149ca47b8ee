#!/bin/sh
# testbed: dom0
# timeout: 600
#
# migrate-ten: ten local `xl migrate`s in a row, with `xenbell-dom0 ping --follow`
# running across them; at the end the rounds counted by dom0 and by the guest are equal.
#
# How: `xl create xenbell.cfg`; `ping --follow --rounds 40000 --json` in the background;
# then ten times `xl migrate -s "" xenbell "xl migrate-receive"`, each must exit 0 and
# leave "xenbell" under a new domid (incarnation one higher each time, from the
# "resumed" lines). When the background ping ends (it crosses as many moves as its
# rounds last for; at least one is required: rebinds >= 1) it must have all its rounds
# answered. A last `ping --rounds 1000` against the tenth domain must answer all 1000.
# The guest's session lines, summed over its console logs (guest-xenbell.log and
# guest-xenbell--incoming.log, which every incoming domain appends to), must equal the
# two pings' rounds_ok added, for received and for answered alike.
#
# Could falsely pass: a move the background ping did not cross is still checked by the
# final ping on the last domain, and each move by its own "resumed" line with a new domid.
. /xenbell/testbed/scenario-lib.sh

logs="/var/log/xen/console/guest-xenbell.log /var/log/xen/console/guest-xenbell--incoming.log"
rounds=40000
guest_create /xenbell/xl-configs/xenbell.cfg
wait_guest_line xenbell "xenbell: ready port=[0-9]+ remote=0" 30 || fail "no 'xenbell: ready' line"
/xenbell/xenbell-dom0 ping --domain xenbell --rounds $rounds --follow --json > /tmp/mt.out 2> /tmp/mt.err &
pid=$!
wait_guest_line xenbell "xenbell: connected remote=0" 10 || fail "the guest did not say connected"
prev=$(guest_domid xenbell)
for i in 1 2 3 4 5 6 7 8 9 10; do
    guest_migrate xenbell "$prev" "migration $i"
    d=$migrated_to
    tb_wait 30 grep -q "xenbell: resumed domid=$d incarnation=$((i + 1))" $logs 2>/dev/null ||
        fail "migration $i: no 'xenbell: resumed domid=$d incarnation=$((i + 1))'"
    prev=$d
done
wait $pid
rc=$?
out=$(cat /tmp/mt.out)
echo "follow ping: $out"
[ "$rc" = 0 ] || fail "ping --follow exited $rc: $(cat /tmp/mt.err)"
echo "$out" | grep -q "\"rounds_ok\":$rounds," || fail "ping --follow: not all $rounds rounds answered"
echo "$out" | grep -q '"rebinds":0,' && fail "ping --follow crossed no migration"
tb_wait 30 sh -c "grep -q 'xenbell: ready port=' /var/log/xen/console/guest-xenbell--incoming.log && \
    [ \"\$(xenstore-read /local/domain/$prev/data/xenbell/state)\" = ready ]" || fail "the last domain is not ready"
last=$(/xenbell/xenbell-dom0 ping --domain xenbell --rounds 1000 --json 2>&1) || fail "last ping exited $?: $last"
echo "last ping: $last"
echo "$last" | grep -q '"rounds_ok":1000,' || fail "last ping: not all 1000 rounds"
want=$((rounds + 1000))
# shellcheck disable=SC2086 # two log files
sums_are() { [ "$(session_sums $logs)" = "$want $want" ]; }
tb_wait 20 sums_are ||
    fail "guest's session sums: $(session_sums $logs), expected $want $want"
cat $logs | grep -E "session with|resumed"
cat $logs 2>/dev/null | grep -Eq "shutdown reason=crash|watchdog:|WARN  wait:" && fail "guest trouble: $(cat $logs | grep -E -m 2 'shutdown reason=crash|watchdog:|WARN  wait:')"
guest_destroy xenbell
pass
