/* Per-element error bounds (sw/formats/qformat.h, docs/formats.md "Error bounds"):
 *   - every format decodes every weight of sparse and degenerate tensors within its bound: zero
 *     rows and columns, one non-zero per block / MaB / cluster, all-outlier uBs and clusters, a
 *     single huge value among tiny ones, denormal-range and near-overflow blocks, exact ties,
 *     constant blocks, all zeros; MicroScopiQ in RTN and Hessian mode;
 *   - mxf_qbound_element agrees with mxf_qverify_tensor, and inlier bounds are at most half a
 *     step (they are tight);
 *   - the MicroScopiQ reproduction of issue 9 (an outlier alone in an otherwise zero MaB)
 *     decodes within bound, and the pre-fix encoding of it (inlier scale -127) is caught;
 *   - planted encoder bugs in every family (a scale one binade off, a code one level off, a
 *     wrong cluster type, an illegal NxFP scale, a saturated MicroScopiQ L1) are caught. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "half.h"
#include "microscopiq.h"
#include "qformat.h"
#include "rng.h"
#include "synthetic.h"

static const char *SPECS[] = {
    "mxfp4",
    "mxfp4:round=away",
    "mxfp6_e2m3",
    "mxfp6_e3m2",
    "mxfp8_e4m3",
    "mxfp8_e5m2",
    "mxint8",
    "mxint2",
    "mxint4",
    "mxint4:round=rne",
    "mxint2/n128",
    "mxint4/n128",
    "mxint8/n128",
    "mxint4/n12",
    "mxint8/k32",
    "nxfp4",
    "nxfp5",
    "nxfp6",
    "nxfp4:rule=a",
    "nxfp4:am=0,cr=off",
    "nxfp5:cr=fixed,nano=1",
    "fineq",
    "fineq:rescue=0,group=9",
    "microscopiq2",
    "microscopiq4",
    "microscopiq2:mode=gptq",
    "microscopiq4:mode=gptq",
    "microscopiq2:group=128",
    "microscopiq4:maxout=0",
    "microscopiq4:maxout=2,route=any",
};
#define NSPECS (sizeof SPECS / sizeof SPECS[0])

enum {
    T_GAUSS_ZERO_ROWS_COLS,
    T_ONE_PER_KBLOCK,
    T_ONE_PER_MAB,
    T_ONE_PER_CLUSTER,
    T_FULL_OUTLIER_UBS,
    T_HUGE_AMONG_TINY,
    T_DENORMAL,
    T_NEAR_OVERFLOW,
    T_ZERO,
    T_TIES,
    T_CONSTANT,
    T_OFFSET_MEAN,
    T_COUNT
};
static const char *TNAMES[T_COUNT] = {"gaussian, zero rows and columns",
                                      "one non-zero per 32 along K",
                                      "one non-zero per MaB",
                                      "one non-zero per cluster",
                                      "uBs of 4 and 6 outliers",
                                      "one huge among tiny",
                                      "denormal range",
                                      "near overflow",
                                      "all zero",
                                      "exact ties",
                                      "constant blocks",
                                      "offset mean with zeros"};

static double sgn(mxf_rng *r)
{
    return mxf_rng_range(r, 0, 1) ? 1.0 : -1.0;
}

/* An N x K tensor of kind t. */
static float *make_tensor(int t, int N, int K, uint64_t seed)
{
    float *W = calloc((size_t)N * (size_t)K, sizeof(float));
    assert_non_null(W);
    mxf_rng r;
    mxf_rng_seed(&r, seed * 31 + (uint64_t)t);
    for (int n = 0; n < N; n++)
        for (int k = 0; k < K; k++) {
            double v = 0;
            switch (t) {
            case T_GAUSS_ZERO_ROWS_COLS:
                v = 0.02 * mxf_rng_normal(&r) * (mxf_rng_range(&r, 0, 99) ? 1 : 10);
                if (n == 0 || n == 5 || n == N - 1 || k == 1 || k == K / 2) v = 0;
                break;
            case T_ONE_PER_KBLOCK:
                if (k % 32 == (n * 7) % 32) v = sgn(&r) * pow(10, -4 + 5 * mxf_rng_uniform(&r));
                break;
            case T_ONE_PER_MAB:
                if (n % 128 == (k * 13) % 128) v = sgn(&r) * pow(10, -4 + 5 * mxf_rng_uniform(&r));
                break;
            case T_ONE_PER_CLUSTER:
                if (k % 3 == (n + k / 3) % 3) v = sgn(&r) * pow(10, -3 + 3 * mxf_rng_uniform(&r));
                break;
            case T_FULL_OUTLIER_UBS: {
                /* per column and MaB: uB k % 16 has 4 large values (slots 0..3), uB (k + 5) % 16
                 * has 6 (two are demoted); FineQ clusters (big, small, big) */
                int u = (n % 128) / 8, s = n % 8;
                v = 0.01 * mxf_rng_normal(&r);
                if ((u == k % 16 && s < 4) || (u == (k + 5) % 16 && s < 6))
                    v = sgn(&r) * (0.5 + 0.5 * mxf_rng_uniform(&r));
                if (k % 3 != 1 && n % 2) v = sgn(&r) * (0.5 + 0.5 * mxf_rng_uniform(&r));
                break;
            }
            case T_HUGE_AMONG_TINY:
                v = 1e-6 * mxf_rng_normal(&r);
                if (k == n % K) v = sgn(&r) * 1e3;
                break;
            case T_DENORMAL: {
                /* float subnormals (2^-149 .. 2^-126) and the smallest normals, some zeros */
                int e = (int)mxf_rng_range(&r, -149, -120);
                v = mxf_rng_range(&r, 0, 9) ? sgn(&r) * ldexp(1 + mxf_rng_uniform(&r), e) : 0;
                if ((float)v != (float)v || !isfinite((float)v)) v = 0;
                break;
            }
            case T_NEAR_OVERFLOW:
                /* up to 3.4e38; every 16th row spans from 1e-38 to 1e38 */
                v = sgn(&r) * 3.4e38 * (0.25 + 0.75 * mxf_rng_uniform(&r));
                if (n % 16 == 0) v = sgn(&r) * pow(10, -38 + 76 * mxf_rng_uniform(&r));
                break;
            case T_ZERO:
                break;
            case T_TIES: /* multiples of 2^-8: the halfway points of many grids */
                v = ldexp((double)mxf_rng_range(&r, -600, 600), -8);
                break;
            case T_CONSTANT:
                v = (k / 16) % 2 ? 1.9 : -0.3;
                break;
            case T_OFFSET_MEAN:
                v = 1.0 + 0.01 * mxf_rng_normal(&r);
                if (n % 37 == k % 37) v = 0;
                if (n % 53 == k % 53) v = 0.001;
                break;
            }
            W[(size_t)n * K + k] = (float)v;
        }
    return W;
}

