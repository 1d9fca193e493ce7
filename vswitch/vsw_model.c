/* The configuration model (vsw_model.h): lookups, the rules a change
 * must meet against what is configured, and the change itself. Every
 * refusal names the object and says what to do about it. */
#include "vswitch/vsw_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHY(err, ...) (snprintf(why, len, __VA_ARGS__), (err))

/* ---- ops ---- */

static const struct {
	const char *name;
	enum vsw_op_kind kind;
	unsigned int flags;
} ops[VSW_OP_COUNT] = {
#define VSW_OP_ROW_(e, n, k, f) [VSW_OP_##e] = { n, k, f },
	VSW_OPS(VSW_OP_ROW_)
#undef VSW_OP_ROW_
};

const char *vsw_op_name(enum vsw_op op)
{
	return op > VSW_OP_NONE && op < VSW_OP_COUNT ? ops[op].name : "?";
}

int vsw_op_parse(const char *s, enum vsw_op *op)
{
	for (int i = VSW_OP_NONE + 1; i < VSW_OP_COUNT; i++) {
		if (strcmp(ops[i].name, s) == 0) {
			*op = (enum vsw_op)i;
			return 0;
		}
	}
	return -EINVAL;
}

enum vsw_op_kind vsw_op_kind(enum vsw_op op)
{
	return op > VSW_OP_NONE && op < VSW_OP_COUNT ? ops[op].kind : VSW_OPK_QUERY;
}

unsigned int vsw_op_flags(enum vsw_op op)
{
	return op > VSW_OP_NONE && op < VSW_OP_COUNT ? ops[op].flags : 0;
}

/* ---- lifetime and comparison ---- */

struct vsw_model *vsw_model_new(void)
{
	return calloc(1, sizeof(struct vsw_model));
}

void vsw_model_free(struct vsw_model *m)
{
	free(m);
}

void vsw_model_copy(struct vsw_model *dst, const struct vsw_model *src)
{
	/* Only the used part: a change copies the model, most of it empty. */
	dst->n_switches = src->n_switches;
	dst->n_ports = src->n_ports;
	dst->n_acls = src->n_acls;
	dst->n_mirrors = src->n_mirrors;
	dst->n_exts = src->n_exts;
	memcpy(dst->switches, src->switches, src->n_switches * sizeof(src->switches[0]));
	memcpy(dst->ports, src->ports, src->n_ports * sizeof(src->ports[0]));
	memcpy(dst->acls, src->acls, src->n_acls * sizeof(src->acls[0]));
	memcpy(dst->mirrors, src->mirrors, src->n_mirrors * sizeof(src->mirrors[0]));
	memcpy(dst->exts, src->exts, src->n_exts * sizeof(src->exts[0]));
}

static bool addr_equal(const struct vsw_acl_addr *a, const struct vsw_acl_addr *b)
{
	return a->kind == b->kind && a->plen == b->plen &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

bool vsw_acl_equal(const struct vsw_acl_cfg *a, const struct vsw_acl_cfg *b)
{
	return strcmp(a->port, b->port) == 0 && a->extended == b->extended &&
	       a->action == b->action && a->dir == b->dir && addr_equal(&a->local, &b->local) &&
	       addr_equal(&a->remote, &b->remote) && a->protocol == b->protocol &&
	       a->local_port_lo == b->local_port_lo && a->local_port_hi == b->local_port_hi &&
	       a->remote_port_lo == b->remote_port_lo &&
	       a->remote_port_hi == b->remote_port_hi && a->weight == b->weight &&
	       a->stateful == b->stateful && a->idle_timeout_s == b->idle_timeout_s;
}

static bool switch_equal(const struct vsw_switch_cfg *a, const struct vsw_switch_cfg *b)
{
	return strcmp(a->name, b->name) == 0 && a->type == b->type &&
	       a->fdb_size == b->fdb_size && a->aging_s == b->aging_s && a->lcore == b->lcore;
}

static bool port_equal(const struct vsw_port_cfg *a, const struct vsw_port_cfg *b)
{
	return strcmp(a->name, b->name) == 0 && strcmp(a->sw, b->sw) == 0 &&
	       a->kind == b->kind && strcmp(a->devargs, b->devargs) == 0 &&
	       a->vlan.mode == b->vlan.mode && a->vlan.access_vlan == b->vlan.access_vlan &&
	       a->vlan.native_vlan == b->vlan.native_vlan &&
	       memcmp(a->vlan.allowed, b->vlan.allowed, sizeof(a->vlan.allowed)) == 0 &&
	       a->sec.mac_spoof_guard == b->sec.mac_spoof_guard &&
	       memcmp(a->sec.mac, b->sec.mac, 6) == 0 && a->sec.dhcp_guard == b->sec.dhcp_guard &&
	       a->sec.router_guard == b->sec.router_guard &&
	       a->sec.storm_limit_pps == b->sec.storm_limit_pps &&
	       a->sec.mac_limit == b->sec.mac_limit && a->qos.max_bps == b->qos.max_bps &&
	       a->qos.min_weight == b->qos.min_weight;
}

static bool names_equal(const char (*a)[VSW_NAME_MAX], const char (*b)[VSW_NAME_MAX],
			unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static bool mirror_equal(const struct vsw_mirror_cfg *a, const struct vsw_mirror_cfg *b)
{
	return strcmp(a->name, b->name) == 0 && strcmp(a->sw, b->sw) == 0 &&
	       strcmp(a->output, b->output) == 0 && a->select_all == b->select_all &&
	       a->n_src == b->n_src && a->n_dst == b->n_dst &&
	       names_equal(a->select_src, b->select_src, a->n_src) &&
	       names_equal(a->select_dst, b->select_dst, a->n_dst) &&
	       a->has_vlans == b->has_vlans &&
	       memcmp(a->select_vlans, b->select_vlans, sizeof(a->select_vlans)) == 0;
}

static bool ext_equal(const struct vsw_ext_cfg *a, const struct vsw_ext_cfg *b)
{
	return strcmp(a->sw, b->sw) == 0 && strcmp(a->name, b->name) == 0 &&
	       a->type == b->type && strcmp(a->module, b->module) == 0 &&
	       strcmp(a->args, b->args) == 0 && a->enabled == b->enabled;
}

bool vsw_model_equal(const struct vsw_model *a, const struct vsw_model *b)
{
	if (a->n_switches != b->n_switches || a->n_ports != b->n_ports ||
	    a->n_acls != b->n_acls || a->n_mirrors != b->n_mirrors || a->n_exts != b->n_exts)
		return false;
	for (unsigned int i = 0; i < a->n_switches; i++)
		if (!switch_equal(&a->switches[i], &b->switches[i]))
			return false;
	for (unsigned int i = 0; i < a->n_ports; i++)
		if (!port_equal(&a->ports[i], &b->ports[i]))
			return false;
	for (unsigned int i = 0; i < a->n_acls; i++)
		if (!vsw_acl_equal(&a->acls[i], &b->acls[i]))
			return false;
	for (unsigned int i = 0; i < a->n_mirrors; i++)
		if (!mirror_equal(&a->mirrors[i], &b->mirrors[i]))
			return false;
	for (unsigned int i = 0; i < a->n_exts; i++)
		if (!ext_equal(&a->exts[i], &b->exts[i]))
			return false;
	return true;
}

/* ---- lookups ---- */

int vsw_model_find_switch(const struct vsw_model *m, const char *name)
{
	for (unsigned int i = 0; i < m->n_switches; i++)
		if (strcmp(m->switches[i].name, name) == 0)
			return (int)i;
	return -1;
}

int vsw_model_find_port(const struct vsw_model *m, const char *name)
{
	for (unsigned int i = 0; i < m->n_ports; i++)
		if (strcmp(m->ports[i].name, name) == 0)
			return (int)i;
	return -1;
}

int vsw_model_find_mirror(const struct vsw_model *m, const char *name)
{
	for (unsigned int i = 0; i < m->n_mirrors; i++)
		if (strcmp(m->mirrors[i].name, name) == 0)
			return (int)i;
	return -1;
}

int vsw_model_find_ext(const struct vsw_model *m, const char *sw, const char *name)
{
	for (unsigned int i = 0; i < m->n_exts; i++)
		if (strcmp(m->exts[i].sw, sw) == 0 && strcmp(m->exts[i].name, name) == 0)
			return (int)i;
	return -1;
}

unsigned int vsw_model_port_acls(const struct vsw_model *m, const char *port,
				 unsigned int *first)
{
	unsigned int n = 0;

	*first = m->n_acls;
	for (unsigned int i = 0; i < m->n_acls; i++) {
		if (strcmp(m->acls[i].port, port) == 0) {
			if (n++ == 0)
				*first = i;
		}
	}
	return n;
}

/* ---- array editing: records stay in canonical order ---- */

#define INSERT_AT(arr, n, at, rec) do { \
	memmove(&(arr)[(at) + 1], &(arr)[at], ((n) - (at)) * sizeof((arr)[0])); \
	(arr)[at] = (rec); \
	(n)++; \
} while (0)

#define REMOVE_AT(arr, n, at) do { \
	memmove(&(arr)[at], &(arr)[(at) + 1], ((n) - (at) - 1) * sizeof((arr)[0])); \
	(n)--; \
} while (0)

