/* The regions hook backed by the warning stage: mwx_warn_score_regions() of warn.h decides
 * which regions the true flight threatened and when each was first warned. */
#include "mwx/score.h"
#include "mwx/warn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int mwx_score_warn_regions(void *ctx, const mwx_score_launch_t *l,
                           const mwx_rec_truth_t *samples, size_t n_samples,
                           const mwx_rec_alert_t *alerts, size_t n_alerts,
                           mwx_score_region_t *out, int cap, int *n_out, mwx_err_t *err)
{
    mwx_regions_t *regions = ctx;
    *n_out = 0;
    /* Without a true impact (a recording cut before it) nothing can be said. */
    if (!regions || !isfinite(l->t_impact))
        return MWX_OK;
    mwx_warn_truth_t truth = {samples, n_samples, l->impact_lat_deg, l->impact_lon_deg,
                              l->t_impact, l->t_first_detection};
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
