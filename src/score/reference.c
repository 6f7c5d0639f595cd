/*
 * The historic scenarios' `reference` block (the real public alerts) and its comparison
 * with mwx's warnings: docs/HISTORIC.md, docs/SCORING.md "reference_comparison". The
 * scenario loader only accepts the key; every check of the block is here, with the same
 * strict readers and "$.reference..." paths as the loader's messages.
 */
#include "mwx/reference.h"
#include "mwx/warn.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const k_ref[] = {"launch",         "sources",    "alerts",
                                    "t_overflight_s", "t_impact_s", NULL};
static const char *const k_alert[] = {"nation", "regions", "t_s", "kind", NULL};
static const char *const e_kind[] = {"alert", "passed", "withdrawn", NULL};

/* Reference times: a flight of a few hours at most, an alert up to a day later. */
#define REF_T_MAX_S 86400.0

static int parse_alert(mwx_jpath_t *jp, const json_t *a, mwx_ref_alert_t *out, mwx_err_t *err)
{
    int rc, kind;
    if ((rc = mwx_json_check_object(jp, a, k_alert, err)) != MWX_OK)
        return rc;
    if ((rc = mwx_json_string(jp, a, "nation", 1, NULL, out->nation, sizeof out->nation, err)) !=
        MWX_OK)
        return rc;
    if ((rc = mwx_json_number(jp, a, "t_s", 1, 0, 0, REF_T_MAX_S, &out->t_s, err)) != MWX_OK)
        return rc;
    if ((rc = mwx_json_enum(jp, a, "kind", 1, 0, e_kind, &kind, err)) != MWX_OK)
        return rc;
    out->kind = (mwx_ref_kind_t)kind;
    json_t *rs = json_object_get(a, "regions");
    if (!json_is_array(rs) || json_array_size(rs) == 0)
        return mwx_jpath_error(jp, "regions", err, "expected a non-empty array of region ids");
    if (json_array_size(rs) > MWX_REF_MAX_ALERT_REGIONS)
        return mwx_jpath_error(jp, "regions", err, "more than %d regions",
                               MWX_REF_MAX_ALERT_REGIONS);
    size_t l0 = mwx_jpath_key(jp, "regions");
    for (size_t i = 0; i < json_array_size(rs); i++) {
        json_t *r = json_array_get(rs, i);
        size_t l1 = mwx_jpath_index(jp, i);
        if (!json_is_string(r) || json_string_length(r) == 0 ||
            json_string_length(r) >= MWX_ID_LEN ||
            strlen(json_string_value(r)) != json_string_length(r)) {
            rc = mwx_jpath_error(jp, NULL, err, "expected a region id (1 to %d characters)",
                                 MWX_ID_LEN - 1);
            mwx_jpath_pop(jp, l0);
            return rc;
        }
        for (int k = 0; k < out->n_regions; k++)
            if (strcmp(out->regions[k], json_string_value(r)) == 0) {
                rc = mwx_jpath_error(jp, NULL, err, "region \"%s\" named twice",
                                     json_string_value(r));
                mwx_jpath_pop(jp, l0);
                return rc;
            }
        mwx_strlcpy(out->regions[out->n_regions++], json_string_value(r), MWX_ID_LEN);
        mwx_jpath_pop(jp, l1);
    }
    mwx_jpath_pop(jp, l0);
    return MWX_OK;
}

/* The launch the block refers to and its t_launch_s, from the scenario's launches. */
static int find_launch(mwx_jpath_t *jp, const json_t *root, mwx_reference_t *ref, mwx_err_t *err)
{
    json_t *ls = json_object_get(root, "launches");
    for (size_t i = 0; json_is_array(ls) && i < json_array_size(ls); i++) {
        json_t *l = json_array_get(ls, i);
        json_t *id = json_object_get(l, "id"), *t = json_object_get(l, "t_launch_s");
        if (!json_is_string(id) || !json_is_number(t))
            continue;
        if (ref->launch[0] && strcmp(ref->launch, json_string_value(id)) != 0)
            continue;
        mwx_strlcpy(ref->launch, json_string_value(id), sizeof ref->launch);
        ref->t_launch_s = json_number_value(t);
        return MWX_OK;
    }
    return mwx_jpath_error(jp, "launch", err, "no launch \"%s\" in $.launches",
                           ref->launch[0] ? ref->launch : "(first)");
}

