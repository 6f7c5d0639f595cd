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
#include "dyn_internal.h"
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

/* An aerodynamic acceleration held along the flight (NULL: none): ld[0] and ld[1] times
 * the drag's size along lv and ll of mwxi_dyn_lift_frame (a lift-to-drag ratio and bank
 * held); or, with level set, the lift that holds the path level (a glide: gravity less
 * the centrifugal part of the horizontal speed, and the climb rate damped over
 * LEVEL_TAU_S), at most cap times the drag. */
typedef struct lift_law {
    double ld[2];
    int level;
    double cap;
} lift_law_t;

#define LEVEL_TAU_S 8.0

static void deriv6(const mwx_dyn_params_t *p, const double *x, int boost, const lift_law_t *ll_,
                   double *dx)
{
    double a[3];
    mwx_dyn_accel(p, x, boost, a);
    if (ll_) {
        double lv[3], ll[3], d = mwxi_dyn_drag_acc(p, x);
        if (d > 0.0 && mwxi_dyn_lift_frame(x, lv, ll) == 0) {
            double av = d * ll_->ld[0], al = d * ll_->ld[1];
            if (ll_->level) {
                double r = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
                double vr = (x[0] * x[3] + x[1] * x[4] + x[2] * x[5]) / r;
                double v2 = x[3] * x[3] + x[4] * x[4] + x[5] * x[5];
                av = p->earth.gm / (r * r) - (v2 - vr * vr) / r - vr / LEVEL_TAU_S;
                av = fmax(-ll_->cap * d, fmin(ll_->cap * d, av));
                al = 0.0;
            }
            for (int i = 0; i < 3; i++)
                a[i] += av * lv[i] + al * ll[i];
        }
    }
    dx[0] = x[3];
    dx[1] = x[4];
    dx[2] = x[5];
    dx[3] = a[0];
    dx[4] = a[1];
    dx[5] = a[2];
}

