#!/bin/sh
# testbed: dom0
# timeout: 90
#
# domain-names: `--domain NAME` takes the domain whose xenstore name is NAME byte for
# byte. A domain named "xenbell2 " (trailing space) next to the real "xenbell2" is never
# taken for it, and a name two domains share is exit 4 with both ids, never a silent pick.
#
# How: a paused guest created first (so it has the lower id, the one a scan of
# /local/domain meets first), renamed to "xenbell2 " (`xl rename`; if xl refuses the
# name, its xenstore name key is written directly, which is all the tool reads); then the
# real guest "xenbell2", serving. `status --domain xenbell2` must name the real id and
# its published port; `ping --domain xenbell2 --rounds 20` must ping the real one (its
# summary line names the id); `status --domain "xenbell2 "` must name the spaced one.
# Then the spaced one's name key is set to "xenbell2" as well: `status --domain xenbell2`
# must exit 4 and list both ids.
#
# Could falsely pass: if the real guest got the lower id (ids are allocated upwards, so
# only after a wrap), a first-match scan would also find it; the ids are compared and the
# order checked before the tool runs.
. /xenbell/testbed/scenario-lib.sh

sp=""
cleanup() {  # the renamed guest is not on the lib's list under its new name
    [ -n "$sp" ] && xl destroy "$sp" > /dev/null 2>&1
    guest_destroy_all
}
trap cleanup EXIT

sed -e 's/^name *=.*/name = "xenbell-space"/' /xenbell/xl-configs/xenbell.cfg > /tmp/xenbell-space.cfg
echo "+ xl create -p /tmp/xenbell-space.cfg"
xl create -p /tmp/xenbell-space.cfg 2>&1 || fail "xl create -p failed"
sp=$(xl domid xenbell-space) || fail "no domain xenbell-space"
if xl rename xenbell-space "xenbell2 " 2>&1; then
    echo "renamed domain $sp with xl rename"
else
    xenstore-write "/local/domain/$sp/name" "xenbell2 " || fail "cannot write /local/domain/$sp/name"
    echo "xl rename refused; wrote /local/domain/$sp/name directly"
fi
[ "$(xenstore-read "/local/domain/$sp/name")" = "xenbell2 " ] || fail "domain $sp is not named 'xenbell2 '"

sed -e 's/^name *=.*/name = "xenbell2"/' /xenbell/xl-configs/xenbell.cfg > /tmp/xenbell2.cfg
guest_create /tmp/xenbell2.cfg
real=$(guest_domid xenbell2)
wait_guest_line xenbell2 "xenbell: ready port=[0-9]+ remote=0" 30 || fail "no 'xenbell: ready' line"
port=$(xs_read xenbell2 data/xenbell/port)
echo "domain $sp is named 'xenbell2 ', domain $real 'xenbell2' (port $port)"
[ "$sp" -lt "$real" ] || fail "test bug: the spaced domain ($sp) does not have the lower id ($real)"

out=$(/xenbell/xenbell-dom0 status --domain xenbell2 2>&1) || fail "status --domain xenbell2: exit $?: $out"
echo "$out" | sed 's/^/  status: /'
[ "$(echo "$out" | head -n 1)" = "domain $real (xenbell2)" ] || fail "status --domain xenbell2 named: $out"
echo "$out" | grep -qx "port: $port" || fail "status --domain xenbell2: not the real guest's port $port: $out"

out=$(/xenbell/xenbell-dom0 ping --domain xenbell2 --rounds 20 2>&1) || fail "ping --domain xenbell2: exit $?: $out"
echo "  ping: $out"
echo "$out" | grep -q "^domain $real port $port: 20/20 rounds" || fail "ping --domain xenbell2 pinged: $out"

out=$(/xenbell/xenbell-dom0 status --domain "xenbell2 " 2>&1) || fail "status --domain 'xenbell2 ': exit $?: $out"
[ "$(echo "$out" | head -n 1)" = "domain $sp (xenbell2 )" ] || fail "status --domain 'xenbell2 ' named: $out"

xenstore-write "/local/domain/$sp/name" "xenbell2" || fail "cannot write /local/domain/$sp/name"
out=$(/xenbell/xenbell-dom0 status --domain xenbell2 2>&1)
rc=$?
echo "  two named xenbell2: exit $rc: $out"
[ "$rc" = 4 ] || fail "status with two domains named xenbell2: exit $rc, expected 4: $out"
echo "$out" | grep -q "^xenbell-dom0: domain 'xenbell2': 2 domains have this name: $sp, $real;" ||
    fail "status with two domains named xenbell2 does not list both: $out"
pass
