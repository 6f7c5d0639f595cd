/* Sample records of every type with edge values, shared by the record and recording
 * tests and the `mwx cat` fixture. Built from zeroed structs so that memcmp compares
 * them exactly (decode zeroes the record before filling it). */
#include <stdint.h>
#include <string.h>

#include "mwx/core.h"

#define SAMPLE_SCENARIO_JSON                                                                       \
    "{\n  \"name\": \"two-launches\",\n  \"epoch\": \"2026-11-22T03:00:00Z\",\n"                   \
    "  \"seed\": 7, \"pd\": 0.95,\n  \"note\": \"a \\\"quoted\\\" word\\n\"\n}\n"

const char *mwx_test_sample_json(void)
{
    return SAMPLE_SCENARIO_JSON;
}

/* Fills out[0..n) (n >= 9) and returns how many: scenario, truth, radar meas, IR false
 * alarm, two tracks, share, alert, a truth at impact. */
size_t mwx_test_samples(mwx_record_t *out)
{
    size_t n = 0;
    mwx_record_t *r;
    memset(out, 0, 9 * sizeof *out);

    r = &out[n++];
    r->type = MWX_REC_SCENARIO;
    strcpy(r->u.scenario.name, "two-launches");
    strcpy(r->u.scenario.epoch, "2026-11-22T03:00:00Z");
    r->u.scenario.status = MWX_STATUS_EXERCISE;
    r->u.scenario.seed = 9007199254740993ull; /* 2^53 + 1: exact only as an integer */
    r->u.scenario.json = SAMPLE_SCENARIO_JSON;

    r = &out[n++];
    r->type = MWX_REC_TRUTH;
    r->u.truth.t = 60.1;
    strcpy(r->u.truth.object, "L1");
    r->u.truth.ecef_m[0] = -3046321.123456789;
    r->u.truth.ecef_m[1] = 4077254.5;
    r->u.truth.ecef_m[2] = 3992338.0000000005;
    r->u.truth.vel_mps[0] = 0.1;
    r->u.truth.vel_mps[1] = -0.0; /* sign of zero must survive */
    r->u.truth.vel_mps[2] = 1e-300;
    r->u.truth.phase = MWX_PHASE_BOOST;

    r = &out[n++];
    r->type = MWX_REC_MEAS;
    r->u.meas.t = 63.000000000000007;
    strcpy(r->u.meas.sensor, "KR-GP-1");
    strcpy(r->u.meas.nation, "KR");
    r->u.meas.kind = MWX_SENSOR_RADAR;
    r->u.meas.sensor_ecef_m[0] = -3051000.25;
    r->u.meas.sensor_ecef_m[1] = 4048000.75;
    r->u.meas.sensor_ecef_m[2] = 3729000.5;
    r->u.meas.range_m = 412345.6789;
    r->u.meas.az_deg = 359.99999999999994;
    r->u.meas.el_deg = 1.0000000000000002;
    r->u.meas.sigma_range_m = 30;
    r->u.meas.sigma_az_deg = 0.05;
    r->u.meas.sigma_el_deg = 0.05;
    strcpy(r->u.meas.truth_object, "0123456789abcdef0123456789abcde"); /* 31: the max */

    r = &out[n++];
    r->type = MWX_REC_MEAS;
    r->u.meas.t = 1e9;
    strcpy(r->u.meas.sensor, "US-OPIR-1");
    strcpy(r->u.meas.nation, "US");
    r->u.meas.kind = MWX_SENSOR_IR;
    r->u.meas.sensor_ecef_m[0] = 42164000.0 * 0.5;
    r->u.meas.sensor_ecef_m[1] = 42164000.0 * 0.8660254037844386;
    r->u.meas.los_ecef[0] = -0.6;
    r->u.meas.los_ecef[1] = -0.8;
    r->u.meas.los_ecef[2] = 2.2250738585072014e-308; /* smallest normal */
    r->u.meas.sigma_los_urad = 30;
    /* truth_object "" = false alarm */

    r = &out[n++];
    r->type = MWX_REC_TRACK;
    r->u.track.t = 68.5;
    strcpy(r->u.track.node, "JP");
    strcpy(r->u.track.track_id, "JP-7");
    for (int i = 0; i < 3; i++) {
        r->u.track.ecef_m[i] = 1e6 * (i + 1) + 0.1;
        r->u.track.vel_mps[i] = -1000.0 / (i + 3);
    }
    for (int i = 0; i < 6; i++) {
        r->u.track.cov_pos_m2[i] = 1e4 / (i + 1);
        r->u.track.cov_vel_m2s2[i] = 1.7976931348623157e308 / (i + 1); /* up to DBL_MAX */
    }
    r->u.track.phase = MWX_PHASE_BALLISTIC;
    r->u.track.confirmed = 0;
    /* sources "" and launch, impact not valid: nulls */

    r = &out[n++];
    r->type = MWX_REC_TRACK;
    r->u.track.t = 900.25;
    strcpy(r->u.track.node, "US");
    strcpy(r->u.track.track_id, "US-12");
    r->u.track.ecef_m[0] = 6378137.0;
    r->u.track.vel_mps[2] = 7000.0;
    r->u.track.cov_pos_m2[0] = r->u.track.cov_pos_m2[3] = r->u.track.cov_pos_m2[5] = 2500;
    r->u.track.phase = MWX_PHASE_IMPACT;
    r->u.track.confirmed = 1;
    strcpy(r->u.track.sources, "JP,KR,US");
    r->u.track.launch.valid = 1;
    r->u.track.launch.lat = 39.0;
    r->u.track.launch.lon = 125.7;
    r->u.track.launch.t = 60.4;
    r->u.track.launch.basis = MWX_LAUNCH_FIT;
    r->u.track.impact.valid = 1;
    r->u.track.impact.lat = 40.49;
    r->u.track.impact.lon = -179.99999999999997;
    r->u.track.impact.t = 1012.4;
    r->u.track.impact.semi_major_km = 4.1;
    r->u.track.impact.semi_minor_km = 0.0; /* all-zero values still present */
    r->u.track.impact.orientation_deg = 0.0;
    r->u.track.klass = MWX_CLASS_BALLISTIC;
    strcpy(r->u.track.parent, "JP-6");

    r = &out[n++];
    r->type = MWX_REC_SHARE;
    r->u.share.t = 68.2;
    strcpy(r->u.share.from, "KR");
    strcpy(r->u.share.to[0], "US");
    strcpy(r->u.share.to[1], "JP");
    r->u.share.n_to = 2;
    strcpy(r->u.share.track_id, "KR-3");
    r->u.share.seq = 4294967297ull;
    r->u.share.verified = 1;
    r->u.share.latency_s = 0.0123;

    r = &out[n++];
    r->type = MWX_REC_ALERT;
    r->u.alert.t = 180;
    strcpy(r->u.alert.node, "JP");
    strcpy(r->u.alert.identifier, "urn:mwx:JP:alert:L1:3 \xe2\x80\x94 \"x\"\\y");
    r->u.alert.msg_type = MWX_MSG_CANCEL;
    r->u.alert.status = MWX_STATUS_TEST;
    r->u.alert.kind = MWX_ALERT_DROP_ZONE; /* the largest: an off-by-one drops it */
    strcpy(r->u.alert.regions[0], "JP-01");
    strcpy(r->u.alert.regions[1], "JP-02");
    strcpy(r->u.alert.regions[2], "01234567890"); /* 11: the max */
    r->u.alert.n_regions = 3;
    strcpy(r->u.alert.file, "alerts/JP-0001.cap.xml");

    r = &out[n++];
    r->type = MWX_REC_TRUTH;
    r->u.truth.t = 1012.4;
    strcpy(r->u.truth.object, "L1");
    r->u.truth.phase = MWX_PHASE_IMPACT;
    return n;
}