static void rk4(const mwx_dyn_params_t *p, double *x, double h, int boost, const lift_law_t *ld)
{
    double k1[6], k2[6], k3[6], k4[6], t[MWX_TRACK_NX];
    memcpy(t, x, sizeof(t));
    deriv6(p, x, boost, ld, k1);
    for (int i = 0; i < 6; i++)
        t[i] = x[i] + 0.5 * h * k1[i];
    deriv6(p, t, boost, ld, k2);
    for (int i = 0; i < 6; i++)
        t[i] = x[i] + 0.5 * h * k2[i];
    deriv6(p, t, boost, ld, k3);
    for (int i = 0; i < 6; i++)
        t[i] = x[i] + h * k3[i];
    deriv6(p, t, boost, ld, k4);
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
                     const lift_law_t *ld, double *elapsed)
{
    double t = 0.0, alt = surf_alt(&p->earth, x);
    if (alt <= 0.0) {
        *elapsed = 0.0;
        return MWX_OK;
    }
    while (t < max_s) {
        double prev[MWX_TRACK_NX], h = step_for(x, alt, dir), a1;
        memcpy(prev, x, sizeof(prev));
        rk4(p, x, dir * h, boost, ld);
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
                rk4(p, x, dir * tt, boost, ld);
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

static int propagate_to_ground(const mwx_dyn_params_t *p, const double *x, double t,
                               double max_flight_s, const lift_law_t *ld, double impact_ecef[3],
                               double *t_impact)
{
    double s[MWX_TRACK_NX], el;
    int rc;
    memcpy(s, x, sizeof(s));
    s[6] = 0.0;
    rc = to_ground(p, s, max_flight_s, 0, 1, ld, &el);
    if (rc)
        return rc;
    memcpy(impact_ecef, s, sizeof(double) * 3);
    *t_impact = t + el;
    return MWX_OK;
}

int mwx_propagate_to_ground(const mwx_dyn_params_t *p, const double *x, double t,
                            double max_flight_s, double impact_ecef[3], double *t_impact)
{
    return propagate_to_ground(p, x, t, max_flight_s, NULL, impact_ecef, t_impact);
}

static int predict_impact(const mwx_dyn_params_t *p, const mwx_gauss_t *s, double t,
                          double max_flight_s, const lift_law_t *ld, mwx_rec_impact_est_t *out)
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
    if (mwxi_la_chol(P7, L, N7))
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
        rc = propagate_to_ground(p, x, t, max_flight_s, ld, imp[k], &tim[k]);
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
    mwxi_la_eig2(cee, cen, cnn, &l1, &l2, v1);
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

int mwx_predict_impact(const mwx_dyn_params_t *p, const mwx_gauss_t *s, double t,
                       double max_flight_s, mwx_rec_impact_est_t *out)
{
    return predict_impact(p, s, t, max_flight_s, NULL, out);
}

int mwx_predict_impact_lift(const mwx_dyn_params_t *p, const mwx_gauss_t *s, double t,
                            double max_flight_s, const double ld[2], mwx_rec_impact_est_t *out)
{
    lift_law_t law = {{0.0, 0.0}, 0, 0.0};
    if (!ld || !isfinite(ld[0]) || !isfinite(ld[1])) {
        memset(out, 0, sizeof(*out));
        return MWX_EINVAL;
    }
    law.ld[0] = ld[0];
    law.ld[1] = ld[1];
    return predict_impact(p, s, t, max_flight_s, &law, out);
}

/* ---------------------------------------------------------------- glide footprint
 *
 * A glide vehicle's impact is not in its kinematics: it may push over now, glide on for
 * seconds or minutes, turn. What bounds it is its lift (a lift-to-drag ratio of 1-4,
 * docs/PRODUCT.md) and its energy. The footprint here is the part of that reach a
 * warning can use: the vehicle that stops gliding now, anywhere between no lift at all
 * (the ballistic continuation) and a push-over with GLIDE_LD_MAX of lift, plus the
 * vehicle that holds its path level for GLIDE_HOLD1_S or GLIDE_HOLD2_S more and then
 * dives, and one that turns on GLIDE_LD_MID of lift for GLIDE_HOLD2_S either way. Its
 * centre is the middle of the first part (the ballistic continuation and the dive at
 * GLIDE_LD_MID, the middle of the range); the ellipse covers every member plus the
 * ballistic ellipse's own axes. A glide held for minutes (hundreds of km) is not in it:
 * the prediction is drawn again at each refresh, and follows a glide that goes on. */

#define GLIDE_LD_MID  2.5
#define GLIDE_LD_MAX  4.0
#define GLIDE_HOLD1_S 10.0
#define GLIDE_HOLD2_S 20.0
#define GLIDE_STEP_S  1.0

/* Fly x for dur seconds under law (NULL: ballistic); 1 if it came down on the way (x is
 * then its impact and *el the time), else 0; MWX_ERANGE on a non-finite state. */
static int fly_for(const mwx_dyn_params_t *p, double *x, double dur, const lift_law_t *law,
                   double *el)
{
    double t = 0.0;
    while (t < dur - 1e-9) {
        double h = fmin(GLIDE_STEP_S, dur - t), prev[MWX_TRACK_NX], sub;
        memcpy(prev, x, sizeof prev);
        rk4(p, x, h, 0, law);
        if (!isfinite(x[0]) || !isfinite(x[3]))
            return MWX_ERANGE;
        if (surf_alt(&p->earth, x) <= 0.0) {
            memcpy(x, prev, sizeof prev);
            if (to_ground(p, x, h + 1.0, 0, 1, law, &sub))
                return MWX_ERANGE;
            *el = t + sub;
            return 1;
        }
        t += h;
    }
    *el = t;
    return 0;
}

/* One member: law1 for dur1 seconds, then law2 to the ground. */
static int member(const mwx_dyn_params_t *p, const double *x0, double max_flight_s,
                  const lift_law_t *law1, double dur1, const lift_law_t *law2, double imp[3],
                  double *el)
{
    double x[MWX_TRACK_NX], e1 = 0.0, e2 = 0.0;
    int rc;
    memcpy(x, x0, sizeof x);
    x[6] = 0.0;
    if (x[7] < 0.0)
        x[7] = 0.0;
    if (dur1 > 0.0) {
        rc = fly_for(p, x, dur1, law1, &e1);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            memcpy(imp, x, 3 * sizeof(double));
            *el = e1;
            return MWX_OK;
        }
    }
    if ((rc = to_ground(p, x, max_flight_s - e1, 0, 1, law2, &e2)))
        return rc;
    memcpy(imp, x, 3 * sizeof(double));
    *el = e1 + e2;
    return MWX_OK;
}

int mwx_predict_impact_glide(const mwx_dyn_params_t *p, const mwx_gauss_t *s, double t,
                             double max_flight_s, mwx_rec_impact_est_t *out)
{
    enum { NM = 6 };
    const lift_law_t dive_mid = {{-GLIDE_LD_MID, 0.0}, 0, 0.0};
    const lift_law_t dive_max = {{-GLIDE_LD_MAX, 0.0}, 0, 0.0};
    const lift_law_t level = {{0.0, 0.0}, 1, GLIDE_LD_MAX};
    const lift_law_t left = {{0.0, -GLIDE_LD_MID}, 0, 0.0};
    const lift_law_t right = {{0.0, GLIDE_LD_MID}, 0, 0.0};
    mwx_rec_impact_est_t bal;
    double imp[NM][3], el[NM], b[3], c[3], dir[2], ext_a = 0.0, ext_c = 0.0;
    double e_[3], n_[3], u_[3];
    mwx_geo_t g;
    int rc;
    memset(out, 0, sizeof(*out));
    if ((rc = predict_impact(p, s, t, max_flight_s, NULL, &bal)))
        return rc;
    g.lat = bal.lat * MWX_DEG;
    g.lon = bal.lon * MWX_DEG;
    g.alt = 0.0;
    mwx_geo_to_ecef(&p->earth, &g, b);
    /* 0 dive now (middle L/D), 1 dive now (most), 2-3 level then dive, 4-5 turns, each
     * then without lift */
    if ((rc = member(p, s->x, max_flight_s, NULL, 0.0, &dive_mid, imp[0], &el[0])) ||
        (rc = member(p, s->x, max_flight_s, NULL, 0.0, &dive_max, imp[1], &el[1])) ||
        (rc = member(p, s->x, max_flight_s, &level, GLIDE_HOLD1_S, &dive_mid, imp[2], &el[2])) ||
        (rc = member(p, s->x, max_flight_s, &level, GLIDE_HOLD2_S, &dive_mid, imp[3], &el[3])) ||
        (rc = member(p, s->x, max_flight_s, &left, GLIDE_HOLD2_S, NULL, imp[4], &el[4])) ||
        (rc = member(p, s->x, max_flight_s, &right, GLIDE_HOLD2_S, NULL, imp[5], &el[5])))
        return rc;
    /* the centre: half way between no lift and the middle dive, on the ground */
    for (int i = 0; i < 3; i++)
        c[i] = 0.5 * (b[i] + imp[0][i]);
    mwx_ecef_to_geo(&p->earth, c, &g);
    mwx_enu_basis(g.lat, g.lon, e_, n_, u_);
    {
        /* the major axis along the footprint: from the steepest dive to no lift */
        double d[3] = {b[0] - imp[1][0], b[1] - imp[1][1], b[2] - imp[1][2]};
        double de = mwx_dot3(e_, d), dn = mwx_dot3(n_, d), dl = hypot(de, dn);
        if (dl > 1.0) {
            dir[0] = de / dl;
            dir[1] = dn / dl;
        } else {
            double az = bal.orientation_deg * MWX_DEG;
            dir[0] = sin(az);
            dir[1] = cos(az);
        }
    }
    for (int k = -1; k < NM; k++) {
        const double *q = k < 0 ? b : imp[k];
        double d[3] = {q[0] - c[0], q[1] - c[1], q[2] - c[2]};
        double de = mwx_dot3(e_, d), dn = mwx_dot3(n_, d);
        ext_a = fmax(ext_a, fabs(de * dir[0] + dn * dir[1]));
        ext_c = fmax(ext_c, fabs(-de * dir[1] + dn * dir[0]));
    }
    out->valid = 1;
    out->lat = g.lat / MWX_DEG;
    out->lon = g.lon / MWX_DEG;
    out->t = 0.5 * (bal.t + t + el[0]);
    /* every member inside, and the ballistic ellipse's spread (the state's own
     * uncertainty) around them: its major axis along, its minor across (its major
     * across too warned two more regions around test-glide's G2, JP-15 and JP-02) */
    ext_a = ext_a / 1000.0 + bal.semi_major_km;
    ext_c = ext_c / 1000.0 + bal.semi_minor_km;
    {
        double az = atan2(dir[0], dir[1]) / MWX_DEG;
        if (ext_c > ext_a) {
            double tmp = ext_a;
            ext_a = ext_c;
            ext_c = tmp;
            az += 90.0;
        }
        while (az < 0.0)
            az += 180.0;
        while (az >= 180.0)
            az -= 180.0;
        out->orientation_deg = az;
    }
    out->semi_major_km = ext_a;
    out->semi_minor_km = ext_c;
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
            rk4(p, s, -h, 1, NULL);
            el += h;
        }
        {
            double alt = surf_alt(&p->earth, s);
            double v = sqrt(s[3] * s[3] + s[4] * s[4] + s[5] * s[5]);
            /* A rise from rest at the modelled net acceleration reaches v in v / a_net:
             * 2 h / v longer than that means the path went wrong backwards (the gravity
             * turn flown back from a late-boost state ends at 300 m/s tens of km up, and
             * 2 h / v then put the launch 150 s early); the speed times it then. */
            double an = fmax(ve / (tau + el) - 9.8, 2.0);
            if (alt > 0.0)
                el += v > 10.0 ? fmin(2.0 * alt / v, v / an) : sqrt(2.0 * alt / 5.0);
        }
    } else {
        double tmp = 0.0;
        s[6] = 0.0;
        if (to_ground(p, s, 3000.0, 0, -1, NULL, &tmp))
            return MWX_ERANGE;
        el = tmp;
    }
    mwx_ecef_to_geo(&p->earth, s, &g);
    out->valid = 1;
    out->lat = g.lat / MWX_DEG;
    out->lon = g.lon / MWX_DEG;
    out->t = t - el;
    out->basis = boost ? MWX_LAUNCH_BOOST : MWX_LAUNCH_BALLISTIC;
    return MWX_OK;
}

