/* Weight and output error metrics. Y and the error E = X (W - Wq)^T are computed with OpenBLAS
 * sgemm; the sums are accumulated in double. */
#include "qmetrics.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>

static double sqnr_db(double sig, double noise)
{
    if (noise == 0) return INFINITY;
    return 10.0 * log10(sig / noise);
}

int mxf_qmetrics_compute(const float *W, const float *Wq, int64_t rows, int64_t cols,
                         const float *X, int64_t tokens, mxf_qmetrics *m, mxf_err *err)
{
    if (rows < 1 || cols < 1) return mxf_fail(err, "metrics: empty shape");
    int64_t n = rows * cols;
    double s = 0, e = 0;
    float *D = malloc(sizeof(float) * (size_t)n);
    if (!D) return mxf_fail(err, "metrics: out of memory");
    for (int64_t i = 0; i < n; i++) {
        double d = (double)W[i] - (double)Wq[i];
        s += (double)W[i] * W[i];
        e += d * d;
        D[i] = (float)d;
    }
    m->weights = n;
    m->w_mse = e / (double)n;
    m->w_sqnr_db = sqnr_db(s, e);
    m->out_sqnr_db = NAN;
    if (X && tokens > 0) {
        float *Y = malloc(sizeof(float) * (size_t)(tokens * rows));
        float *E = malloc(sizeof(float) * (size_t)(tokens * rows));
        if (!Y || !E) {
            free(Y);
            free(E);
            free(D);
            return mxf_fail(err, "metrics: out of memory");
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)tokens, (int)rows, (int)cols,
                    1.0f, X, (int)cols, W, (int)cols, 0.0f, Y, (int)rows);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)tokens, (int)rows, (int)cols,
                    1.0f, X, (int)cols, D, (int)cols, 0.0f, E, (int)rows);
        double ys = 0, es = 0;
        for (int64_t i = 0; i < tokens * rows; i++) {
            ys += (double)Y[i] * Y[i];
            es += (double)E[i] * E[i];
        }
        m->out_sqnr_db = sqnr_db(ys, es);
        free(Y);
        free(E);
    }
    free(D);
    return 0;
}
