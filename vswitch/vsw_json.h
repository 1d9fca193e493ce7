/* A small strict JSON writer and parser for vswitchctl's protocol.
 *
 * The parser takes RFC 8259 JSON and nothing else: no comments, trailing
 * commas, NaN, leading zeros, control characters in strings, invalid
 * UTF-8 or lone surrogates. Its input comes from a socket, so it is
 * bounded: nesting depth is capped (VSW_JSON_MAX_DEPTH), and so is the
 * number of values (the caller's max_nodes); it never reads past 'len'
 * and needs no NUL terminator. It does not reject duplicate keys: the
 * typed decoders (vsw_ctl_json.c) do, as they know which keys exist.
 *
 * A parsed document is a flat array of nodes in document order: a
 * container's first member is the node after it, and each node's 'end'
 * is the index just past its subtree, so members are walked with
 * i = vsw_json_first(d, c); ...; i = vsw_json_next(d, i). */
#ifndef VSW_JSON_H
#define VSW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VSW_JSON_MAX_DEPTH 32

/* ---- writer ---- */

struct vsw_jw {
	char *buf;                   /* NUL-terminated while err == 0 */
	size_t len;
	size_t cap;
	int err;                     /* the first failure (-ENOMEM, -E2BIG), sticky */
	unsigned int depth;
	bool after_key;
	bool first[VSW_JSON_MAX_DEPTH + 1];
};

void vsw_jw_init(struct vsw_jw *w);
void vsw_jw_free(struct vsw_jw *w);
void vsw_jw_obj_open(struct vsw_jw *w);
void vsw_jw_obj_close(struct vsw_jw *w);
void vsw_jw_arr_open(struct vsw_jw *w);
void vsw_jw_arr_close(struct vsw_jw *w);
void vsw_jw_key(struct vsw_jw *w, const char *key);
void vsw_jw_str(struct vsw_jw *w, const char *s);
void vsw_jw_u64(struct vsw_jw *w, uint64_t v);
void vsw_jw_i64(struct vsw_jw *w, int64_t v);
void vsw_jw_bool(struct vsw_jw *w, bool v);
void vsw_jw_null(struct vsw_jw *w);

/* A key and its value in one call. */
void vsw_jw_kstr(struct vsw_jw *w, const char *key, const char *s);
void vsw_jw_ku64(struct vsw_jw *w, const char *key, uint64_t v);
void vsw_jw_ki64(struct vsw_jw *w, const char *key, int64_t v);
void vsw_jw_kbool(struct vsw_jw *w, const char *key, bool v);

/* ---- parser ---- */

enum vsw_jtype {
	VSW_JNULL,
	VSW_JFALSE,
	VSW_JTRUE,
	VSW_JNUM,
	VSW_JSTR,
	VSW_JARR,
	VSW_JOBJ,
};

struct vsw_jnode {
	uint8_t type;                /* enum vsw_jtype */
	uint32_t start;              /* the value's text; a string's inside its quotes */
	uint32_t len;
	uint32_t key_start;          /* an object member's key, inside its quotes */
	uint32_t key_len;
	uint32_t n;                  /* a container's members */
	uint32_t end;                /* the index just past this node's subtree */
};

struct vsw_jdoc {
	const char *text;
	size_t len;
	struct vsw_jnode *nodes;
	uint32_t n;
	uint32_t cap;
};

/* Parses text[0..len) as one JSON value. 0, or -EINVAL (bad JSON),
 * -E2BIG (more than max_nodes values or deeper than VSW_JSON_MAX_DEPTH)
 * or -ENOMEM, with 'why' naming the byte offset and what was expected.
 * The document refers to 'text', which must outlive it. */
int vsw_json_parse(struct vsw_jdoc *d, const char *text, size_t len, uint32_t max_nodes,
		   char *why, size_t wlen);
void vsw_json_free(struct vsw_jdoc *d);

static inline uint32_t vsw_json_first(const struct vsw_jdoc *d, uint32_t i)
{
	(void)d;
	return i + 1;
}

static inline uint32_t vsw_json_next(const struct vsw_jdoc *d, uint32_t i)
{
	return d->nodes[i].end;
}

static inline enum vsw_jtype vsw_json_type(const struct vsw_jdoc *d, uint32_t i)
{
	return (enum vsw_jtype)d->nodes[i].type;
}

/* The decoded string (escapes resolved, UTF-8) of a string node, or of
 * an object member's key. -EINVAL if not a string or it holds a NUL,
 * -E2BIG if it does not fit 'size' with its NUL. */
int vsw_json_str(const struct vsw_jdoc *d, uint32_t i, char *out, size_t size);
int vsw_json_key(const struct vsw_jdoc *d, uint32_t i, char *out, size_t size);
/* A number node holding a plain integer (no fraction or exponent) in
 * range; -EINVAL otherwise. */
int vsw_json_u64(const struct vsw_jdoc *d, uint32_t i, uint64_t *out);
int vsw_json_i64(const struct vsw_jdoc *d, uint32_t i, int64_t *out);
int vsw_json_bool(const struct vsw_jdoc *d, uint32_t i, bool *out);
const char *vsw_json_type_name(enum vsw_jtype t);

#endif /* VSW_JSON_H */
