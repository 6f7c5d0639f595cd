/* The warning context's outputs: every decision handed to the output formats (formats.c's
 * table), the picture written when it changed, and the picture's read access for the web
 * page. */
#include "warn/warn_state.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ outputs */

void mwxi_warn_emit_file(void *ctx, mwx_warn_output_t out, const char *file, const char *identifier,
                         mwx_msg_type_t mt, const int *regions, size_t n_regions)
{
    mwx_warn_t *w = ctx;
    mwx_rec_alert_t rec;

    w->st.files_written++;
    if (out == MWX_WARN_OUT_COT)
        w->st.cot_events++;
    if (!w->emit)
        return;
    memset(&rec, 0, sizeof rec);
    rec.t = w->now_t;
    mwx_strlcpy(rec.node, w->node, sizeof rec.node);
    mwx_strlcpy(rec.identifier, identifier, sizeof rec.identifier);
    rec.msg_type = mt;
    rec.status = w->status;
    rec.kind = out == MWX_WARN_OUT_CAP ? w->msg_kind : MWX_ALERT_IMPACT;
    for (size_t i = 0; i < n_regions && i < MWX_MAX_ALERT_REGIONS; i++) {
        const mwx_region_info_t *ri = mwx_regions_info(w->regions, (size_t)regions[i]);
        if (ri)
            mwx_strlcpy(rec.regions[rec.n_regions++], ri->id, sizeof rec.regions[0]);
    }
    snprintf(rec.file, sizeof rec.file, "alerts/%s", file);
    w->emit(w->user, out, &rec);
}

void mwxi_warn_make_view(mwx_warn_t *w, mwx_warn_view_t *v)
{
    v->durable = w->durable;
    v->views = w->defer_views ? &w->views : NULL;
    v->atom_name = w->atom_name;
    v->geojson_name = w->geojson_name;
    v->stats = &w->st;
    v->node = w->node;
    v->sender = w->sender;
    v->out_dir = w->out_dir;
    v->alerts_dir = w->alerts_dir;
    v->status = w->status;
    v->epoch_unix_s = w->epoch;
    v->now_t = w->now_t;
    v->regions = w->regions;
    v->policy = &w->pol;
    v->nocache = w->nocache;
}

void mwxi_warn_set_nocache(struct mwx_warn *w, int on)
{
    w->nocache = on;
}

int mwxi_warn_run_message(mwx_warn_t *w, const mwx_warn_msg_t *m, mwx_err_t *err)
{
    mwx_warn_view_t v;
    int rc;
    mwxi_warn_make_view(w, &v);
    w->msg_kind = (mwx_alert_kind_t)m->kind;
    for (int i = 0; i < w->nfmt; i++)
        if (w->fmts[i]->message &&
            (rc = w->fmts[i]->message(w->fstate[i], &v, m, mwxi_warn_emit_file, w, err)))
            return rc;
    w->msgs_changed = 1;
    return MWX_OK;
}

int mwxi_warn_run_track(mwx_warn_t *w, const mwx_warn_trackview_t *tv, mwx_err_t *err)
{
    mwx_warn_view_t v;
    int rc;
    mwxi_warn_make_view(w, &v);
    if (w->replay)
        v.durable = 0; /* a view of history being replayed: rewritten again soon */
    for (int i = 0; i < w->nfmt; i++)
        if (w->fmts[i]->track &&
            (rc = w->fmts[i]->track(w->fstate[i], &v, tv, mwxi_warn_emit_file, w, err)))
            return rc;
    return MWX_OK;
}

/* The feed lists messages: rewritten only when one was issued. The picture
 * (latest.geojson) at once when a message was issued or a track appeared or went, else at
 * most every picture_interval_s of scenario time; force writes any pending change now. */
