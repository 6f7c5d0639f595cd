/*
 * mwx/node.h -- a nation's node: the layer that composes the stages.
 *
 * A node takes its nation's measurements, tracks them (track), publishes its tracks and
 * receives its partners' (share), fuses them into one picture (this header's fusion),
 * and warns the public of its own regions (warn). `mwx node` runs one node as a
 * service on a real bus; `mwx run` runs every nation's node in one process.
 *
 * Fusion contract: mwx_fusion_update() takes one source track report (the node's own,
 * or a partner's already verified by share) and returns the fused track it now belongs
 * to. Tracks from different sources are associated by a chi-square gate on position and
 * velocity; estimates are combined by covariance intersection (CI), which stays
 * consistent whatever the unknown correlation between the nations' estimates (they
 * share no sensor data, but their tracks may share process-noise history). Two live
 * tracks of the same source are never fused together: a salvo stays a salvo.
 * Association is revisited as reports come: a source that stops agreeing with the rest
 * of its fused track leaves it, and fused tracks that agree merge (the older id
 * survives); such side effects on other fused tracks are listed by
 * mwx_fusion_touched() after each update.
 */
#ifndef MWX_NODE_H
#define MWX_NODE_H

#include "mwx/core.h"
#include "mwx/score.h"
#include "mwx/share.h"
#include "mwx/sim.h"
#include "mwx/warn.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MWX_FUSION_MAX_SOURCES 8

typedef struct mwx_fusion mwx_fusion_t;

typedef struct mwx_fusion_cfg {
    char node[MWX_ID_LEN]; /* this node's nation: fused ids are "<node>-F<n>" */
    int capacity;          /* max fused tracks (preallocated) */
    double gate_chi2;      /* association gate on 6-D distance; 0 = 22.46 (99.9 %, 6 dof) */
    double max_age_s;      /* a source silent this long no longer contributes; 0 = 30 s */
    int per_origin;        /* fused tracks that only one partner's reports make (not
                               cfg.node's own): at most this many per partner, so that one
                               partner's flood of track ids cannot fill the table or the
                               warning context behind it; 0 = no limit */
    unsigned first_num;    /* fused numbers continue above this (0: from F1): a node
                               restarted on a live feed never gives an id it recorded to
                               another missile (CoT and the operator page key by id) */
} mwx_fusion_cfg_t;

MWX_API MWX_NODISCARD int mwx_fusion_create(const mwx_fusion_cfg_t *cfg, mwx_fusion_t **out,
                                            mwx_err_t *err);
MWX_API void mwx_fusion_destroy(mwx_fusion_t *f);

/* Feed one source track (src->node = its origin nation, src->track_id its id there).
 * On success *fused holds the fused track it belongs to, as of src->t. MWX_EFULL when
 * capacity is exhausted, or a partner's report would start a fused track beyond its
 * per_origin share (the report is dropped and counted; mwx_fusion_touched() may
 * still list a fused track the source left). MWX_EINVAL for a report that is no Gaussian
 * estimate (covariance not positive definite, variances outside (1 mm)^2..(10^4 km)^2,
 * or non-finite values): refused and counted (mwx_fusion_rejected). */
MWX_API MWX_NODISCARD int mwx_fusion_update(mwx_fusion_t *f, const mwx_rec_track_t *src,
                                            mwx_rec_track_t *fused, mwx_err_t *err);

/* Current fused tracks (index 0..count-1) as of their last update; ended ones
 * (mwx_fusion_expire) are listed unconfirmed. */
MWX_API size_t mwx_fusion_count(const mwx_fusion_t *f);
MWX_API MWX_NODISCARD int mwx_fusion_get(const mwx_fusion_t *f, size_t i, mwx_rec_track_t *out);
/* When the table is full, the fused track whose sources have all been silent longest
 * (more than max_age_s) is retired and its slot reused; only when none is silent is the
 * report dropped and counted. */
MWX_API uint64_t mwx_fusion_dropped(const mwx_fusion_t *f);
MWX_API uint64_t mwx_fusion_retired(const mwx_fusion_t *f);
/* Fused tracks merged into an older one, and sources that left a fused track. */
MWX_API uint64_t mwx_fusion_merged(const mwx_fusion_t *f);
MWX_API uint64_t mwx_fusion_rejected(const mwx_fusion_t *f);
MWX_API uint64_t mwx_fusion_split(const mwx_fusion_t *f);

