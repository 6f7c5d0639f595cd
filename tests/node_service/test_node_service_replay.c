/* A live node's restart. The recording scan (mwxi_svc_scan_recording) reads no further
 * back than the horizon once it has seen an own and a fused id, and a newer file's record
 * of a fused id is never replaced by an older one's. The replay (mwxi_svc_inbox_count,
 * mwxi_svc_inbox_live): of an inbox
 * older than the horizon, each partner's envelopes below its replay window are passed
 * over unverified, but for the first session message of each of its sessions. The
 * node's receiver must end where one fed the whole inbox does: the same highest seq and
 * missing range, the same answers to old, in-window and lost envelopes, the partner's
 * sessions (it rotated once) for its next MAC'd envelopes, and nothing given up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "node/service_state.h"
#include "share/share_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define T0 1795000000.0
enum { N = 3 * MWX_REPLAY_WINDOW + 500 };

typedef struct inbox {
    uint8_t *b;
    size_t used;
    size_t off[N], len[N];
    double t[N];
} inbox_t;

/* US's node core on a bus of its own (a node without one holds no key: no sessions) */
static mwx_node_t *us_node(share_fx_world_t *w, mwx_inproc_hub_t **hub, mwx_bus_t **bus)
{
    mwx_node_cfg_t nc;
    mwx_node_t *node = NULL;
    assert_int_equal(mwx_inproc_hub_create(&w->pol, hub, NULL), 0);
    assert_int_equal(mwx_bus_inproc_open(*hub, "US", bus, NULL), 0);
    memset(&nc, 0, sizeof nc);
    nc.bus = *bus;
    strcpy(nc.nation, "US");
    nc.epoch_unix = T0;
    nc.status = MWX_STATUS_EXERCISE;
    nc.source = MWX_WARN_SOURCE_SIMULATED;
    nc.physics.earth = mwx_earth_wgs84();
    nc.policy = &w->pol;
    nc.key = &w->us;
    for (int i = 0; i < 2; i++) {
        const mwx_keypair_t *k = i ? &w->kr : &w->jp;
        strcpy(nc.trusted[i].nation, k->nation);
        memcpy(nc.trusted[i].pk, k->pk, sizeof k->pk);
    }
    nc.n_trusted = 2;
    nc.sim_clock = 1;
    nc.sessions = 1;
    assert_int_equal(mwx_node_create(&nc, &node, NULL), 0);
    return node;
}

/* JP's next envelope: its session message when one is due, else a report */
static size_t jp_next(mwx_sender_t *s, double t, uint8_t *b)
{
    size_t n;
    uint8_t p[32];
    if (mwx_sender_session_due(s, t)) {
        assert_int_equal(mwx_sender_seal_session(s, t, b, MWX_ENVELOPE_MAX, &n, NULL, NULL), 0);
    } else {
        int k = snprintf((char *)p, sizeof p, "report %.3f", t);
        assert_int_equal(mwx_sender_seal(s, MWX_PAYLOAD_TRACK, p, (size_t)k, t, b, MWX_ENVELOPE_MAX,
                                         &n, NULL, NULL),
                         0);
    }
    return n;
}

static int verdict(mwx_node_t *node, const uint8_t *b, size_t n, double t, mwx_drop_t *why)
{
    mwx_share_counters_t c0, c1;
    mwx_receiver_counters(mwx_node_receiver(node), &c0);
    assert_int_equal(mwx_node_receive_envelope(node, b, n, t, NULL), MWX_OK);
    mwx_receiver_counters(mwx_node_receiver(node), &c1);
    *why = MWX_DROP_NONE;
    for (int d = 0; d < MWX_DROP_N; d++)
        if (c1.dropped[d] != c0.dropped[d])
            *why = (mwx_drop_t)d;
    return c1.accepted != c0.accepted;
}

static void same_verdict(mwx_node_t *full, mwx_node_t *tail, const uint8_t *b, size_t n, double t)
{
    mwx_drop_t a, c;
    int ra = verdict(full, b, n, t, &a), rc = verdict(tail, b, n, t, &c);
    if (ra != rc || a != c)
        fail_msg("at %.3f: the whole inbox gave %d (%s), the replay %d (%s)", t, ra,
                 mwx_drop_name(a), rc, mwx_drop_name(c));
}

