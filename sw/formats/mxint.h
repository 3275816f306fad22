/* MX-INT-b: b-bit sign-magnitude integers (b = 2, 4, 8) sharing one power-of-two scale per block
 * (MicroScopiQ's inlier format; block 128 there, 32 for OCP-style MXINT4). For a block with
 * amax = max|x|: I = floor(log2 amax) clamped to [-127, 127] (all-zero block: I = -127), step
 * 2^(I - (b-2)), q = round(x / step) clamped to +-(2^(b-1) - 1). The scale is stored as an E8M0
 * byte I + 127 (0xFF = NaN: a block holding NaN/Inf). b = 2 is ternary {-1, 0, 1} * 2^I.
 * Code: top bit sign, low b-1 bits magnitude; the negative-zero code is never produced and
 * decodes to +0.0 (the integer 0). See docs/formats.md. */
#ifndef MXF_MXINT_H
#define MXF_MXINT_H

#include <stdint.h>

#include "err.h"
#include "mx.h"

typedef struct mxf_mxint_params {
    int bits;        /* 2, 4 or 8 */
    int block;       /* elements per scale, 1..65536 */
    mxf_round round; /* default MXF_AWAY (the MX library / MicroScopiQ convention) */
} mxf_mxint_params;

void mxf_mxint_default_params(mxf_mxint_params *p, int bits); /* block 128, ties away */
int mxf_mxint_check_params(const mxf_mxint_params *p, mxf_err *err);
/* Signed integer level of a code (-(2^(b-1)-1) .. 2^(b-1)-1). */
int mxf_mxint_level(int bits, unsigned code);
/* Code of a signed level (|level| <= 2^(b-1)-1); level 0 -> code 0. */
unsigned mxf_mxint_code(int bits, int level);
/* Returns the scale byte; codes[] one per byte. */
uint8_t mxf_mxint_quantize_block(const mxf_mxint_params *p, const float *x, int n, uint8_t *codes);
void mxf_mxint_dequant_block(const mxf_mxint_params *p, uint8_t scale, const uint8_t *codes, int n,
                             float *out);

#endif
