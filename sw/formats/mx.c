/* OCP MX v1.0 element codecs, E8M0 scale and block conversion. See mx.h and docs/formats.md. */
#include "mx.h"

#include <math.h>
#include <string.h>

int mxf_floor_log2(double a)
{
    uint64_t b;
    memcpy(&b, &a, sizeof b);
    int ex = (int)((b >> 52) & 0x7FF);
    if (ex == 0) {
        int e2;
        (void)frexp(a, &e2);
        return e2 - 1;
    }
    return ex - 1023;
}

/* 2^k for -1022 <= k <= 1023, exactly. */
static inline double pow2i(int k)
{
    uint64_t b = (uint64_t)(k + 1023) << 52;
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

#define round_int mxf_round_nonneg

int mxf_minifloat_init(mxf_minifloat *f, int ebits, int mbits, mxf_err *err)
{
    if (ebits < 1 || ebits > 8 || mbits < 0 || mbits > 10 || ebits + mbits > 15)
        return mxf_fail(err, "minifloat E%dM%d: unsupported split", ebits, mbits);
    int bias = ebits == 1 ? 0 : (1 << (ebits - 1)) - 1;
    f->ebits = ebits;
    f->mbits = mbits;
    f->emin = 1 - bias;
    f->maxcode = (1u << (ebits + mbits)) - 1;
    f->maxval = mxf_minifloat_value(f, f->maxcode);
    return 0;
}

double mxf_minifloat_value(const mxf_minifloat *f, unsigned magcode)
{
    unsigned mask = (1u << f->mbits) - 1;
    unsigned ef = (magcode >> f->mbits) & ((1u << f->ebits) - 1);
    unsigned m = magcode & mask;
    if (ef == 0) return (double)m * pow2i(f->emin - f->mbits);
    return (double)((1u << f->mbits) + m) * pow2i((int)ef - 1 + f->emin - f->mbits);
}

unsigned mxf_minifloat_round(const mxf_minifloat *f, double a, mxf_round r)
{
    if (!(a > 0)) return 0;
    return mxf_minifloat_round_inline(f, a, r);
}

/* ---- the six MX element formats ---- */

typedef struct elem_desc {
    const char *name;
    int bits, emax;
    mxf_minifloat mf; /* ebits, mbits, emin, maxcode, maxval (unused for INT8) */
} elem_desc;

static const elem_desc ELEMS[MXF_ELEM_COUNT] = {
    [MXF_E4M3] = {"e4m3", 8, 8, {4, 3, -6, 0x7E, 448.0}},
    [MXF_E5M2] = {"e5m2", 8, 15, {5, 2, -14, 0x7B, 57344.0}},
    [MXF_E2M3] = {"e2m3", 6, 2, {2, 3, 0, 0x1F, 7.5}},
    [MXF_E3M2] = {"e3m2", 6, 4, {3, 2, -2, 0x1F, 28.0}},
    [MXF_E2M1] = {"e2m1", 4, 2, {2, 1, 0, 0x7, 6.0}},
    [MXF_INT8] = {"int8", 8, 0, {0, 0, 0, 127, 127.0 / 64.0}},
};

static int elem_ok(mxf_elem e)
{
    return (int)e >= 0 && e < MXF_ELEM_COUNT;
}

const char *mxf_elem_name(mxf_elem e)
{
    return elem_ok(e) ? ELEMS[e].name : "?";
}
int mxf_elem_bits(mxf_elem e)
{
    return elem_ok(e) ? ELEMS[e].bits : 0;
}
int mxf_elem_emax(mxf_elem e)
{
    return elem_ok(e) ? ELEMS[e].emax : 0;
}
double mxf_elem_max(mxf_elem e)
{
    return elem_ok(e) ? ELEMS[e].mf.maxval : 0;
}

int mxf_elem_parse(const char *s, mxf_elem *e)
{
    for (int i = 0; i < MXF_ELEM_COUNT; i++)
        if (strcmp(s, ELEMS[i].name) == 0) {
            *e = (mxf_elem)i;
            return 0;
        }
    return -1;
}

double mxf_elem_decode(mxf_elem e, unsigned code)
{
    if (!elem_ok(e)) return NAN;
    const elem_desc *d = &ELEMS[e];
    code &= (1u << d->bits) - 1;
    if (e == MXF_INT8) return (double)(int8_t)(uint8_t)code / 64.0;
    unsigned sign = code >> (d->bits - 1);
    unsigned mag = code & ((1u << (d->bits - 1)) - 1);
    double v;
    if (e == MXF_E4M3 && mag == 0x7F)
        v = NAN;
    else if (e == MXF_E5M2 && mag > 0x7C)
        v = NAN;
    else if (e == MXF_E5M2 && mag == 0x7C)
        v = INFINITY;
    else
        v = mxf_minifloat_value(&d->mf, mag);
    return sign ? -v : v;
}

int mxf_elem_encode(mxf_elem e, double x, mxf_round r, int flags)
{
    if (!elem_ok(e)) return -1;
    const elem_desc *d = &ELEMS[e];
    unsigned sbit = 1u << (d->bits - 1);
    if (e == MXF_INT8) {
        if (isnan(x)) return -1;
        double a = fabs(x) * 64.0;
        int q = a >= 127.0 ? 127 : (int)round_int(a, r);
        if (q > 127) q = 127;
        return (uint8_t)(int8_t)(x < 0 ? -q : q);
    }
    unsigned sign = signbit(x) ? sbit : 0;
    if (isnan(x)) {
        if (e == MXF_E4M3 || e == MXF_E5M2) return (int)(sign | 0x7F);
        return -1;
    }
    double a = fabs(x);
    if (!(flags & MXF_SAT)) {
        /* Overflow = the value rounds beyond max normal. */
        int over = isinf(a);
        if (!over && a > d->mf.maxval) {
            /* Next level above max would be max + ulp_top; the rounding boundary is halfway. */
            int em = mxf_floor_log2(d->mf.maxval);
            double ulp = ldexp(1.0, em - d->mf.mbits);
            double mid = d->mf.maxval + ulp / 2;
            over = a > mid || (a == mid && (r == MXF_AWAY || (d->mf.maxcode & 1)));
        }
        if (over) {
            if (e == MXF_E5M2) return (int)(sign | 0x7C);
            if (e == MXF_E4M3) return (int)(sign | 0x7F);
            return -1;
        }
    }
    return (int)(sign | mxf_minifloat_round(&d->mf, a, r));
}

double mxf_e8m0_decode(uint8_t c)
{
    return c == MXF_E8M0_NAN ? NAN : ldexp(1.0, (int)c - 127);
}

/* ---- blocks ---- */

void mxf_mx_default_params(mxf_mx_params *p, mxf_elem e)
{
    p->elem = e;
    p->block = 32;
    p->round = MXF_RNE;
}

int mxf_mx_check_params(const mxf_mx_params *p, mxf_err *err)
{
    if (!elem_ok(p->elem)) return mxf_fail(err, "mx: element=%d: unknown", (int)p->elem);
    if (p->block < 1 || p->block > 65536)
        return mxf_fail(err, "mx: block=%d: out of range 1..65536", p->block);
    if (p->round != MXF_RNE && p->round != MXF_AWAY)
        return mxf_fail(err, "mx: round=%d: unknown", (int)p->round);
    return 0;
}

uint8_t mxf_mx_quantize_block(const mxf_mx_params *p, const float *x, int n, uint8_t *codes)
{
    const elem_desc *d = &ELEMS[p->elem];
    float amax = 0;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        bad |= !isfinite(a);
        if (a > amax) amax = a;
    }
    if (bad || amax == 0) {
        memset(codes, 0, (size_t)n);
        return bad ? MXF_E8M0_NAN : 0;
    }
    int se = mxf_floor_log2(amax) - d->emax;
    if (se > 127) {
        memset(codes, 0, (size_t)n);
        return MXF_E8M0_NAN;
    }
    if (se < -127) se = -127;
    double inv = ldexp(1.0, -se); /* 2^-se <= 2^127: exact */
    if (p->elem == MXF_INT8) {
        for (int i = 0; i < n; i++) {
            double a = fabs((double)x[i]) * inv * 64.0;
            int q = a >= 127.0 ? 127 : (int)round_int(a, p->round);
            if (q > 127) q = 127;
            codes[i] = (uint8_t)(int8_t)(x[i] < 0 ? -q : q);
        }
    } else {
        unsigned sbit = 1u << (d->bits - 1);
        for (int i = 0; i < n; i++) {
            double a = fabs((double)x[i]) * inv;
            codes[i] =
                (uint8_t)((signbit(x[i]) ? sbit : 0) | mxf_minifloat_round(&d->mf, a, p->round));
        }
    }
    return (uint8_t)(se + 127);
}

void mxf_mx_dequant_block(const mxf_mx_params *p, uint8_t scale, const uint8_t *codes, int n,
                          float *out)
{
    double s = mxf_e8m0_decode(scale);
    for (int i = 0; i < n; i++) out[i] = (float)(mxf_elem_decode(p->elem, codes[i]) * s);
}
