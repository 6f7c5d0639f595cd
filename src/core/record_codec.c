/* Records: protobuf encoding and decoding (proto/mwx_record.proto), and the checks a
 * record must pass. Their JSON (`mwx cat`) is in record_json.c.
 *
 * Encoding builds the protobuf-c message on the stack, pointing at the record's own
 * fields, and packs straight into the caller's buffer: no allocation per record.
 * A record that could not be read back is refused (MWX_EINVAL): non-finite numbers,
 * enums out of range, strings that are not NUL-terminated inside their field or not
 * UTF-8, counts beyond the fixed arrays.
 *
 * Decoding unpacks with protobuf-c into a fixed arena on the stack (8 KiB: every meas,
 * truth, track, share and alert record fits). Only a record bigger than that (a
 * scenario carrying its JSON text) spills to the heap, in blocks freed before return,
 * with a cap of 2 x payload + 64 KiB so that crafted input can never ask for a giant
 * allocation. Before unpacking, the wire bytes are walked once to check that every
 * string field is UTF-8 without NUL bytes (a NUL would silently shorten the C string).
 * After unpacking, every field is checked against the fixed C struct: array lengths
 * exact (ecef 3, cov 6, ...), enums in range, strings shorter than their field (too
 * long is MWX_ECORRUPT, never truncated), numbers finite. Unknown fields are ignored
 * (old readers read new files).
 */
#include "mwx/core.h"

#include "core/buf.h"

#include "mwx_record.pb-c.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ helpers */

/* A fixed string field is usable when NUL-terminated inside its n bytes and UTF-8. */
static int field_ok(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    return len < n && mwxi_utf8_valid(s, len);
}

