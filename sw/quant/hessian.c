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

    lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', k, U, k);
    if (info > 0)
        return mxf_fail(err,
                        "hessian: damped H (percdamp %g) is not positive definite at leading "
                        "minor %d; raise percdamp",
                        percdamp, (int)info);
    if (info < 0) return mxf_fail(err, "hessian: dpotrf argument %d invalid", (int)-info);
    info = LAPACKE_dpotri(LAPACK_COL_MAJOR, 'L', k, U, k);
    if (info != 0)
        return mxf_fail(err,
                        "hessian: dpotri failed (info %d): H is numerically singular; "
                        "raise percdamp",
                        (int)info);
    info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', k, U, k);
    if (info != 0)
        return mxf_fail(err,
                        "hessian: H^-1 is not numerically positive definite (minor %d); "
                        "raise percdamp",
                        (int)info);
    for (size_t i = 0; i < kk; i++) {
        for (size_t j = 0; j < i; j++) U[i * kk + j] = 0.0;
        if (!isfinite(U[i * kk + i]) || U[i * kk + i] <= 0.0)
            return mxf_fail(err, "hessian: factor of H^-1 has a bad pivot at %zu; raise percdamp",
                            i);
    }
    return 0;
}
