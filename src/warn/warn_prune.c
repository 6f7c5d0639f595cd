/* Retention of alerts/ (issue 17; docs/NODE.md "Retention"): the CAP and CoT files of a
 * long-running context are removed, oldest first (by their last write), beyond
 * alerts_keep_bytes (their total) or older than alerts_keep_age_s, but never a file a
 * series the context still holds refers to: the last message of every series of every
 * track it knows (live, lost, journaled; the Atom feed links exactly those) and every
 * message those reference, and the CoT file of every track it knows. So a restarted
 * context continues its series with every file they name still on disk, and the Atom
 * feed never links a removed file. What an after-action review needs of a removed
 * message stays in the recording (every alert record, kept by its compaction).
 * alerts.atom, latest.geojson and other files are never touched. */
#include "core/grow.h"
#include "warn/warn_state.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PRUNE_EVERY_S 10.0 /* wall seconds between scans of alerts/ */

typedef struct pfile {
    char name[160];
    off_t size;
    struct timespec mtime;
} pfile_t;

static int older(const void *a, const void *b)
{
    const pfile_t *x = a, *y = b;
    if (x->mtime.tv_sec != y->mtime.tv_sec)
        return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    if (x->mtime.tv_nsec != y->mtime.tv_nsec)
        return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

/* The identifier in a reference "sender,identifier,sent". */
static int ref_is(const char *ref, const char *id, size_t id_n)
{
    const char *c = strchr(ref, ',');
    return c && strncmp(c + 1, id, id_n) == 0 && c[1 + id_n] == ',';
}

/* Does a series or track of the context still refer to this file? */
static int held(const mwx_warn_t *w, const char *name)
{
    size_t n = strlen(name);
    if (ends_with(name, ".cap.xml")) {
        size_t id_n = n - strlen(".cap.xml");
        for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++) {
            wtrack_t *tr = &w->tracks[k];
            if (!tr->used)
                continue;
            for (int j = 0; j <= MWX_WARN_LAUNCH; j++) {
                const wseries_t *s = mwxi_warn_jseries(tr, j);
                if (s->has_last && strlen(s->last.identifier) == id_n &&
                    strncmp(s->last.identifier, name, id_n) == 0)
                    return 1;
                for (int r = 0; r < s->n_refs; r++)
                    if (ref_is(s->refs[r], name, id_n))
                        return 1;
            }
        }
        return 0;
    }
    for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++) {
        const wtrack_t *tr = &w->tracks[k];
        char tid[MWX_ID_LEN], node[MWX_ID_LEN], cot[192];
        if (!tr->used || tr->orphan)
            continue;
        mwxi_warn_sanitize_id(tid, sizeof tid, tr->trk.track_id);
        mwxi_warn_sanitize_id(node, sizeof node, w->node);
        snprintf(cot, sizeof cot, "mwx.%s.%s.cot.xml", node, tid);
        if (strcmp(cot, name) == 0)
            return 1;
    }
    return 0;
}

int mwxi_warn_prune(mwx_warn_t *w, int force, mwx_err_t *err)
{
    struct timespec now;
    DIR *d;
    struct dirent *e;
    pfile_t *files = NULL;
    size_t nf = 0, cap = 0, removed = 0;
    uint64_t total = 0;
    int rc = MWX_OK;

    if (!w->keep_bytes && !(w->keep_age_s > 0))
        return MWX_OK;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!force && now.tv_sec + 1e-9 * now.tv_nsec - w->last_prune < PRUNE_EVERY_S)
        return MWX_OK;
    w->last_prune = now.tv_sec + 1e-9 * now.tv_nsec;
    d = opendir(w->alerts_dir);
    if (!d)
        return MWX_OK; /* nothing written yet */
    while ((e = readdir(d))) {
        struct stat st;
        char path[MWX_PATH_LEN + 200];
        if ((!ends_with(e->d_name, ".cap.xml") && !ends_with(e->d_name, ".cot.xml")) ||
            strlen(e->d_name) >= sizeof files[0].name)
            continue;
        snprintf(path, sizeof path, "%s/%s", w->alerts_dir, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (mwxi_grow(&files, &cap, nf + 1, sizeof *files, 256) != 0) {
            rc = mwx_err_set(err, MWX_ENOMEM, "warn: out of memory");
            goto out;
        }
        mwx_strlcpy(files[nf].name, e->d_name, sizeof files[nf].name);
        files[nf].size = st.st_size;
        files[nf].mtime = st.st_mtim;
        total += (uint64_t)st.st_size;
        nf++;
    }
    if (nf)
        qsort(files, nf, sizeof *files, older);
    {
        time_t wall = time(NULL);
        for (size_t i = 0; i < nf; i++) {
            char path[MWX_PATH_LEN + 200];
            int over = w->keep_bytes && total > w->keep_bytes;
            int old = w->keep_age_s > 0 && (double)(wall - files[i].mtime.tv_sec) > w->keep_age_s;
            if (!over && !old)
                break; /* oldest first: the rest are younger */
            if (held(w, files[i].name))
                continue;
            snprintf(path, sizeof path, "%s/%s", w->alerts_dir, files[i].name);
            if (unlink(path) == 0) {
                total -= (uint64_t)files[i].size;
                removed++;
            }
        }
    }
    if (removed) {
        w->st.pruned += removed;
        if (w->durable) { /* the removals as durable as the writes */
            int fd = open(w->alerts_dir, O_RDONLY | O_DIRECTORY);
            if (fd >= 0) {
                (void)fsync(fd);
                close(fd);
            }
        }
    }
out:
    closedir(d);
    free(files);
    return rc;
}