static int finite_all(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

/* ------------------------------------------------------------------ encode */

/* The protobuf-c message of one record, built on the stack and pointing into it. */
typedef struct pbrec {
    union {
        Mwx__Rec__Scenario scenario;
        Mwx__Rec__Truth truth;
        Mwx__Rec__Meas meas;
        Mwx__Rec__Track track;
        Mwx__Rec__Share share;
        Mwx__Rec__Alert alert;
    } m;
    Mwx__Rec__LaunchEst launch;
    Mwx__Rec__ImpactEst impact;
    char *strs[MWX_MAX_ALERT_REGIONS]; /* share.to or alert.regions */
} pbrec_t;

#define S(field) ((char *)(field)) /* protobuf-c wants char *; pack only reads */

static int build_msg(const mwx_record_t *rec, pbrec_t *pb, const ProtobufCMessage **out)
{
    switch (rec->type) {
    case MWX_REC_SCENARIO: {
        const mwx_rec_scenario_t *r = &rec->u.scenario;
        Mwx__Rec__Scenario *m = &pb->m.scenario;
        if (!field_ok(r->name, sizeof r->name) || !field_ok(r->epoch, sizeof r->epoch) ||
            (unsigned)r->status > MWX_STATUS_TEST)
            return MWX_EINVAL;
        if (r->json && !mwxi_utf8_valid(r->json, strlen(r->json)))
            return MWX_EINVAL;
        mwx__rec__scenario__init(m);
        m->name = S(r->name);
        m->epoch = S(r->epoch);
        m->status = (Mwx__Rec__Status)r->status;
        m->seed = r->seed;
        if (r->json)
            m->json = S(r->json);
        *out = &m->base;
        return 0;
    }
    case MWX_REC_TRUTH: {
        const mwx_rec_truth_t *r = &rec->u.truth;
        Mwx__Rec__Truth *m = &pb->m.truth;
        if (!isfinite(r->t) || !field_ok(r->object, sizeof r->object) ||
            !finite_all(r->ecef_m, 3) || !finite_all(r->vel_mps, 3) ||
            (unsigned)r->phase > MWX_PHASE_MAX)
            return MWX_EINVAL;
        mwx__rec__truth__init(m);
        m->t = r->t;
        m->object = S(r->object);
        m->n_ecef_m = 3, m->ecef_m = (double *)r->ecef_m;
        m->n_vel_mps = 3, m->vel_mps = (double *)r->vel_mps;
        m->phase = (Mwx__Rec__Phase)r->phase;
        if (!field_ok(r->launch, sizeof r->launch))
            return MWX_EINVAL;
        if (r->launch[0])
            m->launch = S(r->launch);
        *out = &m->base;
        return 0;
    }
    case MWX_REC_MEAS: {
        const mwx_rec_meas_t *r = &rec->u.meas;
        Mwx__Rec__Meas *m = &pb->m.meas;
        double nums[] = {r->t,
                         r->range_m,
                         r->az_deg,
                         r->el_deg,
                         r->sigma_range_m,
                         r->sigma_az_deg,
                         r->sigma_el_deg,
                         r->sigma_los_urad};
        if (!finite_all(nums, sizeof nums / sizeof nums[0]) || !finite_all(r->sensor_ecef_m, 3) ||
            !finite_all(r->los_ecef, 3) || !field_ok(r->sensor, sizeof r->sensor) ||
            !field_ok(r->nation, sizeof r->nation) ||
            !field_ok(r->truth_object, sizeof r->truth_object) || (unsigned)r->kind > MWX_SENSOR_IR)
            return MWX_EINVAL;
        mwx__rec__meas__init(m);
        m->t = r->t;
        m->sensor = S(r->sensor);
        m->nation = S(r->nation);
        m->kind = (Mwx__Rec__SensorKind)r->kind;
        m->n_sensor_ecef_m = 3, m->sensor_ecef_m = (double *)r->sensor_ecef_m;
        m->range_m = r->range_m;
        m->az_deg = r->az_deg;
        m->el_deg = r->el_deg;
        m->sigma_range_m = r->sigma_range_m;
        m->sigma_az_deg = r->sigma_az_deg;
        m->sigma_el_deg = r->sigma_el_deg;
        m->n_los_ecef = 3, m->los_ecef = (double *)r->los_ecef;
        m->sigma_los_urad = r->sigma_los_urad;
        m->truth_object = S(r->truth_object);
        *out = &m->base;
        return 0;
    }
    case MWX_REC_TRACK: {
        const mwx_rec_track_t *r = &rec->u.track;
        Mwx__Rec__Track *m = &pb->m.track;
        if (!isfinite(r->t) || !finite_all(r->ecef_m, 3) || !finite_all(r->vel_mps, 3) ||
            !finite_all(r->cov_pos_m2, 6) || !finite_all(r->cov_vel_m2s2, 6) ||
            !field_ok(r->node, sizeof r->node) || !field_ok(r->track_id, sizeof r->track_id) ||
            !field_ok(r->sources, sizeof r->sources) || (unsigned)r->phase > MWX_PHASE_MAX ||
            (unsigned)r->klass > MWX_CLASS_MAX || !field_ok(r->parent, sizeof r->parent))
            return MWX_EINVAL;
        mwx__rec__track__init(m);
        m->t = r->t;
        m->node = S(r->node);
        m->track_id = S(r->track_id);
        m->n_ecef_m = 3, m->ecef_m = (double *)r->ecef_m;
        m->n_vel_mps = 3, m->vel_mps = (double *)r->vel_mps;
        m->n_cov_pos_m2 = 6, m->cov_pos_m2 = (double *)r->cov_pos_m2;
        m->n_cov_vel_m2s2 = 6, m->cov_vel_m2s2 = (double *)r->cov_vel_m2s2;
        m->phase = (Mwx__Rec__Phase)r->phase;
        m->confirmed = r->confirmed != 0;
        m->sources = S(r->sources);
        m->class_ = (Mwx__Rec__TrackClass)r->klass;
        m->parent = S(r->parent);
        if (r->launch.valid) {
            double v[] = {r->launch.lat, r->launch.lon, r->launch.t};
            if (!finite_all(v, 3))
                return MWX_EINVAL;
            mwx__rec__launch_est__init(&pb->launch);
            pb->launch.lat = r->launch.lat;
            pb->launch.lon = r->launch.lon;
            pb->launch.t = r->launch.t;
            pb->launch.basis = (Mwx__Rec__LaunchBasis)r->launch.basis;
            m->launch = &pb->launch;
        }
        if (r->impact.valid) {
            const mwx_rec_impact_est_t *i = &r->impact;
            double v[] = {i->lat,           i->lon,           i->t,
                          i->semi_major_km, i->semi_minor_km, i->orientation_deg};
            if (!finite_all(v, 6))
                return MWX_EINVAL;
            mwx__rec__impact_est__init(&pb->impact);
            pb->impact.lat = i->lat;
            pb->impact.lon = i->lon;
            pb->impact.t = i->t;
            pb->impact.semi_major_km = i->semi_major_km;
            pb->impact.semi_minor_km = i->semi_minor_km;
            pb->impact.orientation_deg = i->orientation_deg;
            m->impact = &pb->impact;
        }
        *out = &m->base;
        return 0;
    }
    case MWX_REC_SHARE: {
        const mwx_rec_share_t *r = &rec->u.share;
        Mwx__Rec__Share *m = &pb->m.share;
        if (!isfinite(r->t) || !isfinite(r->latency_s) || r->n_to < 0 ||
            r->n_to > MWX_MAX_NATIONS || !field_ok(r->from, sizeof r->from) ||
            !field_ok(r->track_id, sizeof r->track_id))
            return MWX_EINVAL;
        mwx__rec__share__init(m);
        for (int i = 0; i < r->n_to; i++) {
            if (!field_ok(r->to[i], sizeof r->to[i]))
                return MWX_EINVAL;
            pb->strs[i] = S(r->to[i]);
        }
        m->t = r->t;
        m->from = S(r->from);
        m->n_to = (size_t)r->n_to, m->to = pb->strs;
        m->track_id = S(r->track_id);
        m->seq = r->seq;
        m->verified = r->verified != 0;
        m->latency_s = r->latency_s;
        *out = &m->base;
        return 0;
    }
    case MWX_REC_ALERT: {
        const mwx_rec_alert_t *r = &rec->u.alert;
        Mwx__Rec__Alert *m = &pb->m.alert;
        if (!isfinite(r->t) || r->n_regions < 0 || r->n_regions > MWX_MAX_ALERT_REGIONS ||
            !field_ok(r->node, sizeof r->node) || !field_ok(r->identifier, sizeof r->identifier) ||
            !field_ok(r->file, sizeof r->file) || (unsigned)r->msg_type > MWX_MSG_CANCEL ||
            (unsigned)r->status > MWX_STATUS_TEST || (unsigned)r->kind > MWX_ALERT_DROP_ZONE)
            return MWX_EINVAL;
        mwx__rec__alert__init(m);
        for (int i = 0; i < r->n_regions; i++) {
            if (!field_ok(r->regions[i], sizeof r->regions[i]))
                return MWX_EINVAL;
            pb->strs[i] = S(r->regions[i]);
        }
        m->t = r->t;
        m->node = S(r->node);
        m->identifier = S(r->identifier);
        m->msg_type = (Mwx__Rec__MsgType)r->msg_type;
        m->status = (Mwx__Rec__Status)r->status;
        m->kind = (Mwx__Rec__AlertKind)r->kind;
        m->n_regions = (size_t)r->n_regions, m->regions = pb->strs;
        m->file = S(r->file);
        *out = &m->base;
        return 0;
    }
    }
    return MWX_EINVAL;
}

/* An upper bound of the encoded size of a valid record (0: none, the scenario's text is
 * unbounded). Each field grows by at most its tag and length bytes on the wire: doubles
 * 8 -> 9 bytes, arrays of n doubles 8n -> 8n + 2, strings of an n-byte field -> at most
 * n + 2 (n + 3 past 127), enums and bools (4 bytes) -> 2, uint64 -> 11, sub-messages +2.
 * Twice the struct plus 64 bytes covers all of them with room to spare; the tests check
 * it on worst-case records. It lets the writer's hot path skip the sizing pass. */
static size_t size_bound(const mwx_record_t *rec)
{
    switch (rec->type) {
    case MWX_REC_TRUTH: return 2 * sizeof rec->u.truth + 64;
    case MWX_REC_MEAS: return 2 * sizeof rec->u.meas + 64;
    case MWX_REC_TRACK: return 2 * sizeof rec->u.track + 64;
    case MWX_REC_SHARE: return 2 * sizeof rec->u.share + 64;
    case MWX_REC_ALERT: return 2 * sizeof rec->u.alert + 64;
    default: return 0;
    }
}

int mwx_record_encode(const mwx_record_t *rec, uint8_t *buf, size_t cap, size_t *len)
{
    pbrec_t pb;
    const ProtobufCMessage *msg;
    int rc = build_msg(rec, &pb, &msg);
    if (rc)
        return rc;
    size_t bound = size_bound(rec);
    if (bound && cap >= bound) {
        *len = protobuf_c_message_pack(msg, buf);
        return 0;
    }
    size_t n = protobuf_c_message_get_packed_size(msg);
    if (n > cap)
        return MWX_EFULL;
    /* protobuf-c does not bound its writes: the size was checked just above. */
    *len = protobuf_c_message_pack(msg, buf);
    return 0;
}

size_t mwx_record_encoded_size(const mwx_record_t *rec)
{
    pbrec_t pb;
    const ProtobufCMessage *msg;
    if (build_msg(rec, &pb, &msg))
        return 0;
    return protobuf_c_message_get_packed_size(msg);
}

/* ------------------------------------------------------------------ decode */

/* Walk the wire format once: well-formed tags and lengths, and every string field
 * (at any nesting depth) UTF-8 without NUL. Returns 0 or the offending field number
 * (> 0), or -1 for malformed wire data. */
static int read_varint(const uint8_t *p, size_t n, size_t *i, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*i >= n)
            return -1;
        uint8_t b = p[(*i)++];
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

static int wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t n, int depth)
{
    size_t i = 0;
    while (i < n) {
        uint64_t key, v;
        if (read_varint(p, n, &i, &key) || (key >> 3) == 0 || (key >> 3) > 0x1fffffff)
            return -1;
        switch (key & 7) {
        case 0:
            if (read_varint(p, n, &i, &v))
                return -1;
            break;
        case 1:
            if (n - i < 8)
                return -1;
            i += 8;
            break;
        case 5:
            if (n - i < 4)
                return -1;
            i += 4;
            break;
        case 2: {
            if (read_varint(p, n, &i, &v) || v > n - i)
                return -1;
            const ProtobufCFieldDescriptor *f =
                protobuf_c_message_descriptor_get_field(d, (unsigned)(key >> 3));
            if (f && f->type == PROTOBUF_C_TYPE_STRING &&
                !mwxi_utf8_valid((const char *)p + i, (size_t)v))
                return (int)f->id;
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                if (depth >= 4)
                    return -1;
                int rc = wire_check(f->descriptor, p + i, (size_t)v, depth + 1);
                if (rc)
                    return rc;
            }
            i += (size_t)v;
            break;
        }
        default: return -1; /* groups (3, 4) and reserved wire types */
        }
    }
    return 0;
}

