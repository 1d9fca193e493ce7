/* libFuzzer target: vswitchctl's JSON protocol as vswitchd receives it.
 * Input: the bytes of one request line, exactly what a client with access
 * to the control socket can send (the server caps a line at
 * VSW_CTL_MAX_REQUEST and hands it to vsw_ctl_decode_request).
 *
 * Checked when a request decodes: it passes vsw_change_check; encoding it
 * and decoding that gives the same encoding (the request means one thing);
 * and applying a change to a configuration holding every kind of record
 * either makes it (the result passes vsw_model_check) or refuses it and
 * leaves the configuration as it was. The same bytes also go through
 * vswitchctl's reply decoder, which must not crash on them either. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vswitch/vsw_ctl.h"

#include "tests/fuzz/fuzz_check.h"

/* The configuration every change is tried against: switches of each
 * type, ports of each kind, ACLs, a mirror, extensions. */
static struct vsw_model *base_model(void)
{
	static const char *const cmds[] = {
		"switch create sw0 --type internal",
		"switch create ext0 --type external",
		"switch create priv0 --type private",
		"port add sw0 p1 --vnic vnf-a",
		"port add sw0 p2 --vnic vnf-b",
		"port add sw0 h0 --internal",
		"port add ext0 u1 --uplink net_null0",
		"port add priv0 v1 --vnic vnf-c",
		"port vlan p1 --trunk 1-100,200 --native 10",
		"port vlan p2 --access 20",
		"port security p1 --mac-spoof-guard on --storm-limit 1000",
		"port qos p1 --max-bps 1e9",
		"port acl p1 add --action deny --direction inbound --remote-ip 10.0.0.0/8",
		"port acl p1 add --weight 100 --action allow --direction outbound --protocol tcp",
		"mirror add sw0 m0 --output h0 --select-src p1",
		"extension add sw0 f0 --type forward --module fwd",
		"extension add sw0 c0 --type capture --module cap --disabled",
	};
	struct vsw_model *m = vsw_model_new();
	char why[512];

	CHECK(m != NULL);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char line[256], *argv[24];
		struct vsw_cli cli;
		int argc = 0;

		snprintf(line, sizeof(line), "%s", cmds[i]);
		for (char *t = strtok(line, " "); t != NULL && argc < 24; t = strtok(NULL, " "))
			argv[argc++] = t;
		CHECK(vsw_cli_parse(argc, argv, &cli, why, sizeof(why)) == 0);
		CHECK(vsw_model_apply(m, &cli.req, why, sizeof(why)) == 0);
	}
	CHECK(vsw_model_check(m, why, sizeof(why)) == 0);
	return m;
}

static char *encode(const struct vsw_change *c, size_t *len)
{
	struct vsw_jw w;
	char *s;

	vsw_jw_init(&w);
	vsw_ctl_encode_request(c, &w);
	CHECK(w.err == 0);
	s = w.buf;
	*len = w.len;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vsw_model *base, *m;
	static struct vsw_change c, again;
	struct vsw_ctl_reply r;
	char why[1024];
	char *e1, *e2;
	size_t l1, l2;
	int rc;

	if (base == NULL) {
		base = base_model();
		m = vsw_model_new();
		CHECK(m != NULL);
	}
	if (size > VSW_CTL_MAX_REQUEST)
		return 0;

	if (vsw_ctl_decode_reply((const char *)data, size, VSW_OP_SHOW, &r, why, sizeof(why)) == 0)
		vsw_ctl_reply_free(&r);
	if (vsw_ctl_decode_reply((const char *)data, size, VSW_OP_STATS, &r, why, sizeof(why)) == 0)
		vsw_ctl_reply_free(&r);

	if (vsw_ctl_decode_request((const char *)data, size, &c, why, sizeof(why)) != 0) {
		CHECK(why[0] != '\0');
		return 0;
	}
	CHECK(vsw_change_check(&c, why, sizeof(why)) == 0);
	e1 = encode(&c, &l1);
	CHECK(memchr(e1, '\n', l1) == NULL);
	CHECK(vsw_ctl_decode_request(e1, l1, &again, why, sizeof(why)) == 0);
	e2 = encode(&again, &l2);
	CHECK(l1 == l2 && memcmp(e1, e2, l1) == 0);
	free(e1);
	free(e2);
	vsw_change_fini(&again);

	if (vsw_op_kind(c.op) != VSW_OPK_CHANGE) {
		vsw_change_fini(&c);
		return 0;
	}
	vsw_model_copy(m, base);
	rc = vsw_model_apply(m, &c, why, sizeof(why));
	CHECK(rc == 0 || rc == 1 || rc < 0);
	if (rc != 0)
		CHECK(vsw_model_equal(m, base));
	if (rc < 0)
		CHECK(why[0] != '\0');
	CHECK(vsw_model_check(m, why, sizeof(why)) == 0);
	vsw_change_fini(&c);
	return 0;
}
