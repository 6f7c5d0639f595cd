/* Sender: labels with the policy's recipients, numbers and signs envelopes. */
#include "share_int.h"

#include <string.h>

uint64_t mwx_share_seq_base(double unix_s)
{
    return unix_s > 0 ? (uint64_t)(unix_s * 1e6) : 1;
}

int mwx_sender_init(mwx_sender_t *s, const mwx_keypair_t *key, const mwx_policy_t *policy,
                    uint64_t first_seq, mwx_err_t *err)
{
    memset(s, 0, sizeof *s);
    if (first_seq == 0)
        return mwx_err_set(err, MWX_EINVAL, "sender: first seq must be >= 1");
    if (mwx_policy_index(policy, key->nation) < 0)
        return mwx_err_set(err, MWX_ENOTFOUND, "sender: nation %s is not in the policy",
                           key->nation);
    s->key = *key;
    s->policy = *policy;
    s->next_seq = first_seq;
    return MWX_OK;
}

int mwx_sender_seal(mwx_sender_t *s, mwx_payload_type_t type, const uint8_t *payload,
                    size_t payload_len, double sent_unix_s, uint8_t *buf, size_t cap, size_t *len,
                    mwx_envelope_t *env_out, mwx_err_t *err)
{
    mwx_envelope_t env;
    memset(&env, 0, sizeof env);
    env.version = MWX_WIRE_VERSION;
    mwx_strlcpy(env.origin, s->key.nation, sizeof env.origin);
    env.n_to = mwx_policy_recipients(&s->policy, s->key.nation, env.to);
    if (env.n_to == 0)
        return mwx_err_set(err, MWX_ENOTFOUND, "sender: %s releases to nobody", s->key.nation);
    if (type == MWX_PAYLOAD_GAP_REQUEST || type == MWX_PAYLOAD_GAP_RESPONSE)
        return mwx_err_set(err, MWX_EINVAL, "sender: gap messages use mwx_gap_*");
    env.seq = s->next_seq;
    env.sent_unix_s = sent_unix_s;
    env.type = type;
    env.payload = payload;
    env.payload_len = payload_len;
    int rc = mwx_envelope_seal(&env, s->key.sk, buf, cap, len, err);
    if (rc < 0)
        return rc;
    s->next_seq++;
    if (env_out)
        *env_out = env;
    return MWX_OK;
}

static int seal_record(mwx_sender_t *s, const mwx_record_t *rec, mwx_payload_type_t type,
                       double sent_unix_s, uint8_t *buf, size_t cap, size_t *len,
                       mwx_envelope_t *env_out, mwx_err_t *err)
{
    uint8_t payload[MWX_PAYLOAD_MAX];
    size_t n = 0;
    int rc = mwx_record_encode(rec, payload, sizeof payload, &n);
    if (rc < 0)
        return mwx_err_set(err, rc, "sender: cannot encode %s record: %s",
                           mwx_rec_type_name(rec->type), mwx_strerror(rc));
    return mwx_sender_seal(s, type, payload, n, sent_unix_s, buf, cap, len, env_out, err);
}

int mwx_sender_seal_track(mwx_sender_t *s, const mwx_rec_track_t *trk, double sent_unix_s,
                          uint8_t *buf, size_t cap, size_t *len, mwx_envelope_t *env_out,
                          mwx_err_t *err)
{
    mwx_record_t rec;
    rec.type = MWX_REC_TRACK;
    rec.u.track = *trk;
    return seal_record(s, &rec, MWX_PAYLOAD_TRACK, sent_unix_s, buf, cap, len, env_out, err);
}

int mwx_sender_seal_alert(mwx_sender_t *s, const mwx_rec_alert_t *alert, double sent_unix_s,
                          uint8_t *buf, size_t cap, size_t *len, mwx_envelope_t *env_out,
                          mwx_err_t *err)
{
    mwx_record_t rec;
    rec.type = MWX_REC_ALERT;
    rec.u.alert = *alert;
    return seal_record(s, &rec, MWX_PAYLOAD_ALERT, sent_unix_s, buf, cap, len, env_out, err);
}

int mwx_sender_seal_heartbeat(mwx_sender_t *s, double sent_unix_s, uint8_t *buf, size_t cap,
                              size_t *len, mwx_envelope_t *env_out, mwx_err_t *err)
{
    uint8_t payload[16];
    pbw_t w;
    mwxi_pbw_init(&w, payload, sizeof payload);
    mwxi_pbw_uint(&w, 1, s->next_seq + 1); /* the heartbeat itself takes next_seq */
    return mwx_sender_seal(s, MWX_PAYLOAD_HEARTBEAT, payload, w.len, sent_unix_s, buf, cap, len,
                           env_out, err);
}

int mwx_payload_track(const mwx_envelope_t *env, mwx_rec_track_t *trk, mwx_err_t *err)
{
    mwx_record_t rec;
    if (env->type != MWX_PAYLOAD_TRACK)
        return mwx_err_set(err, MWX_EINVAL, "payload is %s, not track",
                           mwx_payload_type_name(env->type));
    int rc = mwx_record_decode(MWX_REC_TRACK, env->payload, env->payload_len, &rec, NULL, 0, err);
    if (rc < 0)
        return rc;
    *trk = rec.u.track;
    return MWX_OK;
}

int mwx_payload_alert(const mwx_envelope_t *env, mwx_rec_alert_t *alert, mwx_err_t *err)
{
    mwx_record_t rec;
    if (env->type != MWX_PAYLOAD_ALERT)
        return mwx_err_set(err, MWX_EINVAL, "payload is %s, not alert",
                           mwx_payload_type_name(env->type));
    int rc = mwx_record_decode(MWX_REC_ALERT, env->payload, env->payload_len, &rec, NULL, 0, err);
    if (rc < 0)
        return rc;
    *alert = rec.u.alert;
    return MWX_OK;
}
