/* Scenario loader and the run loop.
 *   - every scenario in scenarios/ loads (schema only), units converted, defaults applied;
 *   - each bad input gives MWX_EINVAL (or MWX_ERANGE) and a message with the JSON path;
 *   - the run: scenario record first, non-decreasing t, per-sensor scan counts, seed
 *     override, same seed same records, a new sensor leaves the others' noise alone;
 *   - with the trajectory code: truth at launch, burnout and impact, measurements only
 *     of objects in flight (skipped while mwx_traj_create says MWX_EUNSUPPORTED). */
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

static mwx_scenario_t *sc_new(void)
{
    mwx_scenario_t *sc = calloc(1, sizeof *sc);
    assert_non_null(sc);
    return sc;
}

static int load(const char *text, mwx_scenario_t *sc, mwx_err_t *err)
{
    return mwx_scenario_parse(text, strlen(text), "t.json", NULL, MWX_SCENARIO_NO_TRAJ, sc, err);
}

static void test_repo_scenarios_load(void **state)
{
    const char *names[] = {"default",      "test-kepler",          "test-salvo",
                           "test-single",  "test-clutter",         "test-glide",
                           "test-staging", "test-quasi-ballistic", "test-space-launch"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[512];
        mwx_scenario_t *sc = sc_new();
        mwx_err_t err = {0, ""};
        int rc;
        snprintf(path, sizeof path, "%s/scenarios/%s.json", MWX_SOURCE_DIR, names[i]);
        rc = mwx_scenario_load(path, sc, &err);
        if (rc)
            print_error("%s\n", err.msg);
        assert_int_equal(rc, 0);
        assert_non_null(sc->json);
        assert_true(sc->regions_path[0] != '\0');
        if (i == 0) {
            assert_string_equal(sc->name, "northeast-asia-morning");
            assert_int_equal(sc->status, MWX_STATUS_EXERCISE);
            assert_int_equal(sc->n_nations, 3);
            assert_int_equal(sc->n_sharing, 3);
            assert_int_equal(sc->n_sensors, 12);
            assert_int_equal(sc->n_launches, 9);
            assert_int_equal(sc->sharing[0].n_to, 2);
            assert_string_equal(sc->sharing[0].to[1], "JP");
            assert_float_equal(sc->sensors[0].lat, 36.94 * MWX_DEG, 1e-12);
            assert_float_equal(sc->sensors[0].max_range_m, 800e3, 1e-6);
            assert_float_equal(sc->sensors[10].sigma_los, 30e-6, 1e-15);
            assert_int_equal(sc->sensors[10].kind, MWX_SENSOR_IR);
            assert_int_equal(sc->launches[0].profile, MWX_PROFILE_LOFTED);
            assert_float_equal(sc->launches[0].apogee_m, 4500e3, 1e-6);
            /* 2026-11-22T22:00:00Z */
            assert_float_equal(sc->epoch, 1795384800.0, 1e-6);
            assert_true(strstr(sc->regions_path, "regions/northeast-asia.geojson") != NULL);
        }
        if (i == 1) {
            assert_int_equal(sc->physics.spherical, 1);
            assert_float_equal(sc->physics.earth.a, 6371008.8, 1e-6);
            assert_float_equal(sc->physics.earth.omega, 0, 0);
            assert_int_equal(sc->physics.drag, 0);
        }
        mwx_scenario_free(sc);
        free(sc);
    }
}

#define MIN_SCN                                                                                    \
    "{\"epoch\": \"2026-11-22T03:00:00Z\", \"duration_s\": 100, "                                  \
    "\"nations\": [{\"id\": \"JP\"}]"

