/* A second track of a warned threat continues its series (issue 17; docs/WARNING_POLICY.md
 * "One threat, one series", (f)). test_second_track_continues_fan: soak block 1, KR, launch
 * B1L37 (deterministic in `mwx run`
 * of the block). Fusion held two tracks of the missile: KR-F52 drew the boost fan (Alert at
 * t = 16,813) and went silent at 16,854.7, still in boost; KR-F54, the same launch
 * estimate (a fit: 39.19 N 127.47 E, 16,769 s), settled at 16,899 and sent its own
 * overflight Alert at 16,901 naming KR-27, -31, -42, -43, -47 and -48, all in KR-F52's fan
 * series, still open (its Cancel at 16,944): a second siren for one missile. KR-F52's
 * boost-phase state, carried 46 s under gravity alone, lay outside the 50 km gate, and
 * launch estimates counted only for launch notices. The recorded states
 * (tests/warn/data/b1l37_kr.txt) are fed to a KR context as the node fed them.
 * test_burn_cut_short, test_lost_after_boost: the week soak's KR B7L46 and B6L31, tracks
 * last updated 9 and 8 s after their last update in boost (below). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>

#include "warn_test_recorded.h"

#define DATA MWX_SOURCE_DIR "/tests/warn/data/b1l37_kr.txt"

#define T_IMPACT 17192.0 /* KR-F54's predicted impact time */

/* Feed the recorded states of path (tests/warn/data/) in their order as KR-F<number>, the
 * clock ticking each second from tick between them and then to t_end; with behind > 0 it
 * ticks once a second of the states' time but that far behind them (never back), as a
 * node whose own tracking lags its partners' reports does. A negative number is the
 * node's ending of the track (LOST). Its sources: the line's last column, else
 * sources(number). Returns the number of states fed. */
static int run_recorded(fixture_t *f, const char *path, double tick, double t_end, double behind,
                        const char *(*sources)(int id))
{
    FILE *in = fopen(path, "r");
    char line[2048];
    int n = 0;
    double next_s = -INFINITY;
    mwx_err_t err = {0};
    assert_non_null(in);
    while (fgets(line, sizeof line, in)) {
        mwx_rec_track_t k;
        int id, at = 0;
        char src[64] = "";
        if (line[0] == '#')
            continue;
        assert_int_equal(sscanf(line, "%d%n", &id, &at), 1);
        at += wt_parse_state(line + at, &k); /* then the sources, if given */
        if (sscanf(line + at, "%63s", src) != 1 && sources)
            snprintf(src, sizeof src, "%s", sources(abs(id)));
        if (behind > 0 && k.t >= next_s) {
            tick = fmax(tick, k.t - behind);
            next_s = floor(k.t) + 1;
            if (mwx_warn_tick(f->w, tick, &err))
                fail_msg("mwx_warn_tick: %s", err.msg);
        }
        for (; behind <= 0 && tick < k.t; tick += 1)
            if (mwx_warn_tick(f->w, tick, &err))
                fail_msg("mwx_warn_tick: %s", err.msg);
        snprintf(k.track_id, sizeof k.track_id, "KR-F%d", abs(id));
        snprintf(k.sources, sizeof k.sources, "%s", src);
        /* an ending of a track the context no longer holds: nothing to end (as the node) */
        int rc = id < 0 ? mwx_warn_end_track(f->w, k.track_id, k.t, MWX_WARN_END_LOST, &err)
                        : mwx_warn_track(f->w, &k, &err);
        if (rc && !(id < 0 && rc == MWX_ENOTFOUND))
            fail_msg("%s: %s", id < 0 ? "mwx_warn_end_track" : "mwx_warn_track", err.msg);
        n++;
    }
    fclose(in);
    for (; tick <= t_end; tick += 1)
        if (mwx_warn_tick(f->w, tick, &err))
            fail_msg("mwx_warn_tick: %s", err.msg);
    return n;
}

/* With WT_DUMP set: the CAP messages, times from t0. */
static void dump_caps(const fixture_t *f, double t0)
{
    if (!getenv("WT_DUMP"))
        return;
    for (int i = 0; i < f->log.n; i++)
        if (f->log.out[i] == MWX_WARN_OUT_CAP)
            printf("%.2f %s %d %d n=%d\n", f->log.rec[i].t - t0, f->log.rec[i].identifier,
                   f->log.rec[i].kind, f->log.rec[i].msg_type, f->log.rec[i].n_regions);
}

