/*
 * Scenario loader: PRODUCT.md's scenario file, checked key by key with the strict
 * mwx_json_* readers so that every error names the file and the JSON path
 * ("default.json: $.sensors[2].pd: expected a number in [0, 1], got 1.5"). Unknown keys
 * are errors ("reference", a historic scenario's real alerts, is accepted and left to
 * src/score/reference.c); optional keys take the MWX_SCN_DEFAULT_* values (docs/SCENARIOS.md).
 * Beyond the schema: status "Actual" is refused (simulated data), ids are unique, every
 * nation named by a sensor or sharing rule is declared, launch times lie in
 * [0, duration_s], and every launch is solved (mwx_traj_create) so that an aim the
 * profile cannot reach is refused at load time.
 */
#include "mwx/sim.h"

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REGIONS_FILE "regions/northeast-asia.geojson"

static const char *const k_top[] = {"name",     "epoch",     "status",  "duration_s", "seed",
                                    "physics",  "nations",   "sharing", "regions",    "sensors",
                                    "launches", "reference", NULL};
static const char *const k_physics[] = {"earth", "rotation", "j2", "drag", NULL};
static const char *const k_nation[] = {"id", NULL};
static const char *const k_sharing[] = {"from", "to", NULL};
static const char *const k_radar[] = {"id",
                                      "nation",
                                      "kind",
                                      "lat",
                                      "lon",
                                      "alt_m",
                                      "max_range_km",
                                      "min_elevation_deg",
                                      "revisit_s",
                                      "sigma_range_m",
                                      "sigma_az_deg",
                                      "sigma_el_deg",
                                      "pd",
                                      "false_alarms_per_scan",
                                      NULL};
static const char *const k_ir[] = {"id",        "nation",         "kind", "lon",
                                   "revisit_s", "sigma_los_urad", "pd",   NULL};
static const char *const k_launch[] = {"id",
                                       "t_launch_s",
                                       "site",
                                       "aim",
                                       "profile",
                                       "apogee_km",
                                       "burn_time_s",
                                       "ballistic_coefficient_kg_m2",
                                       "stages",
                                       "terminal_maneuver_g",
                                       "glide_alt_km",
                                       "lift_to_drag",
                                       "crossrange_km",
                                       "azimuth_deg",
                                       "orbit_alt_km",
                                       "fail_at_s",
                                       NULL};
static const char *const k_stage[] = {"burn_time_s", NULL};
static const char *const k_point[] = {"lat", "lon", NULL};
static const char *const e_status[] = {"Actual", "Exercise", "Test", NULL};
static const char *const e_earth[] = {"wgs84", "spherical", NULL};
static const char *const e_kind[] = {"radar", "ir_satellite", NULL};
static const char *const e_profile[] = {"minimum_energy", "lofted",       "depressed",
                                        "glide",          "space_launch", NULL};

/* Ids travel in subjects, file names and CAP identifiers: letters, digits, - and _. */
static int check_id(const mwx_jpath_t *jp, const char *key, const char *id, mwx_err_t *err)
{
    if (!id[0])
        return mwx_jpath_error(jp, key, err, "expected a non-empty id");
    for (const char *p = id; *p; p++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return mwx_jpath_error(
                jp, key, err, "expected an id of letters, digits, '-' and '_', got \"%s\"", id);
    }
    return MWX_OK;
}

static int read_id(const mwx_jpath_t *jp, const json_t *obj, const char *key, char *buf,
                   mwx_err_t *err)
{
    int rc = mwx_json_string(jp, obj, key, 1, NULL, buf, MWX_ID_LEN, err);
    return rc ? rc : check_id(jp, key, buf, err);
}

static int nation_index(const mwx_scenario_t *sc, const char *id)
{
    for (int i = 0; i < sc->n_nations; i++)
        if (strcmp(sc->nations[i], id) == 0)
            return i;
    return -1;
}

static int unknown_nation(const mwx_jpath_t *jp, const char *key, const char *id, mwx_err_t *err)
{
    return mwx_jpath_error(jp, key, err, "unknown nation \"%s\" (not in $.nations)", id);
}

/* An array value at key: required or absent; at most max elements. */
static int get_array(const mwx_jpath_t *jp, const json_t *obj, const char *key, int required,
                     size_t max, json_t **out, mwx_err_t *err)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v) {
        if (required)
            return mwx_jpath_error(jp, key, err, "missing (expected an array)");
        return MWX_OK;
    }
    if (!json_is_array(v))
        return mwx_jpath_error(jp, key, err, "expected an array");
    if (json_array_size(v) > max)
        return mwx_jpath_error(jp, key, err, "expected at most %zu elements, got %zu", max,
                               json_array_size(v));
    *out = v;
    return MWX_OK;
}

