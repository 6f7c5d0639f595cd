/* The NATS bus (nats.c). Messages arrive on nats.c's delivery threads; unless `direct`,
 * handlers run only while the caller is inside mwx_bus_poll() and never two at once, so a
 * node stays single-threaded (in effect: one handler or the caller runs at a time):
 *   - while poll waits with nothing queued (the `gate` is open), the first message is
 *     handled at once on the nats.c thread that received it; the caller is not woken
 *     to do it, which saves a thread wake-up (tens of us) on the receive path;
 *   - otherwise messages wait in a bounded ring (pointers to nats.c's messages, no
 *     copy) and poll runs them on the caller's thread, in arrival order. A message
 *     never overtakes one queued before it.
 * With `caller_thread` every message goes through the ring (handlers on the caller's
 * thread only).
 * Connection events (disconnect, reconnect, close, permission errors) update the stats and
 * the last error; once the connection is closed every call returns MWX_EBUS. */
#include "share_int.h"

#include <nats/nats.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SUBS 32

typedef struct nsub {
    struct nbus *nb;
    natsSubscription *sub;
    mwx_bus_handler_fn fn;
    void *user;
} nsub_t;

typedef struct qent {
    nsub_t *s;
    natsMsg *m;
    int key; /* origin slot in `share`, -1 for other subjects */
} qent_t;

/* Each origin's share of the ring is bounded (q_cap / MWX_MAX_NATIONS slots, more while
 * a share per known origin stays free), so that one partner's flood cannot push out
 * another partner's traffic. The origin is the third
 * token of mwx.<kind>.<origin>.<recipient>: with `mwx nats-config` accounts the server
 * lets only that origin publish there. */
#define SHARE_KEYS 32
typedef struct share_slot {
    char origin[MWX_ID_LEN];
    size_t queued;
} share_slot_t;

typedef struct nbus {
    mwx_bus_t bus;
    natsOptions *opts;
    natsConnection *nc;
    int direct;
    int caller_thread;
    int yield_after_publish;
    nsub_t subs[MAX_SUBS];
    int n_subs;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    qent_t *q;
    size_t q_cap, q_head, q_n;
    int gate;          /* poll is waiting with an empty ring: handle in place */
    int busy;          /* a handler runs on a nats.c thread (gate mode) */
    uint64_t in_place; /* handled in place since poll last counted */
    mwx_bus_stats_t st;
    int closed;
    int closed_cb_done; /* nats.c's closed callback has run: no more connection events */
    int live_subs;      /* subscriptions whose handler may still run */
    char last_error[512];
    char last_error_copy[512]; /* handed out: nats.c threads only write last_error */
    uint64_t slow_events;      /* slow-consumer notices from nats.c */
    share_slot_t share[SHARE_KEYS];
    int n_share;
} nbus_t;

static nbus_t *NB(mwx_bus_t *b)
{
    return (nbus_t *)b->impl;
}

static void set_error(nbus_t *nb, const char *a, const char *b)
{
    pthread_mutex_lock(&nb->mu);
    snprintf(nb->last_error, sizeof nb->last_error, "%s: %s", a, b);
    pthread_mutex_unlock(&nb->mu);
}

static int bus_fail(nbus_t *nb, mwx_err_t *err, const char *what, natsStatus s)
{
    char text[256];
    if (nb->nc) {
        const char *le = NULL;
        natsConnection_GetLastError(nb->nc, &le);
        snprintf(text, sizeof text, "%s%s%s", natsStatus_GetText(s), le && *le ? ": " : "",
                 le && *le ? le : "");
    } else {
        /* no connection yet: nats.c keeps the reason (e.g. a TLS handshake's) per thread */
        const char *le = nats_GetLastError(NULL);
        snprintf(text, sizeof text, "%s%s%s", natsStatus_GetText(s), le && *le ? ": " : "",
                 le && *le ? le : "");
    }
    set_error(nb, what, text);
    return mwx_err_set(err, MWX_EBUS, "nats bus: %s: %s", what, text);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    nbus_t *nb = closure;
    pthread_mutex_lock(&nb->mu);
    nb->st.disconnects++;
    nb->st.connected = 0;
    snprintf(nb->last_error, sizeof nb->last_error, "disconnected from the server");
    pthread_mutex_unlock(&nb->mu);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
    nbus_t *nb = closure;
    pthread_mutex_lock(&nb->mu);
    nb->st.reconnects++;
    nb->st.connected = 1;
    pthread_mutex_unlock(&nb->mu);
}

