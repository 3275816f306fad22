/* mxfsim: drives the Verilated array (through tb/dut.h) with tiled GEMMs and checks every
 * output value and its cycle against the golden model in sw/ws_array.c. Compiled once per
 * config against that config's generated mxf_params.h. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dut.h"
#include "models.h"
#include "mxf_params.h"
#include "parse.h"
#include "rng.h"
#include "ws_array.h"

#define MAX_WORDS (MXF_WS_MAX_DIM * 64 / 32 + 2)
#define SLACK_CYCLES 8 /* run past the expected end so late or extra outputs are caught */

typedef struct run_stats {
    int64_t gemms, tiles, cycles, outputs;
    double macs, wall;
} run_stats;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void pack(const int8_t *v, int n, int width, uint32_t *words)
{
    memset(words, 0, sizeof(uint32_t) * MAX_WORDS);
    for (int i = 0; i < n; i++) {
        uint32_t x = (uint32_t)(uint8_t)v[i] & ((1u << width) - 1u);
        int bit = i * width;
        words[bit / 32] |= x << (bit % 32);
        if (bit % 32 + width > 32) words[bit / 32 + 1] |= x >> (32 - bit % 32);
    }
}

static void unpack_y(const uint32_t *words, int64_t *y)
{
    for (int c = 0; c < MXF_COLS; c++) {
        uint64_t v = 0;
        for (int b = 0; b < MXF_ACC_BITS; b++) {
            int bit = c * MXF_ACC_BITS + b;
            v |= (uint64_t)((words[bit / 32] >> (bit % 32)) & 1u) << b;
        }
        if (v >> (MXF_ACC_BITS - 1)) v |= ~UINT64_C(0) << MXF_ACC_BITS;
        y[c] = (int64_t)v;
    }
}

/* Streams one GEMM through the array; 0 when every output and the cycle count match. */
static int run_gemm(mxf_dut *d, const mxf_ws_gemm *g, uint64_t seed, const char *label,
                    run_stats *st)
{
    mxf_ws_checker k;
    mxf_err e;
    if (mxf_ws_checker_init(&k, g, seed, &e)) {
        fprintf(stderr, "mxfsim: %s\n", e.msg);
        return -1;
    }
    uint32_t aw[MAX_WORDS], ww[MAX_WORDS], yw[MAX_WORDS];
    int64_t y[MXF_WS_MAX_DIM];
    mxf_ws_stim s;
    const int64_t total = mxf_ws_total_cycles(g);
    int64_t c, last_valid = -1;
    mxf_dut_reset(d);
    double t0 = now();
    for (c = 0; c < total + SLACK_CYCLES; c++) {
        mxf_ws_stim_at(g, c, &s);
        pack(s.act, MXF_ROWS, 8, aw);
        pack(s.w, MXF_COLS, MXF_WBITS, ww);
        mxf_dut_set_act(d, (uint32_t)s.act_valid, (uint32_t)s.act_bank, aw);
        mxf_dut_set_w(d, (uint32_t)s.w_valid, (uint32_t)s.w_bank, (uint32_t)s.w_row, ww);
        mxf_dut_tick(d);
        if (mxf_dut_y_valid(d)) {
            mxf_dut_get_y(d, yw);
            unpack_y(yw, y);
            last_valid = c;
            if (mxf_ws_checker_push(&k, c, y)) break;
        }
    }
    st->wall += now() - t0;
    int rc = mxf_ws_checker_finish(&k, c);
    if (rc == 0 && last_valid + 1 != total) {
        snprintf(k.first_failure, sizeof k.first_failure,
                 "MISMATCH total cycles: expected %" PRId64 ", last output on cycle %" PRId64
                 " seed=%" PRIu64,
                 total, last_valid, seed);
        rc = -1;
    }
    if (rc) fprintf(stderr, "mxfsim: %s: %s\n", label, k.first_failure);
    st->gemms++;
    st->tiles += g->n_tiles;
    st->cycles += total;
    st->outputs += k.outputs;
    st->macs += (double)g->M * g->K * g->N;
    mxf_ws_checker_free(&k);
    return rc;
}

static mxf_ws_cfg this_cfg(void)
{
    mxf_ws_cfg c = {MXF_ROWS, MXF_COLS, MXF_WBITS, (mxf_ws_fault)MXF_FAULT};
    return c;
}

/* The generated header and the library must agree on every derived width. */
static int check_header(void)
{
    mxf_ws_cfg c = this_cfg();
    if (mxf_ws_acc_bits(&c) != MXF_ACC_BITS || mxf_ws_latency(&c) != MXF_LATENCY ||
        mxf_ws_cnt_bits(&c) != MXF_CNT_BITS || mxf_ws_stim_bits(&c) != MXF_STIM_BITS) {
        fprintf(stderr, "mxfsim: %s: mxf_params.h disagrees with libmxf (stale build?)\n",
                MXF_CFG_NAME);
        return -1;
    }
    return 0;
}

