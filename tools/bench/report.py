"""make bench's report: target/bench/raw/ (what dom0/bench.sh measured in the test bed) +
criterion's results + the stripped image -> target/bench/report.json, report.md and SVGs.

Definitions (also in report.md):
- rtt.<guest>.p50_ns / p99_ns: the median over the batches of each batch's p50 / p99, as
  `xenbell-dom0 ping --json` reported them (nearest-rank percentiles of 1000 rounds);
  ratio_p50 = xenbell / linux. spread: (max - min) / median of the batch p50s.
- boot.<guest>_ms: median over the runs of (state=ready seen in xenstore) - (just before
  `xl create` was started); speedup = linux / xenbell.
- min_memory_mib: the smallest memory= tried at which xenbell reached ready and answered
  100 of 100 rounds.
- decoder: criterion's median time per call, divided by the events it dispatched.
- vchan.*: see report_vchan.py (echo MB/s and small-message round trips, xenbell vs a Linux
  guest running Xen's vchan-socket-proxy, dom0 loopback as the floor).
- smp.rounds_per_s.vcpus_<V>, smp.ratio_vs_1.vcpus_<V>, smp.p50_us.vcpus_<V>; scale_ports.<abi>.<K>
  .rounds_per_s / .p50_us / .ready_ms: see report_smp.py (one guest's ports on 1, 2, 4 vCPUs
  under Xen on 2 CPUs; `ping --ports all` against ports per guest, both ABIs).
"""

import json
import re
import statistics
import subprocess
import time
from pathlib import Path

import report_scale
import report_smp
import report_vchan
import svg
from fmt import fx, us

DECODER_CASES = (1, 64, 4096)
FIFO_CASES = (1, 64, 4096, 100000)
TARGETS = {"ratio_p50": 0.5, "speedup": 20.0, "image_bytes": 128 * 1024, "min_memory_mib": 8,
           "guest_share_ratio_p50": 0.1, "over_floor_p50": 1.1, "entry_to_ready_us": 10_000,
           "idle_wakeups_per_s": 1.0, "density_started": 100}


# ---- loading ------------------------------------------------------------------------------

