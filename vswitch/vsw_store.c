/* The configuration store on SQLite (vsw_store.h): open and migrate,
 * load and check, and the row-level sync that commits (or undoes) one
 * change in one transaction. */
#include "vswitch/vsw_store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long a change waits for another process (sqlite3 editing the file)
 * to let go of it before it is refused. */
#define BUSY_TIMEOUT_MS 2000

struct vsw_store {
	sqlite3 *db;
	int lock_fd;                 /* holds the flock: one vswitchd per file */
	char path[PATH_MAX];
};

/* Migration N (1-based) takes a file from schema N-1 to N. Never edit a
 * released one: add the next. */
static const char *const migrations[] = {
	/* 1: the first layout. */
	"CREATE TABLE schema_version (\n"
	"  version INTEGER PRIMARY KEY,\n"
	"  applied TEXT NOT NULL DEFAULT (datetime('now'))\n"
	");\n"
	"CREATE TABLE switch (\n"
	"  name TEXT PRIMARY KEY NOT NULL,\n"
	"  type TEXT NOT NULL,                    -- external | internal | private\n"
	"  fdb_size INTEGER NOT NULL DEFAULT 0,   -- learned MACs; 0 = default\n"
	"  aging_s INTEGER NOT NULL DEFAULT 0     -- 0 = 300\n"
	");\n"
	"CREATE TABLE port (\n"
	"  name TEXT PRIMARY KEY NOT NULL,\n"
	"  switch TEXT NOT NULL REFERENCES switch(name) ON DELETE CASCADE,\n"
	"  kind TEXT NOT NULL,                    -- vnic | uplink | internal\n"
	"  devargs TEXT NOT NULL DEFAULT '',      -- uplink: DPDK devargs; vnic: partition\n"
	"  vlan_mode TEXT NOT NULL DEFAULT 'untagged', -- untagged | access | trunk\n"
	"  access_vlan INTEGER NOT NULL DEFAULT 0,\n"
	"  native_vlan INTEGER NOT NULL DEFAULT 0,\n"
	"  trunk_vlans TEXT NOT NULL DEFAULT '',  -- like 1-100,200\n"
	"  mac TEXT NOT NULL DEFAULT '',          -- '' = the vNIC's own\n"
	"  mac_spoof_guard INTEGER NOT NULL DEFAULT 0,\n"
	"  dhcp_guard INTEGER NOT NULL DEFAULT 0,\n"
	"  router_guard INTEGER NOT NULL DEFAULT 0,\n"
	"  storm_limit_pps INTEGER NOT NULL DEFAULT 0,\n"
	"  mac_limit INTEGER NOT NULL DEFAULT 0,\n"
	"  max_bps INTEGER NOT NULL DEFAULT 0,\n"
	"  min_weight INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX port_by_switch ON port(switch);\n"
	"CREATE TABLE acl (\n"
	"  port TEXT NOT NULL REFERENCES port(name) ON DELETE CASCADE,\n"
	"  seq INTEGER NOT NULL,                  -- order added, per port\n"
	"  extended INTEGER NOT NULL DEFAULT 0,\n"
	"  action TEXT NOT NULL,                  -- allow | deny | meter\n"
	"  direction TEXT NOT NULL,               -- inbound | outbound | both\n"
	"  local TEXT NOT NULL DEFAULT 'any',     -- MAC, IP prefix or any\n"
	"  remote TEXT NOT NULL DEFAULT 'any',\n"
	"  protocol TEXT NOT NULL DEFAULT 'any',\n"
	"  local_ports TEXT NOT NULL DEFAULT 'any',\n"
	"  remote_ports TEXT NOT NULL DEFAULT 'any',\n"
	"  weight INTEGER NOT NULL DEFAULT 0,\n"
	"  stateful INTEGER NOT NULL DEFAULT 0,\n"
	"  idle_timeout_s INTEGER NOT NULL DEFAULT 0,\n"
	"  PRIMARY KEY (port, seq)\n"
	");\n"
	"CREATE TABLE mirror (\n"
	"  name TEXT PRIMARY KEY NOT NULL,\n"
	"  switch TEXT NOT NULL REFERENCES switch(name) ON DELETE CASCADE,\n"
	"  output TEXT NOT NULL,\n"
	"  select_all INTEGER NOT NULL DEFAULT 0,\n"
	"  select_src TEXT NOT NULL DEFAULT '',   -- port names, comma separated\n"
	"  select_dst TEXT NOT NULL DEFAULT '',\n"
	"  select_vlans TEXT NOT NULL DEFAULT ''  -- '' = no VLAN selection\n"
	");\n"
	"CREATE TABLE extension (\n"
	"  switch TEXT NOT NULL REFERENCES switch(name) ON DELETE CASCADE,\n"
	"  name TEXT NOT NULL,\n"
	"  seq INTEGER NOT NULL,                  -- order in the switch's stack\n"
	"  type TEXT NOT NULL,                    -- capture | filter | forward\n"
	"  module TEXT NOT NULL,\n"
	"  args TEXT NOT NULL DEFAULT '',\n"
	"  enabled INTEGER NOT NULL DEFAULT 1,\n"
	"  PRIMARY KEY (switch, name)\n"
	");\n",
	/* 2: the worker lcore of each switch. */
	"ALTER TABLE switch ADD COLUMN lcore INTEGER NOT NULL DEFAULT -1;  -- -1 = auto\n",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == VSW_STORE_SCHEMA_VERSION,
	       "one migration per schema version");

