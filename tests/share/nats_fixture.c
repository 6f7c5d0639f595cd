#include "nats_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The first port of the kernel's ephemeral range (32768 unless configured otherwise). */
int nats_fixture_ephemeral_low(void)
{
    int lo = 32768, hi;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%d %d", &lo, &hi) != 2)
            lo = 32768;
        fclose(f);
    }
    return lo;
}

static int can_bind(int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), ok;
    if (fd < 0)
        return 0;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* Below the ephemeral range: a port bind(0) hands out is one an outgoing connection (this
 * process's own nats.c clients included) can take before nats-server binds it, and the
 * server then dies with "address already in use" (tests/chaos/chaos.py, free_port). A
 * random pick, so that parallel tests rarely try the same port; the server's own bind
 * is the final word (start retries). */
int nats_fixture_free_port(void)
{
    struct timespec ts;
    int top = nats_fixture_ephemeral_low() - 1, bottom;
    uint64_t s;
    if (top > 32767)
        top = 32767;
    bottom = top - 12000 > 1024 ? top - 12000 : 1024;
    if (top <= bottom)
        return -1;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    s = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_sec;
    for (int i = 0; i < 1000; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull; /* LCG: enough to spread */
        int port = bottom + (int)((s >> 33) % (uint64_t)(top - bottom + 1));
        if (can_bind(port))
            return port;
    }
    return -1;
}

static int can_connect(int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static const char *find_server(void)
{
    static const char *const cands[] = {"/usr/sbin/nats-server", "/usr/bin/nats-server",
                                        "/usr/local/bin/nats-server", NULL};
    const char *env = getenv("NATS_SERVER");
    if (env && access(env, X_OK) == 0)
        return env;
    for (int i = 0; cands[i]; i++)
        if (access(cands[i], X_OK) == 0)
            return cands[i];
    return NULL;
}

static int start(nats_fixture_t *f, const char *conf, int fixed_port)
{
    const char *bin = find_server();
    char port[16];
    memset(f, 0, sizeof *f);
    if (!bin) {
        fprintf(stderr, "nats fixture: nats-server not found (set NATS_SERVER)\n");
        return -1;
    }
    for (int attempt = 0; attempt < 5; attempt++) {
        f->port = fixed_port ? fixed_port : nats_fixture_free_port();
        if (f->port <= 0)
            continue;
        snprintf(port, sizeof port, "%d", f->port);
        pid_t pid = fork();
        if (pid < 0)
            return -1;
        if (pid == 0) {
            /* die with the test, even when it fails half-way */
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            int devnull = open("/dev/null", O_WRONLY);
            if (devnull >= 0 && !getenv("MWX_NATS_LOG")) {
                dup2(devnull, 1);
                dup2(devnull, 2);
            }
            if (conf)
                execl(bin, "nats-server", "-c", conf, "-a", "127.0.0.1", "-p", port, (char *)NULL);
            else
                execl(bin, "nats-server", "-a", "127.0.0.1", "-p", port, (char *)NULL);
            _exit(127);
        }
        f->pid = pid;
        for (int i = 0; i < 500; i++) { /* up to 5 s */
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid) {
                f->pid = 0;
                break; /* died: port taken or bad config; try again */
            }
            if (can_connect(f->port)) {
                snprintf(f->url, sizeof f->url, "nats://127.0.0.1:%d", f->port);
                return 0;
            }
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        if (f->pid) {
            kill(f->pid, SIGKILL);
            waitpid(f->pid, NULL, 0);
            f->pid = 0;
        }
    }
    fprintf(stderr, "nats fixture: nats-server did not start%s%s\n", conf ? " with " : "",
            conf ? conf : "");
    return -1;
}

int nats_fixture_start(nats_fixture_t *f, const char *conf)
{
    return start(f, conf, 0);
}

int nats_fixture_start_on(nats_fixture_t *f, const char *conf, int port)
{
    return start(f, conf, port);
}

void nats_fixture_stop(nats_fixture_t *f)
{
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        for (int i = 0; i < 300; i++) {
            if (waitpid(f->pid, NULL, WNOHANG) == f->pid) {
                f->pid = 0;
                return;
            }
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        kill(f->pid, SIGKILL);
        waitpid(f->pid, NULL, 0);
        f->pid = 0;
    }
}