/* Time passes to t (the node's clock): a fused track that has not come down and whose
 * sources have all been silent for more than max_age_s ends. It leaves the picture like
 * a merged-away one (listed below with ended 1, its last estimate unconfirmed) and feeds
 * no other estimate; it stays in the table, so that a source of it that reports again
 * (a partner's track after a link cut) relinks it under its id, and so may, for 256 s, a
 * new track its last estimate, carried forward, gates with (a partner's track after its
 * node restarted; only a coasting ballistic estimate is carried). One whose sources
 * include a last word (phase impact) lands instead (ended 0). At most a few per call:
 * returns how many it changed, listed by mwx_fusion_touched(); call again until 0. */
MWX_API size_t mwx_fusion_expire(mwx_fusion_t *f, double t);
/* Fused tracks ended by mwx_fusion_expire(), and ended ones relinked since. */
MWX_API uint64_t mwx_fusion_ended(const mwx_fusion_t *f);
MWX_API uint64_t mwx_fusion_relinked(const mwx_fusion_t *f);

/* Other fused tracks the last mwx_fusion_update() or mwx_fusion_expire() changed: one a
 * source left (its new estimate, ended 0), one that landed (ended 0), or one merged into
 * the returned track or ended by mwx_fusion_expire() (its last estimate, marked
 * unconfirmed; ended 1: it is out of the picture). Returns how many; entry i goes to
 * *trk and *ended when i is below that. */
MWX_API size_t mwx_fusion_touched(const mwx_fusion_t *f, size_t i, mwx_rec_track_t *trk,
                                  int *ended);

/* Covariance intersection of two Gaussian estimates (n = 2 or 3; row-major n x n
 * covariances). omega in [0, 1] minimising the trace of the result is found by golden
 * section. Exposed for tests and benchmarks. */
MWX_API MWX_NODISCARD int mwx_fusion_ci(int n, const double *xa, const double *pa, const double *xb,
                                        const double *pb, double *x, double *p, double *omega);

/* ------------------------------------------------------------------ the node core */

/*
 * One nation's node, independent of how it is driven: `mwx run` feeds it simulated
 * measurements on scenario time over the inproc bus; `mwx node` feeds it a sensor feed in
 * real time over NATS. Every record the node produces goes to on_record, in order:
 *
 *   track   its own tracks (track_id "JP-7", sources "JP") and its fused picture
 *           (track_id "JP-F3", sources "JP,US"), every update;
 *   share   one per envelope received from a partner (verified 1), or dropped by the
 *           receiver but readable (verified 0: forged, replayed, not releasable...);
 *   alert   every public warning it issued (CAP files under out_dir/alerts/).
 *
 * Each nation warns the public of its own regions only (region country == nation).
 */
typedef void (*mwx_node_record_fn)(void *user, const mwx_record_t *rec);

typedef struct mwx_node_trust {
    char nation[MWX_ID_LEN];
    uint8_t pk[MWX_PUBKEY_BYTES];
} mwx_node_trust_t;

