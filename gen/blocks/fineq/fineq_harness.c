/* The FineQ blocks' harness glue: how a job drives the port table, the random and directed
 * GEMMs, and how FineQ images from mxquant become cluster bytes and per-group steps. The
 * simulator path (Verilator or Icarus) runs the cycles; every output row and its cycle is judged
 * by the golden model's checker (fineq_golden.c), which also applies the steps after the array. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fineq.h"
#include "fineq_golden.h"
#include "fineq_harness.h"
#include "half.h"
#include "image.h"
#include "models.h"
#include "mrun.h"
#include "qformat.h"
#include "qrun.h"
#include "rng.h"
#include "sim.h"
#include "synthetic.h"

enum {
#define MXF_PORT(nm, dir, role, width, doc) FQ_P_##nm,
#include "fineq_ports.def"
#undef MXF_PORT
    FQ_N_PORTS
};

static const mxf_fq_cfg *fq(const mxf_hwcfg *c)
{
    return (const mxf_fq_cfg *)(const void *)c->blob;
}

/* ---- a job: one tiled GEMM through the array ---- */
typedef struct fq_job {
    mxf_fq_checker k; /* first: the shared mxf_tile_job_* callbacks read it */
    mxf_fq_gemm g;
    mxf_fq_cursor cur;
    int AW, TW;
} fq_job;

static int64_t job_cycles(const mxf_job *j)
{
    return ((const fq_job *)j->state)->g.total;
}

static void job_stim(const mxf_job *j, int64_t cycle, mxf_portvals *in)
{
    fq_job *s = j->state;
    const mxf_fq_cfg *c = &s->g.cfg;
    mxf_fq_stim st;
    mxf_fq_stim_at(&s->g, &s->cur, cycle, &st);
    mxf_pv_put(in, FQ_P_act_valid_i, 0, 1, (uint64_t)st.act_valid);
    mxf_pv_put(in, FQ_P_act_bank_i, 0, 1, (uint64_t)st.act_bank);
    for (int r = 0; r < c->rows; r++) mxf_pv_put(in, FQ_P_act_i, 8 * r, 8, (uint8_t)st.act[r]);
    mxf_pv_put(in, FQ_P_w_valid_i, 0, 1, (uint64_t)st.w_valid);
    mxf_pv_put(in, FQ_P_w_bank_i, 0, 1, (uint64_t)st.w_bank);
    mxf_pv_put(in, FQ_P_w_row_i, 0, s->TW, (uint64_t)st.w_row);
    for (int col = 0; col < c->cols; col++) mxf_pv_put(in, FQ_P_w_i, 8 * col, 8, st.w[col]);
}

static int job_push(mxf_job *j, int64_t cycle, const mxf_portvals *out)
{
    fq_job *s = j->state;
    int64_t y[MXF_FQ_MAX_DIM];
    for (int col = 0; col < s->g.cfg.cols; col++)
        y[col] = mxf_pv_get(out, FQ_P_y_o, s->AW * col, s->AW, 1);
    return mxf_tile_checker_push(&s->k, cycle, y);
}

static const mxf_job_ops fq_job_ops = {job_cycles,
                                       job_stim,
                                       job_push,
                                       mxf_tile_job_finish,
                                       mxf_tile_job_failure,
                                       mxf_tile_job_next_cycle};

static void job_close(fq_job *s)
{
    mxf_tile_checker_free(&s->k);
    mxf_fq_gemm_free(&s->g);
}

static int job_open(fq_job *s, mxf_job *j, const mxf_fq_cfg *c, int M, int K, int N,
                    const int8_t *A, const uint8_t *Wc, int gh, uint64_t seed, mxf_err *err)
{
    memset(s, 0, sizeof *s);
    if (mxf_fq_gemm_init(&s->g, c, M, K, N, A, Wc, gh, err)) return -1;
    if (mxf_fq_checker_init(&s->k, &s->g, seed, err)) {
        job_close(s);
        return -1;
    }
    s->AW = mxf_fq_acc_bits(c);
    s->TW = mxf_fq_tag_bits(c);
    *j = (mxf_job){&fq_job_ops, s, (double)M * K * N, s->g.T, seed};
    return 0;
}

static int verdict(int rc)
{
    return rc < 0 ? 2 : rc;
}

/* Utilization: useful MACs over the PE-cycles the schedule took (R * C * cycles); and for the
 * temporal PEs, adder pulses over the PE-cycles (how busy the adders were). */
