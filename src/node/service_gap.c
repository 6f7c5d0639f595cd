/* Gap recovery of `mwx node`: a partner's missing seqs asked for with signed gap requests
 * (gap_async.c keeps the per-partner state), replies fed to the node core. */
#define _POSIX_C_SOURCE 200809L
#include "service_state.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void on_gap_env(void *user, const uint8_t *env, size_t len)
{
    svc_t *s = user;
    s->gap_recovered++;
    mwxi_svc_deliver(s, env, len, 0);
}

/* Asynchronous: a request goes out with a reply subject naming the partner and the
 * request's token, and the loop goes on; the reply is handled by on_gap_reply whenever it
 * comes (inside the bus poll, like any message). A silent or refusing partner costs one
 * publish per backoff period, never a wait: nothing it does delays another partner's
 * traffic or the public warning. */
static void gap_reply_subject(const svc_t *s, int i, uint32_t token, char *out, size_t n)
{
    snprintf(out, n, "_INBOX.mwxgap.%s.%08x.%d.%u", s->cfg->nation, s->gap_nonce, i,
             (unsigned)token);
}

static void gap_outcome(svc_t *s, partner_t *p, double now, uint64_t recovered)
{
    if (recovered > 0)
        mwxi_svc_logf(s, "gap from %s: seq %llu..%llu requested, %llu envelopes recovered",
                      p->nation, (unsigned long long)p->req_from, (unsigned long long)p->req_to,
                      (unsigned long long)recovered);
    if (mwxi_gap_peer_answered(p, now, recovered))
        mwxi_svc_logw(s, "gap from %s: seq %llu..%llu not held by %s (retrying every %.0f s)",
                      p->nation, (unsigned long long)p->req_from, (unsigned long long)p->req_to,
                      p->nation, GAP_EMPTY_RETRY_S);
}

static void gap_failed(svc_t *s, partner_t *p, const char *why)
{
    double b = mwxi_gap_peer_failed(p, mwx_time_wall()); /* backoff from the failure */
    s->gap_failed++;
    if (p->failures == 1 || (p->failures & (p->failures - 1)) == 0)
        mwxi_svc_logw(s, "gap request to %s failed (%s; %llu so far); next try in %.0f s",
                      p->nation, why, (unsigned long long)p->failures, b);
}

void mwxi_svc_on_gap_reply(void *user, const char *subject, const uint8_t *data, size_t len,
                           const char *reply)
{
    svc_t *s = user;
    char want[MWX_SUBJECT_LEN];
    int i;
    unsigned token;
    const char *tail = strrchr(subject, '.');
    /* _INBOX.mwxgap.<me>.<nonce>.<i>.<token> */
    if (!tail)
        return;
    token = (unsigned)strtoul(tail + 1, NULL, 10);
    const char *pi = tail - 1;
    while (pi > subject && pi[-1] != '.')
        pi--;
    i = atoi(pi);
    if (i < 0 || i >= s->n_partner)
        return;
    gap_reply_subject(s, i, token, want, sizeof want);
    partner_t *p = &s->partner[i];
    if (strcmp(want, subject) != 0 || !mwxi_gap_peer_matches(p, token)) {
        p->ignored_replies++; /* late (after its deadline), replayed or not ours */
        return;
    }
    uint64_t before = s->gap_recovered;
    (void)mwx_gap_reply_each(data, len, on_gap_env, s);
    gap_outcome(s, p, mwx_time_wall(), s->gap_recovered - before);
}

void mwxi_svc_gap_check(svc_t *s, double now)
{
    mwx_receiver_t *r = mwx_node_receiver(s->node);
    for (int i = 0; i < s->n_partner; i++) {
        partner_t *p = &s->partner[i];
        uint64_t from, to;
        uint32_t token;
        size_t len, reply_len;
        char subject[MWX_SUBJECT_LEN], reply[MWX_SUBJECT_LEN];
        mwx_err_t e = {0};
        int rc;
        if (mwxi_gap_peer_expired(p, now))
            gap_failed(s, p, "no reply in time");
        if (!mwxi_gap_peer_plan(p, r, now, GAP_TIMEOUT_S, &from, &to, &token))
            continue;
        if ((rc = mwx_gap_request_seal(&s->key, p->nation, from, to, mwx_time_wall(), s->gap_req,
                                       sizeof s->gap_req, &len, &e)) != MWX_OK ||
            (rc = mwx_subject_gap(p->nation, s->cfg->nation, subject)) != MWX_OK) {
            gap_failed(s, p, e.msg);
            continue;
        }
        gap_reply_subject(s, i, token, reply, sizeof reply);
        rc = mwx_bus_publish_request(s->inner, subject, reply, s->gap_req, len, &e);
        if (rc == MWX_OK)
            continue;
        if (rc != MWX_EUNSUPPORTED) {
            gap_failed(s, p, e.msg);
            continue;
        }
        /* a bus without asynchronous requests (inproc: answered at once, in process) */
        rc = mwx_bus_request(s->inner, subject, s->gap_req, len, GAP_TIMEOUT_S, s->gap_reply,
                             sizeof s->gap_reply, &reply_len, &e);
        if (rc != MWX_OK) {
            gap_failed(s, p, e.msg);
            continue;
        }
        uint64_t before = s->gap_recovered;
        (void)mwx_gap_reply_each(s->gap_reply, reply_len, on_gap_env, s);
        gap_outcome(s, p, mwx_time_wall(), s->gap_recovered - before);
    }
}
