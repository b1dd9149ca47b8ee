"""Reads the binary files `xentrace` writes (Xen's trace buffers as they are: xen/include/
public/trace.h, struct t_rec; tools/xentrace/xentrace.c puts a TRC_TRACE_CPU_CHANGE record
before each buffer window) and counts what make bench needs, per domain:

- VM exits (TRC_HVM_VMEXIT, TRC_HVM_VMEXIT64: reason, RIP) by exit reason, charged to the
  domain whose vCPU was running on that pCPU: the last TRC_SCHED_RUNSTATE_CHANGE to `running`;
- wake-ups: runstate changes blocked -> runnable/running (a vCPU that slept was woken);
- TRC_SCHED_WAKE records, as a cross-check.

Record layout (host endian, trace.h): u32 header = event:28 | extra_u32:3 | cycles:1, then
u64 TSC if `cycles`, then `extra_u32` u32 words. Xen 4.17 puts the states of a runstate
change into the event number, TRC_SCHED_RUNSTATE_CHANGE | old << 8 | new << 4, with one word
domain << 16 | vcpu (as seen in the traces: 0x21211 = blocked -> runnable; RUNSTATE_* in
public/vcpu.h: 0 running, 1 runnable, 2 blocked).
Python standard library only.
"""

import struct
from collections import Counter
from pathlib import Path

TRC_TRACE_CPU_CHANGE = 0x0001f003
TRC_LOST_RECORDS = 0x0001f001
TRC_SCHED_RUNSTATE_CHANGE = 0x00021001
TRC_SCHED_WAKE = 0x00028004
TRC_HVM_VMEXIT = 0x00081002
TRC_HVM_VMEXIT64 = 0x00081102   # TRC_HVM_VMEXIT | TRC_64_FLAG
IDLE_DOMAIN = 0x7fff
RUNNING, RUNNABLE, BLOCKED = 0, 1, 2

# AMD SVM exit codes (AMD APM vol. 2, appendix C): QEMU's TCG emulates SVM, not VMX.
SVM_EXITS = {0x60: "INTR", 0x61: "NMI", 0x62: "SMI", 0x63: "INIT", 0x64: "VINTR", 0x6e: "RDTSC",
             0x72: "CPUID", 0x77: "PAUSE", 0x78: "HLT", 0x7b: "IOIO", 0x7c: "MSR", 0x81: "VMMCALL",
             0x87: "RDTSCP", 0x400: "NPF"}


def exit_name(reason: int) -> str:
    return SVM_EXITS.get(reason, f"0x{reason:x}")


def records(data: bytes):
    """(cpu, event, extra words) for every record; CPU change records consumed."""
    off, cpu, n = 0, 0, len(data)
    while off + 4 <= n:
        (h,) = struct.unpack_from("<I", data, off)
        off += 4
        ev, extra, cyc = h & 0x0fffffff, (h >> 28) & 7, h >> 31
        if cyc:
            off += 8
        if off + 4 * extra > n:
            break
        words = struct.unpack_from(f"<{extra}I", data, off)
        off += 4 * extra
        if ev == TRC_TRACE_CPU_CHANGE and words:
            cpu = words[0]
            continue
        yield cpu, ev, words


def analyse(path: Path) -> dict:
    """Per domain id: exits (total and by reason), wake-ups, TRC_SCHED_WAKE records."""
    data = path.read_bytes()
    current: dict[int, int | None] = {}
    exits: dict[int | None, Counter] = {}
    wakeups: Counter = Counter()
    wake_recs: Counter = Counter()
    lost = 0
    nrec = 0
    for cpu, ev, w in records(data):
        nrec += 1
        if ev & 0xfffff00f == TRC_SCHED_RUNSTATE_CHANGE and w:
            dom, old, new = w[0] >> 16, (ev >> 8) & 0xf, (ev >> 4) & 0xf
            if new == RUNNING:
                current[cpu] = dom
            elif current.get(cpu) == dom:
                current[cpu] = None
            if old == BLOCKED and new in (RUNNABLE, RUNNING):
                wakeups[dom] += 1
        elif ev == TRC_SCHED_WAKE and w:
            wake_recs[w[0] if len(w) >= 2 else w[0] >> 16] += 1
        elif ev in (TRC_HVM_VMEXIT, TRC_HVM_VMEXIT64) and w:
            exits.setdefault(current.get(cpu), Counter())[exit_name(w[0])] += 1
        elif ev == TRC_LOST_RECORDS:
            lost += 1
    doms = {}
    for d in set(exits) | set(wakeups) | set(wake_recs):
        if d == IDLE_DOMAIN:
            continue
        c = exits.get(d, Counter())
        doms["unknown" if d is None else str(d)] = {
            "exits": sum(c.values()), "exits_by_reason": dict(c.most_common()),
            "wakeups": wakeups.get(d, 0), "sched_wake_records": wake_recs.get(d, 0)}
    return {"file": path.name, "bytes": len(data), "records": nrec, "lost_records_events": lost,
            "domains": doms}
