/* Unit tests of the WS array golden model (sw/ws_array.c): exact arithmetic against a naive
 * double reference and exhaustively over every operand pair, the closed-form schedule against
 * an independent register-level model of the documented micro-architecture, the stimulus
 * contract, the hex formats, and the checker's ability to fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "rng.h"
#include "sim.h"
#include "ws_golden.h"

static mxf_ws_cfg cfg_of(int R, int C, int W)
{
    mxf_ws_cfg c = {R, C, W, MXF_WS_FAULT_NONE};
    return c;
}

/* Reference product from the operands' two's-complement bit patterns alone (the definition the
 * RTL's signed multiplier implements): a = -a7*2^7 + sum a_i 2^i, w likewise with its width,
 * product = sum over bit pairs of +-2^(i+j), accumulated by shifts and additions. */
static int64_t bitwise_product(uint8_t a_bits, uint8_t w_bits, int wbits)
{
    int64_t p = 0;
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < wbits; j++) {
            if (!((a_bits >> i) & 1u) || !((w_bits >> j) & 1u)) continue;
            int neg = (i == 7) != (j == wbits - 1);
            int64_t term = (int64_t)1 << (i + j);
            p += neg ? -term : term;
        }
    return p;
}

/* Every int8 x intW operand pair, through a 2x2 tile, equals the bitwise reference product; the
 * second column sees the pair with a second row so the tile sum is exercised too. */
static void exhaustive_products(void **state)
{
    (void)state;
    for (int W = 4; W <= 8; W += 4) {
        mxf_ws_cfg c = cfg_of(2, 2, W);
        int8_t A[2], Wt[4];
        int64_t out[2];
        mxf_ws_gemm g;
        const uint8_t wmask = (uint8_t)((1u << W) - 1u);
        for (int a = -128; a <= 127; a++)
            for (int w = (int)mxf_ws_wmin(&c); w <= mxf_ws_wmax(&c); w++) {
                int w2 = (int)mxf_ws_wmin(&c) + (int)mxf_ws_wmax(&c) - w; /* mirrored pair */
                A[0] = (int8_t)a, A[1] = (int8_t)(127 - (a & 0x7f));
                Wt[0] = (int8_t)w, Wt[1] = (int8_t)w2, Wt[2] = 0, Wt[3] = (int8_t)w;
                assert_int_equal(mxf_ws_gemm_init(&g, &c, 1, 2, 2, A, Wt, NULL), 0);
                mxf_ws_tile_golden(&g, 0, out);
                uint8_t ab0 = (uint8_t)A[0], ab1 = (uint8_t)A[1];
                int64_t e0 = bitwise_product(ab0, (uint8_t)(Wt[0] & wmask), W);
                int64_t e1 = bitwise_product(ab0, (uint8_t)(Wt[1] & wmask), W) +
                             bitwise_product(ab1, (uint8_t)(Wt[3] & wmask), W);
                if (out[0] != e0 || out[1] != e1)
                    fail_msg("W=%d a=%d w=%d: golden %lld %lld, bitwise %lld %lld", W, a, w,
                             (long long)out[0], (long long)out[1], (long long)e0, (long long)e1);
            }
    }
}

/* Tiled GEMM (sum of tile partials) equals a naive double GEMM for shapes that are not
 * multiples of the array. */
static void tiled_gemm_matches_double_reference(void **state)
{
    (void)state;
    mxf_rng r;
    mxf_rng_seed(&r, 11);
    for (int it = 0; it < 40; it++) {
        mxf_ws_cfg c = cfg_of((int)mxf_rng_range(&r, 2, 9), (int)mxf_rng_range(&r, 2, 9),
                              mxf_rng_range(&r, 0, 1) ? 8 : 4);
        int M = (int)mxf_rng_range(&r, 1, 20), K = (int)mxf_rng_range(&r, 1, 30),
            N = (int)mxf_rng_range(&r, 1, 30);
        int8_t *A = malloc((size_t)M * K), *W = malloc((size_t)K * N);
        mxf_ws_random_operands(&c, (uint64_t)it, M, K, N, A, W);
        mxf_ws_gemm g;
        assert_int_equal(mxf_ws_gemm_init(&g, &c, M, K, N, A, W, NULL), 0);
        double *ref = calloc((size_t)M * N, sizeof(double));
        for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++)
                for (int k = 0; k < K; k++)
                    ref[m * N + n] += (double)A[m * K + k] * (double)W[k * N + n];
        int64_t *sum = calloc((size_t)M * N, sizeof(int64_t));
        int64_t *tile = malloc(sizeof(int64_t) * (size_t)M * c.cols);
        for (int t = 0; t < g.n_tiles; t++) {
            mxf_ws_tile_golden(&g, t, tile);
            int nt = t / g.KT;
            for (int m = 0; m < M; m++)
                for (int cc = 0; cc < c.cols; cc++) {
                    int n = nt * c.cols + cc;
                    if (n < N)
                        sum[m * N + n] += tile[m * c.cols + cc];
                    else
                        assert_int_equal(tile[m * c.cols + cc], 0); /* padding stays zero */
                }
        }
        for (int i = 0; i < M * N; i++) assert_true((double)sum[i] == ref[i]);
        free(A), free(W), free(ref), free(sum), free(tile);
    }
}