static void log_job(mxf_sim_ctx *ctx, const fq_job *s, const char *label)
{
    const mxf_fq_gemm *g = &s->g;
    const double pe_cycles = (double)g->cfg.rows * g->cfg.cols * (double)g->total;
    ctx->log(ctx,
             "  %s: %lld cycles, %lld steps (%lld with a row), PE utilization %.1f%%, adder "
             "pulses %.3g (%.2f per MAC)\n",
             label, (long long)g->total, (long long)g->n_steps, (long long)g->busy_steps,
             100.0 * (double)g->M * g->K * g->N / pe_cycles, (double)g->pulses,
             (double)g->pulses / ((double)g->M * g->K * g->N));
}

/* Model-runner figures of a run: stall cycles (a step's cycles beyond one), the PE events
 * (adder pulses of the temporal PEs, 8x3 multiplies of fineq-mul, one per PE and token) and
 * accumulator additions. */
static void job_stats(const mxf_fq_gemm *g, mxf_mres *mr)
{
    const double pe_tokens = (double)g->T * g->M * g->cfg.rows * g->cfg.cols;
    mr->stall_cycles =
        g->n_steps > 0 ? g->step_cycle[g->n_steps - 1] - g->step_cycle[0] + 1 - g->n_steps : 0;
    if (g->cfg.sched == MXF_FQ_MUL) {
        mr->ev[MXF_EV_MUL8X3] += pe_tokens;
        mr->ev[MXF_EV_ADD_ACC] += pe_tokens;
    } else {
        mr->ev[MXF_EV_ADD_PULSE] += (double)g->pulses;
    }
}

/* ---- random and directed operands ---- */
typedef enum fill {
    FILL_RANDOM = 0, /* mixed clusters and activations, extremes over-represented */
    FILL_OUTLIER,    /* every cluster an outlier cluster (idx != 00) */
    FILL_ZERO,       /* every cluster byte 0x00: no pulses at all */
    FILL_EXTREME,    /* every surviving code -4, activations -128: the largest column sums */
    FILL_COLUMN,     /* random, but column 0 has -4 at every surviving position */
    FILL_ZERO_ACTS,  /* random clusters, all-zero activations */
    FILL_COUNT
} fill;

static const char *const fill_names[FILL_COUNT] = {"random operands",     "all-outlier clusters",
                                                   "all-zero clusters",   "extreme codes and acts",
                                                   "a column of |q| = 4", "all-zero activations"};

static uint8_t outlier_byte(mxf_rng *r, int a, int b)
{
    return (uint8_t)((int)mxf_rng_range(r, 1, 3) << 6 | (a & 7) << 3 | (b & 7));
}

static void operands(uint64_t seed, fill f, int M, int K, int N, int8_t *A, uint8_t *Wc)
{
    mxf_rng r;
    mxf_rng_seed(&r, seed);
    const int KC = (K + 2) / 3;
    for (size_t i = 0; i < (size_t)M * K; i++) {
        int64_t pick = mxf_rng_range(&r, 0, 15);
        A[i] = f == FILL_ZERO_ACTS ? 0
               : f == FILL_EXTREME ? -128
               : pick == 0         ? -128
               : pick == 1         ? 127
               : pick <= 3         ? 0
                                   : (int8_t)mxf_rng_range(&r, -128, 127);
    }
    for (int kc = 0; kc < KC; kc++)
        for (int n = 0; n < N; n++) {
            uint8_t *w = &Wc[(size_t)kc * N + n];
            int64_t pick = mxf_rng_range(&r, 0, 15);
            if (f == FILL_ZERO)
                *w = 0;
            else if (f == FILL_EXTREME || (f == FILL_COLUMN && n == 0))
                *w = outlier_byte(&r, 4, 4);
            else if (f == FILL_OUTLIER)
                *w = outlier_byte(&r, (int)mxf_rng_range(&r, -4, 3), (int)mxf_rng_range(&r, -4, 3));
            else
                *w = pick == 0   ? 0
                     : pick == 1 ? outlier_byte(&r, 4, (int)mxf_rng_range(&r, -4, 3))
                                 : (uint8_t)mxf_rng_range(&r, 0, 255);
        }
}

