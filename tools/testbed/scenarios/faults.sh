#!/bin/sh
# testbed: dom0
# timeout: 90
#
# faults: the fatal paths under Xen as a PVH domU. `selftest=fault` (a read of page 0)
# and `selftest=panic` must print their dumps on the guest's console and end the domain
# as crashed (SCHEDOP_shutdown(crash), kept by on_crash="preserve").
#
# How: two guests from xenbell.cfg, cmdline "selftest=fault" and "selftest=panic",
# created together. Each must reach `xl list` state 'c' within 30 s and its output
# (port-0xe9 lines and PV console log) must hold, for fault: "FATAL: exception #PF page
# fault (vector 14)", "cr2=0x0000000000000008 (null pointer", the register lines
# (rip/rsp, rax..r15), "backtrace" with frame #0 at the faulting rip; for panic:
# "PANIC: selftest=panic: deliberate panic", its source location and a backtrace with at
# least one frame; both "xenbell: shutdown reason=crash", and no "xenbell: ready"; and
# the shutdown reason that xl's monitor logged (/var/log/xen/xl-<name>.log), if it did
# yet, must be 3 (crash).
#
# Could falsely pass: the backtrace is checked for shape (addresses present), not for
# symbols; addr2line on the host would be needed for that (the smoke test does the same).
. /xenbell/testbed/scenario-lib.sh

for t in fault panic; do
    sed -e "s/^name *=.*/name = \"xenbell-$t\"/" -e "s/^cmdline *=.*/cmdline = \"selftest=$t\"/" \
        /xenbell/xl-configs/xenbell.cfg > /tmp/xenbell-$t.cfg
    guest_create /tmp/xenbell-$t.cfg
done
crashed() { case "$(guest_state "$1")" in *c*) return 0 ;; esac; return 1; }
need() {  # NAME ERE
    guest_has_line "$1" "$2" || fail "$1: no line matching '$2'"
}
for t in fault panic; do
    g=xenbell-$t
    tb_wait 30 crashed $g || fail "$g: not crashed within 30 s (state '$(guest_state $g)')"
    wait_guest_line $g "xenbell: shutdown reason=crash" 5 || fail "$g: no 'xenbell: shutdown reason=crash'"
    echo "--- $g (state $(guest_state $g)) ---"
    guest_output $g | awk '/FATAL:|PANIC:/ { on = 1 } on { print } on && /shutdown reason/ { exit }' 
    need $g "backtrace \(addr2line"
    need $g "#1  0x[0-9a-f]{16}"
    need $g "xenbell: shutdown reason=crash"
    guest_has_line $g "xenbell: ready" && fail "$g: it said ready"
    r=$(sed -n 's/.*has shut down, reason code \([0-9]*\).*/\1/p' /var/log/xen/xl-$g.log 2>/dev/null | head -n 1)
    echo "$g: xl's monitor saw shutdown reason code '$r' (3 = crash)"
    [ -z "$r" ] || [ "$r" = 3 ] || fail "$g: Xen shutdown reason code $r, not 3 (crash)"
done
g=xenbell-fault
need $g "FATAL: exception #PF page fault \(vector 14\)"
need $g "rip=0x[0-9a-f]{16} rsp=0x[0-9a-f]{16}"
need $g "cr2=0x0+8 \(null pointer"
need $g "rax=0x[0-9a-f]{16} rbx="
need $g "r13=0x[0-9a-f]{16} r14=0x[0-9a-f]{16} r15="
rip=$(guest_output $g | sed -n 's/.*rip=\(0x[0-9a-f]*\).*/\1/p' | head -n 1)
need $g "#0  $rip"
g=xenbell-panic
need $g "PANIC: selftest=panic: deliberate panic"
need $g "at src/selftest/mod.rs:[0-9]+:[0-9]+"
guest_has_line $g "FATAL:" && fail "$g: a fault while panicking"
for t in fault panic; do guest_destroy xenbell-$t; done
pass
