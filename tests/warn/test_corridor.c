/* One track's corridor is not warned twice (issue 17; docs/WARNING_POLICY.md "Low flight"):
 * soak block 1 at 200x, KR, launch B1L17 (Sunan -> Gwangju, 90 s burn). KR's fused track
 * of it (KR-F228, sources JP) settled at t = 7,891, 0.5 km below 100 km on the climb: the
 * low-flight rule put the corridor's regions (KR-28, -29, -41, -44, -45, -46) in the impact
 * series, the boost fan's last regions left the overflight series 10 s later (its Cancel),
 * and once the missile was above 100 km the impact series released KR-28, -41, -44 and -45
 * (30 s after its Alert, the release batch) straight into a fresh overflight Alert: a
 * second siren for one missile in regions warned throughout (the same at KR B0L17 in an
 * earlier soak). `mwx run` of the block does not show it (its fused track settled 22 s
 * later, above 100 km), so the track is fed here: JP's own track of the missile from
 * `mwx run` of the block (tests/warn/data/b1l17_jp19.txt), as a KR node's fused track. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>

#include "warn_test_recorded.h"

#define DATA MWX_SOURCE_DIR "/tests/warn/data/b1l17_jp19.txt"

#define T_IMPACT 8192.0 /* the track's predicted impact time (the truth's is 8,192 s too) */

/* Feed the recorded states as KR-F228, then let time pass to the all-clear. Returns the
 * number of states fed. */