/* First index whose key sorts after 'key' (keys at arr[i].field). */
#define UPPER_BOUND(arr, n, field, key, out) do { \
	unsigned int ub_ = 0; \
	while (ub_ < (n) && strcmp((arr)[ub_].field, (key)) <= 0) \
		ub_++; \
	(out) = ub_; \
} while (0)

static void remove_port(struct vsw_model *m, unsigned int at)
{
	const char *name = m->ports[at].name;

	for (unsigned int i = m->n_acls; i-- > 0;)
		if (strcmp(m->acls[i].port, name) == 0)
			REMOVE_AT(m->acls, m->n_acls, i);
	REMOVE_AT(m->ports, m->n_ports, at);
}

static void remove_switch(struct vsw_model *m, unsigned int at)
{
	const char *name = m->switches[at].name;

	for (unsigned int i = m->n_ports; i-- > 0;)
		if (strcmp(m->ports[i].sw, name) == 0)
			remove_port(m, i);
	for (unsigned int i = m->n_mirrors; i-- > 0;)
		if (strcmp(m->mirrors[i].sw, name) == 0)
			REMOVE_AT(m->mirrors, m->n_mirrors, i);
	for (unsigned int i = m->n_exts; i-- > 0;)
		if (strcmp(m->exts[i].sw, name) == 0)
			REMOVE_AT(m->exts, m->n_exts, i);
	REMOVE_AT(m->switches, m->n_switches, at);
}

/* ---- the change alone ---- */

void vsw_change_init(struct vsw_change *c, enum vsw_op op)
{
	memset(c, 0, sizeof(*c));
	c->op = op;
	vsw_port_cfg_init(&c->port_cfg);
	c->sw_cfg.lcore = VSW_LCORE_AUTO;
	c->acl.dir = VSW_DIR_BOTH;
	c->acl.protocol = VSW_ACL_PROTO_ANY;
	c->acl.local_port_hi = 65535;
	c->acl.remote_port_hi = 65535;
	c->ext.enabled = true;
	c->capture.dir = VSW_DIR_BOTH;
}

static int check_opt_name(const char *name, char *why, size_t len)
{
	return name[0] == '\0' ? 0 : vsw_cfg_check_name(name, why, len);
}

static bool terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

void vsw_change_fini(struct vsw_change *c)
{
	free(c->acls);
	c->acls = NULL;
	c->n_acls = 0;
}

