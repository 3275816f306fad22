/* Unit tests of the FineQ arrays' golden model (fineq_golden.c): the cluster layout decoded from
 * the bit table (exhaustively, all 256 bytes), temporal MACs against plain products (every code x
 * activation), the step-level schedule and outputs against an independent register-level model
 * of the documented micro-architecture (step controller, skews, weight chains, pulse counters),
 * the timing-contract rules the schedule must respect, and the checker's ability to fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fineq.h"
#include "fineq_golden.h"
#include "rng.h"

static mxf_fq_cfg cfg_of(int R, int C, mxf_fq_sched s)
{
    mxf_fq_cfg c = {R, C, s, MXF_FQ_FAULT_NONE};
    return c;
}

/* The README's bit table, read literally: bits 7..6 idx; idx 0: q0 = [5:4], q1 = [3:2],
 * q2 = [1:0] (2-bit two's complement); idx p+1: position p is 0, slot A = [5:3] and slot B =
 * [2:0] (3-bit two's complement) fill the other two positions in K order. */
static void table_decode(unsigned byte, int q[3])
{
    unsigned idx = byte >> 6;
    if (idx == 0) {
        for (int i = 0; i < 3; i++) {
            unsigned v = (byte >> (4 - 2 * i)) & 3u;
            q[i] = v >= 2 ? (int)v - 4 : (int)v;
        }
        return;
    }
    unsigned a = (byte >> 3) & 7u, b = byte & 7u;
    int A = a >= 4 ? (int)a - 8 : (int)a, B = b >= 4 ? (int)b - 8 : (int)b;
    int p = (int)idx - 1, slots[2] = {A, B}, j = 0;
    for (int i = 0; i < 3; i++) q[i] = i == p ? 0 : slots[j++];
}

static void decoder_matches_bit_table_exhaustively(void **state)
{
    (void)state;
    for (unsigned b = 0; b < 256; b++) {
        int want[3], got[3];
        table_decode(b, want);
        mxf_fineq_decode_cluster((uint8_t)b, got);
        for (int i = 0; i < 3; i++) {
            if (want[i] != got[i]) fprintf(stderr, "byte 0x%02x position %d\n", b, i);
            assert_int_equal(want[i], got[i]);
            assert_true(got[i] >= -4 && got[i] <= 3);
        }
    }
}

/* One temporal MAC as the PE does it: the first pulse on the step, then one per cycle while the
 * counter (loaded with |q| - 1) is non-zero; compared with a * q for every code and activation. */
static void temporal_mac_equals_product_exhaustively(void **state)
{
    (void)state;
    for (int q = -4; q <= 3; q++)
        for (int a = -128; a <= 127; a++) {
            int64_t acc = 1000; /* incoming partial sum */
            int mag = mxf_fq_mag(q), neg = q < 0, cnt = 0, cycles = 1;
            int fire = mag != 0 && a != 0;
            if (fire) acc += neg ? -a : a, cnt = mag - 1;
            while (cnt) acc += neg ? -a : a, cnt--, cycles++;
            assert_int_equal(acc, 1000 + (int64_t)a * q);
            assert_true(cycles <= MXF_FQ_MAXMAG);
        }
}

/* ---- the register-level model ---- */
typedef struct pe {
    int av, bank, a, neg, cnt;
    int64_t psum;
    int w[2];
} pe;

typedef struct wstage { /* a weight-chain stage's output registers (one per group and column) */
    int v, bank, cnt, q[3];
} wstage;

typedef struct rl_model {
    mxf_fq_cfg c;
    pe *p;           /* R x C */
    wstage *ws;      /* G x C */
    int (*askew)[3]; /* per row: a ring of r stages of {valid, bank, act} */
    int64_t *yq;     /* per column: C - c de-skew stages */
    int yv, stepped, slot;
    int aw;
} rl_model;

static int64_t wrap(int64_t v, int bits) /* two's complement to `bits` */
{
    uint64_t m = bits >= 64 ? ~0ull : ((1ull << bits) - 1);
    uint64_t u = (uint64_t)v & m;
    return (u >> (bits - 1)) & 1 ? (int64_t)(u | ~m) : (int64_t)u;
}