typedef struct mwx_node_cfg {
    char nation[MWX_ID_LEN];
    double epoch_unix;          /* scenario epoch (t = 0) */
    mwx_status_t status;        /* Exercise/Test for simulated sources */
    mwx_warn_source_t source;   /* simulated scenarios can never warn Actual */
    mwx_physics_t physics;      /* the tracker's dynamics */
    const mwx_policy_t *policy; /* releasability (required with a bus) */
    const mwx_keypair_t *key;   /* own signing key (required with a bus) */
    mwx_node_trust_t trusted[MWX_MAX_NATIONS];
    int n_trusted;
    mwx_bus_t *bus;               /* NULL: alone: nothing published or received */
    const char *regions_path;     /* NULL: no public warnings */
    const char *out_dir;          /* where alerts/ goes (required with regions_path) */
    const char *run_id;           /* part of CAP identifiers (may be NULL) */
    const char *tak_endpoint;     /* optional CoT stream of the fused tracks (warn.h):
                                     "udp://host:port" or "tcp://host:port" */
    const char *picture_tag;      /* several nodes sharing out_dir: per-node alerts-<tag>.atom
                                     and latest-<tag>.geojson (mwx run merges them) */
    int tracker_capacity;         /* 0 = 256 */
    double stale_s;               /* receiver staleness limit; 0 = 60 s */
    int sim_clock;                /* 1: envelope times are epoch + scenario t (mwx run);
                                     0: the wall clock (a live node) */
    size_t sentlog_slots;         /* envelopes kept to answer gap requests; 0 = 8192 */
    mwx_node_record_fn on_record; /* may be NULL */
    void *user;
    const char *cap_key;        /* optional: the nation's CAP alerting key and its
                                     certificate (PEM, `mwx keygen --cap`): every CAP file */
    const char *cap_cert;       /* is signed (warn.h, "signed CAP"). NULL: unsigned */
    const char *warn_journal;   /* optional: the warning context's journal (warn.h,
                                     journal_path): `mwx node` keeps its series across
                                     restarts in OUTPUTS/node-NATION.warn. With
                                     it, the warning files are durable too (each
                                     fsynced before it gets its name). */
    int defer_view_sync;        /* with warn_journal: the picture files (latest.geojson,
                                     CoT events) are fsynced by mwx_node_sync_views(), not
                                     at each rewrite (warn.h, defer_view_sync) */
    uint64_t alerts_keep_bytes; /* retention of OUTPUTS/alerts/ (warn.h, alerts_keep_bytes */
    double alerts_keep_age_s;   /* and alerts_keep_age_s); 0: no limit */
    uint64_t first_seq;         /* first seq to send; 0 = default (1 with sim_clock, else
                                     mwx_share_seq_base(now)). `mwx node` continues above
                                     its outbox after a restart. */
    int sessions;               /* 1: envelopes carry per-recipient session MACs, with a
                                     signed session/checkpoint message at start, every
                                     64 envelopes and at least every second (`mwx node`,
                                     docs/SHARING.md); 0: every envelope Ed25519-signed
                                     (mwx run: deterministic bytes). Falls back to signing
                                     when a recipient's public key is not in `trusted`.
                                     NODE.json "sessions" (default true). */
    double report_ahead_s;      /* a partner's track report timed more than this ahead
                                     of the node's time (scenario s; mwx_node_set_clock) is
                                     implausible: dropped and counted (a live node asks
                                     for it again when it is at most 60 times this ahead:
                                     reports_ahead). 0 = 5 s */
    int first_track_id;         /* own track numbers continue above this (0: from 1).
                                     Partners key a report by (origin, track id): a node
                                     restarted on a live feed, whose tracker starts afresh,
                                     must not send a new object under an old id. */
    unsigned first_fused_num;   /* fused ids continue above <nation>-F<this>, likewise */
} mwx_node_cfg_t;

typedef struct mwx_node mwx_node_t;

typedef struct mwx_node_stats {
    uint64_t meas, own_track_updates, fused_updates;
    uint64_t published, publish_errors, received, alerts, gap_requests_answered;
    uint64_t gap_requests_refused;     /* verified gap requests past the requester's rate
                                      (8 at once, then 4 a second): no reply */
    uint64_t bad_payloads;             /* verified envelopes whose payload was unreadable, a track
                               report naming another node than its signer, or one fusion
                               refused (no Gaussian estimate): dropped */
    uint64_t implausible;              /* verified partner track reports outside what a missile can
                               be (position, speed) or timed ahead of the node's clock:
                               dropped (they would steer fusion and the warnings' clock) */
    uint64_t warn_full;                /* fused tracks the warning context had no room for */
    uint64_t signed_only;              /* live data accepted Ed25519-signed from a partner this node
                               MACs for and that announced no session (it predates
                               sessions, has them off, or lacks this node's key) */
    char signed_only_from[MWX_ID_LEN]; /* the last such partner ("" = none) */
    uint64_t fusion_merged, fusion_split, fusion_dropped; /* mwx_fusion_merged() etc. */
    uint64_t fusion_ended, fusion_relinked; /* mwx_fusion_ended(), mwx_fusion_relinked() */
    mwx_share_counters_t share;
    mwx_warn_stats_t warn;  /* the warning context's (zero without one) */
    uint64_t reports_ahead; /* verified partner track reports a live node took back (timed
                               ahead of its clock, within 60 report_ahead_s): not
                               acknowledged, asked for again by gap recovery */
    uint64_t own_refused;   /* the node's own tracker's reports that were no estimate (out
                               of range, or a covariance fusion refuses): dropped before
                               they are recorded, sent or fused, never fatal */
} mwx_node_stats_t;

