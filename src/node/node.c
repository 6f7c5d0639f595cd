/*
 * A nation's node: tracker -> (publish, fuse) -> warn, and bus -> verify -> fuse -> warn.
 *
 * The node owns one of each stage's objects and wires them together; it does no
 * estimation of its own beyond fusion. Everything it produces goes out through
 * cfg.on_record so that the caller (mwx run, mwx node) decides where records go
 * (recording, web page, terminal timeline).
 */
#include "mwx/node.h"
#include "mwx/track.h"
#include "share/share_int.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mwx_node {
    mwx_node_cfg_t cfg;
    mwx_tracker_t *tracker;
    mwx_fusion_t *fusion;
    mwx_warn_t *warn;
    mwx_cap_signer_t *cap_signer; /* NULL: unsigned CAP */
    mwx_sender_t sender;
    int can_publish;
    int quiet;   /* mwx_node_set_publishing(n, 0) */
    int history; /* mwx_node_set_history */
    mwx_receiver_t *receiver;
    mwx_sentlog_t *sentlog;
    uint32_t announced; /* policy indexes of partners that sent a session
                                         message (they MAC; receive) */
    double t_now;
    double clock_t; /* mwx_node_set_clock (live node); -inf: none */
    mwx_node_stats_t st;
    uint8_t buf[MWX_ENVELOPE_MAX]; /* sealing: one envelope at a time */
    uint8_t gap_buf[MWX_GAP_REPLY_MAX];
    struct gap_bucket { /* answers per requester: a token bucket (on_gap) */
        char nation[MWX_ID_LEN];
        double tokens, t; /* t: mwx_time_mono() of the last refill */
    } gap_bucket[MWX_MAX_NATIONS];
    int n_gap_bucket;
    mwx_err_t cb_err; /* first error inside a callback, reported later */
};

static void emit(mwx_node_t *n, const mwx_record_t *rec)
{
    if (n->cfg.on_record)
        n->cfg.on_record(n->cfg.user, rec);
}

static void note_error(mwx_node_t *n, const mwx_err_t *e)
{
    if (n->cb_err.code == MWX_OK && e->code != MWX_OK)
        n->cb_err = *e;
}

static double now_unix(const mwx_node_t *n)
{
    return n->cfg.sim_clock ? n->cfg.epoch_unix + n->t_now : mwx_time_wall();
}

/* The fused tracks the last fusion call changed besides the one it returned
 * (mwx_fusion_touched): a fused track a source left is re-reported; one merged into
 * another, or ended because all its sources went silent, is reported a last time
 * (unconfirmed) and its warning series ends as "lost", which keeps its warnings up to the
 * predicted impact: the survivor, or a track that carries the missile on, takes them
 * over (docs/WARNING_POLICY.md, "One threat, one series"), and a region is never
 * cancelled for a missile that is still coming. t_end: the node's time for an ending
 * (NAN: the track's own). */
static void fusion_side_effects(mwx_node_t *n, double t_end)
{
    mwx_err_t e = {0};
    int rc;
    for (size_t i = 0, nt = mwx_fusion_touched(n->fusion, 0, NULL, NULL); i < nt; i++) {
        mwx_record_t side;
        int ended = 0;
        mwx_err_clear(&e);
        side.type = MWX_REC_TRACK;
        mwx_fusion_touched(n->fusion, i, &side.u.track, &ended);
        n->st.fused_updates++;
        emit(n, &side);
        if (!n->warn)
            continue;
        rc = ended ? mwx_warn_end_track(n->warn, side.u.track.track_id,
                                        isnan(t_end) ? side.u.track.t : fmax(t_end, side.u.track.t),
                                        MWX_WARN_END_LOST, &e)
                   : mwx_warn_track(n->warn, &side.u.track, &e);
        if (rc == MWX_EFULL)
            n->st.warn_full++;
        else if (rc == MWX_ENOTFOUND && ended)
            ; /* merged away or ended before the warning context ever took it (it was
               * full, or the track never reached it): no series to end. This once
               * stopped the node ("warn: no track US-F5", found by bench/soak). */
        else if (rc != MWX_OK)
            note_error(n, &e);
    }
}

