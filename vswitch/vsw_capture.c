/* Port captures into pcapng files: the datapath lcore copies frames into
 * a ring (vsw_dp_port_capture), a writer thread formats and writes them,
 * and the control thread starts, stops and reaps. The file descriptor is
 * the one vswitchctl passed (a file, or its standard output for a pipe to
 * tcpdump or tshark). See vsw_daemon.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "common/hvn_compiler.h"
#include "vswitch/vsw_daemon.h"
#include "vswitch/vsw_daemon_int.h"
#include "vswitch/vsw_model.h"
#include "vswitch/vsw_pcapng.h"

#define CAP_RING 4096           /* copies in flight between lcore and writer */
#define CAP_MBUFS 4095
#define CAP_BUF (256 * 1024)    /* the writer's batch */
#define CAP_SNAP_DEFAULT 65535u

struct vsw_capture {
	struct vsw_dp_capture dpc;   /* what the lcore sees */
	int fd;
	int port;                    /* index into the daemon's ports */
	bool unpublished;            /* the lcore no longer copies into it */
	bool done;                   /* nothing more to write (writer's verdict) */
	int error;                   /* a write failed: errno */
	uint64_t tsc0, hz;
	uint64_t ns0;                /* wall clock at tsc0 */
	uint64_t written;
	uint8_t *buf;
	size_t used;
	struct vsw_capture *next;
};

struct vsw_capture_thread {
	pthread_t tid;
	pthread_mutex_t lock;        /* the list; held by the writer while it writes */
	bool stop;
	unsigned int seq;            /* for unique ring and pool names */
	struct vsw_capture *list;
};

static int flush_buf(struct vsw_capture *c)
{
	size_t off = 0;

	while (off < c->used) {
		ssize_t w = write(c->fd, c->buf + off, c->used - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			c->error = w < 0 ? errno : EIO;
			return -c->error;
		}
		off += (size_t)w;
	}
	c->used = 0;
	return 0;
}

/* Formats and writes what the ring holds. Returns the frames taken. */
static unsigned int drain(struct vsw_capture *c)
{
	struct rte_mbuf *m[64];
	unsigned int n, total = 0;
	uint8_t frame[CAP_SNAP_DEFAULT];

	while ((n = rte_ring_sc_dequeue_burst(c->dpc.ring, (void **)m, 64, NULL)) > 0) {
		for (unsigned int i = 0; i < n; i++) {
			const struct vsw_dp_capture_rec *rec = rte_mbuf_to_priv(m[i]);
			uint32_t caplen = m[i]->pkt_len;
			const void *data = rte_pktmbuf_read(m[i], 0, caplen, frame);
			uint64_t ns = c->ns0 +
				      (uint64_t)((unsigned __int128)(rec->tsc - c->tsc0) * 1000000000u /
						 c->hz);
			size_t w;

			if (c->error == 0 && c->used + vsw_pcapng_packet_size(caplen) > CAP_BUF)
				flush_buf(c);
			if (c->error == 0 && data) {
				w = vsw_pcapng_packet(c->buf + c->used, CAP_BUF - c->used, ns, data,
						      caplen, rec->orig_len,
						      rec->dir == VSW_DIR_INBOUND ? VSW_PCAPNG_INBOUND
										  : VSW_PCAPNG_OUTBOUND);
				c->used += w;
				c->written++;
			}
			rte_pktmbuf_free(m[i]);
		}
		total += n;
	}
	if (c->used && c->error == 0)
		flush_buf(c);
	return total;
}

static void *writer_main(void *arg)
{
	struct vsw_capture_thread *t = arg;

	for (;;) {
		unsigned int got = 0;

		pthread_mutex_lock(&t->lock);
		if (t->stop) {
			pthread_mutex_unlock(&t->lock);
			return NULL;
		}
		for (struct vsw_capture *c = t->list; c; c = c->next) {
			if (c->done)
				continue;
			got += drain(c);
			/* The count is reached (the lcore stopped copying) and
			 * everything copied is out: the file is complete. */
			if (c->error || hvn_load_acquire(&c->dpc.remaining) == 0 ||
			    c->unpublished)
				c->done = rte_ring_empty(c->dpc.ring) || c->error;
		}
		pthread_mutex_unlock(&t->lock);
		if (!got)
			usleep(1000);
	}
}

