#!/usr/bin/env python3
"""bench-switch: the pure helpers of bench/lib/switch.py. No DPDK, no OVS,
no vswitchd: the cases, the ACL prefixes against the generator's traffic,
the OVS rules, the MAC table's size, the generator's command line and the
1 -> 1,000,000 MAC fall-off."""
import ipaddress
import os
import sys
from types import SimpleNamespace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import switch     # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


# The cases: base at every size, the others at 64 B only.
plan = switch.make_cases(switch.CASES, switch.SIZES)
ids = [c["id"] for c in plan]
check(ids == ["base", "macs1", "macs1000", "macs1000000", "acls0", "acls100", "acls10000"],
      f"case order {ids}")
check(plan[0]["sizes"] == switch.SIZES, "base runs every size")
check(all(c["sizes"] == [64] for c in plan[1:]), "macs and acls run 64 B only")
check(all(c["fdb_size"] == switch.MAC_TABLE for c in plan if c["case"] == "macs"),
      "one table size for the whole MAC sweep")
check(all(c["fdb_size"] >= c["macs"] and c["fdb_size"] <= switch.FDB_MAX for c in plan
          if c["case"] == "macs"), "the table holds every MAC, within vswitchd's maximum")
check(all(c["flows"] == switch.ACL_FLOWS for c in plan if c["case"] == "acls"),
      "ACL cases use many flows")
only = switch.make_cases(("acls",), (1518,))
check([c["sizes"] for c in only] == [[1518]] * 3, "without 64 B the MAC/ACL cases take the "
      "smallest size asked for")

# The ACL prefixes: distinct /24s that never match hvnet-gen's traffic
# (198.18.0.0/15 -> 198.19.0.1).
pre = switch.acl_prefixes(10000)
nets = [ipaddress.ip_network(p) for p in pre]
check(len(set(nets)) == 10000, "10,000 distinct prefixes")
check(all(n.prefixlen == 24 for n in nets), "all /24")
gen = ipaddress.ip_network("198.18.0.0/15")
check(not any(n.overlaps(gen) for n in nets), "none overlaps 198.18.0.0/15")

# OVS: the same prefixes as drops on u0, NORMAL last at priority 0.
flows = switch.ovs_acl_flows(10000)
check(len(flows) == 10001 and flows[-1] == "priority=0,actions=NORMAL",
      "10,000 drops plus NORMAL")
prios = [int(f.split(",")[0].split("=")[1]) for f in flows[:-1]]
check(all(0 < p <= 65535 for p in prios), "OpenFlow priorities in range")
check(all("in_port=u0" in f and "actions=drop" in f for f in flows[:-1]), "drops on u0")
check(switch.ovs_acl_flows(0) == ["priority=0,actions=NORMAL"], "0 ACLs: NORMAL only")

# vswitchd's MAC table (vsw_fdb_init): 16-byte slots, power of two, <= 3/4 full.
for n, kib in ((1, 1), (65536, 2048), (1100000, 32768), (4194304, 131072)):
    check(switch.fdb_table_kib(n) == kib, f"--fdb-size {n}: {kib} KiB")

# The destination MAC lies outside the source MACs the largest case uses.
def mac_int(m):
    return int(m.replace(":", ""), 16)
span = mac_int(switch.DST_MAC) - mac_int(switch.SRC_MAC)
check(span >= max(switch.MAC_COUNTS), "dst MAC beyond src MAC + 1,000,000")

# hvnet-gen's command line: one way 0 -> 1, --rxq only towards OVS.
opts = SimpleNamespace(intervals=5, warmup=1)
case = plan[3]
cmd = switch.gen_cmd("/x/hvnet-gen", ["/t/m0", "/t/m1"], case, 64, 1, opts)
args = cmd[cmd.index("--") + 1:]
check(args[args.index("--tx-port") + 1] == "0" and args[args.index("--rx-port") + 1] == "1",
      "tx port 0, rx port 1")
check(args[args.index("--src-macs") + 1] == "1000000", "--src-macs from the case")
check("--rxq" not in args, "no --rxq towards vswitchd")
check(args[args.index("--rate-mpps") + 1] == "0", "flat out by default")
cmd2 = switch.gen_cmd("/x/hvnet-gen", ["/t/m0", "/t/m1"], case, 64, 2, opts, rate=3.25)
a2 = cmd2[cmd2.index("--") + 1:]
check(a2[a2.index("--rxq") + 1] == "2", "--rxq 2 towards OVS")
check(float(a2[a2.index("--rate-mpps") + 1]) == 3.25, "a rate for the RFC 2544 search")
check(any("role=client" in x and "/t/m0" in x for x in cmd2), "memif client on the DUT's socket")

# hvnet-gen's 1 s progress lines: only the measured seconds count.
err = ("hvnet-gen:   1.0 s warm-up tx   9.000 Mpps  rx   8.900 Mpps  lost 0  reordered 0\n"
       "hvnet-gen:   2.0 s measure tx  10.100 Mpps  rx  10.050 Mpps  lost 0  reordered 0\n"
       "hvnet-gen:   3.0 s measure tx  10.200 Mpps  rx  10.150 Mpps  lost 32  reordered 0\n"
       "hvnet-gen:   3.1 s drain   tx   0.000 Mpps  rx   1.000 Mpps  lost 32  reordered 0\n")
