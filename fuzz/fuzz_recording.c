/* libFuzzer: bytes as a whole .mwxr file, through the reader (plain and follow mode) and
 * mwx_records_load. Properties: no crash, no leak, no giant allocation; the two reads
 * agree on the records; every record's JSON is produced.
 *
 * Input starting with "MWXR" is the file itself. Any other input is a list of frames to
 * write with right checksums (type byte, length byte, payload; a length past the end
 * leaves a torn tail), so that mutations reach record decoding behind the checksums. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/crc32c.h"
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
    if (size >= 4 && memcmp(data, "MWXR", 4) == 0) {
        if (fwrite(data, 1, size, f) != size)
            abort();
    } else {
        /* the layout documented in src/core/recording.c */
        unsigned char h[16] = {'M', 'W', 'X', 'R', 1};
        uint32_t c = mwxi_crc32c(0, h, 12);
        for (int i = 0; i < 4; i++)
            h[12 + i] = (unsigned char)(c >> (8 * i));
        fwrite(h, 1, 16, f);
        uint64_t off = 16;
        size_t i = 0;
        while (i + 2 <= size) {
            unsigned type = data[i], len = data[i + 1];
            i += 2;
            size_t have = size - i < len ? size - i : len;
            unsigned char fh[16] = {(unsigned char)len, 0, 0, 0, (unsigned char)type};
            unsigned char o[8];
            for (int k = 0; k < 8; k++)
                o[k] = (unsigned char)(off >> (8 * k));
            uint32_t hc = mwxi_crc32c(mwxi_crc32c(0, o, 8), fh, 8);
            uint32_t pc = mwxi_crc32c(hc, data + i, len <= have ? len : have);
            for (int k = 0; k < 4; k++) {
                fh[8 + k] = (unsigned char)(hc >> (8 * k));
                fh[12 + k] = (unsigned char)(pc >> (8 * k));
            }
            fwrite(fh, 1, 16, f);
            fwrite(data + i, 1, have, f);
            i += have;
            off += 16 + have;
        }
    }
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
