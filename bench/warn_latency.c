/* Public-warning latency: a track update in, the CAP file on disk out.
 *
 * Method (one process, the real 66 regions, files under DIR/mwx-warn-bench-PID):
 *   1. update -> CAP: each update moves the predicted impact time by 20 s (over the 10 s
 *      Update threshold), so every call decides both series (impact ellipse, ground-track
 *      corridor) and writes two CAP 1.2 files (three languages each), then rewrites
 *      latest.geojson and alerts.atom (and the track's CoT event once per scenario second).
 *      Two clocks, both started just before mwx_warn_track():
 *        - "CAP files on disk": stopped in the emit callback of the call's last CAP file,
 *          which runs once that file has its name (complete, atomic: O_TMPFILE + linkat);
 *          this is what the public receives, and what the goal (< 1 ms) is about;
 *        - "whole call": stopped when mwx_warn_track() returns; it adds the GeoJSON, Atom
 *          and CoT files (written after the CAP files) and the allocation of inodes for the
 *          next messages' files (mwxi_warn_inodes_fill).
 *      Wall time and the thread's CPU time, p50 / p99 / max.
 *   2. update, no message: the same track with a steady prediction (decision, CoT and
 *      GeoJSON at their cadence).
 *   3. baselines: writing one new file of the CAP file's size as CAP files are written
 *      (O_TMPFILE + linkat, the inode allocated then), before the updates; and one atomic
 *      rewrite of an existing file with tmp + rename (the earlier method), at the end,
 *      since it frees an inode per write (see below).
 *   4. region tests: mwx_regions_in_ellipse() on ellipses spread over north-east Asia
 *      (centres 24..46 N, 123..146 E, semi-major 5..300 km, random orientation), each
 *      tested against all 66 regions (STRtree + prepared geometries); reported as queries/s
 *      and region tests/s (= queries x 66); and the cost of building the 72-vertex
 *      geodesic polygon alone.
 *   5. signed CAP (docs/WARNING_POLICY.md, "Signed CAP"): step 1 again on a second
 *      context whose CAP files are signed (ECDSA P-256 alerting key, xmlsec), beside the
 *      unsigned figures of the same run; and mwx_cap_sign() / mwx_cap_verify() alone on
 *      the last CAP text (parse + canonicalise + digest + ECDSA, and the splice).
 * Usage: warn_latency [N [DIR]]   (default 2000 updates under /tmp; a few seconds). Run
 * it with DIR on tmpfs (/dev/shm) too. On ext4 without a journal (this VM's disk) creating
 * a file scans every inode of its block group freed in the last minute or more
 * (recently_deleted() in the kernel): the new-file baseline shows that state, which other
 * processes deleting files near DIR (compilers in /tmp, this benchmark's own clean-up)
 * set. Leave a few minutes between ext4 runs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mwx/share.h"
#include "mwx/warn.h"
#include "warn/warn_internal.h"

#define REGIONS MWX_SOURCE_DIR "/data/regions/northeast-asia.geojson"

/* CPU time of this thread: what the work costs us, apart from waiting for the (shared,
 * loaded) machine's scheduler and disk. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The emit callback runs right after each file got its name: the CAP clock stops there. */
typedef struct capclock {
    char last_cap[256];
    double wall, cpu; /* when the latest CAP file of the call was on disk */
    int n;            /* CAP files in the call */
} capclock_t;

static void on_emit(void *user, mwx_warn_output_t out, const mwx_rec_alert_t *rec)
{
    capclock_t *c = user;
    if (out != MWX_WARN_OUT_CAP)
        return;
    c->wall = mwx_time_mono();
    c->cpu = cpu_now();
    c->n++;
    snprintf(c->last_cap, sizeof c->last_cap, "%s", rec->file);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    printf("  %-42s p50 %8.1f us   p99 %8.1f us   max %8.1f us   (n=%d)\n", what, v[n / 2] * 1e6,
           v[(int)(n * 0.99)] * 1e6, v[n - 1] * 1e6, n);
}

