/* The in-process bus: every node of one process on a shared hub, deterministic.
 *
 * publish() appends a copy to the FIFO of each endpoint with a matching subscription
 * (in endpoint creation order); an endpoint's poll() swaps its FIFO out and delivers it
 * in publish order, so messages published by handlers wait for the next poll. Queue
 * buffers grow by doubling and are reused: no allocation per message in steady state.
 * With a policy the hub applies the rules `mwx nats-config` gives a nats-server. */
#include "core/grow.h"
#include "share_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENDPOINTS 64
#define MAX_SUBS      32

typedef struct qbuf {
    uint8_t *p;
    size_t len, cap;
} qbuf_t;

typedef struct sub {
    char pattern[MWX_SUBJECT_LEN];
    mwx_bus_handler_fn fn;
    void *user;
} sub_t;

typedef struct endpoint {
    mwx_bus_t bus;
    struct mwx_inproc_hub *hub;
    int id;
    char nation[MWX_ID_LEN];
    sub_t subs[MAX_SUBS];
    int n_subs;
    qbuf_t q, work;
    mwx_bus_stats_t st;
    char last_error[256];
    /* pending request (synchronous) */
    char inbox[64];
    uint8_t *reply;
    size_t reply_cap, *reply_len;
    int replied;
} endpoint_t;

struct mwx_inproc_hub {
    int has_policy;
    mwx_policy_t policy;
    endpoint_t *ep[MAX_ENDPOINTS];
    int n;
    uint64_t requests;
    int next_id;
};

static endpoint_t *EP(mwx_bus_t *b)
{
    return (endpoint_t *)b->impl;
}

int mwx_inproc_hub_create(const mwx_policy_t *policy, mwx_inproc_hub_t **out, mwx_err_t *err)
{
    mwx_inproc_hub_t *h = calloc(1, sizeof *h);
    *out = NULL;
    if (!h)
        return mwx_err_set(err, MWX_ENOMEM, "inproc bus: out of memory");
    if (policy) {
        h->has_policy = 1;
        h->policy = *policy;
    }
    *out = h;
    return MWX_OK;
}

void mwx_inproc_hub_destroy(mwx_inproc_hub_t *h)
{
    free(h);
}

/* Split "a.b.c.d" into up to 4 tokens (copies); returns the token count (5 = more). */
static int tokens4(const char *s, char t[4][MWX_SUBJECT_LEN])
{
    int n = 0;
    while (*s) {
        if (n == 4)
            return 5;
        const char *e = strchr(s, '.');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        if (l >= MWX_SUBJECT_LEN)
            return 5;
        memcpy(t[n], s, l);
        t[n][l] = 0;
        n++;
        if (!e)
            break;
        s = e + 1;
    }
    return n;
}

/* What a nats-server configured by mwx nats-config lets `nation` publish. */
static int may_publish(const mwx_inproc_hub_t *h, const char *nation, const char *subject)
{
    char t[4][MWX_SUBJECT_LEN];
    if (!h->has_policy)
        return 1;
    if (strncmp(subject, "_INBOX.", 7) == 0)
        return 1;
    int n = tokens4(subject, t);
    if (n == 4 && strcmp(t[0], "mwx") == 0 && strcmp(t[2], nation) == 0)
        return 1;
    if (n == 3 && strcmp(t[0], "mwx-gap") == 0 && strcmp(t[2], nation) == 0)
        return 1;
    if (n == 2 && strcmp(t[0], "mwx-meas") == 0 && strcmp(t[1], nation) == 0)
        return 1; /* its own sensor feed */
    return 0;
}

/* ... and what it lets `nation` receive. */
static int may_receive(const mwx_inproc_hub_t *h, const char *nation, const char *subject)
{
    char t[4][MWX_SUBJECT_LEN];
    if (!h->has_policy)
        return 1;
    int n = tokens4(subject, t);
    if (n == 4 && strcmp(t[0], "mwx") == 0)
        return strcmp(t[3], nation) == 0 && mwx_policy_allows(&h->policy, t[2], t[3]);
    if (n == 3 && strcmp(t[0], "mwx-gap") == 0)
        return strcmp(t[1], nation) == 0 && mwx_policy_allows(&h->policy, t[1], t[2]);
    if (n == 2 && strcmp(t[0], "mwx-meas") == 0)
        return strcmp(t[1], nation) == 0;
    return 0;
}

