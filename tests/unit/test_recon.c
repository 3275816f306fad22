/* ReCoN router tests. The router's configurations are checked by simulators written here from
 * the wiring description (the reference RTL's generate loops) and the opcode table of
 * docs/recon.md, never from the router's own path formulas:
 *  - a numeric simulator (random Res / iAcc values; every output compared with the arithmetic
 *    it must carry, so a wrong orientation, a lost or duplicated value is caught);
 *  - a symbolic simulator plus an exhaustive search over all switch settings, which decides
 *    independently whether ANY configuration delivers a placement: the router must say
 *    "routable" exactly when the search finds one.
 * Every placement of a uB of 8 (1..4 outliers, every Upper set, Lower set and assignment) is
 * enumerated; every single pair is checked at every supported width. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon.h"
#include "rng.h"

#define HI 0
#define LO 1
#define MAXW MXF_RECON_MAX_WIDTH
#define MAXS MXF_RECON_MAX_STAGES
#define ACT 3.0 /* the row's activation: the hidden-bit term added by a merge */

static int log2i(int w)
{
    int l = 0;
    while ((1 << l) < w) l++;
    return l;
}

/* The placement as the expected outputs see it: partner[c] = l for an Upper c, role[c]. */
enum { R_INLIER, R_UPPER, R_LOWER };
typedef struct placement {
    int W, n, up[MAXW / 2], lo[MAXW / 2];
    int role[MAXW], partner[MAXW];
} placement;

static void make_placement(placement *p, int W, int n, const int *up, const int *lo)
{
    memset(p, 0, sizeof *p);
    p->W = W, p->n = n;
    for (int c = 0; c < W; c++) p->role[c] = R_INLIER, p->partner[c] = -1;
    for (int i = 0; i < n; i++) {
        p->up[i] = up[i], p->lo[i] = lo[i];
        p->role[up[i]] = R_UPPER, p->partner[up[i]] = lo[i];
        p->role[lo[i]] = R_LOWER, p->partner[lo[i]] = up[i];
    }
}

/* Input wires of stage s >= 1, switch x: (column, lane) at stage s-1 for ports hi and lo,
 * transcribed from the RTL generate loops (lower_switch / upper_switch instances). */
static void feeders(int s, int x, int *col, int *lane)
{
    const int d = 1 << (s - 1);
    if (!(x & d)) { /* first-half switch: hi outputs of x and x+d */
        col[HI] = x, lane[HI] = HI;
        col[LO] = x + d, lane[LO] = HI;
    } else { /* second-half switch: lo outputs of x-d and x */
        col[HI] = x - d, lane[HI] = LO;
        col[LO] = x, lane[LO] = LO;
    }
}

/* ---------- numeric simulator ---------- */

typedef struct nval {
    int valid;
    double r, a;
} nval;

/* Returns 0, or -1 when a switch is asked for something its opcode cannot do. */
static int nsim_switch(int op, const nval *in, nval *out)
{
    const nval none = {0, 0, 0};
    out[0] = out[1] = none;
    switch (op) {
    case MXF_RECON_PASS:
        out[HI] = in[HI], out[LO] = in[LO];
        return 0;
    case MXF_RECON_SWAP:
        out[HI] = in[LO], out[LO] = in[HI];
        return 0;
    case MXF_RECON_MERGE_HH:
    case MXF_RECON_MERGE_HL:
    case MXF_RECON_MERGE_LH:
    case MXF_RECON_MERGE_LL: {
        if (!in[HI].valid || !in[LO].valid) return -1;
        const nval *U = op <= MXF_RECON_MERGE_HL ? &in[HI] : &in[LO];
        const nval *L = op <= MXF_RECON_MERGE_HL ? &in[LO] : &in[HI];
        nval m = {1, 0, U->a + L->a + ACT + U->r / 2 + L->r / 4};
        out[(op == MXF_RECON_MERGE_HH || op == MXF_RECON_MERGE_LH) ? HI : LO] = m;
        return 0;
    }
    case MXF_RECON_SPLIT_RH:
    case MXF_RECON_SPLIT_RL: {
        if (in[HI].valid == in[LO].valid) return -1; /* exactly one bundle */
        const nval *v = in[HI].valid ? &in[HI] : &in[LO];
        int rl = op == MXF_RECON_SPLIT_RH ? HI : LO;
        out[rl] = (nval){1, v->r, 0};
        out[!rl] = (nval){1, 0, v->a};
        return 0;
    }
    }
    return -1;
}

