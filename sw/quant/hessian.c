/* Layer Hessian accumulation and the damped Cholesky inverse used by the GPTQ loop.
 * See hessian.h for the conventions (averaged H, dead inputs, damping, factor layout). */
#include "hessian.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MXF_HESSIAN_MAX_K 65536
#define CHUNK_TOKENS 256

int mxf_hessian_init(mxf_hessian *h, int k, mxf_err *err)
{
    memset(h, 0, sizeof *h);
    if (k < 1 || k > MXF_HESSIAN_MAX_K)
        return mxf_fail(err, "hessian: in_features %d outside [1, %d]", k, MXF_HESSIAN_MAX_K);
    h->xtx = calloc((size_t)k * (size_t)k, sizeof(double));
    if (!h->xtx) return mxf_fail(err, "hessian: out of memory for a %d x %d matrix", k, k);
    h->k = k;
    return 0;
}

void mxf_hessian_free(mxf_hessian *h)
{
    if (!h) return;
    free(h->xtx);
    memset(h, 0, sizeof *h);
}

int mxf_hessian_add(mxf_hessian *h, const float *X, int T, int width, mxf_err *err)
{
    if (!h || !h->xtx) return mxf_fail(err, "hessian: accumulator not initialised");
    if (width != h->k)
        return mxf_fail(err, "hessian: calibration width %d != layer in_features %d", width, h->k);
    if (T < 0) return mxf_fail(err, "hessian: negative token count %d", T);
    if (T == 0) return 0;
    if (!X) return mxf_fail(err, "hessian: no calibration data for %d tokens", T);
    const int k = h->k;
    /* Validate everything first so a rejected batch leaves the accumulator unchanged. */
    for (int t = 0; t < T; t++)
        for (int i = 0; i < k; i++) {
            float v = X[(size_t)t * k + i];
            if (!isfinite(v))
                return mxf_fail(err, "hessian: calibration token %d feature %d is %s", t, i,
                                isnan(v) ? "NaN" : "Inf");
        }
    int chunk = T < CHUNK_TOKENS ? T : CHUNK_TOKENS;
    double *xd = malloc((size_t)chunk * (size_t)k * sizeof(double));
    if (!xd) return mxf_fail(err, "hessian: out of memory for a %d x %d batch", chunk, k);
    for (int t0 = 0; t0 < T; t0 += chunk) {
        int nt = T - t0 < chunk ? T - t0 : chunk;
        for (size_t i = 0; i < (size_t)nt * k; i++) xd[i] = X[(size_t)t0 * k + i];
        /* xtx (upper, row-major) += xd^T xd */
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, k, nt, 1.0, xd, k, 1.0, h->xtx, k);
    }
    free(xd);
    h->tokens += T;
    return 0;
}

int mxf_hessian_get(const mxf_hessian *h, double *H, mxf_err *err)
{
    if (!h || !h->xtx) return mxf_fail(err, "hessian: accumulator not initialised");
    if (h->tokens <= 0) return mxf_fail(err, "hessian: no calibration tokens accumulated");
    const int k = h->k;
    const double s = 2.0 / (double)h->tokens;
    for (int i = 0; i < k; i++)
        for (int j = i; j < k; j++) {
            double v = s * h->xtx[(size_t)i * k + j];
            H[(size_t)i * k + j] = v;
            H[(size_t)j * k + i] = v;
        }
    return 0;
}