static void test_defaults(void **state)
{
    mwx_scenario_t *sc = sc_new();
    mwx_err_t err = {0, ""};
    const char *t = MIN_SCN ", \"sensors\": [{\"id\": \"R\", \"nation\": \"JP\", \"kind\": "
                            "\"radar\", \"lat\": 35, \"lon\": 135}, {\"id\": \"I\", \"nation\": "
                            "\"JP\", \"kind\": \"ir_satellite\", \"lon\": 140}], \"launches\": "
                            "[{\"id\": \"L\", \"t_launch_s\": 5, \"site\": {\"lat\": 39, \"lon\": "
                            "125}, \"aim\": {\"lat\": 40, \"lon\": 133}}]}";
    assert_int_equal(load(t, sc, &err), 0);
    assert_string_equal(sc->name, "t");
    assert_int_equal(sc->status, MWX_STATUS_EXERCISE);
    assert_int_equal(sc->seed, MWX_SCN_DEFAULT_SEED);
    assert_int_equal(sc->physics.spherical, 0);
    assert_int_equal(sc->physics.rotation, 1);
    assert_int_equal(sc->physics.j2, 1);
    assert_int_equal(sc->physics.drag, 1);
    assert_float_equal(sc->physics.earth.omega, MWX_WGS84_OMEGA, 0);
    assert_int_equal(sc->n_sharing, 0);
    assert_float_equal(sc->sensors[0].revisit_s, 1.0, 0);
    assert_float_equal(sc->sensors[0].pd, 0.9, 0);
    assert_float_equal(sc->sensors[0].max_range_m, 1000e3, 1e-6);
    assert_float_equal(sc->sensors[0].min_elevation, 1.0 * MWX_DEG, 1e-15);
    assert_float_equal(sc->sensors[0].sigma_range_m, 30, 0);
    assert_float_equal(sc->sensors[0].sigma_az, 0.05 * MWX_DEG, 1e-15);
    assert_float_equal(sc->sensors[0].false_alarms_per_scan, 0, 0);
    assert_float_equal(sc->sensors[1].pd, 0.99, 0);
    assert_float_equal(sc->sensors[1].sigma_los, 30e-6, 1e-15);
    assert_int_equal(sc->launches[0].profile, MWX_PROFILE_MINIMUM_ENERGY);
    assert_float_equal(sc->launches[0].burn_time_s, 120, 0);
    assert_float_equal(sc->launches[0].beta_kg_m2, 5000, 0);
    assert_float_equal(sc->launches[0].site_lon, 125 * MWX_DEG, 1e-15);
    mwx_scenario_free(sc);
    free(sc);
}

