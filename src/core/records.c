/* Whole recordings in memory, for offline commands (track, score, serve). */
#include "core/grow.h"
#include "mwx/core.h"

#include <stdlib.h>
#include <string.h>

int mwx_records_push(mwx_records_t *rs, const mwx_record_t *rec)
{
    if (mwxi_grow(&rs->v, &rs->cap, rs->n + 1, sizeof *rs->v, 256) != 0)
        return MWX_ENOMEM;
    rs->v[rs->n++] = *rec;
    return 0;
}

void mwx_records_free(mwx_records_t *rs)
{
    if (!rs)
        return;
    free(rs->v);
    free(rs->scenario_json);
    memset(rs, 0, sizeof *rs);
}

/* Every whole record; on a torn tail or corruption the records before it stay in out
 * and the code is returned, so that callers can warn and go on. The first scenario
 * record's text is kept (scenario_json) and that record points at it; any later
 * scenario record has json NULL. */
int mwx_records_each(const char *path, mwx_record_fn fn, void *user, mwx_err_t *err)
{
    mwx_recreader_t *r;
    int rc = mwx_recreader_open(path, 0, &r, err);
    if (rc)
        return rc;
    mwx_record_t rec;
    while ((rc = mwx_recreader_next(r, &rec, err)) == 0)
        if ((rc = fn(user, &rec, err)) != 0)
            break;
    mwx_recreader_close(r);
    if (rc == MWX_EOF) {
        mwx_err_clear(err);
        return 0;
    }
    return rc;
}

typedef struct load_ctx {
    const char *path;
    mwx_records_t *out;
} load_ctx_t;

static int load_one(void *user, const mwx_record_t *in, mwx_err_t *err)
{
    load_ctx_t *c = user;
    mwx_records_t *out = c->out;
    mwx_record_t rec = *in;
    if (rec.type == MWX_REC_SCENARIO) {
        const char *json = rec.u.scenario.json;
        rec.u.scenario.json = NULL;
        if (json && !out->scenario_json) {
            out->scenario_json = strdup(json);
            if (!out->scenario_json)
                return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory", c->path);
            rec.u.scenario.json = out->scenario_json;
        }
    }
    if (mwx_records_push(out, &rec))
        return mwx_err_set(err, MWX_ENOMEM, "%s: out of memory after %zu records", c->path, out->n);
    return 0;
}

int mwx_records_load(const char *path, mwx_records_t *out, mwx_err_t *err)
{
    memset(out, 0, sizeof *out);
    load_ctx_t c = {path, out};
    int rc = mwx_records_each(path, load_one, &c, err);
    if (rc != 0 && rc != MWX_ETRUNC && rc != MWX_ECORRUPT)
        mwx_records_free(out);
    return rc;
}
