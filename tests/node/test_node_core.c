/* The node core's receive path against hostile partners: a signed, trusted envelope
 * whose payload is garbage, or whose track names another node than its signer, is
 * dropped and counted; a forged one is dropped by the receiver; none stops the node, and
 * a good report is fused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "mwx/node.h"

typedef struct sink {
    int tracks, shares, verified;
} sink_t;

static void on_record(void *user, const mwx_record_t *rec)
{
    sink_t *s = user;
    if (rec->type == MWX_REC_TRACK)
        s->tracks++;
    if (rec->type == MWX_REC_SHARE) {
        s->shares++;
        s->verified += rec->u.share.verified;
    }
}

static void test_hostile_payloads(void **state)
{
    mwx_policy_t pol;
    mwx_keypair_t jp, kr, forger;
    mwx_node_cfg_t nc;
    mwx_node_t *node;
    mwx_node_stats_t st;
    mwx_sender_t snd;
    sink_t sink = {0};
    uint8_t buf[MWX_ENVELOPE_MAX];
    size_t len;
    mwx_err_t err = {0};
    const double epoch = 1795316400.0;

    memset(&pol, 0, sizeof pol);
    pol.n = 2;
    strcpy(pol.nation[0], "JP");
    strcpy(pol.nation[1], "KR");
    pol.to[0] = 1u << 1; /* JP -> KR */
    pol.to[1] = 1u << 0; /* KR -> JP */
    assert_int_equal(mwx_key_generate("JP", &jp, NULL), 0);
    assert_int_equal(mwx_key_generate("KR", &kr, NULL), 0);
    assert_int_equal(mwx_key_generate("KR", &forger, NULL), 0);

    memset(&nc, 0, sizeof nc);
    strcpy(nc.nation, "JP");
    nc.epoch_unix = epoch;
    nc.status = MWX_STATUS_EXERCISE;
    nc.source = MWX_WARN_SOURCE_SIMULATED;
    nc.physics.earth = mwx_earth_wgs84();
    nc.physics.rotation = nc.physics.j2 = nc.physics.drag = 1;
    nc.policy = &pol;
    nc.key = &jp;
    strcpy(nc.trusted[0].nation, "KR");
    memcpy(nc.trusted[0].pk, kr.pk, sizeof kr.pk);
    nc.n_trusted = 1;
    nc.sim_clock = 1;
    nc.on_record = on_record;
    nc.user = &sink;
    assert_int_equal(mwx_node_create(&nc, &node, &err), 0);
    assert_int_equal(mwx_sender_init(&snd, &kr, &pol, 1, NULL), 0);

    /* 1. garbage in a correctly signed TRACK envelope */
    uint8_t junk[40];
    memset(junk, 0xff, sizeof junk);
    assert_int_equal(mwx_sender_seal(&snd, MWX_PAYLOAD_TRACK, junk, sizeof junk, epoch + 10, buf,
                                     sizeof buf, &len, NULL, NULL),
                     0);
    assert_int_equal(mwx_node_receive_envelope(node, buf, len, epoch + 10, &err), MWX_OK);

    /* 2. a well-formed track that claims to be another nation's */
    mwx_rec_track_t trk;
    memset(&trk, 0, sizeof trk);
    trk.t = 10;
    strcpy(trk.node, "US");
    strcpy(trk.track_id, "US-1");
    trk.ecef_m[0] = -3.2e6;
    trk.ecef_m[1] = 3.6e6;
    trk.ecef_m[2] = 4.3e6;
    trk.cov_pos_m2[0] = trk.cov_pos_m2[3] = trk.cov_pos_m2[5] = 1e4;
    trk.cov_vel_m2s2[0] = trk.cov_vel_m2s2[3] = trk.cov_vel_m2s2[5] = 100;
    trk.phase = MWX_PHASE_BALLISTIC;
    trk.confirmed = 1;
    assert_int_equal(
        mwx_sender_seal_track(&snd, &trk, epoch + 10, buf, sizeof buf, &len, NULL, NULL), 0);
    assert_int_equal(mwx_node_receive_envelope(node, buf, len, epoch + 10, &err), MWX_OK);

    /* 3. forged: signed with a key JP does not trust for KR */
    mwx_sender_t fs;
    strcpy(trk.node, "KR");
    strcpy(trk.track_id, "KR-1");
    assert_int_equal(mwx_sender_init(&fs, &forger, &pol, 100, NULL), 0);
    assert_int_equal(
        mwx_sender_seal_track(&fs, &trk, epoch + 10, buf, sizeof buf, &len, NULL, NULL), 0);
    assert_int_equal(mwx_node_receive_envelope(node, buf, len, epoch + 10, &err), MWX_OK);

    mwx_node_get_stats(node, &st);
    assert_int_equal(st.bad_payloads, 2);
    assert_int_equal(st.share.dropped[MWX_DROP_BAD_SIGNATURE], 1);
    assert_int_equal(sink.tracks, 0); /* nothing fused */
    assert_int_equal(sink.verified, 0);

    /* 4. the genuine report is fused */
    assert_int_equal(
        mwx_sender_seal_track(&snd, &trk, epoch + 11, buf, sizeof buf, &len, NULL, NULL), 0);
    assert_int_equal(mwx_node_receive_envelope(node, buf, len, epoch + 11, &err), MWX_OK);
    assert_int_equal(sink.verified, 1);
    assert_int_equal(sink.tracks, 1); /* the fused track JP-F1 */
    assert_int_equal(mwx_fusion_count(mwx_node_fusion(node)), 1);
    mwx_node_destroy(node);
}