/* A track (own, or a verified partner's) goes into the fused picture and the warning. */
static void fuse_and_warn(mwx_node_t *n, const mwx_rec_track_t *src)
{
    mwx_record_t rec;
    mwx_err_t e = {0};
    rec.type = MWX_REC_TRACK;
    int rc = mwx_fusion_update(n->fusion, src, &rec.u.track, &e);
    if (rc == MWX_OK) {
        /* a fused track comes down when its last flying member has (fusion decides: one
         * nation's track ending, rightly or not, does not land the others') */
        n->st.fused_updates++;
        emit(n, &rec);
        if (n->warn && (rc = mwx_warn_track(n->warn, &rec.u.track, &e)) != MWX_OK) {
            if (rc == MWX_EFULL)
                n->st.warn_full++; /* a flood of tracks: counted, never fatal */
            else
                note_error(n, &e);
        }
    } else if (rc == MWX_EINVAL) {
        /* a report that is no estimate: dropped and counted, a partner's or our own
         * tracker's alike; it never stops this node */
        if (strcmp(src->node, n->cfg.nation) != 0)
            n->st.bad_payloads++;
        else
            n->st.own_refused++;
        return;
    } else if (rc != MWX_EFULL) { /* EFULL: dropped and counted (mwx_fusion_dropped) */
        note_error(n, &e);
        return;
    }
    fusion_side_effects(n, NAN);
}

/* Seal and publish the signed session message (announcement and checkpoint), when the
 * sender has one to send. */
static int publish_session(mwx_node_t *n, mwx_err_t *e)
{
    size_t len;
    mwx_envelope_t env;
    int rc = mwx_sender_seal_session(&n->sender, now_unix(n), n->buf, sizeof n->buf, &len, &env, e);
    if (rc == MWX_ENOTFOUND)
        return MWX_OK;
    if (rc != MWX_OK)
        return rc;
    if (mwx_sentlog_add(n->sentlog, n->buf, len) != MWX_OK)
        return mwx_err_set(e, MWX_EINVAL, "sent log refused a session message (%zu bytes)", len);
    rc = mwx_bus_publish_envelope(n->cfg.bus, &env, n->buf, len, e);
    if (rc < 0) {
        n->st.publish_errors++;
        return rc;
    }
    n->st.published++;
    return MWX_OK;
}

static int in_reach(const mwx_rec_track_t *t);

static void on_own_track(void *user, const mwx_rec_track_t *trk)
{
    mwx_node_t *n = user;
    mwx_record_t rec;
    mwx_err_t e = {0};
    /* a report partners would drop as implausible is not sent, recorded or fused: counted
     * (its fusion refusing it once stopped the node: bench/soak) */
    if (!in_reach(trk)) {
        n->st.own_refused++;
        return;
    }
    rec.type = MWX_REC_TRACK;
    rec.u.track = *trk;
    mwx_strlcpy(rec.u.track.sources, n->cfg.nation, sizeof rec.u.track.sources);
    n->st.own_track_updates++;
    emit(n, &rec);
    if (n->can_publish && !n->quiet) {
        size_t len;
        mwx_envelope_t env;
        int rc = MWX_OK;
        /* the announcement, or room in the checkpoint, before this envelope can be MAC'd */
        if (n->sender.session_on && (n->sender.announce || n->sender.n_pending >= MWX_CKPT_MAX))
            rc = publish_session(n, &e);
        if (rc == MWX_OK)
            rc = mwx_sender_seal_track(&n->sender, &rec.u.track, now_unix(n), n->buf, sizeof n->buf,
                                       &len, &env, &e);
        if (rc == MWX_OK) {
            if (mwx_sentlog_add(n->sentlog, n->buf, len) != MWX_OK) {
                /* only an envelope it cannot read: one we just sealed never is */
                mwx_err_t se;
                mwx_err_set(&se, MWX_EINVAL, "sent log refused envelope (%zu bytes)", len);
                note_error(n, &se);
            }
            rc = mwx_bus_publish_envelope(n->cfg.bus, &env, n->buf, len, &e);
            if (rc < 0) {
                n->st.publish_errors++;
                note_error(n, &e);
            } else {
                n->st.published++;
                /* a checkpoint once 64 are pending or the oldest is a second old: after
                 * the track is out, so its signature is off the track's path */
                if (mwx_sender_session_due(&n->sender, now_unix(n)) &&
                    publish_session(n, &e) != MWX_OK)
                    note_error(n, &e);
            }
        } else if (rc != MWX_ENOTFOUND) { /* ENOTFOUND: the policy shares with nobody */
            n->st.publish_errors++;
            note_error(n, &e);
        }
    }
    fuse_and_warn(n, &rec.u.track);
}