MWX_API MWX_NODISCARD int mwx_node_create(const mwx_node_cfg_t *cfg, mwx_node_t **out,
                                          mwx_err_t *err);
MWX_API void mwx_node_destroy(mwx_node_t *n);
/* One measurement (other nations' are ignored: a node sees its own sensors only). */
MWX_API MWX_NODISCARD int mwx_node_meas(mwx_node_t *n, const mwx_rec_meas_t *m, mwx_err_t *err);
/* Scenario time has reached t: finish pending scans, deliver what the bus holds, and let
 * the warning policy act on elapsed time (all-clear, stale tracks). */
MWX_API MWX_NODISCARD int mwx_node_advance(mwx_node_t *n, double t, mwx_err_t *err);
/* Only deliver what the bus holds (a live node between measurements). */
MWX_API MWX_NODISCARD int mwx_node_poll(mwx_node_t *n, double timeout_s, mwx_err_t *err);
MWX_API void mwx_node_get_stats(const mwx_node_t *n, mwx_node_stats_t *st);
MWX_API const char *mwx_node_nation(const mwx_node_t *n);
MWX_API mwx_fusion_t *mwx_node_fusion(mwx_node_t *n);

/* For a live node (`mwx node`): */
/* One envelope through the receive path (as if it came off the bus) with its receive time
 * (<= 0: now): gap-recovery replies, and the inbox replayed after a restart. */
MWX_API MWX_NODISCARD int mwx_node_receive_envelope(mwx_node_t *n, const uint8_t *data, size_t len,
                                                    double recv_unix_s, mwx_err_t *err);
/* Seal and publish one heartbeat (sequenced like data, kept in the sent log). */
MWX_API MWX_NODISCARD int mwx_node_heartbeat(mwx_node_t *n, mwx_err_t *err);
/* 0: own tracks are fused and recorded but not sealed or published (a restarted node
 * re-running what it already sent); 1 (default): published. */
MWX_API void mwx_node_set_publishing(mwx_node_t *n, int on);
/* A live node's scenario clock (scenario s now), which may run ahead of the measurements'
 * times: partner reports are checked against the later of the two. */
MWX_API void mwx_node_set_clock(mwx_node_t *n, double t);
/* History being fed again (a restart's inbox replay): the warning context's picture and
 * track views are not rewritten durably per update (mwx_warn_set_replay); off writes the
 * picture at once. */
MWX_API MWX_NODISCARD int mwx_node_set_replay(mwx_node_t *n, int on, mwx_err_t *err);
/* History older than anything the picture can still use (a live node's restart replays
 * such inbox envelopes first): while on, a received envelope is verified and rebuilds the
 * receiver's state (replay windows, partner sessions) and nothing else: no fusion, no
 * warning, no record. */
MWX_API void mwx_node_set_history(mwx_node_t *n, int on);
/* defer_view_sync: fsync the picture files rewritten since the last call
 * (mwx_warn_sync_views); `mwx node` calls it every second of wall time. */
MWX_API MWX_NODISCARD int mwx_node_sync_views(mwx_node_t *n, mwx_err_t *err);
MWX_API mwx_receiver_t *mwx_node_receiver(mwx_node_t *n);
MWX_API mwx_sentlog_t *mwx_node_sentlog(mwx_node_t *n);

/* ------------------------------------------------------------------ the whole chain */

/*
 * mwx_run(): every nation's node in one process on the inproc bus, fed by the simulator
 * (`mwx run`, `mwx demo`). Writes, under out_dir (PRODUCT.md):
 *   run.mwxr            scenario, truth, measurements, tracks, shares, alerts (atomic)
 *   report.json         the Report, plus the sharing-benefit table (atomic)
 *   alerts/             every CAP warning, CoT event, latest.geojson, alerts.atom
 * Deterministic for a seed (signing keys are made fresh for each run; the CAP files'
 * signatures differ from run to run, everything else is the same).
 * CAP files are signed with each nation's alerting key from cap_keys
 * (cap_keys/NATION-cap.key and NATION-cap.pem, as `mwx keygen NATION --cap -o DIR` writes);
 * without cap_keys a demo PKI is made for the run in out_dir/pki/ (demo-ca.pem, a CA named
 * "mwx DEMO CA", and NATION-cap.*), so that a run's files are signed and verifiable
 * (docs/WARNING_POLICY.md).
 */
