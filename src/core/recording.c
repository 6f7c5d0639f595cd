/* The .mwxr recording: an append-only file of framed, checksummed records.
 *
 * FILE FORMAT (version 1). All integers are little-endian.
 *
 * A recording is a 16-byte file header followed by zero or more frames:
 *
 *   File header
 *     offset size  content
 *          0    4  magic "MWXR"
 *          4    2  format version (1)
 *          6    2  flags (0; a reader refuses bits it does not know)
 *          8    4  reserved (0)
 *         12    4  CRC-32C of bytes 0..11
 *
 *   Frame (at file offset N)
 *     offset size  content
 *          0    4  payload length L (at most 16 MiB)
 *          4    1  record type (mwx_rec_type_t: 1 scenario .. 6 alert)
 *          5    3  reserved (0)
 *          8    4  header checksum H = CRC-32C(N as 8 bytes || frame bytes 0..7)
 *         12    4  frame checksum  F = CRC-32C(N as 8 bytes || frame bytes 0..7 || payload)
 *         16    L  payload: the record's protobuf message (proto/mwx_record.proto)
 *
 * The checksum is CRC-32C (Castagnoli, src/core/crc32c.c), which detects every single-bit
 * error and every burst up to 32 bits. Both checksums start from the frame's own file
 * offset, so a whole, valid frame copied to the wrong place (a misdirected write) fails
 * too.
 *
 * WHY TWO CHECKSUMS. The length decides where the next frame starts; if it were only
 * covered by the frame checksum, a flipped bit in it would send the reader past the end
 * of the file and a damaged file would look like one torn by a crash, and be cut (and
 * APPEND would then throw away every record after the damage). With its own checksum
 * the frame header is trusted before its length is used: a bad header is corruption, a
 * good header whose payload runs past the end of the file is a torn tail.
 *
 * RECOVERY RULES (reader; APPEND uses the same reader to find where to cut):
 *   1. Fewer than 16 bytes after the last whole frame: a torn tail (MWX_ETRUNC).
 *   2. A frame header whose H is right but whose L bytes of payload are not all there:
 *      a torn tail (MWX_ETRUNC). L is checked against the file size first, so a torn or
 *      hostile length never causes an allocation.
 *   3. A frame header whose H is wrong: if every byte from it to the end of the file is
 *      zero, a torn tail (some file systems extend the size before the data lands after a
 *      crash); otherwise corruption (MWX_ECORRUPT). L > 16 MiB with a right H is
 *      corruption too.
 *   4. F wrong: corruption. A payload that passes F but does not decode (a writer bug)
 *      is corruption too.
 *   5. A frame of a record type this reader does not know, with right checksums, is
 *      skipped: newer writers may add record types.
 * Every record returned before a failure is whole and verified; after a failure the
 * reader keeps returning the same error. A torn tail is what a crash of a LIVE writer
 * leaves (writers only ever append whole frames with one write(), so a reader never sees
 * half a frame except after a crash): `mwx cat` warns and exits 0; corruption is an
 * error. In follow mode, rules 1-3's torn tails are "not yet": MWX_EAGAIN, and the
 * reader resumes at the same frame when more bytes arrive; a file that shrinks below
 * what was already read (replaced, not appended to) is an error.
 *
 * WRITERS
 *   ATOMIC  writes PATH.tmp; close flushes, fsyncs, renames to PATH and fsyncs the
 *           directory; abort (or any failure in close) removes PATH.tmp. PATH is never
 *           half-written.
 *   LIVE    writes PATH directly. Records are buffered (64 KiB) and only whole frames
 *           are written, at flush or when the buffer is full, so followers see records
 *           appear whole. A failed write is cut back (ftruncate) to the last whole frame.
 *           A durable flush and close fsync the file and, once, its directory.
 *   APPEND  (implies LIVE) opens PATH (or creates it), reads it through the reader,
 *           refuses corruption, cuts a torn tail (ftruncate + fsync) and appends after
 *           the last whole frame.
 *
 * The reader reads through one reusable buffer (grown only for a frame longer than it,
 * up to 16 MiB, and only when the file holds that many bytes); records come back in the
 * caller's struct. No allocation per record.
 */
#include "mwx/core.h"

#include "core/crc32c.h"
#include "core/recseg.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_HDR       16
#define FRAME_HDR      16
#define MAX_PAYLOAD    (16u << 20)
#define FORMAT_VERSION 1
#define WBUF_CAP       (64u << 10)
#define RBUF_CAP       (64u << 10)

static const unsigned char magic[4] = {'M', 'W', 'X', 'R'};

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16), p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void file_header(unsigned char h[FILE_HDR])
{
    memset(h, 0, FILE_HDR);
    memcpy(h, magic, 4);
    h[4] = FORMAT_VERSION;
    put32(h + 12, mwxi_crc32c(0, h, 12));
}

/* CRC-32C of the frame's file offset (8 bytes LE) then the first 8 header bytes. */
static uint32_t header_crc(uint64_t off, const unsigned char *hdr)
{
    unsigned char o[8];
    for (int i = 0; i < 8; i++)
        o[i] = (unsigned char)(off >> (8 * i));
    return mwxi_crc32c(mwxi_crc32c(0, o, 8), hdr, 8);
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += k, n -= (size_t)k;
    }
    return 0;
}

