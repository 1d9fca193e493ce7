/* vswitchctl's verb table and command-line parser (vsw_ctl.h): Hyper-V's
 * nouns (switch, port vlan/security/qos/acl, mirror, extension) with
 * ovs-vsctl's conventions (noun verb, --may-exist, --if-exists, show).
 *
 * Each verb is one row: its words, the op it makes, its usage and help,
 * how many positional arguments it takes, the options it accepts, and a
 * build function that turns arguments into a typed request. The generic
 * part checks everything the table states (unknown or repeated options,
 * options the verb does not take, argument counts), so a build function
 * only converts values; the request then goes through the validators
 * vswitchd uses, so a command line that would be refused for its own
 * content never leaves this process. */
#include "vswitch/vsw_ctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum opt_id {
	OPT_FORMAT, OPT_SOCKET, OPT_TIMEOUT, OPT_MAY_EXIST, OPT_IF_EXISTS, OPT_HELP,
	OPT_VERSION,
	OPT_TYPE, OPT_FDB_SIZE, OPT_AGING,
	OPT_VNIC, OPT_UPLINK, OPT_INTERNAL, OPT_DEVARGS, OPT_MAC,
	OPT_ACCESS, OPT_TRUNK, OPT_NATIVE, OPT_UNTAGGED,
	OPT_MAC_SPOOF, OPT_DHCP_GUARD, OPT_ROUTER_GUARD, OPT_STORM, OPT_MAC_LIMIT,
	OPT_MAX_BPS, OPT_MIN_WEIGHT,
	OPT_ACTION, OPT_DIRECTION, OPT_LOCAL_MAC, OPT_REMOTE_MAC, OPT_LOCAL_IP, OPT_REMOTE_IP,
	OPT_WEIGHT, OPT_PROTOCOL, OPT_LOCAL_PORT, OPT_REMOTE_PORT, OPT_STATEFUL,
	OPT_IDLE_TIMEOUT,
	OPT_OUTPUT, OPT_SELECT_ALL, OPT_SELECT_SRC, OPT_SELECT_DST, OPT_SELECT_VLAN,
	OPT_MODULE, OPT_ARGS, OPT_DISABLED,
	OPT_SWITCH, OPT_FILE, OPT_COUNT, OPT_SNAPLEN,
	OPT_REPLACE, OPT_POSITION, OPT_LCORE,
	OPT_COUNT_
};

_Static_assert(OPT_COUNT_ <= 64, "options are a 64-bit mask");

#define B(o) (1ull << (o))
/* Accepted by every verb. */
#define GLOBAL_OPTS (B(OPT_FORMAT) | B(OPT_SOCKET) | B(OPT_TIMEOUT) | B(OPT_HELP) | \
		     B(OPT_VERSION) | B(OPT_MAY_EXIST) | B(OPT_IF_EXISTS))

static const struct {
	const char *name;
	const char *arg;             /* NULL: a flag */
	const char *help;
} opts[OPT_COUNT_] = {
	[OPT_FORMAT] = { "format", "text|json", "print replies as text (default) or JSON" },
	[OPT_SOCKET] = { "socket", "PATH", "vswitchd's control socket (default $"
			 VSW_CTL_SOCKET_ENV ", else " VSW_CTL_DEFAULT_SOCKET ")" },
	[OPT_TIMEOUT] = { "timeout", "SECONDS", "give up waiting for vswitchd after this "
			  "long (default 30; 0 waits forever)" },
	[OPT_MAY_EXIST] = { "may-exist", NULL, "adding what already exists (identically) "
			    "is not an error" },
	[OPT_IF_EXISTS] = { "if-exists", NULL, "deleting what does not exist is not an "
			    "error" },
	[OPT_HELP] = { "help", NULL, "this help (after a command: that command's)" },
	[OPT_VERSION] = { "version", NULL, "print the version" },
	[OPT_TYPE] = { "type", "TYPE", "" },
	[OPT_FDB_SIZE] = { "fdb-size", "N", "learned MACs the switch keeps (0 = default)" },
	[OPT_AGING] = { "aging", "SECONDS", "MAC aging time (0 = 300)" },
	[OPT_VNIC] = { "vnic", "PARTITION", "a partition's synthetic NIC" },
	[OPT_UPLINK] = { "uplink", "DEVARGS", "a DPDK port, e.g. net_af_packet0,iface=eth1 "
			 "or 0000:06:00.0" },
	[OPT_INTERNAL] = { "internal", NULL, "the host OS's port (a tap)" },
	[OPT_DEVARGS] = { "devargs", "DEVARGS", "DPDK devargs (internal: the tap's)" },
	[OPT_MAC] = { "mac", "MAC|none", "the port's MAC (none: a vNIC's own)" },
	[OPT_ACCESS] = { "access", "VLAN", "untagged on the port, VLAN inside the switch" },
	[OPT_TRUNK] = { "trunk", "LIST", "tagged VLANs allowed, like 1-100,200 or all" },
	[OPT_NATIVE] = { "native", "VLAN", "trunk: the VLAN untagged frames belong to" },
	[OPT_UNTAGGED] = { "untagged", NULL, "no VLANs (VLAN 0 inside)" },
	[OPT_MAC_SPOOF] = { "mac-spoof-guard", "on|off", "on: only the port's MAC as "
			    "source" },
	[OPT_DHCP_GUARD] = { "dhcp-guard", "on|off", "on: drop DHCP server messages from "
			     "the port" },
	[OPT_ROUTER_GUARD] = { "router-guard", "on|off", "on: drop router advertisements "
			       "and redirects from the port" },
	[OPT_STORM] = { "storm-limit", "PPS", "broadcast, multicast and unknown unicast "
			"packets per second (0 = off)" },
	[OPT_MAC_LIMIT] = { "mac-limit", "N", "MACs learned on the port (0 = default)" },
	[OPT_MAX_BPS] = { "max-bps", "BPS", "bandwidth limit in bits per second, like "
			  "1e9 or 10G (0 = off)" },
	[OPT_MIN_WEIGHT] = { "min-weight", "0-100", "share of bandwidth under contention "
			     "(0 = none)" },
	[OPT_ACTION] = { "action", "allow|deny|meter", "what a match does" },
	[OPT_DIRECTION] = { "direction", "inbound|outbound|both", "inbound: to the port's "
			    "owner; outbound: from it" },
	[OPT_LOCAL_MAC] = { "local-mac", "MAC|any", "the port's side, by MAC" },
	[OPT_REMOTE_MAC] = { "remote-mac", "MAC|any", "the far side, by MAC" },
	[OPT_LOCAL_IP] = { "local-ip", "PREFIX|any", "the port's side, like 10.0.0.0/8 or "
			   "2001:db8::1" },
	[OPT_REMOTE_IP] = { "remote-ip", "PREFIX|any", "the far side" },
	[OPT_WEIGHT] = { "weight", "1-65535", "makes an extended (5-tuple) ACL; highest "
			 "weight is tried first" },
	[OPT_PROTOCOL] = { "protocol", "PROTO", "tcp, udp, icmp, icmpv6, sctp, any or 0-255" },
	[OPT_LOCAL_PORT] = { "local-port", "RANGE", "like 80, 1024-65535 or any" },
	[OPT_REMOTE_PORT] = { "remote-port", "RANGE", "like 80, 1024-65535 or any" },
	[OPT_STATEFUL] = { "stateful", "on|off", "on: let the return traffic of an allowed "
			   "session through" },
	[OPT_IDLE_TIMEOUT] = { "idle-timeout", "SECONDS", "end an idle stateful session "
			       "(0 = 300)" },
	[OPT_OUTPUT] = { "output", "PORT", "where the copies go" },
	[OPT_SELECT_ALL] = { "select-all", NULL, "mirror every frame" },
	[OPT_SELECT_SRC] = { "select-src", "PORT,...", "frames the switch receives from "
			     "these ports" },
	[OPT_SELECT_DST] = { "select-dst", "PORT,...", "frames the switch sends to these "
			     "ports" },
	[OPT_SELECT_VLAN] = { "select-vlan", "LIST", "frames in these VLANs" },
	[OPT_MODULE] = { "module", "NAME|PATH", "a built-in extension or an absolute path "
			 "to a shared object" },
	[OPT_ARGS] = { "args", "STRING", "handed to the extension" },
	[OPT_DISABLED] = { "disabled", NULL, "add it disabled" },
	[OPT_SWITCH] = { "switch", "SWITCH", "only this switch's ports" },
	[OPT_FILE] = { "file", "FILE", "pcapng file to write (- for standard output); "
		       "vswitchctl opens it as you" },
	[OPT_COUNT] = { "count", "N", "stop after N frames (0 = until stopped)" },
	[OPT_SNAPLEN] = { "snaplen", "BYTES", "bytes kept per frame (0 = 65535)" },
	[OPT_LCORE] = { "lcore", "N|auto", "the worker lcore that polls the switch's ports" },
	[OPT_POSITION] = { "position", "N", "where in the switch's extension list (1 = first)" },
	[OPT_REPLACE] = { "replace", NULL, "load: the port's ACLs become exactly the "
			  "file's" },
};

