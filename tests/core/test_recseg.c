/* A recording rotated into segments (src/core/recseg.c): rotation by size and by age,
 * the set read as one recording (scenario once), compaction under retention (shares,
 * alerts, each track's last state kept; measurements and earlier states dropped),
 * leftovers of a compaction cut short ignored and removed, a torn tail in the live
 * segment cut, and a follower carried across rotations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mwx/core.h"

size_t mwx_test_samples(mwx_record_t *out);

static char tmpdir[256];
static mwx_record_t samples[9];
static size_t n_samples;

static int setup(void **state)
{
    (void)state;
    const char *d = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("MWX_TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_recseg.%d", d ? d : "/tmp", (int)getpid());
    mkdir(tmpdir, 0755);
    n_samples = mwx_test_samples(samples);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const mwx_record_t *sample(mwx_rec_type_t type)
{
    for (size_t i = 0; i < n_samples; i++)
        if (samples[i].type == type)
            return &samples[i];
    fail_msg("no sample of type %d", (int)type);
    return NULL;
}

static void fresh(const char *name, char *base, size_t n)
{
    char cmd[600];
    snprintf(base, n, "%s/%s", tmpdir, name);
    snprintf(cmd, sizeof cmd, "rm -f '%s'*", base);
    assert_int_equal(system(cmd), 0);
}

static int exists(const char *base, const char *suffix)
{
    char p[600];
    struct stat st;
    snprintf(p, sizeof p, "%s%s", base, suffix);
    return stat(p, &st) == 0;
}

/* The i-th record of a run: tracks T0..T4 updated in turn, a meas, a share or an alert
 * now and then; its time is i. */
static mwx_record_t make(int i)
{
    mwx_record_t r;
    if (i % 7 == 3)
        r = *sample(MWX_REC_MEAS), r.u.meas.t = i;
    else if (i % 11 == 5)
        r = *sample(MWX_REC_SHARE), r.u.share.t = i, r.u.share.seq = (uint64_t)i;
    else if (i % 13 == 6)
        r = *sample(MWX_REC_ALERT), r.u.alert.t = i;
    else {
        r = *sample(MWX_REC_TRACK);
        r.u.track.t = i;
        snprintf(r.u.track.track_id, sizeof r.u.track.track_id, "JP-%d", i % 5);
    }
    return r;
}

static double rec_time(const mwx_record_t *r)
{
    switch (r->type) {
    case MWX_REC_MEAS: return r->u.meas.t;
    case MWX_REC_SHARE: return r->u.share.t;
    case MWX_REC_ALERT: return r->u.alert.t;
    case MWX_REC_TRACK: return r->u.track.t;
    default: return -1;
    }
}

/* Write n records through a rotating writer, flushing after each (async: the compaction
 * on its own thread). */
static void write_run_on(const char *base, int n, const mwx_retention_t *ret, int close_it,
                         mwx_recwriter_t **keep, int async)
{
    mwx_recwriter_t *w;
    mwx_err_t err = {0};
    assert_int_equal(mwx_recwriter_open(base, MWX_REC_LIVE, &w, &err), 0);
    assert_int_equal(mwx_recwriter_set_retention(w, ret, &err), 0);
    mwx_recwriter_set_async_retention(w, async);
    assert_int_equal(mwx_recwriter_append(w, sample(MWX_REC_SCENARIO), &err), 0);
    for (int i = 0; i < n; i++) {
        mwx_record_t r = make(i);
        assert_int_equal(mwx_recwriter_append(w, &r, &err), 0);
        assert_int_equal(mwx_recwriter_flush(w, 0, &err), 0);
    }
    if (close_it)
        assert_int_equal(mwx_recwriter_close(w, &err), 0);
    else
        *keep = w;
}

static void write_run(const char *base, int n, const mwx_retention_t *ret, int close_it,
                      mwx_recwriter_t **keep)
{
    write_run_on(base, n, ret, close_it, keep, 0);
}

/* Read the set: the record times in order (scenario -1), how many of them. */
static int read_set(const char *base, double *t, int cap, int *rc_out)
{
    mwx_recreader_t *r;
    mwx_err_t err = {0};
    mwx_record_t rec;
    int n = 0, rc;
    assert_int_equal(mwx_recreader_open(base, 0, &r, &err), 0);
    while ((rc = mwx_recreader_next(r, &rec, &err)) == 0) {
        assert_true(n < cap);
        t[n++] = rec_time(&rec);
    }
    mwx_recreader_close(r);
    *rc_out = rc;
    return n;
}

