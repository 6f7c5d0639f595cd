/* Records: protobuf round trip of every type with edge values, encode refusals, decode
 * validation (array lengths, enums, string lengths, finiteness, UTF-8), and the JSON of
 * `mwx cat` checked key by key against PRODUCT.md's record table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mwx/core.h"
#include "mwx_record.pb-c.h"

size_t mwx_test_samples(mwx_record_t *out);
const char *mwx_test_sample_json(void);

static void test_roundtrip_every_type(void **state)
{
    mwx_record_t s[9], d;
    size_t n = mwx_test_samples(s);
    int seen[MWX_REC_TYPE_MAX + 1] = {0};
    for (size_t i = 0; i < n; i++) {
        uint8_t buf[4096];
        char json[1024];
        size_t len = 0;
        mwx_err_t err;
        assert_int_equal(mwx_record_encode(&s[i], buf, sizeof buf, &len), 0);
        assert_int_equal(len, mwx_record_encoded_size(&s[i]));
        memset(&d, 0xa5, sizeof d);
        assert_int_equal(mwx_record_decode(s[i].type, buf, len, &d, json, sizeof json, &err), 0);
        if (s[i].type == MWX_REC_SCENARIO) {
            assert_ptr_equal(d.u.scenario.json, json);
            assert_string_equal(d.u.scenario.json, mwx_test_sample_json());
            d.u.scenario.json = s[i].u.scenario.json;
            /* without a json buffer the text is dropped, not an error */
            mwx_record_t d2;
            assert_int_equal(mwx_record_decode(s[i].type, buf, len, &d2, NULL, 0, &err), 0);
            assert_null(d2.u.scenario.json);
            assert_int_equal(mwx_record_decode(s[i].type, buf, len, &d2, json, 10, &err),
                             MWX_EFULL);
        }
        /* bit-exact: -0.0, 1e-300, DBL_MAX, 2^53+1 seeds, the strings' every byte */
        assert_memory_equal(&d, &s[i], sizeof d);
        seen[s[i].type] = 1;
    }
    for (int t = 1; t <= MWX_REC_TYPE_MAX; t++)
        assert_true(seen[t]);
}

static void test_encode_capacity_and_refusals(void **state)
{
    mwx_record_t s[9];
    size_t n = mwx_test_samples(s);
    uint8_t buf[4096];
    size_t len;
    for (size_t i = 0; i < n; i++) {
        size_t need = mwx_record_encoded_size(&s[i]);
        assert_true(need > 0);
        /* every capacity short of the size is refused, and nothing is written past cap */
        for (size_t cap = 0; cap < need; cap++) {
            memset(buf, 0x5a, sizeof buf);
            assert_int_equal(mwx_record_encode(&s[i], buf, cap, &len), MWX_EFULL);
            for (size_t k = 0; k < sizeof buf; k++)
                assert_int_equal(buf[k], 0x5a);
        }
        assert_int_equal(mwx_record_encode(&s[i], buf, need, &len), 0);
        assert_int_equal(len, need);
    }
    /* A record that could not be read back is refused. */
    mwx_record_t r = s[1];
    r.u.truth.ecef_m[1] = NAN;
    assert_int_equal(mwx_record_encode(&r, buf, sizeof buf, &len), MWX_EINVAL);
    r = s[1];
    r.u.truth.t = INFINITY;
    assert_int_equal(mwx_record_encode(&r, buf, sizeof buf, &len), MWX_EINVAL);
    r = s[1];
    r.u.truth.phase = (mwx_phase_t)(MWX_PHASE_MAX + 1);
    assert_int_equal(mwx_record_encode(&r, buf, sizeof buf, &len), MWX_EINVAL);
    r = s[1];
    memset(r.u.truth.object, 'x', sizeof r.u.truth.object); /* no NUL inside the field */
    assert_int_equal(mwx_record_encode(&r, buf, sizeof buf, &len), MWX_EINVAL);
    r = s[2];
    strcpy(r.u.meas.sensor, "bad\xff");
    assert_int_equal(mwx_record_encode(&r, buf, sizeof buf, &len), MWX_EINVAL);
    r = s[6];
    r.u.share.n_to = MWX_MAX_NATIONS + 1;
    assert_int_equal(mwx_record_encode(&r, buf, sizeof buf, &len), MWX_EINVAL);
    r = s[6];
    r.u.share.n_to = -1;
    assert_int_equal(mwx_record_encode(&r, buf, sizeof buf, &len), MWX_EINVAL);
    r = s[5];
    r.u.track.impact.semi_major_km = NAN;
    assert_int_equal(mwx_record_encode(&r, buf, sizeof buf, &len), MWX_EINVAL);
    r.u.track.impact.valid = 0; /* an invalid estimate is not written, so not checked */
    assert_int_equal(mwx_record_encode(&r, buf, sizeof buf, &len), 0);
    r = s[7];
    r.u.alert.kind = (mwx_alert_kind_t)4;
    assert_int_equal(mwx_record_encode(&r, buf, sizeof buf, &len), MWX_EINVAL);
    r = s[7];
    r.u.alert.msg_type = (mwx_msg_type_t)-1;
    assert_int_equal(mwx_record_encode(&r, buf, sizeof buf, &len), MWX_EINVAL);
    r.type = (mwx_rec_type_t)0;
    assert_int_equal(mwx_record_encode(&r, buf, sizeof buf, &len), MWX_EINVAL);
    assert_int_equal(mwx_record_encoded_size(&r), 0);
}

