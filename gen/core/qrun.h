/* Helpers every block's quantized-layer commands share (`image`, `model`): per-token int8
 * activations, the sampled window of a layer, and the output SQNR accumulator. */
#ifndef MXF_QRUN_H
#define MXF_QRUN_H

#include <stdint.h>

#include "rng.h"

/* Per-token symmetric int8 activations: a = round(x / s) (ties to even) clamped to +-127,
 * s = max|x| / 127 (1 for an all-zero token). X is M x K with row stride ld; A is M x K. */
void mxf_acts_int8(const float *X, int M, int K, int64_t ld, int8_t *A, double *s);

/* The sampled window of one layer: `win` K tiles of kstep and N tiles of nstep at a random
 * offset (the whole dimension when it has fewer tiles). */
void mxf_window_pick(mxf_rng *r, int64_t K, int64_t N, int kstep, int nstep, long win,
                     int64_t *k0, int *Ks, int64_t *n0, int *Ns);

/* Output error against the float layer, summed over windows. */
typedef struct mxf_qresult {
    double sig, noise;    /* sum of ref^2 and of (y - ref)^2 against the float layer */
    double max_rel_bound; /* largest |y - decoded reference| / sum |a w| seen */
} mxf_qresult;
double mxf_qresult_sqnr_db(const mxf_qresult *r); /* +inf when exact */

#endif
