#include "microscopiq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void mxf_msq_default_params(mxf_msq_params *p, int bb)
{
    memset(p, 0, sizeof *p);
    p->bb = bb;
    p->sigma = 3.0;
    p->max_outliers = MXF_MSQ_MAX_OUT;
    p->outlier_group = MXF_MSQ_MUB;
}

int mxf_msq_check_params(const mxf_msq_params *p, mxf_err *err)
{
    if (p->bb != 2 && p->bb != 4)
        return mxf_fail(err, "bb=%d: MicroScopiQ slots are 2 or 4 bits", p->bb);
    if (!(p->sigma > 0)) return mxf_fail(err, "sigma=%g: must be positive", p->sigma);
    if (p->max_outliers < 0 || p->max_outliers > MXF_MSQ_MAX_OUT)
        return mxf_fail(err, "max_outliers=%d: must be 0..%d", p->max_outliers, MXF_MSQ_MAX_OUT);
    if (p->outlier_group != MXF_MSQ_MUB && p->outlier_group != MXF_MSQ_MAB)
        return mxf_fail(err, "outlier_group=%d: must be %d (per uB) or %d (per MaB)",
                        p->outlier_group, MXF_MSQ_MUB, MXF_MSQ_MAB);
    return 0;
}

/* Mantissa bits kept per outlier and the element format's emax (uX in the MXScale byte). */
static int mant_bits(int bb)
{
    return bb == 2 ? 2 : 4;
}
static int ux_of(int bb)
{
    return bb == 2 ? 1 : 4;
} /* e1m2: emax 1; e3m4: emax 4 (bias 3) */
static int l1_bits(int bb)
{
    return bb == 2 ? 7 : 5;
}

static double round_half_away(double x)
{
    return x < 0 ? -floor(-x + 0.5) : floor(x + 0.5);
}

static int floor_log2(double x)
{
    int e;
    double m = frexp(x, &e); /* x = m 2^e, m in [0.5, 1) */
    (void)m;
    return e - 1;
}

static uint8_t encode_inlier(int bb, int q)
{
    int mag = q < 0 ? -q : q;
    return (uint8_t)(((q < 0) << (bb - 1)) | mag);
}

/* Inlier value of a sign-magnitude code: an integer level times the step. The level 0 has no
 * sign, so the code 1 0..0 decodes to +0 like 0 0..0 (docs/formats.md, "Signed zero"). */
static double inlier_value(int bb, uint8_t code, int I_sf)
{
    int mag = code & ((1 << (bb - 1)) - 1);
    if (mag == 0) return 0.0;
    double v = ldexp((double)mag, I_sf - (bb - 2));
    return (code >> (bb - 1)) ? -v : v;
}

/* MXScale: L1 (two's complement, l1_bits wide) above uX. Returns the O_sf the byte decodes to
 * and whether E_rel had to saturate. */
static uint8_t encode_mxscale(int bb, int O_sf, int I_sf, int *O_dec, int *saturated)
{
    int lb = l1_bits(bb), ux = ux_of(bb);
    int lo = -(1 << (lb - 1)), hi = (1 << (lb - 1)) - 1;
    int L1 = O_sf + I_sf - ux;
    *saturated = L1 < lo || L1 > hi;
    if (L1 < lo) L1 = lo;
    if (L1 > hi) L1 = hi;
    *O_dec = L1 + ux - I_sf;
    int uxw = 8 - lb;
    return (uint8_t)((((unsigned)L1 & ((1u << lb) - 1u)) << uxw) | (unsigned)ux);
}

static int decode_mxscale(int bb, uint8_t b, int I_sf)
{
    int lb = l1_bits(bb), uxw = 8 - lb;
    int L1 = b >> uxw;
    if (L1 & (1 << (lb - 1))) L1 -= 1 << lb;
    int ux = b & ((1 << uxw) - 1);
    return L1 + ux - I_sf;
}

static double outlier_value(int bb, int sign, int mant, int O_sf)
{
    double v = ldexp(1.0 + (double)mant / (1 << mant_bits(bb)), O_sf);
    return sign ? -v : v;
}

