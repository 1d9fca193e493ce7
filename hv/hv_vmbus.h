/* The VMBus server of vmbus/ carried over the SynIC, for a KVM partition:
 * the guest's HvPostMessage goes to vmbus_server_handle_msg(), its
 * HvSignalEvent to vmbus_server_handle_signal(); the server's messages go
 * into the VP's SINT2 slot (type HV_MESSAGE_VMBUS) and its channel
 * signals set event flag 'relid' of SINT2 on the channel's target VP
 * (reference §1.5). Devices cannot tell this from a process partition.
 *
 * The server is not thread-safe, and hypercalls arrive on every VP's
 * thread: a mutex serializes them. Other threads that call server
 * functions (offering a device while the partition runs) take it with
 * hv_vmbus_lock(). */
#ifndef HV_VMBUS_H
#define HV_VMBUS_H

#include "hv/hv.h"
#include "vmbus/vmbus_server.h"

struct hv_vmbus;

int hv_vmbus_create(struct hv_partition *p, const struct vmbus_server_config *cfg,
		    struct hv_vmbus **out);
/* After the partition stopped: closes every channel and frees the server. */
void hv_vmbus_destroy(struct hv_vmbus *vb);
struct vmbus_server *hv_vmbus_server(struct hv_vmbus *vb);
void hv_vmbus_lock(struct hv_vmbus *vb);
void hv_vmbus_unlock(struct hv_vmbus *vb);

#endif /* HV_VMBUS_H */
