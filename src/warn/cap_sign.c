/* Signed CAP: an enveloped XML-DSig <Signature> as the last child of <alert> (CAP 1.2
 * section 3.3.2.1), made and checked by xmlsec (libxmlsec1 with OpenSSL), never by hand.
 *
 * Signing: the CAP text the format wrote is parsed by libxml2, a signature template
 * (xmlsec's templates: exclusive C14N, ECDSA-SHA256 or RSA-SHA256, one Reference URI=""
 * with the enveloped-signature transform then exclusive C14N, SHA-256, KeyInfo/X509Data
 * with the certificate) is appended to <alert>, followed by a newline text node, and xmlsec
 * signs it. Only the <Signature> element is then serialised, and spliced into the original
 * text before </alert>: the file is the text that was parsed plus the signature, so a
 * receiver parsing the file gets the very tree that was signed, and mwx saves the cost of
 * serialising the whole document again (docs/BENCHMARKS.md, warn_latency).
 *
 * Verifying: only URI="" references, the transforms above, and keys from an X.509
 * certificate that verifies against the one trusted CA; the signature must be the last
 * element of a CAP 1.2 <alert>. No DTD, no entities, no network.
 *
 * xmlsec needs a process-wide initialisation (its transform and key-data registries, the
 * OpenSSL engine): done once under pthread_once, never undone (another user of xmlsec in
 * the same process must not shut it down under us either). xmlsec reports errors through
 * a process-wide callback with no user pointer; the first error of the calling thread's
 * current operation is kept in a thread-local buffer for the message. */
#include "warn/warn_internal.h"
#include "mwx/share.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/openssl/x509.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#define CAP12_NS         "urn:oasis:names:tc:emergency:cap:1.2"
#define MAX_VERIFY_BYTES (4u << 20) /* a CAP message is tens of kB */

struct mwx_cap_signer {
    xmlSecKeyPtr key;
    xmlSecTransformId method;
    char subject[256];
};

struct mwx_cap_verifier {
    xmlSecKeysMngrPtr mngr;
    char ca[MWX_PATH_LEN];
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_failed; /* written once, inside init_once */
static _Thread_local char last_error[256];

static void on_xmlsec_error(const char *file, int line, const char *func, const char *object,
                            const char *subject, int reason, const char *msg)
{
    (void)file, (void)line, (void)func, (void)object;
    if (last_error[0])
        return; /* the first error is the cause; the rest is the unwinding */
    const char *r = NULL;
    for (xmlSecSize i = 0; xmlSecErrorsGetCode(i) != 0; i++)
        if (xmlSecErrorsGetCode(i) == reason) {
            r = xmlSecErrorsGetMsg(i);
            break;
        }
    snprintf(last_error, sizeof last_error, "%s%s%s%s%s%s", r ? r : "xmlsec error",
             subject ? " (" : "", subject ? subject : "", subject ? ")" : "",
             msg && msg[0] ? ": " : "", msg ? msg : "");
}

static void do_init(void)
{
    xmlInitParser();
    if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1 || xmlSecCryptoAppInit(NULL) < 0 ||
        xmlSecCryptoInit() < 0) {
        init_failed = 1;
        return;
    }
    xmlSecErrorsSetCallback(on_xmlsec_error);
}

static int cap_sig_init(mwx_err_t *err)
{
    pthread_once(&init_once, do_init);
    if (init_failed)
        return mwx_err_set(err, MWX_ECRYPTO, "xmlsec (OpenSSL) failed to initialise");
    last_error[0] = 0;
    return MWX_OK;
}

static const char *why(void)
{
    return last_error[0] ? last_error : "xmlsec failed";
}

/* ------------------------------------------------------------------ signer */

int mwx_cap_signer_create(const char *key_path, const char *cert_path, mwx_cap_signer_t **out,
                          mwx_err_t *err)
{
    mwx_cap_signer_t *s;
    xmlSecKeyDataPtr value;
    int rc;

    *out = NULL;
    if (!key_path || !cert_path)
        return mwx_err_set(err, MWX_EINVAL, "cap signer: needs a key and a certificate");
    if ((rc = cap_sig_init(err)) != MWX_OK)
        return rc;
    if (!(s = calloc(1, sizeof *s)))
        return mwx_err_set(err, MWX_ENOMEM, "cap signer: out of memory");
    /* permissions (0600), the key is the certificate's, and the subject for messages */
    if ((rc = mwx_pki_verify(NULL, cert_path, key_path, s->subject, sizeof s->subject, err)) !=
        MWX_OK) {
        free(s);
        return rc;
    }
    s->key = xmlSecCryptoAppKeyLoad(key_path, xmlSecKeyDataFormatPem, NULL, NULL, NULL);
    if (!s->key) {
        rc = mwx_err_set(err, MWX_EINVAL, "%s: not a PEM private key xmlsec can use: %s", key_path,
                         why());
        goto fail;
    }
    if (xmlSecCryptoAppKeyCertLoad(s->key, cert_path, xmlSecKeyDataFormatPem) < 0) {
        rc = mwx_err_set(err, MWX_EINVAL, "%s: not a PEM certificate: %s", cert_path, why());
        goto fail;
    }
    value = xmlSecKeyGetValue(s->key);
    if (value && xmlSecKeyDataCheckId(value, xmlSecKeyDataEcdsaId))
        s->method = xmlSecTransformEcdsaSha256Id;
    else if (value && xmlSecKeyDataCheckId(value, xmlSecKeyDataRsaId))
        s->method = xmlSecTransformRsaSha256Id;
    else {
        rc = mwx_err_set(err, MWX_EUNSUPPORTED,
                         "%s: CAP signing takes an EC (ECDSA-SHA256) or RSA key", key_path);
        goto fail;
    }
    *out = s;
    return MWX_OK;
fail:
    mwx_cap_signer_free(s);
    return rc;
}

