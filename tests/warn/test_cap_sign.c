/* Signed CAP (cap_sign.c) and the PKI it uses (share/pki.c): a signature made by a warning
 * context verifies with its CA and with nothing else; any change of the alert's content is
 * refused; malformed, unsigned or oddly shaped input is refused with a clear message; the
 * Atom feed links the signed files. The independent check (xmlsec1 command line) is
 * cap_signed.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mwx/share.h"
#include "warn/warn_internal.h"
#include "warn_test_util.h"

static char g_dir[300], g_ca[400], g_ca2[400], g_key[400], g_cert[400], g_key2[400], g_cert2[400];

static int setup(void **st)
{
    char k[400];
    mwx_err_t err = {0};
    mwx_pki_subject_t s = {0};
    (void)st;
    wt_outdir(g_dir, sizeof g_dir, "capsign");
    snprintf(g_ca, sizeof g_ca, "%s/ca.pem", g_dir);
    snprintf(g_ca2, sizeof g_ca2, "%s/other-ca.pem", g_dir);
    snprintf(g_key, sizeof g_key, "%s/JP-cap.key", g_dir);
    snprintf(g_cert, sizeof g_cert, "%s/JP-cap.pem", g_dir);
    snprintf(g_key2, sizeof g_key2, "%s/XX-cap.key", g_dir);
    snprintf(g_cert2, sizeof g_cert2, "%s/XX-cap.pem", g_dir);
    s.common_name = "JP alerting CA";
    snprintf(k, sizeof k, "%s/ca.key", g_dir);
    if (mwx_pki_make_ca(&s, k, g_ca, 1, &err))
        return fprintf(stderr, "%s\n", err.msg), -1;
    s.common_name = "JP public alerting";
    s.usage = MWX_PKI_SIGNING;
    if (mwx_pki_issue(k, g_ca, &s, g_key, g_cert, 1, &err))
        return fprintf(stderr, "%s\n", err.msg), -1;
    /* another CA, whose key signs with the same names */
    s.common_name = "JP alerting CA";
    s.usage = 0;
    snprintf(k, sizeof k, "%s/other-ca.key", g_dir);
    if (mwx_pki_make_ca(&s, k, g_ca2, 1, &err))
        return -1;
    s.common_name = "JP public alerting";
    s.usage = MWX_PKI_SIGNING;
    if (mwx_pki_issue(k, g_ca2, &s, g_key2, g_cert2, 1, &err))
        return -1;
    return 0;
}

