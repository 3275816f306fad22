/* The shared streaming output checker of tiled-GEMM blocks. See tilecheck.h. */
#include "tilecheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mxf_tile_checker_init(mxf_tile_checker *k, const mxf_tile_plan *p, uint64_t seed, mxf_err *err)
{
    memset(k, 0, sizeof *k);
    k->p = *p;
    k->seed = seed;
    k->expect = malloc(sizeof(int64_t) * (size_t)p->M * (size_t)p->C);
    k->gemm = calloc((size_t)p->M * (size_t)p->N, sizeof(int64_t));
    if (!k->expect || !k->gemm) {
        mxf_tile_checker_free(k);
        return mxf_fail(err, "checker: out of memory for M=%d N=%d", p->M, p->N);
    }
    if (p->n_tiles > 0 && p->tile_golden(p->g, 0, k->expect)) {
        mxf_tile_checker_free(k);
        return mxf_fail(err, "checker: out of memory for the golden output of tile 0");
    }
    return 0;
}

void mxf_tile_checker_free(mxf_tile_checker *k)
{
    free(k->expect);
    free(k->gemm);
    free(k->wscale);
    free(k->y);
    k->expect = k->gemm = NULL;
    k->wscale = k->y = NULL;
}

static int fail(mxf_tile_checker *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(mxf_tile_checker *k, const char *fmt, ...)
{
    if (!k->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(k->first_failure, sizeof k->first_failure, fmt, ap);
        va_end(ap);
    }
    k->failed = 1;
    return -1;
}

static int fail_oom(mxf_tile_checker *k, const char *what)
{
    if (!k->failed)
        snprintf(k->first_failure, sizeof k->first_failure, "checker: out of memory for %s", what);
    k->failed = 2;
    return -2;
}

static int verdict(const mxf_tile_checker *k)
{
    return k->failed == 2 ? -2 : k->failed ? -1 : 0;
}

int mxf_tile_checker_push(mxf_tile_checker *k, int64_t cycle, const int64_t *y)
{
    const mxf_tile_plan *p = &k->p;
    const int C = p->C;
    if (k->failed) return verdict(k);
    if (k->tile >= p->n_tiles)
        return fail(k, "MISMATCH extra output at cycle=%lld after all %d tiles seed=%llu",
                    (long long)cycle, p->n_tiles, (unsigned long long)k->seed);
    const int t = k->tile, m = k->m, nt = t / p->KT, kt = t % p->KT;
    const int64_t want = p->output_cycle(p->g, t, m);
    for (int c = 0; c < C; c++) {
        int64_t e = k->expect[(size_t)m * C + c];
        if (y[c] != e)
            return fail(k,
                        "MISMATCH tile=%d (kt=%d nt=%d) row=%d col=%d cycle=%lld expected=%lld "
                        "got=%lld seed=%llu",
                        t, kt, nt, m, c, (long long)cycle, (long long)e, (long long)y[c],
                        (unsigned long long)k->seed);
    }
    if (cycle != want)
        return fail(k,
                    "MISMATCH tile=%d (kt=%d nt=%d) row=%d col=0 cycle=%lld: output expected on "
                    "cycle %lld, got on cycle %lld seed=%llu",
                    t, kt, nt, m, (long long)cycle, (long long)want, (long long)cycle,
                    (unsigned long long)k->seed);
    for (int c = 0; c < C; c++) {
        int n = nt * C + c;
        if (n >= p->N) continue;
        k->gemm[(size_t)m * p->N + n] += y[c];
        if (k->wscale)
            k->y[(size_t)m * p->N + n] +=
                k->ascale[m] * (k->wscale[(size_t)kt * p->N + n] * (double)y[c]);
    }
    k->outputs++;
    if (++k->m == p->M) {
        k->m = 0;
        if (++k->tile < p->n_tiles && p->tile_golden(p->g, k->tile, k->expect)) {
            char what[64];
            snprintf(what, sizeof what, "the golden output of tile %d", k->tile);
            return fail_oom(k, what);
        }
    }
    return 0;
}

int mxf_tile_checker_finish(mxf_tile_checker *k, int64_t last_cycle)
{
    const mxf_tile_plan *p = &k->p;
    if (k->failed) return verdict(k);
    if (k->tile < p->n_tiles)
        return fail(k,
                    "MISMATCH tile=%d row=%d: output expected on cycle %lld never appeared "
                    "(simulated through cycle %lld) seed=%llu",
                    k->tile, k->m, (long long)p->output_cycle(p->g, k->tile, k->m),
                    (long long)last_cycle, (unsigned long long)k->seed);
    int64_t *Y = malloc(sizeof(int64_t) * (size_t)p->M * (size_t)p->N);
    if (!Y) return fail_oom(k, "the naive GEMM");
    if (p->gemm_naive(p->g, Y)) {
        free(Y);
        return fail_oom(k, "the naive GEMM");
    }
    for (size_t i = 0; i < (size_t)p->M * p->N; i++)
        if (Y[i] != k->gemm[i]) {
            fail(k, "MISMATCH gemm row=%zu col=%zu expected=%lld got=%lld seed=%llu", i / p->N,
                 i % p->N, (long long)Y[i], (long long)k->gemm[i], (unsigned long long)k->seed);
            break;
        }
    free(Y);
    return verdict(k);
}

int mxf_tile_checker_set_scales(mxf_tile_checker *k, const double *wscale, const double *ascale,
                                mxf_err *err)
{
    const mxf_tile_plan *p = &k->p;
    const size_t nw = (size_t)p->KT * p->N;
    free(k->wscale);
    free(k->y);
    k->wscale = malloc(sizeof(double) * nw);
    k->y = calloc((size_t)p->M * (size_t)p->N, sizeof(double));
    if (!k->wscale || !k->y) {
        free(k->wscale);
        free(k->y);
        k->wscale = k->y = NULL;
        return mxf_fail(err, "checker: out of memory for M=%d N=%d", p->M, p->N);
    }
    memcpy(k->wscale, wscale, sizeof(double) * nw);
    k->ascale = ascale;
    return 0;
}

int mxf_tile_job_finish(mxf_job *j, int64_t last_cycle)
{
    return mxf_tile_checker_finish((mxf_tile_checker *)j->state, last_cycle);
}

const char *mxf_tile_job_failure(const mxf_job *j)
{
    return ((const mxf_tile_checker *)j->state)->first_failure;
}

int64_t mxf_tile_job_next_cycle(const mxf_job *j)
{
    const mxf_tile_checker *k = j->state;
    return k->tile < k->p.n_tiles ? k->p.output_cycle(k->p.g, k->tile, k->m) : -1;
}
