/* Hessian, damped Cholesky inverse and the GPTQ loop against naive O(n^3) double references
 * written here from the definitions (no BLAS/LAPACK), plus hand-derived small cases, error
 * compensation vs round-to-nearest, dead / singular Hessians and NaN/Inf rejection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gptq.h"
#include "hessian.h"
#include "rng.h"

/* ---------- naive references ---------- */

/* H = (2/T) X^T X, X T x K row-major. */
static void ref_hessian(const float *X, int T, int K, double *H)
{
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) {
            double s = 0;
            for (int t = 0; t < T; t++) s += (double)X[t * K + i] * (double)X[t * K + j];
            H[i * K + j] = 2.0 * s / T;
        }
}

/* Lower Cholesky A = L L^T (Cholesky-Banachiewicz). Returns -1 when not positive definite. */
static int ref_chol_lower(const double *A, int n, double *L)
{
    memset(L, 0, sizeof(double) * n * n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j <= i; j++) {
            double s = A[i * n + j];
            for (int p = 0; p < j; p++) s -= L[i * n + p] * L[j * n + p];
            if (i == j) {
                if (s <= 0) return -1;
                L[i * n + i] = sqrt(s);
            } else {
                L[i * n + j] = s / L[j * n + j];
            }
        }
    return 0;
}

/* Inverse of an SPD matrix by solving L L^T x = e_i column by column. */
static void ref_inverse(const double *A, int n, double *Ainv)
{
    double *L = malloc(sizeof(double) * n * n), *y = malloc(sizeof(double) * n);
    assert_int_equal(ref_chol_lower(A, n, L), 0);
    for (int c = 0; c < n; c++) {
        for (int i = 0; i < n; i++) { /* L y = e_c */
            double s = i == c;
            for (int p = 0; p < i; p++) s -= L[i * n + p] * y[p];
            y[i] = s / L[i * n + i];
        }
        for (int i = n - 1; i >= 0; i--) { /* L^T x = y */
            double s = y[i];
            for (int p = i + 1; p < n; p++) s -= L[p * n + i] * Ainv[p * n + c];
            Ainv[i * n + c] = s / L[i * n + i];
        }
    }
    free(L), free(y);
}

/* Reference preparation: dead inputs, damping, inverse, upper factor U (U^T U = Hinv). */
static void ref_prepare(const double *H, int n, double percdamp, double *U, unsigned char *dead)
{
    double *A = malloc(sizeof(double) * n * n), *Hi = calloc((size_t)n * n, sizeof(double));
    double *L = malloc(sizeof(double) * n * n);
    memcpy(A, H, sizeof(double) * n * n);
    double mean = 0;
    for (int i = 0; i < n; i++) {
        dead[i] = A[i * n + i] == 0;
        if (dead[i]) A[i * n + i] = 1;
        mean += A[i * n + i];
    }
    mean /= n;
    for (int i = 0; i < n; i++) A[i * n + i] += percdamp * mean;
    ref_inverse(A, n, Hi);
    assert_int_equal(ref_chol_lower(Hi, n, L), 0);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) U[i * n + j] = L[j * n + i]; /* U = L^T */
    free(A), free(Hi), free(L);
}

typedef int (*ref_quant)(void *ctx, int k, const double *w, int n, double d, double *q);

/* Unblocked GPTQ straight from the definition. */
static void ref_gptq(const float *W, int N, int K, const double *U, const unsigned char *dead,
                     ref_quant quant, void *ctx, double *Q)
{
    double *Wd = malloc(sizeof(double) * N * K), *col = malloc(sizeof(double) * N);
    double *q = malloc(sizeof(double) * N);
    for (int i = 0; i < N * K; i++) Wd[i] = W[i];
    for (int k = 0; k < K; k++)
        if (dead && dead[k])
            for (int r = 0; r < N; r++) Wd[r * K + k] = 0;
    for (int k = 0; k < K; k++) {
        for (int r = 0; r < N; r++) col[r] = Wd[r * K + k];
        double d = U[k * K + k];
        quant(ctx, k, col, N, d, q);
        for (int r = 0; r < N; r++) {
            Q[r * K + k] = q[r];
            double e = (col[r] - q[r]) / d;
            for (int j = k + 1; j < K; j++) Wd[r * K + j] -= e * U[k * K + j];
        }
    }
    free(Wd), free(col), free(q);
}

/* ---------- quantizers ---------- */

typedef struct grid {
    double step;
    int levels; /* clamp to +-levels steps */
    int prune_per8;
} grid;

