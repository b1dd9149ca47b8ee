#!/bin/sh
# testbed: dom0
# timeout: 90
# compat: 4.20
#
# peer-killed: the dom0 peer dies mid-run (SIGKILL, so it cannot unbind politely); the
# guest notices within about a second and serves the next peer.
#
# How: `xl create xenbell.cfg`; `xenbell-dom0 ping --rounds 1000000` in the background;
# once the guest says "xenbell: connected" and rounds have run for a second, SIGKILL it
# (Linux closes its /dev/xen/evtchn, which closes the port, and Xen puts the guest's end
# back to unbound). We poll the guest's console log every 20 ms from the kill on: it must
# print "xenbell: disconnected" within 1.5 s (its peer tracking looks every 100 ms); the
# latency seen is printed. Its session line must show received = answered >= 1. Then a
# new `ping --rounds 200` must complete all rounds, and the guest's second session line
# must read received=200 answered=200.
#
# Could falsely pass: the latency is measured in dom0 (10 ms clock, 20 ms polls, plus
# xenconsoled's delay), so it is an upper bound of the guest's own reaction time, never
# lower. A ping that had already finished before the kill would also disconnect; the
# check that the ping was killed (status 137) rules that out.
. /xenbell/testbed/scenario-lib.sh

log=/var/log/xen/console/guest-xenbell.log
guest_create /xenbell/xl-configs/xenbell.cfg
wait_guest_line xenbell "xenbell: ready port=[0-9]+ remote=0" 30 || fail "no 'xenbell: ready' line"

/xenbell/xenbell-dom0 ping --domain xenbell --rounds 1000000 > /tmp/peer-killed.out 2>&1 &
pid=$!
wait_guest_line xenbell "xenbell: connected remote=0" 10 || fail "the guest did not say connected"
sleep 1   # deliberately: let rounds run, so the kill lands mid-run
grep -q "xenbell: disconnected" "$log" && fail "disconnected before the kill: $(cat /tmp/peer-killed.out)"
kill -KILL $pid
t0=$(tb_cs)
wait $pid
rc=$?
[ "$rc" = 137 ] || fail "ping was not killed mid-run (exit $rc): $(cat /tmp/peer-killed.out)"
until grep -q "xenbell: disconnected" "$log"; do
    [ $(($(tb_cs) - t0)) -lt 500 ] || fail "no 'xenbell: disconnected' within 5 s of the SIGKILL"
    usleep 20000
done
ms=$((($(tb_cs) - t0) * 10))
echo "peer-killed: 'xenbell: disconnected' seen ${ms} ms after the SIGKILL"
[ "$ms" -le 1500 ] || fail "'xenbell: disconnected' came ${ms} ms after the SIGKILL (limit 1500 ms)"
wait_guest_line xenbell "session with domain 0: received=[0-9]+ answered=[0-9]+" 5 || fail "no session line"
line=$(grep -m 1 "session with domain 0:" "$log")
echo "guest: ${line#*INFO  }"
recv=$(echo "$line" | sed -n 's/.*received=\([0-9]*\).*/\1/p')
ans=$(echo "$line" | sed -n 's/.*answered=\([0-9]*\).*/\1/p')
[ "$recv" -ge 1 ] && [ "$ans" = "$recv" ] || fail "killed session: received=$recv answered=$ans"

out=$(/xenbell/xenbell-dom0 ping --domain xenbell --rounds 200 --json 2>&1) || fail "the next ping exited $?: $out"
echo "next ping: $out"
echo "$out" | grep -q '"rounds_ok":200,' || fail "the next ping: not all 200 rounds: $out"
tb_wait 10 sh -c "grep 'session with domain 0:' $log | sed -n 2p | grep -q 'received=200 answered=200'" ||
    fail "second session line: $(grep 'session with' "$log" | sed -n 2p)"
guest_has_line xenbell "shutdown reason=crash" && fail "the guest crashed"
guest_destroy xenbell
pass
