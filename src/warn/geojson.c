/* GeoJSON output format: alerts/latest.geojson, the current picture, rewritten after every
 * update. A FeatureCollection (RFC 7946, lon/lat degrees) with
 *   - kind "track":          Point [lon, lat, alt_m] per track, with phase, speed, course;
 *   - kind "launch_point":   Point of the estimated launch point, when known;
 *   - kind "impact_ellipse": Polygon of the 95 % ellipse (counter-clockwise, as RFC 7946
 *                            wants), with the predicted impact time and axes;
 *   - kind "region":         the region's own geometry with status "impact" (warned for
 *                            impact), "overflight", "cancelled" or "all_clear" (its series'
 *                            last message was a Cancel), the identifier and msg_type.
 * and a foreign member "mwx" {node, status, t}. Written by hand into a reused buffer; the
 * region geometries are the compact text kept when the regions were loaded, and each
 * region's whole feature is kept with the status and message it was made for (a message
 * identifier is never reused), so that only changed regions are formatted again. */
#include "warn/warn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct gj_region {
    uint8_t status; /* what the text was made for (0: nothing yet) */
    char identifier[128];
    mwx_buf_t text;
} gj_region_t;

typedef struct gj_state {
    mwx_buf_t buf;
    gj_region_t region[MWX_MAX_ALERT_REGIONS];
    uint8_t status
        [MWX_MAX_ALERT_REGIONS]; /* 0 none, 1 cancelled, 2 all clear, 3 overflight, 4 impact */
    const mwx_warn_msg_t *msg[MWX_MAX_ALERT_REGIONS];
    char dir[MWX_PATH_LEN + 16], name[64]; /* where the file went: its spare is removed at
                                              the end */
} gj_state_t;

static int gj_create(void **state, const mwx_warn_config_t *cfg, mwx_err_t *err)
{
    gj_state_t *s = calloc(1, sizeof *s);
    (void)cfg;
    if (!s || mwxi_buf_reserve(&s->buf, 65536)) {
        free(s);
        return mwx_err_set(err, MWX_ENOMEM, "geojson: out of memory");
    }
    *state = s;
    return MWX_OK;
}

static void gj_destroy(void *state)
{
    gj_state_t *s = state;
    if (!s)
        return;
    if (s->dir[0])
        mwxi_warn_drop_spare(s->dir, s->name);
    mwxi_buf_free(&s->buf);
    for (size_t i = 0; i < MWX_MAX_ALERT_REGIONS; i++)
        mwxi_buf_free(&s->region[i].text);
    free(s);
}

static double wrap_lon(double lon)
{
    while (lon > 180.0)
        lon -= 360.0;
    while (lon < -180.0)
        lon += 360.0;
    return lon;
}

static const char *const status_names[] = {"", "cancelled", "all_clear", "overflight", "impact"};

/* One region's feature (no separator). */
static void region_feature(mwx_buf_t *b, const mwx_warn_view_t *v, size_t r, uint8_t status,
                           const mwx_warn_msg_t *m)
{
    const mwx_region_info_t *ri = mwx_regions_info(v->regions, r);
    mwxi_buf_reset(b);
    mwxi_buf_puts(b, "{\"type\":\"Feature\",\"id\":");
    mwxi_buf_json_str(b, ri->id);
    mwxi_buf_puts(b, ",\"geometry\":");
    mwxi_buf_puts(b, mwxi_regions_geojson(v->regions, r));
    mwxi_buf_puts(b, ",\"properties\":{\"kind\":\"region\",\"id\":");
    mwxi_buf_json_str(b, ri->id);
    mwxi_buf_puts(b, ",\"name\":");
    mwxi_buf_json_str(b, ri->name);
    mwxi_buf_puts(b, ",\"name_local\":");
    mwxi_buf_json_str(b, ri->name_local);
    mwxi_buf_puts(b, ",\"name_ja\":");
    mwxi_buf_json_str(b, ri->name_ja);
    mwxi_buf_puts(b, ",\"name_ko\":");
    mwxi_buf_json_str(b, ri->name_ko);
    mwxi_buf_printf(b,
                    ",\"status\":\"%s\",\"msg_type\":\"%s\",\"identifier\":", status_names[status],
                    mwx_msg_type_name(m->msg_type));
    mwxi_buf_json_str(b, m->identifier);
    mwxi_buf_puts(b, "}}");
}

