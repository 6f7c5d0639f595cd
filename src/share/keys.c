/* Ed25519 key files (libsodium). Format (one line each, documented in docs/SHARING.md):
 *   NATION.key  "mwx-ed25519-secret-v1 NATION <128 hex: seed || public key>\n"  mode 0600
 *   NATION.pub  "mwx-ed25519-public-v1 NATION <64 hex>\n"
 * Written atomically: a temporary file in the same folder, fsync, rename. */
#include "share_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_TAG "mwx-ed25519-secret-v1"
#define PUBLIC_TAG "mwx-ed25519-public-v1"

int mwx_key_generate(const char *nation, mwx_keypair_t *kp, mwx_err_t *err)
{
    if (!nation || !mwxi_share_id_ok(nation, strlen(nation)))
        return mwx_err_set(err, MWX_EINVAL,
                           "nation '%s': expected 1-%d characters of A-Z a-z 0-9 - _",
                           nation ? nation : "", MWX_ID_LEN - 1);
    if (sodium_init() < 0)
        return mwx_err_set(err, MWX_ECRYPTO, "libsodium failed to initialise");
    memset(kp, 0, sizeof *kp);
    mwx_strlcpy(kp->nation, nation, sizeof kp->nation);
    crypto_sign_ed25519_keypair(kp->pk, kp->sk);
    return MWX_OK;
}

int mwx_key_write(const mwx_keypair_t *kp, const char *dir, int force, mwx_err_t *err)
{
    char kpath[MWX_PATH_LEN], ppath[MWX_PATH_LEN];
    char line[256], hex[2 * MWX_SECKEY_BYTES + 1];
    struct stat st;
    int rc;

    if (snprintf(kpath, sizeof kpath, "%s/%s.key", dir, kp->nation) >= (int)sizeof kpath ||
        snprintf(ppath, sizeof ppath, "%s/%s.pub", dir, kp->nation) >= (int)sizeof ppath)
        return mwx_err_set(err, MWX_EINVAL, "%s: path too long", dir);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return mwx_err_set(err, MWX_EIO, "%s: not a directory", dir);
    if (!force) {
        if (stat(kpath, &st) == 0)
            return mwx_err_set(err, MWX_EINVAL, "%s exists (use --force to overwrite)", kpath);
        if (stat(ppath, &st) == 0)
            return mwx_err_set(err, MWX_EINVAL, "%s exists (use --force to overwrite)", ppath);
    }
    sodium_bin2hex(hex, sizeof hex, kp->sk, MWX_SECKEY_BYTES);
    snprintf(line, sizeof line, "%s %s %s\n", SECRET_TAG, kp->nation, hex);
    sodium_memzero(hex, sizeof hex);
    rc = mwx_file_write_atomic(kpath, line, strlen(line), 0600, err);
    sodium_memzero(line, sizeof line);
    if (rc < 0)
        return rc;
    sodium_bin2hex(hex, sizeof hex, kp->pk, MWX_PUBKEY_BYTES);
    snprintf(line, sizeof line, "%s %s %s\n", PUBLIC_TAG, kp->nation, hex);
    return mwx_file_write_atomic(ppath, line, strlen(line), 0644, err);
}

/* Read "TAG NATION HEX\n" from path; hex must decode to exactly n bytes. */
static int read_key_file(const char *path, const char *tag, const char *expect_nation, char *nation,
                         uint8_t *out, size_t n, mwx_err_t *err)
{
    char text[512], t[64], nat[64], hex[300];
    FILE *f = fopen(path, "r");
    if (!f)
        return mwx_err_set(err, errno == ENOENT ? MWX_ENOTFOUND : MWX_EIO, "%s: %s", path,
                           strerror(errno));
    size_t got = fread(text, 1, sizeof text - 1, f);
    int eof = feof(f);
    fclose(f);
    text[got] = 0;
    if (!eof)
        return mwx_err_set(err, MWX_EINVAL, "%s: too long for a key file", path);
    if (sscanf(text, "%63s %63s %299s", t, nat, hex) != 3 || strcmp(t, tag) != 0)
        return mwx_err_set(err, MWX_EINVAL, "%s: expected \"%s NATION HEX\"", path, tag);
    if (!mwxi_share_id_ok(nat, strlen(nat)))
        return mwx_err_set(err, MWX_EINVAL, "%s: bad nation id '%s'", path, nat);
    if (expect_nation && strcmp(expect_nation, nat) != 0)
        return mwx_err_set(err, MWX_EINVAL, "%s: key of nation %s, expected %s", path, nat,
                           expect_nation);
    size_t bin_len = 0;
    if (strlen(hex) != 2 * n ||
        sodium_hex2bin(out, n, hex, strlen(hex), NULL, &bin_len, NULL) != 0 || bin_len != n) {
        sodium_memzero(text, sizeof text);
        sodium_memzero(hex, sizeof hex);
        return mwx_err_set(err, MWX_EINVAL, "%s: expected %zu hex digits", path, 2 * n);
    }
    sodium_memzero(text, sizeof text);
    sodium_memzero(hex, sizeof hex);
    if (nation)
        mwx_strlcpy(nation, nat, MWX_ID_LEN);
    return MWX_OK;
}

int mwx_key_load_secret(const char *path, const char *expect_nation, mwx_keypair_t *kp,
                        mwx_err_t *err)
{
    struct stat st;
    uint8_t pk[MWX_PUBKEY_BYTES];
    if (sodium_init() < 0)
        return mwx_err_set(err, MWX_ECRYPTO, "libsodium failed to initialise");
    memset(kp, 0, sizeof *kp);
    /* Like ssh: a secret others can read is refused, not used. */
    if (stat(path, &st) == 0 && (st.st_mode & 077))
        return mwx_err_set(err, MWX_EINVAL,
                           "%s: permissions %03o are too open for a secret key (chmod 600)", path,
                           (unsigned)(st.st_mode & 0777));
    int rc =
        read_key_file(path, SECRET_TAG, expect_nation, kp->nation, kp->sk, MWX_SECKEY_BYTES, err);
    if (rc < 0)
        return rc;
    crypto_sign_ed25519_sk_to_pk(pk, kp->sk);
    memcpy(kp->pk, pk, sizeof pk);
    /* The stored public half must match the seed: catches a damaged file. */
    uint8_t seed[32], pk2[32], sk2[64];
    crypto_sign_ed25519_sk_to_seed(seed, kp->sk);
    crypto_sign_ed25519_seed_keypair(pk2, sk2, seed);
    int ok = memcmp(pk2, pk, 32) == 0;
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk2, sizeof sk2);
    if (!ok) {
        sodium_memzero(kp, sizeof *kp);
        return mwx_err_set(err, MWX_ECRYPTO, "%s: public half does not match the secret seed",
                           path);
    }
    return MWX_OK;
}

int mwx_key_load_public(const char *path, const char *expect_nation, uint8_t pk[MWX_PUBKEY_BYTES],
                        char *nation, mwx_err_t *err)
{
    return read_key_file(path, PUBLIC_TAG, expect_nation, nation, pk, MWX_PUBKEY_BYTES, err);
}
