/* NxFP-ref block codec. See nxfp.h and docs/formats.md. */
#include "nxfp.h"

#include <math.h>
#include <string.h>

static const int EBITS[3][MXF_NXFP_NFMT] = {{2, 1, 3}, {2, 1, 3}, {2, 3, 4}}; /* b = 4, 5, 6 */

int mxf_nxfp_ebits(int bits, int fmt)
{
    if (bits < 4 || bits > 6 || fmt < 0 || fmt >= MXF_NXFP_NFMT) return -1;
    return EBITS[bits - 4][fmt];
}

static void fmt_minifloat(int bits, int fmt, mxf_minifloat *mf)
{
    int eb = mxf_nxfp_ebits(bits, fmt);
    (void)mxf_minifloat_init(mf, eb, bits - 1 - eb, NULL);
}

void mxf_nxfp_default_params(mxf_nxfp_params *p, int bits)
{
    memset(p, 0, sizeof *p);
    p->bits = bits;
    p->block = 32;
    p->nano_bits = 2;
    p->am = 1;
    p->cr = MXF_NX_CR_SIGN;
    p->rule = MXF_NX_RULE_B;
    p->round = MXF_RNE;
    if (bits == 4) {
        p->vcr[0] = 5; /* E2M1: fills the 4..6 gap (RaZeR's most useful value) */
        p->vcr[1] = 4; /* E1M2: extends the uniform grid by one step */
        p->vcr[2] = 3; /* E3M0: fills the 2..4 gap */
    } else if (bits == 5 || bits == 6) {
        /* Midpoint of the widest (top) gap of each format. */
        for (int f = 0; f < MXF_NXFP_NFMT; f++) {
            mxf_minifloat mf;
            fmt_minifloat(bits, f, &mf);
            double top = mf.maxval, below = mxf_minifloat_value(&mf, mf.maxcode - 1);
            p->vcr[f] = (top + below) / 2;
        }
    }
}

int mxf_nxfp_check_params(const mxf_nxfp_params *p, mxf_err *err)
{
    if (p->bits < 4 || p->bits > 6)
        return mxf_fail(err, "nxfp: bits=%d: unsupported (4, 5 or 6)", p->bits);
    if (p->block < 1 || p->block > MXF_NXFP_MAX_BLOCK)
        return mxf_fail(err, "nxfp: block=%d: out of range 1..%d", p->block, MXF_NXFP_MAX_BLOCK);
    if (p->nano_bits < 0 || p->nano_bits > 2)
        return mxf_fail(err, "nxfp: nano=%d: out of range 0..2", p->nano_bits);
    if (p->am != 0 && p->am != 1) return mxf_fail(err, "nxfp: am=%d: must be 0 or 1", p->am);
    if (p->cr < MXF_NX_CR_OFF || p->cr > MXF_NX_CR_SIGN)
        return mxf_fail(err, "nxfp: cr=%d: must be 0 (off), 1 (fixed) or 2 (sign)", p->cr);
    if (p->rule != MXF_NX_RULE_A && p->rule != MXF_NX_RULE_B)
        return mxf_fail(err, "nxfp: rule=%d: must be 0 (A) or 1 (B)", p->rule);
    if (p->round != MXF_RNE && p->round != MXF_AWAY)
        return mxf_fail(err, "nxfp: round=%d: unknown", (int)p->round);
    for (int f = 0; f < MXF_NXFP_NFMT; f++)
        if (p->cr && !(p->vcr[f] > 0 && p->vcr[f] < 1e6))
            return mxf_fail(err, "nxfp: vcr%d=%g: must be in (0, 1e6)", f, p->vcr[f]);
    return 0;
}

int mxf_nxfp_meta_bits(const mxf_nxfp_params *p)
{
    return 8 + p->nano_bits + (p->am ? 2 : 0) + (p->cr == MXF_NX_CR_SIGN ? 1 : 0);
}

