/*
 * mwx/web.h -- the operator web page, server-sent events and /metrics.
 *
 * One server object (mwx_web_t) serves, over HTTP on loopback unless told otherwise:
 *
 *   GET /                 the operator page (index.html from the asset folder)
 *   GET /static/PATH      the page's assets (app.js, style.css, leaflet, coastlines,
 *                         regions), from the same folder
 *   GET /events           text/event-stream: first a `hello` event, then a replay of the
 *                         current picture (so a late browser sees the state), then every
 *                         published record live, one SSE event per record whose `event:`
 *                         name is the record type (scenario, truth, meas, track, share,
 *                         alert) and whose `data:` is mwx_record_to_json's line
 *   GET /api/picture      the current picture as one JSON object
 *   GET /api/control?cmd=play|pause|restart|speed&x=N
 *                         replay control, forwarded to the callback set with
 *                         mwx_web_set_control (404 when none is set); needs the header
 *                         X-Mwx-Token: the server's token (mwx_web_token, also in the
 *                         hello event), else 403
 *   GET /metrics          Prometheus text exposition format 0.0.4
 *   GET /alerts.atom      the Atom feed file set with mwx_web_set_atom_file (an empty
 *                         valid feed while that file does not exist yet)
 *
 * A request whose Host is not the bound address ("localhost" too on loopback, any IP
 * literal on a wildcard bind) or a name given to mwx_web_add_host gets 403 (DNS
 * rebinding). Slow clients: 16 connections per address, 128 in all, a request head must
 * be complete within 10 s, and heads still pending never take the slots the page and
 * /metrics need (the oldest is cut).
 *
 * Anything else: 404; a method other than GET/HEAD: 405; a malformed path (not starting
 * with '/', containing "..", "//", a backslash or a control byte): 400.
 *
 * Contract:
 *   - No global mutable state: everything lives in the server or the metrics registry.
 *   - mwx_web_publish and the metric updates are thread-safe and never block on a client:
 *     each SSE client has a bounded queue; a client that falls behind by more than the
 *     bound is disconnected and counted (its browser reconnects and gets a fresh replay).
 *   - The picture is bounded: at most MWX_WEB_MAX_TRACKS tracks with a trail of
 *     MWX_WEB_TRAIL points each, the last MWX_WEB_MAX_ALERTS alerts and the last
 *     MWX_WEB_MAX_SHARES shares, and the true path (points only) of at most
 *     MWX_WEB_MAX_TRUTH simulated objects, for exercise control. meas records are pushed
 *     live but not kept.
 *     A scenario record starts a new picture (publish it first, once per run).
 *   - Metrics: counters (names end in _total), gauges and histograms, registered once at
 *     set-up (registration allocates; updates never do) and updated lock-free.
 */
#ifndef MWX_WEB_H
#define MWX_WEB_H

#include <stddef.h>
#include <stdint.h>

#include "mwx/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MWX_WEB_MAX_TRACKS         512
#define MWX_WEB_TRAIL              256
#define MWX_WEB_MAX_ALERTS         512
#define MWX_WEB_MAX_SHARES         256
#define MWX_WEB_MAX_TRUTH          64
#define MWX_WEB_MAX_CLIENTS        32
#define MWX_WEB_CLIENT_QUEUE_BYTES (8u << 20)

/* ------------------------------------------------------------------ metrics */

typedef struct mwx_metrics mwx_metrics_t;
typedef struct mwx_counter mwx_counter_t;
typedef struct mwx_gauge mwx_gauge_t;
typedef struct mwx_histogram mwx_histogram_t;

MWX_API MWX_NODISCARD int mwx_metrics_new(mwx_metrics_t **out, mwx_err_t *err);
MWX_API void mwx_metrics_free(mwx_metrics_t *m);

/* Register (or find, when the same name and labels were registered before) one series.
 * name: [a-zA-Z_:][a-zA-Z0-9_:]*; counters must end in "_total". labels: NULL or ""
 * for none, else Prometheus label pairs without braces, e.g.
 * `reason="bad_signature",from="KR"`. help: one line. The same name must keep the same
 * type and help. Handles live as long as the registry. MWX_EINVAL on a bad name/labels,
 * MWX_EFULL when the registry's fixed tables are full. */
MWX_API MWX_NODISCARD int mwx_metrics_counter(mwx_metrics_t *m, const char *name,
                                              const char *labels, const char *help,
                                              mwx_counter_t **out, mwx_err_t *err);
MWX_API MWX_NODISCARD int mwx_metrics_gauge(mwx_metrics_t *m, const char *name, const char *labels,
                                            const char *help, mwx_gauge_t **out, mwx_err_t *err);
/* bounds: n strictly increasing finite upper bounds (le); +Inf is added. n <= 32.
 * All series of one histogram name must use the same bounds. */
MWX_API MWX_NODISCARD int mwx_metrics_histogram(mwx_metrics_t *m, const char *name,
                                                const char *labels, const char *help,
                                                const double *bounds, size_t n,
                                                mwx_histogram_t **out, mwx_err_t *err);

/* Updates: thread-safe, lock-free, no allocation. A NULL handle is a no-op, so that
 * code can count whether or not a registry is attached. */
MWX_API void mwx_counter_add(mwx_counter_t *c, uint64_t n);
MWX_API uint64_t mwx_counter_value(const mwx_counter_t *c);
MWX_API void mwx_gauge_set(mwx_gauge_t *g, double v);
MWX_API void mwx_gauge_add(mwx_gauge_t *g, double dv);
MWX_API double mwx_gauge_value(const mwx_gauge_t *g);
MWX_API void mwx_histogram_observe(mwx_histogram_t *h, double v);

