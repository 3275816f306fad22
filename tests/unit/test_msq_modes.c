/* MicroScopiQ beyond one MaB: the Hessian-guided (GPTQ) mode against RTN, the format layer
 * (microscopiq2/4 specs, variable-length metadata in images), metadata statistics, ReCoN
 * routability of every stored placement, and bad calibration input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gptq.h"
#include "hessian.h"
#include "image.h"
#include "microscopiq.h"
#include "qformat.h"
#include "recon.h"
#include "rng.h"
#include "synthetic.h"

/* Heavy-tailed weights like an LLM linear layer (Gaussian bulk plus sparse large values). */
static float *make_weights(int N, int K, uint64_t seed)
{
    float *W = malloc(sizeof(float) * (size_t)N * (size_t)K);
    mxf_rng r;
    mxf_rng_seed(&r, seed);
    for (int i = 0; i < N * K; i++) {
        double v = 0.02 * mxf_rng_normal(&r);
        if (mxf_rng_range(&r, 0, 99) == 0) v *= 10;
        W[i] = (float)v;
    }
    return W;
}

/* Weights whose MaBs each hold three uBs with 2..4 outliers (the 3-sigma rule allows only a few
 * per MaB): the multi-outlier uBs where pruning and routing choices matter. */
static float *make_crowded(int N, int K, uint64_t seed)
{
    float *W = make_weights(N, K, seed);
    mxf_rng r;
    mxf_rng_seed(&r, seed + 1000);
    for (int k = 0; k < K; k++)
        for (int m = 0; m + MXF_MSQ_MAB <= N; m += MXF_MSQ_MAB)
            for (int j = 0; j < 3; j++) {
                int u = (int)mxf_rng_range(&r, 0, MXF_MSQ_NMUB - 1);
                int n = (int)mxf_rng_range(&r, 2, 4);
                for (int i = 0; i < n; i++) {
                    int row = m + 8 * u + (int)mxf_rng_range(&r, 0, 7);
                    double v = 0.35 + 0.15 * mxf_rng_uniform(&r);
                    W[row * K + k] = (float)(mxf_rng_range(&r, 0, 1) ? v : -v);
                }
            }
    return W;
}

/* U for a Hessian built from X (T x K) with damping `damp`; dead optional. */
static double *prepare_U(const float *X, int T, int K, double damp, unsigned char *dead)
{
    mxf_hessian h;
    mxf_err e;
    assert_int_equal(mxf_hessian_init(&h, K, &e), 0);
    assert_int_equal(mxf_hessian_add(&h, X, T, K, &e), 0);
    double *H = malloc(sizeof(double) * (size_t)K * K), *U = malloc(sizeof(double) * (size_t)K * K);
    assert_int_equal(mxf_hessian_get(&h, H, &e), 0);
    assert_int_equal(mxf_hessian_prepare(H, K, damp, U, dead, NULL, &e), 0);
    mxf_hessian_free(&h);
    free(H);
    return U;
}

/* ||X (W - Q)^T||^2 / ||X W^T||^2, computed naively in double. */
static double rel_output_error(const float *X, int T, const float *W, const float *Q, int N, int K)
{
    double num = 0, den = 0;
    for (int t = 0; t < T; t++)
        for (int n = 0; n < N; n++) {
            double y = 0, e = 0;
            for (int k = 0; k < K; k++) {
                y += (double)X[t * K + k] * W[n * K + k];
                e += (double)X[t * K + k] * ((double)W[n * K + k] - Q[n * K + k]);
            }
            num += e * e, den += y * y;
        }
    return num / den;
}

/* With H proportional to the identity, U is diagonal, no error moves to later columns, and the
 * saliency ranking is the RTN one: the Hessian mode must give the RTN bytes exactly. */
