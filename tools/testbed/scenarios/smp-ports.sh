#!/bin/sh
# testbed: dom0
# timeout: 180
# pcpus: 2
#
# smp-ports: the ping-pong across vCPUs. xenbell with `vcpus = 4` and `ports=8`
# (xl-configs/xenbell-smp.cfg) under a Xen with two physical CPUs binds ports/<i> to vCPU
# i mod 4; `xenbell-dom0 ping --ports all --rounds 300` pings all eight ports at once; the
# counters of every port must agree on both sides. Under both event-channel ABIs.
#
# How: for evtchn=fifo and evtchn=2l, xl create the config (cmdline + " evtchn=<abi>"),
# wait for "xenbell: vcpus online=4 present=4" and "xenbell: ports offered=8"; run the
# multi-port ping with --json: every port must report rounds=300 answered=300 and the
# total 2400 rounds. After the tool exits (its ports unbound), the guest's main loop
# closes each port's session within its status tick and prints, per extra port,
# "ports/<i> (port <p>, vcpu <v>): session with domain 0 closed: received=R answered=A":
# R and A must equal the tool's 300 for every port, v must be i mod 4; port 0 (the
# ping-pong port) reports its legacy session's "received=300 answered=300".
# Then, under FIFO (with `priority=0` on the ping-pong port), `xl save` + `xl restore`: in
# the new domain the guest offers all 8 ports again ("ports offered=8" a second time),
# applies the priority again, and a second multi-port ping (100 rounds) is answered on
# every port: the APs' IPI and timer ports and the per-vCPU state were rebuilt.
#
# Could falsely pass: the guest's counters are its own; a port answered from the wrong
# vCPU would still count (the vCPU in its line is where it was bound, which the smp
# self test checks is where it is handled).
. /xenbell/testbed/scenario-lib.sh

ROUNDS=300
for abi in fifo 2l; do
    name=xenbell-smp-$abi
    extra="evtchn=$abi"
    [ $abi = fifo ] && extra="$extra priority=0"
    sed -e "s/^name *=.*/name = \"$name\"/" -e "s/^cmdline *= *\"\(.*\)\"/cmdline = \"\1 $extra\"/" \
        /xenbell/xl-configs/xenbell-smp.cfg > /tmp/$name.cfg
    guest_create /tmp/$name.cfg
    wait_guest_line "$name" "xenbell: ports offered=8 remote=0" 40 || fail "$name: no 'ports offered=8' line within 40 s"
    guest_has_line "$name" "xenbell: vcpus online=4 present=4" || fail "$name: not every vCPU online"
    out=$(/xenbell/xenbell-dom0 ping --ports all --domain "$name" --rounds $ROUNDS --json --timeout-ms 5000 2>&1) ||
        fail "$name: ping --ports all --rounds $ROUNDS exited $?: $out"
    echo "$name: ping --ports all: $out" | cut -c 1-400
    echo "$out" | grep -q "\"ports\":8,\"answered\":8," || fail "$name: not every port answered all rounds: $out"
    echo "$out" | grep -q "\"total_rounds\":$((8 * ROUNDS))," || fail "$name: total rounds not $((8 * ROUNDS)): $out"
    per_port=$(echo "$out" | grep -o '{"index":[0-9]*,"port":[0-9]*,"rounds":[0-9]*,"answered":[0-9]*')
    [ "$(echo "$per_port" | grep -c .)" = 8 ] || fail "$name: want 8 per_port entries: $per_port"
    for i in 1 2 3 4 5 6 7; do
        wait_guest_line "$name" "ports/$i \(port [0-9]+, vcpu [0-9]+\): session with domain 0 closed" 10 ||
            fail "$name: ports/$i: no 'session ... closed' line within 10 s of the tool's exit"
    done
    wait_guest_line "$name" "pingpong: session with domain 0: received=" 10 || fail "$name: port 0's session did not close"
    guest_output "$name" | grep -E "session with domain 0" | awk '!seen[$0]++' | sed "s/^/$name: /"
    echo "$per_port" | while IFS=, read -r index port rounds answered; do
        i=${index#*:} p=${port#*:} r=${rounds#*:} a=${answered#*:}
        [ "$r" = $ROUNDS ] && [ "$a" = $ROUNDS ] || { echo "tool: port $p (ports/$i): rounds=$r answered=$a"; exit 1; }
        if [ "$i" = 0 ]; then
            guest_has_line "$name" "session with domain 0: received=$ROUNDS answered=$ROUNDS " ||
                { echo "guest: port $p (ports/0): no session line with received=answered=$ROUNDS"; exit 1; }
        else
            guest_has_line "$name" "ports/$i \(port $p, vcpu $((i % 4))\): session with domain 0 closed: received=$ROUNDS answered=$ROUNDS\$" ||
                { echo "guest: ports/$i (port $p): no line with vcpu $((i % 4)) received=answered=$ROUNDS"; exit 1; }
        fi
    done > /tmp/smp-ports.err || fail "$name: counters differ: $(cat /tmp/smp-ports.err)"
    guest_has_line "$name" "shutdown reason=crash" && fail "$name: the guest crashed"
    if [ $abi = fifo ]; then
        xl save "$name" /tmp/$name.save > /tmp/$name.save.log 2>&1 || fail "$name: xl save failed: $(tail -3 /tmp/$name.save.log)"
        xl restore /tmp/$name.save > /tmp/$name.restore.log 2>&1 || fail "$name: xl restore failed: $(tail -3 /tmp/$name.restore.log)"
        rm -f /tmp/$name.save
        wait_guest_line "$name" "xenbell: resumed domid=" 30 || fail "$name: no 'resumed' line within 30 s of xl restore"
        tb_wait 30 sh -c "[ \$(xl dmesg | grep -c 'xenbell: ports offered=8 remote=0') -ge 2 ] ||
            [ \$(grep -c 'xenbell: ports offered=8 remote=0' /var/log/xen/console/guest-$name.log) -ge 2 ]" ||
            fail "$name: the 8 ports were not offered again after the restore"
        [ "$(guest_output "$name" | grep 'at FIFO priority 0' | sort -u | wc -l)" -ge 2 ] ||
            fail "$name: priority 0 not applied again after the restore"
        out=$(/xenbell/xenbell-dom0 ping --ports all --domain "$name" --rounds 100 --json --timeout-ms 5000 2>&1) ||
            fail "$name: after the restore: ping --ports all exited $?: $out"
        echo "$out" | grep -q "\"ports\":8,\"answered\":8," || fail "$name: after the restore: not every port answered: $out"
        echo "$name: after xl save + restore: all 8 ports answered 100 rounds"
        guest_has_line "$name" "ERROR" && fail "$name: an error line after the restore: $(guest_output "$name" | grep -m1 ERROR)"
    fi
    guest_destroy "$name"
done
pass
