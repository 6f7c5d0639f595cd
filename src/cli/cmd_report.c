/* mwx report RUN_DIR [-o report.html]: the after-action report as one self-contained
 * HTML page (issue #16).
 *
 * Input: the folder of `mwx run` or `mwx demo` (run.mwxr, report.json), a node's folder
 * (node-N.mwxr) or a recording itself. The recording is read with the core recording API
 * and reduced here to what the plots need (thinned paths, per track point the position
 * error and NEES against the nearest true object, the impact-point error and the time to
 * go, a few impact ellipses, the alerts); report.json is embedded as it is. When
 * report.json is missing it is written first by `mwx score RUN RUN --json` (this binary,
 * run as a child), so its figures are score's own.
 *
 * The page inlines Leaflet, uPlot, topojson-client, the world-atlas coastlines, the
 * regions and web/report.js from the asset folder (build/web); its Content-Security-Policy
 * allows no request at all, so it opens offline and nothing leaves the file. Embedded JSON
 * has every '<' written as \u003c, so no text of a recording can close its <script>. */
#include "core/grow.h"
#include "cli.h"
#include "mwx/web.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_POINTS   400 /* per path or track in the page */
#define MAX_ELLIPSES 8   /* per track on the map */
/* A track point farther than this from every true object in flight follows none of them
 * (a track coasting on after its object fell, a false track): an error against the
 * nearest other object, thousands of km, is not a tracking error and flattened the
 * charts. The score's association gate is 10 km; this only drops the absurd. */
#define TRUTH_GATE_M 100e3

static void usage(FILE *f)
{
    fprintf(f, "usage: mwx report RUN_DIR [-o report.html]\n\n"
               "The after-action report of a run as one self-contained HTML page that opens\n"
               "offline: a map per launch (true path, each nation's tracks, impact ellipses,\n"
               "warned regions by first alert time), impact error against time to go, track\n"
               "position error and NEES, lead time per region against the physical limit (and\n"
               "the real alert when report.json has reference_comparison), the alert timeline\n"
               "and the sharing-benefit table.\n\n"
               "  RUN_DIR         the folder of `mwx run`/`mwx demo` (run.mwxr), a node's folder\n"
               "                  (node-N.mwxr) or a recording; report.json beside it is\n"
               "                  written (as `mwx score --json` does) when missing\n"
               "  -o FILE         output (default RUN_DIR/report.html)\n"
               "  -h, --help      this help\n\n"
               "exit status: 0 ok, 1 the input is unreadable, 2 usage, 3 environment\n");
}

/* ------------------------------------------------------------------ files */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    for (;;) {
        if (!b)
            break;
        if (n + 4096 > cap) {
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
        size_t k = fread(b + n, 1, cap - n - 1, f);
        n += k;
        if (k == 0)
            break;
    }
    fclose(f);
    if (b) {
        b[n] = '\0';
        *len = n;
    }
    return b;
}

/* The recording in dir: run.mwxr, else the first *.mwxr by name; or dir itself. */
static int find_recording(const char *in, char *dir, size_t dn, char *rec, size_t rn)
{
    struct stat st;
    if (stat(in, &st) != 0)
        return -1;
    if (S_ISREG(st.st_mode)) {
        snprintf(rec, rn, "%s", in);
        const char *slash = strrchr(in, '/');
        if (slash)
            snprintf(dir, dn, "%.*s", (int)(slash - in), in);
        else
            snprintf(dir, dn, ".");
        return 0;
    }
    snprintf(dir, dn, "%s", in);
    snprintf(rec, rn, "%s/run.mwxr", in);
    if (access(rec, R_OK) == 0)
        return 0;
    DIR *d = opendir(in);
    if (!d)
        return -1;
    char best[256] = "";
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".mwxr") == 0 && e->d_name[0] != '.' &&
            (!best[0] || strcmp(e->d_name, best) < 0))
            snprintf(best, sizeof best, "%s", e->d_name);
    }
    closedir(d);
    if (!best[0])
        return -1;
    snprintf(rec, rn, "%s/%s", in, best);
    return 0;
}

