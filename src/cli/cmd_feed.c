/* mwx feed SCENARIO.json --nation ID --bus URL: one nation's simulated sensors as a live
 * feed. The measurements of the nation's sensors are published on mwx-meas.<ID>, one
 * encoded meas record per message, each when the scenario clock reaches its time; a node
 * with "feed": "bus" tracks them (docs/NODE.md). Truth never leaves the simulator. */
#include "cli.h"
#include "mwx/share.h"
#include "mwx/sim.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void help(void)
{
    printf("usage: mwx feed SCENARIO.json --nation ID --bus nats://HOST:PORT [options]\n"
           "\n"
           "Simulates the scenario and publishes the measurements of nation ID's sensors on\n"
           "mwx-meas.ID, each when the scenario clock reaches its time: a live sensor feed for\n"
           "a node configured with \"feed\": \"bus\". Truth is never published.\n"
           "\n"
           "options:\n"
           "  --creds FILE       NATS credentials (mwx nats-config writes ID-sensors.creds)\n"
           "  --tls-ca FILE      mutual TLS: the CA certificate (nats-config --tls: tls/ca.crt)\n"
           "  --tls-cert FILE    this feed's certificate (tls/sensors-ID.crt)\n"
           "  --tls-key FILE     its key (tls/sensors-ID.key, mode 0600)\n"
           "  --tls-server-name NAME  the server's name to check (default: the URL's host\n"
           "                     when it is a DNS name; e.g. leaf-ID.mwx)\n"
           "  --speed S          scenario seconds per wall second (default 1)\n"
           "  --start-unix T     wall time (Unix s) of scenario t = 0 (default: now); give the\n"
           "                     nodes the same start_unix\n"
           "  --t-offset S       add S seconds to every measurement's time (and publish it at\n"
           "                     that time of the clock): the scenario as the S-th second of\n"
           "                     a longer run (bench/soak feeds a week of 8-hour scenarios)\n"
           "\n"
           "Exit status: 0 the scenario was fed to its end (or SIGINT/SIGTERM), 1 the scenario\n"
           "or a TLS file is wrong, 2 usage, 3 the bus cannot be reached.\n");
}

typedef struct feed {
    const char *nation;
    mwx_bus_t *bus;
    char subject[MWX_SUBJECT_LEN];
    double start_unix, speed, t_offset;
    uint64_t sent, errors;
    uint8_t buf[4096];
    mwx_err_t err;
} feed_t;