static int read_physics(mwx_jpath_t *jp, const json_t *root, mwx_physics_t *ph, mwx_err_t *err)
{
    json_t *o = json_object_get(root, "physics");
    size_t mark;
    int rc = MWX_OK, earth = 0, rot = 1, j2 = 1, drag = 1;
    if (o) {
        mark = mwx_jpath_key(jp, "physics");
        if ((rc = mwx_json_check_object(jp, o, k_physics, err)) ||
            (rc = mwx_json_enum(jp, o, "earth", 0, 0, e_earth, &earth, err)) ||
            (rc = mwx_json_bool(jp, o, "rotation", 0, 1, &rot, err)) ||
            (rc = mwx_json_bool(jp, o, "j2", 0, earth == 0, &j2, err)) ||
            (rc = mwx_json_bool(jp, o, "drag", 0, 1, &drag, err)))
            return rc;
        if (earth == 1 && j2)
            return mwx_jpath_error(jp, "j2", err,
                                   "expected false with \"earth\": \"spherical\" (point-mass "
                                   "gravity), got true");
        mwx_jpath_pop(jp, mark);
    }
    memset(ph, 0, sizeof *ph);
    ph->spherical = earth == 1;
    ph->earth = ph->spherical ? mwx_earth_sphere() : mwx_earth_wgs84();
    ph->rotation = rot;
    ph->j2 = j2;
    ph->drag = drag;
    if (!rot)
        ph->earth.omega = 0.0;
    if (!j2)
        ph->earth.j2 = 0.0;
    return MWX_OK;
}

static int read_nations(mwx_jpath_t *jp, const json_t *root, mwx_scenario_t *sc, mwx_err_t *err)
{
    json_t *arr, *v;
    size_t i, mark;
    int rc = get_array(jp, root, "nations", 1, MWX_MAX_NATIONS, &arr, err);
    if (rc)
        return rc;
    if (json_array_size(arr) == 0)
        return mwx_jpath_error(jp, "nations", err, "expected at least one nation");
    mark = mwx_jpath_key(jp, "nations");
    json_array_foreach(arr, i, v)
    {
        size_t m2 = mwx_jpath_index(jp, i);
        char *id = sc->nations[sc->n_nations];
        if ((rc = mwx_json_check_object(jp, v, k_nation, err)) ||
            (rc = read_id(jp, v, "id", id, err)))
            return rc;
        if (nation_index(sc, id) >= 0)
            return mwx_jpath_error(jp, "id", err, "duplicate nation id \"%s\"", id);
        sc->n_nations++;
        mwx_jpath_pop(jp, m2);
    }
    mwx_jpath_pop(jp, mark);
    return MWX_OK;
}

static int read_sharing(mwx_jpath_t *jp, const json_t *root, mwx_scenario_t *sc, mwx_err_t *err)
{
    json_t *arr, *v;
    size_t i, mark;
    int rc = get_array(jp, root, "sharing", 0, MWX_MAX_NATIONS, &arr, err);
    if (rc || !arr)
        return rc;
    mark = mwx_jpath_key(jp, "sharing");
    json_array_foreach(arr, i, v)
    {
        size_t m2 = mwx_jpath_index(jp, i), m3, j;
        mwx_sharing_rule_t *r = &sc->sharing[sc->n_sharing];
        json_t *to, *tv;
        if ((rc = mwx_json_check_object(jp, v, k_sharing, err)) ||
            (rc = read_id(jp, v, "from", r->from, err)))
            return rc;
        if (nation_index(sc, r->from) < 0)
            return unknown_nation(jp, "from", r->from, err);
        for (int k = 0; k < sc->n_sharing; k++)
            if (strcmp(sc->sharing[k].from, r->from) == 0)
                return mwx_jpath_error(jp, "from", err,
                                       "duplicate rule for \"%s\" (see $.sharing[%d])", r->from, k);
        if ((rc = get_array(jp, v, "to", 1, MWX_MAX_NATIONS, &to, err)))
            return rc;
        m3 = mwx_jpath_key(jp, "to");
        json_array_foreach(to, j, tv)
        {
            char *id = r->to[r->n_to];
            if (!json_is_string(tv) || mwx_strlcpy(id, json_string_value(tv), MWX_ID_LEN) ||
                strlen(id) != json_string_length(tv)) {
                mwx_jpath_index(jp, j);
                return mwx_jpath_error(jp, NULL, err, "expected a nation id (a string)");
            }
            if (nation_index(sc, id) < 0) {
                mwx_jpath_index(jp, j);
                return unknown_nation(jp, NULL, id, err);
            }
            if (strcmp(id, r->from) == 0) {
                mwx_jpath_index(jp, j);
                return mwx_jpath_error(jp, NULL, err, "a nation does not share with itself");
            }
            for (int k = 0; k < r->n_to; k++)
                if (strcmp(r->to[k], id) == 0) {
                    mwx_jpath_index(jp, j);
                    return mwx_jpath_error(jp, NULL, err, "duplicate nation \"%s\"", id);
                }
            r->n_to++;
        }
        mwx_jpath_pop(jp, m3);
        sc->n_sharing++;
        mwx_jpath_pop(jp, m2);
    }
    mwx_jpath_pop(jp, mark);
    return MWX_OK;
}

