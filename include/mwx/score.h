/*
 * mwx/score.h -- scoring tracks, shares and alerts against truth: the Report of
 * PRODUCT.md (`mwx score`, `report.json` of `mwx run`). docs/SCORING.md is the full
 * definition of every figure; in short:
 *
 *   association  On a time grid (the distinct truth sample times), the live confirmed
 *                tracks of each picture (a node's own tracks; apart, its fused tracks
 *                "<node>-F<n>") are assigned to the objects in flight by global nearest
 *                neighbour (optimal assignment, Euclidean ECEF distance, gate gate_m).
 *                A track belongs to the object it was assigned to at most grid steps
 *                (ties: the earlier object); never assigned = a false track.
 *   tracking     pos/vel RMSE and NEES over every confirmed track record of an assigned
 *                track, against truth interpolated (cubic Hermite) at the record's time;
 *                OSPA (c, p) and GOSPA (c, p, alpha = 2) per picture per grid step inside
 *                that picture's tracking window, averaged over all those steps, against
 *                the objects a sensor saw in the last stale_s seconds (and, apart, against
 *                every object in flight).
 *   launches     per launch (the truth objects sharing a `launch`: the vehicle and its
 *                spent stages "<launch>-S<k>"): launch/impact of the vehicle from truth,
 *                first detection (meas) and first confirmed track of any of its objects,
 *                first verified share per receiving nation, impact-point error at launch +
 *                120 s, 300 s and 60 s to go, launch-point error; per object its impact
 *                and the same errors; and the region results of every object (through
 *                the threat hook below), merged.
 *
 * Missing values are NAN in the structs and null in the JSON. Nothing here keeps global
 * state; the computation is offline (it allocates freely, once per report).
 */
#ifndef MWX_SCORE_H
#define MWX_SCORE_H

#include "mwx/core.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_t;

#define MWX_SCORE_MAX_REGIONS 96  /* region results kept per launch */
#define MWX_SCORE_MAX_OBJECTS 8   /* truth objects kept per launch (vehicle + stages) */
#define MWX_SCORE_MAX_CURVE   128 /* points of a launch's impact-error curve */

typedef struct mwx_score_region {
    char id[MWX_ID_LEN];
    int threatened;          /* by the true flight */
    double t_first_alert;    /* first Alert/Update naming it before impact, NAN = none */
    double lead_time_s;      /* t_event - t_first_alert, NAN when either is unknown */
    mwx_alert_kind_t kind;   /* impact; drop_zone (a spent stage's impact); overflight
                             * (overflown above 100 km only, or by a part in orbit) */
    double t_event;          /* the object's t_impact, or the time of the overflight */
    double t_launch_notice;  /* first launch notice naming it, NAN = none (never "warned") */
    char object[MWX_ID_LEN]; /* the truth object whose threat it is (the vehicle or a stage) */
} mwx_score_region_t;

typedef struct mwx_score_launch mwx_score_launch_t;

/* The hook to the warning stage (mwx_warn_score_regions() of warn.h fits behind it):
 * score the public warnings against one truth object of a launch; it runs once per
 * object and the scorer merges the results (docs/SCORING.md "Regions"). l holds that
 * object's figures (id, t_launch = its first sample, t_impact and impact point or NAN,
 * t_first_detection of the launch); samples are the object's truth records in time
 * order (the last one's phase tells impact, orbit, or a recording cut short); alerts are
 * the alert records of the whole launch: those whose identifier
 * ("mwx.<node>[.<run>].<track>.<kind>.<seq>") names a track assigned to any of its
 * objects, plus those whose identifier names no known track and that were issued while
 * it flew. Write up to cap results into out (threatened or warned regions; PRODUCT.md
 * decides which are threatened; kind impact or overflight, the scorer relabels a stage's
 * impact as drop_zone) and their count into *n_out. Return 0 or a negative MWX_E*. */
typedef int (*mwx_score_regions_fn)(void *ctx, const mwx_score_launch_t *l,
                                    const mwx_rec_truth_t *samples, size_t n_samples,
                                    const mwx_rec_alert_t *alerts, size_t n_alerts,
                                    mwx_score_region_t *out, int cap, int *n_out, mwx_err_t *err);

