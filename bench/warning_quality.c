/*
 * Warning quality (docs/BENCHMARKS.md "Warning quality"): every historic scenario and the
 * default morning through mwx_run (one shared pass), then per launch and region:
 *
 *   event      the region is struck (the Report's threatened regions of kind impact:
 *              impact point or ground track below 100 km) or overflown (kind overflight,
 *              or the simulated ground track while the object is at or above 100 km
 *              crosses it, found here from the truth)
 *   lead/limit mwx's lead time / (event - first detection): the share of the physically
 *              available warning time that mwx used (goal >= 0.9)
 *              (events are the simulation's: its flight differs from the real one)
 *   vs real    mwx's lead minus the real alert's lead, both against the real event
 *              (reference_comparison; goal > 0 for every region the real system warned)
 *   missed     struck or overflown, never warned before the event (goal 0)
 *   false@300  regions under an Alert/Update at t_impact - 300 s that are neither struck
 *              nor overflown (goal <= 1 per launch): a region is under a series' warning
 *              when the series' latest message by then is an Alert/Update naming it
 *   early      regions named by an Alert/Update before t_impact - 300 s (a boost-phase
 *              fan) that are neither struck nor overflown, released by then (reported)
 *
 * Alerts belong to a launch by the track their identifier names: each track goes to the
 * launch of the truth object nearest to its updates (by vote); alerts of a track never
 * matched, by time (the launch's flight).
 *
 * Usage: warning_quality [--all] [--seeds A-B]
 *   --all    every scenarios/ *.json file too (default: historic and default.json)
 *   --seeds  run each scenario with seeds A..B (default: the scenario's own seed)
 *
 * Figures, not timings: deterministic for the seeds.
 */
#define _XOPEN_SOURCE 700
#include "mwx/core.h"
#include "mwx/node.h"
#include "mwx/warn.h"

#include <ftw.h>
#include <glob.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ALERTS 4096
#define MAX_PTS    20000

#define MAX_TRK 256

typedef struct obs {
    mwx_rec_alert_t *alerts;
    size_t n_alerts;
    /* the latest truth position of each object, and its launch */
    double last_pos[16][3], last_t[16];
    char obj_launch[16][MWX_ID_LEN];
    /* (node, track) -> votes per object */
    char trk_node[MAX_TRK][MWX_ID_LEN], trk_id[MAX_TRK][MWX_ID_LEN];
    int votes[MAX_TRK][16];
    int n_trk;
    /* ground track points at or above 100 km, per object (by first-seen index) */
    char obj[16][MWX_ID_LEN];
    double (*pts[16])[2];
    double *pt_t[16];
    size_t n_pts[16];
    int n_obj;
    mwx_earth_t earth;
} obs_t;

