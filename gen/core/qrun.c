/* Shared helpers of the quantized-layer harness commands. See qrun.h. */
#include "qrun.h"

#include <math.h>
#include <stddef.h>

void mxf_acts_int8(const float *X, int M, int K, int64_t ld, int8_t *A, double *s)
{
    for (int m = 0; m < M; m++) {
        double amax = 0;
        for (int k = 0; k < K; k++) amax = fmax(amax, fabs((double)X[m * ld + k]));
        s[m] = amax > 0 ? amax / 127.0 : 1.0;
        for (int k = 0; k < K; k++) {
            double v = nearbyint((double)X[m * ld + k] / s[m]);
            A[(size_t)m * K + k] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
        }
    }
}

void mxf_window_pick(mxf_rng *r, int64_t K, int64_t N, int kstep, int nstep, long win,
                     int64_t *k0, int *Ks, int64_t *n0, int *Ns)
{
    int64_t KT = (K + kstep - 1) / kstep, NT = (N + nstep - 1) / nstep;
    int64_t wk = win < KT ? win : KT, wn = win < NT ? win : NT;
    *k0 = mxf_rng_range(r, 0, KT - wk) * kstep;
    *n0 = mxf_rng_range(r, 0, NT - wn) * nstep;
    *Ks = (int)(wk * kstep < K - *k0 ? wk * kstep : K - *k0);
    *Ns = (int)(wn * nstep < N - *n0 ? wn * nstep : N - *n0);
}

double mxf_qresult_sqnr_db(const mxf_qresult *r)
{
    return r->noise > 0 ? 10 * log10(r->sig / r->noise) : INFINITY;
}