static int read_sensor(mwx_jpath_t *jp, const json_t *v, mwx_scenario_t *sc, mwx_err_t *err)
{
    mwx_sensor_cfg_t *s = &sc->sensors[sc->n_sensors];
    int rc, kind;
    double lat = 0, lon, alt = 0, rng_km = 0, minel = 0, srange = 0, saz = 0, sel = 0;
    double fa = 0, los = 0;
    memset(s, 0, sizeof *s);
    if (!json_is_object(v))
        return mwx_json_check_object(jp, v, k_radar, err);
    if ((rc = mwx_json_enum(jp, v, "kind", 1, 0, e_kind, &kind, err)))
        return rc;
    s->kind = kind == 0 ? MWX_SENSOR_RADAR : MWX_SENSOR_IR;
    if ((rc = mwx_json_check_object(jp, v, kind == 0 ? k_radar : k_ir, err)) ||
        (rc = read_id(jp, v, "id", s->id, err)) || (rc = read_id(jp, v, "nation", s->nation, err)))
        return rc;
    for (int k = 0; k < sc->n_sensors; k++)
        if (strcmp(sc->sensors[k].id, s->id) == 0)
            return mwx_jpath_error(jp, "id", err, "duplicate sensor id \"%s\" (see $.sensors[%d])",
                                   s->id, k);
    if (nation_index(sc, s->nation) < 0)
        return unknown_nation(jp, "nation", s->nation, err);
    if ((rc = mwx_json_number(jp, v, "revisit_s", 0, MWX_SCN_DEFAULT_REVISIT_S, 0.01, 3600,
                              &s->revisit_s, err)) ||
        (rc = mwx_json_number(jp, v, "pd", 0,
                              kind == 0 ? MWX_SCN_DEFAULT_RADAR_PD : MWX_SCN_DEFAULT_IR_PD, 0, 1,
                              &s->pd, err)) ||
        (rc = mwx_json_number(jp, v, "lon", 1, 0, -180, 180, &lon, err)))
        return rc;
    if (kind == 0) {
        if ((rc = mwx_json_number(jp, v, "lat", 1, 0, -90, 90, &lat, err)) ||
            (rc = mwx_json_number(jp, v, "alt_m", 0, 0, -500, 10000, &alt, err)) ||
            (rc = mwx_json_number(jp, v, "max_range_km", 0, MWX_SCN_DEFAULT_MAX_RANGE_KM, 1, 6000,
                                  &rng_km, err)) ||
            (rc = mwx_json_number(jp, v, "min_elevation_deg", 0, MWX_SCN_DEFAULT_MIN_ELEVATION_DEG,
                                  0, 89, &minel, err)) ||
            (rc = mwx_json_number(jp, v, "sigma_range_m", 0, MWX_SCN_DEFAULT_SIGMA_RANGE_M, 0,
                                  100000, &srange, err)) ||
            (rc = mwx_json_number(jp, v, "sigma_az_deg", 0, MWX_SCN_DEFAULT_SIGMA_ANGLE_DEG, 0, 10,
                                  &saz, err)) ||
            (rc = mwx_json_number(jp, v, "sigma_el_deg", 0, MWX_SCN_DEFAULT_SIGMA_ANGLE_DEG, 0, 10,
                                  &sel, err)) ||
            (rc = mwx_json_number(jp, v, "false_alarms_per_scan", 0, MWX_SCN_DEFAULT_FALSE_ALARMS,
                                  0, 100, &fa, err)))
            return rc;
    } else if ((rc = mwx_json_number(jp, v, "sigma_los_urad", 0, MWX_SCN_DEFAULT_SIGMA_LOS_URAD, 0,
                                     10000, &los, err))) {
        return rc;
    }
    s->lat = lat * MWX_DEG;
    s->lon = lon * MWX_DEG;
    s->alt_m = alt;
    s->max_range_m = rng_km * 1000.0;
    s->min_elevation = minel * MWX_DEG;
    s->sigma_range_m = srange;
    s->sigma_az = saz * MWX_DEG;
    s->sigma_el = sel * MWX_DEG;
    s->false_alarms_per_scan = fa;
    s->sigma_los = los * 1e-6;
    sc->n_sensors++;
    return MWX_OK;
}

