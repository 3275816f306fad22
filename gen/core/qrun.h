/* Helpers every block's quantized-layer commands share (`image`, `model`): per-token int8
 * activations, the sampled window of a layer, and the output SQNR accumulator. */
#ifndef MXF_QRUN_H
#define MXF_QRUN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "rng.h"

/* Per-token symmetric int8 activations: a = round(x / s) (ties to even) clamped to +-127,
 * s = max|x| / 127 (1 for an all-zero token). X is M x K with row stride ld; A is M x K. */
void mxf_acts_int8(const float *X, int M, int K, int64_t ld, int8_t *A, double *s);

/* The sampled window of one layer: `win` K tiles of kstep and N tiles of nstep at a random
 * offset (the whole dimension when it has fewer tiles). */
void mxf_window_pick(mxf_rng *r, int64_t K, int64_t N, int kstep, int nstep, long win, int64_t *k0,
                     int *Ks, int64_t *n0, int *Ns);

/* Output error against the float layer, summed over windows. */
typedef struct mxf_qresult {
    double sig, noise;    /* sum of ref^2 and of (y - ref)^2 against the float layer */
    double max_rel_bound; /* largest |y - decoded reference| / sum |a w| seen */
} mxf_qresult;
double mxf_qresult_sqnr_db(const mxf_qresult *r); /* +inf when exact */

/* Judges the dequantized outputs y (M x N, from a checker's post-processing stage) against a
 * double reference over the decoded weights Wd (K x N: each code times its scale) and the
 * activations as[m] * A[m][k]: |y - ref| <= (K + KT + 4) * 2^-53 * sum_k |a_k w_k| (K additions
 * in the reference, KT scaled additions after the array). With Wf (N x K, row stride ldw) the
 * error against the float layer X Wf^T (X: M x K, stride ldx) is added to res. Returns 0, or 1
 * with a MISMATCH line (row, col, both values, the bound, seed) in failure; -1 (err set) when
 * out of memory. */
int mxf_dequant_judge(const double *y, const int8_t *A, const double *as, const double *Wd, int M,
                      int K, int N, int KT, const float *X, int64_t ldx, const float *Wf,
                      int64_t ldw, const char *label, uint64_t seed, char *failure, size_t cap,
                      mxf_qresult *res, mxf_err *err);

/* Monotonic wall-clock seconds (for the figures the runs print). */
double mxf_now(void);

#endif
