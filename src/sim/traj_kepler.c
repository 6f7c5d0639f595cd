/* Two-body conics (see traj_kepler.h). */
#include "sim/traj_kepler.h"

#include <math.h>

#include "mwx/core.h"

int mwxi_traj_kep_conic_apogee(double gm, double r0, double phi, double r_apo, double *v,
                               double *gamma)
{
    /* r = p / (1 - e cos(nu - pi)) with apogee at nu = pi: r_apo = p/(1-e) and
     * r0 = p/(1 - e cos(phi/2)). */
    double ch = cos(0.5 * phi);
    if (!(r_apo > r0))
        return -1;
    double e = (r_apo - r0) / (r_apo - r0 * ch);
    double p = r_apo * (1.0 - e);
    double a = p / (1.0 - e * e);
    double v2 = gm * (2.0 / r0 - 1.0 / a);
    if (!(v2 > 0))
        return -1;
    *v = sqrt(v2);
    double cg = sqrt(gm * p) / (r0 * *v);
    *gamma = acos(cg > 1.0 ? 1.0 : cg);
    return 0;
}

void mwxi_traj_kep_min_energy(double gm, double r0, double phi, double *v, double *gamma)
{
    double s = sin(0.5 * phi);
    *v = sqrt(gm / r0 * 2.0 * s / (1.0 + s));
    *gamma = 0.25 * MWX_PI - 0.25 * phi;
}

double mwxi_traj_kep_min_energy_gamma(const double r1[3], const double r2[3])
{
    double c[3] = {r2[0] - r1[0], r2[1] - r1[1], r2[2] - r1[2]};
    double cn = mwx_norm3(c), rn = mwx_norm3(r1);
    double cz = mwx_dot3(c, r1) / (cn * rn);
    if (cz > 1.0)
        cz = 1.0;
    if (cz < -1.0)
        cz = -1.0;
    return 0.5 * MWX_PI - 0.5 * acos(cz);
}

double mwxi_traj_kep_apoapsis(double gm, const double r[3], const double v[3])
{
    double h[3];
    double rn = mwx_norm3(r), v2 = mwx_dot3(v, v);
    double en = 0.5 * v2 - gm / rn;
    if (en >= 0)
        return HUGE_VAL;
    mwx_cross3(r, v, h);
    double a = -gm / (2.0 * en), p = mwx_dot3(h, h) / gm;
    double e2 = 1.0 - p / a;
    return a * (1.0 + sqrt(e2 > 0 ? e2 : 0));
}

/* Mean anomaly as a continuous function of the true anomaly nu in (-2pi, 2pi). */
static double mean_anomaly(double e, double nu)
{
    double ea = 2.0 * atan2(sqrt(1.0 - e) * sin(0.5 * nu), sqrt(1.0 + e) * cos(0.5 * nu));
    return ea - e * sin(ea);
}

int mwxi_traj_kep_to_radius(double gm, const double r[3], const double v[3], double r_imp,
                            double *tof, double r_out[3])
{
    double h[3], hu[3], t[3];
    double rn = mwx_norm3(r), v2 = mwx_dot3(v, v), rv = mwx_dot3(r, v);
    double en = 0.5 * v2 - gm / rn;
    if (en >= 0)
        return -1;
    mwx_cross3(r, v, h);
    double hn = mwx_norm3(h);
    double a = -gm / (2.0 * en), p = hn * hn / gm;
    double e2 = 1.0 - p / a, e = sqrt(e2 > 0 ? e2 : 0);
    if (e < 1e-9)
        return -1;
    double nu0 = atan2(hn * rv / gm, p - rn);
    double ci = (p / r_imp - 1.0) / e;
    if (ci > 1.0 || ci < -1.0)
        return -1;
    double nui = -acos(ci);
    if (nui < nu0)
        nui += 2.0 * MWX_PI;
    double n = sqrt(gm / (a * a * a));
    *tof = (mean_anomaly(e, nui) - mean_anomaly(e, nu0)) / n;
    /* rotate r about h by the transfer angle */
    double dn = nui - nu0, cd = cos(dn), sd = sin(dn);
    for (int i = 0; i < 3; i++)
        hu[i] = h[i] / hn;
    mwx_cross3(hu, r, t);
    for (int i = 0; i < 3; i++)
        r_out[i] = (cd * r[i] + sd * t[i]) * (r_imp / rn);
    return 0;
}
