/* `mwx node`'s append-only envelope logs (outbox, inbox): format in service_int.h. */
#define _POSIX_C_SOURCE 200809L
#include "core/grow.h"
#include "service_int.h"
#include "core/crc32c.h"
#include "core/recseg.h"
#include "mwx/node.h"

#include <pthread.h>

#include <stdatomic.h>
#include <stdio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC     "MWXLOG1\n"
#define HDR       16
#define META      24
#define MAX_ENTRY (64 * 1024)

/* A closed segment PATH.K (rotation: docs/NODE.md, "Retention"). */
typedef struct log_seg {
    uint64_t k, entries, bytes;
} log_seg_t;

struct svc_log {
    int fd;
    char path[MWX_PATH_LEN * 2];
    uint64_t count;
    _Atomic uint64_t synced; /* bytes known durable (the outbox syncs on its commit thread) */
    /* rotation: the appending thread swaps fd under mu; mwxi_svc_log_sync holds mu */
    pthread_mutex_t mu;
    double start_unix; /* the header's clock origin, for new segments */
    mwx_retention_t ret;
    uint64_t keep_entries; /* never remove a segment below this many later entries */
    uint64_t live_entries, live_bytes;
    double seg_start;
    log_seg_t *segs; /* closed segments, oldest first */
    size_t n_segs, cap_segs;
};

static int push_seg(svc_log_t *l, uint64_t k, uint64_t entries, uint64_t bytes)
{
    if (mwxi_grow(&l->segs, &l->cap_segs, l->n_segs + 1, sizeof *l->segs, 8) != 0)
        return -1;
    l->segs[l->n_segs++] = (log_seg_t){k, entries, bytes};
    return 0;
}

static int read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (uint8_t *)buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
    size_t put = 0;
    while (put < n) {
        ssize_t w = write(fd, (const uint8_t *)buf + put, n - put);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        put += (size_t)w;
    }
    return 0;
}

/* Reading a log: one read() per RD_CHUNK bytes, not two per entry (a restart reads every
 * retained segment; at 1 GiB that was seconds of system calls alone). */
#define RD_CHUNK (128 * 1024)
#define RD_CAP   (RD_CHUNK + META + MAX_ENTRY)

typedef struct log_rd {
    int fd;
    uint8_t *buf; /* RD_CAP bytes: a chunk and one whole entry always fit */
    size_t pos, end;
} log_rd_t;

/* At least n bytes at rd->buf + rd->pos, or -1 at the end of the file (or an error). */
static int rd_need(log_rd_t *rd, size_t n)
{
    if (rd->end - rd->pos >= n)
        return 0;
    memmove(rd->buf, rd->buf + rd->pos, rd->end - rd->pos);
    rd->end -= rd->pos;
    rd->pos = 0;
    while (rd->end < n) {
        ssize_t r = read(rd->fd, rd->buf + rd->end, RD_CAP - rd->end);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        rd->end += (size_t)r;
    }
    return 0;
}

/* Every whole entry of fd from its current offset (just past the header) through fn: the
 * count in *entries, the bytes they take in *bytes. A torn or damaged tail ends the
 * reading and is left as it is (the writer's open cuts it). */
static int read_entries(int fd, const char *path, svc_log_fn fn, void *user, uint64_t *entries,
                        uint64_t *bytes, mwx_err_t *err)
{
    log_rd_t rd = {fd, malloc(RD_CAP), 0, 0};
    int rc = MWX_OK;
    *entries = *bytes = 0;
    if (!rd.buf)
        return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", path);
    while (rd_need(&rd, 8) == 0) {
        const uint8_t *e = rd.buf + rd.pos;
        uint32_t len, crc;
        double unix_s, t_scn;
        memcpy(&len, e, 4);
        memcpy(&crc, e + 4, 4);
        if (len > MAX_ENTRY || rd_need(&rd, META + len) != 0)
            break;
        e = rd.buf + rd.pos; /* (rd_need may have moved it) */
        if (mwxi_crc32c(0, e + 8, META - 8 + len) != crc)
            break; /* a torn tail: the end (not read) */
        memcpy(&unix_s, e + 8, 8);
        memcpy(&t_scn, e + 16, 8);
        if (fn && (rc = fn(user, unix_s, t_scn, e + META, len)) != MWX_OK)
            break;
        rd.pos += META + len;
        (*entries)++;
        *bytes += META + len;
    }
    free(rd.buf);
    return rc;
}

