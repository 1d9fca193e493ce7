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
#include <stdint.h>

#define VSW_NAME_MAX 32          /* switch and port names, NUL included */
#define VSW_DEVARGS_MAX 256
#define VSW_VLAN_MAX 4094
#define VSW_MAX_SWITCHES 16
#define VSW_MAX_PORTS 256        /* per daemon */

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
};

/* ---- validation, shared by the CLI (before sending) and the daemon ---- */

/* 0 or -EINVAL with 'why' (a sentence for the operator). */
int vsw_cfg_check_name(const char *name, char *why, unsigned int len);
int vsw_cfg_check_switch(const struct vsw_switch_cfg *c, char *why, unsigned int len);
int vsw_cfg_check_port(const struct vsw_port_cfg *c, char *why, unsigned int len);

/* "1-100,200,300-310" into a trunk bitmap; -EINVAL with 'why'. */
int vsw_vlan_parse_list(const char *s, uint64_t allowed[64], char *why, unsigned int len);
/* The bitmap back in that form (ranges collapsed). */
void vsw_vlan_format_list(const uint64_t allowed[64], char *out, unsigned int len);

static inline bool vsw_vlan_allowed(const struct vsw_vlan_cfg *v, uint16_t vlan)
{
	return vlan <= VSW_VLAN_MAX && (v->allowed[vlan / 64] >> (vlan % 64)) & 1;
}

const char *vsw_switch_type_name(enum vsw_switch_type t);
const char *vsw_port_kind_name(enum vsw_port_kind k);
const char *vsw_vlan_mode_name(enum vsw_vlan_mode m);

#endif /* VSW_CONFIG_H */
