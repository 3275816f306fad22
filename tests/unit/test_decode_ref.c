/* Decode against an independent reference. A small, deliberately naive decoder written here from
 * docs/image-format.md and docs/formats.md alone (element i of a block read bit by bit from the
 * little-endian bitstream, E8M0 scale 2^(e-127), element values from hand-written tables or from
 * the sign | exponent | mantissa formula, FP16 decoded by hand) must give bit-for-bit the floats
 * of mxf_dequantize for every element of:
 *   - tensors quantized by mxf_quantize from seeded random weights (partial blocks in K and N);
 *   - tensors whose code and metadata sections are seeded random bytes (every code, including
 *     those the quantizer never emits: INT8 0x80, MX-INT negative zero, E4M3/E5M2 NaN and Inf,
 *     E8M0 0xFF), restricted to metadata the formats define.
 * Formats: OCP MX (mxfp4, mxfp6_e2m3/e3m2, mxfp8_e4m3/e5m2, mxint8), MX-INT (mxint2, mxint4, axis
 * k and n), NxFP (nxfp4/5/6) and FineQ. The naive element tables are also compared exhaustively
 * with the library's element decoders (all 16 FP4, 64 FP6, 256 FP8/INT8 codes, 256 E8M0, 65536
 * FP16, every MX-INT, NxFP minifloat and FineQ cluster code).
 * Nothing here calls a library decoder to build the expectation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fineq.h"
#include "half.h"
#include "mx.h"
#include "mxint.h"
#include "nxfp.h"
#include "qformat.h"
#include "rng.h"

/* ---- naive element references (docs/formats.md, docs/image-format.md) ---- */

/* Bits [bit0, bit0 + n) of a little-endian bitstream: stream bit j is bit j % 8 of byte j / 8,
 * and the first bit read is the value's least significant bit. */
static unsigned ref_bits(const uint8_t *p, int64_t bit0, int n)
{
    unsigned v = 0;
    for (int j = 0; j < n; j++) {
        int64_t b = bit0 + j;
        unsigned bit = (p[b / 8] >> (b % 8)) & 1u;
        v |= bit << j;
    }
    return v;
}

/* E8M0: 2^(c - 127), 0xFF is NaN. */
static double ref_e8m0(unsigned c)
{
    return c == 0xFF ? NAN : ldexp(1.0, (int)c - 127);
}

/* FP4 E2M1, written out by hand (docs/formats.md: OCP MX table; -0 keeps its sign). */
static const double REF_FP4[16] = {0.0,  0.5,  1.0,  1.5,  2.0,  3.0,  4.0,  6.0,
                                   -0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0};

/* Sign | E exponent bits | M mantissa bits, bias 2^(E-1) - 1, subnormals at exponent field 0.
 * Specials: E4M3 S.1111.111 is NaN (no Inf); E5M2 S.11111.00 is Inf, S.11111.{01,10,11} NaN;
 * FP6/FP4 have none. */
static double ref_fp(int E, int M, unsigned code)
{
    unsigned s = (code >> (E + M)) & 1u, ef = (code >> M) & ((1u << E) - 1u),
             mf = code & ((1u << M) - 1u);
    int bias = (1 << (E - 1)) - 1;
    double v;
    if (E == 4 && M == 3 && ef == 15 && mf == 7)
        v = NAN;
    else if (E == 5 && M == 2 && ef == 31)
        v = mf == 0 ? INFINITY : NAN;
    else if (ef == 0)
        v = ldexp((double)mf, 1 - bias - M);
    else
        v = ldexp((double)((1u << M) + mf), (int)ef - bias - M);
    return s ? -v : v;
}

/* OCP MX INT8: two's complement code / 64 (code 0x80 is -2). */
static double ref_int8(unsigned code)
{
    int v = code & 0x80u ? (int)code - 256 : (int)code;
    return v / 64.0;
}

/* MX-INT-b levels, sign-magnitude (top bit sign), negative zero decodes as 0. By hand for b = 2
 * and 4. */