/* The accumulator width holds the largest column sum exactly and not one bit more is needed. */
static void acc_width_is_tight(void **state)
{
    (void)state;
    for (int R = 2; R <= 128; R *= 2)
        for (int W = 4; W <= 8; W += 4) {
            mxf_ws_cfg c = cfg_of(R, 2, W);
            int64_t maxsum = (int64_t)R * 128 * (INT64_C(1) << (W - 1)); /* -128 x wmin, R times */
            int AW = mxf_ws_acc_bits(&c);
            assert_true(maxsum <= (INT64_C(1) << (AW - 1)) - 1);
            assert_true(maxsum > (INT64_C(1) << (AW - 2)) - 1);
        }
}

/* ---- independent register-level model of the micro-architecture in docs/ws-array.md ---- */
typedef struct pe_state {
    int av, ab, a;
    int64_t psum;
    int w[2];
    int wv, wb, wc, wd;
} pe_state;

typedef struct rl_model {
    int R, C;
    pe_state *pe;   /* R x C */
    int *askew;     /* row r: r stages of {v, b, a}, stage 0 nearest the input */
    int *wskew;     /* col c: c stages of {v, b, row, w} */
    int64_t *yskew; /* col c: C-1-c stages of psum; plus the valid taken from PE(R-1, C-1) */
} rl_model;

#define AS(m, r, s, f) (m)->askew[(((r) * (m)->R + (s)) * 3) + (f)]
#define WS(m, c, s, f) (m)->wskew[(((c) * (m)->C + (s)) * 4) + (f)]
#define YS(m, c, s) (m)->yskew[(c) * (m)->C + (s)]

static void rl_init(rl_model *m, int R, int C)
{
    m->R = R, m->C = C;
    m->pe = calloc((size_t)R * C, sizeof(pe_state));
    m->askew = calloc((size_t)R * R * 3, sizeof(int));
    m->wskew = calloc((size_t)C * C * 4, sizeof(int));
    m->yskew = calloc((size_t)C * C, sizeof(int64_t));
}

static void rl_free(rl_model *m)
{
    free(m->pe), free(m->askew), free(m->wskew), free(m->yskew);
}

