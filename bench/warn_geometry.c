/* The warning context's geometry per fused update, before and after issue 17's cuts, in
 * the same run (docs/BENCHMARKS.md "Soak: where a node's time goes, and keep-up").
 *
 * Method: the fused track records of a recording (`mwx run`'s run.mwxr: each nation's
 * "<NATION>-F..." tracks, in the order its node decided them) are fed, nation by nation,
 * to two warning contexts over that nation's own regions (as `mwx node` builds it):
 *
 *   old  mwxi_warn_set_old_geometry(w, 1): every region test by GEOS (STRtree + prepared
 *        geometries), every corridor's and fan's release ring drawn at once;
 *   new  the default: the regions' cell grid first (GEOS only near a boundary), release
 *        rings drawn when a warned region lies outside the main ring.
 *
 * Both contexts see the same records, CHUNK at a time, alternating which goes first (the
 * machine is shared: a load spike falls on both); mwx_warn_tick at each new second, as the
 * node's loop does. Each context's thread CPU time is summed over its mwx_warn_track and
 * mwx_warn_tick calls: CPU per fused update, old / new. Their outputs must agree: the
 * messages emitted (identifier, file, in order) and, at the end, every file under the
 * two alerts directories byte for byte (checked with diff -r; CAP unsigned). The region
 * tests' answers by the grid and by GEOS are counted (mwxi_regions_stats).
 *
 * Usage: warn_geometry RECORDING [MAX_UPDATES_PER_NATION] [DIR]
 *   e.g. mwx run of the soak's block 0 (bench/soak/gen.py scenarios/default.json D 1;
 *   mwx run D/block-0.json --out R --no-compare): warn_geometry R/run.mwxr
 * Files go under DIR (default /tmp) in mwx-warn-geometry-PID, removed at the end. */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mwx/core.h"
#include "mwx/warn.h"
#include "warn/warn_internal.h"

#define REGIONS MWX_SOURCE_DIR "/data/regions/northeast-asia.geojson"
#define CHUNK   200

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct side {
    mwx_warn_t *w;
    double cpu, t_last;
    size_t n_upd, n_full, n_err, n_msg;
    unsigned long hash; /* of the emitted (identifier, file) sequence */
} side_t;

static void on_emit(void *user, mwx_warn_output_t out, const mwx_rec_alert_t *rec)
{
    side_t *s = user;
    const char *p = strrchr(rec->file, '/');
    (void)out;
    s->n_msg++;
    for (const char *q = rec->identifier; *q; q++)
        s->hash = s->hash * 33 + (unsigned char)*q;
    for (const char *q = p ? p + 1 : rec->file; *q; q++)
        s->hash = s->hash * 33 + (unsigned char)*q;
}

/* The regions of one country as a GeoJSON file (what mwx node gives its context). */
static int country_file(const char *country, const char *path)
{
    json_error_t je;
    json_t *root = json_load_file(REGIONS, 0, &je), *keep = json_array(), *feats;
    size_t i;
    json_t *f;
    int rc;
    if (!root)
        return -1;
    feats = json_object_get(root, "features");
    json_array_foreach(feats, i, f)
    {
        json_t *c = json_object_get(json_object_get(f, "properties"), "country");
        if (json_is_string(c) && strcmp(json_string_value(c), country) == 0)
            json_array_append(keep, f);
    }
    json_object_set_new(root, "features", keep);
    rc = json_dump_file(root, path, JSON_COMPACT);
    json_decref(root);
    return rc;
}

static int make_side(side_t *s, const char *nation, const char *regions, const char *out_dir,
                     int old)
{
    mwx_warn_config_t wc;
    mwx_err_t err = {0};
    memset(s, 0, sizeof *s);
    memset(&wc, 0, sizeof wc);
    wc.node = nation;
    wc.run_id = "bench";
    wc.regions_path = regions;
    wc.out_dir = out_dir;
    wc.status = MWX_STATUS_EXERCISE;
    wc.emit = on_emit;
    wc.user = s;
    wc.defer_view_sync = 1;
    if (mwx_warn_create(&wc, &s->w, &err)) {
        fprintf(stderr, "warn_geometry: %s\n", err.msg);
        return -1;
    }
    mwxi_warn_set_old_geometry(s->w, old);
    s->t_last = -INFINITY;
    return 0;
}

static void feed(side_t *s, const mwx_rec_track_t *k)
{
    mwx_err_t err = {0};
    double c0 = cpu_now();
    int rc;
    if (k->t >= s->t_last + 1.0) {
        s->t_last = k->t;
        if (mwx_warn_tick(s->w, k->t, &err))
            s->n_err++;
    }
    rc = mwx_warn_track(s->w, k, &err);
    s->cpu += cpu_now() - c0;
    s->n_upd++;
    if (rc == MWX_EFULL)
        s->n_full++;
    else if (rc)
        s->n_err++;
}

