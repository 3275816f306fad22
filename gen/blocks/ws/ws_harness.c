/* The `ws` block's harness glue: how its jobs drive the port table and how images from mxquant
 * become array operands. The simulator path (Verilator or Icarus) runs the cycles; every output
 * row and its cycle is judged by the golden model's checker (ws_golden.c), which also applies the
 * per-block scales after the array (README.md, "Scales"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image.h"
#include "models.h"
#include "mrun.h"
#include "mxint.h"
#include "qformat.h"
#include "qrun.h"
#include "rng.h"
#include "sim.h"
#include "synthetic.h"
#include "ws_golden.h"
#include "ws_harness.h"

enum {
#define MXF_PORT(nm, dir, role, width, doc) WS_P_##nm,
#include "ws_ports.def"
#undef MXF_PORT
    WS_N_PORTS
};

static const mxf_ws_cfg *ws(const mxf_hwcfg *c)
{
    return (const mxf_ws_cfg *)(const void *)c->blob;
}

/* ---- a job: one tiled GEMM through the array ---- */
typedef struct ws_job {
    mxf_ws_checker k; /* first: the shared mxf_tile_job_* callbacks read it */
    mxf_ws_gemm g;
    int AW, CW;
} ws_job;

static int64_t job_cycles(const mxf_job *j)
{
    return mxf_ws_total_cycles(&((const ws_job *)j->state)->g);
}

static void job_stim(const mxf_job *j, int64_t cycle, mxf_portvals *in)
{
    const ws_job *s = j->state;
    const mxf_ws_cfg *c = &s->g.cfg;
    mxf_ws_stim st;
    mxf_ws_stim_at(&s->g, cycle, &st);
    mxf_pv_put(in, WS_P_act_valid_i, 0, 1, (uint64_t)st.act_valid);
    mxf_pv_put(in, WS_P_act_bank_i, 0, 1, (uint64_t)st.act_bank);
    for (int r = 0; r < c->rows; r++) mxf_pv_put(in, WS_P_act_i, 8 * r, 8, (uint8_t)st.act[r]);
    mxf_pv_put(in, WS_P_w_valid_i, 0, 1, (uint64_t)st.w_valid);
    mxf_pv_put(in, WS_P_w_bank_i, 0, 1, (uint64_t)st.w_bank);
    mxf_pv_put(in, WS_P_w_row_i, 0, s->CW, (uint64_t)st.w_row);
    for (int col = 0; col < c->cols; col++)
        mxf_pv_put(in, WS_P_w_i, c->wbits * col, c->wbits, (uint8_t)st.w[col]);
}

static int job_push(mxf_job *j, int64_t cycle, const mxf_portvals *out)
{
    ws_job *s = j->state;
    int64_t y[MXF_WS_MAX_DIM];
    for (int col = 0; col < s->g.cfg.cols; col++)
        y[col] = mxf_pv_get(out, WS_P_y_o, s->AW * col, s->AW, 1);
    return mxf_ws_checker_push(&s->k, cycle, y);
}

static const mxf_job_ops ws_job_ops = {job_cycles,
                                       job_stim,
                                       job_push,
                                       mxf_tile_job_finish,
                                       mxf_tile_job_failure,
                                       mxf_tile_job_next_cycle};

static int job_open(ws_job *s, mxf_job *j, const mxf_ws_cfg *c, int M, int K, int N,
                    const int8_t *A, const int8_t *W, int kh, uint64_t seed, mxf_err *err)
{
    memset(s, 0, sizeof *s);
    if (mxf_ws_gemm_init_kh(&s->g, c, M, K, N, A, W, kh, err)) return -1;
    if (mxf_ws_checker_init(&s->k, &s->g, seed, err)) return -1;
    s->AW = mxf_ws_acc_bits(c);
    s->CW = mxf_ws_cnt_bits(c);
    *j = (mxf_job){&ws_job_ops, s, (double)M * K * N, s->g.n_tiles, seed};
    return 0;
}

/* ---- random operands ---- */
/* fill: 0 seeded random operands; 1 every product at its positive extreme (-128 x wmin), so each
 * output is the largest column sum the accumulator must hold; 2 the negative extreme. */
