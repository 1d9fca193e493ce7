/* Port ACLs: Hyper-V's Add-VMNetworkAdapterAcl and -ExtendedAcl
 * (reference vswitch-vmq-sriov-e1000.md §1.1; semantics in vsw_config.h
 * above struct vsw_acl_cfg) compiled for the datapath.
 *
 * Two objects per port:
 *   - rules: the port's ACL records compiled into lookup structures.
 *     Built on the control thread, immutable once published, except the
 *     per-rule hit counters, which only the datapath lcore writes.
 *     vswitchd rebuilds a port's rules on every ACL change and publishes
 *     them with RCU (vsw_dp_port_acl), so the lcore never waits.
 *   - state: the sessions stateful extended ACLs opened, owned by the
 *     lcore that polls the port's switch (both directions run there), so
 *     it takes no lock.
 *
 * Direction is Hyper-V's, seen from the port's owner: OUTBOUND is what
 * the port sends into the switch (local = source), INBOUND what the switch
 * delivers to the port (local = destination). */
#ifndef VSW_ACL_H
#define VSW_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vswitch/vsw_config.h"
#include "vswitch/vsw_parse.h"

struct vsw_acl_rules;
struct vsw_acl_state;

/* One frame to classify: its Ethernet header without a VLAN tag
 * (destination MAC at eth[0], source at eth[6]), what vsw_parse found in
 * it, and its length (what a meter counts). */
struct vsw_acl_frame {
	const uint8_t *eth;
	const struct vsw_pkt *pkt;
	uint32_t len;
};

/* Compiles the 'n' ACL records of one port (all of them, both kinds and
 * directions, as vsw_model keeps them). 'prev', the port's rules until
 * now or NULL, hands its hit counters to the rules that stay. n == 0 is
 * valid (no ACL: everything passes). 0, or -errno with 'why'. */
int vsw_acl_rules_build(const struct vsw_acl_cfg *acls, unsigned int n,
			const struct vsw_acl_rules *prev, struct vsw_acl_rules **out,
			char *why, size_t len);
void vsw_acl_rules_free(struct vsw_acl_rules *r);
/* Whether any rule applies in 'dir' (lets the datapath skip the call). */
bool vsw_acl_rules_active(const struct vsw_acl_rules *r, enum vsw_dir dir);
/* Whether any rule is a stateful extended allow (the port then needs a
 * session table). NULL: false. */
bool vsw_acl_rules_stateful(const struct vsw_acl_rules *r);

/* Hits of the i-th record given to build (same order): frames and bytes
 * it decided (allow, deny) or metered. Read from any thread; a count may
 * lag the lcore by a burst. */
int vsw_acl_rules_hits(const struct vsw_acl_rules *r, unsigned int i, uint64_t *frames,
		       uint64_t *bytes);

/* Sessions of stateful extended ACLs: at most max_sessions (0 = 65536)
 * per port; a session that would not fit is not opened (its first frame
 * still passes, its return traffic does not) and is counted. */
int vsw_acl_state_create(uint32_t max_sessions, struct vsw_acl_state **out);
void vsw_acl_state_free(struct vsw_acl_state *s);
struct vsw_acl_state_stats {
	uint32_t sessions;           /* open now */
	uint64_t opened, expired, full;
};
void vsw_acl_state_stats(const struct vsw_acl_state *s, struct vsw_acl_state_stats *out);

/* Decides 'n' frames going in 'dir' through the port: pass[i] true to
 * let frame i through. 'now_s' is the datapath's clock in seconds (for
 * idle timeouts). The lcore only. Order of decisions:
 *   1. a frame of an open session (either way round) passes;
 *   2. extended ACLs for 'dir', highest weight first: the first match
 *      decides; a stateful allow opens a session;
 *   3. plain ACLs for 'dir': the longest prefix among the matching
 *      allow/deny records decides (a MAC is 48 bits and beats any IP
 *      prefix), a tie goes to deny; meter records count what they match
 *      (longest prefix too) and decide nothing;
 *   4. nothing matched: pass. */
void vsw_acl_classify(const struct vsw_acl_rules *r, struct vsw_acl_state *st,
		      enum vsw_dir dir, const struct vsw_acl_frame *f, uint16_t n,
		      uint32_t now_s, bool *pass);

#endif /* VSW_ACL_H */
