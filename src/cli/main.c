/* mwx: dispatch to one command per file. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct command {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} commands[] = {
    {"sim", mwx_cmd_sim, "truth trajectories + sensor measurements into a recording"},
    {"cat", mwx_cmd_cat, "any recording as JSON Lines on stdout"},
    {"track", mwx_cmd_track, "tracks from the measurements"},
    {"score", mwx_cmd_score, "accuracy and timeliness against truth"},
    {"run", mwx_cmd_run, "the whole chain in one process"},
    {"node", mwx_cmd_node, "one nation's node as a long-running service"},
    {"feed", mwx_cmd_feed, "one nation's simulated sensors as a live feed on the bus"},
    {"keygen", mwx_cmd_keygen, "a nation's Ed25519 key pair, or its CAP alerting key (--cap)"},
    {"nats-config", mwx_cmd_nats_config, "nats-server configuration for a sharing policy"},
    {"serve", mwx_cmd_serve, "the operator web page replaying a recording"},
    {"report", mwx_cmd_report, "the after-action report of a run as one offline HTML page"},
    {"verify-cap", mwx_cmd_verify_cap, "check the signatures of CAP files against a CA"},
    {"demo", mwx_cmd_demo, "the default scenario, live, with the operator page"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: mwx COMMAND [ARGS...]\n\n"
               "mwx is an open missile-warning data exchange: it simulates launches and\n"
               "sensors, tracks, shares signed tracks between allied nations and warns the\n"
               "public. It is defensive only: detect, track, predict, share, warn.\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'mwx COMMAND --help' for a command's usage; 'mwx --version'.\n"
               "exit status: 0 ok, 1 input wrong, 2 usage, 3 environment failure\n");
}

int mwx_cli_fail(const char *cmd, const mwx_err_t *err)
{
    fprintf(stderr, "mwx %s: %s\n", cmd, err->msg[0] ? err->msg : mwx_strerror(err->code));
    return mwx_exit_status(err->code);
}

int mwx_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "mwx %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'mwx %s --help'.\n", cmd);
    return 2;
}

int mwx_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mwx %s\n", MWX_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "mwx: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
