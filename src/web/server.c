/* The operator web server (libmicrohttpd): static page and assets, server-sent events,
 * the picture as JSON, replay control, /metrics and /alerts.atom.
 *
 * Threads: MHD runs a listening thread and one thread per connection, so an SSE stream
 * can wait on a condition variable for the next event without holding up anyone else.
 * Publishers append each event to every client's bounded byte queue under the server
 * mutex and signal; they never wait for a socket. A client whose queue would overflow is
 * marked and its stream ends; EventSource reconnects and gets a fresh replay, which is
 * how a slow browser catches up without the server remembering everything. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "web/internal.h"

#define HEARTBEAT_S    10
#define ATOM_MAX_BYTES (16u << 20)

/* Connection limits against slow clients (slowloris). One address holds at most
 * PER_IP_LIMIT connections; a connection gets IDLE_TIMEOUT_S of silence and
 * HEADER_DEADLINE_S in all to send its request head (enforced whenever a connection
 * arrives, so a trickle of bytes does not keep it); and connections still waiting for
 * their head never hold more than MAX_PENDING slots: the oldest is cut to make room, so
 * the page and /metrics always get in beside the MWX_WEB_MAX_CLIENTS event streams. */
#define CONN_LIMIT        128u
#define PER_IP_LIMIT      16u
#define IDLE_TIMEOUT_S    20u
#define HEADER_DEADLINE_S 10.0
#define MAX_PENDING       (CONN_LIMIT - MWX_WEB_MAX_CLIENTS - 16u)
#define MAX_HOSTS         8
#define TOKEN_HEADER      "X-Mwx-Token"

typedef struct conn_slot {
    int used;
    int fd;
    int pending;  /* accepted, or done with a request, and no full request head since */
    double since; /* CLOCK_MONOTONIC s when it started waiting for a head */
} conn_slot_t;

typedef struct client {
    struct mwx_web *srv;
    char *buf; /* queued bytes: [head, head + len) */
    size_t head, len, cap;
    size_t limit; /* bound on len: the connect-time picture + the live queue bound */
    int kicked;   /* fell behind: end the stream */
    int listed;   /* in srv->clients */
} client_t;

struct mwx_web {
    struct MHD_Daemon *d;
    unsigned port;
    char bind[64];
    int ipv6;
    char assets[PATH_MAX];

    pthread_mutex_t lk; /* guards everything below */
    pthread_cond_t cv;  /* new data for clients, or stopping */
    int stopping;
    mwx_picture_t *pic;
    client_t *clients[MWX_WEB_MAX_CLIENTS];
    size_t n_clients;
    char atom[PATH_MAX];
    mwx_web_control_fn control;
    void *control_user;
    int have_replay;
    mwx_web_replay_state_t replay;
    mwx_metrics_t *attached;
    char hosts[MAX_HOSTS][256]; /* names accepted in Host: besides the bound address */
    size_t n_hosts;
    char token[33];   /* the control token (hex), fixed at start */
    char started[40]; /* RFC 3339 start time: the empty feed's <updated> */

    pthread_mutex_t clk; /* guards conns */
    conn_slot_t conns[CONN_LIMIT + 8];
    int ready; /* /readyz: set by the owner (mwx_web_set_ready) */
    char ready_detail[512];

    mwx_metrics_t *metrics; /* own registry */
    mwx_counter_t *published[MWX_REC_TYPE_MAX + 1];
    mwx_counter_t *alerts_by_type[3];
    mwx_counter_t *shares_verified, *shares_unverified;
    mwx_histogram_t *share_latency;
    mwx_counter_t *requests[6]; /* by status class 1xx..5xx; [0] unused */
    mwx_counter_t *sse_kicked, *sse_refused, *encode_failed, *tracks_evicted, *encoded;
    mwx_counter_t *slow_cut, *host_refused, *control_refused;
    mwx_gauge_t *sse_clients, *picture_tracks;
};

/* ------------------------------------------------------------------ metrics set-up */

