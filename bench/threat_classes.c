/*
 * Threat classes (docs/BENCHMARKS.md "Threat classes", issue 11): each class's test
 * scenario flown with MWX_BENCH_SEEDS seeds (default 20), every nation's picture scored
 * with mwx_score_compute (its fused tracks and its alerts, as mwx run's sharing-benefit
 * table does), once with the scenario's sharing rules ("shared") and once with none
 * ("alone": the same scenario and seed without its "sharing" key). Per class and mode,
 * the median and 95th percentile (nearest rank) over every nation, seed and launch/object:
 *
 *   err300, err60   impact-point error (km) at 300 s and 60 s to go, per falling object
 *                   (the vehicle and each spent stage); no prediction = counted apart
 *   lead_frac       lead time / (event - the launch's first detection) per threatened
 *                   region of the nation (a missed region counts 0)
 *   false/launch    the nation's own regions warned and never threatened, per launch
 *   t_pred          first impact estimate (ellipse or corridor) of the launch's tracks
 *                   minus its first detection, s
 *   missed/launch   the nation's own threatened regions never warned before the event
 *   orbit_impact    impact warnings from tracks of parts that reach orbit (goal 0)
 *
 * MWX_BENCH_CLASS=NAMES runs only the classes whose name contains one of the
 * comma-separated NAMES (e.g. "glide", "quasi,ballistic").
 *
 * Figures, not timings: deterministic for the seeds. Glide is skipped with a note while
 * scenarios/test-glide.json is missing or refused by the simulator.
 */
#define _XOPEN_SOURCE 700
#include "mwx/core.h"
#include "mwx/node.h"
#include "mwx/score.h"
#include "mwx/warn.h"

#include <ftw.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct cls {
    const char *name, *file;
} cls_t;

static const cls_t CLASSES[] = {
    {"ballistic", "test-landfall.json"}, {"quasi-ballistic", "test-quasi-ballistic.json"},
    {"staging", "test-staging.json"},    {"space launch", "test-space-launch.json"},
    {"glide", "test-glide.json"},
};
#define N_CLASSES (sizeof CLASSES / sizeof CLASSES[0])

enum { M_ERR300, M_ERR60, M_LEAD, M_FALSE, M_TPRED, M_MISSED, M_ORBIT, N_METRICS };
static const char *const METRIC[N_METRICS] = {"impact error at 300 s to go (km)",
                                              "impact error at 60 s to go (km)",
                                              "lead / (event - first detection)",
                                              "false regions per launch",
                                              "first detection to first ellipse/corridor (s)",
                                              "missed regions per launch",
                                              "impact warnings for parts in orbit"};

typedef struct vec {
    double *v;
    size_t n, cap;
    size_t n_null; /* no value (no prediction, never predicted) */
} vec_t;

