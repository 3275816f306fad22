/* MicroScopiQ array (block `microscopiq`): configuration, derived widths, the mapping of a packed
 * MicroScopiQ tensor onto weight tiles (PE words and ReCoN configurations), the step-level
 * schedule with ReCoN arbitration and stalls, per-cycle stimulus, golden outputs with their
 * cycles, and the naive reference. The micro-architecture and its timing contract are in README.md
 * in this folder; this file is the single source of the formulas the emitters use. */
#ifndef MXF_MSQ_GOLDEN_H
#define MXF_MSQ_GOLDEN_H

#include <stdint.h>

#include "block.h"
#include "err.h"
#include "microscopiq.h"
#include "qformat.h"
#include "tilecheck.h"

#define MXF_MSQ_MIN_DIM 2
#define MXF_MSQ_MAX_DIM 128
#define MXF_MSQ_ABITS 8    /* activations: signed 8-bit */
#define MXF_MSQ_CODEW 4    /* a PE's weight word: one 4-bit code or two 2-bit codes */
#define MXF_MSQ_RESW 11    /* raw product: 8-bit act x 3-bit magnitude, signed */
#define MXF_MSQ_MERGEW 13  /* merged outlier term: |a| (16 + 4*3 + 3) <= 3968, signed */
#define MXF_MSQ_SUMW 32    /* RTL: a PE lane's shift and sum, one word of the Verilated model */
#define MXF_MSQ_CFGW 96    /* the widest slice configuration word (butterfly: 32 switches x 3) */
#define MXF_MSQ_NET_OPS 32 /* decoded slice configuration entries, at most */
#define MXF_MSQ_ALIGN_DEFAULT 7
#define MXF_MSQ_UNITS_ROW 0     /* RECON=row: one ReCoN per PE row */
#define MXF_MSQ_NET_BUTTERFLY 0 /* NET=butterfly: the paper's 4 x 8 switches per uB slice */
#define MXF_MSQ_NET_BENES 1     /* NET=benes: a rearrangeable 8-port network + merge cells */
#define MXF_MSQ_NET_COUNT 2
/* CPORTS: configuration write ports, at most one per uB slice (G = P / 8) */
#define MXF_MSQ_MAX_CPORTS (2 * MXF_MSQ_MAX_DIM / MXF_MSQ_MUB)

typedef enum mxf_msq_fault {
    MXF_MSQ_FAULT_NONE = 0,
    MXF_MSQ_FAULT_MUL_2B,     /* PE, 2b mode: lane 1 ANDs the activation with lane 0's bit */
    MXF_MSQ_FAULT_MUL_4B,     /* PE, 4b mode: one partial product shifted by 2 instead of 4 */
    MXF_MSQ_FAULT_SW_SWAP,    /* switch: SWAP passes straight */
    MXF_MSQ_FAULT_SW_SPLIT,   /* switch: SPLIT_RH sends Res and iAcc to the same lanes as RL */
    MXF_MSQ_FAULT_SW_SIGN,    /* switch: the merge's hidden-bit term ignores the outlier's sign */
    MXF_MSQ_FAULT_SW_SHIFT,   /* switch: the merge ignores the outlier-unit shift */
    MXF_MSQ_FAULT_SW_MIRROR,  /* switch: MERGE_LH takes the Upper half from the hi port */
    MXF_MSQ_FAULT_ARB,        /* arbiter: a grant window one row short (rows never served) */
    MXF_MSQ_FAULT_CFG_BANK,   /* configuration path: ReCoN words written to the other bank */
    MXF_MSQ_FAULT_LATE_VALID, /* output row (values and valid) one cycle late */
    MXF_MSQ_FAULT_NORESET,    /* the activation skew's valid bits have no reset */
    MXF_MSQ_FAULT_COUNT
} mxf_msq_fault;

typedef struct mxf_msq_cfg {
    int rows, cols;
    int bb;    /* 2: two 2-bit weights per PE (MODE 2b), 4: one 4-bit weight (MODE 4b) */
    int units; /* ReCoN units shared by the rows; MXF_MSQ_UNITS_ROW: one per row */
    int align; /* largest alignment shift (inlier and outlier units within one tile) */
    mxf_msq_fault fault;
    int net;    /* ReCoN slice network: MXF_MSQ_NET_BUTTERFLY or MXF_MSQ_NET_BENES */
    int cports; /* configuration write ports (1..G): port j writes the words of the slices g
                   with g % cports == j, one word per cycle each */
} mxf_msq_cfg;

const char *mxf_msq_fault_name(mxf_msq_fault f);
int mxf_msq_cfg_validate(const mxf_msq_cfg *c, mxf_err *err);
/* "msq-a16-bb2", "msq-r8c12-bb2-u1", "msq-a16-bb4-al5-fsw-swap", "msq-a64-bb2-cp16" */
void mxf_msq_cfg_name(const mxf_msq_cfg *c, char *buf, size_t cap);

