/* The gating grid: active tracks hashed by their position at the scan time into cubes of
 * grid_cell_m (open addressing), so a measurement looks at 27 cells, not every track. */
#include "tracker_int.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- grid */

static uint32_t hash3(int32_t x, int32_t y, int32_t z)
{
    uint32_t h = (uint32_t)x * 73856093u ^ (uint32_t)y * 19349663u ^ (uint32_t)z * 83492791u;
    h ^= h >> 15;
    h *= 2246822519u;
    h ^= h >> 13;
    return h;
}

void mwxi_trk_cell_of(const mwx_tracker_t *t, const double p[3], int32_t c[3])
{
    for (int i = 0; i < 3; i++)
        c[i] = (int32_t)floor(p[i] / t->cfg.grid_cell_m);
}

int *mwxi_trk_grid_slot(mwx_tracker_t *t, const int32_t c[3], int create)
{
    uint32_t h = hash3(c[0], c[1], c[2]) & (uint32_t)(t->hsize - 1);
    for (;;) {
        if (t->grid_stamp[h] != t->stamp) {
            if (!create)
                return NULL;
            t->grid_stamp[h] = t->stamp;
            t->grid_key[3 * h] = c[0];
            t->grid_key[3 * h + 1] = c[1];
            t->grid_key[3 * h + 2] = c[2];
            t->grid_head[h] = -1;
            return &t->grid_head[h];
        }
        if (t->grid_key[3 * h] == c[0] && t->grid_key[3 * h + 1] == c[1] &&
            t->grid_key[3 * h + 2] == c[2])
            return &t->grid_head[h];
        h = (h + 1) & (uint32_t)(t->hsize - 1);
    }
}

void mwxi_trk_grid_build(mwx_tracker_t *t, double tm)
{
    const int n = MWX_TRACK_NX;
    t->n_oversize = 0;
    for (int i = 0; i < t->cap; i++) {
        trk_t *k = &t->trk[i];
        double dt, p[3], rad;
        int32_t c[3];
        int *head;
        if (!k->active)
            continue;
        dt = tm - k->t;
        for (int a = 0; a < 3; a++)
            p[a] = k->comb.x[a] + k->comb.x[3 + a] * dt;
        /* 4 sigma of position and velocity over dt, plus up to 10 g unmodelled */
        rad = GATE_SIGMAS *
                  sqrt(k->comb.P[0] + k->comb.P[n + 1] + k->comb.P[2 * n + 2] +
                       dt * dt *
                           (k->comb.P[3 * n + 3] + k->comb.P[4 * n + 4] + k->comb.P[5 * n + 5])) +
              GATE_UNMODELLED_HALF_ACC_MPS2 * dt * dt + GATE_MARGIN_M;
        if (rad > t->cfg.grid_cell_m) {
            t->oversize[t->n_oversize++] = i;
            continue;
        }
        mwxi_trk_cell_of(t, p, c);
        head = mwxi_trk_grid_slot(t, c, 1);
        k->grid_next = *head;
        *head = i;
    }
}
