/* The warning context: status rules, the Alert -> Update -> Cancel chain and its
 * references, hysteresis, all-clear, overflight, false tracks, and the outputs (CAP valid
 * against the OASIS schema, Atom, CoT, GeoJSON, TAK over loopback). Driven by synthetic
 * track records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "warn_test_util.h"

static wt_schema_t g_schema;
static double g_epoch;

static int setup(void **st)
{
    mwx_err_t err = {0};
    (void)st;
    if (wt_schema_open(&g_schema))
        return -1;
    return mwx_time_parse("2026-11-22T03:00:00Z", &g_epoch, &err);
}

static int teardown(void **st)
{
    (void)st;
    wt_schema_close(&g_schema);
    return 0;
}

typedef struct fixture {
    mwx_warn_policy_t pol;
    char dir[512];
    wt_log_t log;
    mwx_warn_t *w;
} fixture_t;

static void open_ctx(fixture_t *f, const char *name, const mwx_warn_policy_t *pol, const char *tak)
{
    mwx_warn_config_t cfg = {0};
    mwx_err_t err = {0};
    int rc;
    memset(&f->log, 0, sizeof f->log);
    wt_outdir(f->dir, sizeof f->dir, name);
    cfg.node = "JP";
    cfg.source = MWX_WARN_SOURCE_SIMULATED;
    cfg.status = MWX_STATUS_EXERCISE;
    cfg.epoch_unix_s = g_epoch;
    cfg.regions_path = WT_REGIONS;
    cfg.out_dir = f->dir;
    /* tests act on every update unless they say otherwise (settling has its own test) */
    if (!pol) {
        mwx_warn_policy_default(&f->pol);
        f->pol.launch_notice = 0; /* test_launch_notice has them */
        f->pol.settle_s = 0;
        pol = &f->pol;
    }
    cfg.policy = pol;
    cfg.tak_endpoint = tak;
    cfg.emit = wt_emit;
    cfg.user = &f->log;
    rc = mwx_warn_create(&cfg, &f->w, &err);
    if (rc)
        fail_msg("mwx_warn_create: %s", err.msg);
}

static void feed(fixture_t *f, const mwx_rec_track_t *k)
{
    mwx_err_t err = {0};
    int rc = mwx_warn_track(f->w, k, &err);
    if (rc)
        fail_msg("mwx_warn_track: %s", err.msg);
}

/* The CAP records of one series kind emitted so far, in order. */
static int caps_kind(const fixture_t *f, const mwx_rec_alert_t **out, int max, mwx_warn_kind_t want)
{
    int n = 0;
    for (int i = 0; i < f->log.n && n < max; i++) {
        mwx_warn_kind_t kind;
        if (f->log.out[i] != MWX_WARN_OUT_CAP)
            continue;
        assert_int_equal(mwx_warn_identifier_parse(f->log.rec[i].identifier, NULL, 0, &kind), 0);
        if (kind == want)
            out[n++] = &f->log.rec[i];
    }
    return n;
}

/* Impact-area messages (most tests' tracks also fly over land: overflight is separate). */
static int caps(const fixture_t *f, const mwx_rec_alert_t **out, int max)
{
    return caps_kind(f, out, max, MWX_WARN_IMPACT);
}

static int rec_has_region(const mwx_rec_alert_t *r, const char *id)
{
    for (int i = 0; i < r->n_regions; i++)
        if (strcmp(r->regions[i], id) == 0)
            return 1;
    return 0;
}

/* Parse and validate a CAP file against the OASIS schema. */
static xmlDocPtr cap_doc(const fixture_t *f, const mwx_rec_alert_t *r)
{
    xmlDocPtr d = wt_read(f->dir, r->file);
    if (!d)
        fail_msg("%s/%s does not parse", f->dir, r->file);
    if (xmlSchemaValidateDoc(g_schema.vc, d) != 0)
        fail_msg("%s/%s is not valid CAP 1.2", f->dir, r->file);
    return d;
}

/* "sender,identifier,sent" of a CAP document. */
static void triple(xmlDocPtr d, char *buf, size_t n)
{
    char s[256], id[256];
    snprintf(s, sizeof s, "%s", wt_text(d, "sender", 0));
    snprintf(id, sizeof id, "%s", wt_text(d, "identifier", 0));
    snprintf(buf, n, "%s,%s,%s", s, id, wt_text(d, "sent", 0));
}

static int caps_all(const fixture_t *f, const mwx_rec_alert_t **out, int max)
{
    int n = 0;
    for (int i = 0; i < f->log.n && n < max; i++)
        if (f->log.out[i] == MWX_WARN_OUT_CAP)
            out[n++] = &f->log.rec[i];
    return n;
}

static void test_status_rules(void **st)
{
    mwx_warn_config_t cfg = {0};
    mwx_err_t err = {0};
    mwx_warn_t *w = (mwx_warn_t *)1;
    char dir[512];
    (void)st;
    wt_outdir(dir, sizeof dir, "status");
    cfg.node = "JP";
    cfg.regions_path = WT_REGIONS;
    cfg.out_dir = dir;
    cfg.epoch_unix_s = g_epoch;
    /* a simulated picture can never become Actual */
    cfg.source = MWX_WARN_SOURCE_SIMULATED;
    cfg.status = MWX_STATUS_ACTUAL;
    assert_int_equal(mwx_warn_create(&cfg, &w, &err), MWX_EINVAL);
    assert_null(w);
    assert_non_null(strstr(err.msg, "Actual"));
    /* a live feed may be Actual; Exercise and Test are fine for a simulation */
    cfg.source = MWX_WARN_SOURCE_LIVE;
    assert_int_equal(mwx_warn_create(&cfg, &w, &err), 0);
    mwx_warn_free(w);
    cfg.source = MWX_WARN_SOURCE_SIMULATED;
    cfg.status = MWX_STATUS_TEST;
    assert_int_equal(mwx_warn_create(&cfg, &w, &err), 0);
    mwx_warn_free(w);
    /* out-of-range enum values are refused too (no back door to Actual) */
    cfg.status = (mwx_status_t)7;
    assert_int_equal(mwx_warn_create(&cfg, &w, &err), MWX_EINVAL);
    cfg.status = MWX_STATUS_EXERCISE;
    cfg.source = (mwx_warn_source_t)5;
    assert_int_equal(mwx_warn_create(&cfg, &w, &err), MWX_EINVAL);
    /* bad sender, missing regions */
    cfg.source = MWX_WARN_SOURCE_SIMULATED;
    cfg.sender = "a sender, with spaces";
    assert_int_equal(mwx_warn_create(&cfg, &w, &err), MWX_EINVAL);
    cfg.sender = NULL;
    cfg.regions_path = MWX_SOURCE_DIR "/data/regions/does-not-exist.geojson";
    assert_int_equal(mwx_warn_create(&cfg, &w, &err), MWX_EINVAL);
}

static void test_chain(void **st)
{
    fixture_t f;
    const mwx_rec_alert_t *c[64];
    mwx_rec_track_t k;
    char t1[512], t2[512];
    int n;
    (void)st;
    open_ctx(&f, "chain", NULL, NULL);

    /* t=100: a 10 km ellipse on central Tokyo: Alert for JP-13 */
    k = wt_track("JP-7", 100, 36.0, 133.0, 300e3, 35.69, 139.70, 400, 10, 5, 0);
    feed(&f, &k);
    n = caps(&f, c, 64);
    assert_int_equal(n, 1);
    assert_int_equal(c[0]->msg_type, MWX_MSG_ALERT);
    assert_int_equal(c[0]->status, MWX_STATUS_EXERCISE);
    assert_string_equal(c[0]->node, "JP");
    assert_true(rec_has_region(c[0], "JP-13"));
    assert_string_equal(c[0]->identifier, "mwx.JP.JP-7.impact.1");
    assert_string_equal(c[0]->file, "alerts/mwx.JP.JP-7.impact.1.cap.xml");
    xmlDocPtr d1 = cap_doc(&f, c[0]);
    assert_string_equal(wt_text(d1, "status", 0), "Exercise");
    assert_string_equal(wt_text(d1, "msgType", 0), "Alert");
    assert_string_equal(wt_text(d1, "scope", 0), "Public");
    assert_string_equal(wt_text(d1, "sent", 0), "2026-11-22T03:01:40+00:00");
    assert_string_equal(wt_text(d1, "onset", 0), "2026-11-22T03:06:40+00:00");
    assert_int_equal(wt_count(d1, "references"), 0);
    assert_int_equal(wt_count(d1, "info"), 3);
    assert_string_equal(wt_text(d1, "language", 0), "en-US");
    assert_string_equal(wt_text(d1, "language", 1), "ja-JP");
    assert_string_equal(wt_text(d1, "language", 2), "ko-KR");
    assert_string_equal(wt_text(d1, "severity", 0), "Extreme");
    assert_string_equal(wt_text(d1, "urgency", 0), "Immediate");
    assert_string_equal(wt_text(d1, "certainty", 0), "Likely"); /* 10 km <= 50 km */
    assert_string_equal(wt_text(d1, "responseType", 0), "Shelter");
    assert_true(wt_has(d1, "valueName", "ISO3166-2"));
    assert_true(wt_has(d1, "value", "JP-13"));
    assert_non_null(strstr(wt_text(d1, "headline", 0), "EXERCISE"));
    assert_non_null(strstr(wt_text(d1, "headline", 1), "訓練"));
    assert_non_null(strstr(wt_text(d1, "headline", 1), "東京都"));
    /* the polygon is closed: first pair == last pair, and has 73 pairs */
    {
        char poly[8192], *first, *last;
        snprintf(poly, sizeof poly, "%s", wt_text(d1, "polygon", 0));
        last = strrchr(poly, ' ') + 1;
        first = poly;
        assert_int_equal(strncmp(first, last, strlen(last)), 0);
        int pairs = 1;
        for (char *p = poly; *p; p++)
            pairs += *p == ' ';
        assert_int_equal(pairs, 73);
    }
    triple(d1, t1, sizeof t1);

    /* t=105: same picture, impact time moved 5 s (< 10): nothing new */
    k = wt_track("JP-7", 105, 36.0, 133.5, 290e3, 35.69, 139.70, 405, 10, 5, 0);
    feed(&f, &k);
    assert_int_equal(caps(&f, c, 64), 1);
    /* t=110: the ellipse now also covers Kanagawa and is 150 km long: Update, Possible */
    k = wt_track("JP-7", 110, 36.0, 134.0, 280e3, 35.55, 139.55, 405, 150, 8, 0);
    feed(&f, &k);
    n = caps(&f, c, 64);
    assert_int_equal(n, 2);
    assert_int_equal(c[1]->msg_type, MWX_MSG_UPDATE);
    assert_true(rec_has_region(c[1], "JP-13"));
    assert_true(rec_has_region(c[1], "JP-14"));
    xmlDocPtr d2 = cap_doc(&f, c[1]);
    assert_string_equal(wt_text(d2, "msgType", 0), "Update");
    assert_string_equal(wt_text(d2, "references", 0), t1);
    assert_string_equal(wt_text(d2, "certainty", 0), "Possible");
    triple(d2, t2, sizeof t2);
    /* t=115: impact time moved 15 s: Update */
    k = wt_track("JP-7", 115, 36.0, 134.5, 270e3, 35.55, 139.55, 420, 150, 8, 0);
    feed(&f, &k);
    n = caps(&f, c, 64);
    assert_int_equal(n, 3);
    assert_int_equal(c[2]->msg_type, MWX_MSG_UPDATE);

    /* from t=120 the prediction is far out in the Pacific: the regions are released after
     * the 10 s hold, which empties the series: Cancel naming the regions it cancels and
     * referencing every earlier message */
    for (double t = 120; t <= 135; t += 5) {
        k = wt_track("JP-7", t, 36.0, 135.0, 260e3, 33.0, 145.0, 430, 10, 5, 0);
        feed(&f, &k);
        n = caps(&f, c, 64);
        if (t == 120) { /* the centre moved > 25 km: Update, regions still held */
            assert_int_equal(n, 4);
            assert_int_equal(c[3]->msg_type, MWX_MSG_UPDATE);
            assert_true(rec_has_region(c[3], "JP-13"));
        } else if (t < 130) {
            assert_int_equal(n, 4);
        }
    }
    n = caps(&f, c, 64);
    assert_int_equal(n, 5);
    assert_int_equal(c[4]->msg_type, MWX_MSG_CANCEL);
    assert_true(c[4]->t >= 130 && c[4]->t <= 135);
    assert_true(rec_has_region(c[4], "JP-13"));
    assert_true(rec_has_region(c[4], "JP-14"));
    xmlDocPtr d4 = cap_doc(&f, c[4]);
    assert_string_equal(wt_text(d4, "msgType", 0), "Cancel");
    const char *refs = wt_text(d4, "references", 0);
    assert_non_null(strstr(refs, t1));
    assert_non_null(strstr(refs, t2));
    assert_non_null(strstr(refs, c[2]->identifier));
    assert_non_null(strstr(refs, c[3]->identifier));
    assert_string_equal(wt_text(d4, "responseType", 0), "None");
    assert_string_equal(wt_text(d4, "status", 0), "Exercise");
    /* every CAP identifier is distinct */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            assert_string_not_equal(c[i]->identifier, c[j]->identifier);
    xmlFreeDoc(d1);
    xmlFreeDoc(d2);
    xmlFreeDoc(d4);
    mwx_warn_free(f.w);
}

