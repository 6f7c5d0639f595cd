/* Warning continuity (journal_path): a context stopped at any message of a scripted
 * picture -- right after the message's journal entry and before its files (the window a
 * crash can hit; every message, in one chain of restarts), or right after its files (a
 * sample) -- and created again on the same outputs, fed
 * the same picture from the start (as a restarted node replays its input), publishes
 * exactly the CAP files of an undisturbed context, byte for byte: no second Alert, no
 * lost Cancel, references continued, identifiers never reused. Also: a torn journal tail
 * is cut; a journal of another layout is refused; the journal stays compact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include "../node/ballistic_truth.h"
#include "warn/warn_internal.h"
#include "warn/warn_test_util.h"

static double g_epoch;

typedef struct hook {
    int n, stop_at;
} hook_t;

static int on_journaled(void *user, const char *identifier)
{
    hook_t *h = user;
    (void)identifier;
    return ++h->n == h->stop_at;
}

/* On tmpfs when there is one (the contexts are not durable: fsync is not what is tested
 * here, and the node's durability has its own test). */
static void outdir(char *buf, size_t n, const char *name)
{
    if (access("/dev/shm", W_OK) == 0) {
        snprintf(buf, n, "/dev/shm/warn-%s-%ld", name, (long)getpid());
        mkdir(buf, 0777);
    } else {
        wt_outdir(buf, n, name);
    }
}

static int setup(void **st)
{
    mwx_err_t err = {0};
    (void)st;
    return mwx_time_parse("2026-11-22T03:00:00Z", &g_epoch, &err);
}

static uint64_t g_keep_bytes; /* alerts_keep_bytes of the contexts opened */

static mwx_warn_t *open_ctx(const char *dir, hook_t *h, mwx_err_t *err)
{
    mwx_warn_config_t cfg = {0};
    char jpath[600];
    mwx_warn_t *w = NULL;
    snprintf(jpath, sizeof jpath, "%s/node.warn", dir);
    cfg.node = "JP";
    cfg.run_id = "j";
    cfg.source = MWX_WARN_SOURCE_SIMULATED;
    cfg.status = MWX_STATUS_EXERCISE;
    cfg.epoch_unix_s = g_epoch;
    cfg.regions_path = WT_REGIONS;
    cfg.out_dir = dir;
    cfg.durable = 0;
    cfg.journal_path = jpath;
    cfg.journaled = h ? on_journaled : NULL;
    cfg.user = h;
    cfg.alerts_keep_bytes = g_keep_bytes;
    if (mwx_warn_create(&cfg, &w, err))
        return NULL;
    return w;
}

/* The scripted picture: step i of N_STEPS. X-1's impact prediction converges from the
 * Seto Inland Sea onto Tokyo (its ellipse shrinking, regions added and released, the
 * overflight corridor changing), then the track goes stale and the all-clear follows;
 * X-2 threatens Fukuoka and is judged false at t = 250. Returns 0 when done. */
#define N_STEPS 381
static int step(mwx_warn_t *w, int i, mwx_err_t *err)
{
    double t = 100.0 + i;
    if (t <= 400.0) {
        double f = (t - 100.0) / 300.0, a = 150.0 - 130.0 * f;
        mwx_rec_track_t k =
            wt_track("X-1", t, 38.0, 128.0 + 0.02 * (t - 100.0), 200e3 - 500.0 * (t - 100.0),
                     34.0 + 1.7 * f, 133.0 + 6.7 * f, 420.0, a, a / 2, 60.0);
        int rc = mwx_warn_track(w, &k, err);
        if (rc)
            return rc;
        if (t >= 120.0 && t < 250.0) {
            mwx_rec_track_t k2 =
                wt_track("X-2", t, 36.5, 127.0, 150e3, 33.6, 130.4, 300.0, 40.0, 20.0, 0.0);
            if ((rc = mwx_warn_track(w, &k2, err)))
                return rc;
        } else if (t == 250.0) {
            if ((rc = mwx_warn_end_track(w, "X-2", t, MWX_WARN_END_FALSE, err)))
                return rc;
        }
        return MWX_OK;
    }
    return mwx_warn_tick(w, t, err);
}

typedef struct capset {
    char name[256][160];
    char *data[256];
    size_t len[256];
    int n;
} capset_t;

static void read_caps(const char *dir, capset_t *cs)
{
    char ad[600], p[800];
    DIR *d;
    struct dirent *e;
    memset(cs, 0, sizeof *cs);
    snprintf(ad, sizeof ad, "%s/alerts", dir);
    d = opendir(ad);
    assert_non_null(d);
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        FILE *f;
        if (l < 8 || strcmp(e->d_name + l - 8, ".cap.xml") != 0)
            continue;
        assert_true(cs->n < 256);
        snprintf(cs->name[cs->n], sizeof cs->name[0], "%s", e->d_name);
        snprintf(p, sizeof p, "%s/%s", ad, e->d_name);
        f = fopen(p, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        cs->len[cs->n] = (size_t)ftell(f);
        rewind(f);
        cs->data[cs->n] = malloc(cs->len[cs->n] + 1);
        assert_int_equal(fread(cs->data[cs->n], 1, cs->len[cs->n], f), cs->len[cs->n]);
        cs->data[cs->n][cs->len[cs->n]] = '\0'; /* searched with strstr */
        fclose(f);
        cs->n++;
    }
    closedir(d);
}

