#!/bin/sh
# testbed: dom0
# timeout: 90
# compat: 4.20
#
# domu-boot: the xenbell kernel boots as a PVH domU under `xl create`.
#
# How: `xl create /xenbell/xl-configs/xenbell.cfg` (paused, domid noted, unpaused), then
# wait up to 30 s for the banner "xenbell: booting version=<v>" in the guest's output:
# its port-0xe9 lines, which Xen shows as "(dN) ..." in `xl dmesg` (filtered by this
# guest's domid), or its PV console log (xenconsoled --log=guest). Then the guest must
# not have reported a crash ("xenbell: shutdown reason=crash"), Xen must not hold it as
# crashed (on_crash="preserve" keeps a crashed domain, state "c"), and if it is already
# gone it must have said "xenbell: shutdown reason=poweroff" first. Then `xl destroy`.
#
# Could falsely pass: the checks are a snapshot right after the banner, so a kernel that
# fails a little later passes (later scenarios cover later stages); and a kernel that
# boots, prints the banner and powers off cleanly at once passes too.
. /xenbell/testbed/scenario-lib.sh

guest_create /xenbell/xl-configs/xenbell.cfg
domid=$(guest_domid xenbell)
wait_guest_line xenbell "xenbell: booting version=" 30 ||
    fail "no banner 'xenbell: booting version=' from d$domid within 30 s"
guest_output xenbell | grep -m 1 "xenbell: booting version="
guest_has_line xenbell "xenbell: shutdown reason=crash" &&
    fail "d$domid reported a crash ('xenbell: shutdown reason=crash')"
state=$(guest_state xenbell)
case "$state" in
    *c*) fail "Xen holds d$domid as crashed (xl list state $state)" ;;
    "")
        guest_has_line xenbell "xenbell: shutdown reason=poweroff" ||
            fail "d$domid is gone without a 'xenbell: shutdown reason=poweroff' line"
        echo "d$domid booted and powered itself off cleanly" ;;
    *)
        echo "d$domid is running (xl list state $state)"
        guest_destroy xenbell ;;
esac
pass
