#!/usr/bin/env python3
"""Scenario `switch` of bench/run: port-to-port forwarding through a
learning switch, hvnet's vswitchd against Open vSwitch with DPDK.

    hvnet-gen (CPU 0)                     device under test (CPU 1)
    net_memif0 (client) --> memif-0.sock --> u0 ] vswitchd: external switch sw0
    net_memif1 (client) <-- memif-1.sock <-- u1 ] OVS-DPDK: br0, NORMAL

Frames go one way, u0 -> u1, flat out (--rate-mpps 0): the rate is what the
generator receives on port 1 (its rx_mpps). Its learn phase first sends one
frame from every source MAC and one the other way, so the switch knows both
ends before the clock starts. Cases:

    base  1 MAC pair, no ACLs, sizes 64..1518 B
    macs  1, 1,000 and 1,000,000 source MACs learned on u0, 64 B; the same
          table size for all three (vswitchd --fdb-size, OVS mac-table-size
          1,100,000), so only the MACs in use change
    acls  0, 100 and 10,000 ACL entries on u0 that the traffic never matches
          (deny remote IP 10.x.y.0/24) plus one allow for all, 64 B, 1,000
          flows; OVS: the same as OpenFlow drop rules with in_port=u0 and a
          priority-0 NORMAL

Called by bench/run (SCENARIOS["switch"]; its --sizes applies), or on its
own: bench/lib/switch.py [--sizes 64,1518] [--cases base,macs,acls]
[bench/run's options]. Under bench/run the environment variable
HVNET_SWITCH_CASES picks cases (HVNET_SWITCH_SIZES sizes, if --sizes is not
given). bench/run --rfc2544 (or HVNET_SWITCH_RFC2544=1) adds an RFC 2544
zero-loss search (bench/lib/rfc2544.py, with bench/run's --loss-tolerance,
--resolution, --max-iterations and --link-gbps) after each flat-out trial,
and latency at 50% and 90% of the rate it finds: several times the runtime. See bench/README.md, "Scenario switch".
"""
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

NAME = "switch"
PEER = "ovs-dpdk"
SIZES = (64, 128, 256, 512, 1024, 1518)
CASES = ("base", "macs", "acls")
MAC_COUNTS = (1, 1000, 1000000)
ACL_COUNTS = (0, 100, 10000)
ZERO_LOSS_LATENCY_AT = (0.5, 0.9)  # of the zero-loss rate (RFC 2544 search)
ACL_FLOWS = 1000            # both switches see many 5-tuples (OVS's megaflow cache)
MAC_TABLE = 1100000         # vswitchd --fdb-size and OVS mac-table-size in the macs case
FDB_MAX = 4194304
FDB_DEFAULT = 65536         # vswitchd's --fdb-size 0
CPU_GEN = 0                 # generator; both DUTs' control threads
CPU_DUT = 1                 # vswitchd's datapath lcore, OVS's PMD thread
# hvnet-gen counts --src-macs up from SRC_MAC (at most 2^24): the
# destination must lie outside that range, or the switch learns it on u0.
SRC_MAC = "02:00:00:00:00:01"
DST_MAC = "02:01:00:00:00:01"
GOAL_RATIO = 1.5
GOAL_MPPS_64 = 14.88
GOAL_MAC_DROP = 0.20
# hvnet-gen's memif client must open as many rx queues as the server has tx
# queues: vswitchd has 1, OVS 2 (one per polling thread; its PMD sends on
# queue 1). See bench/peers/ovs.sh.
OVS_TXQ = 2

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)


# ---- the harness -------------------------------------------------------------

