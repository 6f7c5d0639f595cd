/* Small helpers of the warn module: numbers and XML escaping into the core buffer, atomic
 * file writes, and the Korean names of the KR regions (the regions file carries English
 * names for them). */
#define _GNU_SOURCE /* O_TMPFILE, linkat via /proc, renameat2(RENAME_EXCHANGE), F_SETLEASE */
#include "warn/warn_internal.h"

#include "core/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void mwxi_warn_fixed(mwx_buf_t *b, double v, int decimals)
{
    static const double scale[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7};
    char tmp[48], *p = tmp + sizeof tmp;
    long long q;
    int neg;
    /* printf's %.Nf is exact but slow; coordinates need fixed decimals only. Outside a
     * safe range (or not finite) fall back to printf. */
    if (decimals < 0 || decimals > 7 || !(fabs(v) < 1e9)) {
        mwxi_buf_printf(b, "%.*f", decimals < 0 ? 0 : decimals > 7 ? 7 : decimals, v);
        return;
    }
    q = llround(fabs(v) * scale[decimals]);
    neg = v < 0 && q != 0;
    for (int d = 0; d < decimals; d++) {
        *--p = (char)('0' + q % 10);
        q /= 10;
    }
    if (decimals)
        *--p = '.';
    do {
        *--p = (char)('0' + q % 10);
        q /= 10;
    } while (q);
    if (neg)
        *--p = '-';
    mwxi_buf_put(b, p, (size_t)(tmp + sizeof tmp - p));
}

/* Length of the valid UTF-8 sequence at s (1..4) of a character XML may carry, or 0. */
static size_t utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0))
            return 0; /* overlong, or a UTF-16 surrogate */
        if (s[0] == 0xEF && s[1] == 0xBF && s[2] >= 0xBE)
            return 0; /* U+FFFE, U+FFFF: UTF-8, but not characters XML may carry */
        return 3;
    }
    if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

/* ASCII classes for XML escaping: 0 plain, 1 markup or control, 3 the apostrophe (escaped
 * in attributes only); bytes from 0x80 start a multi-byte (or invalid) UTF-8 sequence. */
static const unsigned char xml_class[128] = {
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
    [0x07] = 1, [0x08] = 1, [0x0B] = 1, [0x0C] = 1, [0x0D] = 1, [0x0E] = 1, [0x0F] = 1,
    [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1, [0x15] = 1, [0x16] = 1,
    [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1A] = 1, [0x1B] = 1, [0x1C] = 1, [0x1D] = 1,
    [0x1E] = 1, [0x1F] = 1, ['&'] = 1,  ['<'] = 1,  ['>'] = 1,  ['"'] = 1,  ['\''] = 3,
};

void mwxi_warn_xml_esc(mwx_buf_t *b, const char *str, int attr)
{
    const unsigned char *s = (const unsigned char *)str, *run = s;
    /* Copy runs of plain characters in one go; escape the markup characters as libxml2's
     * writer does in text (& < > " and CR), ' too in attributes. XML 1.0 forbids most
     * control characters even escaped, and a document must be UTF-8: both become '?'. */
    for (;;) {
        const char *rep;
        unsigned char c;
        while (*s < 0x80 && !xml_class[*s])
            s++;
        c = *s;
        if (c == 0)
            break;
        if (c >= 0x80) {
            size_t n = utf8_len(s);
            if (n) {
                s += n;
                continue;
            }
            rep = "?";
        } else if (xml_class[c] == 3) {
            if (!attr) {
                s++;
                continue;
            }
            rep = "&apos;";
        } else {
            rep = c == '&'    ? "&amp;"
                  : c == '<'  ? "&lt;"
                  : c == '>'  ? "&gt;"
                  : c == '"'  ? "&quot;"
                  : c == '\r' ? "&#13;"
                              : "?";
        }
        mwxi_buf_put(b, (const char *)run, (size_t)(s - run));
        mwxi_buf_puts(b, rep);
        s++;
        run = s;
    }
    mwxi_buf_put(b, (const char *)run, (size_t)(s - run));
}

void mwxi_warn_sanitize_id(char *dst, size_t n, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < n; i++) {
        char c = src[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_';
        dst[i] = ok ? c : '_';
    }
    dst[i] = '\0';
}

void mwxi_warn_xml(mwx_buf_t *b, const char *s)
{
    mwxi_warn_xml_esc(b, s, 1);
}

void mwxi_warn_xml_el(mwx_buf_t *b, int spaces, const char *name, const char *text)
{
    static const char sp[] = "                ";
    mwxi_buf_put(b, sp, (size_t)(spaces < 16 ? spaces : 16));
    mwxi_buf_put(b, "<", 1);
    mwxi_buf_puts(b, name);
    mwxi_buf_put(b, ">", 1);
    mwxi_warn_xml_esc(b, text, 0);
    mwxi_buf_put(b, "</", 2);
    mwxi_buf_puts(b, name);
    mwxi_buf_put(b, ">\n", 2);
}

int mwxi_warn_mkdir(const char *dir, mwx_err_t *err)
{
    struct stat st;
    if (mkdir(dir, 0777) == 0)
        return MWX_OK;
    if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return MWX_OK;
    return mwx_err_set(err, MWX_EIO, "%s: cannot create the directory: %s", dir, strerror(errno));
}

/* All of len written at offset off (pwrite) or at the file position (off < 0). */
static int write_all(int fd, const char *data, size_t len, off_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t w = off < 0 ? write(fd, data + done, len - done)
                            : pwrite(fd, data + done, len - done, off + (off_t)done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += (size_t)w;
    }
    return 0;
}

static int paths(const char *dir, const char *name, const char *suffix, char *tmp, size_t tn,
                 char *final, size_t fn, mwx_err_t *err)
{
    if ((size_t)snprintf(final, fn, "%s/%s", dir, name) >= fn ||
        (size_t)snprintf(tmp, tn, "%s/.%s%s", dir, name, suffix) >= tn)
        return mwx_err_set(err, MWX_EINVAL, "%s/%s: path too long", dir, name);
    return MWX_OK;
}

int mwxi_warn_write_file(const char *dir, const char *name, const char *data, size_t len,
                         int durable, mwx_err_t *err)
{
    char tmp[MWX_PATH_LEN * 2], final[MWX_PATH_LEN * 2];
    int rc;

    if ((rc = paths(dir, name, ".tmp", tmp, sizeof tmp, final, sizeof final, err)))
        return rc;
    return mwxi_file_write_via(final, tmp, data, len, 0644, durable, err);
}

void mwxi_warn_inodes_init(mwx_warn_inodes_t *p)
{
    memset(p, 0, sizeof *p);
}

void mwxi_warn_inodes_fill(mwx_warn_inodes_t *p, const char *dir)
{
#ifdef O_TMPFILE
    while (!p->off && p->n < MWX_WARN_INODES) {
        int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0) {
            p->off = 1; /* not on this file system: new files go the tmp + rename way */
            return;
        }
        p->fd[p->n++] = fd;
    }
#else
    (void)dir;
    p->off = 1;
#endif
}