static int gj_picture(void *state, const mwx_warn_view_t *v, const struct mwx_warn *w,
                      mwx_warn_emit_file_fn emit, void *ectx, mwx_err_t *err)
{
    gj_state_t *s = state;
    mwx_buf_t *b = &s->buf;
    mwx_earth_t wgs = mwx_earth_wgs84();
    size_t nreg = mwx_regions_count(v->regions);
    int first = 1, rc;

    mwxi_buf_reset(b);
    mwxi_buf_puts(b, "{\"type\":\"FeatureCollection\",\"mwx\":{\"node\":");
    mwxi_buf_json_str(b, v->node);
    mwxi_buf_printf(b, ",\"status\":\"%s\",\"t\":%.3f},\"features\":[", mwx_status_name(v->status),
                    v->now_t);
    for (size_t i = 0; i < mwxi_warn_pic_ntracks(w); i++) {
        mwx_warn_pic_track_t pt;
        mwx_geo_t g;
        mwxi_warn_pic_track(w, i, &pt);
        if (!pt.trk)
            continue;
        mwx_ecef_to_geo(&wgs, pt.trk->ecef_m, &g);
        mwxi_buf_printf(b,
                        "%s\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
                        "\"coordinates\":[%.6f,%.6f,%.1f]},\"properties\":{\"kind\":\"track\","
                        "\"track_id\":",
                        first ? "" : ",", wrap_lon(g.lon / MWX_DEG), g.lat / MWX_DEG, g.alt);
        first = 0;
        mwxi_buf_json_str(b, pt.trk->track_id);
        mwxi_buf_printf(b,
                        ",\"t\":%.3f,\"phase\":\"%s\",\"confirmed\":%s,\"alt_m\":%.1f,"
                        "\"speed_mps\":%.1f,\"active\":%s,\"sources\":",
                        pt.trk->t, mwx_phase_name(pt.trk->phase),
                        pt.trk->confirmed ? "true" : "false", g.alt, mwx_norm3(pt.trk->vel_mps),
                        pt.active ? "true" : "false");
        mwxi_buf_json_str(b, pt.trk->sources);
        mwxi_buf_puts(b, "}}");
        if (pt.trk->launch.valid && isfinite(pt.trk->launch.lat) && isfinite(pt.trk->launch.lon)) {
            mwxi_buf_printf(b,
                            ",\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
                            "\"coordinates\":[%.6f,%.6f]},\"properties\":{\"kind\":"
                            "\"launch_point\",\"t\":%.3f,\"track_id\":",
                            wrap_lon(pt.trk->launch.lon), pt.trk->launch.lat, pt.trk->launch.t);
            mwxi_buf_json_str(b, pt.trk->track_id);
            mwxi_buf_puts(b, "}}");
        }
        if (pt.ring && pt.n_ring >= 4) {
            const mwx_rec_impact_est_t *e = &pt.trk->impact;
            /* the ring is clockwise (azimuth order): write it backwards, and shift it so
             * that its centre lies in [-180, 180] */
            double shift = wrap_lon(e->lon) - e->lon;
            mwxi_buf_puts(b, ",\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"Polygon\","
                             "\"coordinates\":[[");
            for (size_t k = pt.n_ring; k-- > 0;) {
                mwxi_buf_put(b, k + 1 == pt.n_ring ? "[" : ",[", k + 1 == pt.n_ring ? 1 : 2);
                mwxi_warn_fixed(b, pt.ring[k][0] + shift, 6);
                mwxi_buf_put(b, ",", 1);
                mwxi_warn_fixed(b, pt.ring[k][1], 6);
                mwxi_buf_put(b, "]", 1);
            }
            mwxi_buf_puts(b, "]]},\"properties\":{\"kind\":\"impact_ellipse\",\"track_id\":");
            mwxi_buf_json_str(b, pt.trk->track_id);
            mwxi_buf_printf(b,
                            ",\"impact_t\":%.3f,\"center\":[%.6f,%.6f],"
                            "\"semi_major_km\":%.3f,\"semi_minor_km\":%.3f,"
                            "\"orientation_deg\":%.2f,\"confidence\":0.95}}",
                            e->t, wrap_lon(e->lon), e->lat, e->semi_major_km, e->semi_minor_km,
                            e->orientation_deg);
        }
    }
    /* region status: the strongest over all series */
    memset(s->status, 0, sizeof s->status);
    memset(s->msg, 0, sizeof s->msg);
    for (size_t i = 0; i < mwxi_warn_pic_nseries(w); i++) {
        mwx_warn_pic_series_t ps;
        mwxi_warn_pic_series(w, i, &ps);
        if (!ps.last)
            continue;
        for (size_t k = 0; k < ps.last->n_regions; k++) {
            int r = ps.last->regions[k];
            uint8_t st;
            if (r < 0 || (size_t)r >= nreg)
                continue;
            if (ps.active)
                st = ps.kind == MWX_WARN_IMPACT ? 4 : 3;
            else
                st = ps.last->all_clear ? 2 : 1;
            if (ps.active && !ps.warned[r])
                continue;
            if (st > s->status[r]) {
                s->status[r] = st;
                s->msg[r] = ps.last;
            }
        }
    }
    for (size_t r = 0; r < nreg && r < MWX_MAX_ALERT_REGIONS; r++) {
        gj_region_t *g = &s->region[r];
        if (!s->status[r])
            continue;
        if (v->nocache || g->status != s->status[r] ||
            strcmp(g->identifier, s->msg[r]->identifier) != 0) {
            region_feature(&g->text, v, r, s->status[r], s->msg[r]);
            /* a text cut short by a failed allocation is never reused */
            g->status = g->text.oom ? 0 : s->status[r];
            mwx_strlcpy(g->identifier, s->msg[r]->identifier, sizeof g->identifier);
        }
        if (g->text.oom)
            b->oom = 1;
        mwxi_buf_put(b, first ? "\n" : ",\n", first ? 1 : 2);
        first = 0;
        mwxi_buf_put(b, g->text.p, g->text.len);
    }
    mwxi_buf_puts(b, "\n]}\n");
    if (b->oom)
        return mwx_err_set(err, MWX_ENOMEM, "geojson: out of memory");
    if ((rc = mwxi_warn_rewrite_view(v, v->geojson_name, b->p, b->len, err)))
        return rc;
    snprintf(s->dir, sizeof s->dir, "%s", v->alerts_dir);
    snprintf(s->name, sizeof s->name, "%s", v->geojson_name);
    emit(ectx, MWX_WARN_OUT_GEOJSON, v->geojson_name, v->geojson_name, MWX_MSG_UPDATE, NULL, 0);
    return MWX_OK;
}

const mwx_warn_format_t mwxi_warn_format_geojson = {
    .name = "geojson",
    .kind = MWX_WARN_OUT_GEOJSON,
    .picture = gj_picture,
    .create = gj_create,
    .destroy = gj_destroy,
};
