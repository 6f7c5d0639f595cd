/* Internal to `mwx node`: per-partner gap recovery as a state machine, without a bus or a
 * clock of its own (the service sends the requests and passes the times), so that a
 * request never blocks the node's loop and the fuzz target can drive it
 * (fuzz/fuzz_receiver_seq.c).
 *
 * One request per partner is in flight at a time; its reply arrives later on the node's
 * reply inbox and names the request by token (a reply with another token, or none in
 * flight, is ignored: it could be late, replayed or forged; the envelopes it carries are
 * verified anyway). A request that fails (refused, no reply by its deadline) backs off
 * from the time of the failure: 1 s, 2 s, 4 s ... up to GAP_BACKOFF_MAX_S. */
#ifndef MWX_NODE_GAP_ASYNC_H
#define MWX_NODE_GAP_ASYNC_H

#include "mwx/share.h"

#define GAP_MAX_RANGE     256 /* seqs per request */
#define GAP_TIMEOUT_S     2.0 /* a request's deadline */
#define GAP_BACKOFF_MIN_S 1.0
#define GAP_BACKOFF_MAX_S 30.0
#define GAP_EMPTY_RETRY_S 10.0 /* after 3 empty answers for the same range */
/* A partner heard live again after this long a silence (3 heartbeat periods: the
 * service's READY_HEARD_S) is taken to be reachable again: a request that failed while it
 * was away is retried at once, not after the backoff the failures built up (up to
 * GAP_BACKOFF_MAX_S: at 33x, a 16 s wait was 530 s of scenario after a link cut, and every
 * missile had landed before its reports came). A partner that keeps talking but never
 * answers is never silent, so its backoff stands. */
#define GAP_BACK_AFTER_S 3.0
/* At first sight of a partner, the seqs just before the first one are asked for (it may
 * have sent before this node listened), down to this many below its highest seq: as
 * before the replay window grew to 8192 (a node joining a running network, or restarted
 * on an inbox whose history of the partner is longer than this, pulls no more) */
#define GAP_BACKFILL_SEQS 1024

typedef struct gap_peer {
    char nation[MWX_ID_LEN];
    int seen;       /* data accepted from it yet */
    int backfilled; /* the seqs before the first one seen were asked for */
    uint64_t first; /* lowest data seq accepted */
    int pending;    /* a request in flight */
    int pending_backfill;
    uint32_t token; /* of the request in flight */
    double deadline;
    uint64_t req_from, req_to;
    double next_try;  /* wall time the next request may go */
    double backoff_s; /* 0 after a success; doubles per failure */
    uint64_t last_from, last_to;
    int empty_answers;
    uint64_t requests, failures, replies, ignored_replies;
    double last_heard; /* wall time of the last envelope accepted live (0: never; /readyz) */
    uint64_t given_up_logged, jumps_logged; /* the receiver's counts last logged */
} gap_peer_t;

void mwxi_gap_peer_init(gap_peer_t *p, const char *nation);
/* A data envelope with seq was accepted from the partner. */
void mwxi_gap_peer_seen(gap_peer_t *p, uint64_t seq);
/* An envelope from the partner was accepted live at wall time now (last_heard is updated
 * here): after a silence of GAP_BACK_AFTER_S, a backoff in force is dropped (the next
 * request may go now). Returns 1 when it was. */
int mwxi_gap_peer_heard(gap_peer_t *p, double now);
/* 1 when a request for [*from, *to] (at most GAP_MAX_RANGE seqs) should be sent now; it is
 * then in flight under *token until now + timeout_s. 0 otherwise. */
int mwxi_gap_peer_plan(gap_peer_t *p, const mwx_receiver_t *r, double now, double timeout_s,
                       uint64_t *from, uint64_t *to, uint32_t *token);
/* The request in flight could not be sent, or found no responder, or its deadline passed:
 * now is the time of the failure (taken after it). Returns the backoff applied (s). */
double mwxi_gap_peer_failed(gap_peer_t *p, double now);
/* 1 when a request is in flight past its deadline. */
int mwxi_gap_peer_expired(const gap_peer_t *p, double now);
/* Does a reply with this token answer the request in flight? */
int mwxi_gap_peer_matches(const gap_peer_t *p, uint32_t token);
/* The reply to the request in flight came and `recovered` of its envelopes were
 * accepted. Returns 1 when the range is now taken as not held by the partner (3 empty
 * answers for the same range: retried every GAP_EMPTY_RETRY_S), else 0. */
int mwxi_gap_peer_answered(gap_peer_t *p, double now, uint64_t recovered);

#endif
