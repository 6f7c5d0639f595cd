/* Receiver: the checks every envelope passes before a node uses it. Preallocated at
 * create; no allocation per message. Replay window per origin: highest seq accepted H and
 * a bitmap of the MWX_REPLAY_WINDOW seqs (H - W, H]; a seq at or below H - W is replayed
 * (too old to tell), a seq whose bit is set is a duplicate. A seq that leaves the window
 * unaccepted is given up (counted: gap recovery can no longer ask for it). */
#include "share_int.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORDS (MWX_REPLAY_WINDOW / 64)

typedef struct origin_state {
    char nation[MWX_ID_LEN];
    uint8_t pk[MWX_PUBKEY_BYTES];
    uint64_t first, highest; /* 0: nothing accepted yet */
    uint64_t bits[WORDS];
    uint64_t given_up, jumps; /* mwx_share_counters_t, this origin's part */
    double last_gap_req;      /* sent time of the newest accepted GAP_REQUEST (0: none) */
    int revoked;              /* mwx_receiver_revoke: refused as unknown_origin */
    /* Sessions announced by this origin: the current one and the one before it (valid only
     * below the current one's first seq, for envelopes still in flight at a rotation). */
    struct rx_session {
        uint64_t epoch, start_seq; /* epoch 0: none */
        uint8_t key[32];           /* origin -> this node */
    } cur, prev;
} origin_state_t;

struct mwx_receiver {
    char own[MWX_ID_LEN];
    double stale_s;
    int n;
    origin_state_t o[MWX_MAX_NATIONS];
    mwx_share_counters_t c;
    uint8_t payload[MWX_PAYLOAD_MAX];
    uint8_t msg[MWX_SIG_DOMAIN_LEN + MWX_ENVELOPE_MAX];
    int have_key;               /* mwx_receiver_set_key */
    uint8_t x_sk[32], x_pk[32]; /* own identity as X25519 */
};

const char *mwx_drop_name(mwx_drop_t d)
{
    switch (d) {
    case MWX_DROP_MALFORMED: return "malformed";
    case MWX_DROP_UNKNOWN_ORIGIN: return "unknown_origin";
    case MWX_DROP_BAD_SIGNATURE: return "bad_signature";
    case MWX_DROP_NOT_RELEASABLE: return "not_releasable";
    case MWX_DROP_REPLAYED: return "replayed";
    case MWX_DROP_STALE: return "stale";
    case MWX_DROP_MISROUTED: return "misrouted";
    case MWX_DROP_NO_SESSION: return "no_session";
    case MWX_DROP_BAD_MAC: return "bad_mac";
    default: return "none";
    }
}

int mwx_receiver_create(const char *own_nation, double stale_s, mwx_receiver_t **out,
                        mwx_err_t *err)
{
    *out = NULL;
    if (!own_nation || !mwxi_share_id_ok(own_nation, strlen(own_nation)))
        return mwx_err_set(err, MWX_EINVAL, "receiver: bad nation id '%s'",
                           own_nation ? own_nation : "");
    if (!(stale_s > 0) || !isfinite(stale_s))
        return mwx_err_set(err, MWX_EINVAL, "receiver: stale limit must be > 0 s");
    if (sodium_init() < 0)
        return mwx_err_set(err, MWX_ECRYPTO, "libsodium failed to initialise");
    mwx_receiver_t *r = calloc(1, sizeof *r);
    if (!r)
        return mwx_err_set(err, MWX_ENOMEM, "receiver: out of memory");
    mwx_strlcpy(r->own, own_nation, sizeof r->own);
    r->stale_s = stale_s;
    *out = r;
    return MWX_OK;
}

void mwx_receiver_destroy(mwx_receiver_t *r)
{
    if (r)
        sodium_memzero(r, sizeof *r);
    free(r);
}

static origin_state_t *find_any(const mwx_receiver_t *r, const char *nation)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->o[i].nation, nation) == 0)
            return (origin_state_t *)&r->o[i];
    return NULL;
}

/* A trusted (not revoked) origin. */
static origin_state_t *find(const mwx_receiver_t *r, const char *nation)
{
    origin_state_t *o = find_any(r, nation);
    return o && !o->revoked ? o : NULL;
}

int mwx_receiver_set_key(mwx_receiver_t *r, const mwx_keypair_t *kp, mwx_err_t *err)
{
    if (strcmp(kp->nation, r->own) != 0)
        return mwx_err_set(err, MWX_EINVAL, "receiver %s: key of nation %s", r->own, kp->nation);
    if (crypto_sign_ed25519_sk_to_curve25519(r->x_sk, kp->sk) != 0 ||
        crypto_scalarmult_base(r->x_pk, r->x_sk) != 0)
        return mwx_err_set(err, MWX_ECRYPTO, "receiver %s: unusable key", r->own);
    r->have_key = 1;
    return MWX_OK;
}

