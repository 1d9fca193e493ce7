/* vswitch/vsw_ctl.c and vsw_model.c: the verb table (every verb, every
 * kind of command-line error, help and version), and the model's rules
 * for changes (existence, kinds, duplicates, --may-exist/--if-exists,
 * cascades, limits, canonical order, replay). Table-driven: a command
 * line and what it must give. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness/hvn_test.h"
#include "vswitch/vsw_ctl.h"

static char why[1024];

static int split(char *line, char **argv, int max)
{
	int n = 0;

	for (char *t = strtok(line, " "); t != NULL && n < max; t = strtok(NULL, " "))
		argv[n++] = t;
	return n;
}

static int parse(const char *cmd, struct vsw_cli *cli)
{
	char line[600], *argv[48];
	int argc;

	snprintf(line, sizeof(line), "%s", cmd);
	argc = split(line, argv, 48);
	return vsw_cli_parse(argc, argv, cli, why, sizeof(why));
}

/* Command lines that parse, and the op they make. */
static void check_verbs(void)
{
	static const struct {
		const char *cmd;
		enum vsw_op op;
	} t[] = {
		{ "switch create sw0 --type internal", VSW_OP_SWITCH_CREATE },
		{ "switch create sw0 --type=private --fdb-size=10", VSW_OP_SWITCH_CREATE },
		{ "--may-exist switch create sw0 --type external", VSW_OP_SWITCH_CREATE },
		{ "switch delete sw0", VSW_OP_SWITCH_DELETE },
		{ "switch set sw0 --aging 1", VSW_OP_SWITCH_SET },
		{ "switch list", VSW_OP_SWITCH_LIST },
		{ "port add sw0 p1 --uplink net_af_packet0,iface=veth0", VSW_OP_PORT_ADD },
		{ "port delete p1 --if-exists", VSW_OP_PORT_DELETE },
		{ "port set p1 --devargs x", VSW_OP_PORT_SET },
		{ "port list sw0", VSW_OP_PORT_LIST },
		{ "port vlan p1 --access 10", VSW_OP_PORT_VLAN },
		{ "port vlan p1 --trunk 1-100,200 --native 10", VSW_OP_PORT_VLAN },
		{ "port vlan p1 --untagged", VSW_OP_PORT_VLAN },
		{ "port security p1 --mac-spoof-guard on --dhcp-guard on --router-guard on "
		  "--storm-limit 1000 --mac-limit 64", VSW_OP_PORT_SECURITY },
		{ "port qos p1 --max-bps 1e9 --min-weight 20", VSW_OP_PORT_QOS },
		{ "port acl p1 add --action deny --direction both --remote-ip 10.0.0.0/8",
		  VSW_OP_ACL_ADD },
		{ "port acl p1 delete --weight 3", VSW_OP_ACL_DELETE },
		{ "port acl p1 list", VSW_OP_ACL_LIST },
		{ "mirror add sw0 m0 --output p2 --select-all", VSW_OP_MIRROR_ADD },
		{ "mirror delete m0", VSW_OP_MIRROR_DELETE },
		{ "mirror list", VSW_OP_MIRROR_LIST },
		{ "extension add sw0 e --type filter --module m", VSW_OP_EXT_ADD },
		{ "extension delete sw0 e", VSW_OP_EXT_DELETE },
		{ "extension enable sw0 e", VSW_OP_EXT_ENABLE },
		{ "extension disable sw0 e", VSW_OP_EXT_DISABLE },
		{ "extension list sw0", VSW_OP_EXT_LIST },
		{ "show", VSW_OP_SHOW },
		{ "--format json show sw0", VSW_OP_SHOW },
		{ "stats", VSW_OP_STATS },
		{ "stats p1 --switch sw0", VSW_OP_STATS },
		{ "capture start p1 --file -", VSW_OP_CAPTURE_START },
		{ "capture stop p1", VSW_OP_CAPTURE_STOP },
		{ "show -- sw0", VSW_OP_SHOW },
	};
	struct vsw_cli cli;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (parse(t[i].cmd, &cli) < 0)
			T_FAIL("'%s' refused: %s", t[i].cmd, why);
		if (cli.req.op != t[i].op)
			T_FAIL("'%s' made %s", t[i].cmd, vsw_op_name(cli.req.op));
		T_EQ(cli.help, VSW_HELP_NONE);
	}
	/* Every verb in the table is reachable and documented. */
	for (unsigned int i = 0; i < vsw_verb_count(); i++) {
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "%s --help", vsw_verb_words(i));
		T_EQ(parse(cmd, &cli), 0);
		T_EQ(cli.help, VSW_HELP_VERB);
		T_ASSERT(vsw_verb_usage(i) != NULL);
	}
}

