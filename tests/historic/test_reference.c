/* The reference block (a historic scenario's real public alerts): parsing with errors that
 * name the JSON path, region ids checked against the real regions file, and the
 * comparison with a hand-made Report and alert records whose figures are computed by hand
 * (leads are real event minus first alert; "ahead" is the real alert minus mwx's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mwx/reference.h"
#include "mwx/warn.h"

#define REGIONS MWX_SOURCE_DIR "/data/regions/northeast-asia.geojson"

/* A scenario skeleton: only launches and reference matter to the parser. */
static char *scenario(const char *reference)
{
    static const char head[] = "{\"name\":\"t\",\"launches\":[{\"id\":\"L1\",\"t_launch_s\":60},"
                               "{\"id\":\"L2\",\"t_launch_s\":90}]";
    size_t n = sizeof head + (reference ? strlen(reference) : 0) + 32;
    char *s = malloc(n);
    assert_non_null(s);
    if (reference)
        snprintf(s, n, "%s,\"reference\":%s}", head, reference);
    else
        snprintf(s, n, "%s}", head);
    return s;
}

static const char GOOD[] =
    "{\"sources\":[\"https://example.org/a\",\"http://example.org/b\"],"
    "\"alerts\":[{\"nation\":\"JP\",\"regions\":[\"JP-01\",\"JP-02\"],\"t_s\":240,\"kind\":"
    "\"alert\"},"
    "{\"nation\":\"JP\",\"regions\":[\"JP-01\"],\"t_s\":200,\"kind\":\"alert\"},"
    "{\"nation\":\"KR\",\"regions\":[\"KR-11\"],\"t_s\":840,\"kind\":\"alert\"},"
    "{\"nation\":\"KR\",\"regions\":[\"KR-11\"],\"t_s\":2160,\"kind\":\"withdrawn\"},"
    "{\"nation\":\"JP\",\"regions\":[\"JP-01\"],\"t_s\":960,\"kind\":\"passed\"}],"
    "\"t_overflight_s\":{\"JP-01\":480},\"t_impact_s\":840}";

static void parses_a_good_block(void **state)
{
    (void)state;
    mwx_reference_t *r = calloc(1, sizeof *r);
    mwx_err_t err;
    mwx_err_clear(&err);
    char *s = scenario(GOOD);
    assert_int_equal(mwx_reference_parse(s, "x.json", r, &err), MWX_OK);
    assert_true(r->present);
    assert_string_equal(r->launch, "L1"); /* default: the first launch */
    assert_true(r->t_launch_s == 60.0);
    assert_int_equal(r->n_sources, 2);
    assert_int_equal(r->n_alerts, 5);
    assert_int_equal(r->alerts[0].n_regions, 2);
    assert_int_equal(r->alerts[3].kind, MWX_REF_WITHDRAWN);
    assert_int_equal(r->alerts[4].kind, MWX_REF_PASSED);
    assert_int_equal(r->n_overflight, 1);
    assert_string_equal(r->overflight_region[0], "JP-01");
    assert_true(r->overflight_t_s[0] == 480.0);
    assert_true(r->t_impact_s == 840.0);
    free(s);

    /* a named launch, and a null impact time (unknown) */
    s = scenario("{\"launch\":\"L2\",\"sources\":[\"https://e.org\"],\"alerts\":[],"
                 "\"t_impact_s\":null}");
    assert_int_equal(mwx_reference_parse(s, "x.json", r, &err), MWX_OK);
    assert_string_equal(r->launch, "L2");
    assert_true(r->t_launch_s == 90.0);
    assert_true(isnan(r->t_impact_s));
    free(s);

    /* no block: nothing, no error */
    s = scenario(NULL);
    assert_int_equal(mwx_reference_parse(s, "x.json", r, &err), MWX_OK);
    assert_false(r->present);
    free(s);
    free(r);
}

