#!/usr/bin/env bash
# Installs (or uninstalls, or lists) xenbell on a Xen host; `make install`,
# `make uninstall` and `make deb` call it. One list of files for all three.
#
#   install.sh install   PREFIX DESTDIR   copy the built files in
#   install.sh uninstall PREFIX DESTDIR   remove exactly those files (and the
#                                         xenbell directories, if left empty)
#   install.sh list      PREFIX           print the installed paths, one a line
#
# Inputs (built by `make all man`): target/xenbell.elf, target/xenbell-dom0,
# target/man/*.8, xl-configs/*.cfg. Layout under PREFIX:
#   lib/xenbell/xenbell.elf          the kernel
#   sbin/xenbell-dom0                the dom0 tool (static)
#   share/xenbell/*.cfg              xl configs, `kernel =` the installed kernel
#   share/man/man8/*.8.gz            man pages (generated from the CLI definition)
#   share/bash-completion/completions/xenbell-dom0, share/zsh/vendor-completions/_xenbell-dom0,
#   share/fish/vendor_completions.d/xenbell-dom0.fish   shell completions
set -euo pipefail
cd "$(dirname "$0")/../.."

action=${1:?usage: install.sh install|uninstall|list PREFIX [DESTDIR]}
PREFIX=${2:?usage: install.sh install|uninstall|list PREFIX [DESTDIR]}
DESTDIR=${3:-}
case $PREFIX in /*) ;; *) echo "install: PREFIX '$PREFIX': not an absolute path" >&2; exit 2 ;; esac

KERNEL=target/xenbell.elf TOOL=target/xenbell-dom0 MAN=target/man

# Each installed file: "SOURCE MODE PATH" (SOURCE is a file, or cfg:/man:/completion: to generate).
entries() {
    echo "$KERNEL 0644 $PREFIX/lib/xenbell/xenbell.elf"
    echo "$TOOL 0755 $PREFIX/sbin/xenbell-dom0"
    local f
    for f in xl-configs/*.cfg; do echo "cfg:$f 0644 $PREFIX/share/xenbell/$(basename "$f")"; done
    for f in "$MAN"/*.8; do
        [ -e "$f" ] || { echo "install: $MAN/*.8: missing (make man)" >&2; exit 1; }
        echo "man:$f 0644 $PREFIX/share/man/man8/$(basename "$f").gz"
    done
    echo "completion:bash 0644 $PREFIX/share/bash-completion/completions/xenbell-dom0"
    echo "completion:zsh 0644 $PREFIX/share/zsh/vendor-completions/_xenbell-dom0"
    echo "completion:fish 0644 $PREFIX/share/fish/vendor_completions.d/xenbell-dom0.fish"
}

# produce SOURCE: the file's contents on stdout.
produce() {
    case $1 in
        cfg:*)  # Only the kernel line changes: the installed image, an absolute path.
                grep -q '^kernel = ' "${1#cfg:}" || { echo "install: ${1#cfg:}: no 'kernel = ' line" >&2; return 1; }
                sed "s|^kernel = .*|kernel = \"$PREFIX/lib/xenbell/xenbell.elf\"|" "${1#cfg:}" ;;
        man:*)  gzip -9n < "${1#man:}" ;;
        completion:*) "$TOOL" completions "${1#completion:}" ;;
        *)      cat "$1" ;;
    esac
}

case $action in
    list)
        entries | awk '{print $3}' ;;
    install)
        for f in "$KERNEL" "$TOOL" "$MAN/xenbell-dom0.8"; do
            [ -f "$f" ] || { echo "install: $f: missing (run make all man first)" >&2; exit 1; }
        done
        entries | while read -r src mode path; do
            install -d -m 0755 "$DESTDIR$(dirname "$path")"
            produce "$src" > "$DESTDIR$path.tmp"
            chmod "$mode" "$DESTDIR$path.tmp"
            mv -f "$DESTDIR$path.tmp" "$DESTDIR$path"
            echo "install: $DESTDIR$path"
        done ;;
    uninstall)
        entries | while read -r _ _ path; do
            if [ -e "$DESTDIR$path" ]; then rm -f "$DESTDIR$path"; echo "uninstall: $DESTDIR$path"; fi
        done
        for d in "$PREFIX/lib/xenbell" "$PREFIX/share/xenbell"; do
            [ -d "$DESTDIR$d" ] && rmdir --ignore-fail-on-non-empty "$DESTDIR$d"
        done
        true ;;
    *)
        echo "install: action '$action': unknown (install, uninstall, list)" >&2; exit 2 ;;
esac
