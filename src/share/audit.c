/* Audit: proves who sent every envelope a receiver accepted (docs/SHARING.md, "Sessions").
 * A MAC convinces only its recipient (who holds the same key), so a MAC'd envelope counts
 * as the origin's only when its body digest is listed in a Session checkpoint the origin
 * signed with Ed25519. Signed envelopes are verified directly. Not on the message path:
 * this allocates as it goes. */
#include "core/grow.h"
#include "share_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct aud_ent {
    char origin[MWX_ID_LEN];
    uint64_t seq;
    uint8_t digest[MWX_DIGEST_BYTES];
} aud_ent_t;

typedef struct aud_vec {
    aud_ent_t *v;
    size_t n, cap;
} aud_vec_t;

struct mwx_audit {
    int n;
    char nation[MWX_MAX_NATIONS][MWX_ID_LEN];
    uint8_t pk[MWX_MAX_NATIONS][MWX_PUBKEY_BYTES];
    aud_vec_t proven; /* from verified checkpoints */
    aud_vec_t macd;   /* MAC'd envelopes seen */
    mwx_audit_result_t res;
    uint8_t msg[MWX_SIG_DOMAIN_LEN + MWX_ENVELOPE_MAX];
};

int mwx_audit_create(mwx_audit_t **out, mwx_err_t *err)
{
    if (sodium_init() < 0)
        return mwx_err_set(err, MWX_ECRYPTO, "libsodium failed to initialise");
    *out = calloc(1, sizeof **out);
    return *out ? MWX_OK : mwx_err_set(err, MWX_ENOMEM, "audit: out of memory");
}

void mwx_audit_destroy(mwx_audit_t *a)
{
    if (!a)
        return;
    free(a->proven.v);
    free(a->macd.v);
    free(a);
}

int mwx_audit_trust(mwx_audit_t *a, const char *nation, const uint8_t pk[MWX_PUBKEY_BYTES],
                    mwx_err_t *err)
{
    if (!mwxi_share_id_ok(nation, strlen(nation)))
        return mwx_err_set(err, MWX_EINVAL, "audit: bad nation id '%s'", nation);
    if (a->n >= MWX_MAX_NATIONS)
        return mwx_err_set(err, MWX_EFULL, "audit: more than %d nations", MWX_MAX_NATIONS);
    mwx_strlcpy(a->nation[a->n], nation, MWX_ID_LEN);
    memcpy(a->pk[a->n], pk, MWX_PUBKEY_BYTES);
    a->n++;
    return MWX_OK;
}

static int push(aud_vec_t *v, const char *origin, uint64_t seq, const uint8_t *d)
{
    if (mwxi_grow(&v->v, &v->cap, v->n + 1, sizeof *v->v, 256) != 0)
        return MWX_ENOMEM;
    aud_ent_t *e = &v->v[v->n++];
    memset(e, 0, sizeof *e);
    mwx_strlcpy(e->origin, origin, sizeof e->origin);
    e->seq = seq;
    memcpy(e->digest, d, MWX_DIGEST_BYTES);
    return MWX_OK;
}

int mwx_audit_add(mwx_audit_t *a, const uint8_t *buf, size_t len, mwx_err_t *err)
{
    mwx_envelope_split_t sp;
    mwx_envelope_t env;
    const uint8_t *pk = NULL;
    if (mwxi_envelope_split2(buf, len, &sp, &env, NULL) < 0) {
        a->res.bad++;
        return MWX_OK;
    }
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->nation[i], env.origin) == 0)
            pk = a->pk[i];
    if (!pk) {
        a->res.bad++;
        return MWX_OK;
    }
    if (sp.macs) {
        uint8_t d[MWX_DIGEST_BYTES];
        mwxi_envelope_digest(sp.body, sp.body_len, d);
        if (push(&a->macd, env.origin, env.seq, d) < 0)
            return mwx_err_set(err, MWX_ENOMEM, "audit: out of memory");
        return MWX_OK;
    }
    memcpy(a->msg, MWX_SIG_DOMAIN, MWX_SIG_DOMAIN_LEN);
    memcpy(a->msg + MWX_SIG_DOMAIN_LEN, sp.body, sp.body_len);
    if (crypto_sign_ed25519_verify_detached(sp.sig, a->msg, MWX_SIG_DOMAIN_LEN + sp.body_len, pk) !=
        0) {
        a->res.bad++;
        return MWX_OK;
    }
    a->res.signed_ok++;
    if (env.type == MWX_PAYLOAD_SESSION) {
        mwx_session_msg_t m;
        if (mwxi_session_decode(env.payload, env.payload_len, &m) != MWX_OK) {
            a->res.bad++;
            return MWX_OK;
        }
        a->res.checkpoints++;
        for (size_t i = 0; i < m.n_entries; i++) {
            const uint8_t *e = m.entries + i * (8 + MWX_DIGEST_BYTES);
            uint64_t seq = 0;
            for (int k = 0; k < 8; k++)
                seq |= (uint64_t)e[k] << (8 * k);
            if (push(&a->proven, env.origin, seq, e + 8) < 0)
                return mwx_err_set(err, MWX_ENOMEM, "audit: out of memory");
        }
    }
    return MWX_OK;
}

static int ent_cmp(const void *x, const void *y)
{
    const aud_ent_t *a = x, *b = y;
    int c = strcmp(a->origin, b->origin);
    if (c)
        return c;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return memcmp(a->digest, b->digest, MWX_DIGEST_BYTES);
}

int mwx_audit_finish(mwx_audit_t *a, mwx_audit_result_t *res, mwx_err_t *err)
{
    const aud_ent_t *first_bad = NULL;
    if (a->proven.n)
        qsort(a->proven.v, a->proven.n, sizeof *a->proven.v, ent_cmp);
    for (size_t i = 0; i < a->macd.n; i++) {
        const aud_ent_t *e = &a->macd.v[i];
        /* the exact (origin, seq, digest): a different body under the same seq is not it */
        if (a->proven.n && bsearch(e, a->proven.v, a->proven.n, sizeof *e, ent_cmp)) {
            a->res.mac_proven++;
        } else {
            a->res.mac_unproven++;
            if (!first_bad)
                first_bad = e;
        }
    }
    a->macd.n = 0;
    if (res)
        *res = a->res;
    if (first_bad)
        return mwx_err_set(
            err, MWX_ECRYPTO, "%s seq %llu: MAC'd, and no checkpoint %s signed holds it",
            first_bad->origin, (unsigned long long)first_bad->seq, first_bad->origin);
    if (a->res.bad)
        return mwx_err_set(err, MWX_ECRYPTO,
                           "%llu envelope(s) malformed, of an unknown origin "
                           "or with a bad signature",
                           (unsigned long long)a->res.bad);
    return MWX_OK;
}
