/* The .mwxr recording: round trip through the writers, a cut at every byte of the last
 * record, every single-bit flip of a small file, hostile lengths, zero-filled tails,
 * follow mode while a writer appends byte by byte, APPEND after a torn tail, ATOMIC
 * abort, and mwx_records_load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "mwx/core.h"

size_t mwx_test_samples(mwx_record_t *out);

static char tmpdir[256];

static int setup(void **state)
{
    /* tmpfs when there is one: the writers fsync, and fsync on a busy disk would make
     * this test slow without testing anything more. */
    const char *d = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("MWX_TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_recording.%d", d ? d : "/tmp", (int)getpid());
    mkdir(tmpdir, 0755);
    return 0;
}

static int teardown(void **state)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *tpath(const char *name)
{
    static char p[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
    return p[k];
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* Write the samples (repeated reps times) with flags; returns the record count. */
static size_t write_samples(const char *path, int flags, int reps)
{
    mwx_record_t s[9];
    size_t n = mwx_test_samples(s);
    mwx_recwriter_t *w;
    mwx_err_t err;
    assert_int_equal(mwx_recwriter_open(path, flags, &w, &err), 0);
    for (int k = 0; k < reps; k++)
        for (size_t i = 0; i < n; i++)
            assert_int_equal(mwx_recwriter_append(w, &s[i], &err), 0);
    assert_int_equal(mwx_recwriter_count(w), n * (size_t)reps);
    assert_int_equal(mwx_recwriter_close(w, &err), 0);
    return n * (size_t)reps;
}

/* Equal to sample (i mod 9), the scenario's text compared by content. */
static void assert_sample(const mwx_record_t *got, size_t i)
{
    mwx_record_t s[9];
    size_t n = mwx_test_samples(s);
    mwx_record_t want = s[i % n], g = *got;
    if (want.type == MWX_REC_SCENARIO) {
        assert_non_null(g.u.scenario.json);
        assert_string_equal(g.u.scenario.json, want.u.scenario.json);
        g.u.scenario.json = want.u.scenario.json = NULL;
    }
    assert_memory_equal(&g, &want, sizeof g);
}

/* Read path to the end: records checked against the samples; returns the final code
 * and the count and offsets of the whole records. */
static int read_all(const char *path, size_t *count, uint64_t *offsets, mwx_err_t *err)
{
    mwx_recreader_t *r;
    int rc = mwx_recreader_open(path, 0, &r, err);
    *count = 0;
    if (rc)
        return rc;
    mwx_record_t rec;
    if (offsets)
        offsets[0] = mwx_recreader_offset(r);
    while ((rc = mwx_recreader_next(r, &rec, err)) == 0) {
        assert_sample(&rec, *count);
        (*count)++;
        if (offsets)
            offsets[*count] = mwx_recreader_offset(r);
    }
    /* errors are sticky */
    mwx_err_t again;
    assert_int_equal(mwx_recreader_next(r, &rec, &again), rc);
    if (rc != MWX_EOF)
        assert_string_equal(again.msg, err->msg);
    mwx_recreader_close(r);
    return rc;
}

static void test_roundtrip_atomic_and_live(void **state)
{
    const char *p = tpath("a.mwxr");
    size_t n = write_samples(p, MWX_REC_ATOMIC, 50), got;
    mwx_err_t err;
    uint64_t off[460];
    assert_int_equal(read_all(p, &got, off, &err), MWX_EOF);
    assert_int_equal(got, n);
    assert_false(exists(tpath("a.mwxr.tmp")));
    size_t size;
    free(slurp(p, &size));
    assert_int_equal(off[0], 16);
    assert_int_equal(off[n], size);

    const char *q = tpath("l.mwxr");
    n = write_samples(q, MWX_REC_LIVE, 3);
    assert_int_equal(read_all(q, &got, NULL, &err), MWX_EOF);
    assert_int_equal(got, n);
    /* Same records, same bytes: the format depends on nothing but the records. */
    n = write_samples(p, MWX_REC_ATOMIC, 3);
    size_t s1, s2;
    unsigned char *b1 = slurp(p, &s1), *b2 = slurp(q, &s2);
    assert_int_equal(s1, s2);
    assert_memory_equal(b1, b2, s1);
    assert_memory_equal(b1, "MWXR\x01\x00\x00\x00\x00\x00\x00\x00", 12);
    free(b1), free(b2);

    /* An empty recording is a header only and reads as a clean end. */
    mwx_recwriter_t *w;
    assert_int_equal(mwx_recwriter_open(p, 0, &w, &err), 0);
    assert_int_equal(mwx_recwriter_close(w, &err), 0);
    assert_int_equal(read_all(p, &got, NULL, &err), MWX_EOF);
    assert_int_equal(got, 0);
}

static void test_atomic_abort_and_visibility(void **state)
{
    const char *p = tpath("ab.mwxr"), *t = tpath("ab.mwxr.tmp");
    mwx_record_t s[9];
    mwx_test_samples(s);
    mwx_recwriter_t *w;
    mwx_err_t err;
    assert_int_equal(mwx_recwriter_open(p, MWX_REC_ATOMIC, &w, &err), 0);
    assert_int_equal(mwx_recwriter_append(w, &s[1], &err), 0);
    assert_int_equal(mwx_recwriter_flush(w, 1, &err), 0);
    assert_true(exists(t));
    assert_false(exists(p)); /* never under its final name before close */
    mwx_recwriter_abort(w);
    assert_false(exists(t));
    assert_false(exists(p));

    /* A failed ATOMIC open (no such folder) leaves nothing and says why. */
    assert_int_equal(mwx_recwriter_open(tpath("nope/x.mwxr"), MWX_REC_ATOMIC, &w, &err), MWX_EIO);
    assert_non_null(strstr(err.msg, "No such file"));
    assert_int_equal(mwx_recwriter_open(p, MWX_REC_ATOMIC | MWX_REC_LIVE, &w, &err), MWX_EINVAL);

    /* An invalid record is refused and the writer goes on. */
    assert_int_equal(mwx_recwriter_open(p, MWX_REC_ATOMIC, &w, &err), 0);
    mwx_record_t bad = s[1];
    bad.u.truth.t = 0.0 / 0.0;
    assert_int_equal(mwx_recwriter_append(w, &bad, &err), MWX_EINVAL);
    assert_int_equal(mwx_recwriter_append(w, &s[0], &err), 0);
    assert_int_equal(mwx_recwriter_close(w, &err), 0);
    size_t got;
    assert_int_equal(read_all(p, &got, NULL, &err), MWX_EOF);
    assert_int_equal(got, 1);
}

/* Cut the file at every byte inside the last record (and inside the header). */
static void test_cut_every_byte(void **state)
{
    const char *p = tpath("cut.mwxr"), *c = tpath("cut2.mwxr");
    size_t n = write_samples(p, MWX_REC_ATOMIC, 1), size, got;
    unsigned char *b = slurp(p, &size);
    uint64_t off[16];
    mwx_err_t err;
    assert_int_equal(read_all(p, &got, off, &err), MWX_EOF);
    /* every record's last byte, including the scenario (the first, the longest) */
    for (size_t rec = 0; rec < n; rec++) {
        for (uint64_t cut = off[rec]; cut < off[rec + 1]; cut++) {
            spit(c, b, cut);
            int rc = read_all(c, &got, NULL, &err);
            assert_int_equal(got, rec);
            if (cut == off[rec]) {
                assert_int_equal(rc, MWX_EOF); /* a clean end between records */
                continue;
            }
            assert_int_equal(rc, MWX_ETRUNC);
            char want[600];
            snprintf(want, sizeof want, "%s: torn record at byte %llu (%llu bytes), cut", c,
                     (unsigned long long)off[rec], (unsigned long long)(cut - off[rec]));
            assert_string_equal(err.msg, want);
        }
    }
    for (size_t cut = 0; cut < 16; cut++) {
        spit(c, b, cut);
        assert_int_equal(read_all(c, &got, NULL, &err), MWX_ETRUNC);
        assert_non_null(strstr(err.msg, "torn header at byte 0"));
    }
    free(b);
}

/* Flip every bit of a small file: always detected, never a wrong record. */
static void test_flip_every_bit(void **state)
{
    const char *p = tpath("flip.mwxr"), *c = tpath("flip2.mwxr");
    mwx_record_t s[9];
    mwx_test_samples(s);
    mwx_recwriter_t *w;
    mwx_err_t err;
    assert_int_equal(mwx_recwriter_open(p, 0, &w, &err), 0);
    for (int i = 1; i < 8; i++) /* all but the long scenario: keeps the test quick */
        assert_int_equal(mwx_recwriter_append(w, &s[i], &err), 0);
    assert_int_equal(mwx_recwriter_close(w, &err), 0);
    size_t size;
    unsigned char *b = slurp(p, &size);
    uint64_t off[16];
    {
        mwx_recreader_t *r;
        mwx_record_t rec;
        assert_int_equal(mwx_recreader_open(p, 0, &r, &err), 0);
        off[0] = 16;
        for (size_t i = 1; mwx_recreader_next(r, &rec, &err) == 0; i++)
            off[i] = mwx_recreader_offset(r);
        mwx_recreader_close(r);
    }
    for (size_t bit = 0; bit < size * 8; bit++) {
        b[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        spit(c, b, size);
        b[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        mwx_recreader_t *r;
        int rc = mwx_recreader_open(c, 0, &r, &err);
        if (bit / 8 < 16) {
            assert_int_equal(rc, MWX_ECORRUPT); /* the file header */
            continue;
        }
        assert_int_equal(rc, 0);
        mwx_record_t rec;
        size_t k = 0;
        while ((rc = mwx_recreader_next(r, &rec, &err)) == 0) {
            assert_sample(&rec, k + 1); /* samples 1..7 */
            k++;
        }
        mwx_recreader_close(r);
        /* the damaged frame is the one holding the bit; everything before it came back */
        size_t frame = 0;
        while (off[frame + 1] <= bit / 8)
            frame++;
        assert_int_equal(k, frame);
        assert_int_equal(rc, MWX_ECORRUPT);
        char want[600];
        snprintf(want, sizeof want, "%s: checksum mismatch in record at byte %llu", c,
                 (unsigned long long)off[frame]);
        assert_string_equal(err.msg, want);
    }
    free(b);
}

/* Frame header with a right header checksum, by hand (the layout of recording.c). */
static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void make_frame(unsigned char *h, uint64_t off, uint32_t len, int type,
                       const unsigned char *payload)
{
    unsigned char o[8];
    for (int i = 0; i < 8; i++)
        o[i] = (unsigned char)(off >> (8 * i));
    put32(h, len);
    h[4] = (unsigned char)type;
    h[5] = h[6] = h[7] = 0;
    uint32_t hc = mwxi_crc32c(mwxi_crc32c(0, o, 8), h, 8);
    put32(h + 8, hc);
    put32(h + 12, payload ? mwxi_crc32c(hc, payload, len) : 0);
}

static void test_lengths_and_tails(void **state)
{
    const char *p = tpath("len.mwxr"), *c = tpath("len2.mwxr");
    size_t n = write_samples(p, 0, 1), size, got;
    unsigned char *b = slurp(p, &size);
    unsigned char *x = malloc(size + 8192);
    assert_non_null(x);
    memcpy(x, b, size);
    mwx_err_t err;

    /* A length beyond 16 MiB with a right header checksum: corrupt, not an allocation. */
    make_frame(x + size, size, (16u << 20) + 1, MWX_REC_TRUTH, NULL);
    spit(c, x, size + 16);
    assert_int_equal(read_all(c, &got, NULL, &err), MWX_ECORRUPT);
    assert_int_equal(got, n);
    assert_non_null(strstr(err.msg, "claims 16777217 bytes"));
    make_frame(x + size, size, 0xffffffffu, MWX_REC_TRUTH, NULL);
    spit(c, x, size + 16);
    assert_int_equal(read_all(c, &got, NULL, &err), MWX_ECORRUPT);

    /* 16 MiB exactly, with 100 bytes of it there: a torn tail (read without growing). */
    make_frame(x + size, size, 16u << 20, MWX_REC_TRUTH, NULL);
    memset(x + size + 16, 7, 100);
    spit(c, x, size + 116);
    assert_int_equal(read_all(c, &got, NULL, &err), MWX_ETRUNC);
    assert_int_equal(got, n);

    /* A length bit flipped in the middle of the file is corruption, not a torn tail. */
    {
        uint64_t off[16];
        assert_int_equal(read_all(p, &got, off, &err), MWX_EOF);
        memcpy(x, b, size);
        x[off[3] + 2] ^= 0x10; /* record 3's length += 1 MiB: past the end of the file */
        spit(c, x, size);
        assert_int_equal(read_all(c, &got, NULL, &err), MWX_ECORRUPT);
        assert_int_equal(got, 3);
    }

    /* A zero-filled tail (a crash after the size grew, before the data landed). */
    memcpy(x, b, size);
    memset(x + size, 0, 8192);
    spit(c, x, size + 8192);
    assert_int_equal(read_all(c, &got, NULL, &err), MWX_ETRUNC);
    assert_int_equal(got, n);
    char want[600];
    snprintf(want, sizeof want, "%s: torn record at byte %zu (8192 bytes), cut", c, size);
    assert_string_equal(err.msg, want);
    x[size + 5000] = 1; /* ... but not when anything after it is not zero */
    spit(c, x, size + 8192);
    assert_int_equal(read_all(c, &got, NULL, &err), MWX_ECORRUPT);

    /* A whole frame of a record type from the future is skipped. */
    {
        unsigned char pl[3] = {0x08, 0x01, 0x00};
        memcpy(x, b, size);
        make_frame(x + size, size, 3, 42, pl);
        memcpy(x + size + 16, pl, 3);
        spit(c, x, size + 19);
        mwx_recreader_t *r;
        mwx_record_t rec;
        assert_int_equal(mwx_recreader_open(c, 0, &r, &err), 0);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(mwx_recreader_next(r, &rec, &err), 0);
        assert_int_equal(mwx_recreader_next(r, &rec, &err), MWX_EOF);
        assert_int_equal(mwx_recreader_offset(r), size + 19);
        mwx_recreader_close(r);
    }

    /* A frame copied to another place fails: checksums include the frame's offset. */
    {
        uint64_t off[16];
        assert_int_equal(read_all(p, &got, off, &err), MWX_EOF);
        memcpy(x, b, size);
        size_t l1 = (size_t)(off[2] - off[1]);
        memcpy(x + size, b + off[1], l1);
        spit(c, x, size + l1);
        assert_int_equal(read_all(c, &got, NULL, &err), MWX_ECORRUPT);
        assert_int_equal(got, n);
    }

    /* Not a recording; a newer format; no such file. */
    spit(c, (const unsigned char *)"{\"type\":\"truth\"}\n", 17);
    mwx_recreader_t *r;
    assert_int_equal(mwx_recreader_open(c, 0, &r, &err), MWX_ECORRUPT);
    assert_non_null(strstr(err.msg, "not an mwx recording"));
    {
        unsigned char h[16] = {'M', 'W', 'X', 'R', 2, 0};
        put32(h + 12, mwxi_crc32c(0, h, 12));
        spit(c, h, 16);
        assert_int_equal(mwx_recreader_open(c, 0, &r, &err), MWX_EUNSUPPORTED);
        assert_non_null(strstr(err.msg, "format version 2"));
    }
    assert_int_equal(mwx_recreader_open(tpath("missing.mwxr"), 0, &r, &err), MWX_ENOTFOUND);
    assert_non_null(strstr(err.msg, "missing.mwxr: No such file or directory"));
    free(x);
    free(b);
}

/* Follow a file while it grows one byte at a time: each record appears exactly when its
 * last byte is written, in order, never twice, never an error. */
static void test_follow_byte_by_byte(void **state)
{
    const char *p = tpath("f.mwxr"), *c = tpath("f2.mwxr");
    size_t n = write_samples(p, 0, 2), size, got;
    unsigned char *b = slurp(p, &size);
    uint64_t off[32];
    mwx_err_t err;
    assert_int_equal(read_all(p, &got, off, &err), MWX_EOF);

    int fd = open(c, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    mwx_recreader_t *r;
    mwx_record_t rec;
    assert_int_equal(mwx_recreader_open(c, MWX_READ_FOLLOW, &r, &err), 0);
    assert_int_equal(mwx_recreader_next(r, &rec, &err), MWX_EAGAIN); /* empty: not yet */
    size_t k = 0;
    for (size_t i = 0; i < size; i++) {
        assert_int_equal(write(fd, b + i, 1), 1);
        int rc;
        while ((rc = mwx_recreader_next(r, &rec, &err)) == 0) {
            assert_sample(&rec, k);
            k++;
            assert_int_equal(mwx_recreader_offset(r), i + 1); /* just completed */
            assert_int_equal(off[k], i + 1);
        }
        assert_int_equal(rc, MWX_EAGAIN);
    }
    assert_int_equal(k, n);
    close(fd);
    mwx_recreader_close(r);

    /* A LIVE writer: records show up at flush, whole. */
    mwx_record_t s[9];
    mwx_test_samples(s);
    mwx_recwriter_t *w;
    assert_int_equal(mwx_recwriter_open(c, MWX_REC_LIVE, &w, &err), 0);
    assert_int_equal(mwx_recreader_open(c, MWX_READ_FOLLOW, &r, &err), 0);
    for (int round = 0; round < 3; round++) {
        for (int i = 1; i < 8; i++)
            assert_int_equal(mwx_recwriter_append(w, &s[i], &err), 0);
        assert_int_equal(mwx_recreader_next(r, &rec, &err), MWX_EAGAIN); /* buffered */
        assert_int_equal(mwx_recwriter_flush(w, 0, &err), 0);
        for (int i = 1; i < 8; i++) {
            assert_int_equal(mwx_recreader_next(r, &rec, &err), 0);
            assert_sample(&rec, (size_t)i);
        }
        assert_int_equal(mwx_recreader_next(r, &rec, &err), MWX_EAGAIN);
    }
    assert_int_equal(mwx_recwriter_close(w, &err), 0);
    /* the file replaced under the follower: an error, not a wait forever */
    assert_int_equal(truncate(c, 0), 0);
    assert_int_equal(mwx_recreader_next(r, &rec, &err), MWX_ECORRUPT);
    assert_non_null(strstr(err.msg, "shrank to 0 bytes while being followed"));
    mwx_recreader_close(r);
    free(b);
}

static void test_append(void **state)
{
    const char *p = tpath("ap.mwxr");
    mwx_record_t s[9];
    size_t ns = mwx_test_samples(s), n = write_samples(p, MWX_REC_ATOMIC, 2), size, got;
    uint64_t off[32];
    mwx_err_t err;
    assert_int_equal(read_all(p, &got, off, &err), MWX_EOF);
    unsigned char *b = slurp(p, &size);

    /* torn tail: cut in the middle of the last record, then append the next two */
    for (uint64_t cut = off[n - 1]; cut < size; cut += 7) {
        spit(p, b, (size_t)cut);
        mwx_recwriter_t *w;
        assert_int_equal(mwx_recwriter_open(p, MWX_REC_APPEND, &w, &err), 0);
        assert_int_equal(mwx_recwriter_append(w, &s[(n - 1) % ns], &err), 0);
        assert_int_equal(mwx_recwriter_append(w, &s[n % ns], &err), 0);
        assert_int_equal(mwx_recwriter_count(w), 2);
        assert_int_equal(mwx_recwriter_close(w, &err), 0);
        assert_int_equal(read_all(p, &got, NULL, &err), MWX_EOF);
        assert_int_equal(got, n + 1);
    }

    /* a zero-filled tail is cut too */
    {
        spit(p, b, size);
        FILE *f = fopen(p, "ab");
        for (int i = 0; i < 100; i++)
            fputc(0, f);
        fclose(f);
        mwx_recwriter_t *w;
        assert_int_equal(mwx_recwriter_open(p, MWX_REC_APPEND, &w, &err), 0);
        assert_int_equal(mwx_recwriter_append(w, &s[n % ns], &err), 0);
        assert_int_equal(mwx_recwriter_close(w, &err), 0);
        assert_int_equal(read_all(p, &got, NULL, &err), MWX_EOF);
        assert_int_equal(got, n + 1);
    }

    /* corruption is refused, and the file is left as it was */
    {
        unsigned char *x = malloc(size);
        memcpy(x, b, size);
        x[off[2] + 20] ^= 4;
        spit(p, x, size);
        mwx_recwriter_t *w;
        assert_int_equal(mwx_recwriter_open(p, MWX_REC_APPEND, &w, &err), MWX_ECORRUPT);
        assert_non_null(strstr(err.msg, "cannot append"));
        assert_non_null(strstr(err.msg, "checksum mismatch"));
        size_t s2;
        unsigned char *y = slurp(p, &s2);
        assert_int_equal(s2, size);
        assert_memory_equal(x, y, size);
        free(x), free(y);
    }

    /* a missing, an empty or a torn-header file starts a new recording */
    const char *q = tpath("ap-new.mwxr");
    for (size_t hdr = 0; hdr < 3; hdr++) {
        unlink(q);
        if (hdr)
            spit(q, b, hdr == 1 ? 0 : 9);
        mwx_recwriter_t *w;
        assert_int_equal(mwx_recwriter_open(q, MWX_REC_APPEND, &w, &err), 0);
        assert_int_equal(mwx_recwriter_append(w, &s[0], &err), 0);
        assert_int_equal(mwx_recwriter_close(w, &err), 0);
        assert_int_equal(read_all(q, &got, NULL, &err), MWX_EOF);
        assert_int_equal(got, 1);
    }
    free(b);
}

static void test_records_load(void **state)
{
    const char *p = tpath("ld.mwxr");
    size_t n = write_samples(p, 0, 3), size;
    mwx_records_t rs;
    mwx_err_t err;
    assert_int_equal(mwx_records_load(p, &rs, &err), 0);
    assert_int_equal(rs.n, n);
    assert_non_null(rs.scenario_json);
    assert_ptr_equal(rs.v[0].u.scenario.json, rs.scenario_json);
    assert_null(rs.v[9].u.scenario.json); /* later scenario records: no text */
    for (size_t i = 1; i < n; i++)
        if (rs.v[i].type != MWX_REC_SCENARIO)
            assert_sample(&rs.v[i], i);
    mwx_records_free(&rs);
    assert_null(rs.v);

    unsigned char *b = slurp(p, &size);
    spit(p, b, size - 3);
    assert_int_equal(mwx_records_load(p, &rs, &err), MWX_ETRUNC);
    assert_int_equal(rs.n, n - 1);
    assert_non_null(strstr(err.msg, "torn record"));
    mwx_records_free(&rs);
    free(b);

    assert_int_equal(mwx_records_load(tpath("none.mwxr"), &rs, &err), MWX_ENOTFOUND);
    assert_int_equal(rs.n, 0);
    assert_null(rs.v);
}

/* Frames across the reader's 64 KiB buffer boundary, and a frame larger than the
 * buffer (a scenario with 300 KB of text), through the writer, the reader and load. */
static void test_big_file(void **state)
{
    const char *p = tpath("big.mwxr");
    mwx_record_t s[9];
    size_t ns = mwx_test_samples(s);
    size_t tn = 300000;
    char *text = malloc(tn + 1);
    assert_non_null(text);
    memset(text, ' ', tn);
    text[0] = '[';
    text[tn - 1] = ']';
    text[tn] = 0;
    mwx_recwriter_t *w;
    mwx_err_t err;
    assert_int_equal(mwx_recwriter_open(p, MWX_REC_ATOMIC, &w, &err), 0);
    size_t n = 0;
    for (int rep = 0; rep < 400; rep++) {
        for (size_t i = 0; i < ns; i++, n++) {
            mwx_record_t r = s[i];
            if (r.type == MWX_REC_SCENARIO && rep == 200)
                r.u.scenario.json = text;
            assert_int_equal(mwx_recwriter_append(w, &r, &err), 0);
        }
    }
    assert_int_equal(mwx_recwriter_close(w, &err), 0);
    for (int follow = 0; follow < 2; follow++) {
        mwx_recreader_t *r;
        mwx_record_t rec;
        int rc;
        size_t k = 0;
        assert_int_equal(mwx_recreader_open(p, follow ? MWX_READ_FOLLOW : 0, &r, &err), 0);
        while ((rc = mwx_recreader_next(r, &rec, &err)) == 0) {
            if (rec.type == MWX_REC_SCENARIO && k / ns == 200) {
                assert_string_equal(rec.u.scenario.json, text);
                rec.u.scenario.json = s[0].u.scenario.json;
            }
            assert_sample(&rec, k);
            k++;
        }
        assert_int_equal(rc, follow ? MWX_EAGAIN : MWX_EOF);
        assert_int_equal(k, n);
        mwx_recreader_close(r);
    }
    mwx_records_t rs;
    assert_int_equal(mwx_records_load(p, &rs, &err), 0);
    assert_int_equal(rs.n, n);
    mwx_records_free(&rs);
    free(text);
}

/* A write that fails (disk full) is an I/O error, sticky, and never a half frame. */
static void test_write_failure(void **state)
{
    if (access("/dev/full", W_OK) != 0)
        skip();
    mwx_record_t s[9];
    mwx_test_samples(s);
    mwx_recwriter_t *w;
    mwx_err_t err;
    assert_int_equal(mwx_recwriter_open("/dev/full", MWX_REC_LIVE, &w, &err), 0);
    assert_int_equal(mwx_recwriter_append(w, &s[1], &err), 0);
    assert_int_equal(mwx_recwriter_flush(w, 0, &err), MWX_EIO);
    assert_non_null(strstr(err.msg, "No space left on device"));
    assert_int_equal(mwx_recwriter_append(w, &s[1], &err), MWX_EIO);
    assert_int_equal(mwx_exit_status(MWX_EIO), 3);
    assert_int_equal(mwx_recwriter_close(w, &err), MWX_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_atomic_and_live),
        cmocka_unit_test(test_atomic_abort_and_visibility),
        cmocka_unit_test(test_cut_every_byte),
        cmocka_unit_test(test_flip_every_bit),
        cmocka_unit_test(test_lengths_and_tails),
        cmocka_unit_test(test_follow_byte_by_byte),
        cmocka_unit_test(test_append),
        cmocka_unit_test(test_records_load),
        cmocka_unit_test(test_big_file),
        cmocka_unit_test(test_write_failure),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
