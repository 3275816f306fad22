/* Weight-stationary systolic array (the "ws" variant): configuration, tiling plan, per-cycle
 * stimulus, golden outputs with their cycles, and the output checker.
 *
 * This file is the single source of the config's derived quantities (accumulator width,
 * latency, cycle formula): the generator links it to emit RTL, the C header and the manifest,
 * and the harnesses link it to drive and check. The timing contract is in docs/ws-array.md. */
#ifndef MXF_WS_ARRAY_H
#define MXF_WS_ARRAY_H

#include <stdint.h>
#include <stdio.h>

#include "block.h"
#include "err.h"
#include "tilecheck.h"

#define MXF_WS_MIN_DIM 2
#define MXF_WS_MAX_DIM 128
#define MXF_WS_ABITS 8 /* activations are signed 8-bit */

/* Planted bugs for fault-injection tests (each must make the harness fail). */
typedef enum mxf_ws_fault {
    MXF_WS_FAULT_NONE = 0,
    MXF_WS_FAULT_MUL_SIGN,   /* activation zero-extended instead of sign-extended */
    MXF_WS_FAULT_WBANK,      /* PE ignores the bank tag and always reads bank 0 */
    MXF_WS_FAULT_SKEW,       /* last row's activation skew is one stage short */
    MXF_WS_FAULT_LATE_VALID, /* output valid one cycle late: values right, cycle wrong */
    MXF_WS_FAULT_WSKEW,      /* last column's weight skew one stage short: caught only when a
                                bank reload meets its last reader on the same cycle (rule 2) */
    MXF_WS_FAULT_NORESET,    /* the PEs' activation valid bit has no reset: caught only when the
                                start-up state is random (XPROP=1 with seeds) or X (Icarus) */
    MXF_WS_FAULT_COUNT
} mxf_ws_fault;

typedef struct mxf_ws_cfg {
    int rows;  /* R: reduction (K) lanes */
    int cols;  /* C: output (N) lanes */
    int wbits; /* 4 or 8: signed weight width */
    mxf_ws_fault fault;
} mxf_ws_cfg;

const char *mxf_ws_fault_name(mxf_ws_fault f);
int mxf_ws_fault_parse(const char *s, mxf_ws_fault *out, mxf_err *err);

/* Checks dimensions and widths; the message names the make variable (ROWS/COLS/WBITS). */
int mxf_ws_cfg_validate(const mxf_ws_cfg *c, mxf_err *err);
/* "ws-a16-w8", "ws-r8c4-w4", "ws-a8-w8-fmul-sign". */
void mxf_ws_cfg_name(const mxf_ws_cfg *c, char *buf, size_t cap);

int mxf_ws_prod_bits(const mxf_ws_cfg *c); /* 8 + WBITS: exact signed product */
int mxf_ws_acc_bits(const mxf_ws_cfg *c);  /* prod + clog2(R): exact column sum */
int mxf_ws_cnt_bits(const mxf_ws_cfg *c);  /* width of the weight-row countdown tag */
int mxf_ws_latency(const mxf_ws_cfg *c);   /* R + C - 2: act row in -> outputs out */
int64_t mxf_ws_wmin(const mxf_ws_cfg *c);
int64_t mxf_ws_wmax(const mxf_ws_cfg *c);

/* A GEMM Y[M][N] = A[M][K] * W[K][N], tiled onto the array. Tile t = nt * KT + kt covers
 * K rows [kt*R, kt*R+R) and N columns [nt*C, nt*C+C), zero-padded at the edges. */
typedef struct mxf_ws_gemm {
    mxf_ws_cfg cfg;
    int M, K, N;
    int KT, NT, n_tiles;
    int period;      /* P = max(M, R): cycles between tile starts */
    int kh;          /* K rows per tile (1..R; R unless scale blocks along K force fewer) */
    int tight;       /* 1 (used when M > R): even tiles t >= 2 start their bank reload on the
                        very cycle of the last activation of tile t-2, which reads that bank
                        (timing-contract rule 2, the same-cycle case); 0: reloads start after
                        it. Set after init; the cycle count is the same. */
    const int8_t *A; /* M x K, row-major */
    const int8_t *W; /* K x N, row-major, values within the weight width */
} mxf_ws_gemm;

int mxf_ws_gemm_init(mxf_ws_gemm *g, const mxf_ws_cfg *cfg, int M, int K, int N, const int8_t *A,
                     const int8_t *W, mxf_err *err);
