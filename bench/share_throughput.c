/* Sharing throughput: sign-only and verify-only costs of a signed track report, and the
 * sustained rate of signed track reports one node publishes and a partner verifies over
 * NATS on loopback (private nats-server started here), all in the same run.
 *
 * Method: sign = mwx_sender_seal_track (protobuf encode + Ed25519 sign + envelope) in a
 * loop (wall and thread CPU time); verify = mwx_receiver_accept (decode + Ed25519 verify + checks) over distinct
 * envelopes; sustained = one publisher thread sealing and publishing unpaced for 3 s, a
 * subscriber verifying on nats.c's thread ("direct"), at most 2,000 in flight; the figure
 * is verified deliveries per second. Raw nats.c publish of the same bytes is the baseline.
 * Per node: the same stream into a receiving mwx_node_t ("JP", polled by a thread of its
 * own as `mwx node` does, no public warnings: their cost depends on the scenario, see
 * share_latency), which verifies, decodes and fuses: fused updates per second over 3 s.
 *
 * `--mac`: the two sustained figures with sessions (issue 14): track reports carry a
 * per-recipient MAC instead of a signature, the sender publishes its signed session
 * message first and a checkpoint after every 64 (or each second), the receiver holds its
 * own key; "verified" then counts track reports whose MAC checked. The sign/verify-only
 * lines stay the signed path's (share_latency prints the MAC'd path's CPU costs). */
#include "mwx/node.h"
#include "mwx/share.h"
#include "bench_share.h"
#include "node/service_int.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOPS   20000
#define STRIDE 512 /* a signed track report is ~360 bytes */

static nats_fixture_t server;
static char url[64];

static uint8_t (*envs)[STRIDE];
static size_t lens[NOPS];
static atomic_long verified, delivered_raw;
static int use_mac;                /* --mac: sessions on the sustained paths */
static int durable;                /* --durable: outbox group commit and inbox, as `mwx node` */
static mwx_trusted_key_t rcpt_key; /* the recipient's identity, for the session key */

/* --mac: a session message when one is due (first, and every 64 or each second) */
static void session_due(mwx_sender_t *tx, mwx_bus_t *pub)
{
    uint8_t buf[MWX_ENVELOPE_MAX];
    size_t len;
    mwx_envelope_t env;
    mwx_err_t err;
    if (tx->session_on && mwx_sender_session_due(tx, mwx_time_wall()) &&
        mwx_sender_seal_session(tx, mwx_time_wall(), buf, sizeof buf, &len, &env, &err) == MWX_OK)
        (void)mwx_bus_publish_envelope(pub, &env, buf, len, &err);
}

static int session_on(mwx_sender_t *tx, const char *nation, const uint8_t *pk)
{
    mwx_err_t err;
    if (!use_mac)
        return 0;
    strcpy(rcpt_key.nation, nation);
    memcpy(rcpt_key.pk, pk, MWX_PUBKEY_BYTES);
    return mwx_sender_session_start(tx, &rcpt_key, 1, mwx_time_wall(), &err);
}

static void on_signed(void *user, const char *subject, const uint8_t *data, size_t len,
                      const char *reply)
{
    mwx_envelope_t env;
    if (mwx_receiver_accept(user, data, len, mwx_time_wall(), &env, NULL) == 0 &&
        env.type == MWX_PAYLOAD_TRACK)
        atomic_fetch_add(&verified, 1);
}

/* This thread's CPU time: on a shared machine, wall time per op mostly measures the
 * neighbours. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void on_raw(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *closure)
{
    natsMsg_Destroy(m);
    atomic_fetch_add(&delivered_raw, 1);
}

/* ------------------------------------------------------------ into a node */

typedef struct node_rx {
    mwx_node_t *node;
    atomic_long fused;
    _Atomic double t_last; /* mono time of the last fused update */
    atomic_int stop;
    double t0;   /* a report timed t left the sender at mono t0 + t - 100 */
    double *lat; /* report sealed -> fused update at the node (s), per update */
    long n_lat, cap_lat;
    mwx_bus_t *bus;   /* --durable: the node's bus, polled here (the node has none) */
    svc_log_t *inbox; /* --durable: accepted envelopes appended, as `mwx node` does */
    uint64_t inbox_errors;
} node_rx_t;

