/* The configuration model's rules (vsw_config.h): what a valid record
 * is, and the text forms of its fields. vswitchctl checks a request with
 * these before sending it, vswitchd checks every request it decodes and
 * every row it loads with the same ones, so the three never disagree.
 *
 * Every parser here is the exact inverse of its formatter: the store and
 * the JSON protocol keep fields in these text forms, and a value must
 * survive any number of round trips unchanged. */
#include "vswitch/vsw_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHY(...) (snprintf(why, len, __VA_ARGS__), -EINVAL)

/* ---- enum names ---- */

static const char *const switch_type_names[] = {
	[VSW_SWITCH_EXTERNAL] = "external",
	[VSW_SWITCH_INTERNAL] = "internal",
	[VSW_SWITCH_PRIVATE] = "private",
};
static const char *const port_kind_names[] = {
	[VSW_PORT_VNIC] = "vnic",
	[VSW_PORT_UPLINK] = "uplink",
	[VSW_PORT_INTERNAL] = "internal",
};
static const char *const vlan_mode_names[] = {
	[VSW_VLAN_UNTAGGED] = "untagged",
	[VSW_VLAN_ACCESS] = "access",
	[VSW_VLAN_TRUNK] = "trunk",
};
static const char *const acl_action_names[] = {
	[VSW_ACL_ALLOW] = "allow",
	[VSW_ACL_DENY] = "deny",
	[VSW_ACL_METER] = "meter",
};
static const char *const dir_names[] = {
	[VSW_DIR_INBOUND] = "inbound",
	[VSW_DIR_OUTBOUND] = "outbound",
	[VSW_DIR_BOTH] = "both",
};
static const char *const ext_type_names[] = {
	[VSW_EXT_CAPTURE] = "capture",
	[VSW_EXT_FILTER] = "filter",
	[VSW_EXT_FORWARD] = "forward",
};

static const char *name_of(const char *const *names, size_t n, unsigned int v)
{
	return v < n && names[v] != NULL ? names[v] : "?";
}

static int parse_name(const char *const *names, size_t n, const char *s, unsigned int *out)
{
	for (size_t i = 0; i < n; i++) {
		if (names[i] != NULL && strcmp(names[i], s) == 0) {
			*out = (unsigned int)i;
			return 0;
		}
	}
	return -EINVAL;
}

#define ENUM_FUNCS(type, fn, names) \
const char *vsw_##fn##_name(enum type v) \
{ \
	return name_of(names, sizeof(names) / sizeof(names[0]), (unsigned int)v); \
} \
int vsw_##fn##_parse(const char *s, enum type *out) \
{ \
	unsigned int v; \
	int rc = parse_name(names, sizeof(names) / sizeof(names[0]), s, &v); \
	if (rc == 0) \
		*out = (enum type)v; \
	return rc; \
}

ENUM_FUNCS(vsw_switch_type, switch_type, switch_type_names)
ENUM_FUNCS(vsw_port_kind, port_kind, port_kind_names)
ENUM_FUNCS(vsw_vlan_mode, vlan_mode, vlan_mode_names)
ENUM_FUNCS(vsw_acl_action, acl_action, acl_action_names)
ENUM_FUNCS(vsw_dir, dir, dir_names)
ENUM_FUNCS(vsw_ext_type, ext_type, ext_type_names)

/* ---- numbers ---- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Whole decimal digits only (no sign, no space), at most 'max'. */
static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		if (!is_digit(*s))
			return -EINVAL;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

