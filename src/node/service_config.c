/* `mwx node` configuration: strict JSON (docs/NODE.md). */
#include "mwx/node.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int resolve(const mwx_jpath_t *jp, const char *key, const char *base, const char *rel,
                   char *out, size_t n, mwx_err_t *err)
{
    int w;
    if (rel[0] == '/' || !base[0])
        w = snprintf(out, n, "%s", rel);
    else
        w = snprintf(out, n, "%s/%s", base, rel);
    if (w < 0 || (size_t)w >= n)
        return mwx_jpath_error(jp, key, err, "path too long");
    return MWX_OK;
}

static int path_key(const mwx_jpath_t *jp, const json_t *root, const char *key, int required,
                    const char *base, char *out, size_t n, mwx_err_t *err)
{
    char tmp[MWX_PATH_LEN];
    int rc = mwx_json_string(jp, root, key, required, "", tmp, sizeof tmp, err);
    if (rc != MWX_OK)
        return rc;
    if (!tmp[0]) {
        if (required || json_object_get(root, key))
            return mwx_jpath_error(jp, key, err, "expected a non-empty path");
        out[0] = 0;
        return MWX_OK;
    }
    return resolve(jp, key, base, tmp, out, n, err);
}

static int bus_ok(const char *bus)
{
    char tmp[512];
    if (strcmp(bus, "inproc") == 0)
        return 1;
    mwx_strlcpy(tmp, bus, sizeof tmp);
    for (char *save = NULL, *u = strtok_r(tmp, ",", &save); u; u = strtok_r(NULL, ",", &save)) {
        while (*u == ' ')
            u++;
        if (strncmp(u, "nats://", 7) != 0 && strncmp(u, "tls://", 6) != 0)
            return 0;
        if (!u[u[0] == 'n' ? 7 : 6])
            return 0;
    }
    return tmp[0] != 0;
}

/* "retention": {"segment_bytes", "segment_age_s", "keep_bytes", "keep_age_s",
 * "disk_low_bytes", "alerts_keep_bytes", "alerts_keep_age_s"}; 0 turns a limit off; the
 * alerts/ limits default to keep_bytes and keep_age_s. */
static int retention(mwx_jpath_t *jp, const json_t *root, mwx_node_service_cfg_t *c, mwx_err_t *err)
{
    static const char *const keys[] = {
        "segment_bytes",  "segment_age_s",     "keep_bytes",        "keep_age_s",
        "disk_low_bytes", "alerts_keep_bytes", "alerts_keep_age_s", NULL};
    mwx_retention_t *r = &c->retention;
    double akb = -1, aka = -1;
    const json_t *o = json_object_get(root, "retention");
    double sb = MWX_NODE_SEGMENT_BYTES, sa = MWX_NODE_SEGMENT_AGE_S, kb = MWX_NODE_KEEP_BYTES,
           ka = MWX_NODE_KEEP_AGE_S, dl = MWX_NODE_DISK_LOW_BYTES;
    int rc = MWX_OK;
    if (o) {
        size_t old = mwx_jpath_key(jp, "retention");
        if (!json_is_object(o))
            rc = mwx_jpath_error(jp, NULL, err,
                                 "expected an object (segment_bytes, segment_age_s, "
                                 "keep_bytes, keep_age_s, disk_low_bytes, alerts_keep_bytes, "
                                 "alerts_keep_age_s)");
        else if ((rc = mwx_json_check_object(jp, o, keys, err)) ||
                 (rc = mwx_json_number(jp, o, "segment_bytes", 0, sb, 0, 1e15, &sb, err)) ||
                 (rc = mwx_json_number(jp, o, "segment_age_s", 0, sa, 0, 1e10, &sa, err)) ||
                 (rc = mwx_json_number(jp, o, "keep_bytes", 0, kb, 0, 1e18, &kb, err)) ||
                 (rc = mwx_json_number(jp, o, "keep_age_s", 0, ka, 0, 1e10, &ka, err)) ||
                 (rc = mwx_json_number(jp, o, "disk_low_bytes", 0, dl, 0, 1e18, &dl, err)) ||
                 (json_object_get(o, "alerts_keep_bytes") &&
                  (rc = mwx_json_number(jp, o, "alerts_keep_bytes", 0, 0, 0, 1e18, &akb, err))) ||
                 (json_object_get(o, "alerts_keep_age_s") &&
                  (rc = mwx_json_number(jp, o, "alerts_keep_age_s", 0, 0, 0, 1e10, &aka, err))))
            ;
        else if (sb != 0 && sb < 4096)
            rc = mwx_jpath_error(jp, "segment_bytes", err,
                                 "expected 0 (no rotation by size) or at least 4096");
        else if (sb != (double)(uint64_t)sb || kb != (double)(uint64_t)kb)
            rc = mwx_jpath_error(jp, sb != (double)(uint64_t)sb ? "segment_bytes" : "keep_bytes",
                                 err, "expected a whole number of bytes");
        mwx_jpath_pop(jp, old);
    }
    r->segment_bytes = (uint64_t)sb;
    r->segment_age_s = sa;
    r->keep_bytes = (uint64_t)kb;
    r->keep_age_s = ka;
    c->disk_low_bytes = (uint64_t)dl;
    c->alerts_keep_bytes = akb >= 0 ? (uint64_t)akb : r->keep_bytes;
    c->alerts_keep_age_s = aka >= 0 ? aka : ka;
    return rc;
}

