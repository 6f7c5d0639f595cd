/* Mutual TLS for the bus (issue 14): what `mwx nats-config --tls` writes, read back with
 * libcrypto (usages, names, subjects, validity, the chain), and what a real nats-server
 * running those configs refuses: a plaintext client, a client without a certificate, a
 * certificate of another CA, one nation's certificate acting as another nation (as a
 * client, at another nation's leaf, and as a leaf server that lets its clients try). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mwx/share.h"
#include "nats_fixture.h"
#include "share/share_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void tmpdir(char *out, size_t n, const char *name)
{
    const char *t = getenv("MWX_TMPDIR");
    char cmd[600];
    snprintf(out, n, "%s/share-tls-%s-%d", t ? t : "/tmp", name, (int)getpid());
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", out);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(mkdir(out, 0700), 0);
}

/* dir/tls/name.ext */
static const char *tf(const char *dir, const char *name, const char *ext)
{
    static char buf[8][512];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, 512, "%s/tls/%s.%s", dir, name, ext);
    return b;
}

static X509 *load(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    X509 *c = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!c)
        fail_msg("%s: not a PEM certificate", path);
    return c;
}

static void subject_is(X509 *c, const char *want)
{
    char buf[256];
    BIO *b = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(b, X509_get_subject_name(c), 0, XN_FLAG_RFC2253);
    int n = BIO_read(b, buf, sizeof buf - 1);
    BIO_free(b);
    buf[n > 0 ? n : 0] = 0;
    if (strcmp(buf, want) != 0)
        fail_msg("subject '%s', expected '%s'", buf, want);
}

/* days from now until notAfter; notBefore must be in the past */
static int days_left(X509 *c)
{
    int days = 0, secs = 0;
    assert_true(X509_cmp_current_time(X509_get0_notBefore(c)) < 0);
    assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(c)), 1);
    return days;
}

static int file_text_has(const char *path, const char *needle)
{
    static char buf[65536];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return strstr(buf, needle) != NULL;
}

static void write_tls(const char *dir, int hub_leaf, int leaf_port)
{
    static const char *const names[] = {"JP=leaf.jp.example", "10.1.2.3", "hub=hub.example"};
    mwx_policy_t p;
    mwx_err_t err;
    mwx_nats_config_opts_t o = {0};
    share_fx_policy3(&p);
    o.tls = 1;
    o.hub_leaf = hub_leaf;
    o.leaf_port = leaf_port;
    o.tls_names = names;
    o.n_tls_names = 3;
    o.tls_days = 30;
    if (mwx_nats_config_write(&p, &o, dir, &err) != 0)
        fail_msg("nats-config --tls: %s", err.msg);
}

/* ------------------------------------------------------------ certificates */

