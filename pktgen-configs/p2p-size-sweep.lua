-- hvnet pktgen-configs/p2p-size-sweep.lua (P2P)
-- What it sends: 64, 128, 256, 512, 1024, 1280, 1518 bytes and IMIX at 100%,
--   10 s measured each.
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
--       -f pktgen-configs/p2p-size-sweep.lua
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
-- Line rate, Mpps = Gb/s * 1000 / ((size + 20) * 8), the 20 bytes being
-- preamble and inter-frame gap on the wire:
--   size     10 GbE   25 GbE   40 GbE  100 GbE
--     64     14.881   37.202   59.524  148.810
--    128      8.446   21.115   33.784   84.459
--    256      4.529   11.322   18.116   45.290
--    512      2.350    5.874    9.398   23.496
--   1024      1.197    2.993    4.789   11.973
--   1280      0.962    2.404    3.846    9.615
--   1518      0.813    2.032    3.251    8.127
--   IMIX      3.344    8.359   13.375   33.437  (7:4:1 of 64/570/1518, 353.83 B)
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

H.run("size-sweep", "p2p")
