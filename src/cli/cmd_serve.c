/* mwx serve RUN.mwxr: the operator web page replaying a recording through the same server
 * that `mwx run` / `mwx demo` use live. The replay clock runs at --speed scenario seconds
 * per wall second and is controlled from the page (GET /api/control?cmd=...). SIGINT and
 * SIGTERM are taken synchronously (blocked in every thread, waited for with
 * sigtimedwait in the replay loop), so there is no signal handler and no global state. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mwx/web.h"

#define TICK_S        0.05
#define STATE_EVERY_S 0.5

typedef struct control {
    pthread_mutex_t lk;
    int playing;
    double speed;
    int restart;
} control_t;

static int on_control(void *user, const char *cmd, double x)
{
    control_t *c = user;
    pthread_mutex_lock(&c->lk);
    if (strcmp(cmd, "play") == 0)
        c->playing = 1;
    else if (strcmp(cmd, "pause") == 0)
        c->playing = 0;
    else if (strcmp(cmd, "restart") == 0)
        c->restart = 1;
    else if (strcmp(cmd, "speed") == 0)
        c->speed = x;
    pthread_mutex_unlock(&c->lk);
    return 0;
}

/* A record's scenario time; the scenario record has none (it goes first). */
static double rec_time(const mwx_record_t *r)
{
    switch (r->type) {
    case MWX_REC_TRUTH: return r->u.truth.t;
    case MWX_REC_MEAS: return r->u.meas.t;
    case MWX_REC_TRACK: return r->u.track.t;
    case MWX_REC_SHARE: return r->u.share.t;
    case MWX_REC_ALERT: return r->u.alert.t;
    default: return -INFINITY;
    }
}

/* A streaming position in the recording with one record of lookahead. */
typedef struct cursor {
    const char *path;
    mwx_recreader_t *rd;
    mwx_record_t rec; /* the next record when have */
    int have;
    uint64_t index; /* records consumed */
    uint64_t limit; /* records before any damage (from the first pass) */
} cursor_t;

static int cursor_open(cursor_t *c, mwx_err_t *err)
{
    if (c->rd)
        mwx_recreader_close(c->rd);
    c->rd = NULL;
    c->have = 0;
    c->index = 0;
    return mwx_recreader_open(c->path, 0, &c->rd, err);
}

/* 1 with the next record in c->rec, 0 at the end, or a negative MWX_E* (err says). */
static int cursor_peek(cursor_t *c, mwx_err_t *err)
{
    if (c->have)
        return 1;
    if (c->index >= c->limit)
        return 0;
    int rc = mwx_recreader_next(c->rd, &c->rec, err);
    if (rc == MWX_EOF)
        return 0;
    if (rc != 0)
        return rc;
    c->have = 1;
    return 1;
}

/* The stop signals, blocked before the server starts its threads so that they inherit
 * the mask and the caller's loop is the only taker (sigtimedwait). */