static void vpush(vec_t *x, double v)
{
    if (!isfinite(v)) {
        x->n_null++;
        return;
    }
    if (x->n == x->cap) {
        size_t c = x->cap ? 2 * x->cap : 64;
        double *p = realloc(x->v, c * sizeof *p);
        if (!p)
            return;
        x->v = p;
        x->cap = c;
    }
    x->v[x->n++] = v;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* nearest rank */
static double pct(vec_t *x, double p)
{
    if (!x->n)
        return NAN;
    qsort(x->v, x->n, sizeof *x->v, cmpd);
    size_t k = (size_t)ceil(p / 100.0 * (double)x->n);
    return x->v[k ? k - 1 : 0];
}

static size_t count_pos(const vec_t *x)
{
    size_t k = 0;
    for (size_t i = 0; i < x->n; i++)
        k += x->v[i] > 0;
    return k;
}

static double vsum(const vec_t *x)
{
    double t = 0;
    for (size_t i = 0; i < x->n; i++)
        t += x->v[i];
    return t;
}

static double vmax(vec_t *x)
{
    return x->n ? pct(x, 100.0) : NAN;
}

/* the records a picture needs: truth, measurements, confirmed tracks, alerts */
static void on_record(void *user, const mwx_record_t *rec)
{
    mwx_records_t *rs = user;
    int keep = rec->type == MWX_REC_TRUTH || rec->type == MWX_REC_MEAS ||
               rec->type == MWX_REC_ALERT || (rec->type == MWX_REC_TRACK && rec->u.track.confirmed);
    if (keep && mwx_records_push(rs, rec) != MWX_OK)
        fprintf(stderr, "threat_classes: out of memory\n");
}

static int rm_entry(const char *p, const struct stat *s, int f, struct FTW *w)
{
    (void)s;
    (void)f;
    (void)w;
    return remove(p);
}

/* A nation's picture, as mwx run scores it: its fused tracks and its alerts. */
static int nation_picture(const mwx_records_t *all, const char *nation, mwx_records_t *out)
{
    for (size_t i = 0; i < all->n; i++) {
        const mwx_record_t *r = &all->v[i];
        int take = r->type == MWX_REC_TRUTH || r->type == MWX_REC_MEAS;
        if (r->type == MWX_REC_TRACK)
            take = strcmp(r->u.track.node, nation) == 0 && strstr(r->u.track.track_id, "-F");
        if (r->type == MWX_REC_ALERT)
            take = strcmp(r->u.alert.node, nation) == 0;
        if (take && mwx_records_push(out, r) != MWX_OK)
            return MWX_ENOMEM;
    }
    return MWX_OK;
}

static void score_nation(const mwx_records_t *all, const char *nation, const char *scn_json,
                         mwx_regions_t *regions, vec_t *m, int *worst_missed)
{
    mwx_records_t sub = {0};
    mwx_score_opts_t so;
    mwx_report_t rep;
    mwx_err_t err = {0, ""};
    char prefix[MWX_ID_LEN + 2];
    snprintf(prefix, sizeof prefix, "%s-", nation);
    if (nation_picture(all, nation, &sub) != MWX_OK) {
        mwx_records_free(&sub);
        return;
    }
    mwx_score_opts_default(&so);
    mwx_score_opts_from_scenario(&so, scn_json);
    so.regions = mwx_score_warn_regions;
    so.regions_ctx = regions;
    if (mwx_score_compute(sub.v, sub.n, &so, &rep, &err) == MWX_OK) {
        for (size_t li = 0; li < rep.n_launches; li++) {
            const mwx_score_launch_t *l = &rep.launches[li];
            int missed = 0, falses = 0;
            for (int k = 0; k < l->n_objects; k++) {
                const mwx_score_object_t *ob = &l->objects[k];
                if (ob->last_phase == MWX_PHASE_ORBIT)
                    vpush(&m[M_ORBIT], ob->n_impact_warnings);
                if (!isfinite(ob->t_impact))
                    continue;
                vpush(&m[M_ERR300], ob->impact_error_km[MWX_SCORE_AT_TTG_300]);
                vpush(&m[M_ERR60], ob->impact_error_km[MWX_SCORE_AT_TTG_60]);
            }
            for (int r = 0; r < l->n_regions; r++) {
                const mwx_score_region_t *g = &l->regions[r];
                if (strncmp(g->id, prefix, strlen(prefix)) != 0)
                    continue; /* a nation warns its own regions */
                if (!g->threatened) {
                    falses += !isnan(g->t_first_alert);
                    continue;
                }
                double limit = g->t_event - l->t_first_detection;
                if (isnan(g->t_first_alert))
                    missed++;
                if (limit > 0)
                    vpush(&m[M_LEAD], isnan(g->lead_time_s) ? 0.0 : g->lead_time_s / limit);
            }
            vpush(&m[M_FALSE], falses);
            vpush(&m[M_MISSED], missed);
            if (missed > *worst_missed)
                *worst_missed = missed;
            vpush(&m[M_TPRED], l->t_first_prediction - l->t_first_detection);
        }
    } else {
        fprintf(stderr, "threat_classes: score %s: %s\n", nation, err.msg);
    }
    mwx_report_free(&rep);
    mwx_records_free(&sub);
}

/* One run of path (shared) or of path without its sharing rules (alone); each nation
 * scored into m. Returns 0, or -1 with the reason in why. */
static int one_run(const char *path, int alone, uint64_t seed, mwx_regions_t *regions, vec_t *m,
                   int *worst_missed, char *why, size_t why_n)
{
    char out[] = "/tmp/mwx-bench-tc-XXXXXX";
    char scn[sizeof out + 16];
    mwx_records_t rs = {0};
    json_error_t je;
    int rc = -1;
    json_t *root = json_load_file(path, 0, &je);
    if (!root || !mkdtemp(out)) {
        snprintf(why, why_n, "cannot read %s", path);
        json_decref(root);
        return -1;
    }
    if (alone)
        json_object_del(root, "sharing");
    snprintf(scn, sizeof scn, "%s/scn.json", out);
    char *text = json_dumps(root, JSON_COMPACT);
    if (!text || json_dump_file(root, scn, 0) != 0) {
        snprintf(why, why_n, "cannot write %s", scn);
        goto done;
    }
    mwx_run_opts_t ro = {0};
    mwx_run_result_t res;
    mwx_err_t err = {0, ""};
    char od[sizeof out + 8];
    snprintf(od, sizeof od, "%s/run", out);
    ro.scenario_path = scn;
    ro.out_dir = od;
    ro.seed = seed;
    ro.has_seed = 1;
    ro.observe = on_record;
    ro.user = &rs;
    if (mwx_run(&ro, &res, &err) != MWX_OK) {
        snprintf(why, why_n, "%s", err.msg);
        goto done;
    }
    mwx_run_result_free(&res);
    json_t *nat;
    size_t i;
    json_array_foreach(json_object_get(root, "nations"), i, nat)
    {
        const char *id = json_string_value(json_object_get(nat, "id"));
        if (id)
            score_nation(&rs, id, text, regions, m, worst_missed);
    }
    rc = 0;
done:
    free(text);
    json_decref(root);
    mwx_records_free(&rs);
    nftw(out, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}

/* Is name one of the comma-separated parts of list (each a substring of name)? */
static int name_in(const char *list, const char *name)
{
    char buf[256], *save = NULL;
    snprintf(buf, sizeof buf, "%s", list);
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        if (*tok && strstr(name, tok))
            return 1;
    return 0;
}

static void cell(double x, int prec)
{
    if (isfinite(x))
        printf(" %.*f |", prec, x);
    else
        printf(" - |");
}

int main(void)
{
    mwx_regions_t *regions = NULL;
    mwx_err_t err = {0, ""};
    const char *e = getenv("MWX_BENCH_SEEDS");
    /* MWX_BENCH_CLASS=glide (or any part of a class name, comma-separated): those only */
    const char *only = getenv("MWX_BENCH_CLASS");
    int seeds = e && atoi(e) > 0 ? atoi(e) : 20;
    if (mwx_regions_load(MWX_SOURCE_DIR "/data/regions/northeast-asia.geojson", &regions, &err) !=
        MWX_OK) {
        fprintf(stderr, "threat_classes: %s\n", err.msg);
        return 1;
    }
    printf("threat_classes: %d seeds per class, every nation's picture scored alone (no "
           "sharing rules) and shared; median / p95 (nearest rank) over nations x seeds x "
           "launches (objects for impact errors); n = values, null = no value\n\n",
           seeds);
    printf("| class | metric | alone median | alone p95 | shared median | shared p95 | n "
           "(null) alone / shared |\n|---|---|---|---|---|---|---|\n");
    char summary[N_CLASSES][256];
    memset(summary, 0, sizeof summary);
    double goal_q60 = NAN, goal_g60 = NAN;
    int goal_missed = 0, goal_orbit = 0, q_done = 0, g_done = 0;
    for (size_t c = 0; c < N_CLASSES; c++) {
        char path[512], why[300] = "";
        if (only && *only && !name_in(only, CLASSES[c].name))
            continue;
        snprintf(path, sizeof path, MWX_SOURCE_DIR "/scenarios/%s", CLASSES[c].file);
        if (access(path, R_OK) != 0) {
            printf("| %s | skipped: scenarios/%s is not there yet | | | | | |\n", CLASSES[c].name,
                   CLASSES[c].file);
            continue;
        }
        vec_t m[2][N_METRICS];
        int worst[2] = {0, 0}, failed = 0;
        memset(m, 0, sizeof m);
        for (int s = 1; s <= seeds && !failed; s++)
            for (int mode = 0; mode < 2 && !failed; mode++)
                failed = one_run(path, mode == 0, (uint64_t)s, regions, m[mode], &worst[mode], why,
                                 sizeof why) != 0;
        if (failed) {
            printf("| %s | skipped: the run is refused (%s) | | | | | |\n", CLASSES[c].name, why);
        } else {
            for (int k = 0; k < N_METRICS; k++) {
                if (k == M_ORBIT && !m[0][k].n && !m[1][k].n)
                    continue; /* no part reaches orbit in this class */
                printf("| %s | %s |", CLASSES[c].name, METRIC[k]);
                int prec = k == M_LEAD ? 2 : k == M_TPRED ? 1 : 2;
                double a50 = pct(&m[0][k], 50), a95 = pct(&m[0][k], 95);
                double s50 = pct(&m[1][k], 50), s95 = pct(&m[1][k], 95);
                cell(a50, prec);
                cell(a95, prec);
                cell(s50, prec);
                cell(s95, prec);
                printf(" %zu (%zu) / %zu (%zu) |\n", m[0][k].n, m[0][k].n_null, m[1][k].n,
                       m[1][k].n_null);
            }
            snprintf(summary[c], sizeof summary[c],
                     "%s: launch pictures with a missed region alone %zu of %zu, shared %zu of "
                     "%zu; impact warnings for parts in orbit alone %.0f, shared %.0f",
                     CLASSES[c].name, count_pos(&m[0][M_MISSED]), m[0][M_MISSED].n,
                     count_pos(&m[1][M_MISSED]), m[1][M_MISSED].n, vsum(&m[0][M_ORBIT]),
                     vsum(&m[1][M_ORBIT]));
            if (worst[0] > goal_missed || worst[1] > goal_missed)
                goal_missed = worst[0] > worst[1] ? worst[0] : worst[1];
            double orb = fmax(vmax(&m[0][M_ORBIT]), vmax(&m[1][M_ORBIT]));
            if (isfinite(orb) && orb > goal_orbit)
                goal_orbit = (int)orb;
            if (c == 1) {
                goal_q60 = pct(&m[1][M_ERR60], 95);
                q_done = 1;
            }
            if (c == 4) {
                goal_g60 = pct(&m[1][M_ERR60], 95);
                g_done = 1;
            }
        }
        for (int mode = 0; mode < 2; mode++)
            for (int k = 0; k < N_METRICS; k++)
                free(m[mode][k].v);
    }
    printf("\n");
    for (size_t c = 0; c < N_CLASSES; c++)
        if (summary[c][0])
            printf("threat_classes %s\n", summary[c]);
    printf("\nthreat_classes goals (shared p95): quasi-ballistic impact error at 60 s to go ");
    if (q_done)
        printf("%.2f km (goal <= 5 km: %s)", goal_q60, goal_q60 <= 5.0 ? "met" : "MISSED");
    else
        printf("not measured");
    printf("; glide ");
    if (g_done)
        printf("%.2f km (goal <= 25 km: %s)", goal_g60, goal_g60 <= 25.0 ? "met" : "MISSED");
    else
        printf("not measured");
    printf("; most missed regions in one launch of one seed %d (goal 0: %s); most impact "
           "warnings for a part in orbit %d (goal 0: %s)\n",
           goal_missed, goal_missed == 0 ? "met" : "MISSED", goal_orbit,
           goal_orbit == 0 ? "met" : "MISSED");
    mwx_regions_free(regions);
    return 0;
}
