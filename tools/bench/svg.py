"""Small SVG charts for make bench's report, with the Python standard library only
(no matplotlib here): CDF and histogram of round trips, per-batch medians, boot times.

Each function writes one self-contained .svg file and returns its path.
"""

import math
from pathlib import Path
from xml.sax.saxutils import escape

COLORS = {"xenbell": "#1f77b4", "linux": "#d62728", "dom0-loopback": "#7f7f7f",
          "xenbell-callback": "#2ca02c", "xenbell-percpu": "#9467bd",
          "xenbell-tsc-native": "#ff7f0e", "xenbell-log-warn": "#17becf",
          "xenbell-callback-tsc-native": "#8c564b", "xenbell-percpu-tsc-native": "#e377c2",
          "xenbell-2l": "#bcbd22"}
FONT = 'font-family="sans-serif" font-size="12"'


def color(label: str) -> str:
    return COLORS.get(label, "#555555")


class Svg:
    def __init__(self, w: int, h: int):
        self.w, self.h = w, h
        self.parts: list[str] = []

    def add(self, s: str) -> None:
        self.parts.append(s)

    def text(self, x, y, s, anchor="start", size=12, weight="normal", fill="#222", rotate=None):
        tr = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate is not None else ""
        self.add(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
                 f'font-weight="{weight}" fill="{fill}"{tr}>{escape(str(s))}</text>')

    def line(self, x1, y1, x2, y2, stroke="#222", width=1.0, dash=None):
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.add(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                 f'stroke="{stroke}" stroke-width="{width}"{d}/>')

    def rect(self, x, y, w, h, fill, opacity=1.0, stroke="none"):
        self.add(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
                 f'fill="{fill}" fill-opacity="{opacity}" stroke="{stroke}"/>')

    def polyline(self, pts, stroke, width=1.8, fill="none"):
        p = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        self.add(f'<polyline points="{p}" fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>')

    def circle(self, x, y, r, fill):
        self.add(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{fill}"/>')

    def write(self, path: Path) -> Path:
        body = "\n".join(self.parts)
        path.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.w}" height="{self.h}" '
                        f'viewBox="0 0 {self.w} {self.h}" {FONT}>\n'
                        f'<rect width="100%" height="100%" fill="white"/>\n{body}\n</svg>\n')
        return path


def _nice_ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    t = math.ceil(lo / step) * step
    out = []
    while t <= hi + 1e-9:
        out.append(round(t, 10))
        t += step
    return out


def _log_ticks(lo: float, hi: float) -> list[float]:
    out = []
    for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            v = m * 10 ** e
            if lo <= v <= hi:
                out.append(v)
    return out


def _fmt(v: float) -> str:
    return f"{v:g}" if v < 1e4 else f"{v:.0f}"


class Axes:
    """A plot area with a linear or log x axis and a linear y axis."""

    def __init__(self, svg: Svg, x0, y0, w, h, xlo, xhi, ylo, yhi, logx=False):
        self.s, self.x0, self.y0, self.w, self.h = svg, x0, y0, w, h
        self.xlo, self.xhi, self.ylo, self.yhi, self.logx = xlo, xhi, ylo, yhi, logx

    def X(self, v):
        if self.logx:
            v = max(v, self.xlo)
            f = (math.log10(v) - math.log10(self.xlo)) / (math.log10(self.xhi) - math.log10(self.xlo))
        else:
            f = (v - self.xlo) / (self.xhi - self.xlo)
        return self.x0 + f * self.w

    def Y(self, v):
        return self.y0 + self.h - (v - self.ylo) / (self.yhi - self.ylo) * self.h

    def frame(self, xlabel, ylabel, yfmt=_fmt, xticks=None, yticks=None):
        s = self.s
        xt = xticks or (_log_ticks(self.xlo, self.xhi) if self.logx else _nice_ticks(self.xlo, self.xhi))
        for t in xt:
            x = self.X(t)
            s.line(x, self.y0, x, self.y0 + self.h, "#e5e5e5")
            s.text(x, self.y0 + self.h + 16, _fmt(t), "middle", 11)
        for t in yticks if yticks is not None else _nice_ticks(self.ylo, self.yhi, 5):
            y = self.Y(t)
            s.line(self.x0, y, self.x0 + self.w, y, "#e5e5e5")
            s.text(self.x0 - 6, y + 4, yfmt(t), "end", 11)
        s.add(f'<rect x="{self.x0}" y="{self.y0}" width="{self.w}" height="{self.h}" fill="none" stroke="#444"/>')
        s.text(self.x0 + self.w / 2, self.y0 + self.h + 34, xlabel, "middle")
        s.text(self.x0 - 46, self.y0 + self.h / 2, ylabel, "middle", rotate=-90)


