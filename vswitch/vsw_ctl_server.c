/* vswitchd's control socket (vsw_ctl_server.h): accepting clients,
 * framing requests and replies, and the commit-then-apply order of a
 * change with its rollback. */
#include "vswitch/vsw_ctl_server.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/hvn_compiler.h"

#define DEFAULT_MAX_CLIENTS 32u
#define EVENTS_PER_CALL 16
#define ACCEPTS_PER_CALL 16
#define READ_CHUNK 16384u
#define MAX_FDS 4                    /* per recvmsg; only one is ever used */

enum ep_kind { EP_LISTEN, EP_CLIENT };

struct ep_tag {
	enum ep_kind kind;
};

struct client {
	struct ep_tag tag;
	struct client *next;
	int fd;
	int passed_fd;               /* from SCM_RIGHTS for the next request, or -1 */
	uid_t uid;
	pid_t pid;
	char *in;                    /* bytes received, not yet a whole request */
	size_t in_len;
	size_t in_cap;
	char *out;                   /* reply bytes not yet sent */
	size_t out_len;
	size_t out_off;
	bool eof;                    /* the client sent all it will */
	bool closing;                /* close once out is sent */
	uint32_t events;             /* what epoll watches for it now */
};

struct vsw_ctl_server {
	struct ep_tag tag;
	int epfd;
	int lfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t sock_dev;              /* the socket file we made, to remove only it */
	ino_t sock_ino;
	struct vsw_store *store;
	struct vsw_model *model;
	struct vsw_model *scratch;
	struct vsw_ctl_ops ops;
	void *ctx;
	struct client *clients;
	unsigned int n_clients;
	unsigned int max_clients;
};

static void srv_log(struct vsw_ctl_server *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void srv_log(struct vsw_ctl_server *s, const char *fmt, ...)
{
	char msg[1400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s->ops.log != NULL)
		s->ops.log(s->ctx, msg);
	else
		fprintf(stderr, "vswitchd: %s\n", msg);
}

/* ---- the socket ---- */

/* A socket file nobody listens on is left by a vswitchd that died; one
 * somebody answers on belongs to a running vswitchd. */
static bool live_socket(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return false;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	live = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return live;
}

static int make_parent(const char *path, char *why, size_t len)
{
	char dir[PATH_MAX];
	char *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (stat(dir, &st) == 0)
		return 0;
	/* Only the last component (/run/hvnet): a missing /run is no typo
	 * this should paper over. */
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		int e = errno;

		snprintf(why, len, "cannot create %s for the control socket: %s; create it or "
			 "choose another socket path", dir, strerror(e));
		return -e;
	}
	return 0;
}

static int listen_on(struct vsw_ctl_server *s, const struct vsw_ctl_server_opts *o,
		     char *why, size_t len)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	mode_t mode = o->mode != 0 ? o->mode : 0660;
	struct stat st;
	int rc;

	if (strlen(s->path) + 24 >= sizeof(a.sun_path)) {
		snprintf(why, len, "control socket path %s is too long for a unix socket (at "
			 "most %zu characters); choose a shorter one", s->path,
			 sizeof(a.sun_path) - 25);
		return -ENAMETOOLONG;
	}
	rc = make_parent(s->path, why, len);
	if (rc < 0)
		return rc;
	if (lstat(s->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(why, len, "%s exists and is not a socket; remove it or choose "
				 "another socket path", s->path);
			return -EEXIST;
		}
		if (live_socket(s->path)) {
			snprintf(why, len, "another vswitchd is listening on %s; stop it, or give "
				 "this one another socket path", s->path);
			return -EADDRINUSE;
		}
	}
	/* Bound under a temporary name, given its mode and group, then renamed
	 * into place: the socket is never reachable with the wrong
	 * permissions, and a stale one is replaced atomically. */
	snprintf(a.sun_path, sizeof(a.sun_path), "%s.%ld.tmp", s->path, (long)getpid());
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		goto fail;
	unlink(a.sun_path);
	if (bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto fail;
	if (chmod(a.sun_path, mode) < 0 ||
	    (o->gid != (gid_t)-1 && chown(a.sun_path, (uid_t)-1, o->gid) < 0) ||
	    listen(s->lfd, 64) < 0 || rename(a.sun_path, s->path) < 0 || stat(s->path, &st) < 0)
		goto fail_unlink;
	s->sock_dev = st.st_dev;
	s->sock_ino = st.st_ino;
	return 0;
fail_unlink:
	rc = -errno;
	unlink(a.sun_path);
	errno = -rc;
fail:
	rc = -errno;
	snprintf(why, len, "cannot listen on %s: %s; check the directory's permissions",
		 s->path, strerror(-rc));
	return rc;
}