int vsw_parse_u64(const char *s, uint64_t max, uint64_t *out, char *why, size_t len)
{
	static const char suffixes[] = "kMGT";
	char num[64];
	const char *p = s, *sfx;
	uint64_t scale = 1;
	size_t n;
	bool plain = true;
	long double v;

	/* Checked by hand first: strtold would also take spaces, signs, hex,
	 * "inf" and "nan". */
	if (!is_digit(*p))
		return WHY("'%s' is not a number (digits, optionally 1e9 or 10G)", s);
	while (is_digit(*p))
		p++;
	if (*p == '.') {
		plain = false;
		if (!is_digit(*++p))
			return WHY("'%s' is not a number (digits, optionally 1e9 or 10G)", s);
		while (is_digit(*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		plain = false;
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!is_digit(*p))
			return WHY("'%s' has an exponent without digits", s);
		while (is_digit(*p))
			p++;
	}
	n = (size_t)(p - s);
	if (*p != '\0') {
		sfx = strchr(suffixes, *p);
		if (sfx == NULL || p[1] != '\0')
			return WHY("'%s' has an unknown suffix (use k, M, G or T)", s);
		for (long i = 0; i <= sfx - suffixes; i++)
			scale *= 1000;
	}
	if (n >= sizeof(num))
		return WHY("'%s' is too long for a number", s);
	memcpy(num, s, n);
	num[n] = '\0';
	if (plain) {
		uint64_t u;

		if (parse_uint(num, UINT64_MAX, &u) < 0 || u > max / scale)
			return WHY("%s is too large (at most %" PRIu64 ")", s, max);
		*out = u * scale;
		return 0;
	}
	v = strtold(num, NULL) * (long double)scale;
	if (!(v <= (long double)max))
		return WHY("%s is too large (at most %" PRIu64 ")", s, max);
	if ((long double)(uint64_t)v != v)
		return WHY("%s is not a whole number", s);
	*out = (uint64_t)v;
	return 0;
}

/* ---- names and free text ---- */

static bool name_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c))
		return true;
	return !first && (c == '_' || c == '-' || c == '.');
}

int vsw_cfg_check_name(const char *name, char *why, size_t len)
{
	size_t n = strnlen(name, VSW_NAME_MAX);

	if (n == 0)
		return WHY("a name may not be empty");
	if (n >= VSW_NAME_MAX)
		return WHY("name '%.*s...' is longer than %d characters", 16, name,
			   VSW_NAME_MAX - 1);
	for (size_t i = 0; i < n; i++)
		if (!name_char(name[i], i == 0))
			return WHY("name '%s' may hold only letters, digits, '_', '-' and '.', "
				   "and must start with a letter or digit", name);
	return 0;
}

/* Devargs as DPDK writes them ("net_af_packet0,iface=veth0",
 * "0000:06:00.0"): no spaces or quotes, nothing a shell or the store's
 * text form could split on. */
static bool devargs_ok(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!name_char(*s, false) && strchr(",:=/@+%", *s) == NULL)
			return false;
	}
	return true;
}

static bool printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* ---- records ---- */

int vsw_cfg_check_switch(const struct vsw_switch_cfg *c, char *why, size_t len)
{
	int rc = vsw_cfg_check_name(c->name, why, len);

	if (rc < 0)
		return rc;
	if ((unsigned int)c->type > VSW_SWITCH_PRIVATE)
		return WHY("switch %s: the type must be external, internal or private", c->name);
	if (c->fdb_size > VSW_FDB_SIZE_MAX)
		return WHY("switch %s: the MAC table size %" PRIu32 " is above %u", c->name,
			   c->fdb_size, VSW_FDB_SIZE_MAX);
	if (c->aging_s > VSW_AGING_MAX)
		return WHY("switch %s: MAC aging of %" PRIu32 " s is above %u s", c->name,
			   c->aging_s, VSW_AGING_MAX);
	if (c->lcore < VSW_LCORE_AUTO || c->lcore > VSW_LCORE_MAX)
		return WHY("switch %s: lcore %d is not auto or 0-%d", c->name, c->lcore,
			   VSW_LCORE_MAX);
	return 0;
}

static bool bitmap_empty(const uint64_t map[64])
{
	for (int i = 0; i < 64; i++)
		if (map[i] != 0)
			return false;
	return true;
}