static double round_grid(const grid *g, double v)
{
    double m = round(v / g->step);
    if (m > g->levels) m = g->levels;
    if (m < -g->levels) m = -g->levels;
    return m * g->step;
}

/* Reference quantizer: round to the grid; optionally prune (set 0) the prune_per8 entries of
 * smallest |w| in each group of 8 (lower index on ties), selected by plain scanning. */
static int ref_grid_quant(void *ctx, int k, const double *w, int n, double d, double *q)
{
    (void)k, (void)d;
    const grid *g = ctx;
    for (int r = 0; r < n; r++) q[r] = round_grid(g, w[r]);
    for (int b = 0; b + 8 <= n; b += 8) {
        int used[8] = {0};
        for (int p = 0; p < g->prune_per8; p++) {
            int best = -1;
            for (int i = 0; i < 8; i++)
                if (!used[i] && (best < 0 || fabs(w[b + i]) < fabs(w[b + best]))) best = i;
            used[best] = 1;
            q[b + best] = 0;
        }
    }
    return 0;
}

/* Quantizer under test: the same rule through the library's saliency helper. */
static int lib_grid_quant(void *ctx, int k, const double *w, int n, double d, double *q,
                          mxf_err *err)
{
    (void)k, (void)err;
    const grid *g = ctx;
    for (int r = 0; r < n; r++) q[r] = round_grid(g, w[r]);
    for (int b = 0; b + 8 <= n; b += 8) {
        int idx[8];
        int got = mxf_gptq_least_salient(&w[b], NULL, 8, d, g->prune_per8, idx);
        for (int i = 0; i < got; i++) q[b + idx[i]] = 0;
    }
    return 0;
}

static void fill_normal(mxf_rng *r, float *x, int n, double scale)
{
    for (int i = 0; i < n; i++) x[i] = (float)(scale * mxf_rng_normal(r));
}

/* Correlated calibration activations: x = z A + a few heavy features. */
static float *make_calib(uint64_t seed, int T, int K)
{
    mxf_rng r;
    mxf_rng_seed(&r, seed);
    double *A = malloc(sizeof(double) * K * K);
    for (int i = 0; i < K * K; i++) A[i] = mxf_rng_normal(&r) / sqrt(K);
    for (int i = 0; i < K; i++) A[i * K + i] += 1.0;
    float *X = malloc(sizeof(float) * T * K);
    double *z = malloc(sizeof(double) * K);
    for (int t = 0; t < T; t++) {
        for (int i = 0; i < K; i++) z[i] = mxf_rng_normal(&r) * (i % 7 == 0 ? 4.0 : 1.0);
        for (int j = 0; j < K; j++) {
            double s = 0;
            for (int i = 0; i < K; i++) s += z[i] * A[i * K + j];
            X[t * K + j] = (float)s;
        }
    }
    free(A), free(z);
    return X;
}

static double max_abs_diff(const double *a, const double *b, int n)
{
    double m = 0;
    for (int i = 0; i < n; i++) m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

/* ---------- tests ---------- */

static void hessian_matches_naive(void **state)
{
    (void)state;
    const int T = 37, K = 19;
    mxf_rng r;
    mxf_rng_seed(&r, 11);
    float X[37 * 19];
    fill_normal(&r, X, T * K, 1.5);
    mxf_hessian h;
    mxf_err e;
    assert_int_equal(mxf_hessian_init(&h, K, &e), 0);
    assert_int_equal(mxf_hessian_add(&h, X, 20, K, &e), 0); /* two batches */
    assert_int_equal(mxf_hessian_add(&h, X + 20 * K, T - 20, K, &e), 0);
    assert_int_equal(h.tokens, T);
    double H[19 * 19], R[19 * 19];
    assert_int_equal(mxf_hessian_get(&h, H, &e), 0);
    ref_hessian(X, T, K, R);
    assert_true(max_abs_diff(H, R, K * K) < 1e-10);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) assert_true(H[i * K + j] == H[j * K + i]);
    mxf_hessian_free(&h);
}

/* Hand-derived 2x2: H = [[4,2],[2,2]], percdamp 0.5 -> lambda = 0.5 * 3 = 1.5,
 * Hd = [[5.5,2],[2,3.5]], det 15.25, Hd^-1 = [[3.5,-2],[-2,5.5]] / 15.25,
 * U = [[a,b],[0,c]] with a^2 = 3.5/15.25, a b = -2/15.25, b^2 + c^2 = 5.5/15.25. */
