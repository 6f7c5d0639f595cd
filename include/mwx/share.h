/*
 * mwx/share.h -- sharing tracks and alerts between nations' nodes.
 *
 * What lives here, and the contract of each part (wire format and trust model in
 * docs/SHARING.md):
 *
 *   keys        Ed25519 key pairs per nation (libsodium). `mwx keygen` writes
 *               DIR/NATION.key (secret, 0600) and DIR/NATION.pub; text files, one line:
 *                 "mwx-ed25519-secret-v1 NATION <128 hex digits>\n"
 *                 "mwx-ed25519-public-v1 NATION <64 hex digits>\n"
 *   pki         X.509 for a nation: its CA and the certificates it issues (CAP alerting
 *               key, TLS), OpenSSL libcrypto, PEM files (below).
 *   policy      Releasability from a scenario's `sharing` list (from -> to[]). A nation
 *               publishes a message only to the nations its policy entry names, and every
 *               envelope is labelled with exactly that list.
 *   envelope    proto/mwx.proto: Envelope { signed (exact bytes of a SignedPart), sig }.
 *               The Ed25519 signature covers "mwx.wire.v1" || 0x00 || signed bytes: the
 *               receiver verifies the bytes it got, never a re-serialisation.
 *   sender      Labels, numbers (per-origin seq), signs and encodes into the caller's
 *               buffer: no allocation per message.
 *   receiver    One per node: trusted keys, own nation, replay window per origin, staleness
 *               limit. Every envelope is accepted or dropped and counted under one reason.
 *               Preallocated at create: no allocation per message.
 *   bus         A small interface (mwx_bus_ops_t) with two implementations: inproc
 *               (deterministic, in one process: `mwx run`, unit tests) and NATS (nats.c).
 *   subjects    mwx.<kind>.<origin>.<recipient>, kind = track | alert | hb: one publish per
 *               recipient on the envelope's label. Gap-recovery requests go to
 *               mwx-gap.<origin>.<requester> (request/reply). `mwx nats-config` makes the
 *               server itself enforce this: a nation's account only ever receives the
 *               subjects exported to it.
 *
 * Threading: nothing here is thread-safe on its own; a node drives its receiver and bus
 * from one thread. Bus handlers run only inside mwx_bus_poll(), one at a time and never
 * beside the caller (both buses): on the caller's thread, or for a NATS bus on nats.c's
 * delivery thread while poll waits idle (see mwx_nats_opts_t.caller_thread), unless a
 * NATS bus is opened with `direct` (then on nats.c's delivery threads, at any time).
 */
#ifndef MWX_SHARE_H
#define MWX_SHARE_H

#include "mwx/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MWX_WIRE_VERSION  1
#define MWX_ENVELOPE_MAX  4096        /* largest envelope mwx sends or accepts, bytes */
#define MWX_PAYLOAD_MAX   3072        /* largest payload inside one envelope, bytes */
#define MWX_GAP_REPLY_MAX (64 * 1024) /* largest gap-recovery reply, bytes */
#define MWX_SUBJECT_LEN   128
/* Out-of-order tolerance per origin, in seq numbers: a receiver can still ask for a missing
 * seq while it is inside (H - W, H]. As deep as the sent log a node keeps and reloads at a
 * restart (MWX_NODE_LOG_KEEP_ENTRIES): whatever a partner can still answer stays a
 * declared gap (with 1024 a partner away for more than 1024 envelopes lost the oldest of
 * them, silently). 1 KB of bitmap per origin. */
#define MWX_REPLAY_WINDOW 8192
#define MWX_PUBKEY_BYTES  32
#define MWX_SECKEY_BYTES  64
#define MWX_SIG_BYTES     64
#define MWX_MAC_BYTES     16  /* per-recipient session MAC (keyed BLAKE2b-128) */
#define MWX_DIGEST_BYTES  32  /* BLAKE2b-256 of an envelope's body, in checkpoints */
#define MWX_CKPT_MAX      64  /* envelopes one checkpoint covers at most */
#define MWX_CKPT_PERIOD_S 1.0 /* a checkpoint at least this often while sending */

/* ------------------------------------------------------------------ keys */

typedef struct mwx_keypair {
    char nation[MWX_ID_LEN];
    uint8_t pk[MWX_PUBKEY_BYTES];
    uint8_t sk[MWX_SECKEY_BYTES]; /* libsodium layout: seed || pk */
} mwx_keypair_t;

/* New key pair for nation (A-Z, a-z, 0-9, '-', '_'; 1..31 chars). */
MWX_API MWX_NODISCARD int mwx_key_generate(const char *nation, mwx_keypair_t *kp, mwx_err_t *err);
/* Write DIR/NATION.key (0600) and DIR/NATION.pub, each atomically (temp + rename).
 * Refuses (MWX_EINVAL, nothing written) when either exists, unless force. */
MWX_API MWX_NODISCARD int mwx_key_write(const mwx_keypair_t *kp, const char *dir, int force,
                                        mwx_err_t *err);
/* Load a secret key file; checks permissions (refused, like ssh, when group or others
 * may read it), format, nation name and that pk matches sk. expect_nation may be NULL;
 * otherwise the file's nation must equal it. */
MWX_API MWX_NODISCARD int mwx_key_load_secret(const char *path, const char *expect_nation,
                                              mwx_keypair_t *kp, mwx_err_t *err);
/* Load a public key file; nation (MWX_ID_LEN) receives the file's nation, may be NULL.
 * expect_nation may be NULL. */
