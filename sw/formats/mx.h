/* OCP Microscaling (MX v1.0) formats: element codecs (FP8 E4M3/E5M2, FP6 E2M3/E3M2, FP4 E2M1,
 * INT8), the E8M0 shared scale, and block conversion with a parametric block size.
 * Also the generic "minifloat without special codes" used by NxFP. Pure functions; decisions the
 * spec leaves open are in docs/formats.md. */
#ifndef MXF_MX_H
#define MXF_MX_H

#include <stdint.h>
#include <string.h>

#include "err.h"

typedef enum mxf_elem {
    MXF_E4M3 = 0, /* FP8, bias 7, NaN = S.1111.111, no Inf, max 448 */
    MXF_E5M2,     /* FP8, bias 15, Inf = S.11111.00, NaN = S.11111.{01,10,11}, max 57344 */
    MXF_E2M3,     /* FP6, bias 1, no specials, max 7.5 */
    MXF_E3M2,     /* FP6, bias 3, no specials, max 28 */
    MXF_E2M1,     /* FP4, bias 1, no specials, max 6 */
    MXF_INT8,     /* two's complement, value = code / 64, encoder symmetric +-127/64 */
    MXF_ELEM_COUNT
} mxf_elem;

typedef enum mxf_round {
    MXF_RNE = 0, /* round to nearest, ties to even (the spec's mandatory mode) */
    MXF_AWAY = 1 /* round to nearest, ties away from zero (microxcaling's default) */
} mxf_round;

/* Encoder flags. */
#define MXF_SAT 1 /* finite overflow and +-Inf clamp to +-max normal (MX conversion) */

const char *mxf_elem_name(mxf_elem e); /* "e4m3", "e5m2", "e2m3", "e3m2", "e2m1", "int8" */
int mxf_elem_parse(const char *s, mxf_elem *e);
int mxf_elem_bits(mxf_elem e);   /* 8, 8, 6, 6, 4, 8 */
int mxf_elem_emax(mxf_elem e);   /* exponent of the largest power of two: 8,15,2,4,2,0 */
double mxf_elem_max(mxf_elem e); /* largest finite value */
/* Decodes one code (low mxf_elem_bits bits used). NaN/Inf codes decode to NaN/Inf. */
double mxf_elem_decode(mxf_elem e, unsigned code);
/* Encodes x. Returns the code, or -1 when x has no encoding (NaN in a format without NaN; without
 * MXF_SAT, an overflow in a format with neither Inf nor NaN). Without MXF_SAT an overflow gives
 * Inf (E5M2) or NaN (E4M3); INT8 always saturates. -0.0 keeps its sign in FP formats. */
int mxf_elem_encode(mxf_elem e, double x, mxf_round r, int flags);

/* A generic sign-magnitude minifloat with no Inf/NaN codes: 1 sign bit, ebits exponent bits
 * (bias 2^(ebits-1)-1, 0 for ebits=1), mbits mantissa bits, subnormals when the exponent field is
 * 0. E2M1, E2M3, E3M2 are instances; NxFP also uses E1M2, E3M0, E1M3, E2M2, E3M1, E4M1. */
typedef struct mxf_minifloat {
    int ebits, mbits;
    int emin;         /* 1 - bias: exponent of the smallest normal */
    unsigned maxcode; /* largest magnitude code (sign bit clear) */
    double maxval;    /* its value */
} mxf_minifloat;

int mxf_minifloat_init(mxf_minifloat *f, int ebits, int mbits, mxf_err *err);
/* Magnitude code (no sign) of the level nearest to a >= 0 (finite), saturating at maxcode. */
unsigned mxf_minifloat_round(const mxf_minifloat *f, double a, mxf_round r);
/* Value of a magnitude code (sign bit ignored). */
double mxf_minifloat_value(const mxf_minifloat *f, unsigned magcode);

/* E8M0: code c in 0..254 means 2^(c-127); 0xFF is NaN. */
#define MXF_E8M0_NAN 0xFFu
double mxf_e8m0_decode(uint8_t c);

/* floor(log2(a)) for finite a > 0, exactly (from the double's bits). */
int mxf_floor_log2(double a);

/* 2^k for -1022 <= k <= 1023, exactly. */
static inline double mxf_pow2i(int k)
{
    uint64_t b = (uint64_t)(k + 1023) << 52;
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

/* Rounds t (0 <= t < 2^52) to an integer with mode r; exact. */
static inline double mxf_round_nonneg(double t, mxf_round r)
{
    if (r == MXF_RNE) return (t + 0x1p52) - 0x1p52; /* the FP adder rounds to even */
    double n = (double)(int64_t)t;                  /* t - n is exact */
    return n + (double)(t - n >= 0.5);
}

typedef struct mxf_mx_params {
    mxf_elem elem;
    int block; /* elements per shared scale, 1..65536 (default 32) */
    mxf_round round;
} mxf_mx_params;

void mxf_mx_default_params(mxf_mx_params *p, mxf_elem e); /* block 32, RNE */
int mxf_mx_check_params(const mxf_mx_params *p, mxf_err *err);

/* Converts n (<= block) values sharing one scale (spec 6.3): shared exponent
 * floor(log2 amax) - emax_elem clamped to [-127, 127], elements saturate. A block holding a NaN
 * or Inf gets scale 0xFF and element codes 0; an all-zero block gets scale 0 and codes 0.
 * codes[] receives one code per byte. Returns the scale code. */
uint8_t mxf_mx_quantize_block(const mxf_mx_params *p, const float *x, int n, uint8_t *codes);
/* Inverse: NaN scale -> every element NaN. */
void mxf_mx_dequant_block(const mxf_mx_params *p, uint8_t scale, const uint8_t *codes, int n,
                          float *out);

/* Inline body of mxf_minifloat_round (same result): a >= 0 finite. */
static inline unsigned mxf_minifloat_round_inline(const mxf_minifloat *f, double a, mxf_round r)
{
    if (a >= f->maxval) return f->maxcode;
    uint64_t b;
    memcpy(&b, &a, sizeof b);
    int e = (int)(b >> 52) - 1023; /* 0 and subnormals land below emin */
    e = e < f->emin ? f->emin : e;
    double n = mxf_round_nonneg(a * mxf_pow2i(f->mbits - e), r);
    int64_t code = ((int64_t)(e - f->emin) << f->mbits) + (int64_t)n;
    return code > (int64_t)f->maxcode ? f->maxcode : (unsigned)code;
}

#endif
