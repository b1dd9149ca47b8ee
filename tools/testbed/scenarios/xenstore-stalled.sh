#!/bin/sh
# testbed: dom0
# timeout: 150
#
# xenstore-stalled: xenstored stops (SIGSTOP) for 8 s while the guest publishes its
# state; once it runs again the guest's xenstore client is still in step with it: the
# stalled write lands, later writes land, and the guest serves a new peer.
#
# How: `xl create xenbell.cfg`; `xenbell-dom0 ping --rounds 1000000` in the background
# (it resolves the domain before the stall); once the guest says "connected", SIGSTOP
# xenstored and SIGKILL the ping. The guest sees its peer go and writes
# data/xenbell/state=ready, which xenstored cannot answer: within 8 s the guest must log
# that request's timeout ("xenstore WRITE data/xenbell/state: no reply within"). Then
# SIGCONT. Required afterwards: state reads "ready" (the stalled write was applied), a
# new background ping connects and state reads "connected" (a write after the stall,
# answered: xenstored did not ignore the guest), and after that ping is killed, "ready"
# again; the guest never reports its xenstore connection closed, and never crashes.
#
# Could falsely pass: the request that timed out here fit the ring whole, so this
# checks the late reply being discarded with the stream in step, not the resume of a
# half-written request (the host tests in crates/xs-client cover that: the guest writes
# too little while the dom0 tool cannot resolve it, with xenstored stopped, to fill the
# 1024-byte ring). A state that was already "ready" before the stall would also read
# "ready": hence the "connected" step, written only after the stall.
. /xenbell/testbed/scenario-lib.sh

log=/var/log/xen/console/guest-xenbell.log
guest_create /xenbell/xl-configs/xenbell.cfg
wait_guest_line xenbell "xenbell: ready port=[0-9]+ remote=0" 30 || fail "no 'xenbell: ready' line"
xsd=$(cat /var/run/xenstored.pid) || fail "no xenstored pid file"
d=$(guest_domid xenbell)
state="/local/domain/$d/data/xenbell/state"

/xenbell/xenbell-dom0 ping --domain xenbell --rounds 1000000 > /tmp/stalled-1.out 2>&1 &
pid=$!
wait_guest_line xenbell "xenbell: connected remote=0" 10 || fail "the guest did not say connected"
tb_wait 10 sh -c "[ \"\$(xenstore-read $state)\" = connected ]" || fail "state is not 'connected' before the stall"

echo "+ kill -STOP xenstored ($xsd); kill -KILL the ping"
kill -STOP "$xsd" || fail "cannot stop xenstored"
kill -KILL $pid
wait $pid
# While xenstored is stopped, nothing here may ask it anything (xl, xenstore-*, the
# guest_* helpers would hang): the guest's console log is read directly.
if ! tb_wait 8 grep -q "xenstore WRITE data/xenbell/state: no reply within" "$log"; then
    kill -CONT "$xsd"
    fail "the guest's state write did not time out while xenstored was stopped"
fi
sleep 3   # the rest of the 8 s stall
echo "+ kill -CONT xenstored"
kill -CONT "$xsd" || fail "cannot continue xenstored"
grep -E "pingpong: xenstore|xenbell: (connected|disconnected)" "$log"

tb_wait 10 sh -c "[ \"\$(xenstore-read $state)\" = ready ]" ||
    fail "state is '$(xs_read xenbell data/xenbell/state)' after the stall, not 'ready'"
/xenbell/xenbell-dom0 ping --domain xenbell --rounds 1000000 > /tmp/stalled-2.out 2>&1 &
pid=$!
tb_wait 10 sh -c "[ \$(grep -c 'xenbell: connected remote=0' $log) -ge 2 ]" ||
    fail "the guest did not connect to the second peer: $(cat /tmp/stalled-2.out)"
tb_wait 10 sh -c "[ \"\$(xenstore-read $state)\" = connected ]" ||
    fail "state is '$(xs_read xenbell data/xenbell/state)' with the second peer, not 'connected'"
kill -KILL $pid
wait $pid
tb_wait 10 sh -c "[ \"\$(xenstore-read $state)\" = ready ]" ||
    fail "state is '$(xs_read xenbell data/xenbell/state)' after the second peer left, not 'ready'"
guest_has_line xenbell "connection to xenstored closed" && fail "the guest's xenstore connection broke"
guest_has_line xenbell "shutdown reason=crash" && fail "the guest crashed"
guest_destroy xenbell
pass
