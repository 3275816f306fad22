#include "parse.h"

#include <errno.h>
#include <stdlib.h>

int mxf_parse_int(const char *s, const char *what, long lo, long hi, long *out, mxf_err *err)
{
    if (!s || !*s)
        return mxf_fail(err, "%s: empty value (expected an integer %ld..%ld)", what, lo, hi);
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end != 0 || errno == ERANGE)
        return mxf_fail(err, "%s=%s: not an integer (expected %ld..%ld)", what, s, lo, hi);
    if (v < lo || v > hi)
        return mxf_fail(err, "%s=%s: out of range (expected %ld..%ld)", what, s, lo, hi);
    *out = v;
    return 0;
}

int mxf_parse_u64(const char *s, const char *what, uint64_t *out, mxf_err *err)
{
    if (!s || !*s || *s == '-')
        return mxf_fail(err, "%s=%s: not an unsigned integer", what, s ? s : "");
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (*end != 0 || errno == ERANGE)
        return mxf_fail(err, "%s=%s: not an unsigned integer", what, s);
    *out = (uint64_t)v;
    return 0;
}
