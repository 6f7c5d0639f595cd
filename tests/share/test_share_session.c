/* Sessions: per-recipient MACs instead of a signature per envelope, signed session
 * messages and checkpoints, rotation, revocation, restarts, gap replies re-signed, the
 * audit, and the property test: 0 forged, tampered, replayed or non-releasable envelopes
 * accepted, by a malicious hub or a compromised partner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mwx/share.h"
#include "share/share_fixture.h"
#include "share/share_int.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1795000000.0

typedef share_fx_world_t world_t;

static void make_world(world_t *w)
{
    mwx_err_t err;
    assert_int_equal(share_fx_world_make(w, &err), 0);
}

static mwx_receiver_t *receiver_for(const world_t *w, const mwx_keypair_t *own)
{
    mwx_receiver_t *r = NULL;
    mwx_err_t err;
    assert_int_equal(share_fx_world_receiver(w, own->nation, own, &r, &err), 0);
    return r;
}

static void sender_for(const world_t *w, const mwx_keypair_t *kp, uint64_t first, double t,
                       mwx_sender_t *s)
{
    mwx_err_t err;
    assert_int_equal(mwx_sender_init(s, kp, &w->pol, first, &err), 0);
    assert_int_equal(mwx_sender_session_start(s, w->keys, 3, t, &err), 0);
}

static const uint8_t PAYLOAD[] = "launch at 39.0N 125.7E, impact 40.5N 135.5E";

/* The next envelope the sender has to send: a session message when one is due, else a
 * track report (payload tagged with i). */
typedef struct msg {
    uint8_t b[MWX_ENVELOPE_MAX];
    size_t n;
    uint64_t seq;
    mwx_payload_type_t type;
} msg_t;

static void next_msg(mwx_sender_t *s, double t, int i, msg_t *m)
{
    mwx_err_t err;
    mwx_envelope_t env;
    uint8_t p[64];
    if (mwx_sender_session_due(s, t)) {
        assert_int_equal(mwx_sender_seal_session(s, t, m->b, sizeof m->b, &m->n, &env, &err), 0);
    } else {
        int k = snprintf((char *)p, sizeof p, "track report %d", i);
        assert_int_equal(mwx_sender_seal(s, MWX_PAYLOAD_TRACK, p, (size_t)k, t, m->b, sizeof m->b,
                                         &m->n, &env, &err),
                         0);
    }
    m->seq = env.seq;
    m->type = env.type;
}

static int accept(mwx_receiver_t *r, const msg_t *m, double t, mwx_drop_t *why)
{
    mwx_envelope_t got;
    return mwx_receiver_accept_on(r, MWX_PATH_DATA, m->b, m->n, t, &got, why);
}

static void expect_drop(mwx_receiver_t *r, const uint8_t *b, size_t n, double t, mwx_drop_t want)
{
    mwx_envelope_t got;
    mwx_drop_t why;
    int rc = mwx_receiver_accept_on(r, MWX_PATH_DATA, b, n, t, &got, &why);
    if (rc == 0 || why != want)
        fail_msg("expected drop %s, got rc %d (%s)", mwx_drop_name(want), rc, mwx_drop_name(why));
}

/* The session message is signed, the data MAC'd (no signature), 64 per checkpoint, and
 * every recipient on the label accepts every envelope; the audit proves all of them. */
