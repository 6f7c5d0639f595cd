/* What `mwx node` records (own tracks, shares, alerts: once each, even across a restart)
 * and, at start, the replay of its outbox (into the sent log) and inbox (into the node core)
 * and the scan of its recording for what it already holds. */
#define _POSIX_C_SOURCE 200809L
#include "core/grow.h"
#include "core/recseg.h"
#include "service_state.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

void mwxi_svc_on_record(void *user, const mwx_record_t *r)
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
            mwxi_svc_logf(s, "first track %s at t = %.1f s", r->u.track.track_id, r->u.track.t);
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
            (void)mwx_web_publish(s->web, r, NULL);
        return;
    }
    if (r->type == MWX_REC_ALERT && r->u.alert.msg_type != MWX_MSG_UPDATE)
        mwxi_svc_logf(s, "alert %s %s (%d regions) at t = %.1f s",
                      mwx_msg_type_name(r->u.alert.msg_type), r->u.alert.identifier,
                      r->u.alert.n_regions, r->u.alert.t);
    if (mwx_recwriter_append(s->rec, r, &e) != MWX_OK ||
        mwx_recwriter_flush(s->rec, 0, &e) != MWX_OK)
        mwxi_svc_fail_once(s, e.code, &e);
    if (s->web)
        (void)mwx_web_publish(s->web, r, NULL);
}

static void note_own_id(svc_t *s, const char *id);

int mwxi_svc_outbox_entry(void *user, double unix_s, double t_scn, const uint8_t *data, size_t len)
{
    svc_t *s = user;
    mwx_envelope_t env;
    if (mwx_envelope_peek(data, len, &env, NULL) != MWX_OK)
        return MWX_OK;
    if (s->node)
        (void)mwx_sentlog_add(mwx_node_sentlog(s->node), data, len); /* peeked valid above */
    if (env.seq > s->last_out_seq)
        s->last_out_seq = env.seq;
    if (env.type == MWX_PAYLOAD_TRACK) {
        s->out_tracks++;
        /* a track sent after the recording's last synced second of wall time (a host
         * crash loses the recording's unsynced tail, never the outbox's; a second is
         * `speed` seconds of scenario time): its id is taken, or a restart
         * on a live feed gives it to another object, which partners then fuse into this
         * one's place (test_feed_restart.sh) */
        if (t_scn >= s->rec_t_last - fmax(5.0, 2.0 * s->cfg->speed)) {
            mwx_record_t r;
            if (mwx_record_decode(MWX_REC_TRACK, env.payload, env.payload_len, &r, NULL, 0, NULL) ==
                MWX_OK)
                note_own_id(s, r.u.track.track_id);
        }
    }
    return MWX_OK;
}

int mwxi_svc_inbox_entry(void *user, double unix_s, double t_scn, const uint8_t *data, size_t len)
{
    svc_t *s = user;
    if (mwxi_grow(&s->in_ent, &s->cap_in, s->n_in + 1, sizeof *s->in_ent, 1024) != 0 ||
        mwxi_grow(&s->in_data, &s->in_cap, s->in_len + len, 1, 1 << 20) != 0)
        return MWX_ENOMEM;
    memcpy(s->in_data + s->in_len, data, len);
    s->in_ent[s->n_in].unix_s = unix_s;
    s->in_ent[s->n_in].t_scn = t_scn;
    s->in_ent[s->n_in].off = (uint32_t)s->in_len;
    s->in_ent[s->n_in].len = (uint32_t)len;
    s->in_len += len;
    s->n_in++;
    return MWX_OK;
}

static struct in_max *in_max(svc_t *s, const char *origin, int add)
{
    for (int i = 0; i < s->n_in_max; i++)
        if (strcmp(s->in_max[i].origin, origin) == 0)
            return &s->in_max[i];
    if (!add || s->n_in_max == MWX_MAX_NATIONS)
        return NULL;
    struct in_max *m = &s->in_max[s->n_in_max++];
    memset(m, 0, sizeof *m);
    mwx_strlcpy(m->origin, origin, sizeof m->origin);
    return m;
}

/* A live feed's inbox at start: counted, and each origin's highest seq noted (the replay
 * passes over what lies below its window). mwxi_svc_replay_live reads it again from disk
 * (a retention of 1 GiB is not held in memory). */
int mwxi_svc_inbox_count(void *user, double unix_s, double t_scn, const uint8_t *data, size_t len)
{
    svc_t *s = user;
    mwx_envelope_t env;
    struct in_max *m;
    s->n_in++;
    if (mwx_envelope_peek(data, len, &env, NULL) == MWX_OK && (m = in_max(s, env.origin, 1)) &&
        env.seq > m->seq)
        m->seq = env.seq;
    return MWX_OK;
}

