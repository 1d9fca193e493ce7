/* Port ACLs compiled for the datapath; see vsw_acl.h.
 *
 * Layout. Each direction of a port has its own rule sets, one for IPv4 and
 * one for IPv6, plus a hash of the MAC records. A record with direction
 * BOTH is compiled into both directions. Frames are looked up by a key
 * that is already oriented by direction (local/remote, not source/
 * destination), so one compiled rule serves both directions unchanged.
 *
 * One lookup per frame answers all IP questions at once: an IP rule set is
 * an rte_acl context with four categories, and rte_acl returns the highest
 * priority match of each category:
 *   CAT_EXT         extended records, priority = weight;
 *   CAT_EXT_NOPORTS the extended records that do not restrict ports (a
 *                   frame without ports, such as a later fragment, takes
 *                   its answer from here, so a port range never matches
 *                   it without a flag field in the trie);
 *   CAT_PLAIN       plain allow/deny records, priority = prefix rank;
 *   CAT_METER       plain meter records, priority = prefix rank.
 * A set with few rules skips rte_acl for a linear scan over the same rules
 * in descending priority, which gives the same answer per category and
 * costs less than rte_acl's setup for a burst (see LINEAR_MAX).
 *
 * rte_acl's tries grow with the product of the wildcards of different
 * rules and it makes at most 8 per context, so a large set that mixes
 * rules leaving different address sides open (local only, remote only,
 * both, neither) takes one context per such shape, and a context that
 * still does not build is halved (up to SET_CTX_MAX contexts). The set's
 * answer per category is then the highest priority over its contexts.
 * Each context costs a classify pass: sets of one shape, the usual case,
 * stay in one.
 *
 * The prefix rank of a plain record is the longest prefix among its
 * specified sides (an "any" side counts 0; a record with local /24 and
 * remote /8 ranks 24). A MAC record counts 48 on that scale, but all MAC
 * records outrank every IP record, as the header promises ("a MAC beats
 * any IP prefix", even an IPv6 /64): the MAC hash is consulted first and
 * only when no MAC record matches does the IP answer decide. Equal ranks
 * go to deny; among records of equal rank and action the one given first
 * (lowest index) decides and is counted, so hits are deterministic. The
 * priority packs (rank, deny, -index), unique per category.
 *
 * Sessions of stateful allows live in an open-addressing table (linear
 * probing, backward-shift deletion, no tombstones) keyed by the same
 * oriented key: the frame that opens a session and its return traffic,
 * which travels the other way with source and destination swapped, have
 * the same local/remote key. A session is the port's, not the rules':
 * it outlives a rebuild of the rules (as a connection tracker's entries
 * outlive a firewall reload) until it idles out. Idle sessions are
 * removed lazily (a lookup that meets one, a few slots swept per call,
 * the whole table's worth when an open finds it full), so "sessions" in
 * the stats may count some that already idled out.
 *
 * Frames are decided as if one at a time, in order, even within a burst:
 * a session an earlier frame of the burst opened is seen by later ones.
 * A direction without rules passes everything and touches no session
 * (the datapath skips the call then anyway). Without a state (st NULL) a
 * stateful allow is a plain allow. Frames passed by a session count on no
 * record.
 *
 * Guests are hostile, so what the parser could not see is not taken as a
 * miss: an IP frame whose IP header was not read is denied when some IP
 * deny applies in the direction, and one whose upper layer was not
 * reached (VSW_PKT_L4 unset, not a later fragment) when some extended
 * deny names a protocol or ports; neither counts on a record. Otherwise a
 * guest would slip past "deny tcp 22" with a ninth IPv6 extension header
 * or a TCP header in a second segment. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <rte_acl.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_memory.h>

#include "vswitch/vsw_acl.h"

#define WHY(...) (snprintf(why, len, __VA_ARGS__), -EINVAL)
#define WHY_RC(rc, ...) (snprintf(why, len, __VA_ARGS__), (rc))

/* Frames looked up together: the datapath's burst; larger calls are cut. */
#define ACL_BURST 32
/* rte_acl returns results in groups of RTE_ACL_RESULTS_MULTIPLIER. */
#define ACL_CATS 4
enum { CAT_EXT, CAT_EXT_NOPORTS, CAT_PLAIN, CAT_METER };
/* Up to LINEAR_MAX rules in one set, a linear scan beats rte_acl on a
 * burst of 32 (measured on an EPYC with AVX-512: 14 against 16 ns a frame
 * at 8 rules, 22 against 17 at 12). For up to LINEAR_FEW_FRAMES frames of
 * a family in a call, where rte_acl runs its scalar code, the scan wins
 * up to about 32 rules (n = 1: 28 against 46 ns at 8 rules, 37 against 45
 * at 24), so sets up to LINEAR_FEW_RULES keep both. */
#define LINEAR_MAX 8u
#define LINEAR_FEW_RULES 24u
#define LINEAR_FEW_FRAMES 3u
#define ACL_FIELDS_MAX 11
/* rte_acl contexts one rule set may take, and the size from which a set
 * of mixed shapes is split by shape before any build is tried. */
#define SET_CTX_MAX 16
#define SHAPE_SPLIT_MIN 1024u

#define IDLE_DEFAULT_S 300
#define SESSIONS_DEFAULT 65536u
#define SESSIONS_MAX (1u << 24)   /* a 2 GB table; far above any port */
/* A session sits at most this far from its hash slot: lookups stay
 * bounded whatever a guest makes of the hash. */
#define SESSION_PROBE_MAX 32u
/* Slots a classify call checks for idle sessions, and how many more an
 * open may check when the table holds max_sessions. */
#define SWEEP_BUDGET 8u
#define RECLAIM_BUDGET 64u

_Static_assert(ACL_CATS % RTE_ACL_RESULTS_MULTIPLIER == 0,
	       "rte_acl wants categories in multiples of its result group");
_Static_assert(VSW_MAX_ACLS_PER_PORT <= 16384, "the priority packs an index in 14 bits");

/* ---- the lookup key: what a frame offers, oriented by direction ---- */

/* What rte_acl reads (offsets are its field definitions), and a session's
 * identity. Addresses and ports in network order, as rte_acl wants its
 * input; IPv4 addresses in bytes 0..3. Fully written for every frame, so
 * it can be hashed and compared as bytes. */
struct acl_key {
	uint8_t proto;
	uint8_t l3;                  /* VSW_L3_IPV4 or VSW_L3_IPV6 */
	uint8_t noports;             /* 1: the frame carries no L4 ports */
	uint8_t pad;
	uint8_t lip[16];
	uint8_t rip[16];
	uint8_t lport[2];
	uint8_t rport[2];
} __attribute__((aligned(8)));

#define KEY_LIP 4
#define KEY_RIP 20
#define KEY_LPORT 36
#define KEY_RPORT 38
_Static_assert(sizeof(struct acl_key) == 40, "the key is five 64-bit words");

/* ---- compiled rules ---- */

struct acl_rec {                 /* what a match on record i does */
	uint8_t action;              /* enum vsw_acl_action */
	uint8_t stateful;
	uint32_t idle_s;
};

struct acl_hit {                 /* written by the lcore only */
	uint64_t frames;
	uint64_t bytes;
};