def _legend(s: Svg, x, y, items):
    for i, (label, col) in enumerate(items):
        s.rect(x, y + i * 18 - 9, 14, 10, col)
        s.text(x + 20, y + i * 18, label, size=12)


def _pct(sorted_v, p):
    if not sorted_v:
        return None
    k = max(0, min(len(sorted_v) - 1, math.ceil(p / 100 * len(sorted_v)) - 1))
    return sorted_v[k]


def rtt_cdf(series: dict[str, list[float]], path: Path, title: str) -> Path:
    """series: label -> round trips in us. Log x, with p50 and p99 marks."""
    s = Svg(760, 420)
    vals = [v for vs in series.values() for v in vs if v > 0]
    lo, hi = min(vals) * 0.9, max(vals) * 1.1
    ax = Axes(s, 70, 40, 520, 320, lo, hi, 0, 1, logx=True)
    ax.frame("round trip (us, log scale)", "fraction of rounds <= x", yfmt=lambda t: f"{t:g}")
    s.text(380, 22, title, "middle", 14, "bold")
    items = []
    for label, vs in series.items():
        v = sorted(vs)
        n = len(v)
        if not n:
            continue
        step = max(1, n // 800)
        pts = [(ax.X(v[0]), ax.Y(0))]
        for i in range(0, n, step):
            pts.append((ax.X(v[i]), ax.Y((i + 1) / n)))
        pts.append((ax.X(v[-1]), ax.Y(1)))
        s.polyline(pts, color(label))
        p50, p99 = _pct(v, 50), _pct(v, 99)
        s.line(ax.X(p50), ax.Y(0), ax.X(p50), ax.Y(0.5), color(label), 1, "4,3")
        items.append((f"{label}: n={n}, p50 {p50:.0f} us, p99 {p99:.0f} us", color(label)))
    for i, (text, col) in enumerate(items):
        label, stats = text.split(": ", 1)
        y = 60 + i * 52
        s.rect(600, y - 9, 14, 10, col)
        s.text(620, y, label, size=12, weight="bold")
        s.text(620, y + 15, stats.split(", p50")[0], size=11)
        s.text(620, y + 29, "p50" + stats.split(", p50")[1], size=11)
    s.text(600, 60 + len(items) * 52, "dashed: p50", size=11, fill="#555")
    return s.write(path)


def rtt_histogram(series: dict[str, list[float]], path: Path, title: str, bins: int = 40) -> Path:
    """Fraction of rounds per log-spaced bin, one outline per series."""
    s = Svg(760, 420)
    vals = [v for vs in series.values() for v in vs if v > 0]
    lo, hi = min(vals) * 0.95, max(vals) * 1.05
    edges = [lo * (hi / lo) ** (i / bins) for i in range(bins + 1)]
    hists = {}
    for label, vs in series.items():
        counts = [0] * bins
        for v in vs:
            k = min(bins - 1, max(0, int(math.log(v / lo) / math.log(hi / lo) * bins)))
            counts[k] += 1
        hists[label] = [c / max(1, len(vs)) for c in counts]
    ymax = max(max(h) for h in hists.values()) * 1.1
    ax = Axes(s, 70, 40, 520, 320, lo, hi, 0, ymax, logx=True)
    ax.frame("round trip (us, log-spaced bins)", "fraction of rounds", yfmt=lambda t: f"{t:g}")
    s.text(380, 22, title, "middle", 14, "bold")
    for label, h in hists.items():
        pts = [(ax.X(edges[0]), ax.Y(0))]
        for i, f in enumerate(h):
            pts += [(ax.X(edges[i]), ax.Y(f)), (ax.X(edges[i + 1]), ax.Y(f))]
        pts.append((ax.X(edges[-1]), ax.Y(0)))
        s.polyline(pts, color(label), 1.5, fill=color(label) + "33")
    _legend(s, 600, 60, [(l, color(l)) for l in hists])
    return s.write(path)


def batch_medians(batches: dict[str, list[tuple[int, float, float]]], path: Path, title: str) -> Path:
    """batches: label -> [(batch, p50_us, p99_us)]: p50 dots joined, p99 as thin ticks."""
    s = Svg(760, 380)
    ys = [v for b in batches.values() for _n, p50, p99 in b for v in (p50, p99)]
    nmax = max(n for b in batches.values() for n, *_ in b)
    ax = Axes(s, 70, 40, 520, 280, 0.5, nmax + 0.5, 0, max(ys) * 1.1)
    ax.frame("batch (in the order run; the guests alternate)", "round trip (us)",
             xticks=list(range(1, nmax + 1)))
    s.text(380, 22, title, "middle", 14, "bold")
    for label, b in batches.items():
        c = color(label)
        s.polyline([(ax.X(n), ax.Y(p50)) for n, p50, _ in b], c, 1.5)
        for n, p50, p99 in b:
            s.circle(ax.X(n), ax.Y(p50), 4, c)
            s.line(ax.X(n) - 6, ax.Y(p99), ax.X(n) + 6, ax.Y(p99), c, 2)
            s.line(ax.X(n), ax.Y(p50), ax.X(n), ax.Y(p99), c, 0.8, "2,2")
    _legend(s, 600, 60, [(l, color(l)) for l in batches])
    s.text(600, 70 + 18 * len(batches), "dot: batch p50", size=11, fill="#555")
    s.text(600, 85 + 18 * len(batches), "bar: batch p99", size=11, fill="#555")
    return s.write(path)


def boot_times(rows: list[dict], path: Path, title: str) -> Path:
    """rows: {label, runs: [ms...], median, segments: [(name, ms, color)] or None}.
    One horizontal bar per row at its median (or stacked segments), runs as dots."""
    legend = {}
    for r in rows:
        for name, _ms, col in r.get("segments") or []:
            legend[name] = col
    s = Svg(820, 90 + 46 * len(rows) + 20 * len(legend))
    xmax = max(max(r["runs"] + [r["median"]]) for r in rows) * 1.25
    ax = Axes(s, 230, 40, 540, 46 * len(rows), 0, xmax, 0, len(rows))
    ax.frame("ms from the start of xl create (linear)", "", yticks=[])
    s.text(410, 22, title, "middle", 14, "bold")
    for i, r in enumerate(rows):
        y = ax.Y(len(rows) - i) + 10
        h = 26
        segs = r.get("segments")
        if segs:
            x = 0.0
            for name, ms, col in segs:
                s.rect(ax.X(x), y, ax.X(x + ms) - ax.X(x), h, col, 0.85)
                x += ms
        else:
            s.rect(ax.X(0), y, ax.X(r["median"]) - ax.X(0), h, r.get("color", "#888"), 0.85)
        for v in r["runs"]:
            s.circle(ax.X(v), y + h / 2, 3, "#000")
        s.text(ax.x0 - 8, y + 17, r["label"], "end", 12)
        s.text(ax.X(max(r["runs"] + [r["median"]])) + 8, y + 17, f"{r['median']:.0f} ms (median)", size=11)
    if legend:
        _legend(s, ax.x0, ax.y0 + ax.h + 58, list(legend.items()))
    return s.write(path)


def lines(series: dict[str, list[tuple[float, float]]], path: Path, title: str, xlabel: str,
          ylabel: str, logx: bool = False, right: dict[str, list[tuple[float, float]]] | None = None,
          right_label: str = "") -> Path:
    """series: label -> [(x, y)] joined with dots; `right`: more series on a second y axis
    (dashed, scaled to the right-hand labels)."""
    s = Svg(760, 380)
    xs = [x for v in list(series.values()) + list((right or {}).values()) for x, _ in v]
    ys = [y for v in series.values() for _, y in v]
    xlo, xhi = (min(xs), max(xs)) if xs else (0, 1)
    if xlo == xhi:
        xhi = xlo + 1
    if not logx:
        xlo = min(0, xlo)
    ax = Axes(s, 70, 40, 500, 280, xlo, xhi, 0, (max(ys) if ys else 1) * 1.1 or 1, logx)
    ax.frame(xlabel, ylabel, xticks=sorted(set(xs)) if logx else None)
    s.text(380, 22, title, "middle", 14, "bold")
    items = []
    for i, (label, pts) in enumerate(series.items()):
        c = color(label) if label in COLORS else ["#1f77b4", "#2ca02c", "#9467bd"][i % 3]
        s.polyline([(ax.X(x), ax.Y(y)) for x, y in pts], c, 1.5)
        for x, y in pts:
            s.circle(ax.X(x), ax.Y(y), 3.5, c)
        items.append((label, c))
    if right:
        ry = [y for v in right.values() for _, y in v]
        top = (max(ry) if ry else 1) * 1.1 or 1
        for t in _nice_ticks(0, top, 5):
            y = ax.y0 + ax.h - t / top * ax.h
            s.text(ax.x0 + ax.w + 6, y + 4, _fmt(t), "start", 11, fill="#d62728")
        s.text(ax.x0 + ax.w + 48, ax.y0 + ax.h / 2, right_label, "middle", rotate=90, fill="#d62728")
        for label, pts in right.items():
            c = "#d62728"
            pp = [(ax.X(x), ax.y0 + ax.h - y / top * ax.h) for x, y in pts]
            s.add('<polyline points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in pp) +
                  f'" fill="none" stroke="{c}" stroke-width="1.5" stroke-dasharray="5,3"/>')
            for x, y in pp:
                s.circle(x, y, 3, c)
            items.append((label + " (right axis)", c))
    _legend(s, 590 if not right else 90, 60, items)
    return s.write(path)
