# The API of a host-side ("# testbed: own-boot") scenario, sourced by bash on the host.
# The runner (tb/e2e.py) sets:
#   TB_SCENARIO   the scenario's name
#   TB_OUT        its output directory, target/testbed/logs/<name>/
#   TB_KERNEL     the kernel image under test
#   TB_PYTHON, TB_RUNNER_PY, TB_XEN   to call the runner (same Xen release): use tb_runner below
# End with `pass` or `fail "reason"`: exactly one PASS/FAIL line, like dom0 scenarios.
# `fail` shows the last 20 lines of $log (set it to the serial log you judge).

tb_runner() {  # runner.py [--kernel the kernel under test] ARGS...
    "$TB_PYTHON" "$TB_RUNNER_PY" --xen "${TB_XEN:-4.17}" --kernel "$TB_KERNEL" "$@"
}

pass() {
    echo "PASS $TB_SCENARIO"
    exit 0
}

fail() {
    echo "FAIL $TB_SCENARIO: $*"
    if [ -n "${log:-}" ] && [ -f "$log" ]; then
        echo "--- $log (last 20 lines) ---"
        tail -n 20 "$log"
    fi
    exit 1
}

# selftest_result LOG TEST: the outcome on the self test TEST's own result line in LOG
# ("selftest: TEST: RESULT: <R>", docs/protocol.md), or CRASH when there is none.
selftest_result() {
    local r
    r=$(sed -n "s/.*selftest: $2: RESULT: \([A-Z]*\).*/\1/p" "$1" | head -n 1)
    echo "${r:-CRASH}"
}
