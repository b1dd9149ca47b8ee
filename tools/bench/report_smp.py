"""make bench's report, the parts of issues 13 and 17 about many ports: one guest's K ports on
1, 2, 4 vCPUs under a Xen with 2 physical CPUs (`smp`, issue 13 item 5), and the rate and
latency of `ping --ports all` as the ports per guest grow, under both event-channel ABIs
(`scale_ports`, issue 17 item 5). Called by report.py; reads the same target/bench/raw/
(results.jsonl records of kind smp, ports, phase, boot; the smp boot's lines carry
"pcpus_boot", bench.py merged them in).

Every figure is a measurement printed, never judged against a time: the readings below
describe the shape of the curves from the numbers.
"""

import statistics

import svg
from fmt import fx, percent, usec

# /proc/stat "cpu" columns (USER_HZ ticks): user nice system idle iowait irq softirq steal
IDLE, IOWAIT, STEAL = 3, 4, 7
USER_HZ = 100


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def r(x, nd=1):
    return None if x is None else round(x, nd)


def _wall(rec: dict) -> float | None:
    t = rec.get("uptime") or []
    if len(t) != 2 or t[0] is None or t[1] is None:
        return None
    w = float(t[1]) - float(t[0])
    return w if w > 0 else None


def cpu(recs: list[dict]) -> dict:
    """CPU use around `ping --ports all` batches, in % of their wall time (dom0 uptime, 10 ms),
    summed over the batches before dividing (Xen's vCPU times come in 0.1 s steps): the tool's
    own user + system time; dom0 busy and stolen by its /proc/stat (a share of the ticks of
    the same window, so independent of the wall clock); the guest's vCPU time by Xen (`xl
    vcpu-list`, all vCPUs: a guest with V vCPUs can reach V x 100 %). Xen's count of dom0's
    own vCPU is not used: each reading is an `xl` process in dom0 whose start-up (~0.1 s under
    TCG) falls inside the interval between two readings, so it came out above 100 %."""
    wall = 0.0
    tool = busy = steal = tot = 0
    vcpu = {"guest_cpu_s": 0.0}
    have = set()
    for rec in recs:
        w = _wall(rec)
        if not w:
            continue
        wall += w
        if rec.get("tool_cpu_ticks") is not None:
            tool += rec["tool_cpu_ticks"]
            have.add("tool")
        st = rec.get("dom0_stat") or []
        if len(st) == 2 and st[0] and st[1]:
            d = [b - a for a, b in zip(st[0], st[1])]
            tot += sum(d[:8])
            busy += sum(d[:8]) - d[IDLE] - d[IOWAIT] - d[STEAL]
            steal += d[STEAL]
        for key in vcpu:
            c = rec.get(key) or [None, None]
            if len(c) == 2 and None not in c:
                vcpu[key] += c[1] - c[0]
                have.add(key)
    out: dict = {"wall_s": r(wall, 2)}
    if not wall:
        return out
    if "tool" in have:
        out["tool_cpu_pct"] = r(100 * tool / USER_HZ / wall)
    if tot > 0:
        out["dom0_busy_pct"] = r(100 * busy / tot)
        out["dom0_steal_pct"] = r(100 * steal / tot)
    if "guest_cpu_s" in have:
        out["guest_vcpu_pct"] = r(100 * vcpu["guest_cpu_s"] / wall)
    return out


def norm(rec: dict) -> dict:
    """A record of a plain `ping` (a ports=1 guest: no ports/ directory, so one session on
    its port instead of `ping --ports all`) in the shape of a `--ports all` one: its rtt_ns
    as the one port's p50/p99 in us, rounds_ok as total_rounds."""
    res = rec.get("result") or {}
    if "rtt_ns" not in res:
        return rec
    rtt = res.get("rtt_ns") or {}

    def one(ns):
        return None if ns is None else {"n": 1, "min": ns / 1000, "median": ns / 1000, "max": ns / 1000}
    ok = res.get("rounds_ok")
    return {**rec, "p50_us": one(rtt.get("p50")), "p99_us": one(rtt.get("p99")),
            "result": {"ports": 1, "answered": int(ok is not None and ok == res.get("rounds_requested")),
                       "ms": None, "rounds": res.get("rounds_requested"), "total_rounds": ok,
                       "rounds_per_s": res.get("rounds_per_s"), "plain_ping": True}}