/* Halves: bb=2 Upper {s, m1}, Lower {s, m0}; bb=4 Upper {s, 0, m3, m2}, Lower {s, 0, m1, m0}. */
static void split_halves(int bb, int sign, int mant, uint8_t *upper, uint8_t *lower)
{
    int h = mant_bits(bb) / 2;
    *upper = (uint8_t)((sign << (bb - 1)) | (mant >> h));
    *lower = (uint8_t)((sign << (bb - 1)) | (mant & ((1 << h) - 1)));
}

typedef struct cand {
    int slot;
    double sal;
} cand;

static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->sal != y->sal) return x->sal < y->sal ? -1 : 1;
    return x->slot - y->slot;
}

/* Next lexicographic permutation of idx[0..n-1]; 0 when exhausted. */
static int next_perm(int *idx, int n)
{
    int i = n - 2;
    while (i >= 0 && idx[i] >= idx[i + 1]) i--;
    if (i < 0) return 0;
    int j = n - 1;
    while (idx[j] <= idx[i]) j--;
    int t = idx[i];
    idx[i] = idx[j], idx[j] = t;
    for (int a = i + 1, b = n - 1; a < b; a++, b--) t = idx[a], idx[a] = idx[b], idx[b] = t;
    return 1;
}

/* Chooses which inliers to prune and where each Lower half goes. Candidates are tried as
 * n-subsets in order of total saliency (ties: rank order), and for each subset the assignments
 * in lexicographic order starting from the naive one (ascending outliers <- pruned slots in
 * saliency order). The first routable placement wins. */
static int place_lowers(const mxf_msq_params *p, const int *outl, int n, const cand *inl, int ni,
                        int *lower, int *rerouted)
{
    if (n == 0) return 0;
    /* enumerate subsets as increasing combinations of ranks 0..ni-1 */
    int best_set[MXF_MSQ_MAX_OUT], found = 0;
    double best_cost = 0;
    int comb[MXF_MSQ_MAX_OUT];
    for (int i = 0; i < n; i++) comb[i] = i;
    for (;;) {
        double cost = 0;
        for (int i = 0; i < n; i++) cost += inl[comb[i]].sal;
        /* subsets come in rank order, so on equal cost the earlier one is kept */
        if (!found || cost < best_cost) {
            /* routable with some assignment? */
            int idx[MXF_MSQ_MAX_OUT], up[MXF_MSQ_MAX_OUT], lo[MXF_MSQ_MAX_OUT];
            for (int i = 0; i < n; i++) idx[i] = i, up[i] = outl[i];
            int ok = 0;
            do {
                for (int i = 0; i < n; i++) lo[i] = inl[comb[idx[i]]].slot;
                ok = !p->routable || p->routable(p->route_ctx, n, up, lo);
            } while (!ok && next_perm(idx, n));
            if (ok) {
                found = 1;
                best_cost = cost;
                for (int i = 0; i < n; i++) best_set[i] = lo[i];
                if (comb[n - 1] == n - 1 &&
                    memcmp(idx, (int[]){0, 1, 2, 3}, sizeof(int) * (size_t)n) == 0)
                    break; /* the naive placement routes: done */
            }
        }
        /* next combination */
        int i = n - 1;
        while (i >= 0 && comb[i] == ni - n + i) i--;
        if (i < 0) break;
        comb[i]++;
        for (int j = i + 1; j < n; j++) comb[j] = comb[j - 1] + 1;
    }
    if (!found) return -1;
    int naive = 1;
    for (int i = 0; i < n; i++) {
        lower[i] = best_set[i];
        if (best_set[i] != inl[i].slot) naive = 0;
    }
    *rerouted = !naive;
    return 0;
}

