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
    mwx_earth_t wgs = mwx_earth_wgs84();
    double s12, az1, az2, la, lo, e[3], n[3], u[3];
    mwx_geodesic_inverse(&wgs, LAT0 * MWX_DEG, LON0 * MWX_DEG, lat1 * MWX_DEG, lon1 * MWX_DEG, &s12,
                         &az1, &az2);
    mwx_geodesic_direct(&wgs, LAT0 * MWX_DEG, LON0 * MWX_DEG, az1, s_m, &la, &lo);
    mwx_geodesic_inverse(&wgs, la, lo, lat1 * MWX_DEG, lon1 * MWX_DEG, &s12, &az1, &az2);
    mwx_rec_track_t k = wt_track(id, t, la / MWX_DEG, lo / MWX_DEG, alt_m, 0, 0, 0, 0, 0, 0);
    mwx_enu_basis(la, lo, e, n, u);
    for (int i = 0; i < 3; i++)
        k.vel_mps[i] = vh_mps * (sin(az1) * e[i] + cos(az1) * n[i]) + vu_mps * u[i];
    memset(k.cov_vel_m2s2, 0, sizeof k.cov_vel_m2s2);
    k.cov_vel_m2s2[0] = k.cov_vel_m2s2[3] = k.cov_vel_m2s2[5] = sv_mps * sv_mps;
    k.impact.valid = 0;
    k.launch.lat = LAT0;
    k.launch.lon = LON0;
    k.launch.t = T_LAUNCH;
    return k;
}

#endif