/* Worst-case records (every string full, every list full, the largest varints) encode
 * within twice their struct plus 64 bytes: the bound record_codec.c relies on to skip the
 * sizing pass when the caller's buffer is at least that big. */
static void test_encode_size_bound(void **state)
{
    mwx_record_t r;
    uint8_t buf[8192];
    size_t len;
    for (int type = MWX_REC_TRUTH; type <= MWX_REC_ALERT; type++) {
        memset(&r, 0, sizeof r);
        r.type = (mwx_rec_type_t)type;
        size_t sz = 0;
        double big = -1.7976931348623157e308;
        switch (r.type) {
        case MWX_REC_TRUTH:
            memset(r.u.truth.object, 'o', sizeof r.u.truth.object - 1);
            r.u.truth.t = big;
            for (int i = 0; i < 3; i++)
                r.u.truth.ecef_m[i] = r.u.truth.vel_mps[i] = big;
            r.u.truth.phase = MWX_PHASE_IMPACT;
            sz = sizeof r.u.truth;
            break;
        case MWX_REC_MEAS: {
            mwx_rec_meas_t *m = &r.u.meas;
            memset(m->sensor, 's', sizeof m->sensor - 1);
            memset(m->nation, 'n', sizeof m->nation - 1);
            memset(m->truth_object, 'x', sizeof m->truth_object - 1);
            m->kind = MWX_SENSOR_IR;
            m->t = m->range_m = m->az_deg = m->el_deg = m->sigma_range_m = big;
            m->sigma_az_deg = m->sigma_el_deg = m->sigma_los_urad = big;
            for (int i = 0; i < 3; i++)
                m->sensor_ecef_m[i] = m->los_ecef[i] = big;
            sz = sizeof *m;
            break;
        }
        case MWX_REC_TRACK: {
            mwx_rec_track_t *k = &r.u.track;
            memset(k->node, 'n', sizeof k->node - 1);
            memset(k->track_id, 'i', sizeof k->track_id - 1);
            memset(k->sources, 's', sizeof k->sources - 1);
            k->t = big;
            for (int i = 0; i < 3; i++)
                k->ecef_m[i] = k->vel_mps[i] = big;
            for (int i = 0; i < 6; i++)
                k->cov_pos_m2[i] = k->cov_vel_m2s2[i] = big;
            k->phase = MWX_PHASE_IMPACT;
            k->confirmed = 1;
            k->launch.valid = k->impact.valid = 1;
            k->launch.lat = k->launch.lon = k->launch.t = big;
            k->impact.lat = k->impact.lon = k->impact.t = big;
            k->impact.semi_major_km = k->impact.semi_minor_km = big;
            k->impact.orientation_deg = big;
            sz = sizeof *k;
            break;
        }
        case MWX_REC_SHARE: {
            mwx_rec_share_t *h = &r.u.share;
            memset(h->from, 'f', sizeof h->from - 1);
            memset(h->track_id, 'i', sizeof h->track_id - 1);
            for (int i = 0; i < MWX_MAX_NATIONS; i++)
                memset(h->to[i], 't', sizeof h->to[i] - 1);
            h->n_to = MWX_MAX_NATIONS;
            h->seq = UINT64_MAX;
            h->verified = 1;
            h->t = h->latency_s = big;
            sz = sizeof *h;
            break;
        }
        case MWX_REC_ALERT: {
            mwx_rec_alert_t *a = &r.u.alert;
            memset(a->node, 'n', sizeof a->node - 1);
            memset(a->identifier, 'i', sizeof a->identifier - 1);
            memset(a->file, 'f', sizeof a->file - 1);
            for (int i = 0; i < MWX_MAX_ALERT_REGIONS; i++)
                memset(a->regions[i], 'r', sizeof a->regions[i] - 1);
            a->kind = MWX_ALERT_DROP_ZONE;
            a->n_regions = MWX_MAX_ALERT_REGIONS;
            a->msg_type = MWX_MSG_CANCEL;
            a->status = MWX_STATUS_TEST;
            a->t = big;
            sz = sizeof *a;
            break;
        }
        default: break;
        }
        size_t need = mwx_record_encoded_size(&r);
        assert_true(need > 0);
        assert_true(need <= 2 * sz + 64);
        assert_true(2 * sz + 64 <= sizeof buf);
        memset(buf, 0x5a, sizeof buf);
        assert_int_equal(mwx_record_encode(&r, buf, 2 * sz + 64, &len), 0);
        assert_int_equal(len, need);
        for (size_t k = len; k < sizeof buf; k++)
            assert_int_equal(buf[k], 0x5a);
        mwx_record_t d;
        mwx_err_t err;
        assert_int_equal(mwx_record_decode(r.type, buf, len, &d, NULL, 0, &err), 0);
        assert_memory_equal(&d, &r, sizeof r);
    }
}

