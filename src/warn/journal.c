/* The warning journal: the durable state of a context's alert series, so that a restarted
 * node continues each series (an Update or Cancel referencing what the public already has)
 * instead of warning afresh. warn.c decides what a record holds; this file only keeps
 * records safely:
 *
 *   file    "MWXWJ01\n" | u32 record layout size | u32 0, then entries
 *   entry   u32 length | u32 CRC-32C of the payload | payload
 *
 * One write() per entry, then fdatasync (when durable) before the caller publishes the
 * message the entry describes. A crash leaves whole entries or a torn tail; open() cuts
 * the tail at the first entry whose length or CRC is wrong. A rewrite (compaction) goes to
 * PATH.tmp, is fsynced and renamed over PATH, so the journal is at all times either the
 * old or the new one. */
#define _POSIX_C_SOURCE 200809L
#include "warn/warn_internal.h"
#include "core/crc32c.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JMAGIC "MWXWJ01\n"
#define JHDR   16
#define JMAX   (1u << 20) /* an entry larger than this is damage, not a record */

struct mwx_warn_journal {
    int fd;
    int durable;
    uint32_t layout;
    uint64_t size;
    uint64_t entries;
    char path[MWX_PATH_LEN + 64];
};

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
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

static int io_err(mwx_err_t *err, const char *what, const char *path)
{
    int e = errno;
    return mwx_err_set(err, e == ENOSPC || e == EDQUOT ? MWX_EFULL : MWX_EIO,
                       "warn journal: %s %s: %s", what, path, strerror(e));
}

static void header(uint8_t *h, uint32_t layout)
{
    memcpy(h, JMAGIC, 8);
    put32(h + 8, layout);
    put32(h + 12, 0);
}

static int sync_dir_of(const char *path)
{
    char dir[MWX_PATH_LEN + 64];
    char *slash;
    int fd, rc;
    mwx_strlcpy(dir, path, sizeof dir);
    slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

int mwxi_warn_journal_open(const char *path, uint32_t layout, int durable,
                           int (*each)(void *user, const void *rec, size_t len), void *user,
                           mwx_warn_journal_t **out, mwx_err_t *err)
{
    mwx_warn_journal_t *j;
    struct stat st;
    uint8_t *buf = NULL;
    uint64_t good = 0;
    int rc = MWX_OK;

    *out = NULL;
    if (strlen(path) >= MWX_PATH_LEN)
        return mwx_err_set(err, MWX_EINVAL, "warn journal: path too long");
    j = calloc(1, sizeof *j);
    if (!j)
        return mwx_err_set(err, MWX_ENOMEM, "warn journal: out of memory");
    j->durable = durable;
    j->layout = layout;
    mwx_strlcpy(j->path, path, sizeof j->path);
    j->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (j->fd < 0) {
        rc = io_err(err, "cannot open", path);
        free(j);
        return rc;
    }
    if (fstat(j->fd, &st) != 0) {
        rc = io_err(err, "cannot stat", path);
        goto fail;
    }
    if (st.st_size > 0) {
        size_t n = (size_t)st.st_size, off = JHDR;
        ssize_t r;
        size_t got = 0;
        buf = malloc(n);
        if (!buf) {
            rc = mwx_err_set(err, MWX_ENOMEM, "warn journal: out of memory");
            goto fail;
        }
        while (got < n && (r = pread(j->fd, buf + got, n - got, (off_t)got)) != 0) {
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                rc = io_err(err, "cannot read", path);
                goto fail;
            }
            got += (size_t)r;
        }
        n = got;
        if (n < JHDR || memcmp(buf, JMAGIC, 8) != 0) {
            rc = mwx_err_set(err, MWX_ECORRUPT, "warn journal %s: not a warning journal", path);
            goto fail;
        }
        if (get32(buf + 8) != layout) {
            rc = mwx_err_set(err, MWX_ECORRUPT,
                             "warn journal %s: written by another build "
                             "(record layout %u, this one %u)",
                             path, get32(buf + 8), layout);
            goto fail;
        }
        good = JHDR;
        while (off + 8 <= n) {
            uint32_t len = get32(buf + off), crc = get32(buf + off + 4);
            if (len == 0 || len > JMAX || off + 8 + len > n ||
                mwxi_crc32c(0, buf + off + 8, len) != crc)
                break; /* torn or damaged tail: cut below */
            if (each && (rc = each(user, buf + off + 8, len)) != MWX_OK) {
                rc = mwx_err_set(err, rc, "warn journal %s: unreadable entry at byte %zu", path,
                                 off);
                goto fail;
            }
            off += 8 + len;
            good = off;
            j->entries++;
        }
        if (good < (uint64_t)st.st_size &&
            (ftruncate(j->fd, (off_t)good) != 0 || (durable && fsync(j->fd) != 0))) {
            rc = io_err(err, "cannot cut the torn tail of", path);
            goto fail;
        }
    } else {
        uint8_t h[JHDR];
        header(h, layout);
        if (write_full(j->fd, h, JHDR) != 0 || (durable && fsync(j->fd) != 0) ||
            (durable && sync_dir_of(path) != 0)) {
            rc = io_err(err, "cannot write", path);
            goto fail;
        }
        good = JHDR;
    }
    if (lseek(j->fd, (off_t)good, SEEK_SET) < 0) {
        rc = io_err(err, "cannot seek", path);
        goto fail;
    }
    j->size = good;
    free(buf);
    *out = j;
    return MWX_OK;
fail:
    free(buf);
    close(j->fd);
    free(j);
    return rc;
}