/* report.json by `mwx score REC REC --json`, run as a child of this same binary. */
static int write_report_json(const char *rec, const char *out)
{
    char exe[PATH_MAX], tmp[PATH_MAX + 8];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k <= 0)
        return -1;
    exe[k] = '\0';
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char *argv[] = {exe, "score", (char *)rec, (char *)rec, "--json", NULL};
    extern char **environ;
    pid_t pid;
    int rc = posix_spawn(&pid, exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || rename(tmp, out) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ reduction */

typedef struct truth_path {
    char object[MWX_ID_LEN];
    double *t, (*x)[3];
    size_t n, cap;
} truth_path_t;

typedef struct truths {
    truth_path_t *v;
    size_t n, cap;
} truths_t;

static truth_path_t *truth_of(truths_t *ts, const char *object)
{
    for (size_t i = 0; i < ts->n; i++)
        if (strcmp(ts->v[i].object, object) == 0)
            return &ts->v[i];
    if (mwxi_grow(&ts->v, &ts->cap, ts->n + 1, sizeof *ts->v, 16) != 0)
        return NULL;
    truth_path_t *p = &ts->v[ts->n++];
    memset(p, 0, sizeof *p);
    snprintf(p->object, sizeof p->object, "%s", object);
    return p;
}

static int truth_push(truth_path_t *p, double t, const double x[3])
{
    if (p->n && t <= p->t[p->n - 1])
        return 0;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        double *nt = realloc(p->t, cap * sizeof *nt);
        if (!nt)
            return -1;
        p->t = nt;
        double(*nx)[3] = realloc(p->x, cap * sizeof *nx);
        if (!nx)
            return -1;
        p->x = nx;
        p->cap = cap;
    }
    p->t[p->n] = t;
    memcpy(p->x[p->n], x, sizeof p->x[0]);
    p->n++;
    return 0;
}