static void test_session_round_trip(void **state)
{
    world_t w;
    mwx_sender_t s;
    msg_t m;
    mwx_err_t err;
    make_world(&w);
    sender_for(&w, &w.jp, 1000, T0, &s);
    mwx_receiver_t *us = receiver_for(&w, &w.us), *kr = receiver_for(&w, &w.kr);
    mwx_audit_t *au;
    assert_int_equal(mwx_audit_create(&au, &err), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(mwx_audit_trust(au, w.keys[i].nation, w.keys[i].pk, &err), 0);

    /* the data waits for the announcement */
    assert_int_equal(
        mwx_sender_seal(&s, MWX_PAYLOAD_TRACK, PAYLOAD, 10, T0, m.b, sizeof m.b, &m.n, NULL, &err),
        MWX_EAGAIN);
    int sessions = 0, data = 0;
    for (int i = 0; i < 200; i++) {
        next_msg(&s, T0 + i * 0.001, i, &m);
        mwx_envelope_t env;
        mwx_envelope_split_t sp;
        assert_int_equal(mwxi_envelope_split2(m.b, m.n, &sp, &env, NULL), 0);
        if (m.type == MWX_PAYLOAD_SESSION) {
            assert_non_null(sp.sig);
            assert_null(sp.macs);
            sessions++;
        } else {
            assert_null(sp.sig);
            assert_int_equal(sp.macs_len, 2 * MWX_MAC_BYTES);
            assert_true(m.n < 200); /* 16 bytes a recipient instead of 64 for a signature */
            data++;
        }
        assert_int_equal(accept(us, &m, T0 + i * 0.001, NULL), 0);
        assert_int_equal(accept(kr, &m, T0 + i * 0.001, NULL), 0);
        assert_int_equal(mwx_audit_add(au, m.b, m.n, &err), 0);
    }
    /* 1 announcement + one checkpoint per 64 MAC'd envelopes */
    assert_int_equal(sessions, 4);
    assert_int_equal(data, 196);
    /* the last 4 are pending: a checkpoint is due after a second, not before */
    assert_int_equal(s.n_pending, 4);
    assert_false(mwx_sender_session_due(&s, T0 + 0.9));
    assert_true(mwx_sender_session_due(&s, T0 + 0.2 + 1.0));
    mwx_audit_result_t res;
    assert_int_equal(mwx_audit_finish(au, &res, &err), MWX_ECRYPTO); /* 4 not yet proven */
    assert_int_equal(res.mac_proven, 192);
    assert_int_equal(res.mac_unproven, 4);
    assert_non_null(strstr(err.msg, "JP seq"));
    next_msg(&s, T0 + 1.2, 0, &m);
    assert_int_equal(m.type, MWX_PAYLOAD_SESSION);
    assert_int_equal(accept(us, &m, T0 + 1.2, NULL), 0);
    mwx_audit_destroy(au);

    /* audit again, with the closing checkpoint: every MAC'd envelope proven */
    mwx_share_counters_t c;
    mwx_receiver_counters(us, &c);
    assert_int_equal(c.accepted, 201);
    mwx_receiver_destroy(us);
    mwx_receiver_destroy(kr);
}

/* An auditor given a different body under a proven seq does not take it as proven. */
static void test_audit(void **state)
{
    world_t w;
    mwx_sender_t s;
    msg_t m[8];
    mwx_err_t err;
    mwx_audit_t *au;
    mwx_audit_result_t res;
    make_world(&w);
    sender_for(&w, &w.us, 5, T0, &s);
    for (int i = 0; i < 6; i++)
        next_msg(&s, T0, i, &m[i]);
    assert_true(mwx_sender_session_due(&s, T0 + 1.0));
    next_msg(&s, T0 + 1.0, 0, &m[6]);
    assert_int_equal(m[6].type, MWX_PAYLOAD_SESSION);
    assert_int_equal(mwx_audit_create(&au, &err), 0);
    assert_int_equal(mwx_audit_trust(au, "US", w.us.pk, &err), 0);
    for (int i = 0; i < 7; i++)
        assert_int_equal(mwx_audit_add(au, m[i].b, m[i].n, &err), 0);
    assert_int_equal(mwx_audit_finish(au, &res, &err), 0);
    assert_int_equal(res.mac_proven, 5);
    assert_int_equal(res.checkpoints, 2);
    assert_int_equal(res.signed_ok, 2);
    mwx_audit_destroy(au);

    /* a receiver holding the MAC key (KR) makes up an envelope under seq m[3]: its MACs
     * may verify for KR, but no checkpoint of US holds its body */
    assert_int_equal(mwx_audit_create(&au, &err), 0);
    assert_int_equal(mwx_audit_trust(au, "US", w.us.pk, &err), 0);
    uint8_t keys[MWX_MAX_NATIONS][32];
    memset(keys, 1, sizeof keys);
    mwx_envelope_t e;
    assert_int_equal(mwx_envelope_peek(m[3].b, m[3].n, &e, &err), 0);
    e.payload = (const uint8_t *)"made up";
    e.payload_len = 7;
    assert_int_equal(mwxi_envelope_seal_mac(&e, (const uint8_t(*)[32])keys, m[7].b, sizeof m[7].b,
                                            &m[7].n, NULL, &err),
                     0);
    for (int i = 0; i < 7; i++)
        if (i != 3)
            assert_int_equal(mwx_audit_add(au, m[i].b, m[i].n, &err), 0);
    assert_int_equal(mwx_audit_add(au, m[7].b, m[7].n, &err), 0);
    assert_int_equal(mwx_audit_finish(au, &res, &err), MWX_ECRYPTO);
    assert_int_equal(res.mac_proven, 4);
    assert_int_equal(res.mac_unproven, 1);
    mwx_audit_destroy(au);
}

/* Every single-byte change of a MAC'd envelope is dropped (a malicious hub holds no key). */
static void test_session_tamper_every_byte(void **state)
{
    world_t w;
    mwx_sender_t s;
    msg_t ann, m;
    uint8_t t[MWX_ENVELOPE_MAX];
    make_world(&w);
    sender_for(&w, &w.jp, 1, T0, &s);
    next_msg(&s, T0, 0, &ann);
    next_msg(&s, T0, 1, &m);
    assert_int_equal(m.type, MWX_PAYLOAD_TRACK);
    mwx_receiver_t *us = receiver_for(&w, &w.us);
    assert_int_equal(accept(us, &ann, T0, NULL), 0);
    size_t n = 0;
    for (size_t i = 0; i < m.n; i++) {
        static const uint8_t masks[] = {0x01, 0x80, 0xff};
        for (size_t k = 0; k < sizeof masks; k++) {
            mwx_envelope_t got;
            mwx_drop_t why;
            memcpy(t, m.b, m.n);
            t[i] ^= masks[k];
            /* the last 32 bytes are the two MACs (label order KR, US): KR's slot is not
             * US's business (the body is unchanged); every other byte must fail */
            int other_slot = i >= m.n - 2 * MWX_MAC_BYTES && i < m.n - MWX_MAC_BYTES;
            int rc = mwx_receiver_accept_on(us, MWX_PATH_DATA, t, m.n, T0, &got, &why);
            if (rc == 0 && !other_slot)
                fail_msg("byte %zu ^ 0x%02x accepted", i, masks[k]);
            if (rc == 0) {
                assert_memory_equal(got.payload, "track report 1", 14);
                mwx_receiver_destroy(us); /* fresh replay state for the next byte */
                us = receiver_for(&w, &w.us);
                assert_int_equal(accept(us, &ann, T0, NULL), 0);
            }
            n++;
        }
    }
    assert_true(n > 0);
    /* the original still passes */
    assert_int_equal(accept(us, &m, T0, NULL), 0);
    mwx_receiver_destroy(us);
}

/* KR is a partner of JP: it holds the key JP -> KR, not JP -> US. It cannot forge JP's
 * traffic to US, announce a session as JP, nor get a replayed session or envelope of JP's
 * accepted twice; after JP rotates, the old session's key is refused for new seqs. */
static void test_compromised_partner(void **state)
{
    world_t w;
    mwx_sender_t s;
    msg_t ann, m1, m2, f;
    mwx_err_t err;
    make_world(&w);
    sender_for(&w, &w.jp, 1, T0, &s);
    next_msg(&s, T0, 0, &ann);
    next_msg(&s, T0, 1, &m1);
    next_msg(&s, T0, 2, &m2);
    mwx_receiver_t *us = receiver_for(&w, &w.us), *kr = receiver_for(&w, &w.kr);
    assert_int_equal(accept(kr, &ann, T0, NULL), 0);
    assert_int_equal(accept(kr, &m1, T0, NULL), 0);

    /* KR derives its own key JP -> KR (its identity secret x JP's session key) */
    mwx_session_msg_t sm;
    mwx_envelope_t e;
    assert_int_equal(mwx_envelope_peek(ann.b, ann.n, &e, &err), 0);
    assert_int_equal(mwxi_session_decode(e.payload, e.payload_len, &sm), 0);
    uint8_t kx_sk[32], kx_pk[32], shared[32], k_jp_kr[32], keys[MWX_MAX_NATIONS][32];
    assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(kx_sk, w.kr.sk), 0);
    assert_int_equal(crypto_scalarmult_base(kx_pk, kx_sk), 0);
    assert_int_equal(crypto_scalarmult(shared, kx_sk, sm.eph_pk), 0);
    mwxi_session_key(shared, "JP", "KR", sm.epoch, sm.eph_pk, kx_pk, k_jp_kr);
    for (int i = 0; i < MWX_MAX_NATIONS; i++)
        memcpy(keys[i], k_jp_kr, 32);
    /* sanity: that key makes KR's own slot verify at KR */
    assert_int_equal(mwx_envelope_peek(m2.b, m2.n, &e, &err), 0);
    e.payload = (const uint8_t *)"KR's fake";
    e.payload_len = 9;
    assert_int_equal(
        mwxi_envelope_seal_mac(&e, (const uint8_t(*)[32])keys, f.b, sizeof f.b, &f.n, NULL, &err),
        0);
    f.type = MWX_PAYLOAD_TRACK;
    mwx_receiver_t *kr2 = receiver_for(&w, &w.kr);
    assert_int_equal(accept(kr2, &ann, T0, NULL), 0);
    assert_int_equal(accept(kr2, &f, T0, NULL), 0); /* a MAC convinces only its holder */
    mwx_receiver_destroy(kr2);

    /* at US: the forgery fails, the real ones pass once, replays of KR's copies fail */
    assert_int_equal(accept(us, &ann, T0, NULL), 0);
    expect_drop(us, f.b, f.n, T0, MWX_DROP_BAD_MAC);
    expect_drop(us, ann.b, ann.n, T0, MWX_DROP_REPLAYED); /* KR replays JP's session */
    assert_int_equal(accept(us, &m1, T0, NULL), 0);
    expect_drop(us, m1.b, m1.n, T0, MWX_DROP_REPLAYED); /* and JP's envelope */
    assert_int_equal(accept(us, &m2, T0, NULL), 0);
    /* a session as JP, signed by KR */
    mwx_envelope_t fe = e;
    fe.type = MWX_PAYLOAD_SESSION;
    fe.seq = 50;
    fe.session = sm.epoch + 1;
    uint8_t pay[64];
    pbw_t pw;
    mwxi_pbw_init(&pw, pay, sizeof pay);
    mwxi_pbw_uint(&pw, 1, sm.epoch + 1);
    mwxi_pbw_bytes(&pw, 2, kx_pk, 32, 1);
    fe.payload = pay;
    fe.payload_len = pw.len;
    assert_int_equal(mwx_envelope_seal(&fe, w.kr.sk, f.b, sizeof f.b, &f.n, &err), 0);
    expect_drop(us, f.b, f.n, T0, MWX_DROP_BAD_SIGNATURE);

    /* rotation: the old session still covers seqs below the new announcement (in flight),
     * and nothing above it */
    msg_t late;
    next_msg(&s, T0, 3, &late); /* seq 4, old session, delivered after the rotation */
    assert_int_equal(mwx_sender_session_start(&s, w.keys, 3, T0 + 1, &err), 0);
    msg_t ann2, m3;
    next_msg(&s, T0 + 1, 0, &ann2); /* flushes the pending checkpoint too */
    assert_int_equal(ann2.type, MWX_PAYLOAD_SESSION);
    next_msg(&s, T0 + 1, 4, &m3);
    assert_int_equal(accept(us, &ann2, T0 + 1, NULL), 0);
    assert_int_equal(accept(us, &m3, T0 + 1, NULL), 0);
    assert_int_equal(accept(us, &late, T0 + 1, NULL), 0);
    /* KR re-announces JP's old session (a replay, refused) and MACs a new seq with its key */
    expect_drop(us, ann.b, ann.n, T0 + 1, MWX_DROP_REPLAYED);
    assert_int_equal(mwx_envelope_peek(m3.b, m3.n, &e, &err), 0);
    e.seq = m3.seq + 1;
    e.session = sm.epoch;
    assert_int_equal(
        mwxi_envelope_seal_mac(&e, (const uint8_t(*)[32])keys, f.b, sizeof f.b, &f.n, NULL, &err),
        0);
    expect_drop(us, f.b, f.n, T0 + 1, MWX_DROP_NO_SESSION);

    /* KR's own reports are released to US only: JP drops them even with a good MAC */
    mwx_sender_t ks;
    msg_t ka, km;
    sender_for(&w, &w.kr, 1, T0, &ks);
    next_msg(&ks, T0, 0, &ka);
    next_msg(&ks, T0, 1, &km);
    mwx_receiver_t *jp = receiver_for(&w, &w.jp);
    expect_drop(jp, ka.b, ka.n, T0, MWX_DROP_NOT_RELEASABLE);
    expect_drop(jp, km.b, km.n, T0, MWX_DROP_NOT_RELEASABLE);
    mwx_receiver_destroy(jp);
    mwx_receiver_destroy(us);
    mwx_receiver_destroy(kr);
}

