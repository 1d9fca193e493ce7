/* The runtime a freestanding test brings along when it runs as a bare
 * Linux process with no libc: the three memory functions the compiler
 * may call, and exit by system call. Each freestanding test includes it
 * once and defines its own _start. */
#ifndef FREESTANDING_RT_H
#define FREESTANDING_RT_H

#include <stddef.h>
#include <stdint.h>

void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void _start(void);

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *dp = d;
	const uint8_t *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memset(void *d, int c, size_t n)
{
	uint8_t *dp = d;

	while (n--)
		*dp++ = (uint8_t)c;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

static __attribute__((noreturn)) void sys_exit(int code)
{
	__asm__ __volatile__("syscall" : : "a"(60), "D"(code) : "rcx", "r11", "memory");
	__builtin_unreachable();
}

#endif /* FREESTANDING_RT_H */
