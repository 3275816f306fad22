#include "ws_golden.h"

#include <stdlib.h>
#include <string.h>

#include "rng.h"

static const char *const fault_names[MXF_WS_FAULT_COUNT] = {
    "none", "mul-sign", "wbank", "skew", "late-valid", "wskew", "noreset",
};

const char *mxf_ws_fault_name(mxf_ws_fault f)
{
    return (f >= 0 && f < MXF_WS_FAULT_COUNT) ? fault_names[f] : "?";
}

int mxf_ws_fault_parse(const char *s, mxf_ws_fault *out, mxf_err *err)
{
    for (int i = 0; i < MXF_WS_FAULT_COUNT; i++)
        if (s && strcmp(s, fault_names[i]) == 0) {
            *out = (mxf_ws_fault)i;
            return 0;
        }
    return mxf_fail(
        err, "FAULT=%s: unknown fault (known: mul-sign, wbank, skew, late-valid, wskew, noreset)",
        s ? s : "");
}

int mxf_ws_cfg_validate(const mxf_ws_cfg *c, mxf_err *err)
{
    if (c->rows < MXF_WS_MIN_DIM || c->rows > MXF_WS_MAX_DIM)
        return mxf_fail(err, "ROWS=%d: out of range (expected %d..%d)", c->rows, MXF_WS_MIN_DIM,
                        MXF_WS_MAX_DIM);
    if (c->cols < MXF_WS_MIN_DIM || c->cols > MXF_WS_MAX_DIM)
        return mxf_fail(err, "COLS=%d: out of range (expected %d..%d)", c->cols, MXF_WS_MIN_DIM,
                        MXF_WS_MAX_DIM);
    if (c->wbits != 4 && c->wbits != 8)
        return mxf_fail(err, "WBITS=%d: unsupported weight width (expected 4 or 8)", c->wbits);
    if (c->fault < 0 || c->fault >= MXF_WS_FAULT_COUNT)
        return mxf_fail(err, "FAULT=%d: unknown fault", (int)c->fault);
    return 0;
}

void mxf_ws_cfg_name(const mxf_ws_cfg *c, char *buf, size_t cap)
{
    int n;
    if (c->rows == c->cols)
        n = snprintf(buf, cap, "ws-a%d-w%d", c->rows, c->wbits);
    else
        n = snprintf(buf, cap, "ws-r%dc%d-w%d", c->rows, c->cols, c->wbits);
    if (c->fault != MXF_WS_FAULT_NONE && n > 0 && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n, "-f%s", mxf_ws_fault_name(c->fault));
}

int mxf_ws_prod_bits(const mxf_ws_cfg *c)
{
    return MXF_WS_ABITS + c->wbits;
}
int mxf_ws_acc_bits(const mxf_ws_cfg *c)
{
    return mxf_ws_prod_bits(c) + mxf_clog2(c->rows);
}
int mxf_ws_cnt_bits(const mxf_ws_cfg *c)
{
    return c->rows > 2 ? mxf_clog2(c->rows) : 1;
}
int mxf_ws_latency(const mxf_ws_cfg *c)
{
    return c->rows + c->cols - 2;
}
int64_t mxf_ws_wmin(const mxf_ws_cfg *c)
{
    return -(INT64_C(1) << (c->wbits - 1));
}
int64_t mxf_ws_wmax(const mxf_ws_cfg *c)
{
    return (INT64_C(1) << (c->wbits - 1)) - 1;
}

int mxf_ws_gemm_init(mxf_ws_gemm *g, const mxf_ws_cfg *cfg, int M, int K, int N, const int8_t *A,
                     const int8_t *W, mxf_err *err)
{
    return mxf_ws_gemm_init_kh(g, cfg, M, K, N, A, W, cfg->rows, err);
}

int mxf_ws_kh_for_block(const mxf_ws_cfg *cfg, int block)
{
    int kh = block < cfg->rows ? block : cfg->rows;
    while (kh > 1 && block % kh) kh--;
    return kh < 1 ? 1 : kh;
}

