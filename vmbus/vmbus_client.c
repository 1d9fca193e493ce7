/* The guest-side VMBus state machine (see vmbus_client.h). Freestanding:
 * the only external symbols are memcpy and memset. It trusts the host no
 * more than necessary: every host message is size-checked before use. */
#include "vmbus/vmbus_client.h"

#include "common/hvn_errno.h"

/* connection.c vmbus_versions[] in Linux 6.1, newest first. */
const uint32_t vmbus_client_versions[] = {
	VMBUS_VERSION_WIN10_5_3, VMBUS_VERSION_WIN10_5_2, VMBUS_VERSION_WIN10_5_1,
	VMBUS_VERSION_WIN10_5, VMBUS_VERSION_WIN10_4_1, VMBUS_VERSION_WIN10,
	VMBUS_VERSION_WIN8_1, VMBUS_VERSION_WIN8, 0,
};

/* Linux starts its GPADL handles here (connection.c next_gpadl_handle). */
#define FIRST_GPADL_HANDLE 0xE1E10u

void vmbus_client_init(struct vmbus_client *c, const struct vmbus_client_transport *t,
		       void *tctx, uint32_t max_version, uint64_t monitor_page1,
		       uint64_t monitor_page2)
{
	__builtin_memset(c, 0, sizeof(*c));
	c->t = t;
	c->tctx = tctx;
	c->max_version = max_version != 0 ? max_version : VMBUS_VERSION_WIN10_5_3;
	c->monitor_page1 = monitor_page1;
	c->monitor_page2 = monitor_page2;
	c->next_gpadl = FIRST_GPADL_HANDLE;
	c->state = VMBUS_CLIENT_DISCONNECTED;
}

static int post(struct vmbus_client *c, void *msg, uint32_t len, uint32_t type)
{
	struct vmbus_msg_hdr *h = msg;
	int st;

	h->msgtype = type;
	h->padding = 0;
	st = c->t->post(c->tctx, c->state == VMBUS_CLIENT_CONNECTED ||
			c->state == VMBUS_CLIENT_UNLOADING ? c->msg_conn_id :
			VMBUS_CONN_ID_MESSAGE, msg, len);
	return st == HV_STATUS_SUCCESS ? 0 : -HVN_EPROTO;
}

/* Posts INITIATE_CONTACT for the next version, skipping those the host's
 * hypercall refuses outright (connection.c: INVALID_CONNECTION_ID means
 * "try the next version"). */
static int try_next_version(struct vmbus_client *c)
{
	struct vmbus_msg_initiate_contact m;
	uint32_t v, conn;
	int st;

	for (;;) {
		v = vmbus_client_versions[c->version_idx];
		if (v == 0) {
			c->state = VMBUS_CLIENT_FAILED;
			return -HVN_ENODEV;
		}
		c->version_idx++;
		if (v > c->max_version)
			continue;
		__builtin_memset(&m, 0, sizeof(m));
		m.hdr.msgtype = VMBUS_MSG_INITIATE_CONTACT;
		m.version_requested = v;
		m.target_vcpu = c->target_vcpu;
		if (v >= VMBUS_VERSION_WIN10_5) {
			m.msg_sint = VMBUS_MESSAGE_SINT;
			conn = VMBUS_CONN_ID_MESSAGE_4;
		} else {
			/* Linux passes its legacy interrupt page; hvnet's
			 * host does not use it. */
			m.interrupt_page = 0;
			conn = VMBUS_CONN_ID_MESSAGE;
		}
		m.monitor_page1 = c->monitor_page1;
		m.monitor_page2 = c->monitor_page2;
		c->stats.version_attempts++;
		c->state = VMBUS_CLIENT_CONTACTING;
		c->version = v;
		st = c->t->post(c->tctx, conn, &m, sizeof(m));
		if (st == HV_STATUS_SUCCESS)
			return 0;
		if (st != HV_STATUS_INVALID_CONNECTION_ID) {
			c->state = VMBUS_CLIENT_FAILED;
			return -HVN_EPROTO;
		}
	}
}

int vmbus_client_connect(struct vmbus_client *c)
{
	c->version_idx = 0;
	c->offers_done = false;
	return try_next_version(c);
}

