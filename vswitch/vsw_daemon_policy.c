/* vswitchd's ACLs, mirrors and extensions: kept by name in the daemon,
 * compiled for the datapath whenever they or the ports they name change.
 * See vsw_daemon.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vswitch/vsw_acl.h"
#include "vswitch/vsw_daemon.h"
#include "vswitch/vsw_daemon_int.h"
#include "vswitch/vsw_ext.h"

/* ---- ACLs ---- */

static int acl_publish(struct vsw_daemon *d, struct vsw_dport *p, char *why, size_t len)
{
	struct vsw_dp *dp = d->sw[p->sw].dp;
	struct vsw_acl_rules *r = NULL;
	int rc;

	if (p->dp_idx < 0)
		return 0;    /* compiled when the port attaches */
	if (p->n_acls) {
		rc = vsw_acl_rules_build(p->acls, p->n_acls, vsw_dp_port_acl_rules(dp, p->dp_idx),
					 &r, why, len);
		if (rc)
			return rc;
	}
	rc = vsw_dp_port_acl(dp, p->dp_idx, r);
	if (rc)
		snprintf(why, len, "port %s: cannot put its ACLs in force: %s", p->cfg.name,
			 strerror(-rc));
	return rc;
}

int vsw_daemon_port_acls(struct vsw_daemon *d, const char *port, const struct vsw_acl_cfg *acls,
			 unsigned int n, bool defer, char *why, size_t len)
{
	int i = vsw_daemon_find_port(d, port), rc;
	struct vsw_acl_cfg *copy = NULL, *old;
	unsigned int old_n;
	struct vsw_dport *p;

	if (i < 0) {
		snprintf(why, len, "no port %s", port);
		return -ENOENT;
	}
	p = &d->ports[i];
	if (n) {
		copy = malloc(n * sizeof(*copy));
		if (!copy) {
			snprintf(why, len, "port %s: out of memory for %u ACLs", port, n);
			return -ENOMEM;
		}
		memcpy(copy, acls, n * sizeof(*copy));
	}
	old = p->acls;
	old_n = p->n_acls;
	p->acls = copy;
	p->n_acls = n;
	if (defer) {
		free(old);
		return 0;
	}
	rc = acl_publish(d, p, why, len);
	if (rc) {
		/* The datapath kept the old rules: so does the daemon. */
		p->acls = old;
		p->n_acls = old_n;
		free(copy);
		return rc;
	}
	free(old);
	return 0;
}

int vsw_daemon_acls_commit(struct vsw_daemon *d, char *why, size_t len)
{
	for (int i = 0; i < VSW_MAX_PORTS; i++) {
		int rc;

		if (!d->ports[i].used || !d->ports[i].n_acls)
			continue;
		rc = acl_publish(d, &d->ports[i], why, len);
		if (rc)
			return rc;
	}
	return 0;
}

int vsw_daemon_acl_hits(struct vsw_daemon *d, const char *port, unsigned int i,
			uint64_t *frames, uint64_t *bytes)
{
	int k = vsw_daemon_find_port(d, port);
	const struct vsw_acl_rules *r;

	if (k < 0 || d->ports[k].dp_idx < 0 || i >= d->ports[k].n_acls)
		return -ENOENT;
	r = vsw_dp_port_acl_rules(d->sw[d->ports[k].sw].dp, d->ports[k].dp_idx);
	return r ? vsw_acl_rules_hits(r, i, frames, bytes) : -ENOENT;
}

/* ---- mirrors ---- */

static int dp_index(const struct vsw_daemon *d, const char *name)
{
	int i = vsw_daemon_find_port(d, name);

	return i < 0 ? -1 : d->ports[i].dp_idx;
}

static uint64_t port_set(const struct vsw_daemon *d, const char (*names)[VSW_NAME_MAX],
			 unsigned int n)
{
	uint64_t set = 0;

	for (unsigned int k = 0; k < n; k++) {
		int x = dp_index(d, names[k]);

		if (x >= 0)
			set |= 1ull << x;
	}
	return set;
}

/* Compiles the switch's mirrors to the ports attached now; a mirror whose
 * output is not attached waits (copies to nowhere are no use). */
static int mirrors_publish(struct vsw_daemon *d, int s)
{
	struct vsw_sw *w = &d->sw[s];
	struct vsw_dp_mirror *m = NULL;
	unsigned int n = 0;
	int rc;

	if (w->n_mirrors) {
		m = calloc(w->n_mirrors, sizeof(*m));
		if (!m)
			return -ENOMEM;
	}
	for (unsigned int k = 0; k < w->n_mirrors; k++) {
		const struct vsw_mirror_cfg *c = &w->mirrors[k];
		int out = dp_index(d, c->output);

		if (out < 0)
			continue;
		m[n] = (struct vsw_dp_mirror){
			.output = out,
			.all = c->select_all,
			.has_vlans = c->has_vlans,
			.src = port_set(d, c->select_src, c->n_src),
			.dst = port_set(d, c->select_dst, c->n_dst),
		};
		memcpy(m[n].vlans, c->select_vlans, sizeof(m[n].vlans));
		n++;
	}
	rc = vsw_dp_set_mirrors(w->dp, m, n);
	free(m);
	return rc;
}

