/* One launch's flight for a given boost programme (internal to src/sim).
 *
 * Frame: the flight is integrated in the inertial frame "L" that coincides with ECEF at
 * the launch instant (z = Earth axis). ECEF at flight time tau (s since launch) is
 * R3(omega tau) applied to L; the true ECI of core.h is L rotated back by the Earth
 * rotation angle at launch. Gravity (point mass, J2) is axially symmetric, and the
 * geodetic altitude depends only on z and the distance to the axis, so neither needs
 * the rotation angle; the atmosphere co-rotates (air velocity omega x r).
 *
 * Vehicle: two stages, Isp 270 s, constant mass flow; each stage burns the fraction
 * zeta of its initial mass, so the programme's ideal delta-v is
 * dv = 2 ve ln(1 / (1 - zeta)). Stage 1 burns half of burn_s, or less (down to 30 %)
 * when that keeps the lift-off thrust/weight (ve zeta / (g0 t1)) at 1.5. The stage-1
 * dry mass dropped at staging is 15 % of the mass left. Boost drag:
 * m / (Cd A) = 20 t/m^2 at lift-off (stage 2: half the Cd A). After burnout the
 * re-entry body flies alone with the launch's ballistic coefficient.
 *
 * Pitch programme: thrust along the local (geocentric) vertical for t_vert, then the
 * thrust elevation above the local horizontal falls to pitch_f at burnout as
 * pitch_f + (90 deg - pitch_f) (1 - s)^k, s the fraction of the pitch-over time gone
 * (k = 1, linear, first; k = 3 then 6 for depressed flights, which must pitch over
 * early to stay low), in the plane through the Earth's centre that leaves the site on
 * azimuth psi (fixed in the inertial frame). */
#ifndef MWX_TRAJ_FLIGHT_H
#define MWX_TRAJ_FLIGHT_H

#include <stddef.h>

#include "mwx/sim.h"
#include "sim/traj_integrator.h"

#define TRAJ_ISP_S        270.0
#define TRAJ_G0           9.80665
#define TRAJ_STAGING_DRY  0.15
#define TRAJ_BOOST_BETA0  20000.0
#define TRAJ_MIN_TW       1.5
#define TRAJ_MAX_FLIGHT_S 86400.0 /* a flight not down within a day is an orbit */
#define TRAJ_STAGE_BETA   1500.0  /* spent stage, tumbling empty tanks: m / (Cd A) */

/* What flies after burnout (traj_cfg_t.post). */
enum {
    TRAJ_POST_BALLISTIC = 0, /* gravity and drag */
    TRAJ_POST_QUASI = 1,     /* + a pull-up on lift in the descent, + the terminal weave */
    TRAJ_POST_GLIDE = 2      /* coast to the boost apex, glide on lift, dive on the aim */
};
/* Quasi-ballistic pull-up: descending through TRAJ_PULLUP_FRAC of the apogee (at least
 * TRAJ_PULLUP_MIN_M), lift at L/D TRAJ_PULLUP_LD (at most TRAJ_PULLUP_MAX_G) for
 * TRAJ_PULLUP_S seconds. */
#define TRAJ_PULLUP_FRAC  0.5
#define TRAJ_PULLUP_MIN_M 12000.0
#define TRAJ_PULLUP_LD    1.5
#define TRAJ_PULLUP_MAX_G 4.0
#define TRAJ_PULLUP_S     20.0
/* Terminal weave: a_lat = g A cos(2 pi 2 s / 30 s) over the last 30 s (two full periods:
 * the lateral offset and velocity it adds are back to zero at its end). */
#define TRAJ_WEAVE_S 30.0
/* Glide: altitude hold, then a dive once the aim is TRAJ_DIVE_DEPRESSION below the
 * local horizontal. */
#define TRAJ_GLIDE_TH_S      30.0 /* altitude error -> vertical speed wanted */
#define TRAJ_GLIDE_TV_S      8.0  /* vertical speed error -> acceleration */
#define TRAJ_GLIDE_TURN_S    60.0 /* heading error -> turn rate */
#define TRAJ_DIVE_S          3.0  /* line-of-sight error -> turn rate in the dive */
#define TRAJ_DIVE_DEPRESSION (20.0 * MWX_DEG)