static void gptq_with_identity_hessian_is_rtn(void **state)
{
    (void)state;
    const int N = 200, K = 37; /* a partial second MaB */
    for (int bb = 2; bb <= 4; bb += 2) {
        float *W = make_weights(N, K, 5 + (uint64_t)bb);
        double *U = calloc((size_t)K * K, sizeof(double));
        for (int k = 0; k < K; k++) U[k * K + k] = 0.5;
        mxf_msq_params p;
        mxf_msq_default_params(&p, bb);
        p.routable = mxf_recon_ub_routable;
        mxf_msq_tensor a, b;
        float *da = malloc(sizeof(float) * N * K), *db = malloc(sizeof(float) * N * K);
        assert_int_equal(mxf_msq_quantize_rtn(&p, W, N, K, &a, da, NULL), 0);
        assert_int_equal(mxf_msq_quantize_gptq(&p, W, N, K, U, NULL, 64, &b, db, NULL, NULL), 0);
        assert_int_equal(a.weights_len, b.weights_len);
        assert_int_equal(a.meta_len, b.meta_len);
        assert_memory_equal(a.weights, b.weights, a.weights_len);
        assert_memory_equal(a.meta, b.meta, a.meta_len);
        assert_memory_equal(da, db, sizeof(float) * N * K);
        assert_true(a.stats.outlier_mubs > 0);
        mxf_msq_tensor_free(&a), mxf_msq_tensor_free(&b);
        free(W), free(U), free(da), free(db);
    }
}

/* On activations correlated across channels, error compensation lowers the output error on
 * held-out tokens of the same distribution (the point of the Hessian mode), for bb = 2 and 4. */
static void gptq_beats_rtn_on_output_error(void **state)
{
    (void)state;
    const int N = 256, K = 96, T = 1024, TE = 256;
    mxf_synth_params sp;
    mxf_synth_default_params(&sp);
    float *X = malloc(sizeof(float) * T * K), *XE = malloc(sizeof(float) * TE * K);
    assert_int_equal(mxf_synth_acts_sample(&sp, 3, "t.in", 1, T, K, X, NULL), 0);
    assert_int_equal(mxf_synth_acts_sample(&sp, 3, "t.in", 0, TE, K, XE, NULL), 0);
    float *W = malloc(sizeof(float) * N * K);
    assert_int_equal(mxf_synth_weights(&sp, 3, "t.w", N, K, W, NULL), 0);
    double *U = prepare_U(X, T, K, MXF_PERCDAMP_DEFAULT, NULL);
    for (int bb = 2; bb <= 4; bb += 2) {
        mxf_msq_params p;
        mxf_msq_default_params(&p, bb);
        p.routable = mxf_recon_ub_routable;
        mxf_msq_tensor a, b;
        float *da = malloc(sizeof(float) * N * K), *db = malloc(sizeof(float) * N * K);
        mxf_gptq_stats gs;
        assert_int_equal(mxf_msq_quantize_rtn(&p, W, N, K, &a, da, NULL), 0);
        assert_int_equal(mxf_msq_quantize_gptq(&p, W, N, K, U, NULL, 128, &b, db, &gs, NULL), 0);
        double ea = rel_output_error(XE, TE, W, da, N, K),
               eb = rel_output_error(XE, TE, W, db, N, K);
        print_message("bb=%d held-out output error: RTN %.4g, Hessian %.4g (%.2f dB)\n", bb, ea, eb,
                      10 * log10(ea / eb));
        assert_true(eb < 0.8 * ea);
        /* the image decodes to exactly what the loop compensated against */
        float dq[MXF_MSQ_MAB];
        size_t used;
        assert_int_equal(mxf_msq_unpack_mab(bb, b.weights, b.meta, b.meta_len, &used, dq, NULL), 0);
        for (int n = 0; n < MXF_MSQ_MAB; n++) assert_true(dq[n] == db[n * K]);
        mxf_msq_tensor_free(&a), mxf_msq_tensor_free(&b);
        free(da), free(db);
    }
    free(X), free(XE), free(W), free(U);
}

/* An input channel that is zero on every calibration token is dead: its weights become 0 (they
 * never meet a non-zero activation) and quantization still succeeds. All-zero weight blocks
 * quantize to the smallest scale and decode to zeros. */