int mwxi_warn_run_picture(mwx_warn_t *w, int force, mwx_err_t *err)
{
    mwx_warn_view_t v;
    int rc, pic;
    pic = w->picture_pending && (force || w->msgs_changed || w->picture_force ||
                                 !(w->now_t - w->last_picture_t < w->pol.picture_interval_s));
    if (w->replay && !force)
        pic = 0; /* left pending: written once when the replay ends */
    if (!pic && !w->msgs_changed)
        return MWX_OK;
    mwxi_warn_make_view(w, &v);
    for (int i = 0; i < w->nfmt; i++) {
        if (!w->fmts[i]->picture)
            continue;
        if (w->fmts[i]->picture_on_messages ? !w->msgs_changed : !pic)
            continue;
        if ((rc = w->fmts[i]->picture(w->fstate[i], &v, w, mwxi_warn_emit_file, w, err)))
            return rc;
    }
    if (pic) {
        w->picture_pending = 0;
        w->picture_force = 0;
        w->last_picture_t = w->now_t;
    }
    w->msgs_changed = 0;
    return MWX_OK;
}

/* After the call's files: let formats get ready for the next message. */
void mwxi_warn_run_prepare(mwx_warn_t *w)
{
    mwx_warn_view_t v;
    mwxi_warn_make_view(w, &v);
    for (int i = 0; i < w->nfmt; i++)
        if (w->fmts[i]->prepare)
            w->fmts[i]->prepare(w->fstate[i], &v);
}

/* The end of an entry point: the picture, then the preparation for the next message. */
int mwxi_warn_finish(mwx_warn_t *w, mwx_err_t *err)
{
    int rc = mwxi_warn_run_picture(w, 0, err);
    mwxi_warn_run_prepare(w);
    return rc;
}

int mwx_warn_set_replay(mwx_warn_t *w, int on, mwx_err_t *err)
{
    if (!w)
        return mwx_err_set(err, MWX_EINVAL, "warn: missing argument");
    w->replay = on != 0;
    return on ? MWX_OK : mwxi_warn_run_picture(w, 1, err);
}

int mwx_warn_sync_views(mwx_warn_t *w, mwx_err_t *err)
{
    if (!w)
        return mwx_err_set(err, MWX_EINVAL, "warn: missing argument");
    return mwxi_warn_views_sync(&w->views, w->alerts_dir, err);
}

int mwx_warn_flush(mwx_warn_t *w, mwx_err_t *err)
{
    if (!w)
        return mwx_err_set(err, MWX_EINVAL, "warn: missing argument");
    return mwxi_warn_run_picture(w, 1, err);
}

/* ------------------------------------------------------------------ picture access */

size_t mwxi_warn_pic_ntracks(const struct mwx_warn *w)
{
    return MWX_WARN_MAX_TRACKS;
}

void mwxi_warn_pic_track(const struct mwx_warn *w, size_t i, mwx_warn_pic_track_t *out)
{
    const wtrack_t *tr = &w->tracks[i];
    memset(out, 0, sizeof *out);
    if (!tr->used || tr->orphan) /* a restored series without a track is not a track */
        return;
    out->trk = &tr->trk;
    out->active = !tr->done;
    if (tr->n_ring) {
        out->ring = (const double(*)[2])tr->ring;
        out->n_ring = tr->n_ring;
    }
}

size_t mwxi_warn_pic_nseries(const struct mwx_warn *w)
{
    return 2 * MWX_WARN_MAX_TRACKS;
}

void mwxi_warn_pic_series(const struct mwx_warn *w, size_t i, mwx_warn_pic_series_t *out)
{
    const wtrack_t *tr = &w->tracks[i / 2];
    const wseries_t *s = &tr->s[i % 2];
    memset(out, 0, sizeof *out);
    if (!tr->used || !s->has_last)
        return;
    out->track_id = s->sname[0] ? s->sname : tr->trk.track_id;
    out->kind = s->kind;
    out->active = s->active;
    out->last = &s->last;
    out->warned = s->warned;
}
