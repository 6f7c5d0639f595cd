/*
 * Ground or ship radar: range, azimuth (clockwise from true north) and elevation (above
 * the ellipsoid's local horizon) from the site, in the site's ENU frame (core.h
 * mwx_ecef_to_rae). A target is seen only above min_elevation and within max_range;
 * then detected with probability pd and measured with independent Gaussian noise on
 * range, azimuth and elevation. Each scan also draws Poisson(false_alarms_per_scan)
 * false alarms, uniform over the coverage volume (range <= max_range, elevation in
 * [min_elevation, 90 deg], any azimuth).
 */
#include "sim/sensor.h"

#include <math.h>

static int radar_init(mwx_sensor_t *s, mwx_err_t *err)
{
    s->site.lat = s->cfg.lat;
    s->site.lon = s->cfg.lon;
    s->site.alt = s->cfg.alt_m;
    mwx_geo_to_ecef(&s->earth, &s->site, s->pos_ecef);
    return MWX_OK;
}

static void fill(const mwx_sensor_t *s, double t, double range, double az, double el,
                 const char *truth, mwx_rec_meas_t *m)
{
    mwxi_sensor_meas_header(s, t, m);
    m->range_m = range;
    m->az_deg = az / MWX_DEG;
    m->el_deg = el / MWX_DEG;
    m->sigma_range_m = s->cfg.sigma_range_m;
    m->sigma_az_deg = s->cfg.sigma_az / MWX_DEG;
    m->sigma_el_deg = s->cfg.sigma_el / MWX_DEG;
    mwx_strlcpy(m->truth_object, truth, sizeof m->truth_object);
}

static size_t radar_scan(mwx_sensor_t *s, double t, const mwx_sim_target_t *targets, size_t n,
                         mwx_rec_meas_t *out, size_t cap)
{
    const mwx_sensor_cfg_t *c = &s->cfg;
    size_t k = 0;
    unsigned nfa;
    for (size_t i = 0; i < n && k < cap; i++) {
        double r, az, el;
        if (targets[i].phase == MWX_PHASE_IMPACT)
            continue;
        mwx_ecef_to_rae(&s->site, s->pos_ecef, targets[i].ecef, &r, &az, &el);
        if (el < c->min_elevation || r > c->max_range_m)
            continue;
        if (mwxi_rng_uniform(&s->rng) >= c->pd)
            continue;
        r += c->sigma_range_m * mwxi_rng_gauss(&s->rng);
        az = mwx_wrap_2pi(az + c->sigma_az * mwxi_rng_gauss(&s->rng));
        el += c->sigma_el * mwxi_rng_gauss(&s->rng);
        if (r < 0)
            r = -r; /* only reachable with absurd sigmas at point-blank range */
        fill(s, t, r, az, el, targets[i].id, &out[k++]);
    }
    nfa = mwxi_rng_poisson(&s->rng, c->false_alarms_per_scan);
    if (nfa > MWX_SENSOR_MAX_FALSE)
        nfa = MWX_SENSOR_MAX_FALSE;
    for (unsigned j = 0; j < nfa; j++) {
        /* Uniform in volume: r^3 uniform, sin(el) uniform, az uniform. */
        double smin = sin(c->min_elevation);
        double r = c->max_range_m * cbrt(mwxi_rng_uniform(&s->rng));
        double az = 2.0 * MWX_PI * mwxi_rng_uniform(&s->rng);
        double el = asin(smin + (1.0 - smin) * mwxi_rng_uniform(&s->rng));
        if (k < cap)
            fill(s, t, r, az, el, "", &out[k++]);
    }
    return k;
}

const mwx_sensor_ops_t mwxi_radar_ops = {
    .kind = "radar",
    .init = radar_init,
    .scan = radar_scan,
    .next_scan = mwxi_sensor_next_periodic,
};
