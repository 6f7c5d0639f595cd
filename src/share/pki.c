/* A small X.509 PKI on OpenSSL's libcrypto: a nation's CA (self-signed) and certificates
 * it issues (the CAP alerting key today; TLS server and client certificates for NATS,
 * issue #14, with the same two calls). Keys are ECDSA P-256; certificates X.509 v3 with
 * SHA-256 signatures, extensions made by OpenSSL's own X509V3 configuration parser (no
 * hand-written ASN.1). Files are PEM: keys PKCS#8 unencrypted, mode 0600, certificates
 * 0644, each written atomically (temp + fsync + rename). */
#include "share_int.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* The last OpenSSL error as text ("" when none), and the queue cleared. */
static const char *ossl_reason(char *buf, size_t n)
{
    unsigned long e = ERR_get_error();
    buf[0] = 0;
    if (e)
        ERR_error_string_n(e, buf, n);
    ERR_clear_error();
    return buf;
}

static int ossl_fail(mwx_err_t *err, int code, const char *what)
{
    char r[200];
    ossl_reason(r, sizeof r);
    return mwx_err_set(err, code, "%s%s%s", what, r[0] ? ": " : "", r);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* PEM text of a key (PKCS#8) or certificate into path with mode. */
static int write_pem(const char *path, EVP_PKEY *key, X509 *cert, unsigned mode, mwx_err_t *err)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data;
    long len;
    int rc;
    if (!b)
        return mwx_err_set(err, MWX_ENOMEM, "pki: out of memory");
    if (key ? !PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)
            : !PEM_write_bio_X509(b, cert)) {
        BIO_free(b);
        return ossl_fail(err, MWX_ECRYPTO, "pki: PEM encoding failed");
    }
    len = BIO_get_mem_data(b, &data);
    rc = mwx_file_write_atomic(path, data, (size_t)len, mode, err);
    /* the key's PEM text is not left in freed memory */
    OPENSSL_cleanse(data, (size_t)len);
    BIO_free(b);
    return rc;
}

static int load_key(const char *path, EVP_PKEY **out, mwx_err_t *err)
{
    struct stat st;
    FILE *f;
    if (stat(path, &st) != 0)
        return mwx_err_set(err, errno == ENOENT ? MWX_ENOTFOUND : MWX_EIO, "%s: %s", path,
                           strerror(errno));
    /* like ssh and mwx's Ed25519 keys: a secret others can read is refused */
    if (st.st_mode & 077)
        return mwx_err_set(err, MWX_EINVAL,
                           "%s: permissions %03o are too open for a private key (chmod 600)", path,
                           (unsigned)(st.st_mode & 0777));
    if (!(f = fopen(path, "r")))
        return mwx_err_set(err, MWX_EIO, "%s: %s", path, strerror(errno));
    *out = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!*out)
        return ossl_fail(err, MWX_EINVAL, path);
    return MWX_OK;
}

static int load_cert(const char *path, X509 **out, mwx_err_t *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return mwx_err_set(err, errno == ENOENT ? MWX_ENOTFOUND : MWX_EIO, "%s: %s", path,
                           strerror(errno));
    *out = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!*out)
        return ossl_fail(err, MWX_EINVAL, path);
    return MWX_OK;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value, mwx_err_t *err)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ex;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ex || !X509_add_ext(cert, ex, -1)) {
        X509_EXTENSION_free(ex);
        return ossl_fail(err, MWX_ECRYPTO, "pki: certificate extension");
    }
    X509_EXTENSION_free(ex);
    return MWX_OK;
}

static int name_add(X509_NAME *n, const char *field, const char *v)
{
    if (!v || !v[0])
        return 1;
    return X509_NAME_add_entry_by_txt(n, field, MBSTRING_UTF8, (const unsigned char *)v, -1, -1, 0);
}

/* subjectAltName "DNS:a,IP:1.2.3.4" from the subject's lists (bounded). */
static int san_text(const mwx_pki_subject_t *s, char *buf, size_t n)
{
    size_t off = 0;
    buf[0] = 0;
    for (size_t i = 0; i < s->n_dns + s->n_ips; i++) {
        const char *v = i < s->n_dns ? s->dns[i] : s->ips[i - s->n_dns];
        if (!v || !v[0] || strchr(v, ','))
            return -1;
        int k =
            snprintf(buf + off, n - off, "%s%s:%s", off ? "," : "", i < s->n_dns ? "DNS" : "IP", v);
        if (k < 0 || (size_t)k >= n - off)
            return -1;
        off += (size_t)k;
    }
    return 0;
}

