/* Record encoding (placeholder until the recording issue lands). */
#include "mwx/core.h"

#include <stdlib.h>

int mwx_record_encode(const mwx_record_t *rec, uint8_t *buf, size_t cap, size_t *len)
{
    return MWX_EUNSUPPORTED;
}

size_t mwx_record_encoded_size(const mwx_record_t *rec) { return 0; }

int mwx_record_decode(mwx_rec_type_t type, const uint8_t *buf, size_t len, mwx_record_t *rec,
                      char *json_buf, size_t json_cap, mwx_err_t *err)
{
    return mwx_err_set(err, MWX_EUNSUPPORTED, "record decoding not built yet");
}

char *mwx_record_to_json(const mwx_record_t *rec) { return NULL; }