static void on_closed(natsConnection *nc, void *closure)
{
    nbus_t *nb = closure;
    pthread_mutex_lock(&nb->mu);
    if (!nb->closed)
        snprintf(nb->last_error, sizeof nb->last_error,
                 "connection closed (server gone and reconnect attempts exhausted)");
    nb->closed = 1;
    nb->closed_cb_done = 1;
    nb->st.connected = 0;
    pthread_cond_broadcast(&nb->cv);
    pthread_mutex_unlock(&nb->mu);
}

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus s, void *closure)
{
    nbus_t *nb = closure;
    const char *le = NULL;
    natsConnection_GetLastError(nc, &le);
    pthread_mutex_lock(&nb->mu);
    /* counted, so that a node can see it runs with the wrong credentials or too slow */
    if (s == NATS_NOT_PERMITTED || (le && strstr(le, "Permissions Violation"))) {
        if (le && strstr(le, "Subscription"))
            nb->st.denied_subscribe++;
        else
            nb->st.denied_publish++;
    } else if (s == NATS_SLOW_CONSUMER) {
        nb->slow_events++;
    }
    snprintf(nb->last_error, sizeof nb->last_error, "%s%s%s", natsStatus_GetText(s),
             le && *le ? ": " : "", le && *le ? le : "");
    pthread_mutex_unlock(&nb->mu);
}

static void on_sub_complete(void *closure)
{
    nbus_t *nb = closure;
    pthread_mutex_lock(&nb->mu);
    nb->live_subs--;
    pthread_cond_broadcast(&nb->cv);
    pthread_mutex_unlock(&nb->mu);
}

/* The origin slot of a data subject (caller holds mu), -1 for other subjects. */
static int share_key(nbus_t *nb, const char *subject)
{
    const char *a, *b;
    if (strncmp(subject, "mwx.", 4) != 0 || !(a = strchr(subject + 4, '.')) ||
        !(b = strchr(a + 1, '.')) || (size_t)(b - a - 1) >= MWX_ID_LEN)
        return -1;
    size_t n = (size_t)(b - a - 1);
    for (int i = 0; i < nb->n_share; i++)
        if (strlen(nb->share[i].origin) == n && memcmp(nb->share[i].origin, a + 1, n) == 0)
            return i;
    if (nb->n_share == SHARE_KEYS)
        return SHARE_KEYS - 1; /* more origins than any policy has: they share one slot */
    memcpy(nb->share[nb->n_share].origin, a + 1, n);
    nb->share[nb->n_share].origin[n] = 0;
    return nb->n_share++;
}

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *closure)
{
    nsub_t *s = closure;
    nbus_t *nb = s->nb;
    if (nb->direct) {
        s->fn(s->user, natsMsg_GetSubject(m), (const uint8_t *)natsMsg_GetData(m),
              (size_t)natsMsg_GetDataLength(m), natsMsg_GetReply(m));
        natsMsg_Destroy(m);
        pthread_mutex_lock(&nb->mu);
        nb->st.delivered++;
        pthread_mutex_unlock(&nb->mu);
        return;
    }
    pthread_mutex_lock(&nb->mu);
    if (nb->gate && !nb->busy && nb->q_n == 0 && !nb->closed) {
        /* the caller waits in poll: run the handler here, excluded from the caller by
         * `busy` (poll does not return while it is set) */
        nb->busy = 1;
        pthread_mutex_unlock(&nb->mu);
        s->fn(s->user, natsMsg_GetSubject(m), (const uint8_t *)natsMsg_GetData(m),
              (size_t)natsMsg_GetDataLength(m), natsMsg_GetReply(m));
        natsMsg_Destroy(m);
        pthread_mutex_lock(&nb->mu);
        nb->busy = 0;
        nb->in_place++;
        nb->st.delivered++;
        pthread_cond_broadcast(&nb->cv);
        pthread_mutex_unlock(&nb->mu);
        return;
    }
    int key = share_key(nb, natsMsg_GetSubject(m));
    size_t fair = nb->q_cap / MWX_MAX_NATIONS > 0 ? nb->q_cap / MWX_MAX_NATIONS : 1;
    /* Beyond its fair share an origin borrows free room, but only while a fair share per
     * known origin stays free: a partner's burst (a durable sender publishes a whole
     * group commit at once) is not cut at 1/16 of the ring, and a flood still leaves
     * every other partner its share. */
    int over = key >= 0 && nb->share[key].queued >= fair &&
               nb->q_cap - nb->q_n <= (size_t)nb->n_share * fair;
    if (nb->q_n == nb->q_cap || over) {
        nb->st.dropped_queue_full++;
        pthread_mutex_unlock(&nb->mu);
        natsMsg_Destroy(m);
        return;
    }
    if (key >= 0)
        nb->share[key].queued++;
    qent_t *e = &nb->q[(nb->q_head + nb->q_n) % nb->q_cap];
    e->s = s;
    e->m = m;
    e->key = key;
    nb->q_n++;
    pthread_cond_signal(&nb->cv);
    pthread_mutex_unlock(&nb->mu);
}