/* ---------------------------------------------------------------- launch fit
 *
 * A flight from rest along its own path, in two numbers (altitude h, speed v), is enough
 * to time the launch from a track's early samples: dh/dtau = v sin(gamma),
 * dv/dtau = a_thrust(tau) - g(h) sin(gamma) - rho(h) v^2 / (2 beta). The flight-path
 * angle gamma is not fitted: 90 degrees during the vertical rise (8 % of the burn,
 * 2-12 s), then linear in time to the first sample's, then the samples' own. The thrust
 * acceleration is that of two equal stages at constant mass flow, each burning the
 * fraction zeta of its initial mass in Ts seconds: ve zeta / (Ts (1 - zeta s)) over the
 * stage (s its fraction burnt), which falls back at staging to ve zeta / Ts. Drag with
 * the tracker's exponential atmosphere and a booster's beta of 20 t/m^2. Coriolis is
 * normal to the velocity and the centrifugal term is < 0.04 m/s^2: both left out. */

#define FIT_VE         2648.0  /* Isp 270 s */
#define FIT_BETA_BOOST 20000.0 /* kg/m^2 */
#define FIT_NP         3       /* t0, zeta, Ts */
/* the two stage counts' costs within this factor: the samples do not tell them apart */
#define FIT_STAGES_TIE 1.25

