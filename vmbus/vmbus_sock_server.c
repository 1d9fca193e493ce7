/* Host side of process partitions (see vmbus_sock.h): accepts partitions,
 * maps their sealed memfd, runs one vmbus_server per partition and routes
 * its messages and doorbells. One thread, one epoll set, no blocking call:
 * a partition that stops reading its socket is cut off when its queue
 * fills, and never stalls another. */
#include "vmbus/vmbus_sock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>

#define HUGETLBFS_MAGIC_ 0x958458f6
/* Frames queued for a partition that does not read; past this it is cut
 * off rather than let it pin host memory. */
#define OUTQ_MAX 4096u
#define MAX_FDS_PER_FRAME 4
#define FRAMES_PER_WAKEUP 64u

enum ep_type { EP_LISTEN, EP_PART, EP_DOORBELL };

struct ep_tag {
	enum ep_type type;
};

struct sock_doorbell {
	struct ep_tag tag;
	struct sock_doorbell *next;
	struct vmbus_sock_part *p;
	uint32_t conn_id;
	int fd;
};

struct out_frame {
	struct out_frame *next;
	uint32_t len;
	int fd;                      /* owned duplicate to pass, or -1 */
	uint8_t data[sizeof(struct vmbus_sock_frame) + VMBUS_SOCK_MAX_PAYLOAD];
};

struct out_list {
	struct out_frame *head;
	struct out_frame **tail;
	uint32_t len;
};

struct vmbus_sock_part {
	struct ep_tag tag;
	struct vmbus_sock_part *next;
	struct vmbus_sock_server *srv;
	int fd;
	bool welcomed;
	bool added;                  /* partition_added() accepted it */
	bool dead;
	bool deferring;              /* inside a POST: hold frames for order */
	bool epollout;
	char name[32];
	struct vmbus_mem mem;
	int irq_fd;
	uint32_t *event_flags;
	struct vmbus_server *vs;
	struct sock_doorbell *doorbells;
	struct out_list deferred;
	struct out_list outq;
	void *user;
};

struct vmbus_sock_server {
	struct ep_tag tag;
	int lfd;
	int epfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned int max_parts;
	const struct vmbus_sock_server_ops *ops;
	void *ctx;
	struct vmbus_sock_part *parts;
	/* Freed only between event batches: an event of the same batch may
	 * still point at them. */
	struct vmbus_sock_part *dead_parts;
	struct sock_doorbell *dead_doorbells;
	struct vmbus_sock_server_stats st;
};

static void out_init(struct out_list *l)
{
	l->head = NULL;
	l->tail = &l->head;
	l->len = 0;
}

static void out_push(struct out_list *l, struct out_frame *f)
{
	f->next = NULL;
	*l->tail = f;
	l->tail = &f->next;
	l->len++;
}

static struct out_frame *out_pop(struct out_list *l)
{
	struct out_frame *f = l->head;

	if (f == NULL)
		return NULL;
	l->head = f->next;
	if (l->head == NULL)
		l->tail = &l->head;
	l->len--;
	return f;
}

static void out_free_all(struct out_list *l)
{
	struct out_frame *f;

	while ((f = out_pop(l)) != NULL) {
		if (f->fd >= 0)
			close(f->fd);
		free(f);
	}
}

static void part_kill(struct vmbus_sock_part *p, const char *why)
{
	if (p->dead)
		return;
	fprintf(stderr, "vmbus-sock: partition '%s' disconnected: %s\n",
		p->name[0] ? p->name : "(no hello)", why);
	p->dead = true;
}

/* Sends one frame now; -EAGAIN if the socket is full. */
static int frame_send(int fd, const struct out_frame *f)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { .iov_base = (void *)f->data, .iov_len = f->len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (f->fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&cm.h), &f->fd, sizeof(int));
	}
	if (sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

static void part_want_out(struct vmbus_sock_part *p, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0u),
				  .data.ptr = &p->tag };

	if (p->epollout == on)
		return;
	p->epollout = on;
	epoll_ctl(p->srv->epfd, EPOLL_CTL_MOD, p->fd, &ev);
}