static const char doc[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n"
                          "  <identifier>mwx.JP.JP-1.impact.1</identifier>\n"
                          "  <sent>2026-11-22T03:01:01+00:00</sent>\n"
                          "  <info>\n"
                          "    <area>\n"
                          "      <areaDesc>Tokyo 東京都</areaDesc>\n"
                          "      <polygon>35.1,139.1 35.2,139.2 35.3,139.1 35.1,139.1</polygon>\n"
                          "    </area>\n"
                          "  </info>\n"
                          "</alert>\n";

static mwx_cap_signer_t *signer(const char *key, const char *cert)
{
    mwx_cap_signer_t *s = NULL;
    mwx_err_t err = {0};
    if (mwx_cap_signer_create(key, cert, &s, &err))
        fail_msg("signer: %s", err.msg);
    return s;
}

static int verify(const char *ca, const char *text, size_t len, char *who, mwx_err_t *err)
{
    mwx_cap_verifier_t *v = NULL;
    if (mwx_cap_verifier_create(ca, &v, err))
        fail_msg("verifier: %s", err->msg);
    int rc = mwx_cap_verify(v, text, len, who, who ? 256 : 0, err);
    mwx_cap_verifier_free(v);
    return rc;
}

static void test_sign_verify(void **st)
{
    mwx_cap_signer_t *s = signer(g_key, g_cert);
    mwx_err_t err = {0};
    char *out, who[256];
    size_t len;
    (void)st;
    assert_int_equal(mwx_cap_sign(s, doc, strlen(doc), &out, &len, &err), 0);
    /* the original text, then the signature as the last element, then </alert> */
    assert_memory_equal(out, doc, strlen(doc) - strlen("</alert>\n"));
    assert_non_null(strstr(out, "ecdsa-sha256"));
    assert_non_null(strstr(out, "<Reference URI=\"\">"));
    assert_string_equal(out + len - strlen("</Signature>\n</alert>\n"), "</Signature>\n</alert>\n");
    assert_int_equal(verify(g_ca, out, len, who, &err), 0);
    assert_string_equal(who, "/CN=JP public alerting");
    /* another CA does not vouch for it */
    assert_int_equal(verify(g_ca2, out, len, NULL, &err), MWX_ECRYPTO);
    assert_non_null(strstr(err.msg, "certificate"));
    free(out);
    /* signed by the other CA's key: refused with ours */
    mwx_cap_signer_free(s);
    s = signer(g_key2, g_cert2);
    assert_int_equal(mwx_cap_sign(s, doc, strlen(doc), &out, &len, &err), 0);
    assert_int_equal(verify(g_ca2, out, len, NULL, &err), 0);
    assert_int_equal(verify(g_ca, out, len, NULL, &err), MWX_ECRYPTO);
    free(out);
    mwx_cap_signer_free(s);
}

/* A NUL byte is no XML character: libxml2 stops reading at it, so the signer would splice
 * its signature before a "</alert>" beyond what it signed (make check's fuzz run: the
 * signed file then verified as "not signed"), and a verifier would vouch for a signed file
 * with anything after a NUL. Both refuse it. */
static void test_nul_byte(void **st)
{
    static const char fuzzed[] = "\n<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">me/a>0"
                                 "</alert>\0\0\0\0a></alert>";
    mwx_cap_signer_t *s = signer(g_key, g_cert);
    mwx_err_t err = {0};
    char *out = NULL, *tail;
    size_t len = 0;
    (void)st;
    assert_int_equal(mwx_cap_sign(s, fuzzed, sizeof fuzzed - 1, &out, &len, &err), MWX_EINVAL);
    assert_null(out);
    assert_non_null(strstr(err.msg, "NUL"));
    /* a signed file, then a NUL and more: refused, though what precedes the NUL verifies */
    assert_int_equal(mwx_cap_sign(s, doc, strlen(doc), &out, &len, &err), 0);
    assert_int_equal(verify(g_ca, out, len, NULL, &err), 0);
    tail = malloc(len + 32);
    assert_non_null(tail);
    memcpy(tail, out, len);
    memcpy(tail + len, "\0<extra>forged</extra>", 23);
    assert_int_equal(verify(g_ca, tail, len + 23, NULL, &err), MWX_EINVAL);
    assert_non_null(strstr(err.msg, "NUL"));
    free(tail);
    free(out);
    mwx_cap_signer_free(s);
}

/* Every letter or digit of the alert's text content, changed: never accepted. */
static void test_every_character(void **st)
{
    mwx_cap_signer_t *s = signer(g_key, g_cert);
    mwx_cap_verifier_t *v = NULL;
    mwx_err_t err = {0};
    char *out;
    size_t len, end, tried = 0;
    (void)st;
    assert_int_equal(mwx_cap_sign(s, doc, strlen(doc), &out, &len, &err), 0);
    assert_int_equal(mwx_cap_verifier_create(g_ca, &v, &err), 0);
    end = (size_t)(strstr(out, "<Signature") - out);
    int in_text = 0;
    for (size_t i = strlen("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"); i < end; i++) {
        if (out[i] == '>')
            in_text = 1;
        else if (out[i] == '<')
            in_text = 0;
        else if (in_text &&
                 ((out[i] >= '0' && out[i] <= '9') || (out[i] >= 'A' && out[i] <= 'z'))) {
            char was = out[i];
            out[i] = was == 'a' ? 'b' : 'a';
            int rc = mwx_cap_verify(v, out, len, NULL, 0, &err);
            if (rc != MWX_ECRYPTO)
                fail_msg("byte %zu changed: rc %d (%s)", i, rc, err.msg);
            assert_non_null(strstr(err.msg, "changed after it was signed"));
            out[i] = was;
            tried++;
        }
    }
    assert_true(tried > 50);
    assert_int_equal(mwx_cap_verify(v, out, len, NULL, 0, &err), 0);
    free(out);
    mwx_cap_verifier_free(v);
    mwx_cap_signer_free(s);
}

static void test_refusals(void **st)
{
    mwx_cap_signer_t *s = signer(g_key, g_cert);
    mwx_err_t err = {0};
    char *out, buf[8192];
    size_t len;
    (void)st;
    /* unsigned */
    assert_int_equal(verify(g_ca, doc, strlen(doc), NULL, &err), MWX_ECRYPTO);
    assert_non_null(strstr(err.msg, "not signed"));
    /* not XML, empty, not CAP */
    assert_int_equal(verify(g_ca, "garbage", 7, NULL, &err), MWX_EINVAL);
    assert_int_equal(verify(g_ca, "", 0, NULL, &err), MWX_EINVAL);
    assert_int_equal(verify(g_ca, "<a/>", 4, NULL, &err), MWX_EINVAL);
    assert_int_equal(mwx_cap_sign(s, doc, strlen(doc), &out, &len, &err), 0);
    /* an element after the signature */
    char *sig_end = strstr(out, "</Signature>") + strlen("</Signature>");
    snprintf(buf, sizeof buf, "%.*s<note>x</note>%s", (int)(sig_end - out), out, sig_end);
    assert_int_equal(verify(g_ca, buf, strlen(buf), NULL, &err), MWX_EINVAL);
    assert_non_null(strstr(err.msg, "last element"));
    /* a DTD (entities could rewrite the content): refused */
    snprintf(buf, sizeof buf, "<?xml version=\"1.0\"?>\n<!DOCTYPE alert [<!ENTITY e \"x\">]>%s",
             strstr(out, "<alert"));
    assert_int_equal(verify(g_ca, buf, strlen(buf), NULL, &err), MWX_EINVAL);
    /* a reference to part of the document only (URI="#x"): refused */
    snprintf(buf, sizeof buf, "%s", out);
    char *u = strstr(buf, "URI=\"\"");
    assert_non_null(u);
    memmove(u + 7, u + 5, strlen(u + 5) + 1);
    memcpy(u, "URI=\"#x\"", 8);
    assert_int_not_equal(verify(g_ca, buf, strlen(buf), NULL, &err), 0);
    free(out);
    /* a key others can read is refused */
    mwx_cap_signer_t *s2 = NULL;
    assert_int_equal(chmod(g_key, 0644), 0);
    assert_int_equal(mwx_cap_signer_create(g_key, g_cert, &s2, &err), MWX_EINVAL);
    assert_non_null(strstr(err.msg, "chmod 600"));
    assert_int_equal(chmod(g_key, 0600), 0);
    /* a key that is not the certificate's */
    assert_int_equal(mwx_cap_signer_create(g_key2, g_cert, &s2, &err), MWX_ECRYPTO);
    assert_null(s2);
    /* not a document */
    assert_int_equal(mwx_cap_sign(s, "<alert>", 7, &out, &len, &err), MWX_EINVAL);
    mwx_cap_signer_free(s);
}

/* The PKI: a certificate verifies with its CA only; the CA is a CA. */
static void test_pki(void **st)
{
    mwx_err_t err = {0};
    char subj[256];
    (void)st;
    assert_int_equal(mwx_pki_verify(g_ca, g_cert, g_key, subj, sizeof subj, &err), 0);
    assert_string_equal(subj, "/CN=JP public alerting");
    assert_int_equal(mwx_pki_verify(g_ca2, g_cert, NULL, NULL, 0, &err), MWX_ECRYPTO);
    assert_int_equal(mwx_pki_verify(g_ca, g_cert2, NULL, NULL, 0, &err), MWX_ECRYPTO);
    assert_int_equal(mwx_pki_verify(NULL, g_cert, g_key2, NULL, 0, &err), MWX_ECRYPTO);
    /* a leaf certificate cannot issue */
    char k[400], c[400];
    mwx_pki_subject_t s = {.common_name = "x", .usage = MWX_PKI_SIGNING};
    snprintf(k, sizeof k, "%s/y.key", g_dir);
    snprintf(c, sizeof c, "%s/y.pem", g_dir);
    assert_int_equal(mwx_pki_issue(g_key, g_cert, &s, k, c, 1, &err), MWX_EINVAL);
    /* TLS use: subjectAltName and extended key usage (issue 14 reuses this) */
    const char *dns[] = {"localhost"}, *ips[] = {"127.0.0.1"};
    snprintf(k, sizeof k, "%s/ca.key", g_dir);
    mwx_pki_subject_t t = {.common_name = "nats JP",
                           .dns = dns,
                           .n_dns = 1,
                           .ips = ips,
                           .n_ips = 1,
                           .usage = MWX_PKI_TLS_SERVER | MWX_PKI_TLS_CLIENT};
    char tk[400], tc[400];
    snprintf(tk, sizeof tk, "%s/tls.key", g_dir);
    snprintf(tc, sizeof tc, "%s/tls.pem", g_dir);
    assert_int_equal(mwx_pki_issue(k, g_ca, &t, tk, tc, 1, &err), 0);
    assert_int_equal(mwx_pki_verify(g_ca, tc, tk, NULL, 0, &err), 0);
    struct stat sb;
    assert_int_equal(stat(tk, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    /* refused without force */
    assert_int_equal(mwx_pki_issue(k, g_ca, &t, tk, tc, 0, &err), MWX_EINVAL);
}

/* A warning context with a signer: every CAP file verifies, and the feed links them. */
static void test_warn_context(void **st)
{
    static wt_log_t log;
    static mwx_warn_policy_t pol;
    char dir[400], path[700], *text;
    mwx_warn_config_t cfg = {0};
    mwx_warn_t *w = NULL;
    mwx_cap_verifier_t *v = NULL;
    mwx_err_t err = {0};
    double epoch;
    int caps = 0, linked = 0;
    (void)st;
    assert_int_equal(mwx_time_parse("2026-11-22T03:00:00Z", &epoch, &err), 0);
    mwx_cap_signer_t *s = signer(g_key, g_cert);
    snprintf(dir, sizeof dir, "%s/ctx", g_dir);
    mkdir(dir, 0755);
    mwx_warn_policy_default(&pol);
    pol.settle_s = 0;
    cfg.node = "JP";
    cfg.source = MWX_WARN_SOURCE_SIMULATED;
    cfg.status = MWX_STATUS_EXERCISE;
    cfg.epoch_unix_s = epoch;
    cfg.regions_path = WT_REGIONS;
    cfg.out_dir = dir;
    cfg.policy = &pol;
    cfg.emit = wt_emit;
    cfg.user = &log;
    cfg.cap_signer = s;
    assert_int_equal(mwx_warn_create(&cfg, &w, &err), 0);
    for (int i = 0; i < 20; i++) {
        mwx_rec_track_t k = wt_track("JP-1", 100 + i, 37.5, 132.0 + 0.3 * i, 300e3, 35.69, 139.70,
                                     400 + (i > 10 ? 30 : 0), 30, 12, 70);
        if (mwx_warn_track(w, &k, &err))
            fail_msg("%s", err.msg);
    }
    assert_int_equal(mwx_cap_verifier_create(g_ca, &v, &err), 0);
    for (int i = 0; i < log.n; i++) {
        if (log.out[i] != MWX_WARN_OUT_CAP)
            continue;
        FILE *f;
        static char buf[1 << 17];
        snprintf(path, sizeof path, "%s/%s", dir, log.rec[i].file);
        assert_non_null(f = fopen(path, "rb"));
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        if (mwx_cap_verify(v, buf, n, NULL, 0, &err))
            fail_msg("%s: %s", path, err.msg);
        caps++;
    }
    assert_true(caps >= 2);
    /* the feed (written after the CAP files) links CAP files that verify */
    snprintf(path, sizeof path, "%s/alerts/alerts.atom", dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char feed[1 << 17];
    size_t fl = fread(feed, 1, sizeof feed - 1, f);
    fclose(f);
    feed[fl] = 0;
    for (text = strstr(feed, "type=\"application/cap+xml\" href=\""); text;
         text = strstr(text + 1, "type=\"application/cap+xml\" href=\"")) {
        char name[300], *q = text + strlen("type=\"application/cap+xml\" href=\"");
        size_t nl = strcspn(q, "\"");
        snprintf(name, sizeof name, "%.*s", (int)nl, q);
        snprintf(path, sizeof path, "%s/alerts/%s", dir, name);
        FILE *g = fopen(path, "rb");
        if (!g)
            fail_msg("the feed links %s, which is missing", path);
        static char buf[1 << 17];
        size_t n = fread(buf, 1, sizeof buf, g);
        fclose(g);
        if (mwx_cap_verify(v, buf, n, NULL, 0, &err))
            fail_msg("linked %s: %s", name, err.msg);
        linked++;
    }
    assert_true(linked >= 1);
    mwx_cap_verifier_free(v);
    mwx_warn_free(w);
    mwx_cap_signer_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_verify), cmocka_unit_test(test_every_character),
        cmocka_unit_test(test_refusals),    cmocka_unit_test(test_pki),
        cmocka_unit_test(test_nul_byte),    cmocka_unit_test(test_warn_context),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
