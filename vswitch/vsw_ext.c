/* Switch extensions: the loader (dlopen or rte_bpf) and the chain the
 * datapath runs; see vsw_ext.h. */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_bpf.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "common/hvn_compiler.h"
#include "vswitch/vsw_ext.h"

/* Where `make install` puts the sample extensions: a module given as a
 * bare name ("count") is hvnet_ext_NAME.so there. meson sets it. */
#ifndef HVNET_EXT_DIR
#define HVNET_EXT_DIR "/usr/local/lib/hvnet/extensions"
#endif

#define EXT_BURST 64
#define BPF_BYTES HVNET_EXT_BPF_FRAME_BYTES

enum ext_kind {
	EXT_NATIVE,
	EXT_BPF,
};

struct vsw_ext {
	struct vsw_ext_cfg cfg;
	enum hvnet_ext_type type;
	enum ext_kind kind;
	/* Ours rather than the caller's: an extension may keep the pointer
	 * init got (to log from fini), so it must live as long as we do. */
	struct hvnet_ext_host host;
	/* Native. */
	void *dl;
	const struct hvnet_ext_ops *ops;
	void *priv;
	/* eBPF. The program's external variable and its description must stay
	 * where the loader saw them: the JIT-ed code holds their address. */
	struct rte_bpf *bpf;
	uint64_t (*jit)(void *);
	struct rte_bpf_xsym xsym[1];
	uint32_t frame_len;
	/* Written by the lcore alone (single writer, so a relaxed load and
	 * store, never a locked add); readers may see a lagging value. */
	struct vsw_ext_stats st;
	/* Short frames are copied here and zero-padded, since the verifier
	 * lets the program read BPF_BYTES whatever the frame's length. One
	 * suffices: frames run one at a time, on one lcore. */
	uint8_t bounce[BPF_BYTES] hvn_aligned(HVN_CACHE_LINE);
};

struct vsw_ext_chain {
	unsigned int n;
	struct vsw_ext *e[];
};

static const char *const type_names[] = {
	[HVNET_EXT_CAPTURE] = "capture",
	[HVNET_EXT_FILTER] = "filter",
	[HVNET_EXT_FORWARD] = "forward",
};

__attribute__((format(printf, 4, 5)))
static int fail(char *why, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return err;
}

static inline void stat_add(uint64_t *c, uint64_t k)
{
	hvn_store_relaxed(c, hvn_load_relaxed(c) + k);
}

/* ---- host services when the caller offers none ---- */

static int no_port_index(void *host, const char *port_name)
{
	(void)host;
	(void)port_name;
	return -ENOENT;
}

static void rte_log_line(void *host, const char *msg)
{
	(void)host;
	RTE_LOG(INFO, USER1, "%s\n", msg);
}

/* ---- native extensions ---- */

