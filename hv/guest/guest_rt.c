/* Runtime of the freestanding test guests; see guest_rt.h. */
#include "hv/guest/guest_rt.h"
#include "hv/hv.h"
#include "common/hvn_errno.h"
#include "hv/hv_hyperv.h"

/* ---- entry ---- */

uint8_t g_stack[16384] __attribute__((aligned(16)));
void guest_start(const char *cmdline);

/* The partition enters here in long mode with rsi = the command line
 * (hv_boot.c, hvnet test-guest protocol). */
__asm__(".section .text.start, \"ax\"\n"
	".global _start\n"
	"_start:\n"
	"	lea g_stack+16384(%rip), %rsp\n"
	"	mov %rsi, %rdi\n"
	"	call guest_start\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	".previous\n");

void guest_start(const char *cmdline)
{
	g_exit(guest_main(cmdline ? cmdline : ""));
}

/* ---- memory: rep string instructions, the fast way on this emulator ---- */

void *memcpy(void *d, const void *s, size_t n)
{
	void *ret = d;

	__asm__ __volatile__("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return ret;
}

void *memset(void *d, int c, size_t n)
{
	void *ret = d;

	__asm__ __volatile__("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return ret;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	/* Whole words while they match: a byte loop costs eight times the
	 * emulated instructions. */
	while (n >= 8) {
		uint64_t u, v;

		__builtin_memcpy(&u, x, 8);
		__builtin_memcpy(&v, y, 8);
		if (u != v)
			break;
		x += 8;
		y += 8;
		n -= 8;
	}
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

/* ---- console: COM1, polled ---- */

static void g_putc(char c)
{
	while (!(g_inb(0x3f8 + 5) & 0x20))
		;
	g_outb(0x3f8, (uint8_t)c);
}

void g_puts(const char *s)
{
	while (*s)
		g_putc(*s++);
}

void g_putu(uint64_t v)
{
	char b[21];
	int i = 20;

	b[i] = 0;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	g_puts(&b[i]);
}

void g_putx(uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	char b[19];
	int i = 18;

	b[i] = 0;
	do {
		b[--i] = hex[v & 15];
		v >>= 4;
	} while (v);
	b[--i] = 'x';
	b[--i] = '0';
	g_puts(&b[i]);
}

void g_exit(int code)
{
	for (;;)
		g_outb(HV_PORT_DEBUG_EXIT, (uint8_t)code);
}

void g_fail(int code, const char *what)
{
	g_puts("HVNET-GUEST: FAIL ");
	g_puts(what);
	g_puts("\n");
	g_exit(code ? code : 1);
}

/* ---- interrupts ---- */

struct idt_entry {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t attr;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t zero;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_entry) == 16, "long-mode IDT gate (SDM 6.14.1)");

struct interrupt_frame;
typedef unsigned long uword_t;

static struct idt_entry idt[256] __attribute__((aligned(16)));
volatile uint64_t g_vmbus_irqs;

#define LAPIC ((volatile uint32_t *)(uintptr_t)HV_LAPIC_GPA)
#define LAPIC_SVR (0xf0 / 4)
#define LAPIC_EOI (0xb0 / 4)
#define LAPIC_LVT_TIMER (0x320 / 4)
#define LAPIC_TIMER_INIT (0x380 / 4)
#define LAPIC_TIMER_DIV (0x3e0 / 4)
#define GUEST_TIMER_VECTOR 0xef

static __attribute__((noreturn)) void exception(unsigned int vec, uint64_t rip)
{
	g_puts("HVNET-GUEST: exception ");
	g_putu(vec);
	g_puts(" at rip ");
	g_putx(rip);
	g_puts("\n");
	g_exit(100 + (int)vec);
}

/* The first word of the frame is the faulting RIP (SDM 6.14.2). */
#define EXC(n)								\
	__attribute__((interrupt)) static void exc_##n(struct interrupt_frame *f) \
	{ exception(n, *(uint64_t *)f); }
#define EXC_ERR(n)							\
	__attribute__((interrupt)) static void exc_##n(struct interrupt_frame *f, uword_t e) \
	{ (void)e; exception(n, *(uint64_t *)f); }
EXC(0) EXC(1) EXC(2) EXC(3) EXC(4) EXC(5) EXC(6) EXC(7) EXC_ERR(8) EXC(9)
EXC_ERR(10) EXC_ERR(11) EXC_ERR(12) EXC_ERR(13) EXC_ERR(14) EXC(16) EXC_ERR(17)
EXC(18) EXC(19)

__attribute__((interrupt)) static void vmbus_isr(struct interrupt_frame *f)
{
	(void)f;
	g_vmbus_irqs = g_vmbus_irqs + 1;
	/* The AEOI-deprecated hint is set: Linux EOIs, so do we. */
	LAPIC[LAPIC_EOI] = 0;
}

__attribute__((interrupt)) static void timer_isr(struct interrupt_frame *f)
{
	(void)f;
	LAPIC[LAPIC_EOI] = 0;
}

void g_timer_arm(uint32_t ms)
{
	/* KVM's LAPIC timer counts at 1 GHz: divide by 1, one-shot. */
	if (ms > 4000)
		ms = 4000;
	LAPIC[LAPIC_TIMER_DIV] = 0xb;
	LAPIC[LAPIC_LVT_TIMER] = GUEST_TIMER_VECTOR;
	LAPIC[LAPIC_TIMER_INIT] = ms * 1000000u;
}

static void idt_set(unsigned int vec, void *fn)
{
	uint64_t a = (uint64_t)(uintptr_t)fn;

	idt[vec].off_lo = (uint16_t)a;
	idt[vec].sel = 0x10;   /* the partition layer's 64-bit code selector */
	idt[vec].ist = 0;
	idt[vec].attr = 0x8e;  /* present, DPL 0, interrupt gate */
	idt[vec].off_mid = (uint16_t)(a >> 16);
	idt[vec].off_hi = (uint32_t)(a >> 32);
	idt[vec].zero = 0;
}

void g_irq_setup(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	void *exc[20] = { exc_0, exc_1, exc_2, exc_3, exc_4, exc_5, exc_6, exc_7, exc_8,
			  exc_9, exc_10, exc_11, exc_12, exc_13, exc_14, 0, exc_16, exc_17,
			  exc_18, exc_19 };

	for (unsigned int i = 0; i < 20; i++)
		if (exc[i])
			idt_set(i, exc[i]);
	idt_set(GUEST_VMBUS_VECTOR, vmbus_isr);
	idt_set(GUEST_TIMER_VECTOR, timer_isr);
	__asm__ __volatile__("lidt %0" : : "m"(idtr));
	/* Software-enable the LAPIC, spurious vector 0xff. */
	LAPIC[LAPIC_SVR] = 0x1ff;
	__asm__ __volatile__("sti");
}

void g_wait(bool (*ready)(void *), void *arg)
{
	__asm__ __volatile__("cli" ::: "memory");
	if (ready(arg)) {
		__asm__ __volatile__("sti" ::: "memory");
		return;
	}
	/* sti's one-instruction shadow: an interrupt that is already pending
	 * is taken after hlt starts, so it cannot be missed. */
	__asm__ __volatile__("sti; hlt" ::: "memory");
}

/* ---- Hyper-V ---- */

static uint8_t hc_page[GUEST_PAGE] __attribute__((aligned(GUEST_PAGE)));
static uint8_t simp_page[GUEST_PAGE] __attribute__((aligned(GUEST_PAGE)));
static uint8_t siefp_page[GUEST_PAGE] __attribute__((aligned(GUEST_PAGE)));
static uint8_t post_page[GUEST_PAGE] __attribute__((aligned(GUEST_PAGE)));

void g_hv_setup(struct g_hv *hv)
{
	hv->hypercall_page = hc_page;
	hv->simp = simp_page;
	hv->siefp = siefp_page;
	hv->post_input = post_page;
	/* Linux's order (L: arch/x86/hyperv/hv_init.c, drivers/hv/hv.c). */
	g_wrmsr(HV_MSR_GUEST_OS_ID, (0x8100ull << 48) | (6ull << 16) | (1ull << 8));
	g_wrmsr(HV_MSR_HYPERCALL, (uint64_t)(uintptr_t)hc_page | 1);
	g_wrmsr(HV_MSR_SIMP, (uint64_t)(uintptr_t)simp_page | 1);
	g_wrmsr(HV_MSR_SIEFP, (uint64_t)(uintptr_t)siefp_page | 1);
	g_wrmsr(HV_MSR_SINT0 + HV_VMBUS_SINT, GUEST_VMBUS_VECTOR);
	g_wrmsr(HV_MSR_SCONTROL, 1);
}

uint64_t g_hypercall(struct g_hv *hv, uint64_t control, uint64_t in, uint64_t out)
{
	register uint64_t r8 __asm__("r8") = out;
	uint64_t status;

	/* Linux's hv_do_hypercall ABI: RCX control, RDX input, R8 output,
	 * RAX status; R9-R11 may be clobbered. */
	__asm__ __volatile__("call *%[pg]"
			     : "=a"(status), "+c"(control), "+d"(in), "+r"(r8)
			     : [pg] "r"(hv->hypercall_page)
			     : "cc", "memory", "r9", "r10", "r11");
	return status;
}

uint32_t g_hv_take_msg(struct g_hv *hv, void *buf)
{
	struct hv_message *m = (struct hv_message *)(hv->simp + HV_VMBUS_SINT * 256);
	uint32_t type = __atomic_load_n(&m->message_type, __ATOMIC_ACQUIRE), len;

	if (!type)
		return 0;
	len = m->payload_size;
	if (len > HV_SYNIC_MSG_PAYLOAD)
		len = HV_SYNIC_MSG_PAYLOAD;
	memcpy(buf, m->payload, len);
	/* vmbus_signal_eom(): free the slot, then EOM only if the host
	 * marked a message pending. */
	__atomic_compare_exchange_n(&m->message_type, &type, 0, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&m->message_flags, __ATOMIC_ACQUIRE) & HV_MESSAGE_FLAG_PENDING)
		g_wrmsr(HV_MSR_EOM, 0);
	return len ? len : 1;
}

bool g_hv_msg_ready(void *arg)
{
	struct g_hv *hv = arg;
	struct hv_message *m = (struct hv_message *)(hv->simp + HV_VMBUS_SINT * 256);

	return __atomic_load_n(&m->message_type, __ATOMIC_ACQUIRE) != 0;
}

bool g_hv_take_event(struct g_hv *hv, uint32_t bit)
{
	uint64_t *w = (uint64_t *)(hv->siefp + HV_VMBUS_SINT * 256) + bit / 64;
	uint64_t m = 1ull << (bit % 64);

	return __atomic_fetch_and(w, ~m, __ATOMIC_SEQ_CST) & m;
}

static int hv_post(void *ctx, uint32_t conn_id, const void *msg, uint32_t len)
{
	struct g_hv *hv = ctx;
	struct hv_input_post_message *in = (struct hv_input_post_message *)hv->post_input;

	if (len > HV_SYNIC_MSG_PAYLOAD)
		return HV_STATUS_INVALID_PARAMETER;
	in->connection_id = conn_id;
	in->reserved = 0;
	in->message_type = HV_MESSAGE_VMBUS;
	in->payload_size = len;
	memcpy(in->payload, msg, len);
	return (int)(g_hypercall(hv, HVCALL_POST_MESSAGE, (uint64_t)(uintptr_t)in, 0) & 0xffff);
}

static int hv_signal(void *ctx, uint32_t conn_id)
{
	return (int)(g_hypercall(ctx, HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT, conn_id, 0) &
		     0xffff);
}

const struct vmbus_client_transport g_hv_vmbus_transport = {
	.post = hv_post,
	.signal = hv_signal,
};

void g_vmbus_wait(struct g_hv *hv, struct vmbus_client *c,
		  bool (*done)(struct vmbus_client *c, void *arg), void *arg)
{
	uint8_t buf[HV_SYNIC_MSG_PAYLOAD];
	uint32_t len;

	for (;;) {
		while ((len = g_hv_take_msg(hv, buf)) != 0)
			vmbus_client_handle_msg(c, buf, len);
		if (done(c, arg))
			return;
		g_wait(g_hv_msg_ready, hv);
	}
}

/* ---- VMBus bring-up, as the Linux sequence goes ---- */

static bool connected(struct vmbus_client *c, void *arg)
{
	(void)arg;
	return c->state != VMBUS_CLIENT_CONTACTING;
}

static bool offers_done(struct vmbus_client *c, void *arg)
{
	(void)arg;
	return c->offers_done;
}

static bool gpadl_done(struct vmbus_client *c, void *arg)
{
	return vmbus_client_gpadl_status(c, *(uint32_t *)arg) != -HVN_EAGAIN;
}

static bool open_done(struct vmbus_client *c, void *arg)
{
	return vmbus_client_open_status(c, *(uint32_t *)arg) != -HVN_EAGAIN;
}

static bool torn_down(struct vmbus_client *c, void *arg)
{
	return vmbus_client_gpadl_torn_down(c, *(uint32_t *)arg) == 0;
}

void g_vmbus_up(struct g_hv *hv, struct vmbus_client *c)
{
	vmbus_client_init(c, &g_hv_vmbus_transport, hv, 0, 0, 0);
	if (vmbus_client_connect(c) != 0)
		g_fail(40, "INITIATE_CONTACT could not be posted");
	g_vmbus_wait(hv, c, connected, 0);
	if (c->state != VMBUS_CLIENT_CONNECTED)
		g_fail(41, "no VMBus version accepted");
	if (c->version != VMBUS_VERSION_WIN10_5_3)
		g_fail(42, "VMBus version is not 5.3");
	if (vmbus_client_request_offers(c) != 0)
		g_fail(43, "REQUESTOFFERS");
	g_vmbus_wait(hv, c, offers_done, 0);
}

uint32_t g_gpadl(struct g_hv *hv, struct vmbus_client *c, uint32_t relid, void *base,
		 uint32_t npages, int code)
{
	uint64_t pfns[64];
	uint32_t gpadl;

	if (npages > 64)
		g_fail(code, "GPADL too large for the test guest");
	for (uint32_t i = 0; i < npages; i++)
		pfns[i] = ((uint64_t)(uintptr_t)base >> 12) + i;
	if (vmbus_client_gpadl_create(c, relid, pfns, npages, &gpadl) != 0)
		g_fail(code, "GPADL_HEADER could not be posted");
	g_vmbus_wait(hv, c, gpadl_done, &gpadl);
	if (vmbus_client_gpadl_status(c, gpadl) != 0)
		g_fail(code, "GPADL refused");
	return gpadl;
}

uint32_t g_channel_open(struct g_hv *hv, struct vmbus_client *c, const struct vmbus_client_offer *o,
			void *ring, uint32_t ring_pages, struct vmbus_client_channel *ch,
			void *scratch, uint32_t scratch_size, int code)
{
	uint32_t relid = o->msg.child_relid, bytes = ring_pages * GUEST_PAGE, gpadl;

	if (vmbus_client_rings_format(ring, bytes, bytes))
		g_fail(code, "ring format");
	gpadl = g_gpadl(hv, c, relid, ring, 2 * ring_pages, code + 1);
	if (vmbus_client_open(c, relid, gpadl, ring_pages, 0) != 0)
		g_fail(code + 2, "OPENCHANNEL could not be posted");
	g_vmbus_wait(hv, c, open_done, &relid);
	if (vmbus_client_open_status(c, relid) != 0)
		g_fail(code + 2, "open refused");
	if (vmbus_client_channel_attach(ch, o, ring, bytes, bytes, scratch, scratch_size))
		g_fail(code + 3, "ring attach");
	return gpadl;
}

void g_channel_close(struct g_hv *hv, struct vmbus_client *c, uint32_t relid,
		     const uint32_t *gpadls, unsigned int n, int code)
{
	if (vmbus_client_close(c, relid) != 0)
		g_fail(code, "CLOSECHANNEL could not be posted");
	for (unsigned int i = 0; i < n; i++) {
		uint32_t g = gpadls[i];

		if (vmbus_client_gpadl_teardown(c, relid, g) != 0)
			g_fail(code, "GPADL_TEARDOWN could not be posted");
		g_vmbus_wait(hv, c, torn_down, &g);
	}
}