/* Runs cfg on random inputs and compares every column with what it must receive. */
static int nsim_check(const mxf_recon_cfg *cfg, const placement *p, mxf_rng *rng)
{
    const int W = p->W, L = log2i(W);
    if (cfg->width != W || cfg->stages != L + 1) return -1;
    static nval out[MAXS][MAXW][2];
    double R[MAXW], A[MAXW];
    for (int c = 0; c < W; c++) { /* multiples of 4 so /2 and /4 are exact */
        R[c] = 4.0 * (double)mxf_rng_range(rng, -(1 << 20), 1 << 20);
        A[c] = (double)mxf_rng_range(rng, -(1 << 30), 1 << 30);
    }
    for (int s = 0; s <= L; s++)
        for (int x = 0; x < W; x++) {
            nval in[2];
            if (s == 0) {
                in[HI] = (nval){1, R[x], A[x]};
                in[LO] = (nval){0, 0, 0}; /* tied to 0 */
            } else {
                int col[2], lane[2];
                feeders(s, x, col, lane);
                in[HI] = out[s - 1][col[HI]][lane[HI]];
                in[LO] = out[s - 1][col[LO]][lane[LO]];
            }
            if (nsim_switch(cfg->op[s][x], in, out[s][x])) return -1;
        }
    for (int c = 0; c < W; c++) {
        const nval *o = &out[L][c][HI];
        if (out[L][c][LO].valid) return -1; /* the dropped lo output must be empty */
        double want;
        if (p->role[c] == R_INLIER)
            want = R[c] + A[c];
        else if (p->role[c] == R_LOWER)
            want = A[c];
        else
            want = A[c] + ACT + R[c] / 2 + R[p->partner[c]] / 4;
        if (!o->valid || o->r + o->a != want) return -1;
    }
    return 0;
}

/* ---------- symbolic simulator and exhaustive search (W <= 16) ---------- */

typedef struct sval {
    uint8_t valid, act;
    uint16_t r, a, ru, rl; /* atoms: column c's Res (plain / as Upper / as Lower), iAcc */
} sval;

static int ssim_switch(int op, const sval *in, sval *out)
{
    const sval none = {0};
    out[0] = out[1] = none;
    switch (op) {
    case MXF_RECON_PASS:
        out[HI] = in[HI], out[LO] = in[LO];
        return 0;
    case MXF_RECON_SWAP:
        out[HI] = in[LO], out[LO] = in[HI];
        return 0;
    case MXF_RECON_MERGE_HH:
    case MXF_RECON_MERGE_HL:
    case MXF_RECON_MERGE_LH:
    case MXF_RECON_MERGE_LL: {
        if (!in[HI].valid || !in[LO].valid) return -1;
        const sval *U = op <= MXF_RECON_MERGE_HL ? &in[HI] : &in[LO];
        const sval *L = op <= MXF_RECON_MERGE_HL ? &in[LO] : &in[HI];
        sval m = {1,
                  (uint8_t)(U->act + L->act + 1),
                  0,
                  (uint16_t)(U->a | L->a),
                  (uint16_t)(U->ru | U->rl | U->r),
                  (uint16_t)(L->ru | L->rl | L->r)};
        if (U->ru || U->rl || L->ru || L->rl || U->act || L->act) m.act = 99; /* nested */
        out[(op == MXF_RECON_MERGE_HH || op == MXF_RECON_MERGE_LH) ? HI : LO] = m;
        return 0;
    }
    case MXF_RECON_SPLIT_RH:
    case MXF_RECON_SPLIT_RL: {
        if (in[HI].valid == in[LO].valid) return -1;
        const sval *v = in[HI].valid ? &in[HI] : &in[LO];
        int rl = op == MXF_RECON_SPLIT_RH ? HI : LO;
        out[rl] = (sval){1, v->act, v->r, 0, v->ru, v->rl};
        out[!rl] = (sval){1, 0, 0, v->a, 0, 0};
        return 0;
    }
    }
    return -1;
}

