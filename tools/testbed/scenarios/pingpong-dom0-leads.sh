#!/bin/sh
# testbed: dom0
# timeout: 150
# compat: 4.20
#
# pingpong-dom0-leads: dom0 leads 1000 rounds with `xenbell-dom0 ping`; the guest
# answers every one; then a second `ping` run against the same guest (not restarted).
#
# How: `xl create xenbell.cfg`; wait for "xenbell: ready port=P remote=0" and check P
# against data/xenbell/port in xenstore; `xenbell-dom0 ping --domain xenbell --rounds
# 1000 --json` must exit 0 with rounds_ok 1000. The guest must then report
# "xenbell: connected", "xenbell: disconnected" and a session line whose received and
# answered counts both equal the tool's rounds_ok (counters equal on both sides). A
# second run (200 rounds) must also be all answered and accounted, same domid. The guest
# must print no "watchdog:" line (its main loop never stalled) and no "WARN  wait:" line.
#
# Could falsely pass: the tool's rounds_ok counts events on its port, which only the
# guest can raise once bound; the guest's counts come from its upcall handler.
. /xenbell/testbed/scenario-lib.sh

guest_create /xenbell/xl-configs/xenbell.cfg
d=$(guest_domid xenbell)
wait_guest_line xenbell "xenbell: ready port=[0-9]+ remote=0" 30 || fail "no 'xenbell: ready' line"
p=$(guest_output xenbell | sed -n 's/.*xenbell: ready port=\([0-9]*\).*/\1/p' | head -n 1)
[ "$(xs_read xenbell data/xenbell/port)" = "$p" ] || fail "xenstore port '$(xs_read xenbell data/xenbell/port)' != console port $p"
[ "$(xs_read xenbell data/xenbell/state)" = ready ] || fail "state is '$(xs_read xenbell data/xenbell/state)', not ready"

run=0
for rounds in 1000 200; do
    run=$((run + 1))
    out=$(/xenbell/xenbell-dom0 ping --domain xenbell --rounds $rounds --json) || fail "run $run: ping exited $?: $out"
    echo "run $run: $out"
    ok=$(echo "$out" | sed -n 's/.*"rounds_ok":\([0-9]*\).*/\1/p')
    [ "$ok" = "$rounds" ] || fail "run $run: rounds_ok=$ok of $rounds"
    wait_guest_line xenbell "session with domain 0: received=$rounds answered=$rounds" 10 ||
        fail "run $run: guest session counts do not match $rounds: $(guest_output xenbell | grep 'session with' | tail -n 1)"
    # Count in the console log only (guest_output also holds the port-0xe9 copies).
    n=$(grep -c 'xenbell: disconnected' /var/log/xen/console/guest-xenbell.log)
    [ "$n" = $run ] || fail "run $run: $n 'disconnected' lines in the console log, expected $run"
done
[ "$(guest_domid xenbell)" = "$d" ] || fail "the guest was restarted"
guest_output xenbell | grep -E "connected|session"
# Its main loop never stalled (the watchdog speaks only then) and no wait ended on the
# timer-event bound instead of the clock.
guest_has_line xenbell "watchdog:|WARN  wait:" && fail "the guest reported trouble: $(guest_output xenbell | grep -E -m 2 'watchdog:|WARN  wait:')"
pass