/* Latency buckets in seconds (100 us .. 10 s), for mwx_metrics_histogram. */
extern const double mwx_metrics_latency_buckets_s[];
extern const size_t mwx_metrics_latency_buckets_n;

/* The whole registry in text exposition format 0.0.4 (malloc'd, NUL-terminated, *len
 * without the NUL). Families appear in registration order, HELP and TYPE first. */
MWX_API MWX_NODISCARD int mwx_metrics_render(mwx_metrics_t *m, char **text, size_t *len,
                                             mwx_err_t *err);

/* ------------------------------------------------------------------ server */

typedef struct mwx_web mwx_web_t;

/* Start serving. bind: NULL or "" = "127.0.0.1" (loopback); any other address (an IPv4
 * literal such as "0.0.0.0", or "::1"/"::" for IPv6) only when explicitly given.
 * port: 0 = an ephemeral port (see mwx_web_port). assets: the folder holding index.html,
 * app.js, style.css and vendor/ (the build tree's `web` folder); NULL = the default of
 * mwx_web_default_assets. The server has its own metrics registry (mwx_web_metrics),
 * with the web server's own series and the records-published counters. */
MWX_API MWX_NODISCARD int mwx_web_start(const char *bind, unsigned port, const char *assets,
                                        mwx_web_t **out, mwx_err_t *err);

/* Stop: ends every SSE stream, joins the server's threads, frees srv. NULL is a no-op. */
MWX_API void mwx_web_stop(mwx_web_t *srv);

MWX_API unsigned mwx_web_port(const mwx_web_t *srv);
/* "http://127.0.0.1:PORT/" (IPv6 in brackets; a wildcard bind shows loopback). */
MWX_API MWX_NODISCARD int mwx_web_url(const mwx_web_t *srv, char *buf, size_t n);

/* Add rec to the picture and push it to every SSE client. Thread-safe, never blocks on
 * a client. Also counts mwx_web_records_published_total{type=...}, alerts by msg_type
 * and share latencies. MWX_ENOMEM when the record could not be encoded. */
MWX_API MWX_NODISCARD int mwx_web_publish(mwx_web_t *srv, const mwx_record_t *rec, mwx_err_t *err);

/* Forget the picture (after a replay restart) and tell clients with a `reset` event. */
MWX_API void mwx_web_reset(mwx_web_t *srv);

/* The server's own registry: register and update series on it and they appear at
 * /metrics. Valid until mwx_web_stop. */
MWX_API mwx_metrics_t *mwx_web_metrics(mwx_web_t *srv);
/* Also expose another registry at /metrics (after the server's own; the names must not
 * clash). It must outlive srv or be detached with NULL first. */
MWX_API void mwx_web_attach_metrics(mwx_web_t *srv, mwx_metrics_t *m);

/* Serve this file (e.g. OUT/alerts/alerts.atom) at /alerts.atom; NULL = 404. The file
 * is read on each request, so the writer may replace it (rename) at any time; while it
 * does not exist (no alert yet) an empty valid Atom feed is served. */
MWX_API MWX_NODISCARD int mwx_web_set_atom_file(mwx_web_t *srv, const char *path, mwx_err_t *err);

/* Also answer requests whose Host is NAME (a DNS name or address without port, e.g. the
 * name a proxy forwards). At most 8. */
MWX_API MWX_NODISCARD int mwx_web_add_host(mwx_web_t *srv, const char *name, mwx_err_t *err);

/* The control token (32 hex digits, random per start): /api/control needs it in the
 * X-Mwx-Token header. */
MWX_API const char *mwx_web_token(const mwx_web_t *srv);

/* Replay control. cmd is "play", "pause", "restart" or "speed" (x = the new speed,
 * 0 < x <= 1000); the callback returns 0 or a negative MWX_E* (the request then gets
 * 400). It runs on a server thread: it must be quick and thread-safe. */
/* GET /healthz answers 200 "ok" while the server runs (liveness). GET /readyz answers
 * 200 "ready[: detail]" or 503 "not ready: detail" as last set here (not ready until
 * set); thread-safe. */
MWX_API void mwx_web_set_ready(mwx_web_t *srv, int ready, const char *detail);

typedef int (*mwx_web_control_fn)(void *user, const char *cmd, double x);
MWX_API void mwx_web_set_control(mwx_web_t *srv, mwx_web_control_fn fn, void *user);

/* The replay clock as the page shows it (mode "replay" with controls); never called =
 * mode "live". Pushes a `replay` event to clients; cheap enough to call once a second. */
typedef struct mwx_web_replay_state {
    int playing;  /* 1 playing, 0 paused */
    double speed; /* scenario seconds per wall second */
    double t;     /* scenario time now, s */
    double t_end; /* last record's t, s */
    int ended;    /* 1 when every record was published */
} mwx_web_replay_state_t;
MWX_API void mwx_web_set_replay_state(mwx_web_t *srv, const mwx_web_replay_state_t *st);

/* The default asset folder: $MWX_WEB_ASSETS if set, else the folder `web` next to the
 * running executable (the build tree's copy: build/mwx serves build/web).
 * MWX_ENOTFOUND when none holds index.html. */
MWX_API MWX_NODISCARD int mwx_web_default_assets(char *buf, size_t n, mwx_err_t *err);

#ifdef __cplusplus
}
#endif

#endif /* MWX_WEB_H */