int vsw_change_check(const struct vsw_change *c, char *why, size_t len)
{
	unsigned int allowed_fields = 0;
	int rc = 0;

	if (c->op <= VSW_OP_NONE || c->op >= VSW_OP_COUNT)
		return WHY(-EINVAL, "unknown operation");
	if (c->flags & ~vsw_op_flags(c->op))
		return WHY(-EINVAL, "%s does not apply to %s",
			   (c->flags & ~vsw_op_flags(c->op)) & VSW_F_MAY_EXIST ? "--may-exist" :
			   (c->flags & ~vsw_op_flags(c->op)) & VSW_F_IF_EXISTS ? "--if-exists" :
										 "--replace",
			   vsw_op_name(c->op));
	if (!terminated(c->sw, sizeof(c->sw)) || !terminated(c->port, sizeof(c->port)) ||
	    !terminated(c->name, sizeof(c->name)))
		return WHY(-EINVAL, "a name is longer than %d characters", VSW_NAME_MAX - 1);
	switch (c->op) {
	case VSW_OP_SWITCH_SET:
		allowed_fields = VSW_FLD_SWITCH_SET;
		break;
	case VSW_OP_PORT_SET:
		allowed_fields = VSW_FLD_PORT_SET;
		break;
	case VSW_OP_PORT_SECURITY:
		allowed_fields = VSW_FLD_SECURITY;
		break;
	case VSW_OP_PORT_QOS:
		allowed_fields = VSW_FLD_QOS;
		break;
	case VSW_OP_ACL_DELETE:
		allowed_fields = VSW_FLD_DIRECTION;
		break;
	default:
		break;
	}
	if (c->fields & ~allowed_fields)
		return WHY(-EINVAL, "%s got a setting it does not take", vsw_op_name(c->op));
	if (allowed_fields != 0 && allowed_fields != VSW_FLD_DIRECTION && c->fields == 0)
		return WHY(-EINVAL, "%s needs at least one setting to change",
			   vsw_op_name(c->op));

	switch (c->op) {
	case VSW_OP_SWITCH_CREATE:
	case VSW_OP_SWITCH_SET:
		if (strcmp(c->sw, c->sw_cfg.name) != 0)
			return WHY(-EINVAL, "the switch's name and its record's disagree");
		return vsw_cfg_check_switch(&c->sw_cfg, why, len);
	case VSW_OP_SWITCH_DELETE:
		return vsw_cfg_check_name(c->sw, why, len);
	case VSW_OP_PORT_ADD:
		if (strcmp(c->port, c->port_cfg.name) != 0 || strcmp(c->sw, c->port_cfg.sw) != 0)
			return WHY(-EINVAL, "the port's names and its record's disagree");
		return vsw_cfg_check_port(&c->port_cfg, why, len);
	case VSW_OP_PORT_DELETE:
		return vsw_cfg_check_name(c->port, why, len);
	case VSW_OP_PORT_SET:
		rc = vsw_cfg_check_name(c->port, why, len);
		if (rc == 0 && !terminated(c->port_cfg.devargs, VSW_DEVARGS_MAX))
			return WHY(-EINVAL, "devargs are longer than %d characters",
				   VSW_DEVARGS_MAX - 1);
		/* Devargs are checked against the port's kind in the model. */
		if (rc == 0)
			rc = vsw_cfg_check_security(&c->port_cfg.sec, why, len);
		return rc;
	case VSW_OP_PORT_VLAN:
		rc = vsw_cfg_check_name(c->port, why, len);
		return rc < 0 ? rc : vsw_cfg_check_vlan(&c->port_cfg.vlan, why, len);
	case VSW_OP_PORT_SECURITY:
		rc = vsw_cfg_check_name(c->port, why, len);
		return rc < 0 ? rc : vsw_cfg_check_security(&c->port_cfg.sec, why, len);
	case VSW_OP_PORT_QOS:
		rc = vsw_cfg_check_name(c->port, why, len);
		return rc < 0 ? rc : vsw_cfg_check_qos(&c->port_cfg.qos, why, len);
	case VSW_OP_ACL_ADD:
		if (strcmp(c->port, c->acl.port) != 0)
			return WHY(-EINVAL, "the ACL's port and the request's disagree");
		return vsw_cfg_check_acl(&c->acl, why, len);
	case VSW_OP_ACL_LOAD:
		rc = vsw_cfg_check_name(c->port, why, len);
		if (rc == 0 && c->n_acls > VSW_MAX_ACLS_PER_PORT)
			return WHY(-ENOSPC, "%u ACLs are more than the %d a port takes", c->n_acls,
				   VSW_MAX_ACLS_PER_PORT);
		if (rc == 0 && c->n_acls > 0 && c->acls == NULL)
			return WHY(-EINVAL, "the request lists no ACLs");
		for (unsigned int k = 0; rc == 0 && k < c->n_acls; k++) {
			if (strcmp(c->port, c->acls[k].port) != 0)
				return WHY(-EINVAL, "ACL %u: its port and the request's disagree",
					   k + 1);
			rc = vsw_cfg_check_acl(&c->acls[k], why, len);
			if (rc < 0) {
				char inner[300];

				snprintf(inner, sizeof(inner), "%s", why);
				return WHY(rc, "ACL %u: %s", k + 1, inner);
			}
		}
		return rc;
	case VSW_OP_ACL_DELETE:
		if (strcmp(c->port, c->acl.port) != 0)
			return WHY(-EINVAL, "the ACL's port and the request's disagree");
		if (c->acl.extended) {
			/* Found by weight (and direction); the rest is not looked at. */
			if (c->acl.weight == 0)
				return WHY(-EINVAL, "an extended ACL is deleted by its weight (1-65535)");
			if (c->acl.dir < VSW_DIR_INBOUND || c->acl.dir > VSW_DIR_BOTH)
				return WHY(-EINVAL, "the direction must be inbound, outbound or both");
			return vsw_cfg_check_name(c->port, why, len);
		}
		return vsw_cfg_check_acl(&c->acl, why, len);
	case VSW_OP_MIRROR_ADD:
		if (strcmp(c->name, c->mirror.name) != 0 || strcmp(c->sw, c->mirror.sw) != 0)
			return WHY(-EINVAL, "the mirror's names and its record's disagree");
		return vsw_cfg_check_mirror(&c->mirror, why, len);
	case VSW_OP_MIRROR_DELETE:
		return vsw_cfg_check_name(c->name, why, len);
	case VSW_OP_EXT_ADD:
		if (strcmp(c->name, c->ext.name) != 0 || strcmp(c->sw, c->ext.sw) != 0)
			return WHY(-EINVAL, "the extension's names and its record's disagree");
		return vsw_cfg_check_ext(&c->ext, why, len);
	case VSW_OP_EXT_MOVE:
		if (c->position < 1 || c->position > VSW_MAX_EXTENSIONS)
			return WHY(-EINVAL, "the position must be 1-%d", VSW_MAX_EXTENSIONS);
		/* fall through */
	case VSW_OP_EXT_DELETE:
	case VSW_OP_EXT_ENABLE:
	case VSW_OP_EXT_DISABLE:
		rc = vsw_cfg_check_name(c->sw, why, len);
		return rc < 0 ? rc : vsw_cfg_check_name(c->name, why, len);
	case VSW_OP_PORT_LIST:
		return vsw_cfg_check_name(c->sw, why, len);
	case VSW_OP_ACL_LIST:
	case VSW_OP_CAPTURE_STOP:
		return vsw_cfg_check_name(c->port, why, len);
	case VSW_OP_CAPTURE_START:
		rc = vsw_cfg_check_name(c->port, why, len);
		if (rc == 0 && (c->capture.dir < VSW_DIR_INBOUND || c->capture.dir > VSW_DIR_BOTH))
			return WHY(-EINVAL, "the direction must be inbound, outbound or both");
		if (rc == 0 && c->capture.snaplen > 262144)
			return WHY(-EINVAL, "a snap length of %u is above 262144 bytes",
				   c->capture.snaplen);
		return rc;
	case VSW_OP_SHOW:
	case VSW_OP_SWITCH_LIST:
	case VSW_OP_MIRROR_LIST:
	case VSW_OP_EXT_LIST:
		return check_opt_name(c->sw, why, len);
	case VSW_OP_STATS:
		rc = check_opt_name(c->sw, why, len);
		return rc < 0 ? rc : check_opt_name(c->port, why, len);
	default:
		return WHY(-EINVAL, "unknown operation");
	}
}