int mwx_receiver_revoke(mwx_receiver_t *r, const char *nation)
{
    origin_state_t *o = find(r, nation);
    if (!o)
        return MWX_ENOTFOUND;
    o->revoked = 1;
    sodium_memzero(o->pk, sizeof o->pk);
    sodium_memzero(&o->cur, sizeof o->cur);
    sodium_memzero(&o->prev, sizeof o->prev);
    return MWX_OK;
}

int mwx_receiver_trust(mwx_receiver_t *r, const char *nation, const uint8_t pk[MWX_PUBKEY_BYTES],
                       mwx_err_t *err)
{
    if (!mwxi_share_id_ok(nation, strlen(nation)))
        return mwx_err_set(err, MWX_EINVAL, "receiver: bad nation id '%s'", nation);
    origin_state_t *o = find_any(r, nation);
    if (!o) {
        if (r->n >= MWX_MAX_NATIONS)
            return mwx_err_set(err, MWX_EFULL, "receiver: more than %d trusted nations",
                               MWX_MAX_NATIONS);
        o = &r->o[r->n++];
        memset(o, 0, sizeof *o);
        mwx_strlcpy(o->nation, nation, sizeof o->nation);
    }
    /* sessions announced under the earlier key (or before a revocation) are forgotten */
    if (o->revoked || memcmp(o->pk, pk, MWX_PUBKEY_BYTES) != 0) {
        sodium_memzero(&o->cur, sizeof o->cur);
        sodium_memzero(&o->prev, sizeof o->prev);
    }
    o->revoked = 0;
    memcpy(o->pk, pk, MWX_PUBKEY_BYTES);
    return MWX_OK;
}

static int bit_get(const origin_state_t *o, uint64_t s)
{
    unsigned i = (unsigned)(s % MWX_REPLAY_WINDOW);
    return (int)(o->bits[i / 64] >> (i % 64) & 1u);
}

static void bit_set(origin_state_t *o, uint64_t s)
{
    unsigned i = (unsigned)(s % MWX_REPLAY_WINDOW);
    o->bits[i / 64] |= (uint64_t)1 << (i % 64);
}

/* 1 when s would be a replay. */
static int replayed(const origin_state_t *o, uint64_t s)
{
    if (o->highest == 0 || s > o->highest)
        return 0;
    if (o->highest - s >= MWX_REPLAY_WINDOW)
        return 1;
    return bit_get(o, s);
}

/* Over the n seqs from lo on (n <= MWX_REPLAY_WINDOW), a word at a time: how many were
 * never accepted, and with clear their bits cleared. At most WORDS + 1 steps whatever the
 * seqs' values (no loop runs up to a seq: a seq near 2^64 once made `k <= s` true
 * forever). */
static uint64_t run_bits(mwx_receiver_t *r, origin_state_t *o, uint64_t lo, uint64_t n, int clear)
{
    uint64_t unset = 0;
    unsigned i = (unsigned)(lo % MWX_REPLAY_WINDOW);
    while (n > 0) {
        unsigned b = i % 64, take = 64 - b;
        if (take > n)
            take = (unsigned)n;
        uint64_t mask = take == 64 ? ~(uint64_t)0 : (((uint64_t)1 << take) - 1) << b;
        unset += take - (unsigned)__builtin_popcountll(o->bits[i / 64] & mask);
        if (clear)
            o->bits[i / 64] &= ~mask;
        n -= take;
        i = (i + take) % MWX_REPLAY_WINDOW;
        r->c.work++;
    }
    return unset;
}

/* A seq ahead of the highest slides the window up to it: the seqs skipped are a declared
 * gap (recovered by gap request while they stay inside the window); a jump of a whole
 * window or more starts a fresh window (what lay below is out of reach, as for any seq
 * older than the window). Seqs at or above the first accepted one that leave the window
 * unaccepted are given up, and counted: a loss is never silent. Cost bounded by
 * 2 * (WORDS + 1) steps. */
