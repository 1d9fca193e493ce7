/* hvnet_ext_count: a capture extension counting frames and bytes per
 * EtherType and direction, and logging the totals when it is removed.
 * Args: none.
 *
 * A sample of the native extension ABI (<hvnet/hvnet_ext.h>): everything
 * it keeps is in its priv, which process, on the one lcore polling the
 * switch, alone writes, so it needs no locks. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "vswitch/hvnet_ext.h"

/* Distinct EtherTypes kept per direction; the rest go to "other". A real
 * switch sees a handful (IPv4, IPv6, ARP, LLDP, ...), and a linear search
 * over a few warm entries beats hashing at that size. */
#define COUNT_TYPES 16
#define COUNT_OTHER COUNT_TYPES      /* also frames too short to have one */

struct count_row {
	uint16_t ethertype;          /* host order */
	uint64_t frames;
	uint64_t bytes;
};

struct count_priv {
	const struct hvnet_ext_host *host;
	unsigned int used[2];
	struct count_row rows[2][COUNT_TYPES + 1];
};

const struct hvnet_ext_ops *hvnet_ext_entry(void);

static int count_init(const struct hvnet_ext_host *host, enum hvnet_ext_type type,
		      const char *args, void **priv, char *why, uint32_t why_len)
{
	struct count_priv *p;

	(void)type;
	if (args != NULL && args[0] != '\0') {
		snprintf(why, why_len, "hvnet_ext_count takes no arguments (got '%s')", args);
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(why, why_len, "hvnet_ext_count: out of memory");
		return -ENOMEM;
	}
	p->host = host;
	*priv = p;
	return 0;
}

static struct count_row *count_row(struct count_priv *p, unsigned int d, uint16_t et)
{
	struct count_row *rows = p->rows[d];

	for (unsigned int i = 0; i < p->used[d]; i++)
		if (rows[i].ethertype == et)
			return &rows[i];
	if (p->used[d] == COUNT_TYPES)
		return &rows[COUNT_OTHER];
	rows[p->used[d]].ethertype = et;
	return &rows[p->used[d]++];
}

static void count_process(void *priv, enum hvnet_ext_dir dir, struct rte_mbuf **pkts,
			  const struct hvnet_ext_meta *meta, uint16_t n, int32_t *verdict)
{
	struct count_priv *p = priv;
	unsigned int d = dir == HVNET_EXT_EGRESS;

	(void)meta;
	for (uint16_t i = 0; i < n; i++) {
		const struct rte_mbuf *m = pkts[i];
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
		struct count_row *r;

		if (m->data_len >= 14)
			r = count_row(p, d, (uint16_t)(f[12] << 8 | f[13]));
		else
			r = &p->rows[d][COUNT_OTHER];
		r->frames++;
		r->bytes += m->pkt_len;
		verdict[i] = HVNET_EXT_PASS;
	}
}

static void count_fini(void *priv)
{
	static const char *const dirs[2] = { "ingress", "egress" };
	struct count_priv *p = priv;
	char line[160];
	bool any = false;

	for (unsigned int d = 0; d < 2; d++) {
		for (unsigned int i = 0; i <= COUNT_TYPES; i++) {
			const struct count_row *r = &p->rows[d][i];

			if (i >= p->used[d] && i != COUNT_OTHER)
				continue;
			if (r->frames == 0)
				continue;
			if (i == COUNT_OTHER)
				snprintf(line, sizeof(line), "hvnet_ext_count on %s: %s other: %llu "
					 "frames, %llu bytes", p->host->switch_name, dirs[d],
					 (unsigned long long)r->frames, (unsigned long long)r->bytes);
			else
				snprintf(line, sizeof(line), "hvnet_ext_count on %s: %s 0x%04x: %llu "
					 "frames, %llu bytes", p->host->switch_name, dirs[d],
					 r->ethertype, (unsigned long long)r->frames,
					 (unsigned long long)r->bytes);
			p->host->log(p->host->host, line);
			any = true;
		}
	}
	if (!any) {
		snprintf(line, sizeof(line), "hvnet_ext_count on %s: no frames",
			 p->host->switch_name);
		p->host->log(p->host->host, line);
	}
	free(p);
}

static const struct hvnet_ext_ops count_ops = {
	.abi_version = HVNET_EXT_ABI_VERSION,
	.name = "hvnet_ext_count",
	.types = 1u << HVNET_EXT_CAPTURE,
	.init = count_init,
	.fini = count_fini,
	.process = count_process,
};

__attribute__((visibility("default")))
const struct hvnet_ext_ops *hvnet_ext_entry(void)
{
	return &count_ops;
}