typedef struct result {
    mxf_qverify v;
    int quantized;
} result;

/* Quantizes W with spec (calibration X for mode=gptq), decodes, verifies against the target. */
static result run_one(const char *spec, const float *W, int N, int K, const float *X, int T)
{
    mxf_qformat f;
    mxf_err e;
    result res = {0};
    assert_int_equal(mxf_qformat_parse(spec, &f, &e), 0);
    float *tgt = malloc(sizeof(float) * (size_t)N * K), *D = malloc(sizeof(float) * (size_t)N * K);
    mxf_qtensor q;
    if (mxf_quantize_target(&f, W, N, K, X, T, K, &q, tgt, &e)) {
        print_message("%s: quantize failed: %s\n", spec, e.msg);
        free(tgt), free(D);
        return res;
    }
    res.quantized = 1;
    assert_int_equal(mxf_dequantize(&q, D, &e), 0);
    if (mxf_qverify_tensor(&q, tgt, D, &res.v, &e)) fail_msg("%s: verify: %s", spec, e.msg);
    mxf_qtensor_free(&q);
    free(tgt), free(D);
    return res;
}

static float *calib(int T, int K, uint64_t seed)
{
    mxf_synth_params sp;
    mxf_synth_default_params(&sp);
    float *X = malloc(sizeof(float) * (size_t)T * K);
    assert_int_equal(mxf_synth_acts(&sp, seed, "bounds.in", T, K, X, NULL), 0);
    return X;
}

