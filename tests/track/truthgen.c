/* Test-side truth for the tracker tests (see truthgen.h). */
#include "truthgen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix(tg_rng_t *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double tg_uniform(tg_rng_t *r)
{
    return ((double)(splitmix(r) >> 11) + 0.5) / 9007199254740992.0;
}

double tg_gauss(tg_rng_t *r)
{
    double u = tg_uniform(r), v = tg_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(2.0 * MWX_PI * v);
}

/* Stumpff functions */
static double stc(double z)
{
    if (z > 1e-8)
        return (1.0 - cos(sqrt(z))) / z;
    if (z < -1e-8)
        return (cosh(sqrt(-z)) - 1.0) / -z;
    return 0.5 - z / 24.0;
}

static double sts(double z)
{
    if (z > 1e-8) {
        double s = sqrt(z);
        return (s - sin(s)) / (s * s * s);
    }
    if (z < -1e-8) {
        double s = sqrt(-z);
        return (sinh(s) - s) / (s * s * s);
    }
    return 1.0 / 6.0 - z / 120.0;
}

void tg_kepler(double gm, const double r0[3], const double v0[3], double dt, double r[3],
               double v[3])
{
    double rn = mwx_norm3(r0), vr = mwx_dot3(r0, v0) / rn, v2 = mwx_dot3(v0, v0);
    double alpha = 2.0 / rn - v2 / gm, sq = sqrt(gm);
    double x = sq * fabs(alpha) * dt, f, g, fd, gd, rr;
    if (alpha <= 0.0)
        x = sq * dt / rn;
    for (int it = 0; it < 60; it++) {
        double z = alpha * x * x, C = stc(z), S = sts(z);
        double F = rn * vr / sq * x * x * C + (1.0 - alpha * rn) * x * x * x * S + rn * x - sq * dt;
        double dF =
            rn * vr / sq * x * (1.0 - alpha * x * x * S) + (1.0 - alpha * rn) * x * x * C + rn;
        double dx = F / dF;
        x -= dx;
        if (fabs(dx) < 1e-12 * (1.0 + fabs(x)))
            break;
    }
    {
        double z = alpha * x * x, C = stc(z), S = sts(z);
        f = 1.0 - x * x / rn * C;
        g = dt - x * x * x / sq * S;
        for (int i = 0; i < 3; i++)
            r[i] = f * r0[i] + g * v0[i];
        rr = mwx_norm3(r);
        fd = sq / (rr * rn) * (alpha * x * x * x * S - x);
        gd = 1.0 - x * x / rr * C;
        for (int i = 0; i < 3; i++)
            v[i] = fd * r0[i] + gd * v0[i];
    }
}

typedef struct fly_ctx {
    const tg_missile_t *m;
    double tau; /* time since launch */
} fly_ctx_t;

static void accel(const fly_ctx_t *c, const double *x, double *a)
{
    const mwx_earth_t e = {MWX_WGS84_A, MWX_WGS84_F, MWX_WGS84_GM, MWX_WGS84_J2, MWX_WGS84_OMEGA};
    double r2 = mwx_dot3(x, x), r = sqrt(r2), z2 = x[2] * x[2] / r2;
    double k = 1.5 * e.j2 * e.a * e.a / r2, mu = e.gm / (r2 * r), w = e.omega;
    double v = sqrt(x[3] * x[3] + x[4] * x[4] + x[5] * x[5]);
    mwx_geo_t g;
    a[0] = -mu * x[0] * (1.0 + k * (1.0 - 5.0 * z2)) + w * w * x[0] + 2.0 * w * x[4];
    a[1] = -mu * x[1] * (1.0 + k * (1.0 - 5.0 * z2)) + w * w * x[1] - 2.0 * w * x[3];
    a[2] = -mu * x[2] * (1.0 + k * (3.0 - 5.0 * z2));
    mwx_ecef_to_geo(&e, x, &g);
    if (c->tau < c->m->burn_s) {
        double th = c->m->a0 / (1.0 - c->m->mass_frac * c->tau / c->m->burn_s);
        double dir[3];
        if (v < 1.0) {
            double east[3], north[3], up[3];
            mwx_enu_basis(g.lat, g.lon, east, north, up);
            memcpy(dir, up, sizeof(dir));
        } else {
            for (int i = 0; i < 3; i++)
                dir[i] = x[3 + i] / v;
            if (c->tau >= c->m->dogleg_t0 && c->tau < c->m->dogleg_t1) {
                /* right of the velocity, across the vertical plane: v x up */
                double east[3], north[3], up[3], rt[3], rn, y = c->m->dogleg_deg * MWX_DEG;
                mwx_enu_basis(g.lat, g.lon, east, north, up);
                mwx_cross3(dir, up, rt);
                rn = mwx_norm3(rt);
                if (rn > 1e-6)
                    for (int i = 0; i < 3; i++)
                        dir[i] = cos(y) * dir[i] + sin(y) * rt[i] / rn;
            }
        }
        for (int i = 0; i < 3; i++)
            a[i] += th * dir[i];
    } else if (g.alt < 120e3 && v > 0.0) {
        /* a different atmosphere than the tracker's: 1.3 exp(-h/7000) */
        double rho = 1.3 * exp(-(g.alt > 0 ? g.alt : 0) / 7000.0);
        for (int i = 0; i < 3; i++)
            a[i] -= 0.5 * rho * v * x[3 + i] / c->m->beta;
    }
}

