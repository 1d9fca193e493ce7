/* The scripted guest (see netvsp_guest.h). */
#include "tests/unit/netvsp_guest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "common/hvn_errno.h"

/* Rounds of polling before a wait gives up: each round runs the host
 * once, so a reply that needs more is a reply that never comes. */
#define NG_WAIT_ROUNDS 64

static const struct vmbus_guid nic_guid = NVSP_NIC_GUID_INIT;

int ng_eal_init(void)
{
	static int done;
	char *argv[] = { "netvsp-test", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
			 "--no-telemetry", "--log-level=*:error", NULL };

	if (done != 0)
		return done > 0 ? 0 : -1;
	if (rte_eal_init((int)HVN_ARRAY_SIZE(argv) - 1, argv) < 0) {
		done = -1;
		return -1;
	}
	done = 1;
	return 0;
}

/* ---- Transports ---- */

static int srv_post(void *ctx, const void *msg, uint32_t len)
{
	struct ng *g = ctx;

	if (g->msgq_n == NG_MSGQ || len > VMBUS_MSG_MAX_SIZE) {
		g->msgs_lost++;
		return 0;
	}
	memcpy(g->msgq[(g->msgq_head + g->msgq_n) % NG_MSGQ], msg, len);
	g->msgq_len[(g->msgq_head + g->msgq_n) % NG_MSGQ] = len;
	g->msgq_n++;
	return 0;
}

static void srv_signal(void *ctx, uint32_t relid, uint32_t vp)
{
	struct ng *g = ctx;

	(void)relid;
	(void)vp;
	g->host_signals++;
}

static const struct vmbus_server_transport srv_tr = { .post = srv_post, .signal = srv_signal };

static int cl_post(void *ctx, uint32_t conn_id, const void *msg, uint32_t len)
{
	struct ng *g = ctx;

	return vmbus_server_handle_msg(g->srv, conn_id, msg, len);
}

static int cl_signal(void *ctx, uint32_t conn_id)
{
	struct ng *g = ctx;

	return vmbus_server_handle_signal(g->srv, conn_id);
}

static const struct vmbus_client_transport cl_tr = { .post = cl_post, .signal = cl_signal };

void ng_pump(struct ng *g)
{
	unsigned int rounds;

	for (rounds = 0; rounds < 16; rounds++) {
		if (g->host != NULL)
			netvsp_host_process(g->host);
		if (g->msgq_n == 0)
			break;
		while (g->msgq_n > 0) {
			uint8_t m[VMBUS_MSG_MAX_SIZE];
			uint32_t len = g->msgq_len[g->msgq_head];

			memcpy(m, g->msgq[g->msgq_head], len);
			g->msgq_head = (g->msgq_head + 1) % NG_MSGQ;
			g->msgq_n--;
			g->seq++;
			vmbus_client_handle_msg(&g->cl, m, len);
		}
	}
}

/* ---- Partition ---- */

struct ng *ng_create(void)
{
	static unsigned int serial;
	struct vmbus_server_config cfg = { .name = "netvsp-guest" };
	struct ng *g;
	char name[32];