int vsw_ctl_server_open(struct vsw_ctl_server **out, const struct vsw_ctl_server_opts *opts,
			struct vsw_store *store, struct vsw_model *model,
			const struct vsw_ctl_ops *ops, void *ctx, char *why, size_t len)
{
	struct vsw_ctl_server *s = calloc(1, sizeof(*s));
	struct epoll_event ev = { .events = EPOLLIN };
	int rc;

	*out = NULL;
	if (s == NULL || ops->apply == NULL) {
		free(s);
		snprintf(why, len, s == NULL ? "out of memory" : "no apply callback");
		vsw_model_free(model);
		return s == NULL ? -ENOMEM : -EINVAL;
	}
	s->tag.kind = EP_LISTEN;
	s->lfd = s->epfd = -1;
	s->store = store;
	s->model = model;
	s->ops = *ops;
	s->ctx = ctx;
	s->max_clients = opts->max_clients != 0 ? opts->max_clients : DEFAULT_MAX_CLIENTS;
	snprintf(s->path, sizeof(s->path), "%s",
		 opts->path != NULL ? opts->path : VSW_CTL_DEFAULT_SOCKET);
	s->scratch = vsw_model_new();
	if (s->scratch == NULL) {
		snprintf(why, len, "out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	rc = listen_on(s, opts, why, len);
	if (rc < 0)
		goto fail;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	ev.data.ptr = &s->tag;
	if (s->epfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev) < 0) {
		rc = -errno;
		snprintf(why, len, "cannot poll the control socket: %s", strerror(-rc));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	vsw_ctl_server_close(s);
	return rc;
}

static void client_close(struct vsw_ctl_server *s, struct client *c)
{
	struct client **pp;

	for (pp = &s->clients; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->passed_fd >= 0)
		close(c->passed_fd);
	free(c->in);
	free(c->out);
	free(c);
	s->n_clients--;
}

void vsw_ctl_server_close(struct vsw_ctl_server *s)
{
	struct stat st;

	if (s == NULL)
		return;
	while (s->clients != NULL)
		client_close(s, s->clients);
	if (s->lfd >= 0) {
		if (stat(s->path, &st) == 0 && st.st_dev == s->sock_dev &&
		    st.st_ino == s->sock_ino)
			unlink(s->path);
		close(s->lfd);
	}
	if (s->epfd >= 0)
		close(s->epfd);
	vsw_model_free(s->model);
	vsw_model_free(s->scratch);
	free(s);
}

int vsw_ctl_server_fd(const struct vsw_ctl_server *s)
{
	return s->epfd;
}

const struct vsw_model *vsw_ctl_server_model(const struct vsw_ctl_server *s)
{
	return s->model;
}

const char *vsw_ctl_server_path(const struct vsw_ctl_server *s)
{
	return s->path;
}

/* ---- replies ---- */

/* Reads only while a request can still be taken (no reply pending, room
 * in the buffer, no EOF yet), writes only while a reply is pending: a
 * client that stops reading, or floods, costs no CPU while it waits. */
static void update_interest(struct vsw_ctl_server *s, struct client *c)
{
	struct epoll_event ev = { .events = 0 };

	if (c->out_len != 0)
		ev.events |= EPOLLOUT;
	else if (!c->eof && !c->closing && c->in_len <= VSW_CTL_MAX_REQUEST)
		ev.events |= EPOLLIN;
	if (ev.events == c->events)
		return;
	ev.data.ptr = &c->tag;
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = ev.events;
}

/* Sends what it can; false if the client is gone. */
static bool flush_out(struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n <= 0)
			return false;
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	return true;
}

static void queue_reply(struct vsw_ctl_server *s, struct client *c, struct vsw_jw *w)
{
	char *nb;

	if (w->err != 0) {
		vsw_jw_free(w);
		vsw_jw_init(w);
		vsw_ctl_encode_error(w, -ENOMEM, "out of memory building the reply");
		if (w->err != 0) {
			c->closing = true;
			return;
		}
	}
	nb = realloc(c->out, c->out_len + w->len + 1);
	if (nb == NULL) {
		srv_log(s, "uid %u: out of memory for a reply; closing the connection",
		      (unsigned int)c->uid);
		c->closing = true;
		return;
	}
	c->out = nb;
	memcpy(c->out + c->out_len, w->buf, w->len);
	c->out_len += w->len;
	c->out[c->out_len++] = '\n';
}

static void refuse(struct vsw_jw *w, int err, const char *why)
{
	vsw_ctl_encode_error(w, err, why);
}

/* ---- queries ---- */

enum { Q_PORTS = 1, Q_ACLS = 2, Q_MIRRORS = 4, Q_EXTS = 8 };

/* The part of the model a query asks for: one switch or all, and which
 * of its objects; one port (and its switch) for an ACL list. */
static int narrow(const struct vsw_model *m, const struct vsw_change *q, struct vsw_model *d,
		  char *why, size_t len)
{
	unsigned int what;
	const char *sw = q->sw[0] != '\0' ? q->sw : NULL, *port = NULL;
	int p;

	switch (q->op) {
	case VSW_OP_SHOW:
		what = Q_PORTS | Q_ACLS | Q_MIRRORS | Q_EXTS;
		break;
	case VSW_OP_SWITCH_LIST:
		what = 0;
		break;
	case VSW_OP_PORT_LIST:
		what = Q_PORTS;
		break;
	case VSW_OP_ACL_LIST:
		p = vsw_model_find_port(m, q->port);
		if (p < 0) {
			snprintf(why, len, "port %s does not exist; list ports with 'vswitchctl "
				 "port list SWITCH'", q->port);
			return -ENOENT;
		}
		sw = m->ports[p].sw;
		port = q->port;
		what = Q_PORTS | Q_ACLS;
		break;
	case VSW_OP_MIRROR_LIST:
		what = Q_MIRRORS;
		break;
	default:
		what = Q_EXTS;
		break;
	}
	if (sw != NULL && vsw_model_find_switch(m, sw) < 0) {
		snprintf(why, len, "switch %s does not exist; list switches with 'vswitchctl "
			 "switch list'", sw);
		return -ENOENT;
	}
	memset(d, 0, offsetof(struct vsw_model, switches));
	for (unsigned int i = 0; i < m->n_switches; i++)
		if (sw == NULL || strcmp(m->switches[i].name, sw) == 0)
			d->switches[d->n_switches++] = m->switches[i];
	for (unsigned int i = 0; (what & Q_PORTS) && i < m->n_ports; i++)
		if ((sw == NULL || strcmp(m->ports[i].sw, sw) == 0) &&
		    (port == NULL || strcmp(m->ports[i].name, port) == 0))
			d->ports[d->n_ports++] = m->ports[i];
	for (unsigned int i = 0; (what & Q_ACLS) && i < m->n_acls; i++)
		if (vsw_model_find_port(d, m->acls[i].port) >= 0)
			d->acls[d->n_acls++] = m->acls[i];
	for (unsigned int i = 0; (what & Q_MIRRORS) && i < m->n_mirrors; i++)
		if (sw == NULL || strcmp(m->mirrors[i].sw, sw) == 0)
			d->mirrors[d->n_mirrors++] = m->mirrors[i];
	for (unsigned int i = 0; (what & Q_EXTS) && i < m->n_exts; i++)
		if (sw == NULL || strcmp(m->exts[i].sw, sw) == 0)
			d->exts[d->n_exts++] = m->exts[i];
	return 0;
}

static void do_stats(struct vsw_ctl_server *s, const struct vsw_change *q, struct vsw_jw *w)
{
	const struct vsw_model *m = s->model;
	struct vsw_ctl_stats *st;
	unsigned int n = 0;
	char why[512] = "";
	int rc = 0;

	if (s->ops.stats == NULL) {
		refuse(w, -EOPNOTSUPP, "this vswitchd keeps no counters");
		return;
	}
	if (q->port[0] != '\0' && vsw_model_find_port(m, q->port) < 0) {
		snprintf(why, sizeof(why), "port %s does not exist; list ports with 'vswitchctl "
			 "port list SWITCH'", q->port);
		refuse(w, -ENOENT, why);
		return;
	}
	if (q->sw[0] != '\0' && vsw_model_find_switch(m, q->sw) < 0) {
		snprintf(why, sizeof(why), "switch %s does not exist; list switches with "
			 "'vswitchctl switch list'", q->sw);
		refuse(w, -ENOENT, why);
		return;
	}
	st = calloc(m->n_ports != 0 ? m->n_ports : 1, sizeof(*st));
	if (st == NULL) {
		refuse(w, -ENOMEM, "out of memory");
		return;
	}
	for (unsigned int i = 0; rc == 0 && i < m->n_ports; i++) {
		const struct vsw_port_cfg *p = &m->ports[i];

		if ((q->port[0] != '\0' && strcmp(p->name, q->port) != 0) ||
		    (q->sw[0] != '\0' && strcmp(p->sw, q->sw) != 0))
			continue;
		memcpy(st[n].port, p->name, VSW_NAME_MAX);
		memcpy(st[n].sw, p->sw, VSW_NAME_MAX);
		st[n].lcore = -1;
		rc = s->ops.stats(s->ctx, p, &st[n], why, sizeof(why));
		n++;
	}
	if (rc < 0)
		refuse(w, rc, why[0] != '\0' ? why : "the datapath could not read its counters");
	else
		vsw_ctl_encode_stats_reply(w, st, n);
	free(st);
}

/* ---- changes ---- */

static void describe(const struct vsw_change *c, char *out, size_t n)
{
	const char *obj = c->port[0] != '\0' ? c->port : c->name[0] != '\0' ? c->name : c->sw;

	snprintf(out, n, "%s %s", vsw_op_name(c->op), obj);
}

static void do_change(struct vsw_ctl_server *s, struct client *cl, const struct vsw_change *c,
		      struct vsw_jw *w)
{
	char why[700] = "", undo[400] = "", what[96];
	struct vsw_model *t;
	int rc, r2;

	describe(c, what, sizeof(what));
	vsw_model_copy(s->scratch, s->model);
	rc = vsw_model_apply(s->scratch, c, why, sizeof(why));
	if (rc == 1) {
		vsw_ctl_encode_ok(w, false);
		return;
	}
	if (rc < 0) {
		srv_log(s, "uid %u: %s refused: %s", (unsigned int)cl->uid, what, why);
		refuse(w, rc, why);
		return;
	}
	/* Committed before it is applied: once the datapath has it, a crash
	 * cannot lose it. */
	if (s->store != NULL) {
		rc = vsw_store_sync(s->store, c, s->scratch, why, sizeof(why));
		if (rc < 0) {
			srv_log(s, "uid %u: %s not saved, so not made: %s", (unsigned int)cl->uid, what,
			      why);
			refuse(w, rc, why);
			return;
		}
	}
	rc = s->ops.apply(s->ctx, c, s->scratch, why, sizeof(why));
	if (rc < 0) {
		if (why[0] == '\0')
			snprintf(why, sizeof(why), "the datapath refused it (%s)", strerror(-rc));
		r2 = s->store != NULL ? vsw_store_sync(s->store, c, s->model, undo, sizeof(undo))
				      : 0;
		if (r2 < 0) {
			/* The store now holds what the datapath refused. A restart
			 * rebuilds the datapath from the store, which brings them
			 * back together. */
			size_t n = strlen(why);

			srv_log(s, "uid %u: %s: the datapath refused it (%s) and the store could "
			      "not be put back (%s): restart vswitchd", (unsigned int)cl->uid,
			      what, why, undo);
			snprintf(why + n, sizeof(why) - n, "; restoring the store failed too (%s): "
				 "restart vswitchd so the datapath follows the store", undo);
		} else {
			srv_log(s, "uid %u: %s refused by the datapath: %s", (unsigned int)cl->uid,
			      what, why);
		}
		refuse(w, rc, why);
		return;
	}
	t = s->model;
	s->model = s->scratch;
	s->scratch = t;
	srv_log(s, "uid %u: %s", (unsigned int)cl->uid, what);
	vsw_ctl_encode_ok(w, true);
}

static void do_capture(struct vsw_ctl_server *s, struct client *cl, const struct vsw_change *c,
		       struct vsw_jw *w)
{
	char why[512] = "";
	int fd = cl->passed_fd, rc;

	cl->passed_fd = -1;
	if (vsw_model_find_port(s->model, c->port) < 0) {
		snprintf(why, sizeof(why), "port %s does not exist; list ports with 'vswitchctl "
			 "port list SWITCH'", c->port);
		rc = -ENOENT;
	} else if (s->ops.capture == NULL) {
		snprintf(why, sizeof(why), "this vswitchd cannot capture");
		rc = -EOPNOTSUPP;
	} else if (c->op == VSW_OP_CAPTURE_START && fd < 0) {
		snprintf(why, sizeof(why), "capture start needs the file to write passed with "
			 "the request (SCM_RIGHTS); vswitchctl does this");
		rc = -EINVAL;
	} else {
		if (c->op == VSW_OP_CAPTURE_STOP && fd >= 0) {
			close(fd);
			fd = -1;
		}
		rc = s->ops.capture(s->ctx, c, fd, why, sizeof(why));
		fd = -1;
		if (rc < 0 && why[0] == '\0')
			snprintf(why, sizeof(why), "the datapath refused it (%s)", strerror(-rc));
	}
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		refuse(w, rc, why);
	else
		vsw_ctl_encode_ok(w, false);
}

static void handle(struct vsw_ctl_server *s, struct client *cl, const char *req, size_t n)
{
	struct vsw_change *c = malloc(sizeof(*c));
	struct vsw_jw w;
	char why[512];
	int rc;

	vsw_jw_init(&w);
	if (c == NULL) {
		refuse(&w, -ENOMEM, "out of memory");
		goto out;
	}
	rc = vsw_ctl_decode_request(req, n, c, why, sizeof(why));
	if (rc < 0) {
		srv_log(s, "uid %u: bad request: %s", (unsigned int)cl->uid, why);
		refuse(&w, rc, why);
	} else if (vsw_op_kind(c->op) == VSW_OPK_CHANGE) {
		do_change(s, cl, c, &w);
	} else if (c->op == VSW_OP_STATS) {
		do_stats(s, c, &w);
	} else if (vsw_op_kind(c->op) == VSW_OPK_ACTION) {
		do_capture(s, cl, c, &w);
	} else {
		struct vsw_model *d = vsw_model_new();

		if (d == NULL) {
			refuse(&w, -ENOMEM, "out of memory");
		} else {
			rc = narrow(s->model, c, d, why, sizeof(why));
			if (rc < 0)
				refuse(&w, rc, why);
			else
				vsw_ctl_encode_model_reply(&w, d);
			vsw_model_free(d);
		}
	}
out:
	/* An fd that came with any other request is not kept. */
	if (cl->passed_fd >= 0) {
		close(cl->passed_fd);
		cl->passed_fd = -1;
	}
	queue_reply(s, cl, &w);
	vsw_jw_free(&w);
	if (c != NULL)
		vsw_change_fini(c);
	free(c);
}

/* ---- clients ---- */

static void accept_clients(struct vsw_ctl_server *s)
{
	for (int i = 0; i < ACCEPTS_PER_CALL; i++) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN };
		struct ucred cred = { 0 };
		socklen_t cl = sizeof(cred);
		struct client *c;

		if (fd < 0)
			return;
		if (s->n_clients >= s->max_clients) {
			static const char busy[] = "{\"ok\":false,\"error\":\"EBUSY\",\"errno\":16,"
						   "\"why\":\"vswitchd has too many control "
						   "connections; retry\"}\n";

			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				srv_log(s, "a client over the limit went away");
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->tag.kind = EP_CLIENT;
		c->events = EPOLLIN;
		c->fd = fd;
		c->passed_fd = -1;
		c->uid = (uid_t)-1;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0) {
			c->uid = cred.uid;
			c->pid = cred.pid;
		}
		ev.data.ptr = &c->tag;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = s->clients;
		s->clients = c;
		s->n_clients++;
	}
}

