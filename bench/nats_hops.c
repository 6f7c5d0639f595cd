/* What raw nats.c costs on this host for the hand-offs a node's path adds (issue 14, "say
 * where every remaining microsecond goes"): one-way publish -> handler latency on loopback
 * through a private nats-server, six variants of the same raw nats.c trip in one run.
 *
 * Method: N messages per variant after WARM, 328 bytes (a MAC'd track envelope), paced
 * RATE msg/s in total, variants taking turns every BLOCK messages (load from elsewhere
 * hits them alike), each on a publisher connection (SendAsap) and a subscriber connection
 * of its own. The clock starts before natsConnection_Publish and stops in the handler.
 *   async           the subscriber's callback on nats.c's delivery thread (the baseline,
 *                   as share_latency's "raw nats.c");
 *   sync            natsSubscription_NextMsg on a thread of ours (no delivery thread);
 *   work before     the publisher computes 20 us before publishing (as a node's tracker
 *                   and seal do);
 *   work after      the publisher computes 130 us right after publishing (as node A fuses
 *                   and warns its own track on the thread that published it);
 *   yield + after   the same after a sched_yield() (mwx_nats_opts_t yield_after_publish);
 *   condvar hop     the callback hands the message to a thread of ours waiting on a
 *                   condition variable (a bus queue hop, `caller_thread`).
 * Figures: p50 and p99 per variant and p50 against the baseline. */
#define _GNU_SOURCE
#include "share/nats_fixture.h"

#include <nats/nats.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N     2000
#define WARM  200
#define BLOCK 100
#define RATE  500.0
#define NV    6
#define PER   (N + WARM)

enum { V_ASYNC, V_SYNC, V_BEFORE, V_AFTER, V_YIELD, V_HOP };
static const char *vname[NV] = {"async (raw nats.c)",        "sync NextMsg, our thread",
                                "20 us work before publish", "130 us work after publish",
                                "yield, then 130 us work",   "async + condvar hop"};

static double t_send[NV][PER], lat[NV][PER];

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void spin(double us)
{
    double end = now_s() + us * 1e-6;
    while (now_s() < end)
        ;
}

static void stamp(int v, natsMsg *m)
{
    double t = now_s();
    uint32_t i;
    memcpy(&i, natsMsg_GetData(m), 4);
    if (i < PER)
        lat[v][i] = t - t_send[v][i];
    natsMsg_Destroy(m);
}

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *closure)
{
    (void)nc;
    (void)sub;
    stamp((int)(intptr_t)closure, m);
}

/* the condvar hop: one slot (messages are 2 ms apart) */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static natsMsg *slot;
static atomic_int stop;