static void every_format_sparse_and_degenerate(void **state)
{
    (void)state;
    const int N = 136, K = 100, T = 256; /* partial MaB, partial K blocks, FineQ padding */
    float *X = calib(T, K, 5);
    long bad = 0;
    for (int t = 0; t < T_COUNT; t++) {
        float *W = make_tensor(t, N, K, 1);
        for (size_t s = 0; s < NSPECS; s++) {
            result r = run_one(SPECS[s], W, N, K, X, T);
            if (!r.quantized && t == T_NEAR_OVERFLOW && strstr(SPECS[s], "gptq")) {
                /* error compensation pushes weights of 3.4e38 beyond float, which the loop
                 * rejects cleanly; 2^8 below that it runs */
                float *W8 = malloc(sizeof(float) * N * K);
                for (int i = 0; i < N * K; i++) W8[i] = ldexpf(W[i], -8);
                r = run_one(SPECS[s], W8, N, K, X, T);
                free(W8);
            }
            if (!r.quantized) fail_msg("%s on %s: quantization failed", SPECS[s], TNAMES[t]);
            assert_int_equal(r.v.checked, N * K);
            if (r.v.violations) {
                bad++;
                print_error("%s on %s: %lld violations, first [%lld][%lld] (block %lld, %s): "
                            "source %a, decoded %a, bound %a\n",
                            SPECS[s], TNAMES[t], (long long)r.v.violations, (long long)r.v.row,
                            (long long)r.v.col, (long long)r.v.block, mxf_qclass_name(r.v.cls),
                            r.v.source, r.v.decoded, r.v.bound);
            }
            /* classes the tensors are built to produce */
            if (t == T_FULL_OUTLIER_UBS && !strncmp(SPECS[s], "microscopiq", 11) &&
                !strstr(SPECS[s], "maxout=0")) {
                assert_true(r.v.count[MXF_QC_OUTLIER] > 0);
                assert_true(r.v.count[MXF_QC_PRUNED] > 0);
            }
            if (t == T_FULL_OUTLIER_UBS && !strncmp(SPECS[s], "fineq", 5))
                assert_true(r.v.count[MXF_QC_OUTLIER] > 0 && r.v.count[MXF_QC_PRUNED] > 0);
            if (t == T_ZERO) assert_int_equal(r.v.count[MXF_QC_INLIER], N * K);
        }
        free(W);
    }
    free(X);
    assert_int_equal(bad, 0);
}

/* The bound of single elements equals what the tensor walk uses, decoded values meet it, and an
 * inlier's bound is at most half its grid's step. */