/* Pack a hand-made protobuf message and decode it as type. */
static int decode_msg(mwx_rec_type_t type, const ProtobufCMessage *m, mwx_record_t *out,
                      mwx_err_t *err)
{
    uint8_t buf[8192];
    size_t len = protobuf_c_message_get_packed_size(m);
    assert_true(len <= sizeof buf);
    protobuf_c_message_pack(m, buf);
    return mwx_record_decode(type, buf, len, out, NULL, 0, err);
}

static void test_decode_validation(void **state)
{
    mwx_record_t out;
    mwx_err_t err;
    double v3[3] = {1, 2, 3}, v2[2] = {1, 2}, v6[6] = {1, 2, 3, 4, 5, 6};
    double vnan[3] = {1, NAN, 3};

    Mwx__Rec__Truth t = MWX__REC__TRUTH__INIT;
    t.object = "L1";
    t.n_ecef_m = 3, t.ecef_m = v3;
    t.n_vel_mps = 3, t.vel_mps = v3;
    assert_int_equal(decode_msg(MWX_REC_TRUTH, &t.base, &out, &err), 0);
    assert_string_equal(out.u.truth.object, "L1");
    t.n_ecef_m = 2, t.ecef_m = v2;
    assert_int_equal(decode_msg(MWX_REC_TRUTH, &t.base, &out, &err), MWX_ECORRUPT);
    assert_non_null(strstr(err.msg, "ecef_m: 2 numbers, expected 3"));
    t.n_ecef_m = 0; /* missing arrays are not zeros */
    assert_int_equal(decode_msg(MWX_REC_TRUTH, &t.base, &out, &err), MWX_ECORRUPT);
    t.n_ecef_m = 3, t.ecef_m = vnan;
    assert_int_equal(decode_msg(MWX_REC_TRUTH, &t.base, &out, &err), MWX_ECORRUPT);
    assert_non_null(strstr(err.msg, "finite"));
    t.ecef_m = v3;
    t.t = INFINITY;
    assert_int_equal(decode_msg(MWX_REC_TRUTH, &t.base, &out, &err), MWX_ECORRUPT);
    t.t = 1;
    t.phase = (Mwx__Rec__Phase)(MWX_PHASE_MAX + 1);
    assert_int_equal(decode_msg(MWX_REC_TRUTH, &t.base, &out, &err), MWX_ECORRUPT);
    assert_non_null(strstr(err.msg, "phase: 5 out of range"));
    t.phase = (Mwx__Rec__Phase)-1;
    assert_int_equal(decode_msg(MWX_REC_TRUTH, &t.base, &out, &err), MWX_ECORRUPT);
    t.phase = MWX__REC__PHASE__IMPACT;
    /* A scalar -0.0 on the wire reads as +0.0 (protobuf-c writes a scalar -0.0 as
     * nothing, so this keeps decode -> encode -> decode an identity). */
    t.t = -0.0;
    assert_int_equal(decode_msg(MWX_REC_TRUTH, &t.base, &out, &err), 0);
    assert_false(signbit(out.u.truth.t));
    {
        /* as another writer may send it: field 1 (t) = -0.0, explicitly on the wire */
        uint8_t w[512];
        t.t = 1;
        size_t len = protobuf_c_message_pack(&t.base, w);
        const uint8_t negz[9] = {0x09, 0, 0, 0, 0, 0, 0, 0, 0x80};
        memcpy(w + len, negz, sizeof negz);
        assert_int_equal(
            mwx_record_decode(MWX_REC_TRUTH, w, len + sizeof negz, &out, NULL, 0, &err), 0);
        assert_true(out.u.truth.t == 0 && !signbit(out.u.truth.t));
    }
    /* 31 bytes fit in object[32]; 32 is too long: corrupt, never truncated */
    t.object = "0123456789abcdef0123456789abcde";
    assert_int_equal(decode_msg(MWX_REC_TRUTH, &t.base, &out, &err), 0);
    assert_string_equal(out.u.truth.object, t.object);
    t.object = "0123456789abcdef0123456789abcdef";
    assert_int_equal(decode_msg(MWX_REC_TRUTH, &t.base, &out, &err), MWX_ECORRUPT);
    assert_non_null(strstr(err.msg, "object: 32 bytes, at most 31 fit"));
    t.object = "caf\xc3\xa9"; /* UTF-8 is fine */
    assert_int_equal(decode_msg(MWX_REC_TRUTH, &t.base, &out, &err), 0);
    t.object = "caf\xe9"; /* Latin-1 is not */
    assert_int_equal(decode_msg(MWX_REC_TRUTH, &t.base, &out, &err), MWX_ECORRUPT);
    assert_non_null(strstr(err.msg, "UTF-8"));
    t.object = "\xed\xa0\x80"; /* a UTF-16 surrogate */
    assert_int_equal(decode_msg(MWX_REC_TRUTH, &t.base, &out, &err), MWX_ECORRUPT);
    t.object = "\xc0\xaf"; /* overlong '/' */
    assert_int_equal(decode_msg(MWX_REC_TRUTH, &t.base, &out, &err), MWX_ECORRUPT);

    /* A NUL inside a string would silently shorten it: refused on the wire. */
    {
        uint8_t w[] = {0x12, 0x03, 'L', 0, '1'}; /* field 2 (object), 3 bytes */
        assert_int_equal(mwx_record_decode(MWX_REC_TRUTH, w, sizeof w, &out, NULL, 0, &err),
                         MWX_ECORRUPT);
    }
    /* Garbage, truncated varints, wrong lengths, groups. */
    {
        uint8_t g1[] = {0x12, 0x05, 'L'};
        uint8_t g2[] = {0x08, 0xff, 0xff};
        uint8_t g3[] = {0x0b, 0x0c};
        uint8_t g4[] = {0x00};
        const uint8_t *gs[] = {g1, g2, g3, g4};
        size_t gl[] = {sizeof g1, sizeof g2, sizeof g3, sizeof g4};
        for (int i = 0; i < 4; i++)
            assert_int_equal(mwx_record_decode(MWX_REC_TRUTH, gs[i], gl[i], &out, NULL, 0, &err),
                             MWX_ECORRUPT);
    }
    /* Unknown record types. */
    assert_int_equal(mwx_record_decode((mwx_rec_type_t)0, NULL, 0, &out, NULL, 0, &err),
                     MWX_ECORRUPT);
    assert_int_equal(mwx_record_decode((mwx_rec_type_t)7, NULL, 0, &out, NULL, 0, &err),
                     MWX_ECORRUPT);
    assert_int_equal(mwx_record_decode(MWX_REC_TRUTH, NULL, 0, &out, NULL, 0, &err),
                     MWX_ECORRUPT); /* an empty truth has no position */

    /* Unknown fields are skipped (newer writers). */
    {
        uint8_t buf[512];
        size_t len = protobuf_c_message_pack(&t.base, buf);
        t.object = "L1";
        len = protobuf_c_message_pack(&t.base, buf);
        uint8_t extra[] = {0xb8, 0x06, 0x2a, 0xc2, 0x06, 0x02, 'h', 'i'}; /* 103: 42, 104: "hi" */
        memcpy(buf + len, extra, sizeof extra);
        assert_int_equal(
            mwx_record_decode(MWX_REC_TRUTH, buf, len + sizeof extra, &out, NULL, 0, &err), 0);
        assert_string_equal(out.u.truth.object, "L1");
    }

    /* Meas: kind range, los length. */
    Mwx__Rec__Meas m = MWX__REC__MEAS__INIT;
    m.sensor = "S", m.nation = "N";
    m.n_sensor_ecef_m = 3, m.sensor_ecef_m = v3;
    m.n_los_ecef = 3, m.los_ecef = v3;
    assert_int_equal(decode_msg(MWX_REC_MEAS, &m.base, &out, &err), 0);
    m.kind = (Mwx__Rec__SensorKind)2;
    assert_int_equal(decode_msg(MWX_REC_MEAS, &m.base, &out, &err), MWX_ECORRUPT);
    m.kind = MWX__REC__SENSOR_KIND__IR_SATELLITE;
    m.n_los_ecef = 6, m.los_ecef = v6;
    assert_int_equal(decode_msg(MWX_REC_MEAS, &m.base, &out, &err), MWX_ECORRUPT);
    m.n_los_ecef = 3, m.los_ecef = v3;
    m.sigma_los_urad = NAN;
    assert_int_equal(decode_msg(MWX_REC_MEAS, &m.base, &out, &err), MWX_ECORRUPT);

    /* Track: cov length, sub-messages present = valid, a NaN inside one. */
    Mwx__Rec__Track k = MWX__REC__TRACK__INIT;
    Mwx__Rec__ImpactEst imp = MWX__REC__IMPACT_EST__INIT;
    k.n_ecef_m = 3, k.ecef_m = v3;
    k.n_vel_mps = 3, k.vel_mps = v3;
    k.n_cov_pos_m2 = 6, k.cov_pos_m2 = v6;
    k.n_cov_vel_m2s2 = 6, k.cov_vel_m2s2 = v6;
    k.impact = &imp;
    assert_int_equal(decode_msg(MWX_REC_TRACK, &k.base, &out, &err), 0);
    assert_int_equal(out.u.track.impact.valid, 1);
    assert_int_equal(out.u.track.launch.valid, 0);
    {
        /* a launch estimate's basis: an old writer's (absent) reads as ballistic, the
         * weakest; one beyond fit is refused */
        Mwx__Rec__LaunchEst la = MWX__REC__LAUNCH_EST__INIT;
        k.launch = &la;
        assert_int_equal(decode_msg(MWX_REC_TRACK, &k.base, &out, &err), 0);
        assert_int_equal(out.u.track.launch.basis, MWX_LAUNCH_BALLISTIC);
        la.basis = MWX__REC__LAUNCH_BASIS__LAUNCH_FIT;
        assert_int_equal(decode_msg(MWX_REC_TRACK, &k.base, &out, &err), 0);
        assert_int_equal(out.u.track.launch.basis, MWX_LAUNCH_FIT);
        la.basis = (Mwx__Rec__LaunchBasis)3;
        assert_int_equal(decode_msg(MWX_REC_TRACK, &k.base, &out, &err), MWX_ECORRUPT);
        assert_non_null(strstr(err.msg, "launch.basis: 3 out of range"));
        k.launch = NULL;
    }
    k.n_cov_pos_m2 = 3, k.cov_pos_m2 = v3;
    assert_int_equal(decode_msg(MWX_REC_TRACK, &k.base, &out, &err), MWX_ECORRUPT);
    k.n_cov_pos_m2 = 6, k.cov_pos_m2 = v6;
    imp.orientation_deg = -INFINITY;
    assert_int_equal(decode_msg(MWX_REC_TRACK, &k.base, &out, &err), MWX_ECORRUPT);
    assert_non_null(strstr(err.msg, "impact.orientation_deg"));
    imp.orientation_deg = 0;
    k.sources = "0123456789012345678901234567890123456789012345678901234567890123"; /* 64 */
    assert_int_equal(decode_msg(MWX_REC_TRACK, &k.base, &out, &err), MWX_ECORRUPT);

    /* Share: too many nations; a nation id too long. */
    Mwx__Rec__Share sh = MWX__REC__SHARE__INIT;
    char *to[MWX_MAX_NATIONS + 1];
    for (int i = 0; i <= MWX_MAX_NATIONS; i++)
        to[i] = "JP";
    sh.to = to;
    sh.n_to = MWX_MAX_NATIONS;
    assert_int_equal(decode_msg(MWX_REC_SHARE, &sh.base, &out, &err), 0);
    assert_int_equal(out.u.share.n_to, MWX_MAX_NATIONS);
    sh.n_to = MWX_MAX_NATIONS + 1;
    assert_int_equal(decode_msg(MWX_REC_SHARE, &sh.base, &out, &err), MWX_ECORRUPT);
    sh.n_to = 1;
    to[0] = "0123456789abcdef0123456789abcdefX";
    assert_int_equal(decode_msg(MWX_REC_SHARE, &sh.base, &out, &err), MWX_ECORRUPT);

    /* Alert: region ids are at most 11 bytes; msg_type and status ranges. */
    Mwx__Rec__Alert al = MWX__REC__ALERT__INIT;
    char *regs[1] = {"01234567890"};
    al.regions = regs, al.n_regions = 1;
    assert_int_equal(decode_msg(MWX_REC_ALERT, &al.base, &out, &err), 0);
    regs[0] = "012345678901";
    assert_int_equal(decode_msg(MWX_REC_ALERT, &al.base, &out, &err), MWX_ECORRUPT);
    regs[0] = "JP-01";
    al.msg_type = (Mwx__Rec__MsgType)3;
    assert_int_equal(decode_msg(MWX_REC_ALERT, &al.base, &out, &err), MWX_ECORRUPT);
    al.msg_type = MWX__REC__MSG_TYPE__UPDATE;
    al.status = (Mwx__Rec__Status)9;
    assert_int_equal(decode_msg(MWX_REC_ALERT, &al.base, &out, &err), MWX_ECORRUPT);
    al.status = MWX__REC__STATUS__TEST;
    al.kind = MWX__REC__ALERT_KIND__KIND_LAUNCH;
    assert_int_equal(decode_msg(MWX_REC_ALERT, &al.base, &out, &err), 0);
    assert_int_equal(out.u.alert.kind, MWX_ALERT_LAUNCH);
    al.kind = (Mwx__Rec__AlertKind)4;
    assert_int_equal(decode_msg(MWX_REC_ALERT, &al.base, &out, &err), MWX_ECORRUPT);

    /* Scenario: the name field holds 63 bytes. */
    Mwx__Rec__Scenario sc = MWX__REC__SCENARIO__INIT;
    char name[65];
    memset(name, 'n', 64);
    name[64] = 0;
    sc.name = name;
    assert_int_equal(decode_msg(MWX_REC_SCENARIO, &sc.base, &out, &err), MWX_ECORRUPT);
    name[63] = 0;
    assert_int_equal(decode_msg(MWX_REC_SCENARIO, &sc.base, &out, &err), 0);
    assert_int_equal(strlen(out.u.scenario.name), 63);
}

