/* Cursor-on-Target output format: one event XML per track, rewritten at each update
 * (alerts/<uid>.cot.xml), and optionally streamed to a TAK endpoint.
 *
 * type "a-h-A-W-M-S-S": CoT types are MIL-STD-2525 symbol codes spelt out -- atom (a),
 * hostile (h), Air battle dimension (A: a missile in flight is an air track; CoT's Space
 * dimension is for orbiting objects), Weapon (W), Missile in flight (M), Surface/land
 * launched (S), Surface-to-surface (S). That is 2525B's SSM in flight, S*A*WMSS--.
 * how "m-f": machine-generated, fused from sensor data.
 * uid "mwx.<node>.<track>": stable for a track on a node, so TAK replaces the marker.
 * point: the track's position (hae metres above WGS-84); ce/le: one-sigma horizontal error
 * (largest axis of the horizontal covariance) and vertical error, metres, from cov_pos_m2.
 * time = start = the update's time; stale = time + track_stale_s, or = time on the final
 * event so that TAK drops the marker. detail/track: course (degrees from true north) and
 * horizontal speed (m/s). detail/mwx_impact: the predicted impact point and 95 % ellipse.
 *
 * Written by hand into a reused buffer (no allocation per update); every text is escaped. */
#include "warn/warn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NFILES MWX_WARN_MAX_TRACKS

typedef struct cot_state {
    mwx_buf_t buf;
    mwx_tak_t *tak;
    /* files of live tracks, whose spare inodes are removed at their final event, or at the
     * end for tracks still live then */
    char dir[MWX_PATH_LEN + 16];
    char files[NFILES][128];
} cot_state_t;

/* Remember (live) or forget (final event) a track's file. */
static void note_file(cot_state_t *s, const char *dir, const char *name, int live)
{
    int free_slot = -1;
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    for (int i = 0; i < NFILES; i++) {
        if (strcmp(s->files[i], name) == 0) {
            if (!live)
                s->files[i][0] = '\0';
            return;
        }
        if (!s->files[i][0] && free_slot < 0)
            free_slot = i;
    }
    if (live && free_slot >= 0)
        mwx_strlcpy(s->files[free_slot], name, sizeof s->files[0]);
}

static int cot_create(void **state, const mwx_warn_config_t *cfg, mwx_err_t *err)
{
    cot_state_t *s = calloc(1, sizeof *s);
    int rc;
    if (!s)
        return mwx_err_set(err, MWX_ENOMEM, "cot: out of memory");
    if (cfg->tak_endpoint && cfg->tak_endpoint[0] &&
        (rc = mwxi_tak_open(cfg->tak_endpoint, &s->tak, err))) {
        free(s);
        return rc;
    }
    if (mwxi_buf_reserve(&s->buf, 4096)) {
        mwxi_tak_close(s->tak);
        free(s);
        return mwx_err_set(err, MWX_ENOMEM, "cot: out of memory");
    }
    *state = s;
    return MWX_OK;
}

static void cot_destroy(void *state)
{
    cot_state_t *s = state;
    if (!s)
        return;
    for (int i = 0; i < NFILES; i++)
        if (s->files[i][0])
            mwxi_warn_drop_spare(s->dir, s->files[i]);
    mwxi_tak_close(s->tak);
    mwxi_buf_free(&s->buf);
    free(s);
}

/* CoT times are xs:dateTime in UTC; TAK clients expect the "Z" form. */
static void cot_time(double unix_s, char *buf, size_t n)
{
    size_t len;
    (void)mwx_time_format(unix_s, 0, 3, buf, n);
    len = strlen(buf);
    if (len >= 6 && strcmp(buf + len - 6, "+00:00") == 0)
        strcpy(buf + len - 6, "Z");
}

