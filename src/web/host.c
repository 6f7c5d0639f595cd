/* The Host check of the operator web server (issue #13: DNS rebinding). A page of
 * evil.example whose name now resolves to this address sends "Host: evil.example"; only
 * the server's own names are served. Pure: the fuzz target calls it directly. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "web/internal.h"

static int is_loopback(const char *addr)
{
    return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0;
}

static int is_ip_literal(const char *name)
{
    unsigned char b[16];
    return inet_pton(AF_INET, name, b) == 1 || inet_pton(AF_INET6, name, b) == 1;
}

int mwxi_web_host_allowed(const char *bind, unsigned port, const char *names, size_t stride,
                          size_t n_names, const char *host)
{
    if (!host)
        return 1;
    char name[256];
    const char *portp = NULL;
    size_t n;
    if (host[0] == '[') {
        const char *end = strchr(host, ']');
        if (!end)
            return 0;
        n = (size_t)(end - host - 1);
        if (n >= sizeof name)
            return 0;
        memcpy(name, host + 1, n);
        unsigned char b6[16];
        char lit[64];
        if (n >= sizeof lit)
            return 0;
        memcpy(lit, host + 1, n);
        lit[n] = '\0';
        if (inet_pton(AF_INET6, lit, b6) != 1)
            return 0; /* brackets hold an IPv6 literal only */
        if (end[1] == ':')
            portp = end + 2;
        else if (end[1])
            return 0;
    } else {
        const char *colon = strchr(host, ':');
        if (colon && strchr(colon + 1, ':'))
            return 0; /* a bare IPv6 literal must be bracketed */
        n = colon ? (size_t)(colon - host) : strlen(host);
        if (n >= sizeof name)
            return 0;
        memcpy(name, host, n);
        portp = colon ? colon + 1 : NULL;
    }
    name[n] = '\0';
    if (portp) {
        char want[12];
        snprintf(want, sizeof want, "%u", port);
        if (strcmp(portp, want) != 0)
            return 0;
    }
    if (n > 0 && name[n - 1] == '.')
        name[n - 1] = '\0'; /* "localhost." is "localhost" */
    if (!name[0])
        return 0;
    if (strcasecmp(name, bind) == 0)
        return 1;
    if (is_loopback(bind) && strcasecmp(name, "localhost") == 0)
        return 1;
    if ((strcmp(bind, "0.0.0.0") == 0 || strcmp(bind, "::") == 0) && is_ip_literal(name))
        return 1;
    for (size_t i = 0; i < n_names; i++)
        if (strcasecmp(name, names + i * stride) == 0)
            return 1;
    return 0;
}
