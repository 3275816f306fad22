/* MicroScopiQ packer: the hand-derived vectors of tests/vectors/README.md §4 reproduced byte
 * for byte, decoder validation, routing-aware placement, EBW, and properties on random data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "microscopiq.h"
#include "rng.h"

/* A MaB whose uB 0 is `mub` and whose other 120 weights are small alternating values that
 * neither raise the inlier exponent nor pass the 3-sigma test. */
static void make_mab(const double *mub, double filler, float *w)
{
    for (int i = 0; i < MXF_MSQ_MAB; i++)
        w[i] = (float)((i & 1 ? -filler : filler) * (1 + i % 3) / 3);
    for (int i = 0; i < MXF_MSQ_MUB; i++) w[i] = (float)mub[i];
}

static void vector_8_1_bb2_one_outlier(void **state)
{
    (void)state;
    const double mub[8] = {0.010, -0.020, 0.100, 0.004, -0.009, 0.015, -0.003, 0.022};
    float w[MXF_MSQ_MAB], deq[MXF_MSQ_MAB];
    make_mab(mub, 0.009, w);
    mxf_msq_params p;
    mxf_msq_default_params(&p, 2);
    mxf_msq_mab m;
    mxf_msq_stats st = {0};
    assert_int_equal(mxf_msq_quantize_mab(&p, w, MXF_MSQ_MAB, NULL, &m, deq, &st, NULL), 0);
    assert_int_equal(m.I_sf, -6);
    assert_int_equal(m.bitmap, 0x0001);
    uint8_t wb[32], meta[64];
    mxf_msq_pack_mab(2, &m, wb, meta);
    assert_int_equal(wb[0], 0x1D);
    assert_int_equal(wb[1], 0x47);
    assert_int_equal(mxf_msq_meta_bytes(&m), 7);
    const uint8_t want_meta[7] = {0x79, 0x01, 0x00, 0xEB, 0x16, 0x00, 0x00};
    assert_memory_equal(meta, want_meta, 7);
    const double want[8] = {0.015625, -0.015625, 0.09375, 0, -0.015625, 0.015625, 0, 0.015625};
    for (int i = 0; i < 8; i++) assert_true(deq[i] == (float)want[i]);
    assert_int_equal(st.outlier_mubs, 1);
    assert_int_equal(st.outliers, 1);
}

static const double mub_8_2[8] = {0.0050,  -0.0120, 0.0021, 0.0800,
                                  -0.0030, -0.0650, 0.0009, 0.0100};

static void vector_8_2_bb4_two_outliers_naive(void **state)
{
    (void)state;
    float w[MXF_MSQ_MAB], deq[MXF_MSQ_MAB];
    make_mab(mub_8_2, 0.006, w);
    mxf_msq_params p;
    mxf_msq_default_params(&p, 4);
    mxf_msq_mab m;
    assert_int_equal(mxf_msq_quantize_mab(&p, w, MXF_MSQ_MAB, NULL, &m, deq, NULL, NULL), 0);
    uint8_t wb[64], meta[64];
    mxf_msq_pack_mab(4, &m, wb, meta);
    const uint8_t want_w[4] = {0xE3, 0x19, 0x8A, 0x50};
    assert_memory_equal(wb, want_w, 4);
    const uint8_t want_meta[7] = {0x78, 0x01, 0x00, 0x8C, 0x9E, 0x0A, 0x00};
    assert_memory_equal(meta, want_meta, 7);
    assert_true(deq[3] == 0.078125f);
    assert_true(deq[5] == -0.06640625f);
    assert_true(deq[2] == 0.0f && deq[6] == 0.0f); /* pruned */
    assert_true(deq[1] == (float)(-6 * ldexp(1, -9)));
}

/* Our reading of the published RTL butterfly (tests/vectors/README.md): a single move c' -> c is
 * blocked when c ^ c' == 5. */
static int no_xor5(void *ctx, int n, const int *up, const int *lo)
{
    int *calls = ctx;
    (*calls)++;
    for (int i = 0; i < n; i++)
        if ((up[i] ^ lo[i]) == 5) return 0;
    return 1;
}

