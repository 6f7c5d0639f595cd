/* Dormand-Prince 5(4) with dense output and events (see traj_integrator.h). */
#include "sim/traj_integrator.h"

#include <math.h>

#include "mwx/core.h"

/* Butcher tableau (Dormand & Prince 1980). */
static const double c2 = 1.0 / 5, c3 = 3.0 / 10, c4 = 4.0 / 5, c5 = 8.0 / 9;
static const double a21 = 1.0 / 5;
static const double a31 = 3.0 / 40, a32 = 9.0 / 40;
static const double a41 = 44.0 / 45, a42 = -56.0 / 15, a43 = 32.0 / 9;
static const double a51 = 19372.0 / 6561, a52 = -25360.0 / 2187, a53 = 64448.0 / 6561,
                    a54 = -212.0 / 729;
static const double a61 = 9017.0 / 3168, a62 = -355.0 / 33, a63 = 46732.0 / 5247, a64 = 49.0 / 176,
                    a65 = -5103.0 / 18656;
static const double a71 = 35.0 / 384, a73 = 500.0 / 1113, a74 = 125.0 / 192, a75 = -2187.0 / 6784,
                    a76 = 11.0 / 84;
/* 5th minus 4th order weights: the local error estimate. */
static const double e1 = 71.0 / 57600, e3 = -71.0 / 16695, e4 = 71.0 / 1920, e5 = -17253.0 / 339200,
                    e6 = 22.0 / 525, e7 = -1.0 / 40;
/* Dense output (Hairer's contd5). */
static const double d1 = -12715105075.0 / 11282082432.0, d3 = 87487479700.0 / 32700410799.0,
                    d4 = -10690763975.0 / 1880347072.0, d5 = 701980252875.0 / 199316789632.0,
                    d6 = -1453857185.0 / 822651844.0, d7 = 69997945.0 / 29380423.0;

void mwxi_traj_seg_eval(const traj_seg_t *s, double t, double y[TRAJ_N])
{
    double th = (t - s->t0) / s->h, th1 = 1.0 - th;
    for (int i = 0; i < TRAJ_N; i++)
        y[i] = s->c[0][i] +
               th * (s->c[1][i] + th1 * (s->c[2][i] + th * (s->c[3][i] + th1 * s->c[4][i])));
}

/* Locate g = 0 in (ta, tb] on the dense output, ga > 0 >= gb (Illinois method). */
static double locate_event(const traj_seg_t *s, traj_event_fn ev, void *evctx, double ta, double ga,
                           double tb, double gb)
{
    double y[TRAJ_N];
    int side = 0;
    double tol = 1e-12 * fabs(s->h) + 1e-12;
    for (int it = 0; it < 100 && tb - ta > tol; it++) {
        double tm = (ta * gb - tb * ga) / (gb - ga);
        if (!(tm > ta && tm < tb))
            tm = 0.5 * (ta + tb);
        mwxi_traj_seg_eval(s, tm, y);
        double gm = ev(evctx, tm, y);
        if (gm > 0) {
            ta = tm;
            ga = gm;
            if (side == -1)
                gb *= 0.5;
            side = -1;
        } else {
            tb = tm;
            gb = gm;
            if (side == 1)
                ga *= 0.5;
            side = 1;
        }
    }
    return tb; /* g(tb) <= 0: the first time on the far side */
}

