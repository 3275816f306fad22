/* MicroScopiQ array: derived widths, the tensor -> tile mapping, the schedule with ReCoN
 * arbitration, the datapath golden model and the naive reference. See msq_golden.h and
 * README.md in this folder. */
#include "msq_golden.h"

#include <cblas.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benes.h"
#include "recon.h"

static const char *const fault_names[MXF_MSQ_FAULT_COUNT] = {
    "none",     "mul-2b",    "mul-4b", "sw-swap",  "sw-split",   "sw-sign",
    "sw-shift", "sw-mirror", "arb",    "cfg-bank", "late-valid", "noreset",
};

const char *mxf_msq_fault_name(mxf_msq_fault f)
{
    return f >= 0 && f < MXF_MSQ_FAULT_COUNT ? fault_names[f] : "?";
}

int mxf_msq_lanes(const mxf_msq_cfg *c)
{
    return c->bb == 2 ? 2 : 1;
}
int mxf_msq_ports(const mxf_msq_cfg *c)
{
    return c->cols * mxf_msq_lanes(c);
}
int mxf_msq_slices(const mxf_msq_cfg *c)
{
    return mxf_msq_ports(c) / MXF_MSQ_MUB;
}
int mxf_msq_shift_bits(const mxf_msq_cfg *c)
{
    int b = mxf_clog2(c->align + 1);
    return b < 1 ? 1 : b;
}
int mxf_msq_acc_bits(const mxf_msq_cfg *c)
{
    return MXF_MSQ_MERGEW + c->align + mxf_clog2(c->rows);
}
int mxf_msq_word_bits(const mxf_msq_cfg *c)
{
    return mxf_msq_shift_bits(c) + 2 + MXF_MSQ_CODEW;
}
int mxf_msq_units(const mxf_msq_cfg *c)
{
    return c->units == MXF_MSQ_UNITS_ROW ? c->rows : c->units;
}
int mxf_msq_rank_bits(const mxf_msq_cfg *c)
{
    return mxf_clog2(c->rows + 1);
}
int mxf_msq_cfg_bits(const mxf_msq_cfg *c)
{
    return mxf_msq_net_of(c)->cfg_bits;
}
int mxf_msq_row_bits(const mxf_msq_cfg *c)
{
    const int b = mxf_clog2(c->rows);
    return b < 1 ? 1 : b;
}
int mxf_msq_cport_tag_bits(const mxf_msq_cfg *c)
{
    const int G = mxf_msq_slices(c), per = (G + c->cports - 1) / c->cports;
    const int b = mxf_clog2(per);
    return b < 1 ? 1 : b;
}

int mxf_msq_cfg_validate(const mxf_msq_cfg *c, mxf_err *err)
{
    if (c->rows < MXF_MSQ_MIN_DIM || c->rows > MXF_MSQ_MAX_DIM)
        return mxf_fail(err, "ROWS=%d: out of range (expected %d..%d)", c->rows, MXF_MSQ_MIN_DIM,
                        MXF_MSQ_MAX_DIM);
    if (c->cols < MXF_MSQ_MIN_DIM || c->cols > MXF_MSQ_MAX_DIM)
        return mxf_fail(err, "COLS=%d: out of range (expected %d..%d)", c->cols, MXF_MSQ_MIN_DIM,
                        MXF_MSQ_MAX_DIM);
    if (c->bb != 2 && c->bb != 4) return mxf_fail(err, "BB=%d: expected 2 or 4", c->bb);
    if (mxf_msq_ports(c) % MXF_MSQ_MUB)
        return mxf_fail(err,
                        "COLS=%d: BB=%d gives %d outputs per row, not a multiple of 8 (a "
                        "micro-block of 8 outputs must lie in one PE row): use COLS a multiple "
                        "of %d",
                        c->cols, c->bb, mxf_msq_ports(c), MXF_MSQ_MUB / mxf_msq_lanes(c));
    if (c->units != MXF_MSQ_UNITS_ROW && (c->units < 1 || c->units >= c->rows))
        return mxf_fail(err, "RECON=%d: expected 1..%d shared units (ROWS=%d) or row", c->units,
                        c->rows - 1, c->rows);
    if (c->align < 0 || c->align > 15)
        return mxf_fail(err, "ALIGN=%d: out of range (expected 0..15)", c->align);
    if (c->fault == MXF_MSQ_FAULT_MUL_2B && c->bb != 2)
        return mxf_fail(err, "FAULT=mul-2b: needs BB=2");
    if (c->fault == MXF_MSQ_FAULT_MUL_4B && c->bb != 4)
        return mxf_fail(err, "FAULT=mul-4b: needs BB=4");
    if (c->net < 0 || c->net >= MXF_MSQ_NET_COUNT)
        return mxf_fail(err, "NET=%d: expected butterfly or benes", c->net);
    if ((c->fault == MXF_MSQ_FAULT_SW_SPLIT || c->fault == MXF_MSQ_FAULT_SW_MIRROR) &&
        c->net != MXF_MSQ_NET_BUTTERFLY)
        return mxf_fail(err, "FAULT=%s: needs NET=butterfly (the %s network has no such switch)",
                        mxf_msq_fault_name(c->fault), mxf_msq_net_of(c)->name);
    if (c->cports < 1 || c->cports > mxf_msq_slices(c))
        return mxf_fail(err,
                        "CPORTS=%d: expected 1..%d configuration ports (one per uB slice at "
                        "most: %d outputs per row make %d slices)",
                        c->cports, mxf_msq_slices(c), mxf_msq_ports(c), mxf_msq_slices(c));
    if (c->fault == MXF_MSQ_FAULT_ARB && c->units == MXF_MSQ_UNITS_ROW)
        return mxf_fail(err, "FAULT=arb: RECON=row has no arbiter (use RECON=1..%d)", c->rows - 1);
    return 0;
}

