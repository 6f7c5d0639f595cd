/* Internal to src/share: a minimal protobuf reader/writer for the wire messages of
 * proto/mwx.proto (hand-written so that encoding writes into the caller's buffer and
 * decoding never allocates; tests/share checks it against protobuf-c's generated code). */
#ifndef MWX_SHARE_INT_H
#define MWX_SHARE_INT_H

#include "mwx/share.h"

#include <stdint.h>

#define MWX_SIG_DOMAIN        "mwx.wire.v1"
#define MWX_SIG_DOMAIN_LEN    12 /* including the 0x00 */
#define MWX_MAC_DOMAIN        "mwx.mac.v1"
#define MWX_MAC_DOMAIN_LEN    11 /* including the 0x00 */
#define MWX_DIGEST_DOMAIN     "mwx.digest.v1"
#define MWX_DIGEST_DOMAIN_LEN 14
#define MWX_SESSION_KDF       "mwx.session.v1"
#define MWX_SESSION_KDF_LEN   15

/* Writer over a caller buffer: on overflow `full` is set and later writes are ignored. */
typedef struct pbw {
    uint8_t *buf;
    size_t cap, len;
    int full;
} pbw_t;

void mwxi_pbw_init(pbw_t *w, uint8_t *buf, size_t cap);
void mwxi_pbw_varint(pbw_t *w, uint64_t v);
void mwxi_pbw_tag(pbw_t *w, unsigned field, unsigned wire);
void mwxi_pbw_uint(pbw_t *w, unsigned field, uint64_t v); /* skipped when 0 */
void mwxi_pbw_double(pbw_t *w, unsigned field, double v); /* skipped when 0 */
void mwxi_pbw_bytes(pbw_t *w, unsigned field, const void *p, size_t n, int always);
size_t mwxi_pb_varint_size(uint64_t v);

/* Reader: next field. Returns 1 with field/wire/value set, 0 at the end, -1 malformed.
 * For wire type 2, (*p, *n) is the payload; for 0 and 1, *v. Groups are malformed. */
typedef struct pbr {
    const uint8_t *p, *end;
} pbr_t;
int mwxi_pbr_next(pbr_t *r, unsigned *field, unsigned *wire, uint64_t *v, const uint8_t **p,
                  size_t *n);

/* Nation id syntax: 1..MWX_ID_LEN-1 chars of [A-Za-z0-9_-]. */
int mwxi_share_id_ok(const char *s, size_t n);

/* Split an envelope into its signed bytes and signature, and decode the signed part into
 * env (payload pointing into buf). MWX_ECORRUPT with a message when malformed. */
int mwxi_envelope_split(const uint8_t *buf, size_t len, const uint8_t **signed_part,
                        size_t *signed_len, const uint8_t **sig, mwx_envelope_t *env,
                        mwx_err_t *err);

/* An envelope's parts: the body (SignedPart bytes) and one authenticator, an Ed25519
 * signature or n_to MACs of MWX_MAC_BYTES in label order. */
typedef struct mwxi_envelope_split {
    const uint8_t *body, *sig, *macs;
    size_t body_len, macs_len;
} mwx_envelope_split_t;
int mwxi_envelope_split2(const uint8_t *buf, size_t len, mwx_envelope_split_t *sp,
                         mwx_envelope_t *env, mwx_err_t *err);
/* keyed BLAKE2b-128 over MWX_MAC_DOMAIN || body */
void mwxi_envelope_mac(const uint8_t key[32], const uint8_t *body, size_t n,
                       uint8_t tag[MWX_MAC_BYTES]);
/* BLAKE2b-256 over MWX_DIGEST_DOMAIN || body: what a checkpoint lists */
void mwxi_envelope_digest(const uint8_t *body, size_t n, uint8_t d[MWX_DIGEST_BYTES]);
/* Encode env (env->session != 0) with one MAC per label entry (keys in label order);
 * digest (may be NULL) receives the body's digest. */
int mwxi_envelope_seal_mac(const mwx_envelope_t *env, const uint8_t (*keys)[32], uint8_t *buf,
                           size_t cap, size_t *len, uint8_t digest[MWX_DIGEST_BYTES],
                           mwx_err_t *err);
/* The same body with an Ed25519 signature instead of MACs (gap replies). */
int mwxi_envelope_resign(const uint8_t *in, size_t in_len, const uint8_t sk[MWX_SECKEY_BYTES],
                         uint8_t *buf, size_t cap, size_t *len);
/* Session payload (mwx.wire.Session). entries points into the payload: n x (8-byte LE seq,
 * 32-byte digest). */
typedef struct mwx_session_msg {
    uint64_t epoch;
    uint8_t eph_pk[32];
    const uint8_t *entries;
    size_t n_entries;
} mwx_session_msg_t;
int mwxi_session_decode(const uint8_t *p, size_t n, mwx_session_msg_t *m);
/* The MAC key sender -> recipient for a session: BLAKE2b-256 keyed with the X25519 shared
 * secret over the KDF context (origin, recipient, epoch, both public keys). */
int mwxi_session_key(const uint8_t shared[32], const char *origin, const char *recipient,
                     uint64_t epoch, const uint8_t eph_pk[32], const uint8_t rcpt_x_pk[32],
                     uint8_t key[32]);

/* The receiver's checks after authentication (label, staleness, path, replay) for an
 * envelope whose origin is already authenticated by the caller: for the stateful fuzz
 * target (fuzz/fuzz_receiver_seq.c), which must not pay Ed25519 per step. Never call it
 * on unauthenticated input in the product. */
int mwxi_receiver_admit_authenticated(mwx_receiver_t *r, mwx_path_t path, double recv_unix_s,
                                      mwx_envelope_t *env, mwx_drop_t *why);

/* Take back the acceptance of origin's data envelope seq: its caller could not use it yet (a live node's partner report timed ahead of its clock),
 * so its seq is missing again and gap recovery asks for it later. Accepted count goes
 * down by one. MWX_ENOTFOUND when seq is not an accepted seq inside the window. */
int mwxi_receiver_unaccept(mwx_receiver_t *r, const char *origin, uint64_t seq);

#endif
