/* Switch extensions through vsw_ext: the loader's refusals (missing file,
 * not an ELF, no entry point, ABI, type, init, eBPF verifier), the chain's
 * order and verdict rules, per-extension counters, and each sample (native
 * and eBPF) on real frames in real mbufs.
 *
 * meson passes the objects as NAME=PATH arguments: the samples, the test
 * extension vsw_ext_testmod.c (which logs what it is shown through
 * host->log, so the order is visible) in broken variants, and the eBPF
 * objects when clang was there to build them. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "common/hvn_compiler.h"
#include "tests/harness/hvn_test.h"
#include "vswitch/vsw_ext.h"

enum {
	M_COUNT, M_DROP, M_FWD, M_TM, M_TM_ABI2, M_TM_MINOR, M_TM_CAPTURE, M_TM_NOENTRY,
	M_BPF_DROP_UDP, M_BPF_TEST, M_N
};
static const char *const mod_keys[M_N] = {
	"count", "drop_ethertype", "static_fwd", "testmod", "testmod_abi2", "testmod_minor",
	"testmod_capture", "testmod_noentry", "bpf_drop_udp_port", "bpf_test",
};
static const char *mod[M_N];

static struct rte_mempool *mp;

/* ---- the host vswitchd would be ---- */

#define LOG_MAX 128
static char log_lines[LOG_MAX][1024];
static unsigned int nlog;

static void host_log(void *h, const char *msg)
{
	T_ASSERT(h == &nlog);
	T_ASSERT(nlog < LOG_MAX);
	snprintf(log_lines[nlog++], sizeof(log_lines[0]), "%s", msg);
}

/* Ports p0..p7 are indices 0..7. */
static int host_port_index(void *h, const char *name)
{
	T_ASSERT(h == &nlog);
	if (name[0] == 'p' && name[1] >= '0' && name[1] <= '7' && name[2] == '\0')
		return name[1] - '0';
	return -ENOENT;
}

static void log_reset(void)
{
	nlog = 0;
}

static void log_expect(unsigned int i, const char *line)
{
	if (i >= nlog)
		T_FAIL("log line %u missing: expected '%s' (%u lines)", i, line, nlog);
	if (strcmp(log_lines[i], line) != 0)
		T_FAIL("log line %u: '%s', expected '%s'", i, log_lines[i], line);
}

static bool log_has(const char *line)
{
	for (unsigned int i = 0; i < nlog; i++)
		if (strcmp(log_lines[i], line) == 0)
			return true;
	return false;
}

static void log_dump(void)
{
	for (unsigned int i = 0; i < nlog; i++)
		fprintf(stderr, "  log %u: %s\n", i, log_lines[i]);
}

/* ---- loading ---- */

static int try_load(const char *name, enum vsw_ext_type type, const char *module,
		    const char *args, bool enabled, struct vsw_ext **out, char *why, size_t len)
{
	static const char host_name[] = "sw0";
	struct hvnet_ext_host host = {
		.abi_version = HVNET_EXT_ABI_VERSION, .host = &nlog, .switch_name = host_name,
		.port_index = host_port_index, .log = host_log,
	};
	struct vsw_ext_cfg c = { .sw = "sw0", .type = type, .enabled = enabled };
	int rc;

	snprintf(c.name, sizeof(c.name), "%s", name);
	snprintf(c.module, sizeof(c.module), "%s", module);
	snprintf(c.args, sizeof(c.args), "%s", args ? args : "");
	why[0] = '\0';
	/* The host is on this stack frame only: vsw_ext must keep its own
	 * copy for extensions that log at fini. */
	rc = vsw_ext_load(&c, &host, out, why, len);
	memset(&host, 0xa5, sizeof(host));
	return rc;
}

static struct vsw_ext *load(const char *name, enum vsw_ext_type type, const char *module,
			    const char *args)
{
	struct vsw_ext *e;
	char why[512];

	if (try_load(name, type, module, args, true, &e, why, sizeof(why)) != 0)
		T_FAIL("loading %s (%s): %s", name, module, why);
	T_ASSERT(e != NULL);
	T_ASSERT(strcmp(vsw_ext_cfg(e)->name, name) == 0);
	return e;
}

/* A refusal: the error and a reason that names 'must' (and 'must2'). */
static void refused(int want, const char *must, const char *must2, const char *name,
		    enum vsw_ext_type type, const char *module, const char *args)
{
	struct vsw_ext *e = (struct vsw_ext *)1;
	char why[512];
	int rc;

	rc = try_load(name, type, module, args, true, &e, why, sizeof(why));
	if (rc != want)
		T_FAIL("%s (%s, args '%s'): rc %d, expected %d; why: %s", name, module,
		       args ? args : "", rc, want, why);
	T_ASSERT(e == NULL);
	if (strstr(why, must) == NULL || (must2 != NULL && strstr(why, must2) == NULL))
		T_FAIL("%s: the reason '%s' does not say '%s'%s%s", name, why, must,
		       must2 ? " and " : "", must2 ? must2 : "");
	if (strstr(why, name) == NULL)
		T_FAIL("the reason '%s' does not name extension %s", why, name);
	printf("  refused as expected: %s\n", why);
}

