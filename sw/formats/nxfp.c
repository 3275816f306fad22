/* NxFP-ref block codec. See nxfp.h and docs/formats.md. */
#include "nxfp.h"

#include <float.h>
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

unsigned mxf_nxfp_finite_top(const mxf_minifloat *mf, double S, double *top)
{
    unsigned c = mf->maxcode;
    while (c > 0 && mxf_minifloat_value(mf, c) * S >= 0x1p128) c--;
    *top = mxf_minifloat_value(mf, c);
    return c;
}

/* The recycled value of a candidate in element units, INFINITY when v * S is not a finite float
 * (then no element takes it). */
static double recycled_of(const mxf_nxfp_params *p, int fmt, double S)
{
    return p->vcr[fmt] * S > FLT_MAX ? INFINITY : p->vcr[fmt];
}

double mxf_nxfp_scale(const mxf_nxfp_params *p, const mxf_nxfp_meta *m)
{
    if (m->E == MXF_E8M0_NAN) return NAN;
    return scale_of((int)m->E - 127, m->f, p->nano_bits);
}

void mxf_nxfp_codec_init(mxf_nxfp_codec *c, const mxf_nxfp_params *p)
{
    memset(c, 0, sizeof *c);
    c->p = *p;
    c->nfmt = p->am ? MXF_NXFP_NFMT : 1;
    c->nf = 1 << p->nano_bits;
    for (int fmt = 0; fmt < MXF_NXFP_NFMT; fmt++) fmt_minifloat(p->bits, fmt, &c->mf[fmt]);
    for (int f = 0; f < c->nf; f++) c->inv_mant[f] = 1.0 / scale_of(0, f, p->nano_bits);
}

/* A block as the search reads it: magnitudes, and per element a penalty added to the recycled
 * error with +v (penp) and -v (penn): 0 where that value can encode it, FLT_MAX elsewhere, so
 * that min(e2, c2 + pen) selects without a branch and without rounding. Padded to a multiple of
 * 8 with zeros (which score exactly 0). */
typedef struct block_in {
    int n;
    float a[MXF_NXFP_MAX_BLOCK + 8], penp[MXF_NXFP_MAX_BLOCK + 8], penn[MXF_NXFP_MAX_BLOCK + 8];
} block_in;

/* Squared error of |a| on the grid of scale S (inv = 1/S) of a format (mb, emin, maxval) (e2)
 * and against the recycled value Sv (c2); single precision, branch-free so that the loop over
 * candidates vectorizes. Element rounding: e = max(floor(log2 t), emin) from
 * the float's bits, level = round(t * 2^(mbits-e)) * 2^(e-mbits) saturated at maxval. */
static inline __attribute__((always_inline)) void elem_err(float a, float inv, float S, float Sv,
                                                           float maxval, int32_t mb, int32_t emin,
                                                           mxf_round r, float *e2, float *c2)
{
    float t = a * inv;
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
    float d = a - S * L, dc = a - Sv;
    *e2 = d * d;
    *c2 = dc * dc;
}

/* Up to 8 candidates scored side by side, one per vector lane (structure of arrays). */
typedef struct cand8 {
    float inv[8], S[8], Sv[8], maxval[8];
    int32_t mb[8], emin[8];
} cand8;