struct build {
	struct vsw_cli *cli;
	struct vsw_change *c;
	char *const *pos;            /* positional arguments after the verb's words */
	unsigned int n_pos;
	const char *val[OPT_COUNT_]; /* NULL absent; "" for a flag given */
	char *why;
	size_t len;
};

struct vsw_verb {
	const char *noun;
	const char *verb;            /* NULL: the noun alone (show, stats) */
	const char *words;           /* both, as typed: "port vlan" */
	enum vsw_op op;              /* NONE: the build function picks it */
	const char *usage;           /* after the words */
	const char *summary;
	const char *help;
	unsigned int min_pos;
	unsigned int max_pos;
	uint64_t opts;
	int (*build)(struct build *b);
};

static int fail(struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct build *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->why, b->len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- value converters ---- */

static int copy_name(struct build *b, char *dst, const char *src, const char *what)
{
	if (strlen(src) >= VSW_NAME_MAX)
		return fail(b, "%s name '%.20s...' is longer than %d characters", what, src,
			    VSW_NAME_MAX - 1);
	strcpy(dst, src);
	return vsw_cfg_check_name(dst, b->why, b->len);
}

static int num(struct build *b, enum opt_id o, uint64_t min, uint64_t max, uint64_t *out)
{
	char inner[200];

	if (vsw_parse_u64(b->val[o], max, out, inner, sizeof(inner)) < 0)
		return fail(b, "--%s: %s", opts[o].name, inner);
	if (*out < min)
		return fail(b, "--%s must be at least %" PRIu64, opts[o].name, min);
	return 0;
}

static int onoff(struct build *b, enum opt_id o, bool *out)
{
	if (strcmp(b->val[o], "on") == 0)
		*out = true;
	else if (strcmp(b->val[o], "off") == 0)
		*out = false;
	else
		return fail(b, "--%s takes on or off, not '%s'", opts[o].name, b->val[o]);
	return 0;
}

static int dir(struct build *b, enum opt_id o, enum vsw_dir *out)
{
	if (vsw_dir_parse(b->val[o], out) < 0)
		return fail(b, "--%s takes inbound, outbound or both, not '%s'", opts[o].name,
			    b->val[o]);
	return 0;
}

static int mac_or_none(struct build *b, enum opt_id o, uint8_t mac[6])
{
	char inner[200];

	memset(mac, 0, 6);
	if (strcmp(b->val[o], "none") == 0)
		return 0;
	if (vsw_mac_parse(b->val[o], mac, inner, sizeof(inner)) < 0)
		return fail(b, "--%s: %s", opts[o].name, inner);
	return 0;
}

static bool has(const struct build *b, enum opt_id o)
{
	return b->val[o] != NULL;
}

/* ---- switches ---- */

static int build_switch_fields(struct build *b)
{
	uint64_t v;

	if (has(b, OPT_FDB_SIZE)) {
		if (num(b, OPT_FDB_SIZE, 0, VSW_FDB_SIZE_MAX, &v) < 0)
			return -EINVAL;
		b->c->sw_cfg.fdb_size = (uint32_t)v;
		b->c->fields |= VSW_FLD_FDB_SIZE;
	}
	if (has(b, OPT_AGING)) {
		if (num(b, OPT_AGING, 0, VSW_AGING_MAX, &v) < 0)
			return -EINVAL;
		b->c->sw_cfg.aging_s = (uint32_t)v;
		b->c->fields |= VSW_FLD_AGING;
	}
	if (has(b, OPT_LCORE)) {
		if (strcmp(b->val[OPT_LCORE], "auto") == 0)
			b->c->sw_cfg.lcore = VSW_LCORE_AUTO;
		else if (num(b, OPT_LCORE, 0, VSW_LCORE_MAX, &v) < 0)
			return -EINVAL;
		else
			b->c->sw_cfg.lcore = (int)v;
		b->c->fields |= VSW_FLD_LCORE;
	}
	return 0;
}

static int build_switch_create(struct build *b)
{
	struct vsw_change *c = b->c;

	if (copy_name(b, c->sw, b->pos[0], "switch") < 0)
		return -EINVAL;
	memcpy(c->sw_cfg.name, c->sw, VSW_NAME_MAX);
	if (!has(b, OPT_TYPE))
		return fail(b, "give the switch's --type: external (bound to an uplink), "
			    "internal (vNICs and the host) or private (vNICs only)");
	if (vsw_switch_type_parse(b->val[OPT_TYPE], &c->sw_cfg.type) < 0)
		return fail(b, "--type takes external, internal or private, not '%s'",
			    b->val[OPT_TYPE]);
	if (build_switch_fields(b) < 0)
		return -EINVAL;
	c->fields = 0;
	return 0;
}

static int build_switch_set(struct build *b)
{
	if (copy_name(b, b->c->sw, b->pos[0], "switch") < 0)
		return -EINVAL;
	memcpy(b->c->sw_cfg.name, b->c->sw, VSW_NAME_MAX);
	if (!has(b, OPT_FDB_SIZE) && !has(b, OPT_AGING) && !has(b, OPT_LCORE))
		return fail(b, "nothing to set: give --fdb-size, --aging or --lcore");
	return build_switch_fields(b);
}

static int build_sw_arg(struct build *b)
{
	return b->n_pos > 0 ? copy_name(b, b->c->sw, b->pos[0], "switch") : 0;
}

static int build_none(struct build *b)
{
	(void)b;
	return 0;
}

/* ---- ports ---- */

static int build_port_arg(struct build *b)
{
	return copy_name(b, b->c->port, b->pos[0], "port");
}

static int set_devargs(struct build *b, enum opt_id o, char *dst)
{
	if (strlen(b->val[o]) >= VSW_DEVARGS_MAX)
		return fail(b, "--%s is longer than %d characters", opts[o].name,
			    VSW_DEVARGS_MAX - 1);
	strcpy(dst, b->val[o]);
	return 0;
}

static int build_port_add(struct build *b)
{
	struct vsw_change *c = b->c;
	struct vsw_port_cfg *p = &c->port_cfg;
	int kinds = has(b, OPT_VNIC) + has(b, OPT_UPLINK) + has(b, OPT_INTERNAL);

	if (copy_name(b, c->sw, b->pos[0], "switch") < 0 ||
	    copy_name(b, c->port, b->pos[1], "port") < 0)
		return -EINVAL;
	memcpy(p->name, c->port, VSW_NAME_MAX);
	memcpy(p->sw, c->sw, VSW_NAME_MAX);
	if (kinds != 1)
		return fail(b, "give exactly one of --vnic PARTITION, --uplink DEVARGS or "
			    "--internal");
	if (has(b, OPT_DEVARGS) && !has(b, OPT_INTERNAL))
		return fail(b, "--devargs goes with --internal; an uplink's devargs follow "
			    "--uplink");
	if (has(b, OPT_VNIC)) {
		p->kind = VSW_PORT_VNIC;
		if (set_devargs(b, OPT_VNIC, p->devargs) < 0)
			return -EINVAL;
	} else if (has(b, OPT_UPLINK)) {
		p->kind = VSW_PORT_UPLINK;
		if (set_devargs(b, OPT_UPLINK, p->devargs) < 0)
			return -EINVAL;
	} else {
		p->kind = VSW_PORT_INTERNAL;
		if (has(b, OPT_DEVARGS) && set_devargs(b, OPT_DEVARGS, p->devargs) < 0)
			return -EINVAL;
	}
	if (has(b, OPT_MAC) && mac_or_none(b, OPT_MAC, p->sec.mac) < 0)
		return -EINVAL;
	return 0;
}

static int build_port_set(struct build *b)
{
	struct vsw_change *c = b->c;

	if (build_port_arg(b) < 0)
		return -EINVAL;
	if (!has(b, OPT_DEVARGS) && !has(b, OPT_MAC))
		return fail(b, "nothing to set: give --devargs or --mac");
	if (has(b, OPT_DEVARGS)) {
		if (set_devargs(b, OPT_DEVARGS, c->port_cfg.devargs) < 0)
			return -EINVAL;
		c->fields |= VSW_FLD_DEVARGS;
	}
	if (has(b, OPT_MAC)) {
		if (mac_or_none(b, OPT_MAC, c->port_cfg.sec.mac) < 0)
			return -EINVAL;
		c->fields |= VSW_FLD_MAC;
	}
	return 0;
}

static int vlan_id(struct build *b, enum opt_id o, uint16_t *out)
{
	uint64_t v;

	if (num(b, o, 1, VSW_VLAN_MAX, &v) < 0)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

static int build_port_vlan(struct build *b)
{
	struct vsw_vlan_cfg *v = &b->c->port_cfg.vlan;
	int modes = has(b, OPT_ACCESS) + has(b, OPT_TRUNK) + has(b, OPT_UNTAGGED);
	char inner[200];

	if (build_port_arg(b) < 0)
		return -EINVAL;
	if (modes != 1)
		return fail(b, modes == 0 ? "give the mode: --access VLAN, --trunk LIST or "
					    "--untagged"
					  : "--access, --trunk and --untagged exclude each other; "
					    "give one");
	if (has(b, OPT_NATIVE) && !has(b, OPT_TRUNK))
		return fail(b, "--native goes with --trunk");
	memset(v, 0, sizeof(*v));
	if (has(b, OPT_UNTAGGED)) {
		v->mode = VSW_VLAN_UNTAGGED;
		return 0;
	}
	if (has(b, OPT_ACCESS)) {
		v->mode = VSW_VLAN_ACCESS;
		return vlan_id(b, OPT_ACCESS, &v->access_vlan);
	}
	v->mode = VSW_VLAN_TRUNK;
	if (vsw_vlan_parse_list(b->val[OPT_TRUNK], v->allowed, inner, sizeof(inner)) < 0)
		return fail(b, "--trunk: %s", inner);
	return has(b, OPT_NATIVE) ? vlan_id(b, OPT_NATIVE, &v->native_vlan) : 0;
}

static int build_port_security(struct build *b)
{
	struct vsw_change *c = b->c;
	struct vsw_security_cfg *s = &c->port_cfg.sec;
	static const struct {
		enum opt_id o;
		uint32_t f;
	} bools[] = {
		{ OPT_MAC_SPOOF, VSW_FLD_MAC_SPOOF },
		{ OPT_DHCP_GUARD, VSW_FLD_DHCP_GUARD },
		{ OPT_ROUTER_GUARD, VSW_FLD_ROUTER_GUARD },
	};
	bool *dst[] = { &s->mac_spoof_guard, &s->dhcp_guard, &s->router_guard };
	uint64_t v;

	if (build_port_arg(b) < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		if (!has(b, bools[i].o))
			continue;
		if (onoff(b, bools[i].o, dst[i]) < 0)
			return -EINVAL;
		c->fields |= bools[i].f;
	}
	if (has(b, OPT_STORM)) {
		if (num(b, OPT_STORM, 0, VSW_STORM_LIMIT_MAX, &s->storm_limit_pps) < 0)
			return -EINVAL;
		c->fields |= VSW_FLD_STORM;
	}
	if (has(b, OPT_MAC_LIMIT)) {
		if (num(b, OPT_MAC_LIMIT, 0, VSW_MAC_LIMIT_MAX, &v) < 0)
			return -EINVAL;
		s->mac_limit = (uint32_t)v;
		c->fields |= VSW_FLD_MAC_LIMIT;
	}
	if (has(b, OPT_MAC)) {
		if (mac_or_none(b, OPT_MAC, s->mac) < 0)
			return -EINVAL;
		c->fields |= VSW_FLD_MAC;
	}
	if (c->fields == 0)
		return fail(b, "nothing to set: give --mac-spoof-guard, --dhcp-guard, "
			    "--router-guard, --storm-limit, --mac-limit or --mac");
	return 0;
}

static int build_port_qos(struct build *b)
{
	struct vsw_change *c = b->c;
	uint64_t v;

	if (build_port_arg(b) < 0)
		return -EINVAL;
	if (has(b, OPT_MAX_BPS)) {
		if (num(b, OPT_MAX_BPS, 0, VSW_MAX_BPS_MAX, &c->port_cfg.qos.max_bps) < 0)
			return -EINVAL;
		c->fields |= VSW_FLD_MAX_BPS;
	}
	if (has(b, OPT_MIN_WEIGHT)) {
		if (num(b, OPT_MIN_WEIGHT, 0, VSW_MIN_WEIGHT_MAX, &v) < 0)
			return -EINVAL;
		c->port_cfg.qos.min_weight = (uint32_t)v;
		c->fields |= VSW_FLD_MIN_WEIGHT;
	}
	if (c->fields == 0)
		return fail(b, "nothing to set: give --max-bps or --min-weight");
	return 0;
}

/* --local-ip/--local-mac (or the remote pair) into one address; the kind
 * must match the option. */
static int acl_addr(struct build *b, enum opt_id mac_opt, enum opt_id ip_opt,
		    struct vsw_acl_addr *a)
{
	enum opt_id o = has(b, mac_opt) ? mac_opt : ip_opt;
	char inner[200];

	if (has(b, mac_opt) && has(b, ip_opt))
		return fail(b, "--%s and --%s exclude each other; an ACL matches MACs or IPs",
			    opts[mac_opt].name, opts[ip_opt].name);
	if (!has(b, o))
		return 0;
	if (vsw_acl_addr_parse(b->val[o], a, inner, sizeof(inner)) < 0)
		return fail(b, "--%s: %s", opts[o].name, inner);
	if (o == mac_opt && a->kind != VSW_ADDR_MAC && a->kind != VSW_ADDR_ANY)
		return fail(b, "--%s takes a MAC or any; for IP addresses use --%s",
			    opts[o].name, opts[ip_opt].name);
	if (o == ip_opt && a->kind == VSW_ADDR_MAC)
		return fail(b, "--%s takes an IP prefix or any; for MACs use --%s",
			    opts[o].name, opts[mac_opt].name);
	return 0;
}

/* The options only an extended (5-tuple) ACL takes. */
#define ACL_EXT_OPTS (B(OPT_PROTOCOL) | B(OPT_LOCAL_PORT) | B(OPT_REMOTE_PORT) | \
		      B(OPT_STATEFUL) | B(OPT_IDLE_TIMEOUT))

/* One line of an ACL file: its words, split at blanks (ACL options hold
 * none), after "port acl PORT add". */
#define LOAD_MAX_WORDS 40

static int acl_line(struct build *b, char *line, const char *file, unsigned int lineno,
		    struct vsw_acl_cfg *out)
{
	char *argv[LOAD_MAX_WORDS], *save = NULL, why[512];
	struct vsw_cli *one;
	int argc = 4, rc;

	argv[0] = "port";
	argv[1] = "acl";
	argv[2] = b->c->port;
	argv[3] = "add";
	for (char *w = strtok_r(line, " \t\r\n", &save); w != NULL;
	     w = strtok_r(NULL, " \t\r\n", &save)) {
		if (argc == LOAD_MAX_WORDS)
			return fail(b, "%s:%u: more than %d words", file, lineno,
				    LOAD_MAX_WORDS - 4);
		argv[argc++] = w;
	}
	one = malloc(sizeof(*one));
	if (one == NULL)
		return fail(b, "out of memory");
	rc = vsw_cli_parse(argc, argv, one, why, sizeof(why));
	if (rc == 0 && (one->socket != NULL || one->format != VSW_FMT_TEXT ||
			one->help != VSW_HELP_NONE || one->version || one->req.flags))
		rc = fail(b, "%s:%u: only ACL options belong in the file; give the others "
			  "on the command line", file, lineno);
	else if (rc < 0)
		fail(b, "%s:%u: %s", file, lineno,
		     strncmp(why, "port acl: ", 10) == 0 ? why + 10 : why);
	else
		*out = one->req.acl;
	free(one);
	return rc < 0 ? -EINVAL : 0;
}

/* port acl PORT load FILE|-: every ACL in the file, one per line in
 * add's options ('#' comments and blank lines skipped), goes to vswitchd
 * as one request, which it stores, compiles and applies as one change. */
static int build_acl_load(struct build *b)
{
	struct vsw_change *c = b->c;
	const char *file = b->pos[2];
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	unsigned int lineno = 0, room = 0;
	int rc = 0;

	c->op = VSW_OP_ACL_LOAD;
	if (b->n_pos != 3)
		return fail(b, "usage: port acl PORT load FILE|- [--replace] [--may-exist]");
	for (int o = OPT_TYPE; o < OPT_COUNT_; o++)
		if (o != OPT_REPLACE && has(b, (enum opt_id)o))
			return fail(b, "load takes its ACLs from the file, not --%s", opts[o].name);
	if (has(b, OPT_REPLACE))
		c->flags |= VSW_F_REPLACE;
	f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	if (f == NULL)
		return fail(b, "cannot read %s: %s", file, strerror(errno));
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		char *p = line;

		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0')
			continue;
		if (c->n_acls == VSW_MAX_ACLS_PER_PORT) {
			rc = fail(b, "%s: more than %d ACLs, the most a port takes", file,
				  VSW_MAX_ACLS_PER_PORT);
			break;
		}
		if (c->n_acls == room) {
			unsigned int n = room ? room * 2 : 256;
			struct vsw_acl_cfg *na = realloc(c->acls, n * sizeof(*na));

			if (na == NULL) {
				rc = fail(b, "out of memory");
				break;
			}
			c->acls = na;
			room = n;
		}
		rc = acl_line(b, p, file, lineno, &c->acls[c->n_acls]);
		if (rc == 0)
			c->n_acls++;
	}
	if (rc == 0 && ferror(f))
		rc = fail(b, "cannot read %s: %s", file, strerror(errno));
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

static int build_port_acl(struct build *b)
{
	struct vsw_change *c = b->c;
	struct vsw_acl_cfg *a = &c->acl;
	const char *what = b->pos[1];
	char inner[200];
	uint64_t v;

	if (build_port_arg(b) < 0)
		return -EINVAL;
	memcpy(a->port, c->port, VSW_NAME_MAX);
	if (strcmp(what, "list") == 0) {
		c->op = VSW_OP_ACL_LIST;
		for (int o = OPT_TYPE; o < OPT_COUNT_; o++)
			if (has(b, (enum opt_id)o))
				return fail(b, "port acl PORT list takes no --%s", opts[o].name);
		return b->n_pos > 2 ? fail(b, "port acl PORT list takes no more arguments") : 0;
	}
	if (strcmp(what, "load") == 0)
		return build_acl_load(b);
	if (has(b, OPT_REPLACE))
		return fail(b, "--replace belongs to port acl PORT load");
	if (strcmp(what, "add") == 0)
		c->op = VSW_OP_ACL_ADD;
	else if (strcmp(what, "delete") == 0)
		c->op = VSW_OP_ACL_DELETE;
	else
		return fail(b, "'%s' is not add, delete, load or list", what);
	if (b->n_pos > 2)
		return fail(b, "unexpected argument '%s'", b->pos[2]);
	a->extended = has(b, OPT_WEIGHT);
	if (has(b, OPT_WEIGHT)) {
		if (num(b, OPT_WEIGHT, 1, 65535, &v) < 0)
			return -EINVAL;
		a->weight = (uint16_t)v;
	} else {
		for (int o = 0; o < OPT_COUNT_; o++)
			if ((ACL_EXT_OPTS & B(o)) && has(b, (enum opt_id)o))
				return fail(b, "--%s makes an extended ACL, which needs --weight",
					    opts[o].name);
	}
	if (has(b, OPT_DIRECTION)) {
		if (dir(b, OPT_DIRECTION, &a->dir) < 0)
			return -EINVAL;
		c->fields |= c->op == VSW_OP_ACL_DELETE && a->extended ? VSW_FLD_DIRECTION : 0;
	} else if (c->op == VSW_OP_ACL_ADD || !a->extended) {
		return fail(b, "give --direction inbound, outbound or both");
	}
	if (c->op == VSW_OP_ACL_DELETE && a->extended) {
		for (int o = OPT_ACTION; o <= OPT_IDLE_TIMEOUT; o++)
			if (o != OPT_WEIGHT && o != OPT_DIRECTION && has(b, (enum opt_id)o))
				return fail(b, "an extended ACL is deleted by --weight (and "
					    "--direction); --%s is not needed", opts[o].name);
		return 0;
	}
	if (has(b, OPT_ACTION)) {
		if (vsw_acl_action_parse(b->val[OPT_ACTION], &a->action) < 0)
			return fail(b, "--action takes allow, deny or meter, not '%s'",
				    b->val[OPT_ACTION]);
	} else if (c->op == VSW_OP_ACL_ADD) {
		return fail(b, "give --action allow, deny or meter");
	}
	if (acl_addr(b, OPT_LOCAL_MAC, OPT_LOCAL_IP, &a->local) < 0 ||
	    acl_addr(b, OPT_REMOTE_MAC, OPT_REMOTE_IP, &a->remote) < 0)
		return -EINVAL;
	if (has(b, OPT_PROTOCOL) &&
	    vsw_acl_proto_parse(b->val[OPT_PROTOCOL], &a->protocol, inner, sizeof(inner)) < 0)
		return fail(b, "--protocol: %s", inner);
	if (has(b, OPT_LOCAL_PORT) &&
	    vsw_port_range_parse(b->val[OPT_LOCAL_PORT], &a->local_port_lo, &a->local_port_hi,
				 inner, sizeof(inner)) < 0)
		return fail(b, "--local-port: %s", inner);
	if (has(b, OPT_REMOTE_PORT) &&
	    vsw_port_range_parse(b->val[OPT_REMOTE_PORT], &a->remote_port_lo,
				 &a->remote_port_hi, inner, sizeof(inner)) < 0)
		return fail(b, "--remote-port: %s", inner);
	if (has(b, OPT_STATEFUL) && onoff(b, OPT_STATEFUL, &a->stateful) < 0)
		return -EINVAL;
	if (has(b, OPT_IDLE_TIMEOUT)) {
		if (num(b, OPT_IDLE_TIMEOUT, 0, VSW_AGING_MAX, &v) < 0)
			return -EINVAL;
		a->idle_timeout_s = (uint32_t)v;
	}
	return 0;
}

/* ---- mirrors and extensions ---- */

static int name_list(struct build *b, enum opt_id o, char (*names)[VSW_NAME_MAX], uint8_t *n)
{
	const char *s = b->val[o];

	*n = 0;
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t k = comma != NULL ? (size_t)(comma - s) : strlen(s);

		if (*n >= VSW_MIRROR_SELECT_MAX)
			return fail(b, "--%s lists more than %d ports", opts[o].name,
				    VSW_MIRROR_SELECT_MAX);
		if (k == 0 || k >= VSW_NAME_MAX)
			return fail(b, "--%s takes port names separated by commas", opts[o].name);
		memcpy(names[*n], s, k);
		names[*n][k] = '\0';
		if (vsw_cfg_check_name(names[*n], b->why, b->len) < 0)
			return -EINVAL;
		(*n)++;
		if (comma == NULL)
			return 0;
		s = comma + 1;
	}
}