void mxf_msq_select_outliers(const mxf_msq_params *p, const double *x, int n_valid,
                             unsigned char *is_out, unsigned char *in_scale, int *demoted)
{
    double sum = 0, sum2 = 0;
    for (int i = 0; i < n_valid; i++) sum += x[i];
    double mean = sum / n_valid;
    for (int i = 0; i < n_valid; i++) sum2 += (x[i] - mean) * (x[i] - mean);
    double sd = sqrt(sum2 / n_valid); /* population sigma over the MaB's real weights */
    int dem = 0;
    /* a zero is never an outlier: the inlier code 0 holds it exactly, while an outlier keeps an
     * implicit leading 1 and cannot be 0 */
    for (int i = 0; i < MXF_MSQ_MAB; i++)
        is_out[i] = i < n_valid && sd > 0 && fabs(x[i] - mean) > p->sigma * sd && x[i] != 0;
    /* MX-INT alone (maxout=0): the scale covers every weight; otherwise a flagged weight that
     * loses its outlier place (demoted) is clipped, not counted in the inlier scale */
    const int clip_demoted = p->max_outliers > 0;
    for (int i = 0; i < MXF_MSQ_MAB; i++) in_scale[i] = i < n_valid && !(is_out[i] && clip_demoted);
    for (int u = 0; u < MXF_MSQ_NMUB; u++) {
        int base = u * MXF_MSQ_MUB, n = 0;
        for (int i = 0; i < MXF_MSQ_MUB; i++) n += is_out[base + i];
        while (n > p->max_outliers) { /* demote the smallest |w| (ties: higher slot) */
            int worst = -1;
            for (int i = 0; i < MXF_MSQ_MUB; i++)
                if (is_out[base + i] && (worst < 0 || fabs(x[base + i]) <= fabs(x[worst])))
                    worst = base + i;
            is_out[worst] = 0;
            n--;
            dem++;
        }
    }
    if (demoted) *demoted = dem;
}

int mxf_msq_l1_window(int bb, int E_min, int E_max, int *I_lo, int *I_hi)
{
    const int lb = l1_bits(bb), ux = ux_of(bb);
    const int lo = -(1 << (lb - 1)), hi = (1 << (lb - 1)) - 1;
    *I_lo = lo + ux - E_min; /* L1 = E_min + I_sf - uX >= lo */
    *I_hi = hi + ux - E_max; /* L1 = E_max + I_sf - uX <= hi */
    return *I_lo <= *I_hi;
}

int mxf_msq_choose_isf(int bb, double maxin, int n_out_ub, int E_min, int E_max)
{
    int I = maxin > 0 ? floor_log2(maxin) : -127;
    if (n_out_ub > 0) {
        int lo, hi;
        mxf_msq_l1_window(bb, E_min, E_max, &lo, &hi);
        if (I > hi) I = hi;
        if (I < lo) I = lo; /* an empty window: the lower end wins (no outlier decodes larger) */
    }
    if (I < -127) I = -127;
    if (I > 127) I = 127;
    return I;
}

