-- hvnet pktgen-configs/p2p-multiflow.lua (P2P)
-- What it sends: 64-byte frames at 100% with 1, 10, 100, 1000, 10000 flows, then
--   a 6,300-flow mix.
--
-- Topology (P2P):
--   generator port 0 ==cable==> hvnet uplink up-a (0000:3b:00.0)
--     -> external switch hvsw (vswitchd; its datapath is one lcore)
--     -> hvnet uplink up-b (0000:3b:00.1) ==cable==> generator port 1
--   Port 0 sends, port 1 receives. Each port first sends 64 frames so that
--   the switch learns both MACs; then every frame is forwarded, not flooded.
--
-- hvnet configuration (hvnet host, vswitchd running; see README.md; vswitchctl
-- is build/vswitch/vswitchctl; --may-exist makes the lines safe to repeat):
--   vswitchctl --may-exist switch create hvsw --type external --aging 3600
--   vswitchctl --may-exist port add hvsw up-a --uplink 0000:3b:00.0
--   vswitchctl --may-exist port add hvsw up-b --uplink 0000:3b:00.1
--   vswitchctl port vlan up-a --untagged
--   vswitchctl port vlan up-b --untagged
--
-- Run (generator host; pktgen 22.x or 23.x on DPDK 22.11, see README.md):
--   pktgen -l 1-5 -n 4 -a 0000:5e:00.0 -a 0000:5e:00.1 -- -P -m "[2:3].0,[4:5].1" \
--       -f pktgen-configs/p2p-multiflow.lua
--   The -a addresses are the generator's two ports. -P is required: the script
--   sends from its own MACs (02:70:67:00:00:00 on port 0, 02:70:67:00:00:01 on port 1).
--   Needs a pktgen built with Lua (meson -Denable_lua=true).
--
-- Reading the result: a table, printed as it grows and written to a CSV file
-- (HVNET_PKTGEN_OUT, see hvnet_pktgen.lua):
--   case,size_B,tx_Mpps,rx_Mpps,loss_pct,line_Mpps,rx_pct_of_line,tx_pkts,rx_pkts,gen_rx_missed
--   tx_Mpps, rx_Mpps: medians of pktgen's one-second rates, port 0 Tx and port 1 Rx
--   loss_pct: (tx_pkts - rx_pkts) * 100 / tx_pkts over the whole trial
--   line_Mpps: line rate for the size at the link speed pktgen reports
--   gen_rx_missed: frames the generator's receiving port itself missed; when
--   it is not 0 the loss is the generator's, not hvnet's.
-- Line rate at 64 B: 14.88 Mpps at 10 GbE (25 GbE 37.20, 40 GbE 59.52, 100 GbE 148.81).
-- Flows: N source IPs (198.18.0.1 up), the rest fixed, so N distinct
-- 5-tuples; the last row mixes 100 source IPs x 9 destination IPs x 7 UDP
-- source ports (pairwise coprime, 6,300 flows). Pktgen builds each frame of
-- its range mbuf pool once, so beyond that pool (about 20,000) flows repeat.
-- netVSP's RSS hashes IPv4 UDP on the two addresses only (netvsp/netvsp_rss.c),
-- so the varying IPs spread the flows over a multi-queue VNF's channels
-- (PVP); in P2P they give the switch many different headers. VMQ (vmq/,
-- planned) steers by vNIC on the uplink: it needs several vNICs, not flows.
-- On the hvnet host, per port and per drop reason (flooded stays near 0 once
-- the MACs are learned; drop_* say where frames were lost):
--   vswitchctl stats --switch hvsw
--
-- Comparing with bench/run on the hvnet host (not while this test runs: both
-- use the host's cores): `bench/run switch` (bench/README.md, "Scenario
-- switch"; `bench/run --list` shows whether your checkout has it) sends
-- port to port through the same switch over two in-memory net_memif ports
-- instead of NICs, one datapath lcore, OVS-DPDK beside it; its case `base`
-- runs 64 to 1518 bytes like the sweep here. Each result is a JSON line with
-- size, mpps (received) and line_rate_ratio. rx Mpps here close to its mpps
-- at the same size, and below line rate: the switch's datapath lcore is the
-- limit in both. rx here at line rate: the switch was not the limit, the wire was.
--
-- Commands checked against the Pktgen 22.x/23.x sources: README.md.
-- pktgen-configs/check.sh checks this file.

-- Load the shared helpers from this script's directory (or HVNET_PKTGEN_DIR).
local src = debug and debug.getinfo and debug.getinfo(1, "S").source or ""
local dir = os.getenv("HVNET_PKTGEN_DIR")
if dir == nil or dir == "" then
    dir = src:match("^@(.*/)") or ""
end
if dir ~= "" and dir:sub(-1) ~= "/" then
    dir = dir .. "/"
end
local H = dofile(dir .. "hvnet_pktgen.lua")

H.run("multiflow", "p2p")