static int run_random_gemm(mxf_sim_ctx *ctx, const mxf_ws_cfg *c, int M, int K, int N,
                           uint64_t seed, int fill, int tight, mxf_err *err)
{
    int8_t *A = malloc((size_t)M * K), *W = malloc((size_t)K * N);
    int rc = -1;
    if (!A || !W) {
        mxf_fail(err, "out of memory for M=%d K=%d N=%d", M, K, N);
        goto out;
    }
    mxf_ws_random_operands(c, seed, M, K, N, A, W);
    if (fill) {
        memset(A, fill == 1 ? -128 : 127, (size_t)M * K);
        memset(W, (int)mxf_ws_wmin(c), (size_t)K * N);
    }
    ws_job s;
    mxf_job j;
    char label[128];
    snprintf(label, sizeof label, "gemm M=%d K=%d N=%d%s%s", M, K, N,
             fill ? " (extreme operands)" : "", tight ? " (same-cycle bank reloads)" : "");
    if (job_open(&s, &j, c, M, K, N, A, W, c->rows, seed, err) == 0) {
        s.g.tight = tight;
        rc = ctx->run(ctx, &j, label, err);
    }
    mxf_ws_checker_free(&s.k);
out:
    free(A);
    free(W);
    return rc;
}

static int verdict(int rc)
{
    return rc < 0 ? 2 : rc;
}

static int cmd_gemm(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_sim_opts *o, mxf_err *err)
{
    return verdict(
        run_random_gemm(ctx, ws(cfg), (int)o->m, (int)o->k, (int)o->n, o->seed, 0, 0, err));
}

/* Random shapes covering every schedule case: M < R (load-bound tiles), M >= R, K and N not
 * multiples of the array, a single tile, many tiles, all-extreme operands with N filling every
 * column, and (every odd GEMM) bank reloads on the same cycle as the bank's last reader. */
static int cmd_random(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_sim_opts *o, mxf_err *err)
{
    const mxf_ws_cfg *c = ws(cfg);
    mxf_rng r;
    mxf_rng_seed(&r, o->seed);
    for (long i = 0; i < o->count; i++) {
        int M = (int)mxf_rng_range(&r, 1, 3 * c->rows);
        int K = (int)mxf_rng_range(&r, 1, 3 * c->rows);
        int N = (int)mxf_rng_range(&r, 1, 3 * c->cols);
        if (i == 0) M = 1, K = c->rows, N = c->cols;            /* one tile, one row */
        if (i == 1 || i == 2) K = 2 * c->rows, N = 2 * c->cols; /* every column, extreme values */
        if (i & 1) M = c->rows + 1 + (int)mxf_rng_range(&r, 0, c->rows); /* M > R: tight */
        if (i == 3) K = 5 * c->rows;                                     /* five K tiles */
        uint64_t seed = o->seed * 1000003u + (uint64_t)i;
        int rc = run_random_gemm(ctx, c, M, K, N, seed, (i == 1 || i == 2) ? (int)i : 0,
                                 (int)(i & 1), err);
        if (rc) return verdict(rc);
    }
    return 0;
}

/* ---- quantized weights: integer codes and per-block scales ---- */
/* A window of a quantized tensor as array operands: W[k][n] integer codes (K x N) and their
 * scales per (k-block, n), exactly what the post-processing stage multiplies by. */
typedef struct qwin {
    int K, N, block;
    int8_t *W;
    double *wscale; /* ceil(K/block) x N */
} qwin;

static void qwin_free(qwin *q)
{
    free(q->W);
    free(q->wscale);
    memset(q, 0, sizeof *q);
}

/* Reads element i of a little-endian bitstream of `bits`-bit codes. */
static unsigned get_code(const uint8_t *p, int64_t i, int bits)
{
    int64_t bit = i * bits;
    unsigned v = 0;
    for (int b = 0; b < bits; b++, bit++) v |= ((unsigned)(p[bit >> 3] >> (bit & 7)) & 1u) << b;
    return v;
}

/* Integer codes of tensor rows [n0, n0+N) x cols [k0, k0+K) of an MX-INT8 (OCP, two's
 * complement, value code * 2^-6 * 2^(E-127)) or MX-INT-b (axis k, sign-magnitude, value level *
 * 2^(E-127-(b-2))) tensor (docs/image-format.md), and the scales of those blocks. k0 must be a
 * multiple of the block. Fails on formats the WS array cannot run and on NaN scales. */