typedef struct mwx_run_opts {
    const char *scenario_path;
    const char *out_dir;
    uint64_t seed;
    int has_seed;
    double speed;               /* 0: as fast as possible; else scenario s per wall s */
    int compare_alone;          /* also run each nation alone: the sharing-benefit table */
    int progress;               /* a progress line on stderr */
    mwx_node_record_fn observe; /* every record of the run, live (web page, timeline) */
    void *user;
    volatile int *stop;   /* set to non-zero to stop early (signals) */
    const char *cap_keys; /* folder of the nations' CAP alerting keys; NULL: a demo PKI
                                  in out_dir/pki */
    /* Every node's counters, at most once per scenario second and at the end (the
     * operator page's /metrics). */
    void (*node_stats)(void *user, const char *nation, const mwx_node_stats_t *st);
} mwx_run_opts_t;

typedef struct mwx_run_benefit {
    char nation[MWX_ID_LEN];
    char launch[MWX_ID_LEN];
    /* [0] alone (own sensors only), [1] with partners' shared tracks; NAN = none */
    double first_track_s[2]; /* after launch */
    double impact_error_km_300[2];
    double impact_error_km[2][3]; /* at each checkpoint, indexed by MWX_SCORE_AT_* */
    double lead_time_s[2];        /* smallest lead time over its own threatened regions */
    int own_regions_threatened;
    /* the vehicle's impact-point error over the flight, {time to go s, km} (score.h
     * impact_error_curve, every 10 s): `mwx report` draws alone against shared */
    double impact_error_curve[2][MWX_SCORE_MAX_CURVE][2];
    int n_curve[2];
} mwx_run_benefit_t;

typedef struct mwx_run_result {
    mwx_run_benefit_t *benefit;
    size_t n_benefit;
    size_t n_records, n_alerts;
    double wall_s;
} mwx_run_result_t;

MWX_API MWX_NODISCARD int mwx_run(const mwx_run_opts_t *o, mwx_run_result_t *res, mwx_err_t *err);
MWX_API void mwx_run_result_free(mwx_run_result_t *res);
/* The sharing-benefit table, human-readable. */
MWX_API void mwx_run_print_benefit(const mwx_run_result_t *res, FILE *f);

/* ------------------------------------------------------------------ the service */

/*
 * `mwx node --config NODE.json`: one nation's node as a long-running service on a real
 * bus (docs/NODE.md). The config is read strictly (unknown keys are errors; messages
 * "FILE: $.key: expected ..."); relative paths resolve against the config's folder.
 */
#define MWX_NODE_MAX_TRUST MWX_MAX_NATIONS

typedef enum mwx_feed {
    MWX_FEED_SCENARIO = 0, /* replay the scenario's sensors of this nation on its clock */
    MWX_FEED_BUS = 1       /* live: measurements published on mwx-meas.<nation> */
} mwx_feed_t;