void mxf_msq_cfg_name(const mxf_msq_cfg *c, char *buf, size_t cap)
{
    char dims[32], u[16] = "", al[16] = "", f[40] = "", nt[16] = "", cp[16] = "";
    if (c->rows == c->cols)
        snprintf(dims, sizeof dims, "a%d", c->rows);
    else
        snprintf(dims, sizeof dims, "r%dc%d", c->rows, c->cols);
    if (c->units != MXF_MSQ_UNITS_ROW) snprintf(u, sizeof u, "-u%d", c->units);
    if (c->align != MXF_MSQ_ALIGN_DEFAULT) snprintf(al, sizeof al, "-al%d", c->align);
    if (c->net != MXF_MSQ_NET_BUTTERFLY) snprintf(nt, sizeof nt, "-%s", mxf_msq_net_of(c)->name);
    if (c->cports != 1) snprintf(cp, sizeof cp, "-cp%d", c->cports);
    if (c->fault != MXF_MSQ_FAULT_NONE) snprintf(f, sizeof f, "-f%s", mxf_msq_fault_name(c->fault));
    snprintf(buf, cap, "msq-%s-bb%d%s%s%s%s%s", dims, c->bb, u, nt, cp, al, f);
}

/* ---- the datapath ---- */
int mxf_msq_product(int a, int code, int bb)
{
    const int sign = code >> (bb - 1) & 1, mag = code & ((1 << (bb - 1)) - 1);
    return sign ? -(a * mag) : a * mag;
}

/* The network carries only {valid, sign, term} (each column's iAcc stays in place, README.md
 * "ReCoN"); output x is in[x].iacc + (term arriving at x) << osh. */
void mxf_msq_recon_eval(const uint8_t *op, int bb, int a, int osh, const mxf_msq_bundle *in,
                        int64_t *out)
{
    const int M = bb == 2 ? 2 : 4, h = M / 2;
    mxf_msq_bundle cur[8][2], nxt[8][2]; /* [switch][hi/lo output]; iacc unused */
    const mxf_msq_bundle empty = {0, 0, 0, 0};
    for (int s = 0; s < 4; s++) {
        for (int x = 0; x < 8; x++) {
            mxf_msq_bundle hi, lo;
            if (s == 0) {
                hi = (mxf_msq_bundle){in[x].v, in[x].sgn, in[x].res, 0};
                lo = empty;
            } else {
                const int d = 1 << (s - 1), base = x & ~d;
                /* switch base takes the hi outputs of base and base+d; base+d their lo outputs */
                const int lane = (x & d) ? 1 : 0;
                hi = cur[base][lane];
                lo = cur[base + d][lane];
            }
            mxf_msq_bundle oh = empty, ol = empty;
            const int o = op[8 * s + x];
            switch (o) {
            case MXF_RECON_PASS:
                oh = hi, ol = lo;
                break;
            case MXF_RECON_SWAP:
                oh = lo, ol = hi;
                break;
            case MXF_RECON_MERGE_HH:
            case MXF_RECON_MERGE_HL:
            case MXF_RECON_MERGE_LH:
            case MXF_RECON_MERGE_LL: {
                const mxf_msq_bundle U = o <= MXF_RECON_MERGE_HL ? hi : lo,
                                     L = o <= MXF_RECON_MERGE_HL ? lo : hi;
                const int64_t hid = (int64_t)(U.sgn ? -a : a) * (1 << M);
                const mxf_msq_bundle r = {1, 0, hid + U.res * (1 << h) + L.res, 0};
                if (o == MXF_RECON_MERGE_HH || o == MXF_RECON_MERGE_LH)
                    oh = r;
                else
                    ol = r;
                break;
            }
            default: { /* SPLIT_RH / SPLIT_RL: the one valid input's term to one lane, an empty
                          term (the column's own iAcc stays in place) to the other */
                const mxf_msq_bundle b = hi.v ? hi : lo, acc = {b.v, 0, 0, 0};
                if (o == MXF_RECON_SPLIT_RH)
                    oh = b, ol = acc;
                else
                    oh = acc, ol = b;
            }
            }
            nxt[x][0] = oh;
            nxt[x][1] = ol;
        }
        memcpy(cur, nxt, sizeof cur);
    }
    for (int x = 0; x < 8; x++) out[x] = in[x].iacc + cur[x][0].res * ((int64_t)1 << osh);
}

/* NET=benes: the Lower halves' products cross an 8-port Benes network (any placement routes);
 * port x's merge cell adds, where x holds an Upper half, the hidden-bit term, its own product
 * and the product that arrived (README.md "NET=benes"). */
void mxf_msq_benes_eval(const uint8_t *op, int bb, int a, int osh, const mxf_msq_bundle *in,
                        int64_t *out)
{
    const int M = bb == 2 ? 2 : 4, h = M / 2;
    int64_t v[8], arrived[8];
    for (int x = 0; x < 8; x++) v[x] = in[x].res;
    mxf_benes_apply(8, op, v, arrived);
    for (int x = 0; x < 8; x++) {
        int64_t term = 0;
        if (op[MXF_MSQ_BENES_SWITCHES + x])
            term = (int64_t)(in[x].sgn ? -a : a) * (1 << M) + in[x].res * (1 << h) + arrived[x];
        out[x] = in[x].iacc + term * ((int64_t)1 << osh);
    }
}

static int butterfly_route(int n, const int *upper, const int *lower, uint8_t *word, mxf_err *err)
{
    mxf_recon_cfg rc;
    if (mxf_recon_route(8, n, upper, lower, &rc, err)) return -1;
    mxf_recon_cfg_pack(&rc, word);
    return 0;
}
static int butterfly_decode(const uint8_t *word, uint8_t *op)
{
    mxf_recon_cfg rc;
    mxf_err e;
    if (mxf_recon_cfg_unpack(8, word, &rc, &e)) return -1;
    for (int st = 0; st < 4; st++) memcpy(op + 8 * st, rc.op[st], 8);
    return 0;
}

/* Benes word: bit k (k < 20) switch k crosses, bit 20 + x port x merges; 28 bits. Each Lower
 * half's product goes to its Upper's port; the other inputs fill the free outputs in order. */
