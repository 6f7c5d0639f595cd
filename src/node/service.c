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
#include "mwx/node.h"
#include "mwx/web.h"
#include "gap_async.h"
#include "node/cap_keys.h"
#include "service_int.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define GAP_PERIOD_S 0.5
#define TICK_S 0.05

typedef struct seen {
    char from[MWX_ID_LEN];
    uint64_t seq;
} seen_t;

typedef struct inbox_ent {
    double unix_s, t_scn;
    uint32_t off, len;
} inbox_ent_t;

typedef gap_peer_t partner_t; /* gap_async.h */

typedef struct svc {
    const mwx_node_service_cfg_t *cfg;
    char warn_journal[MWX_PATH_LEN * 2]; /* OUTPUTS/node-NATION.warn */
    char cap_key[MWX_PATH_LEN], cap_cert[MWX_PATH_LEN]; /* the demo key's, when no cap_key */
    FILE *log;
    int own_log;                 /* log is cfg->log_path, opened here */
    uint64_t log_reopens;
    volatile int *stop;
    mwx_scenario_t sc;
    int sc_loaded;
    mwx_policy_t policy;
    mwx_keypair_t key;
    mwx_node_cfg_t nc;
    mwx_inproc_hub_t *hub;
    mwx_bus_t *inner;        /* NATS (or inproc) */
    mwx_bus_t wrap;          /* what the node sees */
    mwx_bus_handler_fn in_fn;
    void *in_user;
    mwx_node_t *node;
    mwx_recwriter_t *rec;
    svc_log_t *outbox, *inbox;
    svc_commit_t *commit;        /* the outbox's group commit (service_commit.c) */
    mwx_bus_handler_fn gap_fn;   /* the node's gap-request handler */
    void *gap_user;
    double start_unix;
    /* restart state */
    uint64_t last_out_seq;       /* highest seq in the outbox */
    uint64_t out_tracks;         /* track envelopes in the outbox */
    uint64_t own_tracks;         /* own-track updates seen in this run */
    double rec_t_last;           /* last t in the recording before this start (-1: new) */
    int own_id_max;              /* highest own track number recorded (NATION-<n>) */
    unsigned fused_num_max;      /* highest fused number recorded (NATION-F<n>) */
    mwx_rec_track_t *fused_last; /* each fused id's last record in the recording */
    size_t n_fused_last, cap_fused_last;
    seen_t *seen;                /* verified share records already in the recording */
    size_t n_seen, cap_seen;
    uint8_t *in_data;            /* inbox entries to replay */
    size_t in_len, in_cap;
    inbox_ent_t *in_ent;
    size_t n_in, cap_in, in_next;
    int replaying;               /* feeding the inbox: do not log it again */
    /* loop */
    double t_cur;                /* scenario time of the last advance */
    int scan_pending;            /* measurements at t_cur not yet flushed to the tracker */
    int caught_up;
    double last_hb, last_gap, last_sync, last_flush;
    partner_t partner[MWX_MAX_NATIONS];
    int n_partner;
    int connected;
    int first_track_logged;
    mwx_share_counters_t last_c;
    uint64_t publish_fail;
    int rc;
    mwx_err_t err;
    /* live feed (cfg->feed == MWX_FEED_BUS): the bus handler queues, the loop feeds */
    mwx_rec_meas_t *feed_q;      /* in arrival order; the handler appends at feed_n */
    size_t feed_cap, feed_n;
    uint64_t feed_in, feed_bad, feed_late, feed_future, feed_full;
    uint64_t feed_logged_drops;
    double feed_last_t;          /* newest measurement time fed */
    double feed_last_arrival;    /* wall time the newest queued one arrived */
    double feed_first_arrival;   /* ... and the oldest */
    /* web */
    mwx_web_t *web;
    mwx_gauge_t *g_connected, *g_t;
    mwx_gauge_t *g_rss, *g_fds, *g_disk_free, *g_warn_restored, *g_warn_adopted;
    mwx_counter_t *c_accepted, *c_published, *c_gap_recovered, *c_drop[MWX_DROP_N];
    uint64_t gap_recovered, gap_failed;
    uint64_t last_denied_pub, last_denied_sub, last_slow, last_qfull;
    mwx_counter_t *c_denied, *c_slow, *c_qfull, *c_gap_failed, *c_gap_refused, *c_syncs;
    mwx_counter_t *c_report_drop[4]; /* register_metrics: why[] */
    /* disk nearly full (disk_check): the public warning path first */
    int disk_low;
    uint64_t records_shed, compact_failed;
    mwx_gauge_t *g_disk_low;
    mwx_counter_t *c_shed, *c_compact_failed;
    unsigned gap_nonce;          /* this run's reply inbox: replies to an earlier run miss */
    uint8_t gap_req[MWX_ENVELOPE_MAX];
    uint8_t gap_reply[MWX_GAP_REPLY_MAX];
} svc_t;

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
    mwx_time_format(mwx_time_wall(), 0, 3, ts, sizeof ts);
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (s->cfg->log_json) {
        fprintf(s->log, "{\"ts\":\"%s\",\"level\":\"%s\",\"node\":\"%s\",\"msg\":\"", ts, level,
                s->cfg->nation);
        for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
            if (*p == '"' || *p == '\\')
                fprintf(s->log, "\\%c", *p);
            else if (*p < 0x20)
                fprintf(s->log, "\\u%04x", *p);
            else
                fputc(*p, s->log);
        }
        fputs("\"}\n", s->log);
    } else {
        int info = strcmp(level, "info") == 0;
        fprintf(s->log, "%s mwx node %s: %s%s%s\n", ts, s->cfg->nation, info ? "" : level,
                info ? "" : ": ", msg);
    }
    fflush(s->log);
}

static void logf_(svc_t *s, const char *fmt, ...) MWX_PRINTF(2, 3);
static void logf_(svc_t *s, const char *fmt, ...)
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
static void logw_(svc_t *s, const char *fmt, ...) MWX_PRINTF(2, 3);
static void logw_(svc_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog_(s, "warning", fmt, ap);
    va_end(ap);
}

static void fail_once(svc_t *s, int rc, const mwx_err_t *e)
{
    if (s->rc == MWX_OK) {
        s->rc = rc;
        if (e)
            s->err = *e;
    }
}