int mwx_reference_parse(const char *scenario_json, const char *name, mwx_reference_t *ref,
                        mwx_err_t *err)
{
    json_t *root = NULL;
    int rc;
    memset(ref, 0, sizeof *ref);
    ref->t_impact_s = NAN;
    if (!scenario_json)
        return MWX_OK;
    if ((rc = mwx_json_load_string(scenario_json, strlen(scenario_json), name ? name : "scenario",
                                   &root, err)) != MWX_OK)
        return rc;
    mwx_jpath_t jp;
    mwx_jpath_init(&jp, name ? name : "scenario");
    json_t *b = json_is_object(root) ? json_object_get(root, "reference") : NULL;
    if (!b) {
        json_decref(root);
        return MWX_OK;
    }
    mwx_jpath_key(&jp, "reference");
    if ((rc = mwx_json_check_object(&jp, b, k_ref, err)) != MWX_OK)
        goto out;
    if ((rc = mwx_json_string(&jp, b, "launch", 0, "", ref->launch, sizeof ref->launch, err)) !=
        MWX_OK)
        goto out;
    if ((rc = find_launch(&jp, root, ref, err)) != MWX_OK)
        goto out;

    /* sources: the facts' URLs (HISTORIC.md: every fact carries its URL) */
    json_t *src = json_object_get(b, "sources");
    if (!json_is_array(src) || json_array_size(src) == 0) {
        rc = mwx_jpath_error(&jp, "sources", err, "expected a non-empty array of URLs");
        goto out;
    }
    if (json_array_size(src) > MWX_REF_MAX_SOURCES) {
        rc = mwx_jpath_error(&jp, "sources", err, "more than %d sources", MWX_REF_MAX_SOURCES);
        goto out;
    }
    for (size_t i = 0; i < json_array_size(src); i++) {
        json_t *u = json_array_get(src, i);
        const char *s = json_string_value(u);
        if (!s || (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0) ||
            strlen(s) != json_string_length(u) || json_string_length(u) >= MWX_REF_URL_LEN) {
            size_t l0 = mwx_jpath_key(&jp, "sources");
            mwx_jpath_index(&jp, i);
            rc = mwx_jpath_error(&jp, NULL, err, "expected an http(s) URL under %d characters",
                                 MWX_REF_URL_LEN);
            mwx_jpath_pop(&jp, l0);
            goto out;
        }
        mwx_strlcpy(ref->sources[ref->n_sources++], s, MWX_REF_URL_LEN);
    }

    json_t *al = json_object_get(b, "alerts");
    if (!json_is_array(al)) {
        rc = mwx_jpath_error(&jp, "alerts", err,
                             "expected an array (empty when there was no public alert)");
        goto out;
    }
    if (json_array_size(al) > MWX_REF_MAX_ALERTS) {
        rc = mwx_jpath_error(&jp, "alerts", err, "more than %d alerts", MWX_REF_MAX_ALERTS);
        goto out;
    }
    for (size_t i = 0; i < json_array_size(al); i++) {
        size_t l0 = mwx_jpath_key(&jp, "alerts");
        mwx_jpath_index(&jp, i);
        rc = parse_alert(&jp, json_array_get(al, i), &ref->alerts[ref->n_alerts], err);
        mwx_jpath_pop(&jp, l0);
        if (rc != MWX_OK)
            goto out;
        ref->n_alerts++;
    }

    json_t *ov = json_object_get(b, "t_overflight_s");
    if (ov) {
        if (!json_is_object(ov)) {
            rc = mwx_jpath_error(&jp, "t_overflight_s", err,
                                 "expected an object {region id: seconds after launch}");
            goto out;
        }
        const char *key;
        json_t *v;
        size_t l0 = mwx_jpath_key(&jp, "t_overflight_s");
        json_object_foreach(ov, key, v)
        {
            if (ref->n_overflight == MWX_REF_MAX_OVERFLIGHT || strlen(key) == 0 ||
                strlen(key) >= MWX_ID_LEN) {
                rc = mwx_jpath_error(&jp, key, err,
                                     "expected at most %d region ids of 1 to %d characters",
                                     MWX_REF_MAX_OVERFLIGHT, MWX_ID_LEN - 1);
                mwx_jpath_pop(&jp, l0);
                goto out;
            }
            double t;
            if ((rc = mwx_json_number(&jp, ov, key, 1, 0, 0, REF_T_MAX_S, &t, err)) != MWX_OK) {
                mwx_jpath_pop(&jp, l0);
                goto out;
            }
            mwx_strlcpy(ref->overflight_region[ref->n_overflight], key, MWX_ID_LEN);
            ref->overflight_t_s[ref->n_overflight++] = t;
        }
        mwx_jpath_pop(&jp, l0);
    }

    json_t *ti = json_object_get(b, "t_impact_s");
    if (ti && !json_is_null(ti) &&
        (rc = mwx_json_number(&jp, b, "t_impact_s", 1, 0, 0, REF_T_MAX_S, &ref->t_impact_s, err)) !=
            MWX_OK)
        goto out;
    if (!ti) {
        rc = mwx_jpath_error(&jp, "t_impact_s", err,
                             "missing (expected seconds after launch, or null when unknown)");
        goto out;
    }
    ref->present = 1;
    rc = MWX_OK;
out:
    json_decref(root);
    if (rc != MWX_OK)
        ref->present = 0;
    return rc;
}

