/* Dormand-Prince 5(4) integrator with adaptive steps, error control, dense output and
 * event location (internal to src/sim).
 *
 * The classic DOPRI5 of Hairer, Norsett & Wanner (Solving ODEs I, II.5): 7 stages with
 * FSAL, local extrapolation (the 5th-order solution is propagated), the embedded 4th
 * order error estimate, PI step-size control, and the 4th-order continuous extension
 * (dense output, "contd5") on every accepted step. An event g(t, y) that goes from
 * > 0 to <= 0 within a step is located on the dense output (Illinois root finding to
 * ~1e-12 of the step), never by step overshoot; integration stops there. */
#ifndef MWX_TRAJ_INTEGRATOR_H
#define MWX_TRAJ_INTEGRATOR_H

#define TRAJ_N 6 /* state: position, velocity */

typedef void (*traj_rhs_fn)(void *ctx, double t, const double y[TRAJ_N], double dy[TRAJ_N]);
typedef double (*traj_event_fn)(void *ctx, double t, const double y[TRAJ_N]);

/* The dense output of one accepted step, valid on [t0, t0 + h]. */
typedef struct traj_seg {
    double t0, h;
    double c[5][TRAJ_N];
} traj_seg_t;

/* Called on each accepted step (the last one possibly cut at the event); a non-zero
 * return stops the integration with that code. */
typedef int (*traj_step_fn)(void *ctx, const traj_seg_t *seg);

typedef struct traj_dp_opts {
    double rtol;
    double atol[TRAJ_N];
    double h0;      /* first trial step, s */
    double hmax;    /* largest step, s */
    long max_steps; /* accepted + rejected; exceeding it is MWX_ERANGE */
} traj_dp_opts_t;

typedef struct traj_dp_result {
    double t;  /* where integration stopped: t_end, or the event time */
    int event; /* 1 when stopped on the event */
    long n_steps, n_rejected, n_rhs;
} traj_dp_result_t;

/* Integrate y' = f(t, y) from (t0, y) to t_end (> t0), or to the event when ev is not
 * NULL. y is updated to the final state. Returns 0, MWX_ERANGE (step budget exceeded,
 * step underflow), or the first non-zero on_step code. */
int mwxi_traj_dp_run(traj_rhs_fn f, void *fctx, double t0, double y[TRAJ_N], double t_end,
                     const traj_dp_opts_t *o, traj_event_fn ev, void *evctx, traj_step_fn on_step,
                     void *sctx, traj_dp_result_t *res);

/* The dense output at t (in, or slightly beyond, [t0, t0 + h]). */
void mwxi_traj_seg_eval(const traj_seg_t *s, double t, double y[TRAJ_N]);

#endif