/* A big scenario text spills out of the stack arena and comes back whole. */
static void test_decode_large_scenario(void **state)
{
    size_t n = 3u << 20;
    char *text = malloc(n + 1), *json = malloc(n + 1);
    uint8_t *buf = malloc(n + 64);
    assert_non_null(text);
    assert_non_null(json);
    assert_non_null(buf);
    text[0] = '"';
    for (size_t i = 1; i < n - 1; i++)
        text[i] = (char)('a' + i % 26);
    text[n - 1] = '"';
    text[n] = 0;
    mwx_record_t r, d;
    memset(&r, 0, sizeof r);
    r.type = MWX_REC_SCENARIO;
    r.u.scenario.json = text;
    size_t len;
    mwx_err_t err;
    assert_int_equal(mwx_record_encode(&r, buf, n + 64, &len), 0);
    assert_int_equal(mwx_record_decode(MWX_REC_SCENARIO, buf, len, &d, json, n + 1, &err), 0);
    assert_string_equal(d.u.scenario.json, text);
    free(text), free(json), free(buf);
}

/* ---- JSON: key by key */

static json_t *to_json(const mwx_record_t *r)
{
    char *s = mwx_record_to_json(r);
    assert_non_null(s);
    assert_null(strchr(s, '\n')); /* one line */
    json_error_t e;
    json_t *j = json_loads(s, 0, &e);
    if (!j)
        fprintf(stderr, "bad JSON (%s): %s\n", e.text, s);
    assert_non_null(j);
    /* "type" then "t" first */
    void *it = json_object_iter(j);
    assert_string_equal(json_object_iter_key(it), "type");
    it = json_object_iter_next(j, it);
    assert_string_equal(json_object_iter_key(it), "t");
    free(s);
    return j;
}

