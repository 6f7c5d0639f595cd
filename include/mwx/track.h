/*
 * mwx/track.h -- the tracker: measurements in, tracks (state, covariance, phase, launch
 * point, impact point and 95 % ellipse) out.
 *
 * Small parts, each an interface (a struct of function pointers), so that a new one is a
 * new file and each can be used on its own (the PCRLB benchmark drives a filter with its
 * own 2-D motion and measurement models):
 *
 *   mwx_gauss_t          a Gaussian state: x (n <= MWX_TRACK_MAX_X) and P (n x n, row-major)
 *   mwx_motion_model_t   x(t) -> x(t + dt), its Jacobian F and the process noise Q
 *   mwx_meas_model_t     z = h(x), its Jacobian H, the measurement z and its noise R
 *   mwx_filter_t         predict / update / innovation on a mwx_gauss_t (EKF, UKF)
 *   mwx_imm_t            interacting multiple model over boost and ballistic modes
 *   mwx_assign_*         min-cost assignment (Hungarian), for global nearest neighbour
 *   mwx_tracker_t        a node's tracker: gating, assignment, M-of-N initiation,
 *                        two-satellite IR initiation, deletion, impact prediction
 *
 * Contract:
 *   - Frames: ECEF (Earth-fixed) metres and m/s; t in seconds since the scenario epoch;
 *     angles in radians inside the code, degrees in the records (file units).
 *   - The tracker never reads mwx_rec_meas_t.truth_object.
 *   - No allocation after mwx_tracker_create: pools are sized by the configuration.
 *   - Deterministic: the same measurements in the same order give the same tracks.
 *   - Functions return 0 or a negative MWX_E* (core.h); numerical failures (a covariance
 *     that is not positive definite) are MWX_ERANGE and leave the state unchanged.
 *
 * The built-in state (boost and ballistic models) is MWX_TRACK_NX = 8 numbers:
 *   [x y z vx vy vz a_thrust kappa]: ECEF position (m) and velocity (m/s), the thrust
 *   acceleration along the velocity (m/s^2; 0 in the ballistic mode) and kappa = 1/beta
 *   (m^2/kg), the inverse ballistic coefficient, for drag.
 */
#ifndef MWX_TRACK_H
#define MWX_TRACK_H

#include "mwx/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MWX_TRACK_MAX_X 9 /* largest state a filter handles */
#define MWX_TRACK_MAX_Z 3 /* largest measurement */
#define MWX_TRACK_NX    8 /* the built-in state: pos(3) vel(3) a_thrust kappa */

enum { MWX_TX = 0, MWX_TVX = 3, MWX_TTHRUST = 6, MWX_TKAPPA = 7 };

/* ---------------------------------------------------------------- Gaussian state */

typedef struct mwx_gauss {
    int n; /* state dimension */
    double x[MWX_TRACK_MAX_X];
    double P[MWX_TRACK_MAX_X * MWX_TRACK_MAX_X]; /* row-major n x n, stride n */
} mwx_gauss_t;

/* ---------------------------------------------------------------- motion models */

/* Parameters of the built-in physical models. */
typedef struct mwx_dyn_params {
    mwx_earth_t earth; /* earth.omega is used for Coriolis + centrifugal when rotation */
    int j2;            /* J2 gravity (ignored when earth.j2 == 0) */
    int rotation;      /* rotating-frame terms in ECEF */
    int drag;          /* exponential atmosphere, drag = 0.5 rho v^2 kappa */
    double q_acc;      /* white-noise acceleration PSD on each velocity axis, m^2/s^3 */
    double q_thrust;   /* random-walk PSD of a_thrust, (m/s^2)^2/s (boost) */
    double q_kappa;    /* random-walk PSD of kappa, (m^2/kg)^2/s */
    double max_step_s; /* integration step (RK4) */
} mwx_dyn_params_t;

/* Defaults for a physics (earth, j2, rotation, drag): documented in docs/TRACKER.md. */
MWX_API void mwx_dyn_params_default(mwx_dyn_params_t *p, const mwx_earth_t *earth, int j2,
                                    int rotation, int drag);