/* Every whole entry of the open file fd (named path) through fn, its count in *entries;
 * read only. */
static int replay_fd(int fd, const char *path, svc_log_fn fn, void *user, double *start,
                     uint64_t *entries, uint64_t *bytes, mwx_err_t *err)
{
    uint8_t hdr[HDR];
    *entries = *bytes = 0;
    if (read_full(fd, hdr, HDR) != 0 || memcmp(hdr, MAGIC, 8) != 0)
        return mwx_err_set(err, MWX_ECORRUPT, "%s: not an mwx node log (bad header)", path);
    memcpy(start, hdr + 8, 8);
    return read_entries(fd, path, fn, user, entries, bytes, err);
}

/* Replay a closed segment's whole entries through fn; its entry count in *entries. */
static int replay_closed(const char *path, svc_log_fn fn, void *user, double *start,
                         uint64_t *entries, mwx_err_t *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *entries = 0;
        return mwx_err_set(err, MWX_EIO, "%s: %s", path, strerror(errno));
    }
    uint64_t bytes;
    int rc = replay_fd(fd, path, fn, user, start, entries, &bytes, err);
    close(fd);
    return rc;
}

static int open_live(const char *path, double start_unix, svc_log_fn fn, void *user,
                     svc_log_t **out, double *start_unix_out, int *existed, mwx_err_t *err);

int mwxi_svc_log_open(const char *path, double start_unix, svc_log_fn fn, void *user,
                      svc_log_t **out, double *start_unix_out, int *existed, mwx_err_t *err)
{
    recseg_list_t segs;
    char name[MWX_PATH_LEN * 2 + 32];
    double seg_origin = start_unix;
    int rc = mwxi_recseg_list(path, &segs, err);
    log_seg_t *closed = NULL;
    size_t n_closed = 0;
    if (rc != MWX_OK)
        return rc;
    if (segs.n && !(closed = calloc(segs.n, sizeof *closed)))
        rc = mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", path);
    /* closed segments first, oldest first: the log reads as one */
    for (size_t i = 0; i < segs.n && rc == MWX_OK; i++) {
        struct stat sb;
        if (mwxi_recseg_name(path, segs.idx[i], 0, name, sizeof name) != MWX_OK) {
            rc = mwx_err_set(err, MWX_EINVAL, "%s: path too long", path);
            break;
        }
        if ((rc = replay_closed(name, fn, user, i ? &(double){0} : &seg_origin, &closed[i].entries,
                                err)) != MWX_OK)
            break;
        closed[i].k = segs.idx[i];
        closed[i].bytes = stat(name, &sb) == 0 ? (uint64_t)sb.st_size : 0;
        n_closed++;
    }
    mwxi_recseg_list_free(&segs);
    if (rc == MWX_OK)
        rc = open_live(path, seg_origin, fn, user, out, start_unix_out, existed, err);
    if (rc == MWX_OK) {
        svc_log_t *l = *out;
        if (n_closed) {
            *existed = 1;
            *start_unix_out = seg_origin; /* the clock of the first start */
        }
        l->segs = closed;
        l->n_segs = l->cap_segs = n_closed;
        closed = NULL;
        for (size_t i = 0; i < l->n_segs; i++)
            l->count += l->segs[i].entries;
        l->start_unix = *start_unix_out;
    }
    free(closed);
    return rc;
}