static int nb_connect(mwx_bus_t *b, mwx_err_t *err)
{
    nbus_t *nb = NB(b);
    if (nb->nc)
        return MWX_OK;
    natsStatus s = natsConnection_Connect(&nb->nc, nb->opts);
    if (s != NATS_OK) {
        nb->nc = NULL;
        return bus_fail(nb, err, "cannot connect", s);
    }
    pthread_mutex_lock(&nb->mu);
    nb->st.connected = 1;
    pthread_mutex_unlock(&nb->mu);
    return MWX_OK;
}

static int check_open(nbus_t *nb, mwx_err_t *err)
{
    int closed;
    pthread_mutex_lock(&nb->mu);
    closed = nb->closed;
    pthread_mutex_unlock(&nb->mu);
    if (!nb->nc || closed)
        return mwx_err_set(err, MWX_EBUS, "nats bus: %s",
                           closed ? "connection closed (the server went away)" : "not connected");
    return MWX_OK;
}

static int nb_publish(mwx_bus_t *b, const char *subject, const uint8_t *data, size_t len,
                      mwx_err_t *err)
{
    nbus_t *nb = NB(b);
    int rc = check_open(nb, err);
    if (rc < 0)
        return rc;
    natsStatus s = natsConnection_Publish(nb->nc, subject, data, (int)len);
    if (s != NATS_OK)
        return bus_fail(nb, err, "publish", s);
    if (nb->yield_after_publish)
        sched_yield(); /* see mwx_nats_opts_t.yield_after_publish */
    pthread_mutex_lock(&nb->mu);
    nb->st.published++;
    pthread_mutex_unlock(&nb->mu);
    return MWX_OK;
}

static int nb_subscribe(mwx_bus_t *b, const char *pattern, mwx_bus_handler_fn fn, void *user,
                        mwx_err_t *err)
{
    nbus_t *nb = NB(b);
    int rc = check_open(nb, err);
    if (rc < 0)
        return rc;
    if (nb->n_subs >= MAX_SUBS)
        return mwx_err_set(err, MWX_EFULL, "nats bus: more than %d subscriptions", MAX_SUBS);
    nsub_t *s = &nb->subs[nb->n_subs];
    s->nb = nb;
    s->fn = fn;
    s->user = user;
    natsStatus st = natsConnection_Subscribe(&s->sub, nb->nc, pattern, on_msg, s);
    if (st != NATS_OK)
        return bus_fail(nb, err, "subscribe", st);
    natsSubscription_SetPendingLimits(s->sub, 65536, 256 * 1024 * 1024);
    pthread_mutex_lock(&nb->mu);
    nb->live_subs++;
    pthread_mutex_unlock(&nb->mu);
    if (natsSubscription_SetOnCompleteCB(s->sub, on_sub_complete, nb) != NATS_OK) {
        pthread_mutex_lock(&nb->mu);
        nb->live_subs--;
        pthread_mutex_unlock(&nb->mu);
    }
    nb->n_subs++;
    return MWX_OK;
}

