/* mwx keygen NATION -o DIR [--force]: an Ed25519 key pair for a nation's node.
 * mwx keygen NATION --cap -o DIR: the nation's CAP alerting key and certificate, issued by
 * the nation's CA (made when missing; src/share/pki.c). */
#include "cli.h"
#include "mwx/share.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void help(void)
{
    printf("usage: mwx keygen NATION -o DIR [--force]\n"
           "       mwx keygen NATION --cap -o DIR [--ca-key FILE --ca-cert FILE] [--days N]\n"
           "                  [--force]\n\n"
           "Writes an Ed25519 key pair (libsodium) for NATION's node:\n"
           "  DIR/NATION.key  secret key, mode 0600:\n"
           "                  \"mwx-ed25519-secret-v1 NATION <128 hex digits>\"\n"
           "  DIR/NATION.pub  public key, for the partners' `trust` lists:\n"
           "                  \"mwx-ed25519-public-v1 NATION <64 hex digits>\"\n"
           "Each file is written atomically. DIR is created (0700) when missing.\n\n"
           "options:\n"
           "With --cap, the nation's CAP alerting key (ECDSA P-256) and its X.509 certificate,\n"
           "issued by the nation's CA, for signing public warnings (XML-DSig):\n"
           "  DIR/NATION-cap.key  private key (PEM, PKCS#8), mode 0600\n"
           "  DIR/NATION-cap.pem  certificate (node config cap_key / cap_cert; mwx run\n"
           "                      --cap-keys DIR)\n"
           "  DIR/NATION-ca.key   the CA's private key, mode 0600, made with DIR/NATION-ca.pem\n"
           "                      when both are missing (kept, never overwritten: keep it\n"
           "                      offline)\n"
           "  DIR/NATION-ca.pem   the CA certificate receivers trust (mwx verify-cap --ca)\n\n"
           "options:\n"
           "  -o, --out DIR   output folder (required)\n"
           "  --cap           the CAP alerting key instead of the Ed25519 pair\n"
           "  --ca-key FILE, --ca-cert FILE\n"
           "                  issue from this existing CA instead of DIR/NATION-ca.*\n"
           "  --days N        validity of the alerting certificate (default 825)\n"
           "  --force         overwrite existing key files (the old key is lost)\n");
}

static int path_in(char *dst, size_t n, const char *dir, const char *nation, const char *suffix,
                   mwx_err_t *err)
{
    if ((size_t)snprintf(dst, n, "%s/%s%s", dir, nation, suffix) >= n)
        return mwx_err_set(err, MWX_EINVAL, "%s: path too long", dir);
    return MWX_OK;
}

static int nation_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n >= MWX_ID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return 0;
    return 1;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int keygen_cap(const char *nation, const char *dir, const char *ca_key, const char *ca_cert,
                      int days, int force)
{
    char cak[MWX_PATH_LEN], cac[MWX_PATH_LEN], key[MWX_PATH_LEN], cert[MWX_PATH_LEN];
    char cn[96], org[64], subject[256];
    mwx_pki_subject_t sub;
    mwx_err_t err;
    int made_ca = 0;

    mwx_err_clear(&err);
    if (!nation_ok(nation))
        return mwx_cli_usage_error("keygen",
                                   "NATION '%s': expected 1-%d characters of A-Z a-z "
                                   "0-9 - _",
                                   nation, MWX_ID_LEN - 1);
    if (path_in(key, sizeof key, dir, nation, "-cap.key", &err) ||
        path_in(cert, sizeof cert, dir, nation, "-cap.pem", &err))
        return mwx_cli_fail("keygen", &err);
    if (!ca_key) {
        if (path_in(cak, sizeof cak, dir, nation, "-ca.key", &err) ||
            path_in(cac, sizeof cac, dir, nation, "-ca.pem", &err))
            return mwx_cli_fail("keygen", &err);
        ca_key = cak;
        ca_cert = cac;
        if (!exists(cak) && !exists(cac)) {
            memset(&sub, 0, sizeof sub);
            snprintf(cn, sizeof cn, "%s alerting CA", nation);
            snprintf(org, sizeof org, "mwx %s", nation);
            sub.common_name = cn;
            sub.org = org;
            if (mwx_pki_make_ca(&sub, cak, cac, 0, &err) < 0)
                return mwx_cli_fail("keygen", &err);
            made_ca = 1;
        } else if (!exists(cak) || !exists(cac)) {
            mwx_err_set(&err, MWX_EINVAL, "%s without %s: give the CA with --ca-key/--ca-cert",
                        exists(cak) ? cak : cac, exists(cak) ? cac : cak);
            return mwx_cli_fail("keygen", &err);
        }
    }
    memset(&sub, 0, sizeof sub);
    snprintf(cn, sizeof cn, "%s public alerting", nation);
    snprintf(org, sizeof org, "mwx %s", nation);
    sub.common_name = cn;
    sub.org = org;
    sub.usage = MWX_PKI_SIGNING;
    sub.days = days;
    if (mwx_pki_issue(ca_key, ca_cert, &sub, key, cert, force, &err) < 0 ||
        mwx_pki_verify(ca_cert, cert, key, subject, sizeof subject, &err) < 0)
        return mwx_cli_fail("keygen", &err);
    if (made_ca)
        printf("%s\n%s\n", cak, cac);
    printf("%s\n%s\n", key, cert);
    return 0;
}

int mwx_cmd_keygen(int argc, char **argv)
{
    const char *nation = NULL, *dir = NULL, *ca_key = NULL, *ca_cert = NULL;
    int force = 0, cap = 0, days = 0;
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
        } else if (strcmp(argv[i], "--cap") == 0) {
            cap = 1;
        } else if (strcmp(argv[i], "--ca-key") == 0 || strcmp(argv[i], "--ca-cert") == 0) {
            if (++i >= argc)
                return mwx_cli_usage_error("keygen", "%s needs a file", argv[i - 1]);
            *(argv[i - 1][5] == 'k' ? &ca_key : &ca_cert) = argv[i];
        } else if (strcmp(argv[i], "--days") == 0) {
            char *end;
            long d;
            if (++i >= argc)
                return mwx_cli_usage_error("keygen", "--days needs a number");
            d = strtol(argv[i], &end, 10);
            if (*end || d < 1 || d > 36500)
                return mwx_cli_usage_error("keygen", "--days: expected 1..36500, got '%s'",
                                           argv[i]);
            days = (int)d;
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
    if (!cap && (ca_key || ca_cert || days))
        return mwx_cli_usage_error("keygen", "--ca-key, --ca-cert and --days go with --cap");
    if (!ca_key != !ca_cert)
        return mwx_cli_usage_error("keygen", "--ca-key and --ca-cert go together");
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        mwx_err_set(&err, MWX_EIO, "%s: %s", dir, strerror(errno));
        return mwx_cli_fail("keygen", &err);
    }
    if (cap)
        return keygen_cap(nation, dir, ca_key, ca_cert, days, force);
    if (mwx_key_generate(nation, &kp, &err) < 0 || mwx_key_write(&kp, dir, force, &err) < 0)
        return mwx_cli_fail("keygen", &err);
    printf("%s/%s.key\n%s/%s.pub\n", dir, nation, dir, nation);
    return 0;
}
