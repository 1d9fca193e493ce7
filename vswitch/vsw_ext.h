/* Switch extensions inside vswitchd: loading them (native shared objects
 * built against hvnet_ext.h, or eBPF programs run by DPDK's rte_bpf) and
 * running a switch's stack of them on the datapath.
 *
 * A switch's enabled extensions form a chain: an immutable, ordered array
 * the control thread builds on every add, delete, enable, disable or
 * reorder and publishes to the datapath with RCU (vsw_dp_set_extensions),
 * so the lcore never waits and never sees a half-built stack. An extension
 * object outlives every chain that holds it: unload it only after the
 * chain without it is published and the lcore went quiescent.
 *
 * eBPF programs: module is a path ending in ".o" (an ELF object from
 * `clang -O2 -target bpf -c`), args may say "section=NAME" (default
 * ".text"). The program gets a pointer to the frame's first
 * HVNET_EXT_BPF_FRAME_BYTES bytes (zero-padded past its end) and its real
 * length in the external variable HVNET_EXT_BPF_FRAME_LEN (hvnet_ext.h
 * says why: rte_bpf checks bounds against one fixed size), and returns:
 * filter, 0 to drop and anything else to pass; forward, 0 to let the
 * switch decide or port
 * index + 1; capture, ignored. rte_bpf's verifier and JIT (x86-64) apply. */
#ifndef VSW_EXT_H
#define VSW_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vswitch/hvnet_ext.h"
#include "vswitch/vsw_config.h"

struct vsw_ext;
struct vsw_ext_chain;

struct vsw_ext_stats {
	uint64_t frames;             /* frames process() saw */
	uint64_t dropped;            /* DROP verdicts acted on */
	uint64_t redirected;         /* port verdicts acted on (forward) */
};

/* Loads the module of 'cfg' and calls its init with 'host'. The kind
 * comes from the module: a path ending in ".o" is eBPF, any other absolute
 * path a shared object. The object must allow cfg->type. 0, or -errno
 * with 'why' saying what failed and what to do (no such file, not an
 * hvnet extension, ABI x.y where this vswitchd speaks a.b, the verifier's
 * complaint, ...). */
int vsw_ext_load(const struct vsw_ext_cfg *cfg, const struct hvnet_ext_host *host,
		 struct vsw_ext **out, char *why, size_t len);
/* Calls fini and unloads. Only when no published chain holds it. */
void vsw_ext_unload(struct vsw_ext *e);
const struct vsw_ext_cfg *vsw_ext_cfg(const struct vsw_ext *e);
/* Marks it enabled or not for the chains built from now on (a chain
 * already built keeps what it has). Control thread. */
void vsw_ext_set_enabled(struct vsw_ext *e, bool enabled);
void vsw_ext_get_stats(const struct vsw_ext *e, struct vsw_ext_stats *out);

/* The chain of the enabled ones among exts[0..n), in Hyper-V's order:
 * ingress runs capture, filter, forward, each type in the order given;
 * egress runs the reverse. -EBUSY with 'why' when two forwarding
 * extensions are enabled. n == 0 gives an empty chain (NULL is fine too:
 * vsw_ext_chain_run on NULL does nothing). */
int vsw_ext_chain_build(struct vsw_ext *const *exts, unsigned int n, struct vsw_ext_chain **out,
			char *why, size_t len);
void vsw_ext_chain_free(struct vsw_ext_chain *c);
unsigned int vsw_ext_chain_len(const struct vsw_ext_chain *c);

/* Runs the chain over a burst (n <= 64) going 'dir'. verdict[i] comes out
 * as HVNET_EXT_PASS, HVNET_EXT_DROP (a filter dropped it: later extensions
 * did not see it) or, on ingress only, a port index a forwarding extension
 * chose. The datapath lcore only. */
void vsw_ext_chain_run(const struct vsw_ext_chain *c, enum hvnet_ext_dir dir,
		       struct rte_mbuf **pkts, const struct hvnet_ext_meta *meta, uint16_t n,
		       int32_t *verdict);

#endif /* VSW_EXT_H */
