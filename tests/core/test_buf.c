/* The core text buffer and the one JSON string escaper (src/core/buf.h): growth across
 * many reallocations, printf past the first block, reset keeping memory, and every
 * escaping rule with the expected bytes written out by hand (RFC 8259 section 7; the
 * UTF-8 rules of RFC 3629 section 3: overlongs, surrogates, > U+10FFFF, truncated and
 * stray bytes are invalid). The record JSON of `mwx cat` goes through the same escaper:
 * it must give the same bytes, and every output must parse with jansson (which rejects
 * invalid UTF-8) back to the text with each bad byte replaced by U+FFFD. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "mwx/core.h"

/* mwx_id_key: FNV-1a 64 (the published test vectors for one string), and a pair is not
 * the concatenation of its strings. */
static void test_id_key(void **state)
{
    (void)state;
    assert_true(mwx_id_key("", NULL) == 0xcbf29ce484222325ULL);
    assert_true(mwx_id_key("a", NULL) == 0xaf63dc4c8601ec8cULL);
    assert_true(mwx_id_key("foobar", NULL) == 0x85944171f73967e8ULL);
    assert_true(mwx_id_key("JP", "JP-12") == mwx_id_key("JP", "JP-12"));
    assert_true(mwx_id_key("ab", "c") != mwx_id_key("a", "bc"));
    assert_true(mwx_id_key("abc", "") != mwx_id_key("abc", NULL));
    assert_true(mwx_id_key("JP", "JP-12") != mwx_id_key("JP", "JP-21"));
}

static void test_growth(void **state)
{
    mwx_buf_t b = MWX_BUF_INIT;
    char ref[20001];
    for (int i = 0; i < 20000; i++) {
        ref[i] = (char)('a' + i % 26);
        mwxi_buf_putc(&b, ref[i]);
    }
    ref[20000] = '\0';
    assert_int_equal(b.oom, 0);
    assert_int_equal(b.len, 20000);
    assert_true(b.cap > b.len);
    assert_string_equal(b.p, ref);
    /* printf longer than the first try's room */
    mwxi_buf_reset(&b);
    size_t cap = b.cap;
    assert_int_equal(b.len, 0);
    assert_string_equal(b.p, "");
    mwxi_buf_printf(&b, "%s|%d", ref + 19000, 42);
    assert_int_equal(b.len, 1003);
    assert_memory_equal(b.p, ref + 19000, 1000);
    assert_string_equal(b.p + 1000, "|42");
    assert_int_equal(b.cap, cap); /* reset kept the memory: no reallocation */
    char *t = mwxi_buf_take(&b);
    assert_non_null(t);
    assert_int_equal(strlen(t), 1003);
    free(t);
    assert_null(b.p);
    assert_int_equal(b.len, 0);
    /* an empty buffer hands over "" */
    t = mwxi_buf_take(&b);
    assert_non_null(t);
    assert_string_equal(t, "");
    free(t);
    /* oom is sticky: nothing is appended after it */
    mwxi_buf_puts(&b, "x");
    b.oom = 1;
    mwxi_buf_puts(&b, "y");
    assert_int_equal(b.len, 1);
    assert_int_equal(mwxi_buf_reserve(&b, 1), MWX_ENOMEM);
    assert_null(mwxi_buf_take(&b));
    mwxi_buf_free(&b);
}

static char *esc(const char *s, size_t n)
{
    mwx_buf_t b = MWX_BUF_INIT;
    mwxi_buf_json_strn(&b, s, n);
    return mwxi_buf_take(&b);
}

