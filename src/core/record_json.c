/* Records as JSON, one line each (the output of `mwx cat`), built in the core buffer,
 * strings through its one JSON escaper (core/buf.h).
 *
 * PRODUCT.md's keys, snake_case, "type" and "t" first; numbers use the
 * shortest of %.15g/%.16g/%.17g that parses back to the same double, so every value
 * round-trips exactly. Choices made here:
 *   - every record has "t"; the scenario record's is 0.
 *   - scenario: name, epoch, status, seed, and, when the record carries the scenario
 *     text, "scenario": that text as a JSON object (the original text with whitespace
 *     outside strings removed, so numbers keep their original spelling). Text that is
 *     not valid JSON is shown as the string "scenario_text" instead.
 *   - meas: radar has range_m, az_deg, el_deg and their sigma_*; ir_satellite has
 *     los_ecef and sigma_los_urad; both have sensor_ecef_m and truth_object (null for
 *     a false alarm).
 *   - track: also cov_vel_m2s2, confirmed (bool), sources (list of nation ids, from
 *     the struct's "JP,US"); launch and impact are null until valid.
 *   - share: also latency_s.
 */
#include "mwx/core.h"

#include "core/buf.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sb_num(mwx_buf_t *b, double x)
{
    char tmp[40];
    if (!isfinite(x)) {
        mwxi_buf_puts(b, "null");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, x);
        if (strtod(tmp, NULL) == x)
            break;
    }
    mwxi_buf_puts(b, tmp);
}

static void sb_u64(mwx_buf_t *b, uint64_t v)
{
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    mwxi_buf_puts(b, tmp);
}

static void sb_key(mwx_buf_t *b, const char *k)
{
    mwxi_buf_puts(b, ",\"");
    mwxi_buf_puts(b, k);
    mwxi_buf_puts(b, "\":");
}

static void kv_num(mwx_buf_t *b, const char *k, double x)
{
    sb_key(b, k);
    sb_num(b, x);
}

static void kv_str(mwx_buf_t *b, const char *k, const char *s, size_t n)
{
    sb_key(b, k);
    mwxi_buf_json_strn(b, s, n);
}

static void kv_arr(mwx_buf_t *b, const char *k, const double *v, int n)
{
    sb_key(b, k);
    mwxi_buf_puts(b, "[");
    for (int i = 0; i < n; i++) {
        if (i)
            mwxi_buf_puts(b, ",");
        sb_num(b, v[i]);
    }
    mwxi_buf_puts(b, "]");
}

static void kv_bool(mwx_buf_t *b, const char *k, int v)
{
    sb_key(b, k);
    mwxi_buf_puts(b, v ? "true" : "false");
}

/* The scenario text as a compact JSON value: validated by jansson, then copied with
 * whitespace outside strings dropped, so that numbers keep their original spelling. */
static void kv_scenario_text(mwx_buf_t *b, const char *text)
{
    size_t n = strlen(text);
    json_error_t e;
    json_t *v = json_loadb(text, n, 0, &e);
    if (!v) {
        kv_str(b, "scenario_text", text, n + 1);
        return;
    }
    json_decref(v);
    sb_key(b, "scenario");
    int in_str = 0;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            mwxi_buf_put(b, text + run, i - run);
            run = i + 1;
        }
    }
    mwxi_buf_put(b, text + run, n - run);
}

static void kv_list(mwx_buf_t *b, const char *k, const char *csv, size_t n)
{
    size_t len = strnlen(csv, n);
    sb_key(b, k);
    mwxi_buf_puts(b, "[");
    int first = 1;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && csv[j] != ',')
            j++;
        if (j > i) {
            if (!first)
                mwxi_buf_puts(b, ",");
            mwxi_buf_json_strn(b, csv + i, j - i);
            first = 0;
        }
        i = j + 1;
    }
    mwxi_buf_puts(b, "]");
}

#define KS(b, k, field) kv_str(b, k, field, sizeof(field))