static mwx_rec_track_t track(double t, double it)
{
    mwx_rec_track_t k;
    mwx_earth_t wgs = mwx_earth_wgs84();
    mwx_geo_t g = {37.0 * MWX_DEG, 134.0 * MWX_DEG, 250e3};
    memset(&k, 0, sizeof k);
    k.t = t;
    strcpy(k.node, "JP");
    strcpy(k.track_id, "JP-1");
    mwx_geo_to_ecef(&wgs, &g, k.ecef_m);
    k.vel_mps[0] = -1500;
    k.vel_mps[2] = -500;
    k.cov_pos_m2[0] = k.cov_pos_m2[3] = k.cov_pos_m2[5] = 1e4;
    k.phase = MWX_PHASE_BALLISTIC;
    k.confirmed = 1;
    k.impact.valid = 1;
    k.impact.lat = 35.69;
    k.impact.lon = 139.70;
    k.impact.t = it;
    k.impact.semi_major_km = 30;
    k.impact.semi_minor_km = 12;
    k.impact.orientation_deg = 70;
    return k;
}

static double urand(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (*s >> 8) / 16777216.0;
}

/* One new file of `size` bytes, written as CAP files are (the inode allocated now). */
static void new_file_baseline(const char *dir, size_t size, double *lat, double *cpu, int n)
{
    char *blob = malloc(size), name[64];
    mwx_err_t err = {0};
    memset(blob, 'x', size);
    for (int i = 0; i < n; i++) {
        double t0, c0;
        snprintf(name, sizeof name, "baseline-new-%d.bin", i);
        t0 = mwx_time_mono();
        c0 = cpu_now();
        mwxi_warn_write_new(NULL, dir, name, blob, size, 0, &err);
        lat[i] = mwx_time_mono() - t0;
        cpu[i] = cpu_now() - c0;
    }
    free(blob);
}

/* Step 1 on context w: n updates, each issuing an Update in both series. */
static int updates(mwx_warn_t *w, capclock_t *cc, int n, double *lat, double *cpu, double *lat_cap,
                   double *cpu_cap)
{
    mwx_err_t err = {0};
    mwx_warn_stats_t st0, st1;
    mwx_rec_track_t k;
    mwx_warn_get_stats(w, &st0);
    for (int i = 0; i < n; i++) {
        k = track(7 + i * 0.01, (i & 1) ? 500 : 520);
        cc->n = 0;
        double t0 = mwx_time_mono(), c0 = cpu_now();
        if (mwx_warn_track(w, &k, &err)) {
            fprintf(stderr, "warn_latency: %s\n", err.msg);
            return 1;
        }
        lat[i] = mwx_time_mono() - t0;
        cpu[i] = cpu_now() - c0;
        if (cc->n != 2) {
            fprintf(stderr, "warn_latency: update %d wrote %d CAP files, not 2\n", i, cc->n);
            return 1;
        }
        lat_cap[i] = cc->wall - t0;
        cpu_cap[i] = cc->cpu - c0;
    }
    mwx_warn_get_stats(w, &st1);
    if (st1.cap_update - st0.cap_update < (uint64_t)n) {
        fprintf(stderr, "warn_latency: expected %d Updates, got %llu\n", n,
                (unsigned long long)(st1.cap_update - st0.cap_update));
        return 1;
    }
    return 0;
}

