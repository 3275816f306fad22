/* ReCoN router (see recon.h and docs/recon.md).
 *
 * In this butterfly a value travelling from column src to column dst sits, at stage s, in
 * switch pos_s = (dst bits 0..s-1) | (src bits s..), enters it on port bit (s-1) of src (stage 0:
 * the hi port) and leaves on lane bit s of dst (last stage: hi). A pair (u, l) therefore splits
 * l's bundle at stage lsb(u ^ l) (the first stage where the two destinations part) and merges at
 * stage msb(u ^ l) + 1 in switch u. The router lays every path down as claims on switch ports and
 * output lanes; two claims on one port or lane make the placement unroutable. */
#include "recon.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_NONE = 0, K_ROUTE, K_MERGE, K_SPLIT };
enum { T_COL = 0, T_UPPER, T_MERGED, T_BUNDLE, T_RES, T_IACC };

typedef struct claim {
    int8_t type;   /* T_*, -1 = free */
    int16_t col;   /* the column the claimant belongs to (its source) */
    int16_t other; /* paired column for pair members */
} claim;

typedef struct swc {
    int8_t kind;
    int8_t lane_of_port[2];       /* K_ROUTE: output lane of the value on each port, -1 none */
    int8_t merge_uport, out_lane; /* K_MERGE: Upper's port, result lane; K_SPLIT: Res lane */
    int8_t split_port;
    claim port[2], lane[2];
} swc;

typedef struct router {
    int W, L; /* width, exchange stages (stages = L + 1) */
    swc *sw;  /* [(L + 1) * W] */
    mxf_err *err;
} router;

static int ilog2(int w)
{
    int l = 0;
    while ((1 << l) < w) l++;
    return l;
}

static int is_pow2(int w)
{
    return w > 0 && (w & (w - 1)) == 0;
}

static swc *at(router *r, int s, int x)
{
    return &r->sw[(size_t)s * r->W + x];
}

static void describe(const claim *c, char *buf, size_t cap)
{
    static const char *const what[] = {"column %d's pass-through",    "Upper half of column %d",
                                       "merged result for column %d", "bundle of column %d",
                                       "Lower half from column %d",   "iAcc of pruned column %d"};
    char tmp[96];
    snprintf(tmp, sizeof tmp, what[c->type], c->col);
    if (c->type == T_RES)
        snprintf(buf, cap, "%s (to %d)", tmp, c->other);
    else
        snprintf(buf, cap, "%s", tmp);
}

static int conflict(router *r, int s, int x, const char *what, const claim *a, const claim *b)
{
    if (!r->err) return MXF_RECON_UNROUTABLE; /* predicate use: no message wanted */
    char da[128], db[128];
    describe(a, da, sizeof da);
    describe(b, db, sizeof db);
    mxf_fail(r->err, "ReCoN W=%d: %s and %s both need stage %d switch %d's %s", r->W, da, db, s, x,
             what);
    return MXF_RECON_UNROUTABLE;
}

static int take_port(router *r, int s, int x, int p, claim c)
{
    swc *w = at(r, s, x);
    if (w->port[p].type >= 0)
        return conflict(r, s, x, p ? "lo input" : "hi input", &w->port[p], &c);
    w->port[p] = c;
    return 0;
}

static int take_lane(router *r, int s, int x, int q, claim c)
{
    swc *w = at(r, s, x);
    if (w->lane[q].type >= 0)
        return conflict(r, s, x, q ? "lo output" : "hi output", &w->lane[q], &c);
    w->lane[q] = c;
    return 0;
}

static int bit(int v, int b)
{
    return (v >> b) & 1;
}

/* Lane leaving stage s for a value heading to dst. */
static int lane_to(const router *r, int s, int dst)
{
    return s == r->L ? 0 : bit(dst, s);
}
/* Port entering stage s for a value that came from src. */
static int port_from(int s, int src)
{
    return s == 0 ? 0 : bit(src, s - 1);
}
static int pos(int s, int src, int dst)
{
    int lowmask = (1 << s) - 1;
    return (dst & lowmask) | (src & ~lowmask);
}