int mxf_msq_quantize_mab(const mxf_msq_params *p, const float *w, int n_valid,
                         const double *saliency, mxf_msq_mab *out, float *deq, mxf_msq_stats *st,
                         mxf_err *err)
{
    const int bb = p->bb;
    if (mxf_msq_check_params(p, err)) return -1;
    if (n_valid < 1 || n_valid > MXF_MSQ_MAB)
        return mxf_fail(err, "MaB with %d weights: expected 1..%d", n_valid, MXF_MSQ_MAB);
    memset(out, 0, sizeof *out);
    double x[MXF_MSQ_MAB];
    for (int i = 0; i < MXF_MSQ_MAB; i++) {
        x[i] = i < n_valid ? (double)w[i] : 0.0;
        if (!isfinite(x[i])) return mxf_fail(err, "weight %d of the MaB is %g (NaN/Inf)", i, x[i]);
    }

    /* 1. 3-sigma mask, capped per uB (largest |w| kept; ties to the lower slot). */
    unsigned char is_out[MXF_MSQ_MAB], in_scale[MXF_MSQ_MAB];
    int demoted = 0;
    mxf_msq_select_outliers(p, x, n_valid, is_out, in_scale, &demoted);
    if (st) st->demoted += demoted;

    /* 2. outlier exponent of each uB with outliers: floor(log2) of its largest outlier (of the
     * MaB's largest with group=128) */
    double maxin = 0, mab_omax = 0, omax[MXF_MSQ_NMUB] = {0};
    for (int i = 0; i < n_valid; i++) {
        double a = fabs(x[i]);
        if (is_out[i] && a > omax[i / MXF_MSQ_MUB]) omax[i / MXF_MSQ_MUB] = a;
        if (is_out[i] && a > mab_omax) mab_omax = a;
        if (!is_out[i] && in_scale[i] && a > maxin) maxin = a;
    }
    int E[MXF_MSQ_NMUB] = {0}, n_out_ub = 0, E_min = 0, E_max = 0;
    for (int u = 0; u < MXF_MSQ_NMUB; u++) {
        if (!(omax[u] > 0)) continue;
        E[u] = floor_log2(p->outlier_group == MXF_MSQ_MAB ? mab_omax : omax[u]);
        if (n_out_ub == 0 || E[u] < E_min) E_min = E[u];
        if (n_out_ub == 0 || E[u] > E_max) E_max = E[u];
        n_out_ub++;
    }

    /* 3. inlier exponent: floor(log2 max|inlier|), moved into the window where every outlier
     * uB's L1 fits its field (docs/microscopiq-format.md, "Inlier exponent") */
    const int I_nat = maxin > 0 ? floor_log2(maxin) : -127;
    const int I_sf = mxf_msq_choose_isf(bb, maxin, n_out_ub, E_min, E_max);
    if (st && I_sf != (I_nat < -127 ? -127 : I_nat > 127 ? 127 : I_nat)) st->scale_moved++;
    out->I_sf = I_sf;
    const int qmax = (1 << (bb - 1)) - 1;
    for (int i = 0; i < MXF_MSQ_MAB; i++) {
        if (is_out[i]) continue;
        double q = round_half_away(ldexp(x[i], -(I_sf - (bb - 2))));
        if (q > qmax) q = qmax;
        if (q < -qmax) q = -qmax;
        out->code[i] = encode_inlier(bb, (int)q);
    }

    /* 4. per uB: outlier mantissas, pruning and Lower-half placement */
    for (int u = 0; u < MXF_MSQ_NMUB; u++) {
        int base = u * MXF_MSQ_MUB, outl[MXF_MSQ_MAX_OUT], n = 0, ni = 0;
        cand inl[MXF_MSQ_MUB];
        for (int i = 0; i < MXF_MSQ_MUB; i++) {
            int s = base + i;
            if (is_out[s]) {
                outl[n++] = i;
            } else {
                inl[ni].slot = i;
                inl[ni].sal = saliency && s < n_valid ? saliency[s] : x[s] * x[s];
                ni++;
            }
        }
        if (st && base < n_valid) st->mubs++;
        if (n == 0) continue;
        qsort(inl, (size_t)ni, sizeof inl[0], cand_cmp);
        mxf_msq_mub *m = &out->mub[u];
        int lower[MXF_MSQ_MAX_OUT], rerouted = 0;
        if (place_lowers(p, outl, n, inl, ni, lower, &rerouted))
            return mxf_fail(err, "uB %d: no routable placement for %d outliers", u, n);
        int sat = 0;
        m->mxscale = encode_mxscale(bb, E[u], I_sf, &m->O_sf, &sat);
        m->n_out = n;
        out->bitmap |= (uint16_t)(1u << u);
        const int M = mant_bits(bb);
        for (int j = 0; j < n; j++) {
            int s = base + outl[j];
            double r = round_half_away((fabs(x[s]) / ldexp(1.0, m->O_sf) - 1.0) * (1 << M));
            int mant = r < 0 ? 0 : r > (1 << M) - 1 ? (1 << M) - 1 : (int)r;
            uint8_t up, lo;
            split_halves(bb, x[s] < 0, mant, &up, &lo);
            out->code[s] = up;
            out->code[base + lower[j]] = lo;
            m->upper[j] = outl[j];
            m->lower[j] = lower[j];
            m->perm |= (uint32_t)((outl[j] << 3) | lower[j]) << (6 * j);
        }
        if (st) {
            st->outlier_mubs++;
            st->outliers += n;
            st->rerouted += rerouted;
            st->scale_saturated += sat;
        }
    }
    if (st) {
        st->weights += n_valid;
        st->mabs++;
    }
    if (deq) {
        /* dequantize through the byte decoder so quantizer and decoder can never disagree */
        uint8_t wb[MXF_MSQ_MAB / 2], meta[3 + 4 * MXF_MSQ_NMUB];
        size_t used;
        mxf_msq_pack_mab(bb, out, wb, meta);
        if (mxf_msq_unpack_mab(bb, wb, meta, sizeof meta, &used, deq, err)) return -1;
    }
    return 0;
}