static struct vsw_ext_chain *chain(struct vsw_ext *const *e, unsigned int n)
{
	struct vsw_ext_chain *c;
	char why[256] = "";

	if (vsw_ext_chain_build(e, n, &c, why, sizeof(why)) != 0)
		T_FAIL("chain: %s", why);
	return c;
}

static void expect_stats(const struct vsw_ext *e, uint64_t frames, uint64_t dropped,
			 uint64_t redirected)
{
	struct vsw_ext_stats st;

	vsw_ext_get_stats(e, &st);
	if (st.frames != frames || st.dropped != dropped || st.redirected != redirected)
		T_FAIL("%s: stats %llu/%llu/%llu, expected %llu/%llu/%llu (frames/dropped/"
		       "redirected)", vsw_ext_cfg(e)->name, (unsigned long long)st.frames,
		       (unsigned long long)st.dropped, (unsigned long long)st.redirected,
		       (unsigned long long)frames, (unsigned long long)dropped,
		       (unsigned long long)redirected);
}

/* ---- frames ---- */

static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0xaa };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0xbb };
static const uint8_t mac_c[6] = { 0x02, 0, 0, 0, 0, 0xcc };

#define ET_IPV4 0x0800
#define ET_ARP 0x0806
#define ET_IPV6 0x86dd
#define ET_LLDP 0x88cc

/* 'len' bytes: dst, src 02:00:00:00:01:ID, EtherType, zeros; the rest of
 * the buffer 0x11, to see a write land past the frame. */
static struct rte_mbuf *mk(uint8_t id, const uint8_t dst[6], uint16_t et, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *f, src[6] = { 0x02, 0, 0, 0, 0x01, id };

	T_ASSERT(m != NULL);
	f = (uint8_t *)rte_pktmbuf_append(m, len);
	T_ASSERT(f != NULL);
	memset(f, 0, len);
	memset(f + len, 0x11, rte_pktmbuf_tailroom(m));
	if (len >= 6)
		memcpy(f, dst, 6);
	if (len >= 12)
		memcpy(f + 6, src, 6);
	if (len >= 14) {
		f[12] = (uint8_t)(et >> 8);
		f[13] = (uint8_t)et;
	}
	return m;
}

/* IPv4 to 'proto' port 'dport', an IP header of ihl words, a frame of
 * 'len' bytes ('frag': the fragment offset field). */
static struct rte_mbuf *ip4(uint8_t id, uint8_t proto, uint16_t dport, uint8_t ihl, uint16_t frag,
			    uint16_t len)
{
	struct rte_mbuf *m = mk(id, mac_c, ET_IPV4, len);
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *), *l4 = f + 14 + ihl * 4;
	uint16_t tot = (uint16_t)(len - 14);

	f[14] = (uint8_t)(0x40 | ihl);
	f[16] = (uint8_t)(tot >> 8);
	f[17] = (uint8_t)tot;
	f[20] = (uint8_t)(frag >> 8);
	f[21] = (uint8_t)frag;
	f[22] = 64;
	f[23] = proto;
	if (len >= 14 + ihl * 4 + 4) {
		l4[0] = 0x30;
		l4[1] = 0x39;
		l4[2] = (uint8_t)(dport >> 8);
		l4[3] = (uint8_t)dport;
	}
	return m;
}

struct burst {
	uint16_t n;
	struct rte_mbuf *p[64];
	struct hvnet_ext_meta m[64];
	int32_t v[64];
};

/* meta's in_port is 100 + the frame's ID, so a meta that lost its frame
 * shows in the test extension's lines. */
static void add(struct burst *b, struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);

	T_ASSERT(b->n < 64);
	b->m[b->n] = (struct hvnet_ext_meta){ .in_port = (uint16_t)(100 + f[11]),
					      .out_port = 0xffff };
	b->p[b->n++] = m;
}

static void run(const struct vsw_ext_chain *c, enum hvnet_ext_dir dir, struct burst *b)
{
	for (uint16_t i = 0; i < b->n; i++)
		b->v[i] = 12345;      /* each must be written */
	vsw_ext_chain_run(c, dir, b->p, b->m, b->n, b->v);
}

static void expect_verdicts(const struct burst *b, const int32_t *want)
{
	for (uint16_t i = 0; i < b->n; i++)
		if (b->v[i] != want[i])
			T_FAIL("frame %u: verdict %d, expected %d", i, b->v[i], want[i]);
}

static void burst_free(struct burst *b)
{
	rte_pktmbuf_free_bulk(b->p, b->n);
	b->n = 0;
}

#define P HVNET_EXT_PASS
#define D HVNET_EXT_DROP

/* ---- the loader ---- */