static void capture_free(struct vsw_capture *c)
{
	struct rte_mbuf *m;

	if (!c)
		return;
	while (c->dpc.ring && rte_ring_sc_dequeue(c->dpc.ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(c->dpc.ring);
	rte_mempool_free(c->dpc.mp);
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
}

static int thread_start(struct vsw_daemon *d)
{
	struct vsw_capture_thread *t;
	int rc;

	if (d->capt)
		return 0;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	rc = pthread_create(&t->tid, NULL, writer_main, t);
	if (rc) {
		pthread_mutex_destroy(&t->lock);
		free(t);
		return -rc;
	}
	pthread_setname_np(t->tid, "vsw-capture");
	d->capt = t;
	return 0;
}

int vsw_daemon_capture_start(struct vsw_daemon *d, const char *port,
			     const struct vsw_capture_cfg *k, int fd, char *why, size_t len)
{
	int i = vsw_daemon_find_port(d, port), rc;
	struct vsw_capture *c = NULL;
	struct vsw_dport *p;
	char name[RTE_MEMPOOL_NAMESIZE];
	struct timespec ts;
	size_t h;

	if (i < 0) {
		snprintf(why, len, "no port %s", port);
		rc = -ENOENT;
		goto fail;
	}
	p = &d->ports[i];
	if (p->dp_idx < 0) {
		snprintf(why, len, "port %s is not attached (its partition is not connected): "
			 "start the capture once it is", port);
		rc = -ENOTCONN;
		goto fail;
	}
	if (p->cap) {
		snprintf(why, len, "port %s is being captured already: vswitchctl capture stop %s",
			 port, port);
		rc = -EBUSY;
		goto fail;
	}
	rc = thread_start(d);
	if (rc) {
		snprintf(why, len, "cannot start the capture writer thread: %s", strerror(-rc));
		goto fail;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->fd = -1;
	if (!c || !(c->buf = malloc(CAP_BUF))) {
		snprintf(why, len, "out of memory for a capture");
		rc = -ENOMEM;
		goto fail;
	}
	c->fd = fd;
	fd = -1;
	c->port = i;
	d->capt->seq++;
	snprintf(name, sizeof(name), "vswcap%u", d->capt->seq);
	c->dpc.ring = rte_ring_create(name, CAP_RING, (int)rte_socket_id(),
				      RING_F_SP_ENQ | RING_F_SC_DEQ);
	c->dpc.mp = rte_pktmbuf_pool_create(name, CAP_MBUFS, 0,
					    RTE_ALIGN(sizeof(struct vsw_dp_capture_rec),
						      RTE_MBUF_PRIV_ALIGN),
					    RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!c->dpc.ring || !c->dpc.mp) {
		snprintf(why, len, "out of DPDK memory for a capture of port %s (%u copies in "
			 "flight): give vswitchd more with EAL -m", port, CAP_MBUFS);
		rc = -ENOMEM;
		goto fail;
	}
	c->dpc.snaplen = k->snaplen && k->snaplen < CAP_SNAP_DEFAULT ? k->snaplen
								     : CAP_SNAP_DEFAULT;
	c->dpc.dir = k->dir ? (unsigned int)k->dir : VSW_DIR_BOTH;
	c->dpc.remaining = k->count ? k->count : UINT64_MAX;
	c->hz = rte_get_tsc_hz();
	clock_gettime(CLOCK_REALTIME, &ts);
	c->tsc0 = rte_get_tsc_cycles();
	c->ns0 = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	h = vsw_pcapng_header(c->buf, CAP_BUF, "hvnet vswitchd", port, c->dpc.snaplen);
	c->used = h;
	if (flush_buf(c)) {
		snprintf(why, len, "cannot write the capture file: %s", strerror(c->error));
		rc = -c->error;
		goto fail;
	}
	pthread_mutex_lock(&d->capt->lock);
	c->next = d->capt->list;
	d->capt->list = c;
	pthread_mutex_unlock(&d->capt->lock);
	rc = vsw_dp_port_capture(d->sw[p->sw].dp, p->dp_idx, &c->dpc);
	if (rc) {
		pthread_mutex_lock(&d->capt->lock);
		d->capt->list = c->next;
		pthread_mutex_unlock(&d->capt->lock);
		snprintf(why, len, "port %s: cannot start the capture: %s", port, strerror(-rc));
		goto fail;
	}
	p->cap = c;
	fprintf(stderr, "vswitchd: port %s: capture started (%s, snaplen %u%s)\n", port,
		vsw_dir_name((enum vsw_dir)c->dpc.dir), c->dpc.snaplen,
		k->count ? ", until a count" : "");
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	capture_free(c);
	return rc;
}

/* Takes the capture off the lcore and out of the writer's list, writes
 * what is left, closes the file. Control thread. */
static void finish(struct vsw_daemon *d, struct vsw_capture *c)
{
	struct vsw_dport *p = &d->ports[c->port];

	if (!c->unpublished) {
		if (p->dp_idx >= 0)
			vsw_dp_port_capture(d->sw[p->sw].dp, p->dp_idx, NULL);
		c->unpublished = true;
	}
	pthread_mutex_lock(&d->capt->lock);
	for (struct vsw_capture **pp = &d->capt->list; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	pthread_mutex_unlock(&d->capt->lock);
	drain(c);
	fprintf(stderr, "vswitchd: port %s: capture ended: %llu frame(s) written, %llu not "
		"copied (no room)%s%s\n", p->cfg.name, (unsigned long long)c->written,
		(unsigned long long)c->dpc.dropped, c->error ? ", writing failed: " : "",
		c->error ? strerror(c->error) : "");
	p->cap = NULL;
	capture_free(c);
}

int vsw_daemon_capture_stop(struct vsw_daemon *d, const char *port, char *why, size_t len)
{
	int i = vsw_daemon_find_port(d, port);

	if (i < 0) {
		snprintf(why, len, "no port %s", port);
		return -ENOENT;
	}
	if (!d->ports[i].cap) {
		snprintf(why, len, "port %s is not being captured", port);
		return -ENOENT;
	}
	finish(d, d->ports[i].cap);
	return 0;
}

void vsw_capture_port_gone(struct vsw_daemon *d, struct vsw_dport *p)
{
	if (p->cap)
		finish(d, p->cap);
}

void vsw_capture_reap(struct vsw_daemon *d)
{
	struct vsw_capture *done[VSW_MAX_PORTS];
	unsigned int n = 0;

	if (!d->capt)
		return;
	pthread_mutex_lock(&d->capt->lock);
	for (struct vsw_capture *c = d->capt->list; c && n < VSW_MAX_PORTS; c = c->next)
		if (c->done)
			done[n++] = c;
	pthread_mutex_unlock(&d->capt->lock);
	for (unsigned int i = 0; i < n; i++)
		finish(d, done[i]);
}

void vsw_capture_fini(struct vsw_daemon *d)
{
	struct vsw_capture_thread *t = d->capt;

	if (!t)
		return;
	while (t->list)
		finish(d, t->list);
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->tid, NULL);
	pthread_mutex_destroy(&t->lock);
	free(t);
	d->capt = NULL;
}