static void on_msg_hop(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *closure)
{
    (void)nc;
    (void)sub;
    (void)closure;
    pthread_mutex_lock(&mu);
    if (slot)
        natsMsg_Destroy(slot);
    slot = m;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

static void *hop_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!atomic_load(&stop)) {
        while (!slot && !atomic_load(&stop))
            pthread_cond_wait(&cv, &mu);
        if (slot) {
            natsMsg *m = slot;
            slot = NULL;
            pthread_mutex_unlock(&mu);
            stamp(V_HOP, m);
            pthread_mutex_lock(&mu);
        }
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

static natsSubscription *sync_sub;

static void *sync_thread(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        natsMsg *m = NULL;
        if (natsSubscription_NextMsg(&m, sync_sub, 50) == NATS_OK)
            stamp(V_SYNC, m);
    }
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    static double s[PER];
    nats_fixture_t fx;
    natsConnection *pc[NV], *sc[NV];
    natsSubscription *sub[NV] = {0};
    pthread_t th_sync, th_hop;
    char payload[328], subj[NV][32];
    int count[NV] = {0};
    if (nats_fixture_start(&fx, NULL) != 0)
        return 3;
    for (int v = 0; v < NV; v++) {
        natsOptions *o;
        snprintf(subj[v], sizeof subj[v], "bench.hop.%d", v);
        if (natsOptions_Create(&o) != NATS_OK || natsOptions_SetURL(o, fx.url) != NATS_OK ||
            natsOptions_SetSendAsap(o, true) != NATS_OK ||
            natsConnection_Connect(&pc[v], o) != NATS_OK ||
            natsConnection_ConnectTo(&sc[v], fx.url) != NATS_OK) {
            fprintf(stderr, "nats_hops: cannot connect to %s\n", fx.url);
            nats_fixture_stop(&fx);
            return 3;
        }
        natsOptions_Destroy(o);
        natsStatus st = v == V_SYNC ? natsConnection_SubscribeSync(&sync_sub, sc[v], subj[v])
                                    : natsConnection_Subscribe(&sub[v], sc[v], subj[v],
                                                               v == V_HOP ? on_msg_hop : on_msg,
                                                               (void *)(intptr_t)v);
        if (st != NATS_OK || natsConnection_FlushTimeout(sc[v], 2000) != NATS_OK) {
            fprintf(stderr, "nats_hops: cannot subscribe\n");
            nats_fixture_stop(&fx);
            return 3;
        }
    }
    for (int v = 0; v < NV; v++)
        for (int i = 0; i < PER; i++)
            lat[v][i] = -1;
    pthread_create(&th_sync, NULL, sync_thread, NULL);
    pthread_create(&th_hop, NULL, hop_thread, NULL);
    memset(payload, 0x5a, sizeof payload);
    double start = now_s();
    for (int k = 0; k < NV * PER; k++) {
        int v = (k / BLOCK) % NV, i = count[v]++;
        double d = start + k / RATE - now_s();
        if (d > 0) { /* sleep, never spin: the machine is shared */
            struct timespec ts = {0, (long)(d * 1e9)};
            nanosleep(&ts, NULL);
        }
        uint32_t u = (uint32_t)i;
        memcpy(payload, &u, 4);
        if (v == V_BEFORE)
            spin(20);
        t_send[v][i] = now_s();
        (void)natsConnection_Publish(pc[v], subj[v], payload, (int)sizeof payload);
        if (v == V_YIELD)
            sched_yield();
        if (v == V_AFTER || v == V_YIELD)
            spin(130);
    }
    struct timespec settle = {0, 300000000};
    nanosleep(&settle, NULL);
    atomic_store(&stop, 1);
    pthread_mutex_lock(&mu);
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(th_sync, NULL);
    pthread_join(th_hop, NULL);

    FILE *lf = fopen("/proc/loadavg", "r");
    char load[64] = "?";
    if (lf) {
        if (!fgets(load, sizeof load, lf))
            strcpy(load, "?");
        fclose(lf);
        load[strcspn(load, "\n")] = 0;
    }
    printf("nats_hops: raw nats.c publish -> handler on loopback, %d per variant after %d, "
           "%.0f msg/s, 328 bytes; load average %s\n",
           N, WARM, RATE, load);
    double base = 0;
    for (int v = 0; v < NV; v++) {
        int n = 0;
        for (int i = WARM; i < PER; i++)
            if (lat[v][i] >= 0)
                s[n++] = lat[v][i];
        if (n == 0) {
            printf("%-28s no message arrived\n", vname[v]);
            continue;
        }
        qsort(s, (size_t)n, sizeof s[0], cmp);
        double p50 = s[n / 2] * 1e6, p99 = s[(int)(n * 0.99)] * 1e6;
        if (v == V_ASYNC)
            base = p50;
        printf("%-28s p50 %7.1f  p99 %8.1f us  p50 vs async %+6.1f  (n %d)\n", vname[v], p50, p99,
               p50 - base, n);
    }
    for (int v = 0; v < NV; v++) {
        if (sub[v])
            natsSubscription_Destroy(sub[v]);
        natsConnection_Destroy(pc[v]);
        natsConnection_Destroy(sc[v]);
    }
    natsSubscription_Destroy(sync_sub);
    nats_fixture_stop(&fx);
    return 0;
}