static int read_point(mwx_jpath_t *jp, const json_t *v, const char *key, double *lat, double *lon,
                      mwx_err_t *err)
{
    json_t *o = json_object_get(v, key);
    size_t mark;
    int rc;
    if (!o)
        return mwx_jpath_error(jp, key, err, "missing (expected {\"lat\": deg, \"lon\": deg})");
    mark = mwx_jpath_key(jp, key);
    if ((rc = mwx_json_check_object(jp, o, k_point, err)) ||
        (rc = mwx_json_number(jp, o, "lat", 1, 0, -90, 90, lat, err)) ||
        (rc = mwx_json_number(jp, o, "lon", 1, 0, -180, 180, lon, err)))
        return rc;
    mwx_jpath_pop(jp, mark);
    *lat *= MWX_DEG;
    *lon *= MWX_DEG;
    return MWX_OK;
}

/* A key that profile prof does not take. */
static int refuse_key(mwx_jpath_t *jp, const json_t *v, const char *key, int prof, mwx_err_t *err)
{
    if (json_object_get(v, key))
        return mwx_jpath_error(jp, key, err, "not a key of profile \"%s\"", e_profile[prof]);
    return MWX_OK;
}

/* space_launch: "stages": [{"burn_time_s": N}, ...] (2-3) */
static int read_space_stages(mwx_jpath_t *jp, const json_t *v, mwx_launch_t *l, mwx_err_t *err)
{
    json_t *arr, *st;
    size_t i, mark;
    /* an impossible stage set names its launch (issue 11) */
    arr = json_object_get(v, "stages");
    if (json_is_array(arr) && (json_array_size(arr) < 2 || json_array_size(arr) > MWX_MAX_STAGES))
        return mwx_jpath_error(jp, "stages", err,
                               "launch %s: impossible stage set: a space launch needs 2 or 3 "
                               "stages, got %zu",
                               l->id, json_array_size(arr));
    int rc = get_array(jp, v, "stages", 1, MWX_MAX_STAGES, &arr, err);
    if (rc)
        return rc;
    mark = mwx_jpath_key(jp, "stages");
    l->burn_time_s = 0.0;
    json_array_foreach(arr, i, st)
    {
        size_t m2 = mwx_jpath_index(jp, i);
        double b = json_number_value(json_object_get(st, "burn_time_s"));
        if (json_is_number(json_object_get(st, "burn_time_s")) && !(b >= 10 && b <= 1000))
            return mwx_jpath_error(jp, "burn_time_s", err,
                                   "launch %s: impossible stage set: stage %zu burns %g s "
                                   "(a stage burns 10-1000 s)",
                                   l->id, i + 1, b);
        if ((rc = mwx_json_check_object(jp, st, k_stage, err)) ||
            (rc = mwx_json_number(jp, st, "burn_time_s", 1, 0, 10, 1000, &l->stage_burn_s[i], err)))
            return rc;
        l->burn_time_s += l->stage_burn_s[i];
        mwx_jpath_pop(jp, m2);
    }
    mwx_jpath_pop(jp, mark);
    l->n_stages = (int)json_array_size(arr);
    return MWX_OK;
}

