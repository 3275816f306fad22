/* The streaming output checker every tiled-GEMM block shares: output rows arrive tile by tile
 * (tile t = nt * KT + kt, rows m = 0 .. M-1), each is compared with the golden model's exact tile
 * output and with the cycle the golden schedule predicts; observed tile outputs are assembled into
 * the GEMM, which must equal the block's naive GEMM at the end; an optional post-processing stage
 * scales each verified tile output by a per-(K tile, column) weight scale and a per-row
 * activation scale. The first failure names tile, row, col, cycle, expected, got and seed; an
 * allocation failing in the golden model is an error of its own, never reported as a mismatch. */
#ifndef MXF_TILECHECK_H
#define MXF_TILECHECK_H

#include <stdint.h>

#include "err.h"
#include "sim.h"

/* What a block's golden model tells the checker. */
typedef struct mxf_tile_plan {
    const void *g; /* the block's GEMM */
    int M, N, C, KT, n_tiles;
    int (*tile_golden)(const void *g, int tile, int64_t *out); /* out[m * C + c]; -1: no memory */
    int64_t (*output_cycle)(const void *g, int tile, int m);
    int (*gemm_naive)(const void *g, int64_t *Y); /* Y[m * N + n]; -1: out of memory */
} mxf_tile_plan;

typedef struct mxf_tile_checker {
    mxf_tile_plan p;
    uint64_t seed;
    int tile, m;     /* next expected output row */
    int64_t *expect; /* current tile's golden, M x C */
    int64_t *gemm;   /* assembled from the observed tile outputs, M x N */
    int64_t outputs; /* output rows seen */
    double *wscale;  /* KT x N (owned; post-processing on when set) */
    const double *ascale;
    double *y;  /* M x N scaled outputs */
    int failed; /* 1 a mismatch, 2 a resource failure (out of memory) */
    char first_failure[512];
} mxf_tile_checker;

int mxf_tile_checker_init(mxf_tile_checker *k, const mxf_tile_plan *p, uint64_t seed, mxf_err *err);
void mxf_tile_checker_free(mxf_tile_checker *k);
/* One observed output row (the strobe was high on `cycle`): 0, -1 on the first mismatch, -2 when
 * the golden model ran out of memory (first_failure says so). Later calls return the same. */
int mxf_tile_checker_push(mxf_tile_checker *k, int64_t cycle, const int64_t *y);
/* After the run: every output seen and the assembled GEMM equals the naive one: 0, -1, -2 as
 * for push. */
int mxf_tile_checker_finish(mxf_tile_checker *k, int64_t last_cycle);
/* Post-processing: wscale[kt * N + n] (copied) and ascale[m] (kept by reference):
 * y[m][n] += ascale[m] * (wscale[kt][n] * T_kt[m][n]), summed in tile order, in double. */
int mxf_tile_checker_set_scales(mxf_tile_checker *k, const double *wscale, const double *ascale,
                                mxf_err *err);

/* mxf_job_ops callbacks for a block whose job state (mxf_job.state) begins with its
 * mxf_tile_checker: finish, the first failure and the cycle of the next expected output row. */
int mxf_tile_job_finish(mxf_job *j, int64_t last_cycle);
const char *mxf_tile_job_failure(const mxf_job *j);
int64_t mxf_tile_job_next_cycle(const mxf_job *j);

#endif