static void vector_8_2_routable_alternative(void **state)
{
    (void)state;
    float w[MXF_MSQ_MAB], deq[MXF_MSQ_MAB];
    make_mab(mub_8_2, 0.006, w);
    int calls = 0;
    mxf_msq_params p;
    mxf_msq_default_params(&p, 4);
    p.routable = no_xor5;
    p.route_ctx = &calls;
    mxf_msq_mab m;
    mxf_msq_stats st = {0};
    assert_int_equal(mxf_msq_quantize_mab(&p, w, MXF_MSQ_MAB, NULL, &m, deq, &st, NULL), 0);
    uint8_t wb[64], meta[64];
    mxf_msq_pack_mab(4, &m, wb, meta);
    const uint8_t want_w[4] = {0xE3, 0x10, 0x8A, 0x59};
    assert_memory_equal(wb, want_w, 4);
    const uint8_t want_meta[7] = {0x78, 0x01, 0x00, 0x8C, 0x9A, 0x0B, 0x00};
    assert_memory_equal(meta, want_meta, 7);
    assert_true(deq[3] == 0.078125f && deq[5] == -0.06640625f);
    assert_int_equal(st.rerouted, 1);
    assert_true(calls >= 2);
}

static int never(void *ctx, int n, const int *up, const int *lo)
{
    (void)ctx, (void)n, (void)up, (void)lo;
    return 0;
}

static void unroutable_is_an_error(void **state)
{
    (void)state;
    float w[MXF_MSQ_MAB], deq[MXF_MSQ_MAB];
    make_mab(mub_8_2, 0.006, w);
    mxf_msq_params p;
    mxf_msq_default_params(&p, 4);
    p.routable = never;
    mxf_msq_mab m;
    mxf_err e;
    assert_int_equal(mxf_msq_quantize_mab(&p, w, MXF_MSQ_MAB, NULL, &m, deq, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "no routable placement"));
}

static void decoder_rejects_corruption(void **state)
{
    (void)state;
    float w[MXF_MSQ_MAB], deq[MXF_MSQ_MAB];
    make_mab(mub_8_2, 0.006, w);
    mxf_msq_params p;
    mxf_msq_default_params(&p, 4);
    mxf_msq_mab m;
    assert_int_equal(mxf_msq_quantize_mab(&p, w, MXF_MSQ_MAB, NULL, &m, deq, NULL, NULL), 0);
    uint8_t wb[64], meta[64], bad[64];
    mxf_msq_pack_mab(4, &m, wb, meta);
    size_t used;
    mxf_err e;
    assert_int_equal(mxf_msq_unpack_mab(4, wb, meta, 7, &used, deq, &e), 0);
    assert_int_equal(used, 7);
    assert_int_equal(mxf_msq_unpack_mab(4, wb, meta, 6, &used, deq, &e), -1);
    assert_non_null(strstr(e.msg, "truncated"));
    memcpy(bad, wb, 64);
    bad[3] ^= 0x08; /* slot 6 (low nibble of byte 3) holds 0.08's Lower half: flip its sign */
    assert_int_equal(mxf_msq_unpack_mab(4, bad, meta, 7, &used, deq, &e), -1);
    assert_non_null(strstr(e.msg, "different sign"));
    memcpy(bad, meta, 7);
    bad[4] = 0x09; /* entry 0 = {1, 1}: Upper == Lower but not empty */
    assert_int_equal(mxf_msq_unpack_mab(4, wb, bad, 7, &used, deq, &e), -1);
    memcpy(bad, meta, 7);
    bad[0] = 0xff;
    assert_int_equal(mxf_msq_unpack_mab(4, wb, bad, 7, &used, deq, &e), -1);
    assert_non_null(strstr(e.msg, "reserved"));
    memcpy(bad, meta, 7);
    bad[4] = bad[5] = bad[6] = 0; /* bitmap says outliers, list empty */
    assert_int_equal(mxf_msq_unpack_mab(4, wb, bad, 7, &used, deq, &e), -1);
    assert_non_null(strstr(e.msg, "empty"));
}

static void ebw_8_4(void **state)
{
    (void)state;
    mxf_msq_stats st = {0};
    st.weights = 128, st.mubs = 16, st.outlier_mubs = 2, st.mabs = 1;
    assert_true(fabs(mxf_msq_ebw_paper(2, &st) - 2.5) < 1e-12);
    /* 32 weight bytes + 3 header + 2 x 4 uB metadata bytes = 43 bytes for 128 weights */
    assert_true(fabs(mxf_msq_ebw_full(2, &st, 32, 11) - 2.6875) < 1e-12);
    st.outlier_mubs = 0;
    assert_true(fabs(mxf_msq_ebw_paper(4, &st) - 4.0) < 1e-12);
}