static int read_launch(mwx_jpath_t *jp, const json_t *v, mwx_scenario_t *sc, mwx_err_t *err)
{
    mwx_launch_t *l = &sc->launches[sc->n_launches];
    int rc, prof;
    double apogee_km = 0, x;
    long long stages = 1;
    memset(l, 0, sizeof *l);
    if ((rc = mwx_json_check_object(jp, v, k_launch, err)) ||
        (rc = read_id(jp, v, "id", l->id, err)))
        return rc;
    for (int k = 0; k < sc->n_launches; k++)
        if (strcmp(sc->launches[k].id, l->id) == 0)
            return mwx_jpath_error(jp, "id", err, "duplicate launch id \"%s\" (see $.launches[%d])",
                                   l->id, k);
    if ((rc = mwx_json_number(jp, v, "t_launch_s", 1, 0, 0, sc->duration_s, &l->t_launch, err)) ||
        (rc = read_point(jp, v, "site", &l->site_lat, &l->site_lon, err)) ||
        (rc = mwx_json_enum(jp, v, "profile", 0, 0, e_profile, &prof, err)) ||
        (rc = mwx_json_number(jp, v, "ballistic_coefficient_kg_m2", 0, MWX_SCN_DEFAULT_BETA_KG_M2,
                              100, 1e6, &l->beta_kg_m2, err)))
        return rc;
    l->profile = (mwx_profile_t)prof;
    if (l->profile == MWX_PROFILE_SPACE_LAUNCH) {
        static const char *const no[] = {
            "aim",          "apogee_km",    "burn_time_s",   "terminal_maneuver_g",
            "glide_alt_km", "lift_to_drag", "crossrange_km", NULL};
        for (int k = 0; no[k]; k++)
            if ((rc = refuse_key(jp, v, no[k], prof, err)))
                return rc;
        if ((rc = mwx_json_number(jp, v, "azimuth_deg", 1, 0, 0, 360, &x, err)))
            return rc;
        l->azimuth = x * MWX_DEG;
        if ((rc = mwx_json_number(jp, v, "orbit_alt_km", 1, 0, 150, 2000, &x, err)))
            return rc;
        l->orbit_alt_m = x * 1e3;
        if ((rc = mwx_json_number(jp, v, "fail_at_s", 0, 0, 0, 3000, &l->fail_at_s, err)))
            return rc;
        if (json_object_get(v, "fail_at_s") && !(l->fail_at_s > 0.0))
            return mwx_jpath_error(jp, "fail_at_s", err, "expected a time after lift-off (> 0 s)");
        if ((rc = read_space_stages(jp, v, l, err)))
            return rc;
        if (json_object_get(v, "fail_at_s") && l->fail_at_s >= l->burn_time_s)
            return mwx_jpath_error(jp, "fail_at_s", err,
                                   "%g s is after the last stage's burn-out (%g s): the break-up "
                                   "must come while a stage burns",
                                   l->fail_at_s, l->burn_time_s);
        l->aim_lat = l->site_lat;
        l->aim_lon = l->site_lon;
        sc->n_launches++;
        return MWX_OK;
    }
    {
        static const char *const no[] = {"azimuth_deg", "orbit_alt_km", "fail_at_s", NULL};
        for (int k = 0; no[k]; k++)
            if ((rc = refuse_key(jp, v, no[k], prof, err)))
                return rc;
    }
    {
        json_t *js = json_object_get(v, "stages");
        if (json_is_integer(js) && (json_integer_value(js) < 1 || json_integer_value(js) > 2))
            return mwx_jpath_error(jp, "stages", err,
                                   "launch %s: impossible stage set: a \"%s\" missile has 1 "
                                   "or 2 stages, got %lld",
                                   l->id, e_profile[prof], (long long)json_integer_value(js));
    }
    if ((rc = read_point(jp, v, "aim", &l->aim_lat, &l->aim_lon, err)) ||
        (rc = mwx_json_number(jp, v, "burn_time_s", 0, MWX_SCN_DEFAULT_BURN_TIME_S, 10, 600,
                              &l->burn_time_s, err)) ||
        (rc = mwx_json_integer(jp, v, "stages", 0, 1, 1, 2, &stages, err)))
        return rc;
    l->n_stages = (int)stages;
    if (l->profile == MWX_PROFILE_MINIMUM_ENERGY) {
        if (json_object_get(v, "apogee_km"))
            return mwx_jpath_error(jp, "apogee_km", err,
                                   "only for \"lofted\", \"depressed\" or \"glide\" profiles (a "
                                   "minimum-energy apogee follows from the range)");
    } else {
        double lo = l->profile == MWX_PROFILE_GLIDE ? 40 : 20;
        double hi = l->profile == MWX_PROFILE_GLIDE ? 150 : 20000;
        if (!json_object_get(v, "apogee_km"))
            return mwx_jpath_error(jp, "apogee_km", err,
                                   "missing: profile \"%s\" needs an apogee (a number in "
                                   "[%g, %g] km)",
                                   e_profile[prof], lo, hi);
        if ((rc = mwx_json_number(jp, v, "apogee_km", 1, 0, lo, hi, &apogee_km, err)))
            return rc;
    }
    l->apogee_m = apogee_km * 1000.0;
    if (json_object_get(v, "terminal_maneuver_g")) {
        if (!(l->profile == MWX_PROFILE_DEPRESSED && apogee_km < 80))
            return mwx_jpath_error(jp, "terminal_maneuver_g", err,
                                   "only for a \"depressed\" profile with apogee_km below 80 "
                                   "(a quasi-ballistic flight)");
        if ((rc = mwx_json_number(jp, v, "terminal_maneuver_g", 1, 0, 0, 10, &l->terminal_g, err)))
            return rc;
    }
    if (l->profile == MWX_PROFILE_GLIDE) {
        if ((rc = mwx_json_number(jp, v, "glide_alt_km", 1, 0, 25, 80, &x, err)))
            return rc;
        l->glide_alt_m = x * 1e3;
        if (l->glide_alt_m >= l->apogee_m)
            return mwx_jpath_error(jp, "glide_alt_km", err,
                                   "%g km is not below the boost apex apogee_km %g", x, apogee_km);
        if ((rc = mwx_json_number(jp, v, "lift_to_drag", 1, 0, 1, 4, &l->lift_to_drag, err)))
            return rc;
        if (json_object_get(v, "crossrange_km")) {
            if ((rc = mwx_json_number(jp, v, "crossrange_km", 1, 0, -3000, 3000, &x, err)))
                return rc;
            l->crossrange_m = x * 1e3;
            l->has_crossrange = 1;
        }
    } else {
        static const char *const no[] = {"glide_alt_km", "lift_to_drag", "crossrange_km", NULL};
        for (int k = 0; no[k]; k++)
            if ((rc = refuse_key(jp, v, no[k], prof, err)))
                return rc;
    }
    sc->n_launches++;
    return MWX_OK;
}

