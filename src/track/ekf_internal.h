/* EKF internals shared inside src/track: the tracker computes the innovation once for
 * gating and reuses it for the update of a single-mode track, and builds a scan's radar
 * models from one ENU basis of their site. */
#ifndef MWX_TRACK_EKF_INTERNAL_H
#define MWX_TRACK_EKF_INTERNAL_H

#include "mwx/track.h"

/* nu (nz), S (nz x nz), H (nz x n) and P H^T (n x nz) of m at s. */
int mwxi_track_ekf_innov(const mwx_meas_model_t *m, const mwx_gauss_t *s, double *nu, double *S,
                         double *H, double *PHt);
/* The EKF update (Joseph form) from those quantities, computed at the current s. */
int mwxi_track_ekf_update_pre(const mwx_meas_model_t *m, mwx_gauss_t *s, const double *nu,
                              const double *S, const double *H, const double *PHt, double *nis,
                              double *loglik);

/* mwx_meas_radar for a site (geodetic) whose ENU basis enu (rows E, N, U) is known. */
int mwxi_track_meas_radar_enu(mwx_meas_model_t *m, const mwx_geo_t *site, const double enu[9],
                              const mwx_rec_meas_t *meas);

#endif