/* mwxi_svc_replay_live's entries: what came before replay_from is history, the rest goes
 * through fusion and warnings. Of the history, the receiver holds at the end only each
 * origin's seqs inside the replay window below its highest one: older ones are passed
 * over unverified, but for the first session message of each of the origin's sessions,
 * whose key the MAC'd envelopes in the window need (learnt without its seq, as a seq
 * below the window marked would count the ones passed over as given up). A retention of
 * weeks is then a read, not a replay (docs/NODE.md, "Restart"). */
int mwxi_svc_inbox_live(void *user, double unix_s, double t_scn, const uint8_t *data, size_t len)
{
    svc_t *s = user;
    int hist = t_scn < s->replay_from;
    s->in_next++;
    if (hist) {
        mwx_envelope_t env;
        struct in_max *m;
        s->n_in_hist++;
        if (mwx_envelope_peek(data, len, &env, NULL) == MWX_OK && env.seq > 0 &&
            (m = in_max(s, env.origin, 0)) && env.seq < m->seq &&
            m->seq - env.seq >= MWX_REPLAY_WINDOW) {
            if (env.type == MWX_PAYLOAD_SESSION && env.session > m->learnt &&
                mwx_receiver_learn_session(mwx_node_receiver(s->node), data, len) == MWX_OK)
                m->learnt = env.session;
            s->n_in_skip++;
            return MWX_OK;
        }
    }
    if (hist != s->in_history) {
        mwx_node_set_history(s->node, hist);
        s->in_history = hist;
    }
    mwxi_svc_deliver(s, data, len, unix_s);
    return s->rc;
}

/* An own track id ("JP-7", not a fused "JP-F3"): the highest number is kept, so that a
 * restart on a live feed continues above it. */
static void note_own_id(svc_t *s, const char *id)
{
    size_t l = strlen(s->cfg->nation);
    char *end;
    if (strncmp(id, s->cfg->nation, l) != 0 || id[l] != '-' || id[l + 1] < '0' || id[l + 1] > '9')
        return;
    long v = strtol(id + l + 1, &end, 10);
    if (*end == '\0' && v > s->own_id_max && v < INT_MAX)
        s->own_id_max = (int)v;
}

static size_t id_hash(const char *id)
{
    size_t h = 2166136261u; /* FNV-1a */
    while (*id)
        h = (h ^ (unsigned char)*id++) * 16777619u;
    return h;
}

/* The index slot of fused id (holding its fused_last position + 1, or 0 when new; the
 * index is at most half full); NULL when out of memory. A recording holds tens of
 * thousands of fused ids after weeks: a linear lookup per track record made the scan at
 * start quadratic. */
static size_t *fused_slot(svc_t *s, const char *id)
{
    if (2 * (s->n_fused_last + 1) > s->n_fused_slot) {
        size_t n = s->n_fused_slot ? 2 * s->n_fused_slot : 256;
        size_t *t = calloc(n, sizeof *t);
        if (!t)
            return NULL;
        for (size_t i = 0; i < s->n_fused_last; i++) {
            size_t k = id_hash(s->fused_last[i].track_id) & (n - 1);
            while (t[k])
                k = (k + 1) & (n - 1);
            t[k] = i + 1;
        }
        free(s->fused_slot);
        s->fused_slot = t;
        s->n_fused_slot = n;
    }
    size_t k = id_hash(id) & (s->n_fused_slot - 1);
    while (s->fused_slot[k] && strcmp(s->fused_last[s->fused_slot[k] - 1].track_id, id) != 0)
        k = (k + 1) & (s->n_fused_slot - 1);
    return &s->fused_slot[k];
}

/* A recorded track: own ids for note_own_id; fused ids' highest number, and each fused
 * id's last record (a restart on a live feed closes those its rebuilt picture no longer
 * holds: mwxi_svc_close_lost_fused). gen: the file it comes from when the recording is
 * read newest file first (a record of a newer file is never replaced by an older one's). */
static int note_track(svc_t *s, const mwx_rec_track_t *t, uint32_t gen)
{
    size_t i, l = strlen(s->cfg->nation);
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
    size_t *slot = fused_slot(s, t->track_id);
    if (!slot)
        return MWX_ENOMEM;
    if (*slot) {
        i = *slot - 1;
        if (s->fused_gen[i] != gen)
            return MWX_OK;
    } else {
        if (mwxi_grow(&s->fused_last, &s->cap_fused_last, s->n_fused_last + 1,
                      sizeof *s->fused_last, 64) != 0 ||
            mwxi_grow(&s->fused_gen, &s->cap_fused_gen, s->n_fused_last + 1, sizeof *s->fused_gen,
                      64) != 0)
            return MWX_ENOMEM;
        i = s->n_fused_last++;
        *slot = i + 1;
        s->fused_gen[i] = gen;
    }
    s->fused_last[i] = *t;
    return MWX_OK;
}

