# dom0 side of `make e2e`: run the scenarios named in TB_SCENARIOS, in order, each bounded
# by the "# timeout: N" header of its file (default 60 s), and judge each one:
#   PASS only if it printed exactly one line "PASS <name>", exited 0, did not time out
#   and left no domain running; otherwise FAIL with the reason. Reported to the host as
#   "@@TB RESULT <name> PASS" or "@@TB RESULT <name> FAIL <reason>", followed by the
#   relevant log tail as "@@TB T <line>" lines. Outputs go to /tmp/tb-out/<name>/.
. /xenbell/testbed/lib.sh

judge() {  # NAME SECS OUTFILE: sets VERDICT ("PASS" or "FAIL: reason"); the tail to show
           # with a FAIL goes to /tmp/tb-tail
    _out=$3
    _count=$(grep -cE "^(PASS|FAIL) $1(: .*)?\$" "$_out")
    _line=$(grep -E "^(PASS|FAIL) $1(: .*)?\$" "$_out" | head -n 1)
    : > /tmp/tb-tail
    if [ "$TB_TIMED_OUT" = 1 ]; then
        VERDICT="FAIL: timed out after $2 s"
    elif [ "$_count" -eq 0 ]; then
        VERDICT="FAIL: printed no PASS/FAIL line (exit status $TB_RC)"
    elif [ "$_count" -gt 1 ]; then
        VERDICT="FAIL: printed $_count PASS/FAIL lines"
    elif [ "${_line%% *}" = FAIL ]; then
        VERDICT="FAIL: ${_line#FAIL $1: }"
        # the scenario's own explanation: what it printed after its FAIL line
        sed -n "/^FAIL $1/,\$p" "$_out" | sed 1d | head -n 80 > /tmp/tb-tail
        return
    elif [ "$TB_RC" -ne 0 ]; then
        VERDICT="FAIL: printed PASS but exited with status $TB_RC"
    elif [ -n "$LEFTOVER" ]; then
        VERDICT="FAIL: left domains running: $LEFTOVER (a scenario must xl destroy its guests)"
    else
        VERDICT=PASS
        return
    fi
    { echo "--- scenario output (last 20 lines) ---"; tail -n 20 "$_out"
      echo "--- xl dmesg (last 20 lines) ---"; tail -n 20 "$TB_OUT/xl-dmesg.txt"; } > /tmp/tb-tail
}

failed=0
for name in $TB_SCENARIOS; do
    file=/xenbell/scenarios/$name.sh
    secs=$(sed -n 's/^# *timeout: *\([0-9][0-9]*\).*/\1/p' "$file" | head -n 1)
    secs=${secs:-60}
    export TB_SCENARIO=$name TB_OUT=/tmp/tb-out/$name
    mkdir -p "$TB_OUT"
    tb_mark BEGIN "$name" "$secs"
    tb_bounded "$secs" "$TB_OUT/output.txt" sh "$file"
    # A scenario may stop xenconsoled (console-stopped) and is killed before its trap
    # resumes it: resume it here too, or every later scenario loses its console logs.
    kill -CONT "$(cat /var/run/xenconsoled.pid 2>/dev/null)" 2> /dev/null
    xl dmesg > "$TB_OUT/xl-dmesg.txt" 2>&1
    LEFTOVER=$(tb_destroy_all | tr '\n' ' ')
    LEFTOVER=${LEFTOVER% }
    # xenconsoled appends to guest-<name>.log; move it so the next scenario starts afresh
    mv /var/log/xen/console/guest-*.log "$TB_OUT/" 2> /dev/null
    touch "$TB_OUT/output.txt"
    judge "$name" "$secs" "$TB_OUT/output.txt"
    if [ "$VERDICT" = PASS ]; then
        tb_mark RESULT "$name" PASS
        echo "PASS $name" >> /tmp/tb-out/results.txt
    else
        failed=$((failed + 1))
        tb_mark RESULT "$name" FAIL "${VERDICT#FAIL: }"
        echo "FAIL $name: ${VERDICT#FAIL: }" >> /tmp/tb-out/results.txt
        while IFS= read -r l; do tb_mark T "$l"; done < /tmp/tb-tail
        tb_mark T-END "$name"
    fi
done
[ "$failed" -eq 0 ]