static void test_replay_below_windows(void **state)
{
    share_fx_world_t w;
    mwx_sender_t s;
    inbox_t *in = calloc(1, sizeof *in);
    const int lost_old = 700, lost_new = N - 3000, rotate = N / 3;
    (void)state;
    assert_non_null(in);
    assert_int_equal(share_fx_world_make(&w, NULL), 0);
    in->b = malloc((size_t)N * 400);
    assert_non_null(in->b);
    assert_int_equal(mwx_sender_init(&s, &w.jp, &w.pol, 1000, NULL), 0);
    assert_int_equal(mwx_sender_session_start(&s, w.keys, 3, T0, NULL), 0);
    for (int i = 0; i < N; i++) {
        double t = T0 + i * 0.001;
        if (i == rotate)
            assert_int_equal(mwx_sender_session_start(&s, w.keys, 3, t, NULL), 0);
        in->len[i] = jp_next(&s, t, in->b + in->used);
        in->off[i] = in->used, in->t[i] = t;
        in->used += in->len[i];
    }
    mwx_inproc_hub_t *h1, *h2;
    mwx_bus_t *b1, *b2;
    mwx_node_t *full = us_node(&w, &h1, &b1), *tail = us_node(&w, &h2, &b2);
    mwx_node_service_cfg_t cfg;
    svc_t *sv = calloc(1, sizeof *sv);
    assert_non_null(sv);
    memset(&cfg, 0, sizeof cfg);
    strcpy(cfg.nation, "US");
    sv->cfg = &cfg;
    sv->log = stderr;
    sv->node = tail;
    sv->replaying = 1;
    sv->replay_from = INFINITY; /* all of it is history */
    /* the inbox: all but two (never received), two pairs out of order */
    int order[N], n = 0;
    for (int k = 0; k < N; k++) {
        int i = k == N - 50 ? N - 40 : k == N - 40 ? N - 50 : k == 400 ? 410 : k == 410 ? 400 : k;
        if (i != lost_old && i != lost_new)
            order[n++] = i;
    }
    for (int k = 0; k < n; k++) {
        int i = order[k];
        assert_int_equal(mwxi_svc_inbox_count(sv, in->t[i], 0, in->b + in->off[i], in->len[i]), 0);
    }
    mwx_node_set_history(full, 1);
    for (int k = 0; k < n; k++) {
        int i = order[k];
        mwx_drop_t why;
        if (verdict(full, in->b + in->off[i], in->len[i], in->t[i], &why) != 1)
            fail_msg("inbox entry %d dropped: %s", i, mwx_drop_name(why));
        assert_int_equal(mwxi_svc_inbox_live(sv, in->t[i], 0, in->b + in->off[i], in->len[i]), 0);
    }
    mwx_node_set_history(full, 0);
    mwx_node_set_history(tail, 0);
    /* what was passed over: all but the window's last 8192 seqs (one of them lost); the
     * two sessions' first messages among them were learnt */
    assert_int_equal(sv->n_in_hist, (size_t)n);
    assert_int_equal(sv->n_in_skip, (size_t)(n - (MWX_REPLAY_WINDOW - 1)));
    assert_int_equal(sv->n_in_max, 1);
    assert_true(sv->in_max[0].learnt > 0);
    mwx_receiver_t *rf = mwx_node_receiver(full), *rt = mwx_node_receiver(tail);
    assert_int_equal(mwx_receiver_highest(rf, "JP"), mwx_receiver_highest(rt, "JP"));
    assert_int_equal(mwx_receiver_given_up(rt, "JP"), 0);
    uint64_t f1, t1, f2, t2;
    assert_int_equal(mwx_receiver_missing(rf, "JP", &f1, &t1), 0);
    assert_int_equal(mwx_receiver_missing(rt, "JP", &f2, &t2), 0);
    assert_int_equal(f1, f2);
    assert_int_equal(t1, t2);
    double t = T0 + N * 0.001;
    const int probe[] = {10, lost_old, N - MWX_REPLAY_WINDOW - 5, N - 60, N - 1, lost_new};
    for (size_t k = 0; k < sizeof probe / sizeof probe[0]; k++)
        same_verdict(full, tail, in->b + in->off[probe[k]], in->len[probe[k]], t);
    assert_int_equal(mwx_receiver_missing(rt, "JP", &f2, &t2), MWX_ENOTFOUND);
    /* JP goes on in the session it announced far below the window */
    uint8_t b[MWX_ENVELOPE_MAX];
    for (int i = 0; i < 200; i++) {
        size_t len = jp_next(&s, t + i * 0.001, b);
        same_verdict(full, tail, b, len, t + i * 0.001);
    }
    mwx_share_counters_t c;
    mwx_receiver_counters(rt, &c);
    assert_int_equal(c.dropped[MWX_DROP_NO_SESSION], 0);
    mwx_node_destroy(full);
    mwx_node_destroy(tail);
    mwx_bus_close(b1);
    mwx_bus_close(b2);
    mwx_inproc_hub_destroy(h1);
    mwx_inproc_hub_destroy(h2);
    free(in->b);
    free(in);
    free(sv);
}

/* One file of a recording set: a scenario record, then tracks (id, t, confirmed). */
typedef struct trk_spec {
    const char *id;
    double t;
    int confirmed;
} trk_spec_t;