static int setup_metrics(mwx_web_t *s, mwx_err_t *err)
{
    int rc = mwx_metrics_new(&s->metrics, err);
    if (rc)
        return rc;
    char labels[64];
    for (int t = 1; t <= MWX_REC_TYPE_MAX; t++) {
        snprintf(labels, sizeof labels, "type=\"%s\"", mwx_rec_type_name((mwx_rec_type_t)t));
        if ((rc = mwx_metrics_counter(s->metrics, "mwx_web_records_published_total", labels,
                                      "Records published to the operator picture, by type.",
                                      &s->published[t], err)))
            return rc;
    }
    for (int m = 0; m < 3; m++) {
        snprintf(labels, sizeof labels, "msg_type=\"%s\"", mwx_msg_type_name((mwx_msg_type_t)m));
        if ((rc = mwx_metrics_counter(s->metrics, "mwx_web_alerts_total", labels,
                                      "Alert records published, by CAP msgType.",
                                      &s->alerts_by_type[m], err)))
            return rc;
    }
    static const char *cls[] = {"", "1xx", "2xx", "3xx", "4xx", "5xx"};
    for (int c = 1; c <= 5; c++) {
        snprintf(labels, sizeof labels, "code=\"%s\"", cls[c]);
        if ((rc = mwx_metrics_counter(s->metrics, "mwx_web_http_requests_total", labels,
                                      "HTTP requests answered, by status class.", &s->requests[c],
                                      err)))
            return rc;
    }
    if ((rc = mwx_metrics_counter(s->metrics, "mwx_web_shares_total", "verified=\"true\"",
                                  "Share records published, by signature verification.",
                                  &s->shares_verified, err)) ||
        (rc = mwx_metrics_counter(s->metrics, "mwx_web_shares_total", "verified=\"false\"",
                                  "Share records published, by signature verification.",
                                  &s->shares_unverified, err)) ||
        (rc = mwx_metrics_histogram(s->metrics, "mwx_web_share_latency_seconds", NULL,
                                    "Share latency (receive minus send) of published shares.",
                                    mwx_metrics_latency_buckets_s, mwx_metrics_latency_buckets_n,
                                    &s->share_latency, err)) ||
        (rc = mwx_metrics_counter(s->metrics, "mwx_web_sse_disconnected_total", "reason=\"slow\"",
                                  "SSE clients disconnected because their queue overflowed.",
                                  &s->sse_kicked, err)) ||
        (rc = mwx_metrics_counter(s->metrics, "mwx_web_sse_refused_total", NULL,
                                  "SSE clients refused because the client table was full.",
                                  &s->sse_refused, err)) ||
        (rc = mwx_metrics_counter(s->metrics, "mwx_web_encode_failures_total", NULL,
                                  "Records that could not be encoded as JSON.", &s->encode_failed,
                                  err)) ||
        (rc = mwx_metrics_counter(s->metrics, "mwx_web_records_encoded_total", NULL,
                                  "Records encoded as JSON when published (tracks and shares "
                                  "published while no client watches are encoded only when "
                                  "the picture is read).",
                                  &s->encoded, err)) ||
        (rc = mwx_metrics_counter(s->metrics, "mwx_web_tracks_evicted_total", NULL,
                                  "Tracks forgotten by the bounded picture to make room.",
                                  &s->tracks_evicted, err)) ||
        (rc = mwx_metrics_counter(s->metrics, "mwx_web_slow_connections_cut_total", NULL,
                                  "Connections cut because their request head was too slow "
                                  "or too many heads were pending.",
                                  &s->slow_cut, err)) ||
        (rc = mwx_metrics_counter(s->metrics, "mwx_web_host_refused_total", NULL,
                                  "Requests refused for a Host that is not this server's.",
                                  &s->host_refused, err)) ||
        (rc = mwx_metrics_counter(s->metrics, "mwx_web_control_refused_total", NULL,
                                  "Control requests refused for a missing or wrong token.",
                                  &s->control_refused, err)) ||
        (rc = mwx_metrics_gauge(s->metrics, "mwx_web_sse_clients", NULL,
                                "SSE clients connected now.", &s->sse_clients, err)) ||
        (rc = mwx_metrics_gauge(s->metrics, "mwx_web_picture_tracks", NULL,
                                "Tracks in the operator picture now.", &s->picture_tracks, err)))
        return rc;
    return 0;
}

/* ------------------------------------------------------------------ SSE clients */

/* Append bytes to a client's queue; 0, or -1 when it would exceed the bound. Called with
 * srv->lk held. */
static int client_push(client_t *c, const char *p, size_t n)
{
    if (c->kicked)
        return -1;
    if (c->len + n > c->limit)
        return -1;
    if (c->head + c->len + n > c->cap) {
        if (c->head > 0) { /* compact first */
            memmove(c->buf, c->buf + c->head, c->len);
            c->head = 0;
        }
        if (c->len + n > c->cap) {
            size_t cap = c->cap ? c->cap : 64 * 1024;
            while (cap < c->len + n)
                cap *= 2;
            if (cap > c->limit)
                cap = c->limit;
            char *b = realloc(c->buf, cap);
            if (!b)
                return -1;
            c->buf = b;
            c->cap = cap;
        }
    }
    memcpy(c->buf + c->head + c->len, p, n);
    c->len += n;
    return 0;
}

static void client_unlist(mwx_web_t *s, client_t *c)
{
    if (!c->listed)
        return;
    for (size_t i = 0; i < s->n_clients; i++)
        if (s->clients[i] == c) {
            s->clients[i] = s->clients[--s->n_clients];
            break;
        }
    c->listed = 0;
    mwx_gauge_set(s->sse_clients, (double)s->n_clients);
}

/* Send a frame to every client. Called with srv->lk held. */
static void broadcast(mwx_web_t *s, const char *frame, size_t n)
{
    for (size_t i = 0; i < s->n_clients;) {
        client_t *c = s->clients[i];
        if (client_push(c, frame, n) != 0) {
            c->kicked = 1;
            mwx_counter_add(s->sse_kicked, 1);
            client_unlist(s, c); /* swaps the last one into i */
            continue;
        }
        i++;
    }
    pthread_cond_broadcast(&s->cv);
}

static void replay_json(const mwx_web_t *s, mwx_buf_t *sb)
{
    if (!s->have_replay) {
        mwxi_buf_puts(sb, "null");
        return;
    }
    const mwx_web_replay_state_t *r = &s->replay;
    mwxi_buf_printf(sb, "{\"playing\":%s,\"speed\":%.6g,\"t\":%.3f,\"t_end\":%.3f,\"ended\":%s}",
                    r->playing ? "true" : "false", isfinite(r->speed) ? r->speed : 0.0,
                    isfinite(r->t) ? r->t : 0.0, isfinite(r->t_end) ? r->t_end : 0.0,
                    r->ended ? "true" : "false");
}