typedef struct fit_ctx {
    const mwx_dyn_params_t *p;
    const mwx_boost_sample_t *s;
    int n;
    int g0;     /* first sample whose angle is known */
    int stages; /* 1 or 2 */
    int cur;    /* fit_gamma's search starts here: the flight goes forward in time */
} fit_ctx_t;

/* Burn time of stages of ts seconds each. */
static double fit_burn(const fit_ctx_t *c, double ts)
{
    return c->stages * ts;
}

static double fit_thrust(const fit_ctx_t *c, double tau, double zeta, double ts)
{
    if (tau < 0.0 || tau >= fit_burn(c, ts))
        return 0.0;
    while (tau >= ts)
        tau -= ts;
    return FIT_VE * zeta / (ts - zeta * tau);
}

/* flight-path angle at tau (t0 given): vertical, then linear in time to the first
 * sample whose angle is known (to 0.1 rad), then the known samples' */
static double fit_gamma(fit_ctx_t *c, double t0, double ts, double tau)
{
    double tv = fmin(fmax(0.08 * fit_burn(c, ts), 2.0), 12.0), t = t0 + tau;
    const mwx_boost_sample_t *prev = NULL;
    if (tau <= tv)
        return 0.5 * MWX_PI;
    for (int i = c->cur; i < c->n; i++) {
        const mwx_boost_sample_t *s = &c->s[i];
        if (s->sigma_gamma_rad > 0.1)
            continue;
        if (t < s->t) {
            if (!prev) {
                double tau1 = s->t - t0;
                if (tau1 <= tv)
                    return s->gamma_rad;
                return 0.5 * MWX_PI + (s->gamma_rad - 0.5 * MWX_PI) * (tau - tv) / (tau1 - tv);
            }
            return prev->gamma_rad +
                   (t - prev->t) / (s->t - prev->t) * (s->gamma_rad - prev->gamma_rad);
        }
        prev = s;
        c->cur = i;
    }
    return prev ? prev->gamma_rad : 0.5 * MWX_PI;
}