static void on_node_record(void *user, const mwx_record_t *rec)
{
    node_rx_t *r = user;
    if (rec->type == MWX_REC_TRACK) {
        double now = mwx_time_mono();
        atomic_fetch_add(&r->fused, 1);
        atomic_store(&r->t_last, now);
        if (r->n_lat < r->cap_lat)
            r->lat[r->n_lat++] = now - (r->t0 + rec->u.track.t - 100.0);
    }
}

/* --durable: what `mwx node` does with an envelope off the bus (mwxi_svc_deliver): into
 * the node, then, when the receiver accepted it, appended to the inbox (no sync) */
static void durable_in(void *user, const char *subject, const uint8_t *data, size_t len,
                       const char *reply)
{
    node_rx_t *r = user;
    mwx_share_counters_t before, after;
    mwx_err_t e;
    (void)subject;
    (void)reply;
    mwx_receiver_counters(mwx_node_receiver(r->node), &before);
    (void)mwx_node_receive_envelope(r->node, data, len, 0, &e);
    mwx_receiver_counters(mwx_node_receiver(r->node), &after);
    if (after.accepted != before.accepted &&
        mwxi_svc_log_append(r->inbox, mwx_time_wall(), 0, data, len, 0, &e) != MWX_OK)
        r->inbox_errors++;
}

/* --durable: the sender's outbox commit publishes here after its sync */
static int durable_pub(void *user, const char *subject, const uint8_t *data, size_t len)
{
    return mwx_bus_publish(user, subject, data, len, NULL);
}

static void *node_thread(void *arg)
{
    node_rx_t *r = arg;
    while (!atomic_load(&r->stop))
        (void)(r->bus ? mwx_bus_poll(r->bus, 0.05, NULL) : mwx_node_poll(r->node, 0.05, NULL));
    return NULL;
}