static void test_rotate_by_size_reads_as_one(void **state)
{
    (void)state;
    char base[512];
    fresh("size.mwxr", base, sizeof base);
    mwx_retention_t ret = {.segment_bytes = 4096};
    write_run(base, 400, &ret, 1, NULL);
    assert_true(exists(base, ".1"));
    assert_true(exists(base, ".2"));
    assert_true(exists(base, ""));
    assert_false(exists(base, ".1.compacted"));
    double t[1000];
    int rc, n = read_set(base, t, 1000, &rc);
    assert_int_equal(rc, MWX_EOF);
    assert_int_equal(n, 401); /* the scenario once, then every record in order */
    assert_true(t[0] < 0);
    for (int i = 0; i < 400; i++)
        assert_true(t[i + 1] == i);
    /* each closed segment is a whole recording of its own, starting with the scenario */
    char seg[600];
    snprintf(seg, sizeof seg, "%s.2", base);
    mwx_recreader_t *r;
    mwx_record_t rec;
    mwx_err_t err = {0};
    assert_int_equal(mwx_recreader_open(seg, 0, &r, &err), 0);
    assert_int_equal(mwx_recreader_next(r, &rec, &err), 0);
    mwx_recreader_close(r);
    /* opening the segment alone reads its set (segments of seg): just itself here */
    assert_int_equal(rec.type, MWX_REC_SCENARIO);
    /* records_load (score, report) sees one recording too */
    mwx_records_t rs;
    assert_int_equal(mwx_records_load(base, &rs, &err), 0);
    assert_int_equal(rs.n, 401);
    mwx_records_free(&rs);
}

static void test_rotate_by_age(void **state)
{
    (void)state;
    char base[512];
    fresh("age.mwxr", base, sizeof base);
    mwx_retention_t ret = {.segment_age_s = 0.05};
    mwx_recwriter_t *w;
    write_run(base, 3, &ret, 0, &w);
    assert_false(exists(base, ".1"));
    usleep(80 * 1000);
    mwx_err_t err = {0};
    mwx_record_t r = make(3);
    assert_int_equal(mwx_recwriter_append(w, &r, &err), 0);
    assert_int_equal(mwx_recwriter_flush(w, 0, &err), 0);
    assert_true(exists(base, ".1"));
    /* a live segment holding nothing but its scenario is not rotated, however old */
    usleep(80 * 1000);
    assert_int_equal(mwx_recwriter_flush(w, 1, &err), 0);
    assert_false(exists(base, ".2"));
    assert_int_equal(mwx_recwriter_close(w, &err), 0);
    double t[16];
    int rc, n = read_set(base, t, 16, &rc);
    assert_int_equal(rc, MWX_EOF);
    assert_int_equal(n, 5);
}

/* The retention's compaction, at each rotation or (async) on the writer's own thread:
 * once the writer is closed the set is the same. */
static void retention_compacts(int async)
{
    char base[512];
    fresh(async ? "keep-async.mwxr" : "keep.mwxr", base, sizeof base);
    const int N = 2000;
    /* keep_bytes also bounds the archive (test_archive_bounded): here it holds it all */
    mwx_retention_t ret = {.segment_bytes = 4096, .keep_bytes = 16 * 4096};
    write_run_on(base, N, &ret, 1, NULL, async);
    assert_false(exists(base, ".1"));
    assert_false(exists(base, ".2"));
    /* at most keep_bytes of whole segments stay beside the archive */
    mwx_recreader_t *r;
    mwx_record_t rec;
    mwx_err_t err = {0};
    assert_int_equal(mwx_recreader_open(base, 0, &r, &err), 0);
    int n = 0, scen = 0, meas = 0, shares = 0, alerts = 0, rc;
    double last_t[5] = {-1, -1, -1, -1, -1}, prev = -2;
    while ((rc = mwx_recreader_next(r, &rec, &err)) == 0) {
        n++;
        double t = rec_time(&rec);
        if (rec.type == MWX_REC_SCENARIO) {
            scen++;
            continue;
        }
        assert_true(t > prev); /* the order is kept */
        prev = t;
        if (rec.type == MWX_REC_MEAS)
            meas++;
        if (rec.type == MWX_REC_SHARE)
            shares++;
        if (rec.type == MWX_REC_ALERT)
            alerts++;
        if (rec.type == MWX_REC_TRACK)
            last_t[atoi(rec.u.track.track_id + 3)] = t;
    }
    mwx_recreader_close(r);
    assert_int_equal(rc, MWX_EOF);
    assert_int_equal(scen, 1);
    int want_shares = 0, want_alerts = 0, want_meas = 0;
    double want_last[5] = {-1, -1, -1, -1, -1};
    for (int i = 0; i < N; i++) {
        mwx_record_t m = make(i);
        want_shares += m.type == MWX_REC_SHARE;
        want_alerts += m.type == MWX_REC_ALERT;
        want_meas += m.type == MWX_REC_MEAS;
        if (m.type == MWX_REC_TRACK)
            want_last[i % 5] = i;
    }
    assert_int_equal(shares, want_shares); /* every share decision */
    assert_int_equal(alerts, want_alerts); /* every alert */
    for (int k = 0; k < 5; k++)
        assert_true(last_t[k] == want_last[k]); /* every track's final state */
    assert_true(meas < want_meas);              /* old measurements went */
    assert_true(n < N / 2);                     /* and old intermediate states */
}

