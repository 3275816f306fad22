#include "vbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fileio.h"

void vb_init(vbuf *b)
{
    b->s = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

void vb_free(vbuf *b)
{
    free(b->s);
    vb_init(b);
}

void vb_printf(vbuf *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 4096;
        while (cap <= b->len + (size_t)n) cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->oom = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
}

int vb_save(vbuf *b, const char *dir, const char *name, mxf_err *err)
{
    if (b->oom) return mxf_fail(err, "%s/%s: out of memory while emitting", dir, name);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return mxf_write_file_if_changed(path, b->s ? b->s : "", b->len, NULL, err);
}
