/* vswitch/vsw_store.c: a new store is created with its schema; changes
 * committed one by one come back equal after a reopen (what a restart
 * sees); syncing with the model before a change undoes it (what a failed
 * apply does), cascades included; and every kind of bad file is refused
 * with a message that names the file and says what to do. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness/hvn_test.h"
#include "vswitch/vsw_ctl.h"
#include "vswitch/vsw_store.h"

static char why[1024];
static char dir[] = "/tmp/hvnet-vsw-store.XXXXXX";

static void path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static int split(char *line, char **argv, int max)
{
	int n = 0;

	for (char *t = strtok(line, " "); t != NULL && n < max; t = strtok(NULL, " "))
		argv[n++] = t;
	return n;
}

static void to_change(const char *cmd, struct vsw_change *c)
{
	struct vsw_cli cli;
	char line[512], *argv[40];
	int argc;

	snprintf(line, sizeof(line), "%s", cmd);
	argc = split(line, argv, 40);
	if (vsw_cli_parse(argc, argv, &cli, why, sizeof(why)) < 0)
		T_FAIL("'%s': %s", cmd, why);
	*c = cli.req;
}

/* What the server does with a change: apply to the model, then commit. */
static void commit(struct vsw_store *s, struct vsw_model *m, const char *cmd)
{
	struct vsw_change c;

	to_change(cmd, &c);
	if (vsw_model_apply(m, &c, why, sizeof(why)) != 0)
		T_FAIL("'%s': %s", cmd, why);
	if (vsw_store_sync(s, &c, m, why, sizeof(why)) < 0)
		T_FAIL("'%s' not saved: %s", cmd, why);
}

static const char *const setup[] = {
	"switch create sw1 --type internal",
	"switch create ext --type external --fdb-size 77 --aging 9 --lcore 2",
	"port add sw1 p2 --vnic part-b",
	"port add sw1 p1 --vnic part-a --mac 00:15:5d:00:00:01",
	"port add ext u1 --uplink net_af_packet0,iface=veth0",
	"port add sw1 h1 --internal",
	"port add sw1 p3 --vnic part-c",
	"port acl p3 add --action deny --direction both --local-mac 00:15:5d:00:00:03",
	"port vlan p1 --trunk 1-100,200 --native 10",
	"port vlan p2 --access 4094",
	"port security p1 --mac-spoof-guard on --dhcp-guard on --router-guard on "
	"--storm-limit 1000 --mac-limit 64",
	"port qos p1 --max-bps 10T --min-weight 100",
	"port acl p1 add --action deny --direction inbound --remote-ip 10.0.0.0/8",
	"port acl p2 add --action meter --direction both --local-ip 2001:db8::/32",
	"port acl p1 add --action allow --direction outbound --remote-mac 00:15:5d:aa:bb:cc",
	"port acl p1 add --weight 65535 --action allow --direction outbound --protocol tcp "
	"--remote-port 443 --local-port 1024-65535 --stateful on --idle-timeout 30",
	"port acl p1 add --weight 2 --action deny --direction inbound --protocol 47",
	"mirror add sw1 m0 --output h1 --select-src p1,p2 --select-dst p2 --select-vlan 5-9",
	"mirror add ext m1 --output u1 --select-all",
	"extension add sw1 e2 --type capture --module pcap --args snap=64",
	"extension add sw1 e1 --type forward --module /opt/fwd.so",
	"extension add ext e0 --type filter --module acl --disabled",
	"port acl p1 delete --weight 2",
	"switch set ext --aging 10",
};

