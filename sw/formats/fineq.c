/* FineQ-R1 cluster codec. See fineq.h and docs/formats.md. */
#include "fineq.h"

#include <math.h>
#include <string.h>

#include "half.h"

void mxf_fineq_default_params(mxf_fineq_params *p)
{
    p->group = 96;
    p->ratio = 4.0;
    p->rescue = 1;
    p->round = MXF_AWAY;
}

int mxf_fineq_check_params(const mxf_fineq_params *p, mxf_err *err)
{
    if (p->group < 3 || p->group > 65535 || p->group % 3)
        return mxf_fail(err, "fineq: group=%d: must be a multiple of 3 in 3..65535", p->group);
    if (!(p->ratio >= 1.0 && p->ratio <= 1e6))
        return mxf_fail(err, "fineq: ratio=%g: out of range 1..1e6", p->ratio);
    if (p->rescue != 0 && p->rescue != 1)
        return mxf_fail(err, "fineq: rescue=%d: must be 0 or 1", p->rescue);
    if (p->round != MXF_RNE && p->round != MXF_AWAY)
        return mxf_fail(err, "fineq: round=%d: unknown", (int)p->round);
    return 0;
}

double mxf_fineq_bits_per_weight(const mxf_fineq_params *p, long K)
{
    long kp = (K + 2) / 3 * 3;
    long groups = (kp + p->group - 1) / p->group;
    return (double)(kp / 3 * 8 + groups * 16) / (double)K;
}

/* Nearest integer to t (ties per r), saturated to +-2^20; branch-free. */
static inline int qround(double t, mxf_round r)
{
    double a = fabs(t);
    a = a > 1048576.0 ? 1048576.0 : a;
    double n = (double)(int64_t)a; /* a - n is exact */
    double f = a - n;
    n += (double)(f > 0.5) + (double)(f == 0.5) * (r == MXF_AWAY ? 1.0 : (double)((int64_t)n & 1));
    return t < 0 ? -(int)n : (int)n;
}

static inline int clampi(int q, int lo, int hi)
{
    return q < lo ? lo : q > hi ? hi : q;
}

uint8_t mxf_fineq_encode_cluster(const mxf_fineq_params *p, const float w[3], double delta,
                                 int *outlier)
{
    const double a0 = fabs(w[0]), a1 = fabs(w[1]), a2 = fabs(w[2]);
    const double mx = a0 > a1 ? (a0 > a2 ? a0 : a2) : (a1 > a2 ? a1 : a2);
    /* smallest |w|, first on ties */
    const int pm = a0 <= a1 ? (a0 <= a2 ? 0 : 2) : (a1 <= a2 ? 1 : 2);
    const double mn = pm == 0 ? a0 : pm == 1 ? a1 : a2;
    const double t[3] = {w[0] / delta, w[1] / delta, w[2] / delta};
    const int n[3] = {qround(t[0], p->round), qround(t[1], p->round), qround(t[2], p->round)};
    const int i1 = pm == 0 ? 1 : 0, i2 = pm == 2 ? 1 : 2; /* survivors in K order */
    const int qo0 = clampi(n[i1], -4, 3), qo1 = clampi(n[i2], -4, 3);
    int take_out = mx > p->ratio * mn;
    if (!take_out && p->rescue) {
        /* squared errors in units of delta */
        double en = 0;
        for (int i = 0; i < 3; i++) {
            double d = t[i] - clampi(n[i], -2, 1);
            en += d * d;
        }
        double d1 = t[i1] - qo0, d2 = t[i2] - qo1;
        double eo = t[pm] * t[pm] + d1 * d1 + d2 * d2;
        take_out = eo < en;
    }
    if (outlier) *outlier = take_out;
    if (take_out) return (uint8_t)((pm + 1) << 6 | (qo0 & 7) << 3 | (qo1 & 7));
    return (uint8_t)((clampi(n[0], -2, 1) & 3) << 4 | (clampi(n[1], -2, 1) & 3) << 2 |
                     (clampi(n[2], -2, 1) & 3));
}

static inline int sext(unsigned v, int bits)
{
    return (v & (1u << (bits - 1))) ? (int)v - (1 << bits) : (int)v;
}

void mxf_fineq_decode_cluster(uint8_t byte, int q[3])
{
    unsigned idx = byte >> 6;
    if (idx == 0) {
        q[0] = sext((byte >> 4) & 3, 2);
        q[1] = sext((byte >> 2) & 3, 2);
        q[2] = sext(byte & 3, 2);
        return;
    }
    int A = sext((byte >> 3) & 7, 3), Bv = sext(byte & 7, 3);
    int p = (int)idx - 1;
    for (int i = 0, j = 0; i < 3; i++) q[i] = i == p ? 0 : (j++ == 0 ? A : Bv);
}

int mxf_fineq_quantize_group(const mxf_fineq_params *p, const float *w, int n, uint16_t *delta16,
                             uint8_t *bytes)
{
    float amax = 0;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        float a = fabsf(w[i]);
        bad |= !isfinite(a);
        if (a > amax) amax = a;
    }
    memset(bytes, 0, (size_t)(n > 0 ? n / 3 : 0));
    if (bad) {
        *delta16 = 0x7E00;
        return -1;
    }
    if (amax == 0) {
        *delta16 = 0;
        return 0;
    }
    float d = amax / 4.0f;
    uint16_t h = mxf_f32_to_fp16(d);
    if ((h & 0x7FFF) >= 0x7C00) h = 0x7BFF; /* beyond FP16: saturate (largest weights clip) */
    if ((h & 0x7FFF) == 0) h = 0x0001;      /* below FP16: smallest subnormal step */
    *delta16 = h;
    double delta = mxf_fp16_to_f32(h);
    int outl = 0;
    for (int c = 0; c < n / 3; c++) {
        int o;
        bytes[c] = mxf_fineq_encode_cluster(p, w + 3 * c, delta, &o);
        outl += o;
    }
    return outl;
}

void mxf_fineq_dequant_group(uint16_t delta16, const uint8_t *bytes, int n, float *out)
{
    double delta = mxf_fp16_to_f32(delta16);
    for (int c = 0; c < n / 3; c++) {
        int q[3];
        mxf_fineq_decode_cluster(bytes[c], q);
        for (int i = 0; i < 3; i++) out[3 * c + i] = (float)(q[i] * delta);
    }
}