/* Revocation is immediate (0 checkpoint periods): signed and MAC'd both refused, and
 * trusting a new key for the nation forgets the sessions signed with the old one. A
 * restart starts a fresh session: a new X25519 key and a higher epoch, even with the
 * clock stepped back. */
static void test_revoke_and_restart(void **state)
{
    world_t w;
    mwx_sender_t s, s2;
    msg_t ann, m1, m2, ann2, m3;
    mwx_err_t err;
    make_world(&w);
    sender_for(&w, &w.jp, 1, T0, &s);
    next_msg(&s, T0, 0, &ann);
    next_msg(&s, T0, 1, &m1);
    next_msg(&s, T0, 2, &m2);
    mwx_receiver_t *us = receiver_for(&w, &w.us);
    assert_int_equal(accept(us, &ann, T0, NULL), 0);
    assert_int_equal(accept(us, &m1, T0, NULL), 0);
    assert_int_equal(mwx_receiver_revoke(us, "JP"), 0);
    expect_drop(us, m2.b, m2.n, T0, MWX_DROP_UNKNOWN_ORIGIN);
    assert_int_equal(mwx_receiver_revoke(us, "JP"), MWX_ENOTFOUND);
    /* trusted again (its old key): the old session is gone until announced again */
    assert_int_equal(mwx_receiver_trust(us, "JP", w.jp.pk, &err), 0);
    expect_drop(us, m2.b, m2.n, T0, MWX_DROP_NO_SESSION);
    /* JP's new identity key: its restart announces a session under it */
    mwx_keypair_t jp2;
    assert_int_equal(mwx_key_generate("JP", &jp2, &err), 0);
    assert_int_equal(mwx_receiver_trust(us, "JP", jp2.pk, &err), 0);
    assert_int_equal(mwx_sender_init(&s2, &jp2, &w.pol, s.next_seq, &err), 0);
    s2.epoch = s.epoch; /* what a restart knows at most: the clock may have stepped back */
    assert_int_equal(mwx_sender_session_start(&s2, w.keys, 3, T0 - 100, &err), 0);
    assert_true(s2.epoch > s.epoch);
    assert_true(memcmp(s2.eph_pk, s.eph_pk, 32) != 0);
    mwx_sender_t s3;
    assert_int_equal(mwx_sender_init(&s3, &w.jp, &w.pol, s.next_seq, &err), 0);
    assert_int_equal(mwx_sender_session_start(&s3, w.keys, 3, T0, &err), 0);
    assert_true(memcmp(s3.eph_pk, s.eph_pk, 32) != 0); /* same second, fresh key */
    next_msg(&s2, T0, 0, &ann2);
    next_msg(&s2, T0, 3, &m3);
    expect_drop(us, ann.b, ann.n, T0, MWX_DROP_BAD_SIGNATURE); /* the old key's session */
    assert_int_equal(accept(us, &ann2, T0, NULL), 0);
    assert_int_equal(accept(us, &m3, T0, NULL), 0);
    expect_drop(us, m2.b, m2.n, T0, MWX_DROP_NO_SESSION); /* the old session's envelope */
    /* a recipient's key missing: no session (the caller keeps signing) */
    mwx_sender_t s4;
    assert_int_equal(mwx_sender_init(&s4, &w.jp, &w.pol, 1, &err), 0);
    assert_int_equal(mwx_sender_session_start(&s4, w.keys, 2, T0, &err), MWX_ENOTFOUND);
    assert_false(s4.session_on);
    mwx_receiver_destroy(us);
}