/* ------------------------------------------------------------------ writer */

struct mwx_recwriter {
    int fd;
    int flags;
    char *path;
    char *tmp;          /* ATOMIC: PATH.tmp */
    uint64_t off;       /* file offset where buf[0] goes */
    unsigned char *buf; /* whole frames not yet written */
    size_t n, cap;
    uint64_t count;
    int failed;
    int dir_synced; /* LIVE: the directory entry is durable (fsync'd once) */
    /* rotation (LIVE, mwx_recwriter_set_retention; recseg.h) */
    mwx_retention_t ret;
    int rotating;
    double seg_start;     /* wall time the live segment was started */
    uint64_t seg_records; /* records in the live segment (not its leading scenario) */
    unsigned char *scn;   /* the set's scenario record (payload), repeated at each segment */
    size_t scn_len;
    double clock_start, clock_speed; /* mwx_recwriter_set_clock (speed 0: none) */
    uint64_t compact_failures, archive_dropped;
    int squeeze;           /* mwx_recwriter_squeeze: compact every closed segment */
    mwx_err_t compact_err; /* the last compaction failure */
    /* mwx_recwriter_set_async_retention: compaction on a thread of its own, which a
     * rotation only wakes; mu guards what both threads read or write (ret, squeeze, the
     * clock, the compaction's results, the thread's flags) */
    int async, th_on, want, stop;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static void retention_stop(mwx_recwriter_t *w);

static void writer_free(mwx_recwriter_t *w)
{
    retention_stop(w);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w->scn);
    free(w->buf);
    free(w->path);
    free(w->tmp);
    free(w);
}

static int writer_flush_buf(mwx_recwriter_t *w, mwx_err_t *err)
{
    if (w->failed)
        return mwx_err_set(err, MWX_EIO, "%s: an earlier write failed", w->path);
    if (!w->n)
        return 0;
    if (write_all(w->fd, w->buf, w->n)) {
        int e = errno;
        w->failed = 1;
        /* Cut back to the last whole frame so the file stays clean for readers. */
        if (ftruncate(w->fd, (off_t)w->off) == 0)
            (void)lseek(w->fd, (off_t)w->off, SEEK_SET);
        return mwx_err_set(err, MWX_EIO, "%s: write: %s", w->tmp ? w->tmp : w->path, strerror(e));
    }
    w->off += w->n;
    w->n = 0;
    return 0;
}

/* Find where an existing recording's whole frames end, refusing a damaged one. */
static int append_scan(const char *path, uint64_t *end, mwx_err_t *err)
{
    mwx_err_t e;
    mwx_err_clear(&e);
    mwx_recreader_t *r;
    int rc = mwx_recreader_open(path, MWX_READ_ONE_FILE, &r, &e);
    if (rc == 0) {
        mwx_record_t rec;
        while ((rc = mwx_recreader_next(r, &rec, &e)) == 0) {
        }
        *end = mwx_recreader_offset(r);
        mwx_recreader_close(r);
        if (rc == MWX_EOF || rc == MWX_ETRUNC)
            return 0;
    }
    return mwx_err_set(err, rc, "cannot append: %s", e.msg);
}

int mwx_recwriter_open(const char *path, int flags, mwx_recwriter_t **out, mwx_err_t *err)
{
    *out = NULL;
    if (flags & MWX_REC_APPEND)
        flags |= MWX_REC_LIVE;
    if (!(flags & (MWX_REC_ATOMIC | MWX_REC_LIVE)))
        flags |= MWX_REC_ATOMIC;
    if ((flags & MWX_REC_ATOMIC) && (flags & MWX_REC_LIVE))
        return mwx_err_set(err, MWX_EINVAL, "%s: ATOMIC and LIVE/APPEND exclude each other", path);
    mwx_recwriter_t *w = calloc(1, sizeof *w);
    if (!w)
        return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", path);
    w->fd = -1;
    w->flags = flags;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->cap = WBUF_CAP;
    w->buf = malloc(w->cap);
    w->path = strdup(path);
    if (flags & MWX_REC_ATOMIC) {
        size_t n = strlen(path) + 5;
        w->tmp = malloc(n);
        if (w->tmp)
            snprintf(w->tmp, n, "%s.tmp", path);
    }
    if (!w->buf || !w->path || ((flags & MWX_REC_ATOMIC) && !w->tmp)) {
        writer_free(w);
        return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", path);
    }

    if (flags & MWX_REC_APPEND) {
        w->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (w->fd < 0) {
            int e = errno;
            writer_free(w);
            return mwx_err_set(err, MWX_EIO, "%s: %s", path, strerror(e));
        }
        struct stat st;
        uint64_t end = 0;
        int rc = 0;
        if (fstat(w->fd, &st))
            rc = mwx_err_set(err, MWX_EIO, "%s: %s", path, strerror(errno));
        else if (st.st_size > 0)
            rc = append_scan(path, &end, err);
        if (!rc && end < (uint64_t)st.st_size) {
            /* A torn tail (or a torn header: end 0): cut it, durably, before appending. */
            if (ftruncate(w->fd, (off_t)end) || fsync(w->fd))
                rc = mwx_err_set(err, MWX_EIO, "%s: cutting the torn tail: %s", path,
                                 strerror(errno));
        }
        if (!rc && lseek(w->fd, (off_t)end, SEEK_SET) < 0)
            rc = mwx_err_set(err, MWX_EIO, "%s: %s", path, strerror(errno));
        if (rc) {
            close(w->fd);
            writer_free(w);
            return rc;
        }
        w->off = end;
    } else {
        const char *p = w->tmp ? w->tmp : path;
        w->fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (w->fd < 0) {
            int rc = mwx_err_set(err, MWX_EIO, "%s: %s", p, strerror(errno));
            writer_free(w);
            return rc;
        }
    }
    if (w->off == 0) {
        file_header(w->buf);
        w->n = FILE_HDR;
    }
    *out = w;
    return 0;
}

