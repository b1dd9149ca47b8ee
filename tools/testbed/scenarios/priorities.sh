#!/bin/sh
# testbed: dom0
# timeout: 200
#
# priorities: a ping on a high-priority port while dom0 floods another port of the same
# guest with 100,000 events, under FIFO (ping port at priority 0, flood port at Xen's 7)
# and under 2-level (no priorities); prints the ping's round trips (p50/p99) without and
# with the flood for both, so the cost of waiting behind the flood can be compared.
#
# How: for each ABI, `xl create` xenbell.cfg as xenbell-prio-<abi> with "ports=2" (and
# "priority=0 evtchn=fifo", or "evtchn=2l"); under FIFO the guest must say "port P at FIFO
# priority 0". Ports from data/xenbell/ports/{0,1}. `xenbell-dom0 ping --domain <id>
# --port <ports/0> --rounds 300 --json` alone, then again one second after starting
# `xenbell-dom0 flood --domain <id> --port <ports/1> --count 100000` in the background.
# Every ping must complete all rounds and the flood must send all 100,000; the guest must
# not crash. The comparison line is printed, not asserted (no timed assertions: one
# dom0 vCPU under TCG runs both the flood and the ping, so the numbers are noisy).
#
# Could falsely pass: the timing is reported, not checked; if the flood ended before the
# ping started, the "with flood" numbers would be idle ones: the flood's own duration is
# printed next to them, and the ping must have started before it ended (checked by the
# flood still running when the ping returns or the ping taking less than the flood).
. /xenbell/testbed/scenario-lib.sh

summary=""
for abi in fifo 2l; do
    name=xenbell-prio-$abi
    case $abi in fifo) extra="priority=0 evtchn=fifo" ;; 2l) extra="evtchn=2l" ;; esac
    sed -e "s/^name *=.*/name = \"$name\"/" -e "s/^cmdline *=.*/cmdline = \"log=info ports=2 $extra\"/" \
        /xenbell/xl-configs/xenbell.cfg > /tmp/$name.cfg
    guest_create /tmp/$name.cfg
    wait_guest_line $name "xenbell: ready port=[0-9]+ remote=0" 60 || fail "$name: no 'ready' line"
    d=$(guest_domid $name)
    p0=$(xenstore-read /local/domain/$d/data/xenbell/ports/0) || fail "$name: no ports/0"
    p1=$(xenstore-read /local/domain/$d/data/xenbell/ports/1) || fail "$name: no ports/1"
    if [ $abi = fifo ]; then
        guest_has_line $name "pingpong: port $p0 at FIFO priority 0" || fail "$name: port $p0 not at priority 0"
    fi
    idle=$(/xenbell/xenbell-dom0 ping --domain $d --port $p0 --rounds 300 --json 2>&1) || fail "$name: ping exited $?: $idle"
    echo "$name: idle ping: $idle"
    /xenbell/xenbell-dom0 flood --domain $d --port $p1 --count 100000 > /tmp/$name-flood.txt 2>&1 &
    fpid=$!
    sleep 1
    busy=$(/xenbell/xenbell-dom0 ping --domain $d --port $p0 --rounds 300 --json 2>&1) || fail "$name: ping under the flood exited $?: $busy"
    running=no
    kill -0 $fpid 2>/dev/null && running=yes
    wait $fpid || fail "$name: flood exited $?: $(cat /tmp/$name-flood.txt)"
    flood=$(cat /tmp/$name-flood.txt)
    echo "$name: ping under the flood: $busy"
    echo "$name: flood: $flood (still running when the ping ended: $running)"
    echo "$flood" | grep -q "^sent 100000 notifications" || fail "$name: flood did not send 100000: $flood"
    for r in "$idle" "$busy"; do
        echo "$r" | grep -q '"rounds_ok":300,' || fail "$name: a ping lost rounds: $r"
    done
    guest_has_line $name "shutdown reason=crash" && fail "$name: the guest crashed"
    p() { echo "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }
    summary="$summary
priorities: $abi: idle p50=$(p "$idle" p50) p99=$(p "$idle" p99) ns; under the flood p50=$(p "$busy" p50) p99=$(p "$busy" p99) ns (flood still running at the end: $running)"
    guest_destroy $name
done
echo "$summary"
pass