/* After a restart on a live feed: the picture is rebuilt from the inbox alone (the own
 * tracks of before are not re-run) and its fused tracks are numbered above the recorded
 * ones. A fused track the recording shows confirmed and flying that the rebuilt picture
 * does not hold would stay in the recording's picture forever (the chaos test saw missile
 * M3 twice at US: its old id frozen, and its new one). It is recorded once more,
 * unconfirmed, as a merged-away track is; its warning series is the journal's to end (an
 * orphan keeps its regions until the predicted impact, docs/NODE.md). */
void mwxi_svc_close_lost_fused(svc_t *s)
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
            mwxi_svc_fail_once(s, e.code, &e);
        if (s->web)
            (void)mwx_web_publish(s->web, &r, NULL);
        closed++;
    }
    if (closed)
        mwxi_svc_logf(s,
                      "restart: %zu fused track(s) of before not in the rebuilt picture, "
                      "recorded as unconfirmed",
                      closed);
}

/* One file of the recording (flags MWX_READ_ONE_FILE) or the whole set (0): what it holds
 * (see mwxi_svc_scan_recording); *t_min gets its earliest record time. */
static int scan_file(svc_t *s, const char *path, int flags, uint32_t gen, double *t_min,
                     mwx_err_t *err)
{
    mwx_recreader_t *rd;
    mwx_record_t r;
    int rc;
    mwx_err_t e = {0};
    *t_min = INFINITY;
    if ((rc = mwx_recreader_open(path, flags, &rd, &e)) != MWX_OK) {
        if (rc != MWX_ENOTFOUND)
            *err = e;
        return rc;
    }
    if (s->rec_t_last < 0)
        s->rec_t_last = 0;
    while ((rc = mwx_recreader_next(rd, &r, NULL)) == MWX_OK) {
        if (r.type != MWX_REC_SCENARIO) {
            s->rec_t_last = fmax(s->rec_t_last, rec_t(&r));
            *t_min = fmin(*t_min, rec_t(&r));
        }
        if (r.type == MWX_REC_TRACK && (rc = note_track(s, &r.u.track, gen)) != MWX_OK) {
            mwx_recreader_close(rd);
            return mwx_err_set(err, rc, "%s: out of memory", path);
        }
        if (r.type == MWX_REC_SHARE && r.u.share.verified) {
            if (mwxi_grow(&s->seen, &s->cap_seen, s->n_seen + 1, sizeof *s->seen, 1024) != 0) {
                mwx_recreader_close(rd);
                return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", path);
            }
            memset(&s->seen[s->n_seen], 0, sizeof s->seen[0]);
            mwx_strlcpy(s->seen[s->n_seen].from, r.u.share.from, MWX_ID_LEN);
            s->seen[s->n_seen].seq = r.u.share.seq;
            s->n_seen++;
        }
    }
    mwx_recreader_close(rd);
    return MWX_OK;
}

/* An existing recording: what it holds already (restart): its last instant, the highest
 * own and fused ids, each fused id's last record, the verified shares. With horizon_s > 0
 * (a live feed's restart) its files are read newest first, and no further back than the
 * first that starts horizon_s or more before the recording's end once an own and a fused
 * id have been seen: ids only grow, so the highest are in the newest files that hold any,
 * and a fused track left in flight by a crash (what mwxi_svc_close_lost_fused looks for)
 * was recorded just before the end; a retention of 1 GiB is then not read whole. With 0,
 * the whole set (a re-run scenario replays its inbox whole, and asks of every share). */
int mwxi_svc_scan_recording(svc_t *s, const char *path, double horizon_s, mwx_err_t *err)
{
    int rc = MWX_OK;
    double t_min;
    s->rec_t_last = -1;
    if (!(horizon_s > 0)) {
        /* the set, not the live file alone: a crash between a rotation's rename and the
         * new live file leaves only closed segments, and they hold what was recorded */
        rc = scan_file(s, path, 0, 0, &t_min, err);
    } else {
        char **p;
        size_t n;
        mwx_err_t e = {0};
        if ((rc = mwxi_recseg_paths(path, 0, &p, &n, &e)) != MWX_OK) {
            if (rc != MWX_ENOTFOUND)
                *err = e;
            return rc == MWX_ENOTFOUND ? MWX_OK : rc;
        }
        for (size_t k = n; k-- > 0 && rc == MWX_OK;) {
            if ((rc = scan_file(s, p[k], MWX_READ_ONE_FILE, (uint32_t)(n - k), &t_min, err)) ==
                MWX_ENOTFOUND)
                rc = MWX_OK;
            if (t_min <= s->rec_t_last - horizon_s && s->own_id_max > 0 && s->fused_num_max > 0)
                break;
        }
        mwxi_recseg_paths_free(p, n);
    }
    if (rc == MWX_ENOTFOUND)
        return MWX_OK;
    if (rc != MWX_OK)
        return rc;
    if (s->n_seen)
        qsort(s->seen, s->n_seen, sizeof s->seen[0], seen_cmp);
    return MWX_OK;
}
