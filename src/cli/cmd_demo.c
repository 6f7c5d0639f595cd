/* mwx demo: the default scenario in accelerated real time, a live timeline in the
 * terminal, the operator page, outputs in ./mwx-demo/, then the sharing-benefit table. */
#include "cli.h"
#include "mwx/node.h"
#include "mwx/web.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SEEN 1024

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
    stop_flag = 1;
}

/* A node's counters on the operator page's /metrics (counters only move forward: each
 * callback adds what changed since the last). */
enum {
    C_MEAS,
    C_OWN,
    C_FUSED,
    C_SENT,
    C_PUBERR,
    C_RECV,
    C_ACCEPTED,
    C_ALERTS,
    C_MERGED,
    C_SPLIT,
    C_FUSION_FULL,
    C_N
};
typedef struct node_metrics {
    char nation[MWX_ID_LEN];
    mwx_counter_t *c[C_N];
    mwx_counter_t *dropped[MWX_DROP_N];
    uint64_t last[C_N], last_dropped[MWX_DROP_N];
} node_metrics_t;

/* What the timeline has already told: first of each kind only, so it stays readable. */
typedef struct timeline {
    mwx_web_t *web;
    node_metrics_t nm[MWX_MAX_NATIONS];
    int n_nm;
    char seen[MAX_SEEN][MWX_ID_LEN * 4];
    int n_seen;
    FILE *out;
} timeline_t;

static int first_time(timeline_t *tl, const char *kind, const char *id)
{
    char key[MWX_ID_LEN * 4];
    snprintf(key, sizeof key, "%s/%s", kind, id);
    for (int i = 0; i < tl->n_seen; i++)
        if (strcmp(tl->seen[i], key) == 0)
            return 0;
    if (tl->n_seen < MAX_SEEN)
        mwx_strlcpy(tl->seen[tl->n_seen++], key, sizeof tl->seen[0]);
    return 1;
}

static void say(timeline_t *tl, double t, const char *fmt, ...) MWX_PRINTF(3, 4);
static void say(timeline_t *tl, double t, const char *fmt, ...)
{
    va_list ap;
    fprintf(tl->out, "T+%7.1f s  ", t);
    va_start(ap, fmt);
    vfprintf(tl->out, fmt, ap);
    va_end(ap);
    fputc('\n', tl->out);
    fflush(tl->out);
}