static void loader_refusals(void)
{
	char tmpl[] = "/tmp/vsw_ext_test_XXXXXX.so", dir[] = "/tmp";
	int fds = hvn_test_count_fds(), fd;

	refused(-ENOENT, "/nonexistent/ext.so", "No such file", "missing", VSW_EXT_FILTER,
		"/nonexistent/ext.so", NULL);
	refused(-EINVAL, "relative", NULL, "relative", VSW_EXT_FILTER, "lib/ext.so", NULL);
	refused(-ENOENT, "not a built-in", "hvnet_ext_no_such_builtin.so", "builtin",
		VSW_EXT_FILTER, "no_such_builtin", NULL);
	refused(-EINVAL, "not a regular file", NULL, "dir", VSW_EXT_FILTER, dir, NULL);

	/* Text is not a shared object; dlopen's reason is passed on. */
	fd = mkstemps(tmpl, 3);
	T_ASSERT(fd >= 0);
	T_ASSERT(write(fd, "not an ELF object\n", 18) == 18);
	close(fd);
	refused(-ENOEXEC, "cannot load", tmpl, "text", VSW_EXT_FILTER, tmpl, NULL);
	unlink(tmpl);

	refused(-ENOEXEC, "exports no hvnet_ext_entry", NULL, "noentry", VSW_EXT_FILTER,
		mod[M_TM_NOENTRY], NULL);
	refused(-EPROTO, "ABI 2.0", "speaks 1.0", "abi2", VSW_EXT_FILTER, mod[M_TM_ABI2], NULL);
	refused(-EPROTO, "ABI 1.1", "rebuild", "abi11", VSW_EXT_FILTER, mod[M_TM_MINOR], NULL);
	/* The type must be one the object allows, and the reason says which. */
	refused(-EOPNOTSUPP, "cannot be a filter", "add it as capture", "captureonly",
		VSW_EXT_FILTER, mod[M_TM_CAPTURE], NULL);
	refused(-EOPNOTSUPP, "cannot be a filter", "add it as forward", "fwdasfilter",
		VSW_EXT_FILTER, mod[M_FWD], "02:00:00:00:00:aa=p1");
	refused(-EOPNOTSUPP, "cannot be a forward", "add it as capture", "countasfwd",
		VSW_EXT_FORWARD, mod[M_COUNT], NULL);
	/* init's refusal, with its reason or without one. */
	refused(-EINVAL, "refused to start", "asked to fail", "initfail", VSW_EXT_FILTER,
		mod[M_TM], "fail");
	refused(-EIO, "refused to start", "said nothing more", "initquiet", VSW_EXT_FILTER,
		mod[M_TM], "failquiet");
	/* Nothing was left open by the refusals (dlclose on every path). */
	T_EQ(hvn_test_count_fds(), fds);
	T_EQ(nlog, 0);
}

/* ---- the chain ---- */

static void chain_empty(void)
{
	struct vsw_ext_chain *c;
	struct burst b = { 0 };
	char why[64];

	add(&b, mk(1, mac_a, ET_IPV4, 60));
	run(NULL, HVNET_EXT_INGRESS, &b);
	T_EQ(b.v[0], P);
	T_EQ(vsw_ext_chain_build(NULL, 0, &c, why, sizeof(why)), 0);
	T_EQ(vsw_ext_chain_len(c), 0);
	T_EQ(vsw_ext_chain_len(NULL), 0);
	run(c, HVNET_EXT_EGRESS, &b);
	T_EQ(b.v[0], P);
	vsw_ext_chain_free(c);
	burst_free(&b);
}

/* Given out of order; Hyper-V's order is capture, filter, forward on
 * ingress and the reverse on egress, each type in the order given. */