static const int REF_INT2[4] = {0, 1, 0, -1};
static const int REF_INT4[16] = {0, 1, 2, 3, 4, 5, 6, 7, 0, -1, -2, -3, -4, -5, -6, -7};
static int ref_mxint_level(int b, unsigned code)
{
    if (b == 2) return REF_INT2[code & 3u];
    if (b == 4) return REF_INT4[code & 15u];
    int mag = (int)(code & 0x7Fu);
    return code & 0x80u ? -mag : mag;
}

/* NxFP element: sign-magnitude minifloat without special codes, bias 2^(e-1) - 1 (0 for one
 * exponent bit), subnormals at exponent field 0. Value of a magnitude code. */
static double ref_minifloat(int e, int m, unsigned mag)
{
    int bias = e == 1 ? 0 : (1 << (e - 1)) - 1;
    unsigned ef = mag >> m, mf = mag & ((1u << m) - 1u);
    if (ef == 0) return ldexp((double)mf, 1 - bias - m);
    return ldexp((double)((1u << m) + mf), (int)ef - bias - m);
}

/* Exponent bits of NxFP fmt 0/1/2: b=4: E2M1, E1M2, E3M0; b=5: E2M2, E1M3, E3M1; b=6: E2M3, E3M2,
 * E4M1. */
static int ref_nx_ebits(int b, int fmt)
{
    static const int EB[3][3] = {{2, 1, 3}, {2, 1, 3}, {2, 3, 4}};
    return EB[b - 4][fmt];
}

/* Recycled magnitude (element units) of the default parameters: b=4 from the notes (5, 4, 3);
 * b=5, 6: the midpoint of the format's top gap. */
static double ref_nx_vcr(int b, int fmt)
{
    static const double V4[3] = {5, 4, 3};
    if (b == 4) return V4[fmt];
    int e = ref_nx_ebits(b, fmt), m = b - 1 - e;
    unsigned top = (1u << (b - 1)) - 1u;
    return (ref_minifloat(e, m, top) + ref_minifloat(e, m, top - 1)) / 2;
}

/* IEEE binary16: 1 | 5 (bias 15) | 10, subnormals, Inf, NaN. */
static double ref_fp16(unsigned h)
{
    unsigned s = h >> 15, ef = (h >> 10) & 31u, mf = h & 1023u;
    double v;
    if (ef == 31)
        v = mf ? NAN : INFINITY;
    else if (ef == 0)
        v = ldexp((double)mf, -24);
    else
        v = ldexp((double)(1024u + mf), (int)ef - 25);
    return s ? -v : v;
}

/* FineQ cluster byte: idx = [7:6]; 00: three 2-bit two's complement codes q0 [5:4], q1 [3:2],
 * q2 [1:0]; idx = p + 1: weight p is 0 and the other two, in K order, are 3-bit two's complement
 * codes in slot A [5:3] and slot B [2:0]. */
static int ref_twos(unsigned v, int bits)
{
    return v & (1u << (bits - 1)) ? (int)v - (1 << bits) : (int)v;
}
static void ref_fineq_levels(unsigned byte, int q[3])
{
    unsigned idx = byte >> 6;
    if (idx == 0) {
        q[0] = ref_twos((byte >> 4) & 3u, 2);
        q[1] = ref_twos((byte >> 2) & 3u, 2);
        q[2] = ref_twos(byte & 3u, 2);
        return;
    }
    int p = (int)idx - 1, slot = 0;
    const int val[2] = {ref_twos((byte >> 3) & 7u, 3), ref_twos(byte & 7u, 3)};
    for (int i = 0; i < 3; i++) q[i] = i == p ? 0 : val[slot++];
}

/* ---- the naive tensor decoder ---- */

typedef enum ref_kind { RK_MXFP, RK_INT8, RK_MXINT, RK_NXFP, RK_FINEQ } ref_kind;