static void mark(mwx_receiver_t *r, origin_state_t *o, uint64_t s)
{
    r->c.work++;
    if (o->highest == 0) {
        memset(o->bits, 0, sizeof o->bits);
        o->first = o->highest = s;
    } else if (s > o->highest) {
        uint64_t d = s - o->highest;
        uint64_t lo = o->highest >= MWX_REPLAY_WINDOW ? o->highest - MWX_REPLAY_WINDOW + 1 : 1;
        if (lo < o->first)
            lo = o->first;
        /* leaving the window: [lo, s - W] (all of [lo, H] on a jump) */
        uint64_t out_to = d >= MWX_REPLAY_WINDOW   ? o->highest
                          : s >= MWX_REPLAY_WINDOW ? s - MWX_REPLAY_WINDOW
                                                   : 0;
        if (out_to >= lo && lo <= o->highest) {
            uint64_t lost = run_bits(r, o, lo, out_to - lo + 1, 0);
            o->given_up += lost;
            r->c.given_up += lost;
        }
        if (d >= MWX_REPLAY_WINDOW) {
            memset(o->bits, 0, sizeof o->bits);
            o->jumps++;
            r->c.window_jumps++;
        } else {
            (void)run_bits(r, o, o->highest + 1, d, 1);
        }
        o->highest = s;
    }
    if (s < o->first)
        o->first = s;
    bit_set(o, s);
}

static int drop(mwx_receiver_t *r, mwx_drop_t why, mwx_drop_t *out)
{
    r->c.dropped[why]++;
    if (out)
        *out = why;
    switch (why) {
    case MWX_DROP_MALFORMED: return MWX_ECORRUPT;
    case MWX_DROP_UNKNOWN_ORIGIN:
    case MWX_DROP_BAD_SIGNATURE:
    case MWX_DROP_NO_SESSION:
    case MWX_DROP_BAD_MAC: return MWX_ECRYPTO;
    default: return MWX_ERANGE;
    }
}

/* Everything after authentication: label, staleness, path, replay. The envelope's
 * payload is copied into r. (Kept apart from the signature check so that another
 * authenticator, e.g. session MACs, reuses it, and the stateful fuzz target drives it
 * without paying for Ed25519 per step.) */
static int admit(mwx_receiver_t *r, origin_state_t *o, int path, double recv_unix_s,
                 mwx_envelope_t *env, mwx_drop_t *why)
{
    int mine = 0;
    for (int i = 0; i < env->n_to; i++)
        if (strcmp(env->to[i], r->own) == 0)
            mine = 1;
    if (!mine)
        return drop(r, MWX_DROP_NOT_RELEASABLE, why);
    if (!(fabs(recv_unix_s - env->sent_unix_s) <= r->stale_s))
        return drop(r, MWX_DROP_STALE, why);
    int is_gap = env->type == MWX_PAYLOAD_GAP_REQUEST;
    if ((path == MWX_PATH_DATA && is_gap) || (path == MWX_PATH_GAP && !is_gap))
        return drop(r, MWX_DROP_MISROUTED, why);
    if (is_gap) {
        /* not sequenced (seq 0): a requester's sent times only go up, so a copy, or an
         * older request, is a replay */
        if (!(env->sent_unix_s > o->last_gap_req))
            return drop(r, MWX_DROP_REPLAYED, why);
        o->last_gap_req = env->sent_unix_s;
    } else {
        if (env->seq == 0)
            return drop(r, MWX_DROP_MALFORMED, why);
        if (replayed(o, env->seq))
            return drop(r, MWX_DROP_REPLAYED, why);
        mark(r, o, env->seq);
    }
    /* Hand out a copy: the caller's buffer may be reused by the bus. */
    if (env->payload_len > sizeof r->payload)
        return drop(r, MWX_DROP_MALFORMED, why);
    if (env->payload_len)
        memcpy(r->payload, env->payload, env->payload_len);
    env->payload = r->payload;
    r->c.accepted++;
    return MWX_OK;
}

/* A session message accepted from o: a newer epoch becomes the current session (the
 * current one stays valid below this message's seq, for what was in flight); an older or
 * equal one is a checkpoint only (the auditor's business). */
static void take_session(mwx_receiver_t *r, origin_state_t *o, const mwx_envelope_t *env,
                         const mwx_session_msg_t *m)
{
    uint8_t shared[32];
    if (!r->have_key || m->epoch <= o->cur.epoch)
        return;
    if (crypto_scalarmult(shared, r->x_sk, m->eph_pk) != 0)
        return; /* a low-order point: no session (its MAC'd envelopes: no_session) */
    o->prev = o->cur;
    o->cur.epoch = m->epoch;
    o->cur.start_seq = env->seq;
    mwxi_session_key(shared, env->origin, r->own, m->epoch, m->eph_pk, r->x_pk, o->cur.key);
    sodium_memzero(shared, sizeof shared);
}