typedef struct mwx_motion_model mwx_motion_model_t;
struct mwx_motion_model {
    const char *name;
    int nx; /* state dimension it works on */
    /* Propagate x over dt seconds (negative dt propagates backwards). When F is non-NULL
     * write the state transition Jacobian (nx x nx, row-major). */
    int (*propagate)(const mwx_motion_model_t *m, double *x, double dt, double *F);
    /* Process noise Q (nx x nx) accumulated over dt at state x. */
    void (*noise)(const mwx_motion_model_t *m, const double *x, double dt, double *Q);
    mwx_dyn_params_t dyn; /* built-in models' parameters */
    void *ctx;            /* caller-supplied models' parameters */
};

/* Boost: gravity (+J2, rotation) + thrust a_thrust along the velocity; a_thrust is a
 * random walk; kappa is held. */
MWX_API void mwx_motion_boost(mwx_motion_model_t *m, const mwx_dyn_params_t *p);
/* Ballistic: gravity (+J2, rotation, drag with kappa estimated); a_thrust is forced to
 * zero; kappa is a slow random walk. */
MWX_API void mwx_motion_ballistic(mwx_motion_model_t *m, const mwx_dyn_params_t *p);
/* Nearly-constant velocity in dim (1..4) dimensions, state [p(dim) v(dim)], white-noise
 * acceleration PSD q: for benchmarks and tests. */
MWX_API void mwx_motion_cv(mwx_motion_model_t *m, int dim, double q);

/* Acceleration (m/s^2, ECEF) of the built-in dynamics at state x (MWX_TRACK_NX); with
 * thrust when boost. Exposed for tests and for propagators elsewhere. */
MWX_API void mwx_dyn_accel(const mwx_dyn_params_t *p, const double *x, int boost, double acc[3]);

/* ---------------------------------------------------------------- measurement models */

typedef struct mwx_meas_model mwx_meas_model_t;
struct mwx_meas_model {
    const char *name;
    int nz;
    /* Predicted measurement of x (nx numbers); H (nz x nx, row-major) when non-NULL. */
    void (*h)(const mwx_meas_model_t *m, const double *x, int nx, double *z, double *H);
    /* out = a - b with angles wrapped; NULL means plain subtraction. */
    void (*diff)(const mwx_meas_model_t *m, const double *a, const double *b, double *out);
    double z[MWX_TRACK_MAX_Z];                   /* the measurement */
    double R[MWX_TRACK_MAX_Z * MWX_TRACK_MAX_Z]; /* its noise covariance */
    /* geometry of the built-ins */
    mwx_geo_t site;      /* radar site */
    double site_ecef[3]; /* radar site / IR satellite position */
    double enu[9];       /* radar: east, north, up unit vectors (ECEF) */
    double u1[3], u2[3]; /* IR: unit vectors across the measured line of sight */
    void *ctx;           /* caller-supplied models' parameters */
};

/* Radar range/azimuth/elevation through the site's ellipsoid ENU frame. site is the
 * geodetic site (pass NULL to compute it from meas->sensor_ecef_m on earth e). */
MWX_API MWX_NODISCARD int mwx_meas_radar(mwx_meas_model_t *m, const mwx_earth_t *e,
                                         const mwx_geo_t *site, const mwx_rec_meas_t *meas);
/* IR line of sight: two angles (rad) across the measured LOS, z = 0, R = sigma^2 I. */
MWX_API MWX_NODISCARD int mwx_meas_ir(mwx_meas_model_t *m, const mwx_rec_meas_t *meas);
/* Direct position (x, y, z) with covariance R (3x3): tests, benches, fused inputs. */
MWX_API void mwx_meas_position(mwx_meas_model_t *m, const double pos[3], const double R[9]);
/* A linear model z = H x (nz x nx) with noise R, for 1-D..4-D benchmarks. H is not
 * copied: it must outlive m. */
MWX_API void mwx_meas_linear(mwx_meas_model_t *m, int nz, int nx, const double *H, const double *R,
                             const double *z);

/* ---------------------------------------------------------------- filters */

