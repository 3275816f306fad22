/* Format specs and tensor-level quantization over the block codecs. See qformat.h. */
#include "qformat.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gptq.h"
#include "half.h"
#include "hessian.h"
#include "parse.h"
#include "recon.h"

typedef struct name_entry {
    const char *name;
    mxf_qfamily fam;
    int variant; /* MX: element; MXINT: bits; NXFP: bits */
    int block;   /* MXINT: block */
    int axis;    /* MXINT: MXF_AXIS_K or MXF_AXIS_N */
} name_entry;

/* MX-INT-b also has the generic names of parse_mxint_name. */
static const name_entry NAMES[] = {
    {"mxfp8_e4m3", MXF_QF_MX, MXF_E4M3, 32, 0},
    {"mxfp8_e5m2", MXF_QF_MX, MXF_E5M2, 32, 0},
    {"mxfp6_e2m3", MXF_QF_MX, MXF_E2M3, 32, 0},
    {"mxfp6_e3m2", MXF_QF_MX, MXF_E3M2, 32, 0},
    {"mxfp4", MXF_QF_MX, MXF_E2M1, 32, 0},
    {"mxint8", MXF_QF_MX, MXF_INT8, 32, 0},
    {"mxint2", MXF_QF_MXINT, 2, 32, MXF_AXIS_K},
    {"mxint4", MXF_QF_MXINT, 4, 32, MXF_AXIS_K},
    {"nxfp4", MXF_QF_NXFP, 4, 32, 0},
    {"nxfp5", MXF_QF_NXFP, 5, 32, 0},
    {"nxfp6", MXF_QF_NXFP, 6, 32, 0},
    {"fineq", MXF_QF_FINEQ, 0, 0, 0},
    {"microscopiq2", MXF_QF_MSQ, 2, 0, 0},
    {"microscopiq4", MXF_QF_MSQ, 4, 0, 0},
};
#define NNAMES ((int)(sizeof NAMES / sizeof NAMES[0]))

const char *mxf_qformat_known(void)
{
    return "mxfp8_e4m3, mxfp8_e5m2, mxfp6_e2m3, mxfp6_e3m2, mxfp4, mxint8, mxint2, mxint4, "
           "mxint<b>/k<B> (B along K), mxint<b>/n<B> or mxint<b>/<B> (B along N; b = 2, 4, 8), "
           "nxfp4, nxfp5, nxfp6, fineq, microscopiq2, microscopiq4";
}

/* MX-INT-b names with the block in them: "mxint<b>/k<B>" (B consecutive weights along K),
 * "mxint<b>/n<B>" and the older "mxint<b>/<B>" (B consecutive output channels at one k); b is
 * 2, 4 or 8, B a decimal 1..65536 without sign or leading zero. */
static int parse_mxint_name(const char *s, name_entry *ne)
{
    if (strncmp(s, "mxint", 5) || !s[5] || !strchr("248", s[5]) || s[6] != '/') return 0;
    const char *p = s + 7;
    int axis = MXF_AXIS_N;
    if (*p == 'k' || *p == 'n') axis = *p++ == 'k' ? MXF_AXIS_K : MXF_AXIS_N;
    if (*p < '1' || *p > '9') return 0;
    long v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9') return 0;
        v = v * 10 + (*p - '0');
        if (v > 65536) return 0;
    }
    *ne = (name_entry){"", MXF_QF_MXINT, s[5] - '0', (int)v, axis};
    return 1;
}

static int parse_double(const char *s, const char *what, double lo, double hi, double *out,
                        mxf_err *err)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return mxf_fail(err, "%s=%s: not a number", what, s);
    if (v < lo || v > hi) return mxf_fail(err, "%s=%s: out of range %g..%g", what, s, lo, hi);
    *out = v;
    return 0;
}

/* A keyword value: *out = its index in names (NULL-terminated), or a message listing them. */
static int parse_choice(const char *v, const char *what, const char *const *names, int *out,
                        mxf_err *err)
{
    char list[128] = "";
    for (int i = 0; names[i]; i++) {
        if (!strcmp(v, names[i])) {
            *out = i;
            return 0;
        }
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s",
                 i == 0         ? ""
                 : names[i + 1] ? ", "
                                : " or ",
                 names[i]);
    }
    return mxf_fail(err, "%s=%s: must be %s", what, v, list);
}

static int parse_round(const char *v, const char *what, mxf_round *r, mxf_err *err)
{
    int i; /* index = mxf_round value */
    if (parse_choice(v, what, (const char *const[]){"rne", "away", NULL}, &i, err)) return -1;
    *r = (mxf_round)i;
    return 0;
}

static int set_key(mxf_qformat *f, const char *fname, const char *k, const char *v, mxf_err *err)
{
    char what[96];
    snprintf(what, sizeof what, "%.40s:%.40s", fname, k);
    long n;
    switch (f->family) {
    case MXF_QF_MX:
        if (!strcmp(k, "block")) {
            if (mxf_parse_int(v, what, 1, 65536, &n, err)) return -1;
            f->mx.block = (int)n;
            return 0;
        }
        if (!strcmp(k, "round")) return parse_round(v, what, &f->mx.round, err);
        break;
    case MXF_QF_MXINT:
        if (!strcmp(k, "block")) {
            if (mxf_parse_int(v, what, 1, 65536, &n, err)) return -1;
            f->mxint.block = (int)n;
            return 0;
        }
        if (!strcmp(k, "axis"))
            return parse_choice(v, what, (const char *const[]){"k", "n", NULL}, &f->axis, err);
        if (!strcmp(k, "round")) return parse_round(v, what, &f->mxint.round, err);
        break;
    case MXF_QF_NXFP:
        if (!strcmp(k, "block")) {
            if (mxf_parse_int(v, what, 1, MXF_NXFP_MAX_BLOCK, &n, err)) return -1;
            f->nx.block = (int)n;
            return 0;
        }
        if (!strcmp(k, "nano")) {
            if (mxf_parse_int(v, what, 0, 2, &n, err)) return -1;
            f->nx.nano_bits = (int)n;
            return 0;
        }
        if (!strcmp(k, "am")) {
            if (mxf_parse_int(v, what, 0, 1, &n, err)) return -1;
            f->nx.am = (int)n;
            return 0;
        }
        if (!strcmp(k, "cr"))
            return parse_choice(v, what, (const char *const[]){"off", "fixed", "sign", NULL},
                                &f->nx.cr, err);
        if (!strncmp(k, "vcr", 3) && k[3] >= '0' && k[3] <= '2' && !k[4])
            return parse_double(v, what, 1e-6, 1e6, &f->nx.vcr[k[3] - '0'], err);
        if (!strcmp(k, "rule"))
            return parse_choice(v, what, (const char *const[]){"a", "b", NULL}, &f->nx.rule, err);
        if (!strcmp(k, "round")) return parse_round(v, what, &f->nx.round, err);
        break;
    case MXF_QF_FINEQ:
        if (!strcmp(k, "group")) {
            if (mxf_parse_int(v, what, 3, 65535, &n, err)) return -1;
            if (n % 3) return mxf_fail(err, "%s=%s: not a multiple of 3", what, v);
            f->fq.group = (int)n;
            return 0;
        }
        if (!strcmp(k, "ratio")) return parse_double(v, what, 1, 1e6, &f->fq.ratio, err);
        if (!strcmp(k, "rescue")) {
            if (mxf_parse_int(v, what, 0, 1, &n, err)) return -1;
            f->fq.rescue = (int)n;
            return 0;
        }
        if (!strcmp(k, "round")) return parse_round(v, what, &f->fq.round, err);
        break;
    case MXF_QF_MSQ:
        if (!strcmp(k, "sigma")) return parse_double(v, what, 0.1, 100, &f->msq.sigma, err);
        if (!strcmp(k, "maxout")) {
            if (mxf_parse_int(v, what, 0, MXF_MSQ_MAX_OUT, &n, err)) return -1;
            f->msq.max_outliers = (int)n;
            return 0;
        }
        if (!strcmp(k, "group")) {
            if (mxf_parse_int(v, what, MXF_MSQ_MUB, MXF_MSQ_MAB, &n, err)) return -1;
            if (n != MXF_MSQ_MUB && n != MXF_MSQ_MAB)
                return mxf_fail(err, "%s=%s: must be %d (per uB) or %d (per MaB)", what, v,
                                MXF_MSQ_MUB, MXF_MSQ_MAB);
            f->msq.outlier_group = (int)n;
            return 0;
        }
        if (!strcmp(k, "route"))
            return parse_choice(v, what, (const char *const[]){"any", "recon", NULL}, &f->msq_route,
                                err);
        if (!strcmp(k, "mode"))
            return parse_choice(v, what, (const char *const[]){"rtn", "gptq", NULL}, &f->msq_gptq,
                                err);
        if (!strcmp(k, "damp")) return parse_double(v, what, 0, 1, &f->percdamp, err);
        break;
    }
    return mxf_fail(err, "%s: unknown parameter '%s'", fname, k);
}