static void check_values(void)
{
	struct vsw_cli cli;

	T_EQ(parse("port vlan p1 --trunk 1-3,7 --native 2", &cli), 0);
	T_EQ(cli.req.port_cfg.vlan.mode, VSW_VLAN_TRUNK);
	T_EQ(cli.req.port_cfg.vlan.native_vlan, 2);
	T_EQ(cli.req.port_cfg.vlan.allowed[0], 0x8eull);
	T_EQ(parse("port qos p1 --max-bps 2.5G", &cli), 0);
	T_ASSERT(cli.req.port_cfg.qos.max_bps == 2500000000ull);
	T_EQ(cli.req.fields, VSW_FLD_MAX_BPS);
	T_EQ(parse("port security p1 --dhcp-guard off --mac-limit 8", &cli), 0);
	T_EQ(cli.req.fields, VSW_FLD_DHCP_GUARD | VSW_FLD_MAC_LIMIT);
	T_EQ(parse("port acl p1 add --weight 9 --action allow --direction inbound --protocol udp "
		   "--local-port 53 --stateful on --idle-timeout 30", &cli), 0);
	T_ASSERT(cli.req.acl.extended && cli.req.acl.weight == 9 && cli.req.acl.protocol == 17);
	T_ASSERT(cli.req.acl.local_port_lo == 53 && cli.req.acl.local_port_hi == 53);
	T_EQ(parse("port acl p1 delete --weight 9 --direction inbound", &cli), 0);
	T_EQ(cli.req.fields, VSW_FLD_DIRECTION);
	T_EQ(parse("port acl p1 delete --weight 9", &cli), 0);
	T_EQ(cli.req.fields, 0);
	T_EQ(parse("mirror add sw0 m0 --output o --select-src a,b,c", &cli), 0);
	T_EQ(cli.req.mirror.n_src, 3);
	T_ASSERT(strcmp(cli.req.mirror.select_src[2], "c") == 0);
	T_EQ(parse("capture start p1 --file /tmp/f --count 3", &cli), 0);
	T_ASSERT(strcmp(cli.capture_file, "/tmp/f") == 0 && cli.req.capture.count == 3);
	T_EQ(parse("--socket /x.sock --timeout 0 --format json show", &cli), 0);
	T_ASSERT(strcmp(cli.socket, "/x.sock") == 0 && cli.timeout_s == 0 &&
		 cli.format == VSW_FMT_JSON);
	T_EQ(parse("--version", &cli), 0);
	T_ASSERT(cli.version);
	T_EQ(parse("--help", &cli), 0);
	T_EQ(cli.help, VSW_HELP_ALL);
	T_EQ(parse("-h", &cli), 0);
	T_EQ(cli.help, VSW_HELP_ALL);
	T_EQ(parse("port --help", &cli), 0);
	T_EQ(cli.help, VSW_HELP_NOUN);
	T_EQ(parse("port vlan p1 --bogus --help", &cli), -EINVAL); /* unknown first */
	T_EQ(parse("port vlan --help", &cli), 0);
	T_EQ(cli.help, VSW_HELP_VERB);
}