static void fit_deriv(fit_ctx_t *c, const double *q, double tau, const double y[3], double dy[3])
{
    double gam = fit_gamma(c, q[0], q[2], tau), sg = sin(gam), cg = cos(gam);
    double r = c->p->earth.a + y[0], g = c->p->earth.gm / (r * r);
    double drag = 0.0;
    if (c->p->drag && tau < fit_burn(c, q[2]) && y[0] < 120e3)
        drag = 1.225 * exp(-y[0] / 7200.0) * y[1] * y[1] / (2.0 * FIT_BETA_BOOST);
    dy[0] = y[1] * sg;
    dy[1] = fit_thrust(c, tau, q[1], q[2]) - g * sg - drag;
    dy[2] = y[1] * cg * c->p->earth.a / r; /* ground distance */
}

/* Midpoint steps of at most 1 s from tau0 to tau1 (never across a stage boundary). */
static void fit_fly(fit_ctx_t *c, const double *q, double tau0, double tau1, double y[3])
{
    double tau = tau0;
    while (tau < tau1 - 1e-9) {
        double h = fmin(1.0, tau1 - tau), k1[3], ym[3], k2[3];
        for (int b = 1; b <= c->stages; b++) {
            double tb = b * q[2];
            if (tau < tb - 1e-9 && tau + h > tb)
                h = tb - tau;
        }
        fit_deriv(c, q, tau, y, k1);
        for (int i = 0; i < 3; i++)
            ym[i] = y[i] + 0.5 * h * k1[i];
        fit_deriv(c, q, tau + 0.5 * h, ym, k2);
        for (int i = 0; i < 3; i++)
            y[i] += h * k2[i];
        if (y[0] < 0.0)
            y[0] = 0.0; /* on the pad until thrust exceeds weight */
        if (y[1] < 0.0)
            y[1] = 0.0;
        tau += h;
    }
}