/* Bit 0 and bits above 4094 are no VLAN an operator can name. */
static bool bitmap_valid(const uint64_t map[64])
{
	return (map[0] & 1) == 0 && (map[63] >> (VSW_VLAN_MAX % 64 + 1)) == 0;
}

int vsw_cfg_check_vlan(const struct vsw_vlan_cfg *v, char *why, size_t len)
{
	switch (v->mode) {
	case VSW_VLAN_UNTAGGED:
		if (v->access_vlan != 0 || v->native_vlan != 0 || !bitmap_empty(v->allowed))
			return WHY("an untagged port has no access, native or allowed VLANs");
		return 0;
	case VSW_VLAN_ACCESS:
		if (v->access_vlan < 1 || v->access_vlan > VSW_VLAN_MAX)
			return WHY("access VLAN %u is out of range (1-%d)", v->access_vlan,
				   VSW_VLAN_MAX);
		if (v->native_vlan != 0 || !bitmap_empty(v->allowed))
			return WHY("an access port has no native or allowed VLANs");
		return 0;
	case VSW_VLAN_TRUNK:
		if (v->access_vlan != 0)
			return WHY("a trunk port has no access VLAN; use its native VLAN");
		if (v->native_vlan > VSW_VLAN_MAX)
			return WHY("native VLAN %u is out of range (1-%d)", v->native_vlan,
				   VSW_VLAN_MAX);
		if (bitmap_empty(v->allowed))
			return WHY("a trunk port needs at least one allowed VLAN");
		if (!bitmap_valid(v->allowed))
			return WHY("the allowed VLANs must lie in 1-%d", VSW_VLAN_MAX);
		return 0;
	}
	return WHY("the VLAN mode must be untagged, access or trunk");
}

static bool mac_is_zero(const uint8_t mac[6])
{
	return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0;
}

int vsw_cfg_check_security(const struct vsw_security_cfg *s, char *why, size_t len)
{
	char m[VSW_MAC_STR];

	/* All zero is "none given": a vNIC then uses the MAC netVSP gave it. */
	if (!mac_is_zero(s->mac) && (s->mac[0] & 1) != 0) {
		vsw_mac_format(s->mac, m);
		return WHY("%s is a multicast MAC; a port's MAC must be unicast", m);
	}
	if (s->storm_limit_pps > VSW_STORM_LIMIT_MAX)
		return WHY("a storm limit of %" PRIu64 " pps is above %llu", s->storm_limit_pps,
			   VSW_STORM_LIMIT_MAX);
	if (s->mac_limit > VSW_MAC_LIMIT_MAX)
		return WHY("a limit of %" PRIu32 " MACs is above %u", s->mac_limit,
			   VSW_MAC_LIMIT_MAX);
	return 0;
}

int vsw_cfg_check_qos(const struct vsw_qos_cfg *q, char *why, size_t len)
{
	if (q->max_bps > VSW_MAX_BPS_MAX)
		return WHY("a maximum of %" PRIu64 " b/s is above %llu (10 Tb/s)", q->max_bps,
			   VSW_MAX_BPS_MAX);
	if (q->min_weight > VSW_MIN_WEIGHT_MAX)
		return WHY("a minimum-bandwidth weight of %" PRIu32 " is above %u", q->min_weight,
			   VSW_MIN_WEIGHT_MAX);
	return 0;
}

