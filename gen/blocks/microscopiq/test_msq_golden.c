/* Unit tests of the microscopiq block's golden model (msq_golden.c):
 * - the multi-precision multiplier's 4b x 2b decomposition (README.md "PE") against the
 *   sign-magnitude product, exhaustively: every activation, every word, both modes;
 * - the ReCoN slice against the value contract of docs/recon.md section 2, for every routable
 *   placement of a uB (all 1..4-outlier placements the router accepts), random bundles;
 * - the schedule and the tile outputs against an independent register-level model of README.md
 *   (skew registers, banks written by the stimulus, rank/grant/step controller, the contract
 *   values), on random images and the shared and per-row ReCoN variants;
 * - the naive reference (decoded weights) against the tile golden on many shapes;
 * - the tile golden dropping ReCoN terms that land on inlier lanes (corrupted words);
 * - the checker's ability to fail (a planted wrong value and a planted wrong cycle). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msq_golden.h"
#include "qformat.h"
#include "recon.h"
#include "rng.h"

/* The PE's multiplier as README.md describes it: a = 16 aH + aL (aH signed, aL unsigned),
 * weight halves wH = {0, w2}, wL = w[1:0] (MODE 4b) or {0, w0} (MODE 2b). */
static void mul_model(int a, int w, int mode2, int out[2])
{
    const int aH = a >> 4, aL = a & 15; /* arithmetic shift: aH in -8..7 */
    const int wH = w >> 2 & 1, wL = mode2 ? (w & 1) : (w & 3);
    const int hh = aH * wH, hl = aH * wL, lh = aL * wH, ll = aL * wL;
    if (mode2) {
        int l0 = 16 * hl + ll, l1 = 16 * hh + lh;
        out[0] = (w >> 1 & 1) ? -l0 : l0;
        out[1] = (w >> 3 & 1) ? -l1 : l1;
    } else {
        int m = 64 * hh + 16 * hl + 4 * lh + ll;
        out[0] = (w >> 3 & 1) ? -m : m;
        out[1] = 0;
    }
}

static void test_multiplier_exhaustive(void **state)
{
    (void)state;
    for (int a = -128; a <= 127; a++)
        for (int w = 0; w < 16; w++) {
            int o[2];
            mul_model(a, w, 0, o);
            assert_int_equal(o[0], mxf_msq_product(a, w, 4));
            assert_true(o[0] >= -896 && o[0] <= 896); /* fits ResW = 11 */
            mul_model(a, w, 1, o);
            assert_int_equal(o[0], mxf_msq_product(a, w & 3, 2));
            assert_int_equal(o[1], mxf_msq_product(a, w >> 2, 2));
        }
}

/* docs/recon.md section 2: what every output of a routed uB must be. */
static void test_recon_contract_every_placement(void **state)
{
    (void)state;
    mxf_rng r;
    mxf_rng_seed(&r, 7);
    long routed[MXF_MSQ_NET_COUNT] = {0};
    for (int n = 1; n <= 4; n++) {
        /* every ordered choice of n distinct uppers (ascending) and n distinct lowers */
        for (unsigned um = 0; um < 256; um++) {
            if (__builtin_popcount(um) != n) continue;
            int up[4], k = 0;
            for (int s = 0; s < 8; s++)
                if (um >> s & 1) up[k++] = s;
            int lo[4];
            /* enumerate lowers as n-permutations of the remaining slots */
            int rest[8], nr = 0;
            for (int s = 0; s < 8; s++)
                if (!(um >> s & 1)) rest[nr++] = s;
            int idx[4] = {0, 0, 0, 0};
            for (;;) {
                int ok = 1;
                for (int i = 0; i < n && ok; i++) {
                    lo[i] = rest[idx[i]];
                    for (int j = 0; j < i; j++)
                        if (idx[j] == idx[i]) ok = 0;
                }
                for (int nt = 0; ok && nt < MXF_MSQ_NET_COUNT; nt++) {
                    /* the butterfly routes some placements, the Benes network every one */
                    const mxf_msq_net *net = &mxf_msq_nets[nt];
                    if (nt == MXF_MSQ_NET_BUTTERFLY && !mxf_recon_routable(8, n, up, lo)) continue;
                    routed[nt]++;
                    uint8_t word[MXF_MSQ_CFGW / 8] = {0}, op[MXF_MSQ_NET_OPS];
                    mxf_err e;
                    if (net->route_ub(n, up, lo, word, &e)) fail_msg("%s: %s", net->name, e.msg);
                    assert_int_equal(net->decode(word, op), 0);
                    for (int bb = 2; bb <= 4; bb += 2) {
                        const int M = bb == 2 ? 2 : 4, h = M / 2;
                        mxf_msq_bundle in[8];
                        int role[8] = {0}; /* 0 inlier, 1 upper, 2 lower */
                        for (int i = 0; i < n; i++) role[up[i]] = 1, role[lo[i]] = 2;
                        const int a = (int)mxf_rng_range(&r, -128, 127),
                                  osh = (int)mxf_rng_range(&r, 0, 7);
                        int sgn[8];
                        for (int x = 0; x < 8; x++) {
                            sgn[x] = (int)mxf_rng_range(&r, 0, 1);
                            const int64_t iacc = mxf_rng_range(&r, -100000, 100000);
                            const int64_t res = role[x] ? mxf_rng_range(&r, -384, 384) : 0;
                            in[x] = (mxf_msq_bundle){1, role[x] ? sgn[x] : 0, res, iacc};
                        }
                        int64_t out[8];
                        net->eval(op, bb, a, osh, in, out);
                        for (int x = 0; x < 8; x++) {
                            int64_t want = in[x].iacc;
                            if (role[x] == 1) {
                                int l = -1;
                                for (int i = 0; i < n; i++)
                                    if (up[i] == x) l = lo[i];
                                const int64_t t = (int64_t)(sgn[x] ? -a : a) * (1 << M) +
                                                  in[x].res * (1 << h) + in[l].res;
                                want = in[x].iacc + t * (1 << osh);
                            }
                            if (out[x] != want)
                                fail_msg("%s n=%d up %d.. lo %d..: output %d = %lld, want %lld",
                                         net->name, n, up[0], lo[0], x, (long long)out[x],
                                         (long long)want);
                        }
                    }
                }
                int i = n - 1;
                while (i >= 0 && ++idx[i] == nr) idx[i--] = 0;
                if (i < 0) break;
            }
        }
    }
    /* docs/recon.md section 4: 48 + 608 + 1984 + 784 placements of a uB route through the
       butterfly; all 56 + 840 + 3360 + 1680 through the Benes network */
    assert_int_equal(routed[MXF_MSQ_NET_BUTTERFLY], 48 + 608 + 1984 + 784);
    assert_int_equal(routed[MXF_MSQ_NET_BENES], 56 + 840 + 3360 + 1680);
}