static void dead_inputs_and_zero_blocks(void **state)
{
    (void)state;
    const int N = 128, K = 16, T = 256;
    mxf_synth_params sp;
    mxf_synth_default_params(&sp);
    float *X = malloc(sizeof(float) * T * K);
    assert_int_equal(mxf_synth_acts(&sp, 9, "d.in", T, K, X, NULL), 0);
    for (int t = 0; t < T; t++) X[t * K + 3] = 0;
    float *W = make_weights(N, K, 11);
    for (int n = 0; n < N; n++) W[n * K + 7] = 0; /* column 7: an all-zero MaB */
    unsigned char dead[16];
    double *U = prepare_U(X, T, K, MXF_PERCDAMP_DEFAULT, dead);
    for (int k = 0; k < K; k++) assert_int_equal(dead[k], k == 3);
    mxf_msq_params p;
    mxf_msq_default_params(&p, 2);
    mxf_msq_tensor t;
    float *Q = malloc(sizeof(float) * N * K);
    assert_int_equal(mxf_msq_quantize_gptq(&p, W, N, K, U, dead, 128, &t, Q, NULL, NULL), 0);
    for (int n = 0; n < N; n++) assert_true(Q[n * K + 3] == 0.0f);
    /* MaB k=7 came to the quantizer updated by earlier errors, so only k=3 is known zero; a
       fresh RTN of an all-zero tensor checks the zero-block path end to end */
    mxf_msq_tensor z;
    float *Z = calloc((size_t)N * K, sizeof(float)), *DZ = malloc(sizeof(float) * N * K);
    assert_int_equal(mxf_msq_quantize_rtn(&p, Z, N, K, &z, DZ, NULL), 0);
    for (int i = 0; i < N * K; i++) assert_true(DZ[i] == 0.0f);
    for (int k = 0; k < K; k++) assert_int_equal(z.meta[z.meta_offset[k]], 0); /* I_sf = -127 */
    assert_int_equal(z.stats.outlier_mubs, 0);
    mxf_msq_tensor_free(&t), mxf_msq_tensor_free(&z);
    free(X), free(W), free(U), free(Q), free(Z), free(DZ);
}

/* Statistics recovered from the metadata stream equal the quantizer's; truncated or padded
 * streams are rejected. */
static void meta_stats_match_quantizer(void **state)
{
    (void)state;
    const int N = 300, K = 9;
    float *W = make_crowded(N, K, 21);
    mxf_msq_params p;
    mxf_msq_default_params(&p, 4);
    mxf_msq_tensor t;
    assert_int_equal(mxf_msq_quantize_rtn(&p, W, N, K, &t, NULL, NULL), 0);
    mxf_msq_stats s;
    mxf_err e;
    assert_int_equal(mxf_msq_meta_stats(N, K, t.meta, t.meta_len, &s, &e), 0);
    assert_int_equal(s.weights, t.stats.weights);
    assert_int_equal(s.mabs, t.stats.mabs);
    assert_int_equal(s.mubs, t.stats.mubs);
    assert_int_equal(s.outlier_mubs, t.stats.outlier_mubs);
    assert_int_equal(s.outliers, t.stats.outliers);
    assert_true(s.outliers > s.outlier_mubs); /* some uBs hold several outliers */
    assert_int_equal(mxf_msq_meta_stats(N, K, t.meta, t.meta_len - 1, &s, &e), -1);
    assert_non_null(strstr(e.msg, "metadata ends inside"));
    assert_int_equal(mxf_msq_meta_stats(N, K - 1, t.meta, t.meta_len, &s, &e), -1);
    assert_non_null(strstr(e.msg, "after the last MaB"));
    /* columns must be put in order */
    mxf_msq_tensor u;
    assert_int_equal(mxf_msq_tensor_init(&u, &p, N, K, &e), 0);
    assert_int_equal(mxf_msq_tensor_put_column(&u, &p, 1, W, NULL, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "out of order"));
    mxf_msq_tensor_free(&u), mxf_msq_tensor_free(&t);
    free(W);
}