static void test_tls_certificates(void **state)
{
    char dir[512], other[512];
    mwx_err_t err;
    struct stat st;
    tmpdir(dir, sizeof dir, "certs");
    write_tls(dir, 1, 7422);

    X509 *ca = load(tf(dir, "ca", "crt"));
    assert_true(X509_check_ca(ca) >= 1);
    assert_int_equal(X509_check_issued(ca, ca), X509_V_OK); /* self-signed */
    subject_is(ca, "CN=mwx sharing network CA,O=mwx");
    assert_true(days_left(ca) > 3000);

    /* the hub: a server only; its names, and none of a leaf's */
    X509 *hub = load(tf(dir, "hub", "crt"));
    assert_int_equal(X509_check_purpose(hub, X509_PURPOSE_SSL_SERVER, 0), 1);
    assert_int_equal(X509_check_purpose(hub, X509_PURPOSE_SSL_CLIENT, 0), 0);
    assert_int_equal(X509_check_ca(hub), 0);
    assert_int_equal(X509_check_host(hub, "localhost", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(hub, "hub.mwx", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(hub, "hub.example", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(hub, "leaf.jp.example", 0, 0, NULL), 0);
    assert_int_equal(X509_check_ip_asc(hub, "127.0.0.1", 0), 1);
    assert_int_equal(X509_check_ip_asc(hub, "10.1.2.3", 0), 1);
    assert_int_equal(X509_check_ip_asc(hub, "10.1.2.4", 0), 0);
    subject_is(hub, "CN=hub,O=mwx");
    int d = days_left(hub);
    assert_true(d >= 29 && d <= 30);

    /* a leaf: server for its nodes, client towards the hub, named for its nation */
    X509 *jp = load(tf(dir, "leaf-JP", "crt")), *kr = load(tf(dir, "leaf-KR", "crt"));
    assert_int_equal(X509_check_purpose(jp, X509_PURPOSE_SSL_SERVER, 0), 1);
    assert_int_equal(X509_check_purpose(jp, X509_PURPOSE_SSL_CLIENT, 0), 1);
    assert_int_equal(X509_check_host(jp, "leaf-JP.mwx", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(jp, "leaf.jp.example", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(kr, "leaf.jp.example", 0, 0, NULL), 0);
    assert_int_equal(X509_check_host(kr, "leaf-JP.mwx", 0, 0, NULL), 0);
    assert_int_equal(X509_check_host(jp, "hub.example", 0, 0, NULL), 0);
    subject_is(jp, "CN=leaf,OU=JP,O=mwx");
    subject_is(kr, "CN=leaf,OU=KR,O=mwx");

    /* nodes and sensor feeds: clients only, no names, the subject the server maps */
    for (int i = 0; i < 3; i++) {
        static const char *const n[] = {"JP", "KR", "US"};
        char name[64], want[64];
        for (int role = 0; role < 2; role++) {
            snprintf(name, sizeof name, "%s-%s", role ? "sensors" : "node", n[i]);
            snprintf(want, sizeof want, "CN=%s,OU=%s,O=mwx", role ? "sensors" : "node", n[i]);
            X509 *c = load(tf(dir, name, "crt"));
            assert_int_equal(X509_check_purpose(c, X509_PURPOSE_SSL_CLIENT, 0), 1);
            assert_int_equal(X509_check_purpose(c, X509_PURPOSE_SSL_SERVER, 0), 0);
            assert_int_equal(X509_check_ca(c), 0);
            assert_null(X509_get_ext_d2i(c, NID_subject_alt_name, NULL, NULL));
            subject_is(c, want);
            d = days_left(c);
            assert_true(d >= 29 && d <= 30);
            /* the chain verifies, the key is the certificate's and private */
            if (mwx_pki_verify(tf(dir, "ca", "crt"), tf(dir, name, "crt"), tf(dir, name, "key"),
                               NULL, 0, &err) != 0)
                fail_msg("%s: %s", name, err.msg);
            assert_int_equal(stat(tf(dir, name, "key"), &st), 0);
            assert_int_equal(st.st_mode & 0777, 0600);
            X509_free(c);
        }
    }
    assert_int_equal(mwx_pki_verify(tf(dir, "ca", "crt"), tf(dir, "hub", "crt"),
                                    tf(dir, "hub", "key"), NULL, 0, &err),
                     0);
    assert_int_equal(stat(tf(dir, "ca", "key"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* the configs: TLS with client certificates on every listener, no passwords, no creds */
    char path[600];
    snprintf(path, sizeof path, "%s/hub.conf", dir);
    assert_true(file_text_has(path, "verify_and_map: true"));
    assert_false(file_text_has(path, "password"));
    assert_true(file_text_has(path, "user: \"CN=leaf,OU=JP,O=mwx\", allowed_connection_types: "
                                    "[\"LEAFNODE\"]"));
    snprintf(path, sizeof path, "%s/leaf-KR.conf", dir);
    assert_true(file_text_has(path, "verify_and_map: true"));
    assert_true(file_text_has(path, "url: \"tls://127.0.0.1:7422\""));
    assert_false(file_text_has(path, "OU=JP")); /* only KR's users on KR's leaf */
    snprintf(path, sizeof path, "%s/JP.creds", dir);
    assert_int_not_equal(access(path, F_OK), 0);

    /* a second run keeps the CA (certificates handed out stay valid), issues anew */
    unsigned char der1[2048], der2[2048], *p1 = der1, *p2 = der2;
    X509 *node1 = load(tf(dir, "node-JP", "crt"));
    int n1 = i2d_X509(ca, &p1);
    write_tls(dir, 1, 7422);
    X509 *ca2 = load(tf(dir, "ca", "crt")), *node2 = load(tf(dir, "node-JP", "crt"));
    int n2 = i2d_X509(ca2, &p2);
    assert_int_equal(n1, n2);
    assert_memory_equal(der1, der2, (size_t)n1);
    assert_int_not_equal(X509_cmp(node1, node2), 0);
    assert_int_equal(
        mwx_pki_verify(tf(dir, "ca", "crt"), tf(dir, "node-JP", "crt"), NULL, NULL, 0, &err), 0);

    /* another network's certificate does not verify against this CA */
    tmpdir(other, sizeof other, "other");
    write_tls(other, 0, 0);
    assert_int_equal(
        mwx_pki_verify(tf(dir, "ca", "crt"), tf(other, "node-JP", "crt"), NULL, NULL, 0, &err),
        MWX_ECRYPTO);
    /* the file checks a node runs before connecting: clear errors, exit status 1 */
    assert_int_equal(mwx_nats_tls_check(tf(dir, "ca", "crt"), tf(other, "node-JP", "crt"),
                                        tf(other, "node-JP", "key"), &err),
                     MWX_ECRYPTO);
    assert_non_null(strstr(err.msg, "not a valid certificate of"));
    assert_int_equal(mwx_nats_tls_check(tf(dir, "ca", "crt"), tf(dir, "node-JP", "crt"),
                                        tf(dir, "nope", "key"), &err),
                     MWX_ENOTFOUND);
    assert_non_null(strstr(err.msg, "nope.key"));
    assert_int_equal(chmod(tf(dir, "node-JP", "key"), 0644), 0);
    assert_int_equal(mwx_nats_tls_check(tf(dir, "ca", "crt"), tf(dir, "node-JP", "crt"),
                                        tf(dir, "node-JP", "key"), &err),
                     MWX_EINVAL);
    assert_non_null(strstr(err.msg, "too open"));
    assert_int_equal(chmod(tf(dir, "node-JP", "key"), 0600), 0);
    assert_int_equal(mwx_nats_tls_check(tf(dir, "ca", "crt"), tf(dir, "node-KR", "crt"),
                                        tf(dir, "node-JP", "key"), &err),
                     MWX_ECRYPTO);
    assert_non_null(strstr(err.msg, "is not the key of"));
    assert_int_equal(mwx_exit_status(MWX_ECRYPTO), 1);
    assert_int_equal(mwx_exit_status(MWX_ENOTFOUND), 1);
    X509_free(node1);
    X509_free(node2);
    X509_free(ca2);
    X509_free(ca);
    X509_free(hub);
    X509_free(jp);
    X509_free(kr);
}

/* ------------------------------------------------------------ against nats-server */

typedef struct counter {
    atomic_int n;
} counter_t;

static void on_count(void *user, const char *subject, const uint8_t *data, size_t len,
                     const char *reply)
{
    atomic_fetch_add(&((counter_t *)user)->n, 1);
}

/* A bus as nation's role ("node"/"sensors") of the network in dir; ca: the trusted CA file
 * (NULL: dir's); returns the open code. */
static int open_as(const char *url, const char *dir, const char *name, const char *ca,
                   mwx_bus_t **b, mwx_err_t *err)
{
    mwx_nats_opts_t o = {0};
    o.url = url;
    o.direct = 1;
    o.max_reconnect = 1;
    o.tls_ca = ca ? ca : tf(dir, "ca", "crt");
    if (name) {
        o.tls_cert = tf(dir, name, "crt");
        o.tls_key = tf(dir, name, "key");
    }
    return mwx_bus_nats_open(&o, b, err);
}

static int wait_count(counter_t *c, int want)
{
    for (int i = 0; i < 500 && atomic_load(&c->n) < want; i++)
        usleep(10000);
    return atomic_load(&c->n);
}

static int wait_error(mwx_bus_t *b, const char *needle)
{
    for (int i = 0; i < 300 && !strstr(mwx_bus_last_error(b), needle); i++)
        usleep(10000);
    return strstr(mwx_bus_last_error(b), needle) != NULL;
}

/* A client speaking the NATS protocol in plain text: reads INFO, sends CONNECT and PING,
 * returns what the server answered (out, n). */
static void plain_client(int port, char *info, char *out, size_t n)
{
    struct sockaddr_in a;
    struct timeval tv = {2, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    size_t got = 0;
    assert_true(fd >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    ssize_t k = recv(fd, info, 4095, 0);
    info[k > 0 ? k : 0] = 0;
    const char *hello = "CONNECT {\"verbose\":false}\r\nPING\r\n";
    assert_int_equal(send(fd, hello, strlen(hello), MSG_NOSIGNAL), (ssize_t)strlen(hello));
    while (got < n - 1 && (k = recv(fd, out + got, n - 1 - got, 0)) > 0)
        got += (size_t)k;
    out[got] = 0;
    close(fd);
}

/* One TLS-only server: who gets in, and what JP's certificate may do. */
static void test_tls_server_refuses(void **state)
{
    char dir[512], other[512], conf[600], bundle[600], cmd[2048];
    nats_fixture_t fx;
    mwx_bus_t *jp, *us, *b = NULL;
    mwx_err_t err;
    mwx_nats_opts_t o = {0};
    counter_t got_us, got_us_kr;
    memset(&got_us, 0, sizeof got_us);
    memset(&got_us_kr, 0, sizeof got_us_kr);
    tmpdir(dir, sizeof dir, "srv");
    tmpdir(other, sizeof other, "srv-other");
    write_tls(dir, 0, 0);
    write_tls(other, 0, 0);
    snprintf(conf, sizeof conf, "%s/nats-server.conf", dir);
    assert_int_equal(nats_fixture_start(&fx, conf), 0);

    /* the nodes of JP and US, mapped to their accounts by their certificates */
    if (open_as(fx.url, dir, "node-JP", NULL, &jp, &err) != 0)
        fail_msg("JP over TLS: %s", err.msg);
    if (open_as(fx.url, dir, "node-US", NULL, &us, &err) != 0)
        fail_msg("US over TLS: %s", err.msg);
    assert_int_equal(mwx_bus_subscribe(us, "mwx.*.JP.US", on_count, &got_us, &err), 0);
    assert_int_equal(mwx_bus_subscribe(us, "mwx.*.KR.US", on_count, &got_us_kr, &err), 0);
    assert_int_equal(mwx_bus_flush(us, 2.0, &err), 0);

    /* a plaintext client: the server requires TLS (INFO says so), takes the CONNECT for
     * a failed handshake and hangs up: never a PONG */
    char info[4096], answer[4096];
    plain_client(fx.port, info, answer, sizeof answer);
    assert_non_null(strstr(info, "\"tls_required\":true"));
    if (strstr(answer, "PONG") || strstr(answer, "+OK"))
        fail_msg("plaintext client answered '%s'", answer);
    /* nats.c without a CA and certificate: refused too */
    o.url = fx.url;
    o.max_reconnect = 1;
    assert_int_equal(mwx_bus_nats_open(&o, &b, &err), MWX_EBUS);
    assert_null(b);
    /* TLS but no client certificate: refused */
    assert_int_equal(open_as(fx.url, dir, NULL, NULL, &b, &err), MWX_EBUS);
    /* a certificate of another CA, presented by a client that trusts both CAs (so that the
     * refusal is the server's, not the client's own check): refused */
    snprintf(bundle, sizeof bundle, "%s/bundle.crt", other);
    snprintf(cmd, sizeof cmd, "cat '%s' '%s' > '%s'", tf(other, "ca", "crt"), tf(dir, "ca", "crt"),
             bundle);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(open_as(fx.url, other, "node-JP", bundle, &b, &err), MWX_EBUS);
    /* the client refuses a server of another CA too */
    assert_int_equal(open_as(fx.url, other, "node-JP", NULL, &b, &err), MWX_EBUS);
    /* a feed's certificate: it connects, and may publish nothing but its measurements */
    if (open_as(fx.url, dir, "sensors-JP", NULL, &b, &err) != 0)
        fail_msg("JP sensors over TLS: %s", err.msg);
    assert_int_equal(mwx_bus_publish(b, "mwx.track.JP.US", (const uint8_t *)"s", 1, &err), 0);
    assert_int_equal(mwx_bus_flush(b, 2.0, &err), 0);
    assert_true(wait_error(b, "ermission"));
    mwx_bus_close(b);

    /* JP's certificate cannot act as KR: it may not subscribe to KR's traffic to US, and
     * what it publishes under KR's name reaches nobody */
    counter_t spy;
    memset(&spy, 0, sizeof spy);
    assert_int_equal(mwx_bus_subscribe(jp, "mwx.*.KR.US", on_count, &spy, &err), 0);
    assert_int_equal(mwx_bus_flush(jp, 2.0, &err), 0);
    assert_true(wait_error(jp, "ermission"));
    for (int k = 0; k < 20; k++)
        assert_int_equal(mwx_bus_publish(jp, "mwx.track.KR.US", (const uint8_t *)"x", 1, &err), 0);
    /* and its own traffic goes through: a barrier after the forged ones */
    assert_int_equal(mwx_bus_publish(jp, "mwx.track.JP.US", (const uint8_t *)"j", 1, &err), 0);
    assert_int_equal(mwx_bus_flush(jp, 2.0, &err), 0);
    assert_int_equal(wait_count(&got_us, 1), 1);
    usleep(100000);
    assert_int_equal(atomic_load(&got_us_kr.n), 0);
    assert_int_equal(atomic_load(&spy.n), 0);
    mwx_bus_stats_t st;
    mwx_bus_stats(jp, &st);
    assert_true(st.denied_publish >= 1 && st.denied_subscribe >= 1);
    mwx_bus_close(jp);
    mwx_bus_close(us);
    nats_fixture_stop(&fx);
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* Hub and leaves: a nation's node certificate is refused at another nation's leaf, and a
 * leaf server presenting JP's leaf certificate is JP at the hub whatever its own config:
 * a rogue JP leaf with no rules of its own, whose clients publish under KR's name, gets
 * nothing of that to US. */
static void test_tls_leaf_refuses(void **state)
{
    char dir[512], conf[600], rogue[4096];
    nats_fixture_t hub, leaf_kr, bad;
    mwx_bus_t *us, *b = NULL, *r;
    mwx_err_t err;
    counter_t got_jp, got_kr;
    int leaf_port = nats_fixture_free_port();
    memset(&got_jp, 0, sizeof got_jp);
    memset(&got_kr, 0, sizeof got_kr);
    tmpdir(dir, sizeof dir, "leaf");
    write_tls(dir, 1, leaf_port);
    snprintf(conf, sizeof conf, "%s/hub.conf", dir);
    assert_int_equal(nats_fixture_start(&hub, conf), 0);
    snprintf(conf, sizeof conf, "%s/leaf-KR.conf", dir);
    assert_int_equal(nats_fixture_start(&leaf_kr, conf), 0);

    /* JP's node certificate at KR's leaf: no such user there */
    assert_int_equal(open_as(leaf_kr.url, dir, "node-JP", NULL, &b, &err), MWX_EBUS);
    if (open_as(leaf_kr.url, dir, "node-KR", NULL, &b, &err) != 0)
        fail_msg("KR at its leaf: %s", err.msg);
    mwx_bus_close(b);

    /* the rogue leaf: JP's leaf certificate, no users, no rules, bound to account KR
     * locally; its client publishes as anybody */
    snprintf(rogue, sizeof rogue,
             "listen: \"127.0.0.1:1\"\n"
             "leafnodes: {remotes: [{url: \"tls://127.0.0.1:%d\", account: \"$G\",\n"
             "  tls: {cert_file: \"%s\", key_file: \"%s\", ca_file: \"%s\"}}]}\n",
             leaf_port, tf(dir, "leaf-JP", "crt"), tf(dir, "leaf-JP", "key"), tf(dir, "ca", "crt"));
    snprintf(conf, sizeof conf, "%s/rogue.conf", dir);
    assert_int_equal(write_text(conf, rogue), 0);
    assert_int_equal(nats_fixture_start(&bad, conf), 0);
    mwx_nats_opts_t o = {0};
    o.url = bad.url;
    o.direct = 1;
    if (mwx_bus_nats_open(&o, &r, &err) != 0)
        fail_msg("rogue leaf client: %s", err.msg);
    /* a JP feed's consumer on the hub itself */
    mwx_bus_t *jp;
    counter_t got_meas;
    memset(&got_meas, 0, sizeof got_meas);
    if (open_as(hub.url, dir, "node-JP", NULL, &jp, &err) != 0)
        fail_msg("JP at the hub: %s", err.msg);
    assert_int_equal(mwx_bus_subscribe(jp, "mwx-meas.JP", on_count, &got_meas, &err), 0);
    assert_int_equal(mwx_bus_flush(jp, 2.0, &err), 0);
    /* US on the hub itself */
    if (open_as(hub.url, dir, "node-US", NULL, &us, &err) != 0)
        fail_msg("US at the hub: %s", err.msg);
    assert_int_equal(mwx_bus_subscribe(us, "mwx.*.JP.US", on_count, &got_jp, &err), 0);
    assert_int_equal(mwx_bus_subscribe(us, "mwx.*.KR.US", on_count, &got_kr, &err), 0);
    assert_int_equal(mwx_bus_flush(us, 2.0, &err), 0);
    /* until the rogue leaf has joined and interest has reached it, JP's own subject */
    int ok = 0;
    for (int k = 0; k < 500 && !ok; k++) {
        assert_int_equal(mwx_bus_publish(r, "mwx.hb.JP.US", (const uint8_t *)"h", 1, &err), 0);
        (void)mwx_bus_flush(r, 1.0, &err);
        usleep(10000);
        ok = atomic_load(&got_jp.n) > 0;
    }
    if (!ok)
        fail_msg("the rogue JP leaf never carried JP's own traffic to US");
    for (int k = 0; k < 20; k++) {
        assert_int_equal(mwx_bus_publish(r, "mwx.track.KR.US", (const uint8_t *)"x", 1, &err), 0);
        /* within JP's own account too, the leaf may carry only what a JP node may
         * publish: not measurements (the hub's permissions for the leaf user) */
        assert_int_equal(mwx_bus_publish(r, "mwx-meas.JP", (const uint8_t *)"m", 1, &err), 0);
    }
    atomic_store(&got_jp.n, 0);
    assert_int_equal(mwx_bus_publish(r, "mwx.track.JP.US", (const uint8_t *)"j", 1, &err), 0);
    assert_int_equal(mwx_bus_flush(r, 2.0, &err), 0);
    assert_true(wait_count(&got_jp, 1) >= 1);
    usleep(100000);
    assert_int_equal(atomic_load(&got_kr.n), 0);
    assert_int_equal(atomic_load(&got_meas.n), 0);
    mwx_bus_close(jp);
    mwx_bus_close(r);
    mwx_bus_close(us);
    nats_fixture_stop(&bad);
    nats_fixture_stop(&leaf_kr);
    nats_fixture_stop(&hub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_certificates),
        cmocka_unit_test(test_tls_server_refuses),
        cmocka_unit_test(test_tls_leaf_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