/* obj has exactly the keys in keys (NULL-terminated). */
static void keys_exactly(const json_t *obj, const char *const *keys)
{
    size_t n = 0;
    for (; keys[n]; n++) {
        if (!json_object_get(obj, keys[n]))
            fail_msg("missing key %s", keys[n]);
    }
    assert_int_equal(json_object_size(obj), n);
}

static void num_is(const json_t *o, const char *k, double v)
{
    json_t *x = json_object_get(o, k);
    if (!json_is_number(x))
        fail_msg("%s: not a number", k);
    if (json_number_value(x) != v)
        fail_msg("%s: %.17g != %.17g", k, json_number_value(x), v);
}

static void str_is(const json_t *o, const char *k, const char *v)
{
    json_t *x = json_object_get(o, k);
    if (!json_is_string(x))
        fail_msg("%s: not a string", k);
    assert_string_equal(json_string_value(x), v);
}

static void arr_is(const json_t *o, const char *k, const double *v, size_t n)
{
    json_t *a = json_object_get(o, k);
    assert_true(json_is_array(a));
    assert_int_equal(json_array_size(a), n);
    for (size_t i = 0; i < n; i++) {
        assert_true(json_is_number(json_array_get(a, i)));
        if (json_number_value(json_array_get(a, i)) != v[i])
            fail_msg("%s[%zu]: %.17g != %.17g", k, i, json_number_value(json_array_get(a, i)),
                     v[i]);
    }
}

