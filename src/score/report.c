/* The Report as JSON (PRODUCT.md + docs/SCORING.md) and as a table for people. */
#include "mwx/score.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

/* A number rounded for the file (mm / ms / 1e-6 deg are below anything measured), or null. */
static json_t *num(double x, double quantum)
{
    if (!isfinite(x))
        return json_null();
    return json_real(round(x / quantum) * quantum);
}

static int set(json_t *o, const char *k, json_t *v)
{
    return v ? json_object_set_new(o, k, v) : -1;
}

static json_t *point(double lat, double lon)
{
    if (!isfinite(lat) || !isfinite(lon))
        return json_null();
    json_t *im = json_object();
    if (im && (set(im, "lat", num(lat, 1e-6)) | set(im, "lon", num(lon, 1e-6)))) {
        json_decref(im);
        return NULL;
    }
    return im;
}

static json_t *errors_json(const double e[3])
{
    json_t *ie = json_object();
    int bad = !ie;
    bad |= set(ie, "at_launch_plus_120s", num(e[MWX_SCORE_AT_LAUNCH_PLUS_120], 1e-3));
    bad |= set(ie, "at_ttg_300s", num(e[MWX_SCORE_AT_TTG_300], 1e-3));
    bad |= set(ie, "at_ttg_60s", num(e[MWX_SCORE_AT_TTG_60], 1e-3));
    if (bad) {
        json_decref(ie);
        return NULL;
    }
    return ie;
}