/* The solver's unknowns. */
typedef struct traj_prog {
    double psi;     /* launch azimuth, rad clockwise from north, at the site */
    double pitch_f; /* thrust elevation above the local horizontal at burnout, rad */
    double dv;      /* ideal delta-v of both stages, m/s */
    int pitch_k;    /* shape of the pitch-over (fixed while solving): 1 linear, 3, 6 */
} traj_prog_t;

/* Fixed for one launch. */
typedef struct traj_cfg {
    mwx_earth_t earth; /* omega = 0 when !rotation */
    double j2;         /* earth.j2 when physics.j2, else 0 */
    int drag;
    double burn_s, t_vert, beta_rv;
    double site_lat, site_lon;
    double r0[3]; /* site, L frame (= ECEF at launch) */
    double up0[3], north0[3], east0[3];
    double rtol;             /* integrator tolerance: relative, */
    double atol_m, atol_mps; /* absolute on position and velocity */
    /* after burnout (TRAJ_POST_*) */
    int post;
    double ld;        /* lift-to-drag ratio: glide vehicle; quasi pull-up (TRAJ_PULLUP_LD) */
    double h_pullup;  /* quasi: pull-up altitude, m */
    double weave_g;   /* quasi: terminal weave amplitude, g (0 none) */
    double tau_weave; /* quasi: weave start, flight s (set by the solver; HUGE_VAL none) */
    double glide_h;   /* glide altitude, m */
    double aim[3];    /* glide: aim, ECEF */
    int stages_out;   /* ballistic: follow the spent first stage as an object */
    int stop_at_apex; /* glide: end the flight at the apex after burnout (solver) */
} traj_cfg_t;

typedef struct traj_flight {
    traj_seg_t *seg; /* dense output, in flight time tau */
    size_t n_seg, cap;
    size_t n_boost_seg; /* segments [0, n_boost_seg) are the boost */
    double tau_bo, tau_imp;
    double y_bo[TRAJ_N]; /* burnout state, L frame */
    double tau_stage;    /* first-stage separation (ballistic profiles) */
    double y_stage[TRAJ_N];
    double y_imp[TRAJ_N];
    int impacted;                  /* reached the surface (ballistic, or a crash in boost) */
    int crashed;                   /* hit the ground before burnout */
    int orbit;                     /* in orbit after tau_bo (space launch) */
    double tau_glide0, tau_glide1; /* flying on lift in [tau_glide0, tau_glide1) */
    double tau_apo_post;           /* glide: apex of the coast after burnout */
    double tau_coast0, tau_coast1; /* space launch: engine off inside the boost (the coast
                                    * to the apoapsis before circularising): ballistic */
    double tau_hold0; /* glide: first down to glide_h (HUGE_VAL: never before the dive) */
    double tau_dive;  /* glide: dive start (HUGE_VAL: none before impact) */
    double v_dive;    /* glide: speed at the dive start (air-relative) */
    long n_steps, n_rhs;
} traj_flight_t;

void mwxi_traj_cfg_init(traj_cfg_t *c, const mwx_physics_t *ph, const mwx_launch_t *l);

/* Altitude above the ellipsoid along the geocentric radial (exact at 0 m, within a few
 * metres of the geodetic height at 1000 km): the drag and impact-event altitude. */
double mwxi_traj_alt_radial(const mwx_earth_t *e, const double r[3]);

/* Integrate the boost, and the ballistic flight to impact unless boost_only.
 * Keeps fl->seg's buffer between calls. 0, MWX_ENOMEM, or MWX_ERANGE when the
 * integration failed (step budget). */
int mwxi_traj_fly(const traj_cfg_t *c, const traj_prog_t *p, int boost_only, traj_flight_t *fl);
void mwxi_traj_flight_free(traj_flight_t *fl);

/* Starts a flight: clears fl's results (keeps its segment buffer) and sets y to the
 * launch site at rest on the rotating Earth (L frame). */
