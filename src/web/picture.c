/* The picture: the bounded state a browser needs to draw the situation when it connects
 * late (or reconnects): the scenario, every track's latest record with a trail of past
 * positions, the last shares and the last alerts, and (for exercise control) each
 * simulated object's true path as a trail only. meas records are not kept (live-only).
 *
 * Bounds: MWX_WEB_MAX_TRACKS tracks (the least recently updated is forgotten when a new
 * one needs room), MWX_WEB_TRAIL trail points per track (when full, every other point is
 * dropped and the spacing doubles, so a trail always spans the whole flight at a coarser
 * step), rings of MWX_WEB_MAX_SHARES shares and MWX_WEB_MAX_ALERTS alerts. The caller
 * (server.c) serialises access. */
#include <math.h>
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "web/internal.h"

#define TRAIL_MIN_DT_S 1.0

typedef struct pic_track {
    char node[MWX_ID_LEN];
    char track_id[MWX_ID_LEN];
    char *json;          /* the latest record's line, or NULL: then rec, encoded when read */
    mwx_rec_track_t rec; /* the latest record (json NULL: published while nobody watched) */
    int have_rec;
    double pts[MWX_WEB_TRAIL][4]; /* t, x, y, z (ECEF, m) */
    size_t n_pts;
    double min_dt;
    uint64_t last_seq; /* for least-recently-updated eviction */
} pic_track_t;

/* A simulated object's true path (exercise control): points only, no JSON, so that a
 * truth record costs no encoding when nobody is watching. */
typedef struct pic_truth {
    char object[MWX_ID_LEN];
    mwx_phase_t phase;
    double pts[MWX_WEB_TRAIL][4];
    size_t n_pts;
    double min_dt;
} pic_truth_t;

/* A ring of JSON lines; the shares' ring may instead keep an entry's record (v NULL),
 * encoded when read: most shares are published while nobody watches. */
typedef struct ring {
    char **v;
    mwx_rec_share_t *rec; /* shares only: an entry's record when v is NULL */
    size_t cap, head, n;  /* oldest at head */
} ring_t;

struct mwx_picture {
    char *scenario;
    pic_track_t *tracks[MWX_WEB_MAX_TRACKS];
    /* mwx_id_key(node, track_id) of tracks[i], compared first and side by side: a full
     * picture's lookup reads 4 kB, not 512 tracks (a cache miss each, on every track
     * record a node publishes) */
    uint64_t keys[MWX_WEB_MAX_TRACKS];
    size_t n_tracks;
    ring_t shares, alerts;
    pic_truth_t *truth[MWX_WEB_MAX_TRUTH];
    size_t n_truth;
    uint64_t seq;
};

static int ring_init(ring_t *r, size_t cap, int with_rec)
{
    r->v = calloc(cap, sizeof *r->v);
    r->rec = with_rec ? calloc(cap, sizeof *r->rec) : NULL;
    r->cap = cap;
    r->head = r->n = 0;
    return r->v && (r->rec || !with_rec) ? 0 : MWX_ENOMEM;
}

static void ring_clear(ring_t *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[(r->head + i) % r->cap]);
        r->v[(r->head + i) % r->cap] = NULL;
    }
    r->head = r->n = 0;
}

/* Returns the slot taken (for its record). */
static size_t ring_push(ring_t *r, char *s)
{
    size_t k;
    if (r->n == r->cap) {
        k = r->head;
        free(r->v[k]);
        r->head = (r->head + 1) % r->cap;
    } else {
        k = (r->head + r->n) % r->cap;
        r->n++;
    }
    r->v[k] = s;
    return k;
}

/* Entry i's line: kept, or encoded now into *tmp (freed by the caller; NULL on failure). */
static const char *ring_at(const ring_t *r, size_t i, char **tmp)
{
    size_t k = (r->head + i) % r->cap;
    *tmp = NULL;
    if (r->v[k] || !r->rec)
        return r->v[k];
    mwx_record_t rec;
    memset(&rec, 0, sizeof rec);
    rec.type = MWX_REC_SHARE;
    rec.u.share = r->rec[k];
    return *tmp = mwx_record_to_json(&rec);
}

