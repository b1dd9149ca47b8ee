#!/bin/sh
# testbed: dom0
# timeout: 120
#
# idle: a guest with no peer costs nothing: no xenstore requests and at most about one
# wake-up a second.
#
# How: `xl create xenbell.cfg`; wait for "xenbell: ready"; leave it alone for 10 s; then
# one `ping --rounds 5`. When that peer's request wakes it, the guest takes its own
# counters (vCPU wake-ups from `hlt`, xenstore requests sent) before it answers, and logs
# them as "pingpong: idle for <ms> ms: wakeups=<n> xenstore_requests=<n>" when the
# session opens: reporting costs nothing while idle. We require idle >= 9000 ms,
# xenstore_requests=0 and wakeups <= idle seconds + 3 (the wake-up that ended it, a
# console notification or two). The same line for the time between two sessions is
# checked after a second 5 s pause.
#
# Could falsely pass: the counters are the guest's own. wakeups counts every return from
# `hlt` inside a wait (each interrupt that woke the vCPU), requests every request the
# xenstore client sent; an idle loop that spun without halting would show no wake-ups
# but would also never reach the idle state the line reports on (it is logged only from
# the main loop's wait).
. /xenbell/testbed/scenario-lib.sh

guest_create /xenbell/xl-configs/xenbell.cfg
wait_guest_line xenbell "xenbell: ready port=[0-9]+ remote=0" 30 || fail "no 'xenbell: ready' line"
check_idle() {  # N MIN_MS: the N-th idle line
    line=$(guest_output xenbell | grep 'pingpong: idle for' | sed -n "$1p")
    echo "guest: ${line#*INFO  }"
    ms=$(echo "$line" | sed -n 's/.*idle for \([0-9]*\) ms.*/\1/p')
    w=$(echo "$line" | sed -n 's/.*wakeups=\([0-9]*\).*/\1/p')
    r=$(echo "$line" | sed -n 's/.*xenstore_requests=\([0-9]*\).*/\1/p')
    [ -n "$ms" ] && [ -n "$w" ] && [ -n "$r" ] || fail "no idle line $1: '$line'"
    [ "$ms" -ge "$2" ] || fail "idle line $1: only $ms ms idle, want >= $2"
    [ "$r" = 0 ] || fail "idle line $1: $r xenstore requests while idle"
    [ "$w" -le $((ms / 1000 + 3)) ] || fail "idle line $1: $w wake-ups in $ms ms (more than one a second)"
}
sleep 10
out=$(/xenbell/xenbell-dom0 ping --domain xenbell --rounds 5 --json 2>&1) || fail "ping 1 exited $?: $out"
wait_guest_line xenbell "pingpong: idle for" 5 || fail "no idle line after the first ping"
check_idle 1 9000
sleep 5
out=$(/xenbell/xenbell-dom0 ping --domain xenbell --rounds 5 --json 2>&1) || fail "ping 2 exited $?: $out"
tb_wait 5 sh -c "[ \$(grep -c 'pingpong: idle for' /var/log/xen/console/guest-xenbell.log) -ge 2 ]" ||
    fail "no idle line after the second ping"
check_idle 2 4000
pass
