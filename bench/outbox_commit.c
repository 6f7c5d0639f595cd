/* Durable outbox throughput (issue 14, "Durable without a per-envelope fsync"): signed track
 * envelopes through `mwx node`'s outbox commit (src/node/service_commit.c) into a private
 * nats-server on loopback, with durability on, per-envelope fdatasync (the design before)
 * beside group commit, in the same run.
 *
 * Method: the outbox is a file on the build's file system (ext4 here; /tmp when it is not
 * writable). Envelopes are real signed track reports (~360 bytes), sealed beforehand
 * (ENV_POOL distinct ones, reused) so that the figure is the durability path alone, or
 * sealed inline ("+ seal": mwx_sender_seal_track, Ed25519, per envelope as `mwx node`
 * does today). A producer offers them for RUN_S seconds each:
 *   - unpaced: as fast as the commit takes them (a full queue makes it wait);
 *   - paced at RATE envelopes/s (group commit only: per-envelope fsync cannot reach it);
 *   - paced at 400/s, both designs (the latency at a rate both sustain).
 * Throughput = envelopes synced and published per second of wall time; latency = from the
 * put (appended, queued) to its publish call returning (after its sync), p50/p99/max.
 * A raw nats.c subscriber counts deliveries (a check that the publishes went out).
 * At most MAX_ENV envelopes per mode. Usage: outbox_commit [run_s] [rate]. */
#define _POSIX_C_SOURCE 200809L
#include "mwx/share.h"
#include "bench_share.h"
#include "node/service_int.h"

#include <nats/nats.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ENV_POOL 4096
#define LAT_MAX  (1 << 21)
#define MAX_ENV  300000 /* per mode: ~115 MB of outbox */

static uint8_t pool[ENV_POOL][512];
static size_t pool_len[ENV_POOL];
static double *t_put, *lat;
static size_t n_lat;
static uint64_t n_pub;
static atomic_long delivered;
static mwx_bus_t *bus;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int pub(void *user, const char *subject, const uint8_t *data, size_t len)
{
    (void)user;
    int rc = mwx_bus_publish(bus, subject, data, len, NULL);
    /* published in put order: the n-th publish is the n-th put */
    if (n_pub < LAT_MAX)
        lat[n_lat++] = now_s() - t_put[n_pub];
    n_pub++;
    return rc;
}

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    (void)closure;
    atomic_fetch_add(&delivered, 1);
    natsMsg_Destroy(msg);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct result {
    double rate, p50, p99, max;
    uint64_t syncs, max_batch;
    long delivered;
    uint64_t n;
} result_t;

static int run(const char *dir, int threaded, int seal, mwx_sender_t *tx, double run_s, double rate,
               result_t *res)
{
    char path[600];
    svc_log_t *log;
    svc_commit_t *c;
    svc_commit_stats_t st;
    mwx_err_t err = {0};
    double start_unix;
    int existed;
    uint64_t k = 0;
    uint8_t buf[MWX_ENVELOPE_MAX];
    const mwx_rec_track_t trk = bench_sample_track();

    snprintf(path, sizeof path, "%s/node-KR.outbox", dir);
    unlink(path);
    if (mwxi_svc_log_open(path, 1.0, NULL, NULL, &log, &start_unix, &existed, &err) ||
        mwxi_svc_commit_create(log, threaded, 0, pub, NULL, &c, &err)) {
        fprintf(stderr, "outbox_commit: %s\n", err.msg);
        return -1;
    }
    n_pub = n_lat = 0;
    atomic_store(&delivered, 0);
    double t0 = now_s(), t_end = t0 + run_s;
    for (;;) {
        double t = now_s();
        if (t >= t_end || k >= MAX_ENV)
            break;
        if (rate > 0) {
            double due = t0 + (double)k / rate;
            if (t < due) {
                if (due - t > 200e-6) {
                    struct timespec ts = {0, (long)((due - t) * 1e9 * 0.5)};
                    nanosleep(&ts, NULL);
                }
                continue;
            }
        }
        const uint8_t *data = pool[k % ENV_POOL];
        size_t len = pool_len[k % ENV_POOL];
        if (seal) {
            if (mwx_sender_seal_track(tx, &trk, mwx_time_wall(), buf, sizeof buf, &len, NULL,
                                      &err)) {
                fprintf(stderr, "outbox_commit: %s\n", err.msg);
                return -1;
            }
            data = buf;
        }
        if (k < LAT_MAX)
            t_put[k] = rate > 0 ? t0 + (double)k / rate : now_s();
        if (mwxi_svc_commit_put(c, mwx_time_wall(), 0, 1, "mwx.track.KR.JP", data, len, &err)) {
            fprintf(stderr, "outbox_commit: %s\n", err.msg);
            return -1;
        }
        k++;
    }
    mwxi_svc_commit_barrier(c, &err);
    double t1 = now_s();
    mwxi_svc_commit_stats(c, &st);
    mwxi_svc_commit_destroy(c);
    mwxi_svc_log_close(log);
    unlink(path);
    (void)mwx_bus_flush(bus, 2.0, NULL);
    for (int i = 0; i < 200 && atomic_load(&delivered) < (long)k; i++)
        usleep(10000);
    qsort(lat, n_lat, sizeof *lat, cmp_d);
    res->n = k;
    res->rate = (double)st.published / (t1 - t0);
    res->p50 = n_lat ? lat[n_lat / 2] * 1e6 : 0;
    res->p99 = n_lat ? lat[(size_t)(n_lat * 0.99)] * 1e6 : 0;
    res->max = n_lat ? lat[n_lat - 1] * 1e6 : 0;
    res->syncs = st.syncs;
    res->max_batch = st.max_batch;
    res->delivered = atomic_load(&delivered);
    return 0;
}

