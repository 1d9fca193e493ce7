#!/bin/bash
# Peer for `bench/run switch`, `partition` and `pvp`: a private Open vSwitch
# with DPDK (Debian's openvswitch-switch-dpdk) switching between net_memif
# ports (memif server role) and/or dpdkvhostuser ports (PORTS) with a
# netdev bridge's NORMAL action, its one PMD thread on
# PMD_CPU. It never touches a system instance: ovsdb-server and
# ovs-vswitchd run with their own database, sockets, pid and log files in
# DIR (OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR/OVS_SYSCONFDIR point there too), and
# DPDK with --in-memory and its own --file-prefix.
#
#   ovs.sh start DIR       start both daemons, bridge br0 with PORTS (default
#                          memif u0 and u1 on DIR/memif-0.sock and -1.sock
#                          unless SOCK0/SOCK1); prints "pid PID" (ovs-vswitchd) once
#                          both ports exist, or exits non-zero with the reason
#   ovs.sh stop DIR        stop both daemons (by their pid files) and remove
#                          the DPDK runtime files
#   ovs.sh flows DIR FILE  replace br0's OpenFlow table with FILE
#                          (ovs-ofctl replace-flows syntax, one flow a line)
#   ovs.sh vsctl DIR ARGS  ovs-vsctl against DIR's database
#   ovs.sh appctl DIR ARGS ovs-appctl against DIR's ovs-vswitchd
#   ovs.sh ofctl DIR ARGS  ovs-ofctl (br0's management socket is in DIR)
#
# Environment (start): PORTS (the bridge's ports, NAME:TYPE each, default
# "u0:memif u1:memif"; memif port uN is the memif server on
# DIR/memif-N.sock, vhost port NAME a dpdkvhostuser port whose socket OVS
# creates as DIR/NAME, for a net_virtio_user client), PMD_CPU (1), MAIN_CPU (0: DPDK's main lcore, which OVS
# uses for its non-PMD threads' DPDK calls), SOCKET_MEM (MiB of hugepages,
# 512; also the limit), MAC_TABLE_SIZE (NORMAL's MAC
# table; OVS's default is 8192), FLOW_LIMIT (datapath flows, OVS's default
# 200000), N_RXQ (rx queues per port, 1), MEMIF_EXTRA (more memif devargs,
# e.g. ",bsize=2048").
#
# memif and OVS: OVS gives every port one tx queue per polling thread (the
# main thread's and the PMD's: 2 here) and its PMD sends on tx queue 1.
# A memif server's tx queue N works only if the client opened rx queue N,
# so the memif client (the generator) must open 2 rx queues and poll both
# (or at least queue 1); with 1 rx queue OVS's frames go nowhere. A client
# opening N tx queues needs N_RXQ >= N here.
set -u

cmd=${1:-}
dir=${2:-}
die() { echo "ovs.sh: $*" >&2; exit 1; }
[ -n "$cmd" ] && [ -n "$dir" ] ||
	die "usage: ovs.sh start|stop|flows|vsctl|appctl|ofctl DIR [...]"
mkdir -p "$dir" || die "cannot create $dir"
dir=$(cd "$dir" && pwd)

export OVS_RUNDIR=$dir OVS_DBDIR=$dir OVS_LOGDIR=$dir OVS_SYSCONFDIR=$dir
db=unix:$dir/db.sock
prefix=ovs-bench-$(basename "$dir" | tr -c 'a-zA-Z0-9\n' -)
vsctl() { ovs-vsctl --db="$db" --timeout=30 "$@"; }

pid_of() { cat "$dir/$1.pid" 2>/dev/null; }

stop() {
	local p n
	for n in ovs-vswitchd ovsdb-server; do
		p=$(pid_of "$n")
		[ -n "$p" ] && kill -0 "$p" 2>/dev/null || continue
		# exit --cleanup would delete the bridge; a plain TERM is enough
		# for a throw-away database.
		kill -TERM "$p" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
	done
	rm -rf "/var/run/dpdk/$prefix"
}

case "$cmd" in
stop)
	stop
	exit 0
	;;
vsctl)
	shift 2
	vsctl "$@"
	exit
	;;
appctl)
	shift 2
	ovs-appctl -t "$dir/ovs-vswitchd.ctl" "$@"
	exit
	;;
ofctl)
	shift 2
	ovs-ofctl "$@"
	exit
	;;
flows)
	[ -r "${3:-}" ] || die "flows: no such file ${3:-}"
	ovs-ofctl replace-flows br0 "$3" || die "ovs-ofctl replace-flows br0 $3 failed"
	exit 0
	;;
start) ;;
*) die "unknown command $cmd" ;;
esac

command -v ovs-vswitchd >/dev/null && command -v ovsdb-server >/dev/null ||
	die "Open vSwitch not installed (apt-get install openvswitch-switch-dpdk)"
# Debian's plain ovs-vswitchd has no DPDK: the alternative must point at
# the DPDK build (update-alternatives --set ovs-vswitchd
# /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk).
ovs-vswitchd --version 2>/dev/null | grep -q DPDK ||
	die "ovs-vswitchd is not the DPDK build: update-alternatives --set ovs-vswitchd " \
		"/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
schema=/usr/share/openvswitch/vswitch.ovsschema
[ -r "$schema" ] || die "no $schema"

pmd_cpu=${PMD_CPU:-1}
main_cpu=${MAIN_CPU:-0}
socket_mem=${SOCKET_MEM:-512}
sock0=${SOCK0:-$dir/memif-0.sock}
sock1=${SOCK1:-$dir/memif-1.sock}
extra=${MEMIF_EXTRA:-}