static double scn_now(const svc_t *s)
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

/* ------------------------------------------------------------- records */

static int seen_cmp(const void *a, const void *b)
{
    const seen_t *x = a, *y = b;
    int c = strcmp(x->from, y->from);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int already_recorded(const svc_t *s, const char *from, uint64_t seq)
{
    seen_t key;
    if (!s->n_seen)
        return 0;
    memset(&key, 0, sizeof key);
    mwx_strlcpy(key.from, from, sizeof key.from);
    key.seq = seq;
    return bsearch(&key, s->seen, s->n_seen, sizeof key, seen_cmp) != NULL;
}

static double rec_t(const mwx_record_t *r)
{
    switch (r->type) {
    case MWX_REC_TRACK: return r->u.track.t;
    case MWX_REC_ALERT: return r->u.alert.t;
    case MWX_REC_SHARE: return r->u.share.t;
    default: return 0;
    }
}

static void on_record(void *user, const mwx_record_t *r)
{
    svc_t *s = user;
    mwx_err_t e = {0};
    int own = r->type == MWX_REC_TRACK && strcmp(r->u.track.sources, s->cfg->nation) == 0 &&
              !strstr(r->u.track.track_id, "-F");
    if (own) {
        /* a re-run after a restart: what the outbox holds was sent already */
        s->own_tracks++;
        mwx_node_set_publishing(s->node, s->own_tracks > s->out_tracks);
        if (!s->first_track_logged && r->u.track.confirmed) {
            s->first_track_logged = 1;
            logf_(s, "first track %s at t = %.1f s", r->u.track.track_id, r->u.track.t);
        }
    }
    if (r->type == MWX_REC_SHARE) {
        if (r->u.share.verified && already_recorded(s, r->u.share.from, r->u.share.seq))
            return;
        if (s->replaying)
            return; /* inbox replay: verified ones were handled above, dropped ones too */
    } else if (rec_t(r) <= s->rec_t_last) {
        return; /* the recording holds this instant already (re-run after a restart) */
    }
    if (s->disk_low && r->type == MWX_REC_TRACK) {
        /* disk nearly full: track states are what fills the recording; alerts, share
         * decisions (and the CAP files, journal, outbox) go on */
        s->records_shed++;
        if (s->c_shed)
            mwx_counter_add(s->c_shed, 1);
        if (s->web)
            mwx_web_publish(s->web, r, NULL);
        return;
    }
    if (r->type == MWX_REC_ALERT && r->u.alert.msg_type != MWX_MSG_UPDATE)
        logf_(s, "alert %s %s (%d regions) at t = %.1f s", mwx_msg_type_name(r->u.alert.msg_type),
              r->u.alert.identifier, r->u.alert.n_regions, r->u.alert.t);
    if (mwx_recwriter_append(s->rec, r, &e) != MWX_OK ||
        mwx_recwriter_flush(s->rec, 0, &e) != MWX_OK)
        fail_once(s, e.code, &e);
    if (s->web)
        mwx_web_publish(s->web, r, NULL);
}

/* ------------------------------------------------------------- the bus wrapper */

#define SVC(b) ((svc_t *)(b)->impl)

static int w_connect(mwx_bus_t *b, mwx_err_t *err) { return mwx_bus_connect(SVC(b)->inner, err); }

static int w_publish(mwx_bus_t *b, const char *subject, const uint8_t *data, size_t len,
                     mwx_err_t *err)
{
    svc_t *s = SVC(b);
    if (strncmp(subject, "mwx.", 4) == 0) {
        mwx_envelope_t env;
        int log_it = mwx_envelope_peek(data, len, &env, NULL) == MWX_OK &&
                     env.seq > s->last_out_seq; /* once per envelope, not per recipient */
        /* nothing lost: on disk before it is on the wire (group commit, service_commit.c) */
        int rc = svc_commit_put(s->commit, log_it ? env.sent_unix_s : 0, s->t_cur, log_it,
                                subject, data, len, err);
        if (rc != MWX_OK) {
            fail_once(s, rc, err);
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
static void deliver(svc_t *s, const uint8_t *data, size_t len, double recv_unix_s)
{
    mwx_share_counters_t before, after;
    mwx_envelope_t env;
    mwx_err_t e = {0};
    mwx_receiver_counters(mwx_node_receiver(s->node), &before);
    if (mwx_node_receive_envelope(s->node, data, len, recv_unix_s, &e) != MWX_OK)
        fail_once(s, e.code, &e);
    mwx_receiver_counters(mwx_node_receiver(s->node), &after);
    if (after.accepted == before.accepted || mwx_envelope_peek(data, len, &env, NULL) != MWX_OK)
        return;
    partner_t *p = partner(s, env.origin);
    if (p && !s->replaying)
        p->last_heard = mwx_time_wall(); /* any accepted envelope is a sign of life (/readyz) */
    if (p && env.seq > 0) { /* data only: a gap request is no sign of life here */
        if (!p->seen && !s->replaying)
            logf_(s, "partner %s first seen (seq %llu)", env.origin,
                  (unsigned long long)env.seq);
        gap_peer_seen(p, env.seq);
    }
    if (!s->replaying &&
        svc_log_append(s->inbox, recv_unix_s > 0 ? recv_unix_s : mwx_time_wall(), scn_now(s),
                       data, len, 0, &e) != MWX_OK)
        fail_once(s, e.code, &e);
}

static void w_in(void *user, const char *subject, const uint8_t *data, size_t len,
                 const char *reply)
{
    deliver(user, data, len, 0);
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
    if (svc_commit_barrier(s->commit, &e) != MWX_OK)
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

static void w_stats(mwx_bus_t *b, mwx_bus_stats_t *st) { mwx_bus_stats(SVC(b)->inner, st); }
static const char *w_last_error(mwx_bus_t *b) { return mwx_bus_last_error(SVC(b)->inner); }
static void w_close(mwx_bus_t *b) { (void)b; /* the service closes the inner bus */ }
static int w_publish_request(mwx_bus_t *b, const char *subject, const char *reply,
                             const uint8_t *data, size_t len, mwx_err_t *err)
{
    return mwx_bus_publish_request(SVC(b)->inner, subject, reply, data, len, err);
}

static const mwx_bus_ops_t wrap_ops = {"mwx-node", w_connect, w_publish, w_subscribe,
                                       w_request, w_poll, w_flush, w_stats, w_last_error,
                                       w_close, w_publish_request};

/* ------------------------------------------------------------- gap recovery */

static void on_gap_env(void *user, const uint8_t *env, size_t len)
{
    svc_t *s = user;
    s->gap_recovered++;
    deliver(s, env, len, 0);
}

/* Asynchronous: a request goes out with a reply subject naming the partner and the
 * request's token, and the loop goes on; the reply is handled by on_gap_reply whenever it
 * comes (inside the bus poll, like any message). A silent or refusing partner costs one
 * publish per backoff period, never a wait: nothing it does delays another partner's
 * traffic or the public warning. */
static void gap_reply_subject(const svc_t *s, int i, uint32_t token, char *out, size_t n)
{
    snprintf(out, n, "_INBOX.mwxgap.%s.%08x.%d.%u", s->cfg->nation, s->gap_nonce, i,
             (unsigned)token);
}

static void gap_outcome(svc_t *s, partner_t *p, double now, uint64_t recovered)
{
    if (recovered > 0)
        logf_(s, "gap from %s: seq %llu..%llu requested, %llu envelopes recovered", p->nation,
              (unsigned long long)p->req_from, (unsigned long long)p->req_to,
              (unsigned long long)recovered);
    if (gap_peer_answered(p, now, recovered))
        logw_(s, "gap from %s: seq %llu..%llu not held by %s (retrying every %.0f s)",
              p->nation, (unsigned long long)p->req_from, (unsigned long long)p->req_to,
              p->nation, GAP_EMPTY_RETRY_S);
}

static void gap_failed(svc_t *s, partner_t *p, const char *why)
{
    double b = gap_peer_failed(p, mwx_time_wall()); /* backoff from the failure */
    s->gap_failed++;
    if (p->failures == 1 || (p->failures & (p->failures - 1)) == 0)
        logw_(s, "gap request to %s failed (%s; %llu so far); next try in %.0f s", p->nation,
              why, (unsigned long long)p->failures, b);
}

static void on_gap_reply(void *user, const char *subject, const uint8_t *data, size_t len,
                         const char *reply)
{
    svc_t *s = user;
    char want[MWX_SUBJECT_LEN];
    int i;
    unsigned token;
    const char *tail = strrchr(subject, '.');
    /* _INBOX.mwxgap.<me>.<nonce>.<i>.<token> */
    if (!tail)
        return;
    token = (unsigned)strtoul(tail + 1, NULL, 10);
    const char *pi = tail - 1;
    while (pi > subject && pi[-1] != '.')
        pi--;
    i = atoi(pi);
    if (i < 0 || i >= s->n_partner)
        return;
    gap_reply_subject(s, i, token, want, sizeof want);
    partner_t *p = &s->partner[i];
    if (strcmp(want, subject) != 0 || !gap_peer_matches(p, token)) {
        p->ignored_replies++; /* late (after its deadline), replayed or not ours */
        return;
    }
    uint64_t before = s->gap_recovered;
    mwx_gap_reply_each(data, len, on_gap_env, s);
    gap_outcome(s, p, mwx_time_wall(), s->gap_recovered - before);
}

static void gap_check(svc_t *s, double now)
{
    mwx_receiver_t *r = mwx_node_receiver(s->node);
    for (int i = 0; i < s->n_partner; i++) {
        partner_t *p = &s->partner[i];
        uint64_t from, to;
        uint32_t token;
        size_t len, reply_len;
        char subject[MWX_SUBJECT_LEN], reply[MWX_SUBJECT_LEN];
        mwx_err_t e = {0};
        int rc;
        if (gap_peer_expired(p, now))
            gap_failed(s, p, "no reply in time");
        if (!gap_peer_plan(p, r, now, GAP_TIMEOUT_S, &from, &to, &token))
            continue;
        if ((rc = mwx_gap_request_seal(&s->key, p->nation, from, to, mwx_time_wall(),
                                       s->gap_req, sizeof s->gap_req, &len, &e)) != MWX_OK ||
            (rc = mwx_subject_gap(p->nation, s->cfg->nation, subject)) != MWX_OK) {
            gap_failed(s, p, e.msg);
            continue;
        }
        gap_reply_subject(s, i, token, reply, sizeof reply);
        rc = mwx_bus_publish_request(s->inner, subject, reply, s->gap_req, len, &e);
        if (rc == MWX_OK)
            continue;
        if (rc != MWX_EUNSUPPORTED) {
            gap_failed(s, p, e.msg);
            continue;
        }
        /* a bus without asynchronous requests (inproc: answered at once, in process) */
        rc = mwx_bus_request(s->inner, subject, s->gap_req, len, GAP_TIMEOUT_S, s->gap_reply,
                             sizeof s->gap_reply, &reply_len, &e);
        if (rc != MWX_OK) {
            gap_failed(s, p, e.msg);
            continue;
        }
        uint64_t before = s->gap_recovered;
        mwx_gap_reply_each(s->gap_reply, reply_len, on_gap_env, s);
        gap_outcome(s, p, mwx_time_wall(), s->gap_recovered - before);
    }
}

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

static void update_metrics(svc_t *s)
{
    mwx_share_counters_t c;
    mwx_node_stats_t st;
    mwx_receiver_counters(mwx_node_receiver(s->node), &c);
    for (int d = 0; d < MWX_DROP_N; d++)
        if (c.dropped[d] > s->last_c.dropped[d]) {
            if (!s->replaying)
                logw_(s, "dropped %llu envelope(s): %s (total %llu)",
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
            logw_(s, "gap requests past their sender's rate: %llu refused (no reply)",
                  (unsigned long long)st.gap_requests_refused);
        mwx_counter_add(s->c_gap_refused,
                        st.gap_requests_refused - mwx_counter_value(s->c_gap_refused));
    }
    {
        uint64_t v[4] = {st.bad_payloads, st.implausible, st.fusion_dropped, st.warn_full};
        for (int i = 0; i < 4; i++)
            mwx_counter_add(s->c_report_drop[i], v[i] - mwx_counter_value(s->c_report_drop[i]));
    }
    mwx_gauge_set(s->g_t, s->t_cur);
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
            logw_(s, "the server refused %llu publish(es) and %llu subscription(s): %s",
                  (unsigned long long)bs->denied_publish,
                  (unsigned long long)bs->denied_subscribe, mwx_bus_last_error(s->inner));
        mwx_counter_add(s->c_denied, n - s->last_denied_pub - s->last_denied_sub);
        s->last_denied_pub = bs->denied_publish;
        s->last_denied_sub = bs->denied_subscribe;
    }
    if (bs->dropped_slow_consumer > s->last_slow) {
        if (log_drop_total(s->last_slow, bs->dropped_slow_consumer))
            logw_(s, "%llu message(s) dropped by the bus client (slow consumer; total %llu)",
                  (unsigned long long)(bs->dropped_slow_consumer - s->last_slow),
                  (unsigned long long)bs->dropped_slow_consumer);
        mwx_counter_add(s->c_slow, bs->dropped_slow_consumer - s->last_slow);
        s->last_slow = bs->dropped_slow_consumer;
    }
    /* the receive queue's drops: it was full, or the sending partner had its share of it
     * (a flood from one partner is refused there, not another partner's traffic) */
    if (bs->dropped_queue_full > s->last_qfull) {
        if (log_drop_total(s->last_qfull, bs->dropped_queue_full))
            logw_(s, "%llu message(s) dropped by the receive queue (full, or the sender's "
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
                    s->cfg->creds_path[0]  ? s->cfg->creds_path
                    : s->cfg->tls_cert[0] ? s->cfg->tls_cert
                                          : "no creds file");
        logf_(s, "%s", e.msg);
        fail_once(s, MWX_EBUS, &e);
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
        logw_(s, "disk low: %.1f MiB free in %s (below %.1f MiB): the public warning path "
                 "goes first; track states are no longer recorded (alerts and share decisions "
                 "are), the recording's closed segments are compacted and the logs keep only "
                 "their last %d envelopes",
              free_b / 1048576.0, s->cfg->outputs, (double)lim / 1048576.0,
              MWX_NODE_LOG_KEEP_ENTRIES);
        tight.keep_bytes = 1; /* every closed log segment beyond the last 8192 envelopes */
        if (!tight.segment_bytes || tight.segment_bytes > 1048576)
            tight.segment_bytes = 1048576;
        svc_log_set_retention(s->outbox, &tight, MWX_NODE_LOG_KEEP_ENTRIES);
        svc_log_set_retention(s->inbox, &tight, MWX_NODE_LOG_KEEP_ENTRIES);
        if (mwx_recwriter_squeeze(s->rec, 1, &e) != MWX_OK)
            fail_once(s, e.code, &e);
    } else if (s->disk_low && free_b >= 1.1 * (double)lim) {
        s->disk_low = 0;
        logf_(s, "disk ok again: %.1f MiB free in %s; recording everything (%llu track "
                 "states were not recorded)",
              free_b / 1048576.0, s->cfg->outputs, (unsigned long long)s->records_shed);
        svc_log_set_retention(s->outbox, &s->cfg->retention, MWX_NODE_LOG_KEEP_ENTRIES);
        svc_log_set_retention(s->inbox, &s->cfg->retention, MWX_NODE_LOG_KEEP_ENTRIES);
        if (mwx_recwriter_squeeze(s->rec, 0, &e) != MWX_OK)
            fail_once(s, e.code, &e);
    }
    if (s->g_disk_low)
        mwx_gauge_set(s->g_disk_low, s->disk_low);
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
            logw_(s, "compaction of the recording failed (%llu so far): %s; the node goes "
                     "on, the closed segments stay as they are",
                  (unsigned long long)n, e.msg);
            break;
        }
    if (s->c_compact_failed)
        mwx_counter_add(s->c_compact_failed, n - s->compact_failed);
    s->compact_failed = n;
}

/* Service duties: bus, heartbeat, gaps, durability, events. */
static void tick(svc_t *s, double timeout_s)
{
    mwx_err_t e = {0};
    mwx_bus_stats_t bs;
    double now;

    log_reopen(s); /* SIGHUP: at once, not at the next line (logrotate waits for it) */
    mwx_node_set_clock(s->node, scn_now(s));
    int rc = mwx_node_poll(s->node, timeout_s, &e);
    if (rc < 0 && rc != MWX_EBUS)
        fail_once(s, rc, &e);
    now = mwx_time_wall();
    mwx_bus_stats(s->inner, &bs);
    if (bs.connected != s->connected) {
        s->connected = bs.connected;
        if (bs.connected)
            logf_(s, "bus up (reconnected; %llu reconnects)", (unsigned long long)bs.reconnects);
        else
            logw_(s, "bus down (%s); tracking and recording go on", mwx_bus_last_error(s->inner));
        mwx_gauge_set(s->g_connected, bs.connected);
    }
    bus_refusals(s, &bs);
    {
        svc_commit_stats_t cs;
        svc_commit_stats(s->commit, &cs);
        if (cs.publish_failed > s->publish_fail) {
            if (s->publish_fail == 0)
                logf_(s, "publish failed (%s); partners will recover from the outbox",
                      mwx_bus_last_error(s->inner));
            s->publish_fail = cs.publish_failed;
        }
        if (s->c_syncs)
            mwx_counter_add(s->c_syncs, cs.syncs - mwx_counter_value(s->c_syncs));
    }
    if (now - s->last_hb >= 1.0) {
        s->last_hb = now;
        if (mwx_node_heartbeat(s->node, &e) != MWX_OK && e.code != MWX_EBUS)
            fail_once(s, e.code, &e);
    }
    /* not before the inbox is replayed: what it holds is not missing */
    if (s->connected && s->in_next >= s->n_in && now - s->last_gap >= GAP_PERIOD_S) {
        s->last_gap = now;
        gap_check(s, now);
    }
    if (now - s->last_sync >= 1.0) {
        s->last_sync = now;
        update_ready(s, now);
        {
            double rss, fds, dfree;
            svc_proc_sample(s->cfg->outputs, &rss, &fds, &dfree);
            dfree = disk_free(s, dfree);
            if (s->web) {
                mwx_gauge_set(s->g_rss, rss);
                mwx_gauge_set(s->g_fds, fds);
                mwx_gauge_set(s->g_disk_free, dfree);
            }
            disk_check(s, dfree);
            compaction_check(s);
        }
        if (mwx_recwriter_flush(s->rec, 1, &e) != MWX_OK || svc_log_sync(s->inbox, &e) != MWX_OK)
            fail_once(s, e.code, &e);
    }
    update_metrics(s);
}

/* Feed the inbox entries received before scenario time t (restart). */
static void replay_inbox(svc_t *s, double t)
{
    if (s->in_next >= s->n_in)
        return;
    mwx_node_set_clock(s->node, scn_now(s)); /* what the inbox holds is not ahead of it */
    s->replaying = 1;
    while (s->in_next < s->n_in && s->in_ent[s->in_next].t_scn < t) {
        const inbox_ent_t *ie = &s->in_ent[s->in_next++];
        deliver(s, s->in_data + ie->off, ie->len, ie->unix_s);
    }
    update_metrics(s); /* the replayed drops are not news */
    s->replaying = 0;
    if (s->in_next >= s->n_in)
        logf_(s, "inbox replayed (%zu envelopes)", s->n_in);
}

/* Wait (serving) until the scenario clock reaches t. */
static void pace(svc_t *s, double t)
{
    for (;;) {
        double now_t = scn_now(s);
        if (s->rc != MWX_OK || *s->stop)
            return;
        if (now_t >= t) {
            /* behind (a restart re-running its scenario): still serve now and then */
            if (mwx_time_wall() - s->last_flush >= TICK_S) {
                s->last_flush = mwx_time_wall();
                tick(s, 0);
            }
            return;
        }
        if (!s->caught_up) {
            s->caught_up = 1;
            if (s->rec_t_last >= 0)
                logf_(s, "caught up with the scenario clock at t = %.1f s", t);
        }
        double wait = (t - now_t) / s->cfg->speed;
        tick(s, wait < TICK_S ? wait : TICK_S);
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
                fail_once(s, e.code, &e);
        }
        pace(s, rec->u.meas.t);
        if (*s->stop)
            return MWX_EAGAIN;
        replay_inbox(s, rec->u.meas.t);
        if (mwx_node_advance(s->node, rec->u.meas.t, &e) != MWX_OK)
            fail_once(s, e.code, &e);
        s->t_cur = rec->u.meas.t;
    }
    if (mwx_node_meas(s->node, &rec->u.meas, &e) != MWX_OK)
        fail_once(s, e.code, &e);
    s->scan_pending = 1;
    return *s->stop ? MWX_EAGAIN : s->rc;
}

/* ------------------------------------------------------------- live sensor feed */

/* How far behind its clock a live node keeps its time while the feed is quiet: a
 * measurement older than the node's time can no longer be tracked (late, dropped). At
 * least FEED_LAG_S of scenario time, and FEED_LAG_WALL_S of wall time (an accelerated
 * scenario must not turn a scheduling hiccup into lost measurements). */
#define FEED_LAG_S 2.0
#define FEED_LAG_WALL_S 0.5
#define FEED_QUEUE 8192
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
    double lag = feed_lag(s), now_t = scn_now(s), clock_t = now_t - lag;
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
                    fail_once(s, e.code, &e);
                s->t_cur = m->t;
            }
            if (mwx_node_meas(s->node, m, &e) != MWX_OK)
                fail_once(s, e.code, &e);
            s->feed_last_t = m->t;
            fed = 1;
        }
        memmove(s->feed_q, s->feed_q + n0, (s->feed_n - n0) * sizeof *s->feed_q);
        s->feed_n -= n0;
        s->feed_first_arrival = s->feed_last_arrival; /* of what came in meanwhile, if any */
        if (fed && mwx_node_advance(s->node, s->t_cur, &e) != MWX_OK) /* the scan is whole */
            fail_once(s, e.code, &e);
    }
    if (clock_t > s->t_cur && clock_t - s->feed_last_t > lag) {
        if (mwx_node_advance(s->node, clock_t, &e) != MWX_OK)
            fail_once(s, e.code, &e);
        s->t_cur = clock_t;
    }
    uint64_t drops = s->feed_bad + s->feed_late + s->feed_future + s->feed_full;
    if (drops != s->feed_logged_drops) {
        logw_(s, "sensor feed: dropped %llu measurement(s) so far: %llu malformed or not ours, "
                 "%llu late, %llu ahead of the clock, %llu queue full",
              (unsigned long long)drops, (unsigned long long)s->feed_bad,
              (unsigned long long)s->feed_late, (unsigned long long)s->feed_future,
              (unsigned long long)s->feed_full);
        s->feed_logged_drops = drops;
    }
}