/* Random LLM-like columns: caps hold, every outlier has a pruned partner, the decoder of the
 * packed tensor reproduces the quantizer's values, and the errors are within the format's
 * resolution (checked against a naive double computation). */
static void properties_on_random_tensor(void **state)
{
    (void)state;
    for (int bb = 2; bb <= 4; bb += 2) {
        const int N = 300, K = 7;
        float *W = malloc(sizeof(float) * N * K), *deq = malloc(sizeof(float) * N * K);
        mxf_rng r;
        mxf_rng_seed(&r, (uint64_t)bb);
        for (int i = 0; i < N * K; i++) {
            double v = 0.02 * mxf_rng_normal(&r);
            if (mxf_rng_range(&r, 0, 99) == 0) v *= 12; /* sparse heavy tail */
            W[i] = (float)v;
        }
        mxf_msq_params p;
        mxf_msq_default_params(&p, bb);
        mxf_msq_tensor t;
        assert_int_equal(mxf_msq_quantize_rtn(&p, W, N, K, &t, deq, NULL), 0);
        assert_int_equal(t.stats.weights, N * K);
        assert_int_equal(t.stats.mabs, 3 * K);
        assert_int_equal(t.stats.mubs, 38 * K); /* ceil(300/8) real uBs per column */
        assert_true(t.stats.outlier_mubs > 0);
        int64_t pruned = 0;
        for (int k = 0; k < K; k++)
            for (int m = 0; m < 3; m++) {
                size_t idx = (size_t)k * 3 + (size_t)m, used;
                float dq[MXF_MSQ_MAB];
                assert_int_equal(mxf_msq_unpack_mab(bb, t.weights + idx * mxf_msq_weight_bytes(bb),
                                                    t.meta + t.meta_offset[idx],
                                                    t.meta_len - t.meta_offset[idx], &used, dq,
                                                    NULL),
                                 0);
                int I_sf = (int)t.meta[t.meta_offset[idx]] - 127;
                double step = ldexp(1.0, I_sf - (bb - 2)), qmax = (1 << (bb - 1)) - 1;
                for (int i = 0; i < MXF_MSQ_MAB && m * 128 + i < N; i++) {
                    int n = m * 128 + i;
                    double x = W[n * K + k], y = deq[n * K + k];
                    assert_true(dq[i] == (float)y);
                    if (y == 0 && fabs(x) > step / 2) pruned++;
                    /* an inlier within range is within half a step; anything else is either an
                       outlier (relative error < 2^-M... bounded by 1/8 for e1m2) or clipped */
                    if (fabs(x) <= qmax * step && y != 0 && fabs(y) <= qmax * step)
                        assert_true(fabs(x - y) <= step / 2 + 1e-12);
                }
            }
        assert_true(pruned <= t.stats.outliers);
        mxf_msq_tensor_free(&t);
        free(W), free(deq);
    }
}

static double mse_of(const mxf_msq_params *p, const float *W, int N, int K, mxf_msq_stats *st)
{
    float *deq = malloc(sizeof(float) * (size_t)N * K);
    mxf_msq_tensor t;
    assert_int_equal(mxf_msq_quantize_rtn(p, W, N, K, &t, deq, NULL), 0);
    double e = 0;
    for (int i = 0; i < N * K; i++) e += ((double)W[i] - deq[i]) * ((double)W[i] - deq[i]);
    *st = t.stats;
    mxf_msq_tensor_free(&t);
    free(deq);
    return e / (N * K);
}

/* The paper's ablation ordering (Table 7) on heavy-tailed weights, measured as weight MSE:
 * MX-INT-2 alone >> + outliers with one exponent per MaB > + outliers per uB. */