static int q_push(qbuf_t *q, const char *subject, const uint8_t *data, size_t len)
{
    size_t sl = strlen(subject) + 1;
    size_t need = 2 * sizeof(size_t) + sl + len;
    if (mwxi_grow(&q->p, &q->cap, q->len + need, 1, 65536) != 0)
        return MWX_ENOMEM;
    memcpy(q->p + q->len, &sl, sizeof sl);
    memcpy(q->p + q->len + sizeof sl, &len, sizeof len);
    memcpy(q->p + q->len + 2 * sizeof(size_t), subject, sl);
    if (len)
        memcpy(q->p + q->len + 2 * sizeof(size_t) + sl, data, len);
    q->len += need;
    return MWX_OK;
}

static int has_match(const endpoint_t *e, const char *subject)
{
    for (int i = 0; i < e->n_subs; i++)
        if (mwx_subject_match(e->subs[i].pattern, subject))
            return 1;
    return 0;
}

static int ip_connect(mwx_bus_t *b, mwx_err_t *err)
{
    return MWX_OK;
}

static int ip_publish(mwx_bus_t *b, const char *subject, const uint8_t *data, size_t len,
                      mwx_err_t *err)
{
    endpoint_t *e = EP(b);
    mwx_inproc_hub_t *h = e->hub;

    if (!may_publish(h, e->nation, subject)) {
        snprintf(e->last_error, sizeof e->last_error, "permissions violation for publish to \"%s\"",
                 subject);
        return mwx_err_set(err, MWX_EINVAL, "inproc bus: %s: %s", e->nation, e->last_error);
    }
    e->st.published++;
    if (strncmp(subject, "_INBOX.", 7) == 0) {
        /* A reply to a pending request. */
        for (int i = 0; i < h->n; i++) {
            endpoint_t *r = h->ep[i];
            if (r->reply_len && !r->replied && strcmp(r->inbox, subject) == 0) {
                if (len > r->reply_cap)
                    return mwx_err_set(err, MWX_EFULL, "inproc bus: reply of %zu bytes", len);
                memcpy(r->reply, data, len);
                *r->reply_len = len;
                r->replied = 1;
            }
        }
        return MWX_OK;
    }
    for (int i = 0; i < h->n; i++) {
        endpoint_t *r = h->ep[i];
        if (!has_match(r, subject) || !may_receive(h, r->nation, subject))
            continue;
        if (q_push(&r->q, subject, data, len) < 0)
            return mwx_err_set(err, MWX_ENOMEM, "inproc bus: out of memory");
    }
    return MWX_OK;
}

static int ip_subscribe(mwx_bus_t *b, const char *pattern, mwx_bus_handler_fn fn, void *user,
                        mwx_err_t *err)
{
    endpoint_t *e = EP(b);
    if (e->n_subs >= MAX_SUBS)
        return mwx_err_set(err, MWX_EFULL, "inproc bus: more than %d subscriptions", MAX_SUBS);
    if (strlen(pattern) >= MWX_SUBJECT_LEN || !pattern[0])
        return mwx_err_set(err, MWX_EINVAL, "inproc bus: bad subject pattern");
    sub_t *s = &e->subs[e->n_subs++];
    mwx_strlcpy(s->pattern, pattern, sizeof s->pattern);
    s->fn = fn;
    s->user = user;
    return MWX_OK;
}

static void deliver(endpoint_t *e, const char *subject, const uint8_t *data, size_t len,
                    const char *reply)
{
    for (int i = 0; i < e->n_subs; i++)
        if (mwx_subject_match(e->subs[i].pattern, subject)) {
            e->st.delivered++;
            e->subs[i].fn(e->subs[i].user, subject, data, len, reply);
        }
}