/* One rising edge: every register takes the value computed from the current state. */
static void rl_tick(rl_model *m, const mxf_ws_stim *s, int *y_valid, int64_t *y)
{
    const int R = m->R, C = m->C;
    pe_state *nx = malloc(sizeof(pe_state) * (size_t)R * C);
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) {
            int av, ab, a, wv, wb, wc, wd;
            int64_t pin;
            if (c == 0) {
                if (r == 0)
                    av = s->act_valid, ab = s->act_bank, a = s->act[0];
                else
                    av = AS(m, r, r - 1, 0), ab = AS(m, r, r - 1, 1), a = AS(m, r, r - 1, 2);
            } else {
                pe_state *lft = &m->pe[r * C + c - 1];
                av = lft->av, ab = lft->ab, a = lft->a;
            }
            if (r == 0) {
                pin = 0;
                if (c == 0)
                    wv = s->w_valid, wb = s->w_bank, wc = s->w_row, wd = s->w[0];
                else
                    wv = WS(m, c, c - 1, 0), wb = WS(m, c, c - 1, 1), wc = WS(m, c, c - 1, 2),
                    wd = WS(m, c, c - 1, 3);
            } else {
                pe_state *up = &m->pe[(r - 1) * C + c];
                pin = up->psum, wv = up->wv, wb = up->wb, wc = up->wc, wd = up->wd;
            }
            pe_state *p = &m->pe[r * C + c], *n = &nx[r * C + c];
            *n = *p;
            n->av = av, n->ab = ab, n->a = a;
            n->psum = pin + (int64_t)a * p->w[ab];
            int hit = wv && wc == 0;
            n->wv = wv && !hit, n->wb = wb, n->wc = wc - 1, n->wd = wd;
            if (hit) n->w[wb] = wd;
        }
    /* outputs after this edge: de-skew chains shift, column C-1 reads its PE directly */
    for (int c = 0; c < C - 1; c++) {
        for (int st = C - 2 - c; st > 0; st--) YS(m, c, st) = YS(m, c, st - 1);
        YS(m, c, 0) = m->pe[(R - 1) * C + c].psum; /* captures the register, not its next value */
    }
    for (int r = 1; r < R; r++) {
        for (int st = r - 1; st > 0; st--)
            for (int f = 0; f < 3; f++) AS(m, r, st, f) = AS(m, r, st - 1, f);
        AS(m, r, 0, 0) = s->act_valid, AS(m, r, 0, 1) = s->act_bank, AS(m, r, 0, 2) = s->act[r];
    }
    for (int c = 1; c < C; c++) {
        for (int st = c - 1; st > 0; st--)
            for (int f = 0; f < 4; f++) WS(m, c, st, f) = WS(m, c, st - 1, f);
        WS(m, c, 0, 0) = s->w_valid, WS(m, c, 0, 1) = s->w_bank, WS(m, c, 0, 2) = s->w_row;
        WS(m, c, 0, 3) = s->w[c];
    }
    memcpy(m->pe, nx, sizeof(pe_state) * (size_t)R * C);
    free(nx);
    *y_valid = m->pe[(R - 1) * C + C - 1].av;
    for (int c = 0; c < C - 1; c++) y[c] = YS(m, c, C - 2 - c);
    y[C - 1] = m->pe[(R - 1) * C + C - 1].psum;
}

/* The register-level model, driven by the golden stimulus, produces exactly the golden values
 * on exactly the closed-form cycles (so the schedule is right for the hardware as documented). */
static void register_model_agrees_with_golden_schedule(void **state)
{
    (void)state;
    mxf_rng r;
    mxf_rng_seed(&r, 5);
    for (int it = 0; it < 60; it++) {
        mxf_ws_cfg c = cfg_of((int)mxf_rng_range(&r, 2, 7), (int)mxf_rng_range(&r, 2, 7),
                              mxf_rng_range(&r, 0, 1) ? 8 : 4);
        int M = (int)mxf_rng_range(&r, 1, 3 * c.rows), K = (int)mxf_rng_range(&r, 1, 3 * c.rows),
            N = (int)mxf_rng_range(&r, 1, 3 * c.cols);
        int8_t *A = malloc((size_t)M * K), *W = malloc((size_t)K * N);
        mxf_ws_random_operands(&c, (uint64_t)it + 100, M, K, N, A, W);
        mxf_ws_gemm g;
        assert_int_equal(mxf_ws_gemm_init(&g, &c, M, K, N, A, W, NULL), 0);
        g.tight = it & 1; /* same-cycle bank reloads: the old weight must still be used */
        mxf_ws_checker k;
        assert_int_equal(mxf_ws_checker_init(&k, &g, (uint64_t)it, NULL), 0);
        rl_model m;
        rl_init(&m, c.rows, c.cols);
        int64_t total = mxf_ws_total_cycles(&g), last = -1, y[MXF_WS_MAX_DIM];
        mxf_ws_stim s;
        for (int64_t cyc = 0; cyc < total + 8; cyc++) {
            int v;
            mxf_ws_stim_at(&g, cyc, &s);
            rl_tick(&m, &s, &v, y);
            if (v) {
                last = cyc;
                if (mxf_ws_checker_push(&k, cyc, y)) fail_msg("%s", k.first_failure);
            }
        }
        if (mxf_tile_checker_finish(&k, total + 7)) fail_msg("%s", k.first_failure);
        assert_int_equal(last + 1, total);
        mxf_ws_checker_free(&k);
        rl_free(&m);
        free(A), free(W);
    }
}