static void strs_are(const json_t *o, const char *k, const char *const *v, size_t n)
{
    json_t *a = json_object_get(o, k);
    assert_true(json_is_array(a));
    assert_int_equal(json_array_size(a), n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(json_string_value(json_array_get(a, i)), v[i]);
}

static void test_json_every_type(void **state)
{
    mwx_record_t s[9];
    mwx_test_samples(s);
    json_t *j;

    /* scenario */
    static const char *const k_sc[] = {"type",   "t",    "name",     "epoch",
                                       "status", "seed", "scenario", NULL};
    j = to_json(&s[0]);
    keys_exactly(j, k_sc);
    str_is(j, "type", "scenario");
    num_is(j, "t", 0);
    str_is(j, "name", "two-launches");
    str_is(j, "epoch", "2026-11-22T03:00:00Z");
    str_is(j, "status", "Exercise");
    assert_true(json_is_integer(json_object_get(j, "seed")));
    assert_int_equal(json_integer_value(json_object_get(j, "seed")), 9007199254740993ll);
    json_t *sc = json_object_get(j, "scenario");
    assert_true(json_is_object(sc));
    str_is(sc, "name", "two-launches");
    num_is(sc, "pd", 0.95);
    str_is(sc, "note", "a \"quoted\" word\n");
    json_decref(j);
    {
        /* without the text: no "scenario" key; with text that is not JSON: a string */
        mwx_record_t r = s[0];
        r.u.scenario.json = NULL;
        static const char *const k_sc2[] = {"type", "t", "name", "epoch", "status", "seed", NULL};
        j = to_json(&r);
        keys_exactly(j, k_sc2);
        json_decref(j);
        r.u.scenario.json = "{oops";
        j = to_json(&r);
        str_is(j, "scenario_text", "{oops");
        json_decref(j);
    }

    /* truth */
    static const char *const k_tr[] = {"type",    "t",     "object", "ecef_m",
                                       "vel_mps", "phase", "launch", NULL};
    j = to_json(&s[1]);
    keys_exactly(j, k_tr);
    str_is(j, "type", "truth");
    num_is(j, "t", s[1].u.truth.t);
    str_is(j, "object", "L1");
    arr_is(j, "ecef_m", s[1].u.truth.ecef_m, 3);
    arr_is(j, "vel_mps", s[1].u.truth.vel_mps, 3);
    str_is(j, "phase", "boost");
    json_decref(j);
    j = to_json(&s[8]);
    str_is(j, "phase", "impact");
    json_decref(j);

    /* meas, radar */
    static const char *const k_mr[] = {
        "type",         "t",      "sensor",        "nation",       "kind",         "range_m",
        "az_deg",       "el_deg", "sigma_range_m", "sigma_az_deg", "sigma_el_deg", "sensor_ecef_m",
        "truth_object", NULL};
    const mwx_rec_meas_t *m = &s[2].u.meas;
    j = to_json(&s[2]);
    keys_exactly(j, k_mr);
    str_is(j, "type", "meas");
    num_is(j, "t", m->t);
    str_is(j, "sensor", "KR-GP-1");
    str_is(j, "nation", "KR");
    str_is(j, "kind", "radar");
    num_is(j, "range_m", m->range_m);
    num_is(j, "az_deg", m->az_deg);
    num_is(j, "el_deg", m->el_deg);
    num_is(j, "sigma_range_m", 30);
    num_is(j, "sigma_az_deg", 0.05);
    num_is(j, "sigma_el_deg", 0.05);
    arr_is(j, "sensor_ecef_m", m->sensor_ecef_m, 3);
    str_is(j, "truth_object", m->truth_object);
    json_decref(j);

    /* meas, IR false alarm */
    static const char *const k_mi[] = {
        "type",         "t",        "sensor",         "nation",
        "kind",         "los_ecef", "sigma_los_urad", "sensor_ecef_m",
        "truth_object", NULL};
    m = &s[3].u.meas;
    j = to_json(&s[3]);
    keys_exactly(j, k_mi);
    str_is(j, "kind", "ir_satellite");
    num_is(j, "t", 1e9);
    arr_is(j, "los_ecef", m->los_ecef, 3);
    num_is(j, "sigma_los_urad", 30);
    arr_is(j, "sensor_ecef_m", m->sensor_ecef_m, 3);
    assert_true(json_is_null(json_object_get(j, "truth_object")));
    json_decref(j);

    /* track without estimates */
    static const char *const k_tk[] = {"type",   "t",         "node",       "track_id",
                                       "ecef_m", "vel_mps",   "cov_pos_m2", "cov_vel_m2s2",
                                       "phase",  "confirmed", "sources",    "class",
                                       "parent", "launch",    "impact",     NULL};
    const mwx_rec_track_t *k = &s[4].u.track;
    j = to_json(&s[4]);
    keys_exactly(j, k_tk);
    str_is(j, "type", "track");
    num_is(j, "t", 68.5);
    str_is(j, "node", "JP");
    str_is(j, "track_id", "JP-7");
    arr_is(j, "ecef_m", k->ecef_m, 3);
    arr_is(j, "vel_mps", k->vel_mps, 3);
    arr_is(j, "cov_pos_m2", k->cov_pos_m2, 6);
    arr_is(j, "cov_vel_m2s2", k->cov_vel_m2s2, 6);
    str_is(j, "phase", "ballistic");
    assert_true(json_is_false(json_object_get(j, "confirmed")));
    strs_are(j, "sources", NULL, 0);
    str_is(j, "class", "unknown"); /* 0: a record from before the field */
    assert_true(json_is_null(json_object_get(j, "parent")));
    assert_true(json_is_null(json_object_get(j, "launch")));
    assert_true(json_is_null(json_object_get(j, "impact")));
    json_decref(j);

    /* track with launch and impact */
    k = &s[5].u.track;
    j = to_json(&s[5]);
    keys_exactly(j, k_tk);
    str_is(j, "phase", "impact");
    assert_true(json_is_true(json_object_get(j, "confirmed")));
    static const char *const src[] = {"JP", "KR", "US"};
    strs_are(j, "sources", src, 3);
    str_is(j, "class", "ballistic");
    str_is(j, "parent", "JP-6");
    json_t *l = json_object_get(j, "launch");
    static const char *const k_l[] = {"lat", "lon", "t", "basis", NULL};
    keys_exactly(l, k_l);
    num_is(l, "lat", 39.0);
    num_is(l, "lon", 125.7);
    num_is(l, "t", 60.4);
    str_is(l, "basis", "fit");
    json_t *im = json_object_get(j, "impact");
    static const char *const k_i[] = {
        "lat", "lon", "t", "semi_major_km", "semi_minor_km", "orientation_deg", NULL};
    keys_exactly(im, k_i);
    num_is(im, "lat", 40.49);
    num_is(im, "lon", k->impact.lon);
    num_is(im, "t", 1012.4);
    num_is(im, "semi_major_km", 4.1);
    num_is(im, "semi_minor_km", 0);
    num_is(im, "orientation_deg", 0);
    json_decref(j);

    /* share */
    static const char *const k_sh[] = {"type", "t",        "from",      "to", "track_id",
                                       "seq",  "verified", "latency_s", NULL};
    j = to_json(&s[6]);
    keys_exactly(j, k_sh);
    str_is(j, "type", "share");
    num_is(j, "t", 68.2);
    str_is(j, "from", "KR");
    static const char *const to[] = {"US", "JP"};
    strs_are(j, "to", to, 2);
    str_is(j, "track_id", "KR-3");
    assert_true(json_is_integer(json_object_get(j, "seq")));
    assert_int_equal(json_integer_value(json_object_get(j, "seq")), 4294967297ll);
    assert_true(json_is_true(json_object_get(j, "verified")));
    num_is(j, "latency_s", 0.0123);
    json_decref(j);

    /* alert */
    static const char *const k_al[] = {"type",   "t",    "node",    "identifier", "msg_type",
                                       "status", "kind", "regions", "file",       NULL};
    j = to_json(&s[7]);
    keys_exactly(j, k_al);
    str_is(j, "type", "alert");
    num_is(j, "t", 180);
    str_is(j, "node", "JP");
    str_is(j, "identifier", s[7].u.alert.identifier); /* UTF-8, quotes, backslash */
    str_is(j, "msg_type", "Cancel");
    str_is(j, "status", "Test");
    str_is(j, "kind", "drop_zone");
    static const char *const rg[] = {"JP-01", "JP-02", "01234567890"};
    strs_are(j, "regions", rg, 3);
    str_is(j, "file", "alerts/JP-0001.cap.xml");
    json_decref(j);
}

/* Numbers round-trip exactly and are as short as they can be. */
static void test_json_numbers(void **state)
{
    mwx_record_t r;
    memset(&r, 0, sizeof r);
    r.type = MWX_REC_TRUTH;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 20000; i++) {
        double v;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        memcpy(&v, &x, sizeof v);
        if (!isfinite(v))
            continue;
        if (i % 3 == 0)
            v = (double)(x % 100000000) / 1000.0; /* typical decimal values */
        r.u.truth.t = v;
        char *s = mwx_record_to_json(&r);
        assert_non_null(s);
        const char *p = strstr(s, "\"t\":") + 4;
        char *end;
        double back = strtod(p, &end);
        assert_true(*end == ',');
        assert_memory_equal(&back, &v, sizeof v); /* bit-exact, -0 included */
        free(s);
    }
    r.u.truth.t = 0.1;
    char *s = mwx_record_to_json(&r);
    assert_non_null(strstr(s, "\"t\":0.1,"));
    free(s);
    r.u.truth.t = 60;
    s = mwx_record_to_json(&r);
    assert_non_null(strstr(s, "\"t\":60,"));
    free(s);
    /* A struct that was never decoded may hold NaN: JSON null, not "nan". */
    r.u.truth.ecef_m[0] = NAN;
    s = mwx_record_to_json(&r);
    assert_non_null(strstr(s, "\"ecef_m\":[null,0,0]"));
    free(s);
    /* Control characters and bad UTF-8 bytes in a struct still give valid JSON. */
    strcpy(r.u.truth.object, "a\x01\tb\xff");
    r.u.truth.ecef_m[0] = 0;
    json_t *j = to_json(&r);
    str_is(j, "object", "a\x01\tb\xef\xbf\xbd");
    json_decref(j);
}

