/* GPTQ-style column loop with lazy block updates (GPTQ, MicroScopiQ Algorithm 1; docs/sources.md),
 * generic over a per-column quantizer so MX-INT, MicroScopiQ or a plain grid plug in.
 *
 * Orientation: W is N x K row-major (out x in, PyTorch Linear). GPTQ walks the input index k
 * ("column" here; the paper's "row j"): column k is the N weights that multiply input feature k,
 * i.e. the MaBs / uBs of MicroScopiQ. For each k in order:
 *    q      = quantize(w_k)                   (callback; pruned weights are returned as 0)
 *    e      = (w_k - q) / U_kk                (the pruned weights' whole value enters e)
 *    w_j   -= e * U_kj  for every later column j > k
 * where U is the upper Cholesky factor of the damped H^-1 (mxf_hessian_prepare). Later columns
 * inside the current block of B columns are updated at once (rank-1); columns beyond the block
 * receive one lazy GEMM update per block: W[:, i2:] -= E[:, block] U[block, i2:].
 * Dead inputs (dead[k] = 1) have their weight column set to 0 before the loop, as GPTQ does.
 *
 * Working precision is double; the result is written as float. */
#ifndef MXF_GPTQ_H
#define MXF_GPTQ_H

#include "err.h"

#define MXF_GPTQ_BLOCK_DEFAULT 128

/* Per-column quantizer. k: column index; w: the N error-updated weights of column k (read only,
 * contiguous); d = U_kk (so [H_F^-1]_kk = d^2 for the not-yet-quantized set F: the saliency
 * denominator); q: N outputs, exactly 0 for pruned weights. Return 0, or negative with err
 * filled to abort the loop (the loop prefixes "gptq column k: "). */
typedef int (*mxf_gptq_quant_fn)(void *ctx, int k, const double *w, int n, double d, double *q,
                                 mxf_err *err);

typedef struct mxf_gptq_stats {
    double loss; /* sum over columns of sum_n (w - q)^2 / d^2 / 2: GPTQ's proxy loss */
    int dead;    /* dead input columns zeroed */
    int zeroed;  /* weights returned as exactly 0 whose updated value was not 0 (pruned or
                    rounded to 0) */
} mxf_gptq_stats;

/* Runs the loop. W (N x K, read only), U and dead from mxf_hessian_prepare (dead may be NULL),
 * block >= 1 (MXF_GPTQ_BLOCK_DEFAULT), Q (N x K out). Fails on NaN/Inf in W (the position is
 * named), on a non-finite or non-positive U_kk, on a callback failure, or when the callback
 * returns a non-finite value. Q is unspecified after a failure. */
int mxf_gptq_run(const float *W, int N, int K, const double *U, const unsigned char *dead,
                 int block, mxf_gptq_quant_fn quant, void *ctx, float *Q, mxf_gptq_stats *st,
                 mxf_err *err);

/* Saliency of one weight for pruning (OBS / GPTQ): w^2 / [H_F^-1]_kk = w^2 / d^2, with d = U_kk
 * as passed to the callback. Within one column d is shared, so the ranking is by |w|; the helper
 * keeps the formula in one place. */
double mxf_gptq_saliency(double w, double d);

/* Picks the `want` least salient entries among w[0..len-1] whose eligible[i] is non-zero
 * (eligible NULL = all), ties to the lower index; writes their indices in increasing saliency
 * order to idx. Returns how many were picked (fewer when fewer are eligible). */
int mxf_gptq_least_salient(const double *w, const unsigned char *eligible, int len, double d,
                           int want, int *idx);

#endif