static int run_gemm(mxf_sim_ctx *ctx, const mxf_fq_cfg *c, int M, int K, int N, uint64_t seed,
                    fill f, int verbose, mxf_err *err)
{
    int8_t *A = malloc((size_t)M * K);
    uint8_t *Wc = malloc((size_t)((K + 2) / 3) * N);
    int rc = -1;
    if (!A || !Wc) {
        mxf_fail(err, "out of memory for M=%d K=%d N=%d", M, K, N);
        goto out;
    }
    operands(seed, f, M, K, N, A, Wc);
    fq_job s;
    mxf_job j;
    char label[160];
    snprintf(label, sizeof label, "gemm M=%d K=%d N=%d (%s)", M, K, N, fill_names[f]);
    if (job_open(&s, &j, c, M, K, N, A, Wc, 0, seed, err) == 0) {
        rc = ctx->run(ctx, &j, label, err);
        if (rc == 0 && verbose && !ctx->stim_only) log_job(ctx, &s, label);
        job_close(&s);
    }
out:
    free(A);
    free(Wc);
    return rc;
}

static int cmd_gemm(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_sim_opts *o, mxf_err *err)
{
    return verdict(
        run_gemm(ctx, fq(cfg), (int)o->m, (int)o->k, (int)o->n, o->seed, FILL_RANDOM, 1, err));
}

/* Random shapes covering every schedule case: one tile, M below and above the reload distance,
 * K not a multiple of 3 or of the tile, N not a multiple of the columns, many tiles. */
static int cmd_random(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_sim_opts *o, mxf_err *err)
{
    const mxf_fq_cfg *c = fq(cfg);
    mxf_rng r;
    mxf_rng_seed(&r, o->seed);
    for (long i = 0; i < o->count; i++) {
        int M = (int)mxf_rng_range(&r, 1, 3 * c->rows);
        int K = (int)mxf_rng_range(&r, 1, 3 * c->rows);
        int N = (int)mxf_rng_range(&r, 1, 3 * c->cols);
        if (i == 0) M = 1, K = 3 * mxf_fq_full_groups(c), N = c->cols; /* one tile, one row */
        if (i == 1) K = 5 * 3 * mxf_fq_full_groups(c) + 1;             /* six K tiles */
        uint64_t seed = o->seed * 1000003u + (uint64_t)i;
        int rc = run_gemm(ctx, c, M, K, N, seed, FILL_RANDOM, 0, err);
        if (rc) return verdict(rc);
    }
    return 0;
}

/* The directed worst cases, each on a shape with several K and N tiles that fills every
 * column. */
static int cmd_directed(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_sim_opts *o, mxf_err *err)
{
    const mxf_fq_cfg *c = fq(cfg);
    const int M = c->rows + 2, K = 2 * 3 * mxf_fq_full_groups(c), N = 2 * c->cols;
    for (int f = 1; f < FILL_COUNT; f++) {
        int rc = run_gemm(ctx, c, M, K, N, o->seed + (uint64_t)f, (fill)f, 1, err);
        if (rc) return verdict(rc);
    }
    return 0;
}

/* ---- FineQ tensors: cluster bytes and per-group steps ---- */
typedef struct qwin {
    int K, N, KC;
    uint8_t *Wc;  /* KC x N */
    double *step; /* per (group, n): KG x N, KG = ceil(3KC / group) */
    int group;
} qwin;

static void qwin_free(qwin *q)
{
    free(q->Wc);
    free(q->step);
    memset(q, 0, sizeof *q);
}

/* Cluster bytes of tensor rows [n0, n0+N) x cols [k0, k0+K) (k0 on a group) and their steps. */
static int qwin_from_tensor(const mxf_qtensor *q, const char *label, int64_t n0, int N, int64_t k0,
                            int K, qwin *w, mxf_err *err)
{
    memset(w, 0, sizeof *w);
    if (q->fmt.family != MXF_QF_FINEQ) {
        char name[64];
        mxf_qformat_name(&q->fmt, name, sizeof name);
        return mxf_fail(err, "%s: format %s is not FineQ (the fineq arrays run fineq images)",
                        label, name);
    }
    const int group = q->fmt.fq.group;
    if (k0 % group)
        return mxf_fail(err, "%s: window start k=%lld is not on a group", label, (long long)k0);
    const int64_t kp = (q->cols + 2) / 3 * 3, per = (kp + group - 1) / group;
    w->K = K, w->N = N, w->KC = (K + 2) / 3, w->group = group;
    const int KG = (3 * w->KC + group - 1) / group;
    w->Wc = malloc((size_t)w->KC * N);
    w->step = malloc(sizeof(double) * (size_t)KG * N);
    if (!w->Wc || !w->step) {
        qwin_free(w);
        return mxf_fail(err, "%s: out of memory", label);
    }
    for (int n = 0; n < N; n++) {
        const int64_t row = n0 + n;
        for (int kg = 0; kg < KG; kg++) {
            int64_t gi = row * per + k0 / group + kg;
            uint16_t h = (uint16_t)(q->meta[2 * gi] | q->meta[2 * gi + 1] << 8);
            double d = mxf_fp16_to_f32(h);
            if (!isfinite(d)) {
                qwin_free(w);
                return mxf_fail(err, "%s: row %lld group %lld has a non-finite step (0x%04x)",
                                label, (long long)row, (long long)(k0 / group + kg), h);
            }
            w->step[(size_t)kg * N + n] = d;
        }
        for (int kc = 0; kc < w->KC; kc++)
            w->Wc[(size_t)kc * N + n] = q->codes[row * (kp / 3) + k0 / 3 + kc];
    }
    return 0;
}