/* The decode arena: a stack block, then heap blocks up to a cap, all freed at once. */
typedef struct heap_blk {
    struct heap_blk *next;
    max_align_t data[];
} heap_blk_t;

typedef struct arena {
    unsigned char *base;
    size_t cap, used;
    size_t heap_used, heap_cap;
    heap_blk_t *blocks;
} arena_t;

static void *arena_alloc(void *ad, size_t size)
{
    arena_t *a = ad;
    size_t need = (size + 15) & ~(size_t)15;
    if (need < size)
        return NULL;
    if (need <= a->cap - a->used) {
        void *p = a->base + a->used;
        a->used += need;
        return p;
    }
    if (size > a->heap_cap - a->heap_used)
        return NULL;
    heap_blk_t *b = malloc(sizeof *b + size);
    if (!b)
        return NULL;
    a->heap_used += size;
    b->next = a->blocks;
    a->blocks = b;
    return b->data;
}

static void arena_free(void *ad, void *p)
{
    (void)ad, (void)p; /* everything goes at once in arena_release */
}

static void arena_release(arena_t *a)
{
    while (a->blocks) {
        heap_blk_t *b = a->blocks;
        a->blocks = b->next;
        free(b);
    }
}

static const ProtobufCMessageDescriptor *descriptor_of(mwx_rec_type_t type)
{
    switch (type) {
    case MWX_REC_SCENARIO: return &mwx__rec__scenario__descriptor;
    case MWX_REC_TRUTH: return &mwx__rec__truth__descriptor;
    case MWX_REC_MEAS: return &mwx__rec__meas__descriptor;
    case MWX_REC_TRACK: return &mwx__rec__track__descriptor;
    case MWX_REC_SHARE: return &mwx__rec__share__descriptor;
    case MWX_REC_ALERT: return &mwx__rec__alert__descriptor;
    }
    return NULL;
}