/* Per-row skew stages: askew[r * R + i] is stage i of row r (stage r-1 feeds PE (r, 0)). */
static void rl_init(rl_model *m, mxf_fq_cfg c)
{
    memset(m, 0, sizeof *m);
    m->c = c;
    m->p = calloc((size_t)c.rows * c.cols, sizeof(pe));
    m->ws = calloc((size_t)mxf_fq_groups(&c) * c.cols, sizeof(wstage));
    m->askew = calloc((size_t)c.rows * c.rows, sizeof *m->askew);
    m->yq = calloc((size_t)c.cols * (c.cols + 1), sizeof(int64_t));
    m->aw = mxf_fq_acc_bits(&c);
}

static void rl_free(rl_model *m)
{
    free(m->p);
    free(m->ws);
    free(m->askew);
    free(m->yq);
}

/* One clock edge with the inputs s; *y_valid and y are the outputs after it. */
static void rl_tick(rl_model *m, const mxf_fq_stim *s, int *y_valid, int64_t *y)
{
    const int R = m->c.rows, C = m->c.cols;
    /* the step of this cycle, from the registers before the edge */
    int step = 1;
    if (m->c.sched == MXF_FQ_LOCK) step = m->slot == 0;
    if (m->c.sched == MXF_FQ_ELASTIC)
        for (int i = 0; i < R * C; i++) step &= m->p[i].cnt == 0;
    pe *n = malloc(sizeof(pe) * (size_t)R * C);
    memcpy(n, m->p, sizeof(pe) * (size_t)R * C);
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) {
            const pe *o = &m->p[r * C + c];
            pe *d = &n[r * C + c];
            /* activation input: from the left neighbour or the skew chain */
            int av, bank, a;
            if (c > 0) {
                const pe *l = &m->p[r * C + c - 1];
                av = l->av, bank = l->bank, a = l->a;
            } else if (r == 0) {
                av = s->act_valid, bank = s->act_bank, a = s->act[0];
            } else {
                const int *st = m->askew[r * R + r - 1];
                av = st[0], bank = st[1], a = st[2];
            }
            int64_t psum_in = r > 0 ? m->p[(r - 1) * C + c].psum : 0;
            /* the weight-chain stage of this PE's group, as seen before the edge */
            const int gi = r / 3;
            wstage in;
            if (gi == 0) {
                table_decode(s->w[c], in.q);
                in.v = s->w_valid, in.bank = s->w_bank, in.cnt = s->w_row;
            } else {
                in = m->ws[(gi - 1) * C + c];
            }
            int hit = in.v && in.cnt == 0;
            if (m->c.sched == MXF_FQ_MUL) {
                d->av = av, d->bank = bank, d->a = a;
                d->psum = wrap(psum_in + (int64_t)a * o->w[bank], m->aw);
            } else if (step) {
                int q = o->w[bank], mag = mxf_fq_mag(q);
                int fire = av && mag && a;
                d->av = av, d->bank = bank, d->a = a, d->neg = q < 0;
                d->psum = wrap(psum_in + (fire ? (q < 0 ? -a : a) : 0), m->aw);
                d->cnt = fire ? mag - 1 : 0;
            } else if (o->cnt) {
                d->psum = wrap(o->psum + (o->neg ? -o->a : o->a), m->aw);
                d->cnt = o->cnt - 1;
            }
            if (hit) d->w[in.bank] = in.q[r % 3];
        }
    /* the chain moves one group per cycle; the word stops at the group that takes it */
    const int G = mxf_fq_groups(&m->c);
    for (int gi = G - 1; gi >= 0; gi--)
        for (int c = 0; c < C; c++) {
            wstage in;
            if (gi == 0) {
                table_decode(s->w[c], in.q);
                in.v = s->w_valid, in.bank = s->w_bank, in.cnt = s->w_row;
            } else {
                in = m->ws[(gi - 1) * C + c];
            }
            wstage *o = &m->ws[gi * C + c];
            *o = in;
            o->v = in.v && in.cnt != 0;
            o->cnt = in.cnt - 1;
        }
    /* edge chains, shifted on steps */
    int64_t yin[MXF_FQ_MAX_DIM];
    for (int c = 0; c < C; c++) yin[c] = m->p[(R - 1) * C + c].psum;
    int yv_in = m->p[(R - 1) * C + C - 1].av;
    if (step) {
        for (int r = 1; r < R; r++) {
            for (int i = r - 1; i > 0; i--)
                memcpy(m->askew[r * R + i], m->askew[r * R + i - 1], sizeof m->askew[0]);
            m->askew[r * R][0] = s->act_valid, m->askew[r * R][1] = s->act_bank;
            m->askew[r * R][2] = s->act[r];
        }
        for (int c = 0; c < C; c++) {
            int64_t *st = &m->yq[(size_t)c * (C + 1)];
            for (int i = C - c - 1; i > 0; i--) st[i] = st[i - 1];
            st[0] = yin[c];
        }
        m->yv = yv_in;
    }
    m->stepped = step;
    m->slot = (m->slot + 1) % MXF_FQ_MAXMAG;
    memcpy(m->p, n, sizeof(pe) * (size_t)R * C);
    free(n);
    *y_valid = m->yv && m->stepped;
    for (int c = 0; c < C; c++) y[c] = m->yq[(size_t)c * (C + 1) + C - c - 1];
}

