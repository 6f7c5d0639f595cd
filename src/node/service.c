/*
 * `mwx node`: one nation's node as a long-running service on a real bus (docs/NODE.md).
 *
 * The service wraps the bus it gives the node core, so that it sees every envelope the
 * node publishes (written to the outbox and fdatasynced, one sync per group of envelopes,
 * BEFORE it goes out: service_commit.c) and every envelope
 * the node accepts (appended to the inbox). A restarted node reloads its outbox into the
 * sent log (partners can recover what they missed), continues its seqs above it, replays
 * its inbox (rebuilding the receiver's replay windows and the fused picture) while it
 * re-runs its scenario fast from t = 0 to the current scenario time, publishing only the
 * own-track updates its outbox does not hold. Gaps in a partner's seqs are recovered
 * with signed gap requests.
 */
#define _POSIX_C_SOURCE 200809L
#include "service_state.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Log lines: "TIME mwx node NATION: [warning: ]text" (log_format "text", for a terminal
 * and journald), or one JSON object a line {"ts","level","node","msg"} ("json"). With
 * log_file, SIGHUP (cfg->reopen) reopens it: logrotate renames the file, then signals. */
static void log_reopen(svc_t *s)
{
    FILE *f;
    if (!s->cfg->reopen || !*s->cfg->reopen)
        return;
    *s->cfg->reopen = 0;
    if (!s->own_log)
        return;
    f = fopen(s->cfg->log_path, "a");
    if (!f)
        return; /* keep writing to the old one rather than lose lines */
    fclose(s->log);
    s->log = f;
    s->log_reopens++;
}

static void vlog_(svc_t *s, const char *level, const char *fmt, va_list ap) MWX_PRINTF(3, 0);
static void vlog_(svc_t *s, const char *level, const char *fmt, va_list ap)
{
    char ts[40], msg[2048];
    log_reopen(s);
    (void)mwx_time_format(mwx_time_wall(), 0, 3, ts, sizeof ts);
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (s->cfg->log_json) {
        mwx_buf_t m = MWX_BUF_INIT; /* the message through the library's one JSON escaper */
        mwxi_buf_json_str(&m, msg);
        fprintf(s->log, "{\"ts\":\"%s\",\"level\":\"%s\",\"node\":\"%s\",\"msg\":%s}\n", ts, level,
                s->cfg->nation, m.oom || !m.p ? "\"\"" : m.p);
        mwxi_buf_free(&m);
    } else {
        int info = strcmp(level, "info") == 0;
        fprintf(s->log, "%s mwx node %s: %s%s%s\n", ts, s->cfg->nation, info ? "" : level,
                info ? "" : ": ", msg);
    }
    fflush(s->log);
}

void mwxi_svc_logf(svc_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog_(s, "info", fmt, ap);
    va_end(ap);
}

/* The node stops on this (the exit status says which). */
static void logf_err(svc_t *s, const char *fmt, ...) MWX_PRINTF(2, 3);
static void logf_err(svc_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog_(s, "error", fmt, ap);
    va_end(ap);
}

/* Something is wrong but the node goes on (drops, refusals, a lost bus). */
void mwxi_svc_logw(svc_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog_(s, "warning", fmt, ap);
    va_end(ap);
}

/* A partner that signs everything and announced no session while this node MACs for it:
 * an mwx built before sessions drops every MAC'd envelope as malformed, and only the
 * operator can tell which it is. Said once per partner. */
static void signed_only_check(svc_t *s)
{
    mwx_node_stats_t st;
    char tag[MWX_ID_LEN + 2];
    if (s->in_next < s->n_in)
        return; /* the inbox is still being replayed */
    mwx_node_get_stats(s->node, &st);
    if (!s->signed_based) {
        s->signed_based = 1;
        s->signed_base = st.signed_only;
    }
    if (st.signed_only <= s->signed_base || !st.signed_only_from[0])
        return;
    snprintf(tag, sizeof tag, " %s", st.signed_only_from);
    if (strstr(s->signed_warned, tag) ||
        strlen(s->signed_warned) + strlen(tag) >= sizeof s->signed_warned)
        return;
    strcat(s->signed_warned, tag);
    mwxi_svc_logw(s,
                  "partner %s signs every envelope and announced no session: this node sends it "
                  "session-MAC'd envelopes, which an mwx built before sessions drops as malformed; "
                  "if %s runs such a version, set \"sessions\": false in this node's config "
                  "(or it has \"sessions\": false, or lacks this node's key in its trust list)",
                  st.signed_only_from, st.signed_only_from);
}

void mwxi_svc_fail_once(svc_t *s, int rc, const mwx_err_t *e)
{
    if (s->rc == MWX_OK) {
        s->rc = rc;
        if (e)
            s->err = *e;
    }
}

double mwxi_svc_scn_now(const svc_t *s)
{
    return (mwx_time_wall() - s->start_unix) * s->cfg->speed;
}

static partner_t *partner(svc_t *s, const char *nation)
{
    for (int i = 0; i < s->n_partner; i++)
        if (strcmp(s->partner[i].nation, nation) == 0)
            return &s->partner[i];
    return NULL;
}

/* ------------------------------------------------------------- the bus wrapper */

#define SVC(b) ((svc_t *)(b)->impl)

static int w_connect(mwx_bus_t *b, mwx_err_t *err)
{
    return mwx_bus_connect(SVC(b)->inner, err);
}

static int w_publish(mwx_bus_t *b, const char *subject, const uint8_t *data, size_t len,
                     mwx_err_t *err)
{
    svc_t *s = SVC(b);
    if (strncmp(subject, "mwx.", 4) == 0) {
        mwx_envelope_t env;
        int log_it = mwx_envelope_peek(data, len, &env, NULL) == MWX_OK &&
                     env.seq > s->last_out_seq; /* once per envelope, not per recipient */
        /* nothing lost: on disk before it is on the wire (group commit, service_commit.c) */
        int rc = mwxi_svc_commit_put(s->commit, log_it ? env.sent_unix_s : 0, s->t_cur, log_it,
                                     subject, data, len, err);
        if (rc != MWX_OK) {
            mwxi_svc_fail_once(s, rc, err);
            return rc;
        }
        if (log_it) {
            s->last_out_seq = env.seq;
            if (env.type == MWX_PAYLOAD_TRACK)
                s->out_tracks++;
        }
        return MWX_OK;
    }
    return mwx_bus_publish(s->inner, subject, data, len, err);
}

/* The commit's publish (its own thread on NATS). Down or reconnecting: the partners
 * recover it from the outbox by gap request (counted; tick logs it). */
static int commit_pub(void *user, const char *subject, const uint8_t *data, size_t len)
{
    svc_t *s = user;
    return mwx_bus_publish(s->inner, subject, data, len, NULL);
}

/* Everything released to this node comes through here: into the node, then (when the
 * node's receiver accepted it) into the inbox. */
void mwxi_svc_deliver(svc_t *s, const uint8_t *data, size_t len, double recv_unix_s)
{
    mwx_share_counters_t before, after;
    mwx_envelope_t env;
    mwx_err_t e = {0};
    mwx_receiver_counters(mwx_node_receiver(s->node), &before);
    /* the node's clock as of now, not of the tick's start: one poll can drain a long queue
     * (a loaded machine, a burst of recovered envelopes) for longer than report_ahead_s
     * allows (1 s of wall time), and a partner's report made meanwhile would be taken for
     * one timed in the future: accepted by the receiver, then dropped as implausible, and
     * never asked for again */
    if (!s->replaying)
        mwx_node_set_clock(s->node, mwxi_svc_scn_now(s));
    if (mwx_node_receive_envelope(s->node, data, len, recv_unix_s, &e) != MWX_OK)
        mwxi_svc_fail_once(s, e.code, &e);
    mwx_receiver_counters(mwx_node_receiver(s->node), &after);
    if (after.accepted == before.accepted || mwx_envelope_peek(data, len, &env, NULL) != MWX_OK)
        return;
    partner_t *p = partner(s, env.origin);
    /* any accepted envelope is a sign of life (/readyz); after a silence, of a path back */
    if (p && !s->replaying && mwxi_gap_peer_heard(p, mwx_time_wall()))
        mwxi_svc_logf(s, "partner %s heard again: gap recovery resumes now", p->nation);
    if (p && env.seq > 0) { /* data only: a gap request is no sign of life here */
        if (!p->seen && !s->replaying)
            mwxi_svc_logf(s, "partner %s first seen (seq %llu)", env.origin,
                          (unsigned long long)env.seq);
        mwxi_gap_peer_seen(p, env.seq);
    }
    if (!s->replaying &&
        mwxi_svc_log_append(s->inbox, recv_unix_s > 0 ? recv_unix_s : mwx_time_wall(),
                            mwxi_svc_scn_now(s), data, len, 0, &e) != MWX_OK)
        mwxi_svc_fail_once(s, e.code, &e);
}

