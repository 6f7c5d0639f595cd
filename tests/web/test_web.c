/* The operator web server: routes and status codes, path traversal refused, server-sent
 * events (live and replayed to a late client), the picture as JSON, replay control, the
 * Atom hook, a slow client that must not block publishers, and /metrics checked against
 * the Prometheus text exposition format 0.0.4 by an independent checker written here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mwx/core.h"
#include "mwx/web.h"

/* ------------------------------------------------------------------ fixture */

typedef struct fixture {
    char dir[512];    /* temp root */
    char assets[600]; /* dir/assets */
    mwx_web_t *srv;
} fixture_t;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    const char *tmp = getenv("MWX_TMPDIR");
    snprintf(fx->dir, sizeof fx->dir, "%s/test_web.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->assets, sizeof fx->assets, "%s/assets", fx->dir);
    mkdir(fx->assets, 0755);
    char p[800];
    snprintf(p, sizeof p, "%s/index.html", fx->assets);
    write_file(p, "<!doctype html><title>mwx test page</title>\n");
    snprintf(p, sizeof p, "%s/app.js", fx->assets);
    write_file(p, "console.log('app');\n");
    snprintf(p, sizeof p, "%s/vendor", fx->assets);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/vendor/lib.css", fx->assets);
    write_file(p, "body{}\n");
    snprintf(p, sizeof p, "%s/.hidden", fx->assets);
    write_file(p, "hidden\n");
    /* A secret beside the asset folder that no request may reach. */
    snprintf(p, sizeof p, "%s/secret.txt", fx->dir);
    write_file(p, "TOPSECRET-CONTENT\n");

    mwx_err_t err;
    if (mwx_web_start(NULL, 0, fx->assets, &fx->srv, &err) != 0) {
        fprintf(stderr, "mwx_web_start: %s\n", err.msg);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    mwx_web_stop(fx->srv);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", fx->dir);
    free(fx);
    return 0;
}

/* ------------------------------------------------------------------ tiny HTTP client */

static int connect_port(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_all(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
        assert_true(k > 0);
        s += k;
        n -= (size_t)k;
    }
}

typedef struct resp {
    int status;
    char *raw;  /* whole response */
    char *body; /* into raw */
    size_t len;
} resp_t;

/* Read until the peer closes or until `until` appears (when non-NULL); give up after
 * deadline_ms without data (a hang is a failure, not a wait). */
static char *read_until(int fd, const char *until, int deadline_ms, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    buf[0] = '\0';
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, deadline_ms);
        if (r <= 0)
            break;
        if (n + 4096 + 1 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        ssize_t k = recv(fd, buf + n, cap - n - 1, 0);
        if (k <= 0)
            break;
        n += (size_t)k;
        buf[n] = '\0';
        if (until && strstr(buf, until))
            break;
    }
    *len = n;
    return buf;
}

/* A response is complete at the server's close, or when it has a Content-Length and
 * that many body bytes arrived (an error reply may come before the server stops
 * reading, and then the connection stays open). */
static int response_complete(const char *buf, size_t n)
{
    const char *sep = strstr(buf, "\r\n\r\n");
    if (!sep)
        return 0;
    const char *cl = strstr(buf, "\r\nContent-Length:"); /* MHD spells it so */
    if (!cl || cl > sep)
        return 0;
    size_t want = (size_t)strtoul(cl + 17, NULL, 10);
    return n - (size_t)(sep + 4 - buf) >= want;
}

static resp_t raw_request(unsigned port, const char *request)
{
    int fd = connect_port(port);
    send_all(fd, request);
    resp_t r = {0};
    size_t cap = 65536;
    r.raw = malloc(cap);
    assert_non_null(r.raw);
    r.raw[0] = '\0';
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) <= 0)
            break;
        if (r.len + 4096 + 1 > cap) {
            cap *= 2;
            r.raw = realloc(r.raw, cap);
            assert_non_null(r.raw);
        }
        ssize_t k = recv(fd, r.raw + r.len, cap - r.len - 1, 0);
        if (k <= 0)
            break;
        r.len += (size_t)k;
        r.raw[r.len] = '\0';
        if (response_complete(r.raw, r.len))
            break;
    }
    close(fd);
    if (sscanf(r.raw, "HTTP/1.%*d %d", &r.status) != 1)
        r.status = -1;
    char *sep = strstr(r.raw, "\r\n\r\n");
    r.body = sep ? sep + 4 : r.raw + r.len;
    return r;
}

static resp_t http(unsigned port, const char *method, const char *path)
{
    char req[2048];
    snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n",
             method, path, strcmp(method, "POST") == 0 ? "Content-Length: 3\r\n\r\nabc" : "");
    if (strcmp(method, "POST") == 0) /* the body follows the blank line */
        snprintf(req, sizeof req,
                 "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                 "Content-Length: 3\r\n\r\nabc",
                 path);
    return raw_request(port, req);
}

/* GET with the server's control token. */
static resp_t http_ctl(mwx_web_t *srv, const char *path)
{
    char req[2048];
    snprintf(req, sizeof req,
             "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
             "X-Mwx-Token: %s\r\n\r\n",
             path, mwx_web_token(srv));
    return raw_request(mwx_web_port(srv), req);
}

