/* mwx nats-config POLICY.json -o DIR: nats-server configuration enforcing the sharing
 * policy (one account per nation, exports/imports per origin and recipient). */
#include "cli.h"
#include "mwx/share.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void help(void)
{
    printf("usage: mwx nats-config POLICY.json -o DIR [--port N] [--host ADDR]\n"
           "                      [--hub-leaf [--leaf-port N]]\n"
           "                      [--tls [--tls-name [WHO=]NAME]... [--tls-days N]]\n\n"
           "POLICY is a scenario or any JSON object with `nations` and `sharing`\n"
           "(other keys are ignored). Writes, each file 0600 and atomically:\n"
           "  DIR/nats-server.conf  one account per nation; account O exports\n"
           "                        mwx.*.O.R (and the gap service mwx-gap.O.R) only to\n"
           "                        the nations R that O releases to, so the server\n"
           "                        itself enforces releasability\n"
           "  DIR/NATION.creds      the nation's user and password (user=..., password=...)\n"
           "With --hub-leaf: DIR/hub.conf (the same accounts plus a leafnode port) and\n"
           "DIR/leaf-NATION.conf per nation (client port PORT+1+i, joins the hub as the\n"
           "nation's account) instead of nats-server.conf. See docs/SHARING.md.\n"
           "With --tls: every listener TLS-only with client certificates required, users\n"
           "known by their certificates, no creds files; DIR/tls/ holds the CA (ca.crt,\n"
           "ca.key: kept when present), the servers' certificates (nats, or hub and\n"
           "leaf-NATION) and the clients' (node-NATION, sensors-NATION), each NAME.crt +\n"
           "NAME.key (0600). See docs/NODE.md for a three-nation walkthrough.\n\n"
           "options:\n"
           "  -o, --out DIR    output folder (created 0700 when missing; required)\n"
           "  --port N         client port in the config (default 4222)\n"
           "  --host ADDR      listen address (default 127.0.0.1)\n"
           "  --hub-leaf       hub + leaf layout\n"
           "  --leaf-port N    the hub's leafnode port (default 7422)\n"
           "  --tls            mutual TLS everywhere (certificates in DIR/tls/)\n"
           "  --tls-name NAME  one more name (DNS or IP) in every server certificate;\n"
           "                   WHO=NAME for one server only (WHO: nats, hub or a nation's\n"
           "                   leaf, e.g. JP=leaf.jp.example). Always there: localhost,\n"
           "                   127.0.0.1, WHO.mwx (e.g. leaf-JP.mwx), the --host address\n"
           "  --tls-days N     validity of the issued certificates (default 825)\n");
}

static int port_arg(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == 0 || *end || v < 1 || v > 65535)
        return -1;
    *out = (int)v;
    return 0;
}

int mwx_cmd_nats_config(int argc, char **argv)
{
    const char *policy_path = NULL, *dir = NULL;
    mwx_nats_config_opts_t o = {0};
    mwx_policy_t p;
    mwx_err_t err;
    const char *names[32];

    if (mwx_cli_wants_help(argc, argv)) {
        help();
        return 0;
    }
    mwx_err_clear(&err);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0 || strcmp(a, "--port") == 0 ||
            strcmp(a, "--host") == 0 || strcmp(a, "--leaf-port") == 0) {
            if (++i >= argc)
                return mwx_cli_usage_error("nats-config", "%s needs a value", a);
            if (a[1] == 'o' || strcmp(a, "--out") == 0)
                dir = argv[i];
            else if (strcmp(a, "--host") == 0)
                o.host = argv[i];
            else if (port_arg(argv[i], strcmp(a, "--port") == 0 ? &o.port : &o.leaf_port) < 0)
                return mwx_cli_usage_error("nats-config", "%s: expected a port 1-65535, got '%s'",
                                           a, argv[i]);
        } else if (strcmp(a, "--hub-leaf") == 0) {
            o.hub_leaf = 1;
        } else if (strcmp(a, "--tls") == 0) {
            o.tls = 1;
        } else if (strcmp(a, "--tls-name") == 0 || strcmp(a, "--tls-days") == 0) {
            if (++i >= argc)
                return mwx_cli_usage_error("nats-config", "%s needs a value", a);
            if (strcmp(a, "--tls-days") == 0) {
                char *end;
                long d = strtol(argv[i], &end, 10);
                if (!argv[i][0] || *end || d < 1 || d > 36500)
                    return mwx_cli_usage_error("nats-config",
                                               "--tls-days: expected 1-36500, got '%s'", argv[i]);
                o.tls_days = (int)d;
            } else {
                const char *v = strchr(argv[i], '=') ? strchr(argv[i], '=') + 1 : argv[i];
                if (o.n_tls_names >= sizeof names / sizeof names[0])
                    return mwx_cli_usage_error("nats-config", "too many --tls-name");
                if (!v[0] || strpbrk(v, ", \"\t"))
                    return mwx_cli_usage_error("nats-config",
                                               "--tls-name: expected a DNS name or an IP "
                                               "address, got '%s'",
                                               argv[i]);
                names[o.n_tls_names++] = argv[i];
                o.tls_names = names;
            }
        } else if (a[0] == '-') {
            return mwx_cli_usage_error("nats-config", "unknown option '%s'", a);
        } else if (!policy_path) {
            policy_path = a;
        } else {
            return mwx_cli_usage_error("nats-config", "unexpected argument '%s'", a);
        }
    }
    if (!policy_path)
        return mwx_cli_usage_error("nats-config", "missing POLICY.json");
    if (!dir)
        return mwx_cli_usage_error("nats-config", "missing -o DIR");
    if (!o.tls && (o.n_tls_names || o.tls_days))
        return mwx_cli_usage_error("nats-config", "--tls-name and --tls-days need --tls");
    if (mwx_policy_load(policy_path, &p, &err) < 0)
        return mwx_cli_fail("nats-config", &err);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        mwx_err_set(&err, MWX_EIO, "%s: %s", dir, strerror(errno));
        return mwx_cli_fail("nats-config", &err);
    }
    if (mwx_nats_config_write(&p, &o, dir, &err) < 0)
        return mwx_cli_fail("nats-config", &err);
    printf("%s/%s\n", dir, o.hub_leaf ? "hub.conf" : "nats-server.conf");
    return 0;
}
