/* ReCoN router: turns MicroScopiQ Lower-half placements into butterfly switch configurations
 * (MicroScopiQ's ReCoN, docs/sources.md §1; interface and every choice in docs/recon.md).
 *
 * Network (width W ports, a power of two, 2..256): an input stage of W switches (port "hi" takes
 * the column's PE bundle, port "lo" is tied to 0) followed by log2(W) exchange stages with
 * distances 1, 2, 4, ... (LSB first), wired as the reference RTL: at exchange stage s
 * (distance d = 2^(s-1)), switch x with bit (s-1) of x clear takes the hi outputs of x and x+d
 * (on its hi and lo ports), switch x+d takes their lo outputs. Column x's result is the hi
 * output of switch x of the last stage.
 *
 * A placement is a list of (upper, lower) column pairs: the outlier whose Upper half sits in
 * column `upper` has its Lower half in the pruned column `lower`. Column values are bundles
 * {Res, iAcc}. The router delivers: inlier column c -> its own bundle to c; pair (u, l) ->
 * Res_l is split off l's bundle and merged with u's bundle (merge adds the hidden-bit term), the
 * merged value to u, and iAcc_l (l's pruned weight contributes 0) to l. Every path in a
 * butterfly is unique, so a placement routes iff these paths never need the same wire. */
#ifndef MXF_RECON_H
#define MXF_RECON_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define MXF_RECON_MAX_WIDTH 256
#define MXF_RECON_MAX_STAGES 9 /* log2(256) + 1 */
#define MXF_RECON_MUB 8
#define MXF_RECON_UNROUTABLE (-2)

/* 3-bit switch opcodes (docs/recon.md). hi = 0, lo = 1 for ports and outputs. */
enum {
    MXF_RECON_PASS = 0,     /* hi->hi, lo->lo */
    MXF_RECON_SWAP = 1,     /* hi->lo, lo->hi */
    MXF_RECON_MERGE_HH = 2, /* Upper on hi port, Lower on lo port, result -> hi (lo out empty) */
    MXF_RECON_MERGE_HL = 3, /* Upper on hi port, result -> lo */
    MXF_RECON_MERGE_LH = 4, /* Upper on lo port, Lower on hi port, result -> hi */
    MXF_RECON_MERGE_LL = 5, /* Upper on lo port, result -> lo */
    MXF_RECON_SPLIT_RH = 6, /* the one valid input bundle: Res -> hi, iAcc -> lo */
    MXF_RECON_SPLIT_RL = 7, /* Res -> lo, iAcc -> hi */
};

typedef struct mxf_recon_cfg {
    int width;  /* W */
    int stages; /* log2(W) + 1; stage 0 is the input stage */
    uint8_t op[MXF_RECON_MAX_STAGES][MXF_RECON_MAX_WIDTH]; /* op[stage][switch] */
} mxf_recon_cfg;

/* Routes a placement of n pairs (absolute columns 0..W-1, every column in at most one pair,
 * upper != lower) through a ReCoN of width W. Returns 0 and fills cfg (n = 0 gives the
 * pass-through configuration); MXF_RECON_UNROUTABLE with err naming the two claims that need the
 * same wire; -1 for invalid arguments (W not a power of two in [2, 256], bad columns). */
int mxf_recon_route(int width, int n, const int *upper, const int *lower, mxf_recon_cfg *cfg,
                    mxf_err *err);

/* 1 if the placement routes at width W, 0 if not or if it is invalid. */
int mxf_recon_routable(int width, int n, const int *upper, const int *lower);

/* Packer predicate for one micro-block of 8 (slots 0..7), matching mxf_msq_route_fn; table-driven
 * (about 20 ns a call; the tables are built once, thread-safely, on first use). A uB's
 * paths never leave its 8 aligned columns, so the answer is the same for every array width >= 8
 * and every uB position in the row (tested). ctx is unused (NULL is fine). */
int mxf_recon_ub_routable(void *ctx, int n, const int *upper, const int *lower);

/* Bit mask of uB slots l (bit l) such that adding the pair (new_upper <- l) to the n pairs
 * already placed in the uB keeps it routable. Slots already used, and new_upper itself, are
 * never listed. 0 if new_upper is invalid or already used. */
unsigned mxf_recon_ub_lower_slots(int n, const int *upper, const int *lower, int new_upper);

/* Width of the ReCoN for an array with `columns` result ports (PE columns in 4b mode, twice that
 * in 2b mode): the next power of two >= max(columns, 8). The extra ports idle. -1 if columns is
 * outside [8, 256] (a uB of 8 must fit in one row). */
int mxf_recon_width_for(int columns);

/* Compact form: a uB's own W = 8 configuration (96 bits) determines its part of any wider row.
 * Writes into row (already holding width W >= 8 and stages; typically the n = 0 pass-through
 * configuration) the uB at columns 8 ub .. 8 ub + 7: stages 0..2 copied; stage 3 copied when
 * W == 8 or bit 3 of the uB's columns is 0, otherwise with each output lane flipped
 * (op ^ 1: PASS<->SWAP, MERGE_xH<->MERGE_xL); stages >= 4 are pass-through. -1 on bad
 * arguments. */
int mxf_recon_expand_ub(const mxf_recon_cfg *ub_cfg, int ub, mxf_recon_cfg *row, mxf_err *err);

/* Instruction-buffer word: 3 bits per switch, switch (s, x) at bit 3 (s W + x), bytes
 * little-endian, unused high bits of the last byte 0. */
size_t mxf_recon_cfg_bytes(int width);
void mxf_recon_cfg_pack(const mxf_recon_cfg *cfg, uint8_t *out);
/* Inverse of pack; fails on a bad width or non-zero padding bits. */
int mxf_recon_cfg_unpack(int width, const uint8_t *in, mxf_recon_cfg *cfg, mxf_err *err);

#endif