/* Command lines that must be refused, and what the refusal must say. */
static void check_errors(void)
{
	static const struct {
		const char *cmd;
		const char *why;
	} t[] = {
		{ "", "no command given" },
		{ "frob", "unknown command 'frob'" },
		{ "switch", "'switch' needs a verb: create, delete, set, list" },
		{ "switch frob x", "'switch frob' is not a command" },
		{ "show --bogus", "unknown option --bogus" },
		{ "show -x", "unknown option -x" },
		{ "show --format", "--format needs a value" },
		{ "show --format yaml", "--format takes text or json" },
		{ "show --timeout x", "not a number" },
		{ "show --socket=", "--socket needs a path" },
		{ "show --help=3", "--help takes no value" },
		{ "switch create", "missing arguments" },
		{ "switch create a b --type internal", "too many arguments" },
		{ "switch create sw0", "give the switch's --type" },
		{ "switch create sw0 --type big", "--type takes external, internal or private" },
		{ "switch create --type internal -- -sw", "must start with a letter or digit" },
		{ "switch create a/b --type internal", "may hold only letters" },
		{ "switch create 0123456789012345678901234567890123 --type internal", "longer than 31" },
		{ "switch create sw0 --type internal --type private", "--type is given twice" },
		{ "switch create sw0 --type internal --fdb-size 5000000", "too large" },
		{ "switch create sw0 --type internal --if-exists", "--if-exists does not apply" },
		{ "switch delete sw0 --may-exist", "--may-exist does not apply" },
		{ "switch set sw0", "nothing to set" },
		{ "switch list --access 3", "--access does not apply here" },
		{ "port add sw0 p1", "give exactly one of --vnic" },
		{ "port add sw0 p1 --vnic a --uplink b", "give exactly one of" },
		{ "port add sw0 p1 --uplink x --devargs y", "--devargs goes with --internal" },
		{ "port add sw0 p1 --vnic a,b", "partition name 'a,b'" },
		{ "port add sw0 p1 --uplink a\"b", "devargs 'a\"b' may hold only" },
		{ "port add sw0 p1 --vnic a --mac 01:02:03:04:05:06", "multicast" },
		{ "port add sw0 p1 --vnic a --mac zz", "not a MAC address" },
		{ "port set p1", "nothing to set" },
		{ "port vlan p1", "give the mode" },
		{ "port vlan p1 --access 1 --trunk 2", "exclude each other" },
		{ "port vlan p1 --access 0", "must be at least 1" },
		{ "port vlan p1 --access 4095", "too large" },
		{ "port vlan p1 --access 10 --native 3", "--native goes with --trunk" },
		{ "port vlan p1 --trunk 0-5", "out of range" },
		{ "port vlan p1 --trunk 5,", "not a VLAN list" },
		{ "port vlan p1 --untagged=yes", "takes no value" },
		{ "port security p1", "nothing to set" },
		{ "port security p1 --dhcp-guard yes", "takes on or off" },
		{ "port security p1 --storm-limit -1", "not a number" },
		{ "port security p1 --mac-limit 70000", "too large" },
		{ "port qos p1", "nothing to set" },
		{ "port qos p1 --max-bps 1.5", "not a whole number" },
		{ "port qos p1 --max-bps 11T", "too large" },
		{ "port qos p1 --min-weight 101", "too large" },
		{ "port acl p1", "missing arguments" },
		{ "port acl p1 frob", "'frob' is not add, delete, load or list" },
		{ "port acl p1 add", "give --direction" },
		{ "port acl p1 add --direction in", "takes inbound, outbound or both" },
		{ "port acl p1 add --direction inbound", "give --action" },
		{ "port acl p1 add --direction inbound --action block", "--action takes allow" },
		{ "port acl p1 add --direction inbound --action deny", "needs a local or remote" },
		{ "port acl p1 add --direction inbound --action deny --remote-ip 10.0.0.0/8 "
		  "--remote-mac 00:15:5d:00:00:01", "exclude each other" },
		{ "port acl p1 add --direction inbound --action deny --remote-mac 10.0.0.1",
		  "takes a MAC or any" },
		{ "port acl p1 add --direction inbound --action deny --remote-ip 00:15:5d:00:00:01",
		  "takes an IP prefix or any" },
		{ "port acl p1 add --direction inbound --action deny --local-ip 10.0.0.0/8 "
		  "--remote-ip 2001:db8::/32", "one kind" },
		{ "port acl p1 add --direction inbound --action deny --remote-ip 10.0.0.0/8 "
		  "--remote-port 80", "needs --weight" },
		{ "port acl p1 add --weight 0 --direction inbound --action deny", "at least 1" },
		{ "port acl p1 add --weight 70000 --direction inbound --action deny", "too large" },
		{ "port acl p1 add --weight 5 --direction inbound --action meter", "meter needs" },
		{ "port acl p1 add --weight 5 --direction inbound --action allow --remote-port 80",
		  "ports need protocol" },
		{ "port acl p1 add --weight 5 --direction inbound --action allow --protocol tcp "
		  "--remote-port 90-80", "runs backwards" },
		{ "port acl p1 add --weight 5 --direction inbound --action allow --protocol xyz",
		  "not a protocol" },
		{ "port acl p1 add --weight 5 --direction inbound --action deny --stateful on",
		  "only an allow ACL can be stateful" },
		{ "port acl p1 add --weight 5 --direction inbound --action allow --idle-timeout 5",
		  "needs a stateful ACL" },
		{ "port acl p1 delete --remote-ip 10.0.0.0/8", "give --direction" },
		{ "port acl p1 delete --weight 5 --action deny", "--action is not needed" },
		{ "port acl p1 list --weight 5", "port acl PORT list takes no --weight" },
		{ "port acl p1 add x --direction inbound", "unexpected argument 'x'" },
		{ "mirror add sw0 m0", "give the --output port" },
		{ "mirror add sw0 m0 --output p1", "selects nothing" },
		{ "mirror add sw0 m0 --output p1 --select-src p1", "cannot be selected" },
		{ "mirror add sw0 m0 --output p1 --select-src a,,b", "port names separated by commas" },
		{ "mirror add sw0 m0 --output p1 --select-src a,a", "listed twice" },
		{ "mirror add sw0 m0 --output p1 --select-vlan 0", "out of range" },
		{ "mirror add sw0 m0 --output p1 --select-src a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q",
		  "more than 16 ports" },
		{ "extension add sw0 e", "give the extension's --type" },
		{ "extension add sw0 e --type forward", "--module" },
		{ "extension add sw0 e --type shaper --module m", "--type takes capture, filter" },
		{ "extension add sw0 e --type filter --module rel/x.so", "neither a built-in name" },
		{ "extension enable sw0", "missing arguments" },
		{ "show a b", "too many arguments" },
		{ "stats p1 p2", "too many arguments" },
		{ "capture start p1", "give the --file" },
		{ "capture start p1 --file x --snaplen 300000", "too large" },
		{ "capture start p1 --file x --direction up", "inbound, outbound or both" },
	};
	struct vsw_cli cli;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = parse(t[i].cmd, &cli);

		if (rc != -EINVAL || strstr(why, t[i].why) == NULL)
			T_FAIL("'%s': rc %d, why '%s', want '%s'", t[i].cmd, rc, why, t[i].why);
		/* A refusal is one sentence, not an empty string or a code. */
		T_ASSERT(strlen(why) > 10);
	}
}

