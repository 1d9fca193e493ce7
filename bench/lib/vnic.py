"""Scenarios `partition` and `pvp` of bench/run: the synthetic NIC and the
switch together, hvnet against Open vSwitch with DPDK and vhost-user in the
same topology and the same run.

partition: partition to partition through the synthetic NIC and the switch

    hvnet: hvnet-gen (CPU 0) is two process partitions, gen-a and gen-b;
           each one's netVSC NIC is a vNIC port of vswitchd's private
           switch sw0 (worker lcore on CPU 1): gen-a -> pa -> sw0 -> pb -> gen-b
    peer:  hvnet-gen (CPU 0) on two net_virtio_user ports, OVS-DPDK br0
           (PMD on CPU 1, NORMAL) with two dpdkvhostuser ports v0 and v1

pvp: physical (here memif) - virtual - physical

    hvnet: hvnet-gen (CPU 0) on a memif client -> uplink u0 of vswitchd's
           external switch ext0 -> vNIC pv of partition "vnf", where
           hvnet-gen --forward macswap (CPU VNF_CPU) sends each frame back
           with its MACs swapped -> ext0 -> u0 -> hvnet-gen
    peer:  the same through OVS-DPDK br0 (memif u0, dpdkvhostuser v0, NORMAL)
           and dpdk-testpmd --forward-mode=macswap on net_virtio_user

MAC swap sends a frame back to where its source was learned, so PVP uses
one uplink both ways (the generator sends and receives on u0).

Per size and DUT: a flat-out trial (the maximum forwarding rate, with its
loss), then a latency trial at 50% of what the flat-out trial delivered;
bench/run --rfc2544 (or HVNET_VNIC_RFC2544=1) adds RFC 2544's zero-loss search, with
latency at 50% and 90% of its rate (bench/lib/rfc2544.py,
through switch.zero_loss_search). The trial machinery (starting the DUT,
placement probes, generator runs) is bench/lib/switch.py's; this file only
describes the two topologies. HVNET_VNIC_SHORT=1: 64 B, one round, 1 s
trials after 2 s of warm-up (the smoke test). HVNET_VNIC_VNF_CPU: the VNF's CPU (1).
See bench/README.md, "Scenarios partition and pvp".
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
import switch     # noqa: E402  bench/lib/switch.py: the DUT and trial machinery

SIZES = (64, 512, 1518, "imix")
LATENCY_AT = 0.5
# gen-a sends from SRC_MAC to DST_MAC; the vNICs get exactly these MACs, so
# what the generator sends is what a partition would.
SRC_MAC, DST_MAC, VNF_MAC = "02:00:00:00:00:01", "02:01:00:00:00:01", "02:02:00:00:00:01"
TESTPMD_MBUFS = 8192
# The plot's legend shows about 30 characters; peer_topology says the rest.
PEER = {"partition": "ovs-dpdk, vhost-user", "pvp": "ovs-dpdk, vhost-user, testpmd"}
TOPOLOGY = {
    "partition": "partition gen-a -> netVSC -> vswitchd private switch -> netVSC -> "
                 "partition gen-b (both partitions are one hvnet-gen on CPU 0; switch "
                 "worker on CPU 1)",
    "pvp": "hvnet-gen -> memif -> vswitchd external switch -> netVSC -> partition "
           "(hvnet-gen --forward macswap) -> switch -> memif -> hvnet-gen",
}
PEER_TOPOLOGY = {
    "partition": "hvnet-gen on 2 net_virtio_user -> OVS-DPDK br0 (2 dpdkvhostuser, NORMAL, "
                 "PMD on CPU 1)",
    "pvp": "hvnet-gen -> memif -> OVS-DPDK br0 (NORMAL) -> dpdkvhostuser -> testpmd macswap "
           "(net_virtio_user) -> OVS -> memif -> hvnet-gen",
}


def vnf_cpu():
    return int(os.environ.get("HVNET_VNIC_VNF_CPU", switch.CPU_DUT))


class Vnf:
    """The PVP partition's forwarder: started after the switch, ready when
    its log shows 'ready', stopped with SIGINT."""

    def __init__(self, cmd, logpath, ready, what):
        self.cmd, self.logpath, self.ready, self.what = cmd, logpath, ready, what
        self.p = None

    def start(self, timeout=30):
        self.log = open(self.logpath, "w")
        self.p = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=self.log,
                                  stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.p.poll() is not None:
                return f"{self.what} exited {self.p.returncode}: {switch.tail(self.logpath)}"
            with open(self.logpath, errors="replace") as f:
                if re.search(self.ready, f.read()):
                    return None
            time.sleep(0.1)
        return f"{self.what} not ready after {timeout}s: {switch.tail(self.logpath)}"

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def stop(self):
        switch.stop_proc(self.p)
        if self.p is not None:
            self.log.close()


def pvp_gen_cmd(gen, socks, case, size, rxq, opts, rate):
    """The generator on PVP's uplink: one memif client port that sends
    and receives (the VNF turns the frames around)."""
    return switch.gen_cmd(gen, socks, case, size, rxq, opts, rate, ports=[
        (f"--vdev=net_memif0,role=client,id=0,socket={socks[0]},socket-abstract=no", None)],
        tx_rx=("0", "0"))


class HvnetDut(switch.Vswitchd):
    """vswitchd in the scenario's topology (and, for pvp, the VNF
    partition)."""
    label = "hvnet"

    def __init__(self, d, tmp, case, gen):
        super().__init__(d, tmp, case)
        self.topo, self.gen, self.vnf = case["case"], gen, None
        self.vmbus = os.path.join(self.dir, "vmbus.sock")
        self.in_port = "pa" if self.topo == "partition" else "u0"   # CPU ns per frame

    def configure(self):
        if self.topo == "partition":
            steps = [["switch", "create", "sw0", "--type", "private"],
                     ["port", "add", "sw0", "pa", "--vnic", "gen-a", "--mac", SRC_MAC],
                     ["port", "add", "sw0", "pb", "--vnic", "gen-b", "--mac", DST_MAC]]
        else:
            steps = [["switch", "create", "ext0", "--type", "external"],
                     ["port", "add", "ext0", "u0", "--uplink",
                      f"net_memif0,role=server,id=0,socket={self.socks[0]},socket-abstract=no"],
                     ["port", "add", "ext0", "pv", "--vnic", "vnf", "--mac", VNF_MAC]]
        for s in steps:
            r = self.ctl(*s)
            if r.returncode != 0:
                return f"vswitchctl {' '.join(s)}: {(r.stderr or r.stdout).strip()}"
        return None

    def start(self):
        err = super().start()
        if err is not None or self.topo != "pvp":
            return err
        cpu = vnf_cpu()
        # The partition needs its vNIC port to exist: start it after the
        # switch's configuration (or its replay from the store).
        self.vnf = Vnf(["taskset", "-c", str(cpu), self.gen, "-l", str(cpu), "--no-pci",
                        "--in-memory", "--file-prefix", f"hvnet-vnf-{os.getpid()}", "--",
                        "--netvsc", f"{self.vmbus},vnf", "--forward", "macswap"],
                       os.path.join(self.dir, "vnf.log"), r"is partition vnf's synthetic NIC",
                       "the VNF partition (hvnet-gen --forward macswap)")
        return self.vnf.start()

    def alive(self):
        return super().alive() and (self.vnf is None or self.vnf.alive())

    def death(self):
        """Which process died, with its exit status and last log lines."""
        if self.p is not None and self.p.poll() is not None:
            return f"vswitchd exited {self.p.returncode}: {switch.tail(self.logpath)}"
        if self.vnf is not None and not self.vnf.alive():
            return f"{self.vnf.what} exited {self.vnf.p.returncode}: " \
                   f"{switch.tail(self.vnf.logpath)}"
        return "?"

    def stop(self):
        if self.vnf is not None:
            self.vnf.stop()
        shutil.rmtree(f"/var/run/dpdk/hvnet-vnf-{os.getpid()}", ignore_errors=True)
        super().stop()

    def gen_cmd(self, gen, case, size, rxq, opts, rate):
        if self.topo == "partition":
            return switch.gen_cmd(gen, None, case, size, 1, opts, rate, ports=[
                (None, f"--netvsc={self.vmbus},gen-a"), (None, f"--netvsc={self.vmbus},gen-b")])
        return pvp_gen_cmd(gen, self.socks, case, size, 1, opts, rate)


class PeerDut(switch.Ovs):
    """OVS-DPDK in the scenario's topology (and, for pvp, testpmd macswap
    on virtio-user)."""
    label = "ovs  "

    def __init__(self, d, tmp, case, testpmd_error):
        super().__init__(d, tmp, case)
        self.topo, self.vnf, self.testpmd_error = case["case"], None, testpmd_error
        self.ports = "v0:vhost v1:vhost" if self.topo == "partition" else "u0:memif v0:vhost"

    def start(self):
        if self.topo == "pvp" and self.testpmd_error:
            return self.testpmd_error
        err = super().start()
        if err is None:
            # ovs.sh returns once the vhost-user sockets exist; a client
            # that connects in the next instant was refused now and then.
            time.sleep(1)
        if err is not None or self.topo != "pvp":
            return err
        cpu, main = vnf_cpu(), 1 - vnf_cpu()
        self.vnf_prefix = f"hvnet-pvp-testpmd-{os.getpid()}"
        # stdbuf: testpmd's "Press enter to exit" would sit in a full
        # stdio buffer otherwise.
        self.vnf = Vnf(["stdbuf", "-oL", "dpdk-testpmd", "-l", f"{main},{cpu}",
                        "--main-lcore", str(main), "--no-pci", "--in-memory",
                        "--single-file-segments", "--file-prefix", self.vnf_prefix,
                        f"--vdev=net_virtio_user0,path={os.path.join(self.dir, 'v0')},"
                        "queues=1,queue_size=1024", "--",
                        "--forward-mode=macswap", "--port-topology=loop", "--nb-cores=1",
                        "--burst=32", f"--total-num-mbufs={TESTPMD_MBUFS}",
                        "--rxd=1024", "--txd=1024"],
                       os.path.join(self.dir, "testpmd.log"), r"Press enter to exit",
                       "testpmd macswap")
        return self.vnf.start()

    def alive(self):
        return super().alive() and (self.vnf is None or self.vnf.alive())

    def stop(self):
        if self.vnf is not None:
            self.vnf.stop()
            shutil.rmtree(f"/var/run/dpdk/{self.vnf_prefix}", ignore_errors=True)
        super().stop()

    def gen_cmd(self, gen, case, size, rxq, opts, rate):
        if self.topo == "partition":
            # virtio-user shares hugepage memory with vhost by fd: one file
            # per segment list, not per page.
            return switch.gen_cmd(gen, None, case, size, 1, opts, rate, ports=[
                (f"--vdev=net_virtio_user{i},path={os.path.join(self.dir, f'v{i}')},queues=1,"
                 "queue_size=1024", None) for i in (0, 1)], eal_extra=["--single-file-segments"])
        # OVS's memif port has a tx queue per thread: rxq (2) queues.
        return pvp_gen_cmd(gen, self.socks, case, size, rxq, opts, rate)


def settings(opts):
    """(sizes, rounds, opts for the trials): HVNET_VNIC_SHORT=1 is the
    smoke test's quickest form."""
    h = switch.harness()
    o = type(opts)(**vars(opts)) if hasattr(opts, "__dict__") else opts
    if os.environ.get("HVNET_VNIC_RFC2544"):
        o.rfc2544 = True
    if os.environ.get("HVNET_VNIC_SHORT"):
        # 2 s of warm-up: OVS enables a vhost-user port for transmit only
        # some time after virtio-user connects (a PMD reload), which on a
        # busy machine took longer than 1 s + the 1 s learn phase.
        o.intervals, o.warmup, o.rounds = 1, 2, 1
        return (64,), o
    return (h.p2p_sizes(opts) if opts.sizes else SIZES), o


