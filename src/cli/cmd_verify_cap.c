/* mwx verify-cap FILE... --ca CA.pem: check the XML-DSig signature of CAP files. */
#include "cli.h"
#include "mwx/warn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE (4u << 20)

static void help(void)
{
    printf("usage: mwx verify-cap FILE... --ca CA.pem [--quiet]\n\n"
           "Checks each CAP file's enveloped XML-DSig signature (docs/WARNING_POLICY.md,\n"
           "\"Signed CAP\"): the <Signature> is the last element of <alert>, its one reference\n"
           "covers the whole alert, it verifies with the X.509 certificate it carries, and\n"
           "that certificate was issued by CA.pem and is valid now. One line per file:\n"
           "  FILE: ok, signed by SUBJECT           (stdout)\n"
           "  mwx verify-cap: FILE: REASON          (stderr)\n\n"
           "options:\n"
           "  --ca FILE   the issuing nation's CA certificate (PEM; required)\n"
           "  --quiet     no line for the files that verify\n\n"
           "exit status: 0 every file verifies, 1 a file does not (or cannot be read) or\n"
           "CA.pem is not a certificate, 2 usage, 3 environment\n");
}

/* The whole file, at most MAX_FILE bytes (a larger one is refused by the verifier). */
static int read_all(const char *path, char **out, size_t *len, mwx_err_t *err)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;
    if (!f)
        return mwx_err_set(err, MWX_EIO, "%s", strerror(errno));
    if (!(buf = malloc(MAX_FILE + 1))) {
        fclose(f);
        return mwx_err_set(err, MWX_ENOMEM, "out of memory");
    }
    n = fread(buf, 1, MAX_FILE + 1, f);
    if (ferror(f)) {
        fclose(f);
        free(buf);
        return mwx_err_set(err, MWX_EIO, "read error");
    }
    fclose(f);
    *out = buf;
    *len = n;
    return MWX_OK;
}

int mwx_cmd_verify_cap(int argc, char **argv)
{
    const char *ca = NULL;
    int quiet = 0, n_files = 0, bad = 0;
    mwx_cap_verifier_t *v = NULL;
    mwx_err_t err;

    if (mwx_cli_wants_help(argc, argv)) {
        help();
        return 0;
    }
    mwx_err_clear(&err);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ca") == 0) {
            if (++i >= argc)
                return mwx_cli_usage_error("verify-cap", "--ca needs a CA certificate");
            ca = argv[i];
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            quiet = 1;
        } else if (strcmp(argv[i], "--") == 0) {
            n_files += argc - i - 1;
            break;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return mwx_cli_usage_error("verify-cap", "unknown option '%s'", argv[i]);
        } else {
            n_files++;
        }
    }
    if (!ca)
        return mwx_cli_usage_error("verify-cap", "missing --ca CA.pem");
    if (n_files == 0)
        return mwx_cli_usage_error("verify-cap", "missing FILE");
    if (mwx_cap_verifier_create(ca, &v, &err) < 0)
        return mwx_cli_fail("verify-cap", &err);
    for (int i = 1, files_only = 0; i < argc; i++) {
        const char *path = argv[i];
        char signer[256], *data = NULL;
        size_t len = 0;
        if (!files_only) {
            if (strcmp(path, "--ca") == 0) {
                i++;
                continue;
            }
            if (strcmp(path, "--") == 0) {
                files_only = 1;
                continue;
            }
            if (path[0] == '-' && path[1])
                continue;
        }
        mwx_err_clear(&err);
        if (read_all(path, &data, &len, &err) == MWX_OK &&
            mwx_cap_verify(v, data, len, signer, sizeof signer, &err) == MWX_OK) {
            if (!quiet)
                printf("%s: ok, signed by %s\n", path, signer);
        } else {
            fprintf(stderr, "mwx verify-cap: %s: %s\n", path, err.msg);
            bad++;
        }
        free(data);
    }
    mwx_cap_verifier_free(v);
    return bad ? 1 : 0;
}