/* ---- an independent register-level model of README.md ---- */
typedef struct ent {
    int v, bank;
    int8_t act[MXF_MSQ_MAX_DIM];
    int tok;
} ent;

/* Runs the GEMM's stimulus through the model; returns the number of mismatches against the
 * golden outputs and cycles (printing the first). */
static int model_check(const mxf_msq_gemm *g)
{
    const mxf_msq_cfg *c = &g->cfg;
    const int R = c->rows, C = c->cols, P = g->P, L = mxf_msq_lanes(c), U = mxf_msq_units(c);
    const int SHW = mxf_msq_shift_bits(c), NU = g->N / 8;
    const int M = c->bb == 2 ? 2 : 4, h = M / 2;
    uint16_t(*wb)[MXF_MSQ_MAX_DIM][MXF_MSQ_MAX_DIM] = calloc(2, sizeof *wb);
    ent *skew = calloc((size_t)R * (R + 1), sizeof(ent)); /* skew[r][i], i = 0 newest */
    int64_t *ps = calloc((size_t)R * P, sizeof(int64_t)), *nx = calloc((size_t)R * P, 8);
    int64_t *exp = malloc(sizeof(int64_t) * (size_t)g->M * P);
    assert_non_null(wb);
    assert_non_null(skew);
    assert_non_null(ps);
    assert_non_null(nx);
    assert_non_null(exp);
    mxf_msq_cursor cur = {0};
    /* the instruction buffer: which tile's word each (bank, row, slice) holds */
    int(*ibt)[MXF_MSQ_MAX_DIM][2 * MXF_MSQ_MAX_DIM / 8] = calloc(2, sizeof *ibt);
    assert_non_null(ibt);
    memset(ibt, 0xff, 2 * sizeof *ibt);
    int cyc = 0, bad = 0, outs = 0, exp_tile = -1, next_tok = 0;
    int64_t last_out = -1;
    for (int64_t x = 0; x < g->total + 8; x++) {
        mxf_msq_stim st;
        mxf_msq_stim_at(g, &cur, x, &st);
        /* the rows' current tokens and requests */
        int req[MXF_MSQ_MAX_DIM], m = 0;
        for (int r = 0; r < R; r++) {
            const ent *e = &skew[(size_t)r * (R + 1) + r];
            int any = 0;
            for (int j = 0; j < C; j++) any |= wb[e->bank][r][j] >> MXF_MSQ_CODEW & 3;
            req[r] = e->v && any;
            m += req[r];
        }
        int en[MXF_MSQ_MAX_DIM] = {0}, step_end;
        if (c->units == MXF_MSQ_UNITS_ROW) {
            step_end = 1;
            for (int r = 0; r < R; r++) en[r] = 1;
        } else {
            const int base = cyc * U;
            step_end = m <= base + U;
            int below = 0;
            for (int r = R - 1; r >= 0; r--) {
                en[r] = below >= base && (below < base + U || step_end);
                below += req[r];
            }
        }
        /* rows that update compute from the registers' current values */
        for (int r = 0; r < R; r++) {
            if (!en[r]) continue;
            const ent *e = &skew[(size_t)r * (R + 1) + r];
            const int a = e->act[r];
            int64_t res[2 * MXF_MSQ_MAX_DIM];
            int sg[2 * MXF_MSQ_MAX_DIM], hf[2 * MXF_MSQ_MAX_DIM];
            for (int j = 0; j < C; j++) {
                const int w = wb[e->bank][r][j], sh = w >> (MXF_MSQ_CODEW + 2) & ((1 << SHW) - 1);
                for (int l = 0; l < L; l++) {
                    const int p = j * L + l, code = w >> (c->bb * l) & ((1 << c->bb) - 1);
                    const int64_t above = r ? ps[(size_t)(r - 1) * P + p] : 0;
                    const int64_t prod = mxf_msq_product(a, code, c->bb);
                    hf[p] = w >> (MXF_MSQ_CODEW + l) & 1;
                    sg[p] = code >> (c->bb - 1) & 1;
                    res[p] = prod;
                    nx[(size_t)r * P + p] = hf[p] ? above : above + prod * ((int64_t)1 << sh);
                }
            }
            if (req[r] && e->tok >= 0) { /* the contract: pairs and shift from the image */
                const int t = e->tok / g->M, kt = t % g->KT, nt = t / g->KT, k = g->kt0[kt] + r;
                for (int s = 0; k < g->kt0[kt + 1] && s < P / 8; s++) {
                    const int n = nt * P + 8 * s;
                    if (n >= g->N) break;
                    const mxf_msq_ubw *u = &g->ub[(size_t)k * NU + n / 8];
                    const int osh = u->ounit - g->tile[t].uref;
                    if (u->n && ibt[e->bank][r][s] != t && !bad++)
                        print_message("model: cycle %lld row %d slice %d merges tile %d with the "
                                      "instruction-buffer word of tile %d\n",
                                      (long long)x, r, s, t, ibt[e->bank][r][s]);
                    for (int i = 0; i < u->n; i++) {
                        const int pu = 8 * s + u->upper[i], pl = 8 * s + u->lower[i];
                        const int64_t tt =
                            (int64_t)(sg[pu] ? -a : a) * (1 << M) + res[pu] * (1 << h) + res[pl];
                        nx[(size_t)r * P + pu] += tt * ((int64_t)1 << osh);
                    }
                }
            }
        }
        /* the output row: the bottom row updated with a valid token */
        const ent *bot = &skew[(size_t)(R - 1) * (R + 1) + (R - 1)];
        if (en[R - 1] && bot->v) {
            const int t = outs / g->M, mm = outs % g->M;
            if (t != exp_tile && t < g->T) {
                mxf_msq_tile_golden(g, t, exp);
                exp_tile = t;
            }
            for (int p = 0; p < P && !bad; p++)
                if (t >= g->T || nx[(size_t)(R - 1) * P + p] != exp[(size_t)mm * P + p] ||
                    x != mxf_msq_output_cycle(g, t, mm)) {
                    print_message("model: output %d (tile %d row %d) col %d cycle %lld: model "
                                  "%lld, golden %lld at cycle %lld\n",
                                  outs, t, mm, p, (long long)x,
                                  (long long)nx[(size_t)(R - 1) * P + p],
                                  t < g->T ? (long long)exp[(size_t)mm * P + p] : 0LL,
                                  t < g->T ? (long long)mxf_msq_output_cycle(g, t, mm) : -1LL);
                    bad++;
                }
            outs++;
            last_out = x;
        }
        for (int r = 0; r < R; r++)
            if (en[r]) memcpy(&ps[(size_t)r * P], &nx[(size_t)r * P], sizeof(int64_t) * P);
        /* weight and instruction-buffer writes (IB words: the model takes pairs from the image) */
        if (st.w_valid)
            for (int j = 0; j < C; j++) wb[st.w_bank][st.w_row][j] = st.w[j];
        /* port j writes slice K * tag + j (the RTL's decoding, not the word's own g) */
        for (int j = 0; j < g->cfg.cports; j++)
            if (st.c_valid[j])
                ibt[st.c_bank[j]][st.c[j]->row][g->cfg.cports * (st.c[j]->g / g->cfg.cports) + j] =
                    st.c_tile[j];
        if (step_end) {
            for (int r = 0; r < R; r++) {
                ent *row = &skew[(size_t)r * (R + 1)];
                memmove(row + 1, row, sizeof(ent) * (size_t)r);
                row[0].v = st.act_valid;
                row[0].bank = st.act_bank;
                memcpy(row[0].act, st.act, sizeof st.act);
                row[0].tok = -1;
            }
        }
        cyc = step_end ? 0 : cyc + 1;
        /* token ids: the k-th valid sample is token k */
        if (step_end && st.act_valid) {
            for (int r = 0; r < R; r++) skew[(size_t)r * (R + 1)].tok = next_tok;
            next_tok++;
        }
    }
    if (outs != g->T * g->M) {
        print_message("model: %d outputs, golden %d\n", outs, g->T * g->M);
        bad++;
    }
    if (last_out + 1 != g->total) {
        print_message("model: last output on cycle %lld, golden total %lld\n", (long long)last_out,
                      (long long)g->total);
        bad++;
    }
    free(wb);
    free(ibt);
    free(skew);
    free(ps);
    free(nx);
    free(exp);
    return bad;
}

