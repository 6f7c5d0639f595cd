/* Writes .mwxr files for the `mwx cat` integration test (tests/core/test_cat.sh), with
 * the recording API only (no dependency on `mwx sim`).
 *
 *   test_recording_fixture OUT sample      the 9 samples, twice (18 records)
 *   test_recording_fixture OUT torn        sample, the last record cut 5 bytes short
 *   test_recording_fixture OUT corrupt     sample, one payload byte of record 4 flipped
 *   test_recording_fixture OUT big         20000 records (more than a pipe holds)
 *   test_recording_fixture OUT slow N      LIVE: N truth records, flushed one by one
 *                                          20 ms apart */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mwx/core.h"

size_t mwx_test_samples(mwx_record_t *out);

static int die(const mwx_err_t *err)
{
    fprintf(stderr, "fixture: %s\n", err->msg);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: test_recording_fixture OUT sample|torn|corrupt|big|slow N\n");
        return 2;
    }
    const char *out = argv[1], *mode = argv[2];
    mwx_record_t s[9];
    size_t n = mwx_test_samples(s);
    mwx_recwriter_t *w;
    mwx_err_t err;
    int slow = strcmp(mode, "slow") == 0;
    if (mwx_recwriter_open(out, slow ? MWX_REC_LIVE : MWX_REC_ATOMIC, &w, &err))
        return die(&err);
    if (slow) {
        int count = argc > 3 ? atoi(argv[3]) : 10;
        mwx_record_t r = s[1];
        for (int i = 0; i < count; i++) {
            r.u.truth.t = i;
            struct timespec ts = {0, 20 * 1000 * 1000};
            if (mwx_recwriter_append(w, &r, &err) || mwx_recwriter_flush(w, 0, &err))
                return die(&err);
            nanosleep(&ts, NULL);
        }
    } else {
        size_t total = strcmp(mode, "big") == 0 ? 20000 : 2 * n;
        for (size_t i = 0; i < total; i++)
            if (mwx_recwriter_append(w, &s[i % n], &err))
                return die(&err);
    }
    if (mwx_recwriter_close(w, &err))
        return die(&err);
    if (strcmp(mode, "torn") == 0 || strcmp(mode, "corrupt") == 0) {
        mwx_recreader_t *r;
        mwx_record_t rec;
        uint64_t off[32] = {0};
        size_t k = 0;
        if (mwx_recreader_open(out, 0, &r, &err))
            return die(&err);
        off[0] = mwx_recreader_offset(r);
        while (k < 31 && mwx_recreader_next(r, &rec, &err) == 0)
            off[++k] = mwx_recreader_offset(r);
        mwx_recreader_close(r);
        if (mode[0] == 't') {
            if (truncate(out, (off_t)off[k] - 5))
                return 1;
            printf("%llu\n", (unsigned long long)off[k - 1]); /* the torn record's offset */
        } else {
            FILE *f = fopen(out, "r+b");
            if (!f || fseek(f, (long)off[4] + 20, SEEK_SET))
                return 1;
            int c = fgetc(f);
            fseek(f, (long)off[4] + 20, SEEK_SET);
            fputc(c ^ 0x40, f);
            fclose(f);
            printf("%llu\n", (unsigned long long)off[4]);
        }
    }
    return 0;
}
