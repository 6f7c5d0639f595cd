/* libFuzzer: the operator server's Host check (src/web/host.c, issue #13 DNS rebinding).
 * Any bytes as the Host header: no crash, and on a loopback bind with one configured
 * name, nothing is accepted but 127.0.0.1, localhost or that name (any case, an optional
 * trailing dot, an optional ":8080"), checked by an independent reading here. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "web/internal.h"

static int expected(const char *h)
{
    char name[300];
    size_t n = strlen(h);
    if (n >= sizeof name)
        return 0;
    memcpy(name, h, n + 1);
    char *colon = strchr(name, ':');
    if (colon) {
        if (strcmp(colon, ":8080") != 0)
            return 0;
        *colon = '\0';
    }
    size_t k = strlen(name);
    if (k && name[k - 1] == '.')
        name[k - 1] = '\0';
    return strcmp(name, "127.0.0.1") == 0 || strcasecmp(name, "localhost") == 0 ||
           strcasecmp(name, "mwx.example.org") == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char host[512];
    if (size >= sizeof host)
        size = sizeof host - 1;
    memcpy(host, data, size);
    host[size] = '\0';
    static const char names[1][256] = {"mwx.example.org"};
    int ok = mwxi_web_host_allowed("127.0.0.1", 8080, names[0], sizeof names[0], 1, host);
    if (ok != expected(host))
        abort();
    (void)mwxi_web_host_allowed("0.0.0.0", 1, NULL, 0, 0, host);
    (void)mwxi_web_host_allowed("::", 65535, NULL, 0, 0, host);
    return 0;
}