static int benes_route(int n, const int *upper, const int *lower, uint8_t *word, mxf_err *err)
{
    int dst[8], taken[8] = {0}, used[8] = {0};
    uint8_t bits[MXF_MSQ_BENES_SWITCHES];
    uint32_t w = 0;
    if (n < 0 || n > MXF_MSQ_MAX_OUT) return mxf_fail(err, "Benes slice: %d pairs", n);
    for (int i = 0; i < n; i++) {
        if (upper[i] < 0 || upper[i] > 7 || lower[i] < 0 || lower[i] > 7 || used[upper[i]] ||
            used[lower[i]] || upper[i] == lower[i])
            return mxf_fail(err, "Benes slice: pair %d (%d <- %d) is not a placement", i, upper[i],
                            lower[i]);
        used[upper[i]] = used[lower[i]] = 1;
        dst[lower[i]] = upper[i];
        taken[upper[i]] = 1;
        w |= 1u << (MXF_MSQ_BENES_SWITCHES + upper[i]);
    }
    for (int x = 0, y = 0; x < 8; x++) {
        int is_lower = 0;
        for (int i = 0; i < n; i++) is_lower |= lower[i] == x;
        if (is_lower) continue;
        while (taken[y]) y++;
        dst[x] = y;
        taken[y] = 1;
    }
    if (mxf_benes_route(8, dst, bits, err)) return -1;
    for (int k = 0; k < MXF_MSQ_BENES_SWITCHES; k++) w |= (uint32_t)bits[k] << k;
    for (int i = 0; i < 4; i++) word[i] = (uint8_t)(w >> (8 * i));
    return 0;
}
static int benes_decode(const uint8_t *word, uint8_t *op)
{
    const uint32_t w = (uint32_t)word[0] | (uint32_t)word[1] << 8 | (uint32_t)word[2] << 16 |
                       (uint32_t)word[3] << 24;
    if (w >> (MXF_MSQ_BENES_SWITCHES + 8)) return -1;
    for (int k = 0; k < MXF_MSQ_BENES_SWITCHES + 8; k++) op[k] = w >> k & 1;
    return 0;
}

const mxf_msq_net mxf_msq_nets[MXF_MSQ_NET_COUNT] = {
    [MXF_MSQ_NET_BUTTERFLY] = {"butterfly", MXF_MSQ_CFGW, 32, "recon", butterfly_route,
                               butterfly_decode, mxf_msq_recon_eval},
    [MXF_MSQ_NET_BENES] = {"benes", MXF_MSQ_BENES_SWITCHES + 8, MXF_MSQ_BENES_SWITCHES, "any",
                           benes_route, benes_decode, mxf_msq_benes_eval},
};

const mxf_msq_net *mxf_msq_net_of(const mxf_msq_cfg *c)
{
    return &mxf_msq_nets[c->net >= 0 && c->net < MXF_MSQ_NET_COUNT ? c->net : 0];
}

/* ---- the mapping ---- */
static void free_tiles(mxf_msq_gemm *g)
{
    if (!g->tile) return;
    for (int t = 0; t < g->T; t++) {
        free(g->tile[t].pew);
        free(g->tile[t].orow);
        free(g->tile[t].cw);
        free(g->tile[t].wcyc);
        free(g->tile[t].ccyc);
    }
    free(g->tile);
    g->tile = NULL;
}

void mxf_msq_gemm_free(mxf_msq_gemm *g)
{
    free_tiles(g);
    free(g->code);
    free(g->half);
    free(g->iunit);
    free(g->ub);
    free(g->wd);
    free(g->ad);
    free(g->ulo);
    free(g->uhi);
    free(g->step_start);
    free(g->step_end);
    free(g->step_inj);
    free(g->out_cycle);
    free(g->kt0);
    memset(g, 0, sizeof *g);
}

/* Reads one MaB's structure from its packed bytes (docs/microscopiq-format.md), after the
 * format's decoder has validated them. */
static void parse_mab(int bb, const uint8_t *w, const uint8_t *meta, int *I_sf, uint8_t *code,
                      mxf_msq_ubw *ub)
{
    const int per = 8 / bb;
    for (int e = 0; e < MXF_MSQ_MAB; e++)
        code[e] = (uint8_t)(w[e / per] >> (bb * (e % per)) & ((1 << bb) - 1));
    *I_sf = meta[0] - 127;
    const unsigned bitmap = (unsigned)meta[1] | (unsigned)meta[2] << 8;
    size_t o = 3;
    for (int j = 0; j < MXF_MSQ_NMUB; j++) {
        mxf_msq_ubw *u = &ub[j];
        memset(u, 0, sizeof *u);
        if (!(bitmap >> j & 1)) continue;
        const int8_t sc = (int8_t)meta[o];
        const int L1 = bb == 2 ? sc >> 1 : sc >> 3, uX = bb == 2 ? sc & 1 : sc & 7;
        const uint32_t perm =
            (uint32_t)meta[o + 1] | (uint32_t)meta[o + 2] << 8 | (uint32_t)meta[o + 3] << 16;
        o += 4;
        for (int i = 0; i < MXF_MSQ_MAX_OUT; i++) {
            int up = perm >> (6 * i + 3) & 7, lo = perm >> (6 * i) & 7;
            if (up == lo) break;
            u->upper[u->n] = up;
            u->lower[u->n] = lo;
            u->n++;
        }
        u->ounit = L1 + uX - *I_sf - (bb == 2 ? 2 : 4);
    }
}

/* Fills g->ulo / g->uhi: per row k and N tile nt, the finest and coarsest of its non-zero
 * inlier slots' units and its outlier uBs' units. */
static void row_units(mxf_msq_gemm *g)
{
    const mxf_msq_cfg *c = &g->cfg;
    const int P = g->P, NU = g->N / 8;
    for (int k = 0; k < g->K; k++)
        for (int nt = 0; nt < g->NT; nt++) {
            int lo = INT16_MAX, hi = INT16_MIN;
            for (int p = 0; p < P; p++) {
                const int n = nt * P + p;
                if (n >= g->N) break;
                const size_t i = (size_t)k * g->N + n;
                if (!g->half[i] && (g->code[i] & ((1 << (c->bb - 1)) - 1))) {
                    if (g->iunit[i] < lo) lo = g->iunit[i];
                    if (g->iunit[i] > hi) hi = g->iunit[i];
                }
                if (p % 8 == 0 && g->ub[(size_t)k * NU + n / 8].n) {
                    const int ou = g->ub[(size_t)k * NU + n / 8].ounit;
                    if (ou < lo) lo = ou;
                    if (ou > hi) hi = ou;
                }
            }
            g->ulo[(size_t)k * g->NT + nt] = (int16_t)lo;
            g->uhi[(size_t)k * g->NT + nt] = (int16_t)hi;
        }
}

