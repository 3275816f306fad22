/* FineQ arrays (blocks `fineq` and `fineq-mul`): configuration, derived widths, the step-level
 * schedule, per-cycle stimulus, golden outputs with their cycles, and the output checker.
 *
 * Both arrays are weight-stationary R x C grids fed by the same edge decoder (one FineQ cluster
 * byte per column per cycle -> three 3-bit codes for three consecutive PE rows). `fineq` has
 * temporal-coded PEs (an adder and a pulse counter: |q| additions of the activation per MAC),
 * `fineq-mul` has multiplier PEs (one multiply-add per step). The array advances in *steps*:
 * every cycle (fineq-mul), every 4th cycle (fineq, SCHED=lock: each wave takes the code grid's
 * worst case) or whenever no PE has pulses left (fineq, SCHED=elastic). The timing contract is in
 * README.md in this folder; this file is the single source of the formulas. */
#ifndef MXF_FINEQ_GOLDEN_H
#define MXF_FINEQ_GOLDEN_H

#include <stdint.h>
#include <stdio.h>

#include "block.h"
#include "err.h"
#include "tilecheck.h"

#define MXF_FQ_MIN_DIM 3
#define MXF_FQ_MAX_DIM 128
#define MXF_FQ_ABITS 8  /* activations: signed 8-bit */
#define MXF_FQ_CODEW 3  /* decoded weight codes: signed 3-bit, -4..3 */
#define MXF_FQ_MAXMAG 4 /* largest |code|: pulses of the longest MAC */

typedef enum mxf_fq_sched {
    MXF_FQ_LOCK = 0,    /* temporal PEs, a step every MXF_FQ_MAXMAG cycles */
    MXF_FQ_ELASTIC = 1, /* temporal PEs, a step on every cycle no PE has pulses left */
    MXF_FQ_MUL = 2      /* multiplier PEs (block fineq-mul), a step every cycle */
} mxf_fq_sched;

/* Planted bugs (each must make the harness fail). */
typedef enum mxf_fq_fault {
    MXF_FQ_FAULT_NONE = 0,
    MXF_FQ_FAULT_DEC_SLOT,   /* decoder: idx 10 routes slot A to position 2 and B to 0 */
    MXF_FQ_FAULT_DEC_SEXT,   /* decoder: 2-bit codes zero-extended */
    MXF_FQ_FAULT_CNT_SHORT,  /* PE: pulse counter loaded with |q| - 2: MACs of |q| >= 2 short */
    MXF_FQ_FAULT_ADDSUB,     /* PE: negative codes add instead of subtract */
    MXF_FQ_FAULT_BUSY,       /* elastic: PE (0, 0)'s busy flag missing from the step tree */
    MXF_FQ_FAULT_MUL_SIGN,   /* multiplier PE: activation zero-extended */
    MXF_FQ_FAULT_LATE_VALID, /* output row (values and valid) one cycle late */
    MXF_FQ_FAULT_NORESET,    /* the PEs' activation valid bit has no reset */
    MXF_FQ_FAULT_COUNT
} mxf_fq_fault;

typedef struct mxf_fq_cfg {
    int rows, cols;
    mxf_fq_sched sched;
    mxf_fq_fault fault;
} mxf_fq_cfg;

const char *mxf_fq_fault_name(mxf_fq_fault f);
const char *mxf_fq_sched_name(mxf_fq_sched s); /* "lock", "elastic", "mul" */
int mxf_fq_cfg_validate(const mxf_fq_cfg *c, mxf_err *err);
/* "fineq-a16-lock", "fineq-r12c8-elastic", "fineq-mul-a16", "...-fcnt-short". */
void mxf_fq_cfg_name(const mxf_fq_cfg *c, char *buf, size_t cap);

