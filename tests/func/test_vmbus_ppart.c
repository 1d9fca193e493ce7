/* Two-process VMBus: this process hosts the VMBus server; two forked
 * process partitions connect over the unix socket with their memfds, open
 * a channel each to a paired test device and stream packets to each other
 * in event mode (doorbells and interrupts, no polling by the host). One
 * partition is killed mid-stream: the host must free everything it held
 * and the other partition must carry on. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/harness/hvn_test.h"
#include "vmbus/vmbus_sock.h"
#include "vmbus/vmbus_testdev.h"

#define N_PACKETS 200000u
#define RING_BYTES (64u * 1024u)

struct progress {
	_Atomic uint64_t received[2];
	_Atomic uint64_t from_peer[2];
	_Atomic uint64_t echoed[2];
};

struct payload {
	uint32_t sender;
	uint32_t seq;
	uint8_t fill[48];
};

/* One partition: sends N_PACKETS and receives until a stream is complete:
 * its peer's, or, once the peer is gone, its own echoed back up to its
 * last packet (what it sent to the dead peer is lost with the peer). */
static int partition_main(const char *path, uint32_t id, struct progress *pr)
{
	static const struct vmbus_guid guid = VMBUS_TESTDEV_GUID_INIT;
	struct vmbus_ppart *p = calloc(1, sizeof(*p));
	struct vmbus_client_channel ch;
	struct vmbus_client_offer *o;
	uint32_t gpadl, sent = 0, next_peer = 0, next_own = 0;
	uint64_t got = 0;
	char name[16];
	int rc;

	alarm(60);
	snprintf(name, sizeof(name), "part%u", id);
	rc = vmbus_ppart_create(p, path, name, 4u << 20, false);
	if (rc < 0)
		T_FAIL("%s: create: %s", name, strerror(-rc));
	rc = vmbus_ppart_connect(p, 0, 5000);
	if (rc < 0)
		T_FAIL("%s: connect: %s", name, strerror(-rc));
	o = vmbus_client_find_offer(&p->client, &guid, 0);
	T_ASSERT(o != NULL);
	rc = vmbus_ppart_open(p, o, RING_BYTES, &ch, &gpadl, 5000);
	if (rc < 0)
		T_FAIL("%s: open: %s", name, strerror(-rc));

	while (next_peer < N_PACKETS && next_own < N_PACKETS) {
		struct vmbus_pkt_out out[32];
		struct vmbus_sg sg[32];
		struct payload pl[32];
		struct vmbus_pkt in[32];
		unsigned int n, i, k = 0;
		bool sig;
		int err;

		for (i = 0; i < 32 && sent < N_PACKETS; i++, sent++) {
			memset(&pl[i], (int)id, sizeof(pl[i]));
			pl[i].sender = id;
			pl[i].seq = sent;
			sg[i].base = &pl[i];
			sg[i].len = sizeof(pl[i]);
			memset(&out[i], 0, sizeof(out[i]));
			out[i].type = VMBUS_PKT_DATA_INBAND;
			out[i].trans_id = sent;
			out[i].sg = &sg[i];
			out[i].nsg = 1;
		}
		n = vmbus_ring_write_burst(&ch.tx, out, i, &sig);
		sent -= i - n;
		if (sig)
			T_EQ(vmbus_client_channel_signal(&p->client, &ch), 0);
		k += n;

		n = vmbus_ring_read_burst(&ch.rx, in, 32, &err);
		T_EQ(err, 0);
		for (i = 0; i < n; i++) {
			struct payload rp;

			T_EQ(vmbus_pkt_payload_len(&in[i]), sizeof(rp));
			memcpy(&rp, vmbus_pkt_payload(&in[i]), sizeof(rp));
			/* Each stream arrives complete and in order. */
			if (rp.sender == id) {
				/* Echoes start where the peer's loss left the
				 * stream, then run without a gap. */
				if (atomic_load(&pr->echoed[id]) == 0)
					next_own = rp.seq;
				T_EQ(rp.seq, next_own);
				next_own++;
				atomic_fetch_add(&pr->echoed[id], 1);
			} else {
				T_EQ(rp.sender, 1 - id);
				T_EQ(rp.seq, next_peer);
				next_peer++;
				atomic_fetch_add(&pr->from_peer[id], 1);
			}
			T_EQ(rp.fill[0], (uint8_t)rp.sender);
		}
		got += n;
		atomic_store(&pr->received[id], got);
		if (vmbus_ring_read_commit(&ch.rx))
			T_EQ(vmbus_client_channel_signal(&p->client, &ch), 0);
		k += n;
		if (k == 0) {
			/* Nothing moved: sleep until the host signals. */
			if (vmbus_ring_unmask(&ch.rx) == 0)
				vmbus_ppart_wait_event(p, 10);
			vmbus_ppart_poll(p, 0);
		}
	}
	rc = vmbus_ppart_close(p, &ch, gpadl, 5000);
	if (rc < 0)
		T_FAIL("%s: close: %s", name, strerror(-rc));
	T_EQ(vmbus_client_unload(&p->client), 0);
	while (p->client.state != VMBUS_CLIENT_UNLOADED)
		T_ASSERT(vmbus_ppart_poll(p, 5000) > 0);
	vmbus_ppart_destroy(p);
	free(p);
	return 0;
}

