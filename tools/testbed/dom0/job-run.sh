# dom0 side of `make run`, the demo: create the xenbell guest, stream its console, and
# play the ping-pong with xenbell-dom0 if the guest offers it (it publishes
# data/xenbell/port in xenstore within TB_PORT_WAIT seconds). Nothing is faked: without
# the port the demo shows the boot only and says why.
# Host-facing markers: GUEST <name> <domid>, G <console line>, O <dom0 output line>,
# NOTE <text>, SUMMARY <key> <value>.
. /xenbell/testbed/scenario-lib.sh
: "${TB_PORT_WAIT:=10}" "${TB_ROUNDS:=1000}" "${TB_PING_TIMEOUT:=120}"
cfg=/xenbell/xl-configs/xenbell.cfg

tb_mark PHASE create "xl create $cfg"
tb_bounded 60 /tmp/tb-out/xl-create.txt xl create "$cfg"
TB_GUESTS=xenbell
domid=$(guest_domid xenbell)
if [ "$TB_RC" -ne 0 ] || [ -z "$domid" ]; then
    tb_mark NOTE "xl create failed (status $TB_RC)"
    exit 1
fi
tb_mark GUEST xenbell "$domid"

# The PV console log (xenconsoled --log=guest), line by line, live.
setsid sh -c '. /xenbell/testbed/lib.sh
    tail -n +1 -F /var/log/xen/console/guest-xenbell.log 2> /dev/null |
    while IFS= read -r l; do tb_mark G "$l"; done' &
streamer=$!

status=0
if ! wait_guest_line xenbell "xenbell: booting version=" 30; then
    tb_mark NOTE "no banner from the guest within 30 s"
    status=1
elif tb_wait "$TB_PORT_WAIT" xs_read xenbell data/xenbell/port; then
    tb_mark SUMMARY port "$(xs_read xenbell data/xenbell/port)"
    if [ -x /xenbell/xenbell-dom0 ]; then
        tb_mark PHASE ping "xenbell-dom0 ping --domain xenbell --rounds $TB_ROUNDS"
        tb_bounded "$TB_PING_TIMEOUT" /tmp/tb-out/ping.txt \
            /xenbell/xenbell-dom0 ping --domain xenbell --rounds "$TB_ROUNDS"
        tb_mark SUMMARY ping-exit "$TB_RC"
        [ "$TB_RC" -eq 0 ] || status=1
        # let the guest's last lines (e.g. "xenbell: disconnected") arrive
        wait_guest_line xenbell "xenbell: disconnected" 3
    else
        tb_mark NOTE "the guest offers port $(xs_read xenbell data/xenbell/port), but there is" \
            "no xenbell-dom0 in dom0 (build it with make dom0): ping-pong skipped"
    fi
else
    tb_mark NOTE "the guest published no data/xenbell/port within $TB_PORT_WAIT s:" \
        "no ping-pong to show yet, only the boot"
fi
tb_mark SUMMARY state "$(guest_state xenbell)"
guest_destroy_all > /dev/null
kill -KILL -- "-$streamer" 2> /dev/null
exit "$status"
