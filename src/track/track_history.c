/* The launch history of a confirmed track: samples of its early flight (boost and the
 * first HIST_AFTER_BURNOUT s after it), fitted to a launch point and time while they come
 * in (docs/TRACKER.md "Launch point"). */
#include "tracker_int.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void mwxi_trk_hist_release(mwx_tracker_t *t, trk_t *k)
{
    if (k->hist >= 0)
        t->hist_free[t->n_hist_free++] = k->hist;
    k->hist = -1;
    k->hist_done = 1;
    k->fit_tie = 0; /* no fit comes to decide it */
}

/* Keep a sample of a confirmed track's early flight, and fit the launch to them: from
 * its first confirmed update (in boost) to HIST_AFTER_BURNOUT s after it turned
 * ballistic, thinned to HIST_SAMPLES. The single-state back-propagation
 * (mwx_estimate_launch) rests on the current thrust estimate, which one radar gives to
 * +-15 m/s^2, and on one stage; the fit uses every sample's altitude (to ~100 m) and
 * speed and a two-stage thrust law. */
void mwxi_trk_hist_add(mwx_tracker_t *t, trk_t *k)
{
    hist_t *h;
    mwx_boost_sample_t *sm;
    const double *x = k->comb.x, *P = k->comb.P;
    const int n = MWX_TRACK_NX;
    double e[3], nn[3], up[3], v, vu, done, su = 0.0, sv = 0.0, tv;
    mwx_geo_t g;
    if (k->hist_done || !t->cfg.use_imm)
        return;
    done = !k->boost_on ||
           (k->phase == MWX_PHASE_BALLISTIC && k->t - k->t_ballistic > HIST_AFTER_BURNOUT);
    if (k->hist < 0) {
        /* only a track that starts in boost: one seen first after burnout has no boost
         * to fit */
        if (done || k->phase != MWX_PHASE_BOOST || !t->n_hist_free) {
            k->hist_done = 1;
            return;
        }
        k->hist = t->hist_free[--t->n_hist_free];
        h = &t->hist[k->hist];
        h->n = h->n_boost = 0;
        h->dt_min = 1.0;
        h->t_fit = -1e300;
    }
    h = &t->hist[k->hist];
    if (!done && (h->n == 0 || k->t - h->s[h->n - 1].t >= h->dt_min - 1e-9)) {
        if (h->n == HIST_SAMPLES) {
            for (int i = 0; i < HIST_SAMPLES / 2; i++)
                h->s[i] = h->s[2 * i];
            h->n = HIST_SAMPLES / 2;
            h->n_boost = (h->n_boost + 1) / 2; /* every other one kept, boost ones too */
            h->dt_min *= 2.0;
        }
        mwx_ecef_to_geo(&t->cfg.dyn.earth, x, &g);
        mwx_enu_basis(g.lat, g.lon, e, nn, up);
        v = sqrt(x[3] * x[3] + x[4] * x[4] + x[5] * x[5]);
        vu = x[3] * up[0] + x[4] * up[1] + x[5] * up[2];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                su += up[i] * P[i * n + j] * up[j];
                sv += x[3 + i] * P[(3 + i) * n + 3 + j] * x[3 + j];
            }
        sm = &h->s[h->n++];
        sm->t = k->t;
        sm->alt_m = g.alt;
        sm->speed_mps = v;
        sm->gamma_rad = v > 1.0 ? asin(fmax(-1.0, fmin(1.0, vu / v))) : 0.5 * MWX_PI;
        sm->sigma_alt_m = sqrt(su);
        sm->sigma_speed_mps = v > 1.0 ? sqrt(sv) / v : 1e3;
        tv = P[3 * n + 3] + P[4 * n + 4] + P[5 * n + 5];
        sm->sigma_gamma_rad = v > 1.0 ? sqrt(tv) / v : 10.0;
        sm->lat = g.lat;
        sm->lon = g.lon;
        if (k->boost_on && k->imm.mu[0] > 0.8)
            h->n_boost++;
    }
    if (h->n_boost >= 3 && (done || k->t - h->t_fit >= HIST_FIT_EVERY)) {
        mwx_rec_launch_est_t l;
        mwx_launch_fit_info_t fi;
        h->t_fit = k->t;
        if (mwx_fit_launch(&t->cfg.dyn, h->s, h->n, &l, &fi) == MWX_OK) {
            /* the samples cannot tell one long stage from two (a track first seen late
             * in the boost): the stage count whose launch is nearer the boost's own
             * fly-back, a measure independent of the stage law */
            k->fit_tie = fi.other.valid;
            if (fi.other.valid && k->launch_from_boost &&
                fabs(fi.other.t - k->launch_fb.t) < fabs(l.t - k->launch_fb.t))
                l = fi.other;
            k->launch = l;
            k->launch_fit = 1;
        }
    }
    if (done)
        mwxi_trk_hist_release(t, k);
}
