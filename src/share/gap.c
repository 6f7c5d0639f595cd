/* Gap recovery: a receiver that sees a hole in an origin's seqs asks the origin for it;
 * the origin answers with the original signed envelopes (re-verified by the requester). */
#include "share_int.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int mwx_gap_request_seal(const mwx_keypair_t *me, const char *origin, uint64_t from_seq,
                         uint64_t to_seq, double sent_unix_s, uint8_t *buf, size_t cap, size_t *len,
                         mwx_err_t *err)
{
    uint8_t payload[32];
    pbw_t w;
    mwx_envelope_t env;

    if (from_seq == 0 || to_seq < from_seq)
        return mwx_err_set(err, MWX_EINVAL, "gap request: bad range [%llu, %llu]",
                           (unsigned long long)from_seq, (unsigned long long)to_seq);
    if (!mwxi_share_id_ok(origin, strlen(origin)))
        return mwx_err_set(err, MWX_EINVAL, "gap request: bad origin '%s'", origin);
    mwxi_pbw_init(&w, payload, sizeof payload);
    mwxi_pbw_uint(&w, 1, from_seq);
    mwxi_pbw_uint(&w, 2, to_seq);
    memset(&env, 0, sizeof env);
    env.version = MWX_WIRE_VERSION;
    mwx_strlcpy(env.origin, me->nation, sizeof env.origin);
    env.seq = 0;
    env.sent_unix_s = sent_unix_s;
    mwx_strlcpy(env.to[0], origin, MWX_ID_LEN);
    env.n_to = 1;
    env.type = MWX_PAYLOAD_GAP_REQUEST;
    env.payload = payload;
    env.payload_len = w.len;
    return mwx_envelope_seal(&env, me->sk, buf, cap, len, err);
}

int mwx_gap_request_decode(const mwx_envelope_t *env, uint64_t *from_seq, uint64_t *to_seq,
                           mwx_err_t *err)
{
    pbr_t r = {env->payload, env->payload + env->payload_len};
    unsigned field, wire;
    uint64_t v;
    const uint8_t *b;
    size_t n;
    int rc;

    if (env->type != MWX_PAYLOAD_GAP_REQUEST)
        return mwx_err_set(err, MWX_EINVAL, "not a gap request");
    *from_seq = *to_seq = 0;
    while ((rc = mwxi_pbr_next(&r, &field, &wire, &v, &b, &n)) == 1) {
        if (field == 1 && wire == 0)
            *from_seq = v;
        else if (field == 2 && wire == 0)
            *to_seq = v;
    }
    if (rc < 0 || *from_seq == 0 || *to_seq < *from_seq)
        return mwx_err_set(err, MWX_ECORRUPT, "gap request: malformed range");
    return MWX_OK;
}

void mwx_gap_reply_init(mwx_gap_reply_t *g, uint8_t *buf, size_t cap)
{
    g->buf = buf;
    g->cap = cap;
    g->len = 0;
    g->count = 0;
}

int mwx_gap_reply_add(mwx_gap_reply_t *g, const uint8_t *env, size_t len)
{
    size_t need = 1 + mwxi_pb_varint_size(len) + len;
    if (need > g->cap - g->len)
        return MWX_EFULL;
    pbw_t w;
    mwxi_pbw_init(&w, g->buf + g->len, g->cap - g->len);
    mwxi_pbw_bytes(&w, 1, env, len, 1);
    g->len += w.len;
    g->count++;
    return MWX_OK;
}

int mwx_gap_reply_each(const uint8_t *buf, size_t len,
                       void (*fn)(void *user, const uint8_t *env, size_t len), void *user)
{
    pbr_t r = {buf, buf + len};
    unsigned field, wire;
    uint64_t v;
    const uint8_t *b;
    size_t n;
    int rc;
    while ((rc = mwxi_pbr_next(&r, &field, &wire, &v, &b, &n)) == 1)
        if (field == 1 && wire == 2)
            fn(user, b, n);
    return rc < 0 ? MWX_ECORRUPT : MWX_OK;
}

/* ---------------------------------------------------------------- sent log */

/* Up to `slots` envelopes in a byte ring of slots x 512 bytes (a signed track report is
 * about 370 bytes): the oldest are evicted first, whether the entry ring or the byte ring
 * fills. Allocated once at create. */
