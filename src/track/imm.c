/* Interacting multiple model (Blom & Bar-Shalom): mixing, per-mode filtering, mode
 * probabilities from the innovation likelihoods, moment-matched output. Switching is a
 * continuous-time Markov chain: P(i -> j over dt) = 1 - exp(-rate[i][j] dt). */
#include "mwx/track.h"
#include "linalg.h"

#include <math.h>
#include <string.h>

void mwx_imm_init(mwx_imm_t *imm, int n_modes, const mwx_motion_model_t *const *models,
                  const mwx_filter_t *filter, const mwx_gauss_t *s0, const double *mu0)
{
    memset(imm, 0, sizeof(*imm));
    if (n_modes < 1)
        n_modes = 1;
    if (n_modes > MWX_IMM_MAX_MODES)
        n_modes = MWX_IMM_MAX_MODES;
    imm->n_modes = n_modes;
    imm->filter = filter;
    for (int i = 0; i < n_modes; i++) {
        imm->model[i] = models[i];
        imm->mode[i] = *s0;
        imm->mu[i] = mu0 ? mu0[i] : 1.0 / n_modes;
    }
}

static void transition(const mwx_imm_t *imm, double dt,
                       double p[MWX_IMM_MAX_MODES][MWX_IMM_MAX_MODES])
{
    const int m = imm->n_modes;
    for (int i = 0; i < m; i++) {
        double stay = 1.0;
        for (int j = 0; j < m; j++) {
            if (j == i)
                continue;
            p[i][j] = 1.0 - exp(-imm->rate[i][j] * fabs(dt));
            stay -= p[i][j];
        }
        p[i][i] = stay > 0.0 ? stay : 0.0;
    }
}

/* The used part of a Gaussian (n + n^2 numbers, not the whole struct). */
static void copy_gauss(mwx_gauss_t *dst, const mwx_gauss_t *src)
{
    const int n = src->n;
    dst->n = n;
    memcpy(dst->x, src->x, sizeof(double) * (size_t)n);
    memcpy(dst->P, src->P, sizeof(double) * (size_t)(n * n));
}

/* g->P += w (s->P + d d^T), d = s->x - g->x, on the upper triangle only (see mirror). */
LA_INLINE void spread_n(double *P, const double *gx, const double *sx, const double *sP, double w,
                        int n)
{
    double d[MWX_TRACK_MAX_X];
    for (int a = 0; a < n; a++)
        d[a] = sx[a] - gx[a];
    for (int a = 0; a < n; a++)
        for (int b = a; b < n; b++)
            P[a * n + b] += w * (sP[a * n + b] + d[a] * d[b]);
}

static void add_spread(mwx_gauss_t *g, const mwx_gauss_t *s, double w)
{
    if (g->n == MWX_TRACK_NX)
        spread_n(g->P, g->x, s->x, s->P, w, MWX_TRACK_NX); /* fixed bounds: unrolled */
    else
        spread_n(g->P, g->x, s->x, s->P, w, g->n);
}

/* Lower triangle from the upper: the moment-matched covariances are exactly symmetric. */
LA_INLINE void mirror_n(double *P, int n)
{
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++)
            P[b * n + a] = P[a * n + b];
}

static void mirror(double *P, int n)
{
    if (n == MWX_TRACK_NX)
        mirror_n(P, MWX_TRACK_NX);
    else
        mirror_n(P, n);
}

