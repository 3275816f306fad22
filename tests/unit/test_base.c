/* Unit tests of the shared sw/ utilities: RNG determinism, strict parsing, atomic files, zoo. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "models.h"
#include "parse.h"
#include "rng.h"

static void rng_same_seed_same_stream(void **state)
{
    (void)state;
    mxf_rng a, b, c;
    mxf_rng_seed(&a, 42);
    mxf_rng_seed(&b, 42);
    mxf_rng_seed(&c, 43);
    int differs = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = mxf_rng_u64(&a);
        assert_int_equal(x, mxf_rng_u64(&b));
        differs |= x != mxf_rng_u64(&c);
    }
    assert_true(differs);
}

static void rng_range_covers_bounds_only(void **state)
{
    (void)state;
    mxf_rng r;
    mxf_rng_seed(&r, 7);
    int seen[5] = {0};
    for (int i = 0; i < 10000; i++) {
        int64_t v = mxf_rng_range(&r, -2, 2);
        assert_true(v >= -2 && v <= 2);
        seen[v + 2]++;
    }
    for (int i = 0; i < 5; i++) assert_true(seen[i] > 1500 && seen[i] < 2500);
}

static void rng_normal_moments(void **state)
{
    (void)state;
    mxf_rng r;
    mxf_rng_seed(&r, 1);
    double s = 0, s2 = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double x = mxf_rng_normal(&r);
        s += x;
        s2 += x * x;
    }
    assert_true(fabs(s / n) < 0.01);
    assert_true(fabs(s2 / n - 1.0) < 0.02);
}

static void parse_int_strict(void **state)
{
    (void)state;
    long v = 0;
    mxf_err e;
    assert_int_equal(mxf_parse_int("32", "ARRAY", 2, 128, &v, &e), 0);
    assert_int_equal(v, 32);
    assert_int_equal(mxf_parse_int("abc", "ARRAY", 2, 128, &v, &e), -1);
    assert_non_null(strstr(e.msg, "ARRAY=abc"));
    assert_int_equal(mxf_parse_int("4096", "ARRAY", 2, 128, &v, &e), -1);
    assert_non_null(strstr(e.msg, "out of range"));
    assert_int_equal(mxf_parse_int("", "ARRAY", 2, 128, &v, &e), -1);
    assert_int_equal(mxf_parse_int("12x", "ARRAY", 2, 128, &v, &e), -1);
    assert_int_equal(mxf_parse_int("99999999999999999999999", "ARRAY", 2, 128, &v, &e), -1);
}

static void atomic_write_replaces_and_aborts_cleanly(void **state)
{
    (void)state;
    char dir[] = "/tmp/mxf-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/out.bin", dir);
    mxf_err e;
    assert_int_equal(mxf_write_file_atomic(path, "hello", 5, &e), 0);
    mxf_atomic_file af;
    assert_int_equal(mxf_atomic_open(&af, path, &e), 0);
    fputs("partial", af.f);
    mxf_atomic_abort(&af);
    unsigned char *buf;
    size_t n;
    assert_int_equal(mxf_read_file(path, &buf, &n, &e), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "hello", 5);
    free(buf);
    int changed = -1;
    assert_int_equal(mxf_write_file_if_changed(path, "hello", 5, &changed, &e), 0);
    assert_int_equal(changed, 0);
    assert_int_equal(mxf_write_file_if_changed(path, "world", 5, &changed, &e), 0);
    assert_int_equal(changed, 1);
    assert_int_equal(mxf_read_file("/nonexistent/x", &buf, &n, &e), -1);
    assert_non_null(strstr(e.msg, "/nonexistent/x"));
    unlink(path);
    rmdir(dir);
}

static void zoo_shapes(void **state)
{
    (void)state;
    const mxf_model *m = mxf_model_find("opt-1.3b");
    assert_non_null(m);
    assert_int_equal(m->hidden, 2048);
    assert_int_equal(m->ffn, 8192);
    assert_int_equal(m->n_layers, 24);
    /* 24 x (4 x 2048^2 + 2 x 2048 x 8192) = 1.208 G MACs per token (hand count: ~1.21 G). */
    assert_true(fabs(mxf_model_linear_macs_per_token(m) - 1207959552.0) < 1);
    assert_null(mxf_model_find("gpt-5"));
    char names[256];
    mxf_model_names(names, sizeof names);
    assert_non_null(strstr(names, "llama-2-7b"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rng_same_seed_same_stream),
        cmocka_unit_test(rng_range_covers_bounds_only),
        cmocka_unit_test(rng_normal_moments),
        cmocka_unit_test(parse_int_strict),
        cmocka_unit_test(atomic_write_replaces_and_aborts_cleanly),
        cmocka_unit_test(zoo_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
