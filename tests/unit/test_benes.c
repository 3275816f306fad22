/* Benes network tests. Configurations from the router are checked by a simulator written here
 * from the recursive definition in benes.h (two half-size networks between a first and a last
 * stage), not from the flat wiring table: the table and mxf_benes_apply must agree with it for
 * random settings, and every routed permutation must deliver each input to its destination:
 *  - every permutation of 8 ports (40,320; the width of one micro-block slice);
 *  - random permutations at every width 2..256;
 *  - a planted fault: flipping any one switch of a routed setting must change what arrives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "benes.h"
#include "rng.h"

#define MAXW MXF_BENES_MAX_WIDTH
#define MAXB (MXF_BENES_MAX_STAGES * MAXW / 2)

/* The n-port sub-network at offset o whose first stage is depth, from the definition. */
static void sim(int W, int S, int n, int o, int depth, const uint8_t *bits, const int64_t *in,
                int64_t *out)
{
    const int h = n / 2;
    if (n == 2) {
        const int b = bits[depth * (W / 2) + o / 2];
        out[0] = in[b], out[1] = in[!b];
        return;
    }
    int64_t ui[MAXW / 2] = {0}, li[MAXW / 2] = {0}, uo[MAXW / 2], lo[MAXW / 2];
    for (int i = 0; i < h; i++) {
        const int b = bits[depth * (W / 2) + o / 2 + i];
        ui[i] = in[2 * i + b];
        li[i] = in[2 * i + !b];
    }
    sim(W, S, h, o, depth + 1, bits, ui, uo);
    sim(W, S, h, o + h, depth + 1, bits, li, lo);
    for (int i = 0; i < h; i++) {
        const int b = bits[(S - 1 - depth) * (W / 2) + o / 2 + i];
        out[2 * i] = b ? lo[i] : uo[i];
        out[2 * i + 1] = b ? uo[i] : lo[i];
    }
}

static void check_perm(int W, const int *dst)
{
    const int S = mxf_benes_stages(W);
    uint8_t bits[MAXB];
    int64_t in[MAXW], out[MAXW], flat[MAXW];
    mxf_err e;
    assert_int_equal(mxf_benes_route(W, dst, bits, &e), 0);
    for (int x = 0; x < W; x++) in[x] = 1000 + x;
    sim(W, S, W, 0, 0, bits, in, out);
    for (int x = 0; x < W; x++)
        if (out[dst[x]] != in[x]) fail_msg("W=%d: input %d did not reach output %d", W, x, dst[x]);
    mxf_benes_apply(W, bits, in, flat);
    assert_memory_equal(flat, out, sizeof(int64_t) * (size_t)W);
}

static void stage_counts(void **st)
{
    (void)st;
    assert_int_equal(mxf_benes_stages(2), 1);
    assert_int_equal(mxf_benes_stages(8), 5); /* 20 switches for a slice of 8 */
    assert_int_equal(mxf_benes_stages(256), 15);
    assert_int_equal(mxf_benes_stages(6), -1);
    assert_int_equal(mxf_benes_stages(512), -1);
    assert_int_equal(mxf_benes_stages(1), -1);
}

/* The flat wiring table (used by the golden model and the emitter) is the recursive network. */
static void wiring_is_the_definition(void **st)
{
    (void)st;
    mxf_rng r;
    mxf_rng_seed(&r, 7);
    for (int W = 2; W <= MAXW; W *= 2) {
        const int S = mxf_benes_stages(W);
        for (int rep = 0; rep < 50; rep++) {
            uint8_t bits[MAXB];
            int64_t in[MAXW], a[MAXW], b[MAXW];
            for (int i = 0; i < S * W / 2; i++) bits[i] = (uint8_t)mxf_rng_range(&r, 0, 1);
            for (int x = 0; x < W; x++) in[x] = mxf_rng_range(&r, -100000, 100000);
            sim(W, S, W, 0, 0, bits, in, a);
            mxf_benes_apply(W, bits, in, b);
            assert_memory_equal(a, b, sizeof(int64_t) * (size_t)W);
        }
    }
}