def _point(recs: list[dict]) -> dict:
    """The batches of one guest: medians over them."""
    res = [x.get("result") or {} for x in recs]
    c = cpu(recs)
    p50 = [(x.get("p50_us") or {}).get("median") for x in recs]
    p99 = [(x.get("p99_us") or {}).get("median") for x in recs]
    out = {"batches": len(recs),
           "ports": recs[0].get("ports"), "rounds_each": recs[0].get("rounds"),
           "answered_ports": [x.get("answered") for x in res],
           "total_rounds": sum(x.get("total_rounds") or 0 for x in res),
           "rc": [x.get("rc") for x in recs],
           "rounds_per_s": r(med([x.get("rounds_per_s") for x in res])),
           "rounds_per_s_per_batch": [x.get("rounds_per_s") for x in res],
           "p50_us": r(med(p50)), "p99_us": r(med(p99)),
           "tool_ms": r(med([x.get("ms") for x in res]), 0)}
    for k in ("tool_cpu_pct", "dom0_busy_pct", "dom0_steal_pct", "guest_vcpu_pct", "wall_s"):
        out[k] = c.get(k)
    return out


def _phase_s(results: list[dict], phase: str) -> float | None:
    for rec in results:
        if rec.get("kind") == "phase" and rec.get("phase") == phase:
            return r(_wall(rec), 0)
    return None


# ---- smp: K ports on 1, 2, 4 vCPUs -------------------------------------------------------------

def smp(results: list[dict]) -> dict:
    per: dict[str, list[dict]] = {}
    for rec in results:
        if rec.get("kind") == "smp":
            per.setdefault(rec["guest"], []).append(norm(rec))
    out: dict = {"method": "Xen on 2 physical CPUs (a test-bed boot of its own, QEMU -smp 2; dom0 "
                           "keeps 1 vCPU); xenbells from xl-configs/xenbell-smp.cfg with vcpus = V "
                           "and ports=K (ports/i on vCPU i mod V), plus one with 1 vCPU and 1 port, "
                           "all up at once; batches of `xenbell-dom0 ping --ports all --rounds R "
                           "--json` alternating between them (one tool thread pinging every port "
                           "in one event loop). rounds/s: the tool's own (all ports, binds "
                           "included; the 1-port guest: a plain `ping`, its rounds only), median over the batches; p50: the median over the ports "
                           "of each port's p50, median over the batches; CPU: % of the batches' "
                           "wall time, summed over them",
                 "rounds_per_s": {}, "p50_us": {}, "ratio_vs_1": {}, "points": {}}
    pcpus = {rec.get("pcpus") for recs in per.values() for rec in recs}
    out["pcpus"] = pcpus.pop() if len(pcpus) == 1 else sorted(p for p in pcpus if p is not None) or None
    for label, recs in sorted(per.items(), key=lambda kv: (kv[1][0].get("ports") or 0, kv[1][0].get("vcpus") or 0)):
        pt = _point(recs)
        pt["vcpus"] = recs[0].get("vcpus")
        out["points"][label] = pt
        if label.startswith("vcpus_") and "_ports_" not in label:
            out["rounds_per_s"][label] = pt["rounds_per_s"]
            out["p50_us"][label] = pt["p50_us"]
    one = out["rounds_per_s"].get("vcpus_1")
    for label, v in out["rounds_per_s"].items():
        if label != "vcpus_1" and one and v:
            out["ratio_vs_1"][label] = r(v / one, 3)
    single = out["points"].get("vcpus_1_ports_1")
    if single:
        out["single_port_rounds_per_s"] = single["rounds_per_s"]
        if one and single["rounds_per_s"]:
            out["ports_vs_single_port"] = r(one / single["rounds_per_s"], 3)
    out["phase_s"] = _phase_s(results, "smp")
    out["reading"] = smp_reading(out)
    return out