static void hello_json(const mwx_web_t *s, mwx_buf_t *sb)
{
    mwxi_buf_printf(sb, "{\"server\":\"mwx %s\",\"mode\":\"%s\",\"replay\":", MWX_VERSION,
                    s->have_replay ? "replay" : "live");
    replay_json(s, sb);
    /* The control token: only a page of this origin can read this stream (the Host
     * check stops DNS rebinding, CORS the rest), and the page sends it back in a header,
     * which a cross-site form or image cannot. */
    mwxi_buf_printf(sb, ",\"atom\":%s,\"token\":\"%s\"}", s->atom[0] ? "true" : "false", s->token);
}

static ssize_t sse_read(void *cls, uint64_t pos, char *out, size_t max)
{
    client_t *c = cls;
    mwx_web_t *s = c->srv;
    pthread_mutex_lock(&s->lk);
    while (c->len == 0 && !c->kicked && !s->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += HEARTBEAT_S;
        if (pthread_cond_timedwait(&s->cv, &s->lk, &ts) == ETIMEDOUT && c->len == 0 && !c->kicked &&
            !s->stopping) {
            /* A comment line keeps proxies and MHD's idle timeout from closing the
             * stream, and finds browsers that went away. */
            static const char ping[] = ": keep-alive\n\n";
            pthread_mutex_unlock(&s->lk);
            size_t n = sizeof ping - 1 < max ? sizeof ping - 1 : max;
            memcpy(out, ping, n);
            return (ssize_t)n;
        }
    }
    if (c->len == 0 || c->kicked || s->stopping) {
        int kicked = c->kicked;
        pthread_mutex_unlock(&s->lk);
        return kicked ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = c->len < max ? c->len : max;
    memcpy(out, c->buf + c->head, n);
    c->head += n;
    c->len -= n;
    if (c->len == 0)
        c->head = 0;
    pthread_mutex_unlock(&s->lk);
    return (ssize_t)n;
}

static void sse_free(void *cls)
{
    client_t *c = cls;
    mwx_web_t *s = c->srv;
    pthread_mutex_lock(&s->lk);
    client_unlist(s, c);
    pthread_mutex_unlock(&s->lk);
    free(c->buf);
    free(c);
}

/* ------------------------------------------------------------------ responses */

static void count_status(mwx_web_t *s, unsigned status)
{
    unsigned cls = status / 100;
    if (cls >= 1 && cls <= 5)
        mwx_counter_add(s->requests[cls], 1);
}

static void common_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
}

static enum MHD_Result send_buf(mwx_web_t *s, struct MHD_Connection *conn, unsigned status,
                                const char *type, const char *body, size_t n, int copy)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        n, (void *)body, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_MUST_FREE);
    if (!r) {
        if (!copy)
            free((void *)body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    common_headers(r);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, "Allow", "GET, HEAD");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    count_status(s, status);
    return ret;
}

static enum MHD_Result send_text(mwx_web_t *s, struct MHD_Connection *conn, unsigned status,
                                 const char *text)
{
    return send_buf(s, conn, status, "text/plain; charset=utf-8", text, strlen(text), 1);
}

static enum MHD_Result send_sb(mwx_web_t *s, struct MHD_Connection *conn, const char *type,
                               mwx_buf_t *sb)
{
    size_t n = sb->len;
    char *body = mwxi_buf_take(sb);
    if (!body)
        return send_text(s, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    return send_buf(s, conn, MHD_HTTP_OK, type, body, n, 0);
}

static const char *content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".geojson", "application/geo+json"},
        {".png", "image/png"},
        {".svg", "image/svg+xml"},
        {".map", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
        {".md", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    if (dot)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcmp(dot, types[i].ext) == 0)
                return types[i].type;
    return "application/octet-stream";
}

static enum MHD_Result send_file(mwx_web_t *s, struct MHD_Connection *conn, const char *path,
                                 const char *type)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return send_text(s, conn, MHD_HTTP_NOT_FOUND, "not found\n");
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type ? type : content_type(path));
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    common_headers(r);
    if (strstr(path, ".html"))
        MHD_add_response_header(
            r, "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    count_status(s, MHD_HTTP_OK);
    return ret;
}

/* A request path we are willing to look at: absolute, printable ASCII, no backslash,
 * no empty, "." or ".." segment (MHD has already percent-decoded it). */
static int path_ok(const char *url)
{
    if (url[0] != '/' || strlen(url) > 1024)
        return 0;
    const char *seg = url + 1;
    for (const char *p = url + 1;; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '/' || ch == '\0') {
            size_t n = (size_t)(p - seg);
            if (n == 0 && ch == '/')
                return 0; /* "//" */
            if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
                return 0;
            if (ch == '\0')
                return 1;
            seg = p + 1;
            continue;
        }
        if (ch < 0x21 || ch >= 0x7f || ch == '\\')
            return 0;
    }
}

/* Static asset names: letters, digits, '-', '_', '.', '/' and no hidden segment. */
static int asset_name_ok(const char *rel)
{
    if (!*rel)
        return 0;
    const char *seg = rel;
    for (const char *p = rel;; p++) {
        char ch = *p;
        if (ch == '/' || ch == '\0') {
            if (p == seg || seg[0] == '.')
                return 0;
            if (ch == '\0')
                return 1;
            seg = p + 1;
            continue;
        }
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return 0;
    }
}