static int nb_request(mwx_bus_t *b, const char *subject, const uint8_t *data, size_t len,
                      double timeout_s, uint8_t *reply, size_t cap, size_t *reply_len,
                      mwx_err_t *err)
{
    nbus_t *nb = NB(b);
    natsMsg *m = NULL;
    int rc = check_open(nb, err);
    if (rc < 0)
        return rc;
    *reply_len = 0;
    natsStatus s = natsConnection_Request(&m, nb->nc, subject, data, (int)len,
                                          (int64_t)(timeout_s * 1000 + 0.5));
    if (s == NATS_TIMEOUT)
        return mwx_err_set(err, MWX_EAGAIN, "nats bus: no reply on %s in %.3f s", subject,
                           timeout_s);
    if (s == NATS_NO_RESPONDERS)
        return mwx_err_set(err, MWX_ENOTFOUND, "nats bus: no responders on %s", subject);
    if (s != NATS_OK)
        return bus_fail(nb, err, "request", s);
    size_t n = (size_t)natsMsg_GetDataLength(m);
    if (n > cap) {
        natsMsg_Destroy(m);
        return mwx_err_set(err, MWX_EFULL, "nats bus: reply of %zu bytes (buffer %zu)", n, cap);
    }
    memcpy(reply, natsMsg_GetData(m), n);
    *reply_len = n;
    natsMsg_Destroy(m);
    return MWX_OK;
}

static int nb_poll(mwx_bus_t *b, double timeout_s, mwx_err_t *err)
{
    nbus_t *nb = NB(b);
    int n = 0;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    if (timeout_s > 0) {
        double ns = until.tv_nsec + timeout_s * 1e9;
        until.tv_sec += (time_t)(ns / 1e9);
        until.tv_nsec = (long)(ns - (double)(time_t)(ns / 1e9) * 1e9);
    }
    pthread_mutex_lock(&nb->mu);
    while (nb->q_n == 0 && nb->in_place == 0 && !nb->closed && timeout_s > 0) {
        nb->gate = !nb->caller_thread;
        int w = pthread_cond_timedwait(&nb->cv, &nb->mu, &until);
        nb->gate = 0;
        if (w != 0)
            break;
    }
    nb->gate = 0;
    /* a handler started in place is part of this poll: let it finish */
    while (nb->busy)
        pthread_cond_wait(&nb->cv, &nb->mu);
    n = (int)nb->in_place;
    nb->in_place = 0;
    /* Deliver what is there now; later arrivals wait for the next poll. */
    size_t todo = nb->q_n;
    while (todo-- > 0 && nb->q_n > 0) {
        qent_t e = nb->q[nb->q_head];
        nb->q_head = (nb->q_head + 1) % nb->q_cap;
        nb->q_n--;
        if (e.key >= 0)
            nb->share[e.key].queued--;
        nb->st.delivered++;
        pthread_mutex_unlock(&nb->mu);
        e.s->fn(e.s->user, natsMsg_GetSubject(e.m), (const uint8_t *)natsMsg_GetData(e.m),
                (size_t)natsMsg_GetDataLength(e.m), natsMsg_GetReply(e.m));
        natsMsg_Destroy(e.m);
        n++;
        pthread_mutex_lock(&nb->mu);
    }
    int closed = nb->closed;
    pthread_mutex_unlock(&nb->mu);
    if (n == 0 && closed)
        return mwx_err_set(err, MWX_EBUS, "nats bus: connection closed (the server went away)");
    return n;
}

static int nb_flush(mwx_bus_t *b, double timeout_s, mwx_err_t *err)
{
    nbus_t *nb = NB(b);
    int rc = check_open(nb, err);
    if (rc < 0)
        return rc;
    natsStatus s = natsConnection_FlushTimeout(nb->nc, (int64_t)(timeout_s * 1000 + 0.5));
    if (s != NATS_OK)
        return bus_fail(nb, err, "flush", s);
    return MWX_OK;
}

static void nb_stats(mwx_bus_t *b, mwx_bus_stats_t *st)
{
    nbus_t *nb = NB(b);
    uint64_t dropped = 0;
    for (int i = 0; i < nb->n_subs; i++) {
        int64_t d = 0;
        if (nb->subs[i].sub && natsSubscription_GetDropped(nb->subs[i].sub, &d) == NATS_OK && d > 0)
            dropped += (uint64_t)d;
    }
    pthread_mutex_lock(&nb->mu);
    *st = nb->st;
    pthread_mutex_unlock(&nb->mu);
    st->dropped_slow_consumer = dropped;
}

static int nb_publish_request(mwx_bus_t *b, const char *subject, const char *reply,
                              const uint8_t *data, size_t len, mwx_err_t *err)
{
    nbus_t *nb = NB(b);
    int rc = check_open(nb, err);
    if (rc < 0)
        return rc;
    natsStatus s = natsConnection_PublishRequest(nb->nc, subject, reply, data, (int)len);
    if (s != NATS_OK)
        return bus_fail(nb, err, "publish request", s);
    pthread_mutex_lock(&nb->mu);
    nb->st.published++;
    pthread_mutex_unlock(&nb->mu);
    return MWX_OK;
}