/* A track's latest line: kept, or encoded now into *tmp as ring_at. */
static const char *track_json(const pic_track_t *pt, char **tmp)
{
    *tmp = NULL;
    if (pt->json || !pt->have_rec)
        return pt->json;
    mwx_record_t rec;
    memset(&rec, 0, sizeof rec);
    rec.type = MWX_REC_TRACK;
    rec.u.track = pt->rec;
    return *tmp = mwx_record_to_json(&rec);
}

int mwxi_picture_new(mwx_picture_t **out)
{
    mwx_picture_t *p = calloc(1, sizeof *p);
    if (!p)
        return MWX_ENOMEM;
    if (ring_init(&p->shares, MWX_WEB_MAX_SHARES, 1) != 0 ||
        ring_init(&p->alerts, MWX_WEB_MAX_ALERTS, 0) != 0) {
        free(p->shares.v);
        free(p->shares.rec);
        free(p->alerts.v);
        free(p);
        return MWX_ENOMEM;
    }
    *out = p;
    return 0;
}

void mwxi_picture_clear(mwx_picture_t *p)
{
    free(p->scenario);
    p->scenario = NULL;
    for (size_t i = 0; i < p->n_tracks; i++) {
        free(p->tracks[i]->json);
        free(p->tracks[i]);
        p->tracks[i] = NULL;
    }
    p->n_tracks = 0;
    for (size_t i = 0; i < p->n_truth; i++) {
        free(p->truth[i]);
        p->truth[i] = NULL;
    }
    p->n_truth = 0;
    ring_clear(&p->shares);
    ring_clear(&p->alerts);
}

void mwxi_picture_free(mwx_picture_t *p)
{
    if (!p)
        return;
    mwxi_picture_clear(p);
    free(p->shares.v);
    free(p->shares.rec);
    free(p->alerts.v);
    free(p);
}

size_t mwxi_picture_track_count(const mwx_picture_t *p)
{
    return p->n_tracks;
}

static pic_track_t *find_track(mwx_picture_t *p, const mwx_rec_track_t *t, int *evicted)
{
    uint64_t key = mwx_id_key(t->node, t->track_id);
    for (size_t i = 0; i < p->n_tracks; i++)
        if (p->keys[i] == key && strcmp(p->tracks[i]->node, t->node) == 0 &&
            strcmp(p->tracks[i]->track_id, t->track_id) == 0)
            return p->tracks[i];
    pic_track_t *pt;
    size_t slot;
    if (p->n_tracks == MWX_WEB_MAX_TRACKS) {
        size_t old = 0;
        for (size_t i = 1; i < p->n_tracks; i++)
            if (p->tracks[i]->last_seq < p->tracks[old]->last_seq)
                old = i;
        pt = p->tracks[old];
        free(pt->json);
        memset(pt, 0, sizeof *pt);
        *evicted = 1;
        slot = old;
    } else {
        pt = calloc(1, sizeof *pt);
        if (!pt)
            return NULL;
        assert(p->n_tracks < MWX_WEB_MAX_TRACKS); /* within its maximum: evicted above */
        slot = p->n_tracks;
        p->tracks[p->n_tracks++] = pt;
    }
    p->keys[slot] = key;
    mwx_strlcpy(pt->node, t->node, sizeof pt->node);
    mwx_strlcpy(pt->track_id, t->track_id, sizeof pt->track_id);
    pt->min_dt = TRAIL_MIN_DT_S;
    return pt;
}

/* Append (t, ecef) to a bounded trail: points at least *min_dt apart; when full, keep the
 * first point and every other one after it and double the spacing. */
static void trail_push(double (*pts)[4], size_t *n_pts, double *min_dt, double t,
                       const double ecef[3])
{
    if (!isfinite(t) || !isfinite(ecef[0]) || !isfinite(ecef[1]) || !isfinite(ecef[2]))
        return;
    if (*n_pts > 0) {
        double last = pts[*n_pts - 1][0];
        if (t < last) /* out of order (a late share): not part of the trail */
            return;
        if (t - last < *min_dt)
            return;
    }
    if (*n_pts == MWX_WEB_TRAIL) {
        size_t k = 1;
        for (size_t i = 2; i < *n_pts; i += 2)
            memcpy(pts[k++], pts[i], sizeof pts[0]);
        *n_pts = k;
        *min_dt *= 2.0;
    }
    double *q = pts[(*n_pts)++];
    q[0] = t;
    q[1] = ecef[0];
    q[2] = ecef[1];
    q[3] = ecef[2];
}