static void check_create_and_reopen(void)
{
	struct vsw_model *m = vsw_model_new(), *back = vsw_model_new();
	struct vsw_store *s;
	char db[256];
	struct stat st;

	path_of(db, sizeof(db), "conf.db");
	T_EQ(vsw_store_open(&s, db, why, sizeof(why)), 0);
	T_EQ(vsw_store_schema_version(s), VSW_STORE_SCHEMA_VERSION);
	T_ASSERT(strcmp(vsw_store_path(s), db) == 0);
	T_EQ(vsw_store_load(s, back, why, sizeof(why)), 0);
	T_EQ(back->n_switches, 0);
	T_EQ(stat(db, &st), 0);
	T_EQ(st.st_mode & 0777, 0600);
	for (size_t i = 0; i < sizeof(setup) / sizeof(setup[0]); i++)
		commit(s, m, setup[i]);
	vsw_store_close(s);

	/* A restart: a new process opens the file and loads it. */
	T_EQ(vsw_store_open(&s, db, why, sizeof(why)), 0);
	T_EQ(vsw_store_load(s, back, why, sizeof(why)), 0);
	if (!vsw_model_equal(m, back))
		T_FAIL("the reloaded configuration differs");
	T_EQ(back->n_acls, 5);
	T_EQ(back->n_exts, 3);
	vsw_store_close(s);

	/* The journal is a write-ahead log, and the layout is readable. */
	{
		sqlite3 *raw;
		sqlite3_stmt *st2;

		T_EQ(sqlite3_open_v2(db, &raw, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		T_EQ(sqlite3_prepare_v2(raw, "SELECT trunk_vlans, vlan_mode FROM port WHERE "
					"name = 'p1'", -1, &st2, NULL), SQLITE_OK);
		T_EQ(sqlite3_step(st2), SQLITE_ROW);
		T_ASSERT(strcmp((const char *)sqlite3_column_text(st2, 0), "1-100,200") == 0);
		T_ASSERT(strcmp((const char *)sqlite3_column_text(st2, 1), "trunk") == 0);
		sqlite3_finalize(st2);
		T_EQ(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &st2, NULL), SQLITE_OK);
		T_EQ(sqlite3_step(st2), SQLITE_ROW);
		T_ASSERT(strcmp((const char *)sqlite3_column_text(st2, 0), "wal") == 0);
		sqlite3_finalize(st2);
		sqlite3_close(raw);
	}
	vsw_model_free(m);
	vsw_model_free(back);
}

/* A change committed, then undone with the model from before: what the
 * server does when the datapath refuses. The store must equal the model
 * before, for every kind of change, cascades included. */
static void check_undo(void)
{
	static const char *const changes[] = {
		"switch create new --type private",
		"switch delete sw1",
		"switch delete ext",
		"switch set sw1 --fdb-size 5",
		"switch set ext --lcore auto",
		"switch set sw1 --lcore 4",
		"port acl p1 load /dev/null --replace",
		"port add sw1 p9 --vnic z",
		"port delete p3",
		"port set p1 --devargs part-z",
		"port vlan p1 --untagged",
		"port security p2 --dhcp-guard on",
		"port qos p2 --max-bps 5",
		"port acl p1 add --action deny --direction outbound --remote-ip 1.2.3.4",
		"port acl p1 delete --direction inbound --remote-ip 10.0.0.0/8",
		"port acl p1 delete --weight 65535",
		"mirror add sw1 m9 --output p2 --select-all",
		"mirror delete m0",
		"extension add sw1 e9 --type filter --module x",
		"extension delete sw1 e2",
		"extension disable sw1 e1",
		"extension enable ext e0",
	};
	struct vsw_model *m = vsw_model_new(), *after = vsw_model_new(), *back = vsw_model_new();
	struct vsw_store *s;
	char db[256];

	path_of(db, sizeof(db), "conf.db");
	T_EQ(vsw_store_open(&s, db, why, sizeof(why)), 0);
	T_EQ(vsw_store_load(s, m, why, sizeof(why)), 0);
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		struct vsw_change c;

		to_change(changes[i], &c);
		vsw_model_copy(after, m);
		if (vsw_model_apply(after, &c, why, sizeof(why)) != 0)
			T_FAIL("'%s': %s", changes[i], why);
		T_EQ(vsw_store_sync(s, &c, after, why, sizeof(why)), 0);
		T_EQ(vsw_store_load(s, back, why, sizeof(why)), 0);
		if (!vsw_model_equal(after, back))
			T_FAIL("'%s' is not in the store as made", changes[i]);
		T_EQ(vsw_store_sync(s, &c, m, why, sizeof(why)), 0);
		T_EQ(vsw_store_load(s, back, why, sizeof(why)), 0);
		if (!vsw_model_equal(m, back))
			T_FAIL("'%s' was not undone in the store", changes[i]);
	}
	/* Everything at once. */
	T_EQ(vsw_store_save_all(s, after, why, sizeof(why)), 0);
	T_EQ(vsw_store_load(s, back, why, sizeof(why)), 0);
	T_ASSERT(vsw_model_equal(after, back));
	T_EQ(vsw_store_save_all(s, m, why, sizeof(why)), 0);
	vsw_store_close(s);
	vsw_model_free(m);
	vsw_model_free(after);
	vsw_model_free(back);
}

static void expect_open_fails(const char *db, int err, const char *what)
{
	struct vsw_store *s = NULL;
	struct vsw_model *m = vsw_model_new();
	int rc = vsw_store_open(&s, db, why, sizeof(why));

	if (rc == 0) {
		rc = vsw_store_load(s, m, why, sizeof(why));
		vsw_store_close(s);
	}
	if (rc == 0 || (err != 0 && rc != err))
		T_FAIL("%s: rc %d (%s)", db, rc, why);
	if (strstr(why, what) == NULL || strstr(why, db) == NULL)
		T_FAIL("%s: the error '%s' does not name the file and say '%s'", db, why, what);
	vsw_model_free(m);
}

