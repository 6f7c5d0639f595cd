/* Measurement models: radar range/azimuth/elevation in the site's ENU frame, IR line of
 * sight (two angles across the measured LOS), direct position, and linear. */
#include "mwx/track.h"
#include "ekf_internal.h"

#include <math.h>
#include <string.h>

static void radar_h(const mwx_meas_model_t *m, const double *x, int nx, double *z, double *H)
{
    const double *E = m->enu, *N = m->enu + 3, *U = m->enu + 6;
    double d[3] = {x[0] - m->site_ecef[0], x[1] - m->site_ecef[1], x[2] - m->site_ecef[2]};
    double e = mwx_dot3(E, d), n = mwx_dot3(N, d), u = mwx_dot3(U, d);
    double h2 = e * e + n * n, h = sqrt(h2), r2 = h2 + u * u, r = sqrt(r2);
    z[0] = r;
    z[1] = mwx_wrap_2pi(atan2(e, n));
    z[2] = atan2(u, h);
    if (H) {
        double g[3][3]; /* gradients in ENU of range, az, el */
        memset(H, 0, sizeof(double) * (size_t)(3 * nx));
        if (h < 1e-6)
            h = 1e-6, h2 = h * h;
        g[0][0] = e / r;
        g[0][1] = n / r;
        g[0][2] = u / r;
        g[1][0] = n / h2;
        g[1][1] = -e / h2;
        g[1][2] = 0.0;
        g[2][0] = -e * u / (r2 * h);
        g[2][1] = -n * u / (r2 * h);
        g[2][2] = h / r2;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                H[i * nx + j] = g[i][0] * E[j] + g[i][1] * N[j] + g[i][2] * U[j];
    }
}

static void radar_diff(const mwx_meas_model_t *m, const double *a, const double *b, double *out)
{
    out[0] = a[0] - b[0];
    out[1] = mwx_wrap_pi(a[1] - b[1]);
    out[2] = a[2] - b[2];
}

/* The radar model; enu: the site's basis when the caller has it (a scan's measurements
 * share their site), else NULL. */
static int meas_radar(mwx_meas_model_t *m, const mwx_earth_t *e, const mwx_geo_t *site,
                      const double *enu, const mwx_rec_meas_t *meas)
{
    double sr = meas->sigma_range_m, sa = meas->sigma_az_deg * MWX_DEG,
           se = meas->sigma_el_deg * MWX_DEG;
    memset(m, 0, sizeof(*m));
    if (meas->kind != MWX_SENSOR_RADAR || !isfinite(meas->range_m) || meas->range_m <= 0.0 ||
        !isfinite(meas->az_deg) || !isfinite(meas->el_deg) || !(sr > 0.0) || !(sa > 0.0) ||
        !(se > 0.0) || !isfinite(sr + sa + se) || fabs(meas->el_deg) > 90.0)
        return MWX_EINVAL;
    for (int i = 0; i < 3; i++) {
        if (!isfinite(meas->sensor_ecef_m[i]))
            return MWX_EINVAL;
        m->site_ecef[i] = meas->sensor_ecef_m[i];
    }
    if (site)
        m->site = *site;
    else
        mwx_ecef_to_geo(e, m->site_ecef, &m->site);
    if (site && enu)
        memcpy(m->enu, enu, sizeof(m->enu));
    else
        mwx_enu_basis(m->site.lat, m->site.lon, m->enu, m->enu + 3, m->enu + 6);
    m->name = "radar";
    m->nz = 3;
    m->h = radar_h;
    m->diff = radar_diff;
    m->z[0] = meas->range_m;
    m->z[1] = mwx_wrap_2pi(meas->az_deg * MWX_DEG);
    m->z[2] = meas->el_deg * MWX_DEG;
    m->R[0] = sr * sr;
    m->R[4] = sa * sa;
    m->R[8] = se * se;
    return MWX_OK;
}

int mwx_meas_radar(mwx_meas_model_t *m, const mwx_earth_t *e, const mwx_geo_t *site,
                   const mwx_rec_meas_t *meas)
{
    return meas_radar(m, e, site, NULL, meas);
}

int mwxi_track_meas_radar_enu(mwx_meas_model_t *m, const mwx_geo_t *site, const double enu[9],
                              const mwx_rec_meas_t *meas)
{
    return meas_radar(m, NULL, site, enu, meas);
}