typedef struct mwx_filter mwx_filter_t;
struct mwx_filter {
    const char *name;
    int (*predict)(const mwx_filter_t *f, const mwx_motion_model_t *mm, mwx_gauss_t *s, double dt);
    /* Update s with m. nis (nu' S^-1 nu) and loglik (Gaussian log-likelihood of the
     * innovation) when non-NULL. Joseph form / symmetrised; PD guarded. */
    int (*update)(const mwx_filter_t *f, const mwx_meas_model_t *m, mwx_gauss_t *s, double *nis,
                  double *loglik);
    /* Innovation nu and its covariance S (nz x nz) without changing s (gating). */
    int (*innovation)(const mwx_filter_t *f, const mwx_meas_model_t *m, const mwx_gauss_t *s,
                      double *nu, double *S);
    double ut_alpha, ut_beta, ut_kappa; /* UKF scaling (unused by the EKF) */
};

MWX_API const mwx_filter_t *mwx_filter_ekf(void);
MWX_API const mwx_filter_t *mwx_filter_ukf(void);

/* ---------------------------------------------------------------- IMM */

#define MWX_IMM_MAX_MODES 3

typedef struct mwx_imm {
    int n_modes;
    const mwx_motion_model_t *model[MWX_IMM_MAX_MODES];
    const mwx_filter_t *filter;
    /* switching rates, 1/s: P(i -> j over dt) = 1 - exp(-rate[i][j] dt) for j != i */
    double rate[MWX_IMM_MAX_MODES][MWX_IMM_MAX_MODES];
    mwx_gauss_t mode[MWX_IMM_MAX_MODES];
    double mu[MWX_IMM_MAX_MODES]; /* mode probabilities */
} mwx_imm_t;

/* Set up an IMM with every mode starting at s0 and probabilities mu0. */
MWX_API void mwx_imm_init(mwx_imm_t *imm, int n_modes, const mwx_motion_model_t *const *models,
                          const mwx_filter_t *filter, const mwx_gauss_t *s0, const double *mu0);
MWX_API MWX_NODISCARD int mwx_imm_predict(mwx_imm_t *imm, double dt);
MWX_API MWX_NODISCARD int mwx_imm_update(mwx_imm_t *imm, const mwx_meas_model_t *m, double *nis);
/* Moment-matched combined estimate. */
MWX_API void mwx_imm_combine(const mwx_imm_t *imm, mwx_gauss_t *out);

/* ---------------------------------------------------------------- assignment */

#define MWX_ASSIGN_FORBIDDEN 1e30 /* a cost >= this never pairs */

/* Workspace bytes mwx_assign_hungarian needs for nr x nc. */
MWX_API size_t mwx_assign_work_bytes(int nr, int nc);
/* Minimum-cost assignment of rows to columns of cost (nr x nc, row-major). row_to_col[i]
 * is the column of row i or -1 (unassigned, or only forbidden pairs). *total (optional)
 * is the sum over assigned pairs. work is caller-supplied (mwx_assign_work_bytes). */
MWX_API MWX_NODISCARD int mwx_assign_hungarian(const double *cost, int nr, int nc, int *row_to_col,
                                               double *total, void *work, size_t work_bytes);

/* ---------------------------------------------------------------- tracker */

typedef struct mwx_tracker mwx_tracker_t;

typedef struct mwx_tracker_cfg {
    char node[MWX_ID_LEN];      /* nation id of the node, or "ALL"; prefixes track ids */
    char nation[MWX_ID_LEN];    /* use only this nation's sensors; "" = all */
    int capacity;               /* max simultaneous tracks (tentative + confirmed) */
    int max_scan_meas;          /* max measurements in one scan (one sensor, one t) */
    mwx_dyn_params_t dyn;       /* physics of the motion models */
    const mwx_filter_t *filter; /* NULL = EKF */
    double gate_chi2;           /* Mahalanobis gate on the innovation (3 dof) */
    int confirm_hits;           /* M: hits to confirm a tentative track ... */
    int confirm_window;         /* N: ... within this many updates-or-misses */
    double tentative_timeout_s; /* tentative track dropped when not updated this long */
    double delete_timeout_s;    /* confirmed track dropped when not updated this long */
    double impact_refresh_s;    /* recompute impact/launch at most this often (default
                                 * 1 s); 0 = on every update */
    double report_interval_s;   /* callback at most once per track per interval; 0 = all */
    double ir_pair_dt_s;        /* two IR lines of sight within this time pair up */
    double ir_pair_miss_m;      /* ... and pass within this distance of each other */
    double grid_cell_m;         /* spatial hash cell size for gating */
    int use_imm;                /* 1: IMM boost/ballistic (default); 0: ballistic only */
    int first_id;               /* track numbers continue above this (0: from 1): a node
                                 * restarted on a live feed never reuses an id it sent */
} mwx_tracker_cfg_t;

