# The API of a dom0 scenario (busybox sh). A scenario starts with
#     . /xenbell/testbed/scenario-lib.sh
# and ends with `pass` or `fail "reason"`. The runner (job-e2e.sh) sets TB_SCENARIO (the
# name) and TB_OUT (a directory copied to target/testbed/logs/<name>/ on the host).
# Guests started with guest_create are destroyed when the scenario exits.

. /xenbell/testbed/lib.sh
: "${TB_SCENARIO:=$(basename "$0" .sh)}" "${TB_OUT:=/tmp}"
TB_GUESTS=""
trap 'guest_destroy_all' EXIT
trap 'exit 143' TERM INT

pass() {  # the one success line
    echo "PASS $TB_SCENARIO"
    exit 0
}

fail() {  # REASON: the one failure line, then the log tail that explains it
    echo "FAIL $TB_SCENARIO: $*"
    diag
    exit 1
}

diag() {  # what the guests printed, and the end of Xen's console
    for _dg in $TB_GUESTS; do
        echo "--- output of guest $_dg (port 0xe9 lines from xl dmesg, then its console log; last 20) ---"
        guest_output "$_dg" | tail -n 20
    done
    echo "--- xl dmesg (last 20 lines) ---"
    xl dmesg 2>&1 | tail -n 20
}

# guest_create CFG [xl create options...]: create a guest, remember it for cleanup.
# It is created paused and unpaused once its domid is noted, so that its output can be
# found (by domid) even if it is gone before `xl domid` could be asked. With -p among
# the options it stays paused.
guest_create() {
    _gc_name=$(sed -n 's/^ *name *= *"\([^"]*\)".*/\1/p' "$1" | head -n 1)
    [ -n "$_gc_name" ] || fail "no name= in $1"
    TB_GUESTS="$TB_GUESTS $_gc_name"
    # TB_CMDLINE_EXTRA (e.g. "evtchn=2l", set by a scenario that re-runs others): added
    # to the config's cmdline, in a copy.
    if [ -n "$TB_CMDLINE_EXTRA" ]; then
        _gc_copy=/tmp/tb-extra-$_gc_name.cfg
        if grep -q '^ *cmdline *=' "$1"; then
            sed "s/^ *cmdline *= *\"\(.*\)\"/cmdline = \"\1 $TB_CMDLINE_EXTRA\"/" "$1" > "$_gc_copy"
        else
            { cat "$1"; echo "cmdline = \"$TB_CMDLINE_EXTRA\""; } > "$_gc_copy"
        fi
        shift
        set -- "$_gc_copy" "$@"
    fi
    # xl wants its options before the config file: drop a -p given among the
    # options (we always create paused) and remember it.
    _gc_cfg=$1; shift
    _gc_stay=no; _gc_opts=""
    for _gc_a in "$@"; do
        if [ "$_gc_a" = -p ]; then _gc_stay=yes; else _gc_opts="$_gc_opts $_gc_a"; fi
    done
    echo "+ xl create -p $_gc_cfg$_gc_opts"
    # shellcheck disable=SC2086 # the options are words
    xl create -p "$_gc_cfg" $_gc_opts 2>&1 || fail "xl create -p $_gc_cfg$_gc_opts failed"
    _gc_id=$(xl domid "$_gc_name" 2>/dev/null) || fail "xl create returned but no domain $_gc_name"
    echo "$_gc_name $_gc_id" >> /tmp/tb-domids
    [ "$_gc_stay" = yes ] || xl unpause "$_gc_name" || fail "xl unpause $_gc_name failed"
}

# guest_migrate NAME PREV_DOMID WHAT: `xl migrate` to this host (no ssh: xl runs the
# receive command itself under an empty -s), then the new domain's id in $migrated_to,
# remembered for cleanup; fails naming WHAT if the move failed or kept the domid.
guest_migrate() {
    _gm_t0=$(tb_cs)
    xl migrate -s "" "$1" "xl migrate-receive" > /tmp/tb-migrate.log 2>&1 ||
        fail "$3: xl migrate exited $?: $(tail -n 5 /tmp/tb-migrate.log)"
    migrated_to=$(xl domid "$1") || fail "$3: no domain $1 after the migration"
    echo "$1 $migrated_to" >> /tmp/tb-domids
    [ "$migrated_to" != "$2" ] || fail "$3: same domid $2 after the migration"
    echo "$3: domid $2 -> $migrated_to in $((($(tb_cs) - _gm_t0) * 10)) ms"
}

# session_sums FILE...: "received answered" summed over the guest's session lines.
session_sums() {
    cat "$@" 2>/dev/null | sed -n 's/.*session with domain 0: received=\([0-9]*\) answered=\([0-9]*\).*/\1 \2/p' |
        awk '{ r += $1; a += $2 } END { print r + 0, a + 0 }'
}

guest_destroy() {  # NAME
    echo "+ xl destroy $1"
    xl destroy "$1" 2>&1
}

guest_destroy_all() {
    for _gd in $TB_GUESTS; do
        xl domid "$_gd" > /dev/null 2>&1 && guest_destroy "$_gd"
    done
    TB_GUESTS=""
}

guest_domid() {  # NAME: its domain id (also once it is gone, if guest_create made it)
    xl domid "$1" 2>/dev/null ||
        awk -v n="$1" '$1 == n { d = $2 } END { if (d == "") exit 1; print d }' /tmp/tb-domids 2>/dev/null
}

guest_state() {  # NAME: the state letters of `xl list` (r, b, p, s, c, d); empty if gone
    xl list "$1" 2>/dev/null | awk 'NR == 2 { print $5 }'
}

# guest_output NAME: what the guest printed: its port-0xe9 lines from Xen's console ring
# ("(dN) text" in `xl dmesg`, prefix removed) and then its PV console log.
guest_output() {
    _go_id=$(guest_domid "$1")
    # Xen prints them as "(dN) [ <boot time>] text" (console_timestamps=boot)
    [ -n "$_go_id" ] && xl dmesg 2>/dev/null |
        sed -n "s/^.*(d$_go_id) \(\[ *[0-9.]*\] \)\{0,1\}//p"
    cat "/var/log/xen/console/guest-$1.log" 2>/dev/null
}

guest_has_line() {  # NAME EREGEX
    guest_output "$1" | grep -Eq "$2"
}

wait_guest_line() {  # NAME EREGEX SECS: wait until the guest printed a matching line
    tb_wait "$3" guest_has_line "$1" "$2"
}

xs_read() {  # NAME RELPATH: read /local/domain/<domid>/RELPATH
    xenstore-read "/local/domain/$(guest_domid "$1")/$2" 2>/dev/null
}

# guest_selftest NAME TEST SECS: waits (up to SECS) for the self test TEST's own result line
# "selftest: TEST: RESULT: <R>" (docs/protocol.md) and prints R: SUCCESS, SKIP, ERROR or
# FAILURE; CRASH when there is none (the guest shut down, died or hung before it could say).
guest_selftest() {
    wait_guest_line "$1" "selftest: $2: RESULT: |xenbell: shutdown reason=" "$3"
    _gs=$(guest_output "$1" | sed -n "s/.*selftest: $2: RESULT: \([A-Z]*\).*/\1/p" | head -n 1)
    echo "${_gs:-CRASH}"
}

# selftest_why NAME TEST: the checks of TEST that did not succeed, on one line.
selftest_why() {
    guest_output "$1" | sed -n "s/.*\(selftest: $2\/[a-z0-9_]*: RESULT: [EF][A-Z]*.*\)/\1/p" | head -n 3 | tr '\n' ';'
}
