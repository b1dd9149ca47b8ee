#!/bin/sh
# testbed: dom0
# timeout: 90
#
# xenstore-stopped: what needs nothing from xenstore does not touch it. With xenstored
# stopped (SIGSTOP: it holds its connections, answers nothing), `xenbell-dom0 ping
# --domain <id> --port <p>` still runs all its rounds; a command that does need xenstore
# gives the documented exit 8 (xenstore failed) naming the path, not an undocumented 1.
#
# How: `xl create xenbell.cfg`; its id and published port are read while xenstored runs.
# Then `kill -STOP` xenstored (pid from /var/run/xenstored.pid), with a trap that sends
# SIGCONT on every exit path before the lib destroys the guests (xl needs xenstored), so
# the later scenarios see a working xenstore. While stopped: `ping --domain <id> --port
# <p> --rounds 50` must exit 0 with 50/50 rounds; `ping --domain <id> --rounds 1` (the
# port must be looked up) must exit 8 with "/local/domain/<id>: cannot read: xenstored
# did not answer" (after the tool's 5 s reply timeout). After SIGCONT the same ping
# without --port must work again (xenstored not broken by the test).
#
# Could falsely pass: if xenstored were not really stopped the first ping would pass
# anyway; the exit-8 check (same id, no --port) proves it was stopped at that moment, and
# the state letter of its /proc/<pid>/stat ('T') is checked before and printed.
. /xenbell/testbed/scenario-lib.sh

pid=$(cat /var/run/xenstored.pid 2>/dev/null)
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || fail "no running xenstored (pid '$pid')"
resume() {
    kill -CONT "$pid" 2>/dev/null
    guest_destroy_all
}
trap resume EXIT

guest_create /xenbell/xl-configs/xenbell.cfg
d=$(guest_domid xenbell)
wait_guest_line xenbell "xenbell: ready port=[0-9]+ remote=0" 30 || fail "no 'xenbell: ready' line"
port=$(xs_read xenbell data/xenbell/port)
[ -n "$port" ] || fail "no data/xenbell/port"
echo "guest d$d port $port; stopping xenstored (pid $pid)"

# fail() shows guest output, which asks xl, which needs xenstored: resume it first.
sfail() {
    kill -CONT "$pid" 2>/dev/null
    fail "$@"
}
kill -STOP "$pid" || sfail "kill -STOP $pid failed"
state=$(awk '{ print $3 }' "/proc/$pid/stat")
echo "xenstored state: $state"
[ "$state" = T ] || sfail "xenstored is not stopped (state '$state')"

out=$(/xenbell/xenbell-dom0 ping --domain "$d" --port "$port" --rounds 50 2>&1)
rc=$?
echo "ping --domain $d --port $port: exit $rc: $out"
[ "$rc" = 0 ] || sfail "ping --domain $d --port $port with xenstored stopped: exit $rc: $out"
echo "$out" | grep -q "^domain $d port $port: 50/50 rounds" || sfail "ping with xenstored stopped: $out"

out=$(/xenbell/xenbell-dom0 ping --domain "$d" --rounds 1 2>&1)
rc=$?
echo "ping --domain $d (no --port): exit $rc: $out"
[ "$rc" = 8 ] || sfail "ping --domain $d without --port, xenstored stopped: exit $rc, expected 8: $out"
echo "$out" | grep -q "^xenbell-dom0: /local/domain/$d: cannot read: xenstored did not answer" ||
    sfail "ping --domain $d without --port, xenstored stopped: message: $out"

kill -CONT "$pid" || fail "kill -CONT $pid failed"
out=$(/xenbell/xenbell-dom0 ping --domain "$d" --rounds 20 2>&1) || fail "ping after SIGCONT: exit $?: $out"
echo "after SIGCONT: $out"
guest_destroy xenbell
pass
