"""The QEMU and Xen command lines that are known to work here (tools/testbed/README.md
says why), and the console patterns that end a boot early.

QEMU's -initrd holds Xen's multiboot modules, comma-separated, each "path args"; a comma
inside args must be written ",,".
"""

import os
import re
import shlex
from pathlib import Path

from .ui import TestbedError

QEMU = ["qemu-system-x86_64", "-accel", "tcg",
        "-cpu", "max",      # SVM+NPT: Debian's Xen has no shadow paging, PVH needs HAP
        "-m", "2048", "-smp", "1", "-nographic", "-no-reboot"]
# Extra QEMU options, for debugging the test bed itself (e.g. TESTBED_QEMU_EXTRA="-d int").
# The runner's own monitor socket is target/testbed/<run>.monitor (qemu.py).
QEMU += shlex.split(os.environ.get("TESTBED_QEMU_EXTRA", ""))

XEN_COMMON = ("console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all noreboot "
              "console_timestamps=boot")

# smap=0: without it the PV dom0 dies at its first exception (#PF in create_bounce_frame)
# under QEMU 7.2 TCG with -cpu max.
XEN_LINUX_DOM0 = "dom0_mem=1024M,max:1024M dom0_max_vcpus=1 smap=0"
XEN_PVH_DOM0 = "dom0=pvh dom0-iommu=none dom0_mem=256M"

# Lines after which the machine is not coming back. A domU crash is not one of them
# (Xen prints "Domain 3 (vcpu#0) crashed on cpu#0" for those; scenarios judge domUs).
FATAL = re.compile(r"Panic on CPU|Kernel panic|Hardware Dom0 crashed|"
                   r"Domain 0 \(vcpu#\d+\) crashed on cpu|Attempted to kill init")


def _module(path: Path, args: str = "") -> str:
    if "," in str(path) or " " in str(path):
        raise TestbedError(f"{path}: QEMU -initrd cannot take paths with commas or spaces")
    return f"{path} {args.replace(',', ',,')}".strip()


def with_pcpus(cmd: list[str], pcpus: int) -> list[str]:
    """`cmd` (a QEMU command line) with `-smp pcpus`: Xen's physical CPUs."""
    out = list(cmd)
    out[out.index("-smp") + 1] = str(pcpus)
    return out


def linux_dom0(xen: Path, kernel: Path, initramfs: Path, pcpus: int = 1) -> list[str]:
    """Xen + Linux PV dom0 (kernel = vmlinux or vmlinuz) + its initramfs, on `pcpus`
    physical CPUs (dom0 itself keeps one vCPU)."""
    return with_pcpus(QEMU, pcpus) + ["-kernel", str(xen), "-append", f"{XEN_COMMON} {XEN_LINUX_DOM0}",
                   "-initrd", _module(kernel, "console=hvc0 earlyprintk=xen") + "," +
                   _module(initramfs)]


def pvh_dom0(xen: Path, kernel: Path, cmdline: str, xen_extra: str = "") -> list[str]:
    """Xen booting a PVH kernel directly as dom0 (no Linux)."""
    return QEMU + ["-kernel", str(xen), "-append", f"{XEN_COMMON} {XEN_PVH_DOM0} {xen_extra}".strip(),
                   "-initrd", _module(kernel, cmdline)]
