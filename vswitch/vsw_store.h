/* The configuration store: the whole model (vsw_model.h) in one SQLite
 * file that vswitchd reads at start and commits every change to before
 * applying it, so a restart restores switches, ports and policy.
 *
 * Durability: WAL journal with synchronous=FULL, so a change vswitchctl
 * was told succeeded survives a crash or a power cut. One vswitchd owns a
 * file (an flock held while open); sqlite3 may read it meanwhile.
 *
 * Layout (schema version 1; migrations add versions, never edit one):
 *   schema_version(version, applied)       one row per migration applied
 *   switch(name, type, fdb_size, aging_s)
 *   port(name, switch -> switch, kind, devargs, vlan_mode, access_vlan,
 *        native_vlan, trunk_vlans, mac, mac_spoof_guard, dhcp_guard,
 *        router_guard, storm_limit_pps, mac_limit, max_bps, min_weight)
 *   acl(port -> port, seq, extended, action, direction, local, remote,
 *       protocol, local_ports, remote_ports, weight, stateful,
 *       idle_timeout_s)
 *   mirror(name, switch -> switch, output, select_all, select_src,
 *          select_dst, select_vlans)
 *   extension(switch -> switch, name, seq, type, module, args, enabled)
 * References cascade on delete. Values are in vswitchctl's text forms
 * ("trunk", "10.0.0.0/8", "1-100,200"), so the file reads well in sqlite3
 * and every loaded row is checked with the validators vswitchctl uses. */
#ifndef VSW_STORE_H
#define VSW_STORE_H

#include <stddef.h>

#include "vswitch/vsw_model.h"

#define VSW_STORE_SCHEMA_VERSION 2
#define VSW_STORE_APPLICATION_ID 0x68766e74 /* "hvnt" */

struct vsw_store;

/* Opens the store at 'path', creating it (mode 0600) if absent and
 * migrating an older schema. 0, or -errno with 'why' naming the file,
 * what is wrong with it and what to do: not SQLite, SQLite but not ours,
 * damaged, from a newer hvnet, in use by another vswitchd, unwritable. */
int vsw_store_open(struct vsw_store **out, const char *path, char *why, size_t len);
void vsw_store_close(struct vsw_store *s);
const char *vsw_store_path(const struct vsw_store *s);
/* The schema version the file is at (VSW_STORE_SCHEMA_VERSION once open). */
int vsw_store_schema_version(struct vsw_store *s);

/* Reads everything into 'm' and checks it (vsw_model_check). On an error
 * 'why' names the table and row that is wrong. */
int vsw_store_load(struct vsw_store *s, struct vsw_model *m, char *why, size_t len);

/* Makes the rows that change 'c' touches equal to 'm', in one
 * transaction (BEGIN IMMEDIATE ... COMMIT): with the model after the
 * change this commits it; with the model before, it undoes it. Nothing
 * is written on an error. */
int vsw_store_sync(struct vsw_store *s, const struct vsw_change *c, const struct vsw_model *m,
		   char *why, size_t len);

/* Replaces everything in the store with 'm' in one transaction (a tool
 * importing a configuration; tests). */
int vsw_store_save_all(struct vsw_store *s, const struct vsw_model *m, char *why, size_t len);

#endif /* VSW_STORE_H */
