/* Internal to src/share: a minimal protobuf reader/writer for the wire messages of
 * proto/mwx.proto (hand-written so that encoding writes into the caller's buffer and
 * decoding never allocates; tests/share checks it against protobuf-c's generated code). */
#ifndef MWX_SHARE_INT_H
#define MWX_SHARE_INT_H

#include "mwx/share.h"

#include <stdint.h>

#define MWX_SIG_DOMAIN     "mwx.wire.v1"
#define MWX_SIG_DOMAIN_LEN 12 /* including the 0x00 */

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

/* The receiver's checks after authentication (label, staleness, path, replay) for an
 * envelope whose origin is already authenticated by the caller: for the stateful fuzz
 * target (fuzz/fuzz_receiver_seq.c), which must not pay Ed25519 per step. Never call it
 * on unauthenticated input in the product. */
int mwxi_receiver_admit_authenticated(mwx_receiver_t *r, mwx_path_t path, double recv_unix_s,
                                      mwx_envelope_t *env, mwx_drop_t *why);

#endif
