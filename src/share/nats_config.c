/* nats-server configuration that enforces a sharing policy on the server itself.
 *
 * One account per nation, one user per account. Nation O's account exports the stream
 * mwx.*.O.R and the service mwx-gap.O.R only to account R, and only when O releases to R;
 * R imports exactly those. Within its account a user may publish only mwx.*.O.* (its own
 * origin) and mwx-gap.*.O (its own requests), and subscribe only to mwx.*.*.O,
 * mwx-gap.O.*, _INBOX.> (request replies) and mwx-meas.O (its sensor feed). So a nation's
 * account can never see a subject its partner did not release to it, whatever its client
 * does. A second user per account, O-sensors, may only publish mwx-meas.O (`mwx feed`).
 *
 * With --tls every listener is TLS-only and requires a client certificate of the network's
 * CA (`verify_and_map`): a user is then known by its certificate's subject
 * ("CN=node,OU=O,O=mwx"), not a password, and the same permissions apply. One CA for the
 * whole network, not one per nation: nats-server trusts every CA of its ca_file alike and
 * maps a certificate to a user by its subject alone, so with per-nation CAs in one bundle
 * any nation's CA could issue "OU=KR" and act as KR at the hub. nats-config already holds
 * every nation's secrets (it writes every password today); the CA key is needed only to
 * issue certificates and belongs offline after that (docs/SHARING.md). */
#include "share_int.h"

#include "core/buf.h"

#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* dir/name, written whole and atomically (core's writer: temp file, fsync, rename). */
static int write_file(const char *dir, const char *name, const char *text, size_t len,
                      unsigned mode, mwx_err_t *err)
{
    char path[MWX_PATH_LEN];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return mwx_err_set(err, MWX_EINVAL, "%s: path too long", dir);
    return mwx_file_write_atomic(path, text, len, mode, err);
}

/* What every config of one run shares. */
typedef struct cfg {
    const mwx_policy_t *p;
    const mwx_nats_config_opts_t *o;
    const char *host;
    int port, leaf_port;
    int tls;
    char tdir[MWX_PATH_LEN]; /* absolute DIR/tls (TLS) */
    char pw[MWX_MAX_NATIONS][65], pw_sensors[MWX_MAX_NATIONS][65], pw_leaf[MWX_MAX_NATIONS][65];
} cfg_t;

/* How a user authenticates: a password, or (TLS) the subject of its client certificate,
 * which nats-server's verify_and_map matches. role: "node", "sensors" or "leaf". */
static void user_id(mwx_buf_t *b, const cfg_t *c, int i, const char *role)
{
    const char *o = c->p->nation[i];
    if (c->tls)
        mwxi_buf_printf(b, "user: \"CN=%s,OU=%s,O=mwx\"", role, o);
    else if (strcmp(role, "sensors") == 0)
        mwxi_buf_printf(b, "user: \"%s-sensors\", password: \"%s\"", o, c->pw_sensors[i]);
    else if (strcmp(role, "leaf") == 0)
        mwxi_buf_printf(b, "user: \"%s-leaf\", password: \"%s\"", o, c->pw_leaf[i]);
    else
        mwxi_buf_printf(b, "user: \"%s\", password: \"%s\"", o, c->pw[i]);
}

/* A node's rules. A leaf server's connection to the hub gets the same (what it may carry
 * for its nation), plus _R_.>: replies to service imports (partners' gap requests) come
 * back from the leaf on _R_ subjects, and a leafnode connection has no allow_responses. */
static void node_perms(mwx_buf_t *b, const char *o, const char *indent, int leaf)
{
    mwxi_buf_printf(b, "permissions: {\n");
    mwxi_buf_printf(b, "%s  publish: {allow: [\"mwx.*.%s.*\", \"mwx-gap.*.%s\"%s]},\n", indent, o,
                    o, leaf ? ", \"_R_.>\"" : "");
    mwxi_buf_printf(b,
                    "%s  subscribe: {allow: [\"mwx.*.*.%s\", \"mwx-gap.%s.*\", \"_INBOX.>\", "
                    "\"mwx-meas.%s\"]},\n",
                    indent, o, o, o);
    mwxi_buf_printf(b, "%s  allow_responses: true}", indent);
}

/* The users of nation i's account: its nodes, its sensor feed (may publish mwx-meas.O,
 * nothing else), and on the hub its leaf server's connection (a user of its own that can
 * only be a leafnode connection, as the others can only be clients). */