int mxf_ws_gemm_init_kh(mxf_ws_gemm *g, const mxf_ws_cfg *cfg, int M, int K, int N, const int8_t *A,
                        const int8_t *W, int kh, mxf_err *err)
{
    memset(g, 0, sizeof *g);
    if (mxf_ws_cfg_validate(cfg, err)) return -1;
    if (M < 1 || K < 1 || N < 1)
        return mxf_fail(err, "GEMM shape M=%d K=%d N=%d: every dimension must be >= 1", M, K, N);
    g->cfg = *cfg;
    g->M = M;
    g->K = K;
    g->N = N;
    if (kh < 1 || kh > cfg->rows)
        return mxf_fail(err, "K-tile height %d: expected 1..R=%d", kh, cfg->rows);
    g->kh = kh;
    g->KT = (K + kh - 1) / kh;
    g->NT = (N + cfg->cols - 1) / cfg->cols;
    g->n_tiles = g->KT * g->NT;
    g->period = M > cfg->rows ? M : cfg->rows;
    g->A = A;
    g->W = W;
    for (long i = 0; W && i < (long)K * N; i++)
        if (W[i] < mxf_ws_wmin(cfg) || W[i] > mxf_ws_wmax(cfg))
            return mxf_fail(err, "weight W[%ld][%ld]=%d does not fit in WBITS=%d", i / N, i % N,
                            W[i], cfg->wbits);
    return 0;
}

int64_t mxf_ws_tile_start(const mxf_ws_gemm *g, int tile)
{
    return g->cfg.rows + (int64_t)tile * g->period;
}

int64_t mxf_ws_output_cycle(const mxf_ws_gemm *g, int tile, int m)
{
    return mxf_ws_tile_start(g, tile) + m + mxf_ws_latency(&g->cfg);
}

int64_t mxf_ws_cycles_formula(const mxf_ws_cfg *c, int M, int n_tiles)
{
    int64_t P = M > c->rows ? M : c->rows;
    return 2 * c->rows + c->cols - 2 + M + (int64_t)(n_tiles - 1) * P;
}

int64_t mxf_ws_total_cycles(const mxf_ws_gemm *g)
{
    return mxf_ws_cycles_formula(&g->cfg, g->M, g->n_tiles);
}

static int8_t tile_act(const mxf_ws_gemm *g, int tile, int m, int r)
{
    int k = (tile % g->KT) * g->kh + r;
    return r < g->kh && k < g->K ? g->A[(long)m * g->K + k] : 0;
}

static int8_t tile_w(const mxf_ws_gemm *g, int tile, int r, int c)
{
    int k = (tile % g->KT) * g->kh + r;
    int n = (tile / g->KT) * g->cfg.cols + c;
    return (r < g->kh && k < g->K && n < g->N) ? g->W[(long)k * g->N + n] : 0;
}

/* Weight-load start of each tile. Normal: t * P. Tight (only when M > R, see ws_golden.h): every
 * even tile t >= 2 starts on the cycle of the last activation of tile t-2, which reads the same
 * bank (the same-cycle case of rule 2); every odd tile ends just before the next even tile's
 * load (the last tile, if odd, is tight too). Windows stay R long, in tile order, without
 * overlap, each after its bank's last reader and before its own first activation. */
static int tight_on(const mxf_ws_gemm *g)
{
    return g->tight && g->M > g->cfg.rows;
}

int64_t mxf_ws_wload_start(const mxf_ws_gemm *g, int tile)
{
    if (!tight_on(g) || tile == 0) return (int64_t)tile * g->period;
    if (tile % 2 == 0 || tile == g->n_tiles - 1) {
        if (tile == 1) return g->period; /* bank 1 has no earlier reader */
        return mxf_ws_tile_start(g, tile - 2) + g->M - 1;
    }
    return mxf_ws_tile_start(g, tile - 1) + g->M - 1 - g->cfg.rows; /* next even tile - R */
}

/* The tile whose weight load covers `cycle`, or -1 (its window starts within a period of t*P). */
static int64_t wload_tile(const mxf_ws_gemm *g, int64_t cycle)
{
    const int R = g->cfg.rows;
    for (int64_t t = cycle / g->period - 1; t <= cycle / g->period + 1; t++) {
        if (t < 0 || t >= g->n_tiles) continue;
        int64_t w = mxf_ws_wload_start(g, (int)t);
        if (cycle >= w && cycle < w + R) return t;
    }
    return -1;
}