int vsw_daemon_mirrors(struct vsw_daemon *d, const char *sw, const struct vsw_mirror_cfg *m,
		       unsigned int n, char *why, size_t len)
{
	int s = vsw_daemon_find_switch(d, sw), rc;
	struct vsw_mirror_cfg *copy = NULL, *old;
	unsigned int old_n;
	struct vsw_sw *w;

	if (s < 0) {
		snprintf(why, len, "no switch %s", sw);
		return -ENOENT;
	}
	w = &d->sw[s];
	if (n) {
		copy = malloc(n * sizeof(*copy));
		if (!copy) {
			snprintf(why, len, "switch %s: out of memory for its mirrors", sw);
			return -ENOMEM;
		}
		memcpy(copy, m, n * sizeof(*copy));
	}
	old = w->mirrors;
	old_n = w->n_mirrors;
	w->mirrors = copy;
	w->n_mirrors = n;
	rc = mirrors_publish(d, s);
	if (rc) {
		w->mirrors = old;
		w->n_mirrors = old_n;
		free(copy);
		snprintf(why, len, "switch %s: cannot put its mirrors in force: %s", sw,
			 strerror(-rc));
		return rc;
	}
	free(old);
	return 0;
}

/* ---- extensions ---- */

static int host_port_index(void *host, const char *name)
{
	const struct vsw_daemon *d = host;
	int x = dp_index(d, name);

	return x < 0 ? -ENOENT : x;
}

static void host_log(void *host, const char *msg)
{
	(void)host;
	fprintf(stderr, "vswitchd: extension: %s\n", msg);
}

static int find_ext(const struct vsw_sw *w, const char *name)
{
	for (unsigned int k = 0; k < w->n_exts; k++)
		if (!strcmp(vsw_ext_cfg(w->exts[k])->name, name))
			return (int)k;
	return -1;
}

static int chain_publish(struct vsw_sw *w, char *why, size_t len)
{
	struct vsw_ext_chain *ch = NULL;
	int rc;

	if (w->n_exts) {
		rc = vsw_ext_chain_build(w->exts, w->n_exts, &ch, why, len);
		if (rc)
			return rc;
	}
	vsw_dp_set_extensions(w->dp, ch);
	return 0;
}

int vsw_daemon_ext_add(struct vsw_daemon *d, const struct vsw_ext_cfg *c, char *why, size_t len)
{
	int s = vsw_daemon_find_switch(d, c->sw), rc;
	struct hvnet_ext_host host = {
		.abi_version = HVNET_EXT_ABI_VERSION,
		.host = d,
		.port_index = host_port_index,
		.log = host_log,
	};
	struct vsw_ext *e;
	struct vsw_sw *w;

	if (s < 0) {
		snprintf(why, len, "no switch %s", c->sw);
		return -ENOENT;
	}
	w = &d->sw[s];
	if (find_ext(w, c->name) >= 0) {
		snprintf(why, len, "switch %s already has an extension %s", c->sw, c->name);
		return -EEXIST;
	}
	if (w->n_exts == VSW_MAX_EXTENSIONS) {
		snprintf(why, len, "switch %s has %d extensions, the most it takes", c->sw,
			 VSW_MAX_EXTENSIONS);
		return -ENOSPC;
	}
	host.switch_name = w->cfg.name;
	rc = vsw_ext_load(c, &host, &e, why, len);
	if (rc)
		return rc;
	w->exts[w->n_exts++] = e;
	rc = chain_publish(w, why, len);
	if (rc) {
		w->n_exts--;
		vsw_ext_unload(e);
	}
	return rc;
}

int vsw_daemon_ext_set(struct vsw_daemon *d, const struct vsw_ext_cfg *c, char *why, size_t len)
{
	int s = vsw_daemon_find_switch(d, c->sw), k, rc;
	struct vsw_ext *e;
	struct vsw_sw *w;

	if (s < 0 || (k = find_ext(&d->sw[s], c->name)) < 0) {
		snprintf(why, len, "no extension %s on switch %s", c->name, c->sw);
		return -ENOENT;
	}
	w = &d->sw[s];
	e = w->exts[k];
	if (vsw_ext_cfg(e)->enabled == c->enabled)
		return 0;
	/* Enabling or disabling keeps the loaded object and its state; only
	 * the chain changes (chains hold the enabled ones, decided when they
	 * are built, so the one in use is not affected by the flag). */
	vsw_ext_set_enabled(e, c->enabled);
	rc = chain_publish(w, why, len);
	if (rc)
		vsw_ext_set_enabled(e, !c->enabled);
	return rc;
}