/* Defaults (WGS-84, J2, rotation, drag; EKF; IMM; 3-of-4 confirmation; predictions at
 * most once a second per track; every update reported): docs/TRACKER.md. */
MWX_API void mwx_tracker_cfg_default(mwx_tracker_cfg_t *c, const char *node, int capacity);

MWX_API MWX_NODISCARD int mwx_tracker_create(const mwx_tracker_cfg_t *cfg, mwx_tracker_t **out,
                                             mwx_err_t *err);
MWX_API void mwx_tracker_destroy(mwx_tracker_t *t);

/* Called with the record of a confirmed track after it was updated (rate-limited by
 * report_interval_s), and once more with phase MWX_PHASE_IMPACT when a track that has
 * come down is dropped. The record is valid during the call only. */
typedef void (*mwx_track_fn)(void *ctx, const mwx_rec_track_t *rec);
MWX_API void mwx_tracker_set_callback(mwx_tracker_t *t, mwx_track_fn fn, void *ctx);

/* Feed one measurement; measurements must come in non-decreasing t. Those of one sensor
 * at one t form a scan, processed when the scan is complete: at the next measurement of
 * another sensor or time, or at mwx_tracker_flush. Measurements of other nations (when
 * cfg.nation is set) and malformed ones are dropped and counted. */