/* ---- changes against the model ---- */

static bool kind_fits(enum vsw_switch_type t, enum vsw_port_kind k)
{
	switch (t) {
	case VSW_SWITCH_PRIVATE:
		return k == VSW_PORT_VNIC;
	case VSW_SWITCH_INTERNAL:
		return k != VSW_PORT_UPLINK;
	default:
		return true;
	}
}

/* Two ports cannot bind one device: an uplink's or a host port's
 * devargs are unique. */
static int devargs_user(const struct vsw_model *m, const struct vsw_port_cfg *p)
{
	if (p->kind == VSW_PORT_VNIC || p->devargs[0] == '\0')
		return -1;
	for (unsigned int i = 0; i < m->n_ports; i++) {
		const struct vsw_port_cfg *o = &m->ports[i];

		if (o->kind != VSW_PORT_VNIC && strcmp(o->name, p->name) != 0 &&
		    strcmp(o->devargs, p->devargs) == 0)
			return (int)i;
	}
	return -1;
}

static const char *mirror_user(const struct vsw_model *m, const char *port)
{
	for (unsigned int i = 0; i < m->n_mirrors; i++) {
		const struct vsw_mirror_cfg *r = &m->mirrors[i];

		if (strcmp(r->output, port) == 0)
			return r->name;
		for (unsigned int k = 0; k < r->n_src; k++)
			if (strcmp(r->select_src[k], port) == 0)
				return r->name;
		for (unsigned int k = 0; k < r->n_dst; k++)
			if (strcmp(r->select_dst[k], port) == 0)
				return r->name;
	}
	return NULL;
}

static int need_switch(const struct vsw_model *m, const char *sw, char *why, size_t len)
{
	int i = vsw_model_find_switch(m, sw);

	if (i < 0)
		return WHY(-ENOENT, "switch %s does not exist; list switches with "
			   "'vswitchctl switch list'", sw);
	return i;
}

static int need_port(const struct vsw_model *m, const char *port, char *why, size_t len)
{
	int i = vsw_model_find_port(m, port);

	if (i < 0)
		return WHY(-ENOENT, "port %s does not exist; list ports with "
			   "'vswitchctl port list SWITCH'", port);
	return i;
}

static int switch_create(struct vsw_model *m, const struct vsw_change *c, char *why, size_t len)
{
	int i = vsw_model_find_switch(m, c->sw);
	unsigned int at;

	if (i >= 0) {
		const struct vsw_switch_cfg *o = &m->switches[i];

		if (!(c->flags & VSW_F_MAY_EXIST))
			return WHY(-EEXIST, "switch %s already exists (%s); use --may-exist to "
				   "accept that", c->sw, vsw_switch_type_name(o->type));
		if (o->type != c->sw_cfg.type)
			return WHY(-EEXIST, "switch %s exists as an %s switch, not %s; delete it "
				   "first to change its type", c->sw, vsw_switch_type_name(o->type),
				   vsw_switch_type_name(c->sw_cfg.type));
		return 1;
	}
	if (m->n_switches >= VSW_MAX_SWITCHES)
		return WHY(-ENOSPC, "there are already %d switches, the most vswitchd runs; "
			   "delete one first", VSW_MAX_SWITCHES);
	UPPER_BOUND(m->switches, m->n_switches, name, c->sw, at);
	INSERT_AT(m->switches, m->n_switches, at, c->sw_cfg);
	return 0;
}

static int port_add(struct vsw_model *m, const struct vsw_change *c, char *why, size_t len)
{
	const struct vsw_port_cfg *p = &c->port_cfg;
	int s, i = vsw_model_find_port(m, c->port), u;
	unsigned int at;

	s = need_switch(m, c->sw, why, len);
	if (s < 0)
		return s;
	if (i >= 0) {
		if (!(c->flags & VSW_F_MAY_EXIST))
			return WHY(-EEXIST, "port %s already exists on switch %s; use --may-exist "
				   "to accept that", c->port, m->ports[i].sw);
		if (strcmp(m->ports[i].sw, c->sw) != 0)
			return WHY(-EEXIST, "port %s exists on switch %s, not %s; delete it "
				   "first to move it", c->port, m->ports[i].sw, c->sw);
		if (m->ports[i].kind != p->kind)
			return WHY(-EEXIST, "port %s exists as a %s port, not %s; delete it "
				   "first to change its kind", c->port,
				   vsw_port_kind_name(m->ports[i].kind), vsw_port_kind_name(p->kind));
		return 1;
	}
	if (!kind_fits(m->switches[s].type, p->kind))
		return WHY(-EINVAL, "switch %s is %s: it takes %s, not %s ports", c->sw,
			   vsw_switch_type_name(m->switches[s].type),
			   m->switches[s].type == VSW_SWITCH_PRIVATE ? "only vNICs"
								       : "vNICs and internal ports",
			   vsw_port_kind_name(p->kind));
	u = devargs_user(m, p);
	if (u >= 0)
		return WHY(-EBUSY, "devargs %s are already used by port %s; one device, one "
			   "port", p->devargs, m->ports[u].name);
	if (m->n_ports >= VSW_MAX_PORTS)
		return WHY(-ENOSPC, "there are already %d ports, the most vswitchd runs",
			   VSW_MAX_PORTS);
	UPPER_BOUND(m->ports, m->n_ports, name, c->port, at);
	INSERT_AT(m->ports, m->n_ports, at, *p);
	return 0;
}

