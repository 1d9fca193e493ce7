-- hvnet_pktgen.lua: the helpers hvnet's Pktgen-DPDK Lua scripts share.
-- The scripts next to this file load it with dofile(); it runs nothing by
-- itself. See README.md for the set-up, the topologies and how to read the
-- tables the scripts print.
--
-- Only these Pktgen Lua calls are used, each in the form the 2019-2020
-- app/lpktgenlib.c takes and the 2023 tree uses (its `save x.lua` output,
-- its scripts/ and test/ Lua files; README.md, "Pktgen sources checked").
-- pktgen.linkState is only called through pcall. pl is a port list string
-- ("0", "0,1"), state is "enable" or "disable":
--   pktgen.set(pl, "count"|"size"|"rate"|"sport"|"dport"|"seq_cnt", n)
--   pktgen.set_mac(pl, "src"|"dst", mac)    (three arguments since 2020)
--   pktgen.set_ipaddr(pl, "src"|"dst", ip)  pktgen.set_proto(pl, "udp")
--   pktgen.set_type(pl, "ipv4")             pktgen.set_range(pl, state)
--   pktgen.src_mac|dst_mac|src_ip|dst_ip|src_port|dst_port|pkt_size(pl, "start"|"min"|"max"|"inc", v)
--   pktgen.ip_proto(pl, "udp")  pktgen.vlan(pl, state)  pktgen.vlanid(pl, id)
--   pktgen.latency(pl, state)   pktgen.seqTable(n, pl, entry)
--   pktgen.start(pl)  pktgen.stop(pl)  pktgen.clr()  pktgen.delay(ms)
--   pktgen.screen("on"|"off")  pktgen.quit()
--   pktgen.portStats(pl, "port"|"rate")  pktgen.pktStats(pl)  pktgen.linkState(pl)
--
-- Environment (all optional):
--   HVNET_PKTGEN_SECONDS    measured seconds per trial (each script has a default)
--   HVNET_PKTGEN_WARMUP_MS  traffic before the measured seconds start (2000)
--   HVNET_PKTGEN_OUT        directory for the CSV file (the current directory)
--   HVNET_PKTGEN_LINK_GBPS  link speed when pktgen.linkState() reports none
--   HVNET_PKTGEN_LOADS      latency scripts: offered loads in % of line rate ("10,50,90")
--   HVNET_PKTGEN_QUIT       "1": quit pktgen when the script is done

local H = {}

-- Addresses. The generator sends from its own locally administered MACs,
-- so pktgen must run with -P (promiscuous) to receive them back.
H.MAC = {
    gen0 = "02:70:67:00:00:00",     -- generator port 0
    gen1 = "02:70:67:00:00:01",     -- generator port 1
    vnic = "02:15:5d:00:10:01",     -- vNIC vnf0 (vswitchctl port add ... --mac)
    zero = "00:00:00:00:00:00",
}
H.NET0, H.NET1 = "198.18.0.1", "198.19.0.1"   -- RFC 2544 benchmarking range
H.SPORT, H.DPORT = 1234, 5678
H.VLAN = 100
H.SIZES = { 64, 128, 256, 512, 1024, 1280, 1518 }
-- Simple IMIX, 7:4:1 by count: 64, 570 and 1518 bytes, 353.83 B on average.
H.IMIX = { 64, 570, 64, 64, 570, 64, 1518, 64, 570, 64, 570, 64 }

local function env(name)
    local v = os.getenv(name)
    if v == nil or v == "" then
        return nil
    end
    return v
end

local function env_int(name, default)
    local v = env(name)
    if v == nil then
        return default
    end
    local n = math.tointeger(tonumber(v))
    if n == nil or n < 0 then
        error(name .. " must be a whole number, not '" .. v .. "'")
    end
    return n
end