static void ablation_ordering(void **state)
{
    (void)state;
    const int N = 512, K = 64;
    float *W = malloc(sizeof(float) * N * K);
    mxf_rng r;
    mxf_rng_seed(&r, 77);
    for (int i = 0; i < N * K; i++) {
        double v = 0.02 * mxf_rng_normal(&r);
        if (mxf_rng_range(&r, 0, 199) == 0)
            v = (v < 0 ? -1 : 1) * (0.1 + 0.3 * mxf_rng_uniform(&r));
        W[i] = (float)v;
    }
    mxf_msq_params alone, per128, per8;
    mxf_msq_stats s0, s1, s2;
    mxf_msq_default_params(&alone, 2);
    alone.max_outliers = 0;
    mxf_msq_default_params(&per128, 2);
    per128.outlier_group = MXF_MSQ_MAB;
    mxf_msq_default_params(&per8, 2);
    double e0 = mse_of(&alone, W, N, K, &s0), e1 = mse_of(&per128, W, N, K, &s1),
           e2 = mse_of(&per8, W, N, K, &s2);
    print_message("weight MSE: MX-INT-2 alone %.3g, outliers per 128 %.3g, per uB %.3g\n", e0, e1,
                  e2);
    assert_int_equal(s0.outlier_mubs, 0);
    assert_true(s1.outlier_mubs == s2.outlier_mubs && s2.outlier_mubs > 0);
    assert_true(e0 > 2 * e1);
    assert_true(e1 > e2);
    free(W);
}

static void bad_input(void **state)
{
    (void)state;
    float w[MXF_MSQ_MAB] = {0}, deq[MXF_MSQ_MAB];
    mxf_msq_params p;
    mxf_msq_default_params(&p, 2);
    mxf_msq_mab m;
    mxf_err e;
    w[5] = NAN;
    assert_int_equal(mxf_msq_quantize_mab(&p, w, 10, NULL, &m, deq, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "weight 5"));
    w[5] = 0;
    /* all-zero block: no outliers, smallest scale, all codes zero, decodes to zeros */
    assert_int_equal(mxf_msq_quantize_mab(&p, w, 128, NULL, &m, deq, NULL, &e), 0);
    assert_int_equal(m.bitmap, 0);
    assert_int_equal(m.I_sf, -127);
    for (int i = 0; i < 128; i++) assert_true(deq[i] == 0.0f);
    p.bb = 3;
    assert_int_equal(mxf_msq_quantize_mab(&p, w, 128, NULL, &m, deq, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "bb=3"));
}

/* Issue 9 at the MaB level: an outlier alone in a MaB whose other weights are 0 gets an inlier
 * exponent in the window where its L1 fits (docs/microscopiq-format.md, "Inlier exponent"): the
 * lowest, I_sf = lo + uX - E, and it decodes exactly instead of to 2^64 / 2^115. */
static void lone_outlier_gets_a_representable_scale(void **state)
{
    (void)state;
    for (int bb = 2; bb <= 4; bb += 2) {
        float w[MXF_MSQ_MAB] = {0}, deq[MXF_MSQ_MAB];
        w[40] = 0.5f;
        mxf_msq_params p;
        mxf_msq_default_params(&p, bb);
        mxf_msq_mab m;
        mxf_msq_stats st = {0};
        assert_int_equal(mxf_msq_quantize_mab(&p, w, MXF_MSQ_MAB, NULL, &m, deq, &st, NULL), 0);
        assert_int_equal(m.bitmap, 1u << 5);
        assert_int_equal(m.I_sf, bb == 2 ? -64 + 1 + 1 : -16 + 4 + 1);
        assert_int_equal(m.mub[5].O_sf, -1);
        assert_int_equal(st.scale_moved, 1);
        assert_int_equal(st.scale_saturated, 0);
        assert_true(deq[40] == 0.5f);
        for (int i = 0; i < MXF_MSQ_MAB; i++)
            if (i != 40) assert_true(deq[i] == 0);
    }
    /* bb = 4 with small inliers (I = -9) and outliers at 2^-7: L1 = -7 - 9 - 4 = -20 does not
     * fit 5 bits, so the inlier exponent moves up to -12 + 7 = -5 (inliers lose resolution but
     * stay within half a step; the outliers keep theirs) */
    float w[MXF_MSQ_MAB], deq[MXF_MSQ_MAB];
    for (int i = 0; i < MXF_MSQ_MAB; i++)
        w[i] = (float)((i & 1 ? -0.0025 : 0.0021) * (1 + i % 3) / 3);
    w[3] = 0.0100f, w[70] = -0.0093f;
    mxf_msq_params p;
    mxf_msq_default_params(&p, 4);
    mxf_msq_mab m;
    mxf_msq_stats st = {0};
    assert_int_equal(mxf_msq_quantize_mab(&p, w, MXF_MSQ_MAB, NULL, &m, deq, &st, NULL), 0);
    assert_int_equal(m.bitmap, 1u | 1u << 8);
    assert_int_equal(m.I_sf, -5);
    assert_int_equal(st.scale_saturated, 0);
    assert_true(fabs(deq[3] - 0.0100) <= ldexp(1, -7 - 4 - 1));
    assert_true(fabs(deq[70] + 0.0093) <= ldexp(1, -7 - 4 - 1));
    for (int i = 0; i < MXF_MSQ_MAB; i++) /* inliers and pruned slots: within half a step */
        if (i != 3 && i != 70) assert_true(fabs(deq[i] - w[i]) <= ldexp(1, -5 - 2) / 2);
}

