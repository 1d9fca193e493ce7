/* A 16550A UART on a port range: what a guest console needs (Linux's 8250
 * driver, early printk, the test guests). Output goes to a file
 * descriptor; input is not wired (the console is for reading). */
#ifndef HV_SERIAL_H
#define HV_SERIAL_H

#include "hv/hv.h"

#define HV_SERIAL_COM1_PORT 0x3f8
#define HV_SERIAL_COM1_IRQ 4

struct hv_serial;

/* Claim 8 ports at 'base' on 'p'; the UART interrupts on ISA 'irq'. Output
 * is written to 'out_fd' (not closed by us). */
int hv_serial_create(struct hv_partition *p, uint16_t base, uint32_t irq, int out_fd,
		     struct hv_serial **out);
void hv_serial_destroy(struct hv_serial *s);
uint64_t hv_serial_bytes_out(const struct hv_serial *s);

#endif /* HV_SERIAL_H */
