/* hvnet switch extensions: the ABI a native extension (a shared object
 * vswitchd loads with `vswitchctl extension add SW NAME --module PATH`)
 * is built against. Installed as <hvnet/hvnet_ext.h>.
 *
 * The model is Hyper-V's extensible switch (reference
 * vswitch-vmq-sriov-e1000.md §1.2): per switch an ordered stack of
 * capture, filter and forward extensions. On ingress (a frame a port sent
 * into the switch) they run capture, then filter, then forward; on egress
 * (a frame the switch is about to hand a port) forward, then filter, then
 * capture. Capture extensions see frames and cannot change their fate.
 * Filter extensions may drop them. The one forwarding extension a switch
 * may have picks the destination port on ingress instead of MAC learning.
 *
 * Versioning: the object exports HVNET_EXT_ENTRY, a function returning
 * its hvnet_ext_ops; vswitchd refuses an object whose abi_version's major
 * differs from its own, or whose minor is newer. Fields are only ever
 * added at the end of the structures (a minor bump).
 *
 * Threads: init and fini run on vswitchd's control thread; process runs
 * on the datapath lcore that polls the switch, always the same one, for
 * bursts of up to 64 frames. It must not block or take locks the control
 * thread holds; what it keeps for itself needs no locking. */
#ifndef HVNET_EXT_H
#define HVNET_EXT_H

#include <stdint.h>

#define HVNET_EXT_ABI_MAJOR 1
#define HVNET_EXT_ABI_MINOR 0
#define HVNET_EXT_ABI_VERSION ((HVNET_EXT_ABI_MAJOR << 16) | HVNET_EXT_ABI_MINOR)
#define HVNET_EXT_ENTRY "hvnet_ext_entry"

struct rte_mbuf;

enum hvnet_ext_type {
	HVNET_EXT_CAPTURE = 0,
	HVNET_EXT_FILTER = 1,
	HVNET_EXT_FORWARD = 2,
};

enum hvnet_ext_dir {
	HVNET_EXT_INGRESS = 0,       /* from port 'in_port' into the switch */
	HVNET_EXT_EGRESS = 1,        /* from the switch to port 'out_port' */
};

/* Verdicts process() writes, one per frame. Capture extensions' verdicts
 * are ignored. A forwarding extension on ingress may answer a port index
 * (>= 0, from hvnet_ext_host.port_index) to send the frame there alone;
 * anything else answering a port index is treated as PASS. */
#define HVNET_EXT_PASS (-1)          /* the switch goes on as it would */
#define HVNET_EXT_DROP (-2)          /* counted as the extension's drop */

/* eBPF extensions (a module path ending in ".o", run by DPDK's rte_bpf)
 * get one argument, a pointer to the frame's first segment, which
 * rte_bpf's verifier lets them read and write HVNET_EXT_BPF_FRAME_BYTES
 * bytes of. That bound is fixed when the program is loaded, so a shorter
 * frame comes as a copy zero-padded to it (writes past its end, and all
 * of a capture program's writes, are discarded). How many of those bytes
 * are the frame's is in the 32-bit external variable named
 * HVNET_EXT_BPF_FRAME_LEN (`extern uint32_t hvnet_frame_len;`), and the
 * program must check it before it trusts a header: the verifier only
 * knows the fixed bound. Return value: filter, 0 drops and anything else
 * passes; forward, 0 passes and port index + 1 sends there; capture,
 * ignored. */
#define HVNET_EXT_BPF_FRAME_BYTES 256
#define HVNET_EXT_BPF_FRAME_LEN "hvnet_frame_len"

/* What the switch knows of a frame besides its bytes. The mbuf holds the
 * frame without its 802.1Q tag; 'vlan' is the switch's VLAN for it. */
struct hvnet_ext_meta {
	uint16_t in_port;            /* the port that sent it into the switch */
	uint16_t out_port;           /* egress: the port it goes to; ingress: 0xffff */
	uint16_t vlan;               /* 0: untagged switch traffic */
	uint16_t reserved;
};

/* Services vswitchd offers an extension at init. */
struct hvnet_ext_host {
	uint32_t abi_version;
	void *host;
	const char *switch_name;
	/* The index a port is known by in hvnet_ext_meta, or -ENOENT. Control
	 * thread only (init), as port indices stay put while a port exists. */
	int (*port_index)(void *host, const char *port_name);
	/* One line for vswitchd's log. */
	void (*log)(void *host, const char *msg);
};

struct hvnet_ext_ops {
	uint32_t abi_version;        /* HVNET_EXT_ABI_VERSION it was built with */
	const char *name;            /* for logs and `vswitchctl extension list` */
	/* The types it may be added as: bit (1 << enum hvnet_ext_type). */
	uint32_t types;
	/* Called when the extension is added (args: --args, unparsed; NULL
	 * when none). 0, or -errno with a sentence in why. */
	int (*init)(const struct hvnet_ext_host *host, enum hvnet_ext_type type, const char *args,
		    void **priv, char *why, uint32_t why_len);
	/* Called after the datapath stopped calling process. */
	void (*fini)(void *priv);
	/* A burst going one way: write verdict[i] for pkts[i]. It may modify a
	 * frame's bytes (filter, forward) but not free, keep or replace the
	 * mbufs. */
	void (*process)(void *priv, enum hvnet_ext_dir dir, struct rte_mbuf **pkts,
			const struct hvnet_ext_meta *meta, uint16_t n, int32_t *verdict);
};

typedef const struct hvnet_ext_ops *(*hvnet_ext_entry_fn)(void);

#endif /* HVNET_EXT_H */
