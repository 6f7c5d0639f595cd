/* mwx score RUN.mwxr TRACKS.mwxr [--json] [--node ID] [--regions FILE]: the Report of
 * PRODUCT.md.
 *
 * RUN gives the truth and the measurements; TRACKS the tracks, shares and alerts. They may
 * be the same file (a `mwx run` recording holds everything). Both must come from the same
 * scenario (name, epoch, seed of their scenario records) when both have one.
 *
 * Exit: 0 scored; 1 an input is unreadable, not a recording, has no truth, or does not
 * match the other (the message names the file); 2 usage. A torn or corrupt tail is
 * warned about and the records before it are scored. */
#include "core/grow.h"
#include "cli.h"
#include "mwx/reference.h"
#include "mwx/score.h"
#include "mwx/sim.h"
#include "mwx/warn.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: mwx score RUN.mwxr TRACKS.mwxr [--json] [--node ID] [--regions FILE]\n\n"
               "Score tracks, shares and public warnings against truth: accuracy (position and\n"
               "velocity RMSE, NEES, OSPA and GOSPA) and timeliness per launch (first\n"
               "detection, track, share per nation, impact-point error at launch + 120 s and\n"
               "at 300 s and 60 s to go, launch-point error). docs/SCORING.md defines them.\n\n"
               "  RUN.mwxr     truth and measurements (`mwx sim` or `mwx run`)\n"
               "  TRACKS.mwxr  tracks, shares, alerts (`mwx track`, or the same `mwx run` file)\n"
               "  --json       the Report as JSON (report.json of `mwx run`) instead of a table\n"
               "  --node ID    only the tracks held by this node\n"
               "  --regions FILE  the regions GeoJSON for the warning figures; default: the\n"
               "               scenario's \"regions\" (relative to RUN's folder, then to the\n"
               "               current one), else the project's northeast-asia.geojson\n"
               "  -h, --help   this help\n\n"
               "exit status: 0 ok, 1 an input is unreadable or the two do not match, 2 usage\n");
}

/* Load a recording; only a torn tail (a crash mid-append) is a warning: a bad header,
 * a file that is no recording, or damage before the end is exit 1 (a score over half a
 * recording would say MISSED for what the file does not show). Returns 0 or the exit
 * status. */
static int load(const char *path, mwx_records_t *rs)
{
    mwx_err_t err;
    mwx_err_clear(&err);
    memset(rs, 0, sizeof *rs);
    int rc = mwx_records_load(path, rs, &err);
    if (rc == MWX_ETRUNC) {
        fprintf(stderr, "mwx score: warning: %s; scoring the %zu records before it\n",
                err.msg[0] ? err.msg : path, rs->n);
        return 0;
    }
    if (rc) {
        if (!strstr(err.msg, path))
            mwx_err_prefix(&err, "%s", path);
        fprintf(stderr, "mwx score: %s\n", err.msg[0] ? err.msg : mwx_strerror(rc));
        mwx_records_free(rs);
        return rc == MWX_ENOMEM ? 3 : 1;
    }
    return 0;
}

static const mwx_rec_scenario_t *scenario_of(const mwx_records_t *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        if (rs->v[i].type == MWX_REC_SCENARIO)
            return &rs->v[i].u.scenario;
    return NULL;
}

