/* Internal to src/core: a recording rotated into segments (src/core/recseg.c).
 *
 * BASE is the live segment; BASE.K (K = 1, 2, ...) are closed segments, oldest first;
 * BASE.K.compacted is the compacted archive of every segment up to K. The set reads as:
 * the newest archive, then the closed segments above its K in order, then BASE. Closed
 * segments at or below the newest archive's K, and older archives, are leftovers of a
 * compaction cut short by a crash (their records are in the archive): readers ignore
 * them, the writer removes them. */
#ifndef MWX_CORE_RECSEG_H
#define MWX_CORE_RECSEG_H

#include "mwx/core.h"

#include <stddef.h>
#include <stdint.h>

/* Internal reader flag: read PATH alone, not the set it is the base of. */
#define MWX_READ_ONE_FILE 0x100

typedef struct mwxi_recseg_list {
    uint64_t *idx; /* closed segments to read, ascending (all above the archive) */
    size_t n;
    uint64_t archive; /* newest archive's K; 0 when none */
    uint64_t *stale;  /* closed segments <= archive: leftovers */
    size_t n_stale;
    uint64_t *stale_arch; /* older archives: leftovers */
    size_t n_stale_arch;
    uint64_t *stale_tmp; /* BASE.K.compacted.tmp: a compaction a crash cut short */
    size_t n_stale_tmp;
    uint64_t next; /* the next free K */
} recseg_list_t;

int mwxi_recseg_list(const char *base, recseg_list_t *out, mwx_err_t *err);
void mwxi_recseg_list_free(recseg_list_t *l);

/* "BASE.K" or "BASE.K.compacted"; MWX_EINVAL when it does not fit n. */
int mwxi_recseg_name(const char *base, uint64_t k, int archive, char *out, size_t n);

/* The paths a reader reads for base, in order (NULL-terminated, *n of them; base last
 * when it exists or when follow). *n = 0 and MWX_ENOTFOUND when there is nothing. */
int mwxi_recseg_paths(const char *base, int follow, char ***out, size_t *n, mwx_err_t *err);
void mwxi_recseg_paths_free(char **p, size_t n);

/* Merge the archive (if any) and closed segment k into the archive BASE.k.compacted
 * (written atomically), keeping the first scenario record, every share and alert, and
 * each track's (and truth object's) last state; measurements are dropped. The archive is
 * bounded: records timed before t_min (-INFINITY: none) are dropped, then the oldest
 * until the rest take at most keep_bytes (0: no limit); the scenario record always
 * stays. *dropped (may be NULL) counts what the bound dropped. Then remove the merged
 * inputs. Nothing is removed unless the new archive is durable. */
int mwxi_recseg_compact(const char *base, uint64_t archive, uint64_t k, uint64_t keep_bytes,
                        double t_min, uint64_t *dropped, mwx_err_t *err);

/* fsync the directory holding path. */
int mwxi_recseg_fsync_dir(const char *path);

#endif