int vmbus_client_request_offers(struct vmbus_client *c)
{
	struct vmbus_msg_hdr m;

	if (c->state != VMBUS_CLIENT_CONNECTED)
		return -HVN_EPROTO;
	__builtin_memset(&m, 0, sizeof(m));
	return post(c, &m, sizeof(m), VMBUS_MSG_REQUESTOFFERS);
}

struct vmbus_client_offer *vmbus_client_offer_by_relid(struct vmbus_client *c,
						       uint32_t relid)
{
	unsigned int i;

	for (i = 0; i < VMBUS_CLIENT_MAX_OFFERS; i++)
		if (c->offers[i].state != VMBUS_CHAN_NONE &&
		    c->offers[i].msg.child_relid == relid)
			return &c->offers[i];
	return 0;
}

struct vmbus_client_offer *vmbus_client_find_offer(struct vmbus_client *c,
						   const struct vmbus_guid *if_type,
						   uint16_t sub_channel_index)
{
	unsigned int i;

	for (i = 0; i < VMBUS_CLIENT_MAX_OFFERS; i++) {
		struct vmbus_client_offer *o = &c->offers[i];

		if (o->state != VMBUS_CHAN_NONE && o->state != VMBUS_CHAN_RESCINDED &&
		    __builtin_memcmp(&o->msg.if_type, if_type, sizeof(*if_type)) == 0 &&
		    o->msg.sub_channel_index == sub_channel_index)
			return o;
	}
	return 0;
}

static struct vmbus_client_gpadl *gpadl_slot(struct vmbus_client *c, uint32_t handle)
{
	unsigned int i;

	for (i = 0; i < VMBUS_CLIENT_MAX_GPADLS; i++)
		if (c->gpadls[i].handle == handle)
			return &c->gpadls[i];
	return 0;
}

/* ---- Host messages ---- */

static int on_version_response(struct vmbus_client *c, const void *msg)
{
	const struct vmbus_msg_version_response *m = msg;

	if (c->state != VMBUS_CLIENT_CONTACTING)
		return -HVN_EPROTO;
	if (!m->version_supported) {
		int rc = try_next_version(c);

		return rc < 0 ? rc : VMBUS_MSG_VERSION_RESPONSE;
	}
	c->msg_conn_id = c->version >= VMBUS_VERSION_WIN10_5 ? m->msg_conn_id :
			 VMBUS_CONN_ID_MESSAGE;
	c->state = VMBUS_CLIENT_CONNECTED;
	return VMBUS_MSG_VERSION_RESPONSE;
}

static int on_offer(struct vmbus_client *c, const void *msg)
{
	const struct vmbus_msg_offer *m = msg;
	struct vmbus_client_offer *o = vmbus_client_offer_by_relid(c, m->child_relid);
	unsigned int i;

	if (m->child_relid == 0 || m->child_relid > VMBUS_MAX_RELID)
		return -HVN_EPROTO;
	if (o != 0 && o->state != VMBUS_CHAN_RESCINDED)
		return -HVN_EEXIST;
	for (i = 0; o == 0 && i < VMBUS_CLIENT_MAX_OFFERS; i++)
		if (c->offers[i].state == VMBUS_CHAN_NONE)
			o = &c->offers[i];
	if (o == 0)
		return -HVN_ENOSPC;
	__builtin_memset(o, 0, sizeof(*o));
	__builtin_memcpy(&o->msg, m, sizeof(*m));
	o->state = VMBUS_CHAN_OFFERED;
	return VMBUS_MSG_OFFERCHANNEL;
}

static int on_rescind(struct vmbus_client *c, const void *msg)
{
	const struct vmbus_msg_rescind *m = msg;
	struct vmbus_client_offer *o = vmbus_client_offer_by_relid(c, m->child_relid);
	struct vmbus_msg_relid_released r;

	if (o == 0)
		return -HVN_ENOENT;
	o->state = VMBUS_CHAN_RESCINDED;
	/* channel_mgmt.c vmbus_onoffer_rescind: the relid is released once
	 * the driver let go; this core holds no driver state. */
	__builtin_memset(&r, 0, sizeof(r));
	r.child_relid = m->child_relid;
	post(c, &r, sizeof(r), VMBUS_MSG_RELID_RELEASED);
	o->state = VMBUS_CHAN_NONE;
	return VMBUS_MSG_RESCIND_CHANNELOFFER;
}

