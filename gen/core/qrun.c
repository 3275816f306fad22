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
    /* The decoded-weight reference REF = (s_a A) Wd and its magnitude MAG = |s_a A| |Wd| (each
       output's sum of |terms|, for the bound), as double GEMMs through the BLAS, |Wd| a block of
       KB rows at a time. The bound holds for any order of the sums: a dot product of K terms
       summed in any order is within K 2^-53 of its sum of |terms|. */
    enum { KB = 256 };
    const size_t MN = (size_t)M * (size_t)N;
    double *ref = malloc(sizeof(double) * (2 * MN + 1)), *mag = ref ? ref + MN : NULL;
    double *ad = malloc(sizeof(double) * ((size_t)M * K + 1)),
           *aa = malloc(sizeof(double) * ((size_t)M * K + 1));
    double *wa = malloc(sizeof(double) * ((size_t)(K < KB ? K : KB) * N + 1));
    double *FL = Wf ? malloc(sizeof(double) * (MN + 1)) : NULL;
    if (!ref || !ad || !aa || !wa || (Wf && (!FL || float_outputs(X, ldx, Wf, ldw, M, K, N, FL)))) {
        free(ref);
        free(ad);
        free(aa);
        free(wa);
        free(FL);
        return mxf_fail(err, "%s: out of memory", label);
    }
    for (int m = 0; m < M; m++)
        for (int k = 0; k < K; k++) {
            ad[(size_t)m * K + k] = as[m] * A[(size_t)m * K + k];
            aa[(size_t)m * K + k] = fabs(ad[(size_t)m * K + k]);
        }
    memset(ref, 0, sizeof(double) * 2 * MN);
    if (M > 0 && N > 0 && K > 0)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0, ad, K, Wd, N, 0.0, ref,
                    N);
    for (int k0 = 0; k0 < K && M > 0 && N > 0; k0 += KB) {
        const int kb = K - k0 < KB ? K - k0 : KB;
        for (size_t i = 0; i < (size_t)kb * N; i++) wa[i] = fabs(Wd[(size_t)k0 * N + i]);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, kb, 1.0, aa + k0, K, wa, N,
                    1.0, mag, N);
    }
    free(ad);
    free(aa);
    free(wa);
    int rc = 0;
    for (int m = 0; m < M && !rc; m++) {
        const double *refm = ref + (size_t)m * N, *magm = mag + (size_t)m * N;
        for (int n = 0; n < N; n++) {
            double yv = y[(size_t)m * N + n];
            double bound = (K + KT + 4) * 0x1p-53 * magm[n];
            if (fabs(yv - refm[n]) > bound) {
                snprintf(failure, cap,
                         "MISMATCH %s: dequantized output row=%d col=%d is %.17g, the "
                         "decoded-weight reference is %.17g: |diff| %.3g exceeds the bound %.3g "
                         "seed=%llu",
                         label, m, n, yv, refm[n], fabs(yv - refm[n]), bound,
                         (unsigned long long)seed);
                rc = 1;
                break;
            }
            if (magm[n] > 0 && fabs(yv - refm[n]) / magm[n] > res->max_rel_bound)
                res->max_rel_bound = fabs(yv - refm[n]) / magm[n];
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
