/* Sender: labels with the policy's recipients, numbers and signs envelopes. */
#include "share_int.h"

#include <sodium.h>
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
    if (type == MWX_PAYLOAD_SESSION)
        return mwx_err_set(err, MWX_EINVAL, "sender: session messages use mwx_sender_seal_session");
    env.seq = s->next_seq;
    env.sent_unix_s = sent_unix_s;
    env.type = type;
    env.payload = payload;
    env.payload_len = payload_len;
    int rc;
    if (s->session_on) {
        /* MAC'd: the session must be announced first, and the digest must fit in the
         * next checkpoint (the caller seals a session message when _due says so) */
        if (s->announce || s->n_pending >= MWX_CKPT_MAX)
            return mwx_err_set(err, MWX_EAGAIN, "sender: a session message is due first");
        env.session = s->epoch;
        mwx_ckpt_entry_t *pe = &s->pending[s->n_pending];
        rc = mwxi_envelope_seal_mac(&env, (const uint8_t(*)[32])s->mac_key, buf, cap, len,
                                    pe->digest, err);
        if (rc < 0)
            return rc;
        pe->seq = env.seq;
        if (s->n_pending++ == 0)
            s->pending_since = sent_unix_s;
    } else if ((rc = mwx_envelope_seal(&env, s->key.sk, buf, cap, len, err)) < 0) {
        return rc;
    }
    s->next_seq++;
    if (env_out)
        *env_out = env;
    return MWX_OK;
}

/* ---------------------------------------------------------------- sessions */

int mwxi_session_key(const uint8_t shared[32], const char *origin, const char *recipient,
                     uint64_t epoch, const uint8_t eph_pk[32], const uint8_t rcpt_x_pk[32],
                     uint8_t key[32])
{
    crypto_generichash_state st;
    uint8_t e[8];
    for (int i = 0; i < 8; i++)
        e[i] = (uint8_t)(epoch >> (8 * i));
    crypto_generichash_init(&st, shared, 32, 32);
    crypto_generichash_update(&st, (const uint8_t *)MWX_SESSION_KDF, MWX_SESSION_KDF_LEN);
    crypto_generichash_update(&st, (const uint8_t *)origin, strlen(origin) + 1);
    crypto_generichash_update(&st, (const uint8_t *)recipient, strlen(recipient) + 1);
    crypto_generichash_update(&st, e, 8);
    crypto_generichash_update(&st, eph_pk, 32);
    crypto_generichash_update(&st, rcpt_x_pk, 32);
    crypto_generichash_final(&st, key, 32);
    return MWX_OK;
}

int mwxi_session_decode(const uint8_t *p, size_t n, mwx_session_msg_t *m)
{
    pbr_t r = {p, p + n};
    unsigned field, wire;
    uint64_t v;
    const uint8_t *b;
    size_t bn;
    int rc, have_pk = 0;
    memset(m, 0, sizeof *m);
    while ((rc = mwxi_pbr_next(&r, &field, &wire, &v, &b, &bn)) == 1) {
        if (field == 1 && wire == 0) {
            m->epoch = v;
        } else if (field == 2) {
            if (wire != 2 || bn != 32)
                return MWX_ECORRUPT;
            memcpy(m->eph_pk, b, 32);
            have_pk = 1;
        } else if (field == 3) {
            if (wire != 2 || bn % (8 + MWX_DIGEST_BYTES) ||
                bn / (8 + MWX_DIGEST_BYTES) > MWX_CKPT_MAX)
                return MWX_ECORRUPT;
            m->entries = b;
            m->n_entries = bn / (8 + MWX_DIGEST_BYTES);
        } else if (field <= 3) {
            return MWX_ECORRUPT;
        }
    }
    if (rc < 0 || m->epoch == 0 || !have_pk)
        return MWX_ECORRUPT;
    return MWX_OK;
}