typedef struct mwx_node_service_cfg {
    char file[MWX_PATH_LEN]; /* the config file, for messages */
    char nation[MWX_ID_LEN];
    char bus[512]; /* "inproc" or NATS URL(s), comma-separated */
    char key_path[MWX_PATH_LEN];
    char trust_nation[MWX_NODE_MAX_TRUST][MWX_ID_LEN];
    char trust_path[MWX_NODE_MAX_TRUST][MWX_PATH_LEN];
    int n_trust;
    char sensors_path[MWX_PATH_LEN]; /* scenario file */
    char regions_path[MWX_PATH_LEN]; /* "" = the scenario's */
    char outputs[MWX_PATH_LEN];
    char http[64];                 /* "" = no web server; else "HOST:PORT" */
    char creds_path[MWX_PATH_LEN]; /* "" = no NATS credentials */
    char tls_ca[MWX_PATH_LEN];     /* "tls": "" = plain NATS; else mutual TLS with the */
    char tls_cert[MWX_PATH_LEN];   /* CA certificate, this node's certificate and key */
    char tls_key[MWX_PATH_LEN];    /* (mwx nats-config --tls: tls/node-NATION.*) */
    char tls_server_name[256];     /* "" = the URL's host when it is a DNS name */
    double speed;                  /* scenario seconds per wall second (default 1) */
    double start_unix;             /* scenario t = 0 at this wall time; 0 = at start */
    int exit_at_end;               /* exit 0 when the scenario ends (default: serve on) */
    double stale_s;                /* receiver staleness limit (default 600 s) */
    double replay_horizon_s;       /* a live feed's restart: inbox envelopes received longer
                                        ago (scenario s) than this rebuild the replay windows
                                        and sessions only, not the picture (default
                                        MWX_NODE_REPLAY_HORIZON_S; 0: all of it) */
    int sessions;                  /* "sessions" (default 1): MAC'd envelopes and signed
                                        checkpoints; 0: a signature per envelope, for
                                        partners built before sessions (docs/SHARING.md) */
    int feed;                      /* where measurements come from (mwx_feed_t) */
    char tak[160];                 /* "" = none; else the CoT stream's endpoint */
    char log_path[MWX_PATH_LEN];   /* "" = the log stream given to the run; else a file
                                        (appended; reopened when *reopen is set) */
    int log_json;                  /* 1: one JSON object a line (ts, level, node, msg) */
    volatile int *reopen;          /* set (by a SIGHUP handler) to reopen log_path */
    char cap_key[MWX_PATH_LEN];    /* "" = a demo key in OUTPUTS/pki (made once, kept) */
    char cap_cert[MWX_PATH_LEN];   /* both or neither */
    mwx_retention_t retention;     /* "retention": rotation of the recording, outbox and
                                        inbox (docs/NODE.md, "Retention") */
    uint64_t disk_low_bytes;       /* "retention.disk_low_bytes": below this many free
                                        bytes in outputs the node sheds its lower-priority
                                        writes (docs/NODE.md, "Disk nearly full"); 0 = never */
    uint64_t alerts_keep_bytes;    /* "retention.alerts_keep_bytes" / "alerts_keep_age_s": */
    double alerts_keep_age_s;      /* CAP and CoT files kept in OUTPUTS/alerts/ (default
                                        keep_bytes / keep_age_s; 0 = no limit) */
} mwx_node_service_cfg_t;

/* "retention" defaults: 64 MiB or a day a segment; keep 1 GiB of closed segments per
 * file, and none older than 30 days (the recording compacts them, the logs remove
 * them, never below the last MWX_NODE_LOG_KEEP_ENTRIES envelopes). */
#define MWX_NODE_SEGMENT_BYTES    (64.0 * 1024 * 1024)
#define MWX_NODE_SEGMENT_AGE_S    86400.0
#define MWX_NODE_KEEP_BYTES       (1024.0 * 1024 * 1024)
#define MWX_NODE_KEEP_AGE_S       (30 * 86400.0)
#define MWX_NODE_LOG_KEEP_ENTRIES 8192
/* "replay_horizon_s" default: 2 h of scenario time, longer than any flight the project
 * models (a partner's track of it is over, and its fused track can no longer relink:
 * fusion's RELINK_S is 256 s); what a restart replays through fusion and warnings is
 * then bounded by it, not by the retention (docs/NODE.md, "Restart"). */
#define MWX_NODE_REPLAY_HORIZON_S 7200.0
/* "retention.disk_low_bytes" default: 64 MiB free (hours of CAP files, journal and outbox
 * at any traffic this project has seen; the recording is what fills a disk). */
#define MWX_NODE_DISK_LOW_BYTES (64.0 * 1024 * 1024)

MWX_API MWX_NODISCARD int mwx_node_config_load(const char *path, mwx_node_service_cfg_t *cfg,
                                               mwx_err_t *err);
/* Run until *stop becomes non-zero (signals) or, with exit_at_end, the scenario ends.
 * Log lines go to log (stderr). MWX_EBUS when the bus cannot be reached at start. */
MWX_API MWX_NODISCARD int mwx_node_service_run(const mwx_node_service_cfg_t *cfg,
                                               volatile int *stop, FILE *log, mwx_err_t *err);
/* A node's outbox or inbox (OUTPUTS/node-N.outbox, .inbox) as JSON Lines: one envelope a
 * line {"seq", "origin", "type", "to", "sent_unix_s", "t"} (`mwx node --dump-log`). */
MWX_API MWX_NODISCARD int mwx_node_log_dump(const char *path, FILE *out, mwx_err_t *err);

#ifdef __cplusplus
}
#endif

#endif /* MWX_NODE_H */