static int build_mirror_add(struct build *b)
{
	struct vsw_change *c = b->c;
	struct vsw_mirror_cfg *r = &c->mirror;
	char inner[200];

	if (copy_name(b, c->sw, b->pos[0], "switch") < 0 ||
	    copy_name(b, c->name, b->pos[1], "mirror") < 0)
		return -EINVAL;
	memcpy(r->sw, c->sw, VSW_NAME_MAX);
	memcpy(r->name, c->name, VSW_NAME_MAX);
	if (!has(b, OPT_OUTPUT))
		return fail(b, "give the --output port the copies go to");
	if (copy_name(b, r->output, b->val[OPT_OUTPUT], "output port") < 0)
		return -EINVAL;
	r->select_all = has(b, OPT_SELECT_ALL);
	if (has(b, OPT_SELECT_SRC) && name_list(b, OPT_SELECT_SRC, r->select_src, &r->n_src) < 0)
		return -EINVAL;
	if (has(b, OPT_SELECT_DST) && name_list(b, OPT_SELECT_DST, r->select_dst, &r->n_dst) < 0)
		return -EINVAL;
	if (has(b, OPT_SELECT_VLAN)) {
		if (vsw_vlan_parse_list(b->val[OPT_SELECT_VLAN], r->select_vlans, inner,
					sizeof(inner)) < 0)
			return fail(b, "--select-vlan: %s", inner);
		r->has_vlans = true;
	}
	return 0;
}