static const char *header(const resp_t *r, const char *name)
{
    static char val[256];
    size_t nl = strlen(name);
    for (const char *p = strstr(r->raw, "\r\n"); p && p < r->body; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, nl) == 0 && p[2 + nl] == ':') {
            const char *v = p + 2 + nl + 1;
            while (*v == ' ')
                v++;
            size_t k = strcspn(v, "\r");
            if (k >= sizeof val)
                k = sizeof val - 1;
            memcpy(val, v, k);
            val[k] = '\0';
            return val;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ records */

static mwx_record_t make_scenario(void)
{
    mwx_record_t r;
    memset(&r, 0, sizeof r);
    r.type = MWX_REC_SCENARIO;
    mwx_strlcpy(r.u.scenario.name, "web-test", sizeof r.u.scenario.name);
    mwx_strlcpy(r.u.scenario.epoch, "2026-11-22T03:00:00Z", sizeof r.u.scenario.epoch);
    r.u.scenario.status = MWX_STATUS_EXERCISE;
    r.u.scenario.seed = 7;
    r.u.scenario.json = "{\"name\":\"web-test\",\"sensors\":[{\"id\":\"KR-GP-1\"}]}";
    return r;
}

static mwx_record_t make_track(const char *node, const char *id, double t)
{
    mwx_record_t r;
    memset(&r, 0, sizeof r);
    r.type = MWX_REC_TRACK;
    mwx_rec_track_t *k = &r.u.track;
    k->t = t;
    mwx_strlcpy(k->node, node, sizeof k->node);
    mwx_strlcpy(k->track_id, id, sizeof k->track_id);
    mwx_earth_t e = mwx_earth_wgs84();
    mwx_geo_t g = {39.5 * MWX_DEG, 128.0 * MWX_DEG, 200e3 + t};
    mwx_geo_to_ecef(&e, &g, k->ecef_m);
    k->vel_mps[0] = 1000;
    k->cov_pos_m2[0] = k->cov_pos_m2[3] = k->cov_pos_m2[5] = 100;
    k->cov_vel_m2s2[0] = k->cov_vel_m2s2[3] = k->cov_vel_m2s2[5] = 1;
    k->phase = MWX_PHASE_BALLISTIC;
    k->confirmed = 1;
    mwx_strlcpy(k->sources, node, sizeof k->sources);
    k->launch.valid = 1;
    k->launch.lat = 39.0;
    k->launch.lon = 125.7;
    k->launch.t = 60;
    k->impact.valid = 1;
    k->impact.lat = 40.5;
    k->impact.lon = 135.5;
    k->impact.t = 1000;
    k->impact.semi_major_km = 40;
    k->impact.semi_minor_km = 12;
    k->impact.orientation_deg = 75;
    return r;
}

static mwx_record_t make_alert(const char *id, int n_regions)
{
    mwx_record_t r;
    memset(&r, 0, sizeof r);
    r.type = MWX_REC_ALERT;
    mwx_rec_alert_t *a = &r.u.alert;
    a->t = 180;
    mwx_strlcpy(a->node, "JP", sizeof a->node);
    mwx_strlcpy(a->identifier, id, sizeof a->identifier);
    a->msg_type = MWX_MSG_ALERT;
    a->status = MWX_STATUS_EXERCISE;
    for (int i = 0; i < n_regions && i < MWX_MAX_ALERT_REGIONS; i++)
        snprintf(a->regions[i], sizeof a->regions[i], "JP-%02d", 1 + i % 47);
    a->n_regions = n_regions;
    mwx_strlcpy(a->file, "alerts/x.cap.xml", sizeof a->file);
    return r;
}

static mwx_record_t make_share(double latency)
{
    mwx_record_t r;
    memset(&r, 0, sizeof r);
    r.type = MWX_REC_SHARE;
    r.u.share.t = 70;
    mwx_strlcpy(r.u.share.from, "KR", sizeof r.u.share.from);
    mwx_strlcpy(r.u.share.to[0], "JP", sizeof r.u.share.to[0]);
    r.u.share.n_to = 1;
    mwx_strlcpy(r.u.share.track_id, "KR-1", sizeof r.u.share.track_id);
    r.u.share.seq = 1;
    r.u.share.verified = 1;
    r.u.share.latency_s = latency;
    return r;
}

/* ------------------------------------------------------------------ tests: routes */

static void test_routes(void **state)
{
    fixture_t *fx = *state;
    unsigned port = mwx_web_port(fx->srv);
    assert_true(port > 0 && port < 65536);
    char url[128];
    assert_int_equal(mwx_web_url(fx->srv, url, sizeof url), 0);
    char want[64];
    snprintf(want, sizeof want, "http://127.0.0.1:%u/", port);
    assert_string_equal(url, want);

    resp_t r = http(port, "GET", "/");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "mwx test page"));
    assert_non_null(strstr(header(&r, "Content-Type"), "text/html"));
    assert_non_null(header(&r, "Content-Security-Policy"));
    free(r.raw);

    r = http(port, "GET", "/static/app.js");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(header(&r, "Content-Type"), "javascript"));
    assert_string_equal(r.body, "console.log('app');\n");
    free(r.raw);

    r = http(port, "GET", "/static/vendor/lib.css");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(header(&r, "Content-Type"), "text/css"));
    free(r.raw);

    r = http(port, "HEAD", "/");
    assert_int_equal(r.status, 200);
    free(r.raw);

    static const char *const not_found[] = {
        "/nope", "/static/missing.js", "/static/vendor", "/index.htm",
        "/api",  "/metricsx",          "/alerts.atom"};
    for (size_t i = 0; i < sizeof not_found / sizeof not_found[0]; i++) {
        r = http(port, "GET", not_found[i]);
        if (r.status != 404)
            fail_msg("GET %s: %d, want 404", not_found[i], r.status);
        free(r.raw);
    }

    static const char *const methods[] = {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        r = http(port, methods[i], i % 2 ? "/metrics" : "/");
        if (r.status != 405)
            fail_msg("%s: %d, want 405", methods[i], r.status);
        assert_non_null(header(&r, "Allow"));
        free(r.raw);
    }
    /* No control callback on this server: /api/control is not there. */
    r = http(port, "GET", "/api/control?cmd=pause");
    assert_int_equal(r.status, 404);
    free(r.raw);
}

static void test_traversal_refused(void **state)
{
    fixture_t *fx = *state;
    unsigned port = mwx_web_port(fx->srv);
    static const char *const bad[] = {"/static/../secret.txt",
                                      "/static/../../etc/passwd",
                                      "/../secret.txt",
                                      "/static/%2e%2e/secret.txt",
                                      "/static/..%2fsecret.txt",
                                      "/static/./app.js",
                                      "//etc/passwd",
                                      "/static//app.js",
                                      "/static/.hidden",
                                      "/static/a\\..\\secret.txt",
                                      "/static/%00app.js",
                                      "/static/",
                                      "/static/vendor/../../secret.txt"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        resp_t r = http(port, "GET", bad[i]);
        if (r.status != 400)
            fail_msg("GET %s: %d, want 400", bad[i], r.status);
        assert_null(strstr(r.raw, "TOPSECRET"));
        free(r.raw);
    }
    /* Garbage and oversized requests get a 4xx (or a closed connection), and the server
     * keeps answering afterwards. */
    static const char *const junk[] = {"\x16\x03\x01\x02\x01\x01\x01\x01\xfc\x03\x03\r\n\r\n",
                                       "GET\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
                                       "GET /%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        resp_t r = raw_request(port, junk[i]);
        assert_true(r.status == -1 || (r.status >= 400 && r.status < 600));
        free(r.raw);
    }
    char *big = malloc(70000);
    assert_non_null(big);
    memcpy(big, "GET /", 5);
    memset(big + 5, 'a', 60000);
    strcpy(big + 60005, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    resp_t rb = raw_request(port, big);
    assert_true(rb.status == -1 || (rb.status >= 400 && rb.status < 500));
    free(rb.raw);
    free(big);
    resp_t ok = http(port, "GET", "/");
    assert_int_equal(ok.status, 200);
    free(ok.raw);

    /* Not even an absolute path. */
    resp_t r = raw_request(port, "GET secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_true(r.status >= 400 && r.status < 500);
    assert_null(strstr(r.raw, "TOPSECRET"));
    free(r.raw);
}

/* ------------------------------------------------------------------ tests: SSE */

static int open_events(unsigned port)
{
    int fd = connect_port(port);
    /* HTTP/1.0: the stream is then sent as it is, not in chunks, so the test can search
     * it as text (browsers use 1.1 chunked; the browser test covers that). */
    send_all(fd, "GET /events HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n");
    return fd;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_sse_live_and_replay(void **state)
{
    fixture_t *fx = *state;
    unsigned port = mwx_web_port(fx->srv);
    mwx_err_t err;

    int a = open_events(port);
    size_t n;
    char *got = read_until(a, "event: ready\n", 5000, &n);
    assert_non_null(strstr(got, " 200 OK\r\n"));
    assert_non_null(strstr(got, "text/event-stream"));
    assert_non_null(strstr(got, "event: hello\ndata: {"));
    assert_non_null(strstr(got, "\"mode\":\"live\""));
    assert_null(strstr(got, "event: track"));
    free(got);

    mwx_record_t scn = make_scenario();
    assert_int_equal(mwx_web_publish(fx->srv, &scn, &err), 0);
    for (int i = 0; i < 5; i++) {
        mwx_record_t trk = make_track("JP", "JP-1", 100.0 + 2.0 * i);
        assert_int_equal(mwx_web_publish(fx->srv, &trk, &err), 0);
    }
    mwx_record_t al = make_alert("mwx-JP-0001", 2);
    assert_int_equal(mwx_web_publish(fx->srv, &al, &err), 0);

    got = read_until(a, "event: alert\n", 5000, &n);
    assert_non_null(strstr(got, "event: scenario\ndata: {\"type\":\"scenario\""));
    assert_non_null(strstr(got, "\"sensors\":[{\"id\":\"KR-GP-1\"}]"));
    assert_int_equal(count(got, "event: track\ndata: {\"type\":\"track\""), 5);
    assert_non_null(strstr(got, "\"semi_major_km\":40"));
    assert_non_null(strstr(got, "\"identifier\":\"mwx-JP-0001\""));
    free(got);

    /* A late browser: hello, then the picture (scenario, the track's trail and its
     * latest record, the alert), then ready; nothing live in between. */
    int b = open_events(port);
    got = read_until(b, "event: ready\n", 5000, &n);
    char *hello = strstr(got, "event: hello");
    char *scen = strstr(got, "event: scenario");
    char *trail = strstr(got, "event: trail");
    char *track = strstr(got, "event: track");
    char *alert = strstr(got, "event: alert");
    char *ready = strstr(got, "event: ready");
    assert_true(hello && scen && trail && track && alert && ready);
    assert_true(hello < scen && scen < trail && trail < track && track < alert && alert < ready);
    assert_int_equal(count(got, "event: track\n"), 1); /* latest only */
    assert_non_null(strstr(trail, "\"track_id\":\"JP-1\",\"points\":[[100.000,"));
    /* 5 updates 2 s apart, trail spacing 1 s: 5 points. */
    char *pts = strstr(trail, "\"points\":");
    char *end = strstr(pts, "]]");
    assert_non_null(end);
    size_t npts = 0;
    for (char *p = pts; p < end; p++)
        npts += *p == '[';
    assert_int_equal(npts - 1, 5);
    free(got);

    /* Both clients receive the next live record. */
    mwx_record_t trk2 = make_track("KR", "KR-9", 130);
    assert_int_equal(mwx_web_publish(fx->srv, &trk2, &err), 0);
    got = read_until(a, "KR-9", 5000, &n);
    assert_non_null(strstr(got, "\"track_id\":\"KR-9\""));
    free(got);
    got = read_until(b, "KR-9", 5000, &n);
    assert_non_null(strstr(got, "\"node\":\"KR\""));
    free(got);

    /* A reset tells clients and empties the picture. */
    mwx_web_reset(fx->srv);
    got = read_until(a, "event: reset\n", 5000, &n);
    assert_non_null(strstr(got, "event: reset"));
    free(got);
    close(a);
    close(b);

    resp_t r = http(port, "GET", "/api/picture");
    assert_int_equal(r.status, 200);
    json_error_t je;
    json_t *pic = json_loads(r.body, 0, &je);
    assert_non_null(pic);
    assert_int_equal(json_array_size(json_object_get(pic, "tracks")), 0);
    json_decref(pic);
    free(r.raw);
}

static void test_picture_json(void **state)
{
    fixture_t *fx = *state;
    unsigned port = mwx_web_port(fx->srv);
    mwx_err_t err;
    mwx_record_t scn = make_scenario();
    assert_int_equal(mwx_web_publish(fx->srv, &scn, &err), 0);
    for (int i = 0; i < 3; i++) {
        mwx_record_t trk = make_track(i == 2 ? "US" : "JP", i == 2 ? "US-1" : "JP-1", 10.0 * i);
        assert_int_equal(mwx_web_publish(fx->srv, &trk, &err), 0);
    }
    mwx_record_t sh = make_share(0.002);
    assert_int_equal(mwx_web_publish(fx->srv, &sh, &err), 0);
    mwx_record_t al = make_alert("mwx-JP-0002", 3);
    assert_int_equal(mwx_web_publish(fx->srv, &al, &err), 0);

    resp_t r = http(port, "GET", "/api/picture");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(header(&r, "Content-Type"), "application/json"));
    json_error_t je;
    json_t *pic = json_loads(r.body, 0, &je);
    if (!pic)
        fail_msg("picture is not JSON: %s: %s", je.text, r.body);
    assert_string_equal(json_string_value(json_object_get(pic, "mode")), "live");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(pic, "scenario"), "status")), "Exercise");
    json_t *tracks = json_object_get(pic, "tracks");
    assert_int_equal(json_array_size(tracks), 2);
    json_t *t0 = json_array_get(tracks, 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(t0, "track"), "track_id")), "JP-1");
    assert_int_equal(json_array_size(json_object_get(t0, "trail")), 2);
    json_t *imp = json_object_get(json_object_get(t0, "track"), "impact");
    assert_float_equal(json_real_value(json_object_get(imp, "orientation_deg")) +
                           (double)json_integer_value(json_object_get(imp, "orientation_deg")),
                       75.0, 1e-9);
    assert_int_equal(json_array_size(json_object_get(pic, "shares")), 1);
    json_t *alerts = json_object_get(pic, "alerts");
    assert_int_equal(json_array_size(alerts), 1);
    assert_int_equal(json_array_size(json_object_get(json_array_get(alerts, 0), "regions")), 3);
    json_decref(pic);
    free(r.raw);
}

