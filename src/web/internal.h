/* Internals shared by the files of src/web (text is built in core/buf.h's buffer): the
 * metrics renderer and the picture (the bounded state replayed to late browsers). */
#ifndef MWX_WEB_INTERNAL_H
#define MWX_WEB_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include "mwx/web.h"

#include "core/buf.h"

/* ------------------------------------------------------------ metrics */

int mwxi_metrics_render_into(mwx_metrics_t *m, mwx_buf_t *sb);

/* ------------------------------------------------------------ picture */

typedef struct mwx_picture mwx_picture_t;

int mwxi_picture_new(mwx_picture_t **out);
void mwxi_picture_free(mwx_picture_t *p);
void mwxi_picture_clear(mwx_picture_t *p);
/* Keep rec (whose JSON line is json) in the picture. json is copied. A track or share
 * may come without its line (json NULL: published while nobody watched): its record is
 * kept and encoded only when the picture is read. Returns 0, MWX_EINVAL (no line for
 * another type) or MWX_ENOMEM. evicted is set to 1 when a track had to be forgotten to
 * make room. */
int mwxi_picture_add(mwx_picture_t *p, const mwx_record_t *rec, const char *json, int *evicted);
/* Keep a truth record's position in its object's path. MWX_EFULL when
 * MWX_WEB_MAX_TRUTH objects are already kept (the record is then only pushed live). */
int mwxi_picture_add_truth(mwx_picture_t *p, const mwx_rec_truth_t *t);
/* The picture as SSE events (scenario, truth_trail per object, trail + track per track,
 * shares, alerts). */
void mwxi_picture_sse(const mwx_picture_t *p, mwx_buf_t *sb);
/* The picture as one JSON object's members (no braces): "scenario":..,"tracks":[..],.. */
void mwxi_picture_json_members(const mwx_picture_t *p, mwx_buf_t *sb);
size_t mwxi_picture_track_count(const mwx_picture_t *p);

/* ------------------------------------------------------------ Host check */

/* 1 when a request with this Host header may be served by a server bound to bind:port
 * (DNS rebinding): the bound address, "localhost" on a loopback bind, any IP literal on a
 * wildcard bind, or one of the n names (each in a slot of `stride` bytes at names),
 * case-insensitive, an optional trailing dot ignored; a port, when given, must be ours.
 * NULL (no Host: HTTP/1.0 tools; browsers always send one) is allowed. */
int mwxi_web_host_allowed(const char *bind, unsigned port, const char *names, size_t stride,
                          size_t n, const char *host);

/* One SSE event: "event: NAME\ndata: DATA\n\n" (data must be one line). */
void mwxi_sse_event(mwx_buf_t *sb, const char *name, const char *data);

#endif
