/* GPTQ column loop with lazy block updates, generic over the per-column quantizer. */
#include "gptq.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double mxf_gptq_saliency(double w, double d)
{
    return (w * w) / (d * d);
}

int mxf_gptq_least_salient(const double *w, const unsigned char *eligible, int len, double d,
                           int want, int *idx)
{
    int got = 0;
    /* Selection by repeated minimum: len is a uB (8) or a MaB (128), want <= 4. */
    while (got < want) {
        int best = -1;
        double bs = 0.0;
        for (int i = 0; i < len; i++) {
            if (eligible && !eligible[i]) continue;
            int taken = 0;
            for (int t = 0; t < got; t++) taken |= idx[t] == i;
            if (taken) continue;
            double s = mxf_gptq_saliency(w[i], d);
            if (best < 0 || s < bs) best = i, bs = s;
        }
        if (best < 0) break;
        idx[got++] = best;
    }
    return got;
}

int mxf_gptq_run(const float *W, int N, int K, const double *U, const unsigned char *dead,
                 int block, mxf_gptq_quant_fn quant, void *ctx, float *Q, mxf_gptq_stats *st,
                 mxf_err *err)
{
    if (N < 1 || K < 1) return mxf_fail(err, "gptq: bad shape %d x %d", N, K);
    if (block < 1) return mxf_fail(err, "gptq: block size %d < 1", block);
    if (!quant) return mxf_fail(err, "gptq: no quantizer callback");
    const size_t n = (size_t)N, kk = (size_t)K;
    for (size_t r = 0; r < n; r++)
        for (size_t c = 0; c < kk; c++) {
            float v = W[r * kk + c];
            if (!isfinite(v))
                return mxf_fail(err, "gptq: weight [%zu][%zu] is %s", r, c,
                                isnan(v) ? "NaN" : "Inf");
        }
    for (size_t c = 0; c < kk; c++) {
        double d = U[c * kk + c];
        if (!isfinite(d) || d <= 0.0)
            return mxf_fail(err, "gptq: factor diagonal U[%zu][%zu] = %g is not positive", c, c, d);
    }
    if (block > K) block = K;
    /* Wt: K x N, column k of W contiguous. Err: block x N. q: N. */
    double *Wt = malloc(kk * n * sizeof(double));
    double *E = malloc((size_t)block * n * sizeof(double));
    double *q = malloc(n * sizeof(double));
    if (!Wt || !E || !q) {
        free(Wt), free(E), free(q);
        return mxf_fail(err, "gptq: out of memory for a %d x %d layer", N, K);
    }
    mxf_gptq_stats s = {0};
    /* Transpose in tiles for locality. */
    const size_t T = 64;
    for (size_t r0 = 0; r0 < n; r0 += T)
        for (size_t c0 = 0; c0 < kk; c0 += T)
            for (size_t r = r0; r < r0 + T && r < n; r++)
                for (size_t c = c0; c < c0 + T && c < kk; c++) Wt[c * n + r] = W[r * kk + c];
    if (dead)
        for (size_t c = 0; c < kk; c++)
            if (dead[c]) {
                memset(&Wt[c * n], 0, n * sizeof(double));
                s.dead++;
            }
    int rc = 0;
    for (int i1 = 0; i1 < K && rc == 0; i1 += block) {
        const int i2 = i1 + block < K ? i1 + block : K;
        const int nb = i2 - i1;
        for (int j = i1; j < i2; j++) {
            double *w = &Wt[(size_t)j * n];
            const double d = U[(size_t)j * kk + j];
            rc = quant(ctx, j, w, N, d, q, err);
            if (rc) {
                rc = mxf_fail_prefix(err, "gptq column %d: ", j);
                break;
            }
            double *e = &E[(size_t)(j - i1) * n];
            for (size_t r = 0; r < n; r++) {
                if (!isfinite(q[r])) {
                    rc = mxf_fail(err,
                                  "gptq column %d: quantizer returned a non-finite value "
                                  "for row %zu",
                                  j, r);
                    break;
                }
                double diff = w[r] - q[r];
                s.loss += diff * diff / (d * d) / 2.0;
                s.zeroed += q[r] == 0.0 && w[r] != 0.0;
                e[r] = diff / d;
                Q[r * kk + (size_t)j] = (float)q[r];
            }
            if (rc) break;
            /* Columns j+1 .. i2-1 of this block: w_j' -= U[j][j'] e. */
            if (j + 1 < i2)
                cblas_dger(CblasRowMajor, i2 - j - 1, N, -1.0, &U[(size_t)j * kk + j + 1], 1, e, 1,
                           &Wt[(size_t)(j + 1) * n], N);
        }
        if (rc) break;
        /* Lazy update of everything after the block: Wt[i2:, :] -= U[i1:i2, i2:]^T E. */
        if (i2 < K)
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K - i2, N, nb, -1.0,
                        &U[(size_t)i1 * kk + i2], K, E, N, 1.0, &Wt[(size_t)i2 * n], N);
    }
    free(Wt), free(E), free(q);
    if (rc) return rc;
    if (st) *st = s;
    return 0;
}
