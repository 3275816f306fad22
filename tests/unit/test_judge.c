/* The dequantized-output judge (gen/core/qrun.c, mxf_dequant_judge): its decoded-weight
 * reference and its float-layer error, both computed through the BLAS, against plain triple
 * loops written here, on random shapes (ragged N around the 256-row blocks, strided X and Wf).
 * Outputs equal to the naive reference pass, with the float error equal to the naive sums;
 * an output moved by more than the bound (the planted fault) is reported with its row and col,
 * one moved by less than the bound is not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qrun.h"
#include "rng.h"

typedef struct layer {
    int M, K, N, KT;
    int64_t ldx, ldw;
    int8_t *A;
    double *as, *Wd, *y, *mag;
    float *X, *Wf;
    double sig, noise; /* naive float-layer sums for y */
} layer;

static void make(layer *L, mxf_rng *r, int M, int K, int N)
{
    L->M = M, L->K = K, L->N = N, L->KT = (K + 31) / 32;
    L->ldx = K + 3, L->ldw = K + 5;
    L->A = malloc((size_t)M * K);
    L->as = malloc(sizeof(double) * M);
    L->Wd = malloc(sizeof(double) * (size_t)K * N);
    L->y = malloc(sizeof(double) * (size_t)M * N);
    L->mag = malloc(sizeof(double) * (size_t)M * N);
    L->X = malloc(sizeof(float) * (size_t)M * L->ldx);
    L->Wf = malloc(sizeof(float) * (size_t)N * L->ldw);
    assert_non_null(L->A && L->as && L->Wd && L->y && L->mag && L->X && L->Wf);
    for (int m = 0; m < M; m++) {
        L->as[m] = 0.01 + mxf_rng_uniform(r);
        for (int k = 0; k < K; k++) L->A[(size_t)m * K + k] = (int8_t)mxf_rng_range(r, -127, 127);
        for (int64_t k = 0; k < L->ldx; k++) L->X[m * L->ldx + k] = (float)mxf_rng_normal(r);
    }
    for (int64_t i = 0; i < (int64_t)N * L->ldw; i++) L->Wf[i] = (float)mxf_rng_normal(r);
    for (int k = 0; k < K; k++)
        for (int n = 0; n < N; n++) /* a decoded weight: a small code times a power of 2 */
            L->Wd[(size_t)k * N + n] =
                ldexp((double)mxf_rng_range(r, -7, 7), (int)mxf_rng_range(r, -6, 0));
    /* the outputs: the naive reference, and the naive float-layer sums for them */
    L->sig = L->noise = 0;
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double s = 0, a = 0, fl = 0;
            for (int k = 0; k < K; k++) {
                const double t = L->as[m] * L->A[(size_t)m * K + k] * L->Wd[(size_t)k * N + n];
                s += t;
                a += fabs(t);
                fl += (double)L->X[m * L->ldx + k] * (double)L->Wf[(int64_t)n * L->ldw + k];
            }
            L->y[(size_t)m * N + n] = s;
            L->mag[(size_t)m * N + n] = a;
            L->sig += fl * fl;
            L->noise += (s - fl) * (s - fl);
        }
}

static void drop(layer *L)
{
    free(L->A), free(L->as), free(L->Wd), free(L->y), free(L->mag), free(L->X), free(L->Wf);
}

static int judge(const layer *L, const double *y, char *fail, size_t cap, mxf_qresult *q)
{
    mxf_err e;
    memset(q, 0, sizeof *q);
    return mxf_dequant_judge(y, L->A, L->as, L->Wd, L->M, L->K, L->N, L->KT, L->X, L->ldx, L->Wf,
                             L->ldw, "test", 7, fail, cap, q, &e);
}

static void test_judge_against_naive(void **state)
{
    (void)state;
    mxf_rng r;
    mxf_rng_seed(&r, 11);
    const int shapes[][3] = {{1, 1, 1}, {3, 40, 257}, {5, 300, 511}, {2, 64, 256}, {4, 17, 600}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        layer L;
        make(&L, &r, shapes[s][0], shapes[s][1], shapes[s][2]);
        char fail[512] = "";
        mxf_qresult q;
        assert_int_equal(judge(&L, L.y, fail, sizeof fail, &q), 0);
        assert_true(fabs(q.sig - L.sig) <= 1e-9 * L.sig);
        assert_true(fabs(q.noise - L.noise) <= 1e-9 * L.noise);
        assert_true(q.max_rel_bound <= (L.K + L.KT + 4) * 0x1p-53);
        /* the planted fault: one output moved by twice its bound (or by 1e-300 when exact) */
        const int m = L.M - 1, n = L.N / 2;
        const size_t i = (size_t)m * L.N + n;
        const double bound = (L.K + L.KT + 4) * 0x1p-53 * L.mag[i];
        double *y = malloc(sizeof(double) * (size_t)L.M * L.N);
        assert_non_null(y);
        memcpy(y, L.y, sizeof(double) * (size_t)L.M * L.N);
        y[i] += bound > 0 ? 2 * bound + fabs(y[i]) * 0x1p-50 : 1e-300;
        assert_int_equal(judge(&L, y, fail, sizeof fail, &q), 1);
        char want[64];
        snprintf(want, sizeof want, "row=%d col=%d", m, n);
        assert_non_null(strstr(fail, "MISMATCH"));
        assert_non_null(strstr(fail, want));
        /* within the bound: accepted */
        y[i] = L.y[i] + bound / 4;
        assert_int_equal(judge(&L, y, fail, sizeof fail, &q), 0);
        free(y);
        drop(&L);
    }
}

/* Without the float layer (Wf NULL) only the decoded-weight check runs: the sums stay zero. */
static void test_judge_without_float_layer(void **state)
{
    (void)state;
    mxf_rng r;
    mxf_rng_seed(&r, 12);
    layer L;
    make(&L, &r, 3, 33, 70);
    char fail[512] = "";
    mxf_qresult q;
    mxf_err e;
    memset(&q, 0, sizeof q);
    assert_int_equal(mxf_dequant_judge(L.y, L.A, L.as, L.Wd, L.M, L.K, L.N, L.KT, NULL, 0, NULL, 0,
                                       "test", 7, fail, sizeof fail, &q, &e),
                     0);
    assert_true(q.sig == 0 && q.noise == 0);
    drop(&L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_judge_against_naive),
        cmocka_unit_test(test_judge_without_float_layer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
