/* The state of `mwx node` as a service (svc_t), shared by its files: service.c (the log,
 * the bus wrapper, the loop, start-up), service_store.c (what the node records and the
 * outbox/inbox replay at start), service_gap.c (gap recovery), service_feed.c (the live
 * sensor feed). Private to src/node. */
#ifndef MWX_SERVICE_STATE_H
#define MWX_SERVICE_STATE_H

#include "mwx/node.h"
#include "mwx/web.h"
#include "gap_async.h"
#include "node/cap_keys.h"
#include "service_int.h"
#include "core/buf.h"
#include <stdarg.h>
#include <stdio.h>

#define GAP_PERIOD_S 0.5
#define TICK_S       0.05

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
    char warn_journal[MWX_PATH_LEN * 2];                /* OUTPUTS/node-NATION.warn */
    char cap_key[MWX_PATH_LEN], cap_cert[MWX_PATH_LEN]; /* the demo key's, when no cap_key */
    FILE *log;
    int own_log; /* log is cfg->log_path, opened here */
    uint64_t log_reopens;
    volatile int *stop;
    mwx_scenario_t sc;
    int sc_loaded;
    mwx_policy_t policy;
    mwx_keypair_t key;
    mwx_node_cfg_t nc;
    mwx_inproc_hub_t *hub;
    mwx_bus_t *inner; /* NATS (or inproc) */
    mwx_bus_t wrap;   /* what the node sees */
    mwx_bus_handler_fn in_fn;
    void *in_user;
    mwx_node_t *node;
    mwx_recwriter_t *rec;
    svc_log_t *outbox, *inbox;
    svc_commit_t *commit;      /* the outbox's group commit (service_commit.c) */
    mwx_bus_handler_fn gap_fn; /* the node's gap-request handler */
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
    uint32_t *fused_gen; /* which file of the recording each fused_last came from */
    size_t cap_fused_gen;
    size_t *fused_slot; /* open-addressing index of fused_last by id (+1; 0 = empty) */
    size_t n_fused_slot;
    seen_t *seen; /* verified share records already in the recording */
    size_t n_seen, cap_seen;
    uint8_t *in_data; /* inbox entries to replay */
    size_t in_len, in_cap;
    inbox_ent_t *in_ent;
    size_t n_in, cap_in, in_next;
    int replaying;      /* feeding the inbox: do not log it again */
    double replay_from; /* a live restart: inbox entries received before this scenario
                           time are history (mwx_node_set_history) */
    int in_history;
    size_t n_in_hist, n_in_skip;
    struct in_max { /* a live restart: each origin's highest seq in the inbox, and the */
        char origin[MWX_ID_LEN]; /* newest session learnt below its window */
        uint64_t seq, learnt;
    } in_max[MWX_MAX_NATIONS];
    int n_in_max;
    /* loop */
    double t_cur;     /* scenario time of the last advance */
    int scan_pending; /* measurements at t_cur not yet flushed to the tracker */
    int caught_up;
    double last_hb, last_gap, last_sync, last_flush;
    char signed_warned[MWX_MAX_NATIONS * (MWX_ID_LEN + 1)]; /* " KR JP": said once each */
    uint64_t signed_base; /* mwx_node_stats_t.signed_only after the inbox replay (what it
                             replayed may predate sessions) */
    int signed_based;
    partner_t partner[MWX_MAX_NATIONS];
    int n_partner;
    int connected;
    int first_track_logged;
    mwx_share_counters_t last_c;
    uint64_t publish_fail;
    int rc;
    mwx_err_t err;
    /* live feed (cfg->feed == MWX_FEED_BUS): the bus handler queues, the loop feeds */
    mwx_rec_meas_t *feed_q; /* in arrival order; the handler appends at feed_n */
    size_t feed_cap, feed_n;
    uint64_t feed_in, feed_bad, feed_late, feed_future, feed_full;
    uint64_t feed_logged_drops;
    double feed_last_t;        /* newest measurement time fed */
    double feed_last_arrival;  /* wall time the newest queued one arrived */
    double feed_first_arrival; /* ... and the oldest */
    /* web */
    mwx_web_t *web;
    mwx_gauge_t *g_connected, *g_t;
    mwx_gauge_t *g_rss, *g_fds, *g_disk_free, *g_warn_restored, *g_warn_adopted;
    mwx_counter_t *c_accepted, *c_published, *c_gap_recovered, *c_drop[MWX_DROP_N];
    uint64_t gap_recovered, gap_failed;
    uint64_t last_denied_pub, last_denied_sub, last_slow, last_qfull;
    mwx_counter_t *c_denied, *c_slow, *c_qfull, *c_gap_failed, *c_gap_refused, *c_syncs;
    mwx_counter_t *c_report_drop[4]; /* register_metrics: why[] */
    mwx_counter_t *c_report_ahead;   /* reports taken back, asked for again (node.c) */
    mwx_counter_t *c_own_refused;    /* own tracker reports that were no estimate (node.c) */
    uint64_t last_drop[4], last_ahead, last_own_refused; /* the totals logged so far */
    /* disk nearly full (disk_check): the public warning path first */
    int disk_low;
    uint64_t records_shed, compact_failed;
    mwx_gauge_t *g_disk_low;
    /* acknowledgements: per recipient of this node's envelopes, and the oldest of all */
    char ack_to[MWX_MAX_NATIONS][MWX_ID_LEN];
    int n_ack_to;
    mwx_gauge_t *g_unacked[MWX_MAX_NATIONS], *g_acked[MWX_MAX_NATIONS], *g_unacked_max;
    mwx_counter_t *c_shed, *c_compact_failed;
    unsigned gap_nonce; /* this run's reply inbox: replies to an earlier run miss */
    uint8_t gap_req[MWX_ENVELOPE_MAX];
    uint8_t gap_reply[MWX_GAP_REPLY_MAX];
} svc_t;

/* Functions of one file of the service used by another. */
void mwxi_svc_logf(svc_t *s, const char *fmt, ...) MWX_PRINTF(2, 3);
void mwxi_svc_logw(svc_t *s, const char *fmt, ...) MWX_PRINTF(2, 3);
void mwxi_svc_fail_once(svc_t *s, int rc, const mwx_err_t *e);
double mwxi_svc_scn_now(const svc_t *s);
void mwxi_svc_deliver(svc_t *s, const uint8_t *data, size_t len, double recv_unix_s);
void mwxi_svc_on_gap_reply(void *user, const char *subject, const uint8_t *data, size_t len,
                           const char *reply);
void mwxi_svc_gap_check(svc_t *s, double now);
void mwxi_svc_tick(svc_t *s, double timeout_s);
void mwxi_svc_replay_inbox(svc_t *s, double t);
void mwxi_svc_replay_live(svc_t *s);
int mwxi_svc_run_live(svc_t *s, mwx_err_t *err);
int mwxi_svc_outbox_entry(void *user, double unix_s, double t_scn, const uint8_t *data, size_t len);
int mwxi_svc_inbox_entry(void *user, double unix_s, double t_scn, const uint8_t *data, size_t len);
int mwxi_svc_inbox_count(void *user, double unix_s, double t_scn, const uint8_t *data, size_t len);
int mwxi_svc_inbox_live(void *user, double unix_s, double t_scn, const uint8_t *data, size_t len);
int mwxi_svc_scan_recording(svc_t *s, const char *path, double horizon_s, mwx_err_t *err);
void mwxi_svc_close_lost_fused(svc_t *s);
/* The node core's record callback: what the node records, once each (service_store.c). */
void mwxi_svc_on_record(void *user, const mwx_record_t *r);

#endif
