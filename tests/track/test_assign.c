/* Hungarian assignment against brute force on random matrices (square, rectangular,
 * with forbidden pairs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "mwx/track.h"
#include "truthgen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Brute force: best total over all partial injections maximising the number of allowed
 * pairs first (as the solver does: forbidden pairs are only left out when unavoidable). */
static void brute(const double *c, int nr, int nc, int row, int *used, int npairs, double total,
                  int *best_n, double *best)
{
    if (row == nr) {
        if (npairs > *best_n || (npairs == *best_n && total < *best - 1e-9)) {
            *best_n = npairs;
            *best = total;
        }
        return;
    }
    /* leave the row unassigned only if it cannot be paired, or to free columns */
    brute(c, nr, nc, row + 1, used, npairs, total, best_n, best);
    for (int j = 0; j < nc; j++) {
        double v = c[row * nc + j];
        if (used[j] || v >= MWX_ASSIGN_FORBIDDEN)
            continue;
        used[j] = 1;
        brute(c, nr, nc, row + 1, used, npairs + 1, total + v, best_n, best);
        used[j] = 0;
    }
}

static void run_case(tg_rng_t *rng, int nr, int nc, double p_forbid)
{
    double c[64], total, best = HUGE_VAL;
    int r2c[8], used[8] = {0}, best_n = -1, n = 0;
    char work[4096];
    for (int i = 0; i < nr * nc; i++)
        c[i] = tg_uniform(rng) < p_forbid ? MWX_ASSIGN_FORBIDDEN : floor(100.0 * tg_uniform(rng));
    assert_true(mwx_assign_work_bytes(nr, nc) <= sizeof(work));
    assert_int_equal(mwx_assign_hungarian(c, nr, nc, r2c, &total, work, sizeof(work)), 0);
    brute(c, nr, nc, 0, used, 0, 0.0, &best_n, &best);
    /* a valid injection */
    memset(used, 0, sizeof(used));
    for (int i = 0; i < nr; i++) {
        if (r2c[i] < 0)
            continue;
        assert_true(r2c[i] < nc);
        assert_false(used[r2c[i]]);
        used[r2c[i]] = 1;
        assert_true(c[i * nc + r2c[i]] < MWX_ASSIGN_FORBIDDEN);
        n++;
    }
    if (p_forbid == 0.0) {
        assert_int_equal(n, nr < nc ? nr : nc);
        assert_true(fabs(total - best) < 1e-9);
    } else {
        /* with forbidden pairs the solver maximises pairs among those it can make with
         * the large stand-in cost, then minimises the cost: same as brute force */
        assert_int_equal(n, best_n);
        assert_true(fabs(total - best) < 1e-9);
    }
}

static void test_random_square(void **state)
{
    tg_rng_t rng = {1};
    for (int it = 0; it < 300; it++) {
        int n = 1 + (int)(tg_uniform(&rng) * 7);
        run_case(&rng, n, n, 0.0);
    }
}

static void test_random_rect(void **state)
{
    tg_rng_t rng = {2};
    for (int it = 0; it < 300; it++) {
        int nr = 1 + (int)(tg_uniform(&rng) * 7), nc = 1 + (int)(tg_uniform(&rng) * 7);
        run_case(&rng, nr, nc, 0.0);
    }
}

static void test_random_forbidden(void **state)
{
    tg_rng_t rng = {3};
    for (int it = 0; it < 300; it++) {
        int nr = 1 + (int)(tg_uniform(&rng) * 6), nc = 1 + (int)(tg_uniform(&rng) * 6);
        run_case(&rng, nr, nc, 0.4);
    }
}

static void test_known(void **state)
{
    /* classic 3x3: optimum 5 (0->1, 1->0, 2->2) */
    double c[9] = {4, 1, 3, 2, 0, 5, 3, 2, 2};
    int r2c[3];
    double total;
    char work[1024];
    assert_int_equal(mwx_assign_hungarian(c, 3, 3, r2c, &total, work, sizeof(work)), 0);
    assert_int_equal(r2c[0], 1);
    assert_int_equal(r2c[1], 0);
    assert_int_equal(r2c[2], 2);
    assert_true(fabs(total - 5.0) < 1e-12);
    assert_int_equal(mwx_assign_hungarian(c, 3, 3, r2c, &total, work, 8), MWX_EFULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known),
        cmocka_unit_test(test_random_square),
        cmocka_unit_test(test_random_rect),
        cmocka_unit_test(test_random_forbidden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