static size_t count_type(const mwx_records_t *rs, mwx_rec_type_t t)
{
    size_t n = 0;
    for (size_t i = 0; i < rs->n; i++)
        n += rs->v[i].type == t;
    return n;
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (strcmp(a, b) == 0)
        return 1;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* The regions file: --regions, else the scenario's "regions" (relative paths against
 * RUN's folder, then the current one), else the project's default. "" when none. */
static void regions_path(const char *opt, const char *scenario_json, const char *run_path,
                         char *buf, size_t n)
{
    buf[0] = '\0';
    if (opt) {
        mwx_strlcpy(buf, opt, n);
        return;
    }
    const char *rel = NULL;
    json_t *root = scenario_json ? json_loads(scenario_json, 0, NULL) : NULL;
    if (root)
        rel = json_string_value(json_object_get(root, "regions"));
    if (rel && rel[0]) {
        const char *slash = strrchr(run_path, '/');
        if (rel[0] != '/' && slash)
            snprintf(buf, n, "%.*s/%s", (int)(slash - run_path), run_path, rel);
        else
            mwx_strlcpy(buf, rel, n);
        if (access(buf, R_OK) != 0)
            mwx_strlcpy(buf, access(rel, R_OK) == 0 ? rel : "", n);
        if (!buf[0])
            fprintf(stderr,
                    "mwx score: warning: the scenario's regions \"%s\" were not "
                    "found (use --regions); no region figures\n",
                    rel);
    } else {
        char dir[MWX_PATH_LEN];
        if (mwx_sim_data_dir(dir, sizeof dir) == MWX_OK)
            snprintf(buf, n, "%s/regions/northeast-asia.geojson", dir);
        else
            fprintf(stderr, "mwx score: warning: the project's data folder was not found "
                            "(use --regions); no region figures\n");
    }
    json_decref(root);
}

int mwx_cmd_score(int argc, char **argv)
{
    const char *files[2] = {NULL, NULL}, *node = NULL, *regions_opt = NULL;
    int nfiles = 0, as_json = 0;
    if (mwx_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            as_json = 1;
        } else if (strcmp(argv[i], "--node") == 0) {
            if (i + 1 >= argc)
                return mwx_cli_usage_error("score", "--node needs a node id");
            node = argv[++i];
        } else if (strcmp(argv[i], "--regions") == 0) {
            if (i + 1 >= argc)
                return mwx_cli_usage_error("score", "--regions needs a file");
            regions_opt = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return mwx_cli_usage_error("score", "unknown option '%s'", argv[i]);
        } else if (nfiles < 2) {
            files[nfiles++] = argv[i];
        } else {
            return mwx_cli_usage_error("score", "too many files ('%s')", argv[i]);
        }
    }
    if (nfiles != 2)
        return mwx_cli_usage_error("score", "need RUN.mwxr and TRACKS.mwxr");

    mwx_records_t run, trk;
    int st = load(files[0], &run);
    if (st)
        return st;
    int same = same_file(files[0], files[1]);
    if (!same) {
        st = load(files[1], &trk);
        if (st) {
            mwx_records_free(&run);
            return st;
        }
    }
    mwx_records_t all = {0};
    mwx_regions_t *regions = NULL;
    int status = 1;
    if (count_type(&run, MWX_REC_TRUTH) == 0) {
        fprintf(stderr,
                "mwx score: %s: no truth records (expected a `mwx sim` or `mwx run` "
                "recording)\n",
                files[0]);
        goto out;
    }
    if (!same) {
        const mwx_rec_scenario_t *a = scenario_of(&run), *b = scenario_of(&trk);
        if (a && b &&
            (strcmp(a->name, b->name) != 0 || strcmp(a->epoch, b->epoch) != 0 ||
             a->seed != b->seed)) {
            fprintf(stderr,
                    "mwx score: %s: scenario '%s' (epoch %s, seed %llu) does not match %s's "
                    "'%s' (epoch %s, seed %llu)\n",
                    files[1], b->name, b->epoch, (unsigned long long)b->seed, files[0], a->name,
                    a->epoch, (unsigned long long)a->seed);
            goto out;
        }
    }
    /* One array: RUN's truth and measurements, TRACKS' tracks, shares and alerts. */
    const mwx_records_t *src[2] = {&run, same ? &run : &trk};
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < src[k]->n; i++) {
            mwx_rec_type_t t = src[k]->v[i].type;
            int from_run = t == MWX_REC_TRUTH || t == MWX_REC_MEAS;
            int from_trk = t == MWX_REC_TRACK || t == MWX_REC_SHARE || t == MWX_REC_ALERT;
            if ((k == 0 && from_run) || (k == 1 && from_trk)) {
                if (mwxi_grow(&all.v, &all.cap, all.n + 1, sizeof *all.v, 1024) != 0) {
                    fprintf(stderr, "mwx score: out of memory\n");
                    status = 3;
                    goto out;
                }
                all.v[all.n++] = src[k]->v[i];
            }
        }
    }
    if (count_type(&all, MWX_REC_TRACK) == 0)
        fprintf(stderr, "mwx score: warning: %s has no track records\n", files[1]);

    mwx_score_opts_t o;
    mwx_score_opts_default(&o);
    mwx_score_opts_from_scenario(&o, run.scenario_json);
    o.node = node;
    char rpath[MWX_PATH_LEN];
    regions_path(regions_opt, run.scenario_json, files[0], rpath, sizeof rpath);
    if (rpath[0]) {
        mwx_err_t rerr;
        mwx_err_clear(&rerr);
        if (mwx_regions_load(rpath, &regions, &rerr) != 0) {
            status = mwx_cli_fail("score", &rerr);
            goto out;
        }
        o.regions = mwx_score_warn_regions;
        o.regions_ctx = regions;
    }
    mwx_report_t rep;
    mwx_err_t err;
    mwx_err_clear(&err);
    int rc = mwx_score_compute(all.v, all.n, &o, &rep, &err);
    if (rc) {
        mwx_report_free(&rep);
        status = mwx_cli_fail("score", &err);
        goto out;
    }
    /* a historic scenario: its real public alerts beside mwx's (docs/HISTORIC.md) */
    mwx_ref_comparison_t *cmp = calloc(1, sizeof *cmp);
    json_t *j = as_json ? mwx_report_to_json(&rep) : NULL;
    int has_ref = 0;
    if (cmp) {
        mwx_err_t rerr;
        mwx_err_clear(&rerr);
        has_ref = mwx_reference_attach(j, &rep, all.v, all.n, run.scenario_json, cmp, &rerr);
        if (has_ref < 0) {
            fprintf(stderr, "mwx score: warning: reference block not compared: %s\n", rerr.msg);
            has_ref = 0;
        }
    }
    if (as_json) {
        char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) : NULL;
        json_decref(j);
        if (!s) {
            fprintf(stderr, "mwx score: out of memory\n");
            status = 3;
        } else {
            printf("%s\n", s);
            free(s);
            status = 0;
        }
    } else {
        mwx_report_print(&rep, stdout);
        if (has_ref)
            mwx_reference_print(cmp, stdout);
        status = 0;
    }
    free(cmp);
    mwx_report_free(&rep);
    if (status == 0 && fflush(stdout) != 0)
        status = 3;
out:
    mwx_regions_free(regions);
    free(all.v);
    mwx_records_free(&run);
    if (!same)
        mwx_records_free(&trk);
    return status;
}