int mwx_imm_predict(mwx_imm_t *imm, double dt)
{
    const int m = imm->n_modes, n = imm->mode[0].n;
    double p[MWX_IMM_MAX_MODES][MWX_IMM_MAX_MODES], c[MWX_IMM_MAX_MODES];
    mwx_gauss_t mixed[MWX_IMM_MAX_MODES];
    int ok = 0;
    if (dt == 0.0)
        return MWX_OK;
    if (m == 1)
        return imm->filter->predict(imm->filter, imm->model[0], &imm->mode[0], dt);
    transition(imm, dt, p);
    for (int j = 0; j < m; j++) {
        c[j] = 0.0;
        for (int i = 0; i < m; i++)
            c[j] += p[i][j] * imm->mu[i];
    }
    for (int j = 0; j < m; j++) {
        mwx_gauss_t *g = &mixed[j];
        g->n = n;
        if (c[j] <= 1e-300) {
            copy_gauss(g, &imm->mode[j]);
            continue;
        }
        for (int a = 0; a < n; a++)
            g->x[a] = 0.0;
        for (int a = 0; a < n * n; a++)
            g->P[a] = 0.0;
        for (int i = 0; i < m; i++) {
            double w = p[i][j] * imm->mu[i] / c[j];
            for (int a = 0; a < n; a++)
                g->x[a] += w * imm->mode[i].x[a];
        }
        for (int i = 0; i < m; i++) {
            double w = p[i][j] * imm->mu[i] / c[j];
            if (w == 0.0)
                continue;
            add_spread(g, &imm->mode[i], w);
        }
        mirror(g->P, n);
    }
    for (int j = 0; j < m; j++) {
        mwx_gauss_t *g = &mixed[j];
        if (imm->filter->predict(imm->filter, imm->model[j], g, dt) == MWX_OK) {
            copy_gauss(&imm->mode[j], g);
            imm->mu[j] = c[j];
            ok++;
        } else {
            imm->mu[j] = 0.0; /* a mode that cannot predict drops out */
        }
    }
    if (!ok)
        return MWX_ERANGE;
    {
        double s = 0.0;
        for (int j = 0; j < m; j++)
            s += imm->mu[j];
        for (int j = 0; j < m; j++)
            imm->mu[j] /= s;
    }
    return MWX_OK;
}

int mwx_imm_update(mwx_imm_t *imm, const mwx_meas_model_t *mm, double *nis)
{
    const int m = imm->n_modes;
    double ll[MWX_IMM_MAX_MODES], nis_j[MWX_IMM_MAX_MODES], lmax = -1e300, s = 0.0;
    int ok[MWX_IMM_MAX_MODES], any = 0;
    if (m == 1) {
        imm->mu[0] = 1.0;
        return imm->filter->update(imm->filter, mm, &imm->mode[0], nis, NULL);
    }
    /* Each mode is updated in place: a filter leaves the state unchanged when it fails
     * (the filter contract), and a failed mode drops out below. */
    for (int j = 0; j < m; j++) {
        ok[j] = imm->mu[j] > 0.0 &&
                imm->filter->update(imm->filter, mm, &imm->mode[j], &nis_j[j], &ll[j]) == MWX_OK;
        if (ok[j]) {
            any = 1;
            if (ll[j] > lmax)
                lmax = ll[j];
        }
    }
    if (!any)
        return MWX_ERANGE;
    for (int j = 0; j < m; j++) {
        if (ok[j])
            imm->mu[j] *= exp(ll[j] - lmax);
        else
            imm->mu[j] = 0.0;
        s += imm->mu[j];
    }
    if (!(s > 0.0)) {
        for (int j = 0; j < m; j++)
            imm->mu[j] = ok[j] ? 1.0 : 0.0;
        s = 0.0;
        for (int j = 0; j < m; j++)
            s += imm->mu[j];
    }
    /* Keep every mode alive: a floor so that a switch can still be detected. */
    for (int j = 0; j < m; j++) {
        imm->mu[j] /= s;
        if (ok[j] && imm->mu[j] < 1e-6)
            imm->mu[j] = 1e-6;
    }
    s = 0.0;
    for (int j = 0; j < m; j++)
        s += imm->mu[j];
    for (int j = 0; j < m; j++)
        imm->mu[j] /= s;
    if (nis) {
        double a = 0.0;
        for (int j = 0; j < m; j++)
            if (ok[j])
                a += imm->mu[j] * nis_j[j];
        *nis = a;
    }
    return MWX_OK;
}

void mwx_imm_combine(const mwx_imm_t *imm, mwx_gauss_t *out)
{
    const int m = imm->n_modes, n = imm->mode[0].n;
    if (m == 1) {
        copy_gauss(out, &imm->mode[0]);
        return;
    }
    out->n = n;
    for (int a = 0; a < n; a++)
        out->x[a] = 0.0;
    for (int a = 0; a < n * n; a++)
        out->P[a] = 0.0;
    for (int j = 0; j < m; j++)
        for (int a = 0; a < n; a++)
            out->x[a] += imm->mu[j] * imm->mode[j].x[a];
    for (int j = 0; j < m; j++)
        if (imm->mu[j] != 0.0)
            add_spread(out, &imm->mode[j], imm->mu[j]);
    mirror(out->P, n);
}
