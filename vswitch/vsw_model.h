/* The whole configuration in memory (switches, ports, ACLs, mirrors,
 * extensions) and the typed changes and queries vswitchctl sends.
 *
 * vsw_model_apply() is the one place that decides whether a change fits
 * the configuration (names exist, kinds fit the switch, no duplicates
 * unless --may-exist) and makes it. It is pure: vswitchd applies a change
 * to a copy, commits that to the store (vsw_store), then hands it to the
 * datapath, and keeps the copy only if all of that worked.
 *
 * The arrays are kept in a canonical order (switches, ports and mirrors
 * by name; ACLs grouped by port in port order, then in the order added;
 * extensions grouped by switch, then in the order added), so a model
 * loaded from the store equals the one that was saved, byte for byte in
 * every record. Plain data, no DPDK. */
#ifndef VSW_MODEL_H
#define VSW_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vswitch/vsw_config.h"

struct vsw_model {
	unsigned int n_switches;
	unsigned int n_ports;
	unsigned int n_acls;
	unsigned int n_mirrors;
	unsigned int n_exts;
	struct vsw_switch_cfg switches[VSW_MAX_SWITCHES];
	struct vsw_port_cfg ports[VSW_MAX_PORTS];
	struct vsw_acl_cfg acls[VSW_MAX_ACLS];
	struct vsw_mirror_cfg mirrors[VSW_MAX_MIRRORS];
	struct vsw_ext_cfg exts[VSW_MAX_EXTENSIONS];
};

enum vsw_op_kind {
	VSW_OPK_CHANGE,              /* stored, then applied to the datapath */
	VSW_OPK_QUERY,               /* answered from the model (stats: the datapath) */
	VSW_OPK_ACTION,              /* done by the datapath now, never stored */
};

#define VSW_F_MAY_EXIST 1u       /* an add of what exists is no error */
#define VSW_F_IF_EXISTS 2u       /* a delete of what does not exist is no error */
#define VSW_F_REPLACE 4u         /* acl-load: the port's ACLs become exactly these */

/* The operations: enum suffix, protocol name, kind, flags it accepts. */
#define VSW_OPS(X) \
	X(SWITCH_CREATE, "switch-create", VSW_OPK_CHANGE, VSW_F_MAY_EXIST) \
	X(SWITCH_DELETE, "switch-delete", VSW_OPK_CHANGE, VSW_F_IF_EXISTS) \
	X(SWITCH_SET, "switch-set", VSW_OPK_CHANGE, 0) \
	X(PORT_ADD, "port-add", VSW_OPK_CHANGE, VSW_F_MAY_EXIST) \
	X(PORT_DELETE, "port-delete", VSW_OPK_CHANGE, VSW_F_IF_EXISTS) \
	X(PORT_SET, "port-set", VSW_OPK_CHANGE, 0) \
	X(PORT_VLAN, "port-vlan", VSW_OPK_CHANGE, 0) \
	X(PORT_SECURITY, "port-security", VSW_OPK_CHANGE, 0) \
	X(PORT_QOS, "port-qos", VSW_OPK_CHANGE, 0) \
	X(ACL_ADD, "acl-add", VSW_OPK_CHANGE, VSW_F_MAY_EXIST) \
	X(ACL_DELETE, "acl-delete", VSW_OPK_CHANGE, VSW_F_IF_EXISTS) \
	X(ACL_LOAD, "acl-load", VSW_OPK_CHANGE, VSW_F_MAY_EXIST | VSW_F_REPLACE) \
	X(MIRROR_ADD, "mirror-add", VSW_OPK_CHANGE, VSW_F_MAY_EXIST) \
	X(MIRROR_DELETE, "mirror-delete", VSW_OPK_CHANGE, VSW_F_IF_EXISTS) \
	X(EXT_ADD, "extension-add", VSW_OPK_CHANGE, VSW_F_MAY_EXIST) \
	X(EXT_DELETE, "extension-delete", VSW_OPK_CHANGE, VSW_F_IF_EXISTS) \
	X(EXT_ENABLE, "extension-enable", VSW_OPK_CHANGE, 0) \
	X(EXT_DISABLE, "extension-disable", VSW_OPK_CHANGE, 0) \
	X(EXT_MOVE, "extension-move", VSW_OPK_CHANGE, 0) \
	X(SHOW, "show", VSW_OPK_QUERY, 0) \
	X(SWITCH_LIST, "switch-list", VSW_OPK_QUERY, 0) \
	X(PORT_LIST, "port-list", VSW_OPK_QUERY, 0) \
	X(ACL_LIST, "acl-list", VSW_OPK_QUERY, 0) \
	X(MIRROR_LIST, "mirror-list", VSW_OPK_QUERY, 0) \
	X(EXT_LIST, "extension-list", VSW_OPK_QUERY, 0) \
	X(STATS, "stats", VSW_OPK_QUERY, 0) \
	X(CAPTURE_START, "capture-start", VSW_OPK_ACTION, 0) \
	X(CAPTURE_STOP, "capture-stop", VSW_OPK_ACTION, 0)