int mxf_msq_lanes(const mxf_msq_cfg *c);      /* output lanes per PE: 2 (bb = 2) or 1 */
int mxf_msq_ports(const mxf_msq_cfg *c);      /* P = cols * lanes: outputs per tile */
int mxf_msq_slices(const mxf_msq_cfg *c);     /* G = P / 8: uB slices of the ReCoN */
int mxf_msq_shift_bits(const mxf_msq_cfg *c); /* SHW = clog2(align + 1) */
int mxf_msq_acc_bits(const mxf_msq_cfg *c);   /* AW = 13 + align + clog2(R) */
int mxf_msq_word_bits(const mxf_msq_cfg *c);  /* WW = SHW + 2 + 4: PE word {sh, half[1:0], code} */
int mxf_msq_units(const mxf_msq_cfg *c);      /* U: units (R for RECON=row) */
int mxf_msq_rank_bits(const mxf_msq_cfg *c);  /* clog2(R + 1) */
int mxf_msq_cfg_bits(const mxf_msq_cfg *c);   /* CB: one slice's configuration word */
/* GKW: bits of a configuration port's slice tag, the index g / cports of the slice among those
   the port writes (at least 1) */
int mxf_msq_cport_tag_bits(const mxf_msq_cfg *c);
int mxf_msq_row_bits(const mxf_msq_cfg *c); /* a row tag: max(1, clog2(R)) */

/* One uB's outliers as the tile needs them: pairs (Upper slot, Lower slot) and the exponent. */
typedef struct mxf_msq_ubw {
    int n;
    int upper[MXF_MSQ_MAX_OUT], lower[MXF_MSQ_MAX_OUT];
    int ounit; /* O_sf - M: the unit of the merged term (M = 2 or 4 mantissa bits) */
} mxf_msq_ubw;

/* One ReCoN configuration write: uB slice g of tile row r. */
typedef struct mxf_msq_cfgw {
    int row, g, osh;
    uint8_t word[MXF_MSQ_CFGW / 8]; /* the slice's word (mxf_msq_net route_ub), CB bits */
} mxf_msq_cfgw;

typedef struct mxf_msq_tile {
    int uref;         /* unit of the tile's integer outputs: 2^uref */
    int max_shift;    /* largest alignment shift used */
    uint16_t *pew;    /* R x cols PE words {sh, half, code} */
    uint8_t *orow;    /* R: the row holds outlier halves (requests ReCoN) */
    mxf_msq_cfgw *cw; /* the tile's ReCoN words: by port (slice g % cports), each port's in
                         row order (its load order) */
    int ncw;
    int cwo[MXF_MSQ_MAX_CPORTS + 1]; /* port j loads cw[cwo[j]] .. cw[cwo[j + 1] - 1] */
    int64_t *wcyc;                   /* R: the cycle word row r is written (w_* channel) */
    int64_t *ccyc; /* ncw: the cycle configuration word i is written (on its port of c_*) */
    int64_t ready; /* the tile's last load cycle: its activations are sampled from here on */
} mxf_msq_tile;

/* A GEMM Y[M][N] = A[M][K] * W^T over a window of a MicroScopiQ tensor, N a multiple of 8 (the
 * window's padded slots included), tiles t = nt * KT + kt of R rows and P outputs. */
typedef struct mxf_msq_gemm {
    mxf_msq_cfg cfg;
    int M, K, N, P, KT, NT, T;
    int *kt0;        /* KT + 1 entries: K tile kt holds rows kt0[kt] .. kt0[kt+1]-1, R of them, or
                        R/2, R/4, ... where R rows would span more units than ALIGN (the tile's other
                        rows hold zero words); every N tile shares this K grid */
    const int8_t *A; /* M x K */
    double *ad;      /* M x K: A as doubles, converted once for the BLAS GEMMs of the golden
                        model (the tiles' outputs and the naive reference) */
    uint8_t *code;   /* K x N slot codes (bb bits, sign-magnitude) */
    uint8_t *half;   /* K x N: the slot holds an outlier's Upper or Lower half */
    int16_t *iunit;  /* K x N: I_sf - (bb - 2), the slot's inlier unit */
    mxf_msq_ubw *ub; /* K x N/8 */
    double *wd;      /* K x N decoded weights (the format's own decoder) */
    int16_t *ulo, *uhi; /* K x NT: the finest and coarsest unit of row k's slots in N tile nt
                           (its non-zero inliers and outlier uBs); INT16_MAX / INT16_MIN if none */
    mxf_msq_tile *tile;
    /* The schedule (mxf_msq_gemm_plan): */
    int64_t n_steps;
    int64_t *step_start, *step_end; /* cycles of step s */
    int32_t *step_inj;              /* token presented (sampled) at the end of step s, or -1 */
    int64_t *out_cycle;             /* per token t * M + m */
    int64_t total;                  /* cycles: one past the last output */
    int64_t stall_cycles;           /* cycles beyond one per step (ReCoN contention) */
    int64_t recon_requests;         /* (row, step) pairs that used a ReCoN unit */
    int64_t busy_steps;             /* steps that sampled a token */
} mxf_msq_gemm;