static int cmp_lat(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Track reports from KR into node JP for 3 s (at most 2000 in flight): fused updates/s. */
static double into_node(const mwx_keypair_t *kr, mwx_rec_track_t trk)
{
    mwx_err_t err;
    mwx_policy_t pol;
    mwx_keypair_t kjp;
    mwx_sender_t tx;
    mwx_bus_t *pub, *bus;
    mwx_nats_opts_t po = {0}, bo = {0};
    mwx_node_cfg_t c;
    node_rx_t r;
    pthread_t th;
    char dir[] = "/tmp/mwx-share-throughput-XXXXXX", cmd[1100];
    uint8_t buf[MWX_ENVELOPE_MAX];
    size_t len;
    mwx_envelope_t env;
    share_fx_policy_pair(&pol, "KR", "JP");
    po.url = bo.url = url;
    po.send_asap = bo.send_asap = 1;
    bo.queue_slots = 16384; /* as `mwx node` (src/node/service.c) */
    if (!mkdtemp(dir) || mwx_key_generate("JP", &kjp, &err) ||
        mwx_sender_init(&tx, kr, &pol, mwx_share_seq_base(mwx_time_wall()), &err) ||
        mwx_bus_nats_open(&po, &pub, &err) || mwx_bus_nats_open(&bo, &bus, &err) ||
        session_on(&tx, "JP", kjp.pk))
        return -1;
    memset(&c, 0, sizeof c);
    strcpy(c.nation, "JP");
    c.epoch_unix = mwx_time_wall();
    c.status = MWX_STATUS_EXERCISE;
    c.source = MWX_WARN_SOURCE_SIMULATED;
    c.physics.earth = mwx_earth_wgs84();
    c.physics.rotation = c.physics.j2 = c.physics.drag = 1;
    c.policy = &pol;
    c.key = &kjp;
    strcpy(c.trusted[0].nation, "KR");
    memcpy(c.trusted[0].pk, kr->pk, MWX_PUBKEY_BYTES);
    c.n_trusted = 1;
    c.bus = durable ? NULL : bus; /* --durable: the bench delivers, as `mwx node` does */
    c.out_dir = dir;
    c.picture_tag = "JP";
    c.stale_s = 30;
    /* JP takes no measurements, so its clock stays at 0 while the reports are timed 100 s
     * and on: the plausibility bound on reports timed ahead of it (issue 13) would drop
     * every one (and this loop waited for them for ever) */
    c.report_ahead_s = 1e9;
    c.on_record = on_node_record;
    c.user = &r;
    atomic_store(&r.fused, 0);
    atomic_store(&r.t_last, 0.0);
    atomic_store(&r.stop, 0);
    r.n_lat = 0;
    r.cap_lat = 1 << 21;
    r.lat = malloc(sizeof *r.lat * (size_t)r.cap_lat);
    r.bus = durable ? bus : NULL;
    r.inbox = NULL;
    r.inbox_errors = 0;
    svc_log_t *outbox = NULL;
    svc_commit_t *commit = NULL;
    if (!r.lat || mwx_node_create(&c, &r.node, &err))
        return -1;
    /* --durable: a node without a bus holds no key of its own; `mwx node`'s has one */
    if (durable && mwx_receiver_set_key(mwx_node_receiver(r.node), &kjp, &err))
        return -1;
    if (durable) {
        char path[1100];
        double start_unix;
        int existed;
        snprintf(path, sizeof path, "%s/node-KR.outbox", dir);
        if (mwxi_svc_log_open(path, mwx_time_wall(), NULL, NULL, &outbox, &start_unix, &existed,
                              &err) ||
            mwxi_svc_commit_create(outbox, 1, 0, durable_pub, pub, &commit, &err))
            return -1;
        snprintf(path, sizeof path, "%s/node-JP.inbox", dir);
        if (mwxi_svc_log_open(path, mwx_time_wall(), NULL, NULL, &r.inbox, &start_unix, &existed,
                              &err) ||
            mwx_bus_subscribe(bus, "mwx.*.*.JP", durable_in, &r, &err))
            return -1;
    }
    if (mwx_bus_flush(bus, 2, &err))
        return -1;
    pthread_create(&th, NULL, node_thread, &r);
    strcpy(trk.node, "KR");
    double t0 = mwx_time_mono();
    r.t0 = t0;
    long pubs = 0;
    while (mwx_time_mono() - t0 < 3.0) {
        double stuck = mwx_time_mono();
        while (pubs - atomic_load(&r.fused) > 2000 && mwx_time_mono() - stuck < 10.0)
            usleep(100);
        if (pubs - atomic_load(&r.fused) > 2000) { /* the node fuses nothing: say why */
            atomic_store(&r.t_last, mwx_time_mono());
            mwx_node_stats_t st;
            mwx_node_get_stats(r.node, &st);
            fprintf(stderr,
                    "share_throughput: the node stopped fusing (%llu accepted, %llu "
                    "implausible, %llu bad payloads)\n",
                    (unsigned long long)st.share.accepted, (unsigned long long)st.implausible,
                    (unsigned long long)st.bad_payloads);
            break;
        }
        trk.t = 100.0 + (mwx_time_mono() - t0); /* the track moves on in time */
        if (durable) {
            /* as `mwx node`: the session message, then the report, each appended to the
             * outbox and published after the group's fdatasync */
            char subject[MWX_SUBJECT_LEN];
            if (tx.session_on && mwx_sender_session_due(&tx, mwx_time_wall()) &&
                mwx_sender_seal_session(&tx, mwx_time_wall(), buf, sizeof buf, &len, &env, &err) ==
                    MWX_OK &&
                mwx_subject_data(env.type, env.origin, env.to[0], subject) >= 0)
                (void)mwxi_svc_commit_put(commit, mwx_time_wall(), 0, 1, subject, buf, len, &err);
            (void)mwx_sender_seal_track(&tx, &trk, mwx_time_wall(), buf, sizeof buf, &len, &env,
                                        &err);
            (void)mwx_subject_data(env.type, env.origin, env.to[0], subject);
            (void)mwxi_svc_commit_put(commit, mwx_time_wall(), 0, 1, subject, buf, len, &err);
        } else {
            session_due(&tx, pub);
            (void)mwx_sender_seal_track(&tx, &trk, mwx_time_wall(), buf, sizeof buf, &len, &env,
                                        &err);
            (void)mwx_bus_publish_envelope(pub, &env, buf, len, &err);
        }
        pubs++;
    }
    if (commit)
        (void)mwxi_svc_commit_barrier(commit, &err);
    (void)mwx_bus_flush(pub, 5, &err);
    /* until every report is fused or none was for 0.5 s (fusion need not emit an update
     * for every report: the rate is over the time to the last update, not to a timeout) */
    for (long seen = -1; atomic_load(&r.fused) < pubs && atomic_load(&r.fused) != seen;) {
        seen = atomic_load(&r.fused);
        usleep(500000);
    }
    double all_s = atomic_load(&r.t_last) - t0;
    long fused = atomic_load(&r.fused);
    {
        mwx_node_stats_t st;
        mwx_node_get_stats(r.node, &st);
        printf("into a node: %ld track reports published, %llu envelopes received, %llu "
               "accepted, %llu fused updates (%llu implausible, %llu bad payloads, fusion "
               "dropped %llu) in %.2f s\n",
               pubs, (unsigned long long)st.received, (unsigned long long)st.share.accepted,
               (unsigned long long)st.fused_updates, (unsigned long long)st.implausible,
               (unsigned long long)st.bad_payloads, (unsigned long long)st.fusion_dropped, all_s);
        mwx_bus_stats_t bs;
        mwx_bus_stats(bus, &bs);
        if (bs.dropped_queue_full || bs.dropped_slow_consumer)
            printf("into a node: the node's bus dropped %llu (queue full) and %llu (slow "
                   "consumer)\n",
                   (unsigned long long)bs.dropped_queue_full,
                   (unsigned long long)bs.dropped_slow_consumer);
        for (int d = 1; d < MWX_DROP_N; d++)
            if (st.share.dropped[d])
                printf("into a node: dropped %s %llu\n", mwx_drop_name((mwx_drop_t)d),
                       (unsigned long long)st.share.dropped[d]);
        qsort(r.lat, (size_t)r.n_lat, sizeof *r.lat, cmp_lat);
        if (r.n_lat > 0)
            printf("into a node: report sealed -> fused update p50 %.0f us, p99 %.0f us, max "
                   "%.0f us (<= 2000 in flight)\n",
                   r.lat[r.n_lat / 2] * 1e6, r.lat[(long)(r.n_lat * 0.99)] * 1e6,
                   r.lat[r.n_lat - 1] * 1e6);
        if (commit) {
            svc_commit_stats_t cs;
            mwxi_svc_commit_stats(commit, &cs);
            printf("into a node, --durable: sender outbox %llu envelopes, %llu fdatasyncs "
                   "(largest group %llu); inbox append errors %llu\n",
                   (unsigned long long)cs.envelopes, (unsigned long long)cs.syncs,
                   (unsigned long long)cs.max_batch, (unsigned long long)r.inbox_errors);
        }
    }
    atomic_store(&r.stop, 1);
    pthread_join(th, NULL);
    if (commit)
        mwxi_svc_commit_destroy(commit);
    if (outbox)
        mwxi_svc_log_close(outbox);
    if (r.inbox)
        mwxi_svc_log_close(r.inbox);
    free(r.lat);
    mwx_node_destroy(r.node);
    mwx_bus_close(pub);
    mwx_bus_close(bus);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "share_throughput: could not remove %s\n", dir);
    return fused / all_s;
}

