/* Shared by the sharing benchmarks: a private nats-server on a free loopback port, and
 * one realistic track report to sign and send. Header-only because each benchmark is a
 * single file (bench/CMakeLists.txt builds every bench/<name>.c on its own). */
#ifndef MWX_BENCH_SHARE_H
#define MWX_BENCH_SHARE_H

#include "mwx/core.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int bench_free_port(void)
{
    struct sockaddr_in a;
    socklen_t n = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
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

/* Start nats-server (killed with us: PDEATHSIG) and wait until it accepts; *pid, url. */
static int bench_nats_start(pid_t *pid, char *url, size_t url_n)
{
    int port = bench_free_port();
    char ps[16];
    if (port < 0)
        return -1;
    snprintf(ps, sizeof ps, "%d", port);
    *pid = fork();
    if (*pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        execlp("nats-server", "nats-server", "-a", "127.0.0.1", "-p", ps, (char *)NULL);
        _exit(127);
    }
    snprintf(url, url_n, "nats://127.0.0.1:%d", port);
    for (int i = 0; i < 500; i++) {
        struct sockaddr_in a;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok)
            return 0;
        usleep(10000);
    }
    return -1;
}

static void bench_nats_stop(pid_t pid)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

static mwx_rec_track_t bench_sample_track(void)
{
    mwx_rec_track_t t;
    memset(&t, 0, sizeof t);
    t.t = 123.5;
    strcpy(t.node, "KR");
    strcpy(t.track_id, "KR-17");
    t.ecef_m[0] = -3.1e6; t.ecef_m[1] = 4.1e6; t.ecef_m[2] = 3.9e6;
    t.vel_mps[0] = 1200; t.vel_mps[1] = 2300; t.vel_mps[2] = 1800;
    for (int i = 0; i < 6; i++) {
        t.cov_pos_m2[i] = 1000.0 + i;
        t.cov_vel_m2s2[i] = 50.0 + i;
    }
    t.phase = MWX_PHASE_BALLISTIC;
    t.confirmed = 1;
    strcpy(t.sources, "KR");
    t.launch.valid = 1; t.launch.lat = 39.0; t.launch.lon = 125.7; t.launch.t = 60;
    t.impact.valid = 1; t.impact.lat = 40.5; t.impact.lon = 135.5; t.impact.t = 1012;
    t.impact.semi_major_km = 12; t.impact.semi_minor_km = 4; t.impact.orientation_deg = 80;
    return t;
}

#endif