/* The units of rows ka..kb-1 of N tile nt: the finest (lo) and coarsest (hi) of its non-zero
 * inlier slots and its outlier uBs (lo = hi = 0 when it has none). */
static void range_units(const mxf_msq_gemm *g, int ka, int kb, int nt, int *plo, int *phi)
{
    int lo = INT16_MAX, hi = INT16_MIN;
    for (int k = ka; k < kb && k < g->K; k++) {
        const size_t i = (size_t)k * g->NT + nt;
        if (g->ulo[i] < lo) lo = g->ulo[i];
        if (g->uhi[i] > hi) hi = g->uhi[i];
    }
    if (lo > hi) lo = hi = 0;
    *plo = lo;
    *phi = hi;
}

/* Appends to kt0 (from index n) the K tiles of rows ka..kb-1, first cut into tiles of R rows:
 * a range whose units fit ALIGN in every N tile (or a single row) is one tile, any other is
 * split in halves, each split the same way. Returns the new count. */
static int grid_split(mxf_msq_gemm *g, int ka, int kb, int R, int n)
{
    if (kb - ka > R) {
        for (int k = ka; k < kb; k += R) n = grid_split(g, k, k + R < kb ? k + R : kb, R, n);
        return n;
    }
    int fits = 1;
    for (int nt = 0; nt < g->NT && fits && kb - ka > 1; nt++) {
        int lo, hi;
        range_units(g, ka, kb, nt, &lo, &hi);
        fits = hi - lo <= g->cfg.align;
    }
    if (fits || kb - ka == 1) {
        g->kt0[n] = ka;
        return n + 1;
    }
    const int mid = ka + (kb - ka + 1) / 2;
    return grid_split(g, mid, kb, R, grid_split(g, ka, mid, R, n));
}

/* Builds tile t (K rows kt0[kt] ..): 0, -1 on an error (a single row whose units span more than
 * ALIGN included). */
static int tile_build(mxf_msq_gemm *g, int t, mxf_err *err)
{
    const mxf_msq_cfg *c = &g->cfg;
    const int R = c->rows, C = c->cols, P = g->P, lanes = mxf_msq_lanes(c), kt = t % g->KT,
              nt = t / g->KT, NU = g->N / 8, kb = g->kt0[kt], kh = g->kt0[kt + 1] - kb;
    const mxf_msq_net *net = mxf_msq_net_of(c);
    mxf_msq_tile *tl = &g->tile[t];
    tl->pew = calloc((size_t)R * C, sizeof(uint16_t));
    tl->orow = calloc((size_t)R, 1);
    tl->cw = calloc((size_t)R * (P / 8) + 1, sizeof(mxf_msq_cfgw));
    if (!tl->pew || !tl->orow || !tl->cw) return mxf_fail(err, "out of memory for the tiles");
    /* The tile's unit: the finest of its non-zero inlier slots and its outlier uBs. */
    int lo, hi;
    range_units(g, kb, kb + kh, nt, &lo, &hi);
    if (hi - lo > c->align) {
        mxf_fail(err,
                 "K tile %d, N tile %d (%d rows): its inlier and outlier units span %d binades "
                 "(2^%d .. 2^%d), more than the array aligns (ALIGN=%d)",
                 kt, nt, kh, hi - lo, lo, hi, c->align);
        return -1;
    }
    tl->uref = lo;
    tl->max_shift = hi - lo;
    for (int r = 0; r < kh; r++) { /* rows kh..R-1 keep zero words (no product, no ReCoN) */
        const int k = kb + r;
        if (k >= g->K) break;
        for (int j = 0; j < C; j++) {
            int word = 0, sh = 0;
            for (int l = 0; l < lanes; l++) {
                const int n = nt * P + j * lanes + l;
                if (n >= g->N) continue;
                const size_t i = (size_t)k * g->N + n;
                word |= g->code[i] << (c->bb * l);
                word |= g->half[i] << (MXF_MSQ_CODEW + l);
                if (g->half[i]) tl->orow[r] = 1;
                sh = g->iunit[i] - lo; /* both lanes lie in one MaB */
            }
            if (sh < 0) sh = 0;
            if (sh > c->align) sh = c->align; /* a slot of zeros only: any shift */
            tl->pew[(size_t)r * C + j] = (uint16_t)(word | sh << (MXF_MSQ_CODEW + 2));
        }
        for (int s = 0; s < P / 8; s++) {
            const int n = nt * P + 8 * s;
            if (n >= g->N) break;
            const mxf_msq_ubw *u = &g->ub[(size_t)k * NU + n / 8];
            if (!u->n) continue;
            mxf_msq_cfgw *w = &tl->cw[tl->ncw++];
            memset(w->word, 0, sizeof w->word);
            if (net->route_ub(u->n, u->upper, u->lower, w->word, err))
                return mxf_fail_prefix(err, "k=%d outputs %d..%d: ", k, n, n + 7);
            w->row = r;
            w->g = s;
            w->osh = u->ounit - lo;
        }
    }
    /* by port (slice g % cports), each port's words keeping their row order */
    const int K = c->cports;
    mxf_msq_cfgw *byp = malloc(sizeof(mxf_msq_cfgw) * (size_t)(tl->ncw + 1));
    tl->wcyc = malloc(sizeof(int64_t) * (size_t)R);
    tl->ccyc = malloc(sizeof(int64_t) * (size_t)(tl->ncw + 1));
    if (!byp || !tl->wcyc || !tl->ccyc) {
        free(byp);
        return mxf_fail(err, "out of memory for the tiles");
    }
    int pos[MXF_MSQ_MAX_CPORTS + 1] = {0}; /* a counting sort: one pass to count, one to place */
    for (int i = 0; i < tl->ncw; i++) pos[tl->cw[i].g % K + 1]++;
    for (int j = 0; j < K; j++) pos[j + 1] += pos[j];
    memcpy(tl->cwo, pos, sizeof(int) * (size_t)(K + 1));
    for (int i = 0; i < tl->ncw; i++) byp[pos[tl->cw[i].g % K]++] = tl->cw[i];
    free(tl->cw);
    tl->cw = byp;
    return 0;
}