static void on_alert(void *user, mwx_warn_output_t out, const mwx_rec_alert_t *a)
{
    mwx_node_t *n = user;
    mwx_record_t rec;
    if (out != MWX_WARN_OUT_CAP) /* CoT, Atom and GeoJSON are files, not warnings */
        return;
    rec.type = MWX_REC_ALERT;
    rec.u.alert = *a;
    n->st.alerts++;
    emit(n, &rec);
}

static void share_record(mwx_node_t *n, const mwx_envelope_t *env, const char *track_id,
                         int verified)
{
    mwx_record_t rec;
    memset(&rec, 0, sizeof rec);
    rec.type = MWX_REC_SHARE;
    rec.u.share.t = n->t_now;
    mwx_strlcpy(rec.u.share.from, env->origin, sizeof rec.u.share.from);
    /* `to` names the node that received it: in a combined recording (mwx run) this is
     * what says who had the track when; the releasability label was checked against it */
    mwx_strlcpy(rec.u.share.to[0], n->cfg.nation, sizeof rec.u.share.to[0]);
    rec.u.share.n_to = 1;
    mwx_strlcpy(rec.u.share.track_id, track_id, sizeof rec.u.share.track_id);
    rec.u.share.seq = env->seq;
    rec.u.share.verified = verified;
    if (!n->cfg.sim_clock)
        rec.u.share.latency_s = mwx_time_wall() - env->sent_unix_s;
    emit(n, &rec);
}

/* Limits of what a partner's track report can be (a trusted partner is still checked):
 * from below the deepest ocean floor to beyond geostationary orbit, slower than twice
 * escape speed, and not ahead of this node's time by more than report_ahead_s. A report
 * timed in the future would make the warning context take every other track for lost
 * and all-clear the regions it warns (its clock is the tracks' time); a position a
 * thousand Earth radii out only ever overflows. */
#define REPORT_MIN_R_M   6.3e6
#define REPORT_MAX_R_M   1.0e8
#define REPORT_MAX_V_MPS 2.3e4
/* A live node's report timed ahead of its clock by up to this many report_ahead_s is
 * taken for an honest one its clock has not reached yet (a partner's clock a little
 * ahead, a loaded machine): not acknowledged, asked for again by gap recovery. Beyond it
 * (a partner's clock gone wrong) it is dropped as implausible, so that gap recovery does
 * not ask for it forever. */
#define REPORT_DEFER_FACTOR 60.0
enum { REPORT_OK, REPORT_BAD, REPORT_AHEAD };
/* where and how fast a missile, a stage or a satellite can be */
static int in_reach(const mwx_rec_track_t *t)
{
    double r = sqrt(mwx_dot3(t->ecef_m, t->ecef_m)), v = sqrt(mwx_dot3(t->vel_mps, t->vel_mps));
    return r >= REPORT_MIN_R_M && r <= REPORT_MAX_R_M && v <= REPORT_MAX_V_MPS && isfinite(t->t);
}

static int plausible(const mwx_node_t *n, const mwx_rec_track_t *t, double recv_unix_s)
{
    double now = fmax(n->t_now, n->clock_t);
    if (n->cfg.sim_clock) /* receive times are epoch + scenario time */
        now = fmax(now, recv_unix_s - n->cfg.epoch_unix);
    double ahead = n->cfg.report_ahead_s > 0 ? n->cfg.report_ahead_s : 5.0;
    if (!in_reach(t))
        return REPORT_BAD;
    if (t->t <= now + ahead)
        return REPORT_OK;
    return !n->cfg.sim_clock && t->t <= now + ahead * REPORT_DEFER_FACTOR ? REPORT_AHEAD
                                                                          : REPORT_BAD;
}

/* A partner this node MACs for, whose live data comes signed with no session announced:
 * it predates sessions, runs with them off, or lacks this node's key. One that predates
 * them drops this node's MAC'd envelopes as malformed, so the service says so (once). */
