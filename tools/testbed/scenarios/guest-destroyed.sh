#!/bin/sh
# testbed: dom0
# timeout: 90
#
# guest-destroyed: the guest is destroyed under a running ping; the dom0 tool must not
# hang but exit 7 (timeout or peer gone) with a clear message within its timeout.
#
# How: `xl create xenbell.cfg`; `xenbell-dom0 ping --rounds 1000000 --timeout-ms 1000`
# in the background; once the guest is connected and rounds have run for a second,
# `xl destroy xenbell`. Xen closes the guest's ports, so the tool's port goes unbound and
# its next notify is dropped silently: only its per-round timeout can end it. It must
# exit 7 no later than 1000 ms + 1500 ms slack after `xl destroy` returned (the guest is
# gone by then), print the partial summary on stdout, and on stderr a message that says
# the domain is gone or did not answer (naming it). Both times are printed.
#
# Could falsely pass: a tool that gave up early for another reason with exit 7 (e.g. a
# failing ioctl) also passes, which is acceptable; we do check that the ping was still
# running when `xl destroy` began.
. /xenbell/testbed/scenario-lib.sh

guest_create /xenbell/xl-configs/xenbell.cfg
d=$(guest_domid xenbell)
wait_guest_line xenbell "xenbell: ready port=[0-9]+ remote=0" 30 || fail "no 'xenbell: ready' line"

/xenbell/xenbell-dom0 ping --domain xenbell --rounds 1000000 --timeout-ms 1000 \
    > /tmp/gd.stdout 2> /tmp/gd.stderr &
pid=$!
wait_guest_line xenbell "xenbell: connected remote=0" 10 || fail "the guest did not say connected"
sleep 1   # deliberately: let rounds run, so the destroy lands mid-run
kill -0 $pid 2> /dev/null || fail "ping ended before the destroy: $(cat /tmp/gd.stdout /tmp/gd.stderr)"
t0=$(tb_cs)
guest_destroy xenbell
t1=$(tb_cs)
wait $pid
rc=$?
t2=$(tb_cs)
echo "stdout: $(cat /tmp/gd.stdout)"
echo "stderr: $(cat /tmp/gd.stderr)"
echo "guest-destroyed: xl destroy took $(((t1 - t0) * 10)) ms; the tool exited $rc, $(((t2 - t0) * 10)) ms after the destroy began, $(((t2 - t1) * 10)) ms after it returned"
[ "$rc" = 7 ] || fail "the tool exited $rc, not 7"
[ $(((t2 - t1) * 10)) -le 2500 ] || fail "the tool needed $(((t2 - t1) * 10)) ms after the destroy (timeout 1000 ms + 1500 ms slack)"
grep -q "rounds" /tmp/gd.stdout || fail "no partial summary on stdout"
grep -Eq "domain $d.*(gone|no answer)|(gone|no answer).*domain $d" /tmp/gd.stderr ||
    fail "unclear message: $(cat /tmp/gd.stderr)"
grep -q panicked /tmp/gd.stderr && fail "the tool panicked"
pass