static int port_update(struct vsw_model *m, const struct vsw_change *c, char *why, size_t len)
{
	int i = need_port(m, c->port, why, len), u;
	const struct vsw_port_cfg *in = &c->port_cfg;
	struct vsw_port_cfg p;

	if (i < 0)
		return i;
	p = m->ports[i];
	switch (c->op) {
	case VSW_OP_PORT_VLAN:
		p.vlan = in->vlan;
		break;
	case VSW_OP_PORT_QOS:
		if (c->fields & VSW_FLD_MAX_BPS)
			p.qos.max_bps = in->qos.max_bps;
		if (c->fields & VSW_FLD_MIN_WEIGHT)
			p.qos.min_weight = in->qos.min_weight;
		break;
	default:
		/* port set and port security share the MAC. */
		if (c->fields & VSW_FLD_DEVARGS)
			memcpy(p.devargs, in->devargs, sizeof(p.devargs));
		if (c->fields & VSW_FLD_MAC)
			memcpy(p.sec.mac, in->sec.mac, 6);
		if (c->fields & VSW_FLD_MAC_SPOOF)
			p.sec.mac_spoof_guard = in->sec.mac_spoof_guard;
		if (c->fields & VSW_FLD_DHCP_GUARD)
			p.sec.dhcp_guard = in->sec.dhcp_guard;
		if (c->fields & VSW_FLD_ROUTER_GUARD)
			p.sec.router_guard = in->sec.router_guard;
		if (c->fields & VSW_FLD_STORM)
			p.sec.storm_limit_pps = in->sec.storm_limit_pps;
		if (c->fields & VSW_FLD_MAC_LIMIT)
			p.sec.mac_limit = in->sec.mac_limit;
		break;
	}
	if (vsw_cfg_check_port(&p, why, len) < 0)
		return -EINVAL;
	u = devargs_user(m, &p);
	if (u >= 0)
		return WHY(-EBUSY, "devargs %s are already used by port %s; one device, one "
			   "port", p.devargs, m->ports[u].name);
	m->ports[i] = p;
	return 0;
}

static bool dirs_overlap(enum vsw_dir a, enum vsw_dir b)
{
	return ((unsigned int)a & (unsigned int)b) != 0;
}

static void acl_describe(const struct vsw_acl_cfg *a, char *out, size_t n)
{
	char l[VSW_ADDR_STR], r[VSW_ADDR_STR];

	if (a->extended) {
		snprintf(out, n, "%s %s ACL of weight %u", vsw_dir_name(a->dir),
			 vsw_acl_action_name(a->action), a->weight);
		return;
	}
	vsw_acl_addr_format(&a->local, l);
	vsw_acl_addr_format(&a->remote, r);
	snprintf(out, n, "%s %s ACL for local %s remote %s", vsw_dir_name(a->dir),
		 vsw_acl_action_name(a->action), l, r);
}

/* The ACL among arr[0..n) that 'a' collides with: same addresses (plain)
 * or same weight (extended), in an overlapping direction. */
static int acl_conflict_in(const struct vsw_acl_cfg *arr, unsigned int n,
			   const struct vsw_acl_cfg *a)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct vsw_acl_cfg *o = &arr[i];

		if (strcmp(o->port, a->port) != 0 || o->extended != a->extended ||
		    !dirs_overlap(o->dir, a->dir))
			continue;
		if (a->extended ? o->weight == a->weight
				: addr_equal(&o->local, &a->local) && addr_equal(&o->remote, &a->remote))
			return (int)i;
	}
	return -1;
}

static int acl_conflict(const struct vsw_model *m, const struct vsw_acl_cfg *a)
{
	return acl_conflict_in(m->acls, m->n_acls, a);
}

static int acl_add(struct vsw_model *m, const struct vsw_change *c, char *why, size_t len)
{
	unsigned int first, n, at;
	char d[160];
	int p = need_port(m, c->port, why, len), o;

	if (p < 0)
		return p;
	o = acl_conflict(m, &c->acl);
	if (o >= 0) {
		acl_describe(&m->acls[o], d, sizeof(d));
		if ((c->flags & VSW_F_MAY_EXIST) && vsw_acl_equal(&m->acls[o], &c->acl))
			return 1;
		if (c->flags & VSW_F_MAY_EXIST)
			return WHY(-EEXIST, "port %s has a different %s in its place; delete it "
				   "first", c->port, d);
		return WHY(-EEXIST, "port %s already has an %s%s; delete it first or use "
			   "--may-exist", c->port, d,
			   c->acl.extended ? " (weights are unique per direction)" : "");
	}
	n = vsw_model_port_acls(m, c->port, &first);
	if (n >= VSW_MAX_ACLS_PER_PORT)
		return WHY(-ENOSPC, "port %s has %d ACLs, the most a port takes", c->port,
			   VSW_MAX_ACLS_PER_PORT);
	if (m->n_acls >= VSW_MAX_ACLS)
		return WHY(-ENOSPC, "there are already %d ACLs, the most vswitchd keeps",
			   VSW_MAX_ACLS);
	UPPER_BOUND(m->acls, m->n_acls, port, c->port, at);
	INSERT_AT(m->acls, m->n_acls, at, c->acl);
	return 0;
}

/* Many ACLs for one port in one change: checked against the port's
 * ACLs and each other, then inserted with one move of the array, so a
 * policy of thousands of ACLs costs one pass instead of one per ACL. */
static int acl_load(struct vsw_model *m, const struct vsw_change *c, char *why, size_t len)
{
	unsigned int first, n, had, keep, add = 0, at;
	int p = need_port(m, c->port, why, len);
	struct vsw_acl_cfg *mine;
	char d[160];

	if (p < 0)
		return p;
	n = vsw_model_port_acls(m, c->port, &first);
	if (n == 0)    /* where the port's run would be: ACLs are sorted by port */
		UPPER_BOUND(m->acls, m->n_acls, port, c->port, first);
	had = n;
	if (c->flags & VSW_F_REPLACE) {
		memmove(&m->acls[first], &m->acls[first + n],
			(m->n_acls - first - n) * sizeof(m->acls[0]));
		m->n_acls -= n;
		n = 0;
	}
	keep = n;
	/* The new ones are gathered past the end, then moved into place. */
	mine = &m->acls[first];
	for (unsigned int k = 0; k < c->n_acls; k++) {
		const struct vsw_acl_cfg *a = &c->acls[k];
		int o = acl_conflict_in(mine, keep, a);

		if (o >= 0 && (c->flags & VSW_F_MAY_EXIST) && vsw_acl_equal(&mine[o], a))
			continue;
		if (o >= 0) {
			acl_describe(&mine[o], d, sizeof(d));
			return WHY(-EEXIST, "ACL %u: port %s already has an %s; delete it first%s",
				   k + 1, c->port, d,
				   (c->flags & VSW_F_MAY_EXIST) ? "" : " or use --may-exist");
		}
		for (unsigned int j = 0; j < k; j++) {
			if (acl_conflict_in(a, 1, &c->acls[j]) < 0)
				continue;
			if ((c->flags & VSW_F_MAY_EXIST) && vsw_acl_equal(a, &c->acls[j]))
				goto dup;
			acl_describe(&c->acls[j], d, sizeof(d));
			return WHY(-EEXIST, "ACL %u collides with ACL %u, an %s", k + 1, j + 1, d);
		}
		add++;
dup:;
	}
	if (add == 0 && keep == had)  /* all there already (--may-exist) */
		return 1;
	if (keep + add > VSW_MAX_ACLS_PER_PORT)
		return WHY(-ENOSPC, "port %s would have %u ACLs, more than the %d a port takes",
			   c->port, keep + add, VSW_MAX_ACLS_PER_PORT);
	if (m->n_acls + add > VSW_MAX_ACLS)
		return WHY(-ENOSPC, "%u more ACLs would pass the %d vswitchd keeps", add,
			   VSW_MAX_ACLS);
	/* Room after the port's run, then the new ones in the file's order. */
	at = first + keep;
	memmove(&m->acls[at + add], &m->acls[at], (m->n_acls - at) * sizeof(m->acls[0]));
	m->n_acls += add;
	for (unsigned int k = 0, w = at; k < c->n_acls; k++) {
		const struct vsw_acl_cfg *a = &c->acls[k];
		bool skip = acl_conflict_in(&m->acls[first], keep, a) >= 0;

		for (unsigned int j = 0; !skip && j < k; j++)
			skip = acl_conflict_in(a, 1, &c->acls[j]) >= 0;
		if (!skip)
			m->acls[w++] = *a;
	}
	return 0;
}