static void users_block(mwx_buf_t *b, const cfg_t *c, int i, int with_leaf)
{
    const char *o = c->p->nation[i];
    const char *types = ", allowed_connection_types: [\"STANDARD\"]";
    mwxi_buf_printf(b, "    users: [\n      {");
    user_id(b, c, i, "node");
    mwxi_buf_printf(b, "%s, ", types);
    node_perms(b, o, "      ", 0);
    mwxi_buf_printf(b, "},\n      {");
    user_id(b, c, i, "sensors");
    mwxi_buf_printf(b, "%s, permissions: {\n", types);
    mwxi_buf_printf(b, "        publish: {allow: [\"mwx-meas.%s\"]},\n", o);
    mwxi_buf_printf(b, "        subscribe: {deny: [\">\"]}}}");
    if (with_leaf) {
        /* the leaf server of nation O joins as O, with O's rules: whatever its own config
         * says, the hub takes from it only O's subjects and gives it only O's */
        mwxi_buf_printf(b, ",\n      {");
        user_id(b, c, i, "leaf");
        mwxi_buf_printf(b, ", allowed_connection_types: [\"LEAFNODE\"], ");
        node_perms(b, o, "      ", 1);
        mwxi_buf_printf(b, "}");
    }
    mwxi_buf_printf(b, "\n    ]\n");
}

static void accounts_block(mwx_buf_t *b, const cfg_t *c)
{
    const mwx_policy_t *p = c->p;
    mwxi_buf_printf(b, "accounts: {\n");
    for (int i = 0; i < p->n; i++) {
        const char *o = p->nation[i];
        mwxi_buf_printf(b, "  %s: {\n", o);
        users_block(b, c, i, c->o && c->o->hub_leaf);
        mwxi_buf_printf(b, "    exports: [\n");
        for (int j = 0; j < p->n; j++)
            if (p->to[i] >> j & 1u) {
                mwxi_buf_printf(b, "      {stream: \"mwx.*.%s.%s\", accounts: [\"%s\"]},\n", o,
                                p->nation[j], p->nation[j]);
                mwxi_buf_printf(b, "      {service: \"mwx-gap.%s.%s\", accounts: [\"%s\"]},\n", o,
                                p->nation[j], p->nation[j]);
            }
        mwxi_buf_printf(b, "    ]\n    imports: [\n");
        for (int j = 0; j < p->n; j++)
            if (p->to[j] >> i & 1u) {
                mwxi_buf_printf(b, "      {stream: {account: \"%s\", subject: \"mwx.*.%s.%s\"}},\n",
                                p->nation[j], p->nation[j], o);
                mwxi_buf_printf(b,
                                "      {service: {account: \"%s\", subject: \"mwx-gap.%s.%s\"}},\n",
                                p->nation[j], p->nation[j], o);
            }
        mwxi_buf_printf(b, "    ]\n  }\n");
    }
    mwxi_buf_printf(b, "}\n");
}

/* A listener's tls block: TLS-only, a client certificate of the CA required and mapped to
 * a user (verify_and_map). who: the server certificate's base name. */
static void tls_block(mwx_buf_t *b, const cfg_t *c, const char *who, const char *indent)
{
    mwxi_buf_printf(b, "%stls: {\n", indent);
    mwxi_buf_printf(b, "%s  cert_file: \"%s/%s.crt\"\n", indent, c->tdir, who);
    mwxi_buf_printf(b, "%s  key_file: \"%s/%s.key\"\n", indent, c->tdir, who);
    mwxi_buf_printf(b, "%s  ca_file: \"%s/ca.crt\"\n", indent, c->tdir);
    mwxi_buf_printf(b, "%s  verify_and_map: true\n", indent);
    mwxi_buf_printf(b, "%s  timeout: 2\n", indent);
    mwxi_buf_printf(b, "%s}\n", indent);
}

/* ---- certificates (DIR/tls) */

static int tls_path(char *out, const cfg_t *c, const char *name, const char *ext, mwx_err_t *err)
{
    if (snprintf(out, MWX_PATH_LEN, "%s/%s.%s", c->tdir, name, ext) >= MWX_PATH_LEN)
        return mwx_err_set(err, MWX_EINVAL, "%s: path too long", c->tdir);
    return MWX_OK;
}