int mwx_reference_check_regions(const mwx_reference_t *ref, const void *regions, mwx_err_t *err)
{
    const mwx_regions_t *r = regions;
    if (!ref->present || !r)
        return MWX_OK;
    for (int i = 0; i < ref->n_alerts; i++)
        for (int k = 0; k < ref->alerts[i].n_regions; k++)
            if (mwx_regions_find(r, ref->alerts[i].regions[k]) < 0)
                return mwx_err_set(err, MWX_EINVAL,
                                   "$.reference.alerts[%d].regions[%d]: unknown region \"%s\"", i,
                                   k, ref->alerts[i].regions[k]);
    for (int i = 0; i < ref->n_overflight; i++)
        if (mwx_regions_find(r, ref->overflight_region[i]) < 0)
            return mwx_err_set(err, MWX_EINVAL, "$.reference.t_overflight_s: unknown region \"%s\"",
                               ref->overflight_region[i]);
    return MWX_OK;
}

static mwx_ref_region_t *region_slot(mwx_ref_comparison_t *c, const char *id)
{
    for (int i = 0; i < c->n_regions; i++)
        if (strcmp(c->regions[i].id, id) == 0)
            return &c->regions[i];
    if (c->n_regions == MWX_REF_MAX_REGIONS)
        return NULL;
    mwx_ref_region_t *r = &c->regions[c->n_regions++];
    memset(r, 0, sizeof *r);
    mwx_strlcpy(r->id, id, sizeof r->id);
    r->real_alert_s = r->real_passed_s = r->real_withdrawn_s = r->event_s = NAN;
    r->real_lead_s = r->mwx_alert_s = r->mwx_lead_s = r->mwx_lead_sim_s = r->mwx_ahead_s = NAN;
    return r;
}

static void keep_min(double *x, double v)
{
    if (isnan(*x) || v < *x)
        *x = v;
}

/* An alert record's kind is the identifier's field before the sequence number
 * (warn.h: mwx.<node>[.<run>].<track>.<kind>.<seq>); "launch" messages (launch detected)
 * are not warnings of a threat to the region and are scored apart. */
static int is_launch_notice(const char *identifier)
{
    return strstr(identifier, ".launch.") != NULL;
}

