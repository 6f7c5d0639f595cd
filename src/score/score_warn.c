/* The regions hook backed by the warning stage: mwx_warn_score_regions() of warn.h decides
 * which regions a falling object threatened and when each was first warned; a part that
 * reaches orbit is scored here (it never lands: only overflight regions). */
#include "mwx/score.h"
#include "mwx/warn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A part in orbit is an overflight threat while below this (issue 11: the warning policy
 * covers regions under the path while it is below 1,000 km). */
#define ORBIT_OVERFLIGHT_MAX_ALT_M 1000e3

static int is_cap_warning(const mwx_rec_alert_t *a)
{
    size_t n = strnlen(a->file, sizeof a->file);
    return n >= 8 && n < sizeof a->file && strcmp(a->file + n - 8, ".cap.xml") == 0 &&
           a->msg_type != MWX_MSG_CANCEL;
}

/* Regions under the ground track of a part in orbit while it is below the limit: each
 * threatened by overflight at the time of the low sample nearest its bounding-box centre.
 * Warned: the first Alert/Update of any series but a launch notice naming it before then
 * (as mwx_warn_score_regions counts an overflight). A region named by an impact or
 * drop-zone warning and never overflown is warned and not threatened: a false region. */
static int orbit_regions(mwx_regions_t *r, const mwx_score_launch_t *l, const mwx_rec_truth_t *s,
                         size_t n, const mwx_rec_alert_t *alerts, size_t n_alerts,
                         mwx_score_region_t *out, int cap, int *n_out, mwx_err_t *err)
{
    mwx_earth_t wgs = mwx_earth_wgs84();
    size_t nreg = mwx_regions_count(r);
    uint8_t *hit = calloc(nreg ? nreg : 1, 1);
    double(*ll)[2] = malloc((n ? n : 1) * sizeof *ll);
    double *tl = malloc((n ? n : 1) * sizeof *tl);
    int rc = MWX_OK;
    size_t nl = 0, run0 = 0;
    if (!hit || !ll || !tl) {
        rc = mwx_err_set(err, MWX_ENOMEM, "score: out of memory");
        goto out;
    }
    /* the low samples, and the regions crossed by each contiguous low run (samples are
     * kilometres apart at orbital speed: a line, not points) */
    for (size_t i = 0; i <= n; i++) {
        int low = 0;
        if (i < n) {
            mwx_geo_t g;
            mwx_ecef_to_geo(&wgs, s[i].ecef_m, &g);
            low = g.alt < ORBIT_OVERFLIGHT_MAX_ALT_M;
            if (low) {
                ll[nl][0] = g.lat / MWX_DEG;
                ll[nl][1] = g.lon / MWX_DEG;
                tl[nl++] = s[i].t;
            }
        }
        if (!low && nl > run0) {
            if ((rc = mwx_regions_along_line(r, (const double(*)[2])(ll + run0), nl - run0, 0.0,
                                             hit, NULL, err)))
                goto out;
            run0 = nl;
        }
    }
    int k = 0;
    for (size_t i = 0; i < nreg && k < cap; i++) {
        const mwx_region_info_t *ri = mwx_regions_info(r, i);
        double t_over = NAN, best = INFINITY, t_alert = NAN, t_false = NAN, t_notice = NAN;
        if (hit[i])
            for (size_t j = 0; j < nl; j++) {
                double d =
                    hypot(ll[j][0] - 0.5 * (ri->min_lat + ri->max_lat),
                          (ll[j][1] - 0.5 * (ri->min_lon + ri->max_lon)) * cos(ll[j][0] * MWX_DEG));
                if (d < best) {
                    best = d;
                    t_over = tl[j];
                }
            }
        for (size_t a = 0; a < n_alerts; a++) {
            const mwx_rec_alert_t *al = &alerts[a];
            int named = 0;
            if (!is_cap_warning(al))
                continue;
            for (int q = 0; q < al->n_regions && q < MWX_MAX_ALERT_REGIONS && !named; q++)
                named = strncmp(al->regions[q], ri->id, sizeof al->regions[q]) == 0;
            if (!named)
                continue;
            if (al->kind == MWX_ALERT_LAUNCH) {
                t_notice = fmin(t_notice, al->t);
                continue;
            }
            if (hit[i] && al->t < t_over)
                t_alert = fmin(t_alert, al->t);
            if (al->kind != MWX_ALERT_OVERFLIGHT)
                t_false = fmin(t_false, al->t);
        }
        if (!hit[i] && isnan(t_false))
            continue;
        mwx_score_region_t *g = &out[k++];
        memset(g, 0, sizeof *g);
        mwx_strlcpy(g->id, ri->id, sizeof g->id);
        g->threatened = hit[i] ? 1 : 0;
        g->kind = hit[i] ? MWX_ALERT_OVERFLIGHT : MWX_ALERT_IMPACT;
        g->t_event = t_over;
        g->t_first_alert = hit[i] ? t_alert : t_false;
        g->lead_time_s = hit[i] && isfinite(t_alert) ? t_over - t_alert : NAN;
        g->t_launch_notice = t_notice;
    }
    *n_out = k;
    (void)l;
out:
    free(hit);
    free(ll);
    free(tl);
    return rc;
}

int mwx_score_warn_regions(void *ctx, const mwx_score_launch_t *l, const mwx_rec_truth_t *samples,
                           size_t n_samples, const mwx_rec_alert_t *alerts, size_t n_alerts,
                           mwx_score_region_t *out, int cap, int *n_out, mwx_err_t *err)
{
    mwx_regions_t *regions = ctx;
    *n_out = 0;
    if (!regions)
        return MWX_OK;
    if (n_samples && samples[n_samples - 1].phase == MWX_PHASE_ORBIT)
        return orbit_regions(regions, l, samples, n_samples, alerts, n_alerts, out, cap, n_out,
                             err);
    /* Without a true impact (a recording cut before it) nothing can be said. */
    if (!isfinite(l->t_impact))
        return MWX_OK;
    mwx_warn_truth_t truth = {samples,           n_samples,   l->impact_lat_deg,
                              l->impact_lon_deg, l->t_impact, l->t_first_detection};
    mwx_warn_score_t *ws = malloc(sizeof *ws);
    if (!ws)
        return mwx_err_set(err, MWX_ENOMEM, "score: out of memory");
    int rc = mwx_warn_score_regions(regions, &truth, alerts, n_alerts, NULL, ws, err);
    if (rc == MWX_OK) {
        int n = 0;
        for (size_t i = 0; i < ws->n_regions && n < cap; i++, n++) {
            const mwx_warn_region_score_t *g = &ws->regions[i];
            memset(&out[n], 0, sizeof out[n]);
            mwx_strlcpy(out[n].id, g->id, sizeof out[n].id);
            out[n].threatened = g->threatened;
            out[n].t_first_alert = g->warned ? g->t_first_alert : NAN;
            out[n].lead_time_s = g->warned ? g->lead_time_s : NAN;
            out[n].kind = g->kind;
            out[n].t_event = g->t_event;
            out[n].t_launch_notice = g->t_launch_notice;
        }
        *n_out = n;
    }
    free(ws);
    return rc;
}