/* Stimulus contract: tile t's R weight rows go to bank t%2 strictly after the last activation
 * of tile t-2 (the previous user of that bank) and strictly before tile t's first activation. */
static void stimulus_respects_bank_contract(void **state)
{
    (void)state;
    mxf_ws_cfg c = cfg_of(6, 3, 8);
    for (int M = 1; M <= 14; M++) {
        int K = 6 * 4, N = 3 * 2;
        int8_t *A = calloc((size_t)M * K, 1), *W = calloc((size_t)K * N, 1);
        mxf_ws_gemm g;
        assert_int_equal(mxf_ws_gemm_init(&g, &c, M, K, N, A, W, NULL), 0);
        assert_int_equal(g.n_tiles, 8);
        int64_t first_act[8], last_act[8], first_w[8], last_w[8];
        int rows[8] = {0};
        for (int t = 0; t < 8; t++) first_act[t] = first_w[t] = -1, last_act[t] = last_w[t] = -1;
        mxf_ws_stim s;
        int tile_a = -1, tile_w = -1, prev_av = 0;
        for (int64_t cyc = 0; cyc < mxf_ws_total_cycles(&g); cyc++) {
            mxf_ws_stim_at(&g, cyc, &s);
            if (s.w_valid) {
                if (s.w_row == 0) tile_w++;
                assert_int_equal(s.w_row, rows[tile_w]++);
                assert_int_equal(s.w_bank, tile_w & 1);
                if (first_w[tile_w] < 0) first_w[tile_w] = cyc;
                last_w[tile_w] = cyc;
            }
            if (s.act_valid) {
                /* a new tile starts after a gap or once a whole tile's M rows have passed */
                if (tile_a < 0 || !prev_av || cyc - first_act[tile_a] >= M) tile_a++;
                assert_int_equal(s.act_bank, tile_a & 1);
                if (first_act[tile_a] < 0) first_act[tile_a] = cyc;
                last_act[tile_a] = cyc;
            }
            prev_av = s.act_valid;
        }
        for (int t = 0; t < 8; t++) {
            assert_int_equal(rows[t], 6);
            /* the documented schedule, written out: s_t = R + t * max(M, R) */
            assert_int_equal(first_act[t], 6 + t * (M > 6 ? M : 6));
            assert_int_equal(first_w[t], t * (M > 6 ? M : 6));
            assert_int_equal(last_act[t] - first_act[t] + 1, M);
            assert_true(last_w[t] < first_act[t]);
            if (t >= 2) assert_true(first_w[t] > last_act[t - 2]);
            if (t >= 1) assert_int_equal(first_act[t] - first_act[t - 1], M > 6 ? M : 6);
        }
        free(A), free(W);
    }
    /* Tight schedule (M > R): even tiles t >= 2 reload their bank on the very cycle of tile t-2's
     * last activation, odd tiles just before; the windows never overlap and every load still
     * ends before its own tile's first activation. Written out: s_t = R + t * M. */
    for (int M = 7; M <= 14; M++) {
        int K = 6 * 5, N = 3;
        int8_t *A = calloc((size_t)M * K, 1), *W = calloc((size_t)K * N, 1);
        mxf_ws_gemm g;
        assert_int_equal(mxf_ws_gemm_init(&g, &c, M, K, N, A, W, NULL), 0);
        g.tight = 1;
        assert_int_equal(g.n_tiles, 5);
        int64_t first_w[5], nrows[5] = {0}, prev_last = -1;
        for (int t = 0; t < 5; t++) first_w[t] = -1;
        int tile_w = -1;
        mxf_ws_stim s;
        for (int64_t cyc = 0; cyc < mxf_ws_total_cycles(&g); cyc++) {
            mxf_ws_stim_at(&g, cyc, &s);
            if (!s.w_valid) continue;
            if (s.w_row == 0) {
                tile_w++;
                assert_true(cyc > prev_last); /* windows in order, no overlap */
                first_w[tile_w] = cyc;
            }
            assert_int_equal(s.w_bank, tile_w & 1);
            nrows[tile_w]++;
            prev_last = cyc;
        }
        for (int t = 0; t < 5; t++) {
            assert_int_equal(nrows[t], 6);
            int64_t s_t = 6 + (int64_t)t * M;
            assert_true(first_w[t] + 6 - 1 < s_t);
            if (t >= 2) assert_true(first_w[t] >= 6 + (int64_t)(t - 2) * M + M - 1);
            if (t == 2 || t == 4) assert_int_equal(first_w[t], 6 + (int64_t)(t - 2) * M + M - 1);
        }
        free(A), free(W);
    }
    /* SCALE-Sim's weight-stationary single-tile count 2R + C + T - 2 (T = M rows). */
    assert_int_equal(mxf_ws_cycles_formula(&c, 10, 1), 2 * 6 + 3 + 10 - 2);
}