static void w_in(void *user, const char *subject, const uint8_t *data, size_t len,
                 const char *reply)
{
    mwxi_svc_deliver(user, data, len, 0);
}

/* A gap request is answered from the node's sent log, which holds envelopes as soon as
 * they are sealed: first wait until they are durable, so that no envelope leaves the node
 * (in a reply either) before it is on disk. An honest requester only asks below a seq it
 * has seen, which was published after its sync; this bounds what a partner asking ahead
 * could get. Gap requests are rare: one wait each is cheap. */
static void w_gap_in(void *user, const char *subject, const uint8_t *data, size_t len,
                     const char *reply)
{
    svc_t *s = user;
    mwx_err_t e = {0};
    if (mwxi_svc_commit_barrier(s->commit, &e) != MWX_OK)
        return; /* the sync failed: the loop stops the node */
    s->gap_fn(s->gap_user, subject, data, len, reply);
}

static int w_subscribe(mwx_bus_t *b, const char *pattern, mwx_bus_handler_fn fn, void *user,
                       mwx_err_t *err)
{
    svc_t *s = SVC(b);
    if (strncmp(pattern, "mwx-gap.", 8) == 0) {
        s->gap_fn = fn;
        s->gap_user = user;
        return mwx_bus_subscribe(s->inner, pattern, w_gap_in, s, err);
    }
    if (strncmp(pattern, "mwx.", 4) == 0) {
        s->in_fn = fn;
        s->in_user = user;
        return mwx_bus_subscribe(s->inner, pattern, w_in, s, err);
    }
    return mwx_bus_subscribe(s->inner, pattern, fn, user, err);
}

static int w_request(mwx_bus_t *b, const char *subject, const uint8_t *data, size_t len,
                     double timeout_s, uint8_t *reply, size_t cap, size_t *reply_len,
                     mwx_err_t *err)
{
    return mwx_bus_request(SVC(b)->inner, subject, data, len, timeout_s, reply, cap, reply_len,
                           err);
}

static int w_poll(mwx_bus_t *b, double timeout_s, mwx_err_t *err)
{
    return mwx_bus_poll(SVC(b)->inner, timeout_s, err);
}

static int w_flush(mwx_bus_t *b, double timeout_s, mwx_err_t *err)
{
    return mwx_bus_flush(SVC(b)->inner, timeout_s, err);
}

static void w_stats(mwx_bus_t *b, mwx_bus_stats_t *st)
{
    mwx_bus_stats(SVC(b)->inner, st);
}
static const char *w_last_error(mwx_bus_t *b)
{
    return mwx_bus_last_error(SVC(b)->inner);
}
static void w_close(mwx_bus_t *b)
{
    (void)b; /* the service closes the inner bus */
}
static int w_publish_request(mwx_bus_t *b, const char *subject, const char *reply,
                             const uint8_t *data, size_t len, mwx_err_t *err)
{
    return mwx_bus_publish_request(SVC(b)->inner, subject, reply, data, len, err);
}

static const mwx_bus_ops_t wrap_ops = {"mwx-node",   w_connect, w_publish,        w_subscribe,
                                       w_request,    w_poll,    w_flush,          w_stats,
                                       w_last_error, w_close,   w_publish_request};

/* ------------------------------------------------------------- the loop */

/* Log a growing drop total when it first moves and then each time it passes a power of
 * two: a flood is visible in the log at once, without a line per service tick. */
static int log_drop_total(uint64_t before, uint64_t now)
{
    if (before == 0)
        return 1;
    for (uint64_t p = 1; p != 0 && p <= now; p <<= 1)
        if (p > before)
            return 1;
    return 0;
}

/* A drop total's growth since *last into the log (first, then at each power of two:
 * "WHAT: N AFTER") and into /metrics (c, when the node serves them) */
static void count_drops(svc_t *s, mwx_counter_t *c, uint64_t *last, uint64_t now, const char *what,
                        const char *after)
{
    if (now <= *last)
        return;
    if (log_drop_total(*last, now))
        mwxi_svc_logw(s, "%s: %llu%s", what, (unsigned long long)now, after);
    if (c)
        mwx_counter_add(c, now - *last);
    *last = now;
}

static void update_metrics(svc_t *s)
{
    mwx_share_counters_t c;
    mwx_node_stats_t st;
    mwx_receiver_counters(mwx_node_receiver(s->node), &c);
    for (int d = 0; d < MWX_DROP_N; d++)
        if (c.dropped[d] > s->last_c.dropped[d]) {
            if (!s->replaying)
                mwxi_svc_logw(s, "dropped %llu envelope(s): %s (total %llu)",
                              (unsigned long long)(c.dropped[d] - s->last_c.dropped[d]),
                              mwx_drop_name((mwx_drop_t)d), (unsigned long long)c.dropped[d]);
            mwx_counter_add(s->c_drop[d], c.dropped[d] - s->last_c.dropped[d]);
        }
    mwx_counter_add(s->c_accepted, c.accepted - s->last_c.accepted);
    s->last_c = c;
    mwx_node_get_stats(s->node, &st);
    mwx_counter_add(s->c_published, st.published - mwx_counter_value(s->c_published));
    mwx_counter_add(s->c_gap_recovered, s->gap_recovered - mwx_counter_value(s->c_gap_recovered));
    mwx_counter_add(s->c_gap_failed, s->gap_failed - mwx_counter_value(s->c_gap_failed));
    if (st.gap_requests_refused > mwx_counter_value(s->c_gap_refused)) {
        if (log_drop_total(mwx_counter_value(s->c_gap_refused), st.gap_requests_refused))
            mwxi_svc_logw(s, "gap requests past their sender's rate: %llu refused (no reply)",
                          (unsigned long long)st.gap_requests_refused);
        mwx_counter_add(s->c_gap_refused,
                        st.gap_requests_refused - mwx_counter_value(s->c_gap_refused));
    }
    {
        static const char *const why[4] = {"unreadable or naming another node",
                                           "implausible (out of range, or ahead of this "
                                           "node's clock)",
                                           "beyond the fusion table",
                                           "beyond the warning "
                                           "context's room"};
        uint64_t v[4] = {st.bad_payloads, st.implausible, st.fusion_dropped, st.warn_full};
        char what[160];
        for (int i = 0; i < 4; i++) {
            snprintf(what, sizeof what, "verified partner track reports dropped, %s", why[i]);
            count_drops(s, s->c_report_drop[i], &s->last_drop[i], v[i], what, "");
        }
        count_drops(s, s->c_report_ahead, &s->last_ahead, st.reports_ahead,
                    "partner track reports timed ahead of this node's clock",
                    " not acknowledged (asked for again by gap request)");
        count_drops(s, s->c_own_refused, &s->last_own_refused, st.own_refused,
                    "own tracker reports that were no estimate (out of range, or a covariance "
                    "fusion refuses)",
                    " dropped, not sent");
    }
    mwx_gauge_set(s->g_t, s->t_cur);
    {
        /* how long each recipient has not acknowledged this node's oldest envelope to it */
        const mwx_sentlog_t *sl = mwx_node_sentlog(s->node);
        double now = mwx_time_wall(), oldest = 0;
        for (int i = 0; i < s->n_ack_to; i++) {
            double t = mwx_sentlog_unacked(sl, s->ack_to[i]);
            double age = t > 0 && now > t ? now - t : 0;
            mwx_gauge_set(s->g_unacked[i], age);
            mwx_gauge_set(s->g_acked[i], (double)mwx_sentlog_acked(sl, s->ack_to[i]));
            if (age > oldest)
                oldest = age;
        }
        mwx_gauge_set(s->g_unacked_max, oldest);
    }
    mwx_gauge_set(s->g_warn_restored, (double)st.warn.restored_series);
    mwx_gauge_set(s->g_warn_adopted, (double)st.warn.adopted);
}