static int load_native(struct vsw_ext *e, const char *path, char *why, size_t len)
{
	const char *name = e->cfg.name;
	const struct hvnet_ext_ops *ops;
	hvnet_ext_entry_fn entry;
	char iwhy[256] = "";
	uint32_t major, minor;
	void *sym;
	int rc;

	e->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (e->dl == NULL)
		return fail(why, len, -ENOEXEC, "extension %s: cannot load %s (%s); the module must be "
			    "a shared object for this machine built against <hvnet/hvnet_ext.h>, or "
			    "an eBPF object whose name ends in .o", name, path, dlerror());
	dlerror();
	sym = dlsym(e->dl, HVNET_EXT_ENTRY);
	if (sym == NULL) {
		const char *err = dlerror();

		rc = fail(why, len, -ENOEXEC, "extension %s: %s is not an hvnet extension: it exports "
			  "no %s() (%s); define it as <hvnet/hvnet_ext.h> says, with default "
			  "visibility", name, path, HVNET_EXT_ENTRY, err ? err : "it is NULL");
		goto out_close;
	}
	/* POSIX guarantees a dlsym result converts to a function pointer. */
	entry = (hvnet_ext_entry_fn)sym;
	ops = entry();
	if (ops == NULL) {
		rc = fail(why, len, -ENOEXEC, "extension %s: %s() of %s returned no operations; the "
			  "extension is broken", name, HVNET_EXT_ENTRY, path);
		goto out_close;
	}
	/* Only abi_version is known to be where we look until it matches. */
	major = ops->abi_version >> 16;
	minor = ops->abi_version & 0xffff;
	if (major != HVNET_EXT_ABI_MAJOR || minor > HVNET_EXT_ABI_MINOR) {
		rc = fail(why, len, -EPROTO, "extension %s: %s was built for extension ABI %u.%u but "
			  "this vswitchd speaks %u.%u (it loads %u.0 to %u.%u); rebuild it against "
			  "this vswitchd's <hvnet/hvnet_ext.h>", name, path, major, minor,
			  HVNET_EXT_ABI_MAJOR, HVNET_EXT_ABI_MINOR, HVNET_EXT_ABI_MAJOR,
			  HVNET_EXT_ABI_MAJOR, HVNET_EXT_ABI_MINOR);
		goto out_close;
	}
	if (ops->process == NULL) {
		rc = fail(why, len, -ENOEXEC, "extension %s: %s has no process function; the "
			  "extension is broken", name, path);
		goto out_close;
	}
	if (!(ops->types & (1u << e->type))) {
		char allowed[40] = "";

		for (unsigned int t = 0; t < HVN_ARRAY_SIZE(type_names); t++)
			if (ops->types & (1u << t)) {
				if (allowed[0] != '\0')
					strcat(allowed, ", ");
				strcat(allowed, type_names[t]);
			}
		rc = fail(why, len, -EOPNOTSUPP, "extension %s: %s (%s) cannot be a %s extension; "
			  "add it as %s", name, ops->name ? ops->name : path, path,
			  type_names[e->type], allowed[0] ? allowed : "nothing (it allows no type)");
		goto out_close;
	}
	e->ops = ops;
	if (ops->init != NULL) {
		rc = ops->init(&e->host, e->type, e->cfg.args[0] ? e->cfg.args : NULL, &e->priv,
			       iwhy, sizeof(iwhy));
		if (rc != 0) {
			iwhy[sizeof(iwhy) - 1] = '\0';
			if (rc > 0)
				rc = -EINVAL;
			if (iwhy[0] != '\0')
				rc = fail(why, len, rc, "extension %s: %s refused to start: %s", name,
					  ops->name ? ops->name : path, iwhy);
			else
				rc = fail(why, len, rc, "extension %s: %s refused to start (%s) and "
					  "said nothing more; check its --args", name,
					  ops->name ? ops->name : path, strerror(-rc));
			goto out_close;
		}
	}
	return 0;

out_close:
	dlclose(e->dl);
	e->dl = NULL;
	return rc;
}

/* ---- eBPF extensions ---- */

/* rte_bpf says why it refused a program only in DPDK's log, so the log is
 * captured while it loads. Whatever other threads logged meanwhile is
 * handed on to the real log afterwards: delayed, not lost. DPDK's stream
 * is one unlocked pointer: a thread that read it just before we put it
 * back could still be writing when the capture closes. hvnet's own code
 * does not log through DPDK, and loads are rare operator actions, so that
 * window (a PMD logging in those few instructions) is accepted rather than
 * installing a process-wide log wrapper for good. */
