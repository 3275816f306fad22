/* The microscopiq block's harness glue: how a job drives the port table, random and directed
 * GEMMs (float weights quantized by the MicroScopiQ quantizer, so the array sees exactly what
 * images hold), images from mxquant and zoo models. The simulator path (Verilator or Icarus) runs
 * the cycles; every output row and its cycle is judged by the shared tile checker over the golden
 * model (msq_golden.c), which also scales each tile's integer outputs by 2^uref. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image.h"
#include "models.h"
#include "mrun.h"
#include "msq_golden.h"
#include "msq_harness.h"
#include "qformat.h"
#include "qrun.h"
#include "rng.h"
#include "sim.h"
#include "synthetic.h"

enum {
#define MXF_PORT(nm, dir, role, width, doc) MSQ_P_##nm,
#include "microscopiq_ports.def"
#undef MXF_PORT
    MSQ_N_PORTS
};

static const mxf_msq_cfg *msq(const mxf_hwcfg *c)
{
    return (const mxf_msq_cfg *)(const void *)c->blob;
}

/* ---- a job: one tiled GEMM through the array ---- */
typedef struct msq_job {
    mxf_tile_checker k; /* first: the shared mxf_tile_job_* callbacks read it */
    mxf_msq_gemm g;
    mxf_msq_cursor cur;
    int AW, WW, CW, GKW, SHW, CB;
} msq_job;

static int64_t job_cycles(const mxf_job *j)
{
    return ((const msq_job *)j->state)->g.total;
}

static void job_stim(const mxf_job *j, int64_t cycle, mxf_portvals *in)
{
    msq_job *s = j->state;
    const mxf_msq_cfg *c = &s->g.cfg;
    mxf_msq_stim st;
    mxf_msq_stim_at(&s->g, &s->cur, cycle, &st);
    mxf_pv_put(in, MSQ_P_act_valid_i, 0, 1, (uint64_t)st.act_valid);
    mxf_pv_put(in, MSQ_P_act_bank_i, 0, 1, (uint64_t)st.act_bank);
    for (int r = 0; r < c->rows; r++) mxf_pv_put(in, MSQ_P_act_i, 8 * r, 8, (uint8_t)st.act[r]);
    mxf_pv_put(in, MSQ_P_w_valid_i, 0, 1, (uint64_t)st.w_valid);
    mxf_pv_put(in, MSQ_P_w_bank_i, 0, 1, (uint64_t)st.w_bank);
    mxf_pv_put(in, MSQ_P_w_row_i, 0, s->CW, (uint64_t)st.w_row);
    for (int col = 0; col < c->cols; col++)
        mxf_pv_put(in, MSQ_P_w_i, s->WW * col, s->WW, st.w ? st.w[col] : 0);
    for (int pt = 0; pt < c->cports; pt++) { /* configuration port pt */
        const mxf_msq_cfgw *cw = st.c[pt];
        const int base = (s->CB + s->SHW) * pt;
        mxf_pv_put(in, MSQ_P_c_valid_i, pt, 1, (uint64_t)st.c_valid[pt]);
        mxf_pv_put(in, MSQ_P_c_bank_i, pt, 1, (uint64_t)st.c_bank[pt]);
        mxf_pv_put(in, MSQ_P_c_row_i, s->CW * pt, s->CW, cw ? (uint64_t)cw->row : 0);
        mxf_pv_put(in, MSQ_P_c_ub_i, s->GKW * pt, s->GKW, cw ? (uint64_t)(cw->g / c->cports) : 0);
        for (int i = 0; i < s->CB; i += 8) {
            const int w = s->CB - i < 8 ? s->CB - i : 8;
            mxf_pv_put(in, MSQ_P_c_i, base + i, w, cw ? cw->word[i / 8] : 0);
        }
        mxf_pv_put(in, MSQ_P_c_i, base + s->CB, s->SHW, cw ? (uint64_t)cw->osh : 0);
    }
}