static int run_b1l17(fixture_t *f)
{
    FILE *in = fopen(DATA, "r");
    char line[2048];
    int n = 0;
    mwx_err_t err = {0};
    assert_non_null(in);
    while (fgets(line, sizeof line, in)) {
        mwx_rec_track_t k;
        if (line[0] == '#')
            continue;
        wt_parse_state(line, &k);
        snprintf(k.track_id, sizeof k.track_id, "KR-F228");
        snprintf(k.sources, sizeof k.sources, "JP");
        if (mwx_warn_track(f->w, &k, &err))
            fail_msg("mwx_warn_track: %s", err.msg);
        n++;
    }
    fclose(in);
    for (double t = 8063; t <= T_IMPACT + 60; t += 1)
        if (mwx_warn_tick(f->w, t, &err))
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

static int cap(const fixture_t *f, int i, mwx_alert_kind_t kind)
{
    return f->log.out[i] == MWX_WARN_OUT_CAP && f->log.rec[i].kind == kind;
}

/* The regions each impact or overflight series warns of now (its latest message), replayed
 * message by message: for region, when it was last warned and how many times its warning
 * ended (all messages of one instant taken together: a region handed from one series to
 * another at one instant stays warned). */
static void warned_spans(const fixture_t *f, const char *region, double *end_t, int *ends)
{
    char series[16][128];
    int on[16] = {0}, ns = 0, was = 0;
    *ends = 0;
    *end_t = NAN;
    for (int i = 0; i < f->log.n; i++) {
        const mwx_rec_alert_t *r = &f->log.rec[i];
        char name[128];
        int k, now = 0;
        if (f->log.out[i] != MWX_WARN_OUT_CAP || r->kind == MWX_ALERT_LAUNCH)
            continue;
        snprintf(name, sizeof name, "%s", r->identifier);
        *strrchr(name, '.') = '\0'; /* the series: identifier without its serial */
        for (k = 0; k < ns && strcmp(series[k], name) != 0; k++)
            ;
        if (k == ns) {
            assert_true(ns < 16);
            snprintf(series[ns++], sizeof series[0], "%s", name);
        }
        on[k] = r->msg_type != MWX_MSG_CANCEL && names(r, region);
        int later = 0; /* the rest of this instant first */
        for (int j = i + 1; j < f->log.n && f->log.rec[j].t == r->t && !later; j++)
            later = f->log.out[j] == MWX_WARN_OUT_CAP;
        if (later)
            continue;
        for (int j = 0; j < ns; j++)
            now |= on[j];
        if (was && !now) {
            (*ends)++;
            *end_t = r->t;
        }
        was = now;
    }
}

static void test_corridor_not_warned_twice(void **st)
{
    fixture_t f;
    static const char *corridor[] = {"KR-28", "KR-41", "KR-44", "KR-45"};
    int n_ov_alerts = 0, n_imp_alerts = 0;
    double t_imp_alert = NAN, t_ov_cancel = NAN;
    (void)st;
    wt_open_kr(&f, "corridor_b1l17");
    assert_int_equal(run_b1l17(&f), 142);

    for (int i = 0; i < f.log.n; i++) {
        const mwx_rec_alert_t *r = &f.log.rec[i];
        if (cap(&f, i, MWX_ALERT_OVERFLIGHT) && r->msg_type == MWX_MSG_ALERT)
            n_ov_alerts++;
        if (cap(&f, i, MWX_ALERT_OVERFLIGHT) && r->msg_type == MWX_MSG_CANCEL && isnan(t_ov_cancel))
            t_ov_cancel = r->t;
        if (cap(&f, i, MWX_ALERT_IMPACT) && r->msg_type == MWX_MSG_ALERT) {
            n_imp_alerts++;
            t_imp_alert = r->t;
        }
    }
    /* the shape of the soak: the impact Alert below 100 km names the corridor, the boost
     * fan's overflight series ends 10 s later (release_hold_s) */
    assert_int_equal(n_imp_alerts, 1);
    assert_float_equal(t_imp_alert, 7891.467, 0.01);
    assert_float_equal(t_ov_cancel, 7901.467, 0.01);
    /* one overflight Alert (the fan's), not a second one of the corridor (before: a second
     * at 7,921.5 naming KR-28, -41, -44, -45) */
    assert_int_equal(n_ov_alerts, 1);

    /* each corridor region warned without a gap from the impact Alert until its warning
     * ends, by a single Alert per kind */
    for (size_t c = 0; c < sizeof corridor / sizeof corridor[0]; c++) {
        int alerts[4] = {0};
        for (int i = 0; i < f.log.n; i++) {
            const mwx_rec_alert_t *r = &f.log.rec[i];
            if (f.log.out[i] == MWX_WARN_OUT_CAP && r->msg_type == MWX_MSG_ALERT &&
                names(r, corridor[c]))
                alerts[r->kind]++;
        }
        assert_int_equal(alerts[MWX_ALERT_IMPACT], 1);
        assert_true(alerts[MWX_ALERT_OVERFLIGHT] <= 1); /* the fan's */
    }
    /* ... warned without a gap until the missile has passed, and released then: Incheon
     * and Gyeonggi, which the overflight series released at 8,016.5 and 8,054.5 without
     * the fix (10 s after the corridor left them), leave the impact series within 10 s
     * before to 5 s after that; South Chungcheong and North Jeolla, under the rest of the path, stay warned to
     * the all-clear (30 s after the predicted impact) */
    {
        static const struct {
            const char *id;
            double lo, hi;
        } end[] = {{"KR-28", 8006.5, 8021.5},
                   {"KR-41", 8044.5, 8059.5},
                   {"KR-44", T_IMPACT + 30.0, T_IMPACT + 31.0},
                   {"KR-45", T_IMPACT + 30.0, T_IMPACT + 31.0}};
        for (size_t c = 0; c < sizeof end / sizeof end[0]; c++) {
            double t_end;
            int ends;
            warned_spans(&f, end[c].id, &t_end, &ends);
            assert_int_equal(ends, 1);
            if (t_end < end[c].lo || t_end > end[c].hi)
                fail_msg("%s: warning ended at %.1f, expected in [%.1f, %.1f]", end[c].id, t_end,
                         end[c].lo, end[c].hi);
        }
    }
    mwx_warn_free(f.w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corridor_not_warned_twice),
    };
    return cmocka_run_group_tests(tests, wt_block1_setup, NULL);
}
