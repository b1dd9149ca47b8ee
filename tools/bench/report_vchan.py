"""make bench's vchan part (phase 6 of dom0/bench.sh): one libxenvchan client,
`xenbell-dom0 vchan --echo-test BYTES --latency N`, against three echo servers with the same
ring sizes: xenbell (mode=vchan), a Linux PVH guest running Xen's vchan-socket-proxy
--mode=server, and that proxy in dom0 (loopback: no second domain, the floor).

Definitions (also in report.md):
- vchan.<peer>.mb_per_s: the median over the batches of the echo-test's MB/s (10^6 bytes
  sent and checked back, per second of the whole test);
- vchan.<peer>.latency_p50_us / latency_p99_us: the median over the batches of each
  batch's p50 / p99 (nearest rank) of N round trips of 1..64-byte messages;
- ratio_mb_per_s = xenbell / linux (above 1: xenbell moves more), ratio_latency_p50 /
  ratio_latency_p99 = xenbell / linux (below 1: xenbell answers sooner); over_floor_* the
  same against dom0-loopback.

    section(results) -> dict; markdown_lines(rep) -> [str]; summary_lines(rep) -> [str]
"""

import re
import statistics
from fmt import fx, usec

PEERS = ("xenbell", "linux", "dom0-loopback")
ECHO = re.compile(r"vchan echo-test: bytes=(\d+) ok ms=(\d+) MB/s=([0-9.]+)")
LATENCY = re.compile(r"vchan latency: rounds=(\d+) bytes=1\.\.(\d+) min_us=([0-9.]+) p50_us=([0-9.]+) "
                     r"p99_us=([0-9.]+) max_us=([0-9.]+)")


def _med(xs):
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs), 2) if xs else None


def _ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


def parse_run(r: dict) -> dict:
    """One results.jsonl `vchan` record -> its figures (None where the output lacks them)."""
    out = r.get("out") or ""
    e, lat = ECHO.search(out), LATENCY.search(out)
    return {"batch": r.get("batch"), "rc": r.get("rc"),
            "mb_per_s": float(e.group(3)) if e else None,
            "echo_ms": int(e.group(2)) if e else None,
            "latency_rounds": int(lat.group(1)) if lat else None,
            "latency_min_us": float(lat.group(3)) if lat else None,
            "latency_p50_us": float(lat.group(4)) if lat else None,
            "latency_p99_us": float(lat.group(5)) if lat else None,
            "latency_max_us": float(lat.group(6)) if lat else None,
            **({} if e and lat else {"error": out[:300]})}


def section(results: list[dict]) -> dict:
    runs = [r for r in results if r.get("kind") == "vchan"]
    setup = next((r for r in results if r.get("kind") == "vchan_setup"), {})
    out: dict = {"method": "xenbell-dom0 vchan --echo-test BYTES --latency N (one connection per run), "
                           "the three servers in turn, VCHAN_BATCHES times; ring sizes: libxenvchan's "
                           "server default (1 KiB client->server, 2 KiB server->client) for all three",
                 "bytes": runs[0].get("bytes") if runs else None,
                 "rounds": runs[0].get("rounds") if runs else None,
                 "paths": setup.get("paths")}
    for p in PEERS:
        mine = [parse_run(r) for r in runs if r.get("peer") == p]
        out[p] = {"runs": mine,
                  "failed": sum(1 for m in mine if m["rc"] != 0),
                  "mb_per_s": _med(m["mb_per_s"] for m in mine),
                  "latency_p50_us": _med(m["latency_p50_us"] for m in mine),
                  "latency_p99_us": _med(m["latency_p99_us"] for m in mine)}
    xb, lx, lb = out["xenbell"], out["linux"], out["dom0-loopback"]
    out["ratio_mb_per_s"] = _ratio(xb["mb_per_s"], lx["mb_per_s"])
    out["ratio_latency_p50"] = _ratio(xb["latency_p50_us"], lx["latency_p50_us"])
    out["ratio_latency_p99"] = _ratio(xb["latency_p99_us"], lx["latency_p99_us"])
    out["over_floor_mb_per_s"] = _ratio(xb["mb_per_s"], lb["mb_per_s"])
    out["over_floor_latency_p50"] = _ratio(xb["latency_p50_us"], lb["latency_p50_us"])
    return out


def markdown_lines(rep: dict) -> list[str]:
    v = rep.get("vchan") or {}
    if not v.get("bytes"):
        return ["## vchan", "", "No vchan runs in this data (phase 6 of dom0/bench.sh did not run).", ""]
    L = ["## vchan: echo throughput and small-message latency", "",
         f"One client (`xenbell-dom0 vchan --echo-test {v['bytes']} --latency {v['rounds']}`: "
         f"{v['bytes']} random bytes echoed and checked, then {v['rounds']} round trips of one "
         "1..64-byte message each, on one connection) against three echo servers, in turn, in "
         "the same boot: xenbell `mode=vchan`; a Linux PVH guest (same kernel and memory as "
         "above) running Xen's `vchan-socket-proxy --mode=server` with its local side looped "
         "back through a FIFO; and that same proxy in dom0 (client and server in one domain: "
         "the floor). All three use libxenvchan's default ring sizes (1 KiB in, 2 KiB out). "
         "Medians over the batches; the client's waits block on the event channel.", "",
         "| server | MB/s | round trip p50 | p99 | failed runs | per batch (MB/s; p50 us) |",
         "|---|---|---|---|---|---|"]
    for p in PEERS:
        s = v.get(p) or {}
        per = "; ".join(f"{fx(r['mb_per_s'])} / {fx(r['latency_p50_us'], 0)}" for r in s.get("runs", []))
        L.append(f"| {p} | {fx(s.get('mb_per_s'))} | {usec(s.get('latency_p50_us'))} | "
                 f"{usec(s.get('latency_p99_us'))} | {s.get('failed')} of {len(s.get('runs', []))} | {per} |")
    L += ["",
          f"xenbell / Linux: throughput **{fx(v.get('ratio_mb_per_s'), 3)}** (`vchan.ratio_mb_per_s`, "
          f"above 1 = xenbell faster), round trip p50 **{fx(v.get('ratio_latency_p50'), 3)}**, p99 "
          f"{fx(v.get('ratio_latency_p99'), 3)} (`vchan.ratio_latency_p50`, below 1 = xenbell sooner). "
          f"xenbell / dom0 loopback: throughput {fx(v.get('over_floor_mb_per_s'), 3)}, round trip p50 "
          f"{fx(v.get('over_floor_latency_p50'), 3)}.", ""]
    fails = [(p, r) for p in PEERS for r in (v.get(p) or {}).get("runs", []) if r.get("error")]
    for p, r in fails:
        L.append(f"- {p} batch {r['batch']} (exit {r['rc']}): {r['error']}")
    if fails:
        L.append("")
    return L


def summary_lines(rep: dict) -> list[str]:
    v = rep.get("vchan") or {}
    if not v.get("bytes"):
        return ["  vchan     no runs"]
    cols = "  ".join(f"{p} {fx((v.get(p) or {}).get('mb_per_s'))} MB/s "
                     f"p50 {usec((v.get(p) or {}).get('latency_p50_us'))}" for p in PEERS)
    return [f"  vchan     {cols}",
            f"  vchan     xenbell/linux: MB/s {fx(v.get('ratio_mb_per_s'), 3)}  p50 "
            f"{fx(v.get('ratio_latency_p50'), 3)}  p99 {fx(v.get('ratio_latency_p99'), 3)}"]
