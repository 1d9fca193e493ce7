/* The vswitch's configuration model: what vswitchctl changes, what the
 * store (SQLite) keeps, and what vswitchd applies to the datapath. Plain
 * data, no DPDK: the CLI, the store and the daemon share it.
 *
 * Nouns follow Hyper-V (switch, port, vlan, security, qos, acl, mirror,
 * extension: reference vswitch-vmq-sriov-e1000.md §1); verbs and
 * conventions follow ovs-vsctl (§2.1). */
#ifndef VSW_CONFIG_H
#define VSW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VSW_NAME_MAX 32          /* switch and port names, NUL included */
#define VSW_DEVARGS_MAX 256
#define VSW_VLAN_MAX 4094
#define VSW_MAX_SWITCHES 16
#define VSW_MAX_PORTS 256        /* per daemon */
#define VSW_MAX_ACLS 16384       /* per daemon */
#define VSW_MAX_ACLS_PER_PORT 16384
#define VSW_MAX_MIRRORS 64       /* per daemon */
#define VSW_MAX_EXTENSIONS 64    /* per daemon */
#define VSW_MIRROR_SELECT_MAX 16 /* ports in one select list */
#define VSW_EXT_MODULE_MAX 256
#define VSW_EXT_ARGS_MAX 256
/* The longest trunk list text: every other VLAN, "1,3,5,...,4093". */
#define VSW_VLAN_LIST_MAX 10240

/* Upper bounds the validators enforce: far above any real use, low enough
 * that every value fits the store's signed 64-bit integers. */
#define VSW_FDB_SIZE_MAX (1u << 22)
#define VSW_AGING_MAX 1000000u           /* seconds */
#define VSW_AGING_DEFAULT 300u           /* seconds, as Hyper-V and Open vSwitch */
#define VSW_LCORE_AUTO (-1)              /* vswitchd picks the worker lcore */
#define VSW_LCORE_MAX 1023               /* DPDK's RTE_MAX_LCORE can be no more */
#define VSW_MAX_BPS_MAX 10000000000000ull /* 10 Tb/s */
#define VSW_STORM_LIMIT_MAX 1000000000ull /* packets per second */
#define VSW_MAC_LIMIT_MAX 65536u
#define VSW_MIN_WEIGHT_MAX 100u

enum vsw_switch_type {
	VSW_SWITCH_EXTERNAL,         /* bound to uplink ports */
	VSW_SWITCH_INTERNAL,         /* vNICs and a host-OS port (tap) */
	VSW_SWITCH_PRIVATE,          /* vNICs only */
};

enum vsw_port_kind {
	VSW_PORT_VNIC,               /* a partition's synthetic NIC (netVSP) */
	VSW_PORT_UPLINK,             /* a DPDK ethdev from devargs */
	VSW_PORT_INTERNAL,           /* the host OS's port (net_tap) */
};

enum vsw_vlan_mode {
	VSW_VLAN_UNTAGGED,           /* frames carry no tag; VLAN 0 inside */
	VSW_VLAN_ACCESS,             /* untagged on the wire, access_vlan inside */
	VSW_VLAN_TRUNK,              /* tagged for allowed VLANs; native untagged */
};

struct vsw_vlan_cfg {
	enum vsw_vlan_mode mode;
	uint16_t access_vlan;        /* ACCESS: 1..4094 */
	uint16_t native_vlan;        /* TRUNK: 0 none, else 1..4094 */
	uint64_t allowed[64];        /* TRUNK: bit v set = VLAN v allowed */
};

struct vsw_security_cfg {
	bool mac_spoof_guard;        /* only the port's MAC as source */
	uint8_t mac[6];              /* the assigned MAC (vNICs: netVSP's) */
	bool dhcp_guard;             /* drop DHCP server messages from the port */
	bool router_guard;           /* drop RAs and redirects from the port */
	uint64_t storm_limit_pps;    /* broadcast+multicast+unknown unicast; 0 off */
	uint32_t mac_limit;          /* learned MACs on the port; 0 = default */
};

struct vsw_qos_cfg {
	uint64_t max_bps;            /* token bucket; 0 off */
	uint32_t min_weight;         /* 0..100; 0 = none */
};

struct vsw_port_cfg {
	char name[VSW_NAME_MAX];
	char sw[VSW_NAME_MAX];       /* the switch it belongs to */
	enum vsw_port_kind kind;
	char devargs[VSW_DEVARGS_MAX]; /* UPLINK: DPDK devargs; VNIC: partition name */
	struct vsw_vlan_cfg vlan;
	struct vsw_security_cfg sec;
	struct vsw_qos_cfg qos;
};