static struct rte_bpf *bpf_load_logged(const struct rte_bpf_prm *prm, const char *path,
				       const char *section, char *msg, size_t msglen)
{
	FILE *prev = rte_log_get_stream(), *mem;
	struct rte_bpf *b;
	size_t sz = 0, o = 0;
	char *buf = NULL;

	msg[0] = '\0';
	mem = open_memstream(&buf, &sz);
	if (mem == NULL) {
		snprintf(msg, msglen, "details are in vswitchd's log");
		return rte_bpf_elf_load(prm, path, section);
	}
	rte_openlog_stream(mem);
	b = rte_bpf_elf_load(prm, path, section);
	rte_openlog_stream(prev);
	fclose(mem);
	if (buf == NULL)
		return b;
	if (prev != NULL && sz > 0) {
		fputs(buf, prev);
		fflush(prev);
	}
	/* Keep rte_bpf's specific complaints, without object addresses that
	 * mean nothing to an operator; the generic "rte_bpf_elf_load(...)
	 * failed" line only when it is all there is. */
	for (char *line = buf, *next; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strncmp(line, "rte_bpf_elf_load(", 17) == 0 && msg[0] != '\0')
			continue;
		if (o > 0 && o + 2 < msglen) {
			msg[o++] = ';';
			msg[o++] = ' ';
		}
		for (const char *p = line; *p != '\0' && o + 1 < msglen; p++) {
			if (p[0] == '0' && p[1] == 'x' && isxdigit((unsigned char)p[2])) {
				p += 2;
				while (isxdigit((unsigned char)p[1]))
					p++;
				if (p[1] == ',' && p[2] == ' ')
					p += 2;
				continue;
			}
			msg[o++] = *p;
		}
		while (o > 0 && (msg[o - 1] == ';' || msg[o - 1] == ' '))
			o--;
		msg[o] = '\0';
	}
	free(buf);
	return b;
}

/* "section=NAME" and "jit=off" (to rule the JIT out when chasing a bug),
 * comma-separated. */
static int bpf_args(const struct vsw_ext *e, char *section, size_t seclen, bool *jit, char *why,
		    size_t len)
{
	char copy[VSW_EXT_ARGS_MAX], *save = NULL, *tok;

	snprintf(section, seclen, ".text");
	*jit = true;
	snprintf(copy, sizeof(copy), "%s", e->cfg.args);
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "section=", 8) == 0 && tok[8] != '\0' &&
		    strlen(tok + 8) < seclen) {
			snprintf(section, seclen, "%s", tok + 8);
		} else if (strcmp(tok, "jit=off") == 0) {
			*jit = false;
		} else if (strcmp(tok, "jit=on") == 0) {
			*jit = true;
		} else {
			return fail(why, len, -EINVAL, "extension %s: eBPF argument '%s' is not "
				    "understood; eBPF extensions take section=NAME (default .text) "
				    "and jit=on|off", e->cfg.name, tok);
		}
	}
	return 0;
}

static int load_bpf(struct vsw_ext *e, const char *path, char *why, size_t len)
{
	struct rte_bpf_prm prm = { 0 };
	struct rte_bpf_jit jit = { 0 };
	char section[64], msg[512];
	bool use_jit;
	int rc;

	rc = bpf_args(e, section, sizeof(section), &use_jit, why, len);
	if (rc < 0)
		return rc;
	e->xsym[0] = (struct rte_bpf_xsym){
		.name = HVNET_EXT_BPF_FRAME_LEN,
		.type = RTE_BPF_XTYPE_VAR,
		.var = { .val = &e->frame_len,
			 .desc = { .type = RTE_BPF_ARG_PTR, .size = sizeof(e->frame_len) } },
	};
	prm.xsym = e->xsym;
	prm.nb_xsym = HVN_ARRAY_SIZE(e->xsym);
	/* The verifier bounds every access by this size, once, at load: it
	 * cannot be the length of frames that have not arrived yet. */
	prm.prog_arg.type = RTE_BPF_ARG_PTR;
	prm.prog_arg.size = BPF_BYTES;
	e->bpf = bpf_load_logged(&prm, path, section, msg, sizeof(msg));
	if (e->bpf == NULL)
		return fail(why, len, -EINVAL, "extension %s: rte_bpf refused section %s of %s: %s. "
			    "rte_bpf 22.11 takes no loops, no helper calls, maps or global data, "
			    "and lets the program touch only the first %d bytes of the frame; the "
			    "module must be an object from clang -O2 -target bpf -c with that "
			    "section (llvm-objdump -h lists them)", e->cfg.name, section, path,
			    msg[0] ? msg : "no reason logged", BPF_BYTES);
	if (use_jit && rte_bpf_get_jit(e->bpf, &jit) == 0 && jit.func != NULL)
		e->jit = jit.func;
	return 0;
}

