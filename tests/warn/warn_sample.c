/* warn_sample OUT_DIR STATUS: drive a warning context through every kind of message
 * (impact Alert, Updates, overflight Alert, Cancel of a withdrawn threat, Cancel of a false
 * track, all-clears) with synthetic tracks, writing OUT_DIR/alerts/. Used by
 * cap_schema.sh to check every file with xmllint against the OASIS schema. */
#include <stdio.h>
#include <string.h>

#include "warn_test_util.h"

static int feed(mwx_warn_t *w, const mwx_rec_track_t *k)
{
    mwx_err_t err = {0};
    if (mwx_warn_track(w, k, &err)) {
        fprintf(stderr, "warn_sample: %s\n", err.msg);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    mwx_warn_config_t cfg = {0};
    mwx_warn_t *w;
    mwx_err_t err = {0};
    mwx_warn_stats_t st;
    double epoch;
    int bad = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: warn_sample OUT_DIR Exercise|Test\n");
        return 2;
    }
    if (mwx_time_parse("2026-11-22T03:00:00Z", &epoch, &err) != MWX_OK) {
        fprintf(stderr, "warn_sample: %s\n", err.msg);
        return 1;
    }
    cfg.node = "KR";
    cfg.run_id = "sample";
    cfg.source = MWX_WARN_SOURCE_SIMULATED;
    cfg.status = strcmp(argv[2], "Test") == 0 ? MWX_STATUS_TEST : MWX_STATUS_EXERCISE;
    cfg.epoch_unix_s = epoch;
    cfg.regions_path = WT_REGIONS;
    cfg.out_dir = argv[1];
    if (mwx_warn_create(&cfg, &w, &err)) {
        fprintf(stderr, "warn_sample: %s\n", err.msg);
        return 1;
    }
    /* track 1: impact on Tokyo with overflight of Korea and Honshu; grows to Kanagawa
     * (Update), impact time moves (Update), then all-clear after impact */
    for (int i = 0; i < 30 && !bad; i++) {
        double a = i < 10 ? 10 : 60;
        mwx_rec_track_t k = wt_track("KR-1", 100 + i, 37.5, 126.5 + 0.3 * i, 300e3, 35.69, 139.70,
                                     i < 20 ? 400 : 415, a, 8, 20);
        bad |= feed(w, &k);
    }
    /* track 2: threatens Busan, then the prediction moves to sea: Cancel */
    for (int i = 0; i < 30 && !bad; i++) {
        mwx_rec_track_t k =
            wt_track("KR-2", 130 + i, 36.0, 124.0 + 0.1 * i, 200e3, i < 10 ? 35.18 : 34.0,
                     i < 10 ? 129.07 : 131.5, 500, 15, 10, 0);
        bad |= feed(w, &k);
    }
    /* track 3: threatens Jeju, judged false */
    for (int i = 0; i <= 6 && !bad; i++) {
        mwx_rec_track_t k =
            wt_track("KR-3", 170 + i, 34.0, 125.0, 100e3, 33.38, 126.55, 400, 20, 20, 0);
        bad |= feed(w, &k);
    }
    bad |= mwx_warn_end_track(w, "KR-3", 177, MWX_WARN_END_FALSE, &err) != 0;
    /* time passes beyond every impact: all-clears */
    bad |= mwx_warn_tick(w, 600, &err) != 0;
    mwx_warn_get_stats(w, &st);
    printf("warn_sample: %llu alerts, %llu updates, %llu cancels\n",
           (unsigned long long)st.cap_alert, (unsigned long long)st.cap_update,
           (unsigned long long)st.cap_cancel);
    mwx_warn_free(w);
    if (bad || st.cap_alert < 3 || st.cap_update < 2 || st.cap_cancel < 3) {
        fprintf(stderr, "warn_sample: did not produce every message kind\n");
        return 1;
    }
    return 0;
}