/* The same with K tiles of kh rows (1 <= kh <= R): tile kt covers K rows [kt*kh, kt*kh + kh);
 * the array rows kh..R-1 carry zero weights and activations. The schedule is unchanged. */
int mxf_ws_gemm_init_kh(mxf_ws_gemm *g, const mxf_ws_cfg *cfg, int M, int K, int N, const int8_t *A,
                        const int8_t *W, int kh, mxf_err *err);
/* Largest divisor of `block` that is at most R: the K-tile height at which every tile lies inside
 * one scale block, so per-block scales can be applied after the array. */
int mxf_ws_kh_for_block(const mxf_ws_cfg *cfg, int block);

/* The post-processing stage after the array (golden model only; the WS RTL has none): each
 * tile output is an exact integer over one scale block along K; it is scaled by its block's
 * weight scale for its column and by its row's activation scale and summed over tiles in tile
 * order, in double: y[m][n] += a[m] * (w[kb][n] * T_kt[m][n]), kb = kt * kh / block. */
typedef struct mxf_ws_scales {
    int block;       /* scale block along K (a multiple of kh) */
    const double *w; /* ceil(K / block) x N weight scales */
    const double *a; /* M activation scales */
} mxf_ws_scales;

/* Closed-form schedule (README.md in this folder):
 *   tile t's weights load on cycles w_t .. w_t+R-1 into bank t%2, w_t = t*P (tight, M > R: even
 *   t >= 2 and the last tile: w_t = s_{t-2} + M - 1, the cycle of the last activation that reads
 *   bank t%2 before it; other odd t: w_t = w_{t+1} - R),
 *   its activation rows stream on cycles s_t .. s_t+M-1 with s_t = R + t*P,
 *   output row m of tile t appears on cycle s_t + m + (R + C - 2),
 *   total cycles = 2R + C - 2 + M + (tiles - 1) * max(M, R). */
int64_t mxf_ws_tile_start(const mxf_ws_gemm *g, int tile);
int64_t mxf_ws_wload_start(const mxf_ws_gemm *g, int tile);
int64_t mxf_ws_output_cycle(const mxf_ws_gemm *g, int tile, int m);
int64_t mxf_ws_total_cycles(const mxf_ws_gemm *g);
int64_t mxf_ws_cycles_formula(const mxf_ws_cfg *c, int M, int n_tiles);

/* Inputs presented to the array on one cycle. */
typedef struct mxf_ws_stim {
    int act_valid, act_bank;
    int8_t act[MXF_WS_MAX_DIM];
    int w_valid, w_bank, w_row;
    int8_t w[MXF_WS_MAX_DIM];
} mxf_ws_stim;

/* Fills the inputs of `cycle` (all-zero idle inputs outside the schedule). */
void mxf_ws_stim_at(const mxf_ws_gemm *g, int64_t cycle, mxf_ws_stim *s);

/* Exact partial result of one tile: out[m*C + c] = sum_r At[m][r] * Wt[r][c]. */
void mxf_ws_tile_golden(const mxf_ws_gemm *g, int tile, int64_t *out);
/* Naive full GEMM (independent of tiling): Y[m*N+n]. */
void mxf_ws_gemm_naive(const mxf_ws_gemm *g, int64_t *Y);

/* Streaming checker of observed outputs against the golden model and schedule (the shared
 * tiled-GEMM checker, gen/core/tilecheck.h). */
typedef mxf_tile_checker mxf_ws_checker;

int mxf_ws_checker_init(mxf_ws_checker *k, const mxf_ws_gemm *g, uint64_t seed, mxf_err *err);
void mxf_ws_checker_free(mxf_ws_checker *k);
/* One observed output row (y_valid was high on `cycle`). Returns 0 or -1 on first mismatch. */
int mxf_ws_checker_push(mxf_ws_checker *k, int64_t cycle, const int64_t *y);
/* After the run, mxf_tile_checker_finish (the job's mxf_tile_job_finish): every output seen,
 * none extra, and the GEMM assembled from the tile outputs equals the naive GEMM. */
/* Turns on the post-processing stage (mxf_ws_scales) for the observed outputs: k->y. */
int mxf_ws_checker_set_scales(mxf_ws_checker *k, const mxf_ws_scales *sc, mxf_err *err);

/* Random GEMM operands (weights uniform over the full signed weight range; activations
 * uniform int8 with the extreme codes -128/127 over-represented so overflow paths are hit). */
void mxf_ws_random_operands(const mxf_ws_cfg *c, uint64_t seed, int M, int K, int N, int8_t *A,
                            int8_t *W);

#endif
