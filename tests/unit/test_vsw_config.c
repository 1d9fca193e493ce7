/* vswitch/vsw_config.c: every field syntax parses what it should, refuses
 * what it should with a sentence that names the value, and formats back
 * to the same text; every record validator accepts the defaults and
 * refuses each kind of bad value. Table-driven. */
#include <errno.h>
#include <string.h>

#include "tests/harness/hvn_test.h"
#include "vswitch/vsw_config.h"

static char why[512];

static void check_names(void)
{
	static const struct {
		const char *s;
		bool ok;
	} t[] = {
		{ "sw0", true }, { "a", true }, { "P-1_x.y", true },
		{ "0123456789012345678901234567890", true },
		{ "01234567890123456789012345678901", false }, /* 32 characters */
		{ "", false }, { "-x", false }, { ".x", false }, { "a b", false },
		{ "a/b", false }, { "a,b", false }, { "\xc3\xa9", false },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = vsw_cfg_check_name(t[i].s, why, sizeof(why));

		if ((rc == 0) != t[i].ok)
			T_FAIL("name '%s': rc %d (%s)", t[i].s, rc, why);
		if (rc < 0)
			T_EQ(rc, -EINVAL);
	}
}

static void check_vlan_lists(void)
{
	static const struct {
		const char *in;
		const char *out;         /* NULL: refused */
		const char *why;         /* what the refusal says */
	} t[] = {
		{ "1", "1", NULL }, { "1-100,200", "1-100,200", NULL },
		{ "200,1-100", "1-100,200", NULL }, { "5,6,7,9", "5-7,9", NULL },
		{ "4094", "4094", NULL }, { "1-4094", "1-4094", NULL }, { "all", "1-4094", NULL },
		{ "10-10", "10", NULL }, { "3,3,3", "3", NULL },
		{ "0", NULL, "out of range" }, { "4095", NULL, "out of range" },
		{ "1-4095", NULL, "out of range" }, { "", NULL, "not a VLAN list" },
		{ "1,", NULL, "not a VLAN list" }, { ",1", NULL, "not a VLAN list" },
		{ "1,,2", NULL, "not a VLAN list" }, { "5-1", NULL, "runs backwards" },
		{ "1 2", NULL, "not a VLAN list" }, { "-1", NULL, "not a VLAN list" },
		{ "1-", NULL, "not a VLAN list" }, { "x", NULL, "not a VLAN list" },
		{ "99999999999", NULL, "out of range" }, { "+5", NULL, "not a VLAN list" },
	};
	uint64_t map[64];
	char out[VSW_VLAN_LIST_MAX];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = vsw_vlan_parse_list(t[i].in, map, why, sizeof(why));

		if (t[i].out == NULL) {
			if (rc != -EINVAL || strstr(why, t[i].why) == NULL)
				T_FAIL("'%s': rc %d, why '%s' (want '%s')", t[i].in, rc, why, t[i].why);
			continue;
		}
		if (rc != 0)
			T_FAIL("'%s' refused: %s", t[i].in, why);
		vsw_vlan_format_list(map, out, sizeof(out));
		if (strcmp(out, t[i].out) != 0)
			T_FAIL("'%s' formats as '%s', want '%s'", t[i].in, out, t[i].out);
	}
}

/* The worst case (every other VLAN) fits VSW_VLAN_LIST_MAX, and a short
 * buffer gets a list cut at an entry and marked. */
static void check_vlan_format_bounds(void)
{
	uint64_t map[64] = { 0 }, back[64];
	char out[VSW_VLAN_LIST_MAX], small[16];
	int need;

	for (unsigned int v = 1; v <= VSW_VLAN_MAX; v += 2)
		map[v / 64] |= 1ull << (v % 64);
	need = vsw_vlan_format_list(map, out, sizeof(out));
	T_ASSERT(need > 0 && (size_t)need < sizeof(out));
	T_EQ(strlen(out), need);
	T_EQ(vsw_vlan_parse_list(out, back, why, sizeof(why)), 0);
	T_ASSERT(memcmp(map, back, sizeof(map)) == 0);
	T_EQ(vsw_vlan_format_list(map, small, sizeof(small)), need);
	if (strcmp(small, "1,3,5,7,9,...") != 0)
		T_FAIL("cut list '%s'", small);
	memset(map, 0, sizeof(map));
	T_EQ(vsw_vlan_format_list(map, out, sizeof(out)), 0);
	T_EQ(out[0], '\0');
}