static int job_push(mxf_job *j, int64_t cycle, const mxf_portvals *out)
{
    msq_job *s = j->state;
    int64_t y[2 * MXF_MSQ_MAX_DIM];
    for (int p = 0; p < s->g.P; p++) y[p] = mxf_pv_get(out, MSQ_P_y_o, s->AW * p, s->AW, 1);
    return mxf_tile_checker_push(&s->k, cycle, y);
}

static const mxf_job_ops msq_job_ops = {job_cycles,
                                        job_stim,
                                        job_push,
                                        mxf_tile_job_finish,
                                        mxf_tile_job_failure,
                                        mxf_tile_job_next_cycle};

static void job_close(msq_job *s)
{
    mxf_tile_checker_free(&s->k);
    mxf_msq_gemm_free(&s->g);
}

/* Opens a job over a window of q; with `as` the post-processing scales each tile by 2^uref. */
static int job_open(msq_job *s, mxf_job *j, const mxf_msq_cfg *c, const mxf_qtensor *q, int64_t n0,
                    int Nw, int64_t k0, int K, int M, const int8_t *A, const double *as,
                    uint64_t seed, mxf_err *err)
{
    memset(s, 0, sizeof *s);
    if (mxf_msq_gemm_init(&s->g, c, q, n0, Nw, k0, K, M, A, err)) return -1;
    if (mxf_msq_checker_init(&s->k, &s->g, seed, err)) {
        job_close(s);
        return -1;
    }
    if (as) {
        const mxf_msq_gemm *g = &s->g;
        double *ws = malloc(sizeof(double) * (size_t)g->KT * g->N);
        if (!ws) {
            job_close(s);
            return mxf_fail(err, "out of memory");
        }
        for (int kt = 0; kt < g->KT; kt++)
            for (int n = 0; n < g->N; n++)
                ws[(size_t)kt * g->N + n] = ldexp(1.0, g->tile[(n / g->P) * g->KT + kt].uref);
        int rc = mxf_tile_checker_set_scales(&s->k, ws, as, err);
        free(ws);
        if (rc) {
            job_close(s);
            return -1;
        }
    }
    s->AW = mxf_msq_acc_bits(c);
    s->WW = mxf_msq_word_bits(c);
    s->SHW = mxf_msq_shift_bits(c);
    s->CB = mxf_msq_cfg_bits(c);
    s->CW = mxf_msq_row_bits(c);
    s->GKW = mxf_msq_cport_tag_bits(c);
    *j = (mxf_job){&msq_job_ops, s, (double)M * K * Nw, s->g.T, seed};
    return 0;
}

static int verdict(int rc)
{
    return rc < 0 ? 2 : rc;
}

/* Figures of one run: cycles, stalls from ReCoN contention, outlier content, utilization. */
static void log_job(mxf_sim_ctx *ctx, const msq_job *s, const char *label)
{
    const mxf_msq_gemm *g = &s->g;
    const mxf_msq_cfg *c = &g->cfg;
    int64_t outl = 0, mubs = 0, orows = 0;
    int maxsh = 0;
    for (int64_t i = 0; i < (int64_t)g->K * (g->N / 8); i++) {
        outl += g->ub[i].n;
        mubs += g->ub[i].n > 0;
    }
    for (int t = 0; t < g->T; t++) {
        for (int r = 0; r < c->rows; r++) orows += g->tile[t].orow[r];
        if (g->tile[t].max_shift > maxsh) maxsh = g->tile[t].max_shift;
    }
    const double pe_cycles = (double)c->rows * g->P * (double)g->total;
    ctx->log(ctx,
             "  %s: %lld cycles, %lld steps, %lld stall cycles (ReCoN contention), %lld ReCoN "
             "row requests; %lld outliers in %lld uBs, %lld of %lld tile rows with outliers, "
             "largest shift %d; output-lane utilization %.1f%%\n",
             label, (long long)g->total, (long long)g->n_steps, (long long)g->stall_cycles,
             (long long)g->recon_requests, (long long)outl, (long long)mubs, (long long)orows,
             (long long)g->T * c->rows, maxsh, 100.0 * (double)g->M * g->K * g->N / pe_cycles);
}

/* Energy events of a run: every lane of every PE works on every sampled token (2-bit lanes in
 * MODE 2b, one 4-bit multiply in MODE 4b), one accumulator addition per lane, and one ReCoN term
 * per outlier pair and token. */
