#!/bin/sh
# testbed: dom0
# timeout: 150
# pcpus: 2
#
# smp-hotplug: xenbell follows `xl vcpu-set` and `maxvcpus`, as the toolstack asks through
# cpu/<k>/availability, without losing a port. Under both event-channel ABIs.
#
# How: xenbell-smp.cfg (4 vCPUs, ports=8, ports/<i> on vCPU i mod 4) with evtchn=<abi>;
# `xl vcpu-set <dom> 2`: the guest must print "xenbell: vcpu 2 offline" and "vcpu 3
# offline" and "vcpus online=2 present=4", `xl vcpu-list` must show vCPUs 2 and 3 down
# ("--p"), and `ping --ports all --rounds 100` must be answered on all 8 ports (those of
# vCPUs 2 and 3 now on vCPU 0: their session lines say vcpu 0). Then `xl vcpu-set
# --ignore-host <dom> 4` (xl refuses more vCPUs than the test bed's 2 physical CPUs
# otherwise): "vcpu 2 online", "vcpu 3 online", "vcpus online=4 present=4", every vCPU
# up in `xl vcpu-list`, and all 8 ports answer again, each on its own vCPU. Last, a guest
# with `vcpus = 2` and `maxvcpus = 4` boots with vCPUs 2 and 3 offline and answers on
# every port.
#
# Could falsely pass: the per-port vCPU in the guest's lines is where xenbell bound the
# port (EVTCHNOP_bind_vcpu), which selftest=smp checks is where it is handled.
. /xenbell/testbed/scenario-lib.sh

ping_all() {  # NAME WHAT: 100 rounds on every port, all 8 answered
    _out=$(/xenbell/xenbell-dom0 ping --ports all --domain "$1" --rounds 100 --json --timeout-ms 5000 2>&1) ||
        fail "$1: $2: ping --ports all exited $?: $_out"
    echo "$_out" | grep -q '"ports":8,"answered":8,' || fail "$1: $2: not every port answered: $_out"
    echo "$1: $2: all 8 ports answered 100 rounds"
}

down_vcpus() {  # NAME: the vCPU numbers `xl vcpu-list` shows down (state --p)
    xl vcpu-list "$1" | awk 'NR > 1 && $5 ~ /p/ { printf "%s ", $3 }'
}

for abi in fifo 2l; do
    name=xenbell-hp-$abi
    sed -e "s/^name *=.*/name = \"$name\"/" -e "s/^cmdline *= *\"\(.*\)\"/cmdline = \"\1 evtchn=$abi\"/" \
        /xenbell/xl-configs/xenbell-smp.cfg > /tmp/$name.cfg
    guest_create /tmp/$name.cfg
    wait_guest_line "$name" "xenbell: ready port=" 40 || fail "$name: not ready within 40 s"
    xl vcpu-set "$name" 2 || fail "$name: xl vcpu-set 2 failed"
    wait_guest_line "$name" "xenbell: vcpus online=2 present=4" 15 || fail "$name: vCPUs 2 and 3 not taken offline"
    for k in 2 3; do
        guest_has_line "$name" "xenbell: vcpu $k offline \(cpu/$k/availability\)" || fail "$name: no 'vcpu $k offline' line"
    done
    [ "$(down_vcpus "$name")" = "2 3 " ] || fail "$name: xl vcpu-list shows down: '$(down_vcpus "$name")', want 2 3"
    ping_all "$name" "vCPUs 2 and 3 offline"
    wait_guest_line "$name" "ports/2 \(port [0-9]+, vcpu 0\): session with domain 0 closed: received=100 answered=100" 10 ||
        fail "$name: ports/2 was not handled on vCPU 0 while vCPU 2 was offline"
    xl vcpu-set --ignore-host "$name" 4 || fail "$name: xl vcpu-set 4 failed"
    wait_guest_line "$name" "xenbell: vcpus online=4 present=4.*" 15 &&
        [ "$(guest_output "$name" | grep -c 'xenbell: vcpu [23] online')" -ge 2 ] ||
        fail "$name: vCPUs 2 and 3 not brought back online"
    [ -z "$(down_vcpus "$name")" ] || fail "$name: xl vcpu-list still shows down: $(down_vcpus "$name")"
    ping_all "$name" "every vCPU online again"
    wait_guest_line "$name" "ports/2 \(port [0-9]+, vcpu 2\): session with domain 0 closed: received=100 answered=100" 10 ||
        fail "$name: ports/2 not back on vCPU 2"
    guest_has_line "$name" "ERROR|shutdown reason=crash" && fail "$name: $(guest_output "$name" | grep -m1 -E 'ERROR|shutdown')"
    guest_destroy "$name"
done

name=xenbell-hp-max
sed -e "s/^name *=.*/name = \"$name\"/" -e "s/^vcpus *=.*/vcpus = 2\nmaxvcpus = 4/" \
    /xenbell/xl-configs/xenbell-smp.cfg > /tmp/$name.cfg
guest_create /tmp/$name.cfg
wait_guest_line "$name" "xenbell: vcpus online=2 present=4" 40 || fail "$name: vcpus=2 maxvcpus=4: vCPUs 2 and 3 not offline"
ping_all "$name" "vcpus = 2, maxvcpus = 4"
pass