static int on_open_result(struct vmbus_client *c, const void *msg)
{
	const struct vmbus_msg_open_result *m = msg;
	struct vmbus_client_offer *o = vmbus_client_offer_by_relid(c, m->child_relid);

	if (o == 0 || o->state != VMBUS_CHAN_OPENING)
		return -HVN_EPROTO;
	o->open_status = m->status;
	o->state = m->status == 0 ? VMBUS_CHAN_OPEN : VMBUS_CHAN_OPEN_FAILED;
	return VMBUS_MSG_OPENCHANNEL_RESULT;
}

static int on_gpadl_created(struct vmbus_client *c, const void *msg)
{
	const struct vmbus_msg_gpadl_created *m = msg;
	struct vmbus_client_gpadl *g = gpadl_slot(c, m->gpadl);

	if (m->gpadl == 0 || g == 0 || g->state != 0)
		return -HVN_EPROTO;
	g->status = m->creation_status;
	g->state = m->creation_status == 0 ? 1 : 2;
	return VMBUS_MSG_GPADL_CREATED;
}

static int on_gpadl_torndown(struct vmbus_client *c, const void *msg)
{
	const struct vmbus_msg_gpadl_torndown *m = msg;
	struct vmbus_client_gpadl *g = gpadl_slot(c, m->gpadl);

	if (m->gpadl == 0 || g == 0)
		return -HVN_EPROTO;
	g->state = 3;
	return VMBUS_MSG_GPADL_TORNDOWN;
}

static int on_modify_response(struct vmbus_client *c, const void *msg)
{
	const struct vmbus_msg_modify_channel_response *m = msg;
	struct vmbus_client_offer *o = vmbus_client_offer_by_relid(c, m->child_relid);

	if (o == 0)
		return -HVN_EPROTO;
	o->modify_status = m->status;
	o->modify_done = true;
	return VMBUS_MSG_MODIFYCHANNEL_RESPONSE;
}

static int on_unload_response(struct vmbus_client *c)
{
	if (c->state != VMBUS_CLIENT_UNLOADING)
		return -HVN_EPROTO;
	c->state = VMBUS_CLIENT_UNLOADED;
	__builtin_memset(c->offers, 0, sizeof(c->offers));
	__builtin_memset(c->gpadls, 0, sizeof(c->gpadls));
	return VMBUS_MSG_UNLOAD_RESPONSE;
}

int vmbus_client_handle_msg(struct vmbus_client *c, const void *msg, uint32_t len)
{
	uint64_t buf[VMBUS_MSG_MAX_SIZE / 8];
	uint32_t type, need;
	int rc;

	c->stats.msgs_in++;
	if (len < sizeof(struct vmbus_msg_hdr) || len > VMBUS_MSG_MAX_SIZE) {
		c->stats.bad_msgs++;
		return -HVN_EMSGSIZE;
	}
	__builtin_memset(buf, 0, sizeof(buf));
	__builtin_memcpy(buf, msg, len);
	type = ((const struct vmbus_msg_hdr *)buf)->msgtype;
	need = vmbus_msg_host_size(type);
	if (need == 0 || len < need) {
		c->stats.bad_msgs++;
		return need == 0 ? -HVN_EOPNOTSUPP : -HVN_EMSGSIZE;
	}
	switch (type) {
	case VMBUS_MSG_VERSION_RESPONSE: rc = on_version_response(c, buf); break;
	case VMBUS_MSG_OFFERCHANNEL: rc = on_offer(c, buf); break;
	case VMBUS_MSG_RESCIND_CHANNELOFFER: rc = on_rescind(c, buf); break;
	case VMBUS_MSG_ALLOFFERS_DELIVERED:
		c->offers_done = true;
		rc = (int)type;
		break;
	case VMBUS_MSG_OPENCHANNEL_RESULT: rc = on_open_result(c, buf); break;
	case VMBUS_MSG_GPADL_CREATED: rc = on_gpadl_created(c, buf); break;
	case VMBUS_MSG_GPADL_TORNDOWN: rc = on_gpadl_torndown(c, buf); break;
	case VMBUS_MSG_MODIFYCHANNEL_RESPONSE: rc = on_modify_response(c, buf); break;
	case VMBUS_MSG_UNLOAD_RESPONSE: rc = on_unload_response(c); break;
	default: rc = -HVN_EOPNOTSUPP; break;
	}
	if (rc < 0)
		c->stats.bad_msgs++;
	return rc;
}

