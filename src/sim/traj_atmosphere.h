/* Atmosphere density for drag (internal to src/sim).
 *
 * US Standard Atmosphere 1976: the seven geopotential layers (linear molecular-scale
 * temperature, hydrostatic pressure) from the surface to 86 km geometric altitude;
 * above 86 km, log-linear interpolation between the 1976 tables' densities up to
 * 1000 km, and zero above. Continuous at 86 km (both give 6.958e-6 kg/m^3). */
#ifndef MWX_TRAJ_ATMOSPHERE_H
#define MWX_TRAJ_ATMOSPHERE_H

/* Density (kg/m^3) at geometric altitude alt_m above the ellipsoid. Below 0 m the
 * lowest layer's law is continued (down to -5 km), then held. */
double mwxi_traj_atm_density(double alt_m);

#endif