void mwx_cap_signer_free(mwx_cap_signer_t *s)
{
    if (!s)
        return;
    if (s->key)
        xmlSecKeyDestroy(s->key);
    free(s);
}

const char *mwx_cap_signer_subject(const mwx_cap_signer_t *s)
{
    return s->subject;
}

/* The last "</alert>" of text, with only white space after it; NULL when none. */
static const char *alert_end(const char *text, size_t len)
{
    static const char tag[] = "</alert>";
    size_t e = len;
    while (e > 0 && (text[e - 1] == '\n' || text[e - 1] == ' ' || text[e - 1] == '\r' ||
                     text[e - 1] == '\t'))
        e--;
    if (e < sizeof tag - 1 || memcmp(text + e - (sizeof tag - 1), tag, sizeof tag - 1) != 0)
        return NULL;
    return text + e - (sizeof tag - 1);
}

/* A NUL byte is no XML character (XML 1.0, 2.2), and libxml2 stops reading at one: what
 * follows it would be neither signed nor verified. Returns its offset, or -1. */
static long nul_at(const char *text, size_t len)
{
    const char *z = memchr(text, 0, len);
    return z ? (long)(z - text) : -1;
}

int mwxi_cap_sign_buf(mwx_cap_signer_t *s, const char *text, size_t len, mwx_buf_t *out,
                      mwx_err_t *err)
{
    xmlDocPtr doc = NULL;
    xmlNodePtr root, sig, ref, ki, x509;
    xmlBufferPtr sb = NULL;
    xmlSecDSigCtx ctx;
    int ctx_ready = 0, rc = MWX_OK;
    const char *end = alert_end(text, len);

    last_error[0] = 0;
    if (!end || len > INT32_MAX)
        return mwx_err_set(err, MWX_EINVAL, "cap sign: not a CAP document (no final </alert>)");
    if (nul_at(text, len) >= 0)
        return mwx_err_set(err, MWX_EINVAL, "cap sign: a NUL byte at offset %ld: not XML text",
                           nul_at(text, len));
    doc = xmlReadMemory(text, (int)len, "cap.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc || !(root = xmlDocGetRootElement(doc))) {
        rc = mwx_err_set(err, MWX_EINVAL, "cap sign: the CAP text is not well-formed XML");
        goto out;
    }
    sig = xmlSecTmplSignatureCreate(doc, xmlSecTransformExclC14NId, s->method, NULL);
    if (!sig || !xmlAddChild(root, sig)) {
        if (sig)
            xmlFreeNode(sig);
        rc = mwx_err_set(err, MWX_ENOMEM, "cap sign: signature template: %s", why());
        goto out;
    }
    /* "\n" after the signature, before </alert>: part of the signed tree and of the file */
    {
        xmlNodePtr nl = xmlNewDocText(doc, BAD_CAST "\n");
        if (!nl || !xmlAddChild(root, nl)) {
            xmlFreeNode(nl);
            rc = mwx_err_set(err, MWX_ENOMEM, "cap sign: out of memory");
            goto out;
        }
    }
    if (!(ref = xmlSecTmplSignatureAddReference(sig, xmlSecTransformSha256Id, NULL, BAD_CAST "",
                                                NULL)) ||
        !xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) ||
        !xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId) ||
        !(ki = xmlSecTmplSignatureEnsureKeyInfo(sig, NULL)) ||
        !(x509 = xmlSecTmplKeyInfoAddX509Data(ki)) || !xmlSecTmplX509DataAddCertificate(x509)) {
        rc = mwx_err_set(err, MWX_ENOMEM, "cap sign: signature template: %s", why());
        goto out;
    }
    if (xmlSecDSigCtxInitialize(&ctx, NULL) < 0) {
        rc = mwx_err_set(err, MWX_ENOMEM, "cap sign: %s", why());
        goto out;
    }
    ctx_ready = 1;
    ctx.signKey = s->key; /* borrowed: taken back before xmlSecDSigCtxFinalize frees it */
    if (xmlSecDSigCtxSign(&ctx, sig) < 0) {
        rc = mwx_err_set(err, MWX_ECRYPTO, "cap sign: %s", why());
        goto out;
    }
    if (!(sb = xmlBufferCreateSize(2048)) || xmlNodeDump(sb, doc, sig, 0, 0) < 0) {
        rc = mwx_err_set(err, MWX_ENOMEM, "cap sign: out of memory");
        goto out;
    }
    mwxi_buf_reset(out);
    mwxi_buf_put(out, text, (size_t)(end - text));
    mwxi_buf_put(out, (const char *)xmlBufferContent(sb), (size_t)xmlBufferLength(sb));
    mwxi_buf_put(out, "\n", 1);
    mwxi_buf_put(out, end, len - (size_t)(end - text));
    if (out->oom)
        rc = mwx_err_set(err, MWX_ENOMEM, "cap sign: out of memory");