/* Checks while filling the C struct: each failure names the record type and field. */
#define BAD(what, ...)                                                                             \
    do {                                                                                           \
        rc = mwx_err_set(err, MWX_ECORRUPT, "%s record: " what, tname, __VA_ARGS__);               \
        goto done;                                                                                 \
    } while (0)
#define COPY_STR(dst, src, name)                                                                   \
    do {                                                                                           \
        if (strlen(src) >= sizeof(dst))                                                            \
            BAD("%s: %zu bytes, at most %zu fit", name, strlen(src), sizeof(dst) - 1);             \
        memcpy(dst, src, strlen(src) + 1);                                                         \
    } while (0)
#define COPY_ARR(dst, n_src, src, count, name)                                                     \
    do {                                                                                           \
        if ((n_src) != (count))                                                                    \
            BAD("%s: %zu numbers, expected %d", name, (size_t)(n_src), count);                     \
        if (!finite_all(src, count))                                                               \
            BAD("%s: %s", name, "not a finite number");                                            \
        memcpy(dst, src, sizeof(double) * (count));                                                \
    } while (0)
/* proto3 writes a scalar 0 as nothing, and protobuf-c counts -0.0 as 0: a scalar -0.0
 * is read as +0.0 whatever the writer sent, so that decode(encode(decode(x))) is
 * decode(x). (Arrays are always written whole and keep the sign of zero.) */
