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

static inline int qround(double t, int lo, int hi, mxf_round r)
{
    double a = fabs(t);
    double n = (double)(int64_t)a; /* |t| is small: the codes clamp at 4 */
    double f = a - n;
    if (f > 0.5 || (f == 0.5 && (r == MXF_AWAY || ((int64_t)n & 1)))) n += 1.0;
    int q = t < 0 ? -(int)n : (int)n;
    if (a > 1e6) q = t < 0 ? lo : hi;
    return q < lo ? lo : q > hi ? hi : q;
}

uint8_t mxf_fineq_encode_cluster(const mxf_fineq_params *p, const float w[3], double delta,
                                 int *outlier)
{
    double a[3] = {fabs(w[0]), fabs(w[1]), fabs(w[2])};
    double mx = a[0], mn = a[0];
    int pm = 0;
    for (int i = 1; i < 3; i++) {
        if (a[i] > mx) mx = a[i];
        if (a[i] < mn) {
            mn = a[i];
            pm = i;
        }
    }
    int qn[3], qo[2];
    double t[3] = {w[0] / delta, w[1] / delta, w[2] / delta};
    for (int i = 0; i < 3; i++) qn[i] = qround(t[i], -2, 1, p->round);
    for (int i = 0, j = 0; i < 3; i++)
        if (i != pm) qo[j++] = qround(t[i], -4, 3, p->round);
    int take_out = mx > p->ratio * mn;
    if (!take_out && p->rescue) {
        double en = 0, eo = 0;
        for (int i = 0, j = 0; i < 3; i++) {
            double dn = w[i] - qn[i] * delta;
            en += dn * dn;
            double d = i == pm ? w[i] : w[i] - qo[j++] * delta;
            eo += d * d;
        }
        take_out = eo < en;
    }
    if (outlier) *outlier = take_out;
    if (take_out)
        return (uint8_t)((pm + 1) << 6 | (qo[0] & 7) << 3 | (qo[1] & 7));
    return (uint8_t)((qn[0] & 3) << 4 | (qn[1] & 3) << 2 | (qn[2] & 3));
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
