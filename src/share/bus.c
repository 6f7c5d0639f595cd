/* The bus interface: thin wrappers, NATS subject matching, publishing an envelope to
 * every recipient on its label. */
#include "share_int.h"

#include <stdio.h>
#include <string.h>

int mwx_bus_connect(mwx_bus_t *b, mwx_err_t *err)
{
    return b->ops->connect(b, err);
}

int mwx_bus_publish(mwx_bus_t *b, const char *subject, const uint8_t *data, size_t len,
                    mwx_err_t *err)
{
    return b->ops->publish(b, subject, data, len, err);
}

int mwx_bus_subscribe(mwx_bus_t *b, const char *pattern, mwx_bus_handler_fn fn, void *user,
                      mwx_err_t *err)
{
    return b->ops->subscribe(b, pattern, fn, user, err);
}

int mwx_bus_request(mwx_bus_t *b, const char *subject, const uint8_t *data, size_t len,
                    double timeout_s, uint8_t *reply, size_t cap, size_t *reply_len, mwx_err_t *err)
{
    return b->ops->request(b, subject, data, len, timeout_s, reply, cap, reply_len, err);
}

int mwx_bus_publish_request(mwx_bus_t *b, const char *subject, const char *reply,
                            const uint8_t *data, size_t len, mwx_err_t *err)
{
    if (!b->ops->publish_request)
        return mwx_err_set(err, MWX_EUNSUPPORTED, "%s bus: no asynchronous requests", b->ops->name);
    return b->ops->publish_request(b, subject, reply, data, len, err);
}

int mwx_bus_poll(mwx_bus_t *b, double timeout_s, mwx_err_t *err)
{
    return b->ops->poll(b, timeout_s, err);
}

int mwx_bus_flush(mwx_bus_t *b, double timeout_s, mwx_err_t *err)
{
    return b->ops->flush(b, timeout_s, err);
}

void mwx_bus_stats(mwx_bus_t *b, mwx_bus_stats_t *st)
{
    b->ops->stats(b, st);
}

const char *mwx_bus_last_error(mwx_bus_t *b)
{
    return b->ops->last_error(b);
}

void mwx_bus_close(mwx_bus_t *b)
{
    if (b)
        b->ops->close(b);
}

/* Token by token: '*' matches one token, '>' (last) one or more. */
int mwx_subject_match(const char *pat, const char *sub)
{
    for (;;) {
        const char *pe = strchr(pat, '.'), *se = strchr(sub, '.');
        size_t pl = pe ? (size_t)(pe - pat) : strlen(pat);
        size_t sl = se ? (size_t)(se - sub) : strlen(sub);
        if (pl == 1 && pat[0] == '>' && !pe)
            return sl > 0;
        if (sl == 0)
            return 0;
        if (!(pl == 1 && pat[0] == '*') && (pl != sl || memcmp(pat, sub, pl) != 0))
            return 0;
        if (!pe || !se)
            return !pe && !se;
        pat = pe + 1;
        sub = se + 1;
    }
}

int mwx_bus_publish_envelope(mwx_bus_t *b, const mwx_envelope_t *env, const uint8_t *bytes,
                             size_t len, mwx_err_t *err)
{
    char subject[MWX_SUBJECT_LEN];
    int n = 0;
    for (int i = 0; i < env->n_to; i++) {
        if (mwx_subject_data(env->type, env->origin, env->to[i], subject) < 0)
            return mwx_err_set(err, MWX_EINVAL, "no subject for a %s envelope to %s",
                               mwx_payload_type_name(env->type), env->to[i]);
        int rc = b->ops->publish(b, subject, bytes, len, err);
        if (rc < 0)
            return rc;
        n++;
    }
    return n;
}

size_t mwx_bus_metrics(mwx_bus_t *b, const char *node, char *buf, size_t n)
{
    mwx_bus_stats_t st;
    if (n == 0)
        return 0;
    b->ops->stats(b, &st);
    int k = snprintf(buf, n,
                     "mwx_bus_published_total{node=\"%s\",bus=\"%s\"} %llu\n"
                     "mwx_bus_delivered_total{node=\"%s\",bus=\"%s\"} %llu\n"
                     "mwx_bus_dropped_queue_full_total{node=\"%s\",bus=\"%s\"} %llu\n"
                     "mwx_bus_disconnects_total{node=\"%s\",bus=\"%s\"} %llu\n"
                     "mwx_bus_reconnects_total{node=\"%s\",bus=\"%s\"} %llu\n"
                     "mwx_bus_connected{node=\"%s\",bus=\"%s\"} %d\n"
                     "mwx_bus_dropped_slow_consumer_total{node=\"%s\",bus=\"%s\"} %llu\n"
                     "mwx_bus_denied_publish_total{node=\"%s\",bus=\"%s\"} %llu\n"
                     "mwx_bus_denied_subscribe_total{node=\"%s\",bus=\"%s\"} %llu\n",
                     node, b->ops->name, (unsigned long long)st.published, node, b->ops->name,
                     (unsigned long long)st.delivered, node, b->ops->name,
                     (unsigned long long)st.dropped_queue_full, node, b->ops->name,
                     (unsigned long long)st.disconnects, node, b->ops->name,
                     (unsigned long long)st.reconnects, node, b->ops->name, st.connected, node,
                     b->ops->name, (unsigned long long)st.dropped_slow_consumer, node, b->ops->name,
                     (unsigned long long)st.denied_publish, node, b->ops->name,
                     (unsigned long long)st.denied_subscribe);
    if (k < 0) {
        buf[0] = 0;
        return 0;
    }
    return (size_t)k < n ? (size_t)k : n - 1;
}
