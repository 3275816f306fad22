/* Hessian-mode (GPTQ) cost per opt-1.3b linear-layer shape and the extrapolated time for all
 * linear layers of the model. Prints figures only; never asserts on time.
 *
 *   bench_gptq [TOKENS...]      calibration token counts (default 128 512)
 *
 * Per shape: Hessian accumulation (depends on tokens), damped Cholesky inverse (K^3) and the
 * blocked column loop (N K^2) with the real per-column quantizer: MicroScopiQ bb = 2 with
 * ReCoN-routable placements (mxf_msq_quantize_gptq), on seeded synthetic LLM-like weights. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gptq.h"
#include "hessian.h"
#include "microscopiq.h"
#include "models.h"
#include "parse.h"
#include "recon.h"
#include "rng.h"
#include "synthetic.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

typedef struct shape_time {
    int N, K;
    double hess[8]; /* per token count */
    double prep, loop;
} shape_time;

static int measure(shape_time *s, const int *tokens, int nt, mxf_rng *r)
{
    const int N = s->N, K = s->K;
    int tmax = 0;
    for (int i = 0; i < nt; i++) tmax = tokens[i] > tmax ? tokens[i] : tmax;
    float *X = malloc(sizeof(float) * (size_t)tmax * K);
    float *W = malloc(sizeof(float) * (size_t)N * K), *Q = malloc(sizeof(float) * (size_t)N * K);
    double *H = malloc(sizeof(double) * (size_t)K * K), *U = malloc(sizeof(double) * (size_t)K * K);
    unsigned char *dead = malloc(K);
    if (!X || !W || !Q || !H || !U || !dead) {
        fprintf(stderr, "bench_gptq: out of memory for %d x %d\n", N, K);
        return 1;
    }
    for (size_t i = 0; i < (size_t)tmax * K; i++) X[i] = (float)mxf_rng_normal(r);
    mxf_err e;
    mxf_synth_params sp;
    mxf_synth_default_params(&sp);
    if (mxf_synth_weights(&sp, 1, "bench.gptq", N, K, W, &e)) {
        fprintf(stderr, "bench_gptq: %s\n", e.msg);
        return 1;
    }
    for (int i = 0; i < nt; i++) {
        mxf_hessian h;
        double t0 = now();
        if (mxf_hessian_init(&h, K, &e) || mxf_hessian_add(&h, X, tokens[i], K, &e) ||
            mxf_hessian_get(&h, H, &e)) {
            fprintf(stderr, "bench_gptq: %s\n", e.msg);
            return 1;
        }
        s->hess[i] = now() - t0;
        mxf_hessian_free(&h);
    }
    double t0 = now();
    if (mxf_hessian_prepare(H, K, MXF_PERCDAMP_DEFAULT, U, dead, NULL, &e)) {
        fprintf(stderr, "bench_gptq: %s\n", e.msg);
        return 1;
    }
    s->prep = now() - t0;
    t0 = now();
    mxf_msq_params p;
    mxf_msq_default_params(&p, 2);
    p.routable = mxf_recon_ub_routable;
    mxf_msq_tensor t;
    if (mxf_msq_quantize_gptq(&p, W, N, K, U, dead, MXF_GPTQ_BLOCK_DEFAULT, &t, Q, NULL, &e)) {
        fprintf(stderr, "bench_gptq: %s\n", e.msg);
        return 1;
    }
    s->loop = now() - t0;
    mxf_msq_tensor_free(&t);
    free(X), free(W), free(Q), free(H), free(U), free(dead);
    return 0;
}

int main(int argc, char **argv)
{
    const int threads = 2;
    openblas_set_num_threads(threads);
    int tokens[8] = {128, 512}, nt = 2;
    if (argc > 1) {
        nt = 0;
        for (int i = 1; i < argc && nt < 8; i++) {
            long v;
            mxf_err e;
            if (mxf_parse_int(argv[i], "TOKENS", 1, 1 << 20, &v, &e)) {
                fprintf(stderr, "bench_gptq: %s\n", e.msg);
                return 2;
            }
            tokens[nt++] = (int)v;
        }
    }
    const mxf_model *m = mxf_model_find("opt-1.3b");
    if (!m) {
        fprintf(stderr, "bench_gptq: opt-1.3b missing from the zoo\n");
        return 1;
    }
    shape_time shapes[16];
    int ns = 0;
    for (int i = 0; i < m->n_linear; i++) {
        int seen = 0;
        for (int j = 0; j < ns; j++)
            seen |=
                shapes[j].N == m->linear[i].out_features && shapes[j].K == m->linear[i].in_features;
        if (!seen) {
            memset(&shapes[ns], 0, sizeof shapes[ns]);
            shapes[ns].N = m->linear[i].out_features;
            shapes[ns].K = m->linear[i].in_features;
            ns++;
        }
    }
    printf("MicroScopiQ Hessian mode (bb=2), OpenBLAS %d threads, block %d, percdamp %g, double "
           "precision\n",
           threads, MXF_GPTQ_BLOCK_DEFAULT, MXF_PERCDAMP_DEFAULT);
    printf("%-12s", "N x K");
    for (int i = 0; i < nt; i++) printf("  hess@%-5d", tokens[i]);
    printf("  %9s  %9s  %12s\n", "chol-inv", "loop", "loop Mw/s");
    mxf_rng r;
    mxf_rng_seed(&r, 1);
    for (int s = 0; s < ns; s++) {
        if (measure(&shapes[s], tokens, nt, &r)) return 1;
        char nk[32];
        snprintf(nk, sizeof nk, "%dx%d", shapes[s].N, shapes[s].K);
        printf("%-12s", nk);
        for (int i = 0; i < nt; i++) printf("  %9.3fs", shapes[s].hess[i]);
        printf("  %8.3fs  %8.3fs  %12.2f\n", shapes[s].prep, shapes[s].loop,
               1e-6 * shapes[s].N * shapes[s].K / shapes[s].loop);
        fflush(stdout);
    }
    for (int i = 0; i < nt; i++) {
        double per_block = 0, shared_x = 0;
        for (int l = 0; l < m->n_linear; l++)
            for (int s = 0; s < ns; s++)
                if (shapes[s].N == m->linear[l].out_features &&
                    shapes[s].K == m->linear[l].in_features) {
                    per_block += shapes[s].hess[i] + shapes[s].prep + shapes[s].loop;
                    /* q/k/v_proj read the same input: one Hessian and one inverse serve all
                     * three (GPTQ's sequential flow does this). */
                    int shares = !strcmp(m->linear[l].name, "k_proj") ||
                                 !strcmp(m->linear[l].name, "v_proj");
                    shared_x += shares ? shapes[s].loop
                                       : shapes[s].hess[i] + shapes[s].prep + shapes[s].loop;
                }
        printf("opt-1.3b, %d calibration tokens, %d blocks x %d linear layers: %.1f s (%.2f min); "
               "sharing the q/k/v Hessian: %.1f s (%.2f min); target <= 8 min on 2 cores\n",
               tokens[i], m->n_layers, m->n_linear, per_block * m->n_layers,
               per_block * m->n_layers / 60, shared_x * m->n_layers, shared_x * m->n_layers / 60);
    }
    printf("(calibration forward passes that produce the activations are not included)\n");
    return 0;
}