static const struct rx_session *session_for(const origin_state_t *o, const mwx_envelope_t *env)
{
    if (o->cur.epoch && env->session == o->cur.epoch && env->seq > o->cur.start_seq)
        return &o->cur;
    if (o->prev.epoch && env->session == o->prev.epoch && env->seq > o->prev.start_seq &&
        env->seq < o->cur.start_seq)
        return &o->prev;
    return NULL;
}

static int accept_on(mwx_receiver_t *r, int path, const uint8_t *buf, size_t len,
                     double recv_unix_s, mwx_envelope_t *env, mwx_drop_t *why)
{
    mwx_envelope_split_t sp;
    mwx_session_msg_t sm;

    if (why)
        *why = MWX_DROP_NONE;
    if (!buf || mwxi_envelope_split2(buf, len, &sp, env, NULL) < 0)
        return drop(r, MWX_DROP_MALFORMED, why);
    origin_state_t *o = find(r, env->origin);
    if (!o)
        return drop(r, MWX_DROP_UNKNOWN_ORIGIN, why);
    if (sp.sig) {
        memcpy(r->msg, MWX_SIG_DOMAIN, MWX_SIG_DOMAIN_LEN);
        memcpy(r->msg + MWX_SIG_DOMAIN_LEN, sp.body, sp.body_len);
        if (crypto_sign_ed25519_verify_detached(sp.sig, r->msg, MWX_SIG_DOMAIN_LEN + sp.body_len,
                                                o->pk) != 0)
            return drop(r, MWX_DROP_BAD_SIGNATURE, why);
    } else {
        /* MAC'd: the tag in this node's place on the label, with the session key the
         * origin announced to it (a key only the origin and this node can compute) */
        int me = -1;
        uint8_t tag[MWX_MAC_BYTES];
        for (int i = 0; i < env->n_to && me < 0; i++)
            if (strcmp(env->to[i], r->own) == 0)
                me = i;
        if (me < 0)
            return drop(r, MWX_DROP_NOT_RELEASABLE, why);
        const struct rx_session *ss = r->have_key ? session_for(o, env) : NULL;
        if (!ss)
            return drop(r, MWX_DROP_NO_SESSION, why);
        mwxi_envelope_mac(ss->key, sp.body, sp.body_len, tag);
        if (sodium_memcmp(tag, sp.macs + (size_t)me * MWX_MAC_BYTES, MWX_MAC_BYTES) != 0)
            return drop(r, MWX_DROP_BAD_MAC, why);
    }
    if (env->type == MWX_PAYLOAD_SESSION &&
        (mwxi_session_decode(env->payload, env->payload_len, &sm) != MWX_OK ||
         sm.epoch != env->session))
        return drop(r, MWX_DROP_MALFORMED, why);
    int rc = admit(r, o, path, recv_unix_s, env, why);
    if (rc == MWX_OK && env->type == MWX_PAYLOAD_SESSION) {
        /* sm points into the caller's buffer, still valid here */
        take_session(r, o, env, &sm);
    }
    return rc;
}

int mwx_receiver_learn_session(mwx_receiver_t *r, const uint8_t *buf, size_t len)
{
    mwx_envelope_split_t sp;
    mwx_envelope_t env;
    mwx_session_msg_t sm;
    int mine = 0;
    if (!buf || mwxi_envelope_split2(buf, len, &sp, &env, NULL) < 0 ||
        env.type != MWX_PAYLOAD_SESSION || !sp.sig)
        return MWX_ECORRUPT;
    origin_state_t *o = find(r, env.origin);
    if (!o)
        return MWX_ECRYPTO;
    memcpy(r->msg, MWX_SIG_DOMAIN, MWX_SIG_DOMAIN_LEN);
    memcpy(r->msg + MWX_SIG_DOMAIN_LEN, sp.body, sp.body_len);
    if (crypto_sign_ed25519_verify_detached(sp.sig, r->msg, MWX_SIG_DOMAIN_LEN + sp.body_len,
                                            o->pk) != 0)
        return MWX_ECRYPTO;
    for (int i = 0; i < env.n_to; i++)
        if (strcmp(env.to[i], r->own) == 0)
            mine = 1;
    if (!mine || env.seq == 0 || mwxi_session_decode(env.payload, env.payload_len, &sm) != MWX_OK ||
        sm.epoch != env.session)
        return MWX_ECORRUPT;
    take_session(r, o, &env, &sm);
    return MWX_OK;
}

