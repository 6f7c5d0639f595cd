/* A ballistic truth for the node tests: free flight in ECEF (point-mass gravity,
 * Coriolis, centrifugal), RK4 in 0.5 s steps, independent of src/node's propagation. */
#ifndef MWX_TEST_BALLISTIC_TRUTH_H
#define MWX_TEST_BALLISTIC_TRUTH_H

#include <math.h>
#include <string.h>

#include "mwx/core.h"

static void bt_accel(const double x[3], const double v[3], double a[3])
{
    const double mu = 3.986004418e14, w = MWX_WGS84_OMEGA;
    double r = mwx_norm3(x), k = -mu / (r * r * r);
    a[0] = k * x[0] + w * w * x[0] + 2 * w * v[1];
    a[1] = k * x[1] + w * w * x[1] - 2 * w * v[0];
    a[2] = k * x[2];
}

/* The state at t of the body at x0, v0 at t0 (t >= t0). */
static void bt_fly(const double x0[3], const double v0[3], double t0, double t, double x[3],
                   double v[3])
{
    memcpy(x, x0, 3 * sizeof(double));
    memcpy(v, v0, 3 * sizeof(double));
    for (double tt = t0; tt < t - 1e-9;) {
        double h = fmin(0.5, t - tt), k1x[3], k1v[3], k2x[3], k2v[3], k3x[3], k3v[3], k4x[3],
               k4v[3], xt[3], vt[3];
        memcpy(k1x, v, sizeof k1x);
        bt_accel(x, v, k1v);
        for (int i = 0; i < 3; i++)
            xt[i] = x[i] + h / 2 * k1x[i], vt[i] = v[i] + h / 2 * k1v[i];
        memcpy(k2x, vt, sizeof k2x);
        bt_accel(xt, vt, k2v);
        for (int i = 0; i < 3; i++)
            xt[i] = x[i] + h / 2 * k2x[i], vt[i] = v[i] + h / 2 * k2v[i];
        memcpy(k3x, vt, sizeof k3x);
        bt_accel(xt, vt, k3v);
        for (int i = 0; i < 3; i++)
            xt[i] = x[i] + h * k3x[i], vt[i] = v[i] + h * k3v[i];
        memcpy(k4x, vt, sizeof k4x);
        bt_accel(xt, vt, k4v);
        for (int i = 0; i < 3; i++) {
            x[i] += h / 6 * (k1x[i] + 2 * k2x[i] + 2 * k3x[i] + k4x[i]);
            v[i] += h / 6 * (k1v[i] + 2 * k2v[i] + 2 * k3v[i] + k4v[i]);
        }
        tt += h;
    }
}

#endif
