/* vswitchctl: the operator's CLI for hvnet's virtual switches. Parses the
 * command line locally (vsw_ctl.c; a bad one exits 2 and vswitchd never
 * hears of it), sends one request to vswitchd's control socket, and prints
 * the reply as text or JSON.
 *
 * Exit status: 0 done, 1 refused (vswitchd says why), 2 usage, 3 vswitchd
 * cannot be reached or did not answer. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vswitch/vsw_ctl.h"

#ifndef HVNET_VERSION
#define HVNET_VERSION "unknown"
#endif

static int die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vswitchctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return status;
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, e;

	if (strlen(path) >= sizeof(a.sun_path)) {
		die(0, "socket path %s is too long for a unix socket", path);
		return -1;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		die(0, "cannot make a socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		return fd;
	e = errno;
	close(fd);
	switch (e) {
	case ENOENT:
		die(0, "no vswitchd socket at %s: is vswitchd running? Start it "
		    "(hvnet-vswitchd), or point vswitchctl at its socket with --socket or $%s",
		    path, VSW_CTL_SOCKET_ENV);
		break;
	case EACCES:
	case EPERM:
		die(0, "permission denied on %s: changing the switch needs the socket's owner "
		    "or group (see ls -l %s); run as root or as a member of that group",
		    path, path);
		break;
	case ECONNREFUSED:
		die(0, "nothing listens on %s (a stale socket): start vswitchd", path);
		break;
	default:
		die(0, "cannot connect to vswitchd at %s: %s", path, strerror(e));
		break;
	}
	return -1;
}

/* The request line, with the capture file's descriptor attached. */
static int send_request(int fd, const char *buf, size_t len, int pass_fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	size_t off = 0;

	while (off < len) {
		struct iovec iov = { (void *)(buf + off), len - off };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		if (pass_fd >= 0 && off == 0) {
			struct cmsghdr *h;

			memset(&cm, 0, sizeof(cm));
			msg.msg_control = cm.b;
			msg.msg_controllen = sizeof(cm.b);
			h = CMSG_FIRSTHDR(&msg);
			h->cmsg_level = SOL_SOCKET;
			h->cmsg_type = SCM_RIGHTS;
			h->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(h), &pass_fd, sizeof(int));
		}
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -errno;
		off += (size_t)n;
	}
	return 0;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* One reply line into *out (NUL-terminated, newline dropped). */
static int read_reply(int fd, unsigned int timeout_s, char **out, size_t *len)
{
	long long deadline = now_ms() + (long long)timeout_s * 1000;
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);

	if (buf == NULL)
		return die(VSW_EXIT_UNREACHABLE, "out of memory");
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		char *nl;
		ssize_t r;
		int pr;

		if (timeout_s != 0 && left <= 0) {
			free(buf);
			return die(VSW_EXIT_UNREACHABLE, "vswitchd did not answer within %u s; it "
				   "may be busy or hung (its log says more); --timeout waits longer",
				   timeout_s);
		}
		pr = poll(&p, 1, timeout_s != 0 ? (int)left : -1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue;
		if (cap - n < 4096) {
			char *nb;

			if (cap >= VSW_CTL_MAX_REPLY) {
				free(buf);
				return die(VSW_EXIT_UNREACHABLE, "vswitchd's reply is longer than "
					   "%u bytes", VSW_CTL_MAX_REPLY);
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				return die(VSW_EXIT_UNREACHABLE, "out of memory");
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			return die(VSW_EXIT_UNREACHABLE, r < 0 ? "reading vswitchd's reply failed"
							      : "vswitchd closed the connection "
								"without answering (did it stop? "
								"see its log)");
		}
		nl = memchr(buf + n, '\n', (size_t)r);
		n += (size_t)r;
		if (nl != NULL) {
			*nl = '\0';
			*out = buf;
			*len = (size_t)(nl - buf);
			return 0;
		}
	}
}

static int open_capture(const char *file)
{
	int fd;

	if (strcmp(file, "-") == 0)
		fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	else
		fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(0, "cannot open %s for the capture: %s", file, strerror(errno));
	return fd;
}

int main(int argc, char **argv)
{
	struct vsw_cli cli;
	struct vsw_ctl_reply reply;
	struct vsw_jw w;
	const char *path;
	char why[1024], *line = NULL;
	size_t len = 0;
	int fd, cap_fd = -1, rc, status;

	if (vsw_cli_parse(argc - 1, argv + 1, &cli, why, sizeof(why)) < 0)
		return die(VSW_EXIT_USAGE, "%s", why);
	if (cli.version) {
		printf("vswitchctl (hvnet) %s, protocol %d\n", HVNET_VERSION,
		       VSW_CTL_PROTO_VERSION);
		return VSW_EXIT_OK;
	}
	if (cli.help != VSW_HELP_NONE) {
		vsw_cli_print_help(stdout, &cli);
		return VSW_EXIT_OK;
	}
	path = cli.socket;
	if (path == NULL)
		path = getenv(VSW_CTL_SOCKET_ENV);
	if (path == NULL || path[0] == '\0')
		path = VSW_CTL_DEFAULT_SOCKET;
	if (cli.capture_file != NULL) {
		cap_fd = open_capture(cli.capture_file);
		if (cap_fd < 0)
			return VSW_EXIT_USAGE;
	}
	vsw_jw_init(&w);
	vsw_ctl_encode_request(&cli.req, &w);
	vsw_change_fini(&cli.req);
	if (w.err != 0)
		return die(VSW_EXIT_USAGE, "cannot encode the request: out of memory");
	fd = connect_to(path);
	if (fd < 0) {
		vsw_jw_free(&w);
		return VSW_EXIT_UNREACHABLE;
	}
	/* The newline ends the request (it replaces the writer's NUL, which
	 * has room for it); vswitchd answers the line. */
	w.buf[w.len] = '\n';
	rc = send_request(fd, w.buf, w.len + 1, cap_fd);
	vsw_jw_free(&w);
	if (cap_fd >= 0)
		close(cap_fd);
	if (rc < 0) {
		close(fd);
		return die(VSW_EXIT_UNREACHABLE, "sending to vswitchd at %s failed: %s", path,
			   strerror(-rc));
	}
	status = read_reply(fd, cli.timeout_s, &line, &len);
	close(fd);
	if (status != 0)
		return status;
	if (vsw_ctl_decode_reply(line, len, cli.req.op, &reply, why, sizeof(why)) < 0) {
		free(line);
		return die(VSW_EXIT_UNREACHABLE, "vswitchd's reply makes no sense (%s); is it "
			   "the same hvnet version as this vswitchctl?", why);
	}
	if (cli.format == VSW_FMT_JSON)
		printf("%s\n", line);
	else if (reply.ok)
		vsw_ctl_print_text(stdout, &cli.req, &reply);
	status = reply.ok ? VSW_EXIT_OK : VSW_EXIT_REFUSED;
	if (!reply.ok)
		die(0, "%s", reply.why);
	vsw_ctl_reply_free(&reply);
	free(line);
	if (fflush(stdout) != 0)
		return die(VSW_EXIT_REFUSED, "writing the output failed: %s", strerror(errno));
	return status;
}
