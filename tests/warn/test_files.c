/* How the warn outputs reach the disk: the XML escaper; text kept between writes (Atom
 * entries, GeoJSON region features) equal to text made afresh; rewrites that never
 * disturb a reader of the previous version and reuse their spare inode; and CAP files
 * that replace an earlier run's file of the same name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "warn/warn_internal.h"
#include "warn/warn_test_util.h"

static double g_epoch;

static int setup(void **st)
{
    mwx_err_t err = {0};
    (void)st;
    return mwx_time_parse("2026-11-22T03:00:00Z", &g_epoch, &err);
}

static mwx_warn_t *open_ctx(const char *dir, mwx_status_t status, int durable, wt_log_t *log)
{
    static mwx_warn_policy_t pol;
    mwx_warn_config_t cfg = {0};
    mwx_err_t err = {0};
    mwx_warn_t *w = NULL;
    mwx_warn_policy_default(&pol);
    pol.launch_notice = 0; /* test_launch_notice has them */
    pol.settle_s = 0;
    cfg.node = "JP";
    cfg.source = MWX_WARN_SOURCE_SIMULATED;
    cfg.status = status;
    cfg.epoch_unix_s = g_epoch;
    cfg.regions_path = WT_REGIONS;
    cfg.out_dir = dir;
    cfg.policy = &pol;
    cfg.durable = durable;
    cfg.emit = log ? wt_emit : NULL;
    cfg.user = log;
    if (mwx_warn_create(&cfg, &w, &err))
        fail_msg("mwx_warn_create: %s", err.msg);
    return w;
}

static void feed(mwx_warn_t *w, const mwx_rec_track_t *k)
{
    mwx_err_t err = {0};
    if (mwx_warn_track(w, k, &err))
        fail_msg("mwx_warn_track: %s", err.msg);
}

