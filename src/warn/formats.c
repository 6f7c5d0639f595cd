/* The output formats of the warn module: the one table the dispatcher (warn.c) runs.
 *
 * A new format is a new file defining a mwx_warn_format_t (warn_internal.h; as cap.c,
 * atom.c, cot.c, geojson.c) plus its two lines here: the extern and the table entry. Its
 * kind is its position in this table: the four first are the values named in warn.h's
 * mwx_warn_output_t, a later one is the next integer, and mwx_warn_output_name() gives
 * every kind's name to emit callbacks. Nothing else changes: warn.c calls each format's
 * callbacks in this order, and test_warn_formats checks the table (kinds are positions,
 * names unique). */
#include "warn/warn_internal.h"

#include <string.h>

extern const mwx_warn_format_t mwxi_warn_format_cap;
extern const mwx_warn_format_t mwxi_warn_format_atom;
extern const mwx_warn_format_t mwxi_warn_format_cot;
extern const mwx_warn_format_t mwxi_warn_format_geojson;

static const mwx_warn_format_t *const formats[] = {
    &mwxi_warn_format_cap,     /* MWX_WARN_OUT_CAP */
    &mwxi_warn_format_atom,    /* MWX_WARN_OUT_ATOM */
    &mwxi_warn_format_cot,     /* MWX_WARN_OUT_COT */
    &mwxi_warn_format_geojson, /* MWX_WARN_OUT_GEOJSON */
};

_Static_assert(sizeof formats / sizeof formats[0] <= MWX_WARN_MAX_FORMATS,
               "raise MWX_WARN_MAX_FORMATS (warn_internal.h)");

size_t mwxi_warn_format_count(void)
{
    return sizeof formats / sizeof formats[0];
}

const mwx_warn_format_t *mwxi_warn_format_at(size_t i)
{
    return i < mwxi_warn_format_count() ? formats[i] : NULL;
}

const char *mwx_warn_output_name(mwx_warn_output_t out)
{
    const mwx_warn_format_t *f = mwxi_warn_format_at((size_t)out);
    return f ? f->name : "unknown";
}