static int qwin_from_tensor(const mxf_qtensor *q, const char *label, int wbits, int64_t n0, int N,
                            int64_t k0, int K, qwin *w, mxf_err *err)
{
    memset(w, 0, sizeof *w);
    int bits, block, twos, shift;
    if (q->fmt.family == MXF_QF_MX && q->fmt.mx.elem == MXF_INT8) {
        bits = 8, block = q->fmt.mx.block, twos = 1, shift = 6;
    } else if (q->fmt.family == MXF_QF_MXINT && q->fmt.axis == MXF_AXIS_K) {
        bits = q->fmt.mxint.bits, block = q->fmt.mxint.block, twos = 0, shift = bits - 2;
    } else {
        char name[64];
        mxf_qformat_name(&q->fmt, name, sizeof name);
        return mxf_fail(err,
                        "%s: format %s has no integer codes the ws array runs (use mxint8, "
                        "mxint4 or mxint2)",
                        label, name);
    }
    if (bits > wbits)
        return mxf_fail(err, "%s: %d-bit codes do not fit WBITS=%d (use WBITS=8)", label, bits,
                        wbits);
    if (k0 % block)
        return mxf_fail(err, "%s: window start k=%lld is not on a scale block", label,
                        (long long)k0);
    const int64_t KB = (q->cols + block - 1) / block;
    const int64_t bytes_per_block = ((int64_t)block * bits + 7) / 8;
    const int kbw = (K + block - 1) / block;
    w->K = K, w->N = N, w->block = block;
    w->W = malloc((size_t)K * N);
    w->wscale = malloc(sizeof(double) * (size_t)kbw * N);
    if (!w->W || !w->wscale) {
        qwin_free(w);
        return mxf_fail(err, "%s: out of memory", label);
    }
    for (int n = 0; n < N; n++)
        for (int kb = 0; kb < kbw; kb++) {
            int64_t blk = (n0 + n) * KB + k0 / block + kb;
            uint8_t e = q->meta[blk];
            if (e == MXF_E8M0_NAN) {
                qwin_free(w);
                return mxf_fail(err, "%s: row %lld block %lld has a NaN scale", label,
                                (long long)(n0 + n), (long long)(k0 / block + kb));
            }
            w->wscale[(size_t)kb * N + n] = ldexp(1.0, (int)e - 127 - shift);
            const uint8_t *p = q->codes + blk * bytes_per_block;
            for (int i = 0; i < block && kb * block + i < K; i++) {
                unsigned code = get_code(p, i, bits);
                int v = twos ? (int)(int8_t)code : mxf_mxint_level(bits, code);
                w->W[(size_t)(kb * block + i) * N + n] = (int8_t)v;
            }
        }
    return 0;
}

/* Runs one quantized window and judges the dequantized outputs:
 *  - bit-exact integer tile outputs and cycles (the checker),
 *  - the post-processed outputs within BOUND of a double reference over the decoded weights and
 *    activations: |y - ref| <= (K + KT + 4) * 2^-53 * sum_k |a_k w_k| (README.md, "Scales"),
 *  - and, when Wf is given, the output SQNR against the float layer X Wf^T. */

static int run_qwin(mxf_sim_ctx *ctx, const mxf_ws_cfg *c, const qwin *w, const float *X,
                    int64_t ldx, int M, const float *Wf, int64_t ldw, uint64_t seed,
                    const char *label, mxf_qresult *res, mxf_err *err)
{
    const int K = w->K, N = w->N;
    int8_t *A = malloc((size_t)M * K);
    double *as = malloc(sizeof(double) * (size_t)M), *Wd = NULL;
    int rc = -1;
    ws_job s;
    memset(&s, 0, sizeof s);
    if (!A || !as) {
        mxf_fail(err, "%s: out of memory", label);
        goto out;
    }
    mxf_acts_int8(X, M, K, ldx, A, as);
    mxf_job j;
    int kh = mxf_ws_kh_for_block(c, w->block);
    if (job_open(&s, &j, c, M, K, N, A, w->W, kh, seed, err)) goto out;
    mxf_ws_scales sc = {w->block, w->wscale, as};
    if (mxf_ws_checker_set_scales(&s.k, &sc, err)) goto out;
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
                (double)w->W[(size_t)k * N + n] * w->wscale[(size_t)(k / w->block) * N + n];
    rc = mxf_dequant_judge(s.k.y, A, as, Wd, M, K, N, s.g.KT, X, ldx, Wf, ldw, label, seed,
                           ctx->failure, sizeof ctx->failure, res, err);
out:
    mxf_ws_checker_free(&s.k);
    free(Wd);
    free(A);
    free(as);
    return rc;
}

