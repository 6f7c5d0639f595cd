/* Shared helpers of the trajectory tests: physics set-ups and launches. */
#ifndef MWX_TEST_TRAJ_UTIL_H
#define MWX_TEST_TRAJ_UTIL_H

#include <string.h>

#include "mwx/sim.h"

#define TEST_EPOCH 1795316400.0 /* 2026-11-22T03:00:00Z */

static inline mwx_physics_t phys_full(void)
{
    mwx_physics_t ph;
    memset(&ph, 0, sizeof ph);
    ph.earth = mwx_earth_wgs84();
    ph.rotation = ph.j2 = ph.drag = 1;
    return ph;
}

/* Spherical, not rotating, no drag: the ballistic phase is an exact Kepler orbit. */
static inline mwx_physics_t phys_kepler(void)
{
    mwx_physics_t ph;
    memset(&ph, 0, sizeof ph);
    ph.earth = mwx_earth_sphere();
    ph.earth.omega = 0.0;
    ph.spherical = 1;
    return ph;
}

static inline mwx_launch_t make_launch(const char *id, double slat, double slon, double alat,
                                       double alon, mwx_profile_t prof, double apogee_km,
                                       double burn_s)
{
    mwx_launch_t l;
    memset(&l, 0, sizeof l);
    strncpy(l.id, id, sizeof l.id - 1);
    l.t_launch = 60.0;
    l.site_lat = slat * MWX_DEG;
    l.site_lon = slon * MWX_DEG;
    l.aim_lat = alat * MWX_DEG;
    l.aim_lon = alon * MWX_DEG;
    l.profile = prof;
    l.apogee_m = apogee_km * 1e3;
    l.burn_time_s = burn_s;
    l.beta_kg_m2 = 5000.0;
    return l;
}

#endif