out:
    if (ctx_ready) {
        ctx.signKey = NULL;
        xmlSecDSigCtxFinalize(&ctx);
    }
    if (sb)
        xmlBufferFree(sb);
    if (doc)
        xmlFreeDoc(doc);
    return rc;
}

int mwx_cap_sign(mwx_cap_signer_t *s, const char *doc, size_t len, char **out, size_t *out_len,
                 mwx_err_t *err)
{
    mwx_buf_t b = {0};
    int rc = mwxi_cap_sign_buf(s, doc, len, &b, err);
    *out = NULL;
    *out_len = 0;
    if (rc == MWX_OK) {
        mwxi_buf_put(&b, "", 1); /* NUL */
        if (b.oom) {
            mwxi_buf_free(&b);
            return mwx_err_set(err, MWX_ENOMEM, "cap sign: out of memory");
        }
        *out = b.p;
        *out_len = b.len - 1;
        return MWX_OK;
    }
    mwxi_buf_free(&b);
    return rc;
}

/* ------------------------------------------------------------------ verifier */

int mwx_cap_verifier_create(const char *ca_path, mwx_cap_verifier_t **out, mwx_err_t *err)
{
    mwx_cap_verifier_t *v;
    int rc;
    *out = NULL;
    if ((rc = cap_sig_init(err)) != MWX_OK)
        return rc;
    if (!(v = calloc(1, sizeof *v)))
        return mwx_err_set(err, MWX_ENOMEM, "cap verify: out of memory");
    mwx_strlcpy(v->ca, ca_path, sizeof v->ca);
    if (!(v->mngr = xmlSecKeysMngrCreate()) || xmlSecCryptoAppDefaultKeysMngrInit(v->mngr) < 0) {
        mwx_cap_verifier_free(v);
        return mwx_err_set(err, MWX_ENOMEM, "cap verify: %s", why());
    }
    if (xmlSecCryptoAppKeysMngrCertLoad(v->mngr, ca_path, xmlSecKeyDataFormatPem,
                                        xmlSecKeyDataTypeTrusted) < 0) {
        mwx_cap_verifier_free(v);
        return mwx_err_set(err, MWX_EINVAL, "%s: not a PEM CA certificate: %s", ca_path, why());
    }
    *out = v;
    return MWX_OK;
}

void mwx_cap_verifier_free(mwx_cap_verifier_t *v)
{
    if (!v)
        return;
    if (v->mngr)
        xmlSecKeysMngrDestroy(v->mngr);
    free(v);
}

static int is_el(const xmlNode *n, const char *name, const char *ns)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           strcmp((const char *)n->name, name) == 0 && strcmp((const char *)n->ns->href, ns) == 0;
}

/* Only what mwx signs with (and the inclusive C14N and RSA a receiver may meet). */
static int restrict_ctx(xmlSecDSigCtx *c)
{
    c->enabledReferenceUris = xmlSecTransformUriTypeEmpty;
    return xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformEnvelopedId) < 0 ||
           xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformExclC14NId) < 0 ||
           xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformInclC14NId) < 0 ||
           xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformSha256Id) < 0 ||
           xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformExclC14NId) < 0 ||
           xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformInclC14NId) < 0 ||
           xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformEcdsaSha256Id) < 0 ||
           xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformRsaSha256Id) < 0 ||
           xmlSecPtrListAdd(&c->keyInfoReadCtx.enabledKeyData,
                            (const xmlSecPtr)xmlSecKeyDataX509Id) < 0;
}