static void test_retention_compacts(void **state)
{
    (void)state;
    retention_compacts(0);
}

static void test_retention_compacts_async(void **state)
{
    (void)state;
    retention_compacts(1);
}

static void test_leftovers_ignored(void **state)
{
    (void)state;
    char base[512], cmd[1400];
    fresh("left.mwxr", base, sizeof base);
    mwx_retention_t ret = {.segment_bytes = 4096, .keep_bytes = 2 * 4096};
    mwx_recwriter_t *w;
    write_run(base, 600, &ret, 0, &w);
    double t1[2000], t2[2000];
    int rc, n1 = read_set(base, t1, 2000, &rc);
    assert_int_equal(rc, MWX_EOF);
    /* a crash after the new archive was renamed into place, before its inputs went: a
     * closed segment at or below the archive, and an older archive, are left behind; and
     * one in the middle of a compaction, its half-written .tmp */
    mwx_err_t err = {0};
    snprintf(
        cmd, sizeof cmd,
        "cd '%s' && a=$(ls left.mwxr.*.compacted | head -1) && k=${a#left.mwxr.} && "
        "k=${k%%.compacted} && cp left.mwxr.$((k+1)) left.mwxr.$k && "
        "cp $a left.mwxr.$((k-1)).compacted && head -c 100 $a > left.mwxr.$((k-1)).compacted.tmp",
        tmpdir);
    assert_int_equal(system(cmd), 0);
    int n2 = read_set(base, t2, 2000, &rc);
    assert_int_equal(rc, MWX_EOF);
    assert_int_equal(n1, n2);
    assert_memory_equal(t1, t2, (size_t)n1 * sizeof *t1);
    /* the writer removes them at its next rotation */
    for (int i = 600; i < 700; i++) {
        mwx_record_t rr = make(i);
        assert_int_equal(mwx_recwriter_append(w, &rr, &err), 0);
        assert_int_equal(mwx_recwriter_flush(w, 0, &err), 0);
    }
    assert_int_equal(mwx_recwriter_close(w, &err), 0);
    snprintf(cmd, sizeof cmd, "test $(ls '%s' | grep -c '^left.mwxr.*compacted$') = 1", tmpdir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "test $(ls '%s' | grep -c '^left.mwxr.*tmp$') = 0", tmpdir);
    assert_int_equal(system(cmd), 0);
}

static void test_torn_live_tail_cut(void **state)
{
    (void)state;
    char base[512];
    fresh("torn.mwxr", base, sizeof base);
    mwx_retention_t ret = {.segment_bytes = 4096};
    write_run(base, 300, &ret, 1, NULL);
    struct stat st;
    assert_int_equal(stat(base, &st), 0);
    /* a crash in the middle of the live segment's last record */
    assert_int_equal(truncate(base, st.st_size - 5), 0);
    double t[1000];
    int rc, n = read_set(base, t, 1000, &rc);
    assert_int_equal(rc, MWX_ETRUNC);
    assert_int_equal(n, 300); /* every whole record, the torn one cut */
    for (int i = 0; i < 299; i++)
        assert_true(t[i + 1] == i);
    /* APPEND cuts it and goes on, the set intact */
    mwx_recwriter_t *w;
    mwx_err_t err = {0};
    assert_int_equal(mwx_recwriter_open(base, MWX_REC_APPEND, &w, &err), 0);
    assert_int_equal(mwx_recwriter_set_retention(w, &ret, &err), 0);
    for (int i = 299; i < 400; i++) {
        mwx_record_t r = make(i);
        assert_int_equal(mwx_recwriter_append(w, &r, &err), 0);
        assert_int_equal(mwx_recwriter_flush(w, 0, &err), 0);
    }
    assert_int_equal(mwx_recwriter_close(w, &err), 0);
    n = read_set(base, t, 1000, &rc);
    assert_int_equal(rc, MWX_EOF);
    assert_int_equal(n, 401);
    for (int i = 0; i < 400; i++)
        assert_true(t[i + 1] == i);
}

