/*
 * mwx/core.h -- the layer under every stage of mwx.
 *
 * What lives here, and the contract of each part:
 *
 *   errors     Every fallible function returns 0 (MWX_OK) or a negative MWX_E* code and,
 *              when the caller passes an mwx_err_t, a message naming the file, the line or
 *              JSON path, and what was expected. No global state: the message travels in
 *              the caller's mwx_err_t.
 *   time       Scenario time is seconds (double) since the scenario epoch; absolute times
 *              are RFC 3339 strings and Unix seconds inside the code.
 *   geodesy    WGS-84 (or a sphere) geodetic <-> ECEF, local ENU, range/azimuth/elevation,
 *              ECI <-> ECEF, geodesics on the ellipsoid (PROJ's geodesic.h). Angles are
 *              radians inside the code, degrees only in files.
 *   json       Strict readers over jansson objects: unknown keys, wrong types and values
 *              out of range are errors with the JSON path.
 *   records    The typed records that flow between stages (truth, meas, track, share,
 *              alert), fixed-size so that hot paths never allocate.
 *   recording  The .mwxr file: append-only, framed, checksummed, readable while written,
 *              with torn tails detected and cut (format documented in recording.c).
 */
#ifndef MWX_CORE_H
#define MWX_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "mwx/export.h"
#include "mwx/version.h" /* MWX_VERSION, generated from CMakeLists.txt */

#if defined(__GNUC__) || defined(__clang__)
#define MWX_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define MWX_PRINTF(fmt, args)
#endif

/* ------------------------------------------------------------------ errors */

enum {
    MWX_OK = 0,
    MWX_EINVAL = -1,        /* the input is wrong: JSON, units, values, schema */
    MWX_ENOMEM = -2,        /* allocation failed */
    MWX_EIO = -3,           /* the operating system said no (open, write, fsync...) */
    MWX_ECORRUPT = -4,      /* a recording or message failed its checksum or framing */
    MWX_ETRUNC = -5,        /* a recording ends in a torn record (cut, not misread) */
    MWX_EOF = -6,           /* no more records: not a failure */
    MWX_EAGAIN = -7,        /* nothing yet; try again later (follow mode, buses) */
    MWX_ENOTFOUND = -8,     /* a named thing does not exist */
    MWX_ERANGE = -9,        /* a value is out of range or a target is unreachable */
    MWX_EBUS = -10,         /* the message bus failed or went away */
    MWX_ECRYPTO = -11,      /* a signature or key did not verify */
    MWX_EUNSUPPORTED = -12, /* asked for something this build does not do */
    MWX_EUSAGE = -13,       /* the command line is wrong */
    MWX_EFULL = -14         /* a fixed-size table is full */
};

typedef struct mwx_err {
    int code;      /* last code set, MWX_OK when clear */
    char msg[512]; /* "FILE: $.json.path: expected X, got Y" */
} mwx_err_t;

/* Short fixed text for a code ("invalid input", ...). Never NULL. */
MWX_API const char *mwx_strerror(int code);

/* Fill err (which may be NULL) with code and a formatted message; returns code so that
 * callers can write `return mwx_err_set(err, MWX_EINVAL, "...")`. */
MWX_API int mwx_err_set(mwx_err_t *err, int code, const char *fmt, ...) MWX_PRINTF(3, 4);

/* Prefix an existing message: "context: <old message>". Returns err->code. */
MWX_API int mwx_err_prefix(mwx_err_t *err, const char *fmt, ...) MWX_PRINTF(2, 3);

MWX_API void mwx_err_clear(mwx_err_t *err);

/* Process exit status for a code, per PRODUCT.md: 0 ok, 1 input wrong, 2 usage,
 * 3 environment (I/O, bus, memory). */
MWX_API int mwx_exit_status(int code);

/* ------------------------------------------------------------------ time */

/* Parse RFC 3339 ("2026-11-22T03:00:00Z", "...T12:00:00.25+09:00") into Unix seconds. */
MWX_API MWX_NODISCARD int mwx_time_parse(const char *s, double *unix_s, mwx_err_t *err);

