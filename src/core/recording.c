/* The .mwxr recording (placeholder until the recording issue lands). */
#include "mwx/core.h"

int mwx_recwriter_open(const char *path, int flags, mwx_recwriter_t **out, mwx_err_t *err)
{
    return mwx_err_set(err, MWX_EUNSUPPORTED, "%s: recordings not built yet", path);
}
int mwx_recwriter_append(mwx_recwriter_t *w, const mwx_record_t *rec, mwx_err_t *err)
{
    return MWX_EUNSUPPORTED;
}
int mwx_recwriter_flush(mwx_recwriter_t *w, int durable, mwx_err_t *err) { return MWX_EUNSUPPORTED; }
int mwx_recwriter_close(mwx_recwriter_t *w, mwx_err_t *err) { return MWX_EUNSUPPORTED; }
void mwx_recwriter_abort(mwx_recwriter_t *w) {}
uint64_t mwx_recwriter_count(const mwx_recwriter_t *w) { return 0; }
int mwx_recreader_open(const char *path, int flags, mwx_recreader_t **out, mwx_err_t *err)
{
    return mwx_err_set(err, MWX_EUNSUPPORTED, "%s: recordings not built yet", path);
}
int mwx_recreader_next(mwx_recreader_t *r, mwx_record_t *rec, mwx_err_t *err) { return MWX_EUNSUPPORTED; }
uint64_t mwx_recreader_offset(const mwx_recreader_t *r) { return 0; }
void mwx_recreader_close(mwx_recreader_t *r) {}
int mwx_records_load(const char *path, mwx_records_t *out, mwx_err_t *err)
{
    return mwx_err_set(err, MWX_EUNSUPPORTED, "%s: recordings not built yet", path);
}
int mwx_records_push(mwx_records_t *rs, const mwx_record_t *rec) { return MWX_EUNSUPPORTED; }
void mwx_records_free(mwx_records_t *rs) {}
