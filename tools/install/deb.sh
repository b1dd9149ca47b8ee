#!/usr/bin/env bash
# `make deb`: target/xenbell_<version>_amd64.deb with the files `make install
# PREFIX=/usr` puts in place (tools/install/install.sh), built by dpkg-deb.
# Prints the package's path.
set -euo pipefail
cd "$(dirname "$0")/../.."

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
[ -n "$version" ] || { echo "deb: Cargo.toml: no version" >&2; exit 1; }
stage=target/deb/root
rm -rf "$stage"
tools/install/install.sh install /usr "$stage" >/dev/null
mkdir -p "$stage/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<CONTROL
Package: xenbell
Version: $version
Architecture: amd64
Maintainer: xenbell developers <xenbell@localhost>
Installed-Size: $size
Section: admin
Priority: optional
Recommends: xen-utils-common
Description: Xen PVH unikernel playing event-channel ping-pong with dom0
 xenbell is a bare-metal Rust unikernel booting as a Xen PVH guest
 (/usr/lib/xenbell/xenbell.elf, xl configs in /usr/share/xenbell/) and its
 dom0 peer, the static tool /usr/sbin/xenbell-dom0 (ping, serve, flood,
 status, offer), with man pages and shell completions.
CONTROL
out=target/xenbell_${version}_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
echo "$out"
