#!/bin/sh
# testbed: dom0
# timeout: 60
# compat: 4.20
#
# bad-input-tool: wrong input to the dom0 tool gives a defined exit status and a message
# that names what was wrong, never a Rust panic. (The guest's bad input: bad-input.)
#
# How: with a good guest "xenbell" serving, and a guest "xenbell-paused" created paused
# (so it exists but never ran, and published nothing): `xenbell-dom0` without arguments,
# with an unknown command, and `ping --rounds abc` exit 2 (and print a usage line);
# `--domain nosuch`, `--domain <unused domid>` and `--domain <unused domid> --port 5` (no
# xenstore lookup: the bind's ESRCH says it) exit 4; `--port 1000` (a port the
# guest never allocated) exits 6 and says there is no such port; `--domain
# xenbell-paused` (ping and flood) and `--domain 0` exit 5. Each message is matched; no
# output may contain "panicked". Afterwards the good guest still answers a 100-round ping.
#
# Each message must start with its subject (the command, option, domain or port).
#
# Could falsely pass: messages are matched by their key parts, not whole.
. /xenbell/testbed/scenario-lib.sh

nodom=77
while xl domname $nodom > /dev/null 2>&1; do nodom=$((nodom + 1000)); done
sed -e 's/^name *=.*/name = "xenbell-paused"/' /xenbell/xl-configs/xenbell.cfg > /tmp/xenbell-paused.cfg
# Not `guest_create CFG -p`: that passes -p after the file, which xl rejects. Created
# here and put on the lib's list of guests to destroy at exit.
echo "+ xl create -p /tmp/xenbell-paused.cfg"
xl create -p /tmp/xenbell-paused.cfg 2>&1 || fail "xl create -p failed"
TB_GUESTS="$TB_GUESTS xenbell-paused"
guest_create /xenbell/xl-configs/xenbell.cfg
d=$(guest_domid xenbell)
wait_guest_line xenbell "xenbell: ready port=[0-9]+ remote=0" 30 || fail "no 'xenbell: ready' line"
tool() {  # WANT-EXIT MESSAGE-ERE ARGS...: run the tool, check exit status and message
    _want=$1 _ere=$2; shift 2
    _out=$(/xenbell/xenbell-dom0 "$@" 2>&1)
    _rc=$?
    echo "xenbell-dom0 $*: exit $_rc: $(echo "$_out" | head -n 1)"
    [ "$_rc" = "$_want" ] || fail "xenbell-dom0 $*: exit $_rc, expected $_want: $_out"
    echo "$_out" | grep -Eq -e "$_ere" || fail "xenbell-dom0 $*: message does not match '$_ere': $_out"
    echo "$_out" | grep -q panicked && fail "xenbell-dom0 $*: panicked: $_out"
    return 0
}
tool 2 "^xenbell-dom0: command: none given"
tool 2 "^xenbell-dom0: command 'frobnicate': unknown" frobnicate --domain xenbell
tool 2 "--rounds: 'abc' is not a number" ping --domain xenbell --rounds abc
tool 2 "^usage: xenbell-dom0 ping" ping --domain xenbell --rounds abc
tool 4 "^xenbell-dom0: domain 'nosuch': not found" ping --domain nosuch
tool 4 "^xenbell-dom0: domain $nodom: not found" ping --domain $nodom
tool 4 "^xenbell-dom0: domain $nodom port 5: cannot bind: no such domain" ping --domain $nodom --port 5
tool 6 "^xenbell-dom0: domain $d \(xenbell\) port 1000: cannot bind: the domain has no such port" \
    ping --domain xenbell --port 1000 --rounds 1
tool 5 "domain $(guest_domid xenbell-paused) has not published data/xenbell/port" ping --domain xenbell-paused
tool 5 "domain $(guest_domid xenbell-paused) has not published data/xenbell/port" flood --domain xenbell-paused --count 10
tool 5 "domain 0 has not published data/xenbell/port" ping --domain 0 --rounds 1

out=$(/xenbell/xenbell-dom0 ping --domain xenbell --rounds 100 --json 2>&1) || fail "ping after the bad input exited $?: $out"
echo "$out" | grep -q '"rounds_ok":100,' || fail "ping after the bad input: $out"
echo "good guest d$d: $out"
guest_destroy xenbell-paused
guest_destroy xenbell
pass
