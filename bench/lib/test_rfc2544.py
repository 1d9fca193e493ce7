#!/usr/bin/env python3
"""bench-rfc2544: the RFC 2544 search against fake devices, and the SVG
plot's XML. No DPDK, no timing: pure functions over made-up trials."""
import os
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot       # noqa: E402
import rfc2544    # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


class FakeDevice:
    """Forwards everything up to capacity Mpps and drops the excess; the
    generator sends at most gen_max Mpps. Optionally loses a fixed share
    at every rate (noise) so that only a tolerance can pass."""

    def __init__(self, capacity, gen_max=1e9, floor_loss_pct=0.0, seconds=5):
        self.capacity, self.gen_max = capacity, gen_max
        self.floor_loss_pct, self.seconds = floor_loss_pct, seconds
        self.calls = []

    def __call__(self, rate, latency=False):
        self.calls.append((rate, latency))
        sent_rate = self.gen_max if rate == 0 else min(rate, self.gen_max)
        tx = int(sent_rate * 1e6 * self.seconds)
        over = max(0.0, sent_rate - self.capacity) / sent_rate if sent_rate else 0.0
        lost = int(tx * over) + int(tx * self.floor_loss_pct / 100.0)
        res = {"tx_packets": tx, "lost": lost, "rx_packets": tx - lost, "tx_mpps": sent_rate,
               "rx_mpps": sent_rate * (1 - over)}
        if latency:
            # Latency grows with load: the caller must measure below the
            # rate found.
            res["latency_ns"] = {"p50": 1000 + 100 * rate, "p99": 2000 + 100 * rate,
                                 "p999": 5000, "max": 9000, "samples": tx}
        return res


quiet = lambda msg: None   # noqa: E731

# Found within resolution, never above the capacity, for capacities all
# over the range (including just above 0 and the start itself).
line = rfc2544.line_rate_mpps(10, 64)
check(abs(line - 14.880952) < 1e-5, f"10 GbE 64 B line rate 14.88 Mpps ({line:.4f})")
check(abs(rfc2544.line_rate_mpps(10, 1518) - 0.812744) < 1e-5, "10 GbE 1518 B: 0.8127 Mpps")
check(abs(rfc2544.IMIX_AVG_BYTES - 353.8333) < 1e-3, "imix averages 353.83 bytes")
for cap in (0.05, 1.0, 3.3, 7.44, 10.0, 14.0, 14.8):
    dev = FakeDevice(cap)
    r = rfc2544.throughput(dev, line, resolution_pct=0.5, max_iterations=20, log=quiet)
    res = r["resolution_mpps"]
    check(cap - res <= r["throughput_mpps"] <= cap,
          f"capacity {cap}: found {r['throughput_mpps']} within {res} below, "
          f"{r['iterations']} trials")
    check(all(s["pass"] == (s["offered_mpps"] <= cap) for s in r["steps"]),
          f"capacity {cap}: every step judged by its loss")

# Default stop: 10 iterations or 0.5% of the start, whichever first.
dev = FakeDevice(7.44)
r = rfc2544.throughput(dev, line, log=quiet)
check(r["iterations"] <= 10 and len(dev.calls) == r["iterations"],
      f"at most 10 trials by default ({r['iterations']})")
check(7.44 - r["resolution_mpps"] <= r["throughput_mpps"] <= 7.44 and
      abs(r["resolution_mpps"] - line * 0.005) < 1e-3,
      f"resolution 0.5% of the start ({r['throughput_mpps']}, {r['iterations']} trials)")

# Above the start: the first trial passes and the search stops there.
dev = FakeDevice(100.0)
r = rfc2544.throughput(dev, line, log=quiet)
check(r["throughput_mpps"] == round(line, 4) and r["iterations"] == 1,
      "a device faster than the line passes at the line rate in one trial")

# Nothing passes: 0, not a negative or the start.
dev = FakeDevice(1.0, floor_loss_pct=1.0)
r = rfc2544.throughput(dev, line, log=quiet)
check(r["throughput_mpps"] == 0.0 and r["offered_mpps"] == 0.0,
      "a device that always loses has throughput 0")

# A generator that falls short of what it was asked: the throughput is
# what it sent, not what it was asked for.
class Slow(FakeDevice):
    def __call__(self, rate, latency=False):
        res = super().__call__(rate, latency)
        res["tx_mpps"] = res["tx_mpps"] * 0.8
        return res