static int build_mirror_name(struct build *b)
{
	return copy_name(b, b->c->name, b->pos[0], "mirror");
}

static int build_ext_names(struct build *b)
{
	return copy_name(b, b->c->sw, b->pos[0], "switch") < 0 ||
	       copy_name(b, b->c->name, b->pos[1], "extension") < 0 ? -EINVAL : 0;
}

static int build_ext_move(struct build *b)
{
	uint64_t v;

	if (build_ext_names(b) < 0)
		return -EINVAL;
	if (!has(b, OPT_POSITION))
		return fail(b, "give --position N (1 = first)");
	if (num(b, OPT_POSITION, 1, VSW_MAX_EXTENSIONS, &v) < 0)
		return -EINVAL;
	b->c->position = (unsigned int)v;
	return 0;
}

static int build_ext_add(struct build *b)
{
	struct vsw_ext_cfg *e = &b->c->ext;

	if (build_ext_names(b) < 0)
		return -EINVAL;
	memcpy(e->sw, b->c->sw, VSW_NAME_MAX);
	memcpy(e->name, b->c->name, VSW_NAME_MAX);
	if (!has(b, OPT_TYPE) || !has(b, OPT_MODULE))
		return fail(b, "give the extension's --type (capture, filter or forward) and "
			    "--module");
	if (vsw_ext_type_parse(b->val[OPT_TYPE], &e->type) < 0)
		return fail(b, "--type takes capture, filter or forward, not '%s'",
			    b->val[OPT_TYPE]);
	if (strlen(b->val[OPT_MODULE]) >= sizeof(e->module))
		return fail(b, "--module is longer than %zu characters", sizeof(e->module) - 1);
	strcpy(e->module, b->val[OPT_MODULE]);
	if (has(b, OPT_ARGS)) {
		if (strlen(b->val[OPT_ARGS]) >= sizeof(e->args))
			return fail(b, "--args is longer than %zu characters", sizeof(e->args) - 1);
		strcpy(e->args, b->val[OPT_ARGS]);
	}
	e->enabled = !has(b, OPT_DISABLED);
	return 0;
}