static int block_of(const mxf_qformat *f)
{
    return f->family == MXF_QF_MX ? f->mx.block : f->family == MXF_QF_MXINT ? f->mxint.block : 1;
}

/* `image`: a tensor of a packed image through the array, with synthetic activations of the
 * tensor's input (seeded by --seed and the tensor name). */
static int cmd_image(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_sim_opts *o, mxf_err *err)
{
    const mxf_ws_cfg *c = ws(cfg);
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
    int block = block_of(&q.fmt);
    int64_t k0 = 0, n0 = 0;
    int Ks = (int)q.cols, Ns = (int)q.rows;
    int kh = mxf_ws_kh_for_block(c, block);
    if (o->set_window) {
        mxf_rng r;
        mxf_rng_seed(&r, o->seed);
        mxf_window_pick(&r, q.cols, q.rows, kh, c->cols, o->window, &k0, &Ks, &n0, &Ns);
        k0 -= k0 % block;
    }
    int M = (int)o->m;
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
               qwin_from_tensor(&q, o->image, c->wbits, n0, Ns, k0, Ks, &w, err) == 0) {
        mxf_qresult res = {0};
        rc = verdict(run_qwin(ctx, c, &w, X + k0, q.cols, M, NULL, 0, o->seed, label, &res, err));
        if (rc == 0)
            ctx->log(
                ctx,
                "image: %s, format %s: K tiles of %d rows (scale block %d), bit-exact; dequantized "
                "outputs within bound (max |diff|/sum|a w| %.2g)\n",
                label, img.spec, kh, block, res.max_rel_bound);
    }
    qwin_free(&w);
    free(X);
    mxf_image_free(&img);
    return rc;
}

/* `model`: every linear layer of a zoo model, its synthetic weights quantized by the format (the
 * same tensors `mxquant quantize --model` writes), a sampled window of each through the array. */
/* One layer of the model runner: a window of K tiles of kh rows (block-aligned) and C-column N
 * tiles out of the whole quantized tensor. */
static int model_layer(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_mlayer *L, mxf_mres *res,
                       mxf_err *err)
{
    const mxf_ws_cfg *c = ws(cfg);
    const int block = block_of(L->fmt), kh = mxf_ws_kh_for_block(c, block);
    const int64_t N = L->N, K = L->K;
    int64_t k0, n0;
    int Ks, Ns;
    mxf_window_pick(L->rng, K, N, kh, c->cols, L->window, &k0, &Ks, &n0, &Ns);
    k0 -= k0 % block;
    mxf_qtensor q = {0};
    qwin w = {0};
    char label[512];
    snprintf(label, sizeof label, "layer %d %s (%lldx%lld) rows %lld..%lld cols %lld..%lld",
             L->layer, L->model->linear[L->lin].name, (long long)N, (long long)K, (long long)n0,
             (long long)(n0 + Ns - 1), (long long)k0, (long long)(k0 + Ks - 1));
    double t0 = mxf_now();
    int rc = 2;
    if (mxf_quantize(L->fmt, L->W, N, K, &q, err) ||
        qwin_from_tensor(&q, L->tensor, c->wbits, n0, Ns, k0, Ks, &w, err)) {
        mxf_fail_prefix(err, "%s: ", label);
    } else {
        mxf_mres_window(res, n0, Ns, k0, Ks, &q, (double)N * K,
                        (double)((K + kh - 1) / kh) * (double)((N + c->cols - 1) / c->cols),
                        mxf_now() - t0);
        rc = verdict(run_qwin(ctx, c, &w, L->X + k0, K, L->M, L->W + n0 * K + k0, K, L->seed, label,
                              &res->q, err));
        if (rc == 0) {
            const int KT = (Ks + kh - 1) / kh, NT = (Ns + c->cols - 1) / c->cols;
            const double pe_tokens = (double)KT * NT * L->M * c->rows * c->cols;
            res->ev[c->wbits == 8 ? MXF_EV_MUL8X8 : MXF_EV_MUL8X4] += pe_tokens;
            res->ev[MXF_EV_ADD_ACC] += pe_tokens;
            mxf_mem_events(res->ev, L->M, Ks, Ns, KT, NT,
                           res->bits_q * ((double)Ks * Ns / ((double)N * K)));
        }
    }
    qwin_free(&w);
    mxf_qtensor_free(&q);
    return rc;
}