static void job_events(const mxf_msq_gemm *g, double *ev)
{
    const mxf_msq_cfg *c = &g->cfg;
    const double lanes = (double)g->T * g->M * c->rows * g->P;
    ev[c->bb == 2 ? MXF_EV_MUL8X2 : MXF_EV_MUL8X4] += lanes;
    ev[MXF_EV_ADD_ACC] += lanes;
    double pairs = 0;
    for (int64_t i = 0; i < (int64_t)g->K * (g->N / 8); i++) pairs += g->ub[i].n;
    ev[MXF_EV_RECON] += pairs * g->M;
}

/* ---- random and directed operands ---- */
typedef enum fill {
    FILL_RANDOM = 0, /* Gaussian weights with a few outliers, mixed activations */
    FILL_FOUR,       /* 4 outliers in every uB */
    FILL_EVERY,      /* one outlier in every uB: every row requests ReCoN */
    FILL_NEGZERO,    /* negative outliers of mantissa 0 (the -0 Upper half) */
    FILL_SHIFT,      /* units spanning exactly ALIGN binades */
    FILL_EXTREME,    /* 4 negative max-mantissa outliers per uB at the largest shift, acts -128 */
    FILL_SPLIT,      /* two input scales ALIGN + 2 binades apart: K tiles of R/2 rows */
    FILL_PLACE,      /* 1 to 4 outliers per uB at random slots, Lower halves at random slots */
    FILL_COUNT
} fill;

static const char *const fill_names[FILL_COUNT] = {"random weights and outliers",
                                                   "4 outliers in every uB",
                                                   "an outlier in every uB (every row contends)",
                                                   "negative outliers with zero mantissa",
                                                   "largest scale shifts",
                                                   "extreme operands at the largest shift",
                                                   "units too far apart for R-row tiles",
                                                   "outliers and Lower halves at any slots"};