/* Plain routed hop: the value enters (s, x) on port p and leaves on lane q. */
static int hop(router *r, int s, int x, int p, int q, claim c)
{
    swc *w = at(r, s, x);
    if (w->kind != K_NONE && w->kind != K_ROUTE) {
        claim busy = w->port[0].type >= 0 ? w->port[0] : w->port[1];
        return conflict(r, s, x, "operation", &busy, &c);
    }
    int rc = take_port(r, s, x, p, c);
    if (!rc) rc = take_lane(r, s, x, q, c);
    if (rc) return rc;
    w->kind = K_ROUTE;
    w->lane_of_port[p] = (int8_t)q;
    return 0;
}

/* Route a value src -> dst over stages [s0, s1]. */
static int path(router *r, int src, int dst, int s0, int s1, claim c)
{
    for (int s = s0; s <= s1; s++) {
        int rc = hop(r, s, pos(s, src, dst), port_from(s, src), lane_to(r, s, dst), c);
        if (rc) return rc;
    }
    return 0;
}

static int exclusive(router *r, int s, int x, claim c)
{
    swc *w = at(r, s, x);
    if (w->kind != K_NONE) {
        claim busy = w->port[0].type >= 0 ? w->port[0] : w->port[1];
        return conflict(r, s, x, "operation", &busy, &c);
    }
    return 0;
}

static int route_pair(router *r, int u, int l)
{
    const int x = u ^ l;
    int t = 0, hb = 0;
    while (!bit(x, t)) t++;
    for (int b = 0; b < 31; b++)
        if (bit(x, b)) hb = b;
    const int m = hb + 1; /* merge stage */
    claim cu = {T_UPPER, (int16_t)u, (int16_t)l}, cm = {T_MERGED, (int16_t)u, (int16_t)l};
    claim cb = {T_BUNDLE, (int16_t)l, (int16_t)u}, cr = {T_RES, (int16_t)l, (int16_t)u};
    claim ca = {T_IACC, (int16_t)l, (int16_t)u};
    int rc;
    /* Upper bundle: own column up to the merge. */
    if ((rc = path(r, u, u, 0, m - 1, cu))) return rc;
    /* Lower bundle: own column up to the split at stage t. */
    if ((rc = path(r, l, l, 0, t - 1, cb))) return rc;
    /* Split at (t, l): Res leaves toward u, iAcc toward l. */
    if ((rc = exclusive(r, t, l, cb))) return rc;
    if ((rc = take_port(r, t, l, port_from(t, l), cb))) return rc;
    if ((rc = take_lane(r, t, l, lane_to(r, t, u), cr))) return rc;
    if ((rc = take_lane(r, t, l, lane_to(r, t, l), ca))) return rc;
    swc *w = at(r, t, l);
    w->kind = K_SPLIT;
    w->split_port = (int8_t)port_from(t, l);
    w->out_lane = (int8_t)lane_to(r, t, u);
    /* iAcc: on to l. Res: toward u until the merge. */
    if ((rc = path(r, l, l, t + 1, r->L, ca))) return rc;
    if ((rc = path(r, l, u, t + 1, m - 1, cr))) return rc;
    /* Merge at (m, u). */
    if ((rc = exclusive(r, m, u, cu))) return rc;
    if ((rc = take_port(r, m, u, port_from(m, u), cu))) return rc;
    if ((rc = take_port(r, m, u, port_from(m, l), cr))) return rc;
    if ((rc = take_lane(r, m, u, lane_to(r, m, u), cm))) return rc;
    w = at(r, m, u);
    w->kind = K_MERGE;
    w->merge_uport = (int8_t)port_from(m, u);
    w->out_lane = (int8_t)lane_to(r, m, u);
    /* Merged value: on to u. */
    return path(r, u, u, m + 1, r->L, cm);
}

