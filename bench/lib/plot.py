"""Rate against frame size as a hand-written SVG (stdlib only).

write(path, scenario, results, machine) draws every result of a scenario
that has a numeric rate: one line per implementation (a result's "mpps"
under its "implementation", hvnet by default; its "peer_mpps" under its
"peer"; split by "name" and "case" where a scenario has several), the
spread (mpps_min..mpps_max) as a bar at each point, imix as
a lone diamond at its average frame size, and the 10, 25 and 100 GbE line
rates dashed.

Both axes are logarithmic: the sizes are doublings (64..1024, then 1518)
and a line rate is then a near-straight fall; rates span three decades
(100 GbE at 64 B is 149 Mpps, 10 GbE at 1518 B 0.81) and a linear axis
would flatten every large-frame figure onto the floor.
"""
import math
import os
import time
from xml.sax.saxutils import escape

try:
    from rfc2544 import IMIX_AVG_BYTES, line_rate_mpps
except ImportError:     # imported as lib.plot, without bench/lib on sys.path
    from lib.rfc2544 import IMIX_AVG_BYTES, line_rate_mpps

W, H = 1000, 580
LEFT, RIGHT, TOP, BOTTOM = 80, 300, 78, 62
X_MIN, X_MAX = 56, 1700
SIZE_TICKS = (64, 128, 256, 512, 1024, 1518)
LINE_RATES_GBPS = (10, 25, 100)
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#17becf")


def _num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0


def series_from_results(results):
    """{label: [(size, mpps, lo, hi)]}, size an int or "imix". A label is
    the implementation, plus the result's name and "case" when the results
    have several; a series with fewer than two sizes (a case that varies
    something else at one size) is left out: it is not a line."""
    series = {}
    vary = [k for k in ("name", "case") if len({str(r.get(k)) for r in results}) > 1]

    def label(base, r):
        extra = ", ".join(str(r[k]) for k in vary if r.get(k) is not None)
        return f"{base} ({extra})" if extra else base
    for r in results:
        size = r.get("size")
        if not (size == "imix" or _num(size)):
            continue
        if _num(r.get("mpps")):
            series.setdefault(label(r.get("implementation") or "hvnet", r), []).append(
                (size, r["mpps"], r.get("mpps_min"), r.get("mpps_max")))
        if r.get("peer") and _num(r.get("peer_mpps")):
            series.setdefault(label(r["peer"], r), []).append(
                (size, r["peer_mpps"], r.get("peer_mpps_min"), r.get("peer_mpps_max")))
    return {k: v for k, v in series.items() if len({p[0] for p in v}) > 1}


def _x(size):
    s = IMIX_AVG_BYTES if size == "imix" else size
    f = (math.log2(s) - math.log2(X_MIN)) / (math.log2(X_MAX) - math.log2(X_MIN))
    return LEFT + f * (W - LEFT - RIGHT)


def _y_axis(values):
    lo = min(values)
    hi = max(values)
    return 10 ** math.floor(math.log10(lo)), 10 ** math.ceil(math.log10(hi))


