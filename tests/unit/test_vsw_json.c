/* vswitch/vsw_json.c and vsw_ctl_json.c: the strict parser accepts JSON
 * and only JSON (table of texts), the writer escapes what it must, and
 * every request and reply survives encode -> decode -> encode unchanged:
 * requests built from real command lines of every verb, a model with
 * every kind of record, counters. Hostile requests are refused with a
 * reason, never crash (the fuzz target goes further). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness/hvn_test.h"
#include "vswitch/vsw_ctl.h"

static char why[1024];

static void check_parser(void)
{
	static const struct {
		const char *text;
		int rc;                  /* 0, -EINVAL or -E2BIG */
	} t[] = {
		{ "{}", 0 }, { "[]", 0 }, { " {\"a\" : [1, -2, 3.5e-7, true, false, null]} ", 0 },
		{ "\"x\"", 0 }, { "0", 0 }, { "-0", 0 }, { "1E+2", 0 }, { "\"\\u00e9\\ud83d\\ude00\"", 0 },
		{ "\"\xc3\xa9\xf0\x9f\x98\x80\"", 0 }, { "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", 0 },
		{ "", -EINVAL }, { " ", -EINVAL }, { "{", -EINVAL }, { "}", -EINVAL },
		{ "{,}", -EINVAL }, { "[1,]", -EINVAL }, { "{\"a\":1,}", -EINVAL }, { "[,1]", -EINVAL },
		{ "{a:1}", -EINVAL }, { "{'a':1}", -EINVAL }, { "{\"a\" 1}", -EINVAL },
		{ "01", -EINVAL }, { "1.", -EINVAL }, { ".5", -EINVAL }, { "+1", -EINVAL },
		{ "1e", -EINVAL }, { "NaN", -EINVAL }, { "Infinity", -EINVAL }, { "tru", -EINVAL },
		{ "nul", -EINVAL }, { "\"abc", -EINVAL }, { "\"a\nb\"", -EINVAL },
		{ "\"\\x\"", -EINVAL }, { "\"\\u12\"", -EINVAL }, { "\"\\ud800\"", -EINVAL },
		{ "\"\\udc00\"", -EINVAL }, { "\"\\ud800\\u0041\"", -EINVAL }, { "\"\xff\"", -EINVAL },
		{ "\"\xc0\xaf\"", -EINVAL }, { "\"\xed\xa0\x80\"", -EINVAL },
		{ "\"\xf4\x90\x80\x80\"", -EINVAL }, { "\"\xe2\x82\"", -EINVAL }, { "{} {}", -EINVAL },
		{ "[1] x", -EINVAL }, { "/* c */ {}", -EINVAL }, { "[1 2]", -EINVAL },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct vsw_jdoc d;
		int rc = vsw_json_parse(&d, t[i].text, strlen(t[i].text), 1000, why, sizeof(why));

		if (rc != t[i].rc)
			T_FAIL("'%s': rc %d, want %d (%s)", t[i].text, rc, t[i].rc, why);
		if (rc < 0 && strstr(why, "at byte") == NULL)
			T_FAIL("'%s': the error does not say where: %s", t[i].text, why);
		if (rc == 0)
			vsw_json_free(&d);
	}
}

static void check_limits(void)
{
	char deep[200];
	struct vsw_jdoc d;
	int n;

	/* Depth: 32 levels parse, 33 do not. */
	for (n = 0; n < 32; n++)
		deep[n] = '[';
	for (int i = 0; i < 32; i++)
		deep[n++] = ']';
	T_EQ(vsw_json_parse(&d, deep, (size_t)n, 1000, why, sizeof(why)), 0);
	vsw_json_free(&d);
	memmove(deep + 1, deep, (size_t)n);
	deep[0] = '[';
	deep[++n] = ']';
	n++;
	T_EQ(vsw_json_parse(&d, deep, (size_t)n, 1000, why, sizeof(why)), -E2BIG);
	/* Node budget. */
	T_EQ(vsw_json_parse(&d, "[1,2,3]", 7, 4, why, sizeof(why)), 0);
	vsw_json_free(&d);
	T_EQ(vsw_json_parse(&d, "[1,2,3]", 7, 3, why, sizeof(why)), -E2BIG);
	/* No terminator needed: the length is the end. */
	T_EQ(vsw_json_parse(&d, "[1]]]]", 3, 10, why, sizeof(why)), 0);
	vsw_json_free(&d);
	T_EQ(vsw_json_parse(&d, "\"ab", 2, 10, why, sizeof(why)), -EINVAL);
}