enum vsw_op {
	VSW_OP_NONE,
#define VSW_OP_ENUM_(e, name, kind, flags) VSW_OP_##e,
	VSW_OPS(VSW_OP_ENUM_)
#undef VSW_OP_ENUM_
	VSW_OP_COUNT
};

/* What a partial update (switch set, port set, port security, port qos)
 * sets; the other fields keep their values. */
enum vsw_field {
	VSW_FLD_FDB_SIZE = 1u << 0,
	VSW_FLD_AGING = 1u << 1,
	VSW_FLD_DEVARGS = 1u << 2,
	VSW_FLD_MAC = 1u << 3,
	VSW_FLD_MAC_SPOOF = 1u << 4,
	VSW_FLD_DHCP_GUARD = 1u << 5,
	VSW_FLD_ROUTER_GUARD = 1u << 6,
	VSW_FLD_STORM = 1u << 7,
	VSW_FLD_MAC_LIMIT = 1u << 8,
	VSW_FLD_MAX_BPS = 1u << 9,
	VSW_FLD_MIN_WEIGHT = 1u << 10,
	VSW_FLD_DIRECTION = 1u << 11, /* acl-delete by weight: direction given */
	VSW_FLD_LCORE = 1u << 12,
};

#define VSW_FLD_SWITCH_SET (VSW_FLD_FDB_SIZE | VSW_FLD_AGING | VSW_FLD_LCORE)
#define VSW_FLD_PORT_SET (VSW_FLD_DEVARGS | VSW_FLD_MAC)
#define VSW_FLD_SECURITY (VSW_FLD_MAC | VSW_FLD_MAC_SPOOF | VSW_FLD_DHCP_GUARD | \
			  VSW_FLD_ROUTER_GUARD | VSW_FLD_STORM | VSW_FLD_MAC_LIMIT)
#define VSW_FLD_QOS (VSW_FLD_MAX_BPS | VSW_FLD_MIN_WEIGHT)

/* A capture the datapath runs into a file vswitchctl opened. */
struct vsw_capture_cfg {
	enum vsw_dir dir;
	uint64_t count;              /* frames; 0 = until stopped */
	uint32_t snaplen;            /* bytes kept per frame; 0 = 65535 */
};

/* One request: a change, a query or an action. Which members count
 * depends on op:
 *   SWITCH_CREATE  sw, sw_cfg (whole)       SWITCH_SET  sw, sw_cfg (fields)
 *   PORT_ADD       sw, port, port_cfg (whole: kind, devargs, policy)
 *   PORT_SET/VLAN/SECURITY/QOS  port, port_cfg (VLAN whole; others fields)
 *   ACL_ADD        port, acl                ACL_DELETE  port, acl (the match)
 *   ACL_LOAD       port, acls[n_acls] (one transaction: all of them or none)
 *   MIRROR_ADD     sw, name, mirror         EXT_*       sw, name, ext
 *   EXT_MOVE       sw, name, position (1 = first of the switch's extensions)
 *   *_DELETE       the names               queries     optional sw / port
 *   CAPTURE_START  port, capture            CAPTURE_STOP  port
 * Names are repeated inside the records (sw_cfg.name == sw, ...). */