static const struct bad {
    const char *json;
    const char *msg; /* expected substring */
} bads[] = {
    {"{\"epoch\": \"2026-11-22T03:00:00Z\", \"duration_s\": 100, \"nations\": [{\"id\": "
     "\"JP\"}], \"sensors\": [{\"id\": \"R\", \"nation\": \"JP\", \"kind\": \"radar\", "
     "\"lat\": 35, \"lon\": 135, \"pd\": 1.5}]}",
     "t.json: $.sensors[0].pd: expected a number in [0, 1], got 1.5"},
    {MIN_SCN ", \"colour\": 1}", "t.json: $.colour: unknown key"},
    {MIN_SCN ", \"status\": \"Actual\"}", "$.status: \"Actual\" is refused"},
    {MIN_SCN ", \"status\": \"Live\"}", "$.status: expected one of"},
    {"{\"epoch\": \"2026-11-22T03:00:00Z\", \"nations\": [{\"id\": \"JP\"}]}",
     "$.duration_s: missing"},
    {MIN_SCN ", \"epoch\": \"yesterday\"}", "duplicate"}, /* jansson rejects duplicate keys */
    {"{\"epoch\": \"yesterday\", \"duration_s\": 1, \"nations\": [{\"id\": \"JP\"}]}",
     "$.epoch: expected an RFC 3339 time"},
    {MIN_SCN ", \"sensors\": [{\"id\": \"R\", \"nation\": \"JP\", \"kind\": \"radar\", "
             "\"lat\": 95, \"lon\": 135}]}",
     "$.sensors[0].lat: expected a number in [-90, 90], got 95"},
    {MIN_SCN ", \"sensors\": [{\"id\": \"R\", \"nation\": \"JP\", \"kind\": \"radar\", "
             "\"lat\": 35, \"lon\": 181}]}",
     "$.sensors[0].lon: expected a number in [-180, 180], got 181"},
    {MIN_SCN ", \"sensors\": [{\"id\": \"R\", \"nation\": \"JP\", \"kind\": \"radar\", "
             "\"lat\": 35, \"lon\": 135, \"sigma_range_m\": -1}]}",
     "$.sensors[0].sigma_range_m: expected a number in [0, 100000], got -1"},
    {MIN_SCN ", \"sensors\": [{\"id\": \"I\", \"nation\": \"JP\", \"kind\": \"ir_satellite\", "
             "\"lon\": 135, \"sigma_los_urad\": -3}]}",
     "$.sensors[0].sigma_los_urad: expected a number in [0, 10000], got -3"},
    {MIN_SCN ", \"sensors\": [{\"id\": \"R\", \"nation\": \"JP\", \"kind\": \"radar\", "
             "\"lat\": 35, \"lon\": 135, \"revisit_s\": 0}]}",
     "$.sensors[0].revisit_s: expected a number in [0.01, 3600], got 0"},
    {MIN_SCN ", \"sensors\": [{\"id\": \"R\", \"nation\": \"JP\", \"kind\": \"radar\", "
             "\"lat\": 35, \"lon\": 135}, {\"id\": \"R\", \"nation\": \"JP\", \"kind\": \"radar\", "
             "\"lat\": 36, \"lon\": 135}]}",
     "$.sensors[1].id: duplicate sensor id \"R\""},
    {MIN_SCN ", \"sensors\": [{\"id\": \"R\", \"nation\": \"KR\", \"kind\": \"radar\", "
             "\"lat\": 35, \"lon\": 135}]}",
     "$.sensors[0].nation: unknown nation \"KR\""},
    {MIN_SCN ", \"sensors\": [{\"id\": \"I\", \"nation\": \"JP\", \"kind\": \"ir_satellite\", "
             "\"lat\": 0, \"lon\": 135}]}",
     "$.sensors[0].lat: unknown key"},
    {MIN_SCN ", \"sensors\": [{\"id\": \"R\", \"nation\": \"JP\", \"kind\": \"sonar\", "
             "\"lat\": 35, \"lon\": 135}]}",
     "$.sensors[0].kind: expected one of \"radar\", \"ir_satellite\", got \"sonar\""},
    {MIN_SCN ", \"sharing\": [{\"from\": \"JP\", \"to\": [\"US\"]}]}",
     "$.sharing[0].to[0]: unknown nation \"US\""},
    {MIN_SCN ", \"sharing\": [{\"from\": \"CN\", \"to\": []}]}",
     "$.sharing[0].from: unknown nation \"CN\""},
    {"{\"epoch\": \"2026-11-22T03:00:00Z\", \"duration_s\": 100, \"nations\": [{\"id\": "
     "\"JP\"}, {\"id\": \"JP\"}]}",
     "$.nations[1].id: duplicate nation id \"JP\""},
    {MIN_SCN ", \"launches\": [{\"id\": \"L\", \"t_launch_s\": 101, \"site\": {\"lat\": 39, "
             "\"lon\": 125}, \"aim\": {\"lat\": 40, \"lon\": 133}}]}",
     "$.launches[0].t_launch_s: expected a number in [0, 100], got 101"},
    {MIN_SCN ", \"launches\": [{\"id\": \"L\", \"t_launch_s\": -1, \"site\": {\"lat\": 39, "
             "\"lon\": 125}, \"aim\": {\"lat\": 40, \"lon\": 133}}]}",
     "$.launches[0].t_launch_s: expected a number in [0, 100], got -1"},
    {MIN_SCN ", \"launches\": [{\"id\": \"L\", \"t_launch_s\": 1, \"site\": {\"lat\": 39, "
             "\"lon\": 125}, \"aim\": {\"lat\": 40, \"lon\": 133}, \"profile\": \"lofted\"}]}",
     "$.launches[0].apogee_km: missing: profile \"lofted\" needs an apogee"},
    {MIN_SCN ", \"launches\": [{\"id\": \"L\", \"t_launch_s\": 1, \"site\": {\"lat\": 39, "
             "\"lon\": 125}, \"aim\": {\"lat\": 40, \"lon\": 133}, \"profile\": \"depressed\"}]}",
     "$.launches[0].apogee_km: missing: profile \"depressed\" needs an apogee"},
    {MIN_SCN ", \"launches\": [{\"id\": \"L\", \"t_launch_s\": 1, \"site\": {\"lat\": 39, "
             "\"lon\": 125}, \"aim\": {\"lat\": 91, \"lon\": 133}}]}",
     "$.launches[0].aim.lat: expected a number in [-90, 90], got 91"},
    {MIN_SCN ", \"launches\": [{\"id\": \"L\", \"t_launch_s\": 1, \"site\": {\"lat\": 39, "
             "\"lon\": 125}, \"aim\": {\"lat\": 40, \"lon\": 133}}, {\"id\": \"L\", "
             "\"t_launch_s\": 1, \"site\": {\"lat\": 39, \"lon\": 125}, \"aim\": {\"lat\": 40, "
             "\"lon\": 133}}]}",
     "$.launches[1].id: duplicate launch id \"L\""},
    {MIN_SCN ", \"physics\": {\"earth\": \"spherical\", \"j2\": true}}",
     "$.physics.j2: expected false"},
    {MIN_SCN ", \"physics\": {\"earth\": \"flat\"}}", "$.physics.earth: expected one of"},
    {MIN_SCN ", \"regions\": \"no/such/file.geojson\"}", "$.regions: cannot read"},
    {MIN_SCN ", \"seed\": 1.5}", "$.seed: expected an integer"},
    {"[1, 2]", "t.json: $: expected an object, got an array"},
    {"{\"epoch\": ", "t.json:1:"},
    {"{\"epoch\": \"2026-11-22T03:00:00Z\", \"duration_s\": 100, \"nations\": [{\"id\": "
     "\"J P\"}]}",
     "$.nations[0].id: expected an id of letters"},
};