int mxf_hessian_prepare(const double *H, int k, double percdamp, double *U, unsigned char *dead,
                        int *n_dead, mxf_err *err)
{
    if (k < 1 || k > MXF_HESSIAN_MAX_K)
        return mxf_fail(err, "hessian: size %d outside [1, %d]", k, MXF_HESSIAN_MAX_K);
    if (!(percdamp >= 0.0 && percdamp <= 1.0))
        return mxf_fail(err, "hessian: percdamp %g outside [0, 1]", percdamp);
    const size_t kk = (size_t)k;
    for (size_t i = 0; i < kk; i++)
        for (size_t j = i; j < kk; j++) {
            double v = H[i * kk + j];
            if (!isfinite(v))
                return mxf_fail(err, "hessian: H[%zu][%zu] is %s", i, j, isnan(v) ? "NaN" : "Inf");
        }
    /* Work in U: row-major upper triangle == column-major lower triangle, so LAPACK runs on
     * the caller's layout without transposition. */
    memcpy(U, H, kk * kk * sizeof(double));
    int nd = 0;
    double sum = 0.0;
    for (size_t i = 0; i < kk; i++) {
        double d = U[i * kk + i];
        if (d < 0.0) return mxf_fail(err, "hessian: negative diagonal H[%zu][%zu] = %g", i, i, d);
        if (d == 0.0) {
            /* Dead input: no calibration token excites it. Decouple it from the others too, so
             * stale off-diagonal values (there can be none for an exact zero diagonal of a Gram
             * matrix, but a caller's H may carry rounding noise) cannot break positivity. */
            for (size_t j = 0; j < kk; j++) U[i * kk + j] = U[j * kk + i] = 0.0;
            U[i * kk + i] = 1.0;
            nd++;
        }
        if (dead) dead[i] = d == 0.0;
        sum += U[i * kk + i];
    }
    if (n_dead) *n_dead = nd;
    const double damp = percdamp * sum / (double)k;
    for (size_t i = 0; i < kk; i++) U[i * kk + i] += damp;

    /* U = R^-1 where Hd = R R^T with R upper triangular: then Hd^-1 = R^-T R^-1 = U^T U, U upper
     * with a positive diagonal, the unique upper Cholesky factor of Hd^-1. R comes from the
     * lower Cholesky factor L' of the index-reversed matrix J Hd J (J reverses the order):
     * R = J L' J. One factorization and one triangular inverse (2/3 k^3 flops) instead of
     * factor, invert and factor again (4/3 k^3). In place: the reversal of a symmetric matrix
     * is its 180-degree rotation. */
    for (size_t i = 0, n = kk * kk; i < n / 2; i++) {
        double t = U[i];
        U[i] = U[n - 1 - i];
        U[n - 1 - i] = t;
    }
    lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', k, U, k);
    if (info > 0)
        return mxf_fail(err,
                        "hessian: damped H (percdamp %g) is not positive definite (its trailing "
                        "block from input %d on); raise percdamp",
                        percdamp, (int)(k - info));
    if (info < 0) return mxf_fail(err, "hessian: dpotrf argument %d invalid", (int)-info);
    /* L' is the column-major lower triangle, i.e. the row-major upper one: L'[a][b] (a >= b) is
     * U[b * k + a]. R[c][r] = L'[k-1-c][k-1-r] is wanted as the row-major upper triangle of U
     * (the column-major lower triangle of R^T): a reflection of that triangle across the
     * anti-diagonal, U[c][r] <-> U[k-1-r][k-1-c]. */
    for (size_t c = 0; c < kk; c++)
        for (size_t r = c; r < kk; r++) {
            size_t x = c * kk + r, y = (kk - 1 - r) * kk + (kk - 1 - c);
            if (x < y) {
                double t = U[x];
                U[x] = U[y];
                U[y] = t;
            }
        }
    for (size_t i = 0; i < kk; i++)
        for (size_t j = 0; j < i; j++) U[i * kk + j] = 0.0;
    /* (R^T)^-1 = (R^-1)^T in column-major lower storage = R^-1 in row-major upper storage */
    info = LAPACKE_dtrtri(LAPACK_COL_MAJOR, 'L', 'N', k, U, k);
    if (info != 0)
        return mxf_fail(err,
                        "hessian: the Cholesky factor of the damped H is singular at %d; raise "
                        "percdamp",
                        (int)info);
    for (size_t i = 0; i < kk; i++) {
        for (size_t j = 0; j < i; j++) U[i * kk + j] = 0.0;
        if (!isfinite(U[i * kk + i]) || U[i * kk + i] <= 0.0)
            return mxf_fail(err, "hessian: factor of H^-1 has a bad pivot at %zu; raise percdamp",
                            i);
    }
    return 0;
}
