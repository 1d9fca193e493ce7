/* The text form of vswitchd's answers (vsw_ctl.h): `show` as an indented
 * tree in ovs-vsctl show's shape, lists one item a line, stats one
 * counter a line. Scripts should use --format json; this is for people. */
#include "vswitch/vsw_ctl.h"

#include <inttypes.h>
#include <string.h>

static void print_vlan(FILE *f, const struct vsw_vlan_cfg *v)
{
	char vl[VSW_VLAN_LIST_MAX];

	switch (v->mode) {
	case VSW_VLAN_ACCESS:
		fprintf(f, "access %u\n", v->access_vlan);
		break;
	case VSW_VLAN_TRUNK:
		vsw_vlan_format_list(v->allowed, vl, sizeof(vl));
		if (v->native_vlan != 0)
			fprintf(f, "trunk %s native %u\n", vl, v->native_vlan);
		else
			fprintf(f, "trunk %s\n", vl);
		break;
	default:
		fprintf(f, "untagged\n");
		break;
	}
}

static void print_security(FILE *f, const struct vsw_security_cfg *s)
{
	static const uint8_t zero[6];
	char mac[VSW_MAC_STR];
	int any = 0;

	if (s->mac_spoof_guard)
		fprintf(f, "%smac-spoof-guard", any++ ? " " : "");
	if (s->dhcp_guard)
		fprintf(f, "%sdhcp-guard", any++ ? " " : "");
	if (s->router_guard)
		fprintf(f, "%srouter-guard", any++ ? " " : "");
	if (s->storm_limit_pps != 0)
		fprintf(f, "%sstorm-limit %" PRIu64 " pps", any++ ? " " : "", s->storm_limit_pps);
	if (s->mac_limit != 0)
		fprintf(f, "%smac-limit %" PRIu32, any++ ? " " : "", s->mac_limit);
	if (memcmp(s->mac, zero, 6) != 0) {
		vsw_mac_format(s->mac, mac);
		fprintf(f, "%smac %s", any++ ? " " : "", mac);
	}
	fprintf(f, "%s\n", any ? "" : "none");
}

static void print_acl(FILE *f, const struct vsw_acl_cfg *a)
{
	char l[VSW_ADDR_STR], r[VSW_ADDR_STR], p[8], lp[12], rp[12];

	vsw_acl_addr_format(&a->local, l);
	vsw_acl_addr_format(&a->remote, r);
	if (!a->extended) {
		fprintf(f, "%s %s local %s remote %s\n", vsw_dir_name(a->dir),
			vsw_acl_action_name(a->action), l, r);
		return;
	}
	vsw_acl_proto_format(a->protocol, p);
	vsw_port_range_format(a->local_port_lo, a->local_port_hi, lp);
	vsw_port_range_format(a->remote_port_lo, a->remote_port_hi, rp);
	fprintf(f, "weight %u %s %s protocol %s local %s port %s remote %s port %s", a->weight,
		vsw_dir_name(a->dir), vsw_acl_action_name(a->action), p, l, lp, r, rp);
	if (a->stateful)
		fprintf(f, " stateful idle-timeout %" PRIu32 "s",
			a->idle_timeout_s != 0 ? a->idle_timeout_s : 300);
	fprintf(f, "\n");
}

static void print_port(FILE *f, const struct vsw_model *m, const struct vsw_port_cfg *p)
{
	fprintf(f, "    Port %s\n", p->name);
	if (p->kind == VSW_PORT_VNIC)
		fprintf(f, "        kind: vnic (partition %s)\n", p->devargs);
	else if (p->devargs[0] != '\0')
		fprintf(f, "        kind: %s (%s)\n", vsw_port_kind_name(p->kind), p->devargs);
	else
		fprintf(f, "        kind: %s\n", vsw_port_kind_name(p->kind));
	fprintf(f, "        vlan: ");
	print_vlan(f, &p->vlan);
	fprintf(f, "        security: ");
	print_security(f, &p->sec);
	if (p->qos.max_bps != 0 || p->qos.min_weight != 0) {
		fprintf(f, "        qos:");
		if (p->qos.max_bps != 0)
			fprintf(f, " max-bps %" PRIu64, p->qos.max_bps);
		if (p->qos.min_weight != 0)
			fprintf(f, " min-weight %" PRIu32, p->qos.min_weight);
		fprintf(f, "\n");
	}
	for (unsigned int i = 0; i < m->n_acls; i++) {
		if (strcmp(m->acls[i].port, p->name) != 0)
			continue;
		fprintf(f, "        acl: ");
		print_acl(f, &m->acls[i]);
	}
}