char *mwx_record_to_json(const mwx_record_t *rec)
{
    mwx_buf_t b = MWX_BUF_INIT;
    mwxi_buf_puts(&b, "{\"type\":");
    mwxi_buf_json_strn(&b, mwx_rec_type_name(rec->type), 16);
    switch (rec->type) {
    case MWX_REC_SCENARIO: {
        const mwx_rec_scenario_t *r = &rec->u.scenario;
        kv_num(&b, "t", 0);
        KS(&b, "name", r->name);
        KS(&b, "epoch", r->epoch);
        kv_str(&b, "status", mwx_status_name(r->status), 16);
        sb_key(&b, "seed");
        sb_u64(&b, r->seed);
        if (r->json && r->json[0])
            kv_scenario_text(&b, r->json);
        break;
    }
    case MWX_REC_TRUTH: {
        const mwx_rec_truth_t *r = &rec->u.truth;
        kv_num(&b, "t", r->t);
        KS(&b, "object", r->object);
        kv_arr(&b, "ecef_m", r->ecef_m, 3);
        kv_arr(&b, "vel_mps", r->vel_mps, 3);
        kv_str(&b, "phase", mwx_phase_name(r->phase), 16);
        KS(&b, "launch", r->launch[0] ? r->launch : r->object);
        break;
    }
    case MWX_REC_MEAS: {
        const mwx_rec_meas_t *r = &rec->u.meas;
        kv_num(&b, "t", r->t);
        KS(&b, "sensor", r->sensor);
        KS(&b, "nation", r->nation);
        kv_str(&b, "kind", mwx_sensor_kind_name(r->kind), 16);
        if (r->kind == MWX_SENSOR_IR) {
            kv_arr(&b, "los_ecef", r->los_ecef, 3);
            kv_num(&b, "sigma_los_urad", r->sigma_los_urad);
        } else {
            kv_num(&b, "range_m", r->range_m);
            kv_num(&b, "az_deg", r->az_deg);
            kv_num(&b, "el_deg", r->el_deg);
            kv_num(&b, "sigma_range_m", r->sigma_range_m);
            kv_num(&b, "sigma_az_deg", r->sigma_az_deg);
            kv_num(&b, "sigma_el_deg", r->sigma_el_deg);
        }
        kv_arr(&b, "sensor_ecef_m", r->sensor_ecef_m, 3);
        if (r->truth_object[0]) {
            KS(&b, "truth_object", r->truth_object);
        } else {
            sb_key(&b, "truth_object");
            mwxi_buf_puts(&b, "null");
        }
        break;
    }
    case MWX_REC_TRACK: {
        const mwx_rec_track_t *r = &rec->u.track;
        kv_num(&b, "t", r->t);
        KS(&b, "node", r->node);
        KS(&b, "track_id", r->track_id);
        kv_arr(&b, "ecef_m", r->ecef_m, 3);
        kv_arr(&b, "vel_mps", r->vel_mps, 3);
        kv_arr(&b, "cov_pos_m2", r->cov_pos_m2, 6);
        kv_arr(&b, "cov_vel_m2s2", r->cov_vel_m2s2, 6);
        kv_str(&b, "phase", mwx_phase_name(r->phase), 16);
        kv_bool(&b, "confirmed", r->confirmed);
        kv_list(&b, "sources", r->sources, sizeof r->sources);
        kv_str(&b, "class", mwx_track_class_name(r->klass), 16);
        if (r->parent[0]) {
            KS(&b, "parent", r->parent);
        } else {
            sb_key(&b, "parent");
            mwxi_buf_puts(&b, "null");
        }
        sb_key(&b, "launch");
        if (r->launch.valid) {
            mwxi_buf_puts(&b, "{\"lat\":");
            sb_num(&b, r->launch.lat);
            kv_num(&b, "lon", r->launch.lon);
            kv_num(&b, "t", r->launch.t);
            kv_str(&b, "basis", mwx_launch_basis_name(r->launch.basis), 16);
            mwxi_buf_puts(&b, "}");
        } else {
            mwxi_buf_puts(&b, "null");
        }
        sb_key(&b, "impact");
        if (r->impact.valid) {
            mwxi_buf_puts(&b, "{\"lat\":");
            sb_num(&b, r->impact.lat);
            kv_num(&b, "lon", r->impact.lon);
            kv_num(&b, "t", r->impact.t);
            kv_num(&b, "semi_major_km", r->impact.semi_major_km);
            kv_num(&b, "semi_minor_km", r->impact.semi_minor_km);
            kv_num(&b, "orientation_deg", r->impact.orientation_deg);
            mwxi_buf_puts(&b, "}");
        } else {
            mwxi_buf_puts(&b, "null");
        }
        break;
    }
    case MWX_REC_SHARE: {
        const mwx_rec_share_t *r = &rec->u.share;
        kv_num(&b, "t", r->t);
        KS(&b, "from", r->from);
        sb_key(&b, "to");
        mwxi_buf_puts(&b, "[");
        for (int i = 0; i < r->n_to && i < MWX_MAX_NATIONS; i++) {
            if (i)
                mwxi_buf_puts(&b, ",");
            mwxi_buf_json_strn(&b, r->to[i], sizeof r->to[i]);
        }
        mwxi_buf_puts(&b, "]");
        KS(&b, "track_id", r->track_id);
        sb_key(&b, "seq");
        sb_u64(&b, r->seq);
        kv_bool(&b, "verified", r->verified);
        kv_num(&b, "latency_s", r->latency_s);
        break;
    }
    case MWX_REC_ALERT: {
        const mwx_rec_alert_t *r = &rec->u.alert;
        kv_num(&b, "t", r->t);
        KS(&b, "node", r->node);
        KS(&b, "identifier", r->identifier);
        kv_str(&b, "msg_type", mwx_msg_type_name(r->msg_type), 16);
        kv_str(&b, "status", mwx_status_name(r->status), 16);
        kv_str(&b, "kind", mwx_alert_kind_name(r->kind), 16);
        sb_key(&b, "regions");
        mwxi_buf_puts(&b, "[");
        for (int i = 0; i < r->n_regions && i < MWX_MAX_ALERT_REGIONS; i++) {
            if (i)
                mwxi_buf_puts(&b, ",");
            mwxi_buf_json_strn(&b, r->regions[i], sizeof r->regions[i]);
        }
        mwxi_buf_puts(&b, "]");
        KS(&b, "file", r->file);
        break;
    }
    default: kv_num(&b, "t", 0); break;
    }
    mwxi_buf_puts(&b, "}");
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