static void check_getters(void)
{
	static const char text[] = "{\"s\":\"a\\u0000b\",\"k\\u00e9y\":\"\\u00e9\",\"n\":-12,"
				   "\"big\":18446744073709551615,\"over\":18446744073709551616,"
				   "\"f\":1.5,\"b\":true,\"arr\":[[1],{\"x\":2},3]}";
	struct vsw_jdoc d;
	char s[16];
	uint64_t u;
	int64_t v;
	bool b;
	uint32_t i, arr;

	T_EQ(vsw_json_parse(&d, text, sizeof(text) - 1, 100, why, sizeof(why)), 0);
	T_EQ(vsw_json_type(&d, 0), VSW_JOBJ);
	T_EQ(d.nodes[0].n, 8);
	i = vsw_json_first(&d, 0);
	T_EQ(vsw_json_str(&d, i, s, sizeof(s)), -EINVAL);       /* holds a NUL */
	i = vsw_json_next(&d, i);
	T_EQ(vsw_json_key(&d, i, s, sizeof(s)), 0);
	T_ASSERT(strcmp(s, "k\xc3\xa9y") == 0);
	T_EQ(vsw_json_str(&d, i, s, 2), -E2BIG);
	T_EQ(vsw_json_str(&d, i, s, 3), 0);
	i = vsw_json_next(&d, i);
	T_EQ(vsw_json_u64(&d, i, &u), -EINVAL);
	T_EQ(vsw_json_i64(&d, i, &v), 0);
	T_EQ(v, -12);
	i = vsw_json_next(&d, i);
	T_EQ(vsw_json_u64(&d, i, &u), 0);
	T_ASSERT(u == UINT64_MAX);
	T_EQ(vsw_json_i64(&d, i, &v), -EINVAL);
	i = vsw_json_next(&d, i);
	T_EQ(vsw_json_u64(&d, i, &u), -EINVAL);
	i = vsw_json_next(&d, i);
	T_EQ(vsw_json_u64(&d, i, &u), -EINVAL);
	i = vsw_json_next(&d, i);
	T_EQ(vsw_json_bool(&d, i, &b), 0);
	T_ASSERT(b);
	T_EQ(vsw_json_u64(&d, i, &u), -EINVAL);
	arr = vsw_json_next(&d, i);
	T_EQ(vsw_json_type(&d, arr), VSW_JARR);
	T_EQ(d.nodes[arr].n, 3);
	i = vsw_json_next(&d, vsw_json_next(&d, vsw_json_first(&d, arr)));
	T_EQ(vsw_json_u64(&d, i, &u), 0);
	T_EQ(u, 3);
	T_EQ(vsw_json_next(&d, i), d.n);
	vsw_json_free(&d);
}