/* Reads what there is, keeping a descriptor passed along. */
static bool read_in(struct vsw_ctl_server *s, struct client *c)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct cmsghdr align;
	} cmsg;

	while (!c->eof && c->in_len <= VSW_CTL_MAX_REQUEST) {
		struct iovec iov;
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cmsg.buf, .msg_controllen = sizeof(cmsg.buf) };
		ssize_t n;

		if (c->in_cap - c->in_len < READ_CHUNK) {
			/* Doubling: an acl-load request runs to megabytes. */
			size_t cap = c->in_cap * 2 > c->in_len + READ_CHUNK ? c->in_cap * 2
									  : c->in_len + READ_CHUNK;
			char *nb = realloc(c->in, cap);

			if (nb == NULL)
				return false;
			c->in = nb;
			c->in_cap = cap;
		}
		iov.iov_base = c->in + c->in_len;
		iov.iov_len = c->in_cap - c->in_len;
		n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n < 0)
			return false;
		for (struct cmsghdr *h = CMSG_FIRSTHDR(&msg); h != NULL; h = CMSG_NXTHDR(&msg, h)) {
			size_t k;

			if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
				continue;
			k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t j = 0; j < k; j++) {
				int fd;

				memcpy(&fd, CMSG_DATA(h) + j * sizeof(int), sizeof(int));
				/* One file per request: the last one sent wins. */
				if (c->passed_fd >= 0)
					close(c->passed_fd);
				c->passed_fd = fd;
			}
		}
		if (msg.msg_flags & MSG_CTRUNC)
			srv_log(s, "uid %u: descriptors beyond %d in one message were dropped",
			      (unsigned int)c->uid, MAX_FDS);
		if (n == 0)
			c->eof = true;
		c->in_len += (size_t)n;
	}
	return true;
}

