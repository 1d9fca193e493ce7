/* The JSON writer and strict parser of vsw_json.h. The parser is
 * recursive descent with an explicit depth cap, so neither the stack nor
 * the node array can grow with hostile input beyond what the caller
 * allowed. */
#include "vswitch/vsw_json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writer ---- */

void vsw_jw_init(struct vsw_jw *w)
{
	memset(w, 0, sizeof(*w));
	w->first[0] = true;
}

void vsw_jw_free(struct vsw_jw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static void put(struct vsw_jw *w, const char *s, size_t n)
{
	if (w->err != 0)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap != 0 ? w->cap : 256;
		char *nb;

		while (cap < w->len + n + 1)
			cap *= 2;
		nb = realloc(w->buf, cap);
		if (nb == NULL) {
			w->err = -ENOMEM;
			return;
		}
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* Before any value: the comma that separates it from the previous one,
 * unless it is a member's value (its key wrote the comma). */
static void before_value(struct vsw_jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		put(w, ",", 1);
	w->first[w->depth] = false;
}

static void open_c(struct vsw_jw *w, char c)
{
	before_value(w);
	if (w->depth >= VSW_JSON_MAX_DEPTH) {
		if (w->err == 0)
			w->err = -E2BIG;
		return;
	}
	put(w, &c, 1);
	w->first[++w->depth] = true;
}

static void close_c(struct vsw_jw *w, char c)
{
	if (w->depth == 0) {
		if (w->err == 0)
			w->err = -EINVAL;
		return;
	}
	w->depth--;
	put(w, &c, 1);
}

void vsw_jw_obj_open(struct vsw_jw *w)
{
	open_c(w, '{');
}

void vsw_jw_obj_close(struct vsw_jw *w)
{
	close_c(w, '}');
}

void vsw_jw_arr_open(struct vsw_jw *w)
{
	open_c(w, '[');
}

void vsw_jw_arr_close(struct vsw_jw *w)
{
	close_c(w, ']');
}

static void put_string(struct vsw_jw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	put(w, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[7] = "\\u00";

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(w, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"':
			put(w, "\\\"", 2);
			break;
		case '\\':
			put(w, "\\\\", 2);
			break;
		case '\n':
			put(w, "\\n", 2);
			break;
		case '\t':
			put(w, "\\t", 2);
			break;
		case '\r':
			put(w, "\\r", 2);
			break;
		default:
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			put(w, esc, 6);
		}
	}
	put(w, run, (size_t)(s - run));
	put(w, "\"", 1);
}

void vsw_jw_key(struct vsw_jw *w, const char *key)
{
	before_value(w);
	put_string(w, key);
	put(w, ":", 1);
	w->after_key = true;
}

void vsw_jw_str(struct vsw_jw *w, const char *s)
{
	before_value(w);
	put_string(w, s);
}

void vsw_jw_u64(struct vsw_jw *w, uint64_t v)
{
	char b[24];

	before_value(w);
	put(w, b, (size_t)snprintf(b, sizeof(b), "%" PRIu64, v));
}

void vsw_jw_i64(struct vsw_jw *w, int64_t v)
{
	char b[24];

	before_value(w);
	put(w, b, (size_t)snprintf(b, sizeof(b), "%" PRId64, v));
}

void vsw_jw_bool(struct vsw_jw *w, bool v)
{
	before_value(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void vsw_jw_null(struct vsw_jw *w)
{
	before_value(w);
	put(w, "null", 4);
}

void vsw_jw_kstr(struct vsw_jw *w, const char *key, const char *s)
{
	vsw_jw_key(w, key);
	vsw_jw_str(w, s);
}

void vsw_jw_ku64(struct vsw_jw *w, const char *key, uint64_t v)
{
	vsw_jw_key(w, key);
	vsw_jw_u64(w, v);
}

void vsw_jw_ki64(struct vsw_jw *w, const char *key, int64_t v)
{
	vsw_jw_key(w, key);
	vsw_jw_i64(w, v);
}

void vsw_jw_kbool(struct vsw_jw *w, const char *key, bool v)
{
	vsw_jw_key(w, key);
	vsw_jw_bool(w, v);
}

/* ---- parser ---- */

struct parser {
	struct vsw_jdoc *d;
	const char *s;
	size_t len;
	size_t pos;
	uint32_t max_nodes;
	char *why;
	size_t wlen;
};

static int fail(struct parser *p, int err, const char *what)
{
	snprintf(p->why, p->wlen, "bad JSON at byte %zu: %s", p->pos, what);
	return err;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		p->pos++;
	}
}

static int new_node(struct parser *p, enum vsw_jtype t, uint32_t *idx)
{
	struct vsw_jdoc *d = p->d;

	if (d->n >= p->max_nodes) {
		snprintf(p->why, p->wlen, "JSON holds more than %" PRIu32 " values", p->max_nodes);
		return -E2BIG;
	}
	if (d->n == d->cap) {
		uint32_t cap = d->cap != 0 ? d->cap * 2 : 64;
		struct vsw_jnode *nn;

		if (cap > p->max_nodes)
			cap = p->max_nodes;
		nn = realloc(d->nodes, (size_t)cap * sizeof(*nn));
		if (nn == NULL) {
			snprintf(p->why, p->wlen, "out of memory parsing JSON");
			return -ENOMEM;
		}
		d->nodes = nn;
		d->cap = cap;
	}
	*idx = d->n++;
	memset(&d->nodes[*idx], 0, sizeof(d->nodes[*idx]));
	d->nodes[*idx].type = (uint8_t)t;
	d->nodes[*idx].start = (uint32_t)p->pos;
	return 0;
}

static int hex4(const char *s, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Bytes of the UTF-8 sequence at s (n available), 0 if invalid: the
 * RFC 3629 table, so overlongs and encoded surrogates are refused. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t k;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < k || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < k; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return k;
}

/* At the opening quote; leaves pos after the closing one. Sets the
 * span inside the quotes. */
static int scan_string(struct parser *p, uint32_t *start, uint32_t *len)
{
	size_t i = p->pos + 1;

	*start = (uint32_t)i;
	while (i < p->len) {
		unsigned char c = (unsigned char)p->s[i];

		if (c == '"') {
			*len = (uint32_t)(i - *start);
			p->pos = i + 1;
			return 0;
		}
		if (c < 0x20) {
			p->pos = i;
			return fail(p, -EINVAL, "control character in a string (escape it)");
		}
		if (c == '\\') {
			uint32_t u, u2;

			if (i + 1 >= p->len)
				break;
			c = (unsigned char)p->s[i + 1];
			if (c != 'u') {
				if (strchr("\"\\/bfnrt", c) == NULL || c == '\0') {
					p->pos = i;
					return fail(p, -EINVAL, "unknown escape in a string");
				}
				i += 2;
				continue;
			}
			if (i + 6 > p->len || hex4(p->s + i + 2, &u) < 0) {
				p->pos = i;
				return fail(p, -EINVAL, "\\u needs four hex digits");
			}
			i += 6;
			if (u >= 0xdc00 && u <= 0xdfff) {
				p->pos = i - 6;
				return fail(p, -EINVAL, "lone low surrogate in a string");
			}
			if (u >= 0xd800 && u <= 0xdbff) {
				if (i + 6 > p->len || p->s[i] != '\\' || p->s[i + 1] != 'u' ||
				    hex4(p->s + i + 2, &u2) < 0 || u2 < 0xdc00 || u2 > 0xdfff) {
					p->pos = i - 6;
					return fail(p, -EINVAL, "high surrogate without a low one");
				}
				i += 6;
			}
			continue;
		}
		{
			size_t k = utf8_len((const unsigned char *)p->s + i, p->len - i);

			if (k == 0) {
				p->pos = i;
				return fail(p, -EINVAL, "invalid UTF-8 in a string");
			}
			i += k;
		}
	}
	p->pos = p->len;
	return fail(p, -EINVAL, "unterminated string");
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

static int scan_number(struct parser *p)
{
	size_t i = p->pos;

	if (i < p->len && p->s[i] == '-')
		i++;
	if (i >= p->len || !digit(p->s[i]))
		return fail(p, -EINVAL, "expected a value");
	if (p->s[i] == '0') {
		i++;
		if (i < p->len && digit(p->s[i])) {
			p->pos = i;
			return fail(p, -EINVAL, "leading zero in a number");
		}
	} else {
		while (i < p->len && digit(p->s[i]))
			i++;
	}
	if (i < p->len && p->s[i] == '.') {
		i++;
		if (i >= p->len || !digit(p->s[i])) {
			p->pos = i;
			return fail(p, -EINVAL, "digits must follow a decimal point");
		}
		while (i < p->len && digit(p->s[i]))
			i++;
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
		i++;
		if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if (i >= p->len || !digit(p->s[i])) {
			p->pos = i;
			return fail(p, -EINVAL, "digits must follow an exponent");
		}
		while (i < p->len && digit(p->s[i]))
			i++;
	}
	p->pos = i;
	return 0;
}

static int literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p, -EINVAL, "expected a value");
	p->pos += n;
	return 0;
}

static int parse_value(struct parser *p, unsigned int depth, uint32_t *out);

static int parse_container(struct parser *p, unsigned int depth, uint32_t idx, bool obj)
{
	char close = obj ? '}' : ']';
	int rc;

	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		uint32_t ks = 0, kl = 0, child;

		skip_ws(p);
		if (obj) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, -EINVAL, "expected a key in quotes");
			rc = scan_string(p, &ks, &kl);
			if (rc < 0)
				return rc;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return fail(p, -EINVAL, "expected ':' after a key");
			p->pos++;
		}
		rc = parse_value(p, depth + 1, &child);
		if (rc < 0)
			return rc;
		p->d->nodes[child].key_start = ks;
		p->d->nodes[child].key_len = kl;
		p->d->nodes[idx].n++;
		skip_ws(p);
		if (p->pos >= p->len)
			return fail(p, -EINVAL, obj ? "unterminated object" : "unterminated array");
		if (p->s[p->pos] == close) {
			p->pos++;
			return 0;
		}
		if (p->s[p->pos] != ',')
			return fail(p, -EINVAL, obj ? "expected ',' or '}'" : "expected ',' or ']'");
		p->pos++;
	}
}