function H.loads(default)
    local v = env("HVNET_PKTGEN_LOADS")
    if v == nil then
        return default
    end
    local t = {}
    for item in v:gmatch("[^,]+") do
        local n = math.tointeger(tonumber(item))
        if n == nil or n < 1 or n > 100 then
            error("HVNET_PKTGEN_LOADS: '" .. item .. "' is not a load from 1 to 100")
        end
        t[#t + 1] = n
    end
    return t
end

-- Frames per second at line rate: size counts the FCS, and every frame
-- also takes 20 bytes of preamble and inter-frame gap on the wire.
function H.line_rate_mpps(size, gbps)
    return gbps * 1000.0 / ((size + 20) * 8)
end

function H.imix_avg()
    local sum = 0
    for _, s in ipairs(H.IMIX) do
        sum = sum + s
    end
    return sum / #H.IMIX
end

-- The link speed pktgen sees ("<UP-10000-FD>"), in Gb/s.
function H.link_gbps(port)
    local forced = env("HVNET_PKTGEN_LINK_GBPS")
    if forced then
        return tonumber(forced)
    end
    local ok, st = pcall(pktgen.linkState, port)
    if ok and type(st) == "table" then
        local s = st[tonumber(port)]
        local mbps = type(s) == "string" and tonumber(s:match("UP%-(%d+)"))
        if mbps and mbps > 0 then
            return mbps / 1000.0
        end
    end
    return 10.0
end

local function ipv4_add(base, n)
    local a, b, c, d = base:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
    local v = ((tonumber(a) * 256 + tonumber(b)) * 256 + tonumber(c)) * 256 + tonumber(d) + n
    return string.format("%d.%d.%d.%d", (v >> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255)
end
H.ipv4_add = ipv4_add

local function port_setup(port, src_mac, dst_mac, src_cidr, dst_ip)
    pktgen.set(port, "count", 0)
    pktgen.set_type(port, "ipv4")
    pktgen.set_proto(port, "udp")
    pktgen.set_mac(port, "src", src_mac)
    pktgen.set_mac(port, "dst", dst_mac)
    pktgen.set_ipaddr(port, "src", src_cidr)
    pktgen.set_ipaddr(port, "dst", dst_ip)
    pktgen.set(port, "sport", H.SPORT)
    pktgen.set(port, "dport", H.DPORT)
    pktgen.set_range(port, "disable")
    pktgen.set(port, "seq_cnt", 0)
    pktgen.vlan(port, "disable")
    pktgen.latency(port, "disable")
end

-- Starts a script: screen off (so the table can be read), both ports set
-- up, then a short burst from every sending port so that hvnet's switch
-- learns the generator's MACs before anything is measured.
-- topo: "p2p" (port 0 -> up-a -> hvsw -> up-b -> port 1) or
--       "pvp" (port 0 -> up-a -> hvsw -> vnf0 -> VNF -> vnf0 -> hvsw -> up-a -> port 0).
-- opts.vlan: tag every frame with this VLAN ID.
function H.begin(name, topo, default_seconds, opts)
    opts = opts or {}
    assert(topo == "p2p" or topo == "pvp", "topology is p2p or pvp")
    local ctx = {
        name = name,
        topo = topo,
        tx = "0",
        rx = (topo == "p2p") and "1" or "0",
        ports = (topo == "p2p") and "0,1" or "0",
        vlan = opts.vlan,
        seconds = env_int("HVNET_PKTGEN_SECONDS", default_seconds),
        warmup_ms = env_int("HVNET_PKTGEN_WARMUP_MS", 2000),
    }
    ctx.dst_mac = (topo == "p2p") and H.MAC.gen1 or H.MAC.vnic
    if ctx.seconds < 1 then
        error("HVNET_PKTGEN_SECONDS must be at least 1")
    end

    pktgen.screen("off")
    pktgen.stop("all")
    port_setup("0", H.MAC.gen0, ctx.dst_mac, H.NET0 .. "/24", H.NET1)
    if topo == "p2p" then
        port_setup("1", H.MAC.gen1, H.MAC.gen0, H.NET1 .. "/24", H.NET0)
    end
    if ctx.vlan then
        pktgen.vlanid(ctx.ports, ctx.vlan)
        pktgen.vlan(ctx.ports, "enable")
    end
    ctx.gbps = H.link_gbps(ctx.tx)

    -- 64 frames from each sending port teach the switch where the MACs are.
    pktgen.set(ctx.ports, "size", 64)
    pktgen.set(ctx.ports, "rate", 1)
    pktgen.set(ctx.ports, "count", 64)
    pktgen.start(ctx.ports)
    pktgen.delay(1000)
    pktgen.stop(ctx.ports)
    pktgen.set(ctx.ports, "count", 0)
    return ctx
end

-- Single-packet mode at one frame size.
function H.single(ctx, size)
    pktgen.set_range(ctx.tx, "disable")
    pktgen.set(ctx.tx, "seq_cnt", 0)
    pktgen.set(ctx.tx, "size", size)
end

-- Sequence mode: the 12 IMIX frames.
function H.imix(ctx)
    pktgen.set_range(ctx.tx, "disable")
    for i, size in ipairs(H.IMIX) do
        pktgen.seqTable(i - 1, ctx.tx, {
            eth_dst_addr = ctx.dst_mac,
            eth_src_addr = H.MAC.gen0,
            ip_dst_addr = H.NET1,
            ip_src_addr = H.NET0 .. "/24",
            sport = H.SPORT,
            dport = H.DPORT,
            ethType = "ipv4",
            ipProto = "udp",
            vlanid = ctx.vlan or 1,
            pktSize = size,
            cos = 0,
            tos = 0,
            gtpu_teid = 0,
        })
    end
    pktgen.set(ctx.tx, "seq_cnt", #H.IMIX)
end

-- Range mode: n_src source IPs x n_dst destination IPs x n_sport UDP
-- source ports. The counters wrap independently, so with pairwise coprime
-- counts the number of distinct flows is their product. Pktgen builds each
-- frame of its range mbuf pool once, so more flows than that pool holds
-- (about 20,000 mbufs in the sources checked) repeat.
function H.range(ctx, size, n_src, n_dst, n_sport)
    local p = ctx.tx
    pktgen.set(p, "seq_cnt", 0)
    pktgen.ip_proto(p, "udp")
    pktgen.src_mac(p, "start", H.MAC.gen0)
    pktgen.src_mac(p, "inc", H.MAC.zero)
    pktgen.dst_mac(p, "start", ctx.dst_mac)
    pktgen.dst_mac(p, "inc", H.MAC.zero)
    pktgen.src_ip(p, "start", H.NET0)
    pktgen.src_ip(p, "min", H.NET0)
    pktgen.src_ip(p, "max", ipv4_add(H.NET0, n_src - 1))
    pktgen.src_ip(p, "inc", n_src > 1 and "0.0.0.1" or "0.0.0.0")
    pktgen.dst_ip(p, "start", H.NET1)
    pktgen.dst_ip(p, "min", H.NET1)
    pktgen.dst_ip(p, "max", ipv4_add(H.NET1, n_dst - 1))
    pktgen.dst_ip(p, "inc", n_dst > 1 and "0.0.0.1" or "0.0.0.0")
    pktgen.src_port(p, "start", 1024)
    pktgen.src_port(p, "min", 1024)
    pktgen.src_port(p, "max", 1024 + n_sport - 1)
    pktgen.src_port(p, "inc", n_sport > 1 and 1 or 0)
    pktgen.dst_port(p, "start", H.DPORT)
    pktgen.dst_port(p, "min", H.DPORT)
    pktgen.dst_port(p, "max", H.DPORT)
    pktgen.dst_port(p, "inc", 0)
    pktgen.pkt_size(p, "start", size)
    pktgen.pkt_size(p, "min", size)
    pktgen.pkt_size(p, "max", size)
    pktgen.pkt_size(p, "inc", 0)
    pktgen.set_range(p, "enable")
end

local function median(t)
    if #t == 0 then
        return 0
    end
    local s = {}
    for i, v in ipairs(t) do
        s[i] = v
    end
    table.sort(s)
    local m = (#s + 1) // 2
    if #s % 2 == 1 then
        return s[m]
    end
    return (s[m] + s[m + 1]) / 2
end
H.median = median

local function pick(t, a, b)
    if type(t) ~= "table" then
        return 0
    end
    return t[a] or t[b] or 0
end

-- One trial: port ctx.tx sends at rate percent of the link for the warm-up
-- and ctx.seconds more. The Mpps are medians of pktgen's one-second rates
-- over the measured seconds; the counts and the loss cover the whole
-- trial, read 2 s after the stop (frames in flight arrive, and pktgen
-- refreshes its counters once a second).
function H.trial(ctx, rate)
    local txid, rxid = tonumber(ctx.tx), tonumber(ctx.rx)
    pktgen.set(ctx.tx, "rate", rate)
    pktgen.clr()
    pktgen.start(ctx.tx)
    pktgen.delay(ctx.warmup_ms)
    local txs, rxs = {}, {}
    for _ = 1, ctx.seconds do
        pktgen.delay(1000)
        local r = pktgen.portStats(ctx.ports, "rate")
        txs[#txs + 1] = pick(r[txid], "pkts_tx", "opackets")
        rxs[#rxs + 1] = pick(r[rxid], "pkts_rx", "ipackets")
    end
    pktgen.stop(ctx.tx)
    pktgen.delay(2000)
    local p = pktgen.portStats(ctx.ports, "port")
    local res = {
        tx_mpps = median(txs) / 1e6,
        rx_mpps = median(rxs) / 1e6,
        tx_pkts = pick(p[txid], "opackets", "pkts_tx"),
        rx_pkts = pick(p[rxid], "ipackets", "pkts_rx"),
        rx_missed = pick(p[rxid], "imissed", "imissed"),
    }
    if res.tx_pkts > 0 then
        res.loss_pct = (res.tx_pkts - res.rx_pkts) * 100.0 / res.tx_pkts
    end
    return res
end

-- Latency as pktgen reports it for the receiving port. The 2023 sources
-- return a "latency" table (num_pkts, min_us, avg_us, max_us); the 2019
-- ones flat fields (min_latency, avg_latency, max_latency in microseconds).
function H.latency_read(ctx)
    local rxid = tonumber(ctx.rx)
    local ok, st = pcall(pktgen.pktStats, ctx.rx)
    local s = ok and type(st) == "table" and st[rxid] or nil
    if type(s) ~= "table" then
        return nil
    end
    if type(s.latency) == "table" then
        local l = s.latency
        return { min = l.min_us, avg = l.avg_us, max = l.max_us, samples = l.num_pkts }
    end
    if s.avg_latency then
        return { min = s.min_latency, avg = s.avg_latency, max = s.max_latency }
    end
    return nil
end

-- The table: printed as it grows, and written to a CSV file.
local function fmt(v)
    if v == nil then
        return "n/a"
    end
    if type(v) == "number" then
        if math.type(v) == "integer" then
            return string.format("%d", v)
        end
        return string.format("%.3f", v)
    end
    return tostring(v)
end

function H.table(ctx, columns)
    local dir = env("HVNET_PKTGEN_OUT") or "."
    local path = dir .. "/" .. ctx.name .. "-" .. os.date("%Y%m%d-%H%M%S") .. ".csv"
    local f, err = io.open(path, "w")
    local t = { f = f, path = path, columns = columns }

    local function emit(line)
        io.write(line, "\n")
        io.flush()
        if t.f then
            t.f:write(line, "\n")
            t.f:flush()
        end
    end
    t.emit = emit

    local version = type(pktgen.info) == "table" and pktgen.info.Pktgen_Version or "pktgen"
    emit(string.format("# %s: %s, %s, link %s Gb/s, %d s measured per trial after %d ms warm-up",
        ctx.name, ctx.topo, tostring(version), fmt(ctx.gbps), ctx.seconds, ctx.warmup_ms))
    if f then
        emit("# CSV also in " .. path)
    else
        emit("# cannot write " .. path .. " (" .. tostring(err) .. "); printing only")
    end
    emit(table.concat(columns, ","))

    function t.row(values)
        local out = {}
        for i, c in ipairs(columns) do
            out[i] = fmt(values[c])
        end
        emit(table.concat(out, ","))
    end
    return t
end

H.THROUGHPUT = { "case", "size_B", "tx_Mpps", "rx_Mpps", "loss_pct", "line_Mpps",
                 "rx_pct_of_line", "tx_pkts", "rx_pkts", "gen_rx_missed" }

-- A throughput row from a trial result; size is the frame size in bytes
-- (with FCS) or the IMIX average.
function H.throughput_row(ctx, tbl, case, size, res)
    local line = H.line_rate_mpps(size, ctx.gbps)
    tbl.row({
        case = case,
        size_B = size,
        tx_Mpps = res.tx_mpps,
        rx_Mpps = res.rx_mpps,
        loss_pct = res.loss_pct,
        line_Mpps = line,
        rx_pct_of_line = res.rx_mpps * 100.0 / line,
        tx_pkts = res.tx_pkts,
        rx_pkts = res.rx_pkts,
        gen_rx_missed = res.rx_missed,
    })
end

function H.finish(ctx, tbl)
    if tbl and tbl.f then
        tbl.f:close()
    end
    pktgen.screen("on")
    if env("HVNET_PKTGEN_QUIT") == "1" then
        pktgen.quit()
    end
end


-- The scripts' bodies: p2p-KIND.lua and pvp-KIND.lua run the same case on
-- their topology, H.run(KIND, TOPOLOGY).
H.cases = {}

H.cases["64b-linerate"] = function(topo)
    local ctx = H.begin(topo .. "-64b-linerate", topo, 30)
    local tbl = H.table(ctx, H.THROUGHPUT)
    H.single(ctx, 64)
    H.throughput_row(ctx, tbl, "64", 64, H.trial(ctx, 100))
    H.finish(ctx, tbl)
end

H.cases["latency"] = function(topo)
    local ctx = H.begin(topo .. "-latency", topo, 10)
    local tbl = H.table(ctx, {"case", "load_pct", "size_B", "tx_Mpps", "rx_Mpps", "loss_pct",
                              "lat_min_us", "lat_avg_us", "lat_max_us", "lat_samples"})
    H.single(ctx, 128)
    for _, load in ipairs(H.loads({10, 50, 90})) do
        -- Latency on the sending and the receiving port, off and on again
        -- between loads (H.trial clears the statistics too).
        pktgen.latency(ctx.ports, "disable")
        pktgen.latency(ctx.ports, "enable")
        local res = H.trial(ctx, load)
        local lat = H.latency_read(ctx) or {}
        tbl.row({
            case = "128@" .. load .. "%",
            load_pct = load,
            size_B = 128,
            tx_Mpps = res.tx_mpps,
            rx_Mpps = res.rx_mpps,
            loss_pct = res.loss_pct,
            lat_min_us = lat.min,
            lat_avg_us = lat.avg,
            lat_max_us = lat.max,
            lat_samples = lat.samples,
        })
    end
    pktgen.latency(ctx.ports, "disable")
    H.finish(ctx, tbl)
end

H.cases["multiflow"] = function(topo)
    local ctx = H.begin(topo .. "-multiflow", topo, 10)
    local tbl = H.table(ctx, H.THROUGHPUT)
    for _, flows in ipairs({1, 10, 100, 1000, 10000}) do
        H.range(ctx, 64, flows, 1, 1)
        H.throughput_row(ctx, tbl, "flows=" .. flows, 64, H.trial(ctx, 100))
    end
    H.range(ctx, 64, 100, 9, 7)
    H.throughput_row(ctx, tbl, "flows=6300:100srcIPx9dstIPx7sport", 64, H.trial(ctx, 100))
    H.single(ctx, 64)
    H.finish(ctx, tbl)
end

-- Every size and IMIX at 100%; the VLAN case tags every frame.
local function sweep(name, topo, opts)
    local ctx = H.begin(topo .. "-" .. name, topo, 10, opts)
    local tbl = H.table(ctx, H.THROUGHPUT)
    for _, size in ipairs(H.SIZES) do
        H.single(ctx, size)
        H.throughput_row(ctx, tbl, tostring(size), size, H.trial(ctx, 100))
    end
    H.imix(ctx)
    H.throughput_row(ctx, tbl, "imix", H.imix_avg(), H.trial(ctx, 100))
    H.single(ctx, 64)
    H.finish(ctx, tbl)
end

H.cases["size-sweep"] = function(topo)
    sweep("size-sweep", topo, nil)
end

H.cases["vlan"] = function(topo)
    sweep("vlan", topo, {vlan = H.VLAN})
end

function H.run(kind, topo)
    local case = H.cases[kind]
    if case == nil then
        error("hvnet_pktgen.lua has no case '" .. tostring(kind) .. "'")
    end
    return case(topo)
end

return H