/* ---- show, stats, capture ---- */

static int build_stats(struct build *b)
{
	if (b->n_pos > 0 && copy_name(b, b->c->port, b->pos[0], "port") < 0)
		return -EINVAL;
	if (has(b, OPT_SWITCH) && copy_name(b, b->c->sw, b->val[OPT_SWITCH], "switch") < 0)
		return -EINVAL;
	return 0;
}

static int build_capture_start(struct build *b)
{
	struct vsw_capture_cfg *k = &b->c->capture;
	uint64_t v;

	if (build_port_arg(b) < 0)
		return -EINVAL;
	if (!has(b, OPT_FILE) || b->val[OPT_FILE][0] == '\0')
		return fail(b, "give the --file to write (- for standard output)");
	b->cli->capture_file = b->val[OPT_FILE];
	if (has(b, OPT_DIRECTION) && dir(b, OPT_DIRECTION, &k->dir) < 0)
		return -EINVAL;
	if (has(b, OPT_COUNT) && num(b, OPT_COUNT, 0, UINT64_MAX, &k->count) < 0)
		return -EINVAL;
	if (has(b, OPT_SNAPLEN)) {
		if (num(b, OPT_SNAPLEN, 0, 262144, &v) < 0)
			return -EINVAL;
		k->snaplen = (uint32_t)v;
	}
	return 0;
}

/* ---- the table ---- */

#define PORT_KIND_OPTS (B(OPT_VNIC) | B(OPT_UPLINK) | B(OPT_INTERNAL) | B(OPT_DEVARGS) | B(OPT_MAC))
#define ACL_OPTS (B(OPT_ACTION) | B(OPT_DIRECTION) | B(OPT_LOCAL_MAC) | B(OPT_REMOTE_MAC) | \
		  B(OPT_LOCAL_IP) | B(OPT_REMOTE_IP) | B(OPT_WEIGHT) | ACL_EXT_OPTS)