/* Step 5: the same updates with signed CAP files, and sign / verify alone. */
static int signed_cap(const char *dir, int n, double p50_cap_unsigned, double p50_call_unsigned)
{
    char pki[300], cak[340], cac[340], key[340], cert[340], out[300], cap[700];
    mwx_pki_subject_t sub = {0};
    mwx_cap_signer_t *signer = NULL;
    mwx_cap_verifier_t *ver = NULL;
    mwx_warn_config_t cfg = {0};
    mwx_warn_t *w = NULL;
    mwx_err_t err = {0};
    capclock_t cc;
    int rc = 1;
    double *lat = calloc((size_t)n, sizeof *lat), *cpu = calloc((size_t)n, sizeof *cpu);
    double *lat_cap = calloc((size_t)n, sizeof *lat), *cpu_cap = calloc((size_t)n, sizeof *cpu);

    snprintf(pki, sizeof pki, "%s/pki", dir);
    snprintf(out, sizeof out, "%s/signed", dir);
    snprintf(cak, sizeof cak, "%s/ca.key", pki);
    snprintf(cac, sizeof cac, "%s/ca.pem", pki);
    snprintf(key, sizeof key, "%s/JP-cap.key", pki);
    snprintf(cert, sizeof cert, "%s/JP-cap.pem", pki);
    sub.common_name = "bench CA";
    if (!lat || !cpu || !lat_cap || !cpu_cap || mwx_mkdir_p(pki, 0700, &err) ||
        mwx_pki_make_ca(&sub, cak, cac, 1, &err))
        goto out;
    sub.common_name = "JP public alerting";
    sub.usage = MWX_PKI_SIGNING;
    if (mwx_pki_issue(cak, cac, &sub, key, cert, 1, &err) ||
        mwx_cap_signer_create(key, cert, &signer, &err) || mwx_cap_verifier_create(cac, &ver, &err))
        goto out;
    memset(&cc, 0, sizeof cc);
    cfg.node = "JP";
    cfg.source = MWX_WARN_SOURCE_SIMULATED;
    cfg.status = MWX_STATUS_EXERCISE;
    cfg.regions_path = REGIONS;
    cfg.out_dir = out;
    cfg.emit = on_emit;
    cfg.user = &cc;
    cfg.cap_signer = signer;
    if (mwx_warn_create(&cfg, &w, &err))
        goto out;
    for (int i = 0; i <= 6; i++) {
        mwx_rec_track_t k = track(i, 500);
        if (mwx_warn_track(w, &k, &err))
            goto out;
    }
    if (updates(w, &cc, n, lat, cpu, lat_cap, cpu_cap))
        goto out;
    printf("signed CAP (ECDSA P-256 alerting key, xmlsec: exclusive C14N, SHA-256, "
           "enveloped):\n");
    report("update -> both signed CAP files on disk", lat_cap, n);
    report("  same, CPU time of the thread", cpu_cap, n);
    report("whole call, signed", lat, n);
    report("  same, CPU time of the thread", cpu, n);
    printf("  p50 update -> CAP files: signed %.1f us = %.2f x unsigned (%.1f us), + %.1f us "
           "for two signatures; whole call %.2f x\n",
           lat_cap[n / 2] * 1e6, lat_cap[n / 2] / p50_cap_unsigned, p50_cap_unsigned * 1e6,
           (lat_cap[n / 2] - p50_cap_unsigned) * 1e6, lat[n / 2] / p50_call_unsigned);
    /* sign and verify alone, on the last (signed) CAP file's unsigned text */
    {
        snprintf(cap, sizeof cap, "%s/%s", out, cc.last_cap);
        FILE *f = fopen(cap, "rb");
        static char text[1 << 16];
        size_t len = f ? fread(text, 1, sizeof text - 1, f) : 0;
        if (f)
            fclose(f);
        char *sig = strstr(text, "<Signature");
        char *end = strstr(text, "</alert>");
        if (!sig || !end)
            goto out;
        /* the unsigned text: cut the signature and its newline out */
        memmove(sig, end, (size_t)(text + len - end) + 1);
        len = strlen(text);
        int m = n;
        for (int i = 0; i < m; i++) {
            char *o = NULL;
            size_t ol = 0;
            double t0 = mwx_time_mono();
            if (mwx_cap_sign(signer, text, len, &o, &ol, &err))
                goto out;
            lat[i] = mwx_time_mono() - t0;
            t0 = mwx_time_mono();
            if (mwx_cap_verify(ver, o, ol, NULL, 0, &err))
                goto out;
            cpu[i] = mwx_time_mono() - t0;
            free(o);
        }
        printf("  one CAP text of %zu bytes:\n", len);
        report("  mwx_cap_sign (parse, C14N, SHA-256, ECDSA)", lat, m);
        report("  mwx_cap_verify (parse, X.509 chain, ECDSA)", cpu, m);
    }
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "warn_latency: signed: %s\n", err.msg);
    mwx_warn_free(w);
    mwx_cap_signer_free(signer);
    mwx_cap_verifier_free(ver);
    free(lat);
    free(cpu);
    free(lat_cap);
    free(cpu_cap);
    return rc;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    char dir[256], alerts[300];
    mwx_warn_config_t cfg = {0};
    mwx_warn_t *w;
    mwx_err_t err = {0};
    mwx_warn_stats_t st0, st1;
    double t0, c0, la[3] = {0};
    struct stat sb;
    char cap[600];
    capclock_t cc;

    if (n < 100)
        n = 100;
    double *lat = calloc((size_t)n, sizeof *lat), *cpu = calloc((size_t)n, sizeof *cpu);
    double *lat_cap = calloc((size_t)n, sizeof *lat), *cpu_cap = calloc((size_t)n, sizeof *cpu);
    snprintf(dir, sizeof dir, "%s/mwx-warn-bench-%ld", argc > 2 ? argv[2] : "/tmp", (long)getpid());
    snprintf(alerts, sizeof alerts, "%s/alerts", dir);
    memset(&cc, 0, sizeof cc);
    cfg.node = "JP";
    cfg.source = MWX_WARN_SOURCE_SIMULATED;
    cfg.status = MWX_STATUS_EXERCISE;
    cfg.regions_path = REGIONS;
    cfg.out_dir = dir;
    cfg.emit = on_emit;
    cfg.user = &cc;
    if (!lat || !cpu || !lat_cap || !cpu_cap || mwx_warn_create(&cfg, &w, &err)) {
        fprintf(stderr, "warn_latency: %s\n", err.msg);
        return 1;
    }
    if (getloadavg(la, 3) < 0)
        la[0] = la[1] = la[2] = NAN;
    printf("warn_latency: %d updates, real regions (66), files in %s; load average %.2f %.2f "
           "%.2f\n",
           n, dir, la[0], la[1], la[2]);

    mwx_rec_track_t k;
    for (int i = 0; i <= 6; i++) { /* settle the prediction (settle_s = 5): the Alert */
        k = track(i, 500);
        (void)mwx_warn_track(w, &k, &err);
    }
    mwx_warn_get_stats(w, &st0);
    if (st0.cap_alert < 1) {
        fprintf(stderr, "warn_latency: no Alert after settling\n");
        return 1;
    }

    /* 3a. baseline before the updates: one new CAP-size file, the inode allocated then */
    snprintf(cap, sizeof cap, "%s/%s", dir, cc.last_cap);
    size_t cap_size = stat(cap, &sb) == 0 ? (size_t)sb.st_size : 8192;
    new_file_baseline(alerts, cap_size, lat, cpu, n / 4);
    printf("baseline before the updates (file system state):\n");
    report("new CAP-size file (O_TMPFILE + linkat)", lat, n / 4);
    report("  same, CPU time of the thread", cpu, n / 4);
    double p50_new = lat[n / 8];

    /* 1. every update issues a CAP Update in both series */
    if (updates(w, &cc, n, lat, cpu, lat_cap, cpu_cap))
        return 1;
    mwx_warn_get_stats(w, &st1);
    printf("update -> CAP Update in both series (impact, overflight): %.2f CAP files per "
           "update\n",
           (double)(st1.cap_update - st0.cap_update) / n);
    report("update -> both CAP files on disk", lat_cap, n);
    report("  same, CPU time of the thread", cpu_cap, n);
    report("whole call (+ GeoJSON, Atom, CoT, inodes)", lat, n);
    report("  same, CPU time of the thread", cpu, n);
    double p50_cap = lat_cap[n / 2], p50_call = lat[n / 2];

    /* 2. steady prediction: no message */
    for (int i = 0; i < n; i++) {
        k = track(100 + i * 0.01, 520);
        t0 = mwx_time_mono();
        c0 = cpu_now();
        (void)mwx_warn_track(w, &k, &err);
        lat[i] = mwx_time_mono() - t0;
        cpu[i] = cpu_now() - c0;
    }
    report("track update, no message", lat, n);
    report("  same, CPU time of the thread", cpu, n);
    double p50_quiet = lat[n / 2];

    /* 3b. baseline: atomic rewrite with tmp + rename (last: it frees an inode each time) */
    snprintf(cap, sizeof cap, "%s/%s", dir, cc.last_cap);
    if (stat(cap, &sb) == 0)
        cap_size = (size_t)sb.st_size; /* an Update: more references than the Alert */
    char *blob = malloc(cap_size);
    memset(blob, 'x', cap_size);
    for (int i = 0; i < n; i++) {
        t0 = mwx_time_mono();
        c0 = cpu_now();
        mwxi_warn_write_file(dir, "baseline.bin", blob, cap_size, 0, &err);
        lat[i] = mwx_time_mono() - t0;
        cpu[i] = cpu_now() - c0;
    }
    free(blob);
    printf("baseline after the updates:\n");
    report("tmp + rename of a CAP-size file", lat, n);
    report("  same, CPU time of the thread", cpu, n);
    double p50_file = lat[n / 2];
    printf("  CAP file size %zu bytes; p50 update -> CAP files = %.1f x one new file, %.1f x "
           "one tmp + rename, %.2f x a quiet update; whole call %.1f x one new file\n",
           cap_size, p50_cap / p50_new, p50_cap / p50_file, p50_cap / p50_quiet,
           p50_call / p50_new);

    /* 4. region tests */
    {
        mwx_regions_t *r = mwx_warn_regions(w);
        size_t nreg = mwx_regions_count(r), nh, hits = 0;
        uint8_t hit[MWX_MAX_ALERT_REGIONS];
        double ring[73][2];
        unsigned s = 7;
        int q = 4 * n;
        mwx_rec_impact_est_t *es = calloc((size_t)q, sizeof *es);
        for (int i = 0; i < q; i++) {
            es[i].valid = 1;
            es[i].lat = 24 + 22 * urand(&s);
            es[i].lon = 123 + 23 * urand(&s);
            es[i].semi_major_km = 5 + 295 * urand(&s);
            es[i].semi_minor_km = es[i].semi_major_km * (0.2 + 0.8 * urand(&s));
            es[i].orientation_deg = 180 * urand(&s);
        }
        t0 = mwx_time_mono();
        for (int i = 0; i < q; i++) {
            (void)mwx_regions_in_ellipse(r, &es[i], 72, hit, &nh, &err);
            hits += nh;
        }
        double dt = mwx_time_mono() - t0;
        t0 = mwx_time_mono();
        for (int i = 0; i < q; i++)
            mwxi_warn_ellipse_ring(mwxi_regions_geod(r), &es[i], 72, 0.001, 3000, ring);
        double dt_ring = mwx_time_mono() - t0;
        printf("region tests (%d random ellipses, %zu regions each, %.2f regions hit on "
               "average):\n",
               q, nreg, (double)hits / q);
        printf("  %.0f ellipse queries/s = %.2e region tests/s; %.1f us per query, of which "
               "%.1f us (%.0f %%) builds the geodesic polygon\n",
               q / dt, q * (double)nreg / dt, dt / q * 1e6, dt_ring / q * 1e6, 100 * dt_ring / dt);
        free(es);
    }
    mwx_warn_free(w);
    /* 5. signed CAP, after the unsigned figures of the same run */
    if (signed_cap(dir, n, p50_cap, p50_call))
        return 1;
    free(lat);
    free(cpu);
    free(lat_cap);
    free(cpu_cap);
    /* leave no files behind */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warn_latency: could not remove %s\n", dir);
    return 0;
}