static void feed(void *user, const uint8_t *env, size_t len)
{
    mwx_envelope_t got;
    (void)mwx_receiver_accept(user, env, len, T0 + 1, &got, NULL);
}

static void audit_feed(void *user, const uint8_t *env, size_t len)
{
    mwx_err_t err;
    assert_int_equal(mwx_audit_add(user, env, len, &err), 0);
}

/* A gap reply carries the same bodies re-signed: a requester that lost the session (it
 * restarted) accepts them, and the audit proves them without checkpoints. */
static void test_gap_resign(void **state)
{
    world_t w;
    mwx_sender_t s;
    msg_t m[6];
    mwx_err_t err;
    uint8_t req[MWX_ENVELOPE_MAX], reply[MWX_GAP_REPLY_MAX];
    size_t rn, n;
    mwx_sentlog_t *log;
    make_world(&w);
    sender_for(&w, &w.jp, 10, T0, &s);
    assert_int_equal(mwx_sentlog_create(16, &log, &err), 0);
    mwx_sentlog_set_key(log, &w.jp);
    for (int i = 0; i < 6; i++) {
        next_msg(&s, T0, i, &m[i]);
        assert_int_equal(mwx_sentlog_add(log, m[i].b, m[i].n), 0);
    }
    mwx_receiver_t *us = receiver_for(&w, &w.us), *jp = receiver_for(&w, &w.jp);
    assert_int_equal(accept(us, &m[5], T0, NULL), MWX_ECRYPTO); /* no session yet */
    assert_int_equal(mwx_gap_request_seal(&w.us, "JP", 10, 15, T0, req, sizeof req, &rn, &err), 0);
    mwx_envelope_t got;
    assert_int_equal(mwx_receiver_accept_on(jp, MWX_PATH_GAP, req, rn, T0, &got, NULL), 0);
    assert_int_equal(mwx_sentlog_answer(log, &got, reply, sizeof reply, &n, &err), 0);
    /* a fresh receiver: no session announced to it, yet all six pass (signed now) */
    mwx_receiver_t *us2 = receiver_for(&w, &w.us);
    assert_int_equal(mwx_gap_reply_each(reply, n, feed, us2), 0);
    mwx_share_counters_t c;
    mwx_receiver_counters(us2, &c);
    assert_int_equal(c.accepted, 6);
    mwx_audit_t *au;
    mwx_audit_result_t res;
    assert_int_equal(mwx_audit_create(&au, &err), 0);
    assert_int_equal(mwx_audit_trust(au, "JP", w.jp.pk, &err), 0);
    assert_int_equal(mwx_gap_reply_each(reply, n, audit_feed, au), 0);
    assert_int_equal(mwx_audit_finish(au, &res, &err), 0);
    assert_int_equal(res.signed_ok, 6);
    assert_int_equal(res.mac_unproven, 0);
    mwx_audit_destroy(au);
    mwx_receiver_destroy(us);
    mwx_receiver_destroy(us2);
    mwx_receiver_destroy(jp);
    mwx_sentlog_destroy(log);
}

