/* Region scoring for `mwx score` (PRODUCT.md, Report): per region of one launch, was it
 * threatened (the true impact point, or the true ground track below 100 km altitude, inside
 * it), was it warned before impact and when first, the lead time and its efficiency
 * (lead time / (impact - first detection)); and the missed and false region lists. */
#include "warn/warn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Regions the true flight passes over above max_alt_m only (not already threatened):
 * over[i] set, t_over[i] the time of the sample nearest the region's bounding-box centre
 * among the high samples over it (the samples are dense: about a second apart). */
static int overflown(mwx_regions_t *r, const mwx_warn_truth_t *truth, double max_alt_m,
                     const uint8_t *threat, uint8_t *over, double *t_over, mwx_err_t *err)
{
    mwx_earth_t wgs = mwx_earth_wgs84();
    size_t nreg = mwx_regions_count(r);
    double best[MWX_MAX_ALERT_REGIONS];
    uint8_t hit[MWX_MAX_ALERT_REGIONS];
    int rc;

    memset(over, 0, MWX_MAX_ALERT_REGIONS);
    for (size_t i = 0; i < nreg; i++) {
        t_over[i] = NAN;
        best[i] = INFINITY;
    }
    for (size_t k = 0; k < truth->n_states; k++) {
        mwx_geo_t g;
        double lat, lon;
        mwx_ecef_to_geo(&wgs, truth->states[k].ecef_m, &g);
        if (!(g.alt >= max_alt_m) || !(truth->states[k].t < truth->t_impact))
            continue;
        lat = g.lat / MWX_DEG;
        lon = g.lon / MWX_DEG;
        memset(hit, 0, sizeof hit);
        if ((rc = mwx_regions_at_point(r, lat, lon, hit, NULL, err)))
            return rc;
        for (size_t i = 0; i < nreg; i++) {
            const mwx_region_info_t *ri;
            double d;
            if (!hit[i] || threat[i])
                continue;
            ri = mwx_regions_info(r, i);
            d = hypot(lat - 0.5 * (ri->min_lat + ri->max_lat),
                      (lon - 0.5 * (ri->min_lon + ri->max_lon)) * cos(lat * MWX_DEG));
            over[i] = 1;
            if (d < best[i]) {
                best[i] = d;
                t_over[i] = truth->states[k].t;
            }
        }
    }
    return MWX_OK;
}

