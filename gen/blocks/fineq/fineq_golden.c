/* FineQ arrays: derived widths, the step-level schedule and the golden checker. See
 * fineq_golden.h and README.md in this folder. */
#include "fineq_golden.h"

#include <stdlib.h>
#include <string.h>

#include "fineq.h"

static const char *const fault_names[MXF_FQ_FAULT_COUNT] = {
    "none", "dec-slot", "dec-sext",   "cnt-short", "addsub",
    "busy", "mul-sign", "late-valid", "noreset",
};

const char *mxf_fq_fault_name(mxf_fq_fault f)
{
    return f >= 0 && f < MXF_FQ_FAULT_COUNT ? fault_names[f] : "?";
}

const char *mxf_fq_sched_name(mxf_fq_sched s)
{
    return s == MXF_FQ_LOCK ? "lock" : s == MXF_FQ_ELASTIC ? "elastic" : "mul";
}

int mxf_fq_cfg_validate(const mxf_fq_cfg *c, mxf_err *err)
{
    if (c->rows < MXF_FQ_MIN_DIM || c->rows > MXF_FQ_MAX_DIM)
        return mxf_fail(err, "ROWS=%d: out of range (expected %d..%d)", c->rows, MXF_FQ_MIN_DIM,
                        MXF_FQ_MAX_DIM);
    if (c->cols < MXF_FQ_MIN_DIM || c->cols > MXF_FQ_MAX_DIM)
        return mxf_fail(err, "COLS=%d: out of range (expected %d..%d)", c->cols, MXF_FQ_MIN_DIM,
                        MXF_FQ_MAX_DIM);
    return 0;
}

void mxf_fq_cfg_name(const mxf_fq_cfg *c, char *buf, size_t cap)
{
    char dims[32], f[40] = "";
    if (c->rows == c->cols)
        snprintf(dims, sizeof dims, "a%d", c->rows);
    else
        snprintf(dims, sizeof dims, "r%dc%d", c->rows, c->cols);
    if (c->fault != MXF_FQ_FAULT_NONE) snprintf(f, sizeof f, "-f%s", mxf_fq_fault_name(c->fault));
    if (c->sched == MXF_FQ_MUL)
        snprintf(buf, cap, "fineq-mul-%s%s", dims, f);
    else
        snprintf(buf, cap, "fineq-%s-%s%s", dims, mxf_fq_sched_name(c->sched), f);
}

int mxf_fq_groups(const mxf_fq_cfg *c)
{
    return (c->rows + 2) / 3;
}
int mxf_fq_full_groups(const mxf_fq_cfg *c)
{
    return c->rows / 3;
}
int mxf_fq_prod_bits(void)
{
    return MXF_FQ_ABITS + MXF_FQ_CODEW;
}
int mxf_fq_acc_bits(const mxf_fq_cfg *c)
{
    return mxf_fq_prod_bits() + mxf_clog2(c->rows);
}
int mxf_fq_tag_bits(const mxf_fq_cfg *c)
{
    int b = mxf_clog2(mxf_fq_groups(c));
    return b < 1 ? 1 : b;
}
int mxf_fq_latency_steps(const mxf_fq_cfg *c)
{
    return c->rows + c->cols - 1;
}
int mxf_fq_mag(int q)
{
    return q < 0 ? -q : q;
}

/* ---- the schedule ---- */
typedef struct grow {
    int64_t n, cap;
} grow;

static int push_step(mxf_fq_gemm *g, grow *gr, int64_t cyc, int32_t inj)
{
    if (gr->n == gr->cap) {
        int64_t nc = gr->cap ? gr->cap * 2 : 1024;
        int64_t *c2 = realloc(g->step_cycle, sizeof(int64_t) * (size_t)nc);
        if (!c2) return -1;
        g->step_cycle = c2;
        int32_t *i2 = realloc(g->step_inj, sizeof(int32_t) * (size_t)nc);
        if (!i2) return -1;
        g->step_inj = i2;
        gr->cap = nc;
    }
    g->step_cycle[gr->n] = cyc;
    g->step_inj[gr->n] = inj;
    gr->n++;
    return 0;
}

/* Weight code and activation PE (r, c) works with when it holds activation row `inj`. */
static void pe_operands(const mxf_fq_gemm *g, int32_t inj, int r, int c, int *q, int *a)
{
    const int t = inj / g->M, m = inj % g->M, kt = t % g->KT, nt = t / g->KT;
    const int k = kt * 3 * g->gh + r, n = nt * g->cfg.cols + c;
    *q = 0, *a = 0;
    if (r >= 3 * g->gh || k >= 3 * g->KC || n >= g->N) return;
    *q = g->q[(size_t)k * g->N + n];
    *a = k < g->K ? g->A[(size_t)m * g->K + k] : 0;
}

/* Longest MAC (pulses) among the PEs at step s: every PE (r, c) holds the row presented at step
 * s - r - c; a PE fires |q| pulses when its activation is valid and non-zero. */