/* No all-clear while the track flies on past the impact time it was last predicted: 150 km
 * up 40 s after it, with no prediction since (the week soak at 150x: a fused track of a
 * landed missile took the next missile's first report, and the all-clear of the landed
 * one's warning went out as the next one flew; a glide vehicle's failed prediction is
 * the same). The all-clear comes once the track is lost. */
static void test_no_all_clear_while_flying(void **st)
{
    fixture_t f;
    const mwx_rec_alert_t *c[64];
    mwx_rec_track_t k;
    mwx_err_t err = {0};
    (void)st;
    open_ctx(&f, "flying", NULL, NULL);
    k = wt_track("KR-3", 200, 37.0, 128.0, 100e3, 37.5665, 126.978, 260, 15, 15, 0);
    feed(&f, &k);
    assert_int_equal(caps(&f, c, 64), 1);
    for (int t = 291; t <= 300; t++) {
        k = wt_track("KR-3", t, 38.0, 128.5, 150e3, 0, 0, 0, 0, 0, 0);
        k.impact.valid = 0;
        feed(&f, &k);
    }
    assert_int_equal(mwx_warn_tick(f.w, 320, &err), 0);
    assert_int_equal(caps(&f, c, 64), 1);
    /* lost (track_stale_s, 30 s, without an update): the flight is over for the warning */
    assert_int_equal(mwx_warn_tick(f.w, 331, &err), 0);
    assert_int_equal(caps(&f, c, 64), 2);
    assert_int_equal(c[1]->msg_type, MWX_MSG_CANCEL);
    xmlDocPtr d = cap_doc(&f, c[1]);
    assert_string_equal(wt_text(d, "responseType", 0), "AllClear");
    xmlFreeDoc(d);
    mwx_warn_free(f.w);
}

static void test_all_clear_and_cot(void **st)
{
    fixture_t f;
    const mwx_rec_alert_t *c[64];
    mwx_rec_track_t k;
    mwx_err_t err = {0};
    int n;
    (void)st;
    open_ctx(&f, "clear", NULL, NULL);
    k = wt_track("KR-3", 200, 37.0, 128.0, 100e3, 37.5665, 126.978, 260, 15, 15, 0);
    feed(&f, &k);
    n = caps(&f, c, 64);
    assert_int_equal(n, 1);
    assert_true(rec_has_region(c[0], "KR-11"));
    assert_true(rec_has_region(c[0], "KR-41"));
    xmlDocPtr d = cap_doc(&f, c[0]);
    assert_true(wt_has(d, "areaDesc", "서울특별시")); /* Korean names in the ko-KR block */
    assert_true(wt_has(d, "areaDesc", "Seoul"));
    xmlFreeDoc(d);
    /* ticks before impact + 30 s change nothing */
    assert_int_equal(mwx_warn_tick(f.w, 285, &err), 0);
    assert_int_equal(caps(&f, c, 64), 1);
    /* impact at 260, all-clear at 290 */
    assert_int_equal(mwx_warn_tick(f.w, 290, &err), 0);
    n = caps(&f, c, 64);
    assert_int_equal(n, 2);
    assert_int_equal(c[1]->msg_type, MWX_MSG_CANCEL);
    d = cap_doc(&f, c[1]);
    assert_string_equal(wt_text(d, "responseType", 0), "AllClear");
    assert_string_equal(wt_text(d, "urgency", 0), "Past");
    assert_non_null(strstr(wt_text(d, "references", 0), "mwx.JP.KR-3.impact.1"));
    xmlFreeDoc(d);
    /* later updates of the same (finished) track raise nothing */
    k = wt_track("KR-3", 295, 37.5, 127.0, 0, 37.5665, 126.978, 260, 15, 15, 0);
    k.phase = MWX_PHASE_IMPACT;
    feed(&f, &k);
    assert_int_equal(caps(&f, c, 64), 2);

    /* CoT: the track's file holds its latest event */
    xmlDocPtr cot = wt_read(f.dir, "alerts/mwx.JP.KR-3.cot.xml");
    assert_non_null(cot);
    xmlNodePtr ev = xmlDocGetRootElement(cot);
    assert_string_equal((const char *)ev->name, "event");
    xmlChar *type = xmlGetProp(ev, BAD_CAST "type"), *uid = xmlGetProp(ev, BAD_CAST "uid");
    assert_string_equal((const char *)type, "a-h-A-W-M-S-S");
    assert_string_equal((const char *)uid, "mwx.JP.KR-3");
    xmlFree(type);
    xmlFree(uid);
    xmlFreeDoc(cot);
    /* the track goes stale after 30 s without updates: a final event with stale == time */
    assert_int_equal(mwx_warn_tick(f.w, 330, &err), 0);
    int last = -1;
    for (int i = 0; i < f.log.n; i++)
        if (f.log.out[i] == MWX_WARN_OUT_COT)
            last = i;
    assert_true(last >= 0);
    assert_int_equal(f.log.rec[last].msg_type, MWX_MSG_CANCEL);
    cot = wt_read(f.dir, "alerts/mwx.JP.KR-3.cot.xml");
    ev = xmlDocGetRootElement(cot);
    xmlChar *t = xmlGetProp(ev, BAD_CAST "time"), *stale = xmlGetProp(ev, BAD_CAST "stale");
    assert_string_equal((const char *)t, (const char *)stale);
    xmlFree(t);
    xmlFree(stale);
    xmlFreeDoc(cot);
    mwx_warn_free(f.w);
}

/* Membership history of each region over the impact series' Alert/Update records: a
 * region "flaps" when it is present, then absent, then present again. */
static int count_flaps(const fixture_t *f)
{
    const mwx_rec_alert_t *c[1024];
    int n = caps_kind(f, c, 1024, MWX_WARN_IMPACT), flaps = 0;
    static const char *const ids[] = {"JP-08", "JP-09", "JP-10", "JP-11", "JP-12", "JP-13",
                                      "JP-14", "JP-19", "JP-22", "JP-20", "JP-07", "JP-15"};
    for (size_t r = 0; r < sizeof ids / sizeof ids[0]; r++) {
        int state = 0; /* 0 never, 1 in, 2 out after in */
        for (int i = 0; i < n; i++) {
            mwx_warn_kind_t kind;
            if (mwx_warn_identifier_parse(c[i]->identifier, NULL, 0, &kind) ||
                kind != MWX_WARN_IMPACT || c[i]->msg_type == MWX_MSG_CANCEL)
                continue;
            int in = rec_has_region(c[i], ids[r]);
            if (in && state == 2)
                flaps++;
            state = in ? 1 : state == 1 ? 2 : state;
        }
    }
    return flaps;
}

static void run_shrinking(fixture_t *f, const char *name, const mwx_warn_policy_t *pol)
{
    uint32_t s = 12345;
    open_ctx(f, name, pol, NULL);
    /* 120 updates, 1 s apart: the ellipse shrinks from 200 km to 8 km around a point
     * between Tokyo and Saitama while its centre jitters by up to +-0.06 deg and the
     * impact time by +-3 s, as successive predictions do */
    for (int i = 0; i < 120; i++) {
        double jl, jo, jt, a;
        s = s * 1664525u + 1013904223u;
        jl = ((s >> 8) / 16777216.0 - 0.5) * 0.12;
        s = s * 1664525u + 1013904223u;
        jo = ((s >> 8) / 16777216.0 - 0.5) * 0.12;
        s = s * 1664525u + 1013904223u;
        jt = ((s >> 8) / 16777216.0 - 0.5) * 6.0;
        a = 200.0 - 192.0 * i / 119.0;
        mwx_rec_track_t k = wt_track("US-1", 100 + i, 37.0, 135.0, 200e3, 35.80 + jl, 139.65 + jo,
                                     400 + jt, a, 0.7 * a, 20);
        feed(f, &k);
    }
}