void mxf_ws_stim_at(const mxf_ws_gemm *g, int64_t cycle, mxf_ws_stim *s)
{
    const int R = g->cfg.rows, C = g->cfg.cols;
    memset(s, 0, sizeof *s);
    if (cycle < 0) return;
    int64_t tw = wload_tile(g, cycle), r = tw >= 0 ? cycle - mxf_ws_wload_start(g, (int)tw) : 0;
    if (tw >= 0) {
        s->w_valid = 1;
        s->w_bank = (int)(tw & 1);
        s->w_row = (int)r;
        for (int c = 0; c < C; c++) s->w[c] = tile_w(g, (int)tw, (int)r, c);
    }
    if (cycle >= R) {
        int64_t ta = (cycle - R) / g->period, m = (cycle - R) % g->period;
        if (ta < g->n_tiles && m < g->M) {
            s->act_valid = 1;
            s->act_bank = (int)(ta & 1);
            for (int i = 0; i < R; i++) s->act[i] = tile_act(g, (int)ta, (int)m, i);
        }
    }
}

void mxf_ws_tile_golden(const mxf_ws_gemm *g, int tile, int64_t *out)
{
    const int R = g->cfg.rows, C = g->cfg.cols;
    for (int m = 0; m < g->M; m++)
        for (int c = 0; c < C; c++) {
            int64_t acc = 0;
            for (int r = 0; r < R; r++)
                acc += (int64_t)tile_act(g, tile, m, r) * tile_w(g, tile, r, c);
            out[(long)m * C + c] = acc;
        }
}

void mxf_ws_gemm_naive(const mxf_ws_gemm *g, int64_t *Y)
{
    for (int m = 0; m < g->M; m++)
        for (int n = 0; n < g->N; n++) {
            int64_t acc = 0;
            for (int k = 0; k < g->K; k++)
                acc += (int64_t)g->A[(long)m * g->K + k] * g->W[(long)k * g->N + n];
            Y[(long)m * g->N + n] = acc;
        }
}

static int plan_tile_golden(const void *g, int tile, int64_t *out)
{
    mxf_ws_tile_golden(g, tile, out);
    return 0;
}
static int64_t plan_output_cycle(const void *g, int tile, int m)
{
    return mxf_ws_output_cycle(g, tile, m);
}
static int plan_gemm_naive(const void *g, int64_t *Y)
{
    mxf_ws_gemm_naive(g, Y);
    return 0;
}

int mxf_ws_checker_init(mxf_ws_checker *k, const mxf_ws_gemm *g, uint64_t seed, mxf_err *err)
{
    const mxf_tile_plan p = {g,
                             g->M,
                             g->N,
                             g->cfg.cols,
                             g->KT,
                             g->n_tiles,
                             plan_tile_golden,
                             plan_output_cycle,
                             plan_gemm_naive};
    return mxf_tile_checker_init(k, &p, seed, err);
}

void mxf_ws_checker_free(mxf_ws_checker *k)
{
    mxf_tile_checker_free(k);
}
int mxf_ws_checker_push(mxf_ws_checker *k, int64_t cycle, const int64_t *y)
{
    return mxf_tile_checker_push(k, cycle, y);
}
void mxf_ws_random_operands(const mxf_ws_cfg *c, uint64_t seed, int M, int K, int N, int8_t *A,
                            int8_t *W)
{
    mxf_rng r;
    mxf_rng_seed(&r, seed);
    for (long i = 0; i < (long)M * K; i++) {
        int64_t pick = mxf_rng_range(&r, 0, 15);
        A[i] = pick == 0 ? -128 : pick == 1 ? 127 : (int8_t)mxf_rng_range(&r, -128, 127);
    }
    for (long i = 0; i < (long)K * N; i++) {
        int64_t pick = mxf_rng_range(&r, 0, 15);
        W[i] = (int8_t)(pick == 0 ? mxf_ws_wmin(c)
                                  : mxf_rng_range(&r, mxf_ws_wmin(c), mxf_ws_wmax(c)));
    }
}

int mxf_ws_checker_set_scales(mxf_ws_checker *k, const mxf_ws_scales *sc, mxf_err *err)
{
    const mxf_ws_gemm *g = k->p.g;
    if (sc->block < g->kh || sc->block % g->kh)
        return mxf_fail(err, "scale block %d is not a multiple of the K-tile height %d", sc->block,
                        g->kh);
    double *w = malloc(sizeof(double) * (size_t)g->KT * (size_t)g->N);
    if (!w) return mxf_fail(err, "checker: out of memory for N=%d", g->N);
    for (int kt = 0; kt < g->KT; kt++) /* each K tile's block */
        for (int n = 0; n < g->N; n++)
            w[(size_t)kt * g->N + n] = sc->w[(size_t)(kt * g->kh / sc->block) * g->N + n];
    int rc = mxf_tile_checker_set_scales(k, w, sc->a, err);
    free(w);
    return rc;
}
