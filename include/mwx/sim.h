/*
 * mwx/sim.h -- the simulator: scenarios, launch trajectories and sensors.
 *
 * Contract:
 *   - mwx_scenario_load() reads a scenario file exactly as PRODUCT.md specifies: unknown
 *     keys, wrong types and out-of-range values are MWX_EINVAL with "file: $.path: what".
 *   - mwx_traj_create() solves the boost programme that lands on the aim point for the
 *     launch's profile and integrates the whole flight (boost, ballistic, re-entry) to
 *     impact on the ellipsoid surface; mwx_traj_state() then gives the state at any t.
 *   - mwx_sim_run() emits, in time order, the scenario record, truth records and sensor
 *     measurements to a callback. Deterministic for a seed.
 *
 * Frames: ECEF (Earth-fixed, WGS-84 or the sphere of physics.earth); t is seconds since
 * the scenario epoch; angles in radians, except in the records (degrees, file units).
 */
#ifndef MWX_SIM_H
#define MWX_SIM_H

#include "mwx/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MWX_MAX_SENSORS  64
#define MWX_MAX_LAUNCHES 64

typedef struct mwx_physics {
    mwx_earth_t earth; /* WGS-84 or sphere; earth.omega = 0 when !rotation */
    int spherical;     /* physics.earth == "spherical" */
    int rotation;
    int j2; /* always 0 for spherical */
    int drag;
} mwx_physics_t;

typedef enum mwx_profile {
    MWX_PROFILE_MINIMUM_ENERGY = 0,
    MWX_PROFILE_LOFTED = 1,
    MWX_PROFILE_DEPRESSED = 2,   /* apogee_km < 80: quasi-ballistic (lift, pull-up) */
    MWX_PROFILE_GLIDE = 3,       /* boost, glide at glide_alt with lift, dive on the aim */
    MWX_PROFILE_SPACE_LAUNCH = 4 /* staged gravity turn to orbit; no aim */
} mwx_profile_t;

#define MWX_MAX_STAGES 3
/* Truth objects of one launch: the vehicle (the launch id) and up to MWX_MAX_STAGES
 * separated stages ("ID-S1", "ID-S2", ...). */
#define MWX_TRAJ_MAX_OBJECTS (1 + MWX_MAX_STAGES)

typedef struct mwx_launch {
    char id[MWX_ID_LEN];
    double t_launch;           /* s since epoch */
    double site_lat, site_lon; /* rad */
    double aim_lat, aim_lon;   /* rad */
    mwx_profile_t profile;
    double apogee_m; /* lofted/depressed: apogee altitude; 0 = n/a */
    double burn_time_s;
    double beta_kg_m2; /* ballistic coefficient m / (Cd A) of the re-entry body */
    /* Stages: ballistic profiles 1 (default: the spent stage is not followed) or 2 (the
     * spent first stage is truth object ID-S1); space_launch 2-3, each burning
     * stage_burn_s[k] (burn_time_s is then their sum). */
    int n_stages;
    double stage_burn_s[MWX_MAX_STAGES];
    /* depressed with apogee < 80 km: lateral weave over the last 30 s, g (0 = none) */
    double terminal_g;
    /* glide */
    double glide_alt_m;
    double lift_to_drag; /* 0 in a test: the glide flies ballistic */
    double crossrange_m; /* aim's offset from the burnout great circle; has_: given */
    int has_crossrange;
    /* space_launch (aim_lat/aim_lon unused) */
    double azimuth; /* rad clockwise from north */
    double orbit_alt_m;
    double fail_at_s; /* s after launch the vehicle breaks up; 0 = never */
} mwx_launch_t;

typedef struct mwx_sensor_cfg {
    char id[MWX_ID_LEN];
    char nation[MWX_ID_LEN];
    mwx_sensor_kind_t kind;
    /* radar */
    double lat, lon, alt_m; /* rad, rad, m */
    double max_range_m;
    double min_elevation;                     /* rad */
    double sigma_range_m, sigma_az, sigma_el; /* m, rad, rad */
    double false_alarms_per_scan;
    /* both */
    double revisit_s;
    double pd;
    /* IR (geostationary at lon) */
    double sigma_los; /* rad (file: sigma_los_urad) */
} mwx_sensor_cfg_t;

