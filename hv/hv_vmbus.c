/* VMBus over SynIC; see hv_vmbus.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "hv/hv_hyperv.h"
#include "hv/hv_vmbus.h"

struct hv_vmbus {
	struct hv_partition *p;
	struct hv_synic *synic;
	struct vmbus_server *vs;
	pthread_mutex_t lock;
};

/* Messages go to VP 0: Linux sends INITIATE_CONTACT with target_vcpu
 * VMBUS_CONNECT_CPU, which is 0 (L: drivers/hv/connection.c). */
#define HV_VMBUS_MSG_VP 0

static int vb_post(void *ctx, const void *msg, uint32_t len)
{
	struct hv_vmbus *vb = ctx;
	int rc = hv_synic_post(vb->synic, HV_VMBUS_MSG_VP, HV_VMBUS_SINT, HV_MESSAGE_VMBUS, 0,
			       msg, len);

	/* A guest that switched its message page off loses the message, as
	 * on Hyper-V; one that stopped taking messages is cut off. */
	return rc == -ENODEV ? 0 : rc;
}

static void vb_signal(void *ctx, uint32_t relid, uint32_t target_vp)
{
	struct hv_vmbus *vb = ctx;

	if (target_vp >= hv_partition_nr_vps(vb->p))
		target_vp = 0;
	hv_synic_signal(vb->synic, target_vp, HV_VMBUS_SINT, relid);
}

static const struct vmbus_server_transport vb_transport = {
	.post = vb_post,
	.signal = vb_signal,
};

static uint16_t vb_hc_post(void *ctx, uint32_t vp, uint32_t conn_id, uint32_t type,
			   const void *payload, uint32_t len)
{
	struct hv_vmbus *vb = ctx;
	int st;

	(void)vp;
	if (type != HV_MESSAGE_VMBUS)
		return HV_STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&vb->lock);
	st = vmbus_server_handle_msg(vb->vs, conn_id, payload, len);
	pthread_mutex_unlock(&vb->lock);
	return (uint16_t)st;
}

static uint16_t vb_hc_signal(void *ctx, uint32_t vp, uint32_t conn_id)
{
	struct hv_vmbus *vb = ctx;
	int st;

	(void)vp;
	pthread_mutex_lock(&vb->lock);
	st = vmbus_server_handle_signal(vb->vs, conn_id);
	pthread_mutex_unlock(&vb->lock);
	return (uint16_t)st;
}

static const struct hv_hcall_handlers vb_hcalls = {
	.post_message = vb_hc_post,
	.signal_event = vb_hc_signal,
};

int hv_vmbus_create(struct hv_partition *p, const struct vmbus_server_config *cfg,
		    struct hv_vmbus **out)
{
	struct hv_hyperv *h = hv_partition_hyperv(p);
	struct hv_vmbus *vb;

	if (!h)
		return -EINVAL;   /* the VMBus needs the enlightenments */
	vb = calloc(1, sizeof(*vb));
	if (!vb)
		return -ENOMEM;
	vb->p = p;
	vb->synic = hv_hyperv_synic(h);
	pthread_mutex_init(&vb->lock, NULL);
	vb->vs = vmbus_server_create(cfg, hv_partition_mem(p), &vb_transport, vb);
	if (!vb->vs) {
		pthread_mutex_destroy(&vb->lock);
		free(vb);
		return -ENOMEM;
	}
	hv_hyperv_set_handlers(h, &vb_hcalls, vb);
	*out = vb;
	return 0;
}

void hv_vmbus_destroy(struct hv_vmbus *vb)
{
	if (!vb)
		return;
	hv_hyperv_set_handlers(hv_partition_hyperv(vb->p), NULL, NULL);
	vmbus_server_destroy(vb->vs);
	pthread_mutex_destroy(&vb->lock);
	free(vb);
}

struct vmbus_server *hv_vmbus_server(struct hv_vmbus *vb)
{
	return vb->vs;
}

void hv_vmbus_lock(struct hv_vmbus *vb)
{
	pthread_mutex_lock(&vb->lock);
}

void hv_vmbus_unlock(struct hv_vmbus *vb)
{
	pthread_mutex_unlock(&vb->lock);
}
