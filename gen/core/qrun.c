/* Shared helpers of the quantized-layer harness commands. See qrun.h. */
#include "qrun.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

void mxf_window_pick(mxf_rng *r, int64_t K, int64_t N, int kstep, int nstep, long win, int64_t *k0,
                     int *Ks, int64_t *n0, int *Ns)
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

int mxf_dequant_judge(const double *y, const int8_t *A, const double *as, const double *Wd, int M,
                      int K, int N, int KT, const float *X, int64_t ldx, const float *Wf,
                      int64_t ldw, const char *label, uint64_t seed, char *failure, size_t cap,
                      mxf_qresult *res, mxf_err *err)
{
    /* Loops ordered for the cache (Wd is K x N): per row m the sums over k run for every column
       at once, each column's terms added in the order k = 0, 1, ... as in the naive loop, so the
       figures are the same to the bit. */
    double *ref = malloc(sizeof(double) * 2 * (size_t)(N > 0 ? N : 1)), *mag = ref + N;
    if (!ref) return mxf_fail(err, "%s: out of memory", label);
    int rc = 0;
    for (int m = 0; m < M && !rc; m++) {
        memset(ref, 0, sizeof(double) * 2 * (size_t)N);
        for (int k = 0; k < K; k++) {
            const double a = as[m] * A[(size_t)m * K + k];
            const double *w = Wd + (size_t)k * N;
            for (int n = 0; n < N; n++) {
                double t = a * w[n];
                ref[n] += t;
                mag[n] += fabs(t);
            }
        }
        for (int n = 0; n < N; n++) {
            double yv = y[(size_t)m * N + n];
            double bound = (K + KT + 4) * 0x1p-53 * mag[n];
            if (fabs(yv - ref[n]) > bound) {
                snprintf(failure, cap,
                         "MISMATCH %s: dequantized output row=%d col=%d is %.17g, the "
                         "decoded-weight reference is %.17g: |diff| %.3g exceeds the bound %.3g "
                         "seed=%llu",
                         label, m, n, yv, ref[n], fabs(yv - ref[n]), bound,
                         (unsigned long long)seed);
                rc = 1;
                break;
            }
            if (mag[n] > 0 && fabs(yv - ref[n]) / mag[n] > res->max_rel_bound)
                res->max_rel_bound = fabs(yv - ref[n]) / mag[n];
            if (Wf) {
                double fl = 0;
                for (int k = 0; k < K; k++)
                    fl += (double)X[m * ldx + k] * (double)Wf[(int64_t)n * ldw + k];
                res->sig += fl * fl;
                res->noise += (yv - fl) * (yv - fl);
            }
        }
    }
    free(ref);
    return rc;
}

double mxf_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