def side(trials):
    """Loss and latency of one side, from its last trial that has them."""
    t = next((t for t in reversed(trials) if t.get("gen")), None)
    if t is None:
        return None, None
    g = t["gen"]
    loss = {"sent": g.get("tx_packets"), "received": g.get("rx_packets"), "lost": g.get("lost"),
            "pct": round(100.0 * g["lost"] / g["tx_packets"], 3) if g.get("tx_packets") else None,
            "reordered": g.get("reordered"), "duplicates": g.get("duplicates")}
    return loss, t.get("latency")


def result(topo, size, hv, peer, opts, machine):
    h = switch.harness()
    res = {"name": topo, "size": size, "implementation": "hvnet", "unit": "packets/s (1e6)",
           "topology": TOPOLOGY[topo], "peer_topology": PEER_TOPOLOGY[topo],
           "method": "flat out (the maximum forwarding rate, with its loss); latency at "
                     f"{int(100 * LATENCY_AT)}% of it", "vnf_cpu": vnf_cpu() if topo == "pvp"
           else None}
    hh, qq = switch.rates(h, res, hv, peer, opts, PEER[topo])
    lh, ph = side(hh or hv)
    lq, pq = side(qq or peer)
    res["loss"] = {"hvnet": lh, "peer": lq}
    res["latency"] = {"hvnet": ph, "peer": pq}
    switch.zero_loss_summary(res, hh, qq)
    keys = ("kind", "placement", "rtt_ns", "mpps", "ok", "error", "gen", "latency",
            "dp_cpu_share", "dp_cpu_ns_per_frame", "zero_loss", "retried")
    res["trials"] = [{k: t.get(k) for k in keys} for t in hv + peer]
    return h.finish(res, machine)