typedef struct mwx_sharing_rule {
    char from[MWX_ID_LEN];
    char to[MWX_MAX_NATIONS][MWX_ID_LEN];
    int n_to;
} mwx_sharing_rule_t;

typedef struct mwx_scenario {
    char name[64];
    char epoch_str[40];
    double epoch; /* Unix seconds */
    mwx_status_t status;
    double duration_s;
    uint64_t seed;
    mwx_physics_t physics;
    char nations[MWX_MAX_NATIONS][MWX_ID_LEN];
    int n_nations;
    mwx_sharing_rule_t sharing[MWX_MAX_NATIONS];
    int n_sharing;
    char regions_path[MWX_PATH_LEN]; /* resolved against the scenario's folder */
    mwx_sensor_cfg_t sensors[MWX_MAX_SENSORS];
    int n_sensors;
    mwx_launch_t launches[MWX_MAX_LAUNCHES];
    int n_launches;
    char *json; /* the scenario text as loaded (owned) */
    /* The solved trajectory of each launch (owned; NULL when not solved: loaded with
     * MWX_SCENARIO_NO_TRAJ, or the trajectory code said MWX_EUNSUPPORTED). The loader
     * solves them to refuse unreachable aims; mwx_sim_run reuses them. Because of these
     * owned pointers and json, never copy an mwx_scenario_t by value: pass pointers. */
    struct mwx_traj *traj[MWX_MAX_LAUNCHES];
} mwx_scenario_t;

/* Load and validate. On error *sc holds nothing to free. A scenario is simulated data,
 * so status "Actual" is refused (PRODUCT.md). name is the file name used in messages;
 * base_dir (may be NULL: the current folder) is where a relative "regions" resolves.
 * Without "regions" the project's data/regions/northeast-asia.geojson is used, found
 * by mwx_sim_data_dir() (regions_path is "" when no data folder is found). */
