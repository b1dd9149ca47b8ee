"""make bench's report, the parts of issue 17: the guest's share of a round trip, exits per
round (Xen's trace and the guest's own counters), idle cost, boot phases, growth with the
number of guests pinged at once, density. Called by report.py; reads the same
target/bench/raw/ (results.jsonl records of kind exits, idle, scale, density, density_idle;
the xentrace files; the guests' console logs).
"""

import re
import statistics
from pathlib import Path

import svg
import xentrace
from fmt import fx, us


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def r(x, nd=3):
    return None if x is None else round(x, nd)


# ---- 1. the guest's share of a round trip ----------------------------------------------------

def guest_share(rtt: dict) -> dict:
    """From the variant batches (every peer up, each pinged in turn, dom0-loopback among
    them): guest share = guest RTT - dom0 loopback RTT, per batch and as medians."""
    v = rtt.get("variants", {})
    floor = v.get("dom0-loopback")
    vp = rtt.get("variants_phase", {})
    out: dict = {"method": "variant batches: xenbell, the Linux guest and dom0-loopback (xenbell-dom0 "
                           "offer + ping, both in dom0: no guest) pinged in turn; share = guest - "
                           "loopback, per percentile; medians over the batches"}
    if not floor or not floor.get("p50_ns"):
        return out
    fl50, fl99 = floor["p50_ns"], floor["p99_ns"]
    shares = {}
    for g in ("xenbell", "linux"):
        s = vp.get(g, {})
        if s.get("p50_ns"):
            shares[g] = {"rtt_p50_ns": s["p50_ns"], "rtt_p99_ns": s["p99_ns"],
                         "share_p50_ns": s["p50_ns"] - fl50,
                         "share_p99_ns": s["p99_ns"] - fl99 if s.get("p99_ns") and fl99 else None}
    out.update(shares)
    out["floor"] = {"p50_ns": fl50, "p99_ns": fl99}
    xb, lx = shares.get("xenbell", {}), shares.get("linux", {})
    if xb and lx and lx["share_p50_ns"] > 0:
        out["ratio_p50"] = r(xb["share_p50_ns"] / lx["share_p50_ns"])
    if xb.get("share_p99_ns") and lx.get("share_p99_ns"):
        out["ratio_p99"] = r(xb["share_p99_ns"] / lx["share_p99_ns"])
    if xb:
        out["over_floor_p50"] = r(xb["rtt_p50_ns"] / fl50)
    # per batch: each batch pings every peer once, so pair them by batch number
    per = {g: {b["batch"]: b["p50_ns"] for b in src if b.get("p50_ns")}
           for g, src in (("xenbell", vp.get("xenbell", {}).get("per_batch") or []),
                          ("linux", vp.get("linux", {}).get("per_batch") or []),
                          ("dom0-loopback", floor.get("per_batch") or []))}
    ratios = []
    for b, f in sorted(per["dom0-loopback"].items()):
        x, l = per["xenbell"].get(b), per["linux"].get(b)
        if x and l and l > f:
            ratios.append(r((x - f) / (l - f)))
    out["ratio_p50_per_batch"] = ratios
    return out


# ---- 2. exits per round ----------------------------------------------------------------------

COST_RE = re.compile(r"(\w+)=(\d+)")


