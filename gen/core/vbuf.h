/* Growable text buffer the emitters print Verilog into; written to disk only if changed. */
#ifndef MXF_VBUF_H
#define MXF_VBUF_H

#include <stddef.h>

#include "err.h"

typedef struct vbuf {
    char *s;
    size_t len, cap;
    int oom;
} vbuf;

void vb_init(vbuf *b);
void vb_free(vbuf *b);
void vb_printf(vbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes dir/name when the content changed; appends name to the manifest list (optional). */
int vb_save(vbuf *b, const char *dir, const char *name, mxf_err *err);

#endif