static int parse_value(struct parser *p, unsigned int depth, uint32_t *out)
{
	uint32_t idx, s, l;
	int rc;
	char c;

	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, -EINVAL, "expected a value");
	if (depth > VSW_JSON_MAX_DEPTH)
		return fail(p, -E2BIG, "nested too deep");
	c = p->s[p->pos];
	switch (c) {
	case '{':
	case '[':
		rc = new_node(p, c == '{' ? VSW_JOBJ : VSW_JARR, &idx);
		if (rc == 0)
			rc = parse_container(p, depth, idx, c == '{');
		break;
	case '"':
		rc = new_node(p, VSW_JSTR, &idx);
		if (rc == 0)
			rc = scan_string(p, &s, &l);
		if (rc == 0) {
			p->d->nodes[idx].start = s;
			p->d->nodes[idx].len = l;
			p->d->nodes[idx].end = p->d->n;
			*out = idx;
			return 0;
		}
		break;
	case 't':
		rc = new_node(p, VSW_JTRUE, &idx);
		if (rc == 0)
			rc = literal(p, "true");
		break;
	case 'f':
		rc = new_node(p, VSW_JFALSE, &idx);
		if (rc == 0)
			rc = literal(p, "false");
		break;
	case 'n':
		rc = new_node(p, VSW_JNULL, &idx);
		if (rc == 0)
			rc = literal(p, "null");
		break;
	default:
		rc = new_node(p, VSW_JNUM, &idx);
		if (rc == 0)
			rc = scan_number(p);
		break;
	}
	if (rc < 0)
		return rc;
	p->d->nodes[idx].len = (uint32_t)(p->pos - p->d->nodes[idx].start);
	p->d->nodes[idx].end = p->d->n;
	*out = idx;
	return 0;
}