/* Issue #13: a trusted partner's extreme values are dropped and counted (never fused, never
 * fatal), and its flood of track ids takes at most its share of the fusion table, so
 * another partner's new track still gets in. Without the checks the far-future report
 * was fused (and would move the warnings' clock), and all 100 ids took fused tracks. */
static void test_partner_extremes_and_flood(void **state)
{
    mwx_policy_t pol;
    mwx_keypair_t jp, kr, us;
    mwx_node_cfg_t nc;
    mwx_node_t *node;
    mwx_node_stats_t st;
    mwx_sender_t skr, sus;
    sink_t sink = {0};
    uint8_t buf[MWX_ENVELOPE_MAX];
    size_t len;
    mwx_err_t err = {0};
    const double epoch = 1795316400.0;
    mwx_earth_t earth = mwx_earth_wgs84();

    memset(&pol, 0, sizeof pol);
    pol.n = 3;
    strcpy(pol.nation[0], "JP");
    strcpy(pol.nation[1], "KR");
    strcpy(pol.nation[2], "US");
    pol.to[1] = pol.to[2] = 1u << 0; /* KR, US -> JP */
    assert_int_equal(mwx_key_generate("JP", &jp, NULL), 0);
    assert_int_equal(mwx_key_generate("KR", &kr, NULL), 0);
    assert_int_equal(mwx_key_generate("US", &us, NULL), 0);
    memset(&nc, 0, sizeof nc);
    strcpy(nc.nation, "JP");
    nc.epoch_unix = epoch;
    nc.status = MWX_STATUS_EXERCISE;
    nc.source = MWX_WARN_SOURCE_SIMULATED;
    nc.physics.earth = earth;
    nc.policy = &pol;
    nc.key = &jp;
    strcpy(nc.trusted[0].nation, "KR");
    memcpy(nc.trusted[0].pk, kr.pk, sizeof kr.pk);
    strcpy(nc.trusted[1].nation, "US");
    memcpy(nc.trusted[1].pk, us.pk, sizeof us.pk);
    nc.n_trusted = 2;
    nc.sim_clock = 1;
    nc.on_record = on_record;
    nc.user = &sink;
    assert_int_equal(mwx_node_create(&nc, &node, &err), 0);
    assert_int_equal(mwx_sender_init(&skr, &kr, &pol, 1, NULL), 0);
    assert_int_equal(mwx_sender_init(&sus, &us, &pol, 1, NULL), 0);

    mwx_rec_track_t trk;
    memset(&trk, 0, sizeof trk);
    strcpy(trk.node, "KR");
    trk.cov_pos_m2[0] = trk.cov_pos_m2[3] = trk.cov_pos_m2[5] = 1e4;
    trk.cov_vel_m2s2[0] = trk.cov_vel_m2s2[3] = trk.cov_vel_m2s2[5] = 100;
    trk.phase = MWX_PHASE_BALLISTIC;
    trk.confirmed = 1;
    mwx_geo_t g = {40.0, 135.0, 100e3};
    mwx_geo_to_ecef(&earth, &g, trk.ecef_m);
    trk.vel_mps[2] = 2000;

    /* extreme values, received at scenario t = 10 */
    const double bad[3][3] = {{1e6, 0, 0}, {10, 1e12, 0}, {10, 0, 1e6}}; /* t, |r|, |v| */
    for (int i = 0; i < 3; i++) {
        mwx_rec_track_t x = trk;
        snprintf(x.track_id, sizeof x.track_id, "KR-X%d", i);
        x.t = bad[i][0];
        if (bad[i][1] > 0)
            x.ecef_m[0] = bad[i][1];
        x.vel_mps[0] = bad[i][2];
        assert_int_equal(
            mwx_sender_seal_track(&skr, &x, epoch + 10, buf, sizeof buf, &len, NULL, NULL), 0);
        assert_int_equal(mwx_node_receive_envelope(node, buf, len, epoch + 10, &err), MWX_OK);
    }
    mwx_node_get_stats(node, &st);
    assert_int_equal(st.implausible, 3);
    assert_int_equal(mwx_fusion_count(mwx_node_fusion(node)), 0);

    /* a flood of 100 track ids, 1 degree apart (far outside any gate) */
    for (int i = 0; i < 100; i++) {
        mwx_rec_track_t x = trk;
        mwx_geo_t gi = {-60.0 + i, 140.0, 100e3};
        mwx_geo_to_ecef(&earth, &gi, x.ecef_m);
        snprintf(x.track_id, sizeof x.track_id, "KR-%d", i);
        x.t = 10;
        assert_int_equal(
            mwx_sender_seal_track(&skr, &x, epoch + 10, buf, sizeof buf, &len, NULL, NULL), 0);
        assert_int_equal(mwx_node_receive_envelope(node, buf, len, epoch + 10, &err), MWX_OK);
    }
    mwx_node_get_stats(node, &st);
    assert_int_equal(mwx_fusion_count(mwx_node_fusion(node)), MWX_WARN_MAX_TRACKS / 2);
    assert_int_equal(st.fusion_dropped, 100 - MWX_WARN_MAX_TRACKS / 2);

    /* the other partner's new track still gets a fused track */
    mwx_rec_track_t u = trk;
    strcpy(u.node, "US");
    strcpy(u.track_id, "US-1");
    u.t = 11;
    assert_int_equal(mwx_sender_seal_track(&sus, &u, epoch + 11, buf, sizeof buf, &len, NULL, NULL),
                     0);
    assert_int_equal(mwx_node_receive_envelope(node, buf, len, epoch + 11, &err), MWX_OK);
    assert_int_equal(mwx_fusion_count(mwx_node_fusion(node)), MWX_WARN_MAX_TRACKS / 2 + 1);
    mwx_node_get_stats(node, &st);
    assert_int_equal(st.fusion_dropped, 100 - MWX_WARN_MAX_TRACKS / 2);
    mwx_node_destroy(node);
}