void mwxi_warn_inodes_close(mwx_warn_inodes_t *p)
{
    while (p->n > 0)
        close(p->fd[--p->n]);
}

/* A new file: written into an unnamed inode (O_TMPFILE), then given its name with
 * linkat(), so that it appears complete, with no temporary name to create and rename.
 * The inode comes from the pool when it has one (allocated ahead, off the message's path),
 * else it is allocated now. Anything unusual (no O_TMPFILE on this file system, no /proc,
 * the name exists already) goes the tmp + rename way, which also replaces an old file. */
int mwxi_warn_write_new(mwx_warn_inodes_t *pool, const char *dir, const char *name,
                        const char *data, size_t len, int durable, mwx_err_t *err)
{
#ifdef O_TMPFILE
    char final[MWX_PATH_LEN * 2], proc[64];
    int fd, ok;

    if ((size_t)snprintf(final, sizeof final, "%s/%s", dir, name) >= sizeof final)
        return mwx_err_set(err, MWX_EINVAL, "%s/%s: path too long", dir, name);
    if (pool && pool->n > 0)
        fd = pool->fd[--pool->n];
    else if (pool && pool->off)
        fd = -1;
    else
        fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0)
        return mwxi_warn_write_file(dir, name, data, len, durable, err);
    if (write_all(fd, data, len, -1) != 0 || (durable && fsync(fd) != 0)) {
        int e = errno;
        close(fd);
        return mwx_err_set(err, MWX_EIO, "%s: write failed: %s", final, strerror(e));
    }
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    ok = linkat(AT_FDCWD, proc, AT_FDCWD, final, AT_SYMLINK_FOLLOW) == 0;
    if (!ok && errno != EEXIST && pool)
        pool->off = 1; /* no /proc, or no linking of unnamed inodes: stop preparing them */
    close(fd);         /* an inode left unlinked is freed here */
    if (ok)
        return MWX_OK;
#else
    (void)pool;
#endif
    return mwxi_warn_write_file(dir, name, data, len, durable, err);
}

/* A file rewritten in place (the feed, the picture, a track's CoT event), atomically and
 * without creating or deleting an inode each time: the new content goes into the spare
 * inode dir/.name.spare (the previous content), which renameat2(RENAME_EXCHANGE) then
 * swaps with dir/name in one step. A reader sees the old file or the new one, whole.
 *
 * Why: on ext4 without a journal, every inode allocation scans past the inodes deleted in
 * the last minute or more (recently_deleted()), so tmp + rename, which frees an inode per
 * write, made every later file creation slower -- the CAP files included.
 *
 * The spare is the file readers saw before the previous swap; one of them may still be
 * reading it. A write lease is granted only when no one else has the inode open: when it
 * is refused, the spare is replaced by a fresh inode (the reader keeps the old one). While
 * we hold the lease an open() of the spare waits for us; F_SETOWN 0 keeps the kernel from
 * signalling us (SIGIO would end the process). File systems without leases or exchange go
 * the tmp + rename way. */