/* Weights (N x K, out x in), the format spec they are quantized with, and activations. */
static void operands(uint64_t seed, fill f, const mxf_msq_cfg *c, int M, int K, int N, int8_t *A,
                     float *W, char *spec, size_t cap)
{
    mxf_rng r;
    mxf_rng_seed(&r, seed);
    for (size_t i = 0; i < (size_t)M * K; i++) {
        int64_t pick = mxf_rng_range(&r, 0, 15);
        A[i] = f == FILL_EXTREME ? -128
               : pick == 0       ? -128
               : pick == 1       ? 127
               : pick <= 3       ? 0
                                 : (int8_t)mxf_rng_range(&r, -128, 127);
    }
    /* bb=4 outliers above 2^8 would push L1 out of its 5-bit field: keep them near 2^4 */
    const double big = ldexp(1.0, c->align - 3); /* E = align - 3 over inliers at 2^-5 */
    snprintf(spec, cap, "microscopiq%d:%sroute=%s", c->bb,
             f == FILL_FOUR || f == FILL_EXTREME || f == FILL_PLACE ? "sigma=1,"
             : f == FILL_EVERY || f == FILL_NEGZERO                 ? "sigma=2,"
                                                                    : "",
             mxf_msq_net_of(c)->route);
    for (int n = 0; n < N; n++)
        for (int k = 0; k < K; k++) {
            float *w = &W[(size_t)n * K + k];
            const int slot = n % 8;
            const double g = mxf_rng_normal(&r);
            switch (f) {
            case FILL_RANDOM: {
                int64_t pick = mxf_rng_range(&r, 0, 99);
                *w = (float)(0.02 * g * (pick < 4 ? 4 + mxf_rng_range(&r, 0, 12) : 1));
                /* every MaB holds a weight of typical size, so a MaB of a few real weights does
                   not put its inlier unit ALIGN binades below its outliers' */
                if (n % 128 == 0) *w = g < 0 ? -0.04f : 0.04f;
                break;
            }
            case FILL_FOUR:
                *w = (float)(slot % 2 ? 0.01 * g
                                      : (mxf_rng_range(&r, 0, 1) ? 1 : -1) *
                                            (1.5 + 0.4 * mxf_rng_uniform(&r)));
                break;
            case FILL_EVERY:
            case FILL_NEGZERO:
                if (slot == (n / 8 + k) % 8)
                    *w = f == FILL_NEGZERO ? -0.25f
                                           : (float)((g < 0 ? -1 : 1) * (0.2 + 0.1 * fabs(g)));
                else
                    *w = (float)(0.01 * g);
                break;
            case FILL_SHIFT:
                /* one outlier per MaB near 2^(align-3) and inliers up to just below 2^-4 */
                if (n % 128 == (k * 37) % 128)
                    *w = (float)((g < 0 ? -1 : 1) * big * (1.0 + 0.9 * mxf_rng_uniform(&r)));
                else if (n % 128 == (k * 37 + 64) % 128)
                    *w = 0.06f;
                else
                    *w = (float)(0.01 * g);
                break;
            case FILL_SPLIT: /* rows R/2.. of every R-row block of inputs 2^(ALIGN+2) larger */
                *w =
                    (float)(0.02 * g * (k % c->rows >= c->rows / 2 ? ldexp(1.0, c->align + 2) : 1));
                break;
            case FILL_PLACE: /* set per uB below */
                break;
            default: /* FILL_EXTREME: outliers in slots 0, 2, 4 (signs -, +, -: each column keeps
                        one sign along K), the other slots inliers of the largest code */
                *w = slot % 2 || slot > 4 ? -0.06f : (float)((slot == 2 ? 1 : -1) * big * 1.99);
            }
        }
    /* FILL_PLACE: per uB a random order of its 8 slots; the first n (1..4) hold outliers, the
       next n the uB's smallest inliers (the quantizer prunes them for the Lower halves, in an
       order their random sizes decide), the rest typical inliers: over the GEMM's uBs the
       Upper and Lower ports, and so the paths through ReCoN, take many placements */
    if (f == FILL_PLACE)
        for (int k = 0; k < K; k++)
            for (int n8 = 0; n8 < N; n8 += 8) {
                int ord[8] = {0, 1, 2, 3, 4, 5, 6, 7};
                for (int i = 7; i > 0; i--) {
                    const int j = (int)mxf_rng_range(&r, 0, i), t = ord[i];
                    ord[i] = ord[j], ord[j] = t;
                }
                const int nout = (int)mxf_rng_range(&r, 1, 4);
                for (int i = 0; i < 8; i++) {
                    const double u = mxf_rng_uniform(&r), sg = mxf_rng_range(&r, 0, 1) ? 1 : -1;
                    if (n8 + ord[i] >= N) continue;
                    W[(size_t)(n8 + ord[i]) * K + k] =
                        (float)(sg * (i < nout       ? 1.5 + 0.4 * u
                                      : i < 2 * nout ? 0.0005 + 0.001 * u
                                                     : 0.01 + 0.01 * u));
                }
            }
}

/* FILL_PLACE gives every uB 1 to 4 outliers: a quantizer that found none would leave ReCoN idle */
static int every_ub_has_outliers(const mxf_msq_gemm *g)
{
    for (int64_t i = 0; i < (int64_t)g->K * (g->N / 8); i++)
        if (g->ub[i].n == 0) return 0;
    return 1;
}