int vsw_json_parse(struct vsw_jdoc *d, const char *text, size_t len, uint32_t max_nodes,
		   char *why, size_t wlen)
{
	struct parser p = { d, text, len, 0, max_nodes, why, wlen };
	uint32_t root;
	int rc;

	memset(d, 0, sizeof(*d));
	d->text = text;
	d->len = len;
	/* Offsets are 32-bit; nothing this protocol sends comes close. */
	if (len > UINT32_MAX / 2) {
		snprintf(why, wlen, "JSON text of %zu bytes is too long", len);
		return -E2BIG;
	}
	rc = parse_value(&p, 1, &root);
	if (rc == 0) {
		skip_ws(&p);
		if (p.pos != len)
			rc = fail(&p, -EINVAL, "text after the JSON value");
	}
	if (rc < 0)
		vsw_json_free(d);
	return rc;
}

void vsw_json_free(struct vsw_jdoc *d)
{
	free(d->nodes);
	d->nodes = NULL;
	d->n = d->cap = 0;
}

/* ---- getters ---- */

static size_t put_utf8(char *o, uint32_t u)
{
	if (u < 0x80) {
		o[0] = (char)u;
		return 1;
	}
	if (u < 0x800) {
		o[0] = (char)(0xc0 | u >> 6);
		o[1] = (char)(0x80 | (u & 0x3f));
		return 2;
	}
	if (u < 0x10000) {
		o[0] = (char)(0xe0 | u >> 12);
		o[1] = (char)(0x80 | (u >> 6 & 0x3f));
		o[2] = (char)(0x80 | (u & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | u >> 18);
	o[1] = (char)(0x80 | (u >> 12 & 0x3f));
	o[2] = (char)(0x80 | (u >> 6 & 0x3f));
	o[3] = (char)(0x80 | (u & 0x3f));
	return 4;
}

/* Decodes a span the parser already validated. */
static int decode(const char *s, uint32_t len, char *out, size_t size)
{
	size_t o = 0;

	for (uint32_t i = 0; i < len;) {
		char tmp[4];
		size_t n = 1;

		if (s[i] != '\\') {
			tmp[0] = s[i++];
		} else {
			char c = s[i + 1];
			uint32_t u = 0, u2 = 0;

			i += 2;
			switch (c) {
			case 'b': tmp[0] = '\b'; break;
			case 'f': tmp[0] = '\f'; break;
			case 'n': tmp[0] = '\n'; break;
			case 'r': tmp[0] = '\r'; break;
			case 't': tmp[0] = '\t'; break;
			case 'u':
				hex4(s + i, &u);
				i += 4;
				if (u >= 0xd800 && u <= 0xdbff) {
					hex4(s + i + 2, &u2);
					i += 6;
					u = 0x10000 + ((u - 0xd800) << 10) + (u2 - 0xdc00);
				}
				n = put_utf8(tmp, u);
				break;
			default: tmp[0] = c; break;
			}
		}
		for (size_t k = 0; k < n; k++) {
			if (tmp[k] == '\0')
				return -EINVAL;
		}
		if (o + n >= size)
			return -E2BIG;
		memcpy(out + o, tmp, n);
		o += n;
	}
	if (size == 0)
		return -E2BIG;
	out[o] = '\0';
	return 0;
}

int vsw_json_str(const struct vsw_jdoc *d, uint32_t i, char *out, size_t size)
{
	if (i >= d->n || d->nodes[i].type != VSW_JSTR)
		return -EINVAL;
	return decode(d->text + d->nodes[i].start, d->nodes[i].len, out, size);
}

int vsw_json_key(const struct vsw_jdoc *d, uint32_t i, char *out, size_t size)
{
	if (i >= d->n)
		return -EINVAL;
	return decode(d->text + d->nodes[i].key_start, d->nodes[i].key_len, out, size);
}

int vsw_json_u64(const struct vsw_jdoc *d, uint32_t i, uint64_t *out)
{
	const char *s;
	uint64_t v = 0;

	if (i >= d->n || d->nodes[i].type != VSW_JNUM)
		return -EINVAL;
	s = d->text + d->nodes[i].start;
	for (uint32_t k = 0; k < d->nodes[i].len; k++) {
		if (!digit(s[k]))
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(s[k] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[k] - '0');
	}
	*out = v;
	return 0;
}

int vsw_json_i64(const struct vsw_jdoc *d, uint32_t i, int64_t *out)
{
	struct vsw_jdoc sub;
	struct vsw_jnode n;
	uint64_t v;
	bool neg;

	if (i >= d->n || d->nodes[i].type != VSW_JNUM || d->nodes[i].len == 0)
		return -EINVAL;
	n = d->nodes[i];
	neg = d->text[n.start] == '-';
	if (neg) {
		n.start++;
		n.len--;
	}
	sub = *d;
	sub.nodes = &n;
	sub.n = 1;
	if (vsw_json_u64(&sub, 0, &v) < 0)
		return -EINVAL;
	if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
		return -EINVAL;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int vsw_json_bool(const struct vsw_jdoc *d, uint32_t i, bool *out)
{
	if (i >= d->n || (d->nodes[i].type != VSW_JTRUE && d->nodes[i].type != VSW_JFALSE))
		return -EINVAL;
	*out = d->nodes[i].type == VSW_JTRUE;
	return 0;
}

const char *vsw_json_type_name(enum vsw_jtype t)
{
	static const char *const names[] = {
		[VSW_JNULL] = "null", [VSW_JFALSE] = "a boolean", [VSW_JTRUE] = "a boolean",
		[VSW_JNUM] = "a number", [VSW_JSTR] = "a string", [VSW_JARR] = "an array",
		[VSW_JOBJ] = "an object",
	};

	return (unsigned int)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}