static const struct vsw_verb verbs[] = {
	{ "switch", "create", "switch create", VSW_OP_SWITCH_CREATE,
	  "SWITCH --type external|internal|private [--fdb-size N] [--aging SECONDS] "
	  "[--lcore N|auto]",
	  "create a switch",
	  "Creates a virtual switch. An external switch is bound to uplinks (DPDK ports)\n"
	  "and may also hold vNICs and a host port; an internal switch connects vNICs\n"
	  "and the host OS; a private switch connects vNICs only. With --may-exist, a\n"
	  "switch of that name and type already there is not an error.\n"
	  "--lcore names the worker lcore (one of vswitchd's EAL lcores other than\n"
	  "the main one) that polls every queue of the switch's ports; auto (the\n"
	  "default) takes the worker with the fewest switches.\n"
	  "Example: vswitchctl switch create sw0 --type internal",
	  1, 1, B(OPT_TYPE) | B(OPT_FDB_SIZE) | B(OPT_AGING) | B(OPT_LCORE), build_switch_create },
	{ "switch", "delete", "switch delete", VSW_OP_SWITCH_DELETE, "SWITCH",
	  "delete a switch with its ports, mirrors and extensions",
	  "Deletes a switch and everything on it: its ports (with their ACLs), mirrors\n"
	  "and extensions. With --if-exists, a missing switch is not an error.",
	  1, 1, 0, build_sw_arg },
	{ "switch", "set", "switch set", VSW_OP_SWITCH_SET,
	  "SWITCH [--fdb-size N] [--aging SECONDS] [--lcore N|auto]",
	  "change a switch's MAC table settings or its lcore",
	  "Changes the size of the switch's MAC table, its aging time or the worker\n"
	  "lcore that polls its ports; what is not given keeps its value. A running\n"
	  "vswitchd refuses a new table size (delete and create the switch); a new\n"
	  "aging time applies at once, to MACs learned before as well. Moving a\n"
	  "switch to another lcore takes effect at once: its ports pause for one\n"
	  "poll round (frames wait in their queues, none is dropped for the move).\n"
	  "'vswitchctl stats' shows the lcore polling each port.\n"
	  "Example: vswitchctl switch set sw0 --lcore 2",
	  1, 1, B(OPT_FDB_SIZE) | B(OPT_AGING) | B(OPT_LCORE), build_switch_set },
	{ "switch", "list", "switch list", VSW_OP_SWITCH_LIST, "", "list switches",
	  "Lists the switches, one name a line (with --format json: their records).",
	  0, 0, 0, build_none },
	{ "port", "add", "port add", VSW_OP_PORT_ADD,
	  "SWITCH PORT --vnic PARTITION|--uplink DEVARGS|--internal [--devargs DEVARGS] "
	  "[--mac MAC]",
	  "add a port to a switch",
	  "Adds a port: a partition's synthetic NIC (--vnic), a DPDK port (--uplink, on\n"
	  "an external switch), or the host OS's port (--internal, a tap; not on a\n"
	  "private switch). A new port is untagged with no guards or limits. Port names\n"
	  "are unique across switches. With --may-exist, the same port already on that\n"
	  "switch is not an error.\n"
	  "Example: vswitchctl port add sw0 p1 --uplink net_af_packet0,iface=veth0",
	  2, 2, PORT_KIND_OPTS, build_port_add },
	{ "port", "delete", "port delete", VSW_OP_PORT_DELETE, "PORT", "delete a port and its ACLs",
	  "Deletes a port and its ACLs. A port a mirror uses cannot go: delete the\n"
	  "mirror first. With --if-exists, a missing port is not an error.",
	  1, 1, 0, build_port_arg },
	{ "port", "set", "port set", VSW_OP_PORT_SET, "PORT [--devargs DEVARGS] [--mac MAC|none]",
	  "change a port's device or MAC",
	  "Changes the device behind a port (an uplink's or host port's devargs, a\n"
	  "vNIC's partition) or its MAC (none: a vNIC's own).",
	  1, 1, B(OPT_DEVARGS) | B(OPT_MAC), build_port_set },
	{ "port", "list", "port list", VSW_OP_PORT_LIST, "SWITCH", "list a switch's ports",
	  "Lists the ports of a switch, one name a line.",
	  1, 1, 0, build_sw_arg },
	{ "port", "vlan", "port vlan", VSW_OP_PORT_VLAN,
	  "PORT --access VLAN | --trunk LIST [--native VLAN] | --untagged",
	  "set a port's VLAN mode (Set-VMNetworkAdapterVlan)",
	  "Sets the port's 802.1Q mode; the modes exclude each other.\n"
	  "  --access VLAN    frames are untagged on the port and in VLAN inside\n"
	  "  --trunk LIST     tagged frames of the listed VLANs (1-100,200 or all) pass;\n"
	  "                   --native VLAN carries the port's untagged frames\n"
	  "  --untagged       no VLANs: untagged frames only (VLAN 0 inside)\n"
	  "Example: vswitchctl port vlan p1 --trunk 1-100,200 --native 10",
	  1, 1, B(OPT_ACCESS) | B(OPT_TRUNK) | B(OPT_NATIVE) | B(OPT_UNTAGGED),
	  build_port_vlan },
	{ "port", "security", "port security", VSW_OP_PORT_SECURITY,
	  "PORT [--mac-spoof-guard on|off] [--dhcp-guard on|off] [--router-guard on|off] "
	  "[--storm-limit PPS] [--mac-limit N] [--mac MAC|none]",
	  "set a port's guards and limits (Set-VMNetworkAdapter)",
	  "Sets the port's security policy; what is not given keeps its value.\n"
	  "  --mac-spoof-guard on   only the port's MAC may be a frame's source\n"
	  "  --dhcp-guard on        DHCP server messages from the port are dropped\n"
	  "  --router-guard on      router advertisements and redirects are dropped\n"
	  "  --storm-limit PPS      broadcast + multicast + unknown unicast per second\n"
	  "  --mac-limit N          MACs the switch learns on the port\n"
	  "Example: vswitchctl port security p1 --mac-spoof-guard on --storm-limit 1000",
	  1, 1, B(OPT_MAC_SPOOF) | B(OPT_DHCP_GUARD) | B(OPT_ROUTER_GUARD) | B(OPT_STORM) |
	  B(OPT_MAC_LIMIT) | B(OPT_MAC), build_port_security },
	{ "port", "qos", "port qos", VSW_OP_PORT_QOS, "PORT [--max-bps BPS] [--min-weight 0-100]",
	  "set a port's bandwidth limit and weight",
	  "Sets the port's egress bandwidth: a limit in bits per second (1e9, 10G;\n"
	  "0 = none) and a minimum-bandwidth weight (0-100) for its share when the\n"
	  "switch is contended. What is not given keeps its value.\n"
	  "Example: vswitchctl port qos p1 --max-bps 1e9 --min-weight 20",
	  1, 1, B(OPT_MAX_BPS) | B(OPT_MIN_WEIGHT), build_port_qos },
	{ "port", "acl", "port acl", VSW_OP_NONE,
	  "PORT add|delete|list|load [FILE|-] [--replace] [--action allow|deny|meter] "
	  "[--direction D] "
	  "[--local-mac M|--local-ip P] [--remote-mac M|--remote-ip P] [--weight N "
	  "[--protocol P] [--local-port R] [--remote-port R] [--stateful on|off] "
	  "[--idle-timeout S]]",
	  "add, delete or list a port's ACLs",
	  "A port ACL (Add-VMNetworkAdapterAcl) matches a MAC or an IP prefix on the\n"
	  "port's side (local) and/or the far side (remote), in a --direction: inbound\n"
	  "(to the port's owner), outbound (from it) or both. Of the ACLs that match,\n"
	  "the longest prefix wins; meter counts traffic (IP ACLs only).\n"
	  "With --weight, an extended ACL (Add-VMNetworkAdapterExtendedAcl) matches a\n"
	  "5-tuple: --protocol, --local-ip/--remote-ip, --local-port/--remote-port\n"
	  "ranges; extended ACLs are tried by descending weight and the first match\n"
	  "decides; --stateful on lets an allowed session's return traffic in.\n"
	  "Delete a plain ACL by its direction and addresses, an extended one by its\n"
	  "weight (and direction).\n"
	  "load FILE (- for standard input) adds every ACL in FILE, one per line in\n"
	  "add's options ('#' starts a comment), in one transaction: all of them are\n"
	  "stored and enforced together, or none is; with --replace the port's ACLs\n"
	  "become exactly the file's. Thousands of ACLs load in about a second.\n"
	  "Examples:\n"
	  "  vswitchctl port acl p1 add --action deny --direction inbound "
	  "--remote-ip 10.0.0.0/8\n"
	  "  vswitchctl port acl p1 add --weight 100 --action allow --direction outbound "
	  "--protocol tcp --remote-port 443 --stateful on\n"
	  "  vswitchctl port acl p1 delete --weight 100\n"
	  "  vswitchctl port acl p1 load policy.acl --replace",
	  2, 3, ACL_OPTS | B(OPT_REPLACE), build_port_acl },
	{ "mirror", "add", "mirror add", VSW_OP_MIRROR_ADD,
	  "SWITCH MIRROR --output PORT [--select-all] [--select-src PORT,...] "
	  "[--select-dst PORT,...] [--select-vlan LIST]",
	  "copy a selection of frames to a port",
	  "Copies frames to the --output port: all of them, those received from\n"
	  "--select-src ports, those sent to --select-dst ports, or those in\n"
	  "--select-vlan VLANs. Every port must be on the switch, and the output\n"
	  "cannot be selected.\n"
	  "Example: vswitchctl mirror add sw0 m0 --output p3 --select-src p1,p2",
	  2, 2, B(OPT_OUTPUT) | B(OPT_SELECT_ALL) | B(OPT_SELECT_SRC) | B(OPT_SELECT_DST) |
	  B(OPT_SELECT_VLAN), build_mirror_add },
	{ "mirror", "delete", "mirror delete", VSW_OP_MIRROR_DELETE, "MIRROR", "delete a mirror",
	  "Deletes a mirror. With --if-exists, a missing one is not an error.",
	  1, 1, 0, build_mirror_name },
	{ "mirror", "list", "mirror list", VSW_OP_MIRROR_LIST, "[SWITCH]", "list mirrors",
	  "Lists mirrors (of one switch, if given) with their output and selection.",
	  0, 1, 0, build_sw_arg },
	{ "extension", "add", "extension add", VSW_OP_EXT_ADD,
	  "SWITCH EXTENSION --type capture|filter|forward --module NAME|PATH [--args S] "
	  "[--disabled]",
	  "add an extension to a switch's stack",
	  "Adds an extension (Hyper-V's extensible switch): capture extensions see\n"
	  "frames first, then filters (which may drop), then forwarding (which picks\n"
	  "the destinations). A switch runs at most one enabled forwarding extension.\n"
	  "The module is a built-in name or an absolute path to a shared object.",
	  2, 2, B(OPT_TYPE) | B(OPT_MODULE) | B(OPT_ARGS) | B(OPT_DISABLED), build_ext_add },
	{ "extension", "delete", "extension delete", VSW_OP_EXT_DELETE, "SWITCH EXTENSION",
	  "remove an extension", "Removes an extension from the switch's stack.",
	  2, 2, 0, build_ext_names },
	{ "extension", "enable", "extension enable", VSW_OP_EXT_ENABLE, "SWITCH EXTENSION", "enable an extension",
	  "Enables an extension (Enable-VMSwitchExtension).", 2, 2, 0, build_ext_names },
	{ "extension", "move", "extension move", VSW_OP_EXT_MOVE, "SWITCH EXTENSION --position N",
	  "reorder a switch's extensions",
	  "Moves an extension to --position N of its switch's list (1 = first), the\n"
	  "order 'extension list' shows. Frames meet capture, then filter, then\n"
	  "forwarding extensions on ingress and the reverse on egress (Hyper-V's\n"
	  "stack); within a type they meet them in this order. The new chain takes\n"
	  "effect at once, with no frame lost, and is kept across restarts.\n"
	  "Example: vswitchctl extension move sw0 ids --position 1",
	  2, 2, B(OPT_POSITION), build_ext_move },
	{ "extension", "disable", "extension disable", VSW_OP_EXT_DISABLE, "SWITCH EXTENSION",
	  "disable an extension", "Disables an extension; it stays in the stack.",
	  2, 2, 0, build_ext_names },
	{ "extension", "list", "extension list", VSW_OP_EXT_LIST, "[SWITCH]", "list extensions",
	  "Lists extensions in stack order (of one switch, if given).",
	  0, 1, 0, build_sw_arg },
	{ "show", NULL, "show", VSW_OP_SHOW, "[SWITCH]", "print the whole configuration",
	  "Prints every switch (or one) with its ports, their VLAN, security, QoS and\n"
	  "ACLs, its mirrors and extensions, as a tree (ovs-vsctl show's shape).",
	  0, 1, 0, build_sw_arg },
	{ "stats", NULL, "stats", VSW_OP_STATS, "[PORT] [--switch SWITCH]", "print port counters",
	  "Prints the datapath's counters of every port, of one switch's ports, or of\n"
	  "one port: packets and bytes each way and drops by reason.",
	  0, 1, B(OPT_SWITCH), build_stats },
	{ "capture", "start", "capture start", VSW_OP_CAPTURE_START,
	  "PORT --file FILE [--direction inbound|outbound|both] [--count N] [--snaplen BYTES]",
	  "write a port's frames to a pcapng file",
	  "Starts writing the port's frames to a pcapng file. vswitchctl opens the file\n"
	  "(with your permissions) and hands it to vswitchd, which writes until --count\n"
	  "frames or `capture stop`. --file - writes to standard output.\n"
	  "Example: vswitchctl capture start p1 --file - --count 100 | tcpdump -r -",
	  1, 1, B(OPT_FILE) | B(OPT_DIRECTION) | B(OPT_COUNT) | B(OPT_SNAPLEN),
	  build_capture_start },
	{ "capture", "stop", "capture stop", VSW_OP_CAPTURE_STOP, "PORT", "stop a capture",
	  "Stops a port's capture and closes its file.", 1, 1, 0, build_port_arg },
};

