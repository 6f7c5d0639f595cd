/* libFuzzer: bytes as a whole .mwxr file, through the reader (plain and follow mode) and
 * mwx_records_load. Properties: no crash, no leak, no giant allocation; the two reads
 * agree on the records; every record's JSON is produced. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mwx/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "%s/fuzz_recording.%d.mwxr",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);

    mwx_err_t err;
    mwx_recreader_t *r;
    mwx_record_t rec;
    size_t n = 0;
    int rc = mwx_recreader_open(path, 0, &r, &err);
    if (rc == 0) {
        while ((rc = mwx_recreader_next(r, &rec, &err)) == 0) {
            char *s = mwx_record_to_json(&rec);
            if (!s)
                abort();
            free(s);
            n++;
        }
        if (mwx_recreader_offset(r) > size)
            abort();
        mwx_recreader_close(r);
    }

    /* follow mode returns the same records, then EAGAIN or the same error */
    size_t m = 0;
    int rf = mwx_recreader_open(path, MWX_READ_FOLLOW, &r, &err);
    if (rf == 0) {
        while ((rf = mwx_recreader_next(r, &rec, &err)) == 0)
            m++;
        mwx_recreader_close(r);
        if (m != n)
            abort();
        if (rf != MWX_EAGAIN && rf != rc)
            abort();
    }

    mwx_records_t rs;
    int rl = mwx_records_load(path, &rs, &err);
    if ((rl == 0 || rl == MWX_ETRUNC || rl == MWX_ECORRUPT) && rs.n != n)
        abort();
    mwx_records_free(&rs);
    unlink(path);
    return 0;
}
