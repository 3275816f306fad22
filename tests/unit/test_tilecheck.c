/* The shared tile checker (gen/core/tilecheck.c) and the job verdict (gen/core/sim.c,
 * mxf_sim_judge) on a plan written here: two tiles of 2 x 2 outputs whose golden values and
 * cycles are simple formulas. The right outputs on the right cycles pass; a wrong value, a wrong
 * cycle or a missing row is a mismatch (exit 1) naming tile, row and col; a golden model that
 * runs out of memory (at the first tile, a later tile or the naive GEMM) is an error (exit 3),
 * never reported as a mismatch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sim.h"
#include "tilecheck.h"

enum { M = 2, C = 2, T = 2 };

typedef struct plan_state {
    int oom_tile;  /* tile whose golden output fails to allocate (-1: none) */
    int oom_naive; /* the naive GEMM fails to allocate */
} plan_state;

static int64_t value(int t, int m, int c)
{
    return 100 * t + 10 * m + c - 7;
}

static int golden(const void *g, int t, int64_t *out)
{
    const plan_state *s = g;
    if (t == s->oom_tile) return -1;
    for (int m = 0; m < M; m++)
        for (int c = 0; c < C; c++) out[m * C + c] = value(t, m, c);
    return 0;
}

static int64_t cycle_of(const void *g, int t, int m)
{
    (void)g;
    return 5 + 3 * (t * M + m);
}

static int naive(const void *g, int64_t *Y) /* N = C * T (KT = 1): tile t is columns t*C.. */
{
    const plan_state *s = g;
    if (s->oom_naive) return -1;
    for (int m = 0; m < M; m++)
        for (int n = 0; n < C * T; n++) Y[m * C * T + n] = value(n / C, m, n % C);
    return 0;
}

static int open_checker(mxf_tile_checker *k, plan_state *s, mxf_err *e)
{
    const mxf_tile_plan p = {s, M, C * T, C, 1, T, golden, cycle_of, naive};
    return mxf_tile_checker_init(k, &p, 42, e);
}

/* Pushes every row; a planted fault changes one value (bad_value) or one cycle (bad_cycle) of
 * tile 1 row 1. Returns the first nonzero push result, or finish's. */
static int run(mxf_tile_checker *k, int bad_value, int bad_cycle)
{
    for (int t = 0; t < T; t++)
        for (int m = 0; m < M; m++) {
            int64_t y[C];
            for (int c = 0; c < C; c++) y[c] = value(t, m, c);
            int64_t cyc = cycle_of(NULL, t, m);
            if (t == 1 && m == 1) {
                y[1] += bad_value;
                cyc += bad_cycle;
            }
            int r = mxf_tile_checker_push(k, cyc, y);
            if (r) return r;
        }
    return mxf_tile_checker_finish(k, 99);
}

static void test_right_outputs_pass(void **st)
{
    (void)st;
    plan_state s = {-1, 0};
    mxf_tile_checker k;
    assert_int_equal(open_checker(&k, &s, NULL), 0);
    assert_int_equal(run(&k, 0, 0), 0);
    assert_int_equal(k.outputs, M * T);
    mxf_tile_checker_free(&k);
}

static void test_planted_value_and_cycle_are_mismatches(void **st)
{
    (void)st;
    plan_state s = {-1, 0};
    mxf_tile_checker k;
    assert_int_equal(open_checker(&k, &s, NULL), 0);
    assert_int_equal(run(&k, 1, 0), -1);
    assert_non_null(strstr(k.first_failure, "MISMATCH tile=1 (kt=0 nt=1) row=1 col=1"));
    assert_non_null(strstr(k.first_failure, "expected=104 got=105 seed=42"));
    mxf_tile_checker_free(&k);
    assert_int_equal(open_checker(&k, &s, NULL), 0);
    assert_int_equal(run(&k, 0, 1), -1);
    assert_non_null(strstr(k.first_failure, "output expected on cycle 14, got on cycle 15"));
    mxf_tile_checker_free(&k);
    /* a row that never arrives */
    assert_int_equal(open_checker(&k, &s, NULL), 0);
    const int64_t y[C] = {value(0, 0, 0), value(0, 0, 1)};
    assert_int_equal(mxf_tile_checker_push(&k, cycle_of(NULL, 0, 0), y), 0);
    assert_int_equal(mxf_tile_checker_finish(&k, 20), -1);
    assert_non_null(strstr(k.first_failure, "MISMATCH tile=0 row=1"));
    mxf_tile_checker_free(&k);
}

