/* A second track of a warned threat continues its series (issue 17; docs/WARNING_POLICY.md
 * "One threat, one series", (f)): soak block 1, KR, launch B1L37 (deterministic in `mwx run`
 * of the block). Fusion held two tracks of the missile: KR-F52 drew the boost fan (Alert at
 * t = 16,813) and went silent at 16,854.7, still in boost; KR-F54, the same launch
 * estimate (a fit: 39.19 N 127.47 E, 16,769 s), settled at 16,899 and sent its own
 * overflight Alert at 16,901 naming KR-27, -31, -42, -43, -47 and -48, all in KR-F52's fan
 * series, still open (its Cancel at 16,944): a second siren for one missile. KR-F52's
 * boost-phase state, carried 46 s under gravity alone, lay outside the 50 km gate, and
 * launch estimates counted only for launch notices. The recorded states
 * (tests/warn/data/b1l37_kr.txt) are fed to a KR context as the node fed them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>

#include "warn_test_util.h"

#define DATA MWX_SOURCE_DIR "/tests/warn/data/b1l37_kr.txt"

#define T_IMPACT 17192.0 /* KR-F54's predicted impact time */

static double g_epoch;

static int setup(void **st)
{
    mwx_err_t err = {0};
    (void)st;
    return mwx_time_parse("2026-11-23T06:00:00Z", &g_epoch, &err); /* block 1's epoch */
}

/* The KR node's regions: the node warns its own country's only (node.c, country_regions). */
static void kr_regions(const char *dir, char *path, size_t n)
{
    json_error_t je;
    json_t *root = json_load_file(WT_REGIONS, 0, &je), *feats, *keep, *f;
    size_t i;
    assert_non_null(root);
    feats = json_object_get(root, "features");
    keep = json_array();
    json_array_foreach(feats, i, f)
    {
        const char *c =
            json_string_value(json_object_get(json_object_get(f, "properties"), "country"));
        if (c && strcmp(c, "KR") == 0)
            json_array_append(keep, f);
    }
    json_object_set_new(root, "features", keep);
    snprintf(path, n, "%s/kr.geojson", dir);
    assert_int_equal(json_dump_file(root, path, 0), 0);
    json_decref(root);
}

typedef struct fixture {
    char dir[512], regions[600];
    wt_log_t log;
    mwx_warn_t *w;
} fixture_t;

static void open_kr(fixture_t *f, const char *name)
{
    mwx_warn_config_t cfg = {0};
    mwx_err_t err = {0};
    memset(&f->log, 0, sizeof f->log);
    wt_outdir(f->dir, sizeof f->dir, name);
    kr_regions(f->dir, f->regions, sizeof f->regions);
    cfg.node = "KR";
    cfg.source = MWX_WARN_SOURCE_SIMULATED;
    cfg.status = MWX_STATUS_EXERCISE;
    cfg.epoch_unix_s = g_epoch;
    cfg.regions_path = f->regions;
    cfg.out_dir = f->dir;
    cfg.emit = wt_emit;
    cfg.user = &f->log;
    if (mwx_warn_create(&cfg, &f->w, &err))
        fail_msg("mwx_warn_create: %s", err.msg);
}

/* Feed the recorded states in time order, the clock ticking each second between them, then
 * let time pass to the all-clear. Returns the number of states fed. */
static int run_b1l37(fixture_t *f)
{
    FILE *in = fopen(DATA, "r");
    char line[2048];
    int n = 0;
    double tick = 16806.0;
    mwx_err_t err = {0};
    assert_non_null(in);
    while (fgets(line, sizeof line, in)) {
        mwx_rec_track_t k;
        int id, phase, klass, lv, lb, iv, used = 0;
        double *c = k.cov_pos_m2, *v = k.cov_vel_m2s2;
        if (line[0] == '#')
            continue;
        memset(&k, 0, sizeof k);
        assert_int_equal(
            sscanf(line,
                   "%d %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf "
                   "%lf %d %d %d %d %lf %lf %lf %d %d %lf %lf %lf %lf %lf %lf%n",
                   &id, &k.t, &k.ecef_m[0], &k.ecef_m[1], &k.ecef_m[2], &k.vel_mps[0],
                   &k.vel_mps[1], &k.vel_mps[2], &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &v[0],
                   &v[1], &v[2], &v[3], &v[4], &v[5], &phase, &klass, &k.confirmed, &lv,
                   &k.launch.lat, &k.launch.lon, &k.launch.t, &lb, &iv, &k.impact.lat,
                   &k.impact.lon, &k.impact.t, &k.impact.semi_major_km, &k.impact.semi_minor_km,
                   &k.impact.orientation_deg, &used),
            35);
        for (; tick < k.t; tick += 1)
            if (mwx_warn_tick(f->w, tick, &err))
                fail_msg("mwx_warn_tick: %s", err.msg);
        k.phase = (mwx_phase_t)phase;
        k.klass = (mwx_track_class_t)klass;
        k.launch.valid = lv;
        k.launch.basis = (mwx_launch_basis_t)lb;
        k.impact.valid = iv;
        snprintf(k.node, sizeof k.node, "KR");
        snprintf(k.track_id, sizeof k.track_id, "KR-F%d", id);
        snprintf(k.sources, sizeof k.sources, id == 54 ? "JP,KR,US" : id == 53 ? "US" : "KR");
        if (mwx_warn_track(f->w, &k, &err))
            fail_msg("mwx_warn_track: %s", err.msg);
        n++;
    }
    fclose(in);
    for (; tick <= T_IMPACT + 60; tick += 1)
        if (mwx_warn_tick(f->w, tick, &err))
            fail_msg("mwx_warn_tick: %s", err.msg);
    return n;
}