/* K-tile height in clusters: the largest divisor of group/3 that fits the array, so every tile
 * lies inside one group and its integer output is scaled by one step. */
static int gh_for_group(const mxf_fq_cfg *c, int group)
{
    int best = 1;
    for (int d = 1; d <= mxf_fq_full_groups(c); d++)
        if ((group / 3) % d == 0) best = d;
    return best;
}

/* Runs one quantized window: bit-exact integer outputs and cycles (the checker); the
 * post-processed outputs within (K + KT + 4) * 2^-53 * sum|a w| of a double reference over the
 * decoded weights and activations; and, with Wf, the output SQNR against the float layer. */
static int run_qwin(mxf_sim_ctx *ctx, const mxf_fq_cfg *c, const qwin *w, const float *X,
                    int64_t ldx, int M, const float *Wf, int64_t ldw, uint64_t seed,
                    const char *label, mxf_qresult *res, mxf_mres *mr, mxf_err *err)
{
    const int K = w->K, N = w->N, gh = gh_for_group(c, w->group);
    int8_t *A = malloc((size_t)M * K);
    double *as = malloc(sizeof(double) * (size_t)M);
    double *tstep = NULL, *Wd = NULL;
    int rc = -1;
    fq_job s;
    memset(&s, 0, sizeof s);
    if (!A || !as) {
        mxf_fail(err, "%s: out of memory", label);
        goto out;
    }
    mxf_acts_int8(X, M, K, ldx, A, as);
    mxf_job j;
    if (job_open(&s, &j, c, M, K, N, A, w->Wc, gh, seed, err)) goto out;
    tstep = malloc(sizeof(double) * (size_t)s.g.KT * N);
    if (!tstep) {
        mxf_fail(err, "%s: out of memory", label);
        goto out;
    }
    for (int kt = 0; kt < s.g.KT; kt++)
        for (int n = 0; n < N; n++)
            tstep[(size_t)kt * N + n] = w->step[(size_t)(kt * 3 * gh / w->group) * N + n];
    if (mxf_tile_checker_set_scales(&s.k, tstep, as, err)) goto out;
    rc = ctx->run(ctx, &j, label, err);
    if (rc || ctx->stim_only) goto out;
    Wd = malloc(sizeof(double) * (size_t)K * N);
    if (!Wd) {
        rc = -1;
        mxf_fail(err, "%s: out of memory", label);
        goto out;
    }
    for (int k = 0; k < K; k++)
        for (int n = 0; n < N; n++)
            Wd[(size_t)k * N + n] =
                (double)s.g.q[(size_t)k * N + n] * w->step[(size_t)(k / w->group) * N + n];
    rc = mxf_dequant_judge(s.k.y, A, as, Wd, M, K, N, s.g.KT, X, ldx, Wf, ldw, label, seed,
                           ctx->failure, sizeof ctx->failure, res, err);
    if (rc) goto out;
    if (mr)
        job_stats(&s.g, mr);
    else
        log_job(ctx, &s, label);
out:
    job_close(&s);
    free(Wd);
    free(tstep);
    free(A);
    free(as);
    return rc;
}

/* `image`: a tensor of a FineQ image through the array, with synthetic activations of the
 * tensor's input (seeded by --seed and the tensor name). */
