/* Test-side truth for the tracker tests, written independently of src/track:
 *   - an exact Kepler propagator (universal variables, Lagrange f and g);
 *   - a missile flown with its own fine-step integrator (gravity with J2, Earth rotation,
 *     exponential-atmosphere drag; boost: thrust along the velocity after a vertical rise
 *     and a pitch kick, acceleration rising as propellant burns, optionally turned out of
 *     the plane of flight for a while: a dogleg);
 *   - radar and IR measurements with Gaussian noise from a seeded generator. */
#ifndef MWX_TEST_TRUTHGEN_H
#define MWX_TEST_TRUTHGEN_H

#include "mwx/core.h"

#include <stdint.h>

typedef struct tg_rng {
    uint64_t s;
} tg_rng_t;

double tg_uniform(tg_rng_t *r); /* (0, 1) */
double tg_gauss(tg_rng_t *r);   /* N(0, 1) */

/* Kepler: state (r, v) after dt under point-mass gm. */
void tg_kepler(double gm, const double r0[3], const double v0[3], double dt, double r[3],
               double v[3]);

typedef struct tg_missile {
    double t_launch;
    double lat, lon; /* rad */
    double azimuth;  /* rad, launch heading */
    double a0;       /* initial thrust acceleration, m/s^2 */
    double burn_s;
    double mass_frac; /* fraction of the mass burnt (a = a0 / (1 - mf t/burn)) */
    double kick_deg;  /* pitch kick at t = 8 s */
    double beta;      /* kg/m^2 of the re-entry body */
    /* dogleg: from dogleg_t0 to dogleg_t1 s after launch the thrust is turned by
     * dogleg_deg out of the vertical plane of flight (to the right of the velocity) */
    double dogleg_t0, dogleg_t1, dogleg_deg;
    /* sampled trajectory */
    double dt;
    int n;
    double (*st)[6]; /* ECEF states at t_launch + i dt */
    double t_burnout, t_impact;
    double impact_lat, impact_lon; /* rad */
} tg_missile_t;

/* Fly it (WGS-84, J2, rotation, drag) until impact. 0 ok. */
int tg_missile_fly(tg_missile_t *m);
void tg_missile_free(tg_missile_t *m);
/* ECEF state at t (linear interpolation of the 0.05 s samples is cm-accurate); 0 when
 * in flight, -1 outside. */
int tg_missile_state(const tg_missile_t *m, double t, double x[6]);

typedef struct tg_radar {
    char id[MWX_ID_LEN];
    char nation[MWX_ID_LEN];
    double lat, lon, alt; /* rad, rad, m */
    double max_range_m, min_el;
    double sig_r, sig_az_deg, sig_el_deg;
    double pd;
} tg_radar_t;

/* Radar measurement of ECEF point p at t; returns 0 if detected (visible and pd). */
int tg_radar_measure(const tg_radar_t *rd, tg_rng_t *rng, double t, const double p[3],
                     const char *truth, mwx_rec_meas_t *m);
/* A false alarm uniformly in the radar's volume. */
void tg_radar_false_alarm(const tg_radar_t *rd, tg_rng_t *rng, double t, mwx_rec_meas_t *m);
/* IR line of sight from a geostationary satellite at lon (rad); sigma in urad. */
void tg_ir_measure(const char *id, const char *nation, double sat_lon, double sigma_urad,
                   tg_rng_t *rng, double t, const double p[3], const char *truth,
                   mwx_rec_meas_t *m);

#endif