/* One frame at a time: hvnet_frame_len is one variable the program reads
 * by address, so frames cannot go to rte_bpf_exec_burst together. */
static void bpf_process(struct vsw_ext *e, struct rte_mbuf **pkts, uint16_t n, int32_t *verdict)
{
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
		uint32_t flen = m->data_len, copy = HVN_MIN(flen, (uint32_t)BPF_BYTES);
		/* A capture program sees a copy: it must not change the frame,
		 * and the verifier would let it write. */
		bool bounced = flen < BPF_BYTES || e->type == HVNET_EXT_CAPTURE;
		void *ctx = data;
		uint64_t rc;

		if (bounced) {
			memcpy(e->bounce, data, copy);
			memset(e->bounce + copy, 0, BPF_BYTES - copy);
			ctx = e->bounce;
		}
		e->frame_len = flen;
		rc = e->jit != NULL ? e->jit(ctx) : rte_bpf_exec(e->bpf, ctx);
		if (bounced && e->type != HVNET_EXT_CAPTURE)
			memcpy(data, e->bounce, copy);
		switch (e->type) {
		case HVNET_EXT_FILTER:
			verdict[i] = rc == 0 ? HVNET_EXT_DROP : HVNET_EXT_PASS;
			break;
		case HVNET_EXT_FORWARD:
			verdict[i] = rc == 0 || rc > 0xffff ? HVNET_EXT_PASS : (int32_t)(rc - 1);
			break;
		default:
			verdict[i] = HVNET_EXT_PASS;
			break;
		}
	}
}

/* ---- loading ---- */

int vsw_ext_load(const struct vsw_ext_cfg *cfg, const struct hvnet_ext_host *host,
		 struct vsw_ext **out, char *why, size_t len)
{
	char path[VSW_EXT_MODULE_MAX + sizeof(HVNET_EXT_DIR) + 16];
	size_t plen;
	struct vsw_ext *e;
	struct stat sb;
	int rc;

	*out = NULL;
	if ((unsigned int)cfg->type > VSW_EXT_FORWARD)
		return fail(why, len, -EINVAL, "extension %s: type %d is not capture, filter or "
			    "forward", cfg->name, (int)cfg->type);
	if (cfg->module[0] == '\0' || strnlen(cfg->module, VSW_EXT_MODULE_MAX) >= VSW_EXT_MODULE_MAX)
		return fail(why, len, -EINVAL, "extension %s: no module given; give the absolute "
			    "path of a .so or an eBPF .o, or a built-in name", cfg->name);
	if (cfg->module[0] == '/') {
		snprintf(path, sizeof(path), "%s", cfg->module);
	} else if (strchr(cfg->module, '/') != NULL) {
		return fail(why, len, -EINVAL, "extension %s: module path %s is relative; give an "
			    "absolute path", cfg->name, cfg->module);
	} else {
		snprintf(path, sizeof(path), "%s/hvnet_ext_%s.so", HVNET_EXT_DIR, cfg->module);
	}
	if (stat(path, &sb) != 0) {
		rc = -errno;
		if (cfg->module[0] != '/')
			return fail(why, len, rc, "extension %s: '%s' is not a built-in extension (%s: "
				    "%s); give the absolute path of a .so or an eBPF .o instead",
				    cfg->name, cfg->module, path, strerror(-rc));
		return fail(why, len, rc, "extension %s: cannot use module %s: %s; give the absolute "
			    "path of an extension (.so) or an eBPF object (.o) on this host",
			    cfg->name, path, strerror(-rc));
	}
	if (!S_ISREG(sb.st_mode))
		return fail(why, len, -EINVAL, "extension %s: module %s is not a regular file; give "
			    "the path of a .so or an eBPF .o", cfg->name, path);

	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return fail(why, len, -ENOMEM, "extension %s: out of memory", cfg->name);
	e->cfg = *cfg;
	/* vsw_ext_type and hvnet_ext_type are the same three in the same
	 * order, but one is the store's and the other the ABI's. */
	e->type = cfg->type == VSW_EXT_CAPTURE ? HVNET_EXT_CAPTURE :
		  cfg->type == VSW_EXT_FILTER ? HVNET_EXT_FILTER : HVNET_EXT_FORWARD;
	if (host != NULL)
		e->host = *host;
	e->host.abi_version = HVNET_EXT_ABI_VERSION;
	if (e->host.switch_name == NULL)
		e->host.switch_name = e->cfg.sw;
	if (e->host.port_index == NULL)
		e->host.port_index = no_port_index;
	if (e->host.log == NULL)
		e->host.log = rte_log_line;