static void test_torn_closed_segment(void **state)
{
    (void)state;
    char base[512], seg[600];
    fresh("tornc.mwxr", base, sizeof base);
    mwx_retention_t ret = {.segment_bytes = 4096};
    write_run(base, 300, &ret, 1, NULL);
    snprintf(seg, sizeof seg, "%s.1", base);
    struct stat st;
    assert_int_equal(stat(seg, &st), 0);
    assert_int_equal(truncate(seg, st.st_size - 3), 0);
    double t[1000];
    int rc, n = read_set(base, t, 1000, &rc);
    /* the torn record is cut, every later segment still read, the tear reported */
    assert_int_equal(rc, MWX_ETRUNC);
    assert_int_equal(n, 300);
}

static void test_follow_across_rotation(void **state)
{
    (void)state;
    char base[512];
    fresh("follow.mwxr", base, sizeof base);
    mwx_retention_t ret = {.segment_bytes = 2048};
    mwx_recwriter_t *w;
    write_run(base, 10, &ret, 0, &w);
    mwx_recreader_t *r;
    mwx_record_t rec;
    mwx_err_t err = {0};
    assert_int_equal(mwx_recreader_open(base, MWX_READ_FOLLOW, &r, &err), 0);
    int got = 0, rc;
    double prev = -2;
    for (int i = 10; i <= 500; i++) {
        while ((rc = mwx_recreader_next(r, &rec, &err)) == 0) {
            if (rec.type == MWX_REC_SCENARIO) {
                assert_int_equal(got, 0);
            } else {
                assert_true(rec_time(&rec) == prev + 1 || prev == -2);
                prev = rec_time(&rec);
            }
            got++;
        }
        assert_int_equal(rc, MWX_EAGAIN);
        if (i < 500) {
            mwx_record_t m = make(i);
            assert_int_equal(mwx_recwriter_append(w, &m, &err), 0);
            assert_int_equal(mwx_recwriter_flush(w, 0, &err), 0);
        }
    }
    assert_true(exists(base, ".5"));
    assert_int_equal(got, 501);
    mwx_recreader_close(r);
    assert_int_equal(mwx_recwriter_close(w, &err), 0);
}

/* The archive is bounded too: by keep_bytes (its oldest records go first; the scenario
 * record stays) and, given the writer's clock, by keep_age_s. */