/* Issue #13 (gap-request abuse): every verified gap request newer than the last was
 * answered, a reply of up to 64 KB for each ~200-byte request a partner signs. Now a
 * requester gets 8 answers at once and then 4 a second; the rest get no reply and are
 * counted. A forged request does not use up the real requester's answers. */
static void test_gap_request_rate(void **state)
{
    mwx_policy_t pol;
    mwx_keypair_t jp, us, forger;
    mwx_node_cfg_t nc;
    mwx_node_t *node;
    mwx_node_stats_t st;
    mwx_inproc_hub_t *hub;
    mwx_bus_t *bjp, *bus;
    uint8_t buf[MWX_ENVELOPE_MAX];
    char subject[MWX_SUBJECT_LEN];
    uint8_t reply[MWX_GAP_REPLY_MAX];
    size_t len, rlen;
    uint64_t replies = 0;
    mwx_err_t err = {0};
    const double epoch = 1795316400.0;
    (void)state;

    memset(&pol, 0, sizeof pol);
    pol.n = 2;
    strcpy(pol.nation[0], "JP");
    strcpy(pol.nation[1], "US");
    pol.to[0] = 1u << 1;
    pol.to[1] = 1u << 0;
    assert_int_equal(mwx_key_generate("JP", &jp, NULL), 0);
    assert_int_equal(mwx_key_generate("US", &us, NULL), 0);
    assert_int_equal(mwx_key_generate("US", &forger, NULL), 0);
    assert_int_equal(mwx_inproc_hub_create(&pol, &hub, &err), 0);
    assert_int_equal(mwx_bus_inproc_open(hub, "JP", &bjp, &err), 0);
    assert_int_equal(mwx_bus_inproc_open(hub, "US", &bus, &err), 0);
    memset(&nc, 0, sizeof nc);
    strcpy(nc.nation, "JP");
    nc.epoch_unix = epoch;
    nc.status = MWX_STATUS_EXERCISE;
    nc.source = MWX_WARN_SOURCE_SIMULATED;
    nc.physics.earth = mwx_earth_wgs84();
    nc.policy = &pol;
    nc.key = &jp;
    nc.bus = bjp;
    strcpy(nc.trusted[0].nation, "US");
    memcpy(nc.trusted[0].pk, us.pk, sizeof us.pk);
    nc.n_trusted = 1;
    nc.sim_clock = 1;
    assert_int_equal(mwx_node_create(&nc, &node, &err), 0);
    assert_int_equal(mwx_subject_gap("JP", "US", subject), 0);

    /* forged requests first: dropped by the receiver, they cost US nothing */
    for (int i = 0; i < 20; i++) {
        assert_int_equal(mwx_gap_request_seal(&forger, "JP", 1, 2, epoch + 0.001 * i, buf,
                                              sizeof buf, &len, NULL),
                         0);
        assert_int_equal(
            mwx_bus_request(bus, subject, buf, len, 0.1, reply, sizeof reply, &rlen, &err),
            MWX_EAGAIN);
    }
    /* 50 valid requests, each newer than the last, at once */
    for (int i = 0; i < 50; i++) {
        assert_int_equal(mwx_gap_request_seal(&us, "JP", 1, 2, epoch + 0.1 + 0.001 * i, buf,
                                              sizeof buf, &len, NULL),
                         0);
        int rc = mwx_bus_request(bus, subject, buf, len, 0.1, reply, sizeof reply, &rlen, &err);
        assert_true(rc == MWX_OK || rc == MWX_EAGAIN); /* EAGAIN: no reply */
        replies += rc == MWX_OK;
    }
    mwx_node_get_stats(node, &st);
    assert_int_equal(replies, st.gap_requests_answered);
    /* 8 at once, plus what the bucket refills meanwhile (4 a second: well under 1 here) */
    assert_true(st.gap_requests_answered >= 8 && st.gap_requests_answered <= 10);
    assert_int_equal(st.gap_requests_answered + st.gap_requests_refused, 50);
    mwx_node_destroy(node);
    mwx_bus_close(bjp);
    mwx_bus_close(bus);
    mwx_inproc_hub_destroy(hub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_payloads),
        cmocka_unit_test(test_partner_extremes_and_flood),
        cmocka_unit_test(test_gap_request_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
