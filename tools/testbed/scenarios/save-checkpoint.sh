#!/bin/sh
# testbed: dom0
# timeout: 240
#
# save-checkpoint: `xl save -c` (a checkpoint: the domain runs on) makes the guest's
# suspend return "cancelled"; the same domain, port and session go on, with either
# upcall delivery. With the per-vCPU vector this needs HVM_PARAM_CALLBACK_IRQ = 1, or
# the toolstack leaves the "cancelled" return value at 0 and the guest would rebuild a
# domain that still exists.
#
# How: for upcall=callback and upcall=percpu (a copy of xenbell.cfg with that cmdline):
# `xl create`; `xl save -c xenbell /tmp/ckpt` must exit 0; the guest must print
# "xenbell: suspending" then "xenbell: suspend cancelled" and no "resumed"; the domid,
# data/xenbell/port and the console's ready port must be unchanged, data/xenbell/leaving
# removed; `xenbell-dom0 ping --rounds 200 --json` right after must answer all 200, and
# the guest's session line say received=200 answered=200. Then `xl destroy` (the xl
# monitor exited at the suspend: it does not come back for a checkpoint).
#
# Could falsely pass: a guest that took the resume path in the same domain would print
# "resumed" (checked absent) and a new port (checked unchanged).
. /xenbell/testbed/scenario-lib.sh

log=/var/log/xen/console/guest-xenbell.log
ckpt=/tmp/xenbell.ckpt
for mode in callback percpu; do
    cfg=/tmp/xenbell-$mode.cfg
    sed -e "s/^cmdline *=.*/cmdline = \"upcall=$mode\"/" /xenbell/xl-configs/xenbell.cfg > "$cfg"
    rm -f "$ckpt" "$log"
    guest_create "$cfg"
    d=$(guest_domid xenbell)
    wait_guest_line xenbell "xenbell: ready port=[0-9]+ remote=0" 30 || fail "$mode: no 'xenbell: ready' line"
    p=$(xs_read xenbell data/xenbell/port)
    echo "+ xl save -c xenbell $ckpt ($mode)"
    xl save -c xenbell "$ckpt" 2>&1 || fail "$mode: xl save -c exited $?"
    tb_wait 20 grep -q "xenbell: suspend cancelled" "$log" || fail "$mode: no 'xenbell: suspend cancelled' line"
    grep -q "xenbell: suspending" "$log" || fail "$mode: no 'xenbell: suspending' line"
    grep -q "xenbell: resumed" "$log" && fail "$mode: the guest took the resume path in the same domain"
    [ "$(guest_domid xenbell)" = "$d" ] || fail "$mode: domid changed"
    [ "$(xs_read xenbell data/xenbell/port)" = "$p" ] || fail "$mode: port changed from $p"
    [ -z "$(xs_read xenbell data/xenbell/leaving)" ] || fail "$mode: data/xenbell/leaving still set"
    out=$(/xenbell/xenbell-dom0 ping --domain xenbell --rounds 200 --json 2>&1) || fail "$mode: ping after checkpoint exited $?: $out"
    echo "$mode: ping after checkpoint: $out"
    echo "$out" | grep -q '"rounds_ok":200,' || fail "$mode: not all 200 rounds: $out"
    tb_wait 10 grep -q "session with domain 0: received=200 answered=200" "$log" ||
        fail "$mode: session line: $(grep 'session with' "$log" | tail -n 1)"
    grep -E "upcall via|xenbell: (suspending|suspend cancelled)|session with" "$log"
    grep -Eq "shutdown reason=crash|watchdog:|WARN  wait:" "$log" && fail "$mode: guest trouble: $(grep -E -m 2 'shutdown reason=crash|watchdog:|WARN  wait:' "$log")"
    guest_destroy xenbell
    tb_wait 10 sh -c '! xl domid xenbell >/dev/null 2>&1' || fail "$mode: xenbell not destroyed"
done
rm -f "$ckpt"
pass