int main(int argc, char **argv)
{
    int node_only = 0;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--mac") == 0) {
            use_mac = 1;
        } else if (strcmp(argv[a], "--node") == 0) {
            node_only = 1; /* only the into-a-node figure (for profiling it) */
        } else if (strcmp(argv[a], "--durable") == 0) {
            durable = 1;
        } else {
            fprintf(stderr, "usage: share_throughput [--mac] [--node] [--durable]\n");
            return 2;
        }
    }
    mwx_err_t err;
    mwx_keypair_t kr;
    mwx_policy_t pol;
    mwx_sender_t tx;
    mwx_receiver_t *rx;
    mwx_envelope_t env;
    mwx_rec_track_t trk = bench_sample_track();
    char load[64] = "?";
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (!fgets(load, sizeof load, lf))
            strcpy(load, "?");
        fclose(lf);
        load[strcspn(load, "\n")] = 0;
    }
    printf("share_throughput: load average at start: %s (%ld CPUs)\n", load,
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("sustained paths: %s\n", use_mac ? "--mac: session MACs, signed checkpoints"
                                            : "an Ed25519 signature per envelope");

    share_fx_policy_pair(&pol, "KR", "US");
    (void)mwx_key_generate("KR", &kr, &err);
    (void)mwx_sender_init(&tx, &kr, &pol, 1, &err);
    envs = malloc(sizeof *envs * NOPS);
    memset(envs, 0, sizeof *envs * NOPS); /* page faults out of the timed loops */

    /* mwx and bare libsodium take turns in 10 rounds, so that load from elsewhere hits
     * both alike; wall and thread-CPU time are summed per kind. */
    double t0;
    (void)mwx_receiver_create("US", 30, &rx, &err);
    (void)mwx_receiver_trust(rx, "KR", kr.pk, &err);
    uint8_t sig[64], msg[512];
    size_t mlen = 0;
    double sign_w = 0, sign_c = 0, ver_w = 0, ver_c = 0, rs_c = 0, rv_c = 0;
    int ok = 0, vok = 0;
    const int R = 10, K = NOPS / R;
    for (int r = 0; r < R; r++) {
        double w0 = mwx_time_mono(), c0 = cpu_now();
        for (int i = r * K; i < (r + 1) * K; i++)
            if (mwx_sender_seal_track(&tx, &trk, 1795000000.0, envs[i], STRIDE, &lens[i], &env,
                                      &err) != 0) {
                fprintf(stderr, "seal: %s\n", err.msg);
                return 1;
            }
        sign_w += mwx_time_mono() - w0;
        sign_c += cpu_now() - c0;
        if (r == 0) { /* the bare baseline signs the same number of bytes */
            mlen = lens[0] - 66;
            memcpy(msg, envs[0], mlen);
        }
        c0 = cpu_now();
        for (int i = 0; i < K; i++) {
            msg[mlen - 1] = (uint8_t)i;
            crypto_sign_ed25519_detached(sig, NULL, msg, mlen, kr.sk);
        }
        rs_c += cpu_now() - c0;
        w0 = mwx_time_mono();
        c0 = cpu_now();
        for (int i = r * K; i < (r + 1) * K; i++)
            ok += mwx_receiver_accept(rx, envs[i], lens[i], 1795000000.0, &env, NULL) == 0;
        ver_w += mwx_time_mono() - w0;
        ver_c += cpu_now() - c0;
        c0 = cpu_now();
        for (int i = 0; i < K; i++)
            vok += crypto_sign_ed25519_verify_detached(sig, msg, mlen, kr.pk) == 0;
        rv_c += cpu_now() - c0;
    }
    mwx_receiver_destroy(rx);
    double sign_s = sign_w / NOPS, sign_cpu = sign_c / NOPS, verify_s = ver_w / NOPS,
           verify_cpu = ver_c / NOPS, raw_sign_cpu = rs_c / NOPS, raw_verify_cpu = rv_c / NOPS;
    printf("envelope: %zu bytes (signed track report)\n", lens[0]);
    printf("baseline libsodium on %zu bytes: sign %6.1f us CPU, verify %6.1f us CPU (%d ok)\n",
           mlen, raw_sign_cpu * 1e6, raw_verify_cpu * 1e6, vok);
    printf("sign only   (encode + Ed25519 sign + envelope):  %6.1f us/op wall, %6.1f us/op CPU"
           "  (%8.0f op/s per core)\n",
           sign_s * 1e6, sign_cpu * 1e6, 1 / sign_cpu);
    printf("verify only (decode + Ed25519 verify + checks):  %6.1f us/op wall, %6.1f us/op CPU"
           "  (%8.0f op/s per core; %d/%d ok)\n",
           verify_s * 1e6, verify_cpu * 1e6, 1 / verify_cpu, ok, NOPS);
    printf("mwx over bare libsodium (CPU): sign %.2fx, verify %.2fx\n", sign_cpu / raw_sign_cpu,
           verify_cpu / raw_verify_cpu);

    if (nats_fixture_start(&server, NULL) != 0) {
        fprintf(stderr, "share_throughput: cannot start nats-server\n");
        return 3;
    }
    snprintf(url, sizeof url, "%s", server.url);
    if (node_only) {
        printf("sustained into a receiving node (verify + decode + fuse): %8.0f fused updates/s\n",
               into_node(&kr, trk));
        nats_fixture_stop(&server);
        free(envs);
        return 0;
    }
    /* raw baseline: the same bytes, unpaced, 2 s */
    natsConnection *pc, *sc;
    natsSubscription *sub;
    natsConnection_ConnectTo(&pc, url);
    natsConnection_ConnectTo(&sc, url);
    natsConnection_Subscribe(&sub, sc, "bench.raw", on_raw, NULL);
    natsSubscription_SetPendingLimits(sub, -1, -1);
    natsConnection_FlushTimeout(sc, 2000);
    t0 = mwx_time_mono();
    long sent = 0;
    while (mwx_time_mono() - t0 < 2.0) {
        for (int k = 0; k < 256; k++, sent++)
            natsConnection_Publish(pc, "bench.raw", envs[sent % NOPS], (int)lens[0]);
    }
    natsConnection_FlushTimeout(pc, 5000);
    for (int i = 0; i < 5000 && atomic_load(&delivered_raw) < sent; i++)
        usleep(1000);
    double raw_s = mwx_time_mono() - t0;
    printf(
        "raw nats.c publish -> deliver, unpaced:         %8.0f msg/s  (%ld sent, %ld delivered)\n",
        atomic_load(&delivered_raw) / raw_s, sent, atomic_load(&delivered_raw));
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(pc);
    natsConnection_Destroy(sc);

    /* sustained signed: seal + publish on this thread, verify on the subscriber's */
    mwx_bus_t *pub, *sb;
    mwx_nats_opts_t po = {0}, so = {0};
    po.url = so.url = url;
    so.direct = 1;
    mwx_keypair_t kus;
    (void)mwx_receiver_create("US", 30, &rx, &err);
    (void)mwx_receiver_trust(rx, "KR", kr.pk, &err);
    if (mwx_key_generate("US", &kus, &err) || mwx_receiver_set_key(rx, &kus, &err) ||
        mwx_bus_nats_open(&po, &pub, &err) || mwx_bus_nats_open(&so, &sb, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 3;
    }
    (void)mwx_bus_subscribe(sb, "mwx.*.*.US", on_signed, rx, &err);
    (void)mwx_bus_flush(sb, 2, &err);
    if (mwx_sender_init(&tx, &kr, &pol, 1, &err) || session_on(&tx, "US", kus.pk)) {
        fprintf(stderr, "session: %s\n", err.msg);
        return 3;
    }
    uint8_t buf[MWX_ENVELOPE_MAX];
    size_t len;
    t0 = mwx_time_mono();
    long pubs = 0;
    while (mwx_time_mono() - t0 < 3.0) {
        /* flow control: at most 2000 in flight, so nothing is lost to a slow consumer
         * and the figure is what the pair sustains */
        while (pubs - atomic_load(&verified) > 2000)
            usleep(100);
        session_due(&tx, pub);
        (void)mwx_sender_seal_track(&tx, &trk, mwx_time_wall(), buf, sizeof buf, &len, &env, &err);
        (void)mwx_bus_publish_envelope(pub, &env, buf, len, &err);
        pubs++;
    }
    double pub_s = mwx_time_mono() - t0;
    (void)mwx_bus_flush(pub, 5, &err);
    for (int i = 0; i < 10000 && atomic_load(&verified) < pubs; i++)
        usleep(1000);
    double all_s = mwx_time_mono() - t0;
    mwx_share_counters_t c;
    mwx_receiver_counters(rx, &c);
    printf("sustained %s track reports, one node:       %8.0f sealed+published/s, "
           "%8.0f verified/s  (%ld sent, %ld verified, %llu dropped replayed/stale)\n",
           use_mac ? "MAC'd " : "signed", pubs / pub_s, atomic_load(&verified) / all_s, pubs,
           atomic_load(&verified),
           (unsigned long long)(c.dropped[MWX_DROP_REPLAYED] + c.dropped[MWX_DROP_STALE]));
    printf("ratio: verified %s / raw nats.c = %.3f\n", use_mac ? "MAC'd" : "signed",
           (atomic_load(&verified) / all_s) / (atomic_load(&delivered_raw) / raw_s));
    mwx_bus_close(pub);
    mwx_bus_close(sb);
    mwx_receiver_destroy(rx);
    printf("sustained into a receiving node (verify + decode + fuse): %8.0f fused updates/s\n",
           into_node(&kr, trk));
    nats_fixture_stop(&server);
    free(envs);
    return 0;
}