static void random_ops(mxf_rng *r, int M, int K, int N, int8_t *A, uint8_t *Wc)
{
    for (int i = 0; i < M * K; i++) {
        int64_t p = mxf_rng_range(r, 0, 7);
        A[i] = p == 0 ? 0 : p == 1 ? -128 : (int8_t)mxf_rng_range(r, -128, 127);
    }
    for (int i = 0; i < (K + 2) / 3 * N; i++) Wc[i] = (uint8_t)mxf_rng_range(r, 0, 255);
}

/* The register-level model, driven by the golden stimulus, produces every golden output on the
 * cycle the golden schedule predicts, and nothing else; the last one on cycle total - 1. */
static void register_model_agrees_with_golden_schedule(void **state)
{
    (void)state;
    const int dims[][2] = {{3, 3}, {6, 6}, {8, 5}, {4, 7}, {9, 9}};
    const mxf_fq_sched scheds[] = {MXF_FQ_LOCK, MXF_FQ_ELASTIC, MXF_FQ_MUL};
    mxf_rng r;
    mxf_rng_seed(&r, 11);
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++)
        for (size_t si = 0; si < 3; si++)
            for (int rep = 0; rep < 6; rep++) {
                mxf_fq_cfg c = cfg_of(dims[di][0], dims[di][1], scheds[si]);
                int M = (int)mxf_rng_range(&r, 1, 3 * c.rows), K = (int)mxf_rng_range(&r, 1, 40),
                    N = (int)mxf_rng_range(&r, 1, 3 * c.cols);
                int8_t *A = malloc((size_t)M * K);
                uint8_t *Wc = malloc((size_t)(K + 2) / 3 * N);
                random_ops(&r, M, K, N, A, Wc);
                mxf_fq_gemm g;
                mxf_err err;
                assert_int_equal(mxf_fq_gemm_init(&g, &c, M, K, N, A, Wc, 0, &err), 0);
                mxf_fq_checker k;
                assert_int_equal(mxf_fq_checker_init(&k, &g, 1, &err), 0);
                rl_model m;
                rl_init(&m, c);
                mxf_fq_cursor cur = {0, 0};
                int64_t last = -1;
                for (int64_t cyc = 0; cyc < g.total + 12; cyc++) {
                    mxf_fq_stim s;
                    mxf_fq_stim_at(&g, &cur, cyc, &s);
                    int yv;
                    int64_t y[MXF_FQ_MAX_DIM];
                    rl_tick(&m, &s, &yv, y);
                    if (yv) {
                        if (mxf_tile_checker_push(&k, cyc, y))
                            fprintf(stderr, "%s\n", k.first_failure);
                        assert_false(k.failed);
                        last = cyc;
                    }
                }
                if (mxf_tile_checker_finish(&k, g.total + 11))
                    fprintf(stderr, "%s\n", k.first_failure);
                assert_false(k.failed);
                assert_int_equal(last, g.total - 1);
                rl_free(&m);
                mxf_tile_checker_free(&k);
                mxf_fq_gemm_free(&g);
                free(A);
                free(Wc);
            }
}