secs = [float(m.group(1)) for m in switch.GEN_SECOND_RE.finditer(err)]
check(secs == [10.05, 10.15], f"measured seconds' rx rates {secs}")

# 1 -> 1,000,000 MACs: the fall-off goes on the 1,000,000 result.
res = [{"case": "macs", "size": 64, "macs": 1, "mpps": 10.0, "peer_mpps": 4.0},
       {"case": "macs", "size": 64, "macs": 1000, "mpps": 9.5, "peer_mpps": 3.0},
       {"case": "macs", "size": 64, "macs": 1000000, "mpps": 8.5, "peer_mpps": 1.0}]
switch.mac_falloff(res)
check(abs(res[2]["mac_falloff"] - 0.15) < 1e-9, "hvnet 15% slower")
check(abs(res[2]["peer_mac_falloff"] - 0.75) < 1e-9, "OVS 75% slower")
check(res[2]["goals"]["mac_falloff_le_20pct"] is True, "15% meets the 20% goal")
res[2]["mpps"] = None
res[2].pop("mac_falloff")
res[2].pop("goals")
switch.mac_falloff(res)
check("mac_falloff" not in res[2] and res[2].get("peer_mac_falloff") is not None,
      "no hvnet fall-off without an hvnet rate")

# RFC 2544 on top of a flat-out trial: the search against a device that
# loses frames above 3 Mpps, then latency trials (asked for, and at 50%
# and 90% of what the search found).
asked = []


def fake_trial(gen, dut, case, size, opts, rate=0, quiet=False):
    asked.append((rate, bool(case.get("latency"))))
    rx = min(rate, 3.0)
    raw = {"tx_mpps": rate, "rx_mpps": rx, "tx_packets": int(rate * 1e6),
           "rx_packets": int(rx * 1e6), "lost": int((rate - rx) * 1e6)}
    if case.get("latency"):
        raw["latency_ns"] = {"p50": 1000, "p99": 2000, "p999": 3000, "max": 4000,
                             "samples": 100}
    return {"raw": raw}


real_trial, switch.gen_trial = switch.gen_trial, fake_trial
t = {"raw": {"tx_mpps": 8.0}, "mpps": [3.0]}
switch.zero_loss_search(None, SimpleNamespace(kind="hvnet"), {"latency": False}, 64,
                        SimpleNamespace(link_gbps=10.0, resolution=0.5, max_iterations=12,
                                        loss_tolerance=0.0), t)
switch.gen_trial = real_trial
z = t.get("zero_loss", {})
check(z.get("throughput_mpps") is not None and 2.9 <= z["throughput_mpps"] <= 3.0,
      f"zero-loss search finds the 3 Mpps knee ({z.get('throughput_mpps')})")
check(all(not lat for r, lat in asked[:-2]) and all(lat for r, lat in asked[-2:]),
      "latency measured only in the two latency trials")
check([round(r / z["throughput_mpps"], 2) for r, lat in asked[-2:]] == [0.5, 0.9],
      "latency at 50% and 90% of the zero-loss rate")
check(z.get("latency_90", {}).get("p99") == 2000, "latency percentiles kept")
res = {}
switch.zero_loss_summary(res, [t], [dict(t, zero_loss_mpps=1.5)])
check(res.get("zero_loss_ratio") == round(t["zero_loss_mpps"] / 1.5, 3) and
      res["zero_loss_latency"]["peer"]["latency_50"] is not None,
      "result: both rates, their ratio and both sides' latency")

# The ports' ceiling: taken from the placement hvnet and OVS were compared
# in; the highest ratio any switch could show is ceiling over OVS.
def ctrial(pl, mpps, ok=True):
    return {"kind": "ceiling", "placement": pl, "mpps": mpps, "ok": ok, "error": None}


res = {"placement": "near", "comparable": True, "mpps": 12.0, "peer_mpps": 10.0, "trials": []}
switch.ceiling(res, [], [], [ctrial("far", [4.0, 4.2]), ctrial("near", [13.0, 13.4, 12.6])])
check(res.get("ceiling_mpps") == 13.0 and res.get("ceiling_comparable") is True,
      f"ceiling from the near trials only ({res.get('ceiling_mpps')})")
check(res.get("of_ceiling") == round(12 / 13, 3) and res.get("ratio_reachable") == 1.3,
      "hvnet's share of the ceiling, and ceiling/OVS")
check(len(res["trials"]) == 2, "ceiling trials kept with the result")
res = {"placement": "near", "comparable": True, "mpps": 12.0, "peer_mpps": 10.0, "trials": []}
switch.ceiling(res, [], [], [ctrial("far", [4.0])])
check(res.get("ceiling_comparable") is False and res.get("ceiling_mpps") == 4.0,
      "a ceiling from another placement is flagged")
res = {"placement": "near", "mpps": 12.0, "trials": []}
switch.ceiling(res, [], [], [dict(ctrial("near", [], ok=False), error="dpdk-testpmd is missing")])
check(res.get("ceiling_error") == "dpdk-testpmd is missing" and "ceiling_mpps" not in res,
      "a failed ceiling says why")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("all checks passed")
