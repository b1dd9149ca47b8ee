#!/bin/sh
# testbed: dom0
# timeout: 90
#
# watchdog: the kernel never hangs silently. Its stall watchdog (run by VIRQ_TIMER every
# 100 ms) reports a main loop that has not moved for 3 s, with the phase it is stuck in,
# where the CPU was, and the clock and wait state; and it says when the loop moves again.
#
# How: `xl create` with cmdline "selftest=stall": the kernel spins for 4.5 s with
# interrupts on and without telling the watchdog, then checks that exactly one stall was
# reported ("selftest: stall: RESULT: <R>", docs/protocol.md; no line: CRASH). We require
# SUCCESS and the report's lines: "has not
# moved for 30 timer ticks (~3000 ms), in Selftest" with the wait and clock state,
# "interrupted at rip=0x...", and "moves again after N ticks" with N >= 30.
#
# Could falsely pass: the spin is the kernel's own; a watchdog that fired on a timer
# instead of on missing progress would also speak during the spin, but then it would
# speak in normal runs too, which every other scenario would show as a "watchdog:" line
# (pingpong-dom0-leads checks that the serving guest printed none).
. /xenbell/testbed/scenario-lib.sh

name=xenbell-stall
sed -e "s/^name *=.*/name = \"$name\"/" -e "s/^cmdline *=.*/cmdline = \"selftest=stall\"/" \
    /xenbell/xl-configs/xenbell.cfg > /tmp/$name.cfg
guest_create /tmp/$name.cfg
result=$(guest_selftest $name stall 60)
guest_output $name | grep -E "selftest|watchdog:" | sort -u
[ "$result" = SUCCESS ] || fail "selftest stall: $result $(selftest_why $name stall)"
guest_has_line $name "watchdog: the main loop has not moved for 30 timer ticks \(~3000 ms\), in Selftest; wait: .* clock: version=[0-9]+ " ||
    fail "no stall report naming the Selftest phase with wait and clock state"
guest_has_line $name "watchdog: interrupted at rip=0x[0-9a-f]+ rsp=0x[0-9a-f]+; upcalls=[0-9]+" || fail "no 'interrupted at rip=' line"
n=$(guest_output $name | sed -n 's/.*moves again after \([0-9]*\) ticks.*/\1/p' | head -n 1)
[ -n "$n" ] && [ "$n" -ge 30 ] || fail "no 'moves again after N ticks' line with N >= 30 (got '$n')"
pass