static void expect_error(const char *block, const char *needle)
{
    mwx_reference_t *r = calloc(1, sizeof *r);
    mwx_err_t err;
    mwx_err_clear(&err);
    char *s = scenario(block);
    int rc = mwx_reference_parse(s, "x.json", r, &err);
    if (rc == MWX_OK || !strstr(err.msg, needle))
        fail_msg("block %s: rc %d, message \"%s\", expected \"%s\"", block, rc, err.msg, needle);
    assert_false(r->present);
    free(s);
    free(r);
}

static void refuses_bad_blocks_by_path(void **state)
{
    (void)state;
    expect_error("{\"sources\":[\"https://e.org\"],\"alerts\":[{\"nation\":\"JP\",\"regions\":"
                 "[\"JP-01\"],\"t_s\":1,\"kind\":\"siren\"}],\"t_impact_s\":1}",
                 "x.json: $.reference.alerts[0].kind: expected one of");
    expect_error("{\"sources\":[\"https://e.org\"],\"alerts\":[],\"t_impact_s\":1,\"x\":1}",
                 "$.reference.x: unknown key");
    expect_error("{\"sources\":[\"e.org\"],\"alerts\":[],\"t_impact_s\":1}",
                 "$.reference.sources[0]: expected an http(s) URL");
    expect_error("{\"sources\":[],\"alerts\":[],\"t_impact_s\":1}", "$.reference.sources");
    expect_error("{\"sources\":[\"https://e.org\"],\"alerts\":[]}",
                 "$.reference.t_impact_s: missing");
    expect_error("{\"sources\":[\"https://e.org\"],\"alerts\":[{\"nation\":\"JP\",\"regions\":"
                 "[\"JP-01\",\"JP-01\"],\"t_s\":1,\"kind\":\"alert\"}],\"t_impact_s\":1}",
                 "$.reference.alerts[0].regions[1]: region \"JP-01\" named twice");
    expect_error("{\"sources\":[\"https://e.org\"],\"alerts\":[{\"nation\":\"JP\",\"regions\":"
                 "[\"JP-01\"],\"t_s\":-5,\"kind\":\"alert\"}],\"t_impact_s\":1}",
                 "$.reference.alerts[0].t_s: expected a number in [0, 86400], got -5");
    expect_error("{\"sources\":[\"https://e.org\"],\"alerts\":[],\"t_overflight_s\":{\"JP-01\":"
                 "\"soon\"},\"t_impact_s\":1}",
                 "$.reference.t_overflight_s.JP-01: expected a number");
    expect_error("{\"launch\":\"L9\",\"sources\":[\"https://e.org\"],\"alerts\":[],"
                 "\"t_impact_s\":1}",
                 "$.reference.launch: no launch \"L9\"");
    expect_error("[1]", "$.reference: expected an object");
}

static void checks_region_ids_against_the_regions_file(void **state)
{
    (void)state;
    mwx_regions_t *regions = NULL;
    mwx_err_t err;
    mwx_err_clear(&err);
    assert_int_equal(mwx_regions_load(REGIONS, &regions, &err), MWX_OK);
    mwx_reference_t *r = calloc(1, sizeof *r);
    char *s = scenario(GOOD);
    assert_int_equal(mwx_reference_parse(s, "x.json", r, &err), MWX_OK);
    assert_int_equal(mwx_reference_check_regions(r, regions, &err), MWX_OK);
    free(s);
    s = scenario("{\"sources\":[\"https://e.org\"],\"alerts\":[{\"nation\":\"JP\",\"regions\":"
                 "[\"JP-01\",\"JP-99\"],\"t_s\":1,\"kind\":\"alert\"}],\"t_impact_s\":1}");
    assert_int_equal(mwx_reference_parse(s, "x.json", r, &err), MWX_OK);
    assert_int_equal(mwx_reference_check_regions(r, regions, &err), MWX_EINVAL);
    assert_non_null(strstr(err.msg, "$.reference.alerts[0].regions[1]: unknown region \"JP-99\""));
    free(s);
    free(r);
    mwx_regions_free(regions);
}