/* A certificate for key, signed by issuer_key (issuer NULL: self-signed). */
static int make_cert(const mwx_pki_subject_t *s, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                     X509 **out, mwx_err_t *err)
{
    X509 *c = X509_new();
    X509_NAME *name = X509_NAME_new();
    ASN1_INTEGER *serial = NULL;
    BIGNUM *bn = BN_new();
    unsigned char rnd[16];
    char san[1024];
    int rc = MWX_OK;
    int days = s->days > 0 ? s->days : (s->usage & MWX_PKI_CA) ? 3650 : 825;

    if (!c || !name || !bn) {
        rc = mwx_err_set(err, MWX_ENOMEM, "pki: out of memory");
        goto out;
    }
    /* a random positive 127-bit serial (RFC 5280: unique per issuer, at most 20 bytes) */
    if (RAND_bytes(rnd, sizeof rnd) != 1) {
        rc = ossl_fail(err, MWX_ECRYPTO, "pki: no random bytes");
        goto out;
    }
    rnd[0] &= 0x7f;
    if (!BN_bin2bn(rnd, sizeof rnd, bn) || !(serial = BN_to_ASN1_INTEGER(bn, NULL)) ||
        !X509_set_version(c, X509_VERSION_3) || !X509_set_serialNumber(c, serial) ||
        !name_add(name, "O", s->org) || !name_add(name, "OU", s->org_unit) ||
        !name_add(name, "CN", s->common_name) || !X509_set_subject_name(c, name) ||
        !X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name) ||
        /* an hour back: a receiver whose clock is a little behind still accepts it */
        !X509_gmtime_adj(X509_getm_notBefore(c), -3600) ||
        !X509_time_adj_ex(X509_getm_notAfter(c), days, 0, NULL) || !X509_set_pubkey(c, key)) {
        rc = ossl_fail(err, MWX_ECRYPTO, "pki: certificate fields");
        goto out;
    }
    if (s->usage & MWX_PKI_CA) {
        if ((rc = add_ext(c, issuer ? issuer : c, NID_basic_constraints,
                          "critical,CA:TRUE,pathlen:0", err)) ||
            (rc = add_ext(c, issuer ? issuer : c, NID_key_usage, "critical,keyCertSign,cRLSign",
                          err)))
            goto out;
    } else {
        char ku[64] = "critical,digitalSignature", eku[64] = "";
        if ((rc = add_ext(c, issuer ? issuer : c, NID_basic_constraints, "critical,CA:FALSE", err)))
            goto out;
        if (s->usage & MWX_PKI_TLS_SERVER)
            snprintf(eku, sizeof eku, "serverAuth");
        if (s->usage & MWX_PKI_TLS_CLIENT)
            snprintf(eku + strlen(eku), sizeof eku - strlen(eku), "%sclientAuth",
                     eku[0] ? "," : "");
        if (s->usage & (MWX_PKI_TLS_SERVER | MWX_PKI_TLS_CLIENT))
            snprintf(ku, sizeof ku, "critical,digitalSignature,keyAgreement");
        if ((rc = add_ext(c, issuer ? issuer : c, NID_key_usage, ku, err)) ||
            (eku[0] && (rc = add_ext(c, issuer ? issuer : c, NID_ext_key_usage, eku, err))))
            goto out;
    }
    if ((rc = add_ext(c, issuer ? issuer : c, NID_subject_key_identifier, "hash", err)) ||
        (rc = add_ext(c, issuer ? issuer : c, NID_authority_key_identifier, "keyid:always", err)))
        goto out;
    if (san_text(s, san, sizeof san) != 0) {
        rc = mwx_err_set(err, MWX_EINVAL, "pki: bad or too many subjectAltName entries");
        goto out;
    }
    if (san[0] && (rc = add_ext(c, issuer ? issuer : c, NID_subject_alt_name, san, err)))
        goto out;
    if (!X509_sign(c, issuer_key, EVP_sha256())) {
        rc = ossl_fail(err, MWX_ECRYPTO, "pki: signing the certificate");
        goto out;
    }
    *out = c;
    c = NULL;
out:
    X509_free(c);
    X509_NAME_free(name);
    ASN1_INTEGER_free(serial);
    BN_free(bn);
    OPENSSL_cleanse(rnd, sizeof rnd);
    return rc;
}

static int check_subject(const mwx_pki_subject_t *s, mwx_err_t *err)
{
    if (!s || !s->common_name || !s->common_name[0])
        return mwx_err_set(err, MWX_EINVAL, "pki: a certificate needs a common name");
    return MWX_OK;
}

