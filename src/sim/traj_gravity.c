/* Point-mass + J2 gravity (see mwxi_traj_gravity.h). */
#include "sim/traj_gravity.h"

#include <math.h>

void mwxi_traj_gravity(double gm, double a_eq, double j2, const double r[3], double acc[3])
{
    double r2 = r[0] * r[0] + r[1] * r[1] + r[2] * r[2];
    double rn = sqrt(r2);
    double k = -gm / (r2 * rn);
    acc[0] = k * r[0];
    acc[1] = k * r[1];
    acc[2] = k * r[2];
    if (j2 != 0.0) {
        /* -grad of U_J2 = -(gm J2 a^2 / r^3) P2(z/r) */
        double zr2 = r[2] * r[2] / r2;
        double c = -1.5 * j2 * gm * a_eq * a_eq / (r2 * r2 * rn);
        acc[0] += c * r[0] * (1.0 - 5.0 * zr2);
        acc[1] += c * r[1] * (1.0 - 5.0 * zr2);
        acc[2] += c * r[2] * (3.0 - 5.0 * zr2);
    }
}
