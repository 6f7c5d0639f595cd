/* Recording throughput: .mwxr write and read of realistic meas and track records, each
 * against a plain write()/read() of the very same bytes in the same run.
 *
 * Method (printed too): N records of one kind (radar/IR measurements, 15 % false alarms;
 * tracks with covariances, half with launch and impact estimates) are
 *   - encoded only, and decoded only (CPU: protobuf-c + validation),
 *   - written with a LIVE writer, timed to the last flush (page cache, no fsync), against
 *     write() of the resulting file's bytes in 64 KiB chunks,
 *   - written with an ATOMIC writer, open to close (fsync, rename, directory fsync),
 *     against write() + fsync() of the same bytes,
 *   - read with the reader (checksums, decode, validation; file in the page cache),
 *     against read() of the same file in 64 KiB chunks.
 * Best of 3 for each (wall time, and process CPU time where it means something: it is
 * steadier on a shared machine); MB = 10^6 bytes of file. Files go to $MWX_BENCH_DIR or
 * /tmp. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "mwx/core.h"

#define N_RECORDS 100000
#define REPS      3
#define CHUNK     (64 * 1024)

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static double urand(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static void make_meas(mwx_record_t *r, size_t i)
{
    memset(r, 0, sizeof *r);
    r->type = MWX_REC_MEAS;
    mwx_rec_meas_t *m = &r->u.meas;
    m->t = 60.0 + 0.05 * (double)i;
    if (i % 4 == 3) {
        strcpy(m->sensor, "US-OPIR-1");
        strcpy(m->nation, "US");
        m->kind = MWX_SENSOR_IR;
        m->sensor_ecef_m[0] = 21082000.0, m->sensor_ecef_m[1] = 36515000.0;
        double x = -0.6 + 0.01 * urand(), y = -0.8 + 0.01 * urand(), z = 0.02 * urand();
        double n = x * x + y * y + z * z;
        m->los_ecef[0] = x / n, m->los_ecef[1] = y / n, m->los_ecef[2] = z / n;
        m->sigma_los_urad = 30;
    } else {
        strcpy(m->sensor, "KR-GP-1");
        strcpy(m->nation, "KR");
        m->kind = MWX_SENSOR_RADAR;
        m->sensor_ecef_m[0] = -3051234.5, m->sensor_ecef_m[1] = 4048765.25,
        m->sensor_ecef_m[2] = 3729876.75;
        m->range_m = 200000 + 700000 * urand();
        m->az_deg = 360 * urand();
        m->el_deg = 1 + 60 * urand();
        m->sigma_range_m = 30, m->sigma_az_deg = 0.05, m->sigma_el_deg = 0.05;
    }
    if (urand() > 0.15)
        strcpy(m->truth_object, "L1");
}

static void make_track(mwx_record_t *r, size_t i)
{
    memset(r, 0, sizeof *r);
    r->type = MWX_REC_TRACK;
    mwx_rec_track_t *k = &r->u.track;
    k->t = 60.0 + 0.5 * (double)i;
    strcpy(k->node, "JP");
    snprintf(k->track_id, sizeof k->track_id, "JP-%zu", i % 7);
    for (int j = 0; j < 3; j++) {
        k->ecef_m[j] = 6.4e6 * (urand() - 0.5);
        k->vel_mps[j] = 3000 * (urand() - 0.5);
    }
    for (int j = 0; j < 6; j++) {
        k->cov_pos_m2[j] = 1e4 * urand();
        k->cov_vel_m2s2[j] = 1e2 * urand();
    }
    k->phase = MWX_PHASE_BALLISTIC;
    k->confirmed = 1;
    strcpy(k->sources, "JP,US");
    if (i % 2) {
        k->launch.valid = 1;
        k->launch.lat = 39.0 + urand(), k->launch.lon = 125.7 + urand(), k->launch.t = 60.3;
        k->impact.valid = 1;
        k->impact.lat = 40.5 + urand(), k->impact.lon = 135.5 + urand();
        k->impact.t = 1012.4 + urand();
        k->impact.semi_major_km = 10 * urand(), k->impact.semi_minor_km = 2 * urand();
        k->impact.orientation_deg = 180 * urand();
    }
}

static void die(const char *what, const mwx_err_t *err)
{
    fprintf(stderr, "bench recording: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path, NULL);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n);
    if (!b || fread(b, 1, *n, f) != *n)
        die(path, NULL);
    fclose(f);
    return b;
}

static double plain_write(const char *path, const unsigned char *b, size_t n, int sync)
{
    unlink(path);
    double t0 = mwx_time_mono();
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die(path, NULL);
    for (size_t off = 0; off < n; off += CHUNK) {
        size_t k = n - off < CHUNK ? n - off : CHUNK;
        if (write(fd, b + off, k) != (ssize_t)k)
            die("write", NULL);
    }
    if (sync && fsync(fd))
        die("fsync", NULL);
    close(fd);
    return mwx_time_mono() - t0;
}

static double plain_read(const char *path, size_t expect)
{
    static unsigned char buf[CHUNK];
    double t0 = mwx_time_mono();
    int fd = open(path, O_RDONLY);
    size_t total = 0;
    ssize_t k;
    while ((k = read(fd, buf, sizeof buf)) > 0)
        total += (size_t)k;
    close(fd);
    if (total != expect)
        die("read", NULL);
    return mwx_time_mono() - t0;
}

static double min2(double a, double b)
{
    return a < b ? a : b;
}

/* CPU seconds of this process: steadier than wall time on a shared machine. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void line(const char *what, double s, double cpu, size_t n, size_t bytes, double base_s)
{
    printf("  %-30s %7.1f MB/s %8.0f rec/s", what, (double)bytes / s / 1e6, (double)n / s);
    if (cpu > 0)
        printf(" %5.2f us CPU/rec", cpu / (double)n * 1e6);
    if (base_s > 0)
        printf("   %.2fx the time of plain I/O (%.0f MB/s)", s / base_s,
               (double)bytes / base_s / 1e6);
    printf("\n");
}

static void run(const char *kind, void (*make)(mwx_record_t *, size_t), const char *dir)
{
    size_t n = N_RECORDS;
    mwx_record_t *recs = malloc(n * sizeof *recs);
    if (!recs)
        die("malloc", NULL);
    for (size_t i = 0; i < n; i++)
        make(&recs[i], i);
    char path[512], plain[512];
    snprintf(path, sizeof path, "%s/bench_recording.%d.mwxr", dir, (int)getpid());
    snprintf(plain, sizeof plain, "%s/bench_recording.%d.plain", dir, (int)getpid());
    mwx_err_t err;

    /* encode / decode only */
    unsigned char *enc = malloc(n * 512);
    size_t *lens = malloc(n * sizeof *lens), total_payload = 0;
    double t_enc = 1e9, t_dec = 1e9, c_enc = 1e9, c_dec = 1e9;
    for (int rep = 0; rep < REPS; rep++) {
        double t0 = mwx_time_mono(), c0 = cpu_s();
        for (size_t i = 0; i < n; i++)
            if (mwx_record_encode(&recs[i], enc + i * 512, 512, &lens[i]))
                die("encode", NULL);
        t_enc = min2(t_enc, mwx_time_mono() - t0);
        c_enc = min2(c_enc, cpu_s() - c0);
        mwx_record_t out;
        t0 = mwx_time_mono(), c0 = cpu_s();
        for (size_t i = 0; i < n; i++)
            if (mwx_record_decode(recs[i].type, enc + i * 512, lens[i], &out, NULL, 0, &err))
                die("decode", &err);
        t_dec = min2(t_dec, mwx_time_mono() - t0);
        c_dec = min2(c_dec, cpu_s() - c0);
    }
    for (size_t i = 0; i < n; i++)
        total_payload += lens[i];

    /* write, no fsync (LIVE, timed to the last flush) and fsync'd (ATOMIC, to close) */
    double t_live = 1e9, t_atomic = 1e9, c_live = 1e9;
    for (int rep = 0; rep < REPS; rep++) {
        mwx_recwriter_t *w;
        unlink(path);
        double t0 = mwx_time_mono(), c0 = cpu_s();
        if (mwx_recwriter_open(path, MWX_REC_LIVE, &w, &err))
            die("open", &err);
        for (size_t i = 0; i < n; i++)
            if (mwx_recwriter_append(w, &recs[i], &err))
                die("append", &err);
        if (mwx_recwriter_flush(w, 0, &err))
            die("flush", &err);
        t_live = min2(t_live, mwx_time_mono() - t0);
        c_live = min2(c_live, cpu_s() - c0);
        if (mwx_recwriter_close(w, &err))
            die("close", &err);
        unlink(path);
        t0 = mwx_time_mono();
        if (mwx_recwriter_open(path, MWX_REC_ATOMIC, &w, &err))
            die("open", &err);
        for (size_t i = 0; i < n; i++)
            if (mwx_recwriter_append(w, &recs[i], &err))
                die("append", &err);
        if (mwx_recwriter_close(w, &err))
            die("close", &err);
        t_atomic = min2(t_atomic, mwx_time_mono() - t0);
    }
    size_t size;
    unsigned char *bytes = slurp(path, &size);
    double b_write = 1e9, b_fsync = 1e9;
    for (int rep = 0; rep < REPS; rep++) {
        b_write = min2(b_write, plain_write(plain, bytes, size, 0));
        b_fsync = min2(b_fsync, plain_write(plain, bytes, size, 1));
    }

    /* read (page cache) */
    double t_read = 1e9, b_read = 1e9, c_read = 1e9;
    for (int rep = 0; rep < REPS; rep++) {
        mwx_recreader_t *r;
        mwx_record_t rec;
        size_t got = 0;
        int rc;
        double t0 = mwx_time_mono(), c0 = cpu_s();
        if (mwx_recreader_open(path, 0, &r, &err))
            die("open", &err);
        while ((rc = mwx_recreader_next(r, &rec, &err)) == 0)
            got++;
        mwx_recreader_close(r);
        t_read = min2(t_read, mwx_time_mono() - t0);
        c_read = min2(c_read, cpu_s() - c0);
        if (rc != MWX_EOF || got != n)
            die("read", &err);
        b_read = min2(b_read, plain_read(plain, size));
    }

    printf("%s: %zu records, %zu bytes (%.1f bytes/record, %.1f of them payload)\n", kind, n, size,
           (double)size / (double)n, (double)total_payload / (double)n);
    line("encode only", t_enc, c_enc, n, total_payload, 0);
    line("decode + validate only", t_dec, c_dec, n, total_payload, 0);
    line("write, LIVE, no fsync", t_live, c_live, n, size, b_write);
    line("write, ATOMIC, fsync + rename", t_atomic, 0, n, size, b_fsync);
    line("read (page cache)", t_read, c_read, n, size, b_read);
    unlink(path);
    unlink(plain);
    free(bytes), free(enc), free(lens), free(recs);
}

int main(void)
{
    const char *dir = getenv("MWX_BENCH_DIR");
    if (!dir)
        dir = "/tmp";
    printf("recording: %d records a kind, best of %d; writes to %s; ratios are the time of "
           "the .mwxr path over plain write()/read() of the same bytes in 64 KiB chunks "
           "(1.00x = free)\n",
           N_RECORDS, REPS, dir);
    size_t crc_n = 64u << 20;
    unsigned char *buf = malloc(crc_n);
    memset(buf, 0x5a, crc_n);
    double t0 = cpu_s();
    uint32_t c = mwxi_crc32c(0, buf, crc_n);
    double t_crc = cpu_s() - t0;
    printf("  crc32c (slicing-by-8): %.2f GB/s of CPU time (check %08x)\n",
           (double)crc_n / t_crc / 1e9, (unsigned)c);
    free(buf);
    run("meas", make_meas, dir);
    run("track", make_track, dir);
    return 0;
}