static void free_caps(capset_t *cs)
{
    for (int i = 0; i < cs->n; i++)
        free(cs->data[i]);
}

static void same_caps(const capset_t *a, const capset_t *b, const char *what)
{
    if (a->n != b->n)
        fail_msg("%s: %d CAP files, undisturbed %d", what, b->n, a->n);
    for (int i = 0; i < a->n; i++) {
        int j;
        for (j = 0; j < b->n; j++)
            if (strcmp(a->name[i], b->name[j]) == 0)
                break;
        if (j == b->n)
            fail_msg("%s: %s missing", what, a->name[i]);
        if (a->len[i] != b->len[j] || memcmp(a->data[i], b->data[j], a->len[i]) != 0)
            fail_msg("%s: %s differs", what, a->name[i]);
    }
}

static void run_all(mwx_warn_t *w)
{
    mwx_err_t err = {0};
    for (int i = 0; i < N_STEPS; i++)
        if (step(w, i, &err))
            fail_msg("step %d: %s", i, err.msg);
}

static void rm_rf(const char *dir)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_restart_at_every_message(void **st)
{
    char ref[512], dir[560];
    capset_t a, b;
    mwx_warn_stats_t ws;
    mwx_err_t err = {0};
    mwx_warn_t *w;
    int n_msgs, alerts = 0, cancels = 0;
    (void)st;

    outdir(ref, sizeof ref, "journal-ref");
    w = open_ctx(ref, NULL, &err);
    assert_non_null(w);
    run_all(w);
    mwx_warn_get_stats(w, &ws);
    mwx_warn_free(w);
    read_caps(ref, &a);
    n_msgs = a.n;
    print_message("undisturbed: %d CAP messages\n", n_msgs);
    for (int i = 0; i < a.n; i++) {
        alerts += strstr(a.data[i], "<msgType>Alert<") != NULL;
        cancels += strstr(a.data[i], "<msgType>Cancel<") != NULL;
    }
    /* the script exercises every kind: 2 series of X-1 + X-2's, Updates, all-clears, a
     * false track's Cancel */
    assert_true(alerts >= 3);
    assert_true(cancels >= 3);
    assert_true(ws.cap_update >= 4);
    assert_int_equal((int)ws.cap_alert + (int)ws.cap_update + (int)ws.cap_cancel, n_msgs);

    /* Every message's crash window, in one chain: each context stops at its first new
     * message (right after its journal entry), and the next one, created on the same
     * outputs, replays the picture from the start, republishes that message and goes on
     * to stop at the next. Restarts stack up, as they would over months. */
    {
        hook_t h = {0, 1};
        int crashes = 0, rc = 0;
        snprintf(dir, sizeof dir, "%s-chain", ref);
        rm_rf(dir);
        mkdir(dir, 0777);
        for (;;) {
            int i;
            w = open_ctx(dir, &h, &err);
            if (!w)
                fail_msg("restart %d: %s", crashes, err.msg);
            mwx_warn_get_stats(w, &ws);
            assert_int_equal((int)ws.republished, crashes ? 1 : 0);
            h.n = 0;
            for (i = 0; i < N_STEPS && (rc = step(w, i, &err)) == 0; i++)
                ;
            mwx_warn_free(w);
            if (rc == 0)
                break;
            assert_int_equal(rc, MWX_EIO);
            crashes++;
            assert_true(crashes <= n_msgs);
        }
        assert_int_equal(crashes, n_msgs);
        read_caps(dir, &b);
        same_caps(&a, &b, "stopped once at every message");
        free_caps(&b);
        rm_rf(dir);
    }
    /* One restart in a context that ran from the start: a sample of the messages, in the
     * crash window and after the files (the same code paths as the chain's). */
    for (int k = 1; k <= n_msgs; k++) {
        for (int after_files = 0; after_files <= 1; after_files++) {
            hook_t h = {0, after_files ? 0 : k};
            int i, rc = 0;
            if (k % 6 != (after_files ? 3 : 1))
                continue;
            snprintf(dir, sizeof dir, "%s-%d-%d", ref, k, after_files);
            rm_rf(dir);
            mkdir(dir, 0777);
            w = open_ctx(dir, &h, &err);
            assert_non_null(w);
            /* the first run: until the k-th message's journal entry (then "crash"), or
             * until the step that made the k-th message is done */
            for (i = 0; i < N_STEPS && (rc = step(w, i, &err)) == 0; i++)
                if (after_files && h.n >= k)
                    break;
            if (!after_files) {
                assert_int_equal(rc, MWX_EIO);
                assert_int_equal(h.n, k);
            }
            mwx_warn_free(w);
            /* the restart: the same picture from the start */
            w = open_ctx(dir, NULL, &err);
            if (!w)
                fail_msg("restart after message %d: %s", k, err.msg);
            mwx_warn_get_stats(w, &ws);
            assert_int_equal((int)ws.republished, after_files ? 0 : 1);
            assert_true(ws.restored_series >= 1);
            run_all(w);
            mwx_warn_get_stats(w, &ws);
            mwx_warn_free(w);
            read_caps(dir, &b);
            {
                char what[64];
                snprintf(what, sizeof what, "stopped at message %d%s", k,
                         after_files ? " after its files" : " before its files");
                same_caps(&a, &b, what);
            }
            free_caps(&b);
            rm_rf(dir);
        }
    }
    free_caps(&a);
    rm_rf(ref);
}