static sval expected_sval(const placement *p, int c)
{
    sval e = {1, 0, 0, (uint16_t)(1u << c), 0, 0};
    if (p->role[c] == R_INLIER) e.r = (uint16_t)(1u << c);
    if (p->role[c] == R_UPPER) {
        e.act = 1;
        e.ru = (uint16_t)(1u << c);
        e.rl = (uint16_t)(1u << p->partner[c]);
    }
    return e;
}

static int sval_eq(const sval *x, const sval *y)
{
    return x->valid == y->valid && x->act == y->act && x->r == y->r && x->a == y->a &&
           x->ru == y->ru && x->rl == y->rl;
}

typedef struct search {
    const placement *p;
    int W, L;
    sval out[MAXS][16][2];
    uint16_t reach[MAXS][16][2]; /* output columns reachable from a stage's output wire */
    uint16_t home_r[16];         /* where column c's Res must end up */
    long nodes;
} search;

static void search_init(search *S, const placement *p)
{
    memset(S, 0, sizeof *S);
    S->p = p, S->W = p->W, S->L = log2i(p->W);
    const int W = S->W, L = S->L;
    for (int x = 0; x < W; x++) {
        S->reach[L][x][HI] = (uint16_t)(1u << x);
        S->reach[L][x][LO] = 0; /* dropped */
        S->home_r[x] = (uint16_t)(1u << (p->role[x] == R_LOWER ? p->partner[x] : x));
    }
    /* Generic reachability: a switch may send any input to any output. */
    for (int s = L; s >= 1; s--)
        for (int x = 0; x < W; x++) {
            int col[2], lane[2];
            feeders(s, x, col, lane);
            uint16_t any = S->reach[s][x][HI] | S->reach[s][x][LO];
            for (int q = 0; q < 2; q++) S->reach[s - 1][col[q]][lane[q]] |= any;
        }
}

/* Necessary condition for a value on a wire whose reach is `reach`. */
static int viable(const search *S, const sval *v, uint16_t reach)
{
    if (!v->valid) return 1;
    if (v->act > 1) return 0;
    uint16_t rs = v->r | v->ru | v->rl, homes_r = 0, homes_a = v->a; /* iAcc c's home is c */
    for (int c = 0; c < S->W; c++)
        if (rs >> c & 1) homes_r |= S->home_r[c];
    /* atoms that can never be separated must share one home */
    if (homes_r & (homes_r - 1)) return 0;
    if (homes_a & (homes_a - 1)) return 0;
    return ((homes_r | homes_a) & ~reach) == 0;
}

static int dfs(search *S, int s, int x)
{
    S->nodes++;
    if (x == S->W) s++, x = 0;
    if (s > S->L) {
        for (int c = 0; c < S->W; c++) {
            sval e = expected_sval(S->p, c);
            if (!sval_eq(&S->out[S->L][c][HI], &e)) return 0;
        }
        return 1;
    }
    sval in[2];
    if (s == 0) {
        in[HI] = (sval){1, 0, (uint16_t)(1u << x), (uint16_t)(1u << x), 0, 0};
        in[LO] = (sval){0};
    } else {
        int col[2], lane[2];
        feeders(s, x, col, lane);
        in[HI] = S->out[s - 1][col[HI]][lane[HI]];
        in[LO] = S->out[s - 1][col[LO]][lane[LO]];
    }
    int nvalid = in[HI].valid + in[LO].valid;
    for (int op = 0; op < 8; op++) {
        if (nvalid == 0 && op != MXF_RECON_PASS) continue; /* all settings equivalent */
        if (ssim_switch(op, in, S->out[s][x])) continue;
        if (!viable(S, &S->out[s][x][HI], S->reach[s][x][HI]) ||
            !viable(S, &S->out[s][x][LO], S->reach[s][x][LO]))
            continue;
        if (dfs(S, s, x + 1)) return 1;
    }
    return 0;
}

