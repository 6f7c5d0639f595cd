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
                                     sizeof buf, &len, NULL, NULL), 0);
    assert_int_equal(mwx_node_receive_envelope(node, buf, len, epoch + 10, &err), MWX_OK);

    /* 2. a well-formed track that claims to be another nation's */
    mwx_rec_track_t trk;
    memset(&trk, 0, sizeof trk);
    trk.t = 10;
    strcpy(trk.node, "US");
    strcpy(trk.track_id, "US-1");
    trk.ecef_m[0] = -3.2e6; trk.ecef_m[1] = 3.6e6; trk.ecef_m[2] = 4.3e6;
    trk.cov_pos_m2[0] = trk.cov_pos_m2[3] = trk.cov_pos_m2[5] = 1e4;
    trk.cov_vel_m2s2[0] = trk.cov_vel_m2s2[3] = trk.cov_vel_m2s2[5] = 100;
    trk.phase = MWX_PHASE_BALLISTIC;
    trk.confirmed = 1;
    assert_int_equal(mwx_sender_seal_track(&snd, &trk, epoch + 10, buf, sizeof buf, &len, NULL,
                                           NULL), 0);
    assert_int_equal(mwx_node_receive_envelope(node, buf, len, epoch + 10, &err), MWX_OK);

    /* 3. forged: signed with a key JP does not trust for KR */
    mwx_sender_t fs;
    strcpy(trk.node, "KR");
    strcpy(trk.track_id, "KR-1");
    assert_int_equal(mwx_sender_init(&fs, &forger, &pol, 100, NULL), 0);
    assert_int_equal(mwx_sender_seal_track(&fs, &trk, epoch + 10, buf, sizeof buf, &len, NULL,
                                           NULL), 0);
    assert_int_equal(mwx_node_receive_envelope(node, buf, len, epoch + 10, &err), MWX_OK);

    mwx_node_get_stats(node, &st);
    assert_int_equal(st.bad_payloads, 2);
    assert_int_equal(st.share.dropped[MWX_DROP_BAD_SIGNATURE], 1);
    assert_int_equal(sink.tracks, 0);   /* nothing fused */
    assert_int_equal(sink.verified, 0);

    /* 4. the genuine report is fused */
    assert_int_equal(mwx_sender_seal_track(&snd, &trk, epoch + 11, buf, sizeof buf, &len, NULL,
                                           NULL), 0);
    assert_int_equal(mwx_node_receive_envelope(node, buf, len, epoch + 11, &err), MWX_OK);
    assert_int_equal(sink.verified, 1);
    assert_int_equal(sink.tracks, 1);   /* the fused track JP-F1 */
    assert_int_equal(mwx_fusion_count(mwx_node_fusion(node)), 1);
    mwx_node_destroy(node);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_payloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
