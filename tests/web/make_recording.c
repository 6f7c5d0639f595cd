/* Writes a small synthetic recording for the browser test, with the recording API: a
 * scenario (Exercise, with sensors), one missile's truth, JP and KR tracks along a lofted
 * arc from (39.0 N, 125.7 E) to (40.5 N, 135.5 E) with launch point and a 95 % impact
 * ellipse that shrinks as the track firms up, KR->JP/US shares, and an Alert, an Update
 * and a Cancel for Japanese prefectures. Synthetic on purpose: the browser test checks
 * the page, not the tracker.
 *
 * With --hostile, every id the page shows (sensor, nation, node, track, object, region)
 * is HTML markup (`<b class=inj>...`): the page must show it as text (issue #13).
 *
 * usage: web_make_recording OUT.mwxr [--hostile] */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mwx/core.h"

#define LAUNCH_LAT 39.0
#define LAUNCH_LON 125.7
#define AIM_LAT    40.5
#define AIM_LON    135.5
#define T_LAUNCH   60.0
#define T_IMPACT   700.0
#define APOGEE_M   700e3

static const char scenario_text[] =
    "{\"name\":\"web-browser-test\",\"epoch\":\"2026-11-22T03:00:00Z\",\"status\":\"Exercise\","
    "\"duration_s\":800,\"seed\":7,\"nations\":[{\"id\":\"JP\"},{\"id\":\"KR\"},{\"id\":\"US\"}],"
    "\"sharing\":[{\"from\":\"KR\",\"to\":[\"US\",\"JP\"]},{\"from\":\"JP\",\"to\":[\"US\",\"KR\"]}"
    "],"
    "\"sensors\":["
    "{\"id\":\"KR-GP-1\",\"nation\":\"KR\",\"kind\":\"radar\",\"lat\":36.0,\"lon\":127.0,"
    "\"alt_m\":300,\"max_range_km\":900},"
    "{\"id\":\"JP-FPS-1\",\"nation\":\"JP\",\"kind\":\"radar\",\"lat\":40.0,\"lon\":140.0,"
    "\"alt_m\":100,\"max_range_km\":1000},"
    "{\"id\":\"US-OPIR-1\",\"nation\":\"US\",\"kind\":\"ir_satellite\",\"lon\":120.0}],"
    "\"launches\":[{\"id\":\"L1\",\"t_launch_s\":60,\"site\":{\"lat\":39.0,\"lon\":125.7},"
    "\"aim\":{\"lat\":40.5,\"lon\":135.5},\"profile\":\"lofted\",\"apogee_km\":700}]}";

/* Ids as the page shows them: plain, or markup that must never become DOM. */
typedef struct names {
    const char *scenario, *kr, *kr_track, *jp, *jp_track, *object, *region;
} names_t;

static const names_t plain_names = {scenario_text, "KR", "KR-1", "JP", "JP-1", "L1", "JP-01"};

static const char hostile_scenario[] =
    "{\"name\":\"<b class=inj>ALL CLEAR</b>\",\"epoch\":\"2026-11-22T03:00:00Z\","
    "\"status\":\"Exercise\",\"duration_s\":800,\"seed\":7,"
    "\"nations\":[{\"id\":\"<b class=inj>J</b>\"},{\"id\":\"<i class=inj>K</i>\"}],"
    "\"sensors\":["
    "{\"id\":\"<img class=inj src=x>\",\"nation\":\"<b class=inj>J</b>\",\"kind\":\"radar\","
    "\"lat\":36.0,\"lon\":127.0,\"alt_m\":300,\"max_range_km\":900},"
    "{\"id\":\"<b class=inj>SAT</b>\",\"nation\":\"<i class=inj>K</i>\","
    "\"kind\":\"ir_satellite\",\"lon\":120.0}]}";

static const names_t hostile_names = {
    hostile_scenario,     "<i class=inj>K</i>", "<b class=inj>ALL CLEAR</b>",
    "<b class=inj>J</b>", "<u class=inj>T</u>", "<s class=inj>O</s>",
    "<b id=inj>"};

