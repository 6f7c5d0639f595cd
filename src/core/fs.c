/* Small file-system helpers every stage needs: whole files written atomically (a failure
 * never leaves a half-written file under its final name; the library's one such writer)
 * and directories made with their parents. */
#include "core/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mwxi_file_write_via(const char *path, const char *tmp, const void *data, size_t len,
                        unsigned mode, int durable, mwx_err_t *err)
{
    const char *p = data;
    size_t off = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
    if (fd < 0)
        return mwx_err_set(err, MWX_EIO, "%s: %s", tmp, strerror(errno));
    (void)fchmod(fd, (mode_t)mode); /* the umask must not widen or narrow it */
    while (off < len) {
        ssize_t k = write(fd, p + off, len - off);
        if (k < 0) {
            int e = errno;
            if (e == EINTR)
                continue;
            close(fd);
            unlink(tmp);
            return mwx_err_set(err, MWX_EIO, "%s: %s", tmp, strerror(e));
        }
        off += (size_t)k;
    }
    /* close whatever fsync says: a failed fsync must not leak the descriptor */
    if (durable && fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return mwx_err_set(err, MWX_EIO, "%s: fsync: %s", tmp, strerror(e));
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return mwx_err_set(err, MWX_EIO, "%s: %s", path, strerror(e));
    }
    return MWX_OK;
}

int mwx_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
                          mwx_err_t *err)
{
    char tmp[MWX_PATH_LEN * 2 + 8];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return mwx_err_set(err, MWX_EINVAL, "%s: path too long", path);
    return mwxi_file_write_via(path, tmp, data, len, mode, 1, err);
}

int mwx_mkdir_p(const char *path, unsigned mode, mwx_err_t *err)
{
    char tmp[MWX_PATH_LEN * 2];
    if (mwx_strlcpy(tmp, path, sizeof tmp))
        return mwx_err_set(err, MWX_EINVAL, "%s: path too long", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST)
                return mwx_err_set(err, MWX_EIO, "%s: %s", tmp, strerror(errno));
            *p = '/';
        }
    if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST)
        return mwx_err_set(err, MWX_EIO, "%s: %s", tmp, strerror(errno));
    return MWX_OK;
}
