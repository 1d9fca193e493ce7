/* hvnet_ext_static_fwd: a forwarding extension with a static table: a
 * frame whose destination MAC is listed goes to that port alone, and
 * everything else is left to the switch (MAC learning).
 * Args: "MAC=PORT[,MAC=PORT...]", e.g.
 *   00:15:5d:00:00:02=vm1,00:15:5d:00:00:03=vm2
 * Port names are resolved once, at init (host->port_index): a port that
 * is not on the switch is an error there, not a silent drop later. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "vswitch/hvnet_ext.h"

/* The args string is at most 255 characters and an entry at least 19. */
#define FWD_MAX 16

struct fwd_entry {
	uint8_t mac[6];
	uint16_t port;
};

struct fwd_priv {
	unsigned int n;
	struct fwd_entry e[FWD_MAX];
};

const struct hvnet_ext_ops *hvnet_ext_entry(void);

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly "xx:xx:xx:xx:xx:xx". */
static int parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hi < 0 ? -1 : hex_digit(s[3 * i + 1]);

		if (lo < 0 || s[3 * i + 2] != (i == 5 ? '\0' : ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int fwd_init(const struct hvnet_ext_host *host, enum hvnet_ext_type type,
		    const char *args, void **priv, char *why, uint32_t why_len)
{
	char copy[256], *save = NULL, *tok;
	struct fwd_priv *p;

	(void)type;
	if (args == NULL || args[0] == '\0') {
		snprintf(why, why_len, "hvnet_ext_static_fwd needs --args MAC=PORT[,MAC=PORT...], "
			 "e.g. 00:15:5d:00:00:02=vm1");
		return -EINVAL;
	}
	if (strlen(args) >= sizeof(copy)) {
		snprintf(why, why_len, "hvnet_ext_static_fwd: arguments longer than %zu characters",
			 sizeof(copy) - 1);
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(why, why_len, "hvnet_ext_static_fwd: out of memory");
		return -ENOMEM;
	}
	snprintf(copy, sizeof(copy), "%s", args);
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		struct fwd_entry *e = &p->e[p->n];
		int idx;

		if (eq == NULL || eq[1] == '\0') {
			snprintf(why, why_len, "hvnet_ext_static_fwd: '%s' is not MAC=PORT", tok);
			goto fail;
		}
		*eq = '\0';
		if (parse_mac(tok, e->mac) < 0) {
			snprintf(why, why_len, "hvnet_ext_static_fwd: '%s' is not a MAC address "
				 "(like 00:15:5d:00:00:02)", tok);
			goto fail;
		}
		for (unsigned int i = 0; i < p->n; i++)
			if (memcmp(p->e[i].mac, e->mac, 6) == 0) {
				snprintf(why, why_len, "hvnet_ext_static_fwd: MAC %s is listed twice",
					 tok);
				goto fail;
			}
		idx = host->port_index(host->host, eq + 1);
		if (idx < 0 || idx >= 0xffff) {
			snprintf(why, why_len, "hvnet_ext_static_fwd: port '%s' (for %s) is not on "
				 "switch %s; add the port first or fix the name", eq + 1, tok,
				 host->switch_name);
			goto fail;
		}
		e->port = (uint16_t)idx;
		if (++p->n == FWD_MAX && strtok_r(NULL, ",", &save) != NULL) {
			snprintf(why, why_len, "hvnet_ext_static_fwd: at most %d MAC=PORT entries",
				 FWD_MAX);
			goto fail;
		}
	}
	if (p->n == 0) {
		snprintf(why, why_len, "hvnet_ext_static_fwd: no MAC=PORT entries in '%s'", args);
		goto fail;
	}
	*priv = p;
	return 0;

fail:
	free(p);
	return -EINVAL;
}

static void fwd_process(void *priv, enum hvnet_ext_dir dir, struct rte_mbuf **pkts,
			const struct hvnet_ext_meta *meta, uint16_t n, int32_t *verdict)
{
	const struct fwd_priv *p = priv;

	(void)meta;
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *dst = rte_pktmbuf_mtod(pkts[i], const uint8_t *);

		verdict[i] = HVNET_EXT_PASS;
		/* On egress the port is already chosen. */
		if (dir != HVNET_EXT_INGRESS || pkts[i]->data_len < 6)
			continue;
		for (unsigned int k = 0; k < p->n; k++)
			if (memcmp(dst, p->e[k].mac, 6) == 0) {
				verdict[i] = p->e[k].port;
				break;
			}
	}
}

static void fwd_fini(void *priv)
{
	free(priv);
}

static const struct hvnet_ext_ops fwd_ops = {
	.abi_version = HVNET_EXT_ABI_VERSION,
	.name = "hvnet_ext_static_fwd",
	.types = 1u << HVNET_EXT_FORWARD,
	.init = fwd_init,
	.fini = fwd_fini,
	.process = fwd_process,
};

__attribute__((visibility("default")))
const struct hvnet_ext_ops *hvnet_ext_entry(void)
{
	return &fwd_ops;
}