/* input bytes, their count, the literal expected */
static const struct {
    const char *in;
    size_t n;
    const char *out;
} cases[] = {
    {"plain", 5, "\"plain\""},
    {"", 0, "\"\""},
    {"a\"b\\c/", 6, "\"a\\\"b\\\\c/\""},
    {"\n\r\t", 3, "\"\\n\\r\\t\""},
    {"\x01\x08\x0c\x1f", 4, "\"\\u0001\\u0008\\u000c\\u001f\""},
    {"\x7f", 1, "\"\\u007f\""}, /* DEL */
    {"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""},
    {"\xff", 1, "\"\\ufffd\""},                                  /* never a UTF-8 byte */
    {"\x80x", 2, "\"\\ufffdx\""},                                /* stray continuation */
    {"\xc0\xaf", 2, "\"\\ufffd\\ufffd\""},                       /* overlong '/' */
    {"\xe0\x80\xaf", 3, "\"\\ufffd\\ufffd\\ufffd\""},            /* overlong, 3 bytes */
    {"\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""},            /* surrogate U+D800 */
    {"\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""}, /* U+110000 */
    {"\xe2\x82", 2, "\"\\ufffd\\ufffd\""},                       /* truncated at the end */
    {"\xe2\x82z", 3, "\"\\ufffd\\ufffdz\""},                     /* truncated mid-text */
    {"ab\0cd", 5, "\"ab\""},                                     /* stops at a NUL */
    {"abcdef", 3, "\"abc\""},                                    /* at most n bytes */
};

static void test_escape_rules(void **state)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *o = esc(cases[i].in, cases[i].n);
        assert_non_null(o);
        if (strcmp(o, cases[i].out) != 0)
            fail_msg("case %zu: got %s want %s", i, o, cases[i].out);
        free(o);
    }
    /* json_str is json_strn of the whole string */
    mwx_buf_t b = MWX_BUF_INIT;
    mwxi_buf_json_str(&b, "\x7f\xff\"");
    assert_string_equal(b.p, "\"\\u007f\\ufffd\\\"\"");
    mwxi_buf_free(&b);
}

/* The text the escaped literal stands for: each invalid byte as U+FFFD. */
static size_t expected_text(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n && in[i];) {
        size_t k = 1;
        if (in[i] >= 0x80) {
            for (k = 4; k >= 2; k--)
                if (i + k <= n && mwxi_utf8_valid((const char *)in + i, k))
                    break;
            if (k < 2) {
                memcpy(out + o, "\xef\xbf\xbd", 3);
                o += 3;
                i++;
                continue;
            }
        }
        memcpy(out + o, in + i, k);
        o += k;
        i += k;
    }
    out[o] = '\0';
    return o;
}

/* Random bytes (biased towards the interesting ones): the literal always parses with
 * jansson, and means the input with bad bytes replaced. Deterministic (a fixed LCG). */
static void test_escape_random_parses(void **state)
{
    static const unsigned char pick[] = {'"',  '\\', '\n', 0x01, 0x7f, 0x80, 0xbf, 0xc0, 0xc3,
                                         0xe0, 0xe2, 0xed, 0xf0, 0xf4, 0xff, 'a',  0xa9, 0x82};
    uint32_t x = 12345;
    for (int iter = 0; iter < 20000; iter++) {
        unsigned char in[24];
        char want[24 * 3 + 1];
        size_t n = 1 + iter % 23;
        for (size_t i = 0; i < n; i++) {
            x = x * 1664525u + 1013904223u;
            unsigned r = x >> 24;
            in[i] = r < 128 ? pick[r % sizeof pick] : (unsigned char)(r | 1);
        }
        char *o = esc((const char *)in, n);
        assert_non_null(o);
        json_error_t e;
        json_t *v = json_loads(o, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
        if (!v)
            fail_msg("iteration %d: %s does not parse: %s", iter, o, e.text);
        size_t wn = expected_text(in, n, want);
        assert_int_equal(json_string_length(v), wn);
        assert_memory_equal(json_string_value(v), want, wn);
        json_decref(v);
        free(o);
    }
}

/* The record JSON (`mwx cat`) uses the same escaper: same bytes for the same field. */
static void test_record_json_agrees(void **state)
{
    static const char nasty[] = "a\"\\\n\x01\x7f\xff\xc0\xaf\xed\xa0\x80\xe2\x82\xac z";
    mwx_record_t r;
    memset(&r, 0, sizeof r);
    r.type = MWX_REC_ALERT;
    memcpy(r.u.alert.file, nasty, sizeof nasty);
    char *j = mwx_record_to_json(&r);
    assert_non_null(j);
    char *lit = esc(nasty, sizeof nasty);
    char key[1024];
    snprintf(key, sizeof key, "\"file\":%s", lit);
    if (!strstr(j, key))
        fail_msg("record JSON %s lacks %s", j, key);
    json_error_t e;
    json_t *v = json_loads(j, 0, &e);
    assert_non_null(v);
    json_decref(v);
    free(lit);
    free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_key),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_escape_rules),
        cmocka_unit_test(test_escape_random_parses),
        cmocka_unit_test(test_record_json_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