static int exists_config(const placement *p, long *nodes)
{
    search *S = malloc(sizeof *S);
    search_init(S, p);
    int found = dfs(S, 0, 0);
    if (nodes) *nodes += S->nodes;
    free(S);
    return found;
}

static int ssim_check(const mxf_recon_cfg *cfg, const placement *p)
{
    search *S = malloc(sizeof *S);
    search_init(S, p);
    int ok = 1;
    for (int s = 0; s <= S->L && ok; s++)
        for (int x = 0; x < S->W && ok; x++) {
            sval in[2];
            if (s == 0) {
                in[HI] = (sval){1, 0, (uint16_t)(1u << x), (uint16_t)(1u << x), 0, 0};
                in[LO] = (sval){0};
            } else {
                int col[2], lane[2];
                feeders(s, x, col, lane);
                in[HI] = S->out[s - 1][col[HI]][lane[HI]];
                in[LO] = S->out[s - 1][col[LO]][lane[LO]];
            }
            ok = ssim_switch(cfg->op[s][x], in, S->out[s][x]) == 0;
        }
    for (int c = 0; c < S->W && ok; c++) {
        sval e = expected_sval(p, c);
        ok = sval_eq(&S->out[S->L][c][HI], &e) && !S->out[S->L][c][LO].valid;
    }
    free(S);
    return ok;
}

/* ---------- hand rule for one pair ---------- */

/* Derived by hand in docs/recon.md: a single pair (u <- l) routes iff u ^ l has no zero bit
 * strictly between its lowest and highest set bits. */
static int hand_single_pair_routable(int u, int l)
{
    unsigned x = (unsigned)(u ^ l);
    while (!(x & 1)) x >>= 1;
    return (x & (x + 1)) == 0; /* x is 0b0..01..1 */
}

/* ---------- tests ---------- */

static void identity_config_by_hand(void **state)
{
    (void)state;
    mxf_recon_cfg c;
    mxf_err e;
    assert_int_equal(mxf_recon_route(8, 0, NULL, NULL, &c, &e), 0);
    assert_int_equal(c.stages, 4);
    /* From the wiring: stage 0 hi port -> lane bit0(x); stage s: port bit(s-1) -> lane bit s;
     * last stage: port bit2 -> hi. P = 0, S = 1. */
    const uint8_t want[4][8] = {{0, 1, 0, 1, 0, 1, 0, 1},
                                {0, 1, 1, 0, 0, 1, 1, 0},
                                {0, 0, 1, 1, 1, 1, 0, 0},
                                {0, 0, 0, 0, 1, 1, 1, 1}};
    for (int s = 0; s < 4; s++) assert_memory_equal(c.op[s], want[s], 8);
    uint8_t b[12];
    assert_int_equal(mxf_recon_cfg_bytes(8), 12);
    mxf_recon_cfg_pack(&c, b);
    /* stage 0: ops 1 at switches 1,3,5,7 -> bits 3, 9, 15, 21 */
    assert_int_equal(b[0], 0x08);
    assert_int_equal(b[1], 0x82);
    assert_int_equal(b[2], 0x20);
    mxf_rng r;
    mxf_rng_seed(&r, 1);
    placement p;
    make_placement(&p, 8, 0, NULL, NULL);
    assert_int_equal(nsim_check(&c, &p, &r), 0);
}

/* (0 <- 1): split at stage 0 switch 1 (Res -> hi toward 0, iAcc -> lo), merge at stage 1
 * switch 0 (Upper on its hi port, result -> hi since bit1 of 0 is 0). */
