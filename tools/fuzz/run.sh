#!/usr/bin/env bash
# tools/fuzz/run.sh [SECONDS_PER_TARGET]   (default 20)
#
# Runs every cargo-fuzz target in fuzz/ (libFuzzer, nightly toolchain) for
# SECONDS_PER_TARGET each and prints one line per target,
#   PASS fuzz/<target>
#   FAIL fuzz/<target>: <reason>
# then exactly `fuzz: N passed, M failed`; exits non-zero if any failed.
#
# - Installs cargo-fuzz with `cargo install --locked` into the normal cargo
#   bin dir if `cargo fuzz` is missing (once; about a minute).
# - Builds in fuzz/target (its own target dir: no lock contention with the
#   root workspace's builds, no nightly artifacts in target/).
# - Corpus: fuzz/corpus/<target> (grows, not committed) plus the committed
#   seeds in fuzz/seeds/<target>. Crash inputs: fuzz/artifacts/<target>/,
#   full logs: fuzz/logs/<target>.log (all gitignored). A FAIL line names
#   the artifact and the command that replays it.
# - Environment: FUZZ_TOOLCHAIN (default nightly), FUZZ_SANITIZER (default
#   none: the fuzzed code has no unsafe paths, so ASan would only halve the
#   speed; set `address` to use it), FUZZ_TARGETS (space-separated subset).
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

secs=${1:-20}
if ! [[ $secs =~ ^[0-9]+$ ]] || ((secs < 1)); then
    echo "usage: tools/fuzz/run.sh [SECONDS_PER_TARGET]" >&2
    exit 2
fi
toolchain=${FUZZ_TOOLCHAIN:-nightly}
sanitizer=${FUZZ_SANITIZER:-none}
export CARGO_TARGET_DIR=$root/fuzz/target
# cargo-fuzz sets its own RUSTFLAGS (coverage instrumentation); a caller's
# flags (e.g. +crt-static for the dom0 build) must not leak into them.
unset RUSTFLAGS CARGO_BUILD_RUSTFLAGS
logs=$root/fuzz/logs
mkdir -p "$logs"

passed=0 failed=0
pass() { echo "PASS fuzz/$1"; passed=$((passed + 1)); }
fail() { echo "FAIL fuzz/$1: $2"; failed=$((failed + 1)); }
finish() {
    echo "fuzz: $passed passed, $failed failed"
    ((failed == 0))
    exit $?
}

# ---- prerequisites ------------------------------------------------------------
if ! command -v c++ >/dev/null 2>&1 && ! command -v g++ >/dev/null 2>&1; then
    fail setup "no C++ compiler (libfuzzer-sys builds libFuzzer): install the Debian package g++"
    finish
fi
if ! cargo "+$toolchain" --version >/dev/null 2>&1; then
    fail setup "no '$toolchain' toolchain (cargo-fuzz needs nightly): rustup toolchain install $toolchain"
    finish
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz (cargo install --locked cargo-fuzz)"
    if ! cargo install --locked cargo-fuzz --version '^0.13' >"$logs/install.log" 2>&1; then
        fail setup "cargo install cargo-fuzz failed (see fuzz/logs/install.log)"
        finish
    fi
fi

# ---- build every target once --------------------------------------------------
mapfile -t all < <(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^xenbell-fuzz$')
targets=(${FUZZ_TARGETS:-${all[@]}})
fuzz=(cargo "+$toolchain" fuzz)
if ! "${fuzz[@]}" build -s "$sanitizer" >"$logs/build.log" 2>&1; then
    err=$(grep -m1 -E '^error' "$logs/build.log")
    for t in "${targets[@]}"; do
        fail "$t" "build failed: ${err:-see fuzz/logs/build.log}"
    done
    finish
fi

# ---- run ------------------------------------------------------------------------
for t in "${targets[@]}"; do
    if [[ ! -f fuzz/fuzz_targets/$t.rs ]]; then
        fail "$t" "no such target"
        continue
    fi
    corpus=(fuzz/corpus/"$t")
    mkdir -p "${corpus[0]}"
    [[ -d fuzz/seeds/$t ]] && corpus+=(fuzz/seeds/"$t")
    extra=()
    case $t in
        xs_parser) extra+=(-max_len=16384) ;; # room for a 4096-byte payload and more
        cmdline) extra+=(-dict=fuzz/dict/cmdline.dict) ;;
    esac
    log=$logs/$t.log
    # -timeout: one input running 10 s is a hang ("never endless");
    # timeout(1) is the backstop for a run that never ends at all.
    timeout --kill-after=10 $((secs + 300)) "${fuzz[@]}" run -s "$sanitizer" "$t" "${corpus[@]}" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${extra[@]}" \
        >"$log" 2>&1
    rc=$?
    if ((rc == 0)) && grep -q '^Done [0-9]* runs' "$log"; then
        pass "$t"
        continue
    fi
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    artifact=${artifact#"$root"/}
    if ((rc == 124 || rc == 137)); then
        reason="did not finish within $((secs + 300)) s"
    elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then
        reason="an input ran longer than 10 s (endless loop?)"
    elif grep -q 'out-of-memory' "$log"; then
        reason="out of memory (over 2048 MB)"
    elif loc=$(grep -m1 -o 'panicked at [^ ]*' "$log"); then
        msg=$(grep -m1 -A1 'panicked at' "$log" | tail -1 | cut -c1-160)
        reason="${loc%:} $msg"
    elif grep -q '^error' "$log"; then
        reason="build failed: $(grep -m1 '^error' "$log")"
    else
        reason="exit $rc: $(grep -m1 -E 'ERROR|SUMMARY' "$log" || tail -1 "$log")"
    fi
    if [[ -n $artifact ]]; then
        reason+=" [input: $artifact; replay: cargo +$toolchain fuzz run -s $sanitizer $t $artifact]"
    fi
    fail "$t" "$reason (log: fuzz/logs/$t.log)"
done
finish
