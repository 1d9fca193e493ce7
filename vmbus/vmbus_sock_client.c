/* Partition side of process partitions (see vmbus_sock.h): owns the
 * partition's memory, speaks the socket protocol, and drives the same
 * vmbus_client state machine a KVM guest runs. */
#include "vmbus/vmbus_sock.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/hvn_errno.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int send_frame(int sock, uint32_t kind, uint32_t arg, const void *payload,
		      uint32_t len, const int *fds, int nfds)
{
	uint8_t buf[sizeof(struct vmbus_sock_frame) + VMBUS_SOCK_MAX_PAYLOAD];
	struct vmbus_sock_frame h = { .kind = kind, .arg = arg, .len = len };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(h) + len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (len > VMBUS_SOCK_MAX_PAYLOAD || nfds > 2)
		return -EINVAL;
	memcpy(buf, &h, sizeof(h));
	if (len != 0)
		memcpy(buf + sizeof(h), payload, len);
	if (nfds > 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(&cm.h), fds, (size_t)nfds * sizeof(int));
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

/* Receives one frame, waiting up to timeout_ms. Returns its payload
 * length, -ETIMEDOUT, or -ECONNRESET. A descriptor that came with it is
 * stored in *fd (else -1). */
static int recv_frame(struct vmbus_ppart *p, struct vmbus_sock_frame *fr,
		      uint8_t *payload, int *fd, int timeout_ms)
{
	uint8_t buf[sizeof(struct vmbus_sock_frame) + VMBUS_SOCK_MAX_PAYLOAD];
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	struct pollfd pfd = { .fd = p->sock, .events = POLLIN };
	struct cmsghdr *c;
	ssize_t n;
	int rc;

	*fd = -1;
	rc = poll(&pfd, 1, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? -ETIMEDOUT : -errno;
	if (rc == 0)
		return -ETIMEDOUT;
	n = recvmsg(p->sock, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return -ECONNRESET;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if ((size_t)n < sizeof(*fr))
		return -EPROTO;
	memcpy(fr, buf, sizeof(*fr));
	if (fr->len != (size_t)n - sizeof(*fr) || fr->len > VMBUS_SOCK_MAX_PAYLOAD)
		return -EPROTO;
	memcpy(payload, buf + sizeof(*fr), fr->len);
	return (int)fr->len;
}

static void doorbell_set(struct vmbus_ppart *p, uint32_t conn_id, int fd)
{
	unsigned int i, free_slot = VMBUS_PPART_MAX_DOORBELLS;

	for (i = 0; i < VMBUS_PPART_MAX_DOORBELLS; i++) {
		if (p->doorbells[i].fd >= 0 && p->doorbells[i].conn_id == conn_id) {
			close(p->doorbells[i].fd);
			p->doorbells[i].fd = -1;
		}
		if (p->doorbells[i].fd < 0 && free_slot == VMBUS_PPART_MAX_DOORBELLS)
			free_slot = i;
	}
	if (fd < 0)
		return;
	if (free_slot == VMBUS_PPART_MAX_DOORBELLS) {
		close(fd);
		return;
	}
	p->doorbells[free_slot].conn_id = conn_id;
	p->doorbells[free_slot].fd = fd;
}

/* Handles a frame that is not a POST_STATUS. */
static int handle_frame(struct vmbus_ppart *p, const struct vmbus_sock_frame *fr,
			const uint8_t *payload, int fd, bool queue_msgs)
{
	switch (fr->kind) {
	case VMBUS_SOCK_MSG:
		if (fd >= 0)
			close(fd);
		if (!queue_msgs) {
			vmbus_client_handle_msg(&p->client, payload, fr->len);
			return 1;
		}
		if (p->q_count == VMBUS_PPART_QUEUE)
			return -ENOBUFS;
		{
			unsigned int slot = (p->q_head + p->q_count) % VMBUS_PPART_QUEUE;

			p->queue[slot].len = fr->len;
			memcpy(p->queue[slot].msg, payload, fr->len);
			p->q_count++;
		}
		return 1;
	case VMBUS_SOCK_DOORBELL:
		doorbell_set(p, fr->arg, fd);
		return 1;
	case VMBUS_SOCK_DOORBELL_GONE:
		if (fd >= 0)
			close(fd);
		doorbell_set(p, fr->arg, -1);
		return 1;
	default:
		if (fd >= 0)
			close(fd);
		return -EPROTO;
	}
}

static void drain_queue(struct vmbus_ppart *p)
{
	while (p->q_count != 0) {
		unsigned int slot = p->q_head;

		p->q_head = (p->q_head + 1) % VMBUS_PPART_QUEUE;
		p->q_count--;
		vmbus_client_handle_msg(&p->client, p->queue[slot].msg, p->queue[slot].len);
	}
}

/* HvPostMessage over the socket: waits for the host's status. Messages
 * the host sends meanwhile are queued and handled after, in order. */
static int tr_post(void *ctx, uint32_t conn_id, const void *msg, uint32_t len)
{
	struct vmbus_ppart *p = ctx;
	uint8_t payload[VMBUS_SOCK_MAX_PAYLOAD];
	struct vmbus_sock_frame fr;
	int rc, fd;

	if (send_frame(p->sock, VMBUS_SOCK_POST, conn_id, msg, len, NULL, 0) < 0)
		return HV_STATUS_INVALID_CONNECTION_ID;
	for (;;) {
		rc = recv_frame(p, &fr, payload, &fd, 5000);
		if (rc < 0)
			return HV_STATUS_INSUFFICIENT_BUFFERS;
		if (fr.kind == VMBUS_SOCK_POST_STATUS) {
			if (fd >= 0)
				close(fd);
			return (int)fr.arg;
		}
		if (handle_frame(p, &fr, payload, fd, true) < 0)
			return HV_STATUS_INSUFFICIENT_BUFFERS;
	}
}

static int tr_signal(void *ctx, uint32_t conn_id)
{
	struct vmbus_ppart *p = ctx;
	uint64_t one = 1;
	unsigned int i;

	for (i = 0; i < VMBUS_PPART_MAX_DOORBELLS; i++)
		if (p->doorbells[i].fd >= 0 && p->doorbells[i].conn_id == conn_id)
			return write(p->doorbells[i].fd, &one, sizeof(one)) == sizeof(one) ?
			       HV_STATUS_SUCCESS : HV_STATUS_INSUFFICIENT_BUFFERS;
	return HV_STATUS_INVALID_CONNECTION_ID;
}

void *vmbus_ppart_alloc(struct vmbus_ppart *p, uint64_t bytes, uint64_t *gpa)
{
	uint64_t n = HVN_ALIGN_UP(bytes, (uint64_t)HVN_PAGE_SIZE);

	if (n == 0 || n > p->mem_size - p->alloc_off)
		return NULL;
	*gpa = p->alloc_off;
	p->alloc_off += n;
	return p->mem + *gpa;
}

int vmbus_ppart_create(struct vmbus_ppart *p, const char *path, const char *name,
		       uint64_t mem_size, bool hugepages)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vmbus_sock_hello h;
	struct vmbus_sock_frame fr;
	uint8_t payload[VMBUS_SOCK_MAX_PAYLOAD];
	unsigned int i;
	uint64_t gpa;
	int fds[2], rc, fd;

	memset(p, 0, sizeof(*p));
	p->sock = p->memfd = p->irq_fd = -1;
	for (i = 0; i < VMBUS_PPART_MAX_DOORBELLS; i++)
		p->doorbells[i].fd = -1;
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	if (hugepages)
		mem_size = HVN_ALIGN_UP(mem_size, (uint64_t)2 << 20);
	p->mem_size = HVN_ALIGN_UP(mem_size, (uint64_t)HVN_PAGE_SIZE);

	/* Sealed so the host can trust the size it maps. */
	p->memfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING |
				(hugepages ? MFD_HUGETLB : 0u));
	if (p->memfd < 0 && hugepages)
		p->memfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (p->memfd < 0 || ftruncate(p->memfd, (off_t)p->mem_size) < 0 ||
	    fcntl(p->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		goto fail_errno;
	p->mem = mmap(NULL, p->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED, p->memfd, 0);
	if (p->mem == MAP_FAILED) {
		p->mem = NULL;
		goto fail_errno;
	}
	p->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->irq_fd < 0)
		goto fail_errno;
	/* Page 0 is the event flags page (the SIEFP of this partition). */
	if (vmbus_ppart_alloc(p, HVN_PAGE_SIZE, &gpa) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	p->event_flags = p->mem + gpa + VMBUS_MESSAGE_SINT * VMBUS_EVENT_FLAGS_BYTES;

	p->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (p->sock < 0 || connect(p->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail_errno;
	memset(&h, 0, sizeof(h));
	h.magic = VMBUS_SOCK_MAGIC;
	h.proto = VMBUS_SOCK_PROTO;
	h.mem_size = p->mem_size;
	h.event_page_gpa = gpa;
	snprintf(h.name, sizeof(h.name), "%s", name);
	fds[0] = p->memfd;
	fds[1] = p->irq_fd;
	rc = send_frame(p->sock, VMBUS_SOCK_HELLO, 0, &h, sizeof(h), fds, 2);
	if (rc < 0)
		goto fail;
	rc = recv_frame(p, &fr, payload, &fd, 5000);
	if (fd >= 0)
		close(fd);
	if (rc < 0 || fr.kind != VMBUS_SOCK_WELCOME) {
		rc = rc < 0 && rc != -ETIMEDOUT ? rc : -ECONNREFUSED;
		goto fail;
	}
	p->transport.post = tr_post;
	p->transport.signal = tr_signal;
	return 0;
fail_errno:
	rc = -errno;
fail:
	vmbus_ppart_destroy(p);
	return rc;
}

void vmbus_ppart_destroy(struct vmbus_ppart *p)
{
	unsigned int i;

	for (i = 0; i < VMBUS_PPART_MAX_DOORBELLS; i++)
		if (p->doorbells[i].fd >= 0)
			close(p->doorbells[i].fd);
	if (p->sock >= 0)
		close(p->sock);
	if (p->mem != NULL)
		munmap(p->mem, p->mem_size);
	if (p->memfd >= 0)
		close(p->memfd);
	if (p->irq_fd >= 0)
		close(p->irq_fd);
	p->sock = p->memfd = p->irq_fd = -1;
	p->mem = NULL;
}

int vmbus_ppart_poll(struct vmbus_ppart *p, int timeout_ms)
{
	uint8_t payload[VMBUS_SOCK_MAX_PAYLOAD];
	struct vmbus_sock_frame fr;
	int rc, fd, handled = 0;

	drain_queue(p);
	for (;;) {
		rc = recv_frame(p, &fr, payload, &fd, handled ? 0 : timeout_ms);
		if (rc == -ETIMEDOUT)
			return handled;
		if (rc < 0)
			return rc == -EPROTO ? rc : -ECONNRESET;
		if (fr.kind == VMBUS_SOCK_POST_STATUS) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		rc = handle_frame(p, &fr, payload, fd, false);
		if (rc < 0)
			return rc;
		handled++;
		drain_queue(p);
	}
}

/* Polls until cond(p) holds or the time is up. */
static int wait_for(struct vmbus_ppart *p, bool (*cond)(struct vmbus_ppart *, uint32_t),
		    uint32_t arg, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	int rc;

	drain_queue(p);
	while (!cond(p, arg)) {
		int64_t left = end - now_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		rc = vmbus_ppart_poll(p, (int)left);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static bool contact_done(struct vmbus_ppart *p, uint32_t unused)
{
	(void)unused;
	return p->client.state != VMBUS_CLIENT_CONTACTING;
}

static bool offers_done(struct vmbus_ppart *p, uint32_t unused)
{
	(void)unused;
	return p->client.offers_done;
}

static bool gpadl_done(struct vmbus_ppart *p, uint32_t handle)
{
	return vmbus_client_gpadl_status(&p->client, handle) != -HVN_EAGAIN;
}

static bool open_done(struct vmbus_ppart *p, uint32_t relid)
{
	return vmbus_client_open_status(&p->client, relid) != -HVN_EAGAIN;
}

static bool torn_down(struct vmbus_ppart *p, uint32_t handle)
{
	int rc = vmbus_client_gpadl_torn_down(&p->client, handle);

	return rc != -HVN_EAGAIN;
}

int vmbus_ppart_connect(struct vmbus_ppart *p, uint32_t max_version, int timeout_ms)
{
	int rc;

	vmbus_client_init(&p->client, &p->transport, p, max_version, 0, 0);
	rc = vmbus_client_connect(&p->client);
	if (rc < 0)
		return rc;
	rc = wait_for(p, contact_done, 0, timeout_ms);
	if (rc < 0)
		return rc;
	if (p->client.state != VMBUS_CLIENT_CONNECTED)
		return -ENODEV;
	rc = vmbus_client_request_offers(&p->client);
	if (rc < 0)
		return rc;
	return wait_for(p, offers_done, 0, timeout_ms);
}

int vmbus_ppart_open(struct vmbus_ppart *p, const struct vmbus_client_offer *o,
		     uint32_t ring_bytes, struct vmbus_client_channel *ch,
		     uint32_t *gpadl, int timeout_ms)
{
	uint32_t npages = 2 * (ring_bytes >> HVN_PAGE_SHIFT), i, relid = o->msg.child_relid;
	uint64_t pfns[2048], gpa;
	uint8_t *rings;
	int rc;

	if ((ring_bytes & (HVN_PAGE_SIZE - 1)) != 0 || npages > HVN_ARRAY_SIZE(pfns))
		return -EINVAL;
	/* The scratch page for wrapped packets lives with the rings. */
	rings = vmbus_ppart_alloc(p, 2ull * ring_bytes + 65536, &gpa);
	if (rings == NULL)
		return -ENOMEM;
	rc = vmbus_client_rings_format(rings, ring_bytes, ring_bytes);
	if (rc < 0)
		return rc;
	for (i = 0; i < npages; i++)
		pfns[i] = (gpa >> HVN_PAGE_SHIFT) + i;
	rc = vmbus_client_gpadl_create(&p->client, relid, pfns, npages, gpadl);
	if (rc < 0)
		return rc;
	rc = wait_for(p, gpadl_done, *gpadl, timeout_ms);
	if (rc == 0)
		rc = vmbus_client_gpadl_status(&p->client, *gpadl);
	if (rc < 0)
		return rc;
	rc = vmbus_client_open(&p->client, relid, *gpadl, ring_bytes >> HVN_PAGE_SHIFT, 0);
	if (rc < 0)
		return rc;
	rc = wait_for(p, open_done, relid, timeout_ms);
	if (rc == 0)
		rc = vmbus_client_open_status(&p->client, relid);
	if (rc < 0)
		return rc;
	return vmbus_client_channel_attach(ch, o, rings, ring_bytes, ring_bytes,
					   rings + 2ull * ring_bytes, 65536);
}

int vmbus_ppart_gpadl(struct vmbus_ppart *p, uint32_t relid, uint64_t gpa, uint64_t bytes,
		      uint32_t *handle, int timeout_ms)
{
	uint32_t npages = (uint32_t)(bytes >> HVN_PAGE_SHIFT), i;
	uint64_t *pfns;
	int rc;

	if ((gpa | bytes) & (HVN_PAGE_SIZE - 1) || npages == 0 || bytes > (1ull << 30))
		return -EINVAL;
	pfns = malloc(npages * sizeof(*pfns));
	if (pfns == NULL)
		return -ENOMEM;
	for (i = 0; i < npages; i++)
		pfns[i] = (gpa >> HVN_PAGE_SHIFT) + i;
	rc = vmbus_client_gpadl_create(&p->client, relid, pfns, npages, handle);
	free(pfns);
	if (rc < 0)
		return rc;
	rc = wait_for(p, gpadl_done, *handle, timeout_ms);
	return rc == 0 ? vmbus_client_gpadl_status(&p->client, *handle) : rc;
}

int vmbus_ppart_close(struct vmbus_ppart *p, struct vmbus_client_channel *ch,
		      uint32_t gpadl, int timeout_ms)
{
	int rc = vmbus_client_close(&p->client, ch->relid);

	/* 4.0+: the ring GPADL goes only after the close (channel.c). */
	if (rc == 0)
		rc = vmbus_client_gpadl_teardown(&p->client, ch->relid, gpadl);
	if (rc == 0)
		rc = wait_for(p, torn_down, gpadl, timeout_ms);
	return rc;
}

int vmbus_ppart_wait_event(struct vmbus_ppart *p, int timeout_ms)
{
	uint32_t *flags = (uint32_t *)(void *)p->event_flags;
	struct pollfd pfd = { .fd = p->irq_fd, .events = POLLIN };
	unsigned int w;
	uint64_t v;

	for (;;) {
		/* vmbus_chan_sched: test-and-clear each set flag; relid 0 is
		 * never a channel. */
		for (w = 0; w < VMBUS_EVENT_FLAGS_BYTES / 4; w++) {
			uint32_t bits = __atomic_load_n(&flags[w], __ATOMIC_ACQUIRE);

			if (w == 0)
				bits &= ~1u;
			while (bits != 0) {
				uint32_t b = bits & (~bits + 1u);

				if (__atomic_fetch_and(&flags[w], ~b, __ATOMIC_SEQ_CST) & b)
					return (int)(w * 32 + (uint32_t)__builtin_ctz(b));
				bits &= ~b;
			}
		}
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return 0;
		if (read(p->irq_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			return -errno;
	}
}