/* After a restart on a live feed: the picture is rebuilt from the inbox alone (the own
 * tracks of before are not re-run), so its fused tracks are numbered afresh. A fused track
 * the recording shows confirmed and flying that the rebuilt picture does not hold would
 * stay in the recording's picture forever (the chaos test saw missile M3 twice at US: its
 * old id and its new one). It is recorded once more, unconfirmed, as a merged-away track
 * is; its warning series is the journal's to end (an orphan keeps its regions until the
 * predicted impact, docs/NODE.md). */
static void close_lost_fused(svc_t *s)
{
    mwx_fusion_t *f = mwx_node_fusion(s->node);
    size_t closed = 0;
    for (size_t i = 0; i < s->n_fused_last; i++) {
        mwx_rec_track_t *t = &s->fused_last[i];
        mwx_rec_track_t cur;
        int held = 0;
        if (!t->confirmed || t->phase == MWX_PHASE_IMPACT)
            continue;
        for (size_t j = 0; f && j < mwx_fusion_count(f) && !held; j++)
            held = mwx_fusion_get(f, j, &cur) == MWX_OK && strcmp(cur.track_id, t->track_id) == 0;
        if (held)
            continue;
        mwx_record_t r;
        mwx_err_t e = {0};
        memset(&r, 0, sizeof r);
        r.type = MWX_REC_TRACK;
        r.u.track = *t;
        r.u.track.confirmed = 0;
        r.u.track.t = fmax(t->t, s->t_cur);
        if (mwx_recwriter_append(s->rec, &r, &e) != MWX_OK ||
            mwx_recwriter_flush(s->rec, 0, &e) != MWX_OK)
            fail_once(s, e.code, &e);
        if (s->web)
            mwx_web_publish(s->web, &r, NULL);
        closed++;
    }
    if (closed)
        logf_(s, "restart: %zu fused track(s) of before not in the rebuilt picture, recorded "
                 "as unconfirmed", closed);
}

