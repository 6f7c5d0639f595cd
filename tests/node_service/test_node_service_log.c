/* `mwx node`'s envelope logs (outbox/inbox: torn tails cut, damage detected, the clock
 * origin kept) and its strict config (errors name the file and the key). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "mwx/node.h"
#include "core/crc32c.h"
#include "node/service_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[512];

static void path_in(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

typedef struct seen {
    int n;
    double unix_s[8], t[8];
    size_t len[8];
    uint8_t first[8];
} seen_t;

static int collect(void *user, double unix_s, double t_scn, const uint8_t *data, size_t len)
{
    seen_t *s = user;
    if (s->n < 8) {
        s->unix_s[s->n] = unix_s;
        s->t[s->n] = t_scn;
        s->len[s->n] = len;
        s->first[s->n] = len ? data[0] : 0;
    }
    s->n++;
    return MWX_OK;
}

static void test_log_roundtrip_and_torn_tail(void **state)
{
    char p[600];
    svc_log_t *l;
    double start;
    int existed;
    uint8_t a[100], b[300];
    seen_t s;
    struct stat sb;
    (void)state;
    memset(a, 0xA1, sizeof a);
    memset(b, 0xB2, sizeof b);
    path_in(p, sizeof p, "x.outbox");
    unlink(p);
    assert_int_equal(mwxi_svc_log_open(p, 1234.5, NULL, NULL, &l, &start, &existed, NULL), MWX_OK);
    assert_int_equal(existed, 0);
    assert_true(start == 1234.5);
    assert_int_equal(mwxi_svc_log_append(l, 10.0, 1.5, a, sizeof a, 1, NULL), MWX_OK);
    assert_int_equal(mwxi_svc_log_append(l, 11.0, 2.5, b, sizeof b, 0, NULL), MWX_OK);
    mwxi_svc_log_close(l);

    /* a torn third entry: header and half its bytes */
    FILE *f = fopen(p, "ab");
    uint32_t len = 200, crc = 7;
    fwrite(&len, 4, 1, f);
    fwrite(&crc, 4, 1, f);
    fwrite(a, 1, 50, f);
    fclose(f);
    stat(p, &sb);
    off_t torn = sb.st_size;

    memset(&s, 0, sizeof s);
    assert_int_equal(mwxi_svc_log_open(p, 999.0, collect, &s, &l, &start, &existed, NULL), MWX_OK);
    assert_int_equal(existed, 1);
    assert_true(start == 1234.5); /* the first start's clock, not the new one */
    assert_int_equal(s.n, 2);
    assert_int_equal(s.len[0], 100);
    assert_int_equal(s.first[0], 0xA1);
    assert_true(s.unix_s[1] == 11.0 && s.t[1] == 2.5);
    assert_int_equal(s.len[1], 300);
    assert_int_equal(mwxi_svc_log_count(l), 2);
    /* the tail was cut: the next entry follows the last whole one */
    stat(p, &sb);
    assert_true(sb.st_size == torn - 58);
    assert_int_equal(mwxi_svc_log_append(l, 12.0, 3.5, a, 10, 1, NULL), MWX_OK);
    mwxi_svc_log_close(l);
    memset(&s, 0, sizeof s);
    assert_int_equal(mwxi_svc_log_open(p, 0, collect, &s, &l, &start, &existed, NULL), MWX_OK);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.len[2], 10);
    mwxi_svc_log_close(l);

    /* a flipped byte inside entry 2: entries from there on are not trusted */
    f = fopen(p, "r+b");
    fseek(f, 16 + 24 + 100 + 24 + 5, SEEK_SET);
    fputc(0x00, f);
    fclose(f);
    memset(&s, 0, sizeof s);
    assert_int_equal(mwxi_svc_log_open(p, 0, collect, &s, &l, &start, &existed, NULL), MWX_OK);
    assert_int_equal(s.n, 1);
    mwxi_svc_log_close(l);

    /* not a log at all */
    f = fopen(p, "wb");
    fputs("hello, this is not a log file", f);
    fclose(f);
    mwx_err_t err = {0};
    assert_int_equal(mwxi_svc_log_open(p, 0, NULL, NULL, &l, &start, &existed, &err), MWX_ECORRUPT);
    assert_non_null(strstr(err.msg, "x.outbox"));
    unlink(p);
}

/* A reader beside a running node (mwx node --dump-log) sees an entry being appended as a
 * torn tail: it stops there and changes nothing. It once cut that tail like a restart
 * does, under the writer, whose later entries then lay past a hole: lost to every reader
 * and to the node's own restart (node_service_partner_away: the inbox ended mid-recovery). */
/* A reader's callback that makes the writer rotate once, at the reader's first entry. */
typedef struct rotating {
    seen_t seen;
    svc_log_t *writer;
} rotating_t;

