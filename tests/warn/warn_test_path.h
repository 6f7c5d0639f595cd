/* Shared by the warn tests of one missile's path from a launch site (test_fan,
 * test_churn): the epoch, the usual JP context, feeding a track, and tracks along a great
 * circle from the site. Include after cmocka.h. */
#ifndef WARN_TEST_PATH_H
#define WARN_TEST_PATH_H

#include "warn_test_util.h"

static double g_epoch;

static inline int wt_path_setup(void **st)
{
    mwx_err_t err = {0};
    (void)st;
    return mwx_time_parse("2026-11-22T03:00:00Z", &g_epoch, &err);
}

typedef wt_ctx_t fixture_t;

static inline void open_ctx(fixture_t *f, const char *name)
{
    mwx_err_t err = {0};
    if (wt_ctx_open(f, name, g_epoch, &err))
        fail_msg("mwx_warn_create: %s", err.msg);
}

static inline void feed(fixture_t *f, const mwx_rec_track_t *k)
{
    mwx_err_t err = {0};
    if (mwx_warn_track(f->w, k, &err))
        fail_msg("mwx_warn_track: %s", err.msg);
}

#define LAT0     39.20 /* the launch site, and the launch time */
#define LON0     125.67
#define T_LAUNCH 100.0

/* A track on the great circle from the launch site towards (lat1, lon1), s_m along it,
 * alt_m up, moving along it at vh_mps and up at vu_mps, velocity sigma sv_mps per axis,
 * 100 m position sigma, launch estimate the site at T_LAUNCH, no impact prediction. */
static inline mwx_rec_track_t path_track(const char *id, double t, double lat1, double lon1,
                                         double s_m, double alt_m, double vh_mps, double vu_mps,
                                         double sv_mps)
{
    mwx_rec_track_t k =
        wt_path_track(id, t, LAT0, LON0, lat1, lon1, s_m, alt_m, vh_mps, vu_mps, sv_mps);
    k.launch.t = T_LAUNCH;
    return k;
}

#endif