static int read_list(mwx_jpath_t *jp, const json_t *root, const char *key, size_t max,
                     mwx_scenario_t *sc,
                     int (*one)(mwx_jpath_t *, const json_t *, mwx_scenario_t *, mwx_err_t *),
                     mwx_err_t *err)
{
    json_t *arr, *v;
    size_t i, mark;
    int rc = get_array(jp, root, key, 0, max, &arr, err);
    if (rc || !arr)
        return rc;
    mark = mwx_jpath_key(jp, key);
    json_array_foreach(arr, i, v)
    {
        size_t m2 = mwx_jpath_index(jp, i);
        if ((rc = one(jp, v, sc, err)))
            return rc;
        mwx_jpath_pop(jp, m2);
    }
    mwx_jpath_pop(jp, mark);
    return MWX_OK;
}

int mwx_sim_data_dir(char *buf, size_t n)
{
    const char *env = getenv("MWX_DATA_DIR");
    char exe[PATH_MAX], cand[PATH_MAX + 64];
    ssize_t len;
    if (env && env[0]) {
        snprintf(cand, sizeof cand, "%s/%s", env, REGIONS_FILE);
        if (access(cand, R_OK) == 0)
            return mwx_strlcpy(buf, env, n) ? MWX_ERANGE : MWX_OK;
        return MWX_ENOTFOUND;
    }
    len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return MWX_ENOTFOUND;
    exe[len] = '\0';
    for (int up = 0; up < 5; up++) {
        static const char *const sub[] = {"share/mwx", "data"};
        char *slash = strrchr(exe, '/');
        if (!slash)
            break;
        *slash = '\0';
        for (int k = 0; k < 2; k++) {
            snprintf(cand, sizeof cand, "%s/%s/%s", exe, sub[k], REGIONS_FILE);
            if (access(cand, R_OK) == 0) {
                snprintf(cand, sizeof cand, "%s/%s", exe, sub[k]);
                return mwx_strlcpy(buf, cand, n) ? MWX_ERANGE : MWX_OK;
            }
        }
    }
#ifdef MWX_INSTALL_DATADIR
    /* the install prefix's data, for another program linking the installed library */
    snprintf(cand, sizeof cand, "%s/%s", MWX_INSTALL_DATADIR, REGIONS_FILE);
    if (access(cand, R_OK) == 0)
        return mwx_strlcpy(buf, MWX_INSTALL_DATADIR, n) ? MWX_ERANGE : MWX_OK;
#endif
#ifdef MWX_SOURCE_DIR
    /* last resort: the source tree this library was built from (out-of-tree builds) */
    snprintf(cand, sizeof cand, "%s/data/%s", MWX_SOURCE_DIR, REGIONS_FILE);
    if (access(cand, R_OK) == 0)
        return mwx_strlcpy(buf, MWX_SOURCE_DIR "/data", n) ? MWX_ERANGE : MWX_OK;
#endif
    return MWX_ENOTFOUND;
}