static inline __attribute__((always_inline)) unsigned eval8_impl(const block_in *in, const cand8 *k,
                                                                 int cr, mxf_round r, double lim,
                                                                 double sp[8], double sn[8])
{
    unsigned alive = 0xFF;
    for (int l = 0; l < 8; l++) sp[l] = sn[l] = 0;
    for (int i0 = 0; i0 < in->n; i0 += 8) {
        float cp[8] = {0}, cn[8] = {0};
        for (int i = i0; i < i0 + 8; i++) {
            const float a = in->a[i], pp = in->penp[i], pn = in->penn[i];
            for (int l = 0; l < 8; l++) {
                float e2, c2;
                elem_err(a, k->inv[l], k->S[l], k->Sv[l], k->maxval[l], k->mb[l], k->emin[l], r,
                         &e2, &c2);
                const float gp = c2 + pp, gn = c2 + pn;
                cp[l] += gp < e2 ? gp : e2;
                cn[l] += gn < e2 ? gn : e2;
            }
        }
        alive = 0;
        for (int l = 0; l < 8; l++) {
            sp[l] += cp[l];
            sn[l] += cn[l];
            const double lb = cr == MXF_NX_CR_SIGN && sn[l] < sp[l] ? sn[l] : sp[l];
            alive |= (unsigned)(lb <= lim) << l;
        }
        if (!alive) break;
    }
    return alive;
}

/* Float scores of 8 candidates at once (sp: +v recycled or standard, sn: -v recycled), summed per
 * 8 elements in float, then in double. Returns the lanes whose score may still be <= lim; stops
 * when none can. */
__attribute__((optimize("O3"), target_clones("avx2", "default"))) static unsigned
eval8(const block_in *in, const cand8 *k, int cr, mxf_round r, double lim, double sp[8],
      double sn[8])
{
    if (r == MXF_RNE) return eval8_impl(in, k, cr, MXF_RNE, lim, sp, sn);
    return eval8_impl(in, k, cr, MXF_AWAY, lim, sp, sn);
}

/* Exact squared errors (double) of the candidate (fmt, e, f): sse[0] with +v recycled (standard
 * only when cr is off), sse[1] with -v (INFINITY unless cr is sign); summed in four interleaved
 * partial sums (element i into sum i mod 4), a fixed order. Writes the standard code of every
 * element and whether recycling wins for it (1: with +v, 2: with -v). Element rounding is that
 * of mxf_minifloat_round on the exact quotient |x| / S, written branch-free so that it
 * vectorizes; the level is q * 2^(e - mbits) saturated at maxval. */
static inline __attribute__((always_inline)) void exact_impl(const mxf_nxfp_codec *cd,
                                                             const float *x, int n, int fmt, int e,
                                                             int f, mxf_round r, double sse[2],
                                                             uint8_t *code, uint8_t *rec)
{
    const mxf_nxfp_params *p = &cd->p;
    const mxf_minifloat *mf = &cd->mf[fmt];
    const double S = scale_of(e, f, p->nano_bits);
    double maxval = mf->maxval, v = recycled_of(p, fmt, S);
    const int32_t maxcode =
        maxval * S < 0x1p128 ? (int32_t)mf->maxcode : (int32_t)mxf_nxfp_finite_top(mf, S, &maxval);
    const int32_t mb = mf->mbits, emin = mf->emin;
    const int32_t sbit = 1 << (p->bits - 1), recycle = p->cr != MXF_NX_CR_OFF;
    double ep[MXF_NXFP_MAX_BLOCK + 4], en[MXF_NXFP_MAX_BLOCK + 4];
    for (int i = 0; i < n; i++) {
        const double xi = x[i], t = fabs(xi) / S;
        int64_t tb;
        memcpy(&tb, &t, 8);
        int32_t ex = (int32_t)(tb >> 52) - 1023; /* t >= 0: no sign bit */
        ex = ex < emin ? emin : ex;
        const int64_t up = (int64_t)(1023 + mb - ex) << 52, dn = (int64_t)(1023 - mb + ex) << 52;
        double fu, fd;
        memcpy(&fu, &up, 8);
        memcpy(&fd, &dn, 8);
        const double y = t * fu; /* < 2^31 */
        const double q = r == MXF_RNE
                             ? (y + 0x1p52) - 0x1p52
                             : (double)(int32_t)y + (double)(y - (double)(int32_t)y >= 0.5);
        int32_t mag = ((ex - emin) << mb) + (int32_t)q;
        mag = mag > maxcode ? maxcode : mag;
        double L = q * fd;
        L = L > maxval ? maxval : L;
        const double d = xi - S * copysign(L, xi), es = d * d;
        const double dc = xi - S * copysign(v, xi), ec = dc * dc;
        const int32_t pos = xi > 0, neg = xi < 0, use = recycle & (pos | neg) & (ec < es);
        code[i] = (uint8_t)(mag | ((neg & (mag != 0)) * sbit));
        rec[i] = (uint8_t)(use * (2 - pos));
        ep[i] = use & pos ? ec : es;
        en[i] = use & neg ? ec : es;
    }
    for (int i = n; i < n + 4; i++) ep[i] = en[i] = 0;
    double s0[4] = {0, 0, 0, 0}, s1[4] = {0, 0, 0, 0};
    for (int i0 = 0; i0 < n; i0 += 4)
        for (int l = 0; l < 4; l++) {
            s0[l] += ep[i0 + l];
            s1[l] += en[i0 + l];
        }
    sse[0] = (s0[0] + s0[1]) + (s0[2] + s0[3]);
    sse[1] = p->cr == MXF_NX_CR_SIGN ? (s1[0] + s1[1]) + (s1[2] + s1[3]) : INFINITY;
}