static void block_stop_signals(sigset_t *stop)
{
    sigemptyset(stop);
    sigaddset(stop, SIGINT);
    sigaddset(stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, stop, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* alerts/alerts.atom beside the recording. Served even before it exists: the server
 * then answers an empty valid feed, so a reader subscribing before the first alert of a
 * followed node does not see a broken feed (issue #12). */
static const char *atom_beside(const char *path, char *buf, size_t n)
{
    const char *slash = strrchr(path, '/');
    int dl = slash ? (int)(slash - path) : 1;
    snprintf(buf, n, "%.*s/alerts/alerts.atom", dl, slash ? path : ".");
    return buf;
}

#define MAX_HOSTS 8
typedef struct serve_opts {
    const char *hosts[MAX_HOSTS];
    int n_hosts;
} serve_opts_t;

/* The names besides the bound address the server answers to (--host), and the control
 * token for scripts. */
static int serve_setup(mwx_web_t *srv, const serve_opts_t *o, mwx_err_t *err)
{
    for (int i = 0; i < o->n_hosts; i++)
        if (mwx_web_add_host(srv, o->hosts[i], err) != 0)
            return -1;
    return 0;
}

/* --follow: a live picture of a recording that a node is still writing. */
static int serve_follow(const char *path, const char *bind, unsigned port, const char *atom,
                        const char *assets, const serve_opts_t *opts)
{
    mwx_err_t err;
    mwx_err_clear(&err);
    mwx_recreader_t *rd;
    if (mwx_recreader_open(path, MWX_READ_FOLLOW, &rd, &err) != 0)
        return mwx_cli_fail("serve", &err);
    sigset_t stop;
    block_stop_signals(&stop);
    mwx_web_t *srv;
    if (mwx_web_start(bind, port, assets, &srv, &err) != 0) {
        mwx_recreader_close(rd);
        return mwx_cli_fail("serve", &err);
    }
    if (serve_setup(srv, opts, &err) != 0) {
        mwx_web_stop(srv);
        mwx_recreader_close(rd);
        return mwx_cli_fail("serve", &err);
    }
    char atom_default[MWX_PATH_LEN * 2];
    if (!atom)
        atom = atom_beside(path, atom_default, sizeof atom_default);
    if (atom && mwx_web_set_atom_file(srv, atom, &err) != 0)
        fprintf(stderr, "mwx serve: warning: %s\n", err.msg);
    char url[128];
    (void)mwx_web_url(srv, url, sizeof url);
    printf("mwx serve: %s  (following %s live; Ctrl-C to stop)\n", url, path);
    printf("mwx serve: control token %s (header X-Mwx-Token)\n", mwx_web_token(srv));
    fflush(stdout);
    mwx_record_t rec;
    int reading = 1, failures = 0;
    for (;;) {
        int rc = MWX_EAGAIN;
        /* Drain what is there (bounded per tick so that signals are seen). */
        for (int k = 0; reading && k < 10000; k++) {
            rc = mwx_recreader_next(rd, &rec, &err);
            if (rc != 0)
                break;
            if (mwx_web_publish(srv, &rec, &err) != 0 && failures++ == 0)
                fprintf(stderr, "mwx serve: warning: %s\n", err.msg);
        }
        if (reading && rc != 0 && rc != MWX_EAGAIN) {
            /* Damage in the middle of the file: keep serving what was read. */
            fprintf(stderr, "mwx serve: %s: stopped reading: %s\n", path, err.msg);
            reading = 0;
        }
        if (rc == 0)
            continue;
        struct timespec ts = {0, (long)(TICK_S * 1e9)};
        int sig = sigtimedwait(&stop, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM)
            break;
    }
    printf("mwx serve: stopping\n");
    fflush(stdout);
    mwx_web_stop(srv);
    mwx_recreader_close(rd);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: mwx serve RUN.mwxr [--port N] [--bind ADDR] [--speed X] [--paused]\n"
               "                 [--follow] [--atom FILE] [--assets DIR] [--host NAME]...\n\n"
               "Serve the operator web page and replay the recording RUN.mwxr to it.\n\n"
               "  --port N      TCP port (default 8080; 0 = any free port, printed)\n"
               "  --bind ADDR   address to listen on (default 127.0.0.1, loopback only;\n"
               "                give e.g. 0.0.0.0 explicitly to serve other machines)\n"
               "  --speed X     scenario seconds per wall second (default 1; 0 < X <= 1000)\n"
               "  --paused      start paused (press play on the page)\n"
               "  --follow      live view of a recording being written (a node's): publish\n"
               "                every record as soon as it is in the file, no replay clock\n"
               "  --atom FILE   serve FILE at /alerts.atom (default: alerts/alerts.atom\n"
               "                beside RUN.mwxr; an empty feed until that file exists)\n"
               "  --assets DIR  the page's files (default: web/ beside the mwx binary)\n"
               "  --host NAME   also answer requests for Host NAME (e.g. behind a proxy);\n"
               "                others than the bound address get 403 (DNS rebinding)\n\n"
               "The page has play/pause/speed/restart controls; scripts can use\n"
               "GET /api/control?cmd=play|pause|restart or ?cmd=speed&x=N with the header\n"
               "X-Mwx-Token: the control token printed at start.\n"
               "Other endpoints: /events (server-sent events), /api/picture, /metrics.\n"
               "Stops cleanly on Ctrl-C (SIGINT) or SIGTERM.\n");
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int mwx_cmd_serve(int argc, char **argv)
{
    if (mwx_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *path = NULL, *bind = NULL, *atom = NULL, *assets = NULL;
    double port_d = 8080, speed = 1.0;
    int paused = 0, follow = 0;
    serve_opts_t opts = {.n_hosts = 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (strcmp(a, "--port") == 0 && has_val) {
            if (parse_num(argv[++i], 0, 65535, &port_d) || port_d != floor(port_d))
                return mwx_cli_usage_error("serve", "--port: expected 0..65535, got '%s'", argv[i]);
        } else if (strcmp(a, "--bind") == 0 && has_val) {
            bind = argv[++i];
        } else if (strcmp(a, "--speed") == 0 && has_val) {
            if (parse_num(argv[++i], 1e-9, 1000, &speed))
                return mwx_cli_usage_error("serve", "--speed: expected 0 < X <= 1000, got '%s'",
                                           argv[i]);
        } else if (strcmp(a, "--atom") == 0 && has_val) {
            atom = argv[++i];
        } else if (strcmp(a, "--host") == 0 && has_val) {
            if (opts.n_hosts == MAX_HOSTS)
                return mwx_cli_usage_error("serve", "--host: at most %d names", MAX_HOSTS);
            opts.hosts[opts.n_hosts++] = argv[++i];
        } else if (strcmp(a, "--assets") == 0 && has_val) {
            assets = argv[++i];
        } else if (strcmp(a, "--paused") == 0) {
            paused = 1;
        } else if (strcmp(a, "--follow") == 0) {
            follow = 1;
        } else if (a[0] == '-' && a[1]) {
            return mwx_cli_usage_error("serve", "unknown or incomplete option '%s'", a);
        } else if (!path) {
            path = a;
        } else {
            return mwx_cli_usage_error("serve", "one recording only ('%s' is extra)", a);
        }
    }
    if (!path)
        return mwx_cli_usage_error("serve", "missing RUN.mwxr");
    if (follow)
        return serve_follow(path, bind, (unsigned)port_d, atom, assets, &opts);

    mwx_err_t err;
    mwx_err_clear(&err);
    /* One pass to learn the time span and where any damage starts; the replay then
     * streams the file again (restart reopens it), so memory does not grow with it. */
    cursor_t cur = {.path = path, .limit = UINT64_MAX};
    uint64_t n_recs = 0;
    double t0 = INFINITY, t_end = 0;
    int rc = cursor_open(&cur, &err);
    while (rc == 0 && (rc = cursor_peek(&cur, &err)) == 1) {
        if (cur.rec.type != MWX_REC_SCENARIO) {
            double t = rec_time(&cur.rec);
            t0 = t < t0 ? t : t0;
            t_end = t > t_end ? t : t_end;
        }
        cur.have = 0;
        cur.index++;
        n_recs++;
        rc = 0;
    }
    if (rc == MWX_ETRUNC || rc == MWX_ECORRUPT) {
        fprintf(stderr, "mwx serve: warning: %s (replaying the %llu records before it)\n", err.msg,
                (unsigned long long)n_recs);
    } else if (rc < 0) {
        mwx_recreader_close(cur.rd);
        return mwx_cli_fail("serve", &err);
    }
    if (n_recs == 0) {
        mwx_recreader_close(cur.rd);
        mwx_err_set(&err, MWX_EINVAL, "%s: no records to replay", path);
        return mwx_cli_fail("serve", &err);
    }
    cur.limit = n_recs;
    if (!isfinite(t0))
        t0 = 0;
    if ((rc = cursor_open(&cur, &err)) != 0) {
        mwx_recreader_close(cur.rd);
        return mwx_cli_fail("serve", &err);
    }

    sigset_t stop;
    block_stop_signals(&stop);

    mwx_web_t *srv;
    if ((rc = mwx_web_start(bind, (unsigned)port_d, assets, &srv, &err))) {
        mwx_recreader_close(cur.rd);
        return mwx_cli_fail("serve", &err);
    }
    if (serve_setup(srv, &opts, &err) != 0) {
        mwx_web_stop(srv);
        mwx_recreader_close(cur.rd);
        return mwx_cli_fail("serve", &err);
    }
    char atom_default[MWX_PATH_LEN * 2];
    if (!atom)
        atom = atom_beside(path, atom_default, sizeof atom_default);
    if (atom && mwx_web_set_atom_file(srv, atom, &err) != 0)
        fprintf(stderr, "mwx serve: warning: %s\n", err.msg);

    control_t ctl;
    pthread_mutex_init(&ctl.lk, NULL);
    ctl.playing = !paused;
    ctl.speed = speed;
    ctl.restart = 0;
    mwx_web_set_control(srv, on_control, &ctl);

    char url[128];
    (void)mwx_web_url(srv, url, sizeof url);
    printf("mwx serve: %s  (replaying %s: %llu records, t %.1f..%.1f s, speed %g%s; "
           "Ctrl-C to stop)\n",
           url, path, (unsigned long long)n_recs, t0, t_end, speed, paused ? ", paused" : "");
    printf("mwx serve: control token %s (header X-Mwx-Token)\n", mwx_web_token(srv));
    fflush(stdout);

    /* The clock starts at the first timed record (a scenario record's t is 0 and carries
     * no time of its own). */
    double sim_t = t0, last_state = -1;
    double wall = mwx_time_mono();
    int failures = 0, ended = 0;
    for (;;) {
        pthread_mutex_lock(&ctl.lk);
        int playing = ctl.playing, restart = ctl.restart;
        double sp = ctl.speed;
        ctl.restart = 0;
        pthread_mutex_unlock(&ctl.lk);

        double now = mwx_time_mono();
        if (restart) {
            mwx_web_reset(srv);
            if (cursor_open(&cur, &err) != 0) {
                fprintf(stderr, "mwx serve: %s\n", err.msg);
                break;
            }
            ended = 0;
            sim_t = t0;
            last_state = -1;
        } else if (playing && !ended) {
            sim_t += (now - wall) * sp;
        }
        wall = now;
        while (!ended) {
            int k = cursor_peek(&cur, &err);
            if (k != 1) {
                if (k < 0 && failures++ == 0)
                    fprintf(stderr, "mwx serve: warning: %s\n", err.msg);
                ended = 1;
                break;
            }
            if (rec_time(&cur.rec) > sim_t)
                break;
            if (mwx_web_publish(srv, &cur.rec, &err) != 0 && failures++ == 0)
                fprintf(stderr, "mwx serve: warning: %s\n", err.msg);
            cur.have = 0;
            cur.index++;
        }
        if (ended && sim_t < t_end)
            sim_t = t_end;
        if (restart || last_state < 0 || now - last_state >= STATE_EVERY_S) {
            mwx_web_replay_state_t st = {.playing = playing && !ended,
                                         .speed = sp,
                                         .t = sim_t,
                                         .t_end = t_end,
                                         .ended = ended};
            mwx_web_set_replay_state(srv, &st);
            last_state = now;
        }

        struct timespec ts = {0, (long)(TICK_S * 1e9)};
        int sig = sigtimedwait(&stop, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM)
            break;
    }
    printf("mwx serve: stopping\n");
    fflush(stdout);
    mwx_web_stop(srv);
    pthread_mutex_destroy(&ctl.lk);
    mwx_recreader_close(cur.rd);
    return 0;
}