def smp_reading(s: dict) -> list[str]:
    pts = s["points"]
    v1 = pts.get("vcpus_1")
    if not v1 or not v1.get("rounds_per_s"):
        return []
    ks = v1.get("ports")
    rows = [(int(k.split("_")[1]), p) for k, p in pts.items() if k.startswith("vcpus_") and "_ports_" not in k]
    rows.sort()
    out = []
    shape = ", ".join(f"{v} vCPU{'s' if v > 1 else ''} {p['rounds_per_s']:.0f}" for v, p in rows if p.get("rounds_per_s"))
    ratios = [s["ratio_vs_1"].get(f"vcpus_{v}") for v, _ in rows if v > 1]
    ratios = [x for x in ratios if x is not None]
    if ratios:
        lo, hi = min(ratios), max(ratios)
        kind = ("flat (within 10 % of 1 vCPU)" if 0.9 <= lo and hi <= 1.1 else
                "rising" if lo > 1.1 else "falling" if hi < 0.9 else "mixed")
    else:
        kind = "not measured beyond 1 vCPU"
    out.append(f"Aggregate rounds/s of {ks} ports: {shape}; against 1 vCPU: " +
               ", ".join(f"{k.split('_')[1]} vCPUs {v:.2f}x" for k, v in s["ratio_vs_1"].items()) +
               f": the curve is {kind}.")
    pc = s.get("pcpus")
    if pc is not None and pc != 2:
        out.append(f"Xen had {pc} physical CPU(s) in this boot, not 2: the vCPUs could only take turns.")
    cpu_txt = "; ".join(
        f"{v} vCPU{'s' if v > 1 else ''}: tool {percent(p.get('tool_cpu_pct'))}, dom0 busy "
        f"{percent(p.get('dom0_busy_pct'))} (stolen {percent(p.get('dom0_steal_pct'))}), guest's "
        f"vCPUs together {percent(p.get('guest_vcpu_pct'))}"
        for v, p in rows)
    out.append(f"Where the time goes (per batch, % of its wall time): {cpu_txt}.")
    d0 = [p.get("dom0_busy_pct") for _, p in rows]
    d0 = [x for x in d0 if x is not None]
    g1 = v1.get("guest_vcpu_pct")
    if d0 and min(d0) >= 85:
        out.append(
            "dom0 is the bottleneck: its one vCPU is busy nearly all of every batch whatever the "
            "guest's vCPUs (by its own /proc/stat), the tool thread alone takes most of it, and all of the dom0 side of every round (the tool's notify ioctl, "
            "the event's interrupt, the evtchn driver, waking the tool, reading /dev/xen/evtchn, "
            "unmasking) runs there, in one thread pinging every port. More guest vCPUs can only "
            "take the guest's part of a round off dom0's critical path; with 2 physical CPUs "
            "and dom0 holding one, a guest has one CPU to itself at most, so 4 vCPUs cannot "
            "beat 2.")
    elif g1 is not None and g1 >= 85 and ratios and max(ratios) > 1.1:
        out.append(
            "The guest's one vCPU was the bottleneck at 1 vCPU (busy nearly all of the batch): "
            "spreading the ports over more vCPUs lets Xen run the guest's answers on the second "
            "physical CPU while dom0 runs on the first.")
    else:
        out.append(
            "Neither side is saturated: the rounds are bound by latency (each port's next ping "
            "waits for its answer's event to reach the tool), not by a CPU; more guest vCPUs "
            "change only how many answers can be produced at once, which is not the limit.")
    sp = pts.get("vcpus_1_ports_1")
    if sp and sp.get("rounds_per_s"):
        out.append(
            f"One port on 1 vCPU: {sp['rounds_per_s']:.0f} rounds/s (p50 {usec(sp.get('p50_us'))}); "
            f"{ks} ports on the same 1 vCPU: {v1['rounds_per_s']:.0f} "
            f"({s.get('ports_vs_single_port') or 0:.2f}x, p50 {usec(v1.get('p50_us'))}): with {ks} rounds in "
            f"flight one wake-up of the tool collects several answers and the guest answers "
            f"several events per upcall, so the per-round cost on both sides shrinks" +
            ("; the p50 of a port grows because each waits behind the others' rounds."
             if (v1.get("p50_us") or 0) > (sp.get("p50_us") or 0) else
             "; that the one port's p50 is not below the eight's means its batches were slowed "
             "by something else (see the stolen time)."))
    stolen = max((p.get("dom0_steal_pct") or 0 for _, p in pts.items()), default=0)
    if stolen >= 10:
        out.append(f"dom0 had up to {stolen:.0f} % of its time stolen (runnable, but Xen had no "
                   f"physical CPU for it): the emulated CPUs did not get a host core each, other "
                   f"work on the host competed; figures from such batches are of a contended "
                   f"machine and vary from run to run.")
    out.append("Under QEMU TCG each emulated CPU is a host thread: the 2-core host, shared with "
               "other work, bounds what 2 physical CPUs can show here (see the host load in Setup).")
    return out


