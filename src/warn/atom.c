/* Atom output format (RFC 4287): alerts/alerts.atom, the feed of current alerts, rewritten
 * whenever a CAP message is issued. One entry per alert series: its latest message. A
 * closed series (last message a Cancel) stays in the feed with that Cancel, so that a
 * reader polling the feed sees the end of the warning, until its track is forgotten.
 * Entry id: "urn:mwx:cap:<identifier>" (a message id is unique and never reused); link
 * rel="alternate" type="application/cap+xml" to the CAP file beside the feed.
 *
 * Written by hand (one-space indent, the layout libxml2's xmlTextWriter gave it). An entry
 * depends only on its message, and a message's identifier is never reused, so each
 * series' entry text is kept with the identifier it was made for: a rewrite formats the
 * header and the entries of new messages only. */
#include "warn/warn_internal.h"

#include <stdlib.h>
#include <string.h>

#define NSLOT (2 * MWX_WARN_MAX_TRACKS) /* = mwxi_warn_pic_nseries() */

typedef struct atom_entry {
    char identifier[128]; /* the message the text was made for ("" = none) */
    mwx_buf_t text;
} atom_entry_t;

typedef struct atom_state {
    mwx_buf_t buf;
    atom_entry_t entry[NSLOT];
    char dir[MWX_PATH_LEN + 16], name[64]; /* where the feed went (its spare is removed at
                                              the end) */
} atom_state_t;

static int atom_create(void **state, const mwx_warn_config_t *cfg, mwx_err_t *err)
{
    atom_state_t *s = calloc(1, sizeof *s);
    (void)cfg;
    if (!s || mwxi_buf_reserve(&s->buf, 16384)) {
        free(s);
        return mwx_err_set(err, MWX_ENOMEM, "atom: out of memory");
    }
    *state = s;
    return MWX_OK;
}

static void atom_destroy(void *state)
{
    atom_state_t *s = state;
    if (!s)
        return;
    if (s->dir[0])
        mwxi_warn_drop_spare(s->dir, s->name);
    mwxi_buf_free(&s->buf);
    for (size_t i = 0; i < NSLOT; i++)
        mwxi_buf_free(&s->entry[i].text);
    free(s);
}

static const char *status_tag(mwx_status_t st)
{
    return st == MWX_STATUS_ACTUAL ? "" : st == MWX_STATUS_EXERCISE ? "EXERCISE - " : "TEST - ";
}

/* <name>text</name> on its own line at the given indent (one space per level). */
static void el(mwx_buf_t *b, int depth, const char *name, const char *text)
{
    mwxi_warn_xml_el(b, depth, name, text);
}

static void entry_text(mwx_buf_t *b, const mwx_warn_view_t *v, const mwx_warn_msg_t *m)
{
    char text[320];
    const char *what = m->msg_type == MWX_MSG_CANCEL  ? (m->all_clear ? "all clear" : "cancelled")
                       : m->msg_type == MWX_MSG_ALERT ? "warning"
                                                      : "update";

    mwxi_buf_reset(b);
    mwxi_buf_puts(b, " <entry>\n");
    snprintf(text, sizeof text, "urn:mwx:cap:%s", m->identifier);
    el(b, 2, "id", text);
    snprintf(text, sizeof text, "%s%s %s: %s, %zu region%s", status_tag(v->status),
             m->kind == MWX_WARN_OVERFLIGHT ? "Missile overflight" : "Missile impact", what,
             m->track_id, m->n_regions, m->n_regions == 1 ? "" : "s");
    el(b, 2, "title", text);
    el(b, 2, "updated", m->sent);
    mwxi_buf_puts(b, "  <link rel=\"alternate\" type=\"application/cap+xml\" href=\"");
    mwxi_warn_xml_esc(b, m->identifier, 1);
    mwxi_buf_puts(b, ".cap.xml\"/>\n  <summary>");
    for (size_t k = 0; k < m->n_regions; k++) {
        const mwx_region_info_t *ri = mwx_regions_info(v->regions, (size_t)m->regions[k]);
        if (!ri)
            continue;
        if (k)
            mwxi_buf_put(b, ", ", 2);
        mwxi_warn_xml_esc(b, ri->name, 0);
        mwxi_buf_put(b, " (", 2);
        mwxi_warn_xml_esc(b, ri->id, 0);
        mwxi_buf_put(b, ")", 1);
    }
    mwxi_buf_puts(b, "</summary>\n </entry>\n");
}

static int atom_picture(void *state, const mwx_warn_view_t *v, const struct mwx_warn *w,
                        mwx_warn_emit_file_fn emit, void *ectx, mwx_err_t *err)
{
    atom_state_t *s = state;
    mwx_buf_t *b = &s->buf;
    char now[40], text[256];
    int rc, failed = 0;

    (void)mwx_time_format(v->epoch_unix_s + v->now_t, 0, 0, now, sizeof now);
    mwxi_buf_reset(b);
    mwxi_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    snprintf(text, sizeof text, "urn:mwx:feed:%s", v->sender);
    el(b, 1, "id", text);
    snprintf(text, sizeof text, "%smwx public warnings, node %s", status_tag(v->status), v->node);
    el(b, 1, "title", text);
    el(b, 1, "updated", now);
    mwxi_buf_puts(b, " <author>\n");
    snprintf(text, sizeof text, "mwx node %s", v->node);
    el(b, 2, "name", text);
    mwxi_buf_puts(b, " </author>\n <link rel=\"self\" href=\"");
    mwxi_warn_xml_esc(b, v->atom_name, 1);
    mwxi_buf_puts(b, "\"/>\n");
    for (size_t i = 0; i < mwxi_warn_pic_nseries(w) && i < NSLOT; i++) {
        mwx_warn_pic_series_t ps;
        atom_entry_t *e = &s->entry[i];
        mwxi_warn_pic_series(w, i, &ps);
        if (!ps.last)
            continue;
        if (v->nocache || strcmp(e->identifier, ps.last->identifier) != 0) {
            entry_text(&e->text, v, ps.last);
            /* a text cut short by a failed allocation is never reused */
            mwx_strlcpy(e->identifier, e->text.oom ? "" : ps.last->identifier,
                        sizeof e->identifier);
        }
        failed |= e->text.oom;
        mwxi_buf_put(b, e->text.p, e->text.len);
    }
    mwxi_buf_puts(b, "</feed>\n");
    if (failed || b->oom)
        return mwx_err_set(err, MWX_ENOMEM, "atom: could not write the feed");
    if ((rc = mwxi_warn_rewrite_file(v->alerts_dir, v->atom_name, b->p, b->len, v->durable, err)))
        return rc;
    snprintf(s->dir, sizeof s->dir, "%s", v->alerts_dir);
    snprintf(s->name, sizeof s->name, "%s", v->atom_name);
    emit(ectx, MWX_WARN_OUT_ATOM, v->atom_name, v->atom_name, MWX_MSG_UPDATE, NULL, 0);
    return MWX_OK;
}

const mwx_warn_format_t mwxi_warn_format_atom = {
    .name = "atom",
    .kind = MWX_WARN_OUT_ATOM,
    .picture_on_messages = 1,
    .picture = atom_picture,
    .create = atom_create,
    .destroy = atom_destroy,
};