	if (ng_eal_init() < 0)
		return NULL;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return NULL;
	g->msgq = calloc(NG_MSGQ, VMBUS_MSG_MAX_SIZE);
	/* Sealed like vmbus_sock_client's partitions: the server relies on
	 * the memory not shrinking under it. */
	g->memfd = memfd_create("ng-partition", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (g->msgq == NULL || g->memfd < 0 || ftruncate(g->memfd, NG_MEM_SIZE) < 0 ||
	    fcntl(g->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		goto fail;
	g->mem.base = mmap(NULL, NG_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, g->memfd, 0);
	if (g->mem.base == MAP_FAILED)
		goto fail;
	g->mem.size = NG_MEM_SIZE;
	g->mem.fd = g->memfd;
	g->srv = vmbus_server_create(&cfg, &g->mem, &srv_tr, g);
	if (g->srv == NULL || netvsp_host_create(NULL, &g->host) < 0)
		goto fail;
	snprintf(name, sizeof(name), "ng_mp%u", serial++);
	g->mp = rte_pktmbuf_pool_create(name, 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					SOCKET_ID_ANY);
	if (g->mp == NULL)
		goto fail;
	vmbus_client_init(&g->cl, &cl_tr, g, 0, 0, 0);
	if (vmbus_client_connect(&g->cl) < 0)
		goto fail;
	ng_pump(g);
	if (g->cl.state != VMBUS_CLIENT_CONNECTED || vmbus_client_request_offers(&g->cl) < 0)
		goto fail;
	ng_pump(g);
	return g;
fail:
	fprintf(stderr, "ng_create failed\n");
	ng_destroy(g);
	return NULL;
}

void ng_destroy(struct ng *g)
{
	unsigned int i;

	if (g == NULL)
		return;
	/* The server releases every channel: the vNICs free themselves. */
	if (g->srv != NULL)
		vmbus_server_destroy(g->srv);
	if (g->host != NULL)
		netvsp_host_destroy(g->host);
	for (i = 0; i < g->nnics; i++) {
		struct ng_nic *n = g->nics[i];
		unsigned int k;

		ng_free_frames(n);
		for (k = 0; k < NG_MAX_CHAN; k++) {
			free(n->ch[k].scratch);
			free(n->ch[k].inbox);
			free(n->frames[k]);
		}
		free(n);
	}
	if (g->mp != NULL)
		rte_mempool_free(g->mp);
	if (g->mem.base != NULL && g->mem.base != MAP_FAILED)
		munmap(g->mem.base, NG_MEM_SIZE);
	if (g->memfd >= 0)
		close(g->memfd);
	free(g->msgq);
	free(g);
}

struct ng_nic *ng_nic_add(struct ng *g, uint16_t max_queues, uint32_t mtu)
{
	struct netvsp_nic_config cfg;
	struct ng_nic *n;
	unsigned int k;

	if (g->nnics == 2)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->g = g;
	n->index = g->nnics;
	n->instance = (uint16_t)(0x100 + g->nnics);
	memcpy(n->mac, (uint8_t[6]){ 0x00, 0x15, 0x5d, 0x42, 0x00, (uint8_t)(0x10 + g->nnics) }, 6);
	n->region = (1u << 20) + (uint64_t)g->nnics * NG_NIC_REGION;
	n->next_tid = 1;
	n->req_id = 1;
	for (k = 0; k < NG_MAX_CHAN; k++) {
		n->ch[k].scratch = malloc(65536);
		n->ch[k].inbox = calloc(NG_INBOX, sizeof(struct ng_rx));
		n->frames[k] = calloc(NG_FRAMES, sizeof(struct rte_mbuf *));
		if (n->ch[k].scratch == NULL || n->ch[k].inbox == NULL || n->frames[k] == NULL)
			return NULL;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = n->index == 0 ? "hvnet-nic0" : "hvnet-nic1";
	memcpy(cfg.mac, n->mac, 6);
	cfg.instance = n->instance;
	cfg.max_queues = max_queues;
	cfg.mtu = mtu;
	cfg.mp = g->mp;
	g->nics[g->nnics++] = n;
	if (netvsp_nic_offer(g->host, g->srv, &cfg, &n->nic) < 0)
		return NULL;
	n->port = netvsp_nic_port(n->nic);
	ng_pump(g);
	return n;
}

/* ---- Channels ---- */

static bool is_mine(const struct ng_nic *n, const struct vmbus_client_offer *o)
{
	struct vmbus_guid inst = nic_guid;

	memcpy(&inst.b[10], n->mac, 6);
	inst.b[8] = (uint8_t)n->instance;
	inst.b[9] = (uint8_t)(n->instance >> 8);
	return memcmp(&o->msg.if_type, &nic_guid, sizeof(nic_guid)) == 0 &&
	       memcmp(&o->msg.if_instance, &inst, sizeof(inst)) == 0;
}

struct vmbus_client_offer *ng_offer(struct ng_nic *n, uint16_t idx)
{
	unsigned int i;

	for (i = 0; i < VMBUS_CLIENT_MAX_OFFERS; i++) {
		struct vmbus_client_offer *o = &n->g->cl.offers[i];

		if (o->state == VMBUS_CHAN_NONE || o->state == VMBUS_CHAN_RESCINDED)
			continue;
		if (is_mine(n, o) && o->msg.sub_channel_index == idx)
			return o;
	}
	return NULL;
}

unsigned int ng_count_offers(struct ng_nic *n)
{
	unsigned int i, c = 0;

	for (i = 0; i < VMBUS_CLIENT_MAX_OFFERS; i++) {
		struct vmbus_client_offer *o = &n->g->cl.offers[i];

		if (o->state != VMBUS_CHAN_NONE && o->state != VMBUS_CHAN_RESCINDED && is_mine(n, o))
			c++;
	}
	return c;
}

int ng_open_chan(struct ng_nic *n, uint16_t idx)
{
	struct ng *g = n->g;
	struct ng_chan *c = &n->ch[idx];
	struct vmbus_client_offer *o = ng_offer(n, idx);
	uint64_t gpa = n->region + (uint64_t)idx * 2u * NG_RING_BYTES;
	uint64_t pfns[2 * NG_RING_BYTES / 4096u];
	uint32_t i;

	if (o == NULL || idx >= NG_MAX_CHAN)
		return -ENOENT;
	memset(ng_gpa(g, gpa), 0, 2 * NG_RING_BYTES);
	if (vmbus_client_rings_format(ng_gpa(g, gpa), NG_RING_BYTES, NG_RING_BYTES) < 0)
		return -EINVAL;
	for (i = 0; i < HVN_ARRAY_SIZE(pfns); i++)
		pfns[i] = (gpa >> 12) + i;
	if (vmbus_client_gpadl_create(&g->cl, o->msg.child_relid, pfns, HVN_ARRAY_SIZE(pfns),
				      &c->gpadl) < 0)
		return -EIO;
	ng_pump(g);
	if (vmbus_client_gpadl_status(&g->cl, c->gpadl) != 0)
		return -EIO;
	if (vmbus_client_open(&g->cl, o->msg.child_relid, c->gpadl, NG_RING_BYTES / 4096u, 0) < 0)
		return -EIO;
	ng_pump(g);
	if (vmbus_client_open_status(&g->cl, o->msg.child_relid) != 0)
		return -ECONNREFUSED;
	if (vmbus_client_channel_attach(&c->cc, o, ng_gpa(g, gpa), NG_RING_BYTES, NG_RING_BYTES,
					c->scratch, 65536) < 0)
		return -EPROTO;
	c->relid = o->msg.child_relid;
	c->open = true;
	c->ninbox = 0;
	return 0;
}

int ng_gpadl_teardown(struct ng_nic *n, uint32_t gpadl)
{
	struct ng *g = n->g;

	if (vmbus_client_gpadl_teardown(&g->cl, n->ch[0].relid, gpadl) < 0)
		return -EIO;
	ng_pump(g);
	return vmbus_client_gpadl_torn_down(&g->cl, gpadl) == 0 ? 0 : -EIO;
}

int ng_close_chan(struct ng_nic *n, uint16_t idx, bool teardown)
{
	struct ng *g = n->g;
	struct ng_chan *c = &n->ch[idx];
	int rc = 0;

	if (!c->open)
		return -ENOENT;
	c->open = false;
	if (vmbus_client_close(&g->cl, c->relid) < 0)
		rc = -EIO;
	ng_pump(g);
	if (teardown) {
		if (vmbus_client_gpadl_teardown(&g->cl, c->relid, c->gpadl) < 0)
			rc = -EIO;
		ng_pump(g);
		if (vmbus_client_gpadl_torn_down(&g->cl, c->gpadl) != 0)
			rc = -EIO;
	}
	c->ninbox = 0;
	return rc;
}

/* ---- Memory ---- */

uint64_t ng_rbuf_gpa(const struct ng_nic *n)
{
	return n->region + 2ull * NG_RING_BYTES * NG_MAX_CHAN;
}

uint64_t ng_sbuf_gpa(const struct ng_nic *n)
{
	return ng_rbuf_gpa(n) + NG_RBUF_SIZE;
}

#define NG_DMA_PAGES 1024u

uint64_t ng_dma_page(struct ng_nic *n)
{
	uint64_t base = ng_sbuf_gpa(n) + NG_SBUF_SIZE;
	/* Every third page, walking down: consecutive requests are never
	 * adjacent, so a host that assumes contiguity reads wrong bytes. */
	uint64_t i = (NG_DMA_PAGES - 1u) - (n->dma_next * 3u) % NG_DMA_PAGES;

	n->dma_next++;
	return base + i * 4096u;
}

void ng_rbuf_read(const struct ng_nic *n, uint32_t off, uint32_t len, uint8_t *out)
{
	while (len > 0) {
		uint32_t page = off >> 12, po = off & 4095u, k = HVN_MIN(len, 4096u - po);

		memcpy(out, n->g->mem.base + (n->rbuf_pfn[page] << 12) + po, k);
		out += k;
		off += k;
		len -= k;
	}
}

/* ---- Ring I/O ---- */

int ng_put(struct ng_nic *n, uint16_t q, const struct vmbus_pkt_out *o)
{
	struct ng_chan *c = &n->ch[q];
	int rc = vmbus_ring_put(&c->cc.tx, o);

	if (rc < 0)
		return rc;
	if (vmbus_ring_write_commit(&c->cc.tx))
		vmbus_client_channel_signal(&n->g->cl, &c->cc);
	return 0;
}

uint64_t ng_send_nvsp(struct ng_nic *n, uint16_t q, const void *msg, uint32_t len, bool comp)
{
	uint64_t tid = comp ? n->next_tid++ : NG_TID_NO_RESPONSE;
	struct vmbus_sg sg = { msg, len };
	struct vmbus_pkt_out o = {
		.type = VMBUS_PKT_DATA_INBAND,
		.flags = comp ? VMBUS_PKT_FLAG_COMPLETION_REQUESTED : 0,
		.trans_id = tid,
		.sg = &sg,
		.nsg = 1,
	};

	return ng_put(n, q, &o) == 0 ? tid : 0;
}

static void drain(struct ng_nic *n, uint16_t q)
{
	struct ng_chan *c = &n->ch[q];
	struct vmbus_pkt p;
	int err = 0;

	if (!c->open)
		return;
	while (c->ninbox < NG_INBOX && vmbus_ring_read_burst(&c->cc.rx, &p, 1, &err) == 1) {
		struct ng_rx *r = &c->inbox[c->ninbox++];
		uint32_t plen = vmbus_pkt_payload_len(&p);

		memset(r, 0, offsetof(struct ng_rx, ranges));
		r->type = p.desc.type;
		r->flags = p.desc.flags;
		r->tid = p.desc.trans_id;
		r->plen = plen;
		r->seq = ++n->g->seq;
		memcpy(r->payload, vmbus_pkt_payload(&p), HVN_MIN(plen, (uint32_t)sizeof(r->payload)));
		if (r->type == VMBUS_PKT_DATA_XFER_PAGES && p.off >= 24) {
			uint32_t cnt;

			memcpy(&r->xfer_id, p.pkt + 16, 2);
			memcpy(&cnt, p.pkt + 20, 4);
			r->nranges = cnt;
			if (cnt > (p.off - 24) / 8)
				cnt = (p.off - 24) / 8;
			memcpy(r->ranges, p.pkt + 24, HVN_MIN(cnt, NG_MAX_RANGES) * 8u);
		}
		if (vmbus_ring_read_commit(&c->cc.rx))
			vmbus_client_channel_signal(&n->g->cl, &c->cc);
	}
	if (err < 0)
		c->read_faults++;
}

void ng_poll(struct ng_nic *n, uint16_t q)
{
	struct rte_mbuf *mb[32];
	uint16_t k, i;

	k = n->port->ops->rx_burst(n->port->priv, q, mb, 32);
	for (i = 0; i < k; i++) {
		if (n->nframes[q] < NG_FRAMES) {
			n->frames[q][n->nframes[q]++] = mb[i];
		} else {
			rte_pktmbuf_free(mb[i]);
			n->frames_lost++;
		}
	}
	drain(n, q);
	ng_pump(n->g);
}

static int take(struct ng_nic *n, uint16_t q, uint16_t type, bool match_tid, uint64_t tid,
		struct ng_rx *out)
{
	struct ng_chan *c = &n->ch[q];
	unsigned int i, round;

	for (round = 0; round < NG_WAIT_ROUNDS; round++) {
		for (i = 0; i < c->ninbox; i++) {
			if (c->inbox[i].type != type || (match_tid && c->inbox[i].tid != tid))
				continue;
			if (out != NULL)
				*out = c->inbox[i];
			memmove(&c->inbox[i], &c->inbox[i + 1], (c->ninbox - i - 1) * sizeof(*c->inbox));
			c->ninbox--;
			return 0;
		}
		ng_poll(n, q);
	}
	return -1;
}

int ng_wait_comp(struct ng_nic *n, uint16_t q, uint64_t tid, struct ng_rx *out)
{
	return take(n, q, VMBUS_PKT_COMP, true, tid, out);
}

int ng_wait_xfer(struct ng_nic *n, uint16_t q, struct ng_rx *out)
{
	return take(n, q, VMBUS_PKT_DATA_XFER_PAGES, false, 0, out);
}

int ng_wait_inband(struct ng_nic *n, uint16_t q, struct ng_rx *out)
{
	return take(n, q, VMBUS_PKT_DATA_INBAND, false, 0, out);
}

unsigned int ng_inbox_count(struct ng_nic *n, uint16_t q, uint16_t type)
{
	unsigned int i, c = 0;

	for (i = 0; i < n->ch[q].ninbox; i++)
		c += n->ch[q].inbox[i].type == type;
	return c;
}

int ng_complete_xfer(struct ng_nic *n, uint16_t q, uint64_t tid)
{
	struct nvsp_msg m;
	struct vmbus_sg sg = { &m, NVSP_MSG_MIN(rndis_pkt_complete) };
	struct vmbus_pkt_out o = { .type = VMBUS_PKT_COMP, .trans_id = tid, .sg = &sg, .nsg = 1 };

	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE;
	m.u.rndis_pkt_complete.status = NVSP_STAT_SUCCESS;
	return ng_put(n, q, &o);
}

int ng_nvsp_call(struct ng_nic *n, uint16_t q, const struct nvsp_msg *m, uint32_t len,
		 struct nvsp_msg *reply, uint32_t *rlen)
{
	uint64_t tid = ng_send_nvsp(n, q, m, len, true);
	struct ng_rx r;

	if (tid == 0 || ng_wait_comp(n, q, tid, &r) < 0)
		return -1;
	memset(reply, 0, sizeof(*reply));
	memcpy(reply, r.payload, HVN_MIN(r.plen, (uint32_t)sizeof(*reply)));
	*rlen = r.plen;
	return 0;
}

/* ---- RNDIS ---- */

static uint32_t next_section(struct ng_nic *n)
{
	uint32_t nsec = NG_SBUF_SIZE / n->section_size;
	uint32_t s = n->next_section++ % nsec;

	return s;
}

uint64_t ng_tx_section(struct ng_nic *n, uint16_t q, const uint8_t *const *msgs,
		       const uint32_t *lens, unsigned int count, uint32_t channel_type)
{
	uint32_t sec = next_section(n), off = 0;
	uint8_t *dst = ng_gpa(n->g, ng_sbuf_gpa(n) + (uint64_t)sec * n->section_size);
	struct nvsp_msg m;
	unsigned int i;

	for (i = 0; i < count; i++) {
		if (off + lens[i] > n->section_size)
			return 0;
		memcpy(dst + off, msgs[i], lens[i]);
		off += lens[i];
	}
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RNDIS_PKT;
	m.u.rndis_pkt.channel_type = channel_type;
	m.u.rndis_pkt.send_buf_section_index = sec;
	m.u.rndis_pkt.send_buf_section_size = off;
	/* Linux sends the full nvsp_message (40 bytes). */
	return ng_send_nvsp(n, q, &m, sizeof(m), true);
}

int ng_put_gpa_raw(struct ng_nic *n, uint16_t q, uint32_t range_cnt, const void *ranges,
		   uint32_t ranges_len, const struct nvsp_msg *m, uint64_t tid, bool comp)
{
	uint8_t hdr[8 + 4096];
	struct vmbus_sg sg = { m, sizeof(*m) };
	struct vmbus_pkt_out o = {
		.type = VMBUS_PKT_DATA_GPA_DIRECT,
		.flags = comp ? VMBUS_PKT_FLAG_COMPLETION_REQUESTED : 0,
		.trans_id = tid,
		.hdr = hdr,
		.sg = &sg,
		.nsg = 1,
	};
	uint32_t zero = 0;

	if (ranges_len > 4096 || (ranges_len & 7u) != 0)
		return -EINVAL;
	memcpy(hdr, &zero, 4);
	memcpy(hdr + 4, &range_cnt, 4);
	memcpy(hdr + 8, ranges, ranges_len);
	o.hdr_len = 8 + ranges_len;
	return ng_put(n, q, &o);
}

/* Lay 'len' bytes of 'src' out as GPA ranges of at most 'chunk' bytes,
 * each starting at an odd in-page offset, on scattered DMA pages. */
static uint32_t build_ranges(struct ng_nic *n, const uint8_t *src, uint32_t len, uint32_t chunk,
			     uint8_t *ranges, uint32_t *nranges)
{
	uint32_t rl = 0, done = 0, r = 0;

	while (done < len) {
		uint32_t cnt = HVN_MIN(chunk, len - done);
		uint32_t off = (uint32_t)((0x1a8u * (r + 1)) & 0xff8u), left = cnt, po = off;
		uint32_t npfn = (off + cnt + 4095u) / 4096u, i;

		memcpy(ranges + rl, &cnt, 4);
		memcpy(ranges + rl + 4, &off, 4);
		rl += 8;
		for (i = 0; i < npfn; i++) {
			uint64_t gpa = ng_dma_page(n), pfn = gpa >> 12;
			uint32_t k = HVN_MIN(left, 4096u - po);

			memcpy(ng_gpa(n->g, gpa) + po, src + done, k);
			memcpy(ranges + rl, &pfn, 8);
			rl += 8;
			done += k;
			left -= k;
			po = 0;
		}
		r++;
	}
	*nranges = r;
	return rl;
}

uint64_t ng_tx_gpa(struct ng_nic *n, uint16_t q, const uint8_t *msg, uint32_t len, uint32_t chunk)
{
	uint8_t ranges[4096];
	uint32_t nr, rl;
	struct nvsp_msg m;
	uint64_t tid = n->next_tid++;

	rl = build_ranges(n, msg, len, chunk, ranges, &nr);
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RNDIS_PKT;
	m.u.rndis_pkt.channel_type = NVSP_RNDIS_CHANNEL_DATA;
	m.u.rndis_pkt.send_buf_section_index = NVSP_INVALID_SECTION;
	return ng_put_gpa_raw(n, q, nr, ranges, rl, &m, tid, true) == 0 ? tid : 0;
}

uint64_t ng_tx_partial(struct ng_nic *n, uint16_t q, const uint8_t *const *msgs,
		       const uint32_t *lens, unsigned int count, uint32_t last_hdr_len)
{
	uint32_t sec = next_section(n), off = 0, nr, rl;
	uint8_t *dst = ng_gpa(n->g, ng_sbuf_gpa(n) + (uint64_t)sec * n->section_size);
	uint8_t ranges[4096];
	struct nvsp_msg m;
	uint64_t tid = n->next_tid++;
	unsigned int i;

	for (i = 0; i + 1 < count; i++) {
		memcpy(dst + off, msgs[i], lens[i]);
		off += lens[i];
	}
	memcpy(dst + off, msgs[count - 1], last_hdr_len);
	off += last_hdr_len;
	rl = build_ranges(n, msgs[count - 1] + last_hdr_len, lens[count - 1] - last_hdr_len,
			  4096, ranges, &nr);
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RNDIS_PKT;
	m.u.rndis_pkt.channel_type = NVSP_RNDIS_CHANNEL_DATA;
	m.u.rndis_pkt.send_buf_section_index = sec;
	m.u.rndis_pkt.send_buf_section_size = off;
	return ng_put_gpa_raw(n, q, nr, ranges, rl, &m, tid, true) == 0 ? tid : 0;
}

uint32_t ng_pkt_hdr_len(unsigned int nppi)
{
	return 8u + 36u + nppi * 16u;
}

uint32_t ng_build_pkt(uint8_t *buf, const void *frame, uint32_t flen,
		      const struct ng_ppi *ppi, unsigned int nppi, bool pad)
{
	uint32_t hl = ng_pkt_hdr_len(nppi), len = hl + flen, v;
	unsigned int i;

	if (pad)
		len = HVN_ALIGN_UP(len, 8u);
	memset(buf, 0, len);
	v = RNDIS_MSG_PACKET;
	memcpy(buf, &v, 4);
	memcpy(buf + 4, &len, 4);
	v = hl - 8;                    /* data_offset, from rndis_packet */
	memcpy(buf + 8, &v, 4);
	memcpy(buf + 12, &flen, 4);    /* data_len */
	if (nppi > 0) {
		v = 36;                /* per_pkt_info_offset */
		memcpy(buf + 8 + 20, &v, 4);
		v = nppi * 16u;
		memcpy(buf + 8 + 24, &v, 4);
	}
	for (i = 0; i < nppi; i++) {
		uint8_t *p = buf + 44 + 16 * i;
		uint32_t sz = 16, off = 12;

		memcpy(p, &sz, 4);
		memcpy(p + 4, &ppi[i].type, 4);
		memcpy(p + 8, &off, 4);
		memcpy(p + 12, &ppi[i].value, 4);
	}
	memcpy(buf + hl, frame, flen);
	return len;
}

int ng_rndis_ctrl(struct ng_nic *n, const void *msg, uint32_t len, uint8_t *reply, uint32_t *rlen)
{
	const uint8_t *msgs[1] = { msg };
	uint64_t tid = ng_tx_section(n, 0, msgs, &len, 1, NVSP_RNDIS_CHANNEL_CONTROL);
	struct ng_rx r, x;
	uint32_t st;

	if (tid == 0 || ng_wait_comp(n, 0, tid, &r) < 0)
		return -1;
	memcpy(&st, r.payload + 4, 4);
	if (r.plen < 8 || st != NVSP_STAT_SUCCESS)
		return -1;
	if (reply == NULL)
		return 0;
	if (ng_wait_xfer(n, 0, &x) < 0 || x.nranges != 1)
		return -1;
	*rlen = HVN_MIN(x.ranges[0].byte_count, 1024u);
	ng_rbuf_read(n, x.ranges[0].byte_offset, *rlen, reply);
	ng_complete_xfer(n, 0, x.tid);
	return 0;
}

int ng_rndis_query(struct ng_nic *n, uint32_t oid, const void *in, uint32_t inlen,
		   struct ng_query *q)
{
	uint8_t m[512], rep[1024];
	uint32_t v, len = 8 + 20 + inlen, rlen, off, blen;

	memset(m, 0, sizeof(m));
	v = RNDIS_MSG_QUERY;
	memcpy(m, &v, 4);
	memcpy(m + 4, &len, 4);
	v = n->req_id++;
	memcpy(m + 8, &v, 4);
	memcpy(m + 12, &oid, 4);
	memcpy(m + 16, &inlen, 4);
	v = 20;                             /* info_buf_offset, Linux: sizeof(rndis_query_request) */
	memcpy(m + 20, &v, 4);
	if (inlen > 0)
		memcpy(m + 28, in, inlen);
	q->oid = oid;
	q->status = ~0u;
	q->len = 0;
	if (ng_rndis_ctrl(n, m, len, rep, &rlen) < 0 || rlen < 24)
		return -1;
	memcpy(&v, rep, 4);
	if (v != RNDIS_MSG_QUERY_C)
		return -1;
	memcpy(&v, rep + 8, 4);
	if (v != n->req_id - 1)
		return -1;
	memcpy(&q->status, rep + 12, 4);
	memcpy(&blen, rep + 16, 4);
	memcpy(&off, rep + 20, 4);
	/* rndis_filter.c: the buffer must lie inside the message. */
	if (blen > 0) {
		if (off < 16 || 8 + off + blen > rlen || blen > sizeof(q->buf))
			return -1;
		memcpy(q->buf, rep + 8 + off, blen);
	}
	q->len = blen;
	return 0;
}

int ng_rndis_set(struct ng_nic *n, uint32_t oid, const void *in, uint32_t inlen, uint32_t *status)
{
	uint8_t m[1024], rep[1024];
	uint32_t v, len = 8 + 20 + inlen, rlen;

	if (len > sizeof(m))
		return -1;
	memset(m, 0, len);
	v = RNDIS_MSG_SET;
	memcpy(m, &v, 4);
	memcpy(m + 4, &len, 4);
	v = n->req_id++;
	memcpy(m + 8, &v, 4);
	memcpy(m + 12, &oid, 4);
	memcpy(m + 16, &inlen, 4);
	v = 20;
	memcpy(m + 20, &v, 4);
	memcpy(m + 28, in, inlen);
	if (ng_rndis_ctrl(n, m, len, rep, &rlen) < 0 || rlen < 16)
		return -1;
	memcpy(&v, rep, 4);
	if (v != RNDIS_MSG_SET_C)
		return -1;
	memcpy(&v, rep + 8, 4);
	if (v != n->req_id - 1)
		return -1;
	memcpy(status, rep + 12, 4);
	return 0;
}

/* ---- §3.2 ---- */

uint32_t ng_nvsp_init(struct ng_nic *n, uint32_t ver)
{
	struct nvsp_msg m, r;
	uint32_t rlen;

	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG_INIT;
	m.u.init.min_protocol_ver = ver;
	m.u.init.max_protocol_ver = ver;
	if (ng_nvsp_call(n, 0, &m, sizeof(m), &r, &rlen) < 0)
		return 0;
	n->log.init_comp = r;
	n->log.init_comp_len = rlen;
	/* netvsc_send_completion: shorter INIT_COMPLETEs are dropped. */
	if (rlen < NVSP_MSG_SIZE_V1 || r.type != NVSP_MSG_INIT_COMPLETE)
		return 0;
	return r.u.init_complete.status;
}

#define FAIL_IF(c) do { if (c) { fprintf(stderr, "ng_linux_init: %s:%d: %s\n", \
				__FILE__, __LINE__, #c); return -__LINE__; } } while (0)

static const uint32_t linux_versions[] = {
	NVSP_VERSION_61, NVSP_VERSION_6, NVSP_VERSION_5, NVSP_VERSION_4,
	NVSP_VERSION_2, NVSP_VERSION_1,
};

static int buffer_gpadl(struct ng_nic *n, uint64_t gpa, uint32_t bytes, bool scattered,
			uint64_t *pfn_out, uint32_t *handle)
{
	static uint64_t pfns[NG_RBUF_SIZE / 4096u];
	uint32_t np = bytes / 4096u, i;

	for (i = 0; i < np; i++) {
		/* Scattered: pairs swapped (1, 0, 3, 2, ...), so no two
		 * neighbours in the buffer are neighbours in memory. */
		uint32_t k = scattered ? (i ^ 1u) : i;

		pfns[i] = (gpa >> 12) + k;
		if (pfn_out != NULL)
			pfn_out[i] = pfns[i];
	}
	if (vmbus_client_gpadl_create(&n->g->cl, n->ch[0].relid, pfns, np, handle) < 0)
		return -1;
	ng_pump(n->g);
	return vmbus_client_gpadl_status(&n->g->cl, *handle) == 0 ? 0 : -1;
}

int ng_linux_init(struct ng_nic *n, const struct ng_init_opts *o)
{
	const uint32_t *vers = o->versions != NULL ? o->versions : linux_versions;
	unsigned int nv = o->versions != NULL ? o->nversions : HVN_ARRAY_SIZE(linux_versions), i;
	struct ng_init_log *lg = &n->log;
	struct nvsp_msg m, r;
	uint32_t rlen, st;

	memset(lg, 0, sizeof(*lg));
	n->nvsp_ver = 0;
	n->granted = 0;
	if (!n->ch[0].open)
		FAIL_IF(ng_open_chan(n, 0) < 0);
	/* 2. INIT, newest first; FAIL means try the next. */
	for (i = 0; i < nv && n->nvsp_ver == 0; i++) {
		st = ng_nvsp_init(n, vers[i]);
		if (lg->ntried < 8) {
			lg->tried[lg->ntried] = vers[i];
			lg->tried_status[lg->ntried++] = st;
		}
		if (st == NVSP_STAT_SUCCESS)
			n->nvsp_ver = vers[i];
	}
	FAIL_IF(n->nvsp_ver == 0);
	/* 3. NDIS_CONFIG, no completion. */
	if (n->nvsp_ver >= NVSP_VERSION_2) {
		memset(&m, 0, sizeof(m));
		m.type = NVSP_MSG2_SEND_NDIS_CONFIG;
		m.u.ndis_config.mtu = 1500 + 14;
		m.u.ndis_config.capability = NVSP_CAP_IEEE8021Q;
		if (n->nvsp_ver >= NVSP_VERSION_5)
			m.u.ndis_config.capability |= NVSP_CAP_SRIOV | NVSP_CAP_TEAMING;
		if (n->nvsp_ver >= NVSP_VERSION_61)
			m.u.ndis_config.capability |= NVSP_CAP_RSC;
		FAIL_IF(ng_send_nvsp(n, 0, &m, sizeof(m), false) == 0);
	}
	/* 4. NDIS_VER. */
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_NDIS_VER;
	m.u.ndis_ver.ndis_major_ver = 6;
	m.u.ndis_ver.ndis_minor_ver = n->nvsp_ver <= NVSP_VERSION_4 ? 1 : 30;
	FAIL_IF(ng_send_nvsp(n, 0, &m, sizeof(m), false) == 0);
	/* 5. Receive buffer. */
	FAIL_IF(buffer_gpadl(n, ng_rbuf_gpa(n), NG_RBUF_SIZE, o->scattered_rbuf, n->rbuf_pfn,
			     &n->rbuf_gpadl) < 0);
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RECV_BUF;
	m.u.send_buf.gpadl_handle = n->rbuf_gpadl;
	m.u.send_buf.id = NVSP_RECV_BUF_ID;
	FAIL_IF(ng_nvsp_call(n, 0, &m, sizeof(m), &r, &rlen) < 0);
	lg->recv_comp = r;
	lg->recv_comp_len = rlen;
	FAIL_IF(r.type != NVSP_MSG1_SEND_RECV_BUF_COMPLETE);
	FAIL_IF(r.u.recv_buf_complete.status != NVSP_STAT_SUCCESS);
	/* netvsc_init_buf's checks. */
	FAIL_IF(r.u.recv_buf_complete.num_sections != 1);
	FAIL_IF(r.u.recv_buf_complete.sections[0].offset != 0);
	FAIL_IF(r.u.recv_buf_complete.sections[0].sub_alloc_size < 68);
	FAIL_IF((uint64_t)r.u.recv_buf_complete.sections[0].sub_alloc_size *
		r.u.recv_buf_complete.sections[0].num_sub_allocs > NG_RBUF_SIZE);
	n->sub_alloc_size = r.u.recv_buf_complete.sections[0].sub_alloc_size;
	n->num_sub_allocs = r.u.recv_buf_complete.sections[0].num_sub_allocs;
	/* 6. Send buffer. */
	FAIL_IF(buffer_gpadl(n, ng_sbuf_gpa(n), NG_SBUF_SIZE, false, NULL, &n->sbuf_gpadl) < 0);
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_SEND_BUF;
	m.u.send_buf.gpadl_handle = n->sbuf_gpadl;
	m.u.send_buf.id = NVSP_SEND_BUF_ID;
	FAIL_IF(ng_nvsp_call(n, 0, &m, sizeof(m), &r, &rlen) < 0);
	lg->send_comp = r;
	lg->send_comp_len = rlen;
	FAIL_IF(r.type != NVSP_MSG1_SEND_SEND_BUF_COMPLETE);
	FAIL_IF(r.u.send_buf_complete.status != NVSP_STAT_SUCCESS);
	FAIL_IF(r.u.send_buf_complete.section_size < 68);
	n->section_size = r.u.send_buf_complete.section_size;
	n->next_section = 0;
	/* 7. RNDIS INITIALIZE. */
	{
		uint8_t im[24];
		uint32_t v;

		memset(im, 0, sizeof(im));
		v = RNDIS_MSG_INIT;
		memcpy(im, &v, 4);
		v = 24;
		memcpy(im + 4, &v, 4);
		v = n->req_id++;
		memcpy(im + 8, &v, 4);
		v = 1;
		memcpy(im + 12, &v, 4);          /* major */
		v = 0x4000;
		memcpy(im + 20, &v, 4);          /* max_xfer_size */
		FAIL_IF(ng_rndis_ctrl(n, im, 24, lg->init_c, &lg->init_c_len) < 0);
		FAIL_IF(lg->init_c_len < 52);
		memcpy(&v, lg->init_c, 4);
		FAIL_IF(v != RNDIS_MSG_INIT_C);
		memcpy(&v, lg->init_c + 12, 4);
		FAIL_IF(v != RNDIS_STATUS_SUCCESS);
	}
	/* 8. Queries, in Linux's order; fatal ones checked as Linux does. */
	{
		static const uint32_t oids[] = {
			RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE, RNDIS_OID_802_3_PERMANENT_ADDRESS,
			RNDIS_OID_GEN_FRIENDLY_NAME, RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES,
		};
		struct ng_query *q;

		for (i = 0; i < HVN_ARRAY_SIZE(oids); i++) {
			uint8_t hw[NDIS_OFFLOAD_SIZE];
			bool is_hw = oids[i] == RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES;

			q = &lg->q[lg->nq++];
			memset(hw, 0, sizeof(hw));
			/* rndis_query_hwcaps: the request carries an
			 * ndis_offload header sized NDIS_OFFLOAD_SIZE. */
			if (is_hw) {
				struct ndis_object_header h = { NDIS_OBJECT_TYPE_OFFLOAD,
								NDIS_OFFLOAD_REVISION_3,
								NDIS_OFFLOAD_SIZE };
				memcpy(hw, &h, sizeof(h));
			}
			FAIL_IF(ng_rndis_query(n, oids[i], is_hw ? hw : NULL,
					       is_hw ? NDIS_OFFLOAD_SIZE : 0, q) < 0);
		}
		q = &lg->q[1];
		FAIL_IF(q->status != RNDIS_STATUS_SUCCESS || q->len < 6);
		q = &lg->q[3];
		FAIL_IF(q->status != RNDIS_STATUS_SUCCESS);
		FAIL_IF(q->len < NDIS_OFFLOAD_SIZE_6_0 || q->len > NDIS_OFFLOAD_SIZE);
		FAIL_IF(q->buf[0] != NDIS_OBJECT_TYPE_OFFLOAD || q->buf[1] < NDIS_OFFLOAD_REVISION_1);
		{
			uint16_t sz;

			memcpy(&sz, q->buf + 2, 2);
			FAIL_IF(sz < NDIS_OFFLOAD_SIZE_6_0 || sz > q->len);
		}
	}
	/* SET OID_TCP_OFFLOAD_PARAMETERS: fatal unless SUCCESS. */
	{
		struct ndis_offload_params p;

		memset(&p, 0, sizeof(p));
		p.header.type = 0x80;   /* NDIS_OBJECT_TYPE_DEFAULT */
		p.header.revision = 2;
		p.header.size = sizeof(p);
		p.ip_v4_csum = p.tcp_ip_v4_csum = p.udp_ip_v4_csum = NDIS_OFFLOAD_PARAMS_TX_RX_ENABLED;
		p.tcp_ip_v6_csum = p.udp_ip_v6_csum = NDIS_OFFLOAD_PARAMS_TX_RX_ENABLED;
		p.lso_v2_ipv4 = p.lso_v2_ipv6 = NDIS_OFFLOAD_PARAMS_LSOV2_ENABLED;
		FAIL_IF(ng_rndis_set(n, RNDIS_OID_TCP_OFFLOAD_PARAMETERS, &p, sizeof(p),
				     &lg->offload_status) < 0);
		FAIL_IF(lg->offload_status != RNDIS_STATUS_SUCCESS);
	}
	FAIL_IF(ng_rndis_query(n, RNDIS_OID_GEN_MEDIA_CONNECT_STATUS, NULL, 0, &lg->q[lg->nq++]) < 0);
	if (n->nvsp_ver >= NVSP_VERSION_5) {
		uint8_t rc[sizeof(struct ndis_rss_caps)];

		memset(rc, 0, sizeof(rc));
		rc[0] = NDIS_OBJECT_TYPE_RSS_CAPABILITIES;
		rc[1] = NDIS_RSS_CAPS_REVISION_2;
		rc[2] = sizeof(rc);
		FAIL_IF(ng_rndis_query(n, RNDIS_OID_GEN_LINK_SPEED, NULL, 0, &lg->q[lg->nq++]) < 0);
		FAIL_IF(ng_rndis_query(n, RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES, rc, sizeof(rc),
				       &lg->q[lg->nq++]) < 0);
	}
	/* 9. Packet filter on open. */
	st = o->filter != 0 ? o->filter : NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST |
					  NDIS_PACKET_TYPE_BROADCAST;
	FAIL_IF(ng_rndis_set(n, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &st, 4, &lg->filter_status) < 0);
	/* 10. Subchannels. */
	if (o->subchannels > 0 && n->nvsp_ver >= NVSP_VERSION_5) {
		uint64_t tid;
		struct ng_rx x;

		memset(&m, 0, sizeof(m));
		m.type = NVSP_MSG5_SUBCHANNEL;
		m.u.subchannel_req.op = NVSP_SUBCHANNEL_ALLOCATE;
		m.u.subchannel_req.num_subchannels = o->subchannels;
		tid = ng_send_nvsp(n, 0, &m, sizeof(m), true);
		FAIL_IF(tid == 0);
		/* Poll the host and the ring only: the completion must be
		 * there before the control thread offered anything. */
		for (i = 0; i < 8 && ng_inbox_count(n, 0, VMBUS_PKT_COMP) == 0; i++) {
			struct rte_mbuf *mb[32];
			uint16_t k = n->port->ops->rx_burst(n->port->priv, 0, mb, 32), j;

			for (j = 0; j < k; j++)
				rte_pktmbuf_free(mb[j]);
			drain(n, 0);
		}
		lg->offers_at_sub_comp = ng_count_offers(n) - 1u;
		FAIL_IF(ng_wait_comp(n, 0, tid, &x) < 0);
		memcpy(&lg->sub_comp, x.payload, HVN_MIN(x.plen, (uint32_t)sizeof(lg->sub_comp)));
		lg->sub_comp_len = x.plen;
		FAIL_IF(lg->sub_comp.type != NVSP_MSG5_SUBCHANNEL ||
			lg->sub_comp.u.subchannel_complete.status != NVSP_STAT_SUCCESS);
		n->granted = lg->sub_comp.u.subchannel_complete.num_subchannels;
		FAIL_IF(n->granted > o->subchannels || n->granted + 1 > NG_MAX_CHAN);
		ng_pump(n->g);
		for (i = 1; i <= n->granted; i++)
			FAIL_IF(ng_open_chan(n, (uint16_t)i) < 0);
		/* The send indirection table (inband, host-initiated). */
		if (n->granted > 0 && ng_wait_inband(n, 0, &x) == 0) {
			lg->send_table_len = x.plen;
			memcpy(lg->send_table, x.payload, HVN_MIN(x.plen, (uint32_t)sizeof(lg->send_table)));
		}
	}
	/* 11. RSS parameters, Linux layout. */
	if (o->rss && n->nvsp_ver >= NVSP_VERSION_5) {
		uint8_t buf[40 + 4 * 128 + 40];
		struct ndis_rss_params p;
		uint32_t nch = n->granted + 1;

		memset(&p, 0, sizeof(p));
		p.hdr.type = NDIS_OBJECT_TYPE_RSS_PARAMETERS;
		p.hdr.revision = 2;
		p.hdr.size = sizeof(p);
		p.hashinfo = NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 |
			     NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6;
		p.indirect_tabsize = 4 * 128;
		p.indirect_taboffset = 40;
		p.hashkey_size = NDIS_RSS_KEY_SIZE;
		p.hashkey_offset = 40 + 4 * 128;
		memcpy(buf, &p, sizeof(p));
		for (i = 0; i < 128; i++) {
			uint32_t q = i % nch;

			memcpy(buf + 40 + 4 * i, &q, 4);
		}
		for (i = 0; i < NDIS_RSS_KEY_SIZE; i++)
			buf[40 + 4 * 128 + i] = (uint8_t)(0x6d + 7 * i);
		FAIL_IF(ng_rndis_set(n, RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS, buf, sizeof(buf),
				     &lg->rss_status) < 0);
	}
	return 0;
}

int ng_linux_teardown(struct ng_nic *n)
{
	uint32_t zero = 0, st, v;
	struct nvsp_msg m;
	uint8_t halt[12];
	int i;

	FAIL_IF(ng_rndis_set(n, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &zero, 4, &st) < 0);
	FAIL_IF(st != RNDIS_STATUS_SUCCESS);
	memset(halt, 0, sizeof(halt));
	v = RNDIS_MSG_HALT;
	memcpy(halt, &v, 4);
	v = 12;
	memcpy(halt + 4, &v, 4);
	v = n->req_id++;
	memcpy(halt + 8, &v, 4);
	FAIL_IF(ng_rndis_ctrl(n, halt, 12, NULL, NULL) < 0);
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_REVOKE_RECV_BUF;
	m.u.revoke_buf.id = NVSP_RECV_BUF_ID;
	FAIL_IF(ng_send_nvsp(n, 0, &m, sizeof(m), false) == 0);
	m.type = NVSP_MSG1_REVOKE_SEND_BUF;
	m.u.revoke_buf.id = NVSP_SEND_BUF_ID;
	FAIL_IF(ng_send_nvsp(n, 0, &m, sizeof(m), false) == 0);
	ng_poll(n, 0);
	/* vmbus_close: subchannels first, then the primary. */
	for (i = NG_MAX_CHAN - 1; i >= 0; i--)
		if (n->ch[i].open)
			FAIL_IF(ng_close_chan(n, (uint16_t)i, true) < 0);
	FAIL_IF(ng_gpadl_teardown(n, n->rbuf_gpadl) < 0);
	FAIL_IF(ng_gpadl_teardown(n, n->sbuf_gpadl) < 0);
	/* Subchannels the host withdraws with the primary are gone. */
	ng_pump(n->g);
	return 0;
}

/* ---- Frames ---- */

unsigned int ng_take_frames(struct ng_nic *n, uint16_t q, struct rte_mbuf **out, unsigned int max)
{
	unsigned int k = HVN_MIN(max, n->nframes[q]);

	memcpy(out, n->frames[q], k * sizeof(*out));
	memmove(n->frames[q], n->frames[q] + k, (n->nframes[q] - k) * sizeof(*out));
	n->nframes[q] -= k;
	return k;
}

void ng_free_frames(struct ng_nic *n)
{
	unsigned int q, i;

	for (q = 0; q < NG_MAX_CHAN; q++) {
		for (i = 0; i < n->nframes[q]; i++)
			rte_pktmbuf_free(n->frames[q][i]);
		n->nframes[q] = 0;
	}
}

struct rte_mbuf *ng_mbuf(struct ng *g, const void *data, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g->mp);

	if (m == NULL)
		return NULL;
	if (rte_pktmbuf_append(m, (uint16_t)len) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(rte_pktmbuf_mtod(m, void *), data, len);
	return m;
}

uint16_t ng_host_tx(struct ng_nic *n, uint16_t q, struct rte_mbuf **m, uint16_t count)
{
	return n->port->ops->tx_burst(n->port->priv, q, m, count);
}

struct netvsp_stats ng_stats(struct ng_nic *n)
{
	struct netvsp_stats s;

	netvsp_nic_stats(n->nic, &s);
	return s;
}