static enum MHD_Result serve_events(mwx_web_t *s, struct MHD_Connection *conn)
{
    client_t *c = calloc(1, sizeof *c);
    if (!c)
        return send_text(s, conn, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory\n");
    c->srv = s;
    mwx_buf_t sb, hello;
    mwxi_buf_init(&sb);
    mwxi_buf_init(&hello);
    pthread_mutex_lock(&s->lk);
    if (s->n_clients == MWX_WEB_MAX_CLIENTS || s->stopping) {
        pthread_mutex_unlock(&s->lk);
        free(c);
        mwx_counter_add(s->sse_refused, 1);
        return send_text(s, conn, MHD_HTTP_SERVICE_UNAVAILABLE, "too many event streams\n");
    }
    /* The reconnect delay, then hello (the browser clears its state on it), then the
     * picture, then ready: taken under the lock, so no live event can slip between. */
    mwxi_buf_puts(&sb, "retry: 2000\n\n");
    hello_json(s, &hello);
    if (!hello.oom)
        mwxi_sse_event(&sb, "hello", hello.p);
    mwxi_picture_sse(s->pic, &sb);
    if (s->have_replay) {
        mwxi_buf_free(&hello);
        replay_json(s, &hello);
        if (!hello.oom)
            mwxi_sse_event(&sb, "replay", hello.p);
    }
    mwxi_sse_event(&sb, "ready", "{}");
    /* The picture itself may be large (it is bounded by the picture's own limits); the
     * queue bound applies to what comes after it. */
    c->limit = sb.len + MWX_WEB_CLIENT_QUEUE_BYTES;
    int ok = !sb.oom && !hello.oom && client_push(c, sb.p, sb.len) == 0;
    if (ok) {
        s->clients[s->n_clients++] = c;
        c->listed = 1;
        mwx_gauge_set(s->sse_clients, (double)s->n_clients);
    }
    pthread_mutex_unlock(&s->lk);
    mwxi_buf_free(&sb);
    mwxi_buf_free(&hello);
    if (!ok) {
        free(c->buf);
        free(c);
        return send_text(s, conn, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory\n");
    }
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, sse_read, c, sse_free);
    if (!r) {
        sse_free(c);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    common_headers(r);
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r); /* the connection holds it; sse_free runs when it ends */
    count_status(s, MHD_HTTP_OK);
    return ret;
}

static enum MHD_Result serve_picture(mwx_web_t *s, struct MHD_Connection *conn)
{
    mwx_buf_t sb;
    mwxi_buf_init(&sb);
    pthread_mutex_lock(&s->lk);
    mwxi_buf_printf(&sb, "{\"mode\":\"%s\",\"replay\":", s->have_replay ? "replay" : "live");
    replay_json(s, &sb);
    mwxi_buf_putc(&sb, ',');
    mwxi_picture_json_members(s->pic, &sb);
    pthread_mutex_unlock(&s->lk);
    mwxi_buf_puts(&sb, "}\n");
    return send_sb(s, conn, "application/json", &sb);
}

static enum MHD_Result serve_metrics(mwx_web_t *s, struct MHD_Connection *conn)
{
    mwx_buf_t sb;
    mwxi_buf_init(&sb);
    mwxi_metrics_render_into(s->metrics, &sb);
    pthread_mutex_lock(&s->lk);
    mwx_metrics_t *extra = s->attached;
    if (extra)
        mwxi_metrics_render_into(extra, &sb);
    pthread_mutex_unlock(&s->lk);
    return send_sb(s, conn, "text/plain; version=0.0.4; charset=utf-8", &sb);
}

static enum MHD_Result serve_atom(mwx_web_t *s, struct MHD_Connection *conn)
{
    char path[PATH_MAX];
    pthread_mutex_lock(&s->lk);
    mwx_strlcpy(path, s->atom, sizeof path);
    pthread_mutex_unlock(&s->lk);
    if (!path[0])
        return send_text(s, conn, MHD_HTTP_NOT_FOUND, "no alert feed on this server\n");
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT) {
        /* No alert yet, so the writer has made no feed: a reader that subscribes now
         * gets a valid empty feed (RFC 4287: id, title, updated, author), not a 404
         * that would mark the feed broken. */
        mwx_buf_t sb;
        mwxi_buf_init(&sb);
        mwxi_buf_printf(&sb,
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
                        " <id>urn:mwx:feed:empty</id>\n"
                        " <title>mwx public warnings (none issued yet)</title>\n"
                        " <updated>%s</updated>\n"
                        " <author>\n  <name>mwx</name>\n </author>\n"
                        " <link rel=\"self\" href=\"alerts.atom\"/>\n"
                        "</feed>\n",
                        s->started);
        return send_sb(s, conn, "application/atom+xml; charset=utf-8", &sb);
    }
    return send_file(s, conn, path, "application/atom+xml; charset=utf-8");
}

/* Compare without an early exit, so the time taken says nothing about the token. */
static int token_equal(const char *want, const char *got)
{
    if (!got)
        return 0;
    size_t n = strlen(want);
    if (strlen(got) != n)
        return 0;
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(want[i] ^ got[i]);
    return d == 0;
}

