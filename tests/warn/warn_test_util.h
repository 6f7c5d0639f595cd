/* Helpers shared by the warn tests: synthetic tracks, CAP parsing and schema validation. */
#ifndef WARN_TEST_UTIL_H
#define WARN_TEST_UTIL_H

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mwx/warn.h"

#define WT_REGIONS MWX_SOURCE_DIR "/data/regions/northeast-asia.geojson"
#define WT_XSD     MWX_SOURCE_DIR "/data/cap/cap12.xsd"

/* A confirmed ballistic track at (lat, lon, alt) moving east at 2 km/s and down at
 * 0.5 km/s, isotropic 100 m position sigma, with an impact ellipse. */
static inline mwx_rec_track_t wt_track(const char *id, double t, double lat, double lon,
                                       double alt_m, double ilat, double ilon, double it,
                                       double a_km, double b_km, double orient_deg)
{
    mwx_rec_track_t k;
    mwx_earth_t wgs = mwx_earth_wgs84();
    mwx_geo_t g = {lat * MWX_DEG, lon * MWX_DEG, alt_m};
    double e[3], n[3], u[3];
    memset(&k, 0, sizeof k);
    k.t = t;
    snprintf(k.node, sizeof k.node, "JP");
    snprintf(k.track_id, sizeof k.track_id, "%s", id);
    mwx_geo_to_ecef(&wgs, &g, k.ecef_m);
    mwx_enu_basis(g.lat, g.lon, e, n, u);
    for (int i = 0; i < 3; i++)
        k.vel_mps[i] = 2000.0 * e[i] - 500.0 * u[i];
    k.cov_pos_m2[0] = k.cov_pos_m2[3] = k.cov_pos_m2[5] = 100.0 * 100.0;
    k.cov_vel_m2s2[0] = k.cov_vel_m2s2[3] = k.cov_vel_m2s2[5] = 10.0;
    k.phase = MWX_PHASE_BALLISTIC;
    k.confirmed = 1;
    snprintf(k.sources, sizeof k.sources, "JP,US");
    k.launch.valid = 1;
    k.launch.lat = 39.0;
    k.launch.lon = 125.7;
    k.launch.t = 60.0;
    k.impact.valid = 1;
    k.impact.lat = ilat;
    k.impact.lon = ilon;
    k.impact.t = it;
    k.impact.semi_major_km = a_km;
    k.impact.semi_minor_km = b_km;
    k.impact.orientation_deg = orient_deg;
    return k;
}

typedef struct wt_log {
    mwx_rec_alert_t rec[2048];
    mwx_warn_output_t out[2048];
    int n;
} wt_log_t;

static inline void wt_emit(void *user, mwx_warn_output_t out, const mwx_rec_alert_t *rec)
{
    wt_log_t *l = user;
    if (l->n < 2048) {
        l->rec[l->n] = *rec;
        l->out[l->n] = out;
        l->n++;
    }
}

static inline void wt_outdir(char *buf, size_t n, const char *name)
{
    const char *tmp = getenv("MWX_TMPDIR");
    snprintf(buf, n, "%s/warn-%s-%ld", tmp && *tmp ? tmp : "/tmp", name, (long)getpid());
    mkdir(buf, 0777);
}

/* The tests' usual warning context: node JP, simulated, Exercise, the default policy,
 * writing to a fresh folder named after the test, every message kept in log. */
typedef struct wt_ctx {
    char dir[512];
    wt_log_t log;
    mwx_warn_t *w;
} wt_ctx_t;

static inline int wt_ctx_open(wt_ctx_t *f, const char *name, double epoch_unix_s, mwx_err_t *err)
{
    mwx_warn_config_t cfg = {0};
    memset(&f->log, 0, sizeof f->log);
    wt_outdir(f->dir, sizeof f->dir, name);
    cfg.node = "JP";
    cfg.source = MWX_WARN_SOURCE_SIMULATED;
    cfg.status = MWX_STATUS_EXERCISE;
    cfg.epoch_unix_s = epoch_unix_s;
    cfg.regions_path = WT_REGIONS;
    cfg.out_dir = f->dir;
    cfg.emit = wt_emit;
    cfg.user = &f->log;
    return mwx_warn_create(&cfg, &f->w, err);
}

/* Element helpers over a parsed document (namespaced or not: local names). */
static inline void wt_collect(xmlNodePtr node, const char *name, xmlNodePtr *out, int *n, int max)
{
    for (xmlNodePtr c = node; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0 && *n < max)
            out[(*n)++] = c;
        wt_collect(c->children, name, out, n, max);
    }
}