static void sleep_until(double unix_s)
{
    for (;;) {
        double d = unix_s - mwx_time_wall();
        if (d <= 0 || stop_flag)
            return;
        struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static int sink(void *ctx, const mwx_record_t *rec)
{
    feed_t *f = ctx;
    mwx_record_t r;
    size_t len;
    if (stop_flag)
        return MWX_EAGAIN;
    if (rec->type != MWX_REC_MEAS || strcmp(rec->u.meas.nation, f->nation) != 0)
        return MWX_OK;
    sleep_until(f->start_unix + (rec->u.meas.t + f->t_offset) / f->speed);
    r = *rec;
    r.u.meas.t += f->t_offset;
    r.u.meas.truth_object[0] = '\0'; /* scoring only: a real sensor does not know it */
    if (mwx_record_encode(&r, f->buf, sizeof f->buf, &len) != MWX_OK)
        return mwx_err_set(&f->err, MWX_ERANGE, "a measurement does not fit %zu bytes",
                           sizeof f->buf);
    /* a bus that is down loses this measurement (nats.c buffers while it reconnects):
     * counted, the feed goes on, as a sensor's would */
    if (mwx_bus_publish(f->bus, f->subject, f->buf, len, NULL) < 0)
        f->errors++;
    else
        f->sent++;
    return MWX_OK;
}

int mwx_cmd_feed(int argc, char **argv)
{
    const char *in = NULL, *nation = NULL, *url = NULL, *creds = NULL;
    const char *tls_ca = NULL, *tls_cert = NULL, *tls_key = NULL, *tls_name = NULL;
    char user[128] = "", pass[256] = "", name[64];
    feed_t f;
    mwx_scenario_t *sc = NULL;
    mwx_nats_opts_t o;
    mwx_sim_opts_t so = {0, 0, 0};
    mwx_err_t err = {0};
    struct sigaction sa;
    int rc;

    if (mwx_cli_wants_help(argc, argv)) {
        help();
        return 0;
    }
    memset(&f, 0, sizeof f);
    f.speed = 1.0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *end;
        if (strcmp(a, "--nation") == 0 || strcmp(a, "--bus") == 0 || strcmp(a, "--creds") == 0 ||
            strcmp(a, "--speed") == 0 || strcmp(a, "--start-unix") == 0 ||
            strncmp(a, "--tls-", 6) == 0 || strcmp(a, "--t-offset") == 0) {
            if (++i >= argc)
                return mwx_cli_usage_error("feed", "%s needs a value", a);
            if (strcmp(a, "--nation") == 0) {
                nation = argv[i];
            } else if (strcmp(a, "--bus") == 0) {
                url = argv[i];
            } else if (strcmp(a, "--creds") == 0) {
                creds = argv[i];
            } else if (strcmp(a, "--tls-ca") == 0) {
                tls_ca = argv[i];
            } else if (strcmp(a, "--tls-cert") == 0) {
                tls_cert = argv[i];
            } else if (strcmp(a, "--tls-key") == 0) {
                tls_key = argv[i];
            } else if (strcmp(a, "--tls-server-name") == 0) {
                tls_name = argv[i];
            } else if (strncmp(a, "--tls-", 6) == 0) {
                return mwx_cli_usage_error("feed", "unknown option %s", a);
            } else if (strcmp(a, "--t-offset") == 0) {
                double v = strtod(argv[i], &end);
                if (end == argv[i] || *end || !(v >= 0 && v <= 1e9))
                    return mwx_cli_usage_error("feed",
                                               "--t-offset: expected seconds in [0, 1e9], "
                                               "got \"%s\"",
                                               argv[i]);
                f.t_offset = v;
            } else {
                double v = strtod(argv[i], &end);
                int speed = strcmp(a, "--speed") == 0;
                if (end == argv[i] || *end || !(speed ? v >= 1e-3 && v <= 1000 : v > 0 && v < 1e11))
                    return mwx_cli_usage_error(
                        "feed", "%s: expected %s, got \"%s\"", a,
                        speed ? "a speed in [0.001, 1000]" : "a Unix time in seconds", argv[i]);
                if (speed)
                    f.speed = v;
                else
                    f.start_unix = v;
            }
        } else if (a[0] == '-' && a[1]) {
            return mwx_cli_usage_error("feed", "unknown option %s", a);
        } else if (!in) {
            in = a;
        } else {
            return mwx_cli_usage_error("feed", "one scenario only (got %s and %s)", in, a);
        }
    }
    if (!in || !nation || !url)
        return mwx_cli_usage_error("feed", "SCENARIO.json, --nation and --bus are required");
    if (strncmp(url, "nats://", 7) != 0 && strncmp(url, "tls://", 6) != 0)
        return mwx_cli_usage_error("feed", "--bus: expected nats://HOST:PORT, got \"%s\"", url);
    if ((tls_cert || tls_key || tls_name) && !tls_ca)
        return mwx_cli_usage_error("feed", "--tls-cert, --tls-key and --tls-server-name need "
                                           "--tls-ca");
    if (!tls_cert != !tls_key)
        return mwx_cli_usage_error("feed", "--tls-cert and --tls-key go together");
    if (mwx_subject_meas(nation, f.subject) != MWX_OK)
        return mwx_cli_usage_error("feed", "--nation: \"%s\" is not a nation id", nation);
    f.nation = nation;
    if (tls_ca && mwx_nats_tls_check(tls_ca, tls_cert, tls_key, &err) != MWX_OK)
        return mwx_cli_fail("feed", &err);
    if (!(sc = malloc(sizeof *sc))) {
        mwx_err_set(&err, MWX_ENOMEM, "out of memory");
        return mwx_cli_fail("feed", &err);
    }
    if ((rc = mwx_scenario_load(in, sc, &err)) != MWX_OK) {
        free(sc);
        return mwx_cli_fail("feed", &err);
    }
    if (creds && (rc = mwx_nats_creds_load(creds, user, sizeof user, pass, sizeof pass, &err)))
        goto out;
    memset(&o, 0, sizeof o);
    snprintf(name, sizeof name, "mwx-feed-%s", nation);
    o.url = url;
    o.user = user[0] ? user : NULL;
    o.password = pass[0] ? pass : NULL;
    o.name = name;
    o.send_asap = 1;
    o.max_reconnect = -1;
    o.reconnect_wait_s = 0.25;
    o.tls_ca = tls_ca;
    o.tls_cert = tls_cert;
    o.tls_key = tls_key;
    o.tls_server_name = tls_name;
    if ((rc = mwx_bus_nats_open(&o, &f.bus, &err)) != MWX_OK) {
        mwx_err_prefix(&err, "cannot reach the bus");
        goto out;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (f.start_unix == 0)
        f.start_unix = mwx_time_wall();
    fprintf(stderr, "mwx feed: %s's sensors of %s on %s, speed %g\n", nation, sc->name, f.subject,
            f.speed);
    rc = mwx_sim_run(sc, &so, sink, &f, &err);
    if (rc == MWX_EAGAIN && stop_flag)
        rc = MWX_OK;
    if (f.err.code)
        err = f.err, rc = f.err.code;
    (void)mwx_bus_flush(f.bus, 2.0, NULL);
    fprintf(stderr, "mwx feed: %llu measurements published, %llu lost (bus down)\n",
            (unsigned long long)f.sent, (unsigned long long)f.errors);
out:
    if (f.bus)
        mwx_bus_close(f.bus);
    mwx_scenario_free(sc);
    free(sc);
    return rc == MWX_OK ? 0 : mwx_cli_fail("feed", &err);
}
