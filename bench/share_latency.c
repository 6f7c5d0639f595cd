/* Sharing latency: one-way publish -> verified delivery of a signed track report over
 * NATS on loopback, against raw nats.c publish -> deliver of the same payload size, in the
 * same run, on a private nats-server started here.
 *
 * Method: publishers with SendAsap, one subscriber connection per mode, paced at 500 msg/s
 * in total (a busy node sends tens of track reports a second; a faster pace on a shared
 * 2-core machine measures queues, not the path). The three modes take turns every 100
 * messages so that load from elsewhere hits them alike. Signed: the clock starts before
 * mwx_sender_seal_track (encode + sign) and stops after mwx_receiver_accept (verify +
 * checks) in the handler; "direct" runs the handler on nats.c's thread, "poll" queues it
 * to a thread running mwx_bus_poll, as a node does. Raw: the clock starts before
 * natsConnection_Publish and stops in the subscriber's callback. */
#include "mwx/share.h"
#include "bench_share.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N 3000      /* measured messages per mode */
#define WARM 200    /* per mode, discarded */
#define BLOCK 100   /* modes take turns every BLOCK messages */
#define RATE 500.0
#define NMODES 3    /* raw, signed direct, signed poll */
#define PER (N + WARM)

static double t_send[NMODES][PER + 16];
static double lat[NMODES][PER + 16];
static atomic_int n_got[NMODES];

static pid_t server_pid;
static char url[64];
static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct pct {
    double p50, p99, p999, max;
} pct_t;

static pct_t percentiles(int mode, int n)
{
    static double s[N];
    pct_t p;
    memcpy(s, lat[mode] + WARM, (size_t)n * sizeof s[0]);
    qsort(s, (size_t)n, sizeof s[0], cmp);
    p.p50 = s[n / 2] * 1e6;
    p.p99 = s[(int)(n * 0.99)] * 1e6;
    p.p999 = s[(int)(n * 0.999)] * 1e6;
    p.max = s[n - 1] * 1e6;
    return p;
}

