/* Strict parsing of user-supplied numbers ("ARRAY=abc" must fail, not become 0). */
#ifndef MXF_PARSE_H
#define MXF_PARSE_H

#include <stdint.h>

#include "err.h"

/* Parses a base-10 integer in [lo, hi]. `what` names the field in the error ("ARRAY"). */
int mxf_parse_int(const char *s, const char *what, long lo, long hi, long *out, mxf_err *err);
/* Parses a base-10 or 0x-prefixed unsigned 64-bit integer (seeds). */
int mxf_parse_u64(const char *s, const char *what, uint64_t *out, mxf_err *err);

#endif