/* ---- the model's rules ---- */

/* Runs a command against m: rc is vsw_model_apply's. */
static int run(struct vsw_model *m, const char *cmd)
{
	struct vsw_cli cli;

	if (parse(cmd, &cli) < 0)
		T_FAIL("'%s' does not parse: %s", cmd, why);
	return vsw_model_apply(m, &cli.req, why, sizeof(why));
}

static void check_model_rules(void)
{
	static const struct {
		const char *cmd;
		int rc;
		const char *why;
	} t[] = {
		{ "switch create sw0 --type internal", 0, NULL },
		{ "switch create sw0 --type internal", -EEXIST, "already exists (internal)" },
		{ "--may-exist switch create sw0 --type internal", 1, NULL },
		{ "--may-exist switch create sw0 --type private", -EEXIST, "not private" },
		{ "switch create ext --type external", 0, NULL },
		{ "switch create priv --type private", 0, NULL },
		{ "switch set nope --aging 3", -ENOENT, "switch nope does not exist" },
		{ "port add sw0 p1 --vnic a", 0, NULL },
		{ "port add sw0 p1 --vnic a", -EEXIST, "already exists on switch sw0" },
		{ "--may-exist port add sw0 p1 --vnic a", 1, NULL },
		{ "--may-exist port add ext p1 --vnic a", -EEXIST, "not ext" },
		{ "--may-exist port add sw0 p1 --internal", -EEXIST, "as a vnic port, not internal" },
		{ "port add nope p2 --vnic a", -ENOENT, "switch nope does not exist" },
		{ "port add sw0 u1 --uplink net_null0", -EINVAL, "switch sw0 is internal" },
		{ "port add priv h1 --internal", -EINVAL, "switch priv is private" },
		{ "port add priv v1 --vnic b", 0, NULL },
		{ "port add ext u1 --uplink net_null0", 0, NULL },
		{ "port add ext u2 --uplink net_null0", -EBUSY, "already used by port u1" },
		{ "port add ext h1 --internal --devargs net_tap0", 0, NULL },
		{ "port add sw0 h2 --internal --devargs net_tap0", -EBUSY, "used by port h1" },
		{ "port add sw0 h3 --internal", 0, NULL },
		{ "port add sw0 h4 --internal", 0, NULL },
		{ "port set u1 --devargs net_tap0", -EBUSY, "used by port h1" },
		{ "port set u1 --devargs net_null1", 0, NULL },
		{ "port set p1 --devargs a/b", -EINVAL, "partition name" },
		{ "port set nope --devargs x", -ENOENT, "port nope does not exist" },
		{ "port vlan nope --access 3", -ENOENT, "port nope does not exist" },
		{ "port vlan p1 --access 3", 0, NULL },
		{ "port security p1 --storm-limit 9", 0, NULL },
		{ "port qos p1 --min-weight 9", 0, NULL },
		{ "port acl nope add --action deny --direction inbound --remote-ip 10.0.0.0/8",
		  -ENOENT, "port nope does not exist" },
		{ "port acl p1 add --action deny --direction inbound --remote-ip 10.0.0.0/8", 0, NULL },
		{ "port acl p1 add --action deny --direction outbound --remote-ip 10.0.0.0/8", 0,
		  NULL },
		{ "port acl p1 add --action allow --direction both --remote-ip 10.0.0.0/8", -EEXIST,
		  "already has an inbound deny ACL" },
		{ "port acl p1 add --action deny --direction inbound --remote-ip 10.0.0.0/9", 0, NULL },
		{ "--may-exist port acl p1 add --action deny --direction inbound "
		  "--remote-ip 10.0.0.0/8", 1, NULL },
		{ "port acl p1 add --weight 5 --action allow --direction inbound", 0, NULL },
		{ "port acl p1 add --weight 5 --action allow --direction outbound", 0, NULL },
		{ "port acl p1 add --weight 5 --action deny --direction both", -EEXIST, "weight 5" },
		{ "port acl p1 delete --weight 5", -EINVAL, "say which with --direction" },
		{ "port acl p1 delete --weight 5 --direction both", -ENOENT, "no extended ACL" },
		{ "port acl p1 delete --weight 5 --direction inbound", 0, NULL },
		{ "port acl p1 delete --weight 5", 0, NULL },
		{ "port acl p1 delete --weight 5", -ENOENT, "no extended ACL of weight 5" },
		{ "--if-exists port acl p1 delete --weight 5", 1, NULL },
		{ "--if-exists port acl nope delete --weight 5", 1, NULL },
		{ "port acl p1 delete --direction both --remote-ip 10.0.0.0/8", -ENOENT,
		  "no both ACL" },
		{ "port acl p1 delete --direction outbound --remote-ip 10.0.0.0/8", 0, NULL },
		{ "mirror add sw0 m0 --output h3 --select-src p1", 0, NULL },
		{ "mirror add sw0 m0 --output h3 --select-src p1", -EEXIST, "already exists" },
		{ "--may-exist mirror add sw0 m0 --output h3 --select-src p1", 1, NULL },
		{ "--may-exist mirror add sw0 m0 --output h3 --select-dst p1", -EEXIST,
		  "other settings" },
		{ "mirror add sw0 m1 --output u1 --select-all", -EINVAL, "port u1 is on switch ext" },
		{ "mirror add sw0 m1 --output h3 --select-src nope", -ENOENT, "port nope does not" },
		{ "mirror add nope m1 --output h3 --select-all", -ENOENT, "switch nope" },
		{ "port delete h3", -EBUSY, "used by mirror m0" },
		{ "port delete p1", -EBUSY, "used by mirror m0" },
		{ "mirror delete m0", 0, NULL },
		{ "mirror delete m0", -ENOENT, "mirror m0 does not exist" },
		{ "--if-exists mirror delete m0", 1, NULL },
		{ "extension add sw0 f1 --type forward --module a", 0, NULL },
		{ "extension add sw0 f1 --type filter --module a", -EEXIST, "already has extension" },
		{ "extension add sw0 f2 --type forward --module b", -EBUSY, "f1 enabled" },
		{ "extension add sw0 f2 --type forward --module b --disabled", 0, NULL },
		{ "extension add ext f3 --type forward --module b", 0, NULL },
		{ "extension enable sw0 f2", -EBUSY, "f1 enabled" },
		{ "extension enable sw0 f1", 0, NULL },
		{ "extension disable sw0 f1", 0, NULL },
		{ "extension enable sw0 f2", 0, NULL },
		{ "extension enable sw0 nope", -ENOENT, "has no extension nope" },
		{ "extension delete nope f2", -ENOENT, "switch nope does not exist" },
		{ "--if-exists extension delete nope f2", 1, NULL },
		{ "port delete p1", 0, NULL },
		{ "port delete p1", -ENOENT, "port p1 does not exist" },
		{ "--if-exists port delete p1", 1, NULL },
		{ "switch delete nope", -ENOENT, "switch nope does not exist" },
		{ "--if-exists switch delete nope", 1, NULL },
	};
	struct vsw_model *m = vsw_model_new(), *before = vsw_model_new();

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc;

		vsw_model_copy(before, m);
		rc = run(m, t[i].cmd);
		if (rc != t[i].rc || (t[i].why != NULL && strstr(why, t[i].why) == NULL))
			T_FAIL("'%s': rc %d (%s), want %d '%s'", t[i].cmd, rc, rc < 0 ? why : "",
			       t[i].rc, t[i].why ? t[i].why : "");
		/* A refusal or a no-op leaves the model as it was. */
		if (rc != 0 && !vsw_model_equal(before, m))
			T_FAIL("'%s' changed the model though it returned %d", t[i].cmd, rc);
		if (vsw_model_check(m, why, sizeof(why)) < 0)
			T_FAIL("after '%s' the model is inconsistent: %s", t[i].cmd, why);
	}
	vsw_model_free(m);
	vsw_model_free(before);
}