static void check_numbers(void)
{
	static const struct {
		const char *s;
		uint64_t max;
		int64_t want;            /* -1: refused */
	} t[] = {
		{ "0", 100, 0 }, { "100", 100, 100 }, { "101", 100, -1 }, { "1e9", 10000000000ull,
		1000000000 }, { "10G", 10000000000ull, 10000000000ll }, { "2.5G", 10000000000ull,
		2500000000ll }, { "1k", 10000, 1000 }, { "1.5", 10, -1 }, { "1e-3", 10, -1 },
		{ "", 10, -1 }, { "-1", 10, -1 }, { "+1", 10, -1 }, { " 1", 10, -1 }, { "1 ", 10, -1 },
		{ "0x10", 100, -1 }, { "inf", 100, -1 }, { "nan", 100, -1 }, { "1e", 100, -1 },
		{ "1.", 100, -1 }, { "1g", 100, -1 }, { "1e400", 100, -1 },
		{ "18446744073709551615", UINT64_MAX, -2 }, { "18446744073709551616", UINT64_MAX, -1 },
		{ "10T", 10000000000000ull, 10000000000000ll }, { "11T", 10000000000000ull, -1 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = 7;
		int rc = vsw_parse_u64(t[i].s, t[i].max, &v, why, sizeof(why));

		if (t[i].want == -1) {
			if (rc != -EINVAL)
				T_FAIL("'%s' accepted as %llu", t[i].s, (unsigned long long)v);
		} else if (rc != 0) {
			T_FAIL("'%s' refused: %s", t[i].s, why);
		} else if (t[i].want == -2 ? v != UINT64_MAX : v != (uint64_t)t[i].want) {
			T_FAIL("'%s' is %llu", t[i].s, (unsigned long long)v);
		}
	}
}

static void check_addresses(void)
{
	static const struct {
		const char *in;
		const char *out;         /* NULL: refused */
		enum vsw_addr_kind kind;
	} t[] = {
		{ "any", "any", VSW_ADDR_ANY },
		{ "00:15:5D:0a:0b:0c", "00:15:5d:0a:0b:0c", VSW_ADDR_MAC },
		{ "00-15-5d-0a-0b-0c", "00:15:5d:0a:0b:0c", VSW_ADDR_MAC },
		{ "10.0.0.0/8", "10.0.0.0/8", VSW_ADDR_IPV4 },
		{ "10.1.2.3", "10.1.2.3/32", VSW_ADDR_IPV4 },
		{ "0.0.0.0/0", "0.0.0.0/0", VSW_ADDR_IPV4 },
		{ "2001:db8::/32", "2001:db8::/32", VSW_ADDR_IPV6 },
		{ "::1", "::1/128", VSW_ADDR_IPV6 },
		{ "192.168.1.128/25", "192.168.1.128/25", VSW_ADDR_IPV4 },
		{ "10.0.0.1/8", NULL, 0 }, { "10.0.0.0/33", NULL, 0 }, { "10.0.0.0/", NULL, 0 },
		{ "10.0.0.0/-1", NULL, 0 }, { "2001:db8::1/32", NULL, 0 }, { "10.0.0", NULL, 0 },
		{ "00:15:5d:0a:0b", NULL, 0 }, { "00:15:5d:0a:0b:0g", NULL, 0 }, { "", NULL, 0 },
		{ "ANY", NULL, 0 }, { "1.2.3.4/08x", NULL, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct vsw_acl_addr a, b;
		char out[VSW_ADDR_STR];
		int rc = vsw_acl_addr_parse(t[i].in, &a, why, sizeof(why));

		if (t[i].out == NULL) {
			if (rc != -EINVAL)
				T_FAIL("'%s' accepted", t[i].in);
			continue;
		}
		if (rc != 0)
			T_FAIL("'%s' refused: %s", t[i].in, why);
		T_EQ(a.kind, t[i].kind);
		vsw_acl_addr_format(&a, out);
		if (strcmp(out, t[i].out) != 0)
			T_FAIL("'%s' formats as '%s'", t[i].in, out);
		T_EQ(vsw_acl_addr_parse(out, &b, why, sizeof(why)), 0);
		T_ASSERT(memcmp(&a, &b, sizeof(a)) == 0);
	}
	T_EQ(vsw_acl_addr_parse("10.0.0.1/8", &(struct vsw_acl_addr){ 0 }, why, sizeof(why)),
	     -EINVAL);
	T_ASSERT(strstr(why, "did you mean 10.0.0.0/8?") != NULL);
}

static void check_protocols_and_ports(void)
{
	static const struct {
		const char *in;
		const char *out;
	} protos[] = {
		{ "tcp", "tcp" }, { "udp", "udp" }, { "any", "any" }, { "6", "tcp" }, { "47", "47" },
		{ "0", "0" }, { "255", "255" }, { "256", NULL }, { "TCP", NULL }, { "", NULL },
		{ "-1", NULL },
	};
	static const struct {
		const char *in;
		const char *out;
	} ranges[] = {
		{ "80", "80" }, { "1024-65535", "1024-65535" }, { "any", "any" },
		{ "0-65535", "any" }, { "5-5", "5" }, { "0", "0" }, { "65536", NULL },
		{ "10-5", NULL }, { "1-2-3", NULL }, { "-5", NULL }, { "5-", NULL }, { "", NULL },
	};

	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		int16_t p;
		char out[8];
		int rc = vsw_acl_proto_parse(protos[i].in, &p, why, sizeof(why));

		if (protos[i].out == NULL) {
			T_EQ(rc, -EINVAL);
			continue;
		}
		T_EQ(rc, 0);
		vsw_acl_proto_format(p, out);
		if (strcmp(out, protos[i].out) != 0)
			T_FAIL("protocol '%s' formats as '%s'", protos[i].in, out);
	}
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		uint16_t lo, hi;
		char out[12];
		int rc = vsw_port_range_parse(ranges[i].in, &lo, &hi, why, sizeof(why));

		if (ranges[i].out == NULL) {
			T_EQ(rc, -EINVAL);
			continue;
		}
		T_EQ(rc, 0);
		vsw_port_range_format(lo, hi, out);
		if (strcmp(out, ranges[i].out) != 0)
			T_FAIL("range '%s' formats as '%s'", ranges[i].in, out);
	}
}

