/* mwx nats-config: not built yet (placeholder until its issue lands). */
#include "cli.h"

#include <stdio.h>

int mwx_cmd_nats_config(int argc, char **argv)
{
    if (mwx_cli_wants_help(argc, argv)) {
        printf("usage: mwx nats-config ...\n(not implemented yet)\n");
        return 0;
    }
    fprintf(stderr, "mwx nats-config: not implemented yet\n");
    return 3;
}
