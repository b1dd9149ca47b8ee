#!/bin/sh
# testbed: dom0
# timeout: 90
#
# watchdog: the kernel never hangs silently. Its stall watchdog (run by every VIRQ_TIMER
# event) reports a main loop that has not moved for 3 s, with the phase it is stuck in,
# where the CPU was, and the clock and wait state; and it says when the loop moves again.
#
# How: `xl create` with cmdline "selftest=stall": the kernel spins for 4.5 s with
# interrupts on and without telling the watchdog, then checks that exactly one stall was
# reported ("selftest: stall: RESULT: <R>", docs/protocol.md; no line: CRASH). We require
# SUCCESS and the report's lines: "has not moved for T ms (N timer ticks), in Selftest" with
# 3000 <= T < 4500 (durations come from the clock, not from counting ticks) and the wait and
# clock state, "interrupted at rip=0x...", and "moves again after T ms" with T >= 4000 (the
# spin lasts 4.5 s by the same clock).
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
guest_has_line $name "watchdog: the main loop has not moved for [0-9]+ ms \([0-9]+ timer ticks\), in Selftest; wait: .* clock: version=[0-9]+ " ||
    fail "no stall report naming the Selftest phase with wait and clock state"
t=$(guest_output $name | sed -n 's/.*has not moved for \([0-9]*\) ms.*/\1/p' | head -n 1)
[ "$t" -ge 3000 ] && [ "$t" -lt 4500 ] || fail "the stall was reported after $t ms, want 3000 <= T < 4500"
guest_has_line $name "watchdog: interrupted at rip=0x[0-9a-f]+ rsp=0x[0-9a-f]+; upcalls=[0-9]+" || fail "no 'interrupted at rip=' line"
n=$(guest_output $name | sed -n 's/.*moves again after \([0-9]*\) ms.*/\1/p' | head -n 1)
[ -n "$n" ] && [ "$n" -ge 4000 ] || fail "no 'moves again after T ms' line with T >= 4000 (got '$n')"
pass