static struct vsw_port_cfg good_port(void)
{
	struct vsw_port_cfg p;

	vsw_port_cfg_init(&p);
	strcpy(p.name, "p1");
	strcpy(p.sw, "sw0");
	p.kind = VSW_PORT_VNIC;
	strcpy(p.devargs, "vnf-a");
	return p;
}

static void expect_port(const struct vsw_port_cfg *p, bool ok, const char *what)
{
	int rc = vsw_cfg_check_port(p, why, sizeof(why));

	if ((rc == 0) != ok)
		T_FAIL("%s: rc %d (%s)", what, rc, why);
	if (rc < 0 && strstr(why, "port p1") == NULL)
		T_FAIL("%s: the refusal does not name the port: %s", what, why);
}

static void check_ports(void)
{
	struct vsw_port_cfg p = good_port();

	expect_port(&p, true, "a vNIC");
	p.kind = VSW_PORT_UPLINK;
	strcpy(p.devargs, "net_af_packet0,iface=veth0");
	expect_port(&p, true, "an uplink");
	strcpy(p.devargs, "0000:06:00.0");
	expect_port(&p, true, "a PCI uplink");
	p.devargs[0] = '\0';
	expect_port(&p, false, "an uplink without devargs");
	strcpy(p.devargs, "net_tap0,iface=a b");
	expect_port(&p, false, "devargs with a space");
	p = good_port();
	p.kind = VSW_PORT_INTERNAL;
	p.devargs[0] = '\0';
	expect_port(&p, true, "an internal port without devargs");
	p = good_port();
	p.devargs[0] = '\0';
	expect_port(&p, false, "a vNIC without a partition");
	p = good_port();
	p.kind = (enum vsw_port_kind)7;
	expect_port(&p, false, "an unknown kind");

	p = good_port();
	p.vlan.mode = VSW_VLAN_ACCESS;
	p.vlan.access_vlan = 10;
	expect_port(&p, true, "access 10");
	p.vlan.access_vlan = 0;
	expect_port(&p, false, "access 0");
	p.vlan.access_vlan = 4095;
	expect_port(&p, false, "access 4095");
	p.vlan.access_vlan = 10;
	p.vlan.allowed[0] = 4;
	expect_port(&p, false, "access with an allowed list");
	p = good_port();
	p.vlan.mode = VSW_VLAN_TRUNK;
	expect_port(&p, false, "a trunk without VLANs");
	p.vlan.allowed[0] = 1ull << 5;
	expect_port(&p, true, "trunk 5");
	p.vlan.allowed[0] = 1;
	expect_port(&p, false, "trunk with VLAN 0");
	p.vlan.allowed[0] = 2;
	p.vlan.allowed[63] = 1ull << 63;
	expect_port(&p, false, "trunk with VLAN 4095");
	p.vlan.allowed[63] = 0;
	p.vlan.native_vlan = 4095;
	expect_port(&p, false, "native 4095");
	p = good_port();
	p.vlan.native_vlan = 3;
	expect_port(&p, false, "untagged with a native VLAN");

	p = good_port();
	p.sec.mac[0] = 0x01;
	expect_port(&p, false, "a multicast MAC");
	p.sec.mac[0] = 0x02;
	expect_port(&p, true, "a local unicast MAC");
	p.sec.storm_limit_pps = VSW_STORM_LIMIT_MAX + 1;
	expect_port(&p, false, "a storm limit too high");
	p = good_port();
	p.sec.mac_limit = VSW_MAC_LIMIT_MAX + 1;
	expect_port(&p, false, "a MAC limit too high");
	p = good_port();
	p.qos.max_bps = VSW_MAX_BPS_MAX + 1;
	expect_port(&p, false, "max-bps too high");
	p = good_port();
	p.qos.min_weight = 101;
	expect_port(&p, false, "weight 101");
	p.qos.min_weight = 100;
	expect_port(&p, true, "weight 100");
}