/* Format Unix seconds as RFC 3339 with a numeric offset (CAP wants "+00:00", not "Z"):
 * "2026-11-22T03:00:00+00:00". offset_min is the zone's offset from UTC in minutes.
 * frac_digits 0..6. Returns MWX_EINVAL if buf is too small. */
MWX_API MWX_NODISCARD int mwx_time_format(double unix_s, int offset_min, int frac_digits, char *buf,
                                          size_t n);

/* Monotonic clock in seconds, for latency measurements. */
MWX_API double mwx_time_mono(void);
/* Wall clock in Unix seconds. */
MWX_API double mwx_time_wall(void);

/* ------------------------------------------------------------------ files */

/* Write data to PATH.tmp with mode (e.g. 0644, 0600), fsync, rename to PATH: a failure
 * never leaves a half-written file under its final name. */
MWX_API MWX_NODISCARD int mwx_file_write_atomic(const char *path, const void *data, size_t len,
                                                unsigned mode, mwx_err_t *err);
/* mkdir -p with mode for every folder it makes. */
MWX_API MWX_NODISCARD int mwx_mkdir_p(const char *path, unsigned mode, mwx_err_t *err);

/* ------------------------------------------------------------------ geodesy */

#define MWX_PI  3.14159265358979323846
#define MWX_DEG (MWX_PI / 180.0)

#define MWX_WGS84_A     6378137.0             /* semi-major axis, m */
#define MWX_WGS84_F     (1.0 / 298.257223563) /* flattening */
#define MWX_WGS84_GM    3.986004418e14        /* m^3/s^2 (EGM96/WGS-84) */
#define MWX_WGS84_J2    1.08262982131e-3      /* unnormalised C20 of EGM96 */
#define MWX_WGS84_OMEGA 7.292115e-5           /* Earth rotation rate, rad/s */
#define MWX_SPHERE_R    6371008.8             /* mean radius, m (PRODUCT.md) */
#define MWX_SPHERE_GM   3.986004418e14

/* An Earth model: WGS-84, or a sphere (f = 0, j2 = 0). omega is the rotation rate used
 * for ECI <-> ECEF and for the rotating-frame terms; it is 0 when physics says
 * "rotation": false. */
typedef struct mwx_earth {
    double a;     /* equatorial radius, m */
    double f;     /* flattening (0 for a sphere) */
    double gm;    /* gravitational parameter, m^3/s^2 */
    double j2;    /* second zonal harmonic (0 = point mass) */
    double omega; /* rotation rate, rad/s */
} mwx_earth_t;

MWX_API mwx_earth_t mwx_earth_wgs84(void);
MWX_API mwx_earth_t mwx_earth_sphere(void);
/* b = a(1-f), e^2 = f(2-f) */
MWX_API double mwx_earth_b(const mwx_earth_t *e);
MWX_API double mwx_earth_e2(const mwx_earth_t *e);

/* Geodetic position: lat, lon in radians, alt in metres above the ellipsoid. */
typedef struct mwx_geo {
    double lat, lon, alt;
} mwx_geo_t;

MWX_API void mwx_geo_to_ecef(const mwx_earth_t *e, const mwx_geo_t *g, double ecef[3]);
/* Exact to well under a millimetre at any altitude from -1e5 m to GEO and beyond. */
MWX_API void mwx_ecef_to_geo(const mwx_earth_t *e, const double ecef[3], mwx_geo_t *g);

/* Unit vectors of the local east/north/up frame at (lat, lon), expressed in ECEF. */
MWX_API void mwx_enu_basis(double lat, double lon, double east[3], double north[3], double up[3]);

/* Vector from site to p, in the site's ENU frame. site_ecef must equal geo_to_ecef(site). */
MWX_API void mwx_ecef_to_enu(const mwx_geo_t *site, const double site_ecef[3], const double p[3],
                             double enu[3]);
