/* Test fixture: a private nats-server child on a free loopback port. A missing
 * nats-server is a test failure, never a silent skip. */
#ifndef MWX_TEST_NATS_FIXTURE_H
#define MWX_TEST_NATS_FIXTURE_H

#include <sys/types.h>

typedef struct nats_fixture {
    pid_t pid;
    int port;
    char url[64];
} nats_fixture_t;

/* Start `nats-server -a 127.0.0.1 -p PORT` (plus `-c conf` when conf is non-NULL; the
 * config's listen line is overridden by -a/-p) and wait until it accepts connections.
 * Returns 0 or -1 with a message on stderr. */
int nats_fixture_start(nats_fixture_t *f, const char *conf);
void nats_fixture_stop(nats_fixture_t *f);
/* Start on a given port (a restart after nats_fixture_stop); 0 or -1. */
int nats_fixture_start_on(nats_fixture_t *f, const char *conf, int port);
/* A free TCP port on 127.0.0.1 below the kernel's ephemeral range (where no outgoing
 * connection takes it before the server binds it); -1 if none. */
int nats_fixture_free_port(void);
/* The first port of the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range). */
int nats_fixture_ephemeral_low(void);

#endif