static int acl_delete(struct vsw_model *m, const struct vsw_change *c, char *why, size_t len)
{
	const struct vsw_acl_cfg *a = &c->acl;
	int p = need_port(m, c->port, why, len), found = -1, n = 0;

	if (p < 0)
		return (c->flags & VSW_F_IF_EXISTS) ? 1 : p;
	for (unsigned int i = 0; i < m->n_acls; i++) {
		const struct vsw_acl_cfg *o = &m->acls[i];
		bool hit;

		if (strcmp(o->port, a->port) != 0 || o->extended != a->extended)
			continue;
		if (a->extended)
			hit = o->weight == a->weight &&
			      (!(c->fields & VSW_FLD_DIRECTION) || o->dir == a->dir);
		else
			hit = o->dir == a->dir && addr_equal(&o->local, &a->local) &&
			      addr_equal(&o->remote, &a->remote);
		if (hit) {
			found = (int)i;
			n++;
		}
	}
	if (n > 1)
		return WHY(-EINVAL, "port %s has %d extended ACLs of weight %u (one per "
			   "direction); say which with --direction", c->port, n, a->weight);
	if (found < 0) {
		if (c->flags & VSW_F_IF_EXISTS)
			return 1;
		if (a->extended)
			return WHY(-ENOENT, "port %s has no extended ACL of weight %u%s%s; list "
				   "them with 'vswitchctl port acl %s list'", c->port, a->weight,
				   (c->fields & VSW_FLD_DIRECTION) ? " direction " : "",
				   (c->fields & VSW_FLD_DIRECTION) ? vsw_dir_name(a->dir) : "",
				   c->port);
		return WHY(-ENOENT, "port %s has no %s ACL with those addresses; list them "
			   "with 'vswitchctl port acl %s list'", c->port, vsw_dir_name(a->dir),
			   c->port);
	}
	REMOVE_AT(m->acls, m->n_acls, (unsigned int)found);
	return 0;
}

static int mirror_add(struct vsw_model *m, const struct vsw_change *c, char *why, size_t len)
{
	const struct vsw_mirror_cfg *r = &c->mirror;
	int s = need_switch(m, c->sw, why, len), i;
	unsigned int at;

	if (s < 0)
		return s;
	i = vsw_model_find_mirror(m, c->name);
	if (i >= 0) {
		if (!(c->flags & VSW_F_MAY_EXIST))
			return WHY(-EEXIST, "mirror %s already exists on switch %s; use "
				   "--may-exist to accept that", c->name, m->mirrors[i].sw);
		if (!mirror_equal(&m->mirrors[i], r))
			return WHY(-EEXIST, "mirror %s exists with other settings; delete it "
				   "first to change it", c->name);
		return 1;
	}
	/* Hyper-V: source and destination must be on the same switch. */
	for (unsigned int k = 0; k < 1u + r->n_src + r->n_dst; k++) {
		const char *pn = k == 0 ? r->output
				: k <= r->n_src ? r->select_src[k - 1]
						: r->select_dst[k - 1 - r->n_src];
		int p = need_port(m, pn, why, len);

		if (p < 0)
			return p;
		if (strcmp(m->ports[p].sw, c->sw) != 0)
			return WHY(-EINVAL, "port %s is on switch %s, not %s: a mirror's ports "
				   "must all be on its switch", pn, m->ports[p].sw, c->sw);
	}
	if (m->n_mirrors >= VSW_MAX_MIRRORS)
		return WHY(-ENOSPC, "there are already %d mirrors, the most vswitchd keeps",
			   VSW_MAX_MIRRORS);
	UPPER_BOUND(m->mirrors, m->n_mirrors, name, c->name, at);
	INSERT_AT(m->mirrors, m->n_mirrors, at, *r);
	return 0;
}

static int forwarder(const struct vsw_model *m, const char *sw, const char *except)
{
	for (unsigned int i = 0; i < m->n_exts; i++) {
		const struct vsw_ext_cfg *e = &m->exts[i];

		if (strcmp(e->sw, sw) == 0 && e->type == VSW_EXT_FORWARD && e->enabled &&
		    strcmp(e->name, except) != 0)
			return (int)i;
	}
	return -1;
}

/* The switch's extensions are a run of m->exts in their order; the one
 * at i takes the run's position c->position. Order matters within a
 * type: capture, filter and forward keep Hyper-V's order among them. */
static int ext_move(struct vsw_model *m, const struct vsw_change *c, unsigned int i, char *why,
		    size_t len)
{
	unsigned int first = i, n = 0, to;
	struct vsw_ext_cfg e = m->exts[i];

	while (first > 0 && strcmp(m->exts[first - 1].sw, c->sw) == 0)
		first--;
	while (first + n < m->n_exts && strcmp(m->exts[first + n].sw, c->sw) == 0)
		n++;
	if (c->position > n)
		return WHY(-EINVAL, "switch %s has %u extension%s; give a position of 1-%u", c->sw,
			   n, n == 1 ? "" : "s", n);
	to = first + c->position - 1;
	if (to == i)
		return 1;
	REMOVE_AT(m->exts, m->n_exts, i);
	INSERT_AT(m->exts, m->n_exts, to, e);
	return 0;
}

