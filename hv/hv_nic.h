/* Synthetic NICs for a KVM partition: netVSP vNICs offered on the
 * partition's VMBus, served by a DPDK lcore in this worker. Until the
 * vswitch hosts vNICs, 'hv --nic-pair' joins two of them back to back
 * through the port pair forwarder, as hvnet-netvsp does for process
 * partitions; the test guest sends frames from one to the other. */
#ifndef HV_NIC_H
#define HV_NIC_H

#include <stdint.h>

#include "hv/hv_vmbus.h"

struct hv_nic_pair;

/* Start DPDK (EAL arguments in 'eal_args', split at spaces) and offer two
 * vNICs joined back to back. 'err' gets a sentence on failure; *out is set
 * even then and is torn down as below. */
int hv_nic_pair_create(struct hv_vmbus *vb, const char *eal_args, uint32_t mtu,
		       struct hv_nic_pair **out, char *err, size_t errlen);
/* The partition stopped: stop the control thread. Then destroy the VMBus
 * (the vNICs go with it), then call hv_nic_pair_destroy(). */
void hv_nic_pair_stop(struct hv_nic_pair *np);
void hv_nic_pair_destroy(struct hv_nic_pair *np);

#endif /* HV_NIC_H */
