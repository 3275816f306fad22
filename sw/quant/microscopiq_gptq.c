/* MicroScopiQ Hessian-guided mode: the GPTQ column loop (sw/gptq.c) driving the per-column
 * MicroScopiQ quantizer (sw/microscopiq.c). */
#include <stdlib.h>

#include "gptq.h"
#include "microscopiq.h"

typedef struct msq_ctx {
    const mxf_msq_params *p;
    mxf_msq_tensor *t;
    float *col, *dq;
    double *sal;
    float *target; /* optional N x K: the column the quantizer encoded */
    int K;
} msq_ctx;

/* Column k of the error-updated weights -> its MaBs; q gets the dequantized column (pruned
 * slots 0), so GPTQ compensates pruning and rounding error alike. */
static int quant_column(void *vctx, int k, const double *w, int n, double d, double *q,
                        mxf_err *err)
{
    msq_ctx *c = vctx;
    for (int i = 0; i < n; i++) {
        c->col[i] = (float)w[i];
        c->sal[i] = mxf_gptq_saliency(w[i], d);
    }
    if (c->target)
        for (int i = 0; i < n; i++) c->target[(size_t)i * (size_t)c->K + (size_t)k] = c->col[i];
    if (mxf_msq_tensor_put_column(c->t, c->p, k, c->col, c->sal, c->dq, err)) return -1;
    for (int i = 0; i < n; i++) q[i] = c->dq[i];
    return 0;
}

int mxf_msq_quantize_gptq(const mxf_msq_params *p, const float *W, int N, int K, const double *U,
                          const unsigned char *dead, int block, mxf_msq_tensor *t, float *deq,
                          mxf_gptq_stats *gst, mxf_err *err)
{
    return mxf_msq_quantize_gptq_target(p, W, N, K, U, dead, block, t, deq, NULL, gst, err);
}

int mxf_msq_quantize_gptq_target(const mxf_msq_params *p, const float *W, int N, int K,
                                 const double *U, const unsigned char *dead, int block,
                                 mxf_msq_tensor *t, float *deq, float *target, mxf_gptq_stats *gst,
                                 mxf_err *err)
{
    if (mxf_msq_tensor_init(t, p, N, K, err)) return -1;
    msq_ctx c = {.p = p, .t = t, .target = target, .K = K};
    c.col = malloc(sizeof(float) * 2 * (size_t)N);
    c.sal = malloc(sizeof(double) * (size_t)N);
    float *Q = deq ? deq : malloc(sizeof(float) * (size_t)N * (size_t)K);
    int rc;
    if (!c.col || !c.sal || !Q) {
        rc = mxf_fail(err, "out of memory for a %dx%d MicroScopiQ tensor", N, K);
    } else {
        c.dq = c.col + N;
        mxf_gptq_stats s;
        rc = mxf_gptq_run(W, N, K, U, dead, block, quant_column, &c, Q, gst ? gst : &s, err);
    }
    free(c.col);
    free(c.sal);
    if (!deq) free(Q);
    if (rc) mxf_msq_tensor_free(t);
    return rc;
}