double mxf_nxfp_bits_per_elem(const mxf_nxfp_params *p)
{
    return p->bits + (double)mxf_nxfp_meta_bits(p) / p->block;
}

static inline double pow2d(int k) /* exact for -1022 <= k <= 1023 */
{
    uint64_t b = (uint64_t)(k + 1023) << 52;
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static inline double scale_of(int e, int f, int nano)
{
    return (1.0 + (double)f * pow2d(-nano)) * pow2d(e);
}

double mxf_nxfp_scale(const mxf_nxfp_params *p, const mxf_nxfp_meta *m)
{
    if (m->E == MXF_E8M0_NAN) return NAN;
    return scale_of((int)m->E - 127, m->f, p->nano_bits);
}

typedef struct block_in {
    int n;
    float a[MXF_NXFP_MAX_BLOCK + 8], pos[MXF_NXFP_MAX_BLOCK + 8], neg[MXF_NXFP_MAX_BLOCK + 8];
} block_in;

/* SSE of one candidate (format, S) in single precision (selection only; the final codes and the
 * returned error are computed in double). res[0]: +v recycled (or standard only when cr is off),
 * res[1]: -v recycled. Stops early (returns 0) once the candidate cannot beat `bound`.
 * Element rounding: e = max(floor(log2 t), emin) from the float's bits, level =
 * round(t * 2^(mbits-e)) * 2^(e-mbits) saturated at maxval; branch-free so it vectorizes. */
__attribute__((optimize("O3"))) static int eval_cand(const block_in *in, const mxf_minifloat *mf,
                                                     double v, int cr, double S, mxf_round r,
                                                     double bound, double res[2])
{
    const float inv = (float)(1.0 / S), Sf = (float)S, Svf = (float)(S * v);
    const float maxval = (float)mf->maxval;
    const int32_t mb = mf->mbits, emin = mf->emin;
    double sp = 0, sn = 0;
    for (int i0 = 0; i0 < in->n; i0 += 8) {
        float es[8], gp[8], gn[8];
        for (int i = 0; i < 8; i++) {
            float a = in->a[i0 + i], t = a * inv;
            int32_t tb;
            memcpy(&tb, &t, 4);
            int32_t e = ((tb >> 23) & 0xFF) - 127;
            e = e < emin ? emin : e;
            e = e > 100 ? 100 : e;
            int32_t up = (127 + mb - e) << 23, dn = (127 - mb + e) << 23;
            float fu, fd;
            memcpy(&fu, &up, 4);
            memcpy(&fd, &dn, 4);
            float y = t * fu, n;
            if (r == MXF_RNE) {
                n = (y + 0x1p23f) - 0x1p23f;
            } else {
                float tr = (float)(int32_t)y;
                n = tr + (float)(y - tr >= 0.5f);
            }
            float L = n * fd;
            L = L > maxval ? maxval : L;
            float d = a - Sf * L, dc = a - Svf;
            float e2 = d * d, g = e2 - dc * dc;
            g = g > 0 ? g : 0;
            es[i] = e2;
            gp[i] = e2 - in->pos[i0 + i] * g;
            gn[i] = e2 - in->neg[i0 + i] * g;
        }
        int m = in->n - i0 < 8 ? in->n - i0 : 8;
        if (cr == MXF_NX_CR_OFF) {
            for (int i = 0; i < m; i++) sp += es[i];
            if (sp > bound) return 0;
        } else {
            for (int i = 0; i < m; i++) {
                sp += gp[i];
                sn += gn[i];
            }
            double lb = cr == MXF_NX_CR_FIXED ? sp : (sp < sn ? sp : sn);
            if (lb > bound) return 0;
        }
    }
    res[0] = sp;
    res[1] = sn;
    return 1;
}

double mxf_nxfp_quantize_block(const mxf_nxfp_params *p, const float *x, int n,
                               mxf_nxfp_meta *m, uint8_t *codes)
{
    block_in in;
    double amax = 0;
    int bad = 0;
    if (n < 0) n = 0;
    if (n > MXF_NXFP_MAX_BLOCK) n = MXF_NXFP_MAX_BLOCK;
    in.n = n;
    for (int i = 0; i < n + 8; i++) {
        float a = i < n ? fabsf(x[i]) : 0.0f;
        in.a[i] = a;
        in.pos[i] = i < n && x[i] > 0;
        in.neg[i] = i < n && x[i] < 0;
        bad |= !isfinite(a);
        if (a > amax) amax = a;
    }
    /* The largest element goes first so that candidates which clip it exit early. */
    for (int i = 1, im = 0; i < n; i++) {
        if (in.a[i] > in.a[im]) im = i;
        if (i == n - 1 && im) {
            float t;
            t = in.a[0], in.a[0] = in.a[im], in.a[im] = t;
            t = in.pos[0], in.pos[0] = in.pos[im], in.pos[im] = t;
            t = in.neg[0], in.neg[0] = in.neg[im], in.neg[im] = t;
        }
    }
    memset(m, 0, sizeof *m);
    if (n) memset(codes, 0, (size_t)n);
    if (bad) {
        m->E = MXF_E8M0_NAN;
        return 0;
    }
    if (amax == 0) return 0;

    const int nfmt = p->am ? MXF_NXFP_NFMT : 1;
    const int nf = 1 << p->nano_bits;
    /* Candidates per format in canonical order (fmt, exponent, f); ties keep that order
     * whatever the evaluation order. */
    double best = INFINITY;
    int bidx = 1 << 30, bfmt = 0, be = 0, bf = 0, bcrs = 0;
    mxf_minifloat mfs[MXF_NXFP_NFMT];
    int ce[MXF_NXFP_NFMT][9], cf[MXF_NXFP_NFMT][9], ci[MXF_NXFP_NFMT][9], nc[MXF_NXFP_NFMT];
    for (int fmt = 0; fmt < nfmt; fmt++) {
        mxf_minifloat *mf = &mfs[fmt];
        fmt_minifloat(p->bits, fmt, mf);
        const int e0 = mxf_floor_log2(amax / mf->maxval);
        double mant = amax / mf->maxval * pow2d(-e0); /* [1, 2) */
        int fa = (int)ceil((mant - 1.0) * nf), ea = e0;
        if (fa >= nf) {
            fa = 0;
            ea++;
        }
        int n0 = 0;
        ce[fmt][n0] = ea;
        cf[fmt][n0] = fa;
        ci[fmt][n0++] = (ea - e0) * nf + fa;
        if (p->rule == MXF_NX_RULE_B)
            for (int de = 0; de < 2; de++)
                for (int f = 0; f < nf; f++)
                    if (!(e0 + de == ea && f == fa)) {
                        ce[fmt][n0] = e0 + de;
                        cf[fmt][n0] = f;
                        ci[fmt][n0++] = de * nf + f;
                    }
        nc[fmt] = n0;
    }
    /* The Rule A pick of every format is evaluated first, then the rest, so that the early exit
     * prunes most candidates. */
    for (int pass = 0; pass < 2; pass++)
        for (int fmt = 0; fmt < nfmt; fmt++)
            for (int c = pass ? 1 : 0; c < (pass ? nc[fmt] : 1); c++) {
                int e = ce[fmt][c] < -127 ? -127 : ce[fmt][c] > 127 ? 127 : ce[fmt][c];
                double S = scale_of(e, cf[fmt][c], p->nano_bits);
                double res[2];
                if (!eval_cand(&in, &mfs[fmt], p->vcr[fmt], p->cr, S, p->round, best, res))
                    continue;
                int nopt = p->cr == MXF_NX_CR_SIGN ? 2 : 1;
                for (int k = 0; k < nopt; k++) {
                    int idx = ((fmt * 2 * nf) + ci[fmt][c]) * 2 + k;
                    if (res[k] < best || (res[k] == best && idx < bidx)) {
                        best = res[k];
                        bidx = idx;
                        bfmt = fmt;
                        be = e;
                        bf = cf[fmt][c];
                        bcrs = k;
                    }
                }
            }

    m->E = (uint8_t)(be + 127);
    m->f = (uint8_t)bf;
    m->fmt = (uint8_t)bfmt;
    m->crs = (uint8_t)bcrs;
    mxf_minifloat mf;
    fmt_minifloat(p->bits, bfmt, &mf);
    const double S = scale_of(be, bf, p->nano_bits);
    const unsigned sbit = 1u << (p->bits - 1);
    const double sv = (bcrs ? -1.0 : 1.0) * p->vcr[bfmt];
    double sse = 0, lut[64];
    for (unsigned c = 0; c <= mf.maxcode; c++) lut[c] = mxf_minifloat_value(&mf, c);
    for (int i = 0; i < n; i++) {
        unsigned mag = mxf_minifloat_round_inline(&mf, fabs((double)x[i]) / S, p->round);
        double L = lut[mag] * (x[i] < 0 ? -1.0 : 1.0);
        double d = x[i] - S * L, es = d * d;
        unsigned code = (x[i] < 0 && mag) ? (sbit | mag) : mag;
        if (p->cr != MXF_NX_CR_OFF && ((sv > 0 && x[i] > 0) || (sv < 0 && x[i] < 0))) {
            double dc = x[i] - S * sv, ec = dc * dc;
            if (ec < es) {
                es = ec;
                code = sbit;
            }
        }
        codes[i] = (uint8_t)code;
        sse += es;
    }
    return sse;
}

double mxf_nxfp_decode(const mxf_nxfp_params *p, const mxf_nxfp_meta *m, unsigned code)
{
    if (m->E == MXF_E8M0_NAN) return NAN;
    const unsigned sbit = 1u << (p->bits - 1);
    const double S = scale_of((int)m->E - 127, m->f, p->nano_bits);
    code &= (sbit << 1) - 1;
    if (code == sbit) {
        if (p->cr == MXF_NX_CR_OFF) return 0.0;
        return (m->crs ? -1.0 : 1.0) * p->vcr[m->fmt] * S;
    }
    mxf_minifloat mf;
    fmt_minifloat(p->bits, m->fmt, &mf);
    double v = mxf_minifloat_value(&mf, code & (sbit - 1)) * S;
    return code & sbit ? -v : v;
}

void mxf_nxfp_dequant_block(const mxf_nxfp_params *p, const mxf_nxfp_meta *m,
                            const uint8_t *codes, int n, float *out)
{
    for (int i = 0; i < n; i++) out[i] = (float)mxf_nxfp_decode(p, m, codes[i]);
}

uint16_t mxf_nxfp_meta_pack(const mxf_nxfp_meta *m)
{
    return (uint16_t)(m->E | (m->f & 3u) << 8 | (m->fmt & 3u) << 10 | (m->crs & 1u) << 12);
}

int mxf_nxfp_meta_unpack(const mxf_nxfp_params *p, uint16_t w, mxf_nxfp_meta *m, mxf_err *err)
{
    m->E = (uint8_t)(w & 0xFF);
    m->f = (uint8_t)((w >> 8) & 3);
    m->fmt = (uint8_t)((w >> 10) & 3);
    m->crs = (uint8_t)((w >> 12) & 1);
    if (w >> 13) return mxf_fail(err, "reserved bits 0x%04x set", w);
    if (m->f >= (1u << p->nano_bits)) return mxf_fail(err, "f=%u exceeds nano=%d", m->f, p->nano_bits);
    if (m->fmt >= (p->am ? MXF_NXFP_NFMT : 1))
        return mxf_fail(err, "fmt=%u not allowed (am=%d)", m->fmt, p->am);
    if (m->crs && p->cr != MXF_NX_CR_SIGN)
        return mxf_fail(err, "crs=1 not allowed (cr=%d)", p->cr);
    return 0;
}
