/* Predictions from a track's state: impact point, time and 95 % ellipse; launch point.
 *
 * Impact: the ballistic continuation (a_thrust = 0) of 2n+1 sigma points of
 * (position, velocity, kappa) (n = 7, alpha = 1, kappa_ut = 0: the centre weight is 0,
 * the others 1/2n), each propagated by RK4 to the ellipsoid surface. The step adapts to
 * the altitude and descent rate (<= 60 s above 80 km, landing about half way to 70 km
 * each step; <= 4 s below 80 km, <= 2 s below 40 km, a quarter of the time to the
 * ground); the crossing
 * is refined by secant steps on the last interval. The ellipse is the weighted covariance
 * of the impact points on the tangent plane (east, north) at their mean, semi-axes
 * sqrt(5.991 lambda) (chi-square 95 %, 2 dof). Cost: about 15 x 60 RK4 steps. */
#include "mwx/track.h"
#include "linalg.h"

#include <math.h>
#include <string.h>

#define CHI2_95_2DOF 5.991464547107979

static double surf_alt(const mwx_earth_t *e, const double r[3])
{
    double rr = sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
    double b = e->a * (1.0 - e->f);
    double s = r[2] / rr, c2 = 1.0 - s * s;
    return rr - e->a * b / sqrt(b * b * c2 + e->a * e->a * s * s);
}

static void deriv6(const mwx_dyn_params_t *p, const double *x, int boost, double *dx)
{
    double a[3];
    mwx_dyn_accel(p, x, boost, a);
    dx[0] = x[3];
    dx[1] = x[4];
    dx[2] = x[5];
    dx[3] = a[0];
    dx[4] = a[1];
    dx[5] = a[2];
}