static mwx_record_t alert_rec(double t, mwx_msg_type_t type, const char *ident, const char *r1,
                              const char *r2)
{
    mwx_record_t rec;
    memset(&rec, 0, sizeof rec);
    rec.type = MWX_REC_ALERT;
    rec.u.alert.t = t;
    rec.u.alert.msg_type = type;
    mwx_strlcpy(rec.u.alert.identifier, ident, sizeof rec.u.alert.identifier);
    mwx_strlcpy(rec.u.alert.regions[0], r1, sizeof rec.u.alert.regions[0]);
    rec.u.alert.n_regions = 1;
    if (r2) {
        mwx_strlcpy(rec.u.alert.regions[1], r2, sizeof rec.u.alert.regions[1]);
        rec.u.alert.n_regions = 2;
    }
    return rec;
}

static const mwx_ref_region_t *row(const mwx_ref_comparison_t *c, const char *id)
{
    for (int i = 0; i < c->n_regions; i++)
        if (strcmp(c->regions[i].id, id) == 0)
            return &c->regions[i];
    fail_msg("no row %s", id);
    return NULL;
}

static void compares_by_hand(void **state)
{
    (void)state;
    mwx_reference_t *r = calloc(1, sizeof *r);
    mwx_ref_comparison_t *c = calloc(1, sizeof *c);
    mwx_err_t err;
    mwx_err_clear(&err);
    char *s = scenario(GOOD);
    assert_int_equal(mwx_reference_parse(s, "x.json", r, &err), MWX_OK);

    /* the Report: L1 launched at 60, impact at 960 (900 s flight), first detection 100;
     * JP-03 threatened and warned at 400 (lead 560 against the simulated flight) */
    mwx_score_launch_t l;
    memset(&l, 0, sizeof l);
    mwx_strlcpy(l.id, "L1", sizeof l.id);
    l.t_launch = 60;
    l.t_impact = 960;
    l.t_first_detection = 100;
    l.n_regions = 1;
    mwx_strlcpy(l.regions[0].id, "JP-03", sizeof l.regions[0].id);
    l.regions[0].threatened = 1;
    l.regions[0].t_first_alert = 400;
    l.regions[0].lead_time_s = 560;
    mwx_report_t rep = {.launches = &l, .n_launches = 1};

    /* alert records: JP-01 and JP-02 overflight at 220 (160 s after launch), JP-01 again
     * earlier by an Update at 210 (150 s); a Cancel at 100 and a launch notice at 90 do
     * not count; an alert after impact does not count; JP-47 only after impact */
    mwx_record_t recs[6];
    recs[0] = alert_rec(220, MWX_MSG_ALERT, "mwx.JP.JP-F1.overflight.1", "JP-01", "JP-02");
    recs[1] = alert_rec(210, MWX_MSG_UPDATE, "mwx.JP.JP-F1.overflight.2", "JP-01", NULL);
    recs[2] = alert_rec(100, MWX_MSG_CANCEL, "mwx.JP.JP-F1.overflight.3", "JP-01", NULL);
    recs[3] = alert_rec(90, MWX_MSG_ALERT, "mwx.JP.JP-F1.launch.1", "JP-02", NULL);
    recs[4] = alert_rec(961, MWX_MSG_ALERT, "mwx.JP.JP-F1.impact.1", "JP-47", NULL);
    recs[5] = alert_rec(300, MWX_MSG_ALERT, "mwx.KR.KR-F1.impact.1", "KR-26", NULL);
    assert_int_equal(mwx_reference_compare(r, &rep, recs, 6, c, &err), MWX_OK);

    assert_true(c->real_t_impact_s == 840.0);
    assert_true(c->mwx_t_impact_s == 900.0);
    assert_true(c->t_first_detection_s == 40.0);

    const mwx_ref_region_t *j1 = row(c, "JP-01");
    assert_true(j1->real_alert_s == 200.0); /* the earlier of 240 and 200 */
    assert_true(j1->real_passed_s == 960.0);
    assert_true(j1->overflight && j1->event_s == 480.0);
    assert_true(j1->real_lead_s == 280.0); /* 480 - 200 */
    assert_true(j1->mwx_alert_s == 150.0); /* 210 - 60 */
    assert_true(j1->mwx_lead_s == 330.0);  /* 480 - 150 */
    assert_true(j1->mwx_ahead_s == 50.0);  /* 200 - 150 */

    const mwx_ref_region_t *j2 = row(c, "JP-02");
    assert_true(j2->real_alert_s == 240.0 && j2->mwx_alert_s == 160.0);
    assert_true(isnan(j2->event_s) && isnan(j2->real_lead_s) && isnan(j2->mwx_lead_s));
    assert_true(j2->mwx_ahead_s == 80.0);

    const mwx_ref_region_t *k11 = row(c, "KR-11");
    assert_true(k11->real_alert_s == 840.0 && k11->real_withdrawn_s == 2160.0);
    assert_true(isnan(k11->mwx_alert_s));

    const mwx_ref_region_t *j3 = row(c, "JP-03");
    assert_true(j3->mwx_threatened && j3->mwx_alert_s == 340.0 && j3->mwx_lead_sim_s == 560.0);
    assert_true(isnan(j3->real_alert_s));
    const mwx_ref_region_t *k26 = row(c, "KR-26");
    assert_true(k26->mwx_alert_s == 240.0);
    for (int i = 0; i < c->n_regions; i++)
        assert_string_not_equal(c->regions[i].id, "JP-47");

    /* KR-11 by the real system only; JP-03 and KR-26 by mwx only */
    assert_int_equal(c->n_real_only, 1);
    assert_int_equal(c->n_mwx_only, 2);

    json_t *j = mwx_reference_comparison_json(r, c);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "warned_by_real_only")), 1);
    assert_int_equal(json_array_size(json_object_get(j, "warned_by_mwx_only")), 2);
    assert_true(json_is_null(json_object_get(json_object_get(j, "t_impact_s"), "mwx_sim")) == 0);
    json_decref(j);

    /* a Report without the reference's launch */
    mwx_strlcpy(l.id, "X", sizeof l.id);
    assert_int_equal(mwx_reference_compare(r, &rep, recs, 6, c, &err), MWX_EINVAL);
    free(s);
    free(r);
    free(c);
}

