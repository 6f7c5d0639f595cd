/* The thrust/lift evidence guard of a track (guard.c): what the track has been shown to
 * be (mwx_track_class_t), independent of the IMM's mode probabilities. Internal to
 * src/track (tests include it directly). */
#ifndef MWX_TRACK_GUARD_H
#define MWX_TRACK_GUARD_H

#include "mwx/track.h"

#define MWX_GUARD_N         32    /* state samples kept, one per >= 1 s: 31 s of flight */
#define MWX_GUARD_QUIET_S   20.0  /* evidence-free time before a track counts as ballistic */
#define MWX_GUARD_PBOOST    0.3   /* P(boost) above this is thrust evidence */
#define MWX_GUARD_SL_BURN_S 330.0 /* a burn longer than this is a space launch */
#define MWX_GUARD_SL_SEEN_S 60.0  /* ... once the track has been seen this long */
#define MWX_GUARD_SL_SPEED  0.9   /* ... as is a speed above this times circular speed */
#define MWX_GUARD_ORBIT_M   100e3 /* perigee altitude above which a body is in orbit */
/* The speed and orbit tests need a velocity known to this (m/s, 1 sigma per axis): a new
 * track's first states (IR triangulations, false alarms) are off by km/s and once made a
 * quasi-ballistic missile at 16 km a space launch for good (default morning's Q1). */
#define MWX_GUARD_SL_SIGMA_V 300.0
/* A glide vehicle (docs/TRACKER.md "Glide vehicles"): faster than this (m/s, Mach 8 and
 * more) between these altitudes (m), its path within MWX_GUARD_GLIDE_GAMMA (rad) of level,
 * not under thrust: flight no ballistic body flies there (a re-entry vehicle comes down
 * at 40 deg or more, a quasi-ballistic missile at 2 km/s or less) */
#define MWX_GUARD_GLIDE_V     2500.0
#define MWX_GUARD_GLIDE_ALT0  20e3
#define MWX_GUARD_GLIDE_ALT1  80e3
#define MWX_GUARD_GLIDE_GAMMA (20.0 * MWX_DEG)

typedef struct mwx_guard_sample {
    double t;
    double x[6];  /* ECEF position, velocity */
    double var_v; /* mean variance of the velocity (m^2/s^2) */
} mwx_guard_sample_t;

typedef struct mwx_guard {
    double t_first;  /* first update */
    double t_thrust; /* last thrust evidence (-inf: none) */
    double t_lift;   /* last lift evidence (-inf: none) */
    double t_burn0;  /* start of the burn: launch estimate, else first update */
    int space;       /* part of a space launch (sticky) */
    int in_orbit;    /* perigee above MWX_GUARD_ORBIT_M now */
    int quiet;       /* MWX_GUARD_QUIET_S without thrust or lift evidence */
    int glide;       /* seen in glide flight (sticky): class glide unless thrusting */
    mwx_track_class_t klass;
    int n, head;
    mwx_guard_sample_t s[MWX_GUARD_N];
    double nis_avg; /* running mean of NIS per measured dimension (1 when it fits) */
    int nis_n;
    /* The aerodynamic acceleration seen over the 10 s lag: the velocity's departure
     * across the path from the continuation with drag, per second (ECEF, m/s^2), its
     * sigma, the drag's own mean acceleration over the lag, and when (aero_t, -inf:
     * never). The tracker continues a dive with it (tracker.c, dive_ld). */
    double aero_acc[3], aero_sig, aero_drag, aero_t;
    /* the last evidence test, for tests and docs */
    double last_along, last_perp, last_sigma;
} mwx_guard_t;

void mwxi_guard_init(mwx_guard_t *g, double t);
/* A track was updated at t: combined state x (MWX_TRACK_NX) with covariance; p_boost is
 * the IMM's boost probability (0 once the boost mode is retired); t_launch the launch
 * estimate's time (NAN: none). ballistic is the model that gives the no-thrust
 * continuation. Returns the class. */
mwx_track_class_t mwxi_guard_update(mwx_guard_t *g, const mwx_motion_model_t *ballistic,
                                    const mwx_dyn_params_t *p, const mwx_gauss_t *x, double p_boost,
                                    double t, double t_launch);
/* May the track carry a ballistic impact prediction: shown quiet, and not in orbit. */
static inline int mwx_guard_impact_ok(const mwx_guard_t *g)
{
    return g->quiet && !g->in_orbit;
}

/* The normalised innovation of the update at t (nis over nz dimensions): a filter that
 * has stopped following the body (a single ballistic mode while a stage re-ignites)
 * shows it here first. Returns 1 when it is manoeuvre evidence. */
int mwxi_guard_innovation(mwx_guard_t *g, double nis, int nz, double t);
/* Perigee altitude (m) of the free-flight orbit of an ECEF state (point-mass gravity,
 * inertial velocity); -inf when unbound orbits are not the question (hyperbolic: +inf). */
double mwxi_guard_perigee_alt(const mwx_dyn_params_t *p, const double *x);

#endif
