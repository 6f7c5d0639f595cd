/* RFC 3339 parsing/formatting and the strict JSON readers' messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "mwx/core.h"

static void test_time_parse(void **state)
{
    double t;
    mwx_err_t err;
    assert_int_equal(mwx_time_parse("1970-01-01T00:00:00Z", &t, &err), 0);
    assert_float_equal(t, 0.0, 0);
    /* date -u -d 2026-11-22T03:00:00Z +%s = 1795316400 */
    assert_int_equal(mwx_time_parse("2026-11-22T03:00:00Z", &t, &err), 0);
    assert_float_equal(t, 1795316400.0, 0);
    assert_int_equal(mwx_time_parse("2026-11-22T12:00:00.25+09:00", &t, &err), 0);
    assert_float_equal(t, 1795316400.25, 1e-6);
    assert_int_equal(mwx_time_parse("2024-02-29T00:00:00Z", &t, &err), 0);
    const char *bad[] = {"2025-02-29T00:00:00Z",
                         "2026-13-01T00:00:00Z",
                         "2026-11-22 03:00",
                         "2026-11-22T03:00:00",
                         "2026-11-22T03:00:00Zjunk",
                         "",
                         "yesterday"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(mwx_time_parse(bad[i], &t, &err), MWX_EINVAL);
        assert_non_null(strstr(err.msg, "RFC 3339"));
    }
}

static void test_time_format(void **state)
{
    char buf[64];
    assert_int_equal(mwx_time_format(1795316400.0, 0, 0, buf, sizeof buf), 0);
    assert_string_equal(buf, "2026-11-22T03:00:00+00:00");
    assert_int_equal(mwx_time_format(1795316400.5, 540, 3, buf, sizeof buf), 0);
    assert_string_equal(buf, "2026-11-22T12:00:00.500+09:00");
    assert_int_equal(mwx_time_format(1795316399.9999, 0, 2, buf, sizeof buf), 0);
    assert_string_equal(buf, "2026-11-22T03:00:00.00+00:00");
    assert_int_equal(mwx_time_format(0, 0, 0, buf, 10), MWX_EINVAL);
}

static void test_json_strict(void **state)
{
    const char *text = "{\"a\": 1.5, \"s\": \"hi\", \"o\": {\"pd\": 1.5, \"typo\": 1}}";
    json_t *root;
    mwx_err_t err;
    mwx_jpath_t jp;
    double x;
    char buf[8];
    static const char *const top[] = {"a", "s", "o", NULL};
    static const char *const inner[] = {"pd", NULL};
    assert_int_equal(mwx_json_load_string(text, strlen(text), "t.json", &root, &err), 0);
    mwx_jpath_init(&jp, "t.json");
    assert_int_equal(mwx_json_check_object(&jp, root, top, &err), 0);
    assert_int_equal(mwx_json_number(&jp, root, "a", 1, 0, 0, 2, &x, &err), 0);
    assert_float_equal(x, 1.5, 0);
    assert_int_equal(mwx_json_number(&jp, root, "zz", 0, 7, 0, 9, &x, &err), 0);
    assert_float_equal(x, 7, 0);
    assert_int_equal(mwx_json_number(&jp, root, "zz", 1, 7, 0, 9, &x, &err), MWX_EINVAL);
    assert_string_equal(err.msg, "t.json: $.zz: missing (expected a number in [0, 9])");
    assert_int_equal(mwx_json_number(&jp, root, "s", 1, 0, 0, 9, &x, &err), MWX_EINVAL);
    assert_string_equal(err.msg, "t.json: $.s: expected a number in [0, 9], got a string");
    assert_int_equal(mwx_json_string(&jp, root, "s", 1, NULL, buf, sizeof buf, &err), 0);
    assert_string_equal(buf, "hi");
    size_t mark = mwx_jpath_key(&jp, "o");
    json_t *o = json_object_get(root, "o");
    assert_int_equal(mwx_json_check_object(&jp, o, inner, &err), MWX_EINVAL);
    assert_string_equal(err.msg, "t.json: $.o.typo: unknown key (expected one of: pd)");
    assert_int_equal(mwx_json_number(&jp, o, "pd", 1, 0, 0, 1, &x, &err), MWX_EINVAL);
    assert_string_equal(err.msg, "t.json: $.o.pd: expected a number in [0, 1], got 1.5");
    mwx_jpath_pop(&jp, mark);
    assert_string_equal(jp.path, "$");
    json_decref(root);
    assert_int_equal(mwx_json_load_string("{\"a\":", 5, "bad.json", &root, &err), MWX_EINVAL);
    assert_non_null(strstr(err.msg, "bad.json:1:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_json_strict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