int mwx_sender_session_start(mwx_sender_t *s, const mwx_trusted_key_t *keys, int n_keys,
                             double unix_s, mwx_err_t *err)
{
    uint8_t eph_sk[32], eph_pk[32], mac_key[MWX_MAX_NATIONS][32];
    char to[MWX_MAX_NATIONS][MWX_ID_LEN];
    int n_to, rc = MWX_OK;
    if (sodium_init() < 0)
        return mwx_err_set(err, MWX_ECRYPTO, "libsodium failed to initialise");
    n_to = mwx_policy_recipients(&s->policy, s->key.nation, to);
    if (n_to == 0)
        return mwx_err_set(err, MWX_ENOTFOUND, "sender: %s releases to nobody", s->key.nation);
    crypto_box_keypair(eph_pk, eph_sk); /* fresh every start and rotation: never stored */
    uint64_t epoch = mwx_share_seq_base(unix_s);
    if (epoch <= s->epoch)
        epoch = s->epoch + 1;
    for (int i = 0; i < n_to && rc == MWX_OK; i++) {
        const mwx_trusted_key_t *k = NULL;
        uint8_t rx[32], shared[32];
        for (int j = 0; j < n_keys; j++)
            if (strcmp(keys[j].nation, to[i]) == 0)
                k = &keys[j];
        if (!k)
            rc = mwx_err_set(err, MWX_ENOTFOUND, "sender: no public key for recipient %s", to[i]);
        else if (crypto_sign_ed25519_pk_to_curve25519(rx, k->pk) != 0 ||
                 crypto_scalarmult(shared, eph_sk, rx) != 0)
            rc = mwx_err_set(err, MWX_ECRYPTO, "sender: %s's public key is unusable", to[i]);
        else
            mwxi_session_key(shared, s->key.nation, to[i], epoch, eph_pk, rx, mac_key[i]);
        sodium_memzero(shared, sizeof shared);
    }
    sodium_memzero(eph_sk, sizeof eph_sk);
    if (rc != MWX_OK) {
        sodium_memzero(mac_key, sizeof mac_key);
        return rc;
    }
    s->session_on = 1;
    s->epoch = epoch;
    memcpy(s->eph_pk, eph_pk, 32);
    s->n_to = n_to;
    memcpy(s->to, to, sizeof to);
    memcpy(s->mac_key, mac_key, sizeof mac_key);
    sodium_memzero(mac_key, sizeof mac_key);
    s->announce = 1;
    return MWX_OK;
}

int mwx_sender_session_due(const mwx_sender_t *s, double now_unix_s)
{
    if (!s->session_on)
        return 0;
    return s->announce || s->n_pending >= MWX_CKPT_MAX ||
           (s->n_pending > 0 && now_unix_s - s->pending_since >= MWX_CKPT_PERIOD_S);
}

