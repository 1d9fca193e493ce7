/* Compiler helpers shared by every component, host and freestanding guest
 * code alike: nothing here may pull in libc. */
#ifndef HVN_COMPILER_H
#define HVN_COMPILER_H

#define hvn_packed __attribute__((packed))
#define hvn_aligned(n) __attribute__((aligned(n)))
#define hvn_unused __attribute__((unused))
#define hvn_must_check __attribute__((warn_unused_result))
#define hvn_likely(x) __builtin_expect(!!(x), 1)
#define hvn_unlikely(x) __builtin_expect(!!(x), 0)
#define hvn_prefetch(p) __builtin_prefetch((p), 0, 3)
#define hvn_prefetchw(p) __builtin_prefetch((p), 1, 3)

#define HVN_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define HVN_ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define HVN_MIN(a, b) ((a) < (b) ? (a) : (b))
#define HVN_MAX(a, b) ((a) > (b) ? (a) : (b))
#define HVN_CONTAINER_OF(p, type, member) \
	((type *)(void *)((char *)(p) - __builtin_offsetof(type, member)))

#define HVN_PAGE_SHIFT 12
#define HVN_PAGE_SIZE (1u << HVN_PAGE_SHIFT)
#define HVN_CACHE_LINE 64

/* Shared-memory accessors. The other side of a ring or an event page is
 * another partition, so every load of a field it may write must be a real
 * load (never cached by the compiler) and must be read exactly once. */
#define hvn_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define hvn_load_relaxed(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define hvn_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define hvn_store_relaxed(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define hvn_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define hvn_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define hvn_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

static inline void hvn_cpu_relax(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

#endif /* HVN_COMPILER_H */
