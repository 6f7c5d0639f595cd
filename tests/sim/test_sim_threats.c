/* The sensors and truth of the threat classes, through mwx_sim_run:
 *   - separated stages' impact points (and all truth) are the same for every seed, while
 *     the measurements differ (the seed does reach the noise);
 *   - a noiseless pd-1 radar measures, at every scan, exactly the objects above its
 *     horizon and within range (elevation from our own geodetic normal), stages included;
 *   - a pd-1 geostationary IR satellite sees every object while the truth says it burns
 *     (above 20 km), and nothing that does not burn: not the spent stages, not the coast
 *     before circularising. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mwx/sim.h"

#define MAXR 200000

typedef struct rec_buf {
    mwx_record_t *r;
    size_t n;
} rec_buf_t;

static int sink(void *ctx, const mwx_record_t *rec)
{
    rec_buf_t *b = ctx;
    if (b->n >= MAXR)
        return MWX_EFULL;
    b->r[b->n++] = *rec;
    return 0;
}

static void run(const mwx_scenario_t *sc, uint64_t seed, rec_buf_t *b)
{
    mwx_sim_opts_t o = {seed, 1, 0.0};
    mwx_err_t err = {0, ""};
    b->n = 0;
    int rc = mwx_sim_run(sc, &o, sink, b, &err);
    if (rc)
        print_error("%s\n", err.msg);
    assert_int_equal(rc, 0);
}

static mwx_scenario_t *load_file(const char *name)
{
    char path[512];
    mwx_scenario_t *sc = calloc(1, sizeof *sc);
    mwx_err_t err = {0, ""};
    assert_non_null(sc);
    snprintf(path, sizeof path, "%s/scenarios/%s", MWX_SOURCE_DIR, name);
    int rc = mwx_scenario_load(path, sc, &err);
    if (rc)
        print_error("%s\n", err.msg);
    assert_int_equal(rc, 0);
    return sc;
}

static void test_stage_impacts_same_for_every_seed(void **state)
{
    mwx_scenario_t *sc = load_file("test-staging.json");
    rec_buf_t a = {calloc(MAXR, sizeof(mwx_record_t)), 0};
    rec_buf_t b = {calloc(MAXR, sizeof(mwx_record_t)), 0};
    assert_non_null(a.r);
    assert_non_null(b.r);
    run(sc, 1, &a);
    run(sc, 987654321, &b);
    size_t na = 0, nb = 0, n_imp = 0, n_meas_diff = 0, ia, ib;
    /* truth, in order, identical */
    for (ia = 0, ib = 0;; ia++, ib++) {
        while (ia < a.n && a.r[ia].type != MWX_REC_TRUTH)
            ia++;
        while (ib < b.n && b.r[ib].type != MWX_REC_TRUTH)
            ib++;
        if (ia >= a.n || ib >= b.n)
            break;
        const mwx_rec_truth_t *x = &a.r[ia].u.truth, *y = &b.r[ib].u.truth;
        assert_string_equal(x->object, y->object);
        assert_true(x->t == y->t);
        assert_memory_equal(x->ecef_m, y->ecef_m, sizeof x->ecef_m);
        assert_int_equal(x->phase, y->phase);
        na++;
        nb++;
        if (x->phase == MWX_PHASE_IMPACT && strstr(x->object, "-S1")) {
            /* the stage's impact is where its trajectory says */
            mwx_geo_t g;
            mwx_traj_object_t o;
            int li = strcmp(x->launch, "L1") == 0 ? 0 : 1;
            assert_int_equal(mwx_traj_object(sc->traj[li], 1, &o), 0);
            assert_string_equal(o.id, x->object);
            mwx_ecef_to_geo(&sc->physics.earth, x->ecef_m, &g);
            assert_true(fabs(g.lat - o.impact_lat) < 1e-9);
            assert_true(fabs(g.alt) < 1e-3);
            print_message("  %s down at %.1f s, %.3f N %.3f E\n", x->object, x->t, g.lat / MWX_DEG,
                          g.lon / MWX_DEG);
            n_imp++;
        }
    }
    assert_true(ia >= a.n && ib >= b.n);
    assert_int_equal(n_imp, 2);
    /* while the measurements do change with the seed */
    for (size_t i = 0, j = 0; i < a.n && j < b.n; i++, j++) {
        while (i < a.n && a.r[i].type != MWX_REC_MEAS)
            i++;
        while (j < b.n && b.r[j].type != MWX_REC_MEAS)
            j++;
        if (i < a.n && j < b.n && a.r[i].u.meas.range_m != b.r[j].u.meas.range_m)
            n_meas_diff++;
    }
    print_message("  %zu truth records identical; %zu measurements differ\n", na, n_meas_diff);
    assert_true(na > 1000);
    assert_true(n_meas_diff > 100);
    free(a.r);
    free(b.r);
    mwx_scenario_free(sc);
    free(sc);
}