/* A record reduced to what identifies it, compared as bytes to hand hit
 * counters from the previous rules to the same record in the new ones. */
struct acl_norm {
	uint8_t extended, action, dir, stateful;
	uint8_t lkind, lplen, rkind, rplen;
	uint8_t laddr[16], raddr[16];
	int16_t protocol;
	uint16_t lp_lo, lp_hi, rp_lo, rp_hi, weight;
	uint32_t idle_s;
};

/* One rule of a linear set: addresses as masked 64-bit words in the key's
 * byte order. */
struct acl_lin {
	uint64_t la[2], lm[2], ra[2], rm[2];
	uint16_t lp_lo, lp_hi, rp_lo, rp_hi;
	uint8_t proto, proto_mask;
	uint8_t cats;                /* bit per category */
	uint32_t prio;
	uint32_t userdata;           /* record index + 1 */
};

RTE_ACL_RULE_DEF(acl_rule, ACL_FIELDS_MAX);

struct acl_ipset {
	uint32_t n;
	uint8_t cats;                /* categories some rule fills */
	uint8_t nctx;                /* 0: the linear scan only */
	struct rte_acl_ctx *ctx[SET_CTX_MAX];
	struct acl_lin *lin;         /* up to LINEAR_FEW_RULES, descending priority */
};

struct mac_ent {
	uint64_t l, r;               /* 48-bit MACs, 0 on an "any" side */
	uint32_t rec;
	uint8_t which;               /* 1 local, 2 remote, 3 both; 0 empty */
};

struct mac_set {
	struct mac_ent *tab;
	uint32_t mask;
	uint32_t n;
	uint8_t present;             /* bit 'which' per kind in the table */
};

struct acl_dirset {
	bool active;
	/* Some deny could match what the parser did not see: a protocol or
	 * ports (unseen_l4), or anything of an IP frame (unseen_ip). */
	bool deny_unseen_l4, deny_unseen_ip;
	struct mac_set mac;
	struct acl_ipset ip[2];      /* IPv4, IPv6 */
};

struct vsw_acl_rules {
	unsigned int n;
	bool stateful;               /* some record is a stateful allow */
	struct acl_rec *rec;
	uint32_t *prio;              /* per record, to merge contexts' answers */
	struct acl_hit *hits;
	struct acl_norm *norm;
	struct acl_dirset dir[2];    /* inbound, outbound */
};

/* ---- sessions ---- */

struct acl_sess {
	struct acl_key key;
	uint32_t hash;
	uint32_t last_s;
	uint32_t idle_s;             /* 0: the slot is free */
};

struct vsw_acl_state {
	struct acl_sess *tab;
	uint32_t mask;
	uint32_t max;
	uint32_t count;
	uint32_t cursor;
	uint32_t probe_max;
	uint64_t seed[2];
	uint64_t opened, expired, full;
};

/* ---- helpers ---- */

static int dir_index(enum vsw_dir d)
{
	return d == VSW_DIR_INBOUND ? 0 : 1;
}