stop    # leftovers of an earlier run in the same DIR
rm -f "$dir/conf.db" "$dir"/*.log "$sock0" "$sock1"
ovsdb-tool create "$dir/conf.db" "$schema" || die "ovsdb-tool create failed"
ovsdb-server "$dir/conf.db" --remote="punix:$dir/db.sock" \
	--pidfile="$dir/ovsdb-server.pid" --unixctl="$dir/ovsdb-server.ctl" \
	--log-file="$dir/ovsdb-server.log" --detach --no-chdir 2>>"$dir/ovsdb-server.stderr" ||
	die "ovsdb-server did not start: $(tail -n 3 "$dir/ovsdb-server.log" 2>/dev/null | tr '\n' ' ')"
vsctl --no-wait init || die "ovs-vsctl init failed"

# per-port-memory: each port gets a pool sized from its queues. OVS's
# shared pool (262144 mbufs, ~890 MiB) does not fit the limit, and OVS
# halves it until it does; that search runs when the first vhost-user
# client connects and briefly holds the whole heap, so the second port's
# vring allocation failed now and then ("failed to allocate memory for
# vring") and its client saw the connection reset.
mask() { printf '0x%x' $((1 << $1)); }
vsctl --no-wait set Open_vSwitch . \
	other_config:dpdk-init=true \
	other_config:dpdk-lcore-mask="$(mask "$main_cpu")" \
	other_config:pmd-cpu-mask="$(mask "$pmd_cpu")" \
	other_config:dpdk-socket-mem="$socket_mem" \
	other_config:dpdk-socket-limit="$socket_mem" \
	other_config:per-port-memory=true \
	other_config:dpdk-extra="--no-pci --in-memory --file-prefix=$prefix" ||
	die "ovs-vsctl set other_config failed"

taskset -c "$main_cpu" ovs-vswitchd "$db" --pidfile="$dir/ovs-vswitchd.pid" --unixctl="$dir/ovs-vswitchd.ctl" \
	--log-file="$dir/ovs-vswitchd.log" --detach --no-chdir 2>>"$dir/ovs-vswitchd.stderr" ||
	die "ovs-vswitchd did not start: $(grep -E 'ERR|EMER' "$dir/ovs-vswitchd.log" 2>/dev/null |
		tail -n 3 | tr '\n' ' ')"

# DPDK initialises inside ovs-vswitchd; the bridge waits for it.
vsctl add-br br0 -- set bridge br0 datapath_type=netdev ||
	die "add-br br0 failed: $(grep -E 'ERR|EMER' "$dir/ovs-vswitchd.log" | tail -n 3 | tr '\n' ' ')"
grep -q 'DPDK Enabled - initialized' "$dir/ovs-vswitchd.log" ||
	vsctl get Open_vSwitch . dpdk_initialized | grep -q true ||
	die "DPDK did not initialise in ovs-vswitchd: $(grep -E 'ERR|EMER|dpdk' "$dir/ovs-vswitchd.log" |
		tail -n 3 | tr '\n' ' ')"
if [ -n "${MAC_TABLE_SIZE:-}" ]; then
	vsctl set bridge br0 other_config:mac-table-size="$MAC_TABLE_SIZE" ||
		die "cannot set mac-table-size"
fi
if [ -n "${FLOW_LIMIT:-}" ]; then
	vsctl set Open_vSwitch . other_config:flow-limit="$FLOW_LIMIT" ||
		die "cannot set flow-limit"
fi
# vhost-user sockets go to OVS_RUNDIR (DIR) under the port's name.
socks=()
for spec in ${PORTS:-u0:memif u1:memif}; do
	name=${spec%%:*}
	type=${spec#*:}
	case "$type" in
	memif)
		i=${name#u}
		s=$dir/memif-$i.sock
		[ "$name" = u0 ] && s=$sock0
		[ "$name" = u1 ] && s=$sock1
		vsctl add-port br0 "$name" -- set Interface "$name" type=dpdk \
			"options:dpdk-devargs=\"net_memif$i,role=server,id=0,socket=$s,socket-abstract=no$extra\"" \
			options:n_rxq="${N_RXQ:-1}" options:n_rxq_desc=1024 options:n_txq_desc=1024 ||
			die "add-port $name failed: $(grep -E 'ERR|WARN' "$dir/ovs-vswitchd.log" | tail -n 3 | tr '\n' ' ')"
		;;
	vhost)
		s=$dir/$name
		vsctl add-port br0 "$name" -- set Interface "$name" type=dpdkvhostuser \
			options:n_rxq="${N_RXQ:-1}" ||
			die "add-port $name failed: $(grep -E 'ERR|WARN' "$dir/ovs-vswitchd.log" | tail -n 3 | tr '\n' ' ')"
		;;
	*) die "PORTS: unknown type '$type' in '$spec' (memif or vhost)" ;;
	esac
	socks+=("$s")
	err=$(vsctl get Interface "$name" error 2>/dev/null)
	[ -z "$err" ] || [ "$err" = "[]" ] || die "port $name: $err"
done
for s in "${socks[@]}"; do
	for _ in $(seq 50); do
		[ -S "$s" ] && break
		sleep 0.1
	done
	[ -S "$s" ] || die "ovs-vswitchd did not create $s: $(grep -E 'ERR|WARN' "$dir/ovs-vswitchd.log" |
		tail -n 3 | tr '\n' ' ')"
done
echo "pid $(pid_of ovs-vswitchd)"