static int open_live(const char *path, double start_unix, svc_log_fn fn, void *user,
                     svc_log_t **out, double *start_unix_out, int *existed, mwx_err_t *err)
{
    svc_log_t *l = calloc(1, sizeof *l);
    uint8_t hdr[HDR];
    off_t good = HDR;
    struct stat sb;
    int rc = MWX_OK;

    *out = NULL;
    *existed = 0;
    if (!l)
        return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", path);
    pthread_mutex_init(&l->mu, NULL);
    l->seg_start = mwx_time_wall();
    mwx_strlcpy(l->path, path, sizeof l->path);
    l->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (l->fd < 0) {
        rc = mwx_err_set(err, MWX_EIO, "%s: %s", path, strerror(errno));
        free(l);
        return rc;
    }
    if (fstat(l->fd, &sb) != 0) {
        rc = mwx_err_set(err, MWX_EIO, "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (sb.st_size < HDR) {
        /* new (or torn before its header was whole): start it */
        memcpy(hdr, MAGIC, 8);
        memcpy(hdr + 8, &start_unix, 8);
        if (ftruncate(l->fd, 0) != 0 || lseek(l->fd, 0, SEEK_SET) != 0 ||
            write_full(l->fd, hdr, HDR) != 0 || fsync(l->fd) != 0) {
            rc = mwx_err_set(err, MWX_EIO, "%s: %s", path, strerror(errno));
            goto fail;
        }
        *start_unix_out = start_unix;
        l->live_bytes = HDR;
        *out = l;
        return MWX_OK;
    }
    *existed = 1;
    {
        uint64_t bytes;
        if ((rc = replay_fd(l->fd, path, fn, user, start_unix_out, &l->live_entries, &bytes,
                            err)) != MWX_OK)
            goto fail;
        l->count = l->live_entries;
        good += (off_t)bytes;
    }
    l->live_bytes = (uint64_t)good;
    /* cut a torn tail so that appends follow the last whole entry */
    if (ftruncate(l->fd, good) != 0 || lseek(l->fd, good, SEEK_SET) != good) {
        rc = mwx_err_set(err, MWX_EIO, "%s: %s", path, strerror(errno));
        goto fail;
    }
    *out = l;
    return MWX_OK;
fail:
    close(l->fd);
    pthread_mutex_destroy(&l->mu);
    free(l);
    return rc;
}

void mwxi_svc_log_set_retention(svc_log_t *l, const mwx_retention_t *ret, uint64_t keep_entries)
{
    l->ret = *ret;
    l->keep_entries = keep_entries;
    if (l->n_segs) {
        /* the live segment started when the newest closed one was last written */
        char name[MWX_PATH_LEN * 2 + 32];
        struct stat sb;
        if (mwxi_recseg_name(l->path, l->segs[l->n_segs - 1].k, 0, name, sizeof name) == MWX_OK &&
            stat(name, &sb) == 0)
            l->seg_start = (double)sb.st_mtime;
    }
}

/* Remove the oldest closed segments beyond the retention, never one whose removal would
 * leave fewer than keep_entries entries (the replay window partners recover from). */
static int log_retention(svc_log_t *l, mwx_err_t *err)
{
    char name[MWX_PATH_LEN * 2 + 32];
    uint64_t total = 0, later = l->live_entries;
    double now = mwx_time_wall();
    size_t drop = 0;
    for (size_t i = 0; i < l->n_segs; i++) {
        total += l->segs[i].bytes;
        later += l->segs[i].entries;
    }
    while (drop < l->n_segs) {
        const log_seg_t *g = &l->segs[drop];
        struct stat sb;
        if (mwxi_recseg_name(l->path, g->k, 0, name, sizeof name) != MWX_OK)
            break;
        int old = l->ret.keep_age_s > 0 && stat(name, &sb) == 0 &&
                  now - (double)sb.st_mtime > l->ret.keep_age_s;
        int over = (l->ret.keep_bytes && total > l->ret.keep_bytes) || old;
        if (!over || later - g->entries < l->keep_entries)
            break;
        if (unlink(name) != 0 && errno != ENOENT)
            return mwx_err_set(err, MWX_EIO, "%s: %s", name, strerror(errno));
        total -= g->bytes;
        later -= g->entries;
        drop++;
    }
    if (drop) {
        memmove(l->segs, l->segs + drop, (l->n_segs - drop) * sizeof *l->segs);
        l->n_segs -= drop;
        if (mwxi_recseg_fsync_dir(l->path) != 0)
            return mwx_err_set(err, MWX_EIO, "%s: fsync of its directory: %s", l->path,
                               strerror(errno));
    }
    return MWX_OK;
}

/* Close the live file as PATH.K (synced first: every entry in it is durable) and start
 * PATH again with the same header. A failure leaves the closed segments whole. */
static int log_rotate(svc_log_t *l, mwx_err_t *err)
{
    recseg_list_t segs;
    char name[MWX_PATH_LEN * 2 + 32];
    uint8_t hdr[HDR];
    int rc = mwxi_recseg_list(l->path, &segs, err);
    if (rc != MWX_OK)
        return rc;
    uint64_t k = segs.next;
    mwxi_recseg_list_free(&segs);
    if (mwxi_recseg_name(l->path, k, 0, name, sizeof name) != MWX_OK)
        return mwx_err_set(err, MWX_EINVAL, "%s: path too long", l->path);
    if (push_seg(l, k, l->live_entries, l->live_bytes) != 0)
        return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", l->path);
    l->n_segs--; /* counted once it is really there */
    pthread_mutex_lock(&l->mu);
    if (fdatasync(l->fd) != 0 || rename(l->path, name) != 0 ||
        mwxi_recseg_fsync_dir(l->path) != 0) {
        rc = mwx_err_set(err, MWX_EIO, "%s: rotating to %s: %s", l->path, name, strerror(errno));
        pthread_mutex_unlock(&l->mu);
        return rc;
    }
    l->n_segs++;
    int fd = open(l->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    memcpy(hdr, MAGIC, 8);
    memcpy(hdr + 8, &l->start_unix, 8);
    if (fd < 0 || write_full(fd, hdr, HDR) != 0 || fsync(fd) != 0 ||
        mwxi_recseg_fsync_dir(l->path) != 0) {
        rc = mwx_err_set(err, MWX_EIO, "%s: %s", l->path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(l->path); /* nothing half-written: a restart reads the closed segments */
        }
        pthread_mutex_unlock(&l->mu);
        return rc;
    }
    close(l->fd);
    l->fd = fd;
    atomic_store(&l->synced, (uint64_t)HDR);
    pthread_mutex_unlock(&l->mu);
    l->live_entries = 0;
    l->live_bytes = HDR;
    l->seg_start = mwx_time_wall();
    return log_retention(l, err);
}

int mwxi_svc_log_append(svc_log_t *l, double unix_s, double t_scn, const uint8_t *data, size_t len,
                        int sync, mwx_err_t *err)
{
    uint8_t buf[META + 4096];
    uint32_t n32 = (uint32_t)len, crc;
    if (len > sizeof buf - META)
        return mwx_err_set(err, MWX_EINVAL, "%s: entry of %zu bytes is too big", l->path, len);
    memcpy(buf + 8, &unix_s, 8);
    memcpy(buf + 16, &t_scn, 8);
    memcpy(buf + META, data, len);
    crc = mwxi_crc32c(0, buf + 8, META - 8 + len);
    memcpy(buf, &n32, 4);
    memcpy(buf + 4, &crc, 4);
    /* one write: a crash leaves a whole entry or a torn tail, never a hole */
    if (write_full(l->fd, buf, META + len) != 0)
        return mwx_err_set(err, MWX_EIO, "%s: %s", l->path, strerror(errno));
    l->live_entries++;
    l->live_bytes += META + len;
    if (sync) {
        int rc = mwxi_svc_log_sync(l, err);
        if (rc != MWX_OK)
            return rc;
    }
    l->count++;
    if ((l->ret.segment_bytes && l->live_bytes >= l->ret.segment_bytes) ||
        (l->ret.segment_age_s > 0 && mwx_time_wall() - l->seg_start >= l->ret.segment_age_s))
        return log_rotate(l, err);
    return MWX_OK;
}

int mwxi_svc_log_sync(svc_log_t *l, mwx_err_t *err)
{
    struct stat sb;
    int rc = MWX_OK;
    pthread_mutex_lock(&l->mu);
    /* every byte the file holds now was written before the sync starts: it covers them */
    int have = fstat(l->fd, &sb) == 0;
    if (fdatasync(l->fd) != 0)
        rc = mwx_err_set(err, MWX_EIO, "%s: %s", l->path, strerror(errno));
    else if (have)
        atomic_store(&l->synced, (uint64_t)sb.st_size);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

uint64_t mwxi_svc_log_synced(const svc_log_t *l)
{
    return atomic_load(&l->synced);
}

uint64_t mwxi_svc_log_count(const svc_log_t *l)
{
    return l->count;
}

void mwxi_svc_log_close(svc_log_t *l)
{
    if (!l)
        return;
    fsync(l->fd);
    close(l->fd);
    pthread_mutex_destroy(&l->mu);
    free(l->segs);
    free(l);
}

static int dump_one(void *user, double unix_s, double t_scn, const uint8_t *data, size_t len)
{
    FILE *out = user;
    mwx_envelope_t env;
    if (mwx_envelope_peek(data, len, &env, NULL) != MWX_OK) {
        fprintf(out, "{\"malformed\":true,\"len\":%zu}\n", len);
        return MWX_OK;
    }
    fprintf(out, "{\"seq\":%llu,\"origin\":\"%s\",\"type\":\"%s\",\"to\":[",
            (unsigned long long)env.seq, env.origin, mwx_payload_type_name(env.type));
    for (int i = 0; i < env.n_to; i++)
        fprintf(out, "%s\"%s\"", i ? "," : "", env.to[i]);
    fprintf(out, "],\"sent_unix_s\":%.6f,\"t\":%.3f,\"logged_unix_s\":%.6f}\n", env.sent_unix_s,
            t_scn, unix_s);
    return MWX_OK;
}

int mwxi_svc_log_read(const char *path, svc_log_fn fn, void *user, mwx_err_t *err)
{
    recseg_list_t segs;
    char name[MWX_PATH_LEN * 2 + 32];
    struct stat live, sb;
    double start;
    uint64_t n, nb;
    int rc;
    /* the live file first: a rotation from here on renames this very file to PATH.K, which
     * is then read once, through this descriptor, last */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    memset(&live, 0, sizeof live);
    if ((fd < 0 && errno != ENOENT) || (fd >= 0 && fstat(fd, &live) != 0)) {
        rc = mwx_err_set(err, MWX_EIO, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    if ((rc = mwxi_recseg_list(path, &segs, err)) != MWX_OK) {
        if (fd >= 0)
            close(fd);
        return rc;
    }
    if (fd < 0 && segs.n == 0) { /* (a crash between a rotation's rename and the new file
                                  * leaves the closed segments only) */
        mwxi_recseg_list_free(&segs);
        return mwx_err_set(err, MWX_ENOTFOUND, "%s: %s", path, strerror(ENOENT));
    }
    int live_done = fd < 0;
    for (size_t i = 0; i < segs.n && rc == MWX_OK; i++) {
        if (mwxi_recseg_name(path, segs.idx[i], 0, name, sizeof name) != MWX_OK) {
            rc = mwx_err_set(err, MWX_EINVAL, "%s: path too long", path);
            break;
        }
        int sfd = open(name, O_RDONLY | O_CLOEXEC);
        if (sfd < 0) {
            if (errno != ENOENT) /* (ENOENT: removed by the retention meanwhile) */
                rc = mwx_err_set(err, MWX_EIO, "%s: %s", name, strerror(errno));
            continue;
        }
        if (fstat(sfd, &sb) != 0) {
            rc = mwx_err_set(err, MWX_EIO, "%s: %s", name, strerror(errno));
        } else if (!live_done && sb.st_dev == live.st_dev && sb.st_ino == live.st_ino) {
            /* the live file, rotated since it was opened: read in its place, once */
            rc = replay_fd(fd, path, fn, user, &start, &n, &nb, err);
            live_done = 1;
        } else {
            rc = replay_fd(sfd, name, fn, user, &start, &n, &nb, err);
        }
        close(sfd);
    }
    mwxi_recseg_list_free(&segs);
    /* a live file shorter than its header was just created: nothing in it yet */
    if (rc == MWX_OK && !live_done && live.st_size >= HDR)
        rc = replay_fd(fd, path, fn, user, &start, &n, &nb, err);
    if (fd >= 0)
        close(fd);
    return rc;
}

int mwx_node_log_dump(const char *path, FILE *out, mwx_err_t *err)
{
    /* read only: a running node's log may be dumped, and an entry being appended reads as
     * a torn tail (the end of the dump), never cut; a crashed node's log reads as it will
     * on restart (which cuts a torn tail) */
    return mwxi_svc_log_read(path, dump_one, out, err);
}