int mxf_fq_groups(const mxf_fq_cfg *c);      /* G = ceil(R/3): cluster rows per tile load */
int mxf_fq_full_groups(const mxf_fq_cfg *c); /* floor(R/3): cluster rows with three PE rows */
int mxf_fq_prod_bits(void);                  /* 8 + 3: exact product a * q */
int mxf_fq_acc_bits(const mxf_fq_cfg *c);    /* 11 + clog2(R): exact column sum */
int mxf_fq_tag_bits(const mxf_fq_cfg *c);    /* max(1, clog2(G)): w_row_i and the chain countdown */
int mxf_fq_latency_steps(const mxf_fq_cfg *c); /* L = R + C - 1 steps: act row in -> row out */
int mxf_fq_mag(int q);                         /* |q|: pulses of one MAC */

/* A GEMM Y[M][N] = A[M][K] * Q[K][N] with Q given as FineQ cluster bytes along K:
 * Wc[kc * N + n] holds weights k = 3kc .. 3kc+2 of column n (K padded to 3 * KC with zeros).
 * Tiles of gh clusters along K (3 * gh PE rows; 1 <= gh <= floor(R/3)) and C columns,
 * t = nt * KT + kt. */
typedef struct mxf_fq_gemm {
    mxf_fq_cfg cfg;
    int M, K, N, KC, gh, KT, NT, T;
    const int8_t *A;   /* M x K */
    const uint8_t *Wc; /* KC x N */
    int8_t *q;         /* decoded codes, 3*KC x N (owned) */
    /* The schedule (mxf_fq_gemm_plan): */
    int64_t n_steps;
    int64_t *step_cycle; /* cycle of step s */
    int32_t *step_inj;   /* activation row presented at step s: t * M + m, or -1 (none) */
    int64_t *load_cycle; /* tile t's cluster rows are written on load_cycle[t] .. + G - 1 */
    int64_t *last_step;  /* step of tile t's last activation row */
    int64_t total;       /* cycles: one past the last output */
    int64_t busy_steps;  /* steps that carried an activation row */
    int64_t pulses;      /* adder pulses (temporal PEs): sum over MACs of |q| (a != 0) */
} mxf_fq_gemm;

/* Decodes the weights and plans the schedule (README.md, "Schedule"). gh = 0 picks floor(R/3). */
int mxf_fq_gemm_init(mxf_fq_gemm *g, const mxf_fq_cfg *cfg, int M, int K, int N, const int8_t *A,
                     const uint8_t *Wc, int gh, mxf_err *err);
void mxf_fq_gemm_free(mxf_fq_gemm *g);
int64_t mxf_fq_output_cycle(const mxf_fq_gemm *g, int tile, int m);

/* Inputs presented on one cycle. */
typedef struct mxf_fq_stim {
    int act_valid, act_bank;
    int8_t act[MXF_FQ_MAX_DIM];
    int w_valid, w_bank, w_row;
    uint8_t w[MXF_FQ_MAX_DIM];
} mxf_fq_stim;
/* Cycles must be asked in increasing order (a cursor walks the schedule). */
typedef struct mxf_fq_cursor {
    int64_t step, tile;
} mxf_fq_cursor;
void mxf_fq_stim_at(const mxf_fq_gemm *g, mxf_fq_cursor *cur, int64_t cycle, mxf_fq_stim *s);

/* Exact output of one tile: out[m * C + c] = sum over the tile's rows of A * Q. */
void mxf_fq_tile_golden(const mxf_fq_gemm *g, int tile, int64_t *out);
/* Naive GEMM from the cluster bytes (decoded with the format's codec, independent of tiling). */
void mxf_fq_gemm_naive(const mxf_fq_gemm *g, int64_t *Y);

/* The shared tiled-GEMM checker (gen/core/tilecheck.h). */
typedef mxf_tile_checker mxf_fq_checker;

/* The checker over this GEMM; push, finish, set_scales and free are mxf_tile_checker_*. */
int mxf_fq_checker_init(mxf_fq_checker *k, const mxf_fq_gemm *g, uint64_t seed, mxf_err *err);

#endif