/* A certificate issued by the network's CA: name.key + name.crt. */
static int issue(const cfg_t *c, const char *name, mwx_pki_subject_t *s, mwx_err_t *err)
{
    char cak[MWX_PATH_LEN], cac[MWX_PATH_LEN], key[MWX_PATH_LEN], crt[MWX_PATH_LEN];
    int rc;
    if ((rc = tls_path(cak, c, "ca", "key", err)) || (rc = tls_path(cac, c, "ca", "crt", err)) ||
        (rc = tls_path(key, c, name, "key", err)) || (rc = tls_path(crt, c, name, "crt", err)))
        return rc;
    s->org = "mwx";
    s->days = c->o ? c->o->tls_days : 0;
    return mwx_pki_issue(cak, cac, s, key, crt, 1, err);
}

#define MAX_SANS 24

/* A server's certificate: serverAuth (a leaf's also clientAuth: it is the leaf's client
 * certificate towards the hub), names: localhost, WHO.mwx (a stable name to check,
 * docs/SHARING.md), 127.0.0.1, the listen address (--host), and the --tls-name
 * entries for every server ("NAME") or this one ("WHO=NAME"). */
static int issue_server(const cfg_t *c, const char *who, const char *nation, unsigned usage,
                        mwx_err_t *err)
{
    const char *dns[MAX_SANS], *ips[MAX_SANS];
    char ident[MWX_ID_LEN + 16];
    size_t nd = 0, ni = 0;
    unsigned char a[16];
    mwx_pki_subject_t s;
    snprintf(ident, sizeof ident, "%s.mwx", who);
    dns[nd++] = "localhost";
    dns[nd++] = ident;
    ips[ni++] = "127.0.0.1";
    if (strcmp(c->host, "127.0.0.1") != 0 && strcmp(c->host, "0.0.0.0") != 0 &&
        strcmp(c->host, "::") != 0 && strcmp(c->host, "localhost") != 0) {
        if (inet_pton(AF_INET, c->host, a) == 1 || inet_pton(AF_INET6, c->host, a) == 1)
            ips[ni++] = c->host;
        else
            dns[nd++] = c->host;
    }
    for (size_t k = 0; c->o && k < c->o->n_tls_names; k++) {
        const char *n = c->o->tls_names[k], *eq = strchr(n, '=');
        if (eq) {
            size_t wl = (size_t)(eq - n);
            if (!(strlen(who) == wl && strncmp(n, who, wl) == 0) &&
                !(nation && strlen(nation) == wl && strncmp(n, nation, wl) == 0))
                continue;
            n = eq + 1;
        }
        if (nd >= MAX_SANS || ni >= MAX_SANS)
            return mwx_err_set(err, MWX_EINVAL, "--tls-name: more than %d names", MAX_SANS - 3);
        if (inet_pton(AF_INET, n, a) == 1 || inet_pton(AF_INET6, n, a) == 1)
            ips[ni++] = n;
        else
            dns[nd++] = n;
    }
    memset(&s, 0, sizeof s);
    s.common_name = nation ? "leaf" : who;
    s.org_unit = nation;
    s.dns = dns;
    s.n_dns = nd;
    s.ips = ips;
    s.n_ips = ni;
    s.usage = usage;
    return issue(c, who, &s, err);
}

static int issue_client(const cfg_t *c, const char *role, const char *nation, mwx_err_t *err)
{
    char name[MWX_ID_LEN + 16];
    mwx_pki_subject_t s;
    snprintf(name, sizeof name, "%s-%s", role, nation);
    memset(&s, 0, sizeof s);
    s.common_name = role;
    s.org_unit = nation;
    s.usage = MWX_PKI_TLS_CLIENT;
    return issue(c, name, &s, err);
}

/* DIR/tls: the CA (kept when one is there, so that a re-run for a new policy does not
 * invalidate certificates already handed out), then fresh server and client ones. */
