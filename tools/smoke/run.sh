#!/usr/bin/env bash
# Smoke boots of the kernel under plain QEMU (QEMU's own PVH loader, no Xen).
# Each case boots once with a command line, then checks QEMU's exit status
# (isa-debug-exit: 33 = poweroff, 35 = crash) and lines of the serial log.
# Prints one PASS/FAIL line per case and closes with "N passed, M failed".
# Usage: tools/smoke/run.sh KERNEL_ELF
set -uo pipefail
KERNEL=${1:?usage: run.sh KERNEL_ELF}
OUT=target/smoke
mkdir -p "$OUT"
pass=0 fail=0

# result_of LOG TEST: the outcome on TEST's own result line ("selftest: TEST: RESULT: <R>",
# docs/protocol.md), or CRASH when the test printed none (it died before it could say).
result_of() {
    local r
    r=$(sed -n "s/.*selftest: $2: RESULT: \([A-Z]*\).*/\1/p" "$1" | head -n 1)
    echo "${r:-CRASH}"
}

# case NAME MEM CMDLINE WANT_STATUS PATTERN...   (each PATTERN an extended regex that must match)
# With SELFTEST=TEST WANT_RESULT=R in the environment, TEST's result must be R (checked first).
case_() {
    local name=$1 mem=$2 cmdline=$3 want=$4; shift 4
    local log=$OUT/$name.log
    local cmd=(qemu-system-x86_64 -accel tcg -cpu max -display none -no-reboot -m "$mem" -nic none
               -serial "file:$log" -device isa-debug-exit,iobase=0xf4,iosize=0x04
               -kernel "$KERNEL" -append "$cmdline")
    timeout 60 "${cmd[@]}" </dev/null >/dev/null 2>"$log.stderr"
    local status=$? why= got
    if [ -n "${SELFTEST:-}" ]; then
        got=$(result_of "$log" "$SELFTEST")
        [ "$got" = "$WANT_RESULT" ] || why="selftest $SELFTEST: RESULT $got, want $WANT_RESULT"
    fi
    [ -n "$why" ] || [ "$status" = "$want" ] || why="QEMU exit status $status, want $want"
    for pat in "$@"; do
        [ -n "$why" ] && break
        grep -Eq -- "$pat" "$log" || why="no line matching /$pat/"
    done
    if [ -z "$why" ]; then
        echo "PASS smoke/$name"; pass=$((pass + 1))
    else
        echo "FAIL smoke/$name: $why"; fail=$((fail + 1))
        echo "  command: ${cmd[*]}"
        tail -n 25 "$log" "$log.stderr" 2>/dev/null | sed 's/^/  | /'
    fi
}

case_ boot 64 "" 33 \
    'INFO  xenbell: booting version=' 'memory map: [0-9]+ entries' 'RAM total [0-9]+ KiB' \
    'heap: check ok' 'not running on Xen' 'xenbell: shutdown reason=poweroff'
case_ boot-above-4g 5G "log=debug" 33 '0x0100000000-0x0180000000 +[0-9]+ KiB RAM' 'heap: check ok'
case_ fault 64 "selftest=fault" 35 \
    'FATAL: exception #PF page fault \(vector 14\)' 'cr2=0x0+8 \(null pointer' 'rip=0x[0-9a-f]+ rsp=' \
    'backtrace' '#1 +0x' 'xenbell: shutdown reason=crash'
SELFTEST=nesting WANT_RESULT=SUCCESS case_ nesting 64 "selftest=nesting" 33 \
    'selftest: nesting/both_return: RESULT: SUCCESS' 'selftest: nesting/locals_kept: RESULT: SUCCESS' \
    'selftest: nesting: RESULT: SUCCESS: 2 checks: 2 SUCCESS' 'xenbell: shutdown reason=poweroff'
# An on-Xen self test off Xen: SKIP, and a clean poweroff.
SELFTEST=evtchn WANT_RESULT=SKIP case_ evtchn-off-xen 64 "selftest=evtchn" 33 \
    'selftest: evtchn: RESULT: SKIP: needs Xen' 'xenbell: shutdown reason=poweroff'
case_ panic 64 "selftest=panic" 35 'PANIC: selftest=panic: deliberate panic' 'at src/selftest/mod.rs:[0-9]+' \
    'xenbell: shutdown reason=crash'
case_ bad-value 64 "rounds=abc" 35 "ERROR cmdline: key 'rounds': bad value 'abc': expected " 'shutdown reason=crash'
case_ unknown-key 64 "colour=red" 35 "ERROR cmdline: key 'colour': unknown \\(known keys: " 'shutdown reason=crash'
# A value longer than the logger's line: the key still comes first, the value is cut with its length.
case_ long-value 64 "rounds=$(printf '1234567890%.0s' $(seq 60))" 35 \
    "ERROR cmdline: key 'rounds': bad value '1234567890123456789012345678901234567890\\.\\.\\.' \\(600 bytes\\): expected a number" \
    'shutdown reason=crash'

echo "smoke: $pass passed, $fail failed"
[ "$fail" = 0 ]