static void quantize(int bb, const char *extra, int N, int K, uint64_t seed, double pout,
                     mxf_qtensor *q)
{
    float *W = malloc(sizeof(float) * (size_t)N * K);
    assert_non_null(W);
    mxf_rng r;
    mxf_rng_seed(&r, seed);
    for (int n = 0; n < N; n++)
        for (int k = 0; k < K; k++) {
            double g = mxf_rng_normal(&r);
            W[(size_t)n * K + k] = (float)(0.02 * g * (mxf_rng_uniform(&r) < pout ? 6 : 1));
            if (n % 128 == 0) W[(size_t)n * K + k] = 0.04f;
        }
    char spec[64];
    snprintf(spec, sizeof spec, "microscopiq%d%s", bb, extra);
    mxf_qformat f;
    mxf_err e;
    assert_int_equal(mxf_qformat_parse(spec, &f, &e), 0);
    assert_int_equal(mxf_quantize(&f, W, N, K, q, &e), 0);
    free(W);
}

static void acts(int M, int K, uint64_t seed, int8_t *A)
{
    mxf_rng r;
    mxf_rng_seed(&r, seed);
    for (int i = 0; i < M * K; i++) A[i] = (int8_t)mxf_rng_range(&r, -128, 127);
}

/* naive (decoded weights) = the sum of the tile golden outputs */
static void naive_equals_tiles(const mxf_msq_gemm *g)
{
    const int M = g->M;
    int64_t *Y = malloc(sizeof(int64_t) * (size_t)M * g->N);
    int64_t *T = malloc(sizeof(int64_t) * (size_t)M * g->P);
    int64_t *S = calloc((size_t)M * g->N, sizeof(int64_t));
    assert_non_null(Y);
    assert_non_null(T);
    assert_non_null(S);
    assert_int_equal(mxf_msq_gemm_naive(g, Y), 0);
    for (int t = 0; t < g->T; t++) {
        mxf_msq_tile_golden(g, t, T);
        for (int mm = 0; mm < M; mm++)
            for (int p = 0; p < g->P; p++) {
                const int n = (t / g->KT) * g->P + p;
                if (n < g->N) S[(size_t)mm * g->N + n] += T[(size_t)mm * g->P + p];
            }
    }
    for (int i = 0; i < M * g->N; i++) assert_int_equal(S[i], Y[i]);
    free(Y);
    free(T);
    free(S);
}

