/*
 * The simulation run: the scenario record, then truth records and sensor measurements
 * merged in non-decreasing t to the sink.
 *
 * Event loop: every truth object of every launch (the vehicle, and each separated stage)
 * is a truth source (its start, then every truth_dt on the grid k * truth_dt of scenario
 * time, plus the vehicle's burnout and the impact; an object in orbit has no impact) and
 * every sensor a scan source
 * (phase + k * revisit). The earliest next event goes first; on a tie truth goes before
 * measurements, and lower indices before higher, so the order is fully determined.
 * Everything is clipped to [0, duration_s]. All buffers are allocated once, before the
 * loop.
 */
#include "mwx/sim.h"
#include "sim/sensor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OBJ (MWX_MAX_LAUNCHES * MWX_TRAJ_MAX_OBJECTS)

typedef struct truth_src {
    const mwx_traj_t *tr;
    int k;      /* object index in tr */
    int launch; /* index in sc->launches */
    mwx_traj_object_t obj;
    double t_burnout; /* the vehicle's; INFINITY for a separated part */
    double next_t;    /* INFINITY when done */
    int sent_burnout;
} truth_src_t;

typedef struct run {
    const mwx_scenario_t *sc;
    mwx_traj_t *owned[MWX_MAX_LAUNCHES];
    truth_src_t truth[MAX_OBJ];
    int n_truth;
    mwx_sensor_t sensors[MWX_MAX_SENSORS];
    double next_scan[MWX_MAX_SENSORS];
    mwx_sim_target_t targets[MAX_OBJ];
    mwx_rec_meas_t *meas; /* MWX_SENSOR_MAX_MEAS(MAX_OBJ) */
    double truth_dt;
} run_t;

/* The truth time after t for launch src: the next grid point, burnout and impact
 * included, never past impact or the end of the scenario. */
static double truth_after(const run_t *r, const truth_src_t *ts, double t)
{
    double dt = r->truth_dt;
    double k = floor(t / dt) + 1.0, next;
    while (k * dt <= t)
        k += 1.0;
    next = k * dt;
    if (!ts->sent_burnout && ts->t_burnout > t && ts->t_burnout < next)
        next = ts->t_burnout;
    if (next > ts->obj.t_end)
        next = ts->obj.t_end > t && ts->obj.impacts ? ts->obj.t_end : INFINITY;
    if (next > r->sc->duration_s)
        next = INFINITY;
    return next;
}

static int emit_truth(run_t *r, int i, mwx_sim_sink_fn sink, void *ctx, mwx_sim_stats_t *st,
                      mwx_err_t *err)
{
    truth_src_t *ts = &r->truth[i];
    mwx_record_t rec;
    double t = ts->next_t;
    int rc;
    memset(&rec, 0, sizeof rec);
    rec.type = MWX_REC_TRUTH;
    rec.u.truth.t = t;
    mwx_strlcpy(rec.u.truth.object, ts->obj.id, sizeof rec.u.truth.object);
    mwx_strlcpy(rec.u.truth.launch, r->sc->launches[ts->launch].id, sizeof rec.u.truth.launch);
    rc = mwx_traj_object_state(ts->tr, ts->k, t, rec.u.truth.ecef_m, rec.u.truth.vel_mps,
                               &rec.u.truth.phase);
    if (rc)
        return mwx_err_set(err, rc, "object %s: no trajectory state at t = %.3f s: %s", ts->obj.id,
                           t, mwx_strerror(rc));
    if (t >= ts->obj.t_end && ts->obj.impacts)
        rec.u.truth.phase = MWX_PHASE_IMPACT;
    if (t == ts->t_burnout)
        ts->sent_burnout = 1;
    if ((rc = sink(ctx, &rec)))
        return mwx_err_set(err, rc, "simulation stopped by its output at t = %.3f s", t);
    st->n_truth++;
    ts->next_t = truth_after(r, ts, t);
    return MWX_OK;
}

static int emit_scan(run_t *r, int j, mwx_sim_sink_fn sink, void *ctx, mwx_sim_stats_t *st,
                     mwx_err_t *err)
{
    mwx_sensor_t *s = &r->sensors[j];
    double t = r->next_scan[j];
    size_t nt = 0, nm;
    mwx_record_t rec;
    for (int i = 0; i < r->n_truth; i++) {
        const truth_src_t *ts = &r->truth[i];
        mwx_sim_target_t *tg = &r->targets[nt];
        if (t < ts->obj.t_start || t > ts->obj.t_end || (ts->obj.impacts && t >= ts->obj.t_end))
            continue;
        if (mwx_traj_object_state(ts->tr, ts->k, t, tg->ecef, tg->vel, &tg->phase))
            continue;
        tg->id = ts->obj.id;
        nt++;
    }
    nm = s->ops->scan(s, t, r->targets, nt, r->meas, MWX_SENSOR_MAX_MEAS(MAX_OBJ));
    st->n_scans++;
    rec.type = MWX_REC_MEAS;
    for (size_t k = 0; k < nm; k++) {
        int rc;
        rec.u.meas = r->meas[k];
        if ((rc = sink(ctx, &rec)))
            return mwx_err_set(err, rc, "simulation stopped by its output at t = %.3f s", t);
        st->n_meas++;
        if (!r->meas[k].truth_object[0])
            st->n_false_alarms++;
    }
    r->next_scan[j] = s->ops->next_scan(s, t);
    if (r->next_scan[j] > r->sc->duration_s)
        r->next_scan[j] = INFINITY;
    return MWX_OK;
}

