#!/usr/bin/env bash
# `make test`: every suite, each to its end even if an earlier one failed
# (fuzz runs beside the test bed, the others one after the other); the
# closing line adds them up: "test: N passed, M failed".
#   host   cargo test (the default members: crates/ and the dom0 tool) (ABI vs. real headers, decoder, parsers, dom0 tool)
#   lint   clippy, warnings as errors, undocumented unsafe denied (no count:
#          a failure is counted as one failed suite)
#   fuzz   every cargo-fuzz target for a few seconds (tools/fuzz/run.sh)
#   install  make install/uninstall into a DESTDIR, make deb + dpkg-deb -c (tools/install/test.sh)
#   smoke  the kernel under plain QEMU (tools/smoke/run.sh)
#   e2e    the Xen test bed scenarios (tools/testbed, `make e2e`), on Xen 4.17
#   e2e-4.20  the compatibility set on Debian trixie's Xen 4.20 (`make e2e XEN=4.20`)
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
passed=0 failed=0 broken=()

# count LOG REGEX: adds the passed/failed numbers of summary lines in LOG.
count() {
    local p f
    read -r p f < <(grep -E "$2" "$1" | sed -E 's/.* ([0-9]+) passed[;,] ([0-9]+) failed.*/\1 \2/' |
                    awk '{p += $1; f += $2} END {print p + 0, f + 0}')
    passed=$((passed + p)); failed=$((failed + f))
}

suite() {
    local name=$1; shift
    echo "==== $name: $*"
    local log=target/test-$name.log
    "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    [ "$rc" = 0 ] || broken+=("$name (exit $rc)")
    echo "==== $name: exit $rc"
}

# background NAME CMD...: a suite that runs beside the next ones (its output
# goes to its log and is shown when it is collected with `collect NAME`).
declare -A bg_pid
background() {
    local name=$1; shift
    echo "==== $name: $* (in the background, beside the test bed)"
    ("$@" > "target/test-$name.log" 2>&1; echo $? > "target/test-$name.rc") &
    bg_pid[$name]=$!
}
collect() {
    local name=$1
    wait "${bg_pid[$name]}"
    cat "target/test-$name.log"
    local rc; rc=$(cat "target/test-$name.rc" 2>/dev/null || echo 1)
    [ "$rc" = 0 ] || broken+=("$name (exit $rc)")
    echo "==== $name: exit $rc"
}

suite host make --no-print-directory host-test
count target/test-host.log '^test result: '
suite lint make --no-print-directory lint
suite install make --no-print-directory install-test
count target/test-install.log '^install: [0-9]+ passed, [0-9]+ failed$'
suite smoke make --no-print-directory smoke
count target/test-smoke.log '^smoke: [0-9]+ passed, [0-9]+ failed$'
# The test bed's QEMU runs one CPU (-smp 1): libFuzzer, one target at a time,
# takes the other core meanwhile (make test stays under 15 minutes).
background fuzz make --no-print-directory fuzz-short
if grep -q '^e2e:' tools/testbed/testbed.mk 2>/dev/null; then
    suite e2e make --no-print-directory e2e
    count target/test-e2e.log '^[0-9]+ passed, [0-9]+ failed$'
    # Debian trixie's Xen 4.20: the compatibility set (scenarios with '# compat: 4.20').
    suite e2e-4.20 make --no-print-directory e2e XEN=4.20
    count target/test-e2e-4.20.log '^[0-9]+ passed, [0-9]+ failed$'
fi
collect fuzz
count target/test-fuzz.log '^fuzz: [0-9]+ passed, [0-9]+ failed$'

if ((${#broken[@]})); then
    echo "test: suites that failed: ${broken[*]}"
    # A suite that died before its summary still counts as a failure.
    ((failed == 0)) && failed=${#broken[@]}
fi
echo "test: $passed passed, $failed failed"
((${#broken[@]} == 0 && failed == 0))