int vsw_daemon_ext_order(struct vsw_daemon *d, const char *sw, const char (*names)[VSW_NAME_MAX],
			 unsigned int n, char *why, size_t len)
{
	int s = vsw_daemon_find_switch(d, sw), rc;
	struct vsw_ext *was[VSW_MAX_EXTENSIONS];
	unsigned int got = 0, have;
	struct vsw_sw *w;

	if (s < 0) {
		snprintf(why, len, "no switch %s", sw);
		return -ENOENT;
	}
	w = &d->sw[s];
	have = w->n_exts;
	memcpy(was, w->exts, have * sizeof(was[0]));
	for (unsigned int i = 0; i < n; i++) {
		for (unsigned int j = 0; j < have; j++)
			if (!strcmp(vsw_ext_cfg(was[j])->name, names[i]) && got < have)
				w->exts[got++] = was[j];
	}
	if (got != have) {
		memcpy(w->exts, was, have * sizeof(was[0]));
		snprintf(why, len, "switch %s runs extensions the new order leaves out", sw);
		return -EINVAL;
	}
	/* Published like any chain change: the lcore finishes the frames it
	 * holds with the old order and takes the new one at its next burst. */
	rc = chain_publish(w, why, len);
	if (rc)
		memcpy(w->exts, was, have * sizeof(was[0]));
	return rc;
}

int vsw_daemon_ext_del(struct vsw_daemon *d, const char *sw, const char *name, char *why,
		       size_t len)
{
	int s = vsw_daemon_find_switch(d, sw), k, rc;
	struct vsw_ext *e;
	struct vsw_sw *w;

	if (s < 0 || (k = find_ext(&d->sw[s], name)) < 0) {
		snprintf(why, len, "no extension %s on switch %s", name, sw);
		return -ENOENT;
	}
	w = &d->sw[s];
	e = w->exts[k];
	memmove(&w->exts[k], &w->exts[k + 1], (w->n_exts - (unsigned int)k - 1) * sizeof(e));
	w->n_exts--;
	/* The chain without it is in force (and the lcore past the old one)
	 * before it is unloaded. */
	rc = chain_publish(w, why, len);
	if (rc) {
		memmove(&w->exts[k + 1], &w->exts[k], (w->n_exts - (unsigned int)k) * sizeof(e));
		w->exts[k] = e;
		w->n_exts++;
		return rc;
	}
	vsw_ext_unload(e);
	return 0;
}

int vsw_daemon_ext_stats(struct vsw_daemon *d, const char *sw, const char *name,
			 struct vsw_ext_stats *out)
{
	int s = vsw_daemon_find_switch(d, sw), k;

	if (s < 0 || (k = find_ext(&d->sw[s], name)) < 0)
		return -ENOENT;
	vsw_ext_get_stats(d->sw[s].exts[k], out);
	return 0;
}

/* ---- ports and switches coming and going ---- */

void vsw_policy_attached(struct vsw_daemon *d, struct vsw_dport *p)
{
	char why[256];

	if (acl_publish(d, p, why, sizeof(why)))
		fprintf(stderr, "vswitchd: %s; the port runs without its ACLs\n", why);
	if (mirrors_publish(d, p->sw))
		fprintf(stderr, "vswitchd: switch %s: its mirrors could not follow port %s\n",
			d->sw[p->sw].cfg.name, p->cfg.name);
}

void vsw_policy_detached(struct vsw_daemon *d, int sw)
{
	if (mirrors_publish(d, sw))
		fprintf(stderr, "vswitchd: switch %s: its mirrors could not follow a port leaving\n",
			d->sw[sw].cfg.name);
}

void vsw_policy_port_gone(struct vsw_daemon *d, struct vsw_dport *p)
{
	(void)d;
	free(p->acls);
	p->acls = NULL;
	p->n_acls = 0;
}

void vsw_policy_switch_gone(struct vsw_daemon *d, int sw)
{
	struct vsw_sw *w = &d->sw[sw];

	vsw_dp_set_extensions(w->dp, NULL);
	for (unsigned int k = 0; k < w->n_exts; k++)
		vsw_ext_unload(w->exts[k]);
	w->n_exts = 0;
	vsw_dp_set_mirrors(w->dp, NULL, 0);
	free(w->mirrors);
	w->mirrors = NULL;
	w->n_mirrors = 0;
}
