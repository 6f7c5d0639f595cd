/* Stateful libFuzzer target: the session receiver (issue 14) fed a sequence of envelopes.
 * Two real senders, JP (-> KR, US) and KR (-> JP, US), run sessions (MAC'd envelopes,
 * signed session/checkpoint messages); the receiver is US, holding its own key. Each
 * input is a little program, every op reading a few bytes: a sender seals data or a
 * checkpoint (delivered or held back), rotates its session; any envelope sealed so far is
 * delivered again (replay, reorder, an old session's after a rotation), or delivered with
 * bytes flipped; KR, a compromised partner, forges JP envelopes with what it knows (JP's
 * MAC key towards KR, JP's session messages) under any label, seq and session; raw bytes;
 * time passes; JP's key is revoked; any envelope, maybe tampered, offered to
 * mwx_receiver_learn_session (a restart learning a session below its replay window).
 * Checked after every delivery: an accepted envelope's body is exactly one its origin
 * sealed with that (origin, seq) (so no forgery, tamper or relabel is accepted), no
 * (origin, seq) is accepted twice, nothing from JP after its revocation. Randomness
 * (X25519 session keys) comes from a generator reseeded per input, so a crash replays. */
#include "fuzz_input.h"
#include "mwx/share.h"
#include "share/share_fixture.h"
#include "share/share_int.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0            1795000000.0
#define NS            2    /* senders: JP, KR */
#define HIST          32   /* envelopes kept for replays and tampering */
#define SEALED        1024 /* seqs a sender may seal in one input (256 steps, 2 each at most) */
#define MAX_ROTATIONS 3
static const char *const NATION[3] = {"JP", "KR", "US"};
static const uint64_t FIRST[NS] = {1000, 50000};
static mwx_keypair_t key[3];
static mwx_policy_t pol;
static int ready;

/* ---------------------------------------------------------------- deterministic random */

static uint64_t rnd_state;