/* ---- the schedule ---- */
/* One load channel (word rows on w_*, or configuration port j of c_*, the words of slices g
 * with g % CPORTS == j): writes its tiles' items in order, one per cycle, each on the first cycle
 * its row of the bank is free (rule 4: row r of a bank, from the last cycle of step q + 1 + r, q
 * the step that sampled the last activation row of the tile that used the bank before). Ports
 * run independently of each other and of w_*. */
typedef struct loader {
    int port;     /* -1: word rows; else the configuration port */
    int t, i;     /* the next item: tile, index among the tile's items of this channel */
    int64_t last; /* the cycle of its last write */
} loader;

/* The number of items tile t has for channel ld. */
static int items(const mxf_msq_gemm *g, const loader *ld, int t)
{
    const mxf_msq_tile *tl = &g->tile[t];
    return ld->port < 0 ? g->cfg.rows : tl->cwo[ld->port + 1] - tl->cwo[ld->port];
}

/* The cycle row r of tile t's bank is free from, or -1 if not known by the end of step s. */
static int64_t row_free(const mxf_msq_gemm *g, const int64_t *last_inj, int t, int r, int64_t s)
{
    if (t < 2) return 0;
    const int64_t q = last_inj[t - 2];
    if (q < 0 || q + 1 + r > s) return -1;
    return g->step_end[q + 1 + r];
}

/* Writes what the channel may on cycles [c0, c1] of step s. */
static void load_cycles(mxf_msq_gemm *g, loader *ld, const int64_t *last_inj, int64_t s, int64_t c0,
                        int64_t c1)
{
    for (int64_t x = c0 > ld->last + 1 ? c0 : ld->last + 1; x <= c1 && ld->t < g->T;) {
        mxf_msq_tile *tl = &g->tile[ld->t];
        if (ld->i >= items(g, ld, ld->t)) { /* this tile's items are written: the next tile */
            ld->t++;
            ld->i = 0;
            continue;
        }
        const int w = ld->port < 0 ? 0 : tl->cwo[ld->port] + ld->i; /* the word, in cw */
        const int row = ld->port < 0 ? ld->i : tl->cw[w].row;
        const int64_t f = row_free(g, last_inj, ld->t, row, s);
        if (f < 0) break; /* not free before this step ends */
        if (f > x) x = f;
        if (x > c1) break;
        if (ld->port < 0)
            tl->wcyc[ld->i] = x;
        else
            tl->ccyc[w] = x;
        ld->i++;
        ld->last = x++;
    }
    /* a finished tile (its last item written) moves the channel on even without another cycle */
    while (ld->t < g->T && ld->i >= items(g, ld, ld->t)) {
        ld->t++;
        ld->i = 0;
    }
}

static int plan(mxf_msq_gemm *g, mxf_err *err)
{
    const mxf_msq_cfg *c = &g->cfg;
    const int R = c->rows, U = mxf_msq_units(c), T = g->T, M = g->M;
    const int64_t ntok = (int64_t)T * M;
    int64_t cap = ntok + 64;
    g->out_cycle = malloc(sizeof(int64_t) * (size_t)ntok);
    int64_t *last_inj = malloc(sizeof(int64_t) * (size_t)T); /* step sampling t's last token */
    if (!g->out_cycle || !last_inj) {
        free(last_inj);
        return mxf_fail(err, "out of memory for the schedule");
    }
    for (int t = 0; t < T; t++) last_inj[t] = -1;
    const int K = c->cports;
    loader lw = {-1, 0, 0, -1}, lc[MXF_MSQ_MAX_CPORTS];
    for (int j = 0; j < K; j++) lc[j] = (loader){j, 0, 0, -1};
    int64_t next_tok = 0, outs = 0, last_out = -1;
    int64_t s = 0, cyc = 0;
    g->stall_cycles = g->recon_requests = g->busy_steps = 0;
    for (;; s++) {
        if (s + 1 >= cap) {
            cap *= 2;
            int64_t *a = realloc(g->step_start, sizeof(int64_t) * (size_t)cap);
            if (a) g->step_start = a;
            int64_t *b = realloc(g->step_end, sizeof(int64_t) * (size_t)cap);
            if (b) g->step_end = b;
            int32_t *d = realloc(g->step_inj, sizeof(int32_t) * (size_t)cap);
            if (d) g->step_inj = d;
            if (!a || !b || !d) {
                free(last_inj);
                return mxf_fail(err, "out of memory for the schedule");
            }
        }
        /* requests: row r holds the token sampled at the end of step s - 1 - r */
        int m = 0;
        for (int r = 0; r < R; r++) {
            const int64_t q = s - 1 - r;
            if (q < 0) break;
            const int32_t tok = g->step_inj[q];
            if (tok >= 0 && g->tile[tok / M].orow[r]) m++;
        }
        const int L = c->units == MXF_MSQ_UNITS_ROW || m == 0 ? 1 : (m + U - 1) / U;
        g->recon_requests += m;
        g->stall_cycles += L - 1;
        g->step_start[s] = cyc;
        g->step_end[s] = cyc + L - 1;
        /* the output of the token sampled at step s - R */
        if (s >= R && g->step_inj[s - R] >= 0) {
            const int32_t tok = g->step_inj[s - R];
            g->out_cycle[tok] = cyc;
            last_out = cyc;
            outs++;
        }
        /* loads on this step's cycles: tiles 0 and 1 from cycle 0, each row of a later tile
           as soon as the tile two before it has finished with that row of the bank */
        load_cycles(g, &lw, last_inj, s, cyc, cyc + L - 1);
        int ct = g->T; /* the first tile some configuration port has not finished */
        for (int j = 0; j < K; j++) {
            load_cycles(g, &lc[j], last_inj, s, cyc, cyc + L - 1);
            if (lc[j].t < ct) ct = lc[j].t;
        }
        /* sample the next token at the step's last cycle if its tile is loaded */
        int32_t inj = -1;
        if (next_tok < ntok) {
            const int t = (int)(next_tok / M);
            if (t < lw.t && t < ct) {
                mxf_msq_tile *tl = &g->tile[t];
                int64_t ready = tl->wcyc[R - 1];
                for (int j = 0; j < K; j++) /* each port writes its words in cycle order */
                    if (tl->cwo[j + 1] > tl->cwo[j] && tl->ccyc[tl->cwo[j + 1] - 1] > ready)
                        ready = tl->ccyc[tl->cwo[j + 1] - 1];
                tl->ready = ready;
                if (ready <= g->step_end[s]) {
                    inj = (int32_t)next_tok++;
                    g->busy_steps++;
                    if (inj % M == M - 1) last_inj[t] = s;
                }
            }
        }
        g->step_inj[s] = inj;
        cyc += L;
        if (outs == ntok) break;
        if (s > 4 * (ntok + (int64_t)T * (R + 8) * 4 + R * 4) + 1000) {
            free(last_inj);
            return mxf_fail(err, "schedule does not terminate (internal)");
        }
    }
    g->n_steps = s + 1;
    g->total = last_out + 1;
    free(last_inj);
    return 0;
}