static void test_hysteresis(void **st)
{
    fixture_t f;
    mwx_warn_policy_t pol;
    const mwx_rec_alert_t *c[1024] = {0};
    mwx_warn_stats_t ws;
    (void)st;
    /* without hysteresis the same inputs flap (so the test below can fail) */
    mwx_warn_policy_default(&pol);
    pol.launch_notice = 0; /* test_launch_notice has them */
    pol.settle_s = 0;
    pol.release_scale = 1.0;
    pol.release_hold_s = 0.0;
    pol.release_batch_s = 0.0;
    run_shrinking(&f, "noflap-off", &pol);
    int flaps_off = count_flaps(&f);
    mwx_warn_get_stats(f.w, &ws);
    uint64_t updates_off = ws.cap_update;
    mwx_warn_free(f.w);
    assert_true(flaps_off > 0);

    /* with the default policy: no flapping, and fewer messages */
    run_shrinking(&f, "noflap-on", NULL);
    assert_int_equal(count_flaps(&f), 0);
    /* one Alert, no Cancel, fewer messages */
    int n = caps(&f, c, 1024);
    assert_int_equal(c[0]->msg_type, MWX_MSG_ALERT);
    for (int i = 1; i < n; i++)
        assert_int_equal(c[i]->msg_type, MWX_MSG_UPDATE);
    mwx_warn_get_stats(f.w, &ws);
    assert_true(ws.cap_update < updates_off);
    /* it did shrink: the last message names fewer regions than the first */
    assert_true(n >= 2);
    assert_true(c[n - 1]->n_regions < c[0]->n_regions);
    /* Saitama (the centre) stays warned throughout */
    for (int i = 0; i < n; i++)
        assert_true(rec_has_region(c[i], "JP-11"));
    mwx_warn_free(f.w);
}

/* Predictions that run away (a missile still under thrust) or are too large are not acted
 * on; a prediction that has settled for settle_s is. */
static void test_settle(void **st)
{
    fixture_t f;
    mwx_warn_policy_t pol;
    const mwx_rec_alert_t *c[64];
    int n;
    (void)st;
    mwx_warn_policy_default(&pol); /* settle_s 5, max 500 km */
    pol.launch_notice = 0;         /* test_launch_notice has them */
    pol.overflight = 0;
    open_ctx(&f, "settle", &pol, NULL);
    /* t = 100..109: the predicted impact runs east at 0.6 deg/s (~55 km/s) along 34 N,
     * across Shikoku and the Kii peninsula (lon 132 -> 137.4), a 20 km ellipse: never
     * settled, no warning even though it crosses land */
    for (int i = 0; i < 10; i++) {
        mwx_rec_track_t k = wt_track("JP-5", 100 + i, 38.0, 128.0 + 0.1 * i, 200e3, 34.0,
                                     132.0 + 0.6 * i, 400 + 5 * i, 20, 10, 0);
        feed(&f, &k);
    }
    assert_int_equal(caps(&f, c, 64), 0);
    /* from t = 110 it stays on Tokyo: the first update whose prediction 5 s earlier was
     * also on Tokyo is t = 115 */
    for (int i = 10; i <= 20; i++) {
        mwx_rec_track_t k =
            wt_track("JP-5", 100 + i, 38.0, 128.0 + 0.1 * i, 200e3, 35.69, 139.70, 450, 20, 10, 0);
        feed(&f, &k);
    }
    assert_true(caps(&f, c, 64) >= 1);
    assert_int_equal(c[0]->msg_type, MWX_MSG_ALERT);
    assert_float_equal(c[0]->t, 115.0, 1e-9);
    /* a steady prediction of a track still in boost is not acted on; settle_s after its
     * last boost update it is */
    for (int i = 0; i <= 12; i++) {
        mwx_rec_track_t k =
            wt_track("JP-4", 200 + i, 38.0, 128.0, 100e3, 35.69, 139.70, 500, 20, 10, 0);
        k.phase = i <= 3 ? MWX_PHASE_BOOST : MWX_PHASE_BALLISTIC;
        feed(&f, &k);
    }
    n = caps(&f, c, 64);
    const mwx_rec_alert_t *a4 = NULL;
    for (int i = 0; i < n; i++)
        if (strstr(c[i]->identifier, ".JP-4.") && !a4)
            a4 = c[i];
    assert_non_null(a4);
    assert_float_equal(a4->t, 208.0, 1e-9); /* last boost at 203 */
    /* a steady but 800 km ellipse over Japan is too uncertain to act on */
    for (int i = 0; i <= 20; i++) {
        mwx_rec_track_t k =
            wt_track("JP-6", 100 + i, 38.0, 128.0, 200e3, 36.0, 138.0, 500, 800, 300, 40);
        feed(&f, &k);
    }
    n = caps(&f, c, 64);
    for (int i = 0; i < n; i++)
        assert_null(strstr(c[i]->identifier, "JP-6"));
    mwx_warn_free(f.w);
}

/* Issue 12, item 2: the wait for burnout is not beaten by mode flips. A rocket under
 * thrust (15 m/s^2 along its path, from 100 km up at 2 km/s) whose track flips between
 * boost and ballistic (ballistic for 8 s and 14 s, longer than settle_s) predicts a steady
 * impact on Tokyo: no warning while it thrusts, whatever the phase says. After burnout
 * (t = 330) the warning follows once no thrust has been seen for burnout_hold_s. */
static void test_thrust_guard(void **st)
{
    fixture_t f;
    mwx_warn_policy_t pol;
    const mwx_rec_alert_t *c[64];
    mwx_earth_t e = mwx_earth_wgs84();
    mwx_geo_t g = {38.0 * MWX_DEG, 128.0 * MWX_DEG, 100e3};
    double x[3], v[3], east[3], north[3], up[3];
    double first = NAN;
    (void)st;
    mwx_warn_policy_default(&pol);
    pol.launch_notice = 0; /* test_launch_notice has them */
    pol.overflight = 0;
    open_ctx(&f, "thrust_guard", &pol, NULL);
    mwx_geo_to_ecef(&e, &g, x);
    mwx_enu_basis(g.lat, g.lon, east, north, up);
    for (int i = 0; i < 3; i++)
        v[i] = 1800.0 * east[i] + 870.0 * up[i];
    for (int t = 300; t <= 350; t++) {
        mwx_rec_track_t k = wt_track("JP-8", t, 38.0, 128.0, 100e3, 35.69, 139.70, 900, 20, 10, 0);
        memcpy(k.ecef_m, x, sizeof x);
        memcpy(k.vel_mps, v, sizeof v);
        k.phase = (t <= 305 || (t >= 314 && t <= 316)) ? MWX_PHASE_BOOST : MWX_PHASE_BALLISTIC;
        feed(&f, &k);
        int n = caps(&f, c, 64);
        if (n && isnan(first))
            first = c[0]->t;
        /* one second of flight: point-mass gravity, thrust along the velocity until 330 */
        for (int s = 0; s < 100; s++) {
            double r = mwx_norm3(x), sp = mwx_norm3(v), a[3];
            for (int i = 0; i < 3; i++) {
                a[i] = -MWX_WGS84_GM * x[i] / (r * r * r) + (t < 330 ? 15.0 * v[i] / sp : 0);
                v[i] += a[i] * 0.01;
                x[i] += v[i] * 0.01;
            }
        }
    }
    if (!(first > 330.0))
        fail_msg("impact warning at t = %.0f, under thrust", first);
    /* evidence ends when the 5 s window clears burnout (~335), then 5 s of hold */
    assert_true(first <= 342.0);
    mwx_warn_free(f.w);
}

/* Issue 11, warning: a space launch with no impact (under thrust, or in orbit) gets
 * overflight warnings for the regions under its path while it is below 1,000 km, and
 * never an impact warning; a spent stage's (or a space launch's quiet part's) impact
 * ellipse is warned as a drop zone, not an impact. */
static void test_space_launch_and_stage(void **st)
{
    fixture_t f;
    mwx_warn_policy_t pol;
    const mwx_rec_alert_t *c[64];
    int n_ovf;
    (void)st;
    mwx_warn_policy_default(&pol);
    pol.launch_notice = 0;
    open_ctx(&f, "space_launch", &pol, NULL);
    /* SL-1: 300 km up over the Sea of Japan, 7 km/s east toward Honshu, no impact */
    for (int t = 100; t <= 130; t++) {
        double lon = 134.0 + (t - 100) * 0.08;
        mwx_rec_track_t k = wt_track("SL-1", t, 36.0, lon, 300e3, 0, 0, 0, 0, 0, 0);
        mwx_geo_t g = {36.0 * MWX_DEG, lon * MWX_DEG, 300e3};
        double east[3], north[3], up[3];
        mwx_enu_basis(g.lat, g.lon, east, north, up);
        for (int i = 0; i < 3; i++)
            k.vel_mps[i] = 7000.0 * east[i];
        k.impact.valid = 0;
        k.klass = MWX_CLASS_SPACE_LAUNCH;
        k.phase = MWX_PHASE_BOOST;
        feed(&f, &k);
    }
    n_ovf = caps_kind(&f, c, 64, MWX_WARN_OVERFLIGHT);
    assert_true(n_ovf > 0);
    assert_int_equal(caps_kind(&f, c, 64, MWX_WARN_IMPACT), 0);
    assert_int_equal(caps_kind(&f, c, 64, MWX_WARN_DROP_ZONE), 0);
    /* the same above 1,000 km: nothing more */
    {
        int before = f.log.n;
        for (int t = 100; t <= 120; t++) {
            mwx_rec_track_t k = wt_track("SL-2", t, 36.0, 134.0, 1200e3, 0, 0, 0, 0, 0, 0);
            k.impact.valid = 0;
            k.klass = MWX_CLASS_SPACE_LAUNCH;
            feed(&f, &k);
        }
        for (int i = before; i < f.log.n; i++)
            assert_true(f.log.out[i] != MWX_WARN_OUT_CAP);
    }
    /* ST-3: a spent stage falling on Tokyo: a drop zone, never an impact warning */
    for (int t = 300; t <= 340; t++) {
        mwx_rec_track_t k = wt_track("ST-3", t, 36.5, 137.0, 90e3, 35.69, 139.70, 500, 20, 10, 0);
        k.klass = MWX_CLASS_STAGE;
        strcpy(k.parent, "JP-1");
        feed(&f, &k);
    }
    assert_int_equal(caps_kind(&f, c, 64, MWX_WARN_IMPACT), 0);
    {
        int n = caps_kind(&f, c, 64, MWX_WARN_DROP_ZONE);
        assert_true(n > 0);
        assert_true(c[0]->n_regions > 0);
        assert_true(c[0]->kind == MWX_ALERT_DROP_ZONE);
    }
    mwx_warn_free(f.w);
}