int mwxi_warn_rewrite_file(const char *dir, const char *name, const char *data, size_t len,
                           int durable, mwx_err_t *err)
{
#if defined(RENAME_EXCHANGE) && defined(F_SETLEASE)
    char spare[MWX_PATH_LEN * 2], final[MWX_PATH_LEN * 2];
    int fd, rc, fresh = 0;

    if ((rc = paths(dir, name, ".spare", spare, sizeof spare, final, sizeof final, err)))
        return rc;
    fd = open(spare, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return mwxi_warn_write_file(dir, name, data, len, durable, err);
    /* Taking the lease makes this process the file's owner, and a lease break signals the
     * owner; by default with SIGIO, whose default action ends the process. The signal is
     * chosen per open file before the lease exists: SIGURG, ignored by default. */
    while (fcntl(fd, F_SETSIG, SIGURG) != 0 || fcntl(fd, F_SETLEASE, F_WRLCK) != 0) {
        int e = errno;
        close(fd);
        if (e != EAGAIN || fresh) /* no leases here (or a writer races us): the old way */
            return mwxi_warn_write_file(dir, name, data, len, durable, err);
        /* someone has the spare open: leave it to them, take a new inode */
        unlink(spare);
        fd = open(spare, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
            return mwxi_warn_write_file(dir, name, data, len, durable, err);
        fresh = 1;
    }
    fcntl(fd, F_SETOWN, 0);
    /* overwrite, then cut: blocks are reused, not freed and allocated again */
    if (write_all(fd, data, len, 0) != 0 || ftruncate(fd, (off_t)len) != 0 ||
        (durable && fsync(fd) != 0)) {
        int e = errno;
        fcntl(fd, F_SETLEASE, F_UNLCK);
        close(fd);
        unlink(spare);
        return mwx_err_set(err, MWX_EIO, "%s: write failed: %s", spare, strerror(e));
    }
    fcntl(fd, F_SETLEASE, F_UNLCK);
    if (close(fd) != 0) {
        int e = errno;
        unlink(spare);
        return mwx_err_set(err, MWX_EIO, "%s: close failed: %s", spare, strerror(e));
    }
    if (renameat2(AT_FDCWD, spare, AT_FDCWD, final, RENAME_EXCHANGE) == 0)
        return MWX_OK;
    /* the first write (nothing to exchange with), or no exchange on this file system */
    if (rename(spare, final) != 0) {
        int e = errno;
        unlink(spare);
        return mwx_err_set(err, MWX_EIO, "%s: rename failed: %s", final, strerror(e));
    }
    return MWX_OK;
#else
    return mwxi_warn_write_file(dir, name, data, len, durable, err);
#endif
}

int mwxi_warn_rewrite_view(const mwx_warn_view_t *v, const char *name, const char *data, size_t len,
                           mwx_err_t *err)
{
    mwxi_warn_views_t *d = v->views;
    int rc;
    if (!v->durable || !d || strlen(name) >= sizeof d->name[0])
        return mwxi_warn_rewrite_file(v->alerts_dir, name, data, len, v->durable, err);
    if ((rc = mwxi_warn_rewrite_file(v->alerts_dir, name, data, len, 0, err)))
        return rc;
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->name[i], name) == 0)
            return MWX_OK;
    if (d->n == sizeof d->name / sizeof d->name[0] &&
        (rc = mwxi_warn_views_sync(d, v->alerts_dir, err)))
        return rc;
    mwx_strlcpy(d->name[d->n++], name, sizeof d->name[0]);
    return MWX_OK;
}

int mwxi_warn_views_sync(mwxi_warn_views_t *d, const char *dir, mwx_err_t *err)
{
    char path[MWX_PATH_LEN * 2];
    for (size_t i = 0; i < d->n; i++) {
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, d->name[i]) >= sizeof path)
            return mwx_err_set(err, MWX_EINVAL, "%s/%s: path too long", dir, d->name[i]);
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            if (errno == ENOENT) /* removed meanwhile (retention, a track's end) */
                continue;
            return mwx_err_set(err, MWX_EIO, "%s: %s", path, strerror(errno));
        }
        if (fsync(fd) != 0) {
            int e = errno;
            close(fd);
            return mwx_err_set(err, MWX_EIO, "%s: fsync failed: %s", path, strerror(e));
        }
        close(fd);
        d->synced++;
    }
    d->n = 0;
    return MWX_OK;
}

/* Remove the spare inode of a file written with mwxi_warn_rewrite_file() (when the file
 * will not be rewritten again). */
void mwxi_warn_drop_spare(const char *dir, const char *name)
{
    char spare[MWX_PATH_LEN * 2];
    if ((size_t)snprintf(spare, sizeof spare, "%s/.%s.spare", dir, name) < sizeof spare)
        unlink(spare);
}