/* /readyz: the bus is connected, the inbox replayed (caught up), and every partner heard
 * from before was heard within READY_HEARD_S (3 heartbeat periods: one late heartbeat is
 * jitter, not silence). A partner never heard does not hold readiness back (its policy
 * may release nothing to this node); it is named. */
#define READY_HEARD_S 3.0
static void update_ready(svc_t *s, double now)
{
    char detail[480];
    size_t o = 0;
    int ready = s->connected && s->in_next >= s->n_in;
    if (!s->web)
        return;
    detail[0] = '\0';
    if (!s->connected)
        o += (size_t)snprintf(detail + o, sizeof detail - o, "bus down; ");
    if (s->in_next < s->n_in)
        o += (size_t)snprintf(detail + o, sizeof detail - o, "replaying the inbox; ");
    for (int i = 0; i < s->n_partner && o < sizeof detail - 64; i++) {
        const partner_t *p = &s->partner[i];
        if (!p->last_heard) {
            o += (size_t)snprintf(detail + o, sizeof detail - o, "%s never heard; ", p->nation);
        } else if (now - p->last_heard > READY_HEARD_S) {
            ready = 0;
            o += (size_t)snprintf(detail + o, sizeof detail - o, "%s silent for %.0f s; ",
                                  p->nation, now - p->last_heard);
        }
    }
    if (o >= 2 && o < sizeof detail)
        detail[o - 2] = '\0';
    mwx_web_set_ready(s->web, ready, detail);
}

/* What the server refuses (permission violations) and what nats.c drops (slow consumer)
 * is logged and counted; a node whose every publish is refused (wrong credentials: a JP
 * node with KR's) shares nothing, so it stops with exit status 3 rather than run on as if
 * it did. */
static void bus_refusals(svc_t *s, const mwx_bus_stats_t *bs)
{
    if (bs->denied_publish > s->last_denied_pub || bs->denied_subscribe > s->last_denied_sub) {
        uint64_t n = bs->denied_publish + bs->denied_subscribe;
        if ((s->last_denied_pub + s->last_denied_sub) == 0 || (n & (n - 1)) == 0)
            mwxi_svc_logw(s, "the server refused %llu publish(es) and %llu subscription(s): %s",
                          (unsigned long long)bs->denied_publish,
                          (unsigned long long)bs->denied_subscribe, mwx_bus_last_error(s->inner));
        mwx_counter_add(s->c_denied, n - s->last_denied_pub - s->last_denied_sub);
        s->last_denied_pub = bs->denied_publish;
        s->last_denied_sub = bs->denied_subscribe;
    }
    if (bs->dropped_slow_consumer > s->last_slow) {
        if (log_drop_total(s->last_slow, bs->dropped_slow_consumer))
            mwxi_svc_logw(s,
                          "%llu message(s) dropped by the bus client (slow consumer; total %llu)",
                          (unsigned long long)(bs->dropped_slow_consumer - s->last_slow),
                          (unsigned long long)bs->dropped_slow_consumer);
        mwx_counter_add(s->c_slow, bs->dropped_slow_consumer - s->last_slow);
        s->last_slow = bs->dropped_slow_consumer;
    }
    /* the receive queue's drops: it was full, or the sending partner had its share of it
     * (a flood from one partner is refused there, not another partner's traffic) */
    if (bs->dropped_queue_full > s->last_qfull) {
        if (log_drop_total(s->last_qfull, bs->dropped_queue_full))
            mwxi_svc_logw(s,
                          "%llu message(s) dropped by the receive queue (full, or the sender's "
                          "share of it; total %llu)",
                          (unsigned long long)(bs->dropped_queue_full - s->last_qfull),
                          (unsigned long long)bs->dropped_queue_full);
        mwx_counter_add(s->c_qfull, bs->dropped_queue_full - s->last_qfull);
        s->last_qfull = bs->dropped_queue_full;
    }
    if (bs->denied_publish >= 3 && bs->denied_publish >= bs->published && s->rc == MWX_OK) {
        mwx_err_t e;
        mwx_err_set(&e, MWX_EBUS,
                    "the server refused every publish (%llu of %llu): %s; are these %s's "
                    "credentials (%s)?",
                    (unsigned long long)bs->denied_publish, (unsigned long long)bs->published,
                    mwx_bus_last_error(s->inner), s->cfg->nation,
                    s->cfg->creds_path[0] ? s->cfg->creds_path
                    : s->cfg->tls_cert[0] ? s->cfg->tls_cert
                                          : "no creds file");
        mwxi_svc_logf(s, "%s", e.msg);
        mwxi_svc_fail_once(s, MWX_EBUS, &e);
    }
}

/* Free bytes in outputs: statvfs, or (tests only) the number in the file named by
 * MWX_TEST_DISK_FREE_FILE, read at each sample, so that a test can make a disk "nearly
 * full" without root or a small file system. */
static double disk_free(svc_t *s, double measured)
{
    const char *f = getenv("MWX_TEST_DISK_FREE_FILE");
    FILE *fp;
    double v;
    if (!f || !*f || !(fp = fopen(f, "r")))
        return measured;
    if (fscanf(fp, "%lf", &v) != 1)
        v = measured;
    fclose(fp);
    return v;
}

/* Disk nearly full (free < disk_low_bytes, checked every second): the node keeps the
 * public warning path (CAP files, warning journal, outbox, inbox) working before anything
 * else. It stops recording track states (the bulk of the recording: alerts and share
 * decisions are still recorded), compacts every closed recording segment now and keeps
 * only the last MWX_NODE_LOG_KEEP_ENTRIES envelopes of the logs; it says so in the log
 * and in /metrics (mwx_node_disk_low). It leaves that state once 10 % more than the
 * threshold is free again (no flapping at the edge). */
static void disk_check(svc_t *s, double free_b)
{
    mwx_err_t e = {0};
    uint64_t lim = s->cfg->disk_low_bytes;
    if (!lim || free_b < 0)
        return;
    if (!s->disk_low && free_b < (double)lim) {
        mwx_retention_t tight = s->cfg->retention;
        s->disk_low = 1;
        /* the gauge before the log line: whoever reads the line and then /metrics sees
         * the state it announces (node_service_disk once read 0 in between) */
        if (s->g_disk_low)
            mwx_gauge_set(s->g_disk_low, 1);
        mwxi_svc_logw(s,
                      "disk low at t = %.1f s: %.1f MiB free in %s (below %.1f MiB): the public "
                      "warning path "
                      "goes first; track states are no longer recorded (alerts and share decisions "
                      "are), the recording's closed segments are compacted and the logs keep only "
                      "their last %d envelopes",
                      mwxi_svc_scn_now(s), free_b / 1048576.0, s->cfg->outputs,
                      (double)lim / 1048576.0, MWX_NODE_LOG_KEEP_ENTRIES);
        tight.keep_bytes = 1; /* every closed log segment beyond the last 8192 envelopes */
        if (!tight.segment_bytes || tight.segment_bytes > 1048576)
            tight.segment_bytes = 1048576;
        mwxi_svc_log_set_retention(s->outbox, &tight, MWX_NODE_LOG_KEEP_ENTRIES);
        mwxi_svc_log_set_retention(s->inbox, &tight, MWX_NODE_LOG_KEEP_ENTRIES);
        if (mwx_recwriter_squeeze(s->rec, 1, &e) != MWX_OK)
            mwxi_svc_fail_once(s, e.code, &e);
    } else if (s->disk_low && free_b >= 1.1 * (double)lim) {
        s->disk_low = 0;
        if (s->g_disk_low)
            mwx_gauge_set(s->g_disk_low, 0);
        mwxi_svc_logf(s,
                      "disk ok again at t = %.1f s: %.1f MiB free in %s; recording everything "
                      "(%llu track states were not recorded)",
                      mwxi_svc_scn_now(s), free_b / 1048576.0, s->cfg->outputs,
                      (unsigned long long)s->records_shed);
        mwxi_svc_log_set_retention(s->outbox, &s->cfg->retention, MWX_NODE_LOG_KEEP_ENTRIES);
        mwxi_svc_log_set_retention(s->inbox, &s->cfg->retention, MWX_NODE_LOG_KEEP_ENTRIES);
        if (mwx_recwriter_squeeze(s->rec, 0, &e) != MWX_OK)
            mwxi_svc_fail_once(s, e.code, &e);
    }
}

