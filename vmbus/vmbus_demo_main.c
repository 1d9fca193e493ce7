/* hvnet-vmbus-demo: the main job at this stage. This process hosts the
 * VMBus for process partitions; it starts two partitions ("vnf-a" and
 * "vnf-b"), each a separate process with its own memfd memory, which
 * connect over the unix socket, receive the offer of a test device, build
 * a ring GPADL, open the channel and exchange packets with each other
 * through the host: a ping-pong for latency, then a stream for rate. Then
 * they close, unload and leave, and the host reports what it freed. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmbus/vmbus_sock.h"
#include "vmbus/vmbus_testdev.h"

#define RING_BYTES (256u * 1024u)

struct demo_opts {
	const char *sock;
	uint32_t pings;
	uint32_t stream;
	bool hugepages;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void guid_str(const struct vmbus_guid *g, char *out, size_t n)
{
	const uint8_t *b = g->b;

	/* The first three fields are little-endian on the wire. */
	snprintf(out, n, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}

static int send_one(struct vmbus_ppart *p, struct vmbus_client_channel *ch,
		    const void *data, uint32_t len, uint64_t id)
{
	struct vmbus_sg sg = { data, len };
	struct vmbus_pkt_out o = { .type = VMBUS_PKT_DATA_INBAND, .trans_id = id,
				   .sg = &sg, .nsg = 1 };
	int rc;

	while ((rc = vmbus_ring_put(&ch->tx, &o)) == -EAGAIN) {
		uint32_t need = vmbus_ring_pkt_footprint(0, len);

		/* Full: publish what we have, ask the host to signal once
		 * there is room, re-check (it may have drained already),
		 * then sleep until it does. */
		if (vmbus_ring_write_commit(&ch->tx))
			vmbus_client_channel_signal(&p->client, ch);
		vmbus_ring_set_pending_send(&ch->tx, need);
		if (vmbus_ring_bytes_free(&ch->tx) <= need)
			vmbus_ppart_wait_event(p, 100);
		vmbus_ring_set_pending_send(&ch->tx, 0);
	}
	if (rc < 0)
		return rc;
	if (vmbus_ring_write_commit(&ch->tx))
		return vmbus_client_channel_signal(&p->client, ch);
	return 0;
}

/* Waits (event mode: host interrupt, then event flag) for one packet. */
static int recv_one(struct vmbus_ppart *p, struct vmbus_client_channel *ch,
		    void *buf, uint32_t *len, double deadline)
{
	struct vmbus_pkt pkt;
	int err;

	for (;;) {
		if (vmbus_ring_read_burst(&ch->rx, &pkt, 1, &err) == 1) {
			*len = HVN_MIN(vmbus_pkt_payload_len(&pkt), *len);
			memcpy(buf, vmbus_pkt_payload(&pkt), *len);
			if (vmbus_ring_read_commit(&ch->rx))
				vmbus_client_channel_signal(&p->client, ch);
			return 0;
		}
		if (err < 0)
			return err;
		if (now_s() > deadline)
			return -ETIMEDOUT;
		/* Unmask, re-check, then sleep until the host signals. */
		if (vmbus_ring_unmask(&ch->rx) == 0)
			vmbus_ppart_wait_event(p, 100);
	}
}