static void test_bad_inputs(void **state)
{
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        mwx_scenario_t *sc = sc_new();
        mwx_err_t err = {0, ""};
        int rc = load(bads[i].json, sc, &err);
        if (rc != MWX_EINVAL || !strstr(err.msg, bads[i].msg))
            print_error("case %zu: rc %d msg \"%s\" (wanted \"%s\")\n", i, rc, err.msg,
                        bads[i].msg);
        assert_int_equal(rc, MWX_EINVAL);
        assert_non_null(strstr(err.msg, bads[i].msg));
        assert_null(sc->json);
        free(sc);
    }
}

/* MWX_DATA_DIR decides the default regions file; without a data folder it is "". */
static void test_data_dir(void **state)
{
    const char *tmp = getenv("MWX_TMPDIR");
    char dir[512], file[600], buf[512];
    mwx_scenario_t *sc = sc_new();
    mwx_err_t err = {0, ""};
    FILE *f;
    snprintf(dir, sizeof dir, "%s/sim-data-dir", tmp ? tmp : "/tmp");
    snprintf(file, sizeof file, "mkdir -p %s/regions", dir);
    assert_int_equal(system(file), 0);
    snprintf(file, sizeof file, "%s/regions/northeast-asia.geojson", dir);
    f = fopen(file, "w");
    assert_non_null(f);
    fputs("{}", f);
    fclose(f);
    setenv("MWX_DATA_DIR", dir, 1);
    assert_int_equal(mwx_sim_data_dir(buf, sizeof buf), 0);
    assert_string_equal(buf, dir);
    assert_int_equal(load(MIN_SCN "}", sc, &err), 0);
    assert_string_equal(sc->regions_path, file);
    mwx_scenario_free(sc);
    setenv("MWX_DATA_DIR", "/nonexistent/mwx-data", 1);
    assert_int_equal(mwx_sim_data_dir(buf, sizeof buf), MWX_ENOTFOUND);
    assert_int_equal(load(MIN_SCN "}", sc, &err), 0);
    assert_string_equal(sc->regions_path, "");
    mwx_scenario_free(sc);
    unsetenv("MWX_DATA_DIR");
    /* from the test binary's folder upwards: the source tree's data/ */
    assert_int_equal(mwx_sim_data_dir(buf, sizeof buf), 0);
    free(sc);
}

/* ---- the run */

typedef struct collect {
    mwx_record_t *v;
    size_t n, cap;
} collect_t;

static int collect_sink(void *ctx, const mwx_record_t *rec)
{
    collect_t *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        c->v = realloc(c->v, c->cap * sizeof *c->v);
        assert_non_null(c->v);
    }
    c->v[c->n++] = *rec;
    return 0;
}

static double rec_t(const mwx_record_t *r)
{
    return r->type == MWX_REC_TRUTH ? r->u.truth.t : r->type == MWX_REC_MEAS ? r->u.meas.t : -1;
}

#define MIN50_SCN                                                                                  \
    "{\"epoch\": \"2026-11-22T03:00:00Z\", \"duration_s\": 50, "                                   \
    "\"nations\": [{\"id\": \"JP\"}]"

static const char *two_radars =
    MIN50_SCN ", \"seed\": 5, \"sensors\": ["
              "{\"id\": \"A\", \"nation\": \"JP\", \"kind\": \"radar\", \"lat\": 35, \"lon\": 135, "
              "\"revisit_s\": 0.5, \"false_alarms_per_scan\": 2},"
              "{\"id\": \"B\", \"nation\": \"JP\", \"kind\": \"radar\", \"lat\": 36, \"lon\": 136, "
              "\"revisit_s\": 2, \"false_alarms_per_scan\": 1}]}";