/* K tiles of kh rows inside one scale block, and the post-processing stage: the checker's scaled
 * outputs, fed the golden tile outputs at their cycles, equal a naive double reference
 * sum_k (a_s[m] * A[m][k]) * (w_s[k / B][n] * W[k][n]) within the documented bound. */
static void kh_tiles_and_scales_match_naive(void **state)
{
    (void)state;
    mxf_rng r;
    mxf_rng_seed(&r, 21);
    const int blocks[] = {32, 16, 8, 12};
    for (int it = 0; it < 40; it++) {
        mxf_ws_cfg c = cfg_of((int)mxf_rng_range(&r, 2, 40), (int)mxf_rng_range(&r, 2, 6), 8);
        int B = blocks[it % 4];
        int kh = mxf_ws_kh_for_block(&c, B);
        /* the largest divisor of B that fits the rows, found independently */
        int want = 1;
        for (int d = 1; d <= B && d <= c.rows; d++)
            if (B % d == 0) want = d;
        assert_int_equal(kh, want);
        int M = (int)mxf_rng_range(&r, 1, 9), K = (int)mxf_rng_range(&r, 1, 3 * B),
            N = (int)mxf_rng_range(&r, 1, 13);
        int8_t *A = malloc((size_t)M * K), *W = malloc((size_t)K * N);
        int KB = (K + B - 1) / B;
        double *ws = malloc(sizeof(double) * (size_t)KB * N),
               *as = malloc(sizeof(double) * (size_t)M);
        mxf_ws_random_operands(&c, (uint64_t)it, M, K, N, A, W);
        for (int i = 0; i < KB * N; i++) ws[i] = ldexp(1.0, (int)mxf_rng_range(&r, -20, 5));
        for (int m = 0; m < M; m++) as[m] = 0.001 + (double)mxf_rng_range(&r, 1, 1000) / 977.0;
        mxf_ws_gemm g;
        assert_int_equal(mxf_ws_gemm_init_kh(&g, &c, M, K, N, A, W, kh, NULL), 0);
        assert_int_equal(g.KT, (K + kh - 1) / kh);
        mxf_ws_checker k;
        assert_int_equal(mxf_ws_checker_init(&k, &g, 1, NULL), 0);
        mxf_ws_scales sc = {B, ws, as};
        assert_int_equal(mxf_ws_checker_set_scales(&k, &sc, NULL), 0);
        int64_t *tile = malloc(sizeof(int64_t) * (size_t)M * c.cols);
        for (int t = 0; t < g.n_tiles; t++) {
            mxf_ws_tile_golden(&g, t, tile);
            for (int m = 0; m < M; m++)
                if (mxf_ws_checker_push(&k, mxf_ws_output_cycle(&g, t, m),
                                        tile + (size_t)m * c.cols))
                    fail_msg("%s", k.first_failure);
        }
        if (mxf_tile_checker_finish(&k, mxf_ws_total_cycles(&g))) fail_msg("%s", k.first_failure);
        for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++) {
                double ref = 0, mag = 0;
                for (int kk = 0; kk < K; kk++) {
                    double t = (as[m] * A[(size_t)m * K + kk]) *
                               (ws[(size_t)(kk / B) * N + n] * W[(size_t)kk * N + n]);
                    ref += t, mag += fabs(t);
                }
                double y = k.y[(size_t)m * N + n];
                if (fabs(y - ref) > (K + g.KT + 4) * 0x1p-53 * mag)
                    fail_msg("R=%d B=%d kh=%d m=%d n=%d: %.17g vs %.17g", c.rows, B, kh, m, n, y,
                             ref);
            }
        mxf_ws_checker_free(&k);
        free(A), free(W), free(ws), free(as), free(tile);
    }
    /* a scale block that is not a multiple of the tile height is refused */
    mxf_ws_cfg c = cfg_of(8, 2, 8);
    int8_t A[8] = {0}, W[16] = {0};
    mxf_ws_gemm g;
    assert_int_equal(mxf_ws_gemm_init_kh(&g, &c, 1, 8, 2, A, W, 8, NULL), 0);
    mxf_ws_checker k;
    assert_int_equal(mxf_ws_checker_init(&k, &g, 1, NULL), 0);
    double one[2] = {1, 1};
    mxf_ws_scales bad = {12, one, one};
    assert_int_equal(mxf_ws_checker_set_scales(&k, &bad, NULL), -1);
    mxf_ws_checker_free(&k);
    assert_int_equal(mxf_ws_gemm_init_kh(&g, &c, 1, 8, 2, A, W, 9, NULL), -1);
}