int mwx_warn_score_regions(mwx_regions_t *r, const mwx_warn_truth_t *truth,
                           const mwx_rec_alert_t *alerts, size_t n_alerts,
                           const mwx_warn_score_opts_t *opts, mwx_warn_score_t *out, mwx_err_t *err)
{
    mwx_warn_score_opts_t o = {.ground_track_max_alt_m = 100e3, .count_overflight = 0};
    mwx_earth_t wgs = mwx_earth_wgs84();
    uint8_t threat[MWX_MAX_ALERT_REGIONS], over[MWX_MAX_ALERT_REGIONS];
    double first_alert[MWX_MAX_ALERT_REGIONS], t_over[MWX_MAX_ALERT_REGIONS];
    double first_over_alert[MWX_MAX_ALERT_REGIONS], first_notice[MWX_MAX_ALERT_REGIONS];
    double(*run)[2] = NULL;
    size_t nreg, nrun = 0;
    int rc = MWX_OK;

    if (!r || !truth || !out || (n_alerts && !alerts) || (truth->n_states && !truth->states))
        return mwx_err_set(err, MWX_EINVAL, "score regions: missing argument");
    if (opts)
        o = *opts;
    if (!isfinite(truth->t_impact) || !isfinite(truth->impact_lat_deg) ||
        !isfinite(truth->impact_lon_deg))
        return mwx_err_set(err, MWX_EINVAL, "score regions: the true impact must be finite");
    memset(out, 0, sizeof *out);
    nreg = mwx_regions_count(r);

    /* threatened: the impact point ... */
    if ((rc = mwx_regions_at_point(r, truth->impact_lat_deg, truth->impact_lon_deg, threat, NULL,
                                   err)))
        return rc;
    /* ... or the ground track below the altitude limit, one polyline per contiguous run of
     * low samples (so that the climb-out and the re-entry are not joined across the
     * exo-atmospheric arc) */
    if (truth->n_states) {
        run = malloc(truth->n_states * sizeof *run);
        if (!run)
            return mwx_err_set(err, MWX_ENOMEM, "score regions: out of memory");
    }
    for (size_t i = 0; i <= truth->n_states; i++) {
        int low = 0;
        mwx_geo_t g = {0, 0, 0};
        if (i < truth->n_states) {
            const double *p = truth->states[i].ecef_m;
            if (!isfinite(p[0]) || !isfinite(p[1]) || !isfinite(p[2]) || mwx_norm3(p) < 1.0) {
                rc = mwx_err_set(err, MWX_EINVAL, "score regions: truth sample %zu is invalid", i);
                break;
            }
            mwx_ecef_to_geo(&wgs, p, &g);
            low = g.alt < o.ground_track_max_alt_m;
        }
        if (low) {
            run[nrun][0] = g.lat / MWX_DEG;
            run[nrun][1] = g.lon / MWX_DEG;
            nrun++;
        } else if (nrun) {
            if ((rc = mwx_regions_along_line(r, (const double(*)[2])run, nrun, 0.0, threat, NULL,
                                             err)))
                break;
            nrun = 0;
        }
    }
    free(run);
    if (rc)
        return rc;
    if ((rc = overflown(r, truth, o.ground_track_max_alt_m, threat, over, t_over, err)))
        return rc;

    /* warned: the first Alert/Update naming the region, sent before impact */
    for (size_t i = 0; i < nreg; i++)
        first_alert[i] = first_over_alert[i] = first_notice[i] = NAN;
    for (size_t a = 0; a < n_alerts; a++) {
        const mwx_rec_alert_t *al = &alerts[a];
        /* the record's own kind, as mwx score reads it (a recording from before the
         * field reads as impact) */
        mwx_warn_kind_t kind = (mwx_warn_kind_t)al->kind;
        if (!memchr(al->file, '\0', sizeof al->file) || !ends_with(al->file, ".cap.xml"))
            continue;
        if (al->msg_type == MWX_MSG_CANCEL || !(al->t < truth->t_impact))
            continue;
        for (int k = 0; k < al->n_regions && k < MWX_MAX_ALERT_REGIONS; k++) {
            char id[MWX_REGION_ID_LEN];
            int ri;
            memcpy(id, al->regions[k], sizeof id);
            id[sizeof id - 1] = '\0';
            ri = mwx_regions_find(r, id);
            if (ri < 0)
                continue; /* a region this file does not know: not scored */
            /* a launch notice is scored apart: it warns of nothing yet */
            if (kind == MWX_WARN_LAUNCH) {
                if (isnan(first_notice[ri]) || al->t < first_notice[ri])
                    first_notice[ri] = al->t;
                continue;
            }
            /* any warning naming an overflown region warns it of the overflight */
            if (isnan(first_over_alert[ri]) || al->t < first_over_alert[ri])
                first_over_alert[ri] = al->t;
            if (kind == MWX_WARN_OVERFLIGHT && !o.count_overflight)
                continue;
            if (isnan(first_alert[ri]) || al->t < first_alert[ri])
                first_alert[ri] = al->t;
        }
    }

    for (size_t i = 0; i < nreg; i++) {
        int ovf = !threat[i] && over[i];
        /* an overflown region is warned by a warning before the overflight */
        double fa =
            ovf ? (first_over_alert[i] < t_over[i] ? first_over_alert[i] : NAN) : first_alert[i];
        int warned = !isnan(fa);
        double t_ev = ovf ? t_over[i] : truth->t_impact;
        mwx_warn_region_score_t *rs;
        const mwx_region_info_t *ri = mwx_regions_info(r, i);
        if (!threat[i] && !ovf && !warned)
            continue;
        rs = &out->regions[out->n_regions++];
        mwx_strlcpy(rs->id, ri->id, sizeof rs->id);
        rs->threatened = threat[i] || ovf ? 1 : 0;
        rs->kind = ovf ? MWX_ALERT_OVERFLIGHT : MWX_ALERT_IMPACT;
        rs->t_event = t_ev;
        rs->t_launch_notice = first_notice[i];
        rs->warned = warned;
        rs->t_first_alert = fa;
        rs->lead_time_s = warned ? t_ev - fa : NAN;
        rs->lead_time_efficiency = NAN;
        if (warned && isfinite(truth->t_first_detection) && t_ev > truth->t_first_detection)
            rs->lead_time_efficiency = rs->lead_time_s / (t_ev - truth->t_first_detection);
        if (ovf) {
            if (!warned)
                mwx_strlcpy(out->missed[out->n_missed++], ri->id, MWX_REGION_ID_LEN);
            continue;
        }
        if (threat[i] && !warned)
            mwx_strlcpy(out->missed[out->n_missed++], ri->id, MWX_REGION_ID_LEN);
        if (!threat[i] && warned)
            mwx_strlcpy(out->false_[out->n_false++], ri->id, MWX_REGION_ID_LEN);
    }
    return MWX_OK;
}
