/* What a node pays for its picture per track update (issue 17, docs/BENCHMARKS.md "Soak:
 * where a node's time goes"), each design beside the one before it, in the same run:
 *
 *   views: a warning context (durable, as `mwx node` runs it) fed a track over the sea
 *     updated every second of scenario time, so that every update rewrites the track's
 *     CoT event and latest.geojson. Per-rewrite fsync (before) against defer_view_sync
 *     with mwx_warn_sync_views every SYNC_EVERY updates (the node's once-a-second sync at
 *     SYNC_EVERY x). Wall time per update, the two alternated ROUNDS times (the machine is
 *     shared: the median round is reported).
 *   web: mwx_web_publish of track records with no browser connected (records kept, encoded
 *     when read) against mwx_record_to_json of the same records (what every publish did
 *     before, the least of its cost). CPU time per record.
 *
 * Files go under the build's file system (the node's outputs are there), in a temporary
 * folder removed at the end. Usage: picture_cost [updates] [sync_every]. */
#define _POSIX_C_SOURCE 200809L
#include "mwx/core.h"
#include "mwx/warn.h"
#include "mwx/web.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "warn/warn_test_util.h"

#define ROUNDS 5

/* One context's run: us per update (wall). */
static double views_run(const char *dir, double epoch, int deferred, int n, int sync_every)
{
    mwx_warn_config_t cfg = {0};
    mwx_warn_policy_t pol;
    mwx_warn_t *w;
    mwx_err_t err = {0};
    mwx_warn_policy_default(&pol);
    pol.launch_notice = 0;
    cfg.node = "JP";
    cfg.source = MWX_WARN_SOURCE_SIMULATED;
    cfg.status = MWX_STATUS_EXERCISE;
    cfg.epoch_unix_s = epoch;
    cfg.regions_path = WT_REGIONS;
    cfg.out_dir = dir;
    cfg.policy = &pol;
    cfg.durable = 1;
    cfg.defer_view_sync = deferred;
    if (mwx_warn_create(&cfg, &w, &err)) {
        fprintf(stderr, "picture_cost: %s\n", err.msg);
        exit(1);
    }
    double t0 = mwx_time_wall();
    for (int i = 0; i < n; i++) {
        /* over the Sea of Japan, bound for the sea: no message, only the picture */
        mwx_rec_track_t k =
            wt_track("JP-8", 100 + i, 40.0, 132.0, 200e3, 40.5, 134.0, 100 + n + 600, 10, 5, 0);
        if (mwx_warn_track(w, &k, &err) ||
            (deferred && (i + 1) % sync_every == 0 && mwx_warn_sync_views(w, &err))) {
            fprintf(stderr, "picture_cost: %s\n", err.msg);
            exit(1);
        }
    }
    if (deferred && mwx_warn_sync_views(w, &err)) {
        fprintf(stderr, "picture_cost: %s\n", err.msg);
        exit(1);
    }
    double dt = mwx_time_wall() - t0;
    mwx_warn_stats_t st;
    mwx_warn_get_stats(w, &st);
    if (st.cot_events < (uint64_t)n) {
        fprintf(stderr, "picture_cost: %llu CoT events for %d updates\n",
                (unsigned long long)st.cot_events, n);
        exit(1);
    }
    mwx_warn_free(w);
    return dt / n * 1e6;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    int sync_every = argc > 2 ? atoi(argv[2]) : 200;
    double epoch;
    mwx_err_t err = {0};
    char base[512], dir[600], cmd[700];
    if (n < 10 || sync_every < 1) {
        fprintf(stderr, "usage: picture_cost [updates >= 10] [sync_every >= 1]\n");
        return 2;
    }
    if (mwx_time_parse("2026-11-22T03:00:00Z", &epoch, &err))
        return 1;
    snprintf(base, sizeof base, "%s", "bench-picture-XXXXXX");
    if (!mkdtemp(base)) {
        snprintf(base, sizeof base, "%s", "/tmp/bench-picture-XXXXXX");
        if (!mkdtemp(base))
            return 3;
    }

    /* ---- views */
    double each[ROUNDS], deferred[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        snprintf(dir, sizeof dir, "%s/each-%d", base, r);
        mkdir(dir, 0755);
        each[r] = views_run(dir, epoch, 0, n, sync_every);
        snprintf(dir, sizeof dir, "%s/deferred-%d", base, r);
        mkdir(dir, 0755);
        deferred[r] = views_run(dir, epoch, 1, n, sync_every);
    }
    qsort(each, ROUNDS, sizeof each[0], bench_cmp_double);
    qsort(deferred, ROUNDS, sizeof deferred[0], bench_cmp_double);
    printf("views: %d track updates (CoT + latest.geojson rewritten each), median of %d rounds\n",
           n, ROUNDS);
    printf("  fsync at each rewrite (before)      %9.1f us/update (min %.1f, max %.1f)\n",
           each[ROUNDS / 2], each[0], each[ROUNDS - 1]);
    printf("  deferred, synced every %4d updates %9.1f us/update (min %.1f, max %.1f)\n",
           sync_every, deferred[ROUNDS / 2], deferred[0], deferred[ROUNDS - 1]);
    printf("  ratio before/after                  %9.2f\n",
           each[ROUNDS / 2] / deferred[ROUNDS / 2]);

    /* ---- web */
    char assets[640], page[700];
    snprintf(assets, sizeof assets, "%s/assets", base);
    mkdir(assets, 0755);
    snprintf(page, sizeof page, "%s/index.html", assets);
    FILE *fp = fopen(page, "w");
    if (!fp)
        return 3;
    fputs("<!doctype html><title>bench</title>\n", fp);
    fclose(fp);
    mwx_web_t *web;
    if (mwx_web_start(NULL, 0, assets, &web, &err)) {
        fprintf(stderr, "picture_cost: %s\n", err.msg);
        return 3;
    }
    int m = n * 20;
    mwx_record_t *recs = calloc(64, sizeof *recs);
    if (!recs)
        return 1;
    for (int i = 0; i < 64; i++) {
        char id[16];
        snprintf(id, sizeof id, "JP-%d", i % 16);
        recs[i].type = MWX_REC_TRACK;
        recs[i].u.track = wt_track(id, 100 + i, 40.0, 132.0, 200e3, 40.5, 134.0, 900, 10, 5, 0);
        mwx_strlcpy(recs[i].u.track.node, "JP", sizeof recs[i].u.track.node);
        mwx_strlcpy(recs[i].u.track.sources, "JP,KR", sizeof recs[i].u.track.sources);
    }
    double enc[ROUNDS], pub[ROUNDS];
    size_t sink = 0;
    for (int r = 0; r < ROUNDS; r++) {
        double c0 = bench_process_cpu_s();
        for (int i = 0; i < m; i++) {
            char *line = mwx_record_to_json(&recs[i % 64]);
            sink += line ? strlen(line) : 0;
            free(line);
        }
        double c1 = bench_process_cpu_s();
        for (int i = 0; i < m; i++)
            if (mwx_web_publish(web, &recs[i % 64], &err)) {
                fprintf(stderr, "picture_cost: %s\n", err.msg);
                return 1;
            }
        double c2 = bench_process_cpu_s();
        enc[r] = (c1 - c0) / m * 1e6;
        pub[r] = (c2 - c1) / m * 1e6;
    }
    qsort(enc, ROUNDS, sizeof enc[0], bench_cmp_double);
    qsort(pub, ROUNDS, sizeof pub[0], bench_cmp_double);
    printf("web: %d track records a round, no browser connected, median of %d rounds (CPU)\n", m,
           ROUNDS);
    printf("  mwx_record_to_json (before, at least) %7.2f us/record (%zu bytes encoded)\n",
           enc[ROUNDS / 2], sink / (size_t)(m * ROUNDS));
    printf("  mwx_web_publish (kept as a record)    %7.2f us/record\n", pub[ROUNDS / 2]);
    printf("  ratio before/after                    %7.2f\n", enc[ROUNDS / 2] / pub[ROUNDS / 2]);
    mwx_web_stop(web);
    free(recs);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    return system(cmd) == 0 ? 0 : 1;
}