def harness():
    """bench/run's helpers (build, progress, finish, placement...): the
    running __main__ when bench/run called us, else bench/run loaded as a
    module."""
    m = sys.modules.get("__main__")
    if m is not None and hasattr(m, "finish") and hasattr(m, "pair_up"):
        return m
    import importlib.machinery
    import importlib.util
    if BENCH not in sys.path:
        sys.path.insert(0, BENCH)     # bench/run imports lib.switch and lib/*.py
    loader = importlib.machinery.SourceFileLoader("bench_run", os.path.join(BENCH, "run"))
    spec = importlib.util.spec_from_loader("bench_run", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    sys.modules["bench_run"] = mod
    return mod


def csv_option(opts, attr, env, default, conv=str):
    v = getattr(opts, attr, None) or os.environ.get(env)
    if not v:
        return tuple(default)
    items = v if isinstance(v, (list, tuple)) else [x.strip() for x in str(v).split(",")]
    try:
        return tuple(conv(x) for x in items if x != "")
    except ValueError:
        raise harness().BenchError(f"switch: bad {attr} '{v}' (sizes: 64..1518, no imix)")


# ---- memory ------------------------------------------------------------------

def proc_status(pid):
    """KiB figures from /proc/PID/status. Hugetlb pages are not in VmRSS
    (checked here: a vswitchd with 40 MiB of hugepages mapped shows them in
    HugetlbPages only), so RSS is already the memory besides hugepages."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem", "HugetlbPages"):
                    out[k] = int(v.split()[0])
    except OSError:
        return None
    return out


def telemetry(prefix, queries):
    """DPDK telemetry of the process with --file-prefix 'prefix' (its
    socket lives in /var/run/dpdk/PREFIX even with --in-memory). Returns
    {query: value}, or {} when there is no socket."""
    path = f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2"
    out = {}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
            s.settimeout(2)
            s.connect(path)
            json.loads(s.recv(4096))
            for q in queries:
                s.send(q.encode())
                reply = json.loads(s.recv(65536))
                out[q] = next(iter(reply.values()), None)
    except (OSError, ValueError):
        pass
    return out


def memory_of(pid, prefix, extra=None):
    st = proc_status(pid)
    if st is None:
        return None
    mem = {"heap_kib": st.get("RssAnon"), "rss_kib": st.get("VmRSS"),
           "peak_rss_kib": st.get("VmHWM"), "file_kib": st.get("RssFile"),
           "shmem_kib": st.get("RssShmem"), "hugepages_kib": st.get("HugetlbPages")}
    t = telemetry(prefix, ["/eal/heap_list", "/mempool/list"])
    heaps = t.get("/eal/heap_list") or []
    pools = t.get("/mempool/list") or []
    if heaps or pools:
        t2 = telemetry(prefix, [f"/eal/heap_info,{h}" for h in heaps] +
                       [f"/mempool/info,{p}" for p in pools])
        hi = [v for k, v in t2.items() if k.startswith("/eal/heap_info") and v]
        mem["dpdk_heap_kib"] = sum(int(v.get("Heap_size", 0)) for v in hi) // 1024
        mem["dpdk_heap_alloc_kib"] = sum(int(v.get("Alloc_size", 0)) for v in hi) // 1024
        mem["mempools"] = {v["name"]: {"mbufs": v.get("size"), "elt_bytes": v.get("elt_size")}
                           for k, v in t2.items() if k.startswith("/mempool/info") and v}
    if extra:
        mem.update(extra)
    return mem


# ---- processes ---------------------------------------------------------------

def stop_proc(p, sig=signal.SIGINT, grace=10):
    if p is None or p.poll() is not None:
        return
    try:
        p.send_signal(sig)
        p.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=5)
    except ProcessLookupError:
        pass


def tail(path, n=3):
    try:
        with open(path, errors="replace") as f:
            return " | ".join(x.strip() for x in f.read().strip().splitlines()[-n:])
    except OSError:
        return ""


def thread_cpu_ns(pid, comm_prefix):
    """CPU time (ns) of the process's first thread whose name starts with
    comm_prefix, from /proc/PID/task/TID/schedstat; None if none."""
    try:
        for tid in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if not f.read().startswith(comm_prefix):
                    continue
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                return int(f.read().split()[0])
    except (OSError, ValueError):
        pass
    return None


class CpuClock:
    """The datapath thread's CPU time over a trial: its share of CPU 1
    (1.0: it had the CPU to itself; less: something else ran there) and
    CPU ns per forwarded frame (idle polling included, so an upper bound
    of the cost of a frame unless the switch was saturated)."""

    def __init__(self, pid, comm_prefix):
        self.pid, self.comm = pid, comm_prefix
        self.cpu0, self.t0 = thread_cpu_ns(pid, comm_prefix), time.monotonic_ns()

    def result(self, frames):
        cpu1, t1 = thread_cpu_ns(self.pid, self.comm), time.monotonic_ns()
        if self.cpu0 is None or cpu1 is None or t1 <= self.t0:
            return {}
        out = {"dp_cpu_share": round((cpu1 - self.cpu0) / (t1 - self.t0), 3)}
        if frames:
            out["dp_cpu_ns_per_frame"] = round((cpu1 - self.cpu0) / frames, 1)
        return out


def fdb_table_kib(entries):
    """vswitchd's MAC table for --fdb-size entries (vsw_fdb_init): 16-byte
    slots, a power of two (at least 64) at most 3/4 full."""
    slots = 64
    while slots // 4 * 3 < entries:
        slots <<= 1
    return slots * 16 // 1024


def ovs_acl_flows(n):
    """OpenFlow rules equal to the hvnet ACLs: n drops on u0 for the
    prefixes the traffic never uses, then NORMAL for everything."""
    rules = [f"priority={100 + i % 60000},ip,in_port=u0,nw_dst={p},actions=drop"
             for i, p in enumerate(acl_prefixes(n))]
    return rules + ["priority=0,actions=NORMAL"]


def acl_prefixes(n):
    """n /24 prefixes the generator never uses: 10.x.y.0/24."""
    return [f"10.{i >> 8 & 255}.{i & 255}.0/24" for i in range(n)]


class Vswitchd:
    kind = "hvnet"

    def __init__(self, d, tmp, case, known_error=None):
        self.known_error = known_error    # this case's set-up failed in an earlier round
        self.setup_error = None
        self.exe = os.path.join(d, "vswitch", "vswitchd")
        self.ctl_exe = os.path.join(d, "vswitch", "vswitchctl")
        self.dir = os.path.join(tmp, "hvnet")
        self.case = case
        self.sock = os.path.join(self.dir, "ctl.sock")
        self.db = os.path.join(self.dir, f"vswitchd-{case['id']}.db")
        self.prefix = f"hvnet-swb-{os.getpid()}"
        self.socks = [os.path.join(self.dir, f"memif-{i}.sock") for i in (0, 1)]
        self.p = None
        self.log = None
        self.acl_setup_s = None

    def ctl(self, *args, timeout=60):
        return subprocess.run([self.ctl_exe, "--socket", self.sock] + list(args),
                              capture_output=True, text=True, timeout=timeout)

    def start(self):
        """Starts vswitchd; the first start of a case configures it, later
        rounds restart on the same store (vswitchd replays it). Returns an
        error string or None."""
        if self.known_error:
            return self.known_error
        os.makedirs(self.dir, exist_ok=True)
        fresh = not os.path.exists(self.db)
        for s in self.socks + [self.sock]:
            if os.path.exists(s):
                os.unlink(s)
        self.logpath = os.path.join(self.dir, "vswitchd.log")
        self.log = open(self.logpath, "a")
        # Everything but the datapath lcore on CPU_GEN: the EAL interrupt
        # and telemetry threads inherit this mask, the worker is pinned to
        # CPU_DUT by EAL.
        cmd = ["taskset", "-c", str(CPU_GEN), self.exe, "-l", f"{CPU_GEN},{CPU_DUT}",
               "--main-lcore", str(CPU_GEN), "--in-memory", "--no-pci",
               "--file-prefix", self.prefix, "--",
               "--db", self.db, "--ctl-socket", self.sock,
               "--vmbus-socket", os.path.join(self.dir, "vmbus.sock")]
        self.p = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline and not os.path.exists(self.sock):
            if self.p.poll() is not None:
                return f"vswitchd exited {self.p.returncode}: {tail(self.logpath)}"
            time.sleep(0.1)
        if not os.path.exists(self.sock):
            return f"vswitchd did not open {self.sock}: {tail(self.logpath)}"
        if not fresh:
            return None
        err = self.configure()
        self.setup_error = err
        if err is not None:
            # Configure again next round rather than measure a store that
            # holds only part of the case.
            self.stop()
            for f in os.listdir(self.dir):
                if f.startswith(os.path.basename(self.db)):
                    os.unlink(os.path.join(self.dir, f))
        return err

    def configure(self):
        c = self.case
        steps = [["switch", "create", "sw0", "--type", "external"] +
                 (["--fdb-size", str(c["fdb_size"])] if c.get("fdb_size") else [])]
        for i in (0, 1):
            steps.append(["port", "add", "sw0", f"u{i}", "--uplink",
                          f"net_memif{i},role=server,id=0,socket={self.socks[i]},"
                          "socket-abstract=no"])
        for s in steps:
            r = self.ctl(*s)
            if r.returncode != 0:
                return f"vswitchctl {' '.join(s)}: {(r.stderr or r.stdout).strip()}"
        if c["acls"]:
            return self.add_acls(c["acls"])
        return None

    def add_acls(self, n):
        """n deny entries on u0 the traffic never matches, then an allow
        for everything, as one policy file loaded in one transaction
        (vswitchctl port acl u0 load), as an operator installs a policy."""
        h = harness()
        path = os.path.join(self.dir, "policy.acl")
        with open(path, "w") as f:
            f.write(f"# bench/run switch: {n} deny ACLs the traffic never matches, then allow all\n")
            for p in acl_prefixes(n):
                f.write(f"--action deny --direction both --remote-ip {p}\n")
            f.write("--action allow --direction both --remote-ip 0.0.0.0/0\n")
        t0 = time.monotonic()
        res = self.ctl("port", "acl", "u0", "load", path, "--replace", timeout=600)
        if res.returncode != 0:
            return (f"vswitchctl port acl u0 load ({n + 1} ACLs) refused after "
                    f"{time.monotonic() - t0:.1f}s: "
                    f"{(res.stderr or res.stdout).strip().removeprefix('vswitchctl: ')}")
        self.acl_setup_s = round(time.monotonic() - t0, 2)
        h.progress(f"    vswitchctl port acl u0 load, {n + 1} ACLs: {self.acl_setup_s}s")
        return None

    def pid(self):
        return self.p.pid if self.p else None

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def counters(self):
        try:
            r = self.ctl("--format", "json", "stats", timeout=10)
            return {s["port"]: s["counters"] for s in json.loads(r.stdout)["result"]["stats"]}
        except (ValueError, KeyError, TypeError, subprocess.TimeoutExpired):
            return {}

    def before_trial(self):
        self._c0 = self.counters()
        self._clock = CpuClock(self.pid(), "rte-worker")

    def after_trial(self):
        c1 = self.counters()
        delta = {}
        for port, cs in c1.items():
            d = {k: v - self._c0.get(port, {}).get(k, 0) for k, v in cs.items()}
            delta[port] = {k: v for k, v in d.items() if v and not k.endswith("_bytes")}
        cpu = self._clock.result(delta.get(getattr(self, "in_port", "u0"), {}).get("rx_packets"))
        fdb = self.case.get("fdb_size") or FDB_DEFAULT
        # vswitchd's own telemetry when it has it (/hvnet/switches: the
        # MACs in each table; /hvnet/memory), else the learn counters.
        tel = telemetry(self.prefix, ["/hvnet/switches", "/hvnet/memory"])
        entries = (tel.get("/hvnet/switches") or {}).get("sw0")
        extra = {"fdb_entries": entries if entries is not None else
                 sum(cs.get("learned", 0) for cs in c1.values()),
                 "fdb_entries_from": "telemetry /hvnet/switches" if entries is not None else
                 "vswitchctl stats: learned", "fdb_size": fdb,
                 "fdb_table_kib": fdb_table_kib(fdb)}
        if isinstance(tel.get("/hvnet/memory"), dict):
            extra["vswitchd_memory"] = tel["/hvnet/memory"]
        mem = memory_of(self.pid(), self.prefix, extra)
        return dict({"dut_counters": delta}, **cpu), mem

    def stop(self):
        stop_proc(self.p)
        if self.log:
            self.log.close()
        shutil.rmtree(f"/var/run/dpdk/{self.prefix}", ignore_errors=True)


class Ovs:
    kind = "peer"

    def __init__(self, d, tmp, case):
        self.script = os.path.join(BENCH, "peers", "ovs.sh")
        self.dir = os.path.join(tmp, f"ovs-{case['id']}")
        self.case = case
        self.socks = [os.path.join(self.dir, f"memif-{i}.sock") for i in (0, 1)]
        self._pid = None
        self.acl_setup_s = None
        self.prefix = "ovs-bench-" + re.sub(r"[^a-zA-Z0-9\n]", "-", os.path.basename(self.dir))

    def sh(self, *args, env=None, timeout=120):
        return subprocess.run([self.script] + list(args), capture_output=True, text=True,
                              env=dict(os.environ, **(env or {})), timeout=timeout)

    def start(self):
        c = self.case
        env = {"PMD_CPU": str(CPU_DUT), "MAIN_CPU": str(CPU_GEN), "SOCKET_MEM": "512"}
        if getattr(self, "ports", None):
            env["PORTS"] = self.ports       # another topology's ports (ovs.sh)
        if c.get("fdb_size"):
            env["MAC_TABLE_SIZE"] = str(c["fdb_size"])
            env["FLOW_LIMIT"] = str(c["fdb_size"])
        try:
            r = self.sh("start", self.dir, env=env)
        except subprocess.TimeoutExpired:
            return "ovs.sh start timed out"
        m = re.search(r"^pid (\d+)", r.stdout, re.M)
        if r.returncode != 0 or not m:
            return (r.stderr.strip().splitlines() or [f"ovs.sh start exit {r.returncode}"])[-1]
        self._pid = int(m.group(1))
        if c["acls"]:
            flows = os.path.join(self.dir, "flows.txt")
            with open(flows, "w") as f:
                f.write("\n".join(ovs_acl_flows(c["acls"])) + "\n")
            t0 = time.monotonic()
            r = self.sh("flows", self.dir, flows)
            self.acl_setup_s = round(time.monotonic() - t0, 2)
            if r.returncode != 0:
                return (r.stderr.strip().splitlines() or ["ovs.sh flows failed"])[-1]
        return None

    def pid(self):
        return self._pid

    def alive(self):
        return self._pid is not None and os.path.exists(f"/proc/{self._pid}")

    def appctl(self, *args):
        try:
            return self.sh("appctl", self.dir, *args, timeout=30).stdout
        except subprocess.TimeoutExpired:
            return ""

    def before_trial(self):
        self.appctl("dpif-netdev/pmd-stats-clear")
        self._clock = CpuClock(self._pid, "pmd")

    def after_trial(self):
        info = {}
        pmd = self.appctl("dpif-netdev/pmd-stats-show")
        m = re.search(r"packets received: (\d+)", pmd)
        info.update(self._clock.result(int(m.group(1)) if m else None))
        m = re.search(r"avg processing cycles per packet: ([\d.]+)", pmd)
        if m:
            info["cycles_per_packet"] = float(m.group(1))
        m = re.search(r"idle cycles: \d+ \(([\d.]+)%\)", pmd)
        if m:
            info["pmd_idle_pct"] = float(m.group(1))
        for k in ("emc hits", "smc hits", "megaflow hits", "miss with success upcall",
                  "miss with failed upcall"):
            m = re.search(rf"{k}: (\d+)", pmd)
            if m:
                info.setdefault("pmd", {})[k.replace(" ", "_")] = int(m.group(1))
        fdb = self.appctl("fdb/stats-show", "br0")
        m = re.search(r"Current/maximum MAC entries in the table: (\d+)/(\d+)", fdb)
        extra = {"fdb_entries": int(m.group(1)), "fdb_size": int(m.group(2))} if m else {}
        if self.case["acls"]:
            try:
                dump = self.sh("ofctl", self.dir, "dump-flows", "br0", "actions=drop",
                               timeout=60).stdout
                info["acl_drop_packets"] = sum(int(x) for x in re.findall(r"n_packets=(\d+)",
                                                                          dump))
            except subprocess.TimeoutExpired:
                pass
        return info, memory_of(self._pid, self.prefix, extra)

    def stop(self):
        try:
            self.sh("stop", self.dir, timeout=60)
        except subprocess.TimeoutExpired:
            pass


class Ceiling:
    """The ports' ceiling: dpdk-testpmd forwarding (io: no lookup, no
    header read) between the same two memif servers, its lcore on CPU_DUT.
    What the generator and memif's copies allow any switch to reach in this
    placement; a switch at this rate is not what sets the pace. A testpmd
    per trial: the 22.11 memif server may crash when its client leaves."""
    kind = "ceiling"
    label = "ceil "

    def __init__(self, d, tmp, case):
        self.dir = os.path.join(tmp, "ceiling")
        os.makedirs(self.dir, exist_ok=True)
        self.socks = harness().memif_sockets(self.dir)
        self.dut = None
        self.start_error = None

    def start(self):
        if shutil.which("dpdk-testpmd") is None:
            return "dpdk-testpmd is missing (apt-get install dpdk)"
        return None

    def pid(self):
        return self.dut.proc.pid if self.dut and self.dut.proc else None

    def alive(self):
        # The memif server's crash when the generator disconnects comes
        # after the measurement; a testpmd that never started is the error.
        return self.start_error is None

    def before_trial(self):
        h = harness()
        self.dut = h.testpmd_memif_dut(self.dir)
        self.start_error = None
        try:
            self.dut.__enter__()
        except h.BenchError as e:
            self.start_error = str(e)
        self._clock = CpuClock(self.pid(), "rte-worker")

    def after_trial(self):
        info = {}
        if self.dut is not None:
            info.update(self._clock.result(None))
            if self.dut.proc is not None and not self.dut.alive():
                # Gone before we stopped it: as p2p-memif records it.
                info["dut_exit"] = self.dut.proc.returncode
            self.dut.stop()
        return info, None

    def death(self):
        return self.start_error

    def stop(self):
        if self.dut is not None:
            self.dut.stop()


# ---- the generator -----------------------------------------------------------

def gen_cmd(gen, socks, case, size, rxq, opts, rate=0.0, ports=None, eal_extra=(),
            tx_rx=("0", "1")):
    """hvnet-gen on CPU_GEN against the DUT: by default memif clients of
    'socks'; 'ports' replaces them (other --vdev, --netvsc partitions: a
    list of (EAL argument or None, hvnet-gen argument or None))."""
    eal = ["-l", str(CPU_GEN), "--main-lcore", str(CPU_GEN), "--no-pci", "--in-memory",
           "--file-prefix", f"hvnet-swgen-{os.getpid()}"] + list(eal_extra)
    if ports is None:
        ports = [(f"--vdev=net_memif{i},role=client,id=0,socket={socks[i]},socket-abstract=no",
                  None) for i in (0, 1)]
    eal += [e for e, _ in ports if e]
    args = [a for _, a in ports if a]
    args += ["--tx-port", tx_rx[0], "--rx-port", tx_rx[1], "--size", str(size),
            "--rate-mpps", f"{rate:.4f}" if rate else "0",
            "--flows", str(case["flows"]), "--src-macs", str(case["macs"]),
            "--src-mac", SRC_MAC, "--dst-mac", case.get("dst_mac", DST_MAC),
            "--duration", str(opts.intervals), "--warmup", str(opts.warmup),
            "--learn", str(case["learn_s"]), "--json"]
    if case.get("latency"):
        args.append("--latency")
    if rxq > 1:
        args += ["--rxq", str(rxq)]
    return ["taskset", "-c", str(CPU_GEN), gen] + eal + ["--"] + args


GEN_SECOND_RE = re.compile(r"^hvnet-gen:\s+[\d.]+ s measure\s+tx\s+[\d.]+ Mpps\s+rx\s+([\d.]+) Mpps",
                           re.M)


# hvnet-gen failed before sending: a port missing, a link that stayed down.
SETUP_FAILED_RE = re.compile(r"hvnet-gen: port \d+ (does not exist|\(.*\) link is still down)")


def gen_has_rxq(gen):
    """Whether hvnet-gen can open and poll a second rx queue (--rxq)."""
    try:
        p = subprocess.run([gen, "--no-huge", "-m", "64", "--no-pci", "--no-shconf",
                            "--no-telemetry", "-l", str(CPU_GEN), "--log-level", "0",
                            "--", "--help"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "--rxq" in p.stdout + p.stderr


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


def gen_trial(gen, dut, case, size, opts, rate=0.0, quiet=False):
    """One generator run against a running DUT, flat out or at 'rate'
    Mpps. Returns the trial (its "raw" is hvnet-gen's JSON)."""
    h = harness()
    t = {"kind": dut.kind, "size": size, "ok": False, "mpps": [], "error": None}
    rxq = OVS_TXQ if dut.kind == "peer" else 1
    # A DUT of another topology (bench/lib/vnic.py) says how the generator
    # reaches it.
    cmd = (dut.gen_cmd(gen, case, size, rxq, opts, rate) if hasattr(dut, "gen_cmd") else
           gen_cmd(gen, dut.socks, case, size, rxq, opts, rate))
    label = getattr(dut, "label", "hvnet" if dut.kind == "hvnet" else "ovs  ")
    dut.before_trial()
    limit = opts.warmup + opts.intervals + case["learn_s"] + 60
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
        if p.returncode != 0 and SETUP_FAILED_RE.search(p.stderr) and dut.alive():
            # A vhost-user port of a freshly started OVS now and then
            # refuses the first connection (seen as a missing port): once
            # more, and the trial says so.
            t["retried"] = (p.stderr.strip().splitlines() or [""])[-1]
            time.sleep(2)
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        t["error"] = f"hvnet-gen did not finish in {limit}s"
        return t
    info, mem = dut.after_trial()
    t.update(info)
    t["memory"] = mem
    out = last_json(p.stdout)
    if not dut.alive():
        t["error"] = (f"the {'switch' if dut.kind == 'hvnet' else 'peer'} died during the trial"
                      + (f": {dut.death()}" if hasattr(dut, "death") else ""))
    elif p.returncode != 0 or out is None:
        lines = p.stderr.strip().splitlines()
        err = (lines or [f"exit {p.returncode}, no JSON"])[-1]
        t["error"] = f"hvnet-gen: {err}"
        # The last line alone rarely says why (a sanitizer report, an EAL
        # failure): keep the tail for the result and the smoke test.
        t["stderr_tail"] = lines[-40:]
    elif not out.get("rx_mpps"):
        t["error"] = (f"nothing forwarded (hvnet-gen sent {out.get('tx_packets')}, "
                      f"received {out.get('rx_packets')})")
    else:
        t["ok"] = True
        # hvnet-gen's 1 s progress lines (each exact over its own window):
        # their spread shows a vCPU move during the trial (settled()).
        secs = [float(m.group(1)) for m in GEN_SECOND_RE.finditer(p.stderr)]
        t["mpps"] = [round(x, 4) for x in secs] or [round(float(out["rx_mpps"]), 4)]
        t["rx_mpps"] = round(float(out["rx_mpps"]), 4)
    t["raw"] = out
    if quiet:
        return t
    if out is not None:
        # tx_busy_bursts: sends the switch's rx ring did not take whole,
        # i.e. how often the switch, not the generator, set the pace.
        t["gen"] = {k: out.get(k) for k in ("tx_packets", "rx_packets", "lost", "reordered",
                                            "duplicates", "tx_mpps", "rx_mpps",
                                            "offered_mpps", "duration_s", "tx_busy_bursts",
                                            "latency_ns")}
    if t["ok"]:
        g = t["gen"]
        extra = ""
        if dut.kind == "peer" and "cycles_per_packet" in t:
            extra = f", {t['cycles_per_packet']:.0f} cycles/pkt, PMD idle {t['pmd_idle_pct']}%"
        if t.get("dp_cpu_share") is not None:
            extra += (f", datapath had {100 * t['dp_cpu_share']:.0f}% of CPU {CPU_DUT}, "
                      f"{t.get('dp_cpu_ns_per_frame', '-')} CPU ns/frame")
        h.progress(f"    {label} {size:>4}B: "
                   f"{t['rx_mpps']:.2f} Mpps {h.fmt_samples(t['mpps'])} "
                   f"(sent {g.get('tx_mpps')}, lost {g.get('lost')}, "
                   f"switch's ring full {g.get('tx_busy_bursts')}x)"
                   + extra)
    else:
        h.progress(f"    {label} {size:>4}B: error: {t['error']}")
    return t


# ---- the scenario ------------------------------------------------------------

def make_cases(cases, sizes):
    out = []
    if "base" in cases:
        out.append({"id": "base", "case": "base", "macs": 1, "acls": 0, "flows": 1,
                    "fdb_size": None, "learn_s": 1, "sizes": sizes})
    small = [s for s in sizes if s == 64] or [min(sizes)]
    if "macs" in cases:
        for n in MAC_COUNTS:
            out.append({"id": f"macs{n}", "case": "macs", "macs": n, "acls": 0, "flows": 1,
                        "fdb_size": MAC_TABLE, "learn_s": 3 if n >= 100000 else 1,
                        "sizes": small})
    if "acls" in cases:
        for n in ACL_COUNTS:
            out.append({"id": f"acls{n}", "case": "acls", "macs": 1, "acls": n,
                        "flows": ACL_FLOWS, "fdb_size": None, "learn_s": 1, "sizes": small})
    return out


def rfc_enabled(opts):
    return bool(getattr(opts, "rfc2544", False) or os.environ.get("HVNET_SWITCH_RFC2544"))


def zero_loss_search(gen, dut, case, size, opts, t):
    """RFC 2544 throughput on top of the flat-out trial t (which gives the
    generator's ceiling): bench/lib/rfc2544.py's binary search from
    min(10 GbE line rate, what the generator sent). Adds t["zero_loss"]."""
    h = harness()
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    import rfc2544
    tol = getattr(opts, "loss_tolerance", None) or 0.0

    def trial(rate, latency=False):
        tt = gen_trial(gen, dut, dict(case, latency=True) if latency else case, size, opts,
                       rate=rate, quiet=True)
        if tt.get("raw") is None:
            raise h.BenchError(tt["error"])
        return tt["raw"]
    start = min(rfc2544.line_rate_mpps(getattr(opts, "link_gbps", 10.0), size),
                t["raw"].get("tx_mpps") or t["mpps"][0])
    try:
        s = rfc2544.throughput(trial, start, loss_tolerance_pct=tol,
                               resolution_pct=getattr(opts, "resolution", 0.5),
                               max_iterations=getattr(opts, "max_iterations", 10),
                               label=f"    {dut.kind} {size}B zero-loss: ", log=h.progress)
        # RFC 2544 measures latency at the throughput rate; 50% and 90% of
        # it are points a loaded path still holds without loss.
        for frac in ZERO_LOSS_LATENCY_AT:
            s[f"latency_{round(frac * 100)}"] = rfc2544.latency_point(
                trial, s["throughput_mpps"] * frac, 1, f"    {dut.kind} {size}B: ", h.progress)
        t["zero_loss"] = s
        t["zero_loss_mpps"] = s["throughput_mpps"]
    except (h.BenchError, ValueError) as e:
        t["zero_loss"] = {"error": str(e)}


def zero_loss_summary(res, hh, qq):
    """The RFC 2544 fields of a result from its paired trials (hvnet's,
    the peer's): zero-loss throughput of each (median over rounds), their
    ratio, and the latency at 50% and 90% of it (last round's)."""
    zl = [t["zero_loss_mpps"] for t in hh if t.get("zero_loss_mpps") is not None]
    pzl = [t["zero_loss_mpps"] for t in qq if t.get("zero_loss_mpps") is not None]
    if not (zl or pzl):
        return
    res["zero_loss_mpps"] = round(statistics.median(zl), 4) if zl else None
    res["peer_zero_loss_mpps"] = round(statistics.median(pzl), 4) if pzl else None
    res["zero_loss_ratio"] = (round(res["zero_loss_mpps"] / res["peer_zero_loss_mpps"], 3)
                              if zl and pzl and res["peer_zero_loss_mpps"] else None)
    lat = {}
    for who, ts in (("hvnet", hh), ("peer", qq)):
        z = next((t["zero_loss"] for t in reversed(ts) if t.get("zero_loss_mpps") is not None),
                 {})
        lat[who] = {k: z.get(k) for k in ("latency_50", "latency_90")}
    res["zero_loss_latency"] = lat


def latency_point(gen, dut, case, size, opts, t):
    """Latency at case["latency_at"] of what trial t (flat out) delivered:
    a flat-out trial's latency is the time frames queue, not the path.
    Adds t["latency"] (hvnet-gen's percentiles, ns, with the rate asked
    and sent and the frames lost at it)."""
    rate = case["latency_at"] * t["rx_mpps"]
    lt = gen_trial(gen, dut, dict(case, latency=True), size, opts, rate=rate, quiet=True)
    raw = lt.get("raw") or {}
    t["latency"] = dict(raw.get("latency_ns") or {}, asked_mpps=round(rate, 4),
                        tx_mpps=raw.get("tx_mpps"), lost=raw.get("lost"),
                        error=None if lt["ok"] else lt["error"])


def run_instance(dut, gen, case, opts, probe, gen_error, rtt0=None):
    """Starts one DUT for a case, runs every size of it, stops it. The
    vCPU placement is probed before and after (not during: the DUT polls
    CPU 1 all the time); the probe after the previous instance serves as
    this one's 'before' when given. Returns (trials, the probe after)."""
    h = harness()
    if rtt0 is None and probe:
        rtt0 = h.xcore_rtt(probe)
    trials = []
    try:
        err = dut.start()
        for size in case["sizes"]:
            if err is None and gen_error:
                err = gen_error
            if err is not None:
                trials.append({"kind": dut.kind, "size": size, "ok": False, "mpps": [],
                               "error": err})
                continue
            trials.append(gen_trial(gen, dut, case, size, opts))
            if trials[-1]["ok"] and rfc_enabled(opts):
                zero_loss_search(gen, dut, case, size, opts, trials[-1])
            if trials[-1]["ok"] and case.get("latency_at"):
                latency_point(gen, dut, case, size, opts, trials[-1])
            if not dut.alive():
                err = trials[-1]["error"]
    finally:
        dut.stop()
    if err and not gen_error:
        h.progress(f"    {dut.kind}: {err}")
    rtt1 = h.xcore_rtt(probe) if probe else None
    pl = h.placement([rtt0, rtt1])
    for t in trials:
        t["rtt_ns"] = [rtt0, rtt1]
        t["placement"] = h.settled(pl, t["mpps"])
    return trials, rtt1


def rates(h, res, hv, peer, opts, peer_name):
    """Pairs hvnet's trials with the peer's by placement and fills res with
    status, the rates of both and the first error of each; returns the
    paired trials (hvnet's, the peer's). Shared with bench/lib/vnic.py."""
    pl, hh, qq, comparable = h.pair_up(hv, peer)
    res["placement"], res["comparable"] = pl, comparable
    if hv and all(t["ok"] for t in hv):
        res["status"] = "ok"
        res["mpps"], res["mpps_min"], res["mpps_max"] = h.summarise(
            [x for t in hh for x in t["mpps"]])
    else:
        res["status"], res["mpps"] = "failed", None
        bad = next((t for t in hv if not t["ok"]), {"error": "no hvnet trial"})
        res["error"] = bad["error"]
        if bad.get("stderr_tail"):
            res["error_log"] = bad["stderr_tail"]
    res["peer"] = None if opts.no_peer else peer_name
    if opts.no_peer:
        res.update({"peer_mpps": None, "peer_error": "disabled (--no-peer)"})
    elif qq:
        res["peer_mpps"], res["peer_mpps_min"], res["peer_mpps_max"] = h.summarise(
            [x for t in qq for x in t["mpps"]])
    else:
        res["peer_mpps"] = None
        bad = next((t for t in peer if t.get("error")), {"error": "no peer trial succeeded"})
        res["peer_error"] = bad["error"]
        if bad.get("stderr_tail"):
            res["peer_error_log"] = bad["stderr_tail"]
    return hh, qq


def ceiling(res, hh, qq, ceil):
    """The ports' ceiling (testpmd io, class Ceiling) in the placement hvnet
    and the peer were compared in: each side's share of it, and the
    highest ratio to the peer that any switch could show on these ports."""
    ok = [t for t in ceil if t["ok"]]
    if not ceil:
        return
    if not ok:
        res["ceiling_error"] = next((t["error"] for t in ceil if t.get("error")), "no trial")
        return
    same = [t for t in ok if t["placement"] == res.get("placement")]
    res["ceiling_comparable"] = bool(same) and bool(res.get("comparable"))
    xs = [x for t in (same or ok) for x in t["mpps"]]
    res["ceiling_mpps"] = round(statistics.median(xs), 4)
    res["ceiling_placement"] = sorted({t["placement"] or "-" for t in (same or ok)})
    if res.get("mpps"):
        res["of_ceiling"] = round(res["mpps"] / res["ceiling_mpps"], 3)
    if res.get("peer_mpps"):
        res["peer_of_ceiling"] = round(res["peer_mpps"] / res["ceiling_mpps"], 3)
        res["ratio_reachable"] = round(res["ceiling_mpps"] / res["peer_mpps"], 3)
    res["trials"] += [{k: t.get(k) for k in ("kind", "placement", "rtt_ns", "mpps", "ok",
                                               "error", "gen", "dp_cpu_share", "dut_exit")}
                      for t in ceil]


def result_for(h, case, size, hv, peer, opts, machine, acl_times, ceil=()):
    res = {"name": NAME, "case": case["case"], "size": size, "macs": case["macs"],
           # bench/run --plot draws one line per implementation: the base
           # case is hvnet's line, the others single points
           "implementation": "hvnet" if case["case"] == "base" else
           f"hvnet, {case['macs']} MACs" if case["case"] == "macs" else
           f"hvnet, {case['acls']} ACLs",
           "acls": case["acls"], "flows": case["flows"], "unit": "packets/s (1e6)",
           "direction": "u0 -> u1 (one way)"}
    hh, qq = rates(h, res, hv, peer, opts, PEER)
    last_h = next((t for t in reversed(hh or hv) if t.get("memory")), {})
    last_q = next((t for t in reversed(qq or peer) if t.get("memory")), {})
    res["memory"] = last_h.get("memory")
    res["peer_memory"] = last_q.get("memory")
    for key, t in (("", last_h), ("peer_", last_q)):
        for k in ("dp_cpu_share", "dp_cpu_ns_per_frame"):
            if t.get(k) is not None:
                res[key + k] = t[k]
    if last_q.get("cycles_per_packet") is not None:
        res["peer_cycles_per_packet"] = last_q["cycles_per_packet"]
        res["peer_pmd_idle_pct"] = last_q.get("pmd_idle_pct")
    if case["acls"]:
        res["acl_setup_s"] = acl_times.get(case["id"])
        res["peer_acl_setup_s"] = acl_times.get("peer:" + case["id"])
        if last_q.get("acl_drop_packets"):
            res["peer_error"] = (f"{last_q['acl_drop_packets']} frames matched an OVS drop rule: "
                                 "the traffic uses the ACLs' prefixes")
    zero_loss_summary(res, hh, qq)
    res["offered_mpps"] = {
        "hvnet": last_h.get("gen", {}).get("tx_mpps"),
        "peer": last_q.get("gen", {}).get("tx_mpps")}
    res["dut_counters"] = last_h.get("dut_counters")
    res["trials"] = [{k: t.get(k) for k in ("kind", "placement", "rtt_ns", "mpps", "ok",
                                              "error", "gen", "cycles_per_packet",
                                              "pmd_idle_pct", "dp_cpu_share",
                                              "dp_cpu_ns_per_frame", "zero_loss")}
                     for t in hv + peer]
    h.finish(res, machine)
    ceiling(res, hh, qq, list(ceil))
    if res["mpps"] is not None:
        res["goals"] = {"ratio_1_5x": (res["ratio"] >= GOAL_RATIO) if res["ratio"] else None}
        if size == 64:
            res["goals"]["line_rate_64B"] = res["mpps"] >= GOAL_MPPS_64
        # Whether this machine's ports let any switch show the goal at all.
        if res.get("ratio_reachable") is not None:
            res["goals"]["ratio_1_5x_measurable"] = res["ratio_reachable"] >= GOAL_RATIO
        if size == 64 and res.get("ceiling_mpps") is not None:
            res["goals"]["line_rate_64B_measurable"] = res["ceiling_mpps"] >= GOAL_MPPS_64
    return res


def mac_falloff(results):
    """Rate lost from 1 to 1,000,000 MACs, hvnet and OVS; put on the
    1,000,000 result."""
    by = {r["macs"]: r for r in results if r.get("case") == "macs" and r["size"] == 64}
    lo, hi = by.get(MAC_COUNTS[0]), by.get(MAC_COUNTS[-1])
    if not lo or not hi:
        return
    for key, field in (("mpps", "mac_falloff"), ("peer_mpps", "peer_mac_falloff")):
        if lo.get(key) and hi.get(key) is not None:
            hi[field] = round(1 - hi[key] / lo[key], 4)
    # A vCPU move between the two results changes rates 3x: the fall-off
    # means something only when both ran in the same placement.
    hi["mac_falloff_placements"] = [lo.get("placement"), hi.get("placement")]
    hi["mac_falloff_comparable"] = bool(lo.get("placement")) and \
        lo.get("placement") == hi.get("placement")
    if hi.get("mac_falloff") is not None:
        hi.setdefault("goals", {})["mac_falloff_le_20pct"] = hi["mac_falloff"] <= GOAL_MAC_DROP


def fmt(x, spec, width):
    return format(x, spec).rjust(width) if isinstance(x, (int, float)) else "-".rjust(width)


def mib(m, k):
    v = (m or {}).get(k)
    return None if v is None else v / 1024


def print_table(results):
    hdr = (f"{'case':<5} {'size':>4} {'MACs':>7} {'ACLs':>5} {'hvnet':>6} {'min-max':>11} "
           f"{'OVS':>6} {'ceil':>6} {'ratio':>5} {'10GbE':>5} {'place':<5} "
           f"{'hv heap/huge MiB':>16} {'ovs heap/huge MiB':>17} {'fdb hv/ovs':>15} "
           f"{'CPU1 hv/ovs':>11}")
    lines = [hdr, "-" * len(hdr)]
    for r in results:
        lr = (r.get("line_rate_ratio") or {}).get("10GbE")
        mm = (f"{r['mpps_min']:.2f}-{r['mpps_max']:.2f}" if r.get("mpps_min") is not None
              else "-")
        m, q = r.get("memory"), r.get("peer_memory")
        hm = f"{fmt(mib(m, 'heap_kib'), '.1f', 0)}/{fmt(mib(m, 'hugepages_kib'), '.0f', 0)}"
        qm = f"{fmt(mib(q, 'heap_kib'), '.1f', 0)}/{fmt(mib(q, 'hugepages_kib'), '.0f', 0)}"
        fdb = f"{(m or {}).get('fdb_entries', '-')}/{(q or {}).get('fdb_entries', '-')}"
        share = "/".join(fmt(100 * r[k] if r.get(k) is not None else None, ".0f", 0)
                         for k in ("dp_cpu_share", "peer_dp_cpu_share"))
        lines.append(
            f"{r.get('case', '-'):<5} {r['size']:>4} {r['macs']:>7} {r['acls']:>5} "
            f"{fmt(r.get('mpps'), '.2f', 6)} {mm:>11} {fmt(r.get('peer_mpps'), '.2f', 6)} "
            f"{fmt(r.get('ceiling_mpps'), '.2f', 6)} "
            f"{fmt(r.get('ratio'), '.2f', 5)} {fmt(lr, '.2f', 5)} "
            f"{(r.get('placement') or '-'):<5} {hm:>16} {qm:>17} {fdb:>15} {share:>11}")
        if r.get("status") != "ok":
            lines.append(f"      hvnet: {r.get('error')}")
        if r.get("peer_error"):
            lines.append(f"      ovs: {r['peer_error']}")
        if r.get("ceiling_error"):
            lines.append(f"      ceiling: {r['ceiling_error']}")
        if r.get("acl_setup_s") is not None:
            lines.append(f"      ACL setup: {r['acl_setup_s']} s")
        if r.get("mac_falloff") is not None or r.get("peer_mac_falloff") is not None:
            lines.append(f"      1 -> {r['macs']} MACs: hvnet "
                         f"{fmt(100 * r['mac_falloff'] if r.get('mac_falloff') is not None else None, '.1f', 0)}%"
                         f" slower, OVS "
                         f"{fmt(100 * r['peer_mac_falloff'] if r.get('peer_mac_falloff') is not None else None, '.1f', 0)}%"
                         f" (goal <= {100 * GOAL_MAC_DROP:.0f}%)"
                         + ("" if r.get("mac_falloff_comparable") else
                            f"; NOT comparable: placements {r.get('mac_falloff_placements')}"))
    lines.append(f"Mpps: frames the generator received on port 1, flat out, one way u0 -> u1; "
                 f"median over rounds; goals: ratio >= {GOAL_RATIO}, {GOAL_MPPS_64} Mpps at 64 B "
                 f"(10GbE = 1.00), <= {100 * GOAL_MAC_DROP:.0f}% slower from 1 to "
                 f"{MAC_COUNTS[-1]} MACs")
    lines.append("ceil: the ports' ceiling, dpdk-testpmd io (no switching) between the same "
                 "memif servers on CPU 1 in the same placement; a switch near it is held back "
                 "by the generator and memif, and ceil/OVS is the highest ratio any switch "
                 "could show here")
    lines.append("heap: RssAnon of vswitchd / ovs-vswitchd (RSS holds no hugepages); huge: "
                 "HugetlbPages mapped; fdb: MACs learned (hvnet: vswitchctl's learned counters, "
                 "OVS: fdb/stats-show); CPU1: % of CPU 1 the datapath thread got during the "
                 "trial (below ~95%: something else ran there)")
    print("\n".join(lines), file=sys.stderr, flush=True)


def ensure_ovs():
    """Installs Debian's OVS-DPDK when it is missing (root), and points
    ovs-vswitchd at its DPDK build. What still fails shows as the peer's
    error (bench/peers/ovs.sh says why)."""
    h = harness()
    if shutil.which("ovs-vswitchd"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        h.progress("Open vSwitch missing: apt-get install openvswitch-switch-dpdk")
        subprocess.run(["apt-get", "install", "-y", "-q", "openvswitch-switch-dpdk"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    dpdk_build = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
    if os.path.exists(dpdk_build):
        subprocess.run(["update-alternatives", "--set", "ovs-vswitchd", dpdk_build],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def scenario_switch(opts, machine):
    h = harness()
    sizes = csv_option(opts, "sizes", "HVNET_SWITCH_SIZES", SIZES, int)
    cases = csv_option(opts, "cases", "HVNET_SWITCH_CASES", CASES)
    bad = [c for c in cases if c not in CASES] + [s for s in sizes if not 64 <= s <= 1518]
    if bad:
        raise h.BenchError(f"switch: unknown case or size {bad} (cases {','.join(CASES)}, "
                           "sizes 64..1518)")
    d = h.build(["vswitch/vswitchd", "vswitch/vswitchctl", "bench/bench_vmbus_ring"])
    probe = os.path.join(d, "bench", "bench_vmbus_ring")
    gen = os.environ.get("HVNET_SWITCH_GEN") or os.path.join(d, "bench", "gen", "hvnet-gen")
    gen_error = None
    if not os.environ.get("HVNET_SWITCH_GEN"):
        try:
            h.build(["bench/gen/hvnet-gen"])
        except h.BenchError as e:
            gen_error = f"the generator bench/gen/hvnet-gen cannot be built: {e}"
            h.progress("warning: " + gen_error)
    if gen_error is None and not os.access(gen, os.X_OK):
        gen_error = f"no generator at {gen}"
    peer_gen_error = gen_error
    if gen_error is None and not opts.no_peer and not gen_has_rxq(gen):
        peer_gen_error = (
            "hvnet-gen opens one rx queue per port, and OVS cannot be measured over memif "
            "that way: it gives each port one tx queue per polling thread (2) and its PMD "
            "sends on queue 1, which a memif client with one rx queue never opened, so "
            "every frame OVS forwards is lost (hvnet-gen needs --rxq 2; see "
            "bench/peers/ovs.sh)")
        h.progress("warning: " + peer_gen_error)
    if not opts.no_peer:
        ensure_ovs()

    plan = make_cases(cases, sizes)
    tmp = tempfile.mkdtemp(prefix="hvnet-switch-")
    trials = {c["id"]: {"hvnet": [], "peer": [], "ceiling": []} for c in plan}
    acl_times = {}
    setup_errors = {}
    t0 = time.time()
    rtt = None
    try:
        for r in range(opts.rounds):
            for case in plan:
                busy = h.wait_idle(opts.wait_idle)
                if busy > 10:
                    h.progress(f"warning: CPUs {busy}% busy before the run: results will be low")
                if opts.wait_idle:
                    rtt = None    # time passed: probe again
                h.progress(f"switch {case['id']} ({','.join(map(str, case['sizes']))} B) round "
                           f"{r + 1}/{opts.rounds}: {case['macs']} MACs, {case['acls']} ACLs, "
                           f"{case['flows']} flows; learn {case['learn_s']}s + warm-up "
                           f"{opts.warmup}s + {opts.intervals}s each")
                hv = Vswitchd(d, tmp, case, setup_errors.get(case["id"]))
                got, rtt = run_instance(hv, gen, case, opts, probe, gen_error, rtt)
                trials[case["id"]]["hvnet"] += got
                if hv.setup_error:
                    setup_errors[case["id"]] = hv.setup_error
                if hv.acl_setup_s is not None:
                    acl_times[case["id"]] = hv.acl_setup_s
                if not opts.no_peer:
                    peer = Ovs(d, tmp, case)
                    got, rtt = run_instance(peer, gen, case, opts, probe, peer_gen_error, rtt)
                    trials[case["id"]]["peer"] += got
                    if getattr(peer, "acl_setup_s", None) is not None:
                        acl_times.setdefault("peer:" + case["id"], peer.acl_setup_s)
                if case["case"] == "base" and not opts.no_peer:
                    got, rtt = run_instance(Ceiling(d, tmp, case), gen, case, opts, probe,
                                            gen_error, rtt)
                    trials[case["id"]]["ceiling"] += got
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        # hvnet-gen's EAL runtime directory (its telemetry socket), even
        # with --in-memory.
        shutil.rmtree(f"/var/run/dpdk/hvnet-swgen-{os.getpid()}", ignore_errors=True)

    results = []
    for case in plan:
        for size in case["sizes"]:
            hv = [t for t in trials[case["id"]]["hvnet"] if t["size"] == size]
            peer = [t for t in trials[case["id"]]["peer"] if t["size"] == size]
            ceil = [t for t in trials[case["id"]]["ceiling"] if t["size"] == size]
            results.append(result_for(h, case, size, hv, peer, opts, machine, acl_times,
                                      ceil))
    mac_falloff(results)
    for res in results:
        print(json.dumps(res), flush=True)
    print_table(results)
    h.progress(f"switch: {time.time() - t0:.0f}s")
    return results


def main():
    import argparse
    h = harness()
    ap = argparse.ArgumentParser(prog="bench/lib/switch.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", help="frame sizes with FCS, comma-separated (all of "
                    f"{','.join(map(str, SIZES))} for the base case; 64 for the others)")
    ap.add_argument("--cases", help=f"comma-separated, of {','.join(CASES)} (all)")
    ap.add_argument("--intervals", type=int, default=5, help="measured seconds per trial (5)")
    ap.add_argument("--warmup", type=int, default=1, help="warm-up seconds (1)")
    ap.add_argument("--rounds", type=int, default=2, help="hvnet+OVS rounds (2)")
    ap.add_argument("--no-peer", action="store_true", help="skip OVS")
    ap.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS")
    opts = ap.parse_args()
    machine = h.machine_info(h.reserve_hugepages(h.HUGEPAGES_2M))
    results = scenario_switch(opts, machine)
    return 1 if any(r["status"] != "ok" for r in results) or not results else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
