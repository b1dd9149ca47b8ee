# Harness helpers for dom0 (busybox sh), sourced by /init and the job scripts.
# The host runner (tools/testbed/tb/protocol.py) reads the console for lines
# "@@TB <KIND> ...": keep the two in step.

tb_mark() {  # KIND [WORDS...]: one marker line for the host
    echo "@@TB $*"
}

tb_now() {  # whole seconds of dom0 uptime
    cut -d. -f1 /proc/uptime
}

tb_cs() {  # dom0 uptime in centiseconds
    _tc=$(cut -d' ' -f1 /proc/uptime)   # e.g. "104.13" (always two decimals)
    _tc=${_tc%.*}${_tc#*.}
    _tc=${_tc#0}; echo "${_tc#0}"        # "0.05" -> 5, not octal 005
}

tb_wait() {  # SECS CMD...: run CMD every 0.1 s until it succeeds; 1 after SECS seconds
    _tw_end=$(($(tb_cs) + $1 * 100)); shift
    until "$@" > /dev/null 2>&1; do
        [ "$(tb_cs)" -lt "$_tw_end" ] || return 1
        usleep 100000
    done
}

tb_relay() {  # FILE: copy stdin to FILE and, line by line as "@@TB O <line>", to the console
    while IFS= read -r _tr_line || [ -n "$_tr_line" ]; do
        printf '@@TB O %s\n' "$_tr_line"
        printf '%s\n' "$_tr_line" >> "$1"
    done
}

# tb_bounded SECS FILE CMD...: run CMD in a session of its own, its output relayed
# (tb_relay FILE); after SECS seconds the whole session gets SIGTERM, 5 s later SIGKILL.
# Sets TB_RC (CMD's status) and TB_TIMED_OUT (0/1). Afterwards anything CMD left behind in
# its session is killed. (busybox `timeout` signals only CMD itself, not its children, and
# a shell waiting for a child would outlive it.)
tb_bounded() {
    _tb_secs=$1 _tb_file=$2; shift 2
    _tb_fifo=/tmp/tb-relay.$$.fifo _tb_flag=/tmp/tb-timed-out.$$
    rm -f "$_tb_fifo" "$_tb_flag"; mkfifo "$_tb_fifo"
    tb_relay "$_tb_file" < "$_tb_fifo" &
    _tb_relay=$!
    # A background child of this (non-interactive) shell is no group leader, so setsid
    # does not fork: $! is the new session's id.
    setsid "$@" > "$_tb_fifo" 2>&1 < /dev/null &
    _tb_pid=$!
    setsid sh -c "sleep $_tb_secs; touch $_tb_flag; kill -TERM -- -$_tb_pid
                  sleep 5; kill -KILL -- -$_tb_pid" > /dev/null 2>&1 &
    _tb_dog=$!
    wait "$_tb_pid"; TB_RC=$?
    kill -KILL -- "-$_tb_dog" "-$_tb_pid" 2> /dev/null
    wait "$_tb_dog" "$_tb_relay" 2> /dev/null
    TB_TIMED_OUT=0; [ -e "$_tb_flag" ] && TB_TIMED_OUT=1
    rm -f "$_tb_fifo" "$_tb_flag"
}

tb_domains() {  # names of all domains but dom0
    xl list 2>/dev/null | awk 'NR > 1 && $2 != 0 { print $1 }'
}

tb_destroy_all() {  # destroy every domain but dom0; prints their names
    for _td in $(tb_domains); do
        echo "$_td"
        xl destroy "$_td" > /dev/null 2>&1
    done
}

tb_send_file() {  # FILE NAME: FILE to the host as base64 lines between markers
    tb_mark FILE "$2" "$(wc -c < "$1")" "$(sha256sum "$1" | cut -d' ' -f1)"
    base64 "$1" | sed 's/^/@@TB D /'
    tb_mark FILE-END "$2"
}

tb_send_dir() {  # DIR NAME: DIR as a gzip'd tar file to the host
    tar -czf /tmp/tb-send.tar.gz -C "$1" . 2> /dev/null || { tb_mark FILE-ERROR "$2"; return 1; }
    tb_send_file /tmp/tb-send.tar.gz "$2"
    rm -f /tmp/tb-send.tar.gz
}