static int control_calls;
static char control_last[16];
static double control_x;

static int control_cb(void *user, const char *cmd, double x)
{
    int *seen = user;
    (*seen)++;
    mwx_strlcpy(control_last, cmd, sizeof control_last);
    control_x = x;
    return 0;
}

static void test_control_and_atom(void **state)
{
    fixture_t *fx = *state;
    unsigned port = mwx_web_port(fx->srv);
    mwx_err_t err;
    control_calls = 0;
    mwx_web_set_control(fx->srv, control_cb, &control_calls);
    mwx_web_replay_state_t st = {.playing = 1, .speed = 4, .t = 12.5, .t_end = 900};
    mwx_web_set_replay_state(fx->srv, &st);

    /* Without the token (or with a wrong one): 403, and the callback never runs. */
    resp_t r = http(port, "GET", "/api/control?cmd=pause");
    assert_int_equal(r.status, 403);
    free(r.raw);
    r = raw_request(port, "GET /api/control?cmd=pause HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Connection: close\r\nX-Mwx-Token: 00\r\n\r\n");
    assert_int_equal(r.status, 403);
    free(r.raw);
    assert_int_equal(control_calls, 0);
    assert_int_equal(strlen(mwx_web_token(fx->srv)), 32);

    r = http_ctl(fx->srv, "/api/control?cmd=pause");
    assert_int_equal(r.status, 200);
    assert_string_equal(control_last, "pause");
    free(r.raw);
    r = http_ctl(fx->srv, "/api/control?cmd=speed&x=2.5");
    assert_int_equal(r.status, 200);
    assert_string_equal(control_last, "speed");
    assert_float_equal(control_x, 2.5, 0);
    assert_non_null(strstr(r.body, "\"speed\":4"));
    free(r.raw);
    assert_int_equal(control_calls, 2);
    static const char *const bad[] = {"/api/control",
                                      "/api/control?cmd=fire",
                                      "/api/control?cmd=speed",
                                      "/api/control?cmd=speed&x=abc",
                                      "/api/control?cmd=speed&x=0",
                                      "/api/control?cmd=speed&x=1e9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = http_ctl(fx->srv, bad[i]);
        if (r.status != 400)
            fail_msg("GET %s: %d, want 400", bad[i], r.status);
        free(r.raw);
    }
    assert_int_equal(control_calls, 2);

    r = http(port, "GET", "/api/picture");
    assert_non_null(strstr(r.body, "\"mode\":\"replay\""));
    assert_non_null(strstr(r.body, "\"t_end\":900.000"));
    free(r.raw);

    /* Atom: 404 until set, then the file as it is on disk at each request. */
    r = http(port, "GET", "/alerts.atom");
    assert_int_equal(r.status, 404);
    free(r.raw);
    char path[700];
    snprintf(path, sizeof path, "%s/alerts.atom", fx->dir);
    write_file(path, "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"/>\n");
    assert_int_equal(mwx_web_set_atom_file(fx->srv, path, &err), 0);
    r = http(port, "GET", "/alerts.atom");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(header(&r, "Content-Type"), "application/atom+xml"));
    assert_non_null(strstr(r.body, "<feed xmlns=\"http://www.w3.org/2005/Atom\"/>"));
    free(r.raw);
    write_file(path, "<feed>two</feed>\n");
    r = http(port, "GET", "/alerts.atom");
    assert_string_equal(r.body, "<feed>two</feed>\n");
    free(r.raw);
    /* No file yet (no alert issued): an empty valid feed, not a 404 (issue #12). */
    unlink(path);
    r = http(port, "GET", "/alerts.atom");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(header(&r, "Content-Type"), "application/atom+xml"));
    assert_non_null(strstr(r.body, "<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
    assert_non_null(strstr(r.body, "<id>urn:mwx:feed:empty</id>"));
    assert_non_null(strstr(r.body, "<updated>"));
    assert_null(strstr(r.body, "<entry"));
    free(r.raw);
    assert_int_equal(mwx_web_set_atom_file(fx->srv, NULL, &err), 0);
    r = http(port, "GET", "/alerts.atom");
    assert_int_equal(r.status, 404); /* no feed configured at all */
    free(r.raw);
}

/* Issue #13 item 9 (DNS rebinding): only the bound address, localhost on loopback and
 * configured names are served. */
static void test_host_check(void **state)
{
    fixture_t *fx = *state;
    unsigned port = mwx_web_port(fx->srv);
    mwx_err_t err;
    char req[512];
    /* A trailing '+' means ":PORT" (the server's port) is appended. */
    static const char *const refused[] = {
        "evil.example",           "evil.example+",   "127.0.0.1:1", "127.0.0.2", "[::1]",
        "127.0.0.1.evil.example", "mwx.example.org", "[127.0.0.1",  "a:b:c"};
    static const char *const served[] = {"127.0.0.1", "127.0.0.1+", "localhost", "LOCALHOST+",
                                         "localhost."};
    for (int pass = 0; pass < 2; pass++) {
        for (int want = 403; want >= 200; want -= 203) {
            const char *const *list = want == 403 ? refused : served;
            size_t nl =
                want == 403 ? sizeof refused / sizeof refused[0] : sizeof served / sizeof served[0];
            for (size_t i = 0; i < nl; i++) {
                if (pass == 1 && list == refused && i == 6)
                    continue; /* configured in pass 1 */
                char host[128];
                size_t hl = strlen(list[i]);
                if (list[i][hl - 1] == '+')
                    snprintf(host, sizeof host, "%.*s:%u", (int)(hl - 1), list[i], port);
                else
                    snprintf(host, sizeof host, "%s", list[i]);
                snprintf(req, sizeof req,
                         "GET /api/picture HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
                         host);
                resp_t r = raw_request(port, req);
                if (r.status != want)
                    fail_msg("Host: %s got %d, want %d", host, r.status, want);
                free(r.raw);
            }
        }
        if (pass == 0)
            assert_int_equal(mwx_web_add_host(fx->srv, "mwx.example.org", &err), 0);
    }
    snprintf(req, sizeof req,
             "GET / HTTP/1.1\r\nHost: MWX.example.org:%u\r\nConnection: close\r\n\r\n", port);
    resp_t r = raw_request(port, req);
    assert_int_equal(r.status, 200);
    free(r.raw);
    assert_int_not_equal(mwx_web_add_host(fx->srv, "with:port", &err), 0);
}

/* Connect from a chosen loopback source address (127.0.0.N): MHD counts connections per
 * client address, and Linux routes all of 127/8 to lo. */
static int connect_from(unsigned port, unsigned src_last_octet)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(0x7f000000u | src_last_octet);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* 1 when the server has closed fd (EOF or reset) within ms. */
static int closed_within(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms) <= 0)
        return 0;
    char b[256];
    return recv(fd, b, sizeof b, MSG_DONTWAIT) <= 0;
}