static void test_archive_bounded(void **state)
{
    (void)state;
    char base[512], arch[600];
    fresh("bound.mwxr", base, sizeof base);
    const int N = 6000;
    mwx_retention_t ret = {.segment_bytes = 4096, .keep_bytes = 2 * 4096};
    write_run(base, N, &ret, 1, NULL);
    /* the newest archive: no bigger than keep_bytes (plus its file header and scenario) */
    mwx_recreader_t *r;
    mwx_record_t rec;
    mwx_err_t err = {0};
    int k = 0;
    struct stat st;
    for (int i = 1; i < 400; i++) {
        snprintf(arch, sizeof arch, "%s.%d.compacted", base, i);
        if (stat(arch, &st) == 0)
            k = i;
    }
    assert_true(k > 0);
    snprintf(arch, sizeof arch, "%s.%d.compacted", base, k);
    assert_int_equal(stat(arch, &st), 0);
    size_t scn = mwx_record_encoded_size(sample(MWX_REC_SCENARIO)) + 16 + 64;
    assert_true((uint64_t)st.st_size <= ret.keep_bytes + scn);
    /* the set still reads in order: scenario first, then the newest of what was kept */
    assert_int_equal(mwx_recreader_open(base, 0, &r, &err), 0);
    assert_int_equal(mwx_recreader_next(r, &rec, &err), 0);
    assert_int_equal(rec.type, MWX_REC_SCENARIO);
    assert_int_equal(mwx_recreader_next(r, &rec, &err), 0);
    double first = rec_time(&rec);
    int last_alert = -1, rc;
    while ((rc = mwx_recreader_next(r, &rec, &err)) == 0)
        if (rec.type == MWX_REC_ALERT)
            last_alert = (int)rec.u.alert.t;
    mwx_recreader_close(r);
    assert_int_equal(rc, MWX_EOF);
    assert_true(first > 1000); /* the oldest records left the archive */
    int want = -1;
    for (int i = 0; i < N; i++)
        if (make(i).type == MWX_REC_ALERT)
            want = i;
    assert_int_equal(last_alert, want); /* the newest are all there */

    /* keep_age_s with a clock: now is t = 5000 at speed 1, keep 1000 s: the archive holds
     * nothing before t = 4000 (closed segments themselves are new, so by age alone
     * nothing would be compacted; keep_bytes does it) */
    fresh("bound_age.mwxr", base, sizeof base);
    mwx_recwriter_t *w;
    mwx_retention_t ret2 = {.segment_bytes = 4096, .keep_bytes = 4096, .keep_age_s = 1000};
    assert_int_equal(mwx_recwriter_open(base, MWX_REC_LIVE, &w, &err), 0);
    assert_int_equal(mwx_recwriter_set_retention(w, &ret2, &err), 0);
    mwx_recwriter_set_clock(w, mwx_time_wall() - 5000, 1.0);
    assert_int_equal(mwx_recwriter_append(w, sample(MWX_REC_SCENARIO), &err), 0);
    for (int i = 0; i < N; i++) {
        mwx_record_t m = make(i);
        assert_int_equal(mwx_recwriter_append(w, &m, &err), 0);
        assert_int_equal(mwx_recwriter_flush(w, 0, &err), 0);
    }
    assert_true(mwx_recwriter_archive_dropped(w) > 0);
    assert_int_equal(mwx_recwriter_close(w, &err), 0);
    double t[8000];
    int n = read_set(base, t, 8000, &rc);
    assert_int_equal(rc, MWX_EOF);
    assert_true(n > 10);
    assert_true(t[0] < 0);
    for (int i = 1; i < n; i++)
        assert_true(t[i] >= 4000 - 100); /* 100 s: the test's own run time, generously */
}

/* A compaction that fails (its temporary file cannot be made) does not fail the writer:
 * counted, its error kept, the closed segments stay and read as before; once it can, the
 * next rotation compacts. */
static void test_compaction_failure_goes_on(void **state)
{
    (void)state;
    char base[512], blocker[600];
    fresh("cfail.mwxr", base, sizeof base);
    snprintf(blocker, sizeof blocker, "%s.1.compacted.tmp", base);
    assert_int_equal(mkdir(blocker, 0755), 0);
    mwx_retention_t ret = {.segment_bytes = 4096, .keep_bytes = 4096};
    mwx_recwriter_t *w;
    write_run(base, 400, &ret, 0, &w);
    mwx_err_t last = {0};
    uint64_t fails = mwx_recwriter_compaction_failures(w, &last);
    assert_true(fails > 0);
    assert_non_null(strstr(last.msg, "compacted"));
    assert_true(exists(base, ".1"));
    assert_false(exists(base, ".1.compacted"));
    double t[1000];
    int rc, n = read_set(base, t, 1000, &rc);
    assert_int_equal(rc, MWX_EOF);
    assert_int_equal(n, 401); /* nothing lost, nothing compacted yet */
    assert_int_equal(rmdir(blocker), 0);
    mwx_err_t err = {0};
    for (int i = 400; i < 800; i++) {
        mwx_record_t m = make(i);
        assert_int_equal(mwx_recwriter_append(w, &m, &err), 0);
        assert_int_equal(mwx_recwriter_flush(w, 0, &err), 0);
    }
    assert_int_equal(mwx_recwriter_compaction_failures(w, NULL), fails);
    assert_int_equal(mwx_recwriter_close(w, &err), 0);
    assert_false(exists(base, ".1"));
    n = read_set(base, t, 1000, &rc);
    assert_int_equal(rc, MWX_EOF);
    assert_true(n < 801);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rotate_by_size_reads_as_one),
        cmocka_unit_test(test_rotate_by_age),
        cmocka_unit_test(test_retention_compacts),
        cmocka_unit_test(test_retention_compacts_async),
        cmocka_unit_test(test_leftovers_ignored),
        cmocka_unit_test(test_torn_live_tail_cut),
        cmocka_unit_test(test_torn_closed_segment),
        cmocka_unit_test(test_follow_across_rotation),
        cmocka_unit_test(test_archive_bounded),
        cmocka_unit_test(test_compaction_failure_goes_on),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
