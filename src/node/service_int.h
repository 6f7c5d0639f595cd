/* Internal to `mwx node` (src/node/service*.c): the append-only envelope logs.
 *
 * A log file is the header "MWXLOG1\n" + start_unix (double, 8 bytes: the scenario clock
 * origin, so that a restarted node keeps the clock of its first start), then entries:
 *   u32 len | u32 crc32c(meta || data) | double unix_s | double t_scn | data[len]
 * (native byte order: the file never leaves the node). A torn or damaged tail (crash in
 * the middle of an append) is detected by the length and checksum and cut on open. */
#ifndef MWX_NODE_SERVICE_INT_H
#define MWX_NODE_SERVICE_INT_H

#include "mwx/core.h"

typedef struct svc_log svc_log_t;

typedef int (*svc_log_fn)(void *user, double unix_s, double t_scn, const uint8_t *data, size_t len);

/* Open (create when missing, with start_unix in the header) and replay every whole entry
 * through fn (may be NULL) oldest first; *start_unix_out gets the header's clock origin;
 * *existed = 1 when the file was there. */
int mwxi_svc_log_open(const char *path, double start_unix, svc_log_fn fn, void *user,
                      svc_log_t **out, double *start_unix_out, int *existed, mwx_err_t *err);
/* Read every whole entry of the log (closed segments, then PATH) through fn, read only:
 * for readers beside a running node (mwx node --dump-log). A torn tail or an entry being
 * appended ends the reading and is left as it is. MWX_ENOTFOUND when PATH is missing. */
int mwxi_svc_log_read(const char *path, svc_log_fn fn, void *user, mwx_err_t *err);
/* Append one entry; with sync, fsync before returning (the outbox: logged before sent). */
int mwxi_svc_log_append(svc_log_t *l, double unix_s, double t_scn, const uint8_t *data, size_t len,
                        int sync, mwx_err_t *err);
int mwxi_svc_log_sync(svc_log_t *l, mwx_err_t *err);
/* Rotate the log (at an append) by size or age into PATH.K, and remove the oldest closed
 * segments beyond the retention, keeping at least keep_entries entries. mwxi_svc_log_open
 * replays the closed segments (oldest first) before PATH: the set reads as one log. */
void mwxi_svc_log_set_retention(svc_log_t *l, const mwx_retention_t *ret, uint64_t keep_entries);
uint64_t mwxi_svc_log_count(const svc_log_t *l);
/* Bytes of the file known durable (as of the last completed mwxi_svc_log_sync; any thread). */
uint64_t mwxi_svc_log_synced(const svc_log_t *l);
void mwxi_svc_log_close(svc_log_t *l);

/* service_commit.c: the outbox's group commit. Envelopes are appended (no sync) and their
 * publishes queued; a commit thread fdatasyncs once per batch, then publishes the batch in
 * order: nothing is on the wire before it is on disk. threaded = 0: sync and publish each
 * envelope at once, in mwxi_svc_commit_put (the in-process bus; the per-envelope baseline). */
typedef struct svc_commit svc_commit_t;
typedef int (*svc_commit_pub_fn)(void *user, const char *subject, const uint8_t *data, size_t len);
typedef struct mwxi_svc_commit_stats {
    uint64_t envelopes;      /* envelopes appended to the outbox */
    uint64_t syncs;          /* fdatasyncs of the outbox (at most one per envelope) */
    uint64_t published;      /* publishes made (synced first) */
    uint64_t publish_failed; /* ... that the bus refused (down: partners recover them) */
    uint64_t max_batch;      /* most publishes behind one sync */
    uint64_t full_waits;     /* times the caller waited for a full queue */
    uint64_t queued;         /* waiting now */
} svc_commit_stats_t;
/* slots: queue depth (0 = 1024), preallocated. */
int mwxi_svc_commit_create(svc_log_t *log, int threaded, size_t slots, svc_commit_pub_fn pub,
                           void *user, svc_commit_t **out, mwx_err_t *err);
/* With log_it, append the envelope to the log (once per seq, not per recipient); queue its
 * publish to subject. Waits only when the queue is full. Fails once a sync has failed. */
int mwxi_svc_commit_put(svc_commit_t *c, double unix_s, double t_scn, int log_it,
                        const char *subject, const uint8_t *data, size_t len, mwx_err_t *err);
/* Wait until everything put so far is synced and published. */
int mwxi_svc_commit_barrier(svc_commit_t *c, mwx_err_t *err);
void mwxi_svc_commit_stats(svc_commit_t *c, svc_commit_stats_t *st);
/* Drain (sync and publish what is queued), stop the thread, free. */
void mwxi_svc_commit_destroy(svc_commit_t *c);

/* service_proc.c: resident memory, open fds, free bytes of the outputs' file system
 * (each -1 when unknown). */
void mwxi_svc_proc_sample(const char *outputs, double *rss_bytes, double *open_fds,
                          double *disk_free_bytes);

#endif
