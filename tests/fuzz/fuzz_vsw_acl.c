/* libFuzzer target: a port's ACLs (vsw_acl) built from fuzzed records and
 * fed fuzzed frames, as a hostile guest would send them.
 *
 * Input: [u8 n] then n records of REC_LEN bytes (decoded by rec_decode
 * over a small address space, so that frames can match them: MACs
 * 02:00:00:00:a:b, 10.0.a.b, 2001:db8::a:b), then frames, each
 * [u8 ctl][u8 len][len bytes]: ctl bit 0 the direction (0 inbound,
 * 1 outbound), bits 1-2 the seconds the clock moves before it. A record
 * whose first byte has bit 7 set is taken raw (kinds, lengths and enums as
 * they come), to reach the refusals too.
 *
 * Checked:
 *   - vsw_acl_rules_build accepts every set vsw_cfg_check_acl accepts with
 *     weights unique per direction, and says why when it refuses;
 *   - the frames classified in bursts (runs of one direction and one
 *     second) get the verdicts, hit counts and session counts they get
 *     one at a time: a verdict may depend only on the frames before it;
 *   - a rebuild with the first rules as 'prev' keeps every count;
 *   - nothing reads outside a frame (each is an exactly sized copy) or the
 *     records (ASan, UBSan). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>

#include "vswitch/vsw_acl.h"
#include "vswitch/vsw_config.h"
#include "vswitch/vsw_parse.h"

#include "tests/fuzz/fuzz_check.h"

#define REC_LEN 20
#define MAX_RECS 48
#define MAX_FRAMES 64
/* 16 slots: a full table is swept whole, so "full" is exact in both runs. */
#define MAX_SESSIONS 8

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *eal[] = { "fuzz_vsw_acl", "--no-huge", "-m", "256", "--no-shconf", "--no-pci",
			"-l", "0", "--no-telemetry", "--log-level=*:error", NULL };

	(void)argc;
	(void)argv;
	/* rte_acl allocates its tries from EAL memory. */
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		fprintf(stderr, "fuzz_vsw_acl: DPDK EAL cannot start\n");
		abort();
	}
	return 0;
}

static uint16_t be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void addr_decode(uint8_t kind, uint8_t plen, const uint8_t ab[2], bool raw,
			struct vsw_acl_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = raw ? (enum vsw_addr_kind)kind : (enum vsw_addr_kind)(kind % 4);
	a->plen = plen;
	switch (a->kind) {
	case VSW_ADDR_MAC:
		a->addr[0] = 0x02;
		a->addr[4] = ab[0];
		a->addr[5] = ab[1];
		if (!raw)
			a->plen = 48;
		return;
	case VSW_ADDR_IPV4:
		a->addr[0] = 10;
		a->addr[2] = ab[0];
		a->addr[3] = ab[1];
		if (!raw)
			a->plen = (uint8_t)(plen % 33);
		break;
	case VSW_ADDR_IPV6:
		a->addr[0] = 0x20;
		a->addr[1] = 0x01;
		a->addr[2] = 0x0d;
		a->addr[3] = 0xb8;
		a->addr[14] = ab[0];
		a->addr[15] = ab[1];
		if (!raw)
			a->plen = (uint8_t)(plen % 129);
		break;
	default:
		if (!raw)
			a->plen = 0;
		return;
	}
	/* The validators refuse host bits; a raw record keeps them. */
	for (unsigned int b = 0; !raw && b < 16; b++) {
		unsigned int bits = a->plen > b * 8 ? a->plen - b * 8u : 0;

		if (bits < 8)
			a->addr[b] &= (uint8_t)(0xff00u >> bits);
	}
}