static int cmd_image(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_sim_opts *o, mxf_err *err)
{
    const mxf_fq_cfg *c = fq(cfg);
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
    const int group = q.fmt.family == MXF_QF_FINEQ ? q.fmt.fq.group : 3;
    if (o->set_window) {
        mxf_rng r;
        mxf_rng_seed(&r, o->seed);
        mxf_window_pick(&r, q.cols, q.rows, 3 * gh_for_group(c, group), c->cols, o->window, &k0,
                        &Ks, &n0, &Ns);
        int64_t k1 = k0 + Ks;
        k0 -= k0 % group;
        Ks = (int)(k1 - k0);
    }
    const int M = (int)o->m;
    mxf_synth_params sp;
    mxf_synth_default_params(&sp);
    float *X = malloc(sizeof(float) * (size_t)M * (size_t)q.cols);
    qwin w = {0};
    int rc = 2;
    char label[1200];
    snprintf(label, sizeof label, "%s %s (%lldx%lld) rows %lld..%lld cols %lld..%lld", o->image,
             name, (long long)q.rows, (long long)q.cols, (long long)n0, (long long)(n0 + Ns - 1),
             (long long)k0, (long long)(k0 + Ks - 1));
    if (!X) {
        mxf_fail(err, "out of memory");
    } else if (mxf_synth_acts(&sp, o->seed, name, M, q.cols, X, err) == 0 &&
               qwin_from_tensor(&q, o->image, n0, Ns, k0, Ks, &w, err) == 0) {
        mxf_qresult res = {0};
        rc = verdict(
            run_qwin(ctx, c, &w, X + k0, q.cols, M, NULL, 0, o->seed, label, &res, NULL, err));
        if (rc == 0)
            ctx->log(ctx,
                     "image: %s, format %s: K tiles of %d clusters (group %d), bit-exact; "
                     "dequantized outputs within bound (max |diff|/sum|a w| %.2g)\n",
                     label, img.spec, gh_for_group(c, group), group, res.max_rel_bound);
    }
    qwin_free(&w);
    free(X);
    mxf_image_free(&img);
    return rc;
}

/* `model`: every linear layer of a zoo model, its synthetic weights quantized to FineQ (the same
 * tensors `mxquant quantize --model` writes), a sampled window of each through the array. */
static int check_format(const mxf_hwcfg *cfg, const mxf_qformat *f, const char *spec, mxf_err *err)
{
    (void)cfg;
    if (f->family != MXF_QF_FINEQ)
        return mxf_fail(err, "FORMAT=%s: the fineq arrays run FineQ formats only", spec), 2;
    return 0;
}

/* One layer of the model runner: a window of K tiles of 3 * gh rows (group-aligned) and C-column
 * N tiles out of the whole quantized tensor. */
static int model_layer(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_mlayer *L, mxf_mres *res,
                       mxf_err *err)
{
    const mxf_fq_cfg *c = fq(cfg);
    const int group = L->fmt->fq.group, gh = gh_for_group(c, group);
    const int64_t N = L->N, K = L->K;
    int64_t k0, n0;
    int Ks, Ns;
    mxf_window_pick(L->rng, K, N, 3 * gh, c->cols, L->window, &k0, &Ks, &n0, &Ns);
    int64_t k1 = k0 + Ks;
    k0 -= k0 % group;
    Ks = (int)(k1 - k0);
    mxf_qtensor q = {0};
    qwin w = {0};
    char label[512];
    snprintf(label, sizeof label, "layer %d %s (%lldx%lld) rows %lld..%lld cols %lld..%lld",
             L->layer, L->model->linear[L->lin].name, (long long)N, (long long)K, (long long)n0,
             (long long)(n0 + Ns - 1), (long long)k0, (long long)(k0 + Ks - 1));
    double t0 = mxf_now();
    int rc = 2;
    if (mxf_quantize(L->fmt, L->W, N, K, &q, err) ||
        qwin_from_tensor(&q, L->tensor, n0, Ns, k0, Ks, &w, err)) {
        mxf_fail_prefix(err, "%s: ", label);
    } else {
        mxf_mres_window(res, n0, Ns, k0, Ks, &q, (double)N * K,
                        (double)((K + 3 * gh - 1) / (3 * gh)) *
                            (double)((N + c->cols - 1) / c->cols),
                        mxf_now() - t0);
        rc = verdict(run_qwin(ctx, c, &w, L->X + k0, K, L->M, L->W + n0 * K + k0, K, L->seed, label,
                              &res->q, res, err));
        if (rc == 0)
            mxf_mem_events(res->ev, L->M, Ks, Ns, (Ks + 3 * gh - 1) / (3 * gh),
                           (Ns + c->cols - 1) / c->cols,
                           res->bits_q * ((double)Ks * Ns / ((double)N * K)));
    }
    qwin_free(&w);
    mxf_qtensor_free(&q);
    return rc;
}