/* The live loop: serve, feed, until stopped (or the scenario's end with exit_at_end). */
static int run_live(svc_t *s, mwx_err_t *err)
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
    s->t_cur = fmin(s->rec_t_last > 0 ? s->rec_t_last : 0, fmax(scn_now(s), 0));
    s->feed_last_t = s->t_cur;
    replay_inbox(s, INFINITY);
    close_lost_fused(s);
    logf_(s, "live: measurements from %s", subject);
    while (!*s->stop && s->rc == MWX_OK) {
        tick(s, s->feed_n ? FEED_SCAN_QUIET_S / 2 : TICK_S);
        drain_feed(s);
        /* with exit_at_end: once the feed's last measurements have had the lag to come */
        if (s->cfg->exit_at_end && scn_now(s) >= s->sc.duration_s + feed_lag(s)) {
            mwx_err_t e = {0};
            if (s->t_cur < s->sc.duration_s &&
                mwx_node_advance(s->node, s->sc.duration_s, &e) != MWX_OK)
                fail_once(s, e.code, &e);
            logf_(s, "scenario ended at t = %.1f s", s->sc.duration_s);
            break;
        }
    }
    return MWX_OK;
}

/* ------------------------------------------------------------- start-up */

static int outbox_entry(void *user, double unix_s, double t_scn, const uint8_t *data,
                        size_t len)
{
    svc_t *s = user;
    mwx_envelope_t env;
    if (mwx_envelope_peek(data, len, &env, NULL) != MWX_OK)
        return MWX_OK;
    if (s->node)
        mwx_sentlog_add(mwx_node_sentlog(s->node), data, len);
    if (env.seq > s->last_out_seq)
        s->last_out_seq = env.seq;
    if (env.type == MWX_PAYLOAD_TRACK)
        s->out_tracks++;
    return MWX_OK;
}