static int refuse_existing(const char *key_path, const char *cert_path, int force, mwx_err_t *err)
{
    if (force)
        return MWX_OK;
    if (exists(key_path))
        return mwx_err_set(err, MWX_EINVAL, "%s exists (use --force to overwrite)", key_path);
    if (exists(cert_path))
        return mwx_err_set(err, MWX_EINVAL, "%s exists (use --force to overwrite)", cert_path);
    return MWX_OK;
}

static int write_pair(EVP_PKEY *key, X509 *cert, const char *key_path, const char *cert_path,
                      mwx_err_t *err)
{
    int rc = write_pem(key_path, key, NULL, 0600, err);
    if (rc == MWX_OK)
        rc = write_pem(cert_path, NULL, cert, 0644, err);
    return rc;
}

int mwx_pki_make_ca(const mwx_pki_subject_t *s, const char *key_path, const char *cert_path,
                    int force, mwx_err_t *err)
{
    mwx_pki_subject_t ca;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    int rc;
    if ((rc = check_subject(s, err)) || (rc = refuse_existing(key_path, cert_path, force, err)))
        return rc;
    ca = *s;
    ca.usage = MWX_PKI_CA;
    if (!(key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")))
        return ossl_fail(err, MWX_ECRYPTO, "pki: key generation");
    rc = make_cert(&ca, key, NULL, key, &cert, err);
    if (rc == MWX_OK)
        rc = write_pair(key, cert, key_path, cert_path, err);
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

int mwx_pki_issue(const char *ca_key_path, const char *ca_cert_path, const mwx_pki_subject_t *s,
                  const char *key_path, const char *cert_path, int force, mwx_err_t *err)
{
    EVP_PKEY *ca_key = NULL, *key = NULL;
    X509 *ca = NULL, *cert = NULL;
    int rc;
    if ((rc = check_subject(s, err)) || (rc = refuse_existing(key_path, cert_path, force, err)))
        return rc;
    if ((rc = load_key(ca_key_path, &ca_key, err)) || (rc = load_cert(ca_cert_path, &ca, err)))
        goto out;
    if (X509_check_private_key(ca, ca_key) != 1) {
        rc = mwx_err_set(err, MWX_EINVAL, "%s is not the key of %s", ca_key_path, ca_cert_path);
        ERR_clear_error();
        goto out;
    }
    if (X509_check_ca(ca) < 1) {
        rc = mwx_err_set(err, MWX_EINVAL, "%s is not a CA certificate", ca_cert_path);
        goto out;
    }
    if (!(key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"))) {
        rc = ossl_fail(err, MWX_ECRYPTO, "pki: key generation");
        goto out;
    }
    if ((rc = make_cert(s, key, ca, ca_key, &cert, err)) == MWX_OK)
        rc = write_pair(key, cert, key_path, cert_path, err);
out:
    X509_free(cert);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    return rc;
}

int mwx_pki_verify(const char *ca_cert_path, const char *cert_path, const char *key_path,
                   char *subject, size_t subject_n, mwx_err_t *err)
{
    X509 *ca = NULL, *cert = NULL;
    EVP_PKEY *key = NULL;
    X509_STORE *store = NULL;
    X509_STORE_CTX *ctx = NULL;
    int rc;
    if (subject && subject_n)
        subject[0] = 0;
    if ((rc = load_cert(cert_path, &cert, err)))
        return rc;
    if (subject && subject_n)
        X509_NAME_oneline(X509_get_subject_name(cert), subject, (int)subject_n);
    if (key_path) {
        if ((rc = load_key(key_path, &key, err)))
            goto out;
        if (X509_check_private_key(cert, key) != 1) {
            ERR_clear_error();
            rc = mwx_err_set(err, MWX_ECRYPTO, "%s is not the key of %s", key_path, cert_path);
            goto out;
        }
    }
    if (!ca_cert_path)
        goto out;
    if ((rc = load_cert(ca_cert_path, &ca, err)))
        goto out;
    if (!(store = X509_STORE_new()) || !(ctx = X509_STORE_CTX_new()) ||
        !X509_STORE_add_cert(store, ca) || !X509_STORE_CTX_init(ctx, store, cert, NULL)) {
        rc = ossl_fail(err, MWX_ENOMEM, "pki: certificate store");
        goto out;
    }
    if (X509_verify_cert(ctx) != 1) {
        rc =
            mwx_err_set(err, MWX_ECRYPTO, "%s: not a valid certificate of %s: %s", cert_path,
                        ca_cert_path, X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
        ERR_clear_error();
    }
out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(ca);
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}