size_t mxf_msq_weight_bytes(int bb)
{
    return (size_t)MXF_MSQ_MAB * (size_t)bb / 8;
}

size_t mxf_msq_meta_bytes(const mxf_msq_mab *m)
{
    return 3 + 4 * (size_t)__builtin_popcount(m->bitmap);
}

void mxf_msq_pack_mab(int bb, const mxf_msq_mab *m, uint8_t *weights, uint8_t *meta)
{
    memset(weights, 0, mxf_msq_weight_bytes(bb));
    const int per_byte = 8 / bb;
    for (int e = 0; e < MXF_MSQ_MAB; e++)
        weights[e / per_byte] |= (uint8_t)(m->code[e] << (bb * (e % per_byte)));
    meta[0] = (uint8_t)(m->I_sf + 127);
    meta[1] = (uint8_t)(m->bitmap & 0xff);
    meta[2] = (uint8_t)(m->bitmap >> 8);
    size_t o = 3;
    for (int u = 0; u < MXF_MSQ_NMUB; u++) {
        if (!(m->bitmap >> u & 1)) continue;
        meta[o++] = m->mub[u].mxscale;
        meta[o++] = (uint8_t)(m->mub[u].perm & 0xff);
        meta[o++] = (uint8_t)(m->mub[u].perm >> 8 & 0xff);
        meta[o++] = (uint8_t)(m->mub[u].perm >> 16 & 0xff);
    }
}

int mxf_msq_unpack_mab(int bb, const uint8_t *weights, const uint8_t *meta, size_t meta_avail,
                       size_t *meta_used, float *deq, mxf_err *err)
{
    if (bb != 2 && bb != 4) return mxf_fail(err, "bb=%d: expected 2 or 4", bb);
    if (meta_avail < 3)
        return mxf_fail(err, "MaB metadata truncated: %zu of 3 header bytes", meta_avail);
    if (meta[0] == 0xff) return mxf_fail(err, "MaB inlier scale byte 0xff is reserved (NaN)");
    const int I_sf = (int)meta[0] - 127;
    const unsigned bitmap = (unsigned)meta[1] | (unsigned)meta[2] << 8;
    const int per_byte = 8 / bb;
    uint8_t code[MXF_MSQ_MAB];
    for (int e = 0; e < MXF_MSQ_MAB; e++)
        code[e] = (uint8_t)(weights[e / per_byte] >> (bb * (e % per_byte)) & ((1 << bb) - 1));
    for (int e = 0; e < MXF_MSQ_MAB; e++) deq[e] = (float)inlier_value(bb, code[e], I_sf);
    size_t o = 3;
    for (int u = 0; u < MXF_MSQ_NMUB; u++) {
        if (!(bitmap >> u & 1)) continue;
        if (o + 4 > meta_avail)
            return mxf_fail(err, "MaB metadata truncated in uB %d (%zu bytes available)", u,
                            meta_avail);
        int O_sf = decode_mxscale(bb, meta[o], I_sf);
        uint32_t perm =
            (uint32_t)meta[o + 1] | (uint32_t)meta[o + 2] << 8 | (uint32_t)meta[o + 3] << 16;
        o += 4;
        int base = u * MXF_MSQ_MUB, seen = 0, n = 0, prev_up = -1, ended = 0;
        for (int j = 0; j < MXF_MSQ_MAX_OUT; j++) {
            int ent = (int)(perm >> (6 * j) & 0x3f), up = ent >> 3, lo = ent & 7;
            if (up == lo) {
                if (ent != 0)
                    return mxf_fail(err, "uB %d: permutation entry %d is 0x%02x (Upper == Lower)",
                                    u, j, ent);
                ended = 1; /* the used entries come first: an empty one ends the list */
                continue;
            }
            if (ended)
                return mxf_fail(err,
                                "uB %d: permutation entry %d (%d<-%d) follows an empty entry "
                                "(used entries come first, unused ones are 0)",
                                u, j, up, lo);
            if (up <= prev_up || (seen >> up & 1) || (seen >> lo & 1))
                return mxf_fail(
                    err, "uB %d: permutation entry %d (%d<-%d) repeats a slot or is out of order",
                    u, j, up, lo);
            seen |= 1 << up | 1 << lo;
            prev_up = up;
            uint8_t cu = code[base + up], cl = code[base + lo];
            int sign = cu >> (bb - 1);
            if ((cl >> (bb - 1)) != sign)
                return mxf_fail(err, "uB %d: outlier at slot %d has halves of different sign", u,
                                up);
            int h = mant_bits(bb) / 2, hm = (1 << h) - 1;
            if ((cu & ~(hm | 1 << (bb - 1))) || (cl & ~(hm | 1 << (bb - 1))))
                return mxf_fail(err, "uB %d: outlier half at slot %d/%d uses a reserved bit", u, up,
                                lo);
            int mant = (cu & hm) << h | (cl & hm);
            deq[base + up] = (float)outlier_value(bb, sign, mant, O_sf);
            deq[base + lo] = 0.0f;
            n++;
        }
        if (n == 0)
            return mxf_fail(err, "uB %d: flagged in the bitmap but its permutation list is empty",
                            u);
    }
    *meta_used = o;
    return 0;
}