/* What the decoder needs to know, written by hand from the spec string and the docs. */
typedef struct ref_desc {
    const char *spec;
    ref_kind kind;
    int E, M;   /* RK_MXFP element layout */
    int bits;   /* element bits (FineQ: 8 per cluster) */
    int block;  /* elements per scale; FineQ: weights per step */
    int axis_n; /* MX-INT blocks of `block` output channels at one k */
    int nano;   /* NxFP NanoMantissa bits */
} ref_desc;

static const ref_desc DESCS[] = {
    {"mxfp4", RK_MXFP, 2, 1, 4, 32, 0, 0},
    {"mxfp4:round=away", RK_MXFP, 2, 1, 4, 32, 0, 0},
    {"mxfp6_e2m3", RK_MXFP, 2, 3, 6, 32, 0, 0},
    {"mxfp6_e3m2", RK_MXFP, 3, 2, 6, 32, 0, 0},
    {"mxfp6_e2m3:block=10", RK_MXFP, 2, 3, 6, 10, 0, 0}, /* 60 bits: 8 bytes per block */
    {"mxfp8_e4m3", RK_MXFP, 4, 3, 8, 32, 0, 0},
    {"mxfp8_e5m2", RK_MXFP, 5, 2, 8, 32, 0, 0},
    {"mxint8", RK_INT8, 0, 0, 8, 32, 0, 0},
    {"mxint2", RK_MXINT, 0, 0, 2, 32, 0, 0},
    {"mxint4", RK_MXINT, 0, 0, 4, 32, 0, 0},
    {"mxint4:block=13,round=rne", RK_MXINT, 0, 0, 4, 13, 0, 0}, /* 52 bits: 7 bytes */
    {"mxint2/128", RK_MXINT, 0, 0, 2, 128, 1, 0},
    {"mxint4/128", RK_MXINT, 0, 0, 4, 128, 1, 0},
    {"mxint2/12", RK_MXINT, 0, 0, 2, 12, 1, 0},
    {"mxint8/128", RK_MXINT, 0, 0, 8, 128, 1, 0},
    {"nxfp4", RK_NXFP, 0, 0, 4, 32, 0, 2},
    {"nxfp5", RK_NXFP, 0, 0, 5, 32, 0, 2},
    {"nxfp6", RK_NXFP, 0, 0, 6, 32, 0, 2},
    {"nxfp5:block=20,nano=1", RK_NXFP, 0, 0, 5, 20, 0, 1}, /* 100 bits: 13 bytes */
    {"fineq", RK_FINEQ, 0, 0, 8, 96, 0, 0},
    {"fineq:group=126,rescue=0", RK_FINEQ, 0, 0, 8, 126, 0, 0},
};
#define NDESCS (sizeof DESCS / sizeof DESCS[0])