/* Position on the arc at time t: ground point along the geodesic, altitude a parabola. */
static void arc(const mwx_earth_t *e, double t, double ecef[3], double *lat_deg, double *lon_deg)
{
    double s12, az1, az2, lat, lon;
    mwx_geodesic_inverse(e, LAUNCH_LAT * MWX_DEG, LAUNCH_LON * MWX_DEG, AIM_LAT * MWX_DEG,
                         AIM_LON * MWX_DEG, &s12, &az1, &az2);
    double f = (t - T_LAUNCH) / (T_IMPACT - T_LAUNCH);
    if (f < 0)
        f = 0;
    if (f > 1)
        f = 1;
    mwx_geodesic_direct(e, LAUNCH_LAT * MWX_DEG, LAUNCH_LON * MWX_DEG, az1, f * s12, &lat, &lon);
    mwx_geo_t g = {lat, lon, 4.0 * APOGEE_M * f * (1.0 - f)};
    mwx_geo_to_ecef(e, &g, ecef);
    if (lat_deg)
        *lat_deg = lat / MWX_DEG;
    if (lon_deg)
        *lon_deg = lon / MWX_DEG;
}

static int put(mwx_recwriter_t *w, const mwx_record_t *r)
{
    mwx_err_t err;
    if (mwx_recwriter_append(w, r, &err) != 0) {
        fprintf(stderr, "web_make_recording: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int alert(mwx_recwriter_t *w, const names_t *nm, double t, mwx_msg_type_t type, int seq,
                 const char *const *regions, int n)
{
    mwx_record_t r;
    memset(&r, 0, sizeof r);
    r.type = MWX_REC_ALERT;
    r.u.alert.t = t;
    mwx_strlcpy(r.u.alert.node, nm->jp, sizeof r.u.alert.node);
    snprintf(r.u.alert.identifier, sizeof r.u.alert.identifier, "mwx-JP-L1-%04d", seq);
    r.u.alert.msg_type = type;
    r.u.alert.status = MWX_STATUS_EXERCISE;
    for (int i = 0; i < n; i++)
        mwx_strlcpy(r.u.alert.regions[i], regions[i], sizeof r.u.alert.regions[i]);
    r.u.alert.n_regions = n;
    snprintf(r.u.alert.file, sizeof r.u.alert.file, "alerts/mwx-JP-L1-%04d.cap.xml", seq);
    return put(w, &r);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--hostile") != 0)) {
        fprintf(stderr, "usage: web_make_recording OUT.mwxr [--hostile]\n");
        return 2;
    }
    const names_t *nm = argc == 3 ? &hostile_names : &plain_names;
    mwx_err_t err;
    mwx_recwriter_t *w;
    if (mwx_recwriter_open(argv[1], MWX_REC_ATOMIC, &w, &err) != 0) {
        fprintf(stderr, "web_make_recording: %s\n", err.msg);
        return 3;
    }
    mwx_earth_t e = mwx_earth_wgs84();
    mwx_record_t r;
    memset(&r, 0, sizeof r);
    r.type = MWX_REC_SCENARIO;
    mwx_strlcpy(r.u.scenario.name, argc == 3 ? "<b class=inj>ALL CLEAR</b>" : "web-browser-test",
                sizeof r.u.scenario.name);
    mwx_strlcpy(r.u.scenario.epoch, "2026-11-22T03:00:00Z", sizeof r.u.scenario.epoch);
    r.u.scenario.status = MWX_STATUS_EXERCISE;
    r.u.scenario.seed = 7;
    r.u.scenario.json = nm->scenario;
    if (put(w, &r))
        goto fail;

    const char *const warned[] = {nm->region, "JP-02", "JP-05", "JP-03"};
    int seq = 1, alerted = 0, updated = 0;
    for (double t = T_LAUNCH; t <= T_IMPACT + 40; t += 2.0) {
        double x[3], x2[3];
        arc(&e, t, x, NULL, NULL);
        arc(&e, t + 1.0, x2, NULL, NULL);
        if (t <= T_IMPACT) {
            memset(&r, 0, sizeof r);
            r.type = MWX_REC_TRUTH;
            r.u.truth.t = t;
            mwx_strlcpy(r.u.truth.object, nm->object, sizeof r.u.truth.object);
            memcpy(r.u.truth.ecef_m, x, sizeof x);
            for (int i = 0; i < 3; i++)
                r.u.truth.vel_mps[i] = x2[i] - x[i];
            r.u.truth.phase = t < 180        ? MWX_PHASE_BOOST
                              : t < T_IMPACT ? MWX_PHASE_BALLISTIC
                                             : MWX_PHASE_IMPACT;
            if (put(w, &r))
                goto fail;
        }
        /* Tracks from first detection (t = 70 s) to impact; KR first, JP from 150 s. */
        for (int k = 0; k < 2 && t >= 70 && t <= T_IMPACT; k++) {
            if (k == 1 && t < 150)
                continue;
            memset(&r, 0, sizeof r);
            r.type = MWX_REC_TRACK;
            mwx_rec_track_t *tr = &r.u.track;
            tr->t = t + 0.1 * k;
            mwx_strlcpy(tr->node, k ? nm->jp : nm->kr, sizeof tr->node);
            mwx_strlcpy(tr->track_id, k ? nm->jp_track : nm->kr_track, sizeof tr->track_id);
            memcpy(tr->ecef_m, x, sizeof x);
            for (int i = 0; i < 3; i++)
                tr->vel_mps[i] = x2[i] - x[i];
            tr->cov_pos_m2[0] = tr->cov_pos_m2[3] = tr->cov_pos_m2[5] = 400;
            tr->cov_vel_m2s2[0] = tr->cov_vel_m2s2[3] = tr->cov_vel_m2s2[5] = 4;
            tr->phase = t < 180 ? MWX_PHASE_BOOST : MWX_PHASE_BALLISTIC;
            tr->confirmed = 1;
            if (nm == &hostile_names)
                mwx_strlcpy(tr->sources, "<b class=inj>S</b>", sizeof tr->sources);
            else
                mwx_strlcpy(tr->sources, k ? "JP,KR" : "KR", sizeof tr->sources);
            tr->launch.valid = 1;
            tr->launch.lat = LAUNCH_LAT + 0.05;
            tr->launch.lon = LAUNCH_LON - 0.04;
            tr->launch.t = T_LAUNCH + 1.5;
            if (t >= 100) {
                /* 95 % ellipse: from 250 x 60 km shrinking to 6 x 2 km, major axis along
                 * the flight azimuth (about 78 deg), centre converging on the aim. */
                double q = (t - 100) / (T_IMPACT - 100);
                tr->impact.valid = 1;
                tr->impact.lat = AIM_LAT + 0.6 * (1 - q);
                tr->impact.lon = AIM_LON - 1.2 * (1 - q);
                tr->impact.t = T_IMPACT + 30 * (1 - q);
                tr->impact.semi_major_km = 6 + 244 * (1 - q) * (1 - q);
                tr->impact.semi_minor_km = 2 + 58 * (1 - q) * (1 - q);
                tr->impact.orientation_deg = 78;
            }
            if (put(w, &r))
                goto fail;
            if (k == 0 && fmod(t, 10.0) == 0) {
                memset(&r, 0, sizeof r);
                r.type = MWX_REC_SHARE;
                r.u.share.t = t + 0.05;
                mwx_strlcpy(r.u.share.from, nm->kr, sizeof r.u.share.from);
                mwx_strlcpy(r.u.share.to[0], "US", sizeof r.u.share.to[0]);
                mwx_strlcpy(r.u.share.to[1], nm->jp, sizeof r.u.share.to[1]);
                r.u.share.n_to = 2;
                mwx_strlcpy(r.u.share.track_id, nm->kr_track, sizeof r.u.share.track_id);
                r.u.share.seq = (uint64_t)(t / 10);
                r.u.share.verified = 1;
                r.u.share.latency_s = 0.0004;
                if (put(w, &r))
                    goto fail;
            }
        }
        if (!alerted && t >= 120) {
            alerted = 1;
            if (alert(w, nm, t + 0.5, MWX_MSG_ALERT, seq++, warned, 4))
                goto fail;
        }
        if (!updated && t >= 400) {
            updated = 1;
            if (alert(w, nm, t + 0.5, MWX_MSG_UPDATE, seq++, warned + 1, 2))
                goto fail;
        }
    }
    if (alert(w, nm, T_IMPACT + 30, MWX_MSG_CANCEL, seq++, warned + 1, 2))
        goto fail;
    if (mwx_recwriter_close(w, &err) != 0) {
        fprintf(stderr, "web_make_recording: %s\n", err.msg);
        return 3;
    }
    return 0;
fail:
    mwx_recwriter_abort(w);
    return 3;
}