def print_table(results):
    def lat(x):
        if not x or x.get("p50") is None:
            return "-"
        return "/".join(f"{x[k] / 1e3:.1f}" for k in ("p50", "p99", "p999"))

    def pct(x):
        return "-" if not x or x.get("pct") is None else f"{x['pct']:.2f}%"
    lines = [f"{'scenario':<10} {'size':>5} {'loss hv':>8} {'loss peer':>9} "
             f"{'lat hv p50/p99/p99.9 us':>24} {'lat peer p50/p99/p99.9 us':>26}"]
    for r in results:
        lines.append(f"{r['name']:<10} {str(r['size']):>5} {pct(r['loss']['hvnet']):>8} "
                     f"{pct(r['loss']['peer']):>9} {lat(r['latency']['hvnet']):>24} "
                     f"{lat(r['latency']['peer']):>26}")
    lines.append(f"loss: of the flat-out trial; latency: at {int(100 * LATENCY_AT)}% of the "
                 "flat-out rate, one lcore sending and receiving (queueing in the generator "
                 "included)")
    print("\n".join(lines), file=sys.stderr, flush=True)


def scenario(topo, opts, machine):
    h = switch.harness()
    sizes, o = settings(opts)
    d = h.build(["vswitch/vswitchd", "vswitch/vswitchctl", "bench/bench_vmbus_ring",
                 "bench/gen/hvnet-gen"])
    probe = os.path.join(d, "bench", "bench_vmbus_ring")
    gen = os.path.join(d, "bench", "gen", "hvnet-gen")
    testpmd_error = None
    if not o.no_peer:
        switch.ensure_ovs()
        if topo == "pvp":
            testpmd_error = h.ensure_testpmd()
    case = {"id": topo, "case": topo, "macs": 1, "acls": 0, "flows": 1, "fdb_size": None,
            "learn_s": 1, "sizes": sizes, "latency_at": LATENCY_AT,
            "dst_mac": DST_MAC if topo == "partition" else VNF_MAC}
    tmp = tempfile.mkdtemp(prefix=f"hvnet-{topo}-")
    hv_trials, peer_trials, rtt = [], [], None
    t0 = time.time()
    try:
        for r in range(o.rounds):
            busy = h.wait_idle(o.wait_idle)
            if busy > 10:
                h.progress(f"warning: CPUs {busy}% busy before the run: results will be low")
            if o.wait_idle:
                rtt = None
            h.progress(f"{topo} ({','.join(map(str, sizes))} B) round {r + 1}/{o.rounds}: "
                       f"learn 1s + warm-up {o.warmup}s + {o.intervals}s flat out, then "
                       f"latency at {int(100 * LATENCY_AT)}%, each")
            got, rtt = switch.run_instance(HvnetDut(d, tmp, case, gen), gen, case, o, probe,
                                           None, rtt)
            hv_trials += got
            if not o.no_peer:
                got, rtt = switch.run_instance(PeerDut(d, tmp, case, testpmd_error), gen, case,
                                               o, probe, None, rtt)
                peer_trials += got
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(f"/var/run/dpdk/hvnet-swgen-{os.getpid()}", ignore_errors=True)
    results = [result(topo, s, [t for t in hv_trials if t["size"] == s],
                      [t for t in peer_trials if t["size"] == s], o, machine) for s in sizes]
    for res in results:
        print(json.dumps(res), flush=True)
    print_table(results)
    h.progress(f"{topo}: {time.time() - t0:.0f}s")
    return results


def scenario_partition(opts, machine):
    return scenario("partition", opts, machine)


def scenario_pvp(opts, machine):
    return scenario("pvp", opts, machine)
