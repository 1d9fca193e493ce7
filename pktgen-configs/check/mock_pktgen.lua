-- check/mock_pktgen.lua: runs one of the hvnet Pktgen Lua scripts against a
-- stand-in for Pktgen's Lua library, in plain Lua 5.3, with no NIC.
--
--   lua5.3 check/mock_pktgen.lua SCRIPT.lua [table|flat]
--
-- The stand-in has only the pktgen.* functions hvnet_pktgen.lua lists, with
-- the argument counts and argument forms of Pktgen's app/lpktgenlib.c
-- (README.md, "Pktgen sources checked"); anything else is an error. It
-- simulates a 10 Gb/s generator whose frames reach port 1 when sent to
-- 02:70:67:00:00:01 (P2P) and come back to the sending port when sent to
-- the vNIC 02:15:5d:00:10:01 (PVP), so the script's loops, arithmetic and
-- table run end to end. "flat" makes pktgen.pktStats() report latency the
-- way the 2019 Pktgen sources do ("table": the 2023 form).
--
-- After the script it checks the CSV file the script wrote: a header, at
-- least one row, every row as wide as the header, numbers where numbers
-- belong, traffic received in every row, and every port stopped at the end.

local script, lat_shape = arg[1], arg[2] or "table"
if not script then
    io.stderr:write("usage: lua5.3 mock_pktgen.lua SCRIPT.lua [table|flat]\n")
    os.exit(2)
end

local MAC = { gen0 = "02:70:67:00:00:00", gen1 = "02:70:67:00:00:01", vnic = "02:15:5d:00:10:01" }
local GBPS = 10
local MAX_SEQ = 16

-- An error at the script's line that called the stand-in.
local function fail(fmt, ...)
    local where = ""
    for level = 2, 50 do
        local info = debug.getinfo(level, "Sl")
        if not info then
            break
        end
        if info.currentline > 0 and not info.source:match("mock_pktgen%.lua$") then
            where = info.short_src .. ":" .. info.currentline .. ": "
            break
        end
    end
    error(where .. string.format(fmt, ...), 0)
end

local function new_port(id)
    return {
        id = id, own_mac = (id == 0) and MAC.gen0 or MAC.gen1,
        sending = false, rate = 100, size = 64, count = 0, left = nil,
        src_mac = nil, dst_mac = nil, proto = "tcp", type = "ipv4",
        seq_cnt = 0, seq = {}, range = false, rng = {}, vlan = false, vlanid = nil,
        latency = false, opackets = 0, ipackets = 0, rate_tx = 0, rate_rx = 0,
        lat_pkts = 0,
    }
end
local ports = { [0] = new_port(0), [1] = new_port(1) }

-- ---- argument forms -------------------------------------------------------

local function nargs(name, want, ...)
    local n = select("#", ...)
    if n ~= want then
        fail("pktgen.%s takes %d arguments, got %d", name, want, n)
    end
end