/* Issue #13 item 8 (slowloris): 140 connections from 10 addresses, each stuck in its
 * request head and trickling a byte now and then, must not keep the page or /metrics
 * from a browser; one address gets at most 16 connections. Before the fix (64
 * connections, 60 s idle timeout) the page was refused. */
static void test_slowloris(void **state)
{
    fixture_t *fx = *state;
    unsigned port = mwx_web_port(fx->srv);
    enum { ADDRS = 10, PER_ADDR = 14, ONE = 30 };
    int fds[ADDRS * PER_ADDR], one[ONE];
    size_t n = 0;
    for (unsigned a = 0; a < ADDRS; a++)
        for (int k = 0; k < PER_ADDR; k++) {
            int fd = connect_from(port, 10 + a);
            if (fd < 0)
                continue;
            /* A request head that never ends. */
            static const char head[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a";
            send(fd, head, sizeof head - 1, MSG_NOSIGNAL);
            fds[n++] = fd;
        }
    assert_true(n >= ADDRS * PER_ADDR / 2);
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < n; i++)
            if (fds[i] >= 0)
                send(fds[i], "a", 1, MSG_NOSIGNAL); /* keep the idle timeout at bay */
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        resp_t r = http(port, "GET", "/");
        assert_int_equal(r.status, 200);
        free(r.raw);
        r = http(port, "GET", "/metrics");
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.body, "mwx_web_slow_connections_cut_total"));
        free(r.raw);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        if (dt > 2.0)
            fail_msg("round %d: the page and /metrics took %.2f s beside the slow clients", round,
                     dt);
        usleep(200 * 1000);
    }
    /* The oldest pending heads were cut to make room. */
    resp_t r = http(port, "GET", "/metrics");
    static const char key[] = "\nmwx_web_slow_connections_cut_total ";
    const char *cutp = strstr(r.body, key);
    assert_non_null(cutp);
    assert_true(strtod(cutp + sizeof key - 1, NULL) >= 1);
    free(r.raw);
    for (size_t i = 0; i < n; i++)
        close(fds[i]);

    /* Per address: of 30 connections from one address, at most 16 are kept. */
    int kept = 0;
    for (int k = 0; k < ONE; k++) {
        one[k] = connect_from(port, 200);
        if (one[k] >= 0)
            send(one[k], "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL);
    }
    for (int k = 0; k < ONE; k++)
        if (one[k] >= 0 && !closed_within(one[k], 300))
            kept++;
    if (kept > 16)
        fail_msg("one address kept %d connections, want <= 16", kept);
    assert_true(kept >= 8);
    for (int k = 0; k < ONE; k++)
        if (one[k] >= 0)
            close(one[k]);
}

/* A browser that stops reading must not hold up publishing: its queue fills, it is
 * disconnected and counted, and a reading client still gets everything. */
static void test_slow_client(void **state)
{
    fixture_t *fx = *state;
    unsigned port = mwx_web_port(fx->srv);
    mwx_err_t err;
    int slow = open_events(port);
    int shrink = 4096;
    setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &shrink, sizeof shrink);
    size_t n;
    free(read_until(slow, "event: ready\n", 5000, &n));
    /* ~1.5 KB per alert: 12,000 of them is 2x the queue bound plus any socket buffers. */
    mwx_record_t al = make_alert("mwx-slow-client-test-alert-identifier", MWX_MAX_ALERT_REGIONS);
    for (int i = 0; i < 12000; i++) {
        al.u.alert.t = i;
        assert_int_equal(mwx_web_publish(fx->srv, &al, &err), 0);
    }
    resp_t r = http(port, "GET", "/metrics");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "mwx_web_sse_disconnected_total{reason=\"slow\"} 1\n"));
    assert_non_null(strstr(r.body, "mwx_web_alerts_total{msg_type=\"Alert\"} 12000\n"));
    free(r.raw);
    close(slow);

    /* A normal client connecting now still gets a bounded replay and then live data. */
    int ok = open_events(port);
    char *got = read_until(ok, "event: ready\n", 5000, &n);
    if (count(got, "event: alert\n") != MWX_WEB_MAX_ALERTS)
        fail_msg("replay has %zu alerts, want %d; %zu bytes; head: %.300s; tail: %s",
                 count(got, "event: alert\n"), MWX_WEB_MAX_ALERTS, n, got,
                 got + (n > 300 ? n - 300 : 0));
    free(got);
    mwx_record_t trk = make_track("JP", "JP-77", 5);
    assert_int_equal(mwx_web_publish(fx->srv, &trk, &err), 0);
    got = read_until(ok, "JP-77", 5000, &n);
    assert_non_null(strstr(got, "JP-77"));
    free(got);
    close(ok);
}

/* The picture's bounds: a long trail is thinned but still spans the whole flight, and
 * the least recently updated track is forgotten (and counted) to make room. */
