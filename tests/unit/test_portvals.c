/* Port-value packing (gen/core/sim.h, sim.c): mxf_pv_put / mxf_pv_get move whole words; checked
 * against a bit-by-bit reference at every bit offset of a port and every width 1..64, on random
 * values over random surrounding bits (the bits outside the field must not change), signed and
 * unsigned reads. That covers the three paths of sim.h: a field inside one word, one of up to 32
 * bits across two words (the 64-bit window) and wider ones (the general loop). The comparison is
 * proven by a planted packing bug (a field one bit short) that it must report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "rng.h"
#include "sim.h"

#define NW 4 /* words of the port under test (a 128-bit port) */

static void ref_put(uint32_t *w, int bit, int width, uint64_t v)
{
    for (int i = 0; i < width; i++) {
        int b = bit + i;
        if ((v >> i) & 1u)
            w[b / 32] |= 1u << (b % 32);
        else
            w[b / 32] &= ~(1u << (b % 32));
    }
}

static int64_t ref_get(const uint32_t *w, int bit, int width, int is_signed)
{
    uint64_t v = 0;
    for (int i = 0; i < width; i++)
        v |= (uint64_t)((w[(bit + i) / 32] >> ((bit + i) % 32)) & 1u) << i;
    if (is_signed && width < 64 && (v >> (width - 1)) & 1u) v |= ~UINT64_C(0) << width;
    return (int64_t)v;
}

/* A packing bug: the field's top bit is never written. */
static void bad_put(mxf_portvals *pv, int p, int bit, int width, uint64_t v)
{
    mxf_pv_put(pv, p, bit, width > 1 ? width - 1 : width, v);
}

typedef void (*put_fn)(mxf_portvals *, int, int, int, uint64_t);

/* Number of (offset, width, trial) cases where put or get disagrees with the reference. */
static long disagreements(put_fn put)
{
    static mxf_portvals pv;
    pv.n = 1;
    pv.words[0] = NW; /* (the two-word window is taken only inside the port's words) */
    mxf_rng r;
    mxf_rng_seed(&r, 7);
    long bad = 0;
    for (int width = 1; width <= 64; width++)
        for (int bit = 0; bit + width <= NW * 32; bit++)
            for (int t = 0; t < 4; t++) {
                uint32_t ref[NW];
                for (int i = 0; i < NW; i++) ref[i] = pv.v[0][i] = (uint32_t)mxf_rng_u64(&r);
                uint64_t v = mxf_rng_u64(&r);
                put(&pv, 0, bit, width, v);
                ref_put(ref, bit, width, v);
                if (memcmp(ref, pv.v[0], sizeof ref))
                    bad++;
                else if (mxf_pv_get(&pv, 0, bit, width, 0) != ref_get(ref, bit, width, 0) ||
                         mxf_pv_get(&pv, 0, bit, width, 1) != ref_get(ref, bit, width, 1))
                    bad++;
            }
    return bad;
}

static void test_put_get_match_bitwise_reference(void **st)
{
    (void)st;
    assert_int_equal(disagreements(mxf_pv_put), 0);
}

static void test_planted_short_field_is_caught(void **st)
{
    (void)st;
    assert_true(disagreements(bad_put) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_match_bitwise_reference),
        cmocka_unit_test(test_planted_short_field_is_caught),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