static void test_meas_check(void **state)
{
    /* What a live feed may hand the tracker: a radar and an IR measurement as the
     * simulator makes them pass; each kind of damage is refused with its field named. */
    mwx_rec_meas_t r, ir, m;
    mwx_err_t err;
    (void)state;
    memset(&r, 0, sizeof r);
    r.t = 61.0;
    strcpy(r.sensor, "JP-FPS5");
    strcpy(r.nation, "JP");
    r.kind = MWX_SENSOR_RADAR;
    r.sensor_ecef_m[0] = -3.9e6;
    r.range_m = 812e3;
    r.az_deg = 281.5;
    r.el_deg = 9.25;
    r.sigma_range_m = 30;
    r.sigma_az_deg = r.sigma_el_deg = 0.05;
    ir = r;
    ir.kind = MWX_SENSOR_IR;
    ir.los_ecef[0] = 0.6;
    ir.los_ecef[1] = -0.8;
    ir.sigma_los_urad = 20;
    assert_int_equal(mwx_rec_meas_check(&r, &err), MWX_OK);
    assert_int_equal(mwx_rec_meas_check(&ir, &err), MWX_OK);
    m = r, m.range_m = NAN;
    assert_int_equal(mwx_rec_meas_check(&m, &err), MWX_EINVAL);
    assert_non_null(strstr(err.msg, "range_m"));
    m = r, m.range_m = -1;
    assert_int_equal(mwx_rec_meas_check(&m, &err), MWX_EINVAL);
    m = r, m.el_deg = 91;
    assert_int_equal(mwx_rec_meas_check(&m, &err), MWX_EINVAL);
    m = r, m.sigma_az_deg = 0;
    assert_int_equal(mwx_rec_meas_check(&m, &err), MWX_EINVAL);
    m = r, m.sigma_range_m = INFINITY;
    assert_int_equal(mwx_rec_meas_check(&m, &err), MWX_EINVAL);
    m = r, m.sigma_range_m = 1e200; /* finite, but R would overflow */
    assert_int_equal(mwx_rec_meas_check(&m, &err), MWX_EINVAL);
    m = r, m.sensor_ecef_m[0] = 1e12;
    assert_int_equal(mwx_rec_meas_check(&m, &err), MWX_EINVAL);
    m = r, m.t = INFINITY;
    assert_int_equal(mwx_rec_meas_check(&m, &err), MWX_EINVAL);
    m = r, m.sensor_ecef_m[2] = NAN;
    assert_int_equal(mwx_rec_meas_check(&m, &err), MWX_EINVAL);
    m = r, m.sensor[0] = 0;
    assert_int_equal(mwx_rec_meas_check(&m, &err), MWX_EINVAL);
    m = r, m.kind = (mwx_sensor_kind_t)7;
    assert_int_equal(mwx_rec_meas_check(&m, &err), MWX_EINVAL);
    m = ir, m.los_ecef[2] = 0.01; /* not a unit vector */
    assert_int_equal(mwx_rec_meas_check(&m, &err), MWX_EINVAL);
    assert_non_null(strstr(err.msg, "los_ecef"));
    m = ir, m.sigma_los_urad = NAN;
    assert_int_equal(mwx_rec_meas_check(&m, &err), MWX_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_every_type),
        cmocka_unit_test(test_encode_capacity_and_refusals),
        cmocka_unit_test(test_encode_size_bound),
        cmocka_unit_test(test_decode_validation),
        cmocka_unit_test(test_decode_large_scenario),
        cmocka_unit_test(test_json_every_type),
        cmocka_unit_test(test_json_numbers),
        cmocka_unit_test(test_meas_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