# ---- scale_ports: rounds/s and p50 against ports per guest ------------------------------------

def scale_ports(results: list[dict]) -> dict:
    ready = {}
    for rec in results:
        if rec.get("kind") == "boot" and str(rec.get("guest", "")).startswith("ports-"):
            ready[(rec["guest"][6:], rec.get("run"))] = (rec.get("probe") or {}).get("ready_ms")
    out: dict = {"method": "one xenbell at a time (log=warn, max_event_channels = 32768), ports=K "
                           "under evtchn=2l and evtchn=fifo, Xen on 1 physical CPU; `xl create` "
                           "to state=ready timed (bench-probe boot: every port bound and "
                           "published first), then one `xenbell-dom0 ping --ports all --rounds R "
                           "--json` (1024 ports bound at a time, each batch played to its end). "
                           "rounds/s: the tool's own (binds included; K=1: a plain `ping`, "
                           "its rounds only, as a ports=1 guest publishes no ports/); p50: the median over the "
                           "ports of each port's p50 (the range over the ports beside it); "
                           "in flight: min(K, 1024) rounds outstanding at once; Little's law "
                           "p50 = in flight / rounds/s, against the measured one"}
    for rec in results:
        if rec.get("kind") != "ports":
            continue
        rec = norm(rec)
        abi, k = rec.get("abi"), rec.get("ports")
        res = rec.get("result") or {}
        p50, p99 = rec.get("p50_us") or {}, rec.get("p99_us") or {}
        rps = res.get("rounds_per_s")
        inflight = min(k or 0, 1024)
        e = {"rounds_per_s": rps, "p50_us": p50.get("median"),
             "p50_us_range": [p50.get("min"), p50.get("max")] if p50 else None,
             "p99_us": p99.get("median"), "answered": res.get("answered"),
             "total_rounds": res.get("total_rounds"), "rounds_each": rec.get("rounds"),
             "tool_ms": res.get("ms"), "rc": rec.get("rc"), "ready_ms": r(ready.get((abi, k)), 0),
             "littles_p50_us": r(inflight / rps * 1e6, 0) if rps else None,
             **{k2: v for k2, v in cpu([rec]).items() if k2 in ("tool_cpu_pct", "dom0_busy_pct",
                                                             "guest_vcpu_pct", "wall_s")}}
        if rec.get("message"):
            e["message"] = rec["message"]
        out.setdefault(abi, {})[str(k)] = e
    out["phase_s"] = _phase_s(results, "ports")
    out["reading"] = ports_reading(out)
    return out


def ports_reading(sp: dict) -> list[str]:
    out = []
    for abi, name in (("2l", "2-level"), ("fifo", "FIFO")):
        pts = sorted(((int(k), v) for k, v in (sp.get(abi) or {}).items() if v.get("rounds_per_s")))
        if len(pts) < 2:
            continue
        (k0, a), (kn, b) = pts[0], pts[-1]
        peak_k, peak = max(pts, key=lambda kv: kv[1]["rounds_per_s"])
        s = (f"{name}: {a['rounds_per_s']:.0f} rounds/s with {k0} port{'s' if k0 > 1 else ''}, "
             f"peak {peak['rounds_per_s']:.0f} at {peak_k}, {b['rounds_per_s']:.0f} at {kn} "
             f"({b['rounds_per_s'] / a['rounds_per_s']:.2f}x of {k0}); per-port p50 "
             f"{usec(a.get('p50_us'))} -> {usec(b.get('p50_us'))}.")
        ready = [(k, v["ready_ms"]) for k, v in pts if v.get("ready_ms")]
        if len(ready) >= 2 and ready[-1][0] > ready[0][0]:
            per = (ready[-1][1] - ready[0][1]) / (ready[-1][0] - ready[0][0])
            s += (f" Boot to ready: {ready[0][1]:.0f} ms with {ready[0][0]}, {ready[-1][1]:.0f} ms with "
                  f"{ready[-1][0]} ports, {per:.2f} ms per port (each bound, then written to xenstore "
                  f"as ports/<i>: one request and answer with xenstored per port).")
        lit = [v["p50_us"] / v["littles_p50_us"] for k, v in pts
               if k > 1 and v.get("p50_us") and v.get("littles_p50_us")]
        if lit:
            s += (f" Measured p50 / Little's for K > 1: {min(lit):.2f}-{max(lit):.2f} (K = 1, a plain "
                  f"ping without binds: {a['p50_us'] / a['littles_p50_us']:.2f})"
                  if a.get("p50_us") and a.get("littles_p50_us") and k0 == 1 else
                  f" Measured p50 / Little's for K > 1: {min(lit):.2f}-{max(lit):.2f}")
            s += (": below 1 by about the share of the tool's time spent binding rather than "
                  "playing rounds (its rate counts the binds).")
        out.append(s)
    if out:
        out.append(
            "Why this shape: the tool keeps min(K, 1024) rounds in flight (it binds 1024 ports at "
            "a time and plays each batch to its end), so from 1 to 1024 ports it gains by "
            "collecting several answers per wake-up, and beyond 1024 the rate can only stay flat "
            "or fall by the binds (1024 bind ioctls and a drain per batch, a fixed cost per port "
            "that R rounds per port amortize). The guest's cost per event does not grow with "
            "K: the FIFO consumer takes events off a queue, the 2-level decoder reads the "
            "selector word and only the words it names (the Decoder table above, ns per event "
            "on the host); with ~1024 ports pending at once its scan visits up to 16 of 64 words "
            "per upcall. The per-port p50 grows with the rounds in flight (Little's law: a port "
            "waits behind every other outstanding round), which the `Little` column predicts "
            "from the rate alone; where the two agree, the latency growth is queueing in one "
            "CPU's worth of work, not a cost per port.")
    return out