static void observe(void *user, const mwx_record_t *rec)
{
    timeline_t *tl = user;
    if (tl->web)
        (void)mwx_web_publish(tl->web, rec, NULL);
    switch (rec->type) {
    case MWX_REC_TRUTH: {
        const mwx_rec_truth_t *t = &rec->u.truth;
        mwx_earth_t e = mwx_earth_wgs84();
        mwx_geo_t g;
        mwx_ecef_to_geo(&e, t->ecef_m, &g);
        if (first_time(tl, "launch", t->object))
            say(tl, t->t, "[truth] %s launched from %.2fN %.2fE", t->object, g.lat / MWX_DEG,
                g.lon / MWX_DEG);
        if (t->phase == MWX_PHASE_IMPACT && first_time(tl, "impact", t->object))
            say(tl, t->t, "[truth] %s impact at %.2fN %.2fE", t->object, g.lat / MWX_DEG,
                g.lon / MWX_DEG);
        break;
    }
    case MWX_REC_MEAS: {
        const mwx_rec_meas_t *m = &rec->u.meas;
        /* narration only: the tracker never reads truth_object */
        if (m->truth_object[0] && first_time(tl, "det", m->truth_object))
            say(tl, m->t, "%s first detected by %s (%s, %s)", m->truth_object, m->sensor, m->nation,
                mwx_sensor_kind_name(m->kind));
        break;
    }
    case MWX_REC_TRACK: {
        const mwx_rec_track_t *k = &rec->u.track;
        int fused = strstr(k->track_id, "-F") != NULL;
        if (!fused && first_time(tl, "trk", k->track_id))
            say(tl, k->t, "%s: track %s confirmed (%s)", k->node, k->track_id,
                mwx_phase_name(k->phase));
        if (fused && k->impact.valid && first_time(tl, "imp", k->track_id))
            say(tl, k->t,
                "%s: %s impact predicted %.2fN %.2fE at T+%.0f s, 95%% ellipse %.0f x %.0f km"
                " (sources %s)",
                k->node, k->track_id, k->impact.lat, k->impact.lon, k->impact.t,
                k->impact.semi_major_km, k->impact.semi_minor_km, k->sources);
        break;
    }
    case MWX_REC_SHARE: {
        const mwx_rec_share_t *s = &rec->u.share;
        char key[MWX_ID_LEN * 3];
        snprintf(key, sizeof key, "%s%s>%s", s->from, s->track_id, s->n_to ? s->to[0] : "");
        if (s->verified && first_time(tl, "shr", key))
            say(tl, s->t, "%s: track %s received from %s (signed, verified, seq %llu)",
                s->n_to ? s->to[0] : "?", s->track_id, s->from, (unsigned long long)s->seq);
        if (!s->verified)
            say(tl, s->t, "envelope from %s dropped (not verified)", s->from);
        break;
    }
    case MWX_REC_ALERT: {
        const mwx_rec_alert_t *a = &rec->u.alert;
        char regions[256] = "";
        for (int i = 0; i < a->n_regions; i++) {
            size_t len = strlen(regions);
            if (len > sizeof regions - 16) {
                snprintf(regions + len, sizeof regions - len, " +%d more", a->n_regions - i);
                break;
            }
            snprintf(regions + len, sizeof regions - len, "%s%s", i ? " " : "", a->regions[i]);
        }
        say(tl, a->t, "%s: CAP %s (%s) %s%s", a->node, mwx_msg_type_name(a->msg_type),
            mwx_status_name(a->status), a->n_regions ? "regions " : "", regions);
        break;
    }
    default: break;
    }
}

static node_metrics_t *node_metrics(timeline_t *tl, const char *nation)
{
    static const struct {
        const char *name, *extra, *help;
    } defs[C_N] = {
        {"mwx_node_measurements_total", "", "Measurements fed to the node's tracker"},
        {"mwx_node_track_updates_total", ",kind=\"own\"", "Track updates by kind"},
        {"mwx_node_track_updates_total", ",kind=\"fused\"", "Track updates by kind"},
        {"mwx_envelopes_sent_total", "", "Signed envelopes published"},
        {"mwx_envelopes_publish_errors_total", "", "Envelopes that could not be published"},
        {"mwx_envelopes_received_total", "", "Envelopes delivered by the bus"},
        {"mwx_envelopes_accepted_total", "", "Envelopes verified and accepted"},
        {"mwx_alerts_issued_total", "", "Public warnings (CAP) issued"},
        {"mwx_fusion_changes_total", ",change=\"merge\"",
         "Fusion changes: merge (a fused track absorbed), split (a source left one)"},
        {"mwx_fusion_changes_total", ",change=\"split\"",
         "Fusion changes: merge (a fused track absorbed), split (a source left one)"},
        {"mwx_fusion_dropped_total", "", "Track reports dropped: fusion table full"},
    };
    mwx_metrics_t *m = mwx_web_metrics(tl->web);
    char labels[128];
    for (int i = 0; i < tl->n_nm; i++)
        if (strcmp(tl->nm[i].nation, nation) == 0)
            return &tl->nm[i];
    if (tl->n_nm >= MWX_MAX_NATIONS)
        return NULL;
    node_metrics_t *nm = &tl->nm[tl->n_nm++];
    memset(nm, 0, sizeof *nm);
    mwx_strlcpy(nm->nation, nation, sizeof nm->nation);
    for (int k = 0; k < C_N; k++) {
        snprintf(labels, sizeof labels, "node=\"%s\"%s", nation, defs[k].extra);
        (void)mwx_metrics_counter(m, defs[k].name, labels, defs[k].help, &nm->c[k], NULL);
    }
    for (int d = 0; d < MWX_DROP_N; d++) {
        snprintf(labels, sizeof labels, "node=\"%s\",reason=\"%s\"", nation,
                 mwx_drop_name((mwx_drop_t)d));
        (void)mwx_metrics_counter(m, "mwx_envelopes_dropped_total", labels,
                                  "Envelopes dropped by the receiver, by reason", &nm->dropped[d],
                                  NULL);
    }
    return nm;
}