/* The true position at t (linear between samples); 0 outside the path. */
static int truth_at(const truth_path_t *p, double t, double x[3])
{
    if (!p->n || t < p->t[0] || t > p->t[p->n - 1])
        return 0;
    size_t lo = 0, hi = p->n - 1;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (p->t[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    double f = p->t[hi] > p->t[lo] ? (t - p->t[lo]) / (p->t[hi] - p->t[lo]) : 0;
    for (int i = 0; i < 3; i++)
        x[i] = p->x[lo][i] + f * (p->x[hi][i] - p->x[lo][i]);
    return 1;
}

static double r2(double v, double q)
{
    return isfinite(v) ? round(v * q) / q : 0;
}

/* Position NEES e' P^-1 e with the 3x3 covariance xx xy xz yy yz zz; NAN if singular. */
static double nees3(const double e[3], const double c[6])
{
    double a = c[0], b = c[1], cc = c[2], d = c[3], ee = c[4], f = c[5];
    double A = d * f - ee * ee, B = cc * ee - b * f, C = b * ee - cc * d;
    double det = a * A + b * B + cc * C;
    if (!(det > 0))
        return NAN;
    double D = a * f - cc * cc, E = b * cc - a * ee, F = a * d - b * b;
    double q = e[0] * (A * e[0] + B * e[1] + C * e[2]) + e[1] * (B * e[0] + D * e[1] + E * e[2]) +
               e[2] * (C * e[0] + E * e[1] + F * e[2]);
    return q / det;
}

static json_t *geo_point(const mwx_earth_t *E, double t, const double x[3])
{
    mwx_geo_t g;
    mwx_ecef_to_geo(E, x, &g);
    return json_pack("[f,f,f,f]", r2(t, 10), r2(g.lat / MWX_DEG, 1e4), r2(g.lon / MWX_DEG, 1e4),
                     r2(g.alt / 1000, 10));
}

/* What the page draws from a recording: the true paths, the tracks and the alerts, each
 * in its own compact array (a track record is 424 bytes, an mwx_record_t 1.6 kB), and the
 * scenario. The measurements and shares are skipped while reading: mwx_records_load kept
 * every record, 210 MB for the default scenario, and touching them was most of the
 * report's time (issue 16: the default scenario's report in under 2 s). */
typedef struct rep_in {
    truths_t ts;
    mwx_rec_track_t *trk;
    size_t n_trk, cap_trk;
    mwx_rec_alert_t *alerts;
    size_t n_alerts, cap_alerts;
    mwx_rec_scenario_t scn;
    int have_scn;
    char *scenario_json; /* owned; scn.json points at it */
    double t_lo, t_hi;   /* over truth and tracks */
    size_t n_read;
} rep_in_t;

static void rep_in_free(rep_in_t *in)
{
    for (size_t k = 0; k < in->ts.n; k++) {
        free(in->ts.v[k].t);
        free(in->ts.v[k].x);
    }
    free(in->ts.v);
    free(in->trk);
    free(in->alerts);
    free(in->scenario_json);
    memset(in, 0, sizeof *in);
}

typedef struct rep_load {
    const char *path;
    rep_in_t *in;
} rep_load_t;

static int load_one(void *user, const mwx_record_t *rec, mwx_err_t *err)
{
    rep_load_t *c = user;
    rep_in_t *in = c->in;
    int oom = 0;
    in->n_read++;
    switch (rec->type) {
    case MWX_REC_SCENARIO:
        if (in->have_scn)
            break;
        in->scn = rec->u.scenario;
        in->scn.json = NULL;
        if (rec->u.scenario.json && !(in->scenario_json = strdup(rec->u.scenario.json)))
            oom = 1;
        in->scn.json = in->scenario_json;
        in->have_scn = 1;
        break;
    case MWX_REC_TRUTH: {
        truth_path_t *p = truth_of(&in->ts, rec->u.truth.object);
        oom = !p || truth_push(p, rec->u.truth.t, rec->u.truth.ecef_m);
        in->t_lo = fmin(in->t_lo, rec->u.truth.t);
        in->t_hi = fmax(in->t_hi, rec->u.truth.t);
        break;
    }
    case MWX_REC_TRACK:
        if (!(oom = mwxi_grow(&in->trk, &in->cap_trk, in->n_trk + 1, sizeof *in->trk, 256))) {
            in->trk[in->n_trk++] = rec->u.track;
            in->t_lo = fmin(in->t_lo, rec->u.track.t);
            in->t_hi = fmax(in->t_hi, rec->u.track.t);
        }
        break;
    case MWX_REC_ALERT:
        if (!(oom = mwxi_grow(&in->alerts, &in->cap_alerts, in->n_alerts + 1, sizeof *in->alerts,
                              256)))
            in->alerts[in->n_alerts++] = rec->u.alert;
        break;
    default: break;
    }
    if (oom)
        return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory after %zu records", c->path,
                           in->n_read);
    return 0;
}

/* Same contract as mwx_records_load: on MWX_ETRUNC / MWX_ECORRUPT what was read before
 * the damage stays in in, with the code. */
static int load_for_report(const char *path, rep_in_t *in, mwx_err_t *err)
{
    memset(in, 0, sizeof *in);
    in->t_lo = INFINITY;
    in->t_hi = -INFINITY;
    rep_load_t c = {path, in};
    int rc = mwx_records_each(path, load_one, &c, err);
    if (rc != 0 && rc != MWX_ETRUNC && rc != MWX_ECORRUPT)
        rep_in_free(in);
    return rc;
}

typedef struct track_acc {
    char node[MWX_ID_LEN], id[MWX_ID_LEN];
    json_t *pts, *ell;
    double last_t, last_ell_t;
    size_t n;
} track_acc_t;

/* Everything the page draws, from the recording. */
static json_t *reduce(const rep_in_t *in)
{
    mwx_earth_t E = mwx_earth_wgs84();
    const truths_t ts = in->ts;
    double t_lo = in->t_lo, t_hi = in->t_hi;
    double dt = isfinite(t_lo) ? fmax(1.0, (t_hi - t_lo) / MAX_POINTS) : 1.0;

    json_t *root = json_object(), *truth = json_array(), *tracks = json_array(),
           *alerts = json_array();
    json_object_set_new(root, "truth", truth);
    json_object_set_new(root, "tracks", tracks);
    json_object_set_new(root, "alerts", alerts);
    for (size_t k = 0; k < ts.n; k++) {
        truth_path_t *p = &ts.v[k];
        json_t *pts = json_array();
        double last = -INFINITY;
        for (size_t i = 0; i < p->n; i++)
            if (p->t[i] - last >= dt || i + 1 == p->n) {
                json_array_append_new(pts, geo_point(&E, p->t[i], p->x[i]));
                last = p->t[i];
            }
        json_t *o = json_pack("{s:s,s:o}", "object", p->object, "points", pts);
        json_object_set_new(o, "impact", geo_point(&E, p->t[p->n - 1], p->x[p->n - 1]));
        json_array_append_new(truth, o);
    }

    track_acc_t *acc = NULL;
    size_t n_acc = 0, cap_acc = 0;
    for (size_t i = 0; i < in->n_alerts; i++) {
        const mwx_rec_alert_t *a = &in->alerts[i];
        json_t *regs = json_array();
        for (int j = 0; j < a->n_regions; j++)
            json_array_append_new(regs, json_string(a->regions[j]));
        json_array_append_new(alerts, json_pack("{s:f,s:s,s:s,s:o,s:s}", "t", a->t, "node", a->node,
                                                "msg_type", mwx_msg_type_name(a->msg_type),
                                                "regions", regs, "identifier", a->identifier));
    }
    for (size_t i = 0; i < in->n_trk; i++) {
        const mwx_rec_track_t *tr = &in->trk[i];
        track_acc_t *ta = NULL;
        for (size_t j = 0; j < n_acc && !ta; j++)
            if (strcmp(acc[j].node, tr->node) == 0 && strcmp(acc[j].id, tr->track_id) == 0)
                ta = &acc[j];
        if (!ta) {
            if (mwxi_grow(&acc, &cap_acc, n_acc + 1, sizeof *acc, 64) != 0)
                goto oom2;
            ta = &acc[n_acc++];
            memset(ta, 0, sizeof *ta);
            snprintf(ta->node, sizeof ta->node, "%s", tr->node);
            snprintf(ta->id, sizeof ta->id, "%s", tr->track_id);
            ta->pts = json_array();
            ta->ell = json_array();
            ta->last_t = ta->last_ell_t = -INFINITY;
        }
        if (tr->t - ta->last_t < dt)
            continue;
        ta->last_t = tr->t;
        /* the nearest true object now: the one this track follows */
        const truth_path_t *best = NULL;
        double bd = INFINITY, bx[3] = {0, 0, 0};
        for (size_t j = 0; j < ts.n; j++) {
            double x[3];
            if (!truth_at(&ts.v[j], tr->t, x))
                continue;
            double d =
                hypot(hypot(x[0] - tr->ecef_m[0], x[1] - tr->ecef_m[1]), x[2] - tr->ecef_m[2]);
            if (d < bd) {
                bd = d;
                best = &ts.v[j];
                memcpy(bx, x, sizeof bx);
            }
        }
        if (bd > TRUTH_GATE_M)
            best = NULL;
        json_t *pt = geo_point(&E, tr->t, tr->ecef_m);
        double e[3] = {tr->ecef_m[0] - bx[0], tr->ecef_m[1] - bx[1], tr->ecef_m[2] - bx[2]};
        double nees = best ? nees3(e, tr->cov_pos_m2) : NAN;
        json_array_append_new(pt, best ? json_real(r2(bd / 1000, 1e4)) : json_null());
        json_array_append_new(pt, isfinite(nees) ? json_real(r2(nees, 1e3)) : json_null());
        json_t *ttg = json_null(), *ierr = json_null();
        if (best && tr->impact.valid) {
            const double *xi = best->x[best->n - 1];
            mwx_geo_t gi;
            mwx_ecef_to_geo(&E, xi, &gi);
            double s12, az1, az2;
            mwx_geodesic_inverse(&E, tr->impact.lat * MWX_DEG, tr->impact.lon * MWX_DEG, gi.lat,
                                 gi.lon, &s12, &az1, &az2);
            json_decref(ttg);
            json_decref(ierr);
            ttg = json_real(r2(best->t[best->n - 1] - tr->t, 10));
            ierr = json_real(r2(s12 / 1000, 1e3));
        }
        json_array_append_new(pt, ttg);
        json_array_append_new(pt, ierr);
        json_array_append_new(pt, json_string(best ? best->object : ""));
        json_array_append_new(ta->pts, pt);
        ta->n++;
        /* a few ellipses over the flight: one every ~1/MAX_ELLIPSES of it */
        if (tr->impact.valid && tr->impact.semi_major_km > 0 &&
            tr->t - ta->last_ell_t >= (t_hi - t_lo) / MAX_ELLIPSES) {
            ta->last_ell_t = tr->t;
            json_array_append_new(ta->ell,
                                  json_pack("[f,f,f,f,f,f]", r2(tr->t, 10), tr->impact.lat,
                                            tr->impact.lon, r2(tr->impact.semi_major_km, 100),
                                            r2(tr->impact.semi_minor_km, 100),
                                            r2(tr->impact.orientation_deg, 10)));
        }
    }
    for (size_t j = 0; j < n_acc; j++)
        json_array_append_new(tracks,
                              json_pack("{s:s,s:s,s:o,s:o}", "node", acc[j].node, "id", acc[j].id,
                                        "points", acc[j].pts, "ellipses", acc[j].ell));
    free(acc);
    return root;
oom2:
    for (size_t j = 0; j < n_acc; j++) {
        json_decref(acc[j].pts);
        json_decref(acc[j].ell);
    }
    free(acc);
    json_decref(root);
    return NULL;
}

/* ------------------------------------------------------------------ page */

/* JSON inside <script>: '<' only occurs in strings, where \u003c means the same. */
static void put_json(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("\\u003c", f);
        else
            fputc(*s, f);
    }
}