/* The payload of len bytes is at buf[n + FRAME_HDR]: put its frame header before it. */
static void frame_seal(mwx_recwriter_t *w, int type, size_t len)
{
    unsigned char *h = w->buf + w->n;
    put32(h, (uint32_t)len);
    h[4] = (unsigned char)type;
    h[5] = h[6] = h[7] = 0;
    uint32_t hc = header_crc(w->off + w->n, h);
    put32(h + 8, hc);
    put32(h + 12, mwxi_crc32c(hc, h + FRAME_HDR, len));
    w->n += FRAME_HDR + len;
}

int mwx_recwriter_append(mwx_recwriter_t *w, const mwx_record_t *rec, mwx_err_t *err)
{
    if (w->failed)
        return mwx_err_set(err, MWX_EIO, "%s: an earlier write failed", w->path);
    if ((int)rec->type < 1 || rec->type > MWX_REC_TYPE_MAX)
        return mwx_err_set(err, MWX_EINVAL, "%s: unknown record type %d", w->path, (int)rec->type);
    size_t len = 0;
    int rc = MWX_EFULL;
    if (w->cap - w->n > FRAME_HDR)
        rc = mwx_record_encode(rec, w->buf + w->n + FRAME_HDR, w->cap - w->n - FRAME_HDR, &len);
    if (rc == MWX_EFULL) {
        /* Not enough room: write out what is buffered, grow only for a record larger
         * than the whole buffer (a scenario with its text). */
        if ((rc = writer_flush_buf(w, err)))
            return rc;
        size_t need = mwx_record_encoded_size(rec);
        if (need > MAX_PAYLOAD)
            return mwx_err_set(err, MWX_EINVAL, "%s: %s record of %zu bytes (at most %u)", w->path,
                               mwx_rec_type_name(rec->type), need, MAX_PAYLOAD);
        if (need + FRAME_HDR > w->cap) {
            unsigned char *nb = realloc(w->buf, need + FRAME_HDR);
            if (!nb)
                return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", w->path);
            w->buf = nb, w->cap = need + FRAME_HDR;
        }
        rc = mwx_record_encode(rec, w->buf + FRAME_HDR, w->cap - FRAME_HDR, &len);
    }
    if (rc == MWX_EINVAL)
        return mwx_err_set(err, MWX_EINVAL,
                           "%s: invalid %s record (a number not finite, an enum out of "
                           "range, or a string not terminated in its field)",
                           w->path, mwx_rec_type_name(rec->type));
    if (rc)
        return mwx_err_set(err, rc, "%s: cannot encode %s record", w->path,
                           mwx_rec_type_name(rec->type));
    if (len > MAX_PAYLOAD)
        return mwx_err_set(err, MWX_EINVAL, "%s: %s record of %zu bytes (at most %u)", w->path,
                           mwx_rec_type_name(rec->type), len, MAX_PAYLOAD);
    if (rec->type == MWX_REC_SCENARIO && !w->scn) {
        /* kept for the next segments' first record */
        w->scn = malloc(len ? len : 1);
        if (!w->scn)
            return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", w->path);
        memcpy(w->scn, w->buf + w->n + FRAME_HDR, len);
        w->scn_len = len;
    } else {
        w->seg_records++;
    }
    frame_seal(w, rec->type, len);
    w->count++;
    return 0;
}

/* LIVE: make the file's bytes and, the first time, its directory entry durable (a
 * recording created and fsync'd but whose name was never persisted is lost in a crash). */
static int live_sync(mwx_recwriter_t *w, mwx_err_t *err)
{
    if (fsync(w->fd))
        return mwx_err_set(err, MWX_EIO, "%s: fsync: %s", w->path, strerror(errno));
    if (!w->tmp && !w->dir_synced) {
        if (mwxi_recseg_fsync_dir(w->path))
            return mwx_err_set(err, MWX_EIO, "%s: fsync of its directory: %s", w->path,
                               strerror(errno));
        w->dir_synced = 1;
    }
    return 0;
}

/* Compact (into the archive) the oldest closed segments beyond the retention; remove
 * the leftovers of a compaction a crash cut short. The archive is bounded by keep_bytes
 * and (with a clock) keep_age_s too. A failure (a full disk, a damaged segment) is
 * counted and kept for mwx_recwriter_compaction_failures, never returned: the recording
 * goes on (its closed segments stay whole and readable; the next rotation tries again),
 * and only a failed write of the recording itself stops its writer. */
static void compaction_failed(mwx_recwriter_t *w, const mwx_err_t *e)
{
    pthread_mutex_lock(&w->mu);
    w->compact_failures++;
    w->compact_err = *e;
    pthread_mutex_unlock(&w->mu);
}