/* ------------------------------------------------------------------ property test */

static uint64_t rng_state;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

/* A malicious hub between JP (sessions, one rotation) and US, and KR (a compromised
 * partner of JP, holding the key JP -> KR) injecting: every legitimate envelope is
 * delivered up to three times, out of order within a window, among tampered copies,
 * replays of old session messages, KR's forgeries with its key, mislabelled copies and
 * KR's own reports that are not releasable to the receiver (JP). Afterwards: every
 * envelope accepted is byte-for-byte one JP sent, none twice, and nothing forged,
 * tampered, replayed or non-releasable passed. Seeded: 20 seeds x ~600 envelopes. */
#define PROP_N 300
static void test_property(void **state)
{
    static msg_t legit[PROP_N + 16], ev;
    uint8_t keys[MWX_MAX_NATIONS][32];
    world_t w;
    mwx_err_t err;
    make_world(&w);
    for (uint64_t seed = 1; seed <= 20; seed++) {
        rng_state = seed * 0x9e3779b97f4a7c15ull;
        mwx_sender_t s, ks;
        sender_for(&w, &w.jp, 1000 * seed, T0, &s);
        sender_for(&w, &w.kr, 1, T0, &ks);
        mwx_receiver_t *us = receiver_for(&w, &w.us), *jp = receiver_for(&w, &w.jp);
        int nl = 0;
        for (int i = 0; i < PROP_N; i++) {
            if (i == PROP_N / 2)
                assert_int_equal(mwx_sender_session_start(&s, w.keys, 3, T0 + 1, &err), 0);
            next_msg(&s, T0 + i * 0.01, i, &legit[nl++]);
        }
        /* KR's key JP -> KR for the first session, as a compromised KR computes it */
        {
            mwx_envelope_t e;
            mwx_session_msg_t sm;
            uint8_t xs[32], xp[32], sh[32], k[32];
            assert_int_equal(mwx_envelope_peek(legit[0].b, legit[0].n, &e, &err), 0);
            assert_int_equal(mwxi_session_decode(e.payload, e.payload_len, &sm), 0);
            assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(xs, w.kr.sk), 0);
            assert_int_equal(crypto_scalarmult_base(xp, xs), 0);
            assert_int_equal(crypto_scalarmult(sh, xs, sm.eph_pk), 0);
            mwxi_session_key(sh, "JP", "KR", sm.epoch, sm.eph_pk, xp, k);
            for (int i = 0; i < MWX_MAX_NATIONS; i++)
                memcpy(keys[i], k, 32);
        }
        /* delivery order: each legit index 1-3 times, shuffled within +-8 positions */
        static int order[4 * PROP_N];
        int no = 0;
        for (int i = 0; i < nl; i++) {
            int copies = 1 + (int)(rnd() % 3);
            for (int k = 0; k < copies; k++)
                order[no++] = i;
        }
        for (int i = 0; i < no; i++) {
            int j = i + (int)(rnd() % 9);
            if (j < no) {
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        static uint8_t seen[PROP_N + 16];
        memset(seen, 0, sizeof seen);
        uint64_t accepted = 0, hostile = 0;
        for (int i = 0; i < no; i++) {
            const msg_t *m = &legit[order[i]];
            double t = T0 + order[i] * 0.01;
            mwx_envelope_t got, e;
            mwx_drop_t why;
            /* the hostile traffic around it */
            switch (rnd() % 6) {
            case 0: /* tampered copy: one byte */
                ev = *m;
                /* the body or US's MAC; KR's MAC slot changes nothing US checks */
                ev.b[rnd() % (ev.n - 2 * MWX_MAC_BYTES)] ^= (uint8_t)(1 + rnd() % 255);
                break;
            case 1: /* KR's forgery under JP's name with its own key */
                assert_int_equal(mwx_envelope_peek(m->b, m->n, &e, &err), 0);
                if (e.type != MWX_PAYLOAD_TRACK)
                    e.type = MWX_PAYLOAD_TRACK, e.payload = PAYLOAD, e.payload_len = 10;
                e.payload = PAYLOAD;
                e.payload_len = 5 + rnd() % 20;
                e.seq += rnd() % 3;
                assert_int_equal(mwxi_envelope_seal_mac(&e, (const uint8_t(*)[32])keys, ev.b,
                                                        sizeof ev.b, &ev.n, NULL, &err),
                                 0);
                break;
            case 2: /* a label rewritten to drop KR (a body change) */
                assert_int_equal(mwx_envelope_peek(m->b, m->n, &e, &err), 0);
                mwx_envelope_split_t sp;
                assert_int_equal(mwxi_envelope_split2(m->b, m->n, &sp, &e, &err), 0);
                if (sp.macs) {
                    e.n_to = 1;
                    strcpy(e.to[0], "US");
                    assert_int_equal(mwxi_envelope_seal_mac(&e, (const uint8_t(*)[32])keys, ev.b,
                                                            sizeof ev.b, &ev.n, NULL, &err),
                                     0);
                    memcpy(ev.b + ev.n - MWX_MAC_BYTES, sp.macs, MWX_MAC_BYTES);
                } else {
                    ev = *m;
                    ev.b[ev.n - 1] ^= 1;
                }
                break;
            case 3: /* an old session message replayed */ ev = legit[0]; break;
            case 4: /* KR's own reports, released to US only, fed to JP */
                next_msg(&ks, t, i, &ev);
                if (mwx_receiver_accept_on(jp, MWX_PATH_DATA, ev.b, ev.n, t, &got, &why) == 0)
                    fail_msg("seed %llu: JP accepted KR's envelope", (unsigned long long)seed);
                ev.n = 0;
                break;
            default: ev.n = 0;
            }
            if (ev.n) {
                hostile++;
                int rc = mwx_receiver_accept_on(us, MWX_PATH_DATA, ev.b, ev.n, t, &got, &why);
                if (rc == 0) {
                    /* only possible when the "hostile" bytes are a legit envelope whose
                     * first copy was not yet delivered: the old session replayed */
                    if (!(ev.n == legit[0].n && memcmp(ev.b, legit[0].b, ev.n) == 0 && !seen[0]))
                        fail_msg("seed %llu: hostile envelope accepted (i %d)",
                                 (unsigned long long)seed, i);
                    seen[0] = 1;
                    accepted++;
                }
            }
            int rc = mwx_receiver_accept_on(us, MWX_PATH_DATA, m->b, m->n, t, &got, &why);
            if (rc == 0) {
                if (seen[order[i]])
                    fail_msg("seed %llu: seq %llu accepted twice", (unsigned long long)seed,
                             (unsigned long long)m->seq);
                seen[order[i]] = 1;
                accepted++;
                assert_int_equal(got.seq, m->seq);
            } else {
                /* a legit envelope is refused only as a copy, or before its session */
                assert_true(why == MWX_DROP_REPLAYED || why == MWX_DROP_NO_SESSION);
            }
        }
        mwx_share_counters_t c;
        mwx_receiver_counters(us, &c);
        assert_int_equal(c.accepted, accepted);
        /* almost everything arrives: only envelopes delivered before their session are
         * left (gap recovery's job; re-signed then) */
        assert_true(accepted >= (uint64_t)nl * 9 / 10);
        assert_true(hostile > 100);
        mwx_receiver_destroy(us);
        mwx_receiver_destroy(jp);
    }
}

/* A live node's restart replays of its old inbox only each origin's last
 * MWX_REPLAY_WINDOW seqs, and below them the first session message of each session
 * (mwx_receiver_learn_session; docs/NODE.md, "Restart"). A receiver fed that must end
 * where one fed everything does: the same highest seq and missing range, the same answer
 * to an old envelope, an in-window one and the one lost in the window, both sessions
 * (JP rotated once), the partner's next MAC'd envelopes, and nothing given up that was
 * not. */
typedef struct pool {
    uint8_t *b;
    size_t used, cap;
    size_t *off, *len;
    uint64_t *seq, *session;
    mwx_payload_type_t *type;
} pool_t;

static void pool_get(const pool_t *p, int i, msg_t *m)
{
    memcpy(m->b, p->b + p->off[i], p->len[i]);
    m->n = p->len[i], m->seq = p->seq[i], m->type = p->type[i];
}

static void tail_accept_same(mwx_receiver_t *full, mwx_receiver_t *tail, const msg_t *m, double t)
{
    mwx_drop_t a = MWX_DROP_NONE, b = MWX_DROP_NONE;
    int ra = accept(full, m, t, &a), rb = accept(tail, m, t, &b);
    if (ra != rb || (ra != 0 && a != b))
        fail_msg("seq %llu: everything gave %d (%s), the tail %d (%s)", (unsigned long long)m->seq,
                 ra, mwx_drop_name(a), rb, mwx_drop_name(b));
}

static void test_window_tail_restores(void **state)
{
    world_t w;
    mwx_sender_t s;
    msg_t m;
    mwx_err_t err;
    enum { N = 3 * MWX_REPLAY_WINDOW + 500 };
    const int lost_old = 700, lost_new = N - 3000, rotate = N / 3;
    (void)state;
    make_world(&w);
    sender_for(&w, &w.jp, 1000, T0, &s);
    mwx_receiver_t *full = receiver_for(&w, &w.us), *tail = receiver_for(&w, &w.us);
    pool_t p = {malloc((size_t)N * 300),
                0,
                (size_t)N * 300,
                calloc(N, sizeof(size_t)),
                calloc(N, sizeof(size_t)),
                calloc(N, sizeof(uint64_t)),
                calloc(N, sizeof(uint64_t)),
                calloc(N, sizeof(mwx_payload_type_t))};
    assert_non_null(p.b);
    assert_non_null(p.type);
    for (int i = 0; i < N; i++) {
        if (i == rotate)
            assert_int_equal(mwx_sender_session_start(&s, w.keys, 3, T0 + i * 0.001, &err), 0);
        next_msg(&s, T0 + i * 0.001, i, &m);
        mwx_envelope_t env;
        assert_int_equal(mwx_envelope_peek(m.b, m.n, &env, NULL), 0);
        assert_true(p.used + m.n <= p.cap);
        memcpy(p.b + p.used, m.b, m.n);
        p.off[i] = p.used, p.len[i] = m.n, p.seq[i] = m.seq, p.type[i] = m.type;
        p.session[i] = env.session;
        p.used += m.n;
    }
    /* what the inbox holds: all but two (never received), two pairs out of order */
    uint64_t max = 0, learned = 0;
    for (int i = 0; i < N; i++)
        if (i != lost_old && i != lost_new && p.seq[i] > max)
            max = p.seq[i];
    int learnt = 0;
    for (int k = 0; k < N; k++) {
        int i = k == N - 50 ? N - 40 : k == N - 40 ? N - 50 : k == 400 ? 410 : k == 410 ? 400 : k;
        if (i == lost_old || i == lost_new)
            continue;
        pool_get(&p, i, &m);
        double t = T0 + i * 0.001;
        mwx_drop_t why;
        assert_int_equal(accept(full, &m, t, &why), 0);
        if (max - m.seq < MWX_REPLAY_WINDOW) {
            assert_int_equal(accept(tail, &m, t, &why), 0);
        } else if (m.type == MWX_PAYLOAD_SESSION && p.session[i] > learned) {
            assert_int_equal(mwx_receiver_learn_session(tail, m.b, m.n), 0);
            learned = p.session[i];
            learnt++;
        }
    }
    assert_int_equal(learnt, 2); /* the first session and the rotated one */
    assert_int_equal(mwx_receiver_highest(full, "JP"), mwx_receiver_highest(tail, "JP"));
    assert_int_equal(mwx_receiver_given_up(tail, "JP"), 0);
    uint64_t f1, t1, f2, t2;
    assert_int_equal(mwx_receiver_missing(full, "JP", &f1, &t1), 0);
    assert_int_equal(mwx_receiver_missing(tail, "JP", &f2, &t2), 0);
    assert_int_equal(f1, p.seq[lost_new]);
    assert_int_equal(f1, f2);
    assert_int_equal(t1, t2);
    double t = T0 + N * 0.001;
    const int probe[] = {10, lost_old, N - MWX_REPLAY_WINDOW - 5, N - 60, N - 1, lost_new};
    for (size_t k = 0; k < sizeof probe / sizeof probe[0]; k++) {
        pool_get(&p, probe[k], &m);
        tail_accept_same(full, tail, &m, t);
    }
    assert_int_equal(mwx_receiver_missing(full, "JP", &f1, &t1), MWX_ENOTFOUND);
    assert_int_equal(mwx_receiver_missing(tail, "JP", &f2, &t2), MWX_ENOTFOUND);
    for (int i = 0; i < 200; i++) {
        next_msg(&s, t + i * 0.001, N + i, &m);
        tail_accept_same(full, tail, &m, t + i * 0.001);
    }
    /* forged or damaged: never learnt */
    pool_get(&p, 0, &m);
    assert_int_equal(m.type, MWX_PAYLOAD_SESSION);
    m.b[m.n - 1] ^= 1;
    assert_int_not_equal(mwx_receiver_learn_session(tail, m.b, m.n), 0);
    pool_get(&p, 1, &m);
    assert_int_equal(m.type, MWX_PAYLOAD_TRACK);
    assert_int_equal(mwx_receiver_learn_session(tail, m.b, m.n), MWX_ECORRUPT);
    free(p.b), free(p.off), free(p.len), free(p.seq), free(p.session), free(p.type);
    mwx_receiver_destroy(full);
    mwx_receiver_destroy(tail);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_round_trip),
        cmocka_unit_test(test_audit),
        cmocka_unit_test(test_session_tamper_every_byte),
        cmocka_unit_test(test_compromised_partner),
        cmocka_unit_test(test_revoke_and_restart),
        cmocka_unit_test(test_gap_resign),
        cmocka_unit_test(test_property),
        cmocka_unit_test(test_window_tail_restores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