static void part_flush(struct vmbus_sock_part *p)
{
	struct out_frame *f;
	int rc;

	while (!p->dead && (f = p->outq.head) != NULL) {
		rc = frame_send(p->fd, f);
		if (rc == -EAGAIN) {
			part_want_out(p, true);
			return;
		}
		if (rc < 0) {
			part_kill(p, strerror(-rc));
			return;
		}
		out_pop(&p->outq);
		if (f->fd >= 0)
			close(f->fd);
		free(f);
	}
	part_want_out(p, false);
}

static void part_enqueue(struct vmbus_sock_part *p, struct out_frame *f)
{
	if (p->outq.len >= OUTQ_MAX) {
		if (f->fd >= 0)
			close(f->fd);
		free(f);
		part_kill(p, "it does not read its socket (queue full)");
		return;
	}
	out_push(&p->outq, f);
	part_flush(p);
}

/* Every frame to a partition goes through here, so that the frames a POST
 * causes follow its POST_STATUS in order. 'fd' is duplicated. */
static int part_send(struct vmbus_sock_part *p, uint32_t kind, uint32_t arg,
		     const void *payload, uint32_t len, int fd)
{
	struct vmbus_sock_frame h = { .kind = kind, .arg = arg, .len = len };
	struct out_frame *f;

	if (p->dead)
		return -ECONNRESET;
	if (len > VMBUS_SOCK_MAX_PAYLOAD)
		return -EMSGSIZE;
	f = malloc(sizeof(*f));
	if (f == NULL)
		return -ENOMEM;
	memcpy(f->data, &h, sizeof(h));
	if (len != 0)
		memcpy(f->data + sizeof(h), payload, len);
	f->len = (uint32_t)sizeof(h) + len;
	f->fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
	if (fd >= 0 && f->fd < 0) {
		free(f);
		return -errno;
	}
	if (p->deferring)
		out_push(&p->deferred, f);
	else
		part_enqueue(p, f);
	return p->dead ? -ECONNRESET : 0;
}

/* ---- vmbus_server transport ---- */

static int tr_post(void *ctx, const void *msg, uint32_t len)
{
	return part_send(ctx, VMBUS_SOCK_MSG, 0, msg, len, -1);
}

static void tr_signal(void *ctx, uint32_t relid, uint32_t target_vp)
{
	struct vmbus_sock_part *p = ctx;
	uint32_t bit = 1u << (relid & 31u), old;
	uint64_t one = 1;

	(void)target_vp;
	if (p->dead || relid > VMBUS_MAX_RELID)
		return;
	/* SynIC rule: interrupt only on the flag's 0 -> 1 transition; the
	 * guest clears flags it has seen with an atomic test-and-clear. */
	old = __atomic_fetch_or(&p->event_flags[relid >> 5], bit, __ATOMIC_SEQ_CST);
	if ((old & bit) == 0 && write(p->irq_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		part_kill(p, "its interrupt eventfd failed");
}

static int tr_doorbell_add(void *ctx, struct vmbus_channel *ch, uint32_t conn_id)
{
	struct vmbus_sock_part *p = ctx;
	struct sock_doorbell *d = calloc(1, sizeof(*d));
	struct epoll_event ev = { .events = EPOLLIN };
	int rc;

	if (d == NULL)
		return -ENOMEM;
	d->tag.type = EP_DOORBELL;
	d->p = p;
	d->conn_id = conn_id;
	d->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->fd < 0) {
		free(d);
		return -errno;
	}
	ev.data.ptr = &d->tag;
	if (epoll_ctl(p->srv->epfd, EPOLL_CTL_ADD, d->fd, &ev) < 0) {
		rc = -errno;
		close(d->fd);
		free(d);
		return rc;
	}
	rc = part_send(p, VMBUS_SOCK_DOORBELL, conn_id, NULL, 0, d->fd);
	d->next = p->doorbells;
	p->doorbells = d;
	vmbus_channel_set_transport_data(ch, d);
	return rc;
}

static void doorbell_retire(struct vmbus_sock_server *srv, struct sock_doorbell *d)
{
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, d->fd, NULL);
	close(d->fd);
	d->fd = -1;
	d->next = srv->dead_doorbells;
	srv->dead_doorbells = d;
}

static void tr_doorbell_del(void *ctx, struct vmbus_channel *ch, uint32_t conn_id)
{
	struct vmbus_sock_part *p = ctx;
	struct sock_doorbell *d = vmbus_channel_transport_data(ch), **pp;

	for (pp = &p->doorbells; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			doorbell_retire(p->srv, d);
			break;
		}
	}
	vmbus_channel_set_transport_data(ch, NULL);
	part_send(p, VMBUS_SOCK_DOORBELL_GONE, conn_id, NULL, 0, -1);
}