static int setup(run_t *r, const mwx_scenario_t *sc, const mwx_sim_opts_t *opts, uint64_t seed,
                 mwx_err_t *err)
{
    int rc;
    r->sc = sc;
    r->truth_dt = opts && opts->truth_dt_s > 0 ? opts->truth_dt_s : 1.0;
    if (!(r->truth_dt >= 1e-3))
        r->truth_dt = 1e-3;
    r->meas = malloc(sizeof *r->meas * MWX_SENSOR_MAX_MEAS(MAX_OBJ));
    if (!r->meas)
        return mwx_err_set(err, MWX_ENOMEM, "simulation: out of memory");
    for (int i = 0; i < sc->n_launches; i++) {
        const mwx_traj_t *tr = sc->traj[i];
        mwx_traj_info_t info;
        if (!tr) {
            mwx_err_t e2 = {0, ""};
            rc = mwx_traj_create(&sc->physics, &sc->launches[i], sc->epoch, &r->owned[i], &e2);
            if (rc)
                return mwx_err_set(err, rc, "launch %s: %s", sc->launches[i].id,
                                   e2.msg[0] ? e2.msg : mwx_strerror(rc));
            tr = r->owned[i];
        }
        mwx_traj_get_info(tr, &info);
        for (int k = 0; k < mwx_traj_n_objects(tr); k++) {
            truth_src_t *ts = &r->truth[r->n_truth++];
            ts->tr = tr;
            ts->k = k;
            ts->launch = i;
            (void)mwx_traj_object(tr, k, &ts->obj);
            ts->t_burnout = k ? INFINITY : info.t_burnout;
            ts->next_t = ts->obj.t_start <= sc->duration_s ? ts->obj.t_start : INFINITY;
        }
    }
    for (int j = 0; j < sc->n_sensors; j++) {
        if ((rc = mwxi_sensor_init(&r->sensors[j], &sc->sensors[j], &sc->physics, seed, err)))
            return rc;
        r->next_scan[j] = r->sensors[j].ops->next_scan(&r->sensors[j], -1.0);
        if (r->next_scan[j] > sc->duration_s)
            r->next_scan[j] = INFINITY;
    }
    return MWX_OK;
}

static void teardown(run_t *r)
{
    for (int i = 0; i < MWX_MAX_LAUNCHES; i++)
        if (r->owned[i])
            mwx_traj_destroy(r->owned[i]);
    free(r->meas);
    free(r);
}

int mwx_sim_run_stats(const mwx_scenario_t *sc, const mwx_sim_opts_t *opts, mwx_sim_sink_fn sink,
                      void *ctx, mwx_sim_stats_t *stats, mwx_err_t *err)
{
    uint64_t seed = opts && opts->has_seed ? opts->seed : sc->seed;
    mwx_sim_stats_t st = {0, 0, 0, 0};
    mwx_record_t rec;
    run_t *r = calloc(1, sizeof *r);
    int rc;
    if (!r)
        return mwx_err_set(err, MWX_ENOMEM, "simulation: out of memory");
    if ((rc = setup(r, sc, opts, seed, err)))
        goto done;

    memset(&rec, 0, sizeof rec);
    rec.type = MWX_REC_SCENARIO;
    mwx_strlcpy(rec.u.scenario.name, sc->name, sizeof rec.u.scenario.name);
    mwx_strlcpy(rec.u.scenario.epoch, sc->epoch_str, sizeof rec.u.scenario.epoch);
    rec.u.scenario.status = sc->status;
    rec.u.scenario.seed = seed;
    rec.u.scenario.json = sc->json;
    if ((rc = sink(ctx, &rec))) {
        mwx_err_set(err, rc, "simulation stopped by its output at the scenario record");
        goto done;
    }

    for (;;) {
        double best = INFINITY;
        int bi = -1, is_truth = 0;
        for (int i = 0; i < r->n_truth; i++)
            if (r->truth[i].next_t < best) {
                best = r->truth[i].next_t;
                bi = i;
                is_truth = 1;
            }
        for (int j = 0; j < sc->n_sensors; j++)
            if (r->next_scan[j] < best) {
                best = r->next_scan[j];
                bi = j;
                is_truth = 0;
            }
        if (bi < 0)
            break;
        rc = is_truth ? emit_truth(r, bi, sink, ctx, &st, err)
                      : emit_scan(r, bi, sink, ctx, &st, err);
        if (rc)
            goto done;
    }
    rc = MWX_OK;
done:
    teardown(r);
    if (stats)
        *stats = st;
    return rc;
}

int mwx_sim_run(const mwx_scenario_t *sc, const mwx_sim_opts_t *opts, mwx_sim_sink_fn sink,
                void *ctx, mwx_err_t *err)
{
    return mwx_sim_run_stats(sc, opts, sink, ctx, NULL, err);
}