typedef struct sim_opts {
    long m, k, n, count, tokens, window;
    uint64_t seed;
    const char *vcd;
    const char *model;
} sim_opts;

static int parse_opts(int argc, char **argv, sim_opts *o)
{
    static const struct option lo[] = {
        {"m", 1, 0, 'm'},      {"k", 1, 0, 'k'},      {"n", 1, 0, 'n'},
        {"seed", 1, 0, 's'},   {"count", 1, 0, 'c'},  {"vcd", 1, 0, 'v'},
        {"model", 1, 0, 'M'},  {"tokens", 1, 0, 't'}, {"window", 1, 0, 'w'},
        {0, 0, 0, 0}};
    *o = (sim_opts){.m = 16, .k = 3 * MXF_ROWS + 1, .n = 2 * MXF_COLS + 1, .count = 8,
                    .tokens = 32, .window = 4, .seed = 1};
    mxf_err e;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        int bad = 0;
        switch (ch) {
        case 'm': bad = mxf_parse_int(optarg, "--m", 1, 1 << 20, &o->m, &e); break;
        case 'k': bad = mxf_parse_int(optarg, "--k", 1, 1 << 20, &o->k, &e); break;
        case 'n': bad = mxf_parse_int(optarg, "--n", 1, 1 << 20, &o->n, &e); break;
        case 'c': bad = mxf_parse_int(optarg, "--count", 1, 1 << 20, &o->count, &e); break;
        case 't': bad = mxf_parse_int(optarg, "--tokens", 1, 1 << 16, &o->tokens, &e); break;
        case 'w': bad = mxf_parse_int(optarg, "--window", 1, 1 << 10, &o->window, &e); break;
        case 's': bad = mxf_parse_u64(optarg, "SEED", &o->seed, &e); break;
        case 'v': o->vcd = optarg; break;
        case 'M': o->model = optarg; break;
        default:
            fprintf(stderr, "mxfsim: unknown or incomplete option '%s'\n", argv[optind - 1]);
            return -1;
        }
        if (bad) {
            fprintf(stderr, "mxfsim: %s\n", e.msg);
            return -1;
        }
    }
    return 0;
}

static mxf_dut *open_dut(const sim_opts *o)
{
    mxf_dut *d = mxf_dut_new(o->vcd);
    if (!d) fprintf(stderr, "mxfsim: --vcd needs a model built with tracing (make ... TRACE=1)\n");
    return d;
}

static void print_summary(const char *what, const run_stats *st, int mismatches)
{
    double peak = (double)st->cycles * MXF_ROWS * MXF_COLS;
    printf("%s: config=%s gemms=%" PRId64 " tiles=%" PRId64 " MACs=%.0f cycles=%" PRId64
           " utilization=%.1f%% mismatches=%d wall=%.2fs sim=%.0f cycles/s %.1f MMAC/s\n",
           what, MXF_CFG_NAME, st->gemms, st->tiles, st->macs, st->cycles,
           peak > 0 ? 100.0 * st->macs / peak : 0.0, mismatches, st->wall,
           st->wall > 0 ? st->cycles / st->wall : 0.0,
           st->wall > 0 ? st->macs / st->wall / 1e6 : 0.0);
}

/* fill: 0 seeded random operands; 1 every product at its positive extreme (-128 x wmin), so
 * each output is the largest column sum the accumulator must hold; 2 the negative extreme. */
static int gemm_with_random_operands(mxf_dut *d, int M, int K, int N, uint64_t seed, int fill,
                                     run_stats *st)
{
    mxf_ws_cfg cfg = this_cfg();
    int8_t *A = malloc((size_t)M * K), *W = malloc((size_t)K * N);
    if (!A || !W) {
        free(A);
        free(W);
        fprintf(stderr, "mxfsim: out of memory for M=%d K=%d N=%d\n", M, K, N);
        return -1;
    }
    mxf_ws_random_operands(&cfg, seed, M, K, N, A, W);
    if (fill) {
        memset(A, fill == 1 ? -128 : 127, (size_t)M * K);
        memset(W, (int)mxf_ws_wmin(&cfg), (size_t)K * N);
    }
    mxf_ws_gemm g;
    mxf_err e;
    int rc;
    char label[96];
    snprintf(label, sizeof label, "gemm M=%d K=%d N=%d%s", M, K, N,
             fill ? " (extreme operands)" : "");
    if (mxf_ws_gemm_init(&g, &cfg, M, K, N, A, W, &e)) {
        fprintf(stderr, "mxfsim: %s\n", e.msg);
        rc = -1;
    } else {
        rc = run_gemm(d, &g, seed, label, st);
    }
    free(A);
    free(W);
    return rc;
}