static void on_record(void *user, const mwx_record_t *rec)
{
    obs_t *o = user;
    if (rec->type == MWX_REC_TRACK) { /* vote: the nearest object, if within 50 km */
        const mwx_rec_track_t *k = &rec->u.track;
        int best = -1, j = 0;
        double bd = 50e3;
        for (int q = 0; q < o->n_obj; q++) {
            double d[3];
            if (fabs(o->last_t[q] - k->t) > 2.0)
                continue;
            for (int c = 0; c < 3; c++)
                d[c] = o->last_pos[q][c] - k->ecef_m[c];
            if (sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) < bd) {
                bd = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
                best = q;
            }
        }
        if (best < 0)
            return;
        while (j < o->n_trk &&
               (strcmp(o->trk_node[j], k->node) != 0 || strcmp(o->trk_id[j], k->track_id) != 0))
            j++;
        if (j == o->n_trk) {
            if (o->n_trk == MAX_TRK)
                return;
            mwx_strlcpy(o->trk_node[j], k->node, MWX_ID_LEN);
            mwx_strlcpy(o->trk_id[j], k->track_id, MWX_ID_LEN);
            o->n_trk++;
        }
        o->votes[j][best]++;
        return;
    }
    if (rec->type == MWX_REC_ALERT && o->n_alerts < MAX_ALERTS) {
        o->alerts[o->n_alerts++] = rec->u.alert;
    } else if (rec->type == MWX_REC_TRUTH) {
        const mwx_rec_truth_t *t = &rec->u.truth;
        int k = 0;
        while (k < o->n_obj && strcmp(o->obj[k], t->object) != 0)
            k++;
        if (k == o->n_obj) {
            if (o->n_obj == 16)
                return;
            mwx_strlcpy(o->obj[k], t->object, MWX_ID_LEN);
            o->pts[k] = calloc(MAX_PTS, sizeof *o->pts[k]);
            o->pt_t[k] = calloc(MAX_PTS, sizeof *o->pt_t[k]);
            o->n_pts[k] = 0;
            o->n_obj++;
        }
        mwx_geo_t g;
        memcpy(o->last_pos[k], t->ecef_m, sizeof o->last_pos[k]);
        o->last_t[k] = t->t;
        mwx_strlcpy(o->obj_launch[k], t->launch[0] ? t->launch : t->object, MWX_ID_LEN);
        mwx_ecef_to_geo(&o->earth, t->ecef_m, &g);
        if (g.alt >= 100e3 && o->pts[k] && o->pt_t[k] && o->n_pts[k] < MAX_PTS) {
            o->pt_t[k][o->n_pts[k]] = t->t;
            o->pts[k][o->n_pts[k]][0] = g.lat * 180.0 / M_PI;
            o->pts[k][o->n_pts[k]][1] = g.lon * 180.0 / M_PI;
            o->n_pts[k]++;
        }
    }
}

/* The first truth time at or above 100 km whose ground point lies in region r: the
 * simulated overflight (between samples 1 s apart). */
static double overflight_time(const obs_t *o, int k, mwx_regions_t *regions, size_t r,
                              uint8_t *scratch)
{
    const mwx_region_info_t *ri = mwx_regions_info(regions, r);
    mwx_err_t err = {0, ""};
    for (size_t i = 0; i < o->n_pts[k]; i++) {
        double lat = o->pts[k][i][0], lon = o->pts[k][i][1];
        if (lat < ri->min_lat || lat > ri->max_lat || lon < ri->min_lon || lon > ri->max_lon)
            continue;
        if (mwx_regions_at_point(regions, lat, lon, scratch, NULL, &err) == MWX_OK && scratch[r])
            return o->pt_t[k][i];
    }
    return NAN;
}

/* The launch id of the track an alert names ("mwx.<node>[.<run>].<track>.<kind>.<n>"),
 * or NULL when the track was never matched to an object. */
static const char *alert_launch(const obs_t *o, const mwx_rec_alert_t *a)
{
    const char *id = a->identifier, *e = id + strlen(id), *p = e;
    int dots = 0;
    while (p > id && dots < 2)
        if (*--p == '.')
            dots++;
    const char *q = p;
    while (q > id && q[-1] != '.')
        q--;
    size_t tl = (size_t)(p - q);
    for (int j = 0; j < o->n_trk; j++) {
        if (strcmp(o->trk_node[j], a->node) != 0 || strlen(o->trk_id[j]) != tl ||
            strncmp(o->trk_id[j], q, tl) != 0)
            continue;
        int best = -1, bv = 0;
        for (int k = 0; k < o->n_obj; k++)
            if (o->votes[j][k] > bv) {
                bv = o->votes[j][k];
                best = k;
            }
        return best >= 0 ? o->obj_launch[best] : NULL;
    }
    return NULL;
}

/* The series of an alert: its identifier without the message number. */
static size_t series_len(const char *id)
{
    const char *d = strrchr(id, '.');
    return d ? (size_t)(d - id) : strlen(id);
}

static int rm_entry(const char *p, const struct stat *s, int f, struct FTW *w)
{
    (void)s;
    (void)f;
    (void)w;
    return remove(p);
}

static json_t *find_id(json_t *arr, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        json_t *x = json_is_object(v) ? json_object_get(v, "id") : v;
        if (json_is_string(x) && strcmp(json_string_value(x), id) == 0)
            return v;
    }
    return NULL;
}