/* The rest of the connection cannot be framed: refuse and hang up. */
static void too_long(struct vsw_ctl_server *s, struct client *c)
{
	struct vsw_jw w;
	char why[128];

	snprintf(why, sizeof(why), "a request is longer than %u bytes", VSW_CTL_MAX_REQUEST);
	srv_log(s, "uid %u: %s; closing the connection", (unsigned int)c->uid, why);
	vsw_jw_init(&w);
	refuse(&w, -EMSGSIZE, why);
	queue_reply(s, c, &w);
	vsw_jw_free(&w);
	c->closing = true;
	if (!flush_out(c))
		c->out_len = 0;
}

/* Answers buffered requests, one at a time: the next waits until the
 * previous reply is sent, so a client that does not read its replies
 * holds one reply's memory, not a queue of them. */
static int serve(struct vsw_ctl_server *s, struct client *c)
{
	int handled = 0;

	while (!c->closing && c->out_len == 0) {
		char *nl = c->in_len != 0 ? memchr(c->in, '\n', c->in_len) : NULL;
		size_t n;

		if (nl == NULL) {
			if (c->in_len > VSW_CTL_MAX_REQUEST) {
				too_long(s, c);
				return handled;
			}
			if (!c->eof || c->in_len == 0)
				return handled;
			/* The last request may end at EOF instead of a newline. */
			nl = c->in + c->in_len;
		}
		n = (size_t)(nl - c->in);
		if (n > VSW_CTL_MAX_REQUEST) {
			too_long(s, c);
			return handled;
		}
		handle(s, c, c->in, n);
		handled++;
		n = n < c->in_len ? n + 1 : n;
		memmove(c->in, c->in + n, c->in_len - n);
		c->in_len -= n;
		if (!flush_out(c))
			c->closing = true;
	}
	return handled;
}

static int client_event(struct vsw_ctl_server *s, struct client *c, uint32_t events)
{
	int handled;

	if ((events & EPOLLOUT) && !flush_out(c)) {
		client_close(s, c);
		return 0;
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !read_in(s, c)) {
		client_close(s, c);
		return 0;
	}
	handled = serve(s, c);
	if (c->out_len != 0 && !flush_out(c)) {
		client_close(s, c);
		return handled;
	}
	if (c->out_len == 0 && (c->closing || (c->eof && c->in_len == 0)))
		client_close(s, c);
	else
		update_interest(s, c);
	return handled;
}

int vsw_ctl_server_process(struct vsw_ctl_server *s)
{
	struct epoll_event ev[EVENTS_PER_CALL];
	int n, handled = 0;

	n = epoll_wait(s->epfd, ev, EVENTS_PER_CALL, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct ep_tag *t = ev[i].data.ptr;

		if (t->kind == EP_LISTEN)
			accept_clients(s);
		else
			handled += client_event(s, HVN_CONTAINER_OF(t, struct client, tag), ev[i].events);
	}
	return handled;
}