/* Weighted residuals (2 per sample: altitude, speed); *ground = distance flown over the
 * ground before the first sample. */
static double fit_resid(fit_ctx_t *c, const double *q, double *res, double *ground)
{
    double y[3] = {0.0, 0.0, 0.0}, tau = 0.0, cost = 0.0;
    c->cur = c->g0;
    for (int i = 0; i < c->n; i++) {
        double ti = c->s[i].t - q[0];
        fit_fly(c, q, tau, ti, y);
        tau = ti;
        if (i == 0 && ground)
            *ground = y[2];
        res[2 * i] = (y[0] - c->s[i].alt_m) / fmax(c->s[i].sigma_alt_m, 50.0);
        res[2 * i + 1] = (y[1] - c->s[i].speed_mps) / fmax(c->s[i].sigma_speed_mps, 10.0);
        cost += res[2 * i] * res[2 * i] + res[2 * i + 1] * res[2 * i + 1];
    }
    return cost;
}

static void fit_clamp(const fit_ctx_t *c, double *q)
{
    if (q[0] > c->s[0].t - 1.0)
        q[0] = c->s[0].t - 1.0;
    /* no earlier than two stages of the longest burn before the first sample: a step
     * far back would only make fit_fly integrate a flight that cannot be */
    if (q[0] < c->s[0].t - 800.0)
        q[0] = c->s[0].t - 800.0;
    q[1] = fmin(fmax(q[1], 0.05), 0.92);
    q[2] = fmin(fmax(q[2], 2.0), 400.0);
}

/* The normal matrix A = J'J of the residuals r0 at q (forward differences) and the
 * gradient's negative b = -J'r0. */
static void fit_normal(fit_ctx_t *c, const double *q, const double *r0, double *A, double *b)
{
    static const double dq[FIT_NP] = {0.05, 1e-4, 0.05};
    double r1[2 * MWX_FIT_LAUNCH_MAX], J[2 * MWX_FIT_LAUNCH_MAX][FIT_NP];
    int m = 2 * c->n;
    for (int j = 0; j < FIT_NP; j++) {
        double qq[FIT_NP];
        memcpy(qq, q, sizeof(qq));
        qq[j] += dq[j];
        fit_resid(c, qq, r1, NULL);
        for (int i = 0; i < m; i++)
            J[i][j] = (r1[i] - r0[i]) / dq[j];
    }
    for (int a = 0; a < FIT_NP; a++) {
        b[a] = 0.0;
        for (int i = 0; i < m; i++)
            b[a] -= J[i][a] * r0[i];
        for (int bb = 0; bb < FIT_NP; bb++) {
            A[a * FIT_NP + bb] = 0.0;
            for (int i = 0; i < m; i++)
                A[a * FIT_NP + bb] += J[i][a] * J[i][bb];
        }
    }
}