int mwxi_receiver_admit_authenticated(mwx_receiver_t *r, mwx_path_t path, double recv_unix_s,
                                      mwx_envelope_t *env, mwx_drop_t *why)
{
    if (why)
        *why = MWX_DROP_NONE;
    origin_state_t *o = find(r, env->origin);
    if (!o)
        return drop(r, MWX_DROP_UNKNOWN_ORIGIN, why);
    return admit(r, o, (int)path, recv_unix_s, env, why);
}

int mwx_receiver_accept(mwx_receiver_t *r, const uint8_t *buf, size_t len, double recv_unix_s,
                        mwx_envelope_t *env, mwx_drop_t *why)
{
    return accept_on(r, MWX_PATH_ANY, buf, len, recv_unix_s, env, why);
}

int mwx_receiver_accept_on(mwx_receiver_t *r, mwx_path_t path, const uint8_t *buf, size_t len,
                           double recv_unix_s, mwx_envelope_t *env, mwx_drop_t *why)
{
    return accept_on(r, (int)path, buf, len, recv_unix_s, env, why);
}

void mwx_receiver_counters(const mwx_receiver_t *r, mwx_share_counters_t *c)
{
    *c = r->c;
}

uint64_t mwx_receiver_given_up(const mwx_receiver_t *r, const char *origin)
{
    const origin_state_t *o = find(r, origin);
    return o ? o->given_up : 0;
}

uint64_t mwx_receiver_window_jumps(const mwx_receiver_t *r, const char *origin)
{
    const origin_state_t *o = find(r, origin);
    return o ? o->jumps : 0;
}

uint64_t mwx_receiver_highest(const mwx_receiver_t *r, const char *origin)
{
    const origin_state_t *o = find(r, origin);
    return o ? o->highest : 0;
}

int mwxi_receiver_unaccept(mwx_receiver_t *r, const char *origin, uint64_t seq)
{
    origin_state_t *o = find_any(r, origin);
    if (!o || seq == 0 || o->highest == 0 || seq > o->highest ||
        o->highest - seq >= MWX_REPLAY_WINDOW || !bit_get(o, seq))
        return MWX_ENOTFOUND;
    unsigned i = (unsigned)(seq % MWX_REPLAY_WINDOW);
    o->bits[i / 64] &= ~((uint64_t)1 << (i % 64));
    if (r->c.accepted > 0)
        r->c.accepted--;
    return MWX_OK;
}

int mwx_receiver_missing(const mwx_receiver_t *r, const char *origin, uint64_t *from, uint64_t *to)
{
    const origin_state_t *o = find(r, origin);
    if (!o || o->highest == 0)
        return MWX_ENOTFOUND;
    uint64_t lo = o->highest >= MWX_REPLAY_WINDOW ? o->highest - MWX_REPLAY_WINDOW + 1 : 1;
    if (lo < o->first)
        lo = o->first;
    /* counted steps, never `s <= highest` (highest may be 2^64 - 1): at most one window */
    uint64_t n = o->highest - lo + 1, k = 0;
    while (k < n && bit_get(o, lo + k))
        k++;
    if (k == n)
        return MWX_ENOTFOUND;
    uint64_t e = k;
    while (e + 1 < n && !bit_get(o, lo + e + 1))
        e++;
    *from = lo + k;
    *to = lo + e;
    return MWX_OK;
}

size_t mwx_receiver_metrics(const mwx_receiver_t *r, char *buf, size_t n)
{
    size_t len = 0;
    if (n == 0)
        return 0;
    buf[0] = 0;
    int k = snprintf(buf, n, "mwx_share_accepted_total{node=\"%s\"} %llu\n", r->own,
                     (unsigned long long)r->c.accepted);
    if (k < 0)
        return 0;
    len = (size_t)k < n ? (size_t)k : n - 1;
    for (int d = 0; d < MWX_DROP_N && len < n - 1; d++) {
        k = snprintf(buf + len, n - len,
                     "mwx_share_dropped_total{node=\"%s\",reason=\"%s\"} %llu\n", r->own,
                     mwx_drop_name((mwx_drop_t)d), (unsigned long long)r->c.dropped[d]);
        if (k < 0)
            break;
        len += (size_t)k < n - len ? (size_t)k : n - len - 1;
    }
    if (len < n - 1) {
        int k2 = snprintf(buf + len, n - len,
                          "mwx_share_given_up_total{node=\"%s\"} %llu\n"
                          "mwx_share_window_jumps_total{node=\"%s\"} %llu\n",
                          r->own, (unsigned long long)r->c.given_up, r->own,
                          (unsigned long long)r->c.window_jumps);
        if (k2 > 0)
            len += (size_t)k2 < n - len ? (size_t)k2 : n - len - 1;
    }
    return len;
}