static int cmd_model(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_sim_opts *o, mxf_err *err)
{
    const mxf_fq_cfg *c = fq(cfg);
    char desc[128];
    snprintf(desc, sizeof desc, "%dx%d FineQ, %s", c->rows, c->cols,
             c->sched == MXF_FQ_MUL    ? "8x3-bit multiplier PEs"
             : c->sched == MXF_FQ_LOCK ? "temporal-coded PEs, a step every 4 cycles"
                                       : "temporal-coded PEs, elastic steps");
    const mxf_mblock mb = {"fineq", check_format, model_layer, desc,
                           "temporal coding (cycles beyond one per step)"};
    return mxf_model_run(ctx, cfg, o, &mb, err);
}

/* `bench`: the Verilated array (driving and checking every output) against the golden model
 * computing the same GEMM, side by side; prints figures, asserts nothing about speed. */

static int cmd_bench(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_sim_opts *o, mxf_err *err)
{
    const mxf_fq_cfg *c = fq(cfg);
    const int M = (int)o->m, K = (int)o->k, N = (int)o->n;
    int8_t *A = malloc((size_t)M * K);
    uint8_t *Wc = malloc((size_t)((K + 2) / 3) * N);
    int64_t *tile = malloc(sizeof(int64_t) * (size_t)M * (size_t)c->cols);
    int rc = 2;
    fq_job s;
    memset(&s, 0, sizeof s);
    mxf_job j;
    if (!A || !Wc || !tile) {
        mxf_fail(err, "out of memory");
        goto out;
    }
    operands(o->seed, FILL_RANDOM, M, K, N, A, Wc);
    if (job_open(&s, &j, c, M, K, N, A, Wc, 0, o->seed, err)) goto out;
    double w0 = ctx->st.wall;
    rc = verdict(ctx->run(ctx, &j, "bench", err));
    if (rc) goto out;
    double rtl_wall = ctx->st.wall - w0;
    double t0 = mxf_now(), sink = 0;
    int reps = 0;
    do { /* golden model: every tile's exact sums, as the checker computes them */
        for (int t = 0; t < s.g.T; t++) {
            mxf_fq_tile_golden(&s.g, t, tile);
            sink += (double)tile[0];
        }
        reps++;
    } while (mxf_now() - t0 < 0.5);
    double gold = (double)M * K * N * reps / (mxf_now() - t0);
    double rtl = j.macs / rtl_wall;
    ctx->log(ctx,
             "bench: %s M=%d K=%d N=%d tiles=%d cycles=%lld mismatches=0\n"
             "bench: rtl    %.0f cycles/s  %.1f M weight-MAC/s (every output checked)\n"
             "bench: golden %.1f M weight-MAC/s (C model, same GEMM)  golden/rtl = %.1fx%s\n",
             mxf_fq_sched_name(c->sched), M, K, N, s.g.T, (long long)s.g.total,
             (double)s.g.total / rtl_wall, rtl / 1e6, gold / 1e6, gold / rtl,
             sink == 0.12345 ? " " : "");
    log_job(ctx, &s, "bench");
out:
    job_close(&s);
    free(A);
    free(Wc);
    free(tile);
    return rc;
}

const mxf_sim_cmd mxf_fq_cmds[MXF_FQ_N_CMDS] = {
    {"gemm", "--m M --k K --n N [--seed S]", "one GEMM of seeded random cluster bytes", cmd_gemm,
     1},
    {"random", "[--count N] [--seed S]", "random shapes covering every schedule case", cmd_random,
     0},
    {"directed", "[--seed S]",
     "the worst cases: all-outlier clusters, all-zero clusters, extreme codes and activations, a "
     "column of |q| = 4, all-zero activations",
     cmd_directed, 0},
    {"image", "--image FILE [--tensor NAME] [--m M] [--window W] [--seed S]",
     "a tensor of a FineQ image from mxquant: cluster bytes into the array, per-group steps "
     "applied after it by the golden model",
     cmd_image, 1},
    {"model", "--model NAME [--format SPEC] [--tokens M] [--window W] [--seed S]",
     "every linear layer of a zoo model quantized to FineQ on the fly, a sampled window of each; "
     "reports output SQNR vs the float layer, cycles and utilization",
     cmd_model, 0},
    {"bench", "[--m M --k K --n N]", "RTL vs golden-model throughput, side by side", cmd_bench, 0},
};