/* Levenberg-Marquardt from q; returns the cost at the end. */
static double fit_lm(fit_ctx_t *c, double *q)
{
    double r0[2 * MWX_FIT_LAUNCH_MAX], r1[2 * MWX_FIT_LAUNCH_MAX], lambda = 1e-2;
    int m = 2 * c->n;
    double cost;
    fit_clamp(c, q);
    cost = fit_resid(c, q, r0, NULL);
    for (int it = 0; it < 30; it++) {
        double A[FIT_NP * FIT_NP], b[FIT_NP], step[FIT_NP], qn[FIT_NP], cn;
        int ok = 0;
        fit_normal(c, q, r0, A, b);
        for (int tries = 0; tries < 8 && !ok; tries++) {
            double Ad[FIT_NP * FIT_NP], Ai[FIT_NP * FIT_NP];
            memcpy(Ad, A, sizeof(Ad));
            for (int a = 0; a < FIT_NP; a++)
                Ad[a * FIT_NP + a] += lambda * (A[a * FIT_NP + a] + 1e-9);
            if (mwxi_la_spd_inv(Ad, Ai, FIT_NP, NULL)) {
                lambda *= 10.0;
                continue;
            }
            for (int a = 0; a < FIT_NP; a++) {
                step[a] = 0.0;
                for (int bb = 0; bb < FIT_NP; bb++)
                    step[a] += Ai[a * FIT_NP + bb] * b[bb];
                qn[a] = q[a] + step[a];
            }
            fit_clamp(c, qn);
            cn = fit_resid(c, qn, r1, NULL);
            if (cn < cost) {
                double rel = (cost - cn) / fmax(cost, 1e-12);
                memcpy(q, qn, sizeof(qn));
                memcpy(r0, r1, sizeof(double) * (size_t)m);
                cost = cn;
                lambda = fmax(lambda / 3.0, 1e-7);
                ok = 1;
                if (rel < 1e-4 || fabs(step[0]) < 1e-3)
                    return cost; /* a millisecond of launch time */
            } else {
                lambda *= 4.0;
            }
        }
        if (!ok)
            break;
    }
    return cost;
}

/* The launch estimate of the fitted q (c->stages set): the first sample's sub-point moved
 * back along the ground track by the horizontal distance flown before it; MWX_ERANGE when
 * the burnout comes before the second sample or the first 3 s (a flight first seen in
 * ballistic flight: fits to such samples put the burnout on the first one, and these
 * samples cannot time its boost). */
static int fit_point(fit_ctx_t *c, const double *q, mwx_rec_launch_est_t *out)
{
    const mwx_boost_sample_t *s = c->s;
    double res[2 * MWX_FIT_LAUNCH_MAX], ground = 0.0, s12, az1, az2, lat, lon;
    int k2 = c->n - 1;
    if (q[0] + fit_burn(c, q[2]) < fmax(s[1].t, s[0].t + 3.0))
        return MWX_ERANGE;
    fit_resid(c, q, res, &ground);
    /* the ground track's direction from the first sample to one 10 s or more later */
    for (int i = 1; i < c->n; i++)
        if (s[i].t - s[0].t >= 10.0) {
            k2 = i;
            break;
        }
    mwx_geodesic_inverse(&c->p->earth, s[0].lat, s[0].lon, s[k2].lat, s[k2].lon, &s12, &az1, &az2);
    if (s12 > 1.0 && ground > 0.0) {
        mwx_geodesic_direct(&c->p->earth, s[0].lat, s[0].lon, az1 + MWX_PI, ground, &lat, &lon);
    } else {
        lat = s[0].lat;
        lon = s[0].lon;
    }
    out->valid = 1;
    out->lat = lat / MWX_DEG;
    out->lon = mwx_wrap_pi(lon) / MWX_DEG;
    out->t = q[0];
    out->basis = MWX_LAUNCH_FIT;
    return MWX_OK;
}