/* DNS rebinding: see mwxi_web_host_allowed (host.c). */
static int host_ok(mwx_web_t *s, const char *host)
{
    pthread_mutex_lock(&s->lk);
    int ok = mwxi_web_host_allowed(s->bind, s->port, (const char *)s->hosts, sizeof s->hosts[0],
                                   s->n_hosts, host);
    pthread_mutex_unlock(&s->lk);
    return ok;
}

static enum MHD_Result serve_control(mwx_web_t *s, struct MHD_Connection *conn)
{
    const char *cmd = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "cmd");
    const char *xs = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "x");
    pthread_mutex_lock(&s->lk);
    mwx_web_control_fn fn = s->control;
    void *user = s->control_user;
    pthread_mutex_unlock(&s->lk);
    if (!fn)
        return send_text(s, conn, MHD_HTTP_NOT_FOUND, "no replay to control on this server\n");
    const char *tok = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, TOKEN_HEADER);
    if (!token_equal(s->token, tok)) {
        mwx_counter_add(s->control_refused, 1);
        return send_text(s, conn, MHD_HTTP_FORBIDDEN,
                         "control needs the " TOKEN_HEADER " header (the page has it from "
                         "the hello event of /events)\n");
    }
    if (!cmd || (strcmp(cmd, "play") != 0 && strcmp(cmd, "pause") != 0 &&
                 strcmp(cmd, "restart") != 0 && strcmp(cmd, "speed") != 0))
        return send_text(s, conn, MHD_HTTP_BAD_REQUEST,
                         "cmd must be play, pause, restart or speed\n");
    double x = 0;
    if (strcmp(cmd, "speed") == 0) {
        char *end = NULL;
        x = xs ? strtod(xs, &end) : NAN;
        if (!xs || end == xs || *end || !isfinite(x) || x <= 0 || x > 1000)
            return send_text(s, conn, MHD_HTTP_BAD_REQUEST, "speed needs x in (0, 1000]\n");
    }
    if (fn(user, cmd, x) != 0)
        return send_text(s, conn, MHD_HTTP_BAD_REQUEST, "control refused\n");
    mwx_buf_t sb;
    mwxi_buf_init(&sb);
    pthread_mutex_lock(&s->lk);
    mwxi_buf_puts(&sb, "{\"ok\":true,\"replay\":");
    replay_json(s, &sb);
    pthread_mutex_unlock(&s->lk);
    mwxi_buf_puts(&sb, "}\n");
    return send_sb(s, conn, "application/json", &sb);
}

/* ------------------------------------------------------------------ slow clients */

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static conn_slot_t *conn_slot_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void cut(mwx_web_t *s, conn_slot_t *c)
{
    /* The connection's own thread sees end-of-file and closes it. The slot is still
     * listed, so the fd is still MHD's (NOTIFY_CLOSED unlists it before the close). */
    shutdown(c->fd, SHUT_RDWR);
    c->pending = 0;
    mwx_counter_add(s->slow_cut, 1);
}

/* Called with clk held, when a connection arrives: cut heads past their deadline, then
 * the oldest pending heads beyond MAX_PENDING. */
static void sweep(mwx_web_t *s, double now)
{
    unsigned pending = 0;
    for (size_t i = 0; i < sizeof s->conns / sizeof s->conns[0]; i++) {
        conn_slot_t *c = &s->conns[i];
        if (!c->used || !c->pending)
            continue;
        if (now - c->since > HEADER_DEADLINE_S)
            cut(s, c);
        else
            pending++;
    }
    while (pending > MAX_PENDING) {
        conn_slot_t *old = NULL;
        for (size_t i = 0; i < sizeof s->conns / sizeof s->conns[0]; i++) {
            conn_slot_t *c = &s->conns[i];
            if (c->used && c->pending && (!old || c->since < old->since))
                old = c;
        }
        if (!old)
            break;
        cut(s, old);
        pending--;
    }
}

static void notify_conn(void *cls, struct MHD_Connection *conn, void **ctx,
                        enum MHD_ConnectionNotificationCode toe)
{
    mwx_web_t *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        conn_slot_t *c = *ctx;
        if (c) {
            pthread_mutex_lock(&s->clk);
            c->used = 0;
            pthread_mutex_unlock(&s->clk);
        }
        *ctx = NULL;
        return;
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    *ctx = NULL;
    double now = mono_now();
    pthread_mutex_lock(&s->clk);
    for (size_t i = 0; ci && i < sizeof s->conns / sizeof s->conns[0]; i++)
        if (!s->conns[i].used) {
            s->conns[i] =
                (conn_slot_t){.used = 1, .fd = ci->connect_fd, .pending = 1, .since = now};
            *ctx = &s->conns[i];
            break;
        }
    sweep(s, now);
    pthread_mutex_unlock(&s->clk);
}

/* A full request head arrived: this connection is being served. */
static void conn_head_done(mwx_web_t *s, struct MHD_Connection *conn)
{
    conn_slot_t *c = conn_slot_of(conn);
    if (!c)
        return;
    pthread_mutex_lock(&s->clk);
    c->pending = 0;
    pthread_mutex_unlock(&s->clk);
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)con_cls;
    (void)toe;
    mwx_web_t *s = cls;
    conn_slot_t *c = conn_slot_of(conn);
    if (!c)
        return;
    pthread_mutex_lock(&s->clk);
    c->pending = 1; /* keep-alive: the next head has the same deadline */
    c->since = mono_now();
    pthread_mutex_unlock(&s->clk);
}