static const struct vmbus_server_transport sock_transport = {
	.post = tr_post,
	.signal = tr_signal,
	.doorbell_add = tr_doorbell_add,
	.doorbell_del = tr_doorbell_del,
};

/* ---- Partitions ---- */

static void part_remove(struct vmbus_sock_part *p)
{
	struct vmbus_sock_server *srv = p->srv;
	struct vmbus_sock_part **pp;
	struct sock_doorbell *d;

	p->dead = true;
	for (pp = &srv->parts; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	if (p->vs != NULL) {
		if (p->added && srv->ops->partition_removed != NULL)
			srv->ops->partition_removed(srv->ctx, p);
		/* Closes every channel (devices stop, doorbells retire), frees
		 * every GPADL and ring mapping. */
		vmbus_server_destroy(p->vs);
		p->vs = NULL;
		srv->st.departed++;
		srv->st.partitions--;
	}
	while ((d = p->doorbells) != NULL) {
		p->doorbells = d->next;
		doorbell_retire(srv, d);
	}
	if (p->mem.base != NULL)
		munmap(p->mem.base, p->mem.size);
	if (p->mem.fd >= 0)
		close(p->mem.fd);
	if (p->irq_fd >= 0)
		close(p->irq_fd);
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, p->fd, NULL);
	close(p->fd);
	out_free_all(&p->outq);
	out_free_all(&p->deferred);
	p->next = srv->dead_parts;
	srv->dead_parts = p;
}

static bool fd_is_eventfd(int fd)
{
	char link[64], target[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "anon_inode:[eventfd]") == 0;
}