static void prepare_2x2_by_hand(void **state)
{
    (void)state;
    const double H[4] = {4, 2, 2, 2};
    double U[4];
    unsigned char dead[2];
    int nd = -1;
    mxf_err e;
    assert_int_equal(mxf_hessian_prepare(H, 2, 0.5, U, dead, &nd, &e), 0);
    double a = sqrt(3.5 / 15.25), b = (-2 / 15.25) / a, c = sqrt(5.5 / 15.25 - b * b);
    assert_true(fabs(U[0] - a) < 1e-14);
    assert_true(fabs(U[1] - b) < 1e-14);
    assert_true(U[2] == 0.0);
    assert_true(fabs(U[3] - c) < 1e-14);
    assert_int_equal(nd, 0);
    assert_int_equal(dead[0] + dead[1], 0);
}

static void prepare_matches_naive(void **state)
{
    (void)state;
    const int T = 80, K = 45;
    float *X = make_calib(5, T, K);
    double *H = malloc(sizeof(double) * K * K), *U = malloc(sizeof(double) * K * K);
    double *R = malloc(sizeof(double) * K * K);
    ref_hessian(X, T, K, H);
    unsigned char dead[45], rdead[45];
    mxf_err e;
    assert_int_equal(mxf_hessian_prepare(H, K, 0.01, U, dead, NULL, &e), 0);
    ref_prepare(H, K, 0.01, R, rdead);
    double scale = 0;
    for (int i = 0; i < K * K; i++) scale = fmax(scale, fabs(R[i]));
    assert_true(max_abs_diff(U, R, K * K) < 1e-9 * scale);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < i; j++) assert_true(U[i * K + j] == 0.0);
    free(X), free(H), free(U), free(R);
}

/* Full pipeline (Hessian -> prepare -> blocked loop) vs the unblocked reference. */
static void run_vs_reference(int N, int K, int T, int block, int prune, uint64_t seed)
{
    float *X = make_calib(seed, T, K);
    float *W = malloc(sizeof(float) * N * K), *Q = malloc(sizeof(float) * N * K);
    mxf_rng r;
    mxf_rng_seed(&r, seed + 100);
    fill_normal(&r, W, N * K, 0.05);
    mxf_hessian h;
    mxf_err e;
    assert_int_equal(mxf_hessian_init(&h, K, &e), 0);
    assert_int_equal(mxf_hessian_add(&h, X, T, K, &e), 0);
    double *H = malloc(sizeof(double) * K * K), *U = malloc(sizeof(double) * K * K);
    double *RU = malloc(sizeof(double) * K * K), *RQ = malloc(sizeof(double) * N * K);
    double *HR = malloc(sizeof(double) * K * K);
    unsigned char *dead = malloc(K), *rdead = malloc(K);
    assert_int_equal(mxf_hessian_get(&h, H, &e), 0);
    assert_int_equal(mxf_hessian_prepare(H, K, 0.01, U, dead, NULL, &e), 0);
    ref_hessian(X, T, K, HR);
    ref_prepare(HR, K, 0.01, RU, rdead);
    grid g = {0.02, 7, prune};
    mxf_gptq_stats st;
    assert_int_equal(mxf_gptq_run(W, N, K, U, dead, block, lib_grid_quant, &g, Q, &st, &e), 0);
    ref_gptq(W, N, K, RU, rdead, ref_grid_quant, &g, RQ);
    int mismatches = 0;
    for (int i = 0; i < N * K; i++) mismatches += fabs(Q[i] - RQ[i]) > 1e-6;
    if (mismatches) print_error("%d of %d quantized values differ\n", mismatches, N * K);
    assert_int_equal(mismatches, 0);
    if (prune) assert_true(st.zeroed >= prune * (N / 8) * K);
    mxf_hessian_free(&h);
    free(X), free(W), free(Q), free(H), free(U), free(RU), free(RQ), free(HR), free(dead),
        free(rdead);
}

static void gptq_blocked_equals_unblocked(void **state)
{
    (void)state;
    run_vs_reference(24, 300, 400, MXF_GPTQ_BLOCK_DEFAULT, 0, 21); /* 3 blocks, last partial */
    run_vs_reference(16, 37, 60, 7, 0, 22);                        /* odd block size */
    run_vs_reference(8, 5, 9, 1, 0, 23);                           /* block 1 */
    run_vs_reference(8, 20, 30, 1000, 0, 24);                      /* block > K */
}