static void check_writer(void)
{
	struct vsw_jw w;
	struct vsw_jdoc d;
	char s[64];

	vsw_jw_init(&w);
	vsw_jw_obj_open(&w);
	vsw_jw_kstr(&w, "q\"\\", "a\nb\tc\x01\x1f\"\\/");
	vsw_jw_key(&w, "a");
	vsw_jw_arr_open(&w);
	vsw_jw_u64(&w, UINT64_MAX);
	vsw_jw_i64(&w, INT64_MIN);
	vsw_jw_bool(&w, false);
	vsw_jw_null(&w);
	vsw_jw_arr_open(&w);
	vsw_jw_arr_close(&w);
	vsw_jw_obj_open(&w);
	vsw_jw_obj_close(&w);
	vsw_jw_arr_close(&w);
	vsw_jw_obj_close(&w);
	T_EQ(w.err, 0);
	if (strcmp(w.buf, "{\"q\\\"\\\\\":\"a\\nb\\tc\\u0001\\u001f\\\"\\\\/\",\"a\":"
			  "[18446744073709551615,-9223372036854775808,false,null,[],{}]}") != 0)
		T_FAIL("writer: %s", w.buf);
	T_EQ(vsw_json_parse(&d, w.buf, w.len, 100, why, sizeof(why)), 0);
	T_EQ(vsw_json_str(&d, 1, s, sizeof(s)), 0);
	T_ASSERT(strcmp(s, "a\nb\tc\x01\x1f\"\\/") == 0);
	vsw_json_free(&d);
	T_ASSERT(strchr(w.buf, '\n') == NULL);
	vsw_jw_free(&w);

	/* Too deep and unbalanced are errors, and they stick. */
	vsw_jw_init(&w);
	for (int i = 0; i < VSW_JSON_MAX_DEPTH + 1; i++)
		vsw_jw_arr_open(&w);
	T_EQ(w.err, -E2BIG);
	vsw_jw_free(&w);
	vsw_jw_init(&w);
	vsw_jw_arr_close(&w);
	T_EQ(w.err, -EINVAL);
	vsw_jw_free(&w);
}

/* Command lines of every verb (and the forms each takes). */
static const char *const cmdlines[] = {
	"switch create sw0 --type internal",
	"switch create ext0 --type external --fdb-size 4096 --aging 120 --may-exist",
	"switch delete sw0 --if-exists",
	"switch set sw0 --fdb-size 100",
	"switch set sw0 --aging 7 --fdb-size 0",
	"switch create sw5 --type private --lcore 3",
	"switch set sw5 --lcore auto",
	"switch set sw5 --lcore 1023",
	"switch list",
	"port add sw0 p1 --vnic vnf-a",
	"port add ext0 u1 --uplink net_af_packet0,iface=veth0 --mac 00:15:5d:00:00:09",
	"port add sw0 h0 --internal --devargs net_tap0,iface=hv0 --may-exist",
	"port delete p1",
	"port set p1 --devargs vnf-b",
	"port set p1 --mac none",
	"port list sw0",
	"port vlan p1 --access 10",
	"port vlan p1 --trunk 1-100,200 --native 10",
	"port vlan p1 --trunk all",
	"port vlan p1 --untagged",
	"port security p1 --mac-spoof-guard on --dhcp-guard off --router-guard on "
	"--storm-limit 1k --mac-limit 64 --mac 02:00:00:00:00:01",
	"port security p1 --dhcp-guard on",
	"port qos p1 --max-bps 1e9 --min-weight 20",
	"port qos p1 --max-bps 0",
	"port acl p1 add --action deny --direction inbound --remote-ip 10.0.0.0/8",
	"port acl p1 add --action meter --direction both --local-ip 2001:db8::/48 "
	"--remote-ip any --may-exist",
	"port acl p1 add --action allow --direction outbound --remote-mac 00:15:5d:aa:bb:cc",
	"port acl p1 add --weight 100 --action allow --direction outbound --protocol tcp "
	"--remote-ip 192.0.2.0/24 --remote-port 443 --local-port 1024-65535 --stateful on "
	"--idle-timeout 60",
	"port acl p1 add --weight 7 --action deny --direction inbound --protocol 47",
	"port acl p1 delete --direction inbound --remote-ip 10.0.0.0/8 --if-exists",
	"port acl p1 delete --weight 100",
	"port acl p1 delete --weight 100 --direction outbound",
	"port acl p1 list",
	"mirror add sw0 m0 --output p2 --select-src p1,p3 --select-dst p4 --select-vlan 5,7-9",
	"mirror add sw0 m1 --output p2 --select-all --may-exist",
	"mirror delete m0",
	"mirror list",
	"mirror list sw0",
	"extension add sw0 cap0 --type capture --module pcapdump --args snaplen=64",
	"extension add sw0 f0 --type forward --module /usr/lib/x.so --disabled",
	"extension delete sw0 cap0 --if-exists",
	"extension enable sw0 f0",
	"extension disable sw0 f0",
	"extension list",
	"extension list sw0",
	"show",
	"show sw0",
	"stats",
	"stats p1",
	"stats --switch sw0",
	"capture start p1 --file /tmp/x.pcap --direction inbound --count 5 --snaplen 128",
	"capture stop p1",
};

