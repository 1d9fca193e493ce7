-- hvnet pktgen-configs/pvp-latency.lua (PVP)
-- What it sends: 128-byte frames at 10, 50 and 90% of line rate
--   (HVNET_PKTGEN_LOADS), latency on.
--
-- Topology (PVP):
--   generator port 0 ==cable==> hvnet uplink up-a (0000:3b:00.0)
--     -> external switch hvsw -> vNIC port vnf0 (MAC 02:15:5d:00:10:01)
--     -> partition vnf-a: a VNF that sends every frame back out of the same
--        synthetic NIC with the Ethernet source and destination swapped
--        (MAC swap, what dpdk-testpmd --forward-mode=macswap does)
--     -> vnf0 -> hvsw -> up-a ==cable==> generator port 0
--   Port 0 sends and receives; port 1 (cabled to up-b) stays idle. The VNF
--   must be running: vswitchd logs 'port vnf0: partition vnf-a connected'.
--
-- hvnet configuration (hvnet host, vswitchd running; see README.md; vswitchctl
-- is build/vswitch/vswitchctl; --may-exist makes the lines safe to repeat):
--   vswitchctl --may-exist switch create hvsw --type external --aging 3600
--   vswitchctl --may-exist port add hvsw up-a --uplink 0000:3b:00.0
--   vswitchctl --may-exist port add hvsw up-b --uplink 0000:3b:00.1
--   vswitchctl --may-exist port add hvsw vnf0 --vnic vnf-a --mac 02:15:5d:00:10:01
--   vswitchctl port vlan up-a --untagged
--   vswitchctl port vlan up-b --untagged
--   vswitchctl port vlan vnf0 --untagged
--
-- Run (generator host; pktgen 22.x or 23.x on DPDK 22.11, see README.md):
--   pktgen -l 1-5 -n 4 -a 0000:5e:00.0 -a 0000:5e:00.1 -- -P -m "[2:3].0,[4:5].1" \
--       -f pktgen-configs/pvp-latency.lua
--   The -a addresses are the generator's two ports. -P is required: the script
--   sends from its own MAC 02:70:67:00:00:00 and receives frames back to it.
--   Needs a pktgen built with Lua (meson -Denable_lua=true).
--
-- Reading the result: a table, printed as it grows and written to a CSV file
-- (HVNET_PKTGEN_OUT, see hvnet_pktgen.lua), one row per load:
--   case,load_pct,size_B,tx_Mpps,rx_Mpps,loss_pct,lat_min_us,lat_avg_us,lat_max_us,lat_samples
--   lat_*: pktgen.pktStats() of port 0 at the end of the load. The 2023 sources
--   give min/avg/max of 72-byte probes sent every 10 ms and their count; the
--   2019 sources the average since the last read, and no count (n/a).
--   If a release keeps latency counters across `clr`, later rows include the
--   earlier loads: then run one load per run (HVNET_PKTGEN_LOADS=90).
--   The page `page latency` shows the same numbers live.
-- Line rate at 128 B: 8.45 Mpps at 10 GbE (25 GbE 21.11, 40 GbE 33.78, 100 GbE 84.46).
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
-- `bench/run synthetic` measures the synthetic NIC between two process
-- partitions without the switch: the PVP path adds the switch and the
-- uplink to it, twice.
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

H.run("latency", "pvp")
