#!/bin/sh
# testbed: dom0
# timeout: 180
#
# ports: `ports=5000` with `max_event_channels = 8192` (xl-configs/xenbell-ports.cfg):
# under FIFO (evtchn=auto) the guest binds ports above 4095, publishes all 5000 as
# data/xenbell/ports/<i>, and every one answers a ping; under 2-level (evtchn=2l) the
# same request is refused with one clear error line and a crash shutdown.
#
# How: xl create the config; wait for "xenbell: ports offered=5000 remote=0 lowest=L
# highest=H" and require H > 4095 (a port the 2-level ABI does not have);
# `xenbell-dom0 ping --ports all --domain xenbell-ports --json` binds every published port (in
# batches of 1024), pings each once and must report answered=5000 with the same
# highest port. Then the same config with `evtchn=2l` added: the guest must print
# "cmdline: key 'ports': bad value '5000': over the 2-level event-channel ABI's ..." as
# its only error line (console log), then "shutdown reason=crash", and publish no ports/.
#
# Could falsely pass: ping --ports counts distinct local ports that fired after its notify; a
# guest that answered on the wrong port would leave another port silent (exit 7). The
# bind-time events are drained first, so they are not counted as answers (a late one
# could be: the guest's own counters are not checked).
. /xenbell/testbed/scenario-lib.sh

guest_create /xenbell/xl-configs/xenbell-ports.cfg
wait_guest_line xenbell-ports "xenbell: ports offered=5000 remote=0 lowest=[0-9]+ highest=[0-9]+" 90 ||
    fail "no 'ports offered=5000' line within 90 s"
line=$(guest_output xenbell-ports | grep -m1 "xenbell: ports offered=")
high=$(echo "$line" | sed -n 's/.*highest=\([0-9]*\).*/\1/p')
echo "guest: ${line#*INFO  }"
guest_has_line xenbell-ports "evtchn: ABI FIFO" || fail "the guest is not on FIFO"
[ "$high" -gt 4095 ] || fail "highest port $high: none above the 2-level ABI's 4095"
out=$(/xenbell/xenbell-dom0 ping --ports all --domain xenbell-ports --json --timeout-ms 5000 2>&1) ||
    fail "ping --ports all exited $?: $out"
echo "ping --ports all: $out"
echo "$out" | grep -q "\"ports\":5000,\"answered\":5000,.*\"highest\":$high," ||
    fail "ping --ports all: not all 5000 ports answered, or not up to port $high: $out"
guest_has_line xenbell-ports "shutdown reason=crash" && fail "the guest crashed"
guest_destroy xenbell-ports

sed -e 's/^name *=.*/name = "xenbell-ports-2l"/' -e 's/^cmdline *= *"\(.*\)"/cmdline = "\1 evtchn=2l"/' \
    /xenbell/xl-configs/xenbell-ports.cfg > /tmp/xenbell-ports-2l.cfg
guest_create /tmp/xenbell-ports-2l.cfg
wait_guest_line xenbell-ports-2l "shutdown reason=crash" 30 || fail "2-level: no crash shutdown within 30 s"
log=/var/log/xen/console/guest-xenbell-ports-2l.log
tb_wait 10 grep -q "shutdown reason=crash" "$log" || fail "2-level: console log $log lacks the crash line"
err=$(grep "ERROR" "$log")
echo "2-level: ${err#*ERROR }"
[ "$(echo "$err" | grep -c "cmdline: key 'ports': bad value '5000': over the 2-level event-channel ABI")" = 1 ] &&
    [ "$(echo "$err" | wc -l)" = 1 ] || fail "2-level: want exactly one error line, the 'ports' one, got: $err"
d=$(guest_domid xenbell-ports-2l)
xenstore-read "/local/domain/$d/data/xenbell/ports/0" > /dev/null 2>&1 && fail "2-level: ports/0 published"
guest_destroy xenbell-ports-2l
pass