int mwx_cap_verify(mwx_cap_verifier_t *v, const char *data, size_t len, char *signer,
                   size_t signer_n, mwx_err_t *err)
{
    xmlDocPtr doc = NULL;
    xmlNodePtr root, sig = NULL;
    xmlSecDSigCtx ctx;
    int ctx_ready = 0, rc = MWX_OK, n_sig = 0;

    if (signer && signer_n)
        signer[0] = 0;
    last_error[0] = 0;
    if (len > MAX_VERIFY_BYTES)
        return mwx_err_set(err, MWX_EINVAL, "larger than %u bytes: not a CAP message",
                           MAX_VERIFY_BYTES);
    if (nul_at(data, len) >= 0)
        return mwx_err_set(err, MWX_EINVAL, "a NUL byte at offset %ld: not XML text",
                           nul_at(data, len));
    doc = xmlReadMemory(data, (int)len, "cap.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        rc = mwx_err_set(err, MWX_EINVAL, "not well-formed XML%s%.*s (line %d)",
                         e && e->message ? ": " : "",
                         e && e->message ? (int)strcspn(e->message, "\n") : 0,
                         e && e->message ? e->message : "", e ? e->line : 0);
        goto out;
    }
    if (doc->intSubset || doc->extSubset) {
        rc = mwx_err_set(err, MWX_EINVAL, "has a document type declaration (refused)");
        goto out;
    }
    root = xmlDocGetRootElement(doc);
    if (!is_el(root, "alert", CAP12_NS)) {
        rc = mwx_err_set(err, MWX_EINVAL, "not a CAP 1.2 <alert>");
        goto out;
    }
    for (xmlNodePtr c = root->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) {
            sig = c;
            n_sig += is_el(c, "Signature", (const char *)xmlSecDSigNs);
        }
    if (n_sig == 0) {
        rc = mwx_err_set(err, MWX_ECRYPTO, "not signed (no XML-DSig <Signature> in <alert>)");
        goto out;
    }
    if (n_sig > 1 || !is_el(sig, "Signature", (const char *)xmlSecDSigNs)) {
        rc = mwx_err_set(err, MWX_EINVAL,
                         "the <Signature> must be the one and last element of <alert>");
        goto out;
    }
    /* a bare key (KeyValue) proves nothing about who signed: only a certificate does */
    {
        xmlNodePtr ki = xmlSecFindChild(sig, xmlSecNodeKeyInfo, xmlSecDSigNs);
        xmlNodePtr xd = ki ? xmlSecFindChild(ki, xmlSecNodeX509Data, xmlSecDSigNs) : NULL;
        if (!xd || !xmlSecFindChild(xd, xmlSecNodeX509Certificate, xmlSecDSigNs)) {
            rc = mwx_err_set(err, MWX_ECRYPTO,
                             "the signature carries no X.509 certificate "
                             "(KeyInfo/X509Data/X509Certificate): a bare key proves nothing");
            goto out;
        }
    }
    if (xmlSecDSigCtxInitialize(&ctx, v->mngr) < 0) {
        rc = mwx_err_set(err, MWX_ENOMEM, "%s", why());
        goto out;
    }
    ctx_ready = 1;
    if (restrict_ctx(&ctx)) {
        rc = mwx_err_set(err, MWX_ENOMEM, "%s", why());
        goto out;
    }
    if (xmlSecDSigCtxVerify(&ctx, sig) < 0) {
        rc = mwx_err_set(err, MWX_ECRYPTO, "signature not verified: %s", why());
        goto out;
    }
    if (ctx.status != xmlSecDSigStatusSucceeded) {
        rc = mwx_err_set(err, MWX_ECRYPTO,
                         "signature does not match: the alert was changed after it was signed");
        goto out;
    }
    /* the one reference is the whole document (URI="" is the only type enabled) */
    if (xmlSecPtrListGetSize(&ctx.signedInfoReferences) != 1) {
        rc = mwx_err_set(err, MWX_EINVAL, "the signature must have exactly one reference");
        goto out;
    }
    {
        xmlSecDSigReferenceCtxPtr r = xmlSecPtrListGetItem(&ctx.signedInfoReferences, 0);
        if (!r || !r->uri || r->uri[0]) {
            rc = mwx_err_set(err, MWX_EINVAL, "the signature's reference must be URI=\"\"");
            goto out;
        }
    }
    if (signer && signer_n && ctx.signKey) {
        xmlSecKeyDataPtr x = xmlSecKeyGetData(ctx.signKey, xmlSecOpenSSLKeyDataX509Id);
        X509 *cert = x ? xmlSecOpenSSLKeyDataX509GetKeyCert(x) : NULL;
        if (cert)
            X509_NAME_oneline(X509_get_subject_name(cert), signer, (int)signer_n);
    }
out:
    if (ctx_ready)
        xmlSecDSigCtxFinalize(&ctx);
    if (doc)
        xmlFreeDoc(doc);
    return rc;
}
