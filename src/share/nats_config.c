/* nats-server configuration that enforces a sharing policy on the server itself.
 *
 * One account per nation, one user per account. Nation O's account exports the stream
 * mwx.*.O.R and the service mwx-gap.O.R only to account R, and only when O releases to R;
 * R imports exactly those. Within its account a user may publish only mwx.*.O.* (its own
 * origin), mwx-gap.*.O (its own requests) and _R_.> (its answers to them), and subscribe only to mwx.*.*.O,
 * mwx-gap.O.*, _INBOX.> (request replies) and mwx-meas.O (its sensor feed). So a nation's
 * account can never see a subject its partner did not release to it, whatever its client
 * does. A second user per account, O-sensors, may only publish mwx-meas.O (`mwx feed`). */
#include "share_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct sb {
    char *p;
    size_t len, cap;
    int oom;
} sb_t;

static void sb_printf(sb_t *b, const char *fmt, ...) MWX_PRINTF(2, 3);
static void sb_printf(sb_t *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        if (b->oom)
            return;
        size_t room = b->cap - b->len;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)k < room) {
            b->len += (size_t)k;
            return;
        }
        size_t nc = b->cap ? b->cap * 2 : 4096;
        while (nc - b->len <= (size_t)k)
            nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
}

static int write_file(const char *dir, const char *name, const char *text, size_t len,
                      mode_t mode, mwx_err_t *err)
{
    char path[MWX_PATH_LEN], tmp[MWX_PATH_LEN + 8];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return mwx_err_set(err, MWX_EINVAL, "%s: path too long", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        return mwx_err_set(err, MWX_EIO, "%s: %s", tmp, strerror(errno));
    (void)fchmod(fd, mode);
    size_t off = 0;
    while (off < len) {
        ssize_t k = write(fd, text + off, len - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return mwx_err_set(err, MWX_EIO, "%s: %s", tmp, strerror(e));
        }
        off += (size_t)k;
    }
    /* close whatever fsync says: a failed fsync must not leak the descriptor */
    int synced = fsync(fd) == 0 ? 0 : errno;
    if (close(fd) != 0 && !synced)
        synced = errno;
    if (synced || rename(tmp, path) != 0) {
        int e = synced ? synced : errno;
        unlink(tmp);
        return mwx_err_set(err, MWX_EIO, "%s: %s", path, strerror(e));
    }
    return MWX_OK;
}

static void accounts_block(sb_t *b, const mwx_policy_t *p, char pw[][65], char pw_sensors[][65])
{
    sb_printf(b, "accounts: {\n");
    for (int i = 0; i < p->n; i++) {
        const char *o = p->nation[i];
        sb_printf(b, "  %s: {\n", o);
        sb_printf(b, "    users: [\n      {user: \"%s\", password: \"%s\", permissions: {\n",
                  o, pw[i]);
        /* _R_.>: the reply subjects of this account's service imports, i.e. the answers
         * to gap requests made to it. allow_responses does not cross a leaf connection
         * (nats-io/nats-server#2949), so without this a node on its nation's leaf could
         * never answer a partner's gap request (--hub-leaf). It lets a user send only into
         * its own account's reply mappings: answers to requests made to its own
         * services, which receivers verify like any envelope. */
        sb_printf(b, "        publish: {allow: [\"mwx.*.%s.*\", \"mwx-gap.*.%s\", \"_R_.>\"]},\n",
                  o, o);
        sb_printf(b, "        subscribe: {allow: [\"mwx.*.*.%s\", \"mwx-gap.%s.*\", "
                     "\"_INBOX.>\", \"mwx-meas.%s\"]},\n", o, o, o);
        sb_printf(b, "        allow_responses: true}},\n");
        /* the nation's sensor feed (mwx feed): may publish its measurements, nothing else */
        sb_printf(b, "      {user: \"%s-sensors\", password: \"%s\", permissions: {\n", o,
                  pw_sensors[i]);
        sb_printf(b, "        publish: {allow: [\"mwx-meas.%s\"]},\n", o);
        sb_printf(b, "        subscribe: {deny: [\">\"]}}}\n    ]\n");
        sb_printf(b, "    exports: [\n");
        for (int j = 0; j < p->n; j++)
            if (p->to[i] >> j & 1u) {
                sb_printf(b, "      {stream: \"mwx.*.%s.%s\", accounts: [\"%s\"]},\n", o,
                          p->nation[j], p->nation[j]);
                sb_printf(b, "      {service: \"mwx-gap.%s.%s\", accounts: [\"%s\"]},\n", o,
                          p->nation[j], p->nation[j]);
            }
        sb_printf(b, "    ]\n    imports: [\n");
        for (int j = 0; j < p->n; j++)
            if (p->to[j] >> i & 1u) {
                sb_printf(b, "      {stream: {account: \"%s\", subject: \"mwx.*.%s.%s\"}},\n",
                          p->nation[j], p->nation[j], o);
                sb_printf(b, "      {service: {account: \"%s\", subject: \"mwx-gap.%s.%s\"}},\n",
                          p->nation[j], p->nation[j], o);
            }
        sb_printf(b, "    ]\n  }\n");
    }
    sb_printf(b, "}\n");
}

int mwx_nats_config_write(const mwx_policy_t *p, const mwx_nats_config_opts_t *o,
                          const char *dir, mwx_err_t *err)
{
    char pw[MWX_MAX_NATIONS][65], pw_sensors[MWX_MAX_NATIONS][65];
    const char *host = o && o->host ? o->host : "127.0.0.1";
    int port = o && o->port ? o->port : 4222;
    int leaf_port = o && o->leaf_port ? o->leaf_port : 7422;
    struct stat st;
    sb_t b = {0};
    int rc = MWX_OK;

    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return mwx_err_set(err, MWX_EIO, "%s: not a directory", dir);
    if (p->n == 0)
        return mwx_err_set(err, MWX_EINVAL, "policy has no nations");
    if (sodium_init() < 0)
        return mwx_err_set(err, MWX_ECRYPTO, "libsodium failed to initialise");
    for (int i = 0; i < p->n; i++) {
        uint8_t r[32];
        randombytes_buf(r, sizeof r);
        sodium_bin2hex(pw[i], sizeof pw[i], r, sizeof r);
        randombytes_buf(r, sizeof r);
        sodium_bin2hex(pw_sensors[i], sizeof pw_sensors[i], r, sizeof r);
    }

    sb_printf(&b, "# nats-server configuration generated by `mwx nats-config`.\n"
                  "# One account per nation; exports/imports enforce the sharing policy:\n"
                  "# mwx.<kind>.<origin>.<recipient> reaches <recipient> only when\n"
                  "# <origin> releases to it. Keep this file secret (passwords).\n");
    for (int i = 0; i < p->n; i++) {
        sb_printf(&b, "#   %s ->", p->nation[i]);
        int any = 0;
        for (int j = 0; j < p->n; j++)
            if (p->to[i] >> j & 1u) {
                sb_printf(&b, " %s", p->nation[j]);
                any = 1;
            }
        sb_printf(&b, "%s\n", any ? "" : " (nobody)");
    }
    sb_printf(&b, "listen: \"%s:%d\"\n", host, port);
    if (o && o->hub_leaf)
        sb_printf(&b, "leafnodes: {\n  listen: \"%s:%d\"\n}\n", host, leaf_port);
    accounts_block(&b, p, pw, pw_sensors);
    if (b.oom) {
        rc = mwx_err_set(err, MWX_ENOMEM, "nats-config: out of memory");
        goto out;
    }
    rc = write_file(dir, o && o->hub_leaf ? "hub.conf" : "nats-server.conf", b.p, b.len, 0600,
                    err);
    if (rc < 0)
        goto out;

    for (int i = 0; i < p->n; i++) {
        char name[MWX_ID_LEN + 16];
        b.len = 0;
        sb_printf(&b, "# mwx nats credentials for %s (account %s)\nuser=%s\npassword=%s\n",
                  p->nation[i], p->nation[i], p->nation[i], pw[i]);
        snprintf(name, sizeof name, "%s.creds", p->nation[i]);
        if (b.oom || (rc = write_file(dir, name, b.p, b.len, 0600, err)) < 0) {
            if (b.oom)
                rc = mwx_err_set(err, MWX_ENOMEM, "nats-config: out of memory");
            goto out;
        }
        b.len = 0;
        sb_printf(&b, "# mwx nats credentials for %s's sensor feed (publishes mwx-meas.%s "
                      "only)\nuser=%s-sensors\npassword=%s\n",
                  p->nation[i], p->nation[i], p->nation[i], pw_sensors[i]);
        snprintf(name, sizeof name, "%s-sensors.creds", p->nation[i]);
        if (b.oom || (rc = write_file(dir, name, b.p, b.len, 0600, err)) < 0) {
            if (b.oom)
                rc = mwx_err_set(err, MWX_ENOMEM, "nats-config: out of memory");
            goto out;
        }
        if (!(o && o->hub_leaf))
            continue;
        /* A nation's own leaf server: its nodes connect locally with the same user; the
         * leaf joins the hub as that nation's account, where the hub's rules apply. */
        b.len = 0;
        sb_printf(&b, "# leaf server of %s generated by `mwx nats-config --hub-leaf`.\n"
                      "# Local nodes connect here; the hub enforces the sharing policy.\n",
                  p->nation[i]);
        sb_printf(&b, "listen: \"%s:%d\"\n", host, port + 1 + i);
        sb_printf(&b, "accounts: {\n  %s: {\n    users: [{user: \"%s\", password: \"%s\"},\n"
                      "      {user: \"%s-sensors\", password: \"%s\", permissions: "
                      "{publish: {allow: [\"mwx-meas.%s\"]}, subscribe: {deny: [\">\"]}}}]\n"
                      "  }\n}\n", p->nation[i], p->nation[i], pw[i], p->nation[i],
                  pw_sensors[i], p->nation[i]);
        sb_printf(&b, "leafnodes: {\n  remotes: [\n    {url: \"nats-leaf://%s:%s@%s:%d\", "
                      "account: \"%s\"}\n  ]\n}\n",
                  p->nation[i], pw[i], host, leaf_port, p->nation[i]);
        snprintf(name, sizeof name, "leaf-%s.conf", p->nation[i]);
        if (b.oom || (rc = write_file(dir, name, b.p, b.len, 0600, err)) < 0) {
            if (b.oom)
                rc = mwx_err_set(err, MWX_ENOMEM, "nats-config: out of memory");
            goto out;
        }
    }
out:
    sodium_memzero(pw, sizeof pw);
    sodium_memzero(pw_sensors, sizeof pw_sensors);
    if (b.p)
        sodium_memzero(b.p, b.cap);
    free(b.p);
    return rc;
}