r = rfc2544.throughput(Slow(5.0), line, max_iterations=20, log=quiet)
check(abs(r["throughput_mpps"] - 0.8 * r["offered_mpps"]) < 1e-3 and
      5.0 - r["resolution_mpps"] <= r["offered_mpps"] <= 5.0,
      f"throughput is the rate sent ({r['throughput_mpps']}), not asked ({r['offered_mpps']})")

# A tolerance lets the noisy device pass up to its capacity.
dev = FakeDevice(5.0, floor_loss_pct=0.05)
r = rfc2544.throughput(dev, line, loss_tolerance_pct=0.1, max_iterations=20, log=quiet)
check(5.0 - r["resolution_mpps"] <= r["throughput_mpps"] <= 5.0,
      f"0.1% tolerance over 0.05% noise finds 5.0 ({r['throughput_mpps']})")

# The whole case: the generator's ceiling below line rate is the start,
# rounds give a spread, latency at 50% and 90% of what was found.
dev = FakeDevice(6.0, gen_max=9.0)
steps = []
r = rfc2544.rfc2544(dev, line, rounds=2, max_iterations=20, label="fake 64B: ",
                    log=steps.append)
check(r["start_mpps"] == [9.0, 9.0] and r["unthrottled_mpps"] == [9.0, 9.0],
      f"starts at the generator's ceiling 9.0, not the line rate ({r['start_mpps']})")
check(6.0 - 9.0 * 0.005 <= r["throughput_mpps"] <= 6.0, f"finds 6.0 ({r['throughput_mpps']})")
check(r["throughput_min"] <= r["throughput_mpps"] <= r["throughput_max"], "spread brackets")
lat = r["latency_50"], r["latency_90"]
check(abs(lat[0]["offered_mpps"] - r["throughput_mpps"] * 0.5) < 1e-3 and
      abs(lat[1]["offered_mpps"] - r["throughput_mpps"] * 0.9) < 1e-3,
      "latency measured at 50% and 90% of the throughput")
check(len(lat[0]["rounds"]) == 2 and lat[0]["p50"] < lat[1]["p50"] and
      lat[0]["p99"] is not None and lat[0]["p999"] == 5000,
      "latency points carry p50/p99/p999 per round")
check(sum(1 for rate, l in dev.calls if l) == 4 and dev.calls[0] == (0, False),
      "one unthrottled trial per round first, 2 latency trials per point")
check(any("trying" in s and "-> lower" in s for s in steps) and
      any("-> higher" in s for s in steps) and all(s.startswith("fake 64B: ") for s in steps),
      "one progress line per step, 'trying R Mpps ... loss L% -> higher/lower'")
print("   e.g. " + next(s for s in steps if "trying" in s))

# The plot: valid XML, one line per implementation, the line rates.
results = [
    {"name": "p2p-memif", "size": s, "mpps": m, "mpps_min": m * 0.9, "mpps_max": m * 1.1,
     "implementation": "dpdk-testpmd io, net_memif", "peer": "other", "peer_mpps": m / 2}
    for s, m in ((64, 9.1), (128, 8.0), (256, 6.5), (512, 4.0), (1024, 2.2), (1518, 1.5),
                 ("imix", 3.0))]
results.append({"name": "p2p-memif", "size": 256, "mpps": None, "status": "failed"})
machine = {"cpu_model": "AMD EPYC <&>", "cores": 2, "kernel": "6.1", "dpdk_version": "22.11"}
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "sub", "p2p-memif.svg")
    plot.write(path, "p2p-memif", results, machine)
    try:
        root = ET.parse(path).getroot()
        check(root.tag.endswith("svg"), "the SVG parses as XML with an <svg> root")
        text = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
        for want in ("dpdk-testpmd io, net_memif", "other", "10 GbE", "25 GbE", "100 GbE",
                     "imix", "Mpps", "frame size", "p2p-memif", "AMD EPYC <&>"):
            check(want in text, f"the plot says '{want}'")
        paths = [e for e in root.iter() if e.tag.endswith("polyline")]
        check(len(paths) >= 5, f"two implementation lines and three line rates ({len(paths)})")
    except ET.ParseError as e:
        check(False, f"the SVG is not valid XML: {e}")
    check(plot.write(os.path.join(d, "none.svg"), "x", [{"name": "a", "size": 64}], machine)
          is None, "no plot without a rate to draw")
    cases = [{"name": "switch", "case": "base", "size": s, "mpps": 5.0} for s in (64, 1518)]
    cases += [{"name": "switch", "case": "macs", "size": 64, "macs": m, "mpps": 4.0}
              for m in (1, 1000)]
    check(list(plot.series_from_results(cases)) == ["hvnet (base)"],
          "cases are separate lines; a case at one size is not a line")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("all checks passed")