static void check_cascade_and_order(void)
{
	struct vsw_model *m = vsw_model_new();

	T_EQ(run(m, "switch create b --type internal"), 0);
	T_EQ(run(m, "switch create a --type internal"), 0);
	T_EQ(run(m, "port add b z --vnic x"), 0);
	T_EQ(run(m, "port add a y --vnic x"), 0);
	T_EQ(run(m, "port add b c --vnic x"), 0);
	T_EQ(run(m, "port acl z add --action deny --direction inbound --remote-ip 1.0.0.0/8"), 0);
	T_EQ(run(m, "port acl c add --action deny --direction inbound --remote-ip 2.0.0.0/8"), 0);
	T_EQ(run(m, "port acl z add --action deny --direction inbound --remote-ip 3.0.0.0/8"), 0);
	T_EQ(run(m, "port acl y add --action deny --direction inbound --remote-ip 4.0.0.0/8"), 0);
	T_EQ(run(m, "mirror add b m --output c --select-src z"), 0);
	T_EQ(run(m, "extension add b e2 --type filter --module x"), 0);
	T_EQ(run(m, "extension add a e1 --type filter --module x"), 0);
	T_EQ(run(m, "extension add b e0 --type filter --module x"), 0);
	/* Canonical order: by name; ACLs by port, then as added. */
	T_ASSERT(strcmp(m->switches[0].name, "a") == 0 && strcmp(m->ports[0].name, "c") == 0 &&
		 strcmp(m->ports[2].name, "z") == 0);
	T_ASSERT(strcmp(m->acls[0].port, "c") == 0 && strcmp(m->acls[1].port, "y") == 0);
	T_EQ(m->acls[2].remote.addr[0], 1);
	T_EQ(m->acls[3].remote.addr[0], 3);
	T_ASSERT(strcmp(m->exts[0].name, "e1") == 0 && strcmp(m->exts[1].name, "e2") == 0 &&
		 strcmp(m->exts[2].name, "e0") == 0);
	T_EQ(vsw_model_check(m, why, sizeof(why)), 0);
	/* A switch takes everything on it along. */
	T_EQ(run(m, "switch delete b"), 0);
	T_EQ(m->n_switches, 1);
	T_EQ(m->n_ports, 1);
	T_EQ(m->n_acls, 1);
	T_EQ(m->n_mirrors, 0);
	T_EQ(m->n_exts, 1);
	T_EQ(vsw_model_check(m, why, sizeof(why)), 0);
	vsw_model_free(m);
}