static enum MHD_Result serve_ready(mwx_web_t *s, struct MHD_Connection *conn)
{
    char text[560];
    int ready;
    pthread_mutex_lock(&s->lk);
    ready = s->ready;
    snprintf(text, sizeof text, "%s%s%s\n", ready ? "ready" : "not ready",
             s->ready_detail[0] ? ": " : "", s->ready_detail);
    pthread_mutex_unlock(&s->lk);
    return send_text(s, conn, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, text);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
    mwx_web_t *s = cls;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        /* Answer at once; MHD discards any body and closes. */
        if (upload_data_size)
            *upload_data_size = 0;
        return send_text(s, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    conn_head_done(s, conn);
    if (!url || !path_ok(url))
        return send_text(s, conn, MHD_HTTP_BAD_REQUEST, "bad request path\n");
    if (!host_ok(s, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST))) {
        mwx_counter_add(s->host_refused, 1);
        return send_text(s, conn, MHD_HTTP_FORBIDDEN,
                         "unknown Host: this server answers to its own address only "
                         "(mwx serve --host NAME adds a name)\n");
    }
    if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0) {
        char path[PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/index.html", s->assets);
        return send_file(s, conn, path, NULL);
    }
    if (strncmp(url, "/static/", 8) == 0) {
        if (!asset_name_ok(url + 8))
            return send_text(s, conn, MHD_HTTP_BAD_REQUEST, "bad asset name\n");
        char path[PATH_MAX + 1100];
        snprintf(path, sizeof path, "%s/%s", s->assets, url + 8);
        return send_file(s, conn, path, NULL);
    }
    if (strcmp(url, "/events") == 0)
        return serve_events(s, conn);
    if (strcmp(url, "/api/picture") == 0)
        return serve_picture(s, conn);
    if (strcmp(url, "/api/control") == 0)
        return serve_control(s, conn);
    if (strcmp(url, "/metrics") == 0)
        return serve_metrics(s, conn);
    if (strcmp(url, "/alerts.atom") == 0)
        return serve_atom(s, conn);
    if (strcmp(url, "/healthz") == 0) /* the server answers: the process lives */
        return send_text(s, conn, MHD_HTTP_OK, "ok\n");
    if (strcmp(url, "/readyz") == 0)
        return serve_ready(s, conn);
    return send_text(s, conn, MHD_HTTP_NOT_FOUND, "not found\n");
}

static void mhd_log(void *cls, const char *fmt, va_list ap) MWX_PRINTF(2, 0);
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    /* MHD's own messages (bind failures and the like) go to stderr, prefixed; a browser
     * closing its event stream is normal and not worth a line. */
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (strstr(msg, "closed by remote") || strstr(msg, "onnection reset") ||
        strstr(msg, "Broken pipe") || strstr(msg, "no longer available") ||
        strstr(msg, "connection limit") || strstr(msg, "per IP"))
        /* (refusals at the limits are what a flood of connections looks like: a line
         * each would turn it into a log flood) */
        return;
    fprintf(stderr, "mwx web: %s%s", msg, msg[0] && msg[strlen(msg) - 1] == '\n' ? "" : "\n");
}

/* ------------------------------------------------------------------ public API */

int mwx_web_default_assets(char *buf, size_t n, mwx_err_t *err)
{
    char cand[PATH_MAX + 32];
    const char *env = getenv("MWX_WEB_ASSETS");
    if (env && *env) {
        snprintf(cand, sizeof cand, "%s/index.html", env);
        if (access(cand, R_OK) == 0)
            return mwx_strlcpy(buf, env, n) == 0
                       ? 0
                       : mwx_err_set(err, MWX_ERANGE, "web: asset path too long");
        return mwx_err_set(err, MWX_ENOTFOUND, "web: MWX_WEB_ASSETS=%s has no index.html", env);
    }
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            /* the build tree (web/ beside the binary), then an install (bin/../share) */
            static const char *const sub[] = {"web", "../share/mwx/web"};
            for (int i = 0; i < 2; i++) {
                snprintf(cand, sizeof cand, "%s/%s/index.html", exe, sub[i]);
                if (access(cand, R_OK) == 0) {
                    snprintf(cand, sizeof cand, "%s/%s", exe, sub[i]);
                    return mwx_strlcpy(buf, cand, n) == 0
                               ? 0
                               : mwx_err_set(err, MWX_ERANGE, "web: asset path too long");
                }
            }
        }
    }
    return mwx_err_set(err, MWX_ENOTFOUND,
                       "web: no page assets: expected web/index.html next to the mwx binary "
                       "or ../share/mwx/web/index.html "
                       "(build with cmake) or MWX_WEB_ASSETS=DIR");
}