static void element_bound_agrees_and_is_tight(void **state)
{
    (void)state;
    const int N = 136, K = 100;
    float *W = make_tensor(T_GAUSS_ZERO_ROWS_COLS, N, K, 2);
    const char *specs[] = {"mxfp4", "mxint4",       "mxint2/n128", "nxfp4",
                           "fineq", "microscopiq2", "microscopiq4"};
    for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
        mxf_qformat f;
        mxf_qtensor q;
        mxf_err e;
        assert_int_equal(mxf_qformat_parse(specs[s], &f, &e), 0);
        assert_int_equal(mxf_quantize(&f, W, N, K, &q, &e), 0);
        float *D = malloc(sizeof(float) * N * K);
        assert_int_equal(mxf_dequantize(&q, D, &e), 0);
        mxf_rng r;
        mxf_rng_seed(&r, 9);
        for (int j = 0; j < 300; j++) {
            int n = (int)mxf_rng_range(&r, 0, N - 1), k = (int)mxf_rng_range(&r, 0, K - 1);
            mxf_qbound b;
            assert_int_equal(mxf_qbound_element(&q, W, n, k, &b, &e), 0);
            double err = fabs((double)D[n * K + k] - W[n * K + k]);
            assert_true(err <= b.bound);
            if (b.cls == MXF_QC_INLIER && f.family == MXF_QF_MXINT) {
                /* half a step of the block's grid: 2^(floor(log2 amax) - (b - 2)) / 2 */
                double amax = 0;
                for (int i = 0; i < N; i++) {
                    int in =
                        f.axis == MXF_AXIS_N ? (i / 128 == n / 128) : (i == n); /* same block */
                    if (!in) continue;
                    for (int c = 0; c < K; c++) {
                        int same = f.axis == MXF_AXIS_N ? c == k : c / 32 == k / 32;
                        if (same && fabs(W[i * K + c]) > amax) amax = fabs(W[i * K + c]);
                    }
                }
                if (amax > 0)
                    assert_true(b.bound <=
                                ldexp(1.0, (int)floor(log2(amax)) - (f.mxint.bits - 2)) / 2);
            }
        }
        mxf_qbound b;
        assert_int_equal(mxf_qbound_element(&q, W, N, 0, &b, &e), -1); /* outside */
        free(D);
        mxf_qtensor_free(&q);
    }
    free(W);
}

/* Issue 9: a MaB whose only non-zero weight is an outlier. */
static float *repro_256(void)
{
    const int N = 256, K = 256, kz = 17;
    float *W = malloc(sizeof(float) * N * K);
    mxf_rng r;
    mxf_rng_seed(&r, 1);
    for (int i = 0; i < N * K; i++) W[i] = (float)(0.01 * mxf_rng_normal(&r));
    for (int n = 0; n < N; n++) W[n * K + kz] = 0;
    W[40 * K + kz] = 0.5f;
    return W;
}

static void reproduction_decodes_within_bound(void **state)
{
    (void)state;
    float *W = repro_256(), one[128] = {0};
    one[40] = 0.5f;
    float *X = calib(512, 256, 3), *X1 = calib(512, 1, 3);
    const char *specs[] = {"microscopiq2", "microscopiq4", "microscopiq2:mode=gptq",
                           "microscopiq4:mode=gptq"};
    for (int s = 0; s < 4; s++)
        for (int which = 0; which < 2; which++) {
            const int N = which ? 128 : 256, K = which ? 1 : 256, at = which ? 40 : 40 * K + 17;
            const float *src = which ? one : W;
            mxf_qformat f;
            mxf_qtensor q;
            mxf_err e;
            assert_int_equal(mxf_qformat_parse(specs[s], &f, &e), 0);
            float *tgt = malloc(sizeof(float) * N * K), *D = malloc(sizeof(float) * N * K);
            assert_int_equal(
                mxf_quantize_target(&f, src, N, K, which ? X1 : X, 512, K, &q, tgt, &e), 0);
            assert_int_equal(mxf_dequantize(&q, D, &e), 0);
            mxf_qverify v;
            assert_int_equal(mxf_qverify_tensor(&q, tgt, D, &v, &e), 0);
            assert_int_equal(v.violations, 0);
            double worst = 0;
            for (int i = 0; i < N * K; i++) worst = fabs(D[i]) > worst ? fabs(D[i]) : worst;
            print_message("%s %dx%d: decoded W[at] = %g (target %g), max |decoded| %g\n", specs[s],
                          N, K, (double)D[at], (double)tgt[at], worst);
            assert_true(worst < 1.0);
            if (!f.msq_gptq) assert_true(D[at] == 0.5f); /* 2^-1 exactly, not 2^64 */
            mxf_qtensor_free(&q);
            free(tgt), free(D);
        }
    /* the RTN quantizer says it moved the inlier scale (the MaB's inliers are all 0) */
    mxf_msq_params p;
    mxf_msq_default_params(&p, 2);
    mxf_msq_tensor t;
    assert_int_equal(mxf_msq_quantize_rtn(&p, one, 128, 1, &t, NULL, NULL), 0);
    assert_int_equal(t.stats.scale_moved, 1);
    assert_int_equal(t.stats.scale_saturated, 0);
    assert_int_equal(t.meta[0], 127 - 62); /* I_sf = lo + uX - E = -64 + 1 + 1 */
    mxf_msq_tensor_free(&t);
    free(W), free(X), free(X1);
}