static void write_seg(const char *path, const trk_spec_t *t, int n)
{
    mwx_recwriter_t *w;
    mwx_record_t r;
    unlink(path);
    assert_int_equal(mwx_recwriter_open(path, 0, &w, NULL), 0);
    memset(&r, 0, sizeof r);
    r.type = MWX_REC_SCENARIO;
    strcpy(r.u.scenario.name, "scan");
    r.u.scenario.json = "{}";
    assert_int_equal(mwx_recwriter_append(w, &r, NULL), 0);
    for (int i = 0; i < n; i++) {
        memset(&r, 0, sizeof r);
        r.type = MWX_REC_TRACK;
        mwx_strlcpy(r.u.track.track_id, t[i].id, sizeof r.u.track.track_id);
        strcpy(r.u.track.node, "JP");
        strcpy(r.u.track.sources, "JP");
        r.u.track.t = t[i].t;
        r.u.track.confirmed = t[i].confirmed;
        r.u.track.phase = MWX_PHASE_BALLISTIC;
        assert_int_equal(mwx_recwriter_append(w, &r, NULL), 0);
    }
    assert_int_equal(mwx_recwriter_close(w, NULL), 0);
}

static const mwx_rec_track_t *fused_last(const svc_t *s, const char *id)
{
    for (size_t i = 0; i < s->n_fused_last; i++)
        if (strcmp(s->fused_last[i].track_id, id) == 0)
            return &s->fused_last[i];
    return NULL;
}

static void scan(const char *base, double horizon, svc_t *s, mwx_node_service_cfg_t *cfg)
{
    free(s->fused_last), free(s->fused_gen), free(s->fused_slot), free(s->seen);
    memset(s, 0, sizeof *s);
    memset(cfg, 0, sizeof *cfg);
    strcpy(cfg->nation, "JP");
    s->cfg = cfg;
    assert_int_equal(mwxi_svc_scan_recording(s, base, horizon, NULL), 0);
}

static void test_scan_tail(void **state)
{
    char base[600], seg[640];
    const char *tmp = getenv("MWX_TMPDIR");
    svc_t s;
    mwx_node_service_cfg_t cfg;
    (void)state;
    memset(&s, 0, sizeof s);
    snprintf(base, sizeof base, "%s/scan-tail", tmp ? tmp : "/tmp");
    mkdir(base, 0755);
    snprintf(base, sizeof base, "%s/scan-tail/node-JP.mwxr", tmp ? tmp : "/tmp");
    /* .1: F5 left in flight long ago; .2: F8 in flight; live: F8's later state, F11 */
    const trk_spec_t s1[] = {
        {"JP-3", 100, 1}, {"JP-F4", 100, 1}, {"JP-F4", 200, 0}, {"JP-F5", 300, 1}};
    const trk_spec_t s2[] = {{"JP-9", 10000, 1}, {"JP-F8", 10000, 1}};
    const trk_spec_t s3[] = {{"JP-10", 20000, 1}, {"JP-F8", 20000, 0}, {"JP-F11", 20100, 1}};
    snprintf(seg, sizeof seg, "%s.1", base);
    write_seg(seg, s1, 4);
    snprintf(seg, sizeof seg, "%s.2", base);
    write_seg(seg, s2, 2);
    write_seg(base, s3, 3);

    scan(base, 7200, &s, &cfg); /* the live file, then .2 (it starts before 12,900 s) */
    assert_true(s.rec_t_last == 20100);
    assert_int_equal(s.own_id_max, 10);
    assert_int_equal(s.fused_num_max, 11);
    assert_int_equal(s.n_fused_last, 2); /* F8, F11: .1 was not read */
    assert_non_null(fused_last(&s, "JP-F8"));
    assert_true(fused_last(&s, "JP-F8")->t == 20000); /* the newer file's, not .2's */
    assert_int_equal(fused_last(&s, "JP-F8")->confirmed, 0);
    assert_null(fused_last(&s, "JP-F5"));

    scan(base, 0, &s, &cfg); /* the whole set */
    assert_int_equal(s.n_fused_last, 4);
    assert_true(fused_last(&s, "JP-F8")->t == 20000);
    assert_int_equal(fused_last(&s, "JP-F5")->confirmed, 1);

    /* a tail without any fused id: read back until one is seen */
    const trk_spec_t q[] = {{"JP-10", 20000, 1}, {"JP-12", 20100, 1}};
    write_seg(base, q, 2);
    snprintf(seg, sizeof seg, "%s.2", base);
    const trk_spec_t q2[] = {{"JP-9", 15000, 1}};
    write_seg(seg, q2, 1);
    scan(base, 100, &s, &cfg);
    assert_int_equal(s.own_id_max, 12);
    assert_int_equal(s.fused_num_max, 5); /* from .1, the only file with fused ids */
    assert_true(s.rec_t_last == 20100);
    free(s.fused_last), free(s.fused_gen), free(s.fused_slot), free(s.seen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_below_windows),
        cmocka_unit_test(test_scan_tail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