/* ---- errors ---- */

static const char *advice(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return "the disk is full: free space and retry";
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_CANTOPEN:
	case SQLITE_AUTH:
		return "check the file's and its directory's permissions and that the "
		       "filesystem is writable";
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return "another process holds the database (an sqlite3 session?): end it "
		       "and retry";
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return "the file is damaged: restore a backup, or move it aside and "
		       "vswitchd starts with an empty configuration";
	case SQLITE_IOERR:
		return "the disk reported an I/O error: check it (dmesg) and retry";
	case SQLITE_NOMEM:
		return "out of memory";
	default:
		return "see the SQLite message";
	}
}

static int errno_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_CANTOPEN:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_NOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static int db_fail(struct vsw_store *s, int rc, const char *doing, char *why, size_t len)
{
	snprintf(why, len, "%s: %s: %s; %s", s->path, doing,
		 s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc), advice(rc));
	return errno_of(rc);
}

/* ---- statements ---- */

/* Runs one statement with parameters bound from 'types': 's' a string,
 * 'i' an int64_t. Returns an SQLite code (SQLITE_OK when done). */
static int run(struct vsw_store *s, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc, i = 1;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	va_start(ap, types);
	for (const char *t = types; rc == SQLITE_OK && *t != '\0'; t++, i++) {
		if (*t == 's')
			rc = sqlite3_bind_text(st, i, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
		else
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
	}
	va_end(ap);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = SQLITE_OK;
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(st);
	return rc;
}

/* A one-value query: the first column of the first row as an integer. */
static int query_int(struct vsw_store *s, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		*out = 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* ---- rows from records ---- */

static int put_switch(struct vsw_store *s, const struct vsw_switch_cfg *w)
{
	return run(s, "INSERT INTO switch(name, type, fdb_size, aging_s, lcore) "
		      "VALUES(?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET type = excluded.type, "
		      "fdb_size = excluded.fdb_size, aging_s = excluded.aging_s, "
		      "lcore = excluded.lcore",
		   "ssiii", w->name, vsw_switch_type_name(w->type), (int64_t)w->fdb_size,
		   (int64_t)w->aging_s, (int64_t)w->lcore);
}

static int put_port(struct vsw_store *s, const struct vsw_port_cfg *p)
{
	static const uint8_t zero[6];
	char vl[VSW_VLAN_LIST_MAX], mac[VSW_MAC_STR] = "";

	vsw_vlan_format_list(p->vlan.allowed, vl, sizeof(vl));
	if (memcmp(p->sec.mac, zero, 6) != 0)
		vsw_mac_format(p->sec.mac, mac);
	return run(s, "INSERT INTO port(name, switch, kind, devargs, vlan_mode, access_vlan, "
		      "native_vlan, trunk_vlans, mac, mac_spoof_guard, dhcp_guard, router_guard, "
		      "storm_limit_pps, mac_limit, max_bps, min_weight) "
		      "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET "
		      "switch = excluded.switch, kind = excluded.kind, devargs = excluded.devargs, "
		      "vlan_mode = excluded.vlan_mode, access_vlan = excluded.access_vlan, "
		      "native_vlan = excluded.native_vlan, trunk_vlans = excluded.trunk_vlans, "
		      "mac = excluded.mac, mac_spoof_guard = excluded.mac_spoof_guard, "
		      "dhcp_guard = excluded.dhcp_guard, router_guard = excluded.router_guard, "
		      "storm_limit_pps = excluded.storm_limit_pps, "
		      "mac_limit = excluded.mac_limit, max_bps = excluded.max_bps, "
		      "min_weight = excluded.min_weight",
		   "sssssiissiiiiiii", p->name, p->sw, vsw_port_kind_name(p->kind), p->devargs,
		   vsw_vlan_mode_name(p->vlan.mode), (int64_t)p->vlan.access_vlan,
		   (int64_t)p->vlan.native_vlan, vl, mac, (int64_t)p->sec.mac_spoof_guard,
		   (int64_t)p->sec.dhcp_guard, (int64_t)p->sec.router_guard,
		   (int64_t)p->sec.storm_limit_pps, (int64_t)p->sec.mac_limit,
		   (int64_t)p->qos.max_bps, (int64_t)p->qos.min_weight);
}

static int put_acl(struct vsw_store *s, const struct vsw_acl_cfg *a, int64_t seq)
{
	char l[VSW_ADDR_STR], r[VSW_ADDR_STR], proto[8], lp[12], rp[12];

	vsw_acl_addr_format(&a->local, l);
	vsw_acl_addr_format(&a->remote, r);
	vsw_acl_proto_format(a->protocol, proto);
	vsw_port_range_format(a->local_port_lo, a->local_port_hi, lp);
	vsw_port_range_format(a->remote_port_lo, a->remote_port_hi, rp);
	return run(s, "INSERT INTO acl(port, seq, extended, action, direction, local, remote, "
		      "protocol, local_ports, remote_ports, weight, stateful, idle_timeout_s) "
		      "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
		   "siisssssssiii", a->port, seq, (int64_t)a->extended,
		   vsw_acl_action_name(a->action), vsw_dir_name(a->dir), l, r, proto, lp, rp,
		   (int64_t)a->weight, (int64_t)a->stateful, (int64_t)a->idle_timeout_s);
}

static void join_names(const char (*names)[VSW_NAME_MAX], unsigned int n, char *out,
		       size_t size)
{
	size_t at = 0;

	out[0] = '\0';
	for (unsigned int i = 0; i < n && at < size; i++)
		at += (size_t)snprintf(out + at, size - at, "%s%s", i ? "," : "", names[i]);
}

static int put_mirror(struct vsw_store *s, const struct vsw_mirror_cfg *r)
{
	char src[VSW_MIRROR_SELECT_MAX * VSW_NAME_MAX], dst[sizeof(src)];
	char vl[VSW_VLAN_LIST_MAX];

	join_names(r->select_src, r->n_src, src, sizeof(src));
	join_names(r->select_dst, r->n_dst, dst, sizeof(dst));
	vsw_vlan_format_list(r->select_vlans, vl, sizeof(vl));
	return run(s, "INSERT INTO mirror(name, switch, output, select_all, select_src, "
		      "select_dst, select_vlans) VALUES(?,?,?,?,?,?,?)",
		   "sssisss", r->name, r->sw, r->output, (int64_t)r->select_all, src, dst, vl);
}

static int put_ext(struct vsw_store *s, const struct vsw_ext_cfg *e, int64_t seq)
{
	return run(s, "INSERT INTO extension(switch, name, seq, type, module, args, enabled) "
		      "VALUES(?,?,?,?,?,?,?)",
		   "ssisssi", e->sw, e->name, seq, vsw_ext_type_name(e->type), e->module, e->args,
		   (int64_t)e->enabled);
}

/* ---- syncing one scope with a model ---- */

static int sync_port_acls(struct vsw_store *s, const struct vsw_model *m, const char *port)
{
	int rc = run(s, "DELETE FROM acl WHERE port = ?", "s", port);
	int64_t seq = 0;

	for (unsigned int i = 0; rc == SQLITE_OK && i < m->n_acls; i++)
		if (strcmp(m->acls[i].port, port) == 0)
			rc = put_acl(s, &m->acls[i], seq++);
	return rc;
}

static int sync_switch_exts(struct vsw_store *s, const struct vsw_model *m, const char *sw)
{
	int rc = run(s, "DELETE FROM extension WHERE switch = ?", "s", sw);
	int64_t seq = 0;

	for (unsigned int i = 0; rc == SQLITE_OK && i < m->n_exts; i++)
		if (strcmp(m->exts[i].sw, sw) == 0)
			rc = put_ext(s, &m->exts[i], seq++);
	return rc;
}

/* A port with its ACLs, or its absence. */
static int sync_port_tree(struct vsw_store *s, const struct vsw_model *m, const char *port)
{
	int i = vsw_model_find_port(m, port);
	int rc = run(s, "DELETE FROM acl WHERE port = ?", "s", port);

	if (rc == SQLITE_OK)
		rc = run(s, "DELETE FROM port WHERE name = ?", "s", port);
	if (rc == SQLITE_OK && i >= 0)
		rc = put_port(s, &m->ports[i]);
	if (rc == SQLITE_OK && i >= 0)
		rc = sync_port_acls(s, m, port);
	return rc;
}

/* A switch with everything on it, or its absence. */
static int sync_switch_tree(struct vsw_store *s, const struct vsw_model *m, const char *sw)
{
	int i = vsw_model_find_switch(m, sw);
	int rc;

	rc = run(s, "DELETE FROM acl WHERE port IN (SELECT name FROM port WHERE switch = ?)",
		 "s", sw);
	if (rc == SQLITE_OK)
		rc = run(s, "DELETE FROM port WHERE switch = ?", "s", sw);
	if (rc == SQLITE_OK)
		rc = run(s, "DELETE FROM mirror WHERE switch = ?", "s", sw);
	if (rc == SQLITE_OK)
		rc = run(s, "DELETE FROM extension WHERE switch = ?", "s", sw);
	if (rc == SQLITE_OK)
		rc = run(s, "DELETE FROM switch WHERE name = ?", "s", sw);
	if (rc != SQLITE_OK || i < 0)
		return rc;
	rc = put_switch(s, &m->switches[i]);
	for (unsigned int k = 0; rc == SQLITE_OK && k < m->n_ports; k++)
		if (strcmp(m->ports[k].sw, sw) == 0)
			rc = sync_port_tree(s, m, m->ports[k].name);
	for (unsigned int k = 0; rc == SQLITE_OK && k < m->n_mirrors; k++)
		if (strcmp(m->mirrors[k].sw, sw) == 0)
			rc = put_mirror(s, &m->mirrors[k]);
	if (rc == SQLITE_OK)
		rc = sync_switch_exts(s, m, sw);
	return rc;
}

static int sync_scope(struct vsw_store *s, const struct vsw_change *c, const struct vsw_model *m)
{
	int i, rc;

	switch (c->op) {
	case VSW_OP_SWITCH_CREATE:
	case VSW_OP_SWITCH_DELETE:
		return sync_switch_tree(s, m, c->sw);
	case VSW_OP_SWITCH_SET:
		i = vsw_model_find_switch(m, c->sw);
		return i >= 0 ? put_switch(s, &m->switches[i]) : sync_switch_tree(s, m, c->sw);
	case VSW_OP_PORT_ADD:
	case VSW_OP_PORT_DELETE:
		return sync_port_tree(s, m, c->port);
	case VSW_OP_PORT_SET:
	case VSW_OP_PORT_VLAN:
	case VSW_OP_PORT_SECURITY:
	case VSW_OP_PORT_QOS:
		i = vsw_model_find_port(m, c->port);
		return i >= 0 ? put_port(s, &m->ports[i]) : sync_port_tree(s, m, c->port);
	case VSW_OP_ACL_ADD: {
		/* An add goes last in the port's order and the stored order is
		 * 0..n-1, so only the tail is written, not the port's thousands:
		 * the same two statements make the add and undo it (the model
		 * before the add has one ACL fewer). */
		unsigned int first, n = vsw_model_port_acls(m, c->port, &first);

		rc = run(s, "DELETE FROM acl WHERE port = ? AND seq >= ?", "si", c->port,
			 (int64_t)n - 1);
		if (rc == SQLITE_OK && n > 0)
			rc = put_acl(s, &m->acls[first + n - 1], (int64_t)n - 1);
		return rc;
	}
	case VSW_OP_ACL_DELETE:
	case VSW_OP_ACL_LOAD:
		return sync_port_acls(s, m, c->port);
	case VSW_OP_MIRROR_ADD:
	case VSW_OP_MIRROR_DELETE:
		rc = run(s, "DELETE FROM mirror WHERE name = ?", "s", c->name);
		i = vsw_model_find_mirror(m, c->name);
		if (rc == SQLITE_OK && i >= 0)
			rc = put_mirror(s, &m->mirrors[i]);
		return rc;
	case VSW_OP_EXT_ADD:
	case VSW_OP_EXT_DELETE:
	case VSW_OP_EXT_ENABLE:
	case VSW_OP_EXT_DISABLE:
	case VSW_OP_EXT_MOVE:
		return sync_switch_exts(s, m, c->sw);
	default:
		return SQLITE_OK;    /* queries and actions store nothing */
	}
}

/* BEGIN IMMEDIATE takes the write lock up front, so a busy file is found
 * before anything is written rather than at COMMIT. */
static int begin(struct vsw_store *s)
{
	return sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
}

/* COMMIT if all went well, else the error (formatted before ROLLBACK,
 * which would replace SQLite's message) and ROLLBACK. */
static int finish(struct vsw_store *s, int rc, const char *doing, char *why, size_t len)
{
	int err;

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return 0;
	err = db_fail(s, rc, doing, why, len);
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

int vsw_store_sync(struct vsw_store *s, const struct vsw_change *c, const struct vsw_model *m,
		   char *why, size_t len)
{
	char doing[96];
	int rc = begin(s);

	if (rc == SQLITE_OK)
		rc = sync_scope(s, c, m);
	snprintf(doing, sizeof(doing), "cannot save %s", vsw_op_name(c->op));
	return finish(s, rc, doing, why, len);
}

int vsw_store_save_all(struct vsw_store *s, const struct vsw_model *m, char *why, size_t len)
{
	int rc = begin(s);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "DELETE FROM acl; DELETE FROM port; DELETE FROM mirror; "
				  "DELETE FROM extension; DELETE FROM switch;", NULL, NULL, NULL);
	for (unsigned int i = 0; rc == SQLITE_OK && i < m->n_switches; i++)
		rc = sync_switch_tree(s, m, m->switches[i].name);
	return finish(s, rc, "cannot save the configuration", why, len);
}

/* ---- loading ---- */

struct row_err {
	char *why;
	size_t len;
	const char *path;
	const char *table;
	char row[VSW_NAME_MAX * 2 + 8];
};

static int bad_row(struct row_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int bad_row(struct row_err *e, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(e->why, e->len, "%s: table %s, row %s: %s; correct the row with sqlite3, or "
		 "move the file aside and vswitchd starts with an empty configuration",
		 e->path, e->table, e->row, what);
	return -EINVAL;
}

static int col_str(struct row_err *e, sqlite3_stmt *st, int col, char *out, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	int n = sqlite3_column_bytes(st, col);

	if (t == NULL) {
		out[0] = '\0';
		return 0;
	}
	if ((size_t)n >= size || memchr(t, '\0', (size_t)n) != NULL)
		return bad_row(e, "column %s is longer than %zu characters",
			       sqlite3_column_name(st, col), size - 1);
	memcpy(out, t, (size_t)n);
	out[n] = '\0';
	return 0;
}

static int col_int(struct row_err *e, sqlite3_stmt *st, int col, int64_t max, uint64_t *out)
{
	int64_t v;

	if (sqlite3_column_type(st, col) != SQLITE_INTEGER)
		return bad_row(e, "column %s is not a whole number", sqlite3_column_name(st, col));
	v = sqlite3_column_int64(st, col);
	if (v < 0 || v > max)
		return bad_row(e, "column %s is %" PRId64 ", outside 0-%" PRId64,
			       sqlite3_column_name(st, col), v, max);
	*out = (uint64_t)v;
	return 0;
}

static int col_bool(struct row_err *e, sqlite3_stmt *st, int col, bool *out)
{
	uint64_t v;
	int rc = col_int(e, st, col, 1, &v);

	*out = v != 0;
	return rc;
}

/* Runs 'fn' on every row of 'sql'. */
static int each_row(struct vsw_store *s, const char *sql, struct vsw_model *m,
		    struct row_err *e, int (*fn)(struct vsw_model *, sqlite3_stmt *,
						 struct row_err *))
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return db_fail(s, rc, "cannot read the configuration", e->why, e->len);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(e->row, sizeof(e->row), "%.*s", VSW_NAME_MAX * 2,
			 sqlite3_column_text(st, 0) != NULL
				 ? (const char *)sqlite3_column_text(st, 0) : "(null)");
		rc = fn(m, st, e);
		if (rc < 0) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(s, rc, "cannot read the configuration", e->why, e->len);
	return 0;
}

#define TRY(x) do { if ((x) < 0) return -EINVAL; } while (0)

static int load_switch(struct vsw_model *m, sqlite3_stmt *st, struct row_err *e)
{
	struct vsw_switch_cfg w = { .lcore = VSW_LCORE_AUTO };
	char t[16];
	uint64_t v;

	if (m->n_switches >= VSW_MAX_SWITCHES)
		return bad_row(e, "more than %d switches", VSW_MAX_SWITCHES);
	TRY(col_str(e, st, 0, w.name, sizeof(w.name)));
	TRY(col_str(e, st, 1, t, sizeof(t)));
	if (vsw_switch_type_parse(t, &w.type) < 0)
		return bad_row(e, "type '%s' is not external, internal or private", t);
	TRY(col_int(e, st, 2, VSW_FDB_SIZE_MAX, &v));
	w.fdb_size = (uint32_t)v;
	TRY(col_int(e, st, 3, VSW_AGING_MAX, &v));
	w.aging_s = (uint32_t)v;
	TRY(col_int(e, st, 4, VSW_LCORE_MAX + 1, &v));   /* lcore + 1: auto is 0 */
	w.lcore = (int)v - 1;
	if (vsw_cfg_check_switch(&w, e->why, e->len) < 0) {
		char inner[200];

		snprintf(inner, sizeof(inner), "%s", e->why);
		return bad_row(e, "%s", inner);
	}
	m->switches[m->n_switches++] = w;
	return 0;
}

static int load_port(struct vsw_model *m, sqlite3_stmt *st, struct row_err *e)
{
	struct vsw_port_cfg p;
	char t[16], mac[VSW_MAC_STR + 8], inner[200];
	char *vl = NULL;
	uint64_t v;
	int rc = -EINVAL;

	vsw_port_cfg_init(&p);
	if (m->n_ports >= VSW_MAX_PORTS)
		return bad_row(e, "more than %d ports", VSW_MAX_PORTS);
	vl = malloc(VSW_VLAN_LIST_MAX);
	if (vl == NULL)
		return bad_row(e, "out of memory");
	if (col_str(e, st, 0, p.name, sizeof(p.name)) < 0 ||
	    col_str(e, st, 1, p.sw, sizeof(p.sw)) < 0 || col_str(e, st, 2, t, sizeof(t)) < 0)
		goto out;
	if (vsw_port_kind_parse(t, &p.kind) < 0) {
		bad_row(e, "kind '%s' is not vnic, uplink or internal", t);
		goto out;
	}
	if (col_str(e, st, 3, p.devargs, sizeof(p.devargs)) < 0 ||
	    col_str(e, st, 4, t, sizeof(t)) < 0)
		goto out;
	if (vsw_vlan_mode_parse(t, &p.vlan.mode) < 0) {
		bad_row(e, "VLAN mode '%s' is not untagged, access or trunk", t);
		goto out;
	}
	if (col_int(e, st, 5, VSW_VLAN_MAX, &v) < 0)
		goto out;
	p.vlan.access_vlan = (uint16_t)v;
	if (col_int(e, st, 6, VSW_VLAN_MAX, &v) < 0)
		goto out;
	p.vlan.native_vlan = (uint16_t)v;
	if (col_str(e, st, 7, vl, VSW_VLAN_LIST_MAX) < 0)
		goto out;
	if (vl[0] != '\0' && vsw_vlan_parse_list(vl, p.vlan.allowed, inner, sizeof(inner)) < 0) {
		bad_row(e, "trunk_vlans: %s", inner);
		goto out;
	}
	if (col_str(e, st, 8, mac, sizeof(mac)) < 0)
		goto out;
	if (mac[0] != '\0' && vsw_mac_parse(mac, p.sec.mac, inner, sizeof(inner)) < 0) {
		bad_row(e, "mac: %s", inner);
		goto out;
	}
	if (col_bool(e, st, 9, &p.sec.mac_spoof_guard) < 0 ||
	    col_bool(e, st, 10, &p.sec.dhcp_guard) < 0 ||
	    col_bool(e, st, 11, &p.sec.router_guard) < 0 ||
	    col_int(e, st, 12, (int64_t)VSW_STORM_LIMIT_MAX, &p.sec.storm_limit_pps) < 0 ||
	    col_int(e, st, 13, VSW_MAC_LIMIT_MAX, &v) < 0)
		goto out;
	p.sec.mac_limit = (uint32_t)v;
	if (col_int(e, st, 14, (int64_t)VSW_MAX_BPS_MAX, &p.qos.max_bps) < 0 ||
	    col_int(e, st, 15, VSW_MIN_WEIGHT_MAX, &v) < 0)
		goto out;
	p.qos.min_weight = (uint32_t)v;
	if (vsw_cfg_check_port(&p, inner, sizeof(inner)) < 0) {
		bad_row(e, "%s", inner);
		goto out;
	}
	m->ports[m->n_ports++] = p;
	rc = 0;
out:
	free(vl);
	return rc;
}

static int load_acl(struct vsw_model *m, sqlite3_stmt *st, struct row_err *e)
{
	struct vsw_acl_cfg a = { 0 };
	char t[VSW_ADDR_STR], inner[200];
	uint64_t v;

	if (m->n_acls >= VSW_MAX_ACLS)
		return bad_row(e, "more than %d ACLs", VSW_MAX_ACLS);
	TRY(col_str(e, st, 0, a.port, sizeof(a.port)));
	TRY(col_bool(e, st, 1, &a.extended));
	TRY(col_str(e, st, 2, t, sizeof(t)));
	if (vsw_acl_action_parse(t, &a.action) < 0)
		return bad_row(e, "action '%s' is not allow, deny or meter", t);
	TRY(col_str(e, st, 3, t, sizeof(t)));
	if (vsw_dir_parse(t, &a.dir) < 0)
		return bad_row(e, "direction '%s' is not inbound, outbound or both", t);
	TRY(col_str(e, st, 4, t, sizeof(t)));
	if (vsw_acl_addr_parse(t, &a.local, inner, sizeof(inner)) < 0)
		return bad_row(e, "local: %s", inner);
	TRY(col_str(e, st, 5, t, sizeof(t)));
	if (vsw_acl_addr_parse(t, &a.remote, inner, sizeof(inner)) < 0)
		return bad_row(e, "remote: %s", inner);
	TRY(col_str(e, st, 6, t, sizeof(t)));
	if (vsw_acl_proto_parse(t, &a.protocol, inner, sizeof(inner)) < 0)
		return bad_row(e, "protocol: %s", inner);
	TRY(col_str(e, st, 7, t, sizeof(t)));
	if (vsw_port_range_parse(t, &a.local_port_lo, &a.local_port_hi, inner, sizeof(inner)) < 0)
		return bad_row(e, "local_ports: %s", inner);
	TRY(col_str(e, st, 8, t, sizeof(t)));
	if (vsw_port_range_parse(t, &a.remote_port_lo, &a.remote_port_hi, inner,
				 sizeof(inner)) < 0)
		return bad_row(e, "remote_ports: %s", inner);
	TRY(col_int(e, st, 9, 65535, &v));
	a.weight = (uint16_t)v;
	TRY(col_bool(e, st, 10, &a.stateful));
	TRY(col_int(e, st, 11, VSW_AGING_MAX, &v));
	a.idle_timeout_s = (uint32_t)v;
	if (vsw_cfg_check_acl(&a, inner, sizeof(inner)) < 0)
		return bad_row(e, "%s", inner);
	m->acls[m->n_acls++] = a;
	return 0;
}

/* "p1,p2" into a name list. */
static int split_names(struct row_err *e, const char *col, const char *s,
		       char (*names)[VSW_NAME_MAX], uint8_t *n)
{
	*n = 0;
	while (*s != '\0') {
		const char *comma = strchr(s, ',');
		size_t k = comma != NULL ? (size_t)(comma - s) : strlen(s);

		if (*n >= VSW_MIRROR_SELECT_MAX)
			return bad_row(e, "%s lists more than %d ports", col, VSW_MIRROR_SELECT_MAX);
		if (k == 0 || k >= VSW_NAME_MAX)
			return bad_row(e, "%s is not a comma-separated list of port names", col);
		memcpy(names[*n], s, k);
		names[*n][k] = '\0';
		(*n)++;
		s += k + (comma != NULL);
		if (comma != NULL && *s == '\0')
			return bad_row(e, "%s ends in a comma", col);
	}
	return 0;
}

static int load_mirror(struct vsw_model *m, sqlite3_stmt *st, struct row_err *e)
{
	struct vsw_mirror_cfg *r;
	char list[VSW_MIRROR_SELECT_MAX * VSW_NAME_MAX + 1], inner[200];
	char *vl;
	int rc = -EINVAL;

	if (m->n_mirrors >= VSW_MAX_MIRRORS)
		return bad_row(e, "more than %d mirrors", VSW_MAX_MIRRORS);
	r = &m->mirrors[m->n_mirrors];
	memset(r, 0, sizeof(*r));
	vl = malloc(VSW_VLAN_LIST_MAX);
	if (vl == NULL)
		return bad_row(e, "out of memory");
	if (col_str(e, st, 0, r->name, sizeof(r->name)) < 0 ||
	    col_str(e, st, 1, r->sw, sizeof(r->sw)) < 0 ||
	    col_str(e, st, 2, r->output, sizeof(r->output)) < 0 ||
	    col_bool(e, st, 3, &r->select_all) < 0 || col_str(e, st, 4, list, sizeof(list)) < 0 ||
	    split_names(e, "select_src", list, r->select_src, &r->n_src) < 0 ||
	    col_str(e, st, 5, list, sizeof(list)) < 0 ||
	    split_names(e, "select_dst", list, r->select_dst, &r->n_dst) < 0 ||
	    col_str(e, st, 6, vl, VSW_VLAN_LIST_MAX) < 0)
		goto out;
	r->has_vlans = vl[0] != '\0';
	if (r->has_vlans && vsw_vlan_parse_list(vl, r->select_vlans, inner, sizeof(inner)) < 0) {
		bad_row(e, "select_vlans: %s", inner);
		goto out;
	}
	if (vsw_cfg_check_mirror(r, inner, sizeof(inner)) < 0) {
		bad_row(e, "%s", inner);
		goto out;
	}
	m->n_mirrors++;
	rc = 0;
out:
	free(vl);
	return rc;
}

static int load_ext(struct vsw_model *m, sqlite3_stmt *st, struct row_err *e)
{
	struct vsw_ext_cfg *x;
	char t[16], inner[200];

	if (m->n_exts >= VSW_MAX_EXTENSIONS)
		return bad_row(e, "more than %d extensions", VSW_MAX_EXTENSIONS);
	x = &m->exts[m->n_exts];
	memset(x, 0, sizeof(*x));
	TRY(col_str(e, st, 0, x->sw, sizeof(x->sw)));
	TRY(col_str(e, st, 1, x->name, sizeof(x->name)));
	TRY(col_str(e, st, 2, t, sizeof(t)));
	if (vsw_ext_type_parse(t, &x->type) < 0)
		return bad_row(e, "type '%s' is not capture, filter or forward", t);
	TRY(col_str(e, st, 3, x->module, sizeof(x->module)));
	TRY(col_str(e, st, 4, x->args, sizeof(x->args)));
	TRY(col_bool(e, st, 5, &x->enabled));
	if (vsw_cfg_check_ext(x, inner, sizeof(inner)) < 0)
		return bad_row(e, "%s", inner);
	m->n_exts++;
	return 0;
}

int vsw_store_load(struct vsw_store *s, struct vsw_model *m, char *why, size_t len)
{
	struct row_err e = { why, len, s->path, "", "" };
	char inner[256];
	int rc;

	/* Ordered as the model keeps its arrays (BINARY collation is strcmp). */
	m->n_switches = m->n_ports = m->n_acls = m->n_mirrors = m->n_exts = 0;
	e.table = "switch";
	rc = each_row(s, "SELECT name, type, fdb_size, aging_s, lcore + 1 FROM switch "
		      "ORDER BY name",
		      m, &e, load_switch);
	e.table = "port";
	if (rc == 0)
		rc = each_row(s, "SELECT name, switch, kind, devargs, vlan_mode, access_vlan, "
			      "native_vlan, trunk_vlans, mac, mac_spoof_guard, dhcp_guard, "
			      "router_guard, storm_limit_pps, mac_limit, max_bps, min_weight "
			      "FROM port ORDER BY name", m, &e, load_port);
	e.table = "acl";
	if (rc == 0)
		rc = each_row(s, "SELECT port, extended, action, direction, local, remote, "
			      "protocol, local_ports, remote_ports, weight, stateful, "
			      "idle_timeout_s FROM acl ORDER BY port, seq", m, &e, load_acl);
	e.table = "mirror";
	if (rc == 0)
		rc = each_row(s, "SELECT name, switch, output, select_all, select_src, select_dst, "
			      "select_vlans FROM mirror ORDER BY name", m, &e, load_mirror);
	e.table = "extension";
	if (rc == 0)
		rc = each_row(s, "SELECT switch, name, type, module, args, enabled FROM extension "
			      "ORDER BY switch, seq", m, &e, load_ext);
	if (rc == 0 && vsw_model_check(m, inner, sizeof(inner)) < 0) {
		snprintf(why, len, "%s: %s; correct it with sqlite3, or move the file aside and "
			 "vswitchd starts with an empty configuration", s->path, inner);
		rc = -EINVAL;
	}
	if (rc < 0)
		m->n_switches = m->n_ports = m->n_acls = m->n_mirrors = m->n_exts = 0;
	return rc;
}

/* ---- opening ---- */

static int migrate(struct vsw_store *s, char *why, size_t len)
{
	int64_t v = 0, tables = 0, app = 0;
	int rc;

	rc = query_int(s, "PRAGMA application_id", &app);
	if (rc == SQLITE_OK)
		rc = query_int(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
			       "name = 'schema_version'", &tables);
	if (rc != SQLITE_OK)
		return db_fail(s, rc, "cannot read the file", why, len);
	if (app != 0 && app != VSW_STORE_APPLICATION_ID) {
		snprintf(why, len, "%s is an SQLite database of another application (id %#" PRIx64
			 "), not an hvnet vswitch configuration; give vswitchd another file",
			 s->path, (uint64_t)app);
		return -EINVAL;
	}
	if (tables == 0) {
		rc = query_int(s, "SELECT count(*) FROM sqlite_master", &tables);
		if (rc != SQLITE_OK)
			return db_fail(s, rc, "cannot read the file", why, len);
		if (tables != 0) {
			snprintf(why, len, "%s is an SQLite database but not an hvnet vswitch "
				 "configuration (it has no schema_version table); give vswitchd "
				 "another file", s->path);
			return -EINVAL;
		}
	} else {
		rc = query_int(s, "SELECT max(version) FROM schema_version", &v);
		if (rc != SQLITE_OK)
			return db_fail(s, rc, "cannot read the schema version", why, len);
	}
	if (v > VSW_STORE_SCHEMA_VERSION) {
		snprintf(why, len, "%s was written by a newer hvnet (schema %" PRId64 "; this "
			 "vswitchd knows up to %d): upgrade hvnet, or give it another file",
			 s->path, v, VSW_STORE_SCHEMA_VERSION);
		return -EPROTO;
	}
	for (; v < VSW_STORE_SCHEMA_VERSION; v++) {
		char setid[64];

		snprintf(setid, sizeof(setid), "PRAGMA application_id = %d",
			 VSW_STORE_APPLICATION_ID);
		rc = begin(s);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(s->db, migrations[v], NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = run(s, "INSERT INTO schema_version(version) VALUES(?)", "i", v + 1);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(s->db, setid, NULL, NULL, NULL);
		rc = finish(s, rc, "cannot create or upgrade the schema", why, len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* SQLite's own message for a non-database is "file is not a database";
 * say which file and what to do before SQLite is asked. */
static int check_header(struct vsw_store *s, char *why, size_t len)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	struct stat st;
	ssize_t n;

	if (fstat(s->lock_fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "%s is not a regular file; give vswitchd a file path", s->path);
		return -EINVAL;
	}
	if (st.st_size == 0)
		return 0;
	n = pread(s->lock_fd, head, sizeof(head), 0);
	if (n != (ssize_t)sizeof(head) || memcmp(head, magic, sizeof(magic)) != 0) {
		snprintf(why, len, "%s is not an SQLite database, so not an hvnet configuration; "
			 "move it aside (vswitchd then creates a new one) or give vswitchd "
			 "another file", s->path);
		return -EINVAL;
	}
	return 0;
}

static int check_integrity(struct vsw_store *s, char *why, size_t len)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check", -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);

		if (r == NULL || strcmp(r, "ok") != 0) {
			char msg[128];

			/* SQLite's report spans lines; a refusal is one. */
			snprintf(msg, sizeof(msg), "%s", r != NULL ? r : "?");
			for (char *p = msg; *p != '\0'; p++)
				if (*p == '\n')
					*p = ' ';
			snprintf(why, len, "%s is damaged (SQLite: %s); restore a backup, or "
				 "move it aside and vswitchd starts with an empty configuration",
				 s->path, msg);
			sqlite3_finalize(st);
			return -EBADMSG;
		}
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : db_fail(s, rc, "cannot check the file", why, len);
}

int vsw_store_open(struct vsw_store **out, const char *path, char *why, size_t len)
{
	struct vsw_store *s;
	int64_t dummy;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->lock_fd = -1;
	if (strlen(path) >= sizeof(s->path)) {
		snprintf(why, len, "store path is longer than %zu characters", sizeof(s->path) - 1);
		free(s);
		return -ENAMETOOLONG;
	}
	strcpy(s->path, path);
	/* Created here, not by SQLite: mode 0600 (the configuration is the
	 * operator's), and the descriptor carries the lock. */
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lock_fd < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			snprintf(why, len, "%s: its directory does not exist; create it (mkdir -p) "
				 "or give vswitchd another path", path);
		else if (rc == -EACCES || rc == -EPERM || rc == -EROFS)
			snprintf(why, len, "%s: %s; run vswitchd as root or give it a writable "
				 "path", path, strerror(-rc));
		else
			snprintf(why, len, "%s: cannot open: %s", path, strerror(-rc));
		goto fail;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		rc = -errno;
		if (rc == -EWOULDBLOCK)
			snprintf(why, len, "%s is in use by another vswitchd; stop it, or give "
				 "this one another store", path);
		else
			snprintf(why, len, "%s: cannot lock: %s", path, strerror(-rc));
		goto fail;
	}
	rc = check_header(s, why, len);
	if (rc < 0)
		goto fail;
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		rc = db_fail(s, rc, "cannot open", why, len);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	/* WAL: readers (sqlite3) never block a commit; FULL: each commit
	 * is on disk before vswitchctl hears it succeeded. */
	rc = query_int(s, "PRAGMA journal_mode = WAL", &dummy);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
				  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = db_fail(s, rc, "cannot set the database up", why, len);
		goto fail;
	}
	rc = check_integrity(s, why, len);
	if (rc < 0)
		goto fail;
	{
		sqlite3_stmt *st;
		const char *mode = NULL;

		rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL);
		if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			mode = (const char *)sqlite3_column_text(st, 0);
		if (mode == NULL || strcmp(mode, "wal") != 0) {
			snprintf(why, len, "%s: cannot use a write-ahead log (journal mode %s); "
				 "put the store on a local filesystem", path,
				 mode != NULL ? mode : "unknown");
			sqlite3_finalize(st);
			rc = -EIO;
			goto fail;
		}
		sqlite3_finalize(st);
	}
	rc = migrate(s, why, len);
	if (rc < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	vsw_store_close(s);
	return rc;
}

void vsw_store_close(struct vsw_store *s)
{
	if (s == NULL)
		return;
	if (s->db != NULL)
		sqlite3_close_v2(s->db);
	/* After SQLite is done with the file: closing another descriptor of
	 * it earlier would drop SQLite's POSIX locks. */
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s);
}

const char *vsw_store_path(const struct vsw_store *s)
{
	return s->path;
}

int vsw_store_schema_version(struct vsw_store *s)
{
	int64_t v = 0;

	if (query_int(s, "SELECT max(version) FROM schema_version", &v) != SQLITE_OK)
		return -EIO;
	return (int)v;
}