/* A copy of q whose sections can be planted with a bug. */
static void clone(const mxf_qtensor *q, mxf_qtensor *c)
{
    *c = *q;
    c->codes = malloc(q->codes_len + 1);
    c->meta = malloc(q->meta_len + 1);
    memcpy(c->codes, q->codes, q->codes_len);
    memcpy(c->meta, q->meta, q->meta_len);
}

/* Violations of a decodable tensor c against W; -1 when c does not decode. */
static int64_t violations(const mxf_qtensor *c, const float *W, mxf_qverify *v)
{
    mxf_err e;
    float *D = malloc(sizeof(float) * (size_t)(c->rows * c->cols));
    int64_t n = -1;
    if (!mxf_dequantize(c, D, &e)) {
        assert_int_equal(mxf_qverify_tensor(c, W, D, v, &e), 0);
        n = v->violations;
    }
    free(D);
    return n;
}

/* The pre-fix encoding of the reproduction: the inlier scale of an all-zero MaB (-127) makes the
 * outlier's L1 saturate and the outlier decode to 2^64. */
static void old_scale_choice_is_caught(void **state)
{
    (void)state;
    float one[128] = {0};
    one[40] = 0.5f;
    for (int bb = 2; bb <= 4; bb += 2) {
        mxf_qformat f;
        mxf_qtensor q, c;
        mxf_err e;
        assert_int_equal(mxf_qformat_parse(bb == 2 ? "microscopiq2" : "microscopiq4", &f, &e), 0);
        assert_int_equal(mxf_quantize(&f, one, 128, 1, &q, &e), 0);
        mxf_qverify v;
        assert_int_equal(violations(&q, one, &v), 0);
        clone(&q, &c);
        c.meta[0] = 0; /* I_sf = -127, the L1 byte unchanged (already at its minimum) */
        assert_int_equal(violations(&c, one, &v), 1);
        assert_int_equal(v.row, 40);
        assert_int_equal(v.col, 0);
        assert_int_equal(v.block, 0);
        assert_int_equal(v.cls, MXF_QC_OUTLIER);
        print_message("bb=%d planted I_sf=-127: decoded %g, bound %g\n", bb, v.decoded, v.bound);
        assert_true(v.decoded == (bb == 2 ? 0x1p64 : 0x1p115));
        mxf_qtensor_free(&c);
        /* the L1 field itself saturated low with the fixed inlier scale: 2^63 for bb=2 */
        clone(&q, &c);
        c.meta[3] = (uint8_t)((c.meta[3] & (bb == 2 ? 1 : 7)) | 0x80); /* L1 = -64 / -16 */
        c.meta[0] = (uint8_t)(c.meta[0] + 5);
        assert_true(violations(&c, one, &v) >= 1);
        mxf_qtensor_free(&c);
        mxf_qtensor_free(&q);
    }
}

/* Planted bugs in every family are caught: quantize a Gaussian tensor, corrupt one field, the
 * decode leaves the bound. */