static void test_schedule_and_values_vs_model(void **state)
{
    (void)state;
    const struct {
        int R, C, bb, units;
        double pout;
        int net, cports;
    } cases[] = {
        {4, 4, 2, MXF_MSQ_UNITS_ROW, 0.05, MXF_MSQ_NET_BUTTERFLY, 1},
        {6, 8, 4, MXF_MSQ_UNITS_ROW, 0.05, MXF_MSQ_NET_BUTTERFLY, 1},
        {8, 4, 2, 1, 0.05, MXF_MSQ_NET_BUTTERFLY, 1},
        {8, 4, 2, 1, 0.5, MXF_MSQ_NET_BUTTERFLY, 1},
        {5, 12, 2, 2, 0.2, MXF_MSQ_NET_BUTTERFLY, 1},
        {7, 16, 4, 3, 0.3, MXF_MSQ_NET_BUTTERFLY, 1},
        {8, 8, 4, 1, 0.0, MXF_MSQ_NET_BUTTERFLY, 1},
        {4, 4, 2, MXF_MSQ_UNITS_ROW, 0.5, MXF_MSQ_NET_BENES, 1},
        {6, 8, 4, MXF_MSQ_UNITS_ROW, 0.3, MXF_MSQ_NET_BENES, 1},
        {8, 4, 2, 1, 0.5, MXF_MSQ_NET_BENES, 1},
        /* several configuration ports: every slice its own (K = G), and K < G (tags > 0) */
        {8, 8, 2, MXF_MSQ_UNITS_ROW, 0.5, MXF_MSQ_NET_BUTTERFLY, 2},
        {4, 16, 2, 1, 0.3, MXF_MSQ_NET_BUTTERFLY, 4},
        {5, 12, 2, 2, 0.3, MXF_MSQ_NET_BUTTERFLY, 2},
        {6, 16, 4, MXF_MSQ_UNITS_ROW, 0.3, MXF_MSQ_NET_BENES, 2},
        {3, 28, 2, MXF_MSQ_UNITS_ROW, 0.4, MXF_MSQ_NET_BUTTERFLY, 3},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++)
        for (int rep = 0; rep < 3; rep++) {
            mxf_msq_cfg c = {cases[ci].R,     cases[ci].C,           cases[ci].bb,
                             cases[ci].units, MXF_MSQ_ALIGN_DEFAULT, MXF_MSQ_FAULT_NONE,
                             cases[ci].net,   cases[ci].cports};
            mxf_rng r;
            mxf_rng_seed(&r, 100 * ci + rep);
            const int M = (int)mxf_rng_range(&r, 1, 3 * c.rows),
                      K = (int)mxf_rng_range(&r, 1, 3 * c.rows),
                      N = (int)mxf_rng_range(&r, 1, 3 * mxf_msq_ports(&c));
            mxf_qtensor q = {0};
            /* a Benes network takes every placement the quantizer likes best */
            const int any = c.net == MXF_MSQ_NET_BENES;
            quantize(c.bb,
                     cases[ci].pout > 0.4 ? (any ? ":sigma=1,route=any" : ":sigma=1")
                                          : (any ? ":route=any" : ""),
                     N, K, 11 + ci * 7 + rep, cases[ci].pout, &q);
            int8_t *A = malloc((size_t)M * K);
            assert_non_null(A);
            acts(M, K, rep + 5, A);
            mxf_msq_gemm g;
            mxf_err e;
            if (mxf_msq_gemm_init(&g, &c, &q, 0, N, 0, K, M, A, &e))
                fail_msg("case %zu: %s", ci, e.msg);
            if (model_check(&g))
                fail_msg("case %zu rep %d: golden differs from the model", ci, rep);
            naive_equals_tiles(&g);
            if (c.units != MXF_MSQ_UNITS_ROW && cases[ci].pout > 0.4)
                assert_true(g.stall_cycles > 0); /* contention happened */
            mxf_msq_gemm_free(&g);
            mxf_qtensor_free(&q);
            free(A);
        }
}

