/*
 * Geostationary infrared early-warning satellite: fixed in the Earth-fixed frame on the
 * equator at lon, MWX_GEO_RADIUS_M from the centre. It sees the hot plume, so only
 * objects in boost, and only while the line of sight clears the Earth's limb: the segment
 * satellite -> plume must not enter the ellipsoid raised by MWX_IR_LIMB_MARGIN_M (10 km,
 * the cloud tops and the absorbing lower atmosphere), which also means a plume is seen
 * only once it has climbed above about 10 km. A seen plume is detected with
 * probability pd and reported as the unit line of sight, perturbed by two independent
 * N(0, sigma_los) angles about two axes across the true line of sight:
 *     los_meas = normalise(los + tan(a) u1 + tan(b) u2),  a, b ~ N(0, sigma_los)
 * with u1, u2 orthonormal and perpendicular to los.
 */
#include "sim/sensor.h"

#include <math.h>

static int ir_init(mwx_sensor_t *s, mwx_err_t *err)
{
    s->pos_ecef[0] = MWX_GEO_RADIUS_M * cos(s->cfg.lon);
    s->pos_ecef[1] = MWX_GEO_RADIUS_M * sin(s->cfg.lon);
    s->pos_ecef[2] = 0.0;
    return MWX_OK;
}

/* Does the segment from sat to p stay outside the ellipsoid raised by the margin? */
static int clears_limb(const mwx_earth_t *e, const double sat[3], const double p[3])
{
    double ah = e->a + MWX_IR_LIMB_MARGIN_M, bh = mwx_earth_b(e) + MWX_IR_LIMB_MARGIN_M;
    /* Scale to the unit sphere, then the closest point of the segment to the centre. */
    double s0[3] = {sat[0] / ah, sat[1] / ah, sat[2] / bh};
    double d[3] = {p[0] / ah - s0[0], p[1] / ah - s0[1], p[2] / bh - s0[2]};
    double dd = mwx_dot3(d, d), u, c[3];
    if (dd <= 0)
        return 0;
    u = -mwx_dot3(s0, d) / dd;
    if (u < 0)
        u = 0;
    if (u > 1)
        u = 1;
    for (int i = 0; i < 3; i++)
        c[i] = s0[i] + u * d[i];
    return mwx_dot3(c, c) > 1.0;
}

static size_t ir_scan(mwx_sensor_t *s, double t, const mwx_sim_target_t *targets, size_t n,
                      mwx_rec_meas_t *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < cap; i++) {
        double los[3], u1[3], u2[3], m[3], r, nu;
        const double zhat[3] = {0, 0, 1}, xhat[3] = {1, 0, 0};
        double ta, tb;
        mwx_rec_meas_t *o;
        if (targets[i].phase != MWX_PHASE_BOOST)
            continue;
        if (!clears_limb(&s->earth, s->pos_ecef, targets[i].ecef))
            continue;
        if (mwxi_rng_uniform(&s->rng) >= s->cfg.pd)
            continue;
        for (int j = 0; j < 3; j++)
            los[j] = targets[i].ecef[j] - s->pos_ecef[j];
        r = mwx_norm3(los);
        for (int j = 0; j < 3; j++)
            los[j] /= r;
        mwx_cross3(zhat, los, u1);
        nu = mwx_norm3(u1);
        if (nu < 1e-6) {
            mwx_cross3(xhat, los, u1);
            nu = mwx_norm3(u1);
        }
        for (int j = 0; j < 3; j++)
            u1[j] /= nu;
        mwx_cross3(los, u1, u2);
        ta = tan(s->cfg.sigma_los * mwxi_rng_gauss(&s->rng));
        tb = tan(s->cfg.sigma_los * mwxi_rng_gauss(&s->rng));
        for (int j = 0; j < 3; j++)
            m[j] = los[j] + ta * u1[j] + tb * u2[j];
        nu = mwx_norm3(m);
        o = &out[k++];
        mwxi_sensor_meas_header(s, t, o);
        for (int j = 0; j < 3; j++)
            o->los_ecef[j] = m[j] / nu;
        o->sigma_los_urad = s->cfg.sigma_los * 1e6;
        mwx_strlcpy(o->truth_object, targets[i].id, sizeof o->truth_object);
    }
    return k;
}

const mwx_sensor_ops_t mwxi_ir_satellite_ops = {
    .kind = "ir_satellite",
    .init = ir_init,
    .scan = ir_scan,
    .next_scan = mwxi_sensor_next_periodic,
};
