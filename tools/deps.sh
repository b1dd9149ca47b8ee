#!/usr/bin/env bash
# Installs every host prerequisite that is missing (Debian packages), and
# nothing else: running it again is a no-op. `make deps` calls it; so does
# every make target that needs a tool.
set -euo pipefail

PACKAGES=(
    rustc-web cargo-web rust-web-src   # kernel: Debian rustc 1.96 + library source (-Zbuild-std)
    binutils gcc libc6-dev              # GNU ld links the kernel; static glibc for the dom0 tool
    g++                                 # libFuzzer (cargo-fuzz targets, make fuzz)
    qemu-system-x86                     # smoke boots and the Xen test bed
    cpio gzip                           # the test bed's dom0 initramfs
    libxen-dev linux-libc-dev           # real Xen headers, to test our ABI layouts against
    python3                             # test-bed runner
    pyflakes3                           # make lint: the Python code's linter
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "deps: installing ${missing[*]}"
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# The host tests use rustup's cargo; the kernel build needs Debian's.
command -v cargo >/dev/null || { echo "deps: no 'cargo' on PATH (rustup's toolchain is expected)"; exit 1; }
[ -x /usr/bin/cargo ] && [ -d /usr/lib/rustlib/src/rust/library ] || { echo "deps: Debian cargo-web/rust-web-src missing"; exit 1; }