/* A failed compaction does not stop the node (the recording's closed segments stay whole
 * and are read as before; the next rotation tries again): logged and counted. */
static void compaction_check(svc_t *s)
{
    mwx_err_t e = {0};
    uint64_t n = mwx_recwriter_compaction_failures(s->rec, &e);
    if (n == s->compact_failed)
        return;
    /* logged at the first failure, then at each power of two (one a rotation otherwise) */
    for (uint64_t k = s->compact_failed + 1; k <= n; k++)
        if ((k & (k - 1)) == 0) {
            mwxi_svc_logw(s,
                          "compaction of the recording failed (%llu so far): %s; the node goes "
                          "on, the closed segments stay as they are",
                          (unsigned long long)n, e.msg);
            break;
        }
    if (s->c_compact_failed)
        mwx_counter_add(s->c_compact_failed, n - s->compact_failed);
    s->compact_failed = n;
}

/* Partner envelopes out of reach for good (mwx_share_counters_t.given_up, window_jumps):
 * logged when they move, per partner. The window is as deep as a partner's sent log, so
 * this takes a partner silent, or this node away, for longer than MWX_REPLAY_WINDOW
 * envelopes; a loss is then said, never silent. `quiet`: take the counts as known (what
 * an inbox replay found again is not news). */
static void losses_check(svc_t *s, int quiet)
{
    mwx_receiver_t *r = mwx_node_receiver(s->node);
    for (int i = 0; i < s->n_partner; i++) {
        partner_t *p = &s->partner[i];
        uint64_t g = mwx_receiver_given_up(r, p->nation),
                 j = mwx_receiver_window_jumps(r, p->nation);
        if (g > p->given_up_logged && !quiet)
            mwxi_svc_logw(s,
                          "partner %s: %llu envelope(s) given up (%llu so far): they left the "
                          "replay window (%d seqs) before gap recovery brought them",
                          p->nation, (unsigned long long)(g - p->given_up_logged),
                          (unsigned long long)g, MWX_REPLAY_WINDOW);
        if (j > p->jumps_logged && !quiet)
            mwxi_svc_logw(s,
                          "partner %s: its seqs jumped a whole replay window ahead (to %llu): "
                          "what it sent between cannot be asked for (a restart without its "
                          "outbox, or more than %d envelopes while this node was away)",
                          p->nation, (unsigned long long)mwx_receiver_highest(r, p->nation),
                          MWX_REPLAY_WINDOW);
        p->given_up_logged = g;
        p->jumps_logged = j;
    }
}

/* Service duties: bus, heartbeat, gaps, durability, events. */
void mwxi_svc_tick(svc_t *s, double timeout_s)
{
    mwx_err_t e = {0};
    mwx_bus_stats_t bs;
    double now;

    log_reopen(s); /* SIGHUP: at once, not at the next line (logrotate waits for it) */
    mwx_node_set_clock(s->node, mwxi_svc_scn_now(s));
    int rc = mwx_node_poll(s->node, timeout_s, &e);
    if (rc < 0 && rc != MWX_EBUS)
        mwxi_svc_fail_once(s, rc, &e);
    now = mwx_time_wall();
    mwx_bus_stats(s->inner, &bs);
    if (bs.connected != s->connected) {
        s->connected = bs.connected;
        if (bs.connected)
            mwxi_svc_logf(s, "bus up (reconnected; %llu reconnects)",
                          (unsigned long long)bs.reconnects);
        else
            mwxi_svc_logw(s, "bus down (%s); tracking and recording go on",
                          mwx_bus_last_error(s->inner));
        mwx_gauge_set(s->g_connected, bs.connected);
    }
    bus_refusals(s, &bs);
    {
        svc_commit_stats_t cs;
        mwxi_svc_commit_stats(s->commit, &cs);
        if (cs.publish_failed > s->publish_fail) {
            if (s->publish_fail == 0)
                mwxi_svc_logf(s, "publish failed (%s); partners will recover from the outbox",
                              mwx_bus_last_error(s->inner));
            s->publish_fail = cs.publish_failed;
        }
        if (s->c_syncs)
            mwx_counter_add(s->c_syncs, cs.syncs - mwx_counter_value(s->c_syncs));
    }
    if (now - s->last_hb >= 1.0) {
        s->last_hb = now;
        if (mwx_node_heartbeat(s->node, &e) != MWX_OK && e.code != MWX_EBUS)
            mwxi_svc_fail_once(s, e.code, &e);
        signed_only_check(s);
    }
    /* not before the inbox is replayed: what it holds is not missing */
    if (s->connected && s->in_next >= s->n_in && now - s->last_gap >= GAP_PERIOD_S) {
        s->last_gap = now;
        mwxi_svc_gap_check(s, now);
    }
    if (now - s->last_sync >= 1.0) {
        s->last_sync = now;
        update_ready(s, now);
        losses_check(s, 0);
        {
            double rss, fds, dfree;
            mwxi_svc_proc_sample(s->cfg->outputs, &rss, &fds, &dfree);
            dfree = disk_free(s, dfree);
            if (s->web) {
                mwx_gauge_set(s->g_rss, rss);
                mwx_gauge_set(s->g_fds, fds);
                mwx_gauge_set(s->g_disk_free, dfree);
            }
            disk_check(s, dfree);
            compaction_check(s);
        }
        if (mwx_recwriter_flush(s->rec, 1, &e) != MWX_OK ||
            mwxi_svc_log_sync(s->inbox, &e) != MWX_OK || mwx_node_sync_views(s->node, &e) != MWX_OK)
            mwxi_svc_fail_once(s, e.code, &e);
    }
    update_metrics(s);
}

/* Feed the inbox entries received before scenario time t (restart). */
void mwxi_svc_replay_inbox(svc_t *s, double t)
{
    if (s->in_next >= s->n_in)
        return;
    mwx_err_t e = {0};
    if (s->in_ent[s->in_next].t_scn >= t)
        return;
    mwx_node_set_clock(s->node, mwxi_svc_scn_now(s)); /* what the inbox holds is not ahead of it */
    s->replaying = 1;
    /* history: the warning views are written once at its end, not per envelope */
    if (mwx_node_set_replay(s->node, 1, &e) != MWX_OK)
        mwxi_svc_fail_once(s, e.code, &e);
    while (s->in_next < s->n_in && s->in_ent[s->in_next].t_scn < t) {
        const inbox_ent_t *ie = &s->in_ent[s->in_next++];
        mwxi_svc_deliver(s, s->in_data + ie->off, ie->len, ie->unix_s);
    }
    if (mwx_node_set_replay(s->node, 0, &e) != MWX_OK)
        mwxi_svc_fail_once(s, e.code, &e);
    update_metrics(s); /* the replayed drops are not news */
    losses_check(s, 1);
    s->replaying = 0;
    if (s->in_next >= s->n_in)
        mwxi_svc_logf(s, "inbox replayed (%zu envelopes)", s->n_in);
}