static struct vsw_acl_cfg acl(const char *local, const char *remote, bool ext)
{
	struct vsw_acl_cfg a = { .port = "p1", .dir = VSW_DIR_INBOUND,
				 .protocol = VSW_ACL_PROTO_ANY, .local_port_hi = 65535,
				 .remote_port_hi = 65535 };

	T_EQ(vsw_acl_addr_parse(local, &a.local, why, sizeof(why)), 0);
	T_EQ(vsw_acl_addr_parse(remote, &a.remote, why, sizeof(why)), 0);
	if (ext)
		a.extended = true, a.weight = 10;
	return a;
}

static void expect_acl(const struct vsw_acl_cfg *a, const char *want_why, const char *what)
{
	int rc = vsw_cfg_check_acl(a, why, sizeof(why));

	if (want_why == NULL && rc != 0)
		T_FAIL("%s refused: %s", what, why);
	if (want_why != NULL && (rc != -EINVAL || strstr(why, want_why) == NULL))
		T_FAIL("%s: rc %d, why '%s', want '%s'", what, rc, why, want_why);
}

static void check_acls(void)
{
	struct vsw_acl_cfg a;

	a = acl("any", "10.0.0.0/8", false);
	expect_acl(&a, NULL, "a remote prefix");
	a.action = VSW_ACL_METER;
	expect_acl(&a, NULL, "an IP meter");
	a = acl("00:15:5d:00:00:01", "any", false);
	expect_acl(&a, NULL, "a local MAC");
	a.action = VSW_ACL_METER;
	expect_acl(&a, "meter ACL must match IP", "a MAC meter");
	a = acl("any", "any", false);
	expect_acl(&a, "needs a local or remote", "matching nothing");
	a = acl("10.0.0.0/8", "2001:db8::/32", false);
	expect_acl(&a, "one kind", "IPv4 with IPv6");
	a = acl("00:15:5d:00:00:01", "10.0.0.0/8", false);
	expect_acl(&a, "one kind", "a MAC with an IP");
	a = acl("any", "10.0.0.0/8", false);
	a.protocol = 6;
	expect_acl(&a, "give --weight", "a protocol without weight");
	a = acl("any", "10.0.0.0/8", false);
	a.dir = (enum vsw_dir)0;
	expect_acl(&a, "direction", "no direction");

	a = acl("any", "any", true);
	expect_acl(&a, NULL, "an extended ACL matching all");
	a.protocol = 6;
	a.remote_port_lo = a.remote_port_hi = 443;
	a.stateful = true;
	a.idle_timeout_s = 60;
	expect_acl(&a, NULL, "a stateful HTTPS allow");
	a.action = VSW_ACL_DENY;
	expect_acl(&a, "only an allow ACL can be stateful", "a stateful deny");
	a = acl("any", "any", true);
	a.idle_timeout_s = 5;
	expect_acl(&a, "needs a stateful ACL", "a timeout without state");
	a = acl("any", "any", true);
	a.remote_port_lo = 80;
	a.remote_port_hi = 80;
	expect_acl(&a, "ports need protocol tcp, udp or sctp", "ports without a protocol");
	a.protocol = 1;
	expect_acl(&a, "ports need protocol", "ports with ICMP");
	a = acl("any", "any", true);
	a.weight = 0;
	expect_acl(&a, "weight must be 1-65535", "weight 0");
	a = acl("00:15:5d:00:00:01", "any", true);
	expect_acl(&a, "not MACs", "an extended MAC match");
	a = acl("any", "any", true);
	a.action = VSW_ACL_METER;
	expect_acl(&a, "meter needs a plain IP ACL", "an extended meter");
	a = acl("any", "any", true);
	a.local_port_lo = 9;
	a.local_port_hi = 8;
	a.protocol = 17;
	expect_acl(&a, "low to high", "a backwards range");
}