int vsw_cfg_check_port(const struct vsw_port_cfg *c, char *why, size_t len)
{
	size_t n;
	int rc;

	rc = vsw_cfg_check_name(c->name, why, len);
	if (rc == 0)
		rc = vsw_cfg_check_name(c->sw, why, len);
	if (rc < 0)
		return rc;
	n = strnlen(c->devargs, VSW_DEVARGS_MAX);
	if (n >= VSW_DEVARGS_MAX)
		return WHY("port %s: devargs are longer than %d characters", c->name,
			   VSW_DEVARGS_MAX - 1);
	switch (c->kind) {
	case VSW_PORT_VNIC:
		if (n == 0)
			return WHY("port %s: a vNIC names the partition it belongs to", c->name);
		if (vsw_cfg_check_name(c->devargs, why, len) < 0)
			return WHY("port %s: partition name '%s' may hold only letters, digits, "
				   "'_', '-' and '.'", c->name, c->devargs);
		break;
	case VSW_PORT_UPLINK:
		if (n == 0)
			return WHY("port %s: an uplink needs DPDK devargs (e.g. "
				   "net_af_packet0,iface=eth1 or a PCI address)", c->name);
		/* fall through */
	case VSW_PORT_INTERNAL:
		if (!devargs_ok(c->devargs))
			return WHY("port %s: devargs '%s' may hold only letters, digits and "
				   "_ - . , : = / @ + %%", c->name, c->devargs);
		break;
	default:
		return WHY("port %s: the kind must be vnic, uplink or internal", c->name);
	}
	if (vsw_cfg_check_vlan(&c->vlan, why, len) < 0 ||
	    vsw_cfg_check_security(&c->sec, why, len) < 0 ||
	    vsw_cfg_check_qos(&c->qos, why, len) < 0) {
		char inner[200];

		snprintf(inner, sizeof(inner), "%s", why);
		return WHY("port %s: %s", c->name, inner);
	}
	return 0;
}

void vsw_port_cfg_init(struct vsw_port_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->vlan.mode = VSW_VLAN_UNTAGGED;
}

/* ---- ACLs ---- */

static bool addr_is_ip(const struct vsw_acl_addr *a)
{
	return a->kind == VSW_ADDR_IPV4 || a->kind == VSW_ADDR_IPV6;
}

static int check_addr(const struct vsw_acl_addr *a, const char *side, char *why, size_t len)
{
	unsigned int bytes, bits;

	switch (a->kind) {
	case VSW_ADDR_ANY:
		bytes = 0;
		bits = 0;
		break;
	case VSW_ADDR_MAC:
		bytes = 6;
		bits = 48;
		break;
	case VSW_ADDR_IPV4:
		bytes = 4;
		bits = 32;
		break;
	case VSW_ADDR_IPV6:
		bytes = 16;
		bits = 128;
		break;
	default:
		return WHY("the %s address has no known kind", side);
	}
	if (a->kind == VSW_ADDR_MAC ? a->plen != 48 : a->plen > bits)
		return WHY("the %s prefix length %u is out of range (0-%u)", side, a->plen, bits);
	for (unsigned int i = 0; i < 16; i++) {
		uint8_t keep = 0;

		if (i < bytes && i * 8 < a->plen)
			keep = a->plen >= (i + 1) * 8 ? 0xff : (uint8_t)(0xff << (8 - a->plen % 8));
		if ((a->addr[i] & (uint8_t)~keep) != 0)
			return WHY("the %s address has bits set beyond its /%u prefix", side,
				   a->plen);
	}
	return 0;
}

static bool proto_has_ports(int16_t p)
{
	return p == 6 || p == 17 || p == 132;
}