MWX_API void mwx_enu_to_ecef(const mwx_geo_t *site, const double site_ecef[3], const double enu[3],
                             double p[3]);

/* Range (m), azimuth (rad, clockwise from true north, [0, 2pi)) and elevation (rad, above
 * the ellipsoid's local horizon) of p seen from site. */
MWX_API void mwx_ecef_to_rae(const mwx_geo_t *site, const double site_ecef[3], const double p[3],
                             double *range, double *az, double *el);
MWX_API void mwx_rae_to_ecef(const mwx_geo_t *site, const double site_ecef[3], double range,
                             double az, double el, double p[3]);

/* Earth rotation angle (rad) at Unix time t (UT1 taken as UTC: the 0.9 s difference is
 * below anything mwx measures). ECEF = R3(theta) ECI. */
MWX_API double mwx_earth_rotation_angle(double unix_s);
/* Position and (optionally, when vel arrays non-NULL) velocity between ECI and ECEF
 * for a frame rotating at omega with angle theta. */
MWX_API void mwx_eci_to_ecef(double theta, double omega, const double r_eci[3],
                             const double v_eci[3], double r_ecef[3], double v_ecef[3]);
MWX_API void mwx_ecef_to_eci(double theta, double omega, const double r_ecef[3],
                             const double v_ecef[3], double r_eci[3], double v_eci[3]);

/* Geodesics on the earth's ellipsoid (PROJ geodesic.h, Karney's algorithm).
 * Inverse: distance (m) and forward azimuths (rad) at both ends. Direct: the point at
 * distance s along azimuth az1 from (lat1, lon1). All angles in radians. */
MWX_API void mwx_geodesic_inverse(const mwx_earth_t *e, double lat1, double lon1, double lat2,
                                  double lon2, double *s12, double *az1, double *az2);
MWX_API void mwx_geodesic_direct(const mwx_earth_t *e, double lat1, double lon1, double az1,
                                 double s12, double *lat2, double *lon2);

/* Small vector helpers used everywhere. */
static inline double mwx_dot3(const double a[3], const double b[3])
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
MWX_API double mwx_norm3(const double a[3]);
MWX_API void mwx_cross3(const double a[3], const double b[3], double out[3]);
MWX_API double mwx_wrap_2pi(double a); /* into [0, 2pi) */
MWX_API double mwx_wrap_pi(double a);  /* into (-pi, pi] */

/* ------------------------------------------------------------------ json */

struct json_t; /* jansson */