struct vsw_change {
	enum vsw_op op;
	unsigned int flags;          /* VSW_F_* */
	uint32_t fields;             /* VSW_FLD_* */
	char sw[VSW_NAME_MAX];
	char port[VSW_NAME_MAX];
	char name[VSW_NAME_MAX];     /* a mirror's or an extension's */
	struct vsw_switch_cfg sw_cfg;
	struct vsw_port_cfg port_cfg;
	struct vsw_acl_cfg acl;
	struct vsw_acl_cfg *acls;    /* ACL_LOAD; owned by whoever made the change */
	unsigned int n_acls;
	struct vsw_mirror_cfg mirror;
	struct vsw_ext_cfg ext;
	unsigned int position;
	struct vsw_capture_cfg capture;
};

/* The datapath's side of a change: 0, or -errno with 'why' when it cannot
 * apply it (then nothing may have changed in the datapath). 'm' is the
 * configuration with the change made. A SWITCH_DELETE takes the switch's
 * ports, ACLs, mirrors and extensions with it. */
typedef int (*vsw_apply_fn)(void *ctx, const struct vsw_change *c, const struct vsw_model *m,
			    char *why, size_t len);

struct vsw_model *vsw_model_new(void);
void vsw_model_free(struct vsw_model *m);
void vsw_model_copy(struct vsw_model *dst, const struct vsw_model *src);
/* Same records in the same order. */
bool vsw_model_equal(const struct vsw_model *a, const struct vsw_model *b);

/* A change with every record at its defaults (an untagged port, ACL
 * ports "any", protocol any). */
void vsw_change_init(struct vsw_change *c, enum vsw_op op);
/* Frees what a decoded change owns (acl-load's list); init again to reuse. */
void vsw_change_fini(struct vsw_change *c);
/* The change alone: op, flags, names and records valid. 0 or -EINVAL. */
int vsw_change_check(const struct vsw_change *c, char *why, size_t len);

/* Makes the change. 0 done, 1 nothing to do (--may-exist, --if-exists),
 * or -errno with 'why': -ENOENT a name does not exist, -EEXIST it does,
 * -EBUSY something else uses it, -ENOSPC a limit, -EINVAL bad request.
 * On an error 'm' is unchanged. Queries and actions are refused. */
int vsw_model_apply(struct vsw_model *m, const struct vsw_change *c, char *why, size_t len);
/* Every record valid, names unique, references resolve, order canonical:
 * what a model loaded from a file the operator may have edited must be. */
int vsw_model_check(const struct vsw_model *m, char *why, size_t len);
/* Builds 'm' from nothing through fn, one change at a time (switches,
 * ports with their whole policy, ACLs, mirrors, extensions), passing the
 * model as it stands after each change: how vswitchd brings the datapath
 * to a loaded configuration with the code that handles changes. Stops at
 * the first failure and returns it. */
int vsw_model_replay(const struct vsw_model *m, vsw_apply_fn fn, void *ctx, char *why,
		     size_t len);

int vsw_model_find_switch(const struct vsw_model *m, const char *name);
int vsw_model_find_port(const struct vsw_model *m, const char *name);
int vsw_model_find_mirror(const struct vsw_model *m, const char *name);
int vsw_model_find_ext(const struct vsw_model *m, const char *sw, const char *name);
unsigned int vsw_model_port_acls(const struct vsw_model *m, const char *port,
				 unsigned int *first);
bool vsw_acl_equal(const struct vsw_acl_cfg *a, const struct vsw_acl_cfg *b);

const char *vsw_op_name(enum vsw_op op);
int vsw_op_parse(const char *s, enum vsw_op *op);
enum vsw_op_kind vsw_op_kind(enum vsw_op op);
unsigned int vsw_op_flags(enum vsw_op op);

#endif /* VSW_MODEL_H */