static void test_golden_out_of_memory_is_an_error(void **st)
{
    (void)st;
    mxf_tile_checker k;
    mxf_err e = {{0}};
    plan_state first = {0, 0};
    assert_int_equal(open_checker(&k, &first, &e), -1);
    assert_non_null(strstr(e.msg, "out of memory"));
    assert_true(mxf_err_is_resource(e.msg));

    plan_state later = {1, 0};
    assert_int_equal(open_checker(&k, &later, NULL), 0);
    assert_int_equal(run(&k, 0, 0), -2);
    assert_null(strstr(k.first_failure, "MISMATCH"));
    assert_non_null(strstr(k.first_failure, "out of memory for the golden output of tile 1"));
    /* it stays an error: later pushes and the finish say the same */
    const int64_t y[C] = {0, 0};
    assert_int_equal(mxf_tile_checker_push(&k, 0, y), -2);
    assert_int_equal(mxf_tile_checker_finish(&k, 99), -2);
    mxf_tile_checker_free(&k);

    plan_state nv = {-1, 1};
    assert_int_equal(open_checker(&k, &nv, NULL), 0);
    assert_int_equal(run(&k, 0, 0), -2);
    assert_non_null(strstr(k.first_failure, "out of memory for the naive GEMM"));
    mxf_tile_checker_free(&k);
}

/* mxf_sim_judge over a job whose finish returns a given result. */
static int finish_rc;
static int64_t job_cycles(const mxf_job *j)
{
    (void)j;
    return 10;
}
static int job_finish(mxf_job *j, int64_t last)
{
    (void)j;
    (void)last;
    return finish_rc;
}
static const char *job_failure(const mxf_job *j)
{
    (void)j;
    return finish_rc == -2 ? "checker: out of memory for the naive GEMM" : "MISMATCH planted";
}

static void test_judge_separates_errors_from_mismatches(void **st)
{
    (void)st;
    const mxf_job_ops ops = {job_cycles, NULL, NULL, job_finish, job_failure, NULL};
    mxf_job j = {&ops, NULL, 1, 1, 7};
    mxf_sim_ctx ctx;
    mxf_err e;
    const int want[3][2] = {{0, 0}, {-1, 1}, {-2, -1}}; /* finish result, verdict */
    for (int i = 0; i < 3; i++) {
        memset(&ctx, 0, sizeof ctx);
        memset(&e, 0, sizeof e);
        finish_rc = want[i][0];
        assert_int_equal(mxf_sim_judge(&ctx, &j, "job", 0, 9, 12, &e), want[i][1]);
        assert_int_equal(mxf_err_is_resource(e.msg), want[i][0] == -2);
        assert_int_equal(strstr(ctx.failure, "MISMATCH planted") != NULL, want[i][0] == -1);
    }
    /* a push that already failed is judged without finish; the cycle count is checked too */
    finish_rc = 0;
    memset(&ctx, 0, sizeof ctx);
    assert_int_equal(mxf_sim_judge(&ctx, &j, "job", -2, 9, 12, &e), -1);
    memset(&ctx, 0, sizeof ctx);
    assert_int_equal(mxf_sim_judge(&ctx, &j, "job", 0, 8, 12, &e), 1);
    assert_non_null(strstr(ctx.failure, "MISMATCH total cycles"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_right_outputs_pass),
        cmocka_unit_test(test_planted_value_and_cycle_are_mismatches),
        cmocka_unit_test(test_golden_out_of_memory_is_an_error),
        cmocka_unit_test(test_judge_separates_errors_from_mismatches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