int mwxi_warn_journal_append(mwx_warn_journal_t *j, const void *rec, size_t len, mwx_err_t *err)
{
    uint8_t *e;
    int ok;
    if (len == 0 || len > JMAX)
        return mwx_err_set(err, MWX_EINVAL, "warn journal: bad entry size %zu", len);
    e = malloc(8 + len);
    if (!e)
        return mwx_err_set(err, MWX_ENOMEM, "warn journal: out of memory");
    put32(e, (uint32_t)len);
    put32(e + 4, mwxi_crc32c(0, rec, len));
    memcpy(e + 8, rec, len);
    ok = write_full(j->fd, e, 8 + len) == 0 && (!j->durable || fdatasync(j->fd) == 0);
    free(e);
    if (!ok) {
        int rc = io_err(err, "cannot append to", j->path);
        /* nothing half-written stays: the next entry starts where this one should have */
        if (ftruncate(j->fd, (off_t)j->size) == 0)
            (void)lseek(j->fd, (off_t)j->size, SEEK_SET);
        return rc;
    }
    j->size += 8 + len;
    j->entries++;
    return MWX_OK;
}

int mwxi_warn_journal_rewrite(mwx_warn_journal_t *j, const void *const *recs, const size_t *lens,
                              size_t n, mwx_err_t *err)
{
    char tmp[MWX_PATH_LEN + 80];
    uint8_t h[JHDR];
    uint64_t size = JHDR;
    int fd, rc;

    snprintf(tmp, sizeof tmp, "%s.tmp", j->path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return io_err(err, "cannot create", tmp);
    header(h, j->layout);
    if (write_full(fd, h, JHDR) != 0)
        goto ioerr;
    for (size_t i = 0; i < n; i++) {
        uint8_t eh[8];
        put32(eh, (uint32_t)lens[i]);
        put32(eh + 4, mwxi_crc32c(0, recs[i], lens[i]));
        if (write_full(fd, eh, 8) != 0 || write_full(fd, recs[i], lens[i]) != 0)
            goto ioerr;
        size += 8 + lens[i];
    }
    if ((j->durable && fsync(fd) != 0) || rename(tmp, j->path) != 0)
        goto ioerr;
    if (j->durable)
        (void)sync_dir_of(j->path);
    close(j->fd);
    j->fd = fd; /* the new file, positioned at its end */
    j->size = size;
    j->entries = n;
    return MWX_OK;
ioerr:
    rc = io_err(err, "cannot rewrite", tmp);
    close(fd);
    unlink(tmp);
    return rc;
}

uint64_t mwxi_warn_journal_size(const mwx_warn_journal_t *j)
{
    return j ? j->size : 0;
}

uint64_t mwxi_warn_journal_entries(const mwx_warn_journal_t *j)
{
    return j ? j->entries : 0;
}

void mwxi_warn_journal_close(mwx_warn_journal_t *j)
{
    if (!j)
        return;
    if (j->durable)
        (void)fsync(j->fd);
    close(j->fd);
    free(j);
}