static void note_signed_only(mwx_node_t *n, const mwx_envelope_t *env)
{
    int me = mwx_policy_index(n->cfg.policy, n->cfg.nation);
    int from = mwx_policy_index(n->cfg.policy, env->origin);
    if (!n->sender.session_on || env->session != 0 || me < 0 || from < 0 ||
        env->type == MWX_PAYLOAD_SESSION || env->type == MWX_PAYLOAD_GAP_REQUEST ||
        (n->announced >> from & 1u) || !(n->cfg.policy->to[me] >> from & 1u))
        return;
    n->st.signed_only++;
    mwx_strlcpy(n->st.signed_only_from, env->origin, sizeof n->st.signed_only_from);
}

static void receive(mwx_node_t *n, const uint8_t *data, size_t len, double recv_unix_s)
{
    mwx_envelope_t env;
    mwx_drop_t drop;
    mwx_err_t e = {0};
    n->st.received++;
    if (mwx_receiver_accept_on(n->receiver, MWX_PATH_DATA, data, len, recv_unix_s, &env, &drop) !=
        MWX_OK) {
        /* dropped and counted by the receiver; record what we can read of a sample of them:
         * the 1st, 2nd, 4th, 8th... of each reason, so a flood of forgeries adds a few
         * dozen records to the recording, not one per envelope */
        mwx_envelope_t peek;
        mwx_share_counters_t c;
        mwx_receiver_counters(n->receiver, &c);
        uint64_t k = drop > MWX_DROP_NONE && drop < MWX_DROP_N ? c.dropped[drop] : 0;
        if (drop != MWX_DROP_MALFORMED && k && (k & (k - 1)) == 0 &&
            mwx_envelope_peek(data, len, &peek, NULL) == MWX_OK) {
            mwx_rec_track_t trk;
            const char *id = "";
            if (peek.type == MWX_PAYLOAD_TRACK && mwx_payload_track(&peek, &trk, NULL) == MWX_OK)
                id = trk.track_id;
            share_record(n, &peek, id, 0);
        }
        return;
    }
    if (env.type == MWX_PAYLOAD_SESSION) {
        int from = mwx_policy_index(n->cfg.policy, env.origin);
        if (from >= 0)
            n->announced |= 1u << from;
    } else if (env.type == MWX_PAYLOAD_HEARTBEAT) {
        mwx_ack_t acks[MWX_MAX_NATIONS];
        uint64_t next;
        int na = 0;
        note_signed_only(n, &env);
        /* the partner's ack of this node's envelopes (a malformed one is only not read:
         * the heartbeat was authenticated, and acks are for /metrics) */
        if (mwx_heartbeat_decode(&env, &next, acks, MWX_MAX_NATIONS, &na, NULL) == MWX_OK)
            for (int i = 0; i < na; i++)
                if (strcmp(acks[i].origin, n->cfg.nation) == 0)
                    mwx_sentlog_ack(n->sentlog, env.origin, acks[i].seq);
    } else {
        note_signed_only(n, &env);
    }
    if (n->history)
        return; /* accepted: the replay window and the sessions hold it now */
    if (env.type == MWX_PAYLOAD_TRACK) {
        mwx_rec_track_t trk;
        /* a partner's bad payload is dropped and counted: it never stops this node */
        if (mwx_payload_track(&env, &trk, &e) != MWX_OK) {
            n->st.bad_payloads++;
            return;
        }
        /* the report must come from the node that signed it */
        if (strcmp(trk.node, env.origin) != 0) {
            n->st.bad_payloads++;
            return;
        }
        int pl = plausible(n, &trk, recv_unix_s);
        if (pl == REPORT_AHEAD &&
            mwxi_receiver_unaccept(n->receiver, env.origin, env.seq) == MWX_OK) {
            /* not used, so not taken: its seq is missing again and gap recovery asks
             * for it once this node's clock has come near it (once it was accepted,
             * dropped, and never asked for again) */
            n->st.reports_ahead++;
            return;
        }
        if (pl != REPORT_OK) {
            n->st.implausible++;
            return;
        }
        share_record(n, &env, trk.track_id, 1);
        fuse_and_warn(n, &trk);
    }
    /* partners' alerts and heartbeats: counted by the receiver; each nation warns its
     * own public from its fused picture */
}

static void on_bus(void *user, const char *subject, const uint8_t *data, size_t len,
                   const char *reply)
{
    mwx_node_t *n = user;
    receive(n, data, len, now_unix(n));
}

/* Gap answers a requester may have: a burst of GAP_ANSWER_BURST, then GAP_ANSWER_RATE a
 * second. An honest requester has one request in flight and asks at most every 0.5 s
 * (src/node/gap_async.c); a hostile one could otherwise get a reply of up to 64 KB for
 * every ~200-byte request it signs. A refused request gets no reply: the requester times
 * out and backs off. */
