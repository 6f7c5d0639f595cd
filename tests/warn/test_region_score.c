/* mwx_warn_score_regions on hand-made cases: boxes, a truth trajectory whose low parts
 * cross some of them, and alert records, with the answers worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mwx/warn.h"

/* Four boxes along the equator-ish band at lat [10, 11]:
 *   XL-1 lon [10, 11]  the launch area: the climb-out (< 100 km) crosses it
 *   XM-1 lon [12, 13]  overflown at 300 km: an overflight region (issue 12, item 3)
 *   XR-1 lon [14, 15]  the re-entry below 100 km crosses it, impact is beyond it
 *   XI-1 lon [15, 16]  the impact point (15.5, 10.5) is inside
 *   XF-1 lon [20, 21]  far away */
static const char BOXES[] =
    "{\"type\":\"FeatureCollection\",\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"XL-1\",\"name\":\"L\"},\"geometry\":"
    "{\"type\":\"Polygon\",\"coordinates\":[[[10,10],[11,10],[11,11],[10,11],[10,10]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"XM-1\",\"name\":\"M\"},\"geometry\":"
    "{\"type\":\"Polygon\",\"coordinates\":[[[12,10],[13,10],[13,11],[12,11],[12,10]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"XR-1\",\"name\":\"R\"},\"geometry\":"
    "{\"type\":\"Polygon\",\"coordinates\":[[[14,10],[15,10],[15,11],[14,11],[14,10]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"XI-1\",\"name\":\"I\"},\"geometry\":"
    "{\"type\":\"Polygon\",\"coordinates\":[[[15.2,10],[16,10],[16,11],[15.2,11],[15.2,10]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"XF-1\",\"name\":\"F\"},\"geometry\":"
    "{\"type\":\"Polygon\",\"coordinates\":[[[20,10],[21,10],[21,11],[20,11],[20,10]]]}}"
    "]}";

/* Truth: along lat 10.5 from lon 10.2 to 15.5, one sample per 0.1 deg of longitude,
 * altitude 0 at lon 10.2, above 100 km from lon 11.5 (climb-out below 100 km covers
 * 10.2 .. 11.4), 300 km in the middle, below 100 km again from lon 14.6 on. */
static size_t make_truth(mwx_rec_truth_t *v, size_t cap)
{
    mwx_earth_t wgs = mwx_earth_wgs84();
    size_t n = 0;
    for (int i = 0; i <= 53 && n < cap; i++) {
        double lon = 10.2 + 0.1 * i, alt;
        if (lon < 11.45)
            alt = 50e3 * (lon - 10.2) / 1.2; /* 0 .. 52 km */
        else if (lon < 14.55)
            alt = 300e3;
        else
            alt = 90e3 * (15.5 - lon) / 0.95; /* 90 km .. 0 */
        mwx_geo_t g = {10.5 * MWX_DEG, lon * MWX_DEG, alt};
        memset(&v[n], 0, sizeof v[n]);
        v[n].t = 60.0 + 10.0 * i;
        snprintf(v[n].object, sizeof v[n].object, "L1");
        mwx_geo_to_ecef(&wgs, &g, v[n].ecef_m);
        v[n].phase = i == 53 ? MWX_PHASE_IMPACT : MWX_PHASE_BALLISTIC;
        n++;
    }
    return n;
}

static mwx_rec_alert_t alert(double t, const char *id, mwx_msg_type_t mt, const char *file,
                             const char *r1, const char *r2)
{
    mwx_rec_alert_t a;
    memset(&a, 0, sizeof a);
    a.t = t;
    snprintf(a.node, sizeof a.node, "JP");
    snprintf(a.identifier, sizeof a.identifier, "%s", id);
    {
        /* as the warning context records it: the kind its identifier names */
        mwx_warn_kind_t k = MWX_WARN_IMPACT;
        (void)mwx_warn_identifier_parse(id, NULL, 0, &k);
        a.kind = (mwx_alert_kind_t)k;
    }
    a.msg_type = mt;
    a.status = MWX_STATUS_EXERCISE;
    if (r1)
        snprintf(a.regions[a.n_regions++], sizeof a.regions[0], "%s", r1);
    if (r2)
        snprintf(a.regions[a.n_regions++], sizeof a.regions[0], "%s", r2);
    snprintf(a.file, sizeof a.file, "%s", file);
    return a;
}

