/* Gap recovery per partner, as a state machine (gap_async.h). */
#include "gap_async.h"

#include <string.h>

void mwxi_gap_peer_init(gap_peer_t *p, const char *nation)
{
    memset(p, 0, sizeof *p);
    mwx_strlcpy(p->nation, nation, sizeof p->nation);
}

void mwxi_gap_peer_seen(gap_peer_t *p, uint64_t seq)
{
    if (seq == 0)
        return; /* not data */
    if (!p->seen) {
        p->seen = 1;
        p->first = seq;
    } else if (seq < p->first) {
        p->first = seq;
    }
}

int mwxi_gap_peer_heard(gap_peer_t *p, double now)
{
    int back = p->last_heard > 0 && now - p->last_heard > GAP_BACK_AFTER_S && p->backoff_s > 0 &&
               p->next_try > now;
    p->last_heard = now;
    if (!back)
        return 0;
    /* the request in flight, if any, stands; if it fails, the backoff starts again low */
    p->backoff_s = 0;
    p->next_try = now;
    return 1;
}

int mwxi_gap_peer_plan(gap_peer_t *p, const mwx_receiver_t *r, double now, double timeout_s,
                       uint64_t *from, uint64_t *to, uint32_t *token)
{
    uint64_t f, t;
    if (!p->seen || p->pending || now < p->next_try)
        return 0;
    int backfill = !p->backfilled;
    if (backfill) {
        /* first sight: it may have sent before we listened (the GAP_BACKFILL_SEQS below the
         * highest seq: within the replay window) */
        uint64_t hi = mwx_receiver_highest(r, p->nation);
        if (p->first <= 1) {
            p->backfilled = 1;
            return 0;
        }
        f = p->first > GAP_BACKFILL_SEQS - 1 ? p->first - (GAP_BACKFILL_SEQS - 1) : 1;
        if (hi >= GAP_BACKFILL_SEQS && f <= hi - GAP_BACKFILL_SEQS)
            f = hi - GAP_BACKFILL_SEQS + 1;
        t = p->first - 1;
        if (f > t) {
            p->backfilled = 1;
            return 0;
        }
    } else if (mwx_receiver_missing(r, p->nation, &f, &t) != MWX_OK) {
        p->empty_answers = 0;
        return 0;
    }
    if (t - f >= GAP_MAX_RANGE) {
        if (backfill) /* the seqs just before the first one count: from the top */
            f = t - GAP_MAX_RANGE + 1;
        else
            t = f + GAP_MAX_RANGE - 1;
    }
    p->pending = 1;
    p->pending_backfill = backfill;
    p->token++;
    p->deadline = now + timeout_s;
    p->req_from = f;
    p->req_to = t;
    p->requests++;
    *from = f;
    *to = t;
    *token = p->token;
    return 1;
}

double mwxi_gap_peer_failed(gap_peer_t *p, double now)
{
    p->pending = 0;
    p->failures++;
    p->backoff_s = p->backoff_s <= 0 ? GAP_BACKOFF_MIN_S : p->backoff_s * 2;
    if (p->backoff_s > GAP_BACKOFF_MAX_S)
        p->backoff_s = GAP_BACKOFF_MAX_S;
    p->next_try = now + p->backoff_s; /* from the failure, not from when it was sent */
    return p->backoff_s;
}

int mwxi_gap_peer_expired(const gap_peer_t *p, double now)
{
    return p->pending && now >= p->deadline;
}

int mwxi_gap_peer_matches(const gap_peer_t *p, uint32_t token)
{
    return p->pending && token == p->token;
}

int mwxi_gap_peer_answered(gap_peer_t *p, double now, uint64_t recovered)
{
    int not_held = 0;
    p->pending = 0;
    p->replies++;
    p->backoff_s = 0;
    /* a backfill goes on below what it brought back, until it brings nothing */
    if (p->pending_backfill && (recovered == 0 || p->first > p->req_to))
        p->backfilled = 1;
    if (recovered > 0) {
        p->empty_answers = 0;
    } else if (p->req_from == p->last_from && p->req_to == p->last_to && ++p->empty_answers >= 3) {
        not_held = p->empty_answers == 3;
        p->next_try = now + GAP_EMPTY_RETRY_S;
    }
    p->last_from = p->req_from;
    p->last_to = p->req_to;
    return not_held;
}
