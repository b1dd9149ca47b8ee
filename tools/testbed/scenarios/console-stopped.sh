#!/bin/sh
# testbed: dom0
# timeout: 120
#
# console-stopped: a console daemon that stops reading never stops the ping-pong. The
# guest writes its PV console ring as far as it has room and drops (and counts) the rest;
# it never waits for xenconsoled. Once xenconsoled reads again, the guest reports the
# loss in one line: "[console: N bytes dropped while xenconsoled did not read]".
#
# How: `xl create xenbell.cfg`, wait for "xenbell: ready"; `kill -STOP` xenconsoled
# (pidof); 20 `xenbell-dom0 ping --rounds 5` (each session logs connected, disconnected and
# a session line, ~180 bytes, so together they overfill the 2 KiB ring); then
# `ping --rounds 200 --json` with the default timeout (1 s per round) must answer all 200
# rounds. The guest's session line for those 200 rounds must be in its port-0xe9 output
# (xl dmesg) but not in its console log, which proves the ring was full while they ran.
# Then `kill -CONT`, one more `ping --rounds 5` (a line to write once the ring has room):
# the console log must get the dropped-bytes line with N > 0, and the session line of
# that last ping after it. xenconsoled is resumed on every exit (trap), or every later
# scenario would lose its guests' console logs.
#
# Could falsely pass: a guest that waited less than the ping's 1 s timeout per line would
# still pass the 200 rounds; the old 1 s wait per line did not, and "no wait" is what the
# code says, not what this measures. N is the guest's own count, checked only for > 0.
. /xenbell/testbed/scenario-lib.sh

log=/var/log/xen/console/guest-xenbell.log
cpid=$(pidof xenconsoled) || fail "no xenconsoled running"
trap 'kill -CONT $cpid 2>/dev/null; guest_destroy_all' EXIT

guest_create /xenbell/xl-configs/xenbell.cfg
wait_guest_line xenbell "xenbell: ready port=[0-9]+ remote=0" 30 || fail "no 'xenbell: ready' line"
tb_wait 10 grep -q "xenbell: ready" "$log" || fail "xenconsoled did not log the guest's ready line"

echo "+ kill -STOP $cpid (xenconsoled)"
kill -STOP "$cpid" || fail "cannot stop xenconsoled ($cpid)"
i=0
while [ $i -lt 20 ]; do
    out=$(/xenbell/xenbell-dom0 ping --domain xenbell --rounds 5 2>&1) || fail "short ping $i exited $?: $out"
    usleep 300000   # let the guest notice the disconnect (it looks every 100 ms)
    i=$((i + 1))
done
echo "20 short pings done with xenconsoled stopped"
t0=$(tb_cs)
out=$(/xenbell/xenbell-dom0 ping --domain xenbell --rounds 200 --json 2>&1) || fail "ping --rounds 200 exited $?: $out"
echo "ping --rounds 200 ($(( ($(tb_cs) - t0) * 10 )) ms): $out"
echo "$out" | grep -q '"rounds_ok":200,' || fail "not all 200 rounds answered: $out"
tb_wait 10 guest_has_line xenbell "session with domain 0: received=200 answered=200" ||
    fail "the guest did not report the 200-round session (port 0xe9)"

echo "+ kill -CONT $cpid (xenconsoled)"
kill -CONT "$cpid" || fail "cannot resume xenconsoled ($cpid)"
usleep 500000   # let it drain the ring into the log
grep -q "received=200 answered=200" "$log" &&
    fail "the 200-round session line reached the console log: the ring was never full"
out=$(/xenbell/xenbell-dom0 ping --domain xenbell --rounds 5 2>&1) || fail "the ping after resuming exited $?: $out"
tb_wait 10 sh -c "sed -n '/bytes dropped while xenconsoled/,\$p' $log | grep -q 'received=5 answered=5'" ||
    fail "no dropped-bytes line followed by a session line in the console log: $(tail -n 5 "$log")"
note=$(grep -m 1 -E "\[console: [0-9]+ bytes dropped while xenconsoled did not read\]" "$log") ||
    fail "no dropped-bytes line in the console log: $(tail -n 5 "$log")"
echo "guest: $note"
n=$(echo "$note" | sed -n 's/.*\[console: \([0-9]*\) bytes dropped.*/\1/p')
[ "$n" -gt 0 ] || fail "dropped-bytes line with N=$n"
guest_has_line xenbell "shutdown reason=crash" && fail "the guest crashed"
guest_destroy xenbell
pass