static void rk4(fly_ctx_t *c, double *x, double h)
{
    double k1[6], k2[6], k3[6], k4[6], t[6], a[3];
    double tau0 = c->tau;
#define DER(X, K)                                                                                  \
    do {                                                                                           \
        accel(c, X, a);                                                                            \
        K[0] = X[3], K[1] = X[4], K[2] = X[5];                                                     \
        K[3] = a[0], K[4] = a[1], K[5] = a[2];                                                     \
    } while (0)
    DER(x, k1);
    c->tau = tau0 + 0.5 * h;
    for (int i = 0; i < 6; i++)
        t[i] = x[i] + 0.5 * h * k1[i];
    DER(t, k2);
    for (int i = 0; i < 6; i++)
        t[i] = x[i] + 0.5 * h * k2[i];
    DER(t, k3);
    c->tau = tau0 + h;
    for (int i = 0; i < 6; i++)
        t[i] = x[i] + h * k3[i];
    DER(t, k4);
    for (int i = 0; i < 6; i++)
        x[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
#undef DER
    c->tau = tau0;
}

int tg_missile_fly(tg_missile_t *m)
{
    const mwx_earth_t e = mwx_earth_wgs84();
    mwx_geo_t site = {m->lat, m->lon, 0.0};
    double x[6] = {0}, h = 0.05;
    int cap = 40000, kicked = 0;
    fly_ctx_t c = {m, 0.0};
    m->dt = h;
    m->st = malloc(sizeof(*m->st) * (size_t)cap);
    if (!m->st)
        return -1;
    mwx_geo_to_ecef(&e, &site, x);
    m->n = 0;
    m->t_burnout = m->t_launch + m->burn_s;
    for (int i = 0; i < cap; i++) {
        mwx_geo_t g;
        memcpy(m->st[m->n++], x, sizeof(x));
        if (!kicked && c.tau >= 8.0) {
            /* pitch kick: tilt the velocity by kick_deg towards the azimuth */
            double east[3], north[3], up[3], v = sqrt(x[3] * x[3] + x[4] * x[4] + x[5] * x[5]);
            double k = m->kick_deg * MWX_DEG;
            mwx_ecef_to_geo(&e, x, &g);
            mwx_enu_basis(g.lat, g.lon, east, north, up);
            for (int j = 0; j < 3; j++)
                x[3 + j] = v * (cos(k) * up[j] +
                                sin(k) * (sin(m->azimuth) * east[j] + cos(m->azimuth) * north[j]));
            kicked = 1;
        }
        rk4(&c, x, h);
        c.tau += h;
        mwx_ecef_to_geo(&e, x, &g);
        if (c.tau > 20.0 && g.alt <= 0.0) {
            /* interpolate the crossing */
            const double *p = m->st[m->n - 1];
            mwx_geo_t g0;
            double f;
            mwx_ecef_to_geo(&e, p, &g0);
            f = g0.alt / (g0.alt - g.alt);
            {
                double q[3];
                for (int j = 0; j < 3; j++)
                    q[j] = p[j] + f * (x[j] - p[j]);
                mwx_ecef_to_geo(&e, q, &g);
            }
            m->t_impact = m->t_launch + (m->n - 1 + f) * h;
            m->impact_lat = g.lat;
            m->impact_lon = g.lon;
            memcpy(m->st[m->n++], x, sizeof(x));
            return 0;
        }
    }
    return -1;
}

void tg_missile_free(tg_missile_t *m)
{
    free(m->st);
    m->st = NULL;
}

int tg_missile_state(const tg_missile_t *m, double t, double x[6])
{
    double u = (t - m->t_launch) / m->dt;
    int i = (int)floor(u);
    double f = u - i;
    if (t < m->t_launch || t >= m->t_impact || i + 1 >= m->n)
        return -1;
    for (int j = 0; j < 6; j++)
        x[j] = m->st[i][j] + f * (m->st[i + 1][j] - m->st[i][j]);
    return 0;
}

int tg_radar_measure(const tg_radar_t *rd, tg_rng_t *rng, double t, const double p[3],
                     const char *truth, mwx_rec_meas_t *m)
{
    const mwx_earth_t e = mwx_earth_wgs84();
    mwx_geo_t s = {rd->lat, rd->lon, rd->alt};
    double se[3], r, az, el;
    int visible;
    mwx_geo_to_ecef(&e, &s, se);
    mwx_ecef_to_rae(&s, se, p, &r, &az, &el);
    visible = r <= rd->max_range_m && el >= rd->min_el;
    /* draw the detection and noise always, so that runs stay aligned across seeds */
    {
        double u = tg_uniform(rng), n0 = tg_gauss(rng), n1 = tg_gauss(rng), n2 = tg_gauss(rng);
        if (!visible || u > rd->pd)
            return -1;
        memset(m, 0, sizeof(*m));
        m->t = t;
        mwx_strlcpy(m->sensor, rd->id, sizeof(m->sensor));
        mwx_strlcpy(m->nation, rd->nation, sizeof(m->nation));
        m->kind = MWX_SENSOR_RADAR;
        memcpy(m->sensor_ecef_m, se, sizeof(se));
        m->range_m = r + rd->sig_r * n0;
        m->az_deg = mwx_wrap_2pi(az + rd->sig_az_deg * MWX_DEG * n1) / MWX_DEG;
        m->el_deg = (el + rd->sig_el_deg * MWX_DEG * n2) / MWX_DEG;
        m->sigma_range_m = rd->sig_r;
        m->sigma_az_deg = rd->sig_az_deg;
        m->sigma_el_deg = rd->sig_el_deg;
        mwx_strlcpy(m->truth_object, truth ? truth : "", sizeof(m->truth_object));
    }
    return 0;
}

void tg_radar_false_alarm(const tg_radar_t *rd, tg_rng_t *rng, double t, mwx_rec_meas_t *m)
{
    const mwx_earth_t e = mwx_earth_wgs84();
    mwx_geo_t s = {rd->lat, rd->lon, rd->alt};
    double se[3];
    mwx_geo_to_ecef(&e, &s, se);
    memset(m, 0, sizeof(*m));
    m->t = t;
    mwx_strlcpy(m->sensor, rd->id, sizeof(m->sensor));
    mwx_strlcpy(m->nation, rd->nation, sizeof(m->nation));
    m->kind = MWX_SENSOR_RADAR;
    memcpy(m->sensor_ecef_m, se, sizeof(se));
    m->range_m = 20e3 + (rd->max_range_m - 20e3) * tg_uniform(rng);
    m->az_deg = 360.0 * tg_uniform(rng);
    m->el_deg = rd->min_el / MWX_DEG + (60.0 - rd->min_el / MWX_DEG) * tg_uniform(rng);
    m->sigma_range_m = rd->sig_r;
    m->sigma_az_deg = rd->sig_az_deg;
    m->sigma_el_deg = rd->sig_el_deg;
}

void tg_ir_measure(const char *id, const char *nation, double sat_lon, double sigma_urad,
                   tg_rng_t *rng, double t, const double p[3], const char *truth, mwx_rec_meas_t *m)
{
    double rgeo = 42164e3, sat[3] = {rgeo * cos(sat_lon), rgeo * sin(sat_lon), 0.0};
    double d[3], n, u1[3], u2[3], k[3] = {0, 0, 1}, s = sigma_urad * 1e-6;
    double a = tg_gauss(rng) * s, b = tg_gauss(rng) * s;
    for (int i = 0; i < 3; i++)
        d[i] = p[i] - sat[i];
    n = mwx_norm3(d);
    for (int i = 0; i < 3; i++)
        d[i] /= n;
    mwx_cross3(d, k, u1);
    n = mwx_norm3(u1);
    for (int i = 0; i < 3; i++)
        u1[i] /= n;
    mwx_cross3(d, u1, u2);
    memset(m, 0, sizeof(*m));
    m->t = t;
    mwx_strlcpy(m->sensor, id, sizeof(m->sensor));
    mwx_strlcpy(m->nation, nation, sizeof(m->nation));
    m->kind = MWX_SENSOR_IR;
    memcpy(m->sensor_ecef_m, sat, sizeof(sat));
    for (int i = 0; i < 3; i++)
        m->los_ecef[i] = d[i] + a * u1[i] + b * u2[i];
    n = mwx_norm3(m->los_ecef);
    for (int i = 0; i < 3; i++)
        m->los_ecef[i] /= n;
    m->sigma_los_urad = sigma_urad;
    mwx_strlcpy(m->truth_object, truth ? truth : "", sizeof(m->truth_object));
}