static void on_node_stats(void *user, const char *nation, const mwx_node_stats_t *st)
{
    timeline_t *tl = user;
    node_metrics_t *nm;
    uint64_t v[C_N];
    if (!tl->web || !(nm = node_metrics(tl, nation)))
        return;
    v[C_MEAS] = st->meas;
    v[C_OWN] = st->own_track_updates;
    v[C_FUSED] = st->fused_updates;
    v[C_SENT] = st->published;
    v[C_PUBERR] = st->publish_errors;
    v[C_RECV] = st->received;
    v[C_ACCEPTED] = st->share.accepted;
    v[C_ALERTS] = st->alerts;
    v[C_MERGED] = st->fusion_merged;
    v[C_SPLIT] = st->fusion_split;
    v[C_FUSION_FULL] = st->fusion_dropped;
    for (int k = 0; k < C_N; k++) {
        if (v[k] > nm->last[k])
            mwx_counter_add(nm->c[k], v[k] - nm->last[k]);
        nm->last[k] = v[k];
    }
    for (int d = 0; d < MWX_DROP_N; d++) {
        if (st->share.dropped[d] > nm->last_dropped[d])
            mwx_counter_add(nm->dropped[d], st->share.dropped[d] - nm->last_dropped[d]);
        nm->last_dropped[d] = st->share.dropped[d];
    }
}

static void print_lead_times(const char *report_path, FILE *f)
{
    json_t *r = json_load_file(report_path, 0, NULL), *launches, *l;
    size_t i;
    if (!r)
        return;
    launches = json_object_get(r, "launches");
    fprintf(f, "\nPublic warning lead times (threatened regions)\n");
    json_array_foreach(launches, i, l)
    {
        json_t *regs = json_object_get(l, "regions"), *g;
        size_t j;
        int any = 0;
        json_array_foreach(regs, j, g)
        {
            if (!json_is_true(json_object_get(g, "threatened")))
                continue;
            json_t *lt = json_object_get(g, "lead_time_s");
            fprintf(f, "  %-4s %-6s ", json_string_value(json_object_get(l, "id")),
                    json_string_value(json_object_get(g, "id")));
            if (json_is_number(lt))
                fprintf(f, "warned %.0f s before impact\n", json_number_value(lt));
            else
                fprintf(f, "NOT WARNED before impact\n");
            any = 1;
        }
        if (!any)
            fprintf(f, "  %-4s no region threatened (lands at sea)\n",
                    json_string_value(json_object_get(l, "id")));
        fprintf(f, "       missed regions: %zu, false regions: %zu\n",
                json_array_size(json_object_get(l, "missed_regions")),
                json_array_size(json_object_get(l, "false_regions")));
    }
    json_decref(r);
}

/* A historic scenario: the real public alerts beside mwx's (report.json's
 * reference_comparison, src/score/reference.c). */