static void pair_0_1_by_hand(void **state)
{
    (void)state;
    mxf_recon_cfg c;
    mxf_err e;
    const int up[1] = {0}, lo[1] = {1};
    assert_int_equal(mxf_recon_route(8, 1, up, lo, &c, &e), 0);
    assert_int_equal(c.op[0][1], MXF_RECON_SPLIT_RH);
    assert_int_equal(c.op[0][0], MXF_RECON_PASS);
    assert_int_equal(c.op[1][0], MXF_RECON_MERGE_HH);
    assert_int_equal(c.op[1][1], MXF_RECON_SWAP); /* iAcc of 1 arrives on lo, leaves on hi */
    /* (1 <- 0): the Upper now arrives on the lo port: the mirrored merge. */
    const int up2[1] = {1}, lo2[1] = {0};
    assert_int_equal(mxf_recon_route(8, 1, up2, lo2, &c, &e), 0);
    assert_int_equal(c.op[0][0], MXF_RECON_SPLIT_RL); /* Res toward 1: lane bit0(1) = lo */
    assert_int_equal(c.op[1][1], MXF_RECON_MERGE_LH);
}

static void hand_vectors(void **state)
{
    (void)state;
    /* §8.1: 2 <- 6 routes. */
    const int a_up[1] = {2}, a_lo[1] = {6};
    assert_true(mxf_recon_ub_routable(NULL, 1, a_up, a_lo));
    /* §8.2: naive (3 <- 6, 5 <- 2) is blocked, (3 <- 2, 5 <- 6) routes. */
    const int up[2] = {3, 5}, naive[2] = {6, 2}, alt[2] = {2, 6};
    assert_false(mxf_recon_ub_routable(NULL, 2, up, naive));
    assert_true(mxf_recon_ub_routable(NULL, 2, up, alt));
    mxf_err e;
    mxf_recon_cfg c;
    assert_int_equal(mxf_recon_route(8, 2, up, naive, &c, &e), MXF_RECON_UNROUTABLE);
    print_message("unroutable message: %s\n", e.msg);
    assert_non_null(strstr(e.msg, "ReCoN W=8: "));
    assert_non_null(strstr(e.msg, "both need stage"));
    /* single pairs: blocked exactly when u ^ l == 5 (8 of 56) */
    int blocked = 0;
    for (int u = 0; u < 8; u++)
        for (int l = 0; l < 8; l++) {
            if (u == l) continue;
            int ok = mxf_recon_ub_routable(NULL, 1, &u, &l);
            assert_int_equal(ok, (u ^ l) != 5);
            blocked += !ok;
        }
    assert_int_equal(blocked, 8);
}

typedef struct enum_stats {
    long placements[5], routable[5], nodes;
    int pair_sets_with_route, pair_sets; /* n = 2: (Upper set, Lower set) combinations */
} enum_stats;

static void check_one(const int *up, const int *lo, int n, enum_stats *st, mxf_rng *rng)
{
    placement p;
    make_placement(&p, 8, n, up, lo);
    mxf_recon_cfg c;
    mxf_err e;
    int rc = mxf_recon_route(8, n, up, lo, &c, &e);
    assert_true(rc == 0 || rc == MXF_RECON_UNROUTABLE);
    int found = exists_config(&p, &st->nodes);
    if (found != (rc == 0)) {
        char buf[128] = "";
        for (int i = 0; i < n; i++)
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " %d<-%d", up[i], lo[i]);
        print_error("placement%s: router %s, exhaustive search %s\n", buf,
                    rc ? "unroutable" : "routable", found ? "found a configuration" : "none");
    }
    assert_int_equal(found, rc == 0);
    assert_int_equal(mxf_recon_ub_routable(NULL, n, up, lo), rc == 0);
    if (rc == 0) {
        assert_int_equal(nsim_check(&c, &p, rng), 0);
        assert_true(ssim_check(&c, &p));
        /* pack / unpack round trip */
        uint8_t b[12];
        mxf_recon_cfg c2;
        mxf_recon_cfg_pack(&c, b);
        assert_int_equal(mxf_recon_cfg_unpack(8, b, &c2, &e), 0);
        assert_memory_equal(c.op, c2.op, sizeof c.op);
    }
    st->placements[n]++;
    st->routable[n] += rc == 0;
}

