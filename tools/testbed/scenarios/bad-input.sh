#!/bin/sh
# testbed: dom0
# timeout: 90
# compat: 4.20
#
# bad-input: a bad kernel command line gives one clear error line naming the key and the
# value, then a crash shutdown that Xen sees as a crash (on_crash="preserve" keeps the
# domain, `xl list` state 'c'). (The dom0 tool's bad input: bad-input-tool.)
#
# How: five guests from xenbell.cfg with cmdline "colour=red", "rounds=abc",
# "rounds=<600 digits>" (longer than the kernel's 512-byte log line),
# "remote=<a domid that does not exist, 77 unless taken>" and "mode=nonsense", created
# together. For each we wait until xl's monitor of the domain logs "Domain N has shut
# down, reason code R" (/var/log/xen/xl-<name>.log), then check: R = 3 (SHUTDOWN_crash),
# `xl list` state 'c', the guest's output (port-0xe9 lines and console log) holds exactly
# one distinct ERROR line, and it is the expected one, its subject (the key) first and the
# value escaped and bounded ("cmdline: key 'colour': unknown", "cmdline: key 'rounds': bad
# value 'abc': expected", "cmdline: key 'rounds': bad value '<first 40 digits>...' (600
# bytes): expected", "cmdline: key 'remote': bad value '77': no domain 77 exists",
# "cmdline: key 'mode': bad value 'nonsense'"), plus "xenbell: shutdown reason=crash", no
# "xenbell: ready", no PANIC/FATAL. Every guest is checked and every problem listed
# before the one FAIL line.
#
# Could falsely pass: the error texts are matched by their leading parts, not whole.
. /xenbell/testbed/scenario-lib.sh

nodom=77
while xl domname $nodom > /dev/null 2>&1; do nodom=$((nodom + 1000)); done
mk() {  # NAME CMDLINE
    sed -e "s/^name *=.*/name = \"$1\"/" -e "s/^cmdline *=.*/cmdline = \"$2\"/" \
        /xenbell/xl-configs/xenbell.cfg > /tmp/$1.cfg
    guest_create /tmp/$1.cfg
}
mk xenbell-bad-colour "colour=red"
mk xenbell-bad-rounds "rounds=abc"
digits=$(printf '1234567890%.0s' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 \
    31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60)
[ ${#digits} = 600 ] || fail "test bug: ${#digits} digits, not 600"
mk xenbell-bad-long "rounds=$digits"
mk xenbell-bad-remote "remote=$nodom"
mk xenbell-bad-mode "mode=nonsense"

problems=""
problem() { echo "PROBLEM: $*"; problems="$problems${problems:+; }$*"; }
reason() {  # NAME: the shutdown reason code xl's monitor saw (0 poweroff, 1 reboot, 3 crash)
    sed -n 's/.*has shut down, reason code \([0-9]*\).*/\1/p' "/var/log/xen/xl-$1.log" 2>/dev/null | head -n 1
}
shut_down() { [ -n "$(reason "$1")" ]; }
check_guest() {  # NAME EXPECTED-ERE
    if ! tb_wait 30 shut_down "$1"; then
        problem "$1: no shutdown within 30 s (state '$(guest_state "$1")')"
        return
    fi
    r=$(reason "$1") st=$(guest_state "$1")
    e=$(guest_output "$1" | grep -E "ERROR" | sed 's/^.*ERROR *//' | sort -u)
    echo "$1: Xen shutdown reason code $r, xl list state '$st', error line: $e"
    sed "s/^/  xl log: /" "/var/log/xen/xl-$1.log"
    if [ "$r" != 3 ]; then
        problem "$1: Xen saw shutdown reason code $r, not 3 (crash) (xl list state '$st')"
    else
        case "$st" in *c*) ;; *) problem "$1: not kept as crashed (xl list state '$st')" ;; esac
    fi
    [ "$(echo "$e" | wc -l)" = 1 ] || problem "$1: $(echo "$e" | wc -l) distinct ERROR lines"
    echo "$e" | grep -Eq -e "$2" || problem "$1: error line '$e' does not match '$2'"
    guest_has_line "$1" "xenbell: shutdown reason=crash" || problem "$1: no 'xenbell: shutdown reason=crash'"
    guest_has_line "$1" "xenbell: ready" && problem "$1 said ready despite the bad command line"
    guest_has_line "$1" "PANIC|FATAL" && problem "$1: a panic or fault, not a clean error"
}
check_guest xenbell-bad-colour "^cmdline: key 'colour': unknown \(known keys: "
check_guest xenbell-bad-rounds "^cmdline: key 'rounds': bad value 'abc': expected "
check_guest xenbell-bad-long \
    "^cmdline: key 'rounds': bad value '1234567890123456789012345678901234567890\.\.\.' \(600 bytes\): expected "
check_guest xenbell-bad-remote "^cmdline: key 'remote': bad value '$nodom': no domain $nodom exists"
check_guest xenbell-bad-mode "^cmdline: key 'mode': bad value 'nonsense': expected "
[ -z "$problems" ] || fail "$problems"
for g in colour rounds long remote mode; do guest_destroy xenbell-bad-$g; done
pass