#define GAP_ANSWER_BURST 8.0
#define GAP_ANSWER_RATE  4.0

static int gap_answer_allowed(mwx_node_t *n, const char *origin)
{
    double now = mwx_time_mono();
    struct gap_bucket *b = NULL;
    for (int i = 0; i < n->n_gap_bucket; i++)
        if (strcmp(n->gap_bucket[i].nation, origin) == 0)
            b = &n->gap_bucket[i];
    if (!b) {
        /* one per trusted nation at most: the request was verified against its key */
        if (n->n_gap_bucket == MWX_MAX_NATIONS)
            return 0;
        b = &n->gap_bucket[n->n_gap_bucket++];
        mwx_strlcpy(b->nation, origin, sizeof b->nation);
        b->tokens = GAP_ANSWER_BURST;
        b->t = now;
    }
    b->tokens = fmin(GAP_ANSWER_BURST, b->tokens + (now - b->t) * GAP_ANSWER_RATE);
    b->t = now;
    if (b->tokens < 1.0)
        return 0;
    b->tokens -= 1.0;
    return 1;
}

/* A partner asks for envelopes it missed: answer from the sent log, after checking the
 * request like any other envelope (signed by a trusted partner, newer than its last) and
 * within the requester's rate. */
static void on_gap(void *user, const char *subject, const uint8_t *data, size_t len,
                   const char *reply)
{
    mwx_node_t *n = user;
    mwx_envelope_t env;
    size_t out_len;
    if (!reply)
        return;
    if (mwx_receiver_accept_on(n->receiver, MWX_PATH_GAP, data, len, now_unix(n), &env, NULL) !=
        MWX_OK)
        return;
    if (!gap_answer_allowed(n, env.origin)) {
        n->st.gap_requests_refused++;
        return;
    }
    if (mwx_sentlog_answer(n->sentlog, &env, n->gap_buf, sizeof n->gap_buf, &out_len, NULL) !=
        MWX_OK)
        return;
    if (mwx_bus_publish(n->cfg.bus, reply, n->gap_buf, out_len, NULL) == MWX_OK)
        n->st.gap_requests_answered++;
}