MWX_API MWX_NODISCARD int mwx_tracker_add(mwx_tracker_t *t, const mwx_rec_meas_t *m,
                                          mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_tracker_flush(mwx_tracker_t *t, mwx_err_t *err);

/* A track declared down (phase impact, a valid impact prediction) ends on the ground at its
 * predicted impact point, at rest: its last state is from before the impact, or predicted
 * past it, underground (issue 12: "a track ends at its impact"). Other records: unchanged.
 * The tracker's last report of a track and a node's fused tracks both end so. */
MWX_API void mwx_track_land_at_impact(mwx_rec_track_t *r);

/* Current tracks (confirmed only, or all), in pool order (deterministic). */
MWX_API MWX_NODISCARD int mwx_tracker_count(const mwx_tracker_t *t, int confirmed_only);
MWX_API void mwx_tracker_foreach(const mwx_tracker_t *t, int confirmed_only, mwx_track_fn fn,
                                 void *ctx);
/* The full estimate of a track (for scoring and tests): combined state, mode
 * probabilities (boost, ballistic). MWX_ENOTFOUND if no such track. */
MWX_API MWX_NODISCARD int mwx_tracker_get_state(const mwx_tracker_t *t, const char *track_id,
                                                mwx_gauss_t *state, double mu[2]);

typedef struct mwx_tracker_stats {
    uint64_t meas_in, meas_used, meas_dropped, scans;
    uint64_t tracks_created, tracks_confirmed, tracks_deleted;
    uint64_t updates, impact_refreshes, pool_full;
} mwx_tracker_stats_t;
MWX_API void mwx_tracker_get_stats(const mwx_tracker_t *t, mwx_tracker_stats_t *s);

/* ---------------------------------------------------------------- predictions */

/* Impact point and 95 % ellipse of the ballistic continuation of s (MWX_TRACK_NX state,
 * at time t): sigma points propagated to the ellipsoid surface, ellipse from their spread
 * on the local tangent plane (semi-axes sqrt(5.991 lambda)). MWX_ERANGE if it does not
 * come down within max_flight_s. */
MWX_API MWX_NODISCARD int mwx_predict_impact(const mwx_dyn_params_t *p, const mwx_gauss_t *s,
                                             double t, double max_flight_s,
                                             mwx_rec_impact_est_t *out);
/* The same with an aerodynamic acceleration held to the ground: ld[0] and ld[1] times the
 * drag's size (0.5 rho v^2 kappa of the ballistic model), along "up" normal to the
 * velocity in the vertical plane of the path and across the path (u x that normal:
 * east for a body flying north), i.e. a lift-to-drag ratio and a bank held. None
 * out of the air, nor within 6 deg of the vertical. A glide vehicle's dive, seen, is
 * continued so (docs/TRACKER.md "Low and lifting flights"). MWX_EINVAL without ld. */
MWX_API MWX_NODISCARD int mwx_predict_impact_lift(const mwx_dyn_params_t *p, const mwx_gauss_t *s,
                                                  double t, double max_flight_s, const double ld[2],
                                                  mwx_rec_impact_est_t *out);
/* A glide vehicle's footprint (docs/TRACKER.md "Glide vehicles"): the impacts of the
 * mean state of s with no lift (with its sigma points' ellipse), a push-over now at a
 * lift-to-drag ratio of 2.5 and 4, a level glide of 10 s and 20 s then the push-over at
 * 2.5, and a turn either way at 2.5 for 20 s. out = the centre, half way between no lift
 * and the push-over at 2.5, with an ellipse that holds every member and the ballistic
 * ellipse's spread around it. MWX_ERANGE if a member does not come down. */
MWX_API MWX_NODISCARD int mwx_predict_impact_glide(const mwx_dyn_params_t *p, const mwx_gauss_t *s,
                                                   double t, double max_flight_s,
                                                   mwx_rec_impact_est_t *out);
/* Propagate one state (MWX_TRACK_NX) ballistically to the surface: impact position and
 * time. MWX_ERANGE if not within max_flight_s. */
MWX_API MWX_NODISCARD int mwx_propagate_to_ground(const mwx_dyn_params_t *p, const double *x,
                                                  double t, double max_flight_s,
                                                  double impact_ecef[3], double *t_impact);
/* Launch point and time: state s (at t) propagated back to the ground; in boost with the
 * estimated thrust. */
MWX_API MWX_NODISCARD int mwx_estimate_launch(const mwx_dyn_params_t *p, const double *x, double t,
                                              int boost, mwx_rec_launch_est_t *out);

/* One sample of a track's early flight (its combined estimate at time t), for
 * mwx_fit_launch. */
typedef struct mwx_boost_sample {
    double t;                /* s */
    double alt_m, speed_mps; /* geodetic altitude and speed (ECEF) */
    double gamma_rad;        /* flight-path angle above the local horizontal */
    double sigma_alt_m, sigma_speed_mps;
    double sigma_gamma_rad; /* of the velocity's direction; > 0.1 rad: not used */
    double lat, lon;        /* sub-point, radians */
} mwx_boost_sample_t;

#define MWX_FIT_LAUNCH_MAX 64 /* most samples mwx_fit_launch uses */

/* What mwx_fit_launch tells of its fit besides the launch. */
typedef struct mwx_launch_fit_info {
    double burn_s; /* fitted burn time (all stages) */
    int stages;    /* 1 or 2 */
    /* The other stage count's launch, valid when it fits the samples nearly as well
     * (within 25 % of the cost): samples of the last part of a boost do not tell a
     * second stage from one long stage, and their launch times differ by tens of s. */
    mwx_rec_launch_est_t other;
    double other_burn_s;
    int other_stages;
} mwx_launch_fit_info_t;

/* Launch point and time fitted to a track's early flight: a booster of one or two
 * stages (equal stage mass fractions zeta and burn times Ts, Isp 270 s, constant mass
 * flow, so the thrust acceleration rises as the mass falls and drops at staging) rising
 * vertically and then turning to the observed flight-path angles (those known to
 * 0.1 rad), flown along its path from rest at t0; (t0, zeta, Ts) fitted by
 * Levenberg-Marquardt to the samples' altitudes and speeds (weighted by their sigmas;
 * n >= 4 in time order, spanning >= 6 s), the better stage count kept. The launch point
 * is the first sample's sub-point moved back along the ground track by the fitted
 * horizontal distance flown before it. out->t is t0. MWX_ERANGE when the fit fails or
 * puts the burnout before the second sample or the first 3 s (the samples saw no
 * boost); *info (optional) has the fitted burn time and stage count, and the other
 * stage count's launch when the samples cannot tell the two apart.
 * Docs: docs/TRACKER.md, Predictions. */
MWX_API MWX_NODISCARD int mwx_fit_launch(const mwx_dyn_params_t *p, const mwx_boost_sample_t *s,
                                         int n, mwx_rec_launch_est_t *out,
                                         mwx_launch_fit_info_t *info);

#ifdef __cplusplus
}
#endif

#endif /* MWX_TRACK_H */