static void print(const char *name, const result_t *r)
{
    printf("%-40s %9.0f env/s  latency p50 %8.0f  p99 %8.0f  max %8.0f us  %7llu syncs "
           "(largest group %llu)  %ld/%llu delivered\n",
           name, r->rate, r->p50, r->p99, r->max, (unsigned long long)r->syncs,
           (unsigned long long)r->max_batch, r->delivered, (unsigned long long)r->n);
}

int main(int argc, char **argv)
{
    double run_s = argc > 1 ? atof(argv[1]) : 3.0;
    double rate = argc > 2 ? atof(argv[2]) : 20000;
    nats_fixture_t server;
    mwx_nats_opts_t o = {0};
    mwx_keypair_t kr;
    mwx_policy_t pol;
    mwx_sender_t tx;
    mwx_err_t err = {0};
    char dir[] = "outbox-commit-XXXXXX", tmpdir[] = "/tmp/outbox-commit-XXXXXX";
    const char *d = mkdtemp(dir) ? dir : mkdtemp(tmpdir);
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    char load[64] = "?";
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (!fgets(load, sizeof load, lf))
            strcpy(load, "?");
        fclose(lf);
        load[strcspn(load, "\n")] = 0;
    }
    if (!d || nats_fixture_start(&server, NULL) != 0)
        return 1;
    t_put = malloc(LAT_MAX * sizeof *t_put);
    lat = malloc(LAT_MAX * sizeof *lat);
    share_fx_policy_pair(&pol, "KR", "JP");
    o.url = server.url;
    o.send_asap = 1;
    if (!t_put || !lat || mwx_key_generate("KR", &kr, &err) ||
        mwx_sender_init(&tx, &kr, &pol, 1, &err) || mwx_bus_nats_open(&o, &bus, &err) ||
        natsConnection_ConnectTo(&nc, server.url) != NATS_OK ||
        natsConnection_Subscribe(&sub, nc, "mwx.track.KR.JP", on_msg, NULL) != NATS_OK ||
        natsConnection_Flush(nc) != NATS_OK) {
        fprintf(stderr, "outbox_commit: setup: %s\n", err.msg);
        nats_fixture_stop(&server);
        return 1;
    }
    natsSubscription_SetPendingLimits(sub, -1, -1);
    const mwx_rec_track_t trk = bench_sample_track();
    for (int i = 0; i < ENV_POOL; i++)
        if (mwx_sender_seal_track(&tx, &trk, mwx_time_wall(), pool[i], sizeof pool[i], &pool_len[i],
                                  NULL, &err))
            return 1;
    printf("outbox_commit: load average at start: %s; outbox in %s (%s s per mode)\n", load, d,
           argv[1] ? argv[1] : "3");

    result_t r;
    /* per-envelope first and last, group commit between: drift in the load shows */
    if (run(d, 0, 0, &tx, run_s, 0, &r) == 0)
        print("per-envelope fdatasync, unpaced", &r);
    double base = r.rate;
    if (run(d, 1, 0, &tx, run_s, 0, &r) == 0)
        print("group commit, unpaced", &r);
    double group = r.rate;
    if (run(d, 1, 0, &tx, run_s, rate, &r) == 0) {
        char name[64];
        snprintf(name, sizeof name, "group commit, paced %.0f/s", rate);
        print(name, &r);
    }
    /* a rate both designs sustain: the latency a steady node sees */
    if (run(d, 0, 0, &tx, run_s, 400, &r) == 0)
        print("per-envelope fdatasync, paced 400/s", &r);
    if (run(d, 1, 0, &tx, run_s, 400, &r) == 0)
        print("group commit, paced 400/s", &r);
    if (run(d, 1, 1, &tx, run_s, 0, &r) == 0)
        print("group commit + Ed25519 seal, unpaced", &r);
    if (run(d, 0, 0, &tx, run_s, 0, &r) == 0)
        print("per-envelope fdatasync, unpaced (again)", &r);
    printf("group commit / per-envelope (unpaced, first run): %.1fx\n", group / base);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    mwx_bus_close(bus);
    nats_fixture_stop(&server);
    rmdir(d);
    free(t_put);
    free(lat);
    return 0;
}