static int read_regions(mwx_jpath_t *jp, const json_t *root, const char *base_dir,
                        mwx_scenario_t *sc, mwx_err_t *err)
{
    char rel[MWX_PATH_LEN], dir[MWX_PATH_LEN];
    int rc;
    if (!json_object_get(root, "regions")) {
        if (mwx_sim_data_dir(dir, sizeof dir) == MWX_OK)
            snprintf(sc->regions_path, sizeof sc->regions_path, "%s/%s", dir, REGIONS_FILE);
        else
            sc->regions_path[0] = '\0';
        return MWX_OK;
    }
    if ((rc = mwx_json_string(jp, root, "regions", 1, NULL, rel, sizeof rel, err)))
        return rc;
    if (!rel[0])
        return mwx_jpath_error(jp, "regions", err, "expected a file path, got \"\"");
    if (rel[0] == '/' || !base_dir || !base_dir[0]) {
        mwx_strlcpy(sc->regions_path, rel, sizeof sc->regions_path);
    } else {
        int w = snprintf(sc->regions_path, sizeof sc->regions_path, "%s/%s", base_dir, rel);
        if (w < 0 || (size_t)w >= sizeof sc->regions_path)
            return mwx_jpath_error(jp, "regions", err, "path longer than %d characters",
                                   MWX_PATH_LEN - 1);
    }
    if (access(sc->regions_path, R_OK) != 0)
        return mwx_jpath_error(jp, "regions", err, "cannot read \"%s\"", sc->regions_path);
    return MWX_OK;
}

static int solve_launches(mwx_jpath_t *jp, mwx_scenario_t *sc, mwx_err_t *err)
{
    for (int i = 0; i < sc->n_launches; i++) {
        mwx_err_t e2 = {0, ""};
        mwx_traj_t *tr = NULL;
        int rc = mwx_traj_create(&sc->physics, &sc->launches[i], sc->epoch, &tr, &e2);
        if (rc == MWX_EUNSUPPORTED) {
            /* The trajectory code cannot tell yet: mwx_sim_run will say so. */
            sc->traj[i] = NULL;
            continue;
        }
        if (rc) {
            size_t mark = mwx_jpath_key(jp, "launches");
            mwx_jpath_index(jp, (size_t)i);
            if (sc->launches[i].profile == MWX_PROFILE_SPACE_LAUNCH)
                mwx_jpath_error(jp, "stages", err, "profile \"space_launch\": %s",
                                e2.msg[0] ? e2.msg : mwx_strerror(rc));
            else if (rc == MWX_ERANGE || rc == MWX_EINVAL)
                mwx_jpath_error(jp, "aim", err, "unreachable for profile \"%s\": %s",
                                e_profile[sc->launches[i].profile],
                                e2.msg[0] ? e2.msg : mwx_strerror(rc));
            else
                mwx_err_set(err, rc, "%s: $.launches[%d]: %s", jp->file, i,
                            e2.msg[0] ? e2.msg : mwx_strerror(rc));
            mwx_jpath_pop(jp, mark);
            if (err)
                err->code = rc == MWX_EINVAL ? MWX_EINVAL : rc;
            return rc;
        }
        sc->traj[i] = tr;
    }
    return MWX_OK;
}

