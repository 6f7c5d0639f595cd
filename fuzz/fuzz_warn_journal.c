#define _GNU_SOURCE /* memmem */
/* libFuzzer: bytes as a warning journal (src/warn/journal.c) read by mwx_warn_create:
 * framing, the entries' checks, the restore of the series (orphans, republishing a
 * missing CAP file), then a tick and a track update on the restored state. Properties: no
 * crash, no leak; a bad journal is an error, never a misread.
 *
 * Input starting with "MWXWJ01\n" is the file itself. Any other input is split into
 * entries at each "\n--\n"; each entry is zero-padded (or cut) to the record size and
 * framed with a right CRC, so that mutations reach the checks behind the CRC. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "mwx/warn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[128], regions[160], jpath[192];
static uint32_t layout;

static const char REGIONS[] =
    "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":"
    "{\"id\":\"JP-13\",\"name\":\"Tokyo\",\"name_local\":\"Tokyo\",\"country\":\"JP\"},"
    "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[139,35],[140,35],[140,36],"
    "[139,36],[139,35]]]}}]}";

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}

static mwx_warn_t *open_ctx(void)
{
    mwx_warn_config_t cfg;
    mwx_warn_t *w = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.node = "JP";
    cfg.source = MWX_WARN_SOURCE_SIMULATED;
    cfg.status = MWX_STATUS_EXERCISE;
    cfg.epoch_unix_s = 1.8e9;
    cfg.regions_path = regions;
    cfg.out_dir = dir;
    cfg.journal_path = jpath;
    (void)mwx_warn_create(&cfg, &w, NULL);
    return w;
}

static void setup(void)
{
    FILE *f;
    uint8_t h[16];
    mwx_warn_t *w;
    snprintf(dir, sizeof dir, "%s/fuzz_warn_journal.%d",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
    mkdir(dir, 0755);
    snprintf(regions, sizeof regions, "%s/regions.geojson", dir);
    snprintf(jpath, sizeof jpath, "%s/node.warn", dir);
    f = fopen(regions, "wb");
    if (!f || fwrite(REGIONS, 1, sizeof REGIONS - 1, f) != sizeof REGIONS - 1)
        abort();
    fclose(f);
    unlink(jpath);
    w = open_ctx(); /* a fresh journal: its header gives the record size */
    if (!w)
        abort();
    mwx_warn_free(w);
    f = fopen(jpath, "rb");
    if (!f || fread(h, 1, 16, f) != 16)
        abort();
    fclose(f);
    layout = (uint32_t)h[8] | (uint32_t)h[9] << 8 | (uint32_t)h[10] << 16 | (uint32_t)h[11] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f;
    mwx_warn_t *w;
    if (!layout)
        setup();
    f = fopen(jpath, "wb");
    if (!f)
        abort();
    if (size >= 8 && memcmp(data, "MWXWJ01\n", 8) == 0) {
        if (fwrite(data, 1, size, f) != size)
            abort();
    } else {
        uint8_t h[16], eh[8];
        uint8_t *rec = calloc(1, layout);
        size_t at = 0;
        memcpy(h, "MWXWJ01\n", 8);
        put32(h + 8, layout);
        put32(h + 12, 0);
        fwrite(h, 1, 16, f);
        while (at < size && rec) {
            const uint8_t *end = memmem(data + at, size - at, "\n--\n", 4);
            size_t n = end ? (size_t)(end - (data + at)) : size - at;
            memset(rec, 0, layout);
            memcpy(rec, data + at, n < layout ? n : layout);
            put32(eh, layout);
            put32(eh + 4, mwxi_crc32c(0, rec, layout));
            fwrite(eh, 1, 8, f);
            fwrite(rec, 1, layout, f);
            at += n + (end ? 4 : 0);
        }
        free(rec);
    }
    fclose(f);
    w = open_ctx();
    if (w) {
        mwx_err_t err;
        memset(&err, 0, sizeof err);
        (void)mwx_warn_tick(w, 1000.0, &err);
        mwx_warn_free(w);
    }
    return 0;
}