/* The schedule keeps the contract: rows on step cycles only; a tile's rows after its last
 * cluster row was written (rule 3); a bank rewritten only from the cycle the last output of its
 * previous tile appears (rule 4); loads never overlap; lock-step steps every 4 cycles. */
static void schedule_keeps_contract(void **state)
{
    (void)state;
    mxf_rng r;
    mxf_rng_seed(&r, 5);
    for (int rep = 0; rep < 60; rep++) {
        mxf_fq_cfg c = cfg_of((int)mxf_rng_range(&r, 3, 12), (int)mxf_rng_range(&r, 3, 12),
                              (mxf_fq_sched)mxf_rng_range(&r, 0, 2));
        int M = (int)mxf_rng_range(&r, 1, 30), K = (int)mxf_rng_range(&r, 1, 60),
            N = (int)mxf_rng_range(&r, 1, 30);
        int8_t *A = malloc((size_t)M * K);
        uint8_t *Wc = malloc((size_t)(K + 2) / 3 * N);
        random_ops(&r, M, K, N, A, Wc);
        mxf_fq_gemm g;
        mxf_err err;
        assert_int_equal(mxf_fq_gemm_init(&g, &c, M, K, N, A, Wc, 0, &err), 0);
        const int G = mxf_fq_groups(&c);
        for (int t = 0; t < g.T; t++) {
            int64_t first = g.last_step[t] - (M - 1);
            assert_true(g.step_cycle[first] > g.load_cycle[t] + G - 1);
            if (t > 0) assert_true(g.load_cycle[t] >= g.load_cycle[t - 1] + G);
            if (t >= 2) assert_true(g.load_cycle[t] >= mxf_fq_output_cycle(&g, t - 2, M - 1));
        }
        for (int64_t s = 1; s < g.n_steps; s++) {
            int64_t d = g.step_cycle[s] - g.step_cycle[s - 1];
            if (c.sched == MXF_FQ_LOCK) assert_int_equal(d, MXF_FQ_MAXMAG);
            if (c.sched == MXF_FQ_MUL) assert_int_equal(d, 1);
            assert_true(d >= 1 && d <= MXF_FQ_MAXMAG);
        }
        mxf_fq_gemm_free(&g);
        free(A);
        free(Wc);
    }
}

/* Tile outputs assemble into the naive GEMM for every tile height (so scale groups can pick
 * any divisor), and the widths hold the extreme sums. */
static void tiles_of_every_height_match_naive(void **state)
{
    (void)state;
    mxf_rng r;
    mxf_rng_seed(&r, 9);
    mxf_fq_cfg c = cfg_of(12, 5, MXF_FQ_MUL);
    const int M = 3, K = 50, N = 7;
    int8_t A[3 * 50];
    uint8_t Wc[17 * 7];
    random_ops(&r, M, K, N, A, Wc);
    int64_t Y[3 * 7], *T = malloc(sizeof(int64_t) * M * 5);
    for (int gh = 1; gh <= 4; gh++) {
        mxf_fq_gemm g;
        mxf_err err;
        assert_int_equal(mxf_fq_gemm_init(&g, &c, M, K, N, A, Wc, gh, &err), 0);
        int64_t S[3 * 7] = {0};
        for (int t = 0; t < g.T; t++) {
            mxf_fq_tile_golden(&g, t, T);
            int nt = t / g.KT;
            for (int m = 0; m < M; m++)
                for (int cc = 0; cc < 5; cc++)
                    if (nt * 5 + cc < N) S[m * N + nt * 5 + cc] += T[m * 5 + cc];
        }
        mxf_fq_gemm_naive(&g, Y);
        assert_memory_equal(S, Y, sizeof Y);
        mxf_fq_gemm_free(&g);
    }
    free(T);
    mxf_fq_gemm g;
    mxf_err err;
    assert_int_not_equal(mxf_fq_gemm_init(&g, &c, M, K, N, A, Wc, 5, &err), 0);
    assert_non_null(strstr(err.msg, "holds 1..4"));
    /* the largest magnitude a column can reach: every row at -128 * -4 fits the accumulator */
    for (int R = 3; R <= 128; R++) {
        mxf_fq_cfg cc = cfg_of(R, 3, MXF_FQ_MUL);
        int64_t max = (int64_t)R * 512, lim = ((int64_t)1 << (mxf_fq_acc_bits(&cc) - 1)) - 1;
        assert_true(max <= lim);
    }
}