static void print_names(FILE *f, const char *label, const char (*n)[VSW_NAME_MAX],
			unsigned int count)
{
	if (count == 0)
		return;
	fprintf(f, " %s ", label);
	for (unsigned int i = 0; i < count; i++)
		fprintf(f, "%s%s", i ? "," : "", n[i]);
}

static void print_mirror(FILE *f, const struct vsw_mirror_cfg *r, const char *indent)
{
	char vl[VSW_VLAN_LIST_MAX];

	fprintf(f, "%soutput %s", indent, r->output);
	if (r->select_all)
		fprintf(f, " select-all");
	print_names(f, "select-src", r->select_src, r->n_src);
	print_names(f, "select-dst", r->select_dst, r->n_dst);
	if (r->has_vlans) {
		vsw_vlan_format_list(r->select_vlans, vl, sizeof(vl));
		fprintf(f, " select-vlan %s", vl);
	}
	fprintf(f, "\n");
}

static void print_ext(FILE *f, const struct vsw_ext_cfg *e)
{
	fprintf(f, "%s %s module %s%s%s\n", vsw_ext_type_name(e->type),
		e->enabled ? "enabled" : "disabled", e->module, e->args[0] ? " args " : "",
		e->args);
}

static void print_show(FILE *f, const struct vsw_model *m)
{
	for (unsigned int s = 0; s < m->n_switches; s++) {
		const struct vsw_switch_cfg *w = &m->switches[s];

		fprintf(f, "Switch %s\n", w->name);
		fprintf(f, "    type: %s\n", vsw_switch_type_name(w->type));
		if (w->fdb_size != 0 || w->aging_s != 0)
			fprintf(f, "    fdb-size: %" PRIu32 " aging: %" PRIu32 "s\n", w->fdb_size,
				w->aging_s != 0 ? w->aging_s : VSW_AGING_DEFAULT);
		if (w->lcore != VSW_LCORE_AUTO)
			fprintf(f, "    lcore: %d\n", w->lcore);
		for (unsigned int p = 0; p < m->n_ports; p++)
			if (strcmp(m->ports[p].sw, w->name) == 0)
				print_port(f, m, &m->ports[p]);
		for (unsigned int r = 0; r < m->n_mirrors; r++) {
			if (strcmp(m->mirrors[r].sw, w->name) != 0)
				continue;
			fprintf(f, "    Mirror %s\n", m->mirrors[r].name);
			print_mirror(f, &m->mirrors[r], "        ");
		}
		for (unsigned int e = 0; e < m->n_exts; e++) {
			if (strcmp(m->exts[e].sw, w->name) != 0)
				continue;
			fprintf(f, "    Extension %s\n        ", m->exts[e].name);
			print_ext(f, &m->exts[e]);
		}
	}
}

void vsw_ctl_print_text(FILE *f, const struct vsw_change *q, const struct vsw_ctl_reply *r)
{
	const struct vsw_model *m = r->model;

	if (q->op == VSW_OP_STATS) {
		for (unsigned int i = 0; i < r->n_stats; i++) {
			const struct vsw_ctl_stats *st = &r->stats[i];

			if (st->lcore >= 0)
				fprintf(f, "%s (switch %s, lcore %d%s)\n", st->port, st->sw, st->lcore,
					st->attached ? "" : ", not attached");
			else
				fprintf(f, "%s (switch %s%s)\n", st->port, st->sw,
					st->attached ? "" : ", not attached");
			for (unsigned int k = 0; k < st->n; k++)
				fprintf(f, "    %-24s %" PRIu64 "\n", st->c[k].name, st->c[k].value);
		}
		return;
	}
	if (m == NULL)
		return;
	switch (q->op) {
	case VSW_OP_SHOW:
		print_show(f, m);
		break;
	case VSW_OP_SWITCH_LIST:
		for (unsigned int i = 0; i < m->n_switches; i++)
			fprintf(f, "%s\n", m->switches[i].name);
		break;
	case VSW_OP_PORT_LIST:
		for (unsigned int i = 0; i < m->n_ports; i++)
			fprintf(f, "%s\n", m->ports[i].name);
		break;
	case VSW_OP_ACL_LIST:
		for (unsigned int i = 0; i < m->n_acls; i++)
			print_acl(f, &m->acls[i]);
		break;
	case VSW_OP_MIRROR_LIST:
		for (unsigned int i = 0; i < m->n_mirrors; i++) {
			fprintf(f, "%s (switch %s):", m->mirrors[i].name, m->mirrors[i].sw);
			print_mirror(f, &m->mirrors[i], " ");
		}
		break;
	case VSW_OP_EXT_LIST:
		for (unsigned int i = 0; i < m->n_exts; i++) {
			fprintf(f, "%s %s ", m->exts[i].sw, m->exts[i].name);
			print_ext(f, &m->exts[i]);
		}
		break;
	default:
		break;
	}
}