/* Issue 12, item 3: an overflight warning ends, once the missile has flown on past the
 * regions, with "has passed over" (en, ja, ko), not as a withdrawn prediction. */
static void test_overflight_passed(void **st)
{
    fixture_t f;
    const mwx_rec_alert_t *c[64];
    int n, last = -1, alerted = 0;
    (void)st;
    open_ctx(&f, "overflight_passed", NULL, NULL);
    /* Yellow Sea -> the Pacific east of Tohoku: Korea and Honshu under the path */
    for (int i = 0; i <= 40; i++) {
        /* the sub-point moves from 126 E to 144.5 E (past Honshu's east coast, ~142 E) */
        double lon = i <= 10 ? 126.0 : 144.5;
        mwx_rec_track_t k = wt_track("US-9", 150 + i, 37.9 + 0.01 * (lon - 126.0), lon, 250e3, 38.3,
                                     146.0, 700, 20, 10, 90);
        feed(&f, &k);
    }
    n = caps_all(&f, c, 64);
    for (int i = 0; i < n; i++) {
        if (c[i]->kind != MWX_ALERT_OVERFLIGHT)
            continue;
        alerted |= c[i]->msg_type == MWX_MSG_ALERT && rec_has_region(c[i], "JP-06");
        last = i;
    }
    assert_true(alerted);
    assert_true(last >= 0);
    assert_int_equal(c[last]->msg_type, MWX_MSG_CANCEL);
    assert_true(rec_has_region(c[last], "JP-06"));
    xmlDocPtr d = cap_doc(&f, c[last]);
    int en = 0, ja = 0, ko = 0, withdrawn = 0;
    for (int k = 0; k < wt_count(d, "description"); k++) {
        const char *txt = wt_text(d, "description", k);
        en |= strstr(txt, "has passed over these areas") != NULL;
        ja |= strstr(txt, "上空を通過しました") != NULL;
        ko |= strstr(txt, "상공을 통과했습니다") != NULL;
        withdrawn |= strstr(txt, "no longer includes") != NULL || strstr(txt, "対象外") != NULL ||
                     strstr(txt, "포함되지 않습니다") != NULL;
    }
    assert_true(en && ja && ko);
    assert_false(withdrawn);
    xmlFreeDoc(d);
    mwx_warn_free(f.w);
}

/* Issue 12, item 7: as soon as a launch is confirmed, one launch notice (kind launch,
 * certainty Possible, responseType Monitor, valid CAP 1.2) to every region within the
 * reach of its launch point, before any prediction has settled; none for a tentative
 * track; one per track. Reach 500 km from (39.0 N, 125.7 E): Seoul (~200 km) in, Tokyo
 * (~1,290 km) out. */
static void test_launch_notice(void **st)
{
    fixture_t f;
    mwx_warn_policy_t pol;
    const mwx_rec_alert_t *c[64];
    int n, launches = 0;
    const mwx_rec_alert_t *l = NULL;
    (void)st;
    mwx_warn_policy_default(&pol);
    pol.launch_reach_km = 500.0;
    pol.boost_fan = 0; /* the boost fan has its own test (test_boost_fan) */
    open_ctx(&f, "launch_notice", &pol, NULL);
    mwx_rec_track_t k = wt_track("JP-3", 100, 39.2, 126.0, 30e3, 40.0, 131.0, 600, 900, 300, 90);
    k.phase = MWX_PHASE_BOOST;
    k.confirmed = 0;
    feed(&f, &k);
    assert_int_equal(caps_all(&f, c, 64), 0); /* tentative: nothing */
    for (int i = 0; i < 5; i++) {
        k.t = 101 + i;
        k.confirmed = 1;
        feed(&f, &k);
    }
    n = caps_all(&f, c, 64);
    for (int i = 0; i < n; i++) {
        mwx_warn_kind_t kind;
        assert_int_equal(mwx_warn_identifier_parse(c[i]->identifier, NULL, 0, &kind), 0);
        assert_int_equal((int)kind, (int)c[i]->kind);
        if (c[i]->kind == MWX_ALERT_LAUNCH) {
            launches++;
            l = c[i];
        }
    }
    assert_int_equal(launches, 1);
    assert_int_equal(n, 1); /* in boost: no impact or overflight warning yet */
    assert_int_equal(l->msg_type, MWX_MSG_ALERT);
    assert_float_equal(l->t, 101.0, 1e-9);
    assert_true(rec_has_region(l, "KR-11"));
    assert_false(rec_has_region(l, "JP-13"));
    xmlDocPtr d = cap_doc(&f, l);
    assert_string_equal(wt_text(d, "responseType", 0), "Monitor");
    assert_string_equal(wt_text(d, "certainty", 0), "Possible");
    assert_int_equal(wt_count(d, "info"), 3);
    xmlFreeDoc(d);
    /* it ends with the flight: all-clear after the predicted impact */
    mwx_err_t err = {0};
    assert_int_equal(mwx_warn_tick(f.w, 700, &err), 0);
    n = caps_all(&f, c, 64);
    assert_int_equal(c[n - 1]->kind, MWX_ALERT_LAUNCH);
    assert_int_equal(c[n - 1]->msg_type, MWX_MSG_CANCEL);
    d = cap_doc(&f, c[n - 1]);
    assert_string_equal(wt_text(d, "responseType", 0), "AllClear");
    xmlFreeDoc(d);
    mwx_warn_free(f.w);
}

/* A track on the great circle from (lat0, lon0) towards (lat1, lon1), s_m along it, alt_m
 * up, moving along it at vh_mps and up at vu_mps, velocity sigma sv_mps per axis; no impact
 * prediction (a body under thrust has none). */
static mwx_rec_track_t path_track(const char *id, double t, double lat0, double lon0, double lat1,
                                  double lon1, double s_m, double alt_m, double vh_mps,
                                  double vu_mps, double sv_mps)
{
    mwx_rec_track_t k =
        wt_path_track(id, t, lat0, lon0, lat1, lon1, s_m, alt_m, vh_mps, vu_mps, sv_mps);
    k.phase = MWX_PHASE_BOOST;
    k.klass = MWX_CLASS_THRUSTING;
    return k;
}

/* A series keeps the kind its Alert gave it: an impact warning whose track is classed a
 * space launch late in its fall (a track rebuilt after a restart, the chaos test's JP M1)
 * ends with an "impact" Cancel, not a "drop_zone" one (the identifiers name the series:
 * an impact series with no Cancel of its name was left open). */
static void test_series_kind_kept(void **st)
{
    fixture_t f;
    const mwx_rec_alert_t *c[64];
    mwx_err_t err = {0};
    int n;
    (void)st;
    open_ctx(&f, "series_kind", NULL, NULL);
    mwx_rec_track_t k = wt_track("JP-7", 100, 36.0, 133.0, 300e3, 35.69, 139.70, 400, 10, 5, 0);
    feed(&f, &k);
    k.t = 300;
    k.klass = MWX_CLASS_SPACE_LAUNCH;
    feed(&f, &k);
    assert_int_equal(mwx_warn_tick(f.w, 500, &err), 0);
    n = caps(&f, c, 64);
    assert_int_equal(n, 2);
    assert_int_equal(c[0]->msg_type, MWX_MSG_ALERT);
    assert_int_equal(c[1]->msg_type, MWX_MSG_CANCEL);
    assert_int_equal(c[1]->kind, MWX_ALERT_IMPACT);
    assert_int_equal(caps_kind(&f, c, 64, MWX_WARN_DROP_ZONE), 0);
    mwx_warn_free(f.w);
}

/* One track of a salvo (issue 17, the chaos test's M2 and M3): launched at launch_t from
 * (39.2 N, 125.67 E) towards (36.0 N, 133.5 E), accelerating at 25 m/s^2 at 45 degrees,
 * its state at t (position sigma 100 m per axis), alt_m higher. */
typedef struct salvo_track {
    const char *id;
    double launch_t, from_t, to_t, alt_m;
    const char *parent; /* a part separated from this track (NULL: none) */
} salvo_track_t;

static mwx_rec_track_t salvo_state(const salvo_track_t *s, double t)
{
    double age = t - s->launch_t, v = 25.0 * age / sqrt(2.0), d = 12.5 * age * age / sqrt(2.0);
    mwx_rec_track_t k = path_track(s->id, t, 39.2, 125.67, 36.0, 133.5, d, d + s->alt_m, v, v, 5.0);
    k.launch.t = s->launch_t;
    k.confirmed = 1;
    if (s->parent)
        snprintf(k.parent, sizeof k.parent, "%s", s->parent);
    return k;
}

/* The tracks fed every 2 s from t = 200 to 400 (each within [from_t, to_t)); the launch
 * notices (Alerts) sent, their series names in names (one a notice). */
static int salvo_notices(const char *name, const salvo_track_t *tr, int n, char names[][64])
{
    fixture_t f;
    mwx_warn_policy_t pol;
    const mwx_rec_alert_t *c[256];
    int nc, out = 0;
    mwx_warn_policy_default(&pol);
    pol.launch_reach_km = 500.0;
    pol.boost_fan = 0;
    pol.overflight = 0;
    open_ctx(&f, name, &pol, NULL);
    for (double t = 200; t < 400; t += 2)
        for (int i = 0; i < n; i++)
            if (t >= tr[i].from_t && t < tr[i].to_t) {
                mwx_rec_track_t k = salvo_state(&tr[i], t);
                feed(&f, &k);
            }
    nc = caps_kind(&f, c, 256, MWX_WARN_LAUNCH);
    for (int i = 0; i < nc; i++)
        if (c[i]->msg_type == MWX_MSG_ALERT) {
            mwx_warn_kind_t kind;
            assert_int_equal(mwx_warn_identifier_parse(c[i]->identifier, names[out], 64, &kind), 0);
            out++;
        }
    mwx_warn_free(f.w);
    return out;
}

/* Issue 17 with the chaos test: a salvo's second launch gets its own launch notice. Two
 * missiles from one site, 100 s apart (launch estimates within the 120 s that let a track
 * rebuilt mid-flight continue its launch's notice) or 6 s apart (within 50 km of each
 * other the whole boost), each tracked while the other is: two notices, not the first's
 * taken for both. A second track of the first missile (500 m off: fusion's duplicate)
 * sends none; nor does the second missile's notice go to a lost fragment of the first's
 * track while the first is still tracked. A part separated from the first missile's track
 * sends none either. */
