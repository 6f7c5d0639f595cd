/* A CoT stream to a TAK endpoint: "udp://host:port", "tcp://host:port" or "host:port"
 * (UDP). UDP sends one datagram per event. TCP keeps one connection and writes events back
 * to back (TAK servers split the stream on </event>); when the connection fails it is
 * closed, the event is counted as lost and a reconnect is tried at most every 5 s, so that
 * a dead endpoint never stalls the warnings; an endpoint that is down when the context is
 * created is retried the same way. Sends never block for long: 200 ms timeout. */
#include "warn/warn_internal.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

struct mwx_tak {
    int tcp;
    int fd;
    char host[256];
    char port[16];
    double next_retry;
    uint64_t sent, errors;
};

static int tak_connect(mwx_tak_t *t, mwx_err_t *err)
{
    struct addrinfo hints, *res = NULL, *ai;
    struct timeval tv = {0, 200000};
    int rc, fd = -1;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = t->tcp ? SOCK_STREAM : SOCK_DGRAM;
    rc = getaddrinfo(t->host, t->port, &hints, &res);
    if (rc != 0)
        return mwx_err_set(err, MWX_EBUS, "tak %s:%s: %s", t->host, t->port, gai_strerror(rc));
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return mwx_err_set(err, MWX_EBUS, "tak %s:%s: cannot connect: %s", t->host, t->port,
                           strerror(errno));
    t->fd = fd;
    return MWX_OK;
}

int mwxi_tak_open(const char *endpoint, mwx_tak_t **out, mwx_err_t *err)
{
    mwx_tak_t *t;
    const char *p = endpoint, *colon;
    size_t hl;

    *out = NULL;
    t = calloc(1, sizeof *t);
    if (!t)
        return mwx_err_set(err, MWX_ENOMEM, "tak: out of memory");
    t->fd = -1;
    if (strncmp(p, "udp://", 6) == 0) {
        p += 6;
    } else if (strncmp(p, "tcp://", 6) == 0) {
        p += 6;
        t->tcp = 1;
    }
    colon = strrchr(p, ':');
    hl = colon ? (size_t)(colon - p) : 0;
    if (!colon || hl == 0 || hl >= sizeof t->host || !colon[1] ||
        strlen(colon + 1) >= sizeof t->port ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1)) {
        free(t);
        return mwx_err_set(err, MWX_EINVAL,
                           "tak endpoint \"%s\": expected udp://host:port, "
                           "tcp://host:port or host:port",
                           endpoint);
    }
    memcpy(t->host, p, hl);
    /* [::1]:port */
    if (t->host[0] == '[' && t->host[hl - 1] == ']') {
        memmove(t->host, t->host + 1, hl - 2);
        t->host[hl - 2] = '\0';
    }
    strcpy(t->port, colon + 1);
    /* An endpoint that is down now is not a configuration error: start disconnected and
     * let sends retry (a TAK server restarting must not stop the public warnings). */
    if (tak_connect(t, NULL) != MWX_OK)
        t->next_retry = 0;
    *out = t;
    return MWX_OK;
}

int mwxi_tak_send(mwx_tak_t *t, const char *data, size_t len)
{
    size_t off = 0;
    if (!t)
        return MWX_OK;
    if (t->fd < 0) {
        double now = mwx_time_mono();
        if (now < t->next_retry || tak_connect(t, NULL) != MWX_OK) {
            if (now >= t->next_retry)
                t->next_retry = now + 5.0;
            t->errors++;
            return MWX_EBUS;
        }
    }
    while (off < len) {
        ssize_t n = send(t->fd, data + off, len - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            t->errors++;
            if (t->tcp) {
                close(t->fd);
                t->fd = -1;
                t->next_retry = mwx_time_mono() + 5.0;
            }
            return MWX_EBUS;
        }
        off += (size_t)n;
        if (!t->tcp)
            break;
    }
    t->sent++;
    return MWX_OK;
}

void mwxi_tak_counts(const mwx_tak_t *t, uint64_t *sent, uint64_t *errors)
{
    *sent = t ? t->sent : 0;
    *errors = t ? t->errors : 0;
}

void mwxi_tak_close(mwx_tak_t *t)
{
    if (!t)
        return;
    if (t->fd >= 0)
        close(t->fd);
    free(t);
}
