/* vswitchctl's JSON protocol (vsw_ctl.h): records, requests and replies,
 * each encoder paired with a strict decoder. Decoders take input from a
 * socket: every field is looked up in what the object may hold, checked
 * for type and range, refused if given twice, and the result goes through
 * the same validators as the command line. */
#include "vswitch/vsw_ctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- encoding records ---- */

static void put_vlan(struct vsw_jw *w, const struct vsw_vlan_cfg *v)
{
	char vl[VSW_VLAN_LIST_MAX];

	vsw_jw_obj_open(w);
	vsw_jw_kstr(w, "mode", vsw_vlan_mode_name(v->mode));
	if (v->mode == VSW_VLAN_ACCESS)
		vsw_jw_ku64(w, "vlan", v->access_vlan);
	if (v->mode == VSW_VLAN_TRUNK) {
		vsw_vlan_format_list(v->allowed, vl, sizeof(vl));
		vsw_jw_kstr(w, "allowed", vl);
		if (v->native_vlan != 0)
			vsw_jw_ku64(w, "native", v->native_vlan);
	}
	vsw_jw_obj_close(w);
}

static bool mac_set(const uint8_t mac[6])
{
	return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) != 0;
}

/* All fields (mask ~0u) or those a partial update sets. */
static void put_security(struct vsw_jw *w, const struct vsw_security_cfg *s, uint32_t mask)
{
	char mac[VSW_MAC_STR];

	vsw_jw_obj_open(w);
	if (mask & VSW_FLD_MAC_SPOOF)
		vsw_jw_kbool(w, "mac_spoof_guard", s->mac_spoof_guard);
	if ((mask & VSW_FLD_MAC) && (mask != ~0u || mac_set(s->mac))) {
		vsw_mac_format(s->mac, mac);
		vsw_jw_kstr(w, "mac", mac_set(s->mac) ? mac : "");
	}
	if (mask & VSW_FLD_DHCP_GUARD)
		vsw_jw_kbool(w, "dhcp_guard", s->dhcp_guard);
	if (mask & VSW_FLD_ROUTER_GUARD)
		vsw_jw_kbool(w, "router_guard", s->router_guard);
	if (mask & VSW_FLD_STORM)
		vsw_jw_ku64(w, "storm_limit_pps", s->storm_limit_pps);
	if (mask & VSW_FLD_MAC_LIMIT)
		vsw_jw_ku64(w, "mac_limit", s->mac_limit);
	vsw_jw_obj_close(w);
}

static void put_qos(struct vsw_jw *w, const struct vsw_qos_cfg *q, uint32_t mask)
{
	vsw_jw_obj_open(w);
	if (mask & VSW_FLD_MAX_BPS)
		vsw_jw_ku64(w, "max_bps", q->max_bps);
	if (mask & VSW_FLD_MIN_WEIGHT)
		vsw_jw_ku64(w, "min_weight", q->min_weight);
	vsw_jw_obj_close(w);
}

/* A switch's lcore: a number, or "auto". */
static void put_lcore(struct vsw_jw *w, int lcore)
{
	if (lcore == VSW_LCORE_AUTO)
		vsw_jw_kstr(w, "lcore", "auto");
	else
		vsw_jw_ku64(w, "lcore", (uint64_t)lcore);
}

/* 'match_only': an acl-delete, which names the ACL and nothing else. */
static void put_acl(struct vsw_jw *w, const struct vsw_acl_cfg *a, bool match_only, bool dir)
{
	char s[VSW_ADDR_STR], p[8], r[12];

	vsw_jw_obj_open(w);
	vsw_jw_kbool(w, "extended", a->extended);
	if (!match_only)
		vsw_jw_kstr(w, "action", vsw_acl_action_name(a->action));
	if (dir)
		vsw_jw_kstr(w, "direction", vsw_dir_name(a->dir));
	if (!a->extended || !match_only) {
		vsw_acl_addr_format(&a->local, s);
		vsw_jw_kstr(w, "local", s);
		vsw_acl_addr_format(&a->remote, s);
		vsw_jw_kstr(w, "remote", s);
	}
	if (a->extended) {
		vsw_jw_ku64(w, "weight", a->weight);
		if (!match_only) {
			vsw_acl_proto_format(a->protocol, p);
			vsw_jw_kstr(w, "protocol", p);
			vsw_port_range_format(a->local_port_lo, a->local_port_hi, r);
			vsw_jw_kstr(w, "local_ports", r);
			vsw_port_range_format(a->remote_port_lo, a->remote_port_hi, r);
			vsw_jw_kstr(w, "remote_ports", r);
			vsw_jw_kbool(w, "stateful", a->stateful);
			vsw_jw_ku64(w, "idle_timeout_s", a->idle_timeout_s);
		}
	}
	vsw_jw_obj_close(w);
}

static void put_names(struct vsw_jw *w, const char *key, const char (*names)[VSW_NAME_MAX],
		      unsigned int n)
{
	vsw_jw_key(w, key);
	vsw_jw_arr_open(w);
	for (unsigned int i = 0; i < n; i++)
		vsw_jw_str(w, names[i]);
	vsw_jw_arr_close(w);
}

static void put_mirror_fields(struct vsw_jw *w, const struct vsw_mirror_cfg *r)
{
	char vl[VSW_VLAN_LIST_MAX];

	vsw_jw_kstr(w, "output", r->output);
	vsw_jw_kbool(w, "select_all", r->select_all);
	put_names(w, "select_src", r->select_src, r->n_src);
	put_names(w, "select_dst", r->select_dst, r->n_dst);
	if (r->has_vlans) {
		vsw_vlan_format_list(r->select_vlans, vl, sizeof(vl));
		vsw_jw_kstr(w, "select_vlans", vl);
	}
}

static void put_ext_fields(struct vsw_jw *w, const struct vsw_ext_cfg *e)
{
	vsw_jw_kstr(w, "type", vsw_ext_type_name(e->type));
	vsw_jw_kstr(w, "module", e->module);
	vsw_jw_kstr(w, "args", e->args);
	vsw_jw_kbool(w, "enabled", e->enabled);
}

static void put_port_fields(struct vsw_jw *w, const struct vsw_port_cfg *p)
{
	vsw_jw_kstr(w, "kind", vsw_port_kind_name(p->kind));
	vsw_jw_kstr(w, "devargs", p->devargs);
	vsw_jw_key(w, "vlan");
	put_vlan(w, &p->vlan);
	vsw_jw_key(w, "security");
	put_security(w, &p->sec, ~0u);
	vsw_jw_key(w, "qos");
	put_qos(w, &p->qos, ~0u);
}

/* ---- requests ---- */

/* What each op carries besides op and flags. */
enum {
	NEED_SW = 1, OPT_SW = 2, NEED_PORT = 4, OPT_PORT = 8, NEED_NAME = 16,
	NEED_CONFIG = 32, OPT_CONFIG = 64,
};