/* The array adds a ReCoN term only at a lane holding an outlier half (README.md "The PE"); the
 * router never sends a term elsewhere, so only a corrupted configuration word tells whether the
 * golden model drops the others too. Every switch of every word of a tile is forced to PASS and
 * to SWAP in turn: the tile's outputs at the ports that are inliers in the word's row
 * must not change, and (so the test cannot pass vacuously) the slice model, evaluated directly,
 * must put a non-zero term on such a port for some of these words. */
static void test_stray_terms_dropped(void **state)
{
    (void)state;
    mxf_msq_cfg c = {4, 4, 2, MXF_MSQ_UNITS_ROW, 7, MXF_MSQ_FAULT_NONE, MXF_MSQ_NET_BUTTERFLY, 1};
    const int M = 5, K = 8, N = 16, P = mxf_msq_ports(&c), L = mxf_msq_lanes(&c);
    mxf_qtensor q = {0};
    quantize(c.bb, ":sigma=1", N, K, 77, 0.5, &q);
    int8_t A[5 * 8];
    acts(M, K, 3, A);
    mxf_msq_gemm g;
    mxf_err e;
    assert_int_equal(mxf_msq_gemm_init(&g, &c, &q, 0, N, 0, K, M, A, &e), 0);
    const mxf_msq_net *net = mxf_msq_net_of(&c);
    int64_t *T1 = malloc(sizeof(int64_t) * (size_t)M * P),
            *T2 = malloc(sizeof(int64_t) * (size_t)M * P);
    assert_non_null(T1);
    assert_non_null(T2);
    int strays = 0, tried = 0;
    for (int t = 0; t < g.T; t++) {
        mxf_msq_tile *tl = &g.tile[t];
        mxf_msq_tile_golden(&g, t, T1);
        for (int i = 0; i < tl->ncw; i++) {
            mxf_msq_cfgw *cw = &tl->cw[i];
            uint8_t saved[sizeof cw->word];
            memcpy(saved, cw->word, sizeof saved);
            mxf_recon_cfg rc;
            assert_int_equal(mxf_recon_cfg_unpack(8, saved, &rc, &e), 0);
            /* the row's lanes: half, sign and product at a = 1 (inliers: 0, as on the wire) */
            mxf_msq_bundle b[8];
            int half[8];
            for (int x = 0; x < 8; x++) {
                const int p = 8 * cw->g + x, j = p / L, l = p % L;
                const int w = tl->pew[(size_t)cw->row * c.cols + j];
                const int code = w >> (c.bb * l) & ((1 << c.bb) - 1);
                half[x] = w >> (MXF_MSQ_CODEW + l) & 1;
                b[x] = (mxf_msq_bundle){1, half[x] ? code >> (c.bb - 1) : 0,
                                        half[x] ? mxf_msq_product(1, code, c.bb) : 0, 0};
            }
            for (int k = 0; k < 4 * 8; k++)
                for (int op = MXF_RECON_PASS; op <= MXF_RECON_SWAP; op++) {
                    mxf_recon_cfg bad = rc;
                    bad.op[k / 8][k % 8] = (uint8_t)op;
                    mxf_recon_cfg_pack(&bad, cw->word);
                    uint8_t ops[MXF_MSQ_NET_OPS];
                    int64_t out[8];
                    assert_int_equal(net->decode(cw->word, ops), 0);
                    net->eval(ops, c.bb, 1, cw->osh, b, out);
                    for (int y = 0; y < 8; y++)
                        if (!half[y] && out[y]) strays++;
                    mxf_msq_tile_golden(&g, t, T2);
                    tried++;
                    for (int y = 0; y < 8; y++) {
                        const int p = 8 * cw->g + y;
                        if (half[y]) continue;
                        for (int m = 0; m < M; m++)
                            if (T2[(size_t)m * P + p] != T1[(size_t)m * P + p])
                                fail_msg("tile %d row %d port %d (inlier): a stray term was added "
                                         "(%lld, was %lld)",
                                         t, cw->row, p, (long long)T2[(size_t)m * P + p],
                                         (long long)T1[(size_t)m * P + p]);
                    }
                }
            memcpy(cw->word, saved, sizeof saved);
        }
    }
    assert_true(tried > 0);
    assert_true(strays > 0);
    free(T1);
    free(T2);
    mxf_msq_gemm_free(&g);
    mxf_qtensor_free(&q);
}