static void apply_retention(mwx_recwriter_t *w)
{
    recseg_list_t l;
    char name[MWX_PATH_LEN * 2];
    mwx_err_t e = {0};
    pthread_mutex_lock(&w->mu);
    const mwx_retention_t ret = w->ret;
    const int squeeze = w->squeeze;
    const double clock_start = w->clock_start, clock_speed = w->clock_speed;
    pthread_mutex_unlock(&w->mu);
    int rc = mwxi_recseg_list(w->path, &l, &e);
    if (rc) {
        compaction_failed(w, &e);
        return;
    }
    for (size_t i = 0; i < l.n_stale; i++)
        if (!mwxi_recseg_name(w->path, l.stale[i], 0, name, sizeof name))
            (void)unlink(name);
    for (size_t i = 0; i < l.n_stale_arch; i++)
        if (!mwxi_recseg_name(w->path, l.stale_arch[i], 1, name, sizeof name))
            (void)unlink(name);
    /* a compaction a crash cut short (this writer runs one at a time, and none now) */
    for (size_t i = 0; i < l.n_stale_tmp; i++)
        if (!mwxi_recseg_name(w->path, l.stale_tmp[i], 1, name, sizeof name - 4)) {
            strcat(name, ".tmp");
            (void)unlink(name);
        }
    uint64_t total = 0;
    struct stat st;
    for (size_t i = 0; i < l.n; i++)
        if (!mwxi_recseg_name(w->path, l.idx[i], 0, name, sizeof name) && !stat(name, &st))
            total += (uint64_t)st.st_size;
    double now = mwx_time_wall();
    double t_min = clock_speed > 0 && ret.keep_age_s > 0
                       ? (now - ret.keep_age_s - clock_start) * clock_speed
                       : -INFINITY;
    uint64_t archive = l.archive;
    for (size_t i = 0; i < l.n && !rc; i++) {
        if (mwxi_recseg_name(w->path, l.idx[i], 0, name, sizeof name) || stat(name, &st))
            break;
        uint64_t keep = squeeze ? 1 : ret.keep_bytes;
        int over = (keep && total > keep) ||
                   (ret.keep_age_s > 0 && now - (double)st.st_mtime > ret.keep_age_s);
        if (!over)
            break;
        uint64_t dropped = 0;
        rc = mwxi_recseg_compact(w->path, archive, l.idx[i], ret.keep_bytes, t_min, &dropped, &e);
        if (rc) {
            compaction_failed(w, &e);
            break;
        }
        pthread_mutex_lock(&w->mu);
        w->archive_dropped += dropped;
        pthread_mutex_unlock(&w->mu);
        archive = l.idx[i];
        total -= (uint64_t)st.st_size;
    }
    mwxi_recseg_list_free(&l);
}

static void *retention_main(void *arg)
{
    mwx_recwriter_t *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->want && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->want)
            break; /* stopped, nothing asked for */
        w->want = 0;
        pthread_mutex_unlock(&w->mu);
        apply_retention(w);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* After a rotation: the retention now, or (async) on the compaction thread, started at the
 * first call; one asked for while another runs follows it. Without a thread (it could not
 * be started) the retention runs here. */
static void request_retention(mwx_recwriter_t *w)
{
    pthread_mutex_lock(&w->mu);
    int async = w->async;
    if (async) {
        w->want = 1;
        if (!w->th_on && pthread_create(&w->th, NULL, retention_main, w) == 0)
            w->th_on = 1;
        async = w->th_on;
        if (async)
            pthread_cond_signal(&w->cv);
        else
            w->want = 0;
    }
    pthread_mutex_unlock(&w->mu);
    if (!async)
        apply_retention(w);
}

/* Let a compaction under way (and one asked for) finish, then end the thread. */
static void retention_stop(mwx_recwriter_t *w)
{
    pthread_mutex_lock(&w->mu);
    int on = w->th_on;
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (on)
        pthread_join(w->th, NULL);
    w->th_on = 0;
}

void mwx_recwriter_set_async_retention(mwx_recwriter_t *w, int on)
{
    pthread_mutex_lock(&w->mu);
    w->async = on != 0;
    pthread_mutex_unlock(&w->mu);
}

void mwx_recwriter_set_clock(mwx_recwriter_t *w, double start_unix, double speed)
{
    pthread_mutex_lock(&w->mu);
    w->clock_start = start_unix;
    w->clock_speed = speed > 0 ? speed : 0;
    pthread_mutex_unlock(&w->mu);
}

uint64_t mwx_recwriter_compaction_failures(const mwx_recwriter_t *w, mwx_err_t *last)
{
    pthread_mutex_t *mu = (pthread_mutex_t *)&w->mu; /* (a lock is no change of state) */
    pthread_mutex_lock(mu);
    uint64_t n = w->compact_failures;
    if (last && n)
        *last = w->compact_err;
    pthread_mutex_unlock(mu);
    return n;
}

uint64_t mwx_recwriter_archive_dropped(const mwx_recwriter_t *w)
{
    pthread_mutex_t *mu = (pthread_mutex_t *)&w->mu;
    pthread_mutex_lock(mu);
    uint64_t n = w->archive_dropped;
    pthread_mutex_unlock(mu);
    return n;
}

static int rotate(mwx_recwriter_t *w, mwx_err_t *err);

