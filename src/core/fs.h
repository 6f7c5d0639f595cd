/* The library's one atomic file writer, with the choices its callers need beyond
 * mwx_file_write_atomic (core.h): where the temporary file goes (the warn formats use a
 * hidden dir/.NAME.tmp so that a watcher of dir never sees it) and whether to fsync
 * (warn's non-durable mode trades crash safety for latency). Internal to src/. */
#ifndef MWX_CORE_FS_H
#define MWX_CORE_FS_H

#include "mwx/core.h"

/* Write data to tmp (created with mode, which the umask does not change), fsync when
 * durable, close, rename to path. On any failure tmp is removed and path untouched. */
int mwxi_file_write_via(const char *path, const char *tmp, const void *data, size_t len,
                        unsigned mode, int durable, mwx_err_t *err);

#endif