static void print_reference(const char *report_path, FILE *f)
{
    json_t *r = json_load_file(report_path, 0, NULL);
    json_t *c = r ? json_object_get(r, "reference_comparison") : NULL, *g;
    size_t i;
    if (!c) {
        json_decref(r);
        return;
    }
    fprintf(f, "\nReal public alerts vs mwx (s after launch; lead against the real event)\n");
    json_array_foreach(json_object_get(c, "regions"), i, g)
    {
        json_t *re = json_object_get(g, "real"), *mw = json_object_get(g, "mwx");
        json_t *ra = json_object_get(re, "t_alert_s"), *ma = json_object_get(mw, "t_alert_s");
        json_t *rl = json_object_get(re, "lead_s"), *ml = json_object_get(mw, "lead_s");
        fprintf(f, "  %-6s real ", json_string_value(json_object_get(g, "id")));
        if (json_is_number(ra))
            fprintf(f, "T+%-5.0f", json_number_value(ra));
        else
            fprintf(f, "%-7s", "none");
        fprintf(f, " mwx ");
        if (json_is_number(ma))
            fprintf(f, "T+%-5.0f", json_number_value(ma));
        else
            fprintf(f, "%-7s", "none");
        if (json_is_number(rl) || json_is_number(ml)) {
            fprintf(f, " lead to %s: real ", json_string_value(json_object_get(g, "event")));
            json_is_number(rl) ? fprintf(f, "%.0f s", json_number_value(rl)) : fprintf(f, "-");
            fprintf(f, ", mwx ");
            json_is_number(ml) ? fprintf(f, "%.0f s", json_number_value(ml)) : fprintf(f, "-");
        } else if (json_is_number(ra) || json_is_number(ma)) {
            fprintf(f, " (never reached: a false region)");
        }
        fprintf(f, "\n");
    }
    fprintf(f, "  warned by the real system only: %zu, by mwx only: %zu\n",
            json_array_size(json_object_get(c, "warned_by_real_only")),
            json_array_size(json_object_get(c, "warned_by_mwx_only")));
    json_decref(r);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mwx demo [--scenario FILE] [--speed X] [--port N] [--no-web] [--out DIR]\n"
            "\n"
            "Runs the default scenario through the whole chain in accelerated real time: a\n"
            "live timeline in the terminal (launch detected by whom, track confirmed, shared\n"
            "to whom, impact predicted, regions warned, updates, cancels, impact), the\n"
            "operator page on http://127.0.0.1:8080, outputs in ./mwx-demo/, then the\n"
            "sharing-benefit table and the lead times.\n"
            "\n"
            "  --scenario FILE  another scenario (default: the project's scenarios/default.json)\n"
            "  --speed X        scenario seconds per wall second (default: so that the run\n"
            "                   lasts about a minute)\n"
            "  --port N         port of the operator page (default 8080)\n"
            "  --no-web         no operator page\n"
            "  --out DIR        outputs (default ./mwx-demo)\n"
            "  --linger         keep the page up after the run until Ctrl-C\n");
}