/* Maps tensor rows [n0, n0 + Nw) x cols [k0, k0 + K) of q (n0 a multiple of 8; Nw is rounded up to
 * a multiple of 8 within the tensor's padded rows) and plans the run. A: M x K. K tiles take R
 * rows, fewer (halving) when a tile would span more units than ALIGN. Fails (bad input) on a
 * tensor of another format, a bb other than the array's, or a single row whose units span more
 * than the array's alignment range. */
int mxf_msq_gemm_init(mxf_msq_gemm *g, const mxf_msq_cfg *cfg, const mxf_qtensor *q, int64_t n0,
                      int Nw, int64_t k0, int K, int M, const int8_t *A, mxf_err *err);
void mxf_msq_gemm_free(mxf_msq_gemm *g);
int64_t mxf_msq_output_cycle(const mxf_msq_gemm *g, int tile, int m);

/* Inputs presented on one cycle. */
typedef struct mxf_msq_stim {
    int act_valid, act_bank;
    int8_t act[MXF_MSQ_MAX_DIM];
    int w_valid, w_bank, w_row, w_tile;
    const uint16_t *w; /* cols PE words, or NULL */
    /* configuration port j: a word (or c[j] NULL), its bank and tile */
    int c_valid[MXF_MSQ_MAX_CPORTS], c_bank[MXF_MSQ_MAX_CPORTS], c_tile[MXF_MSQ_MAX_CPORTS];
    const mxf_msq_cfgw *c[MXF_MSQ_MAX_CPORTS];
} mxf_msq_stim;
typedef struct mxf_msq_cursor {
    int64_t step;
    int wt, wr; /* the next word row to present: tile, row */
    int ct[MXF_MSQ_MAX_CPORTS], ci[MXF_MSQ_MAX_CPORTS]; /* port j's next word: tile, index among
                                                          the tile's words of port j */
} mxf_msq_cursor;
/* Cycles must be asked in increasing order. */
void mxf_msq_stim_at(const mxf_msq_gemm *g, mxf_msq_cursor *cur, int64_t cycle, mxf_msq_stim *s);

/* A ReCoN wire: a bundle {valid, sign, Res, iAcc}. */
typedef struct mxf_msq_bundle {
    int v, sgn;
    int64_t res, iacc;
} mxf_msq_bundle;
/* A ReCoN slice network (NET=): how a uB's pairs become its slice's configuration word, and the
 * slice's value. Both networks move only {valid, sign, res}; the merges add the hidden-bit term
 * and the halves' products; out[x] = in[x].iacc + (term arriving at output x) << osh. (The array
 * adds a port's term only where the port's lane holds a half: mxf_msq_tile_golden.) */
typedef struct mxf_msq_net {
    const char *name;  /* NET= value */
    int cfg_bits;      /* CB: bits of one slice's word */
    int switches;      /* 2x2 switches per slice */
    const char *route; /* the format's route= choice the network needs ("recon": only routable
                          placements, "any": every placement) */
    /* a uB's pairs -> its word (cfg_bits, little-endian bytes); non-zero with err if the
       placement does not route */
    int (*route_ub)(int n, const int *upper, const int *lower, uint8_t *word, mxf_err *err);
    /* word -> op[MXF_MSQ_NET_OPS], the form eval reads; -1 if the word does not unpack */
    int (*decode)(const uint8_t *word, uint8_t *op);
    void (*eval)(const uint8_t *op, int bb, int a, int osh, const mxf_msq_bundle *in, int64_t *out);
} mxf_msq_net;

extern const mxf_msq_net mxf_msq_nets[MXF_MSQ_NET_COUNT];
const mxf_msq_net *mxf_msq_net_of(const mxf_msq_cfg *c);
/* NET=butterfly's slice (op[8 s + x]: docs/recon.md opcode of switch x of stage s). */
void mxf_msq_recon_eval(const uint8_t *op, int bb, int a, int osh, const mxf_msq_bundle *in,
                        int64_t *out);
/* NET=benes's slice: op[k] (k < 20) switch k of the 8-port Benes network crosses
 * (mxf_benes_wiring numbering), op[20 + x] port x merges (holds an Upper half). */
void mxf_msq_benes_eval(const uint8_t *op, int bb, int a, int osh, const mxf_msq_bundle *in,
                        int64_t *out);
#define MXF_MSQ_BENES_SWITCHES 20
/* The PE's product of an 8-bit activation and one bb-bit sign-magnitude code. */
int mxf_msq_product(int a, int code, int bb);

/* Exact output of one tile, out[m * P + p], through the modelled datapath (PE, ReCoN):
 * 0, -1 out of memory (out is then undefined). */
int mxf_msq_tile_golden(const mxf_msq_gemm *g, int tile, int64_t *out);
/* Naive: Y[m][n] = sum over K tiles of sum_k a * wd / 2^uref, from the decoded weights. */
int mxf_msq_gemm_naive(const mxf_msq_gemm *g, int64_t *Y); /* 0, -1 out of memory */

int mxf_msq_checker_init(mxf_tile_checker *k, const mxf_msq_gemm *g, uint64_t seed, mxf_err *err);

#endif
