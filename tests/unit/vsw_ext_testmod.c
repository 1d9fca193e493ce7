/* A native extension for test_vsw_ext that reports what it is shown: on
 * every burst one host->log line "TAG in|eg ID@PORT ..." (ID: the last
 * byte of the source MAC, PORT: meta's in_port), "TAG fini" when it goes.
 * Args, comma-separated:
 *   tag=NAME      the tag of its lines
 *   verdict=N     the verdict it answers (default PASS)
 *   match=ID      answer it only for frames with that ID, PASS for others
 *   fail          init refuses with a reason; failquiet: with none
 * meson builds it several times, with its ABI version, its types or its
 * entry point's name broken on purpose through the TESTMOD_ macros. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "vswitch/hvnet_ext.h"

#ifndef TESTMOD_ABI                  /* the ABI it claims */
#define TESTMOD_ABI HVNET_EXT_ABI_VERSION
#endif
#ifndef TESTMOD_TYPES                /* the types it allows */
#define TESTMOD_TYPES 7u
#endif
#ifndef TESTMOD_ENTRY                /* the name its entry point has */
#define TESTMOD_ENTRY hvnet_ext_entry
#endif

struct tm_priv {
	const struct hvnet_ext_host *host;
	char tag[16];
	int32_t verdict;
	int match;                   /* -1: every frame */
};

const struct hvnet_ext_ops *TESTMOD_ENTRY(void);

static int tm_init(const struct hvnet_ext_host *host, enum hvnet_ext_type type, const char *args,
		   void **priv, char *why, uint32_t why_len)
{
	char copy[256] = "", *save = NULL, *tok;
	struct tm_priv *p;

	(void)type;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->host = host;
	p->verdict = HVNET_EXT_PASS;
	p->match = -1;
	snprintf(p->tag, sizeof(p->tag), "T");
	if (args != NULL)
		snprintf(copy, sizeof(copy), "%s", args);
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "tag=", 4) == 0) {
			snprintf(p->tag, sizeof(p->tag), "%s", tok + 4);
		} else if (strncmp(tok, "verdict=", 8) == 0) {
			p->verdict = (int32_t)strtol(tok + 8, NULL, 0);
		} else if (strncmp(tok, "match=", 6) == 0) {
			p->match = (int)strtol(tok + 6, NULL, 0);
		} else if (strcmp(tok, "fail") == 0) {
			snprintf(why, why_len, "asked to fail");
			free(p);
			return -EINVAL;
		} else if (strcmp(tok, "failquiet") == 0) {
			free(p);
			return -EIO;
		} else {
			snprintf(why, why_len, "unknown argument '%s'", tok);
			free(p);
			return -EINVAL;
		}
	}
	*priv = p;
	return 0;
}

static void tm_process(void *priv, enum hvnet_ext_dir dir, struct rte_mbuf **pkts,
		       const struct hvnet_ext_meta *meta, uint16_t n, int32_t *verdict)
{
	const struct tm_priv *p = priv;
	char line[1024];
	int o;

	o = snprintf(line, sizeof(line), "%s %s", p->tag, dir == HVNET_EXT_INGRESS ? "in" : "eg");
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
		int id = f[11];

		if (o > 0 && (size_t)o < sizeof(line))
			o += snprintf(line + o, sizeof(line) - (size_t)o, " %d@%u", id,
				      meta[i].in_port);
		verdict[i] = p->match < 0 || p->match == id ? p->verdict : HVNET_EXT_PASS;
	}
	p->host->log(p->host->host, line);
}

static void tm_fini(void *priv)
{
	struct tm_priv *p = priv;
	char line[64];

	snprintf(line, sizeof(line), "%s fini", p->tag);
	p->host->log(p->host->host, line);
	free(p);
}

static const struct hvnet_ext_ops tm_ops = {
	.abi_version = TESTMOD_ABI,
	.name = "vsw_ext_testmod",
	.types = TESTMOD_TYPES,
	.init = tm_init,
	.fini = tm_fini,
	.process = tm_process,
};

__attribute__((visibility("default")))
const struct hvnet_ext_ops *TESTMOD_ENTRY(void)
{
	return &tm_ops;
}
