/* The mwx command-line tool: one binary, a file per command (cmd_<name>.c). Each command
 * takes its own argc/argv (argv[0] is the command name) and returns the process exit
 * status of PRODUCT.md: 0 ok, 1 input wrong, 2 usage, 3 environment. */
#ifndef MWX_CLI_H
#define MWX_CLI_H

#include "mwx/core.h"

int mwx_cmd_sim(int argc, char **argv);
int mwx_cmd_cat(int argc, char **argv);
int mwx_cmd_track(int argc, char **argv);
int mwx_cmd_score(int argc, char **argv);
int mwx_cmd_run(int argc, char **argv);
int mwx_cmd_node(int argc, char **argv);
int mwx_cmd_feed(int argc, char **argv);
int mwx_cmd_keygen(int argc, char **argv);
int mwx_cmd_nats_config(int argc, char **argv);
int mwx_cmd_serve(int argc, char **argv);
int mwx_cmd_demo(int argc, char **argv);
int mwx_cmd_report(int argc, char **argv);
int mwx_cmd_verify_cap(int argc, char **argv);

/* Print "mwx CMD: message" to stderr and return the exit status for err->code. */
int mwx_cli_fail(const char *cmd, const mwx_err_t *err);
/* Print "mwx CMD: message\nTry 'mwx CMD --help'." and return 2. */
int mwx_cli_usage_error(const char *cmd, const char *fmt, ...) MWX_PRINTF(2, 3);
/* True when argv has -h or --help anywhere. */
int mwx_cli_wants_help(int argc, char **argv);

#endif
