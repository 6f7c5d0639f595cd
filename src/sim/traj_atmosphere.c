/* US Standard Atmosphere 1976 density (see traj_atmosphere.h). */
#include "sim/traj_atmosphere.h"

#include <math.h>

#define US76_R0   6356766.0   /* m, radius used for geopotential altitude */
#define US76_GMR  0.034163195 /* g0 M0 / R*, K/m */
#define US76_RAIR 287.053072  /* R* / M0, J/(kg K) */

/* Layer bases: geopotential altitude (m), molecular-scale temperature (K), lapse (K/m),
 * pressure (Pa). */
static const double base_h[7] = {0.0, 11000.0, 20000.0, 32000.0, 47000.0, 51000.0, 71000.0};
static const double base_t[7] = {288.15, 216.65, 216.65, 228.65, 270.65, 270.65, 214.65};
static const double lapse[7] = {-0.0065, 0.0, 0.001, 0.0028, 0.0, -0.0028, -0.002};
static const double base_p[7] = {101325.0, 22632.06, 5474.889, 868.0187,
                                 110.9063, 66.93887, 3.956420};

/* US76 tabulated densities above 86 km (geometric altitude, km -> kg/m^3). */
static const double up_h[] = {86,  90,  100, 110, 120, 130, 140, 150, 160, 180, 200,
                              250, 300, 350, 400, 450, 500, 600, 700, 800, 900, 1000};
static const double up_rho[] = {6.958e-6,  3.416e-6,  5.604e-7,  9.708e-8,  2.222e-8,  8.152e-9,
                                3.831e-9,  2.076e-9,  1.233e-9,  5.194e-10, 2.541e-10, 6.073e-11,
                                1.916e-11, 7.014e-12, 2.803e-12, 1.184e-12, 5.215e-13, 1.137e-13,
                                3.070e-14, 1.136e-14, 5.759e-15, 3.561e-15};

double mwxi_traj_atm_density(double alt_m)
{
    if (alt_m < 86000.0) {
        double z = alt_m < -5000.0 ? -5000.0 : alt_m;
        double h = US76_R0 * z / (US76_R0 + z); /* geopotential altitude */
        int i = 6;
        while (i > 0 && h < base_h[i])
            i--;
        double t = base_t[i] + lapse[i] * (h - base_h[i]);
        double p;
        if (lapse[i] == 0.0)
            p = base_p[i] * exp(-US76_GMR * (h - base_h[i]) / base_t[i]);
        else
            p = base_p[i] * pow(base_t[i] / t, US76_GMR / lapse[i]);
        return p / (US76_RAIR * t);
    }
    {
        double km = alt_m / 1000.0;
        int n = (int)(sizeof up_h / sizeof up_h[0]);
        if (km >= up_h[n - 1])
            return 0.0;
        int i = 0;
        while (i < n - 2 && km >= up_h[i + 1])
            i++;
        double u = (km - up_h[i]) / (up_h[i + 1] - up_h[i]);
        return exp(log(up_rho[i]) + u * (log(up_rho[i + 1]) - log(up_rho[i])));
    }
}
