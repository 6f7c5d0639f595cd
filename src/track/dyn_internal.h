/* Helpers of the motion models shared inside src/track (dynamics.c). */
#ifndef MWX_TRACK_DYN_INTERNAL_H
#define MWX_TRACK_DYN_INTERNAL_H

#include "mwx/track.h"

/* Size of the drag acceleration of the ballistic model at the 8-state x (m/s^2; 0 without
 * drag, above the atmosphere's top or for kappa <= 0). */
double mwxi_dyn_drag_acc(const mwx_dyn_params_t *p, const double *x);

/* The frame of a lift normal to the velocity of x (ECEF, the air-relative velocity):
 * lv, "up" normal to the velocity in the vertical plane of the path, and ll = u x lv
 * (u the velocity's direction), across the path. Returns -1, frame unset, when the path
 * is within 6 deg of the vertical (no vertical plane to speak of) or the speed is below
 * 1 m/s. */
int mwxi_dyn_lift_frame(const double *x, double lv[3], double ll[3]);

#endif