int64_t mxf_msq_output_cycle(const mxf_msq_gemm *g, int tile, int m)
{
    return g->out_cycle[(int64_t)tile * g->M + m];
}

int mxf_msq_gemm_init(mxf_msq_gemm *g, const mxf_msq_cfg *cfg, const mxf_qtensor *q, int64_t n0,
                      int Nw, int64_t k0, int K, int M, const int8_t *A, mxf_err *err)
{
    memset(g, 0, sizeof *g);
    g->cfg = *cfg;
    if (q->fmt.family != MXF_QF_MSQ) {
        char name[64];
        mxf_qformat_name(&q->fmt, name, sizeof name);
        return mxf_fail(err,
                        "format %s is not MicroScopiQ (the microscopiq array runs "
                        "microscopiq2/microscopiq4 images)",
                        name);
    }
    const int bb = q->fmt.msq.bb;
    if (bb != cfg->bb)
        return mxf_fail(err, "a microscopiq%d tensor on a BB=%d array (build it with BB=%d)", bb,
                        cfg->bb, bb);
    if (n0 % 8 || M < 1 || K < 1 || Nw < 1 || k0 < 0 || k0 + K > q->cols)
        return mxf_fail(err, "window rows %lld+%d cols %lld+%d does not fit the tensor (%lldx%lld)",
                        (long long)n0, Nw, (long long)k0, K, (long long)q->rows,
                        (long long)q->cols);
    const int64_t nmab = (q->rows + MXF_MSQ_MAB - 1) / MXF_MSQ_MAB;
    const int N = (Nw + 7) / 8 * 8;
    if (n0 + N > nmab * MXF_MSQ_MAB) return mxf_fail(err, "window rows beyond the tensor");
    g->M = M, g->K = K, g->N = N, g->A = A, g->P = mxf_msq_ports(cfg);
    g->NT = (N + g->P - 1) / g->P;
    const size_t KN = (size_t)K * N;
    g->code = malloc(KN);
    g->half = calloc(KN, 1);
    g->iunit = malloc(sizeof(int16_t) * KN);
    g->ub = calloc((size_t)K * (N / 8), sizeof(mxf_msq_ubw));
    g->wd = malloc(sizeof(double) * KN);
    g->kt0 = malloc(sizeof(int) * ((size_t)K + 1));
    g->ad = malloc(sizeof(double) * (size_t)M * (size_t)K);
    if (!g->code || !g->half || !g->iunit || !g->ub || !g->wd || !g->kt0 || !g->ad) {
        mxf_msq_gemm_free(g);
        return mxf_fail(err, "out of memory for a %dx%d window", N, K);
    }
    for (size_t i = 0; i < (size_t)M * K; i++) g->ad[i] = A[i];
    /* Walk the metadata stream (k-major, MaB-minor), decoding the MaBs the window covers. */
    const size_t wbytes = mxf_msq_weight_bytes(bb);
    size_t off = 0;
    float deq[MXF_MSQ_MAB];
    uint8_t code[MXF_MSQ_MAB];
    mxf_msq_ubw ub[MXF_MSQ_NMUB];
    for (int64_t k = 0; k < k0 + K; k++)
        for (int64_t mb = 0; mb < nmab; mb++) {
            const int64_t idx = k * nmab + mb;
            size_t used = 0;
            if ((size_t)(idx + 1) * wbytes > q->codes_len)
                return mxf_msq_gemm_free(g), mxf_fail(err, "weights section too short");
            if (mxf_msq_unpack_mab(bb, q->codes + idx * wbytes, q->meta + off, q->meta_len - off,
                                   &used, deq, err)) {
                mxf_msq_gemm_free(g);
                return mxf_fail_prefix(err, "k=%lld MaB %lld: ", (long long)k, (long long)mb);
            }
            const int64_t lo = mb * MXF_MSQ_MAB, hi = lo + MXF_MSQ_MAB;
            if (k >= k0 && hi > n0 && lo < n0 + N) {
                int I_sf;
                parse_mab(bb, q->codes + idx * wbytes, q->meta + off, &I_sf, code, ub);
                const int kk = (int)(k - k0);
                for (int e = 0; e < MXF_MSQ_MAB; e++) {
                    const int64_t n = lo + e - n0;
                    if (n < 0 || n >= N) continue;
                    const size_t i = (size_t)kk * N + (size_t)n;
                    g->code[i] = code[e];
                    g->iunit[i] = (int16_t)(I_sf - (bb - 2));
                    g->wd[i] = deq[e];
                }
                for (int j = 0; j < MXF_MSQ_NMUB; j++) {
                    const int64_t n = lo + 8 * j - n0;
                    if (n < 0 || n >= N) continue;
                    g->ub[(size_t)kk * (N / 8) + (size_t)n / 8] = ub[j];
                    for (int i = 0; i < ub[j].n; i++) {
                        g->half[(size_t)kk * N + (size_t)n + ub[j].upper[i]] = 1;
                        g->half[(size_t)kk * N + (size_t)n + ub[j].lower[i]] = 1;
                    }
                }
            }
            off += used;
        }
    /* The K grid: tiles of R rows, except that a range of rows whose units span more than ALIGN
       in some N tile is split in halves (R/2, R/4, ... down to 1), each half on its own */
    g->ulo = malloc(sizeof(int16_t) * ((size_t)K * g->NT + 1));
    g->uhi = malloc(sizeof(int16_t) * ((size_t)K * g->NT + 1));
    if (!g->ulo || !g->uhi) {
        mxf_msq_gemm_free(g);
        return mxf_fail(err, "out of memory for the units");
    }
    row_units(g);
    g->KT = grid_split(g, 0, K, cfg->rows, 0);
    g->kt0[g->KT] = K;
    g->T = g->KT * g->NT;
    g->tile = calloc((size_t)g->T, sizeof(mxf_msq_tile));
    const size_t steps = (size_t)(g->T * (int64_t)M + 64); /* plan() grows them from there */
    g->step_start = malloc(sizeof(int64_t) * steps);
    g->step_end = malloc(sizeof(int64_t) * steps);
    g->step_inj = malloc(sizeof(int32_t) * steps);
    if (!g->tile || !g->step_start || !g->step_end || !g->step_inj) {
        mxf_msq_gemm_free(g);
        return mxf_fail(err, "out of memory for the tiles");
    }
    for (int t = 0; t < g->T; t++)
        if (tile_build(g, t, err)) {
            mxf_msq_gemm_free(g);
            return -1;
        }
    if (plan(g, err)) {
        mxf_msq_gemm_free(g);
        return -1;
    }
    return 0;
}

