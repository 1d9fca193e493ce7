/* The runtime of hvnet's freestanding KVM test guests: entry, console on
 * COM1, port and MSR access, an IDT, the local APIC, the Hyper-V hypercall
 * page and SynIC as a Linux guest sets them up (reference §1.3-1.5), and
 * the VMBus client transport over them. No libc: 64-bit, general-purpose
 * registers only, a million instructions a second on the build machines,
 * so nothing here loops over memory a byte at a time. */
#ifndef GUEST_RT_H
#define GUEST_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmbus/vmbus_client.h"

#define GUEST_PAGE 4096
#define GUEST_VMBUS_VECTOR 0xf3   /* HYPERVISOR_CALLBACK_VECTOR */

void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* Console */
void g_puts(const char *s);
void g_putu(uint64_t v);
void g_putx(uint64_t v);
/* Print "FAIL <what>" and leave with 'code' (never 0). */
__attribute__((noreturn)) void g_fail(int code, const char *what);
/* Leave through the debug-exit port: hv exits with 'code'. */
__attribute__((noreturn)) void g_exit(int code);

static inline void g_outb(uint16_t port, uint8_t v)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t g_inb(uint16_t port)
{
	uint8_t v;

	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void g_cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ __volatile__("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			     : "a"(leaf), "c"(0));
}

static inline uint64_t g_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void g_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ __volatile__("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			     : "memory");
}

/* Interrupts: an IDT with every exception fatal (it prints the vector)
 * and the VMBus vector counting and EOI-ing, as Linux does when the
 * AEOI-deprecated hint is set. */
void g_irq_setup(void);
extern volatile uint64_t g_vmbus_irqs;
/* Sleep until an interrupt unless 'ready' says there is work. */
void g_wait(bool (*ready)(void *), void *arg);

/* Hyper-V: hypercall page and SynIC (SINT2 = vector 0xf3). */
struct g_hv {
	uint8_t *hypercall_page;
	uint8_t *simp;
	uint8_t *siefp;
	uint8_t *post_input;     /* one page for HvPostMessage input */
};
void g_hv_setup(struct g_hv *hv);
uint64_t g_hypercall(struct g_hv *hv, uint64_t control, uint64_t in, uint64_t out);
/* The next VMBus message (copied into buf, <= 240 bytes), acknowledged as
 * vmbus_signal_eom() does; 0 when the slot is empty. */
uint32_t g_hv_take_msg(struct g_hv *hv, void *buf);
/* Test and clear event flag 'bit' of SINT2. */
bool g_hv_take_event(struct g_hv *hv, uint32_t bit);
bool g_hv_msg_ready(void *hv);
/* The vmbus_client transport over HvPostMessage/HvSignalEvent. */
extern const struct vmbus_client_transport g_hv_vmbus_transport;
/* Pump messages into the client until done(c) holds. */
void g_vmbus_wait(struct g_hv *hv, struct vmbus_client *c,
		  bool (*done)(struct vmbus_client *c, void *arg), void *arg);

/* Bring the VMBus up as Linux does: contact (5.3), then every offer.
 * Fails the guest (codes 40-44) otherwise. */
void g_vmbus_up(struct g_hv *hv, struct vmbus_client *c);
/* A GPADL over the whole pages [base, base + npages * 4096) for channel
 * 'relid' (at most 64 pages), waited for; fails the guest with 'code'. */
uint32_t g_gpadl(struct g_hv *hv, struct vmbus_client *c, uint32_t relid, void *base,
		 uint32_t npages, int code);
/* Format rings of 'ring_pages' pages per direction in 'ring', describe
 * them in a GPADL, open the channel and attach 'ch'. Fails the guest with
 * 'code' + 0..3. Returns the ring GPADL. */
uint32_t g_channel_open(struct g_hv *hv, struct vmbus_client *c, const struct vmbus_client_offer *o,
			void *ring, uint32_t ring_pages, struct vmbus_client_channel *ch,
			void *scratch, uint32_t scratch_size, int code);
/* Close the channel and tear its GPADLs down, waiting for the host. */
void g_channel_close(struct g_hv *hv, struct vmbus_client *c, uint32_t relid,
		     const uint32_t *gpadls, unsigned int n, int code);
/* One-shot LAPIC timer: an interrupt after 'ms' (at most 4000), so waits
 * have a bound even when the host never answers. */
void g_timer_arm(uint32_t ms);

int guest_main(const char *cmdline);

#endif /* GUEST_RT_H */
