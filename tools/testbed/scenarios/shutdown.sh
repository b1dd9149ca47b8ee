#!/bin/sh
# testbed: dom0
# timeout: 150
# compat: 4.20
#
# shutdown: xenbell obeys the toolstack's control/shutdown.
#
# How: (1) `xenstore-write .../control/shutdown bogus`: one warning naming the value, no
# ack, and the guest keeps serving (a ping of 20 rounds all answered); the features
# control/feature-poweroff and feature-reboot read 1. (2) a `ping --rounds 1000000`
# runs when `xl shutdown xenbell` comes: the ping must exit 7 with a message saying the
# guest shut down (leaving="poweroff"); `xl shutdown` returns 0 and the console shows
# "xenbell: shutdown reason=poweroff". (3) a new guest and `xl shutdown -w xenbell`
# with no peer: returns 0 within 5 s, with the console line; the domain is gone.
#
# Could falsely pass: a guest that crashed would also leave, but its console line reads
# reason=crash, and xl shutdown -w would not return 0 without the ack. The ping's exit
# 7 alone also means a timeout: its message is checked for "shut down".
. /xenbell/testbed/scenario-lib.sh

log=/var/log/xen/console/guest-xenbell.log
guest_create /xenbell/xl-configs/xenbell.cfg
wait_guest_line xenbell "xenbell: ready port=[0-9]+ remote=0" 30 || fail "no 'xenbell: ready' line"
d=$(guest_domid xenbell)
for f in poweroff reboot; do
    [ "$(xenstore-read /local/domain/$d/control/feature-$f)" = 1 ] || fail "control/feature-$f is not 1"
done

# (1) a bogus request
xenstore-write /local/domain/$d/control/shutdown bogus || fail "xenstore-write failed"
wait_guest_line xenbell "control/shutdown: unknown request 'bogus'" 5 || fail "no warning for 'bogus'"
out=$(/xenbell/xenbell-dom0 ping --domain xenbell --rounds 20 --json 2>&1) || fail "ping after bogus exited $?: $out"
echo "$out" | grep -q '"rounds_ok":20,' || fail "ping after bogus: $out"
n=$(grep -c 'unknown request' "$log")
[ "$n" = 1 ] || fail "$n warnings for one bogus request"
[ "$(xenstore-read /local/domain/$d/control/shutdown)" = bogus ] || fail "the bogus request was acked"

# (2) xl shutdown during a ping
/xenbell/xenbell-dom0 ping --domain xenbell --rounds 1000000 > /tmp/shutdown-ping.out 2>&1 &
pid=$!
tb_wait 10 sh -c "[ \$(grep -c 'xenbell: connected' $log) -ge 2 ]" || fail "the ping did not connect"
sleep 1
t0=$(tb_cs)
xl shutdown xenbell || fail "xl shutdown exited $?"
echo "xl shutdown returned after $((($(tb_cs) - t0) * 10)) ms"
wait $pid
rc=$?
echo "ping (exit $rc): $(tail -n 1 /tmp/shutdown-ping.out)"
[ "$rc" = 7 ] || fail "the ping exited $rc, not 7: $(cat /tmp/shutdown-ping.out)"
grep -q 'shut down (leaving="poweroff")' /tmp/shutdown-ping.out || fail "the ping did not name the shutdown: $(cat /tmp/shutdown-ping.out)"
grep -q "xenbell: shutdown reason=poweroff" "$log" || fail "no 'shutdown reason=poweroff' line"
tb_wait 10 sh -c "! xl domid xenbell >/dev/null 2>&1" || fail "the domain is still there after xl shutdown"

# (3) xl shutdown -w with no peer
guest_create /xenbell/xl-configs/xenbell.cfg
tb_wait 30 sh -c "[ \$(grep -c 'xenbell: ready' $log) -ge 2 ]" || fail "the second guest did not get ready"
t0=$(tb_cs)
xl shutdown -w xenbell || fail "xl shutdown -w exited $?"
ms=$((($(tb_cs) - t0) * 10))
echo "xl shutdown -w returned 0 after $ms ms"
[ "$ms" -le 5000 ] || fail "xl shutdown -w took $ms ms (limit 5000)"
[ "$(grep -c 'xenbell: shutdown reason=poweroff' "$log")" = 2 ] || fail "no second 'shutdown reason=poweroff' line"
pass