static inline int wt_count(xmlDocPtr doc, const char *name)
{
    xmlNodePtr v[1024];
    int n = 0;
    wt_collect(xmlDocGetRootElement(doc), name, v, &n, 1024);
    return n;
}

/* Text of the k-th element with that name ("" when absent); static buffer. */
static inline const char *wt_text(xmlDocPtr doc, const char *name, int k)
{
    static char buf[8192];
    xmlNodePtr v[1024];
    int n = 0;
    buf[0] = '\0';
    wt_collect(xmlDocGetRootElement(doc), name, v, &n, 1024);
    if (k < n) {
        xmlChar *s = xmlNodeGetContent(v[k]);
        snprintf(buf, sizeof buf, "%s", s ? (const char *)s : "");
        xmlFree(s);
    }
    return buf;
}

/* 1 if some element with that name has exactly that text. */
static inline int wt_has(xmlDocPtr doc, const char *name, const char *text)
{
    xmlNodePtr v[1024];
    int n = 0, found = 0;
    wt_collect(xmlDocGetRootElement(doc), name, v, &n, 1024);
    for (int i = 0; i < n && !found; i++) {
        xmlChar *s = xmlNodeGetContent(v[i]);
        found = s && strcmp((const char *)s, text) == 0;
        xmlFree(s);
    }
    return found;
}

typedef struct wt_schema {
    xmlSchemaParserCtxtPtr pc;
    xmlSchemaPtr schema;
    xmlSchemaValidCtxtPtr vc;
} wt_schema_t;

static inline int wt_schema_open(wt_schema_t *s)
{
    s->pc = xmlSchemaNewParserCtxt(WT_XSD);
    s->schema = s->pc ? xmlSchemaParse(s->pc) : NULL;
    s->vc = s->schema ? xmlSchemaNewValidCtxt(s->schema) : NULL;
    return s->vc ? 0 : -1;
}

static inline void wt_schema_close(wt_schema_t *s)
{
    if (s->vc)
        xmlSchemaFreeValidCtxt(s->vc);
    if (s->schema)
        xmlSchemaFree(s->schema);
    if (s->pc)
        xmlSchemaFreeParserCtxt(s->pc);
}

/* Parse dir/rel; NULL when it does not parse. */
static inline xmlDocPtr wt_read(const char *dir, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    return xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

/* A track on the great circle from (lat0, lon0) towards (lat1, lon1), s_m along it, alt_m
 * up, moving along it at vh_mps and up at vu_mps, velocity sigma sv_mps per axis, 100 m
 * position sigma; its launch estimate at (lat0, lon0), no impact prediction. */
static inline mwx_rec_track_t wt_path_track(const char *id, double t, double lat0, double lon0,
                                            double lat1, double lon1, double s_m, double alt_m,
                                            double vh_mps, double vu_mps, double sv_mps)
{
    mwx_earth_t wgs = mwx_earth_wgs84();
    double s12, az1, az2, la, lo, e[3], n[3], u[3];
    mwx_geodesic_inverse(&wgs, lat0 * MWX_DEG, lon0 * MWX_DEG, lat1 * MWX_DEG, lon1 * MWX_DEG, &s12,
                         &az1, &az2);
    mwx_geodesic_direct(&wgs, lat0 * MWX_DEG, lon0 * MWX_DEG, az1, s_m, &la, &lo);
    /* the course here: the azimuth on to the aim point */
    mwx_geodesic_inverse(&wgs, la, lo, lat1 * MWX_DEG, lon1 * MWX_DEG, &s12, &az1, &az2);
    mwx_rec_track_t k = wt_track(id, t, la / MWX_DEG, lo / MWX_DEG, alt_m, 0, 0, 0, 0, 0, 0);
    mwx_enu_basis(la, lo, e, n, u);
    for (int i = 0; i < 3; i++)
        k.vel_mps[i] = vh_mps * (sin(az1) * e[i] + cos(az1) * n[i]) + vu_mps * u[i];
    memset(k.cov_vel_m2s2, 0, sizeof k.cov_vel_m2s2);
    k.cov_vel_m2s2[0] = k.cov_vel_m2s2[3] = k.cov_vel_m2s2[5] = sv_mps * sv_mps;
    k.impact.valid = 0;
    k.launch.lat = lat0;
    k.launch.lon = lon0;
    return k;
}

#endif