static void check_limits(void)
{
	struct vsw_model *m = vsw_model_new();
	char cmd[128];

	for (int i = 0; i < VSW_MAX_SWITCHES; i++) {
		snprintf(cmd, sizeof(cmd), "switch create s%02d --type private", i);
		T_EQ(run(m, cmd), 0);
	}
	T_EQ(run(m, "switch create one-more --type private"), -ENOSPC);
	T_ASSERT(strstr(why, "delete one first") != NULL);
	T_EQ(run(m, "port add s00 p --vnic x"), 0);
	for (int i = 0; i < VSW_MAX_ACLS_PER_PORT; i++) {
		snprintf(cmd, sizeof(cmd), "port acl p add --action deny --direction inbound "
			 "--remote-ip 10.%d.%d.0/24", i / 256, i % 256);
		T_EQ(run(m, cmd), 0);
	}
	T_EQ(run(m, "port acl p add --action deny --direction inbound --remote-ip 11.0.0.0/8"),
	     -ENOSPC);
	vsw_model_free(m);
}

struct recorder {
	struct vsw_model *m;
	unsigned int calls;
	unsigned int fail_at;
};

static int record(void *ctx, const struct vsw_change *c, const struct vsw_model *after,
		  char *w, size_t len)
{
	struct recorder *r = ctx;

	if (++r->calls == r->fail_at) {
		snprintf(w, len, "refused at %u", r->calls);
		return -EIO;
	}
	/* The model handed over is the one with the change made. */
	T_EQ(vsw_model_apply(r->m, c, w, len), 0);
	T_ASSERT(vsw_model_equal(r->m, after));
	return 0;
}