int mxf_msq_tensor_init(mxf_msq_tensor *t, const mxf_msq_params *p, int N, int K, mxf_err *err)
{
    memset(t, 0, sizeof *t);
    if (mxf_msq_check_params(p, err)) return -1;
    if (N < 1 || K < 1)
        return mxf_fail(err, "weight shape %dx%d: both dimensions must be >= 1", N, K);
    const int nm = (N + MXF_MSQ_MAB - 1) / MXF_MSQ_MAB;
    const size_t nmab = (size_t)nm * (size_t)K;
    t->N = N, t->K = K, t->bb = p->bb, t->n_mab_per_col = nm;
    t->weights_len = mxf_msq_weight_bytes(p->bb) * nmab;
    t->weights = malloc(t->weights_len);
    t->meta = malloc(nmab * MXF_MSQ_MAX_META);
    t->meta_offset = malloc(sizeof(uint32_t) * nmab);
    if (!t->weights || !t->meta || !t->meta_offset) {
        mxf_msq_tensor_free(t);
        return mxf_fail(err, "out of memory for a %dx%d MicroScopiQ tensor", N, K);
    }
    return 0;
}

int mxf_msq_tensor_put_column(mxf_msq_tensor *t, const mxf_msq_params *p, int k, const float *w,
                              const double *saliency, float *deq, mxf_err *err)
{
    if (k != t->next_k)
        return mxf_fail(err, "column k=%d put out of order (expected %d)", k, t->next_k);
    const size_t wb = mxf_msq_weight_bytes(t->bb);
    const int nm = t->n_mab_per_col;
    mxf_msq_mab mab;
    float dq[MXF_MSQ_MAB]; /* the decoder writes whole MaBs, padding included */
    for (int m = 0; m < nm; m++) {
        int n0 = m * MXF_MSQ_MAB, nv = t->N - n0 < MXF_MSQ_MAB ? t->N - n0 : MXF_MSQ_MAB;
        if (mxf_msq_quantize_mab(p, w + n0, nv, saliency ? saliency + n0 : NULL, &mab,
                                 deq ? dq : NULL, &t->stats, err))
            return mxf_fail_prefix(err, "column k=%d, output channels %d..%d: ", k, n0,
                                   n0 + nv - 1);
        if (deq) memcpy(deq + n0, dq, sizeof(float) * (size_t)nv);
        size_t idx = (size_t)k * (size_t)nm + (size_t)m;
        t->meta_offset[idx] = (uint32_t)t->meta_len;
        mxf_msq_pack_mab(t->bb, &mab, t->weights + idx * wb, t->meta + t->meta_len);
        t->meta_len += mxf_msq_meta_bytes(&mab);
    }
    t->next_k++;
    return 0;
}

