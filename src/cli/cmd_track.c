/* mwx track: not built yet (placeholder until its issue lands). */
#include "cli.h"

#include <stdio.h>

int mwx_cmd_track(int argc, char **argv)
{
    if (mwx_cli_wants_help(argc, argv)) {
        printf("usage: mwx track ...\n(not implemented yet)\n");
        return 0;
    }
    fprintf(stderr, "mwx track: not implemented yet\n");
    return 3;
}