/* One instance per rounding mode: a branch inside the loop would stop the vectorizer. */
__attribute__((optimize("O3"), target_clones("avx2", "default"))) static void
exact_cand(const mxf_nxfp_codec *cd, const float *x, int n, int fmt, int e, int f, double sse[2],
           uint8_t *code, uint8_t *rec)
{
    if (cd->p.round == MXF_RNE)
        exact_impl(cd, x, n, fmt, e, f, MXF_RNE, sse, code, rec);
    else
        exact_impl(cd, x, n, fmt, e, f, MXF_AWAY, sse, code, rec);
}

/* Search margin, in the normalized units of the search (amax in [1, 2)). Per element the float
 * error d_f of a candidate is within ~2^-23 |x| of the exact d (rounded quotient, level and
 * product; a different rounding decision happens only at a near-midpoint, where both levels are
 * equally far), the recycled choice is an exact min, and partial sums of 8 add ~2^-21 relative.
 * So a float score is within ~2^-22 sqrt(s E) + 2^-21 s + 2^-46 E of the exact SSE s (E = sum of
 * x^2, Cauchy-Schwarz). The margin is at least 32x that: every candidate that can hold the
 * exact minimum stays within it of the best float score and reaches the exact comparison. */
static double search_limit(double best, double energy)
{
    return best + 0x1p-16 * (sqrt(best * energy) + best) + 0x1p-40 * energy;
}

