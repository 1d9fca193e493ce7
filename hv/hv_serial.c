/* 16550A UART (National Semiconductor PC16550D datasheet register map).
 * Enough of it for Linux's 8250 autoconfig to call it a 16550A (scratch
 * register, FIFO bits in IIR, the loopback MSR echo) and for its
 * interrupt-driven transmit (THRE interrupts on IRQ 4). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "hv/hv_serial.h"

#define UART_IER_THRI  0x02
#define UART_IIR_NO_INT 0x01
#define UART_IIR_THRI  0x02
#define UART_IIR_FIFO  0xc0
#define UART_FCR_ENABLE 0x01
#define UART_LCR_DLAB  0x80
#define UART_MCR_LOOP  0x10
#define UART_LSR_THRE  0x20
#define UART_LSR_TEMT  0x40

struct hv_serial {
	struct hv_partition *p;
	pthread_mutex_t lock;
	uint16_t base;
	uint32_t irq;
	int out_fd;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thr_pending;   /* a THRE interrupt is owed */
	bool irq_level;
	uint64_t bytes_out;
	uint8_t buf[256];
	unsigned int buf_len;
};

static void serial_flush(struct hv_serial *s)
{
	unsigned int off = 0;

	while (off < s->buf_len) {
		ssize_t n = write(s->out_fd, s->buf + off, s->buf_len - off);

		if (n <= 0)
			break;   /* the console is best effort; never stall a vCPU */
		off += (unsigned int)n;
	}
	s->buf_len = 0;
}

static uint8_t serial_iir(const struct hv_serial *s)
{
	uint8_t fifo = (s->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO : 0;

	if ((s->ier & UART_IER_THRI) && s->thr_pending)
		return UART_IIR_THRI | fifo;
	return UART_IIR_NO_INT | fifo;
}

static void serial_update_irq(struct hv_serial *s)
{
	bool level = !(serial_iir(s) & UART_IIR_NO_INT);

	if (level != s->irq_level) {
		s->irq_level = level;
		hv_partition_irq_line(s->p, s->irq, level);
	}
}

static void serial_read(void *dev, uint64_t addr, void *data, unsigned int len)
{
	struct hv_serial *s = dev;
	uint8_t *v = data, val = 0;

	pthread_mutex_lock(&s->lock);
	switch (addr - s->base) {
	case 0:
		val = (s->lcr & UART_LCR_DLAB) ? s->dll : 0;   /* no input */
		break;
	case 1:
		val = (s->lcr & UART_LCR_DLAB) ? s->dlm : s->ier;
		break;
	case 2:
		val = serial_iir(s);
		/* Reading IIR while it names THRE acknowledges it. */
		if ((val & 0x0f) == UART_IIR_THRI)
			s->thr_pending = false;
		break;
	case 3:
		val = s->lcr;
		break;
	case 4:
		val = s->mcr;
		break;
	case 5:
		val = UART_LSR_THRE | UART_LSR_TEMT;   /* we transmit at once */
		break;
	case 6:
		if (s->mcr & UART_MCR_LOOP)
			/* Loopback: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD, which
			 * 8250 autoconfig checks. */
			val = (uint8_t)(((s->mcr & 0x02) << 3) | ((s->mcr & 0x01) << 5) |
					((s->mcr & 0x04) << 4) | ((s->mcr & 0x08) << 4));
		else
			val = 0xb0;                        /* DCD, DSR, CTS */
		break;
	case 7:
		val = s->scr;
		break;
	}
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	for (unsigned int i = 0; i < len; i++)
		v[i] = i ? 0xff : val;
}

static void serial_write(void *dev, uint64_t addr, const void *data, unsigned int len)
{
	struct hv_serial *s = dev;
	uint8_t val = *(const uint8_t *)data;

	(void)len;
	pthread_mutex_lock(&s->lock);
	switch (addr - s->base) {
	case 0:
		if (s->lcr & UART_LCR_DLAB) {
			s->dll = val;
			break;
		}
		if (!(s->mcr & UART_MCR_LOOP)) {
			s->buf[s->buf_len++] = val;
			s->bytes_out++;
			if (val == '\n' || s->buf_len == sizeof(s->buf))
				serial_flush(s);
		}
		s->thr_pending = true;
		break;
	case 1:
		if (s->lcr & UART_LCR_DLAB) {
			s->dlm = val;
			break;
		}
		/* Enabling THRE interrupts with the THR empty raises one. */
		if (!(s->ier & UART_IER_THRI) && (val & UART_IER_THRI))
			s->thr_pending = true;
		s->ier = val & 0x0f;
		break;
	case 2:
		s->fcr = val;
		break;
	case 3:
		s->lcr = val;
		break;
	case 4:
		s->mcr = val & 0x1f;
		break;
	case 7:
		s->scr = val;
		break;
	default:
		break;   /* LSR and MSR are read-only */
	}
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static const struct hv_io_ops serial_ops = {
	.read = serial_read,
	.write = serial_write,
};

int hv_serial_create(struct hv_partition *p, uint16_t base, uint32_t irq, int out_fd,
		     struct hv_serial **out)
{
	struct hv_serial *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	s->p = p;
	s->base = base;
	s->irq = irq;
	s->out_fd = out_fd;
	pthread_mutex_init(&s->lock, NULL);
	rc = hv_partition_add_pio(p, base, 8, &serial_ops, s);
	if (rc) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* Call after the partition stopped running. */
void hv_serial_destroy(struct hv_serial *s)
{
	if (!s)
		return;
	serial_flush(s);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

uint64_t hv_serial_bytes_out(const struct hv_serial *s)
{
	return s->bytes_out;
}
