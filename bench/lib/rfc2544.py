"""RFC 2544 throughput and latency over any trial function (stdlib only).

A trial is a callable trial(rate_mpps, latency=False) -> dict that offers
rate_mpps (0: as fast as the generator can) for one trial and returns at
least "tx_packets" and "lost" (hvnet-gen's JSON has both, plus
"tx_mpps", "rx_mpps" and, with latency=True, "latency_ns" with "p50",
"p99", "p999"). It raises on a failed trial; the search does not judge
how a trial ran, only what it lost.

throughput() is the binary search of RFC 2544 section 26.1: the highest
offered rate whose loss is at most the tolerance (0 by default; the
search treats loss == tolerance as a pass). It starts at start_mpps
(callers pass the line rate for the frame size, or the generator's own
unthrottled rate when that is lower: there is no point asking for more
than the generator can send), halves the interval each step and stops
when the interval is within the resolution (0.5% of the start rate) or
after max_iterations trials (10), whichever comes first.

rfc2544() runs the whole case: per round, one unthrottled trial (the
generator's ceiling), the search, then latency trials at 50% and 90% of
the rate found (RFC 2544 measures latency at the throughput rate; below
it the numbers are about the path, not about a queue filling up). With
several rounds it reports the median and the spread (min, max) of each
figure.
"""
import statistics
import sys

WIRE_OVERHEAD = 20          # preamble + start delimiter + inter-frame gap, bytes
IMIX = ((64, 7), (570, 4), (1518, 1))    # hvnet-gen --size imix
IMIX_AVG_BYTES = sum(s * n for s, n in IMIX) / sum(n for _, n in IMIX)


def frame_bytes(size):
    """Average bytes on the wire (with FCS) of a --size value."""
    return IMIX_AVG_BYTES if size == "imix" else float(size)


def line_rate_mpps(gbps, size):
    """Frames per second (1e6) that fill a link of gbps with size-byte
    frames (FCS included; preamble and gap added): 64 B at 10 GbE is
    14.88 Mpps."""
    return gbps * 1e3 / ((frame_bytes(size) + WIRE_OVERHEAD) * 8)


def loss_pct(res):
    """Lost share of what was sent, in percent. A trial that sent nothing
    cannot pass."""
    tx, lost = res.get("tx_packets"), res.get("lost")
    if tx is None or lost is None:
        raise ValueError("trial result has no tx_packets/lost: " + repr(res)[:200])
    return 100.0 * lost / tx if tx > 0 else 100.0


def fmt_mpps(x):
    return f"{x:.2f}" if x >= 1 else f"{x:.3f}"


def fmt_pct(x):
    """Two decimals, or enough to tell a small loss from none."""
    return f"{x:.2f}" if x == 0 or x >= 0.01 else f"{x:.1g}"