enum { MWX_SCORE_AT_LAUNCH_PLUS_120 = 0, MWX_SCORE_AT_TTG_300 = 1, MWX_SCORE_AT_TTG_60 = 2 };

/* One truth object of a launch: the vehicle (id = the launch id) or a spent stage. */
typedef struct mwx_score_object {
    char id[MWX_ID_LEN];
    double t_start;  /* its first truth sample */
    double t_impact; /* the impact sample, NAN if none (orbit, cut short) */
    double impact_lat_deg, impact_lon_deg;
    mwx_phase_t last_phase;    /* of its last sample: impact, orbit, or cut short */
    double t_first_detection;  /* first meas with truth_object == id */
    double impact_error_km[3]; /* its own tracks' predictions, by MWX_SCORE_AT_* */
    int n_tracks;              /* tracks (all nodes) assigned to it */
    int n_impact_warnings;     /* impact-kind CAP Alert/Update records of its tracks */
} mwx_score_object_t;

struct mwx_score_launch {
    char id[MWX_ID_LEN];       /* the launch id (truth `launch`, else the object id) */
    double t_launch, t_impact; /* the vehicle's first sample; its impact (NAN if none) */
    double launch_lat_deg, launch_lon_deg; /* true launch point (first sample) */
    double impact_lat_deg, impact_lon_deg; /* true impact point (NAN if no impact) */
    double t_first_detection;              /* first meas of any of its objects */
    double t_first_track;                  /* first confirmed record of a track assigned to one */
    double t_first_prediction;             /* first such record with an impact estimate (an ellipse
                                     * or a corridor, any phase) */
    char shared_to[MWX_MAX_NATIONS][MWX_ID_LEN];
    double t_first_shared[MWX_MAX_NATIONS];
    int n_shared;
    double impact_error_km[3]; /* the vehicle's, indexed by MWX_SCORE_AT_* */
    /* The vehicle's impact-point error over the flight, as the three checkpoints above
     * (the latest estimate at or before each time): pairs {time to go s, km}, time to go
     * falling, one every opts.curve_step_s (stretched to fit MWX_SCORE_MAX_CURVE). Only
     * with curve_step_s > 0; not in the JSON (mwx run puts it in the sharing benefit). */
    double impact_error_curve[MWX_SCORE_MAX_CURVE][2];
    int n_curve;
    double launch_point_error_km; /* latest launch estimate at or before impact */
    double launch_time_error_s;   /* same estimate's t minus t_launch */
    int n_tracks;                 /* tracks (all nodes) assigned to its objects */
    mwx_score_object_t objects[MWX_SCORE_MAX_OBJECTS]; /* the vehicle first */
    int n_objects;
    int regions_evaluated; /* 1 when the regions hook ran */
    mwx_score_region_t regions[MWX_SCORE_MAX_REGIONS];
    int n_regions;
};

/* The hook backed by warn.h (mwx_warn_score_regions): ctx is an mwx_regions_t *. An
 * object that reaches orbit (last sample in phase orbit) threatens no region with impact:
 * the regions under its ground track below 1,000 km are overflight regions. An object
 * whose recording ends before impact or orbit gets no region results. */
MWX_API MWX_NODISCARD int mwx_score_warn_regions(void *ctx, const mwx_score_launch_t *l,
                                                 const mwx_rec_truth_t *samples, size_t n_samples,
                                                 const mwx_rec_alert_t *alerts, size_t n_alerts,
                                                 mwx_score_region_t *out, int cap, int *n_out,
                                                 mwx_err_t *err);

typedef struct mwx_score_opts {
    double gate_m;                /* association gate, default 10 km */
    double ospa_c_m;              /* OSPA / GOSPA cut-off c, default 10 km */
    double ospa_p;                /* order p, default 2 */
    double gospa_alpha;           /* default 2; must be in (0, 2] */
    double stale_s;               /* a track not updated for longer is not live, default 10 s */
    const char *node;             /* score only this node's tracks (NULL = every node) */
    mwx_earth_t earth;            /* for geodetic conversions and geodesics, default WGS-84 */
    double curve_step_s;          /* > 0: fill impact_error_curve (default 0: off) */
    mwx_score_regions_fn regions; /* NULL: the region fields stay empty */
    void *regions_ctx;
} mwx_score_opts_t;