static unsigned int op_shape(enum vsw_op op)
{
	switch (op) {
	case VSW_OP_SWITCH_CREATE:
	case VSW_OP_SWITCH_SET:
		return NEED_SW | NEED_CONFIG;
	case VSW_OP_SWITCH_DELETE:
	case VSW_OP_PORT_LIST:
		return NEED_SW;
	case VSW_OP_PORT_ADD:
		return NEED_SW | NEED_PORT | NEED_CONFIG;
	case VSW_OP_PORT_DELETE:
	case VSW_OP_ACL_LIST:
	case VSW_OP_CAPTURE_STOP:
		return NEED_PORT;
	case VSW_OP_PORT_SET:
	case VSW_OP_PORT_VLAN:
	case VSW_OP_PORT_SECURITY:
	case VSW_OP_PORT_QOS:
	case VSW_OP_ACL_ADD:
	case VSW_OP_ACL_DELETE:
	case VSW_OP_ACL_LOAD:
		return NEED_PORT | NEED_CONFIG;
	case VSW_OP_MIRROR_ADD:
	case VSW_OP_EXT_ADD:
	case VSW_OP_EXT_MOVE:
		return NEED_SW | NEED_NAME | NEED_CONFIG;
	case VSW_OP_MIRROR_DELETE:
		return NEED_NAME;
	case VSW_OP_EXT_DELETE:
	case VSW_OP_EXT_ENABLE:
	case VSW_OP_EXT_DISABLE:
		return NEED_SW | NEED_NAME;
	case VSW_OP_SHOW:
	case VSW_OP_MIRROR_LIST:
	case VSW_OP_EXT_LIST:
		return OPT_SW;
	case VSW_OP_STATS:
		return OPT_SW | OPT_PORT;
	case VSW_OP_CAPTURE_START:
		return NEED_PORT | OPT_CONFIG;
	default:
		return 0;
	}
}

void vsw_ctl_encode_request(const struct vsw_change *c, struct vsw_jw *w)
{
	unsigned int shape = op_shape(c->op);

	vsw_jw_obj_open(w);
	vsw_jw_ku64(w, "version", VSW_CTL_PROTO_VERSION);
	vsw_jw_kstr(w, "op", vsw_op_name(c->op));
	if (c->flags & VSW_F_MAY_EXIST)
		vsw_jw_kbool(w, "may_exist", true);
	if (c->flags & VSW_F_IF_EXISTS)
		vsw_jw_kbool(w, "if_exists", true);
	if (c->flags & VSW_F_REPLACE)
		vsw_jw_kbool(w, "replace", true);
	if ((shape & NEED_SW) || ((shape & OPT_SW) && c->sw[0] != '\0'))
		vsw_jw_kstr(w, "switch", c->sw);
	if ((shape & NEED_PORT) || ((shape & OPT_PORT) && c->port[0] != '\0'))
		vsw_jw_kstr(w, "port", c->port);
	if (shape & NEED_NAME)
		vsw_jw_kstr(w, "name", c->name);
	if (shape & (NEED_CONFIG | OPT_CONFIG)) {
		vsw_jw_key(w, "config");
		switch (c->op) {
		case VSW_OP_SWITCH_CREATE:
			vsw_jw_obj_open(w);
			vsw_jw_kstr(w, "type", vsw_switch_type_name(c->sw_cfg.type));
			vsw_jw_ku64(w, "fdb_size", c->sw_cfg.fdb_size);
			vsw_jw_ku64(w, "aging_s", c->sw_cfg.aging_s);
			put_lcore(w, c->sw_cfg.lcore);
			vsw_jw_obj_close(w);
			break;
		case VSW_OP_SWITCH_SET:
			vsw_jw_obj_open(w);
			if (c->fields & VSW_FLD_FDB_SIZE)
				vsw_jw_ku64(w, "fdb_size", c->sw_cfg.fdb_size);
			if (c->fields & VSW_FLD_AGING)
				vsw_jw_ku64(w, "aging_s", c->sw_cfg.aging_s);
			if (c->fields & VSW_FLD_LCORE)
				put_lcore(w, c->sw_cfg.lcore);
			vsw_jw_obj_close(w);
			break;
		case VSW_OP_PORT_ADD:
			vsw_jw_obj_open(w);
			put_port_fields(w, &c->port_cfg);
			vsw_jw_obj_close(w);
			break;
		case VSW_OP_PORT_SET:
			vsw_jw_obj_open(w);
			if (c->fields & VSW_FLD_DEVARGS)
				vsw_jw_kstr(w, "devargs", c->port_cfg.devargs);
			if (c->fields & VSW_FLD_MAC) {
				char mac[VSW_MAC_STR];

				vsw_mac_format(c->port_cfg.sec.mac, mac);
				vsw_jw_kstr(w, "mac", mac_set(c->port_cfg.sec.mac) ? mac : "");
			}
			vsw_jw_obj_close(w);
			break;
		case VSW_OP_PORT_VLAN:
			put_vlan(w, &c->port_cfg.vlan);
			break;
		case VSW_OP_PORT_SECURITY:
			put_security(w, &c->port_cfg.sec, c->fields);
			break;
		case VSW_OP_PORT_QOS:
			put_qos(w, &c->port_cfg.qos, c->fields);
			break;
		case VSW_OP_ACL_ADD:
			put_acl(w, &c->acl, false, true);
			break;
		case VSW_OP_ACL_DELETE:
			put_acl(w, &c->acl, true,
				!c->acl.extended || (c->fields & VSW_FLD_DIRECTION));
			break;
		case VSW_OP_ACL_LOAD:
			vsw_jw_arr_open(w);
			for (unsigned int k = 0; k < c->n_acls; k++)
				put_acl(w, &c->acls[k], false, true);
			vsw_jw_arr_close(w);
			break;
		case VSW_OP_MIRROR_ADD:
			vsw_jw_obj_open(w);
			put_mirror_fields(w, &c->mirror);
			vsw_jw_obj_close(w);
			break;
		case VSW_OP_EXT_ADD:
			vsw_jw_obj_open(w);
			put_ext_fields(w, &c->ext);
			vsw_jw_obj_close(w);
			break;
		case VSW_OP_EXT_MOVE:
			vsw_jw_obj_open(w);
			vsw_jw_ku64(w, "position", c->position);
			vsw_jw_obj_close(w);
			break;
		case VSW_OP_CAPTURE_START:
			vsw_jw_obj_open(w);
			vsw_jw_kstr(w, "direction", vsw_dir_name(c->capture.dir));
			vsw_jw_ku64(w, "count", c->capture.count);
			vsw_jw_ku64(w, "snaplen", c->capture.snaplen);
			vsw_jw_obj_close(w);
			break;
		default:
			vsw_jw_null(w);
			break;
		}
	}
	vsw_jw_obj_close(w);
}

/* ---- decoding helpers ---- */

struct dec {
	const struct vsw_jdoc *d;
	char *why;
	size_t len;
};

#define KEY_MAX 32
#define SEEN_MAX 24

struct seen {
	unsigned int n;
	char k[SEEN_MAX][KEY_MAX];
};

