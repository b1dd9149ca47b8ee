#!/usr/bin/env bash
# Host test of `make install`, `make uninstall` and `make deb`: installs into
# a DESTDIR, checks every file (kernel, static tool, xl configs pointing at
# the installed kernel, man pages, completions) and that nothing else was
# written; uninstalls and checks nothing is left; builds the .deb and checks
# `dpkg-deb -c` lists exactly the same files under /usr, with their modes.
# Prints one PASS/FAIL line per check and "install: N passed, M failed".
# How it could falsely pass: the list it compares against comes from the same
# script that installs (install.sh list), so a file missing from both is not
# noticed; the fixed names checked first (kernel, tool, two configs, the
# tool's man page) are spelled out here for that reason.
set -uo pipefail
cd "$(dirname "$0")/../.."
pass=0 fail=0
check() {  # NAME COMMAND...
    local name=$1; shift
    if "$@"; then echo "PASS $name"; pass=$((pass + 1)); else echo "FAIL $name"; fail=$((fail + 1)); fi
}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
P=/usr/local D=$T/dest
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)

make --no-print-directory install PREFIX=$P DESTDIR="$D" > "$T/install.log" 2>&1 || { cat "$T/install.log"; echo "FAIL make install"; fail=$((fail + 1)); }

fixed=(lib/xenbell/xenbell.elf sbin/xenbell-dom0 share/xenbell/xenbell.cfg share/xenbell/xenbell-lead.cfg
       share/man/man8/xenbell-dom0.8.gz share/bash-completion/completions/xenbell-dom0)
has_fixed() { local f; for f in "${fixed[@]}"; do [ -f "$D$P/$f" ] || { echo "  missing $P/$f"; return 1; }; done; }
check "install: the kernel, tool, xl configs, man page and bash completion are there" has_fixed

same_list() {  # the files found under $D are exactly the listed ones
    diff <(cd "$D" && find . -type f | sed 's|^\.||' | sort) <(tools/install/install.sh list $P | sort)
}
check "install: exactly the listed files, nothing else" same_list
check "install: the kernel is target/xenbell.elf" cmp -s target/xenbell.elf "$D$P/lib/xenbell/xenbell.elf"

tool_ok() {
    local t=$D$P/sbin/xenbell-dom0
    [ -x "$t" ] && [ "$(stat -c %a "$t")" = 755 ] || { echo "  not mode 755"; return 1; }
    [ "$("$t" --version)" = "xenbell-dom0 $version" ] || { echo "  --version: $("$t" --version)"; return 1; }
    # Static: no program interpreter, no shared libraries.
    ! readelf -lW "$t" | grep -q 'INTERP' && ! readelf -dW "$t" | grep -q NEEDED
}
check "install: the tool is static, mode 755 and says its version" tool_ok

cfgs_ok() {
    local f out
    for f in xl-configs/*.cfg; do
        out=$D$P/share/xenbell/$(basename "$f")
        grep -qx "kernel = \"$P/lib/xenbell/xenbell.elf\"" "$out" || { echo "  $out: kernel line: $(grep '^kernel' "$out")"; return 1; }
        # Nothing but the kernel line differs.
        diff <(grep -v '^kernel = ' "$f") <(grep -v '^kernel = ' "$out") || return 1
    done
}
check "install: each xl config's kernel = the installed kernel, the rest unchanged" cfgs_ok

man_ok() {
    local c page
    for c in "" -ping -serve -flood -status -offer -completions; do
        page=$D$P/share/man/man8/xenbell-dom0$c.8.gz
        zcat "$page" | grep -q '^\.TH xenbell-dom0' || { echo "  $page: no .TH header"; return 1; }
    done
    zcat "$D$P/share/man/man8/xenbell-dom0-ping.8.gz" | grep -q -- 'follow' || { echo "  ping page lacks --follow"; return 1; }
    ! command -v man >/dev/null || man -l "$D$P/share/man/man8/xenbell-dom0.8.gz" 2>/dev/null | grep -q 'ping'
}
check "install: a man page for the tool and each subcommand" man_ok
check "install: the bash completion parses" bash -n "$D$P/share/bash-completion/completions/xenbell-dom0"

make --no-print-directory uninstall PREFIX=$P DESTDIR="$D" > "$T/uninstall.log" 2>&1 || { cat "$T/uninstall.log"; echo "FAIL make uninstall"; fail=$((fail + 1)); }
nothing_left() {
    local left
    left=$(find "$D" -type f)
    [ -z "$left" ] || { echo "  left: $left"; return 1; }
    [ ! -d "$D$P/lib/xenbell" ] && [ ! -d "$D$P/share/xenbell" ]
}
check "uninstall: no file left, the xenbell directories removed" nothing_left

deb=$(make --no-print-directory -s deb 2>"$T/deb.log" | tail -n 1)
[ -f "$deb" ] || { cat "$T/deb.log"; echo "FAIL make deb: no package ($deb)"; fail=$((fail + 1)); deb=/nonexistent; }
deb_list() {  # dpkg-deb -c: the same files, under /usr, root-owned, the tool executable
    dpkg-deb -c "$deb" > "$T/contents" || return 1
    diff <(awk '$1 ~ /^-/ {sub(/^\./, "", $6); print $6}' "$T/contents" | sort) \
         <(tools/install/install.sh list /usr | sort) || return 1
    ! awk '{print $2}' "$T/contents" | grep -v '^root/root$' | grep -q . || { echo "  not all root/root"; return 1; }
    grep -Eq '^-rwxr-xr-x .* \./usr/sbin/xenbell-dom0$' "$T/contents" || { echo "  usr/sbin/xenbell-dom0 not 0755"; return 1; }
}
check "deb: dpkg-deb -c lists exactly the installed files under /usr" deb_list
deb_fields() {
    [ "$(dpkg-deb -f "$deb" Package Version Architecture | tr '\n' ' ')" = "Package: xenbell Version: $version Architecture: amd64 " ]
}
check "deb: control says xenbell $version amd64" deb_fields
deb_cfg() {
    dpkg-deb -x "$deb" "$T/x" && cmp -s target/xenbell.elf "$T/x/usr/lib/xenbell/xenbell.elf" &&
        grep -qx 'kernel = "/usr/lib/xenbell/xenbell.elf"' "$T/x/usr/share/xenbell/xenbell.cfg"
}
check "deb: its kernel and the xl config's kernel = line" deb_cfg

echo "install: $pass passed, $fail failed"
((fail == 0))