static int cmd_model(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_sim_opts *o, mxf_err *err)
{
    const mxf_ws_cfg *c = ws(cfg);
    char desc[128];
    snprintf(desc, sizeof desc, "%dx%d weight-stationary INT%d", c->rows, c->cols, c->wbits);
    /* no format check: qwin_from_tensor names a format whose codes the array cannot run */
    const mxf_mblock mb = {c->wbits == 8 ? "mxint8" : "mxint4", NULL, model_layer, desc, NULL};
    return mxf_model_run(ctx, cfg, o, &mb, err);
}

/* `bench`: the Verilated array (driving and checking every output) against the golden model
 * computing the same GEMM, side by side; prints figures, asserts nothing about speed. */
static int cmd_bench(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_sim_opts *o, mxf_err *err)
{
    const mxf_ws_cfg *c = ws(cfg);
    const int M = (int)o->m, K = (int)o->k, N = (int)o->n;
    int8_t *A = malloc((size_t)M * K), *W = malloc((size_t)K * N);
    int64_t *tile = malloc(sizeof(int64_t) * (size_t)M * (size_t)c->cols);
    int rc = 2;
    ws_job s;
    memset(&s, 0, sizeof s);
    mxf_job j;
    if (!A || !W || !tile) {
        mxf_fail(err, "out of memory");
        goto out;
    }
    mxf_ws_random_operands(c, o->seed, M, K, N, A, W);
    if (job_open(&s, &j, c, M, K, N, A, W, c->rows, o->seed, err)) goto out;
    double w0 = ctx->st.wall;
    rc = verdict(ctx->run(ctx, &j, "bench", err));
    if (rc) goto out;
    double rtl_wall = ctx->st.wall - w0;
    double t0 = mxf_now(), sink = 0;
    int reps = 0;
    do { /* golden model: every tile's exact partial sums, as the checker computes them */
        for (int t = 0; t < s.g.n_tiles; t++) {
            mxf_ws_tile_golden(&s.g, t, tile);
            sink += (double)tile[0];
        }
        reps++;
    } while (mxf_now() - t0 < 0.5);
    double gold = (double)M * K * N * reps / (mxf_now() - t0);
    double rtl = j.macs / rtl_wall;
    ctx->log(ctx,
             "bench: M=%d K=%d N=%d tiles=%d cycles=%lld mismatches=0\n"
             "bench: rtl    %.0f cycles/s  %.1f M MAC/s (every output checked)\n"
             "bench: golden %.1f M MAC/s (C model, same GEMM)  golden/rtl = %.1fx%s\n",
             M, K, N, s.g.n_tiles, (long long)mxf_ws_total_cycles(&s.g),
             (double)mxf_ws_total_cycles(&s.g) / rtl_wall, rtl / 1e6, gold / 1e6, gold / rtl,
             sink == 0.12345 ? " " : "");
out:
    mxf_ws_checker_free(&s.k);
    free(A);
    free(W);
    free(tile);
    return rc;
}

const mxf_sim_cmd mxf_ws_cmds[MXF_WS_N_CMDS] = {
    {"gemm", "--m M --k K --n N [--seed S]", "one GEMM of seeded random operands", cmd_gemm, 1},
    {"random", "[--count N] [--seed S]", "random shapes covering every schedule case", cmd_random,
     0},
    {"image", "--image FILE [--tensor NAME] [--m M] [--window W] [--seed S]",
     "a tensor of an mxquant image (mxint8, mxint4, mxint2): integer codes into the array, "
     "per-block scales applied after it by the golden model",
     cmd_image, 1},
    {"model", "--model NAME [--format SPEC] [--tokens M] [--window W] [--seed S]",
     "every linear layer of a zoo model quantized on the fly (default mxint8 at WBITS=8, mxint4 at "
     "WBITS=4), a sampled window of each; reports output SQNR vs the float layer",
     cmd_model, 0},
    {"bench", "[--m M --k K --n N]", "RTL vs golden-model throughput, side by side", cmd_bench, 0},
};