#define SENTLOG_AVG 512

typedef struct entry {
    uint64_t seq;
    size_t off, len;
    double sent;      /* sent_unix_s as sealed */
    uint32_t to_mask; /* bit i: released to peer[i] */
} entry_t;

/* A recipient's acknowledgements: acked its highest acked seq, unacked_t the sent time of
 * the oldest envelope released to it above that (0: none). */
typedef struct peer {
    char nation[MWX_ID_LEN];
    uint64_t acked;
    double unacked_t;
} peer_t;

struct mwx_sentlog {
    size_t slots, head, count;
    entry_t *e;
    uint8_t *arena;
    size_t arena_len, wpos;
    int have_key; /* re-sign MAC'd envelopes in answers */
    mwx_keypair_t key;
    peer_t peer[MWX_MAX_NATIONS];
    int npeer;
};

static int peer_find(const mwx_sentlog_t *l, const char *nation)
{
    for (int i = 0; i < l->npeer; i++)
        if (strcmp(l->peer[i].nation, nation) == 0)
            return i;
    return -1;
}

/* the recipient's index, added when new (-1: more than MWX_MAX_NATIONS) */
static int peer_get(mwx_sentlog_t *l, const char *nation)
{
    int i = peer_find(l, nation);
    if (i >= 0 || l->npeer >= MWX_MAX_NATIONS)
        return i;
    i = l->npeer++;
    memset(&l->peer[i], 0, sizeof l->peer[i]);
    mwx_strlcpy(l->peer[i].nation, nation, sizeof l->peer[i].nation);
    return i;
}

void mwx_sentlog_set_key(mwx_sentlog_t *l, const mwx_keypair_t *kp)
{
    l->key = *kp;
    l->have_key = 1;
}

/* Write one byte in each page (volatile: a memset of a fresh malloc may be turned into a
 * calloc, which touches nothing). */
static void touch_pages(void *p, size_t n)
{
    volatile uint8_t *b = p;
    for (size_t i = 0; i < n; i += 4096)
        b[i] = 0;
    if (n)
        b[n - 1] = 0;
}

int mwx_sentlog_create(size_t slots, mwx_sentlog_t **out, mwx_err_t *err)
{
    *out = NULL;
    if (slots == 0 || slots > 1u << 20)
        return mwx_err_set(err, MWX_EINVAL, "sent log: %zu slots", slots);
    mwx_sentlog_t *l = calloc(1, sizeof *l);
    if (l) {
        l->arena_len = slots * SENTLOG_AVG;
        if (l->arena_len < 2 * MWX_ENVELOPE_MAX)
            l->arena_len = 2 * MWX_ENVELOPE_MAX;
        l->e = calloc(slots, sizeof *l->e);
        l->arena = malloc(l->arena_len);
    }
    if (!l || !l->e || !l->arena) {
        if (l) {
            free(l->e);
            free(l->arena);
            free(l);
        }
        return mwx_err_set(err, MWX_ENOMEM, "sent log: out of memory");
    }
    l->slots = slots;
    /* every page touched now, not on the send path: the arena (4 MB at 8192 slots) is
     * written front to back, and each page first written there was a page fault between
     * seal and publish (1 in ~12 envelopes until the ring had wrapped once) */
    touch_pages(l->arena, l->arena_len);
    touch_pages(l->e, slots * sizeof *l->e);
    *out = l;
    return MWX_OK;
}

void mwx_sentlog_destroy(mwx_sentlog_t *l)
{
    if (l) {
        sodium_memzero(&l->key, sizeof l->key);
        free(l->e);
        free(l->arena);
        free(l);
    }
}

