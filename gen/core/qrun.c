/* Shared helpers of the quantized-layer harness commands. See qrun.h. */
#include "qrun.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

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

/* The float layer's outputs FL = X Wf^T (M x N), through the BLAS in double, a block of Wf rows at
 * a time (the figures are only summed into the SQNR, so the order of the sums inside each dot
 * product, which the BLAS chooses, does not matter beyond double rounding). -1: out of memory. */
static int float_outputs(const float *X, int64_t ldx, const float *Wf, int64_t ldw, int M, int K,
                         int N, double *FL)
{
    enum { NB = 256 }; /* Wf rows per block */
    double *xd = malloc(sizeof(double) * (size_t)M * (size_t)K + 1),
           *wb = malloc(sizeof(double) * (size_t)NB * (size_t)K + 1);
    if (!xd || !wb) {
        free(xd);
        free(wb);
        return -1;
    }
    for (int m = 0; m < M; m++)
        for (int k = 0; k < K; k++) xd[(size_t)m * K + k] = X[m * ldx + k];
    for (int n0 = 0; n0 < N; n0 += NB) {
        const int nb = N - n0 < NB ? N - n0 : NB;
        for (int i = 0; i < nb; i++)
            for (int k = 0; k < K; k++) wb[(size_t)i * K + k] = Wf[(int64_t)(n0 + i) * ldw + k];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, nb, K, 1.0, xd, K, wb, K, 0.0,
                    FL + n0, N);
    }
    free(xd);
    free(wb);
    return 0;
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
    double *FL = Wf ? malloc(sizeof(double) * (size_t)M * (size_t)N + 1) : NULL;
    if (!ref || (Wf && (!FL || float_outputs(X, ldx, Wf, ldw, M, K, N, FL)))) {
        free(ref);
        free(FL);
        return mxf_fail(err, "%s: out of memory", label);
    }
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
                const double fl = FL[(size_t)m * N + n];
                res->sig += fl * fl;
                res->noise += (yv - fl) * (yv - fl);
            }
        }
    }
    free(ref);
    free(FL);
    return rc;
}

double mxf_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