static void trail_add(pic_track_t *pt, const mwx_rec_track_t *t)
{
    trail_push(pt->pts, &pt->n_pts, &pt->min_dt, t->t, t->ecef_m);
}

int mwxi_picture_add_truth(mwx_picture_t *p, const mwx_rec_truth_t *t)
{
    pic_truth_t *pt = NULL;
    for (size_t i = 0; i < p->n_truth && !pt; i++)
        if (strcmp(p->truth[i]->object, t->object) == 0)
            pt = p->truth[i];
    if (!pt) {
        if (p->n_truth == MWX_WEB_MAX_TRUTH)
            return MWX_EFULL;
        pt = calloc(1, sizeof *pt);
        if (!pt)
            return MWX_ENOMEM;
        mwx_strlcpy(pt->object, t->object, sizeof pt->object);
        pt->min_dt = TRAIL_MIN_DT_S;
        p->truth[p->n_truth++] = pt;
    }
    pt->phase = t->phase;
    /* The impact point always goes in: it ends the path. */
    if (t->phase == MWX_PHASE_IMPACT && pt->n_pts > 0 && pt->pts[pt->n_pts - 1][0] < t->t)
        pt->min_dt = t->t - pt->pts[pt->n_pts - 1][0];
    trail_push(pt->pts, &pt->n_pts, &pt->min_dt, t->t, t->ecef_m);
    return 0;
}

int mwxi_picture_add(mwx_picture_t *p, const mwx_record_t *rec, const char *json, int *evicted)
{
    *evicted = 0;
    if (rec->type != MWX_REC_SCENARIO && rec->type != MWX_REC_TRACK && rec->type != MWX_REC_SHARE &&
        rec->type != MWX_REC_ALERT)
        return 0;
    if (!json && rec->type != MWX_REC_TRACK && rec->type != MWX_REC_SHARE)
        return MWX_EINVAL;
    char *copy = json ? strdup(json) : NULL;
    if (json && !copy)
        return MWX_ENOMEM;
    switch (rec->type) {
    case MWX_REC_SCENARIO:
        /* A new scenario is a new run: forget the old picture. */
        mwxi_picture_clear(p);
        p->scenario = copy;
        break;
    case MWX_REC_TRACK: {
        pic_track_t *pt = find_track(p, &rec->u.track, evicted);
        if (!pt) {
            free(copy);
            return MWX_ENOMEM;
        }
        free(pt->json);
        pt->json = copy;
        pt->rec = rec->u.track;
        pt->have_rec = 1;
        pt->last_seq = ++p->seq;
        trail_add(pt, &rec->u.track);
        break;
    }
    case MWX_REC_SHARE: p->shares.rec[ring_push(&p->shares, copy)] = rec->u.share; break;
    default: ring_push(&p->alerts, copy); break;
    }
    return 0;
}

static void put_trail_points(const pic_track_t *pt, mwx_buf_t *sb)
{
    mwxi_buf_putc(sb, '[');
    for (size_t i = 0; i < pt->n_pts; i++)
        mwxi_buf_printf(sb, "%s[%.3f,%.1f,%.1f,%.1f]", i ? "," : "", pt->pts[i][0], pt->pts[i][1],
                        pt->pts[i][2], pt->pts[i][3]);
    mwxi_buf_putc(sb, ']');
}

static void put_truth(const pic_truth_t *pt, mwx_buf_t *sb)
{
    mwxi_buf_puts(sb, "{\"object\":");
    mwxi_buf_json_str(sb, pt->object);
    mwxi_buf_printf(sb, ",\"phase\":\"%s\",\"points\":[", mwx_phase_name(pt->phase));
    for (size_t i = 0; i < pt->n_pts; i++)
        mwxi_buf_printf(sb, "%s[%.3f,%.1f,%.1f,%.1f]", i ? "," : "", pt->pts[i][0], pt->pts[i][1],
                        pt->pts[i][2], pt->pts[i][3]);
    mwxi_buf_puts(sb, "]}");
}