struct vsw_switch_cfg {
	char name[VSW_NAME_MAX];
	enum vsw_switch_type type;
	uint32_t fdb_size;           /* learned MACs; 0 = default */
	uint32_t aging_s;            /* MAC aging; 0 = 300 */
	/* The worker lcore that polls every queue of the switch's ports
	 * (one lcore per switch: its MAC table has one writer, so the
	 * packet path takes no lock); VSW_LCORE_AUTO lets vswitchd pick. */
	int lcore;
};

/* ---- port ACLs (Add-VMNetworkAdapterAcl / -ExtendedAcl) ----
 *
 * Direction is Hyper-V's, seen from the port's owner: inbound is what the
 * switch delivers to the port (into the VM), outbound what the port sends
 * into the switch. "Local" is the port's side, "remote" the far side.
 *
 * A plain ACL matches a MAC or an IP prefix (one or both sides); among
 * the plain ACLs that match a frame the longest prefix wins (a MAC counts
 * as 48 bits and beats any IP prefix), a tie goes to deny. Meter counts
 * the bytes it matches and lets them through; it is IP-only, as in
 * Hyper-V. An extended ACL is a 5-tuple with port ranges and a weight:
 * extended ACLs are tried in descending weight, the first match decides,
 * and a stateful allow lets the return traffic of a session through until
 * it has been idle for idle_timeout_s. Extended ACLs are tried first. */
enum vsw_acl_action {
	VSW_ACL_ALLOW,
	VSW_ACL_DENY,
	VSW_ACL_METER,
};

enum vsw_dir {
	VSW_DIR_INBOUND = 1,
	VSW_DIR_OUTBOUND = 2,
	VSW_DIR_BOTH = 3,            /* a bit mask: both overlap each */
};

enum vsw_addr_kind {
	VSW_ADDR_ANY,
	VSW_ADDR_MAC,
	VSW_ADDR_IPV4,
	VSW_ADDR_IPV6,
};

struct vsw_acl_addr {
	enum vsw_addr_kind kind;
	uint8_t plen;                /* IPv4 0..32, IPv6 0..128; MAC 48 */
	uint8_t addr[16];            /* network order; MAC in bytes 0..5; host bits 0 */
};

#define VSW_ACL_PROTO_ANY (-1)

struct vsw_acl_cfg {
	char port[VSW_NAME_MAX];
	bool extended;
	enum vsw_acl_action action;  /* extended: allow or deny */
	enum vsw_dir dir;
	struct vsw_acl_addr local;
	struct vsw_acl_addr remote;
	/* Extended only. */
	int16_t protocol;            /* VSW_ACL_PROTO_ANY or 0..255 */
	uint16_t local_port_lo;      /* ports: only with TCP, UDP or SCTP; */
	uint16_t local_port_hi;      /* 0-65535 is any */
	uint16_t remote_port_lo;
	uint16_t remote_port_hi;
	uint16_t weight;             /* 1..65535, unique per port and direction */
	bool stateful;
	uint32_t idle_timeout_s;     /* stateful: 0 = the default (300 s) */
};

/* ---- port mirroring (Hyper-V -PortMirroring, OVS's Mirror table) ----
 *
 * Frames matching the selection are copied to the output port, which
 * must be on the same switch and not itself selected. select_src: frames
 * the switch receives from those ports; select_dst: frames it sends to
 * them; select_vlans: frames in those VLANs; select_all: everything. */
struct vsw_mirror_cfg {
	char name[VSW_NAME_MAX];
	char sw[VSW_NAME_MAX];
	char output[VSW_NAME_MAX];
	bool select_all;
	uint8_t n_src;
	uint8_t n_dst;
	char select_src[VSW_MIRROR_SELECT_MAX][VSW_NAME_MAX];
	char select_dst[VSW_MIRROR_SELECT_MAX][VSW_NAME_MAX];
	bool has_vlans;
	uint64_t select_vlans[64];   /* bit v = VLAN v, as vsw_vlan_cfg.allowed */
};

/* ---- switch extensions (Hyper-V capture, filter and forward) ----
 *
 * Per switch, in the order added within a type; capture runs first on
 * ingress, then filter, then forward (Hyper-V's stack). At most one
 * forwarding extension may be enabled on a switch. The module is a
 * built-in name or an absolute path to a shared object; args are handed
 * to it unparsed. */
enum vsw_ext_type {
	VSW_EXT_CAPTURE,
	VSW_EXT_FILTER,
	VSW_EXT_FORWARD,
};

struct vsw_ext_cfg {
	char sw[VSW_NAME_MAX];
	char name[VSW_NAME_MAX];
	enum vsw_ext_type type;
	char module[VSW_EXT_MODULE_MAX];
	char args[VSW_EXT_ARGS_MAX];
	bool enabled;
};