MWX_API MWX_NODISCARD int mwx_key_load_public(const char *path, const char *expect_nation,
                                              uint8_t pk[MWX_PUBKEY_BYTES], char *nation,
                                              mwx_err_t *err);

/* ------------------------------------------------------------------ PKI (X.509) */

/* A nation's certificate authority and the certificates it issues (src/share/pki.c, on
 * OpenSSL libcrypto): ECDSA P-256 keys, X.509 v3 certificates signed with SHA-256, PEM
 * files (private keys PKCS#8 unencrypted, mode 0600; certificates 0644), each written
 * atomically. Used for the CAP alerting key (`mwx keygen --cap`, warn.h's CAP signer) and
 * the bus's mutual TLS (`mwx nats-config --tls`: one CA for the sharing network). */
enum {
    MWX_PKI_CA = 1,         /* CA:TRUE (pathlen 0), keyCertSign + cRLSign */
    MWX_PKI_SIGNING = 2,    /* CA:FALSE, digitalSignature (the CAP alerting key) */
    MWX_PKI_TLS_SERVER = 4, /* + extendedKeyUsage serverAuth */
    MWX_PKI_TLS_CLIENT = 8  /* + extendedKeyUsage clientAuth */
};

typedef struct mwx_pki_subject {
    const char *common_name; /* CN (required) */
    const char *org;         /* O (optional) */
    const char *org_unit;    /* OU (optional; nats-config: the nation) */
    const char *const *dns;  /* subjectAltName DNS names (TLS), n_dns of them */
    size_t n_dns;
    const char *const *ips; /* subjectAltName IP addresses (TLS) */
    size_t n_ips;
    int days;       /* validity from now (notBefore is an hour back);
                                     0 = 3650 for a CA, 825 otherwise */
    unsigned usage; /* MWX_PKI_* bits (mwx_pki_make_ca forces MWX_PKI_CA) */
} mwx_pki_subject_t;

/* A new key and a self-signed CA certificate. Refuses (MWX_EINVAL, nothing written) when
 * either file exists, unless force. */
MWX_API MWX_NODISCARD int mwx_pki_make_ca(const mwx_pki_subject_t *s, const char *key_path,
                                          const char *cert_path, int force, mwx_err_t *err);
/* A new key and a certificate for it issued by the CA (its key file must be 0600 and match
 * its certificate). Same refusal rule. */
MWX_API MWX_NODISCARD int mwx_pki_issue(const char *ca_key_path, const char *ca_cert_path,
                                        const mwx_pki_subject_t *s, const char *key_path,
                                        const char *cert_path, int force, mwx_err_t *err);
/* Check a certificate: issued by the CA now (ca_cert_path may be NULL: skipped), and the
 * private key's (key_path may be NULL: skipped). subject (optional) receives its subject
 * ("/O=.../CN=..."). MWX_ECRYPTO when a check fails. */
MWX_API MWX_NODISCARD int mwx_pki_verify(const char *ca_cert_path, const char *cert_path,
                                         const char *key_path, char *subject, size_t subject_n,
                                         mwx_err_t *err);

/* ------------------------------------------------------------------ policy */

typedef struct mwx_policy {
    int n; /* nations */
    char nation[MWX_MAX_NATIONS][MWX_ID_LEN];
    uint32_t to[MWX_MAX_NATIONS]; /* bit j of to[i]: i releases to nation j */
} mwx_policy_t;

/* From a scenario (or any JSON object with `nations` [{"id": ...}] and `sharing`
 * [{"from": ID, "to": [ID...]}]); other top-level keys are ignored. Errors name file and
 * JSON path: unknown nation, sharing to self, duplicate entries. file is for messages. */
