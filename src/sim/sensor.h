/*
 * sensor.h -- the simulated sensor interface (internal to src/sim).
 *
 * A sensor kind is a table of function pointers (mwx_sensor_ops_t) in its own file
 * (radar.c, ir_satellite.c); sensor.c maps mwx_sensor_kind_t to its table. A sensor is
 * created from its scenario configuration, then the run asks it, in turn, when it scans
 * next and, at that time, for its measurements of the true targets.
 *
 * Contract of scan(): given the true states of every object in flight at t, write at
 * most cap measurements (every field of mwx_rec_meas_t filled; truth_object "" for a
 * false alarm) and return how many. No allocation: the caller preallocates
 * MWX_SENSOR_MAX_MEAS(n_targets) records. Deterministic: the only randomness is the
 * sensor's own stream (rng.h), seeded from the run seed and the sensor id.
 */
#ifndef MWX_SIM_SENSOR_H
#define MWX_SIM_SENSOR_H

#include "mwx/sim.h"
#include "sim/rng.h"

/* False alarms beyond this many in one scan are dropped (P < 1e-30 for the largest
 * allowed rate, 100 a scan). */
#define MWX_SENSOR_MAX_FALSE           512
#define MWX_SENSOR_MAX_MEAS(n_targets) ((size_t)(n_targets) + MWX_SENSOR_MAX_FALSE)

/* One true object at the scan time. */
typedef struct mwx_sim_target {
    const char *id;
    double ecef[3];
    double vel[3];
    mwx_phase_t phase;
} mwx_sim_target_t;

typedef struct mwx_sensor mwx_sensor_t;

typedef struct mwx_sensor_ops {
    const char *kind;
    /* Fill the kind-specific part of s (s->cfg, earth, rng are set). */
    int (*init)(mwx_sensor_t *s, mwx_err_t *err);
    /* Measurements at scan time t (see the contract above). */
    size_t (*scan)(mwx_sensor_t *s, double t, const mwx_sim_target_t *targets, size_t n,
                   mwx_rec_meas_t *out, size_t cap);
    /* The first scan time strictly after t (t < 0: the first scan). */
    double (*next_scan)(const mwx_sensor_t *s, double t);
} mwx_sensor_ops_t;

struct mwx_sensor {
    const mwx_sensor_ops_t *ops;
    mwx_sensor_cfg_t cfg;
    mwx_earth_t earth;
    mwx_rng_t rng;
    double phase_s;     /* scans at phase_s + k * revisit_s (sensors are not in step) */
    double pos_ecef[3]; /* site or satellite, Earth-fixed */
    mwx_geo_t site;     /* radar site (rad, rad, m) */
};

extern const mwx_sensor_ops_t mwxi_radar_ops;
extern const mwx_sensor_ops_t mwxi_ir_satellite_ops;

/* Set up s for cfg on the scenario's Earth with the run seed. */
int mwxi_sensor_init(mwx_sensor_t *s, const mwx_sensor_cfg_t *cfg, const mwx_physics_t *ph,
                     uint64_t seed, mwx_err_t *err);
/* Shared scan schedule: phase_s + k * revisit_s, the first one strictly after t. */
double mwxi_sensor_next_periodic(const mwx_sensor_t *s, double t);
/* Fill the fields common to every measurement of s at t. */
void mwxi_sensor_meas_header(const mwx_sensor_t *s, double t, mwx_rec_meas_t *m);

/* Geostationary orbit radius (m): (GM / omega^2)^(1/3) for WGS-84, 42164.17 km. */
#define MWX_GEO_RADIUS_M 42164172.0
/* The IR plume is seen only when the line of sight clears the ellipsoid raised by this
 * much (cloud tops and the absorbing lower atmosphere). */
#define MWX_IR_LIMB_MARGIN_M 10000.0

#endif