/* Pruned weights (q = 0) must feed their whole value into the compensation. */
static void gptq_pruning_equals_unblocked(void **state)
{
    (void)state;
    run_vs_reference(32, 150, 200, MXF_GPTQ_BLOCK_DEFAULT, 1, 31);
    run_vs_reference(16, 70, 90, 16, 3, 32);
}

static int prune_first(void *ctx, int k, const double *w, int n, double d, double *q, mxf_err *er)
{
    (void)ctx, (void)d, (void)er;
    for (int r = 0; r < n; r++) q[r] = k == 0 ? 0.0 : w[r];
    return 0;
}

/* The compensation must be what the loop does: a quantizer that is exact except for pruning
 * the first weight gives, for a K=2 layer, q1 = w1 - w0 * U01 / U00 (hand formula). */
static void pruned_error_is_compensated_by_hand(void **state)
{
    (void)state;
    const double H[4] = {2, 1, 1, 3};
    double U[4];
    mxf_err e;
    assert_int_equal(mxf_hessian_prepare(H, 2, 0.0, U, NULL, NULL, &e), 0);
    /* Hd^-1 = [[3,-1],[-1,2]]/5: U00 = sqrt(3/5), U01 = (-1/5)/U00 */
    double u00 = sqrt(0.6), u01 = -0.2 / u00;
    assert_true(fabs(U[0] - u00) < 1e-14 && fabs(U[1] - u01) < 1e-14);
    const float W[2] = {0.5f, 0.25f};
    float Q[2];
    mxf_gptq_stats st;
    assert_int_equal(mxf_gptq_run(W, 1, 2, U, NULL, 128, prune_first, NULL, Q, &st, &e), 0);
    assert_true(Q[0] == 0.0f);
    double want = 0.25 - (0.5 / u00) * u01; /* = 0.25 + 0.5 / 3 */
    assert_true(fabs(Q[1] - want) < 1e-6);
    assert_true(fabs(want - (0.25 + 0.5 / 3.0)) < 1e-12);
    assert_int_equal(st.zeroed, 1);
}

static void least_salient_by_hand(void **state)
{
    (void)state;
    const double w[6] = {0.5, -0.1, 0.1, 0.3, -0.05, 0.2};
    int idx[4];
    assert_int_equal(mxf_gptq_least_salient(w, NULL, 6, 2.0, 3, idx), 3);
    assert_int_equal(idx[0], 4); /* 0.05 */
    assert_int_equal(idx[1], 1); /* -0.1 ties 0.1: lower index first */
    assert_int_equal(idx[2], 2);
    const unsigned char elig[6] = {1, 0, 1, 1, 0, 1};
    assert_int_equal(mxf_gptq_least_salient(w, elig, 6, 2.0, 4, idx), 4);
    assert_int_equal(idx[0], 2);
    assert_int_equal(idx[1], 5);
    assert_int_equal(idx[2], 3);
    assert_int_equal(idx[3], 0);
    assert_int_equal(mxf_gptq_least_salient(w, elig, 6, 2.0, 9, idx), 4); /* only 4 eligible */
    assert_true(fabs(mxf_gptq_saliency(0.3, 0.5) - 0.36) < 1e-15);
}

static double output_error(const float *X, int T, int K, const float *W, const float *Q, int N)
{
    double s = 0;
    for (int t = 0; t < T; t++)
        for (int r = 0; r < N; r++) {
            double y = 0;
            for (int k = 0; k < K; k++)
                y += (double)X[t * K + k] * ((double)W[r * K + k] - Q[r * K + k]);
            s += y * y;
        }
    return s;
}

static void compensation_beats_rtn(void **state)
{
    (void)state;
    const int N = 32, K = 64, T = 256;
    for (uint64_t seed = 41; seed < 44; seed++) {
        float *X = make_calib(seed, T, K);
        float *W = malloc(sizeof(float) * N * K), *Q = malloc(sizeof(float) * N * K);
        float *R = malloc(sizeof(float) * N * K);
        mxf_rng r;
        mxf_rng_seed(&r, seed * 7);
        fill_normal(&r, W, N * K, 0.05);
        grid g = {0.04, 3, 0}; /* coarse: 7 levels */
        for (int i = 0; i < N * K; i++) R[i] = (float)round_grid(&g, W[i]);
        mxf_hessian h;
        mxf_err e;
        double *H = malloc(sizeof(double) * K * K), *U = malloc(sizeof(double) * K * K);
        assert_int_equal(mxf_hessian_init(&h, K, &e), 0);
        assert_int_equal(mxf_hessian_add(&h, X, T, K, &e), 0);
        assert_int_equal(mxf_hessian_get(&h, H, &e), 0);
        assert_int_equal(mxf_hessian_prepare(H, K, 0.01, U, NULL, NULL, &e), 0);
        assert_int_equal(mxf_gptq_run(W, N, K, U, NULL, 16, lib_grid_quant, &g, Q, NULL, &e), 0);
        double eg = output_error(X, T, K, W, Q, N), er = output_error(X, T, K, W, R, N);
        print_message("seed %llu: output error GPTQ %.4g vs RTN %.4g (ratio %.3f)\n",
                      (unsigned long long)seed, eg, er, eg / er);
        assert_true(eg < 0.8 * er);
        mxf_hessian_free(&h);
        free(X), free(W), free(Q), free(R), free(H), free(U);
    }
}

