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

#include "warn_test_recorded.h"

#define DATA MWX_SOURCE_DIR "/tests/warn/data/b1l37_kr.txt"

#define T_IMPACT 17192.0 /* KR-F54's predicted impact time */

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
        int id, at = 0;
        if (line[0] == '#')
            continue;
        assert_int_equal(sscanf(line, "%d%n", &id, &at), 1);
        wt_parse_state(line + at, &k);
        for (; tick < k.t; tick += 1)
            if (mwx_warn_tick(f->w, tick, &err))
                fail_msg("mwx_warn_tick: %s", err.msg);
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
    wt_open_kr(&f, "threat_b1l37");
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
    return cmocka_run_group_tests(tests, wt_block1_setup, NULL);
}