static int next_perm(int *p, int n)
{
    int i = n - 2;
    while (i >= 0 && p[i] >= p[i + 1]) i--;
    if (i < 0) return 0;
    int j = n - 1;
    while (p[j] <= p[i]) j--;
    int t = p[i];
    p[i] = p[j], p[j] = t;
    for (int a = i + 1, b = n - 1; a < b; a++, b--) t = p[a], p[a] = p[b], p[b] = t;
    return 1;
}

static void every_permutation_of_8(void **st)
{
    (void)st;
    int p[8] = {0, 1, 2, 3, 4, 5, 6, 7}, n = 0;
    do {
        check_perm(8, p);
        n++;
    } while (next_perm(p, 8));
    assert_int_equal(n, 40320);
    int q[4] = {0, 1, 2, 3}; /* and of 4 and 2 */
    do check_perm(4, q);
    while (next_perm(q, 4));
    int t[2] = {1, 0};
    check_perm(2, t);
}

/* Which switches the router ever sets to cross, over all 40,320 permutations of 8: every one but
 * the first input-stage switch of each sub-network (0, 4 and 6; the loop of the looping
 * algorithm starts by sending a sub-network's input 0 up). The mutation campaign relies on it
 * (microscopiq_mutants.tsv, bn-stuck-first); a wiring whose other switches never crossed
 * would let their faults hide. */
static void switches_the_router_uses(void **st)
{
    (void)st;
    int p[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    int crossed[20] = {0};
    mxf_err e;
    do {
        uint8_t bits[MAXB];
        assert_int_equal(mxf_benes_route(8, p, bits, &e), 0);
        for (int k = 0; k < 20; k++) crossed[k] += bits[k];
    } while (next_perm(p, 8));
    for (int k = 0; k < 20; k++) {
        const int fixed = k == 0 || k == 4 || k == 6;
        if (fixed && crossed[k]) fail_msg("switch %d crossed in %d permutations", k, crossed[k]);
        if (!fixed && !crossed[k]) fail_msg("switch %d never crosses", k);
    }
}

static void random_permutations(void **st)
{
    (void)st;
    mxf_rng r;
    mxf_rng_seed(&r, 11);
    for (int W = 16; W <= MAXW; W *= 2)
        for (int rep = 0; rep < 200; rep++) {
            int p[MAXW];
            for (int x = 0; x < W; x++) p[x] = x;
            for (int x = W - 1; x > 0; x--) {
                const int y = (int)mxf_rng_range(&r, 0, x), t = p[x];
                p[x] = p[y], p[y] = t;
            }
            check_perm(W, p);
        }
}

/* The checker is not blind: one flipped switch of any routed setting moves two values. */
static void planted_flip_is_caught(void **st)
{
    (void)st;
    int p[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    long caught = 0, planted = 0;
    do {
        uint8_t bits[MAXB];
        int64_t in[8], out[8];
        assert_int_equal(mxf_benes_route(8, p, bits, NULL), 0);
        for (int x = 0; x < 8; x++) in[x] = x;
        for (int k = 0; k < 20; k++) {
            bits[k] ^= 1;
            sim(8, 5, 8, 0, 0, bits, in, out);
            int ok = 1;
            for (int x = 0; x < 8; x++) ok &= out[p[x]] == in[x];
            caught += !ok;
            planted++;
            bits[k] ^= 1;
        }
    } while (next_perm(p, 8));
    assert_int_equal(caught, planted);
}

static void bad_arguments(void **st)
{
    (void)st;
    uint8_t bits[MAXB];
    mxf_err e;
    int p[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    assert_int_equal(mxf_benes_route(6, p, bits, &e), -1);
    assert_non_null(strstr(e.msg, "width 6"));
    p[3] = 2;
    assert_int_equal(mxf_benes_route(8, p, bits, &e), -1);
    assert_non_null(strstr(e.msg, "destination 2 of input 3 is taken twice"));
    p[3] = 8;
    assert_int_equal(mxf_benes_route(8, p, bits, &e), -1);
    assert_non_null(strstr(e.msg, "out of range"));
    mxf_benes_switch sw[4];
    assert_int_equal(mxf_benes_wiring(3, sw), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stage_counts),           cmocka_unit_test(wiring_is_the_definition),
        cmocka_unit_test(every_permutation_of_8), cmocka_unit_test(switches_the_router_uses),
        cmocka_unit_test(random_permutations),    cmocka_unit_test(planted_flip_is_caught),
        cmocka_unit_test(bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