	plen = strlen(path);
	if (plen > 2 && strcmp(path + plen - 2, ".o") == 0) {
		e->kind = EXT_BPF;
		rc = load_bpf(e, path, why, len);
	} else {
		e->kind = EXT_NATIVE;
		rc = load_native(e, path, why, len);
	}
	if (rc < 0) {
		free(e);
		return rc;
	}
	*out = e;
	return 0;
}

void vsw_ext_unload(struct vsw_ext *e)
{
	if (e == NULL)
		return;
	if (e->kind == EXT_NATIVE) {
		if (e->ops->fini != NULL)
			e->ops->fini(e->priv);
		dlclose(e->dl);
	} else {
		rte_bpf_destroy(e->bpf);
	}
	free(e);
}

const struct vsw_ext_cfg *vsw_ext_cfg(const struct vsw_ext *e)
{
	return &e->cfg;
}

void vsw_ext_set_enabled(struct vsw_ext *e, bool enabled)
{
	e->cfg.enabled = enabled;
}

void vsw_ext_get_stats(const struct vsw_ext *e, struct vsw_ext_stats *out)
{
	out->frames = hvn_load_relaxed(&e->st.frames);
	out->dropped = hvn_load_relaxed(&e->st.dropped);
	out->redirected = hvn_load_relaxed(&e->st.redirected);
}

/* ---- chains ---- */

int vsw_ext_chain_build(struct vsw_ext *const *exts, unsigned int n, struct vsw_ext_chain **out,
			char *why, size_t len)
{
	const struct vsw_ext *fwd = NULL;
	struct vsw_ext_chain *c;
	unsigned int on = 0;

	*out = NULL;
	for (unsigned int i = 0; i < n; i++) {
		const struct vsw_ext *e = exts[i];

		if (e == NULL || !e->cfg.enabled)
			continue;
		on++;
		if (e->type != HVNET_EXT_FORWARD)
			continue;
		if (fwd != NULL)
			return fail(why, len, -EBUSY, "switch %s: extensions %s and %s are both enabled "
				    "forwarding extensions, and a switch has at most one; disable one "
				    "(vswitchctl extension disable %s NAME)", e->cfg.sw, fwd->cfg.name,
				    e->cfg.name, e->cfg.sw);
		fwd = e;
	}
	c = calloc(1, sizeof(*c) + on * sizeof(c->e[0]));
	if (c == NULL)
		return fail(why, len, -ENOMEM, "out of memory for a chain of %u extensions", on);
	/* Hyper-V's stack: capture, filter, forward; within a type, the order
	 * the caller gave (the order they were added). */
	for (unsigned int t = HVNET_EXT_CAPTURE; t <= HVNET_EXT_FORWARD; t++)
		for (unsigned int i = 0; i < n; i++)
			if (exts[i] != NULL && exts[i]->cfg.enabled && exts[i]->type == t)
				c->e[c->n++] = exts[i];
	*out = c;
	return 0;
}