int vsw_cfg_check_acl(const struct vsw_acl_cfg *a, char *why, size_t len)
{
	const struct vsw_acl_addr *l = &a->local, *r = &a->remote;
	int rc;

	rc = vsw_cfg_check_name(a->port, why, len);
	if (rc < 0)
		return rc;
	if ((unsigned int)a->action > VSW_ACL_METER)
		return WHY("an ACL's action must be allow, deny or meter");
	if (a->dir < VSW_DIR_INBOUND || a->dir > VSW_DIR_BOTH)
		return WHY("an ACL's direction must be inbound, outbound or both");
	if (check_addr(l, "local", why, len) < 0 || check_addr(r, "remote", why, len) < 0)
		return -EINVAL;
	if (l->kind != VSW_ADDR_ANY && r->kind != VSW_ADDR_ANY && l->kind != r->kind)
		return WHY("the local and remote addresses must be of one kind "
			   "(both MAC, both IPv4 or both IPv6)");
	if (!a->extended) {
		if (l->kind == VSW_ADDR_ANY && r->kind == VSW_ADDR_ANY)
			return WHY("an ACL needs a local or remote MAC or IP address "
				   "(a 5-tuple rule needs --weight)");
		if (a->action == VSW_ACL_METER && !addr_is_ip(l) && !addr_is_ip(r))
			return WHY("a meter ACL must match IP addresses, not MACs");
		if (a->protocol != VSW_ACL_PROTO_ANY || a->local_port_lo != 0 ||
		    a->local_port_hi != 65535 || a->remote_port_lo != 0 ||
		    a->remote_port_hi != 65535 || a->weight != 0 || a->stateful ||
		    a->idle_timeout_s != 0)
			return WHY("protocol, ports, stateful and idle timeout need an extended "
				   "ACL (give --weight)");
		return 0;
	}
	if (a->action == VSW_ACL_METER)
		return WHY("an extended ACL allows or denies; meter needs a plain IP ACL");
	if (l->kind == VSW_ADDR_MAC || r->kind == VSW_ADDR_MAC)
		return WHY("an extended ACL matches IP addresses, not MACs");
	if (a->protocol < VSW_ACL_PROTO_ANY || a->protocol > 255)
		return WHY("the protocol must be any or 0-255");
	if (a->local_port_lo > a->local_port_hi || a->remote_port_lo > a->remote_port_hi)
		return WHY("a port range must run from low to high");
	if (!proto_has_ports(a->protocol) &&
	    (a->local_port_lo != 0 || a->local_port_hi != 65535 || a->remote_port_lo != 0 ||
	     a->remote_port_hi != 65535))
		return WHY("ports need protocol tcp, udp or sctp");
	if (a->weight == 0)
		return WHY("an extended ACL's weight must be 1-65535");
	if (a->stateful && a->action != VSW_ACL_ALLOW)
		return WHY("only an allow ACL can be stateful");
	if (!a->stateful && a->idle_timeout_s != 0)
		return WHY("an idle timeout needs a stateful ACL (--stateful on)");
	if (a->idle_timeout_s > VSW_AGING_MAX)
		return WHY("an idle timeout of %" PRIu32 " s is above %u s", a->idle_timeout_s,
			   VSW_AGING_MAX);
	return 0;
}

/* ---- mirrors and extensions ---- */

static int check_name_list(const char (*list)[VSW_NAME_MAX], unsigned int n, const char *output,
			   const char *what, char *why, size_t len)
{
	for (unsigned int i = 0; i < n; i++) {
		if (vsw_cfg_check_name(list[i], why, len) < 0)
			return -EINVAL;
		if (strcmp(list[i], output) == 0)
			return WHY("port %s is the mirror's output and cannot be selected (%s): "
				   "it would mirror its own copies", output, what);
		for (unsigned int j = 0; j < i; j++)
			if (strcmp(list[i], list[j]) == 0)
				return WHY("port %s is listed twice in %s", list[i], what);
	}
	return 0;
}