static int ip_poll(mwx_bus_t *b, double timeout_s, mwx_err_t *err)
{
    endpoint_t *e = EP(b);
    qbuf_t t = e->work;
    int n = 0;
    e->work = e->q;
    e->q = t;
    e->q.len = 0;
    for (size_t off = 0; off < e->work.len;) {
        size_t sl, len;
        memcpy(&sl, e->work.p + off, sizeof sl);
        memcpy(&len, e->work.p + off + sizeof sl, sizeof len);
        const char *subject = (const char *)e->work.p + off + 2 * sizeof(size_t);
        const uint8_t *data = e->work.p + off + 2 * sizeof(size_t) + sl;
        deliver(e, subject, data, len, NULL);
        n++;
        off += 2 * sizeof(size_t) + sl + len;
    }
    e->work.len = 0;
    return n;
}

static int ip_request(mwx_bus_t *b, const char *subject, const uint8_t *data, size_t len,
                      double timeout_s, uint8_t *reply, size_t cap, size_t *reply_len,
                      mwx_err_t *err)
{
    endpoint_t *e = EP(b);
    mwx_inproc_hub_t *h = e->hub;
    int listeners = 0;

    if (!may_publish(h, e->nation, subject)) {
        snprintf(e->last_error, sizeof e->last_error, "permissions violation for publish to \"%s\"",
                 subject);
        return mwx_err_set(err, MWX_EINVAL, "inproc bus: %s: %s", e->nation, e->last_error);
    }
    snprintf(e->inbox, sizeof e->inbox, "_INBOX.%d.%llu", e->id, (unsigned long long)++h->requests);
    e->reply = reply;
    e->reply_cap = cap;
    e->reply_len = reply_len;
    e->replied = 0;
    *reply_len = 0;
    e->st.published++;
    for (int i = 0; i < h->n && !e->replied; i++) {
        endpoint_t *r = h->ep[i];
        if (!has_match(r, subject) || !may_receive(h, r->nation, subject))
            continue;
        listeners++;
        deliver(r, subject, data, len, e->inbox);
    }
    int replied = e->replied;
    e->reply_len = NULL;
    e->inbox[0] = 0;
    if (!listeners)
        return mwx_err_set(err, MWX_ENOTFOUND, "inproc bus: no responders on %s", subject);
    if (!replied)
        return mwx_err_set(err, MWX_EAGAIN, "inproc bus: no reply on %s", subject);
    return MWX_OK;
}

static int ip_flush(mwx_bus_t *b, double timeout_s, mwx_err_t *err)
{
    return MWX_OK;
}

static void ip_stats(mwx_bus_t *b, mwx_bus_stats_t *st)
{
    *st = EP(b)->st;
    st->connected = 1;
}

static const char *ip_last_error(mwx_bus_t *b)
{
    return EP(b)->last_error;
}

static void ip_close(mwx_bus_t *b)
{
    endpoint_t *e = EP(b);
    mwx_inproc_hub_t *h = e->hub;
    for (int i = 0; i < h->n; i++)
        if (h->ep[i] == e) {
            memmove(&h->ep[i], &h->ep[i + 1], (size_t)(h->n - i - 1) * sizeof h->ep[0]);
            h->n--;
            break;
        }
    free(e->q.p);
    free(e->work.p);
    free(e);
}

static const mwx_bus_ops_t inproc_ops = {
    "inproc", ip_connect, ip_publish,    ip_subscribe, ip_request, ip_poll,
    ip_flush, ip_stats,   ip_last_error, ip_close,     NULL, /* requests are synchronous */
};

int mwx_bus_inproc_open(mwx_inproc_hub_t *h, const char *nation, mwx_bus_t **out, mwx_err_t *err)
{
    *out = NULL;
    if (!nation || !mwxi_share_id_ok(nation, strlen(nation)))
        return mwx_err_set(err, MWX_EINVAL, "inproc bus: bad nation id");
    if (h->n >= MAX_ENDPOINTS)
        return mwx_err_set(err, MWX_EFULL, "inproc bus: more than %d endpoints", MAX_ENDPOINTS);
    endpoint_t *e = calloc(1, sizeof *e);
    if (!e)
        return mwx_err_set(err, MWX_ENOMEM, "inproc bus: out of memory");
    e->bus.ops = &inproc_ops;
    e->bus.impl = e;
    e->hub = h;
    e->id = h->next_id++;
    mwx_strlcpy(e->nation, nation, sizeof e->nation);
    h->ep[h->n++] = e;
    *out = &e->bus;
    return MWX_OK;
}
