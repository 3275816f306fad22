/* libFuzzer harness: the packed weight image reader (mxf_image_parse, sw/io/image.c) on arbitrary
 * bytes, then, for an image that validates, the decoder of every tensor (mxf_dequantize, and the
 * MicroScopiQ metadata walk). Odd-length inputs are parsed as they are; even-length ones get
 * their section CRCs and header CRC recomputed first (a walk of the table as written in
 * docs/image-format.md), so mutations reach the table checks and the decoders instead of dying
 * at a checksum. Built by `make fuzz` with clang-14 -fsanitize=fuzzer,address,undefined
 * (docs/fuzzing.md). A crash, a sanitizer report or a leak is a failure. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "image.h"
#include "microscopiq.h"
#include "qformat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t crc(const uint8_t *p, size_t n)
{
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

/* Recomputes every CRC the table reaches (in place); stops at the first field out of bounds. */
static void fix_crcs(uint8_t *d, size_t n)
{
    if (n < 38) return;
    uint64_t hl = le(d + 12, 4);
    if (hl < 38 || hl > n) return;
    size_t hend = (size_t)hl - 4, p = 34 + (size_t)le(d + 32, 2);
    uint64_t nt = le(d + 28, 4);
    for (uint64_t i = 0; i < nt && p + 2 <= hend; i++) {
        size_t nl = (size_t)le(d + p, 2);
        p += 2 + nl;
        if (p + 60 > hend) break;
        for (int s = 0; s < 2; s++) {
            size_t f = p + 20 + 20 * (size_t)s; /* off, len, crc */
            uint64_t off = le(d + f, 8), len = le(d + f + 8, 8);
            if (off <= n && len <= n - off) put32(d + f + 16, crc(d + off, (size_t)len));
        }
        p += 60;
    }
    put32(d + hend, crc(d, hend));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mxf_image img;
    mxf_err e;
    uint8_t *copy = NULL;
    if (size % 2 == 0 && size) {
        copy = malloc(size);
        if (!copy) return 0;
        memcpy(copy, data, size);
        fix_crcs(copy, size);
        data = copy;
    }
    int rc = mxf_image_parse("fuzz.img", data, size, &img, &e);
    if (rc) {
        free(copy);
        mxf_image_free(&img);
        return 0;
    }
    for (int i = 0; i < img.n; i++) {
        mxf_qtensor q;
        mxf_image_view(&img, i, &q);
        if (q.rows * q.cols > (1 << 22)) continue; /* the shape is valid; keep runs fast */
        float *w = malloc(sizeof(float) * (size_t)(q.rows * q.cols));
        if (!w) continue;
        (void)mxf_dequantize(&q, w, &e);
        free(w);
        if (img.fmt.family == MXF_QF_MSQ) {
            mxf_msq_stats st;
            (void)mxf_msq_meta_stats((int)q.rows, (int)q.cols, q.meta, q.meta_len, &st, &e);
        }
    }
    mxf_image_free(&img);
    free(copy);
    return 0;
}
