#include "nats_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int nats_fixture_free_port(void)
{
    struct sockaddr_in a;
    socklen_t n = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &n) != 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
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