MWX_API MWX_NODISCARD int mwx_scenario_load(const char *path, mwx_scenario_t *sc, mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_scenario_load_string(const char *text, size_t len, const char *name,
                                                   const char *base_dir, mwx_scenario_t *sc,
                                                   mwx_err_t *err);
enum {
    /* Validate the schema only: do not solve the trajectories (bounded work, for
     * fuzzing and for tools that only need the configuration). */
    MWX_SCENARIO_NO_TRAJ = 1
};
MWX_API MWX_NODISCARD int mwx_scenario_parse(const char *text, size_t len, const char *name,
                                             const char *base_dir, int flags, mwx_scenario_t *sc,
                                             mwx_err_t *err);
MWX_API void mwx_scenario_free(mwx_scenario_t *sc);

/* The project's data folder (holding regions/northeast-asia.geojson), first found of:
 * $MWX_DATA_DIR; then, from the running executable's folder and up to four parents,
 * D/share/mwx and D/data; last, the source tree the library was built from. Returns
 * MWX_ENOTFOUND when none holds the regions file. */
MWX_API MWX_NODISCARD int mwx_sim_data_dir(char *buf, size_t n);

/* Defaults of the optional scenario keys (printed by `mwx sim --help`, documented in
 * docs/SCENARIOS.md). */
#define MWX_SCN_DEFAULT_STATUS            "Exercise"
#define MWX_SCN_DEFAULT_SEED              1
#define MWX_SCN_DEFAULT_REVISIT_S         1.0
#define MWX_SCN_DEFAULT_RADAR_PD          0.9
#define MWX_SCN_DEFAULT_IR_PD             0.99
#define MWX_SCN_DEFAULT_MAX_RANGE_KM      1000.0
#define MWX_SCN_DEFAULT_MIN_ELEVATION_DEG 1.0
#define MWX_SCN_DEFAULT_SIGMA_RANGE_M     30.0
#define MWX_SCN_DEFAULT_SIGMA_ANGLE_DEG   0.05
#define MWX_SCN_DEFAULT_FALSE_ALARMS      0.0
#define MWX_SCN_DEFAULT_SIGMA_LOS_URAD    30.0
#define MWX_SCN_DEFAULT_BURN_TIME_S       120.0
#define MWX_SCN_DEFAULT_BETA_KG_M2        5000.0

/* ---------------------------------------------------------------- trajectories */

typedef struct mwx_traj mwx_traj_t;

/* Solve the launch (profile -> burnout state that lands on aim) and integrate it to
 * impact. MWX_ERANGE with a clear message when the aim is unreachable for the profile. */
MWX_API MWX_NODISCARD int mwx_traj_create(const mwx_physics_t *ph, const mwx_launch_t *l,
                                          double epoch_unix, mwx_traj_t **out, mwx_err_t *err);
MWX_API void mwx_traj_destroy(mwx_traj_t *tr);

/* ECEF state at scenario time t. MWX_ERANGE before launch or after impact. */
MWX_API MWX_NODISCARD int mwx_traj_state(const mwx_traj_t *tr, double t, double ecef[3],
                                         double vel[3], mwx_phase_t *phase);

typedef struct mwx_traj_info {
    double t_launch, t_burnout, t_impact;   /* scenario seconds */
    double burnout_ecef[3], burnout_vel[3]; /* ECEF state at burnout */
    double burnout_eci[3],
        burnout_vel_eci
            [3]; /* same in the inertial frame (theta=ERA at epoch+t_burnout when rotating) */
    double impact_lat, impact_lon; /* rad, geodetic */
    double apogee_m;               /* max altitude above the ellipsoid */
    double range_m;                /* geodesic launch -> impact */
    int in_orbit; /* the vehicle reached orbit: t_impact is then the end of its propagation
                    * (a day after launch), impact_* the point below it then */
} mwx_traj_info_t;

MWX_API void mwx_traj_get_info(const mwx_traj_t *tr, mwx_traj_info_t *info);

/* The truth objects of a launch. Object 0 is the vehicle itself (id = the launch id: the
 * re-entry body, the glide vehicle, or a space launch's last stage and payload); objects
 * 1.. are the separated stages ID-S1, ID-S2 (and, when a space launch breaks up, the
 * stage burning at fail_at_s). Each names its launch: the launch id. */
typedef struct mwx_traj_object {
    char id[MWX_ID_LEN];           /* launch id, or launch id + "-S<k>" */
    double t_start, t_end;         /* scenario s: separation (launch for object 0) .. end */
    int impacts;                   /* 1: t_end is its impact; 0: in orbit until t_end */
    double impact_lat, impact_lon; /* rad, when impacts */
} mwx_traj_object_t;

MWX_API MWX_NODISCARD int mwx_traj_n_objects(const mwx_traj_t *tr);
/* MWX_ERANGE for k out of range. */
MWX_API MWX_NODISCARD int mwx_traj_object(const mwx_traj_t *tr, int k, mwx_traj_object_t *o);
/* State of object k at t in [t_start, t_end] (as mwx_traj_state, which is object 0).
 * Phase: boost while it burns, glide while it flies on lift, orbit once in orbit,
 * ballistic otherwise, impact at an impact t_end. */
MWX_API MWX_NODISCARD int mwx_traj_object_state(const mwx_traj_t *tr, int k, double t,
                                                double ecef[3], double vel[3], mwx_phase_t *phase);

/* ---------------------------------------------------------------- the run */

/* Receives records in time order. Return non-zero to stop the run (that code is
 * returned by mwx_sim_run). */
typedef int (*mwx_sim_sink_fn)(void *ctx, const mwx_record_t *rec);

typedef struct mwx_sim_opts {
    uint64_t seed; /* used when has_seed */
    int has_seed;
    double truth_dt_s; /* truth record interval; 0 = default 1 s */
} mwx_sim_opts_t;

/* What a run produced (optional out-parameter of mwx_sim_run_stats). */
typedef struct mwx_sim_stats {
    uint64_t n_truth, n_meas, n_false_alarms, n_scans;
} mwx_sim_stats_t;

MWX_API MWX_NODISCARD int mwx_sim_run(const mwx_scenario_t *sc, const mwx_sim_opts_t *opts,
                                      mwx_sim_sink_fn sink, void *ctx, mwx_err_t *err);
/* The same, counting what was emitted into *stats (may be NULL). */
MWX_API MWX_NODISCARD int mwx_sim_run_stats(const mwx_scenario_t *sc, const mwx_sim_opts_t *opts,
                                            mwx_sim_sink_fn sink, void *ctx, mwx_sim_stats_t *stats,
                                            mwx_err_t *err);

#ifdef __cplusplus
}
#endif

#endif /* MWX_SIM_H */