static void raw_exec(const char *db, const char *sql)
{
	sqlite3 *raw;

	T_EQ(sqlite3_open(db, &raw), SQLITE_OK);
	if (sqlite3_exec(raw, sql, NULL, NULL, NULL) != SQLITE_OK)
		T_FAIL("%s: %s", sql, sqlite3_errmsg(raw));
	sqlite3_close(raw);
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n;

	T_ASSERT(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		T_EQ(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}

static void check_bad_files(void)
{
	char db[256], good[256];
	struct vsw_store *s, *s2;
	int fd;

	path_of(good, sizeof(good), "conf.db");

	/* Not SQLite at all. */
	path_of(db, sizeof(db), "text.db");
	fd = open(db, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	T_EQ(write(fd, "# my switch notes\nsw0: internal\n", 32), 32);
	close(fd);
	expect_open_fails(db, -EINVAL, "is not an SQLite database");

	/* A few bytes only. */
	path_of(db, sizeof(db), "short.db");
	fd = open(db, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	T_EQ(write(fd, "SQLite", 6), 6);
	close(fd);
	expect_open_fails(db, -EINVAL, "is not an SQLite database");

	/* SQLite, but somebody else's. */
	path_of(db, sizeof(db), "other.db");
	raw_exec(db, "CREATE TABLE notes(x); INSERT INTO notes VALUES(1);");
	expect_open_fails(db, -EINVAL, "not an hvnet vswitch configuration");
	path_of(db, sizeof(db), "appid.db");
	raw_exec(db, "PRAGMA application_id = 42; CREATE TABLE t(x);");
	expect_open_fails(db, -EINVAL, "of another application");

	/* Ours, at schema 1 (before switches had an lcore): upgraded in
	 * place, every switch on auto. */
	path_of(db, sizeof(db), "v1.db");
	copy_file(good, db);
	raw_exec(db, "ALTER TABLE switch DROP COLUMN lcore; "
		 "DELETE FROM schema_version WHERE version = 2;");
	{
		struct vsw_model *m = vsw_model_new();

		T_EQ(vsw_store_open(&s, db, why, sizeof(why)), 0);
		T_EQ(vsw_store_schema_version(s), VSW_STORE_SCHEMA_VERSION);
		T_EQ(vsw_store_load(s, m, why, sizeof(why)), 0);
		T_ASSERT(m->n_switches > 0);
		for (unsigned int i = 0; i < m->n_switches; i++)
			T_EQ(m->switches[i].lcore, VSW_LCORE_AUTO);
		vsw_store_close(s);
		vsw_model_free(m);
	}

	/* Ours, from a newer hvnet. */
	path_of(db, sizeof(db), "newer.db");
	copy_file(good, db);
	raw_exec(db, "INSERT INTO schema_version(version) VALUES(99);");
	expect_open_fails(db, -EPROTO, "newer hvnet (schema 99");

	/* Damaged: a table's page overwritten (page 5: the port table). */
	path_of(db, sizeof(db), "damaged.db");
	copy_file(good, db);
	fd = open(db, O_WRONLY);
	{
		char junk[4096];

		memset(junk, 0xa5, sizeof(junk));
		T_EQ(pwrite(fd, junk, sizeof(junk), 4 * 4096), (ssize_t)sizeof(junk));
	}
	close(fd);
	expect_open_fails(db, -EBADMSG, "is damaged (SQLite: ");
	T_ASSERT(strchr(why, '\n') == NULL);

	/* A row the operator broke by hand names its table and row. */
	path_of(db, sizeof(db), "badrow.db");
	copy_file(good, db);
	raw_exec(db, "UPDATE port SET access_vlan = 5000, vlan_mode = 'access' WHERE name = 'p2';");
	expect_open_fails(db, -EINVAL, "table port, row p2");
	copy_file(good, db);
	raw_exec(db, "UPDATE acl SET remote = '10.0.0.1/8' WHERE port = 'p1' AND seq = 0;");
	expect_open_fails(db, -EINVAL, "table acl, row p1: remote:");
	copy_file(good, db);
	raw_exec(db, "UPDATE switch SET fdb_size = 'lots' WHERE name = 'ext';");
	expect_open_fails(db, -EINVAL, "column fdb_size is not a whole number");
	copy_file(good, db);
	raw_exec(db, "PRAGMA foreign_keys = OFF; UPDATE port SET switch = 'gone' WHERE name = 'p2';");
	expect_open_fails(db, -EINVAL, "switch gone, which does not exist");
	copy_file(good, db);
	raw_exec(db, "UPDATE extension SET enabled = 1, type = 'forward' WHERE name = 'e2';");
	expect_open_fails(db, -EINVAL, "two forwarding extensions");

	/* One vswitchd per file. */
	T_EQ(vsw_store_open(&s, good, why, sizeof(why)), 0);
	T_EQ(vsw_store_open(&s2, good, why, sizeof(why)), -EWOULDBLOCK);
	T_ASSERT(strstr(why, "in use by another vswitchd") != NULL);
	vsw_store_close(s);
	T_EQ(vsw_store_open(&s2, good, why, sizeof(why)), 0);
	vsw_store_close(s2);

	/* Nowhere to put it. */
	path_of(db, sizeof(db), "no/such/dir/conf.db");
	expect_open_fails(db, -ENOENT, "directory does not exist");
	path_of(db, sizeof(db), "");
	expect_open_fails(db, 0, "");
}

int main(void)
{
	if (mkdtemp(dir) == NULL)
		T_FAIL("mkdtemp: %s", strerror(errno));
	T_RUN(check_create_and_reopen);
	T_RUN(check_undo);
	T_RUN(check_bad_files);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return 0;
}