/* Checks and maps what HELLO brings. Returns NULL or why it is refused. */
static const char *part_hello(struct vmbus_sock_part *p, const struct vmbus_sock_hello *h,
			      int memfd, int irq_fd)
{
	struct vmbus_server_config cfg = { 0 };
	struct statfs sfs;
	struct stat sb;
	int seals, fl;

	if (h->magic != VMBUS_SOCK_MAGIC || h->proto != VMBUS_SOCK_PROTO)
		return "HELLO with a wrong magic or protocol version";
	memcpy(p->name, h->name, sizeof(p->name));
	p->name[sizeof(p->name) - 1] = '\0';
	if (h->mem_size == 0 || (h->mem_size & (HVN_PAGE_SIZE - 1)) != 0 ||
	    h->mem_size > VMBUS_SOCK_MAX_MEM)
		return "memory size is zero, not page aligned or above 64 GiB";
	/* Without a shrink seal the partition could truncate the memfd under
	 * the host's mapping and crash the host with SIGBUS. */
	seals = fcntl(memfd, F_GET_SEALS);
	if (seals < 0 || (seals & F_SEAL_SHRINK) == 0)
		return "memory is not a memfd sealed against shrinking (F_SEAL_SHRINK)";
	if (fstat(memfd, &sb) < 0 || (uint64_t)sb.st_size < h->mem_size)
		return "memfd is smaller than the memory size announced";
	if (!fd_is_eventfd(irq_fd))
		return "interrupt descriptor is not an eventfd";
	if (h->event_page_gpa & (HVN_PAGE_SIZE - 1) ||
	    h->event_page_gpa > h->mem_size - HVN_PAGE_SIZE)
		return "event page outside the partition's memory";
	p->mem.base = mmap(NULL, h->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (p->mem.base == MAP_FAILED) {
		p->mem.base = NULL;
		return "cannot map the partition's memory";
	}
	p->mem.size = h->mem_size;
	p->mem.fd = memfd;
	p->mem.hugetlb = fstatfs(memfd, &sfs) == 0 && sfs.f_type == HUGETLBFS_MAGIC_;
	/* O_NONBLOCK: a host write must never wait on the partition. */
	fl = fcntl(irq_fd, F_GETFL);
	if (fl < 0 || fcntl(irq_fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return "cannot make the interrupt eventfd non-blocking";
	p->irq_fd = irq_fd;
	p->event_flags = (uint32_t *)(void *)(p->mem.base + h->event_page_gpa +
					       VMBUS_MESSAGE_SINT * VMBUS_EVENT_FLAGS_BYTES);
	cfg.name = p->name;
	p->vs = vmbus_server_create(&cfg, &p->mem, &sock_transport, p);
	if (p->vs == NULL)
		return "out of memory";
	p->srv->st.partitions++;
	return NULL;
}

static void close_fds(int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static void part_on_post(struct vmbus_sock_part *p, uint32_t conn_id,
			 const uint8_t *msg, uint32_t len)
{
	struct out_frame *f;
	int st;

	p->deferring = true;
	st = vmbus_server_handle_msg(p->vs, conn_id, msg, len);
	p->deferring = false;
	part_send(p, VMBUS_SOCK_POST_STATUS, (uint32_t)st, NULL, 0, -1);
	while ((f = out_pop(&p->deferred)) != NULL)
		part_enqueue(p, f);
	if (vmbus_server_dead(p->vs))
		part_kill(p, "its VMBus server stopped");
}

/* Reads and handles one frame; false when there is nothing more to read
 * now or the partition is gone. */
static bool part_read_frame(struct vmbus_sock_part *p)
{
	struct vmbus_sock_server *srv = p->srv;
	uint8_t buf[sizeof(struct vmbus_sock_frame) + VMBUS_SOCK_MAX_PAYLOAD];
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(MAX_FDS_PER_FRAME * sizeof(int))];
	} cm;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	struct vmbus_sock_frame fr;
	struct cmsghdr *c;
	int fds[MAX_FDS_PER_FRAME], nfds = 0;
	const char *why;
	ssize_t n;

	n = recvmsg(p->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			part_kill(p, strerror(errno));
		return false;
	}
	if (n == 0) {
		part_kill(p, "it closed its socket");
		return false;
	}
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		int k, cnt;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (k = 0; k < cnt; k++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + (size_t)k * sizeof(int), sizeof(int));
			if (nfds < MAX_FDS_PER_FRAME)
				fds[nfds++] = fd;
			else
				close(fd);
		}
	}
	memcpy(&fr, buf, HVN_MIN((size_t)n, sizeof(fr)));
	if ((size_t)n < sizeof(fr) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    fr.len != (size_t)n - sizeof(fr)) {
		srv->st.bad_frames++;
		close_fds(fds, nfds);
		if (!p->welcomed)
			part_kill(p, "malformed first frame");
		return !p->dead;
	}
	if (!p->welcomed) {
		struct vmbus_sock_hello h;

		if (fr.kind != VMBUS_SOCK_HELLO || fr.len != sizeof(h) || nfds != 2) {
			close_fds(fds, nfds);
			srv->st.rejected++;
			part_kill(p, "first frame is not a HELLO with memfd and eventfd");
			return false;
		}
		memcpy(&h, buf + sizeof(fr), sizeof(h));
		p->mem.fd = fds[0];
		why = part_hello(p, &h, fds[0], fds[1]);
		if (p->irq_fd < 0)
			close(fds[1]);
		if (why == NULL && srv->st.partitions > srv->max_parts)
			why = "the host serves no more partitions";
		if (why == NULL && srv->ops->partition_added != NULL) {
			if (srv->ops->partition_added(srv->ctx, p, p->vs) < 0)
				why = "the host refused to add devices for it";
			else
				p->added = true;
		}
		if (why != NULL) {
			srv->st.rejected++;
			part_kill(p, why);
			return false;
		}
		p->welcomed = true;
		srv->st.accepted++;
		part_send(p, VMBUS_SOCK_WELCOME, 0, NULL, 0, -1);
		return !p->dead;
	}
	/* Descriptors are only ever sent by the host after HELLO. */
	close_fds(fds, nfds);
	if (nfds != 0 || fr.kind != VMBUS_SOCK_POST) {
		srv->st.bad_frames++;
		return true;
	}
	part_on_post(p, fr.arg, buf + sizeof(fr), fr.len);
	return !p->dead;
}

/* A bounded batch per wake-up: a chatty partition cannot starve others. */
static void part_on_readable(struct vmbus_sock_part *p)
{
	unsigned int i;

	for (i = 0; i < FRAMES_PER_WAKEUP; i++)
		if (!part_read_frame(p))
			break;
}