static void test_picture_bounds(void **state)
{
    fixture_t *fx = *state;
    unsigned port = mwx_web_port(fx->srv);
    mwx_err_t err;
    json_error_t je;
    for (int i = 0; i < 600; i++) {
        mwx_record_t r = make_track("JP", "JP-LONG", 100.0 + i);
        assert_int_equal(mwx_web_publish(fx->srv, &r, &err), 0);
    }
    resp_t r = http(port, "GET", "/api/picture");
    json_t *pic = json_loads(r.body, 0, &je);
    assert_non_null(pic);
    json_t *trail = json_object_get(json_array_get(json_object_get(pic, "tracks"), 0), "trail");
    size_t n = json_array_size(trail);
    /* 600 points at 1 s: the 256-point trail halves once (spacing 2 s), ~300 -> <= 256 */
    assert_true(n > MWX_WEB_TRAIL / 2 && n <= MWX_WEB_TRAIL);
    assert_float_equal(json_number_value(json_array_get(json_array_get(trail, 0), 0)), 100.0,
                       1e-9); /* the first point is kept */
    double last = json_number_value(json_array_get(json_array_get(trail, n - 1), 0));
    assert_true(last >= 699.0 - 4.0 && last <= 699.0); /* and it reaches the newest */
    for (size_t i = 1; i < n; i++)                     /* in time order */
        assert_true(json_number_value(json_array_get(json_array_get(trail, i), 0)) >
                    json_number_value(json_array_get(json_array_get(trail, i - 1), 0)));
    json_decref(pic);
    free(r.raw);

    for (int k = 0; k < MWX_WEB_MAX_TRACKS; k++) { /* 511 more fit, then 1 eviction */
        char id[16];
        snprintf(id, sizeof id, "KR-%d", k);
        mwx_record_t t = make_track("KR", id, 800.0 + k);
        assert_int_equal(mwx_web_publish(fx->srv, &t, &err), 0);
    }
    r = http(port, "GET", "/api/picture");
    pic = json_loads(r.body, 0, &je);
    assert_non_null(pic);
    json_t *tracks = json_object_get(pic, "tracks");
    assert_int_equal(json_array_size(tracks), MWX_WEB_MAX_TRACKS);
    int have_long = 0, have_kr0 = 0, have_kr511 = 0;
    size_t i;
    json_t *t;
    json_array_foreach(tracks, i, t)
    {
        const char *id =
            json_string_value(json_object_get(json_object_get(t, "track"), "track_id"));
        have_long |= strcmp(id, "JP-LONG") == 0;
        have_kr0 |= strcmp(id, "KR-0") == 0;
        have_kr511 |= strcmp(id, "KR-511") == 0;
    }
    assert_false(have_long); /* the least recently updated went */
    assert_true(have_kr0 && have_kr511);
    json_decref(pic);
    free(r.raw);
    r = http(port, "GET", "/metrics");
    assert_non_null(strstr(r.body, "mwx_web_tracks_evicted_total 1\n"));
    assert_non_null(strstr(r.body, "mwx_web_picture_tracks 512\n"));
    free(r.raw);
}

/* Tracks and shares published while nobody watches are not encoded then (a node at 200x
 * spent a tenth of its CPU on lines no one saw): mwx_web_records_encoded_total stays 0;
 * the picture read later holds each record's line exactly as a watcher would have got it
 * live (mwx_record_to_json of the latest track and of every share). */
static void test_lazy_encoding(void **state)
{
    fixture_t *fx = *state;
    unsigned port = mwx_web_port(fx->srv);
    mwx_err_t err;
    json_error_t je;
    mwx_record_t trk = make_track("JP", "JP-7", 0.0), sh[3];
    for (int i = 0; i < 4; i++) {
        trk = make_track("JP", "JP-7", 10.0 * i);
        assert_int_equal(mwx_web_publish(fx->srv, &trk, &err), 0);
    }
    for (int i = 0; i < 3; i++) {
        sh[i] = make_share(0.001 * (i + 1));
        sh[i].u.share.seq = (uint64_t)(40 + i);
        assert_int_equal(mwx_web_publish(fx->srv, &sh[i], &err), 0);
    }
    resp_t r = http(port, "GET", "/metrics");
    assert_non_null(strstr(r.body, "mwx_web_records_encoded_total 0\n"));
    assert_non_null(strstr(r.body, "mwx_web_records_published_total{type=\"track\"} 4\n"));
    assert_non_null(strstr(r.body, "mwx_web_records_published_total{type=\"share\"} 3\n"));
    assert_non_null(strstr(r.body, "mwx_web_share_latency_seconds_count 3\n"));
    free(r.raw);

    r = http(port, "GET", "/api/picture");
    assert_int_equal(r.status, 200);
    /* the lines, byte for byte: the latest track's and each share's, oldest first */
    char *want = mwx_record_to_json(&trk);
    assert_non_null(want);
    char *at = strstr(r.body, want);
    assert_non_null(at);
    free(want);
    const char *prev = r.body;
    for (int i = 0; i < 3; i++) {
        want = mwx_record_to_json(&sh[i]);
        at = strstr(r.body, want);
        assert_non_null(at);
        assert_true(at > prev);
        prev = at;
        free(want);
    }
    json_t *pic = json_loads(r.body, 0, &je);
    assert_non_null(pic);
    assert_int_equal(json_array_size(json_object_get(pic, "tracks")), 1);
    assert_int_equal(json_array_size(json_object_get(
                         json_array_get(json_object_get(pic, "tracks"), 0), "trail")),
                     4);
    assert_int_equal(json_array_size(json_object_get(pic, "shares")), 3);
    json_decref(pic);
    free(r.raw);

    /* a late browser gets the same lines as events */
    int a = open_events(port);
    size_t n;
    char *got = read_until(a, "event: ready\n", 5000, &n);
    want = mwx_record_to_json(&trk);
    assert_non_null(strstr(got, want));
    free(want);
    assert_int_equal(count(got, "event: share\n"), 3);
    free(got);
    /* while it watches, records are encoded as they come */
    trk = make_track("JP", "JP-7", 50.0);
    assert_int_equal(mwx_web_publish(fx->srv, &trk, &err), 0);
    got = read_until(a, "\"track_id\":\"JP-7\"", 5000, &n);
    assert_non_null(strstr(got, "event: track\n"));
    free(got);
    close(a);
    r = http(port, "GET", "/metrics");
    assert_non_null(strstr(r.body, "mwx_web_records_encoded_total 1\n"));
    free(r.raw);
}

static mwx_record_t make_truth(const char *object, double t, mwx_phase_t phase)
{
    mwx_record_t r = make_track("JP", "x", t); /* for the position */
    mwx_record_t q;
    memset(&q, 0, sizeof q);
    q.type = MWX_REC_TRUTH;
    q.u.truth.t = t;
    mwx_strlcpy(q.u.truth.object, object, sizeof q.u.truth.object);
    memcpy(q.u.truth.ecef_m, r.u.track.ecef_m, sizeof q.u.truth.ecef_m);
    q.u.truth.phase = phase;
    return q;
}

/* Truth is kept as a path (points only, even with nobody watching), bounded in objects,
 * and replayed as truth_trail events. */
static void test_truth_paths(void **state)
{
    fixture_t *fx = *state;
    unsigned port = mwx_web_port(fx->srv);
    mwx_err_t err;
    for (int i = 0; i < 10; i++) {
        mwx_record_t q = make_truth("L1", 60.0 + 0.5 * i, MWX_PHASE_BOOST); /* 0.5 s apart */
        assert_int_equal(mwx_web_publish(fx->srv, &q, &err), 0);
    }
    mwx_record_t q = make_truth("L1", 64.6, MWX_PHASE_IMPACT); /* 0.1 s on: kept, it ends */
    assert_int_equal(mwx_web_publish(fx->srv, &q, &err), 0);
    for (int k = 0; k < MWX_WEB_MAX_TRUTH + 5; k++) {
        char id[16];
        snprintf(id, sizeof id, "X%d", k);
        q = make_truth(id, 1.0, MWX_PHASE_BALLISTIC);
        assert_int_equal(mwx_web_publish(fx->srv, &q, &err), 0); /* beyond: live only */
    }
    resp_t r = http(port, "GET", "/api/picture");
    json_error_t je;
    json_t *pic = json_loads(r.body, 0, &je);
    assert_non_null(pic);
    json_t *truth = json_object_get(pic, "truth");
    assert_int_equal(json_array_size(truth), MWX_WEB_MAX_TRUTH);
    json_t *l1 = json_array_get(truth, 0);
    assert_string_equal(json_string_value(json_object_get(l1, "object")), "L1");
    assert_string_equal(json_string_value(json_object_get(l1, "phase")), "impact");
    json_t *pts = json_object_get(l1, "points");
    /* 60, 61, 62, 63, 64 (1 s spacing) and the impact point at 64.6 */
    assert_int_equal(json_array_size(pts), 6);
    assert_float_equal(json_number_value(json_array_get(json_array_get(pts, 5), 0)), 64.6, 1e-9);
    json_decref(pic);
    free(r.raw);

    int fd = open_events(port);
    size_t n;
    char *got = read_until(fd, "event: ready\n", 5000, &n);
    assert_int_equal(count(got, "event: truth_trail\n"), MWX_WEB_MAX_TRUTH);
    assert_non_null(strstr(
        got,
        "event: truth_trail\ndata: {\"object\":\"L1\",\"phase\":\"impact\",\"points\":[[60.000,"));
    free(got);
    q = make_truth("L1", 70, MWX_PHASE_IMPACT);
    assert_int_equal(mwx_web_publish(fx->srv, &q, &err), 0);
    got = read_until(fd, "event: truth\n", 5000, &n);
    assert_non_null(strstr(got, "event: truth\ndata: {\"type\":\"truth\""));
    free(got);
    close(fd);
}