int mwxi_traj_dp_run(traj_rhs_fn f, void *fctx, double t0, double y[TRAJ_N], double t_end,
                     const traj_dp_opts_t *o, traj_event_fn ev, void *evctx, traj_step_fn on_step,
                     void *sctx, traj_dp_result_t *res)
{
    double k1[TRAJ_N], k2[TRAJ_N], k3[TRAJ_N], k4[TRAJ_N], k5[TRAJ_N], k6[TRAJ_N], k7[TRAJ_N],
        yt[TRAJ_N], y1[TRAJ_N];
    double t = t0, h = o->h0, facold = 1e-4;
    double g0 = ev ? ev(evctx, t, y) : 0.0;
    const double beta = 0.04, expo1 = 0.2 - beta * 0.75, safe = 0.9;
    int reject = 0;
    traj_seg_t seg;

    res->t = t0;
    res->event = 0;
    res->n_steps = res->n_rejected = 0;
    f(fctx, t, y, k1);
    res->n_rhs = 1;
    if (h > o->hmax)
        h = o->hmax;
    while (t < t_end) {
        int last = 0;
        if (res->n_steps + res->n_rejected >= o->max_steps)
            return MWX_ERANGE;
        if (h < 1e-10 * (fabs(t) + 1.0))
            return MWX_ERANGE;
        if (t + 1.01 * h >= t_end) {
            h = t_end - t;
            last = 1;
        }
        for (int i = 0; i < TRAJ_N; i++)
            yt[i] = y[i] + h * a21 * k1[i];
        f(fctx, t + c2 * h, yt, k2);
        for (int i = 0; i < TRAJ_N; i++)
            yt[i] = y[i] + h * (a31 * k1[i] + a32 * k2[i]);
        f(fctx, t + c3 * h, yt, k3);
        for (int i = 0; i < TRAJ_N; i++)
            yt[i] = y[i] + h * (a41 * k1[i] + a42 * k2[i] + a43 * k3[i]);
        f(fctx, t + c4 * h, yt, k4);
        for (int i = 0; i < TRAJ_N; i++)
            yt[i] = y[i] + h * (a51 * k1[i] + a52 * k2[i] + a53 * k3[i] + a54 * k4[i]);
        f(fctx, t + c5 * h, yt, k5);
        for (int i = 0; i < TRAJ_N; i++)
            yt[i] =
                y[i] + h * (a61 * k1[i] + a62 * k2[i] + a63 * k3[i] + a64 * k4[i] + a65 * k5[i]);
        f(fctx, t + h, yt, k6);
        for (int i = 0; i < TRAJ_N; i++)
            y1[i] =
                y[i] + h * (a71 * k1[i] + a73 * k3[i] + a74 * k4[i] + a75 * k5[i] + a76 * k6[i]);
        f(fctx, t + h, y1, k7);
        res->n_rhs += 6;

        double err = 0.0;
        for (int i = 0; i < TRAJ_N; i++) {
            double ei =
                h * (e1 * k1[i] + e3 * k3[i] + e4 * k4[i] + e5 * k5[i] + e6 * k6[i] + e7 * k7[i]);
            double sk = o->atol[i] + o->rtol * fmax(fabs(y[i]), fabs(y1[i]));
            err += (ei / sk) * (ei / sk);
        }
        err = sqrt(err / TRAJ_N);
        double fac11 = pow(err, expo1);
        if (err <= 1.0) {
            double fac = fac11 / pow(facold, beta);
            fac = fmax(1.0 / 10.0, fmin(1.0 / 0.2, fac / safe));
            double hnew = h / fac;
            facold = fmax(err, 1e-4);

            seg.t0 = t;
            seg.h = h;
            for (int i = 0; i < TRAJ_N; i++) {
                double dy = y1[i] - y[i], bspl = h * k1[i] - dy;
                seg.c[0][i] = y[i];
                seg.c[1][i] = dy;
                seg.c[2][i] = bspl;
                seg.c[3][i] = dy - h * k7[i] - bspl;
                seg.c[4][i] = h * (d1 * k1[i] + d3 * k3[i] + d4 * k4[i] + d5 * k5[i] + d6 * k6[i] +
                                   d7 * k7[i]);
            }
            res->n_steps++;
            double tn = last ? t_end : t + h;
            if (ev) {
                double g1 = ev(evctx, tn, y1);
                if (g0 > 0.0 && g1 <= 0.0) {
                    double te = locate_event(&seg, ev, evctx, t, g0, tn, g1);
                    mwxi_traj_seg_eval(&seg, te, y);
                    if (on_step) {
                        int rc = on_step(sctx, &seg);
                        if (rc)
                            return rc;
                    }
                    res->t = te;
                    res->event = 1;
                    return MWX_OK;
                }
                g0 = g1;
            }
            if (on_step) {
                int rc = on_step(sctx, &seg);
                if (rc)
                    return rc;
            }
            for (int i = 0; i < TRAJ_N; i++) {
                y[i] = y1[i];
                k1[i] = k7[i];
            }
            t = tn;
            if (hnew > o->hmax)
                hnew = o->hmax;
            if (reject && hnew > h)
                hnew = h;
            reject = 0;
            h = hnew;
        } else {
            h = h / fmin(1.0 / 0.2, fac11 / safe);
            reject = 1;
            res->n_rejected++;
        }
    }
    res->t = t_end;
    return MWX_OK;
}