/* A zero is never an outlier (it would decode to 2^O_sf: an outlier keeps a leading 1), even
 * where the 3-sigma test flags it: a MaB of weights near 1 with a few zeros. */
static void zero_is_never_an_outlier(void **state)
{
    (void)state;
    float w[MXF_MSQ_MAB], deq[MXF_MSQ_MAB];
    for (int i = 0; i < MXF_MSQ_MAB; i++) w[i] = (float)(1.0 + 0.001 * (i % 5));
    w[9] = 0, w[100] = 0;
    mxf_msq_params p;
    mxf_msq_default_params(&p, 4);
    mxf_msq_mab m;
    assert_int_equal(mxf_msq_quantize_mab(&p, w, MXF_MSQ_MAB, NULL, &m, deq, NULL, NULL), 0);
    assert_int_equal(m.bitmap, 0);
    assert_true(deq[9] == 0 && deq[100] == 0);
}

/* Decoding rules a reader needs (docs/microscopiq-format.md): the inlier code 1 0..0 is the
 * integer 0 and decodes to +0.0; used permutation entries come first, an empty entry (0) ends the
 * list and a used entry after it is rejected. */
static void inlier_zero_and_packed_permutation_list(void **state)
{
    (void)state;
    for (int bb = 2; bb <= 4; bb += 2) {
        uint8_t wb[64] = {0}, meta[3] = {127, 0, 0};
        wb[0] = (uint8_t)(1u << (bb - 1)); /* element 0: sign set, magnitude 0 */
        float deq[MXF_MSQ_MAB];
        size_t used;
        assert_int_equal(mxf_msq_unpack_mab(bb, wb, meta, 3, &used, deq, NULL), 0);
        assert_true(deq[0] == 0 && !signbit(deq[0]));
    }
    float w[MXF_MSQ_MAB], deq[MXF_MSQ_MAB];
    make_mab(mub_8_2, 0.006, w);
    mxf_msq_params p;
    mxf_msq_default_params(&p, 4);
    mxf_msq_mab m;
    assert_int_equal(mxf_msq_quantize_mab(&p, w, MXF_MSQ_MAB, NULL, &m, deq, NULL, NULL), 0);
    uint8_t wb[64], meta[64];
    mxf_msq_pack_mab(4, &m, wb, meta);
    size_t used;
    mxf_err e;
    /* entries {3, 6} = 0x1E and {5, 2} = 0x2A moved to positions 1 and 2 behind an empty one */
    const uint32_t perm = 0x1Eu << 6 | 0x2Au << 12;
    meta[4] = (uint8_t)perm, meta[5] = (uint8_t)(perm >> 8), meta[6] = (uint8_t)(perm >> 16);
    assert_int_equal(mxf_msq_unpack_mab(4, wb, meta, 7, &used, deq, &e), -1);
    assert_non_null(strstr(e.msg, "follows an empty entry"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vector_8_1_bb2_one_outlier),
        cmocka_unit_test(vector_8_2_bb4_two_outliers_naive),
        cmocka_unit_test(vector_8_2_routable_alternative),
        cmocka_unit_test(unroutable_is_an_error),
        cmocka_unit_test(decoder_rejects_corruption),
        cmocka_unit_test(ebw_8_4),
        cmocka_unit_test(properties_on_random_tensor),
        cmocka_unit_test(ablation_ordering),
        cmocka_unit_test(bad_input),
        cmocka_unit_test(lone_outlier_gets_a_representable_scale),
        cmocka_unit_test(zero_is_never_an_outlier),
        cmocka_unit_test(inlier_zero_and_packed_permutation_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
