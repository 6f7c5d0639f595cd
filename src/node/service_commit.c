/* `mwx node`'s outbox group commit (docs/NODE.md, "Durability").
 *
 * An envelope must be on disk before it is on the wire (a restarted node continues its
 * seqs above its outbox: a seq a partner holds must never be reused). One fdatasync per
 * envelope capped a node at ~1,250 envelopes/s, so: the caller appends the envelope to the
 * outbox (one write(), no sync) and queues its publish; a commit thread takes everything
 * queued, runs ONE fdatasync (which covers every write before it), then publishes the
 * batch in order. The batch is whatever arrived while the last sync ran, so it grows with
 * the load and an envelope waits at most about two syncs; the caller never waits for the
 * disk unless the queue is full (then it waits: nothing is dropped). */
#define _POSIX_C_SOURCE 200809L
#include "service_int.h"
#include "mwx/share.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* An entry's subject and bytes lie in the arena at [mbeg, mend) of a monotonic byte count
 * (arena offset = count % arena size; an entry never wraps: it starts at the next lap). */
typedef struct slot {
    uint64_t mbeg, mend;
    uint32_t subject_len, len;
    int logged; /* its envelope was appended with it (the first recipient's publish) */
} slot_t;

#define ARENA_PER_SLOT 256 /* a signed track report is ~360 bytes, a heartbeat less */

struct svc_commit {
    svc_log_t *log;
    svc_commit_pub_fn pub;
    void *user;
    int threaded;
    pthread_t th;
    int th_started;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    slot_t *slot;
    size_t n_slot;
    uint8_t *arena;
    uint64_t n_arena;
    uint64_t wpos, freed;    /* monotonic arena bytes: written; released by the thread */
    uint64_t put, committed; /* entries queued; entries synced and published */
    int quit;
    int failed; /* a sync failed: nothing more is published */
    mwx_err_t err;
    svc_commit_stats_t st;
};