static int check_args(int width, int n, const int *upper, const int *lower, mxf_err *err)
{
    if (!is_pow2(width) || width < 2 || width > MXF_RECON_MAX_WIDTH)
        return mxf_fail(err,
                        "ReCoN: width %d is not a power of two in [2, %d] (an array of C columns "
                        "uses mxf_recon_width_for(C) ports)",
                        width, MXF_RECON_MAX_WIDTH);
    if (n < 0 || n > width / 2)
        return mxf_fail(err, "ReCoN W=%d: %d pairs (at most %d)", width, n, width / 2);
    if (n > 0 && (!upper || !lower)) return mxf_fail(err, "ReCoN: missing pair lists");
    for (int i = 0; i < n; i++) {
        if (upper[i] < 0 || upper[i] >= width || lower[i] < 0 || lower[i] >= width)
            return mxf_fail(err, "ReCoN W=%d: pair %d (%d <- %d) outside the columns", width, i,
                            upper[i], lower[i]);
        if (upper[i] == lower[i])
            return mxf_fail(err, "ReCoN W=%d: pair %d has Upper == Lower == %d", width, i,
                            upper[i]);
        for (int j = 0; j < i; j++)
            if (upper[j] == upper[i] || upper[j] == lower[i] || lower[j] == upper[i] ||
                lower[j] == lower[i])
                return mxf_fail(err, "ReCoN W=%d: pairs %d and %d share a column", width, j, i);
    }
    return 0;
}

#define IDENT_ALL (-1)
#define IDENT_NONE (-2)

/* The router proper. ident: which unpaired columns get their pass-through path (IDENT_ALL, as
 * the network needs; IDENT_NONE or one column: used to tabulate pairwise conflicts). */
static int route_masked(int width, int n, const int *upper, const int *lower, int ident,
                        mxf_recon_cfg *cfg, mxf_err *err)
{
    router r = {width, ilog2(width), NULL, err};
    const size_t nsw = (size_t)(r.L + 1) * width;
    /* The packer asks about uBs of 8 millions of times: small networks live on the stack. */
    swc small[5 * 16];
    r.sw = nsw <= sizeof small / sizeof small[0] ? small : malloc(nsw * sizeof *r.sw);
    if (!r.sw) return mxf_fail(err, "ReCoN: out of memory");
    for (size_t i = 0; i < nsw; i++) {
        swc *w = &r.sw[i];
        memset(w, 0, sizeof *w);
        w->port[0].type = w->port[1].type = w->lane[0].type = w->lane[1].type = -1;
        w->lane_of_port[0] = w->lane_of_port[1] = -1;
    }
    unsigned char paired[MXF_RECON_MAX_WIDTH] = {0};
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        paired[upper[i]] = paired[lower[i]] = 1;
        rc = route_pair(&r, upper[i], lower[i]);
    }
    for (int c = 0; c < width && !rc; c++)
        if (!paired[c] && (ident == IDENT_ALL || ident == c))
            rc = path(&r, c, c, 0, r.L, (claim){T_COL, (int16_t)c, -1});
    if (!rc && cfg) {
        memset(cfg, 0, sizeof *cfg);
        cfg->width = width;
        cfg->stages = r.L + 1;
        for (int s = 0; s <= r.L; s++)
            for (int x = 0; x < width; x++) {
                const swc *w = at(&r, s, x);
                uint8_t op = MXF_RECON_PASS;
                if (w->kind == K_ROUTE) {
                    /* One or two values; they agree on pass vs swap (distinct lanes). */
                    int p = w->lane_of_port[0] >= 0 ? 0 : 1;
                    op = w->lane_of_port[p] == p ? MXF_RECON_PASS : MXF_RECON_SWAP;
                } else if (w->kind == K_MERGE) {
                    op = w->merge_uport == 0
                             ? (w->out_lane == 0 ? MXF_RECON_MERGE_HH : MXF_RECON_MERGE_HL)
                             : (w->out_lane == 0 ? MXF_RECON_MERGE_LH : MXF_RECON_MERGE_LL);
                } else if (w->kind == K_SPLIT) {
                    op = w->out_lane == 0 ? MXF_RECON_SPLIT_RH : MXF_RECON_SPLIT_RL;
                }
                cfg->op[s][x] = op;
            }
    }
    if (r.sw != small) free(r.sw);
    return rc;
}

int mxf_recon_route(int width, int n, const int *upper, const int *lower, mxf_recon_cfg *cfg,
                    mxf_err *err)
{
    if (check_args(width, n, upper, lower, err)) return -1;
    return route_masked(width, n, upper, lower, IDENT_ALL, cfg, err);
}