def exits(results: list[dict], raw: Path) -> dict:
    out: dict = {"method": "xentrace -e 0x000af000 (HVM + scheduler classes) around one "
                           "`xenbell-dom0 ping --rounds N` of each guest; VM exits charged to the "
                           "domain whose vCPU ran (runstate changes), divided by N "
                           "(tools/bench/xentrace.py); cross-checked with xenalyze --summary "
                           "(its text beside the trace) and xenbell's own counters"}
    per_round = {}
    for rec in results:
        if rec.get("kind") != "exits":
            continue
        g, dom, n = rec["guest"], rec.get("domid"), rec.get("rounds") or 0
        f = raw / "bench" / rec.get("trace", "")
        entry: dict = {"domid": dom, "rounds": n, "trace": rec.get("trace")}
        if f.is_file() and f.stat().st_size:
            a = xentrace.analyse(f)
            d = a["domains"].get(str(dom), {})
            entry.update({"trace_bytes": a["bytes"], "records": a["records"],
                          "lost_records_events": a["lost_records_events"],
                          "exits": d.get("exits"), "exits_by_reason": d.get("exits_by_reason"),
                          "wakeups": d.get("wakeups"),
                          "other_domains_exits": {k: v["exits"] for k, v in a["domains"].items()
                                                  if k != str(dom) and v["exits"]}})
            if n and d.get("exits") is not None:
                entry["exits_per_round"] = r(d["exits"] / n, 2)
                entry["exits_per_round_by_reason"] = {k: r(v / n, 2) for k, v in
                                                      (d.get("exits_by_reason") or {}).items()}
                entry["wakeups_per_round"] = r(d.get("wakeups", 0) / n, 2)
                per_round[g] = entry["exits_per_round"]
        summ = raw / "bench" / (rec.get("trace", "") + ".summary.txt")
        if summ.is_file():
            entry["xenalyze_summary"] = summ.name
        cost = rec.get("session_cost") or ""
        c = {k: int(v) for k, v in COST_RE.findall(cost)}
        if c:
            entry["guest_counters"] = c
            if n:
                entry["guest_counters_per_round"] = {k: r(v / n, 2) for k, v in c.items()}
        out[g] = entry
    out["per_round"] = per_round
    return out


DOMAIN_RE = re.compile(r"^\|-- Domain (\d+) --\|", re.M)
WAKE_RE = re.compile(r"^\s+wake:\s+(\d+)", re.M)


def xenalyze_wakes(summary: Path) -> dict[str, int]:
    """Per domain id, the `wake:` count of its first vCPU's runstates in `xenalyze --summary`
    (the cross-check of xentrace.py's blocked -> runnable count)."""
    if not summary.is_file():
        return {}
    text = summary.read_text(errors="replace")
    out = {}
    heads = list(DOMAIN_RE.finditer(text))
    for i, h in enumerate(heads):
        body = text[h.end():heads[i + 1].start() if i + 1 < len(heads) else len(text)]
        m = WAKE_RE.search(body)
        if m:
            out[h.group(1)] = int(m.group(1))
    return out


# ---- 3. idle ---------------------------------------------------------------------------------

IDLE_RE = re.compile(r"idle for (\d+) ms: wakeups=(\d+) xenstore_requests=(\d+)")


def idle(results: list[dict], raw: Path) -> dict:
    out: dict = {"method": "xentrace -e 0x0002f000 (scheduler) for IDLE_S s: wake-ups = the "
                           "domain's vCPU going blocked -> runnable; CPU time from `xl vcpu-list` "
                           "before and after. no_peer: nobody bound; quiet_peer: `xenbell-dom0 "
                           "serve` bound to each guest, sending nothing. xenbell's own count: its "
                           "`pingpong: idle for` line (the no-peer time, ready to the serve)"}
    for rec in results:
        if rec.get("kind") != "idle":
            continue
        case = rec["case"]
        t = rec.get("uptime") or [0, 0]
        secs = (float(t[1]) - float(t[0])) or rec.get("seconds")
        f = raw / "bench" / rec.get("trace", "")
        a = xentrace.analyse(f) if f.is_file() and f.stat().st_size else None
        xw = xenalyze_wakes(raw / "bench" / (rec.get("trace", "") + ".summary.txt"))
        for g, dom in (rec.get("domids") or {}).items():
            e: dict = {"seconds": r(secs, 2), "domid": dom}
            if a is not None:
                d = a["domains"].get(str(dom), {})
                e["wakeups"] = d.get("wakeups", 0)
                e["wakeups_per_s"] = r(d.get("wakeups", 0) / secs, 2) if secs else None
                e["sched_wake_records"] = d.get("sched_wake_records", 0)
                e["xenalyze_wakes"] = xw.get(str(dom))
            c = (rec.get("cpu_s") or {}).get(g) or [None, None]
            if c[0] is not None and c[1] is not None and secs:
                e["cpu_s"] = r(c[1] - c[0], 2)
                e["cpu_ms_per_min"] = r((c[1] - c[0]) * 1000 * 60 / secs, 0)
            out.setdefault(g, {})[case] = e
    lines = raw / "bench" / "idle-lines.txt"
    m = IDLE_RE.findall(lines.read_text(errors="replace")) if lines.is_file() else []
    if m:
        ms, w, q = (int(x) for x in m[-1])
        out.setdefault("xenbell", {})["guest_count"] = {
            "idle_ms": ms, "wakeups": w, "xenstore_requests": q,
            "wakeups_per_s": r(w / (ms / 1000), 3) if ms else None}
    return out


