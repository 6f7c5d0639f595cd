/* The tracker's state (struct mwx_tracker, its tracks, sensors and scratch), shared by the
 * files of the tracker: tracker.c (create, scan processing, queries), track_grid.c (the
 * gating grid), track_init.c (track initiation from radar and IR), track_history.c (the
 * early-flight samples and the launch fit). Private to src/track. */
#ifndef MWX_TRACKER_INT_H
#define MWX_TRACKER_INT_H

#include "mwx/track.h"
#include "ekf_internal.h"
#include "guard.h"
#include "linalg.h"

#define MAX_SENSORS      128
#define CLUSTER_MAX_ROWS 48
#define CLUSTER_MAX_COLS 64
#define IR_PENDING       256
#define MAX_FLIGHT_S     4000.0
/* scratch sizes: gated pairs per measurement (plus slack), grid buckets per track (kept
 * at most half full, plus slack), tracks with a launch-fit history */
#define PAIRS_PER_MEAS         6
#define PAIRS_SLACK            64
#define GRID_BUCKETS_PER_TRACK 2
#define GRID_SLACK             64
#define HIST_TRACKS_MAX        256
/* gating grid: a track's reach over dt is GATE_SIGMAS of its position and velocity
 * spread, plus 10 g unmodelled (0.5 * 100 m/s^2 * dt^2), plus a fixed margin */
#define GATE_SIGMAS                   4.0
#define GATE_UNMODELLED_HALF_ACC_MPS2 50.0
#define GATE_MARGIN_M                 2e3
/* two IR lines of sight crossing outside these altitudes are not one object */
#define IR_TRIANG_MIN_ALT_M (-2e3)
#define IR_TRIANG_MAX_ALT_M 3000e3
/* prior of the unobserved states of a new track: velocity, thrust acceleration, kappa */
#define PRIOR_SIGMA_VEL_MPS     3000.0
#define PRIOR_THRUST_MPS2       20.0
#define PRIOR_SIGMA_THRUST_MPS2 15.0
#define PRIOR_KAPPA_M2KG        2e-4 /* 1/beta, beta 5000 kg/m^2 */
#define RETIRE_BOOST_UPDATES    30
#define HIST_SAMPLES            48   /* early-flight samples kept per track for the launch fit */
#define HIST_AFTER_BURNOUT      20   /* s of ballistic flight kept: they time the burnout */
#define HIST_FIT_EVERY          10.0 /* s between launch fits while samples come in */
/* Manoeuvre mode (docs/TRACKER.md "Manoeuvres"): a ballistic track below MAN_ALT_M, where
 * the air is dense enough for lift (a quasi-ballistic pull-up of up to 4 g at 25 km, a
 * glide, a terminal weave), gets a second IMM mode: the ballistic model with white
 * acceleration of MAN_Q_ACC ((30 m/s^2)^2 per s). Without it the single ballistic mode,
 * 100 m and 15 m/s sure of the body, fell 500 m behind a pull-up within 6 s, failed the
 * gate and the track broke (test-quasi-ballistic Q1). */
#define MAN_ALT_M    60e3
#define MAN_Q_ACC    900.0
#define MAN_MU0      0.05 /* its probability when it is added */
#define MAN_RATE_IN  0.05 /* ballistic -> manoeuvre, 1/s */
#define MAN_RATE_OUT 0.2  /* manoeuvre -> ballistic, 1/s */

/* A track's early flight, for the launch fit (a pool: few tracks are boosting). */
typedef struct hist {
    int n, n_boost; /* samples, and how many were taken with P(boost) > 0.8 */
    double dt_min;  /* spacing; doubled when full and thinned */
    double t_fit;   /* time of the last fit */
    mwx_boost_sample_t s[HIST_SAMPLES];
} hist_t;

typedef struct trk {
    int active, confirmed;
    int hits, misses, origin_sensor;
    int origin_radar; /* started by a radar plot (not by two satellites' lines of sight) */
    double t_hit;     /* last hit that counts toward confirmation (tentative timeout) */
    char id[MWX_ID_LEN];
    double t, t_created, t_update, t_report, t_refresh;
    /* last scan in which a measurement the track did not take was kept from starting a
     * track by it (within 4 gates): a body seen where the track does not predict it */
    double t_near;
    mwx_imm_t imm;
    mwx_gauss_t comb;
    uint32_t nations;
    int launch_from_boost;          /* number of boost-based launch estimates averaged */
    double launch_w;                /* their summed weight, 1/s^2 */
    mwx_rec_launch_est_t launch_fb; /* their weighted mean */
    int launch_fit;                 /* the launch estimate is the fit to the early flight */
    int fit_tie;                    /* the last fit's two stage counts fitted alike */
    int hist;                       /* slot in the history pool, -1 = none */
    int hist_done;                  /* history closed: no slot is taken again */
    double t_ballistic;             /* when the reported phase last became ballistic */
    int ballistic_run;              /* consecutive updates with P(ballistic) > 0.95 */
    int boost_on;                   /* IMM mode 0 is the boost mode */
    int man_on;                     /* the last IMM mode is the manoeuvre mode */
    mwx_phase_t phase;              /* reported phase, with hysteresis */
    /* the gate's EKF innovation, reused by the update of a single-mode track */
    uint32_t g_stamp;
    int g_meas;
    double g_nu[MWX_TRACK_MAX_Z], g_S[9];
    double g_H[MWX_TRACK_MAX_Z * MWX_TRACK_NX], g_PHt[MWX_TRACK_NX * MWX_TRACK_MAX_Z];
    mwx_rec_launch_est_t launch;
    /* The ballistic continuation's impact, always computed: it times a coast out of
     * sight. Published (the record's impact) only while the guard says ballistic. */
    mwx_rec_impact_est_t impact;
    /* A lifting track seen diving: the impact with the dive's lift-to-drag and bank held
     * (dive_ld in tracker.c); valid only while the dive is seen. */
    mwx_rec_impact_est_t impact_dive;
    /* A glide vehicle (class glide) not seen diving: the centre and ellipse of its
     * footprint (mwx_predict_impact_glide); valid only while the class is glide. */
    mwx_rec_impact_est_t impact_glide;
    mwx_guard_t guard; /* thrust/lift evidence: the track's class */
    char parent[MWX_ID_LEN];
    int stage;      /* a spent stage: quiet since it separated, its sibling burned */
    int space_seen; /* guard.space when last looked at (spread to relatives) */
    uint32_t pred_stamp, gate_stamp, hit_stamp;
    int uf_meas; /* first measurement of this scan that gated it */
    int grid_next;
    int col; /* column in the current cluster */
} trk_t;