static void test_salvo_launch_notices(void **st)
{
    char names[8][64];
    (void)st;
    for (int g = 0; g < 2; g++) {
        double gap = g ? 6.0 : 100.0;
        salvo_track_t two[3] = {{"JP-F3", 200, 230, 400, 0, NULL},
                                {"JP-F4", 200 + gap, 230 + gap, 400, 0, NULL},
                                {"JP-2", 200, 250, 400, 500, NULL}};
        assert_int_equal(salvo_notices(g ? "salvo6" : "salvo100", two, 3, names), 2);
        assert_string_equal(names[0], "JP-F3");
        assert_string_equal(names[1], "JP-F4");
        /* the first missile's notice-bearing track is lost at 280 (its duplicate JP-2 goes
         * on); the second missile's track appears at 330 */
        salvo_track_t frag[3] = {{"JP-F3", 200, 230, 280, 0, NULL},
                                 {"JP-2", 200, 250, 400, 500, NULL},
                                 {"JP-F4", 200 + gap, 330, 400, 0, NULL}};
        assert_int_equal(salvo_notices(g ? "salvo6f" : "salvo100f", frag, 3, names), 2);
        assert_string_equal(names[0], "JP-F3");
        assert_string_equal(names[1], "JP-F4");
    }
    /* rule (g): a part separated from the first missile's track (its parent), 3 km above
     * it and so held apart by (d), is of its launch: no notice of its own (soak block 13,
     * B13L46: every node's second notice, 44 s after the first) */
    salvo_track_t stage[3] = {{"JP-F3", 200, 230, 400, 0, NULL},
                              {"JP-F5", 200, 260, 400, 3000, "JP-F3"},
                              {"JP-F6", 200, 290, 400, 6000, "JP-F5"}};
    assert_int_equal(salvo_notices("stage", stage, 2, names), 1);
    assert_string_equal(names[0], "JP-F3");
    /* and a part of that part (the chain followed up) */
    assert_int_equal(salvo_notices("stage2", stage, 3, names), 1);
    assert_string_equal(names[0], "JP-F3");
}

/* The en / ja / ko texts of a CAP document's element name contain these. */
static int texts_have(xmlDocPtr d, const char *name, const char *en, const char *ja, const char *ko)
{
    int has = 0;
    for (int k = 0; k < wt_count(d, name); k++) {
        const char *txt = wt_text(d, name, k);
        has |= (strstr(txt, en) ? 1 : 0) | (strstr(txt, ja) ? 2 : 0) | (strstr(txt, ko) ? 4 : 0);
    }
    return has == 7;
}

/* Issue 12, lead time: the boost-phase fan. A missile under thrust from Pyongyang towards
 * the Pacific over Hokkaido (the 2017-08-29 flight): once its course is firm, and long
 * before burnout, an overflight warning (certainty Possible, "heading toward" in en/ja/ko,
 * no impact fields) names Hokkaido, and nothing off the course (Tokyo, Fukuoka, Seoul); no
 * impact warning while it may thrust. After burnout the settled prediction takes over: the
 * fan's extra regions are released with the hysteresis, Hokkaido stays until the missile
 * has passed over it ("has passed over"). Before the fan, nothing was said until burnout
 * (t = 150 here). */
static void test_boost_fan(void **st)
{
    fixture_t f;
    mwx_warn_policy_t pol;
    const mwx_rec_alert_t *c[256];
    const double la0 = 39.22, lo0 = 125.67, la1 = 42.06, lo1 = 157.64; /* launch, aim */
    int n, first = -1, settled_msg = -1, last = -1;
    (void)st;
    mwx_warn_policy_default(&pol);
    pol.launch_notice = 0;
    open_ctx(&f, "boost_fan", &pol, NULL);
    /* t = 100..104: in boost, course still unknown (velocity sigma 300 m/s): nothing */
    for (int t = 100; t <= 104; t++) {
        mwx_rec_track_t k = path_track("JP-1", t, la0, lo0, la1, lo1, 20e3 + 500.0 * (t - 100),
                                       30e3 + 1000.0 * (t - 100), 500, 1000, 300);
        feed(&f, &k);
    }
    assert_int_equal(caps_all(&f, c, 256), 0);
    /* t = 105..150: the course is firm (30 m/s at 1 km/s: 3.4 degrees at 95 %): the fan
     * warns at once */
    for (int t = 105; t <= 150; t++) {
        mwx_rec_track_t k =
            path_track("JP-1", t, la0, lo0, la1, lo1, 20e3 + 500.0 * 5 + 1500.0 * (t - 105),
                       35e3 + 1500.0 * (t - 105), 1000 + 40.0 * (t - 105), 1500, 30);
        feed(&f, &k);
    }
    n = caps_all(&f, c, 256);
    assert_true(n >= 1);
    for (int i = 0; i < n; i++) /* under thrust: overflight only, never an impact */
        assert_int_equal((int)c[i]->kind, (int)MWX_ALERT_OVERFLIGHT);
    first = 0;
    assert_int_equal(c[first]->msg_type, MWX_MSG_ALERT);
    assert_float_equal(c[first]->t, 105.0, 1e-9);
    assert_true(rec_has_region(c[first], "JP-01"));
    assert_false(rec_has_region(c[first], "JP-13"));
    assert_false(rec_has_region(c[first], "JP-40"));
    assert_false(rec_has_region(c[first], "KR-11"));
    {
        xmlDocPtr d = cap_doc(&f, c[first]);
        assert_string_equal(wt_text(d, "certainty", 0), "Possible");
        assert_string_equal(wt_text(d, "responseType", 0), "Shelter");
        assert_true(texts_have(d, "headline", "Missile heading toward", "ミサイル飛来のおそれ",
                               "미사일 비행 방향"));
        assert_true(texts_have(d, "description", "not known yet", "まだ分かりません",
                               "아직 알 수 없습니다"));
        assert_int_equal(wt_count(d, "onset"), 0); /* no prediction: no times */
        xmlFreeDoc(d);
    }
    /* t = 151..240: burnout, ballistic, the prediction steady on the aim point: the
     * settled overflight corridor replaces the fan (the kinematics are only roughly a
     * ballistic flight's: what matters is that no thrust shows) */
    for (int t = 151; t <= 240; t++) {
        /* level at 150 km, 3 km/s: constant energy (no thrust evidence) */
        mwx_rec_track_t k =
            path_track("JP-1", t, la0, lo0, la1, lo1, 90e3 + 3000.0 * (t - 151), 150e3, 3000, 0, 3);
        k.phase = MWX_PHASE_BALLISTIC;
        k.klass = MWX_CLASS_BALLISTIC;
        k.impact.valid = 1;
        k.impact.lat = la1;
        k.impact.lon = lo1;
        k.impact.t = 900;
        k.impact.semi_major_km = 20;
        k.impact.semi_minor_km = 10;
        k.impact.orientation_deg = 70;
        feed(&f, &k);
    }
    n = caps_all(&f, c, 256);
    for (int i = 0; i < n; i++) {
        assert_int_equal((int)c[i]->kind, (int)MWX_ALERT_OVERFLIGHT); /* all at sea */
        assert_int_not_equal(c[i]->msg_type, MWX_MSG_CANCEL);
        assert_true(rec_has_region(c[i], "JP-01"));
        if (c[i]->t > 150 && settled_msg < 0)
            settled_msg = i;
    }
    /* the fan named more than the settled corridor keeps: released (never Tokyo) */
    assert_true(settled_msg > 0);
    assert_true(c[first]->n_regions > c[n - 1]->n_regions);
    {
        xmlDocPtr d = cap_doc(&f, c[n - 1]);
        assert_true(wt_count(d, "onset") > 0); /* a prediction now */
        xmlFreeDoc(d);
    }
    /* t = 241..270: far past Hokkaido (2,000 km out): the missile has passed over */
    for (int t = 241; t <= 270; t++) {
        mwx_rec_track_t k = path_track("JP-1", t, la0, lo0, la1, lo1, 2000e3 + 3000.0 * (t - 241),
                                       400e3, 3000, 0, 3);
        k.phase = MWX_PHASE_BALLISTIC;
        k.klass = MWX_CLASS_BALLISTIC;
        k.impact.valid = 1;
        k.impact.lat = la1;
        k.impact.lon = lo1;
        k.impact.t = 900;
        k.impact.semi_major_km = k.impact.semi_minor_km = 10;
        feed(&f, &k);
    }
    n = caps_all(&f, c, 256);
    last = n - 1;
    assert_int_equal(c[last]->msg_type, MWX_MSG_CANCEL);
    assert_true(rec_has_region(c[last], "JP-01"));
    {
        xmlDocPtr d = cap_doc(&f, c[last]);
        assert_true(texts_have(d, "description", "has passed over these areas",
                               "上空を通過しました", "상공을 통과했습니다"));
        xmlFreeDoc(d);
    }
    mwx_warn_free(f.w);
}

/* Issue 12, lead time before the course is firm: the missile of test-landfall.json
 * (Pyongyang towards Shimane) 10 km out in its boost, its course known only to +-15
 * degrees (95 %: 52 m/s across at 400 m/s). Gangwon (KR-42), 100-350 km ahead and 200 km
 * across, lies under every course within that: an overflight warning (Possible, "heading
 * toward") names it now, 8-10 s before the course is firm to 6 degrees (KR-42 was warned
 * 98 s before its overflight, 0.83 of the time since first detection; it needs the warning
 * by +12 s). Regions some of those courses miss (Gyeonggi, North Chungcheong, Gyeongbuk,
 * Shimane at the aim) wait for the firm course, and so does everything while the course
 * is wider than boost_fan_sure_deg. Before: nothing until the course was firm. */
