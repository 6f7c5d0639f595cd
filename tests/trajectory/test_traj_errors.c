/* Unreachable aims and bad launches: MWX_ERANGE (or MWX_EINVAL) with a message naming
 * the launch and the reason; nothing is returned and nothing leaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mwx/sim.h"
#include "traj_test_util.h"

static void expect_error(const mwx_physics_t *ph, const mwx_launch_t *l, int code,
                         const char *words)
{
    mwx_traj_t *tr = (mwx_traj_t *)&tr; /* must be reset to NULL */
    mwx_err_t err = {0, ""};
    int rc = mwx_traj_create(ph, l, TEST_EPOCH, &tr, &err);
    print_message("  %s\n", err.msg);
    assert_int_equal(rc, code);
    assert_int_equal(err.code, code);
    assert_null(tr);
    assert_non_null(strstr(err.msg, l->id));
    assert_non_null(strstr(err.msg, words));
}

static void test_aim_is_site(void **state)
{
    mwx_physics_t ph = phys_full();
    mwx_launch_t l =
        make_launch("SAME", 39.0, 125.7, 39.0, 125.7, MWX_PROFILE_MINIMUM_ENERGY, 0, 120);
    expect_error(&ph, &l, MWX_ERANGE, "from the site");
    l = make_launch("NEAR", 39.0, 125.7, 39.1, 125.8, MWX_PROFILE_MINIMUM_ENERGY, 0, 120);
    expect_error(&ph, &l, MWX_ERANGE, "from the site");
}

static void test_beyond_orbital(void **state)
{
    mwx_physics_t ph = phys_full();
    /* nearly antipodal: 19 000 km */
    mwx_launch_t l =
        make_launch("FAR", 39.0, 125.7, -35.0, -60.0, MWX_PROFILE_MINIMUM_ENERGY, 0, 180);
    expect_error(&ph, &l, MWX_ERANGE, "beyond a sub-orbital");
}

static void test_lofted_below_minimum_energy(void **state)
{
    mwx_physics_t ph = phys_full();
    /* 1900 km needs ~560 km of apogee at least */
    mwx_launch_t l =
        make_launch("LOW-LOFT", 39.0, 125.7, 41.0, 148.0, MWX_PROFILE_LOFTED, 300, 120);
    expect_error(&ph, &l, MWX_ERANGE, "below the");
    expect_error(&ph, &l, MWX_ERANGE, "minimum-energy apogee");
}

static void test_depressed_limits(void **state)
{
    mwx_physics_t ph = phys_full();
    mwx_launch_t l =
        make_launch("DEP-LOW", 39.0, 125.7, 38.0, 137.0, MWX_PROFILE_DEPRESSED, 40, 120);
    /* 40 km is a quasi-ballistic apogee now, but no boost reaches 991 km that low */
    expect_error(&ph, &l, MWX_ERANGE, "flies the depressed profile to within 1 km");
    l = make_launch("DEP-HIGH", 39.0, 125.7, 38.0, 137.0, MWX_PROFILE_DEPRESSED, 900, 120);
    expect_error(&ph, &l, MWX_ERANGE, "above the");
}

static void test_bad_launch(void **state)
{
    mwx_physics_t ph = phys_full();
    mwx_launch_t l = make_launch("NOAPO", 39.0, 125.7, 38.0, 137.0, MWX_PROFILE_LOFTED, 0, 120);
    expect_error(&ph, &l, MWX_EINVAL, "apogee");
    l = make_launch("BURN", 39.0, 125.7, 38.0, 137.0, MWX_PROFILE_MINIMUM_ENERGY, 0, 0);
    expect_error(&ph, &l, MWX_EINVAL, "burn_time_s");
    l = make_launch("BETA", 39.0, 125.7, 38.0, 137.0, MWX_PROFILE_MINIMUM_ENERGY, 0, 120);
    l.beta_kg_m2 = -1;
    expect_error(&ph, &l, MWX_EINVAL, "ballistic coefficient");
    l = make_launch("NAN", 39.0, 125.7, 38.0, 137.0, MWX_PROFILE_MINIMUM_ENERGY, 0, 120);
    l.aim_lat = NAN;
    expect_error(&ph, &l, MWX_EINVAL, "non-finite");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aim_is_site),
        cmocka_unit_test(test_beyond_orbital),
        cmocka_unit_test(test_lofted_below_minimum_energy),
        cmocka_unit_test(test_depressed_limits),
        cmocka_unit_test(test_bad_launch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