typedef struct sensor {
    char id[MWX_ID_LEN];
    int nation;
    double ecef[3];
    mwx_geo_t geo;
} sensor_t;

typedef struct ir_pending {
    double t;
    int sensor;
    double origin[3], los[3], sigma;
} ir_pending_t;

typedef struct pair {
    int m, k;
    double cost, logdet;
} pair_t;

struct mwx_tracker {
    mwx_tracker_cfg_t cfg;
    mwx_motion_model_t models[3]; /* boost, ballistic, manoeuvre */
    const mwx_motion_model_t *model_ptr[3];
    const mwx_filter_t *filter;
    mwx_track_fn fn;
    void *fn_ctx;
    mwx_tracker_stats_t st;
    int next_id;

    trk_t *trk;
    int cap;
    int *free_list, n_free;

    sensor_t sensors[MAX_SENSORS];
    int n_sensors;
    char nations[MWX_MAX_NATIONS][MWX_ID_LEN];
    int n_nations;

    /* the scan being collected */
    mwx_rec_meas_t *scan;
    int n_scan, scan_sensor;
    double scan_t;
    double t_now;

    /* per-scan scratch, one entry per measurement of the scan */
    mwx_meas_model_t *meas_model;
    double (*meas_pos)[3]; /* its position (ECEF, m) where it has one, for gating */
    int *meas_ok;          /* usable (model built, finite) */
    int *meas_assigned;    /* taken by a track this scan */
    int *cluster_parent;   /* union-find of measurements sharing a gated track */
    int *cluster_next;     /* next measurement of the same cluster, -1 at the end */
    int *cluster_row;      /* its row in the cluster's assignment matrix */
    int *meas_pair_first, *meas_pair_count; /* its gated (track, measurement) pairs */
    double *meas_best_confirmed_nis;        /* smallest NIS against a confirmed track */
    int *meas_best_confirmed_k;             /* ... and that track */
    pair_t *pairs;
    int n_pairs, max_pairs;
    uint32_t stamp;

    /* grid hash */
    int hsize;
    int32_t *grid_key;    /* the cell of each bucket, 3 per bucket */
    int *grid_head;       /* first track in each bucket */
    uint32_t *grid_stamp; /* the scan that last filled each bucket (stale otherwise) */
    int *oversize, n_oversize;

    /* cluster scratch */
    double cost[CLUSTER_MAX_ROWS * (CLUSTER_MAX_COLS + CLUSTER_MAX_ROWS)];
    int row_to_col[CLUSTER_MAX_ROWS];
    int cl_tracks[CLUSTER_MAX_COLS];
    void *assign_work;
    size_t assign_work_bytes;

    ir_pending_t ir_pending[IR_PENDING];
    int n_ir_pending;

    hist_t *hist;
    int *hist_free, n_hist_free, n_hist;
};

/* Shared between the files of the split (static before it). */
void mwxi_trk_hist_release(mwx_tracker_t *t, trk_t *k);
void mwxi_trk_hist_add(mwx_tracker_t *t, trk_t *k);
void mwxi_trk_init_track(mwx_tracker_t *t, trk_t *k, const mwx_gauss_t *s0, double tm, int sensor);
trk_t *mwxi_trk_new_track(mwx_tracker_t *t);
void mwxi_trk_radar_point_cov(const mwx_meas_model_t *m, double C[9]);
void mwxi_trk_start_from_radar(mwx_tracker_t *t, int mi);
void mwxi_trk_ir_unassigned(mwx_tracker_t *t, int mi);
void mwxi_trk_cell_of(const mwx_tracker_t *t, const double p[3], int32_t c[3]);
int *mwxi_trk_grid_slot(mwx_tracker_t *t, const int32_t c[3], int create);
void mwxi_trk_grid_build(mwx_tracker_t *t, double tm);

#endif