/* A live feed's restart: the inbox, read again from disk as setup only counted it. What
 * was received more than replay_horizon_s of scenario time ago can no longer be in the
 * picture (every flight it saw is over), so it rebuilds the receiver's state only: the
 * replay windows (a partner's old seqs are not taken again, its gaps are still asked
 * for) and the partners' sessions (announced once at their start; the MAC'd envelopes
 * after the horizon need them). The rest goes through fusion and warnings, in replay
 * mode. The time to start again is then bounded by the horizon's traffic plus a read of
 * the retained inbox, not by its whole replay (docs/NODE.md, "Restart"). */
void mwxi_svc_replay_live(svc_t *s)
{
    char path[MWX_PATH_LEN * 2];
    mwx_err_t e = {0};
    double now = mwxi_svc_scn_now(s);
    if (s->n_in == 0)
        return;
    s->replay_from = s->cfg->replay_horizon_s > 0 ? now - s->cfg->replay_horizon_s : -INFINITY;
    mwx_node_set_clock(s->node, now);
    s->replaying = 1;
    s->in_next = 0;
    if (mwx_node_set_replay(s->node, 1, &e) != MWX_OK)
        mwxi_svc_fail_once(s, e.code, &e);
    snprintf(path, sizeof path, "%s/node-%s.inbox", s->cfg->outputs, s->cfg->nation);
    int rc = mwxi_svc_log_read(path, mwxi_svc_inbox_live, s, &e);
    if (s->in_history) {
        mwx_node_set_history(s->node, 0);
        s->in_history = 0;
    }
    if (rc != MWX_OK && s->rc == MWX_OK)
        mwxi_svc_fail_once(s, rc, &e);
    if (mwx_node_set_replay(s->node, 0, &e) != MWX_OK)
        mwxi_svc_fail_once(s, e.code, &e);
    update_metrics(s); /* the replayed drops are not news */
    losses_check(s, 1);
    s->replaying = 0;
    mwxi_svc_logf(s,
                  "inbox replayed (%zu envelopes; %zu received more than %g s before t = %.1f s "
                  "for the replay windows and sessions only, %zu of them below the windows "
                  "passed over)",
                  s->in_next, s->n_in_hist, s->cfg->replay_horizon_s, now, s->n_in_skip);
    s->in_next = s->n_in;
}

/* Wait (serving) until the scenario clock reaches t. */
static void pace(svc_t *s, double t)
{
    for (;;) {
        double now_t = mwxi_svc_scn_now(s);
        if (s->rc != MWX_OK || *s->stop)
            return;
        if (now_t >= t) {
            /* behind (a restart re-running its scenario): still serve now and then */
            if (mwx_time_wall() - s->last_flush >= TICK_S) {
                s->last_flush = mwx_time_wall();
                mwxi_svc_tick(s, 0);
            }
            return;
        }
        if (!s->caught_up) {
            s->caught_up = 1;
            if (s->rec_t_last >= 0)
                mwxi_svc_logf(s, "caught up with the scenario clock at t = %.1f s", t);
        }
        double wait = (t - now_t) / s->cfg->speed;
        mwxi_svc_tick(s, wait < TICK_S ? wait : TICK_S);
        s->last_flush = mwx_time_wall();
    }
}

static int sink(void *user, const mwx_record_t *rec)
{
    svc_t *s = user;
    mwx_err_t e = {0};
    if (rec->type != MWX_REC_MEAS || strcmp(rec->u.meas.nation, s->cfg->nation) != 0)
        return *s->stop ? MWX_EAGAIN : s->rc; /* truth and others' sensors: not ours */
    if (rec->u.meas.t > s->t_cur) {
        /* A later measurement completes the scans at t_cur: track (and publish) them now,
         * not after waiting for this one's time (that cost a whole scan interval of
         * latency on every track report). */
        if (s->scan_pending) {
            s->scan_pending = 0;
            if (mwx_node_advance(s->node, s->t_cur, &e) != MWX_OK)
                mwxi_svc_fail_once(s, e.code, &e);
        }
        pace(s, rec->u.meas.t);
        if (*s->stop)
            return MWX_EAGAIN;
        mwxi_svc_replay_inbox(s, rec->u.meas.t);
        if (mwx_node_advance(s->node, rec->u.meas.t, &e) != MWX_OK)
            mwxi_svc_fail_once(s, e.code, &e);
        s->t_cur = rec->u.meas.t;
    }
    if (mwx_node_meas(s->node, &rec->u.meas, &e) != MWX_OK)
        mwxi_svc_fail_once(s, e.code, &e);
    s->scan_pending = 1;
    return *s->stop ? MWX_EAGAIN : s->rc;
}

static int open_bus(svc_t *s, mwx_err_t *err)
{
    const mwx_node_service_cfg_t *c = s->cfg;
    int rc;
    if (strcmp(c->bus, "inproc") == 0) {
        /* alone in this process: nothing to share with, but the node runs the same */
        if ((rc = mwx_inproc_hub_create(&s->policy, &s->hub, err)) != MWX_OK)
            return rc;
        return mwx_bus_inproc_open(s->hub, c->nation, &s->inner, err);
    }
    mwx_nats_opts_t o;
    char user[128] = "", pass[256] = "", name[64];
    memset(&o, 0, sizeof o);
    if (c->creds_path[0] && (rc = mwx_nats_creds_load(c->creds_path, user, sizeof user, pass,
                                                      sizeof pass, err)) != MWX_OK)
        return rc;
    snprintf(name, sizeof name, "mwx-node-%s", c->nation);
    o.url = c->bus;
    o.user = user[0] ? user : NULL;
    o.password = pass[0] ? pass : NULL;
    o.name = name;
    o.send_asap = 1;
    o.max_reconnect = -1; /* a service waits for its bus forever */
    o.reconnect_wait_s = 0.25;
    o.queue_slots = 16384;
    if (c->tls_ca[0]) {
        o.tls_ca = c->tls_ca;
        o.tls_cert = c->tls_cert;
        o.tls_key = c->tls_key;
        o.tls_server_name = c->tls_server_name[0] ? c->tls_server_name : NULL;
    }
    rc = mwx_bus_nats_open(&o, &s->inner, err);
    if (rc != MWX_OK && err)
        mwx_err_prefix(err, "cannot reach the bus");
    return rc;
}

