/* The minimal port pair: two ports joined back to back, forwarded by
 * lcores through the same hvn_port interface the vswitch uses. It stands
 * in for the switch until the switch exists, and is the topology of the
 * 'synthetic' benchmark. */
#ifndef NETVSP_PAIR_H
#define NETVSP_PAIR_H

#include <stdbool.h>
#include <stdint.h>

#include "common/hvn_port.h"

#define NVSP_PAIR_MAX 32

struct rte_rcu_qsbr;

struct nvsp_pair_stats {
	uint64_t fwd;       /* frames a port took */
	uint64_t dropped;   /* frames with no peer to go to */
	uint64_t retries;   /* times the destination was full: the source waits */
	uint64_t stuck;     /* frames dropped for a queue that took none for NVSP_PAIR_STUCK_MS */
};

/* A destination queue that takes nothing for this long is stuck, not
 * slow: a descheduled guest is back within a scheduler period (a few ms),
 * but two guests whose receive completions queue behind their own held
 * sends, or a guest that stops reading, never are. From then on what the
 * queue refuses is dropped (counted in 'stuck') so the source is read
 * again, until the queue takes a whole burst. */
#define NVSP_PAIR_STUCK_MS 50u
#define NVSP_PAIR_QUEUES   64u   /* destination queues tracked one by one */

/* Frames the destination did not take yet. The pair holds them and reads
 * nothing more from the source until they are gone: backpressure reaches
 * the sending guest through its ring instead of a drop, unless the
 * destination queue is stuck. */
struct nvsp_pair_held {
	uint16_t n, first;
	uint16_t queues[32];
	struct rte_mbuf *pkts[32];
	uint64_t draining;                       /* bit per stuck queue */
	uint64_t refused_since[NVSP_PAIR_QUEUES]; /* TSC of the first refusal; 0: took */
};

struct nvsp_pair {
	struct hvn_port *a, *b;
	struct nvsp_pair_stats a_to_b, b_to_a;
	struct nvsp_pair_held held_ab, held_ba;
};

/* Idle mode of the forwarding lcore. A busy lcore polls and never looks
 * at a clock; one that found nothing to do for idle_us arms every queue
 * (the guests then signal when they write into an empty ring), polls once
 * more to close the race with a write made before the arm, and sleeps on
 * an eventfd that nvsp_fwd_wake() writes. A zeroed struct is pure poll
 * mode: sleeping is safe only when every vNIC's wake hook calls
 * nvsp_fwd_wake(), so the owner asks for it with nvsp_fwd_idle_init(). */
struct nvsp_fwd_idle {
	bool on;
	int fd;                  /* eventfd the lcore sleeps on */
	uint32_t idle_us;        /* nothing moved this long: try to sleep */
	uint32_t max_sleep_ms;   /* a sleep ends after this even unsignalled */
	uint32_t sleeping;       /* 1 from just before arming until awake */
	/* Written by the lcore, read by anyone (relaxed). */
	uint64_t sleeps;         /* times it slept */
	uint64_t aborted;        /* times arming found work and it did not */
	uint64_t timeouts;       /* sleeps that ended unsignalled */
	uint64_t wakes;          /* nvsp_fwd_wake() calls that wrote the fd */
};

struct nvsp_fwd {
	struct rte_rcu_qsbr *qs;
	struct nvsp_pair *pairs[NVSP_PAIR_MAX];   /* published with release */
	bool stop;
	struct nvsp_fwd_idle idle;
};

#define NVSP_FWD_IDLE_US      200u
#define NVSP_FWD_MAX_SLEEP_MS 100u

/* Let the lcore sleep when idle (before it is launched). idle_us 0 or
 * max_sleep_ms 0 take the defaults above. Returns 0 or -errno. */
int nvsp_fwd_idle_init(struct nvsp_fwd *f, uint32_t idle_us, uint32_t max_sleep_ms);
/* After the lcore stopped. */
void nvsp_fwd_idle_fini(struct nvsp_fwd *f);
/* Wake the lcore if it sleeps: from a vNIC's wake hook (any thread, the
 * VMBus lock may be held: it never blocks). Costs a load when it is awake. */
void nvsp_fwd_wake(struct nvsp_fwd *f);

/* Ports joined in arrival order: the first waits alone, the second makes
 * the pair. Changed on the control thread only; the forwarder sees each
 * pair through fwd.pairs[] (RCU: a pair is unpublished and a grace period
 * passes before it changes). */
struct nvsp_pairing {
	struct nvsp_fwd fwd;
	struct nvsp_pair pairs[NVSP_PAIR_MAX];
	struct hvn_port *waiting;
};

/* Add 'port': it waits for a partner, or completes the waiting one's pair.
 * -ENOSPC when every pair slot is taken. */
int nvsp_pairing_join(struct nvsp_pairing *pg, struct hvn_port *port);
/* Take 'port' out (its vNIC is going): frames held for either side are
 * freed, and its partner stays, alone, until the port is gone. */
void nvsp_pairing_leave(struct nvsp_pairing *pg, struct hvn_port *port);

/* What the pair moved from 'port' (out) and to it (in), read while the
 * lcore runs. -ENOENT when the port is in no pair. */
int nvsp_pairing_stats(const struct nvsp_pairing *pg, const struct hvn_port *port,
		       struct nvsp_pair_stats *out, struct nvsp_pair_stats *in);

/* The lcore body (rte_lcore_function_t): polls every pair until stop,
 * reporting a quiescent state after each round, and sleeps when idle if
 * nvsp_fwd_idle_init() allowed it (offline for RCU while it sleeps).
 * 'arg' is the nvsp_fwd. */
int nvsp_fwd_lcore(void *arg);

/* Move one burst each way of every queue of a pair; returns frames moved. */
unsigned int nvsp_pair_poll(struct nvsp_pair *p);

#endif /* NETVSP_PAIR_H */