def load_results(raw: Path) -> list[dict]:
    out = []
    f = raw / "bench" / "results.jsonl"
    if not f.exists():
        return out
    for line in f.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            out.append({"kind": "unparsed", "line": line})
    return out


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def pct(sorted_xs, p):
    if not sorted_xs:
        return None
    k = max(0, min(len(sorted_xs) - 1, -(-p * len(sorted_xs) // 100) - 1))
    return sorted_xs[k]


def r1(x, nd=1):
    return None if x is None else round(x, nd)


# ---- sections -----------------------------------------------------------------------------

def rtt_section(results: list[dict], raw: Path) -> dict:
    per: dict[str, list[dict]] = {}   # label -> its batches, in the order run
    names = {"xenbell": "xenbell"}        # label -> domain name (for its console log)
    for r in results:
        if r.get("kind") == "boot" and r.get("guest", "").startswith("xenbell-"):
            names[r["guest"]] = r["name"]
        if r.get("kind") != "rtt":
            continue
        res = r.get("result") or {}
        rtt = res.get("rtt_ns") or {}
        key = r["guest"]
        if r.get("phase") == "exits":   # the traced batches: reported with the exits
            continue
        if r.get("phase") == "variants" and key in ("xenbell", "linux"):
            key += "@variants"
        per.setdefault(key, []).append({
            "batch": r["batch"], "rc": r["rc"], "rounds": r.get("rounds"),
            "rounds_ok": res.get("rounds_ok"), "p50_ns": rtt.get("p50"), "p99_ns": rtt.get("p99"),
            "min_ns": rtt.get("min"), "max_ns": rtt.get("max"),
            "rounds_per_s": res.get("rounds_per_s")})

    def summary(batches: list[dict]) -> dict:
        p50s = [b["p50_ns"] for b in batches if b["p50_ns"] is not None]
        p99s = [b["p99_ns"] for b in batches if b["p99_ns"] is not None]
        m = med(p50s)
        return {"p50_ns": m, "p99_ns": med(p99s),
                "min_ns": min((b["min_ns"] for b in batches if b["min_ns"]), default=None),
                "max_ns": max((b["max_ns"] for b in batches if b["max_ns"]), default=None),
                "batches": len(batches),
                "rounds_ok": sum(b["rounds_ok"] or 0 for b in batches),
                "rounds_requested": sum(b["rounds"] or 0 for b in batches),
                "spread_p50": {"min_ns": min(p50s, default=None), "max_ns": max(p50s, default=None),
                               "rel": r1((max(p50s) - min(p50s)) / m, 3) if m else None},
                "per_batch": batches}

    out: dict = {}
    for g in ("xenbell", "linux"):
        out[g] = summary(per.get(g, []))
        out[g]["samples"] = samples_summary(raw, g)
    xb, lx = out["xenbell"]["p50_ns"], out["linux"]["p50_ns"]
    out["ratio_p50"] = r1(xb / lx, 3) if xb and lx else None
    xb99, lx99 = out["xenbell"]["p99_ns"], out["linux"]["p99_ns"]
    out["ratio_p99"] = r1(xb99 / lx99, 3) if xb99 and lx99 else None
    # Per-batch ratios (each xenbell batch against the Linux batch right after it).
    pairs = list(zip(per.get("xenbell", []), per.get("linux", [])))
    ratios = [a["p50_ns"] / b["p50_ns"] for a, b in pairs if a["p50_ns"] and b["p50_ns"]]
    out["ratio_p50_per_batch"] = [r1(x, 3) for x in ratios]
    # Variants: each alternated with xenbell (default config) in its own batches.
    variants = {}
    vxb = summary(per.get("xenbell@variants", []))
    vlx = summary(per.get("linux@variants", []))
    for label in [k for k in per if k not in ("xenbell", "linux") and "@" not in k]:
        v = summary(per[label])
        variants[label] = {
            "p50_ns": v["p50_ns"], "p99_ns": v["p99_ns"], "batches": v["batches"],
            "rounds_ok": v["rounds_ok"], "rounds_requested": v["rounds_requested"],
            "vs_xenbell_p50": r1(v["p50_ns"] / vxb["p50_ns"], 3) if v["p50_ns"] and vxb["p50_ns"] else None,
            "vs_linux_p50": r1(v["p50_ns"] / vlx["p50_ns"], 3) if v["p50_ns"] and vlx["p50_ns"] else None,
            "upcall": upcall_of(raw, names.get(label)),
            "per_batch": per[label]}
    out["variants_phase"] = {
        "note": "the variants' batches: every peer up at once, each pinged in turn; vs_xenbell "
                "and vs_linux compare with xenbell and Linux in these same batches",
        "xenbell": {k: vxb[k] for k in ("p50_ns", "p99_ns", "batches", "rounds_ok", "per_batch")},
        "linux": {k: vlx[k] for k in ("p50_ns", "p99_ns", "batches", "rounds_ok", "per_batch")},
        "ratio_p50": r1(vxb["p50_ns"] / vlx["p50_ns"], 3) if vxb["p50_ns"] and vlx["p50_ns"] else None}
    out["xenbell"]["upcall"] = upcall_of(raw, "xenbell")
    out["variants"] = variants
    out["method"] = ("xenbell-dom0 ping --rounds N --json from dom0, xenbell and the Linux guest "
                     "both running, batches alternating xenbell, linux, xenbell, ...; p50/p99 "
                     "= median over batches of the batch percentiles")
    return out


UPCALL_RE = re.compile(r"upcall via (\w+)")


def upcall_of(raw: Path, name: str | None) -> str | None:
    """How the guest's kernel says it gets its upcall ("PerVcpuVector", "CallbackVector")."""
    log = raw / f"guest-{name}.log" if name else None
    m = UPCALL_RE.search(log.read_text(errors="replace")) if log and log.exists() else None
    return m.group(1) if m else None


def samples_summary(raw: Path, guest: str) -> dict | None:
    vals = []
    for f in sorted((raw / "bench").glob(f"samples-{guest}-*.txt")):
        vals += [int(x) for x in f.read_text().split() if x.isdigit()]
    if not vals:
        return None
    vals.sort()
    return {"n": len(vals), "p50_ns": pct(vals, 50), "p90_ns": pct(vals, 90),
            "p99_ns": pct(vals, 99), "min_ns": vals[0], "max_ns": vals[-1],
            "tool": "bench-probe samples (the same library calls as xenbell-dom0 ping, every "
                    "round kept)"}


def load_samples(raw: Path, guest: str) -> list[float]:
    vals = []
    for f in sorted((raw / "bench").glob(f"samples-{guest}-*.txt")):
        vals += [int(x) / 1000 for x in f.read_text().split() if x.isdigit()]
    return vals


ENTRY_RE = re.compile(r"boot: kernel entry to ready in (\d+) us")


def boot_section(results: list[dict], raw: Path) -> dict:
    runs: dict[str, list[dict]] = {}
    for r in results:
        if r.get("kind") != "boot" or r.get("guest") in ("mem",):
            continue
        p = r.get("probe") or {}
        runs.setdefault(r["guest"], []).append({"run": r["run"], "name": r["name"], "rc": r["rc"], **p})

    def ready(label):
        return [x.get("ready_ms") for x in runs.get(label, []) if x.get("ready_ms") is not None]

    out: dict = {}
    xb, lx = med(ready("xenbell")), med(ready("linux"))
    out["xenbell_ms"] = r1(xb)
    out["linux_ms"] = r1(lx)
    out["speedup"] = r1(lx / xb, 2) if xb and lx else None
    entry = []
    for x in runs.get("xenbell", []) + runs.get("xenbell-paused", []):
        log = raw / f"guest-{x['name']}.log"
        m = ENTRY_RE.search(log.read_text(errors="replace")) if log.exists() else None
        x["entry_to_ready_us"] = int(m.group(1)) if m else None
        if m:
            entry.append(int(m.group(1)))
    out["xenbell_entry_to_ready_us"] = med(entry)
    out["xenbell_entry_to_ready_runs_us"] = entry
    out["xenbell_log_warn_ms"] = r1(med(ready("xenbell-log-warn")))
    split = {}
    for g in ("xenbell", "xenbell-256", "linux"):
        ps = runs.get(f"{g}-paused", [])
        c = med([x.get("create_ms") for x in ps])
        u = med([x.get("unpause_ms") for x in ps])
        rd = med([x.get("ready_ms") for x in ps])
        split[g] = {"create_paused_ms": r1(c), "unpause_returned_ms": r1(u), "ready_ms": r1(rd),
                    "unpause_to_ready_ms": r1(rd - c) if rd and c else None, "runs": len(ps)}
    out["split"] = split
    out["xl_create_returned_ms"] = {g: r1(med([x.get("xl_ms") for x in runs.get(g, [])]))
                                    for g in ("xenbell", "linux")}
    out["appeared_in_xenstore_ms"] = {g: r1(med([x.get("appeared_ms") for x in runs.get(g, [])]))
                                      for g in ("xenbell", "linux")}
    out["runs"] = runs
    out["method"] = ("bench-probe boot: t0 just before `xl create` starts; xenstore polled every "
                     "2-50 ms (1/200 of the time waited) for the domain's data/xenbell/state; "
                     "median over runs; an unmeasured xenbell boot comes first (warm-up)")
    return out


def memory_section(results: list[dict], raw: Path) -> dict:
    tried = []
    for r in results:
        if r.get("kind") != "mem":
            continue
        m = r["memory_mib"]
        ping = r.get("ping") or {}
        ok = r.get("ready") and ping.get("rounds_ok") == 100
        xlerr = raw / "bench" / f"xl-xb-mem-{m}.txt"
        errs = [l for l in (xlerr.read_text(errors="replace").splitlines() if xlerr.exists() else [])
                if "error" in l]
        if ok:
            outcome = "ok: ready, 100/100 rounds answered"
        elif errs:
            outcome = "refused by the toolstack: " + errs[0].split("panic: ")[-1]
        elif r.get("ready"):
            outcome = f"ready, but ping answered {ping.get('rounds_ok')}/100"
        else:
            outcome = "created but never ready (crashed or hung): see guest-xb-mem-%d.log" % m
        tried.append({"memory_mib": m, "ok": bool(ok), "outcome": outcome,
                      "xl_list_mem_mib": r.get("xl_list_mem_mib"),
                      "rtt_p50_ns": (ping.get("rtt_ns") or {}).get("p50")})
    good = [t["memory_mib"] for t in tried if t["ok"]]
    return {"min_memory_mib": min(good) if good else None, "tried": tried}


def image_section(root: Path, stripped: Path) -> dict:
    elf = root / "target" / "xenbell.elf"
    out = {"image_bytes": stripped.stat().st_size if stripped.exists() else None,
           "unstripped_bytes": elf.stat().st_size if elf.exists() else None,
           "file": str(stripped.relative_to(root)) if stripped.exists() else None}
    try:
        txt = subprocess.run(["size", "-A", "-d", str(stripped)], capture_output=True, text=True,
                             check=True).stdout
        secs = {}
        for line in txt.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0].startswith(".") and parts[1].isdigit():
                secs[parts[0]] = int(parts[1])
        out["sections"] = secs
    except (OSError, subprocess.CalledProcessError):
        pass
    return out


def decoder_section(crit: Path) -> dict:
    out: dict = {"unit": "ns per dispatched event (criterion median per call / events)",
                 "method": "cargo bench -p decoder-bench: fresh OwnedBitmaps per call with the "
                           "ports raised as Xen does (xen_set_pending), only the decode timed"}
    complete = True
    for n in DECODER_CASES:
        events = 4095 if n == 4096 else n
        case = {"events": events}
        for impl in ("decoder", "naive"):
            f = crit / f"pending_{n}" / impl / "new" / "estimates.json"
            if not f.exists():
                complete = False
                continue
            est = json.loads(f.read_text())
            per_call = est["median"]["point_estimate"]
            case[f"{impl}_ns_per_call"] = r1(per_call, 2)
            case[f"{impl}_ns_per_event"] = r1(per_call / events, 3)
        if "decoder_ns_per_event" in case and "naive_ns_per_event" in case:
            case["naive_over_decoder"] = r1(case["naive_ns_per_event"] / case["decoder_ns_per_event"], 2)
        out[f"pending_{n}"] = case
    out["complete"] = complete
    return out


def fifo_section(crit: Path) -> dict:
    """The FIFO consumer (benches/fifo.rs): ns per event with 1, 64, 4096, 100,000 pending."""
    out: dict = {"unit": "ns per dispatched event (criterion median per call / events)",
                 "method": "cargo bench -p decoder-bench --bench fifo: fresh OwnedFifo per call "
                           "with the ports linked as Xen links them (XenFifo), only the consume timed"}
    complete = True
    for n in FIFO_CASES:
        events = 4095 if n == 4096 else n
        case = {"events": events}
        f = crit / f"fifo_pending_{n}" / "fifo" / "new" / "estimates.json"
        if f.exists():
            per_call = json.loads(f.read_text())["median"]["point_estimate"]
            case["fifo_ns_per_call"] = r1(per_call, 2)
            case["fifo_ns_per_event"] = r1(per_call / events, 3)
        else:
            complete = False
        out[f"pending_{n}"] = case
    out["complete"] = complete
    return out


# ---- pictures -----------------------------------------------------------------------------

def pictures(out: Path, raw: Path, rep: dict) -> dict:
    pics = {}
    series = {g: load_samples(raw, g) for g in ("xenbell", "linux")}
    series = {g: v for g, v in series.items() if v}
    if series:
        pics["rtt_cdf"] = svg.rtt_cdf(series, out / "rtt-cdf.svg",
                                      "Round trip from dom0: CDF (QEMU TCG)").name
        pics["rtt_hist"] = svg.rtt_histogram(series, out / "rtt-hist.svg",
                                             "Round trip from dom0: histogram (QEMU TCG)").name
    batches = {}
    for g in ("xenbell", "linux"):
        b = [(x["batch"], x["p50_ns"] / 1000, x["p99_ns"] / 1000)
             for x in rep["rtt"][g]["per_batch"] if x["p50_ns"] and x["p99_ns"]]
        if b:
            batches[g] = b
    if batches:
        pics["rtt_batches"] = svg.batch_medians(batches, out / "rtt-batches.svg",
                                                "xenbell-dom0 ping, per batch (alternating)").name
    boot = rep["boot"]
    rows = []
    runs = boot["runs"]

    def row(label, key, col):
        vals = [x["ready_ms"] for x in runs.get(key, []) if x.get("ready_ms") is not None]
        if vals:
            rows.append({"label": label, "runs": vals, "median": med(vals), "color": col})

    row("xenbell", "xenbell", svg.color("xenbell"))
    e2r = boot.get("xenbell_entry_to_ready_us")
    if rows and e2r:
        rows[-1]["segments"] = [
            ("before xenbell's entry (toolstack, domain build)", rows[-1]["median"] - e2r / 1000,
             "#dddddd"),
            ("xenbell: kernel entry -> ready (its own clock)", e2r / 1000, svg.color("xenbell"))]
    row("xenbell (log=warn)", "xenbell-log-warn", svg.color("xenbell-log-warn"))
    for g in ("xenbell", "linux"):
        sp = boot["split"][g]
        if sp["create_paused_ms"] and sp["ready_ms"]:
            vals = [x["ready_ms"] for x in runs.get(f"{g}-paused", []) if x.get("ready_ms")]
            segs = [("xl create -p (toolstack, guest not running)", sp["create_paused_ms"], "#bbbbbb"),
                    (f"{g}: xl unpause -> ready", sp["ready_ms"] - sp["create_paused_ms"],
                     svg.color(g))]
            rows.append({"label": f"{g}: create -p + unpause", "runs": vals,
                         "median": sp["ready_ms"], "segments": segs})
    row("linux", "linux", svg.color("linux"))
    if rows:
        pics["boot"] = svg.boot_times(rows, out / "boot.svg",
                                      "xl create -> data/xenbell/state=ready (QEMU TCG)").name
    return pics


# ---- report -------------------------------------------------------------------------------

def write(root: Path, out: Path, stripped: Path, crit: Path, meta: dict) -> dict:
    raw = out / "raw"
    results = load_results(raw)
    info = next((r for r in results if r.get("kind") == "info"), {})
    rep: dict = {"generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "note": "Measured under QEMU TCG (software emulation of the whole machine: Xen, "
                         "dom0 and the guests share one emulated CPU); absolute times are 10-50x "
                         "those of hardware. Only ratios mean something.",
                 "setup": {"xen": info.get("xen"), "dom0_kernel": info.get("dom0_kernel"),
                           "linux_guest": {"kernel": "Debian " + str(info.get("dom0_kernel")) +
                                           " vmlinuz (the dom0 kernel's package), type=pvh",
                                           "memory_mib": info.get("linux_memory"),
                                           "cmdline": info.get("linux_extra"),
                                           "initramfs": "busybox-static, xen-evtchn.ko, "
                                                        "xenbell-dom0 offer --remote 0 (the vchan "
                                                        "guest: xen-gntalloc.ko, vchan-socket-proxy "
                                                        "--mode=server and its libraries instead)"},
                           "xenbell_cfg": _cfg_summary(root / "xl-configs" / "xenbell.cfg"),
                           "testbed_status": _read(raw / "status.txt")},
                 **meta}
    rep["rtt"] = rtt_section(results, raw)
    rep["boot"] = boot_section(results, raw)
    img = image_section(root, stripped)
    rep["image_bytes"] = img["image_bytes"]
    rep["image"] = img
    mem = memory_section(results, raw)
    rep["min_memory_mib"] = mem["min_memory_mib"]
    rep["memory"] = mem
    rep["decoder"] = decoder_section(crit)
    rep["fifo"] = fifo_section(crit)
    share = report_scale.guest_share(rep["rtt"])
    rep["rtt"]["guest_share"] = share
    rep["rtt"]["guest_share_ratio_p50"] = share.get("ratio_p50")
    rep["rtt"]["guest_share_ratio_p99"] = share.get("ratio_p99")
    rep["rtt"]["over_floor_p50"] = share.get("over_floor_p50")
    ex = report_scale.exits(results, raw)
    rep["exits"] = ex
    rep["exits_per_round"] = {g: ex["per_round"].get(g) for g in ("xenbell", "linux")}
    # xenbell on the 2-level ABI (evtchn=2l) beside the default (FIFO): same run, same rounds
    rep["exits_per_round"]["xenbell_2l"] = ex["per_round"].get("xenbell-2l")
    rep["idle"] = report_scale.idle(results, raw)
    rep["boot"]["phases"] = report_scale.boot_phases(rep["boot"], raw)
    rep["boot"]["unpause_to_ready_ms"] = {g: rep["boot"]["split"][g]["unpause_to_ready_ms"]
                                          for g in ("xenbell", "linux")}
    rep["scale"] = report_scale.scale(results)
    rep["density"] = report_scale.density(results, rep["boot"]["runs"], raw)
    rep["vchan"] = report_vchan.section(results)
    rep["smp"] = report_smp.smp(results)
    rep["scale_ports"] = report_smp.scale_ports(results)
    rep["targets"] = targets(rep)
    idle = rep["idle"]
    rep["missing"] = [k for k, v in {
        "rtt.ratio_p50": rep["rtt"]["ratio_p50"], "boot.speedup": rep["boot"]["speedup"],
        "image_bytes": rep["image_bytes"], "min_memory_mib": rep["min_memory_mib"],
        "rtt.guest_share_ratio_p50": rep["rtt"]["guest_share_ratio_p50"],
        "rtt.over_floor_p50": rep["rtt"]["over_floor_p50"],
        "exits_per_round.xenbell": rep["exits_per_round"]["xenbell"],
        "exits_per_round.linux": rep["exits_per_round"]["linux"],
        **{f"idle.{g}.{c}.wakeups_per_s": idle.get(g, {}).get(c, {}).get("wakeups_per_s")
           for g in ("xenbell", "linux") for c in ("no_peer", "quiet_peer")},
        "boot.xenbell_entry_to_ready_us": rep["boot"]["xenbell_entry_to_ready_us"],
        "boot.phases": rep["boot"]["phases"]["median_us"] or None,
        "scale": rep["scale"]["points"] or None,
        **{f"density.{g}.{k}": rep["density"].get(g, {}).get(k)
           for g in ("xenbell", "linux") for k in ("started", "answered")},
        "vchan.ratio_mb_per_s": rep["vchan"]["ratio_mb_per_s"],
        "vchan.ratio_latency_p50": rep["vchan"]["ratio_latency_p50"],
        "vchan.dom0-loopback.mb_per_s": rep["vchan"]["dom0-loopback"]["mb_per_s"],
        **{f"smp.rounds_per_s.vcpus_{n}": rep["smp"]["rounds_per_s"].get(f"vcpus_{n}") for n in (1, 2, 4)},
        **{f"scale_ports.{abi}": rep["scale_ports"].get(abi) for abi in ("2l", "fifo")}}.items() if v is None]
    rep["complete"] = not rep["missing"] and rep["decoder"]["complete"]
    rep["pictures"] = {**pictures(out, raw, rep), **report_scale.pictures(out, rep),
                       **report_smp.pictures(out, rep)}
    (out / "report.json").write_text(json.dumps(rep, indent=2) + "\n")
    (out / "report.md").write_text(markdown(rep))
    return rep


def _cfg_summary(cfg: Path) -> str | None:
    if not cfg.exists():
        return None
    return "; ".join(l.strip() for l in cfg.read_text().splitlines()
                     if l.strip() and not l.lstrip().startswith("#"))


def _read(p: Path):
    return p.read_text().strip() if p.exists() else None


AT_LEAST = ("speedup", "density_started")


def targets(rep: dict) -> dict:
    idle = (rep.get("idle") or {}).get("xenbell", {}).get("no_peer", {})
    v = {"ratio_p50": rep["rtt"]["ratio_p50"], "speedup": rep["boot"]["speedup"],
         "image_bytes": rep["image_bytes"], "min_memory_mib": rep["min_memory_mib"],
         "guest_share_ratio_p50": rep["rtt"].get("guest_share_ratio_p50"),
         "over_floor_p50": rep["rtt"].get("over_floor_p50"),
         "entry_to_ready_us": rep["boot"].get("xenbell_entry_to_ready_us"),
         "idle_wakeups_per_s": idle.get("wakeups_per_s"),
         "density_started": (rep.get("density") or {}).get("xenbell", {}).get("started")}
    out = {}
    for k, goal in TARGETS.items():
        val = v[k]
        met = None if val is None else (val >= goal if k in AT_LEAST else val <= goal)
        out[k] = {"value": val, "target": (">= " if k in AT_LEAST else "<= ") + str(goal), "met": met}
    return out


def markdown(rep: dict) -> str:
    rtt, boot, mem, dec, img = rep["rtt"], rep["boot"], rep["memory"], rep["decoder"], rep["image"]
    L = []
    a = L.append
    a("# xenbell benchmark report")
    a("")
    a(f"Generated {rep['generated']} by `make bench`. {rep['note']}")
    a("")
    a("## Targets")
    a("")
    a("| what | measured | target | met |")
    a("|---|---|---|---|")
    names = {"ratio_p50": "round trip p50, xenbell / Linux guest",
             "speedup": "boot to ready, Linux guest / xenbell",
             "image_bytes": "kernel image, stripped (bytes)",
             "min_memory_mib": "smallest xl memory= that works (MiB)",
             "guest_share_ratio_p50": "guest's share of a round trip (RTT - dom0 loopback), xenbell / Linux, p50",
             "over_floor_p50": "xenbell RTT / dom0-loopback RTT, p50",
             "entry_to_ready_us": "xenbell kernel entry to ready (us)",
             "idle_wakeups_per_s": "idle xenbell, no peer: wake-ups per second (Xen's count)",
             "density_started": "xenbells started (memory=2)"}
    for k, t in rep["targets"].items():
        met = {True: "yes", False: "**no**", None: "not measured"}[t["met"]]
        a(f"| {names[k]} | {t['value']} | {t['target']} | {met} |")
    a("")
    a("## What the measurements say")
    a("")
    for line in analysis(rep):
        a(f"- {line}")
    a("")
    a("## Round trip (dom0 -> guest -> dom0)")
    a("")
    a(f"Method: {rtt['method']}.")
    a("")
    a("| guest | p50 | p99 | batches | rounds ok | batch p50 range | spread |")
    a("|---|---|---|---|---|---|---|")
    for g in ("xenbell", "linux"):
        s = rtt[g]
        sp = s["spread_p50"]
        rel = "-" if sp["rel"] is None else f"{sp['rel'] * 100:.1f} %"
        a(f"| {g} | {us(s['p50_ns'])} | {us(s['p99_ns'])} | {s['batches']} | "
          f"{s['rounds_ok']}/{s['rounds_requested']} | {us(sp['min_ns'])} - {us(sp['max_ns'])} | {rel} |")
    a("")
    a(f"**ratio_p50 = {fx(rtt['ratio_p50'], 3)}** (xenbell / linux; per batch pair: "
      f"{', '.join(fx(x, 3) for x in rtt['ratio_p50_per_batch'])}); ratio of p99: {fx(rtt['ratio_p99'], 3)}.")
    a("")
    smp = [(g, rtt[g]["samples"]) for g in ("xenbell", "linux") if rtt[g]["samples"]]
    if smp:
        a("Every round kept (`bench-probe samples`, same calls as the ping tool, for the pictures): " +
          "; ".join(f"{g} n={s['n']} p50 {us(s['p50_ns'])} p90 {us(s['p90_ns'])} p99 {us(s['p99_ns'])}"
                    for g, s in smp) + ".")
        a("")
    pics = rep.get("pictures", {})
    for k in ("rtt_cdf", "rtt_hist", "rtt_batches"):
        if k in pics:
            a(f"![{k}]({pics[k]})")
            a("")
    if rtt["variants"]:
        vp = rtt["variants_phase"]
        a("### Variants (their own batches: all six peers up, each pinged in turn)")
        a("")
        a("| peer | upcall | p50 | p99 | / xenbell p50 | / linux p50 | rounds ok |")
        a("|---|---|---|---|---|---|---|")
        a(f"| xenbell (xl-configs/xenbell.cfg) | {rtt['xenbell'].get('upcall') or '-'} | "
          f"{us(vp['xenbell']['p50_ns'])} | {us(vp['xenbell']['p99_ns'])} | 1 | "
          f"{fx(vp['ratio_p50'], 3)} | {vp['xenbell']['rounds_ok']} |")
        a(f"| linux | - | {us(vp['linux']['p50_ns'])} | {us(vp['linux']['p99_ns'])} | - | 1 | "
          f"{vp['linux']['rounds_ok']} |")
        for k, v in rtt["variants"].items():
            a(f"| {k} | {v['upcall'] or '-'} | {us(v['p50_ns'])} | {us(v['p99_ns'])} | "
              f"{fx(v['vs_xenbell_p50'], 3)} | {fx(v['vs_linux_p50'], 3)} | "
              f"{v['rounds_ok']}/{v['rounds_requested']} |")
        a("")
        a("xenbell's default is `upcall=auto`, which takes the per-vCPU vector only where Xen "
          "advertises it and the APIC is virtualised in hardware, else the callback vector (as "
          "here, under TCG). `tsc_mode=native` is what the Linux guest runs with (it must, under "
          "TCG). `dom0-loopback`: `xenbell-dom0 offer` and `ping` both in dom0, no guest at all: "
          "the floor of dom0's own side of a round trip. Every idle xenbell looks at xenstore "
          "every 100 ms (app/peer.rs, TICK_NS), so with four of them up the p99s here are higher "
          "than in the two-guest batches above.")
        a("")
    L.extend(report_scale.markdown(rep))
    L.extend(report_smp.markdown(rep))
    a("## Boot: `xl create` to data/xenbell/state = ready")
    a("")
    a(f"Method: {boot['method']}.")
    a("")
    a("| guest | median | runs (ms) | xl create returned | domain in xenstore |")
    a("|---|---|---|---|---|")
    for g in ("xenbell", "linux"):
        rs = [x.get("ready_ms") for x in boot["runs"].get(g, [])]
        a(f"| {g} | {fx(boot[g + '_ms'], 0)} ms | {', '.join(fx(x, 0) for x in rs)} | "
          f"{fx(boot['xl_create_returned_ms'][g], 0)} ms | {fx(boot['appeared_in_xenstore_ms'][g], 0)} ms |")
    a("")
    a(f"**speedup = {fx(boot['speedup'])}** (linux / xenbell). xenbell's own clock, kernel entry to "
      f"ready: median {fx((boot['xenbell_entry_to_ready_us'] or 0) / 1000, 1)} ms (runs: "
      f"{', '.join(str(round(x / 1000)) for x in boot['xenbell_entry_to_ready_runs_us'])} ms). "
      f"xenbell with log=warn: {fx(boot['xenbell_log_warn_ms'], 0)} ms.")
    a("")
    a("Split (`xl create -p`, then `xl unpause`):")
    a("")
    a("| guest | xl create -p | xl unpause returned | ready | unpause to ready |")
    a("|---|---|---|---|---|")
    for g in ("xenbell", "xenbell-256", "linux"):
        s = boot["split"][g]
        a(f"| {g} | {fx(s['create_paused_ms'], 0)} ms | {fx(s['unpause_returned_ms'], 0)} ms | "
          f"{fx(s['ready_ms'], 0)} ms | {fx(s['unpause_to_ready_ms'], 0)} ms |")
    a("")
    if "boot" in pics:
        a(f"![boot]({pics['boot']})")
        a("")
    a("## Footprint")
    a("")
    a(f"Image: `strip -o` of target/xenbell.elf: **{img['image_bytes']} bytes** "
      f"({(img['image_bytes'] or 0) / 1024:.1f} KiB; unstripped {img['unstripped_bytes']}).")
    if img.get("sections"):
        a("Sections: " + ", ".join(f"{k} {v}" for k, v in img["sections"].items() if v) + ".")
    a("")
    a(f"Memory: **min_memory_mib = {mem['min_memory_mib']}**.")
    a("")
    a("| memory= (MiB) | outcome | xl list Mem | rtt p50 |")
    a("|---|---|---|---|")
    for t in mem["tried"]:
        a(f"| {t['memory_mib']} | {t['outcome']} | {t['xl_list_mem_mib'] or '-'} | {us(t['rtt_p50_ns'])} |")
    a("")
    a("## Decoder (host, criterion)")
    a("")
    a(f"{dec['method']}. ns per dispatched event (per call in brackets):")
    a("")
    a("| ports pending | Decoder::run | naive_scan | naive / decoder |")
    a("|---|---|---|---|")
    for n in DECODER_CASES:
        c = dec.get(f"pending_{n}", {})
        a(f"| {n} ({c.get('events')} events) | {fx(c.get('decoder_ns_per_event'))} "
          f"({fx(c.get('decoder_ns_per_call'), 0)}) | {fx(c.get('naive_ns_per_event'))} "
          f"({fx(c.get('naive_ns_per_call'), 0)}) | {fx(c.get('naive_over_decoder'))} |")
    a("")
    fifo = rep.get("fifo", {})
    a("FIFO consumer (`evtchn_fifo::Consumer::run`, " + fifo.get("method", "") + "); the 2-level "
      "decoder's number for the same ports beside it:")
    a("")
    a("| ports pending | FIFO Consumer::run | 2-level Decoder::run |")
    a("|---|---|---|")
    for n in FIFO_CASES:
        c = fifo.get(f"pending_{n}", {})
        d = dec.get(f"pending_{n}", {})
        a(f"| {n} ({c.get('events')} events) | {fx(c.get('fifo_ns_per_event'))} "
          f"({fx(c.get('fifo_ns_per_call'), 0)}) | "
          f"{fx(d.get('decoder_ns_per_event')) if d else 'no such ports'} |")
    a("")
    L.extend(report_vchan.markdown_lines(rep))
    a("## Setup")
    a("")
    st = rep["setup"]
    a(f"Xen {st['xen']}, dom0 Linux {st['dom0_kernel']} (1024 MiB, 1 vCPU), all inside "
      f"qemu-system-x86_64 -accel tcg -cpu max -smp 1 (tools/testbed). Linux guest: "
      f"{st['linux_guest']['kernel']}, memory={st['linux_guest']['memory_mib']}, "
      f"extra=\"{st['linux_guest']['cmdline']}\", tsc_mode=native, initramfs: "
      f"{st['linux_guest']['initramfs']}. xenbell: xl-configs/xenbell.cfg ({st['xenbell_cfg']}).")
    a("")
    hl = rep.get("host_load_1min") or {}
    if hl:
        a(f"Host: {rep.get('host_cpus')} CPUs; 1-minute load average per step (max): " +
          ", ".join(f"{k} {v['max']:.2f}" for k, v in hl.items()) +
          ". QEMU keeps one CPU busy; a load well above 1 means other work (builds, fuzzers) "
          "competed with the emulated machine and inflated every absolute time.")
        a("")
    a(f"Parameters: {json.dumps(rep.get('params'))}; wall time per step (s): {json.dumps(rep.get('wall_s'))}. "
      "Raw data: target/bench/raw/ (results.jsonl, samples, guest console logs, serial log).")
    a("")
    return "\n".join(L)


def _rel(a: float, b: float) -> str:
    d = (a / b - 1) * 100
    return "about nothing (within 1%)" if abs(d) < 1 else f"{d:+.0f}%"


def analysis(rep: dict) -> list[str]:
    """Plain sentences from the numbers: why each target is met or not."""
    out = []
    rtt, boot = rep["rtt"], rep["boot"]
    xb, lx = rtt["xenbell"]["p50_ns"], rtt["linux"]["p50_ns"]
    v = rtt["variants"]
    vp = rtt.get("variants_phase") or {}
    vxb = (vp.get("xenbell") or {}).get("p50_ns")
    vlx = (vp.get("linux") or {}).get("p50_ns")
    floor = (v.get("dom0-loopback") or {}).get("p50_ns")
    if xb and lx:
        out.append(f"Round trip: xenbell {us(xb)} vs the Linux guest {us(lx)} (p50), ratio "
                   f"{rtt['ratio_p50']:.3f}; the target (<= 0.5) needs xenbell <= {us(lx / 2)}.")
    if floor and vxb and vlx:
        out.append(
            f"Where the time goes (variant batches: xenbell {us(vxb)}, Linux {us(vlx)}): dom0 talking "
            f"to itself, with no guest, takes {us(floor)}. That part of every round trip (dom0's "
            f"notify, its interrupt, waking `ping`) is the same for both guests and out of "
            f"xenbell's reach; on top of it xenbell adds {us(vxb - floor)} (Xen switching to its "
            f"vCPU and back, the upcall, its answer), the Linux guest {us(vlx - floor)} (the same "
            f"plus its kernel's event-channel driver and waking a user process). For a ratio of "
            f"0.5 xenbell's part would have to be at most {us(vlx / 2 - floor)}.")
    pc = v.get("xenbell-percpu", {})
    ts = v.get("xenbell-tsc-native", {})
    both = v.get("xenbell-percpu-tsc-native", {})
    if pc.get("vs_xenbell_p50") and pc.get("vs_linux_p50"):
        out.append(
            f"Upcall delivery matters: with `upcall=percpu` (HVMOP_set_evtchn_upcall_vector) "
            f"xenbell's p50 is {us(pc['p50_ns'])}, {(pc['vs_xenbell_p50'] - 1) * 100:+.0f}% against "
            f"the default ({rtt['xenbell'].get('upcall') or 'auto'}): that vector goes through Xen's "
            f"emulated local APIC and makes xenbell write the APIC's EOI register after every "
            f"upcall, one more exit to Xen per event, and exits are what is expensive under TCG. "
            f"Ratio to Linux with percpu: {pc['vs_linux_p50']:.3f}.")
    if ts.get("vs_xenbell_p50") and ts.get("vs_linux_p50"):
        d = (1 - ts["vs_xenbell_p50"]) * 100
        s = (f"`tsc_mode=\"native\"` (what the Linux guest has to run with here) gives xenbell "
             f"{us(ts['p50_ns'])}, {abs(d):.0f}% {'below' if d >= 0 else 'above'} its default TSC mode, "
             f"where Xen traps RDTSC (xenbell reads the clock per round trip only where it must: "
             f"waits read it only on their first pass and after a timer event, xen/wait.rs; the "
             f"guest's clock_reads per round are in the exits table).")
        if both.get("vs_linux_p50"):
            s += (f" Both together: {us(both['p50_ns'])}, ratio to Linux {both['vs_linux_p50']:.3f}.")
        s += (" These are configuration choices (kernel command line, xl config).")
        out.append(s)
    xbm, lxm, e2r = boot["xenbell_ms"], boot["linux_ms"], boot["xenbell_entry_to_ready_us"]
    if xbm and lxm:
        s = (f"Boot: xenbell {xbm:.0f} ms vs Linux {lxm:.0f} ms, speedup {boot['speedup']:.1f} "
             f"(target 20 needs xenbell <= {lxm / 20:.0f} ms).")
        xl_ret = boot["xl_create_returned_ms"].get("xenbell")
        if xl_ret and xl_ret > xbm:
            s += f" xenbell is ready {xl_ret - xbm:.0f} ms before `xl create` itself returns."
        if e2r:
            rest = xbm - e2r / 1000
            s += (f" xenbell's own clock says {e2r / 1000:.0f} ms from kernel entry to ready; the other "
                  f"{rest:.0f} ms pass before its first instruction (xl/libxl: parse, create the "
                  f"domain, load the image, xenstore and console setup, unpause) or are xl's own "
                  f"process overhead. Even a kernel that took 0 ms would give a speedup of at most "
                  f"{lxm / rest:.1f}.")
        sp = boot["split"]
        xs, ls_ = sp["xenbell"], sp["linux"]
        if xs["create_paused_ms"] and ls_["create_paused_ms"]:
            s += (f" Split: `xl create -p` (domain built, not yet running) takes "
                  f"{xs['create_paused_ms']:.0f} ms for xenbell, {ls_['create_paused_ms']:.0f} ms for "
                  f"Linux")
            x256 = sp.get("xenbell-256", {}).get("create_paused_ms")
            if x256:
                s += (f"; xenbell with memory=256 like the Linux guest: {x256:.0f} ms, so about "
                      f"{ls_['create_paused_ms'] - x256:.0f} ms of Linux's go to its image (libxc "
                      f"unpacks the 8 MB bzImage to a 66 MB kernel in dom0, plus the initramfs)")
            s += (f". Then `xl unpause` (a new xl process) returns after "
                  f"{xs['unpause_returned_ms'] - xs['create_paused_ms']:.0f} ms and xenbell is ready "
                  f"{xs['ready_ms'] - xs['unpause_returned_ms']:.0f} ms later; Linux needs "
                  f"{ls_['unpause_to_ready_ms']:.0f} ms from unpause to ready.")
        if boot.get("xenbell_log_warn_ms"):
            s += (f" With log=warn (fewer console lines) xenbell needs {boot['xenbell_log_warn_ms']:.0f}"
                  f" ms.")
        out.append(s)
    if rep["image_bytes"]:
        out.append(f"Image: {rep['image_bytes']} bytes stripped ({rep['image_bytes'] / 1024:.0f} KiB), "
                   f"{'within' if rep['image_bytes'] <= TARGETS['image_bytes'] else 'over'} the 128 KiB "
                   f"target.")
    dec = rep["decoder"]
    c1, c64, c4k = (dec.get(f"pending_{n}", {}) for n in DECODER_CASES)
    if all(c.get("decoder_ns_per_event") and c.get("naive_ns_per_event") for c in (c1, c64, c4k)):
        out.append(
            f"Decoder (host): with 1 port pending the fair decoder takes {c1['decoder_ns_per_call']:.0f} ns "
            f"per call against the naive scan's {c1['naive_ns_per_call']:.0f} ns (it reads only the word "
            f"the selector names; the naive scan reads all 64). With one port in each of the 64 words "
            f"({c64['decoder_ns_per_event']:.1f} vs {c64['naive_ns_per_event']:.1f} ns/event) and with "
            f"every port pending ({c4k['decoder_ns_per_event']:.2f} vs {c4k['naive_ns_per_event']:.2f} "
            f"ns/event) both must visit every word and the per-event atomic test-and-clear "
            f"dominates; the fair decoder's bookkeeping (cursor, split start word, event budget) "
            f"costs {_rel(c4k['decoder_ns_per_event'], c4k['naive_ns_per_event'])} per event with "
            f"every port pending and {_rel(c64['decoder_ns_per_event'], c64['naive_ns_per_event'])} "
            f"with one port per word. "
            f"Next to a round trip of hundreds of microseconds under TCG, "
            f"decoding is noise.")
    mem = rep["memory"]
    if mem["tried"]:
        refused = [t for t in mem["tried"] if not t["ok"]]
        s = f"Memory: xenbell boots and answers with memory={mem['min_memory_mib']} MiB."
        if refused:
            s += (" Below that: " + "; ".join(f"memory={t['memory_mib']}: {t['outcome']}" for t in refused)
                  + ". PVH loads the image at 1 MiB, so 1 MiB of RAM leaves no room for it: the "
                    "floor is the toolstack's, not the kernel's.")
        out.append(s)
    return out


def summary(rep: dict) -> str:
    t = rep["targets"]
    lines = ["", "make bench: results (QEMU TCG: only ratios mean something)"]
    if rep.get("missing"):
        lines.append(f"  MISSING   {', '.join(rep['missing'])}")
    r = rep["rtt"]
    lines.append(f"  rtt p50   xenbell {us(r['xenbell']['p50_ns'])}  linux {us(r['linux']['p50_ns'])}  "
                 f"ratio {fx(r['ratio_p50'], 3)} (target <= 0.5: {t['ratio_p50']['met']})")
    b = rep["boot"]
    lines.append(f"  boot      xenbell {fx(b['xenbell_ms'], 0)} ms  linux {fx(b['linux_ms'], 0)} ms  "
                 f"speedup {fx(b['speedup'])} (target >= 20: {t['speedup']['met']})")
    lines.append(f"  image     {rep['image_bytes']} bytes (target <= {TARGETS['image_bytes']}: {t['image_bytes']['met']})")
    lines.append(f"  memory    min {rep['min_memory_mib']} MiB (target <= 8: {t['min_memory_mib']['met']})")
    lines.extend(report_scale.summary_lines(rep))
    lines.extend(report_vchan.summary_lines(rep))
    lines.extend(report_smp.summary_lines(rep))
    for n in DECODER_CASES:
        c = rep["decoder"].get(f"pending_{n}", {})
        lines.append(f"  decoder   {n:>4} pending: {fx(c.get('decoder_ns_per_event'))} ns/event "
                     f"(naive {fx(c.get('naive_ns_per_event'))})")
    for n in FIFO_CASES:
        c = rep.get("fifo", {}).get(f"pending_{n}", {})
        lines.append(f"  fifo    {n:>6} pending: {fx(c.get('fifo_ns_per_event'))} ns/event")
    v = r.get("variants", {})
    fifo_rtt, two_l = r.get("variants_phase", {}).get("xenbell", {}), v.get("xenbell-2l", {})
    if fifo_rtt and two_l:
        lines.append(f"  rtt evtchn FIFO (xenbell) p50 {us(fifo_rtt.get('p50_ns'))} p99 {us(fifo_rtt.get('p99_ns'))}  "
                     f"2-level (xenbell-2l) p50 {us(two_l.get('p50_ns'))} p99 {us(two_l.get('p99_ns'))}")
    return "\n".join(lines)
