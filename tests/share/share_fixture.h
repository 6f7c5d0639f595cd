/* Shared by the sharing tests, fuzz targets and benchmarks: a releasability policy, keys
 * (random or from a fixed seed) and a receiver trusting a set of keys. Header-only and
 * free of cmocka (the fuzz targets and benchmarks abort or report on their own), so every
 * function returns 0 or a negative MWX_E* for the caller to check. Found as
 * "share/share_fixture.h" through the tests/ include path (tests, bench and fuzz
 * CMakeLists.txt). */
#ifndef MWX_SHARE_FIXTURE_H
#define MWX_SHARE_FIXTURE_H

#include "mwx/core.h"
#include "mwx/share.h"

#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <string.h>

/* A policy over n nations, releasing nothing yet: the caller sets pol->to[] (bit j of
 * to[i]: nation i releases to nation j). */
static inline void share_fx_policy(mwx_policy_t *pol, int n, const char *const *nation)
{
    memset(pol, 0, sizeof *pol);
    pol->n = n;
    for (int i = 0; i < n; i++)
        strcpy(pol->nation[i], nation[i]);
}

/* Two nations, the first releasing to the second. */
static inline void share_fx_policy_pair(mwx_policy_t *pol, const char *from, const char *to)
{
    const char *const nation[2] = {from, to};
    share_fx_policy(pol, 2, nation);
    pol->to[0] = 1u << 1;
}

/* The tests' three nations as a policy built in code (the world's below, without the
 * JSON): JP -> KR, US; KR -> US; US -> JP, KR. */
static inline void share_fx_policy3(mwx_policy_t *pol)
{
    static const char *const nation[3] = {"JP", "KR", "US"};
    share_fx_policy(pol, 3, nation);
    pol->to[0] = 1u << 1 | 1u << 2; /* JP -> KR, US */
    pol->to[1] = 1u << 2;           /* KR -> US */
    pol->to[2] = 1u << 0 | 1u << 1; /* US -> JP, KR */
}

/* A keypair from a seed of 32 equal bytes: the same key every run (the fuzz targets
 * replay a crash). Needs sodium_init(). */
static inline void share_fx_key_seeded(mwx_keypair_t *k, const char *nation, uint8_t seed_byte)
{
    uint8_t seed[32];
    memset(seed, seed_byte, sizeof seed);
    memset(k, 0, sizeof *k);
    strcpy(k->nation, nation);
    crypto_sign_ed25519_seed_keypair(k->pk, k->sk, seed);
}

/* Trust each of n keypairs' public keys in r. */
static inline int share_fx_trust(mwx_receiver_t *r, const mwx_keypair_t *const *k, int n,
                                 mwx_err_t *err)
{
    for (int i = 0; i < n; i++) {
        int rc = mwx_receiver_trust(r, k[i]->nation, k[i]->pk, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* The tests' world: JP, KR and US, KR -> US, JP -> US and KR, US -> JP and KR, the policy
 * read from a scenario's JSON (with a name and an unknown key, which the reader ignores);
 * random keys, and their public halves as a trust list. */
typedef struct share_fx_world {
    mwx_policy_t pol;
    mwx_keypair_t kr, jp, us;
    mwx_trusted_key_t keys[3]; /* kr, jp, us */
} share_fx_world_t;

static inline int share_fx_world_make(share_fx_world_t *w, mwx_err_t *err)
{
    static const char *text =
        "{\"name\":\"t\",\"extra\":1,\"nations\":[{\"id\":\"JP\"},{\"id\":\"KR\"},{\"id\":\"US\"}],"
        "\"sharing\":[{\"from\":\"KR\",\"to\":[\"US\"]},{\"from\":\"JP\",\"to\":[\"US\",\"KR\"]},"
        "{\"from\":\"US\",\"to\":[\"JP\",\"KR\"]}]}";
    json_t *root = NULL;
    int rc = mwx_json_load_string(text, strlen(text), "pol", &root, err);
    if (rc == 0) {
        rc = mwx_policy_from_json(root, "pol", &w->pol, err);
        json_decref(root);
    }
    if (rc == 0)
        rc = mwx_key_generate("KR", &w->kr, err);
    if (rc == 0)
        rc = mwx_key_generate("JP", &w->jp, err);
    if (rc == 0)
        rc = mwx_key_generate("US", &w->us, err);
    if (rc != 0)
        return rc;
    const mwx_keypair_t *k[3] = {&w->kr, &w->jp, &w->us};
    for (int i = 0; i < 3; i++) {
        strcpy(w->keys[i].nation, k[i]->nation);
        memcpy(w->keys[i].pk, k[i]->pk, MWX_PUBKEY_BYTES);
    }
    return 0;
}

/* A receiver for nation own trusting the world's three keys, and holding own_key when
 * that is not NULL (sessions need it). */
static inline int share_fx_world_receiver(const share_fx_world_t *w, const char *own,
                                          const mwx_keypair_t *own_key, mwx_receiver_t **out,
                                          mwx_err_t *err)
{
    const mwx_keypair_t *k[3] = {&w->kr, &w->jp, &w->us};
    mwx_receiver_t *r = NULL;
    int rc = mwx_receiver_create(own, 30.0, &r, err);
    if (rc == 0)
        rc = share_fx_trust(r, k, 3, err);
    if (rc == 0 && own_key)
        rc = mwx_receiver_set_key(r, own_key, err);
    if (rc != 0) {
        mwx_receiver_destroy(r);
        return rc;
    }
    *out = r;
    return 0;
}

#endif
