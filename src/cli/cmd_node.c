/* mwx node --config NODE.json: one nation's node as a long-running service (docs/NODE.md). */
#include "cli.h"
#include "mwx/node.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile int stop_flag;
static volatile int reopen_flag;

static void on_hup(int sig)
{
    (void)sig;
    reopen_flag = 1;
}

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: mwx node --config NODE.json\n"
        "       mwx node --dump-log OUTPUTS/node-NATION.outbox   (or .inbox: JSON Lines)\n"
        "\n"
        "Runs one nation's node as a service on a real bus: replays the nation's sensors\n"
        "of a scenario on the scenario clock, tracks, publishes signed tracks, receives and\n"
        "fuses partners' tracks, warns its own regions, records everything to\n"
        "OUTPUTS/node-NATION.mwxr (live). Stops cleanly on SIGTERM/SIGINT (exit 0).\n"
        "\n"
        "NODE.json keys (relative paths resolve against the config file's folder):\n"
        "  nation       this node's nation id (required)\n"
        "  bus          \"inproc\" or NATS URL(s): \"nats://127.0.0.1:4222[,nats://...]\"\n"
        "  key          the nation's secret key file (mwx keygen)\n"
        "  trust        {\"KR\": \"keys/KR.pub\", ...} partners' public keys\n"
        "  sensors      scenario file: the node replays its own nation's sensors\n"
        "  regions      GeoJSON regions (default: the scenario's)\n"
        "  outputs      directory: node-NATION.mwxr, .outbox, .inbox, alerts/\n"
        "  http         \"127.0.0.1:PORT\": operator page and /metrics (default: none)\n"
        "  creds        NATS credentials file from mwx nats-config (default: none)\n"
        "  tls          {\"ca\": ..., \"cert\": ..., \"key\": ...[, \"server_name\": ...]}:\n"
        "               mutual TLS to NATS (mwx nats-config --tls: tls/ca.crt,\n"
        "               tls/node-NATION.crt, .key; default: none)\n"
        "  speed        scenario seconds per wall second (default 1)\n"
        "  start_unix   wall time (Unix s) of scenario t = 0, shared by several nodes\n"
        "               (default: the node's first start, kept in its outbox)\n"
        "  exit_at_end  exit 0 when the scenario ends (default false: serve until signalled)\n"
        "  stale_s      receiver staleness limit, s (default 600)\n"
        "  tak          \"udp://HOST:PORT\" or \"tcp://HOST:PORT\": fused tracks as CoT events\n"
        "               to a TAK endpoint (default: none; the .cot.xml files are always written)\n"
        "  feed         \"scenario\" (default: replay the sensors of `sensors`) or \"bus\":\n"
        "               live measurements from mwx-meas.NATION (e.g. from mwx feed)\n"
        "  log_file     append the log here (default: stderr); SIGHUP reopens it (logrotate)\n"
        "  log_format   \"text\" (default) or \"json\": one {ts, level, node, msg} object a line\n"
        "\n"
        "Exit status: 0 stopped by a signal (or exit_at_end), 1 the config is wrong,\n"
        "2 usage, 3 the bus cannot be reached at start or the disk failed.\n");
}

int mwx_cmd_node(int argc, char **argv)
{
    const char *config = NULL;
    mwx_node_service_cfg_t cfg;
    mwx_err_t err = {0};
    struct sigaction sa;
    int rc;

    if (mwx_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) {
            if (++i >= argc)
                return mwx_cli_usage_error("node", "--config needs a file");
            config = argv[i];
        } else if (strcmp(argv[i], "--dump-log") == 0) {
            if (++i >= argc)
                return mwx_cli_usage_error("node", "--dump-log needs a file");
            if ((rc = mwx_node_log_dump(argv[i], stdout, &err)) != MWX_OK)
                return mwx_cli_fail("node", &err);
            return 0;
        } else {
            return mwx_cli_usage_error("node", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!config)
        return mwx_cli_usage_error("node", "--config NODE.json is required");
    if ((rc = mwx_node_config_load(config, &cfg, &err)) != MWX_OK)
        return mwx_cli_fail("node", &err);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    cfg.reopen = &reopen_flag;
    signal(SIGPIPE, SIG_IGN);
    /* past a file size limit (RLIMIT_FSIZE) a write fails with EFBIG like a full disk's
     * ENOSPC, and the node stops with exit 3, its files whole; the default action of
     * SIGXFSZ would kill it mid-write with a core instead */
    signal(SIGXFSZ, SIG_IGN);

    if ((rc = mwx_node_service_run(&cfg, &stop_flag, stderr, &err)) != MWX_OK)
        return mwx_cli_fail("node", &err);
    return 0;
}
