#!/usr/bin/env python3
"""Static checks of pktgen-configs/ (run by check.sh; no pktgen needed).

  lint.py [--vswitchctl PATH] [--self-test] DIR

- every .pkt line is a command from ALLOW below, with arguments of the right
  shape (port lists, integers in range, IPv4 with or without a mask, MACs,
  keyword choices), no line longer than 200 characters and no comment after
  a command; and the file sets up what it starts (MACs, sequence entries,
  range fields, the VLAN ID);
- every pktgen.NAME a .lua file uses is in LUA_API;
- every script has the header sections README.md promises, comes as a
  .pkt/.lua pair for P2P and PVP, and is in README.md's table;
- with --vswitchctl, every `vswitchctl ...` line in a header parses: run
  against a socket that does not exist, vswitchctl must exit 3 (it parsed the
  command line and found no vswitchd), not 2 (bad command line).

ALLOW holds the command forms that both Pktgen trees checked (README.md,
"Pktgen sources checked") accept the same way: the intersection of the
cli_map tables in app/cli-functions.c of the 2019 tree (commit ae5a88bf) and
of the 2023 tree (<2020-2023>, with the `latency` and `rate` commands), plus
`delay`, `sleep` and `quit` from lib/cli/cli_cmds.c. Forms only one tree has
are left out, e.g. `restart` (no port list in 2019, `restart %P` in 2023),
`page lat|rate`, `latency %P rate|entropy %u`, `set %P ttl|txburst|rxburst`.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

SET_TYPES = "count|size|rate|burst|tx_cycles|sport|dport|prime|dump|vlan|seq_cnt|seqCnt|seqcnt"
SMMI = "%|start|minimum|maximum|increment|min|max|inc"
ED_TYPES = ("process|mpls|qinq|gre|gre_eth|vlan|random|latency|pcap|blink|rx_tap|tx_tap|"
            "icmp|range|capture|bonding|vxlan")
PAGES = "main|range|config|cfg|pcap|cpu|next|sequence|seq|rnd|log|latency|stats|xstats"

ALLOW = [
    # set_map
    "set %P %|" + SET_TYPES + " %d",
    "set %P jitter %D",
    "set %P type %|arp|ipv4|ipv6|ip4|ip6|vlan",
    "set %P proto %|udp|tcp|icmp",
    "set %P src mac %m",
    "set %P dst mac %m",
    "set %P pattern %|abc|none|user|zero",
    "set %P user pattern %s",
    "set %P src ip %4",
    "set %P dst ip %4",
    "set ports_per_page %d",
    "set %P qinqids %d %d",
    "set %P rnd %d %d %s",
    "set %P cos %d",
    "set %P tos %d",
    "set %P vxlan %h %d %d",
    # range_map
    "range %P dst mac " + SMMI + " %m",
    "range %P src mac " + SMMI + " %m",
    "range %P dst mac %m %m %m %m",
    "range %P src mac %m %m %m %m",
    "range %P dst ip " + SMMI + " %4",
    "range %P src ip " + SMMI + " %4",
    "range %P dst ip %4 %4 %4 %4",
    "range %P src ip %4 %4 %4 %4",
    "range %P proto %|tcp|udp",
    "range %P dst port " + SMMI + " %d",
    "range %P src port " + SMMI + " %d",
    "range %P dst port %d %d %d %d",
    "range %P src port %d %d %d %d",
    "range %P vlan " + SMMI + " %d",
    "range %P vlan %d %d %d %d",
    "range %P size " + SMMI + " %d",
    "range %P size %d %d %d %d",
    "range %P mpls entry %h",
    "range %P qinq index %d %d",
    "range %P gre key %d",
    "range %P cos " + SMMI + " %d",
    "range %P cos %d %d %d %d",
    "range %P tos " + SMMI + " %d",
    "range %P tos %d %d %d %d",
    # enable_map
    "enable %P %|" + ED_TYPES,
    "disable %P %|" + ED_TYPES,
    "enable %|screen|mac_from_arp",
    "disable %|screen|mac_from_arp",
    # start_map and its aliases
    "start %P",
    "stop %P",
    "start %P prime",
    "start %P arp %|request|gratuitous|req|grat",
    "str",
    "stp",
    # page_map
    "page %d",
    "page %|" + PAGES,
    # misc_map and its aliases
    "clear %P stats",
    "clr",
    "geometry",
    "geom",
    "load %s",
    "save %s",
    "redisplay",
    "cls",
    "reset %P",
    "rst",
    "port %d",
    "ports per page %d",
    "ping4 %P",
    "on",
    "off",
    # seq_map
    "%|seq|sequence %d %P %m %m %4 %4 %d %d %|ipv4|ipv6 %|udp|tcp|icmp %d %d",
    "%|seq|sequence %d %P %m %m %4 %4 %d %d %|ipv4|ipv6 %|udp|tcp|icmp %d %d %d",
    "%|seq|sequence %d %P dst %m src %m dst %4 src %4 sport %d dport %d %|ipv4|ipv6 "
    "%|udp|tcp|icmp vlan %d size %d",
    "%|seq|sequence %d %P dst %m src %m dst %4 src %4 sport %d dport %d %|ipv4|ipv6 "
    "%|udp|tcp|icmp vlan %d size %d teid %d",
    "%|seq|sequence %d %P cos %d tos %d",
    "%|seq|sequence %d %P vxlan %d gid %d vid %d",
    "%|seq|sequence %d %P vxlan %h gid %d vid %d",
    # lib/cli/cli_cmds.c
    "delay %d",
    "sleep %d",
    "quit",
]

# pktgen.NAME in the Lua scripts: the functions hvnet_pktgen.lua lists, each
# with the same form in the 2019-2020 app/lpktgenlib.c and in what the 2023
# tree uses (the Lua file its `save x.lua` writes, its scripts/ and test/
# Lua files), and the info table.
LUA_API = {
    "set", "set_mac", "set_ipaddr", "set_proto", "set_type", "set_range",
    "src_mac", "dst_mac", "src_ip", "dst_ip", "src_port", "dst_port", "pkt_size", "ip_proto",
    "vlan", "vlanid", "latency", "seqTable", "start", "stop", "clr", "delay", "screen", "quit",
    "portStats", "pktStats", "linkState", "info",
}

TOPOS = ("p2p", "pvp")
TESTS = ("64b-linerate", "size-sweep", "multiflow", "vlan", "latency")
HEADER_MARKS = ("Topology (", "hvnet configuration", "Run (generator host", "Reading the result",
                "Comparing with bench/run")
PORTS = {0, 1}          # the scripts drive a two-port generator
MAX_LINE = 200          # Pktgen 22.x reads command files through a 256-byte buffer

RE_PORTLIST = re.compile(r"^(all|\d+(-\d+)?(,\d+(-\d+)?)*)$")
RE_INT = re.compile(r"^\d+$")
RE_HEX = re.compile(r"^(0x)?[0-9a-fA-F]+$")
RE_MAC = re.compile(r"^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$|^([0-9a-fA-F]{4}:){2}[0-9a-fA-F]{4}$")
RE_IPV4 = re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(/(\d{1,2}))?$")


def parse_ports(tok):
    if tok == "all":
        return set(PORTS)
    out = set()
    for part in tok.split(","):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


def token_ok(fmt, tok):
    if not fmt.startswith("%"):
        return fmt == tok
    kind = fmt[1]
    if kind == "|":
        return tok in fmt[2:].split("|")
    if kind == "P":
        return bool(RE_PORTLIST.match(tok))
    if kind in "dDu":
        return bool(RE_INT.match(tok))
    if kind == "h":
        return bool(RE_HEX.match(tok))
    if kind == "m":
        return bool(RE_MAC.match(tok))
    if kind == "4":
        m = RE_IPV4.match(tok)
        return bool(m) and all(int(m.group(i)) <= 255 for i in range(1, 5)) and \
            (m.group(6) is None or int(m.group(6)) <= 32)
    if kind == "s":
        return True
    raise ValueError("unknown map token " + fmt)


def match(tokens):
    """The ALLOW form the tokens match, or None."""
    for form in ALLOW:
        fmts = form.split()
        if len(fmts) == len(tokens) and all(token_ok(f, t) for f, t in zip(fmts, tokens)):
            return form
    return None


class PktState:
    """What a .pkt file has set up, per port, to check what it starts."""

    def __init__(self):
        self.src_mac, self.dst_mac, self.vlan_id = set(), set(), set()
        self.seq = {p: set() for p in PORTS}
        self.seq_cnt = {p: 0 for p in PORTS}
        self.range_on, self.vlan_on, self.range_proto = set(), set(), set()
        self.range_fields = {p: set() for p in PORTS}


def semantic(tokens, form, st):
    """Stricter than pktgen: value ranges and set-up before use. Returns errors."""
    errs = []
    ports = set()
    if "%P" in form.split():
        ports = parse_ports(tokens[form.split().index("%P")])
        if not ports <= PORTS:
            errs.append("ports %s: the scripts drive a two-port generator (0 and 1)" %
                        sorted(ports - PORTS))
    cmd = tokens[0]

    def num(i):
        return int(tokens[i])

    if cmd == "set" and len(tokens) == 4 and tokens[2] in SET_TYPES.split("|"):
        what, v = tokens[2], num(3)
        limits = {"size": (64, 1518), "rate": (0, 100), "vlan": (1, 4094), "sport": (0, 65535),
                  "dport": (0, 65535), "seq_cnt": (0, 16), "seqCnt": (0, 16), "seqcnt": (0, 16)}
        if what in limits and not limits[what][0] <= v <= limits[what][1]:
            errs.append("set %s %d is outside %d..%d" % (what, v, *limits[what]))
        if what == "vlan":
            st.vlan_id |= ports
        if what in ("seq_cnt", "seqCnt", "seqcnt"):
            for p in ports & PORTS:
                st.seq_cnt[p] = v
    elif cmd == "set" and tokens[2:4] in (["src", "ip"], ["dst", "ip"]):
        has_mask = "/" in tokens[4]
        if tokens[2] == "src" and not has_mask:
            errs.append("a source IP needs its mask (198.18.0.1/24)")
        if tokens[2] == "dst" and has_mask:
            errs.append("a destination IP takes no mask")
    elif cmd == "set" and tokens[2:4] in (["src", "mac"], ["dst", "mac"]):
        (st.src_mac if tokens[2] == "src" else st.dst_mac).update(ports)
    elif cmd == "range" and len(tokens) == 5 and tokens[2] == "size":
        v = num(4)
        if tokens[3] in ("inc", "increment"):
            if v > 1454:
                errs.append("range size increment %d is too large" % v)
        elif not 64 <= v <= 1518:
            errs.append("range size %d is outside 64..1518" % v)
    elif cmd in ("enable", "disable") and len(tokens) == 3 and ports:
        on = cmd == "enable"
        for name, group in (("range", st.range_on), ("vlan", st.vlan_on)):
            if tokens[2] == name:
                if on:
                    group |= ports
                else:
                    group -= ports
        if on and tokens[2] == "vlan" and not ports <= st.vlan_id:
            errs.append("`enable vlan` comes before `set <ports> vlan <id>`")
    elif cmd in ("seq", "sequence"):
        if len(tokens) in (13, 14):
            n, dst_ip, src_ip, vlan, size = num(1), tokens[5], tokens[6], num(11), num(12)
        elif len(tokens) in (21, 23):
            n, dst_ip, src_ip, vlan, size = num(1), tokens[8], tokens[10], num(18), num(20)
        else:
            n, dst_ip, src_ip, vlan, size = num(1), None, None, 1, 64
        if n > 15:
            errs.append("sequence number %d: pktgen keeps 16 (0..15)" % n)
        if src_ip is not None and "/" not in src_ip:
            errs.append("a sequence source IP needs its mask (198.18.0.1/24)")
        if dst_ip is not None and "/" in dst_ip:
            errs.append("a sequence destination IP takes no mask")
        if not 1 <= vlan <= 4094:
            errs.append("sequence VLAN ID %d is outside 1..4094" % vlan)
        if not 64 <= size <= 1518:
            errs.append("sequence frame size %d is outside 64..1518" % size)
        for p in ports & PORTS:
            st.seq[p].add(n)
    elif cmd == "delay" and num(1) > 600000:
        errs.append("delay %s ms: more than 10 minutes" % tokens[1])
    elif cmd == "sleep" and num(1) > 600:
        errs.append("sleep %s s: more than 10 minutes" % tokens[1])

    if cmd == "range" and len(tokens) in (5, 6):
        key = " ".join(tokens[2:-1])     # "size start", "src mac start", "dst ip inc"
        for p in ports & PORTS:
            st.range_fields[p].add(key)
    if cmd == "range" and len(tokens) == 4 and tokens[2] == "proto":
        st.range_proto |= ports

    if cmd in ("start", "str") and len(tokens) <= 2:
        started = ports if cmd == "start" else PORTS
        for p in sorted(started & PORTS):
            if p not in st.src_mac or p not in st.dst_mac:
                errs.append("port %d starts before this file set its src and dst MAC "
                            "(the scripts never rely on the NICs' own MACs)" % p)
            if st.seq_cnt[p] and not set(range(st.seq_cnt[p])) <= st.seq[p]:
                errs.append("port %d: seq_cnt %d, but not all of sequence 0..%d is set" %
                            (p, st.seq_cnt[p], st.seq_cnt[p] - 1))
            if p in st.range_on:
                missing = sorted({"src mac start", "dst mac start", "size start"} -
                                 st.range_fields[p])
                if p not in st.range_proto:
                    missing.append("proto")
                if missing:
                    errs.append("port %d starts in range mode without range %s" %
                                (p, ", ".join(missing)))
    return errs


def lint_pkt(path):
    errs = []
    st = PktState()
    with open(path) as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\n")
            where = "%s:%d" % (os.path.basename(path), no)
            if len(line) > MAX_LINE:
                errs.append("%s: %d characters, more than %d" % (where, len(line), MAX_LINE))
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            if "#" in s:
                errs.append("%s: a comment after a command: %s" % (where, s))
                continue
            tokens = s.split()
            form = match(tokens)
            if form is None:
                errs.append("%s: not a command form both Pktgen trees accept: %s" % (where, s))
                continue
            errs += ["%s: %s" % (where, e) for e in semantic(tokens, form, st)]
    return errs


def lint_lua(path):
    errs = []
    text = open(path).read()
    code = re.sub(r"--[^\n]*", "", text)          # comments mention the API too
    for name in sorted(set(re.findall(r"\bpktgen\.([A-Za-z_][A-Za-z0-9_]*)", code))):
        if name not in LUA_API:
            errs.append("%s: pktgen.%s is not in the checked Lua API" %
                        (os.path.basename(path), name))
    return errs


def header_lines(path):
    prefix = "--" if path.endswith(".lua") else "#"
    out = []
    with open(path) as f:
        for line in f:
            if not line.startswith(prefix):
                break
            out.append(line[len(prefix):].rstrip("\n"))
    return out


def lint_header(path):
    text = "\n".join(header_lines(path))
    return ["%s: the header has no '%s' section" % (os.path.basename(path), m)
            for m in HEADER_MARKS if m not in text]


def vswitchctl_lines(path):
    return [m.group(1) for m in
            (re.match(r"^\s+vswitchctl\s+(.+?)\s*$", line) for line in header_lines(path)) if m]


def lint_vswitchctl(paths, exe):
    errs, seen = [], {}
    for path in paths:
        for cmd in vswitchctl_lines(path):
            seen.setdefault(cmd, os.path.basename(path))
    with tempfile.TemporaryDirectory() as tmp:
        sock = os.path.join(tmp, "no-vswitchd.sock")
        for cmd, where in sorted(seen.items()):
            r = subprocess.run([exe, "--socket", sock] + cmd.split(), capture_output=True,
                               text=True, timeout=30)
            if r.returncode != 3:
                errs.append("%s: `vswitchctl %s` exited %d (3 = parsed, no vswitchd): %s" %
                            (where, cmd, r.returncode, (r.stderr or r.stdout).strip()))
    return errs, len(seen)


def self_test():
    """The linter must reject what pktgen would reject or misread."""
    bad = [
        ["set", "0", "dst", "mac", "02:70:67:00:00"],         # short MAC
        ["set", "0", "rate", "fast"],                          # not a number
        ["range", "0", "dst", "ip", "begin", "1.2.3.4"],       # not start|min|max|inc
        ["restart", "0"],                                      # 2019 and 2023 differ
        ["latency", "0", "rate", "1000"],                      # 2023 only
        ["page", "lat"],                                       # 2023 only
        ["set", "0", "txburst", "32"],                         # 2023 only
    ]
    for toks in bad:
        if match(toks):
            return "self-test: the allow-list accepts %r" % " ".join(toks)
    good = [
        "set 0 src ip 198.18.0.1/24", "range 0 src ip inc 0.0.0.1", "enable all vlan",
        "seq 0 0 02:70:67:00:00:01 02:70:67:00:00:00 198.19.0.1 198.18.0.1/24 1234 5678 ipv4 udp 1 64",
        "page latency", "delay 1000", "set all seq_cnt 0", "clr",
    ]
    for s in good:
        if not match(s.split()):
            return "self-test: the allow-list rejects %r" % s
    st = PktState()
    if not semantic("set 0 size 9000".split(), "set %P %|" + SET_TYPES + " %d", st):
        return "self-test: set size 9000 passes"
    if not semantic("start 0".split(), "start %P", PktState()):
        return "self-test: start without MACs passes"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--vswitchctl")
    args = ap.parse_args()

    err = self_test()
    if err:
        print(err)
        return 1

    d = args.dir
    pkts = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".pkt"))
    luas = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".lua"))
    scripts = pkts + [p for p in luas if not os.path.basename(p).startswith("hvnet_")]
    errs = []
    for p in pkts:
        errs += lint_pkt(p)
    for p in luas:
        errs += lint_lua(p)
    for p in scripts:
        errs += lint_header(p)

    readme = open(os.path.join(d, "README.md")).read()
    names = {os.path.basename(p) for p in scripts}
    for topo in TOPOS:
        for test in TESTS:
            for ext in ("pkt", "lua"):
                n = "%s-%s.%s" % (topo, test, ext)
                if n not in names:
                    errs.append("%s is missing" % n)
    for n in sorted(names):
        if n not in readme:
            errs.append("README.md does not list %s" % n)
    for n in sorted(set(re.findall(r"\b(p2p-[a-z0-9-]+\.(?:pkt|lua)|pvp-[a-z0-9-]+\.(?:pkt|lua))",
                                   readme)) - names):
        errs.append("README.md lists %s, which does not exist" % n)

    if args.vswitchctl and not os.access(args.vswitchctl, os.X_OK):
        errs.append("--vswitchctl %s is not an executable" % args.vswitchctl)
        vmsg = ""
    elif args.vswitchctl:
        verrs, n = lint_vswitchctl(scripts, args.vswitchctl)
        errs += verrs
        vmsg = "%d distinct vswitchctl lines parse" % n
    else:
        vmsg = "vswitchctl lines not run (no --vswitchctl)"

    for e in errs:
        print("FAIL", e)
    if errs:
        return 1
    nlines = sum(1 for p in pkts for line in open(p) if line.strip() and not line.lstrip().startswith("#"))
    print("lint: %d .pkt files (%d command lines), %d .lua files, headers and README table ok; %s"
          % (len(pkts), nlines, len(luas), vmsg))
    return 0


if __name__ == "__main__":
    sys.exit(main())