/* Squeezed, the live segment rotates at this size at most (it is the one growing). */
#define SQUEEZE_SEGMENT (1024 * 1024)

int mwx_recwriter_squeeze(mwx_recwriter_t *w, int on, mwx_err_t *err)
{
    pthread_mutex_lock(&w->mu);
    w->squeeze = on;
    pthread_mutex_unlock(&w->mu);
    if (!on)
        return MWX_OK;
    int rc = writer_flush_buf(w, err);
    if (rc)
        return rc;
    if (w->seg_records)
        return rotate(w, err);
    request_retention(w);
    return MWX_OK;
}

/* Close the live file as the next segment BASE.K and start BASE again: the file header
 * and the set's scenario record, durable before anything else is written. */
static int rotate(mwx_recwriter_t *w, mwx_err_t *err)
{
    recseg_list_t l;
    char name[MWX_PATH_LEN * 2];
    int rc = live_sync(w, err);
    if (rc || (rc = mwxi_recseg_list(w->path, &l, err)))
        return rc;
    rc = mwxi_recseg_name(w->path, l.next, 0, name, sizeof name);
    mwxi_recseg_list_free(&l);
    if (rc)
        return mwx_err_set(err, MWX_EINVAL, "%s: path too long", w->path);
    if (rename(w->path, name) || mwxi_recseg_fsync_dir(w->path))
        return mwx_err_set(err, MWX_EIO, "%s: rotating to %s: %s", w->path, name, strerror(errno));
    close(w->fd);
    w->fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    w->off = 0;
    w->n = 0;
    w->dir_synced = 0;
    w->seg_records = 0;
    w->seg_start = mwx_time_wall();
    if (w->fd < 0) {
        w->failed = 1;
        return mwx_err_set(err, MWX_EIO, "%s: %s", w->path, strerror(errno));
    }
    size_t need = FILE_HDR + FRAME_HDR + w->scn_len;
    if (need > w->cap) {
        unsigned char *nb = realloc(w->buf, need);
        if (!nb)
            return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", w->path);
        w->buf = nb, w->cap = need;
    }
    file_header(w->buf);
    w->n = FILE_HDR;
    if (w->scn) {
        memcpy(w->buf + w->n + FRAME_HDR, w->scn, w->scn_len);
        frame_seal(w, MWX_REC_SCENARIO, w->scn_len);
    }
    if ((rc = writer_flush_buf(w, err)) || (rc = live_sync(w, err)))
        return rc;
    request_retention(w);
    return MWX_OK;
}

int mwx_recwriter_flush(mwx_recwriter_t *w, int durable, mwx_err_t *err)
{
    int rc = writer_flush_buf(w, err);
    uint64_t seg = w->ret.segment_bytes;
    if (w->squeeze && (!seg || seg > SQUEEZE_SEGMENT))
        seg = SQUEEZE_SEGMENT;
    if (!rc && (w->rotating || w->squeeze) && w->seg_records &&
        ((seg && w->off >= seg) ||
         (w->ret.segment_age_s > 0 && mwx_time_wall() - w->seg_start >= w->ret.segment_age_s)))
        return rotate(w, err);
    if (!rc && durable)
        rc = live_sync(w, err);
    return rc;
}

int mwx_recwriter_set_retention(mwx_recwriter_t *w, const mwx_retention_t *ret, mwx_err_t *err)
{
    if (!(w->flags & MWX_REC_LIVE))
        return mwx_err_set(err, MWX_EINVAL, "%s: only a LIVE recording rotates", w->path);
    pthread_mutex_lock(&w->mu);
    w->ret = *ret;
    pthread_mutex_unlock(&w->mu);
    w->rotating = ret->segment_bytes > 0 || ret->segment_age_s > 0;
    w->seg_start = mwx_time_wall();
    if (w->off > FILE_HDR)
        w->seg_records = 1; /* appending to a segment that holds records */
    recseg_list_t l;
    int rc = mwxi_recseg_list(w->path, &l, err);
    if (rc)
        return rc;
    if (l.n) {
        /* the live segment started when the newest closed one was last written */
        char name[MWX_PATH_LEN * 2];
        struct stat st;
        if (!mwxi_recseg_name(w->path, l.idx[l.n - 1], 0, name, sizeof name) && !stat(name, &st))
            w->seg_start = (double)st.st_mtime;
    }
    mwxi_recseg_list_free(&l);
    if (w->scn || !w->off)
        return MWX_OK;
    /* APPEND: the set's scenario record, to start the next segments with */
    mwx_recreader_t *r;
    mwx_record_t rec;
    mwx_err_t e = {0};
    if (mwx_recreader_open(w->path, 0, &r, &e) != MWX_OK)
        return MWX_OK;
    if (mwx_recreader_next(r, &rec, &e) == MWX_OK && rec.type == MWX_REC_SCENARIO) {
        size_t n = mwx_record_encoded_size(&rec), len = 0;
        w->scn = malloc(n ? n : 1);
        if (!w->scn || mwx_record_encode(&rec, w->scn, n, &len) != MWX_OK) {
            free(w->scn);
            w->scn = NULL;
            mwx_recreader_close(r);
            return mwx_err_set(err, MWX_ENOMEM, "%s: cannot keep its scenario record", w->path);
        }
        w->scn_len = len;
    }
    mwx_recreader_close(r);
    return MWX_OK;
}