static int tls_material(const cfg_t *c, mwx_err_t *err)
{
    const mwx_policy_t *p = c->p;
    char cak[MWX_PATH_LEN], cac[MWX_PATH_LEN];
    int rc, hub_leaf = c->o && c->o->hub_leaf;
    struct stat st;
    if ((rc = mwx_mkdir_p(c->tdir, 0700, err)) || (rc = tls_path(cak, c, "ca", "key", err)) ||
        (rc = tls_path(cac, c, "ca", "crt", err)))
        return rc;
    if (stat(cak, &st) == 0 && stat(cac, &st) == 0) {
        if ((rc = mwx_pki_verify(NULL, cac, cak, NULL, 0, err)) != MWX_OK) {
            mwx_err_prefix(err, "the CA in %s", c->tdir);
            return rc;
        }
    } else {
        mwx_pki_subject_t ca;
        memset(&ca, 0, sizeof ca);
        ca.common_name = "mwx sharing network CA";
        ca.org = "mwx";
        if ((rc = mwx_pki_make_ca(&ca, cak, cac, 1, err)) != MWX_OK)
            return rc;
    }
    if ((rc = issue_server(c, hub_leaf ? "hub" : "nats", NULL, MWX_PKI_TLS_SERVER, err)))
        return rc;
    for (int i = 0; i < p->n; i++) {
        char who[MWX_ID_LEN + 8];
        snprintf(who, sizeof who, "leaf-%s", p->nation[i]);
        if ((hub_leaf && (rc = issue_server(c, who, p->nation[i],
                                            MWX_PKI_TLS_SERVER | MWX_PKI_TLS_CLIENT, err))) ||
            (rc = issue_client(c, "node", p->nation[i], err)) ||
            (rc = issue_client(c, "sensors", p->nation[i], err)))
            return rc;
    }
    return MWX_OK;
}

static int write_sb(mwx_buf_t *b, const char *dir, const char *name, mwx_err_t *err)
{
    if (b->oom)
        return mwx_err_set(err, MWX_ENOMEM, "nats-config: out of memory");
    return write_file(dir, name, b->p, b->len, 0600, err);
}