/* Several publisher threads at once while two browsers read: every record reaches
 * both, once. */
typedef struct pub_arg {
    mwx_web_t *srv;
    int id, n, failed;
} pub_arg_t;

static void *publisher(void *p)
{
    pub_arg_t *a = p;
    mwx_err_t err;
    char id[16];
    snprintf(id, sizeof id, "T%d", a->id);
    for (int i = 0; i < a->n; i++) {
        mwx_record_t r = make_track("JP", id, i);
        if (mwx_web_publish(a->srv, &r, &err) != 0)
            a->failed++;
    }
    return NULL;
}

static void test_concurrent_publishers(void **state)
{
    fixture_t *fx = *state;
    unsigned port = mwx_web_port(fx->srv);
    enum { THREADS = 4, PER = 500 };
    int c1 = open_events(port), c2 = open_events(port);
    size_t n;
    free(read_until(c1, "event: ready\n", 5000, &n));
    free(read_until(c2, "event: ready\n", 5000, &n));
    pthread_t th[THREADS];
    pub_arg_t args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (pub_arg_t){.srv = fx->srv, .id = i, .n = PER};
        assert_int_equal(pthread_create(&th[i], NULL, publisher, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failed, 0);
    }
    mwx_err_t err;
    mwx_record_t last = make_alert("mwx-last", 1);
    assert_int_equal(mwx_web_publish(fx->srv, &last, &err), 0);
    int fds[2] = {c1, c2};
    for (int k = 0; k < 2; k++) {
        char *got = read_until(fds[k], "mwx-last", 10000, &n);
        assert_int_equal(count(got, "event: track\n"), THREADS * PER);
        for (int i = 0; i < THREADS; i++) {
            char needle[48];
            /* each thread's last update arrived */
            snprintf(needle, sizeof needle, "\"track_id\":\"T%d\"", i);
            assert_int_equal(count(got, needle), PER);
        }
        free(got);
        close(fds[k]);
    }
}

/* ------------------------------------------------------------------ /metrics checker */

/* An independent reading of the text exposition format 0.0.4:
 *   - lines are "# HELP name text", "# TYPE name type", other "# " comments, blank, or
 *     samples: name[{label="value",...}] value [timestamp]
 *   - names [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*, values with
 *     \\ \" \n escapes, sample values Go floats (NaN, +Inf, -Inf)
 *   - a family's TYPE comes before its samples, once; a family's samples are contiguous
 *   - counters are named *_total (this project's rule)
 *   - histograms: per label set, _bucket lines with increasing le ending in "+Inf",
 *     cumulative counts non-decreasing, +Inf bucket == _count, and a _sum. */
typedef struct fam {
    char name[128];
    char type[16];
    int typed, helped, closed, has_samples;
} fam_t;

typedef struct hseries {
    char fam[128], labels[1024];
    double last_le, last_count, inf_count, count;
    int n_buckets, have_inf, have_count, have_sum;
} hseries_t;

static int is_name_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
static int is_name_char(int c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

static int parse_value(const char *s, double *v)
{
    if (strcmp(s, "NaN") == 0) {
        *v = NAN;
        return 1;
    }
    if (strcmp(s, "+Inf") == 0) {
        *v = INFINITY;
        return 1;
    }
    if (strcmp(s, "-Inf") == 0) {
        *v = -INFINITY;
        return 1;
    }
    char *end;
    if (!*s || !(s[0] == '-' || s[0] == '+' || s[0] == '.' || (s[0] >= '0' && s[0] <= '9')))
        return 0;
    *v = strtod(s, &end);
    return *end == '\0';
}

/* Parse one sample line. name out, labels (without le) out, le out ("" if none). */
static int parse_sample(const char *line, char *name, char *labels, char *le, double *value,
                        char *why)
{
    const char *p = line;
    size_t n = 0;
    if (!is_name_start((unsigned char)*p))
        return sprintf(why, "bad metric name start"), 0;
    while (is_name_char((unsigned char)*p))
        name[n++] = *p++;
    name[n] = '\0';
    labels[0] = le[0] = '\0';
    if (*p == '{') {
        p++;
        size_t ln = 0;
        while (*p != '}') {
            char lname[128], lval[256];
            size_t k = 0, v = 0;
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
                return sprintf(why, "bad label name"), 0;
            while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
                   (*p >= '0' && *p <= '9'))
                lname[k++] = *p++;
            lname[k] = '\0';
            if (*p++ != '=' || *p++ != '"')
                return sprintf(why, "label %.60s: want =\"", lname), 0;
            while (*p != '"') {
                if (!*p || *p == '\n')
                    return sprintf(why, "unterminated label value"), 0;
                if (*p == '\\') {
                    if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
                        return sprintf(why, "bad escape"), 0;
                    lval[v++] = *p++;
                }
                lval[v++] = *p++;
            }
            lval[v] = '\0';
            p++;
            if (strcmp(lname, "le") == 0)
                strcpy(le, lval);
            else
                ln += (size_t)snprintf(labels + ln, 1024 - ln, "%s%.60s=\"%.200s\"", ln ? "," : "",
                                       lname, lval);
            if (*p == ',')
                p++;
            else if (*p != '}')
                return sprintf(why, "want , or }"), 0;
        }
        p++;
    }
    if (*p != ' ')
        return sprintf(why, "want a space before the value"), 0;
    while (*p == ' ')
        p++;
    char val[64];
    size_t k = 0;
    while (*p && *p != ' ' && k < sizeof val - 1)
        val[k++] = *p++;
    val[k] = '\0';
    if (!parse_value(val, value))
        return sprintf(why, "bad value '%s'", val), 0;
    while (*p == ' ')
        p++;
    if (*p) { /* optional integer timestamp */
        char *end;
        strtoll(p, &end, 10);
        if (*end)
            return sprintf(why, "junk after value"), 0;
    }
    return 1;
}

static fam_t *fam_find(fam_t *fams, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(fams[i].name, name) == 0)
            return &fams[i];
    return NULL;
}