static void check_replay(void)
{
	struct vsw_model *m = vsw_model_new();
	struct recorder r = { .m = vsw_model_new() };

	T_EQ(run(m, "switch create s --type external"), 0);
	T_EQ(run(m, "port add s u --uplink net_null0"), 0);
	T_EQ(run(m, "port add s v --vnic x"), 0);
	T_EQ(run(m, "port vlan v --trunk 1-9 --native 4"), 0);
	T_EQ(run(m, "port security v --mac-spoof-guard on"), 0);
	T_EQ(run(m, "port acl v add --weight 3 --action allow --direction both --protocol tcp"),
	     0);
	T_EQ(run(m, "mirror add s m --output u --select-dst v"), 0);
	T_EQ(run(m, "extension add s e --type forward --module f --disabled"), 0);
	T_EQ(vsw_model_replay(m, record, &r, why, sizeof(why)), 0);
	T_EQ(r.calls, 6);
	T_ASSERT(vsw_model_equal(m, r.m));
	/* The first failure stops it, with its reason. */
	vsw_model_free(r.m);
	r = (struct recorder){ .m = vsw_model_new(), .fail_at = 3 };
	T_EQ(vsw_model_replay(m, record, &r, why, sizeof(why)), -EIO);
	T_ASSERT(strcmp(why, "refused at 3") == 0);
	T_EQ(r.calls, 3);
	vsw_model_free(r.m);
	vsw_model_free(m);
}

static void check_text(void)
{
	struct vsw_model *m = vsw_model_new();
	struct vsw_ctl_reply r = { .ok = true, .model = m };
	struct vsw_change q;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	T_EQ(run(m, "switch create s --type internal"), 0);
	T_EQ(run(m, "port add s v --vnic x"), 0);
	T_EQ(run(m, "port acl v add --action deny --direction inbound --remote-ip 10.0.0.0/8"), 0);
	vsw_change_init(&q, VSW_OP_SHOW);
	f = open_memstream(&buf, &len);
	vsw_ctl_print_text(f, &q, &r);
	fclose(f);
	if (strcmp(buf, "Switch s\n    type: internal\n    Port v\n        kind: vnic (partition x)\n"
			"        vlan: untagged\n        security: none\n"
			"        acl: inbound deny local any remote 10.0.0.0/8\n") != 0)
		T_FAIL("show:\n%s", buf);
	free(buf);
	vsw_model_free(m);
}

int main(void)
{
	T_RUN(check_verbs);
	T_RUN(check_values);
	T_RUN(check_errors);
	T_RUN(check_model_rules);
	T_RUN(check_cascade_and_order);
	T_RUN(check_limits);
	T_RUN(check_replay);
	T_RUN(check_text);
	return 0;
}