def svg(title, subtitle, series):
    lines = {g: [(s, line_rate_mpps(g, s)) for s in _sizes()] for g in LINE_RATES_GBPS}
    vals = [m for pts in series.values() for _, m, lo, hi in pts for m in (m, lo, hi) if _num(m)]
    vals += [m for pts in lines.values() for _, m in pts]
    y0, y1 = _y_axis(vals)

    def y(v):
        f = (math.log10(v) - math.log10(y0)) / (math.log10(y1) - math.log10(y0))
        return H - BOTTOM - f * (H - TOP - BOTTOM)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
           f'<rect x="0" y="0" width="{W}" height="{H}" fill="white"/>',
           f'<text x="{LEFT}" y="28" font-size="17" font-weight="bold">{escape(title)}</text>',
           f'<text x="{LEFT}" y="50" font-size="12" fill="#444">{escape(subtitle)}</text>']
    # Grid and ticks: 1, 2, 5 per decade on y; the sizes on x.
    px0, px1, py0, py1 = LEFT, W - RIGHT, TOP, H - BOTTOM
    d = y0
    while d <= y1 * 1.0001:
        for m in (1, 2, 5):
            v = d * m
            if v > y1 * 1.0001:
                break
            yy = y(v)
            out.append(f'<line x1="{px0}" y1="{yy:.1f}" x2="{px1}" y2="{yy:.1f}" '
                       f'stroke="{"#ccc" if m == 1 else "#eee"}"/>')
            out.append(f'<text x="{px0 - 6}" y="{yy + 4:.1f}" text-anchor="end">{v:g}</text>')
        d *= 10
    for s in SIZE_TICKS:
        xx = _x(s)
        out.append(f'<line x1="{xx:.1f}" y1="{py0}" x2="{xx:.1f}" y2="{py1}" stroke="#eee"/>')
        out.append(f'<text x="{xx:.1f}" y="{py1 + 18}" text-anchor="middle">{s}</text>')
    out.append(f'<rect x="{px0}" y="{py0}" width="{px1 - px0}" height="{py1 - py0}" '
               f'fill="none" stroke="#333"/>')
    out.append(f'<text x="{(px0 + px1) / 2:.1f}" y="{H - 18}" text-anchor="middle">'
               f'frame size, bytes with FCS (log scale)</text>')
    out.append(f'<text transform="translate(22 {(py0 + py1) / 2:.1f}) rotate(-90)" '
               f'text-anchor="middle">Mpps (log scale)</text>')
    # Line rates, dashed, labelled at the right end.
    for g, pts in lines.items():
        p = " ".join(f"{_x(s):.1f},{y(m):.1f}" for s, m in pts)
        out.append(f'<polyline points="{p}" fill="none" stroke="#888" stroke-width="1.2" '
                   f'stroke-dasharray="6 4"/>')
        out.append(f'<text x="{px1 + 4}" y="{y(pts[-1][1]) + 4:.1f}" fill="#666">'
                   f'{g} GbE</text>')
    # Implementations.
    legend_y = py0 + 8
    for i, (label, pts) in enumerate(series.items()):
        c = COLOURS[i % len(COLOURS)]
        sized = sorted((p for p in pts if p[0] != "imix"), key=lambda p: p[0])
        if len(sized) > 1:
            p = " ".join(f"{_x(s):.1f},{y(m):.1f}" for s, m, _, _ in sized)
            out.append(f'<polyline points="{p}" fill="none" stroke="{c}" stroke-width="2"/>')
        for s, m, lo, hi in pts:
            xx, yy = _x(s), y(m)
            if _num(lo) and _num(hi) and hi > lo:
                out.append(f'<line x1="{xx:.1f}" y1="{y(lo):.1f}" x2="{xx:.1f}" '
                           f'y2="{y(hi):.1f}" stroke="{c}" stroke-width="1"/>')
            if s == "imix":
                out.append(f'<polygon points="{xx:.1f},{yy - 6:.1f} {xx + 6:.1f},{yy:.1f} '
                           f'{xx:.1f},{yy + 6:.1f} {xx - 6:.1f},{yy:.1f}" fill="{c}"/>')
                out.append(f'<text x="{xx + 8:.1f}" y="{yy - 6:.1f}" fill="{c}">imix</text>')
            else:
                out.append(f'<circle cx="{xx:.1f}" cy="{yy:.1f}" r="3.5" fill="{c}"/>')
            out.append(f'<title>{escape(label)} {s}: {m:.3f} Mpps</title>')
        lx = px1 + 60
        out.append(f'<line x1="{lx}" y1="{legend_y}" x2="{lx + 24}" y2="{legend_y}" '
                   f'stroke="{c}" stroke-width="2"/>')
        out.append(f'<text x="{lx + 30}" y="{legend_y + 4}">{escape(_short(label))}</text>')
        legend_y += 20
    lx = px1 + 60
    out.append(f'<line x1="{lx}" y1="{legend_y}" x2="{lx + 24}" y2="{legend_y}" stroke="#888" '
               f'stroke-dasharray="6 4"/>')
    out.append(f'<text x="{lx + 30}" y="{legend_y + 4}">line rate</text>')
    out.append(f'<text x="{lx}" y="{legend_y + 24}" fill="#666" font-size="10">'
               'bars: min..max over rounds</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _sizes():
    s, out = 64.0, []
    while s < 1518:
        out.append(s)
        s *= 1.1
    return out + [1518]


def _short(label, n=32):
    return label if len(label) <= n else label[:n - 1] + "\u2026"


def write(path, scenario, results, machine):
    """Writes the plot of 'results' to path (directories made); returns
    path, or None when no result has a rate to draw."""
    series = series_from_results(results)
    if not series:
        return None
    m = machine or {}
    subtitle = (f"{m.get('cpu_model', '?')}, {m.get('cores', '?')} vCPUs, kernel "
                f"{m.get('kernel', '?')}, DPDK {m.get('dpdk_version', '?')}, "
                f"{time.strftime('%Y-%m-%d %H:%M')}")
    text = svg(f"{scenario}: packet rate by frame size", subtitle, series)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path