static void test_checker_fails(void **state)
{
    (void)state;
    mxf_msq_cfg c = {4, 4, 2, MXF_MSQ_UNITS_ROW, 7, MXF_MSQ_FAULT_NONE, MXF_MSQ_NET_BUTTERFLY, 1};
    mxf_qtensor q = {0};
    quantize(2, "", 8, 4, 3, 0.2, &q);
    int8_t A[8];
    acts(2, 4, 1, A);
    mxf_msq_gemm g;
    mxf_err e;
    assert_int_equal(mxf_msq_gemm_init(&g, &c, &q, 0, 8, 0, 4, 2, A, &e), 0);
    int64_t T[2 * 8];
    for (int plant = 0; plant < 2; plant++) {
        mxf_tile_checker k;
        assert_int_equal(mxf_msq_checker_init(&k, &g, 1, &e), 0);
        mxf_msq_tile_golden(&g, 0, T);
        if (plant == 0) T[3] += 1;
        int rc = mxf_tile_checker_push(&k, mxf_msq_output_cycle(&g, 0, 0) + plant, T);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(k.first_failure, "MISMATCH"));
        mxf_tile_checker_free(&k);
    }
    mxf_msq_gemm_free(&g);
    mxf_qtensor_free(&q);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    mxf_err e;
    mxf_msq_cfg c = {8, 12, 4, MXF_MSQ_UNITS_ROW, 7, MXF_MSQ_FAULT_NONE, MXF_MSQ_NET_BUTTERFLY, 1};
    assert_int_equal(mxf_msq_cfg_validate(&c, &e), -1); /* 12 outputs: not a multiple of 8 */
    assert_non_null(strstr(e.msg, "multiple of 8"));
    c.cols = 8;
    c.units = 8;
    assert_int_equal(mxf_msq_cfg_validate(&c, &e), -1);
    c.units = MXF_MSQ_UNITS_ROW;
    /* configuration ports: 1..G (8 outputs per row: one slice) */
    c.cports = 2;
    assert_int_equal(mxf_msq_cfg_validate(&c, &e), -1);
    assert_non_null(strstr(e.msg, "CPORTS=2"));
    c.cports = 0;
    assert_int_equal(mxf_msq_cfg_validate(&c, &e), -1);
    c.cports = 1;
    /* a bb=2 tensor on a BB=4 array */
    mxf_qtensor q = {0};
    quantize(2, "", 16, 8, 1, 0.1, &q);
    int8_t A[8] = {0};
    mxf_msq_gemm g;
    assert_int_equal(mxf_msq_gemm_init(&g, &c, &q, 0, 16, 0, 8, 1, A, &e), -1);
    assert_non_null(strstr(e.msg, "BB=4"));
    /* units spanning more than ALIGN: ALIGN=0 with outliers present */
    c.bb = 2;
    c.align = 0;
    mxf_qtensor_free(&q);
    quantize(2, ":sigma=1", 16, 8, 2, 0.5, &q);
    assert_int_equal(mxf_msq_gemm_init(&g, &c, &q, 0, 16, 0, 8, 1, A, &e), -1);
    assert_non_null(strstr(e.msg, "ALIGN=0"));
    mxf_qtensor_free(&q);
    /* placements the butterfly does not route (an image quantized for NET=benes) */
    c.align = 7;
    int8_t A64[64] = {0};
    quantize(2, ":sigma=1,route=any", 64, 64, 5, 0.5, &q);
    assert_int_equal(mxf_msq_gemm_init(&g, &c, &q, 0, 64, 0, 64, 1, A64, &e), -1);
    assert_non_null(strstr(e.msg, "ReCoN W=8"));
    c.net = MXF_MSQ_NET_BENES;
    if (mxf_msq_gemm_init(&g, &c, &q, 0, 64, 0, 64, 1, A64, &e)) fail_msg("%s", e.msg);
    mxf_msq_gemm_free(&g);
    mxf_qtensor_free(&q);
    /* faults of butterfly switches have no Benes counterpart; the Benes slice's own checks */
    c.fault = MXF_MSQ_FAULT_SW_SPLIT;
    assert_int_equal(mxf_msq_cfg_validate(&c, &e), -1);
    assert_non_null(strstr(e.msg, "needs NET=butterfly"));
    c.fault = MXF_MSQ_FAULT_NONE;
    c.net = 2;
    assert_int_equal(mxf_msq_cfg_validate(&c, &e), -1);
    uint8_t word[MXF_MSQ_CFGW / 8], op[MXF_MSQ_NET_OPS];
    const int u2[2] = {1, 1}, l2[2] = {2, 3};
    const mxf_msq_net *bn = &mxf_msq_nets[MXF_MSQ_NET_BENES];
    assert_int_equal(bn->route_ub(2, u2, l2, word, &e), -1);
    assert_non_null(strstr(e.msg, "not a placement"));
    memset(word, 0, sizeof word);
    word[3] = 0x10; /* bit 28: beyond the 28-bit word */
    assert_int_equal(bn->decode(word, op), -1);
}

