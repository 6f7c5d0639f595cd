/* The core grow-array helper (src/core/grow.h): capacities by hand (first, then doubling,
 * then doubling on to the need), contents kept across reallocations, nothing done when
 * the room is there, and MWX_ENOMEM without a change when the byte count overflows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "core/grow.h"
#include "mwx/core.h"

typedef struct pt {
    double x, y, z;
} pt_t;

static void test_capacities(void **state)
{
    pt_t *v = NULL;
    size_t cap = 0;
    assert_int_equal(mwxi_grow(&v, &cap, 0, sizeof *v, 16), 0); /* no need, no allocation */
    assert_null(v);
    assert_int_equal(cap, 0);
    assert_int_equal(mwxi_grow(&v, &cap, 1, sizeof *v, 16), 0);
    assert_non_null(v);
    assert_int_equal(cap, 16);
    for (size_t i = 0; i < 16; i++)
        v[i] = (pt_t){(double)i, -(double)i, 0.5};
    pt_t *same = v;
    assert_int_equal(mwxi_grow(&v, &cap, 16, sizeof *v, 16), 0); /* room: unchanged */
    assert_ptr_equal(v, same);
    assert_int_equal(cap, 16);
    assert_int_equal(mwxi_grow(&v, &cap, 17, sizeof *v, 16), 0);
    assert_int_equal(cap, 32);
    assert_int_equal(mwxi_grow(&v, &cap, 100, sizeof *v, 16), 0); /* 64, 128 */
    assert_int_equal(cap, 128);
    for (size_t i = 0; i < 16; i++) {
        assert_true(v[i].x == (double)i);
        assert_true(v[i].y == -(double)i);
    }
    free(v);
    /* a first need beyond first doubles on from first */
    unsigned char *b = NULL;
    cap = 0;
    assert_int_equal(mwxi_grow(&b, &cap, 5000, 1, 1024), 0);
    assert_int_equal(cap, 8192);
    free(b);
    (void)state;
}

static void test_overflow(void **state)
{
    pt_t *v = NULL;
    size_t cap = 0;
    assert_int_equal(mwxi_grow(&v, &cap, SIZE_MAX / sizeof *v + 1, sizeof *v, 16), MWX_ENOMEM);
    assert_null(v);
    assert_int_equal(cap, 0);
    assert_int_equal(mwxi_grow(&v, &cap, 4, sizeof *v, 4), 0);
    pt_t *keep = v;
    /* doubling past SIZE_MAX */
    assert_int_equal(mwxi_grow(&v, &cap, SIZE_MAX, 1, 4), MWX_ENOMEM);
    assert_ptr_equal(v, keep);
    assert_int_equal(cap, 4);
    /* fits size_t as a count, not as bytes */
    assert_int_equal(mwxi_grow(&v, &cap, SIZE_MAX / 4, sizeof *v, 4), MWX_ENOMEM);
    assert_ptr_equal(v, keep);
    assert_int_equal(cap, 4);
    free(v);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacities),
        cmocka_unit_test(test_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
