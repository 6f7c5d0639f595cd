/* Atom output format (RFC 4287): alerts/alerts.atom, the feed of current alerts, rewritten
 * whenever a CAP message is issued. One entry per alert series: its latest message. A
 * closed series (last message a Cancel) stays in the feed with that Cancel, so that a
 * reader polling the feed sees the end of the warning, until its track is forgotten.
 * Entry id: "urn:mwx:cap:<identifier>" (a message id is unique and never reused); link
 * rel="alternate" type="application/cap+xml" to the CAP file beside the feed. */
#include "warn/warn_internal.h"

#include <libxml/xmlwriter.h>
#include <stdlib.h>
#include <string.h>

typedef struct atom_state {
    xmlBufferPtr buf;
    char dir[MWX_PATH_LEN + 16], name[64]; /* where the feed went (its spare is removed at
                                              the end) */
} atom_state_t;

static int atom_create(void **state, const mwx_warn_config_t *cfg, mwx_err_t *err)
{
    atom_state_t *s = calloc(1, sizeof *s);
    (void)cfg;
    if (!s || !(s->buf = xmlBufferCreateSize(16384))) {
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
        mwx_warn_drop_spare(s->dir, s->name);
    xmlBufferFree(s->buf);
    free(s);
}

static int atom_picture(void *state, const mwx_warn_view_t *v, const struct mwx_warn *w,
                        mwx_warn_emit_file_fn emit, void *ectx, mwx_err_t *err)
{
    atom_state_t *s = state;
    xmlTextWriterPtr x;
    char now[40], id[256], title[256], href[200];
    int bad = 0, rc;
    const char *tag = v->status == MWX_STATUS_ACTUAL ? "" : v->status == MWX_STATUS_EXERCISE
                                                               ? "EXERCISE - " : "TEST - ";

    xmlBufferEmpty(s->buf);
    x = xmlNewTextWriterMemory(s->buf, 0);
    if (!x)
        return mwx_err_set(err, MWX_ENOMEM, "atom: cannot create an XML writer");
    xmlTextWriterSetIndent(x, 1);
    mwx_time_format(v->epoch_unix_s + v->now_t, 0, 0, now, sizeof now);
    bad |= xmlTextWriterStartDocument(x, "1.0", "UTF-8", NULL) < 0;
    bad |= xmlTextWriterStartElementNS(x, NULL, BAD_CAST "feed",
                                       BAD_CAST "http://www.w3.org/2005/Atom") < 0;
    snprintf(id, sizeof id, "urn:mwx:feed:%s", v->sender);
    bad |= xmlTextWriterWriteElement(x, BAD_CAST "id", BAD_CAST id) < 0;
    snprintf(title, sizeof title, "%smwx public warnings, node %s", tag, v->node);
    bad |= xmlTextWriterWriteElement(x, BAD_CAST "title", BAD_CAST title) < 0;
    bad |= xmlTextWriterWriteElement(x, BAD_CAST "updated", BAD_CAST now) < 0;
    bad |= xmlTextWriterStartElement(x, BAD_CAST "author") < 0;
    snprintf(title, sizeof title, "mwx node %s", v->node);
    bad |= xmlTextWriterWriteElement(x, BAD_CAST "name", BAD_CAST title) < 0;
    bad |= xmlTextWriterEndElement(x) < 0;
    bad |= xmlTextWriterStartElement(x, BAD_CAST "link") < 0;
    bad |= xmlTextWriterWriteAttribute(x, BAD_CAST "rel", BAD_CAST "self") < 0;
    bad |= xmlTextWriterWriteAttribute(x, BAD_CAST "href", BAD_CAST v->atom_name) < 0;
    bad |= xmlTextWriterEndElement(x) < 0;
    for (size_t i = 0; i < mwx_warn_pic_nseries(w); i++) {
        mwx_warn_pic_series_t ps;
        const mwx_warn_msg_t *m;
        mwx_warn_pic_series(w, i, &ps);
        if (!(m = ps.last))
            continue;
        bad |= xmlTextWriterStartElement(x, BAD_CAST "entry") < 0;
        snprintf(id, sizeof id, "urn:mwx:cap:%s", m->identifier);
        bad |= xmlTextWriterWriteElement(x, BAD_CAST "id", BAD_CAST id) < 0;
        snprintf(title, sizeof title, "%s%s %s: %s, %zu region%s", tag,
                 m->kind == MWX_WARN_OVERFLIGHT ? "Missile overflight" : "Missile impact",
                 m->msg_type == MWX_MSG_CANCEL ? (m->all_clear ? "all clear" : "cancelled")
                                               : m->msg_type == MWX_MSG_ALERT ? "warning"
                                                                              : "update",
                 m->track_id, m->n_regions, m->n_regions == 1 ? "" : "s");
        bad |= xmlTextWriterWriteElement(x, BAD_CAST "title", BAD_CAST title) < 0;
        bad |= xmlTextWriterWriteElement(x, BAD_CAST "updated", BAD_CAST m->sent) < 0;
        bad |= xmlTextWriterStartElement(x, BAD_CAST "link") < 0;
        bad |= xmlTextWriterWriteAttribute(x, BAD_CAST "rel", BAD_CAST "alternate") < 0;
        bad |= xmlTextWriterWriteAttribute(x, BAD_CAST "type",
                                           BAD_CAST "application/cap+xml") < 0;
        snprintf(href, sizeof href, "%s.cap.xml", m->identifier);
        bad |= xmlTextWriterWriteAttribute(x, BAD_CAST "href", BAD_CAST href) < 0;
        bad |= xmlTextWriterEndElement(x) < 0;
        bad |= xmlTextWriterStartElement(x, BAD_CAST "summary") < 0;
        for (size_t k = 0; k < m->n_regions; k++) {
            const mwx_region_info_t *ri = mwx_regions_info(v->regions, (size_t)m->regions[k]);
            if (ri)
                bad |= xmlTextWriterWriteFormatString(x, "%s%s (%s)", k ? ", " : "", ri->name,
                                                      ri->id) < 0;
        }
        bad |= xmlTextWriterEndElement(x) < 0;
        bad |= xmlTextWriterEndElement(x) < 0;
    }
    bad |= xmlTextWriterEndElement(x) < 0;
    bad |= xmlTextWriterEndDocument(x) < 0;
    xmlFreeTextWriter(x);
    if (bad)
        return mwx_err_set(err, MWX_ENOMEM, "atom: could not write the feed");
    if ((rc = mwx_warn_rewrite_file(v->alerts_dir, v->atom_name,
                                  (const char *)xmlBufferContent(s->buf),
                                  (size_t)xmlBufferLength(s->buf), v->durable, err)))
        return rc;
    snprintf(s->dir, sizeof s->dir, "%s", v->alerts_dir);
    snprintf(s->name, sizeof s->name, "%s", v->atom_name);
    emit(ectx, MWX_WARN_OUT_ATOM, v->atom_name, v->atom_name, MWX_MSG_UPDATE, NULL, 0);
    return MWX_OK;
}

const mwx_warn_format_t mwx_warn_format_atom = {
    .name = "atom",
    .kind = MWX_WARN_OUT_ATOM,
    .picture = atom_picture,
    .create = atom_create,
    .destroy = atom_destroy,
};
