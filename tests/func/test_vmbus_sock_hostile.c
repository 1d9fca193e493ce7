/* Hostile process partitions against the socket transport: bad HELLOs,
 * memory the host could be made to fault on, descriptors smuggled into
 * frames, malformed frames, and a partition that never reads its socket.
 * Each is turned away or counted, leaks no descriptor in the host, and a
 * well-behaved partition keeps being served throughout. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/harness/hvn_test.h"
#include "vmbus/vmbus_sock.h"
#include "vmbus/vmbus_testdev.h"

static struct vmbus_sock_server *srv;
static char path[64];

static int raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	T_ASSERT(s >= 0);
	T_EQ(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return s;
}

static void raw_send(int s, uint32_t kind, uint32_t arg, const void *pl, uint32_t len,
		     uint32_t claimed_len, const int *fds, int nfds)
{
	uint8_t buf[512];
	struct vmbus_sock_frame h = { .kind = kind, .arg = arg, .len = claimed_len };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(4 * sizeof(int))];
	} cm;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(h) + len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	memcpy(buf, &h, sizeof(h));
	if (len != 0)
		memcpy(buf + sizeof(h), pl, len);
	if (nfds > 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.b;
		mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(&cm.h), fds, (size_t)nfds * sizeof(int));
	}
	T_ASSERT(sendmsg(s, &mh, MSG_NOSIGNAL) >= 0);
}

static void serve(int ms)
{
	int i;

	for (i = 0; i < ms / 5; i++)
		T_ASSERT(vmbus_sock_server_poll(srv, 5) >= 0);
}

/* True once the host closed its end of s. */
static bool host_hung_up(int s)
{
	uint8_t b[512];
	ssize_t n;

	serve(50);
	while ((n = recv(s, b, sizeof(b), MSG_DONTWAIT)) > 0)
		;
	/* EOF, or a reset when the host closed with our frames unread. */
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

static int make_memfd(uint64_t size, unsigned int seals)
{
	int fd = memfd_create("hostile", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	T_ASSERT(fd >= 0);
	T_EQ(ftruncate(fd, (off_t)size), 0);
	if (seals != 0)
		T_EQ(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

static struct vmbus_sock_hello hello(uint64_t mem, uint64_t event_gpa)
{
	struct vmbus_sock_hello h = { .magic = VMBUS_SOCK_MAGIC, .proto = VMBUS_SOCK_PROTO,
				      .mem_size = mem, .event_page_gpa = event_gpa };

	snprintf(h.name, sizeof(h.name), "hostile");
	return h;
}

/* Sends a HELLO and expects the host to turn the partition away. */
static void expect_rejected(const char *what, struct vmbus_sock_hello h, int memfd, int irq,
			    uint32_t claimed_len, int nfds)
{
	const struct vmbus_sock_server_stats *st = vmbus_sock_server_get_stats(srv);
	uint64_t before = st->rejected + st->bad_frames;
	int s = raw_connect(), fds[2] = { memfd, irq };

	raw_send(s, VMBUS_SOCK_HELLO, 0, &h, sizeof(h), claimed_len, fds, nfds);
	if (!host_hung_up(s))
		T_FAIL("host kept a partition whose HELLO had %s", what);
	T_ASSERT(st->rejected + st->bad_frames > before);
	T_EQ(st->partitions, 0);
	close(s);
	printf("ok - refused: %s\n", what);
}

static void test_bad_hellos(void)
{
	uint64_t mem = 1u << 20;
	int good = make_memfd(mem, F_SEAL_SHRINK | F_SEAL_GROW);
	int loose = make_memfd(mem, 0);
	int small = make_memfd(mem / 2, F_SEAL_SHRINK);
	int irq = eventfd(0, EFD_CLOEXEC);
	int pipefd[2];
	struct vmbus_sock_hello h = hello(mem, 0);

	T_EQ(pipe(pipefd), 0);
	expect_rejected("a memfd that can shrink under the host's mapping", h, loose, irq,
			sizeof(h), 2);
	expect_rejected("a memfd smaller than announced", h, small, irq, sizeof(h), 2);
	expect_rejected("a pipe instead of an eventfd", h, good, pipefd[1], sizeof(h), 2);
	expect_rejected("a plain file instead of a memfd", h, pipefd[0], irq, sizeof(h), 2);
	expect_rejected("one descriptor instead of two", h, good, irq, sizeof(h), 1);
	h = hello(mem, mem);
	expect_rejected("an event page outside its memory", h, good, irq, sizeof(h), 2);
	h = hello(mem, 100);
	expect_rejected("an unaligned event page", h, good, irq, sizeof(h), 2);
	h = hello(mem + 100, 0);
	expect_rejected("a memory size that is not whole pages", h, good, irq, sizeof(h), 2);
	h = hello(1ull << 50, 0);
	expect_rejected("a petabyte of memory", h, good, irq, sizeof(h), 2);
	h = hello(mem, 0);
	h.magic ^= 1;
	expect_rejected("a wrong magic", h, good, irq, sizeof(h), 2);
	h = hello(mem, 0);
	expect_rejected("a length field that disagrees with the datagram", h, good, irq,
			sizeof(h) + 8, 2);
	{
		int s = raw_connect();

		raw_send(s, VMBUS_SOCK_POST, 1, "x", 1, 1, NULL, 0);
		T_ASSERT(host_hung_up(s));
		close(s);
		printf("ok - refused: a POST before HELLO\n");
	}
	close(good);
	close(loose);
	close(small);
	close(irq);
	close(pipefd[0]);
	close(pipefd[1]);
}

/* A partition that is accepted, then misbehaves on its socket. */
static void test_bad_frames(void)
{
	const struct vmbus_sock_server_stats *st = vmbus_sock_server_get_stats(srv);
	uint64_t mem = 1u << 20;
	int memfd = make_memfd(mem, F_SEAL_SHRINK), irq = eventfd(0, EFD_CLOEXEC);
	int fds[2] = { memfd, irq }, extra[3], s, fds_before, i;
	struct vmbus_sock_hello h = hello(mem, 0);
	uint64_t bad;
	uint8_t b[512];

	s = raw_connect();
	raw_send(s, VMBUS_SOCK_HELLO, 0, &h, sizeof(h), sizeof(h), fds, 2);
	serve(50);
	T_EQ(st->partitions, 1);
	T_ASSERT(recv(s, b, sizeof(b), MSG_DONTWAIT) > 0);   /* WELCOME */
	/* Descriptors smuggled into POSTs are closed, not kept. */
	for (i = 0; i < 3; i++)
		extra[i] = eventfd(0, EFD_CLOEXEC);
	fds_before = hvn_test_count_fds();
	bad = st->bad_frames;
	for (i = 0; i < 50; i++)
		raw_send(s, VMBUS_SOCK_POST, 1, "\x03\0\0\0\0\0\0\0", 8, 8, extra, 3);
	/* Frames a partition may not send, and lengths that lie. */
	raw_send(s, VMBUS_SOCK_WELCOME, 0, NULL, 0, 0, NULL, 0);
	raw_send(s, VMBUS_SOCK_DOORBELL, 0, NULL, 0, 0, NULL, 0);
	raw_send(s, 999, 0, NULL, 0, 0, NULL, 0);
	raw_send(s, VMBUS_SOCK_POST, 1, "abcd", 4, 200, NULL, 0);
	raw_send(s, VMBUS_SOCK_POST, 1, "ab", 0, 0, NULL, 0);
	serve(100);
	T_EQ(st->bad_frames, bad + 50 + 4);
	T_EQ(hvn_test_count_fds(), fds_before);
	T_EQ(st->partitions, 1);   /* counted and dropped, not fatal */
	for (i = 0; i < 3; i++)
		close(extra[i]);
	close(s);
	serve(50);
	T_EQ(st->partitions, 0);
	close(memfd);
	close(irq);
	printf("ok - smuggled descriptors closed, bad frames counted\n");
}

/* A partition that floods requests and never reads the answers is cut off
 * when its queue fills; a partition served alongside never notices. */
static void test_never_reads(void)
{
	const struct vmbus_sock_server_stats *st = vmbus_sock_server_get_stats(srv);
	struct vmbus_ppart *good = calloc(1, sizeof(*good));
	uint64_t mem = 1u << 20, departed;
	int memfd = make_memfd(mem, F_SEAL_SHRINK), irq = eventfd(0, EFD_CLOEXEC);
	int fds[2] = { memfd, irq }, s, i, one = 4096;
	struct vmbus_sock_hello h = hello(mem, 0);
	struct vmbus_msg_hdr ro = { .msgtype = VMBUS_MSG_UNLOAD };
	pid_t kid;
	int status;

	s = raw_connect();
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
	raw_send(s, VMBUS_SOCK_HELLO, 0, &h, sizeof(h), sizeof(h), fds, 2);
	serve(20);
	departed = st->departed;

	/* The well-behaved partition runs in a child and must finish. */
	kid = fork();
	T_ASSERT(kid >= 0);
	if (kid == 0) {
		alarm(30);
		if (vmbus_ppart_create(good, path, "good", 4u << 20, false) < 0 ||
		    vmbus_ppart_connect(good, 0, 10000) < 0)
			_exit(1);
		_exit(good->client.offers_done ? 0 : 1);
	}
	/* Each UNLOAD is answered with two frames the flooder never reads. */
	fcntl(s, F_SETFL, O_NONBLOCK);
	/* Until both have left: the good one done, the flooder cut off. */
	for (i = 0; i < 200000 && st->departed < departed + 2; i++) {
		uint8_t buf[64];
		struct vmbus_sock_frame fr = { .kind = VMBUS_SOCK_POST, .arg = 1, .len = 8 };

		memcpy(buf, &fr, sizeof(fr));
		memcpy(buf + sizeof(fr), &ro, sizeof(ro));
		send(s, buf, sizeof(fr) + 8, MSG_DONTWAIT | MSG_NOSIGNAL);
		T_ASSERT(vmbus_sock_server_poll(srv, 0) >= 0);
	}
	while (waitpid(kid, &status, WNOHANG) == 0)
		T_ASSERT(vmbus_sock_server_poll(srv, 5) >= 0);
	T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	T_EQ(st->departed, departed + 2);
	T_ASSERT(host_hung_up(s));
	close(s);
	close(memfd);
	close(irq);
	free(good);
	printf("ok - a partition that never reads is cut off; another is served meanwhile\n");
}

int main(void)
{
	struct vmbus_testdev_host host = { .pair = false };
	int idle, rc;

	alarm(120);
	signal(SIGPIPE, SIG_IGN);
	snprintf(path, sizeof(path), "/tmp/hvnet-hostile-%d.sock", (int)getpid());
	rc = vmbus_sock_server_create(path, 8, vmbus_testdev_host_ops(), &host, &srv);
	if (rc < 0)
		T_FAIL("server: %s", strerror(-rc));
	idle = hvn_test_count_fds();
	test_bad_hellos();
	test_bad_frames();
	test_never_reads();
	serve(100);
	T_EQ(vmbus_sock_server_get_stats(srv)->partitions, 0);
	T_EQ(hvn_test_count_fds(), idle);
	vmbus_sock_server_destroy(srv);
	return 0;
}
