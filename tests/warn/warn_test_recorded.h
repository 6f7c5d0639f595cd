/* Shared by the warn tests that replay a node's recorded track states (test_corridor,
 * test_threat): soak block 1's epoch, a KR node's warning context over KR's regions only,
 * and the parser of a recorded state line. Include after cmocka.h and jansson.h. */
#ifndef WARN_TEST_RECORDED_H
#define WARN_TEST_RECORDED_H

#include "warn_test_util.h"

static double g_epoch; /* block 1's epoch */

static inline int wt_block1_setup(void **st)
{
    mwx_err_t err = {0};
    (void)st;
    return mwx_time_parse("2026-11-23T06:00:00Z", &g_epoch, &err); /* block 1's epoch */
}

/* The KR node's regions: the node warns its own country's only (node.c, country_regions). */
static inline void wt_kr_regions(const char *dir, char *path, size_t n)
{
    json_error_t je;
    json_t *root = json_load_file(WT_REGIONS, 0, &je), *feats, *keep, *f;
    size_t i;
    assert_non_null(root);
    feats = json_object_get(root, "features");
    keep = json_array();
    json_array_foreach(feats, i, f)
    {
        const char *c =
            json_string_value(json_object_get(json_object_get(f, "properties"), "country"));
        if (c && strcmp(c, "KR") == 0)
            json_array_append(keep, f);
    }
    json_object_set_new(root, "features", keep);
    snprintf(path, n, "%s/kr.geojson", dir);
    assert_int_equal(json_dump_file(root, path, 0), 0);
    json_decref(root);
}

typedef struct wt_rec_fixture {
    char dir[512], regions[600];
    wt_log_t log;
    mwx_warn_t *w;
} fixture_t;

static inline void wt_open_kr(fixture_t *f, const char *name)
{
    mwx_warn_config_t cfg = {0};
    mwx_err_t err = {0};
    memset(&f->log, 0, sizeof f->log);
    wt_outdir(f->dir, sizeof f->dir, name);
    wt_kr_regions(f->dir, f->regions, sizeof f->regions);
    cfg.node = "KR";
    cfg.source = MWX_WARN_SOURCE_SIMULATED;
    cfg.status = MWX_STATUS_EXERCISE;
    cfg.epoch_unix_s = g_epoch;
    cfg.regions_path = f->regions;
    cfg.out_dir = f->dir;
    cfg.emit = wt_emit;
    cfg.user = &f->log;
    if (mwx_warn_create(&cfg, &f->w, &err))
        fail_msg("mwx_warn_create: %s", err.msg);
}

/* One recorded state of a line of tests/warn/data/ (34 fields, after any the caller read
 * first): position, velocity, their covariances, phase, class, confirmed, launch, impact.
 * The caller names the track. Returns the characters read. */
static inline int wt_parse_state(const char *line, mwx_rec_track_t *k)
{
    int phase, klass, lv, lb, iv, used = 0;
    double *c = k->cov_pos_m2, *v = k->cov_vel_m2s2;
    memset(k, 0, sizeof *k);
    assert_int_equal(
        sscanf(line,
               "%lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf "
               "%d %d %d %d %lf %lf %lf %d %d %lf %lf %lf %lf %lf %lf%n",
               &k->t, &k->ecef_m[0], &k->ecef_m[1], &k->ecef_m[2], &k->vel_mps[0], &k->vel_mps[1],
               &k->vel_mps[2], &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &v[0], &v[1], &v[2], &v[3],
               &v[4], &v[5], &phase, &klass, &k->confirmed, &lv, &k->launch.lat, &k->launch.lon,
               &k->launch.t, &lb, &iv, &k->impact.lat, &k->impact.lon, &k->impact.t,
               &k->impact.semi_major_km, &k->impact.semi_minor_km, &k->impact.orientation_deg,
               &used),
        34);
    k->phase = (mwx_phase_t)phase;
    k->klass = (mwx_track_class_t)klass;
    k->launch.valid = lv;
    k->launch.basis = (mwx_launch_basis_t)lb;
    k->impact.valid = iv;
    snprintf(k->node, sizeof k->node, "KR");
    return used;
}

#endif