static int register_metrics(svc_t *s, mwx_err_t *err)
{
    mwx_metrics_t *m = mwx_web_metrics(s->web);
    char lab[96];
    int rc;
    snprintf(lab, sizeof lab, "node=\"%s\"", s->cfg->nation);
    if ((rc = mwx_metrics_gauge(m, "mwx_node_bus_connected", lab, "1 when the bus is up",
                                &s->g_connected, err)) ||
        (rc = mwx_metrics_gauge(m, "mwx_node_scenario_time_seconds", lab,
                                "scenario time the node has reached", &s->g_t, err)) ||
        (rc = mwx_metrics_counter(m, "mwx_share_accepted_total", lab,
                                  "envelopes accepted from partners", &s->c_accepted, err)) ||
        (rc = mwx_metrics_counter(m, "mwx_node_published_total", lab, "envelopes published",
                                  &s->c_published, err)) ||
        (rc = mwx_metrics_counter(m, "mwx_node_outbox_syncs_total", lab,
                                  "fdatasyncs of the outbox (one per group of envelopes)",
                                  &s->c_syncs, err)) ||
        (rc =
             mwx_metrics_counter(m, "mwx_node_gap_recovered_total", lab,
                                 "envelopes recovered by gap request", &s->c_gap_recovered, err)) ||
        (rc = mwx_metrics_counter(m, "mwx_node_gap_failed_total", lab,
                                  "gap requests refused or unanswered", &s->c_gap_failed, err)) ||
        (rc = mwx_metrics_counter(m, "mwx_node_gap_requests_refused_total", lab,
                                  "partners' gap requests past their rate (no reply)",
                                  &s->c_gap_refused, err)) ||
        (rc = mwx_metrics_counter(m, "mwx_node_bus_denied_total", lab,
                                  "publishes and subscriptions the server refused", &s->c_denied,
                                  err)) ||
        (rc = mwx_metrics_counter(m, "mwx_node_bus_slow_consumer_dropped_total", lab,
                                  "messages the bus client dropped (slow consumer)", &s->c_slow,
                                  err)) ||
        (rc = mwx_metrics_counter(m, "mwx_node_bus_queue_dropped_total", lab,
                                  "messages the receive queue dropped (full, or the sending "
                                  "partner's share of it)",
                                  &s->c_qfull, err)) ||
        (rc = mwx_metrics_gauge(m, "mwx_process_resident_memory_bytes", lab,
                                "resident memory of the node process", &s->g_rss, err)) ||
        (rc = mwx_metrics_gauge(m, "mwx_process_open_fds", lab,
                                "open file descriptors of the node process", &s->g_fds, err)) ||
        (rc = mwx_metrics_gauge(m, "mwx_node_outputs_disk_free_bytes", lab,
                                "free bytes (for this user) on the outputs' file system",
                                &s->g_disk_free, err)) ||
        (rc = mwx_metrics_gauge(m, "mwx_node_disk_low", lab,
                                "1 while free bytes in outputs are below disk_low_bytes "
                                "(track states not recorded; the warning path goes on)",
                                &s->g_disk_low, err)) ||
        (rc = mwx_metrics_counter(m, "mwx_node_records_shed_total", lab,
                                  "track states not recorded while the disk was low", &s->c_shed,
                                  err)) ||
        (rc = mwx_metrics_counter(m, "mwx_node_compaction_failed_total", lab,
                                  "failed compactions of the recording (the node went on)",
                                  &s->c_compact_failed, err)) ||
        (rc = mwx_metrics_gauge(m, "mwx_node_warn_series_restored", lab,
                                "alert series restored from the warning journal at start",
                                &s->g_warn_restored, err)) ||
        (rc = mwx_metrics_gauge(m, "mwx_node_warn_series_adopted", lab,
                                "restored alert series taken over by a rebuilt track",
                                &s->g_warn_adopted, err)))
        return rc;
    for (int d = 0; d < MWX_DROP_N; d++) {
        snprintf(lab, sizeof lab, "node=\"%s\",reason=\"%s\"", s->cfg->nation,
                 mwx_drop_name((mwx_drop_t)d));
        if ((rc = mwx_metrics_counter(m, "mwx_share_dropped_total", lab,
                                      "envelopes dropped by the receiver", &s->c_drop[d], err)))
            return rc;
    }
    /* verified track reports the node still drops: unreadable or naming another node,
     * outside what a missile can be, beyond the fusion table or the partner's share of it,
     * beyond the warning context's room */
    static const char *const why[4] = {"bad_payload", "implausible", "fusion_full", "warn_full"};
    for (int i = 0; i < 4; i++) {
        snprintf(lab, sizeof lab, "node=\"%s\",reason=\"%s\"", s->cfg->nation, why[i]);
        if ((rc = mwx_metrics_counter(m, "mwx_node_reports_dropped_total", lab,
                                      "verified track reports dropped by the node",
                                      &s->c_report_drop[i], err)))
            return rc;
    }
    snprintf(lab, sizeof lab, "node=\"%s\"", s->cfg->nation);
    if ((rc = mwx_metrics_gauge(m, "mwx_share_unacked_oldest_age_seconds", lab,
                                "age of the oldest envelope a recipient has not acknowledged "
                                "(the largest over recipients; 0: all acknowledged)",
                                &s->g_unacked_max, err)))
        return rc;
    {
        /* recipients that share with this node too: only they send it heartbeats, so only
         * they can ack (a one-way recipient's age would only grow) */
        char to[MWX_MAX_NATIONS][MWX_ID_LEN];
        int n = mwx_policy_recipients(&s->policy, s->cfg->nation, to);
        s->n_ack_to = 0;
        for (int i = 0; i < n; i++)
            if (mwx_policy_allows(&s->policy, to[i], s->cfg->nation))
                memcpy(s->ack_to[s->n_ack_to++], to[i], MWX_ID_LEN);
    }
    for (int i = 0; i < s->n_ack_to; i++) {
        snprintf(lab, sizeof lab, "node=\"%s\",partner=\"%s\"", s->cfg->nation, s->ack_to[i]);
        if ((rc = mwx_metrics_gauge(m, "mwx_share_partner_unacked_age_seconds", lab,
                                    "age of the oldest envelope released to the partner that "
                                    "its heartbeats have not acknowledged (0: none)",
                                    &s->g_unacked[i], err)) ||
            (rc = mwx_metrics_gauge(m, "mwx_share_partner_acked_seq", lab,
                                    "the highest of this node's seqs the partner acknowledged",
                                    &s->g_acked[i], err)))
            return rc;
    }
    snprintf(lab, sizeof lab, "node=\"%s\"", s->cfg->nation);
    if ((rc = mwx_metrics_counter(m, "mwx_node_reports_ahead_total", lab,
                                  "verified track reports timed ahead of the node's clock, "
                                  "not acknowledged (asked for again)",
                                  &s->c_report_ahead, err)))
        return rc;
    if ((rc = mwx_metrics_counter(m, "mwx_node_own_reports_refused_total", lab,
                                  "the own tracker's reports that were no estimate: dropped, "
                                  "not sent, recorded or fused",
                                  &s->c_own_refused, err)))
        return rc;
    return MWX_OK;
}

static int start_web(svc_t *s, mwx_err_t *err)
{
    char host[64];
    const char *colon = strrchr(s->cfg->http, ':');
    size_t hl = (size_t)(colon - s->cfg->http);
    unsigned port = (unsigned)atoi(colon + 1);
    char assets[MWX_PATH_LEN * 2];
    int rc;
    if (hl >= sizeof host)
        hl = sizeof host - 1;
    memcpy(host, s->cfg->http, hl);
    host[hl] = 0;
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = 0;
    }
    rc = mwx_web_default_assets(assets, sizeof assets, NULL);
    if ((rc = mwx_web_start(host, port, rc == MWX_OK ? assets : NULL, &s->web, err)) != MWX_OK)
        return rc;
    return register_metrics(s, err);
}