/* Gnomonic angles across the LOS: z_i = (u_i . d) / (l . d), l the measured LOS. */
static void ir_h(const mwx_meas_model_t *m, const double *x, int nx, double *z, double *H)
{
    const double *l = m->enu; /* the measured LOS is kept in enu[0..2] */
    double d[3] = {x[0] - m->site_ecef[0], x[1] - m->site_ecef[1], x[2] - m->site_ecef[2]};
    double w = mwx_dot3(l, d), a = mwx_dot3(m->u1, d), b = mwx_dot3(m->u2, d);
    if (fabs(w) < 1.0)
        w = 1.0;
    z[0] = a / w;
    z[1] = b / w;
    if (H) {
        memset(H, 0, sizeof(double) * (size_t)(2 * nx));
        for (int j = 0; j < 3; j++) {
            H[j] = m->u1[j] / w - a * l[j] / (w * w);
            H[nx + j] = m->u2[j] / w - b * l[j] / (w * w);
        }
    }
}

int mwx_meas_ir(mwx_meas_model_t *m, const mwx_rec_meas_t *meas)
{
    double l[3], k[3] = {0, 0, 0}, nl, s = meas->sigma_los_urad * 1e-6;
    int ax = 0;
    memset(m, 0, sizeof(*m));
    if (meas->kind != MWX_SENSOR_IR || !(s > 0.0) || !isfinite(s))
        return MWX_EINVAL;
    for (int i = 0; i < 3; i++) {
        if (!isfinite(meas->los_ecef[i]) || !isfinite(meas->sensor_ecef_m[i]))
            return MWX_EINVAL;
        l[i] = meas->los_ecef[i];
        m->site_ecef[i] = meas->sensor_ecef_m[i];
    }
    nl = mwx_norm3(l);
    if (!(nl > 0.5 && nl < 1.5))
        return MWX_EINVAL;
    for (int i = 0; i < 3; i++)
        l[i] /= nl;
    for (int i = 1; i < 3; i++)
        if (fabs(l[i]) < fabs(l[ax]))
            ax = i;
    k[ax] = 1.0;
    mwx_cross3(l, k, m->u1);
    nl = mwx_norm3(m->u1);
    for (int i = 0; i < 3; i++)
        m->u1[i] /= nl;
    mwx_cross3(l, m->u1, m->u2);
    memcpy(m->enu, l, sizeof(l));
    m->name = "ir";
    m->nz = 2;
    m->h = ir_h;
    m->diff = NULL;
    m->R[0] = s * s;
    m->R[3] = s * s;
    return MWX_OK;
}

static void pos_h(const mwx_meas_model_t *m, const double *x, int nx, double *z, double *H)
{
    z[0] = x[0];
    z[1] = x[1];
    z[2] = x[2];
    if (H) {
        memset(H, 0, sizeof(double) * (size_t)(3 * nx));
        H[0] = 1.0;
        H[nx + 1] = 1.0;
        H[2 * nx + 2] = 1.0;
    }
}

void mwx_meas_position(mwx_meas_model_t *m, const double pos[3], const double R[9])
{
    memset(m, 0, sizeof(*m));
    m->name = "position";
    m->nz = 3;
    m->h = pos_h;
    memcpy(m->z, pos, sizeof(double) * 3);
    memcpy(m->R, R, sizeof(double) * 9);
}

/* The linear model points at the caller's H (ctx): H must outlive the model. */
static void lin_h(const mwx_meas_model_t *m, const double *x, int nx, double *z, double *H)
{
    const double *Hm = (const double *)m->ctx;
    for (int i = 0; i < m->nz; i++) {
        double s = 0.0;
        for (int j = 0; j < nx; j++)
            s += Hm[i * nx + j] * x[j];
        z[i] = s;
    }
    if (H)
        memcpy(H, Hm, sizeof(double) * (size_t)(m->nz * nx));
}

void mwx_meas_linear(mwx_meas_model_t *m, int nz, int nx, const double *H, const double *R,
                     const double *z)
{
    memset(m, 0, sizeof(*m));
    if (nz > MWX_TRACK_MAX_Z)
        nz = MWX_TRACK_MAX_Z;
    m->name = "linear";
    m->nz = nz;
    m->h = lin_h;
    m->ctx = (void *)(uintptr_t)H;
    (void)nx;
    memcpy(m->z, z, sizeof(double) * (size_t)nz);
    memcpy(m->R, R, sizeof(double) * (size_t)(nz * nz));
}
