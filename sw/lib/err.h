/* Error reporting for library code: functions return a negative status and fill an mxf_err
 * with one human-readable line that names the file/field/value. Library code never exits. */
#ifndef MXF_ERR_H
#define MXF_ERR_H

#include <stdarg.h>

typedef struct mxf_err {
    char msg[512];
} mxf_err;

/* Formats the message into e (when e is non-NULL) and returns -1, so callers can write
 * `return mxf_fail(err, "...", ...);`. A message already present is replaced. */
int mxf_fail(mxf_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes an existing message with context ("file.bin: " + old message); returns -1. */
int mxf_fail_prefix(mxf_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 1 when an error message (an mxf_err's msg, or a tool's own) reports a resource failure: every
 * failed allocation says "out of memory" (the tools' exit 3); every other error is about the
 * input (exit 2). */
int mxf_err_is_resource(const char *msg);

#endif