void mwxi_traj_flight_start(const traj_cfg_t *c, traj_flight_t *fl, double y[TRAJ_N]);

/* The integrator's tolerances from c, with a first step h0 and a largest step hmax (s). */
void mwxi_traj_dp_opts(const traj_cfg_t *c, double h0, double hmax, traj_dp_opts_t *o);

/* State (L frame) at flight time tau in [0, tau_end] (clamped): O(log n). */
void mwxi_traj_flight_state(const traj_flight_t *fl, double tau, double y[TRAJ_N]);

/* Maximum geodetic altitude of the flight (located on the dense output) and when. */
double mwxi_traj_flight_apogee(const traj_cfg_t *c, const traj_flight_t *fl, double *tau_apo);

/* The equations of motion, for tests that integrate them independently. */
typedef struct traj_rhs_ctx {
    const traj_cfg_t *c;
    const traj_prog_t *p;
    double zeta, ve, n[3];
    double t_stage;    /* staging, s after lift-off */
    double beta_coast; /* after burnout: m / (Cd A) */
    int lift;          /* after burnout: TRAJ_LIFT_* in force on this stretch */
    int weave;         /* after burnout: the terminal weave is on */
} traj_rhs_ctx_t;
enum { TRAJ_LIFT_NONE = 0, TRAJ_LIFT_PULLUP = 1, TRAJ_LIFT_GLIDE = 2, TRAJ_LIFT_DIVE = 3 };

/* A body alone after separation (or burnout) from (tau0, y0), gravity and drag with
 * ballistic coefficient beta, to impact (or TRAJ_MAX_FLIGHT_S: fl->orbit then).
 * fl->tau_bo = tau0. */
int mwxi_traj_fly_coast(const traj_cfg_t *c, double beta, double tau0, const double y0[TRAJ_N],
                        traj_flight_t *fl);
/* The same, appended to fl's segments from (tau0, y0) (fl->tau_bo etc. kept): sets
 * impacted or orbit, tau_imp and y_imp. */
int mwxi_traj_coast_append(const traj_cfg_t *c, double beta, double tau0, const double y0[TRAJ_N],
                           traj_flight_t *fl);
/* traj_step_fn that appends a segment to the traj_flight_t ctx. */
int mwxi_traj_push_seg(void *ctx, const traj_seg_t *seg);

/* A part that leaves the vehicle: separated at tau with state y, falling with beta. */
typedef struct traj_sep {
    double tau, beta;
    double y[TRAJ_N];
    int stage; /* its stage number: the object is ID-S<stage> */
} traj_sep_t;

/* Space launch (traj_space.c): fly the staged vehicle of l to orbit (or to its
 * break-up at fail_at_s, then down). fl is the last stage with its payload; the spent
 * stages (and at a break-up the stage then burning) are listed in sep. MWX_ERANGE with
 * the reason when the stage set cannot reach orbit. */
int mwxi_traj_space_fly(const traj_cfg_t *c, const mwx_launch_t *l, traj_flight_t *fl,
                        traj_sep_t sep[MWX_MAX_STAGES], int *n_sep, mwx_err_t *err);

/* Phase of a flight at tau (not impact: the caller knows the end). */
mwx_phase_t mwxi_traj_flight_phase(const traj_flight_t *fl, double tau);
/* Stage-1 burn time for a total burn and propellant fraction. */
double mwxi_traj_stage1_time(double burn_s, double zeta);
void mwxi_traj_rhs_init(traj_rhs_ctx_t *x, const traj_cfg_t *c, const traj_prog_t *p);
/* stage: 1 or 2 while that stage burns, 0 ballistic (the integrator is restarted at
 * each switch, so the right-hand side never straddles one). */
void mwxi_traj_rhs_stage(const traj_rhs_ctx_t *x, int stage, double tau, const double y[TRAJ_N],
                         double dy[TRAJ_N]);
/* The same, the stage taken from tau (a traj_rhs_fn). */
void mwxi_traj_rhs(void *ctx, double tau, const double y[TRAJ_N], double dy[TRAJ_N]);

#endif