/* ---- Requests ---- */

int vmbus_client_gpadl_create(struct vmbus_client *c, uint32_t relid,
			      const uint64_t *pfns, uint32_t npages, uint32_t *handle)
{
	uint64_t buf[VMBUS_MSG_MAX_SIZE / 8];
	struct vmbus_msg_gpadl_header *h = (void *)buf;
	struct vmbus_msg_gpadl_body *b = (void *)buf;
	struct vmbus_gpa_range *range;
	struct vmbus_client_gpadl *g;
	uint32_t n, done;
	int rc;

	if (c->state != VMBUS_CLIENT_CONNECTED)
		return -HVN_EPROTO;
	/* range_buflen is 16 bits: 8 bytes of range header plus the PFNs. */
	if (npages == 0 || npages > (0xffffu - 8u) / 8u ||
	    npages > 0xffffffffu >> HVN_PAGE_SHIFT)
		return -HVN_EINVAL;
	g = gpadl_slot(c, 0);
	if (g == 0)
		return -HVN_ENOSPC;

	__builtin_memset(buf, 0, sizeof(buf));
	h->child_relid = relid;
	h->gpadl = c->next_gpadl;
	h->range_buflen = (uint16_t)(sizeof(*range) + npages * 8u);
	h->rangecount = 1;
	range = (struct vmbus_gpa_range *)(h + 1);
	range->byte_count = npages << HVN_PAGE_SHIFT;
	range->byte_offset = 0;
	n = HVN_MIN(npages, (uint32_t)VMBUS_GPADL_HEADER_MAX_PFNS);
	__builtin_memcpy(range->pfn, pfns, n * 8u);

	g->handle = c->next_gpadl++;
	g->relid = relid;
	g->state = 0;
	rc = post(c, h, (uint32_t)(sizeof(*h) + sizeof(*range) + n * 8u),
		  VMBUS_MSG_GPADL_HEADER);
	for (done = n; rc == 0 && done < npages; done += n) {
		n = HVN_MIN(npages - done, (uint32_t)VMBUS_GPADL_BODY_MAX_PFNS);
		__builtin_memset(buf, 0, sizeof(buf));
		b->msgnumber = 0;
		b->gpadl = g->handle;
		__builtin_memcpy(b + 1, pfns + done, n * 8u);
		rc = post(c, b, (uint32_t)(sizeof(*b) + n * 8u), VMBUS_MSG_GPADL_BODY);
	}
	if (rc < 0) {
		g->handle = 0;
		return rc;
	}
	*handle = g->handle;
	return 0;
}

int vmbus_client_gpadl_status(const struct vmbus_client *c, uint32_t handle)
{
	unsigned int i;

	for (i = 0; i < VMBUS_CLIENT_MAX_GPADLS; i++) {
		const struct vmbus_client_gpadl *g = &c->gpadls[i];

		if (handle == 0 || g->handle != handle)
			continue;
		if (g->state == 0)
			return -HVN_EAGAIN;
		return g->state == 1 ? 0 : -HVN_EPROTO;
	}
	return -HVN_ENOENT;
}

int vmbus_client_gpadl_teardown(struct vmbus_client *c, uint32_t relid, uint32_t handle)
{
	struct vmbus_msg_gpadl_teardown m;

	if (handle == 0 || gpadl_slot(c, handle) == 0)
		return -HVN_ENOENT;
	__builtin_memset(&m, 0, sizeof(m));
	m.child_relid = relid;
	m.gpadl = handle;
	return post(c, &m, sizeof(m), VMBUS_MSG_GPADL_TEARDOWN);
}

int vmbus_client_gpadl_torn_down(struct vmbus_client *c, uint32_t handle)
{
	struct vmbus_client_gpadl *g = handle != 0 ? gpadl_slot(c, handle) : 0;

	if (g == 0)
		return -HVN_ENOENT;
	if (g->state != 3)
		return -HVN_EAGAIN;
	__builtin_memset(g, 0, sizeof(*g));
	return 0;
}