static void planted_bugs_are_caught(void **state)
{
    (void)state;
    const int N = 136, K = 100;
    float *W = make_tensor(T_GAUSS_ZERO_ROWS_COLS, N, K, 3);
    mxf_qverify v;
    mxf_err e;
    struct {
        const char *spec, *what;
        int sec; /* 0 codes, 1 metadata */
        size_t at;
        int op; /* 0: += delta, 1: ^= delta */
        int delta;
    } P[] = {
        {"mxfp4", "scale one binade up", 1, 7, 0, 1},
        {"mxfp4", "scale one binade down", 1, 7, 0, -1},
        {"mxfp4", "element code one level up", 0, 100, 0, 1},
        {"mxfp8_e4m3", "element sign", 0, 168, 1, 0x80},
        {"mxint8", "INT8 code one level", 0, 169, 0, 1},
        {"mxint4", "scale one binade up", 1, 9, 0, 1},
        {"mxint4", "code one level", 0, 13, 1, 1},
        {"mxint2/n128", "scale one binade down", 1, 3, 0, -1},
        {"nxfp4", "E one binade up (outside the Rule B window)", 1, 20, 0, 2},
        {"nxfp4", "NanoMantissa f", 1, 21, 1, 1},
        {"nxfp4", "element code", 0, 30, 1, 2},
        {"fineq", "step doubled", 1, 5, 0, 4},
        {"fineq", "cluster type (another weight zeroed)", 0, 66, 1, 0x40},
        {"fineq", "2-bit code", 0, 90, 1, 0x01},
        {"microscopiq2", "inlier scale one binade up", 1, 0, 0, 1},
        {"microscopiq4", "inlier code", 0, 5, 1, 0x01},
    };
    for (size_t i = 0; i < sizeof P / sizeof P[0]; i++) {
        mxf_qformat f;
        mxf_qtensor q, c;
        assert_int_equal(mxf_qformat_parse(P[i].spec, &f, &e), 0);
        assert_int_equal(mxf_quantize(&f, W, N, K, &q, &e), 0);
        assert_int_equal(violations(&q, W, &v), 0);
        clone(&q, &c);
        uint8_t *b = (P[i].sec ? c.meta : c.codes) + P[i].at;
        if (P[i].op == 0)
            *b = (uint8_t)(*b + P[i].delta);
        else
            *b ^= (uint8_t)P[i].delta;
        int64_t n = violations(&c, W, &v);
        print_message("%s, %s: %lld violations (first [%lld][%lld] %s: %g vs %g, bound %g)\n",
                      P[i].spec, P[i].what, (long long)n, (long long)v.row, (long long)v.col,
                      mxf_qclass_name(v.cls), v.decoded, v.source, v.bound);
        assert_true(n != 0); /* caught by the bound (or rejected by the decoder: n = -1) */
        mxf_qtensor_free(&c);
        mxf_qtensor_free(&q);
    }
    free(W);
}

/* The decoded values of a correct encoding sit exactly at the bound's nearest level: moving any
 * inlier of an MX-INT block by one level is a violation (the bound is the distance to the
 * nearest level, not a looser tolerance). */
static void one_level_off_is_always_caught(void **state)
{
    (void)state;
    const int N = 8, K = 32;
    float *W = make_tensor(T_GAUSS_ZERO_ROWS_COLS, N, K, 4);
    mxf_qformat f;
    mxf_qtensor q, c;
    mxf_err e;
    mxf_qverify v;
    assert_int_equal(mxf_qformat_parse("mxint8/k32", &f, &e), 0);
    assert_int_equal(mxf_quantize(&f, W, N, K, &q, &e), 0);
    int tried = 0;
    for (size_t j = 0; j < q.codes_len; j++) {
        if ((q.codes[j] & 0x7F) == 0 || (q.codes[j] & 0x7F) == 0x7F) continue;
        clone(&q, &c);
        c.codes[j] = (uint8_t)(c.codes[j] + 1); /* magnitude one level up */
        assert_int_equal(violations(&c, W, &v), 1);
        mxf_qtensor_free(&c);
        tried++;
    }
    assert_true(tried > 100);
    mxf_qtensor_free(&q);
    free(W);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_format_sparse_and_degenerate),
        cmocka_unit_test(element_bound_agrees_and_is_tight),
        cmocka_unit_test(reproduction_decodes_within_bound),
        cmocka_unit_test(old_scale_choice_is_caught),
        cmocka_unit_test(planted_bugs_are_caught),
        cmocka_unit_test(one_level_off_is_always_caught),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