double mxf_nxfp_encode_block(const mxf_nxfp_codec *cd, const float *x, int n, mxf_nxfp_meta *m,
                             uint8_t *codes)
{
    const mxf_nxfp_params *p = &cd->p;
    block_in in;
    float amax = 0;
    double energy = 0;
    int bad = 0, im = 0;
    const int recycle = p->cr != MXF_NX_CR_OFF, both = p->cr == MXF_NX_CR_SIGN;
    if (n < 0) n = 0;
    if (n > MXF_NXFP_MAX_BLOCK) n = MXF_NXFP_MAX_BLOCK;
    in.n = n;
    for (int i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        in.a[i] = a;
        in.penp[i] = recycle && x[i] > 0 ? 0.0f : FLT_MAX;
        in.penn[i] = both && x[i] < 0 ? 0.0f : FLT_MAX;
        bad |= !isfinite(a);
        if (a > amax) amax = a, im = i;
    }
    for (int i = n; i < n + 8; i++) in.a[i] = 0, in.penp[i] = in.penn[i] = FLT_MAX;
    memset(m, 0, sizeof *m);
    if (n) memset(codes, 0, (size_t)n);
    if (bad) {
        m->E = MXF_E8M0_NAN;
        return 0;
    }
    if (amax == 0) return 0;
    /* The float search runs on the block scaled by 2^-k so that amax is in [1, 2): squared
     * errors neither overflow nor lose precision to underflow whatever the block's magnitude
     * (the scaling is exact, and every score scales by the same 2^-2k). */
    const int k = mxf_floor_log2(amax);
    const double norm = pow2d(-k);
    for (int i = 0; i < n; i++) {
        in.a[i] = (float)(in.a[i] * norm);
        energy += (double)in.a[i] * in.a[i];
    }
    /* The largest element goes first: candidates that clip it exceed the bound within the first
     * 8 elements. */
    if (im) {
        float t;
        t = in.a[0], in.a[0] = in.a[im], in.a[im] = t;
        t = in.penp[0], in.penp[0] = in.penp[im], in.penp[im] = t;
        t = in.penn[0], in.penn[0] = in.penn[im], in.penn[im] = t;
    }

    const int nfmt = cd->nfmt, nf = cd->nf;
    /* Candidates per format in canonical order (fmt, exponent, f): ci is the rank. */
    int ce[MXF_NXFP_NFMT][9], cf[MXF_NXFP_NFMT][9], ci[MXF_NXFP_NFMT][9], nc[MXF_NXFP_NFMT];
    for (int fmt = 0; fmt < nfmt; fmt++) {
        const mxf_minifloat *mf = &cd->mf[fmt];
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
        for (int c = 0; c < n0; c++)
            ce[fmt][c] = ce[fmt][c] < -127 ? -127 : ce[fmt][c] > 127 ? 127 : ce[fmt][c];
    }
    /* Float search, eight candidates at a time (one per SIMD lane): the Rule A pick of every
     * format first, so that the first group sets a good bound, then the rest. Survivors are
     * kept with their scores. */
    int order[MXF_NXFP_NFMT * 9][2], nord = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int fmt = 0; fmt < nfmt; fmt++)
            for (int c = pass; c < (pass ? nc[fmt] : 1); c++)
                order[nord][0] = fmt, order[nord++][1] = c;
    struct {
        int fmt, c;
        double score;
    } kept[MXF_NXFP_NFMT * 9];
    int nkept = 0;
    double best = INFINITY, lim = INFINITY;
    for (int g0 = 0; g0 < nord; g0 += 8) {
        cand8 k8;
        for (int l = 0; l < 8; l++) {
            const int j = g0 + l < nord ? g0 + l : g0; /* idle lanes repeat the first */
            const int fmt = order[j][0], c = order[j][1], e = ce[fmt][c];
            const double S = scale_of(e, cf[fmt][c], p->nano_bits) * norm;
            const double S1 = scale_of(e, cf[fmt][c], p->nano_bits); /* unnormalized */
            double top = cd->mf[fmt].maxval;
            if (top * S1 >= 0x1p128) (void)mxf_nxfp_finite_top(&cd->mf[fmt], S1, &top);
            k8.inv[l] = (float)(cd->inv_mant[cf[fmt][c]] * pow2d(k - e));
            k8.S[l] = (float)S;
            k8.Sv[l] = p->vcr[fmt] * S1 > FLT_MAX ? INFINITY : (float)(S * p->vcr[fmt]);
            k8.maxval[l] = (float)top;
            k8.mb[l] = cd->mf[fmt].mbits;
            k8.emin[l] = cd->mf[fmt].emin;
        }
        double sp[8], sn[8];
        unsigned alive = eval8(&in, &k8, p->cr, p->round, lim, sp, sn);
        for (int l = 0; l < 8 && g0 + l < nord; l++) {
            if (!(alive >> l & 1)) continue;
            const double sc = p->cr == MXF_NX_CR_SIGN && sn[l] < sp[l] ? sn[l] : sp[l];
            kept[nkept].fmt = order[g0 + l][0];
            kept[nkept].c = order[g0 + l][1];
            kept[nkept++].score = sc;
            if (sc < best) best = sc, lim = search_limit(best, energy);
        }
    }
    /* Exact comparison of the survivors within the margin of the best: lowest double SSE, ties
     * to the first in the order (fmt, exponent, f, crs = 0 before 1). */
    double bsse = INFINITY;
    int brank = 1 << 30, bk = -1, bcrs = 0;
    uint8_t code[2][MXF_NXFP_MAX_BLOCK], rec[2][MXF_NXFP_MAX_BLOCK];
    int cur = 0, have = 0; /* code[have]/rec[have] belong to the current winner */
    for (int j = 0; j < nkept; j++) {
        if (kept[j].score > lim) continue;
        const int fmt = kept[j].fmt, c = kept[j].c;
        double sse[2];
        exact_cand(cd, x, n, fmt, ce[fmt][c], cf[fmt][c], sse, code[cur], rec[cur]);
        for (int o = 0; o < 2; o++) {
            int rank = ((fmt * 2 * nf) + ci[fmt][c]) * 2 + o;
            if (sse[o] < bsse || (sse[o] == bsse && rank < brank)) {
                bsse = sse[o];
                brank = rank;
                bk = j;
                bcrs = o;
                have = cur;
            }
        }
        if (have == cur) cur ^= 1;
    }
    if (bk < 0) { /* only with a non-finite score, which finite inputs cannot produce */
        m->E = MXF_E8M0_NAN;
        return NAN;
    }
    const int fmt = kept[bk].fmt, c = kept[bk].c;
    m->E = (uint8_t)(ce[fmt][c] + 127);
    m->f = (uint8_t)cf[fmt][c];
    m->fmt = (uint8_t)fmt;
    m->crs = (uint8_t)bcrs;
    const uint8_t sbit = (uint8_t)(1u << (p->bits - 1)), use = (uint8_t)(bcrs ? 2 : 1);
    for (int i = 0; i < n; i++) codes[i] = rec[have][i] == use ? sbit : code[have][i];
    return bsse;
}

