/* Process partitions: a host process that is a partition. Its memory is a
 * sealed memfd, passed once to the VMBus host over a SOCK_SEQPACKET unix
 * socket; channel messages travel on that socket; doorbells are eventfds.
 *
 *   partition                               host (vmbus_sock_server)
 *   HELLO {mem size, event page GPA} + [memfd, irq eventfd]  ->
 *                                    <-     WELCOME
 *   POST {conn id, message}                 ->  vmbus_server_handle_msg
 *                                    <-     POST_STATUS {HV status}
 *                                    <-     MSG {message} ...   (SynIC slot)
 *                                    <-     DOORBELL {conn id} + [eventfd]
 *   write(doorbell eventfd)                 ->  vmbus_server_handle_signal
 *   event flags page bit + write(irq eventfd) <-  vmbus_channel_signal
 *
 * Only the doorbell differs from a KVM partition: there, messages are
 * HvPostMessage hypercalls and SynIC slots, doorbells are ioeventfds and
 * irqfds. Rings, GPADLs and messages are byte for byte the same. */
#ifndef VMBUS_SOCK_H
#define VMBUS_SOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "common/hvn_compiler.h"
#include "vmbus/vmbus_client.h"
#include "vmbus/vmbus_server.h"

#define VMBUS_SOCK_MAGIC 0x68764e42u   /* "hvNB" */
#define VMBUS_SOCK_PROTO 1u

enum vmbus_sock_kind {
	VMBUS_SOCK_HELLO = 1,
	VMBUS_SOCK_WELCOME = 2,
	VMBUS_SOCK_POST = 3,
	VMBUS_SOCK_POST_STATUS = 4,
	VMBUS_SOCK_MSG = 5,
	VMBUS_SOCK_DOORBELL = 6,
	VMBUS_SOCK_DOORBELL_GONE = 7,
};

/* One datagram: this header, then 'len' payload bytes. */
struct vmbus_sock_frame {
	uint32_t kind;
	uint32_t arg;       /* conn id, status */
	uint32_t len;
	uint32_t reserved;
} hvn_packed;
_Static_assert(sizeof(struct vmbus_sock_frame) == 16, "sock frame");

struct vmbus_sock_hello {
	uint32_t magic;
	uint32_t proto;
	uint64_t mem_size;        /* bytes of the memfd the partition uses */
	uint64_t event_page_gpa;  /* its SIEFP: one page of event flags */
	char name[32];            /* NUL-terminated */
} hvn_packed;
_Static_assert(sizeof(struct vmbus_sock_hello) == 56, "sock hello");

#define VMBUS_SOCK_MAX_PAYLOAD 256u
/* A partition's memory may not exceed this (the host maps all of it). */
#define VMBUS_SOCK_MAX_MEM (64ull << 30)

/* ---- Host side ---- */

struct vmbus_sock_server;
struct vmbus_sock_part;

struct vmbus_sock_server_ops {
	/* A partition connected; offer its devices on 's'. Return 0 or a
	 * negative errno to turn it away. */
	int (*partition_added)(void *ctx, struct vmbus_sock_part *p, struct vmbus_server *s);
	/* The partition left or was turned away; its server is destroyed
	 * right after this returns (devices get close and release first). */
	void (*partition_removed)(void *ctx, struct vmbus_sock_part *p);
};

struct vmbus_sock_server_stats {
	uint64_t accepted;
	uint64_t rejected;       /* bad HELLO, bad memfd, over the limit */
	uint64_t departed;
	uint64_t bad_frames;     /* malformed frames counted and dropped */
	uint32_t partitions;
};

/* Listen on 'path' (replaced if it exists, mode 0660) for at most
 * max_partitions partitions. */
int vmbus_sock_server_create(const char *path, unsigned int max_partitions,
			     const struct vmbus_sock_server_ops *ops, void *ctx,
			     struct vmbus_sock_server **out);
/* Handle whatever is ready, waiting up to timeout_ms (-1: forever).
 * Returns the number of events handled or a negative errno. */