static int setup(svc_t *s, mwx_err_t *err)
{
    const mwx_node_service_cfg_t *c = s->cfg;
    json_t *root = NULL;
    char path[MWX_PATH_LEN * 2];
    double start, hdr_start;
    int rc, existed, in_existed;

    if ((rc = mwx_scenario_load(c->sensors_path, &s->sc, err)) != MWX_OK)
        return rc;
    s->sc_loaded = 1;
    if ((rc = mwx_json_load_string(s->sc.json, strlen(s->sc.json), c->sensors_path, &root, err)) !=
        MWX_OK)
        return rc;
    rc = mwx_policy_from_json(root, c->sensors_path, &s->policy, err);
    json_decref(root);
    if (rc != MWX_OK)
        return rc;
    if (mwx_policy_index(&s->policy, c->nation) < 0)
        return mwx_err_set(err, MWX_EINVAL, "%s: $.nation: \"%s\" is not a nation of %s", c->file,
                           c->nation, c->sensors_path);
    if ((rc = mwx_key_load_secret(c->key_path, c->nation, &s->key, err)) != MWX_OK)
        return mwx_err_prefix(err, "%s: $.key", c->file);

    memset(&s->nc, 0, sizeof s->nc);
    mwx_strlcpy(s->nc.nation, c->nation, sizeof s->nc.nation);
    for (int i = 0; i < c->n_trust; i++) {
        mwx_node_trust_t *t = &s->nc.trusted[s->nc.n_trusted];
        if (strcmp(c->trust_nation[i], c->nation) == 0)
            continue;
        if ((rc = mwx_key_load_public(c->trust_path[i], c->trust_nation[i], t->pk, NULL, err)) !=
            MWX_OK)
            return mwx_err_prefix(err, "%s: $.trust.%s", c->file, c->trust_nation[i]);
        mwx_strlcpy(t->nation, c->trust_nation[i], sizeof t->nation);
        s->nc.n_trusted++;
        if (s->n_partner < MWX_MAX_NATIONS)
            mwxi_gap_peer_init(&s->partner[s->n_partner++], t->nation);
    }
    if ((rc = mwx_mkdir_p(c->outputs, 0755, err)) != MWX_OK)
        return rc;

    /* what survives from an earlier run: recording, inbox (outbox after the node exists) */
    snprintf(path, sizeof path, "%s/node-%s.mwxr", c->outputs, c->nation);
    if ((rc = mwxi_svc_scan_recording(s, path, c->feed == MWX_FEED_BUS ? c->replay_horizon_s : 0,
                                      err)) != MWX_OK)
        return rc;
    start = c->start_unix > 0 ? c->start_unix : mwx_time_wall();
    snprintf(path, sizeof path, "%s/node-%s.inbox", c->outputs, c->nation);
    if ((rc = mwxi_svc_log_open(
             path, start, c->feed == MWX_FEED_BUS ? mwxi_svc_inbox_count : mwxi_svc_inbox_entry, s,
             &s->inbox, &hdr_start, &in_existed, err)) != MWX_OK)
        return rc;
    mwxi_svc_log_set_retention(s->inbox, &c->retention, MWX_NODE_LOG_KEEP_ENTRIES);

    if ((rc = open_bus(s, err)) != MWX_OK)
        return rc;
    {
        /* the reply inbox of this run's gap requests */
        char sub[MWX_SUBJECT_LEN];
        s->gap_nonce = (unsigned)randombytes_random();
        snprintf(sub, sizeof sub, "_INBOX.mwxgap.%s.%08x.>", c->nation, s->gap_nonce);
        if ((rc = mwx_bus_subscribe(s->inner, sub, mwxi_svc_on_gap_reply, s, err)) != MWX_OK)
            return rc;
    }
    mwxi_svc_logf(s, "connected to %s", strcmp(c->bus, "inproc") == 0 ? "the inproc bus" : c->bus);
    s->connected = 1;
    s->wrap.ops = &wrap_ops;
    s->wrap.impl = s;

    s->nc.epoch_unix = s->sc.epoch;
    s->nc.status = s->sc.status;
    s->nc.source = MWX_WARN_SOURCE_SIMULATED;
    s->nc.physics = s->sc.physics;
    s->nc.policy = &s->policy;
    s->nc.key = &s->key;
    s->nc.bus = &s->wrap;
    s->nc.regions_path = c->regions_path[0]      ? c->regions_path
                         : s->sc.regions_path[0] ? s->sc.regions_path
                                                 : NULL;
    s->nc.out_dir = c->outputs;
    s->nc.run_id = s->sc.name;
    s->nc.tak_endpoint = c->tak[0] ? c->tak : NULL;
    s->nc.stale_s = c->stale_s;
    s->nc.sessions = c->sessions; /* session MACs + signed checkpoints (docs/SHARING.md) */
    s->nc.sim_clock = 0;
    /* partners' clocks may be a second apart (their scenario clocks `speed` times that) */
    s->nc.report_ahead_s = fmax(5.0, c->speed);
    s->nc.on_record = mwxi_svc_on_record;
    s->nc.user = s;
    /* the warning state: series continue across restarts (docs/NODE.md) */
    snprintf(s->warn_journal, sizeof s->warn_journal, "%s/node-%s.warn", c->outputs, c->nation);
    s->nc.warn_journal = s->warn_journal;
    /* the picture files are rewritten every second of scenario time: at 120x their
     * fsyncs held the loop 40 % of the wall time (bench/soak); synced once a second of
     * wall time instead, as the recording is (below) */
    s->nc.defer_view_sync = 1;
    /* alerts/ under the same retention as the logs: what a live series refers to stays */
    s->nc.alerts_keep_bytes = c->alerts_keep_bytes;
    s->nc.alerts_keep_age_s = c->alerts_keep_age_s;
    /* the outbox: where seqs continue (read before the sender starts), the clock origin
     * kept from the first start; then loaded into the new node's sent log */
    snprintf(path, sizeof path, "%s/node-%s.outbox", c->outputs, c->nation);
    {
        svc_log_t *probe;
        if ((rc = mwxi_svc_log_open(path, start, mwxi_svc_outbox_entry, s, &probe, &hdr_start,
                                    &existed, err)) != MWX_OK)
            return rc;
        mwxi_svc_log_close(probe);
    }
    s->start_unix = c->start_unix > 0 ? c->start_unix : hdr_start;
    s->nc.first_seq = s->last_out_seq ? s->last_out_seq + 1 : 0;
    /* a re-run scenario rebuilds the same tracks under the same ids; a live feed is not
     * re-run, so its new tracks (own and fused) get new numbers: partners fuse by origin
     * and id, CoT and the operator page key by id, and an old id on a new object carries
     * it into the old one's place */
    if (c->feed == MWX_FEED_BUS) {
        s->nc.first_track_id = s->own_id_max;
        s->nc.first_fused_num = s->fused_num_max;
    }
    /* CAP alerting key: the configured one, or a demo key kept in OUTPUTS/pki */
    if (c->cap_key[0]) {
        s->nc.cap_key = c->cap_key;
        s->nc.cap_cert = c->cap_cert;
    } else {
        char dir[MWX_PATH_LEN];
        snprintf(dir, sizeof dir, "%s/pki", c->outputs);
        if ((rc = mwxi_cap_demo_pki(dir, (const char(*)[MWX_ID_LEN]) & c->nation, 1, 0, err)) !=
                MWX_OK ||
            (rc = mwxi_cap_key_paths(dir, c->nation, s->cap_key, s->cap_cert, err)) != MWX_OK)
            return rc;
        s->nc.cap_key = s->cap_key;
        s->nc.cap_cert = s->cap_cert;
        mwxi_svc_logf(s,
                      "warning: no cap_key in %s: CAP files are signed with a DEMO key (CA %s/"
                      "demo-ca.pem); make the nation's key with mwx keygen %s --cap",
                      c->file, dir, c->nation);
    }
    if ((rc = mwx_node_create(&s->nc, &s->node, err)) != MWX_OK)
        return rc;
    {
        mwx_node_stats_t ns;
        mwx_node_get_stats(s->node, &ns);
        if (ns.warn.restored_series)
            mwxi_svc_logf(s,
                          "warning state restored: %llu series (%llu active), %llu CAP file(s) "
                          "written again",
                          (unsigned long long)ns.warn.restored_series,
                          (unsigned long long)ns.warn.restored_active,
                          (unsigned long long)ns.warn.republished);
    }
    s->last_out_seq = 0;
    s->out_tracks = 0;
    if ((rc = mwxi_svc_log_open(path, start, mwxi_svc_outbox_entry, s, &s->outbox, &hdr_start,
                                &existed, err)) != MWX_OK)
        return rc;
    mwxi_svc_log_set_retention(s->outbox, &c->retention, MWX_NODE_LOG_KEEP_ENTRIES);
    mwx_node_set_publishing(s->node, s->out_tracks == 0);
    /* NATS: a commit thread (nats.c publishes from any thread); the in-process bus is
     * synchronous and single-threaded: one sync per envelope, as before */
    return mwxi_svc_commit_create(s->outbox, s->hub == NULL, 0, commit_pub, s, &s->commit, err);
}