static const char *nb_last_error(mwx_bus_t *b)
{
    nbus_t *nb = NB(b);
    pthread_mutex_lock(&nb->mu);
    memcpy(nb->last_error_copy, nb->last_error, sizeof nb->last_error_copy);
    pthread_mutex_unlock(&nb->mu);
    return nb->last_error_copy;
}

static void nb_close(mwx_bus_t *b)
{
    nbus_t *nb = NB(b);
    for (int i = 0; i < nb->n_subs; i++)
        natsSubscription_Unsubscribe(nb->subs[i].sub);
    if (nb->nc)
        natsConnection_Close(nb->nc);
    /* nats.c calls back from its own threads after Close returns: wait until the last
     * handler and the closed callback are done before freeing what they use. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&nb->mu);
    while ((nb->live_subs > 0 || (nb->nc && !nb->closed_cb_done)) &&
           pthread_cond_timedwait(&nb->cv, &nb->mu, &until) == 0)
        ;
    pthread_mutex_unlock(&nb->mu);
    for (int i = 0; i < nb->n_subs; i++)
        natsSubscription_Destroy(nb->subs[i].sub);
    if (nb->nc)
        natsConnection_Destroy(nb->nc);
    natsOptions_Destroy(nb->opts);
    while (nb->q_n > 0) {
        natsMsg_Destroy(nb->q[nb->q_head].m);
        nb->q_head = (nb->q_head + 1) % nb->q_cap;
        nb->q_n--;
    }
    pthread_mutex_destroy(&nb->mu);
    pthread_cond_destroy(&nb->cv);
    free(nb->q);
    free(nb);
}

int mwx_nats_tls_check(const char *ca, const char *cert, const char *key, mwx_err_t *err)
{
    int rc;
    if (!ca || !ca[0])
        return mwx_err_set(err, MWX_EINVAL, "TLS: no CA certificate given");
    if (!cert != !key || (cert && !cert[0]) != (key && !key[0]))
        return mwx_err_set(err, MWX_EINVAL, "TLS: a certificate and its key go together");
    if (!cert || !cert[0]) {
        /* the CA alone: must at least parse as a certificate */
        rc = mwx_pki_verify(NULL, ca, NULL, NULL, 0, err);
    } else {
        rc = mwx_pki_verify(ca, cert, key, NULL, 0, err);
    }
    if (rc < 0)
        mwx_err_prefix(err, "TLS");
    return rc;
}

/* The host of the URLs when they all name the same DNS host (for the server-name check),
 * else "" (several hosts, or IP addresses, which nats.c's check cannot match). */
static void url_dns_host(const char *urls, char *out, size_t n)
{
    out[0] = 0;
    for (const char *u = urls; u && *u;) {
        const char *end = strchr(u, ','), *h, *at, *stop;
        char host[256];
        if (!end)
            end = u + strlen(u);
        while (u < end && *u == ' ')
            u++;
        h = strstr(u, "://");
        h = h && h < end ? h + 3 : u;
        at = memchr(h, '@', (size_t)(end - h));
        if (at)
            h = at + 1;
        if (*h == '[') { /* IPv6 literal */
            out[0] = 0;
            return;
        }
        stop = h;
        while (stop < end && *stop != ':' && *stop != '/')
            stop++;
        size_t len = (size_t)(stop - h);
        if (len == 0 || len >= sizeof host) {
            out[0] = 0;
            return;
        }
        memcpy(host, h, len);
        host[len] = 0;
        if (strspn(host, "0123456789.") == len || (out[0] && strcmp(out, host) != 0)) {
            out[0] = 0;
            return;
        }
        mwx_strlcpy(out, host, n);
        u = *end ? end + 1 : end;
    }
}

static natsStatus set_tls(natsOptions *no, const mwx_nats_opts_t *o)
{
    char host[256];
    natsStatus s = natsOptions_SetSecure(no, true);
    if (s == NATS_OK)
        s = natsOptions_LoadCATrustedCertificates(no, o->tls_ca);
    if (s == NATS_OK && o->tls_cert && o->tls_cert[0])
        s = natsOptions_LoadCertificatesChain(no, o->tls_cert, o->tls_key);
    if (o->tls_server_name && o->tls_server_name[0])
        mwx_strlcpy(host, o->tls_server_name, sizeof host);
    else
        url_dns_host(o->url, host, sizeof host);
    if (s == NATS_OK && host[0])
        s = natsOptions_SetExpectedHostname(no, host);
    return s;
}

