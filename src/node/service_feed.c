/* The live sensor feed of `mwx node` (feed "bus"): measurements from mwx-meas.NATION
 * queued by the bus thread and drained into the tracker on the loop's thread, paced by the
 * scenario clock. */
#define _POSIX_C_SOURCE 200809L
#include "service_state.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* How far behind its clock a live node keeps its time while the feed is quiet: a
 * measurement older than the node's time can no longer be tracked (late, dropped). At
 * least FEED_LAG_S of scenario time, and FEED_LAG_WALL_S of wall time (an accelerated
 * scenario must not turn a scheduling hiccup into lost measurements). */
#define FEED_LAG_S      2.0
#define FEED_LAG_WALL_S 0.5
#define FEED_QUEUE      8192
/* A sensor publishes a scan's measurements back to back: once the feed has been quiet
 * this long, the scan is taken as complete and tracked at once, not when the next scan
 * comes (a whole scan interval later). */
#define FEED_SCAN_QUIET_S 0.05

static double feed_lag(const svc_t *s)
{
    return fmax(FEED_LAG_S, FEED_LAG_WALL_S * s->cfg->speed);
}

/* On the bus's thread of delivery (inside mwx_bus_poll): decode, check, queue. The node
 * is fed from the loop, never from inside a poll. */
static void on_feed(void *user, const char *subject, const uint8_t *data, size_t len,
                    const char *reply)
{
    svc_t *s = user;
    mwx_record_t r;
    mwx_err_t e = {0};
    (void)subject;
    (void)reply;
    s->feed_in++;
    if (mwx_record_decode(MWX_REC_MEAS, data, len, &r, NULL, 0, &e) != MWX_OK ||
        mwx_rec_meas_check(&r.u.meas, &e) != MWX_OK ||
        strcmp(r.u.meas.nation, s->cfg->nation) != 0) {
        s->feed_bad++;
        return;
    }
    if (s->feed_n == s->feed_cap) {
        s->feed_full++;
        return;
    }
    s->feed_last_arrival = mwx_time_wall();
    if (s->feed_n == 0)
        s->feed_first_arrival = s->feed_last_arrival;
    s->feed_q[s->feed_n++] = r.u.meas;
}

/* Once the feed has been quiet for FEED_SCAN_QUIET_S (a sensor sends a scan back to back;
 * sensors publishing on their own arrive a little out of order), or the oldest queued
 * measurement has waited that long (a busy feed is never quiet), feed what is queued in
 * time order and complete the scan at once. A measurement ahead of the node's clock by
 * more than the lag is refused (`future`: a sensor clock gone wrong would otherwise
 * carry the node's time past every impact, all-clear every warning and make every later
 * measurement late); one older than the node's time is `late`. Then let the node's time
 * follow the clock (minus the lag) while the sensors are quiet, so warnings time out. */