int mwx_node_service_run(const mwx_node_service_cfg_t *cfg, volatile int *stop, FILE *log,
                         mwx_err_t *err)
{
    svc_t *s = calloc(1, sizeof *s);
    char path[MWX_PATH_LEN * 2];
    mwx_sim_opts_t so;
    int rc;

    if (!s)
        return mwx_err_set(err, MWX_ENOMEM, "node: out of memory");
    s->cfg = cfg;
    s->log = log ? log : stderr;
    if (cfg->log_path[0]) {
        FILE *f = fopen(cfg->log_path, "a");
        if (!f) {
            rc = mwx_err_set(err, MWX_EIO, "node: cannot open the log file %s: %s", cfg->log_path,
                             strerror(errno));
            free(s);
            return rc;
        }
        s->log = f;
        s->own_log = 1;
    }
    s->stop = stop;
    s->rec_t_last = -1;
    s->t_cur = 0;
    if ((rc = setup(s, err)) != MWX_OK)
        goto out;

    snprintf(path, sizeof path, "%s/node-%s.mwxr", cfg->outputs, cfg->nation);
    if ((rc = mwx_recwriter_open(path, MWX_REC_LIVE | (s->rec_t_last >= 0 ? MWX_REC_APPEND : 0),
                                 &s->rec, err)) != MWX_OK ||
        (rc = mwx_recwriter_set_retention(s->rec, &cfg->retention, err)) != MWX_OK)
        goto out;
    mwx_recwriter_set_async_retention(s->rec, 1); /* never a stall of the loop at a rotation */
    mwx_recwriter_set_clock(s->rec, s->start_unix, cfg->speed);
    if (s->rec_t_last < 0) {
        mwx_record_t r;
        memset(&r, 0, sizeof r);
        r.type = MWX_REC_SCENARIO;
        mwx_strlcpy(r.u.scenario.name, s->sc.name, sizeof r.u.scenario.name);
        mwx_strlcpy(r.u.scenario.epoch, s->sc.epoch_str, sizeof r.u.scenario.epoch);
        r.u.scenario.status = s->sc.status;
        r.u.scenario.seed = s->sc.seed;
        r.u.scenario.json = s->sc.json;
        if ((rc = mwx_recwriter_append(s->rec, &r, err)) != MWX_OK)
            goto out;
    }
    if (cfg->http[0]) {
        if ((rc = start_web(s, err)) != MWX_OK)
            goto out;
        char url[128];
        mwx_record_t r;
        memset(&r, 0, sizeof r);
        r.type = MWX_REC_SCENARIO; /* the page's picture starts with the scenario */
        mwx_strlcpy(r.u.scenario.name, s->sc.name, sizeof r.u.scenario.name);
        mwx_strlcpy(r.u.scenario.epoch, s->sc.epoch_str, sizeof r.u.scenario.epoch);
        r.u.scenario.status = s->sc.status;
        r.u.scenario.seed = s->sc.seed;
        r.u.scenario.json = s->sc.json;
        (void)mwx_web_publish(s->web, &r, NULL);
        mwx_gauge_set(s->g_connected, s->connected);
        (void)mwx_web_url(s->web, url, sizeof url);
        mwxi_svc_logf(s, "operator page and /metrics at %s", url);
    }
    mwxi_svc_logf(s, "start: scenario %s, speed %g, t = %.1f s now%s", s->sc.name, cfg->speed,
                  mwxi_svc_scn_now(s),
                  s->rec_t_last >= 0
                      ? " (restart: re-running the scenario up to now, outbox and inbox reloaded)"
                      : "");
    if (s->rec_t_last >= 0)
        mwxi_svc_logf(
            s,
            "restart: outbox %llu envelopes (last seq %llu), inbox %zu, recording up to t = "
            "%.1f s",
            (unsigned long long)mwxi_svc_log_count(s->outbox), (unsigned long long)s->last_out_seq,
            s->n_in, s->rec_t_last);

    memset(&so, 0, sizeof so);
    s->last_hb = s->last_gap = s->last_sync = s->last_flush = 0;
    if (cfg->feed == MWX_FEED_BUS) {
        rc = mwxi_svc_run_live(s, err);
        if (s->rc != MWX_OK) {
            rc = s->rc;
            if (err)
                *err = s->err;
        }
        goto out;
    }
    rc = mwx_sim_run(&s->sc, &so, sink, s, err);
    if (s->rc != MWX_OK) {
        rc = s->rc;
        if (err)
            *err = s->err;
        goto out;
    }
    if (rc == MWX_EAGAIN && *stop)
        rc = MWX_OK;
    if (rc != MWX_OK)
        goto out;
    if (!*stop) {
        pace(s, s->sc.duration_s);
        mwxi_svc_replay_inbox(s, INFINITY);
        if (mwx_node_advance(s->node, s->sc.duration_s, err) != MWX_OK) {
            rc = err ? err->code : MWX_EIO;
            goto out;
        }
        s->t_cur = s->sc.duration_s;
        mwxi_svc_logf(s, "scenario ended at t = %.1f s%s", s->sc.duration_s,
                      cfg->exit_at_end ? "" : "; serving until signalled");
    }
    while (!*stop && !cfg->exit_at_end && s->rc == MWX_OK)
        mwxi_svc_tick(s, 0.1);
    if (s->rc != MWX_OK) {
        rc = s->rc;
        if (err)
            *err = s->err;
    }
out:
    if (rc != MWX_OK && err && err->msg[0])
        logf_err(s, "%s", err->msg);
    if (s->node) {
        mwx_node_stats_t st;
        mwx_err_t e = {0};
        /* what is queued is synced and published before the bus is flushed */
        if (mwxi_svc_commit_barrier(s->commit, &e) != MWX_OK && rc == MWX_OK) {
            rc = e.code;
            if (err)
                *err = e;
        }
        mwx_node_get_stats(s->node, &st);
        if (s->inner && strcmp(cfg->bus, "inproc") != 0)
            (void)mwx_bus_flush(s->inner, 1.0, NULL);
        mwxi_svc_logf(s,
                      "stop: %llu measurements, %llu own track updates, %llu fused updates "
                      "(%llu merges, %llu splits, %llu ended, %llu relinked), %llu published, "
                      "%llu accepted, %llu recovered by gap request, %llu alerts",
                      (unsigned long long)st.meas, (unsigned long long)st.own_track_updates,
                      (unsigned long long)st.fused_updates, (unsigned long long)st.fusion_merged,
                      (unsigned long long)st.fusion_split, (unsigned long long)st.fusion_ended,
                      (unsigned long long)st.fusion_relinked, (unsigned long long)st.published,
                      (unsigned long long)st.share.accepted, (unsigned long long)s->gap_recovered,
                      (unsigned long long)st.alerts);
        {
            svc_commit_stats_t cs;
            mwxi_svc_commit_stats(s->commit, &cs);
            mwxi_svc_logf(s,
                          "outbox: %llu envelopes, %llu publishes behind %llu syncs (largest "
                          "group %llu, queue full %llu times)",
                          (unsigned long long)cs.envelopes, (unsigned long long)cs.published,
                          (unsigned long long)cs.syncs, (unsigned long long)cs.max_batch,
                          (unsigned long long)cs.full_waits);
        }
        if (cfg->feed == MWX_FEED_BUS)
            mwxi_svc_logf(s,
                          "sensor feed: %llu received, %llu malformed or not ours, %llu late, "
                          "%llu ahead of the clock, %llu queue full",
                          (unsigned long long)s->feed_in, (unsigned long long)s->feed_bad,
                          (unsigned long long)s->feed_late, (unsigned long long)s->feed_future,
                          (unsigned long long)s->feed_full);
    }
    if (s->rec) {
        mwx_err_t e = {0};
        int crc = mwx_recwriter_close(s->rec, &e);
        if (crc != MWX_OK && rc == MWX_OK) {
            rc = crc;
            if (err)
                *err = e;
        }
    }
    if (s->web)
        mwx_web_stop(s->web);
    mwx_node_destroy(s->node);
    mwxi_svc_commit_destroy(s->commit); /* its thread publishes on the inner bus */
    if (s->inner)
        mwx_bus_close(s->inner);
    if (s->hub)
        mwx_inproc_hub_destroy(s->hub);
    mwxi_svc_log_close(s->outbox);
    mwxi_svc_log_close(s->inbox);
    if (s->sc_loaded)
        mwx_scenario_free(&s->sc);
    free(s->seen);
    free(s->fused_last);
    free(s->fused_slot);
    free(s->fused_gen);
    free(s->feed_q);
    free(s->in_data);
    free(s->in_ent);
    if (s->own_log)
        fclose(s->log);
    free(s);
    return rc;
}