/* K tiles whose units would span more than ALIGN take fewer rows, and only those: inputs 0..39
 * have weights of one scale, inputs 40..47 weights 2^9 larger (inlier units 9 binades apart).
 * With R = 16 the tiles of rows 0..15 and 16..31 fit ALIGN = 7 and keep 16 rows; rows 32..47
 * would span both scales and become two 8-row tiles (32..39, 40..47). The schedule, the
 * register model and the naive sum agree on the irregular grid. */
static void test_tiles_split_to_fit_align(void **state)
{
    (void)state;
    enum { N = 16, K = 48, M = 5 };
    float W[N * K];
    mxf_rng r;
    mxf_rng_seed(&r, 77);
    for (int n = 0; n < N; n++)
        for (int k = 0; k < K; k++)
            W[n * K + k] = (float)(0.02 * mxf_rng_normal(&r) * (k >= 40 ? 512.0 : 1.0));
    mxf_qformat f;
    mxf_err e;
    mxf_qtensor q = {0};
    assert_int_equal(mxf_qformat_parse("microscopiq2", &f, &e), 0);
    assert_int_equal(mxf_quantize(&f, W, N, K, &q, &e), 0);
    int8_t A[M * K];
    acts(M, K, 3, A);
    const int grid[] = {0, 16, 32, 40, 48};
    for (int units = MXF_MSQ_UNITS_ROW; units <= 1; units++) {
        mxf_msq_cfg c = {16, 8, 2, units, 7, MXF_MSQ_FAULT_NONE, MXF_MSQ_NET_BUTTERFLY, 1};
        mxf_msq_gemm g;
        if (mxf_msq_gemm_init(&g, &c, &q, 0, N, 0, K, M, A, &e)) fail_msg("%s", e.msg);
        assert_int_equal(g.KT, 4);
        for (int kt = 0; kt <= g.KT; kt++) assert_int_equal(g.kt0[kt], grid[kt]);
        for (int t = 0; t < g.T; t++) assert_true(g.tile[t].max_shift <= c.align);
        if (model_check(&g)) fail_msg("units %d: golden differs from the model", units);
        naive_equals_tiles(&g);
        mxf_msq_gemm_free(&g);
    }
    mxf_qtensor_free(&q);
}

/* RTN quantizes every MaB on its own: the MaBs of a window, quantized alone, decode exactly as
 * they do in the whole tensor (the model command relies on it). */
/* Timing-contract rule 4 (README.md): row r of a bank may be rewritten from the last cycle of
 * step q + 1 + r, q the step that sampled the last activation row of the tile that used the bank
 * before. The schedule keeps the rule (checked here from the steps, not from the loader), meets
 * it exactly in the steady state, and a load one cycle earlier is caught by the register model. */
static void test_reload_per_row(void **state)
{
    (void)state;
    for (int v = 0; v < 4; v++) {
        const int units = v & 1 ? 2 : MXF_MSQ_UNITS_ROW, cports = v < 2 ? 1 : 2;
        mxf_msq_cfg c = {8, 8, 2, units, 7, MXF_MSQ_FAULT_NONE, MXF_MSQ_NET_BUTTERFLY, cports};
        enum { N = 64, K = 16, M = 9 };
        mxf_qtensor q = {0};
        quantize(2, ":sigma=1", N, K, 21, 0.3, &q);
        int8_t A[M * K];
        acts(M, K, 4, A);
        mxf_msq_gemm g;
        mxf_err e;
        if (mxf_msq_gemm_init(&g, &c, &q, 0, N, 0, K, M, A, &e)) fail_msg("%s", e.msg);
        assert_true(g.T >= 4);
        int tight = 0, early_caught = 0;
        for (int t = 2; t < g.T; t++) {
            int64_t qs = -1;
            for (int64_t st = 0; st < g.n_steps; st++)
                if (g.step_inj[st] == (t - 2) * M + M - 1) qs = st;
            assert_true(qs >= 0);
            mxf_msq_tile *tl = &g.tile[t];
            for (int r = 0; r < c.rows; r++) {
                const int64_t f = g.step_end[qs + 1 + r];
                if (tl->wcyc[r] < f)
                    fail_msg("tile %d row %d written on cycle %lld, free from %lld", t, r,
                             (long long)tl->wcyc[r], (long long)f);
                tight += tl->wcyc[r] == f;
            }
            for (int i = 0; i < tl->ncw; i++)
                assert_true(tl->ccyc[i] >= g.step_end[qs + 1 + tl->cw[i].row]);
            /* planted: the tile's whole load one cycle early */
            for (int r = 0; r < c.rows; r++) tl->wcyc[r]--;
            for (int i = 0; i < tl->ncw; i++) tl->ccyc[i]--;
            early_caught += model_check(&g) > 0;
            for (int r = 0; r < c.rows; r++) tl->wcyc[r]++;
            for (int i = 0; i < tl->ncw; i++) tl->ccyc[i]++;
        }
        assert_int_equal(model_check(&g), 0);
        if (units == MXF_MSQ_UNITS_ROW) assert_true(tight >= c.rows); /* a tile at the boundary */
        assert_int_equal(early_caught, g.T - 2);
        mxf_msq_gemm_free(&g);
        mxf_qtensor_free(&q);
    }
}