static int run_gemm(mxf_sim_ctx *ctx, const mxf_msq_cfg *c, int M, int K, int N, uint64_t seed,
                    fill f, int verbose, mxf_err *err)
{
    int8_t *A = malloc((size_t)M * K);
    float *W = malloc(sizeof(float) * (size_t)N * K);
    mxf_qtensor q = {0};
    int rc = -1;
    char spec[64], label[200];
    if (!A || !W) {
        mxf_fail(err, "out of memory for M=%d K=%d N=%d", M, K, N);
        goto out;
    }
    operands(seed, f, c, M, K, N, A, W, spec, sizeof spec);
    mxf_qformat fmt;
    if (mxf_qformat_parse(spec, &fmt, err) || mxf_quantize(&fmt, W, N, K, &q, err)) goto out;
    msq_job s;
    mxf_job j;
    snprintf(label, sizeof label, "gemm M=%d K=%d N=%d (%s)", M, K, N, fill_names[f]);
    if (job_open(&s, &j, c, &q, 0, N, 0, K, M, A, NULL, seed, err) == 0) {
        int maxsh = 0;
        for (int t = 0; t < s.g.T; t++)
            if (s.g.tile[t].max_shift > maxsh) maxsh = s.g.tile[t].max_shift;
        if (f == FILL_SPLIT && s.g.KT == (K + c->rows - 1) / c->rows) {
            rc = -1;
            mxf_fail(err, "directed '%s': the tiles kept %d rows (internal)", fill_names[f],
                     c->rows);
        } else if (f == FILL_PLACE && !every_ub_has_outliers(&s.g)) {
            rc = -1;
            mxf_fail(err, "directed '%s': a uB without outliers (internal)", fill_names[f]);
        } else if ((f == FILL_SHIFT || f == FILL_EXTREME) && maxsh != c->align) {
            rc = -1;
            mxf_fail(err, "directed '%s': largest shift %d, not ALIGN=%d (internal)", fill_names[f],
                     maxsh, c->align);
        } else {
            rc = ctx->run(ctx, &j, label, err);
            if (rc == 0 && verbose && !ctx->stim_only) log_job(ctx, &s, label);
        }
        job_close(&s);
    }
out:
    mxf_qtensor_free(&q);
    free(A);
    free(W);
    return rc;
}

static int cmd_gemm(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_sim_opts *o, mxf_err *err)
{
    return verdict(
        run_gemm(ctx, msq(cfg), (int)o->m, (int)o->k, (int)o->n, o->seed, FILL_RANDOM, 1, err));
}

/* Random shapes: one tile, M below and above the reload distance, K and N not multiples of the
 * tile, many tiles. */
static int cmd_random(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_sim_opts *o, mxf_err *err)
{
    const mxf_msq_cfg *c = msq(cfg);
    const int P = mxf_msq_ports(c);
    mxf_rng r;
    mxf_rng_seed(&r, o->seed);
    for (long i = 0; i < o->count; i++) {
        int M = (int)mxf_rng_range(&r, 1, 3 * c->rows);
        int K = (int)mxf_rng_range(&r, 1, 3 * c->rows);
        int N = (int)mxf_rng_range(&r, 1, 3 * P);
        if (i == 0) M = 1, K = c->rows, N = P;
        if (i == 1) K = 5 * c->rows + 1;
        uint64_t seed = o->seed * 1000003u + (uint64_t)i;
        int rc = run_gemm(ctx, c, M, K, N, seed, FILL_RANDOM, 0, err);
        if (rc) return verdict(rc);
    }
    return 0;
}

static int cmd_directed(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_sim_opts *o, mxf_err *err)
{
    const mxf_msq_cfg *c = msq(cfg);
    const int P = mxf_msq_ports(c), M = c->rows + 2, K = 2 * c->rows;
    const int N = 2 * P > 128 ? 2 * P : 128;
    for (int f = 1; f < FILL_COUNT; f++) {
        int rc = run_gemm(ctx, c, M, K, N, o->seed + (uint64_t)f, (fill)f, 1, err);
        if (rc) return verdict(rc);
    }
    return 0;
}

/* Runs one quantized window: bit-exact integer outputs and cycles; the post-processed outputs
 * within the bound of a double reference over the decoded weights; with Wf the SQNR. */
