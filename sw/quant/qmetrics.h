/* Accuracy of a quantized weight: weight MSE and SQNR, and output SQNR of Y = X W^T on
 * calibration activations (the error that reaches the next layer). */
#ifndef MXF_QMETRICS_H
#define MXF_QMETRICS_H

#include <stdint.h>

#include "err.h"

typedef struct mxf_qmetrics {
    int64_t weights;
    double w_mse;       /* mean (w - wq)^2 */
    double w_sqnr_db;   /* 10 log10(sum w^2 / sum (w - wq)^2); +inf when exact */
    double out_sqnr_db; /* 10 log10(sum Y^2 / sum (Y - Yq)^2), Y = X W^T; NAN without X */
} mxf_qmetrics;

/* W, Wq: rows x cols; X: tokens x cols (may be NULL with tokens = 0). */
int mxf_qmetrics_compute(const float *W, const float *Wq, int64_t rows, int64_t cols,
                         const float *X, int64_t tokens, mxf_qmetrics *m, mxf_err *err);

#endif