MWX_API MWX_NODISCARD int mwx_policy_from_json(const struct json_t *root, const char *file,
                                               mwx_policy_t *p, mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_policy_load(const char *path, mwx_policy_t *p, mwx_err_t *err);
/* Index of nation in p, or -1. */
MWX_API MWX_NODISCARD int mwx_policy_index(const mwx_policy_t *p, const char *nation);
/* 1 when `from` releases to `to` under p. */
MWX_API MWX_NODISCARD int mwx_policy_allows(const mwx_policy_t *p, const char *from,
                                            const char *to);
/* The label for messages from `from`: recipients in policy order; returns the count
 * (0 when from is unknown or shares with nobody). */
MWX_API MWX_NODISCARD int mwx_policy_recipients(const mwx_policy_t *p, const char *from,
                                                char to[MWX_MAX_NATIONS][MWX_ID_LEN]);

/* ------------------------------------------------------------------ envelopes */

typedef enum mwx_payload_type {
    MWX_PAYLOAD_TRACK = 1,        /* mwx_record_encode(MWX_REC_TRACK) bytes */
    MWX_PAYLOAD_ALERT = 2,        /* mwx_record_encode(MWX_REC_ALERT) bytes */
    MWX_PAYLOAD_HEARTBEAT = 3,    /* mwx.wire.Heartbeat */
    MWX_PAYLOAD_GAP_REQUEST = 4,  /* mwx.wire.GapRequest; seq 0 (not sequenced) */
    MWX_PAYLOAD_GAP_RESPONSE = 5, /* mwx.wire.GapResponse (reply body, not enveloped) */
    MWX_PAYLOAD_SESSION = 6       /* mwx.wire.Session: session key announcement and
                                   * checkpoint (always Ed25519-signed) */
} mwx_payload_type_t;

MWX_API const char *mwx_payload_type_name(mwx_payload_type_t t); /* "track", "alert", "hb", ... */

/* A decoded envelope. payload points into the buffer it was decoded from (or into the
 * receiver's buffer), valid until that buffer changes. */
typedef struct mwx_envelope {
    uint32_t version;
    char origin[MWX_ID_LEN];
    uint64_t seq;
    double sent_unix_s;
    char to[MWX_MAX_NATIONS][MWX_ID_LEN]; /* releasable-to label */
    int n_to;
    mwx_payload_type_t type;
    const uint8_t *payload;
    size_t payload_len;
    uint64_t session; /* 0: Ed25519-signed envelope; else the session epoch whose
                         * per-recipient MACs authenticate it (docs/SHARING.md) */
} mwx_envelope_t;

/* Encode env's fields (payload included) and sign them with sk into buf (cap bytes);
 * *len = envelope size. MWX_EFULL when cap is too small, MWX_EINVAL on bad fields.
 * No allocation. This is the low-level form: mwx_sender_seal labels and numbers. */
MWX_API MWX_NODISCARD int mwx_envelope_seal(const mwx_envelope_t *env,
                                            const uint8_t sk[MWX_SECKEY_BYTES], uint8_t *buf,
                                            size_t cap, size_t *len, mwx_err_t *err);
/* Decode without verifying (tools, tests). MWX_ECORRUPT when malformed. payload points
 * into buf. */
MWX_API MWX_NODISCARD int mwx_envelope_peek(const uint8_t *buf, size_t len, mwx_envelope_t *env,
                                            mwx_err_t *err);

/* ------------------------------------------------------------------ sender */

typedef struct mwx_ckpt_entry {
    uint64_t seq;
    uint8_t digest[MWX_DIGEST_BYTES];
} mwx_ckpt_entry_t;

typedef struct mwx_sender {
    mwx_keypair_t key;
    mwx_policy_t policy;
    uint64_t next_seq;
    /* Sessions (mwx_sender_session_start): 0 = every envelope Ed25519-signed. */
    int session_on;
    uint64_t epoch;     /* this session's id (microseconds, grows) */
    uint8_t eph_pk[32]; /* its X25519 public key */
    int n_to;           /* recipients, in label order */
    char to[MWX_MAX_NATIONS][MWX_ID_LEN];
    uint8_t mac_key[MWX_MAX_NATIONS][32]; /* sender -> to[i] (BLAKE2b key) */
    int announce;                         /* the session message is still to be sent */
    /* MAC'd envelopes not yet in a checkpoint */
    int n_pending;
    double pending_since; /* sent time of the first of them */
    mwx_ckpt_entry_t pending[MWX_CKPT_MAX];
} mwx_sender_t;

/* first_seq must be >= 1 and should grow across restarts (receivers drop seqs they have
 * seen): mwx_share_seq_base(mwx_time_wall()) is a good choice for a real node. */
MWX_API MWX_NODISCARD int mwx_sender_init(mwx_sender_t *s, const mwx_keypair_t *key,
                                          const mwx_policy_t *policy, uint64_t first_seq,
                                          mwx_err_t *err);
MWX_API uint64_t mwx_share_seq_base(double unix_s); /* microseconds since 1970 */

/* A trusted nation's identity key (the sender derives its session MAC keys from them). */
typedef struct mwx_trusted_key {
    char nation[MWX_ID_LEN];
    uint8_t pk[MWX_PUBKEY_BYTES];
} mwx_trusted_key_t;

/* Start (or rotate to) a new session: a fresh X25519 key pair (never stored: a restart
 * always starts a new session, so no MAC key is ever used twice across runs), epoch =
 * max(microseconds since 1970 at unix_s, last epoch + 1), and for each recipient R of the
 * label the key BLAKE2b(X25519(eph, R's identity key as X25519), context). Every recipient
 * needs its key among `keys` (MWX_ENOTFOUND otherwise: keep signing). The next seal is
 * the session message (mwx_sender_seal_session); until it is sealed, data envelopes are
 * refused (MWX_EAGAIN). Pending checkpoint entries of the previous session stay pending. */
MWX_API MWX_NODISCARD int mwx_sender_session_start(mwx_sender_t *s, const mwx_trusted_key_t *keys,
                                                   int n_keys, double unix_s, mwx_err_t *err);
/* 1 when a session/checkpoint message is due: the announcement, MWX_CKPT_MAX entries
 * pending, or the oldest pending entry is MWX_CKPT_PERIOD_S old at now_unix_s. */
MWX_API MWX_NODISCARD int mwx_sender_session_due(const mwx_sender_t *s, double now_unix_s);
/* Seal the signed Session message (announcement + checkpoint of the pending entries).
 * MWX_ENOTFOUND (nothing consumed) when sessions are off or nothing is due. */
MWX_API MWX_NODISCARD int mwx_sender_seal_session(mwx_sender_t *s, double sent_unix_s, uint8_t *buf,
                                                  size_t cap, size_t *len, mwx_envelope_t *env_out,
                                                  mwx_err_t *err);

/* Label with the policy's recipients for key.nation, take the next seq, sign, encode into
 * buf. MWX_ENOTFOUND (nothing consumed) when the policy releases to nobody. env_out (may
 * be NULL) receives the header as sent (payload pointing at the caller's payload). */
MWX_API MWX_NODISCARD int mwx_sender_seal(mwx_sender_t *s, mwx_payload_type_t type,
                                          const uint8_t *payload, size_t payload_len,
                                          double sent_unix_s, uint8_t *buf, size_t cap, size_t *len,
                                          mwx_envelope_t *env_out, mwx_err_t *err);
/* Convenience: encode a track record as payload and seal it. */
MWX_API MWX_NODISCARD int mwx_sender_seal_track(mwx_sender_t *s, const mwx_rec_track_t *trk,
                                                double sent_unix_s, uint8_t *buf, size_t cap,
                                                size_t *len, mwx_envelope_t *env_out,
                                                mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_sender_seal_alert(mwx_sender_t *s, const mwx_rec_alert_t *alert,
                                                double sent_unix_s, uint8_t *buf, size_t cap,
                                                size_t *len, mwx_envelope_t *env_out,
                                                mwx_err_t *err);
/* What a node has heard of one partner: the highest seq it accepted from it. Carried in
 * the node's heartbeats back to that partner, which learns which of its envelopes the node
 * has not heard yet (mwx_sentlog_ack). */
typedef struct mwx_ack {
    char origin[MWX_ID_LEN];
    uint64_t seq;
} mwx_ack_t;
/* A heartbeat with the node's acks (n_acks <= MWX_MAX_NATIONS; acks may be NULL when 0). */
MWX_API MWX_NODISCARD int mwx_sender_seal_heartbeat(mwx_sender_t *s, const mwx_ack_t *acks,
                                                    int n_acks, double sent_unix_s, uint8_t *buf,
                                                    size_t cap, size_t *len,
                                                    mwx_envelope_t *env_out, mwx_err_t *err);
/* Read a verified HEARTBEAT envelope: the origin's next seq and its acks (at most max,
 * *n_acks how many were kept; an ack with a bad origin id or seq 0 is skipped, not an
 * error). MWX_ECORRUPT when the payload is malformed. */
MWX_API MWX_NODISCARD int mwx_heartbeat_decode(const mwx_envelope_t *env, uint64_t *next_seq,
                                               mwx_ack_t *acks, int max, int *n_acks,
                                               mwx_err_t *err);

/* Subject for one recipient: "mwx.<kind>.<origin>.<recipient>"; kind from type
 * (track, alert, hb). MWX_EINVAL for gap types or bad ids. */
MWX_API MWX_NODISCARD int mwx_subject_data(mwx_payload_type_t type, const char *origin,
                                           const char *recipient, char subject[MWX_SUBJECT_LEN]);
/* "mwx.*.*.NATION": everything released to nation (subscribe to this). */
MWX_API MWX_NODISCARD int mwx_subject_inbox(const char *nation, char subject[MWX_SUBJECT_LEN]);
/* "mwx-gap.<origin>.<requester>" (request) and "mwx-gap.<origin>.*" (responder). */
MWX_API MWX_NODISCARD int mwx_subject_gap(const char *origin, const char *requester,
                                          char subject[MWX_SUBJECT_LEN]);
/* "mwx-meas.<nation>": the nation's own sensors' measurements, one meas record per message
 * (mwx_record_encode), feeding its node live (`mwx feed`; NODE.json "feed": "bus"). It
 * stays inside the nation's account: nats-config exports it to nobody. */
MWX_API MWX_NODISCARD int mwx_subject_meas(const char *nation, char subject[MWX_SUBJECT_LEN]);

/* ------------------------------------------------------------------ receiver */

typedef enum mwx_drop {
    MWX_DROP_NONE = -1,
    MWX_DROP_MALFORMED = 0,  /* not a valid envelope / wrong version / oversize */
    MWX_DROP_UNKNOWN_ORIGIN, /* origin has no trusted key */
    MWX_DROP_BAD_SIGNATURE,  /* signature does not verify with origin's key */
    MWX_DROP_NOT_RELEASABLE, /* own nation not on the label */
    MWX_DROP_REPLAYED,       /* seq already seen, or older than the window */
    MWX_DROP_STALE,          /* |receive - sent| > stale limit */
    MWX_DROP_MISROUTED,      /* a gap request on the data path, or data on the gap path */
    MWX_DROP_NO_SESSION,     /* MAC'd under a session this receiver does not hold */
    MWX_DROP_BAD_MAC,        /* the MAC for this receiver does not verify */
    MWX_DROP_N
} mwx_drop_t;

/* "malformed", "unknown_origin", "bad_signature", "not_releasable", "replayed", "stale",
 * "misrouted", "no_session", "bad_mac" */
MWX_API const char *mwx_drop_name(mwx_drop_t d);

typedef struct mwx_share_counters {
    uint64_t accepted;
    uint64_t dropped[MWX_DROP_N];
    uint64_t work;         /* steps of replay-window bookkeeping (accept and missing): each
                         * call costs a bounded number, whatever the seqs (tests assert it) */
    uint64_t given_up;     /* seqs that left the window never accepted: out of reach of gap
                            * recovery for good (0 unless a partner was silent, or this node
                            * away, for longer than the window) */
    uint64_t window_jumps; /* an origin's seq jumped a whole window or more ahead: what lay
                            * between was never in reach (a partner restarted without its
                            * outbox, or one that sent more than the window meanwhile) */
} mwx_share_counters_t;

typedef struct mwx_receiver mwx_receiver_t;

/* stale_s > 0: envelopes sent more than stale_s before (or after) the receive time are
 * dropped as stale. */
MWX_API MWX_NODISCARD int mwx_receiver_create(const char *own_nation, double stale_s,
                                              mwx_receiver_t **out, mwx_err_t *err);
MWX_API void mwx_receiver_destroy(mwx_receiver_t *r);
/* Trust pk for nation (replaces an earlier key). MWX_EFULL past MWX_MAX_NATIONS. */
MWX_API MWX_NODISCARD int mwx_receiver_trust(mwx_receiver_t *r, const char *nation,
                                             const uint8_t pk[MWX_PUBKEY_BYTES], mwx_err_t *err);
/* Verify one envelope received at recv_unix_s. Checks, in order: well-formed, trusted
 * origin, signature, releasable to own nation, staleness, replay (a GAP_REQUEST is not
 * sequenced: it must be sent later than the origin's last accepted one; any other type
 * needs seq >= 1). Cost per call is bounded whatever the seq: a seq far ahead slides the
 * window (the skipped seqs are a gap; a jump of a window or more starts a fresh one). Returns MWX_OK and fills env (payload copied into
 * r, valid until the next call) when accepted; otherwise MWX_ECRYPTO (bad signature or
 * unknown origin), MWX_ECORRUPT (malformed) or MWX_ERANGE (others), with *drop (may be
 * NULL) set to the reason; the drop is counted either way. A dropped envelope never
 * changes the replay state. */
MWX_API MWX_NODISCARD int mwx_receiver_accept(mwx_receiver_t *r, const uint8_t *buf, size_t len,
                                              double recv_unix_s, mwx_envelope_t *env,
                                              mwx_drop_t *drop);
/* Which subject an envelope came in on: the data path (mwx.*.*.<me>) takes only TRACK,
 * ALERT and HEARTBEAT, the gap path (mwx-gap.<me>.*) only GAP_REQUEST; anything else is
 * dropped as "misrouted" (a signed gap request replayed onto the data path must not pass
 * for data). */
typedef enum mwx_path { MWX_PATH_ANY = 0, MWX_PATH_DATA, MWX_PATH_GAP } mwx_path_t;
MWX_API MWX_NODISCARD int mwx_receiver_accept_on(mwx_receiver_t *r, mwx_path_t path,
                                                 const uint8_t *buf, size_t len, double recv_unix_s,
                                                 mwx_envelope_t *env, mwx_drop_t *drop);
MWX_API void mwx_receiver_counters(const mwx_receiver_t *r, mwx_share_counters_t *c);
/* The receiver's own identity (its X25519 half opens the sessions partners announce to
 * it). Without it, MAC'd envelopes are dropped as no_session (signed ones still pass). */
MWX_API MWX_NODISCARD int mwx_receiver_set_key(mwx_receiver_t *r, const mwx_keypair_t *kp,
                                               mwx_err_t *err);
/* Revoke a nation's key: from this call on nothing from it is accepted (unknown_origin),
 * signed or MAC'd, and its sessions are forgotten. MWX_ENOTFOUND when not trusted. */
MWX_API MWX_NODISCARD int mwx_receiver_revoke(mwx_receiver_t *r, const char *nation);
/* Highest seq accepted from origin (0 when none). */
MWX_API uint64_t mwx_receiver_highest(const mwx_receiver_t *r, const char *origin);
/* Per origin: the seqs given up and the window jumps (mwx_share_counters_t); 0 for an
 * unknown origin. */
MWX_API uint64_t mwx_receiver_given_up(const mwx_receiver_t *r, const char *origin);
MWX_API uint64_t mwx_receiver_window_jumps(const mwx_receiver_t *r, const char *origin);
/* A session message (SESSION, signed) verified and its session taken when it is newer
 * than the origin's current one, as mwx_receiver_accept would, but its seq neither marked
 * nor checked and nothing counted: for a restart that rebuilds the replay window from
 * the last MWX_REPLAY_WINDOW seqs of its inbox only, and needs the sessions announced
 * below them. MWX_OK when verified (taken or not); MWX_ECRYPTO when the signature does
 * not verify or the origin is not trusted; MWX_ECORRUPT when it is not a well-formed
 * session message addressed to this receiver. */
MWX_API MWX_NODISCARD int mwx_receiver_learn_session(mwx_receiver_t *r, const uint8_t *buf,
                                                     size_t len);
/* The oldest seq range missing from origin inside the replay window: MWX_OK with
 * [*from, *to] (inclusive), or MWX_ENOTFOUND when nothing is missing. */
MWX_API MWX_NODISCARD int mwx_receiver_missing(const mwx_receiver_t *r, const char *origin,
                                               uint64_t *from, uint64_t *to);
/* Prometheus text lines "mwx_share_dropped_total{node="JP",reason="stale"} 3\n..." and
 * mwx_share_accepted_total into buf; returns the length (truncated to n-1 when full). */
MWX_API size_t mwx_receiver_metrics(const mwx_receiver_t *r, char *buf, size_t n);

/* Decode payloads of accepted envelopes (MWX_ECORRUPT when bad). */
MWX_API MWX_NODISCARD int mwx_payload_track(const mwx_envelope_t *env, mwx_rec_track_t *trk,
                                            mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_payload_alert(const mwx_envelope_t *env, mwx_rec_alert_t *alert,
                                            mwx_err_t *err);

/* ------------------------------------------------------------------ gap recovery */

/* The requester seals a GAP_REQUEST (signed, labelled [origin], seq 0) asking origin for
 * seqs [from_seq, to_seq] and sends it with mwx_bus_request to mwx-gap.<origin>.<me>.
 * The origin's node checks it with its receiver (the requester must be trusted) and
 * replies with a GapResponse of the original signed envelopes that are releasable to the
 * requester; the requester feeds each through its receiver as if it came off the bus. */
MWX_API MWX_NODISCARD int mwx_gap_request_seal(const mwx_keypair_t *me, const char *origin,
                                               uint64_t from_seq, uint64_t to_seq,
                                               double sent_unix_s, uint8_t *buf, size_t cap,
                                               size_t *len, mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_gap_request_decode(const mwx_envelope_t *env, uint64_t *from_seq,
                                                 uint64_t *to_seq, mwx_err_t *err);

/* Builds a GapResponse into buf: add envelopes one by one (MWX_EFULL when it would not
 * fit: send what there is). */
typedef struct mwx_gap_reply {
    uint8_t *buf;
    size_t cap, len;
    int count;
} mwx_gap_reply_t;
MWX_API void mwx_gap_reply_init(mwx_gap_reply_t *g, uint8_t *buf, size_t cap);
MWX_API MWX_NODISCARD int mwx_gap_reply_add(mwx_gap_reply_t *g, const uint8_t *env, size_t len);
/* Walk a received GapResponse: calls fn for each contained envelope. MWX_ECORRUPT when
 * the reply is malformed (fn may have been called for the envelopes before the damage). */
MWX_API MWX_NODISCARD int mwx_gap_reply_each(const uint8_t *buf, size_t len,
                                             void (*fn)(void *user, const uint8_t *env, size_t len),
                                             void *user);

/* Fixed-size history of sealed envelopes (for answering gap requests): up to the last
 * `slots` envelopes in slots x 512 bytes (fewer when envelopes are bigger than a track
 * report), preallocated. */
typedef struct mwx_sentlog mwx_sentlog_t;
MWX_API MWX_NODISCARD int mwx_sentlog_create(size_t slots, mwx_sentlog_t **out, mwx_err_t *err);
MWX_API void mwx_sentlog_destroy(mwx_sentlog_t *l);
/* Keep a copy of a sealed envelope (its seq and label are read from the bytes). */
MWX_API MWX_NODISCARD int mwx_sentlog_add(mwx_sentlog_t *l, const uint8_t *env, size_t len);
/* With a key, answers re-sign MAC'd envelopes (the same body, now with an Ed25519
 * signature): a requester may no longer hold the session they were MAC'd under (it
 * restarted, or the sender did). Without one they go out as they were sealed. */
MWX_API void mwx_sentlog_set_key(mwx_sentlog_t *l, const mwx_keypair_t *kp);
/* Acknowledgements (issue 17, "the age of the oldest unacked envelope"): recipient has
 * heard this node's envelopes up to seq (its heartbeat's ack; a lower one than it gave
 * before is ignored). The sent log keeps, per recipient, the sent time of the oldest
 * envelope released to it that it has not acked: mwx_sentlog_unacked returns it (Unix
 * seconds as sealed), or 0 when it has acked everything released to it (or nothing was
 * ever sent to it). An envelope evicted from the log unacked keeps its time until an ack
 * passes it. At most MWX_MAX_NATIONS recipients are followed. */
MWX_API void mwx_sentlog_ack(mwx_sentlog_t *l, const char *recipient, uint64_t seq);
MWX_API double mwx_sentlog_unacked(const mwx_sentlog_t *l, const char *recipient);
/* The highest seq recipient has acked (0: none). */
MWX_API uint64_t mwx_sentlog_acked(const mwx_sentlog_t *l, const char *recipient);
/* Answer a verified GAP_REQUEST envelope (from mwx_receiver_accept) into reply buf. */
MWX_API MWX_NODISCARD int mwx_sentlog_answer(const mwx_sentlog_t *l, const mwx_envelope_t *request,
                                             uint8_t *buf, size_t cap, size_t *len, mwx_err_t *err);

/* ------------------------------------------------------------------ audit */

/* Non-repudiation of MAC'd envelopes: a MAC only convinces its recipient, so an auditor
 * checks that every MAC'd envelope's body digest is in a Session checkpoint its origin
 * signed with Ed25519. Feed a receiver's accepted envelopes (an inbox, in any order) to
 * mwx_audit_add, then mwx_audit_finish. Signed envelopes are verified on the spot. */
typedef struct mwx_audit mwx_audit_t;
typedef struct mwx_audit_result {
    uint64_t signed_ok;    /* Ed25519-signed envelopes that verify */
    uint64_t mac_proven;   /* MAC'd envelopes whose digest a verified checkpoint holds */
    uint64_t mac_unproven; /* MAC'd envelopes no checkpoint covers (or a different body) */
    uint64_t bad;          /* malformed, unknown origin or a bad signature */
    uint64_t checkpoints;  /* verified Session messages */
} mwx_audit_result_t;
MWX_API MWX_NODISCARD int mwx_audit_create(mwx_audit_t **out, mwx_err_t *err);
MWX_API void mwx_audit_destroy(mwx_audit_t *a);
MWX_API MWX_NODISCARD int mwx_audit_trust(mwx_audit_t *a, const char *nation,
                                          const uint8_t pk[MWX_PUBKEY_BYTES], mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_audit_add(mwx_audit_t *a, const uint8_t *env, size_t len,
                                        mwx_err_t *err);
/* First unproven MAC'd envelope (origin, seq) goes to err's message. MWX_ECRYPTO when any
 * envelope is bad or unproven, else MWX_OK. */
MWX_API MWX_NODISCARD int mwx_audit_finish(mwx_audit_t *a, mwx_audit_result_t *res, mwx_err_t *err);

/* ------------------------------------------------------------------ bus */

typedef struct mwx_bus mwx_bus_t;

/* A delivered message. reply is the reply subject for requests, else NULL. data is valid
 * only during the call. */
typedef void (*mwx_bus_handler_fn)(void *user, const char *subject, const uint8_t *data, size_t len,
                                   const char *reply);

typedef struct mwx_bus_stats {
    uint64_t published, delivered, dropped_queue_full, disconnects, reconnects;
    uint64_t dropped_slow_consumer; /* dropped by the client library (nats.c pending limit) */
    uint64_t denied_publish;        /* publishes the server refused (permission violation) */
    uint64_t denied_subscribe;      /* subscriptions the server refused */
    int connected;                  /* 1 up, 0 down (reconnecting or closed) */
} mwx_bus_stats_t;

typedef struct mwx_bus_ops {
    const char *name; /* "inproc", "nats" */
    int (*connect)(mwx_bus_t *b, mwx_err_t *err);
    int (*publish)(mwx_bus_t *b, const char *subject, const uint8_t *data, size_t len,
                   mwx_err_t *err);
    /* pattern: NATS syntax, * for one token, > for the rest. */
    int (*subscribe)(mwx_bus_t *b, const char *pattern, mwx_bus_handler_fn fn, void *user,
                     mwx_err_t *err);
    /* Send data to subject and wait up to timeout_s for one reply into reply (cap bytes).
     * MWX_EAGAIN on timeout, MWX_ENOTFOUND when nobody listens, MWX_EBUS when down. */
    int (*request)(mwx_bus_t *b, const char *subject, const uint8_t *data, size_t len,
                   double timeout_s, uint8_t *reply, size_t cap, size_t *reply_len, mwx_err_t *err);
    /* Run handlers for delivered messages; waits up to timeout_s for the first one.
     * Returns the number handled (>= 0) or a negative code. */
    int (*poll)(mwx_bus_t *b, double timeout_s, mwx_err_t *err);
    /* Push out everything published; MWX_EBUS when the server does not confirm in
     * timeout_s. */
    int (*flush)(mwx_bus_t *b, double timeout_s, mwx_err_t *err);
    void (*stats)(mwx_bus_t *b, mwx_bus_stats_t *st);
    const char *(*last_error)(mwx_bus_t *b);
    void (*close)(mwx_bus_t *b); /* frees b */
    /* Publish data with a reply subject and return at once: the reply arrives later to
     * whoever subscribed to `reply` (an asynchronous request; a node's gap recovery never
     * waits for a partner). NULL when the bus does not do it (then MWX_EUNSUPPORTED). */
    int (*publish_request)(mwx_bus_t *b, const char *subject, const char *reply,
                           const uint8_t *data, size_t len, mwx_err_t *err);
} mwx_bus_ops_t;

struct mwx_bus {
    const mwx_bus_ops_t *ops;
    void *impl;
};

/* Thin wrappers: b->ops->x(b, ...). Replies to a request are published to `reply`. */
MWX_API MWX_NODISCARD int mwx_bus_connect(mwx_bus_t *b, mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_bus_publish(mwx_bus_t *b, const char *subject, const uint8_t *data,
                                          size_t len, mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_bus_subscribe(mwx_bus_t *b, const char *pattern,
                                            mwx_bus_handler_fn fn, void *user, mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_bus_request(mwx_bus_t *b, const char *subject, const uint8_t *data,
                                          size_t len, double timeout_s, uint8_t *reply, size_t cap,
                                          size_t *reply_len, mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_bus_publish_request(mwx_bus_t *b, const char *subject,
                                                  const char *reply, const uint8_t *data,
                                                  size_t len, mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_bus_poll(mwx_bus_t *b, double timeout_s, mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_bus_flush(mwx_bus_t *b, double timeout_s, mwx_err_t *err);
MWX_API void mwx_bus_stats(mwx_bus_t *b, mwx_bus_stats_t *st);
MWX_API const char *mwx_bus_last_error(mwx_bus_t *b);
MWX_API void mwx_bus_close(mwx_bus_t *b);

/* Prometheus text lines for a bus's stats, labelled with node:
 * mwx_bus_published_total, mwx_bus_delivered_total, mwx_bus_dropped_queue_full_total,
 * mwx_bus_disconnects_total, mwx_bus_reconnects_total, mwx_bus_connected. Returns the
 * length (truncated to n-1 when full). */
MWX_API size_t mwx_bus_metrics(mwx_bus_t *b, const char *node, char *buf, size_t n);

/* 1 when subject matches pattern (NATS rules). */
MWX_API MWX_NODISCARD int mwx_subject_match(const char *pattern, const char *subject);

/* Publish one sealed envelope once per recipient on its label (the sender labelled it
 * from the policy), on mwx.<kind>.<origin>.<recipient>; returns the number of publishes
 * or a negative code. */
MWX_API MWX_NODISCARD int mwx_bus_publish_envelope(mwx_bus_t *b, const mwx_envelope_t *env,
                                                   const uint8_t *bytes, size_t len,
                                                   mwx_err_t *err);

/* --- inproc: every node of one process on a shared hub. Delivery is deterministic:
 * publish appends to the hub's FIFO, and each endpoint's mwx_bus_poll delivers the
 * messages queued for it in publish order (timeout ignored: never waits). With a policy
 * set, the hub enforces what a nats-server with `mwx nats-config` would: nation N may only
 * publish mwx.*.N.* and mwx-gap.*.N, and receives mwx.<k>.<o>.N only when o releases to
 * N. Requests are delivered synchronously to the responder's handler. */
typedef struct mwx_inproc_hub mwx_inproc_hub_t;
MWX_API MWX_NODISCARD int mwx_inproc_hub_create(const mwx_policy_t *policy_or_null,
                                                mwx_inproc_hub_t **out, mwx_err_t *err);
/* The hub must outlive its endpoints. */
MWX_API void mwx_inproc_hub_destroy(mwx_inproc_hub_t *h);
/* New endpoint for nation (already connected; connect is a no-op). */
MWX_API MWX_NODISCARD int mwx_bus_inproc_open(mwx_inproc_hub_t *h, const char *nation,
                                              mwx_bus_t **out, mwx_err_t *err);

/* --- NATS (nats.c). */
typedef struct mwx_nats_opts {
    const char *url;  /* "nats://127.0.0.1:4222" (comma-separated for a cluster) */
    const char *user; /* NULL: none */
    const char *password;
    const char *name;        /* connection name (shown by the server), may be NULL */
    int direct;              /* 1: handlers on nats.c's threads (one per subscription,
                             * so handlers of two subscriptions may run at once), no
                             * queue hop; 0: handlers in mwx_bus_poll, one at a time */
    int caller_thread;       /* with direct 0: 1 = handlers always on the thread calling
                             * mwx_bus_poll (a thread wake-up per message); 0 = a
                             * message arriving while poll waits idle is handled at once
                             * on nats.c's thread, still only inside poll and never
                             * beside the caller (lower latency) */
    int send_asap;           /* 1: natsOptions_SetSendAsap (low latency) */
    int yield_after_publish; /* 1: sched_yield() once after each publish, so that the
                              * threads the write woke (a nats-server on the same host,
                              * a partner's reader) run before the caller's next work;
                              * for a node that publishes on the thread that then fuses
                              * and warns, on a host with few cores (docs/BENCHMARKS.md,
                              * issue 14: 0 to about -100 us at p50 on 2 shared cores). Costs
                              * one system call; under load the caller may wait one
                              * scheduler slice behind a neighbour. 0: off */
    int max_reconnect;       /* attempts before the bus is closed; < 0 forever; 0 = 60 */
    double reconnect_wait_s; /* 0 = 0.5 */
    size_t queue_slots;      /* poll queue depth (0 = 4096), slots of MWX_ENVELOPE_MAX */
    /* TLS (mutual): tls_ca set turns it on; the server must present a certificate of
     * that CA, and this client presents tls_cert/tls_key (both or neither). The server's
     * name is checked against tls_server_name, or else the URLs' host when it is a DNS
     * name (nats.c cannot check an IP address: then only the chain is checked). */
    const char *tls_ca;
    const char *tls_cert;
    const char *tls_key;
    const char *tls_server_name;
} mwx_nats_opts_t;
/* Opens and connects. MWX_EBUS (exit status 3) when the server cannot be reached. */
MWX_API MWX_NODISCARD int mwx_bus_nats_open(const mwx_nats_opts_t *o, mwx_bus_t **out,
                                            mwx_err_t *err);
/* Check TLS files before use (a clear message instead of a handshake failure): the CA
 * certificate readable, cert issued by it and valid now, key (0600) its private key.
 * MWX_ENOTFOUND, MWX_EINVAL or MWX_ECRYPTO (exit status 1), naming the file. */
MWX_API MWX_NODISCARD int mwx_nats_tls_check(const char *ca, const char *cert, const char *key,
                                             mwx_err_t *err);
/* Read a credentials file written by `mwx nats-config` ("user=..\npassword=..\n") into
 * user/password buffers. */
MWX_API MWX_NODISCARD int mwx_nats_creds_load(const char *path, char *user, size_t user_n,
                                              char *password, size_t password_n, mwx_err_t *err);

/* ------------------------------------------------------------------ nats-config */

typedef struct mwx_nats_config_opts {
    int hub_leaf;                 /* 0: one server; 1: hub + one leaf config per nation */
    int port;                     /* client port written into the config (0 = 4222) */
    int leaf_port;                /* hub's leafnode port (0 = 7422) */
    const char *host;             /* listen address (NULL = "127.0.0.1") */
    int tls;                      /* 1: mutual TLS on every listener, users known by their client
                             * certificates (DIR/tls/, below); no creds files */
    const char *const *tls_names; /* more names for the server certificates: "NAME" (every
                             * server) or "WHO=NAME" (WHO: nats, hub, leaf-N or nation N) */
    size_t n_tls_names;
    int tls_days; /* validity of the issued certificates (0 = 825 days) */
} mwx_nats_config_opts_t;

/* Write DIR/nats-server.conf (or DIR/hub.conf + DIR/leaf-<NATION>.conf) and
 * DIR/<NATION>.creds (0600, random password; bcrypt is not needed: the config file is
 * itself secret, 0600). Atomic per file. With tls: no creds; DIR/tls/ca.{crt,key} (kept
 * when present), nats.{crt,key} (or hub and leaf-N), node-N and sensors-N client
 * certificates (subject CN=node|sensors|leaf, OU=N, O=mwx). */
MWX_API MWX_NODISCARD int mwx_nats_config_write(const mwx_policy_t *p,
                                                const mwx_nats_config_opts_t *o, const char *dir,
                                                mwx_err_t *err);

#ifdef __cplusplus
}
#endif

#endif /* MWX_SHARE_H */
