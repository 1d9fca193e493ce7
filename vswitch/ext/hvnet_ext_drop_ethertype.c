/* hvnet_ext_drop_ethertype: a filter extension dropping every frame of
 * one EtherType, e.g. to keep LLDP off a switch.
 * Args: "ethertype=0x88cc" (hexadecimal with 0x, or decimal). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "vswitch/hvnet_ext.h"

struct drop_priv {
	uint8_t hi, lo;              /* the EtherType as it is on the wire */
};

const struct hvnet_ext_ops *hvnet_ext_entry(void);

static int drop_init(const struct hvnet_ext_host *host, enum hvnet_ext_type type,
		     const char *args, void **priv, char *why, uint32_t why_len)
{
	struct drop_priv *p;
	unsigned long v;
	char *end;

	(void)host;
	(void)type;
	if (args == NULL || strncmp(args, "ethertype=", 10) != 0 || args[10] == '\0') {
		snprintf(why, why_len, "hvnet_ext_drop_ethertype needs --args ethertype=TYPE, "
			 "e.g. ethertype=0x88cc (got '%s')", args ? args : "");
		return -EINVAL;
	}
	/* strtoul alone would take a sign, spaces and "0x" with no digits. */
	if (args[10] < '0' || args[10] > '9') {
		snprintf(why, why_len, "hvnet_ext_drop_ethertype: '%s' is not a number; give the "
			 "EtherType as 0x88cc or 35020", args + 10);
		return -EINVAL;
	}
	errno = 0;
	v = strtoul(args + 10, &end, 0);
	if (errno != 0 || *end != '\0' || end == args + 10) {
		snprintf(why, why_len, "hvnet_ext_drop_ethertype: '%s' is not a number; give the "
			 "EtherType as 0x88cc or 35020", args + 10);
		return -EINVAL;
	}
	/* Below 0x0600 the field is an 802.3 length, not a type. */
	if (v < 0x0600 || v > 0xffff) {
		snprintf(why, why_len, "hvnet_ext_drop_ethertype: %s is not an EtherType; they "
			 "run from 0x0600 to 0xffff (smaller values are 802.3 lengths)", args + 10);
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(why, why_len, "hvnet_ext_drop_ethertype: out of memory");
		return -ENOMEM;
	}
	p->hi = (uint8_t)(v >> 8);
	p->lo = (uint8_t)v;
	*priv = p;
	return 0;
}

static void drop_process(void *priv, enum hvnet_ext_dir dir, struct rte_mbuf **pkts,
			 const struct hvnet_ext_meta *meta, uint16_t n, int32_t *verdict)
{
	const struct drop_priv *p = priv;

	(void)dir;
	(void)meta;
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(pkts[i], const uint8_t *);

		verdict[i] = pkts[i]->data_len >= 14 && f[12] == p->hi && f[13] == p->lo ?
			     HVNET_EXT_DROP : HVNET_EXT_PASS;
	}
}

static void drop_fini(void *priv)
{
	free(priv);
}

static const struct hvnet_ext_ops drop_ops = {
	.abi_version = HVNET_EXT_ABI_VERSION,
	.name = "hvnet_ext_drop_ethertype",
	.types = 1u << HVNET_EXT_FILTER,
	.init = drop_init,
	.fini = drop_fini,
	.process = drop_process,
};

__attribute__((visibility("default")))
const struct hvnet_ext_ops *hvnet_ext_entry(void)
{
	return &drop_ops;
}