static int collect_and_rotate(void *user, double unix_s, double t_scn, const uint8_t *data,
                              size_t len)
{
    rotating_t *r = user;
    if (r->seen.n == 0) {
        uint8_t big[400];
        memset(big, 0xD4, sizeof big);
        assert_int_equal(mwxi_svc_log_append(r->writer, 20.0, 9.5, big, sizeof big, 0, NULL),
                         MWX_OK);
    }
    return collect(&r->seen, unix_s, t_scn, data, len);
}

static void test_log_read_beside_writer(void **state)
{
    char p[600];
    svc_log_t *l;
    double start, unix_s = 13.0, t = 4.5;
    int existed;
    uint8_t a[100], e[24 + 200];
    seen_t s;
    struct stat sb;
    (void)state;
    memset(a, 0xA1, sizeof a);
    path_in(p, sizeof p, "r.inbox");
    unlink(p);
    assert_int_equal(mwxi_svc_log_open(p, 1.0, NULL, NULL, &l, &start, &existed, NULL), MWX_OK);
    assert_int_equal(mwxi_svc_log_append(l, 10.0, 1.5, a, sizeof a, 0, NULL), MWX_OK);
    assert_int_equal(mwxi_svc_log_append(l, 11.0, 2.5, a, 50, 0, NULL), MWX_OK);
    /* the third entry, written in two parts as a slow write() can appear to a reader */
    uint32_t len = 200, crc;
    memcpy(e + 8, &unix_s, 8);
    memcpy(e + 16, &t, 8);
    memset(e + 24, 0xC3, 200);
    crc = mwxi_crc32c(0, e + 8, 16 + 200);
    memcpy(e, &len, 4);
    memcpy(e + 4, &crc, 4);
    FILE *f = fopen(p, "ab");
    assert_non_null(f);
    assert_int_equal(fwrite(e, 1, 100, f), 100);
    fflush(f);
    stat(p, &sb);
    off_t mid = sb.st_size;

    memset(&s, 0, sizeof s);
    assert_int_equal(mwxi_svc_log_read(p, collect, &s, NULL), MWX_OK);
    assert_int_equal(s.n, 2);
    assert_true(s.unix_s[1] == 11.0 && s.len[1] == 50);
    FILE *null = fopen("/dev/null", "w");
    assert_int_equal(mwx_node_log_dump(p, null, NULL), MWX_OK);
    fclose(null);
    stat(p, &sb);
    assert_true(sb.st_size == mid); /* nothing cut */

    assert_int_equal(fwrite(e + 100, 1, sizeof e - 100, f), sizeof e - 100);
    fclose(f);
    mwxi_svc_log_close(l);
    memset(&s, 0, sizeof s);
    assert_int_equal(mwxi_svc_log_read(p, collect, &s, NULL), MWX_OK);
    assert_int_equal(s.n, 3);
    assert_true(s.unix_s[2] == 13.0 && s.len[2] == 200 && s.first[2] == 0xC3);

    /* a rotated set reads as one, oldest first, closed segments before the live file */
    mwx_retention_t ret;
    memset(&ret, 0, sizeof ret);
    ret.segment_bytes = 300;
    assert_int_equal(mwxi_svc_log_open(p, 0, NULL, NULL, &l, &start, &existed, NULL), MWX_OK);
    mwxi_svc_log_set_retention(l, &ret, 0);
    assert_int_equal(mwxi_svc_log_append(l, 14.0, 5.5, a, 10, 0, NULL), MWX_OK);
    assert_int_equal(mwxi_svc_log_append(l, 15.0, 6.5, a, 20, 0, NULL), MWX_OK);
    mwxi_svc_log_close(l);
    char seg[620];
    snprintf(seg, sizeof seg, "%s.1", p);
    assert_int_equal(stat(seg, &sb), 0); /* rotated at the first append past 300 bytes */
    memset(&s, 0, sizeof s);
    assert_int_equal(mwxi_svc_log_read(p, collect, &s, NULL), MWX_OK);
    assert_int_equal(s.n, 5);
    assert_true(s.unix_s[3] == 14.0 && s.unix_s[4] == 15.0);
    /* the live file gone (a crash between a rotation's rename and its new file) */
    unlink(p);
    memset(&s, 0, sizeof s);
    int rc = mwxi_svc_log_read(p, collect, &s, NULL);
    unlink(seg);
    assert_int_equal(rc, MWX_OK);
    assert_int_equal(s.n, 4); /* PATH.1: the four entries before the rotation */

    /* the writer rotates while a reader is in the set: every entry read once, in order,
     * the one appended meanwhile too (it is in the file the reader had open) */
    unlink(p);
    assert_int_equal(mwxi_svc_log_open(p, 0, NULL, NULL, &l, &start, &existed, NULL), MWX_OK);
    mwxi_svc_log_set_retention(l, &ret, 0);
    assert_int_equal(mwxi_svc_log_append(l, 16.0, 7.5, a, 10, 0, NULL), MWX_OK);
    assert_int_equal(mwxi_svc_log_append(l, 17.0, 8.5, a, 10, 0, NULL), MWX_OK);
    rotating_t rot;
    memset(&rot, 0, sizeof rot);
    rot.writer = l;
    assert_int_equal(mwxi_svc_log_read(p, collect_and_rotate, &rot, NULL), MWX_OK);
    mwxi_svc_log_close(l);
    assert_int_equal(rot.seen.n, 3);
    assert_true(rot.seen.unix_s[0] == 16.0 && rot.seen.unix_s[1] == 17.0 &&
                rot.seen.unix_s[2] == 20.0);
    assert_int_equal(stat(seg, &sb), 0); /* it did rotate: PATH.1 holds the three */
    memset(&s, 0, sizeof s);
    assert_int_equal(mwxi_svc_log_read(p, collect, &s, NULL), MWX_OK);
    assert_int_equal(s.n, 3);
    unlink(seg);
    unlink(p);
    mwx_err_t err = {0};
    assert_int_equal(mwxi_svc_log_read(p, collect, &s, &err), MWX_ENOTFOUND);
}