MWX_API void mwx_score_opts_default(mwx_score_opts_t *o);
/* Take the Earth model from a scenario's JSON text (physics.earth: "wgs84" | "spherical").
 * Lenient: anything unreadable leaves o unchanged (the recording was validated when made). */
MWX_API void mwx_score_opts_from_scenario(mwx_score_opts_t *o, const char *scenario_json);

typedef struct mwx_score_tracking {
    double pos_rmse_m, vel_rmse_mps;
    double nees;            /* position NEES, mean over records (expected 3) */
    double nees_vel;        /* velocity NEES when records carry cov_vel_m2s2 (expected 3) */
    double ospa_m, gospa_m; /* time averages against the objects some sensor saw in the
                             * last stale_s seconds (all in flight when no measurements) */
    double ospa_in_flight_m, gospa_in_flight_m; /* the same against every object in flight */
    size_t n_records;                           /* track records in the RMSE */
    size_t n_nees;                              /* of which with a usable covariance */
    size_t n_steps;                             /* (picture, grid time) pairs in the OSPA average */
    size_t n_steps_in_flight;
    size_t n_tracks, n_false_tracks;
} mwx_score_tracking_t;

/* A picture: one node's own tracks, or its fused tracks, scored alone. */
typedef struct mwx_score_picture {
    char node[MWX_ID_LEN];
    int fused;                     /* 1: the node's fused tracks ("<node>-F<n>") */
    mwx_score_tracking_t tracking; /* the figures over this picture only */
} mwx_score_picture_t;

typedef struct mwx_report {
    mwx_score_launch_t *launches;
    size_t n_launches;
    mwx_score_tracking_t tracking; /* over every picture */
    mwx_score_picture_t *pictures;
    size_t n_pictures;
    double ospa_c_m, ospa_p, gospa_alpha, gate_m; /* the parameters used */
} mwx_report_t;

/* Score. recs holds any records in any order (truth, meas, track, share, alert; others are
 * ignored). MWX_EINVAL when there is no truth; rep is then empty. Free with
 * mwx_report_free either way. */
MWX_API MWX_NODISCARD int mwx_score_compute(const mwx_record_t *recs, size_t n,
                                            const mwx_score_opts_t *o, mwx_report_t *rep,
                                            mwx_err_t *err);
MWX_API void mwx_report_free(mwx_report_t *rep);

/* The Report as PRODUCT.md specifies, plus the keys of docs/SCORING.md. NULL on ENOMEM. */
MWX_API struct json_t *mwx_report_to_json(const mwx_report_t *rep);
/* A human-readable table. */
MWX_API void mwx_report_print(const mwx_report_t *rep, FILE *f);

/* ------------------------------------------------------------------ building blocks */

/* Minimum-cost assignment (the tracker's mwx_assign_hungarian of track.h) on a
 * rows x cols cost matrix (row-major). row_to_col[i] = the column of row i, or -1 when
 * rows > cols and row i is left out. Returns the total cost, or NAN on ENOMEM. */
MWX_API double mwx_score_assign(const double *cost, int rows, int cols, int *row_to_col);

/* OSPA (Schuhmacher, Vo & Vo 2008) between point sets X (nx x 3) and Y (ny x 3) with
 * cut-off c and order p: 0 when both are empty, c when one is. */
MWX_API double mwx_score_ospa(const double (*x)[3], int nx, const double (*y)[3], int ny, double c,
                              double p);
/* GOSPA (Rahmathullah, Garcia-Fernandez & Svensson 2017, eq. 1), alpha in (0, 2]: for
 * |X| <= |Y|, ( min over assignments of X into Y of sum min(d, c)^p
 * + c^p / alpha * (|Y| - |X|) )^(1/p), not normalised by the cardinality. */
MWX_API double mwx_score_gospa(const double (*x)[3], int nx, const double (*y)[3], int ny, double c,
                               double p, double alpha);

/* Truth at t by cubic Hermite interpolation between the time-ordered samples around t
 * (positions and velocities). MWX_ERANGE outside [first t, last t]. vel may be NULL. */
MWX_API MWX_NODISCARD int mwx_score_truth_at(const mwx_rec_truth_t *s, size_t n, double t,
                                             double pos[3], double vel[3]);

#ifdef __cplusplus
}
#endif

#endif /* MWX_SCORE_H */