/* Quantizes W with `spec` and asks the router for every MaB's whole placement at width 128
 * (decoded from the stored permutation lists). Returns the MaBs that do not route. */
static int unroutable_mabs(const char *spec, const float *W, int N, int K, int *multi)
{
    mxf_qformat f;
    mxf_qtensor q;
    mxf_err e;
    assert_int_equal(mxf_qformat_parse(spec, &f, &e), 0);
    assert_int_equal(mxf_quantize(&f, W, N, K, &q, &e), 0);
    size_t o = 0;
    int bad = 0;
    *multi = 0;
    for (int k = 0; k < K; k++)
        for (int m = 0; m < N / MXF_MSQ_MAB; m++) {
            unsigned bitmap = q.meta[o + 1] | q.meta[o + 2] << 8;
            o += 3;
            int up[64], lo[64], n = 0;
            for (int u = 0; u < MXF_MSQ_NMUB; u++) {
                if (!(bitmap >> u & 1)) continue;
                uint32_t perm = q.meta[o + 1] | q.meta[o + 2] << 8 | (uint32_t)q.meta[o + 3] << 16;
                int nu = 0;
                for (int j = 0; j < 4; j++) {
                    int ent = perm >> (6 * j) & 63;
                    if (!ent) continue;
                    up[n] = 8 * u + (ent >> 3), lo[n] = 8 * u + (ent & 7);
                    n++, nu++;
                }
                *multi += nu > 1;
                o += 4;
            }
            mxf_recon_cfg cfg;
            bad += mxf_recon_route(MXF_MSQ_MAB, n, up, lo, &cfg, &e) != 0;
        }
    assert_int_equal(o, q.meta_len);
    mxf_qtensor_free(&q);
    return bad;
}

/* Every placement the packer stores with route=recon (the default) routes through a full-width
 * ReCoN; with route=any (the naive placement) some do not, so the check can fail. */
static void stored_placements_route(void **state)
{
    (void)state;
    const int N = 256, K = 64;
    float *W = make_crowded(N, K, 31);
    int multi;
    assert_int_equal(unroutable_mabs("microscopiq4", W, N, K, &multi), 0);
    assert_true(multi > 100);
    int naive_bad = unroutable_mabs("microscopiq4:route=any", W, N, K, &multi);
    print_message("%d multi-outlier uBs; naive placement leaves %d MaBs unroutable\n", multi,
                  naive_bad);
    assert_true(naive_bad > 0);
    free(W);
}

/* Spec -> quantize -> image -> read -> dequantize gives the quantizer's own dequantized weights,
 * for both slot widths and both modes; corrupt metadata is reported, never decoded. */