static uint32_t rnd_u32(void)
{
    uint64_t z = (rnd_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (uint32_t)(z ^ (z >> 31));
}

static void rnd_buf(void *const buf, const size_t size)
{
    uint8_t *b = buf;
    for (size_t i = 0; i < size; i++)
        b[i] = (uint8_t)rnd_u32();
}

static const char *rnd_name(void)
{
    return "fuzz_session";
}

static randombytes_implementation rnd_impl = {rnd_name, rnd_u32, NULL, NULL, rnd_buf, NULL};

/* ---------------------------------------------------------------- setup */

static void setup(void)
{
    if (randombytes_set_implementation(&rnd_impl) != 0 || sodium_init() < 0)
        abort();
    for (int i = 0; i < 3; i++)
        share_fx_key_seeded(&key[i], NATION[i], (uint8_t)(21 + i));
    share_fx_policy(&pol, 3, NATION);
    pol.to[0] = 1u << 1 | 1u << 2; /* JP -> KR, US */
    pol.to[1] = 1u << 0 | 1u << 2; /* KR -> JP, US */
    ready = 1;
}

/* What a sender sealed (body digest per seq) and what US accepted. */
typedef struct track {
    uint8_t sealed[SEALED];
    uint8_t digest[SEALED][MWX_DIGEST_BYTES];
    uint8_t accepted[SEALED];
} track_t;

typedef struct state {
    mwx_sender_t tx[NS];
    track_t tr[NS];
    mwx_receiver_t *rx;
    int revoked;
    int rotations; /* at most MAX_ROTATIONS an input: each costs X25519s, not coverage */
    double now;
    struct {
        uint8_t b[MWX_ENVELOPE_MAX];
        size_t n;
    } hist[HIST];
    int n_hist;
} state_t;

static void keep(state_t *s, int who, const uint8_t *buf, size_t len)
{
    mwx_envelope_split_t sp;
    mwx_envelope_t e;
    if (mwxi_envelope_split2(buf, len, &sp, &e, NULL) != MWX_OK)
        abort(); /* our own sealing produced something unreadable */
    uint64_t j = e.seq - FIRST[who];
    if (j >= SEALED)
        abort();
    if (s->tr[who].sealed[j])
        abort(); /* a seq sealed twice */
    s->tr[who].sealed[j] = 1;
    mwxi_envelope_digest(sp.body, sp.body_len, s->tr[who].digest[j]);
    int h = s->n_hist % HIST;
    memcpy(s->hist[h].b, buf, len);
    s->hist[h].n = len;
    s->n_hist++;
}

/* One envelope to US, and the invariants after it. */
static void deliver(state_t *s, const uint8_t *buf, size_t len)
{
    mwx_envelope_t e;
    mwx_envelope_split_t sp;
    mwx_drop_t why;
    uint8_t d[MWX_DIGEST_BYTES];
    if (mwx_receiver_accept_on(s->rx, MWX_PATH_DATA, buf, len, s->now, &e, &why) != MWX_OK)
        return;
    int who = strcmp(e.origin, "JP") == 0 ? 0 : strcmp(e.origin, "KR") == 0 ? 1 : -1;
    if (who < 0 || (who == 0 && s->revoked))
        abort(); /* an untrusted or revoked origin accepted */
    uint64_t j = e.seq - FIRST[who];
    if (j >= SEALED || !s->tr[who].sealed[j])
        abort(); /* a seq its origin never sealed */
    if (mwxi_envelope_split2(buf, len, &sp, &e, NULL) != MWX_OK)
        abort();
    mwxi_envelope_digest(sp.body, sp.body_len, d);
    if (memcmp(d, s->tr[who].digest[j], sizeof d) != 0)
        abort(); /* a body its origin did not seal under that seq: forged or tampered */
    if (s->tr[who].accepted[j]++)
        abort(); /* accepted twice */
}

/* Seal the due session message (or a forced checkpoint) of sender who. */
static void seal_session(state_t *s, int who, int send)
{
    uint8_t buf[MWX_ENVELOPE_MAX];
    size_t len;
    mwx_envelope_t e;
    if (mwx_sender_seal_session(&s->tx[who], s->now, buf, sizeof buf, &len, &e, NULL) != MWX_OK)
        return;
    keep(s, who, buf, len);
    if (send)
        deliver(s, buf, len);
}

/* KR forges an envelope from JP: a body of its choosing, KR's own slot MAC'd with the
 * JP -> KR key it legitimately holds, US's slot with a key of its making or a tag copied
 * from a real envelope. */
static void forge(state_t *s, rd_t *r)
{
    mwx_sender_t *jp = &s->tx[0];
    mwx_envelope_t e;
    uint8_t keys[MWX_MAX_NATIONS][32], buf[MWX_ENVELOPE_MAX], payload[16];
    size_t len;
    unsigned m = (unsigned)take(r, 1);
    memset(&e, 0, sizeof e);
    e.version = MWX_WIRE_VERSION;
    strcpy(e.origin, "JP");
    uint64_t near = jp->next_seq + (uint64_t)(int64_t)(int8_t)take(r, 1);
    e.seq = m & 1 ? near : take(r, 8);
    if (e.seq == 0)
        e.seq = 1;
    e.sent_unix_s = s->now - (double)(m >> 1 & 3);
    e.type = (m >> 3 & 1) ? MWX_PAYLOAD_TRACK : MWX_PAYLOAD_ALERT;
    e.session = (m >> 4 & 1) ? jp->epoch : jp->epoch + take(r, 1);
    switch (m >> 5 & 3) { /* the label */
    case 0:
        strcpy(e.to[0], "KR");
        strcpy(e.to[1], "US");
        e.n_to = 2;
        break;
    case 1:
        strcpy(e.to[0], "US");
        strcpy(e.to[1], "KR");
        e.n_to = 2;
        break;
    case 2:
        strcpy(e.to[0], "US");
        e.n_to = 1;
        break;
    default:
        strcpy(e.to[0], "KR");
        e.n_to = 1;
        break;
    }
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)take(r, 1);
    e.payload = payload;
    e.payload_len = sizeof payload;
    int kr = -1; /* KR's place on JP's own label: the key KR holds */
    for (int i = 0; i < jp->n_to; i++)
        if (strcmp(jp->to[i], "KR") == 0)
            kr = i;
    for (int i = 0; i < e.n_to; i++) {
        if (strcmp(e.to[i], "KR") == 0 && kr >= 0 && jp->session_on)
            memcpy(keys[i], jp->mac_key[kr], 32);
        else
            for (int k = 0; k < 32; k++)
                keys[i][k] = (uint8_t)take(r, 1);
    }
    if (mwxi_envelope_seal_mac(&e, (const uint8_t(*)[32])keys, buf, sizeof buf, &len, NULL, NULL) !=
        MWX_OK)
        return;
    if ((m >> 7) && s->n_hist > 0) {
        /* US's tag copied from a real JP envelope of the same size (a splice) */
        int h = (int)(take(r, 1) % (unsigned)(s->n_hist < HIST ? s->n_hist : HIST));
        if (s->hist[h].n == len && len > 2 * MWX_MAC_BYTES)
            memcpy(buf + len - 2 * MWX_MAC_BYTES, s->hist[h].b + len - 2 * MWX_MAC_BYTES,
                   2 * MWX_MAC_BYTES);
    }
    deliver(s, buf, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static state_t s;
    rd_t r = {data, data + size};
    if (!ready)
        setup();
    rnd_state = 0x5eed;
    memset(&s, 0, sizeof s);
    s.now = T0;
    const mwx_keypair_t *const senders[NS] = {&key[0], &key[1]};
    if (mwx_receiver_create("US", 30.0, &s.rx, NULL) != 0 ||
        share_fx_trust(s.rx, senders, NS, NULL) != 0 ||
        mwx_receiver_set_key(s.rx, &key[2], NULL) != 0)
        abort();
    for (int w = 0; w < NS; w++) {
        mwx_trusted_key_t tk[2];
        int n = 0;
        for (int i = 0; i < 3; i++)
            if (i != w) {
                strcpy(tk[n].nation, NATION[i]);
                memcpy(tk[n].pk, key[i].pk, MWX_PUBKEY_BYTES);
                n++;
            }
        if (mwx_sender_init(&s.tx[w], &key[w], &pol, FIRST[w], NULL) != 0 ||
            mwx_sender_session_start(&s.tx[w], tk, n, s.now, NULL) != 0)
            abort();
    }
    for (int steps = 0; r.p < r.e && steps < 256; steps++) {
        unsigned op = (unsigned)take(&r, 1);
        int who = op >> 7 & 1;
        mwx_sender_t *tx = &s.tx[who];
        switch (op & 15) {
        case 0: /* data: sealed, delivered or held back (the node seals the due session
                 * message first; the fuzzer may not: MWX_EAGAIN) */
        case 1:
        case 2: {
            uint8_t buf[MWX_ENVELOPE_MAX], payload[8];
            size_t len;
            mwx_envelope_t e;
            unsigned m = (unsigned)take(&r, 1);
            if ((m & 1) && tx->session_on && (tx->announce || tx->n_pending >= MWX_CKPT_MAX))
                seal_session(&s, who, m >> 1 & 1);
            for (size_t i = 0; i < sizeof payload; i++)
                payload[i] = (uint8_t)take(&r, 1);
            int rc =
                mwx_sender_seal(tx, m >> 2 & 1 ? MWX_PAYLOAD_TRACK : MWX_PAYLOAD_HEARTBEAT, payload,
                                sizeof payload, s.now, buf, sizeof buf, &len, &e, NULL);
            if (rc == MWX_OK) {
                keep(&s, who, buf, len);
                if (!(m >> 3 & 1))
                    deliver(&s, buf, len);
            } else if (rc != MWX_EAGAIN) {
                abort();
            }
            break;
        }
        case 3: /* a checkpoint when due (or not: nothing happens) */
            seal_session(&s, who, !(take(&r, 1) & 1));
            break;
        case 4: { /* rotation: a new session (the old one's envelopes still in flight) */
            mwx_trusted_key_t tk[2];
            int n = 0;
            if (s.rotations++ >= MAX_ROTATIONS)
                break;
            for (int i = 0; i < 3; i++)
                if (i != who) {
                    strcpy(tk[n].nation, NATION[i]);
                    memcpy(tk[n].pk, key[i].pk, MWX_PUBKEY_BYTES);
                    n++;
                }
            if (mwx_sender_session_start(tx, tk, n, s.now, NULL) != MWX_OK)
                abort();
            break;
        }
        case 5: /* replay / reorder: any envelope sealed so far, again */
        case 6:
            if (s.n_hist > 0) {
                int h = (int)(take(&r, 1) % (unsigned)(s.n_hist < HIST ? s.n_hist : HIST));
                deliver(&s, s.hist[h].b, s.hist[h].n);
            }
            break;
        case 7: /* tamper: one sealed envelope with some bytes flipped */
            if (s.n_hist > 0) {
                uint8_t buf[MWX_ENVELOPE_MAX];
                int h = (int)(take(&r, 1) % (unsigned)(s.n_hist < HIST ? s.n_hist : HIST));
                size_t n = s.hist[h].n;
                memcpy(buf, s.hist[h].b, n);
                for (int k = (int)take(&r, 1) % 3 + 1; k > 0; k--) {
                    size_t at = (size_t)take(&r, 2) % n;
                    uint8_t x = (uint8_t)take(&r, 1);
                    buf[at] ^= x ? x : 1;
                }
                deliver(&s, buf, n);
            }
            break;
        case 8: /* KR's forgery of a JP envelope */
        case 9: forge(&s, &r); break;
        case 10: { /* raw bytes as an envelope */
            uint8_t buf[256];
            size_t n = (size_t)take(&r, 1);
            for (size_t i = 0; i < n; i++)
                buf[i] = (uint8_t)take(&r, 1);
            deliver(&s, buf, n);
            break;
        }
        case 11: /* time passes (a checkpoint falls due; past the stale limit) */
            s.now += take(&r, 1) * 0.25;
            break;
        case 12: /* JP's key revoked: nothing from JP from now on */
            if (!s.revoked) {
                if (mwx_receiver_revoke(s.rx, "JP") != MWX_OK)
                    abort();
                s.revoked = 1;
            }
            break;
        case 13: /* a restart learning a session below its window, from any envelope sealed
                  * so far, maybe with a byte flipped: only a genuine session message of a
                  * newer session may change anything (the deliveries' checks stay) */
            if (s.n_hist > 0) {
                uint8_t buf[MWX_ENVELOPE_MAX];
                int h = (int)(take(&r, 1) % (unsigned)(s.n_hist < HIST ? s.n_hist : HIST));
                size_t n = s.hist[h].n;
                memcpy(buf, s.hist[h].b, n);
                uint8_t x = (uint8_t)take(&r, 1);
                if (x)
                    buf[(size_t)take(&r, 2) % n] ^= x;
                (void)mwx_receiver_learn_session(s.rx, buf, n);
            }
            break;
        default: /* the node's loop: a checkpoint when due by time or count */
            if (mwx_sender_session_due(tx, s.now))
                seal_session(&s, who, 1);
            break;
        }
    }
    mwx_receiver_destroy(s.rx);
    return 0;
}