static const char *k_sensors_scn =
    "{\"name\": \"t\", \"epoch\": \"2026-11-22T03:00:00Z\", \"status\": \"Test\","
    " \"duration_s\": 1200, \"seed\": 3,"
    " \"nations\": [{\"id\": \"KR\"}, {\"id\": \"US\"}],"
    " \"sensors\": ["
    "  {\"id\": \"R1\", \"nation\": \"KR\", \"kind\": \"radar\", \"lat\": 37.5, \"lon\": 128.9,"
    "   \"max_range_km\": 1500, \"min_elevation_deg\": 2, \"revisit_s\": 2, \"pd\": 1,"
    "   \"sigma_range_m\": 0, \"sigma_az_deg\": 0, \"sigma_el_deg\": 0},"
    "  {\"id\": \"R2\", \"nation\": \"KR\", \"kind\": \"radar\", \"lat\": 33.0, \"lon\": 126.5,"
    "   \"max_range_km\": 1200, \"revisit_s\": 1.5, \"pd\": 1,"
    "   \"sigma_range_m\": 0, \"sigma_az_deg\": 0, \"sigma_el_deg\": 0},"
    "  {\"id\": \"IR\", \"nation\": \"US\", \"kind\": \"ir_satellite\", \"lon\": 125,"
    "   \"revisit_s\": 1, \"pd\": 1, \"sigma_los_urad\": 0}],"
    " \"launches\": ["
    "  {\"id\": \"SL\", \"t_launch_s\": 20, \"site\": {\"lat\": 39.66, \"lon\": 124.7},"
    "   \"profile\": \"space_launch\", \"azimuth_deg\": 175, \"orbit_alt_km\": 500,"
    "   \"stages\": [{\"burn_time_s\": 130}, {\"burn_time_s\": 180}, {\"burn_time_s\": 300}]},"
    "  {\"id\": \"L1\", \"t_launch_s\": 40, \"site\": {\"lat\": 39.2, \"lon\": 125.67},"
    "   \"aim\": {\"lat\": 40.5, \"lon\": 134.0}, \"burn_time_s\": 90, \"stages\": 2}]}";

/* Elevation (rad) of p from the site, above the plane normal to the geodetic vertical. */
static double elevation(double lat, double lon, const double site[3], const double p[3],
                        double *range)
{
    double up[3] = {cos(lat) * cos(lon), cos(lat) * sin(lon), sin(lat)}, d[3];
    for (int i = 0; i < 3; i++)
        d[i] = p[i] - site[i];
    *range = mwx_norm3(d);
    return asin(mwx_dot3(d, up) / *range);
}

