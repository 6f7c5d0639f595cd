/* `mwx node`'s append-only envelope logs (outbox, inbox): format in service_int.h. */
#define _POSIX_C_SOURCE 200809L
#include "service_int.h"
#include "mwx/node.h"

#include <stdatomic.h>
#include <stdio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "MWXLOG1\n"
#define HDR 16
#define META 24
#define MAX_ENTRY (64 * 1024)

struct svc_log {
    int fd;
    char path[MWX_PATH_LEN * 2];
    uint64_t count;
    _Atomic uint64_t synced; /* bytes known durable (the outbox syncs on its commit thread) */
};

uint32_t svc_crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
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

int svc_log_open(const char *path, double start_unix, svc_log_fn fn, void *user,
                 svc_log_t **out, double *start_unix_out, int *existed, mwx_err_t *err)
{
    svc_log_t *l = calloc(1, sizeof *l);
    uint8_t hdr[HDR];
    uint8_t *buf = NULL;
    off_t good = HDR;
    struct stat sb;
    int rc = MWX_OK;

    *out = NULL;
    *existed = 0;
    if (!l)
        return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", path);
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
        *out = l;
        return MWX_OK;
    }
    *existed = 1;
    if (read_full(l->fd, hdr, HDR) != 0 || memcmp(hdr, MAGIC, 8) != 0) {
        rc = mwx_err_set(err, MWX_ECORRUPT, "%s: not an mwx node log (bad header)", path);
        goto fail;
    }
    memcpy(start_unix_out, hdr + 8, 8);
    buf = malloc(META + MAX_ENTRY);
    if (!buf) {
        rc = mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    for (;;) {
        uint32_t len, crc;
        double unix_s, t_scn;
        if (read_full(l->fd, buf, 8) != 0)
            break;
        memcpy(&len, buf, 4);
        memcpy(&crc, buf + 4, 4);
        if (len > MAX_ENTRY || read_full(l->fd, buf, META - 8 + len) != 0)
            break;
        if (svc_crc32c(0, buf, META - 8 + len) != crc)
            break;
        memcpy(&unix_s, buf, 8);
        memcpy(&t_scn, buf + 8, 8);
        if (fn && (rc = fn(user, unix_s, t_scn, buf + 16, len)) != MWX_OK)
            goto fail;
        l->count++;
        good += META + (off_t)len;
    }
    /* cut a torn tail so that appends follow the last whole entry */
    if (ftruncate(l->fd, good) != 0 || lseek(l->fd, good, SEEK_SET) != good) {
        rc = mwx_err_set(err, MWX_EIO, "%s: %s", path, strerror(errno));
        goto fail;
    }
    free(buf);
    *out = l;
    return MWX_OK;
fail:
    free(buf);
    close(l->fd);
    free(l);
    return rc;
}

int svc_log_append(svc_log_t *l, double unix_s, double t_scn, const uint8_t *data, size_t len,
                   int sync, mwx_err_t *err)
{
    uint8_t buf[META + 4096];
    uint32_t n32 = (uint32_t)len, crc;
    if (len > sizeof buf - META)
        return mwx_err_set(err, MWX_EINVAL, "%s: entry of %zu bytes is too big", l->path, len);
    memcpy(buf + 8, &unix_s, 8);
    memcpy(buf + 16, &t_scn, 8);
    memcpy(buf + META, data, len);
    crc = svc_crc32c(0, buf + 8, META - 8 + len);
    memcpy(buf, &n32, 4);
    memcpy(buf + 4, &crc, 4);
    /* one write: a crash leaves a whole entry or a torn tail, never a hole */
    if (write_full(l->fd, buf, META + len) != 0)
        return mwx_err_set(err, MWX_EIO, "%s: %s", l->path, strerror(errno));
    if (sync) {
        int rc = svc_log_sync(l, err);
        if (rc != MWX_OK)
            return rc;
    }
    l->count++;
    return MWX_OK;
}

int svc_log_sync(svc_log_t *l, mwx_err_t *err)
{
    struct stat sb;
    /* every byte the file holds now was written before the sync starts: it covers them */
    int have = fstat(l->fd, &sb) == 0;
    if (fdatasync(l->fd) != 0)
        return mwx_err_set(err, MWX_EIO, "%s: %s", l->path, strerror(errno));
    if (have)
        atomic_store(&l->synced, (uint64_t)sb.st_size);
    return MWX_OK;
}

uint64_t svc_log_synced(const svc_log_t *l) { return atomic_load(&l->synced); }

uint64_t svc_log_count(const svc_log_t *l) { return l->count; }

void svc_log_close(svc_log_t *l)
{
    if (!l)
        return;
    fsync(l->fd);
    close(l->fd);
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
    fprintf(out, "],\"sent_unix_s\":%.6f,\"t\":%.3f}\n", env.sent_unix_s, t_scn);
    return MWX_OK;
}

int mwx_node_log_dump(const char *path, FILE *out, mwx_err_t *err)
{
    svc_log_t *l;
    double start;
    int existed, rc;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return mwx_err_set(err, MWX_ENOTFOUND, "%s: %s", path, strerror(errno));
    /* opening cuts a torn tail: a crashed node's log reads as it will on restart */
    if ((rc = svc_log_open(path, 0, dump_one, out, &l, &start, &existed, err)) != MWX_OK)
        return rc;
    svc_log_close(l);
    return MWX_OK;
}
