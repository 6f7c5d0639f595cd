/* libFuzzer target: the envelope decoder and the receiver's checks (everything a partner
 * or an attacker on the bus controls), gap-recovery bodies, and re-sealing whatever
 * decodes (so the checks after the signature are reached too). */
#include "mwx/share.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mwx_receiver_t *rx;
static mwx_keypair_t key;

static void setup(void)
{
    uint8_t seed[32];
    memset(seed, 7, sizeof seed);
    if (sodium_init() < 0)
        abort();
    memset(&key, 0, sizeof key);
    strcpy(key.nation, "KR");
    crypto_sign_ed25519_seed_keypair(key.pk, key.sk, seed);
    /* the receiver holds its own key, so session messages open sessions and MAC'd
     * envelopes reach the MAC check (issue 14) */
    static mwx_keypair_t own;
    memset(seed, 9, sizeof seed);
    memset(&own, 0, sizeof own);
    strcpy(own.nation, "US");
    crypto_sign_ed25519_seed_keypair(own.pk, own.sk, seed);
    if (mwx_receiver_create("US", 30.0, &rx, NULL) != 0 ||
        mwx_receiver_trust(rx, "KR", key.pk, NULL) != 0 ||
        mwx_receiver_set_key(rx, &own, NULL) != 0)
        abort();
}

static void each(void *user, const uint8_t *env, size_t len)
{
    mwx_envelope_t e;
    (void)user;
    (void)mwx_receiver_accept(rx, env, len, 1795000000.0, &e, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mwx_envelope_t env, got;
    uint8_t buf[MWX_ENVELOPE_MAX];
    size_t len;
    uint64_t a, b;

    if (!rx)
        setup();
    (void)mwx_receiver_accept(rx, data, size, 1795000000.0, &got, NULL);
    (void)mwx_gap_reply_each(data, size, each, NULL);
    if (mwx_envelope_peek(data, size, &env, NULL) == 0) {
        if (env.type == MWX_PAYLOAD_GAP_REQUEST)
            (void)mwx_gap_request_decode(&env, &a, &b, NULL);
        if (env.type == MWX_PAYLOAD_HEARTBEAT) {
            mwx_ack_t acks[MWX_MAX_NATIONS];
            int n = -1;
            if (mwx_heartbeat_decode(&env, &a, acks, MWX_MAX_NATIONS, &n, NULL) == 0) {
                if (n < 0 || n > MWX_MAX_NATIONS)
                    abort();
                for (int i = 0; i < n; i++)
                    if (acks[i].seq == 0 || strnlen(acks[i].origin, MWX_ID_LEN) == MWX_ID_LEN)
                        abort(); /* kept acks name an id and a seq */
            }
        }
        if (mwx_envelope_seal(&env, key.sk, buf, sizeof buf, &len, NULL) == 0) {
            double t = env.sent_unix_s;
            if (mwx_receiver_accept(rx, buf, len, t, &got, NULL) == 0) {
                if (got.payload_len != env.payload_len ||
                    (got.payload_len && memcmp(got.payload, env.payload, got.payload_len)))
                    abort(); /* what was sealed is what is accepted */
                if (got.type == MWX_PAYLOAD_GAP_REQUEST)
                    (void)mwx_gap_request_decode(&got, &a, &b, NULL);
            }
        }
    }
    uint64_t from, to;
    (void)mwx_receiver_missing(rx, "KR", &from, &to);
    return 0;
}
