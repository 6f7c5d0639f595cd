/*
 * mwx_run: the whole chain in one process. The simulator feeds each nation's node its own
 * sensors' measurements in time order; nodes track, share over the inproc bus under the
 * scenario's policy, fuse and warn; every record goes to DIR/run.mwxr; the Report (with
 * the sharing-benefit table) goes to DIR/report.json.
 *
 * Time: everything runs on scenario time. Before the records of a new instant are
 * dispatched, every node is advanced to it (pending scans processed, bus delivered,
 * warning policy ticked), so a track published at t reaches partners before t + dt.
 *
 * The sharing-benefit table comes from a second pass of the same scenario (same seed,
 * so the same measurements) in which no node is connected to a bus: each nation alone.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "mwx/node.h"
#include "mwx/reference.h"
#include "mwx/score.h"
#include "node/cap_keys.h"

#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct run_ctx {
    const mwx_run_opts_t *o;
    mwx_scenario_t *sc;
    const mwx_policy_t *policy;
    const mwx_keypair_t *keys;
    char cap_key[MWX_MAX_NATIONS][MWX_PATH_LEN]; /* each nation's CAP alerting key */
    char cap_cert[MWX_MAX_NATIONS][MWX_PATH_LEN];
    mwx_inproc_hub_t *hub;
    mwx_bus_t *bus[MWX_MAX_NATIONS];
    mwx_node_t *node[MWX_MAX_NATIONS];
    int n;
    int shared;
    mwx_recwriter_t *w; /* NULL in the alone pass */
    mwx_records_t recs; /* everything, for scoring */
    double t_cur;
    double wall0, last_progress;
    size_t n_tracks_seen, n_alerts;
    size_t n_alerts_merged; /* alerts already in the merged picture files */
    double t_merged, t_stats;
    int rc;
    mwx_err_t err;
} run_ctx_t;

static void fail_once(run_ctx_t *c, int rc, const mwx_err_t *e)
{
    if (c->rc == MWX_OK) {
        c->rc = rc;
        if (e)
            c->err = *e;
    }
}

static void keep(run_ctx_t *c, const mwx_record_t *rec)
{
    mwx_err_t e = {0};
    if (c->w) {
        int rc = mwx_recwriter_append(c->w, rec, &e);
        if (rc != MWX_OK)
            fail_once(c, rc, &e);
    }
    if (mwx_records_push(&c->recs, rec) != MWX_OK)
        fail_once(c, mwx_err_set(&e, MWX_ENOMEM, "run: out of memory keeping records"), &e);
    if (rec->type == MWX_REC_ALERT)
        c->n_alerts++;
    if (rec->type == MWX_REC_TRACK)
        c->n_tracks_seen++;
    if (c->shared && c->o->observe)
        c->o->observe(c->o->user, rec);
}

static void on_node_record(void *user, const mwx_record_t *rec)
{
    keep(user, rec);
}

static int merge_pictures(run_ctx_t *c, const char *out_dir, mwx_err_t *err);

static int node_index(const run_ctx_t *c, const char *nation)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(mwx_node_nation(c->node[i]), nation) == 0)
            return i;
    return -1;
}