/* ---- stimulus ---- */
void mxf_msq_stim_at(const mxf_msq_gemm *g, mxf_msq_cursor *cur, int64_t cycle, mxf_msq_stim *s)
{
    const mxf_msq_cfg *c = &g->cfg;
    memset(s, 0, sizeof *s);
    while (cur->step < g->n_steps && g->step_end[cur->step] < cycle) cur->step++;
    if (cur->step < g->n_steps && g->step_end[cur->step] == cycle && g->step_inj[cur->step] >= 0) {
        const int32_t tok = g->step_inj[cur->step];
        const int t = tok / g->M, m = tok % g->M, kt = t % g->KT;
        s->act_valid = 1;
        s->act_bank = t & 1;
        for (int r = 0; r < c->rows; r++) {
            const int k = g->kt0[kt] + r;
            s->act[r] = k < g->kt0[kt + 1] ? g->A[(size_t)m * g->K + k] : 0;
        }
    }
    /* word rows: the next one not written before this cycle */
    while (cur->wt < g->T && g->tile[cur->wt].wcyc[cur->wr] < cycle)
        if (++cur->wr == c->rows) cur->wt++, cur->wr = 0;
    if (cur->wt < g->T && g->tile[cur->wt].wcyc[cur->wr] == cycle) {
        const mxf_msq_tile *tl = &g->tile[cur->wt];
        s->w_valid = 1;
        s->w_bank = cur->wt & 1;
        s->w_row = cur->wr;
        s->w_tile = cur->wt;
        s->w = tl->pew + (size_t)cur->wr * c->cols;
    }
    for (int j = 0; j < c->cports; j++) { /* configuration port j (a tile may have no word) */
        int *ct = &cur->ct[j], *ci = &cur->ci[j];
        for (;;) {
            while (*ct < g->T && *ci >= g->tile[*ct].cwo[j + 1] - g->tile[*ct].cwo[j])
                ++*ct, *ci = 0;
            if (*ct >= g->T || g->tile[*ct].ccyc[g->tile[*ct].cwo[j] + *ci] >= cycle) break;
            ++*ci;
        }
        if (*ct < g->T && g->tile[*ct].ccyc[g->tile[*ct].cwo[j] + *ci] == cycle) {
            const mxf_msq_tile *tl = &g->tile[*ct];
            s->c_valid[j] = 1;
            s->c_bank[j] = *ct & 1;
            s->c_tile[j] = *ct;
            s->c[j] = &tl->cw[tl->cwo[j] + *ci];
        }
    }
}