static int split(char *line, char **argv, int max)
{
	int n = 0;

	for (char *t = strtok(line, " "); t != NULL && n < max; t = strtok(NULL, " "))
		argv[n++] = t;
	return n;
}

static char *encode(const struct vsw_change *c)
{
	struct vsw_jw w;
	char *s;

	vsw_jw_init(&w);
	vsw_ctl_encode_request(c, &w);
	T_EQ(w.err, 0);
	s = strdup(w.buf);
	vsw_jw_free(&w);
	return s;
}

static void check_request_round_trips(void)
{
	for (size_t i = 0; i < sizeof(cmdlines) / sizeof(cmdlines[0]); i++) {
		struct vsw_cli cli;
		struct vsw_change back;
		char line[512], *argv[40], *a, *b;
		int argc;

		snprintf(line, sizeof(line), "%s", cmdlines[i]);
		argc = split(line, argv, 40);
		if (vsw_cli_parse(argc, argv, &cli, why, sizeof(why)) < 0)
			T_FAIL("'%s' refused: %s", cmdlines[i], why);
		a = encode(&cli.req);
		if (vsw_ctl_decode_request(a, strlen(a), &back, why, sizeof(why)) < 0)
			T_FAIL("'%s': %s does not decode: %s", cmdlines[i], a, why);
		T_EQ(back.op, cli.req.op);
		T_EQ(back.flags, cli.req.flags);
		T_EQ(back.fields, cli.req.fields);
		T_ASSERT(strcmp(back.sw, cli.req.sw) == 0 && strcmp(back.port, cli.req.port) == 0 &&
			 strcmp(back.name, cli.req.name) == 0);
		T_EQ(back.n_acls, cli.req.n_acls);
		b = encode(&back);
		if (strcmp(a, b) != 0)
			T_FAIL("'%s' does not survive a round trip:\n  %s\n  %s", cmdlines[i], a, b);
		free(a);
		free(b);
		vsw_change_fini(&back);
		vsw_change_fini(&cli.req);
	}
}

static void check_request_details(void)
{
	struct vsw_change c;
	static const char acl[] = "{\"op\":\"acl-add\",\"port\":\"p1\",\"config\":{\"extended\":true,"
		"\"action\":\"allow\",\"direction\":\"outbound\",\"weight\":9,\"protocol\":\"udp\","
		"\"remote\":\"10.1.0.0/16\",\"remote_ports\":\"53\",\"stateful\":true}}";

	T_EQ(vsw_ctl_decode_request(acl, sizeof(acl) - 1, &c, why, sizeof(why)), 0);
	T_ASSERT(c.acl.extended && c.acl.weight == 9 && c.acl.protocol == 17 && c.acl.stateful);
	T_EQ(c.acl.remote_port_lo, 53);
	T_EQ(c.acl.remote_port_hi, 53);
	T_EQ(c.acl.local_port_hi, 65535);
	T_EQ(c.acl.remote.plen, 16);
	T_ASSERT(strcmp(c.acl.port, "p1") == 0);

	/* acl-load: each ACL whole, defaults filled, the port named in each. */
	static const char load[] = "{\"op\":\"acl-load\",\"port\":\"p1\",\"replace\":true,"
		"\"config\":[{\"action\":\"deny\",\"direction\":\"inbound\",\"remote\":\"10.0.0.0/8\"},"
		"{\"extended\":true,\"action\":\"allow\",\"direction\":\"both\",\"weight\":3}]}";

	T_EQ(vsw_ctl_decode_request(load, sizeof(load) - 1, &c, why, sizeof(why)), 0);
	T_EQ(c.n_acls, 2);
	T_EQ(c.flags, VSW_F_REPLACE);
	T_ASSERT(!c.acls[0].extended && c.acls[0].remote.plen == 8 && c.acls[1].weight == 3);
	T_EQ(c.acls[1].local_port_hi, 65535);
	T_ASSERT(strcmp(c.acls[1].port, "p1") == 0);
	vsw_change_fini(&c);
}