static uint64_t mac48(const uint8_t *m)
{
	return (uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 | (uint64_t)m[2] << 24 |
	       (uint64_t)m[3] << 16 | (uint64_t)m[4] << 8 | m[5];
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool addr_is_ip(const struct vsw_acl_addr *a)
{
	return a->kind == VSW_ADDR_IPV4 || a->kind == VSW_ADDR_IPV6;
}

static unsigned int addr_bits(enum vsw_addr_kind k)
{
	return k == VSW_ADDR_IPV4 ? 32 : k == VSW_ADDR_IPV6 ? 128 : k == VSW_ADDR_MAC ? 48 : 0;
}

/* The address with its host bits cleared (the validators refuse host
 * bits, but a mask here keeps every matcher agreeing if one slips by). */
static void addr_masked(const struct vsw_acl_addr *a, uint8_t out[16])
{
	unsigned int plen = a->kind == VSW_ADDR_ANY ? 0 : a->plen;

	memset(out, 0, 16);
	if (a->kind == VSW_ADDR_MAC) {
		memcpy(out, a->addr, 6);
		return;
	}
	for (unsigned int b = 0; b < 16 && b * 8 < plen; b++) {
		unsigned int keep = plen - b * 8 >= 8 ? 8 : plen - b * 8;

		out[b] = (uint8_t)(a->addr[b] & (0xff00u >> keep));
	}
}

static void mask_bytes(unsigned int plen, uint8_t out[16])
{
	memset(out, 0, 16);
	for (unsigned int b = 0; b < 16 && b * 8 < plen; b++) {
		unsigned int keep = plen - b * 8 >= 8 ? 8 : plen - b * 8;

		out[b] = (uint8_t)(0xff00u >> keep);
	}
}

static bool ports_restricted(const struct vsw_acl_cfg *a)
{
	return a->local_port_lo != 0 || a->local_port_hi != 65535 || a->remote_port_lo != 0 ||
	       a->remote_port_hi != 65535;
}

static bool proto_has_ports(int16_t p)
{
	return p == 6 || p == 17 || p == 132;
}

/* ---- validation: what the compiler relies on ---- */

static int check_addr(const struct vsw_acl_addr *a, unsigned int i, const char *port,
		      const char *side, char *why, size_t len)
{
	if ((unsigned int)a->kind > VSW_ADDR_IPV6)
		return WHY("ACL %u of port %.*s: the %s address has no known kind; give any, "
			   "a MAC, or an IPv4 or IPv6 prefix", i, VSW_NAME_MAX, port, side);
	if (a->kind == VSW_ADDR_MAC ? a->plen != 48 : a->plen > addr_bits(a->kind))
		return WHY("ACL %u of port %.*s: the %s prefix length %u is out of range "
			   "(0-%u)", i, VSW_NAME_MAX, port, side, a->plen, addr_bits(a->kind));
	return 0;
}

static int check_rec(const struct vsw_acl_cfg *a, unsigned int i, char *why, size_t len)
{
	const struct vsw_acl_addr *l = &a->local, *r = &a->remote;
	const char *port = a->port;

	if ((unsigned int)a->action > VSW_ACL_METER)
		return WHY("ACL %u of port %.*s: the action must be allow, deny or meter", i,
			   VSW_NAME_MAX, port);
	if (a->dir < VSW_DIR_INBOUND || a->dir > VSW_DIR_BOTH)
		return WHY("ACL %u of port %.*s: the direction must be inbound, outbound or "
			   "both", i, VSW_NAME_MAX, port);
	if (check_addr(l, i, port, "local", why, len) < 0 ||
	    check_addr(r, i, port, "remote", why, len) < 0)
		return -EINVAL;
	if (l->kind != VSW_ADDR_ANY && r->kind != VSW_ADDR_ANY && l->kind != r->kind)
		return WHY("ACL %u of port %.*s: the local and remote addresses must be of one "
			   "kind (both MAC, both IPv4 or both IPv6)", i, VSW_NAME_MAX, port);
	if (!a->extended) {
		if (l->kind == VSW_ADDR_ANY && r->kind == VSW_ADDR_ANY)
			return WHY("ACL %u of port %.*s: a plain ACL needs a local or remote MAC "
				   "or IP address (a 5-tuple rule needs a weight)", i,
				   VSW_NAME_MAX, port);
		if (a->action == VSW_ACL_METER && !addr_is_ip(l) && !addr_is_ip(r))
			return WHY("ACL %u of port %.*s: a meter ACL must match IP addresses, "
				   "not MACs", i, VSW_NAME_MAX, port);
		return 0;
	}
	if (a->action == VSW_ACL_METER)
		return WHY("ACL %u of port %.*s: an extended ACL allows or denies; meter needs "
			   "a plain IP ACL", i, VSW_NAME_MAX, port);
	if (l->kind == VSW_ADDR_MAC || r->kind == VSW_ADDR_MAC)
		return WHY("ACL %u of port %.*s: an extended ACL matches IP addresses, not "
			   "MACs", i, VSW_NAME_MAX, port);
	if (a->protocol < VSW_ACL_PROTO_ANY || a->protocol > 255)
		return WHY("ACL %u of port %.*s: the protocol must be any or 0-255", i,
			   VSW_NAME_MAX, port);
	if (a->local_port_lo > a->local_port_hi || a->remote_port_lo > a->remote_port_hi)
		return WHY("ACL %u of port %.*s: a port range must run from low to high", i,
			   VSW_NAME_MAX, port);
	if (ports_restricted(a) && !proto_has_ports(a->protocol))
		return WHY("ACL %u of port %.*s: ports need protocol tcp, udp or sctp", i,
			   VSW_NAME_MAX, port);
	if (a->weight == 0)
		return WHY("ACL %u of port %.*s: an extended ACL's weight must be 1-65535", i,
			   VSW_NAME_MAX, port);
	if (a->stateful && a->action != VSW_ACL_ALLOW)
		return WHY("ACL %u of port %.*s: only an allow ACL can be stateful", i,
			   VSW_NAME_MAX, port);
	return 0;
}

/* Weights decide the order of extended ACLs: two of one weight in one
 * direction would leave the order to chance. */
static int check_weights(const struct vsw_acl_cfg *acls, unsigned int n, char *why, size_t len)
{
	uint64_t *seen = calloc(2 * 65536 / 64, sizeof(uint64_t));
	int rc = 0;

	if (seen == NULL)
		return WHY_RC(-ENOMEM, "out of memory checking ACL weights; retry when "
			      "vswitchd has memory");
	for (unsigned int i = 0; i < n && rc == 0; i++) {
		const struct vsw_acl_cfg *a = &acls[i];

		if (!a->extended)
			continue;
		for (int d = 0; d < 2 && rc == 0; d++) {
			uint64_t *bits = seen + d * (65536 / 64);

			if (!(a->dir & (d == 0 ? VSW_DIR_INBOUND : VSW_DIR_OUTBOUND)))
				continue;
			if (bits[a->weight / 64] >> (a->weight % 64) & 1)
				rc = WHY("port %.*s has two extended ACLs of weight %u %s; weights "
					 "are unique per direction: delete one", VSW_NAME_MAX,
					 a->port, a->weight, d == 0 ? "inbound" : "outbound");
			bits[a->weight / 64] |= 1ull << (a->weight % 64);
		}
	}
	free(seen);
	return rc;
}

/* ---- compiling one IP rule set ---- */

/* The rte_acl input layout of acl_key for one family. The first field is
 * one byte (rte_acl's rule); each later input index reads four
 * consecutive bytes, so every group below is exactly four bytes. */
static unsigned int field_defs(int fam, struct rte_acl_field_def *defs)
{
	unsigned int nf = 0, words = fam == 0 ? 1 : 4;
	uint8_t input = 0;

	defs[nf++] = (struct rte_acl_field_def){ .type = RTE_ACL_FIELD_TYPE_BITMASK,
						 .size = 1, .field_index = 0,
						 .input_index = input++, .offset = 0 };
	for (unsigned int side = 0; side < 2; side++)
		for (unsigned int w = 0; w < words; w++) {
			defs[nf] = (struct rte_acl_field_def){
				.type = RTE_ACL_FIELD_TYPE_MASK, .size = 4,
				.field_index = (uint8_t)nf, .input_index = input++,
				.offset = (side == 0 ? KEY_LIP : KEY_RIP) + 4 * w };
			nf++;
		}
	defs[nf] = (struct rte_acl_field_def){ .type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2,
					       .field_index = (uint8_t)nf, .input_index = input,
					       .offset = KEY_LPORT };
	nf++;
	defs[nf] = (struct rte_acl_field_def){ .type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2,
					       .field_index = (uint8_t)nf, .input_index = input,
					       .offset = KEY_RPORT };
	nf++;
	return nf;
}

/* One number orders plain records the way they decide: rank (bits
 * 15-22), then deny (bit 14), then the record given first (16383 - index
 * in bits 0-13); unique, so rte_acl never has to pick between equals. Its
 * priorities start at 1. */
static uint32_t plain_prio(const struct vsw_acl_cfg *a, unsigned int i)
{
	unsigned int rank = 0;

	if (addr_is_ip(&a->local))
		rank = a->local.plen;
	if (addr_is_ip(&a->remote) && a->remote.plen > rank)
		rank = a->remote.plen;
	return 1u + (rank << 15 | (a->action == VSW_ACL_DENY) << 14 | (16383u - i));
}

static uint8_t rec_cats(const struct vsw_acl_cfg *a)
{
	if (a->extended)
		return (uint8_t)(1u << CAT_EXT | (ports_restricted(a) ? 0 : 1u << CAT_EXT_NOPORTS));
	return (uint8_t)(a->action == VSW_ACL_METER ? 1u << CAT_METER : 1u << CAT_PLAIN);
}

/* Family bits (1 IPv4, 2 IPv6) of the IP sets a record goes into; 0 for
 * a MAC record. */
static unsigned int rec_fams(const struct vsw_acl_cfg *a)
{
	enum vsw_addr_kind k = a->local.kind != VSW_ADDR_ANY ? a->local.kind : a->remote.kind;

	if (k == VSW_ADDR_MAC)
		return 0;
	if (k == VSW_ADDR_IPV4)
		return 1;
	if (k == VSW_ADDR_IPV6)
		return 2;
	return a->extended ? 3 : 0;
}

static void lin_fill(const struct vsw_acl_cfg *a, unsigned int i, struct acl_lin *l)
{
	uint8_t b[16];

	memset(l, 0, sizeof(*l));
	addr_masked(&a->local, b);
	l->la[0] = load64(b);
	l->la[1] = load64(b + 8);
	mask_bytes(addr_is_ip(&a->local) ? a->local.plen : 0, b);
	l->lm[0] = load64(b);
	l->lm[1] = load64(b + 8);
	addr_masked(&a->remote, b);
	l->ra[0] = load64(b);
	l->ra[1] = load64(b + 8);
	mask_bytes(addr_is_ip(&a->remote) ? a->remote.plen : 0, b);
	l->rm[0] = load64(b);
	l->rm[1] = load64(b + 8);
	if (a->extended) {
		l->lp_lo = a->local_port_lo;
		l->lp_hi = a->local_port_hi;
		l->rp_lo = a->remote_port_lo;
		l->rp_hi = a->remote_port_hi;
		if (a->protocol != VSW_ACL_PROTO_ANY) {
			l->proto = (uint8_t)a->protocol;
			l->proto_mask = 0xff;
		}
		l->prio = a->weight;
	} else {
		l->lp_hi = 65535;
		l->rp_hi = 65535;
		l->prio = plain_prio(a, i);
	}
	l->cats = rec_cats(a);
	l->userdata = i + 1;
}

static void rule_fill(const struct acl_lin *l, int fam, struct acl_rule *r)
{
	unsigned int f = 0, words = fam == 0 ? 1 : 4;
	const uint64_t *addr[2] = { l->la, l->ra }, *mask[2] = { l->lm, l->rm };

	memset(r, 0, sizeof(*r));
	r->data.category_mask = l->cats;
	r->data.priority = (int32_t)l->prio;
	r->data.userdata = l->userdata;
	r->field[f].value.u8 = l->proto;
	r->field[f++].mask_range.u8 = l->proto_mask;
	for (unsigned int side = 0; side < 2; side++) {
		uint8_t ab[16], mb[16];

		memcpy(ab, addr[side], 16);
		memcpy(mb, mask[side], 16);
		for (unsigned int w = 0; w < words; w++) {
			uint32_t m = be32_at(mb + 4 * w);

			r->field[f].value.u32 = be32_at(ab + 4 * w);
			/* MASK fields take a prefix length; masks are prefixes. */
			r->field[f++].mask_range.u32 = (uint32_t)__builtin_popcount(m);
		}
	}
	r->field[f].value.u16 = l->lp_lo;
	r->field[f++].mask_range.u16 = l->lp_hi;
	r->field[f].value.u16 = l->rp_lo;
	r->field[f].mask_range.u16 = l->rp_hi;
}

static int lin_cmp(const void *pa, const void *pb)
{
	const struct acl_lin *a = pa, *b = pb;

	return a->prio < b->prio ? 1 : a->prio > b->prio ? -1 : 0;
}

/* One rte_acl context over 'n' rules, appended to the set. 0 or -errno
 * (-ENOMEM also when the rules need more tries than rte_acl makes). */
static int ctx_build(const struct vsw_acl_rules *rules, struct acl_ipset *s, int di, int fam,
		     const struct acl_lin *lin, uint32_t n)
{
	struct rte_acl_config cfg;
	struct rte_acl_param prm;
	struct rte_acl_ctx *ctx;
	struct acl_rule *rr;
	char name[RTE_ACL_NAMESIZE];
	int rc;

	/* rte_acl_create hands back an existing context of the same name, so
	 * the name must be unique in the process: this rules object's address
	 * and the context's place in it are. */
	snprintf(name, sizeof(name), "vswacl%" PRIxPTR "_%d_%u", (uintptr_t)rules, di * 2 + fam,
		 s->nctx);
	prm = (struct rte_acl_param){ .name = name, .socket_id = SOCKET_ID_ANY,
				      .rule_size = sizeof(struct acl_rule), .max_rule_num = n };
	ctx = rte_acl_create(&prm);
	if (ctx == NULL)
		return rte_errno > 0 ? -rte_errno : -ENOMEM;
	rr = calloc(n, sizeof(*rr));
	if (rr == NULL) {
		rte_acl_free(ctx);
		return -ENOMEM;
	}
	for (uint32_t k = 0; k < n; k++)
		rule_fill(&lin[k], fam, &rr[k]);
	rc = rte_acl_add_rules(ctx, (const struct rte_acl_rule *)rr, n);
	free(rr);
	if (rc == 0) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.num_categories = ACL_CATS;
		cfg.num_fields = field_defs(fam, cfg.defs);
		rc = rte_acl_build(ctx, &cfg);
	}
	if (rc < 0) {
		rte_acl_free(ctx);
		return rc;
	}
	s->ctx[s->nctx++] = ctx;
	return 0;
}

/* Rules rte_acl cannot put in one context (its tries grow with the
 * product of the wildcards of different rules) go into two halves, each
 * built alone, down to SET_CTX_MAX contexts. */
static int group_build(const struct vsw_acl_rules *rules, struct acl_ipset *s, int di, int fam,
		       const struct acl_lin *lin, uint32_t n)
{
	int rc = ctx_build(rules, s, di, fam, lin, n);

	if (rc != -ENOMEM && rc != -ERANGE)
		return rc;
	if (n < 2 || s->nctx + 2u > SET_CTX_MAX)
		return rc;
	rc = group_build(rules, s, di, fam, lin, n / 2);
	if (rc == 0)
		rc = group_build(rules, s, di, fam, lin + n / 2, n - n / 2);
	return rc;
}

/* Which address sides a rule leaves open: rules of one shape share a
 * trie cheaply (rte_acl drops a field no rule of a context uses). */
static unsigned int lin_shape(const struct acl_lin *l)
{
	return (l->lm[0] == 0 && l->lm[1] == 0) | (l->rm[0] == 0 && l->rm[1] == 0) << 1;
}

static int lin_shape_cmp(const void *pa, const void *pb)
{
	const struct acl_lin *a = pa, *b = pb;
	unsigned int sa = lin_shape(a), sb = lin_shape(b);

	return sa != sb ? (sa < sb ? -1 : 1) : lin_cmp(pa, pb);
}

static int ipset_build(struct vsw_acl_rules *rules, struct acl_ipset *s, int di, int fam,
		       struct acl_lin *lin, uint32_t n, char *why, size_t len)
{
	const char *what = fam == 0 ? "IPv4" : "IPv6", *dn = di == 0 ? "inbound" : "outbound";
	int rc = 0;

	s->n = n;
	for (uint32_t k = 0; k < n; k++)
		s->cats |= lin[k].cats;
	if (n <= LINEAR_FEW_RULES) {
		qsort(lin, n, sizeof(*lin), lin_cmp);
		s->lin = lin;
		if (n <= LINEAR_MAX)
			return 0;
	}
	/* rte_acl keeps its contexts on an EAL list: without the EAL it
	 * would crash, so say what is missing instead. */
	if (rte_lcore_count() == 0) {
		if (s->lin == NULL)
			free(lin);
		return WHY_RC(-ENODEV, "%u %s %s ACL rules need DPDK's classifier, and DPDK's "
			      "EAL is not running in this process", n, dn, what);
	}
	/* A large set of mixed shapes goes by shape straight away: one
	 * context for it would likely fail, after a long build. */
	if (n > SHAPE_SPLIT_MIN) {
		qsort(lin, n, sizeof(*lin), lin_shape_cmp);
		for (uint32_t a = 0, b; a < n && rc == 0; a = b) {
			for (b = a + 1; b < n && lin_shape(&lin[b]) == lin_shape(&lin[a]); b++)
				;
			rc = group_build(rules, s, di, fam, lin + a, b - a);
		}
	} else {
		rc = group_build(rules, s, di, fam, lin, n);
	}
	if (s->lin == NULL)
		free(lin);
	if (rc < 0)
		return WHY_RC(rc, "compiling %u %s %s ACL rules failed (%s): DPDK's classifier "
			      "needs more memory or more contexts than it has for rules of "
			      "this mix; remove rules or give vswitchd more memory", n, dn,
			      what, strerror(-rc));
	return 0;
}

/* ---- the MAC set ---- */

static uint32_t mac_hash(uint64_t l, uint64_t r, uint8_t which)
{
	uint64_t h = (l ^ (r * 0x9e3779b97f4a7c15ull) ^ which) * 0xff51afd7ed558ccdull;

	return (uint32_t)(h >> 32 ^ h);
}

/* Deny beats allow; then the record given first. */
static bool rec_better(const struct vsw_acl_rules *r, uint32_t a, uint32_t b)
{
	bool da = r->rec[a].action == VSW_ACL_DENY, db = r->rec[b].action == VSW_ACL_DENY;

	return da != db ? da : a < b;
}

static int macset_build(struct vsw_acl_rules *r, struct mac_set *m, int di, char *why, size_t len)
{
	uint32_t n = 0, size = 16;
	enum vsw_dir want = di == 0 ? VSW_DIR_INBOUND : VSW_DIR_OUTBOUND;

	for (unsigned int i = 0; i < r->n; i++)
		n += r->norm[i].extended == 0 && (r->norm[i].dir & want) &&
		     (r->norm[i].lkind == VSW_ADDR_MAC || r->norm[i].rkind == VSW_ADDR_MAC);
	if (n == 0)
		return 0;
	while (size < 2 * n)
		size *= 2;
	m->tab = calloc(size, sizeof(*m->tab));
	if (m->tab == NULL)
		return WHY_RC(-ENOMEM, "out of memory compiling %u MAC ACL rules", n);
	m->mask = size - 1;
	for (unsigned int i = 0; i < r->n; i++) {
		const struct acl_norm *a = &r->norm[i];
		struct mac_ent e = { 0 };
		uint32_t h;

		if (a->extended || !(a->dir & want) ||
		    (a->lkind != VSW_ADDR_MAC && a->rkind != VSW_ADDR_MAC))
			continue;
		e.which = (uint8_t)((a->lkind == VSW_ADDR_MAC) | (a->rkind == VSW_ADDR_MAC) << 1);
		e.l = a->lkind == VSW_ADDR_MAC ? mac48(a->laddr) : 0;
		e.r = a->rkind == VSW_ADDR_MAC ? mac48(a->raddr) : 0;
		e.rec = i;
		for (h = mac_hash(e.l, e.r, e.which);; h++) {
			struct mac_ent *t = &m->tab[h & m->mask];

			if (t->which == 0) {
				*t = e;
				m->n++;
				break;
			}
			if (t->which == e.which && t->l == e.l && t->r == e.r) {
				if (rec_better(r, e.rec, t->rec))
					t->rec = e.rec;
				break;
			}
		}
		m->present |= (uint8_t)(1u << e.which);
	}
	return 0;
}

/* The deciding MAC record for a frame, or -1. */
static int64_t mac_lookup(const struct vsw_acl_rules *r, const struct mac_set *m, uint64_t lm,
			  uint64_t rm)
{
	int64_t best = -1;

	for (uint8_t which = 1; which <= 3; which++) {
		uint64_t l = which & 1 ? lm : 0, rr = which & 2 ? rm : 0;

		if (!(m->present >> which & 1))
			continue;
		for (uint32_t h = mac_hash(l, rr, which);; h++) {
			const struct mac_ent *t = &m->tab[h & m->mask];

			if (t->which == 0)
				break;
			if (t->which == which && t->l == l && t->r == rr) {
				if (best < 0 || rec_better(r, t->rec, (uint32_t)best))
					best = t->rec;
				break;
			}
		}
	}
	return best;
}

/* ---- building the rules object ---- */

static void norm_fill(const struct vsw_acl_cfg *a, struct acl_norm *o)
{
	memset(o, 0, sizeof(*o));
	o->extended = a->extended;
	o->action = (uint8_t)a->action;
	o->dir = (uint8_t)a->dir;
	o->lkind = (uint8_t)a->local.kind;
	o->lplen = a->local.kind == VSW_ADDR_ANY ? 0 : a->local.plen;
	o->rkind = (uint8_t)a->remote.kind;
	o->rplen = a->remote.kind == VSW_ADDR_ANY ? 0 : a->remote.plen;
	addr_masked(&a->local, o->laddr);
	addr_masked(&a->remote, o->raddr);
	if (a->extended) {
		o->stateful = a->stateful;
		o->protocol = a->protocol;
		o->lp_lo = a->local_port_lo;
		o->lp_hi = a->local_port_hi;
		o->rp_lo = a->remote_port_lo;
		o->rp_hi = a->remote_port_hi;
		o->weight = a->weight;
		o->idle_s = a->stateful ? a->idle_timeout_s : 0;
	}
}

/* By content, then by place, so that copies of one record hand their
 * counts on in the order they were given. */
static int norm_cmp(const void *pa, const void *pb, void *arg)
{
	const struct acl_norm *norm = arg;
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	int c = memcmp(&norm[a], &norm[b], sizeof(*norm));

	return c != 0 ? c : a < b ? -1 : a > b;
}

/* Each record that was in 'prev' keeps its counts; a record given twice
 * takes each earlier count once. */
static int carry_hits(struct vsw_acl_rules *r, const struct vsw_acl_rules *prev)
{
	uint32_t *order, pn = prev->n;
	uint8_t *used;

	if (pn == 0 || r->n == 0)
		return 0;
	order = malloc(pn * sizeof(*order));
	used = calloc(pn, 1);
	if (order == NULL || used == NULL) {
		free(order);
		free(used);
		return -ENOMEM;
	}
	for (uint32_t j = 0; j < pn; j++)
		order[j] = j;
	qsort_r(order, pn, sizeof(*order), norm_cmp, prev->norm);
	for (unsigned int i = 0; i < r->n; i++) {
		uint32_t lo = 0, hi = pn;

		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (memcmp(&prev->norm[order[mid]], &r->norm[i], sizeof(r->norm[i])) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < pn && memcmp(&prev->norm[order[lo]], &r->norm[i],
					 sizeof(r->norm[i])) == 0; lo++) {
			uint32_t j = order[lo];

			if (used[j])
				continue;
			used[j] = 1;
			r->hits[i].frames = __atomic_load_n(&prev->hits[j].frames,
							    __ATOMIC_RELAXED);
			r->hits[i].bytes = __atomic_load_n(&prev->hits[j].bytes,
							   __ATOMIC_RELAXED);
			break;
		}
	}
	free(order);
	free(used);
	return 0;
}

static int dirset_build(struct vsw_acl_rules *r, const struct vsw_acl_cfg *acls, int di,
			char *why, size_t len)
{
	struct acl_dirset *ds = &r->dir[di];
	enum vsw_dir want = di == 0 ? VSW_DIR_INBOUND : VSW_DIR_OUTBOUND;
	int rc = macset_build(r, &ds->mac, di, why, len);

	if (rc < 0)
		return rc;
	ds->active = ds->mac.n > 0;
	for (unsigned int i = 0; i < r->n; i++) {
		const struct vsw_acl_cfg *a = &acls[i];

		if (!(a->dir & want) || a->action != VSW_ACL_DENY)
			continue;
		if (a->extended || addr_is_ip(&a->local) || addr_is_ip(&a->remote))
			ds->deny_unseen_ip = true;
		if (a->extended && (a->protocol != VSW_ACL_PROTO_ANY || ports_restricted(a)))
			ds->deny_unseen_l4 = true;
	}
	for (int fam = 0; fam < 2; fam++) {
		struct acl_lin *lin;
		uint32_t n = 0;

		for (unsigned int i = 0; i < r->n; i++)
			n += (acls[i].dir & want) && (rec_fams(&acls[i]) >> fam & 1);
		if (n == 0)
			continue;
		ds->active = true;
		lin = calloc(n, sizeof(*lin));
		if (lin == NULL)
			return WHY_RC(-ENOMEM, "out of memory compiling %u ACL rules", n);
		n = 0;
		for (unsigned int i = 0; i < r->n; i++)
			if ((acls[i].dir & want) && (rec_fams(&acls[i]) >> fam & 1))
				lin_fill(&acls[i], i, &lin[n++]);
		rc = ipset_build(r, &ds->ip[fam], di, fam, lin, n, why, len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int vsw_acl_rules_build(const struct vsw_acl_cfg *acls, unsigned int n,
			const struct vsw_acl_rules *prev, struct vsw_acl_rules **out,
			char *why, size_t len)
{
	struct vsw_acl_rules *r;
	int rc;

	if (out == NULL || (n > 0 && acls == NULL))
		return WHY("no ACL records were given to compile (an internal error)");
	*out = NULL;
	if (n > VSW_MAX_ACLS_PER_PORT)
		return WHY("a port takes at most %u ACLs, not %u; remove some",
			   VSW_MAX_ACLS_PER_PORT, n);
	for (unsigned int i = 0; i < n; i++) {
		rc = check_rec(&acls[i], i, why, len);
		if (rc < 0)
			return rc;
	}
	rc = check_weights(acls, n, why, len);
	if (rc < 0)
		return rc;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return WHY_RC(-ENOMEM, "out of memory compiling ACLs");
	r->n = n;
	if (n > 0) {
		r->rec = calloc(n, sizeof(*r->rec));
		r->prio = calloc(n, sizeof(*r->prio));
		r->hits = calloc(n, sizeof(*r->hits));
		r->norm = calloc(n, sizeof(*r->norm));
		if (r->rec == NULL || r->prio == NULL || r->hits == NULL || r->norm == NULL) {
			vsw_acl_rules_free(r);
			return WHY_RC(-ENOMEM, "out of memory compiling %u ACLs", n);
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		r->rec[i].action = (uint8_t)acls[i].action;
		r->rec[i].stateful = acls[i].extended && acls[i].stateful;
		r->rec[i].idle_s = acls[i].idle_timeout_s ? acls[i].idle_timeout_s : IDLE_DEFAULT_S;
		r->prio[i] = acls[i].extended ? acls[i].weight : plain_prio(&acls[i], i);
		r->stateful |= r->rec[i].stateful;
		norm_fill(&acls[i], &r->norm[i]);
	}
	for (int di = 0; di < 2; di++) {
		rc = dirset_build(r, acls, di, why, len);
		if (rc < 0) {
			vsw_acl_rules_free(r);
			return rc;
		}
	}
	if (prev != NULL && carry_hits(r, prev) < 0) {
		vsw_acl_rules_free(r);
		return WHY_RC(-ENOMEM, "out of memory carrying ACL hit counters over");
	}
	*out = r;
	return 0;
}

void vsw_acl_rules_free(struct vsw_acl_rules *r)
{
	if (r == NULL)
		return;
	for (int di = 0; di < 2; di++) {
		free(r->dir[di].mac.tab);
		for (int fam = 0; fam < 2; fam++) {
			for (unsigned int k = 0; k < r->dir[di].ip[fam].nctx; k++)
				rte_acl_free(r->dir[di].ip[fam].ctx[k]);
			free(r->dir[di].ip[fam].lin);
		}
	}
	free(r->rec);
	free(r->prio);
	free(r->hits);
	free(r->norm);
	free(r);
}

bool vsw_acl_rules_active(const struct vsw_acl_rules *r, enum vsw_dir dir)
{
	if (r == NULL)
		return false;
	return ((dir & VSW_DIR_INBOUND) && r->dir[0].active) ||
	       ((dir & VSW_DIR_OUTBOUND) && r->dir[1].active);
}

bool vsw_acl_rules_stateful(const struct vsw_acl_rules *r)
{
	return r != NULL && r->stateful;
}

int vsw_acl_rules_hits(const struct vsw_acl_rules *r, unsigned int i, uint64_t *frames,
		       uint64_t *bytes)
{
	if (r == NULL || i >= r->n)
		return -ENOENT;
	if (frames != NULL)
		*frames = __atomic_load_n(&r->hits[i].frames, __ATOMIC_RELAXED);
	if (bytes != NULL)
		*bytes = __atomic_load_n(&r->hits[i].bytes, __ATOMIC_RELAXED);
	return 0;
}

/* ---- sessions ---- */

static uint64_t seed_word(void)
{
	uint64_t v = 0;
	struct timespec ts;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	/* No entropy yet (early boot): the table still works, only a guest
	 * could aim at one probe chain more easily. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)ts.tv_sec;
}

int vsw_acl_state_create(uint32_t max_sessions, struct vsw_acl_state **out)
{
	struct vsw_acl_state *s;
	uint32_t size = 16;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (max_sessions == 0)
		max_sessions = SESSIONS_DEFAULT;
	if (max_sessions > SESSIONS_MAX)
		return -EINVAL;
	/* At most half full: short probe chains. */
	while (size < 2 * max_sessions)
		size *= 2;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->tab = calloc(size, sizeof(*s->tab));
	if (s->tab == NULL) {
		free(s);
		return -ENOMEM;
	}
	s->mask = size - 1;
	s->max = max_sessions;
	s->probe_max = size < SESSION_PROBE_MAX ? size : SESSION_PROBE_MAX;
	s->seed[0] = seed_word();
	s->seed[1] = seed_word() | 1;
	*out = s;
	return 0;
}

void vsw_acl_state_free(struct vsw_acl_state *s)
{
	if (s == NULL)
		return;
	free(s->tab);
	free(s);
}

void vsw_acl_state_stats(const struct vsw_acl_state *s, struct vsw_acl_state_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return;
	out->sessions = __atomic_load_n(&s->count, __ATOMIC_RELAXED);
	out->opened = __atomic_load_n(&s->opened, __ATOMIC_RELAXED);
	out->expired = __atomic_load_n(&s->expired, __ATOMIC_RELAXED);
	out->full = __atomic_load_n(&s->full, __ATOMIC_RELAXED);
}

/* Counters a control thread may read while the lcore writes: one writer,
 * so a relaxed load and store suffice (no locked add on the hot path). */
static inline void bump64(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

static inline void set32(uint32_t *c, uint32_t v)
{
	__atomic_store_n(c, v, __ATOMIC_RELAXED);
}

static uint32_t key_hash(const struct vsw_acl_state *s, const struct acl_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint64_t h = s->seed[0];

	for (unsigned int w = 0; w < sizeof(*k) / 8; w++) {
		h ^= load64(b + 8 * w) * s->seed[1];
		h = (h << 27 | h >> 37) * 0x9e3779b97f4a7c15ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h;
}

static bool key_eq(const struct acl_key *a, const struct acl_key *b)
{
	const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
	uint64_t d = 0;

	for (unsigned int w = 0; w < sizeof(*a) / 8; w++)
		d |= load64(x + 8 * w) ^ load64(y + 8 * w);
	return d == 0;
}

/* Idle for idle_s or longer. A clock that stepped back counts as fresh. */
static bool sess_expired(const struct acl_sess *e, uint32_t now)
{
	int32_t age = (int32_t)(now - e->last_s);

	return age >= 0 && (uint32_t)age >= e->idle_s;
}

/* Backward-shift deletion: the entries after 'i' in its probe chain move
 * up so that no lookup meets a hole before its key. */
static void sess_delete(struct vsw_acl_state *s, uint32_t i)
{
	uint32_t j = i;

	for (;;) {
		const struct acl_sess *e;

		j = (j + 1) & s->mask;
		e = &s->tab[j];
		if (e->idle_s == 0)
			break;
		if (((j - e->hash) & s->mask) >= ((j - i) & s->mask)) {
			s->tab[i] = *e;
			i = j;
		}
	}
	s->tab[i].idle_s = 0;
	set32(&s->count, s->count - 1);
	bump64(&s->expired, 1);
}

static void sess_sweep(struct vsw_acl_state *s, uint32_t now, uint32_t budget)
{
	while (budget-- > 0 && s->count > 0) {
		uint32_t i = s->cursor;

		if (s->tab[i].idle_s != 0 && sess_expired(&s->tab[i], now)) {
			sess_delete(s, i);       /* look at what moved into i next */
			continue;
		}
		s->cursor = (i + 1) & s->mask;
	}
}

/* The live session of key 'k', refreshed; false when there is none. */
static bool sess_hit(struct vsw_acl_state *s, const struct acl_key *k, uint32_t now)
{
	uint32_t h = key_hash(s, k);

	for (uint32_t d = 0; d < s->probe_max; d++) {
		uint32_t i = (h + d) & s->mask;
		struct acl_sess *e = &s->tab[i];

		if (e->idle_s == 0)
			return false;
		if (e->hash == h && key_eq(&e->key, k)) {
			if (sess_expired(e, now)) {
				sess_delete(s, i);
				return false;
			}
			e->last_s = now;
			return true;
		}
	}
	return false;
}

static void sess_open(struct vsw_acl_state *s, const struct acl_key *k, uint32_t idle,
		      uint32_t now)
{
	uint32_t h = key_hash(s, k);

	for (int attempt = 0; attempt < 2; attempt++) {
		int64_t slot = -1;

		for (uint32_t d = 0; d < s->probe_max; d++) {
			uint32_t i = (h + d) & s->mask;
			struct acl_sess *e = &s->tab[i];

			if (e->idle_s == 0) {
				if (slot < 0)
					slot = i;
				break;
			}
			if (e->hash == h && key_eq(&e->key, k)) {
				if (sess_expired(e, now)) {
					bump64(&s->expired, 1);
					bump64(&s->opened, 1);
				}
				e->last_s = now;
				e->idle_s = idle;
				return;
			}
			if (slot < 0 && sess_expired(e, now))
				slot = i;
		}
		if (slot >= 0 && s->tab[slot].idle_s != 0) {
			/* An idle session's slot: reused in place, which keeps
			 * every probe chain through it unbroken. */
			bump64(&s->expired, 1);
		} else if (slot >= 0 && s->count < s->max) {
			set32(&s->count, s->count + 1);
		} else {
			if (attempt == 0 && s->count >= s->max) {
				sess_sweep(s, now, RECLAIM_BUDGET);
				if (s->count < s->max)
					continue;
			}
			bump64(&s->full, 1);
			return;
		}
		s->tab[slot].key = *k;
		s->tab[slot].hash = h;
		s->tab[slot].last_s = now;
		s->tab[slot].idle_s = idle;
		bump64(&s->opened, 1);
		return;
	}
}

/* ---- classify ---- */

static void key_fill(struct acl_key *k, const struct vsw_pkt *p, int di)
{
	const uint8_t *lip = di == 0 ? p->dst_ip : p->src_ip;
	const uint8_t *rip = di == 0 ? p->src_ip : p->dst_ip;
	uint16_t lport = di == 0 ? p->dport : p->sport, rport = di == 0 ? p->sport : p->dport;

	k->proto = p->proto;
	k->l3 = p->l3;
	k->pad = 0;
	if (p->l3 == VSW_L3_IPV4) {
		/* Only bytes 0..3 are the address: the rest must not split
		 * one flow into several sessions. */
		memset(k->lip, 0, 16);
		memset(k->rip, 0, 16);
		memcpy(k->lip, lip, 4);
		memcpy(k->rip, rip, 4);
	} else {
		memcpy(k->lip, lip, 16);
		memcpy(k->rip, rip, 16);
	}
	if (p->flags & VSW_PKT_PORTS) {
		k->noports = 0;
		k->lport[0] = (uint8_t)(lport >> 8);
		k->lport[1] = (uint8_t)lport;
		k->rport[0] = (uint8_t)(rport >> 8);
		k->rport[1] = (uint8_t)rport;
	} else {
		k->noports = 1;
		memset(k->lport, 0, 2);
		memset(k->rport, 0, 2);
	}
}

static bool lin_match(const struct acl_lin *l, const struct acl_key *k, const uint64_t kl[2],
		      const uint64_t kr[2], uint16_t lp, uint16_t rp)
{
	return (k->proto & l->proto_mask) == l->proto && (kl[0] & l->lm[0]) == l->la[0] &&
	       (kl[1] & l->lm[1]) == l->la[1] && (kr[0] & l->rm[0]) == l->ra[0] &&
	       (kr[1] & l->rm[1]) == l->ra[1] && (uint16_t)(lp - l->lp_lo) <= l->lp_hi - l->lp_lo &&
	       (uint16_t)(rp - l->rp_lo) <= l->rp_hi - l->rp_lo;
}

/* The linear set's answer in rte_acl's form: per category, the highest
 * priority match (the list is in descending priority). */
static void lin_classify(const struct acl_ipset *s, const struct acl_key *k, uint32_t res[ACL_CATS])
{
	uint64_t kl[2] = { load64(k->lip), load64(k->lip + 8) };
	uint64_t kr[2] = { load64(k->rip), load64(k->rip + 8) };
	uint16_t lp = (uint16_t)(k->lport[0] << 8 | k->lport[1]);
	uint16_t rp = (uint16_t)(k->rport[0] << 8 | k->rport[1]);
	uint8_t filled = 0;

	memset(res, 0, ACL_CATS * sizeof(res[0]));
	for (uint32_t i = 0; i < s->n && filled != s->cats; i++) {
		const struct acl_lin *l = &s->lin[i];
		uint8_t c = l->cats & (uint8_t)~filled;

		if (c == 0 || !lin_match(l, k, kl, kr, lp, rp))
			continue;
		for (unsigned int b = 0; b < ACL_CATS; b++)
			if (c >> b & 1)
				res[b] = l->userdata;
		filled |= c;
	}
}

/* The set's answer per category: the highest priority over its contexts. */
static void set_classify(const struct vsw_acl_rules *r, const struct acl_ipset *s,
			 const uint8_t **data, uint32_t *res, uint16_t n)
{
	uint32_t more[ACL_BURST * ACL_CATS];

	rte_acl_classify(s->ctx[0], data, res, n, ACL_CATS);
	for (unsigned int k = 1; k < s->nctx; k++) {
		rte_acl_classify(s->ctx[k], data, more, n, ACL_CATS);
		for (unsigned int j = 0; j < n * ACL_CATS; j++)
			if (more[j] != 0 &&
			    (res[j] == 0 || r->prio[more[j] - 1] > r->prio[res[j] - 1]))
				res[j] = more[j];
	}
}

static inline void count_hit(const struct vsw_acl_rules *r, uint32_t rec, uint32_t len)
{
	bump64(&r->hits[rec].frames, 1);
	bump64(&r->hits[rec].bytes, len);
}

static void classify_burst(const struct vsw_acl_rules *r, struct vsw_acl_state *st, int di,
			   const struct vsw_acl_frame *f, uint16_t n, uint32_t now, bool *pass)
{
	const struct acl_dirset *ds = &r->dir[di];
	struct acl_key keys[ACL_BURST];
	uint32_t res[2][ACL_BURST * ACL_CATS];
	const uint8_t *data[2][ACL_BURST];
	uint8_t slot[ACL_BURST], todo[ACL_BURST];
	uint16_t nd[2] = { 0, 0 };
	bool opened = false, scan[2];

	/* 1. Open sessions; and the frames the rule sets look at. */
	for (uint16_t i = 0; i < n; i++) {
		const struct vsw_pkt *p = f[i].pkt;
		int fam;

		pass[i] = true;
		todo[i] = 1;
		if (p->l3 != VSW_L3_IPV4 && p->l3 != VSW_L3_IPV6) {
			/* An IP frame whose IP header the parser did not read
			 * (beyond the first segment, or malformed) might be
			 * anything an IP deny denies. */
			if ((p->ethertype == 0x0800 || p->ethertype == 0x86dd) &&
			    ds->deny_unseen_ip) {
				pass[i] = false;
				todo[i] = 0;
				continue;
			}
			todo[i] = 2;             /* MAC records only */
			continue;
		}
		key_fill(&keys[i], p, di);
		if (st != NULL && st->count > 0 && sess_hit(st, &keys[i], now)) {
			todo[i] = 0;
			continue;
		}
		fam = p->l3 == VSW_L3_IPV6;
		if (ds->ip[fam].nctx > 0) {
			slot[i] = (uint8_t)nd[fam];
			data[fam][nd[fam]++] = (const uint8_t *)&keys[i];
		}
	}
	for (int fam = 0; fam < 2; fam++) {
		const struct acl_ipset *s = &ds->ip[fam];

		scan[fam] = s->lin != NULL && (s->nctx == 0 || nd[fam] <= LINEAR_FEW_FRAMES);
		if (nd[fam] > 0 && !scan[fam])
			set_classify(r, s, data[fam], res[fam], nd[fam]);
	}

	/* 2-4. Extended, then plain, then pass. */
	for (uint16_t i = 0; i < n; i++) {
		const struct vsw_pkt *p = f[i].pkt;
		uint32_t lres[ACL_CATS] = { 0, 0, 0, 0 };
		const uint32_t *rs = lres;
		uint32_t ext;
		int64_t mac = -1;

		if (todo[i] == 0)
			continue;
		if (todo[i] == 1) {
			int fam = p->l3 == VSW_L3_IPV6;
			const struct acl_ipset *s = &ds->ip[fam];

			/* A session an earlier frame of this burst opened
			 * counts as one opened before it. */
			if (opened && sess_hit(st, &keys[i], now))
				continue;
			/* Nor could a protocol or port deny be judged on a
			 * frame whose upper layer the parser did not reach (a
			 * header chain longer than it walks, a header beyond
			 * the first segment, a cut header): it might be what
			 * that deny is for. A later fragment has no upper layer
			 * to see and goes by the rules. */
			if (!(p->flags & (VSW_PKT_L4 | VSW_PKT_LATER_FRAG)) && ds->deny_unseen_l4) {
				pass[i] = false;
				continue;
			}
			if (scan[fam])
				lin_classify(s, &keys[i], lres);
			else if (s->nctx > 0)
				rs = &res[fam][slot[i] * ACL_CATS];
		}
		ext = rs[todo[i] == 1 && keys[i].noports ? CAT_EXT_NOPORTS : CAT_EXT];
		if (ext != 0) {
			const struct acl_rec *rec = &r->rec[ext - 1];

			count_hit(r, ext - 1, f[i].len);
			pass[i] = rec->action == VSW_ACL_ALLOW;
			if (rec->stateful && st != NULL) {
				sess_open(st, &keys[i], rec->idle_s, now);
				opened = true;
			}
			continue;
		}
		if (rs[CAT_METER] != 0)
			count_hit(r, rs[CAT_METER] - 1, f[i].len);
		if (ds->mac.n > 0 && f[i].len >= 12) {
			const uint8_t *l = f[i].eth + (di == 0 ? 0 : 6);
			const uint8_t *rm = f[i].eth + (di == 0 ? 6 : 0);

			mac = mac_lookup(r, &ds->mac, mac48(l), mac48(rm));
		}
		if (mac >= 0) {
			count_hit(r, (uint32_t)mac, f[i].len);
			pass[i] = r->rec[mac].action != VSW_ACL_DENY;
		} else if (rs[CAT_PLAIN] != 0) {
			count_hit(r, rs[CAT_PLAIN] - 1, f[i].len);
			pass[i] = r->rec[rs[CAT_PLAIN] - 1].action != VSW_ACL_DENY;
		}
	}
}

void vsw_acl_classify(const struct vsw_acl_rules *r, struct vsw_acl_state *st,
		      enum vsw_dir dir, const struct vsw_acl_frame *f, uint16_t n,
		      uint32_t now_s, bool *pass)
{
	int di;

	if (dir != VSW_DIR_INBOUND && dir != VSW_DIR_OUTBOUND) {
		/* A caller's mistake: fail closed, where it shows. */
		for (uint16_t i = 0; i < n; i++)
			pass[i] = false;
		return;
	}
	di = dir_index(dir);
	if (r == NULL || !r->dir[di].active) {
		for (uint16_t i = 0; i < n; i++)
			pass[i] = true;
		return;
	}
	if (st != NULL && st->count > 0)
		sess_sweep(st, now_s, SWEEP_BUDGET);
	for (uint16_t done = 0; done < n;) {
		uint16_t k = (uint16_t)(n - done > ACL_BURST ? ACL_BURST : n - done);

		classify_burst(r, st, di, f + done, k, now_s, pass + done);
		done = (uint16_t)(done + k);
	}
}