/* A torn last entry is cut (the message it described is decided again); damage inside a
 * journal of another build is refused with a clear error, not misread. */
static void test_torn_and_foreign(void **st)
{
    char dir[512], jp[600];
    mwx_err_t err = {0};
    mwx_warn_t *w;
    mwx_warn_stats_t ws;
    capset_t a, b;
    FILE *f;
    long size;
    (void)st;

    outdir(dir, sizeof dir, "journal-torn");
    w = open_ctx(dir, NULL, &err);
    assert_non_null(w);
    run_all(w);
    mwx_warn_free(w);
    read_caps(dir, &a);
    snprintf(jp, sizeof jp, "%s/node.warn", dir);
    /* tear the last entry: the journal keeps the state before it; a replay decides the
     * message again, into the same file (the same identifier and text) */
    f = fopen(jp, "r+b");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fclose(f);
    assert_true(size > 1000);
    assert_int_equal(truncate(jp, size - 100), 0);
    w = open_ctx(dir, NULL, &err);
    if (!w)
        fail_msg("torn: %s", err.msg);
    mwx_warn_get_stats(w, &ws);
    assert_true(ws.restored_series >= 1);
    run_all(w);
    mwx_warn_free(w);
    read_caps(dir, &b);
    same_caps(&a, &b, "torn tail");
    free_caps(&a);
    free_caps(&b);

    /* another layout */
    f = fopen(jp, "r+b");
    assert_non_null(f);
    fseek(f, 8, SEEK_SET);
    fputc(0x7f, f);
    fclose(f);
    w = open_ctx(dir, NULL, &err);
    assert_null(w);
    assert_int_equal(err.code, MWX_ECORRUPT);
    assert_non_null(strstr(err.msg, "another build"));
    rm_rf(dir);
}

/* Is the CAP file of this identifier in the set? */
static int has_cap(const capset_t *cs, const char *id, size_t n)
{
    for (int i = 0; i < cs->n; i++)
        if (strlen(cs->name[i]) == n + 8 && strncmp(cs->name[i], id, n) == 0)
            return 1;
    return 0;
}

/* Every message a present CAP file references ("sender,identifier,sent" ...) is present
 * too. */
static void refs_present(const capset_t *cs, const char *what)
{
    for (int i = 0; i < cs->n; i++) {
        const char *r = strstr(cs->data[i], "<references>"), *end;
        char buf[4096], *save = NULL;
        if (!r)
            continue;
        r += strlen("<references>");
        end = strstr(r, "</references>");
        assert_non_null(end);
        assert_true((size_t)(end - r) < sizeof buf);
        memcpy(buf, r, (size_t)(end - r));
        buf[end - r] = '\0';
        for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
            char *id = strchr(tok, ','), *c = id ? strchr(id + 1, ',') : NULL;
            assert_non_null(c);
            id++;
            if (!has_cap(cs, id, (size_t)(c - id)))
                fail_msg("%s: %s references %.*s, which was removed", what, cs->name[i],
                         (int)(c - id), id);
        }
    }
}

/* Retention of alerts/ (alerts_keep_bytes): a context stopped after X-2 was judged false
 * and released, created again with a 1-byte limit, removes X-2's closed series (nothing
 * holds it) but keeps every file X-1's live series refers to; the Atom feed links only
 * files that are there; the restarted context continues X-1's series to its all-clear,
 * every reference still resolving; and the same run without a limit removes nothing. */
