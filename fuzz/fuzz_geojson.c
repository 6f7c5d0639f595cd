/* libFuzzer target: bytes -> the regions (GeoJSON) loader, then a few queries on what
 * loaded. Every failure must say why; a success must give regions that answer queries. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mwx/warn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mwx_regions_t *r = NULL;
    mwx_err_t err = {0, ""};
    int rc;

    if (size > 256 * 1024)
        return 0; /* keep one input's cost bounded */
    rc = mwx_regions_load_string((const char *)data, size, "fuzz.geojson", &r, &err);
    if (rc == 0) {
        uint8_t hit[MWX_MAX_ALERT_REGIONS];
        size_t n = mwx_regions_count(r), nh;
        mwx_rec_impact_est_t e = {.valid = 1,
                                  .lat = 10.5,
                                  .lon = 10.5,
                                  .semi_major_km = 200,
                                  .semi_minor_km = 50,
                                  .orientation_deg = 30};
        double line[3][2] = {{10.0, 179.5}, {10.5, -179.5}, {11.0, 10.0}};
        if (!r || n == 0 || n > MWX_MAX_ALERT_REGIONS)
            abort();
        for (size_t i = 0; i < n; i++)
            if (mwx_regions_find(r, mwx_regions_info(r, i)->id) != (int)i)
                abort(); /* ids are unique */
        if (mwx_regions_in_ellipse(r, &e, 0, hit, &nh, &err) == 0 && nh > n)
            abort();
        (void)mwx_regions_at_point(r, 0.5, 0.5, hit, &nh, &err);
        memset(hit, 0, sizeof hit);
        (void)mwx_regions_along_line(r, (const double(*)[2])line, 3, 20.0, hit, &nh, &err);
        mwx_regions_free(r);
    } else if (!err.msg[0] || r) {
        abort();
    }
    return 0;
}