static int64_t cdiv64(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

/* Section sizes from docs/image-format.md. */
static void ref_sizes(const ref_desc *d, int64_t N, int64_t K, size_t *cl, size_t *ml)
{
    if (d->kind == RK_FINEQ) {
        int64_t kp = cdiv64(K, 3) * 3;
        *cl = (size_t)(N * (kp / 3));
        *ml = (size_t)(2 * N * cdiv64(kp, d->block));
        return;
    }
    int64_t nblocks = d->axis_n ? cdiv64(N, d->block) * K : N * cdiv64(K, d->block);
    *cl = (size_t)(nblocks * cdiv64((int64_t)d->block * d->bits, 8));
    *ml = (size_t)(nblocks * (d->kind == RK_NXFP ? 2 : 1));
}

/* The value of W[n][k] read from the two sections. */
static double ref_value(const ref_desc *d, const mxf_qtensor *q, int64_t n, int64_t k)
{
    const int64_t K = q->cols;
    if (d->kind == RK_FINEQ) {
        int64_t kp = cdiv64(K, 3) * 3, per = cdiv64(kp, d->block), g = k / d->block;
        unsigned byte = q->codes[n * (kp / 3) + k / 3];
        unsigned h = q->meta[2 * (n * per + g)] | (unsigned)q->meta[2 * (n * per + g) + 1] << 8;
        int lv[3];
        ref_fineq_levels(byte, lv);
        return lv[k % 3] * ref_fp16(h);
    }
    int64_t b, i;
    if (d->axis_n) {
        b = (n / d->block) * K + k;
        i = n % d->block;
    } else {
        b = n * cdiv64(K, d->block) + k / d->block;
        i = k % d->block;
    }
    const uint8_t *blk = q->codes + b * cdiv64((int64_t)d->block * d->bits, 8);
    unsigned code = ref_bits(blk, i * d->bits, d->bits);
    if (d->kind == RK_NXFP) {
        unsigned w = q->meta[2 * b] | (unsigned)q->meta[2 * b + 1] << 8;
        unsigned E = w & 0xFFu, f = (w >> 8) & 3u, fmt = (w >> 10) & 3u, crs = (w >> 12) & 1u;
        if (E == 0xFF) return NAN;
        double S = ref_e8m0(E) * (1.0 + f / (double)(1 << d->nano));
        unsigned sign = code >> (d->bits - 1), mag = code & ((1u << (d->bits - 1)) - 1u);
        if (sign && mag == 0) return (crs ? -1.0 : 1.0) * ref_nx_vcr(d->bits, (int)fmt) * S;
        int e = ref_nx_ebits(d->bits, (int)fmt);
        double v = ref_minifloat(e, d->bits - 1 - e, mag) * S;
        return sign ? -v : v;
    }
    unsigned s = q->meta[b];
    if (d->kind == RK_MXINT) {
        if (s == 0xFF) return NAN;
        return ref_mxint_level(d->bits, code) * ldexp(1.0, (int)s - 127 - (d->bits - 2));
    }
    double elem = d->kind == RK_INT8 ? ref_int8(code)
                  : d->bits == 4     ? REF_FP4[code]
                                     : ref_fp(d->E, d->M, code);
    return elem * ref_e8m0(s);
}

static uint32_t fbits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* Decodes q with the library and with the naive decoder; returns the number of elements whose
 * float bits differ (NaN matches any NaN), printing the first few. */
static long compare_decoders(const ref_desc *d, const mxf_qtensor *q, const char *what)
{
    size_t cl, ml;
    ref_sizes(d, q->rows, q->cols, &cl, &ml);
    if (cl != q->codes_len || ml != q->meta_len) {
        print_error("%s %s %lldx%lld: sections %zu + %zu bytes, docs say %zu + %zu\n", d->spec,
                    what, (long long)q->rows, (long long)q->cols, q->codes_len, q->meta_len, cl,
                    ml);
        return -1;
    }
    size_t n = (size_t)(q->rows * q->cols);
    float *lib = malloc(sizeof(float) * n);
    assert_non_null(lib);
    mxf_err err;
    if (mxf_dequantize(q, lib, &err)) {
        print_error("%s %s: mxf_dequantize: %s\n", d->spec, what, err.msg);
        free(lib);
        return -1;
    }
    long bad = 0;
    for (int64_t r = 0; r < q->rows; r++)
        for (int64_t c = 0; c < q->cols; c++) {
            float want = (float)ref_value(d, q, r, c), got = lib[r * q->cols + c];
            int same = isnan(want) ? isnan(got) : fbits(want) == fbits(got);
            if (!same && bad++ < 5)
                print_error("%s %s %lldx%lld: W[%lld][%lld] library %a (0x%08x), naive %a "
                            "(0x%08x)\n",
                            d->spec, what, (long long)q->rows, (long long)q->cols, (long long)r,
                            (long long)c, (double)got, fbits(got), (double)want, fbits(want));
        }
    free(lib);
    return bad;
}

/* ---- element tables against the library's element decoders ---- */

static int same_double(double a, double b)
{
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return a == b && !!signbit(a) == !!signbit(b);
}

static void fp4_table_vs_library(void **state)
{
    (void)state;
    for (unsigned c = 0; c < 16; c++) {
        assert_true(same_double(mxf_elem_decode(MXF_E2M1, c), REF_FP4[c]));
        assert_true(same_double(ref_fp(2, 1, c), REF_FP4[c])); /* the formula agrees */
    }
}

static void fp_elements_exhaustive(void **state)
{
    (void)state;
    const struct {
        mxf_elem e;
        int E, M;
    } F[] = {{MXF_E4M3, 4, 3}, {MXF_E5M2, 5, 2}, {MXF_E2M3, 2, 3}, {MXF_E3M2, 3, 2}};
    for (size_t k = 0; k < sizeof F / sizeof F[0]; k++) {
        int nan = 0, inf = 0;
        for (unsigned c = 0; c < (1u << (1 + F[k].E + F[k].M)); c++) {
            double want = ref_fp(F[k].E, F[k].M, c);
            assert_true(same_double(mxf_elem_decode(F[k].e, c), want));
            nan += isnan(want) != 0;
            inf += isinf(want) != 0;
        }
        /* E4M3: S.1111.111; E5M2: S.11111.{01,10,11} and +-Inf */
        assert_int_equal(nan, F[k].e == MXF_E4M3 ? 2 : F[k].e == MXF_E5M2 ? 6 : 0);
        assert_int_equal(inf, F[k].e == MXF_E5M2 ? 2 : 0);
    }
    assert_true(ref_fp(4, 3, 0x7E) == 448.0 && ref_fp(5, 2, 0x7B) == 57344.0);
    assert_true(ref_fp(3, 2, 0x1F) == 28.0 && ref_fp(2, 3, 0x1F) == 7.5);
    for (unsigned c = 0; c < 256; c++)
        assert_true(same_double(mxf_elem_decode(MXF_INT8, c), ref_int8(c)));
    assert_true(ref_int8(0x80) == -2.0 && ref_int8(0x7F) == 127.0 / 64);
}

static void e8m0_and_fp16_exhaustive(void **state)
{
    (void)state;
    for (unsigned c = 0; c < 256; c++)
        assert_true(same_double(mxf_e8m0_decode((uint8_t)c), ref_e8m0(c)));
    for (unsigned h = 0; h < 65536; h++)
        assert_true(same_double(mxf_fp16_to_f32((uint16_t)h), ref_fp16(h)));
    assert_true(ref_fp16(0x7BFF) == 65504.0 && ref_fp16(0x0001) == 0x1p-24);
}

static void mxint_levels_exhaustive(void **state)
{
    (void)state;
    const int bv[3] = {2, 4, 8};
    for (int k = 0; k < 3; k++)
        for (unsigned c = 0; c < (1u << bv[k]); c++)
            assert_int_equal(mxf_mxint_level(bv[k], c), ref_mxint_level(bv[k], c));
    assert_int_equal(ref_mxint_level(8, 0xFF), -127);
}

static void nxfp_levels_exhaustive(void **state)
{
    (void)state;
    /* the notes' level sets quoted in docs/formats.md */
    const double e3m0[8] = {0, .25, .5, 1, 2, 4, 8, 16};
    const double e1m2[8] = {0, .5, 1, 1.5, 2, 2.5, 3, 3.5};
    for (unsigned c = 0; c < 8; c++) {
        assert_true(ref_minifloat(3, 0, c) == e3m0[c]);
        assert_true(ref_minifloat(1, 2, c) == e1m2[c]);
        assert_true(ref_minifloat(2, 1, c) == REF_FP4[c]);
    }
    assert_true(ref_nx_vcr(5, 0) == 6.5 && ref_nx_vcr(6, 0) == 7.25); /* the docs' examples */
    mxf_err err;
    for (int b = 4; b <= 6; b++) {
        mxf_qformat f;
        char spec[16];
        snprintf(spec, sizeof spec, "nxfp%d", b);
        assert_int_equal(mxf_qformat_parse(spec, &f, &err), 0);
        for (int fmt = 0; fmt < 3; fmt++) {
            int e = ref_nx_ebits(b, fmt), m = b - 1 - e;
            assert_int_equal(mxf_nxfp_ebits(b, fmt), e);
            assert_true(f.nx.vcr[fmt] == ref_nx_vcr(b, fmt));
            mxf_minifloat mf;
            assert_int_equal(mxf_minifloat_init(&mf, e, m, &err), 0);
            for (unsigned c = 0; c < (1u << (b - 1)); c++)
                assert_true(mxf_minifloat_value(&mf, c) == ref_minifloat(e, m, c));
            /* every element code under every block word of a few exponents */
            const unsigned Es[4] = {0, 100, 127, 254};
            for (int ei = 0; ei < 4; ei++)
                for (unsigned fv = 0; fv < 4; fv++)
                    for (unsigned crs = 0; crs < 2; crs++) {
                        mxf_nxfp_meta md = {(uint8_t)Es[ei], (uint8_t)fv, (uint8_t)fmt,
                                            (uint8_t)crs};
                        double S = ldexp(1.0, (int)Es[ei] - 127) * (1 + fv / 4.0);
                        for (unsigned c = 0; c < (1u << b); c++) {
                            unsigned sign = c >> (b - 1), mag = c & ((1u << (b - 1)) - 1u);
                            double want = sign && !mag
                                              ? (crs ? -1 : 1) * ref_nx_vcr(b, fmt) * S
                                              : (sign ? -1 : 1) * ref_minifloat(e, m, mag) * S;
                            assert_true(same_double(mxf_nxfp_decode(&f.nx, &md, c), want));
                        }
                    }
        }
    }
}

static void fineq_bytes_exhaustive(void **state)
{
    (void)state;
    for (unsigned byte = 0; byte < 256; byte++) {
        int want[3], got[3];
        ref_fineq_levels(byte, want);
        mxf_fineq_decode_cluster((uint8_t)byte, got);
        for (int i = 0; i < 3; i++) assert_int_equal(got[i], want[i]);
    }
    /* docs: 0xCD = idx 11 (weight 2 zeroed), A = 001 = 1, B = 101 = -3 */
    int q[3];
    ref_fineq_levels(0xCD, q);
    assert_true(q[0] == 1 && q[1] == -3 && q[2] == 0);
}

/* ---- whole tensors ---- */

static const int64_t SHAPES[][2] = {{7, 101}, {130, 64}, {1, 1}, {3, 200}};
#define NSHAPES (sizeof SHAPES / sizeof SHAPES[0])

/* Seeded weights with a per-row magnitude 2^[-24, 24], Gaussian bulk, a few 10x outliers, exact
 * zeros and runs of tiny values (negative ones round to -0 in the FP formats). */
static void fill_weights(mxf_rng *r, float *W, int64_t n, int64_t k)
{
    for (int64_t i = 0; i < n; i++) {
        double rs = ldexp(1.0, (int)mxf_rng_range(r, -24, 24));
        for (int64_t j = 0; j < k; j++) {
            double u = mxf_rng_uniform(r), x = mxf_rng_normal(r) * rs;
            if (u < 0.02)
                x *= 10;
            else if (u < 0.04)
                x = 0;
            else if (u < 0.08)
                x *= 1e-4;
            W[i * k + j] = (float)x;
        }
    }
}

static void quantized_tensors_vs_naive(void **state)
{
    (void)state;
    mxf_rng r;
    mxf_rng_seed(&r, 20240601);
    mxf_err err;
    for (size_t di = 0; di < NDESCS; di++) {
        const ref_desc *d = &DESCS[di];
        mxf_qformat f;
        if (mxf_qformat_parse(d->spec, &f, &err)) fail_msg("%s: %s", d->spec, err.msg);
        for (size_t si = 0; si < NSHAPES; si++)
            for (int rep = 0; rep < 3; rep++) {
                int64_t n = SHAPES[si][0], k = SHAPES[si][1];
                float *W = malloc(sizeof(float) * (size_t)(n * k));
                assert_non_null(W);
                fill_weights(&r, W, n, k);
                mxf_qtensor q;
                if (mxf_quantize(&f, W, n, k, &q, &err)) fail_msg("%s: %s", d->spec, err.msg);
                long bad = compare_decoders(d, &q, "quantized");
                mxf_qtensor_free(&q);
                free(W);
                if (bad)
                    fail_msg("%s: %ld elements differ (shape %lldx%lld)", d->spec, bad,
                             (long long)n, (long long)k);
            }
    }
}

/* Random sections: every code, and every metadata value the format defines. */
static void random_sections_vs_naive(void **state)
{
    (void)state;
    mxf_rng r;
    mxf_rng_seed(&r, 77);
    mxf_err err;
    for (size_t di = 0; di < NDESCS; di++) {
        const ref_desc *d = &DESCS[di];
        mxf_qformat f;
        if (mxf_qformat_parse(d->spec, &f, &err)) fail_msg("%s: %s", d->spec, err.msg);
        for (size_t si = 0; si < NSHAPES; si++)
            for (int rep = 0; rep < 3; rep++) {
                mxf_qtensor q = {.fmt = f, .rows = SHAPES[si][0], .cols = SHAPES[si][1]};
                ref_sizes(d, q.rows, q.cols, &q.codes_len, &q.meta_len);
                q.codes = malloc(q.codes_len);
                q.meta = malloc(q.meta_len);
                assert_true(q.codes && q.meta);
                for (size_t i = 0; i < q.codes_len; i++) q.codes[i] = (uint8_t)mxf_rng_u64(&r);
                if (d->kind == RK_NXFP)
                    for (size_t i = 0; i < q.meta_len / 2; i++) {
                        /* E any (0xFF: NaN block), f < 2^nano, fmt 0..2, crs, [15:13] zero */
                        unsigned w = (unsigned)mxf_rng_range(&r, 0, 255) |
                                     (unsigned)mxf_rng_range(&r, 0, (1 << d->nano) - 1) << 8 |
                                     (unsigned)mxf_rng_range(&r, 0, 2) << 10 |
                                     (unsigned)mxf_rng_range(&r, 0, 1) << 12;
                        q.meta[2 * i] = (uint8_t)(w & 0xFF);
                        q.meta[2 * i + 1] = (uint8_t)(w >> 8);
                    }
                else if (d->kind == RK_FINEQ)
                    for (size_t i = 0; i < q.meta_len / 2; i++) {
                        /* a finite, non-negative FP16 step (zero and subnormals included) */
                        unsigned h = (unsigned)mxf_rng_range(&r, 0, 0x7BFF);
                        q.meta[2 * i] = (uint8_t)(h & 0xFF);
                        q.meta[2 * i + 1] = (uint8_t)(h >> 8);
                    }
                else
                    for (size_t i = 0; i < q.meta_len; i++) q.meta[i] = (uint8_t)mxf_rng_u64(&r);
                long bad = compare_decoders(d, &q, "random sections");
                free(q.codes);
                free(q.meta);
                if (bad)
                    fail_msg("%s: %ld elements differ (shape %lldx%lld)", d->spec, bad,
                             (long long)SHAPES[si][0], (long long)SHAPES[si][1]);
            }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fp4_table_vs_library),       cmocka_unit_test(fp_elements_exhaustive),
        cmocka_unit_test(e8m0_and_fp16_exhaustive),   cmocka_unit_test(mxint_levels_exhaustive),
        cmocka_unit_test(nxfp_levels_exhaustive),     cmocka_unit_test(fineq_bytes_exhaustive),
        cmocka_unit_test(quantized_tensors_vs_naive), cmocka_unit_test(random_sections_vs_naive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
