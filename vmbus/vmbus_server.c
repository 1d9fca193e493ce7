/* The per-partition VMBus server: version negotiation, offers, GPADLs,
 * open/close, rescind, unload. Messages are dispatched from one table that
 * carries each type's minimum size and the state it needs, after the
 * message was copied out of the partition's reach (vmbus_drv.c
 * vmbus_on_msg_dpc does the same on the guest side). */
#include "vmbus/vmbus_server.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hvn_compiler.h"
#include "vmbus/vmbus_priv.h"

/* A failure status for OPEN_RESULT and GPADL_CREATED. Linux only tests
 * for non-zero; Hyper-V uses NTSTATUS values, this is STATUS_UNSUCCESSFUL. */
#define VMBUS_STATUS_FAIL 0xC0000001u

/* Logging of guest-caused errors is rate limited: a hostile partition must
 * not be able to flood the host's log. */
#define LOG_FIRST_N 16u
#define LOG_EVERY_N 4096u

const uint32_t vmbus_supported_versions[] = {
	VMBUS_VERSION_WIN10_5_3, VMBUS_VERSION_WIN10_5_2, VMBUS_VERSION_WIN10_5_1,
	VMBUS_VERSION_WIN10_5, VMBUS_VERSION_WIN10_4_1, VMBUS_VERSION_WIN10,
	VMBUS_VERSION_WIN8_1, VMBUS_VERSION_WIN8, 0,
};

enum chan_state {
	CH_OFFERED,     /* registered; sent to the guest once it asks */
	CH_OPEN,
	CH_RESCINDED,   /* RESCIND sent, waiting for RELID_RELEASED */
};

struct vmbus_channel {
	struct vmbus_server *s;
	uint32_t relid;
	uint32_t conn_id;
	uint32_t target_vp;
	enum chan_state state;
	bool sent;               /* the guest has seen the offer */
	bool faulted;            /* closed on the host side after a ring fault */
	struct vmbus_offer_params offer;
	const struct vmbus_device_ops *ops;
	void *dev;
	struct vmbus_gpadl *ring_gpadl;
	struct vmbus_mem_view view;
	struct vmbus_ring rx;    /* guest to host */
	struct vmbus_ring tx;    /* host to guest */
	uint8_t *scratch;
	uint32_t scratch_size;
	void *tdata;
};

enum srv_state {
	SRV_DISCONNECTED,
	SRV_CONNECTED,
};

struct vmbus_server {
	char name[32];
	struct vmbus_server_config cfg;
	const struct vmbus_mem *mem;
	const struct vmbus_server_transport *t;
	void *tctx;
	enum srv_state state;
	bool offers_requested;
	bool dead;
	uint32_t target_vcpu;
	struct vmbus_channel **chans;   /* indexed by relid; [0] unused */
	struct vmbus_gpadl_set gpadls;
	/* Taken where the set changes and by vmbus_server_gpadl_map(), which
	 * device workers call from their own threads. */
	pthread_mutex_t gpadl_lock;
	struct vmbus_server_stats st;
};