int mxf_qformat_parse(const char *spec, mxf_qformat *f, mxf_err *err)
{
    char buf[512];
    if (!spec || !*spec) return mxf_fail(err, "format: empty (known: %s)", mxf_qformat_known());
    if (strlen(spec) >= sizeof buf) return mxf_fail(err, "format: spec too long");
    strcpy(buf, spec);
    char *params = strchr(buf, ':');
    if (params) *params++ = 0;
    const name_entry *ne = NULL;
    for (int i = 0; i < NNAMES; i++)
        if (!strcmp(buf, NAMES[i].name)) ne = &NAMES[i];
    name_entry gen;
    if (!ne && parse_mxint_name(buf, &gen)) ne = &gen;
    if (!ne)
        return mxf_fail(err, "format=%s: unknown format (known: %s)", buf, mxf_qformat_known());
    memset(f, 0, sizeof *f);
    f->family = ne->fam;
    switch (ne->fam) {
    case MXF_QF_MX:
        mxf_mx_default_params(&f->mx, (mxf_elem)ne->variant);
        break;
    case MXF_QF_MXINT:
        mxf_mxint_default_params(&f->mxint, ne->variant);
        f->mxint.block = ne->block;
        f->axis = ne->axis;
        break;
    case MXF_QF_NXFP:
        mxf_nxfp_default_params(&f->nx, ne->variant);
        break;
    case MXF_QF_FINEQ:
        mxf_fineq_default_params(&f->fq);
        break;
    case MXF_QF_MSQ:
        mxf_msq_default_params(&f->msq, ne->variant);
        f->msq_route = 1;
        f->percdamp = MXF_PERCDAMP_DEFAULT;
        break;
    }
    if (params && *params) {
        char *save = NULL;
        const char *seen[64];
        int nseen = 0;
        for (char *kv = strtok_r(params, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(kv, '=');
            if (!eq || eq == kv || !eq[1])
                return mxf_fail(err, "%s: parameter '%s' is not key=value", buf, kv);
            *eq = 0;
            for (int i = 0; i < nseen; i++)
                if (!strcmp(seen[i], kv))
                    return mxf_fail(err, "%s: parameter '%s' given twice", buf, kv);
            if (nseen == (int)(sizeof seen / sizeof seen[0]))
                return mxf_fail(err, "%s: too many parameters", buf);
            seen[nseen++] = kv;
            if (set_key(f, buf, kv, eq + 1, err)) return -1;
        }
    }
    int rc = 0;
    switch (f->family) {
    case MXF_QF_MX:
        rc = mxf_mx_check_params(&f->mx, err);
        break;
    case MXF_QF_MXINT:
        rc = mxf_mxint_check_params(&f->mxint, err);
        break;
    case MXF_QF_NXFP:
        rc = mxf_nxfp_check_params(&f->nx, err);
        break;
    case MXF_QF_FINEQ:
        rc = mxf_fineq_check_params(&f->fq, err);
        break;
    case MXF_QF_MSQ:
        f->msq.routable = f->msq_route ? mxf_recon_ub_routable : NULL;
        rc = mxf_msq_check_params(&f->msq, err);
        break;
    }
    return rc;
}

static const char *rname(mxf_round r)
{
    return r == MXF_RNE ? "rne" : "away";
}

void mxf_qformat_name(const mxf_qformat *f, char *buf, size_t cap)
{
    switch (f->family) {
    case MXF_QF_MX:
        for (int i = 0; i < NNAMES; i++)
            if (NAMES[i].fam == MXF_QF_MX && NAMES[i].variant == (int)f->mx.elem) {
                snprintf(buf, cap, "%s", NAMES[i].name);
                return;
            }
        break;
    case MXF_QF_MXINT: /* the axis and the block are part of the name */
        snprintf(buf, cap, "mxint%d/%c%d", f->mxint.bits, f->axis == MXF_AXIS_N ? 'n' : 'k',
                 f->mxint.block);
        return;
    case MXF_QF_NXFP:
        snprintf(buf, cap, "nxfp%d", f->nx.bits);
        return;
    case MXF_QF_FINEQ:
        snprintf(buf, cap, "fineq");
        return;
    case MXF_QF_MSQ:
        snprintf(buf, cap, "microscopiq%d", f->msq.bb);
        return;
    }
    snprintf(buf, cap, "?");
}

void mxf_qformat_spec(const mxf_qformat *f, char *buf, size_t cap)
{
    char name[32];
    mxf_qformat_name(f, name, sizeof name);
    switch (f->family) {
    case MXF_QF_MX:
        snprintf(buf, cap, "%s:block=%d,round=%s", name, f->mx.block, rname(f->mx.round));
        break;
    case MXF_QF_MXINT:
        /* the block and the axis are in the name */
        snprintf(buf, cap, "%s:round=%s", name, rname(f->mxint.round));
        break;
    case MXF_QF_NXFP: {
        static const char *crn[3] = {"off", "fixed", "sign"};
        snprintf(buf, cap,
                 "%s:block=%d,nano=%d,am=%d,cr=%s,vcr0=%.17g,vcr1=%.17g,vcr2=%.17g,rule=%s,"
                 "round=%s",
                 name, f->nx.block, f->nx.nano_bits, f->nx.am, crn[f->nx.cr], f->nx.vcr[0],
                 f->nx.vcr[1], f->nx.vcr[2], f->nx.rule == MXF_NX_RULE_A ? "a" : "b",
                 rname(f->nx.round));
        break;
    }
    case MXF_QF_FINEQ:
        snprintf(buf, cap, "%s:group=%d,ratio=%.17g,rescue=%d,round=%s", name, f->fq.group,
                 f->fq.ratio, f->fq.rescue, rname(f->fq.round));
        break;
    case MXF_QF_MSQ:
        snprintf(buf, cap, "%s:sigma=%.17g,maxout=%d,group=%d,route=%s,mode=%s,damp=%.17g", name,
                 f->msq.sigma, f->msq.max_outliers, f->msq.outlier_group,
                 f->msq_route ? "recon" : "any", f->msq_gptq ? "gptq" : "rtn", f->percdamp);
        break;
    }
}

uint32_t mxf_qformat_id(const mxf_qformat *f)
{
    switch (f->family) {
    case MXF_QF_MX:
        return 256u * MXF_QF_MX + (uint32_t)f->mx.elem;
    case MXF_QF_MXINT:
        return 256u * MXF_QF_MXINT + (uint32_t)f->mxint.bits;
    case MXF_QF_NXFP:
        return 256u * MXF_QF_NXFP + (uint32_t)f->nx.bits;
    case MXF_QF_FINEQ:
        return 256u * MXF_QF_FINEQ;
    case MXF_QF_MSQ:
        return 256u * MXF_QF_MSQ + (uint32_t)f->msq.bb;
    }
    return 0;
}

/* ---- geometry ---- */

typedef struct geom {
    int bits;           /* element bits (FineQ: 8 per cluster) */
    int block;          /* elements per block (FineQ: group) */
    int64_t nblocks;    /* blocks in the tensor */
    size_t block_bytes; /* packed code bytes per block */
    size_t meta_per;    /* metadata bytes per block */
    int along_n;
} geom;

static int64_t cdiv(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

static void get_geom(const mxf_qformat *f, int64_t rows, int64_t cols, geom *g)
{
    memset(g, 0, sizeof *g);
    switch (f->family) {
    case MXF_QF_MX:
        g->bits = mxf_elem_bits(f->mx.elem);
        g->block = f->mx.block;
        g->meta_per = 1;
        break;
    case MXF_QF_MXINT:
        g->bits = f->mxint.bits;
        g->block = f->mxint.block;
        g->meta_per = 1;
        g->along_n = f->axis == MXF_AXIS_N;
        break;
    case MXF_QF_NXFP:
        g->bits = f->nx.bits;
        g->block = f->nx.block;
        g->meta_per = 2;
        break;
    case MXF_QF_FINEQ: {
        int64_t kp = cdiv(cols, 3) * 3;
        g->bits = 8;
        g->block = f->fq.group;
        g->nblocks = rows * cdiv(kp, g->block);
        g->meta_per = 2;
        return;
    }
    case MXF_QF_MSQ:
        g->bits = f->msq.bb;
        g->block = MXF_MSQ_MAB;
        g->meta_per = MXF_MSQ_MAX_META;
        g->along_n = 1;
        break;
    }
    g->block_bytes = (size_t)cdiv((int64_t)g->block * g->bits, 8);
    g->nblocks = g->along_n ? cdiv(rows, g->block) * cols : rows * cdiv(cols, g->block);
}

int mxf_qformat_sizes(const mxf_qformat *f, int64_t rows, int64_t cols, size_t *codes_len,
                      size_t *meta_len, mxf_err *err)
{
    if (rows < 1 || cols < 1 || rows > (1LL << 31) || cols > (1LL << 31) ||
        rows * cols > (1LL << 40))
        return mxf_fail(err, "shape %lldx%lld: out of range", (long long)rows, (long long)cols);
    geom g;
    get_geom(f, rows, cols, &g);
    if (f->family == MXF_QF_FINEQ)
        *codes_len = (size_t)(rows * (cdiv(cols, 3)));
    else
        *codes_len = (size_t)g.nblocks * g.block_bytes;
    *meta_len = (size_t)g.nblocks * g.meta_per;
    return 0;
}

size_t mxf_qformat_meta_min(const mxf_qformat *f, int64_t rows, int64_t cols)
{
    size_t cl = 0, ml = 0;
    mxf_err e;
    if (mxf_qformat_sizes(f, rows, cols, &cl, &ml, &e)) return 0;
    if (f->family != MXF_QF_MSQ) return ml;
    return ml / MXF_MSQ_MAX_META * 3; /* every MaB: scale byte + bitmap */
}

double mxf_qformat_nominal_bits(const mxf_qformat *f)
{
    switch (f->family) {
    case MXF_QF_MX:
        return mxf_elem_bits(f->mx.elem) + 8.0 / f->mx.block;
    case MXF_QF_MXINT:
        return f->mxint.bits + 8.0 / f->mxint.block;
    case MXF_QF_NXFP:
        return mxf_nxfp_bits_per_elem(&f->nx);
    case MXF_QF_FINEQ:
        return 8.0 / 3.0 + 16.0 / f->fq.group;
    case MXF_QF_MSQ:
        return f->msq.bb + 24.0 / MXF_MSQ_MAB;
    }
    return 0;
}

/* ---- bit packing: element i of a block at bits [i*b, i*b+b) of a little-endian bitstream ---- */

static void pack_bits(const uint8_t *c, int n, int bits, uint8_t *dst, size_t nbytes)
{
    if (bits == 8) {
        memcpy(dst, c, (size_t)n);
        return;
    }
    memset(dst, 0, nbytes);
    if (bits == 4) {
        for (int i = 0; i < n; i++) dst[i >> 1] |= (uint8_t)((c[i] & 15) << ((i & 1) * 4));
        return;
    }
    if (bits == 2) {
        for (int i = 0; i < n; i++) dst[i >> 2] |= (uint8_t)((c[i] & 3) << ((i & 3) * 2));
        return;
    }
    uint32_t mask = (1u << bits) - 1;
    for (int i = 0; i < n; i++) {
        size_t bit = (size_t)i * (size_t)bits;
        uint32_t v = (c[i] & mask) << (bit & 7);
        dst[bit >> 3] |= (uint8_t)v;
        if ((bit & 7) + (size_t)bits > 8) dst[(bit >> 3) + 1] |= (uint8_t)(v >> 8);
    }
}

static void unpack_bits(const uint8_t *src, int n, int bits, uint8_t *c)
{
    if (bits == 8) {
        memcpy(c, src, (size_t)n);
        return;
    }
    uint32_t mask = (1u << bits) - 1;
    for (int i = 0; i < n; i++) {
        size_t bit = (size_t)i * (size_t)bits;
        uint32_t v = src[bit >> 3];
        if ((bit & 7) + (size_t)bits > 8) v |= (uint32_t)src[(bit >> 3) + 1] << 8;
        c[i] = (uint8_t)((v >> (bit & 7)) & mask);
    }
}

/* ---- quantize / dequantize ---- */

void mxf_qtensor_free(mxf_qtensor *q)
{
    if (!q) return;
    free(q->codes);
    free(q->meta);
    q->codes = q->meta = NULL;
    q->codes_len = q->meta_len = 0;
}

/* Gathers block b of the tensor into x (zero padded); returns the number of real elements. */
static int gather(const geom *g, const float *W, int64_t rows, int64_t cols, int64_t b, float *x)
{
    int n = 0;
    if (g->along_n) {
        int64_t k = b % cols, nb = b / cols, r0 = nb * g->block;
        for (int i = 0; i < g->block; i++) {
            int64_t r = r0 + i;
            x[i] = r < rows ? W[r * cols + k] : 0.0f;
            n += r < rows;
        }
    } else {
        int64_t per = cdiv(cols, g->block), r = b / per, c0 = (b % per) * g->block;
        for (int i = 0; i < g->block; i++) {
            int64_t c = c0 + i;
            x[i] = c < cols ? W[r * cols + c] : 0.0f;
            n += c < cols;
        }
    }
    return n;
}

static void scatter(const geom *g, float *W, int64_t rows, int64_t cols, int64_t b, const float *x)
{
    if (g->along_n) {
        int64_t k = b % cols, nb = b / cols, r0 = nb * g->block;
        for (int i = 0; i < g->block && r0 + i < rows; i++) W[(r0 + i) * cols + k] = x[i];
    } else {
        int64_t per = cdiv(cols, g->block), r = b / per, c0 = (b % per) * g->block;
        for (int i = 0; i < g->block && c0 + i < cols; i++) W[r * cols + c0 + i] = x[i];
    }
}

/* ---- MicroScopiQ: sections in k-major, MaB-minor order (docs/microscopiq-format.md) ---- */

static int msq_gptq(const mxf_qformat *f, const float *W, int N, int K, const float *X,
                    int64_t tokens, int64_t x_cols, mxf_msq_tensor *t, float *target, mxf_err *err)
{
    if (!X || tokens < 1)
        return mxf_fail(err, "mode=gptq needs calibration activations (none given)");
    if (tokens > INT_MAX || x_cols > INT_MAX)
        return mxf_fail(err, "calibration: %lld x %lld activations: too large", (long long)tokens,
                        (long long)x_cols);
    mxf_hessian h;
    if (mxf_hessian_init(&h, K, err)) return -1;
    double *H = malloc(sizeof(double) * (size_t)K * (size_t)K);
    double *U = malloc(sizeof(double) * (size_t)K * (size_t)K);
    unsigned char *dead = malloc((size_t)K);
    int rc = -1;
    if (!H || !U || !dead)
        mxf_fail(err, "out of memory for the %dx%d Hessian", K, K);
    else if (mxf_hessian_add(&h, X, (int)tokens, (int)x_cols, err) || mxf_hessian_get(&h, H, err) ||
             mxf_hessian_prepare(H, K, f->percdamp, U, dead, NULL, err))
        mxf_fail_prefix(err, "calibration: ");
    else
        rc = mxf_msq_quantize_gptq_target(&f->msq, W, N, K, U, dead, MXF_GPTQ_BLOCK_DEFAULT, t,
                                          NULL, target, NULL, err);
    mxf_hessian_free(&h);
    free(H);
    free(U);
    free(dead);
    return rc;
}

static int check_finite(const float *W, int64_t rows, int64_t cols, mxf_err *err)
{
    for (int64_t i = 0; i < rows * cols; i++)
        if (!isfinite(W[i]))
            return mxf_fail(err, "weight[%lld][%lld] = %g: NaN/Inf weights cannot be quantized",
                            (long long)(i / cols), (long long)(i % cols), (double)W[i]);
    return 0;
}

static int msq_quantize(const mxf_qformat *f, const float *W, int64_t rows, int64_t cols,
                        const float *X, int64_t tokens, int64_t x_cols, mxf_qtensor *out,
                        float *target, mxf_err *err)
{
    if (rows > INT_MAX || cols > INT_MAX)
        return mxf_fail(err, "shape %lldx%lld: too large for MicroScopiQ", (long long)rows,
                        (long long)cols);
    mxf_msq_tensor t;
    int rc = mxf_qformat_needs_calib(f)
                 ? msq_gptq(f, W, (int)rows, (int)cols, X, tokens, x_cols, &t, target, err)
                 : mxf_msq_quantize_rtn(&f->msq, W, (int)rows, (int)cols, &t, NULL, err);
    if (rc) return -1;
    if (target && !mxf_qformat_needs_calib(f))
        memcpy(target, W, sizeof(float) * (size_t)rows * (size_t)cols);
    out->fmt = *f;
    out->rows = rows;
    out->cols = cols;
    out->codes = t.weights;
    out->codes_len = t.weights_len;
    uint8_t *meta = realloc(t.meta, t.meta_len ? t.meta_len : 1); /* shrink to what is used */
    out->meta = meta ? meta : t.meta;
    out->meta_len = t.meta_len;
    free(t.meta_offset);
    return 0;
}

static int msq_dequantize(const mxf_qtensor *q, float *W, mxf_err *err)
{
    const int bb = q->fmt.msq.bb;
    const int64_t rows = q->rows, cols = q->cols, nm = cdiv(rows, MXF_MSQ_MAB);
    const size_t wb = mxf_msq_weight_bytes(bb);
    float x[MXF_MSQ_MAB];
    size_t o = 0;
    for (int64_t k = 0; k < cols; k++)
        for (int64_t m = 0; m < nm; m++) {
            size_t used;
            const int64_t idx = k * nm + m;
            if (mxf_msq_unpack_mab(bb, q->codes + (size_t)idx * wb, q->meta + o, q->meta_len - o,
                                   &used, x, err))
                return mxf_fail_prefix(err, "metadata: MaB (k=%lld, rows %lld..): ", (long long)k,
                                       (long long)(m * MXF_MSQ_MAB));
            o += used;
            for (int i = 0; i < MXF_MSQ_MAB && m * MXF_MSQ_MAB + i < rows; i++)
                W[(m * MXF_MSQ_MAB + i) * cols + k] = x[i];
        }
    if (o != q->meta_len)
        return mxf_fail(err, "metadata: %zu bytes after the last MaB", q->meta_len - o);
    return 0;
}

int mxf_qformat_needs_calib(const mxf_qformat *f)
{
    return f->family == MXF_QF_MSQ && f->msq_gptq;
}

int mxf_quantize(const mxf_qformat *f, const float *W, int64_t rows, int64_t cols, mxf_qtensor *out,
                 mxf_err *err)
{
    return mxf_quantize_calib(f, W, rows, cols, NULL, 0, 0, out, err);
}

int mxf_quantize_calib(const mxf_qformat *f, const float *W, int64_t rows, int64_t cols,
                       const float *X, int64_t tokens, int64_t x_cols, mxf_qtensor *out,
                       mxf_err *err)
{
    return mxf_quantize_target(f, W, rows, cols, X, tokens, x_cols, out, NULL, err);
}

int mxf_quantize_target(const mxf_qformat *f, const float *W, int64_t rows, int64_t cols,
                        const float *X, int64_t tokens, int64_t x_cols, mxf_qtensor *out,
                        float *target, mxf_err *err)
{
    memset(out, 0, sizeof *out);
    size_t cl, ml;
    if (mxf_qformat_sizes(f, rows, cols, &cl, &ml, err)) return -1;
    if (check_finite(W, rows, cols, err)) return -1;
    if (f->family == MXF_QF_MSQ)
        return msq_quantize(f, W, rows, cols, X, tokens, x_cols, out, target, err);
    if (target) memcpy(target, W, sizeof(float) * (size_t)rows * (size_t)cols);
    out->fmt = *f;
    out->rows = rows;
    out->cols = cols;
    out->codes_len = cl;
    out->meta_len = ml;
    out->codes = malloc(cl ? cl : 1);
    out->meta = malloc(ml ? ml : 1);
    geom g;
    get_geom(f, rows, cols, &g);
    float *x = malloc(sizeof(float) * (size_t)g.block + 16);
    uint8_t *c = malloc((size_t)g.block + 16);
    if (!out->codes || !out->meta || !x || !c) {
        free(x);
        free(c);
        mxf_qtensor_free(out);
        return mxf_fail(err, "out of memory (%zu + %zu bytes)", cl, ml);
    }
    if (f->family == MXF_QF_FINEQ) {
        int64_t kp = cdiv(cols, 3) * 3, per = cdiv(kp, g.block);
        for (int64_t r = 0; r < rows; r++)
            for (int64_t gb = 0; gb < per; gb++) {
                int64_t c0 = gb * g.block;
                int n = (int)(kp - c0 < g.block ? kp - c0 : g.block);
                for (int i = 0; i < n; i++) x[i] = c0 + i < cols ? W[r * cols + c0 + i] : 0.0f;
                uint16_t h;
                mxf_fineq_quantize_group(&f->fq, x, n, &h, out->codes + r * (kp / 3) + c0 / 3);
                out->meta[2 * (r * per + gb)] = (uint8_t)(h & 0xFF);
                out->meta[2 * (r * per + gb) + 1] = (uint8_t)(h >> 8);
            }
    } else {
        mxf_nxfp_codec nx;
        if (f->family == MXF_QF_NXFP) mxf_nxfp_codec_init(&nx, &f->nx);
        for (int64_t b = 0; b < g.nblocks; b++) {
            gather(&g, W, rows, cols, b, x);
            uint8_t *dst = out->codes + (size_t)b * g.block_bytes;
            if (f->family == MXF_QF_MX) {
                out->meta[b] = mxf_mx_quantize_block(&f->mx, x, g.block, c);
            } else if (f->family == MXF_QF_MXINT) {
                out->meta[b] = mxf_mxint_quantize_block(&f->mxint, x, g.block, c);
            } else {
                mxf_nxfp_meta m;
                mxf_nxfp_encode_block(&nx, x, g.block, &m, c);
                uint16_t w = mxf_nxfp_meta_pack(&m);
                out->meta[2 * b] = (uint8_t)(w & 0xFF);
                out->meta[2 * b + 1] = (uint8_t)(w >> 8);
            }
            pack_bits(c, g.block, g.bits, dst, g.block_bytes);
        }
    }
    free(x);
    free(c);
    return 0;
}

int mxf_dequantize(const mxf_qtensor *q, float *W, mxf_err *err)
{
    const mxf_qformat *f = &q->fmt;
    size_t cl, ml;
    if (mxf_qformat_sizes(f, q->rows, q->cols, &cl, &ml, err)) return -1;
    if (f->family == MXF_QF_MSQ && cl == q->codes_len &&
        q->meta_len >= mxf_qformat_meta_min(f, q->rows, q->cols) && q->meta_len <= ml)
        return msq_dequantize(q, W, err);
    if (cl != q->codes_len || ml != q->meta_len)
        return mxf_fail(err, "sections: %zu code + %zu metadata bytes, expected %zu + %zu",
                        q->codes_len, q->meta_len, cl, ml);
    geom g;
    get_geom(f, q->rows, q->cols, &g);
    const int64_t rows = q->rows, cols = q->cols;
    float *x = malloc(sizeof(float) * (size_t)g.block + 16);
    uint8_t *c = malloc((size_t)g.block + 16);
    if (!x || !c) {
        free(x);
        free(c);
        return mxf_fail(err, "out of memory");
    }
    int rc = 0;
    if (f->family == MXF_QF_FINEQ) {
        int64_t kp = cdiv(cols, 3) * 3, per = cdiv(kp, g.block);
        for (int64_t r = 0; r < rows && !rc; r++)
            for (int64_t gb = 0; gb < per; gb++) {
                int64_t c0 = gb * g.block;
                int n = (int)(kp - c0 < g.block ? kp - c0 : g.block);
                uint16_t h =
                    (uint16_t)(q->meta[2 * (r * per + gb)] | q->meta[2 * (r * per + gb) + 1] << 8);
                float d = mxf_fp16_to_f32(h);
                if (!isfinite(d) || (h & 0x8000)) { /* the sign bit: negative steps and -0.0 */
                    rc = mxf_fail(err,
                                  "metadata: row %lld group %lld: step 0x%04x is not a "
                                  "finite FP16 with the sign bit clear",
                                  (long long)r, (long long)gb, h);
                    break;
                }
                mxf_fineq_dequant_group(h, q->codes + r * (kp / 3) + c0 / 3, n, x);
                for (int i = 0; i < n && c0 + i < cols; i++) W[r * cols + c0 + i] = x[i];
            }
    } else {
        for (int64_t b = 0; b < g.nblocks; b++) {
            unpack_bits(q->codes + (size_t)b * g.block_bytes, g.block, g.bits, c);
            if (f->family == MXF_QF_MX) {
                mxf_mx_dequant_block(&f->mx, q->meta[b], c, g.block, x);
            } else if (f->family == MXF_QF_MXINT) {
                mxf_mxint_dequant_block(&f->mxint, q->meta[b], c, g.block, x);
            } else {
                mxf_nxfp_meta m;
                uint16_t w = (uint16_t)(q->meta[2 * b] | q->meta[2 * b + 1] << 8);
                if (mxf_nxfp_meta_unpack(&f->nx, w, &m, err)) {
                    rc = mxf_fail_prefix(err, "metadata: block %lld: ", (long long)b);
                    break;
                }
                mxf_nxfp_dequant_block(&f->nx, &m, c, g.block, x);
            }
            scatter(&g, W, rows, cols, b, x);
        }
    }
    free(x);
    free(c);
    return rc;
}

/* ---- per-element error bounds (docs/formats.md, "Error bounds") ---- */

const char *mxf_qclass_name(mxf_qclass c)
{
    static const char *const n[MXF_QC_COUNT] = {"inlier", "outlier", "pruned", "saturated"};
    return (unsigned)c < MXF_QC_COUNT ? n[c] : "?";
}

/* Distance from w to the nearest of the levels q * D, q an integer in [lo, hi] (D > 0); *sat:
 * w lies beyond them. The candidates around w / D are compared exactly, so a quotient that is
 * off by one rounding cannot pick the wrong one. */
static double int_grid_dist(double w, double D, int lo, int hi, int *sat)
{
    *sat = w > hi * D || w < lo * D;
    double fl = floor(w / D), best = INFINITY;
    for (int j = -1; j <= 2; j++) {
        double q = fl + j;
        q = q < lo ? lo : q > hi ? hi : q;
        double e = fabs(w - q * D);
        if (e < best) best = e;
    }
    return best;
}

/* Distance from a >= 0 to the nearest magnitude of a minifloat grid (smallest normal exponent
 * emin, mbits mantissa bits, subnormals below 2^emin) that ends at maxval (a level); *sat:
 * a > maxval. Exact: a and the levels are dyadic. */
static double mf_dist(double a, int emin, int mbits, double maxval, int *sat)
{
    *sat = a > maxval;
    if (a >= maxval) return a - maxval;
    if (a == 0) return 0;
    int e = mxf_floor_log2(a);
    if (e < emin) e = emin;
    double ulp = ldexp(1.0, e - mbits), lo = floor(a / ulp) * ulp;
    double d1 = a - lo, d2 = lo + ulp - a; /* lo + ulp <= maxval: maxval is on the grid */
    return d1 < d2 ? d1 : d2;
}

static float block_amax(const float *x, int n)
{
    float amax = 0;
    for (int i = 0; i < n; i++)
        if (fabsf(x[i]) > amax) amax = fabsf(x[i]);
    return amax;
}

static void zero_bounds(int n, double *bd, uint8_t *cl)
{
    for (int i = 0; i < n; i++) bd[i] = 0, cl[i] = MXF_QC_INLIER;
}

/* OCP MX: X = floor(log2 amax) - emax clamped at -127; element = nearest level of the element
 * format times 2^X, saturating at its largest normal. */
static void mx_bounds(const mxf_mx_params *p, const float *x, int n, double *bd, uint8_t *cl)
{
    static const int EM[MXF_ELEM_COUNT][2] = {{4, 3}, {5, 2}, {2, 3}, {3, 2}, {2, 1}, {0, 0}};
    const float amax = block_amax(x, n);
    if (amax == 0) {
        zero_bounds(n, bd, cl);
        return;
    }
    int X = mxf_floor_log2(amax) - mxf_elem_emax(p->elem);
    if (X < -127) X = -127;
    const double s = ldexp(1.0, X);
    for (int i = 0; i < n; i++) {
        int sat;
        const double a = fabs((double)x[i]);
        if (p->elem == MXF_INT8) {
            bd[i] = int_grid_dist(a, s / 64, 0, 127, &sat);
        } else {
            const int eb = EM[p->elem][0], mb = EM[p->elem][1], emin = 2 - (1 << (eb - 1));
            bd[i] = mf_dist(a / s, emin, mb, mxf_elem_max(p->elem), &sat) * s;
        }
        cl[i] = sat ? MXF_QC_SATURATED : MXF_QC_INLIER;
    }
}

/* MX-INT-b: I = floor(log2 amax) clamped to [-127, 127], levels q * 2^(I - (b - 2)),
 * |q| <= 2^(b-1) - 1. */
static void mxint_bounds(const mxf_mxint_params *p, const float *x, int n, double *bd, uint8_t *cl)
{
    const float amax = block_amax(x, n);
    if (amax == 0) {
        zero_bounds(n, bd, cl);
        return;
    }
    int I = mxf_floor_log2(amax);
    I = I < -127 ? -127 : I > 127 ? 127 : I;
    const double step = ldexp(1.0, I - (p->bits - 2));
    const int qmax = (1 << (p->bits - 1)) - 1;
    for (int i = 0; i < n; i++) {
        int sat;
        bd[i] = int_grid_dist(fabs((double)x[i]), step, 0, qmax, &sat);
        cl[i] = sat ? MXF_QC_SATURATED : MXF_QC_INLIER;
    }
}

/* NxFP: the level set of one (fmt, E, f, crs) choice. */
typedef struct nx_grid {
    double lv[64]; /* magnitude levels L * S, ascending */
    int n;
    double rec;   /* recycled magnitude v * S */
    int rec_sign; /* +1 / -1: the sign of weights that may take it; 0: no recycling */
    double slack; /* |float(v S) - v S|: the decoder outputs the recycled value as a float */
} nx_grid;

static void nx_make_grid(const mxf_nxfp_params *p, int fmt, int Ebiased, int f, int crs, nx_grid *g)
{
    mxf_minifloat mf;
    const int eb = mxf_nxfp_ebits(p->bits, fmt);
    (void)mxf_minifloat_init(&mf, eb, p->bits - 1 - eb, NULL);
    const double S = (1.0 + ldexp((double)f, -p->nano_bits)) * ldexp(1.0, Ebiased - 127);
    double top;
    g->n = (int)mxf_nxfp_finite_top(&mf, S, &top) + 1; /* levels that are finite floats */
    for (int c = 0; c < g->n; c++) g->lv[c] = mxf_minifloat_value(&mf, (unsigned)c) * S;
    g->rec = p->vcr[fmt] * S;
    g->rec_sign = p->cr == MXF_NX_CR_OFF || g->rec > FLT_MAX ? 0
                  : p->cr == MXF_NX_CR_SIGN && crs           ? -1
                                                             : 1;
    g->slack = fabs((double)(float)g->rec - g->rec);
}

static double nx_dist(const nx_grid *g, double x, int *sat)
{
    const double a = fabs(x);
    double best = INFINITY, top = g->lv[g->n - 1];
    for (int c = 0; c < g->n; c++) {
        double e = fabs(a - g->lv[c]);
        if (e < best) best = e;
    }
    if ((g->rec_sign > 0 && x > 0) || (g->rec_sign < 0 && x < 0)) {
        double e = fabs(a - g->rec);
        if (e < best) best = e;
        if (g->rec > top) top = g->rec;
        best += g->slack;
    }
    *sat = a > top;
    return best;
}

/* Whether (fmt, E, f) is a scale the NxFP encoder may choose for a block of this amax (> 0):
 * Rule B: E in {E0, E0 + 1} with E0 = floor(log2(amax / Qmax_fmt)) and any f; Rule A: the
 * smallest grid scale that does not clip; exponents clamped to [-127, 127]. */
static int nx_legal(const mxf_nxfp_params *p, double amax, int fmt, int E, int f)
{
    if (fmt >= (p->am ? MXF_NXFP_NFMT : 1) || f >= (1 << p->nano_bits)) return 0;
    mxf_minifloat mf;
    const int eb = mxf_nxfp_ebits(p->bits, fmt), nf = 1 << p->nano_bits;
    (void)mxf_minifloat_init(&mf, eb, p->bits - 1 - eb, NULL);
    const int e0 = mxf_floor_log2(amax / mf.maxval);
    const double mant = amax / mf.maxval * ldexp(1.0, -e0);
    int fa = (int)ceil((mant - 1.0) * nf), ea = e0;
    if (fa >= nf) fa = 0, ea++;
#define CLAMP127(e) ((e) < -127 ? -127 : (e) > 127 ? 127 : (e))
    if (p->rule == MXF_NX_RULE_A) return E == CLAMP127(ea) && f == fa;
    return E == CLAMP127(e0) || E == CLAMP127(e0 + 1);
#undef CLAMP127
}

static void nxfp_bounds(const mxf_nxfp_params *p, const float *x, int n, const mxf_nxfp_meta *m,
                        double *bd, uint8_t *cl)
{
    const float amax = block_amax(x, n);
    if (amax == 0) {
        zero_bounds(n, bd, cl);
        return;
    }
    nx_grid g;
    int sat;
    if (m->E != MXF_E8M0_NAN && nx_legal(p, amax, m->fmt, (int)m->E - 127, m->f)) {
        nx_make_grid(p, m->fmt, m->E, m->f, m->crs, &g);
        for (int i = 0; i < n; i++) {
            bd[i] = nx_dist(&g, x[i], &sat);
            cl[i] = sat ? MXF_QC_SATURATED : MXF_QC_INLIER;
        }
        return;
    }
    /* Not a choice the encoder can make: the largest error any legal choice would give. */
    for (int i = 0; i < n; i++) bd[i] = 0, cl[i] = MXF_QC_INLIER;
    for (int fmt = 0; fmt < (p->am ? MXF_NXFP_NFMT : 1); fmt++)
        for (int E = -127; E <= 127; E++)
            for (int f = 0; f < (1 << p->nano_bits); f++) {
                if (!nx_legal(p, amax, fmt, E, f)) continue;
                for (int crs = 0; crs <= (p->cr == MXF_NX_CR_SIGN); crs++) {
                    nx_make_grid(p, fmt, E + 127, f, crs, &g);
                    for (int i = 0; i < n; i++) {
                        double d = nx_dist(&g, x[i], &sat);
                        if (d > bd[i]) bd[i] = d, cl[i] = sat ? MXF_QC_SATURATED : MXF_QC_INLIER;
                    }
                }
            }
}

/* FineQ: step D = fp16(amax / 4) (saturated / smallest subnormal as the encoder does); per
 * cluster the type the ratio test fixes, or the stored one when rescue allows it. */
static void fineq_bounds(const mxf_fineq_params *p, const float *x, int n, const uint8_t *bytes,
                         double *bd, uint8_t *cl)
{
    const float amax = block_amax(x, n);
    if (amax == 0) {
        zero_bounds(n, bd, cl);
        return;
    }
    uint16_t h = mxf_f32_to_fp16(amax / 4.0f);
    if ((h & 0x7FFF) >= 0x7C00) h = 0x7BFF;
    if ((h & 0x7FFF) == 0) h = 0x0001;
    const double D = mxf_fp16_to_f32(h);
    for (int c = 0; c < n / 3; c++) {
        const float *w = x + 3 * c;
        const double a0 = fabs(w[0]), a1 = fabs(w[1]), a2 = fabs(w[2]);
        const double mx = a0 > a1 ? (a0 > a2 ? a0 : a2) : (a1 > a2 ? a1 : a2);
        const int pm = a0 <= a1 ? (a0 <= a2 ? 0 : 2) : (a1 <= a2 ? 1 : 2);
        const double mn = pm == 0 ? a0 : pm == 1 ? a1 : a2;
        const int ratio_out = mx > p->ratio * mn;
        const int idx = bytes[c] >> 6;
        int type = ratio_out ? pm + 1 : 0; /* the type the ratio test gives */
        if (!ratio_out && p->rescue && idx == pm + 1) type = idx;
        for (int i = 0; i < 3; i++) {
            int sat, k = 3 * c + i;
            if (type && i == type - 1) {
                bd[k] = fabs((double)w[i]);
                cl[k] = MXF_QC_PRUNED;
                continue;
            }
            bd[k] =
                type ? int_grid_dist(w[i], D, -4, 3, &sat) : int_grid_dist(w[i], D, -2, 1, &sat);
            cl[k] = sat ? MXF_QC_SATURATED : type ? MXF_QC_OUTLIER : MXF_QC_INLIER;
        }
    }
}

/* MicroScopiQ, one MaB: the outlier set, exponents and inlier exponent from the source by the
 * format's rules; which slots are pruned from the stored permutation lists (legal when the slot
 * is a source inlier of a uB with source outliers). meta: the MaB's metadata; *used: its
 * length. */
static int msq_bounds(const mxf_msq_params *p, const float *w, int nv, const uint8_t *meta,
                      size_t avail, size_t *used, double *bd, uint8_t *cl, mxf_err *err)
{
    const int bb = p->bb, M = bb == 2 ? 2 : 4, ux = bb == 2 ? 1 : 4, lb = bb == 2 ? 7 : 5;
    const int l1lo = -(1 << (lb - 1)), l1hi = (1 << (lb - 1)) - 1;
    if (avail < 3) return mxf_fail(err, "MaB metadata truncated");
    const unsigned bitmap = (unsigned)meta[1] | (unsigned)meta[2] << 8;
    size_t o = 3;
    unsigned char stored_lower[MXF_MSQ_MAB] = {0};
    for (int u = 0; u < MXF_MSQ_NMUB; u++) {
        if (!(bitmap >> u & 1)) continue;
        if (o + 4 > avail) return mxf_fail(err, "MaB metadata truncated in uB %d", u);
        uint32_t perm =
            (uint32_t)meta[o + 1] | (uint32_t)meta[o + 2] << 8 | (uint32_t)meta[o + 3] << 16;
        for (int j = 0; j < MXF_MSQ_MAX_OUT; j++) {
            int ent = (int)(perm >> (6 * j) & 0x3f);
            if ((ent >> 3) != (ent & 7)) stored_lower[u * MXF_MSQ_MUB + (ent & 7)] = 1;
        }
        o += 4;
    }
    *used = o;
    double x[MXF_MSQ_MAB];
    for (int i = 0; i < MXF_MSQ_MAB; i++) x[i] = i < nv ? (double)w[i] : 0.0;
    unsigned char is_out[MXF_MSQ_MAB], in_scale[MXF_MSQ_MAB];
    mxf_msq_select_outliers(p, x, nv, is_out, in_scale, NULL);
    double maxin = 0, mab_omax = 0, omax[MXF_MSQ_NMUB] = {0};
    for (int i = 0; i < nv; i++) {
        const double a = fabs(x[i]);
        if (is_out[i] && a > omax[i / MXF_MSQ_MUB]) omax[i / MXF_MSQ_MUB] = a;
        if (is_out[i] && a > mab_omax) mab_omax = a;
        if (!is_out[i] && in_scale[i] && a > maxin) maxin = a;
    }
    /* outlier exponents E (one per uB with outliers) and the L1 window of the inlier exponent */
    int E[MXF_MSQ_NMUB] = {0}, any = 0, Emin = 0, Emax = 0;
    for (int u = 0; u < MXF_MSQ_NMUB; u++) {
        if (!(omax[u] > 0)) continue;
        E[u] = mxf_floor_log2(p->outlier_group == MXF_MSQ_MAB ? mab_omax : omax[u]);
        Emin = any && Emin < E[u] ? Emin : E[u];
        Emax = any && Emax > E[u] ? Emax : E[u];
        any = 1;
    }
    int I = maxin > 0 ? mxf_floor_log2(maxin) : -127;
    if (any) {
        const int Ilo = l1lo + ux - Emin, Ihi = l1hi + ux - Emax;
        I = I > Ihi ? Ihi : I;
        I = I < Ilo ? Ilo : I;
    }
    I = I < -127 ? -127 : I > 127 ? 127 : I;
    const double step = ldexp(1.0, I - (bb - 2));
    const int qmax = (1 << (bb - 1)) - 1;
    for (int i = 0; i < nv; i++) {
        const int u = i / MXF_MSQ_MUB;
        const double a = fabs(x[i]);
        int sat;
        if (is_out[i]) {
            int L1 = E[u] + I - ux;
            L1 = L1 < l1lo ? l1lo : L1 > l1hi ? l1hi : L1;
            const int O = L1 + ux - I; /* E, unless the window was empty */
            const double lo = ldexp(1.0, O), hi = ldexp(2.0 - ldexp(1.0, -M), O);
            if (a < lo || a > hi) {
                bd[i] = a < lo ? lo - a : a - hi;
                cl[i] = MXF_QC_SATURATED;
            } else {
                bd[i] = int_grid_dist(a, ldexp(1.0, O - M), 1 << M, (2 << M) - 1, &sat);
                cl[i] = MXF_QC_OUTLIER;
            }
        } else if (stored_lower[i] && omax[u] > 0) {
            bd[i] = a;
            cl[i] = MXF_QC_PRUNED;
        } else {
            bd[i] = int_grid_dist(a, step, 0, qmax, &sat);
            cl[i] = sat ? MXF_QC_SATURATED : MXF_QC_INLIER;
        }
    }
    return 0;
}

/* Walks the blocks of a tensor with their element positions and bounds. */
typedef struct bnd_it {
    const mxf_qtensor *q;
    const float *src;
    geom g;
    int64_t nblocks, kp, per, nm, next_b;
    int blen;
    size_t meta_o;
    float *x;
    double *bd;
    uint8_t *cl;
    int64_t *pos; /* row * cols + col, -1 for padding */
} bnd_it;

static void bnd_free(bnd_it *it)
{
    free(it->x), free(it->bd), free(it->cl), free(it->pos);
}

static int bnd_init(bnd_it *it, const mxf_qtensor *q, const float *src, mxf_err *err)
{
    memset(it, 0, sizeof *it);
    it->q = q, it->src = src;
    const mxf_qformat *f = &q->fmt;
    size_t cl, ml;
    if (mxf_qformat_sizes(f, q->rows, q->cols, &cl, &ml, err)) return -1;
    const int ok = f->family == MXF_QF_MSQ
                       ? cl == q->codes_len && q->meta_len <= ml &&
                             q->meta_len >= mxf_qformat_meta_min(f, q->rows, q->cols)
                       : cl == q->codes_len && ml == q->meta_len;
    if (!ok)
        return mxf_fail(err, "sections: %zu code + %zu metadata bytes do not fit the shape",
                        q->codes_len, q->meta_len);
    get_geom(f, q->rows, q->cols, &it->g);
    it->nblocks = it->g.nblocks;
    it->blen = it->g.block;
    if (f->family == MXF_QF_FINEQ) {
        it->kp = cdiv(q->cols, 3) * 3;
        it->per = cdiv(it->kp, f->fq.group);
    }
    if (f->family == MXF_QF_MSQ) it->nm = cdiv(q->rows, MXF_MSQ_MAB);
    const size_t n = (size_t)it->blen + 3;
    it->x = malloc(sizeof(float) * n);
    it->bd = malloc(sizeof(double) * n);
    it->cl = malloc(n);
    it->pos = malloc(sizeof(int64_t) * n);
    if (!it->x || !it->bd || !it->cl || !it->pos) {
        bnd_free(it);
        return mxf_fail(err, "out of memory");
    }
    return 0;
}

/* Skips MicroScopiQ MaBs up to b (their metadata is variable-length). */
static int msq_seek(bnd_it *it, int64_t b, mxf_err *err)
{
    if (b < it->next_b) it->next_b = 0, it->meta_o = 0;
    for (; it->next_b < b; it->next_b++) {
        if (it->meta_o + 3 > it->q->meta_len) return mxf_fail(err, "metadata ends early");
        const uint8_t *m = it->q->meta + it->meta_o;
        it->meta_o += 3 + 4 * (size_t)__builtin_popcount((unsigned)m[1] | (unsigned)m[2] << 8);
    }
    return 0;
}

/* Fills it->pos, x, bd, cl for block b; returns the number of elements (padding included). */
static int bnd_block(bnd_it *it, int64_t b, mxf_err *err)
{
    const mxf_qtensor *q = it->q;
    const mxf_qformat *f = &q->fmt;
    const int64_t rows = q->rows, cols = q->cols;
    int n = it->blen;
    if (f->family == MXF_QF_FINEQ) {
        const int64_t r = b / it->per, c0 = (b % it->per) * f->fq.group;
        n = (int)(it->kp - c0 < f->fq.group ? it->kp - c0 : f->fq.group);
        for (int i = 0; i < n; i++) it->pos[i] = c0 + i < cols ? r * cols + c0 + i : -1;
    } else if (f->family == MXF_QF_MSQ) {
        const int64_t k = b / it->nm, r0 = (b % it->nm) * MXF_MSQ_MAB;
        for (int i = 0; i < n; i++) it->pos[i] = r0 + i < rows ? (r0 + i) * cols + k : -1;
    } else if (it->g.along_n) {
        const int64_t k = b % cols, r0 = (b / cols) * it->g.block;
        for (int i = 0; i < n; i++) it->pos[i] = r0 + i < rows ? (r0 + i) * cols + k : -1;
    } else {
        const int64_t per = cdiv(cols, it->g.block), r = b / per, c0 = (b % per) * it->g.block;
        for (int i = 0; i < n; i++) it->pos[i] = c0 + i < cols ? r * cols + c0 + i : -1;
    }
    int nv = 0;
    for (int i = 0; i < n; i++) {
        it->x[i] = it->pos[i] >= 0 ? it->src[it->pos[i]] : 0.0f;
        nv += it->pos[i] >= 0;
        if (!isfinite(it->x[i]))
            return mxf_fail(err, "source weight [%lld][%lld] is %g: bounds need finite weights",
                            (long long)(it->pos[i] / cols), (long long)(it->pos[i] % cols),
                            (double)it->x[i]);
    }
    switch (f->family) {
    case MXF_QF_MX:
        mx_bounds(&f->mx, it->x, n, it->bd, it->cl);
        break;
    case MXF_QF_MXINT:
        mxint_bounds(&f->mxint, it->x, n, it->bd, it->cl);
        break;
    case MXF_QF_NXFP: {
        mxf_nxfp_meta m;
        uint16_t w = (uint16_t)(q->meta[2 * b] | q->meta[2 * b + 1] << 8);
        if (mxf_nxfp_meta_unpack(&f->nx, w, &m, err))
            return mxf_fail_prefix(err, "metadata: block %lld: ", (long long)b);
        nxfp_bounds(&f->nx, it->x, n, &m, it->bd, it->cl);
        break;
    }
    case MXF_QF_FINEQ: {
        const int64_t r = b / it->per, c0 = (b % it->per) * f->fq.group;
        fineq_bounds(&f->fq, it->x, n, q->codes + r * (it->kp / 3) + c0 / 3, it->bd, it->cl);
        break;
    }
    case MXF_QF_MSQ: {
        size_t used;
        if (msq_seek(it, b, err) ||
            msq_bounds(&f->msq, it->x, nv, q->meta + it->meta_o, q->meta_len - it->meta_o, &used,
                       it->bd, it->cl, err))
            return mxf_fail_prefix(err, "metadata: MaB %lld: ", (long long)b);
        it->meta_o += used;
        it->next_b = b + 1;
        break;
    }
    }
    return n;
}

int mxf_qbound_element(const mxf_qtensor *q, const float *src, int64_t row, int64_t col,
                       mxf_qbound *b, mxf_err *err)
{
    if (row < 0 || col < 0 || row >= q->rows || col >= q->cols)
        return mxf_fail(err, "element [%lld][%lld] outside the %lldx%lld tensor", (long long)row,
                        (long long)col, (long long)q->rows, (long long)q->cols);
    bnd_it it;
    if (bnd_init(&it, q, src, err)) return -1;
    const mxf_qformat *f = &q->fmt;
    int64_t blk;
    int i;
    if (f->family == MXF_QF_FINEQ)
        blk = row * it.per + col / f->fq.group, i = (int)(col % f->fq.group);
    else if (f->family == MXF_QF_MSQ)
        blk = col * it.nm + row / MXF_MSQ_MAB, i = (int)(row % MXF_MSQ_MAB);
    else if (it.g.along_n)
        blk = (row / it.g.block) * q->cols + col, i = (int)(row % it.g.block);
    else
        blk = row * cdiv(q->cols, it.g.block) + col / it.g.block, i = (int)(col % it.g.block);
    int rc = bnd_block(&it, blk, err) < 0 ? -1 : 0;
    if (!rc) {
        b->cls = (mxf_qclass)it.cl[i];
        b->bound = it.bd[i];
        b->block = blk;
    }
    bnd_free(&it);
    return rc;
}

int mxf_qverify_tensor(const mxf_qtensor *q, const float *src, const float *dec, mxf_qverify *v,
                       mxf_err *err)
{
    memset(v, 0, sizeof *v);
    v->row = v->col = v->block = -1;
    bnd_it it;
    if (bnd_init(&it, q, src, err)) return -1;
    for (int64_t b = 0; b < it.nblocks; b++) {
        const int n = bnd_block(&it, b, err);
        if (n < 0) {
            bnd_free(&it);
            return -1;
        }
        for (int i = 0; i < n; i++) {
            const int64_t p = it.pos[i];
            if (p < 0) continue;
            v->checked++;
            v->count[it.cl[i]]++;
            const double e = fabs((double)dec[p] - (double)src[p]);
            if (e <= it.bd[i]) continue;
            if (v->violations++ == 0) {
                v->row = p / q->cols, v->col = p % q->cols, v->block = b;
                v->cls = (mxf_qclass)it.cl[i];
                v->source = src[p], v->decoded = dec[p], v->bound = it.bd[i];
            }
        }
    }
    bnd_free(&it);
    return 0;
}