#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

static const char *const nouns[] = {
	"switch", "port", "mirror", "extension", "show", "stats", "capture",
};

unsigned int vsw_verb_count(void)
{
	return N_VERBS;
}

const char *vsw_verb_words(unsigned int i)
{
	return i < N_VERBS ? verbs[i].words : NULL;
}

const char *vsw_verb_usage(unsigned int i)
{
	return i < N_VERBS ? verbs[i].usage : NULL;
}

enum vsw_op vsw_verb_op(const struct vsw_verb *v)
{
	return v->op;
}

/* ---- parsing ---- */

static int find_opt(const char *name, size_t n)
{
	for (int i = 0; i < OPT_COUNT_; i++)
		if (strlen(opts[i].name) == n && strncmp(opts[i].name, name, n) == 0)
			return i;
	return -1;
}

static bool known_noun(const char *s)
{
	for (size_t i = 0; i < sizeof(nouns) / sizeof(nouns[0]); i++)
		if (strcmp(nouns[i], s) == 0)
			return true;
	return false;
}

static const struct vsw_verb *find_verb(const char *noun, const char *verb)
{
	for (size_t i = 0; i < N_VERBS; i++) {
		if (strcmp(verbs[i].noun, noun) != 0)
			continue;
		if (verbs[i].verb == NULL || (verb != NULL && strcmp(verbs[i].verb, verb) == 0))
			return &verbs[i];
	}
	return NULL;
}

static void noun_verbs(const char *noun, char *out, size_t n)
{
	size_t at = 0;

	out[0] = '\0';
	for (size_t i = 0; i < N_VERBS && at < n; i++)
		if (strcmp(verbs[i].noun, noun) == 0 && verbs[i].verb != NULL)
			at += (size_t)snprintf(out + at, n - at, "%s%s", at ? ", " : "",
					       verbs[i].verb);
}