static void rec_decode(const uint8_t *b, struct vsw_acl_cfg *c)
{
	bool raw = b[0] & 0x80;

	memset(c, 0, sizeof(*c));
	snprintf(c->port, sizeof(c->port), "p1");
	c->extended = b[0] & 1;
	c->action = raw ? (enum vsw_acl_action)(b[0] >> 1 & 3) :
			  (enum vsw_acl_action)((b[0] >> 1 & 3) % 3);
	c->dir = raw ? (enum vsw_dir)(b[0] >> 3 & 3) : (enum vsw_dir)(1 + (b[0] >> 3 & 3) % 3);
	addr_decode(b[1], b[2], b + 3, raw, &c->local);
	addr_decode(b[5], b[6], b + 7, raw, &c->remote);
	c->protocol = b[0] & 0x40 ? VSW_ACL_PROTO_ANY : b[9];
	c->local_port_lo = be16(b + 10);
	c->local_port_hi = be16(b + 12);
	c->remote_port_lo = be16(b + 14);
	c->remote_port_hi = be16(b + 16);
	c->weight = b[18];
	c->stateful = b[0] & 0x20;
	c->idle_timeout_s = b[19] % 8;
	if (raw)
		return;
	/* Most records valid, so the fuzzer spends its time classifying. */
	if (c->local.kind != VSW_ADDR_ANY && c->remote.kind != VSW_ADDR_ANY &&
	    c->remote.kind != c->local.kind)
		c->remote.kind = VSW_ADDR_ANY;
	if (!c->extended) {
		if (c->local.kind == VSW_ADDR_ANY && c->remote.kind == VSW_ADDR_ANY) {
			c->remote.kind = VSW_ADDR_IPV4;
			c->remote.plen = 0;
			memset(c->remote.addr, 0, sizeof(c->remote.addr));
		}
		if (c->action == VSW_ACL_METER && c->local.kind != VSW_ADDR_IPV4 &&
		    c->local.kind != VSW_ADDR_IPV6 && c->remote.kind != VSW_ADDR_IPV4 &&
		    c->remote.kind != VSW_ADDR_IPV6)
			c->action = VSW_ACL_DENY;
		c->protocol = VSW_ACL_PROTO_ANY;
		c->local_port_lo = c->remote_port_lo = 0;
		c->local_port_hi = c->remote_port_hi = 65535;
		c->weight = 0;
		c->stateful = false;
		c->idle_timeout_s = 0;
		return;
	}
	if (c->action == VSW_ACL_METER)
		c->action = VSW_ACL_ALLOW;
	if (c->local.kind == VSW_ADDR_MAC)
		c->local.kind = VSW_ADDR_ANY;
	if (c->remote.kind == VSW_ADDR_MAC)
		c->remote.kind = VSW_ADDR_ANY;
	if (c->protocol != 6 && c->protocol != 17 && c->protocol != 132) {
		c->local_port_lo = c->remote_port_lo = 0;
		c->local_port_hi = c->remote_port_hi = 65535;
	}
	if (c->local_port_lo > c->local_port_hi)
		c->local_port_hi = 65535;
	if (c->remote_port_lo > c->remote_port_hi)
		c->remote_port_hi = 65535;
	if (c->weight == 0)
		c->weight = 1;
	if (c->action != VSW_ACL_ALLOW)
		c->stateful = false;
	if (!c->stateful)
		c->idle_timeout_s = 0;
}

static bool all_valid(const struct vsw_acl_cfg *c, unsigned int n)
{
	char why[256];

	for (unsigned int i = 0; i < n; i++) {
		if (vsw_cfg_check_acl(&c[i], why, sizeof(why)) < 0)
			return false;
		for (unsigned int j = 0; j < i; j++)
			if (c[i].extended && c[j].extended && (c[i].dir & c[j].dir) &&
			    c[i].weight == c[j].weight)
				return false;
	}
	return true;
}

struct frame {
	uint8_t *buf;                /* exactly len bytes */
	uint32_t len;
	struct vsw_pkt pkt;
	enum vsw_dir dir;
	uint32_t now;
};