static const mwx_bus_ops_t nats_ops = {
    "nats",   nb_connect, nb_publish,    nb_subscribe, nb_request,         nb_poll,
    nb_flush, nb_stats,   nb_last_error, nb_close,     nb_publish_request,
};

int mwx_bus_nats_open(const mwx_nats_opts_t *o, mwx_bus_t **out, mwx_err_t *err)
{
    *out = NULL;
    if (!o || !o->url || !o->url[0])
        return mwx_err_set(err, MWX_EINVAL, "nats bus: no server URL");
    if (o->tls_ca && mwx_nats_tls_check(o->tls_ca, o->tls_cert, o->tls_key, err) < 0)
        return err ? err->code : MWX_EINVAL;
    nbus_t *nb = calloc(1, sizeof *nb);
    if (!nb)
        return mwx_err_set(err, MWX_ENOMEM, "nats bus: out of memory");
    pthread_mutex_init(&nb->mu, NULL);
    pthread_cond_init(&nb->cv, NULL);
    nb->bus.ops = &nats_ops;
    nb->bus.impl = nb;
    nb->direct = o->direct;
    nb->caller_thread = o->caller_thread;
    nb->yield_after_publish = o->yield_after_publish;
    nb->q_cap = o->queue_slots ? o->queue_slots : 4096;
    nb->q = calloc(nb->q_cap, sizeof *nb->q);
    natsStatus s = nb->q ? natsOptions_Create(&nb->opts) : NATS_NO_MEMORY;
    if (s == NATS_OK)
        s = natsOptions_SetURL(nb->opts, o->url);
    if (s == NATS_OK && o->user)
        s = natsOptions_SetUserInfo(nb->opts, o->user, o->password ? o->password : "");
    if (s == NATS_OK && o->name)
        s = natsOptions_SetName(nb->opts, o->name);
    if (s == NATS_OK)
        s = natsOptions_SetSendAsap(nb->opts, o->send_asap ? true : false);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(nb->opts, o->max_reconnect ? o->max_reconnect : 60);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(
            nb->opts, (int64_t)((o->reconnect_wait_s > 0 ? o->reconnect_wait_s : 0.5) * 1000));
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(nb->opts, 2000);
    if (s == NATS_OK && o->tls_ca)
        s = set_tls(nb->opts, o);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(nb->opts, on_disconnected, nb);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(nb->opts, on_reconnected, nb);
    if (s == NATS_OK)
        s = natsOptions_SetClosedCB(nb->opts, on_closed, nb);
    if (s == NATS_OK)
        s = natsOptions_SetErrorHandler(nb->opts, on_error, nb);
    if (s != NATS_OK) {
        const char *le = nats_GetLastError(NULL);
        mwx_err_set(err, s == NATS_NO_MEMORY ? MWX_ENOMEM : MWX_EINVAL, "nats bus: options: %s%s%s",
                    natsStatus_GetText(s), le && *le ? ": " : "", le && *le ? le : "");
        nb_close(&nb->bus);
        return err ? err->code : MWX_EINVAL;
    }
    int rc = nb_connect(&nb->bus, err);
    if (rc < 0) {
        if (err)
            mwx_err_prefix(err, "%s", o->url);
        nb_close(&nb->bus);
        return rc;
    }
    *out = &nb->bus;
    return MWX_OK;
}

int mwx_nats_creds_load(const char *path, char *user, size_t user_n, char *password,
                        size_t password_n, mwx_err_t *err)
{
    char line[512];
    int got_u = 0, got_p = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return mwx_err_set(err, MWX_ENOTFOUND, "%s: cannot open credentials", path);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == '#' || !line[0])
            continue;
        if (strncmp(line, "user=", 5) == 0)
            got_u = mwx_strlcpy(user, line + 5, user_n) == 0;
        else if (strncmp(line, "password=", 9) == 0)
            got_p = mwx_strlcpy(password, line + 9, password_n) == 0;
    }
    fclose(f);
    if (!got_u || !got_p)
        return mwx_err_set(err, MWX_EINVAL, "%s: expected lines user=... and password=...", path);
    return MWX_OK;
}