static void put_ring_sse(const ring_t *r, const char *event, mwx_buf_t *sb)
{
    for (size_t i = 0; i < r->n; i++) {
        char *enc;
        const char *line = ring_at(r, i, &enc);
        if (line)
            mwxi_sse_event(sb, event, line);
        else
            sb->oom = 1;
        free(enc);
    }
}

static void put_ring_json(const ring_t *r, mwx_buf_t *sb)
{
    for (size_t i = 0; i < r->n; i++) {
        char *enc;
        const char *line = ring_at(r, i, &enc);
        if (i)
            mwxi_buf_putc(sb, ',');
        if (line)
            mwxi_buf_puts(sb, line);
        else
            sb->oom = 1;
        free(enc);
    }
}

/* Tracks in the order they were first seen would reorder after an eviction; the
 * browser does not care, it keys by (node, track_id). */
void mwxi_picture_sse(const mwx_picture_t *p, mwx_buf_t *sb)
{
    if (p->scenario)
        mwxi_sse_event(sb, "scenario", p->scenario);
    mwx_buf_t tmp;
    for (size_t i = 0; i < p->n_truth; i++) {
        mwxi_buf_init(&tmp);
        put_truth(p->truth[i], &tmp);
        if (tmp.oom)
            sb->oom = 1;
        else
            mwxi_sse_event(sb, "truth_trail", tmp.p);
        mwxi_buf_free(&tmp);
    }
    for (size_t i = 0; i < p->n_tracks; i++) {
        const pic_track_t *pt = p->tracks[i];
        mwxi_buf_init(&tmp);
        mwxi_buf_puts(&tmp, "{\"node\":");
        mwxi_buf_json_str(&tmp, pt->node);
        mwxi_buf_puts(&tmp, ",\"track_id\":");
        mwxi_buf_json_str(&tmp, pt->track_id);
        mwxi_buf_puts(&tmp, ",\"points\":");
        put_trail_points(pt, &tmp);
        mwxi_buf_putc(&tmp, '}');
        if (tmp.oom)
            sb->oom = 1;
        else
            mwxi_sse_event(sb, "trail", tmp.p);
        mwxi_buf_free(&tmp);
        char *enc;
        const char *line = track_json(pt, &enc);
        if (line)
            mwxi_sse_event(sb, "track", line);
        else if (pt->have_rec)
            sb->oom = 1;
        free(enc);
    }
    put_ring_sse(&p->shares, "share", sb);
    put_ring_sse(&p->alerts, "alert", sb);
}

void mwxi_picture_json_members(const mwx_picture_t *p, mwx_buf_t *sb)
{
    mwxi_buf_puts(sb, "\"scenario\":");
    mwxi_buf_puts(sb, p->scenario ? p->scenario : "null");
    mwxi_buf_puts(sb, ",\"tracks\":[");
    int first = 1;
    for (size_t i = 0; i < p->n_tracks; i++) {
        const pic_track_t *pt = p->tracks[i];
        char *enc;
        const char *line = track_json(pt, &enc);
        if (!line) {
            if (pt->have_rec)
                sb->oom = 1;
            continue;
        }
        mwxi_buf_puts(sb, first ? "{\"track\":" : ",{\"track\":");
        first = 0;
        mwxi_buf_puts(sb, line);
        free(enc);
        mwxi_buf_puts(sb, ",\"trail\":");
        put_trail_points(pt, sb);
        mwxi_buf_putc(sb, '}');
    }
    mwxi_buf_puts(sb, "],\"truth\":[");
    for (size_t i = 0; i < p->n_truth; i++) {
        if (i)
            mwxi_buf_putc(sb, ',');
        put_truth(p->truth[i], sb);
    }
    mwxi_buf_puts(sb, "],\"shares\":[");
    put_ring_json(&p->shares, sb);
    mwxi_buf_puts(sb, "],\"alerts\":[");
    put_ring_json(&p->alerts, sb);
    mwxi_buf_putc(sb, ']');
}