static void dead_and_singular_inputs(void **state)
{
    (void)state;
    /* Rank-deficient (T < K) with two dead features. */
    const int N = 16, K = 24, T = 6;
    float *X = make_calib(51, T, K);
    for (int t = 0; t < T; t++) X[t * K + 3] = X[t * K + 17] = 0.0f;
    mxf_hessian h;
    mxf_err e;
    assert_int_equal(mxf_hessian_init(&h, K, &e), 0);
    assert_int_equal(mxf_hessian_add(&h, X, T, K, &e), 0);
    double *H = malloc(sizeof(double) * K * K), *U = malloc(sizeof(double) * K * K);
    unsigned char dead[24];
    int nd = 0;
    assert_int_equal(mxf_hessian_get(&h, H, &e), 0);
    assert_int_equal(mxf_hessian_prepare(H, K, 0.01, U, dead, &nd, &e), 0);
    assert_int_equal(nd, 2);
    for (int i = 0; i < K; i++) assert_int_equal(dead[i], i == 3 || i == 17);
    float W[16 * 24], Q[16 * 24];
    mxf_rng r;
    mxf_rng_seed(&r, 52);
    fill_normal(&r, W, N * K, 0.05);
    grid g = {0.02, 7, 1};
    mxf_gptq_stats st;
    assert_int_equal(mxf_gptq_run(W, N, K, U, dead, 128, lib_grid_quant, &g, Q, &st, &e), 0);
    assert_int_equal(st.dead, 2);
    for (int i = 0; i < N * K; i++) assert_true(isfinite(Q[i]));
    for (int n = 0; n < N; n++) assert_true(Q[n * K + 3] == 0.0f && Q[n * K + 17] == 0.0f);

    /* All-zero calibration: every input dead -> H = I, damped 1.01 I, U = I / sqrt(1.01). */
    float Z[4 * 5] = {0};
    mxf_hessian z;
    assert_int_equal(mxf_hessian_init(&z, 5, &e), 0);
    assert_int_equal(mxf_hessian_add(&z, Z, 4, 5, &e), 0);
    double HZ[25], UZ[25];
    assert_int_equal(mxf_hessian_get(&z, HZ, &e), 0);
    assert_int_equal(mxf_hessian_prepare(HZ, 5, 0.01, UZ, NULL, &nd, &e), 0);
    assert_int_equal(nd, 5);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++)
            assert_true(fabs(UZ[i * 5 + j] - (i == j ? 1.0 / sqrt(1.01) : 0.0)) < 1e-15);

    /* Singular but not dead, without damping: rejected with a clear message. */
    const double S[4] = {1, 1, 1, 1};
    double US[4];
    assert_int_equal(mxf_hessian_prepare(S, 2, 0.0, US, NULL, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "not positive definite"));
    assert_non_null(strstr(e.msg, "percdamp"));
    /* ... and accepted with the default damping. */
    assert_int_equal(mxf_hessian_prepare(S, 2, 0.01, US, NULL, NULL, &e), 0);
    mxf_hessian_free(&h);
    mxf_hessian_free(&z);
    free(X), free(H), free(U);
}