static void image_round_trip(void **state)
{
    (void)state;
    const int N = 136, K = 48, T = 512;
    float *W = make_weights(N, K, 41);
    mxf_synth_params sp;
    mxf_synth_default_params(&sp);
    float *X = malloc(sizeof(float) * T * K);
    assert_int_equal(mxf_synth_acts(&sp, 4, "r.in", T, K, X, NULL), 0);
    const char *specs[] = {"microscopiq2", "microscopiq4:group=128",
                           "microscopiq2:mode=gptq,damp=0.05", "microscopiq4:maxout=2,sigma=2.5"};
    char path[] = "/tmp/mxf_msq_img_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (int s = 0; s < 4; s++) {
        mxf_qformat f, g;
        mxf_qtensor q;
        mxf_err e;
        assert_int_equal(mxf_qformat_parse(specs[s], &f, &e), 0);
        char spec[512];
        mxf_qformat_spec(&f, spec, sizeof spec);
        assert_int_equal(mxf_qformat_parse(spec, &g, &e), 0); /* canonical spec round trip */
        char spec2[512];
        mxf_qformat_spec(&g, spec2, sizeof spec2);
        assert_string_equal(spec, spec2);
        assert_int_equal(mxf_quantize_calib(&f, W, N, K, X, T, K, &q, &e), 0);
        mxf_msq_tensor ref;
        float *D0 = malloc(sizeof(float) * N * K), *D1 = malloc(sizeof(float) * N * K);
        if (f.msq_gptq) { /* the same Hessian by hand */
            unsigned char dead[64];
            double *U = prepare_U(X, T, K, f.percdamp, dead);
            assert_int_equal(
                mxf_msq_quantize_gptq(&f.msq, W, N, K, U, dead, 128, &ref, D0, NULL, &e), 0);
            free(U);
        } else {
            assert_int_equal(mxf_msq_quantize_rtn(&f.msq, W, N, K, &ref, D0, &e), 0);
        }
        assert_int_equal(q.meta_len, ref.meta_len);
        assert_memory_equal(q.meta, ref.meta, ref.meta_len);
        assert_memory_equal(q.codes, ref.weights, ref.weights_len);
        const char *name = "layer.weight";
        assert_int_equal(mxf_image_write(path, 1, &name, &q, &e), 0);
        mxf_image img;
        assert_int_equal(mxf_image_read(path, &img, &e), 0);
        mxf_qtensor v;
        mxf_image_view(&img, 0, &v);
        assert_int_equal(mxf_dequantize(&v, D1, &e), 0);
        assert_memory_equal(D0, D1, sizeof(float) * N * K);
        mxf_image_free(&img);
        /* corruption: a truncated stream, a trailing byte, a bad permutation entry */
        mxf_qtensor c = q;
        c.meta_len = q.meta_len - 1;
        assert_int_equal(mxf_dequantize(&c, D1, &e), -1);
        assert_non_null(strstr(e.msg, "metadata"));
        c.meta = malloc(q.meta_len + 1);
        memcpy(c.meta, q.meta, q.meta_len);
        c.meta[q.meta_len] = 0;
        c.meta_len = q.meta_len + 1;
        assert_int_equal(mxf_dequantize(&c, D1, &e), -1);
        assert_non_null(strstr(e.msg, "after the last MaB"));
        c.meta_len = q.meta_len;
        size_t o = 0; /* first MaB with outliers: its first permutation entry gets Upper == Lower */
        while ((c.meta[o + 1] | c.meta[o + 2]) == 0) o += 3;
        c.meta[o + 4] = (uint8_t)((c.meta[o + 4] & 0xC0) | 0x09);
        assert_int_equal(mxf_dequantize(&c, D1, &e), -1);
        assert_non_null(strstr(e.msg, "uB"));
        free(c.meta);
        mxf_qtensor_free(&q);
        mxf_msq_tensor_free(&ref);
        free(D0), free(D1);
    }
    unlink(path);
    free(W), free(X);
}

/* Bad calibration and bad weights through the format layer: one clear message each. */
static void bad_calibration(void **state)
{
    (void)state;
    const int N = 128, K = 32, T = 64;
    float *W = make_weights(N, K, 51), *X = calloc((size_t)T * 40, sizeof(float));
    for (int i = 0; i < T * 40; i++) X[i] = (float)((i * 7919) % 13) - 6;
    mxf_qformat f;
    mxf_qtensor q;
    mxf_err e;
    assert_int_equal(mxf_qformat_parse("microscopiq2:mode=gptq", &f, &e), 0);
    assert_int_equal(mxf_quantize(&f, W, N, K, &q, &e), -1);
    assert_non_null(strstr(e.msg, "needs calibration"));
    assert_int_equal(mxf_quantize_calib(&f, W, N, K, X, T, 40, &q, &e), -1);
    assert_non_null(strstr(e.msg, "calibration width 40 != layer in_features 32"));
    X[5 * K + 2] = NAN;
    assert_int_equal(mxf_quantize_calib(&f, W, N, K, X, T, K, &q, &e), -1);
    assert_non_null(strstr(e.msg, "calibration"));
    X[5 * K + 2] = 1;
    W[3 * K + 4] = INFINITY;
    assert_int_equal(mxf_quantize_calib(&f, W, N, K, X, T, K, &q, &e), -1);
    assert_non_null(strstr(e.msg, "weight[3][4]"));
    W[3 * K + 4] = 0;
    /* all-zero calibration: every input is dead, every weight 0, still a valid tensor */
    memset(X, 0, sizeof(float) * T * K);
    assert_int_equal(mxf_quantize_calib(&f, W, N, K, X, T, K, &q, &e), 0);
    float *D = malloc(sizeof(float) * N * K);
    assert_int_equal(mxf_dequantize(&q, D, &e), 0);
    for (int i = 0; i < N * K; i++) assert_true(D[i] == 0.0f);
    mxf_qtensor_free(&q);
    assert_int_equal(mxf_qformat_parse("microscopiq2:group=16", &f, &e), -1);
    assert_non_null(strstr(e.msg, "group=16"));
    assert_int_equal(mxf_qformat_parse("microscopiq4:mode=fast", &f, &e), -1);
    assert_non_null(strstr(e.msg, "rtn or gptq"));
    free(W), free(X), free(D);
}

