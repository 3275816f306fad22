/* NxFP (Nanoscaling floating point, arXiv 2412.19821; only its abstract was available, see
 * docs/sources.md §4) as the reconstruction "NxFP-ref" (layout L13); every knob is a parameter and
 * docs/formats.md lists the defaults and which parts are our choices.
 *
 * A block of `block` b-bit sign-magnitude elements shares
 *   E    8 bits        scale exponent, E8M0 semantics (bias 127, 0xFF = NaN)
 *   f    nano_bits     NanoMantissa: S = 2^(E-127) * (1 + f / 2^nano_bits)
 *   fmt  2 bits (am)   Adaptive Microexponent: element split of this block, see mxf_nxfp_ebits()
 *   crs  1 bit (cr=2)  Code Recycling: the -0 code (sign set, magnitude 0) decodes to
 *                      (crs ? -vcr[fmt] : +vcr[fmt]) * S (cr=1: +vcr[fmt] * S; cr=0: -0.0)
 * Bits per element = b + (8 + nano_bits + 2*am + (cr == 2)) / block. */
#ifndef MXF_NXFP_H
#define MXF_NXFP_H

#include <stdint.h>

#include "err.h"
#include "mx.h"

#define MXF_NXFP_NFMT 3
#define MXF_NXFP_MAX_BLOCK 1024

enum { MXF_NX_CR_OFF = 0, MXF_NX_CR_FIXED = 1, MXF_NX_CR_SIGN = 2 };
enum { MXF_NX_RULE_A = 0, MXF_NX_RULE_B = 1 };

typedef struct mxf_nxfp_params {
    int bits;      /* element width 4, 5 or 6 */
    int block;     /* elements per block, 1..MXF_NXFP_MAX_BLOCK (32) */
    int nano_bits; /* 0, 1 or 2 (2) */
    int am;        /* 1: per-block format choice among 3 candidates (1); 0: format 0 only */
    int cr;        /* MXF_NX_CR_OFF / _FIXED (+vcr always) / _SIGN (per-block sign, default) */
    double vcr[MXF_NXFP_NFMT]; /* recycled magnitude per format, in element units, > 0 */
    int rule;        /* MXF_NX_RULE_B (default): best of 2^nano_bits mantissas at two exponents;
                        MXF_NX_RULE_A: smallest grid scale that does not clip */
    mxf_round round; /* element rounding (RNE, like the MX baseline) */
} mxf_nxfp_params;

typedef struct mxf_nxfp_meta {
    uint8_t E, f, fmt, crs;
} mxf_nxfp_meta;

void mxf_nxfp_default_params(mxf_nxfp_params *p, int bits);
int mxf_nxfp_check_params(const mxf_nxfp_params *p, mxf_err *err);
/* Exponent bits of candidate format fmt for element width b: b=4: E2M1, E1M2, E3M0;
 * b=5: E2M2, E1M3, E3M1; b=6: E2M3, E3M2, E4M1. */
int mxf_nxfp_ebits(int bits, int fmt);
int mxf_nxfp_meta_bits(const mxf_nxfp_params *p);
double mxf_nxfp_bits_per_elem(const mxf_nxfp_params *p);
/* Levels of a block whose value L * S would not be a finite float (>= 2^128: only for scales
 * within a few binades of FLT_MAX) are not part of its grid: the encoder saturates at the largest
 * finite one, and a recycled value v * S > FLT_MAX is never used. Returns the largest magnitude
 * code of mf with value * S < 2^128 and its value (element units) in *top. */
unsigned mxf_nxfp_finite_top(const mxf_minifloat *mf, double S, double *top);
/* Scale of a block (NaN for E = 0xFF). */
double mxf_nxfp_scale(const mxf_nxfp_params *p, const mxf_nxfp_meta *m);

/* Per-tensor constants of a parameter set, prepared once so that the block encoder does not
 * rebuild them per block. */
typedef struct mxf_nxfp_codec {
    mxf_nxfp_params p;
    int nfmt, nf; /* formats searched (1 or 3), 2^nano_bits */
    mxf_minifloat mf[MXF_NXFP_NFMT];
    double inv_mant[4]; /* 1 / (1 + f / nf), rounded to double */
} mxf_nxfp_codec;

/* p must pass mxf_nxfp_check_params. */
void mxf_nxfp_codec_init(mxf_nxfp_codec *c, const mxf_nxfp_params *p);
/* Quantizes n <= block values; codes[] one per byte. The block keeps the Rule A/B candidate
 * (fmt, E, f, crs) with the lowest squared error in double, ties to the first in the order
 * (fmt, E, f, crs); see docs/formats.md. Returns that error (0 for a NaN/Inf block, which gets
 * E = 0xFF and zero codes). */
double mxf_nxfp_encode_block(const mxf_nxfp_codec *c, const float *x, int n, mxf_nxfp_meta *m,
                             uint8_t *codes);
/* The same without a prepared codec (prepares one per call). */
double mxf_nxfp_quantize_block(const mxf_nxfp_params *p, const float *x, int n, mxf_nxfp_meta *m,
                               uint8_t *codes);
/* Decoded value of one element. */
double mxf_nxfp_decode(const mxf_nxfp_params *p, const mxf_nxfp_meta *m, unsigned code);
void mxf_nxfp_dequant_block(const mxf_nxfp_params *p, const mxf_nxfp_meta *m, const uint8_t *codes,
                            int n, float *out);

/* 16-bit storage word: E in [7:0], f in [9:8], fmt in [11:10], crs in [12], [15:13] zero. */
uint16_t mxf_nxfp_meta_pack(const mxf_nxfp_meta *m);
/* Unpacks and validates against p (fields beyond the knobs must be zero). */
int mxf_nxfp_meta_unpack(const mxf_nxfp_params *p, uint16_t w, mxf_nxfp_meta *m, mxf_err *err);

#endif