static int run_qwin(mxf_sim_ctx *ctx, const mxf_msq_cfg *c, const mxf_qtensor *q, int64_t n0,
                    int Ns, int64_t k0, int Ks, const float *X, int64_t ldx, int M, const float *Wf,
                    int64_t ldw, uint64_t seed, const char *label, mxf_qresult *res, mxf_mres *mr,
                    mxf_err *err)
{
    int8_t *A = malloc((size_t)M * Ks);
    double *as = malloc(sizeof(double) * (size_t)M);
    int rc = -1;
    msq_job s;
    memset(&s, 0, sizeof s);
    if (!A || !as) {
        mxf_fail(err, "%s: out of memory", label);
        goto out;
    }
    mxf_acts_int8(X, M, Ks, ldx, A, as);
    mxf_job j;
    if (job_open(&s, &j, c, q, n0, Ns, k0, Ks, M, A, as, seed, err)) {
        mxf_fail_prefix(err, "%s: ", label);
        goto out;
    }
    rc = ctx->run(ctx, &j, label, err);
    if (rc || ctx->stim_only) goto out;
    rc = mxf_dequant_judge(s.k.y, A, as, s.g.wd, M, Ks, s.g.N, s.g.KT, X, ldx,
                           s.g.N == Ns ? Wf : NULL, ldw, label, seed, ctx->failure,
                           sizeof ctx->failure, res, err);
    if (rc) goto out;
    if (mr) {
        /* a GEMM whose tiles took fewer K rows (units beyond ALIGN) has that many more tiles in
           the whole layer too */
        mr->tiles_layer *= (double)s.g.KT / ((Ks + c->rows - 1) / c->rows);
        mr->stall_cycles = s.g.stall_cycles;
        job_events(&s.g, mr->ev);
    } else {
        log_job(ctx, &s, label);
    }
out:
    job_close(&s);
    free(A);
    free(as);
    return rc;
}

static int cmd_image(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_sim_opts *o, mxf_err *err)
{
    const mxf_msq_cfg *c = msq(cfg);
    if (!o->image) return mxf_fail(err, "image: --image FILE is required"), 2;
    mxf_image img;
    if (mxf_image_read(o->image, &img, err)) return 2;
    int ti = o->tensor ? mxf_image_find(&img, o->tensor) : 0;
    if (ti < 0) {
        mxf_fail(err, "%s: no tensor named '%s'", o->image, o->tensor);
        mxf_image_free(&img);
        return 2;
    }
    mxf_qtensor q;
    mxf_image_view(&img, ti, &q);
    const char *name = img.t[ti].name;
    int64_t k0 = 0, n0 = 0;
    int Ks = (int)q.cols, Ns = (int)q.rows;
    if (o->set_window) {
        mxf_rng r;
        mxf_rng_seed(&r, o->seed);
        mxf_window_pick(&r, q.cols, q.rows, c->rows, mxf_msq_ports(c), o->window, &k0, &Ks, &n0,
                        &Ns);
    }
    const int M = (int)o->m;
    mxf_synth_params sp;
    mxf_synth_default_params(&sp);
    float *X = malloc(sizeof(float) * (size_t)M * (size_t)q.cols);
    int rc = 2;
    char label[1200];
    snprintf(label, sizeof label, "%s %s (%lldx%lld) rows %lld..%lld cols %lld..%lld", o->image,
             name, (long long)q.rows, (long long)q.cols, (long long)n0, (long long)(n0 + Ns - 1),
             (long long)k0, (long long)(k0 + Ks - 1));
    if (!X) {
        mxf_fail(err, "out of memory");
    } else if (mxf_synth_acts(&sp, o->seed, name, M, q.cols, X, err) == 0) {
        mxf_qresult res = {0};
        rc = verdict(run_qwin(ctx, c, &q, n0, Ns, k0, Ks, X + k0, q.cols, M, NULL, 0, o->seed,
                              label, &res, NULL, err));
        if (rc == 0)
            ctx->log(ctx,
                     "image: %s, format %s: bit-exact; dequantized outputs within bound (max "
                     "|diff|/sum|a w| %.2g)\n",
                     label, img.spec, res.max_rel_bound);
    }
    free(X);
    mxf_image_free(&img);
    return rc;
}

/* Rows [na, na + nsub) x cols [k0, k0 + Ks) of W (row stride K) into Wsub; returns 0. */
static int copy_rows(float *Wsub, const float *W, int64_t na, int64_t nsub, int64_t K, int64_t k0,
                     int Ks)
{
    for (int64_t n = 0; n < nsub; n++)
        memcpy(Wsub + n * Ks, W + (na + n) * K + k0, sizeof(float) * (size_t)Ks);
    return 0;
}