static void checker_reports_first_failure(void **state)
{
    (void)state;
    mxf_ws_cfg c = cfg_of(2, 2, 8);
    int8_t A[4] = {1, 2, 3, 4}, W[4] = {5, 6, 7, 8};
    mxf_ws_gemm g;
    assert_int_equal(mxf_ws_gemm_init(&g, &c, 2, 2, 2, A, W, NULL), 0);
    /* row 0: [1 2] x [[5 6][7 8]] = [19 22]; row 1: [3 4] -> [43 50] (by hand) */
    int64_t good0[2] = {19, 22}, good1[2] = {43, 50}, bad1[2] = {43, 51};
    mxf_ws_checker k;
    assert_int_equal(mxf_ws_checker_init(&k, &g, 9, NULL), 0);
    assert_int_equal(mxf_ws_checker_push(&k, mxf_ws_output_cycle(&g, 0, 0), good0), 0);
    assert_int_equal(mxf_ws_checker_push(&k, mxf_ws_output_cycle(&g, 0, 1), bad1), -1);
    assert_non_null(strstr(k.first_failure, "tile=0 (kt=0 nt=0) row=1 col=1"));
    assert_non_null(strstr(k.first_failure, "expected=50 got=51 seed=9"));
    mxf_ws_checker_free(&k);
    assert_int_equal(mxf_ws_checker_init(&k, &g, 9, NULL), 0);
    assert_int_equal(mxf_ws_checker_push(&k, mxf_ws_output_cycle(&g, 0, 0), good0), 0);
    assert_int_equal(mxf_ws_checker_push(&k, mxf_ws_output_cycle(&g, 0, 1) + 1, good1), -1);
    assert_non_null(strstr(k.first_failure, "got on cycle"));
    mxf_ws_checker_free(&k);
    assert_int_equal(mxf_ws_checker_init(&k, &g, 9, NULL), 0);
    assert_int_equal(mxf_ws_checker_push(&k, mxf_ws_output_cycle(&g, 0, 0), good0), 0);
    assert_int_equal(mxf_tile_checker_finish(&k, 100), -1);
    assert_non_null(strstr(k.first_failure, "never appeared"));
    mxf_ws_checker_free(&k);
}

/* The file form of the port values (gen/core/sim.c) with this block's port table: output hex
 * round trip over every value of a narrow accumulator, x/z detection, and the stimulus word
 * layout built by hand from the port table's order. */