static void test_run_order_and_counts(void **state)
{
    mwx_scenario_t *sc = sc_new();
    mwx_err_t err = {0, ""};
    collect_t c = {NULL, 0, 0};
    mwx_sim_stats_t st;
    size_t na = 0, nb = 0;
    assert_int_equal(load(two_radars, sc, &err), 0);
    assert_int_equal(mwx_sim_run_stats(sc, NULL, collect_sink, &c, &st, &err), 0);
    assert_true(c.n > 10);
    assert_int_equal(c.v[0].type, MWX_REC_SCENARIO);
    assert_int_equal(c.v[0].u.scenario.seed, 5);
    assert_string_equal(c.v[0].u.scenario.epoch, "2026-11-22T03:00:00Z");
    assert_ptr_equal(c.v[0].u.scenario.json, sc->json);
    for (size_t i = 1; i < c.n; i++) {
        assert_int_equal(c.v[i].type, MWX_REC_MEAS);
        assert_true(rec_t(&c.v[i]) >= 0 && rec_t(&c.v[i]) <= 50);
        if (i > 1)
            assert_true(rec_t(&c.v[i]) >= rec_t(&c.v[i - 1]));
        if (strcmp(c.v[i].u.meas.sensor, "A") == 0)
            na++;
        else
            nb++;
    }
    /* 100 scans of A at 2 false alarms, 25 of B at 1: Poisson totals within 5 sigma */
    assert_true(st.n_scans == 125 || st.n_scans == 124 || st.n_scans == 126);
    assert_true(fabs((double)na - 200) < 5 * sqrt(200.0));
    assert_true(fabs((double)nb - 25) < 5 * sqrt(25.0));
    assert_int_equal(st.n_meas, c.n - 1);
    assert_int_equal(st.n_false_alarms, st.n_meas);
    free(c.v);
    mwx_scenario_free(sc);
    free(sc);
}

static void test_run_determinism_and_seed(void **state)
{
    mwx_scenario_t *sc = sc_new(), *sc1 = sc_new();
    mwx_err_t err = {0, ""};
    collect_t a = {NULL, 0, 0}, b = {NULL, 0, 0}, d = {NULL, 0, 0}, e = {NULL, 0, 0};
    mwx_sim_opts_t opts = {5, 1, 0};
    const char *only_a = MIN50_SCN ", \"seed\": 5, \"sensors\": ["
                                   "{\"id\": \"A\", \"nation\": \"JP\", \"kind\": \"radar\", "
                                   "\"lat\": 35, \"lon\": 135, \"revisit_s\": 0.5, "
                                   "\"false_alarms_per_scan\": 2}]}";
    size_t k = 0;
    assert_int_equal(load(two_radars, sc, &err), 0);
    assert_int_equal(mwx_sim_run(sc, NULL, collect_sink, &a, &err), 0);
    assert_int_equal(mwx_sim_run(sc, NULL, collect_sink, &b, &err), 0);
    assert_int_equal(a.n, b.n);
    for (size_t i = 1; i < a.n; i++)
        assert_memory_equal(&a.v[i].u.meas, &b.v[i].u.meas, sizeof a.v[i].u.meas);
    /* --seed equal to the scenario's: the same; another seed: different */
    assert_int_equal(mwx_sim_run(sc, &opts, collect_sink, &d, &err), 0);
    assert_int_equal(d.n, a.n);
    assert_memory_equal(&d.v[1].u.meas, &a.v[1].u.meas, sizeof a.v[1].u.meas);
    opts.seed = 6;
    b.n = 0;
    assert_int_equal(mwx_sim_run(sc, &opts, collect_sink, &b, &err), 0);
    assert_int_equal(b.v[0].u.scenario.seed, 6);
    assert_true(b.n != a.n || memcmp(&b.v[1].u.meas, &a.v[1].u.meas, sizeof a.v[1].u.meas));
    /* sensor A alone produces exactly A's records of the two-sensor run */
    assert_int_equal(load(only_a, sc1, &err), 0);
    assert_int_equal(mwx_sim_run(sc1, NULL, collect_sink, &e, &err), 0);
    for (size_t i = 1; i < a.n; i++) {
        if (strcmp(a.v[i].u.meas.sensor, "A") != 0)
            continue;
        k++;
        assert_true(k < e.n);
        assert_memory_equal(&a.v[i].u.meas, &e.v[k].u.meas, sizeof a.v[i].u.meas);
    }
    assert_int_equal(k, e.n - 1);
    free(a.v);
    free(b.v);
    free(d.v);
    free(e.v);
    mwx_scenario_free(sc);
    mwx_scenario_free(sc1);
    free(sc);
    free(sc1);
}