static int inbox_entry(void *user, double unix_s, double t_scn, const uint8_t *data, size_t len)
{
    svc_t *s = user;
    if (s->n_in == s->cap_in) {
        size_t cap = s->cap_in ? 2 * s->cap_in : 1024;
        inbox_ent_t *v = realloc(s->in_ent, cap * sizeof *v);
        if (!v)
            return MWX_ENOMEM;
        s->in_ent = v;
        s->cap_in = cap;
    }
    while (s->in_len + len > s->in_cap) {
        size_t cap = s->in_cap ? 2 * s->in_cap : 1 << 20;
        uint8_t *d = realloc(s->in_data, cap);
        if (!d)
            return MWX_ENOMEM;
        s->in_data = d;
        s->in_cap = cap;
    }
    memcpy(s->in_data + s->in_len, data, len);
    s->in_ent[s->n_in].unix_s = unix_s;
    s->in_ent[s->n_in].t_scn = t_scn;
    s->in_ent[s->n_in].off = (uint32_t)s->in_len;
    s->in_ent[s->n_in].len = (uint32_t)len;
    s->in_len += len;
    s->n_in++;
    return MWX_OK;
}

/* An own track id ("JP-7", not a fused "JP-F3"): the highest number is kept, so that a
 * restart on a live feed continues above it. */