static int run_nation(const char *rec_path, const char *nation, size_t max_upd, const char *dir,
                      double tot[2], size_t *tot_n)
{
    char regions[512], d_old[512], d_new[512], cmd[1200], prefix[16];
    mwx_recreader_t *rd = NULL;
    mwx_err_t err = {0};
    mwx_record_t rec;
    side_t old, neu;
    mwx_rec_track_t *buf = malloc(CHUNK * sizeof *buf);
    mwxi_regions_stats_t so, sn;
    size_t nb = 0, n = 0, chunk_no = 0;
    int rc, same;

    snprintf(regions, sizeof regions, "%s/regions-%s.geojson", dir, nation);
    snprintf(d_old, sizeof d_old, "%s/old-%s", dir, nation);
    snprintf(d_new, sizeof d_new, "%s/new-%s", dir, nation);
    snprintf(prefix, sizeof prefix, "%s-F", nation);
    if (!buf || country_file(nation, regions) || make_side(&old, nation, regions, d_old, 1) ||
        make_side(&neu, nation, regions, d_new, 0))
        return -1;
    if (mwx_recreader_open(rec_path, 0, &rd, &err)) {
        fprintf(stderr, "warn_geometry: %s\n", err.msg);
        return -1;
    }
    for (;;) {
        rc = mwx_recreader_next(rd, &rec, &err);
        if (rc == MWX_OK && rec.type == MWX_REC_TRACK && strcmp(rec.u.track.node, nation) == 0 &&
            strncmp(rec.u.track.track_id, prefix, strlen(prefix)) == 0 && n < max_upd) {
            buf[nb++] = rec.u.track;
            n++;
        }
        if (nb == CHUNK || (rc != MWX_OK && nb) || (n == max_upd && nb)) {
            side_t *first = (chunk_no & 1) ? &neu : &old, *second = first == &old ? &neu : &old;
            for (size_t i = 0; i < nb; i++)
                feed(first, &buf[i]);
            for (size_t i = 0; i < nb; i++)
                feed(second, &buf[i]);
            nb = 0;
            chunk_no++;
        }
        if (rc != MWX_OK || n == max_upd)
            break;
    }
    mwx_recreader_close(rd);
    if (rc != MWX_OK && rc != MWX_EOF && n < max_upd)
        fprintf(stderr, "warn_geometry: %s: %s (read so far: used)\n", rec_path, err.msg);
    mwxi_regions_stats(mwx_warn_regions(old.w), &so);
    mwxi_regions_stats(mwx_warn_regions(neu.w), &sn);
    mwx_warn_free(old.w);
    mwx_warn_free(neu.w);
    snprintf(cmd, sizeof cmd, "diff -r -q %s %s > /dev/null", d_old, d_new);
    same = system(cmd) == 0;
    printf("%s: %zu fused updates (full %zu, errors %zu / %zu), messages %zu / %zu (%s), "
           "files %s\n",
           nation, old.n_upd, old.n_full, old.n_err, neu.n_err, old.n_msg, neu.n_msg,
           old.hash == neu.hash && old.n_msg == neu.n_msg ? "same sequence" : "DIFFER",
           same ? "identical" : "DIFFER");
    printf("  CPU per update: old %.1f us, new %.1f us: %.2fx; region tests new: grid hit %llu, "
           "grid miss %llu, GEOS %llu (old: all %llu by GEOS)\n",
           1e6 * old.cpu / (double)(old.n_upd ? old.n_upd : 1),
           1e6 * neu.cpu / (double)(neu.n_upd ? neu.n_upd : 1), old.cpu / neu.cpu,
           (unsigned long long)sn.grid_hit, (unsigned long long)sn.grid_miss,
           (unsigned long long)sn.geos, (unsigned long long)so.geos);
    fflush(stdout);
    tot[0] += old.cpu;
    tot[1] += neu.cpu;
    *tot_n += old.n_upd;
    free(buf);
    return same && old.hash == neu.hash && old.n_msg == neu.n_msg ? 0 : 1;
}

int main(int argc, char **argv)
{
    static const char *const nations[] = {"JP", "KR", "US"};
    size_t max_upd = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : (size_t)-1;
    const char *base = argc > 3 ? argv[3] : "/tmp";
    char dir[512], cmd[600];
    double tot[2] = {0, 0};
    size_t tot_n = 0;
    int bad = 0;
    double la[3] = {0, 0, 0};
    FILE *f = fopen("/proc/loadavg", "r");

    if (argc < 2) {
        fprintf(stderr, "usage: warn_geometry RECORDING [MAX_UPDATES_PER_NATION] [DIR]\n");
        return 2;
    }
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3)
            la[0] = la[1] = la[2] = -1;
        fclose(f);
    }
    printf("warn_geometry %s: load average at start %.2f %.2f %.2f\n", argv[1], la[0], la[1],
           la[2]);
    if (max_upd == 0)
        max_upd = (size_t)-1;
    snprintf(dir, sizeof dir, "%s/mwx-warn-geometry-%d", base, (int)getpid());
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    if (system(cmd) != 0)
        return 1;
    for (size_t i = 0; i < 3; i++) {
        int r = run_nation(argv[1], nations[i], max_upd, dir, tot, &tot_n);
        if (r < 0) {
            bad = 1;
            break;
        }
        bad |= r;
    }
    printf("all: %zu fused updates, CPU per update old %.1f us, new %.1f us: %.2fx (warning "
           "context total: old %.2f s, new %.2f s)%s\n",
           tot_n, 1e6 * tot[0] / (double)(tot_n ? tot_n : 1),
           1e6 * tot[1] / (double)(tot_n ? tot_n : 1), tot[0] / tot[1], tot[0], tot[1],
           bad ? "; OUTPUTS DIFFER" : "; outputs identical");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        bad = 1;
    return bad;
}