static int stop_sink(void *ctx, const mwx_record_t *rec)
{
    int *n = ctx;
    return ++*n >= 3 ? 42 : 0;
}

static void test_run_sink_stops(void **state)
{
    mwx_scenario_t *sc = sc_new();
    mwx_err_t err = {0, ""};
    int n = 0;
    assert_int_equal(load(two_radars, sc, &err), 0);
    assert_int_equal(mwx_sim_run(sc, NULL, stop_sink, &n, &err), 42);
    assert_int_equal(n, 3);
    mwx_scenario_free(sc);
    free(sc);
}

/* With trajectories: test-single.json (one radar, one IR satellite, one launch). */
static void test_run_with_launch(void **state)
{
    char path[512];
    mwx_scenario_t *sc = sc_new();
    mwx_err_t err = {0, ""};
    collect_t c = {NULL, 0, 0};
    mwx_traj_info_t info;
    int rc, saw_launch = 0, saw_burnout = 0, saw_impact = 0;
    long radar = 0, ir = 0;
    snprintf(path, sizeof path, "%s/scenarios/test-single.json", MWX_SOURCE_DIR);
    rc = mwx_scenario_load(path, sc, &err);
    assert_int_equal(rc, 0);
    if (!sc->traj[0]) {
        mwx_scenario_free(sc);
        free(sc);
        skip(); /* the trajectory code is not in yet */
        return;
    }
    mwx_traj_get_info(sc->traj[0], &info);
    assert_int_equal(mwx_sim_run(sc, NULL, collect_sink, &c, &err), 0);
    for (size_t i = 1; i < c.n; i++) {
        const mwx_record_t *r = &c.v[i];
        assert_true(rec_t(r) >= rec_t(&c.v[i - 1]));
        if (r->type == MWX_REC_TRUTH) {
            double t = r->u.truth.t;
            assert_string_equal(r->u.truth.object, "L1");
            assert_true(t >= info.t_launch && t <= info.t_impact);
            saw_launch |= t == info.t_launch;
            saw_burnout |= t == info.t_burnout;
            if (t == info.t_impact) {
                saw_impact = 1;
                assert_int_equal(r->u.truth.phase, MWX_PHASE_IMPACT);
            } else if (t != info.t_burnout) {
                assert_int_equal(r->u.truth.phase,
                                 t < info.t_burnout ? MWX_PHASE_BOOST : MWX_PHASE_BALLISTIC);
            }
        } else {
            assert_int_equal(r->type, MWX_REC_MEAS);
            assert_true(r->u.meas.t >= info.t_launch && r->u.meas.t < info.t_impact);
            if (r->u.meas.kind == MWX_SENSOR_IR) {
                ir++;
                assert_true(r->u.meas.t <= info.t_burnout);
            } else {
                /* the radar saw the trajectory's state at the same t: residuals small */
                const mwx_rec_meas_t *m = &r->u.meas;
                const mwx_sensor_cfg_t *cf = &sc->sensors[0];
                mwx_earth_t e = mwx_earth_wgs84();
                mwx_geo_t site = {cf->lat, cf->lon, cf->alt_m};
                double p[3], v[3], se[3], rr, az, el;
                mwx_phase_t ph;
                radar++;
                assert_string_equal(m->truth_object, "L1");
                assert_int_equal(mwx_traj_state(sc->traj[0], m->t, p, v, &ph), 0);
                mwx_geo_to_ecef(&e, &site, se);
                mwx_ecef_to_rae(&site, se, p, &rr, &az, &el);
                assert_true(el >= cf->min_elevation && rr <= cf->max_range_m);
                assert_true(fabs(m->range_m - rr) < 6 * cf->sigma_range_m);
                assert_true(fabs(mwx_wrap_pi(m->az_deg * MWX_DEG - az)) < 6 * cf->sigma_az);
                assert_true(fabs(m->el_deg * MWX_DEG - el) < 6 * cf->sigma_el);
            }
        }
    }
    assert_true(saw_launch && saw_burnout && saw_impact);
    assert_true(radar > 50);
    assert_true(ir > 10);
    free(c.v);
    mwx_scenario_free(sc);
    free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repo_scenarios_load),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_data_dir),
        cmocka_unit_test(test_run_order_and_counts),
        cmocka_unit_test(test_run_determinism_and_seed),
        cmocka_unit_test(test_run_sink_stops),
        cmocka_unit_test(test_run_with_launch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