int mwx_sentlog_add(mwx_sentlog_t *l, const uint8_t *env, size_t len)
{
    mwx_envelope_t e;
    if (len > MWX_ENVELOPE_MAX || mwx_envelope_peek(env, len, &e, NULL) < 0 || e.seq == 0)
        return MWX_EINVAL;
    if (l->wpos + len > l->arena_len)
        l->wpos = 0;
    /* evict the oldest while the entry ring is full or they sit where this one goes */
    while (l->count > 0) {
        const entry_t *h = &l->e[l->head];
        int overlap = h->off < l->wpos + len && l->wpos < h->off + h->len;
        if (l->count < l->slots && !overlap)
            break;
        l->head = (l->head + 1) % l->slots;
        l->count--;
    }
    /* the ring has a free slot and the arena room for the bytes (arena_len >= 2 envelopes) */
    assert(l->count < l->slots && l->wpos + len <= l->arena_len);
    entry_t *n = &l->e[(l->head + l->count) % l->slots];
    n->seq = e.seq;
    n->off = l->wpos;
    n->len = len;
    n->sent = e.sent_unix_s;
    n->to_mask = 0;
    for (int i = 0; i < e.n_to; i++) {
        int p = peer_get(l, e.to[i]);
        if (p < 0)
            continue;
        n->to_mask |= 1u << p;
        if (e.seq > l->peer[p].acked && l->peer[p].unacked_t == 0)
            l->peer[p].unacked_t = e.sent_unix_s > 0 ? e.sent_unix_s : 1e-9;
    }
    memcpy(l->arena + l->wpos, env, len);
    l->wpos += len;
    l->count++;
    return MWX_OK;
}

void mwx_sentlog_ack(mwx_sentlog_t *l, const char *recipient, uint64_t seq)
{
    int p = peer_get(l, recipient);
    peer_t *pe;
    if (p < 0 || seq <= l->peer[p].acked)
        return;
    pe = &l->peer[p];
    pe->acked = seq;
    /* what lay between the ack and the log's oldest was evicted unread: the time it
     * left stands while the ack has not passed the log's oldest */
    if (l->count > 0 && l->e[l->head].seq > seq + 1 && pe->unacked_t != 0)
        return;
    pe->unacked_t = 0;
    for (size_t k = 0; k < l->count; k++) {
        const entry_t *en = &l->e[(l->head + k) % l->slots];
        if (en->seq > seq && (en->to_mask >> p & 1u)) {
            pe->unacked_t = en->sent > 0 ? en->sent : 1e-9;
            break;
        }
    }
}

double mwx_sentlog_unacked(const mwx_sentlog_t *l, const char *recipient)
{
    int p = peer_find(l, recipient);
    return p < 0 ? 0 : l->peer[p].unacked_t;
}

uint64_t mwx_sentlog_acked(const mwx_sentlog_t *l, const char *recipient)
{
    int p = peer_find(l, recipient);
    return p < 0 ? 0 : l->peer[p].acked;
}

int mwx_sentlog_answer(const mwx_sentlog_t *l, const mwx_envelope_t *request, uint8_t *buf,
                       size_t cap, size_t *len, mwx_err_t *err)
{
    uint64_t from, to;
    mwx_gap_reply_t g;
    int rc = mwx_gap_request_decode(request, &from, &to, err);
    if (rc < 0)
        return rc;
    mwx_gap_reply_init(&g, buf, cap);
    /* Oldest first, so the requester's window fills in order. */
    for (size_t k = 0; k < l->count; k++) {
        const entry_t *s = &l->e[(l->head + k) % l->slots];
        const uint8_t *bytes = l->arena + s->off;
        mwx_envelope_t e;
        int ok = 0;
        if (s->seq < from || s->seq > to)
            continue;
        if (mwx_envelope_peek(bytes, s->len, &e, NULL) < 0)
            continue;
        for (int i = 0; i < e.n_to; i++)
            if (strcmp(e.to[i], request->origin) == 0)
                ok = 1;
        if (!ok)
            continue; /* never answer with what is not releasable to the requester */
        if (e.session && l->have_key) {
            /* MAC'd under a session the requester may have lost: the same body, signed */
            uint8_t signed_env[MWX_ENVELOPE_MAX];
            size_t n;
            mwx_envelope_split_t sp;
            if (mwxi_envelope_split2(bytes, s->len, &sp, &e, NULL) == MWX_OK && sp.macs &&
                mwxi_envelope_resign(bytes, s->len, l->key.sk, signed_env, sizeof signed_env, &n) ==
                    MWX_OK) {
                if (mwx_gap_reply_add(&g, signed_env, n) < 0)
                    break;
                continue;
            }
        }
        if (mwx_gap_reply_add(&g, bytes, s->len) < 0)
            break;
    }
    *len = g.len;
    return MWX_OK;
}