/* ---- values ---- */
int mxf_msq_tile_golden(const mxf_msq_gemm *g, int t, int64_t *out)
{
    const mxf_msq_cfg *c = &g->cfg;
    const int R = c->rows, C = c->cols, P = g->P, lanes = mxf_msq_lanes(c), kt = t % g->KT;
    const mxf_msq_tile *tl = &g->tile[t];
    const int SHW = mxf_msq_shift_bits(c);
    mxf_msq_bundle b[2 * MXF_MSQ_MAX_DIM];
    /* the tile's ReCoN configurations by (row, slice), unpacked once for every token: ops of
       switch (stage, port), the outlier-unit shift, and whether the slice holds a half */
    const int G = P / 8;
    const mxf_msq_net *net = mxf_msq_net_of(c);
    uint8_t(*ops)[MXF_MSQ_NET_OPS] = calloc((size_t)R * G, sizeof *ops);
    int *osh = calloc((size_t)R * G, sizeof(int)), *busy = calloc((size_t)R * G, sizeof(int));
    /* each lane's word decoded once for every token: an inlier's signed weight times 2^shift
       (its aligned product is a * wv), a half's signed weight (its raw product), and its sign */
    int64_t *wv = malloc(sizeof(int64_t) * (size_t)R * P),
            *E = malloc(sizeof(int64_t) * (size_t)R * P);
    uint8_t *hf = malloc((size_t)R * P), *sg = malloc((size_t)R * P);
    if (!ops || !osh || !busy || !wv || !E || !hf || !sg) {
        free(ops);
        free(osh);
        free(busy);
        free(wv);
        free(E);
        free(hf);
        free(sg);
        return -1;
    }
    for (int i = 0; i < tl->ncw; i++) {
        const int rs = tl->cw[i].row * G + tl->cw[i].g;
        if (net->decode(tl->cw[i].word, ops[rs])) /* does not unpack: every switch idle */
            memset(ops[rs], 0, sizeof ops[rs]);
        osh[rs] = tl->cw[i].osh;
    }
    for (int r = 0; r < R; r++)
        for (int j = 0; j < C; j++) {
            const int w = tl->pew[(size_t)r * C + j];
            const int sh = w >> (MXF_MSQ_CODEW + 2) & ((1 << SHW) - 1);
            for (int l = 0; l < lanes; l++) {
                const size_t i = (size_t)r * P + (size_t)j * lanes + l;
                const int code = w >> (c->bb * l) & ((1 << c->bb) - 1);
                hf[i] = (uint8_t)(w >> (MXF_MSQ_CODEW + l) & 1);
                sg[i] = (uint8_t)(code >> (c->bb - 1));
                wv[i] = (int64_t)mxf_msq_product(1, code, c->bb) * (hf[i] ? 1 : (int64_t)1 << sh);
                busy[r * G + (j * lanes + l) / 8] |= hf[i];
            }
        }
    /* Every value the row's PEs and its ReCoN slices produce is an integer-linear function of the
       row's activation a: inlier lanes add a * wv, a half's product is a * wv, a merge adds
       (+-a << M) + (U << M/2) + L, a split and a pass only move terms, and a half's lane adds
       the term that arrived at its port shifted by osh (an inlier lane adds its own product
       and nothing from ReCoN). So row r adds a * E[r][p] to output p, with E[r][p] read off the
       network evaluated once with a = 1 (exact in int64; README.md "Golden model"). */
    for (int r = 0; r < R; r++) {
        int64_t *er = E + (size_t)r * P;
        const int64_t *wr = wv + (size_t)r * P;
        const uint8_t *hr = hf + (size_t)r * P, *sr = sg + (size_t)r * P;
        for (int p = 0; p < P; p++) er[p] = hr[p] ? 0 : wr[p];
        if (!tl->orow[r]) continue;
        for (int sl = 0; sl < G; sl++) {
            if (!busy[r * G + sl]) continue;
            int64_t te[8];
            for (int p = 8 * sl; p < 8 * sl + 8; p++)
                b[p] = hr[p] ? (mxf_msq_bundle){1, sr[p], wr[p], 0} : (mxf_msq_bundle){1, 0, 0, 0};
            net->eval(ops[r * G + sl], c->bb, 1, osh[r * G + sl], b + 8 * sl, te);
            for (int x = 0; x < 8; x++)
                if (hr[8 * sl + x]) er[8 * sl + x] = te[x];
        }
    }
    /* out = A_tile E, one double GEMM through the BLAS: every product and partial sum is an
       integer below 2^53 (|E| <= 3968 2^ALIGN, |a| <= 128, at most 128 rows), so the result is
       exact in any summation order (README.md "Golden model"). Rows kh..R-1 hold no K row. */
    const int kh = g->kt0[kt + 1] - g->kt0[kt] < R ? g->kt0[kt + 1] - g->kt0[kt] : R;
    double *ed = malloc(sizeof(double) * (size_t)(kh > 0 ? kh : 1) * P),
           *od = malloc(sizeof(double) * (size_t)g->M * P);
    const int rc = ed && od ? 0 : -1;
    if (!rc) {
        for (size_t i = 0; i < (size_t)kh * P; i++) ed[i] = (double)E[i];
        if (kh > 0)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->M, P, kh, 1.0,
                        g->ad + g->kt0[kt], g->K, ed, P, 0.0, od, P);
        else
            memset(od, 0, sizeof(double) * (size_t)g->M * P);
        for (size_t i = 0; i < (size_t)g->M * P; i++) out[i] = (int64_t)od[i];
    }
    free(ed);
    free(od);
    free(wv);
    free(E);
    free(hf);
    free(sg);
    free(ops);
    free(osh);
    free(busy);
    return rc;
}

int mxf_msq_gemm_naive(const mxf_msq_gemm *g, int64_t *Y)
{
    /* Y[m][n] = sum over K tiles of (sum_k A[m][k] wd[k][n]) / 2^uref: one double GEMM per K
       tile (the BLAS). Exact in any order of the sums: every product is an integer multiple of
       the tile's 2^uref and every partial sum stays far below 2^53 of them. */
    const int N = g->N, M = g->M, K = g->K;
    double *s = malloc(sizeof(double) * (size_t)M * (size_t)(N > 0 ? N : 1));
    if (!s) return -1;
    memset(Y, 0, sizeof(int64_t) * (size_t)M * N);
    for (int kt = 0; kt < g->KT; kt++) {
        const int k0 = g->kt0[kt], kh = g->kt0[kt + 1] - k0;
        if (kh <= 0 || N <= 0 || M <= 0) continue;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, kh, 1.0, g->ad + k0, K,
                    g->wd + (size_t)k0 * N, N, 0.0, s, N);
        for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++)
                Y[(size_t)m * N + n] +=
                    (int64_t)ldexp(s[(size_t)m * N + n], -g->tile[(n / g->P) * g->KT + kt].uref);
    }
    free(s);
    return 0;
}

static int tile_golden_cb(const void *g, int tile, int64_t *out)
{
    return mxf_msq_tile_golden(g, tile, out);
}
static int64_t output_cycle_cb(const void *g, int tile, int m)
{
    return mxf_msq_output_cycle(g, tile, m);
}
static int naive_cb(const void *g, int64_t *Y)
{
    return mxf_msq_gemm_naive(g, Y);
}

int mxf_msq_checker_init(mxf_tile_checker *k, const mxf_msq_gemm *g, uint64_t seed, mxf_err *err)
{
    const mxf_tile_plan p = {
        g, g->M, g->N, g->P, g->KT, g->T, tile_golden_cb, output_cycle_cb, naive_cb};
    return mxf_tile_checker_init(k, &p, seed, err);
}