void vsw_ext_chain_free(struct vsw_ext_chain *c)
{
	free(c);
}

unsigned int vsw_ext_chain_len(const struct vsw_ext_chain *c)
{
	return c != NULL ? c->n : 0;
}

/* One burst of at most EXT_BURST. The frames still alive are pkts/meta
 * until the first drop, then a compacted copy in lp/lm with idx mapping
 * each back to its place in the caller's burst: a dropped frame is shown
 * to no later extension, and nothing is copied while nothing drops. */
static void run_burst(const struct vsw_ext_chain *c, enum hvnet_ext_dir dir,
		      struct rte_mbuf **pkts, const struct hvnet_ext_meta *meta, uint16_t n,
		      int32_t *verdict)
{
	struct rte_mbuf *lp[EXT_BURST];
	struct hvnet_ext_meta lm[EXT_BURST];
	uint8_t idx[EXT_BURST];
	int32_t v[EXT_BURST];
	struct rte_mbuf **cp = pkts;
	const struct hvnet_ext_meta *cm = meta;
	bool compacted = false;
	uint16_t live = n;

	for (unsigned int k = 0; k < c->n && live > 0; k++) {
		struct vsw_ext *e = c->e[dir == HVNET_EXT_INGRESS ? k : c->n - 1 - k];
		bool moving = compacted;
		uint16_t keep = 0, drops = 0, redirs = 0;

		for (uint16_t i = 0; i < live; i++)
			v[i] = HVNET_EXT_PASS;
		if (e->kind == EXT_NATIVE)
			e->ops->process(e->priv, dir, cp, cm, live, v);
		else
			bpf_process(e, cp, live, v);
		stat_add(&e->st.frames, live);
		if (e->type == HVNET_EXT_CAPTURE)
			continue;

		for (uint16_t i = 0; i < live; i++) {
			uint8_t orig = compacted ? idx[i] : (uint8_t)i;

			if (v[i] == HVNET_EXT_DROP) {
				verdict[orig] = HVNET_EXT_DROP;
				drops++;
				if (!moving) {
					for (uint16_t j = 0; j < keep; j++) {
						lp[j] = cp[j];
						if (cm != NULL)
							lm[j] = cm[j];
						idx[j] = (uint8_t)j;
					}
					moving = true;
				}
				continue;
			}
			/* A port only from the forwarding extension, and only
			 * where a port is still to be chosen: on ingress. */
			if (v[i] >= 0 && v[i] < 0xffff && e->type == HVNET_EXT_FORWARD &&
			    dir == HVNET_EXT_INGRESS) {
				verdict[orig] = v[i];
				redirs++;
			}
			if (moving) {
				lp[keep] = cp[i];
				if (cm != NULL)
					lm[keep] = cm[i];
				idx[keep] = orig;
			}
			keep++;
		}
		if (moving) {
			cp = lp;
			cm = cm != NULL ? lm : NULL;
			compacted = true;
		}
		live = keep;
		if (drops)
			stat_add(&e->st.dropped, drops);
		if (redirs)
			stat_add(&e->st.redirected, redirs);
	}
}

void vsw_ext_chain_run(const struct vsw_ext_chain *c, enum hvnet_ext_dir dir,
		       struct rte_mbuf **pkts, const struct hvnet_ext_meta *meta, uint16_t n,
		       int32_t *verdict)
{
	for (uint16_t i = 0; i < n; i++)
		verdict[i] = HVNET_EXT_PASS;
	if (c == NULL || c->n == 0)
		return;
	/* n <= 64 is the contract; a longer burst is cut rather than trusted. */
	for (unsigned int o = 0; o < n; o += EXT_BURST)
		run_burst(c, dir, pkts + o, meta != NULL ? meta + o : NULL,
			  (uint16_t)HVN_MIN(n - o, (unsigned int)EXT_BURST), verdict + o);
}