int vmbus_client_open(struct vmbus_client *c, uint32_t relid, uint32_t gpadl,
		      uint32_t downstream_pages, uint32_t target_vp)
{
	struct vmbus_client_offer *o = vmbus_client_offer_by_relid(c, relid);
	struct vmbus_msg_open m;
	int rc;

	if (o == 0 || (o->state != VMBUS_CHAN_OFFERED && o->state != VMBUS_CHAN_OPEN_FAILED))
		return -HVN_EPROTO;
	__builtin_memset(&m, 0, sizeof(m));
	m.child_relid = relid;
	/* channel.c __vmbus_open uses the relid as the open id. */
	m.openid = relid;
	m.ringbuffer_gpadl = gpadl;
	m.target_vp = target_vp;
	m.downstream_page_offset = downstream_pages;
	o->state = VMBUS_CHAN_OPENING;
	rc = post(c, &m, sizeof(m), VMBUS_MSG_OPENCHANNEL);
	if (rc < 0)
		o->state = VMBUS_CHAN_OFFERED;
	return rc;
}

int vmbus_client_open_status(const struct vmbus_client *c, uint32_t relid)
{
	unsigned int i;

	for (i = 0; i < VMBUS_CLIENT_MAX_OFFERS; i++) {
		const struct vmbus_client_offer *o = &c->offers[i];

		if (o->state == VMBUS_CHAN_NONE || o->msg.child_relid != relid)
			continue;
		if (o->state == VMBUS_CHAN_OPENING)
			return -HVN_EAGAIN;
		return o->state == VMBUS_CHAN_OPEN ? 0 : -HVN_ECONNRESET;
	}
	return -HVN_ECONNRESET;
}

int vmbus_client_close(struct vmbus_client *c, uint32_t relid)
{
	struct vmbus_client_offer *o = vmbus_client_offer_by_relid(c, relid);
	struct vmbus_msg_close m;

	if (o == 0 || o->state != VMBUS_CHAN_OPEN)
		return -HVN_EPROTO;
	__builtin_memset(&m, 0, sizeof(m));
	m.child_relid = relid;
	o->state = VMBUS_CHAN_OFFERED;
	return post(c, &m, sizeof(m), VMBUS_MSG_CLOSECHANNEL);
}

int vmbus_client_modify(struct vmbus_client *c, uint32_t relid, uint32_t target_vp)
{
	struct vmbus_client_offer *o = vmbus_client_offer_by_relid(c, relid);
	struct vmbus_msg_modify_channel m;

	if (o == 0)
		return -HVN_ENOENT;
	o->modify_done = false;
	__builtin_memset(&m, 0, sizeof(m));
	m.child_relid = relid;
	m.target_vp = target_vp;
	return post(c, &m, sizeof(m), VMBUS_MSG_MODIFYCHANNEL);
}

int vmbus_client_unload(struct vmbus_client *c)
{
	struct vmbus_msg_hdr m;

	if (c->state != VMBUS_CLIENT_CONNECTED)
		return -HVN_EPROTO;
	c->state = VMBUS_CLIENT_UNLOADING;
	__builtin_memset(&m, 0, sizeof(m));
	return post(c, &m, sizeof(m), VMBUS_MSG_UNLOAD);
}

/* ---- Rings ---- */

int vmbus_client_rings_format(void *ring_base, uint32_t tx_bytes, uint32_t rx_bytes)
{
	int rc = vmbus_ring_format(ring_base, tx_bytes);

	if (rc == 0)
		rc = vmbus_ring_format((uint8_t *)ring_base + tx_bytes, rx_bytes);
	return rc;
}

int vmbus_client_channel_attach(struct vmbus_client_channel *ch,
				const struct vmbus_client_offer *o, void *ring_base,
				uint32_t tx_bytes, uint32_t rx_bytes,
				void *scratch, uint32_t scratch_size)
{
	int rc;

	if (o == 0 || o->state != VMBUS_CHAN_OPEN)
		return -HVN_EPROTO;
	rc = vmbus_ring_attach_writer(&ch->tx, ring_base, tx_bytes);
	if (rc == 0)
		rc = vmbus_ring_attach_reader(&ch->rx, (uint8_t *)ring_base + tx_bytes,
					      rx_bytes, scratch, scratch_size);
	ch->relid = o->msg.child_relid;
	ch->conn_id = o->msg.connection_id;
	return rc;
}

int vmbus_client_channel_signal(struct vmbus_client *c,
				const struct vmbus_client_channel *ch)
{
	int st = c->t->signal(c->tctx, ch->conn_id);

	return st == HV_STATUS_SUCCESS ? 0 : -HVN_EPROTO;
}