static void chain_order(void)
{
	struct vsw_ext *fwd = load("B", VSW_EXT_FORWARD, mod[M_TM], "tag=B");
	struct vsw_ext *fa = load("A", VSW_EXT_FILTER, mod[M_TM], "tag=A,verdict=-2,match=2");
	struct vsw_ext *cc = load("C", VSW_EXT_CAPTURE, mod[M_TM], "tag=C");
	struct vsw_ext *cnt = load("cnt", VSW_EXT_CAPTURE, mod[M_COUNT], NULL);
	struct vsw_ext *lldp = load("nolldp", VSW_EXT_FILTER, mod[M_DROP], "ethertype=0x88cc");
	struct vsw_ext *given[] = { fwd, fa, cc, cnt, lldp };
	struct vsw_ext *swapped[] = { lldp, fa, cc };
	const int32_t want[] = { P, D, D, P };
	struct vsw_ext_chain *c;
	struct burst b = { 0 };

	c = chain(given, 5);
	T_EQ(vsw_ext_chain_len(c), 5);
	add(&b, mk(1, mac_a, ET_IPV4, 60));
	add(&b, mk(2, mac_a, ET_IPV4, 60));
	add(&b, mk(3, mac_a, ET_LLDP, 60));
	add(&b, mk(4, mac_a, ET_IPV4, 60));

	/* Ingress: the captures see everything (C before cnt, as given), the
	 * filters in the order given (A, which drops 2, then nolldp, which
	 * drops 3), and the forwarding extension only what is left, each
	 * frame with its own meta. */
	log_reset();
	run(c, HVNET_EXT_INGRESS, &b);
	expect_verdicts(&b, want);
	log_expect(0, "C in 1@101 2@102 3@103 4@104");
	log_expect(1, "A in 1@101 2@102 3@103 4@104");
	log_expect(2, "B in 1@101 4@104");
	T_EQ(nlog, 3);
	expect_stats(cc, 4, 0, 0);
	expect_stats(fa, 4, 1, 0);
	expect_stats(lldp, 3, 1, 0);
	expect_stats(fwd, 2, 0, 0);

	/* Egress: forward, filters in reverse (nolldp, then A), captures
	 * last: C sees neither dropped frame. */
	log_reset();
	run(c, HVNET_EXT_EGRESS, &b);
	expect_verdicts(&b, want);
	log_expect(0, "B eg 1@101 2@102 3@103 4@104");
	log_expect(1, "A eg 1@101 2@102 4@104");
	log_expect(2, "C eg 1@101 4@104");
	T_EQ(nlog, 3);
	expect_stats(cc, 6, 0, 0);
	expect_stats(fa, 7, 2, 0);
	expect_stats(lldp, 7, 2, 0);
	expect_stats(fwd, 6, 0, 0);
	expect_stats(cnt, 6, 0, 0);
	vsw_ext_chain_free(c);

	/* The order given is what orders a type: nolldp first now, and A
	 * no longer sees the LLDP frame. */
	c = chain(swapped, 3);
	log_reset();
	run(c, HVNET_EXT_INGRESS, &b);
	expect_verdicts(&b, want);
	log_expect(0, "C in 1@101 2@102 3@103 4@104");
	log_expect(1, "A in 1@101 2@102 4@104");
	T_EQ(nlog, 2);
	vsw_ext_chain_free(c);

	/* The count extension's own totals agree: on ingress it saw the LLDP
	 * frame the filter dropped after it, on egress (last) it did not. */
	log_reset();
	vsw_ext_unload(cnt);
	if (!log_has("hvnet_ext_count on sw0: ingress 0x0800: 3 frames, 180 bytes") ||
	    !log_has("hvnet_ext_count on sw0: ingress 0x88cc: 1 frames, 60 bytes") ||
	    !log_has("hvnet_ext_count on sw0: egress 0x0800: 2 frames, 120 bytes") || nlog != 3) {
		log_dump();
		T_FAIL("hvnet_ext_count's totals");
	}
	log_reset();
	vsw_ext_unload(fwd);
	vsw_ext_unload(fa);
	vsw_ext_unload(cc);
	vsw_ext_unload(lldp);
	log_expect(0, "B fini");
	log_expect(1, "A fini");
	log_expect(2, "C fini");
	T_EQ(nlog, 3);
	burst_free(&b);
}

/* Once every frame is dropped nothing later runs; a full burst of 64
 * comes through intact. */
static void chain_all_dropped(void)
{
	struct vsw_ext *all = load("all", VSW_EXT_FILTER, mod[M_TM], "tag=all,verdict=-2");
	struct vsw_ext *after = load("after", VSW_EXT_FORWARD, mod[M_TM], "tag=after");
	struct vsw_ext *list[] = { after, all };
	struct vsw_ext_chain *c = chain(list, 2);
	struct burst b = { 0 };

	for (int i = 0; i < 64; i++)
		add(&b, mk((uint8_t)i, mac_a, ET_IPV4, 60));
	log_reset();
	run(c, HVNET_EXT_INGRESS, &b);
	for (int i = 0; i < 64; i++)
		T_EQ(b.v[i], D);
	T_EQ(nlog, 1);
	T_ASSERT(strncmp(log_lines[0], "all in 0@100 1@101", 18) == 0);
	expect_stats(all, 64, 64, 0);
	expect_stats(after, 0, 0, 0);
	vsw_ext_chain_free(c);
	vsw_ext_unload(all);
	vsw_ext_unload(after);
	burst_free(&b);
}

/* At most one enabled forwarding extension; disabled ones are skipped. */
static void chain_forwarders(void)
{
	struct vsw_ext *f1 = load("f1", VSW_EXT_FORWARD, mod[M_TM], "tag=f1");
	struct vsw_ext *f2 = load("f2", VSW_EXT_FORWARD, mod[M_FWD], "02:00:00:00:00:aa=p1");
	struct vsw_ext *off, *list[3] = { f1, f2 };
	struct vsw_ext_chain *c = (struct vsw_ext_chain *)1;
	struct burst b = { 0 };
	char why[256] = "";

	T_EQ(vsw_ext_chain_build(list, 2, &c, why, sizeof(why)), -EBUSY);
	T_ASSERT(c == NULL);
	if (strstr(why, "f1") == NULL || strstr(why, "f2") == NULL || strstr(why, "disable") == NULL)
		T_FAIL("the -EBUSY reason '%s' names neither both nor the way out", why);
	printf("  refused as expected: %s\n", why);

	/* Loaded disabled, or disabled later: not in the chain, not called. */
	T_EQ(try_load("off", VSW_EXT_CAPTURE, mod[M_TM], "tag=off", false, &off, why,
		      sizeof(why)), 0);
	list[2] = off;
	vsw_ext_set_enabled(f1, false);
	c = chain(list, 3);
	T_EQ(vsw_ext_chain_len(c), 1);
	add(&b, mk(1, mac_a, ET_IPV4, 60));
	add(&b, mk(2, mac_b, ET_IPV4, 60));
	log_reset();
	run(c, HVNET_EXT_INGRESS, &b);
	T_EQ(nlog, 0);
	T_EQ(b.v[0], 1);
	T_EQ(b.v[1], P);
	expect_stats(off, 0, 0, 0);
	expect_stats(f1, 0, 0, 0);
	expect_stats(f2, 2, 0, 1);
	vsw_ext_chain_free(c);

	/* Enabled again: the other forwarder must go first. */
	vsw_ext_set_enabled(f1, true);
	T_EQ(vsw_ext_chain_build(list, 3, &c, why, sizeof(why)), -EBUSY);
	vsw_ext_set_enabled(f2, false);
	c = chain(list, 3);
	T_EQ(vsw_ext_chain_len(c), 1);
	vsw_ext_chain_free(c);
	vsw_ext_unload(f1);
	vsw_ext_unload(f2);
	vsw_ext_unload(off);
	burst_free(&b);
}