int vsw_cfg_check_mirror(const struct vsw_mirror_cfg *m, char *why, size_t len)
{
	int rc;

	rc = vsw_cfg_check_name(m->name, why, len);
	if (rc == 0)
		rc = vsw_cfg_check_name(m->sw, why, len);
	if (rc == 0)
		rc = vsw_cfg_check_name(m->output, why, len);
	if (rc < 0)
		return rc;
	if (m->n_src > VSW_MIRROR_SELECT_MAX || m->n_dst > VSW_MIRROR_SELECT_MAX)
		return WHY("mirror %s: at most %d ports per selection", m->name,
			   VSW_MIRROR_SELECT_MAX);
	if (check_name_list(m->select_src, m->n_src, m->output, "select-src", why, len) < 0 ||
	    check_name_list(m->select_dst, m->n_dst, m->output, "select-dst", why, len) < 0)
		return -EINVAL;
	if (m->has_vlans ? bitmap_empty(m->select_vlans) || !bitmap_valid(m->select_vlans)
			 : !bitmap_empty(m->select_vlans))
		return WHY("mirror %s: the selected VLANs must be a non-empty list in 1-%d",
			   m->name, VSW_VLAN_MAX);
	if (!m->select_all && m->n_src == 0 && m->n_dst == 0 && !m->has_vlans)
		return WHY("mirror %s selects nothing: give --select-all, --select-src, "
			   "--select-dst or --select-vlan", m->name);
	return 0;
}

int vsw_cfg_check_ext(const struct vsw_ext_cfg *e, char *why, size_t len)
{
	size_t n;
	int rc;

	rc = vsw_cfg_check_name(e->sw, why, len);
	if (rc == 0)
		rc = vsw_cfg_check_name(e->name, why, len);
	if (rc < 0)
		return rc;
	if ((unsigned int)e->type > VSW_EXT_FORWARD)
		return WHY("extension %s: the type must be capture, filter or forward", e->name);
	n = strnlen(e->module, VSW_EXT_MODULE_MAX);
	if (n == 0 || n >= VSW_EXT_MODULE_MAX)
		return WHY("extension %s: the module must be a built-in name or an absolute "
			   "path of at most %d characters", e->name, VSW_EXT_MODULE_MAX - 1);
	if (e->module[0] == '/') {
		if (!devargs_ok(e->module) || strstr(e->module, "/../") != NULL)
			return WHY("extension %s: module path '%s' may hold only letters, digits "
				   "and _ - . / and no '..' component", e->name, e->module);
	} else if (vsw_cfg_check_name(e->module, why, len) < 0) {
		return WHY("extension %s: module '%s' is neither a built-in name nor an "
			   "absolute path", e->name, e->module);
	}
	n = strnlen(e->args, VSW_EXT_ARGS_MAX);
	if (n >= VSW_EXT_ARGS_MAX || !printable(e->args))
		return WHY("extension %s: arguments must be printable ASCII, at most %d "
			   "characters", e->name, VSW_EXT_ARGS_MAX - 1);
	return 0;
}

/* ---- VLAN lists ---- */

/* One number of a list: digits only, 1..4094. */
static int vlan_number(const char **p, uint16_t *out, const char *whole, char *why, size_t len)
{
	uint32_t v = 0;
	const char *s = *p;

	if (!is_digit(*s))
		return WHY("'%s' is not a VLAN list (like 1-100,200)", whole);
	while (is_digit(*s)) {
		v = v * 10 + (uint32_t)(*s++ - '0');
		if (v > 99999)
			break;
	}
	if (v < 1 || v > VSW_VLAN_MAX)
		return WHY("VLAN %" PRIu32 "%s in '%s' is out of range (1-%d)", v,
			   v > 99999 ? "..." : "", whole, VSW_VLAN_MAX);
	*out = (uint16_t)v;
	*p = s;
	return 0;
}

int vsw_vlan_parse_list(const char *s, uint64_t allowed[64], char *why, size_t len)
{
	const char *p = s;
	uint16_t lo, hi;

	memset(allowed, 0, 64 * sizeof(allowed[0]));
	if (strcmp(s, "all") == 0) {
		for (unsigned int v = 1; v <= VSW_VLAN_MAX; v++)
			allowed[v / 64] |= 1ull << (v % 64);
		return 0;
	}
	for (;;) {
		if (vlan_number(&p, &lo, s, why, len) < 0)
			return -EINVAL;
		hi = lo;
		if (*p == '-') {
			p++;
			if (vlan_number(&p, &hi, s, why, len) < 0)
				return -EINVAL;
			if (hi < lo)
				return WHY("range %u-%u in '%s' runs backwards", lo, hi, s);
		}
		for (unsigned int v = lo; v <= hi; v++)
			allowed[v / 64] |= 1ull << (v % 64);
		if (*p == '\0')
			return 0;
		if (*p != ',' || p[1] == '\0')
			return WHY("'%s' is not a VLAN list (numbers and ranges separated by "
				   "commas, like 1-100,200)", s);
		p++;
	}
}

