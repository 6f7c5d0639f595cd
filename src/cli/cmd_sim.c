/* mwx sim: not built yet (placeholder until its issue lands). */
#include "cli.h"

#include <stdio.h>

int mwx_cmd_sim(int argc, char **argv)
{
    if (mwx_cli_wants_help(argc, argv)) {
        printf("usage: mwx sim ...\n(not implemented yet)\n");
        return 0;
    }
    fprintf(stderr, "mwx sim: not implemented yet\n");
    return 3;
}