static int put_asset(FILE *f, const char *assets, const char *rel, const char *open,
                     const char *close, int as_json)
{
    char path[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/%s", assets, rel);
    size_t n;
    char *b = slurp(path, &n);
    if (!b) {
        fprintf(stderr,
                "mwx report: cannot read the page asset %s (build with cmake after "
                "scripts/setup-deps, or set MWX_WEB_ASSETS)\n",
                path);
        return -1;
    }
    fputs(open, f);
    if (as_json)
        put_json(f, b);
    else if (strstr(b, "</script") || strstr(b, "</style")) {
        fprintf(stderr, "mwx report: %s cannot be inlined (it contains a closing tag)\n", path);
        free(b);
        return -1;
    } else
        fwrite(b, 1, n, f);
    fputs(close, f);
    free(b);
    return 0;
}

int mwx_cmd_report(int argc, char **argv)
{
    if (mwx_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1])
            return mwx_cli_usage_error("report", "unknown or incomplete option '%s'", argv[i]);
        else if (!in)
            in = argv[i];
        else
            return mwx_cli_usage_error("report", "one RUN_DIR only ('%s' is extra)", argv[i]);
    }
    if (!in)
        return mwx_cli_usage_error("report", "missing RUN_DIR");
    char dir[PATH_MAX], rec[PATH_MAX + 300], rj[PATH_MAX + 16], outp[PATH_MAX + 16];
    if (find_recording(in, dir, sizeof dir, rec, sizeof rec) != 0) {
        fprintf(stderr, "mwx report: %s: no recording (expected run.mwxr or a *.mwxr)\n", in);
        return 1;
    }
    snprintf(rj, sizeof rj, "%s/report.json", dir);
    if (!out) {
        snprintf(outp, sizeof outp, "%s/report.html", dir);
        out = outp;
    }
    mwx_err_t err;
    mwx_err_clear(&err);
    char assets[PATH_MAX];
    if (mwx_web_default_assets(assets, sizeof assets, &err) != 0)
        return mwx_cli_fail("report", &err);

    rep_in_t rs;
    int rc = load_for_report(rec, &rs, &err);
    if (rc == MWX_ETRUNC || rc == MWX_ECORRUPT)
        fprintf(stderr, "mwx report: warning: %s; reporting the %zu records before it\n", err.msg,
                rs.n_read);
    else if (rc) {
        rep_in_free(&rs);
        return mwx_cli_fail("report", &err);
    }
    int have_rj = access(rj, R_OK) == 0;
    if (!have_rj) {
        /* A node's recording has no truth to score: the page then shows what the
         * recording holds (tracks, alerts) without the scored figures. */
        if (write_report_json(rec, rj) != 0)
            fprintf(stderr,
                    "mwx report: warning: no report.json (mwx score %s failed); the "
                    "page has no scored figures\n",
                    rec);
        else {
            fprintf(stderr, "mwx report: wrote %s\n", rj);
            have_rj = 1;
        }
    }
    json_error_t je;
    json_t *report = have_rj ? json_load_file(rj, 0, &je) : json_object();
    if (!report) {
        fprintf(stderr, "mwx report: %s: %s (line %d)\n", rj, je.text, je.line);
        rep_in_free(&rs);
        return 1;
    }
    json_t *data = reduce(&rs);
    if (!data) {
        json_decref(report);
        rep_in_free(&rs);
        fprintf(stderr, "mwx report: out of memory\n");
        return 3;
    }
    const mwx_rec_scenario_t *scn = rs.have_scn ? &rs.scn : NULL;
    json_t *sj = rs.scenario_json ? json_loads(rs.scenario_json, 0, NULL) : NULL;
    json_object_set_new(data, "scenario", sj ? sj : json_null());
    json_object_set_new(data, "name", json_string(scn ? scn->name : ""));
    json_object_set_new(data, "status", json_string(scn ? mwx_status_name(scn->status) : ""));
    json_object_set_new(data, "epoch", json_string(scn ? scn->epoch : ""));
    json_object_set_new(data, "report", report);
    json_object_set_new(data, "source", json_string(rec));
    char *text = json_dumps(data, JSON_COMPACT | JSON_REAL_PRECISION(8));
    json_decref(data);
    rep_in_free(&rs);
    if (!text) {
        fprintf(stderr, "mwx report: out of memory\n");
        return 3;
    }

    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "mwx report: cannot write %s: %s\n", tmp, strerror(errno));
        free(text);
        return 3;
    }
    /* No request at all: default-src 'none'; inline scripts and styles only. */
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>mwx after-action report</title>\n",
          f);
    int bad = put_asset(f, assets, "vendor/leaflet/leaflet.css", "<style>\n", "</style>\n", 0) ||
              put_asset(f, assets, "vendor/uplot/uPlot.min.css", "<style>\n", "</style>\n", 0) ||
              put_asset(f, assets, "report.css", "<style>\n", "</style>\n", 0);
    if (!bad) {
        fputs("</head>\n<body>\n<div id=\"app\"></div>\n"
              "<script type=\"application/json\" id=\"mwx-data\">",
              f);
        put_json(f, text);
        fputs("</script>\n", f);
        bad =
            put_asset(f, assets, "vendor/world-atlas/countries-50m.json",
                      "<script type=\"application/json\" id=\"mwx-world\">", "</script>\n", 1) ||
            put_asset(f, assets, "data/northeast-asia.geojson",
                      "<script type=\"application/json\" id=\"mwx-regions\">", "</script>\n", 1) ||
            put_asset(f, assets, "vendor/leaflet/leaflet.js", "<script>\n", "</script>\n", 0) ||
            put_asset(f, assets, "vendor/uplot/uPlot.iife.min.js", "<script>\n", "</script>\n",
                      0) ||
            put_asset(f, assets, "vendor/topojson-client.min.js", "<script>\n", "</script>\n", 0) ||
            put_asset(f, assets, "report.js", "<script>\n", "</script>\n", 0);
        fputs("</body></html>\n", f);
    }
    free(text);
    if (fclose(f) != 0 || bad || rename(tmp, out) != 0) {
        unlink(tmp);
        if (!bad)
            fprintf(stderr, "mwx report: cannot write %s\n", out);
        return 3;
    }
    printf("mwx report: %s\n", out);
    return 0;
}