int mxf_msq_quantize_rtn(const mxf_msq_params *p, const float *W, int N, int K, mxf_msq_tensor *t,
                         float *deq, mxf_err *err)
{
    if (mxf_msq_tensor_init(t, p, N, K, err)) return -1;
    float *col = malloc(sizeof(float) * 2 * (size_t)N);
    if (!col) {
        mxf_msq_tensor_free(t);
        return mxf_fail(err, "out of memory for a %dx%d MicroScopiQ tensor", N, K);
    }
    float *dq = col + N;
    for (int k = 0; k < K; k++) {
        for (int n = 0; n < N; n++) col[n] = W[(size_t)n * (size_t)K + (size_t)k];
        if (mxf_msq_tensor_put_column(t, p, k, col, NULL, deq ? dq : NULL, err)) {
            free(col);
            mxf_msq_tensor_free(t);
            return -1;
        }
        if (deq)
            for (int n = 0; n < N; n++) deq[(size_t)n * (size_t)K + (size_t)k] = dq[n];
    }
    free(col);
    return 0;
}

void mxf_msq_tensor_free(mxf_msq_tensor *t)
{
    free(t->weights), free(t->meta), free(t->meta_offset);
    t->weights = t->meta = NULL;
    t->meta_offset = NULL;
}

double mxf_msq_ebw_paper(int bb, const mxf_msq_stats *st)
{
    if (st->mubs == 0) return 0;
    double x = (double)st->outlier_mubs / (double)st->mubs;
    double ebw_o = (24.0 + bb * MXF_MSQ_MUB + 8.0) / MXF_MSQ_MUB;
    return x * ebw_o + (1 - x) * bb;
}

double mxf_msq_ebw_full(int bb, const mxf_msq_stats *st, size_t weight_bytes, size_t meta_bytes)
{
    (void)bb;
    if (st->weights == 0) return 0;
    return 8.0 * (double)(weight_bytes + meta_bytes) / (double)st->weights;
}

int mxf_msq_meta_stats(int N, int K, const uint8_t *meta, size_t meta_len, mxf_msq_stats *st,
                       mxf_err *err)
{
    memset(st, 0, sizeof *st);
    if (N < 1 || K < 1)
        return mxf_fail(err, "weight shape %dx%d: both dimensions must be >= 1", N, K);
    const int nm = (N + MXF_MSQ_MAB - 1) / MXF_MSQ_MAB;
    size_t o = 0;
    for (int k = 0; k < K; k++)
        for (int m = 0; m < nm; m++) {
            const int nv = N - m * MXF_MSQ_MAB < MXF_MSQ_MAB ? N - m * MXF_MSQ_MAB : MXF_MSQ_MAB;
            if (o + 3 > meta_len)
                return mxf_fail(err, "metadata ends inside MaB (k=%d, m=%d) at byte %zu", k, m, o);
            const unsigned bitmap = (unsigned)meta[o + 1] | (unsigned)meta[o + 2] << 8;
            o += 3;
            for (int u = 0; u < MXF_MSQ_NMUB; u++) {
                if (u * MXF_MSQ_MUB < nv) st->mubs++;
                if (!(bitmap >> u & 1)) continue;
                if (o + 4 > meta_len)
                    return mxf_fail(err, "metadata ends inside uB %d of MaB (k=%d, m=%d)", u, k, m);
                uint32_t perm = (uint32_t)meta[o + 1] | (uint32_t)meta[o + 2] << 8 |
                                (uint32_t)meta[o + 3] << 16;
                for (int j = 0; j < MXF_MSQ_MAX_OUT; j++)
                    st->outliers += (perm >> (6 * j) & 0x3f) != 0;
                st->outlier_mubs++;
                o += 4;
            }
            st->weights += nv;
            st->mabs++;
        }
    if (o != meta_len)
        return mxf_fail(err, "metadata has %zu bytes after the last MaB", meta_len - o);
    return 0;
}