int vmbus_sock_server_poll(struct vmbus_sock_server *srv, int timeout_ms);
/* The epoll fd, to nest in another loop. */
int vmbus_sock_server_fd(const struct vmbus_sock_server *srv);
const struct vmbus_sock_server_stats *vmbus_sock_server_get_stats(const struct vmbus_sock_server *srv);
void vmbus_sock_server_destroy(struct vmbus_sock_server *srv);

const char *vmbus_sock_part_name(const struct vmbus_sock_part *p);
struct vmbus_server *vmbus_sock_part_server(struct vmbus_sock_part *p);
const struct vmbus_mem *vmbus_sock_part_mem(const struct vmbus_sock_part *p);
void vmbus_sock_part_set_user(struct vmbus_sock_part *p, void *user);
void *vmbus_sock_part_user(const struct vmbus_sock_part *p);

/* ---- Partition side ---- */

#define VMBUS_PPART_MAX_DOORBELLS 64
#define VMBUS_PPART_QUEUE 64

struct vmbus_ppart {
	int sock;
	int memfd;
	int irq_fd;                 /* host signals us here */
	uint8_t *mem;
	uint64_t mem_size;
	uint64_t alloc_off;         /* bump allocator for rings and buffers */
	uint8_t *event_flags;       /* SINT 2 region of our event page */
	struct vmbus_client client;
	struct vmbus_client_transport transport;
	struct {
		uint32_t conn_id;
		int fd;
	} doorbells[VMBUS_PPART_MAX_DOORBELLS];
	/* Host messages that arrived while a POST waited for its status. */
	struct {
		uint32_t len;
		uint8_t msg[VMBUS_SOCK_MAX_PAYLOAD];
	} queue[VMBUS_PPART_QUEUE];
	unsigned int q_head, q_count;
	char name[32];
};

/* Create the partition's memory (hugepages if asked and available) and
 * connect to the host at 'path'. Does not start the VMBus handshake. */
int vmbus_ppart_create(struct vmbus_ppart *p, const char *path, const char *name,
		       uint64_t mem_size, bool hugepages);
void vmbus_ppart_destroy(struct vmbus_ppart *p);

/* Page-aligned memory inside the partition; *gpa gets its address. */
void *vmbus_ppart_alloc(struct vmbus_ppart *p, uint64_t bytes, uint64_t *gpa);

/* Receive and handle host frames for up to timeout_ms. Returns the number
 * handled, 0 on timeout, -ECONNRESET when the host went away. */
int vmbus_ppart_poll(struct vmbus_ppart *p, int timeout_ms);

/* Connect (versions newest first), request offers and wait for all of
 * them, within timeout_ms. */
int vmbus_ppart_connect(struct vmbus_ppart *p, uint32_t max_version, int timeout_ms);

/* Open the offered channel 'o' with rings of ring_bytes each way. */
int vmbus_ppart_open(struct vmbus_ppart *p, const struct vmbus_client_offer *o,
		     uint32_t ring_bytes, struct vmbus_client_channel *ch,
		     uint32_t *gpadl, int timeout_ms);
/* Describe [gpa, gpa + bytes) of our memory as a GPADL for channel
 * 'relid' (a buffer handed to a device) and wait until the host took it. */
int vmbus_ppart_gpadl(struct vmbus_ppart *p, uint32_t relid, uint64_t gpa, uint64_t bytes,
		      uint32_t *handle, int timeout_ms);
/* Close it and tear its ring GPADL down. */
int vmbus_ppart_close(struct vmbus_ppart *p, struct vmbus_client_channel *ch,
		      uint32_t gpadl, int timeout_ms);

/* Wait up to timeout_ms for the host to signal; returns the first relid
 * whose event flag was set (flags are cleared), 0 on timeout. */
int vmbus_ppart_wait_event(struct vmbus_ppart *p, int timeout_ms);

#endif /* VMBUS_SOCK_H */