static void test_radar_and_ir_see_what_they_should(void **state)
{
    mwx_scenario_t *sc = calloc(1, sizeof *sc);
    mwx_err_t err = {0, ""};
    rec_buf_t b = {calloc(MAXR, sizeof(mwx_record_t)), 0};
    assert_non_null(sc);
    assert_non_null(b.r);
    int rc =
        mwx_scenario_load_string(k_sensors_scn, strlen(k_sensors_scn), "t.json", NULL, sc, &err);
    if (rc)
        print_error("%s\n", err.msg);
    assert_int_equal(rc, 0);
    run(sc, 5, &b);

    int n_checked = 0, n_seen_stage = 0, n_ir = 0, n_ir_stage_burning = 0;
    for (int s = 0; s < sc->n_sensors; s++) {
        const mwx_sensor_cfg_t *cfg = &sc->sensors[s];
        double site[3], phase = -1.0;
        mwx_geo_t sg = {cfg->lat, cfg->lon, cfg->alt_m};
        mwx_geo_to_ecef(&sc->physics.earth, &sg, site);
        /* the scan schedule: phase + k * revisit (from the first measurement) */
        for (size_t i = 0; i < b.n && phase < 0; i++)
            if (b.r[i].type == MWX_REC_MEAS && strcmp(b.r[i].u.meas.sensor, cfg->id) == 0)
                phase = fmod(b.r[i].u.meas.t, cfg->revisit_s);
        assert_true(phase >= 0.0);
        size_t ri = 0;
        for (double t = phase; t <= sc->duration_s; t += cfg->revisit_s) {
            /* what it measured at t */
            char seen[16][MWX_ID_LEN];
            int n_seen = 0;
            /* records are in time order; truth.t and meas.t share their place */
            while (ri < b.n && (b.r[ri].type == MWX_REC_SCENARIO || b.r[ri].u.meas.t < t - 1e-6))
                ri++;
            for (size_t j = ri; j < b.n && b.r[j].u.meas.t <= t + 1e-6; j++)
                if (b.r[j].type == MWX_REC_MEAS && strcmp(b.r[j].u.meas.sensor, cfg->id) == 0 &&
                    fabs(b.r[j].u.meas.t - t) < 1e-6 && n_seen < 16)
                    mwx_strlcpy(seen[n_seen++], b.r[j].u.meas.truth_object, MWX_ID_LEN);
            /* what it should have */
            for (int li = 0; li < sc->n_launches; li++) {
                for (int k = 0; k < mwx_traj_n_objects(sc->traj[li]); k++) {
                    mwx_traj_object_t o;
                    double p[3], v[3], range;
                    mwx_phase_t ph;
                    mwx_geo_t g;
                    assert_int_equal(mwx_traj_object(sc->traj[li], k, &o), 0);
                    if (t < o.t_start || t >= o.t_end)
                        continue;
                    assert_int_equal(mwx_traj_object_state(sc->traj[li], k, t, p, v, &ph), 0);
                    int expect, got = 0;
                    for (int q = 0; q < n_seen; q++)
                        got |= strcmp(seen[q], o.id) == 0;
                    mwx_ecef_to_geo(&sc->physics.earth, p, &g);
                    if (cfg->kind == MWX_SENSOR_RADAR) {
                        double el = elevation(cfg->lat, cfg->lon, site, p, &range);
                        if (fabs(el - cfg->min_elevation) < 1e-4 ||
                            fabs(range - cfg->max_range_m) < 100.0)
                            continue; /* on the edge */
                        expect = el >= cfg->min_elevation && range <= cfg->max_range_m;
                        if (got && k > 0)
                            n_seen_stage++;
                    } else {
                        /* burning: the launch's vehicle in phase boost; the limb is far
                         * (the satellite is at the launches' longitude) */
                        if (ph == MWX_PHASE_BOOST && g.alt < 20e3)
                            continue; /* the plume may still be under the cloud tops */
                        expect = ph == MWX_PHASE_BOOST;
                        if (got)
                            n_ir++;
                        if (got && k > 0)
                            n_ir_stage_burning++;
                    }
                    if (expect != got)
                        print_error("%s at %.2f s: %s expected %d got %d (phase %d, alt %.1f "
                                    "km)\n",
                                    cfg->id, t, o.id, expect, got, (int)ph, g.alt / 1e3);
                    assert_int_equal(expect, got);
                    n_checked++;
                }
            }
        }
    }
    print_message("  %d (scan, object) pairs checked; radar saw stages %d times; IR saw burning "
                  "objects %d times (stages after separation: %d)\n",
                  n_checked, n_seen_stage, n_ir, n_ir_stage_burning);
    assert_true(n_seen_stage > 100);
    assert_true(n_ir > 300);
    assert_int_equal(n_ir_stage_burning, 0); /* a spent stage never burns */
    free(b.r);
    mwx_scenario_free(sc);
    free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stage_impacts_same_for_every_seed),
        cmocka_unit_test(test_radar_and_ir_see_what_they_should),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
