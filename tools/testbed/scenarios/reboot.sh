#!/bin/sh
# testbed: dom0
# timeout: 150
# compat: 4.20
#
# reboot: `xl reboot xenbell` makes the guest end with SHUTDOWN_reboot; xl's default
# on_reboot="restart" creates it again (new domid), and the new guest gets ready and
# answers a ping.
#
# How: `xl create xenbell.cfg`; wait for ready; `xl reboot xenbell` must return 0; the
# console log shows "xenbell: shutdown reason=reboot"; within 30 s `xl domid xenbell`
# gives another domid, whose data/xenbell/state reads ready; a `ping --rounds 20` is all
# answered.
#
# Could falsely pass: a crash would also end the domain, but on_crash="preserve" keeps it
# (same domid) and its line reads reason=crash.
. /xenbell/testbed/scenario-lib.sh

log=/var/log/xen/console/guest-xenbell.log
guest_create /xenbell/xl-configs/xenbell.cfg
wait_guest_line xenbell "xenbell: ready port=[0-9]+ remote=0" 30 || fail "no 'xenbell: ready' line"
d=$(xl domid xenbell)
xl reboot xenbell || fail "xl reboot exited $?"
wait_guest_line xenbell "xenbell: shutdown reason=reboot" 10 || fail "no 'shutdown reason=reboot' line"
tb_wait 30 sh -c "id=\$(xl domid xenbell 2>/dev/null) && [ \"\$id\" != $d ] &&
    [ \"\$(xenstore-read /local/domain/\$id/data/xenbell/state 2>/dev/null)\" = ready ]" ||
    fail "no new xenbell domain in state ready (old domid $d, now '$(xl domid xenbell 2>&1)')"
echo "rebooted: domid $d -> $(xl domid xenbell)"
out=$(/xenbell/xenbell-dom0 ping --domain xenbell --rounds 20 --json 2>&1) || fail "ping after reboot exited $?: $out"
echo "$out" | grep -q '"rounds_ok":20,' || fail "ping after reboot: $out"
pass