int mwx_nats_config_write(const mwx_policy_t *p, const mwx_nats_config_opts_t *o, const char *dir,
                          mwx_err_t *err)
{
    cfg_t *c;
    struct stat st;
    mwx_buf_t b = {0};
    int rc = MWX_OK;
    int hub_leaf = o && o->hub_leaf;

    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return mwx_err_set(err, MWX_EIO, "%s: not a directory", dir);
    if (p->n == 0)
        return mwx_err_set(err, MWX_EINVAL, "policy has no nations");
    if (sodium_init() < 0)
        return mwx_err_set(err, MWX_ECRYPTO, "libsodium failed to initialise");
    if (!(c = calloc(1, sizeof *c)))
        return mwx_err_set(err, MWX_ENOMEM, "nats-config: out of memory");
    c->p = p;
    c->o = o;
    c->host = o && o->host ? o->host : "127.0.0.1";
    c->port = o && o->port ? o->port : 4222;
    c->leaf_port = o && o->leaf_port ? o->leaf_port : 7422;
    c->tls = o && o->tls;
    for (int i = 0; i < p->n; i++) {
        uint8_t r[32];
        randombytes_buf(r, sizeof r);
        sodium_bin2hex(c->pw[i], sizeof c->pw[i], r, sizeof r);
        randombytes_buf(r, sizeof r);
        sodium_bin2hex(c->pw_sensors[i], sizeof c->pw_sensors[i], r, sizeof r);
        randombytes_buf(r, sizeof r);
        sodium_bin2hex(c->pw_leaf[i], sizeof c->pw_leaf[i], r, sizeof r);
    }
    if (c->tls) {
        /* absolute paths in the configs: nats-server reads them relative to its own
         * working directory, not the config's */
        char real[PATH_MAX];
        if (!realpath(dir, real) ||
            snprintf(c->tdir, sizeof c->tdir, "%s/tls", real) >= (int)sizeof c->tdir) {
            rc = mwx_err_set(err, MWX_EIO, "%s: %s", dir, strerror(errno));
            goto out;
        }
        if ((rc = tls_material(c, err)) != MWX_OK)
            goto out;
    }

    mwxi_buf_printf(&b,
                    "# nats-server configuration generated by `mwx nats-config`.\n"
                    "# One account per nation; exports/imports enforce the sharing policy:\n"
                    "# mwx.<kind>.<origin>.<recipient> reaches <recipient> only when\n"
                    "# <origin> releases to it. Keep this file secret%s.\n",
                    c->tls ? "" : " (passwords)");
    for (int i = 0; i < p->n; i++) {
        mwxi_buf_printf(&b, "#   %s ->", p->nation[i]);
        int any = 0;
        for (int j = 0; j < p->n; j++)
            if (p->to[i] >> j & 1u) {
                mwxi_buf_printf(&b, " %s", p->nation[j]);
                any = 1;
            }
        mwxi_buf_printf(&b, "%s\n", any ? "" : " (nobody)");
    }
    if (c->tls)
        mwxi_buf_printf(&b,
                        "# TLS only: every client presents a certificate of %s/ca.crt and is\n"
                        "# the user its subject names (verify_and_map). No monitoring port.\n",
                        c->tdir);
    mwxi_buf_printf(&b, "listen: \"%s:%d\"\n", c->host, c->port);
    if (c->tls)
        tls_block(&b, c, hub_leaf ? "hub" : "nats", "");
    if (hub_leaf) {
        mwxi_buf_printf(&b, "leafnodes: {\n  listen: \"%s:%d\"\n", c->host, c->leaf_port);
        if (c->tls)
            tls_block(&b, c, "hub", "  ");
        mwxi_buf_printf(&b, "}\n");
    }
    accounts_block(&b, c);
    if ((rc = write_sb(&b, dir, hub_leaf ? "hub.conf" : "nats-server.conf", err)) < 0)
        goto out;

    for (int i = 0; i < p->n; i++) {
        const char *n = p->nation[i];
        char name[MWX_ID_LEN + 16];
        if (!c->tls) {
            mwxi_buf_reset(&b);
            mwxi_buf_printf(&b,
                            "# mwx nats credentials for %s (account %s)\nuser=%s\npassword=%s\n", n,
                            n, n, c->pw[i]);
            snprintf(name, sizeof name, "%s.creds", n);
            if ((rc = write_sb(&b, dir, name, err)) < 0)
                goto out;
            mwxi_buf_reset(&b);
            mwxi_buf_printf(&b,
                            "# mwx nats credentials for %s's sensor feed (publishes mwx-meas.%s "
                            "only)\nuser=%s-sensors\npassword=%s\n",
                            n, n, n, c->pw_sensors[i]);
            snprintf(name, sizeof name, "%s-sensors.creds", n);
            if ((rc = write_sb(&b, dir, name, err)) < 0)
                goto out;
        }
        if (!hub_leaf)
            continue;
        /* A nation's own leaf server: its nodes and feed connect locally, under the same
         * rules as at the hub (the leaf's own permissions); the leaf joins the hub as that
         * nation, where the hub's rules apply again. */
        mwxi_buf_reset(&b);
        mwxi_buf_printf(&b,
                        "# leaf server of %s generated by `mwx nats-config --hub-leaf%s`.\n"
                        "# Local nodes connect here; the hub enforces the sharing policy.\n",
                        n, c->tls ? " --tls" : "");
        mwxi_buf_printf(&b, "listen: \"%s:%d\"\n", c->host, c->port + 1 + i);
        if (c->tls) {
            snprintf(name, sizeof name, "leaf-%s", n);
            tls_block(&b, c, name, "");
        }
        mwxi_buf_printf(&b, "accounts: {\n  %s: {\n", n);
        users_block(&b, c, i, 0);
        mwxi_buf_printf(&b, "  }\n}\n");
        if (c->tls)
            mwxi_buf_printf(&b,
                            "leafnodes: {\n  remotes: [\n    {url: \"tls://%s:%d\", account: "
                            "\"%s\",\n     tls: {cert_file: \"%s/leaf-%s.crt\", key_file: "
                            "\"%s/leaf-%s.key\",\n           ca_file: \"%s/ca.crt\", timeout: 2}}\n"
                            "  ]\n}\n",
                            c->host, c->leaf_port, n, c->tdir, n, c->tdir, n, c->tdir);
        else
            mwxi_buf_printf(
                &b,
                "leafnodes: {\n  remotes: [\n    {url: \"nats-leaf://%s-leaf:%s@%s:%d\", "
                "account: \"%s\"}\n  ]\n}\n",
                n, c->pw_leaf[i], c->host, c->leaf_port, n);
        snprintf(name, sizeof name, "leaf-%s.conf", n);
        if ((rc = write_sb(&b, dir, name, err)) < 0)
            goto out;
    }
out:
    sodium_memzero(c, sizeof *c);
    free(c);
    if (b.p)
        sodium_memzero(b.p, b.cap);
    free(b.p);
    return rc;
}