static int step_maxmag(const mxf_fq_gemm *g, int64_t s)
{
    const int R = g->cfg.rows, C = g->cfg.cols;
    int best = 0;
    for (int d = 0; d <= R + C - 2 && d <= s; d++) {
        int32_t inj = g->step_inj[s - d];
        if (inj < 0) continue;
        int r0 = d - (C - 1) > 0 ? d - (C - 1) : 0, r1 = d < R - 1 ? d : R - 1;
        for (int r = r0; r <= r1; r++) {
            int q, a;
            pe_operands(g, inj, r, d - r, &q, &a);
            int mg = a ? mxf_fq_mag(q) : 0;
            if (mg > best && (best = mg) == MXF_FQ_MAXMAG) return best;
        }
    }
    return best;
}

static int plan(mxf_fq_gemm *g, mxf_err *err)
{
    const mxf_fq_cfg *c = &g->cfg;
    const int G = mxf_fq_groups(c), L = mxf_fq_latency_steps(c), T = g->T, M = g->M;
    grow gr = {0, 0};
    g->load_cycle = malloc(sizeof(int64_t) * (size_t)T);
    g->last_step = malloc(sizeof(int64_t) * (size_t)T);
    if (!g->load_cycle || !g->last_step) return mxf_fail(err, "schedule: out of memory");
    for (int t = 0; t < T; t++) g->load_cycle[t] = g->last_step[t] = -1;
    g->load_cycle[0] = 0;
    if (T > 1) g->load_cycle[1] = G;
    int ti = 0, m = 0, tl = 2; /* next tile to present, its next row, next reload to place */
    int64_t cyc = 0;
    for (int64_t s = 0;; s++) {
        /* Rule 4: a bank is reloaded from the cycle the last output row of its previous tile
         * appears (step last_step[t-2] + L), and loads are one after another. */
        if (tl < T && g->last_step[tl - 2] >= 0 && s == g->last_step[tl - 2] + L) {
            int64_t after = g->load_cycle[tl - 1] + G;
            g->load_cycle[tl++] = after > cyc ? after : cyc;
        }
        /* Rule 3: a tile's rows are presented on steps after its last cluster row is written. */
        int32_t inj = -1;
        if (ti < T && g->load_cycle[ti] >= 0 && g->load_cycle[ti] + G - 1 < cyc) {
            inj = (int32_t)(ti * M + m);
            g->busy_steps++;
            if (++m == M) g->last_step[ti++] = s, m = 0;
        }
        if (push_step(g, &gr, cyc, inj)) return mxf_fail(err, "schedule: out of memory");
        g->n_steps = gr.n;
        if (ti == T && s == g->last_step[T - 1] + L) {
            g->total = cyc + 1;
            break;
        }
        int iv = c->sched == MXF_FQ_MUL ? 1 : c->sched == MXF_FQ_LOCK ? MXF_FQ_MAXMAG : 0;
        if (c->sched == MXF_FQ_ELASTIC) iv = step_maxmag(g, s);
        cyc += iv > 1 ? iv : 1;
    }
    /* adder pulses of the temporal PEs (event count for energy estimates) */
    for (int t = 0; t < T; t++)
        for (int mm = 0; mm < M; mm++)
            for (int r = 0; r < 3 * g->gh; r++)
                for (int cc = 0; cc < c->cols; cc++) {
                    int q, a;
                    pe_operands(g, (int32_t)(t * M + mm), r, cc, &q, &a);
                    g->pulses += a ? mxf_fq_mag(q) : 0;
                }
    return 0;
}

int mxf_fq_gemm_init(mxf_fq_gemm *g, const mxf_fq_cfg *cfg, int M, int K, int N, const int8_t *A,
                     const uint8_t *Wc, int gh, mxf_err *err)
{
    memset(g, 0, sizeof *g);
    if (mxf_fq_cfg_validate(cfg, err)) return -1;
    g->cfg = *cfg;
    if (M < 1 || K < 1 || N < 1 || M > 1 << 20 || K > 1 << 20 || N > 1 << 20)
        return mxf_fail(err, "GEMM M=%d K=%d N=%d: each must be in 1..2^20", M, K, N);
    const int full = mxf_fq_full_groups(cfg);
    if (gh == 0) gh = full;
    if (gh < 1 || gh > full)
        return mxf_fail(err, "K tile of %d clusters: the %d-row array holds 1..%d", gh, cfg->rows,
                        full);
    g->M = M, g->K = K, g->N = N, g->gh = gh;
    g->KC = (K + 2) / 3;
    g->KT = (g->KC + gh - 1) / gh;
    g->NT = (N + cfg->cols - 1) / cfg->cols;
    if ((int64_t)g->KT * g->NT * M >= INT32_MAX)
        return mxf_fail(err, "GEMM M=%d K=%d N=%d: too many rows for one schedule", M, K, N);
    g->T = g->KT * g->NT;
    g->A = A, g->Wc = Wc;
    g->q = malloc((size_t)3 * g->KC * (size_t)N);
    if (!g->q) return mxf_fail(err, "GEMM M=%d K=%d N=%d: out of memory", M, K, N);
    for (int kc = 0; kc < g->KC; kc++)
        for (int n = 0; n < N; n++) {
            int q[3];
            mxf_fineq_decode_cluster(Wc[(size_t)kc * N + n], q);
            for (int i = 0; i < 3; i++) g->q[(size_t)(3 * kc + i) * N + n] = (int8_t)q[i];
        }
    if (plan(g, err)) {
        mxf_fq_gemm_free(g);
        return -1;
    }
    return 0;
}