/* Every assignment of the Lower set to the Upper set (permutations of lo_set). */
static int permute(int *up, int *lo, int k, int n, enum_stats *st, mxf_rng *rng)
{
    if (k == n) {
        long before = st->routable[n];
        check_one(up, lo, n, st, rng);
        return st->routable[n] > before;
    }
    int any = 0;
    for (int i = k; i < n; i++) {
        int t = lo[k];
        lo[k] = lo[i], lo[i] = t;
        any |= permute(up, lo, k + 1, n, st, rng);
        t = lo[k], lo[k] = lo[i], lo[i] = t;
    }
    return any;
}

static void every_ub_placement(void **state)
{
    (void)state;
    enum_stats st;
    memset(&st, 0, sizeof st);
    mxf_rng rng;
    mxf_rng_seed(&rng, 8);
    int upper_sets_without_route = 0;
    for (int n = 1; n <= 4; n++)
        for (unsigned um = 0; um < 256; um++) {
            if (__builtin_popcount(um) != n) continue;
            int set_any = 0;
            for (unsigned lm = 0; lm < 256; lm++) {
                if (__builtin_popcount(lm) != n || (lm & um)) continue;
                int up[4], lo[4], k = 0, j = 0;
                for (int c = 0; c < 8; c++) {
                    if (um >> c & 1) up[k++] = c;
                    if (lm >> c & 1) lo[j++] = c;
                }
                int any = permute(up, lo, 0, n, &st, &rng);
                set_any |= any;
                if (n == 2) st.pair_sets++, st.pair_sets_with_route += any;
            }
            upper_sets_without_route += !set_any;
        }
    /* The packer never has to demote an outlier for routing: every set of 1..4 outlier slots
     * has some routable choice of pruned slots and assignment. */
    assert_int_equal(upper_sets_without_route, 0);
    const long want[5] = {0, 56, 840, 3360, 1680};
    long total = 0, routable = 0;
    for (int n = 1; n <= 4; n++) {
        assert_int_equal(st.placements[n], want[n]);
        print_message("n=%d outliers: %ld of %ld placements routable\n", n, st.routable[n],
                      st.placements[n]);
        total += st.placements[n], routable += st.routable[n];
    }
    print_message("total %ld of %ld routable; 2-outlier (Upper set, Lower set) with a routable "
                  "assignment: %d of %d; search nodes %ld\n",
                  routable, total, st.pair_sets_with_route, st.pair_sets, st.nodes);
    assert_int_equal(st.routable[1], 48);
    /* An independent count (tests/vectors/README.md, ReCoN): 412 of 420. */
    assert_int_equal(st.pair_sets, 420);
    assert_int_equal(st.pair_sets_with_route, 412);
}

static void lower_slot_lists(void **state)
{
    (void)state;
    /* No pairs yet: every other slot except u ^ 5. */
    for (int u = 0; u < 8; u++) {
        unsigned want = 0xFFu & ~(1u << u) & ~(1u << (u ^ 5));
        assert_int_equal(mxf_recon_ub_lower_slots(0, NULL, NULL, u), want);
    }
    /* With (3 <- 2) placed, 5 can take every free slot l for which the pair set routes: check
     * against the brute-force predicate one slot at a time. */
    const int up[1] = {3}, lo[1] = {2};
    unsigned m = mxf_recon_ub_lower_slots(1, up, lo, 5);
    for (int l = 0; l < 8; l++) {
        int u2[2] = {3, 5}, l2[2] = {2, l};
        int want = l != 2 && l != 3 && l != 5 && mxf_recon_ub_routable(NULL, 2, u2, l2);
        assert_int_equal((m >> l) & 1, want);
    }
    assert_true(m >> 6 & 1);                                     /* the hand-derived 5 <- 6 */
    assert_int_equal(mxf_recon_ub_lower_slots(1, up, lo, 3), 0); /* 3 already used */
    assert_int_equal(mxf_recon_ub_lower_slots(0, NULL, NULL, 8), 0);
}

/* Every ordered pair at every width up to 64 (all of them also by exhaustive search up to 16);
 * at 128 and 256 every pair inside each aligned uB plus a seeded sample of arbitrary pairs. */