# ---- pictures, report.md, summary --------------------------------------------------------------

def pictures(out_dir, rep: dict) -> dict:
    pics = {}
    s = rep.get("smp") or {}
    rows = sorted((int(k.split("_")[1]), v) for k, v in (s.get("points") or {}).items()
                  if k.startswith("vcpus_") and "_ports_" not in k and v.get("rounds_per_s"))
    if rows:
        pics["smp"] = svg.lines(
            {f"aggregate rounds/s ({rows[0][1].get('ports')} ports)": [(v, p["rounds_per_s"]) for v, p in rows]},
            out_dir / "smp.svg", "One guest's ports on V vCPUs (Xen on 2 CPUs, QEMU TCG)", "guest vCPUs",
            "rounds/s",
            right={"p50 (median of the ports)": [(v, p["p50_us"] or 0) for v, p in rows],
                   "dom0 busy %": [(v, p.get("dom0_busy_pct") or 0) for v, p in rows]},
            right_label="p50 (us) / dom0 busy (%)").name
    sp = rep.get("scale_ports") or {}
    series, right = {}, {}
    for abi in ("2l", "fifo"):
        pts = sorted((int(k), v) for k, v in (sp.get(abi) or {}).items() if v.get("rounds_per_s"))
        if pts:
            series[f"{abi}: rounds/s"] = [(k, v["rounds_per_s"]) for k, v in pts]
            right[f"{abi}: p50"] = [(k, v["p50_us"] or 0) for k, v in pts]
    if series:
        pics["scale_ports"] = svg.lines(series, out_dir / "scale-ports.svg",
                                        "ping --ports all against ports per guest (QEMU TCG, 1 CPU)",
                                        "ports offered (K)", "rounds/s", logx=True, right=right,
                                        right_label="p50 per port (us)").name
    return pics