/* objects[]: {id, t_impact, impact} of the contract, then docs/SCORING.md's keys. */
static json_t *objects_json(const mwx_score_launch_t *l)
{
    json_t *a = json_array();
    int bad = !a;
    for (int i = 0; !bad && i < l->n_objects; i++) {
        const mwx_score_object_t *ob = &l->objects[i];
        json_t *o = json_object();
        bad |= !o;
        bad |= set(o, "id", json_string(ob->id));
        bad |= set(o, "t_impact", num(ob->t_impact, 1e-3));
        bad |= set(o, "impact", point(ob->impact_lat_deg, ob->impact_lon_deg));
        bad |= set(o, "t_start", num(ob->t_start, 1e-3));
        bad |= set(o, "last_phase", json_string(mwx_phase_name(ob->last_phase)));
        bad |= set(o, "t_first_detection", num(ob->t_first_detection, 1e-3));
        bad |= set(o, "impact_error_km", errors_json(ob->impact_error_km));
        bad |= set(o, "n_tracks", json_integer(ob->n_tracks));
        bad |= set(o, "impact_warnings", json_integer(ob->n_impact_warnings));
        bad |= json_array_append_new(a, o);
    }
    if (bad) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static json_t *launch_json(const mwx_score_launch_t *l)
{
    json_t *o = json_object();
    int bad = !o;
    if (bad)
        return NULL;
    bad |= set(o, "id", json_string(l->id));
    bad |= set(o, "t_launch", num(l->t_launch, 1e-3));
    bad |= set(o, "t_impact", num(l->t_impact, 1e-3));
    bad |= set(o, "impact", point(l->impact_lat_deg, l->impact_lon_deg));
    bad |= set(o, "objects", objects_json(l));
    bad |= set(o, "t_first_detection", num(l->t_first_detection, 1e-3));
    bad |= set(o, "t_first_track", num(l->t_first_track, 1e-3));
    json_t *sh = json_object();
    for (int i = 0; i < l->n_shared && sh; i++)
        bad |= set(sh, l->shared_to[i], num(l->t_first_shared[i], 1e-3));
    bad |= set(o, "t_first_shared", sh);
    bad |= set(o, "impact_error_km", errors_json(l->impact_error_km));
    json_t *regs = json_array(), *missed = json_array(), *falses = json_array();
    if (!regs || !missed || !falses) {
        json_decref(regs);
        json_decref(missed);
        json_decref(falses);
        json_decref(o);
        return NULL;
    }
    for (int i = 0; l->regions_evaluated && i < l->n_regions; i++) {
        const mwx_score_region_t *g = &l->regions[i];
        json_t *r = json_object();
        bad |= set(r, "id", json_string(g->id));
        bad |= set(r, "threatened", json_boolean(g->threatened));
        bad |= set(r, "kind", json_string(mwx_alert_kind_name(g->kind)));
        bad |= set(r, "t_first_alert", num(g->t_first_alert, 1e-3));
        bad |= set(r, "lead_time_s", num(g->lead_time_s, 1e-3));
        bad |= set(r, "t_launch_notice", num(g->t_launch_notice, 1e-3));
        bad |= set(r, "t_event", num(g->t_event, 1e-3));
        bad |= set(r, "object", json_string(g->object));
        bad |= json_array_append_new(regs, r);
        if (g->threatened && isnan(g->t_first_alert))
            bad |= json_array_append_new(missed, json_string(g->id));
        if (!g->threatened && !isnan(g->t_first_alert))
            bad |= json_array_append_new(falses, json_string(g->id));
    }
    bad |= set(o, "regions", regs);
    bad |= set(o, "missed_regions", missed);
    bad |= set(o, "false_regions", falses);
    /* docs/SCORING.md additions */
    bad |= set(o, "launch_point_error_km", num(l->launch_point_error_km, 1e-3));
    bad |= set(o, "launch_time_error_s", num(l->launch_time_error_s, 1e-3));
    bad |= set(o, "n_tracks", json_integer(l->n_tracks));
    bad |= set(o, "t_first_prediction", num(l->t_first_prediction, 1e-3));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int tracking_json(json_t *tk, const mwx_score_tracking_t *t)
{
    int bad = 0;
    bad |= set(tk, "pos_rmse_m", num(t->pos_rmse_m, 1e-3));
    bad |= set(tk, "vel_rmse_mps", num(t->vel_rmse_mps, 1e-3));
    bad |= set(tk, "nees", num(t->nees, 1e-3));
    bad |= set(tk, "ospa_m", num(t->ospa_m, 1e-3));
    bad |= set(tk, "gospa_m", num(t->gospa_m, 1e-3));
    bad |= set(tk, "ospa_in_flight_m", num(t->ospa_in_flight_m, 1e-3));
    bad |= set(tk, "gospa_in_flight_m", num(t->gospa_in_flight_m, 1e-3));
    bad |= set(tk, "nees_vel", num(t->nees_vel, 1e-3));
    bad |= set(tk, "n_tracks", json_integer((json_int_t)t->n_tracks));
    bad |= set(tk, "n_false_tracks", json_integer((json_int_t)t->n_false_tracks));
    bad |= set(tk, "n_records", json_integer((json_int_t)t->n_records));
    return bad;
}

json_t *mwx_report_to_json(const mwx_report_t *rep)
{
    json_t *root = json_object(), *ls = json_array(), *tk = json_object();
    int bad = !root || !ls || !tk;
    for (size_t i = 0; !bad && i < rep->n_launches; i++) {
        json_t *l = launch_json(&rep->launches[i]);
        bad |= !l || json_array_append_new(ls, l);
    }
    const mwx_score_tracking_t *t = &rep->tracking;
    if (!bad) {
        bad |= tracking_json(tk, t);
        json_t *pics = json_array();
        for (size_t i = 0; pics && i < rep->n_pictures; i++) {
            json_t *pj = json_object();
            bad |= set(pj, "node", json_string(rep->pictures[i].node));
            bad |= set(pj, "fused", json_boolean(rep->pictures[i].fused));
            bad |= pj ? tracking_json(pj, &rep->pictures[i].tracking) : -1;
            bad |= json_array_append_new(pics, pj);
        }
        bad |= set(tk, "pictures", pics);
        json_t *par = json_object();
        bad |= set(par, "ospa_c_m", num(rep->ospa_c_m, 1e-6));
        bad |= set(par, "ospa_p", num(rep->ospa_p, 1e-6));
        bad |= set(par, "gospa_alpha", num(rep->gospa_alpha, 1e-6));
        bad |= set(par, "gate_m", num(rep->gate_m, 1e-6));
        bad |= set(tk, "parameters", par);
    }
    if (!bad) {
        bad |= json_object_set(root, "launches", ls);
        bad |= json_object_set(root, "tracking", tk);
    }
    json_decref(ls);
    json_decref(tk);
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* x right-aligned in width with prec decimals, or "-". */
static void cellw(FILE *f, double x, int width, int prec)
{
    if (isfinite(x))
        fprintf(f, " %*.*f", width, prec, x);
    else
        fprintf(f, " %*s", width, "-");
}

/* x with prec decimals and a unit, or "-" when unknown. */
static void cell(FILE *f, double x, int prec, const char *unit)
{
    if (isfinite(x))
        fprintf(f, "%.*f%s", prec, x, unit);
    else
        fputs("-", f);
}

void mwx_report_print(const mwx_report_t *rep, FILE *f)
{
    for (size_t i = 0; i < rep->n_launches; i++) {
        const mwx_score_launch_t *l = &rep->launches[i];
        fprintf(f, "launch %s\n", l->id);
        fprintf(f, "  launch      t=");
        cell(f, l->t_launch, 1, " s");
        fprintf(f, "  at %.4f, %.4f\n", l->launch_lat_deg, l->launch_lon_deg);
        fprintf(f, "  impact      t=");
        cell(f, l->t_impact, 1, " s");
        if (isfinite(l->impact_lat_deg))
            fprintf(f, "  at %.4f, %.4f\n", l->impact_lat_deg, l->impact_lon_deg);
        else
            fprintf(f, "  (no impact in the recording)\n");
        fprintf(f, "  first       detection ");
        cell(f, l->t_first_detection, 1, " s");
        fprintf(f, "   track ");
        cell(f, l->t_first_track, 1, " s");
        fprintf(f, "   (%d track%s)\n", l->n_tracks, l->n_tracks == 1 ? "" : "s");
        for (int j = 0; j < l->n_shared; j++) {
            fprintf(f, "  shared to   %-8s ", l->shared_to[j]);
            cell(f, l->t_first_shared[j], 1, " s");
            fputc('\n', f);
        }
        fprintf(f, "  impact err  launch+120 s: ");
        cell(f, l->impact_error_km[0], 2, " km");
        fprintf(f, "   300 s to go: ");
        cell(f, l->impact_error_km[1], 2, " km");
        fprintf(f, "   60 s to go: ");
        cell(f, l->impact_error_km[2], 2, " km");
        fputc('\n', f);
        for (int j = 1; j < l->n_objects; j++) {
            const mwx_score_object_t *ob = &l->objects[j];
            fprintf(f, "  object      %-10s ", ob->id);
            if (isfinite(ob->impact_lat_deg)) {
                fprintf(f, "impact t=");
                cell(f, ob->t_impact, 1, " s");
                fprintf(f, " at %.4f, %.4f   err 60 s to go ", ob->impact_lat_deg,
                        ob->impact_lon_deg);
                cell(f, ob->impact_error_km[MWX_SCORE_AT_TTG_60], 2, " km");
            } else {
                fprintf(f, "no impact (%s)", mwx_phase_name(ob->last_phase));
            }
            fputc('\n', f);
        }
        if (l->n_objects && !isfinite(l->objects[0].t_impact) &&
            l->objects[0].last_phase == MWX_PHASE_ORBIT)
            fprintf(f, "  orbit       %s reaches orbit: %d impact warning%s\n", l->objects[0].id,
                    l->objects[0].n_impact_warnings,
                    l->objects[0].n_impact_warnings == 1 ? "" : "s");
        fprintf(f, "  launch pt   error ");
        cell(f, l->launch_point_error_km, 2, " km");
        fprintf(f, "   time error ");
        cell(f, l->launch_time_error_s, 1, " s");
        fprintf(f, "\n");
        if (!l->regions_evaluated) {
            fprintf(f, "  regions     (not evaluated)\n");
            continue;
        }
        for (int j = 0; j < l->n_regions; j++) {
            const mwx_score_region_t *g = &l->regions[j];
            const char *verdict =
                g->threatened ? (isnan(g->t_first_alert) ? "MISSED" : "warned") : "FALSE";
            fprintf(f, "  region      %-10s %-7s %-10s first alert ", g->id, verdict,
                    mwx_alert_kind_name(g->kind));
            cell(f, g->t_first_alert, 1, " s");
            fprintf(f, "  lead ");
            cell(f, g->lead_time_s, 1, " s");
            fprintf(f, "\n");
        }
    }
    const mwx_score_tracking_t *t = &rep->tracking;
    fprintf(f, "tracking (%zu track%s, %zu false; %zu records; %zu picture-steps)\n", t->n_tracks,
            t->n_tracks == 1 ? "" : "s", t->n_false_tracks, t->n_records, t->n_steps);
    fprintf(f, "  position RMSE  ");
    cell(f, t->pos_rmse_m, 1, " m");
    fprintf(f, "\n  velocity RMSE  ");
    cell(f, t->vel_rmse_mps, 2, " m/s");
    fprintf(f, "\n  NEES position  ");
    cell(f, t->nees, 2, "");
    fprintf(f, " (3 when consistent)   velocity ");
    cell(f, t->nees_vel, 2, "");
    fprintf(f, "\n  OSPA           ");
    cell(f, t->ospa_m, 1, " m");
    fprintf(f, "   GOSPA ");
    cell(f, t->gospa_m, 1, " m");
    fprintf(f, "   (c = %.0f m, p = %g, alpha = %g)\n", rep->ospa_c_m, rep->ospa_p,
            rep->gospa_alpha);
    fprintf(f, "  in flight      OSPA ");
    cell(f, t->ospa_in_flight_m, 1, " m");
    fprintf(f, "   GOSPA ");
    cell(f, t->gospa_in_flight_m, 1, " m");
    fprintf(f, "   (every object in flight, seen or not)\n");
    if (rep->n_pictures)
        fprintf(f, "  picture         tracks false  pos_rmse_m vel_rmse_mps   nees    ospa_m"
                   "   gospa_m\n");
    for (size_t i = 0; i < rep->n_pictures; i++) {
        const mwx_score_picture_t *p = &rep->pictures[i];
        const mwx_score_tracking_t *q = &p->tracking;
        fprintf(f, "  %-8s %-5s %6zu %5zu", p->node, p->fused ? "fused" : "own", q->n_tracks,
                q->n_false_tracks);
        cellw(f, q->pos_rmse_m, 11, 1);
        cellw(f, q->vel_rmse_mps, 12, 2);
        cellw(f, q->nees, 6, 2);
        cellw(f, q->ospa_m, 9, 1);
        cellw(f, q->gospa_m, 9, 1);
        fputc('\n', f);
    }
}