static void every_pair_every_width(void **state)
{
    (void)state;
    mxf_rng rng;
    mxf_rng_seed(&rng, 16);
    for (int W = 2; W <= MAXW; W *= 2) {
        long tried = 0, ok = 0;
        for (int u = 0; u < W; u++)
            for (int l = 0; l < W; l++) {
                if (u == l) continue;
                int local = u / 8 == l / 8;
                if (W > 64 && !local && mxf_rng_range(&rng, 0, 99) != 0) continue;
                placement p;
                make_placement(&p, W, 1, &u, &l);
                mxf_recon_cfg c;
                int rc = mxf_recon_route(W, 1, &u, &l, &c, NULL);
                assert_int_equal(rc == 0, hand_single_pair_routable(u, l));
                if (rc == 0) {
                    if (nsim_check(&c, &p, &rng)) {
                        print_error("W=%d pair %d<-%d: simulation mismatch\n", W, u, l);
                        fail();
                    }
                }
                if (W <= 16) assert_int_equal(exists_config(&p, NULL), rc == 0);
                if (local && W >= 8) { /* uB-local: same answer as the uB predicate */
                    int su = u % 8, sl = l % 8;
                    assert_int_equal(rc == 0, mxf_recon_ub_routable(NULL, 1, &su, &sl));
                }
                tried++, ok += rc == 0;
            }
        print_message("W=%d: %ld pairs, %ld routable\n", W, tried, ok);
    }
}

/* Whole rows: each uB gets a random placement; the row routes iff every uB does, the row
 * configuration delivers every value, and its stages 0..3 restricted to a uB equal that uB's own
 * W = 8 configuration while the stages above are the pass-through pattern (docs/recon.md). */
static void multi_ub_rows(void **state)
{
    (void)state;
    mxf_rng rng;
    mxf_rng_seed(&rng, 99);
    for (int W = 8; W <= MAXW; W *= 2) {
        mxf_recon_cfg ident;
        assert_int_equal(mxf_recon_route(W, 0, NULL, NULL, &ident, NULL), 0);
        for (int trial = 0; trial < (W <= 32 ? 200 : 40); trial++) {
            int up[MAXW / 2], lo[MAXW / 2], n = 0, all_ok = 1;
            int nub = W / 8;
            int ubn[MAXW / 8], ubu[MAXW / 8][4], ubl[MAXW / 8][4];
            for (int b = 0; b < nub; b++) {
                int k = (int)mxf_rng_range(&rng, 0, 4);
                int slots[8] = {0, 1, 2, 3, 4, 5, 6, 7};
                for (int i = 7; i > 0; i--) { /* shuffle */
                    int j = (int)mxf_rng_range(&rng, 0, i), t = slots[i];
                    slots[i] = slots[j], slots[j] = t;
                }
                ubn[b] = k;
                for (int i = 0; i < k; i++) {
                    ubu[b][i] = slots[i], ubl[b][i] = slots[4 + i];
                    up[n] = 8 * b + slots[i], lo[n] = 8 * b + slots[4 + i], n++;
                }
                all_ok &= mxf_recon_ub_routable(NULL, k, ubu[b], ubl[b]);
            }
            mxf_recon_cfg c, rebuilt = ident;
            int rc = mxf_recon_route(W, n, up, lo, &c, NULL);
            assert_int_equal(rc == 0, all_ok);
            if (rc) continue;
            placement p;
            make_placement(&p, W, n, up, lo);
            assert_int_equal(nsim_check(&c, &p, &rng), 0);
            for (int b = 0; b < nub; b++) {
                mxf_recon_cfg cu;
                assert_int_equal(mxf_recon_route(8, ubn[b], ubu[b], ubl[b], &cu, NULL), 0);
                /* stages 0..2 equal the uB's own configuration; stage 3 (the W = 8 output stage,
                 * an exchange stage when W > 8) equal, or lane-flipped for odd uBs */
                for (int s = 0; s < 3; s++) assert_memory_equal(&c.op[s][8 * b], cu.op[s], 8);
                for (int i = 0; i < 8; i++) {
                    int odd = W > 8 && (b & 1);
                    uint8_t o = cu.op[3][i];
                    assert_true(o <= MXF_RECON_MERGE_LL);
                    assert_int_equal(c.op[3][8 * b + i], odd ? o ^ 1 : o);
                }
                assert_int_equal(mxf_recon_expand_ub(&cu, b, &rebuilt, NULL), 0);
            }
            for (int s = 4; s < c.stages; s++) assert_memory_equal(c.op[s], ident.op[s], W);
            assert_memory_equal(rebuilt.op, c.op, sizeof c.op);
        }
    }
}