int mwx_scenario_parse(const char *text, size_t len, const char *name, const char *base_dir,
                       int flags, mwx_scenario_t *sc, mwx_err_t *err)
{
    json_t *root = NULL;
    mwx_jpath_t jp;
    int rc, status;
    long long seed;
    const char *file = name ? name : "(scenario)";

    memset(sc, 0, sizeof *sc);
    if ((rc = mwx_json_load_string(text, len, file, &root, err)))
        return rc;
    mwx_jpath_init(&jp, file);
    if ((rc = mwx_json_check_object(&jp, root, k_top, err)))
        goto fail;
    {
        /* Default name: the file's base name without its extension. */
        char def[64];
        const char *b = strrchr(file, '/');
        char *dot;
        mwx_strlcpy(def, b ? b + 1 : file, sizeof def);
        if ((dot = strrchr(def, '.')) && dot != def)
            *dot = '\0';
        if ((rc = mwx_json_string(&jp, root, "name", 0, def, sc->name, sizeof sc->name, err)))
            goto fail;
    }
    if ((rc = mwx_json_string(&jp, root, "epoch", 1, NULL, sc->epoch_str, sizeof sc->epoch_str,
                              err)))
        goto fail;
    {
        mwx_err_t te = {0, ""};
        if (mwx_time_parse(sc->epoch_str, &sc->epoch, &te)) {
            rc = mwx_jpath_error(&jp, "epoch", err, "expected an RFC 3339 time, got \"%s\"",
                                 sc->epoch_str);
            goto fail;
        }
    }
    if ((rc = mwx_json_enum(&jp, root, "status", 0, MWX_STATUS_EXERCISE, e_status, &status, err)))
        goto fail;
    if (status == MWX_STATUS_ACTUAL) {
        rc = mwx_jpath_error(&jp, "status", err,
                             "\"Actual\" is refused: a scenario is simulated data (use "
                             "\"Exercise\" or \"Test\")");
        goto fail;
    }
    sc->status = (mwx_status_t)status;
    if ((rc = mwx_json_number(&jp, root, "duration_s", 1, 0, 1, 86400, &sc->duration_s, err)) ||
        (rc = mwx_json_integer(&jp, root, "seed", 0, MWX_SCN_DEFAULT_SEED, 0, LLONG_MAX, &seed,
                               err)))
        goto fail;
    sc->seed = (uint64_t)seed;
    if ((rc = read_physics(&jp, root, &sc->physics, err)) ||
        (rc = read_nations(&jp, root, sc, err)) || (rc = read_sharing(&jp, root, sc, err)) ||
        (rc = read_list(&jp, root, "sensors", MWX_MAX_SENSORS, sc, read_sensor, err)) ||
        (rc = read_list(&jp, root, "launches", MWX_MAX_LAUNCHES, sc, read_launch, err)) ||
        (rc = read_regions(&jp, root, base_dir, sc, err)))
        goto fail;
    if (!(flags & MWX_SCENARIO_NO_TRAJ) && (rc = solve_launches(&jp, sc, err)))
        goto fail;
    sc->json = malloc(len + 1);
    if (!sc->json) {
        rc = mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", file);
        goto fail;
    }
    memcpy(sc->json, text, len);
    sc->json[len] = '\0';
    json_decref(root);
    return MWX_OK;
fail:
    json_decref(root);
    mwx_scenario_free(sc);
    return rc;
}

int mwx_scenario_load_string(const char *text, size_t len, const char *name, const char *base_dir,
                             mwx_scenario_t *sc, mwx_err_t *err)
{
    return mwx_scenario_parse(text, len, name, base_dir, 0, sc, err);
}

int mwx_scenario_load(const char *path, mwx_scenario_t *sc, mwx_err_t *err)
{
    FILE *f;
    char *text = NULL, dir[MWX_PATH_LEN];
    size_t cap = 0, n = 0;
    const char *slash;
    int rc;
    memset(sc, 0, sizeof *sc);
    f = fopen(path, "rb");
    if (!f)
        return mwx_err_set(err, MWX_EINVAL, "%s: cannot open the scenario file", path);
    for (;;) {
        size_t got;
        if (n + 4096 > cap) {
            char *t2;
            if (cap > (size_t)16 << 20) {
                fclose(f);
                free(text);
                return mwx_err_set(err, MWX_EINVAL, "%s: larger than 16 MiB: not a scenario", path);
            }
            cap = cap ? cap * 2 : 65536;
            t2 = realloc(text, cap);
            if (!t2) {
                fclose(f);
                free(text);
                return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", path);
            }
            text = t2;
        }
        got = fread(text + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        fclose(f);
        free(text);
        return mwx_err_set(err, MWX_EINVAL, "%s: read error", path);
    }
    fclose(f);
    slash = strrchr(path, '/');
    if (slash) {
        size_t dl = (size_t)(slash - path);
        if (dl == 0)
            dl = 1; /* "/x.json": the root */
        if (dl >= sizeof dir) {
            free(text);
            return mwx_err_set(err, MWX_EINVAL, "%s: path too long", path);
        }
        memcpy(dir, path, dl);
        dir[dl] = '\0';
    } else {
        strcpy(dir, ".");
    }
    rc = mwx_scenario_parse(text, n, path, dir, 0, sc, err);
    free(text);
    return rc;
}

void mwx_scenario_free(mwx_scenario_t *sc)
{
    if (!sc)
        return;
    for (int i = 0; i < MWX_MAX_LAUNCHES; i++) {
        if (sc->traj[i])
            mwx_traj_destroy(sc->traj[i]);
        sc->traj[i] = NULL;
    }
    free(sc->json);
    sc->json = NULL;
}