static int ext_change(struct vsw_model *m, const struct vsw_change *c, char *why, size_t len)
{
	int s = need_switch(m, c->sw, why, len), i, f;
	unsigned int at;
	bool enable;

	if (s < 0)
		return (c->op == VSW_OP_EXT_DELETE && (c->flags & VSW_F_IF_EXISTS)) ? 1 : s;
	i = vsw_model_find_ext(m, c->sw, c->name);
	if (c->op == VSW_OP_EXT_ADD) {
		if (i >= 0) {
			if (!(c->flags & VSW_F_MAY_EXIST))
				return WHY(-EEXIST, "switch %s already has extension %s; use "
					   "--may-exist to accept that", c->sw, c->name);
			if (!ext_equal(&m->exts[i], &c->ext))
				return WHY(-EEXIST, "extension %s exists on switch %s with other "
					   "settings; delete it first to change it", c->name, c->sw);
			return 1;
		}
		if (m->n_exts >= VSW_MAX_EXTENSIONS)
			return WHY(-ENOSPC, "there are already %d extensions, the most vswitchd "
				   "keeps", VSW_MAX_EXTENSIONS);
		enable = c->ext.enabled && c->ext.type == VSW_EXT_FORWARD;
	} else if (i < 0) {
		if (c->op == VSW_OP_EXT_DELETE && (c->flags & VSW_F_IF_EXISTS))
			return 1;
		return WHY(-ENOENT, "switch %s has no extension %s; list them with "
			   "'vswitchctl extension list %s'", c->sw, c->name, c->sw);
	} else if (c->op == VSW_OP_EXT_MOVE) {
		return ext_move(m, c, (unsigned int)i, why, len);
	} else {
		enable = c->op == VSW_OP_EXT_ENABLE && m->exts[i].type == VSW_EXT_FORWARD;
	}
	/* Hyper-V: only one forwarding extension per switch instance. */
	f = enable ? forwarder(m, c->sw, c->name) : -1;
	if (f >= 0)
		return WHY(-EBUSY, "switch %s already has forwarding extension %s enabled, and "
			   "a switch runs one; disable it first", c->sw, m->exts[f].name);
	switch (c->op) {
	case VSW_OP_EXT_ADD:
		UPPER_BOUND(m->exts, m->n_exts, sw, c->sw, at);
		INSERT_AT(m->exts, m->n_exts, at, c->ext);
		return 0;
	case VSW_OP_EXT_DELETE:
		REMOVE_AT(m->exts, m->n_exts, (unsigned int)i);
		return 0;
	default:
		m->exts[i].enabled = c->op == VSW_OP_EXT_ENABLE;
		return 0;
	}
}

int vsw_model_apply(struct vsw_model *m, const struct vsw_change *c, char *why, size_t len)
{
	int rc = vsw_change_check(c, why, len), i;
	const char *user;

	if (rc < 0)
		return rc;
	if (vsw_op_kind(c->op) != VSW_OPK_CHANGE)
		return WHY(-EINVAL, "%s is not a change", vsw_op_name(c->op));
	switch (c->op) {
	case VSW_OP_SWITCH_CREATE:
		return switch_create(m, c, why, len);
	case VSW_OP_SWITCH_DELETE:
		i = vsw_model_find_switch(m, c->sw);
		if (i < 0)
			return (c->flags & VSW_F_IF_EXISTS) ? 1 : need_switch(m, c->sw, why, len);
		remove_switch(m, (unsigned int)i);
		return 0;
	case VSW_OP_SWITCH_SET:
		i = need_switch(m, c->sw, why, len);
		if (i < 0)
			return i;
		if (c->fields & VSW_FLD_FDB_SIZE)
			m->switches[i].fdb_size = c->sw_cfg.fdb_size;
		if (c->fields & VSW_FLD_AGING)
			m->switches[i].aging_s = c->sw_cfg.aging_s;
		if (c->fields & VSW_FLD_LCORE)
			m->switches[i].lcore = c->sw_cfg.lcore;
		return 0;
	case VSW_OP_PORT_ADD:
		return port_add(m, c, why, len);
	case VSW_OP_PORT_DELETE:
		i = vsw_model_find_port(m, c->port);
		if (i < 0)
			return (c->flags & VSW_F_IF_EXISTS) ? 1 : need_port(m, c->port, why, len);
		user = mirror_user(m, c->port);
		if (user != NULL)
			return WHY(-EBUSY, "port %s is used by mirror %s; delete the mirror first",
				   c->port, user);
		remove_port(m, (unsigned int)i);
		return 0;
	case VSW_OP_PORT_SET:
	case VSW_OP_PORT_VLAN:
	case VSW_OP_PORT_SECURITY:
	case VSW_OP_PORT_QOS:
		return port_update(m, c, why, len);
	case VSW_OP_ACL_ADD:
		return acl_add(m, c, why, len);
	case VSW_OP_ACL_DELETE:
		return acl_delete(m, c, why, len);
	case VSW_OP_ACL_LOAD:
		return acl_load(m, c, why, len);
	case VSW_OP_MIRROR_ADD:
		return mirror_add(m, c, why, len);
	case VSW_OP_MIRROR_DELETE:
		i = vsw_model_find_mirror(m, c->name);
		if (i < 0) {
			if (c->flags & VSW_F_IF_EXISTS)
				return 1;
			return WHY(-ENOENT, "mirror %s does not exist; list mirrors with "
				   "'vswitchctl mirror list'", c->name);
		}
		REMOVE_AT(m->mirrors, m->n_mirrors, (unsigned int)i);
		return 0;
	default:
		return ext_change(m, c, why, len);
	}
}

/* ---- whole-model check (after loading) ---- */

static bool acls_sorted(const struct vsw_model *m)
{
	for (unsigned int k = 1; k < m->n_acls; k++)
		if (strcmp(m->acls[k - 1].port, m->acls[k].port) > 0)
			return false;
	return true;
}

static bool exts_sorted(const struct vsw_model *m)
{
	for (unsigned int k = 1; k < m->n_exts; k++)
		if (strcmp(m->exts[k - 1].sw, m->exts[k].sw) > 0)
			return false;
	return true;
}

