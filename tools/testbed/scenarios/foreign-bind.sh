#!/bin/sh
# testbed: dom0
# timeout: 120
#
# foreign-bind: a guest's port is offered to its `remote=` domain only. dom0 cannot bind
# the port of a guest that offered it to another domain, while a guest that offered its
# port to dom0 keeps serving dom0 through it all.
#
# How: `xl create` guest A ("xenbell", remote=0), then guest B ("xenbell-foreign") with
# cmdline "remote=<A's domid>": a domain that exists but is not dom0, so B's check that
# remote exists passes and B allocates its port for A (EVTCHNOP_alloc_unbound). B's
# ready line must say remote=<A>, and `xenbell-dom0 status` must show its port "unbound
# (offered to domain <A>)" as Xen reports it. With a 3000-round ping against A running in
# the background, `xenbell-dom0 ping --domain xenbell-foreign` (port from xenstore, and
# again with an explicit --port) must exit 6 with a message that names B's port and says
# it is offered to domain <A>, not to us; B must never say "connected" and its state stays
# "ready". The ping against A must have been running during the refusals, and must
# complete all 3000 rounds, matched by A's session line.
#
# Could falsely pass: the refusal is Xen's (EINVAL from bind_interdomain) and exit 6
# also covers other EINVAL causes; the message check ties it to "offered to domain A",
# which the tool reads back from Xen. That a domain other than dom0 could bind A's port
# is not tried: no second peer binds anything here.
. /xenbell/testbed/scenario-lib.sh

guest_create /xenbell/xl-configs/xenbell.cfg
a=$(guest_domid xenbell)
wait_guest_line xenbell "xenbell: ready port=[0-9]+ remote=0" 30 || fail "A: no 'xenbell: ready' line"
sed -e 's/^name *=.*/name = "xenbell-foreign"/' -e "s/^cmdline *=.*/cmdline = \"remote=$a\"/" \
    /xenbell/xl-configs/xenbell.cfg > /tmp/xenbell-foreign.cfg
guest_create /tmp/xenbell-foreign.cfg
b=$(guest_domid xenbell-foreign)
wait_guest_line xenbell-foreign "xenbell: ready port=[0-9]+ remote=$a([^0-9]|\$)" 30 ||
    fail "B: no 'xenbell: ready ... remote=$a' line: $(guest_output xenbell-foreign | tail -n 3)"
bp=$(xs_read xenbell-foreign data/xenbell/port)
st=$(/xenbell/xenbell-dom0 status --domain xenbell-foreign 2>&1)
echo "$st" | sed 's/^/status B: /'
echo "$st" | grep -q "evtchn: unbound (offered to domain $a)" || fail "B's port is not offered to domain $a: $st"

/xenbell/xenbell-dom0 ping --domain xenbell --rounds 3000 --json > /tmp/fb-a.out 2>&1 &
pid=$!
wait_guest_line xenbell "xenbell: connected remote=0" 10 || fail "A did not say connected"
n=0
for how in "" "--port $bp"; do
    n=$((n + 1))
    out=$(/xenbell/xenbell-dom0 ping --domain xenbell-foreign $how --rounds 10 2>&1)
    rc=$?
    echo "foreign-bind: ping B $how: exit $rc: $out"
    [ "$rc" = 6 ] || fail "ping of B ($how) exited $rc, not 6: $out"
    echo "$out" | grep -q "domain $b (xenbell-foreign) port $bp: cannot bind" || fail "refusal does not name domain $b port $bp first: $out"
    echo "$out" | grep -q "offered to domain $a" || fail "refusal does not say the port is offered to domain $a: $out"
    echo "$out" | grep -q panicked && fail "the tool panicked"
done
kill -0 $pid 2> /dev/null || fail "the ping against A was over before the refusals ended: $(cat /tmp/fb-a.out)"
wait $pid || fail "ping against A exited $?: $(cat /tmp/fb-a.out)"
echo "ping A: $(cat /tmp/fb-a.out)"
grep -q '"rounds_ok":3000,' /tmp/fb-a.out || fail "ping against A: not all 3000 rounds"
wait_guest_line xenbell "session with domain 0: received=3000 answered=3000" 10 ||
    fail "A's session line: $(guest_output xenbell | grep 'session with' | tail -n 1)"
guest_has_line xenbell-foreign "xenbell: connected" && fail "B says it was connected"
[ "$(xs_read xenbell-foreign data/xenbell/state)" = ready ] || fail "B's state is '$(xs_read xenbell-foreign data/xenbell/state)'"
guest_has_line xenbell "shutdown reason=crash" && fail "A crashed"
guest_has_line xenbell-foreign "shutdown reason=crash" && fail "B crashed"
guest_destroy xenbell-foreign
guest_destroy xenbell
pass