static void test_boost_fan_sure(void **st)
{
    fixture_t f;
    mwx_warn_policy_t pol;
    const mwx_rec_alert_t *c[64];
    const double la0 = 39.0, lo0 = 125.7, la1 = 35.1, lo1 = 132.6; /* launch, aim */
    int n;
    (void)st;
    mwx_warn_policy_default(&pol);
    pol.launch_notice = 0;
    open_ctx(&f, "boost_fan_sure", &pol, NULL);
    /* 40 degrees (140 m/s across at 400 m/s): nothing */
    mwx_rec_track_t k = path_track("KR-1", 70, la0, lo0, la1, lo1, 8e3, 18e3, 400, 300, 140);
    feed(&f, &k);
    assert_int_equal(caps_all(&f, c, 64), 0);
    /* 15 degrees: Gangwon, and only Gangwon */
    k = path_track("KR-1", 74, la0, lo0, la1, lo1, 10e3, 21e3, 400, 300, 52);
    feed(&f, &k);
    n = caps_all(&f, c, 64);
    assert_int_equal(n, 1);
    assert_int_equal(c[0]->msg_type, MWX_MSG_ALERT);
    assert_int_equal((int)c[0]->kind, (int)MWX_ALERT_OVERFLIGHT);
    assert_true(rec_has_region(c[0], "KR-42"));
    assert_int_equal((int)c[0]->n_regions, 1);
    {
        xmlDocPtr d = cap_doc(&f, c[0]);
        assert_string_equal(wt_text(d, "certainty", 0), "Possible");
        assert_true(texts_have(d, "headline", "Missile heading toward", "ミサイル飛来のおそれ",
                               "미사일 비행 방향"));
        assert_int_equal(wt_count(d, "onset"), 0);
        xmlFreeDoc(d);
    }
    /* firm (3 degrees): the fan's regions join (Shimane at the aim), Gangwon stays */
    k = path_track("KR-1", 90, la0, lo0, la1, lo1, 30e3, 40e3, 700, 500, 18);
    feed(&f, &k);
    n = caps_all(&f, c, 64);
    assert_int_equal(n, 2);
    assert_int_equal(c[1]->msg_type, MWX_MSG_UPDATE);
    assert_true(rec_has_region(c[1], "KR-42"));
    assert_true(rec_has_region(c[1], "JP-32"));
    mwx_warn_free(f.w);
    /* off by policy (boost_fan_sure_deg = boost_fan_az_deg): nothing at 15 degrees */
    pol.boost_fan_sure_deg = pol.boost_fan_az_deg;
    open_ctx(&f, "boost_fan_sure_off", &pol, NULL);
    k = path_track("KR-1", 74, la0, lo0, la1, lo1, 10e3, 21e3, 400, 300, 52);
    feed(&f, &k);
    assert_int_equal(caps_all(&f, c, 64), 0);
    mwx_warn_free(f.w);
}

/* The boost fan of a space launch: Sohae southward (the 2016-02-07 flight), class
 * space_launch, no impact: Okinawa, 1,300 km ahead, is warned (overflight, Possible) while
 * the rocket is still over the Yellow Sea; never an impact or drop-zone warning (a part
 * that may reach orbit). A lost track's warnings, with no predicted impact to end them,
 * are cancelled after the hold. Before the fan only the path of the next 120 s was warned (not Okinawa). */
static void test_boost_fan_space_launch(void **st)
{
    fixture_t f;
    mwx_warn_policy_t pol;
    const mwx_rec_alert_t *c[256];
    int n, okinawa = 0;
    mwx_err_t err = {0};
    (void)st;
    mwx_warn_policy_default(&pol);
    pol.launch_notice = 0;
    open_ctx(&f, "boost_fan_space", &pol, NULL);
    for (int t = 100; t <= 130; t++) {
        mwx_rec_track_t k =
            path_track("JP-2", t, 39.66, 124.71, 26.2, 127.7, 50e3 + 1000.0 * (t - 100),
                       60e3 + 1500.0 * (t - 100), 1000, 1500, 3);
        k.klass = MWX_CLASS_SPACE_LAUNCH;
        feed(&f, &k);
    }
    n = caps_all(&f, c, 256);
    assert_true(n >= 1);
    for (int i = 0; i < n; i++) {
        assert_int_equal((int)c[i]->kind, (int)MWX_ALERT_OVERFLIGHT);
        okinawa |= rec_has_region(c[i], "JP-47");
    }
    assert_true(okinawa);
    /* lost (no update for track_stale_s): its warnings end with it, once no track of
     * the same rocket took them over for 2 track_stale_s (the hold) */
    assert_int_equal(mwx_warn_tick(f.w, 130 + pol.track_stale_s + 1, &err), 0);
    n = caps_all(&f, c, 256);
    assert_int_not_equal(c[n - 1]->msg_type, MWX_MSG_CANCEL);
    assert_int_equal(mwx_warn_tick(f.w, 130 + 3 * pol.track_stale_s + 2, &err), 0);
    n = caps_all(&f, c, 256);
    assert_int_equal(c[n - 1]->msg_type, MWX_MSG_CANCEL);
    assert_int_equal((int)c[n - 1]->kind, (int)MWX_ALERT_OVERFLIGHT);
    mwx_warn_free(f.w);
}

static void test_overflight(void **st)
{
    fixture_t f;
    const mwx_rec_alert_t *c[64];
    int n, impact = 0, over = -1;
    (void)st;
    open_ctx(&f, "overflight", NULL, NULL);
#define caps(f, c, m) caps_all(f, c, m)
    /* over the Yellow Sea west of Seoul, heading for the Pacific east of Tohoku: the path
     * crosses Korea (Gyeonggi, Gangwon) and Honshu (Yamagata, Miyagi) */
    mwx_rec_track_t k = wt_track("US-9", 150, 37.9, 126.0, 250e3, 38.3, 146.0, 700, 20, 10, 90);
    feed(&f, &k);
    n = caps(&f, c, 64);
    for (int i = 0; i < n; i++) {
        mwx_warn_kind_t kind;
        assert_int_equal(mwx_warn_identifier_parse(c[i]->identifier, NULL, 0, &kind), 0);
        /* the alert record says what it warns of */
        assert_int_equal((int)c[i]->kind, (int)kind);
        if (kind == MWX_WARN_IMPACT)
            impact++;
        else
            over = i;
    }
    assert_int_equal(impact, 0); /* the impact ellipse is at sea */
    assert_true(over >= 0);
    assert_int_equal(c[over]->msg_type, MWX_MSG_ALERT);
    assert_true(rec_has_region(c[over], "KR-42"));
    assert_true(rec_has_region(c[over], "JP-06"));
    assert_true(rec_has_region(c[over], "JP-04"));
    assert_false(rec_has_region(c[over], "JP-13"));
    assert_false(rec_has_region(c[over], "KR-49"));
    xmlDocPtr d = cap_doc(&f, c[over]);
    assert_string_equal(wt_text(d, "severity", 0), "Severe");
    assert_string_equal(wt_text(d, "msgType", 0), "Alert");
    xmlFreeDoc(d);
    /* the prediction moves onto Niigata: those regions move up to the impact series and
     * leave the overflight series in the same update (not held back by release batching) */
    assert_true(rec_has_region(c[over], "JP-15"));
    k = wt_track("US-9", 151, 37.9, 126.2, 250e3, 37.9, 139.0, 700, 20, 10, 90);
    feed(&f, &k);
    n = caps(&f, c, 64);
    const mwx_rec_alert_t *li = NULL, *lo = NULL;
    for (int i = 0; i < n; i++) {
        mwx_warn_kind_t kind;
        assert_int_equal(mwx_warn_identifier_parse(c[i]->identifier, NULL, 0, &kind), 0);
        assert_int_equal((int)c[i]->kind, (int)kind);
        if (kind == MWX_WARN_IMPACT)
            li = c[i];
        else
            lo = c[i];
    }
    assert_non_null(li);
    assert_true(rec_has_region(li, "JP-15"));
    assert_float_equal(lo->t, 151.0, 1e-9);
    assert_int_equal(lo->msg_type, MWX_MSG_UPDATE);
    for (int r = 0; r < li->n_regions; r++)
        assert_false(rec_has_region(lo, li->regions[r]));
    /* overflight all-clear after impact, valid too */
    mwx_err_t err = {0};
    assert_int_equal(mwx_warn_tick(f.w, 731, &err), 0);
    n = caps(&f, c, 64);
    assert_int_equal(c[n - 1]->msg_type, MWX_MSG_CANCEL);
    d = cap_doc(&f, c[n - 1]);
    assert_string_equal(wt_text(d, "responseType", 0), "AllClear");
    xmlFreeDoc(d);
    mwx_warn_free(f.w);
#undef caps
}

static void test_false_track_and_tentative(void **st)
{
    fixture_t f;
    const mwx_rec_alert_t *c[64];
    mwx_err_t err = {0};
    (void)st;
    open_ctx(&f, "false", NULL, NULL);
    /* a tentative track never warns */
    mwx_rec_track_t k = wt_track("JP-9", 50, 36.0, 133.0, 300e3, 35.69, 139.70, 400, 10, 5, 0);
    k.confirmed = 0;
    feed(&f, &k);
    assert_int_equal(caps(&f, c, 64), 0);
    /* confirmed: Alert; then judged false: Cancel at once */
    k.t = 51;
    k.confirmed = 1;
    feed(&f, &k);
    assert_int_equal(caps(&f, c, 64), 1);
    assert_int_equal(mwx_warn_end_track(f.w, "JP-9", 52, MWX_WARN_END_FALSE, &err), 0);
    assert_int_equal(caps(&f, c, 64), 2);
    assert_int_equal(c[1]->msg_type, MWX_MSG_CANCEL);
    xmlDocPtr d = cap_doc(&f, c[1]);
    assert_non_null(strstr(wt_text(d, "references", 0), "mwx.JP.JP-9.impact.1"));
    xmlFreeDoc(d);
    assert_int_equal(mwx_warn_end_track(f.w, "JP-9", 53, MWX_WARN_END_FALSE, &err), MWX_ENOTFOUND);
    /* a lost track keeps its warning until the predicted impact, then all-clear */
    k = wt_track("JP-10", 60, 36.0, 133.0, 300e3, 35.69, 139.70, 300, 10, 5, 0);
    feed(&f, &k);
    assert_int_equal(caps(&f, c, 64), 3);
    assert_int_equal(mwx_warn_end_track(f.w, "JP-10", 61, MWX_WARN_END_LOST, &err), 0);
    assert_int_equal(mwx_warn_tick(f.w, 200, &err), 0);
    assert_int_equal(caps(&f, c, 64), 3);
    assert_int_equal(mwx_warn_tick(f.w, 330, &err), 0);
    assert_int_equal(caps(&f, c, 64), 4);
    assert_int_equal(c[3]->msg_type, MWX_MSG_CANCEL);
    /* bad input is refused, not crashed on */
    k.ecef_m[0] = NAN;
    assert_int_equal(mwx_warn_track(f.w, &k, &err), MWX_EINVAL);
    mwx_warn_free(f.w);
}

static double ring_area(json_t *ring)
{
    double a = 0;
    for (size_t i = 0; i + 1 < json_array_size(ring); i++) {
        json_t *p = json_array_get(ring, i), *q = json_array_get(ring, i + 1);
        a += json_real_value(json_array_get(p, 0)) * json_real_value(json_array_get(q, 1)) -
             json_real_value(json_array_get(q, 0)) * json_real_value(json_array_get(p, 1));
    }
    return a / 2;
}