int vsw_model_check(const struct vsw_model *m, char *why, size_t len)
{
	if (m->n_switches > VSW_MAX_SWITCHES || m->n_ports > VSW_MAX_PORTS ||
	    m->n_acls > VSW_MAX_ACLS || m->n_mirrors > VSW_MAX_MIRRORS ||
	    m->n_exts > VSW_MAX_EXTENSIONS)
		return WHY(-EINVAL, "the configuration holds more objects than vswitchd keeps");
	for (unsigned int i = 0; i < m->n_switches; i++) {
		if (vsw_cfg_check_switch(&m->switches[i], why, len) < 0)
			return -EINVAL;
		if (i > 0 && strcmp(m->switches[i - 1].name, m->switches[i].name) >= 0)
			return WHY(-EINVAL, "switch %s is listed twice or out of order",
				   m->switches[i].name);
	}
	for (unsigned int i = 0; i < m->n_ports; i++) {
		const struct vsw_port_cfg *p = &m->ports[i];
		int s, u;

		if (vsw_cfg_check_port(p, why, len) < 0)
			return -EINVAL;
		if (i > 0 && strcmp(m->ports[i - 1].name, p->name) >= 0)
			return WHY(-EINVAL, "port %s is listed twice or out of order", p->name);
		s = vsw_model_find_switch(m, p->sw);
		if (s < 0)
			return WHY(-EINVAL, "port %s is on switch %s, which does not exist",
				   p->name, p->sw);
		if (!kind_fits(m->switches[s].type, p->kind))
			return WHY(-EINVAL, "port %s is a %s port on %s switch %s", p->name,
				   vsw_port_kind_name(p->kind),
				   vsw_switch_type_name(m->switches[s].type), p->sw);
		u = devargs_user(m, p);
		if (u >= 0)
			return WHY(-EINVAL, "ports %s and %s share devargs %s", p->name,
				   m->ports[u].name, p->devargs);
	}
	if (!acls_sorted(m))
		return WHY(-EINVAL, "ACLs are out of order");
	for (unsigned int i = 0; i < m->n_acls; i++) {
		const struct vsw_acl_cfg *a = &m->acls[i];
		unsigned int first;
		int o;

		if (vsw_cfg_check_acl(a, why, len) < 0)
			return -EINVAL;
		if (vsw_model_find_port(m, a->port) < 0)
			return WHY(-EINVAL, "an ACL is on port %s, which does not exist", a->port);
		if (vsw_model_port_acls(m, a->port, &first) > VSW_MAX_ACLS_PER_PORT)
			return WHY(-EINVAL, "port %s has more than %d ACLs", a->port,
				   VSW_MAX_ACLS_PER_PORT);
		o = acl_conflict(m, a);
		if (o >= 0 && (unsigned int)o != i)
			return WHY(-EINVAL, "port %s has two ACLs for the same match", a->port);
	}
	for (unsigned int i = 0; i < m->n_mirrors; i++) {
		const struct vsw_mirror_cfg *r = &m->mirrors[i];

		if (vsw_cfg_check_mirror(r, why, len) < 0)
			return -EINVAL;
		if (i > 0 && strcmp(m->mirrors[i - 1].name, r->name) >= 0)
			return WHY(-EINVAL, "mirror %s is listed twice or out of order", r->name);
		if (vsw_model_find_switch(m, r->sw) < 0)
			return WHY(-EINVAL, "mirror %s is on switch %s, which does not exist",
				   r->name, r->sw);
		for (unsigned int k = 0; k < 1u + r->n_src + r->n_dst; k++) {
			const char *pn = k == 0 ? r->output
					: k <= r->n_src ? r->select_src[k - 1]
							: r->select_dst[k - 1 - r->n_src];
			int p = vsw_model_find_port(m, pn);

			if (p < 0 || strcmp(m->ports[p].sw, r->sw) != 0)
				return WHY(-EINVAL, "mirror %s uses port %s, which is not on switch "
					   "%s", r->name, pn, r->sw);
		}
	}
	if (!exts_sorted(m))
		return WHY(-EINVAL, "extensions are out of order");
	for (unsigned int i = 0; i < m->n_exts; i++) {
		const struct vsw_ext_cfg *e = &m->exts[i];

		if (vsw_cfg_check_ext(e, why, len) < 0)
			return -EINVAL;
		if (vsw_model_find_switch(m, e->sw) < 0)
			return WHY(-EINVAL, "extension %s is on switch %s, which does not exist",
				   e->name, e->sw);
		if (vsw_model_find_ext(m, e->sw, e->name) != (int)i)
			return WHY(-EINVAL, "switch %s has extension %s twice", e->sw, e->name);
		if (e->type == VSW_EXT_FORWARD && e->enabled && forwarder(m, e->sw, e->name) >= 0)
			return WHY(-EINVAL, "switch %s has two forwarding extensions enabled", e->sw);
	}
	return 0;
}

/* ---- replay ---- */

static int replay_one(struct vsw_model *scratch, const struct vsw_change *c, vsw_apply_fn fn,
		      void *ctx, char *why, size_t len)
{
	int rc = vsw_model_apply(scratch, c, why, len);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	return fn(ctx, c, scratch, why, len);
}

int vsw_model_replay(const struct vsw_model *m, vsw_apply_fn fn, void *ctx, char *why,
		     size_t len)
{
	struct vsw_model *scratch = vsw_model_new();
	struct vsw_change *c = malloc(sizeof(*c));
	int rc = 0;

	if (scratch == NULL || c == NULL) {
		rc = WHY(-ENOMEM, "out of memory replaying the configuration");
		goto out;
	}
	for (unsigned int i = 0; rc == 0 && i < m->n_switches; i++) {
		vsw_change_init(c, VSW_OP_SWITCH_CREATE);
		memcpy(c->sw, m->switches[i].name, VSW_NAME_MAX);
		c->sw_cfg = m->switches[i];
		rc = replay_one(scratch, c, fn, ctx, why, len);
	}
	for (unsigned int i = 0; rc == 0 && i < m->n_ports; i++) {
		vsw_change_init(c, VSW_OP_PORT_ADD);
		memcpy(c->sw, m->ports[i].sw, VSW_NAME_MAX);
		memcpy(c->port, m->ports[i].name, VSW_NAME_MAX);
		c->port_cfg = m->ports[i];
		rc = replay_one(scratch, c, fn, ctx, why, len);
	}
	for (unsigned int i = 0; rc == 0 && i < m->n_acls; i++) {
		vsw_change_init(c, VSW_OP_ACL_ADD);
		memcpy(c->port, m->acls[i].port, VSW_NAME_MAX);
		c->acl = m->acls[i];
		rc = replay_one(scratch, c, fn, ctx, why, len);
	}
	for (unsigned int i = 0; rc == 0 && i < m->n_mirrors; i++) {
		vsw_change_init(c, VSW_OP_MIRROR_ADD);
		memcpy(c->sw, m->mirrors[i].sw, VSW_NAME_MAX);
		memcpy(c->name, m->mirrors[i].name, VSW_NAME_MAX);
		c->mirror = m->mirrors[i];
		rc = replay_one(scratch, c, fn, ctx, why, len);
	}
	for (unsigned int i = 0; rc == 0 && i < m->n_exts; i++) {
		vsw_change_init(c, VSW_OP_EXT_ADD);
		memcpy(c->sw, m->exts[i].sw, VSW_NAME_MAX);
		memcpy(c->name, m->exts[i].name, VSW_NAME_MAX);
		c->ext = m->exts[i];
		rc = replay_one(scratch, c, fn, ctx, why, len);
	}
out:
	free(c);
	vsw_model_free(scratch);
	return rc;
}
