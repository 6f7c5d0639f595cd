/* mwx keygen NATION -o DIR [--force]: an Ed25519 key pair for a nation's node. */
#include "cli.h"
#include "mwx/share.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void help(void)
{
    printf("usage: mwx keygen NATION -o DIR [--force]\n\n"
           "Writes an Ed25519 key pair (libsodium) for NATION's node:\n"
           "  DIR/NATION.key  secret key, mode 0600:\n"
           "                  \"mwx-ed25519-secret-v1 NATION <128 hex digits>\"\n"
           "  DIR/NATION.pub  public key, for the partners' `trust` lists:\n"
           "                  \"mwx-ed25519-public-v1 NATION <64 hex digits>\"\n"
           "Each file is written atomically. DIR is created (0700) when missing.\n\n"
           "options:\n"
           "  -o, --out DIR   output folder (required)\n"
           "  --force         overwrite existing key files (the old key is lost)\n");
}

int mwx_cmd_keygen(int argc, char **argv)
{
    const char *nation = NULL, *dir = NULL;
    int force = 0;
    mwx_err_t err;
    mwx_keypair_t kp;

    if (mwx_cli_wants_help(argc, argv)) {
        help();
        return 0;
    }
    mwx_err_clear(&err);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--out") == 0) {
            if (++i >= argc)
                return mwx_cli_usage_error("keygen", "%s needs a folder", argv[i - 1]);
            dir = argv[i];
        } else if (strcmp(argv[i], "--force") == 0) {
            force = 1;
        } else if (argv[i][0] == '-') {
            return mwx_cli_usage_error("keygen", "unknown option '%s'", argv[i]);
        } else if (!nation) {
            nation = argv[i];
        } else {
            return mwx_cli_usage_error("keygen", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!nation)
        return mwx_cli_usage_error("keygen", "missing NATION");
    if (!dir)
        return mwx_cli_usage_error("keygen", "missing -o DIR");
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        mwx_err_set(&err, MWX_EIO, "%s: %s", dir, strerror(errno));
        return mwx_cli_fail("keygen", &err);
    }
    if (mwx_key_generate(nation, &kp, &err) < 0 || mwx_key_write(&kp, dir, force, &err) < 0)
        return mwx_cli_fail("keygen", &err);
    printf("%s/%s.key\n%s/%s.pub\n", dir, nation, dir, nation);
    return 0;
}