static void test_outputs(void **st)
{
    fixture_t f;
    mwx_err_t err = {0};
    char path[1024];
    mwx_warn_policy_t pol;
    (void)st;
    mwx_warn_policy_default(&pol);
    pol.launch_notice = 0; /* test_launch_notice has them */
    pol.overflight = 0;
    pol.settle_s = 0;
    open_ctx(&f, "outputs", &pol, NULL);
    mwx_rec_track_t k = wt_track("JP-7", 100, 36.0, 133.0, 300e3, 35.69, 139.70, 400, 10, 5, 90);
    /* covariance: 100 m isotropic plus 400 m along the local vertical: ce = 100 m,
     * le = sqrt(100^2 + 400^2) = 412.3 m */
    {
        mwx_earth_t wgs = mwx_earth_wgs84();
        double e[3], n[3], u[3];
        mwx_enu_basis(36.0 * MWX_DEG, 133.0 * MWX_DEG, e, n, u);
        (void)wgs;
        double P[3][3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                P[i][j] = (i == j ? 1e4 : 0) + 1.6e5 * u[i] * u[j];
        k.cov_pos_m2[0] = P[0][0], k.cov_pos_m2[1] = P[0][1], k.cov_pos_m2[2] = P[0][2];
        k.cov_pos_m2[3] = P[1][1], k.cov_pos_m2[4] = P[1][2], k.cov_pos_m2[5] = P[2][2];
    }
    feed(&f, &k);

    /* CoT */
    xmlDocPtr cot = wt_read(f.dir, "alerts/mwx.JP.JP-7.cot.xml");
    assert_non_null(cot);
    xmlNodePtr ev = xmlDocGetRootElement(cot), pt = NULL, tr = NULL;
    {
        xmlNodePtr v[4];
        int nn = 0;
        wt_collect(ev, "point", v, &nn, 4);
        assert_int_equal(nn, 1);
        pt = v[0];
        nn = 0;
        wt_collect(ev, "track", v, &nn, 4);
        assert_int_equal(nn, 1);
        tr = v[0];
    }
    xmlChar *s;
    s = xmlGetProp(pt, BAD_CAST "lat");
    assert_float_equal(atof((char *)s), 36.0, 1e-6);
    xmlFree(s);
    s = xmlGetProp(pt, BAD_CAST "hae");
    assert_float_equal(atof((char *)s), 300e3, 0.1);
    xmlFree(s);
    s = xmlGetProp(pt, BAD_CAST "ce");
    assert_float_equal(atof((char *)s), 100.0, 0.11);
    xmlFree(s);
    s = xmlGetProp(pt, BAD_CAST "le");
    assert_float_equal(atof((char *)s), 412.3, 0.11);
    xmlFree(s);
    s = xmlGetProp(tr, BAD_CAST "course");
    assert_float_equal(atof((char *)s), 90.0, 0.01); /* due east */
    xmlFree(s);
    s = xmlGetProp(tr, BAD_CAST "speed");
    assert_float_equal(atof((char *)s), 2000.0, 0.1); /* horizontal */
    xmlFree(s);
    s = xmlGetProp(ev, BAD_CAST "time");
    assert_string_equal((char *)s, "2026-11-22T03:01:40.000Z");
    xmlFree(s);
    s = xmlGetProp(ev, BAD_CAST "stale");
    assert_string_equal((char *)s, "2026-11-22T03:02:10.000Z");
    xmlFree(s);
    xmlFreeDoc(cot);

    /* Atom */
    xmlDocPtr atom = wt_read(f.dir, "alerts/alerts.atom");
    assert_non_null(atom);
    assert_string_equal((const char *)xmlDocGetRootElement(atom)->name, "feed");
    assert_string_equal((const char *)xmlDocGetRootElement(atom)->ns->href,
                        "http://www.w3.org/2005/Atom");
    assert_int_equal(wt_count(atom, "entry"), 1);
    assert_string_equal(wt_text(atom, "id", 1), "urn:mwx:cap:mwx.JP.JP-7.impact.1");
    {
        xmlNodePtr v[8];
        int nn = 0;
        wt_collect(xmlDocGetRootElement(atom), "link", v, &nn, 8);
        assert_int_equal(nn, 2);
        xmlChar *href = xmlGetProp(v[1], BAD_CAST "href");
        snprintf(path, sizeof path, "%s/alerts/%s", f.dir, (char *)href);
        assert_int_equal(access(path, R_OK), 0); /* the link resolves beside the feed */
        xmlFree(href);
    }
    xmlFreeDoc(atom);

    /* GeoJSON */
    snprintf(path, sizeof path, "%s/alerts/latest.geojson", f.dir);
    json_error_t je;
    json_t *gj = json_load_file(path, 0, &je);
    assert_non_null(gj);
    assert_string_equal(json_string_value(json_object_get(gj, "type")), "FeatureCollection");
    json_t *feats = json_object_get(gj, "features");
    int seen_track = 0, seen_ellipse = 0, seen_region = 0;
    for (size_t i = 0; i < json_array_size(feats); i++) {
        json_t *ft = json_array_get(feats, i), *pr = json_object_get(ft, "properties");
        const char *kind = json_string_value(json_object_get(pr, "kind"));
        if (strcmp(kind, "track") == 0)
            seen_track++;
        if (strcmp(kind, "impact_ellipse") == 0) {
            json_t *ring =
                json_array_get(json_object_get(json_object_get(ft, "geometry"), "coordinates"), 0);
            seen_ellipse++;
            assert_int_equal(json_array_size(ring), 73);
            assert_true(ring_area(ring) > 0); /* counter-clockwise, RFC 7946 */
        }
        if (strcmp(kind, "region") == 0) {
            seen_region++;
            assert_string_equal(json_string_value(json_object_get(pr, "id")), "JP-13");
            assert_string_equal(json_string_value(json_object_get(pr, "status")), "impact");
            assert_string_equal(json_string_value(json_object_get(pr, "msg_type")), "Alert");
        }
    }
    assert_int_equal(seen_track, 1);
    assert_int_equal(seen_ellipse, 1);
    assert_int_equal(seen_region, 1);
    json_decref(gj);
    /* no temporary file is left behind */
    snprintf(path, sizeof path, "%s/alerts/.latest.geojson.tmp", f.dir);
    assert_int_not_equal(access(path, F_OK), 0);
    /* every output was reported, with its kind and a relative file */
    int kinds[4] = {0};
    for (int i = 0; i < f.log.n; i++) {
        kinds[f.log.out[i]]++;
        assert_memory_equal(f.log.rec[i].file, "alerts/", 7);
    }
    assert_int_equal(kinds[MWX_WARN_OUT_CAP], 1);
    assert_int_equal(kinds[MWX_WARN_OUT_ATOM], 1);
    assert_int_equal(kinds[MWX_WARN_OUT_COT], 1);
    assert_int_equal(kinds[MWX_WARN_OUT_GEOJSON], 1);
    (void)err;
    mwx_warn_free(f.w);
}

static void test_tak_loopback(void **st)
{
    (void)st;
    for (int tcp = 0; tcp < 2; tcp++) {
        fixture_t f;
        struct sockaddr_in a;
        socklen_t al = sizeof a;
        char ep[64], buf[8192];
        int ls = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0), cs;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
        assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &al), 0);
        if (tcp)
            assert_int_equal(listen(ls, 1), 0);
        snprintf(ep, sizeof ep, "%s://127.0.0.1:%d", tcp ? "tcp" : "udp", ntohs(a.sin_port));
        open_ctx(&f, tcp ? "tak-tcp" : "tak-udp", NULL, ep);
        mwx_rec_track_t k = wt_track("JP-7", 100, 36.0, 133.0, 300e3, 35.69, 139.70, 400, 10, 5, 0);
        feed(&f, &k);
        cs = tcp ? accept(ls, NULL, NULL) : ls;
        assert_true(cs >= 0);
        struct pollfd pfd = {cs, POLLIN, 0};
        assert_int_equal(poll(&pfd, 1, 2000), 1);
        ssize_t n = recv(cs, buf, sizeof buf - 1, 0);
        assert_true(n > 0);
        buf[n] = '\0';
        assert_non_null(strstr(buf, "<event"));
        assert_non_null(strstr(buf, "uid=\"mwx.JP.JP-7\""));
        mwx_warn_stats_t ws;
        mwx_warn_get_stats(f.w, &ws);
        assert_int_equal(ws.tak_sent, 1);
        assert_int_equal(ws.tak_errors, 0);
        mwx_warn_free(f.w);
        if (tcp)
            close(cs);
        close(ls);
    }
    /* an endpoint that is down is not fatal: the warnings go on, the losses are counted */
    {
        fixture_t f;
        struct sockaddr_in a;
        socklen_t al = sizeof a;
        char ep[64];
        int ls = socket(AF_INET, SOCK_STREAM, 0);
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
        assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &al), 0);
        close(ls); /* nothing listens on that port now */
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", ntohs(a.sin_port));
        open_ctx(&f, "tak-down", NULL, ep);
        mwx_rec_track_t k = wt_track("JP-7", 100, 36.0, 133.0, 300e3, 35.69, 139.70, 400, 10, 5, 0);
        feed(&f, &k);
        const mwx_rec_alert_t *c[8];
        assert_int_equal(caps(&f, c, 8), 1);
        mwx_warn_stats_t ws;
        mwx_warn_get_stats(f.w, &ws);
        assert_int_equal(ws.tak_sent, 0);
        assert_int_equal(ws.tak_errors, 1);
        mwx_warn_free(f.w);
    }
    /* a malformed endpoint is an input error */
    mwx_warn_config_t cfg = {0};
    mwx_err_t err = {0};
    mwx_warn_t *w = NULL;
    char dir[512];
    wt_outdir(dir, sizeof dir, "tak-bad");
    cfg.node = "JP";
    cfg.status = MWX_STATUS_EXERCISE;
    cfg.regions_path = WT_REGIONS;
    cfg.out_dir = dir;
    cfg.tak_endpoint = "udp://nohost";
    assert_int_equal(mwx_warn_create(&cfg, &w, &err), MWX_EINVAL);
}