double mxf_nxfp_quantize_block(const mxf_nxfp_params *p, const float *x, int n, mxf_nxfp_meta *m,
                               uint8_t *codes)
{
    mxf_nxfp_codec c;
    mxf_nxfp_codec_init(&c, p);
    return mxf_nxfp_encode_block(&c, x, n, m, codes);
}

double mxf_nxfp_decode(const mxf_nxfp_params *p, const mxf_nxfp_meta *m, unsigned code)
{
    if (m->E == MXF_E8M0_NAN) return NAN;
    const unsigned sbit = 1u << (p->bits - 1);
    const double S = scale_of((int)m->E - 127, m->f, p->nano_bits);
    code &= (sbit << 1) - 1;
    if (code == sbit) {
        if (p->cr == MXF_NX_CR_OFF) return -0.0; /* a minifloat -0 (docs/formats.md) */
        return (m->crs ? -1.0 : 1.0) * p->vcr[m->fmt] * S;
    }
    mxf_minifloat mf;
    fmt_minifloat(p->bits, m->fmt, &mf);
    double v = mxf_minifloat_value(&mf, code & (sbit - 1)) * S;
    return code & sbit ? -v : v;
}

void mxf_nxfp_dequant_block(const mxf_nxfp_params *p, const mxf_nxfp_meta *m, const uint8_t *codes,
                            int n, float *out)
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
    if (m->f >= (1u << p->nano_bits))
        return mxf_fail(err, "f=%u exceeds nano=%d", m->f, p->nano_bits);
    if (m->fmt >= (p->am ? MXF_NXFP_NFMT : 1))
        return mxf_fail(err, "fmt=%u not allowed (am=%d)", m->fmt, p->am);
    if (m->crs && p->cr != MXF_NX_CR_SIGN) return mxf_fail(err, "crs=1 not allowed (cr=%d)", p->cr);
    return 0;
}
