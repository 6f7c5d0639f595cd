/* A recording rotated into segments: naming, listing, compaction (recseg.h). */
#define _POSIX_C_SOURCE 200809L
#include "core/grow.h"
#include "core/recseg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ARCH_SUFFIX ".compacted"

int mwxi_recseg_name(const char *base, uint64_t k, int archive, char *out, size_t n)
{
    int w = snprintf(out, n, "%s.%llu%s", base, (unsigned long long)k, archive ? ARCH_SUFFIX : "");
    return w < 0 || (size_t)w >= n ? MWX_EINVAL : MWX_OK;
}

int mwxi_recseg_fsync_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return -1;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int push(uint64_t **a, size_t *n, size_t *cap, uint64_t v)
{
    if (mwxi_grow(a, cap, *n + 1, sizeof **a, 16) != 0)
        return -1;
    (*a)[(*n)++] = v;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void mwxi_recseg_list_free(recseg_list_t *l)
{
    free(l->idx);
    free(l->stale);
    free(l->stale_arch);
    free(l->stale_tmp);
    memset(l, 0, sizeof *l);
}

int mwxi_recseg_list(const char *base, recseg_list_t *out, mwx_err_t *err)
{
    memset(out, 0, sizeof *out);
    char *c1 = strdup(base), *c2 = strdup(base);
    if (!c1 || !c2) {
        free(c1), free(c2);
        return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", base);
    }
    const char *dir = dirname(c1), *name = basename(c2);
    size_t nl = strlen(name);
    uint64_t *plain = NULL, *arch = NULL;
    size_t np = 0, cp = 0, na = 0, ca = 0, ct = 0;
    int rc = MWX_OK;
    DIR *d = opendir(dir);
    if (!d) {
        rc = errno == ENOENT ? MWX_OK : mwx_err_set(err, MWX_EIO, "%s: %s", dir, strerror(errno));
        goto out;
    }
    for (struct dirent *e; (e = readdir(d));) {
        const char *s = e->d_name;
        if (strncmp(s, name, nl) != 0 || s[nl] != '.' || s[nl + 1] < '0' || s[nl + 1] > '9')
            continue;
        char *end;
        errno = 0;
        unsigned long long k = strtoull(s + nl + 1, &end, 10);
        if (errno || k == 0)
            continue;
        int is_arch = strcmp(end, ARCH_SUFFIX) == 0;
        if (strncmp(end, ARCH_SUFFIX, strlen(ARCH_SUFFIX)) == 0 &&
            strcmp(end + strlen(ARCH_SUFFIX), ".tmp") == 0) {
            if (push(&out->stale_tmp, &out->n_stale_tmp, &ct, k)) {
                rc = mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", base);
                break;
            }
            continue;
        }
        if (*end && !is_arch)
            continue; /* BASE.K.tmp and anything else */
        if (push(is_arch ? &arch : &plain, is_arch ? &na : &np, is_arch ? &ca : &cp, k)) {
            rc = mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", base);
            break;
        }
    }
    closedir(d);
    if (rc) {
        mwxi_recseg_list_free(out);
        goto out;
    }
    if (np) /* qsort's base must not be NULL, even for zero elements */
        qsort(plain, np, sizeof *plain, cmp_u64);
    if (na)
        qsort(arch, na, sizeof *arch, cmp_u64);
    out->archive = na ? arch[na - 1] : 0;
    out->next = 1;
    if (np && plain[np - 1] + 1 > out->next)
        out->next = plain[np - 1] + 1;
    if (out->archive + 1 > out->next)
        out->next = out->archive + 1;
    size_t csa = 0;
    for (size_t i = 0; i + 1 < na; i++)
        if (push(&out->stale_arch, &out->n_stale_arch, &csa, arch[i]))
            rc = MWX_ENOMEM;
    size_t cs = 0, ci = 0;
    for (size_t i = 0; i < np && !rc; i++)
        if (push(plain[i] <= out->archive ? &out->stale : &out->idx,
                 plain[i] <= out->archive ? &out->n_stale : &out->n,
                 plain[i] <= out->archive ? &cs : &ci, plain[i]))
            rc = MWX_ENOMEM;
    if (rc) {
        mwxi_recseg_list_free(out);
        rc = mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", base);
    }
out:
    free(plain);
    free(arch);
    free(c1);
    free(c2);
    return rc;
}

void mwxi_recseg_paths_free(char **p, size_t n)
{
    if (!p)
        return;
    for (size_t i = 0; i < n; i++)
        free(p[i]);
    free(p);
}

int mwxi_recseg_paths(const char *base, int follow, char ***out, size_t *n, mwx_err_t *err)
{
    recseg_list_t l;
    *out = NULL, *n = 0;
    int rc = mwxi_recseg_list(base, &l, err);
    if (rc)
        return rc;
    struct stat st;
    int have_base = stat(base, &st) == 0;
    size_t total = l.n + (l.archive ? 1 : 0) + 1;
    char **p = calloc(total + 1, sizeof *p);
    size_t len = strlen(base) + 48, k = 0;
    if (!p) {
        mwxi_recseg_list_free(&l);
        return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", base);
    }
    for (size_t i = 0; i < total && !rc; i++) {
        int is_base = i == total - 1;
        if (is_base && !have_base && !follow && k)
            break;
        if (!(p[k] = malloc(len))) {
            rc = mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", base);
            break;
        }
        if (is_base)
            snprintf(p[k], len, "%s", base);
        else if (l.archive && i == 0)
            (void)mwxi_recseg_name(base, l.archive, 1, p[k], len);
        else
            (void)mwxi_recseg_name(base, l.idx[i - (l.archive ? 1 : 0)], 0, p[k], len);
        k++;
    }
    mwxi_recseg_list_free(&l);
    if (rc) {
        mwxi_recseg_paths_free(p, k);
        return rc;
    }
    *out = p, *n = k;
    return MWX_OK;
}

/* ------------------------------------------------------------ compaction */

/* Keys (node/track id, or truth object) -> their id + 1 (compact_ctx_t.key_last). */
typedef struct keymap {
    char (*key)[2 * MWX_ID_LEN + 2];
    uint64_t *last;
    size_t cap, n;
} keymap_t;

static uint64_t *keymap_slot(keymap_t *m, const char *key, int add)
{
    if (add && (m->n + 1) * 2 > m->cap) {
        keymap_t g = {0};
        g.cap = m->cap ? m->cap * 2 : 1024;
        g.key = calloc(g.cap, sizeof *g.key);
        g.last = calloc(g.cap, sizeof *g.last);
        if (!g.key || !g.last) {
            free(g.key), free(g.last);
            return NULL;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->key[i][0]) {
                size_t j = mwx_id_key(m->key[i], NULL) & (g.cap - 1);
                while (g.key[j][0])
                    j = (j + 1) & (g.cap - 1);
                memcpy(g.key[j], m->key[i], sizeof g.key[j]);
                g.last[j] = m->last[i];
            }
        g.n = m->n;
        free(m->key), free(m->last);
        *m = g;
    }
    if (!m->cap)
        return NULL;
    size_t j = mwx_id_key(key, NULL) & (m->cap - 1);
    while (m->key[j][0]) {
        if (strcmp(m->key[j], key) == 0)
            return &m->last[j];
        j = (j + 1) & (m->cap - 1);
    }
    if (!add)
        return NULL;
    snprintf(m->key[j], sizeof m->key[j], "%s", key);
    m->n++;
    return &m->last[j];
}

/* The key of a record whose last state is all that is kept; 0 for records kept whole. */
static int state_key(const mwx_record_t *r, char *key, size_t n)
{
    if (r->type == MWX_REC_TRACK)
        snprintf(key, n, "t%s/%s", r->u.track.node, r->u.track.track_id);
    else if (r->type == MWX_REC_TRUTH)
        snprintf(key, n, "o%s", r->u.truth.object);
    else
        return 0;
    return 1;
}

typedef int (*each_fn)(void *user, const mwx_record_t *r, uint64_t ord, mwx_err_t *err);

/* Every record of the inputs in order; a torn tail ends an input (it is cut, never
 * read); corruption fails. */
static int each_record(char *const *in, size_t n_in, each_fn fn, void *user, mwx_err_t *err)
{
    uint64_t ord = 0;
    for (size_t i = 0; i < n_in; i++) {
        mwx_recreader_t *rd;
        int rc = mwx_recreader_open(in[i], MWX_READ_ONE_FILE, &rd, err);
        if (rc)
            return rc;
        mwx_record_t r;
        mwx_err_t e = {0};
        while ((rc = mwx_recreader_next(rd, &r, &e)) == MWX_OK)
            if ((rc = fn(user, &r, ord++, err)))
                break;
        mwx_recreader_close(rd);
        if (rc == MWX_EOF || rc == MWX_ETRUNC)
            continue;
        if (rc && e.code)
            *err = e;
        return rc;
    }
    return MWX_OK;
}

/* What the first pass learns of each record of the inputs (by ordinal), so that the
 * archive's bound is worked out without reading them again: only the writing pass reads
 * them a second time (four decoding passes before, the bulk of a soak node's compaction). */
typedef struct crec {
    uint32_t size; /* encoded size + frame header (the kept bytes) */
    uint32_t key;  /* state key id + 1 (keymap), 0: kept whole */
    uint8_t cls;   /* 0: never kept (meas, a later scenario record), 1: kept unless
                      superseded, aged or beyond keep_bytes, 2: the scenario record */
    uint8_t old;   /* its time is before t_min */
} crec_t;

typedef struct compact_ctx {
    keymap_t map;       /* key -> its id + 1 */
    uint64_t *key_last; /* per key id: the ordinal of its last record */
    size_t n_keys, cap_keys;
    crec_t *rec;
    size_t n_rec, cap_rec;
    mwx_recwriter_t *w;
    int have_scenario;
    const char *base;
    /* the archive's bound (mwxi_recseg_compact): records before t_min, and the oldest kept
     * records beyond keep_bytes (skip of them), are dropped; the scenario record stays */
    double t_min;
    uint64_t skip, skipped, dropped;
} compact_ctx_t;

/* The time of a record that has one (the scenario record has none: it is never aged). */
static int record_t(const mwx_record_t *r, double *t)
{
    switch (r->type) {
    case MWX_REC_TRACK: *t = r->u.track.t; return 1;
    case MWX_REC_ALERT: *t = r->u.alert.t; return 1;
    case MWX_REC_SHARE: *t = r->u.share.t; return 1;
    case MWX_REC_TRUTH: *t = r->u.truth.t; return 1;
    case MWX_REC_MEAS: *t = r->u.meas.t; return 1;
    default: return 0;
    }
}

static int pass1(void *user, const mwx_record_t *r, uint64_t ord, mwx_err_t *err)
{
    compact_ctx_t *c = user;
    char key[2 * MWX_ID_LEN + 2];
    double t;
    if (ord != c->n_rec || mwxi_grow(&c->rec, &c->cap_rec, c->n_rec + 1, sizeof *c->rec, 1024))
        return mwx_err_set(err, MWX_ENOMEM, "%s: compaction: out of memory", c->base);
    crec_t *e = &c->rec[c->n_rec++];
    memset(e, 0, sizeof *e);
    if (r->type == MWX_REC_MEAS)
        return MWX_OK;
    if (r->type == MWX_REC_SCENARIO) {
        e->cls = c->have_scenario ? 0 : 2;
        c->have_scenario = 1;
        return MWX_OK;
    }
    e->cls = 1;
    e->size = (uint32_t)(mwx_record_encoded_size(r) + 16);
    e->old = record_t(r, &t) && t < c->t_min;
    if (state_key(r, key, sizeof key)) {
        uint64_t *slot = keymap_slot(&c->map, key, 1);
        if (!slot)
            return mwx_err_set(err, MWX_ENOMEM, "%s: compaction: out of memory", c->base);
        if (!*slot) {
            if (mwxi_grow(&c->key_last, &c->cap_keys, c->n_keys + 1, sizeof *c->key_last, 256))
                return mwx_err_set(err, MWX_ENOMEM, "%s: compaction: out of memory", c->base);
            *slot = ++c->n_keys;
        }
        c->key_last[*slot - 1] = ord;
        e->key = (uint32_t)*slot;
    }
    return MWX_OK;
}

/* Would the archive keep record ord (before its bound)? 2 for the scenario record. A
 * record kept were it not too old counts as dropped (once: the writing pass asks). */
static int kept(compact_ctx_t *c, uint64_t ord, int count)
{
    const crec_t *e = &c->rec[ord];
    if (e->cls != 1)
        return e->cls;
    if (e->key && c->key_last[e->key - 1] != ord)
        return 0; /* a later state of the same track or object follows */
    if (e->old) {
        c->dropped += count ? 1 : 0;
        return 0;
    }
    return 1;
}

static int pass2(void *user, const mwx_record_t *r, uint64_t ord, mwx_err_t *err)
{
    compact_ctx_t *c = user;
    if (ord >= c->n_rec) /* the inputs changed under us */
        return mwx_err_set(err, MWX_EINVAL, "%s: compaction: inputs changed", c->base);
    int k = kept(c, ord, 1);
    if (!k)
        return MWX_OK;
    if (k == 1 && c->skipped < c->skip) { /* the oldest beyond keep_bytes */
        c->skipped++;
        c->dropped++;
        return MWX_OK;
    }
    return mwx_recwriter_append(c->w, r, err);
}

int mwxi_recseg_compact(const char *base, uint64_t archive, uint64_t k, uint64_t keep_bytes,
                        double t_min, uint64_t *dropped, mwx_err_t *err)
{
    size_t len = strlen(base) + 48;
    char *in[2] = {NULL, NULL}, *outp = malloc(len);
    size_t n_in = 0;
    int rc = MWX_OK;
    compact_ctx_t c;
    memset(&c, 0, sizeof c);
    c.base = base;
    c.t_min = t_min;
    if (dropped)
        *dropped = 0;
    if (!outp)
        return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", base);
    if (archive && (in[n_in] = malloc(len)))
        (void)mwxi_recseg_name(base, archive, 1, in[n_in++], len);
    if ((in[n_in] = malloc(len)))
        (void)mwxi_recseg_name(base, k, 0, in[n_in++], len);
    if (n_in != (archive ? 2u : 1u)) {
        rc = mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", base);
        goto out;
    }
    (void)mwxi_recseg_name(base, k, 1, outp, len);
    if ((rc = each_record(in, n_in, pass1, &c, err)))
        goto out;
    if (keep_bytes) {
        /* how many of the oldest kept records to drop so that the rest fit keep_bytes */
        uint64_t kept_bytes = 0;
        for (size_t i = 0; i < c.n_rec; i++)
            if (kept(&c, i, 0) == 1)
                kept_bytes += c.rec[i].size;
        for (size_t i = 0; i < c.n_rec && kept_bytes > keep_bytes; i++)
            if (kept(&c, i, 0) == 1) {
                kept_bytes -= c.rec[i].size;
                c.skip++;
            }
    }
    if ((rc = mwx_recwriter_open(outp, MWX_REC_ATOMIC, &c.w, err)))
        goto out;
    if ((rc = each_record(in, n_in, pass2, &c, err))) {
        mwx_recwriter_abort(c.w);
        goto out;
    }
    /* close writes BASE.k.compacted.tmp, fsyncs, renames, fsyncs the directory: only
     * then are the inputs removed (a crash in between leaves leftovers readers skip) */
    if ((rc = mwx_recwriter_close(c.w, err)))
        goto out;
    if (dropped)
        *dropped = c.dropped;
    for (size_t i = 0; i < n_in; i++)
        if (unlink(in[i]) && errno != ENOENT) {
            rc = mwx_err_set(err, MWX_EIO, "%s: %s", in[i], strerror(errno));
            goto out;
        }
    if (mwxi_recseg_fsync_dir(base))
        rc = mwx_err_set(err, MWX_EIO, "%s: fsync of its directory: %s", base, strerror(errno));
out:
    free(c.map.key);
    free(c.map.last);
    free(c.key_last);
    free(c.rec);
    for (size_t i = 0; i < 2; i++)
        free(in[i]);
    free(outp);
    return rc;
}