# ---- 6. boot phases --------------------------------------------------------------------------

PHASES_RE = re.compile(r"boot: phases us:((?: \w+=\d+)+)")


def boot_phases(boot: dict, raw: Path) -> dict:
    per: dict[str, list[int]] = {}
    runs = 0
    for label in ("xenbell", "xenbell-paused"):
        for x in boot.get("runs", {}).get(label, []):
            log = raw / f"guest-{x['name']}.log"
            m = PHASES_RE.search(log.read_text(errors="replace")) if log.exists() else None
            if not m:
                continue
            runs += 1
            for k, v in COST_RE.findall(m.group(1)):
                per.setdefault(k, []).append(int(v))
    return {"median_us": {k: med(v) for k, v in per.items()}, "runs": runs,
            "method": "xenbell's `boot: phases us:` line (src/boot_phases.rs: TSC at the end of "
                      "each phase, converted with Xen's pvclock scale); median over the xenbell "
                      "and xenbell-paused boots"}


# ---- 5. scale --------------------------------------------------------------------------------

def scale(results: list[dict]) -> dict:
    pts = []
    for rec in results:
        if rec.get("kind") != "scale":
            continue
        res = [x for x in rec.get("results") or [] if x]
        t = rec.get("uptime") or [0, 0]
        wall = float(t[1]) - float(t[0])
        ok = sum(x.get("rounds_ok") or 0 for x in res)
        p50s = [(x.get("rtt_ns") or {}).get("p50") for x in res]
        p99s = [(x.get("rtt_ns") or {}).get("p99") for x in res]
        pts.append({"guests": rec["guests"], "rounds_each": rec["rounds"], "answered": len(res),
                    "rounds_ok": ok, "wall_s": r(wall, 2),
                    "aggregate_rounds_per_s": r(ok / wall, 1) if wall > 0 else None,
                    "sum_rounds_per_s": r(sum(x.get("rounds_per_s") or 0 for x in res), 1),
                    "p50_ns": med(p50s), "p99_ns": med(p99s)})
    return {"points": pts,
            "method": "n xenbells (memory=2, log=warn) each pinged by its own `xenbell-dom0 ping "
                      "--rounds R --json`, all n started at once; aggregate = rounds answered / "
                      "wall time of the whole step (dom0 uptime, 10 ms; includes starting n "
                      "processes); sum = the sum of each ping's own rounds/s; p50 = median of "
                      "the n pings' p50"}


# ---- 4. density ------------------------------------------------------------------------------

