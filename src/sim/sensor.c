/* Sensor kinds and what they share: seeding, the scan schedule, the measurement header. */
#include "sim/sensor.h"

#include <math.h>
#include <string.h>

static const mwx_sensor_ops_t *ops_for(mwx_sensor_kind_t k)
{
    switch (k) {
    case MWX_SENSOR_RADAR: return &mwxi_radar_ops;
    case MWX_SENSOR_IR: return &mwxi_ir_satellite_ops;
    }
    return NULL;
}

int mwxi_sensor_init(mwx_sensor_t *s, const mwx_sensor_cfg_t *cfg, const mwx_physics_t *ph,
                     uint64_t seed, mwx_err_t *err)
{
    memset(s, 0, sizeof *s);
    s->ops = ops_for(cfg->kind);
    if (!s->ops)
        return mwx_err_set(err, MWX_EUNSUPPORTED, "sensor %s: unknown kind %d", cfg->id,
                           (int)cfg->kind);
    s->cfg = *cfg;
    s->earth = ph->earth;
    mwxi_rng_seed(&s->rng, seed, cfg->id);
    /* The first draw of the stream places the scan phase in [0, revisit). */
    s->phase_s = mwxi_rng_uniform(&s->rng) * cfg->revisit_s;
    return s->ops->init(s, err);
}

double mwxi_sensor_next_periodic(const mwx_sensor_t *s, double t)
{
    double rev = s->cfg.revisit_s;
    double k;
    if (t < s->phase_s)
        return s->phase_s;
    k = floor((t - s->phase_s) / rev) + 1.0;
    /* Guard the rounding of the division: the result must be strictly after t. */
    while (s->phase_s + k * rev <= t)
        k += 1.0;
    while (k > 1.0 && s->phase_s + (k - 1.0) * rev > t)
        k -= 1.0;
    return s->phase_s + k * rev;
}

void mwxi_sensor_meas_header(const mwx_sensor_t *s, double t, mwx_rec_meas_t *m)
{
    memset(m, 0, sizeof *m);
    m->t = t;
    mwx_strlcpy(m->sensor, s->cfg.id, sizeof m->sensor);
    mwx_strlcpy(m->nation, s->cfg.nation, sizeof m->nation);
    m->kind = s->cfg.kind;
    memcpy(m->sensor_ecef_m, s->pos_ecef, sizeof m->sensor_ecef_m);
}