/* Every shipped historic scenario's block parses and names only known regions. */
static void shipped_blocks_are_valid(void **state)
{
    (void)state;
    mwx_regions_t *regions = NULL;
    mwx_err_t err;
    mwx_err_clear(&err);
    assert_int_equal(mwx_regions_load(REGIONS, &regions, &err), MWX_OK);
    mwx_reference_t *r = calloc(1, sizeof *r);
    DIR *d = opendir(MWX_SOURCE_DIR "/scenarios/historic");
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/scenarios/historic/%s", MWX_SOURCE_DIR, e->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        static char text[1 << 17];
        size_t got = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[got] = '\0';
        if (mwx_reference_parse(text, e->d_name, r, &err) != MWX_OK ||
            mwx_reference_check_regions(r, regions, &err) != MWX_OK)
            fail_msg("%s", err.msg);
        if (!r->present || r->n_sources < 2)
            fail_msg("%s: no reference block with at least 2 sources", e->d_name);
        n++;
    }
    closedir(d);
    assert_true(n >= 6);
    free(r);
    mwx_regions_free(regions);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_a_good_block),
        cmocka_unit_test(refuses_bad_blocks_by_path),
        cmocka_unit_test(checks_region_ids_against_the_regions_file),
        cmocka_unit_test(compares_by_hand),
        cmocka_unit_test(shipped_blocks_are_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