/* Entries of every size up to the largest an append takes, over many of the reader's
 * chunks: each comes back whole, in order, with its own bytes; a tail torn at any point
 * ends the log there (the open cuts it, the next append follows the last whole entry). */
typedef struct many {
    uint64_t n, bad;
} many_t;

static size_t many_len(uint64_t i)
{
    return 1 + (size_t)((i * 2654435761u) % 4096);
}

static int many_check(void *user, double unix_s, double t_scn, const uint8_t *data, size_t len)
{
    many_t *m = user;
    uint64_t i = m->n++;
    if (len != many_len(i) || unix_s != 1000.0 + (double)i || t_scn != (double)i ||
        data[0] != (uint8_t)i || data[len - 1] != (uint8_t)(i * 7))
        m->bad++;
    return MWX_OK;
}

static void test_log_many_entries(void **state)
{
    char p[600];
    uint8_t d[4096];
    svc_log_t *l;
    double start;
    int existed;
    struct stat sb;
    const uint64_t N = 900; /* ~1.8 MB: 14 reader chunks */
    (void)state;
    path_in(p, sizeof p, "m.inbox");
    unlink(p);
    assert_int_equal(mwxi_svc_log_open(p, 1.0, NULL, NULL, &l, &start, &existed, NULL), MWX_OK);
    for (uint64_t i = 0; i < N; i++) {
        size_t len = many_len(i);
        memset(d, 0x5A, len);
        d[0] = (uint8_t)i;
        d[len - 1] = (uint8_t)(i * 7);
        assert_int_equal(mwxi_svc_log_append(l, 1000.0 + (double)i, (double)i, d, len, 0, NULL),
                         MWX_OK);
    }
    mwxi_svc_log_close(l);
    many_t m = {0};
    assert_int_equal(mwxi_svc_log_read(p, many_check, &m, NULL), MWX_OK);
    assert_int_equal(m.n, N);
    assert_int_equal(m.bad, 0);

    /* torn: the last entry loses its last byte */
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(truncate(p, sb.st_size - 1), 0);
    memset(&m, 0, sizeof m);
    assert_int_equal(mwxi_svc_log_open(p, 1.0, many_check, &m, &l, &start, &existed, NULL), MWX_OK);
    assert_int_equal(m.n, N - 1);
    assert_int_equal(m.bad, 0);
    assert_int_equal(mwxi_svc_log_count(l), N - 1);
    size_t len = many_len(N - 1);
    memset(d, 0x5A, len);
    d[0] = (uint8_t)(N - 1);
    d[len - 1] = (uint8_t)((N - 1) * 7);
    assert_int_equal(
        mwxi_svc_log_append(l, 1000.0 + (double)(N - 1), (double)(N - 1), d, len, 0, NULL), MWX_OK);
    mwxi_svc_log_close(l);
    memset(&m, 0, sizeof m);
    assert_int_equal(mwxi_svc_log_read(p, many_check, &m, NULL), MWX_OK);
    assert_int_equal(m.n, N);
    assert_int_equal(m.bad, 0);
    unlink(p);
}

static int write_cfg(const char *name, const char *text, char *p, size_t n)
{
    path_in(p, n, name);
    FILE *f = fopen(p, "w");
    if (!f)
        return -1;
    fputs(text, f);
    fclose(f);
    return 0;
}