def _stderr(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def throughput(trial, start_mpps, loss_tolerance_pct=0.0, resolution_pct=0.5,
               max_iterations=10, label="", log=_stderr):
    """Binary search for the highest rate with loss <= loss_tolerance_pct.

    Returns {"throughput_mpps", "offered_mpps", "start_mpps",
    "resolution_mpps", "iterations", "steps": [{"offered_mpps", "loss_pct",
    "pass", "tx_mpps", "rx_mpps"}]}. offered_mpps is the highest passing
    rate asked for (0.0 when none passed); throughput_mpps is what the
    generator really sent in that trial (its tx_mpps, when the result has
    one): the load the device carried without loss. The two differ when
    the generator could not keep up (a busy machine preempts it), and then
    only the second is true.
    """
    if start_mpps <= 0:
        raise ValueError("start_mpps must be positive")
    resolution = start_mpps * resolution_pct / 100.0
    lo, hi = 0.0, start_mpps       # lo passed (or 0), hi failed (or the start)
    best = None
    steps = []
    rate = start_mpps
    for i in range(max_iterations):
        res = trial(rate)
        loss = loss_pct(res)
        ok = loss <= loss_tolerance_pct
        steps.append({"offered_mpps": round(rate, 4), "loss_pct": round(loss, 6), "pass": ok,
                      "tx_mpps": res.get("tx_mpps"), "rx_mpps": res.get("rx_mpps")})
        if ok:
            lo, best = rate, res
        else:
            hi = rate
        done = (ok and i == 0) or hi - lo <= resolution or i + 1 == max_iterations
        log(f"{label}trying {fmt_mpps(rate)} Mpps ... loss {fmt_pct(loss)}% "
            f"({res.get('lost')} of {res.get('tx_packets')}) -> "
            f"{'higher' if ok else 'lower'}" + (" (done)" if done else ""))
        if done:
            break
        rate = (lo + hi) / 2
    achieved = lo
    if best is not None and best.get("tx_mpps") is not None:
        achieved = min(lo, best["tx_mpps"])
    return {
        "throughput_mpps": round(achieved, 4),
        "offered_mpps": round(lo, 4),
        "start_mpps": round(start_mpps, 4),
        "resolution_mpps": round(resolution, 4),
        "iterations": len(steps),
        "steps": steps,
    }


def _spread(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None, None, None
    return round(statistics.median(xs), 4), min(xs), max(xs)


def latency_point(trial, rate, rounds, label, log):
    """Latency at one offered rate, 'rounds' trials: median of each
    percentile plus its spread."""
    runs = []
    for _ in range(rounds):
        res = trial(rate, latency=True) if rate > 0 else None
        if res is None:
            break
        lat = res.get("latency_ns") or {}
        runs.append({"p50": lat.get("p50"), "p99": lat.get("p99"), "p999": lat.get("p999"),
                     "max": lat.get("max"), "samples": lat.get("samples"),
                     "loss_pct": round(loss_pct(res), 6)})
        log(f"{label}latency at {fmt_mpps(rate)} Mpps: p50 {lat.get('p50')} ns, p99 "
            f"{lat.get('p99')}, p99.9 {lat.get('p999')}, loss {fmt_pct(loss_pct(res))}%")
    out = {"offered_mpps": round(rate, 4), "rounds": runs}
    for k in ("p50", "p99", "p999", "max"):
        med, lo, hi = _spread([r[k] for r in runs])
        out[k], out[k + "_min"], out[k + "_max"] = med, lo, hi
    return out


def rfc2544(trial, line_rate, rounds=1, loss_tolerance_pct=0.0, resolution_pct=0.5,
            max_iterations=10, latency_at=(0.5, 0.9), label="", log=_stderr,
            unthrottled=True):
    """The whole RFC 2544 case for one frame size: per round, an
    unthrottled trial (unless unthrottled=False), the search from
    min(line_rate, that trial's tx_mpps), then the latency trials.

    Returns {"throughput_mpps", "throughput_min", "throughput_max",
    "offered_mpps", "loss_tolerance" (percent), "line_rate_mpps",
    "start_mpps" (per round), "unthrottled_mpps" (per round),
    "iterations" (search trials per round), "latency_50", "latency_90"
    (offered_mpps, p50/p99/p999/max medians with _min/_max), "searches"}.
    """
    searches, ceilings = [], []
    for r in range(rounds):
        rl = f"{label}round {r + 1}/{rounds}: " if rounds > 1 else label
        start = line_rate
        if unthrottled:
            res = trial(0)
            ceiling = res.get("tx_mpps") or 0.0
            ceilings.append(round(ceiling, 4))
            log(f"{rl}unthrottled: sent {fmt_mpps(ceiling)} Mpps, received "
                f"{fmt_mpps(res.get('rx_mpps') or 0)}, loss {fmt_pct(loss_pct(res))}%; line "
                f"rate {fmt_mpps(line_rate)}")
            if ceiling > 0:
                start = min(start, ceiling)
        searches.append(throughput(trial, start, loss_tolerance_pct, resolution_pct,
                                   max_iterations, rl, log))
    found, lo, hi = _spread([s["throughput_mpps"] for s in searches])
    offered = _spread([s["offered_mpps"] for s in searches])[0]
    out = {"throughput_mpps": round(found, 4), "throughput_min": lo, "throughput_max": hi,
           "offered_mpps": offered, "loss_tolerance": loss_tolerance_pct,
           "line_rate_mpps": round(line_rate, 4),
           "start_mpps": [s["start_mpps"] for s in searches],
           "unthrottled_mpps": ceilings or None,
           "iterations": [s["iterations"] for s in searches],
           "searches": [s["steps"] for s in searches]}
    for frac in latency_at:
        out[f"latency_{round(frac * 100)}"] = latency_point(trial, found * frac, rounds, label, log)
    return out