int mxf_recon_routable(int width, int n, const int *upper, const int *lower)
{
    return mxf_recon_route(width, n, upper, lower, NULL, NULL) == 0;
}

/* uB predicate from tables. Every clash is between two claims, and the claims of a pair, of a
 * pass-through column and of another pair are fixed (paths are unique), so a uB placement routes
 * iff each pair routes alone, no pair clashes with an unpaired column's pass-through, and no two
 * pairs clash. The tables are filled once by the router itself (test_recon checks the predicate
 * against the full router on every placement). */
enum { NP = MXF_RECON_MUB * MXF_RECON_MUB };
static pthread_once_t ub_once = PTHREAD_ONCE_INIT;
static unsigned char ub_self[NP], ub_pair[NP][NP];
static uint8_t ub_block[NP]; /* bit c: the pair clashes with column c's pass-through */

static void ub_build(void)
{
    for (int u = 0; u < MXF_RECON_MUB; u++)
        for (int l = 0; l < MXF_RECON_MUB; l++) {
            if (u == l) continue;
            const int P = u * MXF_RECON_MUB + l;
            ub_self[P] = route_masked(MXF_RECON_MUB, 1, &u, &l, IDENT_NONE, NULL, NULL) == 0;
            for (int c = 0; c < MXF_RECON_MUB; c++)
                if (c != u && c != l && route_masked(MXF_RECON_MUB, 1, &u, &l, c, NULL, NULL))
                    ub_block[P] |= (uint8_t)(1u << c);
            for (int u2 = 0; u2 < MXF_RECON_MUB; u2++)
                for (int l2 = 0; l2 < MXF_RECON_MUB; l2++) {
                    if (u2 == l2 || u2 == u || u2 == l || l2 == u || l2 == l) continue;
                    const int up[2] = {u, u2}, lo[2] = {l, l2};
                    ub_pair[P][u2 * MXF_RECON_MUB + l2] =
                        route_masked(MXF_RECON_MUB, 2, up, lo, IDENT_NONE, NULL, NULL) == 0;
                }
        }
}

int mxf_recon_ub_routable(void *ctx, int n, const int *upper, const int *lower)
{
    (void)ctx;
    if (n < 0 || n > MXF_RECON_MUB / 2 || (n > 0 && (!upper || !lower))) return 0;
    unsigned used = 0;
    int P[MXF_RECON_MUB / 2];
    for (int i = 0; i < n; i++) {
        const int u = upper[i], l = lower[i];
        if (u < 0 || u >= MXF_RECON_MUB || l < 0 || l >= MXF_RECON_MUB || u == l) return 0;
        if ((used >> u & 1) || (used >> l & 1)) return 0;
        used |= 1u << u | 1u << l;
        P[i] = u * MXF_RECON_MUB + l;
    }
    pthread_once(&ub_once, ub_build);
    for (int i = 0; i < n; i++) {
        if (!ub_self[P[i]] || (ub_block[P[i]] & ~used)) return 0;
        for (int j = 0; j < i; j++)
            if (!ub_pair[P[j]][P[i]]) return 0;
    }
    return 1;
}

unsigned mxf_recon_ub_lower_slots(int n, const int *upper, const int *lower, int new_upper)
{
    if (n < 0 || n >= MXF_RECON_MUB / 2 || new_upper < 0 || new_upper >= MXF_RECON_MUB) return 0;
    int up[MXF_RECON_MUB / 2], lo[MXF_RECON_MUB / 2];
    for (int i = 0; i < n; i++) {
        if (upper[i] == new_upper || lower[i] == new_upper) return 0;
        up[i] = upper[i], lo[i] = lower[i];
    }
    unsigned mask = 0;
    up[n] = new_upper;
    for (int l = 0; l < MXF_RECON_MUB; l++) {
        lo[n] = l;
        if (mxf_recon_ub_routable(NULL, n + 1, up, lo)) mask |= 1u << l;
    }
    return mask;
}

