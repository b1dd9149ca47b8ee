"""xenbell test bed: real Xen 4.17 + a Linux dom0 booted inside QEMU (TCG).

Host side of the test bed, Python 3 standard library only. One concept per module:
paths (where things live), ui (progress lines), fetch (Debian packages), cpio and
initramfs (the dom0 root file system), boot (QEMU/Xen command lines), qemu (the guarded
QEMU process), protocol (the dom0 <-> host console markers), session (one boot of the
Linux dom0 running one job), scenarios, e2e, script and demo (the make targets).
"""