#define NUM(dst, src, name)                                                                        \
    do {                                                                                           \
        if (!isfinite(src))                                                                        \
            BAD("%s: %s", name, "not a finite number");                                            \
        dst = (src) == 0 ? 0.0 : (src);                                                            \
    } while (0)
#define ENUM(dst, type, src, max, name)                                                            \
    do {                                                                                           \
        if ((int)(src) < 0 || (int)(src) > (max))                                                  \
            BAD("%s: %d out of range", name, (int)(src));                                          \
        dst = (type)(int)(src);                                                                    \
    } while (0)

int mwx_record_decode(mwx_rec_type_t type, const uint8_t *buf, size_t len, mwx_record_t *rec,
                      char *json_buf, size_t json_cap, mwx_err_t *err)
{
    const ProtobufCMessageDescriptor *d = descriptor_of(type);
    if (!d)
        return mwx_err_set(err, MWX_ECORRUPT, "unknown record type %d", (int)type);
    const char *tname = mwx_rec_type_name(type);
    static const uint8_t empty[1] = {0};
    if (!buf)
        buf = empty, len = 0;
    int bad = wire_check(d, buf, len, 0);
    if (bad < 0)
        return mwx_err_set(err, MWX_ECORRUPT, "%s record: malformed protobuf", tname);
    if (bad > 0)
        return mwx_err_set(err, MWX_ECORRUPT,
                           "%s record: field %d: string not UTF-8 or contains NUL", tname, bad);

    union {
        max_align_t align;
        unsigned char b[8192];
    } stack;
    arena_t a = {stack.b, sizeof stack.b, 0, 0, 0, NULL};
    a.heap_cap = len > (SIZE_MAX - 65536) / 2 ? SIZE_MAX : 2 * len + 65536;
    ProtobufCAllocator alloc = {arena_alloc, arena_free, &a};
    ProtobufCMessage *msg = protobuf_c_message_unpack(d, &alloc, len, buf);
    int rc = 0;
    if (!msg) {
        arena_release(&a);
        return mwx_err_set(err, MWX_ECORRUPT, "%s record: malformed protobuf", tname);
    }
    memset(rec, 0, sizeof *rec);
    rec->type = type;

    switch (type) {
    case MWX_REC_SCENARIO: {
        const Mwx__Rec__Scenario *m = (const Mwx__Rec__Scenario *)msg;
        mwx_rec_scenario_t *r = &rec->u.scenario;
        COPY_STR(r->name, m->name, "name");
        COPY_STR(r->epoch, m->epoch, "epoch");
        ENUM(r->status, mwx_status_t, m->status, MWX_STATUS_TEST, "status");
        r->seed = m->seed;
        r->json = NULL;
        size_t jl = strlen(m->json);
        if (jl && json_buf) {
            if (jl >= json_cap) {
                rc = mwx_err_set(err, MWX_EFULL, "%s record: json: %zu bytes, buffer holds %zu",
                                 tname, jl, json_cap ? json_cap - 1 : 0);
                goto done;
            }
            memcpy(json_buf, m->json, jl + 1);
            r->json = json_buf;
        }
        break;
    }
    case MWX_REC_TRUTH: {
        const Mwx__Rec__Truth *m = (const Mwx__Rec__Truth *)msg;
        mwx_rec_truth_t *r = &rec->u.truth;
        NUM(r->t, m->t, "t");
        COPY_STR(r->object, m->object, "object");
        COPY_ARR(r->ecef_m, m->n_ecef_m, m->ecef_m, 3, "ecef_m");
        COPY_ARR(r->vel_mps, m->n_vel_mps, m->vel_mps, 3, "vel_mps");
        ENUM(r->phase, mwx_phase_t, m->phase, MWX_PHASE_MAX, "phase");
        COPY_STR(r->launch, m->launch, "launch");
        break;
    }
    case MWX_REC_MEAS: {
        const Mwx__Rec__Meas *m = (const Mwx__Rec__Meas *)msg;
        mwx_rec_meas_t *r = &rec->u.meas;
        NUM(r->t, m->t, "t");
        COPY_STR(r->sensor, m->sensor, "sensor");
        COPY_STR(r->nation, m->nation, "nation");
        ENUM(r->kind, mwx_sensor_kind_t, m->kind, MWX_SENSOR_IR, "kind");
        COPY_ARR(r->sensor_ecef_m, m->n_sensor_ecef_m, m->sensor_ecef_m, 3, "sensor_ecef_m");
        NUM(r->range_m, m->range_m, "range_m");
        NUM(r->az_deg, m->az_deg, "az_deg");
        NUM(r->el_deg, m->el_deg, "el_deg");
        NUM(r->sigma_range_m, m->sigma_range_m, "sigma_range_m");
        NUM(r->sigma_az_deg, m->sigma_az_deg, "sigma_az_deg");
        NUM(r->sigma_el_deg, m->sigma_el_deg, "sigma_el_deg");
        COPY_ARR(r->los_ecef, m->n_los_ecef, m->los_ecef, 3, "los_ecef");
        NUM(r->sigma_los_urad, m->sigma_los_urad, "sigma_los_urad");
        COPY_STR(r->truth_object, m->truth_object, "truth_object");
        break;
    }
    case MWX_REC_TRACK: {
        const Mwx__Rec__Track *m = (const Mwx__Rec__Track *)msg;
        mwx_rec_track_t *r = &rec->u.track;
        NUM(r->t, m->t, "t");
        COPY_STR(r->node, m->node, "node");
        COPY_STR(r->track_id, m->track_id, "track_id");
        COPY_ARR(r->ecef_m, m->n_ecef_m, m->ecef_m, 3, "ecef_m");
        COPY_ARR(r->vel_mps, m->n_vel_mps, m->vel_mps, 3, "vel_mps");
        COPY_ARR(r->cov_pos_m2, m->n_cov_pos_m2, m->cov_pos_m2, 6, "cov_pos_m2");
        COPY_ARR(r->cov_vel_m2s2, m->n_cov_vel_m2s2, m->cov_vel_m2s2, 6, "cov_vel_m2s2");
        ENUM(r->phase, mwx_phase_t, m->phase, MWX_PHASE_MAX, "phase");
        r->confirmed = m->confirmed != 0;
        COPY_STR(r->sources, m->sources, "sources");
        ENUM(r->klass, mwx_track_class_t, m->class_, MWX_CLASS_MAX, "class");
        COPY_STR(r->parent, m->parent, "parent");
        if (m->launch) {
            r->launch.valid = 1;
            NUM(r->launch.lat, m->launch->lat, "launch.lat");
            NUM(r->launch.lon, m->launch->lon, "launch.lon");
            NUM(r->launch.t, m->launch->t, "launch.t");
            ENUM(r->launch.basis, mwx_launch_basis_t, m->launch->basis, MWX_LAUNCH_FIT,
                 "launch.basis");
        }
        if (m->impact) {
            r->impact.valid = 1;
            NUM(r->impact.lat, m->impact->lat, "impact.lat");
            NUM(r->impact.lon, m->impact->lon, "impact.lon");
            NUM(r->impact.t, m->impact->t, "impact.t");
            NUM(r->impact.semi_major_km, m->impact->semi_major_km, "impact.semi_major_km");
            NUM(r->impact.semi_minor_km, m->impact->semi_minor_km, "impact.semi_minor_km");
            NUM(r->impact.orientation_deg, m->impact->orientation_deg, "impact.orientation_deg");
        }
        break;
    }
    case MWX_REC_SHARE: {
        const Mwx__Rec__Share *m = (const Mwx__Rec__Share *)msg;
        mwx_rec_share_t *r = &rec->u.share;
        NUM(r->t, m->t, "t");
        COPY_STR(r->from, m->from, "from");
        if (m->n_to > MWX_MAX_NATIONS)
            BAD("to: %zu nations, at most %d", m->n_to, MWX_MAX_NATIONS);
        for (size_t i = 0; i < m->n_to; i++)
            COPY_STR(r->to[i], m->to[i], "to[]");
        r->n_to = (int)m->n_to;
        COPY_STR(r->track_id, m->track_id, "track_id");
        r->seq = m->seq;
        r->verified = m->verified != 0;
        NUM(r->latency_s, m->latency_s, "latency_s");
        break;
    }
    case MWX_REC_ALERT: {
        const Mwx__Rec__Alert *m = (const Mwx__Rec__Alert *)msg;
        mwx_rec_alert_t *r = &rec->u.alert;
        NUM(r->t, m->t, "t");
        COPY_STR(r->node, m->node, "node");
        COPY_STR(r->identifier, m->identifier, "identifier");
        ENUM(r->msg_type, mwx_msg_type_t, m->msg_type, MWX_MSG_CANCEL, "msg_type");
        ENUM(r->status, mwx_status_t, m->status, MWX_STATUS_TEST, "status");
        ENUM(r->kind, mwx_alert_kind_t, m->kind, MWX_ALERT_DROP_ZONE, "kind");
        if (m->n_regions > MWX_MAX_ALERT_REGIONS)
            BAD("regions: %zu ids, at most %d", m->n_regions, MWX_MAX_ALERT_REGIONS);
        for (size_t i = 0; i < m->n_regions; i++)
            COPY_STR(r->regions[i], m->regions[i], "regions[]");
        r->n_regions = (int)m->n_regions;
        COPY_STR(r->file, m->file, "file");
        break;
    }
    }
done:
    arena_release(&a);
    return rc;
}