local function portlist(pl)
    if type(pl) ~= "string" then
        fail("port list must be a string like \"0\" or \"0,1\", got %s", type(pl))
    end
    if pl == "all" then
        return { 0, 1 }
    end
    if not pl:match("^%d+$") and not pl:match("^%d+[,%-][%d,%-]*%d$") then
        fail("bad port list '%s'", pl)
    end
    local ids = {}
    for a, b in pl:gmatch("(%d+)%-?(%d*)") do
        local lo, hi = tonumber(a), tonumber(b ~= "" and b or a)
        for i = lo, hi do
            if ports[i] == nil then
                fail("port %d: the scripts drive a two-port generator (0 and 1)", i)
            end
            ids[#ids + 1] = i
        end
    end
    return ids
end

local function state(s)
    if s == "enable" or s == "on" then
        return true
    elseif s == "disable" or s == "off" then
        return false
    end
    fail("state must be enable|disable|on|off, got '%s'", tostring(s))
end

local function int(v, lo, hi, what)
    if math.type(v) ~= "integer" then
        fail("%s must be a Lua integer, got %s", what, tostring(v))
    end
    if v < lo or v > hi then
        fail("%s %d is outside %d..%d", what, v, lo, hi)
    end
    return v
end

local function mac(s)
    if type(s) ~= "string" or not s:match("^%x%x:%x%x:%x%x:%x%x:%x%x:%x%x$") then
        fail("bad MAC address '%s'", tostring(s))
    end
    return s:lower()
end

local function ipv4(s, mask)
    if type(s) ~= "string" then
        fail("IP address must be a string")
    end
    local addr, len = s:match("^([%d%.]+)/(%d+)$")
    if mask == "required" and not addr then
        fail("source IP '%s' needs its mask, like 198.18.0.1/24", s)
    end
    if mask ~= "required" and addr then
        fail("IP '%s' takes no mask here", s)
    end
    addr = addr or s
    local a, b, c, d = addr:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
    if not a or tonumber(a) > 255 or tonumber(b) > 255 or tonumber(c) > 255 or tonumber(d) > 255 then
        fail("bad IPv4 address '%s'", s)
    end
    if len and tonumber(len) > 32 then
        fail("bad mask in '%s'", s)
    end
    return s
end

local function smmi(what)
    if what ~= "start" and what ~= "min" and what ~= "max" and what ~= "inc" then
        fail("range field must be start|min|max|inc, got '%s'", tostring(what))
    end
    return what
end

-- ---- the traffic model ----------------------------------------------------

local function mode_frames(p)
    if p.range then
        local r = p.rng
        if not (r.pkt_size and r.pkt_size.start and r.dst_mac and r.src_mac) then
            fail("port %d: range mode without range size and MACs", p.id)
        end
        return r.pkt_size.start, r.dst_mac.start, r.src_mac.start
    elseif p.seq_cnt > 0 then
        local sum, dst, src = 0, nil, nil
        for i = 0, p.seq_cnt - 1 do
            local e = p.seq[i]
            if not e then
                fail("port %d: seq_cnt %d but sequence entry %d was never set", p.id, p.seq_cnt, i)
            end
            sum = sum + e.size
            if dst and dst ~= e.dst then
                fail("port %d: sequence entries go to different MACs", p.id)
            end
            dst, src = e.dst, e.src
        end
        return sum / p.seq_cnt, dst, src
    end
    return p.size, p.dst_mac, p.src_mac
end

local function receiver(p, dst)
    if dst == MAC.gen1 then
        return ports[1]
    elseif dst == MAC.gen0 then
        return ports[0]
    elseif dst == MAC.vnic then
        return p -- the VNF swaps the MACs and the frame comes back
    end
    fail("port %d sends to %s, which reaches no generator port", p.id, tostring(dst))
end

local function advance(ms)
    for i = 0, 1 do
        ports[i].rate_tx, ports[i].rate_rx = 0, 0
    end
    for i = 0, 1 do
        local p = ports[i]
        if p.sending then
            local size, dst, src = mode_frames(p)
            if src ~= p.own_mac then
                fail("port %d sends from %s, not its own %s", p.id, tostring(src), p.own_mac)
            end
            if p.type ~= "ipv4" or p.proto ~= "udp" then
                fail("port %d sends %s/%s, the scripts send ipv4/udp", p.id, p.type, p.proto)
            end
            if p.vlan and not p.vlanid then
                fail("port %d: VLAN tagging on but no VLAN ID set", p.id)
            end
            local pps = GBPS * 1e9 / ((size + 20) * 8) * p.rate / 100
            local n = math.floor(pps * ms / 1000)
            if p.left then
                n = math.min(n, p.left)
                p.left = p.left - n
                if p.left == 0 then
                    p.sending = false
                end
            end
            local got = (p.rate >= 100) and math.floor(n * 0.999) or n
            local r = receiver(p, dst)
            p.opackets = p.opackets + n
            r.ipackets = r.ipackets + got
            p.rate_tx = p.rate_tx + math.floor(n * 1000 / ms)
            r.rate_rx = r.rate_rx + math.floor(got * 1000 / ms)
            if p.latency and r.latency then
                r.lat_pkts = r.lat_pkts + ms // 10
            end
        end
    end
end

-- ---- the library ------------------------------------------------------------

local P = {}
local range_fields = {
    src_mac = mac, dst_mac = mac,
    src_ip = function(v) return ipv4(v, "none") end,
    dst_ip = function(v) return ipv4(v, "none") end,
    src_port = function(v) return int(v, 0, 65535, "UDP port") end,
    dst_port = function(v) return int(v, 0, 65535, "UDP port") end,
    pkt_size = function(v) return int(v, 0, 1518, "range frame size") end,
}
for name, check in pairs(range_fields) do
    P[name] = function(...)
        nargs(name, 3, ...)
        local pl, what, v = ...
        smmi(what)
        v = check(v)
        if name == "pkt_size" and what ~= "inc" and v < 64 then
            fail("range frame size %d is below 64", v)
        end
        for _, i in ipairs(portlist(pl)) do
            ports[i].rng[name] = ports[i].rng[name] or {}
            ports[i].rng[name][what] = v
        end
    end
end

function P.set(...)
    nargs("set", 3, ...)
    local pl, what, v = ...
    local limits = {
        count = { 0, 1 << 40 }, size = { 64, 1518 }, rate = { 0, 100 },
        sport = { 0, 65535 }, dport = { 0, 65535 }, seq_cnt = { 0, MAX_SEQ },
    }
    local l = limits[what]
    if not l then
        fail("pktgen.set '%s' is not one the scripts may use", tostring(what))
    end
    int(v, l[1], l[2], "set " .. what)
    for _, i in ipairs(portlist(pl)) do
        local p = ports[i]
        if what == "seq_cnt" then
            p.seq_cnt = v
        else
            p[what] = v
        end
    end
end

function P.set_mac(...)
    nargs("set_mac", 3, ...)
    local pl, which, m = ...
    if which ~= "src" and which ~= "dst" then
        fail("set_mac takes src|dst, got '%s'", tostring(which))
    end
    m = mac(m)
    for _, i in ipairs(portlist(pl)) do
        ports[i][which .. "_mac"] = m
    end
end

function P.set_ipaddr(...)
    nargs("set_ipaddr", 3, ...)
    local pl, which, ip = ...
    if which ~= "src" and which ~= "dst" then
        fail("set_ipaddr takes src|dst, got '%s'", tostring(which))
    end
    ipv4(ip, which == "src" and "required" or "none")
    portlist(pl)
end

function P.set_proto(...)
    nargs("set_proto", 2, ...)
    local pl, proto = ...
    if proto ~= "udp" and proto ~= "tcp" and proto ~= "icmp" then
        fail("set_proto takes udp|tcp|icmp, got '%s'", tostring(proto))
    end
    for _, i in ipairs(portlist(pl)) do
        ports[i].proto = proto
    end
end

function P.set_type(...)
    nargs("set_type", 2, ...)
    local pl, t = ...
    if t ~= "ipv4" and t ~= "ipv6" then
        fail("set_type takes ipv4|ipv6 here, got '%s'", tostring(t))
    end
    for _, i in ipairs(portlist(pl)) do
        ports[i].type = t
    end
end

function P.ip_proto(...)
    nargs("ip_proto", 2, ...)
    local pl, proto = ...
    if proto ~= "udp" and proto ~= "tcp" then
        fail("ip_proto takes udp|tcp, got '%s'", tostring(proto))
    end
    portlist(pl)
end

local function flag(name, field)
    P[name] = function(...)
        nargs(name, 2, ...)
        local pl, s = ...
        local on = state(s)
        for _, i in ipairs(portlist(pl)) do
            ports[i][field] = on
        end
    end
end
flag("set_range", "range")
flag("vlan", "vlan")
flag("latency", "latency")

function P.vlanid(...)
    nargs("vlanid", 2, ...)
    local pl, id = ...
    int(id, 1, 4094, "VLAN ID")
    for _, i in ipairs(portlist(pl)) do
        ports[i].vlanid = id
    end
end

function P.seqTable(...)
    nargs("seqTable", 3, ...)
    local n, pl, e = ...
    int(n, 0, MAX_SEQ - 1, "sequence number")
    if type(e) ~= "table" then
        fail("seqTable takes a table")
    end
    local need = { "eth_dst_addr", "eth_src_addr", "ip_dst_addr", "ip_src_addr", "sport",
                   "dport", "ethType", "ipProto", "vlanid", "pktSize" }
    for _, k in ipairs(need) do
        if e[k] == nil then
            fail("seqTable entry %d has no %s", n, k)
        end
    end
    ipv4(e.ip_dst_addr, "none")
    ipv4(e.ip_src_addr, "required")
    int(e.sport, 0, 65535, "sport")
    int(e.dport, 0, 65535, "dport")
    int(e.vlanid, 1, 4094, "vlanid")
    int(e.pktSize, 64, 1518, "pktSize")
    if e.ethType ~= "ipv4" or e.ipProto ~= "udp" then
        fail("seqTable entry %d: the scripts send ipv4/udp", n)
    end
    for _, i in ipairs(portlist(pl)) do
        ports[i].seq[n] = { dst = mac(e.eth_dst_addr), src = mac(e.eth_src_addr), size = e.pktSize }
    end
end

function P.start(...)
    nargs("start", 1, ...)
    for _, i in ipairs(portlist((...))) do
        local p = ports[i]
        p.sending = true
        p.left = (p.count > 0) and p.count or nil
    end
end

function P.stop(...)
    nargs("stop", 1, ...)
    for _, i in ipairs(portlist((...))) do
        ports[i].sending = false
    end
end

function P.clr(...)
    nargs("clr", 0, ...)
    for i = 0, 1 do
        local p = ports[i]
        p.opackets, p.ipackets, p.lat_pkts = 0, 0, 0
    end
end

local now_ms = 0
function P.delay(...)
    nargs("delay", 1, ...)
    local ms = int((...), 0, 3600 * 1000, "delay")
    if ms > 0 then
        advance(ms)
        now_ms = now_ms + ms
    end
end

function P.screen(...)
    nargs("screen", 1, ...)
    local s = ...
    if s ~= "on" and s ~= "off" then
        fail("screen takes on|off, got '%s'", tostring(s))
    end
end

local quit_called = false
function P.quit(...)
    nargs("quit", 0, ...)
    quit_called = true
end

function P.portStats(...)
    nargs("portStats", 2, ...)
    local pl, kind = ...
    if kind ~= "port" and kind ~= "rate" then
        fail("portStats takes port|rate, got '%s'", tostring(kind))
    end
    local t, n = {}, 0
    for _, i in ipairs(portlist(pl)) do
        local p = ports[i]
        if kind == "port" then
            t[i] = { ipackets = p.ipackets, opackets = p.opackets, imissed = 0,
                     ierrors = 0, oerrors = 0, rx_nombuf = 0 }
        else
            t[i] = { ipackets = p.rate_rx, opackets = p.rate_tx, pkts_rx = p.rate_rx,
                     pkts_tx = p.rate_tx, imissed = 0 }
        end
        n = n + 1
    end
    t.n = n
    return t
end

function P.pktStats(...)
    nargs("pktStats", 1, ...)
    local t, n = {}, 0
    for _, i in ipairs(portlist((...))) do
        local p = ports[i]
        t[i] = { arp_pkts = 0, echo_pkts = 0, ip_pkts = p.ipackets }
        if p.latency and p.lat_pkts > 0 then
            if lat_shape == "flat" then
                t[i].min_latency, t[i].avg_latency, t[i].max_latency = 9, 12, 40
            else
                t[i].latency = { num_pkts = p.lat_pkts, num_skipped = 0, min_us = 9.5,
                                 avg_us = 12.25, max_us = 40.0 }
            end
        end
        n = n + 1
    end
    t.n = n
    return t
end

function P.linkState(...)
    nargs("linkState", 1, ...)
    local t, n = {}, 0
    for _, i in ipairs(portlist((...))) do
        t[i] = "<UP-10000-FD>"
        n = n + 1
    end
    t.n = n
    return t
end

P.info = { Pktgen_Version = "Pktgen (hvnet check stand-in)" }

pktgen = setmetatable({}, {
    __index = function(_, k)
        local v = P[k]
        if v == nil then
            error("pktgen." .. tostring(k) .. " is not in the Pktgen API these scripts may use", 2)
        end
        return v
    end,
    __newindex = function(_, k)
        error("the script assigns pktgen." .. tostring(k), 2)
    end,
})

-- Record the CSV file the script writes.
local csv_path
local real_open = io.open
io.open = function(path, mode)
    if mode and mode:find("w") and path:match("%.csv$") then
        csv_path = path
    end
    return real_open(path, mode)
end
local ok, err = pcall(dofile, script)
if not ok then
    io.stderr:write(script .. ": " .. tostring(err) .. "\n")
    os.exit(1)
end

local function check(cond, fmt, ...)
    if not cond then
        io.stderr:write(script .. ": " .. string.format(fmt, ...) .. "\n")
        os.exit(1)
    end
end

check(not ports[0].sending and not ports[1].sending, "a port is still sending at the end")
check(csv_path ~= nil, "no CSV file was written")
local f = real_open(csv_path, "r")
check(f ~= nil, "cannot read %s", tostring(csv_path))
local header, rows = nil, 0
for line in f:lines() do
    if not line:match("^#") then
        local fields = {}
        for v in (line .. ","):gmatch("([^,]*),") do
            fields[#fields + 1] = v
        end
        if not header then
            header = fields
        else
            rows = rows + 1
            check(#fields == #header, "row %d has %d fields, the header %d", rows, #fields, #header)
            for k, name in ipairs(header) do
                local v = fields[k]
                if name ~= "case" then
                    check(v == "n/a" or tonumber(v) ~= nil, "row %d: %s is '%s'", rows, name, v)
                end
                if name == "rx_Mpps" then
                    check((tonumber(v) or 0) > 0, "row %d: nothing received", rows)
                end
                if name == "lat_avg_us" then
                    check(tonumber(v) ~= nil, "row %d: no latency read", rows)
                end
            end
        end
    end
end
f:close()
check(header ~= nil and rows > 0, "%s has no rows", csv_path)
print(string.format("ok %s (%s): %d rows, %d ms of simulated traffic", script, lat_shape, rows, now_ms))