/* A port verdict counts only from a forwarding extension on ingress;
 * captures cannot drop; anything not a verdict or a port is PASS. */
static void verdict_rules(void)
{
	static const struct {
		enum vsw_ext_type type;
		const char *args;
		enum hvnet_ext_dir dir;
		int32_t want;
		uint64_t dropped, redirected;
	} cases[] = {
		{ VSW_EXT_FORWARD, "verdict=3", HVNET_EXT_INGRESS, 3, 0, 2 },
		{ VSW_EXT_FORWARD, "verdict=3", HVNET_EXT_EGRESS, P, 0, 0 },
		{ VSW_EXT_FILTER, "verdict=3", HVNET_EXT_INGRESS, P, 0, 0 },
		{ VSW_EXT_CAPTURE, "verdict=3", HVNET_EXT_INGRESS, P, 0, 0 },
		{ VSW_EXT_CAPTURE, "verdict=-2", HVNET_EXT_INGRESS, P, 0, 0 },
		{ VSW_EXT_FILTER, "verdict=-2", HVNET_EXT_EGRESS, D, 2, 0 },
		{ VSW_EXT_FORWARD, "verdict=-2", HVNET_EXT_INGRESS, D, 2, 0 },
		{ VSW_EXT_FORWARD, "verdict=-7", HVNET_EXT_INGRESS, P, 0, 0 },
		{ VSW_EXT_FORWARD, "verdict=65535", HVNET_EXT_INGRESS, P, 0, 0 },
		{ VSW_EXT_FORWARD, "verdict=0", HVNET_EXT_INGRESS, 0, 0, 2 },
	};

	for (unsigned int k = 0; k < HVN_ARRAY_SIZE(cases); k++) {
		struct vsw_ext *e = load("v", cases[k].type, mod[M_TM], cases[k].args);
		struct vsw_ext_chain *c = chain(&e, 1);
		struct burst b = { 0 };

		add(&b, mk(1, mac_a, ET_IPV4, 60));
		add(&b, mk(2, mac_a, ET_IPV4, 60));
		log_reset();
		run(c, cases[k].dir, &b);
		if (b.v[0] != cases[k].want || b.v[1] != cases[k].want)
			T_FAIL("case %u (%s): verdicts %d %d, expected %d", k, cases[k].args,
			       b.v[0], b.v[1], cases[k].want);
		expect_stats(e, 2, cases[k].dropped, cases[k].redirected);
		vsw_ext_chain_free(c);
		vsw_ext_unload(e);
		burst_free(&b);
	}
}

/* ---- the native samples ---- */

static void sample_count(void)
{
	struct vsw_ext *e = load("cnt", VSW_EXT_CAPTURE, mod[M_COUNT], NULL);
	struct vsw_ext_chain *c = chain(&e, 1);
	struct burst in = { 0 }, out = { 0 };

	refused(-EINVAL, "takes no arguments", NULL, "cntargs", VSW_EXT_CAPTURE, mod[M_COUNT],
		"x=1");
	add(&in, mk(1, mac_a, ET_IPV4, 60));
	add(&in, mk(2, mac_a, ET_IPV4, 100));
	add(&in, mk(3, mac_bcast, ET_ARP, 42));
	add(&in, mk(4, mac_a, ET_IPV4, 1514));
	add(&in, mk(5, mac_a, 0, 10));                  /* no EtherType: "other" */
	add(&out, mk(6, mac_b, ET_IPV6, 80));
	add(&out, mk(7, mac_b, ET_IPV6, 90));
	run(c, HVNET_EXT_INGRESS, &in);
	run(c, HVNET_EXT_EGRESS, &out);
	run(c, HVNET_EXT_EGRESS, &out);
	for (int i = 0; i < 5; i++)
		T_EQ(in.v[i], P);
	expect_stats(e, 9, 0, 0);
	vsw_ext_chain_free(c);
	log_reset();
	vsw_ext_unload(e);
	if (nlog != 4 || !log_has("hvnet_ext_count on sw0: ingress 0x0800: 3 frames, 1674 bytes") ||
	    !log_has("hvnet_ext_count on sw0: ingress 0x0806: 1 frames, 42 bytes") ||
	    !log_has("hvnet_ext_count on sw0: ingress other: 1 frames, 10 bytes") ||
	    !log_has("hvnet_ext_count on sw0: egress 0x86dd: 4 frames, 340 bytes")) {
		log_dump();
		T_FAIL("hvnet_ext_count's totals");
	}
	/* One that saw nothing says so. */
	e = load("idle", VSW_EXT_CAPTURE, mod[M_COUNT], "");
	log_reset();
	vsw_ext_unload(e);
	log_expect(0, "hvnet_ext_count on sw0: no frames");
	burst_free(&in);
	burst_free(&out);
}