/* Returns NULL when text is valid, else a message (static). */
static const char *check_exposition(const char *text)
{
    static char msg[512];
    static fam_t fams[256];
    static hseries_t hs[512];
    int nf = 0, nh = 0;
    fam_t *current = NULL;
    char *copy = strdup(text), *save = NULL;
    int lineno = 0;
    if (text[0] && text[strlen(text) - 1] != '\n') {
        free(copy);
        return "text does not end in a newline";
    }
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        if (!*line)
            continue;
        if (line[0] == '#') {
            char kw[8], name[128], rest[300];
            rest[0] = '\0';
            int k = sscanf(line, "# %7s %127s %299[^\n]", kw, name, rest);
            if (k >= 2 && (strcmp(kw, "HELP") == 0 || strcmp(kw, "TYPE") == 0)) {
                fam_t *f = fam_find(fams, nf, name);
                if (!f) {
                    f = &fams[nf++];
                    memset(f, 0, sizeof *f);
                    snprintf(f->name, sizeof f->name, "%s", name);
                }
                if (f->has_samples) {
                    snprintf(msg, sizeof msg, "line %d: %s for %s after its samples", lineno, kw,
                             name);
                    goto bad;
                }
                if (strcmp(kw, "TYPE") == 0) {
                    if (f->typed++) {
                        snprintf(msg, sizeof msg, "line %d: second TYPE for %s", lineno, name);
                        goto bad;
                    }
                    if (strcmp(rest, "counter") && strcmp(rest, "gauge") &&
                        strcmp(rest, "histogram") && strcmp(rest, "summary") &&
                        strcmp(rest, "untyped")) {
                        snprintf(msg, sizeof msg, "line %d: bad type '%s'", lineno, rest);
                        goto bad;
                    }
                    snprintf(f->type, sizeof f->type, "%s", rest);
                    if (strcmp(rest, "counter") == 0) {
                        size_t L = strlen(name);
                        if (L < 6 || strcmp(name + L - 6, "_total") != 0) {
                            snprintf(msg, sizeof msg, "counter %s does not end in _total", name);
                            goto bad;
                        }
                    }
                } else if (f->helped++) {
                    snprintf(msg, sizeof msg, "line %d: second HELP for %s", lineno, name);
                    goto bad;
                }
            }
            continue;
        }
        char name[128], labels[1024], le[64], why[128];
        double v;
        if (!parse_sample(line, name, labels, le, &v, why)) {
            snprintf(msg, sizeof msg, "line %d: %s: %s", lineno, why, line);
            goto bad;
        }
        fam_t *f = fam_find(fams, nf, name);
        const char *suffix = "";
        if (!f || !f->typed) {
            static const char *const sfx[] = {"_bucket", "_sum", "_count"};
            for (int i = 0; i < 3 && (!f || !f->typed); i++) {
                size_t L = strlen(name), S = strlen(sfx[i]);
                if (L > S && strcmp(name + L - S, sfx[i]) == 0) {
                    char base[128];
                    snprintf(base, sizeof base, "%.*s", (int)(L - S), name);
                    fam_t *b = fam_find(fams, nf, base);
                    if (b && b->typed && strcmp(b->type, "histogram") == 0) {
                        f = b;
                        suffix = sfx[i];
                    }
                }
            }
        }
        if (!f || !f->typed) {
            snprintf(msg, sizeof msg, "line %d: sample %s before (or without) its TYPE", lineno,
                     name);
            goto bad;
        }
        if (f->closed) {
            snprintf(msg, sizeof msg, "line %d: samples of %s are not contiguous", lineno, name);
            goto bad;
        }
        if (current && current != f)
            current->closed = 1;
        current = f;
        f->has_samples = 1;
        if (strcmp(f->type, "histogram") == 0) {
            if (!*suffix) {
                snprintf(msg, sizeof msg, "line %d: histogram sample without a suffix", lineno);
                goto bad;
            }
            hseries_t *h = NULL;
            for (int i = 0; i < nh; i++)
                if (strcmp(hs[i].fam, f->name) == 0 && strcmp(hs[i].labels, labels) == 0)
                    h = &hs[i];
            if (!h) {
                h = &hs[nh++];
                memset(h, 0, sizeof *h);
                snprintf(h->fam, sizeof h->fam, "%s", f->name);
                snprintf(h->labels, sizeof h->labels, "%s", labels);
                h->last_le = -INFINITY;
            }
            if (strcmp(suffix, "_bucket") == 0) {
                double lev;
                if (!le[0] || !parse_value(le, &lev)) {
                    snprintf(msg, sizeof msg, "line %d: bucket without a valid le", lineno);
                    goto bad;
                }
                if (h->have_inf || !(lev > h->last_le)) {
                    snprintf(msg, sizeof msg, "line %d: le not increasing", lineno);
                    goto bad;
                }
                if (v < h->last_count) {
                    snprintf(msg, sizeof msg, "line %d: buckets not cumulative", lineno);
                    goto bad;
                }
                h->last_le = lev;
                h->last_count = v;
                h->n_buckets++;
                if (isinf(lev)) {
                    h->have_inf = 1;
                    h->inf_count = v;
                }
            } else if (strcmp(suffix, "_count") == 0) {
                h->have_count = 1;
                h->count = v;
            } else {
                h->have_sum = 1;
            }
        } else if (le[0] && strcmp(f->type, "summary") != 0) {
            /* le is only special in histograms; fine elsewhere, nothing to check */
        }
    }
    for (int i = 0; i < nh; i++) {
        if (!hs[i].have_inf || !hs[i].have_count || !hs[i].have_sum) {
            snprintf(msg, sizeof msg, "histogram %s{%s}: missing +Inf bucket, _count or _sum",
                     hs[i].fam, hs[i].labels);
            goto bad;
        }
        if (hs[i].inf_count != hs[i].count) {
            snprintf(msg, sizeof msg, "histogram %s{%s}: +Inf bucket %g != _count %g", hs[i].fam,
                     hs[i].labels, hs[i].inf_count, hs[i].count);
            goto bad;
        }
    }
    free(copy);
    return NULL;
bad:
    free(copy);
    return msg;
}