static void test_alerts_retention(void **st)
{
    char dir[600], atom[700];
    mwx_err_t err = {0};
    mwx_warn_t *w;
    mwx_warn_stats_t ws;
    capset_t before, after, end;
    FILE *f;
    char *text;
    long len;
    int x2 = 0;
    (void)st;
    outdir(dir, sizeof dir, "retention");
    g_keep_bytes = 1;
    w = open_ctx(dir, NULL, &err);
    assert_non_null(w);
    for (int i = 0; i < 200; i++) /* to t = 299: X-2 false at 250, released */
        if (step(w, i, &err))
            fail_msg("step %d: %s", i, err.msg);
    mwx_warn_get_stats(w, &ws);
    assert_int_equal(ws.pruned, 0); /* every 10 s of wall time at most */
    mwx_warn_free(w);
    read_caps(dir, &before);
    for (int i = 0; i < before.n; i++)
        x2 += strstr(before.name[i], ".X-2.") != NULL;
    assert_true(x2 >= 2);          /* its Alert and its Cancel */
    w = open_ctx(dir, NULL, &err); /* removes at create */
    assert_non_null(w);
    mwx_warn_get_stats(w, &ws);
    read_caps(dir, &after);
    assert_true((int)ws.pruned >= before.n - after.n); /* CoT files of released tracks too */
    assert_true(after.n < before.n);
    for (int i = 0; i < after.n; i++)
        assert_null(strstr(after.name[i], ".X-2."));
    assert_true(after.n >= 1);
    refs_present(&after, "after the restart");
    /* the feed links only files that are there */
    snprintf(atom, sizeof atom, "%s/alerts/alerts.atom", dir);
    f = fopen(atom, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    rewind(f);
    text = malloc((size_t)len + 1);
    assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
    text[len] = '\0';
    fclose(f);
    for (const char *p = strstr(text, "href=\""); p; p = strstr(p + 6, "href=\"")) {
        const char *q = strchr(p + 6, '"');
        if (q - (p + 6) > 8 && strncmp(q - 8, ".cap.xml", 8) == 0 &&
            !has_cap(&after, p + 6, (size_t)(q - (p + 6)) - 8))
            fail_msg("the Atom feed links %.*s, which was removed", (int)(q - (p + 6)), p + 6);
    }
    free(text);
    for (int i = 200; i < N_STEPS; i++)
        if (step(w, i, &err))
            fail_msg("step %d: %s", i, err.msg);
    mwx_warn_free(w);
    read_caps(dir, &end);
    refs_present(&end, "at the end");
    free_caps(&before);
    free_caps(&after);
    free_caps(&end);
    rm_rf(dir);
    /* no limit: nothing removed */
    g_keep_bytes = 0;
    outdir(dir, sizeof dir, "retention0");
    w = open_ctx(dir, NULL, &err);
    assert_non_null(w);
    for (int i = 0; i < 200; i++)
        assert_int_equal(step(w, i, &err), 0);
    mwx_warn_free(w);
    read_caps(dir, &before);
    w = open_ctx(dir, NULL, &err);
    assert_non_null(w);
    mwx_warn_free(w);
    read_caps(dir, &after);
    assert_int_equal(after.n, before.n);
    free_caps(&before);
    free_caps(&after);
    rm_rf(dir);
}

/* ------------------------------------------------------------------ boost-phase notices
 *
 * Issue 17 with the chaos test (seed 5, KR): a salvo's two missiles, M2 and M3, launched
 * 6 s apart from one site, each got its launch notice while in boost (journaled with the
 * track as it was then: no impact prediction, mid-burn); the node was killed in boost
 * and came back 70 s later, after burnout. Its rebuilt tracks of M2 and M3 (new ids, from
 * a partner's reports) carried launch estimates flown back from mid-flight, 70-100 s off
 * and in the wrong order; the journaled states, carried under gravity, lay 110-130 km
 * from them. M3's rebuilt track took neither notice and sent a second one, and M3's
 * journaled notice was held open to 20 minutes after its launch. */

/* The truth of a salvo missile launched at launch_t from (39.2 N, 125.67 E), course 115
 * degrees: thrust of 30 m/s^2 along the velocity for 90 s (a gravity turn from 70 degrees
 * elevation), then free flight (tests/node/ballistic_truth.h). Its state at t. */
#define SALVO_BURN_S 90.0
#define SALVO_MAX_S  1200
/* The launch at OTHER_LAUNCH_T is the chaos scenario's M4: from (39.0 N, 125.7 E), 22 km
 * south of the salvo's site, on course 125 degrees (its aim's bearing). */
#define OTHER_LAUNCH_T 420.0
static void salvo_site(double launch_t, double *lat, double *lon, double *course)
{
    int other = launch_t == OTHER_LAUNCH_T;
    *lat = other ? 39.0 : 39.2;
    *lon = other ? 125.7 : 125.67;
    *course = other ? 125.0 : 115.0;
}

static void salvo_fly(double launch_t, double t, double x[3], double v[3])
{
    mwx_earth_t wgs = mwx_earth_wgs84();
    double lat, lon, course;
    salvo_site(launch_t, &lat, &lon, &course);
    mwx_geo_t g = {lat * MWX_DEG, lon * MWX_DEG, 0};
    double e[3], n[3], u[3], az = course * MWX_DEG, tt = 0, h = 0.25;
    mwx_geo_to_ecef(&wgs, &g, x);
    mwx_enu_basis(g.lat, g.lon, e, n, u);
    memset(v, 0, 3 * sizeof(double));
    /* the burn (Euler-Cromer, 0.25 s steps: a truth the warnings see at tens of km): up for
     * 10 s, then pitching over to 45 degrees at burnout */
    while (tt < fmin(t - launch_t, SALVO_BURN_S) - 1e-9) {
        double a[3], pe = (tt < 10 ? 90.0 : 90.0 - 45.0 * (tt - 10) / 80.0) * MWX_DEG,
                     dt = fmin(h, fmin(t - launch_t, SALVO_BURN_S) - tt);
        bt_accel(x, v, a);
        for (int i = 0; i < 3; i++) {
            v[i] +=
                (a[i] + 30.0 * (cos(pe) * (sin(az) * e[i] + cos(az) * n[i]) + sin(pe) * u[i])) * dt;
            x[i] += v[i] * dt;
        }
        tt += dt;
    }
    if (t - launch_t > SALVO_BURN_S) {
        double x0[3], v0[3];
        memcpy(x0, x, sizeof x0);
        memcpy(v0, v, sizeof v0);
        bt_fly(x0, v0, launch_t + SALVO_BURN_S, t, x, v);
    }
}

/* The truth of a launch, once: its state each second after launch_t, and its impact. */
typedef struct salvo_truth {
    double launch_t, t_imp, lat, lon;
    double x[SALVO_MAX_S + 1][6];
} salvo_truth_t;

static salvo_truth_t *g_truth[4];

static const salvo_truth_t *salvo_truth_of(double launch_t)
{
    mwx_earth_t wgs = mwx_earth_wgs84();
    int k = 0;
    for (; k < 4 && g_truth[k]; k++)
        if (g_truth[k]->launch_t == launch_t)
            return g_truth[k];
    assert_true(k < 4);
    salvo_truth_t *tr = calloc(1, sizeof *tr);
    assert_non_null(tr);
    tr->launch_t = launch_t;
    tr->t_imp = INFINITY;
    salvo_fly(launch_t, launch_t, tr->x[0], tr->x[0] + 3);
    for (int i = 1; i <= SALVO_MAX_S; i++) {
        mwx_geo_t g;
        if (i <= SALVO_BURN_S + 1)
            salvo_fly(launch_t, launch_t + i, tr->x[i], tr->x[i] + 3);
        else
            bt_fly(tr->x[i - 1], tr->x[i - 1] + 3, launch_t + i - 1, launch_t + i, tr->x[i],
                   tr->x[i] + 3);
        mwx_ecef_to_geo(&wgs, tr->x[i], &g);
        if (g.alt < 0 && !isfinite(tr->t_imp)) {
            tr->t_imp = launch_t + i;
            tr->lat = g.lat / MWX_DEG;
            tr->lon = g.lon / MWX_DEG;
        }
    }
    assert_true(isfinite(tr->t_imp));
    return g_truth[k] = tr;
}

/* The truth at t (whole seconds after the launch). */
static void salvo_truth(double launch_t, double t, double x[3], double v[3])
{
    const salvo_truth_t *tr = salvo_truth_of(launch_t);
    int i = (int)lround(t - launch_t);
    assert_true(i >= 0 && i <= SALVO_MAX_S);
    memcpy(x, tr->x[i], 3 * sizeof(double));
    memcpy(v, tr->x[i] + 3, 3 * sizeof(double));
}

/* The truth's impact: time (the first second below the ground) and point. */
static void salvo_impact(double launch_t, double *t_imp, double *lat, double *lon)
{
    const salvo_truth_t *tr = salvo_truth_of(launch_t);
    *t_imp = tr->t_imp;
    *lat = tr->lat;
    *lon = tr->lon;
}

/* A track of the missile launched at launch_t, at t: the truth, confirmed; in boost (no
 * impact prediction) until burnout, then ballistic with the truth's impact (10 km
 * ellipse) from 20 s after burnout; a launch estimate (est_t, basis) when est_t is finite. */
static mwx_rec_track_t salvo_track(const char *id, double launch_t, double t, double est_t,
                                   mwx_launch_basis_t basis)
{
    double lat, lon, course;
    salvo_site(launch_t, &lat, &lon, &course);
    mwx_rec_track_t k = wt_track(id, t, lat, lon, 0, 0, 0, 0, 10, 10, 0);
    salvo_truth(launch_t, t, k.ecef_m, k.vel_mps);
    k.launch.valid = isfinite(est_t);
    k.launch.t = est_t;
    k.launch.lat = lat;
    k.launch.lon = lon;
    k.launch.basis = basis;
    k.impact.valid = 0;
    k.phase = MWX_PHASE_BOOST;
    k.klass = MWX_CLASS_THRUSTING;
    if (t > launch_t + SALVO_BURN_S) {
        k.phase = MWX_PHASE_BALLISTIC;
        k.klass = MWX_CLASS_BALLISTIC;
    }
    if (t > launch_t + SALVO_BURN_S + 20.0) {
        k.impact.valid = 1;
        salvo_impact(launch_t, &k.impact.t, &k.impact.lat, &k.impact.lon);
    }
    return k;
}

/* One missile's tracks in a run: id, launched at launch_t, fed over [from_t, to_t), with
 * the launch estimate est_t (basis) from est_from_t on. */
typedef struct salvo_feed {
    const char *id;
    double launch_t, from_t, to_t, est_t, est_from_t;
    mwx_launch_basis_t basis;
} salvo_feed_t;

/* Feed the tracks every second over [t0, t1), in the order given, then a tick (a node
 * ticks its context whatever comes). */
static void salvo_run(mwx_warn_t *w, const salvo_feed_t *f, int n, double t0, double t1)
{
    mwx_err_t err = {0};
    for (double t = t0; t < t1; t += 1.0) {
        for (int i = 0; i < n; i++)
            if (t >= f[i].from_t && t < f[i].to_t && t < salvo_truth_of(f[i].launch_t)->t_imp) {
                mwx_rec_track_t k = salvo_track(
                    f[i].id, f[i].launch_t, t, t >= f[i].est_from_t ? f[i].est_t : NAN, f[i].basis);
                if (mwx_warn_track(w, &k, &err))
                    fail_msg("%s at %.0f: %s", f[i].id, t, err.msg);
            }
        if (mwx_warn_tick(w, t, &err))
            fail_msg("tick at %.0f: %s", t, err.msg);
    }
}

/* The launch notices of a run's CAP files: the series (names) of their Alerts, and per
 * series whether a Cancel ends it that references its Alert (its time in cancel_t). */
typedef struct notices {
    char name[8][64];
    int n, ended[8];
    double cancel_t[8];
} notices_t;

static void read_notices(const char *dir, notices_t *ns)
{
    capset_t cs;
    memset(ns, 0, sizeof *ns);
    read_caps(dir, &cs);
    for (int i = 0; i < cs.n; i++) {
        char id[160], track[64];
        mwx_warn_kind_t kind;
        snprintf(id, sizeof id, "%.*s", (int)(strlen(cs.name[i]) - strlen(".cap.xml")), cs.name[i]);
        if (mwx_warn_identifier_parse(id, track, sizeof track, &kind) || kind != MWX_WARN_LAUNCH ||
            !strstr(cs.data[i], "<msgType>Alert<"))
            continue;
        assert_true(ns->n < 8);
        snprintf(ns->name[ns->n], 64, "%s", track);
        for (int j = 0; j < cs.n; j++) {
            const char *sent = strstr(cs.data[j], "<sent>");
            if (strstr(cs.data[j], "<msgType>Cancel<") && strstr(cs.data[j], id) && sent) {
                double ts;
                char iso[32];
                mwx_err_t err = {0};
                snprintf(iso, sizeof iso, "%.25s", sent + 6);
                assert_int_equal(mwx_time_parse(iso, &ts, &err), 0);
                ns->ended[ns->n] = 1;
                ns->cancel_t[ns->n] = ts - g_epoch;
            }
        }
        ns->n++;
    }
    free_caps(&cs);
}

static int has_notice(const notices_t *ns, const char *name)
{
    for (int i = 0; i < ns->n; i++)
        if (strcmp(ns->name[i], name) == 0)
            return 1;
    return 0;
}

/* kill -9 of a node: its warning context is gone, the journal in dir is all that is left */
static mwx_warn_t *kill_restart(mwx_warn_t *w, const char *dir)
{
    mwx_err_t err = {0};
    mwx_warn_free(w);
    w = open_ctx(dir, NULL, &err);
    if (!w)
        fail_msg("restart: %s", err.msg);
    return w;
}

/* the notices a run left in dir, which goes */
static void notices_done(const char *dir, const char *name, notices_t *out, const notices_t *ref)
{
    read_notices(dir, out);
    rm_rf(dir);
    print_message("%s: %d notices (undisturbed %d)\n", name, out->n, ref->n);
    for (int i = 0; i < out->n; i++)
        print_message("  %s ended %d at %.1f s\n", out->name[i], out->ended[i], out->cancel_t[i]);
}

/* The salvo M2 (launched at 200) and M3 (206), and with extra a third launch from the site
 * at 330 (M4), seen from 345 in boost. The node (KR-F3, KR-F4, with fitted launch
 * estimates from 258) is killed at kill_t in boost and restarted 70 s later: it replays its
 * history up to the kill (mwx_warn_set_replay: ticks, or with replayed the partner's
 * tracks of M2 and M3 under new ids, which take the journaled series over), then rebuilds
 * KR-F6 (M2) and KR-F7 (M3) from a partner's reports, after burnout, with launch
 * estimates 68 and 100 s early and in the wrong order (the chaos run's); rebuilt in the
 * order given (m3_first), M3's track 20 s after M2's when late. */
static void salvo_restart(const char *name, double kill_t, int m3_first, int late, int extra,
                          int replayed, notices_t *out, notices_t *ref)
{
    char dir[512];
    mwx_err_t err = {0};
    mwx_warn_t *w;
    double back_t = kill_t + 70.0, t_imp, la, lo;
    salvo_feed_t before[2] = {{"KR-F3", 200, 238, kill_t, 199.0, 258, MWX_LAUNCH_FIT},
                              {"KR-F4", 206, 243, kill_t, 206.6, 263, MWX_LAUNCH_FIT}};
    salvo_feed_t after[3] = {
        {"KR-F6", 200, back_t, 1100, 132.0, 0, MWX_LAUNCH_BOOST},
        {"KR-F7", 206, back_t + (late ? 20 : 0), 1100, 106.0, 0, MWX_LAUNCH_BOOST},
        {"KR-F8", 330, 345, 1100, 330.5, 352, MWX_LAUNCH_FIT}};
    /* the partner's reports a restarted node replays rebuild the tracks of before under
     * new ids (they take the journaled series over, then go silent) */
    salvo_feed_t history[2] = {{"KR-F9", 200, 238, kill_t, 199.0, 258, MWX_LAUNCH_FIT},
                               {"KR-F10", 206, 243, kill_t, 206.6, 263, MWX_LAUNCH_FIT}};
    salvo_feed_t undisturbed[3] = {{"KR-F3", 200, 238, 1100, 199.0, 258, MWX_LAUNCH_FIT},
                                   {"KR-F4", 206, 243, 1100, 206.6, 263, MWX_LAUNCH_FIT},
                                   {"KR-F8", 330, 345, 1100, 330.5, 352, MWX_LAUNCH_FIT}};
    if (m3_first) {
        salvo_feed_t tmp = after[0];
        after[0] = after[1];
        after[1] = tmp;
    }
    salvo_impact(206, &t_imp, &la, &lo);
    assert_true(t_imp < 1000 - 60);

    /* the run without the restart */
    outdir(dir, sizeof dir, name);
    w = open_ctx(dir, NULL, &err);
    assert_non_null(w);
    salvo_run(w, undisturbed, extra ? 3 : 2, 230, 1000);
    mwx_warn_free(w);
    read_notices(dir, ref);
    rm_rf(dir);

    w = open_ctx(dir, NULL, &err);
    assert_non_null(w);
    salvo_run(w, before, 2, 230, kill_t);
    w = kill_restart(w, dir); /* kill -9: the journal is all that is left */
    assert_int_equal(mwx_warn_set_replay(w, 1, &err), 0);
    salvo_run(w, history, replayed ? 2 : 0, 230, kill_t); /* the replayed history */
    assert_int_equal(mwx_warn_set_replay(w, 0, &err), 0);
    salvo_run(w, after, extra ? 3 : 2, back_t, 1000);
    mwx_warn_free(w);
    notices_done(dir, name, out, ref);
}

static void test_restart_boost_notices(void **st)
{
    (void)st;
    for (int c = 0; c < 8; c++) {
        char name[64];
        notices_t ns, ref;
        int m3_first = c & 1, late = c < 4 && (c >> 1) & 1, extra = c == 4 || c == 5,
            replayed = c >= 6;
        double t2, t3, la, lo;
        snprintf(name, sizeof name, "boostnotice-%d%d%d%d", m3_first, late, extra, replayed);
        /* killed in boost (289: the chaos run's), or right after the second notice; the
         * history replayed as ticks, or as the partner's tracks (the chaos run's JP) */
        salvo_restart(name, c == 5 ? 250 : 289, m3_first, late, extra, replayed, &ns, &ref);
        salvo_impact(200, &t2, &la, &lo);
        salvo_impact(206, &t3, &la, &lo);
        /* one notice a launch, as without the restart: the journaled ones, continued */
        assert_int_equal(ref.n, extra ? 3 : 2);
        assert_int_equal(ns.n, ref.n);
        assert_true(has_notice(&ns, "KR-F3"));
        assert_true(has_notice(&ns, "KR-F4"));
        if (extra) /* the third launch, from the same site after the kill, its own */
            assert_true(has_notice(&ns, "KR-F8"));
        /* each ended with its flight: after the impact of the salvo, not held to 20
         * minutes after the launch */
        for (int i = 0; i < ns.n; i++) {
            assert_true(ns.ended[i]);
            if (strcmp(ns.name[i], "KR-F8") != 0) {
                assert_true(ns.cancel_t[i] >= t2);
                assert_true(ns.cancel_t[i] <= t3 + 120.0);
            }
        }
    }
}

/* ------------------------------------------------------------------ another launch's track
 *
 * Issues 14 and 17, the chaos test at 33x (seed 1): US, killed after its launch notice of M3
 * (launched at 206) and restarted after M4's launch (420, 22 km away, on a course 10
 * degrees off), let M4's fused track take the journaled notice over (M4 is where M3's
 * missile could be by now: ahead on its course, within reach), so M4 got no notice of its
 * own and M3's ran to M4's all-clear. The launch time was compared only on a fitted
 * estimate of the taker's, and M4's was flown back. A journaled notice now goes on only
 * with a track of its launch, whatever basis either launch estimate has; a track with no
 * estimate yet waits for one (at most NEWCOMER_S) before it takes a notice or sends one.
 *
 * The node (KR-F4: M3, fitted launch estimate from 263) is killed at kill_t in boost (250:
 * its notice journaled before any estimate; 289: with the fitted one) and restarted at 544,
 * M4 124 s in flight. It rebuilds M3 as KR-F6 (a boost estimate 100 s early, the seed-5
 * run's) and M4 as KR-F9 (an estimate of basis m4_basis, m4_err s off, from m4_est_from s
 * after the restart; none before), in the order given (m4_first). */
static void other_launch_restart(const char *name, double kill_t, mwx_launch_basis_t m4_basis,
                                 double m4_err, double m4_est_from, double m3_est_from,
                                 int m4_first, notices_t *out, notices_t *ref)
{
    char dir[512];
    mwx_err_t err = {0};
    mwx_warn_t *w;
    const double back_t = 544.0;
    salvo_feed_t before[1] = {{"KR-F4", 206, 243, kill_t, 206.6, 263, MWX_LAUNCH_FIT}};
    salvo_feed_t after[2] = {
        {"KR-F6", 206, back_t, 1100, 106.0, back_t + m3_est_from, MWX_LAUNCH_BOOST},
        {"KR-F9", OTHER_LAUNCH_T, back_t, 1100, OTHER_LAUNCH_T + m4_err, back_t + m4_est_from,
         m4_basis}};
    salvo_feed_t undisturbed[2] = {
        {"KR-F4", 206, 243, 1100, 206.6, 263, MWX_LAUNCH_FIT},
        {"KR-F9", OTHER_LAUNCH_T, 440, 1100, OTHER_LAUNCH_T + 0.5, 447, MWX_LAUNCH_FIT}};
    if (m4_first) {
        salvo_feed_t tmp = after[0];
        after[0] = after[1];
        after[1] = tmp;
    }

    outdir(dir, sizeof dir, name);
    w = open_ctx(dir, NULL, &err);
    assert_non_null(w);
    salvo_run(w, undisturbed, 2, 230, 1150);
    mwx_warn_free(w);
    read_notices(dir, ref);
    rm_rf(dir);

    w = open_ctx(dir, NULL, &err);
    assert_non_null(w);
    salvo_run(w, before, 1, 230, kill_t);
    w = kill_restart(w, dir);
    salvo_run(w, after, 2, back_t, 1150);
    mwx_warn_free(w);
    notices_done(dir, name, out, ref);
}

static void test_restart_other_launch(void **st)
{
    static const mwx_launch_basis_t basis[3] = {MWX_LAUNCH_BALLISTIC, MWX_LAUNCH_BOOST,
                                                MWX_LAUNCH_FIT};
    /* M4's estimate: flown back from ballistic flight 30 s late, from a boosting state
     * 40 s early, fitted 1 s late */
    static const double m4_err[3] = {30.0, -40.0, 1.0};
    double t3, t4, la, lo;
    (void)st;
    salvo_impact(206, &t3, &la, &lo);
    salvo_impact(OTHER_LAUNCH_T, &t4, &la, &lo);
    assert_true(t3 > 544.0 + 30.0 && t4 > t3 + 120.0 && t4 < 1150.0 - 60.0);
    for (int c = 0; c < 16; c++) {
        char name[64];
        notices_t ns, ref;
        int b = c % 3, m4_first = (c / 3) & 1, kill = (c / 6) & 1;
        /* c 12-15: no launch estimate in the first 3 s after the restart, M4's (12, 13) or
         * M3's (14, 15) */
        double m4_from = c == 12 || c == 13 ? 3.0 : 0.0, m3_from = c >= 14 ? 3.0 : 0.0;
        if (c >= 12) {
            b = 0;
            m4_first = c & 1;
            kill = 1;
        }
        snprintf(name, sizeof name, "othernotice-%d", c);
        other_launch_restart(name, kill ? 289.0 : 250.0, basis[b], m4_err[b], m4_from, m3_from,
                             m4_first, &ns, &ref);
        assert_int_equal(ref.n, 2);
        /* M3's journaled notice continued by M3's track, M4's its own: no second notice of
         * M3, none missing for M4 */
        assert_int_equal(ns.n, 2);
        assert_true(has_notice(&ns, "KR-F4"));
        assert_true(has_notice(&ns, "KR-F9"));
        for (int i = 0; i < ns.n; i++) {
            assert_true(ns.ended[i]);
            /* M3's ends with M3's flight, not with M4's */
            if (strcmp(ns.name[i], "KR-F4") == 0) {
                assert_true(ns.cancel_t[i] >= t3);
                assert_true(ns.cancel_t[i] <= t3 + 120.0);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart_at_every_message),
        cmocka_unit_test(test_torn_and_foreign),
        cmocka_unit_test(test_alerts_retention),
        cmocka_unit_test(test_restart_boost_notices),
        cmocka_unit_test(test_restart_other_launch),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