static void sample_drop_ethertype(void)
{
	static const char *const bad[] = {
		NULL, "", "ethertype=", "ethertype", "type=0x88cc", "ethertype=zz",
		"ethertype=0x", "ethertype=-1", "ethertype= 0x88cc", "ethertype=0x88cc,x",
		"ethertype=0x5dc", "ethertype=0x10000", "ethertype=99999999999999999999",
	};
	const int32_t want[] = { D, P, P, D, P, P };
	struct vsw_ext *e, *dec;
	struct vsw_ext_chain *c;
	struct burst b = { 0 };

	for (unsigned int i = 0; i < HVN_ARRAY_SIZE(bad); i++)
		refused(-EINVAL, "hvnet_ext_drop_ethertype", "ethertype", "dropet", VSW_EXT_FILTER,
			mod[M_DROP], bad[i]);
	e = load("dropet", VSW_EXT_FILTER, mod[M_DROP], "ethertype=0x88cc");
	dec = load("dropdec", VSW_EXT_FILTER, mod[M_DROP], "ethertype=2054");   /* ARP */
	c = chain(&e, 1);
	add(&b, mk(1, mac_bcast, ET_LLDP, 60));
	add(&b, mk(2, mac_a, ET_IPV4, 60));
	add(&b, mk(3, mac_a, ET_ARP, 60));
	add(&b, mk(4, mac_bcast, ET_LLDP, 300));
	add(&b, mk(5, mac_a, 0, 13));                   /* too short to tell */
	add(&b, mk(6, mac_a, 0xcc88, 60));
	run(c, HVNET_EXT_INGRESS, &b);
	expect_verdicts(&b, want);
	run(c, HVNET_EXT_EGRESS, &b);
	expect_verdicts(&b, want);
	expect_stats(e, 12, 4, 0);
	vsw_ext_chain_free(c);

	c = chain(&dec, 1);
	run(c, HVNET_EXT_INGRESS, &b);
	T_EQ(b.v[2], D);
	T_EQ(b.v[0], P);
	expect_stats(dec, 6, 1, 0);
	vsw_ext_chain_free(c);
	vsw_ext_unload(e);
	vsw_ext_unload(dec);
	burst_free(&b);
}

static void sample_static_fwd(void)
{
	const int32_t want_in[] = { 1, 3, P, P, 1, P };
	struct vsw_ext *e;
	struct vsw_ext_chain *c;
	struct burst b = { 0 };

	refused(-EINVAL, "needs --args", NULL, "sf", VSW_EXT_FORWARD, mod[M_FWD], NULL);
	refused(-EINVAL, "'nope'", "not on switch sw0", "sf", VSW_EXT_FORWARD, mod[M_FWD],
		"02:00:00:00:00:aa=p1,02:00:00:00:00:bb=nope");
	refused(-EINVAL, "not a MAC address", NULL, "sf", VSW_EXT_FORWARD, mod[M_FWD],
		"02:00:00:00:00=p1");
	refused(-EINVAL, "not a MAC address", NULL, "sf", VSW_EXT_FORWARD, mod[M_FWD],
		"02:00:00:00:00:aax=p1");
	refused(-EINVAL, "not MAC=PORT", NULL, "sf", VSW_EXT_FORWARD, mod[M_FWD],
		"02:00:00:00:00:aa");
	refused(-EINVAL, "not MAC=PORT", NULL, "sf", VSW_EXT_FORWARD, mod[M_FWD],
		"02:00:00:00:00:aa=");
	refused(-EINVAL, "listed twice", NULL, "sf", VSW_EXT_FORWARD, mod[M_FWD],
		"02:00:00:00:00:aa=p1,02:00:00:00:00:AA=p2");
	refused(-EINVAL, "no MAC=PORT", NULL, "sf", VSW_EXT_FORWARD, mod[M_FWD], ",,");

	e = load("sf", VSW_EXT_FORWARD, mod[M_FWD], "02:00:00:00:00:aa=p1,02:00:00:00:00:BB=p3");
	c = chain(&e, 1);
	add(&b, mk(1, mac_a, ET_IPV4, 60));
	add(&b, mk(2, mac_b, ET_IPV4, 60));
	add(&b, mk(3, mac_c, ET_IPV4, 60));
	add(&b, mk(4, mac_bcast, ET_ARP, 60));
	add(&b, mk(5, mac_a, ET_IPV6, 1514));
	add(&b, mk(6, mac_a, 0, 5));                    /* no whole destination */
	run(c, HVNET_EXT_INGRESS, &b);
	expect_verdicts(&b, want_in);
	expect_stats(e, 6, 0, 3);
	/* On egress the port is chosen already. */
	run(c, HVNET_EXT_EGRESS, &b);
	for (int i = 0; i < 6; i++)
		T_EQ(b.v[i], P);
	expect_stats(e, 12, 0, 3);
	vsw_ext_chain_free(c);
	vsw_ext_unload(e);
	burst_free(&b);
}

/* ---- eBPF ---- */