int mwx_reference_compare(const mwx_reference_t *ref, const mwx_report_t *rep,
                          const mwx_record_t *recs, size_t n_recs, mwx_ref_comparison_t *c,
                          mwx_err_t *err)
{
    memset(c, 0, sizeof *c);
    const mwx_score_launch_t *l = NULL;
    for (size_t i = 0; i < rep->n_launches; i++)
        if (strcmp(rep->launches[i].id, ref->launch) == 0)
            l = &rep->launches[i];
    if (!l)
        return mwx_err_set(err, MWX_EINVAL, "reference: the run has no launch \"%s\"", ref->launch);
    mwx_strlcpy(c->launch, ref->launch, sizeof c->launch);
    c->real_t_impact_s = ref->t_impact_s;
    c->mwx_t_impact_s = l->t_impact - ref->t_launch_s;
    c->t_first_detection_s = l->t_first_detection - ref->t_launch_s;

    /* real side: the first alert, passed and withdrawal per region */
    for (int i = 0; i < ref->n_alerts; i++) {
        const mwx_ref_alert_t *a = &ref->alerts[i];
        for (int k = 0; k < a->n_regions; k++) {
            mwx_ref_region_t *r = region_slot(c, a->regions[k]);
            if (!r)
                continue;
            keep_min(a->kind == MWX_REF_ALERT    ? &r->real_alert_s
                     : a->kind == MWX_REF_PASSED ? &r->real_passed_s
                                                 : &r->real_withdrawn_s,
                     a->t_s);
        }
    }
    for (int i = 0; i < ref->n_overflight; i++) {
        mwx_ref_region_t *r = region_slot(c, ref->overflight_region[i]);
        if (r) {
            r->event_s = ref->overflight_t_s[i];
            r->overflight = 1;
        }
    }
    /* mwx side: the Report's regions (threatened by the simulated flight, or warned) */
    for (int i = 0; i < l->n_regions; i++) {
        const mwx_score_region_t *s = &l->regions[i];
        if (!isfinite(s->t_first_alert) && !s->threatened)
            continue;
        mwx_ref_region_t *r = region_slot(c, s->id);
        if (!r)
            continue;
        r->mwx_threatened = s->threatened;
        if (isfinite(s->t_first_alert))
            r->mwx_alert_s = s->t_first_alert - ref->t_launch_s;
        r->mwx_lead_sim_s = s->lead_time_s;
    }
    /* Every Alert/Update naming a region while the launch flew, of any kind (impact or
     * overflight): the Report's regions count only what it scores as threatened. A
     * historic scenario has one launch, so every alert is this launch's. */
    double t_end = isfinite(l->t_impact) ? l->t_impact : INFINITY;
    for (size_t i = 0; recs && i < n_recs; i++) {
        const mwx_rec_alert_t *a = &recs[i].u.alert;
        if (recs[i].type != MWX_REC_ALERT || a->msg_type == MWX_MSG_CANCEL || a->t < l->t_launch ||
            a->t > t_end || is_launch_notice(a->identifier))
            continue;
        for (int k = 0; k < a->n_regions && k < MWX_MAX_ALERT_REGIONS; k++) {
            char id[MWX_ID_LEN];
            mwx_strlcpy(id, a->regions[k], sizeof id);
            mwx_ref_region_t *r = region_slot(c, id);
            if (r)
                keep_min(&r->mwx_alert_s, a->t - ref->t_launch_s);
        }
    }
    for (int i = 0; i < c->n_regions; i++) {
        mwx_ref_region_t *r = &c->regions[i];
        if (isfinite(r->event_s)) {
            if (isfinite(r->real_alert_s))
                r->real_lead_s = r->event_s - r->real_alert_s;
            if (isfinite(r->mwx_alert_s))
                r->mwx_lead_s = r->event_s - r->mwx_alert_s;
        }
        if (isfinite(r->real_alert_s) && isfinite(r->mwx_alert_s))
            r->mwx_ahead_s = r->real_alert_s - r->mwx_alert_s;
        int real = isfinite(r->real_alert_s), mwx = isfinite(r->mwx_alert_s);
        c->n_real_only += real && !mwx;
        c->n_mwx_only += mwx && !real;
    }
    return MWX_OK;
}

/* Seconds rounded to 1 ms as in the rest of the Report; NAN is null. */
static json_t *num(double x)
{
    return isfinite(x) ? json_real(round(x * 1000.0) / 1000.0) : json_null();
}

json_t *mwx_reference_comparison_json(const mwx_reference_t *ref, const mwx_ref_comparison_t *c)
{
    json_t *o = json_object(), *regs = json_array(), *ro = json_array(), *mo = json_array(),
           *src = json_array();
    if (!o || !regs || !ro || !mo || !src) {
        json_decref(o);
        json_decref(regs);
        json_decref(ro);
        json_decref(mo);
        json_decref(src);
        return NULL;
    }
    for (int i = 0; i < ref->n_sources; i++)
        json_array_append_new(src, json_string(ref->sources[i]));
    for (int i = 0; i < c->n_regions; i++) {
        const mwx_ref_region_t *r = &c->regions[i];
        json_t *e = json_pack(
            "{s:s, s:o, s:o, s:{s:o, s:o, s:o, s:o}, s:{s:o, s:o, s:o, s:b},"
            " s:o}",
            "id", r->id, "event",
            isfinite(r->event_s) ? json_string(r->overflight ? "overflight" : "impact")
                                 : json_null(),
            "t_event_s", num(r->event_s), "real", "t_alert_s", num(r->real_alert_s), "lead_s",
            num(r->real_lead_s), "t_passed_s", num(r->real_passed_s), "t_withdrawn_s",
            num(r->real_withdrawn_s), "mwx", "t_alert_s", num(r->mwx_alert_s), "lead_s",
            num(r->mwx_lead_s), "lead_sim_s", num(r->mwx_lead_sim_s), "threatened",
            r->mwx_threatened, "mwx_ahead_s", num(r->mwx_ahead_s));
        if (e)
            json_array_append_new(regs, e);
        if (isfinite(r->real_alert_s) && !isfinite(r->mwx_alert_s))
            json_array_append_new(ro, json_string(r->id));
        if (isfinite(r->mwx_alert_s) && !isfinite(r->real_alert_s))
            json_array_append_new(mo, json_string(r->id));
    }
    json_object_set_new(o, "launch", json_string(c->launch));
    json_object_set_new(o, "sources", src);
    json_object_set_new(o, "t_impact_s",
                        json_pack("{s:o, s:o}", "real", num(c->real_t_impact_s), "mwx_sim",
                                  num(c->mwx_t_impact_s)));
    json_object_set_new(o, "t_first_detection_s", num(c->t_first_detection_s));
    json_object_set_new(o, "regions", regs);
    json_object_set_new(o, "warned_by_real_only", ro);
    json_object_set_new(o, "warned_by_mwx_only", mo);
    return o;
}