static void srv_log(const struct vmbus_server *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void srv_log(const struct vmbus_server *s, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vmbus[%s]: ", s->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Counts a protocol error the partition caused and logs it, rate limited. */
static void proto_err(struct vmbus_server *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void proto_err(struct vmbus_server *s, const char *fmt, ...)
{
	uint64_t n = ++s->st.proto_errors;
	char buf[192];
	va_list ap;

	if (n > LOG_FIRST_N && n % LOG_EVERY_N != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	srv_log(s, "protocol error #%llu: %s", (unsigned long long)n, buf);
}

static void post(struct vmbus_server *s, void *msg, uint32_t len, uint32_t type)
{
	struct vmbus_msg_hdr *h = msg;

	if (s->dead)
		return;
	h->msgtype = type;
	h->padding = 0;
	if (s->t->post(s->tctx, msg, len) < 0) {
		srv_log(s, "partition unreachable; stopping its VMBus");
		s->dead = true;
		return;
	}
	s->st.msgs_out++;
}

static struct vmbus_channel *chan_get(struct vmbus_server *s, uint32_t relid)
{
	if (relid == 0 || relid > s->cfg.max_channels)
		return NULL;
	return s->chans[relid];
}

/* ---- Channel lifetime ---- */

static void chan_unmap(struct vmbus_channel *ch)
{
	if (ch->ring_gpadl != NULL)
		ch->ring_gpadl->ring_user = NULL;
	ch->ring_gpadl = NULL;
	vmbus_mem_unmap(&ch->view);
	memset(&ch->rx, 0, sizeof(ch->rx));
	memset(&ch->tx, 0, sizeof(ch->tx));
}

/* Host-side close: the device stops first, then the doorbell and the ring
 * mapping go. Called for guest CLOSE, teardown of a ring in use, rescind,
 * unload, reconnect and partition exit. */
static void chan_close(struct vmbus_channel *ch)
{
	struct vmbus_server *s = ch->s;

	if (ch->state != CH_OPEN)
		return;
	ch->ops->close(ch->dev, ch);
	if (!ch->faulted) {
		if (s->t->doorbell_del != NULL)
			s->t->doorbell_del(s->tctx, ch, ch->conn_id);
		chan_unmap(ch);
	}
	ch->faulted = false;
	ch->state = CH_OFFERED;
	s->st.channels_open--;
}

static void chan_free(struct vmbus_channel *ch)
{
	struct vmbus_server *s = ch->s;

	chan_close(ch);
	if (ch->ops->release != NULL)
		ch->ops->release(ch->dev, ch);
	s->chans[ch->relid] = NULL;
	s->st.offers--;
	free(ch->scratch);
	free(ch);
}

static void send_offer(struct vmbus_server *s, struct vmbus_channel *ch)
{
	struct vmbus_msg_offer m;

	memset(&m, 0, sizeof(m));
	m.if_type = ch->offer.if_type;
	m.if_instance = ch->offer.if_instance;
	m.chn_flags = ch->offer.chn_flags;
	m.mmio_megabytes = ch->offer.mmio_megabytes;
	memcpy(m.user_def, ch->offer.user_def, sizeof(m.user_def));
	m.sub_channel_index = ch->offer.sub_channel_index;
	m.child_relid = ch->relid;
	/* No monitor pages: every signal is an HvSignalEvent, which both KVM
	 * and process partitions can route (reference §2.5). Dedicated
	 * interrupts, as on Win8+ hosts. */
	m.monitorid = 0;
	m.monitor_allocated = 0;
	m.is_dedicated_interrupt = 1;
	m.connection_id = ch->conn_id;
	post(s, &m, sizeof(m), VMBUS_MSG_OFFERCHANNEL);
	ch->sent = true;
}

/* Back to the state of a partition that never connected: used by UNLOAD,
 * by a new INITIATE_CONTACT (reboot, kexec) and by destroy. Offers stay
 * registered and are sent again after the next REQUESTOFFERS. */
static void srv_reset(struct vmbus_server *s)
{
	uint32_t relid;

	for (relid = 1; relid <= s->cfg.max_channels; relid++) {
		struct vmbus_channel *ch = s->chans[relid];

		if (ch == NULL)
			continue;
		if (ch->state == CH_RESCINDED) {
			chan_free(ch);
			continue;
		}
		chan_close(ch);
		ch->sent = false;
	}
	pthread_mutex_lock(&s->gpadl_lock);
	vmbus_gpadl_free_all(&s->gpadls);
	pthread_mutex_unlock(&s->gpadl_lock);
	s->st.gpadls = 0;
	s->offers_requested = false;
	s->state = SRV_DISCONNECTED;
	s->st.version = 0;
}

/* ---- Message handlers ---- */

static bool version_supported(const struct vmbus_server *s, uint32_t v)
{
	unsigned int i;

	if (v > s->cfg.max_version)
		return false;
	for (i = 0; vmbus_supported_versions[i] != 0; i++)
		if (vmbus_supported_versions[i] == v)
			return true;
	return false;
}

static void on_initiate_contact(struct vmbus_server *s, uint32_t conn_id, const void *msg)
{
	const struct vmbus_msg_initiate_contact *m = msg;
	struct vmbus_msg_version_response r;
	uint32_t v = m->version_requested;
	bool ok;

	if (s->state == SRV_CONNECTED)
		srv_reset(s);
	/* 5.0 and later contact on id 4 with SINT 2; earlier versions on id 1
	 * with an interrupt page (connection.c vmbus_negotiate_version). */
	ok = version_supported(s, v);
	if (ok && v >= VMBUS_VERSION_WIN10_5)
		ok = conn_id == VMBUS_CONN_ID_MESSAGE_4 && m->msg_sint == VMBUS_MESSAGE_SINT;
	else if (ok)
		ok = conn_id == VMBUS_CONN_ID_MESSAGE;

	memset(&r, 0, sizeof(r));
	r.version_supported = ok ? 1 : 0;
	r.connection_state = 0;
	r.msg_conn_id = ok ? VMBUS_CONN_ID_MESSAGE : 0;
	if (ok) {
		s->state = SRV_CONNECTED;
		s->st.version = v;
		s->target_vcpu = m->target_vcpu;
	}
	post(s, &r, sizeof(r), VMBUS_MSG_VERSION_RESPONSE);
}

static void on_request_offers(struct vmbus_server *s, uint32_t conn_id, const void *msg)
{
	struct vmbus_msg_hdr done;
	uint32_t relid;

	(void)conn_id;
	(void)msg;
	s->offers_requested = true;
	for (relid = 1; relid <= s->cfg.max_channels; relid++) {
		struct vmbus_channel *ch = s->chans[relid];

		if (ch != NULL && !ch->sent && ch->state != CH_RESCINDED)
			send_offer(s, ch);
	}
	memset(&done, 0, sizeof(done));
	post(s, &done, sizeof(done), VMBUS_MSG_ALLOFFERS_DELIVERED);
}

static void send_gpadl_created(struct vmbus_server *s, uint32_t relid,
			       uint32_t handle, uint32_t status)
{
	struct vmbus_msg_gpadl_created r;

	memset(&r, 0, sizeof(r));
	r.child_relid = relid;
	r.gpadl = handle;
	r.creation_status = status;
	if (status != 0)
		s->st.gpadl_failures++;
	post(s, &r, sizeof(r), VMBUS_MSG_GPADL_CREATED);
}

static void gpadl_result(struct vmbus_server *s, uint32_t relid, uint32_t handle, int rc)
{
	s->st.gpadls = s->gpadls.count;
	if (rc == VMBUS_GPADL_MORE)
		return;
	if (rc == VMBUS_GPADL_DONE) {
		send_gpadl_created(s, relid, handle, 0);
		return;
	}
	proto_err(s, "GPADL %#x refused: %s", handle, strerror(-rc));
	send_gpadl_created(s, relid, handle, VMBUS_STATUS_FAIL);
}

static void on_gpadl_header(struct vmbus_server *s, uint32_t conn_id, const void *msg,
			    uint32_t len)
{
	const struct vmbus_msg_gpadl_header *m = msg;
	struct vmbus_channel *ch = chan_get(s, m->child_relid);
	struct vmbus_gpadl *g;
	int rc;

	(void)conn_id;
	if (ch == NULL || !ch->sent || ch->state == CH_RESCINDED) {
		proto_err(s, "GPADL %#x for unknown channel %u", m->gpadl, m->child_relid);
		send_gpadl_created(s, m->child_relid, m->gpadl, VMBUS_STATUS_FAIL);
		return;
	}
	pthread_mutex_lock(&s->gpadl_lock);
	rc = vmbus_gpadl_header(&s->gpadls, s->mem, m, len, &g);
	pthread_mutex_unlock(&s->gpadl_lock);
	gpadl_result(s, m->child_relid, m->gpadl, rc);
}

static void on_gpadl_body(struct vmbus_server *s, uint32_t conn_id, const void *msg,
			  uint32_t len)
{
	const struct vmbus_msg_gpadl_body *m = msg;
	struct vmbus_gpadl *g = vmbus_gpadl_find(&s->gpadls, m->gpadl);
	uint32_t relid = g != NULL ? g->child_relid : 0;
	int rc;

	(void)conn_id;
	pthread_mutex_lock(&s->gpadl_lock);
	rc = vmbus_gpadl_body(&s->gpadls, s->mem, m, len, &g);
	pthread_mutex_unlock(&s->gpadl_lock);
	if (rc == -ENOENT) {
		/* No GPADL of that handle is being built: nothing to answer. */
		proto_err(s, "GPADL_BODY for unknown GPADL %#x", m->gpadl);
		return;
	}
	gpadl_result(s, relid, m->gpadl, rc);
}

static void on_gpadl_teardown(struct vmbus_server *s, uint32_t conn_id, const void *msg)
{
	const struct vmbus_msg_gpadl_teardown *m = msg;
	struct vmbus_gpadl *g = vmbus_gpadl_find(&s->gpadls, m->gpadl);
	struct vmbus_msg_gpadl_torndown r;

	(void)conn_id;
	if (g == NULL) {
		proto_err(s, "teardown of unknown GPADL %#x", m->gpadl);
	} else {
		if (g->ring_user != NULL) {
			/* Linux 4.0+ closes first; a guest that does not
			 * loses the channel rather than the host keeping a
			 * mapping of memory the guest reclaims. */
			proto_err(s, "teardown of GPADL %#x still used by open channel %u",
				  m->gpadl, g->ring_user->relid);
			chan_close(g->ring_user);
		}
		pthread_mutex_lock(&s->gpadl_lock);
		vmbus_gpadl_free(&s->gpadls, g);
		pthread_mutex_unlock(&s->gpadl_lock);
		s->st.gpadls = s->gpadls.count;
	}
	/* Answered even when unknown: the guest waits with no timeout. */
	memset(&r, 0, sizeof(r));
	r.gpadl = m->gpadl;
	post(s, &r, sizeof(r), VMBUS_MSG_GPADL_TORNDOWN);
}

/* Maps the ring GPADL and attaches both rings; the guest-to-host ring is
 * the first 'down' pages, the host-to-guest ring the rest (hyperv.h
 * vmbus_channel_open_channel). */
static int chan_map_rings(struct vmbus_channel *ch, struct vmbus_gpadl *g, uint32_t down)
{
	struct vmbus_server *s = ch->s;
	uint32_t in_bytes, out_bytes;
	int rc;

	if (!g->whole_pages || down < 2 || down > g->npages || g->npages - down < 2)
		return -EINVAL;
	rc = vmbus_gpadl_map(s->mem, g, &ch->view);
	if (rc < 0)
		return rc;
	in_bytes = down << HVN_PAGE_SHIFT;
	out_bytes = (g->npages - down) << HVN_PAGE_SHIFT;
	rc = vmbus_ring_attach_reader(&ch->rx, ch->view.ptr, in_bytes,
				      ch->scratch, ch->scratch_size);
	if (rc == 0)
		rc = vmbus_ring_attach_writer(&ch->tx, ch->view.ptr + in_bytes, out_bytes);
	if (rc < 0) {
		vmbus_mem_unmap(&ch->view);
		return rc;
	}
	ch->ring_gpadl = g;
	g->ring_user = ch;
	return 0;
}

static void on_open(struct vmbus_server *s, uint32_t conn_id, const void *msg)
{
	const struct vmbus_msg_open *m = msg;
	struct vmbus_channel *ch = chan_get(s, m->child_relid);
	struct vmbus_msg_open_result r;
	struct vmbus_gpadl *g;
	const char *why = NULL;
	int rc = 0;

	(void)conn_id;
	g = vmbus_gpadl_find(&s->gpadls, m->ringbuffer_gpadl);
	if (ch == NULL || !ch->sent || ch->state == CH_RESCINDED)
		why = "no such channel";
	else if (ch->state == CH_OPEN)
		why = "channel already open";
	else if (g == NULL || !g->complete)
		why = "ring GPADL unknown or incomplete";
	else if (g->ring_user != NULL)
		why = "ring GPADL already in use";
	if (why == NULL) {
		rc = chan_map_rings(ch, g, m->downstream_page_offset);
		if (rc == -EPROTO)
			why = "ring indices out of range";
		else if (rc == -EOPNOTSUPP)
			why = "ring pages scattered in hugepage memory";
		else if (rc < 0)
			why = "ring GPADL cannot hold two rings at that offset";
	}
	if (why == NULL && s->t->doorbell_add != NULL) {
		rc = s->t->doorbell_add(s->tctx, ch, ch->conn_id);
		if (rc < 0) {
			chan_unmap(ch);
			why = "doorbell setup failed";
		}
	}
	if (why == NULL) {
		ch->target_vp = m->target_vp;
		rc = ch->ops->open(ch->dev, ch);
		if (rc < 0) {
			if (s->t->doorbell_del != NULL)
				s->t->doorbell_del(s->tctx, ch, ch->conn_id);
			chan_unmap(ch);
			why = "device refused the open";
		}
	}

	memset(&r, 0, sizeof(r));
	r.child_relid = m->child_relid;
	r.openid = m->openid;
	if (why != NULL) {
		s->st.open_failures++;
		proto_err(s, "open of channel %u refused: %s", m->child_relid, why);
		r.status = VMBUS_STATUS_FAIL;
	} else {
		ch->state = CH_OPEN;
		s->st.channels_open++;
	}
	post(s, &r, sizeof(r), VMBUS_MSG_OPENCHANNEL_RESULT);
	if (why == NULL && ch->ops->opened != NULL)
		ch->ops->opened(ch->dev, ch);
}

static void on_close(struct vmbus_server *s, uint32_t conn_id, const void *msg)
{
	const struct vmbus_msg_close *m = msg;
	struct vmbus_channel *ch = chan_get(s, m->child_relid);

	(void)conn_id;
	/* CLOSECHANNEL has no answer (channel.c vmbus_close_internal). */
	if (ch == NULL || ch->state != CH_OPEN) {
		if (ch == NULL || ch->state != CH_RESCINDED)
			proto_err(s, "close of channel %u that is not open", m->child_relid);
		return;
	}
	chan_close(ch);
}

static void on_modify(struct vmbus_server *s, uint32_t conn_id, const void *msg)
{
	const struct vmbus_msg_modify_channel *m = msg;
	struct vmbus_channel *ch = chan_get(s, m->child_relid);
	struct vmbus_msg_modify_channel_response r;

	(void)conn_id;
	memset(&r, 0, sizeof(r));
	r.child_relid = m->child_relid;
	if (ch != NULL && ch->state == CH_OPEN) {
		ch->target_vp = m->target_vp;
	} else {
		proto_err(s, "modify of channel %u that is not open", m->child_relid);
		r.status = HV_STATUS_INVALID_PARAMETER;
	}
	/* Only 5.3 guests expect an answer (channel.c vmbus_send_modifychannel). */
	if (s->st.version >= VMBUS_VERSION_WIN10_5_3)
		post(s, &r, sizeof(r), VMBUS_MSG_MODIFYCHANNEL_RESPONSE);
}

static void on_relid_released(struct vmbus_server *s, uint32_t conn_id, const void *msg)
{
	const struct vmbus_msg_relid_released *m = msg;
	struct vmbus_channel *ch = chan_get(s, m->child_relid);

	(void)conn_id;
	if (ch == NULL || ch->state != CH_RESCINDED) {
		proto_err(s, "RELID_RELEASED for channel %u not rescinded", m->child_relid);
		return;
	}
	chan_free(ch);
}

static void on_unload(struct vmbus_server *s, uint32_t conn_id, const void *msg)
{
	struct vmbus_msg_hdr r;

	(void)conn_id;
	(void)msg;
	srv_reset(s);
	/* Answered in every state: kexec and panic wait for it. */
	memset(&r, 0, sizeof(r));
	post(s, &r, sizeof(r), VMBUS_MSG_UNLOAD_RESPONSE);
}

/* ---- Dispatch ---- */

enum need { NEED_ANY, NEED_CONNECTED };

#define H_LEN(fn) \
	static void fn##_l(struct vmbus_server *s, uint32_t c, const void *m, uint32_t l) \
	{ (void)l; fn(s, c, m); }
H_LEN(on_initiate_contact)
H_LEN(on_request_offers)
H_LEN(on_gpadl_teardown)
H_LEN(on_open)
H_LEN(on_close)
H_LEN(on_modify)
H_LEN(on_relid_released)
H_LEN(on_unload)
#undef H_LEN

/* type, handler, minimum size, state needed (vmbus_drv.c keeps the same
 * table on the guest side, channel_mgmt.c channel_message_table). */
#define VMBUS_SERVER_HANDLERS \
	H(INITIATE_CONTACT, on_initiate_contact_l, struct vmbus_msg_initiate_contact, NEED_ANY) \
	H(REQUESTOFFERS, on_request_offers_l, struct vmbus_msg_hdr, NEED_CONNECTED) \
	H(GPADL_HEADER, on_gpadl_header, struct vmbus_msg_gpadl_header, NEED_CONNECTED) \
	H(GPADL_BODY, on_gpadl_body, struct vmbus_msg_gpadl_body, NEED_CONNECTED) \
	H(GPADL_TEARDOWN, on_gpadl_teardown_l, struct vmbus_msg_gpadl_teardown, NEED_CONNECTED) \
	H(OPENCHANNEL, on_open_l, struct vmbus_msg_open, NEED_CONNECTED) \
	H(CLOSECHANNEL, on_close_l, struct vmbus_msg_close, NEED_CONNECTED) \
	H(MODIFYCHANNEL, on_modify_l, struct vmbus_msg_modify_channel, NEED_CONNECTED) \
	H(RELID_RELEASED, on_relid_released_l, struct vmbus_msg_relid_released, NEED_CONNECTED) \
	H(UNLOAD, on_unload_l, struct vmbus_msg_hdr, NEED_ANY)

struct msg_handler {
	const char *name;
	void (*fn)(struct vmbus_server *s, uint32_t conn_id, const void *msg, uint32_t len);
	uint32_t min_len;
	enum need need;
};

static const struct msg_handler msg_handlers[VMBUS_MSG_COUNT] = {
#define H(type, fn, st, need) \
	[VMBUS_MSG_##type] = { #type, fn, (uint32_t)sizeof(st), need },
	VMBUS_SERVER_HANDLERS
#undef H
};

int vmbus_server_handle_msg(struct vmbus_server *s, uint32_t conn_id,
			    const void *msg, uint32_t len)
{
	/* Private, aligned copy: the partition can keep writing its buffer. */
	uint64_t buf[VMBUS_MSG_MAX_SIZE / 8];
	const struct msg_handler *h;
	uint32_t type;

	if (conn_id != VMBUS_CONN_ID_MESSAGE && conn_id != VMBUS_CONN_ID_MESSAGE_4)
		return HV_STATUS_INVALID_CONNECTION_ID;
	if (len > VMBUS_MSG_MAX_SIZE)
		return HV_STATUS_INVALID_PARAMETER;
	if (s->dead)
		return HV_STATUS_SUCCESS;
	s->st.msgs_in++;
	if (len < sizeof(struct vmbus_msg_hdr)) {
		s->st.bad_size++;
		proto_err(s, "message of %u bytes has no header", len);
		return HV_STATUS_SUCCESS;
	}
	memset(buf, 0, sizeof(buf));
	memcpy(buf, msg, len);
	type = ((const struct vmbus_msg_hdr *)buf)->msgtype;
	h = type < VMBUS_MSG_COUNT ? &msg_handlers[type] : NULL;
	if (h == NULL || h->fn == NULL) {
		s->st.unknown_type++;
		proto_err(s, "unknown or host-only message type %u", type);
		return HV_STATUS_SUCCESS;
	}
	if (len < h->min_len) {
		s->st.bad_size++;
		proto_err(s, "%s of %u bytes, needs %u", h->name, len, h->min_len);
		return HV_STATUS_SUCCESS;
	}
	/* Id 4 is only for INITIATE_CONTACT (VERSION_RESPONSE moves the
	 * guest to id 1). */
	if (conn_id == VMBUS_CONN_ID_MESSAGE_4 && type != VMBUS_MSG_INITIATE_CONTACT) {
		proto_err(s, "%s posted to connection 4", h->name);
		return HV_STATUS_SUCCESS;
	}
	if (h->need == NEED_CONNECTED && s->state != SRV_CONNECTED) {
		proto_err(s, "%s before the connection was made", h->name);
		return HV_STATUS_SUCCESS;
	}
	h->fn(s, conn_id, buf, len);
	return HV_STATUS_SUCCESS;
}

int vmbus_server_handle_signal(struct vmbus_server *s, uint32_t conn_id)
{
	struct vmbus_channel *ch = NULL;

	if ((conn_id >> 12) == VMBUS_MESSAGE_SINT)
		ch = chan_get(s, conn_id & 0xfffu);
	if (ch == NULL || ch->state != CH_OPEN || ch->faulted) {
		s->st.bad_signals++;
		return HV_STATUS_INVALID_CONNECTION_ID;
	}
	s->st.signals_in++;
	if (ch->ops->signal != NULL)
		ch->ops->signal(ch->dev, ch);
	return HV_STATUS_SUCCESS;
}

/* ---- Lifetime and the device API ---- */

struct vmbus_server *vmbus_server_create(const struct vmbus_server_config *cfg,
					 const struct vmbus_mem *mem,
					 const struct vmbus_server_transport *t,
					 void *tctx)
{
	struct vmbus_server *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cfg = *cfg;
	if (s->cfg.max_version == 0)
		s->cfg.max_version = VMBUS_VERSION_WIN10_5_3;
	if (s->cfg.max_gpadls == 0)
		s->cfg.max_gpadls = 1024;
	/* 8 MiB holds 128 GPADLs of a 16 MiB receive buffer each. */
	if (s->cfg.max_gpadl_bytes == 0)
		s->cfg.max_gpadl_bytes = 8u << 20;
	if (s->cfg.max_channels == 0 || s->cfg.max_channels > VMBUS_MAX_RELID)
		s->cfg.max_channels = s->cfg.max_channels == 0 ? 256 : VMBUS_MAX_RELID;
	if (s->cfg.ring_scratch_size == 0)
		s->cfg.ring_scratch_size = 64 * 1024;
	snprintf(s->name, sizeof(s->name), "%s", cfg->name != NULL ? cfg->name : "?");
	s->cfg.name = s->name;
	s->mem = mem;
	s->t = t;
	s->tctx = tctx;
	s->gpadls.max = s->cfg.max_gpadls;
	s->gpadls.max_bytes = s->cfg.max_gpadl_bytes;
	s->chans = calloc(s->cfg.max_channels + 1u, sizeof(*s->chans));
	if (s->chans == NULL) {
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->gpadl_lock, NULL);
	return s;
}

void vmbus_server_destroy(struct vmbus_server *s)
{
	uint32_t relid;

	if (s == NULL)
		return;
	for (relid = 1; relid <= s->cfg.max_channels; relid++)
		if (s->chans[relid] != NULL)
			chan_free(s->chans[relid]);
	vmbus_gpadl_free_all(&s->gpadls);
	pthread_mutex_destroy(&s->gpadl_lock);
	free(s->chans);
	free(s);
}

int vmbus_server_offer(struct vmbus_server *s, const struct vmbus_offer_params *p,
		       const struct vmbus_device_ops *ops, void *dev,
		       struct vmbus_channel **out)
{
	struct vmbus_channel *ch;
	uint32_t relid;

	if (ops == NULL || ops->open == NULL || ops->close == NULL)
		return -EINVAL;
	for (relid = 1; relid <= s->cfg.max_channels; relid++)
		if (s->chans[relid] == NULL)
			break;
	if (relid > s->cfg.max_channels)
		return -ENOSPC;
	ch = calloc(1, sizeof(*ch));
	if (ch == NULL)
		return -ENOMEM;
	ch->scratch_size = p->ring_scratch_size != 0 ? p->ring_scratch_size :
						       s->cfg.ring_scratch_size;
	ch->scratch = malloc(ch->scratch_size);
	if (ch->scratch == NULL) {
		free(ch);
		return -ENOMEM;
	}
	ch->s = s;
	ch->relid = relid;
	ch->conn_id = VMBUS_CHANNEL_CONN_ID(relid);
	ch->offer = *p;
	ch->ops = ops;
	ch->dev = dev;
	ch->state = CH_OFFERED;
	s->chans[relid] = ch;
	s->st.offers++;
	if (s->state == SRV_CONNECTED && s->offers_requested)
		send_offer(s, ch);
	if (out != NULL)
		*out = ch;
	return 0;
}

int vmbus_server_rescind(struct vmbus_server *s, struct vmbus_channel *ch)
{
	struct vmbus_msg_rescind m;

	if (ch == NULL || ch->s != s || ch->state == CH_RESCINDED)
		return -EINVAL;
	chan_close(ch);
	if (!ch->sent || s->state != SRV_CONNECTED) {
		chan_free(ch);
		return 0;
	}
	ch->state = CH_RESCINDED;
	memset(&m, 0, sizeof(m));
	m.child_relid = ch->relid;
	post(s, &m, sizeof(m), VMBUS_MSG_RESCIND_CHANNELOFFER);
	return 0;
}

bool vmbus_server_dead(const struct vmbus_server *s)
{
	return s->dead;
}

const struct vmbus_server_stats *vmbus_server_get_stats(const struct vmbus_server *s)
{
	return &s->st;
}

const char *vmbus_server_name(const struct vmbus_server *s)
{
	return s->name;
}

int vmbus_server_gpadl_info(struct vmbus_server *s, uint32_t handle,
			    struct vmbus_gpadl_info *info)
{
	struct vmbus_gpadl *g = vmbus_gpadl_find(&s->gpadls, handle);

	if (g == NULL || !g->complete)
		return -ENOENT;
	info->handle = g->handle;
	info->child_relid = g->child_relid;
	info->npages = g->npages;
	info->nranges = g->rangecount;
	info->total_bytes = g->total_bytes;
	return 0;
}

int vmbus_server_gpadl_map(struct vmbus_server *s, uint32_t handle, uint32_t relid,
			   struct vmbus_mem_view *v)
{
	struct vmbus_gpadl *g;
	int rc;

	pthread_mutex_lock(&s->gpadl_lock);
	g = vmbus_gpadl_find(&s->gpadls, handle);
	if (g == NULL || !g->complete || g->child_relid != relid)
		rc = -ENOENT;
	else if (!g->whole_pages)
		rc = -EINVAL;
	else
		rc = vmbus_gpadl_map(s->mem, g, v);
	pthread_mutex_unlock(&s->gpadl_lock);
	return rc;
}

const struct vmbus_mem *vmbus_channel_mem(const struct vmbus_channel *ch)
{
	return ch->s->mem;
}

const struct vmbus_offer_params *vmbus_channel_offer(const struct vmbus_channel *ch)
{
	return &ch->offer;
}

struct vmbus_ring *vmbus_channel_rx(struct vmbus_channel *ch)
{
	return &ch->rx;
}

struct vmbus_ring *vmbus_channel_tx(struct vmbus_channel *ch)
{
	return &ch->tx;
}

uint32_t vmbus_channel_relid(const struct vmbus_channel *ch)
{
	return ch->relid;
}

uint32_t vmbus_channel_conn_id(const struct vmbus_channel *ch)
{
	return ch->conn_id;
}

bool vmbus_channel_is_open(const struct vmbus_channel *ch)
{
	return ch->state == CH_OPEN && !ch->faulted;
}

struct vmbus_server *vmbus_channel_server(struct vmbus_channel *ch)
{
	return ch->s;
}

void vmbus_channel_signal(struct vmbus_channel *ch)
{
	struct vmbus_server *s = ch->s;

	if (ch->state == CH_OPEN && !ch->faulted && !s->dead)
		s->t->signal(s->tctx, ch->relid, ch->target_vp);
}

void vmbus_channel_fault(struct vmbus_channel *ch)
{
	struct vmbus_server *s = ch->s;

	if (ch->state != CH_OPEN || ch->faulted)
		return;
	proto_err(s, "channel %u ring corrupted by the partition; channel stopped",
		  ch->relid);
	if (s->t->doorbell_del != NULL)
		s->t->doorbell_del(s->tctx, ch, ch->conn_id);
	chan_unmap(ch);
	ch->faulted = true;
}

void vmbus_channel_set_transport_data(struct vmbus_channel *ch, void *p)
{
	ch->tdata = p;
}

void *vmbus_channel_transport_data(struct vmbus_channel *ch)
{
	return ch->tdata;
}