static void rk4(const mwx_dyn_params_t *p, double *x, double h, int boost)
{
    double k1[6], k2[6], k3[6], k4[6], t[MWX_TRACK_NX];
    memcpy(t, x, sizeof(t));
    deriv6(p, x, boost, k1);
    for (int i = 0; i < 6; i++)
        t[i] = x[i] + 0.5 * h * k1[i];
    deriv6(p, t, boost, k2);
    for (int i = 0; i < 6; i++)
        t[i] = x[i] + 0.5 * h * k2[i];
    deriv6(p, t, boost, k3);
    for (int i = 0; i < 6; i++)
        t[i] = x[i] + h * k3[i];
    deriv6(p, t, boost, k4);
    for (int i = 0; i < 6; i++)
        x[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
}

static double step_for(const double *x, double alt, double sign)
{
    double r = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
    double vr = sign * (x[0] * x[3] + x[1] * x[4] + x[2] * x[5]) / r; /* climb rate */
    double h = 60.0;
    if (alt >= 80e3) {
        /* vacuum: long steps, but land about half way to 70 km each time */
        if (vr < -1.0)
            h = 0.5 * (alt - 70e3) / -vr;
        if (h < 2.0)
            h = 2.0;
    } else {
        h = alt < 40e3 ? 2.0 : 4.0;
        if (vr < -1.0 && 0.25 * alt / -vr < h)
            h = 0.25 * alt / -vr;
    }
    if (h < 0.05)
        h = 0.05;
    if (h > 60.0)
        h = 60.0;
    return h;
}

/* Integrate (forward when dir > 0, backward when < 0) until the altitude crosses 0. */
static int to_ground(const mwx_dyn_params_t *p, double *x, double max_s, int boost, int dir,
                     double *elapsed)
{
    double t = 0.0, alt = surf_alt(&p->earth, x);
    if (alt <= 0.0) {
        *elapsed = 0.0;
        return MWX_OK;
    }
    while (t < max_s) {
        double prev[MWX_TRACK_NX], h = step_for(x, alt, dir), a1;
        memcpy(prev, x, sizeof(prev));
        rk4(p, x, dir * h, boost);
        if (!isfinite(x[0]) || !isfinite(x[3]))
            return MWX_ERANGE;
        a1 = surf_alt(&p->earth, x);
        if (a1 <= 0.0) {
            /* secant on the step length: alt(0) = alt > 0, alt(h) = a1 <= 0 */
            double lo = 0.0, hi = h, alo = alt, ahi = a1, tt = h;
            for (int it = 0; it < 4; it++) {
                double frac = alo / (alo - ahi), am;
                tt = lo + frac * (hi - lo);
                memcpy(x, prev, sizeof(prev));
                rk4(p, x, dir * tt, boost);
                am = surf_alt(&p->earth, x);
                if (fabs(am) < 10.0) /* 10 m of height: metres on the ground */
                    break;
                if (am > 0.0) {
                    lo = tt;
                    alo = am;
                } else {
                    hi = tt;
                    ahi = am;
                }
            }
            *elapsed = t + tt;
            return MWX_OK;
        }
        alt = a1;
        t += h;
    }
    return MWX_ERANGE;
}

int mwx_propagate_to_ground(const mwx_dyn_params_t *p, const double *x, double t,
                            double max_flight_s, double impact_ecef[3], double *t_impact)
{
    double s[MWX_TRACK_NX], el;
    int rc;
    memcpy(s, x, sizeof(s));
    s[6] = 0.0;
    rc = to_ground(p, s, max_flight_s, 0, 1, &el);
    if (rc)
        return rc;
    memcpy(impact_ecef, s, sizeof(double) * 3);
    *t_impact = t + el;
    return MWX_OK;
}

int mwx_predict_impact(const mwx_dyn_params_t *p, const mwx_gauss_t *s, double t,
                       double max_flight_s, mwx_rec_impact_est_t *out)
{
    enum { N7 = 7, NSIG = 2 * N7 + 1 };
    static const int idx[N7] = {0, 1, 2, 3, 4, 5, 7}; /* pos, vel, kappa */
    double P7[N7 * N7], L[N7 * N7], c = sqrt((double)N7);
    double imp[NSIG][3], tim[NSIG], mean[3] = {0, 0, 0}, tmean = 0.0, w = 1.0 / (2 * N7);
    double en[NSIG][2], cee = 0, cen = 0, cnn = 0, l1, l2, v1[2];
    mwx_geo_t g;
    double e_[3], n_[3], u_[3];
    memset(out, 0, sizeof(*out));
    if (s->n != MWX_TRACK_NX)
        return MWX_EINVAL;
    for (int i = 0; i < N7; i++)
        for (int j = 0; j < N7; j++)
            P7[i * N7 + j] = s->P[idx[i] * MWX_TRACK_NX + idx[j]];
    if (la_chol(P7, L, N7))
        return MWX_ERANGE;
    for (int k = 1; k < NSIG; k++) {
        double x[MWX_TRACK_NX];
        int col = (k - 1) % N7;
        double sg = k <= N7 ? c : -c;
        int rc;
        memcpy(x, s->x, sizeof(x));
        for (int i = 0; i < N7; i++)
            x[idx[i]] += sg * L[i * N7 + col];
        if (x[7] < 0.0)
            x[7] = 0.0;
        rc = mwx_propagate_to_ground(p, x, t, max_flight_s, imp[k], &tim[k]);
        if (rc)
            return rc;
        for (int i = 0; i < 3; i++)
            mean[i] += w * imp[k][i];
        tmean += w * tim[k];
    }
    /* The centre point (weight 0) gives the nominal impact; the mean of the others is
     * the reported point (they agree to second order). */
    mwx_ecef_to_geo(&p->earth, mean, &g);
    mwx_enu_basis(g.lat, g.lon, e_, n_, u_);
    for (int k = 1; k < NSIG; k++) {
        double d[3] = {imp[k][0] - mean[0], imp[k][1] - mean[1], imp[k][2] - mean[2]};
        en[k][0] = mwx_dot3(e_, d);
        en[k][1] = mwx_dot3(n_, d);
        cee += w * en[k][0] * en[k][0];
        cen += w * en[k][0] * en[k][1];
        cnn += w * en[k][1] * en[k][1];
    }
    la_eig2(cee, cen, cnn, &l1, &l2, v1);
    if (l2 < 0.0)
        l2 = 0.0;
    out->valid = 1;
    out->lat = g.lat / MWX_DEG;
    out->lon = g.lon / MWX_DEG;
    out->t = tmean;
    out->semi_major_km = sqrt(CHI2_95_2DOF * l1) / 1000.0;
    out->semi_minor_km = sqrt(CHI2_95_2DOF * l2) / 1000.0;
    /* azimuth of (east, north) = (v1[0], v1[1]), clockwise from north, in [0, 180) */
    {
        double az = atan2(v1[0], v1[1]) / MWX_DEG;
        while (az < 0.0)
            az += 180.0;
        while (az >= 180.0)
            az -= 180.0;
        out->orientation_deg = az;
    }
    return MWX_OK;
}

int mwx_estimate_launch(const mwx_dyn_params_t *p, const double *x, double t, int boost,
                        mwx_rec_launch_est_t *out)
{
    double s[MWX_TRACK_NX], el = 0.0;
    mwx_geo_t g;
    memset(out, 0, sizeof(*out));
    memcpy(s, x, sizeof(s));
    if (boost) {
        /* Back along the boost with the thrust acceleration of a rocket at constant
         * mass flow: a(t) = ve / (tau + dt) going back dt from now, tau = ve / a_now, for
         * an exhaust velocity ve of 2500 m/s (Isp 255 s, typical of ballistic missiles),
         * down to 3 km or 300 m/s. Below that the near-vertical rise is ill-conditioned
         * backwards (a small flight-path error hits the ground early), so the rest is a
         * rise from rest at uniform acceleration: t = 2 h / v. */
        const double ve = 2500.0;
        double a = s[6] > 8.0 ? s[6] : 8.0, tau = ve / a, h = 0.5;
        for (int it = 0; it < 2000; it++) {
            double v = sqrt(s[3] * s[3] + s[4] * s[4] + s[5] * s[5]);
            double alt = surf_alt(&p->earth, s);
            if (alt <= 3e3 || v < 300.0)
                break;
            s[6] = ve / (tau + el + 0.5 * h);
            rk4(p, s, -h, 1);
            el += h;
        }
        {
            double alt = surf_alt(&p->earth, s);
            double v = sqrt(s[3] * s[3] + s[4] * s[4] + s[5] * s[5]);
            if (alt > 0.0)
                el += v > 10.0 ? 2.0 * alt / v : sqrt(2.0 * alt / 5.0);
        }
    } else {
        double tmp = 0.0;
        s[6] = 0.0;
        if (to_ground(p, s, 3000.0, 0, -1, &tmp))
            return MWX_ERANGE;
        el = tmp;
    }
    mwx_ecef_to_geo(&p->earth, s, &g);
    out->valid = 1;
    out->lat = g.lat / MWX_DEG;
    out->lon = g.lon / MWX_DEG;
    out->t = t - el;
    return MWX_OK;
}
