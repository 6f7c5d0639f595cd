/* Wire envelopes: encoding, signing and decoding (proto/mwx.proto, docs/SHARING.md).
 *
 * Envelope bytes = field 1 (signed_part, length-delimited) then field 2 (signature, 64
 * bytes), a valid protobuf Envelope. The signature is Ed25519 over
 * "mwx.wire.v1" 0x00 || signed_part: the exact bytes on the wire. */
#include "share_int.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

void mwxi_pbw_init(pbw_t *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->full = 0;
}

static void pbw_put(pbw_t *w, const void *p, size_t n)
{
    if (w->full || n > w->cap - w->len) {
        w->full = 1;
        return;
    }
    if (n)
        memcpy(w->buf + w->len, p, n);
    w->len += n;
}

size_t mwxi_pb_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

void mwxi_pbw_varint(pbw_t *w, uint64_t v)
{
    uint8_t b[10];
    size_t n = 0;
    while (v >= 0x80) {
        b[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b[n++] = (uint8_t)v;
    pbw_put(w, b, n);
}

void mwxi_pbw_tag(pbw_t *w, unsigned field, unsigned wire)
{
    mwxi_pbw_varint(w, ((uint64_t)field << 3) | wire);
}

void mwxi_pbw_uint(pbw_t *w, unsigned field, uint64_t v)
{
    if (v == 0)
        return;
    mwxi_pbw_tag(w, field, 0);
    mwxi_pbw_varint(w, v);
}

void mwxi_pbw_double(pbw_t *w, unsigned field, double v)
{
    uint64_t u;
    uint8_t b[8];
    if (v == 0.0 && !signbit(v))
        return;
    memcpy(&u, &v, 8);
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(u >> (8 * i));
    mwxi_pbw_tag(w, field, 1);
    pbw_put(w, b, 8);
}

void mwxi_pbw_bytes(pbw_t *w, unsigned field, const void *p, size_t n, int always)
{
    if (n == 0 && !always)
        return;
    mwxi_pbw_tag(w, field, 2);
    mwxi_pbw_varint(w, n);
    pbw_put(w, p, n);
}

static int pbr_varint(pbr_t *r, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (r->p >= r->end)
            return -1;
        uint8_t b = *r->p++;
        if (shift == 63 && b > 1)
            return -1;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

int mwxi_pbr_next(pbr_t *r, unsigned *field, unsigned *wire, uint64_t *v, const uint8_t **p,
                  size_t *n)
{
    uint64_t key, len;
    if (r->p >= r->end)
        return 0;
    if (pbr_varint(r, &key) < 0)
        return -1;
    if ((key >> 3) == 0 || (key >> 3) > 0x1fffffff)
        return -1;
    *field = (unsigned)(key >> 3);
    *wire = (unsigned)(key & 7);
    *v = 0;
    *p = NULL;
    *n = 0;
    switch (*wire) {
    case 0: return pbr_varint(r, v) < 0 ? -1 : 1;
    case 1:
        if (r->end - r->p < 8)
            return -1;
        for (int i = 0; i < 8; i++)
            *v |= (uint64_t)r->p[i] << (8 * i);
        r->p += 8;
        return 1;
    case 2:
        if (pbr_varint(r, &len) < 0 || len > (uint64_t)(r->end - r->p))
            return -1;
        *p = r->p;
        *n = (size_t)len;
        r->p += len;
        return 1;
    case 5:
        if (r->end - r->p < 4)
            return -1;
        for (int i = 0; i < 4; i++)
            *v |= (uint64_t)r->p[i] << (8 * i);
        r->p += 4;
        return 1;
    default: return -1;
    }
}

int mwxi_share_id_ok(const char *s, size_t n)
{
    if (n == 0 || n >= MWX_ID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

const char *mwx_payload_type_name(mwx_payload_type_t t)
{
    switch (t) {
    case MWX_PAYLOAD_TRACK: return "track";
    case MWX_PAYLOAD_ALERT: return "alert";
    case MWX_PAYLOAD_HEARTBEAT: return "hb";
    case MWX_PAYLOAD_GAP_REQUEST: return "gap_request";
    case MWX_PAYLOAD_GAP_RESPONSE: return "gap_response";
    }
    return "unknown";
}

static void write_signed_part(pbw_t *w, const mwx_envelope_t *env)
{
    mwxi_pbw_uint(w, 1, env->version);
    mwxi_pbw_bytes(w, 2, env->origin, strlen(env->origin), 0);
    mwxi_pbw_uint(w, 3, env->seq);
    mwxi_pbw_double(w, 4, env->sent_unix_s);
    for (int i = 0; i < env->n_to; i++)
        mwxi_pbw_bytes(w, 5, env->to[i], strlen(env->to[i]), 1);
    mwxi_pbw_uint(w, 6, (uint64_t)env->type);
    mwxi_pbw_bytes(w, 7, env->payload, env->payload_len, 0);
}

int mwx_envelope_seal(const mwx_envelope_t *env, const uint8_t sk[MWX_SECKEY_BYTES], uint8_t *buf,
                      size_t cap, size_t *len, mwx_err_t *err)
{
    uint8_t msg[MWX_SIG_DOMAIN_LEN + MWX_ENVELOPE_MAX];
    pbw_t w;

    if (!mwxi_share_id_ok(env->origin, strlen(env->origin)))
        return mwx_err_set(err, MWX_EINVAL, "envelope: bad origin id '%s'", env->origin);
    if (env->n_to < 0 || env->n_to > MWX_MAX_NATIONS)
        return mwx_err_set(err, MWX_EINVAL, "envelope: %d recipients (max %d)", env->n_to,
                           MWX_MAX_NATIONS);
    for (int i = 0; i < env->n_to; i++)
        if (!mwxi_share_id_ok(env->to[i], strlen(env->to[i])))
            return mwx_err_set(err, MWX_EINVAL, "envelope: bad recipient id '%s'", env->to[i]);
    if (env->type < MWX_PAYLOAD_TRACK || env->type > MWX_PAYLOAD_GAP_RESPONSE)
        return mwx_err_set(err, MWX_EINVAL, "envelope: bad payload type %d", (int)env->type);
    if (env->payload_len > MWX_PAYLOAD_MAX)
        return mwx_err_set(err, MWX_EINVAL, "envelope: payload of %zu bytes (max %d)",
                           env->payload_len, MWX_PAYLOAD_MAX);

    /* The signed part, built behind the signature domain so it is signed in place. */
    memcpy(msg, MWX_SIG_DOMAIN, MWX_SIG_DOMAIN_LEN);
    mwxi_pbw_init(&w, msg + MWX_SIG_DOMAIN_LEN, MWX_ENVELOPE_MAX - 80);
    write_signed_part(&w, env);
    if (w.full)
        return mwx_err_set(err, MWX_EINVAL, "envelope: signed part exceeds %d bytes",
                           MWX_ENVELOPE_MAX - 80);

    size_t total = 1 + mwxi_pb_varint_size(w.len) + w.len + 2 + MWX_SIG_BYTES;
    if (total > cap)
        return mwx_err_set(err, MWX_EFULL, "envelope: needs %zu bytes, buffer has %zu", total, cap);
    pbw_t out;
    mwxi_pbw_init(&out, buf, cap);
    mwxi_pbw_bytes(&out, 1, msg + MWX_SIG_DOMAIN_LEN, w.len, 1);
    uint8_t sig[MWX_SIG_BYTES];
    crypto_sign_ed25519_detached(sig, NULL, msg, MWX_SIG_DOMAIN_LEN + w.len, sk);
    mwxi_pbw_bytes(&out, 2, sig, MWX_SIG_BYTES, 1);
    *len = out.len;
    return MWX_OK;
}

static int decode_signed_part(const uint8_t *p, size_t n, mwx_envelope_t *env, mwx_err_t *err)
{
    pbr_t r = {p, p + n};
    unsigned field, wire;
    uint64_t v;
    const uint8_t *b;
    size_t bn;
    int rc;

    memset(env, 0, sizeof *env);
    while ((rc = mwxi_pbr_next(&r, &field, &wire, &v, &b, &bn)) == 1) {
        switch (field) {
        case 1:
            if (wire != 0 || v > UINT32_MAX)
                goto bad;
            env->version = (uint32_t)v;
            break;
        case 2:
            if (wire != 2 || !mwxi_share_id_ok((const char *)b, bn))
                return mwx_err_set(err, MWX_ECORRUPT, "envelope: bad origin");
            memcpy(env->origin, b, bn);
            env->origin[bn] = 0;
            break;
        case 3:
            if (wire != 0)
                goto bad;
            env->seq = v;
            break;
        case 4:
            if (wire != 1)
                goto bad;
            memcpy(&env->sent_unix_s, &v, 8);
            break;
        case 5:
            if (wire != 2 || !mwxi_share_id_ok((const char *)b, bn))
                return mwx_err_set(err, MWX_ECORRUPT, "envelope: bad releasable_to entry");
            if (env->n_to >= MWX_MAX_NATIONS)
                return mwx_err_set(err, MWX_ECORRUPT, "envelope: more than %d recipients",
                                   MWX_MAX_NATIONS);
            memcpy(env->to[env->n_to], b, bn);
            env->to[env->n_to][bn] = 0;
            env->n_to++;
            break;
        case 6:
            if (wire != 0)
                goto bad;
            if (v < MWX_PAYLOAD_TRACK || v > MWX_PAYLOAD_GAP_RESPONSE)
                return mwx_err_set(err, MWX_ECORRUPT, "envelope: unknown payload type %llu",
                                   (unsigned long long)v);
            env->type = (mwx_payload_type_t)v;
            break;
        case 7:
            if (wire != 2)
                goto bad;
            if (bn > MWX_PAYLOAD_MAX)
                return mwx_err_set(err, MWX_ECORRUPT, "envelope: payload too large");
            env->payload = b;
            env->payload_len = bn;
            break;
        default: break; /* unknown fields are tolerated */
        }
    }
    if (rc < 0)
        goto bad;
    if (env->version != MWX_WIRE_VERSION)
        return mwx_err_set(err, MWX_ECORRUPT, "envelope: unsupported version %u", env->version);
    if (!env->origin[0])
        return mwx_err_set(err, MWX_ECORRUPT, "envelope: no origin");
    if (env->type == 0)
        return mwx_err_set(err, MWX_ECORRUPT, "envelope: no payload type");
    if (!isfinite(env->sent_unix_s))
        return mwx_err_set(err, MWX_ECORRUPT, "envelope: sent time is not finite");
    if ((env->seq == 0) != (env->type == MWX_PAYLOAD_GAP_REQUEST))
        return mwx_err_set(err, MWX_ECORRUPT, "envelope: seq %llu for type %s",
                           (unsigned long long)env->seq, mwx_payload_type_name(env->type));
    return MWX_OK;
bad:
    return mwx_err_set(err, MWX_ECORRUPT, "envelope: malformed signed part");
}

int mwxi_envelope_split(const uint8_t *buf, size_t len, const uint8_t **signed_part,
                        size_t *signed_len, const uint8_t **sig, mwx_envelope_t *env,
                        mwx_err_t *err)
{
    pbr_t r = {buf, buf + len};
    unsigned field, wire;
    uint64_t v;
    const uint8_t *b, *sp = NULL, *sg = NULL;
    size_t bn, spn = 0;
    int rc;

    if (len > MWX_ENVELOPE_MAX)
        return mwx_err_set(err, MWX_ECORRUPT, "envelope: %zu bytes (max %d)", len,
                           MWX_ENVELOPE_MAX);
    while ((rc = mwxi_pbr_next(&r, &field, &wire, &v, &b, &bn)) == 1) {
        if (field == 1) {
            if (wire != 2)
                return mwx_err_set(err, MWX_ECORRUPT, "envelope: bad signed_part");
            sp = b;
            spn = bn;
        } else if (field == 2) {
            if (wire != 2 || bn != MWX_SIG_BYTES)
                return mwx_err_set(err, MWX_ECORRUPT, "envelope: signature is not %d bytes",
                                   MWX_SIG_BYTES);
            sg = b;
        }
    }
    if (rc < 0)
        return mwx_err_set(err, MWX_ECORRUPT, "envelope: malformed protobuf");
    if (!sp || !sg)
        return mwx_err_set(err, MWX_ECORRUPT, "envelope: missing %s",
                           sp ? "signature" : "signed_part");
    *signed_part = sp;
    *signed_len = spn;
    *sig = sg;
    return decode_signed_part(sp, spn, env, err);
}

int mwx_envelope_peek(const uint8_t *buf, size_t len, mwx_envelope_t *env, mwx_err_t *err)
{
    const uint8_t *sp, *sg;
    size_t spn;
    return mwxi_envelope_split(buf, len, &sp, &spn, &sg, env, err);
}

/* ---------------------------------------------------------------- subjects */

int mwx_subject_data(mwx_payload_type_t type, const char *origin, const char *recipient,
                     char subject[MWX_SUBJECT_LEN])
{
    const char *kind;
    switch (type) {
    case MWX_PAYLOAD_TRACK: kind = "track"; break;
    case MWX_PAYLOAD_ALERT: kind = "alert"; break;
    case MWX_PAYLOAD_HEARTBEAT: kind = "hb"; break;
    default: return MWX_EINVAL;
    }
    if (!mwxi_share_id_ok(origin, strlen(origin)) ||
        !mwxi_share_id_ok(recipient, strlen(recipient)))
        return MWX_EINVAL;
    snprintf(subject, MWX_SUBJECT_LEN, "mwx.%s.%s.%s", kind, origin, recipient);
    return MWX_OK;
}

int mwx_subject_inbox(const char *nation, char subject[MWX_SUBJECT_LEN])
{
    if (!mwxi_share_id_ok(nation, strlen(nation)))
        return MWX_EINVAL;
    snprintf(subject, MWX_SUBJECT_LEN, "mwx.*.*.%s", nation);
    return MWX_OK;
}

int mwx_subject_gap(const char *origin, const char *requester, char subject[MWX_SUBJECT_LEN])
{
    if (!mwxi_share_id_ok(origin, strlen(origin)) ||
        (strcmp(requester, "*") != 0 && !mwxi_share_id_ok(requester, strlen(requester))))
        return MWX_EINVAL;
    snprintf(subject, MWX_SUBJECT_LEN, "mwx-gap.%s.%s", origin, requester);
    return MWX_OK;
}

int mwx_subject_meas(const char *nation, char subject[MWX_SUBJECT_LEN])
{
    if (!mwxi_share_id_ok(nation, strlen(nation)))
        return MWX_EINVAL;
    snprintf(subject, MWX_SUBJECT_LEN, "mwx-meas.%s", nation);
    return MWX_OK;
}