/* The regions of one country, as a temporary GeoJSON file for the warning context. */
static int country_regions(const char *path, const char *country, char *out, size_t n,
                           mwx_err_t *err)
{
    json_t *root, *feats, *kept, *f;
    size_t i;
    int rc, fd;
    if ((rc = mwx_json_load_file(path, &root, err)) != MWX_OK)
        return rc;
    feats = json_object_get(root, "features");
    if (!json_is_array(feats)) {
        json_decref(root);
        return mwx_err_set(err, MWX_EINVAL, "%s: $.features: expected an array", path);
    }
    kept = json_array();
    json_array_foreach(feats, i, f)
    {
        json_t *c = json_object_get(json_object_get(f, "properties"), "country");
        if (json_is_string(c) && strcmp(json_string_value(c), country) == 0)
            json_array_append(kept, f);
    }
    json_object_set_new(root, "features", kept);
    snprintf(out, n, "%s/mwx-regions-%s-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             country);
    fd = mkstemp(out);
    if (fd < 0) {
        json_decref(root);
        return mwx_err_set(err, MWX_EIO, "cannot create a temporary regions file in %s", out);
    }
    close(fd);
    rc = json_dump_file(root, out, JSON_COMPACT);
    json_decref(root);
    if (rc != 0) {
        unlink(out);
        return mwx_err_set(err, MWX_EIO, "cannot write %s", out);
    }
    return MWX_OK;
}

int mwx_node_create(const mwx_node_cfg_t *cfg, mwx_node_t **out, mwx_err_t *err)
{
    mwx_node_t *n;
    mwx_tracker_cfg_t tc;
    mwx_fusion_cfg_t fc;
    int rc;

    if (!cfg->nation[0])
        return mwx_err_set(err, MWX_EINVAL, "node: a nation id is required");
    if (cfg->bus && (!cfg->key || !cfg->policy))
        return mwx_err_set(err, MWX_EINVAL, "node %s: a bus needs a key and a policy", cfg->nation);
    n = calloc(1, sizeof *n);
    if (!n)
        return mwx_err_set(err, MWX_ENOMEM, "node %s: out of memory", cfg->nation);
    n->cfg = *cfg;
    n->clock_t = -INFINITY;

    mwx_tracker_cfg_default(&tc, cfg->nation,
                            cfg->tracker_capacity > 0 ? cfg->tracker_capacity : 256);
    mwx_strlcpy(tc.nation, cfg->nation, sizeof tc.nation);
    tc.first_id = cfg->first_track_id;
    mwx_dyn_params_default(&tc.dyn, &cfg->physics.earth, cfg->physics.j2, cfg->physics.rotation,
                           cfg->physics.drag);
    if ((rc = mwx_tracker_create(&tc, &n->tracker, err)) != MWX_OK)
        goto fail;
    mwx_tracker_set_callback(n->tracker, on_own_track, n);

    memset(&fc, 0, sizeof fc);
    mwx_strlcpy(fc.node, cfg->nation, sizeof fc.node);
    fc.capacity = 4 * (cfg->tracker_capacity > 0 ? cfg->tracker_capacity : 256);
    /* one partner's tracks that nobody else reports: at most half the warning context's
     * room, so a flood of track ids from one partner leaves room for everyone else's */
    fc.per_origin = MWX_WARN_MAX_TRACKS / 2;
    fc.first_num = cfg->first_fused_num;
    if ((rc = mwx_fusion_create(&fc, &n->fusion, err)) != MWX_OK)
        goto fail;

    if ((rc = mwx_receiver_create(cfg->nation, cfg->stale_s > 0 ? cfg->stale_s : 60.0, &n->receiver,
                                  err)) != MWX_OK)
        goto fail;
    for (int i = 0; i < cfg->n_trusted; i++)
        if ((rc = mwx_receiver_trust(n->receiver, cfg->trusted[i].nation, cfg->trusted[i].pk,
                                     err)) != MWX_OK)
            goto fail;
    if ((rc = mwx_sentlog_create(cfg->sentlog_slots ? cfg->sentlog_slots : 8192, &n->sentlog,
                                 err)) != MWX_OK)
        goto fail;

    if (cfg->bus) {
        char subject[MWX_SUBJECT_LEN];
        uint64_t first = cfg->first_seq   ? cfg->first_seq
                         : cfg->sim_clock ? 1
                                          : mwx_share_seq_base(mwx_time_wall());
        if ((rc = mwx_sender_init(&n->sender, cfg->key, cfg->policy, first, err)) != MWX_OK)
            goto fail;
        n->can_publish = 1;
        if ((rc = mwx_receiver_set_key(n->receiver, cfg->key, err)) != MWX_OK)
            goto fail;
        mwx_sentlog_set_key(n->sentlog, cfg->key);
        if (cfg->sessions) {
            /* a fresh session every start: no MAC key outlives the process */
            mwx_trusted_key_t keys[MWX_MAX_NATIONS];
            for (int i = 0; i < cfg->n_trusted && i < MWX_MAX_NATIONS; i++) {
                mwx_strlcpy(keys[i].nation, cfg->trusted[i].nation, MWX_ID_LEN);
                memcpy(keys[i].pk, cfg->trusted[i].pk, MWX_PUBKEY_BYTES);
            }
            rc = mwx_sender_session_start(&n->sender, keys, cfg->n_trusted, now_unix(n), NULL);
            if (rc != MWX_OK && rc != MWX_ENOTFOUND) { /* ENOTFOUND: a key missing: sign */
                rc = mwx_err_set(err, rc, "node %s: cannot start a sharing session", cfg->nation);
                goto fail;
            }
        }
        if ((rc = mwx_subject_inbox(cfg->nation, subject)) != MWX_OK ||
            (rc = mwx_bus_subscribe(cfg->bus, subject, on_bus, n, err)) != MWX_OK)
            goto fail;
        snprintf(subject, sizeof subject, "mwx-gap.%s.*", cfg->nation);
        if ((rc = mwx_bus_subscribe(cfg->bus, subject, on_gap, n, err)) != MWX_OK)
            goto fail;
    }

    if (cfg->regions_path) {
        char tmp[512];
        mwx_warn_config_t wc;
        if (!cfg->out_dir) {
            rc = mwx_err_set(err, MWX_EINVAL, "node %s: warnings need an output directory",
                             cfg->nation);
            goto fail;
        }
        if ((rc = country_regions(cfg->regions_path, cfg->nation, tmp, sizeof tmp, err)) != MWX_OK)
            goto fail;
        if (cfg->cap_key || cfg->cap_cert) {
            if (!cfg->cap_key || !cfg->cap_cert) {
                rc = mwx_err_set(err, MWX_EINVAL,
                                 "node %s: a CAP key needs its certificate "
                                 "(and the other way round)",
                                 cfg->nation);
                goto fail;
            }
            if ((rc = mwx_cap_signer_create(cfg->cap_key, cfg->cap_cert, &n->cap_signer, err)) !=
                MWX_OK)
                goto fail;
        }
        memset(&wc, 0, sizeof wc);
        wc.cap_signer = n->cap_signer;
        wc.node = cfg->nation;
        wc.run_id = cfg->run_id;
        wc.tak_endpoint = cfg->tak_endpoint;
        wc.picture_tag = cfg->picture_tag;
        wc.source = cfg->source;
        wc.status = cfg->status;
        wc.epoch_unix_s = cfg->epoch_unix;
        wc.regions_path = tmp;
        wc.out_dir = cfg->out_dir;
        wc.emit = on_alert;
        wc.user = n;
        wc.journal_path = cfg->warn_journal;
        wc.alerts_keep_bytes = cfg->alerts_keep_bytes;
        wc.alerts_keep_age_s = cfg->alerts_keep_age_s;
        /* a node that keeps its warning state across crashes keeps its public files
         * too: a CAP file is fsynced before it gets its name, as the journal entry is */
        wc.durable = cfg->warn_journal != NULL;
        wc.defer_view_sync = cfg->defer_view_sync;
        rc = mwx_warn_create(&wc, &n->warn, err);
        unlink(tmp);
        if (rc != MWX_OK)
            goto fail;
    }
    *out = n;
    return MWX_OK;
fail:
    mwx_node_destroy(n);
    return rc;
}

void mwx_node_destroy(mwx_node_t *n)
{
    if (!n)
        return;
    mwx_warn_free(n->warn);
    mwx_cap_signer_free(n->cap_signer);
    mwx_sentlog_destroy(n->sentlog);
    mwx_receiver_destroy(n->receiver);
    mwx_fusion_destroy(n->fusion);
    mwx_tracker_destroy(n->tracker);
    free(n);
}

static int take_cb_error(mwx_node_t *n, mwx_err_t *err)
{
    int rc = n->cb_err.code;
    if (rc == MWX_OK)
        return MWX_OK;
    if (err)
        *err = n->cb_err;
    mwx_err_clear(&n->cb_err);
    return rc;
}

int mwx_node_meas(mwx_node_t *n, const mwx_rec_meas_t *m, mwx_err_t *err)
{
    int rc;
    if (strcmp(m->nation, n->cfg.nation) != 0)
        return MWX_OK;
    if (m->t > n->t_now)
        n->t_now = m->t;
    n->st.meas++;
    rc = mwx_tracker_add(n->tracker, m, err);
    if (rc != MWX_OK)
        return rc;
    return take_cb_error(n, err);
}

int mwx_node_poll(mwx_node_t *n, double timeout_s, mwx_err_t *err)
{
    int rc;
    if (!n->cfg.bus)
        return MWX_OK;
    rc = mwx_bus_poll(n->cfg.bus, timeout_s, err);
    if (rc < 0)
        return rc;
    return take_cb_error(n, err);
}

int mwx_node_advance(mwx_node_t *n, double t, mwx_err_t *err)
{
    int rc;
    if (t > n->t_now)
        n->t_now = t;
    if ((rc = mwx_tracker_flush(n->tracker, err)) != MWX_OK)
        return rc;
    if ((rc = mwx_node_poll(n, 0.0, err)) != MWX_OK)
        return rc;
    /* fused tracks all of whose sources went silent end (before the warning context's
     * tick, which would find them stale at the same time) */
    while (mwx_fusion_expire(n->fusion, n->t_now) > 0)
        fusion_side_effects(n, n->t_now);
    if (n->warn && (rc = mwx_warn_tick(n->warn, n->t_now, err)) != MWX_OK)
        return rc;
    return take_cb_error(n, err);
}

void mwx_node_get_stats(const mwx_node_t *n, mwx_node_stats_t *st)
{
    *st = n->st;
    st->fusion_merged = mwx_fusion_merged(n->fusion);
    st->fusion_split = mwx_fusion_split(n->fusion);
    st->fusion_dropped = mwx_fusion_dropped(n->fusion);
    st->fusion_ended = mwx_fusion_ended(n->fusion);
    st->fusion_relinked = mwx_fusion_relinked(n->fusion);
    mwx_receiver_counters(n->receiver, &st->share);
    memset(&st->warn, 0, sizeof st->warn);
    if (n->warn)
        mwx_warn_get_stats(n->warn, &st->warn);
}

const char *mwx_node_nation(const mwx_node_t *n)
{
    return n->cfg.nation;
}
mwx_fusion_t *mwx_node_fusion(mwx_node_t *n)
{
    return n->fusion;
}

/* ------------------------------------------------------------------ for `mwx node` */

int mwx_node_receive_envelope(mwx_node_t *n, const uint8_t *data, size_t len, double recv_unix_s,
                              mwx_err_t *err)
{
    receive(n, data, len, recv_unix_s > 0 ? recv_unix_s : now_unix(n));
    return take_cb_error(n, err);
}

int mwx_node_heartbeat(mwx_node_t *n, mwx_err_t *err)
{
    size_t len;
    mwx_envelope_t env;
    int rc;
    if (!n->can_publish)
        return MWX_OK;
    if (n->sender.session_on && (n->sender.announce || n->sender.n_pending >= MWX_CKPT_MAX) &&
        (rc = publish_session(n, err)) != MWX_OK)
        return rc;
    mwx_ack_t acks[MWX_MAX_NATIONS];
    int n_acks = 0, me = n->cfg.policy ? mwx_policy_index(n->cfg.policy, n->cfg.nation) : -1;
    /* to each partner that shares with this node and hears its heartbeat: the highest of
     * its seqs below which everything in the replay window was accepted here (a hole is
     * not acked past: what is lost shows at the sender as an age that grows; the others
     * read the entry too: a count of envelopes, which each seq a partner sends them
     * already tells) */
    for (int j = 0; me >= 0 && j < n->cfg.policy->n; j++) {
        const char *o = n->cfg.policy->nation[j];
        uint64_t hi, from, to;
        if (j == me || !(n->cfg.policy->to[j] >> me & 1u) || !(n->cfg.policy->to[me] >> j & 1u))
            continue;
        hi = mwx_receiver_highest(n->receiver, o);
        if (hi && mwx_receiver_missing(n->receiver, o, &from, &to) == MWX_OK)
            hi = from - 1;
        if (hi == 0)
            continue;
        mwx_strlcpy(acks[n_acks].origin, o, sizeof acks[n_acks].origin);
        acks[n_acks++].seq = hi;
    }
    rc = mwx_sender_seal_heartbeat(&n->sender, acks, n_acks, now_unix(n), n->buf, sizeof n->buf,
                                   &len, &env, err);
    if (rc == MWX_ENOTFOUND)
        return MWX_OK; /* the policy shares with nobody */
    if (rc != MWX_OK)
        return rc;
    if (mwx_sentlog_add(n->sentlog, n->buf, len) != MWX_OK)
        return mwx_err_set(err, MWX_EINVAL, "sent log refused envelope (%zu bytes)", len);
    rc = mwx_bus_publish_envelope(n->cfg.bus, &env, n->buf, len, err);
    if (rc < 0) {
        n->st.publish_errors++;
        return rc;
    }
    n->st.published++;
    /* the heartbeat (each second) closes a checkpoint of whatever is pending */
    return publish_session(n, err);
}

void mwx_node_set_publishing(mwx_node_t *n, int on)
{
    n->quiet = !on;
}
void mwx_node_set_history(mwx_node_t *n, int on)
{
    n->history = on != 0;
}
void mwx_node_set_clock(mwx_node_t *n, double t)
{
    n->clock_t = t;
}
int mwx_node_sync_views(mwx_node_t *n, mwx_err_t *err)
{
    return n->warn ? mwx_warn_sync_views(n->warn, err) : MWX_OK;
}

int mwx_node_set_replay(mwx_node_t *n, int on, mwx_err_t *err)
{
    return n->warn ? mwx_warn_set_replay(n->warn, on, err) : MWX_OK;
}
mwx_receiver_t *mwx_node_receiver(mwx_node_t *n)
{
    return n->receiver;
}
mwx_sentlog_t *mwx_node_sentlog(mwx_node_t *n)
{
    return n->sentlog;
}
