/* CRC-32C: the standard check value, and the CPU's crc32 instruction (where mwxi_crc32c
 * uses it), the tables and a bit-at-a-time reference agreeing on every length and
 * alignment, composed or not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/crc32c.h"

#include <string.h>

/* the definition, a bit at a time */
static uint32_t crc_bits(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static void test_check_value(void **state)
{
    (void)state;
    assert_int_equal(mwxi_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(mwxi_crc32c_portable(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(mwxi_crc32c(0, "", 0), 0);
    /* 32 zero bytes and 32 0xFF bytes: RFC 3720 (iSCSI), B.4 */
    uint8_t z[32];
    memset(z, 0, sizeof z);
    assert_int_equal(mwxi_crc32c(0, z, sizeof z), 0x8A9136AAu);
    memset(z, 0xFF, sizeof z);
    assert_int_equal(mwxi_crc32c(0, z, sizeof z), 0x62A8AB43u);
}

static void test_agree(void **state)
{
    uint8_t buf[600];
    uint32_t x = 12345;
    (void)state;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len + off <= sizeof buf && len <= 300; len++) {
            uint32_t want = crc_bits(0, buf + off, len);
            assert_int_equal(mwxi_crc32c(0, buf + off, len), want);
            assert_int_equal(mwxi_crc32c_portable(0, buf + off, len), want);
            /* composed at any split */
            size_t cut = len / 3;
            assert_int_equal(
                mwxi_crc32c(mwxi_crc32c(0, buf + off, cut), buf + off + cut, len - cut), want);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_value),
        cmocka_unit_test(test_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