static void bad_arguments(void **state)
{
    (void)state;
    mxf_err e;
    mxf_recon_cfg c;
    const int up[2] = {1, 2}, lo[2] = {2, 3};
    assert_int_equal(mxf_recon_route(100, 0, NULL, NULL, &c, &e), -1);
    assert_non_null(strstr(e.msg, "width 100 is not a power of two"));
    assert_int_equal(mxf_recon_route(512, 0, NULL, NULL, &c, &e), -1);
    assert_int_equal(mxf_recon_route(1, 0, NULL, NULL, &c, &e), -1);
    assert_int_equal(mxf_recon_route(8, 2, up, lo, &c, &e), -1);
    assert_string_equal(e.msg, "ReCoN W=8: pairs 0 and 1 share a column");
    const int same[1] = {4};
    assert_int_equal(mxf_recon_route(8, 1, same, same, &c, &e), -1);
    assert_string_equal(e.msg, "ReCoN W=8: pair 0 has Upper == Lower == 4");
    const int out[1] = {8}, z[1] = {0};
    assert_int_equal(mxf_recon_route(8, 1, out, z, &c, &e), -1);
    assert_non_null(strstr(e.msg, "outside the columns"));
    assert_int_equal(mxf_recon_route(8, 5, up, lo, &c, &e), -1);
    assert_false(mxf_recon_routable(8, 1, out, z));
    assert_int_equal(mxf_recon_width_for(100), 128);
    assert_int_equal(mxf_recon_width_for(8), 8);
    assert_int_equal(mxf_recon_width_for(9), 16);
    assert_int_equal(mxf_recon_width_for(7), -1);
    assert_int_equal(mxf_recon_width_for(257), -1);
    assert_int_equal(mxf_recon_cfg_bytes(2), 2);     /* 2 stages x 2 switches x 3 bits */
    assert_int_equal(mxf_recon_cfg_bytes(256), 864); /* 9 x 256 x 3 / 8 */
    assert_int_equal(mxf_recon_cfg_bytes(6), 0);
    uint8_t b[2] = {0, 0x10}; /* bit 12: padding */
    assert_int_equal(mxf_recon_cfg_unpack(2, b, &c, &e), -1);
    assert_non_null(strstr(e.msg, "padding bit 12"));
    b[0] = 0x40, b[1] = 0x03; /* bits 6, 8, 9 */
    assert_int_equal(mxf_recon_cfg_unpack(2, b, &c, &e), 0);
    assert_int_equal(c.op[1][0], 5); /* bits 6..8: 0b101 */
    assert_int_equal(c.op[1][1], 1); /* bits 9..11: 0b001 */
    assert_int_equal(c.op[0][0] + c.op[0][1], 0);
    mxf_recon_cfg ub8, row16;
    assert_int_equal(mxf_recon_route(8, 0, NULL, NULL, &ub8, &e), 0);
    assert_int_equal(mxf_recon_route(16, 0, NULL, NULL, &row16, &e), 0);
    assert_int_equal(mxf_recon_expand_ub(&ub8, 2, &row16, &e), -1);
    assert_non_null(strstr(e.msg, "uB 2 outside the row"));
    assert_int_equal(mxf_recon_expand_ub(&row16, 0, &ub8, &e), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identity_config_by_hand),
        cmocka_unit_test(pair_0_1_by_hand),
        cmocka_unit_test(hand_vectors),
        cmocka_unit_test(every_ub_placement),
        cmocka_unit_test(lower_slot_lists),
        cmocka_unit_test(every_pair_every_width),
        cmocka_unit_test(multi_ub_rows),
        cmocka_unit_test(bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