static int cmd_gemm(const sim_opts *o)
{
    mxf_dut *d = open_dut(o);
    if (!d) return 2;
    run_stats st = {0};
    int rc = gemm_with_random_operands(d, (int)o->m, (int)o->k, (int)o->n, o->seed, 0, &st);
    mxf_dut_free(d);
    print_summary("gemm", &st, rc ? 1 : 0);
    return rc ? 1 : 0;
}

/* Random shapes that exercise every schedule case: M < R (load-bound tiles), M >= R,
 * K and N not multiples of the array, a single tile, many tiles. */
static int cmd_random(const sim_opts *o)
{
    mxf_dut *d = open_dut(o);
    if (!d) return 2;
    run_stats st = {0};
    mxf_rng r;
    mxf_rng_seed(&r, o->seed);
    int bad = 0;
    for (long i = 0; i < o->count && !bad; i++) {
        int M = (int)mxf_rng_range(&r, 1, 3 * MXF_ROWS);
        int K = (int)mxf_rng_range(&r, 1, 3 * MXF_ROWS);
        int N = (int)mxf_rng_range(&r, 1, 3 * MXF_COLS);
        if (i == 0) M = 1, K = MXF_ROWS, N = MXF_COLS; /* one tile, one row */
        if (i == 1 || i == 2) K = 2 * MXF_ROWS;          /* full columns, extreme values */
        uint64_t seed = o->seed * 1000003u + (uint64_t)i;
        bad = gemm_with_random_operands(d, M, K, N, seed, (i == 1 || i == 2) ? (int)i : 0, &st) != 0;
    }
    mxf_dut_free(d);
    print_summary("random", &st, bad);
    return bad ? 1 : 0;
}

/* Synthetic integer weight of a real layer, a pure function of (seed, layer, kind, k, n), so a
 * sampled window holds the same values it would hold inside the full layer. */
static int8_t synth_weight(uint64_t seed, int layer, int kind, int k, int n, int wbits)
{
    uint64_t x = seed ^ ((uint64_t)layer << 48) ^ ((uint64_t)kind << 40) ^ ((uint64_t)k << 20) ^
                 (uint64_t)n;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    int64_t span = INT64_C(1) << wbits;
    return (int8_t)((int64_t)(x % (uint64_t)span) - span / 2);
}

static int cmd_model(const sim_opts *o)
{
    const mxf_model *m = mxf_model_find(o->model);
    if (!m) {
        char names[256];
        mxf_model_names(names, sizeof names);
        fprintf(stderr, "mxfsim: MODEL=%s: unknown model (known: %s)\n", o->model ? o->model : "",
                names);
        return 2;
    }
    mxf_dut *d = open_dut(o);
    if (!d) return 2;
    mxf_ws_cfg cfg = this_cfg();
    run_stats st = {0};
    mxf_rng r;
    mxf_rng_seed(&r, o->seed);
    const int M = (int)o->tokens;
    int bad = 0;
    double layer_cycles_full = 0;
    printf("model %s: %d decoder layers, hidden %d, ffn %d; array %s; %d tokens; a %ldx%ld-tile "
           "window of every linear layer\n",
           m->name, m->n_layers, m->hidden, m->ffn, MXF_CFG_NAME, M, o->window, o->window);
    for (int layer = 0; layer < m->n_layers && !bad; layer++) {
        for (int kind = 0; kind < m->n_linear && !bad; kind++) {
            const mxf_linear *lin = &m->linear[kind];
            int K = lin->in_features, N = lin->out_features;
            int KT = (K + MXF_ROWS - 1) / MXF_ROWS, NT = (N + MXF_COLS - 1) / MXF_COLS;
            layer_cycles_full += (double)mxf_ws_cycles_formula(&cfg, M, KT * NT);
            int wk = o->window < KT ? (int)o->window : KT, wn = o->window < NT ? (int)o->window : NT;
            int kt0 = (int)mxf_rng_range(&r, 0, KT - wk), nt0 = (int)mxf_rng_range(&r, 0, NT - wn);
            int k0 = kt0 * MXF_ROWS, n0 = nt0 * MXF_COLS;
            int Ks = wk * MXF_ROWS < K - k0 ? wk * MXF_ROWS : K - k0;
            int Ns = wn * MXF_COLS < N - n0 ? wn * MXF_COLS : N - n0;
            int8_t *A = malloc((size_t)M * Ks), *W = malloc((size_t)Ks * Ns);
            if (!A || !W) {
                free(A);
                free(W);
                fprintf(stderr, "mxfsim: out of memory\n");
                bad = 1;
                break;
            }
            for (long i = 0; i < (long)M * Ks; i++) A[i] = (int8_t)mxf_rng_range(&r, -128, 127);
            for (int k = 0; k < Ks; k++)
                for (int n = 0; n < Ns; n++)
                    W[(long)k * Ns + n] = synth_weight(o->seed, layer, kind, k0 + k, n0 + n, MXF_WBITS);
            mxf_ws_gemm g;
            mxf_err e;
            char label[160];
            snprintf(label, sizeof label, "layer %d %s (%dx%d) window k=%d..%d n=%d..%d", layer,
                     lin->name, N, K, k0, k0 + Ks - 1, n0, n0 + Ns - 1);
            if (mxf_ws_gemm_init(&g, &cfg, M, Ks, Ns, A, W, &e)) {
                fprintf(stderr, "mxfsim: %s\n", e.msg);
                bad = 1;
            } else if (run_gemm(d, &g, o->seed, label, &st)) {
                bad = 1;
            }
            free(A);
            free(W);
        }
    }
    mxf_dut_free(d);
    print_summary("model", &st, bad);
    printf("full model at this array size: %.0f cycles for %d tokens (closed form, all %d "
           "layers x %d linear layers)\n",
           layer_cycles_full, M, m->n_layers, m->n_linear);
    return bad ? 1 : 0;
}