static void pace(run_ctx_t *c, double t)
{
    double due, now;
    if (c->o->speed <= 0 || !c->shared) /* the alone pass is not shown: never paced */
        return;
    due = c->wall0 + t / c->o->speed;
    now = mwx_time_mono();
    if (due > now) {
        double d = due - now;
        struct timespec ts = {(time_t)d, (long)((d - floor(d)) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static void progress(run_ctx_t *c, int final)
{
    double now = mwx_time_mono();
    if (!c->o->progress || !c->shared || (!final && now - c->last_progress < 0.25))
        return;
    c->last_progress = now;
    fprintf(stderr, "\rmwx run: t = %7.1f s of %.0f  launches %d  track updates %zu  alerts %zu ",
            c->t_cur, c->sc->duration_s, c->sc->n_launches, c->n_tracks_seen, c->n_alerts);
    if (final)
        fputc('\n', stderr);
}

static void report_stats(run_ctx_t *c)
{
    if (!c->shared || !c->o->node_stats)
        return;
    for (int i = 0; i < c->n; i++) {
        mwx_node_stats_t st;
        mwx_node_get_stats(c->node[i], &st);
        c->o->node_stats(c->o->user, mwx_node_nation(c->node[i]), &st);
    }
    c->t_stats = c->t_cur;
}

static int advance_all(run_ctx_t *c, double t)
{
    mwx_err_t e = {0};
    /* twice: a track published while a node advances reaches the others in the second */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < c->n; i++) {
            int rc = mwx_node_advance(c->node[i], t, &e);
            if (rc != MWX_OK) {
                fail_once(c, rc, &e);
                return rc;
            }
        }
    c->t_cur = t;
    if (t - c->t_stats >= 1.0)
        report_stats(c);
    return MWX_OK;
}

static int sink(void *user, const mwx_record_t *rec)
{
    run_ctx_t *c = user;
    double t = 0;
    switch (rec->type) {
    case MWX_REC_TRUTH: t = rec->u.truth.t; break;
    case MWX_REC_MEAS: t = rec->u.meas.t; break;
    default: t = c->t_cur; break;
    }
    if (t > c->t_cur) {
        pace(c, t);
        if (advance_all(c, t) != MWX_OK)
            return c->rc;
        progress(c, 0);
        if (c->shared && c->n_alerts > c->n_alerts_merged && t - c->t_merged >= 5.0) {
            mwx_err_t e = {0};
            int rc = merge_pictures(c, c->o->out_dir, &e);
            if (rc != MWX_OK)
                fail_once(c, rc, &e);
        }
    }
    keep(c, rec);
    if (rec->type == MWX_REC_MEAS) {
        int i = node_index(c, rec->u.meas.nation);
        mwx_err_t e = {0};
        if (i >= 0) {
            int rc = mwx_node_meas(c->node[i], &rec->u.meas, &e);
            if (rc != MWX_OK)
                fail_once(c, rc, &e);
        }
    }
    if (c->o->stop && *c->o->stop)
        return MWX_EAGAIN;
    return c->rc;
}

/* ------------------------------------------------------------- files */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void rm_rf(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------- the merged picture */

/*
 * Each node writes its own alerts-<N>.atom and latest-<N>.geojson (they share
 * DIR/alerts/); the run's DIR/alerts/alerts.atom and latest.geojson are their union,
 * rewritten atomically whenever a warning was issued (at most every few scenario seconds)
 * and at the end.
 */
static int merge_pictures(run_ctx_t *c, const char *out_dir, mwx_err_t *err)
{
    char path[MWX_PATH_LEN * 2 + 64];
    json_t *all = json_object(), *feats = json_array();
    xmlDocPtr feed = NULL;
    int rc;

    snprintf(path, sizeof path, "%s/alerts", out_dir);
    if ((rc = mwx_mkdir_p(path, 0755, err)) != MWX_OK) { /* no regions: nobody made it */
        json_decref(all);
        json_decref(feats);
        return rc;
    }
    json_object_set_new(all, "type", json_string("FeatureCollection"));
    for (int i = 0; i < c->sc->n_nations; i++) {
        const char *n = c->sc->nations[i];
        json_t *g;
        xmlDocPtr d;
        snprintf(path, sizeof path, "%s/alerts/latest-%s.geojson", out_dir, n);
        g = json_load_file(path, 0, NULL);
        if (g) {
            json_array_extend(feats, json_object_get(g, "features"));
            json_decref(g);
        }
        snprintf(path, sizeof path, "%s/alerts/alerts-%s.atom", out_dir, n);
        if (access(path, R_OK) != 0)
            continue;
        d = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
        if (!d)
            continue;
        if (!feed) {
            xmlNodePtr root = xmlDocGetRootElement(d);
            feed = d;
            /* the union feed speaks for the run, not for one node */
            for (xmlNodePtr k = root ? root->children : NULL; k; k = k->next) {
                if (k->type != XML_ELEMENT_NODE)
                    continue;
                if (xmlStrcmp(k->name, BAD_CAST "id") == 0)
                    xmlNodeSetContent(k, BAD_CAST "urn:mwx:feed:run");
                else if (xmlStrcmp(k->name, BAD_CAST "link") == 0)
                    xmlSetProp(k, BAD_CAST "href", BAD_CAST "alerts.atom");
                else if (xmlStrcmp(k->name, BAD_CAST "author") == 0 && k->children)
                    for (xmlNodePtr a = k->children; a; a = a->next)
                        if (a->type == XML_ELEMENT_NODE)
                            xmlNodeSetContent(a, BAD_CAST "mwx (every nation's node)");
                if (xmlStrcmp(k->name, BAD_CAST "title") == 0)
                    xmlNodeSetContent(k,
                                      BAD_CAST(c->sc->status == MWX_STATUS_TEST
                                                   ? "TEST - mwx public warnings, all nodes"
                                                   : "EXERCISE - mwx public warnings, all nodes"));
            }
        } else {
            xmlNodePtr dst = xmlDocGetRootElement(feed), src = xmlDocGetRootElement(d);
            for (xmlNodePtr k = src ? src->children : NULL; k; k = k->next)
                if (k->type == XML_ELEMENT_NODE && xmlStrcmp(k->name, BAD_CAST "entry") == 0)
                    xmlAddChild(dst, xmlDocCopyNode(k, feed, 1));
            xmlFreeDoc(d);
        }
    }
    json_object_set_new(all, "features", feats);
    {
        char *text = json_dumps(all, JSON_COMPACT);
        snprintf(path, sizeof path, "%s/alerts/latest.geojson", out_dir);
        rc = text ? mwx_file_write_atomic(path, text, strlen(text), 0644, err)
                  : mwx_err_set(err, MWX_ENOMEM, "run: out of memory");
        free(text);
    }
    if (rc == MWX_OK && feed) {
        xmlChar *mem = NULL;
        int len = 0;
        xmlDocDumpFormatMemoryEnc(feed, &mem, &len, "UTF-8", 1);
        snprintf(path, sizeof path, "%s/alerts/alerts.atom", out_dir);
        rc = mem ? mwx_file_write_atomic(path, mem, (size_t)len, 0644, err)
                 : mwx_err_set(err, MWX_ENOMEM, "run: out of memory");
        xmlFree(mem);
    }
    xmlFreeDoc(feed);
    json_decref(all);
    c->n_alerts_merged = c->n_alerts;
    c->t_merged = c->t_cur;
    return rc;
}

/* ------------------------------------------------------------- one pass */

static int one_pass(run_ctx_t *c, int shared, const char *out_dir, int write_recording,
                    mwx_err_t *err)
{
    char path[MWX_PATH_LEN * 2];
    mwx_sim_opts_t so;
    int rc = MWX_OK;

    c->shared = shared;
    c->t_cur = 0;
    c->wall0 = mwx_time_mono();
    if (shared && (rc = mwx_inproc_hub_create(c->policy, &c->hub, err)) != MWX_OK)
        return rc;
    for (int i = 0; i < c->sc->n_nations; i++) {
        mwx_node_cfg_t nc;
        memset(&nc, 0, sizeof nc);
        mwx_strlcpy(nc.nation, c->sc->nations[i], sizeof nc.nation);
        nc.epoch_unix = c->sc->epoch;
        nc.status = c->sc->status;
        nc.source = MWX_WARN_SOURCE_SIMULATED;
        nc.physics = c->sc->physics;
        nc.policy = c->policy;
        nc.key = &c->keys[i];
        for (int j = 0; j < c->sc->n_nations; j++)
            if (j != i) {
                mwx_strlcpy(nc.trusted[nc.n_trusted].nation, c->keys[j].nation, MWX_ID_LEN);
                memcpy(nc.trusted[nc.n_trusted].pk, c->keys[j].pk, MWX_PUBKEY_BYTES);
                nc.n_trusted++;
            }
        if (shared) {
            if ((rc = mwx_bus_inproc_open(c->hub, nc.nation, &c->bus[i], err)) != MWX_OK)
                goto out;
            nc.bus = c->bus[i];
        }
        nc.regions_path = c->sc->regions_path[0] ? c->sc->regions_path : NULL;
        nc.out_dir = out_dir;
        nc.picture_tag = nc.nation;
        nc.cap_key = c->cap_key[i];
        nc.cap_cert = c->cap_cert[i];
        nc.sim_clock = 1;
        nc.on_record = on_node_record;
        nc.user = c;
        if ((rc = mwx_node_create(&nc, &c->node[i], err)) != MWX_OK) {
            mwx_err_prefix(err, "node %s", nc.nation);
            goto out;
        }
        c->n = i + 1;
    }
    if (write_recording) {
        snprintf(path, sizeof path, "%s/run.mwxr", out_dir);
        if ((rc = mwx_recwriter_open(path, MWX_REC_ATOMIC, &c->w, err)) != MWX_OK)
            goto out;
    }
    memset(&so, 0, sizeof so);
    so.seed = c->o->seed;
    so.has_seed = c->o->has_seed;
    rc = mwx_sim_run(c->sc, &so, sink, c, err);
    if (rc == MWX_OK && c->rc == MWX_OK)
        rc = advance_all(c, c->sc->duration_s);
    if (c->rc != MWX_OK) {
        rc = c->rc;
        if (err)
            *err = c->err;
    } else if (rc == MWX_EAGAIN && c->o->stop && *c->o->stop) {
        rc = MWX_OK; /* stopped on request: keep what was recorded */
    }
    progress(c, 1);
    report_stats(c);
    /* the nodes write their last picture when they close */
    for (int i = 0; i < c->n; i++) {
        mwx_node_destroy(c->node[i]);
        c->node[i] = NULL;
    }
    if (rc == MWX_OK && shared)
        rc = merge_pictures(c, out_dir, err);
    if (c->w) {
        if (rc == MWX_OK)
            rc = mwx_recwriter_close(c->w, err);
        else
            mwx_recwriter_abort(c->w);
        c->w = NULL;
    }
out:
    for (int i = 0; i < MWX_MAX_NATIONS; i++) { /* a bus may be open without its node */
        mwx_node_destroy(c->node[i]);
        c->node[i] = NULL;
        if (c->bus[i]) {
            mwx_bus_close(c->bus[i]);
            c->bus[i] = NULL;
        }
    }
    c->n = 0;
    if (c->hub) {
        mwx_inproc_hub_destroy(c->hub);
        c->hub = NULL;
    }
    return rc;
}

/* ------------------------------------------------------------- scoring */

static int is_fused(const mwx_rec_track_t *t)
{
    return strstr(t->track_id, "-F") != NULL;
}

/* Nation's picture: truth, measurements, its fused tracks, its alerts. */
static int nation_records(const mwx_records_t *all, const char *nation, mwx_records_t *out)
{
    for (size_t i = 0; i < all->n; i++) {
        const mwx_record_t *r = &all->v[i];
        int take = 0;
        switch (r->type) {
        case MWX_REC_TRUTH:
        case MWX_REC_MEAS: take = 1; break;
        case MWX_REC_TRACK:
            take = strcmp(r->u.track.node, nation) == 0 && is_fused(&r->u.track);
            break;
        case MWX_REC_ALERT: take = strcmp(r->u.alert.node, nation) == 0; break;
        default: break;
        }
        if (take && mwx_records_push(out, r) != MWX_OK)
            return MWX_ENOMEM;
    }
    return MWX_OK;
}

/* The sharing benefit's impact-error curves: one point every 10 s of flight is finer
 * than the page can show for a 30 min flight (it stretches to MWX_SCORE_MAX_CURVE). */
#define BENEFIT_CURVE_STEP_S 10.0

static void benefit_pass(run_ctx_t *c, mwx_regions_t *regions, int which, mwx_run_result_t *res)
{
    for (int k = 0; k < c->sc->n_nations; k++) {
        const char *nation = c->sc->nations[k];
        mwx_records_t sub = {0};
        mwx_score_opts_t so;
        mwx_report_t rep;
        memset(&rep, 0, sizeof rep);
        if (nation_records(&c->recs, nation, &sub) != MWX_OK) {
            mwx_records_free(&sub);
            continue;
        }
        mwx_score_opts_default(&so);
        mwx_score_opts_from_scenario(&so, c->sc->json);
        so.regions = regions ? mwx_score_warn_regions : NULL;
        so.regions_ctx = regions;
        so.curve_step_s = BENEFIT_CURVE_STEP_S;
        if (mwx_score_compute(sub.v, sub.n, &so, &rep, NULL) == MWX_OK) {
            for (size_t l = 0; l < rep.n_launches; l++) {
                const mwx_score_launch_t *sl = &rep.launches[l];
                mwx_run_benefit_t *b = NULL;
                char prefix[MWX_ID_LEN + 2];
                for (size_t q = 0; q < res->n_benefit; q++)
                    if (strcmp(res->benefit[q].nation, nation) == 0 &&
                        strcmp(res->benefit[q].launch, sl->id) == 0)
                        b = &res->benefit[q];
                if (!b)
                    continue;
                b->first_track_s[which] = sl->t_first_track - sl->t_launch;
                b->impact_error_km_300[which] = sl->impact_error_km[MWX_SCORE_AT_TTG_300];
                for (int q = 0; q < 3; q++)
                    b->impact_error_km[which][q] = sl->impact_error_km[q];
                b->n_curve[which] = sl->n_curve;
                memcpy(b->impact_error_curve[which], sl->impact_error_curve,
                       sizeof b->impact_error_curve[which]);
                snprintf(prefix, sizeof prefix, "%s-", nation);
                double lead = INFINITY;
                int threatened = 0, missed = 0;
                for (int r = 0; r < sl->n_regions; r++) {
                    const mwx_score_region_t *sr = &sl->regions[r];
                    if (!sr->threatened || strncmp(sr->id, prefix, strlen(prefix)) != 0)
                        continue;
                    threatened++;
                    if (isnan(sr->lead_time_s))
                        missed++;
                    else if (sr->lead_time_s < lead)
                        lead = sr->lead_time_s;
                }
                b->own_regions_threatened = threatened;
                b->lead_time_s[which] = (threatened == 0 || missed) ? NAN : lead;
            }
        }
        mwx_report_free(&rep);
        mwx_records_free(&sub);
    }
}

static json_t *num_or_null(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static json_t *benefit_json(const mwx_run_result_t *res)
{
    json_t *a = json_array();
    for (size_t i = 0; i < res->n_benefit; i++) {
        const mwx_run_benefit_t *b = &res->benefit[i];
        json_t *o = json_object();
        json_object_set_new(o, "nation", json_string(b->nation));
        json_object_set_new(o, "launch", json_string(b->launch));
        json_object_set_new(o, "own_regions_threatened", json_integer(b->own_regions_threatened));
        for (int w = 0; w < 2; w++) {
            json_t *x = json_object();
            json_object_set_new(x, "first_track_after_launch_s", num_or_null(b->first_track_s[w]));
            json_object_set_new(x, "impact_error_km_at_ttg_300s",
                                num_or_null(b->impact_error_km_300[w]));
            json_object_set_new(x, "min_lead_time_s", num_or_null(b->lead_time_s[w]));
            {
                json_t *ie = json_object();
                json_object_set_new(
                    ie, "at_launch_plus_120s",
                    num_or_null(b->impact_error_km[w][MWX_SCORE_AT_LAUNCH_PLUS_120]));
                json_object_set_new(ie, "at_ttg_300s",
                                    num_or_null(b->impact_error_km[w][MWX_SCORE_AT_TTG_300]));
                json_object_set_new(ie, "at_ttg_60s",
                                    num_or_null(b->impact_error_km[w][MWX_SCORE_AT_TTG_60]));
                json_object_set_new(x, "impact_error_km", ie);
            }
            {
                json_t *cv = json_array();
                for (int q = 0; q < b->n_curve[w]; q++)
                    json_array_append_new(
                        cv, json_pack("[f,f]", round(b->impact_error_curve[w][q][0] * 10) / 10,
                                      round(b->impact_error_curve[w][q][1] * 1e4) / 1e4));
                json_object_set_new(x, "impact_error_curve", cv);
            }
            json_object_set_new(o, w ? "shared" : "alone", x);
        }
        json_array_append_new(a, o);
    }
    return a;
}

static void fmt_cell(char *buf, size_t n, double a, double b, int prec)
{
    char x[32], y[32];
    if (isfinite(a))
        snprintf(x, sizeof x, "%.*f", prec, a);
    else
        snprintf(x, sizeof x, "-");
    if (isfinite(b))
        snprintf(y, sizeof y, "%.*f", prec, b);
    else
        snprintf(y, sizeof y, "-");
    snprintf(buf, n, "%s -> %s", x, y);
}

void mwx_run_print_benefit(const mwx_run_result_t *res, FILE *f)
{
    if (!res->n_benefit)
        return;
    fprintf(f, "\nSharing benefit (alone -> with partners' shared tracks)\n");
    fprintf(f, "%-6s %-7s %-24s %-26s %-24s\n", "nation", "launch", "first track (s after launch)",
            "impact err 300 s to go (km)", "min lead time own regions (s)");
    for (size_t i = 0; i < res->n_benefit; i++) {
        const mwx_run_benefit_t *b = &res->benefit[i];
        char c1[64], c2[64], c3[64];
        fmt_cell(c1, sizeof c1, b->first_track_s[0], b->first_track_s[1], 1);
        fmt_cell(c2, sizeof c2, b->impact_error_km_300[0], b->impact_error_km_300[1], 2);
        if (b->own_regions_threatened)
            fmt_cell(c3, sizeof c3, b->lead_time_s[0], b->lead_time_s[1], 0);
        else
            snprintf(c3, sizeof c3, "(none threatened)");
        fprintf(f, "%-6s %-7s %-28s %-27s %s\n", b->nation, b->launch, c1, c2, c3);
    }
    fprintf(f, "('-' = never: no track, no prediction, or a threatened region not warned)\n");
}

void mwx_run_result_free(mwx_run_result_t *res)
{
    if (!res)
        return;
    free(res->benefit);
    memset(res, 0, sizeof *res);
}

int mwx_run(const mwx_run_opts_t *o, mwx_run_result_t *res, mwx_err_t *err)
{
    mwx_scenario_t *sc = calloc(1, sizeof *sc);
    mwx_keypair_t keys[MWX_MAX_NATIONS];
    mwx_policy_t policy;
    run_ctx_t *c = calloc(1, sizeof *c);
    mwx_regions_t *regions = NULL;
    json_t *root = NULL, *rj = NULL;
    mwx_report_t rep;
    char path[MWX_PATH_LEN * 2], alone_dir[MWX_PATH_LEN * 2];
    double wall0 = mwx_time_mono();
    int rc;

    memset(res, 0, sizeof *res);
    memset(&rep, 0, sizeof rep);
    if (!sc || !c) {
        free(sc);
        free(c);
        return mwx_err_set(err, MWX_ENOMEM, "run: out of memory");
    }
    if ((rc = mwx_scenario_load(o->scenario_path, sc, err)) != MWX_OK)
        goto out_nosc;
    if ((rc = mwx_json_load_string(sc->json, strlen(sc->json), o->scenario_path, &root, err)) !=
            MWX_OK ||
        (rc = mwx_policy_from_json(root, o->scenario_path, &policy, err)) != MWX_OK)
        goto out;
    for (int i = 0; i < sc->n_nations; i++)
        if ((rc = mwx_key_generate(sc->nations[i], &keys[i], err)) != MWX_OK)
            goto out;
    if ((rc = mwx_mkdir_p(o->out_dir, 0755, err)) != MWX_OK)
        goto out;
    if (sc->regions_path[0] && (rc = mwx_regions_load(sc->regions_path, &regions, err)) != MWX_OK)
        goto out;
    /* a historic scenario's reference block: refused before the run, not after it */
    {
        mwx_reference_t *ref = calloc(1, sizeof *ref);
        if (!ref) {
            rc = mwx_err_set(err, MWX_ENOMEM, "run: out of memory");
            goto out;
        }
        rc = mwx_reference_parse(sc->json, o->scenario_path, ref, err);
        if (rc == MWX_OK)
            rc = mwx_reference_check_regions(ref, regions, err);
        free(ref);
        if (rc != MWX_OK)
            goto out;
    }

    c->o = o;
    c->sc = sc;
    c->policy = &policy;
    c->keys = keys;
    /* the nations' CAP alerting keys, or a demo PKI made for this run (cap_keys.c) */
    {
        char dir[MWX_PATH_LEN];
        if (o->cap_keys) {
            mwx_strlcpy(dir, o->cap_keys, sizeof dir);
        } else if (snprintf(dir, sizeof dir, "%s/pki", o->out_dir) >= (int)sizeof dir) {
            rc = mwx_err_set(err, MWX_EINVAL, "%s: path too long", o->out_dir);
            goto out;
        } else if ((rc = mwxi_cap_demo_pki(dir, (const char(*)[MWX_ID_LEN])sc->nations,
                                           sc->n_nations, 1, err)) != MWX_OK) {
            goto out;
        }
        for (int i = 0; i < sc->n_nations; i++)
            if ((rc = mwxi_cap_key_paths(dir, sc->nations[i], c->cap_key[i], c->cap_cert[i],
                                         err)) != MWX_OK)
                goto out;
    }

    if ((rc = one_pass(c, 1, o->out_dir, 1, err)) != MWX_OK)
        goto out;
    res->n_records = c->recs.n;
    res->n_alerts = c->n_alerts;

    /* the Report over everything: own tracks and fused pictures of every node */
    {
        mwx_score_opts_t so;
        mwx_score_opts_default(&so);
        mwx_score_opts_from_scenario(&so, sc->json);
        so.regions = regions ? mwx_score_warn_regions : NULL;
        so.regions_ctx = regions;
        if ((rc = mwx_score_compute(c->recs.v, c->recs.n, &so, &rep, err)) != MWX_OK)
            goto out;
        rj = mwx_report_to_json(&rep);
        if (!rj) {
            rc = mwx_err_set(err, MWX_ENOMEM, "run: out of memory");
            goto out;
        }
        /* a historic scenario's real alerts beside mwx's (src/score/reference.c) */
        if ((rc = mwx_reference_attach(rj, &rep, c->recs.v, c->recs.n, sc->json, NULL, err)) < 0)
            goto out;
        rc = MWX_OK;
    }

    /* then each nation alone, on the same measurements: the sharing-benefit table */
    if (o->compare_alone && !(o->stop && *o->stop)) {
        res->benefit =
            calloc((size_t)sc->n_nations * (size_t)sc->n_launches + 1, sizeof *res->benefit);
        if (!res->benefit) {
            rc = mwx_err_set(err, MWX_ENOMEM, "run: out of memory");
            goto out;
        }
        for (int k = 0; k < sc->n_nations; k++)
            for (int l = 0; l < sc->n_launches; l++) {
                mwx_run_benefit_t *b = &res->benefit[res->n_benefit++];
                mwx_strlcpy(b->nation, sc->nations[k], sizeof b->nation);
                mwx_strlcpy(b->launch, sc->launches[l].id, sizeof b->launch);
                for (int w = 0; w < 2; w++) {
                    b->first_track_s[w] = b->impact_error_km_300[w] = b->lead_time_s[w] = NAN;
                    for (int q = 0; q < 3; q++)
                        b->impact_error_km[w][q] = NAN;
                }
            }
        benefit_pass(c, regions, 1, res);
        mwx_records_free(&c->recs);
        c->n_alerts = c->n_tracks_seen = 0;
        c->rc = MWX_OK;
        snprintf(alone_dir, sizeof alone_dir, "%s/.alone.tmp", o->out_dir);
        rm_rf(alone_dir);
        if ((rc = mwx_mkdir_p(alone_dir, 0755, err)) != MWX_OK)
            goto out;
        rc = one_pass(c, 0, alone_dir, 0, err);
        rm_rf(alone_dir);
        if (rc != MWX_OK)
            goto out;
        benefit_pass(c, regions, 0, res);
        json_object_set_new(rj, "sharing_benefit", benefit_json(res));
    }
    {
        char *text = json_dumps(rj, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        if (!text) {
            rc = mwx_err_set(err, MWX_ENOMEM, "run: out of memory");
            goto out;
        }
        snprintf(path, sizeof path, "%s/report.json", o->out_dir);
        rc = mwx_file_write_atomic(path, text, strlen(text), 0644, err);
        free(text);
        if (rc != MWX_OK)
            goto out;
    }
    res->wall_s = mwx_time_mono() - wall0;
out:
    mwx_report_free(&rep);
    json_decref(rj);
    json_decref(root);
    mwx_regions_free(regions);
    mwx_records_free(&c->recs);
    mwx_scenario_free(sc);
out_nosc:
    free(sc);
    free(c);
    if (rc != MWX_OK)
        mwx_run_result_free(res);
    return rc;
}