/* Per-run totals for the summary line. */
typedef struct totals {
    int regions, ratio_ok, real_warned, ahead, missed, launches, false_ok, early;
    int false300_max;
    double ratio_min;
} totals_t;

static void one(const char *path, mwx_regions_t *regions, totals_t *tt, long seed)
{
    char out[] = "/tmp/mwx-bench-wq-XXXXXX";
    obs_t o;
    memset(&o, 0, sizeof o);
    o.earth = mwx_earth_wgs84();
    o.alerts = calloc(MAX_ALERTS, sizeof *o.alerts);
    if (!o.alerts || !mkdtemp(out))
        return;
    mwx_run_opts_t ro = {0};
    mwx_run_result_t res;
    mwx_err_t err = {0, ""};
    ro.scenario_path = path;
    ro.out_dir = out;
    ro.observe = on_record;
    ro.user = &o;
    if (seed >= 0) {
        ro.seed = (uint64_t)seed;
        ro.has_seed = 1;
    }
    char name_s[160];
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (seed >= 0) {
        snprintf(name_s, sizeof name_s, "%s seed %ld", name, seed);
        name = name_s;
    }
    if (mwx_run(&ro, &res, &err) != MWX_OK) {
        printf("| %s | run failed: %s |\n", name, err.msg);
        goto done;
    }
    mwx_run_result_free(&res);
    char rp[200];
    snprintf(rp, sizeof rp, "%s/report.json", out);
    json_t *rep = json_load_file(rp, 0, NULL);
    json_t *cmp = rep ? json_object_get(rep, "reference_comparison") : NULL;
    size_t li;
    json_t *l;
    size_t nreg = mwx_regions_count(regions);
    uint8_t *hit = calloc(nreg, 1), *scratch = calloc(nreg, 1);
    json_array_foreach(rep ? json_object_get(rep, "launches") : NULL, li, l)
    {
        const char *lid = json_string_value(json_object_get(l, "id"));
        double tl = json_number_value(json_object_get(l, "t_launch"));
        double ti = json_is_number(json_object_get(l, "t_impact"))
                        ? json_number_value(json_object_get(l, "t_impact"))
                        : NAN;
        double td = json_number_value(json_object_get(l, "t_first_detection"));
        tt->launches++;
        /* overflown regions from the simulated truth */
        memset(hit, 0, nreg);
        int kobj = -1;
        for (int k = 0; k < o.n_obj; k++)
            if (strcmp(o.obj[k], lid) == 0 && o.n_pts[k] >= 2) {
                kobj = k;
                (void)mwx_regions_along_line(regions, (const double(*)[2])o.pts[k], o.n_pts[k], 0,
                                             hit, NULL, &err);
            }
        double tend = isfinite(ti) ? ti : INFINITY;
        /* this launch's alerts: by the track they name, else by time */
        uint8_t *mine = calloc(o.n_alerts ? o.n_alerts : 1, 1);
        for (size_t a = 0; a < o.n_alerts; a++) {
            const char *la = alert_launch(&o, &o.alerts[a]);
            mine[a] = la ? strcmp(la, lid) == 0 : o.alerts[a].t >= tl && o.alerts[a].t <= tend;
        }
        /* mwx's first Alert/Update per region from this launch's alerts */
        int false300 = 0, missed = 0, early = 0;
        char false_ids[256] = "", early_ids[512] = "";
        for (size_t r = 0; r < nreg; r++) {
            const char *rid = mwx_regions_info(regions, r)->id;
            json_t *sr = find_id(json_object_get(l, "regions"), rid);
            /* the Report scores overflight regions as threatened too (kind "overflight"):
             * those are overflown, not struck (their event is the overflight, not impact) */
            const char *skind = sr ? json_string_value(json_object_get(sr, "kind")) : NULL;
            int rep_over = sr && json_is_true(json_object_get(sr, "threatened")) && skind &&
                           strcmp(skind, "overflight") == 0;
            int struck = sr && json_is_true(json_object_get(sr, "threatened")) && !rep_over;
            int over = (hit[r] || rep_over) && !struck;
            double first = NAN;
            int active300 = 0, before300 = 0;
            for (size_t a = 0; a < o.n_alerts; a++) {
                const mwx_rec_alert_t *al = &o.alerts[a];
                if (!mine[a] || (isfinite(ti) && al->t > ti) || strstr(al->identifier, ".launch."))
                    continue;
                int names = 0;
                for (int q = 0; q < al->n_regions; q++)
                    names |= strcmp(al->regions[q], rid) == 0;
                if (names && al->msg_type != MWX_MSG_CANCEL && isnan(first))
                    first = al->t;
                if (names && al->msg_type != MWX_MSG_CANCEL && isfinite(ti) && al->t <= ti - 300)
                    before300 = 1;
                /* the series' latest message by ti - 300 decides (a later one replaces it) */
                if (isfinite(ti) && al->t <= ti - 300) {
                    size_t sl = series_len(al->identifier);
                    int later = 0;
                    for (size_t b = a + 1; b < o.n_alerts && !later; b++)
                        later = mine[b] && o.alerts[b].t <= ti - 300 &&
                                series_len(o.alerts[b].identifier) == sl &&
                                strncmp(o.alerts[b].identifier, al->identifier, sl) == 0;
                    if (!later && names && al->msg_type != MWX_MSG_CANCEL)
                        active300 = 1;
                }
            }
            if (!struck && !over) {
                if (active300 && strlen(false_ids) + strlen(rid) + 2 < sizeof false_ids) {
                    strcat(false_ids, " ");
                    strcat(false_ids, rid);
                }
                if (before300 && !active300) {
                    early++;
                    if (strlen(early_ids) + strlen(rid) + 2 < sizeof early_ids) {
                        strcat(early_ids, " ");
                        strcat(early_ids, rid);
                    }
                }
                false300 += active300;
                continue;
            }
            /* the simulated event: impact for a struck region, the first ground point at
             * or above 100 km inside it for an overflown one (the Report does not time
             * overflights yet); the limit is the event minus the first detection */
            json_t *cr = cmp ? find_id(json_object_get(cmp, "regions"), rid) : NULL;
            /* a struck region's event: the Report's (a stage's fall is its own time, not
             * the launch's impact; a space launch to orbit has none) */
            json_t *tev = sr ? json_object_get(sr, "t_event") : NULL;
            double ev = struck      ? (json_is_number(tev) ? json_number_value(tev) : ti)
                        : kobj >= 0 ? overflight_time(&o, kobj, regions, r, scratch)
                                    : NAN;
            if (!struck && !isfinite(ev) && rep_over) { /* the Report's own overflight time */
                json_t *fa = json_object_get(sr, "t_first_alert"),
                       *lt = json_object_get(sr, "lead_time_s");
                if (json_is_number(fa) && json_is_number(lt))
                    ev = json_number_value(fa) + json_number_value(lt);
            }
            double lead = isfinite(first) ? ev - first : NAN, limit = ev - td;
            double vs_real = NAN;
            json_t *ra = cr ? json_object_get(json_object_get(cr, "real"), "lead_s") : NULL;
            json_t *ml = cr ? json_object_get(json_object_get(cr, "mwx"), "lead_s") : NULL;
            if (json_is_number(ra) && json_is_number(ml))
                vs_real = json_number_value(ml) - json_number_value(ra);
            int warned = isfinite(first);
            missed += !warned;
            tt->regions++;
            double ratio = isfinite(lead) && limit > 0 ? lead / limit : NAN;
            tt->ratio_ok += isfinite(ratio) && ratio >= 0.9;
            if (isfinite(ratio) && !(ratio >= tt->ratio_min))
                tt->ratio_min = ratio;
            if (json_is_number(ra)) {
                tt->real_warned++;
                tt->ahead += isfinite(vs_real) && vs_real > 0;
            }
            printf("| %s | %s | %s | %s | ", name, lid, rid,
                   !struck                                    ? "overflown"
                   : skind && strcmp(skind, "drop_zone") == 0 ? "struck (drop zone)"
                                                              : "struck");
            if (isfinite(ratio))
                printf("%.0f / %.0f = %.2f | ", lead, limit, ratio);
            else
                printf("%s | ", warned ? "-" : "not warned");
            if (isfinite(vs_real))
                printf("%+.0f |\n", vs_real);
            else
                printf("%s |\n", json_is_number(ra) ? "mwx none" : "-");
        }
        tt->missed += missed;
        tt->false_ok += false300 <= 1;
        tt->early += early;
        if (false300 > tt->false300_max)
            tt->false300_max = false300;
        printf("| %s | %s | (launch) | missed %d, false at 300 s to go %d%s; early, released "
               "by then %d%s | | |\n",
               name, lid, missed, false300, false_ids, early, early_ids);
        free(mine);
    }
    /* regions the real system warned that were neither struck nor overflown in reality */
    if (cmp) {
        size_t i;
        json_t *cr;
        int real_false = 0, real_warned = 0;
        json_array_foreach(json_object_get(cmp, "regions"), i, cr)
        {
            json_t *ra = json_object_get(json_object_get(cr, "real"), "t_alert_s");
            if (!json_is_number(ra))
                continue;
            real_warned++;
            real_false += json_is_null(json_object_get(cr, "t_event_s"));
        }
        printf("| %s | real system | (%d regions warned) | %d never reached | | |\n", name,
               real_warned, real_false);
    }
    free(hit);
    free(scratch);
    json_decref(rep);
done:
    for (int k = 0; k < o.n_obj; k++) {
        free(o.pts[k]);
        free(o.pt_t[k]);
    }
    free(o.alerts);
    nftw(out, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(int argc, char **argv)
{
    int all = 0;
    long s0 = -1, s1 = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--all") == 0)
            all = 1;
        else if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc &&
                 sscanf(argv[i + 1], "%ld-%ld", &s0, &s1) == 2 && s0 >= 0 && s1 >= s0)
            i++;
        else {
            fprintf(stderr, "usage: warning_quality [--all] [--seeds A-B]\n");
            return 2;
        }
    }
    mwx_regions_t *regions = NULL;
    mwx_err_t err = {0, ""};
    if (mwx_regions_load(MWX_SOURCE_DIR "/data/regions/northeast-asia.geojson", &regions, &err) !=
        MWX_OK) {
        fprintf(stderr, "warning_quality: %s\n", err.msg);
        return 1;
    }
    printf("warning_quality: mwx_run (shared pass) on scenarios/historic/*.json and the "
           "default morning\n\n");
    printf("| scenario | launch | region | event | lead / (event - first detection) s | mwx "
           "lead - real lead s |\n|---|---|---|---|---|---|\n");
    totals_t tt = {0};
    tt.ratio_min = INFINITY;
    glob_t g;
    int gf = glob(MWX_SOURCE_DIR "/scenarios/historic/*.json", 0, NULL, &g);
    if (gf == 0 && all)
        gf = glob(MWX_SOURCE_DIR "/scenarios/*.json", GLOB_APPEND, NULL, &g);
    else if (gf == 0)
        gf = glob(MWX_SOURCE_DIR "/scenarios/default.json", GLOB_APPEND, NULL, &g);
    if (gf == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            for (long sd = s0; sd <= s1; sd++)
                one(g.gl_pathv[i], regions, &tt, sd);
        globfree(&g);
    }
    printf("\nwarning_quality: %d struck/overflown regions, %d at lead >= 0.9 x limit; "
           "%d warned by the real system with a real event, mwx ahead on %d; %d missed; "
           "%d of %d launches with <= 1 false region at 300 s to go (most %d); %d early "
           "regions released by then; lowest lead / limit %.2f\n",
           tt.regions, tt.ratio_ok, tt.real_warned, tt.ahead, tt.missed, tt.false_ok, tt.launches,
           tt.false300_max, tt.early, tt.ratio_min);
    mwx_regions_free(regions);
    return 0;
}