int vsw_vlan_format_list(const uint64_t allowed[64], char *out, size_t len)
{
	size_t need = 0, at = 0;
	bool cut = false;

	if (len > 0)
		out[0] = '\0';
	for (unsigned int v = 1; v <= VSW_VLAN_MAX; v++) {
		unsigned int end = v;
		char item[16];
		int n;

		if (!((allowed[v / 64] >> (v % 64)) & 1))
			continue;
		while (end + 1 <= VSW_VLAN_MAX && ((allowed[(end + 1) / 64] >> ((end + 1) % 64)) & 1))
			end++;
		if (end == v)
			n = snprintf(item, sizeof(item), "%s%u", need ? "," : "", v);
		else
			n = snprintf(item, sizeof(item), "%s%u-%u", need ? "," : "", v, end);
		need += (size_t)n;
		/* Room is kept for ",..." so a cut list still says it is cut. */
		if (!cut && at + (size_t)n + 4 < len) {
			memcpy(out + at, item, (size_t)n + 1);
			at += (size_t)n;
		} else if (!cut) {
			cut = true;
			if (at + 4 < len)
				snprintf(out + at, len - at, "%s...", at ? "," : "");
		}
		v = end;
	}
	return (int)need;
}

/* ---- MACs, addresses, protocols, port ranges ---- */

static int hexval(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool mac_syntax(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		int h = hexval(s[i * 3]), l = hexval(s[i * 3 + 1]);

		if (h < 0 || l < 0)
			return false;
		if (i < 5 && s[i * 3 + 2] != ':' && s[i * 3 + 2] != '-')
			return false;
		mac[i] = (uint8_t)(h << 4 | l);
	}
	return true;
}

int vsw_mac_parse(const char *s, uint8_t mac[6], char *why, size_t len)
{
	if (!mac_syntax(s, mac))
		return WHY("'%s' is not a MAC address (like 00:15:5d:00:00:01)", s);
	return 0;
}

void vsw_mac_format(const uint8_t mac[6], char out[VSW_MAC_STR])
{
	snprintf(out, VSW_MAC_STR, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
}

int vsw_acl_addr_parse(const char *s, struct vsw_acl_addr *a, char *why, size_t len)
{
	char host[VSW_ADDR_STR];
	const char *slash;
	uint64_t plen;
	size_t n;

	memset(a, 0, sizeof(*a));
	if (strcmp(s, "any") == 0)
		return 0;
	if (mac_syntax(s, a->addr)) {
		a->kind = VSW_ADDR_MAC;
		a->plen = 48;
		return 0;
	}
	slash = strchr(s, '/');
	n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(host))
		return WHY("'%s' is not a MAC, an IP address or prefix, or any", s);
	memcpy(host, s, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, a->addr) == 1) {
		a->kind = VSW_ADDR_IPV4;
		a->plen = 32;
	} else if (inet_pton(AF_INET6, host, a->addr) == 1) {
		a->kind = VSW_ADDR_IPV6;
		a->plen = 128;
	} else {
		memset(a, 0, sizeof(*a));
		return WHY("'%s' is not a MAC, an IP address or prefix, or any", s);
	}
	if (slash != NULL) {
		if (parse_uint(slash + 1, a->plen, &plen) < 0) {
			unsigned int max = a->plen;

			memset(a, 0, sizeof(*a));
			return WHY("'%s' has a bad prefix length (0-%u)", s, max);
		}
		a->plen = (uint8_t)plen;
	}
	if (check_addr(a, "given", why, len) < 0) {
		struct vsw_acl_addr net = *a;
		char fix[VSW_ADDR_STR];

		for (unsigned int i = 0; i < 16; i++) {
			if (i * 8 >= a->plen)
				net.addr[i] = 0;
			else if (a->plen < (i + 1) * 8)
				net.addr[i] &= (uint8_t)(0xff << (8 - a->plen % 8));
		}
		vsw_acl_addr_format(&net, fix);
		memset(a, 0, sizeof(*a));
		return WHY("'%s' has host bits set; did you mean %s?", s, fix);
	}
	return 0;
}