static void test_checker_rejects(void **state)
{
    /* The checker itself must be able to fail. */
    assert_null(check_exposition("# TYPE a_total counter\na_total 1\n"));
    assert_non_null(check_exposition("a_total 1\n"));                              /* no TYPE */
    assert_non_null(check_exposition("# TYPE a counter\na 1\n"));                  /* _total */
    assert_non_null(check_exposition("# TYPE a_total counter\na_total{x=1} 1\n")); /* quotes */
    assert_non_null(check_exposition("# TYPE a_total counter\na_total one\n"));
    assert_non_null(check_exposition("# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                                     "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"));
    assert_non_null(check_exposition("# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
                                     "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n"));
    assert_non_null(check_exposition("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\n"
                                     "h_count 1\n"));
    assert_non_null(check_exposition("# TYPE a_total counter\n# TYPE b gauge\na_total 1\nb 1\n"
                                     "a_total{x=\"y\"} 1\n"));
    assert_null(check_exposition("# HELP h x\n# TYPE h histogram\nh_bucket{a=\"b\",le=\"0.5\"} 0\n"
                                 "h_bucket{a=\"b\",le=\"+Inf\"} 2\nh_sum{a=\"b\"} 3.5\n"
                                 "h_count{a=\"b\"} 2\n"));
}

static void test_metrics_exposition(void **state)
{
    fixture_t *fx = *state;
    unsigned port = mwx_web_port(fx->srv);
    mwx_err_t err;
    mwx_metrics_t *m = mwx_web_metrics(fx->srv);
    assert_non_null(m);

    mwx_counter_t *meas, *drop_sig, *drop_replay, *again;
    mwx_histogram_t *lat, *lat_jp;
    mwx_gauge_t *g;
    assert_int_equal(mwx_metrics_counter(m, "mwx_measurements_total", NULL,
                                         "Measurements processed.", &meas, &err),
                     0);
    assert_int_equal(mwx_metrics_counter(m, "mwx_envelopes_dropped_total",
                                         "reason=\"bad_signature\"", "Envelopes dropped.",
                                         &drop_sig, &err),
                     0);
    assert_int_equal(mwx_metrics_counter(m, "mwx_envelopes_dropped_total", "reason=\"replayed\"",
                                         "Envelopes dropped.", &drop_replay, &err),
                     0);
    assert_int_equal(mwx_metrics_counter(m, "mwx_envelopes_dropped_total", "reason=\"replayed\"",
                                         "Envelopes dropped.", &again, &err),
                     0);
    assert_ptr_equal(again, drop_replay); /* same name + labels: same series */
    static const double b[] = {0.001, 0.01, 0.1};
    assert_int_equal(mwx_metrics_histogram(m, "mwx_share_latency_seconds", "to=\"US\"",
                                           "Share latency.", b, 3, &lat, &err),
                     0);
    assert_int_equal(mwx_metrics_histogram(m, "mwx_share_latency_seconds", "to=\"JP\"",
                                           "Share latency.", b, 3, &lat_jp, &err),
                     0);
    assert_int_equal(mwx_metrics_gauge(m, "mwx_tracks", NULL, "Tracks held.", &g, &err), 0);

    /* Refused: a counter not ending in _total, bad names and labels, reserved suffixes,
     * a type or bounds clash, non-increasing bounds. */
    mwx_counter_t *c;
    mwx_histogram_t *h;
    assert_int_equal(mwx_metrics_counter(m, "mwx_meas", NULL, "x", &c, &err), MWX_EINVAL);
    assert_int_equal(mwx_metrics_counter(m, "9lives_total", NULL, "x", &c, &err), MWX_EINVAL);
    assert_int_equal(mwx_metrics_counter(m, "a-b_total", NULL, "x", &c, &err), MWX_EINVAL);
    assert_int_equal(mwx_metrics_counter(m, "ok_total", "reason=bad", "x", &c, &err), MWX_EINVAL);
    assert_int_equal(mwx_metrics_counter(m, "ok_total", "__r=\"x\"", "x", &c, &err), MWX_EINVAL);
    assert_int_equal(mwx_metrics_counter(m, "ok_total", "r=\"x\",", "x", &c, &err), MWX_EINVAL);
    assert_int_equal(mwx_metrics_counter(m, "ok_total", NULL, "two\nlines", &c, &err), MWX_EINVAL);
    mwx_gauge_t *g2;
    assert_int_equal(mwx_metrics_gauge(m, "mwx_tracks_total", NULL, "x", &g2, &err), MWX_EINVAL);
    assert_int_equal(mwx_metrics_gauge(m, "mwx_tracks", NULL, "other help", &g2, &err), MWX_EINVAL);
    assert_int_equal(mwx_metrics_histogram(m, "mwx_share_latency_seconds", "to=\"KR\"",
                                           "Share latency.", b, 2, &h, &err),
                     MWX_EINVAL);
    assert_int_equal(mwx_metrics_histogram(m, "hh", "le=\"1\"", "x", b, 3, &h, &err), MWX_EINVAL);
    static const double nb[] = {0.1, 0.1};
    assert_int_equal(mwx_metrics_histogram(m, "hh", NULL, "x", nb, 2, &h, &err), MWX_EINVAL);
    assert_int_equal(mwx_metrics_histogram(m, "hh_count", NULL, "x", b, 3, &h, &err), MWX_EINVAL);
    assert_int_equal(mwx_metrics_gauge(m, "mwx_tracks", NULL, "Tracks held.", &g, &err), 0);

    mwx_counter_add(meas, 41);
    mwx_counter_add(meas, 1);
    mwx_counter_add(drop_sig, 3);
    mwx_counter_add(NULL, 5); /* no registry: no-op */
    mwx_gauge_set(g, 2.5);
    mwx_gauge_add(g, 1);
    /* 0.0005 -> le 0.001; 0.001 -> le 0.001 (le is inclusive); 0.05 -> le 0.1; 7 -> +Inf */
    mwx_histogram_observe(lat, 0.0005);
    mwx_histogram_observe(lat, 0.001);
    mwx_histogram_observe(lat, 0.05);
    mwx_histogram_observe(lat, 7);
    mwx_histogram_observe(lat, NAN); /* ignored */
    mwx_record_t sh = make_share(0.0003);
    assert_int_equal(mwx_web_publish(fx->srv, &sh, &err), 0);

    resp_t r = http(port, "GET", "/metrics");
    assert_int_equal(r.status, 200);
    assert_string_equal(header(&r, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    const char *why = check_exposition(r.body);
    if (why)
        fail_msg("exposition: %s\n%s", why, r.body);
    const char *want[] = {
        "# HELP mwx_measurements_total Measurements processed.\n"
        "# TYPE mwx_measurements_total counter\nmwx_measurements_total 42\n",
        "mwx_envelopes_dropped_total{reason=\"bad_signature\"} 3\n"
        "mwx_envelopes_dropped_total{reason=\"replayed\"} 0\n",
        "# TYPE mwx_share_latency_seconds histogram\n"
        "mwx_share_latency_seconds_bucket{to=\"US\",le=\"0.001\"} 2\n"
        "mwx_share_latency_seconds_bucket{to=\"US\",le=\"0.01\"} 2\n"
        "mwx_share_latency_seconds_bucket{to=\"US\",le=\"0.1\"} 3\n"
        "mwx_share_latency_seconds_bucket{to=\"US\",le=\"+Inf\"} 4\n"
        "mwx_share_latency_seconds_sum{to=\"US\"} ",
        "mwx_share_latency_seconds_count{to=\"US\"} 4\n"
        "mwx_share_latency_seconds_bucket{to=\"JP\",le=\"0.001\"} 0\n",
        "mwx_tracks 3.5\n",
        "mwx_web_records_published_total{type=\"share\"} 1\n",
        "mwx_web_shares_total{verified=\"true\"} 1\n",
        "mwx_web_share_latency_seconds_bucket{le=\"0.0005\"} 1\n",
        "mwx_web_share_latency_seconds_count 1\n",
        "mwx_web_http_requests_total{code=\"2xx\"} ",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(r.body, want[i]))
            fail_msg("/metrics lacks:\n%s\n--- got:\n%s", want[i], r.body);
    const char *sum = strstr(r.body, "mwx_share_latency_seconds_sum{to=\"US\"} ");
    assert_non_null(sum);
    assert_float_equal(strtod(strchr(sum, '}') + 2, NULL), 0.0005 + 0.001 + 0.05 + 7, 1e-12);
    free(r.raw);

    /* A registry of the caller's own, attached: rendered after the server's. */
    mwx_metrics_t *mine;
    assert_int_equal(mwx_metrics_new(&mine, &err), 0);
    mwx_counter_t *sent;
    assert_int_equal(mwx_metrics_counter(mine, "mwx_envelopes_sent_total", "to=\"JP\"",
                                         "Envelopes sent.", &sent, &err),
                     0);
    mwx_counter_add(sent, 9);
    mwx_web_attach_metrics(fx->srv, mine);
    r = http(port, "GET", "/metrics");
    why = check_exposition(r.body);
    if (why)
        fail_msg("exposition: %s\n%s", why, r.body);
    assert_non_null(strstr(r.body, "mwx_envelopes_sent_total{to=\"JP\"} 9\n"));
    free(r.raw);
    mwx_web_attach_metrics(fx->srv, NULL);
    char *text;
    size_t len;
    assert_int_equal(mwx_metrics_render(mine, &text, &len, &err), 0);
    assert_int_equal(len, strlen(text));
    assert_null(check_exposition(text));
    free(text);
    mwx_metrics_free(mine);
}

static void test_bind_rules(void **state)
{
    mwx_web_t *s = NULL;
    mwx_err_t err;
    fixture_t *fx = *state;
    assert_int_equal(mwx_web_start("not-an-address", 0, fx->assets, &s, &err), MWX_EINVAL);
    assert_null(s);
    assert_int_equal(mwx_web_start("127.0.0.1", 70000, fx->assets, &s, &err), MWX_EINVAL);
    /* The port in use by the fixture cannot be taken twice. */
    assert_int_equal(mwx_web_start("127.0.0.1", mwx_web_port(fx->srv), fx->assets, &s, &err),
                     MWX_EIO);
    assert_non_null(strstr(err.msg, "cannot listen"));
    /* An explicit loopback address other than the default works. */
    assert_int_equal(mwx_web_start("127.0.0.2", 0, fx->assets, &s, &err), 0);
    char url[96];
    assert_int_equal(mwx_web_url(s, url, sizeof url), MWX_OK);
    assert_int_equal(strncmp(url, "http://127.0.0.2:", 17), 0);
    mwx_web_stop(s);

    /* Stopping with a browser still connected ends its stream and returns. */
    assert_int_equal(mwx_web_start(NULL, 0, fx->assets, &s, &err), 0);
    int fd = open_events(mwx_web_port(s));
    size_t n;
    free(read_until(fd, "event: ready\n", 5000, &n));
    mwx_web_stop(s);
    char *rest = read_until(fd, NULL, 5000, &n); /* returns at EOF */
    assert_int_equal(n, 0);
    free(rest);
    close(fd);
    mwx_web_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checker_rejects),
        cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_traversal_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sse_live_and_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_picture_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_and_atom, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slowloris, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_exposition, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_publishers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_picture_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lazy_encoding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truth_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bind_rules, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