int mwx_fit_launch(const mwx_dyn_params_t *p, const mwx_boost_sample_t *s, int n,
                   mwx_rec_launch_est_t *out, mwx_launch_fit_info_t *info)
{
    fit_ctx_t c = {p, s, n, 0, 2, 0};
    double best[2][FIT_NP] = {{0}}, best_cost[2] = {HUGE_VAL, HUGE_VAL};
    double res[2 * MWX_FIT_LAUNCH_MAX], rise;
    int i_fast = 0, b, o;
    memset(out, 0, sizeof(*out));
    if (info)
        memset(info, 0, sizeof(*info));
    if (n < 4 || n > MWX_FIT_LAUNCH_MAX || s[n - 1].t - s[0].t < 6.0)
        return MWX_ERANGE;
    while (c.g0 < n && s[c.g0].sigma_gamma_rad > 0.1)
        c.g0++;
    if (c.g0 == n)
        return MWX_ERANGE;
    /* first guesses: the time of a uniform rise to the first sample (2 h / v), a half and
     * twice that; light and heavy stages; stages of that rise or of the whole span */
    rise = 2.0 * s[0].alt_m / fmax(s[0].speed_mps, 50.0);
    rise = fmin(fmax(rise, 5.0), 400.0);
    /* first guesses: launch at the first sample less 1, 0.6 or 1.6 times the rise; the
     * burn ending at the fastest sample (burnout, when the samples go on past it), or
     * lasting 0.6 or 1.2 times the span; light or heavy stages. Levenberg-Marquardt
     * from the best three of each stage count. */
    for (int i = 1; i < n; i++)
        if (s[i].speed_mps > s[i_fast].speed_mps)
            i_fast = i;
    for (int st = 1; st <= 2; st++) {
        enum { NBEST = 3 };
        double q0[NBEST][FIT_NP], c0[NBEST];
        c.stages = st;
        for (int w = 0; w < NBEST; w++)
            c0[w] = HUGE_VAL;
        for (int a = 0; a < 3; a++)
            for (int z = 0; z < 2; z++)
                for (int bb = 0; bb < 3; bb++) {
                    double f[3] = {1.0, 0.6, 1.6}, fb[3] = {0.0, 0.6, 1.2};
                    double t0 = s[0].t - f[a] * rise, burn;
                    double q[FIT_NP], cost;
                    int w;
                    if (bb == 0) {
                        if (i_fast == n - 1)
                            continue;
                        burn = s[i_fast].t - t0;
                    } else {
                        burn = fb[bb] * (s[n - 1].t - t0);
                    }
                    q[0] = t0;
                    q[1] = z ? 0.75 : 0.45;
                    q[2] = burn / st;
                    fit_clamp(&c, q);
                    cost = fit_resid(&c, q, res, NULL);
                    if (!(cost < c0[NBEST - 1]))
                        continue;
                    for (w = NBEST - 1; w > 0 && cost < c0[w - 1]; w--) {
                        c0[w] = c0[w - 1];
                        memcpy(q0[w], q0[w - 1], sizeof(q));
                    }
                    c0[w] = cost;
                    memcpy(q0[w], q, sizeof(q));
                }
        for (int w = 0; w < NBEST; w++) {
            double cost;
            if (!isfinite(c0[w]))
                continue;
            cost = fit_lm(&c, q0[w]);
            if (cost < best_cost[st - 1]) {
                best_cost[st - 1] = cost;
                memcpy(best[st - 1], q0[w], sizeof(best[0]));
            }
        }
    }
    b = best_cost[1] < best_cost[0]; /* index of the better stage count */
    o = !b;
    if (!isfinite(best_cost[b]))
        return MWX_ERANGE;
    c.stages = b + 1;
    if (fit_point(&c, best[b], out) != MWX_OK)
        return MWX_ERANGE;
    if (info) {
        info->burn_s = fit_burn(&c, best[b][2]);
        info->stages = b + 1;
        /* the other stage count, when it fits within FIT_STAGES_TIE of the cost: late
         * in a boost, the last part of a second stage and of one long stage look alike
         * (soak block 0: JP's tracks 35-49 s early as one stage of 128 s, the 90 s
         * two-stage truth 2-3 % behind in cost) */
        c.stages = o + 1;
        if (best_cost[o] <= FIT_STAGES_TIE * best_cost[b] &&
            fit_point(&c, best[o], &info->other) == MWX_OK) {
            info->other_burn_s = fit_burn(&c, best[o][2]);
            info->other_stages = o + 1;
        }
    }
    return MWX_OK;
}