int mwx_sender_seal_session(mwx_sender_t *s, double sent_unix_s, uint8_t *buf, size_t cap,
                            size_t *len, mwx_envelope_t *env_out, mwx_err_t *err)
{
    uint8_t payload[MWX_PAYLOAD_MAX];
    uint8_t entries[MWX_CKPT_MAX * (8 + MWX_DIGEST_BYTES)];
    mwx_envelope_t env;
    pbw_t w;
    if (!s->session_on || (!s->announce && s->n_pending == 0))
        return mwx_err_set(err, MWX_ENOTFOUND, "sender: no session message due");
    for (int i = 0; i < s->n_pending; i++) {
        uint8_t *e = entries + (size_t)i * (8 + MWX_DIGEST_BYTES);
        for (int k = 0; k < 8; k++)
            e[k] = (uint8_t)(s->pending[i].seq >> (8 * k));
        memcpy(e + 8, s->pending[i].digest, MWX_DIGEST_BYTES);
    }
    mwxi_pbw_init(&w, payload, sizeof payload);
    mwxi_pbw_uint(&w, 1, s->epoch);
    mwxi_pbw_bytes(&w, 2, s->eph_pk, 32, 1);
    mwxi_pbw_bytes(&w, 3, entries, (size_t)s->n_pending * (8 + MWX_DIGEST_BYTES), 0);
    memset(&env, 0, sizeof env);
    env.version = MWX_WIRE_VERSION;
    mwx_strlcpy(env.origin, s->key.nation, sizeof env.origin);
    env.n_to = s->n_to;
    memcpy(env.to, s->to, sizeof env.to);
    env.seq = s->next_seq;
    env.sent_unix_s = sent_unix_s;
    env.type = MWX_PAYLOAD_SESSION;
    env.payload = payload;
    env.payload_len = w.len;
    env.session = s->epoch;
    int rc = mwx_envelope_seal(&env, s->key.sk, buf, cap, len, err);
    if (rc < 0)
        return rc;
    s->next_seq++;
    s->announce = 0;
    s->n_pending = 0;
    if (env_out) {
        *env_out = env;
        env_out->payload = NULL; /* it was on this function's stack */
        env_out->payload_len = 0;
    }
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

int mwx_sender_seal_heartbeat(mwx_sender_t *s, const mwx_ack_t *acks, int n_acks,
                              double sent_unix_s, uint8_t *buf, size_t cap, size_t *len,
                              mwx_envelope_t *env_out, mwx_err_t *err)
{
    /* next_seq, then per ack: tag, length, origin (< MWX_ID_LEN), seq (a varint) */
    uint8_t payload[16 + MWX_MAX_NATIONS * (4 + MWX_ID_LEN + 11)], ack[4 + MWX_ID_LEN + 11];
    pbw_t w;
    if (n_acks < 0 || n_acks > MWX_MAX_NATIONS || (n_acks > 0 && !acks))
        return mwx_err_set(err, MWX_EINVAL, "heartbeat: %d acks", n_acks);
    mwxi_pbw_init(&w, payload, sizeof payload);
    mwxi_pbw_uint(&w, 1, s->next_seq + 1); /* the heartbeat itself takes next_seq */
    for (int i = 0; i < n_acks; i++) {
        size_t on = strnlen(acks[i].origin, MWX_ID_LEN);
        pbw_t a;
        if (!mwxi_share_id_ok(acks[i].origin, on) || acks[i].seq == 0)
            continue;
        mwxi_pbw_init(&a, ack, sizeof ack);
        mwxi_pbw_bytes(&a, 1, acks[i].origin, on, 1);
        mwxi_pbw_uint(&a, 2, acks[i].seq);
        mwxi_pbw_bytes(&w, 2, ack, a.len, 1);
    }
    if (w.full)
        return mwx_err_set(err, MWX_EINVAL, "heartbeat: acks do not fit");
    return mwx_sender_seal(s, MWX_PAYLOAD_HEARTBEAT, payload, w.len, sent_unix_s, buf, cap, len,
                           env_out, err);
}

int mwx_heartbeat_decode(const mwx_envelope_t *env, uint64_t *next_seq, mwx_ack_t *acks, int max,
                         int *n_acks, mwx_err_t *err)
{
    pbr_t r = {env->payload, env->payload + env->payload_len};
    unsigned field, wire;
    uint64_t v;
    const uint8_t *b;
    size_t n;
    int rc;
    *next_seq = 0;
    *n_acks = 0;
    if (env->type != MWX_PAYLOAD_HEARTBEAT)
        return mwx_err_set(err, MWX_EINVAL, "payload is %s, not heartbeat",
                           mwx_payload_type_name(env->type));
    while ((rc = mwxi_pbr_next(&r, &field, &wire, &v, &b, &n)) == 1) {
        if (field == 1 && wire == 0) {
            *next_seq = v;
        } else if (field == 2 && wire == 2) {
            pbr_t ar = {b, b + n};
            mwx_ack_t a = {{0}, 0};
            int arc, named = 0;
            while ((arc = mwxi_pbr_next(&ar, &field, &wire, &v, &b, &n)) == 1) {
                if (field == 1 && wire == 2 && mwxi_share_id_ok((const char *)b, n)) {
                    memcpy(a.origin, b, n);
                    a.origin[n] = 0;
                    named = 1;
                } else if (field == 1) {
                    named = 0; /* a bad id: the ack is skipped */
                } else if (field == 2 && wire == 0) {
                    a.seq = v;
                }
            }
            if (arc < 0)
                return mwx_err_set(err, MWX_ECORRUPT, "heartbeat: malformed ack");
            if (named && a.seq && *n_acks < max)
                acks[(*n_acks)++] = a;
        }
    }
    if (rc < 0)
        return mwx_err_set(err, MWX_ECORRUPT, "heartbeat: malformed payload");
    return MWX_OK;
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