static void srv_accept(struct vmbus_sock_server *srv)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct vmbus_sock_part *p;
	int fd;

	fd = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		close(fd);
		return;
	}
	p->tag.type = EP_PART;
	p->srv = srv;
	p->fd = fd;
	p->mem.fd = -1;
	p->irq_fd = -1;
	out_init(&p->outq);
	out_init(&p->deferred);
	ev.data.ptr = &p->tag;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		free(p);
		return;
	}
	p->next = srv->parts;
	srv->parts = p;
}

static void doorbell_on_readable(struct sock_doorbell *d)
{
	uint64_t v;

	if (d->fd < 0 || d->p->dead)
		return;
	if (read(d->fd, &v, sizeof(v)) != sizeof(v))
		return;
	vmbus_server_handle_signal(d->p->vs, d->conn_id);
}

static void srv_reap(struct vmbus_sock_server *srv)
{
	struct vmbus_sock_part *p, *next;
	struct sock_doorbell *d;

	for (p = srv->parts; p != NULL; p = next) {
		next = p->next;
		if (p->dead)
			part_remove(p);
	}
	while ((p = srv->dead_parts) != NULL) {
		srv->dead_parts = p->next;
		free(p);
	}
	while ((d = srv->dead_doorbells) != NULL) {
		srv->dead_doorbells = d->next;
		free(d);
	}
}

int vmbus_sock_server_poll(struct vmbus_sock_server *srv, int timeout_ms)
{
	struct epoll_event evs[64];
	int n, i;

	n = epoll_wait(srv->epfd, evs, (int)HVN_ARRAY_SIZE(evs), timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		struct ep_tag *t = evs[i].data.ptr;

		if (t->type == EP_LISTEN) {
			srv_accept(srv);
		} else if (t->type == EP_DOORBELL) {
			doorbell_on_readable((struct sock_doorbell *)(void *)t);
		} else {
			struct vmbus_sock_part *p = (struct vmbus_sock_part *)(void *)t;

			if (p->dead)
				continue;
			if (evs[i].events & EPOLLOUT)
				part_flush(p);
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				part_on_readable(p);
		}
	}
	srv_reap(srv);
	return n;
}

int vmbus_sock_server_create(const char *path, unsigned int max_partitions,
			     const struct vmbus_sock_server_ops *ops, void *ctx,
			     struct vmbus_sock_server **out)
{
	struct vmbus_sock_server *srv;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return -ENOMEM;
	srv->tag.type = EP_LISTEN;
	srv->ops = ops;
	srv->ctx = ctx;
	srv->max_parts = max_partitions;
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	srv->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (srv->epfd < 0 || srv->lfd < 0)
		goto fail;
	unlink(path);
	if (bind(srv->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0660) < 0 || listen(srv->lfd, 64) < 0)
		goto fail;
	ev.data.ptr = &srv->tag;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->lfd, &ev) < 0)
		goto fail;
	*out = srv;
	return 0;
fail:
	rc = -errno;
	if (srv->lfd >= 0)
		close(srv->lfd);
	if (srv->epfd >= 0)
		close(srv->epfd);
	free(srv);
	return rc;
}

int vmbus_sock_server_fd(const struct vmbus_sock_server *srv)
{
	return srv->epfd;
}

const struct vmbus_sock_server_stats *vmbus_sock_server_get_stats(const struct vmbus_sock_server *srv)
{
	return &srv->st;
}

void vmbus_sock_server_destroy(struct vmbus_sock_server *srv)
{
	if (srv == NULL)
		return;
	while (srv->parts != NULL) {
		srv->parts->dead = true;
		part_remove(srv->parts);
	}
	srv_reap(srv);
	close(srv->lfd);
	close(srv->epfd);
	unlink(srv->path);
	free(srv);
}

const char *vmbus_sock_part_name(const struct vmbus_sock_part *p)
{
	return p->name;
}

struct vmbus_server *vmbus_sock_part_server(struct vmbus_sock_part *p)
{
	return p->vs;
}

const struct vmbus_mem *vmbus_sock_part_mem(const struct vmbus_sock_part *p)
{
	return &p->mem;
}

void vmbus_sock_part_set_user(struct vmbus_sock_part *p, void *user)
{
	p->user = user;
}

void *vmbus_sock_part_user(const struct vmbus_sock_part *p)
{
	return p->user;
}
