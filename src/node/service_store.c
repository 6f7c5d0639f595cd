/* What `mwx node` records (own tracks, shares, alerts: once each, even across a restart)
 * and, at start, the replay of its outbox (into the sent log) and inbox (into the node core)
 * and the scan of its recording for what it already holds. */
#define _POSIX_C_SOURCE 200809L
#include "service_state.h"

#include <errno.h>
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
    if (env.type == MWX_PAYLOAD_TRACK)
        s->out_tracks++;
    return MWX_OK;
}

int mwxi_svc_inbox_entry(void *user, double unix_s, double t_scn, const uint8_t *data, size_t len)
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

/* An existing recording: what it holds already (restart). */
int mwxi_svc_scan_recording(svc_t *s, const char *path, mwx_err_t *err)
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
