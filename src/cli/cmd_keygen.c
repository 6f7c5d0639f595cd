/* mwx keygen: not built yet (placeholder until its issue lands). */
#include "cli.h"

#include <stdio.h>

int mwx_cmd_keygen(int argc, char **argv)
{
    if (mwx_cli_wants_help(argc, argv)) {
        printf("usage: mwx keygen ...\n(not implemented yet)\n");
        return 0;
    }
    fprintf(stderr, "mwx keygen: not implemented yet\n");
    return 3;
}
