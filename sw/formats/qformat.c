/* Format specs and tensor-level quantization over the block codecs. See qformat.h. */
#include "qformat.h"

#include <errno.h>
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
    int block;   /* MXINT: block (128 means axis n) */
} name_entry;

static const name_entry NAMES[] = {
    {"mxfp8_e4m3", MXF_QF_MX, MXF_E4M3, 32}, {"mxfp8_e5m2", MXF_QF_MX, MXF_E5M2, 32},
    {"mxfp6_e2m3", MXF_QF_MX, MXF_E2M3, 32}, {"mxfp6_e3m2", MXF_QF_MX, MXF_E3M2, 32},
    {"mxfp4", MXF_QF_MX, MXF_E2M1, 32},      {"mxint8", MXF_QF_MX, MXF_INT8, 32},
    {"mxint2", MXF_QF_MXINT, 2, 32},         {"mxint4", MXF_QF_MXINT, 4, 32},
    {"mxint2/128", MXF_QF_MXINT, 2, 128},    {"mxint4/128", MXF_QF_MXINT, 4, 128},
    {"mxint8/128", MXF_QF_MXINT, 8, 128},    {"nxfp4", MXF_QF_NXFP, 4, 32},
    {"nxfp5", MXF_QF_NXFP, 5, 32},           {"nxfp6", MXF_QF_NXFP, 6, 32},
    {"fineq", MXF_QF_FINEQ, 0, 0},           {"microscopiq2", MXF_QF_MSQ, 2, 0},
    {"microscopiq4", MXF_QF_MSQ, 4, 0},
};
#define NNAMES ((int)(sizeof NAMES / sizeof NAMES[0]))

const char *mxf_qformat_known(void)
{
    return "mxfp8_e4m3, mxfp8_e5m2, mxfp6_e2m3, mxfp6_e3m2, mxfp4, mxint8, mxint2, mxint4, "
           "mxint2/128, mxint4/128, mxint8/128, nxfp4, nxfp5, nxfp6, fineq, microscopiq2, "
           "microscopiq4";
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
    /* "mxint<b>/<block>": MX-INT-b with blocks of <block> along N (MicroScopiQ style). */
    name_entry gen;
    int gb, gblk;
    char tail;
    if (!ne && sscanf(buf, "mxint%d/%d%c", &gb, &gblk, &tail) == 2 &&
        (gb == 2 || gb == 4 || gb == 8) && gblk >= 1 && gblk <= 65536) {
        char canon[32];
        snprintf(canon, sizeof canon, "mxint%d/%d", gb, gblk);
        if (!strcmp(canon, buf)) {
            gen = (name_entry){"", MXF_QF_MXINT, gb, gblk};
            ne = &gen;
        }
    }
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
        f->axis = strchr(buf, '/') ? MXF_AXIS_N : MXF_AXIS_K;
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
        for (char *kv = strtok_r(params, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(kv, '=');
            if (!eq || eq == kv || !eq[1])
                return mxf_fail(err, "%s: parameter '%s' is not key=value", buf, kv);
            *eq = 0;
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
    case MXF_QF_MXINT:
        if (f->axis == MXF_AXIS_N)
            snprintf(buf, cap, "mxint%d/%d", f->mxint.bits, f->mxint.block);
        else
            snprintf(buf, cap, "mxint%d", f->mxint.bits);
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
        snprintf(buf, cap, "mxint%d/%d:block=%d,axis=%s,round=%s", f->mxint.bits, f->mxint.block,
                 f->mxint.block, f->axis == MXF_AXIS_N ? "n" : "k", rname(f->mxint.round));
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
        for (int i = 0; i < n; i++)
            dst[i >> 1] |= (uint8_t)((c[i] & 15) << ((i & 1) * 4));
        return;
    }
    if (bits == 2) {
        for (int i = 0; i < n; i++)
            dst[i >> 2] |= (uint8_t)((c[i] & 3) << ((i & 3) * 2));
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
        for (int i = 0; i < g->block && r0 + i < rows; i++)
            W[(r0 + i) * cols + k] = x[i];
    } else {
        int64_t per = cdiv(cols, g->block), r = b / per, c0 = (b % per) * g->block;
        for (int i = 0; i < g->block && c0 + i < cols; i++)
            W[r * cols + c0 + i] = x[i];
    }
}

/* ---- MicroScopiQ: sections in k-major, MaB-minor order (docs/microscopiq-format.md) ---- */

static int msq_gptq(const mxf_qformat *f, const float *W, int N, int K, const float *X,
                    int64_t tokens, int64_t x_cols, mxf_msq_tensor *t, mxf_err *err)
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
        rc = mxf_msq_quantize_gptq(&f->msq, W, N, K, U, dead, MXF_GPTQ_BLOCK_DEFAULT, t, NULL, NULL,
                                   err);
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
                        mxf_err *err)
{
    if (rows > INT_MAX || cols > INT_MAX)
        return mxf_fail(err, "shape %lldx%lld: too large for MicroScopiQ", (long long)rows,
                        (long long)cols);
    mxf_msq_tensor t;
    int rc = mxf_qformat_needs_calib(f)
                 ? msq_gptq(f, W, (int)rows, (int)cols, X, tokens, x_cols, &t, err)
                         : mxf_msq_quantize_rtn(&f->msq, W, (int)rows, (int)cols, &t, NULL, err);
    if (rc) return -1;
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
    memset(out, 0, sizeof *out);
    size_t cl, ml;
    if (mxf_qformat_sizes(f, rows, cols, &cl, &ml, err)) return -1;
    if (check_finite(W, rows, cols, err)) return -1;
    if (f->family == MXF_QF_MSQ) return msq_quantize(f, W, rows, cols, X, tokens, x_cols, out, err);
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
                for (int i = 0; i < n; i++)
                    x[i] = c0 + i < cols ? W[r * cols + c0 + i] : 0.0f;
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
                if (!isfinite(d) || d < 0) {
                    rc = mxf_fail(err,
                                  "metadata: row %lld group %lld: step 0x%04x is not a "
                                  "finite non-negative FP16",
                                  (long long)r, (long long)gb, h);
                    break;
                }
                mxf_fineq_dequant_group(h, q->codes + r * (kp / 3) + c0 / 3, n, x);
                for (int i = 0; i < n && c0 + i < cols; i++)
                    W[r * cols + c0 + i] = x[i];
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