int mwx_web_start(const char *bind, unsigned port, const char *assets, mwx_web_t **out,
                  mwx_err_t *err)
{
    *out = NULL;
    if (port > 65535)
        return mwx_err_set(err, MWX_EINVAL, "web: port %u out of range", port);
    mwx_web_t *s = calloc(1, sizeof *s);
    if (!s)
        return mwx_err_set(err, MWX_ENOMEM, "web: out of memory");
    pthread_mutex_init(&s->lk, NULL);
    pthread_mutex_init(&s->clk, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    int rc;
    if (!assets) {
        if ((rc = mwx_web_default_assets(s->assets, sizeof s->assets, err)))
            goto fail;
    } else if (mwx_strlcpy(s->assets, assets, sizeof s->assets) != 0) {
        rc = mwx_err_set(err, MWX_EINVAL, "web: asset path too long");
        goto fail;
    }
    if ((rc = mwxi_picture_new(&s->pic))) {
        rc = mwx_err_set(err, MWX_ENOMEM, "web: out of memory");
        goto fail;
    }
    if ((rc = setup_metrics(s, err)))
        goto fail;
    unsigned char rnd[16];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        rc = mwx_err_set(err, MWX_EIO, "web: no randomness for the control token");
        goto fail;
    }
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(s->token + 2 * i, 3, "%02x", rnd[i]);
    (void)mwx_time_format((double)time(NULL), 0, 0, s->started, sizeof s->started);

    if (!bind || !*bind)
        bind = "127.0.0.1";
    mwx_strlcpy(s->bind, bind, sizeof s->bind);
    struct sockaddr_in a4;
    struct sockaddr_in6 a6;
    const struct sockaddr *sa;
    memset(&a4, 0, sizeof a4);
    memset(&a6, 0, sizeof a6);
    if (inet_pton(AF_INET, bind, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons((uint16_t)port);
        sa = (const struct sockaddr *)&a4;
    } else if (inet_pton(AF_INET6, bind, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((uint16_t)port);
        sa = (const struct sockaddr *)&a6;
        s->ipv6 = 1;
    } else {
        rc = mwx_err_set(err, MWX_EINVAL, "web: bind address '%s' is not an IPv4 or IPv6 literal",
                         bind);
        goto fail;
    }
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG | (s->ipv6 ? MHD_USE_IPv6 : 0);
    s->d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, handler, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_CONNECTION_LIMIT, CONN_LIMIT,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, PER_IP_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
        IDLE_TIMEOUT_S, MHD_OPTION_NOTIFY_CONNECTION, notify_conn, s, MHD_OPTION_NOTIFY_COMPLETED,
        request_done, s, MHD_OPTION_END);
    if (!s->d) {
        rc = mwx_err_set(err, MWX_EIO, "web: cannot listen on %s%s%s:%u (%s)", s->ipv6 ? "[" : "",
                         bind, s->ipv6 ? "]" : "", port,
                         errno ? strerror(errno) : "address in use or not available");
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di && di->port ? di->port : port;
    *out = s;
    return 0;
fail:
    mwx_metrics_free(s->metrics);
    mwxi_picture_free(s->pic);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->lk);
    pthread_mutex_destroy(&s->clk);
    free(s);
    return rc;
}

void mwx_web_stop(mwx_web_t *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lk);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->lk);
    if (s->d)
        MHD_stop_daemon(s->d); /* joins every connection thread; sse_free has run */
    mwxi_picture_free(s->pic);
    mwx_metrics_free(s->metrics);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->lk);
    pthread_mutex_destroy(&s->clk);
    free(s);
}

unsigned mwx_web_port(const mwx_web_t *s)
{
    return s ? s->port : 0;
}

int mwx_web_url(const mwx_web_t *s, char *buf, size_t n)
{
    const char *host = s->bind;
    if (strcmp(host, "0.0.0.0") == 0)
        host = "127.0.0.1";
    else if (strcmp(host, "::") == 0)
        host = "::1";
    int k = snprintf(buf, n, "http://%s%s%s:%u/", s->ipv6 ? "[" : "", host, s->ipv6 ? "]" : "",
                     s->port);
    return k > 0 && (size_t)k < n ? 0 : MWX_ERANGE;
}

mwx_metrics_t *mwx_web_metrics(mwx_web_t *s)
{
    return s ? s->metrics : NULL;
}

void mwx_web_attach_metrics(mwx_web_t *s, mwx_metrics_t *m)
{
    pthread_mutex_lock(&s->lk);
    s->attached = m;
    pthread_mutex_unlock(&s->lk);
}

int mwx_web_set_atom_file(mwx_web_t *s, const char *path, mwx_err_t *err)
{
    int rc = 0;
    pthread_mutex_lock(&s->lk);
    if (!path)
        s->atom[0] = '\0';
    else if (mwx_strlcpy(s->atom, path, sizeof s->atom) != 0) {
        s->atom[0] = '\0';
        rc = mwx_err_set(err, MWX_EINVAL, "web: atom path too long");
    }
    pthread_mutex_unlock(&s->lk);
    return rc;
}

int mwx_web_add_host(mwx_web_t *s, const char *name, mwx_err_t *err)
{
    if (!name || !*name || strlen(name) >= sizeof s->hosts[0] || strchr(name, ':'))
        return mwx_err_set(err, MWX_EINVAL, "web: a host name is 1..255 characters, no port");
    int rc = 0;
    pthread_mutex_lock(&s->lk);
    if (s->n_hosts == MAX_HOSTS)
        rc = mwx_err_set(err, MWX_EFULL, "web: at most %d host names", MAX_HOSTS);
    else
        mwx_strlcpy(s->hosts[s->n_hosts++], name, sizeof s->hosts[0]);
    pthread_mutex_unlock(&s->lk);
    return rc;
}

const char *mwx_web_token(const mwx_web_t *s)
{
    return s->token;
}

void mwx_web_set_ready(mwx_web_t *s, int ready, const char *detail)
{
    pthread_mutex_lock(&s->lk);
    s->ready = ready;
    mwx_strlcpy(s->ready_detail, detail ? detail : "", sizeof s->ready_detail);
    pthread_mutex_unlock(&s->lk);
}

