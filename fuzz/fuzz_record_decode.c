/* libFuzzer: one record payload. data[0] picks the record type (any value: unknown types
 * must be refused), the rest is the protobuf payload. Properties checked beyond "no
 * crash, no leak": a record that decodes re-encodes, decodes back to the same struct,
 * and its JSON parses. */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mwx/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static char json[1 << 16], json2[1 << 16];
    static uint8_t enc[1 << 17];
    mwx_record_t rec, back;
    mwx_err_t err;
    mwx_rec_type_t type = (mwx_rec_type_t)data[0];
    memset(&rec, 0, sizeof rec);
    if (mwx_record_decode(type, data + 1, size - 1, &rec, json, sizeof json, &err) != 0)
        return 0;
    size_t len = 0;
    if (mwx_record_encode(&rec, enc, sizeof enc, &len) != 0)
        abort(); /* decode accepted what encode refuses */
    if (mwx_record_decode(type, enc, len, &back, json2, sizeof json2, &err) != 0)
        abort();
    if (type == MWX_REC_SCENARIO) {
        if (!rec.u.scenario.json != !back.u.scenario.json)
            abort();
        if (rec.u.scenario.json && strcmp(rec.u.scenario.json, back.u.scenario.json))
            abort();
        rec.u.scenario.json = back.u.scenario.json = NULL;
    }
    if (memcmp(&rec, &back, sizeof rec) != 0)
        abort();
    /* a live feed's gate: whatever it lets through is finite where the tracker computes */
    if (type == MWX_REC_MEAS && mwx_rec_meas_check(&rec.u.meas, &err) == MWX_OK &&
        !(isfinite(rec.u.meas.t) && isfinite(rec.u.meas.range_m) &&
          isfinite(rec.u.meas.sigma_range_m) && isfinite(rec.u.meas.los_ecef[0])))
        abort();
    char *s = mwx_record_to_json(&rec);
    if (!s)
        abort();
    json_error_t e;
    json_t *j = json_loads(s, JSON_DECODE_INT_AS_REAL, &e);
    if (!j)
        abort(); /* mwx cat would print a line that is not JSON */
    json_decref(j);
    free(s);
    return 0;
}