void mxf_fq_gemm_free(mxf_fq_gemm *g)
{
    free(g->q);
    free(g->step_cycle);
    free(g->step_inj);
    free(g->load_cycle);
    free(g->last_step);
    g->q = NULL, g->step_cycle = NULL, g->step_inj = NULL, g->load_cycle = g->last_step = NULL;
}

int64_t mxf_fq_output_cycle(const mxf_fq_gemm *g, int tile, int m)
{
    int64_t s = g->last_step[tile] - (g->M - 1) + m; /* a tile's rows go on consecutive steps */
    return g->step_cycle[s + mxf_fq_latency_steps(&g->cfg)];
}

void mxf_fq_stim_at(const mxf_fq_gemm *g, mxf_fq_cursor *cur, int64_t cycle, mxf_fq_stim *s)
{
    const mxf_fq_cfg *c = &g->cfg;
    const int G = mxf_fq_groups(c);
    memset(s, 0, sizeof *s);
    while (cur->step < g->n_steps && g->step_cycle[cur->step] < cycle) cur->step++;
    if (cur->step < g->n_steps && g->step_cycle[cur->step] == cycle) {
        int32_t inj = g->step_inj[cur->step];
        if (inj >= 0) {
            const int t = inj / g->M, m = inj % g->M, kt = t % g->KT;
            s->act_valid = 1;
            s->act_bank = t & 1;
            for (int r = 0; r < 3 * g->gh; r++) {
                int k = kt * 3 * g->gh + r;
                s->act[r] = k < g->K ? g->A[(size_t)m * g->K + k] : 0;
            }
        }
    }
    while (cur->tile < g->T && g->load_cycle[cur->tile] + G - 1 < cycle) cur->tile++;
    if (cur->tile < g->T && g->load_cycle[cur->tile] <= cycle) {
        const int t = (int)cur->tile, kt = t % g->KT, nt = t / g->KT;
        const int row = (int)(cycle - g->load_cycle[t]);
        s->w_valid = 1;
        s->w_bank = t & 1;
        s->w_row = row;
        for (int col = 0; col < c->cols; col++) {
            int kc = kt * g->gh + row, n = nt * c->cols + col;
            s->w[col] = row < g->gh && kc < g->KC && n < g->N ? g->Wc[(size_t)kc * g->N + n] : 0;
        }
    }
}

void mxf_fq_tile_golden(const mxf_fq_gemm *g, int tile, int64_t *out)
{
    const int C = g->cfg.cols;
    for (int m = 0; m < g->M; m++)
        for (int c = 0; c < C; c++) {
            int64_t acc = 0;
            for (int r = 0; r < 3 * g->gh; r++) {
                int q, a;
                pe_operands(g, (int32_t)(tile * g->M + m), r, c, &q, &a);
                acc += (int64_t)a * q;
            }
            out[(size_t)m * C + c] = acc;
        }
}

void mxf_fq_gemm_naive(const mxf_fq_gemm *g, int64_t *Y)
{
    for (int m = 0; m < g->M; m++)
        for (int n = 0; n < g->N; n++) {
            int64_t acc = 0;
            for (int kc = 0; kc < g->KC; kc++) {
                int q[3];
                mxf_fineq_decode_cluster(g->Wc[(size_t)kc * g->N + n], q);
                for (int i = 0; i < 3 && 3 * kc + i < g->K; i++)
                    acc += (int64_t)g->A[(size_t)m * g->K + 3 * kc + i] * q[i];
            }
            Y[(size_t)m * g->N + n] = acc;
        }
}

/* ---- the checker: the shared tiled-GEMM checker over this block's golden model ---- */
static int plan_tile_golden(const void *g, int tile, int64_t *out)
{
    mxf_fq_tile_golden(g, tile, out);
    return 0;
}
static int64_t plan_output_cycle(const void *g, int tile, int m)
{
    return mxf_fq_output_cycle(g, tile, m);
}
static int plan_gemm_naive(const void *g, int64_t *Y)
{
    mxf_fq_gemm_naive(g, Y);
    return 0;
}

int mxf_fq_checker_init(mxf_fq_checker *k, const mxf_fq_gemm *g, uint64_t seed, mxf_err *err)
{
    const mxf_tile_plan p = {g,
                             g->M,
                             g->N,
                             g->cfg.cols,
                             g->KT,
                             g->T,
                             plan_tile_golden,
                             plan_output_cycle,
                             plan_gemm_naive};
    return mxf_tile_checker_init(k, &p, seed, err);
}