int mxf_recon_width_for(int columns)
{
    if (columns < MXF_RECON_MUB || columns > MXF_RECON_MAX_WIDTH) return -1;
    int w = MXF_RECON_MUB;
    while (w < columns) w <<= 1;
    return w;
}

int mxf_recon_expand_ub(const mxf_recon_cfg *ub_cfg, int ub, mxf_recon_cfg *row, mxf_err *err)
{
    if (ub_cfg->width != MXF_RECON_MUB || ub_cfg->stages != 4)
        return mxf_fail(err, "ReCoN: uB configuration has width %d (want %d)", ub_cfg->width,
                        MXF_RECON_MUB);
    if (!is_pow2(row->width) || row->width < MXF_RECON_MUB || row->width > MXF_RECON_MAX_WIDTH ||
        row->stages != ilog2(row->width) + 1)
        return mxf_fail(err, "ReCoN: row configuration width %d invalid", row->width);
    if (ub < 0 || ub >= row->width / MXF_RECON_MUB)
        return mxf_fail(err, "ReCoN W=%d: uB %d outside the row", row->width, ub);
    const int x0 = ub * MXF_RECON_MUB;
    const int flip = row->width > MXF_RECON_MUB && (x0 & MXF_RECON_MUB);
    for (int s = 0; s < 4; s++)
        for (int i = 0; i < MXF_RECON_MUB; i++) {
            uint8_t op = ub_cfg->op[s][i];
            if (s == 3 && flip) {
                if (op > MXF_RECON_MERGE_LL)
                    return mxf_fail(err, "ReCoN: uB configuration splits at stage 3");
                op ^= 1;
            }
            row->op[s][x0 + i] = op;
        }
    /* Higher stages: the pass-through pattern (every value is already in its column). */
    const int L = row->stages - 1;
    for (int s = 4; s <= L; s++)
        for (int i = 0; i < MXF_RECON_MUB; i++) {
            int x = x0 + i;
            int port = bit(x, s - 1), lane = s == L ? 0 : bit(x, s);
            row->op[s][x] = port == lane ? MXF_RECON_PASS : MXF_RECON_SWAP;
        }
    return 0;
}

size_t mxf_recon_cfg_bytes(int width)
{
    if (!is_pow2(width) || width < 2 || width > MXF_RECON_MAX_WIDTH) return 0;
    return ((size_t)3 * width * (ilog2(width) + 1) + 7) / 8;
}

void mxf_recon_cfg_pack(const mxf_recon_cfg *cfg, uint8_t *out)
{
    const size_t nb = mxf_recon_cfg_bytes(cfg->width);
    memset(out, 0, nb);
    for (int s = 0; s < cfg->stages; s++)
        for (int x = 0; x < cfg->width; x++) {
            size_t b = (size_t)3 * ((size_t)s * cfg->width + x);
            for (int i = 0; i < 3; i++, b++)
                if ((cfg->op[s][x] >> i) & 1) out[b >> 3] |= (uint8_t)(1u << (b & 7));
        }
}

int mxf_recon_cfg_unpack(int width, const uint8_t *in, mxf_recon_cfg *cfg, mxf_err *err)
{
    const size_t nb = mxf_recon_cfg_bytes(width);
    if (!nb)
        return mxf_fail(err, "ReCoN: width %d is not a power of two in [2, %d]", width,
                        MXF_RECON_MAX_WIDTH);
    memset(cfg, 0, sizeof *cfg);
    cfg->width = width;
    cfg->stages = ilog2(width) + 1;
    const size_t nbits = (size_t)3 * width * cfg->stages;
    for (size_t b = nbits; b < nb * 8; b++)
        if ((in[b >> 3] >> (b & 7)) & 1)
            return mxf_fail(err, "ReCoN W=%d: configuration padding bit %zu is set", width, b);
    for (int s = 0; s < cfg->stages; s++)
        for (int x = 0; x < width; x++) {
            size_t b = (size_t)3 * ((size_t)s * width + x);
            uint8_t op = 0;
            for (int i = 0; i < 3; i++, b++) op |= (uint8_t)(((in[b >> 3] >> (b & 7)) & 1) << i);
            cfg->op[s][x] = op;
        }
    return 0;
}