static int partition(const struct demo_opts *o, int id)
{
	static const struct vmbus_guid guid = VMBUS_TESTDEV_GUID_INIT;
	const char *name = id == 0 ? "vnf-a" : "vnf-b";
	struct vmbus_ppart *p = calloc(1, sizeof(*p));
	struct vmbus_client_channel ch;
	struct vmbus_client_offer *off;
	double *lat, t0, t1;
	char gs[40], msg[64];
	uint32_t gpadl, i, len;
	int rc;

	rc = vmbus_ppart_create(p, o->sock, name, 16u << 20, o->hugepages);
	if (rc < 0) {
		fprintf(stderr, "%s: cannot reach the VMBus host at %s: %s\n", name, o->sock, strerror(-rc));
		return 1;
	}
	rc = vmbus_ppart_connect(p, 0, 5000);
	if (rc < 0) {
		fprintf(stderr, "%s: VMBus connection failed: %s\n", name, strerror(-rc));
		return 1;
	}
	off = vmbus_client_find_offer(&p->client, &guid, 0);
	if (off == NULL) {
		fprintf(stderr, "%s: the host offered no test device\n", name);
		return 1;
	}
	guid_str(&off->msg.if_type, gs, sizeof(gs));
	printf("%s: memory 16 MiB memfd%s, VMBus %u.%u after %llu attempt(s), offer {%s} relid %u\n",
	       name, o->hugepages ? " (hugepages asked)" : "", p->client.version >> 16,
	       p->client.version & 0xffff, (unsigned long long)p->client.stats.version_attempts,
	       gs, off->msg.child_relid);
	rc = vmbus_ppart_open(p, off, RING_BYTES, &ch, &gpadl, 5000);
	if (rc < 0) {
		fprintf(stderr, "%s: channel open failed: %s\n", name, strerror(-rc));
		return 1;
	}
	printf("%s: channel open, ring GPADL %#x (%u pages), 2 x %u KiB rings\n", name, gpadl,
	       2 * RING_BYTES / 4096, RING_BYTES / 1024);

	/* Ping-pong: vnf-a asks, vnf-b answers; each hop crosses the host. */
	lat = calloc(o->pings, sizeof(*lat));
	for (i = 0; i < o->pings; i++) {
		len = sizeof(msg);
		if (id == 0) {
			t0 = now_s();
			snprintf(msg, sizeof(msg), "ping %u from vnf-a", i);
			rc = send_one(p, &ch, msg, (uint32_t)strlen(msg) + 1, i);
			if (rc == 0)
				rc = recv_one(p, &ch, msg, &len, t0 + 5);
			lat[i] = (now_s() - t0) * 1e6;
		} else {
			rc = recv_one(p, &ch, msg, &len, now_s() + 5);
			if (rc == 0) {
				msg[sizeof(msg) - 1] = '\0';
				if (i == 0)
					printf("vnf-b: first packet: \"%s\"\n", msg);
				memcpy(msg, "pong", 4);
				rc = send_one(p, &ch, msg, len, i);
			}
		}
		if (rc < 0) {
			fprintf(stderr, "%s: ping-pong %u failed: %s\n", name, i, strerror(-rc));
			return 1;
		}
	}
	if (id == 0) {
		qsort(lat, o->pings, sizeof(*lat), cmp_double);
		printf("vnf-a: last answer \"%s\"; %u round trips through the host, "
		       "median %.1f us, 99th %.1f us (event mode: doorbells and interrupts)\n",
		       msg, o->pings, lat[o->pings / 2], lat[o->pings * 99 / 100]);
	}
	free(lat);

	/* Stream: vnf-a sends numbered 64-byte packets, vnf-b checks them. */
	t0 = now_s();
	if (id == 0) {
		uint8_t pl[64] = { 0 };

		for (i = 0; i < o->stream; i++) {
			memcpy(pl, &i, sizeof(i));
			if ((rc = send_one(p, &ch, pl, sizeof(pl), i)) < 0)
				break;
		}
	} else {
		uint8_t pl[64];
		uint32_t seq;

		for (i = 0; i < o->stream; i++) {
			len = sizeof(pl);
			if ((rc = recv_one(p, &ch, pl, &len, t0 + 30)) < 0)
				break;
			memcpy(&seq, pl, sizeof(seq));
			if (seq != i) {
				fprintf(stderr, "vnf-b: packet %u out of order (got %u)\n", i, seq);
				return 1;
			}
		}
		t1 = now_s();
		if (rc == 0)
			printf("vnf-b: stream of %u packets of 64 B from vnf-a through the host, "
			       "all in order, %.2f Mpps in event mode (bench/run vmbus-ring "
			       "measures the raw ring in poll mode)\n",
			       o->stream, o->stream / (t1 - t0) / 1e6);
	}
	if (rc < 0) {
		fprintf(stderr, "%s: stream failed: %s\n", name, strerror(-rc));
		return 1;
	}
	/* vnf-a leaves only after vnf-b confirmed, so nothing is in flight. */
	if (id == 1)
		send_one(p, &ch, "done", 5, 0);
	else {
		len = sizeof(msg);
		recv_one(p, &ch, msg, &len, now_s() + 30);
	}
	rc = vmbus_ppart_close(p, &ch, gpadl, 5000);
	if (rc == 0)
		rc = vmbus_client_unload(&p->client);
	while (rc == 0 && p->client.state != VMBUS_CLIENT_UNLOADED)
		rc = vmbus_ppart_poll(p, 5000) > 0 ? 0 : -ETIMEDOUT;
	printf("%s: channel closed, GPADL torn down, VMBus unloaded%s\n", name,
	       rc == 0 ? "" : " (with errors)");
	vmbus_ppart_destroy(p);
	free(p);
	return rc == 0 ? 0 : 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: hvnet-vmbus-demo [--socket PATH] [--pings N] [--stream N] [--hugepages]\n"
		   "Hosts a VMBus, starts two process partitions that open a channel each to\n"
		   "a paired test device and exchange packets, and prints what happened.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "pings", required_argument, NULL, 'p' },
		{ "stream", required_argument, NULL, 'n' },
		{ "hugepages", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct demo_opts o = { .sock = "/tmp/hvnet-vmbus-demo.sock", .pings = 10000,
			       .stream = 1000000 };
	struct vmbus_testdev_host host = { .pair = true };
	const struct vmbus_sock_server_stats *st;
	struct vmbus_sock_server *srv;
	pid_t kids[2];
	int c, rc, i, failed = 0, status;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 's': o.sock = optarg; break;
		case 'p': o.pings = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'n': o.stream = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'H': o.hugepages = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (o.pings == 0 || o.pings > 10000000 || o.stream > 100000000) {
		fprintf(stderr, "hvnet-vmbus-demo: --pings must be 1..10000000 and --stream at most 100000000\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	rc = vmbus_sock_server_create(o.sock, 64, vmbus_testdev_host_ops(), &host, &srv);
	if (rc < 0) {
		fprintf(stderr, "hvnet-vmbus-demo: cannot listen on %s: %s (is another demo running? pass --socket)\n",
			o.sock, strerror(-rc));
		return 1;
	}
	st = vmbus_sock_server_get_stats(srv);
	printf("host: VMBus server for process partitions on %s (versions 2.4 to 5.3)\n", o.sock);
	for (i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] < 0) {
			perror("hvnet-vmbus-demo: fork");
			return 1;
		}
		if (kids[i] == 0)
			_exit(partition(&o, i));
		/* Pair in a known order: vnf-a first. */
		while (st->accepted + st->rejected < (uint64_t)i + 1)
			if (vmbus_sock_server_poll(srv, 1000) < 0)
				break;
	}
	printf("host: partitions vnf-a and vnf-b connected; their test devices are paired\n");
	for (i = 0; i < 2; i++) {
		while ((rc = waitpid(kids[i], &status, WNOHANG)) == 0)
			vmbus_sock_server_poll(srv, 10);
		if (rc < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	}
	while (st->partitions != 0 && vmbus_sock_server_poll(srv, 100) >= 0)
		;
	printf("host: %llu partitions served and departed, %llu refused, %llu bad frames; "
	       "every channel, GPADL, mapping and descriptor they held is freed\n",
	       (unsigned long long)st->departed, (unsigned long long)st->rejected,
	       (unsigned long long)st->bad_frames);
	vmbus_sock_server_destroy(srv);
	if (failed) {
		fprintf(stderr, "hvnet-vmbus-demo: %d partition(s) failed; see their messages above\n", failed);
		return 1;
	}
	printf("demo: ok\n");
	return 0;
}