static int derr(struct dec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int derr(struct dec *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->why, x->len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The member's key, refused if unknown-sized or given twice. */
static int member_key(struct dec *x, struct seen *s, uint32_t i, char key[KEY_MAX],
		      const char *where)
{
	if (vsw_json_key(x->d, i, key, KEY_MAX) < 0)
		return derr(x, "%s has an unknown field", where);
	for (unsigned int k = 0; k < s->n; k++)
		if (strcmp(s->k[k], key) == 0)
			return derr(x, "field %s is given twice in %s", key, where);
	if (s->n < SEEN_MAX)
		memcpy(s->k[s->n++], key, KEY_MAX);
	return 0;
}

static int need_type(struct dec *x, uint32_t i, enum vsw_jtype t, const char *key,
		     const char *where)
{
	enum vsw_jtype have = vsw_json_type(x->d, i);

	if (have == t || (t == VSW_JTRUE && have == VSW_JFALSE))
		return 0;
	return derr(x, "field %s in %s must be %s, not %s", key, where, vsw_json_type_name(t),
		    vsw_json_type_name(have));
}

static int get_str(struct dec *x, uint32_t i, char *out, size_t size, const char *key,
		   const char *where)
{
	int rc = need_type(x, i, VSW_JSTR, key, where);

	if (rc < 0)
		return rc;
	rc = vsw_json_str(x->d, i, out, size);
	if (rc == -E2BIG)
		return derr(x, "field %s in %s is longer than %zu characters", key, where,
			    size - 1);
	if (rc < 0)
		return derr(x, "field %s in %s holds a NUL character", key, where);
	return 0;
}

static int get_uint(struct dec *x, uint32_t i, uint64_t max, uint64_t *out, const char *key,
		    const char *where)
{
	int rc = need_type(x, i, VSW_JNUM, key, where);

	if (rc < 0)
		return rc;
	if (vsw_json_u64(x->d, i, out) < 0 || *out > max)
		return derr(x, "field %s in %s must be a whole number from 0 to %" PRIu64, key,
			    where, max);
	return 0;
}

static int get_lcore(struct dec *x, uint32_t i, int *out, const char *key, const char *where)
{
	uint64_t n;
	int rc;

	if (vsw_json_type(x->d, i) == VSW_JSTR) {
		char t[8];

		if ((rc = get_str(x, i, t, sizeof(t), key, where)) < 0)
			return rc;
		if (strcmp(t, "auto") != 0)
			return derr(x, "field %s in %s must be auto or a number", key, where);
		*out = VSW_LCORE_AUTO;
		return 0;
	}
	rc = get_uint(x, i, VSW_LCORE_MAX, &n, key, where);
	*out = (int)n;
	return rc;
}

static int get_bool(struct dec *x, uint32_t i, bool *out, const char *key, const char *where)
{
	int rc = need_type(x, i, VSW_JTRUE, key, where);

	return rc < 0 ? rc : vsw_json_bool(x->d, i, out);
}

static int unknown(struct dec *x, const char *key, const char *where)
{
	return derr(x, "%s has no field %s", where, key);
}

#define MEMBERS(x, obj, i, k) \
	for (uint32_t k = 0, i = (obj) + 1; k < (x)->d->nodes[obj].n; k++, i = (x)->d->nodes[i].end)

/* A value parsed from a string field with one of vsw_config's parsers,
 * its message prefixed with the field. */
static int field_fail(struct dec *x, const char *key, const char *where, const char *inner)
{
	char tmp[256];

	snprintf(tmp, sizeof(tmp), "%s", inner);
	return derr(x, "field %s in %s: %s", key, where, tmp);
}

/* ---- decoding records ---- */

static int dec_vlan(struct dec *x, uint32_t obj, struct vsw_vlan_cfg *v, const char *where)
{
	struct seen s = { 0 };
	char key[KEY_MAX], t[16], inner[200];
	char *vl = NULL;
	bool has_vlan = false, has_allowed = false, has_native = false, has_mode = false;
	uint64_t n;
	int rc = need_type(x, obj, VSW_JOBJ, "vlan", where);

	if (rc < 0)
		return rc;
	memset(v, 0, sizeof(*v));
	MEMBERS(x, obj, i, k) {
		if ((rc = member_key(x, &s, i, key, where)) < 0)
			break;
		if (strcmp(key, "mode") == 0) {
			has_mode = true;
			if ((rc = get_str(x, i, t, sizeof(t), key, where)) < 0)
				break;
			if (vsw_vlan_mode_parse(t, &v->mode) < 0) {
				rc = derr(x, "field mode in %s must be untagged, access or trunk",
					  where);
				break;
			}
		} else if (strcmp(key, "vlan") == 0) {
			has_vlan = true;
			if ((rc = get_uint(x, i, VSW_VLAN_MAX, &n, key, where)) < 0)
				break;
			v->access_vlan = (uint16_t)n;
		} else if (strcmp(key, "native") == 0) {
			has_native = true;
			if ((rc = get_uint(x, i, VSW_VLAN_MAX, &n, key, where)) < 0)
				break;
			v->native_vlan = (uint16_t)n;
		} else if (strcmp(key, "allowed") == 0) {
			has_allowed = true;
			if (vl == NULL && (vl = malloc(VSW_VLAN_LIST_MAX)) == NULL) {
				rc = derr(x, "out of memory");
				break;
			}
			if ((rc = get_str(x, i, vl, VSW_VLAN_LIST_MAX, key, where)) < 0)
				break;
			if (vsw_vlan_parse_list(vl, v->allowed, inner, sizeof(inner)) < 0) {
				rc = field_fail(x, key, where, inner);
				break;
			}
		} else {
			rc = unknown(x, key, where);
			break;
		}
	}
	free(vl);
	if (rc < 0)
		return rc;
	if (!has_mode)
		return derr(x, "%s needs a mode (untagged, access or trunk)", where);
	if (has_vlan != (v->mode == VSW_VLAN_ACCESS))
		return derr(x, has_vlan ? "%s: only an access port has a vlan"
					: "%s: an access port needs its vlan", where);
	if (v->mode != VSW_VLAN_TRUNK && (has_allowed || has_native))
		return derr(x, "%s: only a trunk port has allowed and native VLANs", where);
	if (v->mode == VSW_VLAN_TRUNK && !has_allowed)
		return derr(x, "%s: a trunk port needs its allowed VLANs", where);
	return 0;
}

static int dec_mac(struct dec *x, uint32_t i, uint8_t mac[6], const char *key, const char *where)
{
	char t[VSW_MAC_STR + 8], inner[200];
	int rc = get_str(x, i, t, sizeof(t), key, where);

	if (rc < 0)
		return rc;
	memset(mac, 0, 6);
	if (t[0] != '\0' && vsw_mac_parse(t, mac, inner, sizeof(inner)) < 0)
		return field_fail(x, key, where, inner);
	return 0;
}

static int dec_security(struct dec *x, uint32_t obj, struct vsw_security_cfg *sec,
			uint32_t *fields, const char *where)
{
	struct seen s = { 0 };
	char key[KEY_MAX];
	uint64_t n;
	int rc = need_type(x, obj, VSW_JOBJ, "security", where);

	if (rc < 0)
		return rc;
	MEMBERS(x, obj, i, k) {
		if ((rc = member_key(x, &s, i, key, where)) < 0)
			return rc;
		if (strcmp(key, "mac_spoof_guard") == 0) {
			rc = get_bool(x, i, &sec->mac_spoof_guard, key, where);
			*fields |= VSW_FLD_MAC_SPOOF;
		} else if (strcmp(key, "mac") == 0) {
			rc = dec_mac(x, i, sec->mac, key, where);
			*fields |= VSW_FLD_MAC;
		} else if (strcmp(key, "dhcp_guard") == 0) {
			rc = get_bool(x, i, &sec->dhcp_guard, key, where);
			*fields |= VSW_FLD_DHCP_GUARD;
		} else if (strcmp(key, "router_guard") == 0) {
			rc = get_bool(x, i, &sec->router_guard, key, where);
			*fields |= VSW_FLD_ROUTER_GUARD;
		} else if (strcmp(key, "storm_limit_pps") == 0) {
			rc = get_uint(x, i, VSW_STORM_LIMIT_MAX, &sec->storm_limit_pps, key, where);
			*fields |= VSW_FLD_STORM;
		} else if (strcmp(key, "mac_limit") == 0) {
			rc = get_uint(x, i, VSW_MAC_LIMIT_MAX, &n, key, where);
			sec->mac_limit = (uint32_t)n;
			*fields |= VSW_FLD_MAC_LIMIT;
		} else {
			rc = unknown(x, key, where);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int dec_qos(struct dec *x, uint32_t obj, struct vsw_qos_cfg *q, uint32_t *fields,
		   const char *where)
{
	struct seen s = { 0 };
	char key[KEY_MAX];
	uint64_t n;
	int rc = need_type(x, obj, VSW_JOBJ, "qos", where);

	if (rc < 0)
		return rc;
	MEMBERS(x, obj, i, k) {
		if ((rc = member_key(x, &s, i, key, where)) < 0)
			return rc;
		if (strcmp(key, "max_bps") == 0) {
			rc = get_uint(x, i, VSW_MAX_BPS_MAX, &q->max_bps, key, where);
			*fields |= VSW_FLD_MAX_BPS;
		} else if (strcmp(key, "min_weight") == 0) {
			rc = get_uint(x, i, VSW_MIN_WEIGHT_MAX, &n, key, where);
			q->min_weight = (uint32_t)n;
			*fields |= VSW_FLD_MIN_WEIGHT;
		} else {
			rc = unknown(x, key, where);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* An ACL; 'has_dir' says whether it named a direction, 'has_action'
 * an action (an acl-delete names neither necessarily). */
static int dec_acl(struct dec *x, uint32_t obj, struct vsw_acl_cfg *a, bool *has_dir,
		   bool *has_action, const char *where)
{
	struct seen s = { 0 };
	char key[KEY_MAX], t[VSW_ADDR_STR], inner[200];
	uint64_t n;
	int rc = need_type(x, obj, VSW_JOBJ, "acl", where);

	if (rc < 0)
		return rc;
	*has_dir = *has_action = false;
	MEMBERS(x, obj, i, k) {
		if ((rc = member_key(x, &s, i, key, where)) < 0)
			return rc;
		if (strcmp(key, "extended") == 0) {
			rc = get_bool(x, i, &a->extended, key, where);
		} else if (strcmp(key, "stateful") == 0) {
			rc = get_bool(x, i, &a->stateful, key, where);
		} else if (strcmp(key, "weight") == 0) {
			rc = get_uint(x, i, 65535, &n, key, where);
			a->weight = (uint16_t)n;
		} else if (strcmp(key, "idle_timeout_s") == 0) {
			rc = get_uint(x, i, VSW_AGING_MAX, &n, key, where);
			a->idle_timeout_s = (uint32_t)n;
		} else {
			if ((rc = get_str(x, i, t, sizeof(t), key, where)) < 0)
				return rc;
			inner[0] = '\0';
			if (strcmp(key, "action") == 0) {
				*has_action = true;
				if (vsw_acl_action_parse(t, &a->action) < 0)
					snprintf(inner, sizeof(inner), "must be allow, deny or meter");
			} else if (strcmp(key, "direction") == 0) {
				*has_dir = true;
				if (vsw_dir_parse(t, &a->dir) < 0)
					snprintf(inner, sizeof(inner),
						 "must be inbound, outbound or both");
			} else if (strcmp(key, "local") == 0) {
				vsw_acl_addr_parse(t, &a->local, inner, sizeof(inner));
			} else if (strcmp(key, "remote") == 0) {
				vsw_acl_addr_parse(t, &a->remote, inner, sizeof(inner));
			} else if (strcmp(key, "protocol") == 0) {
				vsw_acl_proto_parse(t, &a->protocol, inner, sizeof(inner));
			} else if (strcmp(key, "local_ports") == 0) {
				vsw_port_range_parse(t, &a->local_port_lo, &a->local_port_hi, inner,
						     sizeof(inner));
			} else if (strcmp(key, "remote_ports") == 0) {
				vsw_port_range_parse(t, &a->remote_port_lo, &a->remote_port_hi,
						     inner, sizeof(inner));
			} else {
				return unknown(x, key, where);
			}
			if (inner[0] != '\0')
				return field_fail(x, key, where, inner);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int dec_names(struct dec *x, uint32_t arr, char (*names)[VSW_NAME_MAX], uint8_t *n,
		     const char *key, const char *where)
{
	int rc = need_type(x, arr, VSW_JARR, key, where);

	if (rc < 0)
		return rc;
	if (x->d->nodes[arr].n > VSW_MIRROR_SELECT_MAX)
		return derr(x, "field %s in %s lists more than %d ports", key, where,
			    VSW_MIRROR_SELECT_MAX);
	*n = 0;
	MEMBERS(x, arr, i, k) {
		if ((rc = get_str(x, i, names[*n], VSW_NAME_MAX, key, where)) < 0)
			return rc;
		(*n)++;
	}
	return 0;
}

static int dec_mirror_fields(struct dec *x, struct vsw_mirror_cfg *r, const char *key,
			     uint32_t i, const char *where)
{
	char inner[200];
	char *vl;
	int rc;

	if (strcmp(key, "output") == 0)
		return get_str(x, i, r->output, sizeof(r->output), key, where);
	if (strcmp(key, "select_all") == 0)
		return get_bool(x, i, &r->select_all, key, where);
	if (strcmp(key, "select_src") == 0)
		return dec_names(x, i, r->select_src, &r->n_src, key, where);
	if (strcmp(key, "select_dst") == 0)
		return dec_names(x, i, r->select_dst, &r->n_dst, key, where);
	if (strcmp(key, "select_vlans") != 0)
		return unknown(x, key, where);
	vl = malloc(VSW_VLAN_LIST_MAX);
	if (vl == NULL)
		return derr(x, "out of memory");
	rc = get_str(x, i, vl, VSW_VLAN_LIST_MAX, key, where);
	if (rc == 0 && vsw_vlan_parse_list(vl, r->select_vlans, inner, sizeof(inner)) < 0)
		rc = field_fail(x, key, where, inner);
	r->has_vlans = rc == 0;
	free(vl);
	return rc;
}

static int dec_ext_fields(struct dec *x, struct vsw_ext_cfg *e, const char *key, uint32_t i,
			  const char *where)
{
	char t[16];
	int rc;

	if (strcmp(key, "type") == 0) {
		if ((rc = get_str(x, i, t, sizeof(t), key, where)) < 0)
			return rc;
		if (vsw_ext_type_parse(t, &e->type) < 0)
			return derr(x, "field type in %s must be capture, filter or forward", where);
		return 0;
	}
	if (strcmp(key, "module") == 0)
		return get_str(x, i, e->module, sizeof(e->module), key, where);
	if (strcmp(key, "args") == 0)
		return get_str(x, i, e->args, sizeof(e->args), key, where);
	if (strcmp(key, "enabled") == 0)
		return get_bool(x, i, &e->enabled, key, where);
	return unknown(x, key, where);
}

/* ---- decoding a request's config ---- */

/* acl-load's list: each ACL whole, as acl-add takes it. */
static int dec_acl_list(struct dec *x, uint32_t arr, struct vsw_change *c)
{
	char where[32];
	uint32_t n;
	int rc = need_type(x, arr, VSW_JARR, "config", "the request");

	if (rc < 0)
		return rc;
	n = x->d->nodes[arr].n;
	if (n > VSW_MAX_ACLS_PER_PORT)
		return derr(x, "the request lists %" PRIu32 " ACLs, more than the %d a port takes",
			    n, VSW_MAX_ACLS_PER_PORT);
	c->acls = calloc(n ? n : 1, sizeof(*c->acls));
	if (c->acls == NULL)
		return derr(x, "out of memory for %" PRIu32 " ACLs", n);
	c->n_acls = 0;
	MEMBERS(x, arr, i, k) {
		struct vsw_acl_cfg *a = &c->acls[c->n_acls];
		bool has_dir, has_action;

		snprintf(where, sizeof(where), "ACL %u", c->n_acls + 1);
		a->dir = VSW_DIR_BOTH;
		a->protocol = VSW_ACL_PROTO_ANY;
		a->local_port_hi = a->remote_port_hi = 65535;
		memcpy(a->port, c->port, VSW_NAME_MAX);
		if ((rc = dec_acl(x, i, a, &has_dir, &has_action, where)) < 0)
			return rc;
		if (!has_dir || !has_action)
			return derr(x, "%s needs an action and a direction", where);
		c->n_acls++;
	}
	return 0;
}

static int dec_config(struct dec *x, uint32_t obj, struct vsw_change *c)
{
	struct seen s = { 0 };
	char key[KEY_MAX], t[16];
	const char *where = "config";
	bool has_kind = false, has_type = false, has_dir = false, has_action = false;
	bool has_output = false, has_module = false;
	uint64_t n;
	int rc;

	if (c->op == VSW_OP_PORT_VLAN)
		return dec_vlan(x, obj, &c->port_cfg.vlan, where);
	if (c->op == VSW_OP_PORT_SECURITY)
		return dec_security(x, obj, &c->port_cfg.sec, &c->fields, where);
	if (c->op == VSW_OP_PORT_QOS)
		return dec_qos(x, obj, &c->port_cfg.qos, &c->fields, where);
	if (c->op == VSW_OP_ACL_LOAD)
		return dec_acl_list(x, obj, c);
	if (c->op == VSW_OP_ACL_ADD || c->op == VSW_OP_ACL_DELETE) {
		rc = dec_acl(x, obj, &c->acl, &has_dir, &has_action, where);
		if (rc < 0)
			return rc;
		if (c->op == VSW_OP_ACL_ADD && (!has_dir || !has_action))
			return derr(x, "an ACL to add needs an action and a direction");
		if (c->op == VSW_OP_ACL_DELETE && !has_dir && !c->acl.extended)
			return derr(x, "an ACL to delete needs its direction");
		/* A plain ACL always names its direction; only an extended one
		 * found by weight may leave it out. */
		if (c->op == VSW_OP_ACL_DELETE && has_dir && c->acl.extended)
			c->fields |= VSW_FLD_DIRECTION;
		return 0;
	}
	rc = need_type(x, obj, VSW_JOBJ, "config", "the request");
	if (rc < 0)
		return rc;
	MEMBERS(x, obj, i, k) {
		if ((rc = member_key(x, &s, i, key, where)) < 0)
			return rc;
		switch (c->op) {
		case VSW_OP_SWITCH_CREATE:
		case VSW_OP_SWITCH_SET:
			if (c->op == VSW_OP_SWITCH_CREATE && strcmp(key, "type") == 0) {
				has_type = true;
				if ((rc = get_str(x, i, t, sizeof(t), key, where)) == 0 &&
				    vsw_switch_type_parse(t, &c->sw_cfg.type) < 0)
					rc = derr(x, "field type in config must be external, "
						  "internal or private");
			} else if (strcmp(key, "fdb_size") == 0) {
				rc = get_uint(x, i, VSW_FDB_SIZE_MAX, &n, key, where);
				c->sw_cfg.fdb_size = (uint32_t)n;
				c->fields |= VSW_FLD_FDB_SIZE;
			} else if (strcmp(key, "aging_s") == 0) {
				rc = get_uint(x, i, VSW_AGING_MAX, &n, key, where);
				c->sw_cfg.aging_s = (uint32_t)n;
				c->fields |= VSW_FLD_AGING;
			} else if (strcmp(key, "lcore") == 0) {
				rc = get_lcore(x, i, &c->sw_cfg.lcore, key, where);
				c->fields |= VSW_FLD_LCORE;
			} else {
				rc = unknown(x, key, where);
			}
			break;
		case VSW_OP_PORT_ADD:
			if (strcmp(key, "kind") == 0) {
				has_kind = true;
				if ((rc = get_str(x, i, t, sizeof(t), key, where)) == 0 &&
				    vsw_port_kind_parse(t, &c->port_cfg.kind) < 0)
					rc = derr(x, "field kind in config must be vnic, uplink or "
						  "internal");
			} else if (strcmp(key, "devargs") == 0) {
				rc = get_str(x, i, c->port_cfg.devargs, VSW_DEVARGS_MAX, key, where);
			} else if (strcmp(key, "vlan") == 0) {
				rc = dec_vlan(x, i, &c->port_cfg.vlan, "config.vlan");
			} else if (strcmp(key, "security") == 0) {
				rc = dec_security(x, i, &c->port_cfg.sec, &c->fields,
						  "config.security");
			} else if (strcmp(key, "qos") == 0) {
				rc = dec_qos(x, i, &c->port_cfg.qos, &c->fields, "config.qos");
			} else {
				rc = unknown(x, key, where);
			}
			break;
		case VSW_OP_PORT_SET:
			if (strcmp(key, "devargs") == 0) {
				rc = get_str(x, i, c->port_cfg.devargs, VSW_DEVARGS_MAX, key, where);
				c->fields |= VSW_FLD_DEVARGS;
			} else if (strcmp(key, "mac") == 0) {
				rc = dec_mac(x, i, c->port_cfg.sec.mac, key, where);
				c->fields |= VSW_FLD_MAC;
			} else {
				rc = unknown(x, key, where);
			}
			break;
		case VSW_OP_MIRROR_ADD:
			has_output |= strcmp(key, "output") == 0;
			rc = dec_mirror_fields(x, &c->mirror, key, i, where);
			break;
		case VSW_OP_EXT_ADD:
			has_type |= strcmp(key, "type") == 0;
			has_module |= strcmp(key, "module") == 0;
			rc = dec_ext_fields(x, &c->ext, key, i, where);
			break;
		case VSW_OP_EXT_MOVE:
			if (strcmp(key, "position") == 0) {
				rc = get_uint(x, i, VSW_MAX_EXTENSIONS, &n, key, where);
				c->position = (unsigned int)n;
			} else {
				rc = unknown(x, key, where);
			}
			break;
		case VSW_OP_CAPTURE_START:
			if (strcmp(key, "direction") == 0) {
				if ((rc = get_str(x, i, t, sizeof(t), key, where)) == 0 &&
				    vsw_dir_parse(t, &c->capture.dir) < 0)
					rc = derr(x, "field direction in config must be inbound, "
						  "outbound or both");
			} else if (strcmp(key, "count") == 0) {
				rc = get_uint(x, i, UINT64_MAX, &c->capture.count, key, where);
			} else if (strcmp(key, "snaplen") == 0) {
				rc = get_uint(x, i, UINT32_MAX, &n, key, where);
				c->capture.snaplen = (uint32_t)n;
			} else {
				rc = unknown(x, key, where);
			}
			break;
		default:
			rc = unknown(x, key, where);
			break;
		}
		if (rc < 0)
			return rc;
	}
	if (c->op == VSW_OP_PORT_ADD) {
		/* A new port's whole record: the fields were not "set". */
		c->fields = 0;
		if (!has_kind)
			return derr(x, "a port to add needs its kind (vnic, uplink or internal)");
	}
	if (c->op == VSW_OP_SWITCH_CREATE) {
		c->fields = 0;
		if (!has_type)
			return derr(x, "a switch to create needs its type (external, internal or "
				    "private)");
	}
	if (c->op == VSW_OP_MIRROR_ADD && !has_output)
		return derr(x, "a mirror needs its output port");
	if (c->op == VSW_OP_EXT_ADD && (!has_type || !has_module))
		return derr(x, "an extension needs its type and module");
	return 0;
}

/* Names go into the records as well, so each record is whole. */
static void fill_names(struct vsw_change *c)
{
	memcpy(c->sw_cfg.name, c->sw, VSW_NAME_MAX);
	memcpy(c->port_cfg.name, c->port, VSW_NAME_MAX);
	memcpy(c->port_cfg.sw, c->sw, VSW_NAME_MAX);
	memcpy(c->acl.port, c->port, VSW_NAME_MAX);
	memcpy(c->mirror.name, c->name, VSW_NAME_MAX);
	memcpy(c->mirror.sw, c->sw, VSW_NAME_MAX);
	memcpy(c->ext.name, c->name, VSW_NAME_MAX);
	memcpy(c->ext.sw, c->sw, VSW_NAME_MAX);
}

int vsw_ctl_decode_request(const char *text, size_t len, struct vsw_change *c, char *why,
			   size_t wlen)
{
	struct vsw_jdoc d;
	struct dec x = { &d, why, wlen };
	struct seen s = { 0 };
	char key[KEY_MAX], opname[32];
	bool has_op = false, has_sw = false, has_port = false, has_name = false;
	bool flag;
	int64_t config = -1;
	unsigned int shape = 0;
	uint64_t version;
	int rc;

	vsw_change_init(c, VSW_OP_NONE);
	if (len > VSW_CTL_MAX_REQUEST) {
		snprintf(why, wlen, "the request is longer than %u bytes", VSW_CTL_MAX_REQUEST);
		return -E2BIG;
	}
	rc = vsw_json_parse(&d, text, len, VSW_CTL_MAX_REQUEST_NODES, why, wlen);
	if (rc < 0)
		return rc;
	rc = need_type(&x, 0, VSW_JOBJ, "request", "the message");
	/* The op first: what else may appear depends on it. */
	MEMBERS(&x, 0, i, k) {
		if (rc < 0)
			break;
		if (vsw_json_key(&d, i, key, sizeof(key)) == 0 && strcmp(key, "op") == 0) {
			has_op = true;
			if ((rc = get_str(&x, i, opname, sizeof(opname), key, "the request")) == 0 &&
			    vsw_op_parse(opname, &c->op) < 0)
				rc = derr(&x, "unknown op '%s'", opname);
		}
	}
	if (rc == 0 && !has_op)
		rc = derr(&x, "the request has no op");
	if (rc == 0)
		shape = op_shape(c->op);
	MEMBERS(&x, 0, i, k) {
		if (rc < 0)
			break;
		if ((rc = member_key(&x, &s, i, key, "the request")) < 0)
			break;
		if (strcmp(key, "op") == 0)
			continue;
		if (strcmp(key, "version") == 0) {
			rc = get_uint(&x, i, UINT32_MAX, &version, key, "the request");
			if (rc == 0 && version != VSW_CTL_PROTO_VERSION)
				rc = derr(&x, "protocol version %" PRIu64 " is not %d: use the "
					  "vswitchctl of this vswitchd", version,
					  VSW_CTL_PROTO_VERSION);
		} else if (strcmp(key, "may_exist") == 0 || strcmp(key, "if_exists") == 0 ||
			   strcmp(key, "replace") == 0) {
			rc = get_bool(&x, i, &flag, key, "the request");
			if (rc == 0 && flag)
				c->flags |= key[0] == 'm' ? VSW_F_MAY_EXIST :
					    key[0] == 'i' ? VSW_F_IF_EXISTS : VSW_F_REPLACE;
		} else if (strcmp(key, "switch") == 0 && (shape & (NEED_SW | OPT_SW))) {
			has_sw = true;
			rc = get_str(&x, i, c->sw, sizeof(c->sw), key, "the request");
		} else if (strcmp(key, "port") == 0 && (shape & (NEED_PORT | OPT_PORT))) {
			has_port = true;
			rc = get_str(&x, i, c->port, sizeof(c->port), key, "the request");
		} else if (strcmp(key, "name") == 0 && (shape & NEED_NAME)) {
			has_name = true;
			rc = get_str(&x, i, c->name, sizeof(c->name), key, "the request");
		} else if (strcmp(key, "config") == 0 && (shape & (NEED_CONFIG | OPT_CONFIG))) {
			config = i;
		} else {
			rc = derr(&x, "field %s does not apply to %s", key, vsw_op_name(c->op));
		}
	}
	if (rc == 0 && (shape & NEED_SW) && !has_sw)
		rc = derr(&x, "%s needs a switch", vsw_op_name(c->op));
	if (rc == 0 && (shape & NEED_PORT) && !has_port)
		rc = derr(&x, "%s needs a port", vsw_op_name(c->op));
	if (rc == 0 && (shape & NEED_NAME) && !has_name)
		rc = derr(&x, "%s needs a name", vsw_op_name(c->op));
	if (rc == 0 && (shape & NEED_CONFIG) && config < 0)
		rc = derr(&x, "%s needs a config", vsw_op_name(c->op));
	if (rc == 0) {
		fill_names(c);
		if (config >= 0)
			rc = dec_config(&x, (uint32_t)config, c);
	}
	vsw_json_free(&d);
	if (rc == 0)
		fill_names(c);
	if (rc == 0)
		rc = vsw_change_check(c, why, wlen);
	if (rc < 0)
		vsw_change_fini(c);
	return rc;
}

/* ---- replies ---- */

void vsw_ctl_encode_error(struct vsw_jw *w, int err, const char *why)
{
	const char *name = strerrorname_np(err < 0 ? -err : err);

	vsw_jw_obj_open(w);
	vsw_jw_kbool(w, "ok", false);
	vsw_jw_kstr(w, "error", name != NULL ? name : "EIO");
	vsw_jw_ku64(w, "errno", (uint64_t)(err < 0 ? -err : err));
	vsw_jw_kstr(w, "why", why);
	vsw_jw_obj_close(w);
}

void vsw_ctl_encode_ok(struct vsw_jw *w, bool changed)
{
	vsw_jw_obj_open(w);
	vsw_jw_kbool(w, "ok", true);
	vsw_jw_kbool(w, "changed", changed);
	vsw_jw_obj_close(w);
}

void vsw_ctl_encode_model_reply(struct vsw_jw *w, const struct vsw_model *m)
{
	vsw_jw_obj_open(w);
	vsw_jw_kbool(w, "ok", true);
	vsw_jw_kbool(w, "changed", false);
	vsw_jw_key(w, "result");
	vsw_jw_obj_open(w);
	vsw_jw_key(w, "switches");
	vsw_jw_arr_open(w);
	for (unsigned int s = 0; s < m->n_switches; s++) {
		const struct vsw_switch_cfg *sw = &m->switches[s];

		vsw_jw_obj_open(w);
		vsw_jw_kstr(w, "name", sw->name);
		vsw_jw_kstr(w, "type", vsw_switch_type_name(sw->type));
		vsw_jw_ku64(w, "fdb_size", sw->fdb_size);
		vsw_jw_ku64(w, "aging_s", sw->aging_s);
		put_lcore(w, sw->lcore);
		vsw_jw_key(w, "ports");
		vsw_jw_arr_open(w);
		for (unsigned int p = 0; p < m->n_ports; p++) {
			const struct vsw_port_cfg *pc = &m->ports[p];

			if (strcmp(pc->sw, sw->name) != 0)
				continue;
			vsw_jw_obj_open(w);
			vsw_jw_kstr(w, "name", pc->name);
			put_port_fields(w, pc);
			vsw_jw_key(w, "acls");
			vsw_jw_arr_open(w);
			for (unsigned int a = 0; a < m->n_acls; a++)
				if (strcmp(m->acls[a].port, pc->name) == 0)
					put_acl(w, &m->acls[a], false, true);
			vsw_jw_arr_close(w);
			vsw_jw_obj_close(w);
		}
		vsw_jw_arr_close(w);
		vsw_jw_key(w, "mirrors");
		vsw_jw_arr_open(w);
		for (unsigned int r = 0; r < m->n_mirrors; r++) {
			if (strcmp(m->mirrors[r].sw, sw->name) != 0)
				continue;
			vsw_jw_obj_open(w);
			vsw_jw_kstr(w, "name", m->mirrors[r].name);
			put_mirror_fields(w, &m->mirrors[r]);
			vsw_jw_obj_close(w);
		}
		vsw_jw_arr_close(w);
		vsw_jw_key(w, "extensions");
		vsw_jw_arr_open(w);
		for (unsigned int e = 0; e < m->n_exts; e++) {
			if (strcmp(m->exts[e].sw, sw->name) != 0)
				continue;
			vsw_jw_obj_open(w);
			vsw_jw_kstr(w, "name", m->exts[e].name);
			put_ext_fields(w, &m->exts[e]);
			vsw_jw_obj_close(w);
		}
		vsw_jw_arr_close(w);
		vsw_jw_obj_close(w);
	}
	vsw_jw_arr_close(w);
	vsw_jw_obj_close(w);
	vsw_jw_obj_close(w);
}

void vsw_ctl_encode_stats_reply(struct vsw_jw *w, const struct vsw_ctl_stats *st,
				unsigned int n)
{
	vsw_jw_obj_open(w);
	vsw_jw_kbool(w, "ok", true);
	vsw_jw_kbool(w, "changed", false);
	vsw_jw_key(w, "result");
	vsw_jw_obj_open(w);
	vsw_jw_key(w, "stats");
	vsw_jw_arr_open(w);
	for (unsigned int i = 0; i < n; i++) {
		vsw_jw_obj_open(w);
		vsw_jw_kstr(w, "port", st[i].port);
		vsw_jw_kstr(w, "switch", st[i].sw);
		vsw_jw_kbool(w, "attached", st[i].attached);
		if (st[i].lcore >= 0)
			vsw_jw_ku64(w, "lcore", (uint64_t)st[i].lcore);
		vsw_jw_key(w, "counters");
		vsw_jw_obj_open(w);
		for (unsigned int k = 0; k < st[i].n && k < VSW_STATS_MAX_COUNTERS; k++)
			vsw_jw_ku64(w, st[i].c[k].name, st[i].c[k].value);
		vsw_jw_obj_close(w);
		vsw_jw_obj_close(w);
	}
	vsw_jw_arr_close(w);
	vsw_jw_obj_close(w);
	vsw_jw_obj_close(w);
}

int vsw_ctl_stats_add(struct vsw_ctl_stats *s, const char *name, uint64_t value)
{
	size_t n = strnlen(name, VSW_STATS_NAME_MAX);

	if (n == 0 || n >= VSW_STATS_NAME_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '_'))
			return -EINVAL;
	if (s->n >= VSW_STATS_MAX_COUNTERS)
		return -ENOSPC;
	memcpy(s->c[s->n].name, name, n + 1);
	s->c[s->n].value = value;
	s->n++;
	return 0;
}

/* ---- decoding replies (vswitchctl's side) ---- */

/* Inserts keeping the model's canonical order: a record goes after every
 * record whose key sorts at or before its own. */
#define INSERT_SORTED(arr, n, field, rec) do { \
	unsigned int at_ = 0; \
	while (at_ < (n) && strcmp((arr)[at_].field, (rec).field) <= 0) \
		at_++; \
	memmove(&(arr)[at_ + 1], &(arr)[at_], ((n) - at_) * sizeof((arr)[0])); \
	(arr)[at_] = (rec); \
	(n)++; \
} while (0)

static int dec_port_obj(struct dec *x, uint32_t obj, struct vsw_model *m, const char *sw)
{
	struct seen s = { 0 };
	struct vsw_port_cfg p;
	char key[KEY_MAX], t[16];
	uint32_t fields = 0, acls = 0;
	int rc = need_type(x, obj, VSW_JOBJ, "port", "a switch");

	if (rc < 0)
		return rc;
	vsw_port_cfg_init(&p);
	memcpy(p.sw, sw, VSW_NAME_MAX);
	MEMBERS(x, obj, i, k) {
		if ((rc = member_key(x, &s, i, key, "a port")) < 0)
			return rc;
		if (strcmp(key, "name") == 0)
			rc = get_str(x, i, p.name, sizeof(p.name), key, "a port");
		else if (strcmp(key, "kind") == 0) {
			if ((rc = get_str(x, i, t, sizeof(t), key, "a port")) == 0 &&
			    vsw_port_kind_parse(t, &p.kind) < 0)
				rc = derr(x, "a port's kind must be vnic, uplink or internal");
		} else if (strcmp(key, "devargs") == 0)
			rc = get_str(x, i, p.devargs, sizeof(p.devargs), key, "a port");
		else if (strcmp(key, "vlan") == 0)
			rc = dec_vlan(x, i, &p.vlan, "a port's vlan");
		else if (strcmp(key, "security") == 0)
			rc = dec_security(x, i, &p.sec, &fields, "a port's security");
		else if (strcmp(key, "qos") == 0)
			rc = dec_qos(x, i, &p.qos, &fields, "a port's qos");
		else if (strcmp(key, "acls") == 0)
			rc = need_type(x, i, VSW_JARR, key, "a port"), acls = i;
		else
			rc = unknown(x, key, "a port");
		if (rc < 0)
			return rc;
	}
	if (vsw_cfg_check_port(&p, x->why, x->len) < 0)
		return -EINVAL;
	if (m->n_ports >= VSW_MAX_PORTS)
		return derr(x, "the reply holds more than %d ports", VSW_MAX_PORTS);
	INSERT_SORTED(m->ports, m->n_ports, name, p);
	if (acls == 0)
		return 0;
	MEMBERS(x, acls, i, k) {
		struct vsw_acl_cfg a;
		bool d1, d2;

		memset(&a, 0, sizeof(a));
		a.dir = VSW_DIR_BOTH;
		a.protocol = VSW_ACL_PROTO_ANY;
		a.local_port_hi = a.remote_port_hi = 65535;
		memcpy(a.port, p.name, VSW_NAME_MAX);
		if ((rc = dec_acl(x, i, &a, &d1, &d2, "an ACL")) < 0)
			return rc;
		if (vsw_cfg_check_acl(&a, x->why, x->len) < 0)
			return -EINVAL;
		if (m->n_acls >= VSW_MAX_ACLS)
			return derr(x, "the reply holds more than %d ACLs", VSW_MAX_ACLS);
		INSERT_SORTED(m->acls, m->n_acls, port, a);
	}
	return 0;
}

static int dec_switch_obj(struct dec *x, uint32_t obj, struct vsw_model *m)
{
	struct seen s = { 0 };
	struct vsw_switch_cfg w = { .lcore = VSW_LCORE_AUTO };
	char key[KEY_MAX], t[16];
	uint32_t ports = 0, mirrors = 0, exts = 0;
	uint64_t n;
	int rc = need_type(x, obj, VSW_JOBJ, "switch", "the result");

	if (rc < 0)
		return rc;
	MEMBERS(x, obj, i, k) {
		if ((rc = member_key(x, &s, i, key, "a switch")) < 0)
			return rc;
		if (strcmp(key, "name") == 0) {
			rc = get_str(x, i, w.name, sizeof(w.name), key, "a switch");
		} else if (strcmp(key, "type") == 0) {
			if ((rc = get_str(x, i, t, sizeof(t), key, "a switch")) == 0 &&
			    vsw_switch_type_parse(t, &w.type) < 0)
				rc = derr(x, "a switch's type must be external, internal or private");
		} else if (strcmp(key, "fdb_size") == 0) {
			rc = get_uint(x, i, VSW_FDB_SIZE_MAX, &n, key, "a switch");
			w.fdb_size = (uint32_t)n;
		} else if (strcmp(key, "aging_s") == 0) {
			rc = get_uint(x, i, VSW_AGING_MAX, &n, key, "a switch");
			w.aging_s = (uint32_t)n;
		} else if (strcmp(key, "lcore") == 0) {
			rc = get_lcore(x, i, &w.lcore, key, "a switch");
		} else if (strcmp(key, "ports") == 0) {
			rc = need_type(x, i, VSW_JARR, key, "a switch");
			ports = i;
		} else if (strcmp(key, "mirrors") == 0) {
			rc = need_type(x, i, VSW_JARR, key, "a switch");
			mirrors = i;
		} else if (strcmp(key, "extensions") == 0) {
			rc = need_type(x, i, VSW_JARR, key, "a switch");
			exts = i;
		} else {
			rc = unknown(x, key, "a switch");
		}
		if (rc < 0)
			return rc;
	}
	if (vsw_cfg_check_switch(&w, x->why, x->len) < 0)
		return -EINVAL;
	if (m->n_switches >= VSW_MAX_SWITCHES)
		return derr(x, "the reply holds more than %d switches", VSW_MAX_SWITCHES);
	INSERT_SORTED(m->switches, m->n_switches, name, w);
	if (ports != 0) {
		MEMBERS(x, ports, i, k)
			if ((rc = dec_port_obj(x, i, m, w.name)) < 0)
				return rc;
	}
	if (mirrors != 0) {
		MEMBERS(x, mirrors, i, k) {
			struct vsw_mirror_cfg r;
			struct seen s2 = { 0 };

			memset(&r, 0, sizeof(r));
			memcpy(r.sw, w.name, VSW_NAME_MAX);
			if ((rc = need_type(x, i, VSW_JOBJ, "mirror", "a switch")) < 0)
				return rc;
			MEMBERS(x, i, j, kk) {
				if ((rc = member_key(x, &s2, j, key, "a mirror")) < 0)
					return rc;
				if (strcmp(key, "name") == 0)
					rc = get_str(x, j, r.name, sizeof(r.name), key, "a mirror");
				else
					rc = dec_mirror_fields(x, &r, key, j, "a mirror");
				if (rc < 0)
					return rc;
			}
			if (vsw_cfg_check_mirror(&r, x->why, x->len) < 0)
				return -EINVAL;
			if (m->n_mirrors >= VSW_MAX_MIRRORS)
				return derr(x, "the reply holds more than %d mirrors",
					    VSW_MAX_MIRRORS);
			INSERT_SORTED(m->mirrors, m->n_mirrors, name, r);
		}
	}
	if (exts != 0) {
		MEMBERS(x, exts, i, k) {
			struct vsw_ext_cfg e;
			struct seen s2 = { 0 };

			memset(&e, 0, sizeof(e));
			memcpy(e.sw, w.name, VSW_NAME_MAX);
			if ((rc = need_type(x, i, VSW_JOBJ, "extension", "a switch")) < 0)
				return rc;
			MEMBERS(x, i, j, kk) {
				if ((rc = member_key(x, &s2, j, key, "an extension")) < 0)
					return rc;
				if (strcmp(key, "name") == 0)
					rc = get_str(x, j, e.name, sizeof(e.name), key,
						     "an extension");
				else
					rc = dec_ext_fields(x, &e, key, j, "an extension");
				if (rc < 0)
					return rc;
			}
			if (vsw_cfg_check_ext(&e, x->why, x->len) < 0)
				return -EINVAL;
			if (m->n_exts >= VSW_MAX_EXTENSIONS)
				return derr(x, "the reply holds more than %d extensions",
					    VSW_MAX_EXTENSIONS);
			INSERT_SORTED(m->exts, m->n_exts, sw, e);
		}
	}
	return 0;
}

static int dec_stats(struct dec *x, uint32_t arr, struct vsw_ctl_reply *r)
{
	int rc = need_type(x, arr, VSW_JARR, "stats", "the result");
	uint32_t n;

	if (rc < 0)
		return rc;
	n = x->d->nodes[arr].n;
	r->stats = calloc(n != 0 ? n : 1, sizeof(*r->stats));
	if (r->stats == NULL)
		return derr(x, "out of memory");
	MEMBERS(x, arr, i, k) {
		struct vsw_ctl_stats *st = &r->stats[r->n_stats];
		struct seen s = { 0 };

		st->lcore = -1;
		char key[KEY_MAX];

		if ((rc = need_type(x, i, VSW_JOBJ, "stats", "the result")) < 0)
			return rc;
		MEMBERS(x, i, j, kk) {
			if ((rc = member_key(x, &s, j, key, "a port's stats")) < 0)
				return rc;
			if (strcmp(key, "port") == 0) {
				rc = get_str(x, j, st->port, sizeof(st->port), key, "stats");
			} else if (strcmp(key, "switch") == 0) {
				rc = get_str(x, j, st->sw, sizeof(st->sw), key, "stats");
			} else if (strcmp(key, "attached") == 0) {
				rc = get_bool(x, j, &st->attached, key, "stats");
			} else if (strcmp(key, "lcore") == 0) {
				rc = get_lcore(x, j, &st->lcore, key, "stats");
			} else if (strcmp(key, "counters") == 0) {
				struct seen s2 = { 0 };

				if ((rc = need_type(x, j, VSW_JOBJ, key, "stats")) < 0)
					return rc;
				MEMBERS(x, j, c, kc) {
					uint64_t v;

					if ((rc = member_key(x, &s2, c, key, "counters")) < 0 ||
					    (rc = get_uint(x, c, UINT64_MAX, &v, key, "counters")) < 0)
						return rc;
					if (vsw_ctl_stats_add(st, key, v) < 0)
						return derr(x, "bad or too many counters in stats");
				}
			} else {
				rc = unknown(x, key, "stats");
			}
			if (rc < 0)
				return rc;
		}
		r->n_stats++;
	}
	return 0;
}

int vsw_ctl_decode_reply(const char *text, size_t len, enum vsw_op op,
			 struct vsw_ctl_reply *r, char *why, size_t wlen)
{
	struct vsw_jdoc d;
	struct dec x = { &d, why, wlen };
	struct seen s = { 0 };
	char key[KEY_MAX];
	uint32_t result = 0;
	uint64_t e = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = vsw_json_parse(&d, text, len, VSW_CTL_MAX_REPLY_NODES, why, wlen);
	if (rc < 0)
		return rc;
	rc = need_type(&x, 0, VSW_JOBJ, "reply", "the message");
	MEMBERS(&x, 0, i, k) {
		if (rc < 0)
			break;
		if ((rc = member_key(&x, &s, i, key, "the reply")) < 0)
			break;
		if (strcmp(key, "ok") == 0)
			rc = get_bool(&x, i, &r->ok, key, "the reply");
		else if (strcmp(key, "changed") == 0)
			rc = get_bool(&x, i, &r->changed, key, "the reply");
		else if (strcmp(key, "errno") == 0)
			rc = get_uint(&x, i, 4095, &e, key, "the reply");
		else if (strcmp(key, "why") == 0)
			rc = get_str(&x, i, r->why, sizeof(r->why), key, "the reply");
		else if (strcmp(key, "error") == 0)
			rc = need_type(&x, i, VSW_JSTR, key, "the reply");
		else if (strcmp(key, "result") == 0)
			rc = need_type(&x, i, VSW_JOBJ, key, "the reply"), result = i;
		else
			rc = unknown(&x, key, "the reply");
	}
	r->err = -(int)e;
	if (rc == 0 && !r->ok && e == 0)
		rc = derr(&x, "a refusal without an errno");
	if (rc == 0 && r->ok && result != 0) {
		s.n = 0;
		MEMBERS(&x, result, i, k) {
			if ((rc = member_key(&x, &s, i, key, "the result")) < 0)
				break;
			if (strcmp(key, "stats") == 0 && op == VSW_OP_STATS) {
				rc = dec_stats(&x, i, r);
			} else if (strcmp(key, "switches") == 0 && op != VSW_OP_STATS) {
				if (r->model == NULL && (r->model = vsw_model_new()) == NULL) {
					rc = derr(&x, "out of memory");
					break;
				}
				if ((rc = need_type(&x, i, VSW_JARR, key, "the result")) < 0)
					break;
				MEMBERS(&x, i, j, kk)
					if (rc == 0)
						rc = dec_switch_obj(&x, j, r->model);
			} else {
				rc = unknown(&x, key, "the result");
			}
			if (rc < 0)
				break;
		}
	}
	vsw_json_free(&d);
	if (rc < 0)
		vsw_ctl_reply_free(r);
	return rc;
}

void vsw_ctl_reply_free(struct vsw_ctl_reply *r)
{
	vsw_model_free(r->model);
	free(r->stats);
	r->model = NULL;
	r->stats = NULL;
	r->n_stats = 0;
}