static void hex_formats(void **state)
{
    (void)state;
    mxf_hwcfg hw;
    const char *vals[MXF_BLOCK_MAX_OPTS] = {"2", "2", "3", "4", NULL};
    assert_int_equal(mxf_hwcfg_parse(&hw, "ws", vals, NULL), 0);
    mxf_port ports[MXF_BLOCK_MAX_PORTS];
    int n = mxf_hwcfg_ports(&hw, ports);
    int y = mxf_port_index(ports, n, "y_o");
    assert_int_equal(ports[y].width, 3 * 13); /* ACC = 8 + 4 + 1 = 13 bits, 3 columns */
    static mxf_portvals pv;
    mxf_pv_init(&pv, ports, n);
    for (int v = -4096; v <= 4095; v++) {
        /* columns hold v, -v-1, v/3; build the hex by hand, MSB first */
        int64_t want[3] = {v, -v - 1, v / 3};
        uint64_t bits = 0;
        for (int col = 0; col < 3; col++) bits |= ((uint64_t)want[col] & 0x1fff) << (13 * col);
        char hex[16];
        snprintf(hex, sizeof hex, "%010llx", (unsigned long long)bits);
        assert_int_equal(mxf_pv_from_hex(hex, &ports[y], pv.v[y], NULL), 0);
        for (int col = 0; col < 3; col++)
            assert_int_equal(mxf_pv_get(&pv, y, 13 * col, 13, 1), want[col]);
    }
    mxf_err e;
    assert_int_equal(mxf_pv_from_hex("00000000xz", &ports[y], pv.v[y], &e), 1);
    assert_int_equal(mxf_pv_from_hex("0", &ports[y], pv.v[y], &e), -1);
    assert_int_equal(mxf_pv_from_hex("00000000g0", &ports[y], pv.v[y], &e), -1);
    /* stimulus: act_valid | act_bank | act(2x8) | w_valid | w_bank | w_row(1) | w(3x4), MSB first:
     * 1 + 1 + 16 + 1 + 1 + 1 + 12 = 33 bits */
    assert_int_equal(mxf_pv_stim_bits(ports, n), 33);
    mxf_pv_clear(&pv);
    mxf_pv_put(&pv, mxf_port_index(ports, n, "act_valid_i"), 0, 1, 1);
    mxf_pv_put(&pv, mxf_port_index(ports, n, "act_i"), 8, 8, 0xff);
    mxf_pv_put(&pv, mxf_port_index(ports, n, "w_row_i"), 0, 1, 1);
    mxf_pv_put(&pv, mxf_port_index(ports, n, "w_i"), 0, 4, 0x8);
    char line[16];
    mxf_pv_stim_hex(ports, n, &pv, line);
    /* act_valid -> bit 32; act[1] = 0xff -> bits 23..30; w_row -> bit 12; w[0] = 0x8 -> bit 3 */
    assert_string_equal(line, "17f801008");
}

static void config_validation_and_names(void **state)
{
    (void)state;
    mxf_err e;
    mxf_ws_cfg c = cfg_of(16, 16, 8);
    char name[64];
    mxf_ws_cfg_name(&c, name, sizeof name);
    assert_string_equal(name, "ws-a16-w8");
    c = cfg_of(8, 4, 4);
    c.fault = MXF_WS_FAULT_SKEW;
    mxf_ws_cfg_name(&c, name, sizeof name);
    assert_string_equal(name, "ws-r8c4-w4-fskew");
    c = cfg_of(1, 4, 8);
    assert_int_equal(mxf_ws_cfg_validate(&c, &e), -1);
    assert_non_null(strstr(e.msg, "ROWS=1"));
    c = cfg_of(4, 129, 8);
    assert_int_equal(mxf_ws_cfg_validate(&c, &e), -1);
    assert_non_null(strstr(e.msg, "COLS=129"));
    c = cfg_of(4, 4, 6);
    assert_int_equal(mxf_ws_cfg_validate(&c, &e), -1);
    assert_non_null(strstr(e.msg, "WBITS=6"));
    int8_t W[4] = {8, 0, 0, 0}, A[2] = {0, 0};
    c = cfg_of(2, 2, 4);
    mxf_ws_gemm g;
    assert_int_equal(mxf_ws_gemm_init(&g, &c, 1, 2, 2, A, W, &e), -1);
    assert_non_null(strstr(e.msg, "W[0][0]=8 does not fit in WBITS=4"));
    mxf_ws_fault f;
    assert_int_equal(mxf_ws_fault_parse("late-valid", &f, &e), 0);
    assert_int_equal(f, MXF_WS_FAULT_LATE_VALID);
    assert_int_equal(mxf_ws_fault_parse("x", &f, &e), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exhaustive_products),
        cmocka_unit_test(tiled_gemm_matches_double_reference),
        cmocka_unit_test(acc_width_is_tight),
        cmocka_unit_test(register_model_agrees_with_golden_schedule),
        cmocka_unit_test(stimulus_respects_bank_contract),
        cmocka_unit_test(kh_tiles_and_scales_match_naive),
        cmocka_unit_test(checker_reports_first_failure),
        cmocka_unit_test(hex_formats),
        cmocka_unit_test(config_validation_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