/* The whole file; NULL when absent. */
static char *slurp(const char *dir, const char *rel, size_t *len)
{
    char path[1024];
    FILE *f;
    long n;
    char *p;
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (!(f = fopen(path, "rb")))
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    p[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void assert_same_file(const char *da, const char *db, const char *rel)
{
    size_t la = 0, lb = 0;
    char *a = slurp(da, rel, &la), *b = slurp(db, rel, &lb);
    if (!a || !b)
        fail_msg("%s: missing (%s / %s)", rel, a ? "present" : "absent", b ? "present" : "absent");
    if (la != lb || memcmp(a, b, la) != 0)
        fail_msg("%s differs between the cached and the fresh context", rel);
    free(a);
    free(b);
}

/* No hidden file (temporary or spare) is left in dir/alerts. */
static void assert_no_hidden(const char *dir)
{
    char path[700];
    DIR *d;
    struct dirent *e;
    snprintf(path, sizeof path, "%s/alerts", dir);
    assert_non_null(d = opendir(path));
    while ((e = readdir(d)))
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            fail_msg("%s/%s left behind", path, e->d_name);
    closedir(d);
}

static void test_escape(void **st)
{
    mwx_buf_t b = {0};
    (void)st;
    mwxi_warn_xml_esc(&b, "a&b<c>d\"e'f\tg\nh", 0);
    assert_string_equal(b.p, "a&amp;b&lt;c&gt;d&quot;e'f\tg\nh");
    mwxi_buf_reset(&b);
    mwxi_warn_xml_esc(&b, "it's", 1);
    assert_string_equal(b.p, "it&apos;s");
    mwxi_buf_reset(&b);
    /* CR kept as a reference; other control characters are not XML, even escaped */
    mwxi_warn_xml_esc(&b, "x\ry\001z\037", 0);
    assert_string_equal(b.p, "x&#13;y?z?");
    mwxi_buf_reset(&b);
    /* UTF-8 passes whole; a stray continuation byte, a cut sequence, an overlong form and
     * a surrogate do not */
    mwxi_warn_xml_esc(&b, "東京 서울 \xF0\x9F\x9A\x80|\x80|\xE6\x9D|\xC0\xAF|\xED\xA0\x80", 0);
    assert_string_equal(b.p, "東京 서울 \xF0\x9F\x9A\x80|?|??|??|???");
    mwxi_buf_reset(&b);
    mwxi_warn_xml_esc(&b, "", 0);
    assert_string_equal(b.p ? b.p : "", "");
    mwxi_buf_free(&b);
}

/* The scenario of warn_sample: Alerts, Updates, a withdrawn threat, a false track and the
 * all-clears, fed to two contexts; after every call their files are equal, though one
 * keeps text between writes and the other makes it afresh. */
static void test_cache_equals_fresh(void **st)
{
    char da[512], db[512];
    wt_log_t *la = calloc(1, sizeof *la), *lb = calloc(1, sizeof *lb);
    mwx_warn_t *a, *b;
    mwx_err_t err = {0};
    int atoms = 0;
    (void)st;
    wt_outdir(da, sizeof da, "cached");
    wt_outdir(db, sizeof db, "fresh");
    a = open_ctx(da, MWX_STATUS_EXERCISE, 0, la);
    b = open_ctx(db, MWX_STATUS_EXERCISE, 0, lb);
    mwxi_warn_set_nocache(b, 1);
    for (int step = 0; step < 75; step++) {
        mwx_rec_track_t k;
        int i;
        if (step < 30) {
            i = step;
            k = wt_track("KR-1", 100 + i, 37.5, 126.5 + 0.3 * i, 300e3, 35.69, 139.70,
                         i < 20 ? 400 : 415, i < 10 ? 10 : 60, 8, 20);
        } else if (step < 60) {
            i = step - 30;
            k = wt_track("KR-2", 130 + i, 36.0, 124.0 + 0.1 * i, 200e3, i < 10 ? 35.18 : 34.0,
                         i < 10 ? 129.07 : 131.5, 500, 15, 10, 0);
        } else if (step < 67) {
            i = step - 60;
            k = wt_track("KR-3", 170 + i, 34.0, 125.0, 100e3, 33.38, 126.55, 400, 20, 20, 0);
        } else {
            /* a second flight on the first track's id, after its series closed */
            i = step - 67;
            k = wt_track("KR-4", 180 + i, 36.0, 127.0, 200e3, 35.18, 129.07, 300, 15, 10, 0);
        }
        feed(a, &k);
        feed(b, &k);
        if (step == 66) {
            assert_int_equal(mwx_warn_end_track(a, "KR-3", 177, MWX_WARN_END_FALSE, &err), 0);
            assert_int_equal(mwx_warn_end_track(b, "KR-3", 177, MWX_WARN_END_FALSE, &err), 0);
        }
        assert_same_file(da, db, "alerts/alerts.atom");
        assert_same_file(da, db, "alerts/latest.geojson");
    }
    assert_int_equal(mwx_warn_tick(a, 600, &err), 0);
    assert_int_equal(mwx_warn_tick(b, 600, &err), 0);
    assert_same_file(da, db, "alerts/alerts.atom");
    /* the same messages, byte for byte */
    assert_int_equal(la->n, lb->n);
    for (int i = 0; i < la->n; i++) {
        assert_int_equal(la->out[i], lb->out[i]);
        assert_string_equal(la->rec[i].file, lb->rec[i].file);
        if (la->out[i] == MWX_WARN_OUT_CAP)
            assert_same_file(da, db, la->rec[i].file);
        atoms += la->out[i] == MWX_WARN_OUT_ATOM;
    }
    assert_true(atoms >= 12); /* one per call that issued messages */
    /* and the feed still reads as XML */
    xmlDocPtr d = wt_read(da, "alerts/alerts.atom");
    assert_non_null(d);
    xmlFreeDoc(d);
    mwx_warn_free(a);
    mwx_warn_free(b);
    assert_no_hidden(da);
    assert_no_hidden(db);
    free(la);
    free(lb);
}

/* A reader that opened alerts.atom keeps reading that version, whole and unchanged, however
 * many times the feed is rewritten; without readers, rewrites reuse the spare inode. */
static void test_rewrite_keeps_readers(void **st)
{
    char dir[512], path[700], spare[700], held[65536], again[65536];
    struct stat sb;
    mwx_warn_t *w;
    ssize_t n;
    ino_t inos[8];
    int fd, n_ino = 0;
    (void)st;
    wt_outdir(dir, sizeof dir, "readers");
    snprintf(path, sizeof path, "%s/alerts/alerts.atom", dir);
    snprintf(spare, sizeof spare, "%s/alerts/.alerts.atom.spare", dir);
    w = open_ctx(dir, MWX_STATUS_EXERCISE, 0, NULL);
    /* every update moves the impact time by 20 s: an Update, so a new feed */
    for (int i = 0; i < 3; i++) {
        mwx_rec_track_t k = wt_track("JP-1", 100 + i, 37.0, 134.0, 250e3, 35.69, 139.70,
                                     (i & 1) ? 520 : 500, 30, 12, 70);
        feed(w, &k);
    }
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    n = pread(fd, held, sizeof held, 0);
    assert_true(n > 100);
    for (int i = 3; i < 9; i++) {
        mwx_rec_track_t k = wt_track("JP-1", 100 + i, 37.0, 134.0, 250e3, 35.69, 139.70,
                                     (i & 1) ? 520 : 500, 30, 12, 70);
        feed(w, &k);
    }
    /* the held version: same length, same bytes */
    assert_int_equal(fstat(fd, &sb), 0);
    assert_int_equal((ssize_t)sb.st_size, n);
    assert_int_equal(pread(fd, again, sizeof again, 0), n);
    assert_memory_equal(held, again, (size_t)n);
    {
        size_t len = 0;
        char *now = slurp(dir, "alerts/alerts.atom", &len);
        assert_non_null(now);
        assert_true(len != (size_t)n || memcmp(now, held, len) != 0); /* it moved on */
        free(now);
    }
    close(fd);
    /* no reader: two inodes take turns (where the file system can exchange names) */
    for (int i = 9; i < 15; i++) {
        mwx_rec_track_t k = wt_track("JP-1", 100 + i, 37.0, 134.0, 250e3, 35.69, 139.70,
                                     (i & 1) ? 520 : 500, 30, 12, 70);
        int seen = 0;
        feed(w, &k);
        assert_int_equal(stat(path, &sb), 0);
        for (int j = 0; j < n_ino; j++)
            seen |= inos[j] == sb.st_ino;
        if (!seen)
            inos[n_ino++] = sb.st_ino;
    }
    if (access(spare, F_OK) == 0)
        assert_true(n_ino <= 2);
    xmlDocPtr d = wt_read(dir, "alerts/alerts.atom");
    assert_non_null(d);
    xmlFreeDoc(d);
    mwx_warn_free(w);
    assert_no_hidden(dir);
}

/* Identifiers repeat when a second run without run_id writes to the same directory: the
 * second run's CAP file replaces the first's (whole), also with durable writes. */
static void test_cap_replaces_earlier_run(void **st)
{
    char dir[512];
    wt_log_t *log = calloc(1, sizeof *log);
    mwx_warn_t *w;
    wt_schema_t schema;
    (void)st;
    assert_int_equal(wt_schema_open(&schema), 0);
    wt_outdir(dir, sizeof dir, "rerun");
    for (int run = 0; run < 2; run++) {
        log->n = 0;
        w = open_ctx(dir, run ? MWX_STATUS_TEST : MWX_STATUS_EXERCISE, run, log);
        mwx_rec_track_t k =
            wt_track("JP-1", 100, 37.0, 134.0, 250e3, 35.69, 139.70, 500, 30, 12, 70);
        feed(w, &k);
        mwx_warn_free(w);
        int ncap = 0;
        for (int i = 0; i < log->n; i++) {
            if (log->out[i] != MWX_WARN_OUT_CAP)
                continue;
            xmlDocPtr d = wt_read(dir, log->rec[i].file);
            assert_non_null(d);
            assert_int_equal(xmlSchemaValidateDoc(schema.vc, d), 0);
            assert_string_equal(wt_text(d, "status", 0), run ? "Test" : "Exercise");
            xmlFreeDoc(d);
            ncap++;
        }
        assert_true(ncap >= 1);
        if (run)
            assert_string_equal(log->rec[0].file, "alerts/mwx.JP.JP-1.impact.1.cap.xml");
        assert_no_hidden(dir);
    }
    wt_schema_close(&schema);
    free(log);
}

static void test_spare_opener_is_harmless(void **st)
{
    /* Another process (a backup, an indexer) opening the spare while we hold its lease
     * breaks the lease: the kernel signals the holder. With the default SIGIO that ended
     * the process within milliseconds of such a loop; the signal must be a harmless one. */
    char dir[512], spare[700];
    mwx_err_t err = {0};
    pid_t child;
    (void)st;
    wt_outdir(dir, sizeof dir, "opener");
    assert_int_equal(mwxi_warn_rewrite_file(dir, "x.txt", "first\n", 6, 0, &err), MWX_OK);
    snprintf(spare, sizeof spare, "%s/.x.txt.spare", dir);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
        if (getppid() == 1)
            _exit(0);
        for (;;) {
            int fd = open(spare, O_RDONLY);
            if (fd >= 0)
                close(fd);
        }
    }
    for (int i = 0; i < 20000; i++)
        assert_int_equal(mwxi_warn_rewrite_file(dir, "x.txt", "hello\n", 6, 0, &err), MWX_OK);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_cache_equals_fresh),
        cmocka_unit_test(test_rewrite_keeps_readers),
        cmocka_unit_test(test_cap_replaces_earlier_run),
        cmocka_unit_test(test_spare_opener_is_harmless),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