/* b1l37_kr.txt has no sources column */
static const char *b1l37_sources(int id)
{
    return id == 54 ? "JP,KR,US" : id == 53 ? "US" : "KR";
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
    assert_int_equal(run_recorded(&f, DATA, 16806.0, T_IMPACT + 60, 0, b1l37_sources), 175);
    dump_caps(&f, 0);

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

/* Soak week at 150x (2026-12-07), block 7, launch B7L46 (39.17 N 127.48 E, t = 222,420 s,
 * burn to about +95 s; impact 35.2 N 129.1 E) as KR's node saw it: the fused states of
 * tests/warn/data/b7l46_kr.txt (one a second per track, taken from the soak's recording
 * segments). KR-F1048 (KR, US) drew the boost fan (Alert +47 s) and ended at +75.5 s on
 * US's track alone, which had called the missile ballistic from +59 s while it still
 * thrust: its last update (+72.5 s) ballistic, 9 s after its last in boost (its ending
 * report predicted an impact at 38.5 N: a burn taken for over). KR-F1049 (JP's track,
 * then JP, KR, US) settled at +134 s and sent its own overflight Alert while KR-F1048's
 * fan series was still open: two overflight series of one missile naming KR-42. */
static void test_burn_cut_short(void **st)
{
    fixture_t f;
    int alerts[4] = {0}, cancels[4] = {0}, imp_alerts_t = 0;
    (void)st;
    wt_open_kr(&f, "threat_b7l46");
    assert_int_equal(run_recorded(&f, MWX_SOURCE_DIR "/tests/warn/data/b7l46_kr.txt", 222450.0,
                                  222950.0, 0, NULL),
                     407);
    dump_caps(&f, 222420);
    for (int i = 0; i < f.log.n; i++) {
        const mwx_rec_alert_t *r = &f.log.rec[i];
        if (f.log.out[i] != MWX_WARN_OUT_CAP)
            continue;
        if (r->msg_type == MWX_MSG_ALERT) {
            alerts[r->kind]++;
            if (r->kind == MWX_ALERT_IMPACT)
                imp_alerts_t = (int)(r->t - 222420);
        }
        if (r->msg_type == MWX_MSG_CANCEL)
            cancels[r->kind]++;
        /* every overflight message is of KR-F1048's series (the fan's, from +47 s): after
         * its end, KR-F1049 continues it with Updates (before: its own Alert at +134 s
         * naming KR-27, -31, -42, -43, -47, -48, all in the fan's open series) */
        if (r->kind == MWX_ALERT_OVERFLIGHT)
            assert_non_null(strstr(r->identifier, ".KR-F1048.overflight."));
    }
    /* the shape of the run: KR-F1049's impact Alert (KR-26) at +134 s */
    assert_int_equal(alerts[MWX_ALERT_IMPACT], 1);
    assert_int_equal(imp_alerts_t, 134);
    assert_int_equal(alerts[MWX_ALERT_LAUNCH], 1);
    assert_int_equal(alerts[MWX_ALERT_OVERFLIGHT], 1);
    assert_int_equal(cancels[MWX_ALERT_LAUNCH], 1);
    assert_int_equal(cancels[MWX_ALERT_OVERFLIGHT], 1);
    assert_int_equal(cancels[MWX_ALERT_IMPACT], 1);
    mwx_warn_free(f.w);
}

/* The week soak's KR B6L31 (a launch from the same site towards Fukuoka, t = 186,870 s):
 * fusion's KR-F861 (KR, US) drew the fan (Alert +41 s, KR-42, then seven regions) and
 * ended at +81.5 s, its last update 8 s after its last in boost; KR-F863 (US's track
 * that left it, then JP, KR, US), held apart from it by (d) while both flew, drew its own
 * fan of KR-41 (no region of KR-F861's series: its own to send, cancelled at +103 s),
 * then settled at +133 s and sent an overflight Alert of KR-31, -42, -43, -47 and -48,
 * all in KR-F861's open series. tests/warn/data/b6l31_kr.txt: every state from +55 to
 * +140 s, one a second besides (one a second throughout, the run parts otherwise). */
static void test_lost_after_boost(void **st)
{
    fixture_t f;
    int ov_alerts = 0;
    (void)st;
    wt_open_kr(&f, "threat_b6l31");
    assert_int_equal(run_recorded(&f, MWX_SOURCE_DIR "/tests/warn/data/b6l31_kr.txt", 186890.0,
                                  187450.0, 0, NULL),
                     904);
    dump_caps(&f, 186870);
    for (int i = 0; i < f.log.n; i++) {
        const mwx_rec_alert_t *r = &f.log.rec[i];
        if (f.log.out[i] != MWX_WARN_OUT_CAP || r->kind != MWX_ALERT_OVERFLIGHT)
            continue;
        if (r->msg_type == MWX_MSG_ALERT) {
            ov_alerts++;
            /* the fan's Alert (KR-42) and KR-F863's of KR-41; no region named twice */
            assert_int_equal(r->n_regions, 1);
            assert_true(names(r, ov_alerts == 1 ? "KR-42" : "KR-41"));
        }
        /* the settled corridor (+133 s) continues KR-F861's series */
        if (r->t - 186870 > 120)
            assert_non_null(strstr(r->identifier, ".KR-F861.overflight."));
    }
    assert_int_equal(ov_alerts, 2);
    mwx_warn_free(f.w);
}

/* The week soak at 150x (loaded), KR: a lost track's launch notice goes on with the track
 * that stood for it. B12L19: KR-F2604, a fused track of one instant (opened and ended at
 * +37 s, no launch estimate), sent the notice; KR-F2605, the missile's track 16 s later,
 * stood for it (same threat by where it was). At the lost track's hold (+97 s) its state,
 * carried 60 s without the thrust that went on, was out of the gate and it had no launch
 * estimate: the notice was cancelled while the missile flew, and KR-F2607 (JP's track of
 * it, linked to KR-F2605) sent a second notice at +351 s. B7L25: KR-F1535 sent the notice,
 * was ended on JP's track alone (its launch estimate dropped with the sources that left),
 * KR-F1537 stood for it; the notice was cancelled at the hold, and KR-F1535, relinked,
 * sent it again. tests/warn/data/b12l19_kr.txt and b7l25_kr.txt: every fused state
 * of the tracks but the main one's (one a second) as the node fed them. */
static void check_one_notice(const char *data, const char *name, double t0, double t_end,
                             double t_impact)
{
    fixture_t f;
    int alerts = 0, cancels = 0;
    wt_open_kr(&f, name);
    run_recorded(&f, data, t0, t_end, 0, NULL);
    dump_caps(&f, t0);
    for (int i = 0; i < f.log.n; i++) {
        const mwx_rec_alert_t *r = &f.log.rec[i];
        if (f.log.out[i] != MWX_WARN_OUT_CAP || r->kind != MWX_ALERT_LAUNCH)
            continue;
        alerts += r->msg_type == MWX_MSG_ALERT;
        if (r->msg_type == MWX_MSG_CANCEL) {
            cancels++;
            assert_true(r->t > t_impact); /* the all-clear, after the flight */
        }
    }
    assert_int_equal(alerts, 1);
    assert_int_equal(cancels, 1);
    mwx_warn_free(f.w);
}

static void test_notice_goes_to_its_stand_in(void **st)
{
    (void)st;
    check_one_notice(MWX_SOURCE_DIR "/tests/warn/data/b12l19_kr.txt", "threat_b12l19", 354290.0,
                     354800.0, 354692.0);
    check_one_notice(MWX_SOURCE_DIR "/tests/warn/data/b7l25_kr.txt", "threat_b7l25", 212990.0,
                     213700.0, 213500.0);
}

/* The week soak at 150x on a loaded machine, KR B17L45: KR's own tracking ran 120 s behind
 * its partners' reports, and the node ticks its warning context at its own time. KR-F3729
 * (JP, US) drew the boost fan (KR-42, then KR-41, -42, -47) and fell silent in boost at
 * +87 s when US's track left it for KR-F3730; KR-F3730 settled and, at +158 s, sent an
 * overflight Alert of KR-42, still in KR-F3729's open series, which went on when
 * KR-F3730 folded back into it at +240 s: two series of one missile naming KR-42. The
 * context judged a track stale by the clock of its last input: the lagging tick never
 * found KR-F3729 lost, so its series was no lost track's to take over. Stale is judged
 * against the newest time the context has seen now; with the clock on time or behind by
 * up to 200 s, one overflight series. */
static void test_lagging_clock(void **st)
{
    static const double behind[] = {0, 60, 120, 200};
    (void)st;
    for (size_t b = 0; b < sizeof behind / sizeof behind[0]; b++) {
        fixture_t f;
        int alerts[4] = {0}, cancels[4] = {0};
        wt_open_kr(&f, "threat_b17l45");
        assert_int_equal(run_recorded(&f, MWX_SOURCE_DIR "/tests/warn/data/b17l45_kr.txt", 509996.0,
                                      510700.0, behind[b], NULL),
                         644);
        dump_caps(&f, 509969);
        for (int i = 0; i < f.log.n; i++) {
            const mwx_rec_alert_t *r = &f.log.rec[i];
            if (f.log.out[i] != MWX_WARN_OUT_CAP)
                continue;
            alerts[r->kind] += r->msg_type == MWX_MSG_ALERT;
            cancels[r->kind] += r->msg_type == MWX_MSG_CANCEL;
            if (r->kind == MWX_ALERT_OVERFLIGHT)
                assert_non_null(strstr(r->identifier, ".KR-F3729.overflight."));
        }
        assert_int_equal(alerts[MWX_ALERT_LAUNCH], 1);
        assert_int_equal(alerts[MWX_ALERT_OVERFLIGHT], 1);
        assert_int_equal(cancels[MWX_ALERT_LAUNCH], 1);
        assert_int_equal(cancels[MWX_ALERT_OVERFLIGHT], 1);
        mwx_warn_free(f.w);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lagging_clock),
        cmocka_unit_test(test_notice_goes_to_its_stand_in),
        cmocka_unit_test(test_second_track_continues_fan),
        cmocka_unit_test(test_burn_cut_short),
        cmocka_unit_test(test_lost_after_boost),
    };
    return cmocka_run_group_tests(tests, wt_block1_setup, NULL);
}