/* "tls": {"ca", "cert", "key", "server_name"}: mutual TLS to the NATS server. The files
 * are checked now, so that a wrong one stops the node at start (exit 1) naming it. */
static int tls_cfg(mwx_jpath_t *jp, const json_t *root, const char *base, mwx_node_service_cfg_t *c,
                   mwx_err_t *err)
{
    static const char *const keys[] = {"ca", "cert", "key", "server_name", NULL};
    const json_t *o = json_object_get(root, "tls");
    int rc;
    if (!o)
        return MWX_OK;
    size_t old = mwx_jpath_key(jp, "tls");
    if (!json_is_object(o))
        rc = mwx_jpath_error(jp, NULL, err, "expected an object (ca, cert, key[, server_name])");
    else if ((rc = mwx_json_check_object(jp, o, keys, err)) ||
             (rc = path_key(jp, o, "ca", 1, base, c->tls_ca, sizeof c->tls_ca, err)) ||
             (rc = path_key(jp, o, "cert", 1, base, c->tls_cert, sizeof c->tls_cert, err)) ||
             (rc = path_key(jp, o, "key", 1, base, c->tls_key, sizeof c->tls_key, err)) ||
             (rc = mwx_json_string(jp, o, "server_name", 0, "", c->tls_server_name,
                                   sizeof c->tls_server_name, err)))
        ;
    else if (strcmp(c->bus, "inproc") == 0)
        rc = mwx_jpath_error(jp, NULL, err, "TLS needs a NATS bus, not \"inproc\"");
    else if ((rc = mwx_nats_tls_check(c->tls_ca, c->tls_cert, c->tls_key, err)) != MWX_OK)
        mwx_err_prefix(err, "%s: $.tls", c->file);
    mwx_jpath_pop(jp, old);
    return rc;
}