/* ---- validation, shared by the CLI (before sending) and the daemon ----
 *
 * Each returns 0 or -EINVAL with 'why', a sentence for the operator that
 * says what is wrong and what is allowed. They check one record alone;
 * what depends on others (names exist, kinds fit the switch) is the
 * model's (vsw_model_apply). */
int vsw_cfg_check_name(const char *name, char *why, size_t len);
int vsw_cfg_check_switch(const struct vsw_switch_cfg *c, char *why, size_t len);
int vsw_cfg_check_port(const struct vsw_port_cfg *c, char *why, size_t len);
int vsw_cfg_check_vlan(const struct vsw_vlan_cfg *v, char *why, size_t len);
int vsw_cfg_check_security(const struct vsw_security_cfg *s, char *why, size_t len);
int vsw_cfg_check_qos(const struct vsw_qos_cfg *q, char *why, size_t len);
int vsw_cfg_check_acl(const struct vsw_acl_cfg *a, char *why, size_t len);
int vsw_cfg_check_mirror(const struct vsw_mirror_cfg *m, char *why, size_t len);
int vsw_cfg_check_ext(const struct vsw_ext_cfg *e, char *why, size_t len);

/* A port with everything off: untagged, no guards, no limits. */
void vsw_port_cfg_init(struct vsw_port_cfg *c);

/* "1-100,200,300-310" (or "all") into a trunk bitmap; -EINVAL with 'why'. */
int vsw_vlan_parse_list(const char *s, uint64_t allowed[64], char *why, size_t len);
/* The bitmap back in that form (ranges collapsed, "" when empty). Returns
 * the length the whole list needs (as snprintf does); a list longer than
 * 'len' is cut at an entry boundary and ends in "...". VSW_VLAN_LIST_MAX
 * always suffices. */
int vsw_vlan_format_list(const uint64_t allowed[64], char *out, size_t len);

static inline bool vsw_vlan_allowed(const struct vsw_vlan_cfg *v, uint16_t vlan)
{
	return vlan <= VSW_VLAN_MAX && (v->allowed[vlan / 64] >> (vlan % 64)) & 1;
}

/* ---- field syntax: each parser is the inverse of its formatter ---- */

#define VSW_MAC_STR 18               /* "00:15:5d:00:00:01" + NUL */
#define VSW_ADDR_STR 56              /* an IPv6 prefix or a MAC, or "any" */

int vsw_mac_parse(const char *s, uint8_t mac[6], char *why, size_t len);
void vsw_mac_format(const uint8_t mac[6], char out[VSW_MAC_STR]);
/* "any", a MAC, or an IPv4/IPv6 address with an optional /prefix (host
 * bits must be zero). */
int vsw_acl_addr_parse(const char *s, struct vsw_acl_addr *a, char *why, size_t len);
void vsw_acl_addr_format(const struct vsw_acl_addr *a, char out[VSW_ADDR_STR]);
/* "tcp", "udp", "icmp", "icmpv6", "sctp", "any" or 0..255. */
int vsw_acl_proto_parse(const char *s, int16_t *proto, char *why, size_t len);
void vsw_acl_proto_format(int16_t proto, char out[8]);
/* "80", "1024-65535" or "any". */
int vsw_port_range_parse(const char *s, uint16_t *lo, uint16_t *hi, char *why, size_t len);
void vsw_port_range_format(uint16_t lo, uint16_t hi, char out[12]);
/* A whole number with an optional k, M, G or T (powers of 1000) or an
 * exponent ("1e9", "2.5G"); the result must be whole and <= max. */
int vsw_parse_u64(const char *s, uint64_t max, uint64_t *out, char *why, size_t len);

/* Enum names (what vswitchctl takes and prints); parsers return -EINVAL
 * for anything else. */
const char *vsw_switch_type_name(enum vsw_switch_type t);
const char *vsw_port_kind_name(enum vsw_port_kind k);
const char *vsw_vlan_mode_name(enum vsw_vlan_mode m);
const char *vsw_acl_action_name(enum vsw_acl_action a);
const char *vsw_dir_name(enum vsw_dir d);
const char *vsw_ext_type_name(enum vsw_ext_type t);
int vsw_switch_type_parse(const char *s, enum vsw_switch_type *out);
int vsw_port_kind_parse(const char *s, enum vsw_port_kind *out);
int vsw_vlan_mode_parse(const char *s, enum vsw_vlan_mode *out);
int vsw_acl_action_parse(const char *s, enum vsw_acl_action *out);
int vsw_dir_parse(const char *s, enum vsw_dir *out);
int vsw_ext_type_parse(const char *s, enum vsw_ext_type *out);

#endif /* VSW_CONFIG_H */
