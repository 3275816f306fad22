/* MX-INT-b block codec. See mxint.h. */
#include "mxint.h"

#include <math.h>
#include <string.h>

void mxf_mxint_default_params(mxf_mxint_params *p, int bits)
{
    p->bits = bits;
    p->block = 128;
    p->round = MXF_AWAY;
}

int mxf_mxint_check_params(const mxf_mxint_params *p, mxf_err *err)
{
    if (p->bits != 2 && p->bits != 4 && p->bits != 8)
        return mxf_fail(err, "mxint: bits=%d: unsupported (2, 4 or 8)", p->bits);
    if (p->block < 1 || p->block > 65536)
        return mxf_fail(err, "mxint: block=%d: out of range 1..65536", p->block);
    if (p->round != MXF_RNE && p->round != MXF_AWAY)
        return mxf_fail(err, "mxint: round=%d: unknown", (int)p->round);
    return 0;
}

int mxf_mxint_level(int bits, unsigned code)
{
    int mag = (int)(code & ((1u << (bits - 1)) - 1));
    return (code >> (bits - 1)) & 1 ? -mag : mag;
}

unsigned mxf_mxint_code(int bits, int level)
{
    return level < 0 ? (1u << (bits - 1)) | (unsigned)(-level) : (unsigned)level;
}

uint8_t mxf_mxint_quantize_block(const mxf_mxint_params *p, const float *x, int n, uint8_t *codes)
{
    float amax = 0;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        bad |= !isfinite(a);
        if (a > amax) amax = a;
    }
    if (bad) {
        memset(codes, 0, (size_t)n);
        return MXF_E8M0_NAN;
    }
    int I = amax > 0 ? mxf_floor_log2(amax) : -127;
    if (I < -127) I = -127;
    if (I > 127) I = 127;
    const int qmax = (1 << (p->bits - 1)) - 1;
    const double inv = ldexp(1.0, (p->bits - 2) - I);
    const double qm = qmax;
    for (int i = 0; i < n; i++) {
        double t = fabs((double)x[i]) * inv;
        t = t < qm ? t : qm; /* saturate before rounding: qmax is an integer */
        unsigned m = (unsigned)mxf_round_nonneg(t, p->round);
        unsigned neg = (unsigned)(x[i] < 0) & (unsigned)(m != 0); /* never the -0 code */
        codes[i] = (uint8_t)(neg << (p->bits - 1) | m);
    }
    return (uint8_t)(I + 127);
}

void mxf_mxint_dequant_block(const mxf_mxint_params *p, uint8_t scale, const uint8_t *codes, int n,
                             float *out)
{
    if (scale == MXF_E8M0_NAN) {
        for (int i = 0; i < n; i++) out[i] = NAN;
        return;
    }
    double step = ldexp(1.0, (int)scale - 127 - (p->bits - 2));
    for (int i = 0; i < n; i++) out[i] = (float)(mxf_mxint_level(p->bits, codes[i]) * step);
}