/* Parse a JSON file; a syntax error names "file:line:column: what". */
MWX_API MWX_NODISCARD int mwx_json_load_file(const char *path, struct json_t **root,
                                             mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_json_load_string(const char *text, size_t len, const char *name,
                                               struct json_t **root, mwx_err_t *err);

/* A strict reader's position, for messages: "FILE: $.sensors[2].pd: ...". */
typedef struct mwx_jpath {
    const char *file;
    char path[256];
} mwx_jpath_t;

MWX_API void mwx_jpath_init(mwx_jpath_t *jp, const char *file);
/* Child paths: push returns the old length to pop back to. */
MWX_API size_t mwx_jpath_key(mwx_jpath_t *jp, const char *key);
MWX_API size_t mwx_jpath_index(mwx_jpath_t *jp, size_t index);
MWX_API void mwx_jpath_pop(mwx_jpath_t *jp, size_t len);

/* Error at jp (optionally at jp.key): "file: $.a.b: <message>". */
MWX_API int mwx_jpath_error(const mwx_jpath_t *jp, const char *key, mwx_err_t *err, const char *fmt,
                            ...) MWX_PRINTF(4, 5);

/* obj must be an object whose keys are all in allowed (NULL-terminated). */
MWX_API MWX_NODISCARD int mwx_json_check_object(const mwx_jpath_t *jp, const struct json_t *obj,
                                                const char *const *allowed, mwx_err_t *err);

/* Typed getters. A missing key is an error when required, otherwise *out = def.
 * Numbers must lie in [min, max]. */
MWX_API MWX_NODISCARD int mwx_json_number(const mwx_jpath_t *jp, const struct json_t *obj,
                                          const char *key, int required, double def, double min,
                                          double max, double *out, mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_json_integer(const mwx_jpath_t *jp, const struct json_t *obj,
                                           const char *key, int required, long long def,
                                           long long min, long long max, long long *out,
                                           mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_json_bool(const mwx_jpath_t *jp, const struct json_t *obj,
                                        const char *key, int required, int def, int *out,
                                        mwx_err_t *err);
/* Copies into buf (NUL-terminated); too long for buf is an error. */
MWX_API MWX_NODISCARD int mwx_json_string(const mwx_jpath_t *jp, const struct json_t *obj,
                                          const char *key, int required, const char *def, char *buf,
                                          size_t n, mwx_err_t *err);
/* One of choices (NULL-terminated); *out is its index. */
MWX_API MWX_NODISCARD int mwx_json_enum(const mwx_jpath_t *jp, const struct json_t *obj,
                                        const char *key, int required, int def,
                                        const char *const *choices, int *out, mwx_err_t *err);

/* ------------------------------------------------------------------ records */

#define MWX_ID_LEN            32 /* ids: nations, sensors, objects, tracks, regions */
#define MWX_MAX_NATIONS       16
#define MWX_MAX_ALERT_REGIONS 96
#define MWX_PATH_LEN          256

typedef enum mwx_status {
    MWX_STATUS_ACTUAL = 0,
    MWX_STATUS_EXERCISE = 1,
    MWX_STATUS_TEST = 2
} mwx_status_t;

typedef enum mwx_phase {
    MWX_PHASE_BOOST = 0,
    MWX_PHASE_BALLISTIC = 1,
    MWX_PHASE_IMPACT = 2,
    MWX_PHASE_GLIDE = 3, /* lifting flight in the atmosphere (glide, quasi-ballistic pull-up) */
    MWX_PHASE_ORBIT = 4, /* reached orbit: never comes down within the flight */
    MWX_PHASE_MAX = 4
} mwx_phase_t;

/* What a launch estimate rests on, weakest first: a ballistic arc flown back to the ground
 * (a track first seen after burnout: the point of origin, tens of km and s off), one
 * boosting state flown back, or a fit of a booster to the early flight. */
typedef enum mwx_launch_basis {
    MWX_LAUNCH_BALLISTIC = 0,
    MWX_LAUNCH_BOOST = 1,
    MWX_LAUNCH_FIT = 2
} mwx_launch_basis_t;

/* What the tracker has shown a track to be (docs/TRACKER.md "Track class"). Only a track
 * shown ballistic gets an impact prediction: a body that may still be under thrust, or
 * lifting, has none, whatever the IMM's modes say; a space launch (heading for orbit, or
 * in it) never has one. Unknown is 0 so that a record written before the field existed
 * reads as unknown (the warning then relies on its own thrust guard). */
typedef enum mwx_track_class {
    MWX_CLASS_UNKNOWN = 0,   /* not classified (older records) */
    MWX_CLASS_THRUSTING = 1, /* may still be under thrust: no impact prediction */
    MWX_CLASS_BALLISTIC = 2, /* 20 s without thrust or lift evidence: impact ellipse */
    MWX_CLASS_LIFTING = 3,   /* lateral acceleration without thrust (lift, manoeuvre) */
    /* part of a space launch (burned > 330 s, level near orbital speed, in orbit, or
     * separated from such a part): an impact (a drop zone) only once it is shown
     * ballistic and comes down, never in orbit */
    MWX_CLASS_SPACE_LAUNCH = 4,
    MWX_CLASS_STAGE = 5, /* a spent stage: quiet since it separated while its
                                 * sibling burned on; its impact is a drop zone */
    /* a glide vehicle: hypersonic flight deep in the air, level or shallow, that no
     * ballistic body flies there; its impact is the centre of its reachable footprint
     * and its ellipse covers that footprint (docs/TRACKER.md "Glide vehicles") */
    MWX_CLASS_GLIDE = 6,
    MWX_CLASS_MAX = 6
} mwx_track_class_t;

typedef enum mwx_sensor_kind { MWX_SENSOR_RADAR = 0, MWX_SENSOR_IR = 1 } mwx_sensor_kind_t;

typedef enum mwx_msg_type {
    MWX_MSG_ALERT = 0,
    MWX_MSG_UPDATE = 1,
    MWX_MSG_CANCEL = 2
} mwx_msg_type_t;

/* What an alert warns of (docs/PRODUCT.md "Threat classes"). Impact is 0 so that a
 * recording written before the field existed reads as impact. */
typedef enum mwx_alert_kind {
    MWX_ALERT_IMPACT = 0,     /* the predicted impact area */
    MWX_ALERT_OVERFLIGHT = 1, /* under the predicted ground track */
    MWX_ALERT_LAUNCH = 2,     /* first notice of a confirmed launch (certainty Possible) */
    MWX_ALERT_DROP_ZONE = 3   /* where a spent stage or debris falls */
} mwx_alert_kind_t;

typedef enum mwx_rec_type {
    MWX_REC_SCENARIO = 1,
    MWX_REC_TRUTH = 2,
    MWX_REC_MEAS = 3,
    MWX_REC_TRACK = 4,
    MWX_REC_SHARE = 5,
    MWX_REC_ALERT = 6,
    MWX_REC_TYPE_MAX = 6
} mwx_rec_type_t;

MWX_API const char *mwx_status_name(mwx_status_t s); /* "Actual", "Exercise", "Test" */
/* "boost", "ballistic", "impact", "glide", "orbit" */
MWX_API const char *mwx_phase_name(mwx_phase_t p);
MWX_API const char *mwx_launch_basis_name(mwx_launch_basis_t b); /* "ballistic", "boost", "fit" */
/* "unknown", "thrusting", "ballistic", "lifting", "space_launch", "stage", "glide" */
MWX_API const char *mwx_track_class_name(mwx_track_class_t c);
MWX_API const char *mwx_sensor_kind_name(mwx_sensor_kind_t k); /* "radar", "ir_satellite" */
MWX_API const char *mwx_msg_type_name(mwx_msg_type_t m);       /* "Alert", "Update", "Cancel" */
/* "impact", "overflight", "launch", "drop_zone" */
MWX_API const char *mwx_alert_kind_name(mwx_alert_kind_t k);
MWX_API const char *mwx_rec_type_name(mwx_rec_type_t t); /* "scenario", "truth", ... */

/* First record of every recording. json (optional) is the whole scenario text, so that
 * a recording is self-contained; in records returned by a reader it points into the
 * reader's buffer and is valid until the next call. */
typedef struct mwx_rec_scenario {
    char name[64];
    char epoch[40]; /* RFC 3339 */
    mwx_status_t status;
    uint64_t seed;
    const char *json; /* may be NULL */
} mwx_rec_scenario_t;

typedef struct mwx_rec_truth {
    double t;
    char object[MWX_ID_LEN];
    double ecef_m[3];
    double vel_mps[3];
    mwx_phase_t phase;
    /* The launch this object belongs to: the launch id for the launch's own vehicle,
     * the parent launch's id for a separated stage (object "L1-S1" has launch "L1").
     * "" in records written before the field existed: read it as the object id. */
    char launch[MWX_ID_LEN];
} mwx_rec_truth_t;

/* One detection. A real sensor report carries the sensor's position and accuracy, so the
 * tracker needs nothing but the measurement stream. */
typedef struct mwx_rec_meas {
    double t;
    char sensor[MWX_ID_LEN];
    char nation[MWX_ID_LEN];
    mwx_sensor_kind_t kind;
    double sensor_ecef_m[3]; /* sensor position at t (GEO satellites: ECEF too) */
    /* radar */
    double range_m, az_deg, el_deg;
    double sigma_range_m, sigma_az_deg, sigma_el_deg;
    /* IR: unit line of sight from the sensor, ECEF */
    double los_ecef[3];
    double sigma_los_urad;
    /* scoring only, never read by the tracker; "" = false alarm (null in JSON) */
    char truth_object[MWX_ID_LEN];
} mwx_rec_meas_t;

typedef struct mwx_rec_launch_est {
    int valid;       /* 0: null in JSON */
    double lat, lon; /* degrees (file units: these records are the file's content) */
    double t;
    mwx_launch_basis_t basis;
} mwx_rec_launch_est_t;

typedef struct mwx_rec_impact_est {
    int valid;       /* 0: null in JSON */
    double lat, lon; /* degrees */
    double t;
    double semi_major_km, semi_minor_km; /* 95 % ellipse */
    double orientation_deg;              /* major axis, clockwise from true north */
} mwx_rec_impact_est_t;

typedef struct mwx_rec_track {
    double t;
    char node[MWX_ID_LEN];     /* nation of the node that holds the track */
    char track_id[MWX_ID_LEN]; /* "JP-7": stable per node */
    double ecef_m[3];
    double vel_mps[3];
    double cov_pos_m2[6];   /* xx xy xz yy yz zz */
    double cov_vel_m2s2[6]; /* velocity covariance, same order */
    mwx_phase_t phase;
    int confirmed;                /* 1 confirmed, 0 tentative */
    char sources[MWX_ID_LEN * 2]; /* nations whose data fed it, "JP,US" (fused tracks) */
    mwx_rec_launch_est_t launch;
    mwx_rec_impact_est_t impact; /* only for a track of class ballistic (or unknown) */
    mwx_track_class_t klass;     /* JSON "class" */
    /* The track this one separated from (a spent stage, or the upper stage left when a
     * stage fell away), "" for none; its launch estimate is the parent's. */
    char parent[MWX_ID_LEN];
} mwx_rec_track_t;

typedef struct mwx_rec_share {
    double t;
    char from[MWX_ID_LEN];
    char to[MWX_MAX_NATIONS][MWX_ID_LEN];
    int n_to;
    char track_id[MWX_ID_LEN];
    uint64_t seq;
    int verified;
    double latency_s; /* receive minus send, when measured (else 0) */
} mwx_rec_share_t;

typedef struct mwx_rec_alert {
    double t;
    char node[MWX_ID_LEN];
    char identifier[128];
    mwx_msg_type_t msg_type;
    mwx_status_t status;
    mwx_alert_kind_t kind; /* CAP records: what the series warns of; others impact */
    char regions[MWX_MAX_ALERT_REGIONS][12];
    int n_regions;
    char file[MWX_PATH_LEN];
} mwx_rec_alert_t;

typedef struct mwx_record {
    mwx_rec_type_t type;
    union {
        mwx_rec_scenario_t scenario;
        mwx_rec_truth_t truth;
        mwx_rec_meas_t meas;
        mwx_rec_track_t track;
        mwx_rec_share_t share;
        mwx_rec_alert_t alert;
    } u;
} mwx_record_t;

/* Copy a string into a fixed field, always NUL-terminated; returns MWX_ERANGE (and
 * truncates) when it did not fit. */
MWX_API int mwx_strlcpy(char *dst, const char *src, size_t n);

/* A 64-bit key (FNV-1a) of the pair of strings (a, b); b may be NULL. Equal pairs have
 * equal keys, and ("ab", "c") is not ("a", "bc"): a table compares keys before strings. */
MWX_API uint64_t mwx_id_key(const char *a, const char *b);

/* Protobuf encoding of one record's payload (proto/mwx_record.proto), for the recording
 * and for anything that embeds records (wire envelopes). encode writes at most cap bytes
 * and sets *len; MWX_EFULL when cap is too small. decode validates (required fields,
 * enum ranges, string lengths) and returns MWX_ECORRUPT on bad input. Decoded scenario
 * json is copied into json_buf (json_cap bytes) when non-NULL, else left NULL.
 * encode also refuses, with MWX_EINVAL, a record that decode would refuse (a number not
 * finite, an enum out of range, a string not NUL-terminated in its field or not UTF-8);
 * encoded_size is then 0. decode returns MWX_EFULL when the json does not fit json_cap. */
MWX_API MWX_NODISCARD int mwx_record_encode(const mwx_record_t *rec, uint8_t *buf, size_t cap,
                                            size_t *len);
MWX_API size_t mwx_record_encoded_size(const mwx_record_t *rec);
MWX_API MWX_NODISCARD int mwx_record_decode(mwx_rec_type_t type, const uint8_t *buf, size_t len,
                                            mwx_record_t *rec, char *json_buf, size_t json_cap,
                                            mwx_err_t *err);

/* A measurement from outside (a live sensor feed) is usable: finite values, a sensor id,
 * a sensor within 10^6 km, positive range, sigmas > 0 and at most 1000 km / 90 deg /
 * 10^6 urad, angles in range, a unit line of sight. MWX_EINVAL with the first problem
 * named. */
MWX_API MWX_NODISCARD int mwx_rec_meas_check(const mwx_rec_meas_t *m, mwx_err_t *err);

/* One JSON object (one line, no newline) as PRODUCT.md specifies for `mwx cat`.
 * Returns a malloc'd string, or NULL on allocation failure. */
MWX_API char *mwx_record_to_json(const mwx_record_t *rec);

/* ------------------------------------------------------------------ recording */

typedef struct mwx_recwriter mwx_recwriter_t;
typedef struct mwx_recreader mwx_recreader_t;

enum {
    /* Write to "PATH.tmp" and rename to PATH on a successful close: a failure never
     * leaves a half-written file under the final name. */
    MWX_REC_ATOMIC = 1,
    /* Write at PATH directly so that readers can follow it live (node recordings). */
    MWX_REC_LIVE = 2,
    /* With LIVE: open an existing recording, cut any torn tail, append after it. */
    MWX_REC_APPEND = 4
};

MWX_API MWX_NODISCARD int mwx_recwriter_open(const char *path, int flags, mwx_recwriter_t **out,
                                             mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_recwriter_append(mwx_recwriter_t *w, const mwx_record_t *rec,
                                               mwx_err_t *err);
/* Push buffered records to the file; with durable, fsync too. */
MWX_API MWX_NODISCARD int mwx_recwriter_flush(mwx_recwriter_t *w, int durable, mwx_err_t *err);
/* Flush, fsync, close and (ATOMIC) rename into place. Frees w either way. */
MWX_API MWX_NODISCARD int mwx_recwriter_close(mwx_recwriter_t *w, mwx_err_t *err);
/* Close and delete the temporary file (ATOMIC) without committing. Frees w. */
MWX_API void mwx_recwriter_abort(mwx_recwriter_t *w);
/* Records appended through this writer (APPEND: not counting those already there). */
MWX_API uint64_t mwx_recwriter_count(const mwx_recwriter_t *w);

/* Rotation and retention of a LIVE recording (src/core/recseg.c). At a flush, a live file
 * that holds segment_bytes or more, or was started segment_age_s ago or more (and holds a
 * record besides its scenario record), is closed as PATH.K (K = 1, 2, ...) and PATH
 * starts again with the scenario record. Then, oldest first, closed segments beyond
 * keep_bytes (their total) or keep_age_s (since their last write) are compacted into
 * PATH.K.compacted: the first scenario record, every share and alert record, each
 * track's and truth object's last state; measurements and earlier states are dropped.
 * A reader opening PATH reads the set as one recording. 0 turns a limit off. */
typedef struct mwx_retention {
    uint64_t segment_bytes;
    double segment_age_s;
    uint64_t keep_bytes;
    double keep_age_s;
} mwx_retention_t;
MWX_API MWX_NODISCARD int mwx_recwriter_set_retention(mwx_recwriter_t *w,
                                                      const mwx_retention_t *ret, mwx_err_t *err);
/* The recording's clock (scenario t = (wall - start_unix) * speed), so that keep_age_s
 * also bounds the compacted archive: records older than keep_age_s leave it. Without a
 * clock the archive is bounded by keep_bytes only. */
MWX_API void mwx_recwriter_set_clock(mwx_recwriter_t *w, double start_unix, double speed);
/* A failed compaction does not fail the writer (its inputs stay whole and are read as
 * before; the next rotation tries again): the number of failures, and the last one's
 * error in *last (may be NULL). */
MWX_API uint64_t mwx_recwriter_compaction_failures(const mwx_recwriter_t *w, mwx_err_t *last);
/* Records the archive's bound has dropped (keep_bytes, keep_age_s) in this writer's life. */
MWX_API uint64_t mwx_recwriter_archive_dropped(const mwx_recwriter_t *w);
/* Short of disk (on): rotate now (when the live segment holds records) and from now on
 * compact every closed segment at each rotation, the live one rotating at 1 MiB at
 * most; the archive keeps its bound (keep_bytes), so alerts and share decisions stay.
 * off: back to the retention. */
MWX_API MWX_NODISCARD int mwx_recwriter_squeeze(mwx_recwriter_t *w, int on, mwx_err_t *err);
/* on: the retention's compaction runs on a thread of the writer's own, which a rotation
 * only wakes, so that appends never wait for it (a compaction reads and rewrites the
 * archive: 0.46 s for 32 MiB, seconds at the default keep_bytes; a node's loop stalled
 * that long at each rotation). Closing the writer waits for a compaction under way.
 * Off (default): at the rotation, in the caller's thread. */
MWX_API void mwx_recwriter_set_async_retention(mwx_recwriter_t *w, int on);

enum {
    /* At the end of the data, return MWX_EAGAIN (not MWX_EOF / MWX_ETRUNC) so that the
     * caller can wait and call again while a writer appends. */
    MWX_READ_FOLLOW = 1
};

MWX_API MWX_NODISCARD int mwx_recreader_open(const char *path, int flags, mwx_recreader_t **out,
                                             mwx_err_t *err);
/* Next whole record: MWX_OK; MWX_EOF at a clean end; MWX_ETRUNC when the file ends in
 * a torn record (err says at which byte offset); MWX_ECORRUPT when a record fails its
 * checksum (err says where). Records returned before a failure are all valid. */
MWX_API MWX_NODISCARD int mwx_recreader_next(mwx_recreader_t *r, mwx_record_t *rec, mwx_err_t *err);
/* Byte offset just past the last whole record returned. */
MWX_API uint64_t mwx_recreader_offset(const mwx_recreader_t *r);
MWX_API void mwx_recreader_close(mwx_recreader_t *r);

/* Read a whole recording into memory (the common case for offline commands).
 * On MWX_ETRUNC/MWX_ECORRUPT the records before the damage are still returned, with the
 * code, so that callers can warn and go on. Free with mwx_records_free. */
typedef struct mwx_records {
    mwx_record_t *v;
    size_t n, cap;
    char *scenario_json; /* owned copy of the scenario record's json, or NULL */
} mwx_records_t;

MWX_API MWX_NODISCARD int mwx_records_load(const char *path, mwx_records_t *out, mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_records_push(mwx_records_t *rs, const mwx_record_t *rec);
MWX_API void mwx_records_free(mwx_records_t *rs);

/* Call fn on every whole record of a recording (or a rotated set), in order, without
 * keeping them: rec and what it points to live until fn returns. fn returns 0 to go on or
 * a negative MWX_E* (with err set) to stop, which is returned. At the end: 0; on a torn
 * tail MWX_ETRUNC, on corruption MWX_ECORRUPT, after the records before the damage were
 * given to fn (the same contract as mwx_records_load). */
typedef int (*mwx_record_fn)(void *user, const mwx_record_t *rec, mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_records_each(const char *path, mwx_record_fn fn, void *user,
                                           mwx_err_t *err);

#ifdef __cplusplus
}
#endif

#endif /* MWX_CORE_H */