static int check_format(const mxf_hwcfg *cfg, const mxf_qformat *f, const char *spec, mxf_err *err)
{
    const mxf_msq_cfg *c = msq(cfg);
    if (f->family != MXF_QF_MSQ || f->msq.bb != c->bb)
        return mxf_fail(err, "FORMAT=%s: a BB=%d microscopiq array runs microscopiq%d formats only",
                        spec, c->bb, c->bb),
               2;
    return 0;
}

/* One layer of the model runner: a window of R-row K tiles and P-output N tiles. */
static int model_layer(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_mlayer *L, mxf_mres *res,
                       mxf_err *err)
{
    const mxf_msq_cfg *c = msq(cfg);
    const int P = mxf_msq_ports(c);
    const int64_t N = L->N, K = L->K;
    int64_t k0, n0;
    int Ks, Ns;
    mxf_window_pick(L->rng, K, N, c->rows, P, L->window, &k0, &Ks, &n0, &Ns);
    /* Round-to-nearest quantizes every MaB (128 outputs at one input) on its own, so quantizing
       the MaBs the window touches gives the window exactly the codes of the whole tensor
       (test_msq_golden checks it) */
    const int64_t na = n0 / MXF_MSQ_MAB * MXF_MSQ_MAB,
                  nb = (n0 + Ns + MXF_MSQ_MAB - 1) / MXF_MSQ_MAB * MXF_MSQ_MAB,
                  nsub = (nb < N ? nb : N) - na;
    float *Wsub = malloc(sizeof(float) * (size_t)(nsub * Ks));
    mxf_qtensor q = {0};
    char label[512];
    snprintf(label, sizeof label, "layer %d %s (%lldx%lld) rows %lld..%lld cols %lld..%lld",
             L->layer, L->model->linear[L->lin].name, (long long)N, (long long)K, (long long)n0,
             (long long)(n0 + Ns - 1), (long long)k0, (long long)(k0 + Ks - 1));
    if (!Wsub) {
        free(Wsub);
        return mxf_fail(err, "%s: out of memory", label), 3;
    }
    copy_rows(Wsub, L->W, na, nsub, K, k0, Ks);
    double t0 = mxf_now();
    int rc = 2;
    if (mxf_quantize(L->fmt, Wsub, nsub, Ks, &q, err) == 0) {
        mxf_mres_window(res, n0, Ns, k0, Ks, &q, (double)nsub * Ks,
                        (double)((K + c->rows - 1) / c->rows) * (double)((N + P - 1) / P),
                        mxf_now() - t0);
        rc = verdict(run_qwin(ctx, c, &q, n0 - na, Ns, 0, Ks, L->X + k0, K, L->M,
                              L->W + n0 * K + k0, K, L->seed, label, &res->q, res, err));
    } else {
        mxf_fail_prefix(err, "%s: ", label);
    }
    /* memory traffic of the window: its share of the image, activations, partial sums */
    if (rc == 0)
        mxf_mem_events(res->ev, L->M, Ks, Ns, (Ks + c->rows - 1) / c->rows, (Ns + P - 1) / P,
                       res->bits_q * ((double)Ns / (double)nsub));
    mxf_qtensor_free(&q);
    free(Wsub);
    return rc;
}

static int cmd_model(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_sim_opts *o, mxf_err *err)
{
    const mxf_msq_cfg *c = msq(cfg);
    char dflt[48], desc[160];
    const int benes = c->net == MXF_MSQ_NET_BENES;
    /* a Benes network routes every placement: the quantizer need not restrict them */
    snprintf(dflt, sizeof dflt, "microscopiq%d%s", c->bb, benes ? ":route=any" : "");
    if (c->units == MXF_MSQ_UNITS_ROW)
        snprintf(desc, sizeof desc, "%dx%d MicroScopiQ, BB=%d, a %s ReCoN per row", c->rows,
                 c->cols, c->bb, mxf_msq_net_of(c)->name);
    else
        snprintf(desc, sizeof desc, "%dx%d MicroScopiQ, BB=%d, %d shared %s ReCoN unit%s", c->rows,
                 c->cols, c->bb, c->units, mxf_msq_net_of(c)->name, c->units > 1 ? "s" : "");
    const mxf_mblock mb = {dflt, check_format, model_layer, desc, "ReCoN contention"};
    return mxf_model_run(ctx, cfg, o, &mb, err);
}