static void note_own_id(svc_t *s, const char *id)
{
    size_t l = strlen(s->cfg->nation);
    char *end;
    if (strncmp(id, s->cfg->nation, l) != 0 || id[l] != '-' || id[l + 1] < '0' ||
        id[l + 1] > '9')
        return;
    long v = strtol(id + l + 1, &end, 10);
    if (*end == '\0' && v > s->own_id_max && v < INT_MAX)
        s->own_id_max = (int)v;
}

/* A recorded track: own ids for note_own_id, fused ones' last records kept (a restart
 * on a live feed closes those its rebuilt picture no longer holds: close_lost_fused). */
static int note_track(svc_t *s, const mwx_rec_track_t *t)
{
    size_t i;
    size_t l = strlen(s->cfg->nation);
    if (!strstr(t->track_id, "-F")) {
        note_own_id(s, t->track_id);
        return MWX_OK;
    }
    if (strncmp(t->track_id, s->cfg->nation, l) == 0 && strncmp(t->track_id + l, "-F", 2) == 0) {
        char *end;
        unsigned long v = strtoul(t->track_id + l + 2, &end, 10);
        if (*end == '\0' && v > s->fused_num_max && v < UINT_MAX)
            s->fused_num_max = (unsigned)v;
    }
    for (i = 0; i < s->n_fused_last; i++)
        if (strcmp(s->fused_last[i].track_id, t->track_id) == 0)
            break;
    if (i == s->n_fused_last) {
        if (s->n_fused_last == s->cap_fused_last) {
            size_t cap = s->cap_fused_last ? 2 * s->cap_fused_last : 64;
            mwx_rec_track_t *v = realloc(s->fused_last, cap * sizeof *v);
            if (!v)
                return MWX_ENOMEM;
            s->fused_last = v;
            s->cap_fused_last = cap;
        }
        s->n_fused_last++;
    }
    s->fused_last[i] = *t;
    return MWX_OK;
}

