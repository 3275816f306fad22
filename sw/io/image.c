/* Packed weight image writer and validating reader. See image.h and docs/image-format.md. */
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fileio.h"

static uint32_t crc(const unsigned char *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    while (n) {
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return (uint32_t)c;
}

/* ---- little-endian buffer ---- */

typedef struct wbuf {
    unsigned char *p;
    size_t len, cap;
    int oom;
} wbuf;

static void put(wbuf *b, const void *src, size_t n)
{
    if (b->oom) return;
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 4096;
        while (nc < b->len + n) nc *= 2;
        unsigned char *q = realloc(b->p, nc);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = nc;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_u(wbuf *b, uint64_t v, int bytes)
{
    unsigned char t[8];
    for (int i = 0; i < bytes; i++) t[i] = (unsigned char)(v >> (8 * i));
    put(b, t, (size_t)bytes);
}

static uint64_t get_u(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint64_t align_up(uint64_t x)
{
    return (x + MXF_IMAGE_ALIGN - 1) / MXF_IMAGE_ALIGN * MXF_IMAGE_ALIGN;
}

/* Header bytes per tensor entry besides the name. */
#define ENTRY_FIXED (2 + 4 + 8 + 8 + 8 + 8 + 4 + 8 + 8 + 4)
#define HEAD_FIXED (8 + 4 + 4 + 8 + 4 + 4 + 2)

int mxf_image_write(const char *path, int n, const char *const *names, const mxf_qtensor *q,
                    mxf_err *err)
{
    if (n < 1 || n > MXF_IMAGE_MAX_TENSORS)
        return mxf_fail(err, "%s: tensor count %d out of range", path, n);
    char spec[512];
    mxf_qformat_spec(&q[0].fmt, spec, sizeof spec);
    uint32_t id = mxf_qformat_id(&q[0].fmt);
    size_t hlen = HEAD_FIXED + strlen(spec) + 4;
    for (int i = 0; i < n; i++) {
        char s2[512];
        mxf_qformat_spec(&q[i].fmt, s2, sizeof s2);
        if (strcmp(s2, spec))
            return mxf_fail(err, "%s: tensor '%s' has format %s, image is %s", path, names[i], s2,
                            spec);
        size_t nl = strlen(names[i]);
        if (nl < 1 || nl > MXF_IMAGE_MAX_NAME)
            return mxf_fail(err, "%s: tensor %d: name length %zu out of range 1..%d", path, i, nl,
                            MXF_IMAGE_MAX_NAME);
        for (int j = 0; j < i; j++)
            if (!strcmp(names[i], names[j]))
                return mxf_fail(err, "%s: tensor name '%s' appears twice", path, names[i]);
        hlen += ENTRY_FIXED + nl;
    }
    /* Offsets. */
    uint64_t *co = malloc(sizeof(uint64_t) * 2 * (size_t)n);
    if (!co) return mxf_fail(err, "%s: out of memory", path);
    uint64_t off = align_up(hlen);
    for (int i = 0; i < n; i++) {
        co[2 * i] = off;
        off = align_up(off + q[i].codes_len);
        co[2 * i + 1] = off;
        off = align_up(off + q[i].meta_len);
    }
    uint64_t file_len = off;
    wbuf b = {0};
    put(&b, MXF_IMAGE_MAGIC, 8);
    put_u(&b, MXF_IMAGE_VERSION, 4);
    put_u(&b, hlen, 4);
    put_u(&b, file_len, 8);
    put_u(&b, id, 4);
    put_u(&b, (uint64_t)n, 4);
    put_u(&b, strlen(spec), 2);
    put(&b, spec, strlen(spec));
    for (int i = 0; i < n; i++) {
        size_t nl = strlen(names[i]);
        put_u(&b, nl, 2);
        put(&b, names[i], nl);
        put_u(&b, 2, 4);
        put_u(&b, (uint64_t)q[i].rows, 8);
        put_u(&b, (uint64_t)q[i].cols, 8);
        put_u(&b, co[2 * i], 8);
        put_u(&b, q[i].codes_len, 8);
        put_u(&b, crc(q[i].codes, q[i].codes_len), 4);
        put_u(&b, co[2 * i + 1], 8);
        put_u(&b, q[i].meta_len, 8);
        put_u(&b, crc(q[i].meta, q[i].meta_len), 4);
    }
    if (!b.oom) put_u(&b, crc(b.p, b.len), 4);
    if (b.oom || b.len != hlen) {
        free(b.p);
        free(co);
        return mxf_fail(err, "%s: out of memory building the header", path);
    }
    mxf_atomic_file af;
    if (mxf_atomic_open(&af, path, err)) {
        free(b.p);
        free(co);
        return -1;
    }
    static const unsigned char zeros[MXF_IMAGE_ALIGN];
    uint64_t pos = 0;
    int ok = fwrite(b.p, 1, b.len, af.f) == b.len;
    pos = b.len;
    for (int i = 0; i < n && ok; i++)
        for (int s = 0; s < 2 && ok; s++) {
            uint64_t at = co[2 * i + s];
            ok = fwrite(zeros, 1, (size_t)(at - pos), af.f) == at - pos;
            const uint8_t *d = s ? q[i].meta : q[i].codes;
            size_t l = s ? q[i].meta_len : q[i].codes_len;
            ok = ok && fwrite(d, 1, l, af.f) == l;
            pos = at + l;
        }
    if (ok) ok = fwrite(zeros, 1, (size_t)(file_len - pos), af.f) == file_len - pos;
    free(b.p);
    free(co);
    if (!ok) {
        mxf_atomic_abort(&af);
        return mxf_fail(err, "%s: write failed", path);
    }
    return mxf_atomic_commit(&af, err);
}

void mxf_image_free(mxf_image *img)
{
    if (!img) return;
    if (img->t)
        for (int i = 0; i < img->n; i++) free(img->t[i].name);
    free(img->t);
    if (img->owns_data) free(img->data);
    memset(img, 0, sizeof *img);
}

typedef struct span {
    uint64_t off, len;
    int tensor, sec;
} span;

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

int mxf_image_parse(const char *label, const unsigned char *data, size_t len, mxf_image *img,
                    mxf_err *err)
{
    memset(img, 0, sizeof *img);
    img->data = (unsigned char *)data;
    img->len = len;
    const char *L = label;
    if (len < 8 || memcmp(data, MXF_IMAGE_MAGIC, 8))
        return mxf_fail(err, "%s: magic: not a weight image (expected \"%s\")", L, MXF_IMAGE_MAGIC);
    if (len < HEAD_FIXED) return mxf_fail(err, "%s: header: truncated (%zu bytes)", L, len);
    img->version = (uint32_t)get_u(data + 8, 4);
    if (img->version != MXF_IMAGE_VERSION)
        return mxf_fail(err, "%s: version: %u unsupported (this reader reads version %u)", L,
                        img->version, MXF_IMAGE_VERSION);
    img->header_len = (uint32_t)get_u(data + 12, 4);
    if (img->header_len < HEAD_FIXED + 4 || img->header_len > len)
        return mxf_fail(err, "%s: header_len: %u beyond the file (%zu bytes) or too small", L,
                        img->header_len, len);
    uint32_t hc = (uint32_t)get_u(data + img->header_len - 4, 4);
    uint32_t hc2 = crc(data, img->header_len - 4);
    if (hc != hc2)
        return mxf_fail(err, "%s: header_crc: stored 0x%08x, computed 0x%08x (corrupt header)", L,
                        hc, hc2);
    img->file_len = get_u(data + 16, 8);
    img->format_id = (uint32_t)get_u(data + 24, 4);
    uint32_t nt = (uint32_t)get_u(data + 28, 4);
    size_t sl = (size_t)get_u(data + 32, 2);
    size_t p = HEAD_FIXED;
    const size_t hend = img->header_len - 4;
    if (p + sl > hend || sl >= sizeof img->spec)
        return mxf_fail(err, "%s: spec_len: %zu overruns the header", L, sl);
    memcpy(img->spec, data + p, sl);
    img->spec[sl] = 0;
    p += sl;
    if (mxf_qformat_parse(img->spec, &img->fmt, err))
        return mxf_fail_prefix(err, "%s: format spec: ", L);
    if (mxf_qformat_id(&img->fmt) != img->format_id)
        return mxf_fail(err, "%s: format_id: 0x%x does not match spec '%s' (0x%x)", L,
                        img->format_id, img->spec, mxf_qformat_id(&img->fmt));
    if (nt < 1 || nt > MXF_IMAGE_MAX_TENSORS)
        return mxf_fail(err, "%s: n_tensors: %u out of range", L, nt);
    img->t = calloc(nt, sizeof *img->t);
    if (!img->t) return mxf_fail(err, "%s: out of memory", L);
    img->n = (int)nt;
    for (uint32_t i = 0; i < nt; i++) {
        mxf_image_tensor *t = &img->t[i];
        if (p + 2 > hend) return mxf_fail(err, "%s: tensor[%u]: entry overruns the header", L, i);
        size_t nl = (size_t)get_u(data + p, 2);
        p += 2;
        if (nl < 1 || nl > MXF_IMAGE_MAX_NAME || p + nl + ENTRY_FIXED - 2 > hend)
            return mxf_fail(err, "%s: tensor[%u]: name_len %zu invalid or entry overruns header", L,
                            i, nl);
        t->name = malloc(nl + 1);
        if (!t->name) return mxf_fail(err, "%s: out of memory", L);
        memcpy(t->name, data + p, nl);
        t->name[nl] = 0;
        if (strlen(t->name) != nl)
            return mxf_fail(err, "%s: tensor[%u]: name contains a NUL byte", L, i);
        p += nl;
        uint32_t nd = (uint32_t)get_u(data + p, 4);
        if (nd != 2)
            return mxf_fail(err, "%s: tensor '%s': ndim %u (only 2 supported)", L, t->name, nd);
        t->rows = (int64_t)get_u(data + p + 4, 8);
        t->cols = (int64_t)get_u(data + p + 12, 8);
        t->codes_off = get_u(data + p + 20, 8);
        t->codes_len = get_u(data + p + 28, 8);
        t->codes_crc = (uint32_t)get_u(data + p + 36, 4);
        t->meta_off = get_u(data + p + 40, 8);
        t->meta_len = get_u(data + p + 48, 8);
        t->meta_crc = (uint32_t)get_u(data + p + 56, 4);
        p += ENTRY_FIXED - 2;
        for (uint32_t j = 0; j < i; j++)
            if (!strcmp(img->t[j].name, t->name))
                return mxf_fail(err, "%s: tensor '%s': name appears twice", L, t->name);
        size_t cl, ml;
        mxf_err e2;
        if (mxf_qformat_sizes(&img->fmt, t->rows, t->cols, &cl, &ml, &e2))
            return mxf_fail(err, "%s: tensor '%s': %s", L, t->name, e2.msg);
        if (cl != t->codes_len)
            return mxf_fail(err, "%s: tensor '%s': codes_len %llu, shape %lldx%lld in %s needs %zu",
                            L, t->name, (unsigned long long)t->codes_len, (long long)t->rows,
                            (long long)t->cols, img->spec, cl);
        size_t mn = mxf_qformat_meta_min(&img->fmt, t->rows, t->cols);
        if (t->meta_len < mn || t->meta_len > ml) {
            if (mn == ml)
                return mxf_fail(err,
                                "%s: tensor '%s': meta_len %llu, shape %lldx%lld in %s needs %zu",
                                L, t->name, (unsigned long long)t->meta_len, (long long)t->rows,
                                (long long)t->cols, img->spec, ml);
            return mxf_fail(err,
                            "%s: tensor '%s': meta_len %llu, shape %lldx%lld in %s needs %zu..%zu",
                            L, t->name, (unsigned long long)t->meta_len, (long long)t->rows,
                            (long long)t->cols, img->spec, mn, ml);
        }
    }
    if (p != hend)
        return mxf_fail(err, "%s: header_len: %u does not match the table (ends at %zu)", L,
                        img->header_len, p + 4);
    /* Sections: inside the file, past the header, non-overlapping. */
    span *sp = malloc(sizeof(span) * 2 * nt);
    if (!sp) return mxf_fail(err, "%s: out of memory", L);
    for (uint32_t i = 0; i < nt; i++) {
        const mxf_image_tensor *t = &img->t[i];
        for (int s = 0; s < 2; s++) {
            uint64_t off = s ? t->meta_off : t->codes_off, l = s ? t->meta_len : t->codes_len;
            const char *sn = s ? "metadata" : "codes";
            if (off < img->header_len || off % MXF_IMAGE_ALIGN) {
                free(sp);
                return mxf_fail(err, "%s: tensor '%s': %s_off %llu inside the header or unaligned",
                                L, t->name, s ? "meta" : "codes", (unsigned long long)off);
            }
            if (off > len || l > len - off) {
                free(sp);
                return mxf_fail(err,
                                "%s: tensor '%s': %s section [%llu, %llu) beyond the end of "
                                "the file (%zu bytes): truncated",
                                L, t->name, sn, (unsigned long long)off,
                                (unsigned long long)(off + l), len);
            }
            sp[2 * i + s] = (span){off, l, (int)i, s};
        }
    }
    qsort(sp, 2 * nt, sizeof *sp, span_cmp);
    for (uint32_t k = 1; k < 2 * nt; k++)
        if (sp[k - 1].off + sp[k - 1].len > sp[k].off) {
            int a = sp[k - 1].tensor, b2 = sp[k].tensor;
            free(sp);
            return mxf_fail(err, "%s: sections of '%s' and '%s' overlap", L, img->t[a].name,
                            img->t[b2].name);
        }
    /* Bytes outside the header and the sections (alignment padding) must be zero: the CRCs do
     * not cover them. */
    uint64_t at = img->header_len;
    for (uint32_t k = 0; k <= 2 * nt; k++) {
        uint64_t to = k < 2 * nt ? sp[k].off : len;
        for (uint64_t q = at; q < to; q++)
            if (data[q]) {
                free(sp);
                return mxf_fail(err, "%s: padding: byte at offset %llu is 0x%02x, expected 0", L,
                                (unsigned long long)q, data[q]);
            }
        if (k < 2 * nt) at = sp[k].off + sp[k].len;
    }
    free(sp);
    if (img->file_len != len)
        return mxf_fail(err, "%s: file_len: header says %llu bytes, file has %zu (%s)", L,
                        (unsigned long long)img->file_len, len,
                        img->file_len > len ? "truncated" : "trailing bytes");
    for (uint32_t i = 0; i < nt; i++) {
        const mxf_image_tensor *t = &img->t[i];
        uint32_t c1 = crc(data + t->codes_off, t->codes_len);
        if (c1 != t->codes_crc)
            return mxf_fail(err, "%s: tensor '%s': codes_crc: stored 0x%08x, computed 0x%08x", L,
                            t->name, t->codes_crc, c1);
        uint32_t c2 = crc(data + t->meta_off, t->meta_len);
        if (c2 != t->meta_crc)
            return mxf_fail(err, "%s: tensor '%s': meta_crc: stored 0x%08x, computed 0x%08x", L,
                            t->name, t->meta_crc, c2);
    }
    return 0;
}

/* Reads up to n bytes at buf (fewer only at the end of the input). */
static int read_full(int fd, unsigned char *buf, size_t n, size_t *got)
{
    *got = 0;
    while (*got < n) {
        ssize_t r = read(fd, buf + *got, n - *got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        *got += (size_t)r;
    }
    return 0;
}

/* Bounded by the format's own length fields: the fixed header first (magic checked before
 * anything else is read), then at most file_len bytes plus one to detect trailing bytes. A
 * device such as /dev/zero therefore fails on its first 34 bytes. Regular files are never read
 * past their size; the buffer grows with what was actually read, never to a claimed length. */
int mxf_image_read(const char *path, mxf_image *img, mxf_err *err)
{
    memset(img, 0, sizeof *img);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return mxf_fail(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb)) {
        close(fd);
        return mxf_fail(err, "%s: cannot stat: %s", path, strerror(errno));
    }
    if (S_ISDIR(sb.st_mode)) {
        close(fd);
        return mxf_fail(err, "%s: is a directory, not a weight image", path);
    }
    unsigned char head[HEAD_FIXED];
    size_t got;
    if (read_full(fd, head, sizeof head, &got)) {
        close(fd);
        return mxf_fail(err, "%s: read error: %s", path, strerror(errno));
    }
    if (got < 8 || memcmp(head, MXF_IMAGE_MAGIC, 8) || got < HEAD_FIXED) {
        close(fd);
        /* the parser words the error (magic, or a truncated fixed header) */
        return mxf_image_parse(path, head, got, img, err);
    }
    uint64_t want = get_u(head + 16, 8); /* file_len */
    const uint64_t hl = get_u(head + 12, 4);
    if (want < hl) want = hl; /* a file_len inside the header: read the header to report it */
    if (S_ISREG(sb.st_mode) && want > (uint64_t)sb.st_size) want = (uint64_t)sb.st_size;
    if (want > SIZE_MAX - 2) want = SIZE_MAX - 2;
    want += 1; /* one more byte tells trailing bytes apart */
    size_t cap = HEAD_FIXED, n = HEAD_FIXED;
    unsigned char *d = malloc(cap + 1);
    if (!d) {
        close(fd);
        return mxf_fail(err, "%s: out of memory", path);
    }
    memcpy(d, head, HEAD_FIXED);
    while (n < want) {
        if (n == cap) {
            size_t nc = cap * 2 < want ? cap * 2 : (size_t)want;
            if (nc < (size_t)1 << 16) nc = (size_t)1 << 16 < want ? (size_t)1 << 16 : (size_t)want;
            unsigned char *nd = realloc(d, nc + 1);
            if (!nd) {
                free(d);
                close(fd);
                return mxf_fail(err, "%s: out of memory", path);
            }
            d = nd;
            cap = nc;
        }
        size_t step = (size_t)want - n < cap - n ? (size_t)want - n : cap - n;
        if (read_full(fd, d + n, step, &got)) {
            free(d);
            close(fd);
            return mxf_fail(err, "%s: read error: %s", path, strerror(errno));
        }
        n += got;
        if (got < step) break;
    }
    close(fd);
    size_t len = n;
    /* A regular file longer than file_len: report its real size in the file_len error. */
    if (S_ISREG(sb.st_mode) && n == want && (uint64_t)sb.st_size > n) len = (size_t)sb.st_size;
    if (mxf_image_parse(path, d, n, img, err)) {
        if (err && len != n && strstr(err->msg, "file_len:"))
            mxf_fail(err, "%s: file_len: header says %llu bytes, file has %zu (trailing bytes)",
                     path, (unsigned long long)img->file_len, len);
        mxf_image_free(img);
        free(d);
        return -1;
    }
    img->owns_data = 1;
    return 0;
}

void mxf_image_view(const mxf_image *img, int i, mxf_qtensor *q)
{
    const mxf_image_tensor *t = &img->t[i];
    q->fmt = img->fmt;
    q->rows = t->rows;
    q->cols = t->cols;
    q->codes = img->data + t->codes_off;
    q->codes_len = (size_t)t->codes_len;
    q->meta = img->data + t->meta_off;
    q->meta_len = (size_t)t->meta_len;
}

int mxf_image_find(const mxf_image *img, const char *name)
{
    for (int i = 0; i < img->n; i++)
        if (!strcmp(img->t[i].name, name)) return i;
    return -1;
}