/* drop_udp_port.o, JIT-ed and interpreted. */
static void bpf_drop_udp(void)
{
	const int32_t want[] = { D, P, D, P, P, P, P, D, P, P };
	struct burst b = { 0 };

	add(&b, ip4(1, 17, 9, 5, 0, 60));
	add(&b, ip4(2, 17, 53, 5, 0, 60));
	add(&b, ip4(3, 17, 9, 6, 0, 64));               /* IP options */
	add(&b, ip4(4, 6, 9, 5, 0, 60));                /* TCP */
	add(&b, mk(5, mac_a, ET_IPV6, 80));
	add(&b, ip4(6, 17, 9, 5, 0, 14 + 20 + 4));      /* the UDP header cut short */
	add(&b, ip4(7, 17, 9, 5, 0x0010, 60));          /* a later fragment */
	add(&b, ip4(8, 17, 9, 5, 0, 1000));             /* long: no copy */
	add(&b, ip4(9, 17, 9, 15, 0, 14 + 60 + 6));     /* 60-byte IP header, UDP cut */
	add(&b, mk(10, mac_a, ET_IPV4, 12));            /* runt */
	for (int jit = 0; jit < 2; jit++) {
		struct vsw_ext *e = load("noudp9", VSW_EXT_FILTER, mod[M_BPF_DROP_UDP],
					     jit ? NULL : "jit=off");
		struct vsw_ext_chain *c = chain(&e, 1);

		run(c, HVNET_EXT_INGRESS, &b);
		expect_verdicts(&b, want);
		run(c, HVNET_EXT_EGRESS, &b);
		expect_verdicts(&b, want);
		expect_stats(e, 20, 6, 0);
		vsw_ext_chain_free(c);
		vsw_ext_unload(e);
	}
	burst_free(&b);
}

/* What a program is given: the frame, hvnet_frame_len, and, as a filter
 * or forward, write access to the frame's own bytes and no others. */
static void bpf_contract(void)
{
	struct vsw_ext *e;
	struct vsw_ext_chain *c;
	struct burst b = { 0 };
	uint8_t zero_dst[6] = { 0 }, five_dst[6] = { 5, 0, 0, 0, 0, 1 };

	add(&b, mk(1, zero_dst, ET_IPV4, 60));
	add(&b, mk(2, five_dst, ET_IPV4, 60));
	add(&b, mk(3, five_dst, ET_IPV4, 300));

	/* Filter: 0 drops. Forward: k is port k - 1, 0 passes; ingress only.
	 * Capture: ignored. */
	for (int jit = 0; jit < 2; jit++) {
		const char *args = jit ? "section=byte0,jit=on" : "section=byte0,jit=off";
		const int32_t filt[] = { D, P, P }, fwd[] = { P, 4, 4 }, none[] = { P, P, P };

		e = load("b0", VSW_EXT_FILTER, mod[M_BPF_TEST], args);
		c = chain(&e, 1);
		run(c, HVNET_EXT_INGRESS, &b);
		expect_verdicts(&b, filt);
		expect_stats(e, 3, 1, 0);
		vsw_ext_chain_free(c);
		vsw_ext_unload(e);

		e = load("b0", VSW_EXT_FORWARD, mod[M_BPF_TEST], args);
		c = chain(&e, 1);
		run(c, HVNET_EXT_INGRESS, &b);
		expect_verdicts(&b, fwd);
		run(c, HVNET_EXT_EGRESS, &b);
		expect_verdicts(&b, none);
		expect_stats(e, 6, 0, 2);
		vsw_ext_chain_free(c);
		vsw_ext_unload(e);

		e = load("b0", VSW_EXT_CAPTURE, mod[M_BPF_TEST], args);
		c = chain(&e, 1);
		run(c, HVNET_EXT_INGRESS, &b);
		expect_verdicts(&b, none);
		vsw_ext_chain_free(c);
		vsw_ext_unload(e);

		/* hvnet_frame_len, through the port number. */
		e = load("len", VSW_EXT_FORWARD, mod[M_BPF_TEST],
			     jit ? "section=len" : "jit=off,section=len");
		c = chain(&e, 1);
		run(c, HVNET_EXT_INGRESS, &b);
		T_EQ(b.v[0], 59);
		T_EQ(b.v[1], 59);
		T_EQ(b.v[2], 299);
		vsw_ext_chain_free(c);
		vsw_ext_unload(e);
	}

	/* Writes: a capture's never reach the frame. */
	e = load("w", VSW_EXT_CAPTURE, mod[M_BPF_TEST], "section=write");
	c = chain(&e, 1);
	run(c, HVNET_EXT_INGRESS, &b);
	for (int i = 0; i < 3; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(b.p[i], const uint8_t *);

		T_EQ(f[1], 0);
		T_EQ(f[HVNET_EXT_BPF_FRAME_BYTES - 1], i == 2 ? 0 : 0x11);
	}
	vsw_ext_chain_free(c);
	vsw_ext_unload(e);
	/* A filter's reach the frame's bytes, short or long, and no byte
	 * past a short frame's end. */
	e = load("w", VSW_EXT_FILTER, mod[M_BPF_TEST], "section=write");
	c = chain(&e, 1);
	run(c, HVNET_EXT_INGRESS, &b);
	for (int i = 0; i < 3; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(b.p[i], const uint8_t *);

		T_EQ(b.v[i], P);
		T_EQ(f[1], 0xaa);
		T_EQ(f[HVNET_EXT_BPF_FRAME_BYTES - 1], i == 2 ? 0xbb : 0x11);
		T_EQ(b.p[i]->data_len, i == 2 ? 300 : 60);
	}
	vsw_ext_chain_free(c);
	vsw_ext_unload(e);

	/* What lies past a short frame reads as zeros, every time, though the
	 * program wrote there; a long frame keeps what was written (0xbb by
	 * "write" above, then 0x77 by this one). */
	e = load("tail", VSW_EXT_FORWARD, mod[M_BPF_TEST], "section=tail");
	c = chain(&e, 1);
	for (int round = 0; round < 2; round++) {
		run(c, HVNET_EXT_INGRESS, &b);
		T_EQ(b.v[0], 0);
		T_EQ(b.v[1], 0);
		T_EQ(b.v[2], round == 0 ? 0xbb : 0x77);
	}
	T_EQ(rte_pktmbuf_mtod(b.p[0], const uint8_t *)[HVNET_EXT_BPF_FRAME_BYTES - 1], 0x11);
	vsw_ext_chain_free(c);
	vsw_ext_unload(e);
	burst_free(&b);
}

