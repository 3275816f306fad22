/* Layer Hessian for GPTQ-style quantization (GPTQ; MicroScopiQ's Algorithm 1; docs/sources.md).
 *
 * For a linear layer y = x W^T with W of shape N x K (out x in), the proxy loss
 * ||X W^T - X Q^T||^2 over calibration activations X (T tokens x K) has the Hessian
 * H = 2 X^T X with respect to each output row of W (the paper writes it 2 X X^T with X stored
 * K x T). We keep it averaged over tokens, H = (2/T) X^T X: the scale does not change GPTQ's
 * decisions (damping is relative to the mean diagonal, the update E_j H^-1[j,:] / [H^-1]_jj and
 * the saliency ranking are scale-free) and keeps the numbers independent of the calibration size.
 *
 * Preparation (mxf_hessian_prepare), in this order, as GPTQ does:
 *  1. dead inputs: an input index k with H_kk == 0 (the activation is zero on every calibration
 *     token) gets H_kk = 1 and is reported in dead[k]; mxf_gptq_run zeroes that weight column
 *     (its weights never meet a non-zero activation, so any value is equally good and 0 is the
 *     cheapest to store);
 *  2. damping: lambda = percdamp * mean(diag H) is added to every diagonal element
 *     (percdamp = 0.01 is the GPTQ / MicroScopiQ default; 0 is allowed and then a singular H
 * fails);
 *  3. and 4. U = the upper Cholesky factor of H^-1 (H^-1 = U^T U; the GPTQ loop reads row j of
 *     U), without forming H^-1: H = R R^T with R upper triangular (the Cholesky factor of the
 *     index-reversed H, reversed back: LAPACKE dpotrf), then U = R^-1 (dtrtri). GPTQ's own
 *     route (factor, invert, factor again) gives the same U up to rounding at twice the cost.
 * All dense linear algebra is OpenBLAS / LAPACKE in double precision. */
#ifndef MXF_HESSIAN_H
#define MXF_HESSIAN_H

#include <stdint.h>

#include "err.h"

#define MXF_PERCDAMP_DEFAULT 0.01

typedef struct mxf_hessian {
    int k;          /* input features (the Hessian is k x k) */
    int64_t tokens; /* calibration tokens accumulated */
    double *xtx;    /* k x k row-major, sum over tokens of x x^T (upper triangle kept) */
} mxf_hessian;

/* Allocates a zero accumulator for k input features (1 <= k <= 65536). */
int mxf_hessian_init(mxf_hessian *h, int k, mxf_err *err);
void mxf_hessian_free(mxf_hessian *h);

/* Accumulates T calibration tokens X (T x width, row-major: one token per row). Fails, leaving
 * the accumulator unchanged, when width != h->k ("calibration width 512 != layer in_features
 * 2048") or when X holds a NaN/Inf (the token and feature are named). */
int mxf_hessian_add(mxf_hessian *h, const float *X, int T, int width, mxf_err *err);

/* Writes H = (2/T) sum x x^T as a full symmetric k x k row-major matrix. Fails with no tokens. */
int mxf_hessian_get(const mxf_hessian *h, double *H, mxf_err *err);

/* Steps 1-4 above. H (k x k row-major, symmetric; only read) -> U (k x k row-major, upper
 * triangular, zeros below the diagonal) with H_damped^-1 = U^T U. dead (k entries, optional)
 * receives 1 for dead inputs. *n_dead (optional) their count. Fails on NaN/Inf in H, on a
 * negative diagonal, on percdamp outside [0, 1], or when the damped H is not positive definite
 * (the message names the failing leading minor and suggests a larger percdamp). */
int mxf_hessian_prepare(const double *H, int k, double percdamp, double *U, unsigned char *dead,
                        int *n_dead, mxf_err *err);

#endif