static void test_config(void **state)
{
    char p[600], want[700];
    mwx_node_service_cfg_t c;
    mwx_err_t err = {0};
    (void)state;
    assert_int_equal(write_cfg("ok.json",
                               "{\"nation\": \"JP\", \"bus\": \"nats://a:1,nats://b:2\", "
                               "\"key\": \"k/JP.key\", \"trust\": {\"KR\": \"/abs/KR.pub\"}, "
                               "\"sensors\": \"s.json\", \"outputs\": \"out\", "
                               "\"http\": \"127.0.0.1:0\", \"speed\": 20, \"exit_at_end\": true}",
                               p, sizeof p),
                     0);
    assert_int_equal(mwx_node_config_load(p, &c, &err), MWX_OK);
    assert_string_equal(c.nation, "JP");
    snprintf(want, sizeof want, "%s/k/JP.key", dir);
    assert_string_equal(c.key_path, want); /* relative to the config's folder */
    assert_string_equal(c.trust_path[0], "/abs/KR.pub");
    assert_string_equal(c.trust_nation[0], "KR");
    assert_int_equal(c.n_trust, 1);
    assert_true(c.speed == 20 && c.exit_at_end == 1 && c.stale_s == 600 && c.start_unix == 0);
    assert_string_equal(c.regions_path, "");

    static const struct {
        const char *json, *expect;
    } bad[] = {
        {"{\"nation\": \"JP\", \"bus\": \"inproc\", \"key\": \"k\", \"sensors\": \"s\", "
         "\"outputs\": \"o\", \"speeed\": 1}",
         "$.speeed: unknown key"},
        {"{\"nation\": \"JP\", \"bus\": \"udp://x\", \"key\": \"k\", \"sensors\": \"s\", "
         "\"outputs\": \"o\"}",
         "$.bus"},
        {"{\"nation\": \"JP\", \"bus\": \"inproc\", \"sensors\": \"s\", \"outputs\": \"o\"}",
         "$.key"},
        {"{\"nation\": \"J P\", \"bus\": \"inproc\", \"key\": \"k\", \"sensors\": \"s\", "
         "\"outputs\": \"o\"}",
         "$.nation"},
        {"{\"nation\": \"JP\", \"bus\": \"inproc\", \"key\": \"k\", \"sensors\": \"s\", "
         "\"outputs\": \"o\", \"speed\": 0}",
         "$.speed"},
        {"{\"nation\": \"JP\", \"bus\": \"inproc\", \"key\": \"k\", \"sensors\": \"s\", "
         "\"outputs\": \"o\", \"http\": \"8080\"}",
         "$.http"},
        {"{\"nation\": \"JP\", \"bus\": \"inproc\", \"key\": \"k\", \"sensors\": \"s\", "
         "\"outputs\": \"o\", \"trust\": [\"KR\"]}",
         "$.trust"},
        {"{\"nation\": \"JP\", \"bus\": \"inproc\", \"key\": \"k\", \"sensors\": \"s\", "
         "\"outputs\": \"o\", \"trust\": {\"KR\": 1}}",
         "$.trust.KR"},
        {"{\"nation\": \"JP\", \"bus\": \"inproc\", \"key\": \"\", \"sensors\": \"s\", "
         "\"outputs\": \"o\"}",
         "$.key"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mwx_err_clear(&err);
        assert_int_equal(write_cfg("bad.json", bad[i].json, p, sizeof p), 0);
        assert_int_equal(mwx_node_config_load(p, &c, &err), MWX_EINVAL);
        assert_non_null(strstr(err.msg, p));
        if (!strstr(err.msg, bad[i].expect))
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].expect);
        assert_int_equal(mwx_exit_status(err.code), 1);
    }
}

static void test_examples_load(void **state)
{
    static const char *const names[] = {"node-jp.json", "node-kr.json", "node-us.json"};
    (void)state;
    for (size_t i = 0; i < 3; i++) {
        char p[600];
        mwx_node_service_cfg_t c;
        mwx_err_t err = {0};
        snprintf(p, sizeof p, "%s/examples/%s", MWX_SOURCE_DIR, names[i]);
        if (mwx_node_config_load(p, &c, &err) != MWX_OK)
            fail_msg("%s", err.msg);
        assert_int_equal(c.n_trust, 3);
        assert_non_null(strstr(c.sensors_path, "/examples/../scenarios/default.json"));
    }
}

int main(void)
{
    const char *tmp = getenv("MWX_TMPDIR");
    snprintf(dir, sizeof dir, "%s/node_service_unit", tmp && tmp[0] ? tmp : "/tmp");
    mkdir(tmp && tmp[0] ? tmp : "/tmp", 0755);
    mkdir(dir, 0755);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_roundtrip_and_torn_tail),
        cmocka_unit_test(test_log_read_beside_writer),
        cmocka_unit_test(test_log_many_entries),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_examples_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
