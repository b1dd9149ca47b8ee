#!/bin/sh
# testbed: dom0
# timeout: 240
# compat: 4.20
#
# save-restore: `xl save` then `xl restore` of a running xenbell; the restored guest
# resumes (not reboots) in a new domain, publishes a new port and answers a ping of 1000
# rounds, every one.
#
# How: `xl create xenbell.cfg`; a first ping of 100 rounds (a session before the save).
# `xl save xenbell /tmp/xenbell.save` must exit 0 after the guest printed
# "xenbell: suspending", and the domain must be gone. `xl restore` must exit 0; the new
# domain (another domid) must print "xenbell: resumed domid=<its domid>" and a second
# "xenbell: ready port=P" whose P is data/xenbell/port in the *new* domain's home, with
# state ready and guest-state 2. Then `xenbell-dom0 ping --rounds 1000 --json` must
# report rounds_ok 1000, and the guest's last session line received=1000 answered=1000.
# The console log must hold one boot (one "heap: check ok"), no crash, no watchdog or wait warning.
#
# Could falsely pass: a restore that booted the kernel afresh would also publish a port
# and answer: the single boot line and the "resumed" line (printed only on the
# resume path, with the domid read from CPUID) rule that out. The 1000 rounds are counted
# on both sides.
. /xenbell/testbed/scenario-lib.sh

log=/var/log/xen/console/guest-xenbell.log
save=/tmp/xenbell.save
rm -f "$save"
guest_create /xenbell/xl-configs/xenbell.cfg
d1=$(guest_domid xenbell)
wait_guest_line xenbell "xenbell: ready port=[0-9]+ remote=0" 30 || fail "no 'xenbell: ready' line"
out=$(/xenbell/xenbell-dom0 ping --domain xenbell --rounds 100 --json 2>&1) || fail "first ping exited $?: $out"

echo "+ xl save xenbell $save"
t0=$(tb_cs)
xl save xenbell "$save" 2>&1 || fail "xl save exited $?"
echo "xl save took $((($(tb_cs) - t0) * 10)) ms; $(ls -l "$save" | awk '{print $5}') bytes"
grep -q "xenbell: suspending" "$log" || fail "no 'xenbell: suspending' line"
xl domid xenbell > /dev/null 2>&1 && fail "the domain still exists after xl save"

echo "+ xl restore $save"
t0=$(tb_cs)
xl restore "$save" 2>&1 || fail "xl restore exited $?"
d2=$(xl domid xenbell) || fail "no domain xenbell after xl restore"
echo "xenbell $d2" >> /tmp/tb-domids
echo "xl restore took $((($(tb_cs) - t0) * 10)) ms; domid $d1 -> $d2"
[ "$d2" != "$d1" ] || fail "the restored domain has the old domid $d1"
tb_wait 30 grep -q "xenbell: resumed domid=$d2 " "$log" || fail "no 'xenbell: resumed domid=$d2' line"
tb_wait 30 sh -c "[ \$(grep -c 'xenbell: ready port=' $log) -ge 2 ]" || fail "no second 'xenbell: ready' line"
p=$(grep 'xenbell: ready port=' "$log" | tail -n 1 | sed -n 's/.*ready port=\([0-9]*\).*/\1/p')
tb_wait 10 sh -c "[ \"\$(xenstore-read /local/domain/$d2/data/xenbell/state 2>/dev/null)\" = ready ]" ||
    fail "state in the new home is '$(xs_read xenbell data/xenbell/state)', not ready"
[ "$(xs_read xenbell data/xenbell/port)" = "$p" ] || fail "new home's port '$(xs_read xenbell data/xenbell/port)' != console's $p"
[ "$(xs_read xenbell data/xenbell/guest-state)" = 2 ] || fail "guest-state '$(xs_read xenbell data/xenbell/guest-state)', not 2"

out=$(/xenbell/xenbell-dom0 ping --domain xenbell --rounds 1000 --json 2>&1) || fail "ping after restore exited $?: $out"
echo "ping after restore: $out"
echo "$out" | grep -q '"rounds_ok":1000,' || fail "not all 1000 rounds answered: $out"
tb_wait 10 sh -c "grep 'session with domain 0:' $log | tail -n 1 | grep -q 'received=1000 answered=1000'" ||
    fail "guest's last session line: $(grep 'session with' "$log" | tail -n 1)"
grep -E "xenbell: (booting|suspending|resumed|ready)|session with|jumped" "$log"
# "booting" goes to port 0xe9 only (before the console is up); "heap: check ok" is the
# first boot line in the console log, once per boot.
[ "$(grep -c 'heap: check ok' "$log")" = 1 ] || fail "the guest booted more than once (or not at all)"
grep -Eq "shutdown reason=crash|watchdog:|WARN  wait:" "$log" && fail "guest trouble: $(grep -E -m 2 'shutdown reason=crash|watchdog:|WARN  wait:' "$log")"
rm -f "$save"
guest_destroy xenbell
pass