/* An existing recording: what it holds already (restart). */
static int scan_recording(svc_t *s, const char *path, mwx_err_t *err)
{
    mwx_recreader_t *rd;
    mwx_record_t r;
    int rc;
    mwx_err_t e = {0};
    s->rec_t_last = -1;
    /* the set, not the live file alone: a crash between a rotation's rename and the new
     * live file leaves only closed segments, and they hold what was recorded */
    if ((rc = mwx_recreader_open(path, 0, &rd, &e)) == MWX_ENOTFOUND)
        return MWX_OK;
    if (rc != MWX_OK) {
        *err = e;
        return rc;
    }
    s->rec_t_last = 0;
    while ((rc = mwx_recreader_next(rd, &r, NULL)) == MWX_OK) {
        if (r.type != MWX_REC_SCENARIO && rec_t(&r) > s->rec_t_last)
            s->rec_t_last = rec_t(&r);
        if (r.type == MWX_REC_TRACK && (rc = note_track(s, &r.u.track)) != MWX_OK) {
            mwx_recreader_close(rd);
            return mwx_err_set(err, rc, "%s: out of memory", path);
        }
        if (r.type == MWX_REC_SHARE && r.u.share.verified) {
            if (s->n_seen == s->cap_seen) {
                size_t cap = s->cap_seen ? 2 * s->cap_seen : 1024;
                seen_t *v = realloc(s->seen, cap * sizeof *v);
                if (!v) {
                    mwx_recreader_close(rd);
                    return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", path);
                }
                s->seen = v;
                s->cap_seen = cap;
            }
            memset(&s->seen[s->n_seen], 0, sizeof s->seen[0]);
            mwx_strlcpy(s->seen[s->n_seen].from, r.u.share.from, MWX_ID_LEN);
            s->seen[s->n_seen].seq = r.u.share.seq;
            s->n_seen++;
        }
    }
    mwx_recreader_close(rd);
    if (s->n_seen)
        qsort(s->seen, s->n_seen, sizeof s->seen[0], seen_cmp);
    return MWX_OK;
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
    if (c->creds_path[0] &&
        (rc = mwx_nats_creds_load(c->creds_path, user, sizeof user, pass, sizeof pass, err)) !=
            MWX_OK)
        return rc;
    snprintf(name, sizeof name, "mwx-node-%s", c->nation);
    o.url = c->bus;
    o.user = user[0] ? user : NULL;
    o.password = pass[0] ? pass : NULL;
    o.name = name;
    o.send_asap = 1;
    o.max_reconnect = -1;  /* a service waits for its bus forever */
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
        (rc = mwx_metrics_counter(m, "mwx_node_gap_recovered_total", lab,
                                  "envelopes recovered by gap request", &s->c_gap_recovered,
                                  err)) ||
        (rc = mwx_metrics_counter(m, "mwx_node_gap_failed_total", lab,
                                  "gap requests refused or unanswered", &s->c_gap_failed,
                                  err)) ||
        (rc = mwx_metrics_counter(m, "mwx_node_gap_requests_refused_total", lab,
                                  "partners' gap requests past their rate (no reply)",
                                  &s->c_gap_refused, err)) ||
        (rc = mwx_metrics_counter(m, "mwx_node_bus_denied_total", lab,
                                  "publishes and subscriptions the server refused",
                                  &s->c_denied, err)) ||
        (rc = mwx_metrics_counter(m, "mwx_node_bus_slow_consumer_dropped_total", lab,
                                  "messages the bus client dropped (slow consumer)",
                                  &s->c_slow, err)) ||
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
                                  "track states not recorded while the disk was low",
                                  &s->c_shed, err)) ||
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
    if ((rc = mwx_json_load_string(s->sc.json, strlen(s->sc.json), c->sensors_path, &root,
                                   err)) != MWX_OK)
        return rc;
    rc = mwx_policy_from_json(root, c->sensors_path, &s->policy, err);
    json_decref(root);
    if (rc != MWX_OK)
        return rc;
    if (mwx_policy_index(&s->policy, c->nation) < 0)
        return mwx_err_set(err, MWX_EINVAL, "%s: $.nation: \"%s\" is not a nation of %s",
                           c->file, c->nation, c->sensors_path);
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
            gap_peer_init(&s->partner[s->n_partner++], t->nation);
    }
    if ((rc = mwx_mkdir_p(c->outputs, 0755, err)) != MWX_OK)
        return rc;

    /* what survives from an earlier run: recording, inbox (outbox after the node exists) */
    snprintf(path, sizeof path, "%s/node-%s.mwxr", c->outputs, c->nation);
    if ((rc = scan_recording(s, path, err)) != MWX_OK)
        return rc;
    start = c->start_unix > 0 ? c->start_unix : mwx_time_wall();
    snprintf(path, sizeof path, "%s/node-%s.inbox", c->outputs, c->nation);
    if ((rc = svc_log_open(path, start, inbox_entry, s, &s->inbox, &hdr_start, &in_existed,
                           err)) != MWX_OK)
        return rc;
    svc_log_set_retention(s->inbox, &c->retention, MWX_NODE_LOG_KEEP_ENTRIES);

    if ((rc = open_bus(s, err)) != MWX_OK)
        return rc;
    {
        /* the reply inbox of this run's gap requests */
        char sub[MWX_SUBJECT_LEN];
        s->gap_nonce = (unsigned)randombytes_random();
        snprintf(sub, sizeof sub, "_INBOX.mwxgap.%s.%08x.>", c->nation, s->gap_nonce);
        if ((rc = mwx_bus_subscribe(s->inner, sub, on_gap_reply, s, err)) != MWX_OK)
            return rc;
    }
    logf_(s, "connected to %s", strcmp(c->bus, "inproc") == 0 ? "the inproc bus" : c->bus);
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
    s->nc.regions_path = c->regions_path[0] ? c->regions_path
                         : s->sc.regions_path[0] ? s->sc.regions_path : NULL;
    s->nc.out_dir = c->outputs;
    s->nc.run_id = s->sc.name;
    s->nc.tak_endpoint = c->tak[0] ? c->tak : NULL;
    s->nc.stale_s = c->stale_s;
    s->nc.sim_clock = 0;
    /* partners' clocks may be a second apart (their scenario clocks `speed` times that) */
    s->nc.report_ahead_s = fmax(5.0, c->speed);
    s->nc.on_record = on_record;
    s->nc.user = s;
    /* the warning state: series continue across restarts (docs/NODE.md) */
    snprintf(s->warn_journal, sizeof s->warn_journal, "%s/node-%s.warn", c->outputs, c->nation);
    s->nc.warn_journal = s->warn_journal;
    /* the outbox: where seqs continue (read before the sender starts), the clock origin
     * kept from the first start; then loaded into the new node's sent log */
    snprintf(path, sizeof path, "%s/node-%s.outbox", c->outputs, c->nation);
    {
        svc_log_t *probe;
        if ((rc = svc_log_open(path, start, outbox_entry, s, &probe, &hdr_start, &existed,
                               err)) != MWX_OK)
            return rc;
        svc_log_close(probe);
    }
    s->start_unix = c->start_unix > 0 ? c->start_unix : hdr_start;
    s->nc.first_seq = s->last_out_seq ? s->last_out_seq + 1 : 0;
    /* a re-run scenario rebuilds the same tracks under the same ids; a live feed is not
     * re-run, so its new tracks get new numbers (partners fuse by origin and id: an old
     * id on a new object would carry that object into the old one's fused track) */
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
        if ((rc = mwx_cap_demo_pki(dir, (const char(*)[MWX_ID_LEN]) & c->nation, 1, 0, err)) !=
                MWX_OK ||
            (rc = mwx_cap_key_paths(dir, c->nation, s->cap_key, s->cap_cert, err)) != MWX_OK)
            return rc;
        s->nc.cap_key = s->cap_key;
        s->nc.cap_cert = s->cap_cert;
        logf_(s, "warning: no cap_key in %s: CAP files are signed with a DEMO key (CA %s/"
              "demo-ca.pem); make the nation's key with mwx keygen %s --cap", c->file, dir,
              c->nation);
    }
    if ((rc = mwx_node_create(&s->nc, &s->node, err)) != MWX_OK)
        return rc;
    {
        mwx_node_stats_t ns;
        mwx_node_get_stats(s->node, &ns);
        if (ns.warn.restored_series)
            logf_(s, "warning state restored: %llu series (%llu active), %llu CAP file(s) "
                  "written again", (unsigned long long)ns.warn.restored_series,
                  (unsigned long long)ns.warn.restored_active,
                  (unsigned long long)ns.warn.republished);
    }
    s->last_out_seq = 0;
    s->out_tracks = 0;
    if ((rc = svc_log_open(path, start, outbox_entry, s, &s->outbox, &hdr_start, &existed,
                           err)) != MWX_OK)
        return rc;
    svc_log_set_retention(s->outbox, &c->retention, MWX_NODE_LOG_KEEP_ENTRIES);
    mwx_node_set_publishing(s->node, s->out_tracks == 0);
    /* NATS: a commit thread (nats.c publishes from any thread); the in-process bus is
     * synchronous and single-threaded: one sync per envelope, as before */
    return svc_commit_create(s->outbox, s->hub == NULL, 0, commit_pub, s, &s->commit, err);
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
            rc = mwx_err_set(err, MWX_EIO, "node: cannot open the log file %s: %s",
                             cfg->log_path, strerror(errno));
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
        mwx_web_publish(s->web, &r, NULL);
        mwx_gauge_set(s->g_connected, s->connected);
        mwx_web_url(s->web, url, sizeof url);
        logf_(s, "operator page and /metrics at %s", url);
    }
    logf_(s, "start: scenario %s, speed %g, t = %.1f s now%s", s->sc.name, cfg->speed, scn_now(s),
          s->rec_t_last >= 0
              ? " (restart: re-running the scenario up to now, outbox and inbox reloaded)"
              : "");
    if (s->rec_t_last >= 0)
        logf_(s, "restart: outbox %llu envelopes (last seq %llu), inbox %zu, recording up to t = "
                 "%.1f s",
              (unsigned long long)svc_log_count(s->outbox), (unsigned long long)s->last_out_seq,
              s->n_in, s->rec_t_last);

    memset(&so, 0, sizeof so);
    s->last_hb = s->last_gap = s->last_sync = s->last_flush = 0;
    if (cfg->feed == MWX_FEED_BUS) {
        rc = run_live(s, err);
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
        replay_inbox(s, INFINITY);
        if (mwx_node_advance(s->node, s->sc.duration_s, err) != MWX_OK) {
            rc = err ? err->code : MWX_EIO;
            goto out;
        }
        s->t_cur = s->sc.duration_s;
        logf_(s, "scenario ended at t = %.1f s%s", s->sc.duration_s,
              cfg->exit_at_end ? "" : "; serving until signalled");
    }
    while (!*stop && !cfg->exit_at_end && s->rc == MWX_OK)
        tick(s, 0.1);
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
        if (svc_commit_barrier(s->commit, &e) != MWX_OK && rc == MWX_OK) {
            rc = e.code;
            if (err)
                *err = e;
        }
        mwx_node_get_stats(s->node, &st);
        if (s->inner && strcmp(cfg->bus, "inproc") != 0)
            mwx_bus_flush(s->inner, 1.0, NULL);
        logf_(s, "stop: %llu measurements, %llu own track updates, %llu fused updates "
                 "(%llu merges, %llu splits), %llu published, %llu accepted, %llu recovered "
                 "by gap request, %llu alerts",
              (unsigned long long)st.meas, (unsigned long long)st.own_track_updates,
              (unsigned long long)st.fused_updates, (unsigned long long)st.fusion_merged,
              (unsigned long long)st.fusion_split, (unsigned long long)st.published,
              (unsigned long long)st.share.accepted, (unsigned long long)s->gap_recovered,
              (unsigned long long)st.alerts);
        {
            svc_commit_stats_t cs;
            svc_commit_stats(s->commit, &cs);
            logf_(s, "outbox: %llu envelopes, %llu publishes behind %llu syncs (largest "
                     "group %llu, queue full %llu times)",
                  (unsigned long long)cs.envelopes, (unsigned long long)cs.published,
                  (unsigned long long)cs.syncs,
                  (unsigned long long)cs.max_batch, (unsigned long long)cs.full_waits);
        }
        if (cfg->feed == MWX_FEED_BUS)
            logf_(s, "sensor feed: %llu received, %llu malformed or not ours, %llu late, "
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
    svc_commit_destroy(s->commit); /* its thread publishes on the inner bus */
    if (s->inner)
        mwx_bus_close(s->inner);
    if (s->hub)
        mwx_inproc_hub_destroy(s->hub);
    svc_log_close(s->outbox);
    svc_log_close(s->inbox);
    if (s->sc_loaded)
        mwx_scenario_free(&s->sc);
    free(s->seen);
    free(s->fused_last);
    free(s->feed_q);
    free(s->in_data);
    free(s->in_ent);
    if (s->own_log)
        fclose(s->log);
    free(s);
    return rc;
}