void vsw_acl_addr_format(const struct vsw_acl_addr *a, char out[VSW_ADDR_STR])
{
	char ip[INET6_ADDRSTRLEN];

	switch (a->kind) {
	case VSW_ADDR_MAC:
		vsw_mac_format(a->addr, out);
		return;
	case VSW_ADDR_IPV4:
	case VSW_ADDR_IPV6:
		inet_ntop(a->kind == VSW_ADDR_IPV4 ? AF_INET : AF_INET6, a->addr, ip, sizeof(ip));
		snprintf(out, VSW_ADDR_STR, "%s/%u", ip, a->plen);
		return;
	default:
		snprintf(out, VSW_ADDR_STR, "any");
		return;
	}
}

static const struct {
	const char *name;
	int16_t proto;
} proto_names[] = {
	{ "any", VSW_ACL_PROTO_ANY }, { "icmp", 1 }, { "tcp", 6 }, { "udp", 17 },
	{ "icmpv6", 58 }, { "sctp", 132 },
};

int vsw_acl_proto_parse(const char *s, int16_t *proto, char *why, size_t len)
{
	uint64_t v;

	for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++) {
		if (strcmp(s, proto_names[i].name) == 0) {
			*proto = proto_names[i].proto;
			return 0;
		}
	}
	if (parse_uint(s, 255, &v) < 0)
		return WHY("'%s' is not a protocol (tcp, udp, icmp, icmpv6, sctp, any or 0-255)",
			   s);
	*proto = (int16_t)v;
	return 0;
}

void vsw_acl_proto_format(int16_t proto, char out[8])
{
	for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++) {
		if (proto == proto_names[i].proto) {
			snprintf(out, 8, "%s", proto_names[i].name);
			return;
		}
	}
	snprintf(out, 8, "%d", proto);
}

int vsw_port_range_parse(const char *s, uint16_t *lo, uint16_t *hi, char *why, size_t len)
{
	char first[8];
	const char *dash;
	uint64_t a, b;
	size_t n;

	if (strcmp(s, "any") == 0) {
		*lo = 0;
		*hi = 65535;
		return 0;
	}
	dash = strchr(s, '-');
	n = dash != NULL ? (size_t)(dash - s) : strlen(s);
	if (n >= sizeof(first))
		return WHY("'%s' is not a port or range (like 80 or 1024-65535)", s);
	memcpy(first, s, n);
	first[n] = '\0';
	if (parse_uint(first, 65535, &a) < 0 ||
	    (dash != NULL ? parse_uint(dash + 1, 65535, &b) < 0 : (b = a, false)))
		return WHY("'%s' is not a port or range (like 80 or 1024-65535)", s);
	if (b < a)
		return WHY("port range '%s' runs backwards", s);
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

void vsw_port_range_format(uint16_t lo, uint16_t hi, char out[12])
{
	if (lo == 0 && hi == 65535)
		snprintf(out, 12, "any");
	else if (lo == hi)
		snprintf(out, 12, "%u", lo);
	else
		snprintf(out, 12, "%u-%u", lo, hi);
}