static int cot_track(void *state, const mwx_warn_view_t *v, const mwx_warn_trackview_t *tv,
                     mwx_warn_emit_file_fn emit, void *ectx, mwx_err_t *err)
{
    cot_state_t *s = state;
    mwx_buf_t *b = &s->buf;
    const mwx_rec_track_t *trk = tv->trk;
    char uid[96], tid[MWX_ID_LEN], node[MWX_ID_LEN], t_now[40], t_stale[40], name[128];
    double now = v->epoch_unix_s + trk->t;
    int rc;

    mwxi_warn_sanitize_id(tid, sizeof tid, trk->track_id);
    mwxi_warn_sanitize_id(node, sizeof node, v->node);
    snprintf(uid, sizeof uid, "mwx.%s.%s", node, tid);
    cot_time(now, t_now, sizeof t_now);
    cot_time(tv->last ? now : now + v->policy->track_stale_s, t_stale, sizeof t_stale);

    mwxi_buf_reset(b);
    mwxi_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n");
    mwxi_buf_printf(b,
                    "<event version=\"2.0\" uid=\"%s\" type=\"a-h-A-W-M-S-S\" how=\"m-f\" "
                    "time=\"%s\" start=\"%s\" stale=\"%s\">\n",
                    uid, t_now, t_now, t_stale);
    mwxi_buf_printf(b,
                    "  <point lat=\"%.7f\" lon=\"%.7f\" hae=\"%.1f\" ce=\"%.1f\" "
                    "le=\"%.1f\"/>\n",
                    tv->lat, tv->lon, tv->alt_m, tv->ce_m, tv->le_m);
    mwxi_buf_puts(b, "  <detail>\n");
    mwxi_buf_printf(b, "    <track course=\"%.2f\" speed=\"%.1f\"/>\n", tv->course_deg,
                    tv->speed_mps);
    mwxi_buf_puts(b, "    <contact callsign=\"");
    mwxi_warn_xml(b, trk->track_id);
    mwxi_buf_puts(b, "\"/>\n");
    if (trk->impact.valid && isfinite(trk->impact.lat) && isfinite(trk->impact.lon)) {
        char t_imp[40];
        cot_time(v->epoch_unix_s + trk->impact.t, t_imp, sizeof t_imp);
        mwxi_buf_printf(b,
                        "    <mwx_impact lat=\"%.5f\" lon=\"%.5f\" time=\"%s\" "
                        "semi_major_km=\"%.3f\" semi_minor_km=\"%.3f\" "
                        "orientation_deg=\"%.2f\"/>\n",
                        trk->impact.lat, trk->impact.lon, t_imp, trk->impact.semi_major_km,
                        trk->impact.semi_minor_km, trk->impact.orientation_deg);
    }
    mwxi_buf_printf(b, "    <remarks>%s%s track, phase %s, vertical speed %.0f m/s, node ",
                    v->status == MWX_STATUS_ACTUAL ? "" : mwx_status_name(v->status),
                    v->status == MWX_STATUS_ACTUAL ? "Missile" : " (simulated): missile",
                    mwx_phase_name(trk->phase), tv->vspeed_mps);
    mwxi_warn_xml(b, v->node);
    if (trk->sources[0]) {
        mwxi_buf_puts(b, ", sources ");
        mwxi_warn_xml(b, trk->sources);
    }
    mwxi_buf_puts(b, "</remarks>\n  </detail>\n</event>\n");
    if (b->oom)
        return mwx_err_set(err, MWX_ENOMEM, "cot: out of memory");
    snprintf(name, sizeof name, "%s.cot.xml", uid);
    if ((rc = mwxi_warn_rewrite_view(v, name, b->p, b->len, err)))
        return rc;
    note_file(s, v->alerts_dir, name, !tv->last);
    if (tv->last) /* the track's final event: the file is not rewritten again */
        mwxi_warn_drop_spare(v->alerts_dir, name);
    if (s->tak) {
        mwxi_tak_send(s->tak, b->p, b->len);
        mwxi_tak_counts(s->tak, &v->stats->tak_sent, &v->stats->tak_errors);
    }
    emit(ectx, MWX_WARN_OUT_COT, name, uid,
         tv->last    ? MWX_MSG_CANCEL
         : tv->first ? MWX_MSG_ALERT
                     : MWX_MSG_UPDATE,
         NULL, 0);
    return MWX_OK;
}

const mwx_warn_format_t mwxi_warn_format_cot = {
    .name = "cot",
    .kind = MWX_WARN_OUT_COT,
    .track = cot_track,
    .create = cot_create,
    .destroy = cot_destroy,
};