void mwx_web_set_control(mwx_web_t *s, mwx_web_control_fn fn, void *user)
{
    pthread_mutex_lock(&s->lk);
    s->control = fn;
    s->control_user = user;
    pthread_mutex_unlock(&s->lk);
}

void mwx_web_set_replay_state(mwx_web_t *s, const mwx_web_replay_state_t *st)
{
    mwx_buf_t data, frame;
    mwxi_buf_init(&data);
    mwxi_buf_init(&frame);
    pthread_mutex_lock(&s->lk);
    s->replay = *st;
    s->have_replay = 1;
    replay_json(s, &data);
    if (!data.oom) {
        mwxi_sse_event(&frame, "replay", data.p);
        if (!frame.oom)
            broadcast(s, frame.p, frame.len);
    }
    pthread_mutex_unlock(&s->lk);
    mwxi_buf_free(&data);
    mwxi_buf_free(&frame);
}

void mwx_web_reset(mwx_web_t *s)
{
    static const char frame[] = "event: reset\ndata: {}\n\n";
    pthread_mutex_lock(&s->lk);
    mwxi_picture_clear(s->pic);
    mwx_gauge_set(s->picture_tracks, 0);
    broadcast(s, frame, sizeof frame - 1);
    pthread_mutex_unlock(&s->lk);
}

static void count_published(mwx_web_t *s, const mwx_record_t *rec)
{
    mwx_counter_add(s->published[rec->type], 1);
    if (rec->type == MWX_REC_ALERT && (unsigned)rec->u.alert.msg_type < 3)
        mwx_counter_add(s->alerts_by_type[rec->u.alert.msg_type], 1);
    if (rec->type == MWX_REC_SHARE) {
        mwx_counter_add(rec->u.share.verified ? s->shares_verified : s->shares_unverified, 1);
        if (rec->u.share.latency_s > 0)
            mwx_histogram_observe(s->share_latency, rec->u.share.latency_s);
    }
}

int mwx_web_publish(mwx_web_t *s, const mwx_record_t *rec, mwx_err_t *err)
{
    if (!s || !rec || rec->type < MWX_REC_SCENARIO || rec->type > MWX_REC_TYPE_MAX)
        return mwx_err_set(err, MWX_EINVAL, "web: publish: no record");
    if (rec->type == MWX_REC_TRUTH || rec->type == MWX_REC_MEAS) {
        /* Truth is kept as path points only and meas not at all: with nobody watching
         * there is nothing to encode. */
        pthread_mutex_lock(&s->lk);
        size_t watching = s->n_clients;
        if (rec->type == MWX_REC_TRUTH)
            mwxi_picture_add_truth(s->pic, &rec->u.truth); /* full: live only */
        pthread_mutex_unlock(&s->lk);
        if (watching == 0) {
            mwx_counter_add(s->published[rec->type], 1);
            return 0;
        }
    }
    int rc = 0, evicted = 0;
    if (rec->type == MWX_REC_TRACK || rec->type == MWX_REC_SHARE) {
        /* The bulk of a node's records (a track update per scan, a share per envelope):
         * with nobody watching only the record is kept, and encoded if the picture is
         * ever read (a node at 200x spent a tenth of its CPU encoding lines no one saw). */
        pthread_mutex_lock(&s->lk);
        int watching = s->n_clients > 0;
        if (!watching) {
            rc = mwxi_picture_add(s->pic, rec, NULL, &evicted);
            mwx_gauge_set(s->picture_tracks, (double)mwxi_picture_track_count(s->pic));
        }
        pthread_mutex_unlock(&s->lk);
        if (!watching) {
            count_published(s, rec);
            if (evicted)
                mwx_counter_add(s->tracks_evicted, 1);
            if (rc)
                return mwx_err_set(err, rc, "web: out of memory publishing a %s record",
                                   mwx_rec_type_name(rec->type));
            return 0;
        }
    }
    char *line = mwx_record_to_json(rec);
    if (!line) {
        mwx_counter_add(s->encode_failed, 1);
        return mwx_err_set(err, MWX_ENOMEM, "web: cannot encode a %s record as JSON",
                           mwx_rec_type_name(rec->type));
    }
    mwx_counter_add(s->encoded, 1);
    /* (The scenario record's line carries the scenario text as "scenario": the page
     * draws sensors and coverage from it.) */

    count_published(s, rec);

    mwx_buf_t frame;
    mwxi_buf_init(&frame);
    mwxi_sse_event(&frame, mwx_rec_type_name(rec->type), line);
    pthread_mutex_lock(&s->lk);
    if (mwxi_picture_add(s->pic, rec, line, &evicted) != 0)
        rc = MWX_ENOMEM;
    mwx_gauge_set(s->picture_tracks, (double)mwxi_picture_track_count(s->pic));
    if (!frame.oom)
        broadcast(s, frame.p, frame.len);
    else
        rc = MWX_ENOMEM;
    pthread_mutex_unlock(&s->lk);
    if (evicted)
        mwx_counter_add(s->tracks_evicted, 1);
    mwxi_buf_free(&frame);
    free(line);
    if (rc)
        return mwx_err_set(err, rc, "web: out of memory publishing a %s record",
                           mwx_rec_type_name(rec->type));
    return 0;
}