/* The Hessian mode's decoded weights are within the format's bound of what its quantizer
 * encoded (the error-updated weights, mxf_quantize_target), not of the original weights, which
 * error compensation moves on purpose; with H proportional to the identity the two coincide. */
static void gptq_decodes_within_bound_of_its_target(void **state)
{
    (void)state;
    const int N = 200, K = 64, T = 512;
    float *W = make_crowded(N, K, 17), *X = malloc(sizeof(float) * T * K);
    mxf_synth_params sp;
    mxf_synth_default_params(&sp);
    assert_int_equal(mxf_synth_acts(&sp, 8, "g.in", T, K, X, NULL), 0);
    for (int bb = 2; bb <= 4; bb += 2) {
        mxf_qformat f;
        mxf_qtensor q;
        mxf_err e;
        assert_int_equal(mxf_qformat_parse(
                             bb == 2 ? "microscopiq2:mode=gptq" : "microscopiq4:mode=gptq", &f, &e),
                         0);
        float *tgt = malloc(sizeof(float) * N * K), *D = malloc(sizeof(float) * N * K);
        assert_int_equal(mxf_quantize_target(&f, W, N, K, X, T, K, &q, tgt, &e), 0);
        assert_int_equal(mxf_dequantize(&q, D, &e), 0);
        mxf_qverify v;
        assert_int_equal(mxf_qverify_tensor(&q, tgt, D, &v, &e), 0);
        assert_int_equal(v.violations, 0);
        assert_true(v.count[MXF_QC_OUTLIER] > 0 && v.count[MXF_QC_PRUNED] > 0);
        assert_int_equal(mxf_qverify_tensor(&q, W, D, &v, &e), 0);
        assert_true(v.violations > 0); /* against W: compensation moved them */
        /* the target is the column the quantizer saw: column 0 is the original one */
        for (int n = 0; n < N; n++) assert_true(tgt[n * K] == W[n * K]);
        mxf_qtensor_free(&q);
        free(tgt), free(D);
        /* H proportional to I: no compensation, the target is W */
        double *U = calloc((size_t)K * K, sizeof(double));
        for (int k = 0; k < K; k++) U[k * K + k] = 0.5;
        mxf_msq_tensor t;
        float *t2 = malloc(sizeof(float) * N * K);
        assert_int_equal(
            mxf_msq_quantize_gptq_target(&f.msq, W, N, K, U, NULL, 128, &t, NULL, t2, NULL, &e), 0);
        assert_memory_equal(t2, W, sizeof(float) * N * K);
        mxf_msq_tensor_free(&t);
        free(U), free(t2);
    }
    free(W), free(X);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gptq_with_identity_hessian_is_rtn),
        cmocka_unit_test(gptq_beats_rtn_on_output_error),
        cmocka_unit_test(dead_inputs_and_zero_blocks),
        cmocka_unit_test(meta_stats_match_quantizer),
        cmocka_unit_test(stored_placements_route),
        cmocka_unit_test(image_round_trip),
        cmocka_unit_test(bad_calibration),
        cmocka_unit_test(gptq_decodes_within_bound_of_its_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