int main(void)
{
	struct vmbus_testdev_host host = { .pair = true };
	struct vmbus_sock_server *srv;
	const struct vmbus_sock_server_stats *st;
	struct progress *pr;
	char path[64];
	pid_t kids[2];
	int rc, status, fds_idle, i;
	bool killed = false;

	alarm(120);
	signal(SIGPIPE, SIG_IGN);
	snprintf(path, sizeof(path), "/tmp/hvnet-ppart-%d.sock", (int)getpid());
	rc = vmbus_sock_server_create(path, 16, vmbus_testdev_host_ops(), &host, &srv);
	if (rc < 0)
		T_FAIL("server: %s", strerror(-rc));
	st = vmbus_sock_server_get_stats(srv);
	fds_idle = hvn_test_count_fds();
	pr = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(pr != MAP_FAILED);

	for (i = 0; i < 2; i++) {
		kids[i] = fork();
		T_ASSERT(kids[i] >= 0);
		if (kids[i] == 0) {
			/* The server's descriptors stay with the child unused:
			 * destroying it here would unlink the parent's socket. */
			_exit(partition_main(path, (uint32_t)i, pr));
		}
		/* Let the first partition connect first so both are paired. */
		while (st->accepted < (uint64_t)i + 1)
			T_ASSERT(vmbus_sock_server_poll(srv, 1000) >= 0);
	}

	/* Serve until partition 0 is half way, then kill it. */
	while (!killed) {
		T_ASSERT(vmbus_sock_server_poll(srv, 10) >= 0);
		if (atomic_load(&pr->from_peer[0]) >= N_PACKETS / 2 &&
		    atomic_load(&pr->from_peer[1]) >= N_PACKETS / 2) {
			kill(kids[0], SIGKILL);
			killed = true;
		}
	}
	T_EQ(waitpid(kids[0], &status, 0), kids[0]);
	T_ASSERT(WIFSIGNALED(status));
	while (st->departed < 1)
		T_ASSERT(vmbus_sock_server_poll(srv, 100) >= 0);
	T_EQ(st->partitions, 1);
	T_EQ(host.removed, 1);
	printf("partition 0 killed after %llu packets from its peer; host freed it\n",
	       (unsigned long long)atomic_load(&pr->from_peer[0]));

	/* The survivor finishes: the rest of its stream comes back echoed. */
	while (waitpid(kids[1], &status, WNOHANG) == 0)
		T_ASSERT(vmbus_sock_server_poll(srv, 10) >= 0);
	T_ASSERT(WIFEXITED(status));
	T_EQ(WEXITSTATUS(status), 0);
	T_ASSERT(atomic_load(&pr->from_peer[1]) >= N_PACKETS / 2);
	T_ASSERT(atomic_load(&pr->echoed[1]) > 0);
	while (st->departed < 2)
		T_ASSERT(vmbus_sock_server_poll(srv, 100) >= 0);
	printf("partition 1 received %llu from its peer and %llu echoed after the loss\n",
	       (unsigned long long)atomic_load(&pr->from_peer[1]),
	       (unsigned long long)atomic_load(&pr->echoed[1]));
	/* Every memfd, eventfd, mapping and socket of both is gone. */
	T_EQ(hvn_test_count_fds(), fds_idle);
	T_EQ(st->partitions, 0);
	T_EQ(st->bad_frames, 0);
	vmbus_sock_server_destroy(srv);
	munmap(pr, 4096);
	printf("ok - two process partitions, one killed mid-stream\n");
	return 0;
}