static void *commit_main(void *arg)
{
    svc_commit_t *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (c->committed == c->put && !c->quit)
            pthread_cond_wait(&c->work, &c->mu);
        if (c->committed == c->put)
            break; /* quit, and drained */
        uint64_t from = c->committed, end = c->put;
        pthread_mutex_unlock(&c->mu);

        mwx_err_t e = {0};
        /* covers every append made before the entries [from, end) were queued; a batch
         * of only later recipients' publishes needs none: their envelope was appended
         * before its first publish was queued, so an earlier sync covered it */
        int need = 0, rc = MWX_OK;
        for (uint64_t i = from; i < end && !need; i++)
            need = c->slot[i % c->n_slot].logged;
        if (need)
            rc = mwxi_svc_log_sync(c->log, &e);
        uint64_t fails = 0;
        if (rc == MWX_OK)
            for (uint64_t i = from; i < end; i++) {
                const slot_t *sl = &c->slot[i % c->n_slot];
                const uint8_t *p = c->arena + sl->mbeg % c->n_arena;
                if (c->pub(c->user, (const char *)p, p + sl->subject_len, sl->len) != MWX_OK)
                    fails++;
            }

        pthread_mutex_lock(&c->mu);
        if (rc != MWX_OK) {
            /* not durable, so never published; the caller stops the node */
            c->failed = 1;
            c->err = e;
            c->committed = c->put;
            pthread_cond_broadcast(&c->done);
            break;
        }
        c->committed = end;
        c->freed = c->slot[(end - 1) % c->n_slot].mend;
        c->st.syncs += need;
        c->st.published += end - from;
        c->st.publish_failed += fails;
        if (end - from > c->st.max_batch)
            c->st.max_batch = end - from;
        pthread_cond_broadcast(&c->done);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

int mwxi_svc_commit_create(svc_log_t *log, int threaded, size_t slots, svc_commit_pub_fn pub,
                           void *user, svc_commit_t **out, mwx_err_t *err)
{
    svc_commit_t *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return mwx_err_set(err, MWX_ENOMEM, "outbox commit: out of memory");
    c->log = log;
    c->pub = pub;
    c->user = user;
    c->threaded = threaded;
    if (!threaded) {
        *out = c;
        return MWX_OK;
    }
    /* Batches grow with the load up to the queue: with 16 ms syncs (a busy disk) 1,024
     * entries capped a node at ~20,000 envelopes/s, so the default is 16,384 entries in
     * 4 MiB. Preallocated once (no allocation per envelope). */
    c->n_slot = slots ? slots : 16384;
    c->n_arena = (uint64_t)c->n_slot * ARENA_PER_SLOT;
    if (c->n_arena < 2 * (MWX_ENVELOPE_MAX + MWX_SUBJECT_LEN))
        c->n_arena = 2 * (MWX_ENVELOPE_MAX + MWX_SUBJECT_LEN);
    c->slot = malloc(c->n_slot * sizeof *c->slot);
    c->arena = malloc(c->n_arena);
    if (!c->slot || !c->arena) {
        free(c->slot);
        free(c->arena);
        free(c);
        return mwx_err_set(err, MWX_ENOMEM, "outbox commit: out of memory");
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->work, NULL);
    pthread_cond_init(&c->done, NULL);
    if (pthread_create(&c->th, NULL, commit_main, c) != 0) {
        mwxi_svc_commit_destroy(c);
        return mwx_err_set(err, MWX_EIO, "outbox commit: cannot start its thread");
    }
    c->th_started = 1;
    *out = c;
    return MWX_OK;
}

int mwxi_svc_commit_put(svc_commit_t *c, double unix_s, double t_scn, int log_it,
                        const char *subject, const uint8_t *data, size_t len, mwx_err_t *err)
{
    int rc;
    if (len > MWX_ENVELOPE_MAX)
        return mwx_err_set(err, MWX_EINVAL, "outbox commit: envelope of %zu bytes", len);
    if (!c->threaded) {
        /* one envelope, one sync (the in-process bus, and the baseline in bench/) */
        if (log_it &&
            (rc = mwxi_svc_log_append(c->log, unix_s, t_scn, data, len, 1, err)) != MWX_OK)
            return rc;
        c->st.syncs += log_it != 0;
        c->st.envelopes += log_it != 0;
        c->st.max_batch = 1;
        if (c->pub(c->user, subject, data, len) != MWX_OK)
            c->st.publish_failed++;
        c->st.published++;
        return MWX_OK;
    }
    size_t sublen = strnlen(subject, MWX_SUBJECT_LEN - 1) + 1;
    uint64_t need = sublen + len, beg = c->wpos;
    if (beg % c->n_arena + need > c->n_arena)
        beg += c->n_arena - beg % c->n_arena; /* never wrap inside an entry */
    pthread_mutex_lock(&c->mu);
    if (c->failed) {
        rc = mwx_err_set(err, c->err.code ? c->err.code : MWX_EIO, "%s", c->err.msg);
        pthread_mutex_unlock(&c->mu);
        return rc;
    }
    if (c->put - c->committed >= c->n_slot || beg + need - c->freed > c->n_arena) {
        c->st.full_waits++;
        while ((c->put - c->committed >= c->n_slot || beg + need - c->freed > c->n_arena) &&
               !c->failed)
            pthread_cond_wait(&c->done, &c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    /* Only this thread appends and fills slots and the arena; the commit thread reads only
     * the entries [committed, put) and their bytes [freed, wpos), outside what is filled
     * here. */
    if (log_it && (rc = mwxi_svc_log_append(c->log, unix_s, t_scn, data, len, 0, err)) != MWX_OK)
        return rc;
    slot_t *sl = &c->slot[c->put % c->n_slot];
    uint8_t *p = c->arena + beg % c->n_arena;
    memcpy(p, subject, sublen - 1);
    p[sublen - 1] = 0;
    memcpy(p + sublen, data, len);
    sl->mbeg = beg;
    sl->mend = beg + need;
    sl->subject_len = (uint32_t)sublen;
    sl->len = (uint32_t)len;
    sl->logged = log_it != 0;
    c->wpos = beg + need;
    pthread_mutex_lock(&c->mu);
    c->st.envelopes += log_it != 0;
    c->put++;
    pthread_cond_signal(&c->work);
    pthread_mutex_unlock(&c->mu);
    return MWX_OK;
}

int mwxi_svc_commit_barrier(svc_commit_t *c, mwx_err_t *err)
{
    int rc = MWX_OK;
    if (!c || !c->threaded)
        return MWX_OK;
    pthread_mutex_lock(&c->mu);
    uint64_t target = c->put;
    while (c->committed < target && !c->failed)
        pthread_cond_wait(&c->done, &c->mu);
    if (c->failed)
        rc = mwx_err_set(err, c->err.code ? c->err.code : MWX_EIO, "%s", c->err.msg);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

void mwxi_svc_commit_stats(svc_commit_t *c, svc_commit_stats_t *st)
{
    if (!c) {
        memset(st, 0, sizeof *st);
        return;
    }
    if (!c->threaded) {
        *st = c->st;
        return;
    }
    pthread_mutex_lock(&c->mu);
    *st = c->st;
    st->queued = c->put - c->committed;
    pthread_mutex_unlock(&c->mu);
}

void mwxi_svc_commit_destroy(svc_commit_t *c)
{
    if (!c)
        return;
    if (c->threaded) {
        if (c->th_started) {
            pthread_mutex_lock(&c->mu);
            c->quit = 1; /* the thread drains the queue first */
            pthread_cond_signal(&c->work);
            pthread_mutex_unlock(&c->mu);
            pthread_join(c->th, NULL);
        }
        pthread_cond_destroy(&c->work);
        pthread_cond_destroy(&c->done);
        pthread_mutex_destroy(&c->mu);
    }
    free(c->slot);
    free(c->arena);
    free(c);
}