def markdown(rep: dict) -> list[str]:
    L: list[str] = []
    a = L.append
    s = rep.get("smp") or {}
    a("## Several vCPUs: one guest's ports on 1, 2, 4 vCPUs")
    a("")
    a(f"Method: {s.get('method')}. Xen's physical CPUs: {s.get('pcpus')}; phase time "
      f"{fx(s.get('phase_s'), 0)} s.")
    a("")
    if s.get("points"):
        a("| guest | vCPUs | ports | rounds/s | / 1 vCPU | p50 (median port) | p99 | tool CPU | dom0 busy | dom0 stolen | guest vCPUs (Xen) | rounds |")
        a("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for label, p in s["points"].items():
            a(f"| {label} | {p.get('vcpus')} | {p.get('ports')} | **{fx(p.get('rounds_per_s'), 0)}** | "
              f"{fx(s['ratio_vs_1'].get(label), 2) if label in s['ratio_vs_1'] else '-'} | "
              f"{usec(p.get('p50_us'))} | {usec(p.get('p99_us'))} | {percent(p.get('tool_cpu_pct'))} | "
              f"{percent(p.get('dom0_busy_pct'))} | {percent(p.get('dom0_steal_pct'))} | {percent(p.get('guest_vcpu_pct'))} | "
              f"{p.get('total_rounds')} in {p.get('batches')} batches |")
        a("")
        _picture_and_reading(a, rep, "smp", s.get("reading"))
    sp = rep.get("scale_ports") or {}
    a("## Growth: ports per guest")
    a("")
    a(f"Method: {sp.get('method')}. Phase time {fx(sp.get('phase_s'), 0)} s.")
    a("")
    if sp.get("2l") or sp.get("fifo"):
        a("| ABI | ports | answered | rounds/s | p50 (median port) | p50 range over ports | Little | p99 | tool CPU | dom0 busy | create to ready |")
        a("|---|---|---|---|---|---|---|---|---|---|---|")
        for abi in ("2l", "fifo"):
            for k, e in sorted((sp.get(abi) or {}).items(), key=lambda kv: int(kv[0])):
                rng = e.get("p50_us_range") or [None, None]
                a(f"| {abi} | {k} | {e.get('answered') if e.get('answered') is not None else e.get('message', '-')} | "
                  f"**{fx(e.get('rounds_per_s'), 0)}** | {usec(e.get('p50_us'))} | {usec(rng[0])} - {usec(rng[1])} | "
                  f"{usec(e.get('littles_p50_us'))} | {usec(e.get('p99_us'))} | {percent(e.get('tool_cpu_pct'))} | "
                  f"{percent(e.get('dom0_busy_pct'))} | {fx(e.get('ready_ms'), 0)} ms |")
        a("")
        a("2-level stops at 4092: a domain has ports 1..4095 there and console, xenstore and timer "
          "take three. 16000 (xenbell's own limit) needs FIFO, `max_event_channels` above it and "
          "xenstored's quotas raised (the test bed runs C xenstored with -E 32768 -S 131072).")
        a("")
        _picture_and_reading(a, rep, "scale_ports", sp.get("reading"))
    return L


def _picture_and_reading(a, rep: dict, picture: str, reading) -> None:
    """A section's end: its picture (if drawn), then what the figures say, one bullet each."""
    if picture in rep.get("pictures", {}):
        a(f"![{picture}]({rep['pictures'][picture]})")
        a("")
    for line in reading or []:
        a(f"- {line}")
    a("")


def summary_lines(rep: dict) -> list[str]:
    lines = []
    s = rep.get("smp") or {}
    if s.get("rounds_per_s"):
        lines.append(f"  smp       rounds/s by vCPUs ({(s['points'].get('vcpus_1') or {}).get('ports')} ports, "
                     f"pcpus {s.get('pcpus')}): " +
                     " ".join(f"{k.split('_')[1]}:{fx(v, 0)}" for k, v in s["rounds_per_s"].items()) +
                     "  vs 1: " + " ".join(f"{k.split('_')[1]}:{fx(v, 2)}" for k, v in s["ratio_vs_1"].items()) +
                     "  p50 us: " + " ".join(f"{k.split('_')[1]}:{fx(v, 0)}" for k, v in s["p50_us"].items()) +
                     (f"  1 port: {fx(s.get('single_port_rounds_per_s'), 0)}" if s.get("single_port_rounds_per_s") else ""))
        for k, p in s["points"].items():
            lines.append(f"  smp       {k}: tool CPU {percent(p.get('tool_cpu_pct'))}, dom0 busy {percent(p.get('dom0_busy_pct'))}, "
                         f"dom0 stolen {percent(p.get('dom0_steal_pct'))}, guest vCPUs {percent(p.get('guest_vcpu_pct'))}")
    sp = rep.get("scale_ports") or {}
    for abi in ("2l", "fifo"):
        pts = sorted((sp.get(abi) or {}).items(), key=lambda kv: int(kv[0]))
        if pts:
            lines.append(f"  ports {abi:<4} rounds/s (p50 us) by K: " +
                         " ".join(f"{k}:{fx(e.get('rounds_per_s'), 0)}({fx(e.get('p50_us'), 0)})" for k, e in pts))
            lines.append(f"  ports {abi:<4} create to ready ms by K: " +
                         " ".join(f"{k}:{fx(e.get('ready_ms'), 0)}" for k, e in pts))
    return lines
