/* libFuzzer: bytes as `mwx node`'s outbox or inbox (src/node/service_log.c), read the three
 * ways a node reads one: the dump (`mwx node --dump-log`, read only, every envelope
 * peeked and printed), the read-only replay, and the writer's open (which cuts a torn
 * tail), then one append. Properties: no crash, no leak; the open sees exactly the
 * entries the read-only reader sees, and after the cut and an append the log holds one
 * more, whatever the bytes were (a torn tail is cut, never misread).
 *
 * Input starting with "MWXLOG1\n" is the file itself. Any other input is split into
 * entries at each "\n--\n", each framed with its right length and CRC (and a zero
 * clock), so that mutations reach the envelope decoding behind the checks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "mwx/node.h"
#include "node/service_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[192];
static FILE *devnull;

static int count(void *user, double unix_s, double t_scn, const uint8_t *d, size_t len)
{
    (*(uint64_t *)user)++;
    return MWX_OK;
}

static void frame(FILE *f, const uint8_t *d, size_t len)
{
    uint8_t m[24];
    uint32_t n32 = (uint32_t)len;
    memset(m, 0, sizeof m);
    uint32_t crc = mwxi_crc32c(mwxi_crc32c(0, m + 8, 16), d, len);
    memcpy(m, &n32, 4);
    memcpy(m + 4, &crc, 4);
    fwrite(m, 1, sizeof m, f);
    fwrite(d, 1, len, f);
}

static void write_input(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size >= 8 && memcmp(data, "MWXLOG1\n", 8) == 0) {
        fwrite(data, 1, size, f);
    } else {
        double start = 1.8e9;
        fwrite("MWXLOG1\n", 1, 8, f);
        fwrite(&start, 1, 8, f);
        const uint8_t *p = data, *end = data + size;
        while (p <= end) {
            const uint8_t *sep = NULL;
            for (const uint8_t *q = p; q + 4 <= end; q++)
                if (memcmp(q, "\n--\n", 4) == 0) {
                    sep = q;
                    break;
                }
            size_t len = (size_t)((sep ? sep : end) - p);
            if (len <= 4096)
                frame(f, p, len);
            if (!sep)
                break;
            p = sep + 4;
        }
    }
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        snprintf(path, sizeof path, "%s/fuzz_node_log.%d.inbox",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
        devnull = fopen("/dev/null", "w");
    }
    write_input(data, size);
    (void)mwx_node_log_dump(path, devnull, NULL);
    uint64_t seen = 0, opened = 0, after = 0;
    int rc_read = mwxi_svc_log_read(path, count, &seen, NULL);
    svc_log_t *l = NULL;
    double start;
    int existed;
    if (mwxi_svc_log_open(path, 1.0, count, &opened, &l, &start, &existed, NULL) != MWX_OK) {
        if (rc_read == MWX_OK && seen > 0)
            abort(); /* the reader took a log the writer refuses */
        unlink(path);
        return 0;
    }
    if (rc_read == MWX_OK && opened != seen)
        abort(); /* the two readers disagree on the entries */
    if (mwxi_svc_log_count(l) != opened)
        abort();
    static const uint8_t one[] = {1, 2, 3};
    if (mwxi_svc_log_append(l, 1.0, 2.0, one, sizeof one, 0, NULL) != MWX_OK)
        abort();
    mwxi_svc_log_close(l);
    if (mwxi_svc_log_read(path, count, &after, NULL) != MWX_OK || after != opened + 1)
        abort(); /* the append did not follow the last whole entry */
    unlink(path);
    return 0;
}