static int names(const mwx_rec_alert_t *r, const char *region)
{
    for (int i = 0; i < r->n_regions; i++)
        if (strcmp(r->regions[i], region) == 0)
            return 1;
    return 0;
}

static void test_second_track_continues_fan(void **st)
{
    fixture_t f;
    /* KR-F54's corridor at its settling, all in KR-F52's fan series then */
    static const char *corridor[] = {"KR-27", "KR-31", "KR-42", "KR-43", "KR-47", "KR-48"};
    int alerts[4] = {0}, n_cancel[4] = {0}, n_imp_alerts = 0;
    double t_fan = NAN, t_imp = NAN;
    char fan_series[128] = "";
    (void)st;
    open_kr(&f, "threat_b1l37");
    assert_int_equal(run_b1l37(&f), 175);
    if (getenv("WT_DUMP"))
        for (int i = 0; i < f.log.n; i++)
            if (f.log.out[i] == MWX_WARN_OUT_CAP)
                printf("%.2f %s %d %d n=%d\n", f.log.rec[i].t, f.log.rec[i].identifier,
                       f.log.rec[i].kind, f.log.rec[i].msg_type, f.log.rec[i].n_regions);

    for (int i = 0; i < f.log.n; i++) {
        const mwx_rec_alert_t *r = &f.log.rec[i];
        if (f.log.out[i] != MWX_WARN_OUT_CAP)
            continue;
        if (r->msg_type == MWX_MSG_ALERT) {
            alerts[r->kind]++;
            if (r->kind == MWX_ALERT_OVERFLIGHT && isnan(t_fan)) {
                t_fan = r->t;
                snprintf(fan_series, sizeof fan_series, "%s", r->identifier);
                *strrchr(fan_series, '.') = '\0';
            }
            if (r->kind == MWX_ALERT_IMPACT) {
                n_imp_alerts++;
                t_imp = r->t;
            }
        }
        if (r->msg_type == MWX_MSG_CANCEL)
            n_cancel[r->kind]++;
    }
    /* the shape of the run: KR-F52's fan at 16,813, KR-F54's impact Alert (KR-26) at 16,901 */
    assert_float_equal(t_fan, 16813.9, 0.1);
    assert_non_null(strstr(fan_series, "KR-F52"));
    assert_int_equal(n_imp_alerts, 1);
    assert_float_equal(t_imp, 16901.8, 0.1);
    /* one launch notice, one overflight series (before: KR-F54's second overflight Alert at
     * 16,901), each ended once */
    assert_int_equal(alerts[MWX_ALERT_LAUNCH], 1);
    assert_int_equal(alerts[MWX_ALERT_OVERFLIGHT], 1);
    assert_int_equal(n_cancel[MWX_ALERT_LAUNCH], 1);
    assert_int_equal(n_cancel[MWX_ALERT_OVERFLIGHT], 1);
    assert_int_equal(n_cancel[MWX_ALERT_IMPACT], 1);
    /* KR-F54 continues the fan's series: after its impact Alert, the overflight messages are
     * Updates of KR-F52's series naming the corridor */
    {
        int upd = 0;
        for (int i = 0; i < f.log.n; i++) {
            const mwx_rec_alert_t *r = &f.log.rec[i];
            if (f.log.out[i] != MWX_WARN_OUT_CAP || r->kind != MWX_ALERT_OVERFLIGHT ||
                r->t < t_imp - 0.01)
                continue;
            assert_non_null(strstr(r->identifier, fan_series));
            if (r->msg_type == MWX_MSG_UPDATE && fabs(r->t - t_imp) < 0.01) {
                upd++;
                for (size_t c = 0; c < sizeof corridor / sizeof corridor[0]; c++)
                    if (!names(r, corridor[c]))
                        fail_msg("the Update at %.1f does not name %s", r->t, corridor[c]);
            }
        }
        assert_int_equal(upd, 1);
    }
    /* no corridor region named by an overflight Alert but the fan's first (KR-42): the
     * others came into the series by Updates */
    for (size_t c = 0; c < sizeof corridor / sizeof corridor[0]; c++) {
        int n = 0;
        for (int i = 0; i < f.log.n; i++) {
            const mwx_rec_alert_t *r = &f.log.rec[i];
            if (f.log.out[i] == MWX_WARN_OUT_CAP && r->kind == MWX_ALERT_OVERFLIGHT &&
                r->msg_type == MWX_MSG_ALERT && names(r, corridor[c]))
                n++;
        }
        assert_int_equal(n, strcmp(corridor[c], "KR-42") == 0);
    }
    mwx_warn_free(f.w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_track_continues_fan),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