static const mwx_warn_region_score_t *find(const mwx_warn_score_t *s, const char *id)
{
    for (size_t i = 0; i < s->n_regions; i++)
        if (strcmp(s->regions[i].id, id) == 0)
            return &s->regions[i];
    return NULL;
}

static void test_hand_case(void **st)
{
    mwx_regions_t *r = NULL;
    mwx_err_t err = {0};
    mwx_rec_truth_t truth[64];
    mwx_warn_truth_t tr;
    mwx_warn_score_t sc;
    (void)st;
    assert_int_equal(mwx_regions_load_string(BOXES, strlen(BOXES), "boxes", &r, &err), 0);
    tr.states = truth;
    tr.n_states = make_truth(truth, 64);
    tr.impact_lat_deg = 10.5;
    tr.impact_lon_deg = 15.5;
    tr.t_impact = 590.0;
    tr.t_first_detection = 70.0;

    mwx_rec_alert_t al[] = {
        /* a launch notice to XF-1 and XI-1 at 100: scored apart, never a warning */
        alert(100, "mwx.JP.JP-1.launch.7", MWX_MSG_ALERT, "alerts/mwx.JP.JP-1.launch.7.cap.xml",
              "XF-1", "XI-1"),
        /* the impact region warned at 200 (Alert) and again at 250 (Update) */
        alert(200, "mwx.JP.JP-1.impact.1", MWX_MSG_ALERT, "alerts/mwx.JP.JP-1.impact.1.cap.xml",
              "XI-1", "XM-1"),
        alert(250, "mwx.JP.JP-1.impact.3", MWX_MSG_UPDATE, "alerts/mwx.JP.JP-1.impact.3.cap.xml",
              "XI-1", "XR-1"),
        /* an overflight warning of XL-1: not a warning for scoring by default */
        alert(210, "mwx.JP.JP-1.overflight.2", MWX_MSG_ALERT,
              "alerts/mwx.JP.JP-1.overflight.2.cap.xml", "XL-1", NULL),
        /* a Cancel naming XF-1, a CoT record, and an alert after impact: all ignored */
        alert(300, "mwx.JP.JP-1.impact.4", MWX_MSG_CANCEL, "alerts/mwx.JP.JP-1.impact.4.cap.xml",
              "XF-1", NULL),
        alert(220, "mwx.JP.JP-1", MWX_MSG_ALERT, "alerts/mwx.JP.JP-1.cot.xml", "XF-1", NULL),
        alert(600, "mwx.JP.JP-1.impact.5", MWX_MSG_UPDATE, "alerts/mwx.JP.JP-1.impact.5.cap.xml",
              "XF-1", NULL),
        /* a region the file does not know */
        alert(230, "mwx.JP.JP-1.impact.6", MWX_MSG_UPDATE, "alerts/mwx.JP.JP-1.impact.6.cap.xml",
              "JP-13", NULL),
    };
    assert_int_equal(mwx_warn_score_regions(r, &tr, al, sizeof al / sizeof al[0], NULL, &sc, &err),
                     0);
    /* threatened: XL-1 (climb-out), XR-1 (re-entry), XI-1 (impact); XM-1 overflown (at
     * t = 290 s, the sample over its centre lon 12.5). Warned: XI-1, XM-1, XR-1. */
    assert_int_equal(sc.n_regions, 4);
    const mwx_warn_region_score_t *x;
    x = find(&sc, "XI-1");
    assert_non_null(x);
    assert_true(x->threatened && x->warned);
    assert_float_equal(x->t_first_alert, 200.0, 1e-9);
    assert_float_equal(x->lead_time_s, 390.0, 1e-9);
    assert_float_equal(x->lead_time_efficiency, 390.0 / 520.0, 1e-12);
    assert_float_equal(x->t_launch_notice, 100.0, 1e-9);
    x = find(&sc, "XR-1");
    assert_true(x->threatened && x->warned);
    assert_float_equal(x->lead_time_s, 340.0, 1e-9);
    x = find(&sc, "XL-1");
    assert_true(x->threatened && !x->warned);
    assert_true(isnan(x->t_first_alert) && isnan(x->lead_time_s));
    assert_int_equal(x->kind, MWX_ALERT_IMPACT);
    x = find(&sc, "XM-1");
    assert_true(x->threatened && x->warned);
    assert_int_equal(x->kind, MWX_ALERT_OVERFLIGHT);
    assert_float_equal(x->t_event, 290.0, 1e-9);
    assert_float_equal(x->lead_time_s, 90.0, 1e-9); /* the impact Alert at 200 names it */
    assert_null(find(&sc, "XF-1"));
    assert_int_equal(sc.n_missed, 1);
    assert_string_equal(sc.missed[0], "XL-1");
    assert_int_equal(sc.n_false, 0);

    /* counting overflight warnings: XL-1 is warned at 210 and no longer missed */
    mwx_warn_score_opts_t o = {.ground_track_max_alt_m = 100e3, .count_overflight = 1};
    assert_int_equal(mwx_warn_score_regions(r, &tr, al, sizeof al / sizeof al[0], &o, &sc, &err),
                     0);
    assert_int_equal(sc.n_missed, 0);
    assert_float_equal(find(&sc, "XL-1")->lead_time_s, 380.0, 1e-9);

    /* raising the altitude limit to 400 km makes the whole ground track count: XM-1 is
     * threatened too and no longer false */
    o.count_overflight = 0;
    o.ground_track_max_alt_m = 400e3;
    assert_int_equal(mwx_warn_score_regions(r, &tr, al, sizeof al / sizeof al[0], &o, &sc, &err),
                     0);
    assert_int_equal(sc.n_false, 0);
    assert_true(find(&sc, "XM-1")->threatened);

    /* no alerts at all: every threatened region is missed; without first detection the
     * efficiency is NAN */
    tr.t_first_detection = NAN;
    assert_int_equal(mwx_warn_score_regions(r, &tr, NULL, 0, NULL, &sc, &err), 0);
    assert_int_equal(sc.n_missed, 4); /* XM-1's overflight too */
    assert_int_equal(sc.n_false, 0);

    /* impact point only (no samples) */
    tr.n_states = 0;
    assert_int_equal(mwx_warn_score_regions(r, &tr, al + 1, 2, NULL, &sc, &err), 0);
    assert_int_equal(sc.n_regions, 3); /* XI-1 threatened+warned, XM-1 and XR-1 false */
    assert_int_equal(sc.n_false, 2);
    assert_true(isnan(find(&sc, "XI-1")->lead_time_efficiency));

    /* bad truth */
    tr.t_impact = NAN;
    assert_int_equal(mwx_warn_score_regions(r, &tr, al, 2, NULL, &sc, &err), MWX_EINVAL);
    mwx_regions_free(r);
}

