/* The output format registry (src/warn/formats.c): every format's kind is its position
 * (the value emit callbacks receive), names are unique, and the four fixed kinds of
 * warn.h name the formats they say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "warn/warn_internal.h"

static void test_registry(void **state)
{
    size_t n = mwxi_warn_format_count();
    assert_true(n >= 4 && n <= MWX_WARN_MAX_FORMATS);
    for (size_t i = 0; i < n; i++) {
        const mwx_warn_format_t *f = mwxi_warn_format_at(i);
        assert_non_null(f);
        assert_non_null(f->name);
        assert_int_equal((size_t)f->kind, i);
        assert_string_equal(mwx_warn_output_name(f->kind), f->name);
        assert_true(f->message || f->track || f->picture);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(mwxi_warn_format_at(j)->name, f->name);
    }
    assert_null(mwxi_warn_format_at(n));
    assert_string_equal(mwx_warn_output_name(MWX_WARN_OUT_CAP), "cap");
    assert_string_equal(mwx_warn_output_name(MWX_WARN_OUT_ATOM), "atom");
    assert_string_equal(mwx_warn_output_name(MWX_WARN_OUT_COT), "cot");
    assert_string_equal(mwx_warn_output_name(MWX_WARN_OUT_GEOJSON), "geojson");
    assert_string_equal(mwx_warn_output_name((mwx_warn_output_t)n), "unknown");
    /* exactly one format writes the public message */
    int republish = 0;
    for (size_t i = 0; i < n; i++)
        republish += mwxi_warn_format_at(i)->republish;
    assert_int_equal(republish, 1);
    assert_int_equal(mwxi_warn_format_at(MWX_WARN_OUT_CAP)->republish, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_registry)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