static void pace(double start, int i)
{
    double due = start + i / RATE;
    double d = due - mwx_time_mono();
    if (d > 0) { /* sleep, never spin: the machine is shared */
        struct timespec ts = {0, (long)(d * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static void wait_all(void)
{
    for (int i = 0; i < 5000; i++) {
        int done = 1;
        for (int m = 0; m < NMODES; m++)
            done &= atomic_load(&n_got[m]) >= PER;
        if (done)
            return;
        usleep(1000);
    }
    fprintf(stderr, "warning: not every message arrived\n");
}

static void raw_cb(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *closure)
{
    double now = mwx_time_mono();
    uint32_t i;
    memcpy(&i, natsMsg_GetData(m), 4);
    if (i < PER)
        lat[0][i] = now - t_send[0][i];
    natsMsg_Destroy(m);
    atomic_fetch_add(&n_got[0], 1);
}

typedef struct sub_ctx {
    int mode;
    mwx_receiver_t *rx;
    uint64_t first_seq;
} sub_ctx_t;

static void signed_cb(void *user, const char *subject, const uint8_t *data, size_t len,
                      const char *reply)
{
    sub_ctx_t *c = user;
    mwx_envelope_t env;
    if (mwx_receiver_accept(c->rx, data, len, mwx_time_wall(), &env, NULL) == 0) {
        double now = mwx_time_mono();
        uint64_t i = env.seq - c->first_seq;
        if (i < PER)
            lat[c->mode][i] = now - t_send[c->mode][i];
    }
    atomic_fetch_add(&n_got[c->mode], 1);
}

typedef struct poller {
    mwx_bus_t *bus;
    atomic_int stop;
} poller_t;

static void *poll_thread(void *arg)
{
    poller_t *p = arg;
    while (!atomic_load(&p->stop))
        mwx_bus_poll(p->bus, 0.05, NULL);
    return NULL;
}

static void row(const char *name, pct_t p, pct_t raw)
{
    printf("%-28s p50 %7.1f  p99 %7.1f  p99.9 %7.1f  max %8.1f us   vs raw: p50 %+7.1f, "
           "p99 %+7.1f us\n", name, p.p50, p.p99, p.p999, p.max, p.p50 - raw.p50,
           p.p99 - raw.p99);
}

static _Noreturn void die(const char *what, const mwx_err_t *err)
{
    fprintf(stderr, "share_latency: %s: %s\n", what, err ? err->msg : "");
    bench_nats_stop(server_pid);
    exit(3);
}

int main(void)
{
    mwx_err_t err;
    char load[64] = "?";
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (!fgets(load, sizeof load, lf))
            strcpy(load, "?");
        fclose(lf);
        load[strcspn(load, "\n")] = 0;
    }
    if (bench_nats_start(&server_pid, url, sizeof url) != 0) {
        fprintf(stderr, "share_latency: cannot start nats-server\n");
        return 3;
    }
    printf("load average at start: %s (%ld CPUs)\n", load, sysconf(_SC_NPROCESSORS_ONLN));
    printf("share_latency: one-way latency over NATS on loopback (private nats-server),\n"
           "%d messages per mode after %d warm-up, paced %.0f msg/s, publishers SendAsap;\n"
           "the three modes take turns every %d messages, so neighbours' load hits all alike.\n",
           N, WARM, RATE, BLOCK);

    /* raw: two plain nats.c connections */
    natsOptions *po;
    natsConnection *rpc, *rsc;
    natsSubscription *rsub;
    natsOptions_Create(&po);
    natsOptions_SetURL(po, url);
    natsOptions_SetSendAsap(po, true);
    if (natsConnection_Connect(&rpc, po) != NATS_OK || natsConnection_ConnectTo(&rsc, url) != NATS_OK)
        die("raw connect", NULL);
    natsConnection_Subscribe(&rsub, rsc, "bench.raw", raw_cb, NULL);
    natsConnection_FlushTimeout(rsc, 2000);

    /* signed: KA -> US verified on nats.c's thread (direct), KB -> JP verified in
     * mwx_bus_poll on a thread of its own */
    mwx_policy_t pol;
    memset(&pol, 0, sizeof pol);
    pol.n = 4;
    strcpy(pol.nation[0], "KA");
    strcpy(pol.nation[1], "KB");
    strcpy(pol.nation[2], "US");
    strcpy(pol.nation[3], "JP");
    pol.to[0] = 1u << 2;
    pol.to[1] = 1u << 3;
    mwx_keypair_t ka, kb;
    mwx_sender_t txa, txb;
    sub_ctx_t cd = {1, NULL, 0}, cp = {2, NULL, 0};
    uint64_t first = mwx_share_seq_base(mwx_time_wall());
    if (mwx_key_generate("KA", &ka, &err) || mwx_key_generate("KB", &kb, &err) ||
        mwx_sender_init(&txa, &ka, &pol, first, &err) ||
        mwx_sender_init(&txb, &kb, &pol, first, &err) ||
        mwx_receiver_create("US", 30, &cd.rx, &err) ||
        mwx_receiver_create("JP", 30, &cp.rx, &err) ||
        mwx_receiver_trust(cd.rx, "KA", ka.pk, &err) ||
        mwx_receiver_trust(cp.rx, "KB", kb.pk, &err))
        die("set-up", &err);
    cd.first_seq = cp.first_seq = first;
    mwx_bus_t *pub, *sd, *sp;
    mwx_nats_opts_t o_pub = {0}, o_d = {0}, o_p = {0};
    o_pub.url = o_d.url = o_p.url = url;
    o_pub.send_asap = 1;
    o_d.direct = 1;
    if (mwx_bus_nats_open(&o_pub, &pub, &err) || mwx_bus_nats_open(&o_d, &sd, &err) ||
        mwx_bus_nats_open(&o_p, &sp, &err))
        die("connect", &err);
    if (mwx_bus_subscribe(sd, "mwx.*.*.US", signed_cb, &cd, &err) ||
        mwx_bus_subscribe(sp, "mwx.*.*.JP", signed_cb, &cp, &err) ||
        mwx_bus_flush(sd, 2, &err) || mwx_bus_flush(sp, 2, &err))
        die("subscribe", &err);
    poller_t poller;
    pthread_t th;
    poller.bus = sp;
    atomic_store(&poller.stop, 0);
    pthread_create(&th, NULL, poll_thread, &poller);

    mwx_rec_track_t trk = bench_sample_track();
    uint8_t buf[MWX_ENVELOPE_MAX], payload[MWX_ENVELOPE_MAX];
    size_t len = 0, env_size;
    mwx_envelope_t env;
    /* the raw payload has the size of a signed track report */
    if (mwx_sender_seal_track(&txa, &trk, mwx_time_wall(), buf, sizeof buf, &env_size, &env,
                              &err))
        die("seal", &err);
    txa.next_seq = first;
    memset(payload, 0x5a, sizeof payload);

    int count[NMODES] = {0};
    double start = mwx_time_mono();
    for (int k = 0; k < NMODES * PER; k++) {
        int mode = (k / BLOCK) % NMODES;
        int i = count[mode]++;
        pace(start, k);
        if (mode == 0) {
            uint32_t u = (uint32_t)i;
            memcpy(payload, &u, 4);
            t_send[0][i] = mwx_time_mono();
            natsConnection_Publish(rpc, "bench.raw", payload, (int)env_size);
        } else {
            mwx_sender_t *tx = mode == 1 ? &txa : &txb;
            t_send[mode][i] = mwx_time_mono();
            if (mwx_sender_seal_track(tx, &trk, mwx_time_wall(), buf, sizeof buf, &len, &env,
                                      &err) != 0)
                die("seal", &err);
            mwx_bus_publish_envelope(pub, &env, buf, len, &err);
        }
    }
    wait_all();
    atomic_store(&poller.stop, 1);
    pthread_join(th, NULL);
    mwx_share_counters_t c1, c2;
    mwx_receiver_counters(cd.rx, &c1);
    mwx_receiver_counters(cp.rx, &c2);
    pct_t raw = percentiles(0, N), d = percentiles(1, N), pp = percentiles(2, N);
    printf("payload: signed track report envelope = %zu bytes; raw uses the same size\n",
           env_size);
    printf("accepted: direct %llu/%d, poll %llu/%d\n", (unsigned long long)c1.accepted, PER,
           (unsigned long long)c2.accepted, PER);
    row("raw nats.c", raw, raw);
    row("signed+verified, direct", d, raw);
    row("signed+verified, poll thread", pp, raw);
    printf("goal: signed p99 <= raw p99 + 100 us: direct %s, poll %s\n",
           d.p99 <= raw.p99 + 100 ? "met" : "NOT met", pp.p99 <= raw.p99 + 100 ? "met" : "NOT met");
    mwx_bus_close(pub);
    mwx_bus_close(sd);
    mwx_bus_close(sp);
    mwx_receiver_destroy(cd.rx);
    mwx_receiver_destroy(cp.rx);
    natsSubscription_Destroy(rsub);
    natsConnection_Destroy(rpc);
    natsConnection_Destroy(rsc);
    natsOptions_Destroy(po);
    bench_nats_stop(server_pid);
    return 0;
}
