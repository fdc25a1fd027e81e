/*
 * Error codes: functions that can fail return 0 or a negative SL_E* (libuv style). Where a
 * libuv or errno value is more precise it is returned as is (libuv codes are negative errno).
 */
#ifndef SL_CORE_ERRORS_H
#define SL_CORE_ERRORS_H

#include <errno.h>

#define SL_EINVAL (-EINVAL)   /* invalid input (config error, bad argument) */
#define SL_ENOMEM (-ENOMEM)   /* an input-driven cap was reached */
#define SL_EIO (-EIO)         /* reading a file failed */
#define SL_ENOENT (-ENOENT)   /* not found */
#define SL_E2BIG (-E2BIG)     /* input over a configured limit */

#endif
