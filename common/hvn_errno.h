/* Linux errno values for code that must also compile freestanding (the
 * guest-side VMBus core has no libc). Host files may use <errno.h>; the
 * values are the same, which tests/unit/test_errno.c checks. */
#ifndef HVN_ERRNO_H
#define HVN_ERRNO_H

#define HVN_EPERM      1
#define HVN_ENOENT     2
#define HVN_E2BIG      7
#define HVN_EAGAIN    11
#define HVN_ENOMEM    12
#define HVN_EBUSY     16
#define HVN_EEXIST    17
#define HVN_ENODEV    19
#define HVN_EINVAL    22
#define HVN_ENOSPC    28
#define HVN_ERANGE    34
#define HVN_EPROTO    71
#define HVN_EBADMSG   74
#define HVN_EMSGSIZE  90
#define HVN_EOPNOTSUPP 95
#define HVN_ECONNRESET 104
#define HVN_ENOBUFS  105
#define HVN_ETIMEDOUT 110
#define HVN_EALREADY 114

#endif /* HVN_ERRNO_H */