static void bpf_refusals(void)
{
	char tmpl[] = "/tmp/vsw_ext_test_XXXXXX.o";
	struct vsw_ext *e;
	char why[512];
	int fd;

	refused(-EINVAL, "memory boundary violation", "section oob", "oob", VSW_EXT_FILTER,
		mod[M_BPF_TEST], "section=oob");
	refused(-EINVAL, "loops detected", NULL, "loop", VSW_EXT_FILTER, mod[M_BPF_TEST],
		"section=loop");
	refused(-EINVAL, "invalid external function index", NULL, "call", VSW_EXT_FILTER,
		mod[M_BPF_TEST], "section=call");
	refused(-EINVAL, "section nosuch", "llvm-objdump -h", "nosec", VSW_EXT_FILTER,
		mod[M_BPF_TEST], "section=nosuch");
	refused(-EINVAL, "'bogus=1' is not understood", "section=NAME", "badarg", VSW_EXT_FILTER,
		mod[M_BPF_TEST], "section=byte0,bogus=1");
	refused(-EINVAL, "'section=' is not understood", NULL, "emptysec", VSW_EXT_FILTER,
		mod[M_BPF_TEST], "section=");
	refused(-ENOENT, "/nonexistent/prog.o", "No such file", "nobpf", VSW_EXT_FILTER,
		"/nonexistent/prog.o", NULL);

	/* The verifier's words, without the object addresses it logs. */
	T_EQ(try_load("loop", VSW_EXT_FILTER, mod[M_BPF_TEST], "section=loop", true, &e, why,
		      sizeof(why)), -EINVAL);
	T_ASSERT(strstr(why, "loop at pc:") != NULL);
	T_ASSERT(strstr(why, "0x") == NULL);

	fd = mkstemps(tmpl, 2);
	T_ASSERT(fd >= 0);
	T_ASSERT(write(fd, "not an ELF object\n", 18) == 18);
	close(fd);
	refused(-EINVAL, "rte_bpf refused", "Elf", "textbpf", VSW_EXT_FILTER, tmpl, NULL);
	unlink(tmpl);
}

int main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "-m", "256", "--no-shconf", "--no-pci",
			"-l", "0", "--no-telemetry", "--log-level=lib.eal:error", NULL };

	for (int i = 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		int k;

		for (k = 0; k < M_N; k++)
			if (eq != NULL && strlen(mod_keys[k]) == (size_t)(eq - argv[i]) &&
			    strncmp(argv[i], mod_keys[k], (size_t)(eq - argv[i])) == 0)
				break;
		if (k == M_N)
			T_FAIL("unknown argument %s (NAME=PATH, NAME one of the modules)", argv[i]);
		mod[k] = eq + 1;
	}
	for (int k = 0; k < M_BPF_DROP_UDP; k++)
		if (mod[k] == NULL)
			T_FAIL("no %s=PATH argument: run this test from meson", mod_keys[k]);
	if (rte_eal_init(10, eal) < 0)
		T_SKIP("DPDK EAL cannot start here");
	mp = rte_pktmbuf_pool_create("t_ext_mbufs", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	T_ASSERT(mp != NULL);

	T_RUN(loader_refusals);
	T_RUN(chain_empty);
	T_RUN(chain_order);
	T_RUN(chain_all_dropped);
	T_RUN(chain_forwarders);
	T_RUN(verdict_rules);
	T_RUN(sample_count);
	T_RUN(sample_drop_ethertype);
	T_RUN(sample_static_fwd);
	if (mod[M_BPF_DROP_UDP] != NULL && mod[M_BPF_TEST] != NULL) {
		T_RUN(bpf_drop_udp);
		T_RUN(bpf_contract);
		T_RUN(bpf_refusals);
	} else {
		printf("# eBPF cases not run: clang was not found to build the programs\n");
	}
	T_EQ(rte_mempool_in_use_count(mp), 0);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return 0;
}
