/* vswitchctl's language, shared by the CLI and vswitchd: the verb table
 * (command line -> typed request, per-verb help), the JSON protocol over
 * the control socket (requests, replies, their strict decoders), and the
 * text form of replies.
 *
 * Protocol: one request per line (JSON, no raw newline inside), one reply
 * per line, on a unix stream socket. A request:
 *   {"version":1, "op":"port-vlan", "port":"p1",
 *    "config":{"mode":"trunk","allowed":"1-100,200","native":10}}
 * with "switch", "port" and "name" (a mirror's or extension's) as the op
 * needs, "may_exist" / "if_exists" where the op takes them, and "config"
 * holding the record or the fields to set. A reply:
 *   {"ok":true, "changed":true, "result":{...}}
 *   {"ok":false, "error":"ENOENT", "errno":2, "why":"port p9 does not exist; ..."}
 * Query results: {"switches":[{switch..., "ports":[{port..., "acls":[...]}],
 * "mirrors":[...], "extensions":[...]}]}, or {"stats":[{"port":...,
 * "switch":..., "attached":true, "counters":{"rx_packets":1, ...}}]}.
 * Unknown fields, fields given twice, wrong types and values the
 * validators refuse are errors: a request means one thing or nothing. */
#ifndef VSW_CTL_H
#define VSW_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vswitch/vsw_json.h"
#include "vswitch/vsw_model.h"

#define VSW_CTL_PROTO_VERSION 1
#define VSW_CTL_DEFAULT_SOCKET "/run/hvnet/vswitchd.sock"
#define VSW_CTL_SOCKET_ENV "VSWITCHD_SOCKET"
/* Bytes in one request line: an acl-load of a port's most ACLs. */
#define VSW_CTL_MAX_REQUEST (8u << 20)
#define VSW_CTL_MAX_REPLY (16u << 20)       /* bytes in one reply line */
#define VSW_CTL_MAX_REPLY_NODES (4u << 20)  /* values in one reply */
/* Values in one request: far more than any valid one needs (an ACL is
 * at most 14). */
#define VSW_CTL_MAX_REQUEST_NODES (VSW_MAX_ACLS_PER_PORT * 16u + 1024u)

/* Exit statuses of vswitchctl. */
enum {
	VSW_EXIT_OK = 0,
	VSW_EXIT_REFUSED = 1,        /* vswitchd refused the request */
	VSW_EXIT_USAGE = 2,          /* bad command line; vswitchd never asked */
	VSW_EXIT_UNREACHABLE = 3,    /* no vswitchd to ask */
};

/* ---- port counters, as the datapath names them ---- */

#define VSW_STATS_MAX_COUNTERS 48
#define VSW_STATS_NAME_MAX 32

struct vsw_ctl_counter {
	char name[VSW_STATS_NAME_MAX];   /* [a-z0-9_]: rx_packets, drop_acl, ... */
	uint64_t value;
};

struct vsw_ctl_stats {
	char port[VSW_NAME_MAX];
	char sw[VSW_NAME_MAX];
	bool attached;                   /* in the datapath now (a vNIC's partition is up) */
	int lcore;                       /* the worker lcore polling it; -1 when not attached */
	unsigned int n;
	struct vsw_ctl_counter c[VSW_STATS_MAX_COUNTERS];
};

/* Appends a counter; -ENOSPC when full, -EINVAL for a bad name. */
int vsw_ctl_stats_add(struct vsw_ctl_stats *s, const char *name, uint64_t value);

/* ---- the command line ---- */

enum vsw_ctl_format {
	VSW_FMT_TEXT,
	VSW_FMT_JSON,
};

struct vsw_verb;

enum vsw_cli_help {
	VSW_HELP_NONE,
	VSW_HELP_ALL,                /* vswitchctl --help */
	VSW_HELP_NOUN,               /* vswitchctl port --help */
	VSW_HELP_VERB,               /* vswitchctl port vlan --help */
};

struct vsw_cli {
	struct vsw_change req;
	const struct vsw_verb *verb;
	enum vsw_ctl_format format;
	const char *socket;          /* --socket, or NULL */
	unsigned int timeout_s;      /* --timeout; 0 = wait forever */
	const char *capture_file;    /* capture start --file ("-" = stdout) */
	enum vsw_cli_help help;
	char help_noun[16];
	bool version;
};

/* Parses vswitchctl's arguments (argv[0] excluded). 0 with cli filled (a
 * request, or help/version asked for), or -EINVAL with 'why' saying what
 * is wrong and where to look. Every check that needs no vswitchd is done
 * here, the validators included. */
int vsw_cli_parse(int argc, char *const argv[], struct vsw_cli *cli, char *why, size_t len);
/* The help cli->help asks for. */
void vsw_cli_print_help(FILE *f, const struct vsw_cli *cli);
/* One usage line per verb: what `vswitchctl --help` lists. */
void vsw_cli_print_usage(FILE *f);
/* Number of verbs, and the i-th one's words and usage (tests, man page). */
unsigned int vsw_verb_count(void);
const char *vsw_verb_words(unsigned int i);
const char *vsw_verb_usage(unsigned int i);
enum vsw_op vsw_verb_op(const struct vsw_verb *v);

/* ---- the JSON protocol ---- */

/* Appends the request (one line, no newline) to w. */
void vsw_ctl_encode_request(const struct vsw_change *c, struct vsw_jw *w);
/* Strict and bounded (VSW_CTL_MAX_REQUEST bytes, VSW_CTL_MAX_REQUEST_NODES
 * values); ends with vsw_change_check. 0 or -EINVAL/-E2BIG with 'why'. */
int vsw_ctl_decode_request(const char *text, size_t len, struct vsw_change *c, char *why,
			   size_t wlen);

void vsw_ctl_encode_error(struct vsw_jw *w, int err, const char *why);
void vsw_ctl_encode_ok(struct vsw_jw *w, bool changed);
/* ok + a result of the model (already narrowed to what was asked). */
void vsw_ctl_encode_model_reply(struct vsw_jw *w, const struct vsw_model *m);
void vsw_ctl_encode_stats_reply(struct vsw_jw *w, const struct vsw_ctl_stats *st,
				unsigned int n);

struct vsw_ctl_reply {
	bool ok;
	bool changed;
	int err;                     /* -errno when !ok */
	char why[1024];
	struct vsw_model *model;     /* query results (NULL for stats) */
	struct vsw_ctl_stats *stats;
	unsigned int n_stats;
};

/* Decodes a reply to a request of 'op'. 0 or -EINVAL with 'why' (a reply
 * that is not what vswitchd sends). Free with vsw_ctl_reply_free. */
int vsw_ctl_decode_reply(const char *text, size_t len, enum vsw_op op,
			 struct vsw_ctl_reply *r, char *why, size_t wlen);
void vsw_ctl_reply_free(struct vsw_ctl_reply *r);

/* The text form of a successful reply to q (show as an OVS-like tree,
 * lists one name a line, stats as a table). Nothing for changes. */
void vsw_ctl_print_text(FILE *f, const struct vsw_change *q, const struct vsw_ctl_reply *r);

#endif /* VSW_CTL_H */