static void test_real_regions(void **st)
{
    mwx_regions_t *r = NULL;
    mwx_err_t err = {0};
    mwx_warn_truth_t tr = {0};
    mwx_warn_score_t sc;
    (void)st;
    assert_int_equal(
        mwx_regions_load(MWX_SOURCE_DIR "/data/regions/northeast-asia.geojson", &r, &err), 0);
    /* an impact in central Tokyo, warned 300 s ahead */
    tr.impact_lat_deg = 35.69;
    tr.impact_lon_deg = 139.70;
    tr.t_impact = 700;
    tr.t_first_detection = 100;
    mwx_rec_alert_t a = alert(400, "mwx.JP.JP-2.impact.1", MWX_MSG_ALERT,
                              "alerts/mwx.JP.JP-2.impact.1.cap.xml", "JP-13", "JP-11");
    assert_int_equal(mwx_warn_score_regions(r, &tr, &a, 1, NULL, &sc, &err), 0);
    assert_int_equal(sc.n_regions, 2);
    assert_string_equal(sc.regions[0].id, "JP-11"); /* region order */
    assert_string_equal(sc.regions[1].id, "JP-13");
    assert_true(sc.regions[1].threatened);
    assert_float_equal(sc.regions[1].lead_time_efficiency, 0.5, 1e-12);
    assert_int_equal(sc.n_false, 1);
    assert_string_equal(sc.false_[0], "JP-11");
    mwx_regions_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_case),
        cmocka_unit_test(test_real_regions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
