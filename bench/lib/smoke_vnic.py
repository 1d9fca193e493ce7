#!/usr/bin/env python3
"""Smoke test of `bench/run partition pvp` (meson test bench-vnic): each
scenario in its quickest form (HVNET_VNIC_SHORT=1: 64 B, one round, 1 s
trials), hvnet and the OVS-DPDK peer. Checks function, not speed: every
result line has the documented fields, and frames went through both
paths (received > 0, no reordering or duplicates on hvnet's path).
Exits 77 with the reason when the machine lacks what the scenarios need
(root for hugepages, two CPUs, Open vSwitch with DPDK, dpdk-testpmd).

    smoke_vnic.py BUILD_DIR
"""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RUN = os.path.join(os.path.dirname(HERE), "run")
FIELDS = ("name", "size", "status", "mpps", "mpps_min", "mpps_max", "gbps", "peer", "peer_mpps",
          "ratio", "line_rate_ratio", "loss", "latency", "placement", "comparable", "machine",
          "topology", "trials")
LATENCY = ("p50", "p99", "p999", "max")


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(77)


def free_hugepages(want):
    """Free 2 MiB pages after raising the pool to 'want' (bench/run does
    the same; without them OVS cannot start and the rates are not DPDK's)."""
    path = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
    try:
        with open(path) as f:
            if int(f.read()) < want:
                with open(path, "w") as w:
                    w.write(str(want))
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("HugePages_Free:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def check(results, scenario):
    errors = []
    got = [r for r in results if r.get("name") == scenario]
    if len(got) != 1:
        return [f"{scenario}: {len(got)} result lines, want 1 (64 B)"]
    r = got[0]
    missing = [k for k in FIELDS if k not in r]
    if missing:
        errors.append(f"{scenario}: fields missing: {missing}")
    if r.get("status") != "ok" or not r.get("mpps"):
        errors.append(f"{scenario}: hvnet {r.get('status')}, mpps {r.get('mpps')}: "
                      f"{r.get('error')}"
                      + "".join(f"\n    | {x}" for x in r.get("error_log", [])))
    if not r.get("peer_mpps"):
        errors.append(f"{scenario}: peer did not run: {r.get('peer_error')}"
                      + "".join(f"\n    | {x}" for x in r.get("peer_error_log", [])))
    for who in ("hvnet", "peer"):
        loss = (r.get("loss") or {}).get(who) or {}
        if not loss.get("received") or not loss.get("sent"):
            errors.append(f"{scenario}: {who}: no frames arrived: {loss}")
        lat = (r.get("latency") or {}).get(who) or {}
        if any(not isinstance(lat.get(k), (int, float)) or lat[k] <= 0 for k in LATENCY):
            errors.append(f"{scenario}: {who}: latency percentiles missing: {lat}")
    hv = (r.get("loss") or {}).get("hvnet") or {}
    if hv.get("reordered") or hv.get("duplicates"):
        errors.append(f"{scenario}: hvnet's path reordered or duplicated frames: {hv}")
    lr = r.get("line_rate_ratio") or {}
    if r.get("mpps") and set(lr) != {"10GbE", "25GbE", "100GbE"}:
        errors.append(f"{scenario}: line_rate_ratio {lr}")
    if r.get("mpps") and r.get("peer_mpps") and r.get("ratio") is None:
        errors.append(f"{scenario}: no ratio")
    if not isinstance(r.get("machine"), dict):
        errors.append(f"{scenario}: no machine record")
    return errors


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    if os.geteuid() != 0:
        skip("bench/run reserves hugepages and needs root")
    if (os.cpu_count() or 1) < 2:
        skip("the scenarios need two CPUs")
    if not shutil.which("ovs-vswitchd"):
        skip("Open vSwitch is not installed (apt-get install openvswitch-switch-dpdk)")
    v = subprocess.run(["ovs-vswitchd", "--version"], capture_output=True, text=True)
    if "DPDK" not in v.stdout:
        skip("ovs-vswitchd is not the DPDK build (update-alternatives --set ovs-vswitchd "
             "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk)")
    if not shutil.which("dpdk-testpmd"):
        skip("dpdk-testpmd is not installed (apt-get install dpdk)")
    free = free_hugepages(512)
    # One DUT runs at a time: OVS's 512 MiB (256 pages), the generator's two
    # pools (~30) and, in pvp, testpmd's (~15), with some slack.
    if free < 340:
        skip(f"{free} free 2 MiB hugepages, the scenarios need about 340 (OVS 256, the "
             "generator and testpmd the rest): other DPDK processes hold them?")
    env = dict(os.environ, HVNET_BUILD_DIR=build, HVNET_VNIC_SHORT="1")
    p = subprocess.run([RUN, "partition", "pvp"], capture_output=True, text=True, env=env,
                       timeout=400)
    sys.stderr.write(p.stderr[-6000:])
    results = []
    for line in p.stdout.splitlines():
        try:
            results.append(json.loads(line))
        except ValueError:
            print(f"FAIL: a stdout line is not JSON: {line[:200]}")
            return 1
    errors = [] if p.returncode == 0 else [f"bench/run exited {p.returncode}"]
    for s in ("partition", "pvp"):
        errors += check(results, s)
    for e in errors:
        print(f"FAIL: {e}")
    if not errors:
        for r in results:
            print(f"ok: {r['name']} {r['size']} B: hvnet {r['mpps']} Mpps, peer "
                  f"{r['peer_mpps']} Mpps, hvnet received {r['loss']['hvnet']['received']}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
