/* Two-body (Kepler) conics for the trajectory solver's first guesses (internal to
 * src/sim). Everything here is on a point-mass Earth, in an inertial frame. */
#ifndef MWX_TRAJ_KEPLER_H
#define MWX_TRAJ_KEPLER_H

/* Speed and flight-path angle at radius r0 of the ballistic conic that leaves and comes
 * back to radius r0 after the central angle phi (rad) and peaks at radius r_apo.
 * Returns 0, or -1 when no such bound conic exists (r_apo <= r0). */
int mwxi_traj_kep_conic_apogee(double gm, double r0, double phi, double r_apo, double *v,
                               double *gamma);

/* The minimum-energy conic between two points at radius r0 phi apart: speed and
 * flight-path angle (gamma = pi/4 - phi/4). */
void mwxi_traj_kep_min_energy(double gm, double r0, double phi, double *v, double *gamma);

/* Flight-path angle of the minimum-energy conic from r1 to r2 (any radii): the velocity
 * bisects the local vertical and the chord r1 -> r2 (the vacant focus lies on the
 * chord). */
double mwxi_traj_kep_min_energy_gamma(const double r1[3], const double r2[3]);

/* Apoapsis radius of the conic through (r, v); HUGE_VAL when unbound. */
double mwxi_traj_kep_apoapsis(double gm, const double r[3], const double v[3]);

/* Propagate (r, v) to where the conic next crosses radius r_imp going down. Gives the
 * time of flight and the position there. Returns 0, or -1 when it never does
 * (unbound, or the conic stays above / below r_imp). */
int mwxi_traj_kep_to_radius(double gm, const double r[3], const double v[3], double r_imp,
                            double *tof, double r_out[3]);

#endif