static void checker_reports_first_failure(void **state)
{
    (void)state;
    mxf_fq_cfg c = cfg_of(6, 4, MXF_FQ_ELASTIC);
    int8_t A[4 * 9];
    uint8_t Wc[3 * 5];
    mxf_rng r;
    mxf_rng_seed(&r, 3);
    random_ops(&r, 4, 9, 5, A, Wc);
    mxf_fq_gemm g;
    mxf_err err;
    assert_int_equal(mxf_fq_gemm_init(&g, &c, 4, 9, 5, A, Wc, 0, &err), 0);
    mxf_fq_checker k;
    assert_int_equal(mxf_fq_checker_init(&k, &g, 77, &err), 0);
    int64_t T[4 * 4];
    mxf_fq_tile_golden(&g, 0, T);
    assert_int_equal(mxf_tile_checker_push(&k, mxf_fq_output_cycle(&g, 0, 0), T), 0);
    int64_t bad[4];
    memcpy(bad, T + 4, sizeof bad);
    bad[2] += 1;
    assert_int_equal(mxf_tile_checker_push(&k, mxf_fq_output_cycle(&g, 0, 1), bad), -1);
    assert_non_null(strstr(k.first_failure, "MISMATCH tile=0"));
    assert_non_null(strstr(k.first_failure, "row=1 col=2"));
    assert_non_null(strstr(k.first_failure, "seed=77"));
    mxf_tile_checker_free(&k);
    /* right values on the wrong cycle */
    assert_int_equal(mxf_fq_checker_init(&k, &g, 78, &err), 0);
    assert_int_equal(mxf_tile_checker_push(&k, mxf_fq_output_cycle(&g, 0, 0) + 1, T), -1);
    assert_non_null(strstr(k.first_failure, "expected on cycle"));
    mxf_tile_checker_free(&k);
    /* a missing output */
    assert_int_equal(mxf_fq_checker_init(&k, &g, 79, &err), 0);
    assert_int_equal(mxf_tile_checker_finish(&k, 100), -1);
    assert_non_null(strstr(k.first_failure, "never appeared"));
    mxf_tile_checker_free(&k);
    mxf_fq_gemm_free(&g);
}

static void config_validation_and_names(void **state)
{
    (void)state;
    char buf[64];
    mxf_fq_cfg c = cfg_of(16, 16, MXF_FQ_LOCK);
    mxf_fq_cfg_name(&c, buf, sizeof buf);
    assert_string_equal(buf, "fineq-a16-lock");
    c = cfg_of(12, 5, MXF_FQ_ELASTIC);
    c.fault = MXF_FQ_FAULT_CNT_SHORT;
    mxf_fq_cfg_name(&c, buf, sizeof buf);
    assert_string_equal(buf, "fineq-r12c5-elastic-fcnt-short");
    c = cfg_of(8, 8, MXF_FQ_MUL);
    mxf_fq_cfg_name(&c, buf, sizeof buf);
    assert_string_equal(buf, "fineq-mul-a8");
    mxf_err err;
    c = cfg_of(2, 8, MXF_FQ_LOCK);
    assert_int_not_equal(mxf_fq_cfg_validate(&c, &err), 0);
    assert_non_null(strstr(err.msg, "ROWS=2"));
    c = cfg_of(16, 16, MXF_FQ_LOCK);
    assert_int_equal(mxf_fq_groups(&c), 6);
    assert_int_equal(mxf_fq_full_groups(&c), 5);
    assert_int_equal(mxf_fq_acc_bits(&c), 15);
    assert_int_equal(mxf_fq_tag_bits(&c), 3);
    assert_int_equal(mxf_fq_latency_steps(&c), 31);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decoder_matches_bit_table_exhaustively),
        cmocka_unit_test(temporal_mac_equals_product_exhaustively),
        cmocka_unit_test(register_model_agrees_with_golden_schedule),
        cmocka_unit_test(schedule_keeps_contract),
        cmocka_unit_test(tiles_of_every_height_match_naive),
        cmocka_unit_test(checker_reports_first_failure),
        cmocka_unit_test(config_validation_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