static void bad_inputs_rejected(void **state)
{
    (void)state;
    mxf_hessian h;
    mxf_err e;
    assert_int_equal(mxf_hessian_init(&h, 6, &e), 0);
    float X[3 * 6] = {0};
    for (int i = 0; i < 18; i++) X[i] = (float)i;
    X[2 * 6 + 5] = NAN;
    assert_int_equal(mxf_hessian_add(&h, X, 3, 6, &e), -1);
    assert_string_equal(e.msg, "hessian: calibration token 2 feature 5 is NaN");
    assert_int_equal(h.tokens, 0);
    for (int i = 0; i < 36; i++) assert_true(h.xtx[i] == 0.0); /* unchanged */
    X[2 * 6 + 5] = INFINITY;
    assert_int_equal(mxf_hessian_add(&h, X, 3, 6, &e), -1);
    assert_string_equal(e.msg, "hessian: calibration token 2 feature 5 is Inf");
    assert_int_equal(mxf_hessian_add(&h, X, 3, 5, &e), -1);
    assert_string_equal(e.msg, "hessian: calibration width 5 != layer in_features 6");
    double H[36];
    assert_int_equal(mxf_hessian_get(&h, H, &e), -1);
    assert_non_null(strstr(e.msg, "no calibration tokens"));
    mxf_hessian_free(&h);
    assert_int_equal(mxf_hessian_init(&h, 0, &e), -1);

    double Hn[4] = {1, 0, 0, 1}, U[4];
    Hn[1] = Hn[2] = NAN;
    assert_int_equal(mxf_hessian_prepare(Hn, 2, 0.01, U, NULL, NULL, &e), -1);
    assert_string_equal(e.msg, "hessian: H[0][1] is NaN");
    double Hneg[4] = {-1, 0, 0, 1};
    assert_int_equal(mxf_hessian_prepare(Hneg, 2, 0.01, U, NULL, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "negative diagonal"));
    double I2[4] = {1, 0, 0, 1};
    assert_int_equal(mxf_hessian_prepare(I2, 2, -0.1, U, NULL, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "percdamp"));
    assert_int_equal(mxf_hessian_prepare(I2, 2, 0.0, U, NULL, NULL, &e), 0);

    float W[2 * 2] = {0.1f, 0.2f, 0.3f, 0.4f}, Q[4];
    W[1 * 2 + 0] = -INFINITY;
    grid g = {0.1, 7, 0};
    assert_int_equal(mxf_gptq_run(W, 2, 2, U, NULL, 128, lib_grid_quant, &g, Q, NULL, &e), -1);
    assert_string_equal(e.msg, "gptq: weight [1][0] is Inf");
    W[1 * 2 + 0] = 0.3f;
    double Ubad[4] = {0, 0, 0, 1};
    assert_int_equal(mxf_gptq_run(W, 2, 2, Ubad, NULL, 128, lib_grid_quant, &g, Q, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "not positive"));
    assert_int_equal(mxf_gptq_run(W, 2, 2, U, NULL, 0, lib_grid_quant, &g, Q, NULL, &e), -1);
}

static int failing_quant(void *ctx, int k, const double *w, int n, double d, double *q,
                         mxf_err *err)
{
    (void)ctx, (void)w, (void)d;
    for (int r = 0; r < n; r++) q[r] = 0;
    if (k == 1) return mxf_fail(err, "uB 0: no routable placement");
    return 0;
}

static int nan_quant(void *ctx, int k, const double *w, int n, double d, double *q, mxf_err *err)
{
    (void)ctx, (void)k, (void)w, (void)d, (void)err;
    for (int r = 0; r < n; r++) q[r] = r == 1 ? NAN : 0;
    return 0;
}

static void callback_failures_propagate(void **state)
{
    (void)state;
    const double U[9] = {1, 0.1, 0.2, 0, 1, 0.3, 0, 0, 1};
    const float W[2 * 3] = {1, 2, 3, 4, 5, 6};
    float Q[6];
    mxf_err e;
    assert_int_equal(mxf_gptq_run(W, 2, 3, U, NULL, 2, failing_quant, NULL, Q, NULL, &e), -1);
    assert_string_equal(e.msg, "gptq column 1: uB 0: no routable placement");
    assert_int_equal(mxf_gptq_run(W, 2, 3, U, NULL, 2, nan_quant, NULL, Q, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "non-finite value for row 1"));
}

int main(void)
{
    openblas_set_num_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hessian_matches_naive),
        cmocka_unit_test(prepare_2x2_by_hand),
        cmocka_unit_test(prepare_matches_naive),
        cmocka_unit_test(gptq_blocked_equals_unblocked),
        cmocka_unit_test(gptq_pruning_equals_unblocked),
        cmocka_unit_test(pruned_error_is_compensated_by_hand),
        cmocka_unit_test(least_salient_by_hand),
        cmocka_unit_test(compensation_beats_rtn),
        cmocka_unit_test(dead_and_singular_inputs),
        cmocka_unit_test(bad_inputs_rejected),
        cmocka_unit_test(callback_failures_propagate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