static void check_mirrors_and_exts(void)
{
	struct vsw_mirror_cfg m = { .name = "m0", .sw = "sw0", .output = "p3", .n_src = 1,
				    .select_src = { "p1" } };
	struct vsw_ext_cfg e = { .sw = "sw0", .name = "e0", .type = VSW_EXT_FILTER,
				 .module = "acl", .enabled = true };

	T_EQ(vsw_cfg_check_mirror(&m, why, sizeof(why)), 0);
	strcpy(m.select_dst[0], "p3");
	m.n_dst = 1;
	T_EQ(vsw_cfg_check_mirror(&m, why, sizeof(why)), -EINVAL);
	T_ASSERT(strstr(why, "its own copies") != NULL);
	strcpy(m.select_dst[0], "p1");
	T_EQ(vsw_cfg_check_mirror(&m, why, sizeof(why)), 0);
	strcpy(m.select_src[1], "p1");
	m.n_src = 2;
	T_EQ(vsw_cfg_check_mirror(&m, why, sizeof(why)), -EINVAL);
	T_ASSERT(strstr(why, "listed twice") != NULL);
	m.n_src = m.n_dst = 0;
	T_EQ(vsw_cfg_check_mirror(&m, why, sizeof(why)), -EINVAL);
	T_ASSERT(strstr(why, "selects nothing") != NULL);
	m.has_vlans = true;
	T_EQ(vsw_cfg_check_mirror(&m, why, sizeof(why)), -EINVAL);
	m.select_vlans[0] = 4;
	T_EQ(vsw_cfg_check_mirror(&m, why, sizeof(why)), 0);
	m.n_src = VSW_MIRROR_SELECT_MAX + 1;
	T_EQ(vsw_cfg_check_mirror(&m, why, sizeof(why)), -EINVAL);

	T_EQ(vsw_cfg_check_ext(&e, why, sizeof(why)), 0);
	strcpy(e.module, "/usr/lib/hvnet/x.so");
	T_EQ(vsw_cfg_check_ext(&e, why, sizeof(why)), 0);
	strcpy(e.module, "/usr/lib/../x.so");
	T_EQ(vsw_cfg_check_ext(&e, why, sizeof(why)), -EINVAL);
	strcpy(e.module, "x.so/..");
	T_EQ(vsw_cfg_check_ext(&e, why, sizeof(why)), -EINVAL);
	strcpy(e.module, "acl");
	strcpy(e.args, "a=1 b=\"2\"");
	T_EQ(vsw_cfg_check_ext(&e, why, sizeof(why)), 0);
	strcpy(e.args, "tab\there");
	T_EQ(vsw_cfg_check_ext(&e, why, sizeof(why)), -EINVAL);
	e.args[0] = '\0';
	e.type = (enum vsw_ext_type)9;
	T_EQ(vsw_cfg_check_ext(&e, why, sizeof(why)), -EINVAL);
}

static void check_enum_names(void)
{
	enum vsw_switch_type t;
	enum vsw_dir d;

	for (int i = VSW_SWITCH_EXTERNAL; i <= VSW_SWITCH_PRIVATE; i++) {
		T_EQ(vsw_switch_type_parse(vsw_switch_type_name((enum vsw_switch_type)i), &t), 0);
		T_EQ(t, i);
	}
	for (int i = VSW_DIR_INBOUND; i <= VSW_DIR_BOTH; i++) {
		T_EQ(vsw_dir_parse(vsw_dir_name((enum vsw_dir)i), &d), 0);
		T_EQ(d, i);
	}
	T_EQ(vsw_switch_type_parse("External", &t), -EINVAL);
	T_ASSERT(strcmp(vsw_switch_type_name((enum vsw_switch_type)99), "?") == 0);
	T_ASSERT(strcmp(vsw_dir_name((enum vsw_dir)0), "?") == 0);
}

int main(void)
{
	T_RUN(check_names);
	T_RUN(check_vlan_lists);
	T_RUN(check_vlan_format_bounds);
	T_RUN(check_numbers);
	T_RUN(check_addresses);
	T_RUN(check_protocols_and_ports);
	T_RUN(check_ports);
	T_RUN(check_acls);
	T_RUN(check_mirrors_and_exts);
	T_RUN(check_enum_names);
	return 0;
}