static int all_finite(const double *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

int mwx_rec_meas_check(const mwx_rec_meas_t *m, mwx_err_t *err)
{
    if (!isfinite(m->t) || m->t < 0)
        return mwx_err_set(err, MWX_EINVAL, "meas: t must be a finite time >= 0");
    if (!m->sensor[0] || !m->nation[0])
        return mwx_err_set(err, MWX_EINVAL, "meas: sensor and nation are required");
    if (!all_finite(m->sensor_ecef_m, 3) || m->sensor_ecef_m[0] * m->sensor_ecef_m[0] +
                                                    m->sensor_ecef_m[1] * m->sensor_ecef_m[1] +
                                                    m->sensor_ecef_m[2] * m->sensor_ecef_m[2] >
                                                1e18)
        return mwx_err_set(err, MWX_EINVAL,
                           "meas %s: sensor position not finite or beyond "
                           "10^6 km",
                           m->sensor);
    if (m->kind == MWX_SENSOR_RADAR) {
        if (!isfinite(m->range_m) || m->range_m <= 0)
            return mwx_err_set(err, MWX_EINVAL, "meas %s: range_m must be > 0", m->sensor);
        if (!isfinite(m->az_deg) || !isfinite(m->el_deg) || fabs(m->el_deg) > 90.0 ||
            fabs(m->az_deg) > 720.0)
            return mwx_err_set(err, MWX_EINVAL, "meas %s: azimuth or elevation out of range",
                               m->sensor);
        if (!(m->sigma_range_m > 0 && m->sigma_range_m <= 1e6) ||
            !(m->sigma_az_deg > 0 && m->sigma_az_deg <= 90) ||
            !(m->sigma_el_deg > 0 && m->sigma_el_deg <= 90))
            return mwx_err_set(err, MWX_EINVAL,
                               "meas %s: sigmas must be > 0 and at most "
                               "1000 km / 90 deg",
                               m->sensor);
        return MWX_OK;
    }
    if (m->kind == MWX_SENSOR_IR) {
        double n2 = m->los_ecef[0] * m->los_ecef[0] + m->los_ecef[1] * m->los_ecef[1] +
                    m->los_ecef[2] * m->los_ecef[2];
        if (!all_finite(m->los_ecef, 3) || fabs(n2 - 1.0) > 1e-6)
            return mwx_err_set(err, MWX_EINVAL, "meas %s: los_ecef must be a unit vector",
                               m->sensor);
        if (!(m->sigma_los_urad > 0 && m->sigma_los_urad <= 1e6))
            return mwx_err_set(err, MWX_EINVAL, "meas %s: sigma_los_urad must be in (0, 10^6]",
                               m->sensor);
        return MWX_OK;
    }
    return mwx_err_set(err, MWX_EINVAL, "meas %s: unknown sensor kind %d", m->sensor, (int)m->kind);
}