/* `bench`: the Verilated array (every output checked) against the golden model on one GEMM. */
static int cmd_bench(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_sim_opts *o, mxf_err *err)
{
    const mxf_msq_cfg *c = msq(cfg);
    const int M = (int)o->m, K = (int)o->k, N = (int)o->n;
    int8_t *A = malloc((size_t)M * K);
    float *W = malloc(sizeof(float) * (size_t)N * K);
    int64_t *tile = malloc(sizeof(int64_t) * (size_t)M * (size_t)mxf_msq_ports(c));
    mxf_qtensor q = {0};
    int rc = 2;
    msq_job s;
    memset(&s, 0, sizeof s);
    mxf_job j;
    char spec[64];
    mxf_qformat fmt;
    if (!A || !W || !tile) {
        mxf_fail(err, "out of memory");
        goto out;
    }
    operands(o->seed, FILL_RANDOM, c, M, K, N, A, W, spec, sizeof spec);
    if (mxf_qformat_parse(spec, &fmt, err) || mxf_quantize(&fmt, W, N, K, &q, err) ||
        job_open(&s, &j, c, &q, 0, N, 0, K, M, A, NULL, o->seed, err))
        goto out;
    double w0 = ctx->st.wall;
    rc = verdict(ctx->run(ctx, &j, "bench", err));
    if (rc) goto out;
    double rtl_wall = ctx->st.wall - w0;
    double t0 = mxf_now(), sink = 0;
    int reps = 0;
    do {
        for (int t = 0; t < s.g.T; t++) {
            if (mxf_msq_tile_golden(&s.g, t, tile)) {
                rc = verdict(
                    mxf_fail(err, "bench: out of memory for the golden output of tile %d", t));
                goto out;
            }
            sink += (double)tile[0];
        }
        reps++;
    } while (mxf_now() - t0 < 0.5);
    double gold = (double)M * K * N * reps / (mxf_now() - t0);
    double rtl = j.macs / rtl_wall;
    ctx->log(ctx,
             "bench: BB=%d M=%d K=%d N=%d tiles=%d cycles=%lld mismatches=0\n"
             "bench: rtl    %.0f cycles/s  %.1f M weight-MAC/s (every output checked)\n"
             "bench: golden %.1f M weight-MAC/s (C model, same GEMM)  golden/rtl = %.1fx%s\n",
             c->bb, M, K, N, s.g.T, (long long)s.g.total, (double)s.g.total / rtl_wall, rtl / 1e6,
             gold / 1e6, gold / rtl, sink == 0.12345 ? " " : "");
    log_job(ctx, &s, "bench");
out:
    job_close(&s);
    mxf_qtensor_free(&q);
    free(A);
    free(W);
    free(tile);
    return rc;
}

const mxf_sim_cmd mxf_msq_cmds[MXF_MSQ_N_CMDS] = {
    {"gemm", "--m M --k K --n N [--seed S]",
     "one GEMM of seeded random weights (a few outliers) quantized to MicroScopiQ", cmd_gemm, 1},
    {"random", "[--count N] [--seed S]", "random shapes covering every schedule case", cmd_random,
     0},
    {"directed", "[--seed S]",
     "the worst cases: 4 outliers in every uB, an outlier in every uB (all rows contend), "
     "negative outliers with zero mantissa, the largest scale shifts, extreme operands, units "
     "too far apart for R-row tiles, outliers and Lower halves at any slots (paths through ReCoN)",
     cmd_directed, 0},
    {"image", "--image FILE [--tensor NAME] [--m M] [--window W] [--seed S]",
     "a tensor of a MicroScopiQ image from mxquant through the array", cmd_image, 1},
    {"model", "--model NAME [--format SPEC] [--tokens M] [--window W] [--seed S]",
     "every linear layer of a zoo model quantized to MicroScopiQ on the fly, a sampled window of "
     "each; reports output SQNR vs the float layer, cycles and ReCoN stalls",
     cmd_model, 0},
    {"bench", "[--m M --k K --n N]", "RTL vs golden-model throughput, side by side", cmd_bench, 0},
};