int mwx_cmd_demo(int argc, char **argv)
{
    const char *scenario = NULL, *out_dir = "mwx-demo";
    char default_scenario[1024], url[128];
    double speed = 0;
    unsigned port = 8080;
    int web = 1, linger = 0, rc;
    timeline_t *tl;
    mwx_run_opts_t o;
    mwx_run_result_t res;
    mwx_err_t err = {0};

    if (mwx_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *end;
        if (strcmp(a, "--scenario") == 0 && i + 1 < argc) {
            scenario = argv[++i];
        } else if (strcmp(a, "--speed") == 0 && i + 1 < argc) {
            speed = strtod(argv[++i], &end);
            if (*end || !(speed > 0))
                return mwx_cli_usage_error("demo", "--speed: expected a positive number");
        } else if (strcmp(a, "--port") == 0 && i + 1 < argc) {
            long p = strtol(argv[++i], &end, 10);
            if (*end || p < 1 || p > 65535)
                return mwx_cli_usage_error("demo", "--port: expected 1..65535");
            port = (unsigned)p;
        } else if (strcmp(a, "--out") == 0 && i + 1 < argc) {
            out_dir = argv[++i];
        } else if (strcmp(a, "--no-web") == 0) {
            web = 0;
        } else if (strcmp(a, "--linger") == 0) {
            linger = 1;
        } else {
            return mwx_cli_usage_error("demo", "unknown or incomplete option '%s'", a);
        }
    }
    if (!scenario) {
        char data[1024];
        if (mwx_sim_data_dir(data, sizeof data) != MWX_OK) {
            fprintf(stderr, "mwx demo: cannot find the project's data folder (set MWX_DATA_DIR "
                            "or pass --scenario)\n");
            return 3;
        }
        /* an install has share/mwx/scenarios, the source tree data/../scenarios */
        snprintf(default_scenario, sizeof default_scenario, "%s/scenarios/default.json", data);
        if (access(default_scenario, R_OK) != 0)
            snprintf(default_scenario, sizeof default_scenario, "%s/../scenarios/default.json",
                     data);
        scenario = default_scenario;
    }
    if (speed <= 0) {
        mwx_scenario_t *sc = calloc(1, sizeof *sc);
        if (!sc)
            return 3;
        if (mwx_scenario_load(scenario, sc, &err) != MWX_OK) {
            free(sc);
            return mwx_cli_fail("demo", &err);
        }
        speed = sc->duration_s / 60.0;
        mwx_scenario_free(sc);
        free(sc);
    }

    tl = calloc(1, sizeof *tl);
    if (!tl)
        return 3;
    tl->out = stdout;
    if (web) {
        if (mwx_web_start(NULL, port, NULL, &tl->web, &err) != MWX_OK) {
            fprintf(stderr, "mwx demo: operator page not started: %s (try --port or --no-web)\n",
                    err.msg);
            tl->web = NULL;
        } else {
            char atom[1100];
            (void)mwx_web_url(tl->web, url, sizeof url);
            snprintf(atom, sizeof atom, "%s/alerts/alerts.atom", out_dir);
            (void)mwx_web_set_atom_file(tl->web, atom, NULL);
            printf("mwx demo: operator page on %s\n", url);
        }
    }
    printf("mwx demo: %s at %.0fx real time, outputs in %s/ (simulated data, never Actual)\n",
           scenario, speed, out_dir);
    fflush(stdout);

    memset(&o, 0, sizeof o);
    o.scenario_path = scenario;
    o.out_dir = out_dir;
    o.speed = speed;
    o.compare_alone = 1;
    o.observe = observe;
    o.node_stats = on_node_stats;
    o.user = tl;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    o.stop = &stop_flag;
    rc = mwx_run(&o, &res, &err);
    if (rc != MWX_OK) {
        mwx_web_stop(tl->web);
        free(tl);
        return mwx_cli_fail("demo", &err);
    }
    {
        char report[1100];
        snprintf(report, sizeof report, "%s/report.json", out_dir);
        print_lead_times(report, stdout);
        print_reference(report, stdout);
    }
    mwx_run_print_benefit(&res, stdout);
    printf("\nmwx demo: %zu records, %zu public warnings; outputs in %s/ (run.mwxr, "
           "report.json, alerts/)\n",
           res.n_records, res.n_alerts, out_dir);
    printf("mwx demo: CAP files signed with a DEMO key made for this run (%s/pki/); check:\n"
           "  mwx verify-cap %s/alerts/*.cap.xml --ca %s/pki/demo-ca.pem\n",
           out_dir, out_dir, out_dir);
    mwx_run_result_free(&res);
    if (tl->web && linger && !stop_flag) {
        printf("mwx demo: the page stays up on %s; Ctrl-C to quit\n", url);
        fflush(stdout);
        while (!stop_flag) { /* polled: a signal between test and sleep is never lost */
            struct timespec ts = {0, 100000000};
            nanosleep(&ts, NULL);
        }
    }
    mwx_web_stop(tl->web);
    free(tl);
    return 0;
}