static void pr_s(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, " %8.0f", x);
    else
        fprintf(f, " %8s", "-");
}

void mwx_reference_print(const mwx_ref_comparison_t *c, FILE *f)
{
    fprintf(f,
            "\nReal public alerts vs mwx (launch %s; seconds after launch; lead against "
            "the real overflight/impact)\n",
            c->launch);
    fprintf(f, "  impact: real ");
    if (isfinite(c->real_t_impact_s))
        fprintf(f, "%.0f s", c->real_t_impact_s);
    else
        fprintf(f, "unknown");
    fprintf(f, ", simulated ");
    if (isfinite(c->mwx_t_impact_s))
        fprintf(f, "%.0f s\n", c->mwx_t_impact_s);
    else
        fprintf(f, "-\n");
    if (c->n_regions == 0) {
        fprintf(f, "  no region warned by either, none overflown\n");
        return;
    }
    fprintf(f, "  %-8s %-10s %8s %8s %8s %8s %8s %8s  %s\n", "region", "event", "t_event", "real",
            "real", "mwx", "mwx", "mwx", "");
    fprintf(f, "  %-8s %-10s %8s %8s %8s %8s %8s %8s\n", "", "", "", "alert", "lead", "alert",
            "lead", "ahead");
    for (int i = 0; i < c->n_regions; i++) {
        const mwx_ref_region_t *r = &c->regions[i];
        fprintf(f, "  %-8s %-10s", r->id,
                isfinite(r->event_s) ? (r->overflight ? "overflight" : "impact") : "none");
        pr_s(f, r->event_s);
        pr_s(f, r->real_alert_s);
        pr_s(f, r->real_lead_s);
        pr_s(f, r->mwx_alert_s);
        pr_s(f, r->mwx_lead_s);
        pr_s(f, r->mwx_ahead_s);
        int real = isfinite(r->real_alert_s), mwx = isfinite(r->mwx_alert_s);
        fprintf(f, "  %s%s%s\n",
                real && !mwx   ? "real only"
                : mwx && !real ? "mwx only"
                               : "",
                isfinite(r->real_withdrawn_s) ? " (real withdrawn)" : "",
                isfinite(r->real_passed_s) ? " (real passed)" : "");
    }
    fprintf(f, "  warned by the real system only: %d, by mwx only: %d\n", c->n_real_only,
            c->n_mwx_only);
}

int mwx_reference_attach(json_t *report, const mwx_report_t *rep, const mwx_record_t *recs,
                         size_t n_recs, const char *scenario_json, mwx_ref_comparison_t *out,
                         mwx_err_t *err)
{
    mwx_reference_t *ref = calloc(1, sizeof *ref);
    mwx_ref_comparison_t *c = out ? out : calloc(1, sizeof *c);
    int rc;
    if (out)
        memset(out, 0, sizeof *out);
    if (!ref || !c) {
        rc = mwx_err_set(err, MWX_ENOMEM, "reference: out of memory");
        goto done;
    }
    if ((rc = mwx_reference_parse(scenario_json, "scenario", ref, err)) != MWX_OK || !ref->present)
        goto done;
    if ((rc = mwx_reference_compare(ref, rep, recs, n_recs, c, err)) != MWX_OK)
        goto done;
    if (report) {
        json_t *j = mwx_reference_comparison_json(ref, c);
        if (!j) {
            rc = mwx_err_set(err, MWX_ENOMEM, "reference: out of memory");
            goto done;
        }
        json_object_set_new(report, "reference_comparison", j);
    }
    rc = ref->present ? 1 : 0;
done:
    free(ref);
    if (!out)
        free(c);
    return rc;
}