def density(results: list[dict], boot_runs: dict, raw: Path | None = None) -> dict:
    out: dict = {}
    for rec in results:
        if rec.get("kind") == "density":
            out[rec["guest"]] = {k: v for k, v in rec.items() if k not in ("kind", "guest")}
            out[rec["guest"]]["all_answered"] = rec.get("started", 0) > 0 and rec.get("answered") == rec.get("started")
    create = [(x["run"], x.get("ready_ms"), x.get("xl_ms")) for x in boot_runs.get("density", [])]
    out.setdefault("xenbell", {})["create_ready_ms"] = [[n, r(a, 0), r(b, 0)] for n, a, b in create]
    lx = [(x["run"], x.get("ready_ms"), x.get("rc")) for x in boot_runs.get("density-linux", [])]
    out.setdefault("linux", {})["create_ready_ms"] = [[n, r(a, 0), rc] for n, a, rc in lx]
    # Why the Linux guests stopped: the first error of the create that failed (the limit, or
    # the toolstack), and what Xen's free memory would still have held.
    lxd = out["linux"]
    failed = [n for n, _, rc in lx if rc not in (0, None)]
    if failed and raw is not None:
        f = raw / "bench" / f"xl-lx-n{failed[0]}.txt"
        errs = [ln for ln in (f.read_text(errors="replace").splitlines() if f.is_file() else []) if "error" in ln]
        lxd["stopped_by"] = errs[0].split("panic: ")[-1] if errs else "create failed (no error line)"
    elif lxd.get("started") is not None and lxd.get("started") == lxd.get("limit"):
        lxd["stopped_by"] = "the limit DENSITY_LINUX"
    if lxd.get("free_memory_mib_after") is not None and lxd.get("memory_mib"):
        lxd["more_would_fit_by_memory"] = int(lxd["free_memory_mib_after"] // (lxd["memory_mib"] + 2))
    idle_pts = []
    for rec in results:
        if rec.get("kind") != "density_idle":
            continue
        t = rec["uptime"]
        secs = float(t[1]) - float(t[0])
        xs = rec["xenstored_ticks"]
        (i1, t1), (i2, t2) = rec["dom0_idle_total_ticks"]
        c = rec.get("dom0_cpu_s") or [None, None]
        idle_pts.append({"guests": rec["guests"], "seconds": r(secs, 2),
                         "xenstored_cpu_pct": r((xs[1] - xs[0]) / 100 / secs * 100, 2) if secs else None,
                         "dom0_busy_pct": r(100 * (1 - (i2 - i1) / (t2 - t1)), 2) if t2 > t1 else None,
                         "dom0_vcpu_pct": r(100 * (c[1] - c[0]) / secs, 1)
                         if secs and None not in c else None})
    out["idle_dom0"] = idle_pts
    out["method"] = ("xenbells with memory=2 and log=warn, created one at a time (bench-probe boot: "
                     "`xl create` to state=ready), in four steps up to DENSITY; after each step, "
                     "DENSITY_IDLE_S s with all idle: xenstored's CPU (/proc/<pid>/stat, "
                     "USER_HZ=100), dom0 busy (/proc/stat) and dom0's vCPU time (xl vcpu-list, "
                     "which includes Xen's time on its behalf); then every one pinged, 10 rounds. "
                     "Linux guests (memory as in the other phases) started until one does not fit "
                     "or DENSITY_LINUX")
    return out


# ---- pictures --------------------------------------------------------------------------------

def pictures(out: Path, rep: dict) -> dict:
    pics = {}
    pts = rep.get("scale", {}).get("points") or []
    if pts:
        pics["scale"] = svg.lines(
            {"aggregate rounds/s": [(p["guests"], p["aggregate_rounds_per_s"] or 0) for p in pts],
             "sum of each ping's rounds/s": [(p["guests"], p["sum_rounds_per_s"] or 0) for p in pts]},
            out / "scale.svg", "n xenbells pinged at once (QEMU TCG, 1 CPU)", "guests pinged at once",
            "rounds/s", logx=True,
            right={"p50": [(p["guests"], (p["p50_ns"] or 0) / 1000) for p in pts]},
            right_label="p50 round trip (us)").name
    d = rep.get("density", {})
    cr = [(n, ms) for n, ms, _ in d.get("xenbell", {}).get("create_ready_ms", []) if ms]
    idl = d.get("idle_dom0") or []
    if cr:
        pics["density"] = svg.lines(
            {"xl create -> ready (ms)": cr}, out / "density.svg",
            "Creating the n-th xenbell; dom0 while all idle", "guests running", "create to ready (ms)",
            right={"dom0 busy %, all idle": [(p["guests"], p["dom0_busy_pct"] or 0) for p in idl]},
            right_label="dom0 busy (%)").name
    return pics


# ---- report.md -------------------------------------------------------------------------------

# What each change made after profiling bought: the figure before (measured by an earlier
# `make bench` run, named), and where this run's figure is in the report.
CHANGES = [
    {"change": "xen/wait.rs: a wait with a deadline reads the clock only on its first pass and "
               "after a timer event, not after every wake-up (each read is a trapped RDTSC, an "
               "exit, in Xen's default TSC mode)",
     "before": "2026-12-05 23:47 UTC, `make bench --quick` (200 rounds): xenbell 6.94 exits per "
               "round, of them RDTSC 1.65 (IOIO 1.90, VMMCALL 1.25, VINTR 1.06, HLT 1.04, INTR 0.05)",
     "after": ("exits", "xenbell")},
]


def changes(rep: dict) -> list[str]:
    out = []
    for c in CHANGES:
        sec, key = c["after"]
        e = (rep.get(sec) or {}).get(key) or {}
        by = e.get("exits_per_round_by_reason") or {}
        now = (f"this run ({e.get('rounds')} rounds): {fx(e.get('exits_per_round'))} exits per round, RDTSC "
               f"{fx(by.get('RDTSC', 0.0))} (" + ", ".join(f"{k} {v}" for k, v in by.items()) + ")"
               if e.get("exits_per_round") is not None else "this run: not measured")
        tsc = ((rep.get("rtt") or {}).get("variants") or {}).get("xenbell-tsc-native") or {}
        if tsc.get("vs_xenbell_p50") is not None:
            now += (f"; xenbell with tsc_mode=\"native\" (no RDTSC traps at all) / xenbell p50 = "
                    f"{tsc['vs_xenbell_p50']:.3f} (before: 0.931, i.e. the traps cost the default "
                    f"about 7 % of a round trip; at or above 1 they cost nothing measurable)")
        out.append(f"- {c['change']}. Before: {c['before']}. After: {now}.")
    return out


def markdown(rep: dict) -> list[str]:
    L: list[str] = []
    a = L.append
    a("## Changes made after profiling, and what they bought")
    a("")
    L.extend(changes(rep))
    a("")
    sh = rep["rtt"].get("guest_share") or {}
    a("## The guest's share of a round trip")
    a("")
    a(f"Method: {sh.get('method')}.")
    a("")
    if sh.get("floor"):
        a("| peer | RTT p50 | RTT p99 | share p50 (RTT - loopback) | share p99 |")
        a("|---|---|---|---|---|")
        a(f"| dom0-loopback (the floor) | {us(sh['floor']['p50_ns'])} | {us(sh['floor']['p99_ns'])} | 0 | 0 |")
        for g in ("xenbell", "linux"):
            if g in sh:
                s = sh[g]
                a(f"| {g} | {us(s['rtt_p50_ns'])} | {us(s['rtt_p99_ns'])} | {us(s['share_p50_ns'])} | "
                  f"{us(s['share_p99_ns'])} |")
        a("")
        a(f"**guest_share_ratio_p50 = {fx(sh.get('ratio_p50'), 3)}** (xenbell's share / Linux's; "
          f"target <= 0.1; per batch: {', '.join(fx(x, 3) for x in sh.get('ratio_p50_per_batch', []))}); "
          f"p99: {fx(sh.get('ratio_p99'), 3)}. **over_floor_p50 = {fx(sh.get('over_floor_p50'), 3)}** "
          f"(xenbell's RTT / the loopback's; target <= 1.1).")
        a("")
    ex = rep.get("exits") or {}
    a("## Exits per round trip (Xen's trace)")
    a("")
    a(f"Method: {ex.get('method')}.")
    a("")
    rows = [(g, ex[g]) for g in ("xenbell", "xenbell-2l", "xenbell-alt", "linux") if g in ex]
    if rows:
        a("| guest | exits / round | by reason (per round) | vCPU wake-ups / round | trace records (lost) | guest's own counters / round |")
        a("|---|---|---|---|---|---|")
        for g, e in rows:
            reasons = ", ".join(f"{k} {v}" for k, v in (e.get("exits_per_round_by_reason") or {}).items())
            own = ", ".join(f"{k} {v}" for k, v in (e.get("guest_counters_per_round") or {}).items()) or "-"
            a(f"| {g} | **{fx(e.get('exits_per_round'))}** | {reasons or '-'} | {fx(e.get('wakeups_per_round'))} | "
              f"{e.get('records', '-')} ({e.get('lost_records_events', '-')}) | {own} |")
        a("")
        a("xenalyze --summary of each trace: " + ", ".join(
            f"raw/bench/{e['xenalyze_summary']}" for _, e in rows if e.get("xenalyze_summary")) + ".")
        a("")
    idle = rep.get("idle") or {}
    a("## Idle cost")
    a("")
    a(f"Method: {idle.get('method')}.")
    a("")
    if idle.get("xenbell") or idle.get("linux"):
        a("| guest | case | wake-ups / s (Xen) | wake-ups: xentrace.py / TRC_SCHED_WAKE / xenalyze | CPU ms / minute | window |")
        a("|---|---|---|---|---|---|")
        for g in ("xenbell", "linux"):
            for case in ("no_peer", "quiet_peer"):
                e = idle.get(g, {}).get(case)
                if e:
                    a(f"| {g} | {case} | **{fx(e.get('wakeups_per_s'))}** | {e.get('wakeups')} / "
                      f"{e.get('sched_wake_records')} / {e.get('xenalyze_wakes')} | {fx(e.get('cpu_ms_per_min'), 0)} | "
                      f"{fx(e.get('seconds'), 1)} s |")
        gc = idle.get("xenbell", {}).get("guest_count")
        if gc:
            a("")
            a(f"xenbell's own count (`pingpong: idle for` line): {gc['wakeups']} wake-ups and "
              f"{gc['xenstore_requests']} xenstore requests in {gc['idle_ms']} ms "
              f"({fx(gc['wakeups_per_s'], 3)} wake-ups/s).")
        a("")
    ph = (rep["boot"].get("phases") or {}).get("median_us") or {}
    a("## Boot phases (xenbell's own clock)")
    a("")
    if ph:
        tot = sum(v for v in ph.values() if v)
        a("| phase | median | share |")
        a("|---|---|---|")
        for k, v in ph.items():
            a(f"| {k} | {fx((v or 0) / 1000, 2)} ms | {100 * (v or 0) / tot:.0f} % |")
        a(f"| **sum** | {fx(tot / 1000, 2)} ms | |")
        a("")
        e2r = rep["boot"].get("xenbell_entry_to_ready_us")
        u = rep["boot"].get("unpause_to_ready_ms") or {}
        a(f"Entry to ready: {fx((e2r or 0) / 1000, 1)} ms (target <= 10 ms under TCG). `xl unpause` to "
          f"ready: xenbell {fx(u.get('xenbell'), 0)} ms, Linux {fx(u.get('linux'), 0)} ms. "
          f"{rep['boot']['phases']['method']}.")
        a("")
    sc = rep.get("scale") or {}
    a("## Growth: n guests pinged at once")
    a("")
    a(f"Method: {sc.get('method')}.")
    a("")
    if sc.get("points"):
        a("| guests | answered | aggregate rounds/s | sum of rounds/s | p50 (median of the pings) | p99 | wall |")
        a("|---|---|---|---|---|---|---|")
        for p in sc["points"]:
            a(f"| {p['guests']} | {p['answered']} | {fx(p['aggregate_rounds_per_s'], 0)} | "
              f"{fx(p['sum_rounds_per_s'], 0)} | {us(p['p50_ns'])} | {us(p['p99_ns'])} | {fx(p['wall_s'], 1)} s |")
        a("")
        if "scale" in rep.get("pictures", {}):
            a(f"![scale]({rep['pictures']['scale']})")
            a("")
        for line in scale_reading(sc["points"]):
            a(line)
        a("")
    d = rep.get("density") or {}
    a("## Density")
    a("")
    a(f"Method: {d.get('method')}.")
    a("")
    for g in ("xenbell", "linux"):
        e = d.get(g) or {}
        if "started" in e:
            cr = [ms for _, ms, *_ in e.get("create_ready_ms", []) if ms]
            s = (f"- {g}: **started {e['started']}** (limit {e.get('limit')}, memory={e.get('memory_mib')}), "
                 f"answered {e.get('answered')}: all answered **{'yes' if e.get('all_answered') else 'no'}**")
            if cr:
                q = max(1, len(cr) // 4)
                s += (f"; create to ready: first {q} median {fx(med(cr[:q]), 0)} ms, last {q} median "
                      f"{fx(med(cr[-q:]), 0)} ms")
            if e.get("free_memory_mib") is not None or e.get("free_memory_mib_after") is not None:
                s += f"; Xen free memory then {e.get('free_memory_mib', e.get('free_memory_mib_after'))} MiB"
            if e.get("stopped_by"):
                s += f"; stopped by: {e['stopped_by']}"
            if e.get("more_would_fit_by_memory") is not None:
                s += (f"; by Xen's free memory alone {e['more_would_fit_by_memory']} more of "
                      f"{e.get('memory_mib')} MiB would have fit")
            a(s + ".")
    if d.get("idle_dom0"):
        a("")
        a("| xenbells idle | xenstored CPU | dom0 busy | dom0 vCPU time | window |")
        a("|---|---|---|---|---|")
        for p in d["idle_dom0"]:
            a(f"| {p['guests']} | {fx(p['xenstored_cpu_pct'])} % | {fx(p['dom0_busy_pct'])} % | "
              f"{fx(p['dom0_vcpu_pct'], 1)} % | {fx(p['seconds'], 1)} s |")
    a("")
    if "density" in rep.get("pictures", {}):
        a(f"![density]({rep['pictures']['density']})")
        a("")
    return L


def scale_reading(pts: list[dict]) -> list[str]:
    """What the curve's shape says, from the numbers."""
    p1 = next((p for p in pts if p["guests"] == 1), None)
    if not p1 or not p1.get("aggregate_rounds_per_s"):
        return []
    out = []
    for p in pts:
        if p is p1 or not p.get("aggregate_rounds_per_s"):
            continue
        gain = p["aggregate_rounds_per_s"] / p1["aggregate_rounds_per_s"]
        lat = (p["p50_ns"] or 0) / (p1["p50_ns"] or 1)
        out.append(f"{p['guests']} guests: {gain:.2f}x the aggregate rounds/s of one, p50 {lat:.2f}x.")
    return ["Reading: " + " ".join(out) + " The test bed has one emulated CPU, shared by Xen, dom0 "
            "(the n ping processes) and every guest, so the aggregate cannot grow with n the way it "
            "would on n CPUs: a flat aggregate with p50 growing about linearly in n means the one CPU "
            "is saturated and the rounds are time-shared; a rise before the flat part means a "
            "single ping left the CPU idle between rounds (waiting on wake-ups) and more pings "
            "fill those gaps."]


def summary_lines(rep: dict) -> list[str]:
    t = rep["targets"]
    rt = rep["rtt"]
    ex = rep.get("exits_per_round") or {}
    idle = rep.get("idle") or {}
    d = rep.get("density") or {}
    sc = (rep.get("scale") or {}).get("points") or []
    ph = (rep["boot"].get("phases") or {}).get("median_us") or {}
    lines = [f"  share     guest_share_ratio_p50 {fx(rt.get('guest_share_ratio_p50'), 3)} (target <= 0.1: "
             f"{t['guest_share_ratio_p50']['met']})  over_floor_p50 {fx(rt.get('over_floor_p50'), 3)} "
             f"(target <= 1.1: {t['over_floor_p50']['met']})",
             f"  exits     per round: xenbell {fx(ex.get('xenbell'))}  linux {fx(ex.get('linux'))}"]
    for g in ("xenbell", "linux"):
        e = idle.get(g, {})
        lines.append(f"  idle      {g}: no peer {fx(e.get('no_peer', {}).get('wakeups_per_s'))} wake-ups/s, "
                     f"{fx(e.get('no_peer', {}).get('cpu_ms_per_min'), 0)} CPU ms/min; quiet peer "
                     f"{fx(e.get('quiet_peer', {}).get('wakeups_per_s'))} wake-ups/s")
    lines.append(f"  boot      entry to ready {fx((rep['boot'].get('xenbell_entry_to_ready_us') or 0) / 1000, 1)} ms "
                 f"(target <= 10: {t['entry_to_ready_us']['met']}); phases (ms): " +
                 " ".join(f"{k} {fx((v or 0) / 1000, 1)}" for k, v in ph.items()))
    if sc:
        lines.append("  scale     aggregate rounds/s by guests: " +
                     " ".join(f"{p['guests']}:{fx(p['aggregate_rounds_per_s'], 0)}" for p in sc))
    for g in ("xenbell", "linux"):
        e = d.get(g) or {}
        if "started" in e:
            lines.append(f"  density   {g}: started {e['started']}, all answered {e.get('all_answered')}")
    return lines