static void drain_feed(svc_t *s)
{
    mwx_err_t e = {0};
    double lag = feed_lag(s), now_t = mwxi_svc_scn_now(s), clock_t = now_t - lag;
    size_t n0 = s->feed_n;
    int fed = 0;
    double now_w = mwx_time_wall();
    if (n0 > 0 && (now_w - s->feed_last_arrival >= FEED_SCAN_QUIET_S ||
                   now_w - s->feed_first_arrival >= FEED_SCAN_QUIET_S || n0 >= s->feed_cap / 2)) {
        /* stable: measurements of one time keep their arrival order (scans stay whole) */
        for (size_t i = 1; i < n0; i++) {
            mwx_rec_meas_t m = s->feed_q[i];
            size_t j = i;
            for (; j > 0 && s->feed_q[j - 1].t > m.t; j--)
                s->feed_q[j] = s->feed_q[j - 1];
            s->feed_q[j] = m;
        }
        for (size_t i = 0; i < n0 && s->rc == MWX_OK; i++) {
            const mwx_rec_meas_t *m = &s->feed_q[i]; /* the handler appends beyond n0 only */
            if (m->t > now_t + lag) {
                s->feed_future++;
                continue;
            }
            if (m->t < s->t_cur) {
                s->feed_late++;
                continue;
            }
            if (m->t > s->t_cur) {
                if (mwx_node_advance(s->node, m->t, &e) != MWX_OK)
                    mwxi_svc_fail_once(s, e.code, &e);
                s->t_cur = m->t;
            }
            if (mwx_node_meas(s->node, m, &e) != MWX_OK)
                mwxi_svc_fail_once(s, e.code, &e);
            s->feed_last_t = m->t;
            fed = 1;
        }
        memmove(s->feed_q, s->feed_q + n0, (s->feed_n - n0) * sizeof *s->feed_q);
        s->feed_n -= n0;
        s->feed_first_arrival = s->feed_last_arrival; /* of what came in meanwhile, if any */
        if (fed && mwx_node_advance(s->node, s->t_cur, &e) != MWX_OK) /* the scan is whole */
            mwxi_svc_fail_once(s, e.code, &e);
    }
    if (clock_t > s->t_cur && clock_t - s->feed_last_t > lag) {
        if (mwx_node_advance(s->node, clock_t, &e) != MWX_OK)
            mwxi_svc_fail_once(s, e.code, &e);
        s->t_cur = clock_t;
    }
    uint64_t drops = s->feed_bad + s->feed_late + s->feed_future + s->feed_full;
    if (drops != s->feed_logged_drops) {
        mwxi_svc_logw(
            s,
            "sensor feed: dropped %llu measurement(s) so far: %llu malformed or not ours, "
            "%llu late, %llu ahead of the clock, %llu queue full",
            (unsigned long long)drops, (unsigned long long)s->feed_bad,
            (unsigned long long)s->feed_late, (unsigned long long)s->feed_future,
            (unsigned long long)s->feed_full);
        s->feed_logged_drops = drops;
    }
}

/* The live loop: serve, feed, until stopped (or the scenario's end with exit_at_end). */
int mwxi_svc_run_live(svc_t *s, mwx_err_t *err)
{
    char subject[MWX_SUBJECT_LEN];
    int rc;
    s->feed_cap = FEED_QUEUE;
    s->feed_q = calloc(s->feed_cap, sizeof *s->feed_q);
    if (!s->feed_q)
        return mwx_err_set(err, MWX_ENOMEM, "node: out of memory");
    if ((rc = mwx_subject_meas(s->cfg->nation, subject)) != MWX_OK ||
        (rc = mwx_bus_subscribe(s->inner, subject, on_feed, s, err)) != MWX_OK)
        return rc;
    /* nothing to re-run: the tracker starts afresh, and what the outbox holds is history */
    mwx_node_set_publishing(s->node, 1);
    s->out_tracks = 0;
    /* a restart continues after what the recording holds, but never ahead of the clock */
    s->t_cur = fmin(s->rec_t_last > 0 ? s->rec_t_last : 0, fmax(mwxi_svc_scn_now(s), 0));
    s->feed_last_t = s->t_cur;
    mwxi_svc_replay_live(s);
    mwxi_svc_close_lost_fused(s);
    mwxi_svc_logf(s, "live: measurements from %s", subject);
    while (!*s->stop && s->rc == MWX_OK) {
        mwxi_svc_tick(s, s->feed_n ? FEED_SCAN_QUIET_S / 2 : TICK_S);
        drain_feed(s);
        /* with exit_at_end: once the feed's last measurements have had the lag to come */
        if (s->cfg->exit_at_end && mwxi_svc_scn_now(s) >= s->sc.duration_s + feed_lag(s)) {
            mwx_err_t e = {0};
            if (s->t_cur < s->sc.duration_s &&
                mwx_node_advance(s->node, s->sc.duration_s, &e) != MWX_OK)
                mwxi_svc_fail_once(s, e.code, &e);
            mwxi_svc_logf(s, "scenario ended at t = %.1f s", s->sc.duration_s);
            break;
        }
    }
    return MWX_OK;
}