int mwx_recwriter_close(mwx_recwriter_t *w, mwx_err_t *err)
{
    if (!w)
        return 0;
    int rc = writer_flush_buf(w, err);
    if (!rc && w->tmp && fsync(w->fd))
        rc = mwx_err_set(err, MWX_EIO, "%s: fsync: %s", w->tmp, strerror(errno));
    else if (!rc && !w->tmp)
        rc = live_sync(w, err);
    if (close(w->fd) && !rc)
        rc = mwx_err_set(err, MWX_EIO, "%s: close: %s", w->tmp ? w->tmp : w->path, strerror(errno));
    if (w->tmp) {
        if (!rc && rename(w->tmp, w->path))
            rc = mwx_err_set(err, MWX_EIO, "%s: rename: %s", w->path, strerror(errno));
        if (rc)
            unlink(w->tmp);
        else if (mwxi_recseg_fsync_dir(w->path))
            rc = mwx_err_set(err, MWX_EIO, "%s: fsync of its directory: %s", w->path,
                             strerror(errno));
    }
    writer_free(w);
    return rc;
}

void mwx_recwriter_abort(mwx_recwriter_t *w)
{
    if (!w)
        return;
    close(w->fd);
    if (w->tmp)
        unlink(w->tmp);
    writer_free(w);
}

uint64_t mwx_recwriter_count(const mwx_recwriter_t *w)
{
    return w ? w->count : 0;
}

/* ------------------------------------------------------------------ reader */

struct mwx_recreader {
    int fd;
    int flags;
    char *path;
    unsigned char *buf; /* bytes [start, end) are the file's bytes from pos on */
    size_t cap, start, end;
    uint64_t pos; /* file offset of buf[start]: just past the last whole frame */
    int have_header;
    int sticky; /* ETRUNC / ECORRUPT / ...: returned again on every call */
    mwx_err_t sticky_err;
    char *json; /* scenario text of the last scenario record */
    size_t json_cap;
    /* a rotated set (recseg.h): the files read in order, the one being read */
    char **paths;
    size_t n_paths, seg;
    int seg_start; /* no record returned yet from this segment */
    int scn_seen;  /* a scenario record was returned (later segments repeat it) */
    int torn_code; /* an earlier closed segment ended torn: reported at the end */
    mwx_err_t torn_err;
};

/* Make at least want bytes available from start (fewer at the end of the file).
 * Returns the number available, or -1 on a read error (errno set). */
static long long fill(mwx_recreader_t *r, size_t want)
{
    if (r->end - r->start >= want)
        return (long long)(r->end - r->start);
    if (r->cap - r->start < want) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
        if (r->cap < want) {
            unsigned char *nb = realloc(r->buf, want);
            if (!nb) {
                errno = ENOMEM;
                return -1;
            }
            r->buf = nb, r->cap = want;
        }
    }
    while (r->end - r->start < want) {
        ssize_t k =
            pread(r->fd, r->buf + r->end, r->cap - r->end, (off_t)(r->pos + (r->end - r->start)));
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (k == 0)
            break;
        r->end += (size_t)k;
    }
    return (long long)(r->end - r->start);
}

static uint64_t file_size(const mwx_recreader_t *r)
{
    struct stat st;
    return fstat(r->fd, &st) ? 0 : (uint64_t)st.st_size;
}