/* Configuration bandwidth (CPORTS): with few tokens per tile and an outlier in most uBs, a tile
 * waits for its instruction-buffer words. Port j carries only slices g with g % K == j, one word
 * per cycle, so a tile's words are in after at least as many cycles as its busiest port has
 * words (counted here from the tile's words, not from the loader); more ports finish the same
 * GEMM in fewer cycles, and the register model agrees with every schedule. */
static void test_config_ports(void **state)
{
    (void)state;
    enum { N = 64, K = 32, M = 2 };
    mxf_qtensor q = {0};
    quantize(2, ":sigma=1", N, K, 31, 0.9, &q);
    int8_t A[M * K];
    acts(M, K, 5, A);
    int64_t total[5] = {0};
    for (int cp = 1; cp <= 4; cp *= 2) {
        mxf_msq_cfg c = {8, 16, 2, MXF_MSQ_UNITS_ROW, 7, MXF_MSQ_FAULT_NONE, MXF_MSQ_NET_BUTTERFLY,
                         cp};
        mxf_msq_gemm g;
        mxf_err e;
        if (mxf_msq_gemm_init(&g, &c, &q, 0, N, 0, K, M, A, &e)) fail_msg("%s", e.msg);
        for (int t = 0; t < g.T; t++) {
            const mxf_msq_tile *tl = &g.tile[t];
            int per[MXF_MSQ_MAX_CPORTS] = {0}, most = 0;
            int64_t first = INT64_MAX, last = -1;
            for (int i = 0; i < tl->ncw; i++) {
                const int j = tl->cw[i].g % cp;
                if (++per[j] > most) most = per[j];
                if (tl->ccyc[i] < first) first = tl->ccyc[i];
                if (tl->ccyc[i] > last) last = tl->ccyc[i];
                for (int i2 = 0; i2 < i; i2++) /* one word per port and cycle */
                    assert_false(tl->cw[i2].g % cp == j && tl->ccyc[i2] == tl->ccyc[i]);
            }
            if (tl->ncw) assert_true(last - first + 1 >= most);
        }
        if (model_check(&g)) fail_msg("CPORTS=%d: golden differs from the model", cp);
        total[cp] = g.total;
        mxf_msq_gemm_free(&g);
    }
    assert_true(total[2] < total[1]);
    assert_true(total[4] < total[2]);
    mxf_qtensor_free(&q);
}

static void test_window_quantization_is_local(void **state)
{
    (void)state;
    const int N = 300, K = 20, na = 128, nsub = 172, k0 = 5, Ks = 9;
    float *W = malloc(sizeof(float) * N * K), *Ws = malloc(sizeof(float) * nsub * Ks);
    float *D = malloc(sizeof(float) * N * K), *Ds = malloc(sizeof(float) * nsub * Ks);
    assert_non_null(W);
    assert_non_null(Ws);
    assert_non_null(D);
    assert_non_null(Ds);
    mxf_rng r;
    mxf_rng_seed(&r, 9);
    for (int i = 0; i < N * K; i++)
        W[i] = (float)(0.02 * mxf_rng_normal(&r) * (mxf_rng_uniform(&r) < 0.05 ? 8 : 1));
    for (int n = 0; n < nsub; n++)
        for (int k = 0; k < Ks; k++) Ws[n * Ks + k] = W[(na + n) * K + k0 + k];
    for (int bb = 2; bb <= 4; bb += 2) {
        char spec[32];
        snprintf(spec, sizeof spec, "microscopiq%d", bb);
        mxf_qformat f;
        mxf_err e;
        mxf_qtensor q = {0}, qs = {0};
        assert_int_equal(mxf_qformat_parse(spec, &f, &e), 0);
        assert_int_equal(mxf_quantize(&f, W, N, K, &q, &e), 0);
        assert_int_equal(mxf_quantize(&f, Ws, nsub, Ks, &qs, &e), 0);
        assert_int_equal(mxf_dequantize(&q, D, &e), 0);
        assert_int_equal(mxf_dequantize(&qs, Ds, &e), 0);
        for (int n = 0; n < nsub; n++)
            for (int k = 0; k < Ks; k++) assert_true(Ds[n * Ks + k] == D[(na + n) * K + k0 + k]);
        mxf_qtensor_free(&q);
        mxf_qtensor_free(&qs);
    }
    free(W);
    free(Ws);
    free(D);
    free(Ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multiplier_exhaustive),
        cmocka_unit_test(test_recon_contract_every_placement),
        cmocka_unit_test(test_schedule_and_values_vs_model),
        cmocka_unit_test(test_stray_terms_dropped),
        cmocka_unit_test(test_checker_fails),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_tiles_split_to_fit_align),
        cmocka_unit_test(test_window_quantization_is_local),
        cmocka_unit_test(test_reload_per_row),
        cmocka_unit_test(test_config_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