int mwx_node_config_load(const char *path, mwx_node_service_cfg_t *c, mwx_err_t *err)
{
    static const char *const keys[] = {
        "nation",   "bus",       "key",   "trust",    "sensors",          "regions",
        "outputs",  "http",      "creds", "speed",    "start_unix",       "exit_at_end",
        "stale_s",  "feed",      "tak",   "log_file", "log_format",       "cap_key",
        "cap_cert", "retention", "tls",   "sessions", "replay_horizon_s", NULL};
    static const char *const log_formats[] = {"text", "json", NULL};
    static const char *const feeds[] = {"scenario", "bus", NULL};
    json_t *root = NULL, *trust, *v;
    mwx_jpath_t jp;
    char base[MWX_PATH_LEN] = "";
    const char *slash;
    const char *k;
    int rc;

    memset(c, 0, sizeof *c);
    mwx_strlcpy(c->file, path, sizeof c->file);
    slash = strrchr(path, '/');
    if (slash) {
        size_t n = (size_t)(slash - path);
        if (n == 0)
            n = 1;
        if (n >= sizeof base)
            return mwx_err_set(err, MWX_EINVAL, "%s: path too long", path);
        memcpy(base, path, n);
        base[n] = 0;
    }
    if ((rc = mwx_json_load_file(path, &root, err)) != MWX_OK)
        return rc;
    mwx_jpath_init(&jp, path);
    if ((rc = mwx_json_check_object(&jp, root, keys, err)) != MWX_OK)
        goto out;
    if ((rc = mwx_json_string(&jp, root, "nation", 1, NULL, c->nation, sizeof c->nation, err)) !=
        MWX_OK)
        goto out;
    if (!c->nation[0] || strspn(c->nation, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                           "0123456789-_") != strlen(c->nation)) {
        rc = mwx_jpath_error(&jp, "nation", err, "expected a nation id ([A-Za-z0-9_-]{1,31})");
        goto out;
    }
    if ((rc = mwx_json_string(&jp, root, "bus", 1, NULL, c->bus, sizeof c->bus, err)) != MWX_OK)
        goto out;
    if (!bus_ok(c->bus)) {
        rc = mwx_jpath_error(&jp, "bus", err,
                             "expected \"inproc\" or NATS URLs (nats://HOST:PORT[,nats://...])");
        goto out;
    }
    if ((rc = path_key(&jp, root, "key", 1, base, c->key_path, sizeof c->key_path, err)) ||
        (rc = path_key(&jp, root, "sensors", 1, base, c->sensors_path, sizeof c->sensors_path,
                       err)) ||
        (rc = path_key(&jp, root, "outputs", 1, base, c->outputs, sizeof c->outputs, err)) ||
        (rc = path_key(&jp, root, "regions", 0, base, c->regions_path, sizeof c->regions_path,
                       err)) ||
        (rc = path_key(&jp, root, "creds", 0, base, c->creds_path, sizeof c->creds_path, err)) ||
        (rc = path_key(&jp, root, "cap_key", 0, base, c->cap_key, sizeof c->cap_key, err)) ||
        (rc = path_key(&jp, root, "cap_cert", 0, base, c->cap_cert, sizeof c->cap_cert, err)))
        goto out;
    if (!c->cap_key[0] != !c->cap_cert[0]) {
        rc = mwx_jpath_error(&jp, c->cap_key[0] ? "cap_cert" : "cap_key", err,
                             "expected a path: cap_key and cap_cert go together");
        goto out;
    }
    trust = json_object_get(root, "trust");
    if (trust) {
        size_t old = mwx_jpath_key(&jp, "trust");
        if (!json_is_object(trust)) {
            rc = mwx_jpath_error(&jp, NULL, err, "expected an object (nation -> public key file)");
            goto out;
        }
        json_object_foreach(trust, k, v)
        {
            if (c->n_trust >= MWX_NODE_MAX_TRUST) {
                rc = mwx_jpath_error(&jp, k, err, "more than %d trusted nations",
                                     MWX_NODE_MAX_TRUST);
                goto out;
            }
            if (!k[0] || strlen(k) >= MWX_ID_LEN) {
                rc = mwx_jpath_error(&jp, k, err, "expected a nation id");
                goto out;
            }
            if ((rc = path_key(&jp, trust, k, 1, base, c->trust_path[c->n_trust],
                               sizeof c->trust_path[0], err)) != MWX_OK)
                goto out;
            mwx_strlcpy(c->trust_nation[c->n_trust], k, MWX_ID_LEN);
            c->n_trust++;
        }
        mwx_jpath_pop(&jp, old);
    }
    if ((rc = mwx_json_string(&jp, root, "http", 0, "", c->http, sizeof c->http, err)) != MWX_OK ||
        (rc = mwx_json_string(&jp, root, "tak", 0, "", c->tak, sizeof c->tak, err)) != MWX_OK)
        goto out;
    if (c->tak[0] && strncmp(c->tak, "udp://", 6) != 0 && strncmp(c->tak, "tcp://", 6) != 0) {
        rc =
            mwx_jpath_error(&jp, "tak", err, "expected \"udp://HOST:PORT\" or \"tcp://HOST:PORT\"");
        goto out;
    }
    if (c->http[0]) {
        const char *colon = strrchr(c->http, ':');
        char *end;
        long port = colon ? strtol(colon + 1, &end, 10) : -1;
        if (!colon || colon == c->http || !colon[1] || *end || port < 0 || port > 65535) {
            rc = mwx_jpath_error(&jp, "http", err, "expected \"HOST:PORT\" (e.g. 127.0.0.1:8080)");
            goto out;
        }
    }
    if ((rc = mwx_json_number(&jp, root, "speed", 0, 1.0, 1e-3, 1000.0, &c->speed, err)) ||
        (rc = mwx_json_number(&jp, root, "start_unix", 0, 0.0, 0.0, 1e11, &c->start_unix, err)) ||
        (rc = mwx_json_bool(&jp, root, "exit_at_end", 0, 0, &c->exit_at_end, err)) ||
        (rc = mwx_json_bool(&jp, root, "sessions", 0, 1, &c->sessions, err)) ||
        (rc = mwx_json_number(&jp, root, "stale_s", 0, 600.0, 1.0, 1e7, &c->stale_s, err)) ||
        (rc = mwx_json_number(&jp, root, "replay_horizon_s", 0, MWX_NODE_REPLAY_HORIZON_S, 0.0, 1e9,
                              &c->replay_horizon_s, err)) ||
        (rc = mwx_json_enum(&jp, root, "feed", 0, MWX_FEED_SCENARIO, feeds, &c->feed, err)) ||
        (rc = mwx_json_enum(&jp, root, "log_format", 0, 0, log_formats, &c->log_json, err)) ||
        (rc = retention(&jp, root, c, err)) || (rc = tls_cfg(&jp, root, base, c, err)))
        goto out;
    if (json_object_get(root, "log_file") &&
        (rc = path_key(&jp, root, "log_file", 0, base, c->log_path, sizeof c->log_path, err)))
        goto out;
    if (c->feed == MWX_FEED_BUS && strcmp(c->bus, "inproc") == 0)
        rc = mwx_jpath_error(&jp, "feed", err,
                             "\"bus\" needs a NATS bus (an inproc node has no sensors on it)");
    else if (c->feed == MWX_FEED_BUS && c->start_unix <= 0)
        rc = mwx_jpath_error(&jp, "feed", err,
                             "\"bus\" needs start_unix: the wall time of scenario t = 0, "
                             "the same as the feed's (mwx feed --start-unix)");
out:
    json_decref(root);
    return rc;
}