static void check_request_refusals(void)
{
	static const struct {
		const char *text;
		const char *why;
	} t[] = {
		{ "{}", "no op" },
		{ "{\"op\":1}", "must be a string" },
		{ "{\"op\":\"show\",\"version\":1,\"version\":1}", "twice" },
		{ "{\"op\":\"show\",\"may_exist\":true}", "--may-exist does not apply to show" },
		{ "{\"op\":\"switch-create\",\"switch\":\"s\"}", "needs a config" },
		{ "{\"op\":\"switch-create\",\"config\":{\"type\":\"private\"}}", "needs a switch" },
		{ "{\"op\":\"switch-create\",\"switch\":\"s\",\"config\":{}}", "needs its type" },
		{ "{\"op\":\"switch-create\",\"switch\":\"s\",\"config\":{\"type\":\"big\"}}",
		  "external, internal or private" },
		{ "{\"op\":\"switch-create\",\"switch\":\"-s\",\"config\":{\"type\":\"private\"}}",
		  "must start with a letter" },
		{ "{\"op\":\"switch-set\",\"switch\":\"s\",\"config\":{}}", "at least one setting" },
		{ "{\"op\":\"switch-set\",\"switch\":\"s\",\"config\":{\"type\":\"private\"}}",
		  "no field type" },
		{ "{\"op\":\"port-add\",\"switch\":\"s\",\"port\":\"p\",\"config\":{\"devargs\":\"x\"}}",
		  "needs its kind" },
		{ "{\"op\":\"port-add\",\"switch\":\"s\",\"port\":\"p\",\"config\":{\"kind\":\"vnic\"}}",
		  "names the partition" },
		{ "{\"op\":\"port-vlan\",\"port\":\"p\",\"config\":{\"mode\":\"trunk\"}}",
		  "needs its allowed VLANs" },
		{ "{\"op\":\"port-vlan\",\"port\":\"p\",\"config\":{\"mode\":\"access\",\"vlan\":0}}",
		  "out of range" },
		{ "{\"op\":\"port-vlan\",\"port\":\"p\",\"config\":{\"mode\":\"untagged\",\"native\":3}}",
		  "only a trunk port" },
		{ "{\"op\":\"port-vlan\",\"port\":\"p\",\"config\":{\"mode\":\"trunk\","
		  "\"allowed\":\"1-5000\"}}", "out of range" },
		{ "{\"op\":\"port-security\",\"port\":\"p\",\"config\":{\"dhcp_guard\":1}}",
		  "must be a boolean" },
		{ "{\"op\":\"port-security\",\"port\":\"p\",\"config\":{\"mac\":\"01:00:00:00:00:00\"}}",
		  "multicast" },
		{ "{\"op\":\"port-qos\",\"port\":\"p\",\"config\":{\"max_bps\":1e9}}", "whole number" },
		{ "{\"op\":\"port-qos\",\"port\":\"p\",\"config\":{\"min_weight\":101}}",
		  "whole number from 0 to 100" },
		{ "{\"op\":\"acl-add\",\"port\":\"p\",\"config\":{\"action\":\"deny\"}}",
		  "action and a direction" },
		{ "{\"op\":\"acl-add\",\"port\":\"p\",\"config\":{\"action\":\"deny\","
		  "\"direction\":\"inbound\",\"remote\":\"10.0.0.1/8\"}}", "host bits" },
		{ "{\"op\":\"acl-add\",\"port\":\"p\",\"config\":{\"action\":\"deny\","
		  "\"direction\":\"inbound\"}}", "needs a local or remote" },
		{ "{\"op\":\"mirror-add\",\"switch\":\"s\",\"name\":\"m\",\"config\":"
		  "{\"select_all\":true}}", "output port" },
		{ "{\"op\":\"mirror-add\",\"switch\":\"s\",\"name\":\"m\",\"config\":{\"output\":\"o\","
		  "\"select_src\":[\"a\",\"a\"]}}", "listed twice" },
		{ "{\"op\":\"mirror-add\",\"switch\":\"s\",\"name\":\"m\",\"config\":{\"output\":\"o\","
		  "\"select_src\":[1]}}", "must be a string" },
		{ "{\"op\":\"extension-add\",\"switch\":\"s\",\"name\":\"e\",\"config\":"
		  "{\"type\":\"filter\"}}", "type and module" },
		{ "{\"op\":\"capture-start\",\"port\":\"p\",\"config\":{\"snaplen\":300000}}",
		  "snap length" },
		{ "{\"op\":\"show\",\"port\":\"p\"}", "does not apply to show" },
		{ "{\"op\":\"acl-load\",\"port\":\"p\",\"config\":{}}", "must be an array" },
		{ "{\"op\":\"acl-load\",\"port\":\"p\",\"config\":[{\"action\":\"deny\"}]}",
		  "ACL 1 needs an action and a direction" },
		{ "{\"op\":\"acl-load\",\"port\":\"p\",\"config\":[{\"action\":\"deny\","
		  "\"direction\":\"both\",\"remote\":\"10.0.0.0/40\"}]}", "ACL 1" },
		{ "{\"op\":\"acl-add\",\"port\":\"p\",\"replace\":true,\"config\":{\"action\":"
		  "\"deny\",\"direction\":\"both\"}}", "--replace does not apply to acl-add" },
		{ "{\"op\":\"show\",\"switch\":\"0123456789012345678901234567890123\"}",
		  "longer than 31" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct vsw_change c;
		int rc = vsw_ctl_decode_request(t[i].text, strlen(t[i].text), &c, why, sizeof(why));

		if (rc != -EINVAL || strstr(why, t[i].why) == NULL)
			T_FAIL("%s: rc %d, why '%s', want '%s'", t[i].text, rc, why, t[i].why);
	}
}

static void add(struct vsw_model *m, const char *cmd)
{
	struct vsw_cli cli;
	char line[512], *argv[40];
	int argc;

	snprintf(line, sizeof(line), "%s", cmd);
	argc = split(line, argv, 40);
	if (vsw_cli_parse(argc, argv, &cli, why, sizeof(why)) < 0 ||
	    vsw_model_apply(m, &cli.req, why, sizeof(why)) != 0)
		T_FAIL("'%s': %s", cmd, why);
}

/* A model with every kind of record, in more than one switch. */
static struct vsw_model *sample_model(void)
{
	struct vsw_model *m = vsw_model_new();

	T_ASSERT(m != NULL);
	add(m, "switch create sw1 --type internal");
	add(m, "switch create sw0 --type external --fdb-size 99 --aging 30");
	add(m, "port add sw1 zz --vnic part1");
	add(m, "port add sw0 aa --uplink net_null0");
	add(m, "port add sw1 mm --internal");
	add(m, "port add sw0 bb --vnic part2 --mac 00:15:5d:00:00:01");
	add(m, "port vlan zz --trunk 2-4,4000 --native 3");
	add(m, "port vlan aa --access 4094");
	add(m, "port security zz --mac-spoof-guard on --storm-limit 5 --mac-limit 6");
	add(m, "port qos bb --max-bps 10G --min-weight 100");
	add(m, "port acl zz add --action deny --direction inbound --remote-ip 10.0.0.0/8");
	add(m, "port acl aa add --action allow --direction both --local-mac 00:15:5d:00:00:02");
	add(m, "port acl zz add --weight 5 --action allow --direction outbound --protocol tcp "
	       "--remote-port 80-90 --stateful on");
	add(m, "mirror add sw1 m1 --output mm --select-src zz --select-vlan 1-9");
	add(m, "mirror add sw0 m0 --output aa --select-all");
	add(m, "extension add sw1 e2 --type filter --module acl --args x=1");
	add(m, "extension add sw1 e1 --type forward --module /opt/f.so --disabled");
	add(m, "extension add sw0 e0 --type capture --module pcap");
	T_EQ(vsw_model_check(m, why, sizeof(why)), 0);
	return m;
}

static void check_reply_round_trips(void)
{
	struct vsw_model *m = sample_model();
	struct vsw_ctl_reply r;
	struct vsw_ctl_stats st[2] = { { .port = "p1", .sw = "sw0", .attached = true },
				       { .port = "p2", .sw = "sw0" } };
	struct vsw_jw w;

	vsw_jw_init(&w);
	vsw_ctl_encode_model_reply(&w, m);
	T_EQ(w.err, 0);
	T_EQ(vsw_ctl_decode_reply(w.buf, w.len, VSW_OP_SHOW, &r, why, sizeof(why)), 0);
	T_ASSERT(r.ok && !r.changed && r.model != NULL);
	if (!vsw_model_equal(m, r.model))
		T_FAIL("the model does not survive a round trip: %s", w.buf);
	vsw_ctl_reply_free(&r);
	vsw_jw_free(&w);

	T_EQ(vsw_ctl_stats_add(&st[0], "rx_packets", 1), 0);
	T_EQ(vsw_ctl_stats_add(&st[0], "drop_acl", UINT64_MAX), 0);
	T_EQ(vsw_ctl_stats_add(&st[0], "Bad-Name", 1), -EINVAL);
	T_EQ(vsw_ctl_stats_add(&st[0], "", 1), -EINVAL);
	vsw_jw_init(&w);
	vsw_ctl_encode_stats_reply(&w, st, 2);
	T_EQ(vsw_ctl_decode_reply(w.buf, w.len, VSW_OP_STATS, &r, why, sizeof(why)), 0);
	T_EQ(r.n_stats, 2);
	T_ASSERT(r.stats[0].attached && !r.stats[1].attached);
	T_EQ(r.stats[0].n, 2);
	T_ASSERT(strcmp(r.stats[0].c[1].name, "drop_acl") == 0 && r.stats[0].c[1].value == UINT64_MAX);
	vsw_ctl_reply_free(&r);
	vsw_jw_free(&w);

	vsw_jw_init(&w);
	vsw_ctl_encode_error(&w, -ENOENT, "port p9 does not exist");
	T_ASSERT(strcmp(w.buf, "{\"ok\":false,\"error\":\"ENOENT\",\"errno\":2,"
			       "\"why\":\"port p9 does not exist\"}") == 0);
	T_EQ(vsw_ctl_decode_reply(w.buf, w.len, VSW_OP_PORT_VLAN, &r, why, sizeof(why)), 0);
	T_ASSERT(!r.ok && r.err == -ENOENT && strcmp(r.why, "port p9 does not exist") == 0);
	vsw_ctl_reply_free(&r);
	vsw_jw_free(&w);

	T_EQ(vsw_ctl_decode_reply("{\"ok\":false}", 12, VSW_OP_SHOW, &r, why, sizeof(why)),
	     -EINVAL);
	T_EQ(vsw_ctl_decode_reply("{\"ok\":true,\"extra\":1}", 21, VSW_OP_SHOW, &r, why,
				  sizeof(why)), -EINVAL);
	vsw_model_free(m);
}

int main(void)
{
	T_RUN(check_parser);
	T_RUN(check_limits);
	T_RUN(check_getters);
	T_RUN(check_writer);
	T_RUN(check_request_round_trips);
	T_RUN(check_request_details);
	T_RUN(check_request_refusals);
	T_RUN(check_reply_round_trips);
	return 0;
}