int vsw_cli_parse(int argc, char *const argv[], struct vsw_cli *cli, char *why, size_t len)
{
	struct build b = { .cli = cli, .c = &cli->req, .why = why, .len = len };
	char *const *pos;
	char **posv;
	unsigned int n_pos = 0, words;
	bool dashdash = false;
	const struct vsw_verb *v;
	char list[128], inner[512];
	uint64_t t;
	int rc = -EINVAL;

	memset(cli, 0, sizeof(*cli));
	cli->timeout_s = 30;
	vsw_change_init(&cli->req, VSW_OP_NONE);
	posv = calloc((size_t)argc + 1, sizeof(*posv));
	if (posv == NULL)
		return fail(&b, "out of memory");
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *eq;
		int o;

		if (dashdash || a[0] != '-' || a[1] == '\0') {
			posv[n_pos++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = true;
			continue;
		}
		if (strcmp(a, "-h") == 0) {
			b.val[OPT_HELP] = "";
			continue;
		}
		if (a[1] != '-') {
			fail(&b, "unknown option %s; options are long (--name); see "
			     "vswitchctl --help", a);
			goto out;
		}
		eq = strchr(a + 2, '=');
		o = find_opt(a + 2, eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2));
		if (o < 0) {
			fail(&b, "unknown option %.*s; see vswitchctl --help",
			     (int)(eq != NULL ? (size_t)(eq - a) : strlen(a)), a);
			goto out;
		}
		if (b.val[o] != NULL) {
			fail(&b, "--%s is given twice", opts[o].name);
			goto out;
		}
		if (opts[o].arg == NULL) {
			if (eq != NULL) {
				fail(&b, "--%s takes no value", opts[o].name);
				goto out;
			}
			b.val[o] = "";
		} else if (eq != NULL) {
			b.val[o] = eq + 1;
		} else if (i + 1 < argc) {
			b.val[o] = argv[++i];
		} else {
			fail(&b, "--%s needs a value (%s)", opts[o].name, opts[o].arg);
			goto out;
		}
	}
	pos = posv;
	if (b.val[OPT_VERSION] != NULL) {
		cli->version = true;
		rc = 0;
		goto out;
	}
	if (n_pos == 0) {
		if (b.val[OPT_HELP] != NULL) {
			cli->help = VSW_HELP_ALL;
			rc = 0;
		} else {
			fail(&b, "no command given; see vswitchctl --help");
		}
		goto out;
	}
	if (!known_noun(pos[0])) {
		fail(&b, "unknown command '%s'; commands are switch, port, mirror, extension, "
		     "show, stats and capture (vswitchctl --help)", pos[0]);
		goto out;
	}
	v = find_verb(pos[0], n_pos > 1 ? pos[1] : NULL);
	if (v == NULL) {
		noun_verbs(pos[0], list, sizeof(list));
		if (b.val[OPT_HELP] != NULL) {
			cli->help = VSW_HELP_NOUN;
			snprintf(cli->help_noun, sizeof(cli->help_noun), "%s", pos[0]);
			rc = 0;
		} else if (n_pos > 1) {
			fail(&b, "'%s %s' is not a command; %s takes %s", pos[0], pos[1], pos[0],
			     list);
		} else {
			fail(&b, "'%s' needs a verb: %s", pos[0], list);
		}
		goto out;
	}
	cli->verb = v;
	if (b.val[OPT_HELP] != NULL) {
		cli->help = VSW_HELP_VERB;
		rc = 0;
		goto out;
	}
	words = v->verb != NULL ? 2 : 1;
	b.pos = pos + words;
	b.n_pos = n_pos - words;
	for (int o = 0; o < OPT_COUNT_; o++) {
		if (b.val[o] != NULL && !((GLOBAL_OPTS | v->opts) & B(o))) {
			fail(&b, "%s: --%s does not apply here; see vswitchctl %s --help",
			     v->words, opts[o].name,
			     v->words);
			goto out;
		}
	}
	if (b.n_pos < v->min_pos || b.n_pos > v->max_pos) {
		fail(&b, "%s: %s; usage: vswitchctl %s %s",
		     v->words,
		     b.n_pos < v->min_pos ? "missing arguments" : "too many arguments",
		     v->words, v->usage);
		goto out;
	}
	cli->req.op = v->op;
	rc = v->build(&b);
	if (rc == 0 && b.val[OPT_MAY_EXIST] != NULL)
		cli->req.flags |= VSW_F_MAY_EXIST;
	if (rc == 0 && b.val[OPT_IF_EXISTS] != NULL)
		cli->req.flags |= VSW_F_IF_EXISTS;
	if (rc == 0)
		rc = vsw_change_check(&cli->req, why, len);
	if (rc == 0 && b.val[OPT_FORMAT] != NULL) {
		if (strcmp(b.val[OPT_FORMAT], "json") == 0)
			cli->format = VSW_FMT_JSON;
		else if (strcmp(b.val[OPT_FORMAT], "text") != 0)
			rc = fail(&b, "--format takes text or json, not '%s'", b.val[OPT_FORMAT]);
	}
	if (rc == 0 && b.val[OPT_TIMEOUT] != NULL) {
		rc = num(&b, OPT_TIMEOUT, 0, 86400, &t);
		cli->timeout_s = (unsigned int)t;
	}
	cli->socket = b.val[OPT_SOCKET];
	if (rc == 0 && cli->socket != NULL && cli->socket[0] == '\0')
		rc = fail(&b, "--socket needs a path");
	if (rc < 0) {
		/* Say which command the complaint is about. */
		snprintf(inner, sizeof(inner), "%s", why);
		if (strncmp(inner, v->words,
			    strlen(v->words)) != 0)
			snprintf(why, len, "%s: %s", v->words,
				 inner);
	}
out:
	free(posv);
	if (rc < 0)
		vsw_change_fini(&cli->req);
	return rc < 0 ? -EINVAL : 0;
}

/* ---- help ---- */

static void print_opts(FILE *f, uint64_t mask)
{
	for (int o = 0; o < OPT_COUNT_; o++) {
		char left[48];

		if (!(mask & B(o)) || opts[o].help[0] == '\0')
			continue;
		snprintf(left, sizeof(left), "--%s%s%s", opts[o].name, opts[o].arg ? " " : "",
			 opts[o].arg ? opts[o].arg : "");
		fprintf(f, "  %-28s %s\n", left, opts[o].help);
	}
}

void vsw_cli_print_usage(FILE *f)
{
	for (unsigned int i = 0; i < N_VERBS; i++)
		fprintf(f, "  %s %s\n", vsw_verb_words(i), verbs[i].usage);
}

static void print_exit_codes(FILE *f)
{
	fprintf(f, "\nExit status: 0 done; 1 vswitchd refused (it says why; nothing changed);\n"
		   "2 bad command line (nothing sent); 3 vswitchd cannot be reached.\n");
}

void vsw_cli_print_help(FILE *f, const struct vsw_cli *cli)
{
	const struct vsw_verb *v = cli->verb;
	unsigned int flags;

	if (cli->help == VSW_HELP_VERB && v != NULL) {
		unsigned int i = (unsigned int)(v - verbs);

		fprintf(f, "usage: vswitchctl %s %s\n\n%s\n", vsw_verb_words(i), v->usage, v->help);
		if (v->opts != 0) {
			fprintf(f, "\nOptions:\n");
			print_opts(f, v->opts & ~B(OPT_TYPE));
		}
		flags = v->op != VSW_OP_NONE ? vsw_op_flags(v->op)
					     : VSW_F_MAY_EXIST | VSW_F_IF_EXISTS;
		if (flags != 0)
			print_opts(f, ((flags & VSW_F_MAY_EXIST) ? B(OPT_MAY_EXIST) : 0) |
				      ((flags & VSW_F_IF_EXISTS) ? B(OPT_IF_EXISTS) : 0));
		fprintf(f, "\nCommon options: --format text|json, --socket PATH, --timeout SECONDS "
			   "(vswitchctl --help)\n");
		print_exit_codes(f);
		return;
	}
	if (cli->help == VSW_HELP_NOUN) {
		fprintf(f, "usage:\n");
		for (unsigned int i = 0; i < N_VERBS; i++)
			if (strcmp(verbs[i].noun, cli->help_noun) == 0)
				fprintf(f, "  vswitchctl %s %s\n      %s\n", vsw_verb_words(i),
					verbs[i].usage, verbs[i].summary);
		fprintf(f, "\nvswitchctl %s VERB --help describes one.\n", cli->help_noun);
		return;
	}
	fprintf(f, "usage: vswitchctl [OPTIONS] COMMAND [ARGS]\n\n"
		   "Configures hvnet's virtual switches through vswitchd. Every change is\n"
		   "committed to vswitchd's configuration store before it is applied, so it\n"
		   "survives a restart; a refused change changes nothing.\n\nCommands:\n");
	for (unsigned int i = 0; i < N_VERBS; i++)
		fprintf(f, "  %-19s %s\n", vsw_verb_words(i), verbs[i].summary);
	fprintf(f, "\n`vswitchctl COMMAND --help` gives a command's arguments and options.\n"
		   "\nOptions:\n");
	print_opts(f, GLOBAL_OPTS);
	print_exit_codes(f);
}