/* 1 when every byte from off to the end of the file is zero. */
static int zeros_to_eof(const mwx_recreader_t *r, uint64_t off)
{
    unsigned char tmp[4096];
    for (;;) {
        ssize_t k = pread(r->fd, tmp, sizeof tmp, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k == 0;
        for (ssize_t i = 0; i < k; i++)
            if (tmp[i])
                return 0;
        off += (uint64_t)k;
    }
}

static int fail(mwx_recreader_t *r, mwx_err_t *err, int code, const char *fmt, ...)
    MWX_PRINTF(4, 5);

/* Set a sticky error: every later call returns it again. */
static int fail(mwx_recreader_t *r, mwx_err_t *err, int code, const char *fmt, ...)
{
    va_list ap;
    char msg[sizeof r->sticky_err.msg];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->sticky = code;
    r->sticky_err.code = code;
    snprintf(r->sticky_err.msg, sizeof r->sticky_err.msg, "%s: %s", r->path, msg);
    return mwx_err_set(err, code, "%s", r->sticky_err.msg);
}

static int io_fail(mwx_recreader_t *r, mwx_err_t *err)
{
    int e = errno;
    if (e == ENOMEM)
        return fail(r, err, MWX_ENOMEM, "out of memory");
    return fail(r, err, MWX_EIO, "read: %s", strerror(e));
}

/* The file header: 0 when read and valid; MWX_EAGAIN when the file is still shorter
 * than a header that matches so far; an error otherwise. */
static int read_header(mwx_recreader_t *r, mwx_err_t *err)
{
    long long n = fill(r, FILE_HDR);
    if (n < 0)
        return io_fail(r, err);
    const unsigned char *h = r->buf + r->start;
    if (memcmp(h, magic, (size_t)(n < 4 ? n : 4)) != 0)
        return fail(r, err, MWX_ECORRUPT, "not an mwx recording (no MWXR magic)");
    if (n < FILE_HDR)
        return MWX_EAGAIN;
    if (get32(h + 12) != mwxi_crc32c(0, h, 12))
        return fail(r, err, MWX_ECORRUPT, "checksum mismatch in the file header");
    unsigned version = (unsigned)h[4] | (unsigned)h[5] << 8;
    unsigned flags = (unsigned)h[6] | (unsigned)h[7] << 8;
    if (version != FORMAT_VERSION)
        return fail(r, err, MWX_EUNSUPPORTED, "format version %u (this mwx reads %d)", version,
                    FORMAT_VERSION);
    if (flags || get32(h + 8))
        return fail(r, err, MWX_EUNSUPPORTED, "unknown header flags 0x%x", flags);
    r->start += FILE_HDR;
    r->pos = FILE_HDR;
    r->have_header = 1;
    return 0;
}

/* Open one file of the set into r (fd, path, header). */
static int open_file(mwx_recreader_t *r, const char *path, mwx_err_t *err)
{
    char *p = strdup(path);
    if (!p)
        return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", path);
    if (r->fd >= 0)
        close(r->fd);
    free(r->path);
    r->path = p;
    r->start = r->end = 0;
    r->pos = 0;
    r->have_header = 0;
    r->sticky = 0;
    r->seg_start = 1;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    int rc = 0;
    if (r->fd < 0)
        rc = mwx_err_set(err, errno == ENOENT ? MWX_ENOTFOUND : MWX_EIO, "%s: %s", path,
                         strerror(errno));
    else if (fstat(r->fd, &st))
        rc = mwx_err_set(err, MWX_EIO, "%s: %s", path, strerror(errno));
    else if (S_ISDIR(st.st_mode))
        rc = mwx_err_set(err, MWX_EINVAL, "%s: is a directory", path);
    else if (st.st_size > 0) {
        /* Report a wrong file now; a header still being written is left for next(). */
        rc = read_header(r, err);
        if (rc == MWX_EAGAIN)
            rc = 0;
    }
    return rc;
}

int mwx_recreader_open(const char *path, int flags, mwx_recreader_t **out, mwx_err_t *err)
{
    *out = NULL;
    mwx_recreader_t *r = calloc(1, sizeof *r);
    if (!r)
        return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", path);
    r->fd = -1;
    r->flags = flags;
    r->cap = RBUF_CAP;
    r->buf = malloc(r->cap);
    if (!r->buf) {
        free(r);
        return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", path);
    }
    int rc = 0;
    if (!(flags & MWX_READ_ONE_FILE))
        rc = mwxi_recseg_paths(path, flags & MWX_READ_FOLLOW, &r->paths, &r->n_paths, err);
    if (!rc)
        rc = open_file(r, r->n_paths ? r->paths[0] : path, err);
    if (rc) {
        mwx_recreader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* Following the set's last file (the live one, which may still grow). */
static int following(const mwx_recreader_t *r)
{
    return (r->flags & MWX_READ_FOLLOW) && r->seg + 1 >= r->n_paths;
}

/* Go on to the next file of the set: 1 when there is one, 0 at the end, or an error.
 * A closed segment that vanished (compacted away after the set was listed) is skipped. */
static int next_file(mwx_recreader_t *r, mwx_err_t *err)
{
    while (r->seg + 1 < r->n_paths) {
        r->seg++;
        mwx_err_t e = {0};
        int rc = open_file(r, r->paths[r->seg], &e);
        if (rc == MWX_ENOTFOUND && r->seg + 1 < r->n_paths)
            continue;
        if (rc)
            return fail(r, err, rc, "cannot open: %s", e.msg);
        return 1;
    }
    return 0;
}

/* Following: the live file was renamed to a closed segment and a new one started in its
 * place. Only whole, fsync'd frames were written before the rename. 1 when it did. */
static int rotated_away(mwx_recreader_t *r)
{
    struct stat a, b;
    const char *base = r->n_paths ? r->paths[r->n_paths - 1] : NULL;
    if (!base || !(r->flags & MWX_READ_FOLLOW) || (r->flags & MWX_READ_ONE_FILE))
        return 0;
    if (stat(base, &b) || fstat(r->fd, &a))
        return 0;
    return a.st_ino != b.st_ino || a.st_dev != b.st_dev;
}

/* A torn tail at r->pos: MWX_EAGAIN when following, else the sticky MWX_ETRUNC. */
static int torn(mwx_recreader_t *r, mwx_err_t *err, const char *what)
{
    if (following(r))
        return MWX_EAGAIN;
    uint64_t size = file_size(r);
    uint64_t k = size > r->pos ? size - r->pos : 0;
    return fail(r, err, MWX_ETRUNC, "torn %s at byte %llu (%llu bytes), cut", what,
                (unsigned long long)r->pos, (unsigned long long)k);
}

static int next_in_file(mwx_recreader_t *r, mwx_record_t *rec, mwx_err_t *err)
{
    if (r->sticky)
        return mwx_err_set(err, r->sticky, "%s", r->sticky_err.msg);
    if (!r->have_header) {
        int rc = read_header(r, err);
        if (rc == MWX_EAGAIN)
            return torn(r, err, "header");
        if (rc)
            return rc;
    }
    for (;;) {
        long long n = fill(r, FRAME_HDR);
        if (n < 0)
            return io_fail(r, err);
        if (n == 0) {
            if (!following(r))
                return MWX_EOF;
            /* Recordings only grow (APPEND cuts torn bytes, never whole frames): a file
             * shorter than what was read was replaced, and waiting would be forever. */
            uint64_t size = file_size(r);
            if (size < r->pos)
                return fail(r, err, MWX_ECORRUPT,
                            "shrank to %llu bytes while being followed at byte %llu",
                            (unsigned long long)size, (unsigned long long)r->pos);
            return MWX_EAGAIN;
        }
        if (n < FRAME_HDR)
            return torn(r, err, "record");
        const unsigned char *h = r->buf + r->start;
        uint32_t len = get32(h);
        uint32_t hc = header_crc(r->pos, h);
        if (get32(h + 8) != hc) {
            if (zeros_to_eof(r, r->pos))
                return torn(r, err, "record");
            return fail(r, err, MWX_ECORRUPT, "checksum mismatch in record at byte %llu",
                        (unsigned long long)r->pos);
        }
        if (h[5] || h[6] || h[7])
            return fail(r, err, MWX_ECORRUPT, "record at byte %llu: reserved bytes set",
                        (unsigned long long)r->pos);
        if (len > MAX_PAYLOAD)
            return fail(r, err, MWX_ECORRUPT, "record at byte %llu claims %lu bytes (at most %u)",
                        (unsigned long long)r->pos, (unsigned long)len, MAX_PAYLOAD);
        size_t total = FRAME_HDR + (size_t)len;
        if ((size_t)n < total) {
            /* Only read (and grow the buffer) for bytes the file really has. */
            if (file_size(r) < r->pos + total)
                return torn(r, err, "record");
            n = fill(r, total);
            if (n < 0)
                return io_fail(r, err);
            if ((size_t)n < total)
                return torn(r, err, "record");
            h = r->buf + r->start;
        }
        if (get32(h + 12) != mwxi_crc32c(hc, h + FRAME_HDR, len))
            return fail(r, err, MWX_ECORRUPT, "checksum mismatch in record at byte %llu",
                        (unsigned long long)r->pos);
        int type = h[4];
        if (type < 1 || type > MWX_REC_TYPE_MAX) {
            r->start += total;
            r->pos += total;
            continue; /* a newer writer's record type: skip it whole */
        }
        char *json = NULL;
        size_t json_cap = 0;
        if (type == MWX_REC_SCENARIO) {
            if (r->json_cap < (size_t)len + 1) {
                char *nj = realloc(r->json, (size_t)len + 1);
                if (!nj)
                    return fail(r, err, MWX_ENOMEM, "out of memory");
                r->json = nj, r->json_cap = (size_t)len + 1;
            }
            json = r->json, json_cap = r->json_cap;
        }
        mwx_err_t derr;
        mwx_err_clear(&derr);
        int rc =
            mwx_record_decode((mwx_rec_type_t)type, h + FRAME_HDR, len, rec, json, json_cap, &derr);
        if (rc)
            return fail(r, err, MWX_ECORRUPT, "record at byte %llu: %s", (unsigned long long)r->pos,
                        derr.msg);
        r->start += total;
        r->pos += total;
        return 0;
    }
}

int mwx_recreader_next(mwx_recreader_t *r, mwx_record_t *rec, mwx_err_t *err)
{
    for (;;) {
        int rc = next_in_file(r, rec, err);
        if (rc == MWX_OK) {
            int first = r->seg_start;
            r->seg_start = 0;
            if (rec->type == MWX_REC_SCENARIO) {
                if (first && r->scn_seen)
                    continue; /* each segment starts with the set's scenario record */
                r->scn_seen = 1;
            }
            return MWX_OK;
        }
        if (rc == MWX_EAGAIN && following(r) && rotated_away(r)) {
            /* everything the old file will ever hold is there now: read it to its end */
            r->n_paths++; /* the base becomes the next file */
            char **np = realloc(r->paths, (r->n_paths + 1) * sizeof *np);
            char *base = np ? strdup(np[r->n_paths - 2]) : NULL;
            if (!np || !base) {
                if (np)
                    r->paths = np;
                r->n_paths--;
                free(base);
                return fail(r, err, MWX_ENOMEM, "out of memory");
            }
            r->paths = np;
            r->paths[r->n_paths - 1] = base;
            r->paths[r->n_paths] = NULL;
            continue;
        }
        if ((rc == MWX_EOF || rc == MWX_ETRUNC) && r->seg + 1 < r->n_paths) {
            if (rc == MWX_ETRUNC && !r->torn_code) {
                /* a closed segment ends torn: its whole frames count, the rest is cut */
                r->torn_code = rc;
                r->torn_err = r->sticky_err;
            }
            int k = next_file(r, err);
            if (k < 0)
                return k;
            continue;
        }
        if (rc == MWX_EOF && r->torn_code) {
            r->sticky = r->torn_code;
            r->sticky_err = r->torn_err;
            return mwx_err_set(err, r->torn_code, "%s", r->torn_err.msg);
        }
        return rc;
    }
}

uint64_t mwx_recreader_offset(const mwx_recreader_t *r)
{
    return r ? r->pos : 0;
}

void mwx_recreader_close(mwx_recreader_t *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r->buf);
    free(r->path);
    free(r->json);
    mwxi_recseg_paths_free(r->paths, r->n_paths);
    free(r);
}