/* Several contexts sharing one output directory keep their pictures apart. */
static void test_picture_tag(void **st)
{
    mwx_warn_config_t cfg = {0};
    mwx_err_t err = {0};
    mwx_warn_t *w = NULL;
    mwx_warn_policy_t pol;
    wt_log_t *log = calloc(1, sizeof *log);
    char dir[512], path[700];
    (void)st;
    wt_outdir(dir, sizeof dir, "tag");
    mwx_warn_policy_default(&pol);
    pol.launch_notice = 0; /* test_launch_notice has them */
    pol.settle_s = 0;
    cfg.node = "KR";
    cfg.status = MWX_STATUS_EXERCISE;
    cfg.regions_path = WT_REGIONS;
    cfg.out_dir = dir;
    cfg.policy = &pol;
    cfg.picture_tag = "KR";
    cfg.emit = wt_emit;
    cfg.user = log;
    assert_int_equal(mwx_warn_create(&cfg, &w, &err), 0);
    mwx_rec_track_t k = wt_track("KR-1", 100, 37.0, 128.0, 100e3, 37.5665, 126.978, 200, 15, 15, 0);
    assert_int_equal(mwx_warn_track(w, &k, &err), 0);
    snprintf(path, sizeof path, "%s/alerts/alerts-KR.atom", dir);
    assert_int_equal(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/alerts/latest-KR.geojson", dir);
    assert_int_equal(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/alerts/latest.geojson", dir);
    assert_int_not_equal(access(path, F_OK), 0);
    int seen = 0;
    for (int i = 0; i < log->n; i++)
        if (log->out[i] == MWX_WARN_OUT_GEOJSON) {
            assert_string_equal(log->rec[i].file, "alerts/latest-KR.geojson");
            seen++;
        }
    assert_int_equal(seen, 1);
    mwx_warn_free(w);
    free(log);
}

/* latest.geojson is rewritten at most every picture_interval_s; flush and free write
 * what is pending. */
static void test_picture_interval(void **st)
{
    fixture_t f;
    mwx_warn_policy_t pol;
    mwx_err_t err = {0};
    char path[700];
    json_error_t je;
    (void)st;
    mwx_warn_policy_default(&pol);
    pol.launch_notice = 0; /* test_launch_notice has them */
    pol.settle_s = 0;
    pol.picture_interval_s = 10;
    open_ctx(&f, "interval", &pol, NULL);
    snprintf(path, sizeof path, "%s/alerts/latest.geojson", f.dir);
    /* a steady track over the sea: no messages */
    for (int i = 0; i < 3; i++) {
        mwx_rec_track_t k =
            wt_track("JP-8", 100 + i, 38.0, 132.0, 200e3, 40.0, 135.0, 500, 10, 5, 0);
        feed(&f, &k);
    }
    json_t *gj = json_load_file(path, 0, &je);
    assert_non_null(gj);
    assert_float_equal(json_real_value(json_object_get(json_object_get(gj, "mwx"), "t")), 100.0,
                       1e-9); /* the first update only */
    json_decref(gj);
    assert_int_equal(mwx_warn_flush(f.w, &err), 0);
    gj = json_load_file(path, 0, &je);
    assert_float_equal(json_real_value(json_object_get(json_object_get(gj, "mwx"), "t")), 102.0,
                       1e-9);
    json_decref(gj);
    mwx_rec_track_t k = wt_track("JP-8", 104, 38.0, 132.0, 200e3, 40.0, 135.0, 500, 10, 5, 0);
    feed(&f, &k);
    mwx_warn_free(f.w);
    gj = json_load_file(path, 0, &je);
    assert_float_equal(json_real_value(json_object_get(json_object_get(gj, "mwx"), "t")), 104.0,
                       1e-9);
    json_decref(gj);
}

static char *slurp(const char *dir, const char *rel)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    char *b = calloc(1, 1 << 20);
    size_t n = b ? fread(b, 1, (1 << 20) - 1, fp) : 0;
    (void)n;
    fclose(fp);
    return b;
}

/* defer_view_sync (mwx node): the picture files are written exactly as before, but their
 * fsync waits for mwx_warn_sync_views, once a file however often it was rewritten; a
 * context without it syncs at each rewrite and has nothing to sync later. */
static void test_deferred_view_sync(void **st)
{
    static fixture_t f[2]; /* two logs of 2048 alerts: not on the stack */
    mwx_warn_config_t cfg = {0};
    mwx_warn_policy_t pol;
    mwx_warn_stats_t s;
    mwx_err_t err = {0};
    (void)st;
    mwx_warn_policy_default(&pol);
    pol.launch_notice = 0;
    pol.settle_s = 0;
    for (int k = 0; k < 2; k++) {
        memset(&f[k].log, 0, sizeof f[k].log);
        wt_outdir(f[k].dir, sizeof f[k].dir, k ? "views-each" : "views-deferred");
        memset(&cfg, 0, sizeof cfg);
        cfg.node = "JP";
        cfg.source = MWX_WARN_SOURCE_SIMULATED;
        cfg.status = MWX_STATUS_EXERCISE;
        cfg.epoch_unix_s = g_epoch;
        cfg.regions_path = WT_REGIONS;
        cfg.out_dir = f[k].dir;
        cfg.policy = &pol;
        cfg.emit = wt_emit;
        cfg.user = &f[k].log;
        cfg.durable = 1;
        cfg.defer_view_sync = k == 0;
        if (mwx_warn_create(&cfg, &f[k].w, &err))
            fail_msg("mwx_warn_create: %s", err.msg);
    }
    /* a track bound for Japan, 1 s apart (picture_interval_s): every update rewrites its
     * CoT event and latest.geojson */
    for (int i = 0; i < 6; i++) {
        mwx_rec_track_t k =
            wt_track("JP-8", 100 + i, 38.0, 132.0, 200e3, 35.47, 133.05, 500, 10, 5, 0);
        for (int c = 0; c < 2; c++)
            feed(&f[c], &k);
    }
    mwx_warn_get_stats(f[0].w, &s);
    assert_int_equal(s.views_synced, 0);
    assert_true(s.cot_events >= 6);
    assert_int_equal(mwx_warn_sync_views(f[0].w, &err), 0);
    mwx_warn_get_stats(f[0].w, &s);
    assert_int_equal(s.views_synced, 2); /* the CoT event and latest.geojson, once each */
    assert_int_equal(mwx_warn_sync_views(f[0].w, &err), 0);
    mwx_warn_get_stats(f[0].w, &s);
    assert_int_equal(s.views_synced, 2); /* nothing rewritten since */
    assert_int_equal(mwx_warn_sync_views(f[1].w, &err), 0);
    mwx_warn_get_stats(f[1].w, &s);
    assert_int_equal(s.views_synced, 0); /* synced at each rewrite: nothing left */
    /* the same files, byte for byte, and the same messages */
    static const char *files[] = {"alerts/mwx.JP.JP-8.cot.xml", "alerts/latest.geojson"};
    for (int i = 0; i < 2; i++) {
        char *a = slurp(f[0].dir, files[i]), *b = slurp(f[1].dir, files[i]);
        assert_non_null(a);
        assert_non_null(b);
        assert_true(strlen(a) > 100);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    assert_int_equal(f[0].log.n, f[1].log.n);
    /* a file removed before the sync is skipped, not an error */
    mwx_rec_track_t k = wt_track("JP-8", 106, 38.0, 132.0, 200e3, 35.47, 133.05, 500, 10, 5, 0);
    feed(&f[0], &k);
    char path[700];
    snprintf(path, sizeof path, "%s/alerts/mwx.JP.JP-8.cot.xml", f[0].dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mwx_warn_sync_views(f[0].w, &err), 0);
    mwx_warn_get_stats(f[0].w, &s);
    assert_int_equal(s.views_synced, 3); /* latest.geojson only */
    for (int c = 0; c < 2; c++)
        mwx_warn_free(f[c].w);
}

static void test_identifier_parse(void **st)
{
    char tr[32];
    mwx_warn_kind_t kind;
    (void)st;
    assert_int_equal(mwx_warn_identifier_parse("mwx.JP.JP-7.impact.12", tr, sizeof tr, &kind), 0);
    assert_string_equal(tr, "JP-7");
    assert_int_equal(kind, MWX_WARN_IMPACT);
    assert_int_equal(
        mwx_warn_identifier_parse("mwx.KR.run_3.KR-1.overflight.1", tr, sizeof tr, &kind), 0);
    assert_string_equal(tr, "KR-1");
    assert_int_equal(kind, MWX_WARN_OVERFLIGHT);
    assert_int_equal(mwx_warn_identifier_parse("mwx.JP.L_1.launch.3", tr, sizeof tr, &kind), 0);
    assert_int_equal(kind, MWX_WARN_LAUNCH);
    assert_int_equal(mwx_warn_identifier_parse("mwx.JP.JP-2.drop_zone.4", tr, sizeof tr, &kind), 0);
    assert_int_equal(kind, MWX_WARN_DROP_ZONE);
    assert_int_equal(mwx_warn_identifier_parse("mwx.JP.JP-7.impactx.1", tr, sizeof tr, &kind),
                     MWX_EINVAL);
    assert_int_equal(mwx_warn_identifier_parse("mwx.JP.JP-7.impact.", tr, sizeof tr, &kind),
                     MWX_EINVAL);
    assert_int_equal(mwx_warn_identifier_parse("nws.JP.JP-7.impact.1", tr, sizeof tr, &kind),
                     MWX_EINVAL);
    assert_int_equal(mwx_warn_identifier_parse("mwx.JP.JP-7.other.1", tr, sizeof tr, &kind),
                     MWX_EINVAL);
    assert_int_equal(mwx_warn_identifier_parse("mwx.JP.JP-7.impact.1", tr, 3, &kind), MWX_ERANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_rules),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_all_clear_and_cot),
        cmocka_unit_test(test_no_all_clear_while_flying),
        cmocka_unit_test(test_hysteresis),
        cmocka_unit_test(test_settle),
        cmocka_unit_test(test_thrust_guard),
        cmocka_unit_test(test_space_launch_and_stage),
        cmocka_unit_test(test_launch_notice),
        cmocka_unit_test(test_salvo_launch_notices),
        cmocka_unit_test(test_series_kind_kept),
        cmocka_unit_test(test_boost_fan),
        cmocka_unit_test(test_boost_fan_sure),
        cmocka_unit_test(test_boost_fan_space_launch),
        cmocka_unit_test(test_overflight),
        cmocka_unit_test(test_overflight_passed),
        cmocka_unit_test(test_false_track_and_tentative),
        cmocka_unit_test(test_outputs),
        cmocka_unit_test(test_tak_loopback),
        cmocka_unit_test(test_picture_tag),
        cmocka_unit_test(test_picture_interval),
        cmocka_unit_test(test_deferred_view_sync),
        cmocka_unit_test(test_identifier_parse),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