/* Throughput, measured side by side in one run: the Verilated array (driving + checking every
 * output) against the golden model computing the same GEMM. Prints figures; asserts nothing
 * about speed. */
static int cmd_bench(const sim_opts *o)
{
    mxf_dut *d = open_dut(o);
    if (!d) return 2;
    mxf_ws_cfg cfg = this_cfg();
    const int M = (int)o->m, K = (int)o->k, N = (int)o->n;
    int8_t *A = malloc((size_t)M * K), *W = malloc((size_t)K * N);
    int64_t *tile = malloc(sizeof(int64_t) * (size_t)M * MXF_COLS);
    if (!A || !W || !tile) {
        free(A), free(W), free(tile), mxf_dut_free(d);
        fprintf(stderr, "mxfsim: out of memory\n");
        return 2;
    }
    mxf_ws_random_operands(&cfg, o->seed, M, K, N, A, W);
    mxf_ws_gemm g;
    mxf_err e;
    run_stats st = {0};
    int rc = 1;
    if (mxf_ws_gemm_init(&g, &cfg, M, K, N, A, W, &e)) {
        fprintf(stderr, "mxfsim: %s\n", e.msg);
    } else if (run_gemm(d, &g, o->seed, "bench", &st) == 0) {
        double t0 = now(), sink = 0;
        int reps = 0;
        do { /* golden model: every tile's exact partial sums, as the checker computes them */
            for (int t = 0; t < g.n_tiles; t++) {
                mxf_ws_tile_golden(&g, t, tile);
                sink += (double)tile[0];
            }
            reps++;
        } while (now() - t0 < 0.5);
        double gold = (double)M * K * N * reps / (now() - t0);
        double rtl = st.macs / st.wall;
        printf("bench: config=%s M=%d K=%d N=%d tiles=%d cycles=%" PRId64 " mismatches=0\n"
               "bench: rtl    %.0f cycles/s  %.1f M MAC/s (Verilator, every output checked)\n"
               "bench: golden %.1f M MAC/s (C model, same GEMM)  golden/rtl = %.1fx\n",
               MXF_CFG_NAME, M, K, N, g.n_tiles, st.cycles, st.cycles / st.wall, rtl / 1e6,
               gold / 1e6, gold / rtl);
        if (sink == 0.12345) printf("\n"); /* keep the golden loop from being optimised away */
        rc = 0;
    }
    free(A), free(W), free(tile);
    mxf_dut_free(d);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mxfsim <command> [options]   (config %s)\n"
            "  gemm   --m M --k K --n N [--seed S] [--vcd FILE]  one random GEMM\n"
            "  random [--count N] [--seed S]                   random shapes, all schedule cases\n"
            "  model  --model NAME [--tokens M] [--window W] [--seed S]\n"
            "         every linear layer of a zoo model, a WxW-tile window of each\n"
            "  bench  [--m M --k K --n N]  Verilator vs golden-model throughput\n"
            "Exit status: 0 all outputs and cycles match, 1 mismatch, 2 bad usage.\n",
            MXF_CFG_NAME);
}

int main(int argc, char **argv)
{
    if (check_header()) return 2;
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    sim_opts o;
    if (parse_opts(argc - 1, argv + 1, &o)) return 2;
    if (!strcmp(argv[1], "gemm")) return cmd_gemm(&o);
    if (!strcmp(argv[1], "random")) return cmd_random(&o);
    if (!strcmp(argv[1], "model")) return cmd_model(&o);
    if (!strcmp(argv[1], "bench")) return cmd_bench(&o);
    fprintf(stderr, "mxfsim: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