static void run(const struct vsw_acl_cfg *c, unsigned int n, struct frame *fr, unsigned int nf)
{
	struct vsw_acl_rules *burst_r, *one_r, *again;
	struct vsw_acl_state *burst_s, *one_s;
	struct vsw_acl_state_stats bs, os;
	struct vsw_acl_frame f[MAX_FRAMES];
	bool pass_burst[MAX_FRAMES], pass_one[MAX_FRAMES];
	char why[512] = "";
	int rc;

	rc = vsw_acl_rules_build(c, n, NULL, &burst_r, why, sizeof(why));
	if (all_valid(c, n))
		CHECK(rc == 0);
	if (rc < 0) {
		CHECK(why[0] != '\0');
		return;
	}
	CHECK(vsw_acl_rules_build(c, n, NULL, &one_r, why, sizeof(why)) == 0);
	CHECK(vsw_acl_state_create(MAX_SESSIONS, &burst_s) == 0);
	CHECK(vsw_acl_state_create(MAX_SESSIONS, &one_s) == 0);
	for (unsigned int i = 0; i < nf; i++) {
		f[i].eth = fr[i].buf;
		f[i].pkt = &fr[i].pkt;
		f[i].len = fr[i].len;
	}
	for (unsigned int i = 0, j; i < nf; i = j) {
		for (j = i + 1; j < nf && j - i < 32 && fr[j].dir == fr[i].dir &&
			       fr[j].now == fr[i].now; j++)
			;
		vsw_acl_classify(burst_r, burst_s, fr[i].dir, f + i, (uint16_t)(j - i), fr[i].now,
				 pass_burst + i);
	}
	for (unsigned int i = 0; i < nf; i++)
		vsw_acl_classify(one_r, one_s, fr[i].dir, f + i, 1, fr[i].now, pass_one + i);
	for (unsigned int i = 0; i < nf; i++) {
		CHECK(pass_burst[i] == pass_one[i]);
		if (!vsw_acl_rules_active(burst_r, fr[i].dir))
			CHECK(pass_burst[i]);
	}
	for (unsigned int i = 0; i < n; i++) {
		uint64_t bf, bb, of, ob;

		CHECK(vsw_acl_rules_hits(burst_r, i, &bf, &bb) == 0);
		CHECK(vsw_acl_rules_hits(one_r, i, &of, &ob) == 0);
		CHECK(bf == of && bb == ob);
	}
	CHECK(vsw_acl_rules_hits(burst_r, n, NULL, NULL) == -ENOENT);
	vsw_acl_state_stats(burst_s, &bs);
	vsw_acl_state_stats(one_s, &os);
	CHECK(bs.opened == os.opened && bs.full == os.full);
	CHECK(bs.sessions <= MAX_SESSIONS && os.sessions <= MAX_SESSIONS);

	CHECK(vsw_acl_rules_build(c, n, burst_r, &again, why, sizeof(why)) == 0);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t bf, bb, af, ab;

		CHECK(vsw_acl_rules_hits(burst_r, i, &bf, &bb) == 0);
		CHECK(vsw_acl_rules_hits(again, i, &af, &ab) == 0);
		CHECK(bf == af && bb == ab);
	}
	vsw_acl_rules_free(again);
	vsw_acl_state_free(burst_s);
	vsw_acl_state_free(one_s);
	vsw_acl_rules_free(burst_r);
	vsw_acl_rules_free(one_r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsw_acl_cfg c[MAX_RECS];
	struct frame fr[MAX_FRAMES];
	unsigned int n, nf = 0;
	uint32_t now = 100;
	size_t off = 1;

	if (size < 1)
		return 0;
	memset(c, 0, sizeof(c));
	n = data[0] % (MAX_RECS + 1);
	if (size < 1 + (size_t)n * REC_LEN)
		n = (unsigned int)((size - 1) / REC_LEN);
	for (unsigned int i = 0; i < n; i++, off += REC_LEN)
		rec_decode(data + off, &c[i]);
	while (nf < MAX_FRAMES && off + 2 <= size) {
		uint8_t ctl = data[off];
		uint32_t len = data[off + 1];

		off += 2;
		if (len > size - off)
			len = (uint32_t)(size - off);
		now += ctl >> 1 & 3;
		fr[nf].dir = ctl & 1 ? VSW_DIR_OUTBOUND : VSW_DIR_INBOUND;
		fr[nf].now = now;
		fr[nf].len = len;
		fr[nf].buf = malloc(len ? len : 1);
		CHECK(fr[nf].buf != NULL);
		memcpy(fr[nf].buf, data + off, len);
		/* Malformed frames too: whatever vsw_parse left must be safe. */
		(void)vsw_parse(fr[nf].buf, len, &fr[nf].pkt);
		off += len;
		nf++;
	}
	run(c, n, fr, nf);
	for (unsigned int i = 0; i < nf; i++)
		free(fr[i].buf);
	return 0;
}
